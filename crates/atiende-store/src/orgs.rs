//! Organizations: the tenant boundary. Every other row carries an `org_id`.
use crate::{Db, StoreError, Tx};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

/// The connection statuses every new organization starts with (SPEC §2).
pub const DEFAULT_STATUSES: &[(&str, bool, &str)] = &[
    ("Available", true, "available"),
    ("Break", false, "break"),
    ("Lunch", false, "lunch"),
    ("Offline", false, "offline"),
];

pub async fn by_name(db: &Db, name: &str) -> Result<Option<OrgRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, OrgRow>(
        "SELECT id, name, created_at FROM organizations WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(c)
    .await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<OrgRow, StoreError> {
    crate::found(on_db!(db, |c| sqlx::query_as::<_, OrgRow>(
        "SELECT id, name, created_at FROM organizations WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// The organization's settings document (defaults every account inherits).
pub async fn settings(db: &Db, id: i64) -> Result<serde_json::Value, StoreError> {
    let raw: String = crate::found(on_db!(db, |c| sqlx::query_scalar(
        "SELECT settings FROM organizations WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)?;
    serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt(format!("organization settings: {e}")))
}

/// Creates an organization with its default connection statuses, inside `tx`.
/// The organization named `name`, created (with its default statuses) when there is none.
pub async fn find_or_create(tx: &mut Tx, name: &str, now: Micros) -> Result<i64, StoreError> {
    let existing: Option<i64> =
        on_tx!(tx, |c| sqlx::query_scalar("SELECT id FROM organizations WHERE name = $1")
            .bind(name)
            .fetch_optional(c)
            .await)?;
    match existing {
        Some(id) => Ok(id),
        None => create(tx, name, now).await,
    }
}

pub async fn create(tx: &mut Tx, name: &str, now: Micros) -> Result<i64, StoreError> {
    let id: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id"
    )
    .bind(name)
    .bind(now)
    .fetch_one(c)
    .await)?;
    for (pos, (status, assignable, builtin)) in DEFAULT_STATUSES.iter().enumerate() {
        exec_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO connection_statuses (org_id, name, assignable, builtin, position) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(*status)
        .bind(*assignable)
        .bind(*builtin)
        .bind(pos as i64)
        })?;
    }
    Ok(id)
}

/// Takes the next ticket number of the organization (row-locked until commit).
pub async fn next_ticket_number(tx: &mut Tx, org_id: i64) -> Result<i64, StoreError> {
    let n: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "UPDATE organizations SET next_ticket_number = next_ticket_number + 1 WHERE id = $1 RETURNING next_ticket_number - 1"
    )
    .bind(org_id)
    .fetch_optional(c)
    .await
    })?;
    crate::found(n)
}
