//! The facts automatic assignment looks at, and the writes that apply its decisions
//! (SPEC §7). The decision itself is `atiende_core::assign::decide`.
//!
//! The queue is the set of open, unassigned tickets with `queued_at` set. Whatever
//! may make a queued ticket assignable (a new ticket, a status change, an agent
//! enabled, a cap freed) arms the organization's `assign` job in the same
//! transaction; the job drains the queue.
use crate::tickets::{COLS as TICKET_COLS, TicketRow};
use crate::{Db, StoreError, Tx, events, jobs};
use atiende_core::assign::Candidate;
use atiende_core::time::Micros;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// The job that drains an organization's queue: payload `{"org_id": N, "armed": "…"}`.
pub const ASSIGN: &str = "assign";

fn job_key(org_id: i64) -> String {
    format!("assign:{org_id}")
}

/// Asks for the organization's queue to be drained now. When a drain is already
/// queued or running, it is re-armed: a running drain sees the new payload when it
/// finishes and runs once more, so a ticket queued during a drain is never missed.
pub async fn arm(tx: &mut Tx, org_id: i64, now: Micros) -> Result<(), StoreError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nonce = format!("{now}-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
    let payload = json!({"org_id": org_id, "armed": nonce}).to_string();
    jobs::rearm(tx, ASSIGN, &payload, &job_key(org_id), now).await
}

/// An agent's id, active flag, status assignable, mode, cap and last ticket received.
type AgentFacts = (i64, bool, bool, String, Option<i64>, Option<i64>);

/// The agents of an account who are not disabled there, with what the rules look at.
pub async fn candidates(tx: &mut Tx, account_id: i64) -> Result<Vec<Candidate>, StoreError> {
    let rows: Vec<AgentFacts> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT u.id, u.active, COALESCE(s.assignable, FALSE), aa.mode, u.max_open_tickets, u.last_assigned_at \
         FROM account_agents aa JOIN users u ON u.id = aa.user_id \
         LEFT JOIN connection_statuses s ON s.id = u.connection_status_id \
         WHERE aa.account_id = $1 AND aa.mode <> 'disabled' ORDER BY u.id"
    )
    .bind(account_id)
    .fetch_all(c)
    .await
    })?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let loads = open_loads(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, active, assignable, mode, cap, last)| {
            let (open, awaiting) = loads.get(&user_id).copied().unwrap_or((0, 0));
            Candidate {
                user_id,
                active,
                assignable,
                auto: mode == "auto",
                open,
                cap,
                awaiting,
                last_assigned_at: last,
            }
        })
        .collect())
}

/// Open tickets and open tickets awaiting an answer, per user (all accounts).
async fn open_loads(tx: &mut Tx, users: &[i64]) -> Result<HashMap<i64, (i64, i64)>, StoreError> {
    let mut out = HashMap::new();
    for chunk in users.chunks(500) {
        let sql = format!(
            "SELECT assignee_id, COUNT(*), COALESCE(SUM(CASE WHEN awaiting_answer THEN 1 ELSE 0 END), 0) FROM tickets \
             WHERE state = 'open' AND assignee_id IN ({}) GROUP BY assignee_id",
            crate::placeholders(true, 0, chunk.len())
        );
        let rows: Vec<(i64, i64, i64)> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        out.extend(rows.into_iter().map(|(u, o, a)| (u, (o, a))));
    }
    Ok(out)
}

/// Accounts of the organization with tickets in the queue.
pub async fn queued_accounts(tx: &mut Tx, org_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT id FROM accounts WHERE org_id = $1 AND EXISTS (SELECT 1 FROM tickets WHERE tickets.account_id = accounts.id AND queued_at IS NOT NULL AND state = 'open' AND assignee_id IS NULL) ORDER BY id"
    )
    .bind(org_id)
    .fetch_all(c)
    .await
    })?)
}

/// The account's queued tickets in the order they are served, at most `limit`: highest
/// priority first, where waiting adds one level per `ageing` microseconds, then the
/// longest waiting, then the oldest ticket.
pub async fn queued(
    tx: &mut Tx,
    account_id: i64,
    now: Micros,
    ageing: Micros,
    limit: i64,
) -> Result<Vec<TicketRow>, StoreError> {
    let sql = format!(
        "SELECT {TICKET_COLS} FROM tickets WHERE account_id = $1 AND queued_at IS NOT NULL AND state = 'open' AND assignee_id IS NULL \
         ORDER BY priority + ($2 - queued_at) / $3 DESC, queued_at, id LIMIT $4"
    );
    Ok(on_tx!(tx, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(now)
        .bind(ageing.max(1))
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// For each client, the agent most recently given one of their tickets since `since`.
pub async fn relationships(
    tx: &mut Tx,
    org_id: i64,
    clients: &[i64],
    since: Micros,
) -> Result<HashMap<i64, (i64, Micros)>, StoreError> {
    let mut out: HashMap<i64, (i64, Micros)> = HashMap::new();
    for chunk in clients.chunks(500) {
        let sql = format!(
            "SELECT t.client_id, a.user_id, a.at FROM assignments a JOIN tickets t ON t.id = a.ticket_id \
             WHERE t.org_id = $1 AND a.user_id IS NOT NULL AND a.at >= $2 AND t.client_id IN ({}) ORDER BY a.at, a.id",
            crate::placeholders(true, 2, chunk.len())
        );
        let rows: Vec<(i64, i64, i64)> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(since);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        for (client, user, at) in rows {
            out.insert(client, (user, at));
        }
    }
    Ok(out)
}

/// Gives a queued ticket to `user_id` for `reason`, unless someone took it meanwhile.
/// `stamp` is the user's new "last received" time. Returns whether it was applied.
pub async fn apply(
    tx: &mut Tx,
    t: &TicketRow,
    user_id: i64,
    reason: &str,
    now: Micros,
    stamp: Micros,
) -> Result<bool, StoreError> {
    let n = exec_tx!(tx, |c| sqlx::query(
        "UPDATE tickets SET assignee_id = $1, queued_at = NULL, queue_reason = NULL, updated_at = $2 \
         WHERE id = $3 AND state = 'open' AND assignee_id IS NULL"
    )
    .bind(user_id)
    .bind(now)
    .bind(t.id))?;
    if n == 0 {
        return Ok(false);
    }
    exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO assignments (org_id, ticket_id, user_id, previous_user_id, actor_user_id, reason, at) VALUES ($1, $2, $3, NULL, NULL, $4, $5)"
    )
    .bind(t.org_id)
    .bind(t.id)
    .bind(user_id)
    .bind(reason)
    .bind(now)
    })?;
    exec_tx!(tx, |c| sqlx::query("UPDATE users SET last_assigned_at = $1 WHERE id = $2")
        .bind(stamp)
        .bind(user_id))?;
    let mut after = t.clone();
    after.assignee_id = Some(user_id);
    after.queued_at = None;
    after.updated_at = now;
    events::record(
        tx,
        t.org_id,
        "ticket.assigned",
        Some(t.id),
        None,
        &json!({"ticket": after.to_json(), "actor_user_id": null, "reason": reason}),
        now,
    )
    .await?;
    Ok(true)
}

/// Records why the account's queued tickets wait, in their history, once per change
/// of reason: set-based, so a long queue costs index probes, not a scan per drain.
/// Tickets that join the queue also get a `ticket.queued` event (the hook of the
/// "no agent available" automatic reply). Returns how many tickets got a new reason.
pub async fn mark_waiting(
    tx: &mut Tx,
    account_id: i64,
    reason: &str,
    now: Micros,
) -> Result<u64, StoreError> {
    const WAITING: &str =
        "account_id = $1 AND queued_at IS NOT NULL AND state = 'open' AND assignee_id IS NULL";
    // Newcomers: their first word in the history, and an event each.
    let sql = format!("SELECT {TICKET_COLS} FROM tickets WHERE {WAITING} AND queue_reason IS NULL");
    let fresh: Vec<TicketRow> = on_tx!(tx, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_all(c)
        .await)?;
    for t in &fresh {
        events::record(
            tx,
            t.org_id,
            "ticket.queued",
            Some(t.id),
            None,
            &json!({"ticket": t.to_json(), "reason": reason}),
            now,
        )
        .await?;
    }
    // Tickets that waited for another reason (probed on the index first: usually none).
    let differs =
        |op: &str| format!("SELECT EXISTS (SELECT 1 FROM tickets WHERE {WAITING} AND queue_reason {op} $2)");
    let mut changed = false;
    for op in ["<", ">"] {
        let sql = differs(op);
        changed |= on_tx!(tx, |c| sqlx::query_scalar::<_, bool>(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .bind(reason)
            .fetch_one(c)
            .await)?;
    }
    let which = if changed { "(queue_reason IS NULL OR queue_reason <> $2)" } else { "queue_reason IS NULL" };
    if fresh.is_empty() && !changed {
        return Ok(0);
    }
    let insert = format!(
        "INSERT INTO assignments (org_id, ticket_id, user_id, previous_user_id, actor_user_id, reason, at) \
         SELECT org_id, id, NULL, NULL, NULL, $2, $3 FROM tickets WHERE {WAITING} AND {which}"
    );
    exec_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(insert)).bind(account_id).bind(reason).bind(now))?;
    let update = format!("UPDATE tickets SET queue_reason = $2 WHERE {WAITING} AND {which}");
    Ok(exec_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(update)).bind(account_id).bind(reason))?)
}

/// Puts open, unassigned tickets back in the queue (deactivation, by hand) and arms the drain.
pub async fn requeue(tx: &mut Tx, org_id: i64, ticket_ids: &[i64], now: Micros) -> Result<(), StoreError> {
    for chunk in ticket_ids.chunks(500) {
        let sql = format!(
            "UPDATE tickets SET queued_at = COALESCE(queued_at, $1) WHERE org_id = $2 AND state = 'open' AND assignee_id IS NULL AND id IN ({})",
            crate::placeholders(true, 2, chunk.len())
        );
        exec_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(now).bind(org_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q
        })?;
    }
    arm(tx, org_id, now).await
}

/// Tickets waiting in the queue per account, with the oldest wait: `(account_id, size, oldest queued_at)`.
pub async fn queue_sizes(db: &Db, org_id: i64) -> Result<Vec<(i64, i64, Option<i64>)>, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_as(
        "SELECT account_id, COUNT(*), MIN(queued_at) FROM tickets WHERE org_id = $1 AND queued_at IS NOT NULL AND state = 'open' AND assignee_id IS NULL GROUP BY account_id ORDER BY account_id"
    )
    .bind(org_id)
    .fetch_all(c)
    .await
    })?)
}

/// Every agent's mode on every account of the organization that is not `disabled`.
pub async fn modes(db: &Db, org_id: i64) -> Result<Vec<(i64, i64, String)>, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_as(
        "SELECT aa.account_id, aa.user_id, aa.mode FROM account_agents aa JOIN accounts a ON a.id = aa.account_id \
         WHERE a.org_id = $1 AND aa.mode <> 'disabled' ORDER BY aa.account_id, aa.user_id"
    )
    .bind(org_id)
    .fetch_all(c)
    .await
    })?)
}

/// Sets an agent's mode on an account, inside a transaction (the caller arms the drain).
pub async fn set_mode(tx: &mut Tx, account_id: i64, user_id: i64, mode: &str) -> Result<(), StoreError> {
    exec_tx!(tx, |c| sqlx::query(
        "INSERT INTO account_agents (account_id, user_id, mode) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, user_id) DO UPDATE SET mode = excluded.mode"
    )
    .bind(account_id)
    .bind(user_id)
    .bind(mode))?;
    Ok(())
}

/// Sets (or clears) an agent's cap of open tickets.
pub async fn set_cap(tx: &mut Tx, org_id: i64, user_id: i64, cap: Option<i64>) -> Result<(), StoreError> {
    let n = exec_tx!(tx, |c| sqlx::query(
        "UPDATE users SET max_open_tickets = $1 WHERE org_id = $2 AND id = $3"
    )
    .bind(cap)
    .bind(org_id)
    .bind(user_id))?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Serializes assignment decisions of one organization across nodes (PostgreSQL);
/// SQLite has one writer at a time already. Held until the transaction ends.
pub async fn lock_org(tx: &mut Tx, org_id: i64) -> Result<(), StoreError> {
    if tx.is_pg() {
        exec_tx!(tx, |c| sqlx::query("SELECT pg_advisory_xact_lock(7411, $1::int4)").bind(org_id as i32))?;
    }
    Ok(())
}
