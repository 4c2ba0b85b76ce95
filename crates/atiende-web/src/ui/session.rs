//! Login, logout, the profile and the connection-status switcher.
use super::i18n::Tr;
use super::{Chrome, Page, UiError, back_to, read_form, render};
use crate::Web;
use crate::extract::SESSION_COOKIE;
use askama::Template;
use atiende_app::users::{ProfileInput, UserPatchInput};
use atiende_app::{AppError, auth};
use atiende_core::Language;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    email: String,
    error: Option<&'static str>,
    /// When the address and password open several organizations: the ones to choose from.
    organizations: Vec<String>,
}

pub async fn login_page(page: Option<Page>, headers: HeaderMap) -> Response {
    if page.is_some() {
        return Redirect::to("/").into_response();
    }
    let tr = Tr::from_accept(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    render(StatusCode::OK, &LoginPage { tr, email: String::new(), error: None, organizations: Vec::new() })
}

pub async fn login(State(web): State<Web>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let tr = Tr::from_accept(parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    if crate::extract::cross_site(&web, &parts) {
        let error = Some(tr.t("login.cross_site"));
        return render(
            StatusCode::FORBIDDEN,
            &LoginPage { tr, email: String::new(), error, organizations: Vec::new() },
        );
    }
    let peer = <ConnectInfo<SocketAddr> as axum::extract::FromRequestParts<Web>>::from_request_parts(
        &mut parts, &web,
    )
    .await
    .map(|c| crate::extract::client_address(&web, &parts.headers, c.0.ip()))
    .unwrap_or_else(|_| "unknown".into());
    let form = read_form(body).await;
    let email = form.get("email").to_string();
    let organization = form.get("organization").to_string();
    let chosen = Some(organization.as_str()).filter(|o| !o.is_empty());
    match auth::login(&web.app, &web.limiter, &peer, &email, form.get("password"), chosen).await {
        Ok(s) => {
            let cookie = crate::extract::session_cookie(&web, &s.id, web.app.config.session_ttl.as_secs());
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Err(AppError::ChooseOrganization(organizations)) => {
            let error = Some(tr.t("login.choose_organization"));
            render(StatusCode::CONFLICT, &LoginPage { tr, email, error, organizations })
        }
        Err(e) => {
            let (status, key) = match e {
                AppError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "login.limited"),
                _ => (StatusCode::UNAUTHORIZED, "login.failed"),
            };
            render(status, &LoginPage { tr, email, error: Some(tr.t(key)), organizations: Vec::new() })
        }
    }
}

pub async fn logout(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let (parts, body) = req.into_parts();
    read_form(body).await.check_csrf(&page)?;
    if let Some(id) = crate::extract::cookie(&parts, SESSION_COOKIE) {
        auth::logout(&web.app, id).await?;
    }
    let clear = crate::extract::session_cookie(&web, "", 0);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

pub async fn set_status(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let status = form
        .get("status_id")
        .parse::<i64>()
        .map_err(|_| AppError::invalid("status_id", "choose a status"))?;
    atiende_app::users::patch(
        &web.app,
        &page.actor,
        page.actor.user_id,
        UserPatchInput { connection_status_id: Some(status), ..Default::default() },
    )
    .await?;
    Ok(back_to(form.get("back")))
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    p: ProfileInput,
    email: String,
    error_field: String,
    error: String,
    saved: bool,
}

impl ProfilePage {
    /// The error text when it concerns `field`.
    fn err(&self, field: &str) -> &str {
        if self.error_field == field { &self.error } else { "" }
    }
}

pub async fn profile_page(
    State(web): State<Web>,
    page: Page,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let u = &page.user;
    let p = ProfileInput {
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        phone: u.phone.clone(),
        department: u.department.clone(),
        language: u.language.clone(),
        ..Default::default()
    };
    let saved =
        headers.get(header::REFERER).and_then(|v| v.to_str().ok()).is_some_and(|r| r.ends_with("/profile"));
    let c = page.chrome(&web).await?;
    Ok(render(
        StatusCode::OK,
        &ProfilePage {
            c,
            p,
            email: u.email.clone(),
            error_field: String::new(),
            error: String::new(),
            saved,
        },
    ))
}

pub async fn profile_save(State(web): State<Web>, page: Page, req: Request) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let p = ProfileInput {
        first_name: form.get("first_name").into(),
        last_name: form.get("last_name").into(),
        phone: form.get("phone").into(),
        department: form.get("department").into(),
        language: form.get("language").into(),
        current_password: form.get("current_password").into(),
        new_password: form.get("new_password").into(),
    };
    match atiende_app::users::update_profile(&web.app, &page.actor, &p).await {
        Ok(_) => Ok(Redirect::to("/profile").into_response()),
        Err(AppError::Invalid(v)) => {
            let c = page.chrome(&web).await?;
            let p = ProfileInput { current_password: String::new(), new_password: String::new(), ..p };
            let page = ProfilePage {
                c,
                p,
                email: page.user.email.clone(),
                error_field: v.field,
                error: page.tr.msg(&v.message),
                saved: false,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// Both languages, for the profile's choice.
pub const LANGUAGES: [Language; 2] = [Language::Es, Language::En];

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    tr: Tr,
    /// "forgot", "sent", "reset", "invalid" or "done".
    step: &'static str,
    token: String,
    error: String,
}

fn lang_of(headers: &HeaderMap) -> Tr {
    Tr::from_accept(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

pub async fn forgot_page(headers: HeaderMap) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage { tr: lang_of(&headers), step: "forgot", token: String::new(), error: String::new() },
    )
}

pub async fn forgot(State(web): State<Web>, req: Request) -> Result<Response, UiError> {
    let tr = lang_of(req.headers());
    let form = read_form(req.into_body()).await;
    auth::request_reset(&web.app, form.get("email")).await?;
    Ok(render(StatusCode::OK, &PasswordPage { tr, step: "sent", token: String::new(), error: String::new() }))
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn reset_page(
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let step = if token.is_empty() { "invalid" } else { "reset" };
    render(StatusCode::OK, &PasswordPage { tr: lang_of(&headers), step, token, error: String::new() })
}

pub async fn reset(State(web): State<Web>, req: Request) -> Result<Response, UiError> {
    let tr = lang_of(req.headers());
    let form = read_form(req.into_body()).await;
    let token = form.get("token").to_string();
    match auth::reset_password(&web.app, &token, form.get("password")).await {
        Ok(()) => Ok(render(
            StatusCode::OK,
            &PasswordPage { tr, step: "done", token: String::new(), error: String::new() },
        )),
        Err(AppError::Invalid(v)) if v.field == "token" => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { tr, step: "invalid", token: String::new(), error: String::new() },
        )),
        Err(AppError::Invalid(v)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { tr, step: "reset", token, error: tr.msg(&v.message) },
        )),
        Err(e) => Err(e.into()),
    }
}
