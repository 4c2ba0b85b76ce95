//! Leases on accounts' long-running listeners (mailbox readers, pollers): one node holds
//! an account's lease at a time, renews it while it runs the listener, and gives it up
//! when it stops; another node takes it over once it expires.
use crate::accounts::AccountRow;
use crate::{Db, StoreError};
use atiende_core::time::Micros;

/// Takes (or renews) the lease on `account_id`'s listener until `until`: true when `node`
/// holds it (it was free, expired, or already `node`'s).
pub async fn claim(
    db: &Db,
    account_id: i64,
    node: &str,
    now: Micros,
    until: Micros,
) -> Result<bool, StoreError> {
    exec_db!(db, |c| {
        sqlx::query(
        "INSERT INTO listener_leases (account_id, locked_by, locked_until) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET locked_by = excluded.locked_by, locked_until = excluded.locked_until \
         WHERE listener_leases.locked_until < $4 OR listener_leases.locked_by = excluded.locked_by"
    )
    .bind(account_id)
    .bind(node)
    .bind(until)
    .bind(now)
    })?;
    Ok(holder(db, account_id).await?.as_deref() == Some(node))
}

/// The node holding the lease, if any was ever taken.
pub async fn holder(db: &Db, account_id: i64) -> Result<Option<String>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT locked_by FROM listener_leases WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(c)
        .await)?
    .flatten())
}

/// Gives the lease up (a node that stops), so another node may take it at once.
pub async fn release(db: &Db, account_id: i64, node: &str) -> Result<(), StoreError> {
    exec_db!(db, |c| {
        sqlx::query(
        "UPDATE listener_leases SET locked_until = 0, locked_by = NULL WHERE account_id = $1 AND locked_by = $2"
    )
    .bind(account_id)
    .bind(node)
    })?;
    Ok(())
}

/// Every account of every organization (the supervisor asks each one's adapter whether
/// it wants a listener).
pub async fn accounts(db: &Db) -> Result<Vec<AccountRow>, StoreError> {
    let sql = format!("SELECT {} FROM accounts ORDER BY id", crate::accounts::COLS);
    Ok(on_db!(db, |c| sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql)).fetch_all(c).await)?)
}
