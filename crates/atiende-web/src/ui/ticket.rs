//! The ticket view: the conversation, the reply box and the ticket's actions, the
//! client card and the assignment history.
use super::board::{Names, kind_short};
use super::{Chrome, Page, UiError, datetime, display_name, read_form, render};
use crate::Web;
use askama::Template;
use atiende_app::AppError;
use atiende_app::tickets::{self as uc, Flag};
use atiende_core::Role;
use atiende_store::messages;
use atiende_store::tickets::{TicketFilter, TicketRow};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub struct MessageView {
    pub id: i64,
    pub author_kind: String,
    pub author: String,
    pub text: String,
    pub at: String,
    pub delivery: String,
    pub delivery_error: String,
    pub outbound: bool,
    /// Email messages: their headers, folded quoted history, original HTML.
    pub email: Option<EmailView>,
    /// Files that came or went with the message (inline images excluded).
    pub files: Vec<FileView>,
    /// Older emails of a long thread show as one line until opened.
    pub collapsed: bool,
    /// That line: the start of the text.
    pub summary: String,
    /// A chat visitor has seen it (agents' messages).
    pub seen: bool,
    /// Social messages: marks from the network (label keys: a public comment, made outside
    /// Atiende, edited / deleted / hidden on the network).
    pub marks: Vec<&'static str>,
}

/// What the network says of a social message, as label keys of the ticket view.
fn social_marks(m: &atiende_store::messages::MessageRow) -> Vec<&'static str> {
    let meta = m.meta();
    let mut out = Vec::new();
    for key in ["facebook", "instagram"] {
        let x = &meta[key];
        if !x.is_object() {
            continue;
        }
        if x["kind"] == "comment" {
            out.push("social.public_comment");
        }
        if x["outside_atiende"] == true {
            out.push("social.outside");
        }
        match x["network"].as_str() {
            Some("deleted") => out.push("social.deleted"),
            Some("edited") => out.push("social.edited"),
            Some("hidden") => out.push("social.hidden"),
            _ => {}
        }
    }
    out
}

/// Emails older than the last few of the conversation start collapsed.
const OPEN_EMAILS: usize = 3;

pub struct EmailView {
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub quoted: String,
    pub has_html: bool,
}

pub struct FileView {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub stored: bool,
}

pub(crate) fn human_size(n: i64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{} KB", n >> 10),
        n => format!("{n} B"),
    }
}

fn addresses(v: &serde_json::Value) -> String {
    let one = |a: &serde_json::Value| match (a["name"].as_str(), a["address"].as_str()) {
        (Some(n), Some(addr)) if !n.is_empty() => format!("{n} <{addr}>"),
        (_, Some(addr)) => addr.to_string(),
        _ => String::new(),
    };
    match v {
        serde_json::Value::Array(a) => {
            a.iter().map(one).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
        }
        v => one(v),
    }
}

fn files_of(
    m: &messages::MessageRow,
    files: &mut Vec<atiende_store::attachments::AttachmentInfo>,
) -> Vec<FileView> {
    files
        .extract_if(.., |a| a.message_id == m.id)
        .filter(|a| !a.inline)
        .map(|a| FileView { id: a.id, name: a.filename, size: human_size(a.size), stored: a.stored })
        .collect()
}

fn email_view(m: &messages::MessageRow) -> Option<EmailView> {
    let meta = m.meta();
    let e = meta.get("email")?;
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    Some(EmailView {
        subject: s(&e["subject"]),
        from: addresses(&e["from"]),
        to: addresses(&e["to"]),
        cc: addresses(&e["cc"]),
        quoted: s(&e["quoted"]),
        has_html: m.html.as_deref().is_some_and(|h| !h.trim().is_empty()),
    })
}

pub struct HistoryView {
    pub at: String,
    pub to: String,
    pub by: String,
    pub reason: String,
    /// An entry of the queue (no one assigned, and why).
    pub waiting: bool,
}

pub struct AgentOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct PreviousTicket {
    pub id: i64,
    pub number: i64,
    pub state: String,
    pub excerpt: String,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    t: TicketRow,
    client: String,
    influencer: bool,
    identities: Vec<(String, String)>,
    /// A chat visitor's details from their latest message: (label key, value, link).
    visitor: Vec<(&'static str, String, Option<String>)>,
    kind: String,
    kind_short: String,
    /// The channel sends files with replies (else they go on notes only).
    can_attach: bool,
    account: String,
    assignee: String,
    messages: Vec<MessageView>,
    history: Vec<HistoryView>,
    /// "Waiting for assignment for 5 min — why", or empty.
    queued: String,
    agents: Vec<AgentOption>,
    previous: Vec<PreviousTicket>,
    can_work: bool,
    admin: bool,
    created: String,
    updated: String,
    /// The account's SLA, e.g. "15 min" (empty: none), and the waiting time against it.
    sla: String,
    sla_ms: i64,
    since_ms: i64,
    waiting: String,
    overdue: bool,
    text: String,
    error: String,
    /// WhatsApp: when its 24-hour window closed (empty: open), and the templates that may
    /// be sent instead.
    window_closed: String,
    templates: Vec<TemplateOption>,
}

pub struct TemplateOption {
    pub name: String,
    pub language: String,
    pub text: String,
    /// Its parameters, numbered from 1.
    pub params: Vec<usize>,
}

impl TicketPage {
    /// The translated name of `value` in `group` (`state`, `author`, `delivery`).
    fn label(&self, group: &str, value: &str) -> &'static str {
        self.c.tr.t(&format!("{group}.{value}"))
    }
}

async fn page_for(
    web: &Web,
    page: &Page,
    id: i64,
    text: String,
    error: String,
) -> Result<TicketPage, UiError> {
    let c = page.chrome(web).await?;
    let t = uc::get(&web.app, &page.actor, id).await?;
    let r = page.actor.reader(&web.app)?;
    let names = Names::load(web, page, std::slice::from_ref(&t)).await?;
    let (client, identities) = r.client(t.client_id).await?;
    let (kind, account) = names.account(t.account_id);
    let rows = r.messages(id, 0, 1000).await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut files = r.attachments_of(&ids).await?;
    let mut messages = rows
        .iter()
        .map(|m| MessageView {
            id: m.id,
            author_kind: m.author_kind.to_string(),
            author: match m.author_user_id {
                Some(u) => names.user(Some(u)).0,
                None if m.author_kind == atiende_core::AuthorKind::Client => client.name.clone(),
                None => page.tr.t(&format!("author.{}", m.author_kind)).to_string(),
            },
            text: m.text.clone(),
            at: datetime(m.created_at),
            delivery: m.delivery.clone().unwrap_or_default(),
            delivery_error: m.delivery_error.clone().unwrap_or_default(),
            outbound: m.direction == atiende_core::Direction::Out,
            email: email_view(m),
            files: files_of(m, &mut files),
            collapsed: false,
            summary: m.text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(120).collect(),
            seen: false,
            marks: social_marks(m),
        })
        .collect::<Vec<MessageView>>();
    // Chat: what the visitor has read shows on the agents' messages.
    if kind == "chat"
        && let Some(up_to) =
            atiende_store::chat::seen_up_to(&web.app.db, t.org_id, t.account_id, t.client_id).await?
    {
        for m in messages.iter_mut().filter(|m| m.outbound && m.id <= up_to) {
            m.seen = true;
        }
    }
    let n = messages.len();
    for (i, m) in messages.iter_mut().enumerate() {
        m.collapsed = m.email.is_some() && i + OPEN_EMAILS < n;
    }
    let history = r
        .assignments(id)
        .await?
        .into_iter()
        .map(|h| HistoryView {
            at: datetime(h.at),
            to: h
                .user_id
                .map(|u| names.user(Some(u)).0)
                .unwrap_or_else(|| page.tr.t("board.unassigned").to_string()),
            by: h.actor_user_id.map(|u| names.user(Some(u)).0).unwrap_or_default(),
            waiting: h.user_id.is_none() && h.reason.starts_with("queued:"),
            reason: page.tr.msg(&h.reason),
        })
        .collect::<Vec<_>>();
    // Why an open ticket has no one yet: the queue's latest word on it.
    let queued = match (t.queued_at, rows_reason_queued(&history)) {
        (Some(at), reason) if t.assignee_id.is_none() => format!(
            "{} {}{}",
            page.tr.t("assign.queued_banner"),
            page.tr.elapsed(web.app.now() - at),
            reason.map(|r| format!(" — {r}")).unwrap_or_default()
        ),
        _ => String::new(),
    };
    let agents = r
        .users(0, 10_000)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| AgentOption { id: u.id, name: display_name(&u), selected: t.assignee_id == Some(u.id) })
        .collect();
    let prev_filter = TicketFilter { client_id: Some(t.client_id), ..TicketFilter::default() };
    let mut previous = Vec::new();
    for state in ["closed", "open", "ignored"] {
        let f = TicketFilter { state: Some(state.into()), ..prev_filter.clone() };
        for p in r.tickets(&f, None, 10).await? {
            if p.id != t.id {
                previous.push(PreviousTicket {
                    id: p.id,
                    number: p.number,
                    state: p.state.to_string(),
                    excerpt: p.excerpt,
                });
            }
        }
    }
    previous.sort_by_key(|p| std::cmp::Reverse(p.number));
    r.mark_read(id).await?;
    let now = web.app.now();
    let sla = names.sla(t.account_id);
    let since =
        if t.awaiting_answer && t.state == atiende_core::TicketState::Open { t.waiting_since } else { None };
    let visitor = rows
        .iter()
        .rev()
        .find_map(|m| m.meta().get("chat").cloned())
        .map(|chat| visitor_facts(&chat))
        .unwrap_or_default();
    let (window_closed, templates) =
        match atiende_app::channels::whatsapp::closed_window(&web.app, &t).await? {
            Some((at, list)) if t.state != atiende_core::TicketState::Closed => (
                datetime(at),
                list.into_iter()
                    .map(|x| TemplateOption {
                        params: (1..=atiende_core::templates::placeholders(&x.text).0).collect(),
                        name: x.name,
                        language: x.language,
                        text: x.text,
                    })
                    .collect(),
            ),
            _ => (String::new(), Vec::new()),
        };
    Ok(TicketPage {
        c,
        window_closed,
        templates,
        visitor,
        client: if client.name.is_empty() { format!("#{}", client.id) } else { client.name.clone() },
        influencer: client.influencer,
        identities,
        kind_short: kind_short(&kind),
        can_attach: atiende_app::channels::adapter(&kind)
            .is_some_and(|c| c.capabilities(&web.app).files.is_some()),
        kind,
        account,
        assignee: names.user(t.assignee_id).0,
        messages,
        history,
        queued,
        agents,
        previous,
        can_work: page.actor.is(Role::Admin) || page.actor.is(Role::Agent),
        admin: page.actor.is(Role::Admin),
        sla: sla.map(|s| page.tr.elapsed(s.micros())).unwrap_or_default(),
        sla_ms: sla.map_or(0, |s| s.seconds() * 1000),
        since_ms: since.map_or(0, |s| s / 1000),
        waiting: since.map(|s| page.tr.elapsed(now - s)).unwrap_or_default(),
        overdue: sla.is_some_and(|s| s.overdue(since, now)),
        created: datetime(t.created_at),
        updated: datetime(t.updated_at),
        t,
        text,
        error,
    })
}

pub async fn show(State(web): State<Web>, page: Page, Path(id): Path<i64>) -> Result<Response, UiError> {
    let p = page_for(&web, &page, id, String::new(), String::new()).await?;
    Ok(render(StatusCode::OK, &p))
}

pub async fn reply(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let (form, files) = match super::read_form_with_files(req).await {
        Ok(r) => r,
        Err(UiError::App(AppError::Invalid(v))) => {
            let p = page_for(&web, &page, id, String::new(), page.tr.msg(&v.message)).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
        }
        Err(e) => return Err(e),
    };
    form.check_csrf(&page)?;
    let note = form.get("mode") == "note";
    match uc::reply_with_files(&web.app, &page.actor, id, form.get("text"), note, files).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(AppError::Invalid(v)) => {
            let p = page_for(&web, &page, id, form.get("text").into(), page.tr.msg(&v.message)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(AppError::Conflict { message, .. }) => {
            let p = page_for(&web, &page, id, form.get("text").into(), page.tr.msg(&message)).await?;
            Ok(render(StatusCode::CONFLICT, &p))
        }
        Err(e) => Err(e.into()),
    }
}

/// Sends a WhatsApp template from the ticket view (`name`, `language`, `p1`, `p2`…).
pub async fn template(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let mut parameters = Vec::new();
    for i in 1..=20 {
        let key = format!("p{i}");
        if !form.has(&key) {
            break;
        }
        parameters.push(form.get(&key).to_string());
    }
    let choice = uc::TemplateChoice {
        name: form.get("name").into(),
        language: form.get("language").into(),
        parameters,
    };
    match uc::reply_template(&web.app, &page.actor, id, &choice).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(AppError::Invalid(v)) => {
            let p = page_for(&web, &page, id, String::new(), page.tr.msg(&v.message)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(AppError::Conflict { message, .. }) => {
            let p = page_for(&web, &page, id, String::new(), page.tr.msg(&message)).await?;
            Ok(render(StatusCode::CONFLICT, &p))
        }
        Err(e) => Err(e.into()),
    }
}

/// The ticket's buttons: close, ignore, reopen, pin, assign, release, priority.
pub async fn action(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let app = &web.app;
    let a = &page.actor;
    let r = match form.get("do") {
        "close" => uc::close(app, a, id).await.map(|_| ()),
        "reopen" => uc::reopen(app, a, id).await.map(|_| ()),
        "ignore" => uc::set_flag(app, a, id, Flag::Ignore).await.map(|_| ()),
        "pin" => uc::set_flag(app, a, id, Flag::Important(true)).await.map(|_| ()),
        "unpin" => uc::set_flag(app, a, id, Flag::Important(false)).await.map(|_| ()),
        "take" => uc::assign(app, a, id, Some(a.user_id)).await.map(|_| ()),
        "release" => uc::assign(app, a, id, None).await.map(|_| ()),
        "assign" => match form.get("user_id").parse::<i64>() {
            Ok(u) => uc::assign(app, a, id, Some(u)).await.map(|_| ()),
            Err(_) => uc::assign(app, a, id, None).await.map(|_| ()),
        },
        "priority" => match form.get("priority").parse::<i64>() {
            Ok(p) => uc::set_flag(app, a, id, Flag::Priority(p)).await.map(|_| ()),
            Err(_) => Err(AppError::invalid("priority", "must be 0 to 5")),
        },
        _ => Err(AppError::invalid("do", "unknown action")),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(AppError::Invalid(v)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page_for(&web, &page, id, String::new(), page.tr.msg(&v.message)).await?,
        )),
        Err(AppError::Conflict { message, .. }) => Ok(render(
            StatusCode::CONFLICT,
            &page_for(&web, &page, id, String::new(), page.tr.msg(&message)).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The latest history entry of an unassigned ticket, when it says why it waits.
fn rows_reason_queued(history: &[HistoryView]) -> Option<String> {
    history.last().filter(|h| h.waiting).map(|h| h.reason.clone())
}

/// The original HTML of an email message, for the sandboxed frame of the ticket view.
/// Already sanitized when stored; served with a policy that runs no script and loads
/// nothing remote unless the agent asked (`?remote=1`). Inline images (`cid:`) are
/// embedded from the stored attachments.
pub async fn message_html(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    q: axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, UiError> {
    let r = page.actor.reader(&web.app)?;
    let m = r.message(id).await?;
    uc::get(&web.app, &page.actor, m.ticket_id).await?;
    let mut html = m.html.clone().unwrap_or_default();
    if html.contains("cid:") {
        for a in r.attachments_of(&[m.id]).await? {
            let Some(cid) = a.content_id.as_deref() else { continue };
            if !a.stored
                || a.size > 2 << 20
                || !a.content_type.starts_with("image/")
                || a.content_type.contains("svg")
            {
                continue;
            }
            let (_, data) = r.attachment(a.id).await?;
            if let Some(data) = data {
                html = html.replace(
                    &format!("\"cid:{cid}\""),
                    &format!("\"data:{};base64,{}\"", a.content_type, atiende_core::b64::encode(&data)),
                );
            }
        }
    }
    let remote = q.get("remote").is_some_and(|v| v == "1");
    let img = if remote { "data: https: http:" } else { "data:" };
    let csp = format!(
        "default-src 'none'; img-src {img}; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    );
    let doc = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\"><style>body{{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1d2330;overflow-wrap:anywhere}}img{{max-width:100%;height:auto}}blockquote{{margin:0 0 0 .6em;padding-left:.6em;border-left:2px solid #ccd}}</style></head><body>{html}</body></html>"
    );
    let mut resp = (StatusCode::OK, doc).into_response();
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        h.insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert("x-frame-options", axum::http::HeaderValue::from_static("SAMEORIGIN"));
    h.insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(super::human_size(3 << 20), "3.0 MB");
        assert_eq!(super::human_size(2048), "2 KB");
        assert_eq!(super::human_size(12), "12 B");
    }
}

/// What the client card shows of a chat visitor: where they write from and what they gave.
fn visitor_facts(chat: &serde_json::Value) -> Vec<(&'static str, String, Option<String>)> {
    let text = |k: &str| chat[k].as_str().filter(|v| !v.is_empty()).map(str::to_string);
    let mut out = Vec::new();
    match chat["login"].as_str() {
        Some("google") => out.push(("visitor.login_google", String::new(), None)),
        Some("facebook") => out.push(("visitor.login_facebook", String::new(), None)),
        _ if chat["verified"].as_bool() == Some(true) => out.push(("visitor.verified", String::new(), None)),
        _ => {}
    }
    if let Some(url) = text("page_url") {
        let link = (url.starts_with("https://") || url.starts_with("http://")).then(|| url.clone());
        // Shown as host and path, cut (the whole address is the link and its title).
        let bare = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let bare = bare.split(['?', '#']).next().unwrap_or(bare);
        let short: String = bare.chars().take(60).collect();
        let short = if bare.chars().count() > 60 { format!("{short}…") } else { short };
        out.push(("visitor.page", short, link));
    }
    if let Some(ua) = text("user_agent") {
        out.push(("visitor.browser", atiende_core::chat::browser_summary(&ua), None));
    }
    for (k, label) in [("email", "visitor.email"), ("rut", "visitor.rut"), ("phone", "visitor.phone")] {
        if let Some(v) = text(k) {
            out.push((label, v, None));
        }
    }
    out
}
