//! Atiende's HTTP layer: `/api/v1` with its OpenAPI document, web sessions,
//! the realtime event stream, health and metrics.
#![forbid(unsafe_code)]

pub mod api;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod public_chat;
pub mod ui;
pub mod webhooks;

use atiende_app::App;
use atiende_app::auth::RateLimiter;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// The state of every handler.
#[derive(Clone)]
pub struct Web {
    pub app: App,
    pub limiter: Arc<RateLimiter>,
}

impl Web {
    pub fn new(app: App) -> Self {
        let limiter = Arc::new(RateLimiter::new(app.config.login_max_failures, app.config.login_window));
        Self { app, limiter }
    }
}

/// The whole HTTP application.
pub fn router(web: Web) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(api::auth::routes())
        .merge(webhooks::routes())
        .merge(public_chat::routes())
        .merge(ui::routes(web.app.config.email.max_message_bytes))
        .nest("/api/v1", api::routes(web.app.config.email.max_message_bytes))
        .layer(axum::extract::DefaultBodyLimit::max(extract::MAX_BODY))
        .layer(middleware::from_fn_with_state(web.clone(), count_and_harden))
        .with_state(web)
}

/// The Content-Security-Policy of every page.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    frame-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// Counts requests for the metrics and sets protective headers on every answer.
async fn count_and_harden(State(web): State<Web>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    web.app.metrics.http(resp.status().as_u16());
    let too_large = resp.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let h = resp.headers_mut();
    if too_large {
        // What is left of an oversized body is not read: the connection ends with the answer.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // A page may allow being framed by our own pages (an email's HTML in the ticket view).
    h.entry("x-frame-options").or_insert(HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // Pages run only our own script (no inline script, no handler attributes) and are framed
    // by nobody; answers that set their own policy (an email's HTML, a file) keep it.
    let html =
        h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    }
    resp
}

async fn healthz(State(web): State<Web>) -> Response {
    match web.app.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": web.app.db.backend_name()})),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable"})))
                .into_response()
        }
    }
}

async fn metrics(State(web): State<Web>) -> Response {
    let depth = atiende_app::reads::job_depths(&web.app).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], web.app.metrics.render(&depth)).into_response()
}
