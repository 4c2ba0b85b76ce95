//! Board columns: each user's saved filters, in board order; and unread markers.
use crate::{Db, StoreError, found};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ColumnRow {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub position: i64,
    pub name: String,
    pub kind: String,
    /// A JSON [`atiende_core::board::ColumnFilter`].
    pub filter: String,
    pub created_at: i64,
}

const COLS: &str = "id, org_id, user_id, position, name, kind, filter, created_at";

pub async fn list(db: &Db, user_id: i64) -> Result<Vec<ColumnRow>, StoreError> {
    let sql = format!("SELECT {COLS} FROM board_columns WHERE user_id = $1 ORDER BY position, id");
    Ok(on_db!(db, |c| sqlx::query_as::<_, ColumnRow>(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_all(c)
        .await)?)
}

pub async fn get(db: &Db, user_id: i64, id: i64) -> Result<ColumnRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM board_columns WHERE user_id = $1 AND id = $2");
    found(on_db!(db, |c| sqlx::query_as::<_, ColumnRow>(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// Appends a column at the end of the user's board.
pub async fn create(
    db: &Db,
    org_id: i64,
    user_id: i64,
    name: &str,
    filter: &str,
    now: Micros,
) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar(
        "INSERT INTO board_columns (org_id, user_id, position, name, kind, filter, created_at) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM board_columns WHERE user_id = $2), $3, 'tickets', $4, $5) RETURNING id"
    )
    .bind(org_id)
    .bind(user_id)
    .bind(name)
    .bind(filter)
    .bind(now)
    .fetch_one(c)
    .await
    })?)
}

pub async fn update(db: &Db, user_id: i64, id: i64, name: &str, filter: &str) -> Result<(), StoreError> {
    let n = exec_db!(db, |c| sqlx::query(
        "UPDATE board_columns SET name = $1, filter = $2 WHERE user_id = $3 AND id = $4"
    )
    .bind(name)
    .bind(filter)
    .bind(user_id)
    .bind(id))?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

pub async fn delete(db: &Db, user_id: i64, id: i64) -> Result<(), StoreError> {
    let n = exec_db!(db, |c| sqlx::query("DELETE FROM board_columns WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id))?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Rewrites the positions of the user's columns to follow `order` (ids of their columns).
pub async fn reorder(db: &Db, user_id: i64, order: &[i64]) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    for (pos, id) in order.iter().enumerate() {
        exec_tx!(&mut tx, |c| sqlx::query(
            "UPDATE board_columns SET position = $1 WHERE user_id = $2 AND id = $3"
        )
        .bind(pos as i64 + 1)
        .bind(user_id)
        .bind(*id))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records that `user_id` has seen `ticket_id` now.
pub async fn mark_read(db: &Db, user_id: i64, ticket_id: i64, now: Micros) -> Result<(), StoreError> {
    exec_db!(db, |c| sqlx::query(
        "INSERT INTO ticket_reads (user_id, ticket_id, seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, ticket_id) DO UPDATE SET seen_at = excluded.seen_at"
    )
    .bind(user_id)
    .bind(ticket_id)
    .bind(now))?;
    Ok(())
}

/// When `user_id` last saw each of `ticket_ids` (absent: never).
pub async fn seen(db: &Db, user_id: i64, ticket_ids: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
    if ticket_ids.is_empty() {
        return Ok(vec![]);
    }
    let ph = crate::placeholders(true, 1, ticket_ids.len());
    let sql =
        format!("SELECT ticket_id, seen_at FROM ticket_reads WHERE user_id = $1 AND ticket_id IN ({ph})");
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql)).bind(user_id);
        for id in ticket_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?)
}
