//! What the automatic actions (SPEC §4.2) read and the timers they keep. The decisions
//! are `atiende_core::autoreply`; the use cases live in `atiende-app`.
//!
//! - Incoming messages that may deserve an automatic reply are handed to a `react` job,
//!   queued in the same transaction that stores them (one job per ingest batch and
//!   organization). Each message is claimed once (`messages.reacted_at`), in the
//!   transaction that sends its reply, so a job that runs twice never answers twice.
//! - "Close if the client does not answer" is one durable `auto_close` timer per ticket,
//!   keyed `auto_close:{account}:{ticket}`: set when a human agent writes, re-checked
//!   when it fires, brought forward when the account's setting changes.
use crate::tickets::TicketRow;
use crate::{StoreError, Tx, jobs};
use atiende_core::time::Micros;
use serde_json::json;

/// Job: the automatic replies to incoming messages, payload `{"org_id", "messages": [ids]}`.
pub const REACT: &str = "react";
/// Job: the "close if the client does not answer" timer of one ticket,
/// payload `{"org_id", "ticket_id", "armed"}`.
pub const AUTO_CLOSE: &str = "auto_close";

/// Job: the SLA timer of one waiting ticket, payload `{"org_id", "ticket_id"}`; when the
/// client has waited longer than the account's SLA it emits `ticket.overdue` once per
/// waiting period.
pub const SLA_OVERDUE: &str = "sla_overdue";

fn sla_key(ticket_id: i64) -> String {
    format!("{SLA_OVERDUE}:{ticket_id}")
}

/// Arms (or brings forward) the SLA timer of a waiting ticket.
pub async fn arm_sla(tx: &mut Tx, org_id: i64, ticket_id: i64, at: Micros) -> Result<(), StoreError> {
    jobs::rearm(
        tx,
        SLA_OVERDUE,
        &json!({"org_id": org_id, "ticket_id": ticket_id}).to_string(),
        &sla_key(ticket_id),
        at,
    )
    .await
}

/// After the account's SLA changed: every waiting open ticket's timer is checked now.
pub async fn recheck_sla(tx: &mut Tx, account_id: i64, now: Micros) -> Result<u64, StoreError> {
    Ok(exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) \
         SELECT $1, '{\"org_id\":' || CAST(org_id AS TEXT) || ',\"ticket_id\":' || CAST(id AS TEXT) || '}', \
                $1 || ':' || CAST(id AS TEXT), $2, $2 \
         FROM tickets WHERE account_id = $3 AND state = 'open' AND awaiting_answer AND waiting_since IS NOT NULL \
         ON CONFLICT (dedupe_key) DO UPDATE SET run_at = excluded.run_at"
    )
    .bind(SLA_OVERDUE)
    .bind(now)
    .bind(account_id)
    })?)
}

/// Marks the ticket's current waiting period as told overdue: false when it already was,
/// or when the ticket no longer waits since `waiting_since`.
pub async fn mark_overdue(tx: &mut Tx, ticket_id: i64, waiting_since: Micros) -> Result<bool, StoreError> {
    let n = exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE tickets SET overdue_notified_since = $2 WHERE id = $1 AND state = 'open' AND awaiting_answer AND waiting_since = $2 \
         AND (overdue_notified_since IS NULL OR overdue_notified_since <> $2)"
    )
    .bind(ticket_id)
    .bind(waiting_since)
    })?;
    Ok(n == 1)
}

/// Hands incoming messages to automation (in the transaction that stores them).
pub async fn enqueue_react(
    tx: &mut Tx,
    org_id: i64,
    message_ids: &[i64],
    now: Micros,
) -> Result<(), StoreError> {
    if message_ids.is_empty() {
        return Ok(());
    }
    jobs::enqueue(tx, REACT, &json!({"org_id": org_id, "messages": message_ids}).to_string(), None, now).await
}

/// Claims an incoming message for automation: false when it was already looked at.
pub async fn claim_message(tx: &mut Tx, message_id: i64, now: Micros) -> Result<bool, StoreError> {
    let n = exec_tx!(tx, |c| sqlx::query(
        "UPDATE messages SET reacted_at = $1 WHERE id = $2 AND direction = 'in' AND reacted_at IS NULL"
    )
    .bind(now)
    .bind(message_id))?;
    Ok(n == 1)
}

/// What the automatic replies need to know about an incoming message, beyond its ticket.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The client wrote to this account before this message (on any ticket).
    pub client_wrote_before: bool,
    /// The ticket had a client message before this one.
    pub ticket_had_message: bool,
    /// The automatic actions already sent on this ticket.
    pub sent: Vec<String>,
}

pub async fn history(tx: &mut Tx, t: &TicketRow, message_id: i64) -> Result<History, StoreError> {
    let client_wrote_before: bool = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM tickets t JOIN messages m ON m.ticket_id = t.id \
         WHERE t.client_id = $1 AND t.account_id = $2 AND m.direction = 'in' AND m.id < $3)"
    )
    .bind(t.client_id)
    .bind(t.account_id)
    .bind(message_id)
    .fetch_one(c)
    .await)?;
    let ticket_had_message: bool = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE ticket_id = $1 AND direction = 'in' AND id < $2)"
    )
    .bind(t.id)
    .bind(message_id)
    .fetch_one(c)
    .await)?;
    let sent: Vec<String> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT DISTINCT auto_action FROM messages WHERE ticket_id = $1 AND auto_action IS NOT NULL"
    )
    .bind(t.id)
    .fetch_all(c)
    .await)?;
    Ok(History { client_wrote_before, ticket_had_message, sent })
}

/// The names the placeholders use: the client's, the ticket's agent's (first and last
/// name, if it has one) and the organization's.
pub async fn names(tx: &mut Tx, t: &TicketRow) -> Result<(String, Option<String>, String), StoreError> {
    let client: String = on_tx!(tx, |c| sqlx::query_scalar("SELECT name FROM clients WHERE id = $1")
        .bind(t.client_id)
        .fetch_one(c)
        .await)?;
    let agent = match t.assignee_id {
        Some(u) => Some(user_name(tx, u).await?),
        None => None,
    };
    let company: String = on_tx!(tx, |c| sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(t.org_id)
        .fetch_one(c)
        .await)?;
    Ok((client, agent, company))
}

/// A user's first and last name.
pub async fn user_name(tx: &mut Tx, user_id: i64) -> Result<String, StoreError> {
    let (first, last): (String, String) =
        on_tx!(tx, |c| sqlx::query_as("SELECT first_name, last_name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(c)
            .await)?;
    Ok(format!("{first} {last}").trim().to_string())
}

fn auto_close_key(account_id: i64, ticket_id: i64) -> String {
    format!("{AUTO_CLOSE}:{account_id}:{ticket_id}")
}

/// Sets the ticket's auto-close timer to fire at `at` (replacing an earlier one).
pub async fn set_auto_close(tx: &mut Tx, t: &TicketRow, at: Micros, now: Micros) -> Result<(), StoreError> {
    let payload = json!({"org_id": t.org_id, "ticket_id": t.id, "armed": now}).to_string();
    jobs::schedule(tx, AUTO_CLOSE, &payload, &auto_close_key(t.account_id, t.id), at).await
}

/// After the account's auto-close setting changed: every answered open ticket of the
/// account gets its timer checked now (each then fires or moves to its new due time).
pub async fn recheck_auto_close(tx: &mut Tx, account_id: i64, now: Micros) -> Result<u64, StoreError> {
    Ok(exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) \
         SELECT $1, '{\"org_id\":' || CAST(org_id AS TEXT) || ',\"ticket_id\":' || CAST(id AS TEXT) || ',\"armed\":' || $4 || '}', \
                $1 || ':' || CAST(account_id AS TEXT) || ':' || CAST(id AS TEXT), $2, $2 \
         FROM tickets WHERE account_id = $3 AND state = 'open' AND last_agent_message_at IS NOT NULL AND NOT awaiting_answer \
         ON CONFLICT (dedupe_key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at"
    )
    .bind(AUTO_CLOSE)
    .bind(now)
    .bind(account_id)
    .bind(now.to_string())
    })?)
}

/// Records the first human answer against the SLA in effect (`sla`: its length, if any).
pub async fn record_first_response(
    tx: &mut Tx,
    ticket_id: i64,
    response: Micros,
    sla: Option<Micros>,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query("UPDATE tickets SET first_response_micros = $1, first_response_sla_micros = $2 WHERE id = $3 AND first_response_micros IS NULL")
        .bind(response)
        .bind(sla)
        .bind(ticket_id)
    })?;
    Ok(())
}

/// Takes the ticket's row for an automatic close while it is still open and answered
/// (the client has not written since): false when that no longer holds.
pub async fn lock_if_due(tx: &mut Tx, ticket_id: i64) -> Result<bool, StoreError> {
    let n = exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE tickets SET updated_at = updated_at WHERE id = $1 AND state = 'open' AND NOT awaiting_answer"
    )
    .bind(ticket_id)
    })?;
    Ok(n == 1)
}
