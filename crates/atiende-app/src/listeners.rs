//! Listeners and pollers as a service: one supervisor per node keeps running, for every
//! account whose adapter asks for one ([`crate::channels::Channel::listener`]), its
//! long-running work — the IMAP reader today, a search poller or a review poller next —
//! on the one node that holds the account's lease. The lease is renewed every third of its
//! length; a node that cannot renew it stops its listener, a node that stops gives it up,
//! and another node takes it over once it expires (a node that died).
use crate::App;
use crate::channels::{self, Listener};
use atiende_store::listeners as store;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// Keeps the wanted listeners running until shutdown. An account's listener restarts when
/// the account changes (`updated_at`) or it ended.
pub async fn run(app: App, mut shutdown: watch::Receiver<bool>) {
    let mut running: HashMap<i64, (i64, watch::Sender<bool>, tokio::task::JoinHandle<()>)> = HashMap::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        match store::accounts(&app.db).await {
            Ok(accounts) => {
                let wanted: HashMap<i64, (i64, Listener)> = accounts
                    .iter()
                    .filter_map(|a| {
                        let l = channels::adapter(a.kind)?.listener(&app, a)?;
                        Some((a.id, (a.updated_at, l)))
                    })
                    .collect();
                running.retain(|id, (version, stop, handle)| {
                    let keep = wanted.get(id).map(|w| w.0) == Some(*version) && !handle.is_finished();
                    if !keep {
                        let _ = stop.send(true);
                    }
                    keep
                });
                for (id, (version, listener)) in wanted {
                    if running.contains_key(&id) {
                        continue;
                    }
                    let (stop_tx, stop_rx) = watch::channel(false);
                    let handle = tokio::spawn(hold_and_run(app.clone(), id, listener, stop_rx));
                    running.insert(id, (version, stop_tx, handle));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the accounts for their listeners"),
        }
        tokio::select! {
            _ = app.listeners_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            _ = shutdown.changed() => {}
        }
    }
    for (_, (_, stop, handle)) in running {
        let _ = stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
    }
}

/// Takes or renews this node's lease on the account's listener.
async fn hold(app: &App, account_id: i64, lease: Duration) -> bool {
    let now = app.now();
    store::claim(&app.db, account_id, &app.config.node_id, now, now + lease.as_micros() as i64)
        .await
        .unwrap_or(false)
}

/// Runs one account's listener while this node holds its lease.
async fn hold_and_run(app: App, account_id: i64, listener: Listener, mut stop: watch::Receiver<bool>) {
    let renew = (listener.lease / 3).max(Duration::from_millis(100));
    loop {
        if !hold(&app, account_id, listener.lease).await {
            // Another node runs it; look again later (it may stop or die).
            tokio::select! {
                _ = tokio::time::sleep(listener.retry) => continue,
                _ = stop.changed() => return,
            }
        }
        let (inner_stop, inner_rx) = watch::channel(false);
        let mut handle = tokio::spawn((listener.run)(app.clone(), account_id, inner_rx));
        let stopping = loop {
            tokio::select! {
                _ = tokio::time::sleep(renew) => {
                    if !hold(&app, account_id, listener.lease).await {
                        tracing::info!(account = account_id, "listener lease lost; stopping here");
                        break false;
                    }
                }
                _ = stop.changed() => break true,
                // It ended by itself: give the lease up; the supervisor starts it again
                // on its next round if it is still wanted.
                _ = &mut handle => break true,
            }
        };
        let _ = inner_stop.send(true);
        if !handle.is_finished() {
            let _ = tokio::time::timeout(Duration::from_secs(5), &mut handle).await;
        }
        if stopping || *stop.borrow() {
            let _ = store::release(&app.db, account_id, &app.config.node_id).await;
            return;
        }
    }
}
