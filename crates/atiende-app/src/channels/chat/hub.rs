//! One dispatcher per node for the visitors' sockets. Each socket would otherwise watch its
//! organization's whole event stream and wake for every event of every conversation — with
//! 10,000 sockets and 1,000 messages a second that is ten million wake-ups a second. The hub
//! reads the node's event stream once, parses an event at most once, and hands each socket
//! only its conversation's events: by ticket; a new ticket of a known client by its
//! `ticket.created`; a visitor's first message (which makes their client) by its external id.
//! A socket that falls 256 events behind is dropped; the widget reconnects and resumes from
//! its last message id, so nothing is lost.
use crate::App;
use crate::realtime::{self, Next, Scope};
use atiende_store::events::EventRow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Events a socket may have waiting before it is dropped.
const QUEUE: usize = 256;

/// What a socket receives.
#[derive(Debug)]
pub enum Signal {
    /// An event of its conversation (`message.created`).
    Event(Arc<EventRow>),
    /// The node's stream lagged: read the conversation again from the store.
    Resync,
}

#[derive(Default)]
pub struct Hub {
    started: AtomicBool,
    next: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    sockets: HashMap<u64, Entry>,
    by_ticket: HashMap<i64, Vec<u64>>,
    by_client: HashMap<i64, Vec<u64>>,
    by_visitor: HashMap<i64, Vec<u64>>,
}

struct Entry {
    tx: mpsc::Sender<Signal>,
    account_id: i64,
    visitor_id: i64,
    client: Option<i64>,
    tickets: Vec<i64>,
}

/// A socket's place in the hub; leaving is dropping it.
pub struct Membership {
    id: u64,
    hub: Arc<Hub>,
    pub rx: mpsc::Receiver<Signal>,
}

impl Membership {
    /// Adds the client and tickets read from the store after joining (what committed in
    /// between is in what the socket reads from the store next).
    pub fn track(&self, client: Option<i64>, tickets: &[i64]) {
        let mut s = self.hub.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = client
            && let Some(e) = s.sockets.get_mut(&self.id)
            && e.client.is_none()
        {
            e.client = Some(c);
            add(&mut s.by_client, c, self.id);
        }
        for t in tickets {
            s.track_ticket(self.id, *t);
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.hub.leave(self.id);
    }
}

fn add(map: &mut HashMap<i64, Vec<u64>>, key: i64, id: u64) {
    let v = map.entry(key).or_default();
    if !v.contains(&id) {
        v.push(id);
    }
}

fn remove(map: &mut HashMap<i64, Vec<u64>>, key: i64, id: u64) {
    if let Some(v) = map.get_mut(&key) {
        v.retain(|x| *x != id);
        if v.is_empty() {
            map.remove(&key);
        }
    }
}

impl State {
    fn track_ticket(&mut self, id: u64, ticket: i64) {
        if let Some(e) = self.sockets.get_mut(&id)
            && !e.tickets.contains(&ticket)
        {
            e.tickets.push(ticket);
            add(&mut self.by_ticket, ticket, id);
        }
    }

    /// Hands `e` to the sockets `ids`; a socket whose queue is full is dropped.
    fn deliver(&mut self, ids: &[u64], signal: impl Fn() -> Signal) {
        let mut full = Vec::new();
        for id in ids {
            if let Some(s) = self.sockets.get(id)
                && s.tx.try_send(signal()).is_err()
            {
                full.push(*id);
            }
        }
        for id in full {
            self.drop_socket(id);
        }
    }

    fn drop_socket(&mut self, id: u64) {
        if let Some(e) = self.sockets.remove(&id) {
            for t in e.tickets {
                remove(&mut self.by_ticket, t, id);
            }
            if let Some(c) = e.client {
                remove(&mut self.by_client, c, id);
            }
            remove(&mut self.by_visitor, e.visitor_id, id);
        }
    }
}

impl Hub {
    /// Registers a visitor's socket (then [`Membership::track`] its client and tickets).
    /// Starts the node's dispatcher on first use.
    pub async fn join(
        self: &Arc<Self>,
        app: &App,
        account_id: i64,
        visitor_id: i64,
    ) -> Result<Membership, crate::AppError> {
        if !self.started.swap(true, Ordering::SeqCst) {
            let sub = realtime::subscribe(app, Scope::All, None).await?;
            tokio::spawn(self.clone().dispatch(sub));
        }
        Ok(self.register(account_id, visitor_id))
    }

    fn register(self: &Arc<Self>, account_id: i64, visitor_id: i64) -> Membership {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        add(&mut s.by_visitor, visitor_id, id);
        s.sockets.insert(id, Entry { tx, account_id, visitor_id, client: None, tickets: Vec::new() });
        Membership { id, hub: self.clone(), rx }
    }

    fn leave(&self, id: u64) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).drop_socket(id);
    }

    /// Sockets held on this node.
    pub fn sockets(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).sockets.len()
    }

    async fn dispatch(self: Arc<Self>, mut sub: realtime::Subscription) {
        loop {
            match sub.next().await {
                Next::Event(e) => self.route(e),
                Next::Lagged(_) => {
                    let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                    let ids: Vec<u64> = s.sockets.keys().copied().collect();
                    s.deliver(&ids, || Signal::Resync);
                }
                Next::Closed => {
                    // The node stops: every socket's channel closes.
                    self.state.lock().unwrap_or_else(|p| p.into_inner()).sockets.clear();
                    self.started.store(false, Ordering::SeqCst);
                    return;
                }
            }
        }
    }

    fn route(&self, e: Arc<EventRow>) {
        let Some(ticket) = e.ticket_id else { return };
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match e.kind.as_str() {
            "message.created" => {
                if let Some(ids) = s.by_ticket.get(&ticket).cloned() {
                    s.deliver(&ids, || Signal::Event(e.clone()));
                    return;
                }
                // A visitor's first message, which made their client and ticket.
                if s.by_visitor.is_empty() || !e.payload.contains("\"external_id\":\"v") {
                    return;
                }
                let p: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
                let visitor = p["message"]["external_id"]
                    .as_str()
                    .and_then(|x| x.strip_prefix('v'))
                    .and_then(|x| x.split(':').next())
                    .and_then(|x| x.parse::<i64>().ok());
                let (Some(visitor), Some(client), Some(account)) =
                    (visitor, p["ticket"]["client_id"].as_i64(), p["ticket"]["account_id"].as_i64())
                else {
                    return;
                };
                let ids: Vec<u64> = s.by_visitor.get(&visitor).cloned().unwrap_or_default();
                let ids: Vec<u64> = ids
                    .into_iter()
                    .filter(|id| s.sockets.get(id).is_some_and(|x| x.account_id == account))
                    .collect();
                for id in &ids {
                    s.track_ticket(*id, ticket);
                    if let Some(x) = s.sockets.get_mut(id)
                        && x.client.is_none()
                    {
                        x.client = Some(client);
                        add(&mut s.by_client, client, *id);
                    }
                }
                s.deliver(&ids, || Signal::Event(e.clone()));
            }
            "ticket.created" => {
                if s.by_client.is_empty() {
                    return;
                }
                let p: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
                let (Some(client), Some(account)) =
                    (p["ticket"]["client_id"].as_i64(), p["ticket"]["account_id"].as_i64())
                else {
                    return;
                };
                let ids: Vec<u64> = s.by_client.get(&client).cloned().unwrap_or_default();
                for id in ids {
                    if s.sockets.get(&id).is_some_and(|x| x.account_id == account) {
                        s.track_ticket(id, ticket);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: i64, kind: &str, ticket: i64, payload: serde_json::Value) -> Arc<EventRow> {
        Arc::new(EventRow {
            id,
            org_id: 1,
            kind: kind.into(),
            ticket_id: Some(ticket),
            message_id: None,
            payload: payload.to_string(),
            created_at: 0,
        })
    }

    fn message(id: i64, ticket: i64, client: i64, external: &str) -> Arc<EventRow> {
        event(
            id,
            "message.created",
            ticket,
            json!({"ticket": {"id": ticket, "account_id": 5, "client_id": client}, "message": {"id": id, "external_id": external}}),
        )
    }

    fn ids(m: &mut Membership) -> Vec<i64> {
        let mut out = Vec::new();
        while let Ok(s) = m.rx.try_recv() {
            if let Signal::Event(e) = s {
                out.push(e.id);
            }
        }
        out
    }

    #[test]
    fn sockets_get_only_their_conversation() {
        let hub = Arc::new(Hub::default());
        let mut a = hub.register(5, 1);
        let mut b = hub.register(5, 2);
        let mut known = hub.register(5, 3);
        known.track(Some(70), &[700]);
        // Visitor 1's first message makes client 10 and ticket 100: learnt by its external id.
        hub.route(message(1, 100, 10, "v1:c-1"));
        // Someone else's messages, and an agent's reply on ticket 100.
        hub.route(message(2, 200, 20, "v9:c-1"));
        hub.route(message(3, 100, 10, ""));
        hub.route(message(4, 700, 70, ""));
        // Client 70 gets a new ticket: its ticket.created adds it.
        hub.route(event(
            5,
            "ticket.created",
            701,
            json!({"ticket": {"id": 701, "account_id": 5, "client_id": 70}}),
        ));
        hub.route(message(6, 701, 70, ""));
        // Another account's ticket of the same client id is not theirs.
        hub.route(event(
            7,
            "ticket.created",
            702,
            json!({"ticket": {"id": 702, "account_id": 6, "client_id": 70}}),
        ));
        hub.route(message(8, 702, 70, ""));
        assert_eq!(ids(&mut a), [1, 3]);
        assert_eq!(ids(&mut b), Vec::<i64>::new());
        assert_eq!(ids(&mut known), [4, 6]);
        drop(b);
        assert_eq!(hub.sockets(), 2, "a dropped socket leaves");
    }

    #[test]
    fn a_socket_that_falls_behind_is_dropped() {
        let hub = Arc::new(Hub::default());
        let mut slow = hub.register(5, 1);
        slow.track(Some(10), &[100]);
        for i in 0..(QUEUE as i64 + 10) {
            hub.route(message(i + 1, 100, 10, ""));
        }
        assert_eq!(hub.sockets(), 0, "dropped once its queue was full");
        assert_eq!(ids(&mut slow).len(), QUEUE, "what was queued is still read, then the channel ends");
        assert!(matches!(slow.rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)));
    }
}
