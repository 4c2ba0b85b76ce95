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
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// Largest webhook body taken (platforms send small JSON documents).
pub const MAX_BODY: usize = 1 << 20;

pub fn routes() -> Router<Web> {
    Router::new().route(
        "/webhooks/{kind}/{id}",
        post(receive).layer(axum::Extension(crate::extract::BodyLimit(MAX_BODY))),
    )
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
