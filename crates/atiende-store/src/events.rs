//! The event outbox: every change records its events in the same transaction,
//! and reactions (realtime fan-out, webhooks…) read them after commit.
use crate::{Db, StoreError, Tx, TxConn};
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

/// An event recorded in a transaction, written at its commit.
pub(crate) struct PendingEvent {
    org_id: i64,
    kind: &'static str,
    ticket_id: Option<i64>,
    message_id: Option<i64>,
    payload: String,
    created_at: Micros,
}

/// Records an event in `tx`; it is written (and announced) when `tx` commits.
pub async fn record(
    tx: &mut Tx,
    org_id: i64,
    kind: &'static str,
    ticket_id: Option<i64>,
    message_id: Option<i64>,
    payload: &serde_json::Value,
    now: Micros,
) -> Result<(), StoreError> {
    tx.events.push(PendingEvent {
        org_id,
        kind,
        ticket_id,
        message_id,
        payload: payload.to_string(),
        created_at: now,
    });
    Ok(())
}

/// Rows per multi-row INSERT (6 parameters each; well under both backends' limits).
const FLUSH_ROWS: usize = 500;

/// Writes the pending events of `tx` in id order, then (PostgreSQL) sends the
/// NOTIFY that every node's realtime pump listens for; it is delivered at commit.
pub(crate) async fn flush(tx: &mut Tx) -> Result<(), StoreError> {
    if tx.events.is_empty() {
        return Ok(());
    }
    let pending = std::mem::take(&mut tx.events);
    let pg = tx.is_pg();
    for chunk in pending.chunks(FLUSH_ROWS) {
        let rows = (0..chunk.len())
            .map(|i| format!("({})", crate::placeholders(pg, i * 6, 6)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO events (org_id, kind, ticket_id, message_id, payload, created_at) VALUES {rows}"
        );
        exec_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for e in chunk {
                q = q
                    .bind(e.org_id)
                    .bind(e.kind)
                    .bind(e.ticket_id)
                    .bind(e.message_id)
                    .bind(e.payload.as_str())
                    .bind(e.created_at);
            }
            q
        })?;
    }
    if let TxConn::Pg(t) = &mut tx.conn {
        sqlx::query("SELECT pg_notify($1, '')").bind(NOTIFY_CHANNEL).execute(&mut **t).await?;
    }
    Ok(())
}

/// Events with an id above `after_id`, in id order.
pub async fn after(db: &Db, after_id: i64, limit: i64) -> Result<Vec<EventRow>, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, EventRow>(
        "SELECT id, org_id, kind, ticket_id, message_id, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2"
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await
    })?)
}

pub async fn max_id(db: &Db) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM events").fetch_one(c).await)?
        .unwrap_or(0))
}

/// Deletes events older than `before`; returns how many.
pub async fn prune(db: &Db, before: Micros) -> Result<u64, StoreError> {
    Ok(exec_db!(db, |c| sqlx::query("DELETE FROM events WHERE created_at < $1").bind(before))?)
}

/// Events of one organization after `after_id` (replay for a reconnecting client).
pub async fn after_for_org(
    db: &Db,
    org_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, EventRow>(
        "SELECT id, org_id, kind, ticket_id, message_id, payload, created_at FROM events WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    )
    .bind(org_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await
    })?)
}

/// Listens for the announcements of committed events (PostgreSQL `NOTIFY`, sent by any
/// node) and wakes `wake` for each, until `shutdown`. On SQLite there is one node and its
/// writers wake the pump themselves: this returns at once.
pub async fn listen(
    db: &Db,
    wake: std::sync::Arc<tokio::sync::Notify>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let crate::Pool::Pg(pool) = &db.0 else { return };
    loop {
        if *shutdown.borrow() {
            return;
        }
        match sqlx::postgres::PgListener::connect_with(pool).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(NOTIFY_CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    loop {
                        match l.recv().await {
                            Ok(_) => wake.notify_one(),
                            Err(e) => {
                                tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot open the LISTEN connection"),
        }
        // Something may have been missed while disconnected: read the outbox.
        wake.notify_one();
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The events of one conversation (ticket) after `after_id`, in id order: the backlog of a
/// per-conversation subscription (a chat visitor reconnecting).
pub async fn after_for_ticket(
    db: &Db,
    org_id: i64,
    ticket_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, EventRow>(
        "SELECT id, org_id, kind, ticket_id, message_id, payload, created_at FROM events \
         WHERE org_id = $1 AND ticket_id = $2 AND id > $3 ORDER BY id LIMIT $4"
    )
    .bind(org_id)
    .bind(ticket_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}
