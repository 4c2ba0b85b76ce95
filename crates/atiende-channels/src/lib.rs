//! Channel adapters. Each platform has a pure `wire` part (parse, verify, build
//! payloads) and a client whose base URL comes from configuration.
#![forbid(unsafe_code)]

pub mod api;
pub mod email;
pub mod webhook;

use std::time::Duration;

/// Why a delivery did not succeed, and whether trying again may help.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    pub reason: String,
    pub retryable: bool,
    /// The platform asked us to wait this long (e.g. `Retry-After`).
    pub retry_after: Option<Duration>,
}

/// Builds the shared HTTP client used by every adapter.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("Atiende/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// An error and its sources, on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Classifies an HTTP answer: 2xx is success; 408, 425, 429 and 5xx are worth a
/// retry (honouring `Retry-After` seconds); other 4xx are final.
pub fn classify(status: u16, retry_after: Option<&str>, body: &str) -> Result<(), DeliveryError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let snippet: String = body.chars().take(200).collect();
    let retryable = matches!(status, 408 | 425 | 429) || status >= 500;
    Err(DeliveryError {
        reason: format!("HTTP {status}: {snippet}").trim_end_matches(": ").to_string(),
        retryable,
        retry_after: retry_after.and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert!(classify(204, None, "").is_ok());
        let e = classify(503, Some("7"), "down").unwrap_err();
        assert!(e.retryable);
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(e.reason, "HTTP 503: down");
        assert!(classify(429, None, "").unwrap_err().retryable);
        let e = classify(400, None, "bad").unwrap_err();
        assert!(!e.retryable);
    }
}
