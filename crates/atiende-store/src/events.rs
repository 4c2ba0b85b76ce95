//! The event outbox: every change records its events in the same transaction,
//! and reactions (realtime fan-out, webhooks…) read them after commit.
use crate::{on_db, on_tx, Db, StoreError, Tx};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
    pub payload: String,
    pub created_at: i64,
}

/// PostgreSQL channel on which committed events are announced to every node.
pub const NOTIFY_CHANNEL: &str = "atiende_events";

pub async fn record(
    tx: &mut Tx,
    org_id: i64,
    kind: &str,
    ticket_id: Option<i64>,
    message_id: Option<i64>,
    payload: &serde_json::Value,
    now: Micros,
) -> Result<(), StoreError> {
    on_tx!(tx, exec |c| sqlx::query(
        "INSERT INTO events (org_id, kind, ticket_id, message_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(org_id)
    .bind(kind)
    .bind(ticket_id)
    .bind(message_id)
    .bind(payload.to_string())
    .bind(now))?;
    Ok(())
}

/// Announces, at commit, that events were recorded (PostgreSQL; a no-op on SQLite,
/// where every writer is in this process and wakes the reader directly).
pub async fn notify_on_commit(tx: &mut Tx) -> Result<(), StoreError> {
    if let Tx::Pg(t) = tx {
        sqlx::query("SELECT pg_notify($1, '')").bind(NOTIFY_CHANNEL).execute(&mut **t).await?;
    }
    Ok(())
}

/// Events with an id above `after_id`, in id order.
pub async fn after(db: &Db, after_id: i64, limit: i64) -> Result<Vec<EventRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, EventRow>(
        "SELECT id, org_id, kind, ticket_id, message_id, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2"
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

pub async fn max_id(db: &Db) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM events").fetch_one(c).await)?.unwrap_or(0))
}

/// Deletes events older than `before`; returns how many.
pub async fn prune(db: &Db, before: Micros) -> Result<u64, StoreError> {
    Ok(on_db!(db, exec |c| sqlx::query("DELETE FROM events WHERE created_at < $1").bind(before))?)
}

/// Events of one organization after `after_id` (replay for a reconnecting client).
pub async fn after_for_org(db: &Db, org_id: i64, after_id: i64, limit: i64) -> Result<Vec<EventRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, EventRow>(
        "SELECT id, org_id, kind, ticket_id, message_id, payload, created_at FROM events WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    )
    .bind(org_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}
