//! Accounts, their agents' modes, and the inbound endpoint of the `api` kind.
use super::id;
use crate::Web;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody};
use atiende_app::accounts;
use atiende_core::{ChannelKind, Role};
use atiende_store::ingest::Outcome;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/accounts", post(create).get(list))
        .route("/accounts/{id}", get(show).patch(update))
        .route("/accounts/{id}/inbound", post(inbound))
        .route("/accounts/{id}/agents", get(agents))
        .route("/accounts/{id}/agents/{user_id}", put(set_agent))
        .route("/accounts/{id}/identity-secret", post(identity_secret))
        .route("/accounts/{id}/chat/logo", put(put_logo).delete(delete_logo))
        .route("/accounts/{id}/whatsapp/templates/sync", post(sync_templates))
        .route("/accounts/{id}/posts", post(publish))
        .route("/assignment/queue", get(queue))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateAccount {
    /// Channel kind; this version accepts `api` and `email`.
    pub kind: String,
    pub name: String,
    /// Settings of the kind; secrets (`webhook_secret`, `password`…) are write-only.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub settings: Value,
}

fn empty_object() -> Value {
    json!({})
}

/// An account. `settings` never contains secrets; `secrets_set` names the ones stored.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountOut {
    pub id: i64,
    pub kind: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub settings: Value,
    pub secrets_set: Vec<String>,
    /// `active`, `needs_reconnection` or `not_validated`.
    pub status: String,
    pub status_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountOut>,
}

fn out(web: &Web, a: &atiende_store::accounts::AccountRow) -> Json<Value> {
    Json(accounts::to_json(&web.app, a))
}

/// Creates an account (admins).
#[utoipa::path(post, path = "/api/v1/accounts", request_body = CreateAccount, tag = "accounts",
    responses((status = 201, body = AccountOut), (status = 422), (status = 403)))]
pub async fn create(
    State(web): State<Web>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<CreateAccount>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let a = accounts::create(&web.app, &actor, &b.kind, &b.name, b.settings).await?;
    Ok((StatusCode::CREATED, out(&web, &a)))
}

/// The organization's accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", responses((status = 200, body = AccountList)))]
pub async fn list(State(web): State<Web>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let rows = actor.reader(&web.app)?.accounts().await?;
    let items: Vec<Value> = rows.iter().map(|a| accounts::to_json(&web.app, a)).collect();
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", responses((status = 200, body = AccountOut), (status = 404)))]
pub async fn show(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<Value>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let a = actor.reader(&web.app)?.account(id(&aid)?).await?;
    Ok(out(&web, &a))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateAccount {
    pub name: Option<String>,
    /// Merged into the current settings (JSON merge patch: `null` removes a key).
    #[schema(value_type = Object)]
    pub settings: Option<Value>,
}

/// Renames an account and/or merges settings (admins).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", request_body = UpdateAccount, tag = "accounts",
    responses((status = 200, body = AccountOut), (status = 422), (status = 404)))]
pub async fn update(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
    JsonBody(b): JsonBody<UpdateAccount>,
) -> ApiResult<Json<Value>> {
    let a = accounts::update(&web.app, &actor, id(&aid)?, b.name.as_deref(), b.settings).await?;
    Ok(out(&web, &a))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct InboundClient {
    /// The client's id in the calling system.
    pub external_id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct InboundBody {
    /// The message's id in the calling system: a repeated id is stored once.
    pub external_id: String,
    pub client: InboundClient,
    pub text: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InboundAccepted {
    pub message_id: i64,
    pub ticket_id: i64,
    /// True when this `external_id` had already been stored.
    pub duplicate: bool,
}

/// Receives a client's message on an `api` account. Answers 202 only once the
/// message is committed; a repeated `external_id` answers 202 and stores nothing new.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/inbound", request_body = InboundBody, tag = "accounts",
    responses((status = 202, body = InboundAccepted), (status = 422), (status = 404)))]
pub async fn inbound(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
    JsonBody(b): JsonBody<InboundBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    actor.require_admin()?;
    let account = accounts::cached(&web.app, actor.org_id, id(&aid)?).await?;
    if account.kind != ChannelKind::Api {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "wrong_kind",
            "only accounts of kind api take inbound messages here",
        )
        .field("id"));
    }
    let msg = atiende_app::channels::api::inbound_message(atiende_app::channels::api::InboundPayload {
        external_id: b.external_id,
        client: atiende_app::channels::api::InboundClient {
            external_id: b.client.external_id,
            name: b.client.name,
        },
        text: b.text,
    })
    .map_err(atiende_app::AppError::from)?;
    let (message_id, ticket_id, duplicate) =
        match atiende_app::inbound::receive(&web.app, &account, msg, false).await? {
            Outcome::Stored { message_id, ticket_id, .. } => (message_id, ticket_id, false),
            Outcome::Duplicate { message_id, ticket_id } => (message_id, ticket_id, true),
        };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"message_id": message_id, "ticket_id": ticket_id, "duplicate": duplicate})),
    ))
}

/// Makes a new identity secret for a chat account (admins): `{secret}`, shown this once; the
/// previous one stops verifying. Logged-in customers of the company's site are signed with it
/// (docs/chat.md, "Signed visitors").
#[utoipa::path(post, path = "/api/v1/accounts/{id}/identity-secret", tag = "accounts",
    responses((status = 201, description = "`{secret}`"), (status = 404), (status = 409, description = "Not a chat account")))]
pub async fn identity_secret(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let secret = atiende_app::channels::chat::new_identity_secret(&web.app, &actor, id(&aid)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"secret": secret}))))
}

/// Sets a chat account's bubble image (admins): the image's bytes as the body (PNG, JPEG,
/// GIF or WebP, recognized by its bytes; at most 256 KB; 16 to 1,000 px a side, 200×200 ideal)
/// → `{logo: {content_type, width, height, bytes, ideal}}`; 422 `logo` when refused.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/chat/logo", tag = "accounts",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, description = "`{logo}`"), (status = 403), (status = 404), (status = 409, description = "Not a chat account"),
        (status = 413, description = "Over 256 KB"), (status = 422, description = "Not an image we take")))]
pub async fn put_logo(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
    body: axum::body::Body,
) -> ApiResult<Json<Value>> {
    let id = id(&aid)?;
    let data = crate::extract::read_body(body, atiende_app::channels::chat::LOGO_BYTES).await?;
    Ok(Json(atiende_app::channels::chat::set_logo(&web.app, &actor, id, Some(data.to_vec())).await?))
}

/// Replaces a WhatsApp account's templates with the approved ones Meta has for its business
/// account (admins): `{templates: n}`; 409 naming why Meta did not give them.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/whatsapp/templates/sync", tag = "accounts",
    responses((status = 200, description = "`{templates}`: how many"), (status = 403), (status = 404), (status = 409, description = "Not WhatsApp, or Meta refused")))]
pub async fn sync_templates(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<Value>> {
    let n = atiende_app::channels::whatsapp::sync_templates(&web.app, &actor, id(&aid)?).await?;
    Ok(Json(json!({"templates": n})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostBody {
    /// The post's text.
    pub message: String,
}

/// Publishes a new post on a Facebook page (admins and agents; admins only when the account's
/// general option `admins_only_posts` is on): 201 `{id}` (Meta's post id); 409 with Meta's
/// reason when it refuses.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/posts", tag = "accounts", request_body = PostBody,
    responses((status = 201, description = "`{id}`"), (status = 403, description = "Only admins publish on this page"), (status = 404), (status = 409, description = "Not a page, or Meta refused"), (status = 422)))]
pub async fn publish(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
    JsonBody(b): JsonBody<PostBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let post = atiende_app::channels::facebook::publish(&web.app, &actor, id(&aid)?, &b.message).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": post}))))
}

/// Removes a chat account's bubble image (admins): `{logo: null}`.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/chat/logo", tag = "accounts",
    responses((status = 200, description = "`{logo: null}`"), (status = 403), (status = 404), (status = 409, description = "Not a chat account")))]
pub async fn delete_logo(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(atiende_app::channels::chat::set_logo(&web.app, &actor, id(&aid)?, None).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AgentModeBody {
    /// `disabled`, `manual` or `auto`.
    pub mode: String,
}

/// Sets an agent's mode on the account (admins).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/agents/{user_id}", request_body = AgentModeBody, tag = "accounts",
    responses((status = 200), (status = 404), (status = 422)))]
pub async fn set_agent(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path((aid, uid)): Path<(String, String)>,
    JsonBody(b): JsonBody<AgentModeBody>,
) -> ApiResult<Json<Value>> {
    let (account_id, user_id) = (id(&aid)?, id(&uid)?);
    let mode = atiende_app::assign::set_mode(&web.app, &actor, account_id, user_id, &b.mode).await?;
    Ok(Json(json!({"account_id": account_id, "user_id": user_id, "mode": mode.as_str()})))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentModeOut {
    pub user_id: i64,
    /// `manual` or `auto` (agents not listed are `disabled`).
    pub mode: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentModeList {
    pub items: Vec<AgentModeOut>,
}

/// The agents enabled on the account and their mode (admins).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/agents", tag = "accounts", responses((status = 200, body = AgentModeList), (status = 404)))]
pub async fn agents(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<AgentModeList>> {
    let account = actor.reader(&web.app)?.account(id(&aid)?).await?;
    let grid = atiende_app::assign::grid(&web.app, &actor).await?;
    Ok(Json(AgentModeList {
        items: grid
            .modes
            .into_iter()
            .filter(|(a, _, _)| *a == account.id)
            .map(|(_, user_id, mode)| AgentModeOut { user_id, mode })
            .collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueOut {
    /// Accounts with tickets waiting for an eligible agent.
    pub items: Vec<QueueItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub account_id: i64,
    pub size: i64,
    pub oldest_queued_at: Option<String>,
}

/// The assignment queue: tickets waiting for an eligible agent, per account (admins).
#[utoipa::path(get, path = "/api/v1/assignment/queue", tag = "accounts", responses((status = 200, body = QueueOut), (status = 403)))]
pub async fn queue(State(web): State<Web>, Auth(actor): Auth) -> ApiResult<Json<QueueOut>> {
    let rows = atiende_app::assign::queue(&web.app, &actor).await?;
    Ok(Json(QueueOut {
        items: rows
            .into_iter()
            .map(|q| QueueItem {
                account_id: q.account_id,
                size: q.size,
                oldest_queued_at: q.oldest_queued_at,
            })
            .collect(),
    }))
}
