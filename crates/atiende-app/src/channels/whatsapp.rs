//! The WhatsApp channel (WhatsApp Cloud API; SPEC §3, §4.4, §11.2). An account is a business
//! phone number: `phone_number_id`, `business_account_id` and a sealed `access_token`.
//! Messages arrive through the one Meta webhook ([`super::meta`]), routed here by the
//! number's id; each is the client `whatsapp`/`<wa_id>`, deduplicated by its `wamid`, its
//! media fetched through the Graph media endpoint. Replies go out through the outbox to
//! `POST {graph}/{version}/{phone_number_id}/messages`; the `wamid` Meta answers is kept, and
//! the later `statuses` (delivered, read, failed) move the message's delivery state, live.
//! Free-form replies only within 24 hours of the client's last message (the reply box says
//! so); Meta's errors decide whether to retry, wait out a rate limit, or ask an admin to
//! reconnect the account. Wire format: `atiende_channels::meta::whatsapp`.
use super::{BoxFut, Capabilities, Channel, Delivered, Outbound, final_error};
use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_channels::meta::{Failure, graph, whatsapp as wire};
use atiende_core::inbound::{Attachment, ClientIdentity, InboundMessage};
use atiende_core::{AccountStatus, ChannelKind};
use atiende_store::accounts::AccountRow;
use serde_json::{Map, Value, json};
use std::time::Duration;

pub struct Whatsapp;

/// WhatsApp's customer service window: free-form messages only this long after the
/// client's last one.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The address an account is found by when a webhook names its number.
pub fn route(phone_number_id: &str) -> String {
    format!("whatsapp:{phone_number_id}")
}

fn digits(settings: &Map<String, Value>, key: &str, required: bool) -> Result<(), AppError> {
    let field = format!("settings.{key}");
    match settings.get(key) {
        None | Some(Value::Null) if !required => Ok(()),
        None | Some(Value::Null) => Err(AppError::invalid(field, "is required")),
        Some(v) => match v.as_str() {
            Some(s) if !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_digit()) => Ok(()),
            _ => Err(AppError::invalid(field, "must be the numeric id Meta shows for it")),
        },
    }
}

impl Channel for Whatsapp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    fn check_settings(
        &self,
        _app: &App,
        settings: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<(), AppError> {
        digits(settings, "phone_number_id", true)?;
        digits(settings, "business_account_id", false)?;
        if let Some(t) = settings.get("templates") {
            atiende_core::templates::check_list(t, "settings.templates")?;
        }
        let text = |k: &str| settings.get(k).and_then(Value::as_str).unwrap_or("");
        if !text("click_to_chat_phone").is_empty() || !text("click_to_chat_text").is_empty() {
            atiende_core::whatsapp::click_to_chat(
                text("click_to_chat_phone"),
                text("click_to_chat_text"),
                "",
            )
            .map_err(|e| AppError::invalid(format!("settings.{}", e.field.replace('.', "_")), e.message))?;
        }
        if let Some(t) = secrets.get("access_token")
            && t.as_str()
                .is_none_or(|t| t.trim().len() < 20 || t.len() > 1024 || t.contains(char::is_whitespace))
        {
            return Err(AppError::invalid(
                "settings.access_token",
                "must be the access token Meta gave (a system user's permanent token)",
            ));
        }
        Ok(())
    }

    fn capabilities(&self, app: &App) -> Capabilities {
        // One file a message (uploaded, then sent with the text as its caption).
        let files = super::FileLimits { max_files: 1, max_bytes: app.config.meta.max_media_bytes };
        Capabilities {
            private_messages: true,
            files: Some(files),
            reply_window: Some(WINDOW),
            ..Default::default()
        }
    }

    fn account_changed<'a>(
        &'a self,
        app: &'a App,
        account: &'a AccountRow,
        before: Option<&'a Value>,
    ) -> BoxFut<'a, Result<(), AppError>> {
        Box::pin(async move {
            let id = account.settings.json()["phone_number_id"].as_str().unwrap_or("").to_string();
            if atiende_store::accounts::by_inbound_address(&app.db, &route(&id))
                .await?
                .is_some_and(|other| other.id != account.id)
            {
                return Err(AppError::conflict(
                    "settings.phone_number_id",
                    "another account already has this phone number",
                ));
            }
            atiende_store::accounts::set_inbound_address(&app.db, account.id, Some(&route(&id))).await?;
            // An admin who changes the account (a new token) is taken to have fixed it: the
            // next failure says otherwise.
            if before.is_some() {
                atiende_store::accounts::set_status(
                    &app.db,
                    account.id,
                    AccountStatus::Active.as_str(),
                    None,
                    app.now(),
                )
                .await?;
            }
            Ok(())
        })
    }

    fn deliver<'a>(
        &'a self,
        app: &'a App,
        out: Outbound<'a>,
    ) -> BoxFut<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let to = out.recipient.clone().ok_or_else(|| final_error("the client has no WhatsApp number"))?;
            let secrets =
                crate::accounts::open_secrets(app, out.account).map_err(|e| final_error(e.to_string()))?;
            let token = secrets["access_token"].as_str().unwrap_or("").to_string();
            if token.is_empty() {
                return Err(final_error("the account has no access token"));
            }
            let phone = out.account.settings.json()["phone_number_id"].as_str().unwrap_or("").to_string();
            let body = match template_of(out.message) {
                Some((name, lang, params)) => wire::template_body(&to, &name, &lang, &params),
                None => {
                    // Nothing free-form leaves outside the window (automatic replies included).
                    let closed = super::window_closed(app, out.account, out.ticket.id)
                        .await
                        .map_err(|e| super::retry_error(e.to_string()))?;
                    if closed.is_some() {
                        return Err(final_error(
                            "not sent: more than 24 hours have passed since the client's last message (WhatsApp's window); send an approved template",
                        ));
                    }
                    wire::text_body(&to, &out.message.text, None)
                }
            };
            let url = app.config.meta.graph.at(&format!("{phone}/messages"));
            let files = atiende_store::attachments::with_data(&app.db, out.message.org_id, out.message.id)
                .await
                .map_err(|e| super::retry_error(e.to_string()))?;
            let body = match (files.into_iter().next(), body["type"] == "text") {
                (Some((info, data)), true) => {
                    // The file goes up first (`POST /{phone}/media`), then out by its id, with the
                    // text as its caption (a longer text goes first, on its own).
                    let boundary = format!("atiende-{}", out.message.id);
                    let upload = wire::upload_body(&boundary, &info.filename, &info.content_type, &data);
                    let media_url = app.config.meta.graph.at(&format!("{phone}/media"));
                    let media =
                        match graph::post_multipart(&app.http, &media_url, &token, &boundary, upload).await {
                            Ok(v) => v["id"]
                                .as_str()
                                .map(str::to_string)
                                .ok_or_else(|| final_error("the media upload gave no id"))?,
                            Err(f) => return Err(super::meta::failure(app, out.account, f).await),
                        };
                    let text = out.message.text.trim();
                    let kind = wire::media_kind(&info.content_type);
                    let captioned = matches!(kind, "image" | "video" | "document");
                    let caption = if captioned && text.chars().count() <= 1024 {
                        Some(text)
                    } else if text.is_empty() {
                        None
                    } else {
                        if let Err(f) = graph::post(&app.http, &url, &token, &body).await {
                            return Err(super::meta::failure(app, out.account, f).await);
                        }
                        None
                    };
                    wire::media_body(&to, kind, &media, caption, Some(&info.filename))
                }
                _ => body,
            };
            match graph::post(&app.http, &url, &token, &body).await {
                Ok(answer) => {
                    let id = wire::sent_id(&answer);
                    Ok(Delivered { external_id: id, metadata: None })
                }
                Err(f) => Err(super::meta::failure(app, out.account, f).await),
            }
        })
    }
}

/// A template a message was written as (`metadata.whatsapp.template`: name, language and
/// the body's parameters).
fn template_of(m: &atiende_store::messages::MessageRow) -> Option<(String, String, Vec<String>)> {
    let meta: Value = serde_json::from_str(&m.metadata).ok()?;
    let t = &meta["whatsapp"]["template"];
    let params = t["parameters"].as_array()?.iter().filter_map(|p| p.as_str().map(str::to_string)).collect();
    Some((t["name"].as_str()?.to_string(), t["language"].as_str()?.to_string(), params))
}

/// Stores the messages and statuses of one webhook change for this account.
pub async fn take(app: &App, account: &AccountRow, change: wire::Change) -> Result<(), Failure> {
    for m in change.messages {
        take_message(app, account, m).await?;
    }
    for s in change.statuses {
        take_status(app, account, &s).await.map_err(|e| Failure::Retry(e.to_string()))?;
    }
    Ok(())
}

async fn take_message(app: &App, account: &AccountRow, m: wire::Message) -> Result<(), Failure> {
    if m.kind == "reaction" && m.text.is_empty() {
        // A reaction taken back: nothing to show.
        return Ok(());
    }
    let mut attachments = Vec::new();
    if let Some(media) = &m.media {
        attachments.push(fetch_media(app, account, media, &m.kind).await?);
    }
    let mut details = json!({"type": m.kind, "wamid": m.id});
    if !m.details.is_null() {
        details["details"] = m.details.clone();
    }
    if let Some(r) = &m.replying_to {
        details["replying_to"] = json!(r);
    }
    let text = match (m.kind.as_str(), m.text.is_empty()) {
        ("reaction", _) => format!("{} (reaction)", m.text),
        ("unsupported" | "unknown", _) => "(a message WhatsApp does not pass on)".to_string(),
        (_, _) => m.text.clone(),
    };
    let msg = InboundMessage {
        external_id: m.id.clone(),
        client: ClientIdentity {
            kind: "whatsapp".into(),
            value: m.from.clone(),
            name: m.name.clone().unwrap_or_default(),
        },
        text,
        html: None,
        attachments,
        private: true,
        automated: false,
        parent: None,
        thread: m.replying_to.iter().cloned().collect(),
        sent_at: m.timestamp.map(|s| s * 1_000_000),
        metadata: Some(json!({"whatsapp": details})),
    };
    crate::inbound::receive(app, account, msg, false).await.map_err(|e| Failure::Retry(e.to_string()))?;
    Ok(())
}

/// Downloads a message's file (the Graph media endpoint, then its URL, both with the token).
async fn fetch_media(
    app: &App,
    account: &AccountRow,
    media: &wire::Media,
    kind: &str,
) -> Result<Attachment, Failure> {
    let secrets = crate::accounts::open_secrets(app, account).map_err(|e| Failure::Retry(e.to_string()))?;
    let token = secrets["access_token"].as_str().unwrap_or("");
    let info = match graph::get(&app.http, &app.config.meta.graph.at(&media.id), token).await {
        Ok(v) => v,
        Err(Failure::Reconnect(reason)) => {
            super::meta::needs_reconnection(app, account, &reason).await;
            return Err(Failure::Reconnect(reason));
        }
        Err(f) => return Err(f),
    };
    let (url, mime, size) =
        wire::media_info(&info).ok_or_else(|| Failure::Retry("the media endpoint gave no address".into()))?;
    let max = app.config.meta.max_media_bytes;
    let data = if size.is_some_and(|s| s as usize > max) {
        None
    } else {
        graph::download(&app.http, &url, token, max).await?
    };
    let content_type = if mime.is_empty() { media.mime_type.clone() } else { mime };
    let ext = content_type.split('/').nth(1).unwrap_or("bin").split(';').next().unwrap_or("bin").to_string();
    let filename = media.filename.clone().unwrap_or_else(|| format!("{kind}.{ext}"));
    Ok(Attachment {
        filename,
        content_type,
        content_id: None,
        inline: false,
        size: data.as_ref().map_or(size.unwrap_or(0) as i64, |d| d.len() as i64),
        data,
    })
}

/// A delivery status of one of ours: the message's state moves on (never back), live.
async fn take_status(app: &App, account: &AccountRow, s: &wire::Status) -> Result<(), AppError> {
    let Some(m) =
        atiende_store::messages::by_external(&app.db, account.id, atiende_core::Direction::Out, &s.id)
            .await?
    else {
        // Sent from elsewhere (the WhatsApp Business app), or a status before our send
        // recorded its id: nothing of ours to move.
        return Ok(());
    };
    let state = match s.status.as_str() {
        "sent" => "sent",
        "delivered" => "delivered",
        // A voice message played was read.
        "read" | "played" => "read",
        "failed" => "failed",
        _ => return Ok(()),
    };
    let mut tx = app.db.begin().await?;
    atiende_store::messages::set_delivery_state(&mut tx, m.id, state, s.error.as_deref(), app.now()).await?;
    app.commit(tx).await?;
    Ok(())
}

/// The templates an account may send.
pub fn templates(account: &AccountRow) -> Vec<atiende_core::templates::Template> {
    let s = account.settings.json();
    atiende_core::templates::check_list(&s["templates"], "templates").unwrap_or_default()
}

/// Replaces an account's templates (admins) with the approved ones of its WhatsApp Business
/// Account (`GET /{version}/{business_account_id}/message_templates`, every page). Answers
/// how many there are.
pub async fn sync_templates(
    app: &App,
    actor: &crate::auth::Actor,
    account_id: i64,
) -> Result<usize, AppError> {
    actor.require_admin()?;
    let a = atiende_store::accounts::get(&app.db, actor.org_id, account_id).await?;
    if a.kind != ChannelKind::Whatsapp {
        return Err(AppError::conflict("kind", "only WhatsApp accounts have templates"));
    }
    let waba = a.settings.json()["business_account_id"].as_str().unwrap_or("").to_string();
    if waba.is_empty() {
        return Err(AppError::invalid(
            "settings.business_account_id",
            "is needed to read the account's templates from Meta",
        ));
    }
    let secrets = crate::accounts::open_secrets(app, &a)?;
    let token = secrets["access_token"].as_str().unwrap_or("").to_string();
    let mut url =
        app.config.meta.graph.at(&format!(
            "{waba}/message_templates?fields=name,language,status,category,components&limit=100"
        ));
    let mut all = Vec::new();
    for _ in 0..50 {
        let page = match graph::get(&app.http, &url, &token).await {
            Ok(p) => p,
            Err(Failure::Reconnect(reason)) => {
                super::meta::needs_reconnection(app, &a, &reason).await;
                return Err(AppError::conflict("access_token", reason));
            }
            Err(Failure::RateLimited(r, _) | Failure::Retry(r) | Failure::Final(r)) => {
                return Err(AppError::conflict("templates", format!("Meta did not give the templates: {r}")));
            }
        };
        let (list, next) = wire::templates_page(&page);
        all.extend(list);
        match next {
            // Only to the Graph API it was asked of (the link is Meta's answer).
            Some(n) if n.starts_with(&app.config.meta.graph.url) => url = n,
            _ => break,
        }
    }
    // Keep only what the account could send (a template with named parameters is left out).
    let kept: Vec<Value> =
        all.into_iter().filter(|t| atiende_core::templates::check_list(&json!([t]), "t").is_ok()).collect();
    let n = kept.len();
    crate::accounts::update(app, actor, account_id, None, Some(json!({"templates": kept}))).await?;
    Ok(n)
}

/// Whether a ticket's free replies are closed by WhatsApp's window: when it closed and the
/// templates the account may send instead. `None` while free replies are open, or on other
/// channels.
pub async fn closed_window(
    app: &App,
    ticket: &atiende_store::tickets::TicketRow,
) -> Result<Option<(atiende_core::time::Micros, Vec<atiende_core::templates::Template>)>, AppError> {
    let account = atiende_store::accounts::get_any(&app.db, ticket.account_id).await?;
    Ok(super::window_closed(app, &account, ticket.id).await?.map(|at| (at, templates(&account))))
}
