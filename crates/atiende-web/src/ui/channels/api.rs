//! The `api` kind's screens: the webhook where replies go and its secret, edited on the
//! accounts page.
use super::{AccountView, ChannelScreens};
use crate::ui::admin::Errors;
use crate::ui::{Chrome, Form};
use askama::Template;
use atiende_core::ChannelKind;
use serde_json::{Value, json};

pub struct ApiScreens;

#[derive(Template)]
#[template(path = "channels/api_create.html")]
struct Create<'a> {
    c: &'a Chrome,
    e: &'a Errors,
}

pub struct Line {
    pub id: i64,
    pub name: String,
    pub webhook_url: String,
    pub secret_set: bool,
}

#[derive(Template)]
#[template(path = "channels/api_account.html")]
struct Block<'a> {
    c: &'a Chrome,
    a: Line,
    e: &'a Errors,
}

/// The webhook settings from a form; an empty secret keeps the stored one.
fn webhook(f: &Form) -> Value {
    let url = f.get("webhook_url").trim();
    let mut s = json!({"webhook_url": if url.is_empty() { Value::Null } else { json!(url) }});
    if !f.get("webhook_secret").is_empty() {
        s["webhook_secret"] = json!(f.get("webhook_secret"));
    }
    s
}

impl ChannelScreens for ApiScreens {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Api
    }

    fn mark(&self) -> &'static str {
        "API"
    }

    fn create_form(&self, c: &Chrome, e: &Errors) -> Result<String, askama::Error> {
        Create { c, e }.render()
    }

    fn create_settings(&self, f: &Form) -> Value {
        let mut s = webhook(f);
        if s["webhook_url"].is_null() {
            s.as_object_mut().map(|m| m.remove("webhook_url"));
        }
        s
    }

    fn after_create(&self, _id: i64) -> String {
        "/admin/accounts".into()
    }

    fn account_block(&self, c: &Chrome, a: &AccountView, e: &Errors) -> Result<String, askama::Error> {
        let a = Line {
            id: a.id,
            name: a.name.clone(),
            webhook_url: a.settings["webhook_url"].as_str().unwrap_or("").to_string(),
            secret_set: a.secret_set("webhook_secret"),
        };
        Block { c, a, e }.render()
    }

    fn block_patch(&self, f: &Form) -> Option<Value> {
        Some(webhook(f))
    }
}
