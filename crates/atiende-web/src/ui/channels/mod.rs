//! The admin screens of each channel kind, next to its adapter in `atiende_app::channels`:
//! one module per kind with its templates (`templates/channels/<kind>_*.html`), registered
//! in [`SCREENS`]. The accounts page and the account settings page render each account
//! through its kind's screens; nothing else in the UI matches on a kind.
pub mod api;
pub mod chat;
pub mod email;
pub mod pages;
pub mod whatsapp;

use super::admin::Errors;
use super::{Chrome, Form, UiError};
use crate::Web;
use atiende_core::ChannelKind;
use axum::Router;
use serde_json::Value;

/// An account as the screens show it (no secrets: only which are set).
pub struct AccountView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub status_reason: String,
    /// The settings without secrets.
    pub settings: Value,
    pub secrets_set: Vec<String>,
    /// Email accounts: the generated forwarding address.
    pub forwarding_address: String,
    /// Chat accounts: the snippet to paste in the site's pages.
    pub embed_code: String,
}

impl AccountView {
    pub fn of(web: &Web, a: &atiende_store::accounts::AccountRow) -> AccountView {
        let j = atiende_app::accounts::to_json(&web.app, a);
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        AccountView {
            id: a.id,
            kind: a.kind.to_string(),
            name: a.name.clone(),
            status: a.status.clone(),
            status_reason: a.status_reason.clone().unwrap_or_default(),
            settings: j["settings"].clone(),
            secrets_set: j["secrets_set"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            forwarding_address: text(&j["forwarding_address"]),
            embed_code: text(&j["embed_code"]),
        }
    }
    pub fn secret_set(&self, path: &str) -> bool {
        self.secrets_set.iter().any(|s| s == path)
    }
}

/// What a settings section may show besides its account: the answer of the kind's action
/// that just ran (a connection test, a new secret shown once), and the organization's
/// accounts (for settings that name one).
pub struct SectionContext<'a> {
    pub test: Option<&'a Value>,
    /// (id, name, kind) of each account of the organization.
    pub accounts: &'a [(i64, String, ChannelKind)],
    /// What the kind's [`ChannelScreens::section_data`] looked up for this account.
    pub data: &'a Value,
}

/// A future a screen's lookup returns.
pub type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The screens of one channel kind.
pub trait ChannelScreens: Sync {
    fn kind(&self) -> ChannelKind;

    /// The short mark shown on cards and tickets.
    fn mark(&self) -> &'static str;

    /// The creation form on the accounts page (errors under form name `create-<kind>`).
    fn create_form(&self, c: &Chrome, e: &Errors) -> Result<String, askama::Error>;

    /// The settings a creation form asks for.
    fn create_settings(&self, f: &Form) -> Value;

    /// Where the admin lands once the account exists.
    fn after_create(&self, id: i64) -> String {
        format!("/admin/accounts/{id}/settings")
    }

    /// The account's block on the accounts page (inside the account's form; errors under
    /// form name `account-<id>`).
    fn account_block(&self, c: &Chrome, a: &AccountView, e: &Errors) -> Result<String, askama::Error>;

    /// The settings patch of the account block's form, when the block edits anything.
    fn block_patch(&self, _f: &Form) -> Option<Value> {
        None
    }

    /// The kind's own section of the settings page (the form named after the kind).
    fn settings_section(
        &self,
        _c: &Chrome,
        _a: &AccountView,
        _e: &Errors,
        _ctx: &SectionContext,
    ) -> Result<String, askama::Error> {
        Ok(String::new())
    }

    /// The settings patch of the kind's section form.
    fn section_patch(&self, _f: &Form) -> Option<Value> {
        None
    }

    /// Routes of the kind's own admin actions (a connection test, a validation).
    /// What the settings section shows that is not in the account's view (looked up before
    /// the page is drawn); nothing by default.
    fn section_data<'a>(&'a self, _web: &'a Web, _account_id: i64) -> BoxFut<'a, Result<Value, UiError>> {
        Box::pin(async { Ok(Value::Null) })
    }

    fn routes(&self) -> Router<Web> {
        Router::new()
    }
}

/// Every kind with screens: one line per kind, in the order the accounts page shows them.
pub static SCREENS: &[&dyn ChannelScreens] = &[
    &api::ApiScreens,
    &email::EmailScreens,
    &chat::ChatScreens,
    &whatsapp::WhatsappScreens,
    &pages::FacebookScreens,
    &pages::InstagramScreens,
];

pub fn screens(kind: impl AsRef<str>) -> Option<&'static dyn ChannelScreens> {
    SCREENS.iter().copied().find(|s| s.kind().as_str() == kind.as_ref())
}

/// The short mark of a kind (its code in capitals for kinds this version does not carry).
pub fn mark(kind: &str) -> String {
    screens(kind).map(|s| s.mark().to_string()).unwrap_or_else(|| kind.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_adapter_has_screens_and_no_screens_lack_an_adapter() {
        for c in atiende_app::channels::REGISTRY {
            assert!(screens(c.kind().as_str()).is_some(), "{} has no admin screens", c.kind());
        }
        for s in SCREENS {
            assert!(
                atiende_app::channels::adapter(s.kind().as_str()).is_some(),
                "{} has no adapter",
                s.kind()
            );
        }
    }
}
