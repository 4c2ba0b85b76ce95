//! The board (SPEC §8): each user's columns of saved filters, and their pages of tickets.
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_core::Role;
use atiende_core::board::{self, AssigneeChoice, ColumnFilter, Flow, MAX_COLUMNS};
use atiende_store::columns::{self, ColumnRow};
use atiende_store::tickets::{self, AssigneeFilter, TicketCursor, TicketFilter, TicketRow};

/// A column with its filter read back.
#[derive(Debug, Clone)]
pub struct Column {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub filter: ColumnFilter,
}

fn read(row: ColumnRow) -> Column {
    // A filter saved by an older version that no longer parses shows everything open
    // rather than breaking the board; editing the column saves a valid one.
    let filter = serde_json::from_str(&row.filter).unwrap_or_default();
    Column { id: row.id, position: row.position, name: row.name, filter }
}

fn can_use_board(actor: &Actor) -> Result<(), AppError> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<Column>, AppError> {
    can_use_board(actor)?;
    Ok(columns::list(&app.db, actor.user_id).await?.into_iter().map(read).collect())
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Column, AppError> {
    can_use_board(actor)?;
    Ok(read(columns::get(&app.db, actor.user_id, id).await?))
}

/// Checks a column: its name, its filter, and that accounts and agents it names are
/// the organization's.
async fn check(
    app: &App,
    actor: &Actor,
    name: &str,
    filter: &mut ColumnFilter,
) -> Result<(String, String), AppError> {
    let name = board::column_name(name)?;
    filter.validate()?;
    if !filter.account_ids.is_empty() {
        let ours: Vec<i64> =
            atiende_store::accounts::list(&app.db, actor.org_id).await?.into_iter().map(|a| a.id).collect();
        if filter.account_ids.iter().any(|id| !ours.contains(id)) {
            return Err(AppError::invalid("account_ids", "no such account in this organization"));
        }
    }
    for id in &filter.assignee_ids {
        if atiende_store::users::get(&app.db, actor.org_id, *id).await.is_err() {
            return Err(AppError::invalid("assignee_ids", "no such user in this organization"));
        }
    }
    let json = serde_json::to_string(filter).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((name, json))
}

pub async fn create(
    app: &App,
    actor: &Actor,
    name: &str,
    mut filter: ColumnFilter,
) -> Result<Column, AppError> {
    can_use_board(actor)?;
    let (name, json) = check(app, actor, name, &mut filter).await?;
    if columns::list(&app.db, actor.user_id).await?.len() >= MAX_COLUMNS {
        return Err(AppError::conflict("name", format!("a board holds at most {MAX_COLUMNS} columns")));
    }
    let id = columns::create(&app.db, actor.org_id, actor.user_id, &name, &json, app.now()).await?;
    get(app, actor, id).await
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    name: &str,
    mut filter: ColumnFilter,
) -> Result<Column, AppError> {
    can_use_board(actor)?;
    let (name, json) = check(app, actor, name, &mut filter).await?;
    columns::update(&app.db, actor.user_id, id, &name, &json).await?;
    get(app, actor, id).await
}

pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<(), AppError> {
    can_use_board(actor)?;
    Ok(columns::delete(&app.db, actor.user_id, id).await?)
}

/// Moves a column one place left (`-1`) or right (`+1`).
pub async fn shift(app: &App, actor: &Actor, id: i64, by: i64) -> Result<(), AppError> {
    can_use_board(actor)?;
    let mut order: Vec<i64> =
        columns::list(&app.db, actor.user_id).await?.into_iter().map(|c| c.id).collect();
    let Some(at) = order.iter().position(|c| *c == id) else {
        return Err(atiende_store::StoreError::NotFound.into());
    };
    let to = (at as i64 + by).clamp(0, order.len() as i64 - 1) as usize;
    order.swap(at, to);
    Ok(columns::reorder(&app.db, actor.user_id, &order).await?)
}

/// Creates the three recommended columns; `names` gives each its label in the user's language.
pub async fn apply_flow(
    app: &App,
    actor: &Actor,
    flow: Flow,
    names: impl Fn(&str) -> String,
) -> Result<Vec<Column>, AppError> {
    can_use_board(actor)?;
    if flow == Flow::Team && !actor.is(Role::Admin) {
        return Err(AppError::Forbidden("the whole team's board is for admins".into()));
    }
    for (key, filter) in board::recommended(flow) {
        create(app, actor, &names(key), filter).await?;
    }
    list(app, actor).await
}

/// The store filter a column's saved filter means for `actor` at `now`.
pub async fn ticket_filter(app: &App, actor: &Actor, f: &ColumnFilter) -> Result<TicketFilter, AppError> {
    let overdue = if f.overdue {
        let now = app.now();
        let mut deadlines = Vec::new();
        for a in atiende_store::accounts::list(&app.db, actor.org_id).await? {
            if let Some(sla) = a.settings.sla() {
                deadlines.push((a.id, now - sla.micros()));
            }
        }
        Some(deadlines)
    } else {
        None
    };
    Ok(TicketFilter {
        overdue,
        state: Some(f.state.as_str().to_string()),
        account_ids: f.account_ids.clone(),
        kinds: f.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        client_text: f.client.clone(),
        assignee: match f.assignee {
            AssigneeChoice::Any => None,
            AssigneeChoice::None => Some(AssigneeFilter::None),
            AssigneeChoice::Me => Some(AssigneeFilter::User(actor.user_id)),
            AssigneeChoice::Users => Some(AssigneeFilter::Users(f.assignee_ids.clone())),
        },
        important: f.important,
        addressed: f.addressed,
        awaiting_answer: f.awaiting_answer,
        tags: f.tags.clone(),
        created: ColumnFilter::range_micros(&f.created_from, &f.created_to),
        updated: ColumnFilter::range_micros(&f.updated_from, &f.updated_to),
        sort: f.sort,
        ..TicketFilter::default()
    })
}

/// Counts above this show as "N+" (counting a million rows on every refresh is not free).
pub const COUNT_CAP: i64 = 1000;

/// One page of a column.
pub struct Page {
    pub tickets: Vec<TicketRow>,
    pub next: Option<TicketCursor>,
    /// Matching tickets, at most [`COUNT_CAP`].
    pub count: i64,
}

pub async fn page(
    app: &App,
    actor: &Actor,
    col: &Column,
    cursor: Option<TicketCursor>,
    limit: i64,
) -> Result<Page, AppError> {
    can_use_board(actor)?;
    let f = ticket_filter(app, actor, &col.filter).await?;
    let limit = limit.clamp(1, 500);
    let mut rows = tickets::list(&app.db, actor.org_id, &f, cursor, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|t| tickets::cursor_after(t, col.filter.sort))
    } else {
        None
    };
    let count = tickets::count_matching(&app.db, actor.org_id, &f, COUNT_CAP + 1).await?;
    Ok(Page { tickets: rows, next, count })
}
