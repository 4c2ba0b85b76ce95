//! Atiende's application layer: use cases with their permission checks, the
//! group-commit ingest, realtime fan-out and the background workers.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod assign;
pub mod auth;
pub mod automation;
pub mod board;
pub mod cache;
pub mod channels;
pub mod config;
pub mod error;
pub mod inbound;
pub mod ingest;
pub mod listeners;
pub mod metrics;
pub mod quarantine;
pub mod reads;
pub mod realtime;
pub mod schedules;
pub mod secrets;
pub mod tickets;
pub mod users;
pub mod webhooks;
pub mod worker;

pub use atiende_core as core;
pub use atiende_store as store;
pub use config::AppConfig;
pub use error::AppError;

use atiende_core::time::Clock;
use atiende_store::Db;
use std::sync::Arc;

/// Everything a request or worker needs. Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: AppConfig,
    pub sealer: secrets::Sealer,
    pub metrics: metrics::Metrics,
    pub realtime: realtime::Bus,
    pub ingestor: ingest::Ingestor,
    pub http: reqwest::Client,
    /// Wakes the job worker when a job was queued on this node.
    pub job_wake: Arc<tokio::sync::Notify>,
    /// Wakes the listeners' supervisor (an account changed).
    pub listeners_wake: Arc<tokio::sync::Notify>,
    /// API token (hash) → its active user.
    pub token_cache: cache::TtlCache<String, atiende_store::users::UserRow>,
    /// Account id → account, for the inbound path.
    pub account_cache: cache::TtlCache<i64, atiende_store::accounts::AccountRow>,
    /// Web chat floods: messages per visitor, new visitors per address (one minute).
    pub chat_limits: auth::RateLimiter,
    /// Facebook and Instagram: people's names from the profile lookup (account, person).
    pub profile_cache: cache::TtlCache<(i64, String), String>,
    /// Chat social login: each provider's signing keys.
    pub jwks_cache: channels::chat::login::JwksCache,
    /// The node's dispatcher of events to chat visitors' sockets.
    pub chat_hub: Arc<channels::chat::hub::Hub>,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Wires the application over an open, migrated database.
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: AppConfig, sealer: secrets::Sealer) -> App {
        let metrics = metrics::Metrics::default();
        let realtime = realtime::Bus::new();
        let job_wake: Arc<tokio::sync::Notify> = Arc::default();
        let ingestor = ingest::Ingestor::start(
            &db,
            clock.clone(),
            &config,
            metrics.clone(),
            realtime.clone(),
            job_wake.clone(),
        );
        let http = atiende_channels::http_client(config.webhook_timeout, config.outbound.clone());
        let token_cache = cache::TtlCache::new(config.auth_cache_ttl, 10_000);
        let account_cache = cache::TtlCache::new(config.auth_cache_ttl, 10_000);
        App(Arc::new(Inner {
            db,
            clock,
            config,
            sealer,
            metrics,
            realtime,
            ingestor,
            http,
            job_wake,
            listeners_wake: Arc::default(),
            token_cache,
            account_cache,
            jwks_cache: channels::chat::login::jwks_cache(),
            profile_cache: cache::TtlCache::new(std::time::Duration::from_secs(24 * 3600), 50_000),
            chat_limits: auth::RateLimiter::new(0, std::time::Duration::from_secs(60)),
            chat_hub: Arc::default(),
        }))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Commits a use case's transaction, then wakes this node's realtime pump (its events
    /// are visible) and job runner (it may have queued jobs).
    pub async fn commit(&self, tx: atiende_store::Tx) -> Result<(), atiende_store::StoreError> {
        tx.commit().await?;
        self.realtime.wake();
        self.job_wake.notify_one();
        Ok(())
    }
}
