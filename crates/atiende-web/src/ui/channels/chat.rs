//! The web chat kind's screens (SPEC §4.4, seed 000 "Opciones de Chat"): the creation form
//! (name and the site's domain), the account's line with its widget token, and the "Chat
//! options" section of its settings.
use super::{AccountView, ChannelScreens};
use crate::Web;
use crate::ui::account_settings::settings_page_with;
use crate::ui::admin::Errors;
use crate::ui::{Chrome, Form, Page, UiError, read_form, render};
use askama::Template;
use atiende_core::ChannelKind;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
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

#[derive(Template)]
#[template(path = "channels/chat_settings.html")]
struct Section<'a> {
    c: &'a Chrome,
    id: i64,
    token: String,
    embed_code: String,
    /// The options as stored, or as a refused form sent them.
    v: Value,
    /// Email accounts the contact form may go to: (id, name).
    email_accounts: Vec<(i64, String)>,
    /// The contrast of the text colour on the main colour, when it is too low to read well.
    low_contrast: Option<String>,
    /// Whether the chat has an identity secret, and the one just made (shown this once).
    identity_set: bool,
    new_secret: Option<String>,
    /// The bubble image: its address and size, when one is set.
    logo: Option<(String, i64, i64)>,
    /// Which providers this server has a client of (`google`, `facebook`).
    providers: Vec<String>,
    /// Where the providers send visitors back (to register with each client).
    callback: String,
    e: &'a Errors,
}

impl Section<'_> {
    fn under(&self, key: &str) -> &str {
        let field = format!("settings.{key}");
        if self.e.form == "chat" && self.e.field == field { &self.e.message } else { "" }
    }
    fn label(&self, key: &str) -> &'static str {
        self.c.t(&format!("chat.{key}"))
    }
    fn text(&self, key: &str) -> String {
        match &self.v[key] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        }
    }
    fn logo_error(&self) -> &str {
        if self.e.form == "chat_logo" { &self.e.message } else { "" }
    }
    fn offers(&self, flag: &str) -> bool {
        let p = flag.strip_prefix("login_").unwrap_or("");
        p.is_empty() || self.providers.iter().any(|x| x == p)
    }
    fn on(&self, key: &str) -> bool {
        self.v[key].as_bool().unwrap_or(false)
    }
    /// Whether a devices option includes `device` (both when never set).
    fn device(&self, key: &str, device: &str) -> bool {
        match self.v[key].as_array() {
            Some(list) => list.iter().any(|d| d == device),
            None => true,
        }
    }
    fn picked(&self, id: &i64) -> bool {
        self.v["contact_account_id"].as_i64() == Some(*id)
    }
}

/// The yes/no options of each group of the section, in order.
const LOOK: &[&str] = &["hide", "position_left", "long_button", "write_as_company", "sound"];
const VISITORS: &[&str] =
    &["anonymous_visitors", "email_as_identifier", "ask_name", "ask_email", "ask_rut", "ask_phone"];
const LOGIN: &[&str] = &["login_google", "login_facebook", "social_login_only"];
/// Every yes/no option the section edits.
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
    "open_on_load",
    "reply_from_notification",
    "welcome_message",
    "welcome_in_started",
    "contact_form",
    "login_google",
    "login_facebook",
    "social_login_only",
];
/// Text options (numbers included: sent as typed, checked by the API).
const TEXTS: &[&str] = &[
    "chat_name",
    "long_button_text",
    "identification_message",
    "conversation_header",
    "welcome_text",
    "welcome_author",
    "contact_title",
    "contact_description",
    "contact_success",
    "contact_error",
];
const NUMBERS: &[&str] =
    &["open_on_load_delay", "notification_messages", "welcome_delay", "welcome_repeat_minutes"];

impl ChannelScreens for ChatScreens {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Chat
    }

    fn mark(&self) -> &'static str {
        "Chat"
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
        ctx: &super::SectionContext,
    ) -> Result<String, askama::Error> {
        // A refused form shows again as it was sent.
        let v = if e.form == "chat" {
            let sent = Form(e.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
            self.section_patch(&sent).unwrap_or_default()
        } else {
            a.settings.clone()
        };
        let colour = |k: &str, d: &str| v[k].as_str().unwrap_or(d).to_string();
        let ratio = atiende_core::chat::contrast_ratio(
            &colour("main_color", "#0b6e4f"),
            &colour("text_color", "#ffffff"),
        );
        let low_contrast = ratio.filter(|r| *r < 4.5).map(|r| format!("{r:.1}:1"));
        let email_accounts = ctx
            .accounts
            .iter()
            .filter(|(_, _, k)| *k == ChannelKind::Email)
            .map(|(id, name, _)| (*id, name.clone()))
            .collect();
        let text = |k: &str| a.settings[k].as_str().unwrap_or("").to_string();
        Section {
            c,
            id: a.id,
            token: text("token"),
            embed_code: a.embed_code.clone(),
            v,
            email_accounts,
            low_contrast,
            identity_set: a.secret_set("identity.secret"),
            new_secret: ctx.test.and_then(|t| t["identity_secret"].as_str()).map(str::to_string),
            logo: ctx.data["logo"]["url"].as_str().map(|u| {
                (
                    u.to_string(),
                    ctx.data["logo"]["width"].as_i64().unwrap_or(0),
                    ctx.data["logo"]["height"].as_i64().unwrap_or(0),
                )
            }),
            providers: ctx.data["providers"]
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            callback: ctx.data["callback"].as_str().unwrap_or("").to_string(),
            e,
        }
        .render()
    }

    fn section_patch(&self, f: &Form) -> Option<Value> {
        let mut p = json!({"domain": f.get("domain").trim()});
        for k in TEXTS {
            p[*k] = json!(f.get(k).trim());
        }
        for k in ["main_color", "text_color"] {
            let v = f.get(k).trim();
            p[k] = if v.is_empty() { Value::Null } else { json!(v) };
        }
        // Numbers as typed: an empty box is the default, anything else is checked by the API.
        for k in NUMBERS.iter().chain(&["contact_account_id"]) {
            let v = f.get(k).trim();
            p[*k] = if v.is_empty() { Value::Null } else { v.parse::<i64>().map_or(json!(v), |n| json!(n)) };
        }
        let e = f.get("contact_email").trim();
        p["contact_email"] = if e.is_empty() { Value::Null } else { json!(e) };
        for k in atiende_core::chat::DEVICES {
            let on: Vec<&str> = ["mobile", "desktop"]
                .into_iter()
                .filter(|d| !f.get(&format!("{k}.{d}")).is_empty())
                .collect();
            p[*k] = json!(on);
        }
        for k in FLAGS {
            p[*k] = json!(!f.get(k).is_empty());
        }
        Some(p)
    }

    fn section_data<'a>(
        &'a self,
        web: &'a Web,
        account_id: i64,
    ) -> super::BoxFut<'a, Result<Value, UiError>> {
        Box::pin(async move {
            let app = &web.app;
            let logo = atiende_app::channels::chat::logo_facts(app, account_id).await?;
            let providers: Vec<&str> = atiende_app::channels::chat::login::PROVIDERS
                .iter()
                .copied()
                .filter(|p| app.config.chat_login.provider(p).is_some())
                .collect();
            let callback = atiende_app::channels::chat::login::callback_url(app);
            Ok(json!({"logo": logo, "providers": providers, "callback": callback}))
        })
    }

    fn routes(&self) -> Router<Web> {
        Router::new()
            .route("/admin/accounts/{id}/chat/identity-secret", post(identity_secret))
            .route("/admin/accounts/{id}/chat/logo", post(logo))
    }
}

/// The bubble image form: a new image (checked by its bytes) or "Remove".
async fn logo(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let (form, files) = crate::ui::read_form_with_files(req).await?;
    form.check_csrf(&page)?;
    let data = if form.get("remove").is_empty() {
        match files.into_iter().next() {
            Some(f) => Some(f.data),
            None => {
                return Err(UiError::App(atiende_app::AppError::invalid("logo", "choose an image first")));
            }
        }
    } else {
        None
    };
    match atiende_app::channels::chat::set_logo(&web.app, &page.actor, id, data).await {
        Ok(_) => {
            Ok(axum::response::Redirect::to(&format!("/admin/accounts/{id}/settings?saved=1#chat-logo"))
                .into_response())
        }
        Err(atiende_app::AppError::Invalid(v)) => {
            let e = Errors {
                form: "chat_logo".into(),
                field: v.field,
                message: v.message,
                values: Default::default(),
            };
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &settings_page_with(&web, &page, id, false, None, e).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// "New identity secret": makes one and shows it on the settings page, this once.
async fn identity_secret(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let secret = atiende_app::channels::chat::new_identity_secret(&web.app, &page.actor, id).await?;
    let shown = json!({"identity_secret": secret});
    Ok(render(
        StatusCode::OK,
        &settings_page_with(&web, &page, id, false, Some(shown), Errors::default()).await?,
    ))
}
