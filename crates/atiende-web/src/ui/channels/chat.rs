//! The web chat kind's screens (SPEC §4.4, seed 000 "Opciones de Chat"): the creation form
//! (name and the site's domain), the account's line with its widget token, and the "Chat
//! options" section of its settings.
use super::{AccountView, ChannelScreens};
use crate::ui::admin::Errors;
use crate::ui::{Chrome, Form};
use askama::Template;
use atiende_core::ChannelKind;
use serde_json::{Value, json};

pub struct ChatScreens;

#[derive(Template)]
#[template(path = "channels/chat_create.html")]
struct Create<'a> {
    c: &'a Chrome,
    e: &'a Errors,
}

#[derive(Template)]
#[template(path = "channels/chat_account.html")]
struct Block<'a> {
    c: &'a Chrome,
    domain: String,
    token: String,
}

/// The options as the form shows them.
pub struct ChatForm {
    pub domain: String,
    pub token: String,
    pub embed_code: String,
    pub chat_name: String,
    pub main_color: String,
    pub text_color: String,
    pub long_button_text: String,
    /// (setting, checked) for each yes/no option, in the form's order.
    pub flags: Vec<(&'static str, bool)>,
}

#[derive(Template)]
#[template(path = "channels/chat_settings.html")]
struct Section<'a> {
    c: &'a Chrome,
    id: i64,
    m: ChatForm,
    e: &'a Errors,
}

impl Section<'_> {
    fn under(&self, prefix: &str) -> &str {
        if self.e.form == "chat" && self.e.field.starts_with(prefix) { &self.e.message } else { "" }
    }
}

/// The yes/no options the section edits, in order.
const FLAGS: &[&str] = &[
    "hide",
    "position_left",
    "long_button",
    "write_as_company",
    "sound",
    "anonymous_visitors",
    "email_as_identifier",
    "ask_name",
    "ask_email",
    "ask_rut",
    "ask_phone",
];

impl ChannelScreens for ChatScreens {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Chat
    }

    fn mark(&self) -> &'static str {
        "💬"
    }

    fn create_form(&self, c: &Chrome, e: &Errors) -> Result<String, askama::Error> {
        Create { c, e }.render()
    }

    fn create_settings(&self, f: &Form) -> Value {
        json!({"domain": f.get("domain").trim()})
    }

    fn after_create(&self, id: i64) -> String {
        format!("/admin/accounts/{id}/settings#chat")
    }

    fn account_block(&self, c: &Chrome, a: &AccountView, _e: &Errors) -> Result<String, askama::Error> {
        let s = |k: &str| a.settings[k].as_str().unwrap_or("").to_string();
        Block { c, domain: s("domain"), token: s("token") }.render()
    }

    fn settings_section(
        &self,
        c: &Chrome,
        a: &AccountView,
        e: &Errors,
        _test: Option<&Value>,
    ) -> Result<String, askama::Error> {
        let s = &a.settings;
        let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
        let mut m = ChatForm {
            domain: text("domain"),
            token: text("token"),
            embed_code: a.embed_code.clone(),
            chat_name: text("chat_name"),
            main_color: text("main_color"),
            text_color: text("text_color"),
            long_button_text: text("long_button_text"),
            flags: FLAGS.iter().map(|k| (*k, s[*k].as_bool().unwrap_or(false))).collect(),
        };
        // A refused form shows again as it was sent.
        if e.form == "chat" {
            let v = |k: &str| e.values.get(k).cloned().unwrap_or_default();
            (m.domain, m.chat_name, m.main_color, m.text_color, m.long_button_text) =
                (v("domain"), v("chat_name"), v("main_color"), v("text_color"), v("long_button_text"));
            m.flags = FLAGS.iter().map(|k| (*k, e.values.contains_key(*k))).collect();
        }
        Section { c, id: a.id, m, e }.render()
    }

    fn section_patch(&self, f: &Form) -> Option<Value> {
        let mut p = json!({"domain": f.get("domain").trim()});
        for k in ["chat_name", "long_button_text"] {
            p[k] = json!(f.get(k).trim());
        }
        for k in ["main_color", "text_color"] {
            let v = f.get(k).trim();
            p[k] = if v.is_empty() { Value::Null } else { json!(v) };
        }
        for k in FLAGS {
            p[*k] = json!(!f.get(k).is_empty());
        }
        Some(p)
    }
}
