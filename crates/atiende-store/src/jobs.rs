//! The durable job queue: outbox deliveries and timers. A job is claimed with a
//! lease (`locked_until`); on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several
//! nodes share the queue and each job runs once. A node that dies mid-job loses
//! its lease, and another node runs the job again (jobs are idempotent).
use crate::{Db, StoreError, Tx};
use atiende_core::time::Micros;

/// Deliver an outbound message: payload `{"message_id": N}`.
pub const DELIVER: &str = "deliver";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

/// Queues a job due at `run_at`. A `dedupe_key` already queued is not queued twice.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: &str,
    dedupe_key: Option<&str>,
    run_at: Micros,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    .bind(kind)
    .bind(payload)
    .bind(dedupe_key)
    .bind(run_at)
    })?;
    Ok(())
}

/// Queues a job under `dedupe_key`, or, when one is already queued (or running),
/// replaces its payload and brings it forward to `run_at`. A running job that
/// finishes with [`complete_unless_rearmed`] then runs once more.
pub async fn rearm(
    tx: &mut Tx,
    kind: &str,
    payload: &str,
    dedupe_key: &str,
    run_at: Micros,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (dedupe_key) DO UPDATE SET payload = excluded.payload, \
         run_at = CASE WHEN excluded.run_at < jobs.run_at THEN excluded.run_at ELSE jobs.run_at END"
    )
    .bind(kind)
    .bind(payload)
    .bind(dedupe_key)
    .bind(run_at))?;
    Ok(())
}

/// Sets the job under `dedupe_key` to run at exactly `run_at` with `payload` (a timer
/// moved later or earlier). A running copy sees the new payload when it finishes with
/// [`complete_unless_rearmed`] and is released to run at the new time.
pub async fn schedule(
    tx: &mut Tx,
    kind: &str,
    payload: &str,
    dedupe_key: &str,
    run_at: Micros,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (dedupe_key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at"
    )
    .bind(kind)
    .bind(payload)
    .bind(dedupe_key)
    .bind(run_at))?;
    Ok(())
}

/// Releases a claimed job to run again at `run_at` (not a failure: its attempts reset).
pub async fn postpone(tx: &mut Tx, id: i64, node: &str, run_at: Micros) -> Result<(), StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query("UPDATE jobs SET run_at = $1, locked_until = 0, locked_by = NULL, attempts = 0 WHERE id = $2 AND locked_by = $3")
        .bind(run_at)
        .bind(id)
        .bind(node)
    })?;
    Ok(())
}

/// Finishes a job claimed with `payload`: removes it, unless it was re-armed
/// meanwhile, in which case it is released to run again at once. Returns whether it was removed.
pub async fn complete_unless_rearmed(
    tx: &mut Tx,
    id: i64,
    node: &str,
    payload: &str,
) -> Result<bool, StoreError> {
    let n =
        exec_tx!(tx, |c| sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND payload = $3")
            .bind(id)
            .bind(node)
            .bind(payload))?;
    if n == 0 {
        exec_tx!(tx, |c| {
            sqlx::query("UPDATE jobs SET locked_until = 0, locked_by = NULL, attempts = 0 WHERE id = $1 AND locked_by = $2")
            .bind(id)
            .bind(node)
        })?;
    }
    Ok(n == 1)
}

/// Claims up to `limit` due jobs for `node` until `now + lease`.
pub async fn claim(
    db: &Db,
    node: &str,
    now: Micros,
    lease: Micros,
    limit: i64,
) -> Result<Vec<JobRow>, StoreError> {
    let rows = match &db.0 {
        crate::Pool::Pg(p) => {
            sqlx::query_as::<_, JobRow>(
                "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE run_at <= $3 AND locked_until <= $3 ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, attempts",
            )
            .bind(now + lease)
            .bind(node)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await?
        }
        // One writer at a time on SQLite: the UPDATE itself is the lock.
        crate::Pool::Sqlite(p) => {
            sqlx::query_as::<_, JobRow>(
                "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE run_at <= $3 AND locked_until <= $3 ORDER BY run_at, id LIMIT $4) \
                 RETURNING id, kind, payload, attempts",
            )
            .bind(now + lease)
            .bind(node)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await?
        }
    };
    let mut rows = rows;
    rows.sort_by_key(|j| j.id); // RETURNING has no order on PostgreSQL
    Ok(rows)
}

/// Removes a finished job (only while `node` still holds it).
pub async fn complete(tx: &mut Tx, id: i64, node: &str) -> Result<bool, StoreError> {
    let n = exec_tx!(tx, |c| sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
        .bind(id)
        .bind(node))?;
    Ok(n == 1)
}

/// Releases a job to run again at `run_at`, keeping the error for operators.
pub async fn retry(db: &Db, id: i64, node: &str, run_at: Micros, error: &str) -> Result<(), StoreError> {
    exec_db!(db, |c| {
        sqlx::query(
        "UPDATE jobs SET run_at = $1, locked_until = 0, locked_by = NULL, last_error = $2 WHERE id = $3 AND locked_by = $4"
    )
    .bind(run_at)
    .bind(error)
    .bind(id)
    .bind(node)
    })?;
    Ok(())
}

/// Jobs waiting (all kinds), for the metrics.
pub async fn depth(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as("SELECT kind, COUNT(*) FROM jobs GROUP BY kind ORDER BY kind")
        .fetch_all(c)
        .await)?)
}

/// Whether any job is due and unclaimed. A plain read: idle workers poll with it
/// instead of taking SQLite's write lock away from the ingest.
pub async fn any_due(db: &Db, now: Micros) -> Result<bool, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE run_at <= $1 AND locked_until <= $1)"
    )
    .bind(now)
    .fetch_one(c)
    .await)?)
}
