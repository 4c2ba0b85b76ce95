//! Inbound messages that could not be stored, kept raw for the organization's admins.
use crate::{Db, StoreError, found};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldRow {
    pub id: i64,
    pub account_id: i64,
    /// Where it came from: `imap`, `smtp`, …
    pub source: String,
    /// Why it was not stored.
    pub reason: String,
    /// Size of the raw message in bytes.
    pub size: i64,
    pub created_at: Micros,
}

const COLS: &str = "id, account_id, source, reason, size, created_at";

pub async fn insert(
    db: &Db,
    org_id: i64,
    account_id: i64,
    source: &str,
    reason: &str,
    raw: &[u8],
    now: Micros,
) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "INSERT INTO quarantine (org_id, account_id, source, reason, size, raw, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
    )
    .bind(org_id)
    .bind(account_id)
    .bind(source)
    .bind(reason)
    .bind(raw.len() as i64)
    .bind(raw)
    .bind(now)
    .fetch_one(c)
    .await)?)
}

/// An account's held messages, newest first (without their bytes).
pub async fn list(db: &Db, org_id: i64, account_id: i64) -> Result<Vec<HeldRow>, StoreError> {
    let sql = format!("SELECT {COLS} FROM quarantine WHERE org_id = $1 AND account_id = $2 ORDER BY id DESC");
    Ok(on_db!(db, |c| sqlx::query_as::<_, HeldRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(account_id)
        .fetch_all(c)
        .await)?)
}

/// One held message with its raw bytes.
pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<(HeldRow, Vec<u8>), StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        info: HeldRow,
        raw: Vec<u8>,
    }
    let sql = format!("SELECT {COLS}, raw FROM quarantine WHERE org_id = $1 AND id = $2");
    let r: Row = found(on_db!(db, |c| sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)?;
    Ok((r.info, r.raw))
}

/// Records another failed attempt (the reason of the latest one).
pub async fn set_reason(db: &Db, org_id: i64, id: i64, reason: &str) -> Result<(), StoreError> {
    exec_db!(db, |c| sqlx::query("UPDATE quarantine SET reason = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(reason))?;
    Ok(())
}

/// Removes a held message; false when there was none.
pub async fn delete(db: &Db, org_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(exec_db!(db, |c| sqlx::query("DELETE FROM quarantine WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id))?
        > 0)
}
