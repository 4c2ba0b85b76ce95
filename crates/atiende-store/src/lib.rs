//! The database, and the only door to SQL: no other crate sees sqlx. [`Db`] wraps the
//! native sqlx pools; the crate-private `on_db!`/`on_tx!` (and `exec_db!`/`exec_tx!`)
//! macros run the same statement text on either backend, each arm checked against its own
//! driver. Where the dialects differ, both statements stand side
//! by side in the same function.
//!
//! Conventions (decided once): ids are 64-bit integers; times are integer
//! microseconds since the Unix epoch, UTC; JSON documents are stored as text.
#![forbid(unsafe_code)]

/// Runs `$body` with `$c` bound to the pool of whichever backend `$db` is.
macro_rules! on_db {
    ($db:expr, |$c:ident| $body:expr) => {
        match &($db).0 {
            $crate::Pool::Sqlite($c) => $body,
            $crate::Pool::Pg($c) => $body,
        }
    };
}

/// Runs the statement `$q` on `$db` and gives the number of rows it changed (the two
/// drivers' result types differ, the count does not).
macro_rules! exec_db {
    ($db:expr, |$c:ident| $q:expr) => {
        match &($db).0 {
            $crate::Pool::Sqlite($c) => $q.execute($c).await.map(|r| r.rows_affected()),
            $crate::Pool::Pg($c) => $q.execute($c).await.map(|r| r.rows_affected()),
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx`.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match &mut ($tx).conn {
            $crate::TxConn::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::TxConn::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Runs the statement `$q` in the transaction `$tx` and gives the number of rows it changed.
macro_rules! exec_tx {
    ($tx:expr, |$c:ident| $q:expr) => {
        match &mut ($tx).conn {
            $crate::TxConn::Sqlite(t) => $q.execute(&mut **t).await.map(|r| r.rows_affected()),
            $crate::TxConn::Pg(t) => $q.execute(&mut **t).await.map(|r| r.rows_affected()),
        }
    };
}

pub mod accounts;
pub mod admin;
pub mod assign;
pub mod attachments;
pub mod automation;
pub mod chat;
pub mod clients;
pub mod columns;
pub mod email;
pub mod events;
pub mod ingest;
pub mod inspect;
pub mod jobs;
pub mod listeners;
pub mod messages;
pub mod orgs;
pub mod quarantine;
pub mod schedules;
pub mod seed;
pub mod tickets;
pub mod users;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// A database of either backend. Cheap to clone. Its pool is private to the store:
/// every statement goes through a store function.
#[derive(Clone, Debug)]
pub struct Db(pub(crate) Pool);

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// A transaction of either backend, with the events it records. The events are
/// written in one multi-row statement just before commit (and announced to every
/// node on PostgreSQL), so a use case never writes or notifies them one by one.
pub struct Tx {
    pub(crate) conn: TxConn,
    pub(crate) events: Vec<events::PendingEvent>,
}

pub(crate) enum TxConn {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Writes the recorded events and commits. Returns how many events were written.
    pub async fn commit(mut self) -> Result<usize, StoreError> {
        let n = self.events.len();
        events::flush(&mut self).await?;
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Pg(t) => t.commit().await?,
        }
        Ok(n)
    }
    pub fn is_pg(&self) -> bool {
        matches!(self.conn, TxConn::Pg(_))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A failure that a retry of the whole transaction may cure: unique races
    /// between nodes, deadlocks, serialization failures, a busy SQLite file.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Conflict(_) => true,
            StoreError::Db(sqlx::Error::Database(e)) => {
                matches!(
                    e.code().as_deref(),
                    Some("23505" | "40001" | "40P01" | "5" | "6" | "517" | "2067" | "1555")
                ) || e.is_unique_violation()
            }
            _ => false,
        }
    }
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Options for opening the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// SQLite `synchronous`: FULL (default) survives power loss; NORMAL survives process crashes.
    pub sqlite_synchronous_full: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { max_connections: 16, sqlite_synchronous_full: true }
    }
}

impl Db {
    /// Opens `url`: `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let o = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(o)
                .await?;
            Ok(Db(Pool::Pg(pool)))
        } else {
            let o = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(if opts.sqlite_synchronous_full {
                    SqliteSynchronous::Full
                } else {
                    SqliteSynchronous::Normal
                })
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // Batch statements vary in size: keep their prepared forms.
                .statement_cache_capacity(1024)
                .pragma("cache_size", "-32000")
                .pragma("temp_store", "memory")
                // Reads through a memory map: no copy per page read, shared by every connection.
                .pragma("mmap_size", "268435456");
            let file = o.get_filename().to_path_buf();
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.min(8))
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(o)
                .await?;
            owner_only(&file);
            Ok(Db(Pool::Sqlite(pool)))
        }
    }

    /// Applies the migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.0 {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Pg(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Begins a transaction. On SQLite it starts `IMMEDIATE`, taking the write lock
    /// up front, so read-then-write transactions never fail on lock upgrade.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let conn = match &self.0 {
            Pool::Sqlite(p) => TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Pg(p) => TxConn::Pg(p.begin().await?),
        };
        Ok(Tx { conn, events: Vec::new() })
    }

    pub fn is_pg(&self) -> bool {
        matches!(self.0, Pool::Pg(_))
    }

    pub fn backend_name(&self) -> &'static str {
        if self.is_pg() { "postgres" } else { "sqlite" }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        exec_db!(self, |c| sqlx::query("SELECT 1"))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, |c| c.close().await)
    }
}

/// `n` placeholders for parameters `from + 1 …= from + n`: `$N` on PostgreSQL, `?`
/// on SQLite, where sqlx resolves every named parameter by a linear search (so a
/// statement of thousands of `$N` binds in quadratic time). Each placeholder
/// must appear once, in bind order.
/// `$N` (numbered, valid on both backends) or, for long SQLite batches, `?` (positional:
/// never mix `?` with `$N` in one statement — sqlx counts `?` from the first argument).
pub(crate) fn placeholders(pg: bool, from: usize, n: usize) -> String {
    if pg {
        (from + 1..=from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
    } else {
        vec!["?"; n].join(", ")
    }
}

/// The database file holds every conversation: readable by its owner only (the file and
/// its WAL and shared-memory companions), whatever the process's umask made of them.
fn owner_only(file: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut paths = vec![file.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut p = file.as_os_str().to_owned();
            p.push(suffix);
            paths.push(p.into());
        }
        for p in paths.iter().filter(|p| p.exists()) {
            if let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!(file = %p.display(), error = %e, "cannot make the database file private");
            }
        }
    }
}

/// Maps "no row" to [`StoreError::NotFound`].
pub(crate) fn found<T>(row: Option<T>) -> Result<T, StoreError> {
    row.ok_or(StoreError::NotFound)
}
