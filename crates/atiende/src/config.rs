//! Configuration: defaults, then a TOML file (`--config` / `ATIENDE_CONFIG`), then
//! `ATIENDE_*` environment variables, then command-line flags. `atiende config
//! example` prints an annotated file with every setting.
use anyhow::{Context, bail};
use atiende_app::AppConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every setting, all optional in the file and the environment.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub secret_key: Option<String>,
    pub node_id: Option<String>,
    pub log: Option<String>,
    pub db_max_connections: Option<u32>,
    pub sqlite_synchronous: Option<String>,
    pub ingest_batch_max: Option<usize>,
    pub ingest_writers: Option<usize>,
    pub outbox_backoff_ms: Option<u64>,
    pub outbox_backoff_max_secs: Option<u64>,
    pub outbox_max_attempts: Option<i64>,
    pub job_lease_secs: Option<u64>,
    pub job_poll_ms: Option<u64>,
    pub job_concurrency: Option<usize>,
    pub webhook_timeout_secs: Option<u64>,
    pub event_retention_hours: Option<u64>,
    pub session_ttl_hours: Option<u64>,
    pub login_max_failures: Option<u32>,
    pub login_window_secs: Option<u64>,
    pub auth_cache_ms: Option<u64>,
    pub public_url: Option<String>,
    pub queue_ageing_secs: Option<u64>,
    pub outbound_allow: Option<String>,
    pub trusted_proxies: Option<String>,
    pub chat_messages_per_minute: Option<u32>,
    pub chat_visitors_per_minute: Option<u32>,
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<String>,
    pub google_issuer: Option<String>,
    pub google_authorization_url: Option<String>,
    pub google_token_url: Option<String>,
    pub google_jwks_url: Option<String>,
    pub facebook_app_id: Option<String>,
    pub facebook_app_secret: Option<String>,
    pub facebook_issuer: Option<String>,
    pub facebook_authorization_url: Option<String>,
    pub facebook_token_url: Option<String>,
    pub facebook_jwks_url: Option<String>,
    pub meta_graph_version: Option<String>,
    pub meta_app_secret: Option<String>,
    pub meta_verify_token: Option<String>,
    pub meta_graph_url: Option<String>,
    pub email_relay_host: Option<String>,
    pub email_relay_port: Option<u16>,
    pub email_relay_security: Option<String>,
    pub email_relay_username: Option<String>,
    pub email_relay_password: Option<String>,
    pub email_from: Option<String>,
    pub email_forwarding_domain: Option<String>,
    pub email_smtp_listen: Option<String>,
    pub email_max_attachment_bytes: Option<usize>,
    pub email_max_message_bytes: Option<usize>,
    pub email_imap_poll_secs: Option<u64>,
    pub email_timeout_secs: Option<u64>,
    pub email_imap_batch: Option<usize>,
    pub email_reconnect_max_secs: Option<u64>,
    pub email_extra_ca_file: Option<PathBuf>,
}

pub const EXAMPLE: &str = r#"# Atiende configuration. Every setting is optional; the environment variable
# ATIENDE_<NAME in capitals> overrides the file (DATABASE_URL for database_url).

# Where the SQLite database and the generated secret key live.
# data_dir = "./atiende-data"
# postgres://user@host/db to run on PostgreSQL; default: SQLite in data_dir.
# database_url = "sqlite://./atiende-data/atiende.db"
# Address to listen on. Keep it on loopback behind a reverse proxy.
# listen = "127.0.0.1:8080"
# 64 hex digits sealing account secrets at rest. Default: generated once into
# data_dir/secret.key. Several nodes must share the same key.
# secret_key = "…"
# Name of this node in job leases and logs (default: node-<pid>).
# node_id = "node-a"
# Log filter (tracing EnvFilter syntax).
# log = "info"
# Database connections per node.
# db_max_connections = 16
# SQLite durability: "full" survives power loss, "normal" only process crashes.
# sqlite_synchronous = "full"
# Most inbound messages per ingest transaction (group commit).
# ingest_batch_max = 512
# Parallel ingest writers on PostgreSQL (SQLite always uses one).
# ingest_writers = 4
# Outbound delivery: first retry delay, longest delay, attempts before "failed".
# outbox_backoff_ms = 2000
# outbox_backoff_max_secs = 600
# outbox_max_attempts = 12
# How long a node holds a claimed job before another may take it over.
# job_lease_secs = 60
# How often idle workers look for due jobs, and how many run at once per node.
# job_poll_ms = 500
# job_concurrency = 16
# Timeout of one outbound HTTP call.
# webhook_timeout_secs = 10
# Realtime events kept for reconnecting clients.
# event_retention_hours = 168
# Web session lifetime.
# session_ttl_hours = 336
# Failed logins allowed per client address and per email within the window.
# login_max_failures = 10
# login_window_secs = 900
# How long a node trusts a cached API token or account before reading it again
# (0 disables). Changes made on another node apply within this time.
# auth_cache_ms = 2000
# The address people use to reach Atiende, for links in emails (password reset).
# Default: http:// and the listening address.
# public_url = "https://help.example.com"
# A ticket waiting for an agent in the assignment queue rises one priority level
# per this many seconds, so that none is left behind.
# queue_ageing_secs = 3600
# Outbound connections (webhooks, platform APIs, tenants' IMAP/SMTP hosts) refuse
# loopback, private, link-local and unspecified addresses. Allow some anyway:
# comma-separated CIDRs, addresses or host names (on-premise targets, tests).
# outbound_allow = "10.20.0.0/16,mail.internal"
# Reverse proxies (CIDRs or addresses) whose X-Forwarded-For names the client: the
# login limit then counts per real client, not per proxy.
# trusted_proxies = "127.0.0.1,::1"
# Web chat: messages one visitor may send a minute, visitors one address may start a minute.
# chat_messages_per_minute = 30
# chat_visitors_per_minute = 20
# Web chat visitors may log in with Google and Facebook (OpenID Connect) when the account
# turns it on and the deployment has a client at the provider, registered with the redirect
# address {public_url}/public/v1/chat/login/callback. The endpoints default to the
# providers' own; change them only for a proxy or a test double.
# google_client_id = "1234-abc.apps.googleusercontent.com"
# google_client_secret = "…"
# google_issuer = "https://accounts.google.com"
# google_authorization_url = "https://accounts.google.com/o/oauth2/v2/auth"
# google_token_url = "https://oauth2.googleapis.com/token"
# google_jwks_url = "https://www.googleapis.com/oauth2/v3/certs"
# facebook_app_id = "1234567890"
# facebook_app_secret = "…"
# facebook_issuer = "https://www.facebook.com"
# facebook_authorization_url = "https://www.facebook.com/v24.0/dialog/oauth"
# facebook_token_url = "https://graph.facebook.com/v24.0/oauth/access_token"
# facebook_jwks_url = "https://www.facebook.com/.well-known/oauth/openid/jwks/"

# --- Meta (WhatsApp, Messenger, Instagram) ------------------------------------
# The Meta app whose webhooks come to {public_url}/webhooks/meta: its app secret (every
# webhook is checked against it; empty: they are refused) and the verify token typed in
# the app's webhook settings.
# meta_app_secret = "…"
# meta_verify_token = "…"
# The Graph API (a proxy or a test double may stand in) and its version.
# meta_graph_url = "https://graph.facebook.com"
# meta_graph_version = "v24.0"

# --- Email -----------------------------------------------------------------
# The default sender: SMTP relay used by email accounts whose sending method is
# "default", and for system mail (forwarding validation, ticket notifications,
# password resets). Empty host: no default sender.
# email_relay_host = "smtp.example.com"
# email_relay_port = 587            # default: 25, 587 with starttls, 465 with tls
# email_relay_security = "starttls" # none | starttls | tls
# email_relay_username = "atiende"
# email_relay_password = "…"
# The default sender's address (the account's name is shown as the sender name,
# and replies go to the account's address through Reply-To).
# email_from = "noreply@example.com"
# Domain of the generated forwarding addresses (its MX must point at this server's
# SMTP listener, or at an MTA that pipes mail to the raw-MIME endpoint).
# email_forwarding_domain = "inbound.example.com"
# Address of the built-in SMTP listener for forwarded mail. Off by default.
# email_smtp_listen = "127.0.0.1:2525"
# Largest attachment kept (bigger ones are listed without their content), and the
# largest whole message accepted.
# email_max_attachment_bytes = 10485760
# email_max_message_bytes = 36700160
# How long an IMAP reader waits for news (IDLE, or between polls) before looking again.
# email_imap_poll_secs = 60
# Timeout of one IMAP or SMTP exchange.
# email_timeout_secs = 30
# Messages fetched per IMAP round (each round is stored before the next).
# email_imap_batch = 200
# Longest wait between reconnection attempts to a failing mail server.
# email_reconnect_max_secs = 300
# PEM file of extra CA certificates trusted for IMAP and SMTP servers.
# email_extra_ca_file = "/etc/atiende/mail-ca.pem"
"#;

/// The resolved configuration of one process.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: String,
    pub secret_key: Option<String>,
    pub log: String,
    pub db_max_connections: u32,
    pub sqlite_synchronous_full: bool,
    /// Where the forwarding SMTP listener accepts mail (off when `None`).
    pub smtp_listen: Option<String>,
    pub app: AppConfig,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match env_var(name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| anyhow::anyhow!("{name}: cannot parse {v:?}")),
    }
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Overrides from the environment.
    pub fn apply_env(&mut self) -> anyhow::Result<()> {
        macro_rules! env {
            ($field:ident, $name:literal) => {
                if let Some(v) = env_parse($name)? {
                    self.$field = Some(v);
                }
            };
        }
        env!(data_dir, "ATIENDE_DATA_DIR");
        env!(database_url, "DATABASE_URL");
        env!(database_url, "ATIENDE_DATABASE_URL");
        env!(listen, "ATIENDE_LISTEN");
        env!(secret_key, "ATIENDE_SECRET_KEY");
        env!(node_id, "ATIENDE_NODE_ID");
        env!(log, "ATIENDE_LOG");
        env!(db_max_connections, "ATIENDE_DB_MAX_CONNECTIONS");
        env!(sqlite_synchronous, "ATIENDE_SQLITE_SYNCHRONOUS");
        env!(ingest_batch_max, "ATIENDE_INGEST_BATCH_MAX");
        env!(ingest_writers, "ATIENDE_INGEST_WRITERS");
        env!(outbox_backoff_ms, "ATIENDE_OUTBOX_BACKOFF_MS");
        env!(outbox_backoff_max_secs, "ATIENDE_OUTBOX_BACKOFF_MAX_SECS");
        env!(outbox_max_attempts, "ATIENDE_OUTBOX_MAX_ATTEMPTS");
        env!(job_lease_secs, "ATIENDE_JOB_LEASE_SECS");
        env!(job_poll_ms, "ATIENDE_JOB_POLL_MS");
        env!(job_concurrency, "ATIENDE_JOB_CONCURRENCY");
        env!(webhook_timeout_secs, "ATIENDE_WEBHOOK_TIMEOUT_SECS");
        env!(event_retention_hours, "ATIENDE_EVENT_RETENTION_HOURS");
        env!(session_ttl_hours, "ATIENDE_SESSION_TTL_HOURS");
        env!(login_max_failures, "ATIENDE_LOGIN_MAX_FAILURES");
        env!(login_window_secs, "ATIENDE_LOGIN_WINDOW_SECS");
        env!(auth_cache_ms, "ATIENDE_AUTH_CACHE_MS");
        env!(public_url, "ATIENDE_PUBLIC_URL");
        env!(queue_ageing_secs, "ATIENDE_QUEUE_AGEING_SECS");
        env!(outbound_allow, "ATIENDE_OUTBOUND_ALLOW");
        env!(trusted_proxies, "ATIENDE_TRUSTED_PROXIES");
        env!(chat_messages_per_minute, "ATIENDE_CHAT_MESSAGES_PER_MINUTE");
        env!(chat_visitors_per_minute, "ATIENDE_CHAT_VISITORS_PER_MINUTE");
        env!(google_client_id, "ATIENDE_GOOGLE_CLIENT_ID");
        env!(google_client_secret, "ATIENDE_GOOGLE_CLIENT_SECRET");
        env!(google_issuer, "ATIENDE_GOOGLE_ISSUER");
        env!(google_authorization_url, "ATIENDE_GOOGLE_AUTHORIZATION_URL");
        env!(google_token_url, "ATIENDE_GOOGLE_TOKEN_URL");
        env!(google_jwks_url, "ATIENDE_GOOGLE_JWKS_URL");
        env!(facebook_app_id, "ATIENDE_FACEBOOK_APP_ID");
        env!(facebook_app_secret, "ATIENDE_FACEBOOK_APP_SECRET");
        env!(facebook_issuer, "ATIENDE_FACEBOOK_ISSUER");
        env!(facebook_authorization_url, "ATIENDE_FACEBOOK_AUTHORIZATION_URL");
        env!(facebook_token_url, "ATIENDE_FACEBOOK_TOKEN_URL");
        env!(facebook_jwks_url, "ATIENDE_FACEBOOK_JWKS_URL");
        env!(meta_graph_version, "ATIENDE_META_GRAPH_VERSION");
        env!(meta_app_secret, "ATIENDE_META_APP_SECRET");
        env!(meta_verify_token, "ATIENDE_META_VERIFY_TOKEN");
        env!(meta_graph_url, "ATIENDE_META_GRAPH_URL");
        env!(email_relay_host, "ATIENDE_EMAIL_RELAY_HOST");
        env!(email_relay_port, "ATIENDE_EMAIL_RELAY_PORT");
        env!(email_relay_security, "ATIENDE_EMAIL_RELAY_SECURITY");
        env!(email_relay_username, "ATIENDE_EMAIL_RELAY_USERNAME");
        env!(email_relay_password, "ATIENDE_EMAIL_RELAY_PASSWORD");
        env!(email_from, "ATIENDE_EMAIL_FROM");
        env!(email_forwarding_domain, "ATIENDE_EMAIL_FORWARDING_DOMAIN");
        env!(email_smtp_listen, "ATIENDE_EMAIL_SMTP_LISTEN");
        env!(email_max_attachment_bytes, "ATIENDE_EMAIL_MAX_ATTACHMENT_BYTES");
        env!(email_max_message_bytes, "ATIENDE_EMAIL_MAX_MESSAGE_BYTES");
        env!(email_imap_poll_secs, "ATIENDE_EMAIL_IMAP_POLL_SECS");
        env!(email_timeout_secs, "ATIENDE_EMAIL_TIMEOUT_SECS");
        env!(email_imap_batch, "ATIENDE_EMAIL_IMAP_BATCH");
        env!(email_reconnect_max_secs, "ATIENDE_EMAIL_RECONNECT_MAX_SECS");
        env!(email_extra_ca_file, "ATIENDE_EMAIL_EXTRA_CA_FILE");
        Ok(())
    }

    /// Fills defaults and checks values.
    pub fn resolve(self) -> anyhow::Result<Config> {
        let data_dir = self.data_dir.unwrap_or_else(|| PathBuf::from("./atiende-data"));
        let database_url = match self.database_url {
            Some(u) => u,
            None => format!("sqlite://{}", data_dir.join("atiende.db").display()),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("database_url must start with sqlite:, postgres:// or postgresql://");
        }
        let sqlite_synchronous_full = match self.sqlite_synchronous.as_deref().unwrap_or("full") {
            "full" => true,
            "normal" => false,
            other => bail!("sqlite_synchronous must be full or normal, not {other:?}"),
        };
        let d = AppConfig::default();
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        let app = AppConfig {
            node_id: self.node_id.unwrap_or(d.node_id),
            outbox_backoff: self.outbox_backoff_ms.map(ms).unwrap_or(d.outbox_backoff),
            outbox_backoff_max: self.outbox_backoff_max_secs.map(secs).unwrap_or(d.outbox_backoff_max),
            outbox_max_attempts: self.outbox_max_attempts.unwrap_or(d.outbox_max_attempts).max(1),
            job_lease: self.job_lease_secs.map(secs).unwrap_or(d.job_lease),
            job_poll_interval: self.job_poll_ms.map(ms).unwrap_or(d.job_poll_interval),
            job_concurrency: self.job_concurrency.unwrap_or(d.job_concurrency).max(1),
            webhook_timeout: self.webhook_timeout_secs.map(secs).unwrap_or(d.webhook_timeout),
            ingest_batch_max: self
                .ingest_batch_max
                .unwrap_or(d.ingest_batch_max)
                .clamp(1, atiende_store::ingest::MAX_BATCH),
            ingest_writers: self.ingest_writers.unwrap_or(4).clamp(1, 64),
            event_retention: self.event_retention_hours.map(|h| secs(h * 3600)).unwrap_or(d.event_retention),
            session_ttl: self.session_ttl_hours.map(|h| secs(h * 3600)).unwrap_or(d.session_ttl),
            login_max_failures: self.login_max_failures.unwrap_or(d.login_max_failures).max(1),
            login_window: self.login_window_secs.map(secs).unwrap_or(d.login_window),
            auth_cache_ttl: self.auth_cache_ms.map(ms).unwrap_or(d.auth_cache_ttl),
            public_url: self.public_url.unwrap_or_default().trim_end_matches('/').to_string(),
            queue_ageing: self.queue_ageing_secs.map(|s| secs(s.max(1))).unwrap_or(d.queue_ageing),
            outbound: match &self.outbound_allow {
                Some(text) => atiende_channels::outbound::Policy::parse(text)
                    .map_err(|e| anyhow::anyhow!("outbound_allow: {e}"))?,
                None => d.outbound,
            },
            trusted_proxies: match &self.trusted_proxies {
                Some(text) => atiende_channels::outbound::Policy::parse(text)
                    .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?,
                None => d.trusted_proxies,
            },
            chat_messages_per_minute: self
                .chat_messages_per_minute
                .unwrap_or(d.chat_messages_per_minute)
                .max(1),
            chat_visitors_per_minute: self
                .chat_visitors_per_minute
                .unwrap_or(d.chat_visitors_per_minute)
                .max(1),
            chat_login: {
                use atiende_channels::chat::oidc::Provider;
                let graph_version = self.meta_graph_version.clone().unwrap_or_else(|| "v24.0".into());
                let mut out = atiende_app::config::ChatLogin::default();
                let endpoints = |mut p: Provider,
                                 iss: &Option<String>,
                                 a: &Option<String>,
                                 t: &Option<String>,
                                 j: &Option<String>| {
                    for (field, value) in [
                        (&mut p.issuer, iss),
                        (&mut p.authorization_url, a),
                        (&mut p.token_url, t),
                        (&mut p.jwks_url, j),
                    ] {
                        if let Some(v) = value {
                            *field = v.trim().to_string();
                        }
                    }
                    p
                };
                if let (Some(id), Some(secret)) = (&self.google_client_id, &self.google_client_secret) {
                    out.google = Some(endpoints(
                        Provider::google(id.trim(), secret.trim()),
                        &self.google_issuer,
                        &self.google_authorization_url,
                        &self.google_token_url,
                        &self.google_jwks_url,
                    ));
                }
                if let (Some(id), Some(secret)) = (&self.facebook_app_id, &self.facebook_app_secret) {
                    out.facebook = Some(endpoints(
                        Provider::facebook(id.trim(), secret.trim(), &graph_version),
                        &self.facebook_issuer,
                        &self.facebook_authorization_url,
                        &self.facebook_token_url,
                        &self.facebook_jwks_url,
                    ));
                }
                for p in out.google.iter().chain(out.facebook.iter()) {
                    for u in [&p.authorization_url, &p.token_url, &p.jwks_url] {
                        if !(u.starts_with("https://") || u.starts_with("http://")) {
                            bail!("the identity provider's endpoint {u:?} must be an http(s) address");
                        }
                    }
                }
                out
            },
            meta: {
                let m = d.meta;
                let url =
                    self.meta_graph_url.clone().unwrap_or(m.graph.url).trim_end_matches('/').to_string();
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    bail!("meta_graph_url must be an http(s) address, not {url:?}");
                }
                let version = self.meta_graph_version.clone().unwrap_or(m.graph.version);
                if !version.starts_with('v') || version.len() > 10 {
                    bail!("meta_graph_version must be like v24.0, not {version:?}");
                }
                atiende_app::config::MetaConfig {
                    app_secret: self.meta_app_secret.clone().unwrap_or_default(),
                    verify_token: self.meta_verify_token.clone().unwrap_or_default(),
                    graph: atiende_channels::meta::graph::Graph { url, version },
                    max_media_bytes: m.max_media_bytes,
                }
            },
            email: {
                let e = d.email;
                let security = self.email_relay_security.unwrap_or(e.relay_security);
                if !matches!(security.as_str(), "none" | "starttls" | "tls") {
                    bail!("email_relay_security must be none, starttls or tls, not {security:?}");
                }
                let from = self.email_from.unwrap_or(e.from_address);
                atiende_core::EmailAddress::parse(&from, "email_from")
                    .map_err(|_| anyhow::anyhow!("email_from must be an email address, not {from:?}"))?;
                let extra_ca_pem = match &self.email_extra_ca_file {
                    Some(p) => Some(
                        std::fs::read(p)
                            .with_context(|| format!("reading email_extra_ca_file {}", p.display()))?,
                    ),
                    None => None,
                };
                atiende_app::config::EmailConfig {
                    relay_host: self.email_relay_host.unwrap_or(e.relay_host),
                    relay_port: self.email_relay_port.unwrap_or(if security == "tls" {
                        465
                    } else if security == "starttls" {
                        587
                    } else {
                        e.relay_port
                    }),
                    relay_security: security,
                    relay_username: self.email_relay_username.unwrap_or(e.relay_username),
                    relay_password: self.email_relay_password.unwrap_or(e.relay_password),
                    from_address: from,
                    forwarding_domain: self
                        .email_forwarding_domain
                        .unwrap_or(e.forwarding_domain)
                        .to_lowercase(),
                    max_attachment_bytes: self.email_max_attachment_bytes.unwrap_or(e.max_attachment_bytes),
                    max_message_bytes: self.email_max_message_bytes.unwrap_or(e.max_message_bytes).max(1024),
                    imap_poll_interval: self
                        .email_imap_poll_secs
                        .map(|s| secs(s.max(1)))
                        .unwrap_or(e.imap_poll_interval),
                    timeout: self.email_timeout_secs.map(|s| secs(s.max(1))).unwrap_or(e.timeout),
                    imap_batch: self.email_imap_batch.unwrap_or(e.imap_batch).clamp(1, 2000),
                    reconnect_max: self
                        .email_reconnect_max_secs
                        .map(|s| secs(s.max(1)))
                        .unwrap_or(e.reconnect_max),
                    extra_ca_pem,
                }
            },
        };
        if !(app.public_url.is_empty()
            || app.public_url.starts_with("http://")
            || app.public_url.starts_with("https://"))
        {
            bail!("public_url must start with http:// or https://");
        }
        Ok(Config {
            data_dir,
            database_url,
            listen: self.listen.unwrap_or_else(|| "127.0.0.1:8080".into()),
            secret_key: self.secret_key,
            log: self.log.unwrap_or_else(|| "info".into()),
            db_max_connections: self.db_max_connections.unwrap_or(16).clamp(2, 1000),
            sqlite_synchronous_full,
            smtp_listen: self.email_smtp_listen.filter(|s| !s.is_empty()),
            app,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_defaults_resolve() {
        let f: FileConfig = toml::from_str(EXAMPLE).unwrap();
        let c = f.resolve().unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(c.sqlite_synchronous_full);
    }

    #[test]
    fn bad_values_are_refused() {
        let f: FileConfig = toml::from_str("sqlite_synchronous = \"off\"").unwrap();
        assert!(f.resolve().is_err());
        assert!(toml::from_str::<FileConfig>("nonsense = 1").is_err());
        let f: FileConfig = toml::from_str("database_url = \"mysql://x\"").unwrap();
        assert!(f.resolve().is_err());
    }
}
