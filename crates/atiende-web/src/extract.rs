//! Request extractors: who is asking ([`Auth`]) and validated JSON bodies ([`JsonBody`]).
use crate::Web;
use crate::error::ApiError;
use atiende_app::auth::{self, Actor};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "atiende_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The `Set-Cookie` value for a session (`id`, or empty with `max_age` 0 to end it).
/// `Secure` when the deployment is reached over HTTPS (`public_url`).
pub fn session_cookie(web: &Web, id: &str, max_age: u64) -> String {
    let secure = if web.app.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The authenticated actor: a bearer token, or the session cookie (whose unsafe
/// requests must carry the session's CSRF token in `X-CSRF-Token`).
pub struct Auth(pub Actor);

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

impl FromRequestParts<Web> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, ApiError> {
        if let Some(h) = parts.headers.get(header::AUTHORIZATION) {
            let token = h.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
            if token.is_empty() {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "use Authorization: Bearer TOKEN",
                ));
            }
            let actor = auth::actor_for_token(&web.app, token).await?;
            declared_roles_allow(parts, &actor)?;
            return Ok(Auth(actor));
        }
        let Some(session) = cookie(parts, SESSION_COOKIE) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "log in or use Authorization: Bearer TOKEN",
            ));
        };
        let actor = auth::actor_for_session(&web.app, session).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            let expected = actor.csrf.as_deref().unwrap_or("");
            if expected.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "missing or wrong X-CSRF-Token header",
                ));
            }
        }
        declared_roles_allow(parts, &actor)?;
        Ok(Auth(actor))
    }
}

/// The roles the OpenAPI document declares for the matched operation, checked here — before
/// any body is read — so a caller without them gets 403 whatever they sent. (Handlers check
/// their roles too; operations that also let users act on themselves check that there.)
fn declared_roles_allow(parts: &Parts, actor: &Actor) -> Result<(), ApiError> {
    let Some(path) = parts.extensions.get::<axum::extract::MatchedPath>() else { return Ok(()) };
    let method = parts.method.as_str().to_ascii_lowercase();
    let Some(roles) = crate::openapi::declared_roles(&method, path.as_str()) else { return Ok(()) };
    if roles.is_empty() || roles.iter().any(|r| actor.roles.iter().any(|held| held.as_str() == *r)) {
        return Ok(());
    }
    if crate::openapi::own_allowed(&method, path.as_str()) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("requires the role {}", roles.join(" or ")),
    ))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON body parsed into `T`; errors name the offending field.
pub struct JsonBody<T>(pub T);

/// Largest request body accepted by the API.
pub const MAX_BODY: usize = 1024 * 1024;

/// The client's address: the TCP peer, or — when the peer is one of the deployment's
/// `trusted_proxies` — the nearest address in `X-Forwarded-For` that is not a trusted proxy.
pub fn client_address(web: &Web, headers: &axum::http::HeaderMap, peer: std::net::IpAddr) -> String {
    let proxies = &web.app.config.trusted_proxies;
    if !proxies.contains(peer) {
        return peer.to_string();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    forwarded
        .rsplit(',')
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .find(|ip| !proxies.contains(*ip))
        .unwrap_or(peer)
        .to_string()
}

/// Whether a request was sent by another site's page (login CSRF: a cross-site form that
/// logs the victim's browser into the attacker's account, or out of their own). Browsers
/// say so in `Sec-Fetch-Site`; older ones send `Origin`, compared with the request's host
/// (or the configured public URL). Requests with neither (scripts, curl) are not a browser
/// acting for someone else and pass.
pub fn cross_site(web: &Web, parts: &Parts) -> bool {
    let h = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(site) = h("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = h("origin") else { return false };
    if origin == "null" {
        return true;
    }
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin).trim_end_matches('/');
    let host = h("host").unwrap_or("");
    let public =
        web.app.config.public_url.split_once("://").map(|(_, r)| r).unwrap_or("").trim_end_matches('/');
    !(origin_host.eq_ignore_ascii_case(host)
        || (!public.is_empty() && origin_host.eq_ignore_ascii_case(public)))
}

/// A larger body limit for routes that take files (an extension set by the route).
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

impl<T: DeserializeOwned> FromRequest<Web> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _web: &Web) -> Result<Self, ApiError> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json",
            ));
        }
        let limit = req.extensions().get::<BodyLimit>().map_or(MAX_BODY, |l| l.0);
        let bytes = read_body(req.into_body(), limit).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// How much of a body over its limit is still read (and thrown away) so that the client,
/// still sending, gets to read the 413 instead of a broken pipe; past this, or after
/// [`DRAIN_TIME`], the connection is closed.
pub const DRAIN_MAX: usize = 64 * 1024 * 1024;
pub const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a request body of at most `limit` bytes. A longer one is answered 413 after
/// reading the rest of what the client sends (up to [`DRAIN_MAX`] and [`DRAIN_TIME`]),
/// discarded: most clients only read the answer once they have sent everything.
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body must be at most {limit} bytes"),
        )
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::invalid("body", "could not be read"))?;
        if buf.len() + chunk.len() > limit {
            let mut seen = buf.len() + chunk.len();
            drop(buf);
            let _ = tokio::time::timeout(DRAIN_TIME, async {
                while seen <= DRAIN_MAX {
                    match stream.next().await {
                        Some(Ok(c)) => seen += c.len(),
                        _ => break,
                    }
                }
            })
            .await;
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.into())
}

/// The raw body, of at most the route's [`BodyLimit`] (default [`MAX_BODY`]), read as
/// [`read_body`] does.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let limit = req.extensions().get::<BodyLimit>().map_or(MAX_BODY, |l| l.0);
        read_body(req.into_body(), limit).await.map(RawBody)
    }
}

/// Parses JSON into `T`, mapping syntax errors to 400 and shape errors to 422 with the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", "the body is not valid UTF-8"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    format!("the body is not valid JSON: {inner}"),
                ));
            }
            let msg = inner.to_string();
            // serde reports a missing field at its parent: name the field itself.
            let field = match msg.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
                Some(name) if path == "." => name.to_string(),
                Some(name) => format!("{path}.{name}"),
                None => path,
            };
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            Err(ApiError::invalid(&field, msg))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        text: String,
        client: Inner,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"client": {"name": "a"}}"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.field.as_deref()), (422, Some("text")));
        let e = parse_json::<Body>(br#"{"text": "x", "client": {}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("client.name"));
        let e = parse_json::<Body>(br#"{"text": 5, "client": {"name": "a"}}"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.field.as_deref()), (422, Some("text")));
        assert!(e.message.contains("invalid type"));
        let e = parse_json::<Body>(b"{\"text\": \"\xff\"}").unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = parse_json::<Body>(b"{nope").unwrap_err();
        assert_eq!(e.code, "invalid_json");
    }
}
