//! Accounts: one connected channel (mailbox, page, number, widget, API…).
//! `settings` is the public JSON; `secrets` is an encrypted JSON blob (sealed by the app).
use crate::{Db, StoreError, Tx, found};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub org_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: atiende_core::ChannelKind,
    pub name: String,
    /// Read once, with the row.
    #[sqlx(try_from = "String")]
    pub settings: atiende_core::settings::AccountSettings,
    pub secrets: Option<Vec<u8>>,
    pub status: String,
    pub status_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Email accounts: the generated forwarding address.
    pub inbound_address: Option<String>,
}

pub(crate) const COLS: &str = "id, org_id, kind, name, settings, secrets, status, status_reason, created_at, updated_at, inbound_address";

pub async fn create(
    db: &Db,
    org_id: i64,
    kind: &str,
    name: &str,
    settings: &str,
    secrets: Option<&[u8]>,
    status: &str,
    now: Micros,
) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "INSERT INTO accounts (org_id, kind, name, settings, secrets, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id"
    )
    .bind(org_id)
    .bind(kind)
    .bind(name)
    .bind(settings)
    .bind(secrets)
    .bind(status)
    .bind(now)
    .fetch_one(c)
    .await)?)
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<AccountRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE org_id = $1 AND id = $2");
    found(on_db!(db, |c| sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// An account by id alone, for background workers that act across organizations.
pub async fn get_any(db: &Db, id: i64) -> Result<AccountRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE id = $1");
    found(on_db!(db, |c| sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

pub async fn list(db: &Db, org_id: i64) -> Result<Vec<AccountRow>, StoreError> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE org_id = $1 ORDER BY id");
    Ok(on_db!(db, |c| sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

pub async fn update(
    db: &Db,
    org_id: i64,
    id: i64,
    name: &str,
    settings: &str,
    secrets: Option<&[u8]>,
    now: Micros,
) -> Result<(), StoreError> {
    let n = exec_db!(db, |c| {
        sqlx::query(
        "UPDATE accounts SET name = $3, settings = $4, secrets = $5, updated_at = $6 WHERE org_id = $1 AND id = $2"
    )
    .bind(org_id)
    .bind(id)
    .bind(name)
    .bind(settings)
    .bind(secrets)
    .bind(now)
    })?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

pub async fn agent_mode_tx(tx: &mut Tx, account_id: i64, user_id: i64) -> Result<Option<String>, StoreError> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT mode FROM account_agents WHERE account_id = $1 AND user_id = $2"
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(c)
    .await)?)
}

pub async fn agent_mode(db: &Db, account_id: i64, user_id: i64) -> Result<Option<String>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT mode FROM account_agents WHERE account_id = $1 AND user_id = $2"
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(c)
    .await)?)
}

/// The account that inbound reaches by this public key: an email account's forwarding
/// address, a chat widget's token (case-insensitive, unique).
pub async fn by_inbound_address(db: &Db, address: &str) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {} FROM accounts WHERE inbound_address = $1", COLS);
    Ok(on_db!(db, |c| sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql))
        .bind(address.to_lowercase())
        .fetch_optional(c)
        .await)?)
}

pub async fn set_inbound_address(db: &Db, account_id: i64, address: Option<&str>) -> Result<(), StoreError> {
    exec_db!(db, |c| sqlx::query("UPDATE accounts SET inbound_address = $2 WHERE id = $1")
        .bind(account_id)
        .bind(address))?;
    Ok(())
}

pub async fn inbound_address(db: &Db, account_id: i64) -> Result<Option<String>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT inbound_address FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(c)
        .await)?
    .flatten())
}

/// Sets the account's connection status (`active`, `needs_reconnection`, `not_validated`);
/// returns whether it changed.
pub async fn set_status(
    db: &Db,
    account_id: i64,
    status: &str,
    reason: Option<&str>,
    now: Micros,
) -> Result<bool, StoreError> {
    let n = exec_db!(db, |c| sqlx::query(
        "UPDATE accounts SET status = $2, status_reason = $3, updated_at = $4 WHERE id = $1 \
         AND (status <> $2 OR COALESCE(status_reason, '') <> COALESCE($3, ''))"
    )
    .bind(account_id)
    .bind(status)
    .bind(reason)
    .bind(now))?;
    Ok(n > 0)
}
