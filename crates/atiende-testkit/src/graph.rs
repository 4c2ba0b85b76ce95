//! A local stand-in for Meta's Graph API as the WhatsApp Cloud API documents it: the send
//! endpoint (`POST /{version}/{phone-number-id}/messages`, answering
//! `{messaging_product, contacts, messages: [{id: "wamid…"}]}`), the media endpoint
//! (`GET /{version}/{media-id}` → `{url, mime_type, sha256, file_size, id}`, then the file at
//! that URL, both only with the Bearer token), and Graph error bodies
//! (`{"error": {message, type, code, error_subcode, error_data, fbtrace_id}}`) on demand.
//! Plus [`sign`]: a webhook body signed as Meta signs it.
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// An error the next send answers with: HTTP status, code, subcode, extra headers.
#[derive(Debug, Clone)]
pub struct GraphFailure {
    pub status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub retry_after: Option<u64>,
}

#[derive(Default)]
struct Inner {
    token: String,
    sent: Vec<(String, Value)>,
    failures: VecDeque<GraphFailure>,
    media: HashMap<String, (String, Vec<u8>)>,
    templates: Vec<Value>,
    profiles: HashMap<String, Value>,
    posts: HashMap<String, (Value, Vec<Value>)>,
    next: u64,
}

#[derive(Clone)]
pub struct FakeGraph {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

/// `X-Hub-Signature-256` of a body under the app secret.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(app_secret.as_bytes()).expect("any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl FakeGraph {
    /// Starts one on loopback that takes `token` as the Bearer token.
    pub async fn start(token: &str) -> FakeGraph {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Mutex::new(Inner { token: token.into(), ..Default::default() }));
        let g = FakeGraph { url, inner };
        let app = Router::new()
            .route("/{version}/{node}/messages", post(send))
            .route("/{version}/{node}/message_templates", get(templates))
            .route("/{version}/{node}/comments", post(comment).get(comments))
            .route("/{version}/{node}/replies", post(comment))
            .route("/{version}/{node}/feed", post(comment))
            .route("/{version}/{node}/media", post(upload))
            .route("/{version}/{node}/mentions", post(comment))
            .route("/{version}/{node}", get(media_info))
            .route("/files/{id}", get(file))
            .with_state(g.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        g
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token it accepts from now on (an admin reconnected the account).
    pub fn set_token(&self, token: &str) {
        self.lock().token = token.into();
    }

    /// The next sends answer these errors, in order.
    pub fn fail_next(&self, f: GraphFailure) {
        self.lock().failures.push_back(f);
    }

    /// A file the media endpoint serves under `id`.
    pub fn media(&self, id: &str, mime: &str, data: &[u8]) {
        self.lock().media.insert(id.into(), (mime.into(), data.to_vec()));
    }

    /// A post (`GET /{version}/{post}`) and its comments (`GET /{version}/{post}/comments`,
    /// two per page).
    pub fn post(&self, id: &str, head: Value, comments: Vec<Value>) {
        self.lock().posts.insert(id.into(), (head, comments));
    }

    /// What the profile lookup (`GET /{version}/{person}?fields=…`) answers for a person.
    pub fn profile(&self, person: &str, profile: Value) {
        self.lock().profiles.insert(person.into(), profile);
    }

    /// The business account's templates, as Meta lists them (served two per page).
    pub fn templates(&self, list: Vec<Value>) {
        self.lock().templates = list;
    }

    /// Every accepted send: (phone number id, body).
    pub fn sent(&self) -> Vec<(String, Value)> {
        self.lock().sent.clone()
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let want = format!("Bearer {}", self.lock().token);
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(want.as_str())
    }
}

fn graph_error(f: &GraphFailure) -> Response {
    let mut e =
        json!({"message": f.message, "type": "OAuthException", "code": f.code, "fbtrace_id": "AbCdEfGh123"});
    if let Some(s) = f.subcode {
        e["error_subcode"] = json!(s);
    }
    if f.code >= 130000 {
        e["error_data"] = json!({"messaging_product": "whatsapp", "details": f.message});
    }
    let mut resp =
        (StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST), axum::Json(json!({"error": e})))
            .into_response();
    if let Some(s) = f.retry_after
        && let Ok(v) = s.to_string().parse()
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn expired() -> GraphFailure {
    GraphFailure {
        status: 401,
        code: 190,
        subcode: Some(463),
        message: "Error validating access token: Session has expired.".into(),
        retry_after: None,
    }
}

async fn send(
    State(g): State<FakeGraph>,
    Path((_v, node)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !g.authorized(&headers) {
        return graph_error(&expired());
    }
    if let Some(f) = g.lock().failures.pop_front() {
        return graph_error(&f);
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: None,
            message: "Invalid parameter".into(),
            retry_after: None,
        });
    };
    // The Send API (Messenger, Instagram): `{recipient: {id} | {comment_id}, messaging_type, message}`.
    if v.get("recipient").is_some() {
        let ok_type = match v["messaging_type"].as_str() {
            None => v["recipient"]["comment_id"].is_string(),
            Some("RESPONSE" | "UPDATE") => true,
            Some("MESSAGE_TAG") => v["tag"].is_string(),
            Some(_) => false,
        };
        if !ok_type || v["message"]["text"].as_str().is_none_or(str::is_empty) {
            return graph_error(&GraphFailure {
                status: 400,
                code: 100,
                subcode: None,
                message: "(#100) Invalid parameter".into(),
                retry_after: None,
            });
        }
        let mut i = g.lock();
        i.next += 1;
        let id = format!("m_FAKE{:06}", i.next);
        let recipient = v["recipient"]["id"].clone();
        i.sent.push((node, v));
        return axum::Json(json!({"recipient_id": recipient, "message_id": id})).into_response();
    }
    if v["messaging_product"] != "whatsapp"
        || v["to"].as_str().is_none_or(str::is_empty)
        || v["type"].as_str().is_none()
    {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: None,
            message: "(#100) Invalid parameter".into(),
            retry_after: None,
        });
    }
    let to = v["to"].as_str().unwrap_or("").to_string();
    let mut i = g.lock();
    i.next += 1;
    let id = format!("wamid.FAKE{:06}", i.next);
    i.sent.push((node, v));
    axum::Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": id}]}))
        .into_response()
}

async fn media_info(
    State(g): State<FakeGraph>,
    Path((_v, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !g.authorized(&headers) {
        return graph_error(&expired());
    }
    if let Some(p) = g.lock().profiles.get(&id).cloned() {
        return axum::Json(p).into_response();
    }
    if let Some((head, _)) = g.lock().posts.get(&id).cloned() {
        return axum::Json(head).into_response();
    }
    let Some((mime, data)) = g.lock().media.get(&id).cloned() else {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: Some(33),
            message: "Unsupported get request.".into(),
            retry_after: None,
        });
    };
    let sha = {
        use sha2::Digest;
        atiende_core::b64::encode(&sha2::Sha256::digest(&data))
    };
    axum::Json(
        json!({"messaging_product": "whatsapp", "url": format!("{}/files/{id}", g.url), "mime_type": mime,
        "sha256": sha, "file_size": data.len().to_string(), "id": id}),
    )
    .into_response()
}

async fn file(State(g): State<FakeGraph>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !g.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match g.lock().media.get(&id).cloned() {
        Some((mime, data)) => ([(header::CONTENT_TYPE, mime)], data).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn templates(
    State(g): State<FakeGraph>,
    Path((version, node)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !g.authorized(&headers) {
        return graph_error(&expired());
    }
    let all = g.lock().templates.clone();
    let from: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = all.iter().skip(from).take(2).cloned().collect();
    let mut paging = json!({"cursors": {"before": from.to_string(), "after": (from + 2).to_string()}});
    if from + 2 < all.len() {
        paging["next"] =
            json!(format!("{}/{version}/{node}/message_templates?limit=2&after={}", g.url, from + 2));
    }
    axum::Json(json!({"data": page, "paging": paging})).into_response()
}

/// A reply under a comment (`POST /{comment-id}/comments` on Facebook, `/replies` on
/// Instagram): `{message}` → `{id}`.
async fn comment(
    State(g): State<FakeGraph>,
    Path((_v, node)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !g.authorized(&headers) {
        return graph_error(&expired());
    }
    if let Some(f) = g.lock().failures.pop_front() {
        return graph_error(&f);
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if v["message"].as_str().is_none_or(str::is_empty) {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: None,
            message: "(#100) The message is required".into(),
            retry_after: None,
        });
    }
    let mut i = g.lock();
    i.next += 1;
    let id = format!("{node}_REPLY{:06}", i.next);
    let edge = uri.path().rsplit('/').next().unwrap_or("comments").to_string();
    i.sent.push((format!("{node}/{edge}"), v));
    axum::Json(json!({"id": id})).into_response()
}

async fn comments(
    State(g): State<FakeGraph>,
    Path((version, node)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !g.authorized(&headers) {
        return graph_error(&expired());
    }
    let Some((_, all)) = g.lock().posts.get(&node).cloned() else {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: Some(33),
            message: "Unsupported get request.".into(),
            retry_after: None,
        });
    };
    let from: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = all.iter().skip(from).take(2).cloned().collect();
    let mut paging = json!({"cursors": {"before": from.to_string(), "after": (from + 2).to_string()}});
    if from + 2 < all.len() {
        paging["next"] =
            json!(format!("{}/{version}/{node}/comments?filter=stream&after={}", g.url, from + 2));
    }
    axum::Json(json!({"data": page, "paging": paging})).into_response()
}

/// A media upload (`POST /{version}/{phone-number-id}/media`, multipart: `messaging_product`,
/// `type`, `file`): the file is kept (and served back by the media endpoint) → `{id}`.
async fn upload(State(g): State<FakeGraph>, headers: HeaderMap, body: Bytes) -> Response {
    if !g.authorized(&headers) {
        return graph_error(&expired());
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(boundary) = ct.strip_prefix("multipart/form-data; boundary=") else {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: None,
            message: "(#100) Param file must be a file upload".into(),
            retry_after: None,
        });
    };
    let marker = format!("--{boundary}");
    let text = body.to_vec();
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
    };
    let mut fields = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut at = 0;
    while let Some(start) = find(&text, marker.as_bytes(), at) {
        let head_start = start + marker.len() + 2;
        let Some(head_end) = find(&text, b"\r\n\r\n", head_start) else { break };
        let Some(next) = find(&text, format!("\r\n{marker}").as_bytes(), head_end) else { break };
        let head = String::from_utf8_lossy(&text[head_start..head_end]).to_string();
        let value = text[head_end + 4..next].to_vec();
        let name = head.split("name=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_string();
        if head.contains("filename=") {
            let ctype = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Type: "))
                .unwrap_or("application/octet-stream")
                .to_string();
            file = Some((ctype, value));
        } else {
            fields.insert(name, String::from_utf8_lossy(&value).to_string());
        }
        at = next + 2;
    }
    let (Some((ctype, data)), Some("whatsapp")) = (file, fields.get("messaging_product").map(String::as_str))
    else {
        return graph_error(&GraphFailure {
            status: 400,
            code: 100,
            subcode: None,
            message: "(#100) The parameter messaging_product is required.".into(),
            retry_after: None,
        });
    };
    let mut i = g.lock();
    i.next += 1;
    let id = format!("media{:06}", i.next);
    i.media.insert(id.clone(), (ctype, data));
    axum::Json(json!({"id": id})).into_response()
}

impl FakeGraph {
    /// A file uploaded (or given with [`FakeGraph::media`]) by its id.
    pub fn uploaded(&self, id: &str) -> Option<(String, Vec<u8>)> {
        self.lock().media.get(id).cloned()
    }
}
