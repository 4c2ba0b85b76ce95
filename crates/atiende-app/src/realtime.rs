//! Realtime fan-out. Committed events are read back from the event outbox by one
//! pump per node and broadcast to this node's connected clients. Local writers
//! wake the pump directly; on PostgreSQL every node also LISTENs for the
//! `NOTIFY` that writers on any node send at commit.
//!
//! A client subscribes with a [`Scope`]: a whole organization (the agents' screens) or one
//! conversation (a chat visitor's socket: only that ticket's events reach it, from any
//! node). [`subscribe`] reads the backlog after the client's last event id, so nothing
//! committed between a page render or a reconnection and the subscription is missed.
use crate::App;
use atiende_store::events::{self, EventRow};
use std::collections::{BTreeSet, VecDeque};
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
    fn subscribe(&self) -> broadcast::Receiver<Arc<EventRow>> {
        self.tx.subscribe()
    }
    /// Tells the pump that events were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Who a subscription is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every event of the organization.
    Organization(i64),
    /// The events of one conversation (ticket) of the organization.
    Conversation { org_id: i64, ticket_id: i64 },
    /// Every event (node-internal dispatchers, such as the chat hub; no backlog).
    All,
}

impl Scope {
    pub fn matches(&self, e: &EventRow) -> bool {
        match *self {
            Scope::Organization(org) => e.org_id == org,
            Scope::Conversation { org_id, ticket_id } => e.org_id == org_id && e.ticket_id == Some(ticket_id),
            Scope::All => true,
        }
    }
}

/// What a subscription yields next.
#[derive(Debug)]
pub enum Next {
    Event(Arc<EventRow>),
    /// The client read too slowly and `n` events were dropped: it should reconnect with
    /// its last event id.
    Lagged(u64),
    /// The node is stopping.
    Closed,
}

/// A client's stream of committed events in its scope, in id order, without repeats.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<EventRow>>,
    scope: Scope,
    backlog: VecDeque<EventRow>,
    /// The newest event id the backlog covered: live events up to it were already sent.
    /// Live events themselves may come out of id order (on PostgreSQL a transaction that
    /// took a smaller id can commit later), so they are not filtered by each other's ids.
    last_id: i64,
}

impl Subscription {
    pub async fn next(&mut self) -> Next {
        if let Some(e) = self.backlog.pop_front() {
            self.last_id = self.last_id.max(e.id);
            return Next::Event(Arc::new(e));
        }
        loop {
            match self.rx.recv().await {
                Ok(e) if self.scope.matches(&e) && e.id > self.last_id => {
                    return Next::Event(e);
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => return Next::Lagged(n),
                Err(broadcast::error::RecvError::Closed) => return Next::Closed,
            }
        }
    }
}

/// Subscribes to `scope`; with `since`, first yields what was committed after that event id
/// (within the retention period, at most 5,000 events).
pub async fn subscribe(app: &App, scope: Scope, since: Option<i64>) -> Result<Subscription, crate::AppError> {
    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = app.realtime.subscribe();
    let mut backlog = VecDeque::new();
    if let Some(since) = since {
        backlog.extend(match scope {
            Scope::Organization(org) => events::after_for_org(&app.db, org, since, 5000).await?,
            Scope::Conversation { org_id, ticket_id } => {
                events::after_for_ticket(&app.db, org_id, ticket_id, since, 5000).await?
            }
            Scope::All => Vec::new(),
        });
    }
    Ok(Subscription { rx, scope, backlog, last_id: since.unwrap_or(0) })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, org_id: i64, ticket_id: Option<i64>) -> EventRow {
        EventRow {
            id,
            org_id,
            kind: "message.created".into(),
            ticket_id,
            message_id: None,
            payload: "{}".into(),
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn a_conversation_subscription_sees_only_its_ticket() {
        let bus = Bus::new();
        let mut conv = Subscription {
            rx: bus.subscribe(),
            scope: Scope::Conversation { org_id: 1, ticket_id: 7 },
            backlog: VecDeque::from([event(3, 1, Some(7))]),
            last_id: 2,
        };
        let mut org = Subscription {
            rx: bus.subscribe(),
            scope: Scope::Organization(1),
            backlog: VecDeque::new(),
            last_id: 0,
        };
        for e in [
            event(3, 1, Some(7)),
            event(4, 1, Some(8)),
            event(5, 2, Some(7)),
            event(6, 1, Some(7)),
            event(7, 1, None),
        ] {
            let _ = bus.tx.send(Arc::new(e));
        }
        let mut got = Vec::new();
        for _ in 0..2 {
            if let Next::Event(e) = conv.next().await {
                got.push(e.id);
            }
        }
        // The backlog's event 3 is not repeated from the bus; other tickets and orgs are not seen.
        assert_eq!(got, [3, 6]);
        let mut all = Vec::new();
        for _ in 0..4 {
            if let Next::Event(e) = org.next().await {
                all.push(e.id);
            }
        }
        assert_eq!(all, [3, 4, 6, 7]);
    }

    /// The pump may broadcast a later id before an earlier one (PostgreSQL commit order):
    /// both reach the subscriber.
    #[tokio::test]
    async fn events_out_of_id_order_are_all_delivered() {
        let bus = Bus::new();
        let mut org = Subscription {
            rx: bus.subscribe(),
            scope: Scope::Organization(1),
            backlog: VecDeque::new(),
            last_id: 0,
        };
        for e in [event(11, 1, Some(1)), event(10, 1, Some(1)), event(12, 1, Some(1))] {
            let _ = bus.tx.send(Arc::new(e));
        }
        let mut got = Vec::new();
        while let Ok(Next::Event(e)) =
            tokio::time::timeout(std::time::Duration::from_millis(300), org.next()).await
        {
            got.push(e.id);
        }
        assert_eq!(got, [11, 10, 12]);
    }
}
