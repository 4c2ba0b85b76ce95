//! `--scenario chat`: web chat sockets held and message delay (issue 13's benchmark).
//!
//! 1. Starts `--chat-connections` visitors and opens their widget sockets; prints the
//!    server's resident memory before and after, per 1,000 sockets.
//! 2. `--chat-senders` of them each send one message a second for `--chat-seconds`, while an
//!    agent answers about `--chat-replies` messages a second on their tickets; prints the
//!    delay visitor → agent's event stream (`message.created` on `/api/v1/events`) and agent
//!    → visitor's socket, p50/p99. Every message carries its send time (microseconds since the
//!    run started, one clock: everything runs on this machine).
use crate::{Args, admin_token, percentile, rss_kib, start_with};
use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

const ORIGIN: &str = "https://bench.example";

struct Shared {
    start: Instant,
    /// visitor → agent and agent → visitor delays.
    inbound: Mutex<Vec<Duration>>,
    outbound: Mutex<Vec<Duration>>,
    /// visitor id → their ticket, learnt from the agent's event stream.
    tickets: Mutex<HashMap<i64, i64>>,
    errors: AtomicUsize,
}

impl Shared {
    fn stamp(&self) -> u128 {
        self.start.elapsed().as_micros()
    }
    /// The delay since the stamp `at:<micros>` in a text.
    fn since(&self, text: &str) -> Option<Duration> {
        let at: u128 = text.split("at:").nth(1)?.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_micros((self.stamp().saturating_sub(at)) as u64))
    }
}

pub async fn run(args: &Args, bin: &PathBuf, dir: &std::path::Path, db_url: &str) -> anyhow::Result<()> {
    let token = admin_token(bin, dir, db_url)?;
    // The flood limits are per visitor and per address; the load here is one machine's.
    let server = start_with(
        bin,
        dir,
        db_url,
        &[("ATIENDE_CHAT_MESSAGES_PER_MINUTE", "600"), ("ATIENDE_CHAT_VISITORS_PER_MINUTE", "1000000")],
    )
    .await?;
    let pid = server.child.id();
    let url = server.url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(128).build()?;
    println!(
        "backend: {}  cores: {}",
        args.backend,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let acc: Value = http
        .post(format!("{url}/api/v1/accounts"))
        .bearer_auth(&token)
        .json(&json!({"kind": "chat", "name": "bench chat", "settings": {"domain": "bench.example"}}))
        .send()
        .await?
        .json()
        .await?;
    let widget = acc["settings"]["token"].as_str().context("widget token")?.to_string();
    let api = format!("{url}/public/v1/chat/{widget}");

    // Visitors.
    let n = args.chat_connections;
    let t0 = Instant::now();
    let visitors: Vec<(i64, String)> = futures_util::stream::iter(0..n)
        .map(|_| {
            let (http, api) = (http.clone(), api.clone());
            async move {
                let b: Value = http
                    .post(format!("{api}/visitors"))
                    .header("origin", ORIGIN)
                    .json(&json!({}))
                    .send()
                    .await?
                    .json()
                    .await?;
                anyhow::Ok((
                    b["visitor_id"].as_i64().context("visitor id")?,
                    b["visitor_token"].as_str().context("visitor token")?.to_string(),
                ))
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    println!("chat: {n} visitors started in {:.1} s", t0.elapsed().as_secs_f64());

    // Sockets.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = rss_kib(pid);
    let shared = Arc::new(Shared {
        start: Instant::now(),
        inbound: Mutex::new(Vec::new()),
        outbound: Mutex::new(Vec::new()),
        tickets: Mutex::new(HashMap::new()),
        errors: AtomicUsize::new(0),
    });
    let ws_base = format!("{}/public/v1/chat/{widget}/ws", url.replace("http://", "ws://"));
    let t0 = Instant::now();
    let sockets: Vec<_> = futures_util::stream::iter(visitors.iter().cloned())
        .map(|(_, vt)| {
            let ws_base = ws_base.clone();
            async move {
                let mut req = format!("{ws_base}?visitor_token={vt}&after=0").into_client_request()?;
                req.headers_mut().insert("origin", ORIGIN.parse()?);
                let (s, _) = tokio_tungstenite::connect_async(req).await?;
                anyhow::Ok(s)
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let open_secs = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (after, _) = rss_kib(pid);
    let added = after.saturating_sub(before) as f64 / 1024.0;
    println!(
        "chat: {n} sockets open in {open_secs:.1} s; server RSS {:.1} → {:.1} MiB: +{added:.1} MiB, {:.2} MiB per 1,000 sockets",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        added * 1000.0 / n.max(1) as f64
    );
    // Every socket reads what reaches it: agents' replies are timed.
    let mut readers = Vec::with_capacity(sockets.len());
    for s in sockets {
        let shared = shared.clone();
        readers.push(tokio::spawn(async move {
            let (mut tx, mut rx) = s.split();
            while let Some(Ok(f)) = rx.next().await {
                if let tungstenite::Message::Text(t) = f {
                    let m: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    if m["author_kind"] == "agent"
                        && let Some(d) = shared.since(m["text"].as_str().unwrap_or(""))
                    {
                        shared.outbound.lock().unwrap_or_else(|p| p.into_inner()).push(d);
                    }
                }
            }
            let _ = tx.close().await;
        }));
    }

    // The agent's event stream: visitors' messages are timed; their tickets noted.
    let stream = {
        let (http, url, token, shared) = (http.clone(), url.clone(), token.clone(), shared.clone());
        let resp = http.get(format!("{url}/api/v1/events")).bearer_auth(&token).send().await?;
        tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
                    let e: Value = serde_json::from_str(data.trim_start()).unwrap_or(Value::Null);
                    if e["kind"] != "message.created" || e["payload"]["message"]["author_kind"] != "client" {
                        continue;
                    }
                    let m = &e["payload"]["message"];
                    if let Some(d) = shared.since(m["text"].as_str().unwrap_or("")) {
                        shared.inbound.lock().unwrap_or_else(|p| p.into_inner()).push(d);
                    }
                    let visitor = m["external_id"]
                        .as_str()
                        .and_then(|x| x.strip_prefix('v'))
                        .and_then(|x| x.split(':').next())
                        .and_then(|x| x.parse::<i64>().ok());
                    if let (Some(v), Some(t)) = (visitor, e["ticket_id"].as_i64()) {
                        shared.tickets.lock().unwrap_or_else(|p| p.into_inner()).insert(v, t);
                    }
                }
            }
        })
    };

    // Load: senders at one message a second each, spread over the second; replies.
    let senders = args.chat_senders.min(visitors.len());
    let secs = args.chat_seconds;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (i, (_, vt)) in visitors.iter().take(senders).cloned().enumerate() {
        let (http, api, shared) = (http.clone(), api.clone(), shared.clone());
        let offset = Duration::from_micros((i as u64 * 1_000_000) / senders.max(1) as u64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            for k in 0..secs {
                tick.tick().await;
                let body = json!({"client_message_id": format!("b{k}"), "text": format!("hola {k} at:{}", shared.stamp())});
                let r = http
                    .post(format!("{api}/messages"))
                    .header("origin", ORIGIN)
                    .bearer_auth(&vt)
                    .json(&body)
                    .send()
                    .await;
                if !r.is_ok_and(|r| r.status() == 202) {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let replier = {
        let (http, url, token, shared) = (http.clone(), url.clone(), token.clone(), shared.clone());
        let per_sec = args.chat_replies.max(1);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / per_sec as u64));
            let mut k = 0usize;
            let end = Instant::now() + Duration::from_secs(secs as u64);
            while Instant::now() < end {
                tick.tick().await;
                let ticket = {
                    let t = shared.tickets.lock().unwrap_or_else(|p| p.into_inner());
                    if t.is_empty() {
                        continue;
                    }
                    *t.values().nth(k % t.len()).unwrap_or(&0)
                };
                k += 1;
                let (http, url, token, shared) = (http.clone(), url.clone(), token.clone(), shared.clone());
                tokio::spawn(async move {
                    let body = json!({"text": format!("respuesta at:{}", shared.stamp())});
                    let r = http
                        .post(format!("{url}/api/v1/tickets/{ticket}/messages"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    if !r.is_ok_and(|r| r.status() == 201) {
                        shared.errors.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        })
    };
    for t in tasks {
        let _ = t.await;
    }
    let _ = replier.await;
    let elapsed = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (now, peak) = rss_kib(pid);
    let report = |label: &str, v: &Mutex<Vec<Duration>>| {
        let mut v = v.lock().unwrap_or_else(|p| p.into_inner()).clone();
        v.sort();
        println!(
            "chat: {label}: {} messages, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            v.len(),
            percentile(&v, 0.5),
            percentile(&v, 0.99),
            v.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        );
    };
    println!(
        "chat: {senders} visitors sending 1 msg/s for {secs} s ({elapsed:.1} s) with {n} sockets open; {} errors",
        shared.errors.load(Ordering::Relaxed)
    );
    report("visitor → agent's event stream", &shared.inbound);
    report("agent → visitor's socket", &shared.outbound);
    println!("  server RSS after: {:.1} MiB (peak {:.1} MiB)", now as f64 / 1024.0, peak as f64 / 1024.0);
    stream.abort();
    for r in readers {
        r.abort();
    }
    drop(server);
    Ok(())
}
