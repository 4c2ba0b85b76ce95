//! Test harness. `spawn_app()` starts a real Atiende node (the same wiring as
//! `atiende serve`) on a random loopback port, on a fresh SQLite file or — when
//! `ATIENDE_TEST_BACKEND=postgres` — a fresh database on the machine's PostgreSQL
//! (`ATIENDE_TEST_PG`, default `postgres://postgres@127.0.0.1:5432`), dropped afterwards.
#![forbid(unsafe_code)]
// A test harness: failing loudly on a broken setup is what it is for.
#![allow(clippy::unwrap_used)]

pub mod graph;
pub mod idp;
pub mod mail;
pub mod process;
pub mod sink;
pub mod sse;

use atiende::config::{Config, FileConfig};
use atiende::server::{self, Server};
use atiende_app::users::UserInput;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

pub use sink::WebhookSink;
pub use sse::EventStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend the suite runs on (`ATIENDE_TEST_BACKEND`: sqlite, the default, or postgres).
pub fn backend() -> Backend {
    match std::env::var("ATIENDE_TEST_BACKEND").as_deref() {
        Ok("postgres") | Ok("pg") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn pg_base() -> String {
    std::env::var("ATIENDE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn random_name(prefix: &str) -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).expect("random bytes");
    format!("{prefix}{}", hex::encode(b))
}

/// A throwaway database (and data directory) for one test.
pub struct TestDb {
    pub dir: PathBuf,
    pub url: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        Self::on(backend()).await
    }

    /// A database on a given backend, whatever the suite's default.
    pub async fn on(backend: Backend) -> TestDb {
        // reqwest is built without a default TLS provider: tests' clients need one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = std::env::temp_dir().join(random_name("atiende-test-"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match backend {
            Backend::Sqlite => {
                TestDb { url: format!("sqlite://{}", dir.join("atiende.db").display()), dir, pg_name: None }
            }
            Backend::Postgres => {
                let name = random_name("atiende_test_");
                atiende_store::admin::create_database(&pg_base(), &name)
                    .await
                    .expect("PostgreSQL at ATIENDE_TEST_PG must be reachable to create a database");
                TestDb { url: format!("{}/{name}", pg_base()), dir, pg_name: Some(name) }
            }
        }
    }

    /// The configuration a node on this database gets in tests: fast retries and polling.
    pub fn config(&self) -> Config {
        let f = FileConfig {
            data_dir: Some(self.dir.clone()),
            database_url: Some(self.url.clone()),
            listen: Some("127.0.0.1:0".into()),
            outbox_backoff_ms: Some(50),
            outbox_backoff_max_secs: Some(1),
            job_poll_ms: Some(50),
            db_max_connections: Some(8),
            // The peers of the tests (webhook sinks, Dovecot, SMTP sinks) listen on loopback.
            outbound_allow: Some("127.0.0.0/8,::1,localhost".into()),
            ..Default::default()
        };
        f.resolve().expect("test configuration")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside any runtime guarantee: use a thread with its own.
            let base = pg_base();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(atiende_store::admin::drop_database(&base, &name)).ok()
            })
            .join();
        }
    }
}

/// A running node with an HTTP client and an admin of organization "Acme".
pub struct TestApp {
    pub server: Option<Server>,
    pub url: String,
    pub http: reqwest::Client,
    /// Bearer token of the first admin of "Acme".
    pub token: String,
    pub db: TestDb,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the configuration first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    spawn(change, None).await
}

/// Like [`spawn_app`], on a clock that moves only when the test says so
/// (`clock.advance(micros)`); background work then follows with [`TestApp::drain_jobs`].
pub async fn spawn_app_on_clock(clock: std::sync::Arc<atiende_core::time::ManualClock>) -> TestApp {
    spawn(|_| {}, Some(clock)).await
}

/// Both: a changed configuration on a manual clock.
pub async fn spawn_app_with_clock(
    change: impl FnOnce(&mut Config),
    clock: std::sync::Arc<atiende_core::time::ManualClock>,
) -> TestApp {
    spawn(change, Some(clock)).await
}

async fn spawn(
    change: impl FnOnce(&mut Config),
    clock: Option<std::sync::Arc<atiende_core::time::ManualClock>>,
) -> TestApp {
    let db = TestDb::new().await;
    let mut cfg = db.config();
    change(&mut cfg);
    let clock = clock.map(|c| c as std::sync::Arc<dyn atiende_core::time::Clock>);
    let server = server::start(&cfg, clock).await.expect("server starts");
    let url = format!("http://{}", server.addr);
    let mut t = TestApp { server: Some(server), url, http: reqwest::Client::new(), token: String::new(), db };
    t.token = t.user("Acme", "admin@acme.test", &["admin"]).await;
    t
}

impl TestApp {
    pub fn app(&self) -> &atiende_app::App {
        &self.server.as_ref().expect("running").app
    }

    /// Creates a user (and its organization when new) and returns an API token.
    pub async fn user(&self, org: &str, email: &str, roles: &[&str]) -> String {
        let input = UserInput {
            email: email.into(),
            password: Some("correct horse battery".into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            first_name: email.split('@').next().unwrap_or("").into(),
            ..Default::default()
        };
        let u = atiende_app::users::create_in_org(self.app(), org, &input).await.expect("user created");
        atiende_app::auth::create_token(self.app(), u.id, "test").await.unwrap()
    }

    pub async fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Response {
        let mut r = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, &self.token, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, &self.token, Some(body)).await
    }

    /// GET and parse JSON, asserting 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        let status = r.status();
        let body: Value = r.json().await.expect("json body");
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Creates an `api` account with these settings and returns its id.
    pub async fn api_account(&self, settings: Value) -> i64 {
        let r = self
            .post("/api/v1/accounts", json!({"kind": "api", "name": "Integration", "settings": settings}))
            .await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Creates an `email` account ("Soporte Acme") with these settings and returns its answer.
    pub async fn email_account(&self, settings: Value) -> Value {
        let r = self
            .post("/api/v1/accounts", json!({"kind": "email", "name": "Soporte Acme", "settings": settings}))
            .await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Logs a user in as a browser would: (the session cookie `name=value`, its CSRF token).
    pub async fn session(&self, email: &str) -> (String, String) {
        let r = self
            .http
            .post(format!("{}/auth/login", self.url))
            .json(&json!({"email": email, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "logged in");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        (cookie, csrf)
    }

    /// Posts a raw message to an email account's raw-MIME endpoint; returns (status, body).
    pub async fn mime(&self, account: i64, raw: &[u8]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/accounts/{account}/inbound/mime", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "message/rfc822")
            .body(raw.to_vec())
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Posts an inbound message and returns (status, body).
    pub async fn inbound(&self, account: i64, external_id: &str, client: &str, text: &str) -> (u16, Value) {
        let r = self
            .post(
                &format!("/api/v1/accounts/{account}/inbound"),
                json!({"external_id": external_id, "client": {"external_id": client, "name": client}, "text": text}),
            )
            .await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Runs due background jobs until none is left due (bounded).
    pub async fn drain_jobs(&self) {
        for _ in 0..100 {
            if atiende_app::worker::run_due(self.app()).await == 0 {
                return;
            }
        }
    }

    /// Waits (at most 20 s) until no job of `kind` is left, done by this call or by the
    /// node's own worker.
    pub async fn jobs_done(&self, kind: &str) {
        self.eventually(20, || async {
            self.drain_jobs().await;
            let left = atiende_app::reads::job_depths(self.app()).await;
            (!left.iter().any(|(k, n)| k == kind && *n > 0)).then_some(())
        })
        .await
    }

    /// Polls `check` until it returns Some, for at most `secs` seconds.
    pub async fn eventually<T, F, Fut>(&self, secs: u64, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "condition not met within {secs}s");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }
}
