//! Business-hours schedules, stored as their checked wire form (days and holidays as JSON).
use crate::{Db, StoreError, found};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub time_zone: String,
    pub days: String,
    pub holidays: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, org_id, name, time_zone, days, holidays, created_at, updated_at";

fn conflict(e: sqlx::Error) -> StoreError {
    let e = StoreError::from(e);
    if e.is_unique_violation() { StoreError::Conflict("name".into()) } else { e }
}

pub async fn create(
    db: &Db,
    org_id: i64,
    name: &str,
    tz: &str,
    days: &str,
    holidays: &str,
    now: Micros,
) -> Result<i64, StoreError> {
    on_db!(db, |c| sqlx::query_scalar(
        "INSERT INTO schedules (org_id, name, time_zone, days, holidays, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id"
    )
    .bind(org_id)
    .bind(name)
    .bind(tz)
    .bind(days)
    .bind(holidays)
    .bind(now)
    .fetch_one(c)
    .await)
    .map_err(conflict)
}

pub async fn update(
    db: &Db,
    org_id: i64,
    id: i64,
    name: &str,
    tz: &str,
    days: &str,
    holidays: &str,
    now: Micros,
) -> Result<(), StoreError> {
    let n = exec_db!(db, |c| sqlx::query(
        "UPDATE schedules SET name = $1, time_zone = $2, days = $3, holidays = $4, updated_at = $5 WHERE org_id = $6 AND id = $7"
    )
    .bind(name)
    .bind(tz)
    .bind(days)
    .bind(holidays)
    .bind(now)
    .bind(org_id)
    .bind(id))
    .map_err(conflict)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<ScheduleRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM schedules WHERE org_id = $1 AND id = $2");
    found(on_db!(db, |c| sqlx::query_as::<_, ScheduleRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

pub async fn list(db: &Db, org_id: i64) -> Result<Vec<ScheduleRow>, StoreError> {
    let sql = format!("SELECT {COLS} FROM schedules WHERE org_id = $1 ORDER BY name, id");
    Ok(on_db!(db, |c| sqlx::query_as::<_, ScheduleRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}
