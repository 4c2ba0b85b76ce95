//! Admin screens: users, connection statuses, accounts (each kind's forms come from its
//! screens in `ui/channels`), and every user's own API tokens.
use super::i18n::Tr;
use super::{Chrome, Form, Page, UiError, channels, datetime, display_name, read_form, render};
use crate::Web;
use askama::Template;
use atiende_app::users::{UserInput, UserPatchInput};
use atiende_app::{AppError, accounts as acc_uc, auth, users as users_uc};
use atiende_core::{Role, Roles};
use atiende_store::users;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// A form's failure to show next to its field, and what was typed.
#[derive(Default)]
pub struct Errors {
    /// Which form failed (pages hold several).
    pub form: String,
    pub field: String,
    pub message: String,
    pub values: HashMap<String, String>,
}

impl Errors {
    pub(super) fn from_app(form: &str, e: AppError, sent: &Form, tr: Tr) -> Result<Errors, UiError> {
        let (field, message) = match e {
            AppError::Invalid(v) => (v.field, v.message),
            AppError::Conflict { field, message } => (field.unwrap_or_default(), message),
            e => return Err(e.into()),
        };
        let values = sent
            .0
            .iter()
            .filter(|(k, _)| !k.contains("password") && !k.contains("secret") && k != "_csrf")
            .cloned()
            .collect();
        Ok(Errors { form: form.into(), field, message: tr.msg(&message), values })
    }
    /// The message for `field` of `form`, if that is what failed.
    pub fn err(&self, form: &str, field: &str) -> &str {
        if self.form == form && (self.field == field || self.field.ends_with(&format!(".{field}"))) {
            &self.message
        } else {
            ""
        }
    }
    /// A failure of `form` not tied to a field shown on it.
    pub fn general(&self, form: &str, fields: &[&str]) -> &str {
        if self.form == form
            && !fields.iter().any(|f| self.field == *f || self.field.ends_with(&format!(".{f}")))
        {
            &self.message
        } else {
            ""
        }
    }
    pub fn value(&self, form: &str, name: &str) -> &str {
        if self.form == form { self.values.get(name).map(String::as_str).unwrap_or("") } else { "" }
    }
}

fn admin(page: &Page) -> Result<(), UiError> {
    page.actor.require_admin().map_err(UiError::App)
}

// ---- users ----

pub struct UserLine {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub roles: Vec<(&'static str, bool)>,
    pub active: bool,
    pub is_first: bool,
    pub status: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    tab: &'static str,
    users: Vec<UserLine>,
    e: Errors,
}

async fn users_page(web: &Web, page: &Page, e: Errors) -> Result<UsersPage, UiError> {
    admin(page)?;
    let c = page.chrome(web).await?;
    let statuses: HashMap<i64, String> = c.statuses.iter().map(|s| (s.id, s.name.clone())).collect();
    let users = page
        .actor
        .reader(&web.app)?
        .users(0, 10_000)
        .await?
        .into_iter()
        .map(|u| {
            let roles = Roles::from_db(&u.roles);
            UserLine {
                id: u.id,
                name: display_name(&u),
                email: u.email.clone(),
                roles: Role::ALL.iter().map(|r| (r.as_str(), roles.has(*r))).collect(),
                active: u.active,
                is_first: u.is_first,
                status: u.connection_status_id.and_then(|s| statuses.get(&s).cloned()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(UsersPage { c, tab: "users", users, e })
}

pub async fn users_show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &users_page(&web, &page, Errors::default()).await?))
}

pub async fn users_create(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let input = UserInput {
        email: form.get("email").into(),
        password: Some(form.get("password").into()),
        first_name: form.get("first_name").into(),
        last_name: form.get("last_name").into(),
        language: Some(form.get("language").into()),
        roles: form.all("roles").into_iter().map(str::to_string).collect(),
        ..Default::default()
    };
    match users_uc::create(&web.app, &page.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e) => {
            let e = Errors::from_app("create", e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &users_page(&web, &page, e).await?))
        }
    }
}

pub async fn users_update(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let patch = match form.get("do") {
        "deactivate" => UserPatchInput { active: Some(false), ..Default::default() },
        "activate" => UserPatchInput { active: Some(true), ..Default::default() },
        _ => UserPatchInput {
            roles: Some(form.all("roles").into_iter().map(str::to_string).collect()),
            ..Default::default()
        },
    };
    match users_uc::patch(&web.app, &page.actor, id, patch).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e) => {
            let e = Errors::from_app(&format!("user-{id}"), e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &users_page(&web, &page, e).await?))
        }
    }
}

// ---- connection statuses ----

#[derive(Template)]
#[template(path = "admin_statuses.html")]
struct StatusesPage {
    c: Chrome,
    tab: &'static str,
    statuses: Vec<users::StatusRow>,
    e: Errors,
}

async fn statuses_page(web: &Web, page: &Page, e: Errors) -> Result<StatusesPage, UiError> {
    admin(page)?;
    let c = page.chrome(web).await?;
    let statuses = page.actor.reader(&web.app)?.statuses().await?;
    Ok(StatusesPage { c, tab: "statuses", statuses, e })
}

pub async fn statuses_show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &statuses_page(&web, &page, Errors::default()).await?))
}

pub async fn statuses_create(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    match users_uc::create_status(&web.app, &page.actor, form.get("name"), form.get("assignable") == "on")
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/statuses").into_response()),
        Err(e) => {
            let e = Errors::from_app("create", e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &statuses_page(&web, &page, e).await?))
        }
    }
}

pub async fn statuses_update(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    match users_uc::update_status(&web.app, &page.actor, id, form.get("name"), form.get("assignable") == "on")
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/statuses").into_response()),
        Err(e) => {
            let e = Errors::from_app(&format!("status-{id}"), e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &statuses_page(&web, &page, e).await?))
        }
    }
}

// ---- accounts ----

pub struct AccountLine {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub status: String,
    /// The kind's block (its screens render it).
    pub block: String,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    c: Chrome,
    tab: &'static str,
    accounts: Vec<AccountLine>,
    /// The creation form of every kind.
    create_forms: Vec<String>,
}

fn template_error(e: askama::Error) -> UiError {
    UiError::App(AppError::Internal(e.to_string()))
}

async fn accounts_page(web: &Web, page: &Page, e: Errors) -> Result<AccountsPage, UiError> {
    admin(page)?;
    let c = page.chrome(web).await?;
    let mut lines = Vec::new();
    for a in page.actor.reader(&web.app)?.accounts().await? {
        let view = channels::AccountView::of(web, &a);
        let block = match channels::screens(a.kind) {
            Some(s) => s.account_block(&c, &view, &e).map_err(template_error)?,
            None => String::new(),
        };
        lines.push(AccountLine { id: a.id, kind: a.kind.to_string(), name: a.name, status: a.status, block });
    }
    let create_forms = channels::SCREENS
        .iter()
        .map(|s| s.create_form(&c, &e))
        .collect::<Result<_, _>>()
        .map_err(template_error)?;
    Ok(AccountsPage { c, tab: "accounts", accounts: lines, create_forms })
}

pub async fn accounts_show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &accounts_page(&web, &page, Errors::default()).await?))
}

/// A new account of the kind its form names; its screens say what the form asks for.
pub async fn accounts_create(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let kind = form.get("kind");
    let Some(screens) = channels::screens(kind) else { return Err(UiError::App(AppError::NotFound)) };
    match acc_uc::create(&web.app, &page.actor, kind, form.get("name"), screens.create_settings(&form)).await
    {
        Ok(a) => Ok(Redirect::to(&screens.after_create(a.id)).into_response()),
        Err(e) => {
            let e = Errors::from_app(&format!("create-{kind}"), e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &accounts_page(&web, &page, e).await?))
        }
    }
}

/// An account's block on the accounts page: its name and what its kind edits there.
pub async fn accounts_update(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let a = page.actor.reader(&web.app)?.account(id).await?;
    let patch = channels::screens(a.kind).and_then(|s| s.block_patch(&form));
    match acc_uc::update(&web.app, &page.actor, id, Some(form.get("name")), patch).await {
        Ok(_) => Ok(Redirect::to("/admin/accounts").into_response()),
        Err(e) => {
            let e = Errors::from_app(&format!("account-{id}"), e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &accounts_page(&web, &page, e).await?))
        }
    }
}

// ---- API tokens (every user, their own) ----

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    tab: &'static str,
    tokens: Vec<TokenLine>,
    created: String,
    e: Errors,
}

async fn tokens_page(web: &Web, page: &Page, created: String, e: Errors) -> Result<TokensPage, UiError> {
    let c = page.chrome(web).await?;
    let tokens = page
        .actor
        .reader(&web.app)?
        .my_tokens()
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            name: t.name,
            created: datetime(t.created_at),
            last_used: t.last_used_at.map(datetime).unwrap_or_default(),
        })
        .collect();
    Ok(TokensPage { c, tab: "tokens", tokens, created, e })
}

pub async fn tokens_show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &tokens_page(&web, &page, String::new(), Errors::default()).await?))
}

pub async fn tokens_create(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let name = match atiende_core::required_text(form.get("name"), "name", 120) {
        Ok(n) => n,
        Err(v) => {
            let e = Errors::from_app("create", v.into(), &form, page.tr)?;
            return Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &tokens_page(&web, &page, String::new(), e).await?,
            ));
        }
    };
    let token = auth::create_token(&web.app, page.actor.user_id, &name).await?;
    // Shown once, in this answer only; never stored in clear.
    Ok(render(StatusCode::OK, &tokens_page(&web, &page, token, Errors::default()).await?))
}

pub async fn tokens_delete(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    users_uc::revoke_token(&web.app, &page.actor, id).await?;
    Ok(Redirect::to("/tokens").into_response())
}

// ---- business hours ----

pub struct DayRow {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

pub struct ScheduleLine {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub open_now: bool,
    pub next_opening: String,
}

#[derive(Template)]
#[template(path = "admin_schedules.html")]
struct SchedulesPage {
    c: Chrome,
    tab: &'static str,
    schedules: Vec<ScheduleLine>,
    /// The form: a new schedule, or the one being edited.
    edit_id: i64,
    name: String,
    time_zone: String,
    days: Vec<DayRow>,
    holidays: String,
    e: Errors,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn blocks_text(blocks: &[[String; 2]]) -> String {
    blocks.iter().map(|[a, b]| format!("{a}-{b}")).collect::<Vec<_>>().join(", ")
}

async fn schedules_page(
    web: &Web,
    page: &Page,
    edit: Option<atiende_core::hours::ScheduleInput>,
    edit_id: i64,
    e: Errors,
) -> Result<SchedulesPage, UiError> {
    admin(page)?;
    let c = page.chrome(web).await?;
    let now = jiff::Timestamp::from_microsecond(web.app.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let schedules = atiende_app::schedules::list(&web.app, &page.actor)
        .await?
        .into_iter()
        .map(|s| {
            let local =
                |t: jiff::Timestamp| s.schedule.tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string();
            ScheduleLine {
                id: s.row.id,
                name: s.input.name.clone(),
                time_zone: s.input.time_zone.clone(),
                open_now: s.schedule.is_open(now),
                next_opening: s.schedule.next_opening(now).map(local).unwrap_or_default(),
            }
        })
        .collect();
    let input = edit.unwrap_or_else(|| atiende_core::hours::ScheduleInput {
        name: String::new(),
        time_zone: "America/Santiago".into(),
        days: DAYS[..5]
            .iter()
            .map(|d| (d.to_string(), vec![["09:00".to_string(), "18:00".to_string()]]))
            .collect(),
        holidays: vec![],
    });
    let days = DAYS
        .iter()
        .map(|d| DayRow {
            key: d,
            label: page.tr.t(&format!("day.{d}")),
            value: input.days.get(*d).map(|b| blocks_text(b)).unwrap_or_default(),
        })
        .collect();
    Ok(SchedulesPage {
        c,
        tab: "schedules",
        schedules,
        edit_id,
        name: input.name,
        time_zone: input.time_zone,
        days,
        holidays: input.holidays.join(", "),
        e,
    })
}

/// Reads the schedule form: each day "09:00-13:00, 14:00-18:00"; holidays separated by
/// commas or lines; "copy Monday to every day" when asked.
fn read_schedule(form: &Form) -> Result<atiende_core::hours::ScheduleInput, AppError> {
    let mut days = std::collections::BTreeMap::new();
    let copy = form.get("copy_monday") == "on";
    for d in DAYS {
        let text = if copy { form.get("day_mon") } else { form.get(&format!("day_{d}")) };
        let mut blocks = vec![];
        for (j, part) in text.split(',').map(str::trim).filter(|p| !p.is_empty()).enumerate() {
            let Some((a, b)) = part.split_once('-') else {
                return Err(AppError::invalid(format!("days.{d}[{j}]"), "write blocks as HH:MM-HH:MM"));
            };
            blocks.push([a.trim().to_string(), b.trim().to_string()]);
        }
        if !blocks.is_empty() {
            days.insert(d.to_string(), blocks);
        }
    }
    let holidays = form
        .get("holidays")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect();
    Ok(atiende_core::hours::ScheduleInput {
        name: form.get("name").to_string(),
        time_zone: form.get("time_zone").to_string(),
        days,
        holidays,
    })
}

pub async fn schedules_show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &schedules_page(&web, &page, None, 0, Errors::default()).await?))
}

pub async fn schedules_edit(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let s = atiende_app::schedules::get(&web.app, &page.actor, id).await?;
    Ok(render(StatusCode::OK, &schedules_page(&web, &page, Some(s.input), id, Errors::default()).await?))
}

async fn schedules_save(web: Web, page: Page, req: Request, id: Option<i64>) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let r = match read_schedule(&form) {
        Ok(input) => match id {
            None => atiende_app::schedules::create(&web.app, &page.actor, &input).await.map(|_| ()),
            Some(id) => atiende_app::schedules::replace(&web.app, &page.actor, id, &input).await.map(|_| ()),
        },
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/admin/schedules").into_response()),
        Err(e) => {
            let mut e = Errors::from_app("schedule", e, &form, page.tr)?;
            // "days.mon[1]" is shown next to Monday.
            if let Some(day) = e.field.strip_prefix("days.").and_then(|f| f.get(..3)) {
                e.field = format!("day_{day}");
            } else if e.field.starts_with("holidays") {
                e.field = "holidays".into();
            }
            let mut p = schedules_page(&web, &page, None, id.unwrap_or(0), e).await?;
            p.name = form.get("name").into();
            p.time_zone = form.get("time_zone").into();
            p.holidays = form.get("holidays").into();
            for d in p.days.iter_mut() {
                d.value = form.get(&format!("day_{}", d.key)).into();
            }
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
    }
}

pub async fn schedules_create(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    schedules_save(web, page, req, None).await
}

pub async fn schedules_update(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    schedules_save(web, page, req, Some(id)).await
}

// ---- assignment: agents × accounts ----

pub struct GridAccount {
    pub id: i64,
    pub name: String,
    pub mode: &'static str,
    pub queue: i64,
    pub oldest: String,
}

pub struct GridRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub assignable: bool,
    pub cap: String,
    /// (account id, mode) in the order of the accounts.
    pub modes: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "admin_assignment.html")]
struct AssignmentPage {
    c: Chrome,
    tab: &'static str,
    accounts: Vec<GridAccount>,
    rows: Vec<GridRow>,
    e: Errors,
}

async fn assignment_page(web: &Web, page: &Page, e: Errors) -> Result<AssignmentPage, UiError> {
    admin(page)?;
    let c = page.chrome(web).await?;
    let grid = atiende_app::assign::grid(&web.app, &page.actor).await?;
    let now = web.app.now();
    let org_settings = page.actor.reader(&web.app)?.org_settings().await.unwrap_or_default();
    let accounts: Vec<GridAccount> = page
        .actor
        .reader(&web.app)?
        .accounts()
        .await?
        .into_iter()
        .map(|a| {
            let mode = match atiende_app::assign::rules(a.settings.json(), &org_settings).0 {
                atiende_core::assign::AssignMode::ArrivalOrder => "assign.arrival_order",
                atiende_core::assign::AssignMode::AwaitingAnswer => "assign.awaiting_answer",
            };
            let q = grid.queue.iter().find(|q| q.account_id == a.id);
            GridAccount {
                id: a.id,
                name: a.name,
                mode,
                queue: q.map_or(0, |q| q.size),
                oldest: q
                    .and_then(|q| q.oldest_queued_at.as_deref())
                    .and_then(atiende_core::time::parse_rfc3339)
                    .map(|t| page.tr.elapsed(now - t))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let rows = page
        .actor
        .reader(&web.app)?
        .users(0, 10_000)
        .await?
        .into_iter()
        .filter(|u| {
            u.active
                && (Roles::from_db(&u.roles).has(Role::Agent) || Roles::from_db(&u.roles).has(Role::Admin))
        })
        .map(|u| {
            let status = c.statuses.iter().find(|s| Some(s.id) == u.connection_status_id);
            GridRow {
                id: u.id,
                name: display_name(&u),
                status: status.map(|s| s.name.clone()).unwrap_or_default(),
                assignable: status.is_some_and(|s| s.assignable),
                cap: e
                    .values
                    .get(&format!("cap_{}", u.id))
                    .cloned()
                    .unwrap_or_else(|| u.max_open_tickets.map(|c| c.to_string()).unwrap_or_default()),
                modes: accounts
                    .iter()
                    .map(|a| {
                        let m = grid
                            .modes
                            .iter()
                            .find(|(acc, user, _)| *acc == a.id && *user == u.id)
                            .map_or("disabled", |(_, _, m)| m.as_str());
                        (a.id, m.to_string())
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(AssignmentPage { c, tab: "assignment", accounts, rows, e })
}

pub async fn assignment_show(State(web): State<Web>, page: Page) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &assignment_page(&web, &page, Errors::default()).await?))
}

/// Saves the whole grid at once: fields `m_{user}_{account}` (mode) and `cap_{user}`.
pub async fn assignment_save(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let mut modes = Vec::new();
    let mut caps = Vec::new();
    let mut bad = None;
    for (k, v) in &form.0 {
        if let Some(rest) = k.strip_prefix("m_") {
            match rest
                .split_once('_')
                .and_then(|(u, a)| Some((u.parse::<i64>().ok()?, a.parse::<i64>().ok()?)))
            {
                Some((u, a)) => modes.push((a, u, v.clone())),
                None => bad = Some("mode"),
            }
        } else if let Some(u) = k.strip_prefix("cap_") {
            let cap = v.trim();
            match (u.parse::<i64>(), cap.parse::<i64>()) {
                (Ok(u), _) if cap.is_empty() => caps.push((u, None)),
                (Ok(u), Ok(c)) => caps.push((u, Some(c))),
                _ => bad = Some("max_open_tickets"),
            }
        }
    }
    let r = match bad {
        Some("mode") => Err(AppError::invalid("mode", "no such agent and account")),
        Some(_) => Err(AppError::invalid("max_open_tickets", "must be 1 to 1000, or empty for no cap")),
        None => atiende_app::assign::save_grid(&web.app, &page.actor, &modes, &caps).await,
    };
    match r {
        Ok(()) => Ok(Redirect::to("/admin/assignment?saved=1").into_response()),
        Err(e) => {
            let e = Errors::from_app("grid", e, &form, page.tr)?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &assignment_page(&web, &page, e).await?))
        }
    }
}
