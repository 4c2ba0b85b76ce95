//! The channel port. Each channel kind is one adapter (a module of this folder) registered
//! in [`REGISTRY`]; everything else — account creation and settings, the reply box, the
//! outbox worker, the listeners' supervisor, the admin screens — looks the adapter up and
//! never matches on a kind. An adapter declares its settings (checks naming the field,
//! which keys are secrets), its capabilities, how a client is addressed, its long-running
//! listener (if any) and how it delivers. Its wire format and platform client live pure in
//! `atiende-channels/src/<kind>/`. Inbound messages of every channel go through
//! [`crate::inbound::receive`].
pub mod api;
pub mod chat;
pub mod email;
pub mod facebook;
pub mod instagram;
pub mod meta;
pub mod pages;
pub mod whatsapp;

use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_core::{AccountStatus, ChannelKind};
use atiende_store::accounts::AccountRow;
use atiende_store::messages::MessageRow;
use atiende_store::tickets::TicketRow;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed future, so adapters can be stored as trait objects.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Files a channel carries on replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    pub max_files: usize,
    pub max_bytes: usize,
}

/// What a channel can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Formatted replies (the channel sends HTML, not only text).
    pub html: bool,
    /// Files on replies; `None`: they go on internal notes only.
    pub files: Option<FileLimits>,
    /// Private conversations (direct messages, email, chat).
    pub private_messages: bool,
    /// Public comments (on posts, reviews).
    pub public_messages: bool,
    /// New posts published from Atiende.
    pub publishing: bool,
    /// Replies only within this long after the client's last message (WhatsApp: 24 h).
    pub reply_window: Option<Duration>,
}

/// An outbound message with what an adapter needs to deliver it.
pub struct Outbound<'a> {
    pub account: &'a AccountRow,
    pub ticket: &'a TicketRow,
    pub message: &'a MessageRow,
    /// The client's identity on this channel ([`Channel::identity_kind`]), if they have one.
    pub recipient: Option<String>,
}

/// What a delivered message went out as.
#[derive(Debug, Default, Clone)]
pub struct Delivered {
    /// The platform's id of the sent message (an email's Message-ID).
    pub external_id: Option<String>,
    /// Channel details kept with the message (an email's headers).
    pub metadata: Option<Value>,
}

/// Long-running work for one account (a mailbox reader, a poller), run by
/// [`crate::listeners`] on the node holding the account's lease until `stop` turns true.
#[derive(Clone, Copy)]
pub struct Listener {
    pub run: fn(App, i64, tokio::sync::watch::Receiver<bool>) -> BoxFut<'static, ()>,
    /// How long a lease lasts; the supervisor renews it every third of that.
    pub lease: Duration,
    /// How often a node without the lease looks whether it is free.
    pub retry: Duration,
}

/// How a kind's inbound webhooks are checked (the shared step, before the adapter reads the
/// body): the header that carries the signature, and the secret setting that keys it.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSpec {
    pub signature_header: &'static str,
    pub secret: &'static str,
}

/// One channel kind.
pub trait Channel: Send + Sync {
    fn kind(&self) -> ChannelKind;

    /// Setting names, at any depth, whose values are credentials: sealed, never returned.
    /// By default the names every kind shares ([`crate::accounts::SECRET_KEYS`]).
    fn secret_keys(&self) -> &'static [&'static str] {
        crate::accounts::SECRET_KEYS
    }

    /// Checks the kind's own settings (the common ones are checked by the caller); each
    /// error names its field.
    fn check_settings(
        &self,
        app: &App,
        settings: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<(), AppError>;

    fn capabilities(&self, app: &App) -> Capabilities;

    /// The identity kind a client is addressed by on this channel.
    fn identity_kind(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Adds the kind's own fields to an account as the API shows it (`out` is
    /// [`crate::accounts::to_json`]'s object): an email account's forwarding address, a chat
    /// widget's token.
    fn describe(&self, _app: &App, _account: &AccountRow, _out: &mut Value) {}

    /// The status of a new account: active, or waiting for a validation.
    fn initial_status(&self, _settings: &Map<String, Value>) -> AccountStatus {
        AccountStatus::Active
    }

    /// After an account of this kind was created (`before` = `None`) or its settings
    /// changed from `before`.
    fn account_changed<'a>(
        &'a self,
        _app: &'a App,
        _account: &'a AccountRow,
        _before: Option<&'a Value>,
    ) -> BoxFut<'a, Result<(), AppError>> {
        Box::pin(async { Ok(()) })
    }

    /// The account's listener, when its settings ask for one.
    fn listener(&self, _app: &App, _account: &AccountRow) -> Option<Listener> {
        None
    }

    /// The kind's inbound webhooks (`POST /webhooks/{kind}/{account}`), if it takes any.
    fn webhook(&self) -> Option<WebhookSpec> {
        None
    }

    /// Takes one webhook whose signature was verified: parses the body and hands each
    /// message to [`crate::inbound::receive`]; answers what the platform gets back.
    fn on_webhook<'a>(
        &'a self,
        _app: &'a App,
        _account: &'a AccountRow,
        _body: &'a [u8],
    ) -> BoxFut<'a, Result<Value, AppError>> {
        Box::pin(async { Err(AppError::NotFound) })
    }

    /// Stores one message as the platform sent it (the bytes a listener or webhook took in),
    /// for trying a held message again ([`crate::quarantine`]). `NotFound` when the kind
    /// keeps nothing raw.
    fn receive_raw<'a>(
        &'a self,
        _app: &'a App,
        _account: &'a AccountRow,
        _raw: &'a [u8],
    ) -> BoxFut<'a, Result<(), AppError>> {
        Box::pin(async { Err(AppError::NotFound) })
    }

    /// Sends one outbound message.
    fn deliver<'a>(&'a self, app: &'a App, out: Outbound<'a>)
    -> BoxFut<'a, Result<Delivered, DeliveryError>>;
}

static API: api::Api = api::Api;
static EMAIL: email::Email = email::Email;
static CHAT: chat::Chat = chat::Chat;
static WHATSAPP: whatsapp::Whatsapp = whatsapp::Whatsapp;
static FACEBOOK: facebook::Facebook = facebook::Facebook;
static INSTAGRAM: instagram::Instagram = instagram::Instagram;

/// Every channel kind this version carries: adding one is a module above and a line here.
pub static REGISTRY: &[&dyn Channel] = &[&API, &EMAIL, &CHAT, &WHATSAPP, &FACEBOOK, &INSTAGRAM];

/// The adapter of a kind, if this version carries it.
pub fn adapter(kind: impl AsRef<str>) -> Option<&'static dyn Channel> {
    REGISTRY.iter().copied().find(|c| c.kind().as_str() == kind.as_ref())
}

/// The adapter of an account's kind; an account of a kind this version does not carry
/// cannot be used.
pub fn of(account: &AccountRow) -> Result<&'static dyn Channel, AppError> {
    adapter(account.kind).ok_or_else(|| {
        AppError::conflict("kind", format!("the {} channel is not available in this version", account.kind))
    })
}

/// Whether a channel with a reply window (WhatsApp: 24 h) still takes a free-form message on
/// a ticket: the client wrote within the window. `Ok(None)` when the channel has no window;
/// `Ok(Some(closed_at))` when it has closed.
pub async fn window_closed(
    app: &App,
    account: &AccountRow,
    ticket_id: i64,
) -> Result<Option<atiende_core::time::Micros>, AppError> {
    let Some(window) = of(account)?.capabilities(app).reply_window else { return Ok(None) };
    let last = atiende_store::messages::last_inbound_at(&app.db, ticket_id).await?.unwrap_or(0);
    let closes = last + window.as_micros() as i64;
    Ok((app.now() >= closes).then_some(closes))
}

/// A delivery that cannot succeed by trying again.
pub fn final_error(reason: impl Into<String>) -> DeliveryError {
    DeliveryError { reason: reason.into(), retryable: false, retry_after: None }
}

/// A delivery worth trying again later.
pub fn retry_error(reason: impl Into<String>) -> DeliveryError {
    DeliveryError { reason: reason.into(), retryable: true, retry_after: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once() {
        let mut kinds: Vec<&str> = REGISTRY.iter().map(|c| c.kind().as_str()).collect();
        kinds.sort_unstable();
        let n = kinds.len();
        kinds.dedup();
        assert_eq!(kinds.len(), n, "one adapter per kind");
        assert!(adapter("api").is_some() && adapter("email").is_some() && adapter("chat").is_some());
        assert!(
            adapter("whatsapp").is_some() && adapter("facebook").is_some() && adapter("instagram").is_some()
        );
        assert!(adapter("twitter").is_none(), "not carried yet");
    }
}
