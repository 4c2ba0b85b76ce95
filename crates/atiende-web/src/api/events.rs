//! The realtime event stream (Server-Sent Events) of the caller's organization.
//! Each event carries its outbox id; a client that reconnects with
//! `Last-Event-ID` first receives what it missed (within the retention period).
use crate::Web;
use crate::error::ApiResult;
use crate::extract::Auth;
use atiende_core::Role;
use atiende_store::events::{self, EventRow};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::broadcast;

pub fn routes() -> Router<Web> {
    Router::new().route("/events", get(stream))
}

struct Client {
    rx: broadcast::Receiver<Arc<EventRow>>,
    org_id: i64,
    backlog: VecDeque<EventRow>,
    last_id: i64,
    metrics: atiende_app::metrics::Metrics,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.metrics.realtime_clients.fetch_sub(1, Relaxed);
    }
}

fn to_sse(e: &EventRow) -> Event {
    let data = format!(
        "{{\"id\":{},\"kind\":\"{}\",\"ticket_id\":{},\"message_id\":{},\"payload\":{}}}",
        e.id,
        e.kind,
        e.ticket_id.map_or("null".into(), |v| v.to_string()),
        e.message_id.map_or("null".into(), |v| v.to_string()),
        if e.payload.is_empty() { "{}" } else { &e.payload }
    );
    Event::default().id(e.id.to_string()).event(e.kind.clone()).data(data)
}

#[derive(serde::Deserialize)]
pub struct Since {
    since: Option<i64>,
}

/// Streams `ticket.*` and `message.*` events as they are committed, on any node.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, description = "text/event-stream of {id, kind, ticket_id, message_id, payload}")))]
pub async fn stream(
    State(web): State<Web>,
    Auth(actor): Auth,
    headers: HeaderMap,
    Query(q): Query<Since>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = web.app.realtime.subscribe();
    let mut backlog = VecDeque::new();
    let mut last_id = 0;
    // A reconnecting browser sends Last-Event-ID; a page passes `?since=` the last event
    // id it was rendered after, so nothing committed in between is missed.
    let header =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    if let Some(since) = header.or(q.since) {
        backlog.extend(events::after_for_org(&web.app.db, actor.org_id, since, 5000).await?);
        last_id = since;
    }
    web.app.metrics.realtime_clients.fetch_add(1, Relaxed);
    let client = Client { rx, org_id: actor.org_id, backlog, last_id, metrics: web.app.metrics.clone() };
    let s = futures_util::stream::unfold(client, |mut c| async move {
        loop {
            if let Some(e) = c.backlog.pop_front() {
                c.last_id = c.last_id.max(e.id);
                return Some((Ok(to_sse(&e)), c));
            }
            match c.rx.recv().await {
                Ok(e) if e.org_id == c.org_id && e.id > c.last_id => {
                    return Some((Ok(to_sse(&e)), c));
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        skipped = n,
                        "slow event-stream client; it should reconnect with Last-Event-ID"
                    );
                    return Some((Ok(Event::default().event("lagged").data(n.to_string())), c));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
