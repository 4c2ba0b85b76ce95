//! Server-level operations on PostgreSQL: creating and dropping whole databases (the test
//! harness and the benchmark make a fresh one per run) and running one maintenance
//! statement on a database by URL.
use crate::StoreError;
use sqlx::Connection;

/// A database name we generate ourselves: lowercase letters, digits and `_` only, so it can
/// be spliced into `CREATE DATABASE` (which takes no parameters).
fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(StoreError::Corrupt(format!("not a usable database name: {name:?}")));
    }
    Ok(())
}

/// Creates database `name` on the server at `server_url` (`postgres://user@host:port`).
pub async fn create_database(server_url: &str, name: &str) -> Result<(), StoreError> {
    check_name(name)?;
    let mut c = sqlx::PgConnection::connect(&format!("{server_url}/postgres")).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await?;
    Ok(())
}

/// Drops database `name` (if it exists), closing its connections.
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), StoreError> {
    check_name(name)?;
    let mut c = sqlx::PgConnection::connect(&format!("{server_url}/postgres")).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut c)
        .await?;
    Ok(())
}
