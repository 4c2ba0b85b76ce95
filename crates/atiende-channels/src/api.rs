//! The `api` channel kind: custom integrations post inbound messages to our
//! endpoint, and receive replies as signed webhooks at `settings.webhook_url`.
//!
//! Wire format of the outbound webhook: `POST` with a JSON body
//! `{"event": "message.created", "delivery_id", "account_id", "ticket": {…}, "message": {…},
//! "client": {"external_id"}}`, headers `Content-Type: application/json`,
//! `X-Atiende-Signature: sha256=HEX` (HMAC-SHA256 of the exact body under
//! `settings.webhook_secret`) and `X-Atiende-Delivery: ID` (the message id, stable
//! across retries, so a receiver can drop a repeated delivery).
use crate::{DeliveryError, classify, error_chain};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Atiende-Signature";
pub const DELIVERY_HEADER: &str = "X-Atiende-Delivery";

/// `sha256=HEX` of the HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=HEX` signature in constant time.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(sig) = hex::decode(hex_sig) else { return false };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Posts one webhook delivery.
pub async fn deliver(
    http: &reqwest::Client,
    url: &str,
    secret: &[u8],
    delivery_id: &str,
    body: Vec<u8>,
) -> Result<(), DeliveryError> {
    let signature = sign(secret, &body);
    let resp = http
        .post(url)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, delivery_id)
        .body(body)
        .send()
        .await
        .map_err(|e| DeliveryError {
            reason: format!("webhook unreachable: {}", error_chain(&e)),
            retryable: true,
            retry_after: None,
        })?;
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = resp.text().await.unwrap_or_default();
    classify(status, retry_after.as_deref(), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify(b"Jefe", b"x", "sha1=00"));
    }
}

/// A webhook URL must be absolute http(s) with a host.
pub fn check_webhook_url(url: &str) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("is not a valid URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    Ok(())
}
