//! The assignment benchmark (issue 6): decisions per second when a shift starts with
//! `agents` agents and `tickets` queued tickets, and the latency automatic assignment
//! adds to an inbound message.
use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use crate::percentile;

pub struct Api<'a> {
    pub http: &'a reqwest::Client,
    pub url: &'a str,
    pub token: &'a str,
}

impl Api<'_> {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut r = self.http.request(method.clone(), format!("{}{path}", self.url)).bearer_auth(self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {v}");
        }
        Ok(v)
    }

    async fn queue_size(&self, acc: i64) -> anyhow::Result<i64> {
        let q = self.call(reqwest::Method::GET, "/api/v1/assignment/queue", None).await?;
        Ok(q["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["account_id"] == acc)
            .and_then(|i| i["size"].as_i64())
            .unwrap_or(0))
    }
}

/// One event of the stream: its kind, ticket and arrival time.
struct Seen {
    kind: String,
    ticket_id: i64,
    at: Instant,
}

/// Follows the event stream, sending every event with a ticket to `tx`.
async fn watch(
    api: &Api<'_>,
    tx: mpsc::UnboundedSender<Seen>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let events = api.http.get(format!("{}/api/v1/events", api.url)).bearer_auth(api.token).send().await?;
    Ok(tokio::spawn(async move {
        let mut body = events.bytes_stream();
        let mut carry = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            let at = Instant::now();
            carry.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = carry.find("\n\n") {
                let frame: String = carry.drain(..end + 2).collect();
                let data = frame.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim).unwrap_or("");
                if let Ok(v) = serde_json::from_str::<Value>(data)
                    && let (Some(kind), Some(ticket_id)) = (v["kind"].as_str(), v["ticket_id"].as_i64())
                {
                    let _ = tx.send(Seen { kind: kind.to_string(), ticket_id, at });
                }
            }
        }
    }))
}

pub async fn run(api: &Api<'_>, agents: usize, tickets: usize) -> anyhow::Result<()> {
    use reqwest::Method;
    let acc = api
        .call(Method::POST, "/api/v1/accounts", Some(json!({"kind": "api", "name": "assignment bench"})))
        .await?["id"]
        .as_i64()
        .context("account id")?;
    let statuses = api.call(Method::GET, "/api/v1/connection-statuses", None).await?;
    let status = |name: &str| {
        statuses["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == name)
            .and_then(|s| s["id"].as_i64())
    };
    let (available, offline) =
        (status("Available").context("Available status")?, status("Offline").context("Offline status")?);
    // Caps that add up to the queue exactly: the shift start empties it.
    let cap = tickets.div_ceil(agents.max(1)) as i64;
    let mut ids = Vec::with_capacity(agents);
    for i in 0..agents {
        let u = api
            .call(Method::POST, "/api/v1/users", Some(json!({"email": format!("agent{i}@bench.test"), "first_name": format!("Agent {i}"), "roles": ["agent"]})))
            .await?;
        let id = u["id"].as_i64().context("user id")?;
        api.call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"connection_status_id": offline, "max_open_tickets": cap})),
        )
        .await?;
        api.call(Method::PUT, &format!("/api/v1/accounts/{acc}/agents/{id}"), Some(json!({"mode": "auto"})))
            .await?;
        ids.push(id);
    }
    // Everyone offline: every new ticket waits in the queue.
    let t0 = Instant::now();
    flood(api, acc, "q", tickets).await?;
    wait_queue(api, acc, |n| n >= tickets as i64).await?;
    println!(
        "assignment: {tickets} tickets queued with {agents} agents offline in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    // The shift starts: every agent becomes available, as fast as the API takes it.
    let t0 = Instant::now();
    let switched = futures_util::stream::iter(ids.iter().copied())
        .map(|id| async move {
            api.call(
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{id}"),
                Some(json!({"connection_status_id": available})),
            )
            .await
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    for r in switched {
        r?;
    }
    let switched_in = t0.elapsed();
    wait_queue(api, acc, |n| n == 0).await?;
    let drained = t0.elapsed();
    println!(
        "assignment: shift start, {agents} agents available (switched in {:.2}s), {tickets} queued tickets assigned in {:.2}s: {:.0} decisions/s",
        switched_in.as_secs_f64(),
        drained.as_secs_f64(),
        tickets as f64 / drained.as_secs_f64()
    );
    // Fairness under caps: everyone got exactly their cap.
    let mut counts = Vec::with_capacity(ids.len());
    for id in ids.iter().take(20) {
        let page = api
            .call(Method::GET, &format!("/api/v1/tickets?assignee_id={id}&state=open&limit=200"), None)
            .await?;
        counts.push(page["items"].as_array().map_or(0, Vec::len));
    }
    println!(
        "assignment: tickets per agent (first 20 agents, cap {cap}): min {}, max {}",
        counts.iter().min().unwrap_or(&0),
        counts.iter().max().unwrap_or(&0)
    );
    for id in &ids {
        api.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(json!({"max_open_tickets": null})))
            .await?;
    }
    // One bulk change: a second account whose queue fills while no one is enabled on it,
    // then the admin grid enables every agent there in one save — one drain decides it all.
    let acc_b = api
        .call(Method::POST, "/api/v1/accounts", Some(json!({"kind": "api", "name": "assignment bench B"})))
        .await?["id"]
        .as_i64()
        .context("account id")?;
    flood(api, acc_b, "b", tickets).await?;
    wait_queue(api, acc_b, |n| n >= tickets as i64).await?;
    let (cookie, csrf) = crate::web_login(api.http, api.url).await?;
    let mut form = format!("_csrf={csrf}");
    for id in &ids {
        form.push_str(&format!("&m_{id}_{acc_b}=auto"));
    }
    let t0 = Instant::now();
    let r = api
        .http
        .post(format!("{}/admin/assignment", api.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?;
    if !(r.status().is_success() || r.status().is_redirection()) {
        bail!("grid save answered {}", r.status());
    }
    wait_queue(api, acc_b, |n| n == 0).await?;
    let drained = t0.elapsed();
    println!(
        "assignment: one grid save enables {agents} agents on an account with {tickets} queued tickets: all assigned in {:.2}s: {:.0} decisions/s",
        drained.as_secs_f64(),
        tickets as f64 / drained.as_secs_f64()
    );
    // Added latency: one message at a time from a new client, timed to its `message.created`
    // event and to its `ticket.assigned` event, with the agents eligible (caps lifted).
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watcher = watch(api, tx).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    while rx.try_recv().is_ok() {}
    let n = 500;
    let (mut created, mut assigned) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = Instant::now();
        let body = json!({"external_id": format!("l{i}"), "client": {"external_id": format!("latency-{i}"), "name": "Cliente"}, "text": "Hola"});
        let r: Value = api
            .http
            .post(format!("{}/api/v1/accounts/{acc}/inbound", api.url))
            .bearer_auth(api.token)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        let ticket = r["ticket_id"].as_i64().context("ticket id")?;
        let (mut c, mut a) = (None, None);
        let until = Instant::now() + Duration::from_secs(30);
        while c.is_none() || a.is_none() {
            let left = until.saturating_duration_since(Instant::now());
            let Ok(Some(seen)) = tokio::time::timeout(left, rx.recv()).await else {
                bail!("events for ticket {ticket} did not arrive")
            };
            if seen.ticket_id != ticket {
                continue;
            }
            match seen.kind.as_str() {
                "message.created" => c = Some(seen.at - t),
                "ticket.assigned" => a = Some(seen.at - t),
                _ => {}
            }
        }
        created.extend(c);
        assigned.extend(a);
    }
    watcher.abort();
    created.sort();
    assigned.sort();
    println!(
        "assignment: one message at a time, {n} new tickets: message.created p50 {:.2} ms p99 {:.2} ms; ticket.assigned p50 {:.2} ms p99 {:.2} ms (added by assignment: p50 {:.2} ms)",
        percentile(&created, 0.5),
        percentile(&created, 0.99),
        percentile(&assigned, 0.5),
        percentile(&assigned, 0.99),
        percentile(&assigned, 0.5) - percentile(&created, 0.5)
    );
    Ok(())
}

/// Posts `n` messages from `n` new clients, 32 at a time.
async fn flood(api: &Api<'_>, acc: i64, prefix: &str, n: usize) -> anyhow::Result<()> {
    let target = format!("{}/api/v1/accounts/{acc}/inbound", api.url);
    let sent = futures_util::stream::iter(0..n)
        .map(|i| {
            let (http, target) = (api.http.clone(), target.clone());
            let token = api.token.to_string();
            async move {
                let body = json!({"external_id": format!("{prefix}{i}"), "client": {"external_id": format!("{prefix}-client-{i}"), "name": "Cliente"}, "text": "Necesito ayuda"});
                let r = http.post(&target).bearer_auth(&token).json(&body).send().await?;
                if r.status() != 202 {
                    bail!("inbound answered {}", r.status());
                }
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    sent.into_iter().collect()
}

/// Polls the account's queue size until `done` holds (at most five minutes).
async fn wait_queue(api: &Api<'_>, acc: i64, done: impl Fn(i64) -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let n = api.queue_size(acc).await?;
        if done(n) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the queue of account {acc} stayed at {n}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
