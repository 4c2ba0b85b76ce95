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
    /// The client identity they write as: kind, and value (`None`: `v<id>`).
    pub client_kind: String,
    pub client_value: Option<String>,
    /// Whether they see the client's whole history on the account (a signed identity), or
    /// only what was written since this visitor started.
    pub sees_history: bool,
    pub page_url: Option<String>,
    pub user_agent: Option<String>,
}

impl VisitorRow {
    /// The (kind, value) of the client identity this visitor writes as.
    pub fn client_identity(&self) -> (&str, String) {
        (&self.client_kind, self.client_value.clone().unwrap_or_else(|| identity(self.id)))
    }
}

const COLS: &str = "id, org_id, account_id, name, email, rut, phone, created_at, client_kind, client_value, sees_history, page_url, user_agent";

/// The details a new visitor gave.
pub struct NewVisitor<'a> {
    pub org_id: i64,
    pub account_id: i64,
    pub token_hash: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub rut: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub client_kind: &'a str,
    pub client_value: Option<&'a str>,
    pub sees_history: bool,
    pub page_url: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn create(db: &Db, v: &NewVisitor<'_>, now: Micros) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar(
        "INSERT INTO chat_visitors (org_id, account_id, token_hash, name, email, rut, phone, created_at, last_seen_at, \
         client_kind, client_value, sees_history, page_url, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13) RETURNING id"
    )
    .bind(v.org_id)
    .bind(v.account_id)
    .bind(v.token_hash)
    .bind(v.name)
    .bind(v.email)
    .bind(v.rut)
    .bind(v.phone)
    .bind(now)
    .bind(v.client_kind)
    .bind(v.client_value)
    .bind(v.sees_history)
    .bind(v.page_url)
    .bind(v.user_agent)
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
/// of their client there, notes excepted, after `after_id`, oldest first — from the
/// visitor's start unless they see the client's history.
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
         WHERE ci.org_id = $1 AND ci.kind = $2 AND ci.value = $3 AND t.account_id = $4 \
         AND m.author_kind <> 'note' AND m.id > $5 AND m.created_at >= $6 ORDER BY m.id LIMIT $7"
    );
    let (kind, value) = v.client_identity();
    let since = if v.sees_history { 0 } else { v.created_at };
    Ok(on_db!(db, |c| sqlx::query_as::<_, crate::messages::MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(v.org_id)
        .bind(kind)
        .bind(&value)
        .bind(v.account_id)
        .bind(after_id)
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// The client a visitor is, once they have written (their first message makes it).
pub async fn client_id(db: &Db, v: &VisitorRow) -> Result<Option<i64>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT client_id FROM client_identities WHERE org_id = $1 AND kind = $2 AND value = $3"
    )
    .bind(v.org_id)
    .bind(v.client_identity().0)
    .bind(v.client_identity().1)
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

/// A file of the visitor's conversation (on a message they may see), with its bytes.
pub async fn attachment(
    db: &Db,
    v: &VisitorRow,
    attachment_id: i64,
) -> Result<Option<(crate::attachments::AttachmentInfo, Option<Vec<u8>>)>, StoreError> {
    let (kind, value) = v.client_identity();
    let since = if v.sees_history { 0 } else { v.created_at };
    let message_id: Option<i64> = on_db!(db, |c| {
        sqlx::query_scalar(
        "SELECT m.id FROM attachments f JOIN messages m ON m.id = f.message_id JOIN tickets t ON t.id = m.ticket_id \
         JOIN client_identities ci ON ci.client_id = t.client_id AND ci.org_id = t.org_id \
         WHERE f.id = $1 AND f.org_id = $2 AND ci.kind = $3 AND ci.value = $4 AND t.account_id = $5 \
         AND m.author_kind <> 'note' AND m.created_at >= $6"
    )
    .bind(attachment_id)
    .bind(v.org_id)
    .bind(kind)
    .bind(&value)
    .bind(v.account_id)
    .bind(since)
    .fetch_optional(c)
    .await
    })?;
    match message_id {
        None => Ok(None),
        Some(_) => Ok(Some(crate::attachments::get(db, v.org_id, attachment_id).await?)),
    }
}

/// The ticket of the visitor's latest message (where their typing and reading show).
pub async fn current_ticket(db: &Db, v: &VisitorRow) -> Result<Option<i64>, StoreError> {
    let (kind, value) = v.client_identity();
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT m.ticket_id FROM messages m JOIN tickets t ON t.id = m.ticket_id \
         JOIN client_identities ci ON ci.client_id = t.client_id AND ci.org_id = t.org_id \
         WHERE ci.org_id = $1 AND ci.kind = $2 AND ci.value = $3 AND t.account_id = $4 \
         ORDER BY m.id DESC LIMIT 1"
    )
    .bind(v.org_id)
    .bind(kind)
    .bind(&value)
    .bind(v.account_id)
    .fetch_optional(c)
    .await)?)
}

/// Records that the visitor has seen their conversation up to `message_id` (never
/// backwards) and the `chat.seen` event; false when it was already seen.
pub async fn mark_seen(
    tx: &mut crate::Tx,
    v: &VisitorRow,
    ticket_id: i64,
    message_id: i64,
    now: Micros,
) -> Result<bool, StoreError> {
    let n = exec_tx!(tx, |c| sqlx::query(
        "UPDATE chat_visitors SET seen_message_id = $1, last_seen_at = $2 \
         WHERE id = $3 AND (seen_message_id IS NULL OR seen_message_id < $1)"
    )
    .bind(message_id)
    .bind(now)
    .bind(v.id))?;
    if n > 0 {
        crate::events::record(
            tx,
            v.org_id,
            "chat.seen",
            Some(ticket_id),
            Some(message_id),
            &serde_json::json!({"ticket_id": ticket_id, "message_id": message_id}),
            now,
        )
        .await?;
    }
    Ok(n > 0)
}

/// The newest message any visitor of this client has seen on the account.
pub async fn seen_up_to(
    db: &Db,
    org_id: i64,
    account_id: i64,
    client_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar(
        "SELECT MAX(cv.seen_message_id) FROM chat_visitors cv JOIN client_identities ci \
         ON ci.org_id = cv.org_id AND ci.kind = cv.client_kind AND ci.value = COALESCE(cv.client_value, 'v' || cv.id) \
         WHERE cv.org_id = $1 AND cv.account_id = $2 AND ci.client_id = $3"
    )
    .bind(org_id)
    .bind(account_id)
    .bind(client_id)
    .fetch_one(c)
    .await
    })?)
}

/// The tickets of the visitor's client on the account (their socket pushes these tickets'
/// messages), and the client, when they have written already.
pub async fn tickets(db: &Db, v: &VisitorRow) -> Result<(Option<i64>, Vec<i64>), StoreError> {
    let Some(client) = client_id(db, v).await? else { return Ok((None, Vec::new())) };
    let ids = on_db!(db, |c| sqlx::query_scalar(
        "SELECT id FROM tickets WHERE org_id = $1 AND account_id = $2 AND client_id = $3"
    )
    .bind(v.org_id)
    .bind(v.account_id)
    .bind(client)
    .fetch_all(c)
    .await)?;
    Ok((Some(client), ids))
}

/// The visitor of a client on an account who last gave an email (who unread replies are mailed
/// to), with how far they have read and been mailed.
pub async fn mail_target(
    db: &Db,
    org_id: i64,
    account_id: i64,
    client_id: i64,
) -> Result<Option<(i64, String, i64, i64)>, StoreError> {
    let row: Option<(i64, String, Option<i64>, Option<i64>)> = on_db!(db, |c| {
        sqlx::query_as(
        "SELECT cv.id, cv.email, cv.seen_message_id, cv.emailed_up_to FROM chat_visitors cv JOIN client_identities ci \
         ON ci.org_id = cv.org_id AND ci.kind = cv.client_kind AND ci.value = COALESCE(cv.client_value, 'v' || cv.id) \
         WHERE cv.org_id = $1 AND cv.account_id = $2 AND ci.client_id = $3 AND cv.email IS NOT NULL \
         ORDER BY cv.id DESC LIMIT 1"
    )
    .bind(org_id)
    .bind(account_id)
    .bind(client_id)
    .fetch_optional(c)
    .await
    })?;
    let seen = seen_up_to(db, org_id, account_id, client_id).await?.unwrap_or(0);
    Ok(row.map(|(id, email, _, emailed)| (id, email, seen, emailed.unwrap_or(0))))
}

/// Records that agent messages up to `message_id` were mailed to the visitor.
pub async fn mark_emailed(tx: &mut crate::Tx, visitor_id: i64, message_id: i64) -> Result<(), StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE chat_visitors SET emailed_up_to = $1 WHERE id = $2 AND (emailed_up_to IS NULL OR emailed_up_to < $1)"
    )
    .bind(message_id)
    .bind(visitor_id)
    })?;
    Ok(())
}

/// The page a visitor wrote from.
pub async fn page_of(db: &Db, visitor_id: i64) -> Result<Option<String>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT page_url FROM chat_visitors WHERE id = $1")
        .bind(visitor_id)
        .fetch_optional(c)
        .await)?
    .flatten())
}

/// A social login under way (see migration 0017).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRow {
    pub account_id: i64,
    pub provider: String,
    pub nonce: String,
    pub verifier: String,
    pub origin: String,
    pub page_url: Option<String>,
    pub rut: Option<String>,
    pub phone: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Micros,
}

/// Keeps a login that starts now, and forgets those started before `expired_before` (never
/// finished: the visitor closed the window).
pub async fn begin_login(
    db: &Db,
    state_hash: &str,
    l: &LoginRow,
    expired_before: Micros,
) -> Result<(), StoreError> {
    exec_db!(db, |c| sqlx::query("DELETE FROM chat_logins WHERE created_at < $1").bind(expired_before))?;
    exec_db!(db, |c| sqlx::query(
        "INSERT INTO chat_logins (state_hash, account_id, provider, nonce, verifier, origin, page_url, rut, \
         phone, user_agent, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(state_hash)
    .bind(l.account_id)
    .bind(&l.provider)
    .bind(&l.nonce)
    .bind(&l.verifier)
    .bind(&l.origin)
    .bind(&l.page_url)
    .bind(&l.rut)
    .bind(&l.phone)
    .bind(&l.user_agent)
    .bind(l.created_at))?;
    Ok(())
}

/// Takes a login by its state (once: a second callback with the same state finds nothing),
/// if it started at or after `not_before`.
pub async fn take_login(
    db: &Db,
    state_hash: &str,
    not_before: Micros,
) -> Result<Option<LoginRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, LoginRow>(
        "DELETE FROM chat_logins WHERE state_hash = $1 AND created_at >= $2 RETURNING account_id, provider, \
         nonce, verifier, origin, page_url, rut, phone, user_agent, created_at"
    )
    .bind(state_hash)
    .bind(not_before)
    .fetch_optional(c)
    .await)?)
}

/// A chat account's bubble image.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogoRow {
    pub content_type: String,
    pub data: Vec<u8>,
    pub width: i64,
    pub height: i64,
    pub etag: String,
    pub updated_at: Micros,
}

/// Sets (or, with `None`, removes) an account's bubble image.
pub async fn set_logo(db: &Db, account_id: i64, logo: Option<&LogoRow>) -> Result<(), StoreError> {
    match logo {
        None => {
            exec_db!(db, |c| sqlx::query("DELETE FROM chat_logos WHERE account_id = $1").bind(account_id))?;
        }
        Some(l) => {
            exec_db!(db, |c| sqlx::query(
                "INSERT INTO chat_logos (account_id, content_type, data, width, height, etag, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id) DO UPDATE SET \
                 content_type = excluded.content_type, data = excluded.data, width = excluded.width, \
                 height = excluded.height, etag = excluded.etag, updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(&l.content_type)
            .bind(&l.data)
            .bind(l.width)
            .bind(l.height)
            .bind(&l.etag)
            .bind(l.updated_at))?;
        }
    }
    Ok(())
}

/// An account's bubble image.
pub async fn logo(db: &Db, account_id: i64) -> Result<Option<LogoRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, LogoRow>(
        "SELECT content_type, data, width, height, etag, updated_at FROM chat_logos WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_optional(c)
    .await)?)
}

/// The content hash of an account's bubble image (for its address in the widget's options),
/// and its size in pixels.
pub async fn logo_etag(db: &Db, account_id: i64) -> Result<Option<(String, i64, i64)>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT etag, width, height FROM chat_logos WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_optional(c)
    .await)?)
}
