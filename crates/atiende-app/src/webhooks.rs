//! Inbound webhooks of every platform, through one door: the account named in the URL must
//! be of the kind named there and take webhooks; the signature over the exact body is
//! checked with the account's sealed secret (the shared step, `atiende_channels::webhook`)
//! before its adapter reads a byte of it. Nothing is stored when the check fails, and the
//! platform is answered only after what it sent is committed.
use crate::channels;
use crate::{App, AppError};

/// Takes one webhook for account `account_id` of `kind`; `header` gives the request's
/// headers by name.
pub async fn receive(
    app: &App,
    kind: &str,
    account_id: i64,
    header: &(dyn Fn(&str) -> Option<String> + Sync),
    body: &[u8],
) -> Result<serde_json::Value, AppError> {
    let channel = channels::adapter(kind).ok_or(AppError::NotFound)?;
    let spec = channel.webhook().ok_or(AppError::NotFound)?;
    let account = match atiende_store::accounts::get_any(&app.db, account_id).await {
        Ok(a) if a.kind == channel.kind() => a,
        // Another kind's account is not found here, like one that does not exist.
        Ok(_) | Err(atiende_store::StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let secrets = crate::accounts::open_secrets(app, &account)?;
    let secret = secrets[spec.secret].as_str().unwrap_or("");
    if !atiende_channels::webhook::verify(secret.as_bytes(), body, header(spec.signature_header).as_deref()) {
        tracing::info!(account = account.id, kind, "webhook refused: bad or missing signature");
        return Err(AppError::Unauthenticated);
    }
    channel.on_webhook(app, &account, body).await
}
