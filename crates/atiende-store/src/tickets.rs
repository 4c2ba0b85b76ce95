//! Tickets: reads, filtered keyset listing, and the state changes agents make.
use crate::{events, found, on_db, on_tx, Db, StoreError, Tx};
use atiende_core::time::{rfc3339, Micros};
use serde_json::json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub org_id: i64,
    pub number: i64,
    pub account_id: i64,
    pub client_id: i64,
    pub state: String,
    pub important: bool,
    pub addressed: bool,
    pub addressed_at: Option<i64>,
    pub awaiting_answer: bool,
    pub waiting_since: Option<i64>,
    pub last_agent_message_at: Option<i64>,
    pub priority: i64,
    pub assignee_id: Option<i64>,
    pub excerpt: String,
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

pub(crate) const COLS: &str = "id, org_id, number, account_id, client_id, state, important, addressed, addressed_at, \
    awaiting_answer, waiting_since, last_agent_message_at, priority, assignee_id, excerpt, tags, created_at, updated_at, closed_at";

/// The API shape of a ticket (SPEC §11.1), also carried by realtime events.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketView {
    pub id: i64,
    /// Short number, per organization.
    pub number: i64,
    /// `open`, `closed` or `ignored`.
    pub state: String,
    pub important: bool,
    /// A human agent has answered at least once.
    pub addressed: bool,
    pub addressed_at: Option<String>,
    /// The last message of the conversation is the client's.
    pub awaiting_answer: bool,
    /// The earliest client message not yet answered by an agent (SLA waiting time).
    pub waiting_since: Option<String>,
    /// 0 (default) to 5.
    pub priority: i64,
    pub account_id: i64,
    pub client_id: i64,
    pub assignee_id: Option<i64>,
    /// The start of the last message.
    pub excerpt: String,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

impl TicketRow {
    pub fn view(&self) -> TicketView {
        TicketView {
            id: self.id,
            number: self.number,
            state: self.state.clone(),
            important: self.important,
            addressed: self.addressed,
            addressed_at: self.addressed_at.map(rfc3339),
            awaiting_answer: self.awaiting_answer,
            waiting_since: self.waiting_since.map(rfc3339),
            priority: self.priority,
            account_id: self.account_id,
            client_id: self.client_id,
            assignee_id: self.assignee_id,
            excerpt: self.excerpt.clone(),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            closed_at: self.closed_at.map(rfc3339),
        }
    }
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<TicketRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM tickets WHERE org_id = $1 AND id = $2");
    found(on_db!(db, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?)
}

pub async fn get_tx(tx: &mut Tx, org_id: i64, id: i64) -> Result<TicketRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM tickets WHERE org_id = $1 AND id = $2");
    found(on_tx!(tx, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?)
}

/// Which assignee a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    None,
    User(i64),
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state: Option<String>,
    pub account_id: Option<i64>,
    pub client_id: Option<i64>,
    pub assignee: Option<AssigneeFilter>,
    pub important: Option<bool>,
}

/// The position after which a page starts: (updated_at, id) of the last row seen.
pub type TicketCursor = (i64, i64);

enum Arg {
    I(i64),
    S(String),
    B(bool),
}

/// Tickets matching `f`, most recently updated first, `limit` at most, after `cursor`.
pub async fn list(db: &Db, org_id: i64, f: &TicketFilter, cursor: Option<TicketCursor>, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
    let mut sql = format!("SELECT {COLS} FROM tickets WHERE org_id = $1");
    let mut args = vec![Arg::I(org_id)];
    let mut push = |cond: &str, arg: Arg, sql: &mut String| {
        args.push(arg);
        sql.push_str(&cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(s) = &f.state {
        push(" AND state = ?", Arg::S(s.clone()), &mut sql);
    }
    if let Some(a) = f.account_id {
        push(" AND account_id = ?", Arg::I(a), &mut sql);
    }
    if let Some(cl) = f.client_id {
        push(" AND client_id = ?", Arg::I(cl), &mut sql);
    }
    match f.assignee {
        Some(AssigneeFilter::None) => sql.push_str(" AND assignee_id IS NULL"),
        Some(AssigneeFilter::User(u)) => push(" AND assignee_id = ?", Arg::I(u), &mut sql),
        None => {}
    }
    if let Some(i) = f.important {
        push(" AND important = ?", Arg::B(i), &mut sql);
    }
    if let Some((u, id)) = cursor {
        push(" AND (updated_at < ?", Arg::I(u), &mut sql);
        push(" OR (updated_at = ?", Arg::I(u), &mut sql);
        push(" AND id < ?))", Arg::I(id), &mut sql);
    }
    push(" ORDER BY updated_at DESC, id DESC LIMIT ?", Arg::I(limit), &mut sql);
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql));
        for a in &args {
            q = match a {
                Arg::I(v) => q.bind(*v),
                Arg::S(v) => q.bind(v.clone()),
                Arg::B(v) => q.bind(*v),
            };
        }
        q.fetch_all(c).await
    })?)
}

/// Closes a ticket (no-op when already closed). Returns the updated row.
pub async fn close(tx: &mut Tx, org_id: i64, id: i64, actor: Option<i64>, now: Micros) -> Result<TicketRow, StoreError> {
    let t = get_tx(tx, org_id, id).await?;
    if t.state == "closed" {
        return Ok(t);
    }
    on_tx!(tx, exec |c| sqlx::query("UPDATE tickets SET state = 'closed', closed_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id))?;
    let t = get_tx(tx, org_id, id).await?;
    events::record(tx, org_id, "ticket.closed", Some(id), None, &json!({"ticket": t.to_json(), "actor_user_id": actor}), now).await?;
    Ok(t)
}

/// Assigns a ticket to `user` (or unassigns it with `None`) and records why.
pub async fn assign(
    tx: &mut Tx,
    org_id: i64,
    id: i64,
    user: Option<i64>,
    actor: Option<i64>,
    reason: &str,
    now: Micros,
) -> Result<TicketRow, StoreError> {
    let t = get_tx(tx, org_id, id).await?;
    if t.assignee_id == user {
        return Ok(t);
    }
    on_tx!(tx, exec |c| sqlx::query("UPDATE tickets SET assignee_id = $1, updated_at = $2 WHERE id = $3")
        .bind(user)
        .bind(now)
        .bind(id))?;
    on_tx!(tx, exec |c| sqlx::query(
        "INSERT INTO assignments (org_id, ticket_id, user_id, previous_user_id, actor_user_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(org_id)
    .bind(id)
    .bind(user)
    .bind(t.assignee_id)
    .bind(actor)
    .bind(reason)
    .bind(now))?;
    let t = get_tx(tx, org_id, id).await?;
    events::record(tx, org_id, "ticket.assigned", Some(id), None, &json!({"ticket": t.to_json(), "actor_user_id": actor}), now).await?;
    Ok(t)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub user_id: Option<i64>,
    pub previous_user_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub reason: String,
    pub at: i64,
}

pub async fn assignments(db: &Db, ticket_id: i64) -> Result<Vec<AssignmentRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, AssignmentRow>(
        "SELECT user_id, previous_user_id, actor_user_id, reason, at FROM assignments WHERE ticket_id = $1 ORDER BY id"
    )
    .bind(ticket_id)
    .fetch_all(c)
    .await)?)
}

/// Number of tickets in the organization (all states).
pub async fn count(db: &Db, org_id: i64) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE org_id = $1").bind(org_id).fetch_one(c).await)?)
}
