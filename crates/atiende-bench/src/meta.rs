//! `--scenario meta`: Meta's webhook end to end (issue 14's benchmark). Signed WhatsApp
//! webhooks (one message each, unique `wamid`, 200 clients) are posted to `/webhooks/meta`:
//!
//! 1. as fast as `--meta-connections` connections go for `--meta-seconds`: webhooks answered a
//!    second, and messages on the agent's event stream a second;
//! 2. paced at `--meta-rate` a second for `--meta-seconds`: the acknowledgement's latency
//!    (POST → 200) and the delay to the agent's event stream (`message.created`), p50/p99.
use crate::{Args, admin_token, percentile, start_with};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-meta-app-secret";
const PHONE: &str = "106540352242922";

struct Shared {
    start: Instant,
    seen: AtomicUsize,
    delays: Mutex<Vec<Duration>>,
}

fn body(i: usize, stamp: u128) -> Vec<u8> {
    let from = format!("5691{:07}", i % 200);
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "contacts": [{"profile": {"name": format!("Cliente {}", i % 200)}, "wa_id": from}],
        "messages": [{"from": from, "id": format!("wamid.BENCH{i}"), "timestamp": "1750000000", "type": "text",
            "text": {"body": format!("mensaje {i} at:{stamp}")}}]}}]}]})
    .to_string()
    .into_bytes()
}

pub async fn run(args: &Args, bin: &PathBuf, dir: &std::path::Path, db_url: &str) -> anyhow::Result<()> {
    let token = admin_token(bin, dir, db_url)?;
    let server = start_with(bin, dir, db_url, &[("ATIENDE_META_APP_SECRET", SECRET)]).await?;
    let url = server.url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    println!(
        "backend: {}  cores: {}",
        args.backend,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let r = http
        .post(format!("{url}/api/v1/accounts"))
        .bearer_auth(&token)
        .json(&json!({"kind": "whatsapp", "name": "bench", "settings": {"phone_number_id": PHONE, "access_token": "EAAG-bench-token-0000000001"}}))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "account: {}", r.text().await?);
    let shared =
        Arc::new(Shared { start: Instant::now(), seen: AtomicUsize::new(0), delays: Mutex::new(Vec::new()) });
    // The agent's event stream.
    let resp = http.get(format!("{url}/api/v1/events")).bearer_auth(&token).send().await?;
    {
        let shared = shared.clone();
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
                    shared.seen.fetch_add(1, Ordering::Relaxed);
                    let text = e["payload"]["message"]["text"].as_str().unwrap_or("");
                    if let Some(at) = text.split("at:").nth(1).and_then(|s| s.parse::<u128>().ok()) {
                        let d = Duration::from_micros(
                            shared.start.elapsed().as_micros().saturating_sub(at) as u64
                        );
                        shared.delays.lock().unwrap_or_else(|p| p.into_inner()).push(d);
                    }
                }
            }
        });
    }
    let post = |i: usize, shared: &Shared| {
        let raw = body(i, shared.start.elapsed().as_micros());
        let sig = atiende_testkit::graph::sign(SECRET, &raw);
        http.post(format!("{url}/webhooks/meta")).header("x-hub-signature-256", sig).body(raw).send()
    };
    let secs = args.meta_seconds as u64;

    // 1. Throughput.
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(secs);
    futures_util::stream::iter(0..args.meta_connections)
        .for_each_concurrent(None, |_| {
            let (next, acked, shared) = (next.clone(), acked.clone(), shared.clone());
            let post = &post;
            async move {
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    match post(i, &shared).await {
                        Ok(r) if r.status() == 200 => {
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
            }
        })
        .await;
    let sent = acked.load(Ordering::Relaxed);
    let answered_in = t0.elapsed().as_secs_f64();
    let wait = Instant::now() + Duration::from_secs(120);
    while shared.seen.load(Ordering::Relaxed) < sent && Instant::now() < wait {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all_in = t0.elapsed().as_secs_f64();
    println!(
        "meta throughput: {sent} webhooks answered in {answered_in:.1} s = {:.0}/s ({} connections); all on the agent's stream after {all_in:.1} s = {:.0} msg/s end to end",
        sent as f64 / answered_in,
        args.meta_connections,
        shared.seen.load(Ordering::Relaxed) as f64 / all_in
    );

    // 2. Paced: acknowledgement latency and delay to the stream.
    shared.delays.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let base = next.load(Ordering::Relaxed) + 1_000_000;
    let rate = args.meta_rate.max(1);
    let acks = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let errors = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let total = rate * secs as usize;
    let before = shared.seen.load(Ordering::Relaxed);
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..total {
        let due = t0 + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let (acks, errors, shared) = (acks.clone(), errors.clone(), shared.clone());
        let raw = body(base + k, shared.start.elapsed().as_micros());
        let sig = atiende_testkit::graph::sign(SECRET, &raw);
        let req = http.post(format!("{url}/webhooks/meta")).header("x-hub-signature-256", sig).body(raw);
        tasks.spawn(async move {
            let s = Instant::now();
            match req.send().await {
                Ok(r) if r.status() == 200 => {
                    acks.lock().unwrap_or_else(|p| p.into_inner()).push(s.elapsed())
                }
                _ => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let sent_in = t0.elapsed().as_secs_f64();
    let wait = Instant::now() + Duration::from_secs(120);
    while shared.seen.load(Ordering::Relaxed) < before + total && Instant::now() < wait {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut acks = acks.lock().unwrap_or_else(|p| p.into_inner()).clone();
    acks.sort();
    let mut delays = shared.delays.lock().unwrap_or_else(|p| p.into_inner()).clone();
    delays.sort();
    println!(
        "meta paced: {total} webhooks at {rate}/s sent in {sent_in:.1} s ({} errors); acknowledgement p50 {:.1} ms, p99 {:.1} ms; to the agent's stream p50 {:.1} ms, p99 {:.1} ms ({} seen)",
        errors.load(Ordering::Relaxed),
        percentile(&acks, 0.50),
        percentile(&acks, 0.99),
        percentile(&delays, 0.50),
        percentile(&delays, 0.99),
        delays.len()
    );
    drop(server);
    Ok(())
}
