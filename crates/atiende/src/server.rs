//! Wiring: open the database, build the application, start the workers and the
//! HTTP server. The binary and the test harness both start Atiende through here.
use crate::config::Config;
use anyhow::Context;
use atiende_app::App;
use atiende_app::secrets::Sealer;
use atiende_core::time::{Clock, SystemClock};
use atiende_store::{Db, DbOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// Opens (and creates) the configured database and applies the migrations.
pub async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    if cfg.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    }
    let opts = DbOptions {
        max_connections: cfg.db_max_connections,
        sqlite_synchronous_full: cfg.sqlite_synchronous_full,
    };
    let db = Db::connect(&cfg.database_url, &opts)
        .await
        .with_context(|| format!("opening {}", redact(&cfg.database_url)))?;
    db.migrate().await.context("applying migrations")?;
    Ok(db)
}

/// Hides a password in a database URL for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The key sealing secrets at rest: configured, or generated once into the data directory.
pub fn load_sealer(cfg: &Config) -> anyhow::Result<Sealer> {
    if let Some(k) = &cfg.secret_key {
        return Sealer::from_hex(k).map_err(anyhow::Error::msg).context("ATIENDE_SECRET_KEY");
    }
    let path = cfg.data_dir.join("secret.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Sealer::from_hex(&text)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("in {}", path.display()));
    }
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    let key = Sealer::generate_hex().map_err(|e| anyhow::anyhow!("{e}"))?;
    write_private(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated the secret key; back it up with the database");
    Sealer::from_hex(&key).map_err(anyhow::Error::msg)
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path)?.write_all(text.as_bytes())
}

/// A running node.
pub struct Server {
    pub addr: SocketAddr,
    /// The forwarding SMTP listener's address, when enabled.
    pub smtp_addr: Option<SocketAddr>,
    pub app: App,
    shutdown: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

/// Starts a node on `cfg.listen` (port 0 picks a free port).
pub async fn start(cfg: &Config, clock: Option<Arc<dyn Clock>>) -> anyhow::Result<Server> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = open_db(cfg).await?;
    let sealer = load_sealer(cfg)?;
    let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let mut app_cfg = cfg.app.clone();
    if app_cfg.public_url.is_empty() {
        app_cfg.public_url = format!("http://{addr}");
    }
    let app = App::new(db, clock, app_cfg, sealer);
    let (shutdown, rx) = watch::channel(false);
    tokio::spawn(atiende_app::realtime::pump(app.clone(), rx.clone()));
    tokio::spawn(atiende_app::worker::run(app.clone(), rx.clone()));
    tokio::spawn(atiende_app::listeners::run(app.clone(), rx.clone()));
    let smtp_addr = match &cfg.smtp_listen {
        Some(a) => {
            let l =
                tokio::net::TcpListener::bind(a).await.with_context(|| format!("SMTP listener on {a}"))?;
            let bound = l.local_addr()?;
            let settings = atiende_channels::email::smtpd::Settings {
                hostname: app.config.email.forwarding_domain.clone(),
                max_message_bytes: app.config.email.max_message_bytes,
                max_recipients: 100,
                timeout: std::time::Duration::from_secs(300),
            };
            tokio::spawn(atiende_channels::email::smtpd::serve(
                l,
                settings,
                Arc::new(atiende_app::channels::email::Forwarding(app.clone())),
                rx.clone(),
            ));
            tracing::info!(%bound, "SMTP listener for forwarded mail");
            Some(bound)
        }
        None => None,
    };
    let router = atiende_web::router(atiende_web::Web::new(app.clone()));
    let mut stop = rx;
    let handle = tokio::spawn(async move {
        let r = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|v| *v).await;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    });
    Ok(Server { addr, smtp_addr, app, shutdown, handle })
}

impl Server {
    /// Stops accepting requests, lets running ones finish, and stops the workers.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.handle).await;
        self.app.db.close().await;
    }

    /// Runs until SIGINT or SIGTERM.
    pub async fn run_until_signal(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = ctrl_c => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        self.stop().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
