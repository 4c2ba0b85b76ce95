//! Users, their API tokens, web sessions and connection statuses.
use crate::{Db, StoreError, Tx, found};
use atiende_core::time::Micros;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub password_hash: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub department: String,
    pub language: String,
    pub roles: String,
    pub active: bool,
    pub is_first: bool,
    pub connection_status_id: Option<i64>,
    pub created_at: i64,
    /// Cap of open tickets for automatic assignment; `None`: no cap.
    pub max_open_tickets: Option<i64>,
}

const USER_COLS: &str = "id, org_id, email, password_hash, first_name, last_name, phone, department, language, roles, active, is_first, connection_status_id, created_at, max_open_tickets";

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: &'a str,
    pub department: &'a str,
    pub language: &'a str,
    pub roles: &'a str,
}

pub async fn create(tx: &mut Tx, u: &NewUser<'_>, now: Micros) -> Result<i64, StoreError> {
    let first: bool = !on_tx!(tx, |c| sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM users WHERE org_id = $1)"
    )
    .bind(u.org_id)
    .fetch_one(c)
    .await)?;
    let offline: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM connection_statuses WHERE org_id = $1 AND builtin = 'offline'"
    )
    .bind(u.org_id)
    .fetch_optional(c)
    .await)?;
    let r = on_tx!(tx, |c| {
        sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (org_id, email, password_hash, first_name, last_name, phone, department, language, roles, is_first, connection_status_id, status_changed_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id"
    )
    .bind(u.org_id)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.phone)
    .bind(u.department)
    .bind(u.language)
    .bind(u.roles)
    .bind(first)
    .bind(offline)
    .bind(now)
    .fetch_one(c)
    .await
    });
    match r {
        Ok(id) => {
            if let Some(status) = offline {
                exec_tx!(tx, |c| {
                    sqlx::query(
                    "INSERT INTO user_status_log (org_id, user_id, connection_status_id, started_at) VALUES ($1, $2, $3, $4)"
                )
                .bind(u.org_id)
                .bind(id)
                .bind(status)
                .bind(now)
                })?;
            }
            Ok(id)
        }
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() { Err(StoreError::Conflict("email".into())) } else { Err(e) }
        }
    }
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> Result<UserRow, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 AND id = $2");
    found(on_db!(db, |c| sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// Every user with this address, one per organization at most, oldest first (a person may
/// belong to several organizations).
pub async fn with_email(db: &Db, email: &str) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE email = $1 ORDER BY id");
    Ok(on_db!(db, |c| sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql)).bind(email).fetch_all(c).await)?)
}

/// The user with this address in an organization.
pub async fn by_email(db: &Db, org_id: i64, email: &str) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 AND email = $2");
    Ok(on_db!(db, |c| sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(email)
        .fetch_optional(c)
        .await)?)
}

/// Users of an organization, by id, after `after_id`.
pub async fn list(db: &Db, org_id: i64, after_id: i64, limit: i64) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3");
    Ok(on_db!(db, |c| sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// The fields a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct UserPatch {
    pub active: Option<bool>,
    pub roles: Option<String>,
    pub connection_status_id: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub department: Option<String>,
    pub language: Option<String>,
    pub password_hash: Option<String>,
}

pub async fn update(tx: &mut Tx, org_id: i64, id: i64, p: &UserPatch, now: Micros) -> Result<(), StoreError> {
    let n = exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE users SET active = COALESCE($3, active), roles = COALESCE($4, roles), \
         first_name = COALESCE($5, first_name), last_name = COALESCE($6, last_name), phone = COALESCE($7, phone), \
         department = COALESCE($8, department), language = COALESCE($9, language), password_hash = COALESCE($10, password_hash) \
         WHERE org_id = $1 AND id = $2"
    )
    .bind(org_id)
    .bind(id)
    .bind(p.active)
    .bind(p.roles.as_deref())
    .bind(p.first_name.as_deref())
    .bind(p.last_name.as_deref())
    .bind(p.phone.as_deref())
    .bind(p.department.as_deref())
    .bind(p.language.as_deref())
    .bind(p.password_hash.as_deref())
    })?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    if let Some(status) = p.connection_status_id {
        set_status(tx, org_id, id, status, now).await?;
    }
    Ok(())
}

/// Switches a user's connection status and records the time spent in the previous one.
pub async fn set_status(
    tx: &mut Tx,
    org_id: i64,
    user_id: i64,
    status_id: i64,
    now: Micros,
) -> Result<(), StoreError> {
    let current: Option<Option<i64>> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT connection_status_id FROM users WHERE org_id = $1 AND id = $2"
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(c)
    .await)?;
    let current = found(current)?;
    if current == Some(status_id) {
        return Ok(());
    }
    exec_tx!(tx, |c| sqlx::query(
        "UPDATE user_status_log SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL"
    )
    .bind(now)
    .bind(user_id))?;
    exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO user_status_log (org_id, user_id, connection_status_id, started_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(org_id)
    .bind(user_id)
    .bind(status_id)
    .bind(now)
    })?;
    exec_tx!(tx, |c| sqlx::query(
        "UPDATE users SET connection_status_id = $1, status_changed_at = $2 WHERE id = $3"
    )
    .bind(status_id)
    .bind(now)
    .bind(user_id))?;
    Ok(())
}

/// Time the user spent in each connection status between `from` and `to`
/// (microseconds per status id; the current status counts up to `to`).
pub async fn status_times(
    db: &Db,
    user_id: i64,
    from: Micros,
    to: Micros,
) -> Result<Vec<(i64, Micros)>, StoreError> {
    let rows: Vec<(i64, i64, Option<i64>)> = on_db!(db, |c| sqlx::query_as(
        "SELECT connection_status_id, started_at, ended_at FROM user_status_log \
         WHERE user_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2) ORDER BY started_at"
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?;
    let mut out: Vec<(i64, Micros)> = Vec::new();
    for (status, start, end) in rows {
        let span = end.unwrap_or(to).min(to) - start.max(from);
        match out.iter_mut().find(|(s, _)| *s == status) {
            Some((_, total)) => *total += span.max(0),
            None => out.push((status, span.max(0))),
        }
    }
    Ok(out)
}

// ---- connection statuses ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusRow {
    pub id: i64,
    pub name: String,
    pub assignable: bool,
    pub builtin: Option<String>,
}

pub async fn statuses(db: &Db, org_id: i64) -> Result<Vec<StatusRow>, StoreError> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, StatusRow>(
        "SELECT id, name, assignable, builtin FROM connection_statuses WHERE org_id = $1 ORDER BY position, id"
    )
    .bind(org_id)
    .fetch_all(c)
    .await
    })?)
}

pub async fn status(db: &Db, org_id: i64, id: i64) -> Result<StatusRow, StoreError> {
    found(on_db!(db, |c| sqlx::query_as::<_, StatusRow>(
        "SELECT id, name, assignable, builtin FROM connection_statuses WHERE org_id = $1 AND id = $2"
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn create_status(db: &Db, org_id: i64, name: &str, assignable: bool) -> Result<i64, StoreError> {
    let r = on_db!(db, |c| {
        sqlx::query_scalar::<_, i64>(
        "INSERT INTO connection_statuses (org_id, name, assignable, position) \
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM connection_statuses WHERE org_id = $1)) RETURNING id"
    )
    .bind(org_id)
    .bind(name)
    .bind(assignable)
    .fetch_one(c)
    .await
    });
    r.map_err(|e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() { StoreError::Conflict("name".into()) } else { e }
    })
}

/// Renames a status or changes whether it is assignable.
pub async fn update_status(
    db: &Db,
    org_id: i64,
    id: i64,
    name: &str,
    assignable: bool,
) -> Result<(), StoreError> {
    let r = exec_db!(db, |c| sqlx::query(
        "UPDATE connection_statuses SET name = $1, assignable = $2 WHERE org_id = $3 AND id = $4"
    )
    .bind(name)
    .bind(assignable)
    .bind(org_id)
    .bind(id));
    match r {
        Ok(0) => Err(StoreError::NotFound),
        Ok(_) => Ok(()),
        Err(e) => {
            let e = StoreError::from(e);
            Err(if e.is_unique_violation() { StoreError::Conflict("name".into()) } else { e })
        }
    }
}

// ---- API tokens ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn tokens(db: &Db, user_id: i64) -> Result<Vec<TokenRow>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_as::<_, TokenRow>(
        "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY id"
    )
    .bind(user_id)
    .fetch_all(c)
    .await)?)
}

/// Revokes one of the user's tokens. Returns its hash (for cache eviction).
pub async fn delete_token(db: &Db, user_id: i64, id: i64) -> Result<String, StoreError> {
    let hash: Option<String> = on_db!(db, |c| sqlx::query_scalar(
        "DELETE FROM api_tokens WHERE user_id = $1 AND id = $2 RETURNING token_hash"
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(c)
    .await)?;
    found(hash)
}

pub async fn create_token(
    db: &Db,
    user_id: i64,
    token_hash: &str,
    name: &str,
    now: Micros,
) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(name)
    .bind(now)
    .fetch_one(c)
    .await)?)
}

/// The active user owning a token hash.
pub async fn by_token_hash(db: &Db, token_hash: &str) -> Result<Option<UserRow>, StoreError> {
    let sql = format!(
        "SELECT {} FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = $1 AND u.active = $2",
        USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
    );
    Ok(on_db!(db, |c| sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(true)
        .fetch_optional(c)
        .await)?)
}

// ---- web sessions ----

pub async fn create_session(
    db: &Db,
    id_hash: &str,
    user_id: i64,
    csrf: &str,
    now: Micros,
    expires: Micros,
) -> Result<(), StoreError> {
    exec_db!(db, |c| {
        sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now)
    .bind(expires)
    })?;
    Ok(())
}

/// The active user of an unexpired session, with the session's CSRF token.
pub async fn by_session(
    db: &Db,
    id_hash: &str,
    now: Micros,
) -> Result<Option<(UserRow, String)>, StoreError> {
    let s: Option<(i64, String)> = on_db!(db, |c| sqlx::query_as(
        "SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND expires_at > $2"
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    let Some((user_id, csrf)) = s else { return Ok(None) };
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1 AND active = $2");
    let user = on_db!(db, |c| sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(true)
        .fetch_optional(c)
        .await)?;
    Ok(user.map(|u| (u, csrf)))
}

/// After a password change: ends the user's other sessions (all but the one whose CSRF
/// token is `keep_csrf`) and their outstanding reset links.
pub async fn password_changed(
    tx: &mut Tx,
    user_id: i64,
    keep_csrf: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND csrf_token <> $2")
        .bind(user_id)
        .bind(keep_csrf.unwrap_or("")))?;
    exec_tx!(tx, |c| sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL"
    )
    .bind(now)
    .bind(user_id))?;
    Ok(())
}

/// Ends every session of a user (deactivation).
pub async fn end_sessions(tx: &mut Tx, user_id: i64) -> Result<(), StoreError> {
    exec_tx!(tx, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id))?;
    Ok(())
}

/// The organization of a user, if the user exists.
pub async fn org_of(db: &Db, user_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT org_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(c)
        .await)?)
}

/// How many users the deployment has (any organization).
pub async fn count_all(db: &Db) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await)?)
}

/// Deletes a session; returns the user id and how many sessions that user has left.
pub async fn delete_session(db: &Db, id_hash: &str) -> Result<Option<(i64, i64)>, StoreError> {
    let user: Option<i64> =
        on_db!(db, |c| sqlx::query_scalar("DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id")
            .bind(id_hash)
            .fetch_optional(c)
            .await)?;
    let Some(user) = user else { return Ok(None) };
    let left: i64 = on_db!(db, |c| sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(user)
        .fetch_one(c)
        .await)?;
    Ok(Some((user, left)))
}

// ---- password resets ----

pub async fn create_reset(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    now: Micros,
    expires: Micros,
) -> Result<(), StoreError> {
    exec_db!(db, |c| sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires))?;
    Ok(())
}

/// Resets requested for a user since `since` (to rate-limit requests).
pub async fn recent_resets(db: &Db, user_id: i64, since: Micros) -> Result<i64, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets WHERE user_id = $1 AND created_at >= $2"
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(c)
    .await)?)
}

/// Uses a reset token once: sets the new password hash, marks the token used and ends
/// every session of the user, atomically. Returns the user id, or None for a token that
/// is unknown, used or expired.
pub async fn use_reset(
    db: &Db,
    token_hash: &str,
    password_hash: &str,
    now: Micros,
) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    let user: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id"
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(c)
    .await
    })?;
    let Some(user_id) = user else { return Ok(None) };
    exec_tx!(&mut tx, |c| sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND active = $3")
        .bind(password_hash)
        .bind(user_id)
        .bind(true))?;
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id))?;
    // The other links sent to the user end with this one.
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL"
    )
    .bind(now)
    .bind(user_id))?;
    tx.commit().await?;
    Ok(Some(user_id))
}
