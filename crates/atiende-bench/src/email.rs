//! The email benchmark (issue 4): emails per second into tickets from the raw-MIME
//! endpoint and from a Dovecot mailbox, on the shared corpus (`gen_eml.py`, seed 42),
//! with the server's peak RSS. Dovecot runs on a loopback port (testkit's helper).
use crate::{Args, admin_token, rss_kib, start_with};
use anyhow::{Context, bail};
use atiende_testkit::mail::Dovecot;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn corpus(args: &Args, dir: &std::path::Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let out = dir.join("eml");
    let st = std::process::Command::new("python3")
        .arg(&args.gen_eml)
        .arg(args.emails.to_string())
        .arg(&out)
        .args(["--seed", "42"])
        .stdout(std::process::Stdio::null())
        .status()?;
    if !st.success() {
        bail!("{} failed (give its path with --gen-eml)", args.gen_eml.display());
    }
    let mut files: Vec<_> = std::fs::read_dir(&out)?.flatten().map(|e| e.path()).collect();
    files.sort();
    Ok(files.iter().map(std::fs::read).collect::<Result<_, _>>()?)
}

async fn stored(http: &reqwest::Client, url: &str) -> anyhow::Result<usize> {
    let m = http.get(format!("{url}/metrics")).send().await?.text().await?;
    let line = m
        .lines()
        .find(|l| l.starts_with("atiende_ingest_messages_total{outcome=\"stored\"}"))
        .context("metric")?;
    Ok(line.split_whitespace().last().unwrap_or("0").parse()?)
}

async fn account(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    name: &str,
    settings: Value,
) -> anyhow::Result<i64> {
    let r: Value = http
        .post(format!("{url}/api/v1/accounts"))
        .bearer_auth(token)
        .json(&json!({"kind": "email", "name": name, "settings": settings}))
        .send()
        .await?
        .json()
        .await?;
    r["id"].as_i64().with_context(|| format!("account not created: {r}"))
}

pub async fn run(args: &Args, bin: &PathBuf, dir: &std::path::Path, db_url: &str) -> anyhow::Result<()> {
    let mails = corpus(args, dir)?;
    let bytes: usize = mails.iter().map(Vec::len).sum();
    println!(
        "corpus: {} emails, {:.1} MiB (gen_eml.py seed 42)",
        mails.len(),
        bytes as f64 / (1 << 20) as f64
    );
    let token = admin_token(bin, dir, db_url)?;
    let server = start_with(
        bin,
        dir,
        db_url,
        &[("ATIENDE_EMAIL_IMAP_BATCH", "500"), ("ATIENDE_EMAIL_IMAP_POLL_SECS", "1")],
    )
    .await?;
    let pid = server.child.id();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    println!(
        "backend: {}  cores: {}",
        args.backend,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    println!("RSS at rest: {:.1} MiB", rss_kib(pid).0 as f64 / 1024.0);

    // 1. The raw-MIME endpoint, 16 senders (an MTA delivering in parallel).
    let acc = account(
        &http,
        &server.url,
        &token,
        "raw",
        json!({"address": "support@helpdesk.example", "connection": "forwarding"}),
    )
    .await?;
    let mails = Arc::new(mails);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (http, next, mails, token) = (http.clone(), next.clone(), mails.clone(), token.clone());
        let target = format!("{}/api/v1/accounts/{acc}/inbound/mime", server.url);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = mails.get(i) else { return Ok::<_, anyhow::Error>(()) };
                let r = http
                    .post(&target)
                    .bearer_auth(&token)
                    .header("content-type", "message/rfc822")
                    .body(m.clone())
                    .send()
                    .await?;
                if r.status() != 202 {
                    bail!("message {i}: {}", r.status());
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "raw MIME endpoint: {} emails in {:.2}s = {:.0} emails/s (64 concurrent senders, 202 = committed)",
        mails.len(),
        secs,
        mails.len() as f64 / secs
    );
    let (now, peak) = rss_kib(pid);
    println!("  RSS after: {:.1} MiB (peak {:.1} MiB)", now as f64 / 1024.0, peak as f64 / 1024.0);

    // 2. A Dovecot mailbox of the same corpus, read by an IMAP account.
    let dc = Dovecot::start(&[("bench", "bench-password")]);
    let t1 = Instant::now();
    for chunk in mails.chunks(500) {
        dc.append("bench", "bench-password", chunk).await;
    }
    println!("(mailbox filled by IMAP APPEND in {:.1}s, not counted)", t1.elapsed().as_secs_f64());
    let before = stored(&http, &server.url).await?;
    let t2 = Instant::now();
    account(
        &http,
        &server.url,
        &token,
        "imap",
        json!({"address": "support@helpdesk.example", "connection": "imap",
               "imap": {"host": "127.0.0.1", "port": dc.port, "security": "none", "username": "bench", "password": "bench-password"}}),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let n = stored(&http, &server.url).await? - before;
        if n >= mails.len() {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {n} of {} emails stored from IMAP in 600s", mails.len());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t2.elapsed().as_secs_f64();
    println!(
        "IMAP (Dovecot, batches of 500): {} emails in {:.2}s = {:.0} emails/s (account created → all stored)",
        mails.len(),
        secs,
        mails.len() as f64 / secs
    );
    let (now, peak) = rss_kib(pid);
    println!("  RSS after: {:.1} MiB (peak {:.1} MiB)", now as f64 / 1024.0, peak as f64 / 1024.0);
    Ok(())
}
