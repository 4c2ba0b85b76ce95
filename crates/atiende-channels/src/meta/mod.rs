//! Meta's platforms (WhatsApp Cloud API, Messenger, page feed, Instagram) share one webhook
//! endpoint and one Graph API: what is common lives here — the webhook envelope
//! (`{object, entry: [...]}`, signed `X-Hub-Signature-256: sha256=HMAC-SHA256(app secret,
//! raw body)`, checked by [`crate::webhook::verify`]), the verification handshake, the Graph
//! API's error bodies and what each error means for a delivery, and the HTTP calls. Each
//! platform's own payloads are in its module.
pub mod graph;
pub mod messenger;
pub mod whatsapp;

use serde_json::Value;
use std::time::Duration;

/// The header Meta signs webhooks with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The answer to Meta's verification request (`GET` with `hub.mode=subscribe`,
/// `hub.verify_token`, `hub.challenge`): the challenge, when the token is ours.
pub fn verify_subscription<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    our_token: &str,
) -> Option<&'a str> {
    let ok = mode == Some("subscribe")
        && !our_token.is_empty()
        && token.is_some_and(|t| constant_eq(t.as_bytes(), our_token.as_bytes()));
    challenge.filter(|_| ok)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One `entry` of a webhook, as routed: the platform (`object`), the id it is for (a WhatsApp
/// Business Account, a page, an Instagram account) and the entry itself.
#[derive(Debug, Clone)]
pub struct Entry {
    pub object: String,
    pub id: String,
    pub body: Value,
}

/// Splits a webhook body into its entries; an error names what is wrong with the envelope.
pub fn entries(body: &[u8]) -> Result<Vec<Entry>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let object = v["object"].as_str().ok_or("the body has no object")?.to_string();
    let list = v["entry"].as_array().ok_or("the body has no entry list")?;
    Ok(list
        .iter()
        .map(|e| Entry {
            object: object.clone(),
            id: match &e["id"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            },
            body: e.clone(),
        })
        .collect())
}

/// A Graph API error (`{"error": {"message", "type", "code", "error_subcode", "error_data",
/// "fbtrace_id"}}`) and the HTTP status it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    /// `error_data.details` (WhatsApp's longer explanation), when given.
    pub details: Option<String>,
}

impl GraphError {
    /// Reads an error answer; `None` when the body is not a Graph error.
    pub fn parse(status: u16, body: &[u8]) -> Option<GraphError> {
        let v: Value = serde_json::from_slice(body).ok()?;
        let e = v.get("error")?.as_object()?;
        Some(GraphError {
            status,
            code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
            subcode: e.get("error_subcode").and_then(Value::as_i64),
            message: e
                .get("error_user_msg")
                .or_else(|| e.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .take(500)
                .collect(),
            details: e
                .get("error_data")
                .and_then(|d| d.get("details").or(Some(d)))
                .and_then(Value::as_str)
                .map(|s| s.chars().take(500).collect()),
        })
    }

    /// The text shown on a failed message: Meta's message, its details and its code.
    pub fn describe(&self) -> String {
        let mut s = self.message.clone();
        if let Some(d) = self.details.as_deref().filter(|d| !d.is_empty() && *d != self.message) {
            s = format!("{s}: {d}");
        }
        match self.subcode {
            Some(sub) => format!("{s} (Meta error {}, subcode {sub})", self.code),
            None => format!("{s} (Meta error {})", self.code),
        }
    }
}

/// What a failed Graph call means for the message or the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The token expired or was revoked, or a permission was lost (code 190 and its subcodes,
    /// 102, 10, 200–299): the account needs reconnecting; try again once it is fixed.
    Reconnect(String),
    /// A rate limit (codes 4, 17, 32, 613, 80001–80009, 130429, 131056, 131048): wait this
    /// long, then try again.
    RateLimited(String, Duration),
    /// Worth trying again soon (Meta's side failed, or the network did; code 131057: the
    /// account is in maintenance).
    Retry(String),
    /// Cannot succeed as it is (Meta's reason).
    Final(String),
}

/// The wait after a rate limit when Meta does not say how long.
pub const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Classifies a failed Graph call. `retry_after` is the `Retry-After` header or the
/// `estimated_time_to_regain_access` of `X-Business-Use-Case-Usage`, when given.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> Failure {
    let Some(e) = GraphError::parse(status, body) else {
        return if status >= 500 || status == 429 {
            Failure::Retry(format!("the Graph API answered {status}"))
        } else {
            Failure::Final(format!("the Graph API answered {status} without an error body"))
        };
    };
    let text = e.describe();
    match (e.code, e.subcode) {
        // Messenger: outside the messaging window (code 10 with these subcodes), or the person
        // cannot be reached (551; 200/1545041): Meta's reason, not a permission problem.
        (10, Some(2018278 | 2534022 | 2018108 | 2018065)) | (551, _) | (200, Some(1545041)) => {
            Failure::Final(text)
        }
        _ => classify_code(e.code, status, text, retry_after),
    }
}

fn classify_code(code: i64, status: u16, text: String, retry_after: Option<Duration>) -> Failure {
    match code {
        190 | 102 => Failure::Reconnect(format!("the access token is no longer valid: {text}")),
        10 | 200..=299 => Failure::Reconnect(format!("a permission is missing: {text}")),
        4 | 17 | 32 | 613 | 80001..=80009 | 130429 | 131048 | 131056 => {
            Failure::RateLimited(text, retry_after.unwrap_or(RATE_LIMIT_WAIT))
        }
        // Unknown or temporary errors on Meta's side (codes 1, 2; 131000 "something went
        // wrong"; 131016 service unavailable; 133004 server temporarily unavailable).
        1 | 2 | 131000 | 131016 | 131057 | 133004 => Failure::Retry(text),
        _ if status >= 500 => Failure::Retry(text),
        _ => Failure::Final(text),
    }
}

/// How long a `X-Business-Use-Case-Usage` header says to wait (its
/// `estimated_time_to_regain_access`, in minutes, of any business), or a `Retry-After` in
/// seconds.
pub fn retry_after(retry_after: Option<&str>, business_usage: Option<&str>) -> Option<Duration> {
    if let Some(s) = retry_after.and_then(|r| r.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(s.min(86_400)));
    }
    let v: Value = serde_json::from_str(business_usage?).ok()?;
    let minutes = v
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|u| u["estimated_time_to_regain_access"].as_u64())
        .max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes.min(1440) * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_our_token() {
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("tok"), Some("1158201444"), "tok"),
            Some("1158201444")
        );
        assert_eq!(verify_subscription(Some("subscribe"), Some("other"), Some("1"), "tok"), None);
        assert_eq!(verify_subscription(Some("unsubscribe"), Some("tok"), Some("1"), "tok"), None);
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("1"), ""),
            None,
            "no token configured"
        );
    }

    #[test]
    fn graph_errors_are_classified() {
        let body = |code: i64, sub: Option<i64>| {
            serde_json::json!({"error": {"message": "m", "type": "OAuthException", "code": code,
                "error_subcode": sub, "fbtrace_id": "Az"}})
            .to_string()
        };
        assert!(matches!(classify(401, body(190, Some(463)).as_bytes(), None), Failure::Reconnect(_)));
        assert!(matches!(classify(403, body(200, None).as_bytes(), None), Failure::Reconnect(_)));
        assert_eq!(
            classify(400, body(80007, None).as_bytes(), None),
            Failure::RateLimited("m (Meta error 80007)".into(), RATE_LIMIT_WAIT)
        );
        assert!(
            matches!(classify(429, body(130429, None).as_bytes(), Some(Duration::from_secs(5))), Failure::RateLimited(_, d) if d.as_secs() == 5)
        );
        assert!(matches!(classify(400, body(131047, None).as_bytes(), None), Failure::Final(_)));
        assert!(
            matches!(classify(400, body(10, Some(2018278)).as_bytes(), None), Failure::Final(_)),
            "outside the window"
        );
        assert!(
            matches!(classify(400, body(10, None).as_bytes(), None), Failure::Reconnect(_)),
            "a permission"
        );
        assert!(matches!(classify(400, body(551, Some(1545041)).as_bytes(), None), Failure::Final(_)));
        assert!(matches!(classify(500, body(2, None).as_bytes(), None), Failure::Retry(_)));
        assert!(matches!(classify(502, b"<html>", None), Failure::Retry(_)));
        assert!(matches!(classify(404, b"", None), Failure::Final(_)));
        let wa = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"A"}}"#;
        let e = GraphError::parse(400, wa).unwrap();
        assert!(e.describe().contains("more than 24 hours"), "{}", e.describe());
    }

    #[test]
    fn waits_from_headers() {
        assert_eq!(retry_after(Some("30"), None), Some(Duration::from_secs(30)));
        let usage = r#"{"102547": [{"type": "messenger", "call_count": 100, "total_cputime": 1, "total_time": 1, "estimated_time_to_regain_access": 12}]}"#;
        assert_eq!(retry_after(None, Some(usage)), Some(Duration::from_secs(720)));
        assert_eq!(retry_after(None, Some("nonsense")), None);
    }
}
