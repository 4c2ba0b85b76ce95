//! Accounts: creation and settings, with secrets split out, sealed and never returned.
use crate::auth::Actor;
use crate::channels::{self, Channel};
use crate::{App, AppError};
use atiende_core::ChannelKind;
use atiende_store::accounts::{self, AccountRow};
use serde_json::{Map, Value, json};

/// Setting names whose values are credentials: stored sealed, write-only in the API.
pub const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "webhook_secret",
    "access_token",
    "app_secret",
    "api_key",
    "token",
    "private_key",
];

/// An account as the API shows it: settings without secrets, and which secrets are set.
pub fn to_json(app: &App, a: &AccountRow) -> Value {
    let settings: Value = a.settings.json().clone();
    let mut present = Vec::new();
    if let Ok(secrets) = open_secrets(app, a) {
        secret_paths(&secrets, "", &mut present);
    }
    let mut out = json!({
        "id": a.id,
        "kind": a.kind,
        "name": a.name,
        "settings": settings,
        "secrets_set": present,
        "status": a.status,
        "status_reason": a.status_reason,
        "forwarding_address": Value::Null,
        "created_at": atiende_core::time::rfc3339(a.created_at),
        "updated_at": atiende_core::time::rfc3339(a.updated_at),
    });
    if let Some(channel) = channels::adapter(a.kind) {
        channel.describe(app, a, &mut out);
    }
    out
}

fn secret_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            if v.is_object() { secret_paths(v, &path, out) } else { out.push(path) }
        }
    }
}

/// The decrypted secrets of an account (an object; empty when none are set).
pub fn open_secrets(app: &App, a: &AccountRow) -> Result<Value, AppError> {
    match &a.secrets {
        None => Ok(json!({})),
        Some(sealed) => {
            let plain = app.sealer.open(sealed)?;
            serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))
        }
    }
}

/// Moves every secret-named string out of `settings` into a parallel object.
fn split_secrets(settings: &mut Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut secrets = Map::new();
    let names: Vec<String> = settings.keys().cloned().collect();
    for k in names {
        if keys.contains(&k.as_str()) && (settings[&k].is_string() || settings[&k].is_null()) {
            if let Some(v) = settings.remove(&k) {
                secrets.insert(k, v);
            }
        } else if let Some(Value::Object(inner)) = settings.get_mut(&k) {
            let s = split_secrets(inner, keys);
            if !s.is_empty() {
                secrets.insert(k, Value::Object(s));
            }
        }
    }
    secrets
}

/// JSON merge patch (RFC 7396): objects merge, `null` removes, anything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Checks the settings common to every kind (SLA, automatic actions, general options,
/// assignment), then those of the kind through its adapter.
fn validate(
    app: &App,
    channel: &dyn Channel,
    settings: &Map<String, Value>,
    secrets: &Map<String, Value>,
) -> Result<(), AppError> {
    atiende_core::settings::check_common(&Value::Object(settings.clone()))?;
    channel.check_settings(app, settings, secrets)
}

/// Settings that name other objects of the organization must name existing ones:
/// `schedule_id` (business hours, SPEC §6; `null` or absent: always inside hours) and a
/// chat's `contact_account_id` (an email account of the organization).
async fn check_references(app: &App, org_id: i64, settings: &Map<String, Value>) -> Result<(), AppError> {
    if let Some(id) = settings.get("contact_account_id").and_then(Value::as_i64) {
        let field = "settings.contact_account_id";
        match accounts::get(&app.db, org_id, id).await {
            Ok(a) if a.kind == ChannelKind::Email => {}
            Ok(_) => return Err(AppError::invalid(field, "must be an email account")),
            Err(atiende_store::StoreError::NotFound) => {
                return Err(AppError::invalid(field, "no such account in this organization"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    match settings.get("schedule_id") {
        None | Some(Value::Null) => Ok(()),
        Some(v) => {
            let id = v
                .as_i64()
                .ok_or_else(|| AppError::invalid("settings.schedule_id", "must be a schedule id or null"))?;
            match atiende_store::schedules::get(&app.db, org_id, id).await {
                Ok(_) => Ok(()),
                Err(atiende_store::StoreError::NotFound) => {
                    Err(AppError::invalid("settings.schedule_id", "no such schedule in this organization"))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn name(name: &str) -> Result<String, AppError> {
    Ok(atiende_core::name_text(name, "name", 120)?)
}

pub async fn create(
    app: &App,
    actor: &Actor,
    kind: &str,
    account_name: &str,
    settings: Value,
) -> Result<AccountRow, AppError> {
    actor.require_admin()?;
    let kind = ChannelKind::parse(kind, "kind")?;
    let channel = channels::adapter(kind.as_str()).ok_or_else(|| {
        AppError::invalid("kind", format!("the {kind} channel is not available in this version yet"))
    })?;
    let account_name = name(account_name)?;
    let Value::Object(mut settings) = settings else {
        return Err(AppError::invalid("settings", "must be an object"));
    };
    let secrets = split_secrets(&mut settings, channel.secret_keys());
    validate(app, channel, &settings, &secrets)?;
    check_references(app, actor.org_id, &settings).await?;
    let status = channel.initial_status(&settings);
    let sealed = if secrets.is_empty() {
        None
    } else {
        Some(app.sealer.seal(Value::Object(secrets).to_string().as_bytes())?)
    };
    let id = accounts::create(
        &app.db,
        actor.org_id,
        kind.as_str(),
        &account_name,
        &Value::Object(settings).to_string(),
        sealed.as_deref(),
        status.as_str(),
        app.now(),
    )
    .await?;
    let a = accounts::get(&app.db, actor.org_id, id).await?;
    channel.account_changed(app, &a, None).await?;
    app.listeners_wake.notify_one();
    Ok(accounts::get(&app.db, actor.org_id, id).await?)
}

/// Updates the name and merges `patch` into the settings (and sealed secrets).
pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    new_name: Option<&str>,
    patch: Option<Value>,
) -> Result<AccountRow, AppError> {
    actor.require_admin()?;
    let a = accounts::get(&app.db, actor.org_id, id).await?;
    let channel = channels::of(&a)?;
    let account_name = match new_name {
        Some(n) => name(n)?,
        None => a.name.clone(),
    };
    let mut settings: Value = a.settings.json().clone();
    let before = settings.clone();
    let mut secrets = open_secrets(app, &a)?;
    if let Some(patch) = patch {
        let Value::Object(mut patch) = patch else {
            return Err(AppError::invalid("settings", "must be an object"));
        };
        let secret_patch = split_secrets(&mut patch, channel.secret_keys());
        merge(&mut settings, &Value::Object(patch));
        merge(&mut secrets, &Value::Object(secret_patch));
    }
    let (Value::Object(s), Value::Object(sec)) = (&settings, &secrets) else {
        return Err(AppError::invalid("settings", "must be an object"));
    };
    validate(app, channel, s, sec)?;
    check_references(app, actor.org_id, s).await?;
    let sealed = if sec.is_empty() { None } else { Some(app.sealer.seal(secrets.to_string().as_bytes())?) };
    accounts::update(
        &app.db,
        actor.org_id,
        id,
        &account_name,
        &settings.to_string(),
        sealed.as_deref(),
        app.now(),
    )
    .await?;
    app.account_cache.clear();
    let changed = accounts::get(&app.db, actor.org_id, id).await?;
    channel.account_changed(app, &changed, Some(&before)).await?;
    app.listeners_wake.notify_one();
    crate::automation::settings_changed(app, id, &before, &settings).await?;
    Ok(accounts::get(&app.db, actor.org_id, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_split_at_any_depth() {
        let mut s = json!({"webhook_url": "http://x", "webhook_secret": "s3", "imap": {"host": "h", "password": "p"}});
        let Value::Object(m) = &mut s else { unreachable!() };
        let secrets = split_secrets(m, SECRET_KEYS);
        assert_eq!(Value::Object(secrets), json!({"webhook_secret": "s3", "imap": {"password": "p"}}));
        assert_eq!(s, json!({"webhook_url": "http://x", "imap": {"host": "h"}}));
    }

    #[test]
    fn merge_patch_follows_rfc7396() {
        let mut t = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut t, &json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(t, json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}

/// An account of the actor's organization, through the short-lived cache (inbound path).
pub async fn cached(app: &App, org_id: i64, id: i64) -> Result<AccountRow, AppError> {
    if let Some(a) = app.account_cache.get(&id) {
        return if a.org_id == org_id { Ok(a) } else { Err(AppError::NotFound) };
    }
    let a = accounts::get(&app.db, org_id, id).await?;
    app.account_cache.put(id, a.clone());
    Ok(a)
}
