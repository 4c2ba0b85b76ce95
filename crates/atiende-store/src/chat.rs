//! Web chat visitors (the widget's side of a chat conversation).
use crate::{Db, StoreError};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitorRow {
    pub id: i64,
    pub org_id: i64,
    pub account_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub rut: Option<String>,
    pub phone: Option<String>,
    pub created_at: Micros,
}

const COLS: &str = "id, org_id, account_id, name, email, rut, phone, created_at";

/// The details a new visitor gave.
pub struct NewVisitor<'a> {
    pub org_id: i64,
    pub account_id: i64,
    pub token_hash: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub rut: Option<&'a str>,
    pub phone: Option<&'a str>,
}

pub async fn create(db: &Db, v: &NewVisitor<'_>, now: Micros) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar(
        "INSERT INTO chat_visitors (org_id, account_id, token_hash, name, email, rut, phone, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id"
    )
    .bind(v.org_id)
    .bind(v.account_id)
    .bind(v.token_hash)
    .bind(v.name)
    .bind(v.email)
    .bind(v.rut)
    .bind(v.phone)
    .bind(now)
    .fetch_one(c)
    .await
    })?)
}

/// The visitor of a token (by its hash) on an account.
pub async fn by_token(db: &Db, account_id: i64, token_hash: &str) -> Result<Option<VisitorRow>, StoreError> {
    let sql = format!("SELECT {COLS} FROM chat_visitors WHERE account_id = $1 AND token_hash = $2");
    Ok(on_db!(db, |c| sqlx::query_as::<_, VisitorRow>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(token_hash)
        .fetch_optional(c)
        .await)?)
}

/// The identity value of a visitor's client (identity kind `chat`).
pub fn identity(visitor_id: i64) -> String {
    format!("v{visitor_id}")
}

/// What a visitor sees of their conversation on the account: the messages of every ticket
/// of their client there, notes excepted, after `after_id`, oldest first.
pub async fn conversation(
    db: &Db,
    v: &VisitorRow,
    after_id: i64,
    limit: i64,
) -> Result<Vec<crate::messages::MessageRow>, StoreError> {
    let cols =
        crate::messages::COLS.split(", ").map(|c| format!("m.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {cols} FROM messages m JOIN tickets t ON t.id = m.ticket_id \
         JOIN client_identities ci ON ci.client_id = t.client_id AND ci.org_id = t.org_id \
         WHERE ci.org_id = $1 AND ci.kind = 'chat' AND ci.value = $2 AND t.account_id = $3 \
         AND m.author_kind <> 'note' AND m.id > $4 ORDER BY m.id LIMIT $5"
    );
    Ok(on_db!(db, |c| sqlx::query_as::<_, crate::messages::MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(v.org_id)
        .bind(identity(v.id))
        .bind(v.account_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// The client a visitor is, once they have written (their first message makes it).
pub async fn client_id(db: &Db, v: &VisitorRow) -> Result<Option<i64>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT client_id FROM client_identities WHERE org_id = $1 AND kind = 'chat' AND value = $2"
    )
    .bind(v.org_id)
    .bind(identity(v.id))
    .fetch_optional(c)
    .await)?)
}

/// Whether someone can answer the account's chat now: an active agent who is not disabled on
/// the account and whose connection status takes tickets (the same agents assignment picks).
pub async fn agents_online(db: &Db, account_id: i64) -> Result<bool, StoreError> {
    let n: i64 = on_db!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM account_agents aa JOIN users u ON u.id = aa.user_id \
         JOIN connection_statuses s ON s.id = u.connection_status_id \
         WHERE aa.account_id = $1 AND aa.mode <> 'disabled' AND u.active AND s.assignable"
    )
    .bind(account_id)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}
