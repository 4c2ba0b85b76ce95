//! The settings common to every account (SPEC §4, §11.1), checked as a whole. Each error
//! names the offending field, e.g. `settings.auto_actions.new_client.texts[1]`.
use crate::keywords::Keywords;
use crate::sla::Sla;
use crate::{EmailAddress, ValidationError};
use serde_json::{Map, Value};

/// The automatic replies that take texts (SPEC §4.2, actions 2–7).
pub const REPLY_ACTIONS: [&str; 6] =
    ["new_client", "no_agent", "out_of_hours", "on_creation", "on_manual_close", "on_auto_close"];
/// Placeholders automatic texts may use.
pub const PLACEHOLDERS: [&str; 4] = ["client_name", "agent_name", "ticket_number", "company_name"];
/// Auto close: from 1 minute to 30 days.
pub const CLOSE_AFTER_MIN: i64 = 60;
pub const CLOSE_AFTER_MAX: i64 = 30 * 24 * 3600;

fn err(field: impl Into<String>, message: impl Into<String>) -> ValidationError {
    ValidationError::new(field, message)
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, ValidationError> {
    v.as_object().ok_or_else(|| err(field, "must be an object"))
}

fn known_keys(m: &Map<String, Value>, field: &str, keys: &[&str]) -> Result<(), ValidationError> {
    match m.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => {
            Err(err(format!("{field}.{k}"), format!("unknown setting; expected one of: {}", keys.join(", "))))
        }
        None => Ok(()),
    }
}

fn boolean(m: &Map<String, Value>, field: &str, key: &str) -> Result<(), ValidationError> {
    match m.get(key) {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(err(format!("{field}.{key}"), "must be true or false")),
    }
}

/// Checks that every `{placeholder}` in `text` is a known one.
pub fn check_placeholders(text: &str, field: &str) -> Result<(), ValidationError> {
    check_placeholders_among(text, field, &PLACEHOLDERS)
}

/// Checks that every `{placeholder}` in `text` is one of `known`.
pub fn check_placeholders_among(text: &str, field: &str, known: &[&str]) -> Result<(), ValidationError> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { return Err(err(field, "a { is not closed")) };
        let name = &after[..close];
        if !known.contains(&name) {
            return Err(err(
                field,
                format!(
                    "unknown placeholder {{{name}}}; use {}",
                    known.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn auto_actions(v: &Value) -> Result<(), ValidationError> {
    let base = "settings.auto_actions";
    let m = object(v, base)?;
    let mut keys = vec!["close_if_no_reply"];
    keys.extend(REPLY_ACTIONS);
    known_keys(m, base, &keys)?;
    if let Some(c) = m.get("close_if_no_reply") {
        let f = format!("{base}.close_if_no_reply");
        let c = object(c, &f)?;
        known_keys(c, &f, &["enabled", "after_seconds"])?;
        boolean(c, &f, "enabled")?;
        let enabled = c.get("enabled").and_then(Value::as_bool).unwrap_or(false);
        match c.get("after_seconds") {
            None if !enabled => {}
            Some(s) if s.as_i64().is_some_and(|s| (CLOSE_AFTER_MIN..=CLOSE_AFTER_MAX).contains(&s)) => {}
            _ => {
                return Err(err(
                    format!("{f}.after_seconds"),
                    "must be from 60 (1 minute) to 2592000 (30 days)",
                ));
            }
        }
    }
    for action in REPLY_ACTIONS {
        let Some(a) = m.get(action) else { continue };
        let f = format!("{base}.{action}");
        let a = object(a, &f)?;
        known_keys(a, &f, &["enabled", "texts"])?;
        boolean(a, &f, "enabled")?;
        let enabled = a.get("enabled").and_then(Value::as_bool).unwrap_or(false);
        let texts = match a.get("texts") {
            None => &Vec::new(),
            Some(Value::Array(t)) => t,
            Some(_) => return Err(err(format!("{f}.texts"), "must be a list of 1 to 3 texts")),
        };
        if texts.len() > 3 || (enabled && texts.is_empty()) {
            return Err(err(format!("{f}.texts"), "must hold 1 to 3 texts"));
        }
        for (i, t) in texts.iter().enumerate() {
            let tf = format!("{f}.texts[{i}]");
            let s = t.as_str().ok_or_else(|| err(&tf, "must be a text"))?;
            if s.trim().is_empty() {
                return Err(err(&tf, "must not be empty"));
            }
            if s.chars().count() > 2000 {
                return Err(err(&tf, "must be at most 2000 characters"));
            }
            check_placeholders(s, &tf)?;
        }
    }
    Ok(())
}

fn general(v: &Value) -> Result<(), ValidationError> {
    let base = "settings.general";
    let m = object(v, base)?;
    known_keys(m, base, &["important_keywords", "notifications", "create_ignored", "admins_only_posts"])?;
    boolean(m, base, "create_ignored")?;
    boolean(m, base, "admins_only_posts")?;
    if let Some(n) = m.get("notifications") {
        let f = format!("{base}.notifications");
        let n = object(n, &f)?;
        known_keys(n, &f, &["mode", "emails"])?;
        let mode = n.get("mode").and_then(Value::as_str).unwrap_or("off");
        if !["off", "important", "all"].contains(&mode) {
            return Err(err(format!("{f}.mode"), "must be one of: off, important, all"));
        }
        let emails = match n.get("emails") {
            None => &Vec::new(),
            Some(Value::Array(e)) => e,
            Some(_) => return Err(err(format!("{f}.emails"), "must be a list of email addresses")),
        };
        if mode != "off" && emails.is_empty() {
            return Err(err(format!("{f}.emails"), "give at least one address to notify"));
        }
        if emails.len() > 20 {
            return Err(err(format!("{f}.emails"), "at most 20 addresses"));
        }
        for (i, e) in emails.iter().enumerate() {
            let ef = format!("{f}.emails[{i}]");
            EmailAddress::parse(e.as_str().ok_or_else(|| err(&ef, "must be an email address"))?, &ef)?;
        }
    }
    Ok(())
}

fn assignment(v: &Value) -> Result<(), ValidationError> {
    let base = "settings.assignment";
    let m = object(v, base)?;
    known_keys(m, base, &["mode", "prioritize_relationship"])?;
    boolean(m, base, "prioritize_relationship")?;
    match m.get("mode").map(|v| v.as_str()) {
        None | Some(Some("arrival_order" | "awaiting_answer")) => Ok(()),
        _ => Err(err(format!("{base}.mode"), "must be one of: arrival_order, awaiting_answer")),
    }
}

/// Checks the common settings (the channel's own settings are checked by its adapter).
pub fn check_common(settings: &Value) -> Result<(), ValidationError> {
    Sla::from_settings(settings)?;
    Keywords::from_settings(settings)?;
    if let Some(v) = settings.get("auto_actions").filter(|v| !v.is_null()) {
        auto_actions(v)?;
    }
    if let Some(v) = settings.get("general").filter(|v| !v.is_null()) {
        general(v)?;
    }
    if let Some(v) = settings.get("assignment").filter(|v| !v.is_null()) {
        assignment(v)?;
    }
    Ok(())
}

/// An account's settings document as stored: checked in full when it was saved
/// ([`check_common`] and the kind's own checks), read once when its row is, and asked for
/// its parts through one set of accessors — so every reader falls back the same way when
/// a part is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSettings(Value);

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings(Value::Object(Map::new()))
    }
}

impl AccountSettings {
    /// A settings document; anything but an object reads as no settings.
    pub fn new(v: Value) -> Self {
        if v.is_object() { AccountSettings(v) } else { Self::default() }
    }
    /// The whole document (the API shows it; adapters read their own keys from it).
    pub fn json(&self) -> &Value {
        &self.0
    }
    pub fn object(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.0.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }
    pub fn into_json(self) -> Value {
        self.0
    }
    /// The SLA, if one is set (SPEC §4.1).
    pub fn sla(&self) -> Option<Sla> {
        Sla::from_settings(&self.0).ok().flatten()
    }
    /// The automatic actions (SPEC §4.2).
    pub fn auto_actions(&self) -> crate::autoreply::AutoActions {
        crate::autoreply::AutoActions::from_settings(&self.0)
    }
    /// New tickets start ignored (SPEC §4.3).
    pub fn create_ignored(&self) -> bool {
        self.0["general"]["create_ignored"].as_bool().unwrap_or(false)
    }
    /// The business hours' schedule (SPEC §6); none: always inside hours.
    pub fn schedule_id(&self) -> Option<i64> {
        self.0["schedule_id"].as_i64()
    }
}

impl TryFrom<String> for AccountSettings {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, ValidationError> {
        serde_json::from_str(&text).map(AccountSettings::new).map_err(|e| err("settings", e.to_string()))
    }
}

impl std::fmt::Display for AccountSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(v: Value) -> String {
        check_common(&v).unwrap_err().field
    }

    #[test]
    fn a_full_valid_settings_document_passes() {
        check_common(&json!({
            "sla": {"amount": 30, "unit": "minutes"},
            "auto_actions": {
                "close_if_no_reply": {"enabled": true, "after_seconds": 3600},
                "new_client": {"enabled": true, "texts": ["Hola {client_name}, soy {agent_name} de {company_name}", "Bienvenido"]},
                "out_of_hours": {"enabled": false, "texts": []},
                "on_manual_close": {"enabled": true, "texts": ["Cerramos el ticket #{ticket_number}"]}
            },
            "general": {"important_keywords": ["urgente"], "notifications": {"mode": "important", "emails": ["jefe@acme.test"]},
                "create_ignored": false, "admins_only_posts": true},
            "assignment": {"mode": "awaiting_answer", "prioritize_relationship": true},
            "schedule_id": 3,
            "webhook_url": "http://x"
        }))
        .unwrap();
        check_common(&json!({})).unwrap();
    }

    #[test]
    fn each_bad_setting_is_named() {
        assert_eq!(
            field(json!({"auto_actions": {"close_if_no_reply": {"enabled": true, "after_seconds": 59}}})),
            "settings.auto_actions.close_if_no_reply.after_seconds"
        );
        assert_eq!(
            field(json!({"auto_actions": {"close_if_no_reply": {"enabled": true}}})),
            "settings.auto_actions.close_if_no_reply.after_seconds"
        );
        assert_eq!(
            field(
                json!({"auto_actions": {"close_if_no_reply": {"enabled": true, "after_seconds": 2_592_001}}})
            ),
            "settings.auto_actions.close_if_no_reply.after_seconds"
        );
        assert_eq!(
            field(json!({"auto_actions": {"new_client": {"enabled": true, "texts": []}}})),
            "settings.auto_actions.new_client.texts"
        );
        assert_eq!(
            field(json!({"auto_actions": {"new_client": {"enabled": true, "texts": ["a", "b", "c", "d"]}}})),
            "settings.auto_actions.new_client.texts"
        );
        assert_eq!(
            field(json!({"auto_actions": {"no_agent": {"enabled": true, "texts": ["ok", "  "]}}})),
            "settings.auto_actions.no_agent.texts[1]"
        );
        assert_eq!(
            field(json!({"auto_actions": {"no_agent": {"enabled": true, "texts": ["Hola {nombre}"]}}})),
            "settings.auto_actions.no_agent.texts[0]"
        );
        assert_eq!(
            field(json!({"auto_actions": {"no_agent": {"enabled": "yes"}}})),
            "settings.auto_actions.no_agent.enabled"
        );
        assert_eq!(field(json!({"auto_actions": {"on_fire": {}}})), "settings.auto_actions.on_fire");
        assert_eq!(
            field(json!({"general": {"notifications": {"mode": "some"}}})),
            "settings.general.notifications.mode"
        );
        assert_eq!(
            field(json!({"general": {"notifications": {"mode": "all", "emails": []}}})),
            "settings.general.notifications.emails"
        );
        assert_eq!(
            field(json!({"general": {"notifications": {"mode": "all", "emails": ["a@b.test", "nope"]}}})),
            "settings.general.notifications.emails[1]"
        );
        assert_eq!(field(json!({"general": {"create_ignored": "no"}})), "settings.general.create_ignored");
        assert_eq!(field(json!({"general": {"colour": 1}})), "settings.general.colour");
        assert_eq!(field(json!({"assignment": {"mode": "random"}})), "settings.assignment.mode");
        assert_eq!(field(json!({"sla": {"amount": 1, "unit": "weeks"}})), "settings.sla.unit");
    }

    #[test]
    fn placeholders() {
        check_placeholders("Hola {client_name}, ticket #{ticket_number}", "f").unwrap();
        assert!(check_placeholders("Hola {client}", "f").unwrap_err().message.contains("{client}"));
        assert!(check_placeholders("Hola {client_name", "f").is_err());
    }
}
