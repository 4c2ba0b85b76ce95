//! Clients (one per person per organization) and their per-channel identities.
use crate::{Db, StoreError, Tx, found};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub influencer: bool,
    pub created_at: i64,
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<ClientRow, StoreError> {
    found(on_db!(db, |c| sqlx::query_as::<_, ClientRow>(
        "SELECT id, org_id, name, influencer, created_at FROM clients WHERE org_id = $1 AND id = $2"
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn identities(db: &Db, client_id: i64) -> Result<Vec<(String, String)>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as(
        "SELECT kind, value FROM client_identities WHERE client_id = $1 ORDER BY id"
    )
    .bind(client_id)
    .fetch_all(c)
    .await)?)
}

/// The client's first identity on a channel kind: how a reply reaches them (an email
/// address, an integration's client id, a platform user id).
pub async fn identity(db: &Db, client_id: i64, kind: &str) -> Result<Option<String>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT value FROM client_identities WHERE client_id = $1 AND kind = $2 ORDER BY id LIMIT 1"
    )
    .bind(client_id)
    .bind(kind)
    .fetch_optional(c)
    .await)?)
}

/// The client holding identity (`kind`, `value`) in the organization, created when
/// new. Returns `(client_id, created)`.
pub async fn find_or_create(
    tx: &mut Tx,
    org_id: i64,
    kind: &str,
    value: &str,
    name: &str,
    now: Micros,
) -> Result<(i64, bool), StoreError> {
    let existing: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT client_id FROM client_identities WHERE org_id = $1 AND kind = $2 AND value = $3"
    )
    .bind(org_id)
    .bind(kind)
    .bind(value)
    .fetch_optional(c)
    .await)?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let id: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "INSERT INTO clients (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id"
    )
    .bind(org_id)
    .bind(name)
    .bind(now)
    .fetch_one(c)
    .await)?;
    exec_tx!(tx, |c| sqlx::query(
        "INSERT INTO client_identities (org_id, client_id, kind, value) VALUES ($1, $2, $3, $4)"
    )
    .bind(org_id)
    .bind(id)
    .bind(kind)
    .bind(value))?;
    Ok((id, true))
}

/// Names of the organization's clients among `ids`.
pub async fn names(db: &Db, org_id: i64, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let ph = crate::placeholders(true, 1, ids.len());
    let sql = format!("SELECT id, name FROM clients WHERE org_id = $1 AND id IN ({ph})");
    Ok(on_db!(db, |c| {
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql)).bind(org_id);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?)
}
