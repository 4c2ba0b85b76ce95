//! Held inbound messages: what a listener could not store, kept raw for the admins.
use super::id;
use crate::Web;
use crate::error::ApiResult;
use crate::extract::Auth;
use atiende_app::quarantine as held;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/accounts/{id}/held", get(list))
        .route("/accounts/{id}/held/{held_id}", get(download).delete(delete))
        .route("/accounts/{id}/held/{held_id}/retry", post(retry))
}

/// The account's held messages, newest first: `{items: [{id, account_id, source, reason,
/// size, created_at}]}` (admins).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/held", tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, description = "`{items: [HeldRow]}`"), (status = 404)))]
pub async fn list(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(aid): Path<String>,
) -> ApiResult<Json<Value>> {
    let items = held::list(&web.app, &actor, id(&aid)?).await?;
    Ok(Json(json!({"items": items})))
}

/// The raw message as it was received, as a download (admins).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/held/{held_id}", tag = "accounts",
    params(("id" = i64, Path, description = "Account id"), ("held_id" = i64, Path, description = "Held message id")),
    responses((status = 200, description = "The raw bytes (`message/rfc822` for mail)"), (status = 404)))]
pub async fn download(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path((aid, hid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (row, raw) = held::get(&web.app, &actor, id(&aid)?, id(&hid)?).await?;
    let name = format!("held-{}.eml", row.id);
    Ok(super::email::file_response(&name, "message/rfc822", raw, true))
}

/// Tries a held message again: 204 once stored (it leaves the list); 409 with the reason
/// when it still cannot be stored (it stays, with that reason).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/held/{held_id}/retry", tag = "accounts",
    params(("id" = i64, Path, description = "Account id"), ("held_id" = i64, Path, description = "Held message id")),
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn retry(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path((aid, hid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    held::retry(&web.app, &actor, id(&aid)?, id(&hid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a held message for good (admins).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/held/{held_id}", tag = "accounts",
    params(("id" = i64, Path, description = "Account id"), ("held_id" = i64, Path, description = "Held message id")),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path((aid, hid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    held::delete(&web.app, &actor, id(&aid)?, id(&hid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
