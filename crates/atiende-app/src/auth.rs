//! Who is asking: passwords (argon2), personal API tokens (stored as SHA-256),
//! web sessions with their CSRF token, and the login rate limit.
use crate::{App, AppError};
use atiende_core::{Role, Roles};
use atiende_store::users::{self, UserRow};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The authenticated user of a request, with the organization every query is scoped to.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub org_id: i64,
    pub roles: Roles,
    /// Set for cookie sessions: unsafe requests must echo it (CSRF).
    pub csrf: Option<String>,
}

impl Actor {
    pub fn from_user(u: &UserRow, csrf: Option<String>) -> Self {
        Self { user_id: u.id, org_id: u.org_id, roles: Roles::from_db(&u.roles), csrf }
    }
    pub fn is(&self, role: Role) -> bool {
        self.roles.has(role)
    }
    /// Passes when the actor holds any of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.iter().any(|r| self.roles.has(*r)) {
            Ok(())
        } else {
            let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(AppError::Forbidden(format!("requires the role {}", names.join(" or "))))
        }
    }
    pub fn require_admin(&self) -> Result<(), AppError> {
        self.require(&[Role::Admin])
    }
    /// Admins and agents work tickets; analysts only read.
    pub fn require_worker(&self) -> Result<(), AppError> {
        self.require(&[Role::Admin, Role::Agent])
    }
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    PasswordHash::new(hash)
        .map(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Passwords: 8 to 256 characters.
pub fn check_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(8..=256).contains(&n) {
        return Err(AppError::invalid("password", "must be 8 to 256 characters long"));
    }
    Ok(())
}

/// A new random secret: `prefix` + 64 hex digits.
pub fn random_secret(prefix: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

/// How tokens and session ids are stored: SHA-256 hex (they are random, so no salt is needed).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a personal API token for `user_id`; the clear token is shown once.
pub async fn create_token(app: &App, user_id: i64, name: &str) -> Result<String, AppError> {
    let name = atiende_core::name_text(name, "name", 120)?;
    let name = name.as_str();
    let token = random_secret("atd_")?;
    users::create_token(&app.db, user_id, &secret_hash(&token), name, app.now()).await?;
    Ok(token)
}

pub async fn actor_for_token(app: &App, token: &str) -> Result<Actor, AppError> {
    let hash = secret_hash(token);
    if let Some(u) = app.token_cache.get(&hash) {
        return Ok(Actor::from_user(&u, None));
    }
    match users::by_token_hash(&app.db, &hash).await? {
        Some(u) => {
            let actor = Actor::from_user(&u, None);
            app.token_cache.put(hash, u);
            Ok(actor)
        }
        None => Err(AppError::Unauthenticated),
    }
}

pub async fn actor_for_session(app: &App, session_id: &str) -> Result<Actor, AppError> {
    match users::by_session(&app.db, &secret_hash(session_id), app.now()).await? {
        Some((u, csrf)) => Ok(Actor::from_user(&u, Some(csrf))),
        None => Err(AppError::Unauthenticated),
    }
}

/// A new web session: (session id for the cookie, CSRF token).
pub struct NewSession {
    pub id: String,
    pub csrf: String,
    pub user: UserRow,
}

/// Checks email and password, rate-limited per client address and per email. An address
/// may be a user of several organizations (each with its own password): the one whose
/// password matches is logged in; when it matches in more than one, `organization` (a name)
/// chooses, and without it the answer lists the organizations to choose from.
pub async fn login(
    app: &App,
    limiter: &RateLimiter,
    peer: &str,
    email: &str,
    password: &str,
    organization: Option<&str>,
) -> Result<NewSession, AppError> {
    let email = email.trim().to_lowercase();
    // Three buckets: this address with this email (the usual limit), the email from anywhere
    // (5×, a distributed guess at one account), the address alone (10×: one address may be a
    // whole office behind a NAT, and it never refuses the right password by itself).
    let pair = format!("pair:{peer}:{email}");
    let by_email = format!("email:{email}");
    let by_ip = format!("ip:{peer}");
    let max = limiter.max;
    if limiter.blocked(&pair, max) || limiter.blocked(&by_email, max.saturating_mul(5)) {
        return Err(AppError::RateLimited);
    }
    let ip_blocked = limiter.blocked(&by_ip, max.saturating_mul(10));
    let mut candidates = users::with_email(&app.db, &email).await?;
    candidates.retain(|u| u.active && u.password_hash.is_some());
    if let Some(name) = organization.map(str::trim).filter(|n| !n.is_empty()) {
        let org = atiende_store::orgs::by_name(&app.db, name).await?.map(|o| o.id);
        candidates.retain(|u| Some(u.org_id) == org);
    }
    if candidates.is_empty() {
        // Spend the same effort for unknown users, so timing does not tell who exists.
        let _ = verify_password(password, DUMMY_HASH);
    }
    let mut matched: Vec<UserRow> = candidates
        .into_iter()
        .filter(|u| u.password_hash.as_deref().is_some_and(|h| verify_password(password, h)))
        .collect();
    if matched.len() > 1 {
        // The password is proven: telling which organizations it opens reveals nothing new.
        let mut names = Vec::new();
        for u in &matched {
            names.push(atiende_store::orgs::get(&app.db, u.org_id).await?.name);
        }
        return Err(AppError::ChooseOrganization(names));
    }
    let Some(user) = matched.pop() else {
        for k in [&pair, &by_email, &by_ip] {
            limiter.fail(k);
        }
        return Err(if ip_blocked { AppError::RateLimited } else { AppError::Unauthenticated });
    };
    limiter.clear(&pair);
    limiter.clear(&by_email);
    let id = random_secret("")?;
    let csrf = random_secret("")?;
    let now = app.now();
    let ttl = app.config.session_ttl.as_micros() as i64;
    users::create_session(&app.db, &secret_hash(&id), user.id, &csrf, now, now + ttl).await?;
    Ok(NewSession { id, csrf, user })
}

/// Ends a session. When it was the user's last one, the user goes Offline (SPEC §2).
pub async fn logout(app: &App, session_id: &str) -> Result<(), AppError> {
    if let Some((user_id, left)) = users::delete_session(&app.db, &secret_hash(session_id)).await?
        && left == 0
    {
        crate::users::go_offline(app, user_id).await?;
    }
    Ok(())
}

/// How long a password-reset link works.
pub const RESET_TTL_MICROS: i64 = 3600 * 1_000_000;
/// Reset links a user may request per hour.
const RESETS_PER_HOUR: i64 = 5;

/// Starts a password reset: for an active user, a one-use link valid for an hour, sent by
/// email through the deployment's default sender; with no sender configured the link is
/// written to the server log for an admin to hand over. The answer never tells
/// whether the address belongs to a user.
pub async fn request_reset(app: &App, email: &str) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    let found: Vec<UserRow> =
        users::with_email(&app.db, &email).await?.into_iter().filter(|u| u.active).collect();
    if found.is_empty() {
        tracing::info!("password reset requested for an address that is not an active user");
        return Ok(());
    }
    // One link per organization the address belongs to, each naming its organization.
    for user in found {
        reset_for(app, &user).await?;
    }
    Ok(())
}

async fn reset_for(app: &App, user: &UserRow) -> Result<(), AppError> {
    let now = app.now();
    if users::recent_resets(&app.db, user.id, now - RESET_TTL_MICROS).await? >= RESETS_PER_HOUR {
        tracing::warn!(user_id = user.id, "password reset requests rate-limited");
        return Ok(());
    }
    let token = random_secret("")?;
    users::create_reset(&app.db, &secret_hash(&token), user.id, now, now + RESET_TTL_MICROS).await?;
    let link = format!("{}/password/reset?token={token}", app.config.public_url);
    let org = atiende_store::orgs::get(&app.db, user.org_id).await?.name;
    if crate::channels::email::relay(app).is_none() {
        tracing::warn!(user_id = user.id, email = %user.email, %link, "password reset link (no mail sender configured; give it to the user)");
        return Ok(());
    }
    let (subject, text) = if user.language == "en" {
        (
            "Atiende: reset your password",
            format!(
                "Someone asked to reset the password of {} in {org} on Atiende.\nChoose a new one within the hour at:\n\n{link}\n\nIf it was not you, ignore this message.\n",
                user.email
            ),
        )
    } else {
        (
            "Atiende: recupera tu contraseña",
            format!(
                "Alguien pidió cambiar la contraseña de {} en {org} en Atiende.\nElige una nueva dentro de la próxima hora en:\n\n{link}\n\nSi no fuiste tú, ignora este mensaje.\n",
                user.email
            ),
        )
    };
    let mut tx = app.db.begin().await?;
    let mail =
        crate::channels::email::SystemMail { to: &user.email, subject, text: &text, ..Default::default() };
    crate::channels::email::queue_mail(&mut tx, &mail, None, now).await?;
    app.commit(tx).await?;
    tracing::info!(user_id = user.id, "password reset link sent by email");
    Ok(())
}

/// Completes a reset with the token from the link; ends every session of the user.
pub async fn reset_password(app: &App, token: &str, password: &str) -> Result<(), AppError> {
    check_password(password)?;
    let hash = hash_password(password)?;
    match users::use_reset(&app.db, &secret_hash(token.trim()), &hash, app.now()).await? {
        Some(_) => Ok(()),
        None => Err(AppError::invalid("token", "the link is invalid or has expired")),
    }
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$hVtRFXO8ZDzwbMCs8o1zGfN04VJJGYRRkvhRCb4HKk0";

/// Counts events per key in a sliding window (per node): failed logins, visitors' messages.
pub struct RateLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max, window, failures: Mutex::new(HashMap::new()) }
    }
    fn blocked(&self, key: &str, max: u32) -> bool {
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let Some(v) = m.get_mut(key) else { return false };
        v.retain(|t| now.duration_since(*t) < self.window);
        v.len() as u32 >= max
    }
    fn fail(&self, key: &str) {
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > 100_000 {
            m.clear();
        }
        m.entry(key.to_string()).or_default().push(Instant::now());
    }
    /// Counts one event for `key`: false (and not counted) when `max` were already counted
    /// in the window.
    pub fn allow(&self, key: &str, max: u32) -> bool {
        if self.blocked(key, max) {
            return false;
        }
        self.fail(key);
        true
    }
    fn clear(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn limiter_blocks_after_max_failures() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(!l.blocked("k", l.max));
            l.fail("k");
        }
        assert!(l.blocked("k", l.max));
        l.clear("k");
        assert!(!l.blocked("k", l.max));
    }
}
