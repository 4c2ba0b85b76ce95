//! The `api` channel kind: custom integrations post inbound messages to our
//! endpoint, and receive replies as signed webhooks at `settings.webhook_url`.
//!
//! Wire format of the outbound webhook: `POST` with a JSON body
//! `{"event": "message.created", "delivery_id", "account_id", "ticket": {…}, "message": {…},
//! "client": {"external_id"}}`, headers `Content-Type: application/json`,
//! `X-Atiende-Signature: sha256=HEX` (HMAC-SHA256 of the exact body under
//! `settings.webhook_secret`) and `X-Atiende-Delivery: ID` (the message id, stable
//! across retries, so a receiver can drop a repeated delivery).
//!
//! Wire format of an inbound message (the authenticated endpoint and the signed webhook
//! `POST /webhooks/api/{account}` alike): `{"external_id", "client": {"external_id",
//! "name"}, "text"}`.
use crate::webhook::sign;
use crate::{DeliveryError, classify, error_chain};
use atiende_core::inbound::{ClientIdentity, InboundMessage};
use atiende_core::{ChannelKind, ValidationError, bounded_text, required_text};

pub const SIGNATURE_HEADER: &str = "X-Atiende-Signature";
pub const DELIVERY_HEADER: &str = "X-Atiende-Delivery";

/// Posts one webhook delivery.
pub async fn deliver(
    http: &reqwest::Client,
    policy: &crate::outbound::Policy,
    url: &str,
    secret: &[u8],
    delivery_id: &str,
    body: Vec<u8>,
) -> Result<(), DeliveryError> {
    let fail = |reason: String| DeliveryError { reason, retryable: false, retry_after: None };
    let parsed = reqwest::Url::parse(url).map_err(|e| fail(format!("webhook URL: {e}")))?;
    policy.check_url(&parsed).map_err(|e| fail(e.to_string()))?;
    if let Some(host) =
        parsed.host_str().filter(|h| !h.starts_with('[') && h.parse::<std::net::IpAddr>().is_err())
    {
        // A clear, final answer for a name that points inside (the client's resolver refuses
        // it again when it connects, so it cannot be re-pointed in between).
        policy.resolve(host, parsed.port_or_known_default().unwrap_or(443)).await.map_err(fail)?;
    }
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
    classify(status, retry_after.as_deref())
}

/// A webhook URL must be absolute http(s) with a host, not an internal address (SPEC §11.2),
/// and carry no credentials (they would be stored and shown in clear).
pub fn check_webhook_url(url: &str, policy: &crate::outbound::Policy) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("is not a valid URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not carry credentials (user:password@); use the webhook secret".into());
    }
    policy.check_url(&u).map_err(|e| e.to_string())?;
    Ok(())
}

/// Longest message text accepted, in characters.
pub const MAX_TEXT: usize = 100_000;

/// An inbound message as an integration sends it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct InboundPayload {
    pub external_id: String,
    pub client: InboundClient,
    pub text: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct InboundClient {
    pub external_id: String,
    #[serde(default)]
    pub name: String,
}

/// Checks an inbound message field by field and makes the channel-neutral message of it
/// (a private conversation).
pub fn inbound_message(p: InboundPayload) -> Result<InboundMessage, ValidationError> {
    let external_id = required_text(&p.external_id, "external_id", 255)?;
    let client = required_text(&p.client.external_id, "client.external_id", 255)?;
    let name = bounded_text(p.client.name.trim(), "client.name", 200)?.to_string();
    let text = bounded_text(&p.text, "text", MAX_TEXT)?.to_string();
    if text.trim().is_empty() {
        return Err(ValidationError::new("text", "must not be empty"));
    }
    Ok(InboundMessage {
        external_id,
        client: ClientIdentity { kind: ChannelKind::Api.as_str().into(), value: client, name },
        text,
        private: true,
        ..Default::default()
    })
}

/// Parses a webhook body (JSON) into a checked inbound message.
pub fn parse_inbound(body: &[u8]) -> Result<InboundMessage, ValidationError> {
    let p: InboundPayload = serde_json::from_slice(body)
        .map_err(|e| ValidationError::new("body", format!("is not an inbound message: {e}")))?;
    inbound_message(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbound_messages_are_checked_field_by_field() {
        let m = parse_inbound(
            br#"{"external_id": "m1", "client": {"external_id": "c9", "name": " Ana "}, "text": "hola"}"#,
        )
        .unwrap();
        assert_eq!(
            (m.external_id.as_str(), m.client.value.as_str(), m.client.name.as_str()),
            ("m1", "c9", "Ana")
        );
        assert_eq!((m.client.kind.as_str(), m.text.as_str(), m.private), ("api", "hola", true));
        let field = |b: &[u8]| parse_inbound(b).unwrap_err().field;
        assert_eq!(field(b"not json"), "body");
        assert_eq!(
            field(br#"{"external_id": " ", "client": {"external_id": "c"}, "text": "x"}"#),
            "external_id"
        );
        assert_eq!(
            field(br#"{"external_id": "m", "client": {"external_id": ""}, "text": "x"}"#),
            "client.external_id"
        );
        assert_eq!(field(br#"{"external_id": "m", "client": {"external_id": "c"}, "text": "  "}"#), "text");
    }
}
