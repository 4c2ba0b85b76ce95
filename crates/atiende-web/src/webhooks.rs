//! Inbound webhooks: one router entry for every platform, `POST /webhooks/{kind}/{account}`.
//! The raw body is kept as it came (its signature is over those exact bytes) and handed to
//! `atiende_app::webhooks::receive`, which checks the signature before the kind's adapter
//! reads it. Answers: 202 once stored, 401 for a bad or missing signature, 404 for an
//! account that is not of that kind or takes no webhooks, 422 for a body that is not a
//! message — and nothing is stored unless it is 202.
use crate::Web;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;

/// Largest webhook body taken (platforms send small JSON documents).
pub const MAX_BODY: usize = 1 << 20;

pub fn routes() -> Router<Web> {
    Router::new()
        .route(
            "/webhooks/meta",
            get(meta_verify).post(meta).layer(axum::Extension(crate::extract::BodyLimit(MAX_BODY))),
        )
        .route(
            "/webhooks/{kind}/{id}",
            post(receive).layer(axum::Extension(crate::extract::BodyLimit(MAX_BODY))),
        )
}

#[derive(serde::Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's verification request: the challenge echoed as the body when the token is ours.
#[utoipa::path(get, path = "/webhooks/meta", tag = "webhooks",
    params(("hub.mode" = String, Query, description = "`subscribe`"), ("hub.verify_token" = String, Query, description = "The deployment's `meta_verify_token`"),
        ("hub.challenge" = String, Query, description = "Echoed back")),
    responses((status = 200, description = "The challenge, as text"), (status = 403, description = "Another token"), (status = 404, description = "No Meta app configured")))]
pub async fn meta_verify(State(web): State<Web>, Query(q): Query<Handshake>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if web.app.config.meta.verify_token.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match atiende_app::channels::meta::verify(
        &web.app,
        q.mode.as_deref(),
        q.token.as_deref(),
        q.challenge.as_deref(),
    ) {
        Some(challenge) => {
            (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain")], challenge.to_string())
                .into_response()
        }
        None => StatusCode::FORBIDDEN.into_response(),
    }
}

/// Meta's webhooks (WhatsApp, Messenger, page feed, Instagram): 200 once the body is stored;
/// 401 when `X-Hub-Signature-256` is wrong or missing (nothing stored); 404 when this
/// deployment has no Meta app secret.
#[utoipa::path(post, path = "/webhooks/meta", tag = "webhooks",
    responses((status = 200, description = "Stored"), (status = 401, description = "Bad or missing signature"), (status = 404, description = "No Meta app configured")))]
pub async fn meta(
    State(web): State<Web>,
    headers: HeaderMap,
    crate::extract::RawBody(body): crate::extract::RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    atiende_app::channels::meta::receive(&web.app, signature, &body).await.map_err(ApiError::from)?;
    Ok((StatusCode::OK, Json(serde_json::json!({"ok": true}))))
}

async fn receive(
    State(web): State<Web>,
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
    crate::extract::RawBody(body): crate::extract::RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = crate::api::id(&id)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let out =
        atiende_app::webhooks::receive(&web.app, &kind, id, &header, &body).await.map_err(ApiError::from)?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}
