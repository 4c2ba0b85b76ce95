//! The web chat channel's rules (SPEC §4.4, §11.2): its settings, the origins a widget may
//! run on, and what a visitor gives (RUT, phone, email).
use crate::ValidationError;
use crate::types::EmailAddress;
use serde_json::{Map, Value};

/// Boolean options of the widget (SPEC §4.4 in snake_case).
pub const FLAGS: &[&str] = &[
    "hide",
    "sound",
    "position_left",
    "long_button",
    "write_as_company",
    "anonymous_visitors",
    "email_as_identifier",
    "ask_rut",
    "ask_phone",
    "ask_email",
    "ask_name",
    "open_on_load",
    "reply_from_notification",
    "welcome_message",
    "welcome_in_started",
    "contact_form",
    "login_google",
    "login_facebook",
    "social_login_only",
];

/// Whole-number options, each with its smallest and largest value.
pub const NUMBERS: &[(&str, i64, i64)] = &[
    ("open_on_load_delay", 0, 600),
    ("notification_messages", 1, 3),
    ("welcome_delay", 0, 600),
    ("welcome_repeat_minutes", 0, 43_200),
];

/// Options naming the devices something happens on: a list of `mobile` and `desktop`.
pub const DEVICES: &[&str] = &["open_on_load_devices", "welcome_devices"];

/// Texts of the widget, each with its longest length.
pub const TEXTS: &[(&str, usize)] = &[
    ("chat_name", 60),
    ("long_button_text", 20),
    ("identification_message", 500),
    ("conversation_header", 120),
    ("welcome_text", 500),
    ("welcome_author", 60),
    ("contact_title", 120),
    ("contact_description", 500),
    ("contact_success", 200),
    ("contact_error", 200),
];

/// The host (and port, when one is given) a widget may run on, from what an admin typed:
/// `shop.example`, `https://shop.example/`, `shop.example:8443`.
pub fn normalize_domain(text: &str, field: &str) -> Result<String, ValidationError> {
    let bad = || ValidationError::new(field, "must be a domain like shop.example (optionally with :port)");
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://")).unwrap_or(&t);
    let t = t.trim_end_matches('/');
    if t.is_empty() || t.len() > 253 || t.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad());
    }
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (t, None),
    };
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
        return Err(bad());
    }
    let labels_ok = host.split('.').all(|l| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !labels_ok {
        return Err(bad());
    }
    Ok(t.to_string())
}

/// Whether a request's `Origin` header (`scheme://host[:port]`) is the widget's domain: the
/// same host, and the same port when the domain names one.
pub fn origin_allowed(origin: &str, domain: &str) -> bool {
    let Some((scheme, rest)) = origin.trim().split_once("://") else { return false };
    if !matches!(scheme, "http" | "https") {
        return false;
    }
    let rest = rest.trim_end_matches('/').to_ascii_lowercase();
    if domain.contains(':') {
        return rest == domain;
    }
    let host = rest.rsplit_once(':').map_or(rest.as_str(), |(h, _)| h);
    host == domain
}

/// A colour as `#rrggbb`.
pub fn check_color(text: &str, field: &str) -> Result<String, ValidationError> {
    let t = text.trim();
    let ok = t.len() == 7 && t.starts_with('#') && t[1..].chars().all(|c| c.is_ascii_hexdigit());
    if !ok {
        return Err(ValidationError::new(field, "must be a colour like #1a73e8"));
    }
    Ok(t.to_ascii_lowercase())
}

/// The WCAG 2.1 contrast ratio of two `#rrggbb` colours (1 to 21), `None` if one is not a
/// colour. Text under 4.5:1 is hard to read.
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    fn luminance(c: &str) -> Option<f64> {
        let c = check_color(c, "").ok()?;
        let ch = |i: usize| {
            let v = u8::from_str_radix(&c[i..i + 2], 16).unwrap_or(0) as f64 / 255.0;
            if v <= 0.03928 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        };
        Some(0.2126 * ch(1) + 0.7152 * ch(3) + 0.0722 * ch(5))
    }
    let (x, y) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// A short description of a browser from its `User-Agent`: `Chrome 131 · Windows`
/// (the raw text, cut, when it is not one of the common browsers).
pub fn browser_summary(user_agent: &str) -> String {
    let ua = user_agent.trim();
    let major = |token: &str| {
        ua.find(token)
            .map(|i| ua[i + token.len()..].chars().take_while(char::is_ascii_digit).collect::<String>())
    };
    let browser = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome")]
        .iter()
        .find_map(|(token, name)| major(token).map(|v| format!("{name} {v}")))
        .or_else(|| {
            ua.contains("Safari/").then(|| major("Version/").map(|v| format!("Safari {v}"))).flatten()
        });
    let os = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{} · {o}", b.trim()),
        (Some(b), None) => b.trim().to_string(),
        _ => ua.chars().take(80).collect(),
    }
}

/// A Chilean RUT (`12.345.678-5`, `12345678-5`, `123456785`): the check digit (modulo 11,
/// `K` for 10) must match. Returns it as `12345678-5`.
pub fn check_rut(text: &str, field: &str) -> Result<String, ValidationError> {
    let clean: String =
        text.chars().filter(|c| !matches!(c, '.' | '-' | ' ')).collect::<String>().to_ascii_uppercase();
    let bad = |m: &str| ValidationError::new(field, m);
    if clean.len() < 2 || clean.len() > 9 {
        return Err(bad("must be a RUT like 12.345.678-5"));
    }
    let (body, dv) = clean.split_at(clean.len() - 1);
    if !body.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad("must be a RUT like 12.345.678-5"));
    }
    let mut sum = 0u32;
    for (i, d) in body.chars().rev().enumerate() {
        sum += d.to_digit(10).unwrap_or(0) * (2 + (i as u32 % 6));
    }
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        n => char::from_digit(n, 10).unwrap_or('0'),
    };
    if !dv.starts_with(expected) {
        return Err(bad("has a wrong check digit"));
    }
    Ok(format!("{}-{dv}", body.trim_start_matches('0')))
}

/// A phone number in E.164 (`+56912345678`; spaces, dashes and parentheses are ignored).
pub fn check_phone(text: &str, field: &str) -> Result<String, ValidationError> {
    let clean: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    let digits = clean.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if !ok {
        return Err(ValidationError::new(
            field,
            "must be a phone number with its country code, like +56912345678",
        ));
    }
    Ok(clean)
}

/// Checks a chat account's settings in place (values normalized); errors name the field.
pub fn check_settings(settings: &mut Map<String, Value>) -> Result<(), ValidationError> {
    let domain = settings
        .get("domain")
        .and_then(Value::as_str)
        .ok_or_else(|| ValidationError::new("settings.domain", "is required: the site the widget runs on"))?;
    let domain = normalize_domain(domain, "settings.domain")?;
    settings.insert("domain".into(), Value::String(domain));
    for flag in FLAGS {
        if let Some(v) = settings.get(*flag)
            && !v.is_boolean()
        {
            return Err(ValidationError::new(format!("settings.{flag}"), "must be true or false"));
        }
    }
    for (key, max) in TEXTS {
        if let Some(v) = settings.get(*key) {
            let field = format!("settings.{key}");
            let t = v.as_str().ok_or_else(|| ValidationError::new(&field, "must be a string"))?;
            crate::bounded_text(t, &field, *max)?;
            crate::check_name_chars(t, &field)?;
        }
    }
    for key in ["main_color", "text_color"] {
        if let Some(v) = settings.get(key) {
            let field = format!("settings.{key}");
            let c = check_color(v.as_str().unwrap_or(""), &field)?;
            settings.insert(key.into(), Value::String(c));
        }
    }
    for (key, min, max) in NUMBERS {
        if let Some(v) = settings.get(*key) {
            let field = format!("settings.{key}");
            match v.as_i64() {
                Some(n) if (*min..=*max).contains(&n) => {}
                _ => {
                    return Err(ValidationError::new(
                        field,
                        format!("must be a whole number from {min} to {max}"),
                    ));
                }
            }
        }
    }
    for key in DEVICES {
        if let Some(v) = settings.get(*key) {
            let field = format!("settings.{key}");
            let bad = || ValidationError::new(&field, "must be a list of \"mobile\" and \"desktop\"");
            let list = v.as_array().ok_or_else(bad)?;
            let mut seen = Vec::new();
            for d in list {
                match d.as_str() {
                    Some(d @ ("mobile" | "desktop")) if !seen.contains(&d) => seen.push(d),
                    _ => return Err(bad()),
                }
            }
        }
    }
    match settings.get("contact_email") {
        Some(Value::Null) | None => {}
        Some(v) => {
            let a = EmailAddress::parse(v.as_str().unwrap_or(""), "settings.contact_email")?;
            settings.insert("contact_email".into(), Value::String(a.as_str().to_string()));
        }
    }
    if let Some(v) = settings.get("contact_account_id")
        && !v.is_null()
        && v.as_i64().is_none_or(|n| n <= 0)
    {
        return Err(ValidationError::new("settings.contact_account_id", "must be an email account's id"));
    }
    let on = |k: &str| settings.get(k).and_then(Value::as_bool).unwrap_or(false);
    let has = |k: &str| settings.get(k).is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
    if on("contact_form") && !has("contact_email") && !has("contact_account_id") {
        return Err(ValidationError::new(
            "settings.contact_email",
            "the contact form needs an address or an email account to send to",
        ));
    }
    if on("social_login_only") && !on("login_google") && !on("login_facebook") {
        return Err(ValidationError::new(
            "settings.social_login_only",
            "needs login with Google or with Facebook turned on",
        ));
    }
    if on("social_login_only") && on("anonymous_visitors") {
        return Err(ValidationError::new(
            "settings.social_login_only",
            "cannot go with anonymous visitors: a visitor who must log in is not anonymous",
        ));
    }
    if on("welcome_message")
        && settings.get("welcome_text").and_then(Value::as_str).is_none_or(|t| t.trim().is_empty())
    {
        return Err(ValidationError::new(
            "settings.welcome_text",
            "is required when the welcome message is on",
        ));
    }
    Ok(())
}

/// What a visitor gives when their conversation starts, checked against what the account asks.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VisitorInfo {
    pub name: String,
    pub email: Option<String>,
    pub rut: Option<String>,
    pub phone: Option<String>,
}

/// Checks a new visitor's details: given ones must be valid; the ones the account asks for
/// (`ask_rut`, `ask_phone`, `ask_email`, `email_as_identifier`) are required.
pub fn check_visitor(
    settings: &Value,
    name: Option<&str>,
    email: Option<&str>,
    rut: Option<&str>,
    phone: Option<&str>,
) -> Result<VisitorInfo, ValidationError> {
    let asks = |k: &str| settings[k].as_bool().unwrap_or(false);
    let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let name = given(name).unwrap_or_default();
    crate::bounded_text(&name, "name", 120)?;
    crate::check_name_chars(&name, "name")?;
    let email =
        given(email).map(|e| EmailAddress::parse(&e, "email").map(|a| a.as_str().to_string())).transpose()?;
    let rut = given(rut).map(|r| check_rut(&r, "rut")).transpose()?;
    let phone = given(phone).map(|p| check_phone(&p, "phone")).transpose()?;
    if (asks("ask_email") || asks("email_as_identifier")) && email.is_none() {
        return Err(ValidationError::new("email", "is required"));
    }
    if asks("ask_rut") && rut.is_none() {
        return Err(ValidationError::new("rut", "is required"));
    }
    if asks("ask_phone") && phone.is_none() {
        return Err(ValidationError::new("phone", "is required"));
    }
    Ok(VisitorInfo { name, email, rut, phone })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruts_are_checked_by_their_digit() {
        assert_eq!(check_rut("12.345.678-5", "rut").unwrap(), "12345678-5");
        assert_eq!(check_rut("11111111-1", "rut").unwrap(), "11111111-1");
        assert_eq!(check_rut("7.775.735-k", "rut").unwrap(), "7775735-K");
        assert!(check_rut("12.345.678-9", "rut").is_err());
        assert!(check_rut("abc", "rut").is_err());
        assert!(check_rut("", "rut").is_err());
    }

    #[test]
    fn phones_are_e164() {
        assert_eq!(check_phone("+56 9 1234 5678", "phone").unwrap(), "+56912345678");
        assert!(check_phone("912345678", "phone").is_err(), "no country code");
        assert!(check_phone("+0123456789", "phone").is_err());
        assert!(check_phone("+56 9 abc", "phone").is_err());
    }

    #[test]
    fn domains_and_origins() {
        assert_eq!(normalize_domain("https://Shop.Example/", "d").unwrap(), "shop.example");
        assert_eq!(normalize_domain("shop.example:8443", "d").unwrap(), "shop.example:8443");
        assert!(normalize_domain("shop.example/path", "d").is_err());
        assert!(normalize_domain("", "d").is_err());
        assert!(origin_allowed("https://shop.example", "shop.example"));
        assert!(origin_allowed("http://shop.example:8080", "shop.example"));
        assert!(!origin_allowed("https://evil.example", "shop.example"));
        assert!(!origin_allowed("https://shop.example.evil.example", "shop.example"));
        assert!(!origin_allowed("http://127.0.0.1:9", "127.0.0.1:8"));
        assert!(origin_allowed("http://127.0.0.1:8", "127.0.0.1:8"));
        assert!(!origin_allowed("null", "shop.example"));
    }

    #[test]
    fn browsers() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser_summary(chrome), "Chrome 131 · Windows");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";
        assert_eq!(browser_summary(edge), "Edge 131 · Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_summary(safari), "Safari 17 · iOS");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_summary(firefox), "Firefox 133 · Linux");
        assert_eq!(browser_summary("curl/8.5.0"), "curl/8.5.0");
        assert_eq!(browser_summary(""), "");
    }

    #[test]
    fn contrast() {
        let r = |a, b| (contrast_ratio(a, b).unwrap() * 10.0).round() / 10.0;
        assert_eq!(r("#000000", "#ffffff"), 21.0);
        assert_eq!(r("#ffffff", "#ffffff"), 1.0);
        assert_eq!(r("#0b6e4f", "#ffffff"), 6.3);
        assert_eq!(r("#ffff00", "#ffffff"), 1.1);
        assert!(contrast_ratio("red", "#ffffff").is_none());
    }

    #[test]
    fn colours() {
        assert_eq!(check_color("#1A73E8", "c").unwrap(), "#1a73e8");
        assert!(check_color("red", "c").is_err());
        assert!(check_color("#12345", "c").is_err());
    }
}
