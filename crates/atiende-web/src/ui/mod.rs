//! The agents' and admins' web application: server-rendered pages (askama templates
//! compiled into the binary), plain HTML forms with a CSRF field, and a small script
//! (`static/app.js`) for live updates and keyboard shortcuts.
pub mod account_settings;
pub mod admin;
pub mod board;
pub mod channels;
pub mod i18n;
pub mod session;
pub mod ticket;

use crate::Web;
use crate::extract::{SESSION_COOKIE, cookie};
use askama::Template;
use atiende_app::AppError;
use atiende_app::auth::{self, Actor};
use atiende_core::{Language, Role};
use atiende_store::users::UserRow;
use axum::Router;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use i18n::Tr;

pub fn routes(max_upload: usize) -> Router<Web> {
    let kinds = channels::SCREENS.iter().fold(Router::new(), |r, s| r.merge(s.routes()));
    kinds
        .route("/", get(board::show))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/password/forgot", get(session::forgot_page).post(session::forgot))
        .route("/password/reset", get(session::reset_page).post(session::reset))
        .route("/profile", get(session::profile_page).post(session::profile_save))
        .route("/status", post(session::set_status))
        .route("/board/flow", post(board::flow))
        .route("/board/columns/{id}", get(board::column_fragment))
        .route("/columns/new", get(board::new_form))
        .route("/columns", post(board::create))
        .route("/columns/{id}/edit", get(board::edit_form))
        .route("/columns/{id}", post(board::update))
        .route("/columns/{id}/move", post(board::shift))
        .route("/columns/{id}/delete", post(board::delete))
        .route("/tickets/{id}", get(ticket::show))
        .route(
            "/tickets/{id}/messages",
            post(ticket::reply).layer(axum::extract::DefaultBodyLimit::max(max_upload)),
        )
        .route("/tickets/{id}/action", post(ticket::action))
        .route("/tickets/{id}/template", post(ticket::template))
        .route("/messages/{id}/html", get(ticket::message_html))
        .route("/admin/users", get(admin::users_show).post(admin::users_create))
        .route("/admin/users/{id}", post(admin::users_update))
        .route("/admin/assignment", get(admin::assignment_show).post(admin::assignment_save))
        .route("/admin/statuses", get(admin::statuses_show).post(admin::statuses_create))
        .route("/admin/statuses/{id}", post(admin::statuses_update))
        .route("/admin/accounts", get(admin::accounts_show).post(admin::accounts_create))
        .route("/admin/accounts/{id}", post(admin::accounts_update))
        .route("/admin/accounts/{id}/settings", get(account_settings::show))
        .route("/admin/accounts/{id}/settings/{section}", post(account_settings::save))
        .route("/admin/accounts/{id}/held/{held_id}/{action}", post(account_settings::held_action))
        .route("/admin/schedules", get(admin::schedules_show).post(admin::schedules_create))
        .route("/admin/schedules/{id}", get(admin::schedules_edit).post(admin::schedules_update))
        .route("/tokens", get(admin::tokens_show).post(admin::tokens_create))
        .route("/tokens/{id}/delete", post(admin::tokens_delete))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
}

/// Changes whenever the assets change (cache busting for `?v=`).
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
        .into_response()
}

/// A logged-in page request: the actor and their user row. Without a valid session,
/// the browser is sent to the login page.
pub struct Page {
    pub actor: Actor,
    pub user: UserRow,
    pub tr: Tr,
}

pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<Web> for Page {
    type Rejection = ToLogin;
    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, ToLogin> {
        let id = cookie(parts, SESSION_COOKIE).ok_or(ToLogin)?;
        let actor = auth::actor_for_session(&web.app, id).await.map_err(|_| ToLogin)?;
        let user = actor.reader(&web.app).map_err(|_| ToLogin)?.me().await.map_err(|_| ToLogin)?;
        let tr = Tr(Language::parse(&user.language, "language").unwrap_or(Language::Es));
        Ok(Page { actor, user, tr })
    }
}

impl OptionalFromRequestParts<Web> for Page {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Option<Self>, Self::Rejection> {
        Ok(<Page as FromRequestParts<Web>>::from_request_parts(parts, web).await.ok())
    }
}

/// A submitted form: repeated names keep every value.
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
    /// Checks the form's `_csrf` field against the session.
    pub fn check_csrf(&self, page: &Page) -> Result<(), UiError> {
        let expected = page.actor.csrf.as_deref().unwrap_or("");
        let sent = self.get("_csrf");
        if expected.is_empty()
            || sent.len() != expected.len()
            || sent.bytes().zip(expected.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) != 0
        {
            return Err(UiError::Csrf);
        }
        Ok(())
    }
}

/// Reads a form body (at most 256 KiB).
pub async fn read_form(body: axum::body::Body) -> Form {
    Form::parse(&axum::body::to_bytes(body, 256 * 1024).await.unwrap_or_default())
}

/// A form that may carry files (`multipart/form-data`): its fields and its non-empty files.
pub async fn read_form_with_files(
    req: axum::extract::Request,
) -> Result<(Form, Vec<atiende_app::tickets::Upload>), UiError> {
    use axum::extract::FromRequest;
    let ct = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("multipart/form-data") {
        return Ok((read_form(req.into_body()).await, Vec::new()));
    }
    let bad = |e: String| UiError::App(atiende_app::AppError::invalid("attachments", e));
    let mut mp = axum::extract::Multipart::from_request(req, &()).await.map_err(|e| bad(e.body_text()))?;
    let mut form = Form(Vec::new());
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.body_text()))? {
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(str::to_string) {
            Some(filename) => {
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                let data = field.bytes().await.map_err(|e| bad(e.body_text()))?.to_vec();
                if !filename.is_empty() && !data.is_empty() {
                    files.push(atiende_app::tickets::Upload { filename, content_type, data });
                }
            }
            None => form.0.push((name, field.text().await.map_err(|e| bad(e.body_text()))?)),
        }
    }
    Ok((form, files))
}

/// What every logged-in page shows around its content.
pub struct Chrome {
    pub tr: Tr,
    pub csrf: String,
    pub user_name: String,
    pub initials: String,
    pub admin: bool,
    /// A Facebook page takes this user's new posts.
    pub publish: bool,
    pub statuses: Vec<StatusOption>,
    pub version: &'static str,
    /// The newest event when the page was rendered: live updates resume after it.
    pub event_id: i64,
}

pub struct StatusOption {
    pub id: i64,
    pub name: String,
    pub assignable: bool,
    pub selected: bool,
}

impl Chrome {
    pub fn t(&self, key: &str) -> &'static str {
        self.tr.t(key)
    }
    pub fn t_role(&self, role: &str) -> &'static str {
        self.tr.t(&format!("role.{role}"))
    }
    pub fn lang(&self) -> &'static str {
        self.tr.code()
    }
}

pub fn display_name(u: &UserRow) -> String {
    let n = format!("{} {}", u.first_name, u.last_name).trim().to_string();
    if n.is_empty() { u.email.clone() } else { n }
}

pub fn initials(u: &UserRow) -> String {
    let name = display_name(u);
    let i: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    i.to_uppercase()
}

impl Page {
    /// Call before reading what the page shows, so no change falls between the two.
    pub async fn chrome(&self, web: &Web) -> Result<Chrome, UiError> {
        let r = self.actor.reader(&web.app)?;
        let event_id = r.newest_event().await?;
        let statuses = r
            .statuses()
            .await?
            .into_iter()
            .map(|s| StatusOption {
                id: s.id,
                name: match &s.builtin {
                    Some(b) => self.tr.t_or(&format!("status.{b}"), &s.name).to_string(),
                    None => s.name.clone(),
                },
                assignable: s.assignable,
                selected: self.user.connection_status_id == Some(s.id),
            })
            .collect();
        // "New post" shows when a Facebook page of the organization takes the user's posts.
        let publish = r.accounts().await?.iter().any(|a| {
            a.kind == atiende_core::ChannelKind::Facebook
                && atiende_app::channels::facebook::may_publish(&self.actor, a)
        });
        Ok(Chrome {
            publish,
            tr: self.tr,
            csrf: self.actor.csrf.clone().unwrap_or_default(),
            user_name: display_name(&self.user),
            initials: initials(&self.user),
            admin: self.actor.is(Role::Admin),
            statuses,
            version: ASSET_VERSION,
            event_id,
        })
    }
}

/// Renders a template to an HTML response with `status`.
pub fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "rendering failed").into_response()
        }
    }
}

/// A failure of a page or form.
pub enum UiError {
    App(AppError),
    Csrf,
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        UiError::App(e)
    }
}

impl From<atiende_store::StoreError> for UiError {
    fn from(e: atiende_store::StoreError) -> Self {
        UiError::App(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let api = match self {
            UiError::Csrf => crate::error::ApiError::new(StatusCode::FORBIDDEN, "csrf", "csrf"),
            UiError::App(e) => crate::error::ApiError::from(e),
        };
        let tr = Tr(Language::Es);
        let message = match api.code {
            "not_found" => format!(
                "{} / {}",
                Tr(Language::Es).t("error.not_found"),
                Tr(Language::En).t("error.not_found")
            ),
            "forbidden" => format!(
                "{} / {}",
                Tr(Language::Es).t("error.forbidden"),
                Tr(Language::En).t("error.forbidden")
            ),
            "csrf" => format!("{} / {}", Tr(Language::Es).t("error.csrf"), Tr(Language::En).t("error.csrf")),
            "unauthenticated" => return Redirect::to("/login").into_response(),
            _ => api.message.clone(),
        };
        render(api.status, &ErrorPage { tr, message })
    }
}

/// After a form: back to where it was posted from (a path of ours only).
pub fn back_to(path: &str) -> Response {
    Redirect::to(same_site_path(path)).into_response()
}

/// `path` when it is a path of this site, else `/`. Browsers drop tabs and line breaks from
/// URLs (`/\t/evil.example` becomes `//evil.example`, another site) and a line break cannot
/// go in a header: no control character, whitespace or backslash is taken.
pub fn same_site_path(path: &str) -> &str {
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 2048
        && path.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '\\');
    if safe { path } else { "/" }
}

#[cfg(test)]
mod back_tests {
    use super::same_site_path;

    #[test]
    fn only_same_site_paths_are_followed() {
        for ok in ["/", "/tickets/7", "/admin/accounts?saved=1#email"] {
            assert_eq!(same_site_path(ok), ok);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example/x",
            "/\n/x",
            "/\\evil.example",
            "https://evil.example",
            "tickets",
            "/ /x",
            "",
        ] {
            assert_eq!(same_site_path(bad), "/", "{bad:?}");
        }
    }
}

pub(crate) use ticket::human_size;

/// Formats microseconds as a local-free "YYYY-MM-DD HH:MM" UTC (the script localizes it).
pub fn datetime(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}
