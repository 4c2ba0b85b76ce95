//! The public chat client API (SPEC §11.2), what the widget on a company's site uses:
//! `/public/v1/chat/{token}/visitors`, `…/messages` and the `…/ws` WebSocket. A request whose
//! `Origin` is not the account's `domain` is refused (403); allowed origins get the CORS
//! headers the browser needs. Use cases in `atiende_app::channels::chat`.
use crate::Web;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, parse_json};
use atiende_app::channels::chat;
use atiende_app::channels::chat::hub::Signal;
use atiende_store::accounts::AccountRow;
use atiende_store::chat::VisitorRow;
use atiende_store::ingest::Outcome;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Largest frame a visitor's socket takes (it only carries pings and acknowledgements).
const MAX_FRAME: usize = 4096;
/// Bytes a visitor's socket reads into at first.
const READ_BUFFER: usize = 256;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/public/v1/chat/{token}/visitors", post(new_visitor).options(preflight))
        .route("/public/v1/chat/{token}/messages", post(send).get(list).options(preflight))
        .route("/public/v1/chat/{token}/ws", get(ws))
        .route("/public/v1/chat/{token}/config", get(config).options(preflight))
        .route("/public/v1/chat/{token}/contact", post(contact).options(preflight))
        .route("/public/v1/chat/{token}/files", post(send_file).options(preflight))
        .route("/public/v1/chat/{token}/attachments/{id}", get(download).options(preflight))
        .layer(axum::middleware::from_fn(cors))
        .route("/public/v1/chat/{token}/login/{provider}", get(login_start))
        .route("/public/v1/chat/login/callback", get(login_callback))
        .route("/public/v1/chat/{token}/logo", get(logo))
        .route("/widget/atiende.js", get(widget))
        .route("/widget/login.js", get(login_script))
}

/// The widget script (`static/widget.js`): cached by browsers, revalidated by its ETag.
const WIDGET: &str = include_str!("../static/widget.js");

async fn widget(headers: HeaderMap) -> Response {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let etag = ETAG.get_or_init(|| format!("\"{}\"", &atiende_app::auth::secret_hash(WIDGET)[..16])).clone();
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
    let common = [
        (header::CACHE_CONTROL, "public, max-age=300".to_string()),
        (header::ETAG, etag),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (common, [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], WIDGET).into_response()
}

/// What the widget shows and asks (the account's options; no secrets, no domain).
async fn config(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let a = account(&web, &token, &headers).await?;
    Ok(Json(chat::widget_config(&web.app, &a).await?).into_response())
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// The account of the token, when the request's origin may use it.
async fn account(web: &Web, token: &str, headers: &HeaderMap) -> Result<AccountRow, ApiError> {
    let a = chat::widget(&web.app, token).await?;
    if !chat::origin_allowed(&a, origin(headers)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            "this page's origin is not the chat's domain",
        ));
    }
    Ok(a)
}

/// Every answer of the chat API may be read by the page that asked (errors included, so the
/// widget can show them): what a page of another site may do is refused by the origin check
/// itself (403), not by hiding the answer.
async fn cors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let origin = origin(req.headers()).and_then(|o| HeaderValue::from_str(o).ok());
    let mut resp = next.run(req).await;
    if let Some(o) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    resp
}

async fn visitor(web: &Web, account: &AccountRow, headers: &HeaderMap) -> Result<VisitorRow, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim();
    Ok(chat::visitor(&web.app, account, token).await?)
}

/// The browser's preflight before a cross-origin POST with JSON or a token.
async fn preflight(
    State(web): State<Web>,
    Path(params): Path<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = params.get("token").map(String::as_str).unwrap_or("");
    account(&web, token, &headers).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    Ok(resp)
}

/// Starts a visitor: `{name?, email?, rut?, phone?, page_url?, identity?: {id, email?, name?,
/// signature}}` → 201 `{visitor_token, visitor_id}`
/// (422 naming a field the account requires or that is not valid; 403 from another origin).
#[utoipa::path(post, path = "/public/v1/chat/{token}/visitors", tag = "chat",
    params(("token" = String, Path, description = "The widget's token (`settings.token` of the chat account)")),
    responses((status = 201, description = "`{visitor_token, visitor_id}`"), (status = 403, description = "`forbidden_origin`")))]
pub async fn new_visitor(
    State(web): State<Web>,
    Path(token): Path<String>,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let a = account(&web, &token, &parts.headers).await?;
    let body = crate::extract::read_body(body, crate::extract::MAX_BODY).await?;
    let input: chat::NewVisitor = if body.is_empty() { Default::default() } else { parse_json(&body)? };
    let address = address(&web, &parts);
    let agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let (v, secret) = chat::new_visitor(&web.app, &a, &address, agent, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({"visitor_token": secret, "visitor_id": v.id}))).into_response())
}

/// 202 `{id, duplicate}` for a visitor's message (a repeated `client_message_id` is the same).
fn accepted(o: Outcome) -> Response {
    let (id, duplicate) = match o {
        Outcome::Stored { message_id, .. } => (message_id, false),
        Outcome::Duplicate { message_id, .. } => (message_id, true),
    };
    (StatusCode::ACCEPTED, Json(json!({"id": id, "duplicate": duplicate}))).into_response()
}

/// The address a request came from (behind the configured proxies), for rate limits.
fn address(web: &Web, parts: &axum::http::request::Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|p| crate::extract::client_address(web, &parts.headers, p.0.ip()))
        .unwrap_or_else(|| "unknown".into())
}

/// The contact form, when no agent is online: `{client_message_id, name?, email, text}` →
/// 202 once taken (into the chat's email account as a ticket, or mailed to its address);
/// 409 when the chat has no contact form; 422 naming a wrong field.
#[utoipa::path(post, path = "/public/v1/chat/{token}/contact", tag = "chat",
    params(("token" = String, Path, description = "The widget's token")),
    responses((status = 202, description = "Taken"), (status = 403, description = "`forbidden_origin`"), (status = 409, description = "The chat has no contact form")))]
pub async fn contact(
    State(web): State<Web>,
    Path(token): Path<String>,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let a = account(&web, &token, &parts.headers).await?;
    let body = crate::extract::read_body(body, crate::extract::MAX_BODY).await?;
    let form: chat::ContactForm = parse_json(&body)?;
    chat::contact(&web.app, &a, &address(&web, &parts), &form).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"ok": true}))).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendBody {
    /// The widget's own id of the message (1–100 characters): a retry with the same id is
    /// stored once.
    pub client_message_id: String,
    /// Plain text, up to 10,000 characters (shown as text, never as markup).
    pub text: String,
}

/// A visitor's message (`Authorization: Bearer VISITOR_TOKEN`, `{client_message_id, text}`):
/// 202 `{id, duplicate}` once stored; the same `client_message_id` again is the same message.
#[utoipa::path(post, path = "/public/v1/chat/{token}/messages", tag = "chat", request_body = SendBody,
    params(("token" = String, Path, description = "The widget's token")),
    responses((status = 202, description = "`{id, duplicate}`"), (status = 401, description = "No or a wrong visitor token"), (status = 403, description = "`forbidden_origin`")))]
pub async fn send(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<SendBody>,
) -> ApiResult<Response> {
    let a = account(&web, &token, &headers).await?;
    let v = visitor(&web, &a, &headers).await?;
    Ok(accepted(chat::post(&web.app, &a, &v, &b.client_message_id, &b.text).await?))
}

#[derive(Deserialize)]
pub struct FileQuery {
    #[serde(default)]
    client_message_id: String,
    #[serde(default)]
    filename: String,
}

/// A visitor's file: the bytes as the body, its type in `Content-Type`,
/// `?client_message_id=…&filename=…` → 202 `{id, duplicate}` (at most 1 MB: 413 over it;
/// 422 naming `filename`, `content_type` or `data` when refused).
#[utoipa::path(post, path = "/public/v1/chat/{token}/files", tag = "chat",
    params(("token" = String, Path, description = "The widget's token"),
        ("client_message_id" = String, Query, description = "The widget's own id of the message"),
        ("filename" = String, Query, description = "The file's name")),
    responses((status = 202, description = "`{id, duplicate}`"), (status = 401, description = "No or a wrong visitor token"), (status = 403, description = "`forbidden_origin`")))]
pub async fn send_file(
    State(web): State<Web>,
    Path(token): Path<String>,
    Query(q): Query<FileQuery>,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let a = account(&web, &token, &parts.headers).await?;
    let v = visitor(&web, &a, &parts.headers).await?;
    let data = crate::extract::read_body(body, chat::VISITOR_FILE_BYTES).await?;
    let content_type =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let upload = atiende_app::tickets::Upload { filename: q.filename, content_type, data: data.to_vec() };
    Ok(accepted(chat::post_file(&web.app, &a, &v, &q.client_message_id, upload).await?))
}

/// A file of the visitor's conversation (theirs or an agent's), as a download.
#[utoipa::path(get, path = "/public/v1/chat/{token}/attachments/{id}", tag = "chat",
    params(("token" = String, Path, description = "The widget's token"), ("id" = i64, Path, description = "The attachment's id")),
    responses((status = 200, description = "The file"), (status = 401, description = "No or a wrong visitor token"), (status = 404, description = "Not a file of this conversation")))]
pub async fn download(
    State(web): State<Web>,
    Path((token, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let a = account(&web, &token, &headers).await?;
    let v = visitor(&web, &a, &headers).await?;
    let id = id.parse::<i64>().map_err(|_| ApiError::invalid("id", "must be an attachment id"))?;
    let (info, data) = chat::file(&web.app, &v, id).await?;
    Ok(crate::api::email::file_response(&info.filename, &info.content_type, data, false))
}

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    visitor_token: Option<String>,
    #[serde(default)]
    wait: Option<String>,
}

fn after_id(q: &After) -> Result<i64, ApiError> {
    match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => Ok(0),
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| ApiError::invalid("after", "must be a message id")),
    }
}

/// The visitor's conversation, oldest first: `{items: [{type, id, author_kind, text, created_at}]}`
/// (`after`: a message id, for what came after it). With `wait` (1–30 s) and nothing after
/// `after`, the answer waits for the next message of the conversation — the long-poll the
/// widget falls back to when WebSockets are blocked.
#[utoipa::path(get, path = "/public/v1/chat/{token}/messages", tag = "chat",
    params(("token" = String, Path, description = "The widget's token"), ("after" = Option<i64>, Query, description = "Only messages after this id"),
        ("wait" = Option<u64>, Query, description = "Seconds (1–30) to wait for a message when there is none yet")),
    responses((status = 200, description = "`{items: [{type, id, author_kind, text, created_at}]}`"), (status = 401, description = "No or a wrong visitor token"), (status = 403, description = "`forbidden_origin`")))]
pub async fn list(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> ApiResult<Response> {
    let a = account(&web, &token, &headers).await?;
    let v = visitor(&web, &a, &headers).await?;
    let mut authors = chat::Authors::new(&web.app, &a).await?;
    let after = after_id(&q)?;
    let wait = match q.wait.as_deref().filter(|w| !w.is_empty()) {
        None => 0,
        Some(w) => w
            .parse::<u64>()
            .ok()
            .filter(|w| *w <= 30)
            .ok_or_else(|| ApiError::invalid("wait", "must be 0 to 30 seconds"))?,
    };
    let mut items = chat::messages(&web.app, &v, &mut authors, after, 500).await?;
    if items.is_empty() && wait > 0 {
        // Join the hub, then read again (what committed in between is read), then wait.
        let app = &web.app;
        let mut member = app.chat_hub.join(app, v.account_id, v.id).await?;
        let (client, tickets) =
            atiende_store::chat::tickets(&app.db, &v).await.map_err(atiende_app::AppError::from)?;
        member.track(client, &tickets);
        items = chat::messages(app, &v, &mut authors, after, 500).await?;
        if items.is_empty() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(wait), member.rx.recv()).await;
            items = chat::messages(app, &v, &mut authors, after, 500).await?;
        }
    }
    Ok(Json(json!({"items": items})).into_response())
}

/// The visitor's live socket: first what came after `after` (a message id; resuming after a
/// dropped connection), then each new message of the conversation as it is committed.
async fn ws(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(q): Query<After>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let a = account(&web, &token, &headers).await?;
    let v = chat::visitor(&web.app, &a, q.visitor_token.as_deref().unwrap_or("")).await?;
    let after = after_id(&q)?;
    // Small buffers: a visitor's socket carries short frames, and thousands are held open
    // (tungstenite's defaults are 128 KiB each way).
    let upgrade = upgrade
        .max_frame_size(MAX_FRAME)
        .max_message_size(MAX_FRAME)
        // The read buffer starts small and grows for the rare larger frame (a signal is a
        // few dozen bytes).
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20);
    Ok(upgrade.on_upgrade(move |socket| async move {
        if let Err(e) = session(web, a, v, after, socket).await {
            tracing::debug!(error = %e, "chat socket ended");
        }
    }))
}

/// An error frame for a refused signal (the connection stays).
fn error_frame(e: atiende_app::AppError) -> Value {
    match e {
        atiende_app::AppError::Invalid(v) => {
            json!({"type": "error", "code": "invalid", "field": v.field, "message": v.message})
        }
        other => json!({"type": "error", "code": "failed", "message": other.to_string()}),
    }
}

async fn session(
    web: Web,
    account: AccountRow,
    v: VisitorRow,
    after: i64,
    mut socket: WebSocket,
) -> Result<(), String> {
    let app = &web.app;
    let mut authors = chat::Authors::new(app, &account).await.map_err(|e| e.to_string())?;
    // Thousands of sockets are held: keep nothing the loop does not need, and box the
    // occasional work so the waiting socket's state stays small.
    drop(account);
    // Join the node's hub before reading what is stored, so nothing falls between the two.
    let mut member = app.chat_hub.join(app, v.account_id, v.id).await.map_err(|e| e.to_string())?;
    let (client, tickets) = atiende_store::chat::tickets(&app.db, &v).await.map_err(|e| e.to_string())?;
    member.track(client, &tickets);
    let mut sent: HashSet<i64> = HashSet::new();
    let send = |m: &Value| Message::Text(m.to_string().into());
    for m in Box::pin(chat::messages(app, &v, &mut authors, after, 500)).await.map_err(|e| e.to_string())? {
        sent.insert(m["id"].as_i64().unwrap_or(0));
        socket.send(send(&m)).await.map_err(|e| e.to_string())?;
    }
    loop {
        tokio::select! {
            signal = member.rx.recv() => match signal {
                Some(Signal::Event(e)) => {
                    let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
                    if p["message"]["author_kind"].as_str() == Some("note") {
                        continue;
                    }
                    let id = p["message"]["id"].as_i64().unwrap_or(0);
                    if id <= after || !sent.insert(id) {
                        continue;
                    }
                    let m = Box::pin(chat::pushed_message(app, &v, &mut authors, &p)).await.map_err(|e| e.to_string())?;
                    socket.send(send(&m)).await.map_err(|e| e.to_string())?;
                }
                Some(Signal::Resync) => {
                    // The node's stream lagged: what was missed comes from the store.
                    for m in Box::pin(chat::messages(app, &v, &mut authors, after, 500)).await.map_err(|e| e.to_string())? {
                        if sent.insert(m["id"].as_i64().unwrap_or(0)) {
                            socket.send(send(&m)).await.map_err(|e| e.to_string())?;
                        }
                    }
                }
                None => {
                    // Too far behind, or the node stops: the widget reconnects and resumes.
                    let _ = socket.send(Message::Close(None)).await;
                    return Ok(());
                }
            },
            frame = socket.recv() => match frame {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(Message::Text(t))) => {
                    // Messages are written with POST …/messages; the socket takes signals.
                    let frame = serde_json::from_str::<Value>(&t).unwrap_or(Value::Null);
                    let answer = match frame["type"].as_str() {
                        Some("ping") => Some(json!({"type": "pong"})),
                        Some("typing") => Box::pin(chat::typing(app, &v)).await.err().map(error_frame),
                        Some("seen") => match frame["id"].as_i64() {
                            Some(id) => Box::pin(chat::seen(app, &v, id)).await.err().map(error_frame),
                            None => Some(json!({"type": "error", "code": "invalid", "field": "id", "message": "must be a message id"})),
                        },
                        _ => Some(json!({"type": "error", "code": "unknown_frame",
                            "message": "this socket takes {\"type\": \"ping\" | \"typing\" | \"seen\"}; send messages with POST …/messages"})),
                    };
                    if let Some(a) = answer {
                        socket.send(send(&a)).await.map_err(|e| e.to_string())?;
                    }
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

/// The script of the login window's last page: hands the result to the widget that opened
/// it (only to the page's origin) and closes.
const LOGIN_JS: &str = "(function(){var d=document.getElementById('atiende-login').dataset;\
var w=window.opener;if(w&&d.origin){w.postMessage({type:'atiende:login',visitor_token:d.token||null,\
error:d.error||null,field:d.field||null,cancelled:d.cancelled==='1'},d.origin);if(!d.error||d.cancelled==='1')window.close();}})();";

async fn login_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        LOGIN_JS,
    )
        .into_response()
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// What the login window shows last (and hands to the widget through `login.js`).
struct LoginPage<'a> {
    origin: Option<&'a str>,
    token: Option<&'a str>,
    error: Option<&'a str>,
    field: Option<&'a str>,
    cancelled: bool,
}

fn login_page(headers: &HeaderMap, status: StatusCode, p: LoginPage<'_>) -> Response {
    let en = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l.trim().to_ascii_lowercase().starts_with("en"));
    let (title, text) = match (p.token.is_some(), p.cancelled, en) {
        (true, _, false) => ("Sesión iniciada", "Ya puedes volver al chat. Esta ventana se cierra sola."),
        (true, _, true) => ("Logged in", "You can go back to the chat. This window closes by itself."),
        (false, true, false) => ("Inicio de sesión cancelado", "Puedes cerrar esta ventana."),
        (false, true, true) => ("Login cancelled", "You can close this window."),
        (false, false, false) => {
            ("No se pudo iniciar sesión", "Cierra esta ventana e inténtalo de nuevo desde el chat.")
        }
        (false, false, true) => ("The login did not work", "Close this window and try again from the chat."),
    };
    let attr = |k: &str, v: Option<&str>| v.map(|v| format!(" data-{k}=\"{}\"", esc(v))).unwrap_or_default();
    let detail = match (p.error, p.cancelled) {
        (Some(e), false) => format!("<p class=\"detail\">{}</p>", esc(e)),
        _ => String::new(),
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{title}</title><style>body{{font:16px system-ui,sans-serif;\
         margin:3rem auto;max-width:28rem;padding:0 1rem;color:#1f2328}}.detail{{color:#59636e;font-size:14px}}</style>\
         </head><body><h1>{title}</h1><p>{text}</p>{detail}<div id=\"atiende-login\"{o}{t}{e}{f}{c}></div>\
         <script src=\"/widget/login.js\"></script></body></html>",
        lang = if en { "en" } else { "es" },
        o = attr("origin", p.origin),
        t = attr("token", p.token),
        e = attr("error", p.error),
        f = attr("field", p.field),
        c = attr("cancelled", p.cancelled.then_some("1")),
    );
    let mut resp = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    );
    resp
}

#[utoipa::path(get, path = "/public/v1/chat/{token}/login/{provider}", tag = "chat",
    params(("token" = String, Path, description = "The widget's token"), ("provider" = String, Path, description = "`google` or `facebook`"),
        ("origin" = String, Query, description = "The page's origin, where the visitor token is handed back (the chat's domain)"),
        ("page_url" = Option<String>, Query, description = "The page the widget runs on"),
        ("rut" = Option<String>, Query, description = "When the chat asks for it"), ("phone" = Option<String>, Query, description = "When the chat asks for it")),
    responses((status = 302, description = "To the provider's login"), (status = 403, description = "Another origin"), (status = 404, description = "The chat does not offer this provider")))]
/// A login button's window: `GET /public/v1/chat/{token}/login/{google|facebook}?origin=…
/// &page_url=…&rut=…&phone=…` → 302 to the provider (or a page saying why not, handed to the
/// widget when the origin is the chat's).
pub async fn login_start(
    State(web): State<Web>,
    Path((token, provider)): Path<(String, String)>,
    Query(start): Query<chat::login::Start>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let a = match chat::widget(&web.app, &token).await {
        Ok(a) => a,
        Err(_) => {
            return login_page(
                &parts.headers,
                StatusCode::NOT_FOUND,
                LoginPage {
                    origin: None,
                    token: None,
                    error: Some("no such chat"),
                    field: None,
                    cancelled: false,
                },
            );
        }
    };
    let agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    match chat::login::begin(&web.app, &a, &provider, &start, &address(&web, &parts), agent).await {
        Ok(url) => {
            let mut resp = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(&url) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => {
            let origin =
                chat::origin_allowed(&a, Some(start.origin.as_str())).then_some(start.origin.as_str());
            let api = ApiError::from(e);
            login_page(
                &parts.headers,
                api.status,
                LoginPage {
                    origin,
                    token: None,
                    error: Some(&api.message),
                    field: api.field.as_deref(),
                    cancelled: false,
                },
            )
        }
    }
}

#[utoipa::path(get, path = "/public/v1/chat/login/callback", tag = "chat",
    params(("state" = String, Query, description = "The login's state"), ("code" = Option<String>, Query, description = "The authorization code"),
        ("error" = Option<String>, Query, description = "The provider's error (`access_denied` when the visitor cancelled)")),
    responses((status = 200, description = "A page that hands `{type: \"atiende:login\", visitor_token}` to the widget (postMessage) and closes"),
        (status = 400, description = "A page saying the login failed")))]
/// Where the providers send the login window back: `?state=…&code=…` (or `error=…`).
pub async fn login_callback(
    State(web): State<Web>,
    Query(cb): Query<chat::login::Callback>,
    headers: HeaderMap,
) -> Response {
    match chat::login::finish(&web.app, &cb).await {
        Ok((token, origin)) => login_page(
            &headers,
            StatusCode::OK,
            LoginPage {
                origin: Some(&origin),
                token: Some(&token),
                error: None,
                field: None,
                cancelled: false,
            },
        ),
        Err(f) => {
            if !f.cancelled {
                tracing::warn!(reason = %f.reason, "chat social login failed");
            }
            let shown = if f.cancelled { "cancelled" } else { "the login could not be completed" };
            login_page(
                &headers,
                if f.cancelled { StatusCode::OK } else { StatusCode::BAD_REQUEST },
                LoginPage {
                    origin: f.origin.as_deref(),
                    token: None,
                    error: Some(shown),
                    field: None,
                    cancelled: f.cancelled,
                },
            )
        }
    }
}

#[utoipa::path(get, path = "/public/v1/chat/{token}/logo", tag = "chat",
    params(("token" = String, Path, description = "The widget's token")),
    responses((status = 200, description = "The image"), (status = 304, description = "Unchanged (ETag)"), (status = 404, description = "No image")))]
/// The chat's bubble image (public: it is shown on the company's site), cached by its hash.
pub async fn logo(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let a = chat::widget(&web.app, &token).await?;
    let l = chat::logo(&web.app, &a).await?.ok_or(ApiError::not_found())?;
    let etag = format!("\"{}\"", l.etag);
    let common = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "public, max-age=86400".to_string()),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
    ];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let mut resp = (common, [(header::CONTENT_TYPE, l.content_type)], l.data).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(resp)
}
