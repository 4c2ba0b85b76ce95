//! Email accounts: the raw-MIME inbound endpoint (for MTAs that pipe mail to us),
//! the forwarding validation, the connection test, and attachment downloads.
use super::id;
use crate::Web;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use atiende_app::channels::email::Received;
use atiende_core::{ChannelKind, Role};
use atiende_store::ingest::Outcome;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes(max_message_bytes: usize) -> Router<Web> {
    Router::new()
        .route(
            "/accounts/{id}/inbound/mime",
            post(inbound_mime).layer(axum::Extension(crate::extract::BodyLimit(max_message_bytes))),
        )
        .route("/accounts/{id}/validate", post(validate))
        .route("/accounts/{id}/test-connection", post(test_connection))
        .route("/attachments/{id}", get(attachment))
}

/// Receives one raw message (RFC 5322 bytes, `Content-Type: message/rfc822`) for an
/// email account, as an MTA pipe or relay would. Answers 202 once it is stored (or
/// recognised as already stored, from a blocked sender, or the validation mail).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/inbound/mime", tag = "email",
    request_body(content = String, content_type = "message/rfc822"),
    responses((status = 202, description = "`{outcome: stored|duplicate|blocked|validated, message_id, ticket_id}`; a mail without a usable sender is stored from an unknown sender"), (status = 409), (status = 413), (status = 422)))]
pub async fn inbound_mime(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
    crate::extract::RawBody(body): crate::extract::RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    actor.require_admin()?;
    let account = atiende_app::accounts::cached(&web.app, actor.org_id, id(&aid)?).await?;
    if account.kind != ChannelKind::Email {
        return Err(ApiError::new(StatusCode::CONFLICT, "wrong_kind", "only email accounts take raw MIME")
            .field("id"));
    }
    if body.is_empty() {
        return Err(ApiError::invalid("body", "must be the raw message"));
    }
    let out = match atiende_app::channels::email::receive(&web.app, &account, &body).await? {
        Received::Stored(Outcome::Stored { message_id, ticket_id, .. }) => {
            json!({"outcome": "stored", "message_id": message_id, "ticket_id": ticket_id})
        }
        Received::Stored(Outcome::Duplicate { message_id, ticket_id }) => {
            json!({"outcome": "duplicate", "message_id": message_id, "ticket_id": ticket_id})
        }
        Received::Blocked(sender) => json!({"outcome": "blocked", "sender": sender}),
        Received::Validated => json!({"outcome": "validated"}),
    };
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// Sends the forwarding validation mail to the account's address (admins); the account
/// stays `not_validated` until the mail comes back through the forwarding address.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/validate", tag = "email", responses((status = 200), (status = 409)))]
pub async fn validate(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<Value>> {
    let a = atiende_app::channels::email::start_validation(&web.app, &actor, id(&aid)?).await?;
    Ok(Json(atiende_app::accounts::to_json(&web.app, &a)))
}

/// Logs in to the account's IMAP server and its SMTP server and reports each answer (admins).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/test-connection", tag = "email",
    responses((status = 200, description = "`{imap: {ok, message}, smtp: {ok, message}}`"), (status = 409)))]
pub async fn test_connection(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(atiende_app::channels::email::test_connection(&web.app, &actor, id(&aid)?).await?))
}

/// Downloads an attachment. Always as a download (`Content-Disposition: attachment`,
/// `nosniff`), never rendered inline, so a file cannot run in our origin.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "email", responses((status = 200), (status = 404), (status = 410)))]
pub async fn attachment(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Response> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let (info, data) = actor.reader(&web.app)?.attachment(id(&aid)?).await?;
    let data = data.ok_or_else(|| {
        ApiError::new(StatusCode::GONE, "not_kept", "the file was over the size limit and was not kept")
    })?;
    Ok(file_response(&info.filename, &info.content_type, data, true))
}

/// A file answer: the declared type only for images shown inline; everything else is
/// an opaque download.
pub fn file_response(filename: &str, content_type: &str, data: Vec<u8>, download: bool) -> Response {
    let mut h = HeaderMap::new();
    let image = content_type.starts_with("image/") && !content_type.contains("svg");
    let ct = if image || download { content_type } else { "application/octet-stream" };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    let safe: String = filename
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' })
        .collect();
    let disp = if download || !image {
        format!("attachment; filename=\"{safe}\"")
    } else {
        format!("inline; filename=\"{safe}\"")
    };
    if let Ok(v) = HeaderValue::from_str(&disp) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    (h, data).into_response()
}
