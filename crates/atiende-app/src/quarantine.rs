//! Inbound messages that could not be stored, kept raw instead of lost: a listener (IMAP,
//! SMTP) that cannot store a message holds it here and moves on; the organization's admins
//! see the held messages of each account, download them, try them again or delete them.
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_store::accounts::AccountRow;
use atiende_store::quarantine::{self as store, HeldRow};

/// Holds `raw` for `account` with the reason it was not stored.
pub async fn hold(
    app: &App,
    account: &AccountRow,
    source: &str,
    raw: &[u8],
    reason: &str,
) -> Result<i64, AppError> {
    let reason: String = reason.chars().take(1000).collect();
    let id = store::insert(&app.db, account.org_id, account.id, source, &reason, raw, app.now()).await?;
    tracing::error!(account = account.id, held = id, source, reason = %reason, size = raw.len(), "inbound message not stored: held for the admins");
    Ok(id)
}

/// An account's held messages (admins).
pub async fn list(app: &App, actor: &Actor, account_id: i64) -> Result<Vec<HeldRow>, AppError> {
    actor.require_admin()?;
    atiende_store::accounts::get(&app.db, actor.org_id, account_id).await?;
    Ok(store::list(&app.db, actor.org_id, account_id).await?)
}

/// One held message of `account_id` with its raw bytes (admins).
pub async fn get(app: &App, actor: &Actor, account_id: i64, id: i64) -> Result<(HeldRow, Vec<u8>), AppError> {
    actor.require_admin()?;
    let (row, raw) = store::get(&app.db, actor.org_id, id).await?;
    if row.account_id != account_id {
        return Err(AppError::NotFound);
    }
    Ok((row, raw))
}

/// Tries a held message again through its channel: stored, it leaves the quarantine; not
/// stored, it stays with the new reason, given back as the error.
pub async fn retry(app: &App, actor: &Actor, account_id: i64, id: i64) -> Result<(), AppError> {
    let (_, raw) = get(app, actor, account_id, id).await?;
    let account = atiende_store::accounts::get(&app.db, actor.org_id, account_id).await?;
    match crate::channels::of(&account)?.receive_raw(app, &account, &raw).await {
        Ok(()) => {
            store::delete(&app.db, actor.org_id, id).await?;
            Ok(())
        }
        Err(e) => {
            store::set_reason(&app.db, actor.org_id, id, &e.to_string()).await?;
            Err(AppError::conflict("message", format!("still not stored: {e}")))
        }
    }
}

/// Deletes a held message for good (admins).
pub async fn delete(app: &App, actor: &Actor, account_id: i64, id: i64) -> Result<(), AppError> {
    get(app, actor, account_id, id).await?;
    store::delete(&app.db, actor.org_id, id).await?;
    Ok(())
}
