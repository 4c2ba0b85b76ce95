//! The email kind's screens (SPEC §4.4, seed 002): the creation form (IMAP or forwarding),
//! the account's line, and the "Email options" section of its settings with the connection
//! test and the forwarding validation.
use super::{AccountView, ChannelScreens};
use crate::Web;
use crate::ui::account_settings::{list_text, settings_page_with, split_list};
use crate::ui::admin::Errors;
use crate::ui::{Chrome, Form, Page, UiError, read_form, render};
use askama::Template;
use atiende_core::ChannelKind;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub struct EmailScreens;

#[derive(Template)]
#[template(path = "channels/email_create.html")]
struct Create<'a> {
    c: &'a Chrome,
    e: &'a Errors,
}

pub struct Line {
    pub address: String,
    pub connection: String,
    pub forwarding_address: String,
    pub status: String,
    pub status_reason: String,
}

#[derive(Template)]
#[template(path = "channels/email_account.html")]
struct Block<'a> {
    c: &'a Chrome,
    a: Line,
}

pub struct TestResult {
    pub imap_ok: bool,
    pub imap: String,
    pub smtp_ok: bool,
    pub smtp: String,
}

/// The email channel's options (SPEC §4.4) as the form shows them.
#[derive(Default)]
pub struct EmailForm {
    pub address: String,
    pub connection: String,
    pub imap_host: String,
    pub imap_port: String,
    pub imap_security: String,
    pub imap_username: String,
    pub imap_mailbox: String,
    pub imap_password_set: bool,
    pub sending: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_password_set: bool,
    pub blocked: String,
    pub signature: String,
    pub contact_forms: String,
    pub include_chain: bool,
    pub forwarding_address: String,
    pub status: String,
    pub status_reason: String,
}

#[derive(Template)]
#[template(path = "channels/email_settings.html")]
struct Section<'a> {
    c: &'a Chrome,
    id: i64,
    m: EmailForm,
    test: Option<TestResult>,
    e: &'a Errors,
}

impl Section<'_> {
    /// The error of a field, matched on the settings path's start.
    fn under(&self, form: &str, prefix: &str) -> &str {
        if self.e.form == form && self.e.field.starts_with(prefix) { &self.e.message } else { "" }
    }
}

fn email_form(a: &AccountView) -> EmailForm {
    let s = &a.settings;
    let st = |v: &Value| v.as_str().unwrap_or("").to_string();
    let port = |v: &Value| v.as_i64().map(|p| p.to_string()).unwrap_or_default();
    EmailForm {
        address: st(&s["address"]),
        connection: s["connection"].as_str().unwrap_or("imap").to_string(),
        imap_host: st(&s["imap"]["host"]),
        imap_port: port(&s["imap"]["port"]),
        imap_security: s["imap"]["security"].as_str().unwrap_or("tls").to_string(),
        imap_username: st(&s["imap"]["username"]),
        imap_mailbox: s["imap"]["mailbox"].as_str().unwrap_or("INBOX").to_string(),
        imap_password_set: a.secret_set("imap.password"),
        sending: s["sending"].as_str().unwrap_or("default").to_string(),
        smtp_host: st(&s["smtp"]["host"]),
        smtp_port: port(&s["smtp"]["port"]),
        smtp_security: s["smtp"]["security"].as_str().unwrap_or("starttls").to_string(),
        smtp_username: st(&s["smtp"]["username"]),
        smtp_password_set: a.secret_set("smtp.password"),
        blocked: list_text(&s["blocked_senders"]),
        signature: st(&s["signature"]),
        contact_forms: list_text(&s["contact_form_senders"]),
        include_chain: s["include_chain"].as_bool().unwrap_or(false),
        forwarding_address: a.forwarding_address.clone(),
        status: a.status.clone(),
        status_reason: a.status_reason.clone(),
    }
}

impl ChannelScreens for EmailScreens {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    fn mark(&self) -> &'static str {
        "✉"
    }

    fn create_form(&self, c: &Chrome, e: &Errors) -> Result<String, askama::Error> {
        Create { c, e }.render()
    }

    /// Seed 002's "add account": IMAP or forwarding; the other options are set on the
    /// account's settings screen.
    fn create_settings(&self, f: &Form) -> Value {
        let connection = f.get("connection");
        let mut settings = json!({"address": f.get("address").trim(), "connection": connection});
        if connection == "imap" {
            let mut imap = json!({"host": f.get("imap_host").trim(), "security": f.get("imap_security"), "username": f.get("imap_username").trim(), "password": f.get("imap_password")});
            let port = f.get("imap_port").trim();
            if !port.is_empty() {
                imap["port"] = port.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(port));
            }
            settings["imap"] = imap;
        }
        settings
    }

    fn after_create(&self, id: i64) -> String {
        format!("/admin/accounts/{id}/settings#email")
    }

    fn account_block(&self, c: &Chrome, a: &AccountView, _e: &Errors) -> Result<String, askama::Error> {
        let a = Line {
            address: a.settings["address"].as_str().unwrap_or("").to_string(),
            connection: a.settings["connection"].as_str().unwrap_or("").to_string(),
            forwarding_address: a.forwarding_address.clone(),
            status: a.status.clone(),
            status_reason: a.status_reason.clone(),
        };
        Block { c, a }.render()
    }

    fn settings_section(
        &self,
        c: &Chrome,
        a: &AccountView,
        e: &Errors,
        ctx: &super::SectionContext,
    ) -> Result<String, askama::Error> {
        let test = ctx.test;
        let mut m = email_form(a);
        // A refused form shows again as it was sent.
        if e.form == "email" {
            let v = |k: &str| e.values.get(k).cloned().unwrap_or_default();
            (m.address, m.connection, m.imap_host, m.imap_port, m.imap_security) =
                (v("address"), v("connection"), v("imap_host"), v("imap_port"), v("imap_security"));
            (m.imap_username, m.imap_mailbox, m.sending, m.smtp_host, m.smtp_port) =
                (v("imap_username"), v("imap_mailbox"), v("sending"), v("smtp_host"), v("smtp_port"));
            (m.smtp_security, m.smtp_username, m.blocked, m.signature, m.contact_forms) =
                (v("smtp_security"), v("smtp_username"), v("blocked"), v("signature"), v("contact_forms"));
            m.include_chain = e.values.contains_key("include_chain");
        }
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        let test = test.map(|r| TestResult {
            imap_ok: r["imap"]["ok"].as_bool().unwrap_or(false),
            imap: text(&r["imap"]["message"]),
            smtp_ok: r["smtp"]["ok"].as_bool().unwrap_or(false),
            smtp: text(&r["smtp"]["message"]),
        });
        Section { c, id: a.id, m, test, e }.render()
    }

    fn section_patch(&self, f: &Form) -> Option<Value> {
        let number = |s: &str| s.trim().parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(s.trim()));
        let server = |prefix: &str| {
            let host = f.get(&format!("{prefix}_host")).trim();
            if host.is_empty() {
                return Value::Null;
            }
            let port = f.get(&format!("{prefix}_port")).trim();
            let mut m = json!({"host": host, "security": f.get(&format!("{prefix}_security")), "username": f.get(&format!("{prefix}_username")).trim()});
            if !port.is_empty() {
                m["port"] = number(port);
            }
            if prefix == "imap" {
                m["mailbox"] = json!(f.get("imap_mailbox").trim());
            }
            // An empty password keeps the stored one.
            let pw = f.get(&format!("{prefix}_password"));
            if !pw.is_empty() {
                m["password"] = json!(pw);
            }
            m
        };
        Some(json!({
            "address": f.get("address").trim(),
            "connection": f.get("connection"),
            "imap": server("imap"),
            "sending": f.get("sending"),
            "smtp": server("smtp"),
            "blocked_senders": split_list(f.get("blocked")),
            "signature": f.get("signature"),
            "contact_form_senders": split_list(f.get("contact_forms")),
            "include_chain": !f.get("include_chain").is_empty(),
        }))
    }

    fn routes(&self) -> Router<Web> {
        Router::new()
            .route("/admin/accounts/{id}/email/test", post(test))
            .route("/admin/accounts/{id}/email/validate", post(validate))
    }
}

/// "Test connection": logs in to the account's mail servers and shows their answers.
async fn test(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let r = atiende_app::channels::email::test_connection(&web.app, &page.actor, id).await?;
    Ok(render(StatusCode::OK, &settings_page_with(&web, &page, id, false, Some(r), Errors::default()).await?))
}

/// Sends the forwarding validation mail (seed 002's "validate" button).
async fn validate(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    match atiende_app::channels::email::start_validation(&web.app, &page.actor, id).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/accounts/{id}/settings?saved=validation#email")).into_response())
        }
        Err(e) => {
            let e = Errors::from_app("email", e, &form, page.tr)?;
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &settings_page_with(&web, &page, id, false, None, e).await?,
            ))
        }
    }
}
