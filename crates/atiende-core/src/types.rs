//! Validated value types. Every external input becomes one of these at the edge.
use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// Declares a closed set of names stored as text, with `as_str` and a parse that
/// names the offending field.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $( #[serde(rename = $text)] $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Parses the stored/wire name; `field` names the input in the error.
            pub fn parse(text: &str, field: &str) -> Result<Self, ValidationError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ValidationError::new(field, format!(
                        "must be one of: {}", [$($text),+].join(", ")))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Rows decode their text column through this (a stored name is one we wrote).
        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(text: String) -> Result<Self, ValidationError> {
                Self::parse(&text, stringify!($name))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

text_enum!(
    /// What a user may do (SPEC §2). A user may hold several.
    Role { Admin = "admin", Agent = "agent", Analyst = "analyst" }
);
text_enum!(
    /// Ticket state (SPEC §5).
    TicketState { Open = "open", Closed = "closed", Ignored = "ignored" }
);
text_enum!(Direction { In = "in", Out = "out" });
text_enum!(
    /// Who wrote a message.
    AuthorKind { Client = "client", Agent = "agent", Automatic = "automatic", Note = "note" }
);
text_enum!(
    /// Delivery state of an outbound message.
    Delivery { Pending = "pending", Sent = "sent", Failed = "failed" }
);
text_enum!(
    /// Channel kinds (SPEC §3).
    ChannelKind {
        Email = "email", Chat = "chat", Whatsapp = "whatsapp", Facebook = "facebook",
        Instagram = "instagram", Twitter = "twitter", TwitterSearch = "twitter_search",
        Appstore = "appstore", Playstore = "playstore", Api = "api",
    }
);
text_enum!(Language { Es = "es", En = "en" });
text_enum!(
    /// Account connection state.
    AccountStatus { Active = "active", NeedsReconnection = "needs_reconnection", NotValidated = "not_validated" }
);
text_enum!(
    /// Per-account agent mode (SPEC §7).
    AgentMode { Disabled = "disabled", Manual = "manual", Auto = "auto" }
);

/// A set of roles, stored as a comma-separated list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Self {
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        Self(roles)
    }
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
    pub fn to_db(&self) -> String {
        self.0.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
    /// Stored text is trusted; unknown names are skipped rather than failing a read.
    pub fn from_db(text: &str) -> Self {
        Self::new(text.split(',').filter_map(|t| Role::parse(t.trim(), "roles").ok()).collect())
    }
    pub fn parse_list(items: &[String], field: &str) -> Result<Self, ValidationError> {
        if items.is_empty() {
            return Err(ValidationError::new(field, "at least one role is required"));
        }
        let roles = items.iter().map(|t| Role::parse(t, field)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(roles))
    }
}

/// A syntactically valid email address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str, field: &str) -> Result<Self, ValidationError> {
        // Checked as stored: lower-casing can change characters (`İ` becomes `i` and a
        // combining dot), and what is stored must parse again to itself.
        let lowered = text.trim().to_lowercase();
        let t = lowered.as_str();
        let bad = || ValidationError::new(field, "must be an email address like name@example.com");
        if t.len() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = t.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') || domain.len() < 3 {
            return Err(bad());
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !labels_ok || !domain.contains('.') {
            return Err(bad());
        }
        Ok(Self(lowered))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Ticket priority 0 (default) to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Priority(u8);

impl Priority {
    pub const MAX: u8 = 5;
    pub fn new(value: i64, field: &str) -> Result<Self, ValidationError> {
        if (0..=Self::MAX as i64).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(ValidationError::new(field, "must be an integer from 0 to 5"))
        }
    }
    pub fn get(self) -> i64 {
        self.0 as i64
    }
}

/// A required, trimmed, bounded piece of text.
pub fn required_text(text: &str, field: &str, max_chars: usize) -> Result<String, ValidationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    bounded_text(t, field, max_chars).map(str::to_string)
}

/// Characters that reorder or hide what follows them (bidirectional overrides, isolates and
/// marks): in a name they make "gpj.exe" read as "exe.jpg" or one agent look like another.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name people read in lists (accounts, users, statuses, schedules, tokens, columns):
/// required, bounded, on one line, without control characters or bidirectional controls.
pub fn name_text(text: &str, field: &str, max_chars: usize) -> Result<String, ValidationError> {
    let t = required_text(text, field, max_chars)?;
    check_name_chars(&t, field)?;
    Ok(t)
}

/// The characters of a name, when the name may be empty (a last name, a department).
pub fn check_name_chars(text: &str, field: &str) -> Result<(), ValidationError> {
    if text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(ValidationError::new(field, "must not contain control or text-direction characters"));
    }
    Ok(())
}

/// Text no longer than `max_chars` characters (not trimmed).
pub fn bounded_text<'a>(text: &'a str, field: &str, max_chars: usize) -> Result<&'a str, ValidationError> {
    if text.chars().count() > max_chars {
        return Err(ValidationError::new(field, format!("must be at most {max_chars} characters")));
    }
    if text.chars().any(|c| c == '\0') {
        return Err(ValidationError::new(field, "must not contain NUL characters"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_their_names_and_reject_others() {
        for s in TicketState::ALL {
            assert_eq!(TicketState::parse(s.as_str(), "state").unwrap(), *s);
        }
        let e = TicketState::parse("pending", "state").unwrap_err();
        assert_eq!(e.field, "state");
        assert!(e.message.contains("open"));
    }

    #[test]
    fn roles_round_trip_and_dedupe() {
        let r = Roles::parse_list(&["agent".into(), "admin".into(), "agent".into()], "roles").unwrap();
        assert_eq!(r.to_db(), "admin,agent");
        assert_eq!(Roles::from_db("admin,agent"), r);
        assert!(Roles::parse_list(&[], "roles").is_err());
        assert!(Roles::parse_list(&["boss".into()], "roles").is_err());
    }

    #[test]
    fn email_addresses_are_checked() {
        assert_eq!(EmailAddress::parse(" Ana@Example.COM ", "email").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@x.com", "a b@x.com", "ana@localhost", "ana@-x.com"] {
            assert!(EmailAddress::parse(bad, "email").is_err(), "{bad}");
        }
    }

    #[test]
    fn priority_is_bounded() {
        assert_eq!(Priority::new(5, "p").unwrap().get(), 5);
        assert!(Priority::new(6, "p").is_err());
        assert!(Priority::new(-1, "p").is_err());
    }

    #[test]
    fn a_parsed_address_parses_again_to_itself() {
        // Found by the fuzzer: `İ` lower-cases to `i` + U+0307, which no domain label holds.
        assert!(EmailAddress::parse("e@\u{130}.\u{6f0}", "f").is_err());
        for text in
            ["Ana@Example.COM", "ñandú@correo.cl", "x@b\u{130}g.test", "ANA.PEREZ+tag@SUB.example.org"]
        {
            if let Ok(a) = EmailAddress::parse(text, "f") {
                assert_eq!(EmailAddress::parse(a.as_str(), "f").unwrap(), a, "{text}");
            }
        }
    }

    #[test]
    fn text_bounds() {
        assert!(required_text("  ", "text", 10).is_err());
        assert_eq!(required_text(" hola ", "text", 10).unwrap(), "hola");
        assert!(bounded_text("ñññ", "t", 2).is_err());
        assert!(bounded_text("a\0b", "t", 10).is_err());
    }
}
