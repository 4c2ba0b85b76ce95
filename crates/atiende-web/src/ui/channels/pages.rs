//! The Facebook and Instagram kinds' screens (SPEC §4.4, seeds 000/004): the creation form
//! (the page — and the Instagram account — by id, with the page's token), the account's line
//! with its connection status, and the options section (the token, the HUMAN_AGENT tag; "only
//! admins publish" is among the general options).
use super::{AccountView, ChannelScreens};
use crate::ui::admin::Errors;
use crate::ui::{Chrome, Form};
use askama::Template;
use atiende_core::ChannelKind;
use serde_json::{Value, json};

pub struct FacebookScreens;
pub struct InstagramScreens;

#[derive(Template)]
#[template(path = "channels/pages_create.html")]
struct Create<'a> {
    c: &'a Chrome,
    e: &'a Errors,
    kind: &'static str,
}

impl Create<'_> {
    fn form(&self) -> String {
        format!("create-{}", self.kind)
    }
}

#[derive(Template)]
#[template(path = "channels/pages_account.html")]
struct Block<'a> {
    c: &'a Chrome,
    kind: &'static str,
    page_id: String,
    instagram_account_id: String,
    status: String,
    status_reason: String,
}

#[derive(Template)]
#[template(path = "channels/pages_settings.html")]
struct Section<'a> {
    c: &'a Chrome,
    id: i64,
    kind: &'static str,
    v: Value,
    token_set: bool,
    e: &'a Errors,
}

impl Section<'_> {
    fn text(&self, key: &str) -> &str {
        self.v[key].as_str().unwrap_or("")
    }
    fn on(&self, key: &str) -> bool {
        self.v[key].as_bool().unwrap_or(false)
    }
    fn under(&self, key: &str) -> &str {
        if self.e.form == self.kind && self.e.field == format!("settings.{key}") {
            &self.e.message
        } else {
            ""
        }
    }
}

fn create_settings(kind: &str, f: &Form) -> Value {
    let mut s =
        json!({"page_id": f.get("page_id").trim(), "page_access_token": f.get("page_access_token").trim()});
    if kind == "instagram" {
        s["instagram_account_id"] = json!(f.get("instagram_account_id").trim());
    }
    s
}

fn block(kind: &'static str, c: &Chrome, a: &AccountView) -> Result<String, askama::Error> {
    let s = |k: &str| a.settings[k].as_str().unwrap_or("").to_string();
    Block {
        c,
        kind,
        page_id: s("page_id"),
        instagram_account_id: s("instagram_account_id"),
        status: a.status.clone(),
        status_reason: a.status_reason.clone(),
    }
    .render()
}

fn section(kind: &'static str, c: &Chrome, a: &AccountView, e: &Errors) -> Result<String, askama::Error> {
    let v = if e.form == kind {
        let sent = Form(e.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        patch(kind, &sent)
    } else {
        a.settings.clone()
    };
    Section { c, id: a.id, kind, v, token_set: a.secret_set("page_access_token"), e }.render()
}

fn patch(kind: &str, f: &Form) -> Value {
    let mut p = json!({
        "page_id": f.get("page_id").trim(),
        "human_agent_tag": !f.get("human_agent_tag").is_empty(),
    });
    if kind == "instagram" {
        p["instagram_account_id"] = json!(f.get("instagram_account_id").trim());
    }
    let token = f.get("page_access_token").trim();
    if !token.is_empty() {
        p["page_access_token"] = json!(token);
    }
    p
}

macro_rules! screens {
    ($t:ty, $kind:expr, $channel:expr, $mark:expr) => {
        impl ChannelScreens for $t {
            fn kind(&self) -> ChannelKind {
                $channel
            }
            fn mark(&self) -> &'static str {
                $mark
            }
            fn create_form(&self, c: &Chrome, e: &Errors) -> Result<String, askama::Error> {
                Create { c, e, kind: $kind }.render()
            }
            fn create_settings(&self, f: &Form) -> Value {
                create_settings($kind, f)
            }
            fn account_block(
                &self,
                c: &Chrome,
                a: &AccountView,
                _e: &Errors,
            ) -> Result<String, askama::Error> {
                block($kind, c, a)
            }
            fn settings_section(
                &self,
                c: &Chrome,
                a: &AccountView,
                e: &Errors,
                _ctx: &super::SectionContext,
            ) -> Result<String, askama::Error> {
                section($kind, c, a, e)
            }
            fn section_patch(&self, f: &Form) -> Option<Value> {
                Some(patch($kind, f))
            }
            fn routes(&self) -> axum::Router<crate::Web> {
                if $kind == "facebook" {
                    axum::Router::new()
                        .route("/publish", axum::routing::get(publish_show).post(publish_send))
                        .route("/messages/{id}/context", axum::routing::get(context_show))
                        .route("/messages/{id}/post-tickets", axum::routing::post(post_tickets_send))
                } else {
                    axum::Router::new()
                }
            }
        }
    };
}

screens!(FacebookScreens, "facebook", ChannelKind::Facebook, "Facebook");

/// "New post": the Facebook pages the user may publish on, a text, and Meta's answer.
#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    c: Chrome,
    pages: Vec<(i64, String)>,
    chosen: i64,
    text: String,
    done: String,
    error: String,
    field: String,
}

async fn publish_page(
    web: &crate::Web,
    page: &crate::ui::Page,
    chosen: i64,
    text: String,
    done: String,
    error: (String, String),
) -> Result<PublishPage, crate::ui::UiError> {
    let c = page.chrome(web).await?;
    let pages = page
        .actor
        .reader(&web.app)?
        .accounts()
        .await?
        .into_iter()
        .filter(|a| {
            a.kind == ChannelKind::Facebook && atiende_app::channels::facebook::may_publish(&page.actor, a)
        })
        .map(|a| (a.id, a.name))
        .collect();
    Ok(PublishPage { c, pages, chosen, text, done, error: error.1, field: error.0 })
}

async fn publish_show(
    axum::extract::State(web): axum::extract::State<crate::Web>,
    page: crate::ui::Page,
) -> Result<axum::response::Response, crate::ui::UiError> {
    let p = publish_page(&web, &page, 0, String::new(), String::new(), Default::default()).await?;
    Ok(crate::ui::render(axum::http::StatusCode::OK, &p))
}

async fn publish_send(
    axum::extract::State(web): axum::extract::State<crate::Web>,
    page: crate::ui::Page,
    req: axum::extract::Request,
) -> Result<axum::response::Response, crate::ui::UiError> {
    use atiende_app::AppError;
    use axum::http::StatusCode;
    let form = crate::ui::read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    let id: i64 = form.get("account_id").parse().unwrap_or(0);
    let text = form.get("message").to_string();
    let (status, p) = match atiende_app::channels::facebook::publish(&web.app, &page.actor, id, &text).await {
        Ok(post) => {
            (StatusCode::OK, publish_page(&web, &page, id, String::new(), post, Default::default()).await?)
        }
        Err(AppError::Invalid(v)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            publish_page(&web, &page, id, text, String::new(), (v.field, page.tr.msg(&v.message))).await?,
        ),
        Err(AppError::Conflict { field, message }) => (
            StatusCode::CONFLICT,
            publish_page(
                &web,
                &page,
                id,
                text,
                String::new(),
                (field.unwrap_or_default(), page.tr.msg(&message)),
            )
            .await?,
        ),
        Err(e) => return Err(e.into()),
    };
    Ok(crate::ui::render(status, &p))
}
screens!(InstagramScreens, "instagram", ChannelKind::Instagram, "Instagram");

pub struct ContextComment {
    pub text: String,
    pub from: String,
    pub at: String,
    pub reply: bool,
    pub this: bool,
}

/// "View context": the post and its comments, the ticket's one highlighted.
#[derive(Template)]
#[template(path = "context.html")]
struct ContextPage {
    c: Chrome,
    ticket_id: i64,
    stored: bool,
    post_text: String,
    post_from: String,
    permalink: String,
    comments: Vec<ContextComment>,
    message_id: i64,
    /// The post's comments create tickets to work.
    tickets: bool,
}

async fn context_show(
    axum::extract::State(web): axum::extract::State<crate::Web>,
    page: crate::ui::Page,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<axum::response::Response, crate::ui::UiError> {
    let v = atiende_app::channels::pages::context(&web.app, &page.actor, id).await?;
    let m = page.actor.reader(&web.app)?.message(id).await?;
    let c = page.chrome(&web).await?;
    let text = |x: &Value, k: &str| x[k].as_str().unwrap_or("").to_string();
    let post_id = text(&v["post"], "id");
    let comments = v["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| ContextComment {
            text: text(x, "text"),
            from: text(x, "from"),
            at: text(x, "created_time").replace('T', " ").chars().take(16).collect(),
            reply: x["parent_id"].as_str().is_some_and(|p| p != post_id),
            this: x["this"] == true,
        })
        .collect();
    let p = ContextPage {
        c,
        ticket_id: m.ticket_id,
        stored: v["source"] == "stored",
        post_text: text(&v["post"], "text"),
        post_from: text(&v["post"], "from"),
        permalink: text(&v["post"], "permalink"),
        comments,
        message_id: id,
        tickets: v["tickets"] != false,
    };
    Ok(crate::ui::render(axum::http::StatusCode::OK, &p))
}

/// The context page's switch: this post's comments create tickets, or not.
async fn post_tickets_send(
    axum::extract::State(web): axum::extract::State<crate::Web>,
    page: crate::ui::Page,
    axum::extract::Path(id): axum::extract::Path<i64>,
    req: axum::extract::Request,
) -> Result<axum::response::Response, crate::ui::UiError> {
    use axum::response::IntoResponse;
    let form = crate::ui::read_form(req.into_body()).await;
    form.check_csrf(&page)?;
    atiende_app::channels::pages::set_post_tickets(&web.app, &page.actor, id, form.get("enabled") == "1")
        .await?;
    Ok(axum::response::Redirect::to(&format!("/messages/{id}/context")).into_response())
}
