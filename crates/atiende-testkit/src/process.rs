//! Atiende as a separate process (`atiende serve`), for crash and multi-node tests.
use crate::TestDb;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Node {
    pub child: Child,
    pub url: String,
    pub port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a CLI command of `bin` against `db` and returns its standard output.
pub fn cli(bin: &Path, db: &TestDb, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut c = Command::new(bin)
        .args(["--data-dir", db.dir.to_str().unwrap(), "--database-url", &db.url])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("atiende runs");
    if let Some(s) = stdin {
        c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(c.stdin.take());
    }
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "atiende {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Creates an admin through the CLI and returns a token (the last line of `token create`).
pub fn cli_admin(bin: &Path, db: &TestDb, org: &str, email: &str) -> String {
    cli(
        bin,
        db,
        &["user", "create", "--org", org, "--email", email, "--role", "admin", "--password-stdin"],
        Some("correct horse battery\n"),
    );
    let out = cli(bin, db, &["token", "create", "--email", email], None);
    out.lines().last().unwrap().trim().to_string()
}

impl Node {
    /// Starts `atiende serve` on a free port and waits until `/healthz` answers.
    pub async fn start(bin: &Path, db: &TestDb, env: &[(&str, &str)]) -> Node {
        Self::start_on(bin, db, free_port(), env).await
    }

    pub async fn start_on(bin: &Path, db: &TestDb, port: u16, env: &[(&str, &str)]) -> Node {
        let log: PathBuf = db.dir.join(format!("node-{port}.log"));
        let child = Command::new(bin)
            .args([
                "--data-dir",
                db.dir.to_str().unwrap(),
                "--database-url",
                &db.url,
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .envs(env.iter().copied())
            .env("ATIENDE_OUTBOX_BACKOFF_MS", "50")
            .env("ATIENDE_JOB_POLL_MS", "50")
            .env("ATIENDE_OUTBOUND_ALLOW", "127.0.0.0/8,::1,localhost")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("atiende serve starts");
        let url = format!("http://127.0.0.1:{port}");
        // Owned from here on: a panic below still kills the process.
        let node = Node { child, url, port };
        let http = reqwest::Client::new();
        for _ in 0..400 {
            if let Ok(r) = http.get(format!("{}/healthz", node.url)).send().await
                && r.status() == 200
            {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "node on port {port} did not become healthy; log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
