//! Web sessions: log in with email and password, log out.
use crate::Web;
use crate::error::{ApiError, ApiResult};
use crate::extract::{SESSION_COOKIE, cookie, parse_json};
use atiende_app::auth;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub fn routes() -> Router<Web> {
    Router::new().route("/auth/login", post(login)).route("/auth/logout", post(logout))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// The organization's name, when the address and password open several (answered 409
    /// `choose_organization` without it).
    #[serde(default)]
    pub organization: Option<String>,
}

/// Logs in (JSON or form body); sets the session cookie and returns the CSRF token
/// that every unsafe request made with the cookie must send as `X-CSRF-Token`.
#[utoipa::path(post, path = "/auth/login", request_body = LoginBody, tag = "auth",
    responses((status = 200, description = "logged in"), (status = 401), (status = 409, description = "`choose_organization`: the address and password open several organizations, named in the message"), (status = 429)))]
pub async fn login(State(web): State<Web>, req: Request) -> ApiResult<Response> {
    let (mut parts, body) = req.into_parts();
    if crate::extract::cross_site(&web, &parts) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "log in from Atiende's own page"));
    }
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &web)
        .await
        .map(|c| crate::extract::client_address(&web, &parts.headers, c.0.ip()))
        .unwrap_or_else(|_| "unknown".into());
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .starts_with("application/x-www-form-urlencoded");
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "body too large"))?;
    let b: LoginBody = if form {
        serde_urlencoded::from_bytes::<LoginBody>(&bytes)
            .map_err(|e| ApiError::invalid("email", e.to_string()))?
    } else {
        parse_json(&bytes)?
    };
    let s =
        auth::login(&web.app, &web.limiter, &peer, &b.email, &b.password, b.organization.as_deref()).await?;
    let cookie = crate::extract::session_cookie(&web, &s.id, web.app.config.session_ttl.as_secs());
    let body = json!({"user": super::users::UserOut::from(&s.user), "csrf_token": s.csrf});
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Ends the session; the last session of a user sets them Offline.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(web): State<Web>, req: Request) -> ApiResult<Response> {
    let (parts, _) = req.into_parts();
    if crate::extract::cross_site(&web, &parts) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "log out from Atiende's own page"));
    }
    if let Some(id) = cookie(&parts, SESSION_COOKIE) {
        auth::logout(&web.app, id).await?;
    }
    let clear = crate::extract::session_cookie(&web, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}
