//! The group-commit ingest. Requests hand their message to a writer task and wait;
//! the writer takes everything queued (up to `ingest_batch_max`), stores it in one
//! transaction, and answers each request only after the commit. One fsync then
//! covers hundreds of messages, and nothing is acknowledged before it is durable.
use crate::metrics::Metrics;
use crate::realtime::Bus;
use crate::{AppConfig, AppError};
use atiende_core::time::Clock;
use atiende_store::Db;
use atiende_store::ingest::{self, Inbound, Outcome};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<Outcome, AppError>>;

pub struct Ingestor {
    writers: Vec<mpsc::Sender<(Inbound, Reply)>>,
}

impl Ingestor {
    pub fn start(
        db: &Db,
        clock: Arc<dyn Clock>,
        config: &AppConfig,
        metrics: Metrics,
        bus: Bus,
        jobs: Arc<tokio::sync::Notify>,
    ) -> Self {
        let n = if db.is_pg() { config.ingest_writers.max(1) } else { 1 };
        let writers = (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::channel(config.ingest_batch_max * 4);
                tokio::spawn(writer(
                    db.clone(),
                    clock.clone(),
                    config.ingest_batch_max,
                    metrics.clone(),
                    bus.clone(),
                    jobs.clone(),
                    rx,
                ));
                tx
            })
            .collect();
        Self { writers }
    }

    /// Stores one inbound message; returns once it is committed.
    pub async fn submit(&self, item: Inbound) -> Result<Outcome, AppError> {
        // The same client always goes to the same writer, so two writers never
        // race to open one client's ticket on this node.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (item.account_id, &item.identity_kind, &item.identity_value).hash(&mut h);
        let w = &self.writers[(h.finish() % self.writers.len() as u64) as usize];
        let (tx, rx) = oneshot::channel();
        w.send((item, tx)).await.map_err(|_| AppError::Unavailable)?;
        rx.await.map_err(|_| AppError::Unavailable)?
    }
}

async fn writer(
    db: Db,
    clock: Arc<dyn Clock>,
    max: usize,
    metrics: Metrics,
    bus: Bus,
    jobs: Arc<tokio::sync::Notify>,
    mut rx: mpsc::Receiver<(Inbound, Reply)>,
) {
    let mut batch: Vec<(Inbound, Reply)> = Vec::with_capacity(max);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < max {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (items, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let results = ingest::store_batch(&db, &items, clock.now(), &crate::inbound::Reactions).await;
        metrics.ingest_batches.fetch_add(1, Relaxed);
        let mut any = false;
        for (r, reply) in results.into_iter().zip(replies) {
            match &r {
                Ok(Outcome::Stored { ticket_created, .. }) => {
                    any = true;
                    metrics.ingest_stored.fetch_add(1, Relaxed);
                    if *ticket_created {
                        metrics.tickets_created.fetch_add(1, Relaxed);
                    }
                }
                Ok(Outcome::Duplicate { .. }) => {
                    metrics.ingest_duplicate.fetch_add(1, Relaxed);
                }
                Err(e) => {
                    metrics.ingest_failed.fetch_add(1, Relaxed);
                    tracing::error!(error = %e, "inbound message could not be stored");
                }
            }
            let _ = reply.send(r.map_err(AppError::from));
        }
        if any {
            bus.wake();
            // The batch may have queued tickets for assignment: the job runner drains them now.
            jobs.notify_one();
        }
    }
}
