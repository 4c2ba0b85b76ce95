//! Tickets: reads, filtered keyset listing, and the state changes agents make.
use crate::{Db, StoreError, Tx, events, found};
use atiende_core::board::ColumnSort;
use atiende_core::time::{Micros, rfc3339};
use serde_json::json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub org_id: i64,
    pub number: i64,
    pub account_id: i64,
    pub client_id: i64,
    #[sqlx(try_from = "String")]
    pub state: atiende_core::TicketState,
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
    /// Waiting in the assignment queue since (open and unassigned, no eligible agent yet).
    pub queued_at: Option<i64>,
    /// The first human answer's delay after creation, and the SLA in effect then.
    pub first_response_micros: Option<i64>,
    pub first_response_sla_micros: Option<i64>,
}

pub(crate) const COLS: &str = "id, org_id, number, account_id, client_id, state, important, addressed, addressed_at, \
    awaiting_answer, waiting_since, last_agent_message_at, priority, assignee_id, excerpt, tags, created_at, updated_at, closed_at, queued_at, \
    first_response_micros, first_response_sla_micros";

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
    /// Waiting in the assignment queue since (SPEC §7); `null` when not queued.
    pub queued_since: Option<String>,
    /// Seconds from creation to the first human answer (recorded when it happens).
    pub first_response_seconds: Option<f64>,
    /// Whether that first answer came within the account's SLA at the time; `null` when
    /// not answered yet or the account had no SLA.
    pub first_response_within_sla: Option<bool>,
}

impl TicketRow {
    pub fn view(&self) -> TicketView {
        TicketView {
            id: self.id,
            number: self.number,
            state: self.state.to_string(),
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
            queued_since: self.queued_at.map(rfc3339),
            first_response_seconds: self.first_response_micros.map(|m| m as f64 / 1e6),
            first_response_within_sla: self
                .first_response_micros
                .zip(self.first_response_sla_micros)
                .map(|(r, sla)| r <= sla),
        }
    }
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<TicketRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM tickets WHERE org_id = $1 AND id = $2");
    found(on_db!(db, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// A ticket by id alone, for background work that acts across organizations.
pub async fn get_any(db: &Db, id: i64) -> Result<TicketRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM tickets WHERE id = $1");
    found(on_db!(db, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

pub async fn get_tx(tx: &mut Tx, org_id: i64, id: i64) -> Result<TicketRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM tickets WHERE org_id = $1 AND id = $2");
    found(on_tx!(tx, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// Which assignee a list asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Unassigned tickets.
    None,
    /// Assigned to anyone.
    Anyone,
    User(i64),
    Users(Vec<i64>),
}

/// Filters shared by the API's ticket list and the board's columns. Unset: no filter.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state: Option<String>,
    pub account_id: Option<i64>,
    pub account_ids: Vec<i64>,
    /// Channel kinds of the ticket's account.
    pub kinds: Vec<String>,
    pub client_id: Option<i64>,
    /// Substring of the client's name or of one of its identities, any case.
    pub client_text: Option<String>,
    pub assignee: Option<AssigneeFilter>,
    pub important: Option<bool>,
    pub addressed: Option<bool>,
    pub awaiting_answer: Option<bool>,
    /// Every one of these tags.
    pub tags: Vec<String>,
    /// `[from, to)` in microseconds.
    pub created: (Option<i64>, Option<i64>),
    pub updated: (Option<i64>, Option<i64>),
    pub sort: ColumnSort,
    /// Only overdue tickets: open, awaiting an answer since before `deadline` of their account
    /// — (account id, waiting_since deadline in µs) per account with an SLA.
    pub overdue: Option<Vec<(i64, i64)>>,
}

/// The position after which a page starts: (sort key, id) of the last row seen,
/// where the sort key is `updated_at` or `created_at` as the sort says.
pub type TicketCursor = (i64, i64);

enum Arg {
    I(i64),
    S(String),
    B(bool),
}

/// SQL `WHERE` text and its arguments, numbered `$1…` (SQLite reads `$N` by name).
struct Where {
    sql: String,
    args: Vec<Arg>,
}

impl Where {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    fn and(&mut self, cond: &str, a: Arg) {
        let p = self.arg(a);
        self.sql.push_str(&cond.replace('?', &p));
    }
    fn list(&mut self, ids: impl IntoIterator<Item = Arg>) -> String {
        ids.into_iter().map(|a| self.arg(a)).collect::<Vec<_>>().join(", ")
    }
}

fn like_pattern(s: &str) -> String {
    let escaped = s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn filter_sql(org_id: i64, f: &TicketFilter) -> Where {
    let mut w = Where { sql: String::from(" WHERE org_id = $1"), args: vec![Arg::I(org_id)] };
    if let Some(s) = &f.state {
        w.and(" AND state = ?", Arg::S(s.clone()));
    }
    if let Some(a) = f.account_id {
        w.and(" AND account_id = ?", Arg::I(a));
    }
    if !f.account_ids.is_empty() {
        let l = w.list(f.account_ids.iter().map(|v| Arg::I(*v)));
        w.sql.push_str(&format!(" AND account_id IN ({l})"));
    }
    if !f.kinds.is_empty() {
        let l = w.list(f.kinds.iter().map(|v| Arg::S(v.clone())));
        w.sql.push_str(&format!(
            " AND account_id IN (SELECT id FROM accounts WHERE org_id = $1 AND kind IN ({l}))"
        ));
    }
    if let Some(cl) = f.client_id {
        w.and(" AND client_id = ?", Arg::I(cl));
    }
    if let Some(text) = &f.client_text {
        let p = w.arg(Arg::S(like_pattern(text)));
        w.sql.push_str(&format!(
            " AND client_id IN (SELECT id FROM clients WHERE org_id = $1 AND LOWER(name) LIKE {p} ESCAPE '\\' \
             UNION SELECT client_id FROM client_identities WHERE org_id = $1 AND LOWER(value) LIKE {p} ESCAPE '\\')"
        ));
    }
    match &f.assignee {
        Some(AssigneeFilter::None) => w.sql.push_str(" AND assignee_id IS NULL"),
        Some(AssigneeFilter::Anyone) => w.sql.push_str(" AND assignee_id IS NOT NULL"),
        Some(AssigneeFilter::User(u)) => w.and(" AND assignee_id = ?", Arg::I(*u)),
        Some(AssigneeFilter::Users(us)) => {
            let l = w.list(us.iter().map(|v| Arg::I(*v)));
            w.sql.push_str(&format!(" AND assignee_id IN ({l})"));
        }
        None => {}
    }
    for (col, v) in
        [("important", f.important), ("addressed", f.addressed), ("awaiting_answer", f.awaiting_answer)]
    {
        if let Some(v) = v {
            w.and(&format!(" AND {col} = ?"), Arg::B(v));
        }
    }
    if let Some(deadlines) = &f.overdue {
        if deadlines.is_empty() {
            w.sql.push_str(" AND 1 = 0");
        } else {
            let mut parts = Vec::new();
            for (acc, deadline) in deadlines {
                let a = w.arg(Arg::I(*acc));
                let d = w.arg(Arg::I(*deadline));
                parts.push(format!("(account_id = {a} AND waiting_since < {d})"));
            }
            let yes = w.arg(Arg::B(true));
            w.sql.push_str(&format!(
                " AND state = 'open' AND awaiting_answer = {yes} AND ({})",
                parts.join(" OR ")
            ));
        }
    }
    for tag in &f.tags {
        let quoted = serde_json::to_string(tag).unwrap_or_default();
        w.and(" AND LOWER(tags) LIKE ? ESCAPE '\\'", Arg::S(like_pattern(&quoted)));
    }
    for (col, (from, to)) in [("created_at", f.created), ("updated_at", f.updated)] {
        if let Some(v) = from {
            w.and(&format!(" AND {col} >= ?"), Arg::I(v));
        }
        if let Some(v) = to {
            w.and(&format!(" AND {col} < ?"), Arg::I(v));
        }
    }
    w
}

async fn fetch<T>(db: &Db, sql: String, args: Vec<Arg>) -> Result<Vec<T>, StoreError>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
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

/// Tickets matching `f` in its sort order, `limit` at most, after `cursor`.
pub async fn list(
    db: &Db,
    org_id: i64,
    f: &TicketFilter,
    cursor: Option<TicketCursor>,
    limit: i64,
) -> Result<Vec<TicketRow>, StoreError> {
    let mut w = filter_sql(org_id, f);
    let key = if f.sort.by_created() { "created_at" } else { "updated_at" };
    let (cmp, dir) = if f.sort.descending() { ("<", "DESC") } else { (">", "ASC") };
    if let Some((k, id)) = cursor {
        let a = w.arg(Arg::I(k));
        let b = w.arg(Arg::I(id));
        w.sql.push_str(&format!(" AND ({key} {cmp} {a} OR ({key} = {a} AND id {cmp} {b}))"));
    }
    let l = w.arg(Arg::I(limit));
    let sql = format!("SELECT {COLS} FROM tickets{} ORDER BY {key} {dir}, id {dir} LIMIT {l}", w.sql);
    fetch(db, sql, w.args).await
}

/// The cursor that continues a list after `t`.
pub fn cursor_after(t: &TicketRow, sort: ColumnSort) -> TicketCursor {
    (if sort.by_created() { t.created_at } else { t.updated_at }, t.id)
}

/// How many tickets match `f`, counting at most `cap` (a column shows "1000+" beyond).
pub async fn count_matching(db: &Db, org_id: i64, f: &TicketFilter, cap: i64) -> Result<i64, StoreError> {
    let mut w = filter_sql(org_id, f);
    let l = w.arg(Arg::I(cap));
    let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM tickets{} LIMIT {l}) AS capped", w.sql);
    let rows: Vec<(i64,)> = fetch(db, sql, w.args).await?;
    Ok(rows.first().map_or(0, |r| r.0))
}

/// Closes a ticket (no-op when already closed). Returns the updated row.
pub async fn close(
    tx: &mut Tx,
    org_id: i64,
    id: i64,
    actor: Option<i64>,
    now: Micros,
) -> Result<TicketRow, StoreError> {
    let t = get_tx(tx, org_id, id).await?;
    if t.state == atiende_core::TicketState::Closed {
        return Ok(t);
    }
    exec_tx!(tx, |c| {
        sqlx::query("UPDATE tickets SET state = 'closed', closed_at = $1, updated_at = $1, queued_at = NULL, queue_reason = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
    })?;
    let t = get_tx(tx, org_id, id).await?;
    events::record(
        tx,
        org_id,
        "ticket.closed",
        Some(id),
        None,
        &json!({"ticket": t.to_json(), "actor_user_id": actor}),
        now,
    )
    .await?;
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
    // A ticket given to someone leaves the queue; one released stays out of it
    // until the caller puts it back (`assign::requeue`).
    exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE tickets SET assignee_id = $1, updated_at = $2, \
         queued_at = CASE WHEN $1 IS NULL THEN queued_at ELSE NULL END, queue_reason = CASE WHEN $1 IS NULL THEN queue_reason ELSE NULL END WHERE id = $3"
    )
    .bind(user)
    .bind(now)
    .bind(id)
    })?;
    if let Some(u) = user {
        exec_tx!(tx, |c| sqlx::query("UPDATE users SET last_assigned_at = $1 WHERE id = $2")
            .bind(now)
            .bind(u))?;
    }
    exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO assignments (org_id, ticket_id, user_id, previous_user_id, actor_user_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(org_id)
    .bind(id)
    .bind(user)
    .bind(t.assignee_id)
    .bind(actor)
    .bind(reason)
    .bind(now)
    })?;
    let t = get_tx(tx, org_id, id).await?;
    events::record(
        tx,
        org_id,
        "ticket.assigned",
        Some(id),
        None,
        &json!({"ticket": t.to_json(), "actor_user_id": actor}),
        now,
    )
    .await?;
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
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, AssignmentRow>(
        "SELECT user_id, previous_user_id, actor_user_id, reason, at FROM assignments WHERE ticket_id = $1 ORDER BY id"
    )
    .bind(ticket_id)
    .fetch_all(c)
    .await
    })?)
}

/// Number of tickets in the organization (all states).
pub async fn count(db: &Db, org_id: i64) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(c)
        .await)?)
}

/// Reopens a closed or ignored ticket (counted as reopened) and records `ticket.reopened`.
/// [`StoreError::Conflict`] when the client already has another open ticket on the account
/// (one open ticket per client per account).
pub async fn reopen(tx: &mut Tx, org_id: i64, id: i64, now: Micros) -> Result<TicketRow, StoreError> {
    let t = get_tx(tx, org_id, id).await?;
    if t.state == atiende_core::TicketState::Open {
        return Ok(t);
    }
    exec_tx!(tx, |c| sqlx::query(
        "UPDATE tickets SET state = 'open', closed_at = NULL, reopened_count = reopened_count + 1, updated_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id))
    .map_err(|e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() { StoreError::Conflict("the client already has an open ticket on this account".into()) } else { e }
    })?;
    let t = get_tx(tx, org_id, id).await?;
    events::record(tx, org_id, "ticket.reopened", Some(id), None, &json!({"ticket": t.to_json()}), now)
        .await?;
    Ok(t)
}

/// A change of a ticket's flags.
#[derive(Debug, Clone, Copy)]
pub enum FlagChange {
    Important(bool),
    Priority(i64),
    /// Open → ignored: closed without being addressed, out of the assignment queue.
    Ignore,
}

/// Applies a flag change and records its event (`ticket.updated`, or `ticket.ignored`).
pub async fn set_flag(
    tx: &mut Tx,
    org_id: i64,
    id: i64,
    change: FlagChange,
    actor: Option<i64>,
    now: Micros,
) -> Result<TicketRow, StoreError> {
    get_tx(tx, org_id, id).await?;
    let kind = match change {
        FlagChange::Important(v) => {
            exec_tx!(tx, |c| sqlx::query(
                "UPDATE tickets SET important = $1, updated_at = $2 WHERE id = $3"
            )
            .bind(v)
            .bind(now)
            .bind(id))?;
            "ticket.updated"
        }
        FlagChange::Priority(p) => {
            exec_tx!(tx, |c| sqlx::query("UPDATE tickets SET priority = $1, updated_at = $2 WHERE id = $3")
                .bind(p)
                .bind(now)
                .bind(id))?;
            "ticket.updated"
        }
        FlagChange::Ignore => {
            exec_tx!(tx, |c| {
                sqlx::query(
                "UPDATE tickets SET state = 'ignored', closed_at = $1, updated_at = $1, queued_at = NULL, queue_reason = NULL WHERE id = $2"
            )
            .bind(now)
            .bind(id)
            })?;
            "ticket.ignored"
        }
    };
    let t = get_tx(tx, org_id, id).await?;
    events::record(
        tx,
        org_id,
        kind,
        Some(id),
        None,
        &json!({"ticket": t.to_json(), "actor_user_id": actor}),
        now,
    )
    .await?;
    Ok(t)
}

/// The user's tickets not closed and created at or after `since` (released when the user
/// is deactivated).
pub async fn assigned_since(
    tx: &mut Tx,
    org_id: i64,
    user_id: i64,
    since: Micros,
) -> Result<Vec<i64>, StoreError> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT id FROM tickets WHERE org_id = $1 AND assignee_id = $2 AND state <> 'closed' AND created_at >= $3"
    )
    .bind(org_id)
    .bind(user_id)
    .bind(since)
    .fetch_all(c)
    .await
    })?)
}

/// Replaces a ticket's tags (a JSON list of texts, matched case-insensitively by filters).
pub async fn set_tags(
    tx: &mut Tx,
    org_id: i64,
    id: i64,
    tags: &[String],
    now: Micros,
) -> Result<TicketRow, StoreError> {
    let list = serde_json::to_string(tags).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let n = exec_tx!(tx, |c| sqlx::query(
        "UPDATE tickets SET tags = $1, updated_at = $2 WHERE org_id = $3 AND id = $4"
    )
    .bind(list)
    .bind(now)
    .bind(org_id)
    .bind(id))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get_tx(tx, org_id, id).await
}

/// The open ticket of the client with this identity on the account, if any.
pub async fn open_of_identity(
    db: &Db,
    org_id: i64,
    account_id: i64,
    kind: &str,
    value: &str,
) -> Result<Option<TicketRow>, StoreError> {
    let cols = COLS.split(", ").map(|c| format!("t.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {cols} FROM tickets t JOIN client_identities ci ON ci.client_id = t.client_id AND ci.org_id = t.org_id \
         WHERE ci.org_id = $1 AND ci.kind = $2 AND ci.value = $3 AND t.account_id = $4 AND t.state = 'open' \
         ORDER BY t.id DESC LIMIT 1"
    );
    Ok(on_db!(db, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(kind)
        .bind(value)
        .bind(account_id)
        .fetch_optional(c)
        .await)?)
}
