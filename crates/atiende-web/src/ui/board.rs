//! The board: columns side by side, each a page of ticket cards; the column form;
//! the recommended flows of an empty board.
use super::i18n::Tr;
use super::{Chrome, Form, Page, UiError, display_name, initials, read_form, render};
use crate::Web;
use askama::Template;
use atiende_app::AppError;
use atiende_app::board::{self, Column};
use atiende_core::board::{AssigneeChoice, ColumnFilter, ColumnSort, Flow};
use atiende_core::{ChannelKind, Role, TicketState};
use atiende_store::tickets::{TicketCursor, TicketRow};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// Cards per page of a column.
pub const PAGE: i64 = 50;

pub struct Card {
    pub id: i64,
    pub number: i64,
    pub client: String,
    pub kind: String,
    pub kind_short: String,
    pub account: String,
    pub excerpt: String,
    pub wait: String,
    /// Milliseconds since the epoch the waiting time counts from (0: not waiting).
    pub since_ms: i64,
    pub important: bool,
    /// The account's SLA in milliseconds (0: none); the card turns red past it.
    pub sla_ms: i64,
    pub overdue: bool,
    pub unread: bool,
    pub assignee_initials: String,
    pub assignee_name: String,
}

pub struct ColumnView {
    pub id: i64,
    pub name: String,
    pub count_label: String,
    pub cards: Vec<Card>,
    pub next: String,
}

/// The short mark of a channel kind on cards and tickets (from the kind's screens).
pub fn kind_short(kind: &str) -> String {
    super::channels::mark(kind)
}

/// What cards need besides the tickets: names of clients, accounts and agents.
pub struct Names {
    clients: HashMap<i64, String>,
    accounts: HashMap<i64, (String, String)>,
    slas: HashMap<i64, atiende_core::sla::Sla>,
    users: HashMap<i64, (String, String)>,
}

impl Names {
    pub async fn load(web: &Web, page: &Page, tickets: &[TicketRow]) -> Result<Names, UiError> {
        let r = page.actor.reader(&web.app)?;
        let mut ids: Vec<i64> = tickets.iter().map(|t| t.client_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let clients = r.client_names(&ids).await?.into_iter().collect();
        let rows = r.accounts().await?;
        let slas = rows.iter().filter_map(|a| Some((a.id, a.settings.sla()?))).collect();
        let accounts = rows.into_iter().map(|a| (a.id, (a.kind.to_string(), a.name))).collect();
        let users =
            r.users(0, 10_000).await?.into_iter().map(|u| (u.id, (display_name(&u), initials(&u)))).collect();
        Ok(Names { clients, accounts, slas, users })
    }
    pub fn user(&self, id: Option<i64>) -> (String, String) {
        id.and_then(|id| self.users.get(&id).cloned()).unwrap_or_default()
    }
    pub fn client(&self, id: i64) -> String {
        self.clients.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }
    pub fn sla(&self, account_id: i64) -> Option<atiende_core::sla::Sla> {
        self.slas.get(&account_id).copied()
    }
    pub fn account(&self, id: i64) -> (String, String) {
        self.accounts.get(&id).cloned().unwrap_or_default()
    }
}

async fn cards(web: &Web, page: &Page, tickets: Vec<TicketRow>) -> Result<Vec<Card>, UiError> {
    let names = Names::load(web, page, &tickets).await?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let seen: HashMap<i64, i64> = page.actor.reader(&web.app)?.seen(&ids).await?.into_iter().collect();
    let now = web.app.now();
    Ok(tickets
        .into_iter()
        .map(|t| {
            let (kind, account) = names.account(t.account_id);
            let (assignee_name, assignee_initials) = names.user(t.assignee_id);
            let since = if t.awaiting_answer && t.state == atiende_core::TicketState::Open {
                t.waiting_since
            } else {
                None
            };
            let sla = names.sla(t.account_id);
            Card {
                id: t.id,
                number: t.number,
                client: names.client(t.client_id),
                kind_short: kind_short(&kind),
                kind,
                account,
                excerpt: t.excerpt.clone(),
                wait: since.map(|s| page.tr.elapsed(now - s)).unwrap_or_default(),
                since_ms: since.map_or(0, |s| s / 1000),
                important: t.important,
                sla_ms: sla.map_or(0, |s| s.seconds() * 1000),
                overdue: sla.is_some_and(|s| s.overdue(since, now)),
                unread: seen.get(&t.id).is_none_or(|s| *s < t.updated_at),
                assignee_initials,
                assignee_name,
            }
        })
        .collect())
}

fn cursor_text(c: Option<TicketCursor>) -> String {
    c.map(|(k, id)| format!("{k}.{id}")).unwrap_or_default()
}

fn parse_cursor(s: &str) -> Option<TicketCursor> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

async fn view(
    web: &Web,
    page: &Page,
    col: &Column,
    cursor: Option<TicketCursor>,
    limit: i64,
) -> Result<ColumnView, UiError> {
    let p = board::page(&web.app, &page.actor, col, cursor, limit).await?;
    let count_label =
        if p.count > board::COUNT_CAP { format!("{}+", board::COUNT_CAP) } else { p.count.to_string() };
    Ok(ColumnView {
        id: col.id,
        name: col.name.clone(),
        count_label,
        cards: cards(web, page, p.tickets).await?,
        next: cursor_text(p.next),
    })
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    c: Chrome,
    columns: Vec<ColumnView>,
    admin: bool,
}

pub async fn show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    let c = page.chrome(&web).await?;
    let cols = board::list(&web.app, &page.actor).await?;
    let mut columns = Vec::with_capacity(cols.len());
    for col in &cols {
        columns.push(view(&web, &page, col, None, PAGE).await?);
    }
    Ok(render(StatusCode::OK, &BoardPage { c, columns, admin: page.actor.is(Role::Admin) }))
}

#[derive(Template)]
#[template(path = "column_fragment.html")]
struct ColumnFragment {
    c: Chrome,
    col: ColumnView,
    cards_only: bool,
}

#[derive(serde::Deserialize)]
pub struct FragmentQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

/// A column's HTML for live refresh (`?limit=` cards from the top), or its next page of
/// cards (`?cursor=`).
pub async fn column_fragment(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<FragmentQuery>,
) -> Result<Response, UiError> {
    let col = board::get(&web.app, &page.actor, id).await?;
    let cursor = q.cursor.as_deref().and_then(parse_cursor);
    let limit = q.limit.unwrap_or(PAGE).clamp(1, 500);
    let col = view(&web, &page, &col, cursor, limit).await?;
    let c = page.chrome(&web).await?;
    Ok(render(StatusCode::OK, &ColumnFragment { c, col, cards_only: cursor.is_some() }))
}

pub async fn flow(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let flow = if form.get("flow") == "team" { Flow::Team } else { Flow::Mine };
    let tr = page.tr;
    board::apply_flow(&web.app, &page.actor, flow, |k| tr.t(k).to_string()).await?;
    Ok(Redirect::to("/").into_response())
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "column_form.html")]
struct ColumnFormPage {
    c: Chrome,
    action: String,
    title: &'static str,
    name: String,
    states: Vec<Choice>,
    addressed: Vec<Choice>,
    awaiting: Vec<Choice>,
    important: Vec<Choice>,
    overdue: bool,
    kinds: Vec<Choice>,
    accounts: Vec<Choice>,
    assignee: Vec<Choice>,
    agents: Vec<Choice>,
    sorts: Vec<Choice>,
    client: String,
    tags: String,
    created_from: String,
    created_to: String,
    updated_from: String,
    updated_to: String,
    error_field: String,
    error: String,
}

impl ColumnFormPage {
    fn err(&self, field: &str) -> &str {
        if self.error_field == field { &self.error } else { "" }
    }
}

fn tri(tr: Tr, v: Option<bool>) -> Vec<Choice> {
    [("", "any", None), ("yes", "yes", Some(true)), ("no", "no", Some(false))]
        .into_iter()
        .map(|(value, key, b)| Choice { value: value.into(), label: tr.t(key).into(), checked: v == b })
        .collect()
}

fn read_tri(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

async fn form_page(
    web: &Web,
    page: &Page,
    action: String,
    title: &'static str,
    name: &str,
    f: &ColumnFilter,
    err: Option<(String, String)>,
) -> Result<ColumnFormPage, UiError> {
    let tr = page.tr;
    let accounts = page
        .actor
        .reader(&web.app)?
        .accounts()
        .await?
        .into_iter()
        .map(|a| Choice { value: a.id.to_string(), label: a.name, checked: f.account_ids.contains(&a.id) })
        .collect();
    let agents = page
        .actor
        .reader(&web.app)?
        .users(0, 10_000)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| Choice {
            value: u.id.to_string(),
            label: display_name(&u),
            checked: f.assignee_ids.contains(&u.id),
        })
        .collect();
    let (error_field, error) = err.unwrap_or_default();
    Ok(ColumnFormPage {
        c: page.chrome(web).await?,
        action,
        title,
        name: name.to_string(),
        states: TicketState::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: tr.t(&format!("state.{}", s.as_str())).into(),
                checked: f.state == *s,
            })
            .collect(),
        addressed: tri(tr, f.addressed),
        awaiting: tri(tr, f.awaiting_answer),
        important: tri(tr, f.important),
        overdue: f.overdue,
        kinds: ChannelKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.as_str().replace('_', " "),
                checked: f.kinds.contains(k),
            })
            .collect(),
        accounts,
        assignee: [AssigneeChoice::Any, AssigneeChoice::None, AssigneeChoice::Me, AssigneeChoice::Users]
            .into_iter()
            .map(|a| {
                let v = serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                Choice { label: tr.t(&format!("assignee.{v}")).into(), value: v, checked: f.assignee == a }
            })
            .collect(),
        agents,
        sorts: ColumnSort::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: tr.t(&format!("sort.{}", s.as_str())).into(),
                checked: f.sort == *s,
            })
            .collect(),
        client: f.client.clone().unwrap_or_default(),
        tags: f.tags.join(", "),
        created_from: f.created_from.clone().unwrap_or_default(),
        created_to: f.created_to.clone().unwrap_or_default(),
        updated_from: f.updated_from.clone().unwrap_or_default(),
        updated_to: f.updated_to.clone().unwrap_or_default(),
        error_field,
        error,
    })
}

/// Reads the column form. Unknown choices are reported on their field.
fn read_filter(form: &Form) -> Result<ColumnFilter, AppError> {
    let mut f = ColumnFilter {
        state: TicketState::parse(form.get("state"), "state")?,
        addressed: read_tri(form.get("addressed")),
        awaiting_answer: read_tri(form.get("awaiting_answer")),
        important: read_tri(form.get("important")),
        overdue: form.get("overdue") == "on",
        sort: ColumnSort::parse(form.get("sort"), "sort")?,
        ..ColumnFilter::default()
    };
    for k in form.all("kinds") {
        f.kinds.push(ChannelKind::parse(k, "kinds")?);
    }
    for a in form.all("account_ids") {
        f.account_ids.push(a.parse().map_err(|_| AppError::invalid("account_ids", "must be account ids"))?);
    }
    f.assignee = serde_json::from_value(serde_json::Value::String(form.get("assignee").to_string()))
        .map_err(|_| AppError::invalid("assignee", "must be any, none, me or users"))?;
    for u in form.all("assignee_ids") {
        f.assignee_ids.push(u.parse().map_err(|_| AppError::invalid("assignee_ids", "must be user ids"))?);
    }
    f.client = Some(form.get("client").to_string());
    f.tags = form.get("tags").split(',').map(str::to_string).collect();
    let date = |n: &str| Some(form.get(n).to_string());
    (f.created_from, f.created_to, f.updated_from, f.updated_to) =
        (date("created_from"), date("created_to"), date("updated_from"), date("updated_to"));
    Ok(f)
}

pub async fn new_form(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    let p = form_page(&web, &page, "/columns".into(), "column.form.new", "", &ColumnFilter::default(), None)
        .await?;
    Ok(render(StatusCode::OK, &p))
}

pub async fn edit_form(State(web): State<Web>, page: Page, Path(id): Path<i64>) -> Result<Response, UiError> {
    let col = board::get(&web.app, &page.actor, id).await?;
    let p =
        form_page(&web, &page, format!("/columns/{id}"), "column.form.edit", &col.name, &col.filter, None)
            .await?;
    Ok(render(StatusCode::OK, &p))
}

async fn save(web: Web, page: Page, req: Request, id: Option<i64>) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let name = form.get("name");
    let result = match read_filter(&form) {
        Ok(f) => match id {
            None => board::create(&web.app, &page.actor, name, f).await.map(|_| ()),
            Some(id) => board::update(&web.app, &page.actor, id, name, f).await.map(|_| ()),
        },
        Err(e) => Err(e),
    };
    let (field, message) = match result {
        Ok(()) => return Ok(Redirect::to("/").into_response()),
        Err(AppError::Invalid(v)) => (v.field, v.message),
        Err(AppError::Conflict { field, message }) => (field.unwrap_or_default(), message),
        Err(e) => return Err(e.into()),
    };
    // Show the form again as it was sent, with the message next to the field.
    let shown = read_filter(&form).unwrap_or_default();
    let (action, title) = match id {
        None => ("/columns".to_string(), "column.form.new"),
        Some(id) => (format!("/columns/{id}"), "column.form.edit"),
    };
    let message = page.tr.msg(&message);
    let mut p = form_page(&web, &page, action, title, name, &shown, Some((field, message))).await?;
    p.client = form.get("client").into();
    p.tags = form.get("tags").into();
    (p.created_from, p.created_to, p.updated_from, p.updated_to) = (
        form.get("created_from").into(),
        form.get("created_to").into(),
        form.get("updated_from").into(),
        form.get("updated_to").into(),
    );
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

pub async fn create(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    save(web, page, req, None).await
}

pub async fn update(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    board::get(&web.app, &page.actor, id).await?;
    save(web, page, req, Some(id)).await
}

pub async fn shift(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let by = if form.get("dir") == "left" { -1 } else { 1 };
    board::shift(&web.app, &page.actor, id, by).await?;
    Ok(Redirect::to("/").into_response())
}

pub async fn delete(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    board::delete(&web.app, &page.actor, id).await?;
    Ok(Redirect::to("/").into_response())
}
