//! Tickets and their messages.
use super::{Params, id};
use crate::Web;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody};
use atiende_app::tickets;
use atiende_core::time::rfc3339;
use atiende_core::{Role, TicketState};
use atiende_store::messages::MessageView;
use atiende_store::tickets::{AssigneeFilter, TicketFilter, TicketView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes(max_upload: usize) -> Router<Web> {
    Router::new()
        .route("/tickets", get(list))
        .route("/tickets/{id}", get(show).patch(update))
        .route("/tickets/mass-close", post(mass_close))
        .route("/tickets/{id}/close", post(close))
        .route("/tickets/{id}/reopen", post(reopen))
        .route("/tickets/{id}/assign", post(assign))
        .route("/tickets/{id}/assignments", get(assignments))
        .route(
            "/tickets/{id}/messages",
            get(messages).post(reply).layer(axum::Extension(crate::extract::BodyLimit(max_upload))),
        )
        .route("/messages/{id}/context", get(context))
        .route("/messages/{id}/post-tickets", axum::routing::put(post_tickets))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostTicketsBody {
    /// Whether comments on the post create tickets to work.
    pub enabled: bool,
}

/// Turns ticket creation on or off for the post of a comment (admins; seed 001): off, later
/// comments on it are kept in tickets that start ignored, tell nobody and get no automatic
/// reply. `{enabled}` → 204.
#[utoipa::path(put, path = "/api/v1/messages/{id}/post-tickets", tag = "tickets", request_body = PostTicketsBody,
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "Not a comment"), (status = 422)))]
pub async fn post_tickets(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(mid): Path<String>,
    JsonBody(b): JsonBody<PostTicketsBody>,
) -> ApiResult<StatusCode> {
    atiende_app::channels::pages::set_post_tickets(&web.app, &actor, id(&mid)?, b.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "View context" of a Facebook or Instagram comment: `{source: "graph" | "stored", post: {id,
/// text, from, created_time, permalink}, comments: [{id, text, from, created_time, parent_id,
/// this}]}` — the post and all its comments in order, the message's own marked `this`
/// (`stored`: Meta did not answer; `reason` says why, and the comments kept here are listed).
#[utoipa::path(get, path = "/api/v1/messages/{id}/context", tag = "tickets",
    responses((status = 200, description = "The post and its comments"), (status = 404), (status = 409, description = "Not a comment")))]
pub async fn context(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(mid): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(atiende_app::channels::pages::context(&web.app, &actor, id(&mid)?).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn parse_cursor(text: &str) -> Result<(i64, i64), ApiError> {
    let bad = || ApiError::invalid("cursor", "is not a cursor returned by this list");
    let (u, i) = text.split_once('_').ok_or_else(bad)?;
    Ok((u.parse().map_err(|_| bad())?, i.parse().map_err(|_| bad())?))
}

/// Tickets of the organization, most recently updated first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets",
    params(
        ("state" = Option<String>, Query, description = "open, closed or ignored"),
        ("account_id" = Option<i64>, Query), ("client_id" = Option<i64>, Query),
        ("assignee_id" = Option<String>, Query, description = "a user id, or `none` for unassigned"),
        ("important" = Option<bool>, Query),
        ("limit" = Option<i64>, Query, description = "1 to 200, default 50"),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = TicketPage), (status = 422)))]
pub async fn list(State(web): State<Web>, Auth(actor): Auth, p: Params) -> ApiResult<Json<TicketPage>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let state = p
        .str("state")
        .map(|s| TicketState::parse(s, "state"))
        .transpose()
        .map_err(atiende_app::AppError::from)?;
    let assignee = match p.str("assignee_id") {
        None => None,
        Some("none") => Some(AssigneeFilter::None),
        Some(v) => Some(AssigneeFilter::User(
            v.parse().map_err(|_| ApiError::invalid("assignee_id", "must be a user id or none"))?,
        )),
    };
    let f = TicketFilter {
        state: state.map(|s| s.as_str().to_string()),
        account_id: p.i64("account_id")?,
        client_id: p.i64("client_id")?,
        assignee,
        important: p.bool("important")?,
        ..TicketFilter::default()
    };
    let limit = p.limit()?;
    let cursor = p.str("cursor").map(parse_cursor).transpose()?;
    let rows = actor.reader(&web.app)?.tickets(&f, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = if more { rows.last().map(|t| format!("{}_{}", t.updated_at, t.id)) } else { None };
    Ok(Json(TicketPage { items: rows.iter().map(|t| t.view()).collect(), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", responses((status = 200, body = TicketView), (status = 404)))]
pub async fn show(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
) -> ApiResult<Json<TicketView>> {
    Ok(Json(tickets::get(&web.app, &actor, id(&tid)?).await?.view()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PatchTicket {
    /// 0 to 5 (admins): orders the assignment queue.
    pub priority: Option<i64>,
    pub important: Option<bool>,
}

/// Changes a ticket's priority (admins) or important mark (admins and agents).
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", request_body = PatchTicket, tag = "tickets",
    responses((status = 200, body = TicketView), (status = 403), (status = 422)))]
pub async fn update(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
    JsonBody(b): JsonBody<PatchTicket>,
) -> ApiResult<Json<TicketView>> {
    let tid = id(&tid)?;
    if b.priority.is_none() && b.important.is_none() {
        return Err(ApiError::invalid("priority", "give priority and/or important"));
    }
    // Checked before anything changes: a refused priority leaves `important` as it was.
    if b.priority.is_some() {
        actor.require_admin()?;
    }
    let mut t = tickets::get(&web.app, &actor, tid).await?;
    if let Some(p) = b.priority {
        t = tickets::set_flag(&web.app, &actor, tid, tickets::Flag::Priority(p)).await?;
    }
    if let Some(v) = b.important {
        t = tickets::set_flag(&web.app, &actor, tid, tickets::Flag::Important(v)).await?;
    }
    Ok(Json(t.view()))
}

/// Closes the ticket (admins and agents).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/close", tag = "tickets", responses((status = 200, body = TicketView), (status = 404)))]
pub async fn close(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
) -> ApiResult<Json<TicketView>> {
    Ok(Json(tickets::close(&web.app, &actor, id(&tid)?).await?.view()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MassCloseBody {
    /// 1 to 1000 ticket ids of the organization.
    pub ids: Vec<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MassClosed {
    /// How many of them were open and are now closed.
    pub closed: usize,
}

/// Closes a selection of tickets at once (admins and agents), all or nothing: an unknown id
/// answers 422 naming it and closes none. Each open ticket gets its account's
/// "on automatic close" reply.
#[utoipa::path(post, path = "/api/v1/tickets/mass-close", request_body = MassCloseBody, tag = "tickets",
    responses((status = 200, body = MassClosed), (status = 403), (status = 422)))]
pub async fn mass_close(
    State(web): State<Web>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<MassCloseBody>,
) -> ApiResult<Json<MassClosed>> {
    Ok(Json(MassClosed { closed: tickets::mass_close(&web.app, &actor, &b.ids).await? }))
}

/// Reopens a closed ticket (admins and agents); 409 while the client has another open ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reopen", tag = "tickets", responses((status = 200, body = TicketView), (status = 409)))]
pub async fn reopen(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
) -> ApiResult<Json<TicketView>> {
    Ok(Json(tickets::reopen(&web.app, &actor, id(&tid)?).await?.view()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssignBody {
    /// The user to assign to, or null to release the ticket.
    pub user_id: Option<i64>,
}

/// Assigns the ticket to a user, or releases it with `{"user_id": null}`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", request_body = AssignBody, tag = "tickets",
    responses((status = 200, body = TicketView), (status = 422)))]
pub async fn assign(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
    JsonBody(b): JsonBody<serde_json::Value>,
) -> ApiResult<Json<TicketView>> {
    // `user_id` must be present: absent is a mistake, null is a release.
    let user_id = match b.get("user_id") {
        None => return Err(ApiError::invalid("user_id", "is required (null releases the ticket)")),
        Some(serde_json::Value::Null) => None,
        Some(v) => {
            Some(v.as_i64().ok_or_else(|| ApiError::invalid("user_id", "must be an integer or null"))?)
        }
    };
    Ok(Json(tickets::assign(&web.app, &actor, id(&tid)?, user_id).await?.view()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignmentOut {
    pub user_id: Option<i64>,
    pub previous_user_id: Option<i64>,
    /// The user who made the change; null for automatic rules.
    pub actor_user_id: Option<i64>,
    pub reason: String,
    pub at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignmentList {
    pub items: Vec<AssignmentOut>,
}

/// The ticket's assignment history, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/assignments", tag = "tickets", responses((status = 200, body = AssignmentList)))]
pub async fn assignments(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
) -> ApiResult<Json<AssignmentList>> {
    let t = tickets::get(&web.app, &actor, id(&tid)?).await?;
    let rows = actor.reader(&web.app)?.assignments(t.id).await?;
    let items = rows
        .into_iter()
        .map(|r| AssignmentOut {
            user_id: r.user_id,
            previous_user_id: r.previous_user_id,
            actor_user_id: r.actor_user_id,
            reason: r.reason,
            at: rfc3339(r.at),
        })
        .collect();
    Ok(Json(AssignmentList { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageList {
    pub items: Vec<MessageView>,
    pub next_cursor: Option<String>,
}

/// The ticket's messages, oldest first (pages of `limit`, `cursor` = last id seen).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/messages", tag = "tickets",
    params(("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = MessageList)))]
pub async fn messages(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
    p: Params,
) -> ApiResult<Json<MessageList>> {
    let t = tickets::get(&web.app, &actor, id(&tid)?).await?;
    let limit = match p.i64("limit")? {
        None => 200,
        Some(n) if (1..=500).contains(&n) => n,
        Some(_) => return Err(ApiError::invalid("limit", "must be from 1 to 500")),
    };
    let after = match p.str("cursor") {
        None => 0,
        Some(c) => {
            c.parse().map_err(|_| ApiError::invalid("cursor", "is not a cursor returned by this list"))?
        }
    };
    let rows = actor.reader(&web.app)?.messages(t.id, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = if more { rows.last().map(|m| m.id.to_string()) } else { None };
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut files = actor.reader(&web.app)?.attachments_of(&ids).await?;
    let items = rows
        .iter()
        .map(|m| {
            let mut v = m.view();
            v.attachments = files.extract_if(.., |a| a.message_id == m.id).collect();
            v
        })
        .collect();
    Ok(Json(MessageList { items, next_cursor }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReplyBody {
    /// The reply (ignored with `template`).
    #[serde(default)]
    pub text: String,
    /// WhatsApp: one of the account's approved templates (`{name, language, parameters}`),
    /// the only message WhatsApp takes outside its 24-hour window.
    #[schema(value_type = Option<Object>)]
    pub template: Option<tickets::TemplateChoice>,
    /// Facebook and Instagram: answer the client's latest comment privately, in their inbox
    /// (once per comment, within 7 days of it).
    #[serde(default)]
    pub private: bool,
    /// An internal note: stored on the ticket, never sent to the client.
    #[serde(default)]
    pub note: bool,
    /// Files (email replies and notes): at most 10, each up to `email_max_attachment_bytes`.
    #[serde(default)]
    pub attachments: Vec<FileBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FileBody {
    pub filename: String,
    /// Media type, e.g. `application/pdf`; images and PDF must match their content.
    #[serde(default)]
    pub content_type: String,
    /// The file, base64 (RFC 4648).
    pub data: String,
}

/// Replies as the caller (delivered through the outbox), or adds an internal note.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", request_body = ReplyBody, tag = "tickets",
    responses((status = 201, body = MessageView), (status = 409), (status = 422)))]
pub async fn reply(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(tid): Path<String>,
    JsonBody(b): JsonBody<ReplyBody>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    if b.private && !b.note {
        let m = tickets::reply_private(&web.app, &actor, id(&tid)?, &b.text).await?;
        return Ok((StatusCode::CREATED, Json(m.view())));
    }
    if let Some(choice) = &b.template {
        let m = tickets::reply_template(&web.app, &actor, id(&tid)?, choice).await?;
        return Ok((StatusCode::CREATED, Json(m.view())));
    }
    let mut files = Vec::with_capacity(b.attachments.len());
    for (i, f) in b.attachments.into_iter().enumerate() {
        let data = atiende_core::b64::decode(&f.data)
            .ok_or_else(|| ApiError::invalid(&format!("attachments[{i}].data"), "must be base64"))?;
        files.push(tickets::Upload { filename: f.filename, content_type: f.content_type, data });
    }
    let m = tickets::reply_with_files(&web.app, &actor, id(&tid)?, &b.text, b.note, files).await?;
    Ok((StatusCode::CREATED, Json(m.view())))
}
