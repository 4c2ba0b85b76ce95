//! The ticket view: the conversation, the reply box and the ticket's actions, the
//! client card and the assignment history.
use super::board::{kind_short, Names};
use super::{datetime, display_name, read_form, render, Chrome, Page, UiError};
use crate::Web;
use askama::Template;
use atiende_app::tickets::{self as uc, Flag};
use atiende_app::AppError;
use atiende_core::Role;
use atiende_store::tickets::{self, TicketFilter, TicketRow};
use atiende_store::{clients, columns, messages, users};
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
    kind: String,
    kind_short: &'static str,
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
}

impl TicketPage {
    /// The translated name of `value` in `group` (`state`, `author`, `delivery`).
    fn label(&self, group: &str, value: &str) -> &'static str {
        self.c.tr.t(&format!("{group}.{value}"))
    }
}

async fn page_for(web: &Web, page: &Page, id: i64, text: String, error: String) -> Result<TicketPage, UiError> {
    let c = page.chrome(web).await?;
    let t = uc::get(&web.app, &page.actor, id).await?;
    let db = &web.app.db;
    let names = Names::load(web, page, std::slice::from_ref(&t)).await?;
    let client = clients::get(db, page.actor.org_id, t.client_id).await?;
    let identities = clients::identities(db, t.client_id).await?;
    let (kind, account) = names.account(t.account_id);
    let rows = messages::list(db, page.actor.org_id, id, 0, 1000).await?;
    let messages = rows
        .iter()
        .map(|m| MessageView {
            id: m.id,
            author_kind: m.author_kind.clone(),
            author: match m.author_user_id {
                Some(u) => names.user(Some(u)).0,
                None if m.author_kind == "client" => client.name.clone(),
                None => page.tr.t(&format!("author.{}", m.author_kind)).to_string(),
            },
            text: m.text.clone(),
            at: datetime(m.created_at),
            delivery: m.delivery.clone().unwrap_or_default(),
            delivery_error: m.delivery_error.clone().unwrap_or_default(),
            outbound: m.direction == "out",
        })
        .collect();
    let history = tickets::assignments(db, id)
        .await?
        .into_iter()
        .map(|h| HistoryView {
            at: datetime(h.at),
            to: h.user_id.map(|u| names.user(Some(u)).0).unwrap_or_else(|| page.tr.t("board.unassigned").to_string()),
            by: h.actor_user_id.map(|u| names.user(Some(u)).0).unwrap_or_default(),
            waiting: h.user_id.is_none() && h.reason.starts_with("queued:"),
            reason: page.tr.msg(&h.reason),
        })
        .collect::<Vec<_>>();
    // Why an open ticket has no one yet: the queue's latest word on it.
    let queued = match (t.queued_at, rows_reason_queued(&history)) {
        (Some(at), reason) if t.assignee_id.is_none() => format!("{} {}{}", page.tr.t("assign.queued_banner"), page.tr.elapsed(web.app.now() - at), reason.map(|r| format!(" — {r}")).unwrap_or_default()),
        _ => String::new(),
    };
    let agents = users::list(db, page.actor.org_id, 0, 10_000)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| AgentOption { id: u.id, name: display_name(&u), selected: t.assignee_id == Some(u.id) })
        .collect();
    let prev_filter = TicketFilter { client_id: Some(t.client_id), ..TicketFilter::default() };
    let mut previous = Vec::new();
    for state in ["closed", "open", "ignored"] {
        let f = TicketFilter { state: Some(state.into()), ..prev_filter.clone() };
        for p in tickets::list(db, page.actor.org_id, &f, None, 10).await? {
            if p.id != t.id {
                previous.push(PreviousTicket { id: p.id, number: p.number, state: p.state, excerpt: p.excerpt });
            }
        }
    }
    previous.sort_by_key(|p| std::cmp::Reverse(p.number));
    columns::mark_read(db, page.actor.user_id, id, web.app.now()).await?;
    let now = web.app.now();
    let sla = names.sla(t.account_id);
    let since = if t.awaiting_answer && t.state == "open" { t.waiting_since } else { None };
    Ok(TicketPage {
        c,
        client: if client.name.is_empty() { format!("#{}", client.id) } else { client.name.clone() },
        influencer: client.influencer,
        identities,
        kind_short: kind_short(&kind),
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

pub async fn reply(State(web): State<Web>, page: Page, Path(id): Path<i64>, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let note = form.get("mode") == "note";
    match uc::reply(&web.app, &page.actor, id, form.get("text"), note).await {
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

/// The ticket's buttons: close, ignore, reopen, pin, assign, release, priority.
pub async fn action(State(web): State<Web>, page: Page, Path(id): Path<i64>, req: Request) -> Result<Response, UiError> {
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
        Err(AppError::Invalid(v)) => Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page_for(&web, &page, id, String::new(), page.tr.msg(&v.message)).await?)),
        Err(AppError::Conflict { message, .. }) => Ok(render(StatusCode::CONFLICT, &page_for(&web, &page, id, String::new(), page.tr.msg(&message)).await?)),
        Err(e) => Err(e.into()),
    }
}

/// The latest history entry of an unassigned ticket, when it says why it waits.
fn rows_reason_queued(history: &[HistoryView]) -> Option<String> {
    history.last().filter(|h| h.waiting).map(|h| h.reason.clone())
}
