//! The IMAP mailbox reader: the email channel's listener (run by [`crate::listeners`] on
//! the node holding the account's lease). It reads the messages above the last UID it
//! stored (under the mailbox's UIDVALIDITY), stores them, and only then moves its mark
//! forward — so a restart, a dropped connection or a crash mid-fetch reads again what was
//! not committed, and the Message-ID deduplication keeps it from being stored twice.
//! Failures mark the account `needs_reconnection` with the server's reason and retry with
//! backoff.
use super::{imap_config, receive_or_hold, settings};
use crate::{App, AppError};
use atiende_channels::email::imap::{self, ImapError};
use atiende_core::email::Connection;
use atiende_store::email as store;
use std::time::Duration;
use tokio::sync::watch;

/// How long a reader's lease on its mailbox lasts (renewed every third of it).
pub fn lease(app: &App) -> Duration {
    app.config.email.imap_poll_interval * 3 + app.config.email.timeout * 2
}

/// One account's reader: sessions one after the other, backing off after failures, until
/// `stop` (the account changed, the lease was lost, or the node stops).
pub async fn read(app: App, account_id: i64, mut stop: watch::Receiver<bool>) {
    let mut failures: u32 = 0;
    loop {
        if *stop.borrow() {
            return;
        }
        let r = session(&app, account_id, &mut stop, &mut failures).await;
        if *stop.borrow() {
            return;
        }
        // A session ends well only when told to stop or when the account reads no mailbox.
        if let Err(e) = r {
            failures += 1;
            tracing::warn!(account = account_id, reason = %e.reason, failures, "mailbox reader failed");
            let _ = atiende_store::accounts::set_status(
                &app.db,
                account_id,
                "needs_reconnection",
                Some(&e.reason),
                app.now(),
            )
            .await;
            app.account_cache.clear();
            app.realtime.wake();
            let wait = crate::worker::backoff(
                Duration::from_secs(1),
                app.config.email.reconnect_max,
                failures as i64,
            );
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        } else {
            return;
        }
    }
}

fn app_err(e: AppError) -> ImapError {
    ImapError { reason: format!("storing a message: {e}"), needs_admin: false }
}

async fn session(
    app: &App,
    account_id: i64,
    stop: &mut watch::Receiver<bool>,
    failures: &mut u32,
) -> Result<(), ImapError> {
    let account =
        atiende_store::accounts::get_any(&app.db, account_id).await.map_err(|e| app_err(e.into()))?;
    let cfg = settings(app, &account).map_err(app_err)?;
    let Connection::Imap { server, mailbox } = &cfg.connection else { return Ok(()) };
    let icfg = imap_config(server, mailbox);
    let connector = imap::tls_connector(app.config.email.extra_ca_pem.as_deref())
        .map_err(|reason| ImapError { reason, needs_admin: true })?;
    let timeout = app.config.email.timeout;
    super::server_allowed(app, &server.host, server.port)
        .await
        .map_err(|reason| ImapError { reason, needs_admin: true })?;
    let mut mb = imap::open(&icfg, &connector, timeout).await?;
    if atiende_store::accounts::set_status(&app.db, account_id, "active", None, app.now())
        .await
        .unwrap_or(false)
    {
        tracing::info!(account = account_id, "mailbox reachable again");
        app.account_cache.clear();
        app.realtime.wake();
    }
    *failures = 0;
    loop {
        let mut last = match store::mailbox_state(&app.db, account_id).await.map_err(|e| app_err(e.into()))? {
            Some((validity, last)) if validity == mb.uid_validity as i64 => last as u32,
            Some((validity, _)) => {
                // The server renumbered the mailbox: read it all again; Message-IDs keep
                // what was already stored from coming back twice.
                tracing::warn!(
                    account = account_id,
                    old = validity,
                    new = mb.uid_validity,
                    "UIDVALIDITY changed; reading the mailbox again"
                );
                0
            }
            None => 0,
        };
        loop {
            let batch = mb.fetch_after(last, app.config.email.imap_batch, timeout).await?;
            if batch.is_empty() {
                break;
            }
            // Submitted together so the ingest commits them in a few transactions.
            let results = futures_util::future::join_all(
                batch.iter().map(|(_, raw)| receive_or_hold(app, &account, raw, "imap")),
            )
            .await;
            let mut done = last;
            for ((uid, _), r) in batch.iter().zip(results) {
                match r {
                    Ok(()) => done = *uid,
                    Err(e) => {
                        // Not stored: the mark stays before it, and the next session tries again.
                        if done > last {
                            let _ = store::set_mailbox_state(
                                &app.db,
                                account_id,
                                mb.uid_validity as i64,
                                done as i64,
                                app.now(),
                            )
                            .await;
                        }
                        return Err(app_err(e));
                    }
                }
            }
            store::set_mailbox_state(&app.db, account_id, mb.uid_validity as i64, done as i64, app.now())
                .await
                .map_err(|e| app_err(e.into()))?;
            if *stop.borrow() {
                mb.logout().await;
                return Ok(());
            }
            app.metrics.email_fetched.fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
            last = done;
        }
        if *stop.borrow() {
            mb.logout().await;
            return Ok(());
        }
        tokio::select! {
            r = mb.wait(app.config.email.imap_poll_interval, mailbox) => { mb = r?; }
            _ = stop.changed() => return Ok(()),
        }
    }
}
