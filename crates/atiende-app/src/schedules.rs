//! Business-hours schedules (SPEC §6): checked, stored, and read back with the arithmetic
//! of `atiende_core::hours`.
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_core::Role;
use atiende_core::hours::{Schedule, ScheduleInput};
use atiende_store::StoreError;
use atiende_store::schedules::{self, ScheduleRow};

/// A stored schedule with its wire form and its arithmetic.
pub struct Stored {
    pub row: ScheduleRow,
    pub input: ScheduleInput,
    pub schedule: Schedule,
}

fn read(row: ScheduleRow) -> Result<Stored, AppError> {
    let input = ScheduleInput {
        name: row.name.clone(),
        time_zone: row.time_zone.clone(),
        days: serde_json::from_str(&row.days).map_err(|e| AppError::Internal(e.to_string()))?,
        holidays: serde_json::from_str(&row.holidays).map_err(|e| AppError::Internal(e.to_string()))?,
    };
    let schedule = Schedule::parse(&input)
        .map_err(|e| AppError::Internal(format!("stored schedule {} is invalid: {e}", row.id)))?;
    Ok(Stored { row, input, schedule })
}

fn encode(input: &ScheduleInput) -> Result<(String, String, String), AppError> {
    Schedule::parse(input)?;
    let days = serde_json::to_string(&input.days).map_err(|e| AppError::Internal(e.to_string()))?;
    let holidays = serde_json::to_string(&input.holidays).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((input.time_zone.trim().to_string(), days, holidays))
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::conflict("name", "a schedule with this name exists"),
        e => e.into(),
    }
}

pub async fn create(app: &App, actor: &Actor, input: &ScheduleInput) -> Result<Stored, AppError> {
    actor.require_admin()?;
    let (tz, days, holidays) = encode(input)?;
    let id = schedules::create(&app.db, actor.org_id, input.name.trim(), &tz, &days, &holidays, app.now())
        .await
        .map_err(name_taken)?;
    get(app, actor, id).await
}

/// Replaces a schedule whole.
pub async fn replace(app: &App, actor: &Actor, id: i64, input: &ScheduleInput) -> Result<Stored, AppError> {
    actor.require_admin()?;
    let (tz, days, holidays) = encode(input)?;
    schedules::update(&app.db, actor.org_id, id, input.name.trim(), &tz, &days, &holidays, app.now())
        .await
        .map_err(name_taken)?;
    get(app, actor, id).await
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Stored, AppError> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    read(schedules::get(&app.db, actor.org_id, id).await?)
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<Stored>, AppError> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    schedules::list(&app.db, actor.org_id).await?.into_iter().map(read).collect()
}

/// The business hours governing an account (`settings.schedule_id`); `None`: always open.
pub async fn of_account(
    app: &App,
    org_id: i64,
    settings: &serde_json::Value,
) -> Result<Option<Schedule>, AppError> {
    match settings["schedule_id"].as_i64() {
        None => Ok(None),
        Some(id) => match schedules::get(&app.db, org_id, id).await {
            Ok(row) => Ok(Some(read(row)?.schedule)),
            // A schedule deleted under the account: the account is always open again.
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        },
    }
}
