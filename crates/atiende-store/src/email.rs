//! Email channel state: where each IMAP mailbox's reading stands, forwarding
//! addresses and their validation, and the account's connection status.
use crate::{Db, StoreError};
use atiende_core::time::Micros;

/// The system mail job (validation mails, ticket notifications, password resets),
/// sent through the deployment's default sender.
pub const MAIL: &str = "mail";

/// Queues one system mail in the caller's transaction. `payload`: `{to, subject, text}`,
/// or `{to, ticket_id}` for a new-ticket notification (composed when sent), plus an
/// optional `validation_token`.
pub async fn queue_mail(
    tx: &mut crate::Tx,
    payload: &serde_json::Value,
    dedupe: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    crate::jobs::enqueue(tx, MAIL, &payload.to_string(), dedupe, now).await
}

/// `(uid_validity, last_uid)` of an account's mailbox, if it was ever read.
pub async fn mailbox_state(db: &Db, account_id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as(
        "SELECT uid_validity, last_uid FROM email_mailboxes WHERE account_id = $1 AND uid_validity <> 0"
    )
    .bind(account_id)
    .fetch_optional(c)
    .await)?)
}

/// Records that every message up to `last_uid` (under `uid_validity`) is stored.
/// Only moves forward within one UIDVALIDITY.
pub async fn set_mailbox_state(
    db: &Db,
    account_id: i64,
    uid_validity: i64,
    last_uid: i64,
    now: Micros,
) -> Result<(), StoreError> {
    exec_db!(db, |c| {
        sqlx::query(
        "INSERT INTO email_mailboxes (account_id, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id) DO UPDATE SET last_uid = CASE WHEN email_mailboxes.uid_validity = excluded.uid_validity \
         AND email_mailboxes.last_uid > excluded.last_uid THEN email_mailboxes.last_uid ELSE excluded.last_uid END, \
         uid_validity = excluded.uid_validity, updated_at = excluded.updated_at"
    )
    .bind(account_id)
    .bind(uid_validity)
    .bind(last_uid)
    .bind(now)
    })?;
    Ok(())
}

/// Records the token of a validation mail just queued: the account waits for it to come
/// back (`not_validated`).
pub async fn await_validation(
    tx: &mut crate::Tx,
    account_id: i64,
    token: &str,
    now: Micros,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE accounts SET validation_token = $2, status = 'not_validated', status_reason = 'waiting for the validation mail', updated_at = $3 WHERE id = $1"
    )
    .bind(account_id)
    .bind(token)
    .bind(now)
    })?;
    Ok(())
}

/// Marks the account validated when `token` is the one its validation mail carried.
pub async fn validate_with_token(
    db: &Db,
    account_id: i64,
    token: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let n = exec_db!(db, |c| {
        sqlx::query(
        "UPDATE accounts SET status = 'active', status_reason = NULL, validation_token = NULL, updated_at = $3 \
         WHERE id = $1 AND validation_token = $2"
    )
    .bind(account_id)
    .bind(token)
    .bind(now)
    })?;
    Ok(n > 0)
}
