//! Realtime fan-out. Committed events are read back from the event outbox by one
//! pump per node and broadcast to this node's connected clients. Local writers
//! wake the pump directly; on PostgreSQL every node also LISTENs for the
//! `NOTIFY` that writers on any node send at commit.
use crate::App;
use atiende_store::events::{self, EventRow};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast};

#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<EventRow>>,
    wake: Arc<Notify>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self { tx, wake: Arc::new(Notify::new()) }
    }
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventRow>> {
        self.tx.subscribe()
    }
    /// Tells the pump that events were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// How long a hole in the event ids is waited for (a transaction that took its id
/// earlier may still be committing) before the pump moves past it.
const GAP_PATIENCE: Duration = Duration::from_secs(3);

/// Reads committed events in id order and broadcasts them. Runs until the app stops.
pub async fn pump(app: App, shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut floor = loop {
        match events::max_id(&app.db).await {
            Ok(id) => break id,
            Err(e) => {
                tracing::warn!(error = %e, "event pump cannot read the outbox yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    {
        let (db, wake, shutdown) = (app.db.clone(), app.realtime.wake.clone(), shutdown.clone());
        tokio::spawn(async move { events::listen(&db, wake, shutdown).await });
    }
    let mut seen: BTreeSet<i64> = BTreeSet::new();
    let mut gap_since: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let tick = if gap_since.is_some() { Duration::from_millis(50) } else { Duration::from_millis(1000) };
        tokio::select! {
            _ = app.realtime.wake.notified() => {}
            _ = tokio::time::sleep(tick) => {}
        }
        loop {
            let rows = match events::after(&app.db, floor, 2000).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "event pump read failed");
                    break;
                }
            };
            let full = rows.len() == 2000;
            for r in rows {
                if seen.insert(r.id) {
                    app.metrics.events_published.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = app.realtime.tx.send(Arc::new(r));
                }
            }
            while seen.remove(&(floor + 1)) {
                floor += 1;
            }
            match seen.first().copied() {
                None => gap_since = None,
                Some(first) => {
                    let since = *gap_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > GAP_PATIENCE {
                        tracing::debug!(
                            from = floor + 1,
                            to = first - 1,
                            "event ids never committed; moving on"
                        );
                        floor = first - 1;
                        while seen.remove(&(floor + 1)) {
                            floor += 1;
                        }
                        gap_since = if seen.is_empty() { None } else { Some(Instant::now()) };
                    }
                }
            }
            if !full {
                break;
            }
        }
    }
}
