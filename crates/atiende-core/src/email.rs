//! The settings of an email account (SPEC §4.4, §11.1), checked as a whole; each
//! error names its field. Passwords arrive in the sealed secrets, not the settings.
use crate::{EmailAddress, ValidationError};
use serde_json::{Map, Value};

/// Placeholders an email signature may use (filled with the replying agent's profile).
pub const SIGNATURE_PLACEHOLDERS: [&str; 5] =
    ["agent_first_name", "agent_last_name", "agent_email", "agent_phone", "agent_department"];

/// Keys of an email account's own settings.
pub const KEYS: [&str; 9] = [
    "address",
    "connection",
    "imap",
    "sending",
    "smtp",
    "blocked_senders",
    "signature",
    "contact_form_senders",
    "include_chain",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Imap { server: Server, mailbox: String },
    Forwarding,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub address: String,
    pub connection: Connection,
    /// `None`: the deployment's default sender.
    pub smtp: Option<Server>,
    /// Addresses (`ana@spam.test`) and whole domains (`@spam.test`) whose mail is dropped.
    pub blocked_senders: Vec<String>,
    pub signature: String,
    pub contact_form_senders: Vec<String>,
    pub include_chain: bool,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ValidationError {
    ValidationError::new(field, message)
}

fn string<'a>(m: &'a Map<String, Value>, key: &str, field: &str) -> Result<Option<&'a str>, ValidationError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(err(format!("{field}.{key}"), "must be a string")),
    }
}

fn server(
    settings: &Map<String, Value>,
    secrets: &Map<String, Value>,
    key: &str,
    password_required: bool,
) -> Result<Server, ValidationError> {
    let f = format!("settings.{key}");
    let m = settings
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| err(&f, "must be an object with host, port, security, username and password"))?;
    let allowed: &[&str] = if key == "imap" {
        &["host", "port", "security", "username", "mailbox"]
    } else {
        &["host", "port", "security", "username"]
    };
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(err(
            format!("{f}.{k}"),
            format!("unknown setting; expected one of: {}, password", allowed.join(", ")),
        ));
    }
    let host = string(m, "host", &f)?.map(str::trim).unwrap_or("");
    if host.is_empty()
        || host.len() > 253
        || host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@')
    {
        return Err(err(format!("{f}.host"), "must be a server name such as imap.example.com"));
    }
    let security = string(m, "security", &f)?.unwrap_or("tls");
    if !matches!(security, "none" | "starttls" | "tls") {
        return Err(err(format!("{f}.security"), "must be one of: none, starttls, tls"));
    }
    let default_port = match (key, security) {
        ("imap", "tls") => 993,
        ("imap", _) => 143,
        (_, "tls") => 465,
        _ => 587,
    };
    let port = match m.get("port") {
        None | Some(Value::Null) => default_port,
        Some(v) => v
            .as_u64()
            .filter(|p| (1..=65535).contains(p))
            .ok_or_else(|| err(format!("{f}.port"), "must be a port number from 1 to 65535"))?
            as u16,
    };
    let username = string(m, "username", &f)?.unwrap_or("").trim().to_string();
    if username.len() > 320 {
        return Err(err(format!("{f}.username"), "is too long"));
    }
    let password =
        secrets.get(key).and_then(|s| s.get("password")).and_then(Value::as_str).unwrap_or("").to_string();
    if password_required && (username.is_empty() || password.is_empty()) {
        let which = if username.is_empty() { "username" } else { "password" };
        return Err(err(format!("{f}.{which}"), "is required"));
    }
    Ok(Server { host: host.to_string(), port, security: security.to_string(), username, password })
}

fn addresses(
    settings: &Map<String, Value>,
    key: &str,
    allow_domains: bool,
) -> Result<Vec<String>, ValidationError> {
    let f = format!("settings.{key}");
    let list = match settings.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err(&f, "must be a list of email addresses")),
    };
    if list.len() > 500 {
        return Err(err(&f, "at most 500 entries"));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let ef = format!("{f}[{i}]");
        let s = v.as_str().ok_or_else(|| err(&ef, "must be an email address"))?.trim();
        if allow_domains && let Some(domain) = s.strip_prefix('@') {
            EmailAddress::parse(&format!("x@{domain}"), &ef)
                .map_err(|_| err(&ef, "must be an email address or @domain"))?;
            out.push(s.to_lowercase());
        } else {
            out.push(EmailAddress::parse(s, &ef)?.as_str().to_string());
        }
    }
    Ok(out)
}

/// Checks that every `{placeholder}` of a signature is known.
pub fn check_signature(text: &str, field: &str) -> Result<(), ValidationError> {
    crate::settings::check_placeholders_among(text, field, &SIGNATURE_PLACEHOLDERS)
}

impl EmailSettings {
    pub fn from_settings(
        settings: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<Self, ValidationError> {
        let address = string(settings, "address", "settings")?
            .ok_or_else(|| err("settings.address", "is required: the mailbox's address"))?;
        let address = EmailAddress::parse(address, "settings.address")?.as_str().to_string();
        let connection = match string(settings, "connection", "settings")? {
            Some("imap") => {
                let server = server(settings, secrets, "imap", true)?;
                let mailbox = settings["imap"]
                    .get("mailbox")
                    .map(|v| v.as_str().map(str::trim).unwrap_or(""))
                    .unwrap_or("INBOX");
                if mailbox.is_empty() || mailbox.len() > 200 || mailbox.contains(['\r', '\n', '"']) {
                    return Err(err("settings.imap.mailbox", "must be a mailbox name such as INBOX"));
                }
                Connection::Imap { server, mailbox: mailbox.to_string() }
            }
            Some("forwarding") => Connection::Forwarding,
            _ => return Err(err("settings.connection", "must be one of: imap, forwarding")),
        };
        let smtp = match string(settings, "sending", "settings")?.unwrap_or("default") {
            "default" => None,
            "smtp" => Some(server(settings, secrets, "smtp", false)?),
            _ => return Err(err("settings.sending", "must be one of: default, smtp")),
        };
        let signature = string(settings, "signature", "settings")?.unwrap_or("").to_string();
        if signature.chars().count() > 2000 {
            return Err(err("settings.signature", "at most 2000 characters"));
        }
        check_signature(&signature, "settings.signature")?;
        let include_chain = match settings.get("include_chain") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(err("settings.include_chain", "must be true or false")),
        };
        Ok(Self {
            address,
            connection,
            smtp,
            blocked_senders: addresses(settings, "blocked_senders", true)?,
            signature,
            contact_form_senders: addresses(settings, "contact_form_senders", false)?,
            include_chain,
        })
    }

    /// Mail from this sender is dropped (no ticket).
    pub fn blocks(&self, sender: &str) -> bool {
        let sender = sender.to_lowercase();
        self.blocked_senders
            .iter()
            .any(|b| if b.starts_with('@') { sender.ends_with(b.as_str()) } else { *b == sender })
    }

    /// The signature with the agent's details filled in.
    pub fn signature_for(
        &self,
        first: &str,
        last: &str,
        email: &str,
        phone: &str,
        department: &str,
    ) -> String {
        self.signature
            .replace("{agent_first_name}", first)
            .replace("{agent_last_name}", last)
            .replace("{agent_email}", email)
            .replace("{agent_phone}", phone)
            .replace("{agent_department}", department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(s: Value, sec: Value) -> Result<EmailSettings, ValidationError> {
        EmailSettings::from_settings(s.as_object().unwrap(), sec.as_object().unwrap())
    }

    #[test]
    fn imap_and_forwarding_accounts() {
        let e = check(
            json!({"address": "Soporte@Acme.test", "connection": "imap", "imap": {"host": "imap.acme.test", "username": "soporte"},
                   "blocked_senders": ["spam@x.test", "@junk.test"], "signature": "{agent_first_name} — {agent_department}", "include_chain": true}),
            json!({"imap": {"password": "pw"}}),
        )
        .unwrap();
        assert_eq!(e.address, "soporte@acme.test");
        let Connection::Imap { server, mailbox } = &e.connection else { panic!() };
        assert_eq!((server.port, server.security.as_str(), mailbox.as_str()), (993, "tls", "INBOX"));
        assert!(e.blocks("SPAM@x.test") && e.blocks("a@junk.test") && !e.blocks("a@x.test"));
        assert_eq!(e.signature_for("Ana", "Pérez", "a@b.c", "1", "Ventas"), "Ana — Ventas");
        let f = check(json!({"address": "a@acme.test", "connection": "forwarding", "sending": "smtp", "smtp": {"host": "smtp.acme.test", "port": 587, "security": "starttls"}}), json!({})).unwrap();
        assert_eq!(f.connection, Connection::Forwarding);
        assert_eq!(f.smtp.unwrap().port, 587);
    }

    #[test]
    fn each_bad_setting_is_named() {
        let field = |s: Value, sec: Value| check(s, sec).unwrap_err().field;
        assert_eq!(field(json!({"connection": "imap"}), json!({})), "settings.address");
        assert_eq!(
            field(json!({"address": "nope", "connection": "forwarding"}), json!({})),
            "settings.address"
        );
        assert_eq!(
            field(json!({"address": "a@b.test", "connection": "pop3"}), json!({})),
            "settings.connection"
        );
        assert_eq!(field(json!({"address": "a@b.test", "connection": "imap"}), json!({})), "settings.imap");
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "imap", "imap": {"host": "h.test", "username": "u"}}),
                json!({})
            ),
            "settings.imap.password"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "imap", "imap": {"host": "h.test", "port": 70000, "username": "u"}}),
                json!({"imap": {"password": "p"}})
            ),
            "settings.imap.port"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "imap", "imap": {"host": "h.test", "security": "ssl", "username": "u"}}),
                json!({"imap": {"password": "p"}})
            ),
            "settings.imap.security"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "imap", "imap": {"host": "", "username": "u"}}),
                json!({"imap": {"password": "p"}})
            ),
            "settings.imap.host"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "forwarding", "sending": "carrier-pigeon"}),
                json!({})
            ),
            "settings.sending"
        );
        assert_eq!(
            field(json!({"address": "a@b.test", "connection": "forwarding", "sending": "smtp"}), json!({})),
            "settings.smtp"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "forwarding", "blocked_senders": ["ok@x.test", "bad"]}),
                json!({})
            ),
            "settings.blocked_senders[1]"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "forwarding", "contact_form_senders": ["@x.test"]}),
                json!({})
            ),
            "settings.contact_form_senders[0]"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "forwarding", "signature": "{agent_name}"}),
                json!({})
            ),
            "settings.signature"
        );
        assert_eq!(
            field(
                json!({"address": "a@b.test", "connection": "forwarding", "include_chain": "yes"}),
                json!({})
            ),
            "settings.include_chain"
        );
    }
}
