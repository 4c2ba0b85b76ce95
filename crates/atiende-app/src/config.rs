//! Settings of the application layer (the binary fills them from file and environment).
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// This node's name in job leases (defaults to host name and process id).
    pub node_id: String,
    /// First retry delay of an outbound delivery; doubles each attempt.
    pub outbox_backoff: Duration,
    /// Longest delay between two delivery attempts.
    pub outbox_backoff_max: Duration,
    /// Attempts before a delivery is marked failed.
    pub outbox_max_attempts: i64,
    /// How long a node holds a claimed job before another node may take it.
    pub job_lease: Duration,
    /// How often the job worker looks for due jobs when nothing woke it.
    pub job_poll_interval: Duration,
    /// Jobs run at once by this node.
    pub job_concurrency: usize,
    /// Timeout of one outbound HTTP call.
    pub webhook_timeout: Duration,
    /// Most inbound messages written in one transaction.
    pub ingest_batch_max: usize,
    /// Parallel ingest writers (1 on SQLite, which has one writer).
    pub ingest_writers: usize,
    /// Realtime events are kept this long for reconnecting clients, then pruned.
    pub event_retention: Duration,
    /// Lifetime of a web session.
    pub session_ttl: Duration,
    /// Failed logins allowed per address and per email in `login_window`.
    pub login_max_failures: u32,
    pub login_window: Duration,
    /// How long a node trusts a cached API token or account (0 disables the cache).
    /// Changes made on this node apply at once; those made on another node within this time.
    pub auth_cache_ttl: Duration,
    /// The address people use to reach Atiende (links in emails, e.g. password reset).
    /// Empty: `http://` and the listening address.
    pub public_url: String,
    /// A ticket waiting in the assignment queue rises one priority level per this much waiting.
    pub queue_ageing: Duration,
    /// Internal destinations outbound connections may reach anyway (SPEC §11.2
    /// `outbound_allow`); by default none.
    pub outbound: atiende_channels::outbound::Policy,
    /// Reverse proxies whose `X-Forwarded-For` names the client (login limit per client);
    /// by default none: the TCP peer is the client.
    pub trusted_proxies: atiende_channels::outbound::Policy,
    /// The email channel.
    pub email: EmailConfig,
    /// Web chat floods: messages (and files) one visitor may send a minute, and visitors one
    /// client address may start a minute on an account.
    pub chat_messages_per_minute: u32,
    pub chat_visitors_per_minute: u32,
    /// The identity providers chat visitors may log in with (each off until its client is
    /// configured).
    pub chat_login: ChatLogin,
    /// Meta's platforms (WhatsApp, Messenger, Instagram): the app's webhook secrets and the
    /// Graph API.
    pub meta: MetaConfig,
}

/// The deployment's Meta app (SPEC §11.2 `meta_*`).
#[derive(Debug, Clone)]
pub struct MetaConfig {
    /// Signs every webhook (`X-Hub-Signature-256`); empty: webhooks are refused.
    pub app_secret: String,
    /// What Meta's verification request must carry (`hub.verify_token`).
    pub verify_token: String,
    pub graph: atiende_channels::meta::graph::Graph,
    /// Largest media file downloaded from a message (bigger ones are listed without content).
    pub max_media_bytes: usize,
}

impl Default for MetaConfig {
    fn default() -> Self {
        Self {
            app_secret: String::new(),
            verify_token: String::new(),
            graph: atiende_channels::meta::graph::Graph {
                url: "https://graph.facebook.com".into(),
                version: "v24.0".into(),
            },
            max_media_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Social login of chat visitors (the deployment registers one client at each provider,
/// whose redirect address is `{public_url}/public/v1/chat/login/callback`).
#[derive(Debug, Clone, Default)]
pub struct ChatLogin {
    pub google: Option<atiende_channels::chat::oidc::Provider>,
    pub facebook: Option<atiende_channels::chat::oidc::Provider>,
}

impl ChatLogin {
    /// The provider of a name (`google`, `facebook`), when configured.
    pub fn provider(&self, name: &str) -> Option<&atiende_channels::chat::oidc::Provider> {
        match name {
            "google" => self.google.as_ref(),
            "facebook" => self.facebook.as_ref(),
            _ => None,
        }
    }
}

/// The deployment's email settings (SPEC §11.1: the default sender lives here).
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// SMTP relay of the default sender; empty host: accounts with `sending: default` cannot send.
    pub relay_host: String,
    pub relay_port: u16,
    /// `none`, `starttls` or `tls`.
    pub relay_security: String,
    pub relay_username: String,
    pub relay_password: String,
    /// The default sender's address (the account's name is the display name; Reply-To is
    /// the account's address).
    pub from_address: String,
    /// Domain of the generated forwarding addresses.
    pub forwarding_domain: String,
    /// Largest attachment kept (bigger ones are listed without content).
    pub max_attachment_bytes: usize,
    /// Largest raw message accepted (HTTP endpoint and SMTP listener).
    pub max_message_bytes: usize,
    /// How long an IMAP reader waits (IDLE, or between polls) before looking again.
    pub imap_poll_interval: Duration,
    /// Timeout of one IMAP or SMTP exchange.
    pub timeout: Duration,
    /// Messages fetched per IMAP round (each round is stored before the next).
    pub imap_batch: usize,
    /// Longest wait before reconnecting to a failing mail server (the wait doubles from 1 s).
    pub reconnect_max: Duration,
    /// Extra CA certificates (PEM) trusted for IMAP and SMTP servers.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            relay_host: String::new(),
            relay_port: 25,
            relay_security: "none".into(),
            relay_username: String::new(),
            relay_password: String::new(),
            from_address: "noreply@atiende.localhost".into(),
            forwarding_domain: "inbound.atiende.localhost".into(),
            max_attachment_bytes: 10 * 1024 * 1024,
            max_message_bytes: 35 * 1024 * 1024,
            imap_poll_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
            imap_batch: 200,
            reconnect_max: Duration::from_secs(300),
            extra_ca_pem: None,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            node_id: format!("node-{}", std::process::id()),
            outbox_backoff: Duration::from_secs(2),
            outbox_backoff_max: Duration::from_secs(600),
            outbox_max_attempts: 12,
            job_lease: Duration::from_secs(60),
            job_poll_interval: Duration::from_millis(500),
            job_concurrency: 16,
            webhook_timeout: Duration::from_secs(10),
            ingest_batch_max: 512,
            ingest_writers: 1,
            event_retention: Duration::from_secs(7 * 24 * 3600),
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            login_max_failures: 10,
            login_window: Duration::from_secs(15 * 60),
            auth_cache_ttl: Duration::from_secs(2),
            public_url: String::new(),
            queue_ageing: Duration::from_secs(3600),
            outbound: Default::default(),
            trusted_proxies: Default::default(),
            email: EmailConfig::default(),
            chat_messages_per_minute: 30,
            chat_visitors_per_minute: 20,
            chat_login: ChatLogin::default(),
            meta: MetaConfig::default(),
        }
    }
}
