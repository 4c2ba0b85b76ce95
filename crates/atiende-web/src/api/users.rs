//! Users, connection statuses and personal API tokens.
use super::{Params, id};
use crate::Web;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody};
use atiende_app::users::{self, UserInput, UserPatchInput};
use atiende_core::Role;
use atiende_store::users::UserRow;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/me", get(me))
        .route("/users", get(list).post(create))
        .route("/users/{id}", patch(update).get(show))
        .route("/users/{id}/status-times", get(status_times))
        .route("/connection-statuses", get(statuses).post(create_status))
        .route("/tokens", post(create_token))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub department: String,
    pub roles: Vec<String>,
    pub active: bool,
    pub connection_status_id: Option<i64>,
    /// `es` or `en`.
    pub language: String,
    /// Cap of open tickets for automatic assignment; `null`: no cap.
    pub max_open_tickets: Option<i64>,
}

impl From<&UserRow> for UserOut {
    fn from(u: &UserRow) -> Self {
        UserOut {
            id: u.id,
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            phone: u.phone.clone(),
            department: u.department.clone(),
            roles: atiende_core::Roles::from_db(&u.roles).iter().map(|r| r.as_str().to_string()).collect(),
            active: u.active,
            connection_status_id: u.connection_status_id,
            language: u.language.clone(),
            max_open_tickets: u.max_open_tickets,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub items: Vec<UserOut>,
    pub next_cursor: Option<String>,
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserOut)))]
pub async fn me(State(web): State<Web>, Auth(actor): Auth) -> ApiResult<Json<UserOut>> {
    let u = actor.reader(&web.app)?.me().await?;
    Ok(Json(UserOut::from(&u)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)), responses((status = 200, body = UserList)))]
pub async fn list(State(web): State<Web>, Auth(actor): Auth, p: Params) -> ApiResult<Json<UserList>> {
    let limit = p.limit()?;
    let after = p.i64("cursor")?.unwrap_or(0);
    let rows = users::list(&web.app, &actor, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    Ok(Json(UserList {
        items: rows.iter().map(UserOut::from).collect(),
        next_cursor: if more { rows.last().map(|u| u.id.to_string()) } else { None },
    }))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", responses((status = 200, body = UserOut), (status = 404)))]
pub async fn show(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(uid): Path<String>,
) -> ApiResult<Json<UserOut>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let u = actor.reader(&web.app)?.user(id(&uid)?).await?;
    Ok(Json(UserOut::from(&u)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    pub email: String,
    /// 8 to 256 characters; without one the user cannot log in until a reset.
    pub password: Option<String>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub department: String,
    /// `es` (default) or `en`.
    pub language: Option<String>,
    /// One or more of `admin`, `agent`, `analyst`.
    pub roles: Vec<String>,
}

/// Creates a user in the caller's organization (admins).
#[utoipa::path(post, path = "/api/v1/users", request_body = CreateUser, tag = "users",
    responses((status = 201, body = UserOut), (status = 409), (status = 422)))]
pub async fn create(
    State(web): State<Web>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let input = UserInput {
        email: b.email,
        password: b.password,
        first_name: b.first_name,
        last_name: b.last_name,
        phone: b.phone,
        department: b.department,
        language: b.language,
        roles: b.roles,
    };
    let u = users::create(&web.app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&u))))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PatchUser {
    pub active: Option<bool>,
    pub connection_status_id: Option<i64>,
    pub roles: Option<Vec<String>>,
    /// 1 to 1000 open tickets, or `null` for no cap (admins). Absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub max_open_tickets: Option<Option<i64>>,
}

/// A field that is present (even as `null`) becomes `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// Changes a user (admins); a user may change their own connection status.
#[utoipa::path(patch, path = "/api/v1/users/{id}", request_body = PatchUser, tag = "users",
    responses((status = 200, body = UserOut), (status = 403), (status = 409), (status = 422)))]
pub async fn update(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(uid): Path<String>,
    JsonBody(b): JsonBody<PatchUser>,
) -> ApiResult<Json<UserOut>> {
    let p = UserPatchInput {
        active: b.active,
        roles: b.roles,
        connection_status_id: b.connection_status_id,
        max_open_tickets: b.max_open_tickets,
    };
    let u = users::patch(&web.app, &actor, id(&uid)?, p).await?;
    Ok(Json(UserOut::from(&u)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusOut {
    pub id: i64,
    pub name: String,
    /// Agents in this status can receive tickets.
    pub assignable: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusList {
    pub items: Vec<StatusOut>,
}

#[utoipa::path(get, path = "/api/v1/connection-statuses", tag = "users", responses((status = 200, body = StatusList)))]
pub async fn statuses(State(web): State<Web>, Auth(actor): Auth) -> ApiResult<Json<StatusList>> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    let rows = actor.reader(&web.app)?.statuses().await?;
    Ok(Json(StatusList {
        items: rows
            .into_iter()
            .map(|s| StatusOut { id: s.id, name: s.name, assignable: s.assignable })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateStatus {
    pub name: String,
    pub assignable: bool,
}

/// Adds a connection status (admins).
#[utoipa::path(post, path = "/api/v1/connection-statuses", request_body = CreateStatus, tag = "users",
    responses((status = 201, body = StatusOut), (status = 409), (status = 422)))]
pub async fn create_status(
    State(web): State<Web>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<CreateStatus>,
) -> ApiResult<(StatusCode, Json<StatusOut>)> {
    let s = users::create_status(&web.app, &actor, &b.name, b.assignable).await?;
    Ok((StatusCode::CREATED, Json(StatusOut { id: s.id, name: s.name, assignable: s.assignable })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateToken {
    #[serde(default)]
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// Shown once; only its hash is stored.
    pub token: String,
}

/// Creates a personal API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", request_body = CreateToken, tag = "users", responses((status = 201, body = TokenOut)))]
pub async fn create_token(
    State(web): State<Web>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let name = atiende_core::bounded_text(b.name.trim(), "name", 100).map_err(atiende_app::AppError::from)?;
    let token = atiende_app::auth::create_token(&web.app, actor.user_id, name).await?;
    Ok((StatusCode::CREATED, Json(TokenOut { token })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusTime {
    pub connection_status_id: i64,
    pub name: String,
    pub assignable: bool,
    /// Whole seconds spent in this status in the period.
    pub seconds: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusTimes {
    pub from: String,
    pub to: String,
    pub items: Vec<StatusTime>,
}

/// Time a user spent in each connection status (themself, admins and analysts).
/// `from`/`to` are RFC 3339 instants; default: the last 24 hours.
#[utoipa::path(get, path = "/api/v1/users/{id}/status-times", tag = "users",
    params(("from" = Option<String>, Query), ("to" = Option<String>, Query)),
    responses((status = 200, body = StatusTimes), (status = 403), (status = 422)))]
pub async fn status_times(
    State(web): State<Web>,
    Auth(actor): Auth,
    Path(uid): Path<String>,
    p: Params,
) -> ApiResult<Json<StatusTimes>> {
    let now = web.app.now();
    let to = p.time("to")?.unwrap_or(now);
    let from = p.time("from")?.unwrap_or(to - 24 * 3600 * 1_000_000);
    let rows = users::status_times(&web.app, &actor, id(&uid)?, from, to).await?;
    Ok(Json(StatusTimes {
        from: atiende_core::time::rfc3339(from),
        to: atiende_core::time::rfc3339(to),
        items: rows
            .into_iter()
            .map(|(s, t)| StatusTime {
                connection_status_id: s.id,
                name: s.name,
                assignable: s.assignable,
                seconds: t / 1_000_000,
            })
            .collect(),
    }))
}
