//! The WhatsApp kind's screens (SPEC §4.4, seed 000 "Opciones de WhatsApp"): the creation
//! form (the number's ids and its token), the account's line with its connection status, and
//! the "WhatsApp options" section: the connection, the templates (synced from Meta, editable)
//! and the click-to-chat generator.
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
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

pub struct WhatsappScreens;

#[derive(Template)]
#[template(path = "channels/whatsapp_create.html")]
struct Create<'a> {
    c: &'a Chrome,
    e: &'a Errors,
}

#[derive(Template)]
#[template(path = "channels/whatsapp_account.html")]
struct Block<'a> {
    c: &'a Chrome,
    phone_number_id: String,
    status: String,
    status_reason: String,
}

pub struct TemplateRow {
    pub i: usize,
    pub name: String,
    pub language: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "channels/whatsapp_settings.html")]
struct Section<'a> {
    c: &'a Chrome,
    id: i64,
    v: Value,
    token_set: bool,
    rows: Vec<TemplateRow>,
    /// The click-to-chat link and snippet, when a number is set and valid.
    link: String,
    snippet: String,
    synced: Option<i64>,
    /// Where Meta sends the webhooks (to type in the Meta app).
    webhook: String,
    e: &'a Errors,
}

impl Section<'_> {
    fn text(&self, key: &str) -> &str {
        self.v[key].as_str().unwrap_or("")
    }
    fn under(&self, prefix: &str) -> &str {
        if self.e.form == "whatsapp" && self.e.field.starts_with(prefix) { &self.e.message } else { "" }
    }
}

/// Empty template rows offered under the existing ones.
const SPARE_ROWS: usize = 2;

impl ChannelScreens for WhatsappScreens {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    fn mark(&self) -> &'static str {
        "WhatsApp"
    }

    fn create_form(&self, c: &Chrome, e: &Errors) -> Result<String, askama::Error> {
        Create { c, e }.render()
    }

    fn create_settings(&self, f: &Form) -> Value {
        let mut s = json!({"phone_number_id": f.get("phone_number_id").trim(), "access_token": f.get("access_token").trim()});
        let waba = f.get("business_account_id").trim();
        if !waba.is_empty() {
            s["business_account_id"] = json!(waba);
        }
        s
    }

    fn account_block(&self, c: &Chrome, a: &AccountView, _e: &Errors) -> Result<String, askama::Error> {
        Block {
            c,
            phone_number_id: a.settings["phone_number_id"].as_str().unwrap_or("").to_string(),
            status: a.status.clone(),
            status_reason: a.status_reason.clone(),
        }
        .render()
    }

    fn settings_section(
        &self,
        c: &Chrome,
        a: &AccountView,
        e: &Errors,
        ctx: &super::SectionContext,
    ) -> Result<String, askama::Error> {
        let v = if e.form == "whatsapp" {
            let sent = Form(e.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
            self.section_patch(&sent).unwrap_or_default()
        } else {
            a.settings.clone()
        };
        let mut rows: Vec<TemplateRow> = v["templates"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, t)| TemplateRow {
                i,
                name: t["name"].as_str().unwrap_or("").into(),
                language: t["language"].as_str().unwrap_or("").into(),
                text: t["text"].as_str().unwrap_or("").into(),
            })
            .collect();
        let n = rows.len();
        rows.extend((n..n + SPARE_ROWS).map(|i| TemplateRow {
            i,
            name: String::new(),
            language: String::new(),
            text: String::new(),
        }));
        let phone = v["click_to_chat_phone"].as_str().unwrap_or("");
        let (link, snippet) = if phone.is_empty() {
            (String::new(), String::new())
        } else {
            atiende_core::whatsapp::click_to_chat(
                phone,
                v["click_to_chat_text"].as_str().unwrap_or(""),
                c.t("wa.chat_with_us"),
            )
            .unwrap_or_default()
        };
        Section {
            c,
            id: a.id,
            token_set: a.secret_set("access_token"),
            rows,
            link,
            snippet,
            synced: ctx.test.and_then(|t| t["synced"].as_i64()),
            webhook: ctx.data["webhook"].as_str().unwrap_or("").to_string(),
            v,
            e,
        }
        .render()
    }

    fn section_patch(&self, f: &Form) -> Option<Value> {
        let mut p = json!({
            "phone_number_id": f.get("phone_number_id").trim(),
            "click_to_chat_phone": f.get("click_to_chat_phone").trim(),
            "click_to_chat_text": f.get("click_to_chat_text").trim(),
        });
        let waba = f.get("business_account_id").trim();
        p["business_account_id"] = if waba.is_empty() { Value::Null } else { json!(waba) };
        // A new token replaces the old one; an empty box keeps it.
        let token = f.get("access_token").trim();
        if !token.is_empty() {
            p["access_token"] = json!(token);
        }
        let count: usize = f.get("tpl_count").parse().unwrap_or(0).min(600);
        let mut list = Vec::new();
        for i in 0..count {
            let (name, language, text) = (
                f.get(&format!("tpl_name_{i}")),
                f.get(&format!("tpl_language_{i}")),
                f.get(&format!("tpl_text_{i}")),
            );
            if name.trim().is_empty() && language.trim().is_empty() && text.trim().is_empty() {
                continue;
            }
            list.push(json!({"name": name.trim(), "language": language.trim(), "text": text.trim()}));
        }
        p["templates"] = Value::Array(list);
        Some(p)
    }

    fn section_data<'a>(
        &'a self,
        web: &'a Web,
        _account_id: i64,
    ) -> super::BoxFut<'a, Result<Value, UiError>> {
        Box::pin(async move {
            Ok(
                json!({"webhook": format!("{}/webhooks/meta", web.app.config.public_url.trim_end_matches('/'))}),
            )
        })
    }

    fn routes(&self) -> Router<Web> {
        Router::new().route("/admin/accounts/{id}/whatsapp/templates/sync", post(sync))
    }
}

/// "Sync from Meta": the approved templates of the business account replace the list.
async fn sync(
    State(web): State<Web>,
    page: Page,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let form = read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    match atiende_app::channels::whatsapp::sync_templates(&web.app, &page.actor, id).await {
        Ok(n) => Ok(render(
            StatusCode::OK,
            &settings_page_with(&web, &page, id, false, Some(json!({"synced": n})), Errors::default())
                .await?,
        )),
        Err(atiende_app::AppError::Invalid(v)) => {
            let e = Errors {
                form: "whatsapp".into(),
                field: v.field,
                message: v.message,
                values: Default::default(),
            };
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &settings_page_with(&web, &page, id, false, None, e).await?,
            ))
        }
        Err(atiende_app::AppError::Conflict { field, message }) => {
            let e = Errors {
                form: "whatsapp".into(),
                field: format!("settings.{}", field.unwrap_or_else(|| "templates".into())),
                message,
                values: Default::default(),
            };
            Ok(render(StatusCode::CONFLICT, &settings_page_with(&web, &page, id, false, None, e).await?))
        }
        Err(e) => Err(e.into()),
    }
}
