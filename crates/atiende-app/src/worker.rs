//! Background work: the job runner (outbox deliveries, timers) and housekeeping.
//! Every node runs it; leases and `SKIP LOCKED` make each job run on one node.
use crate::App;
use crate::channels::{Delivered, Outbound};
use atiende_store::jobs::{self, JobRow};
use atiende_store::{StoreError, accounts, events, messages};
use serde_json::Value;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// Wakes this node's job runner (a job was just queued).
pub fn kick(app: &App) {
    app.job_wake.notify_one();
}

/// How long one attempt of a job may run: two thirds of its lease, so that it ends — and
/// its outcome is recorded — while this node still holds the job. A peer that never answers
/// (an SMTP host that accepts the connection and never greets) costs one attempt, not the
/// node's queue.
pub fn job_timeout(app: &App) -> Duration {
    app.config.job_lease * 2 / 3
}

/// Claims and runs due jobs until shutdown, `job_concurrency` at a time. A slot freed by a
/// finished job is refilled at once: a slow job holds its own slot, never the others'.
pub async fn run(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut last_prune = std::time::Instant::now() - Duration::from_secs(3600);
    let slots = app.config.job_concurrency.max(1);
    let mut running = tokio::task::JoinSet::new();
    loop {
        if *shutdown.borrow() {
            // Let running attempts end (each is bounded by the job timeout).
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                while running.join_next().await.is_some() {}
            })
            .await;
            return;
        }
        while running.try_join_next().is_some() {}
        let free = slots.saturating_sub(running.len());
        let claimed = if free > 0 { claim(&app, free).await } else { Vec::new() };
        let n = claimed.len();
        for job in claimed {
            let app = app.clone();
            running.spawn(async move { run_one(&app, job).await });
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = std::time::Instant::now();
            let before = app.now() - app.config.event_retention.as_micros() as i64;
            match events::prune(&app.db, before).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "old events pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event pruning failed"),
            }
        }
        // Claimed a full set: there may be more due; look again at once when a slot is free.
        if n > 0 && n == free {
            continue;
        }
        tokio::select! {
            _ = running.join_next(), if !running.is_empty() => {}
            _ = app.job_wake.notified() => {}
            _ = tokio::time::sleep(app.config.job_poll_interval) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Claims up to `limit` due jobs for this node.
async fn claim(app: &App, limit: usize) -> Vec<JobRow> {
    match jobs::any_due(&app.db, app.now()).await {
        Ok(true) => {}
        Ok(false) => return Vec::new(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for due jobs");
            return Vec::new();
        }
    }
    let lease = app.config.job_lease.as_micros() as i64;
    match jobs::claim(&app.db, &app.config.node_id, app.now(), lease, limit as i64).await {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim jobs");
            Vec::new()
        }
    }
}

/// Runs one round of due jobs and waits for them; returns how many were claimed. Tests call
/// it to drive background work to completion deterministically.
pub async fn run_due(app: &App) -> usize {
    let claimed = claim(app, app.config.job_concurrency.max(1)).await;
    let n = claimed.len();
    let mut set = tokio::task::JoinSet::new();
    for job in claimed {
        let app = app.clone();
        set.spawn(async move { run_one(&app, job).await });
    }
    while set.join_next().await.is_some() {}
    n
}

async fn run_one(app: &App, job: JobRow) {
    // Deliveries bound their own call to the platform (and record why an attempt ended);
    // this bounds every job, slightly later, whatever it waits for.
    let limit = job_timeout(app) + job_timeout(app) / 8;
    let r = match tokio::time::timeout(limit, attempt(app, &job)).await {
        Ok(r) => r,
        Err(_) => Err(JobError::Retry(
            format!("timed out after {} s", limit.as_secs()),
            backoff(app.config.outbox_backoff, app.config.outbox_backoff_max, job.attempts),
        )),
    };
    settle(app, &job, r).await;
}

/// One attempt of a job, by its kind.
async fn attempt(app: &App, job: &JobRow) -> Result<(), JobError> {
    match job.kind.as_str() {
        jobs::DELIVER => deliver(app, job).await,
        atiende_store::assign::ASSIGN => crate::assign::run_job(app, job).await.map_err(JobError::from),
        atiende_store::automation::REACT => {
            crate::automation::run_react(app, job).await.map_err(JobError::from)
        }
        atiende_store::automation::AUTO_CLOSE => {
            crate::automation::run_auto_close(app, job).await.map_err(JobError::from)
        }
        atiende_store::automation::SLA_OVERDUE => {
            crate::automation::run_sla_overdue(app, job).await.map_err(JobError::from)
        }
        crate::channels::chat::UNREAD => crate::channels::chat::run_unread(app, job).await.map_err(|e| {
            JobError::Retry(
                e.to_string(),
                backoff(app.config.outbox_backoff, app.config.outbox_backoff_max, job.attempts),
            )
        }),
        // Run again from the start after a failure: what was stored is found by its
        // platform id and not stored twice.
        crate::channels::meta::WEBHOOK => match crate::channels::meta::run_webhook(app, job).await {
            Ok(()) => finish(app, job, None).await,
            Err((reason, wait)) => Err(JobError::Retry(reason, wait)),
        },
        crate::channels::email::MAIL => match crate::channels::email::run_mail(app, job).await {
            Ok(()) => finish(app, job, None).await,
            Err(e) if e.retryable && job.attempts < app.config.outbox_max_attempts => Err(JobError::Retry(
                e.reason,
                backoff(app.config.outbox_backoff, app.config.outbox_backoff_max, job.attempts),
            )),
            Err(e) => Err(JobError::Final(e.reason)),
        },
        other => Err(JobError::Final(format!("unknown job kind {other}"))),
    }
}

/// Records how an attempt ended: done, again later, or failed for good.
async fn settle(app: &App, job: &JobRow, r: Result<(), JobError>) {
    let node = &app.config.node_id;
    match r {
        Ok(()) => {
            app.metrics.jobs_done.fetch_add(1, Relaxed);
        }
        Err(JobError::Retry(reason, after)) => {
            app.metrics.jobs_retried.fetch_add(1, Relaxed);
            let at = app.now() + after.as_micros() as i64;
            if let Err(e) = jobs::retry(&app.db, job.id, node, at, &reason).await {
                tracing::warn!(error = %e, job = job.id, "cannot reschedule job");
            }
        }
        Err(JobError::Final(reason)) => {
            app.metrics.jobs_failed.fetch_add(1, Relaxed);
            tracing::warn!(job = job.id, kind = %job.kind, %reason, "job failed for good");
            if let Ok(mut tx) = app.db.begin().await {
                let _ = jobs::complete(&mut tx, job.id, node).await;
                let _ = tx.commit().await;
            }
        }
    }
}

enum JobError {
    Retry(String, Duration),
    Final(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Retry(format!("database: {e}"), Duration::from_secs(5))
    }
}

/// Exponential backoff for the `attempt`-th failure (1-based), capped.
pub fn backoff(base: Duration, max: Duration, attempt: i64) -> Duration {
    let exp = (attempt.clamp(1, 30) - 1) as u32;
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

/// Delivers an outbound message through its account's channel.
async fn deliver(app: &App, job: &JobRow) -> Result<(), JobError> {
    let payload: Value = serde_json::from_str(&job.payload).map_err(|e| JobError::Final(e.to_string()))?;
    let id =
        payload["message_id"].as_i64().ok_or_else(|| JobError::Final("payload without message_id".into()))?;
    let msg = match messages::get(&app.db, id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return finish(app, job, None).await,
        Err(e) => return Err(e.into()),
    };
    if msg.delivery.as_deref() != Some("pending") {
        // Already settled by an earlier run of this job: never send twice.
        return finish(app, job, None).await;
    }
    let account = accounts::get_any(&app.db, msg.account_id).await?;
    let result = match crate::channels::adapter(account.kind) {
        Some(channel) => {
            let ticket = atiende_store::tickets::get(&app.db, msg.org_id, msg.ticket_id).await?;
            let recipient =
                atiende_store::clients::identity(&app.db, ticket.client_id, channel.identity_kind()).await?;
            // The platform's answer is awaited a bounded time: the attempt ends, is recorded
            // on the message and tried again later.
            let limit = job_timeout(app);
            let out = Outbound { account: &account, ticket: &ticket, message: &msg, recipient };
            match tokio::time::timeout(limit, channel.deliver(app, out)).await {
                Ok(r) => r,
                Err(_) => Err(crate::channels::retry_error(format!(
                    "timed out after {} s without an answer from the {} server",
                    limit.as_secs(),
                    account.kind
                ))),
            }
        }
        None => Err(crate::channels::final_error(format!("the {} channel cannot send yet", account.kind))),
    };
    match result {
        Ok(sent) => {
            app.metrics.deliveries_sent.fetch_add(1, Relaxed);
            finish_sent(app, job, &sent).await
        }
        Err(e) if e.retryable && job.attempts < app.config.outbox_max_attempts => {
            let wait = e.retry_after.unwrap_or_else(|| {
                backoff(app.config.outbox_backoff, app.config.outbox_backoff_max, job.attempts)
            });
            let mut tx = app.db.begin().await?;
            messages::set_delivery(
                &mut tx,
                id,
                "pending",
                Some(&format!("attempt {}: {}", job.attempts, e.reason)),
                None,
                app.now(),
            )
            .await?;
            app.commit(tx).await?;
            Err(JobError::Retry(e.reason, wait))
        }
        Err(e) => {
            app.metrics.deliveries_failed.fetch_add(1, Relaxed);
            finish(app, job, Some(("failed", Some(e.reason)))).await
        }
    }
}

/// Completes the job and, when given, records the delivery outcome — together.
async fn finish(app: &App, job: &JobRow, outcome: Option<(&str, Option<String>)>) -> Result<(), JobError> {
    record(app, job, outcome, None).await
}

/// A delivery that went out, with what it went out as (an email's Message-ID and headers).
async fn finish_sent(app: &App, job: &JobRow, sent: &Delivered) -> Result<(), JobError> {
    record(app, job, Some(("sent", None)), Some(sent)).await
}

async fn record(
    app: &App,
    job: &JobRow,
    outcome: Option<(&str, Option<String>)>,
    sent: Option<&Delivered>,
) -> Result<(), JobError> {
    let mut tx = app.db.begin().await?;
    if let Some((state, reason)) = &outcome {
        let id = serde_json::from_str::<Value>(&job.payload)
            .ok()
            .and_then(|p| p["message_id"].as_i64())
            .unwrap_or(0);
        if let Some(meta) = sent.and_then(|s| s.metadata.as_ref()) {
            messages::set_metadata(&mut tx, id, &meta.to_string()).await?;
        }
        messages::set_delivery(
            &mut tx,
            id,
            state,
            reason.as_deref(),
            sent.and_then(|s| s.external_id.as_deref()),
            app.now(),
        )
        .await?;
    }
    jobs::complete(&mut tx, job.id, &app.config.node_id).await?;
    tx.commit().await?;
    if outcome.is_some() {
        app.realtime.wake();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(2);
        let m = Duration::from_secs(60);
        assert_eq!(backoff(b, m, 1), Duration::from_secs(2));
        assert_eq!(backoff(b, m, 2), Duration::from_secs(4));
        assert_eq!(backoff(b, m, 4), Duration::from_secs(16));
        assert_eq!(backoff(b, m, 10), m);
        assert_eq!(backoff(b, m, 1000), m);
    }
}
