//! Business-hours schedules (SPEC §6, §11.1).
use super::id;
use crate::Web;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody};
use atiende_app::schedules::{self, Stored};
use atiende_core::hours::ScheduleInput;
use atiende_core::time::rfc3339;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn routes() -> Router<Web> {
    Router::new().route("/schedules", post(create).get(list)).route("/schedules/{id}", get(show).put(replace))
}

/// A schedule: time blocks per weekday in a time zone, and holidays.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub name: String,
    /// IANA time zone, e.g. `America/Santiago`.
    pub time_zone: String,
    /// `mon`…`sun` → blocks `["HH:MM", "HH:MM"]`; a block ending before it starts crosses midnight.
    /// A day not listed has no hours.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub days: BTreeMap<String, Vec<[String; 2]>>,
    /// Dates `YYYY-MM-DD` without hours.
    #[serde(default)]
    pub holidays: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduleOut {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    #[schema(value_type = Object)]
    pub days: BTreeMap<String, Vec<[String; 2]>>,
    pub holidays: Vec<String>,
    /// Inside business hours at the moment of the answer.
    pub open_now: bool,
    /// The next opening (now, when open); null when the schedule has no hours ahead.
    pub next_opening: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduleList {
    pub items: Vec<ScheduleOut>,
}

fn out(web: &Web, s: Stored) -> ScheduleOut {
    let now = jiff::Timestamp::from_microsecond(web.app.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ScheduleOut {
        id: s.row.id,
        name: s.input.name,
        time_zone: s.input.time_zone,
        days: s.input.days,
        holidays: s.input.holidays,
        open_now: s.schedule.is_open(now),
        next_opening: s.schedule.next_opening(now).map(|t| rfc3339(t.as_microsecond())),
        created_at: rfc3339(s.row.created_at),
        updated_at: rfc3339(s.row.updated_at),
    }
}

fn input(b: ScheduleBody) -> ScheduleInput {
    ScheduleInput { name: b.name, time_zone: b.time_zone, days: b.days, holidays: b.holidays }
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = ScheduleBody,
    responses((status = 201, body = ScheduleOut), (status = 409), (status = 422)))]
pub async fn create(
    State(web): State<Web>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<ScheduleBody>,
) -> ApiResult<(StatusCode, Json<ScheduleOut>)> {
    let s = schedules::create(&web.app, &actor, &input(b)).await?;
    Ok((StatusCode::CREATED, Json(out(&web, s))))
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules", responses((status = 200, body = ScheduleList)))]
pub async fn list(State(web): State<Web>, Auth(actor): Auth) -> ApiResult<Json<ScheduleList>> {
    let items = schedules::list(&web.app, &actor).await?.into_iter().map(|s| out(&web, s)).collect();
    Ok(Json(ScheduleList { items }))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules", responses((status = 200, body = ScheduleOut), (status = 404)))]
pub async fn show(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(sid): Path<String>,
) -> ApiResult<Json<ScheduleOut>> {
    Ok(Json(out(&web, schedules::get(&web.app, &actor, id(&sid)?).await?)))
}

/// Replaces the schedule whole.
#[utoipa::path(put, path = "/api/v1/schedules/{id}", tag = "schedules", request_body = ScheduleBody,
    responses((status = 200, body = ScheduleOut), (status = 404), (status = 409), (status = 422)))]
pub async fn replace(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<ScheduleBody>,
) -> ApiResult<Json<ScheduleOut>> {
    Ok(Json(out(&web, schedules::replace(&web.app, &actor, id(&sid)?, &input(b)).await?)))
}
