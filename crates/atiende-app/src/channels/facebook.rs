//! The Facebook channel: a page's Messenger conversations and the comments on its posts
//! (SPEC §3, §4.4, §11.2: `page_id`, `page_access_token`). Everything it shares with
//! Instagram is in [`super::pages`]; its wire format in `atiende_channels::meta::messenger`.
use super::pages::{self, Platform};
use super::{BoxFut, Capabilities, Channel, Delivered, Outbound};
use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_core::ChannelKind;
use atiende_store::accounts::AccountRow;
use serde_json::{Map, Value};

pub struct Facebook;

pub static PLATFORM: Platform = Platform {
    kind: ChannelKind::Facebook,
    object: "page",
    id_setting: "page_id",
    reply_edge: "comments",
    profile_fields: "name",
};

impl Channel for Facebook {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Facebook
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

/// Longest post Facebook takes (characters).
pub const MAX_POST: usize = 63_206;

/// Whether the actor may publish on the page: agents and admins, or admins only when the
/// account's general option "only admins publish" is on (SPEC §4.3).
pub fn may_publish(actor: &crate::auth::Actor, account: &AccountRow) -> bool {
    let admins_only = account.settings.json()["general"]["admins_only_posts"].as_bool() == Some(true);
    actor.is(atiende_core::Role::Admin) || (!admins_only && actor.is(atiende_core::Role::Agent))
}

/// Publishes a new post on the page (`POST /{page_id}/feed` with `{message}`); answers the
/// post's id. 403 for an agent when only admins publish; Meta's refusal as a 409 naming why
/// (an expired token also flags the account).
pub async fn publish(
    app: &App,
    actor: &crate::auth::Actor,
    account_id: i64,
    text: &str,
) -> Result<String, AppError> {
    actor.require_worker()?;
    let a = atiende_store::accounts::get(&app.db, actor.org_id, account_id).await?;
    if a.kind != ChannelKind::Facebook {
        return Err(AppError::conflict("kind", "new posts are published on Facebook pages"));
    }
    if !may_publish(actor, &a) {
        return Err(AppError::Forbidden("only admins publish on this page".into()));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid("message", "is required"));
    }
    if text.chars().count() > MAX_POST {
        return Err(AppError::invalid("message", format!("must be at most {MAX_POST} characters")));
    }
    let secrets = crate::accounts::open_secrets(app, &a)?;
    let token = secrets["page_access_token"].as_str().unwrap_or("");
    let page = a.settings.json()["page_id"].as_str().unwrap_or("").to_string();
    let url = app.config.meta.graph.at(&format!("{page}/feed"));
    use atiende_channels::meta::{Failure, graph};
    match graph::post(&app.http, &url, token, &serde_json::json!({"message": text})).await {
        Ok(answer) => answer["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| AppError::conflict("message", "Meta answered without the post's id")),
        Err(Failure::Reconnect(reason)) => {
            super::meta::needs_reconnection(app, &a, &reason).await;
            Err(AppError::conflict("page_access_token", reason))
        }
        Err(Failure::RateLimited(r, _) | Failure::Retry(r) | Failure::Final(r)) => {
            Err(AppError::conflict("message", format!("Meta did not publish it: {r}")))
        }
    }
}
