//! `atiende-bench`: starts an `atiende serve` process on a fresh database, drives
//! it over HTTP on 127.0.0.1 and prints figures. Bounded in count and time.
//!
//!     cargo build --release -p atiende -p atiende-bench
//!     target/release/atiende-bench --backend sqlite
//!     target/release/atiende-bench --backend postgres --tickets 1000000
#![forbid(unsafe_code)]

mod assign;
mod seed;

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// sqlite or postgres
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Base URL of PostgreSQL (a database is created and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pg: String,
    /// The atiende binary (default: next to this one).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Inbound messages per ingest run.
    #[arg(long, default_value_t = 20_000)]
    messages: usize,
    /// Distinct clients the messages come from.
    #[arg(long, default_value_t = 2_000)]
    clients: usize,
    /// Tickets in the database for the list latency figure (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    tickets: usize,
    /// Requests per list latency figure.
    #[arg(long, default_value_t = 2_000)]
    list_requests: usize,
    /// What to measure: all, ingest, assign or lists.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Agents in the assignment benchmark.
    #[arg(long, default_value_t = 200)]
    agents: usize,
    /// Queued tickets in the assignment benchmark.
    #[arg(long, default_value_t = 10_000)]
    queued: usize,
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resident memory split: (anonymous, file-backed) — the latter is SQLite's memory-mapped
/// database file, shared with the page cache, not memory the process allocated.
fn rss_split_kib(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    (field("RssAnon:"), field("RssFile:") + field("RssShmem:"))
}

fn run_cli(bin: &PathBuf, dir: &PathBuf, db: &str, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    use std::io::Write;
    let mut c = Command::new(bin)
        .args(["--data-dir", dir.to_str().unwrap_or("."), "--database-url", db])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(s) = stdin {
        c.stdin.take().context("stdin")?.write_all(s.as_bytes())?;
    }
    drop(c.stdin.take());
    let out = c.wait_with_output()?;
    if !out.status.success() {
        bail!("atiende {args:?} failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    let bin = match &args.bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("atiende"),
    };
    let dir = std::env::temp_dir().join(format!("atiende-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (db_url, pg_name) = match args.backend.as_str() {
        "sqlite" => (format!("sqlite://{}", dir.join("atiende.db").display()), None),
        "postgres" => {
            let name = format!("atiende_bench_{}", std::process::id());
            seed::admin_sql(&format!("{}/postgres", args.pg), &format!("CREATE DATABASE {name}")).await?;
            (format!("{}/{name}", args.pg), Some(name))
        }
        other => bail!("unknown backend {other}"),
    };
    let result = run(&args, &bin, &dir, &db_url).await;
    if let Some(name) = pg_name {
        let _ = seed::admin_sql(&format!("{}/postgres", args.pg), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn start(bin: &PathBuf, dir: &PathBuf, db_url: &str) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(bin)
        .args(["--data-dir", dir.to_str().unwrap_or("."), "--database-url", db_url, "serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("ATIENDE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url };
    for _ in 0..400 {
        if reqwest::get(format!("{}/healthz", server.url)).await.is_ok_and(|r| r.status() == 200) {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("server did not start")
}

async fn run(args: &Args, bin: &PathBuf, dir: &PathBuf, db_url: &str) -> anyhow::Result<()> {
    run_cli(bin, dir, db_url, &["user", "create", "--org", "Bench", "--email", "bench@example.com", "--role", "admin", "--password-stdin"], Some("bench password\n"))?;
    let token = run_cli(bin, dir, db_url, &["token", "create", "--email", "bench@example.com"], None)?.lines().last().unwrap_or("").trim().to_string();
    let server = start(bin, dir, db_url).await?;
    let pid = server.child.id();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rest, _) = rss_kib(pid);
    println!("backend: {}  cores: {}", args.backend, std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("RSS at rest: {:.1} MiB", rest as f64 / 1024.0);
    let acc: Value = http
        .post(format!("{}/api/v1/accounts", server.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "api", "name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let acc = acc["id"].as_i64().context("account id")?;
    let wants = |s: &str| args.scenario == "all" || args.scenario == s;
    if !["all", "ingest", "assign", "lists"].contains(&args.scenario.as_str()) {
        bail!("--scenario is one of all, ingest, assign, lists");
    }
    if wants("ingest") {
        for (run, conc) in [1usize, 32].into_iter().enumerate() {
            let n = if conc == 1 { args.messages / 4 } else { args.messages };
            ingest(&http, &server.url, &token, acc, run, n, conc, args.clients).await?;
            let (now, peak) = rss_kib(pid);
            println!("  RSS after: {:.1} MiB (peak {:.1} MiB)", now as f64 / 1024.0, peak as f64 / 1024.0);
        }
    }
    if wants("assign") {
        assign::run(&assign::Api { http: &http, url: &server.url, token: &token }, args.agents, args.queued).await?;
        let (now, peak) = rss_kib(pid);
        println!("  RSS after: {:.1} MiB (peak {:.1} MiB)", now as f64 / 1024.0, peak as f64 / 1024.0);
    }
    drop(server);
    if wants("lists") && args.tickets > 0 {
        let t0 = Instant::now();
        seed::tickets(db_url, args.tickets).await?;
        println!("seeded {} tickets in {:.1}s", args.tickets, t0.elapsed().as_secs_f64());
        let server = start(bin, dir, db_url).await?;
        for (label, q) in [
            ("newest 50, all states", "limit=50".to_string()),
            ("newest 50 open", "state=open&limit=50".to_string()),
            ("unassigned open", "state=open&assignee_id=none&limit=50".to_string()),
        ] {
            list_latency(&http, &server.url, &token, label, &q, args.list_requests).await?;
        }
        deep_page_latency(&http, &server.url, &token, args.list_requests / 10).await?;
        board_latency(&http, &server.url, args.list_requests / 4).await?;
        let (now, peak) = rss_kib(server.child.id());
        let (anon, file) = rss_split_kib(server.child.id());
        println!(
            "RSS after list load: {:.1} MiB (peak {:.1} MiB; anonymous {:.1} MiB, file-backed {:.1} MiB)",
            now as f64 / 1024.0,
            peak as f64 / 1024.0,
            anon as f64 / 1024.0,
            file as f64 / 1024.0
        );
    }
    Ok(())
}

/// Posts `n` messages with `conc` concurrent senders and waits until the event
/// stream has announced every one: posted → committed → ticket → event emitted.
#[allow(clippy::too_many_arguments)]
async fn ingest(http: &reqwest::Client, url: &str, token: &str, acc: i64, run: usize, n: usize, conc: usize, clients: usize) -> anyhow::Result<()> {
    let events = http.get(format!("{url}/api/v1/events")).bearer_auth(token).send().await?;
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    let watcher = tokio::spawn(async move {
        let mut body = events.bytes_stream();
        let mut carry = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            carry.extend_from_slice(&chunk);
            // Count only complete frames; keep the partial one for the next chunk.
            let Some(end) = carry.windows(2).rposition(|w| w == b"\n\n") else { continue };
            let done: Vec<u8> = carry.drain(..end + 2).collect();
            let count = String::from_utf8_lossy(&done).matches("event: message.created\n").count();
            seen2.fetch_add(count, Ordering::Relaxed);
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (http, next, token) = (http.clone(), next.clone(), token.to_string());
        let target = format!("{url}/api/v1/accounts/{acc}/inbound");
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let body = json!({
                    "external_id": format!("r{run}-m{i}"),
                    "client": {"external_id": format!("client-{}", i % clients), "name": "Cliente"},
                    "text": "Hola, tengo un problema con mi pedido número 12345, ¿me pueden ayudar?"
                });
                let t = Instant::now();
                let r = http.post(&target).bearer_auth(&token).json(&body).send().await?;
                if r.status() != 202 {
                    bail!("inbound answered {}", r.status());
                }
                lat.push(t.elapsed());
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let acked = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let all = start.elapsed();
    watcher.abort();
    lat.sort();
    println!(
        "ingest, {conc} sender(s), {n} messages: {:.0} msg/s acknowledged, {:.0} msg/s end to end (events {}/{}); POST p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / acked.as_secs_f64(),
        n as f64 / all.as_secs_f64(),
        seen.load(Ordering::Relaxed),
        n,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    Ok(())
}

async fn list_latency(http: &reqwest::Client, url: &str, token: &str, label: &str, query: &str, n: usize) -> anyhow::Result<()> {
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = http.get(format!("{url}/api/v1/tickets?{query}")).bearer_auth(token).send().await?;
        if r.status() != 200 {
            bail!("list answered {}", r.status());
        }
        let _ = r.bytes().await?;
        lat.push(t.elapsed());
    }
    lat.sort();
    println!("ticket list ({label}): p50 {:.2} ms, p99 {:.2} ms over {n} requests", percentile(&lat, 0.5), percentile(&lat, 0.99));
    Ok(())
}

/// Follows cursors 20 pages deep, timing each page.
async fn deep_page_latency(http: &reqwest::Client, url: &str, token: &str, walks: usize) -> anyhow::Result<()> {
    let mut lat = Vec::new();
    for _ in 0..walks.max(1) {
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let q = match &cursor {
                Some(c) => format!("limit=50&cursor={c}"),
                None => "limit=50".into(),
            };
            let t = Instant::now();
            let v: Value = http.get(format!("{url}/api/v1/tickets?{q}")).bearer_auth(token).send().await?.json().await?;
            lat.push(t.elapsed());
            cursor = v["next_cursor"].as_str().map(str::to_string);
        }
    }
    lat.sort();
    println!("ticket list (cursor pages 1-20): p50 {:.2} ms, p99 {:.2} ms over {} requests", percentile(&lat, 0.5), percentile(&lat, 0.99), lat.len());
    Ok(())
}

/// The web board with the three recommended team columns over the seeded tickets: the whole
/// page (three columns of 50 cards with their counts) and one column's live-refresh fragment.
/// Logs the bench admin in to the web application: (session cookie, CSRF token).
pub(crate) async fn web_login(http: &reqwest::Client, url: &str) -> anyhow::Result<(String, String)> {
    let r = http.post(format!("{url}/auth/login")).json(&json!({"email": "bench@example.com", "password": "bench password"})).send().await?;
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("session cookie")?
        .to_string();
    let csrf = r.json::<Value>().await?["csrf_token"].as_str().context("csrf")?.to_string();
    Ok((cookie, csrf))
}

async fn board_latency(http: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<()> {
    let (cookie, csrf) = web_login(http, url).await?;
    let r = http
        .post(format!("{url}/board/flow"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&flow=team"))
        .send()
        .await?;
    if !(r.status().is_success() || r.status().is_redirection()) {
        bail!("board flow answered {}", r.status());
    }
    let mut page = Vec::with_capacity(n);
    let mut column = Vec::with_capacity(n);
    let mut first_column = None;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let html = http.get(format!("{url}/")).header("cookie", &cookie).send().await?.text().await?;
        page.push(t.elapsed());
        if first_column.is_none() {
            first_column = html.split("data-column-id=\"").nth(1).and_then(|s| s.split('"').next()).map(str::to_string);
            let cards = html.matches("data-ticket-id=").count();
            println!("board: {cards} cards rendered in 3 columns");
        }
        let id = first_column.as_deref().context("a column on the board")?;
        let t = Instant::now();
        let r = http.get(format!("{url}/board/columns/{id}?limit=50")).header("cookie", &cookie).send().await?;
        if r.status() != 200 {
            bail!("column fragment answered {}", r.status());
        }
        let _ = r.bytes().await?;
        column.push(t.elapsed());
    }
    page.sort();
    column.sort();
    println!("board page (3 columns): p50 {:.2} ms, p99 {:.2} ms over {} requests", percentile(&page, 0.5), percentile(&page, 0.99), page.len());
    println!("board column refresh: p50 {:.2} ms, p99 {:.2} ms over {} requests", percentile(&column, 0.5), percentile(&column, 0.99), column.len());
    Ok(())
}
