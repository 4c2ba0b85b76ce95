//! Users and connection statuses.
use crate::auth::{self, Actor};
use crate::{App, AppError};
use atiende_core::{EmailAddress, Language, Role, Roles, required_text};
use atiende_store::users::{self, NewUser, UserPatch, UserRow};
use atiende_store::{StoreError, orgs, tickets};

/// What is needed to create a user.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub email: String,
    pub password: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub department: String,
    pub language: Option<String>,
    pub roles: Vec<String>,
}

struct Checked {
    email: EmailAddress,
    hash: Option<String>,
    language: Language,
    roles: Roles,
}

fn check(input: &UserInput) -> Result<Checked, AppError> {
    let email = EmailAddress::parse(&input.email, "email")?;
    let hash = match &input.password {
        Some(p) => {
            auth::check_password(p)?;
            Some(auth::hash_password(p)?)
        }
        None => None,
    };
    let language = Language::parse(input.language.as_deref().unwrap_or("es"), "language")?;
    let roles = Roles::parse_list(&input.roles, "roles")?;
    for (field, v) in [
        ("first_name", &input.first_name),
        ("last_name", &input.last_name),
        ("phone", &input.phone),
        ("department", &input.department),
    ] {
        atiende_core::bounded_text(v, field, 120)?;
        atiende_core::check_name_chars(v, field)?;
    }
    Ok(Checked { email, hash, language, roles })
}

async fn insert(
    app: &App,
    org_id: Option<i64>,
    org_name: &str,
    input: &UserInput,
) -> Result<UserRow, AppError> {
    let c = check(input)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let org_id = match org_id {
        Some(id) => id,
        None => orgs::find_or_create(&mut tx, org_name, now).await?,
    };
    let id = users::create(
        &mut tx,
        &NewUser {
            org_id,
            email: c.email.as_str(),
            password_hash: c.hash.as_deref(),
            first_name: input.first_name.trim(),
            last_name: input.last_name.trim(),
            phone: input.phone.trim(),
            department: input.department.trim(),
            language: c.language.as_str(),
            roles: &c.roles.to_db(),
        },
        now,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            AppError::conflict("email", "this email address is already used by a user of this organization")
        }
        e => e.into(),
    })?;
    tx.commit().await?;
    Ok(users::get(&app.db, org_id, id).await?)
}

/// The CLI's `user create`: creates the organization when it is new.
pub async fn create_in_org(app: &App, org_name: &str, input: &UserInput) -> Result<UserRow, AppError> {
    let org_name = required_text(org_name, "org", 120)?;
    insert(app, None, &org_name, input).await
}

/// An admin creates a user in their organization.
pub async fn create(app: &App, actor: &Actor, input: &UserInput) -> Result<UserRow, AppError> {
    actor.require_admin()?;
    insert(app, Some(actor.org_id), "", input).await
}

pub async fn list(app: &App, actor: &Actor, after: i64, limit: i64) -> Result<Vec<UserRow>, AppError> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    Ok(users::list(&app.db, actor.org_id, after, limit).await?)
}

/// Tickets a deactivated user opened in this window are released (SPEC §2).
const DEACTIVATION_RELEASE_WINDOW_MICROS: i64 = 5 * 24 * 3600 * 1_000_000;

/// Changes a user. Admins change anything; a user may change their own
/// connection status. The first user of an organization is never deactivated.
pub async fn patch(app: &App, actor: &Actor, id: i64, p: UserPatchInput) -> Result<UserRow, AppError> {
    let own_status_only =
        p.active.is_none() && p.roles.is_none() && p.max_open_tickets.is_none() && id == actor.user_id;
    if !own_status_only {
        actor.require_admin()?;
    }
    let target = users::get(&app.db, actor.org_id, id).await?;
    let mut patch = UserPatch { active: p.active, ..Default::default() };
    if let Some(roles) = &p.roles {
        patch.roles = Some(Roles::parse_list(roles, "roles")?.to_db());
    }
    if let Some(status) = p.connection_status_id {
        match users::status(&app.db, actor.org_id, status).await {
            Ok(_) => patch.connection_status_id = Some(status),
            Err(StoreError::NotFound) => {
                return Err(AppError::invalid("connection_status_id", "no such connection status"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(cap) = p.max_open_tickets {
        crate::assign::check_cap(cap)?;
    }
    if p.active == Some(false) && target.is_first {
        return Err(AppError::conflict("active", "the first user of an organization cannot be deactivated"));
    }
    if target.is_first && patch.roles.as_deref().is_some_and(|r| !Roles::from_db(r).has(Role::Admin)) {
        return Err(AppError::conflict("roles", "the first user of an organization stays an admin"));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    users::update(&mut tx, actor.org_id, id, &patch, now).await?;
    if let Some(cap) = p.max_open_tickets {
        atiende_store::assign::set_cap(&mut tx, actor.org_id, id, cap).await?;
    }
    if p.active == Some(false) && target.active {
        deactivate(&mut tx, actor, id, now).await?;
    }
    // A new status, a reactivation or a release may let queued tickets be assigned.
    if patch.connection_status_id.is_some() || p.active.is_some() || p.max_open_tickets.is_some() {
        atiende_store::assign::arm(&mut tx, actor.org_id, now).await?;
    }
    app.commit(tx).await?;
    // Roles or the active flag may have changed: cached tokens must be looked up again.
    app.token_cache.clear();
    app.realtime.wake();
    Ok(users::get(&app.db, actor.org_id, id).await?)
}

#[derive(Debug, Default, Clone)]
pub struct UserPatchInput {
    pub active: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub connection_status_id: Option<i64>,
    /// `Some(None)` clears the cap; `None` leaves it.
    pub max_open_tickets: Option<Option<i64>>,
}

/// Ends the user's sessions and releases their recent open tickets.
async fn deactivate(
    tx: &mut atiende_store::Tx,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> Result<(), AppError> {
    users::end_sessions(tx, user_id).await?;
    let ids =
        tickets::assigned_since(tx, actor.org_id, user_id, now - DEACTIVATION_RELEASE_WINDOW_MICROS).await?;
    for &t in &ids {
        tickets::assign(
            tx,
            actor.org_id,
            t,
            None,
            Some(actor.user_id),
            "released: the assignee was deactivated",
            now,
        )
        .await?;
    }
    // Placed again by the rules (SPEC §2, §7).
    atiende_store::assign::requeue(tx, actor.org_id, &ids, now).await?;
    Ok(())
}

/// Sets the user's status to the organization's built-in Offline.
pub async fn go_offline(app: &App, user_id: i64) -> Result<(), AppError> {
    let org_id = users::org_of(&app.db, user_id).await?;
    let Some(org_id) = org_id else { return Ok(()) };
    let offline =
        users::statuses(&app.db, org_id).await?.into_iter().find(|s| s.builtin.as_deref() == Some("offline"));
    if let Some(s) = offline {
        let mut tx = app.db.begin().await?;
        users::set_status(&mut tx, org_id, user_id, s.id, app.now()).await?;
        tx.commit().await?;
    }
    Ok(())
}

pub async fn create_status(
    app: &App,
    actor: &Actor,
    name: &str,
    assignable: bool,
) -> Result<users::StatusRow, AppError> {
    actor.require_admin()?;
    let name = atiende_core::name_text(name, "name", 60)?;
    let id = users::create_status(&app.db, actor.org_id, &name, assignable).await.map_err(|e| match e {
        StoreError::Conflict(_) => AppError::conflict("name", "a connection status with this name exists"),
        e => e.into(),
    })?;
    Ok(users::status(&app.db, actor.org_id, id).await?)
}

/// What a user changes on their own profile (SPEC §2). A new password needs the current one.
#[derive(Debug, Default, Clone)]
pub struct ProfileInput {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub department: String,
    pub language: String,
    pub current_password: String,
    pub new_password: String,
}

pub async fn update_profile(app: &App, actor: &Actor, p: &ProfileInput) -> Result<UserRow, AppError> {
    let me = users::get(&app.db, actor.org_id, actor.user_id).await?;
    for (field, v) in [
        ("first_name", &p.first_name),
        ("last_name", &p.last_name),
        ("phone", &p.phone),
        ("department", &p.department),
    ] {
        atiende_core::bounded_text(v, field, 120)?;
        atiende_core::check_name_chars(v, field)?;
    }
    let language = Language::parse(&p.language, "language")?;
    let mut patch = UserPatch {
        first_name: Some(p.first_name.trim().to_string()),
        last_name: Some(p.last_name.trim().to_string()),
        phone: Some(p.phone.trim().to_string()),
        department: Some(p.department.trim().to_string()),
        language: Some(language.as_str().to_string()),
        ..Default::default()
    };
    if !p.new_password.is_empty() {
        if !me.password_hash.as_deref().is_some_and(|h| auth::verify_password(&p.current_password, h)) {
            return Err(AppError::invalid("current_password", "the current password is not right"));
        }
        auth::check_password(&p.new_password)
            .map_err(|_| AppError::invalid("new_password", "must be 8 to 256 characters long"))?;
        patch.password_hash = Some(auth::hash_password(&p.new_password)?);
    }
    let mut tx = app.db.begin().await?;
    users::update(&mut tx, actor.org_id, actor.user_id, &patch, app.now()).await?;
    if patch.password_hash.is_some() {
        // Whoever else held a session (or a reset link) knew the old password's world.
        users::password_changed(&mut tx, actor.user_id, actor.csrf.as_deref(), app.now()).await?;
    }
    tx.commit().await?;
    Ok(users::get(&app.db, actor.org_id, actor.user_id).await?)
}

pub async fn update_status(
    app: &App,
    actor: &Actor,
    id: i64,
    name: &str,
    assignable: bool,
) -> Result<users::StatusRow, AppError> {
    actor.require_admin()?;
    let name = atiende_core::name_text(name, "name", 60)?;
    users::update_status(&app.db, actor.org_id, id, &name, assignable).await.map_err(|e| match e {
        StoreError::Conflict(_) => AppError::conflict("name", "a connection status with this name exists"),
        e => e.into(),
    })?;
    Ok(users::status(&app.db, actor.org_id, id).await?)
}

/// Time in each connection status over `[from, to)`, for the user themself or an admin.
pub async fn status_times(
    app: &App,
    actor: &Actor,
    user_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(users::StatusRow, i64)>, AppError> {
    if user_id != actor.user_id {
        actor.require(&[Role::Admin, Role::Analyst])?;
    }
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    users::get(&app.db, actor.org_id, user_id).await?;
    let statuses = users::statuses(&app.db, actor.org_id).await?;
    let times = users::status_times(&app.db, user_id, from, to.min(app.now())).await?;
    Ok(statuses
        .into_iter()
        .map(|s| {
            let t = times.iter().find(|(id, _)| *id == s.id).map_or(0, |(_, t)| *t);
            (s, t)
        })
        .collect())
}

/// Revokes one of the actor's own API tokens; it stops working at once on this node.
pub async fn revoke_token(app: &App, actor: &Actor, id: i64) -> Result<(), AppError> {
    let hash = users::delete_token(&app.db, actor.user_id, id).await?;
    app.token_cache.remove(&hash);
    Ok(())
}
