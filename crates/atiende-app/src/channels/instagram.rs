//! The Instagram channel: an Instagram professional account's Direct conversations and the
//! comments on its media, through its linked Facebook page (SPEC §11.2:
//! `instagram_account_id`, `page_id`, `page_access_token`). Everything it shares with
//! Facebook is in [`super::pages`]; its wire format in `atiende_channels::meta::messenger`.
use super::pages::{self, Platform};
use super::{BoxFut, Capabilities, Channel, Delivered, Outbound};
use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_core::ChannelKind;
use atiende_store::accounts::AccountRow;
use serde_json::{Map, Value};

pub struct Instagram;

pub static PLATFORM: Platform = Platform {
    kind: ChannelKind::Instagram,
    object: "instagram",
    id_setting: "instagram_account_id",
    reply_edge: "replies",
    profile_fields: "name,username",
};

impl Channel for Instagram {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Instagram
    }

    fn secret_keys(&self) -> &'static [&'static str] {
        pages::SECRET_KEYS
    }

    fn check_settings(
        &self,
        _app: &App,
        settings: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<(), AppError> {
        pages::digits(settings, "instagram_account_id")?;
        pages::check_settings(settings, secrets)
    }

    fn capabilities(&self, _app: &App) -> Capabilities {
        Capabilities { private_messages: true, public_messages: true, ..Default::default() }
    }

    fn account_changed<'a>(
        &'a self,
        app: &'a App,
        account: &'a AccountRow,
        before: Option<&'a Value>,
    ) -> BoxFut<'a, Result<(), AppError>> {
        Box::pin(pages::claim(app, &PLATFORM, account, before))
    }

    fn deliver<'a>(
        &'a self,
        app: &'a App,
        out: Outbound<'a>,
    ) -> BoxFut<'a, Result<Delivered, DeliveryError>> {
        Box::pin(pages::deliver(app, &PLATFORM, out))
    }
}
