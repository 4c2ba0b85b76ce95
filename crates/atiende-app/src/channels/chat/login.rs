//! Chat visitors who log in with Google or Facebook (seed 000 "Activar inicio de sesión con
//! Facebook / Google", and "social login only"). The widget opens a small window on
//! [`begin`]'s address; the visitor logs in at the provider, which sends the window back to
//! the deployment's one callback ([`finish`]); the window then hands the new visitor token
//! to the widget that opened it (only to the origin that asked, which must be the chat's
//! domain) and closes. The wire format is `atiende_channels::chat::oidc`.
//!
//! A logged-in visitor is the client of their provider identity (kind `google` or
//! `facebook`, value the provider's `sub`), sees that client's history on the account from
//! any browser, and is named by the provider (with the email only when it is verified).
use super::{CreateVisitor, create_visitor};
use crate::{App, AppError};
use atiende_channels::chat::oidc::{self, Jwks, Provider};
use atiende_store::accounts::AccountRow;
use atiende_store::chat as store;
use std::time::Duration;

/// The providers a chat may offer, by the name in its settings (`login_<name>`).
pub const PROVIDERS: &[&str] = &["google", "facebook"];

/// How long a login may take, from the click to the callback.
pub const LOGIN_TTL: Duration = Duration::from_secs(600);

/// How long a provider's keys are trusted before they are fetched again (and at once when a
/// token names a key not among them: the provider rotated its keys).
const JWKS_TTL: Duration = Duration::from_secs(3600);

/// The address every provider sends visitors back to (registered with each client).
pub fn callback_url(app: &App) -> String {
    format!("{}/public/v1/chat/login/callback", app.config.public_url.trim_end_matches('/'))
}

/// The providers this account's widget offers now: turned on in its settings and configured
/// in the deployment.
pub fn offered(app: &App, account: &AccountRow) -> Vec<&'static str> {
    let s = account.settings.json();
    PROVIDERS
        .iter()
        .copied()
        .filter(|p| {
            s[format!("login_{p}")].as_bool() == Some(true) && app.config.chat_login.provider(p).is_some()
        })
        .collect()
}

/// What the widget gives when the visitor clicks a login button.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Start {
    /// The page's origin (`https://shop.example`), where the token is handed back.
    #[serde(default)]
    pub origin: String,
    pub page_url: Option<String>,
    /// What the account asks besides who the visitor is.
    pub rut: Option<String>,
    pub phone: Option<String>,
}

/// Starts a login: checks what the widget gave, keeps the login's secrets, and answers the
/// provider's address to send the window to.
pub async fn begin(
    app: &App,
    account: &AccountRow,
    provider: &str,
    start: &Start,
    client_address: &str,
    user_agent: Option<&str>,
) -> Result<String, AppError> {
    let per_minute = app.config.chat_visitors_per_minute;
    if !app.chat_limits.allow(&format!("visitors:{}:{client_address}", account.id), per_minute) {
        return Err(AppError::RateLimited);
    }
    if !offered(app, account).contains(&provider) {
        return Err(AppError::NotFound);
    }
    let p = app.config.chat_login.provider(provider).ok_or(AppError::NotFound)?;
    let origin = start.origin.trim();
    if origin.is_empty() || origin.len() > 300 || !super::origin_allowed(account, Some(origin)) {
        return Err(AppError::Forbidden("this page's origin is not the chat's domain".into()));
    }
    let page_url = super::check_page_url(start.page_url.as_deref())?;
    // The details the account asks (except who the visitor is, which the provider says).
    let s = account.settings.json();
    let asks = serde_json::json!({"ask_rut": s["ask_rut"], "ask_phone": s["ask_phone"]});
    let info =
        atiende_core::chat::check_visitor(&asks, None, None, start.rut.as_deref(), start.phone.as_deref())?;
    let state = crate::auth::random_secret("")?;
    let nonce = crate::auth::random_secret("")?;
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| AppError::Internal(e.to_string()))?;
    let verifier = oidc::verifier(&random);
    let now = app.now();
    let row = store::LoginRow {
        account_id: account.id,
        provider: provider.to_string(),
        nonce: nonce.clone(),
        verifier: verifier.clone(),
        origin: origin.to_string(),
        page_url: page_url.map(str::to_string),
        rut: info.rut,
        phone: info.phone,
        user_agent: super::clean_user_agent(user_agent),
        created_at: now,
    };
    let expired = now - LOGIN_TTL.as_micros() as i64;
    store::begin_login(&app.db, &crate::auth::secret_hash(&state), &row, expired).await?;
    Ok(oidc::authorization_url(p, &callback_url(app), &state, &nonce, &verifier))
}

/// Why a login ended without a visitor, and where the window may say so.
#[derive(Debug)]
pub struct Failed {
    /// The widget's origin, when the login was found (the window tells the widget).
    pub origin: Option<String>,
    /// The visitor cancelled at the provider (not an error to log).
    pub cancelled: bool,
    pub reason: String,
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub state: String,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Finishes a login: the new visitor's token and the origin to hand it to.
pub async fn finish(app: &App, cb: &Callback) -> Result<(String, String), Failed> {
    let fail = |origin: Option<&str>, cancelled, reason: String| Failed {
        origin: origin.map(str::to_string),
        cancelled,
        reason,
    };
    let state = cb.state.trim();
    if state.is_empty() || state.len() > 200 {
        return Err(fail(None, false, "the provider sent no state".into()));
    }
    let not_before = app.now() - LOGIN_TTL.as_micros() as i64;
    let login = store::take_login(&app.db, &crate::auth::secret_hash(state), not_before)
        .await
        .map_err(|e| fail(None, false, e.to_string()))?
        .ok_or_else(|| {
            fail(None, false, "this login is unknown, was already used or took too long".into())
        })?;
    let origin = Some(login.origin.as_str());
    if let Some(e) = &cb.error {
        let d = cb.error_description.as_deref().unwrap_or("");
        return Err(fail(
            origin,
            e == "access_denied",
            format!("the provider answered {e} {d}").trim().into(),
        ));
    }
    let code = cb.code.as_deref().map(str::trim).filter(|c| !c.is_empty() && c.len() <= 4096);
    let code = code.ok_or_else(|| fail(origin, false, "the provider sent no code".into()))?;
    let account = atiende_store::accounts::get_any(&app.db, login.account_id)
        .await
        .map_err(|e| fail(origin, false, e.to_string()))?;
    // The chat may have turned the provider off since the click.
    if !offered(app, &account).contains(&login.provider.as_str()) {
        return Err(fail(origin, false, format!("this chat no longer offers login with {}", login.provider)));
    }
    let p = app
        .config
        .chat_login
        .provider(&login.provider)
        .ok_or_else(|| fail(origin, false, "no provider".into()))?;
    let claims = identify(app, p, code, &login).await.map_err(|e| fail(origin, false, e.0))?;
    let info = atiende_core::chat::VisitorInfo {
        name: claims.name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(120).collect(),
        email: claims
            .email
            .and_then(|e| atiende_core::EmailAddress::parse(&e, "email").ok())
            .map(|a| a.as_str().to_string()),
        rut: login.rut.clone(),
        phone: login.phone.clone(),
    };
    let created = create_visitor(
        app,
        &account,
        CreateVisitor {
            info,
            client_kind: &login.provider,
            client_value: Some(claims.sub),
            sees_history: true,
            page_url: login.page_url.as_deref(),
            user_agent: login.user_agent.clone(),
        },
    )
    .await
    .map_err(|e| fail(origin, false, e.to_string()))?;
    Ok((created.1, login.origin))
}

/// Exchanges the code and checks the ID token against the provider's keys.
async fn identify(
    app: &App,
    p: &Provider,
    code: &str,
    login: &store::LoginRow,
) -> Result<oidc::Claims, oidc::OidcError> {
    let token = oidc::exchange(&app.http, p, &callback_url(app), code, &login.verifier).await?;
    let kid = oidc::token_kid(&token);
    let keys = match app.jwks_cache.get(&p.jwks_url) {
        Some(k) if k.has(kid.as_deref()) => k,
        _ => {
            let k = std::sync::Arc::new(oidc::fetch_jwks(&app.http, &p.jwks_url).await?);
            app.jwks_cache.put(p.jwks_url.clone(), k.clone());
            k
        }
    };
    let issuers = p.issuers();
    let want = oidc::Expect {
        issuers: &issuers,
        client_id: &p.client_id,
        nonce: &login.nonce,
        now: app.now() / 1_000_000,
    };
    oidc::verify_id_token(&token, &keys, &want)
}

/// The keys of each provider, by their address.
pub type JwksCache = crate::cache::TtlCache<String, std::sync::Arc<Jwks>>;

pub fn jwks_cache() -> JwksCache {
    crate::cache::TtlCache::new(JWKS_TTL, 8)
}
