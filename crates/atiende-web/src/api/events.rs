//! The realtime event stream (Server-Sent Events) of the caller's organization.
//! Each event carries its outbox id; a client that reconnects with
//! `Last-Event-ID` first receives what it missed (within the retention period).
use crate::Web;
use crate::error::ApiResult;
use crate::extract::Auth;
use atiende_app::realtime::{self, Next, Scope, Subscription};
use atiende_core::Role;
use atiende_store::events::EventRow;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

pub fn routes() -> Router<Web> {
    Router::new().route("/events", get(stream))
}

/// An open stream: counted in the metrics while it lives.
struct Client {
    sub: Subscription,
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
    // A reconnecting browser sends Last-Event-ID; a page passes `?since=` the last event
    // id it was rendered after, so nothing committed in between is missed.
    let header =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    let sub = realtime::subscribe(&web.app, Scope::Organization(actor.org_id), header.or(q.since)).await?;
    web.app.metrics.realtime_clients.fetch_add(1, Relaxed);
    let client = Client { sub, metrics: web.app.metrics.clone() };
    let s = futures_util::stream::unfold(client, |mut c| async move {
        match c.sub.next().await {
            Next::Event(e) => Some((Ok(to_sse(&e)), c)),
            Next::Lagged(n) => {
                tracing::warn!(
                    skipped = n,
                    "slow event-stream client; it should reconnect with Last-Event-ID"
                );
                Some((Ok(Event::default().event("lagged").data(n.to_string())), c))
            }
            Next::Closed => None,
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
