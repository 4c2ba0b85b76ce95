//! The `api` channel: custom integrations post their clients' messages to
//! `POST /api/v1/accounts/{id}/inbound` and receive replies as signed webhooks at
//! `settings.webhook_url` (wire format in `atiende_channels::api`).
use super::{BoxFut, Capabilities, Channel, Delivered, Outbound, WebhookSpec, final_error, retry_error};
use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_core::ChannelKind;
use atiende_store::ingest::Outcome;
use serde_json::{Map, Value, json};

/// The inbound wire format, for the authenticated endpoint of the web layer.
pub use atiende_channels::api::{InboundClient, InboundPayload, inbound_message};

pub struct Api;

impl Channel for Api {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Api
    }

    fn check_settings(
        &self,
        app: &App,
        settings: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<(), AppError> {
        if let Some(url) = settings.get("webhook_url") {
            let url =
                url.as_str().ok_or_else(|| AppError::invalid("settings.webhook_url", "must be a string"))?;
            atiende_channels::api::check_webhook_url(url, &app.config.outbound)
                .map_err(|m| AppError::invalid("settings.webhook_url", m))?;
        }
        if let Some(s) = secrets.get("webhook_secret") {
            let s = s.as_str().unwrap_or("");
            if s.len() < 16 || s.len() > 256 {
                return Err(AppError::invalid(
                    "settings.webhook_secret",
                    "must be 16 to 256 characters long",
                ));
            }
        }
        Ok(())
    }

    /// Integrations may also push their clients' messages without an admin's token: signed
    /// with the account's `webhook_secret` (`X-Atiende-Signature: sha256=HEX`).
    fn webhook(&self) -> Option<WebhookSpec> {
        Some(WebhookSpec {
            signature_header: atiende_channels::api::SIGNATURE_HEADER,
            secret: "webhook_secret",
        })
    }

    fn on_webhook<'a>(
        &'a self,
        app: &'a App,
        account: &'a atiende_store::accounts::AccountRow,
        body: &'a [u8],
    ) -> BoxFut<'a, Result<Value, AppError>> {
        Box::pin(async move {
            let msg = atiende_channels::api::parse_inbound(body)?;
            Ok(match crate::inbound::receive(app, account, msg, false).await? {
                Outcome::Stored { message_id, ticket_id, .. } => {
                    json!({"message_id": message_id, "ticket_id": ticket_id, "duplicate": false})
                }
                Outcome::Duplicate { message_id, ticket_id } => {
                    json!({"message_id": message_id, "ticket_id": ticket_id, "duplicate": true})
                }
            })
        })
    }

    fn capabilities(&self, _: &App) -> Capabilities {
        Capabilities { private_messages: true, ..Default::default() }
    }

    fn deliver<'a>(
        &'a self,
        app: &'a App,
        out: Outbound<'a>,
    ) -> BoxFut<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let url = out.account.settings.json()["webhook_url"]
                .as_str()
                .ok_or_else(|| final_error("the account has no webhook_url"))?;
            let secrets =
                crate::accounts::open_secrets(app, out.account).map_err(|e| final_error(e.to_string()))?;
            let secret = secrets["webhook_secret"].as_str().unwrap_or("");
            let body = json!({
                "event": "message.created",
                "delivery_id": out.message.id.to_string(),
                "account_id": out.account.id,
                "ticket": out.ticket.to_json(),
                "message": out.message.to_json(),
                "client": {"id": out.ticket.client_id, "external_id": out.recipient},
            });
            let body = serde_json::to_vec(&body).map_err(|e| retry_error(e.to_string()))?;
            atiende_channels::api::deliver(
                &app.http,
                &app.config.outbound,
                url,
                secret.as_bytes(),
                &out.message.id.to_string(),
                body,
            )
            .await?;
            Ok(Delivered::default())
        })
    }
}
