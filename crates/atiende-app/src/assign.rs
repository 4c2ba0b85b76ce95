//! Automatic assignment (SPEC §7): draining an organization's queue, and the admin
//! use cases that change who can receive tickets.
//!
//! Ingest marks a new ticket (or a new message on an open, unassigned ticket) as
//! queued and arms the organization's `assign` job in the same transaction; so do
//! status changes, agent modes, caps, closes and deactivations. The job drains the
//! queue: per account, in chunks, each chunk one transaction holding the
//! organization's assignment lock, so that two nodes never decide at once and a cap
//! is never passed. The decision itself is the pure `atiende_core::assign::decide`.
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_core::AgentMode;
use atiende_core::assign::{AssignMode, Decision, RELATIONSHIP_WINDOW, decide};
use atiende_core::time::Micros;
use atiende_store::assign as store;
use atiende_store::jobs::JobRow;
use atiende_store::{StoreError, accounts, orgs};
use serde_json::Value;

/// Tickets decided per transaction: bounds how long the organization's lock is held.
const CHUNK: usize = 500;

/// What a drain did, for the job log, the metrics and the benchmark.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub assigned: usize,
    pub waiting: usize,
}

/// The `assign` job: drains the organization's queue, then finishes (or runs again
/// at once when it was re-armed meanwhile).
pub async fn run_job(app: &App, job: &JobRow) -> Result<(), StoreError> {
    let org_id =
        serde_json::from_str::<Value>(&job.payload).ok().and_then(|p| p["org_id"].as_i64()).unwrap_or(0);
    let d = drain(app, org_id).await?;
    if d.assigned > 0 {
        tracing::debug!(org_id, assigned = d.assigned, waiting = d.waiting, "assignment queue drained");
    }
    let mut tx = app.db.begin().await?;
    let done =
        atiende_store::jobs::complete_unless_rearmed(&mut tx, job.id, &app.config.node_id, &job.payload)
            .await?;
    tx.commit().await?;
    if !done {
        crate::worker::kick(app);
    }
    Ok(())
}

/// Assigns every queued ticket of the organization that an eligible agent can take now.
pub async fn drain(app: &App, org_id: i64) -> Result<Drained, StoreError> {
    let mut total = Drained::default();
    let org_settings = orgs::settings(&app.db, org_id).await.unwrap_or(Value::Null);
    let mut tx = app.db.begin().await?;
    let accounts_queued = store::queued_accounts(&mut tx, org_id).await?;
    tx.commit().await?;
    for account_id in accounts_queued {
        let account = accounts::get_any(&app.db, account_id).await?;
        let (mode, relationship) = rules(account.settings.json(), &org_settings);
        loop {
            let (d, more) = drain_chunk(app, org_id, account_id, mode, relationship).await?;
            total.assigned += d.assigned;
            total.waiting += d.waiting;
            if !more {
                break;
            }
        }
    }
    if total.assigned > 0 {
        app.metrics.tickets_assigned.fetch_add(total.assigned as u64, std::sync::atomic::Ordering::Relaxed);
        app.realtime.wake();
    }
    Ok(total)
}

/// The account's assignment mode and relationship option, falling back to the organization's.
pub fn rules(account: &Value, org: &Value) -> (AssignMode, bool) {
    let pick = |key: &str| {
        account["assignment"]
            .get(key)
            .filter(|v| !v.is_null())
            .or_else(|| org["assignment"].get(key).filter(|v| !v.is_null()))
            .cloned()
    };
    let mode = pick("mode").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let relationship = pick("prioritize_relationship").and_then(|v| v.as_bool()).unwrap_or(false);
    (mode, relationship)
}

/// One transaction: decides up to `CHUNK` tickets of the account, in queue order.
/// Returns what it did and whether more tickets may be assignable.
async fn drain_chunk(
    app: &App,
    org_id: i64,
    account_id: i64,
    mode: AssignMode,
    relationship: bool,
) -> Result<(Drained, bool), StoreError> {
    let now = app.now();
    let ageing = app.config.queue_ageing.as_micros() as Micros;
    let mut tx = app.db.begin().await?;
    store::lock_org(&mut tx, org_id).await?;
    let mut candidates = store::candidates(&mut tx, account_id).await?;
    let mut d = Drained::default();
    // No one can take a ticket now: the whole queue waits, for the same reason.
    if let Decision::Wait(why) = decide(mode, false, None, &candidates, now) {
        d.waiting = store::mark_waiting(&mut tx, account_id, why.reason(), now).await? as usize;
        tx.commit().await?;
        return Ok((d, false));
    }
    let queue = store::queued(&mut tx, account_id, now, ageing, CHUNK as i64).await?;
    let more = queue.len() == CHUNK;
    let relations = if relationship {
        let mut clients: Vec<i64> = queue.iter().map(|t| t.client_id).collect();
        clients.sort_unstable();
        clients.dedup();
        store::relationships(&mut tx, org_id, &clients, now - RELATIONSHIP_WINDOW).await?
    } else {
        Default::default()
    };
    // Within one drain every decision gets its own instant, so arrival order rotates.
    let mut stamp = candidates.iter().filter_map(|c| c.last_assigned_at).max().unwrap_or(now).max(now);
    for ticket in queue {
        match decide(mode, relationship, relations.get(&ticket.client_id).copied(), &candidates, now) {
            Decision::Assign { user_id, rule } => {
                stamp += 1;
                if store::apply(&mut tx, &ticket, user_id, rule.reason(), now, stamp).await?
                    && let Some(c) = candidates.iter_mut().find(|c| c.user_id == user_id)
                {
                    c.open += 1;
                    c.awaiting += ticket.awaiting_answer as i64;
                    c.last_assigned_at = Some(stamp);
                    d.assigned += 1;
                }
            }
            Decision::Wait(why) => {
                // Everyone filled up: the rest of the queue waits, for this reason.
                d.waiting = store::mark_waiting(&mut tx, account_id, why.reason(), now).await? as usize;
                tx.commit().await?;
                return Ok((d, false));
            }
        }
    }
    tx.commit().await?;
    Ok((d, more))
}

/// An admin sets an agent's mode on an account; enabling them may drain the queue.
pub async fn set_mode(
    app: &App,
    actor: &Actor,
    account_id: i64,
    user_id: i64,
    mode: &str,
) -> Result<AgentMode, AppError> {
    actor.require_admin()?;
    let mode = AgentMode::parse(mode, "mode")?;
    let account = accounts::get(&app.db, actor.org_id, account_id).await?;
    let user = atiende_store::users::get(&app.db, actor.org_id, user_id).await?;
    let mut tx = app.db.begin().await?;
    store::set_mode(&mut tx, account.id, user.id, mode.as_str()).await?;
    store::arm(&mut tx, actor.org_id, app.now()).await?;
    app.commit(tx).await?;
    Ok(mode)
}

/// The admin grid's changes, all or nothing: agent modes per account and caps per agent.
pub async fn save_grid(
    app: &App,
    actor: &Actor,
    modes: &[(i64, i64, String)],
    caps: &[(i64, Option<i64>)],
) -> Result<(), AppError> {
    actor.require_admin()?;
    let accounts: std::collections::HashSet<i64> =
        accounts::list(&app.db, actor.org_id).await?.into_iter().map(|a| a.id).collect();
    let users: std::collections::HashSet<i64> =
        atiende_store::users::list(&app.db, actor.org_id, 0, i64::MAX)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect();
    let mut checked = Vec::with_capacity(modes.len());
    for (account_id, user_id, mode) in modes {
        if !accounts.contains(account_id) {
            return Err(AppError::invalid("account_id", "no such account in this organization"));
        }
        if !users.contains(user_id) {
            return Err(AppError::invalid("user_id", "no such user in this organization"));
        }
        checked.push((*account_id, *user_id, AgentMode::parse(mode, "mode")?));
    }
    for (user_id, cap) in caps {
        if !users.contains(user_id) {
            return Err(AppError::invalid("user_id", "no such user in this organization"));
        }
        check_cap(*cap)?;
    }
    let mut tx = app.db.begin().await?;
    for (a, u, m) in &checked {
        store::set_mode(&mut tx, *a, *u, m.as_str()).await?;
    }
    for (u, cap) in caps {
        store::set_cap(&mut tx, actor.org_id, *u, *cap).await?;
    }
    store::arm(&mut tx, actor.org_id, app.now()).await?;
    app.commit(tx).await?;
    Ok(())
}

/// A cap of open tickets is 1 to 1000, or none.
pub fn check_cap(cap: Option<i64>) -> Result<(), AppError> {
    match cap {
        Some(c) if !(1..=1000).contains(&c) => {
            Err(AppError::invalid("max_open_tickets", "must be 1 to 1000, or empty for no cap"))
        }
        _ => Ok(()),
    }
}

/// An admin sets (or clears) an agent's cap of open tickets.
pub async fn set_cap(app: &App, actor: &Actor, user_id: i64, cap: Option<i64>) -> Result<(), AppError> {
    actor.require_admin()?;
    check_cap(cap)?;
    let mut tx = app.db.begin().await?;
    store::set_cap(&mut tx, actor.org_id, user_id, cap).await?;
    store::arm(&mut tx, actor.org_id, app.now()).await?;
    app.commit(tx).await?;
    Ok(())
}

/// The agents × accounts grid: every non-disabled mode, and each user's cap.
pub struct Grid {
    pub modes: Vec<(i64, i64, String)>,
    pub queue: Vec<QueueSize>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueSize {
    pub account_id: i64,
    pub size: i64,
    pub oldest_queued_at: Option<String>,
}

pub async fn grid(app: &App, actor: &Actor) -> Result<Grid, AppError> {
    actor.require_admin()?;
    Ok(Grid { modes: store::modes(&app.db, actor.org_id).await?, queue: queue(app, actor).await? })
}

/// Tickets waiting for an agent, per account (admins).
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<QueueSize>, AppError> {
    actor.require_admin()?;
    Ok(store::queue_sizes(&app.db, actor.org_id)
        .await?
        .into_iter()
        .map(|(account_id, size, oldest)| QueueSize {
            account_id,
            size,
            oldest_queued_at: oldest.map(atiende_core::time::rfc3339),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn account_rules_override_the_organization() {
        let org = json!({"assignment": {"mode": "awaiting_answer", "prioritize_relationship": true}});
        assert_eq!(rules(&json!({}), &org), (AssignMode::AwaitingAnswer, true));
        assert_eq!(
            rules(&json!({"assignment": {"mode": "arrival_order"}}), &org),
            (AssignMode::ArrivalOrder, true)
        );
        assert_eq!(
            rules(&json!({"assignment": {"prioritize_relationship": false}}), &Value::Null),
            (AssignMode::ArrivalOrder, false)
        );
    }
}
