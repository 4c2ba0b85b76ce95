//! Meta's one webhook (`/webhooks/meta`, SPEC §11.2) for WhatsApp, Messenger, page feeds and
//! Instagram. `GET` answers the verification handshake. `POST` checks
//! `X-Hub-Signature-256` over the raw body with the deployment's app secret (401 and nothing
//! kept when it fails), then keeps the body as a durable job and answers 200 only once that is
//! committed: a crash before the answer means Meta sends it again, and the job, run on any
//! node, stores each message once (deduplicated by the platform's ids). The job splits the
//! body into its entries and hands each to the account it names (a WhatsApp number by its
//! `phone_number_id`); entries for ids no account has are logged and dropped.
use crate::{App, AppError};
use atiende_channels::meta::{self, Failure};
use std::time::Duration;

/// The job that takes one webhook body.
pub const WEBHOOK: &str = "meta_webhook";

/// The verification handshake: the challenge to echo, or `None` (403).
pub fn verify<'a>(
    app: &App,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    meta::verify_subscription(mode, token, challenge, &app.config.meta.verify_token)
}

/// Takes one signed webhook body: kept (as a job) before this returns.
pub async fn receive(app: &App, signature: Option<&str>, body: &[u8]) -> Result<(), AppError> {
    let secret = &app.config.meta.app_secret;
    if secret.is_empty() {
        return Err(AppError::NotFound);
    }
    if !atiende_channels::webhook::verify(secret.as_bytes(), body, signature) {
        tracing::info!("Meta webhook refused: bad or missing signature");
        return Err(AppError::Unauthenticated);
    }
    let text = std::str::from_utf8(body).map_err(|_| AppError::invalid("body", "must be UTF-8 JSON"))?;
    // What needs no other server (WhatsApp texts and statuses) is stored at once, through the
    // ingest's group commit, before the answer; the rest — media to download, profiles to look
    // up, or a failure here — is kept as a job first.
    if inline(text.as_bytes()) && take_body(app, text.as_bytes(), 0).await.is_ok() {
        return Ok(());
    }
    // A body Meta sends again (its retry) is one job while the first is waiting.
    let key = {
        use sha2::Digest;
        format!("{WEBHOOK}:{}", hex::encode(sha2::Sha256::digest(body)))
    };
    let mut tx = app.db.begin().await?;
    atiende_store::jobs::enqueue(&mut tx, WEBHOOK, text, Some(&key), app.now()).await?;
    app.commit(tx).await?;
    app.job_wake.notify_one();
    Ok(())
}

/// Runs one kept webhook: every entry to its account. An error means "try again later"
/// (what was stored already is not stored twice).
pub async fn run_webhook(app: &App, job: &atiende_store::jobs::JobRow) -> Result<(), (String, Duration)> {
    take_body(app, job.payload.as_bytes(), job.attempts).await
}

/// Whether a body can be taken while Meta waits for the answer: WhatsApp only, and no media.
fn inline(body: &[u8]) -> bool {
    let Ok(entries) = meta::entries(body) else { return false };
    entries.iter().all(|e| {
        e.object == "whatsapp_business_account"
            && meta::whatsapp::parse_entry(&e.body).messages.iter().all(|m| m.media.is_none())
    })
}

/// Every entry of a body to its account.
async fn take_body(app: &App, body: &[u8], attempts: i64) -> Result<(), (String, Duration)> {
    let entries = match meta::entries(body) {
        Ok(e) => e,
        Err(reason) => {
            tracing::warn!(%reason, "Meta webhook dropped: not a webhook body");
            return Ok(());
        }
    };
    for entry in entries {
        match entry.object.as_str() {
            "whatsapp_business_account" => {
                let change = meta::whatsapp::parse_entry(&entry.body);
                // One entry may carry several numbers of the business account.
                let mut numbers: Vec<String> = change
                    .messages
                    .iter()
                    .map(|m| m.phone_number_id.clone())
                    .chain(change.statuses.iter().map(|s| s.phone_number_id.clone()))
                    .collect();
                numbers.sort();
                numbers.dedup();
                for number in numbers {
                    let Some(account) = account_for(app, &super::whatsapp::route(&number)).await? else {
                        tracing::info!(phone_number_id = %number, "Meta webhook for a WhatsApp number no account has");
                        continue;
                    };
                    let part = atiende_channels::meta::whatsapp::Change {
                        messages: change
                            .messages
                            .iter()
                            .filter(|m| m.phone_number_id == number)
                            .cloned()
                            .collect(),
                        statuses: change
                            .statuses
                            .iter()
                            .filter(|s| s.phone_number_id == number)
                            .cloned()
                            .collect(),
                    };
                    super::whatsapp::take(app, &account, part).await.map_err(|f| retry(app, f, attempts))?;
                }
            }
            "page" | "instagram" => {
                let p = if entry.object == "page" {
                    &super::facebook::PLATFORM
                } else {
                    &super::instagram::PLATFORM
                };
                let events = meta::messenger::parse_entry(&entry.object, &entry.body);
                if events.is_empty() {
                    continue;
                }
                let Some(account) = account_for(app, &p.route(&entry.id)).await? else {
                    tracing::info!(object = %entry.object, id = %entry.id, "Meta webhook for a page or Instagram account no account has");
                    continue;
                };
                super::pages::take(app, p, &account, events).await.map_err(|f| retry(app, f, attempts))?;
            }
            other => {
                tracing::info!(object = other, id = %entry.id, "Meta webhook for a platform not handled")
            }
        }
    }
    Ok(())
}

async fn account_for(
    app: &App,
    route: &str,
) -> Result<Option<atiende_store::accounts::AccountRow>, (String, Duration)> {
    atiende_store::accounts::by_inbound_address(&app.db, route)
        .await
        .map_err(|e| (format!("database: {e}"), Duration::from_secs(5)))
}

/// How long to wait before running a webhook again after `f`.
fn retry(app: &App, f: Failure, attempts: i64) -> (String, Duration) {
    let backoff = crate::worker::backoff(app.config.outbox_backoff, app.config.outbox_backoff_max, attempts);
    match f {
        Failure::RateLimited(r, wait) => (r, wait),
        Failure::Reconnect(r) => (r, backoff.max(Duration::from_secs(60))),
        Failure::Retry(r) | Failure::Final(r) => (r, backoff),
    }
}

/// What a failed Graph call means for a delivery: a token or permission problem flags the
/// account (admins see why) and waits; a rate limit waits its window; the rest as Meta says.
pub async fn failure(
    app: &App,
    account: &atiende_store::accounts::AccountRow,
    f: Failure,
) -> atiende_channels::DeliveryError {
    match f {
        Failure::Reconnect(reason) => {
            needs_reconnection(app, account, &reason).await;
            // Tried again on the outbox's growing backoff, so the fix is picked up soon.
            atiende_channels::DeliveryError { reason, retryable: true, retry_after: None }
        }
        Failure::RateLimited(reason, wait) => atiende_channels::DeliveryError {
            reason: format!("rate limited by Meta: {reason}"),
            retryable: true,
            retry_after: Some(wait),
        },
        Failure::Retry(reason) => super::retry_error(reason),
        Failure::Final(reason) => super::final_error(reason),
    }
}

/// Flags the account "needs reconnection" with Meta's reason.
pub async fn needs_reconnection(app: &App, account: &atiende_store::accounts::AccountRow, reason: &str) {
    let changed = atiende_store::accounts::set_status(
        &app.db,
        account.id,
        atiende_core::AccountStatus::NeedsReconnection.as_str(),
        Some(reason),
        app.now(),
    )
    .await;
    if let Ok(true) = changed {
        tracing::warn!(account = account.id, %reason, "Meta account needs reconnection");
        app.account_cache.remove(&account.id);
    }
}
