//! Channel adapters. Each platform has a pure `wire` part (parse, verify, build
//! payloads) and a client whose base URL comes from configuration.
#![forbid(unsafe_code)]

pub mod api;
pub mod chat;
pub mod email;
pub mod meta;
pub mod outbound;
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

/// Builds the shared HTTP client used by every adapter: names resolve only to addresses the
/// outbound policy allows, and redirects are not followed (a redirect could lead anywhere,
/// with our signature on the request).
pub fn http_client(timeout: Duration, policy: outbound::Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .dns_resolver(std::sync::Arc::new(outbound::Resolver(policy)))
        .redirect(reqwest::redirect::Policy::none())
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
/// The reason names the status only: a peer's body is never shown to agents (it could be
/// anything the peer — or an internal service it fronts — chooses to say).
pub fn classify(status: u16, retry_after: Option<&str>) -> Result<(), DeliveryError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let retryable = matches!(status, 408 | 425 | 429) || status >= 500;
    let name = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    Err(DeliveryError {
        reason: format!("HTTP {status} {name}").trim_end().to_string(),
        retryable,
        retry_after: retry_after.and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert!(classify(204, None).is_ok());
        let e = classify(503, Some("7")).unwrap_err();
        assert!(e.retryable);
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(e.reason, "HTTP 503 Service Unavailable");
        assert!(classify(429, None).unwrap_err().retryable);
        let e = classify(400, None).unwrap_err();
        assert!(!e.retryable);
    }
}
