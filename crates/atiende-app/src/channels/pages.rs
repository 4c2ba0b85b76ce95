//! What Facebook pages ([`super::facebook`]) and Instagram accounts ([`super::instagram`])
//! share: both take private messages (Messenger, Instagram Direct) and public comments through
//! Meta's one webhook, and answer through the Graph API with the page's token. A private
//! message is the client `<kind>`/`<page-scoped id>`; a comment the same client, public (no
//! automatic replies), kept with its post and the comment it answers. Echoes of what the page
//! sent from elsewhere are kept as "made outside Atiende" and never sent again; reads and
//! deliveries move our messages' state; a comment removed on the network is flagged
//! "deleted on the network", an edited one takes its new text. A reply goes where the client
//! last wrote: under their comment (publicly), or in their private conversation — within
//! 24 hours of their last private message, or within 7 days with the `HUMAN_AGENT` tag when the
//! account says the app has it; otherwise it fails with that reason.
use super::{Delivered, Outbound, final_error};
use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_channels::meta::messenger::{self as wire, Event};
use atiende_channels::meta::{Failure, graph};
use atiende_core::ChannelKind;
use atiende_core::inbound::{Attachment, ClientIdentity, InboundMessage};
use atiende_store::accounts::AccountRow;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// One of the two platforms.
pub struct Platform {
    pub kind: ChannelKind,
    /// The webhook's `object`.
    pub object: &'static str,
    /// The setting naming the id entries come for.
    pub id_setting: &'static str,
    /// The edge a public reply is posted to (`/{comment-id}/comments` on Facebook,
    /// `/{comment-id}/replies` on Instagram).
    pub reply_edge: &'static str,
    /// Fields of the profile lookup that name a person.
    pub profile_fields: &'static str,
}

/// The standard messaging window, and the `HUMAN_AGENT` tag's.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);
pub const HUMAN_AGENT_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// The page's token is a credential.
pub const SECRET_KEYS: &[&str] =
    &["page_access_token", "access_token", "app_secret", "secret", "password", "token"];

impl Platform {
    /// The address an account is found by when a webhook names its id.
    pub fn route(&self, id: &str) -> String {
        format!("{}:{id}", self.kind.as_str())
    }

    fn key(&self) -> &'static str {
        self.kind.as_str()
    }
}

pub fn digits(settings: &Map<String, Value>, key: &str) -> Result<String, AppError> {
    let field = format!("settings.{key}");
    match settings.get(key).and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_digit()) => {
            Ok(s.to_string())
        }
        None if !settings.contains_key(key) => Err(AppError::invalid(field, "is required")),
        _ => Err(AppError::invalid(field, "must be the numeric id Meta shows for it")),
    }
}

/// The checks both kinds share: the page's id, its token, the yes/no options.
pub fn check_settings(settings: &Map<String, Value>, secrets: &Map<String, Value>) -> Result<(), AppError> {
    digits(settings, "page_id")?;
    if let Some(t) = secrets.get("page_access_token")
        && t.as_str().is_none_or(|t| t.trim().len() < 20 || t.len() > 1024 || t.contains(char::is_whitespace))
    {
        return Err(AppError::invalid(
            "settings.page_access_token",
            "must be the page's access token Meta gave",
        ));
    }
    if let Some(v) = settings.get("posts_without_tickets") {
        let field = "settings.posts_without_tickets";
        let list = v.as_array().ok_or_else(|| AppError::invalid(field, "must be a list of post ids"))?;
        if list.len() > 1000 {
            return Err(AppError::invalid(field, "at most 1,000 posts"));
        }
        if list.iter().any(|p| {
            p.as_str().is_none_or(|p| {
                p.is_empty() || p.len() > 64 || !p.chars().all(|c| c.is_ascii_digit() || c == '_')
            })
        }) {
            return Err(AppError::invalid(field, "must be a list of Meta's post ids"));
        }
    }
    for flag in ["human_agent_tag"] {
        if settings.get(flag).is_some_and(|v| !v.is_boolean() && !v.is_null()) {
            return Err(AppError::invalid(format!("settings.{flag}"), "must be true or false"));
        }
    }
    Ok(())
}

/// Points the webhook's id at the account (one account per page or Instagram account).
pub async fn claim(
    app: &App,
    p: &Platform,
    account: &AccountRow,
    before: Option<&Value>,
) -> Result<(), AppError> {
    let id = account.settings.json()[p.id_setting].as_str().unwrap_or("").to_string();
    if atiende_store::accounts::by_inbound_address(&app.db, &p.route(&id))
        .await?
        .is_some_and(|other| other.id != account.id)
    {
        return Err(AppError::conflict(
            &format!("settings.{}", p.id_setting),
            "another account already has it",
        ));
    }
    atiende_store::accounts::set_inbound_address(&app.db, account.id, Some(&p.route(&id))).await?;
    if before.is_some() {
        atiende_store::accounts::set_status(
            &app.db,
            account.id,
            atiende_core::AccountStatus::Active.as_str(),
            None,
            app.now(),
        )
        .await?;
    }
    Ok(())
}

fn token(app: &App, account: &AccountRow) -> Result<String, AppError> {
    let secrets = crate::accounts::open_secrets(app, account)?;
    Ok(secrets["page_access_token"].as_str().unwrap_or("").to_string())
}

fn retry(e: impl std::fmt::Display) -> Failure {
    Failure::Retry(e.to_string())
}

/// Stores what one webhook entry says for this account.
pub async fn take(app: &App, p: &Platform, account: &AccountRow, events: Vec<Event>) -> Result<(), Failure> {
    for e in events {
        match e {
            Event::Message { echo: true, person, mid, text, .. } => {
                echo(app, p, account, &person, &mid, &text).await?
            }
            Event::Message { person, mid, text, attachments, reply_to, timestamp, deleted, .. } => {
                if deleted {
                    network(app, p, account, &mid, "deleted", None).await?;
                    continue;
                }
                let mut files = Vec::new();
                for a in &attachments {
                    if let Some(f) = fetch(app, a).await {
                        files.push(f);
                    }
                }
                let links: Vec<String> = attachments
                    .iter()
                    .filter(|a| {
                        matches!(
                            a.kind.as_str(),
                            "share" | "fallback" | "ig_post" | "post" | "reel" | "ig_reel" | "story_mention"
                        )
                    })
                    .filter_map(|a| a.url.clone())
                    .collect();
                let text = [text, links.join("\n")]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                let msg = InboundMessage {
                    external_id: mid.clone(),
                    client: ClientIdentity {
                        kind: p.kind.as_str().into(),
                        value: person.clone(),
                        name: name_of(app, p, account, &person).await,
                    },
                    text,
                    html: None,
                    attachments: files,
                    private: true,
                    automated: false,
                    parent: None,
                    thread: reply_to.into_iter().collect(),
                    sent_at: timestamp.map(|ms| ms * 1000),
                    metadata: Some(json!({p.key(): {"kind": "message", "mid": mid}})),
                };
                crate::inbound::receive(app, account, msg, false).await.map_err(retry)?;
            }
            Event::Postback { person, mid, title, payload, timestamp, .. } => {
                let id = mid.unwrap_or_else(|| format!("postback:{person}:{}", timestamp.unwrap_or(0)));
                let msg = InboundMessage {
                    external_id: id.clone(),
                    client: ClientIdentity {
                        kind: p.kind.as_str().into(),
                        value: person.clone(),
                        name: name_of(app, p, account, &person).await,
                    },
                    text: title,
                    private: true,
                    sent_at: timestamp.map(|t| if t > 100_000_000_000 { t * 1000 } else { t * 1_000_000 }),
                    metadata: Some(json!({p.key(): {"kind": "postback", "payload": payload, "mid": id}})),
                    ..Default::default()
                };
                crate::inbound::receive(app, account, msg, false).await.map_err(retry)?;
            }
            Event::Read { person, watermark, mid, .. } => {
                read(app, p, account, &person, watermark, mid.as_deref()).await?
            }
            Event::Delivery { mids, .. } => {
                for mid in mids {
                    state(app, account, &mid, "delivered").await?;
                }
            }
            Event::Comment {
                owner,
                verb,
                comment_id,
                post_id,
                parent_id,
                from_id,
                from_name,
                text,
                created_time,
            } => match verb.as_str() {
                "add" => {
                    // The page's own comments are its replies (ours, or made on the network).
                    let Some(from) = from_id.filter(|f| *f != owner) else { continue };
                    let name = from_name.unwrap_or_default();
                    let msg = InboundMessage {
                        external_id: comment_id.clone(),
                        client: ClientIdentity {
                            kind: p.kind.as_str().into(),
                            value: from,
                            name: name.clone(),
                        },
                        text,
                        private: false,
                        parent: Some(post_id.clone()),
                        thread: parent_id.iter().cloned().collect(),
                        sent_at: created_time.map(|s| s * 1_000_000),
                        metadata: Some(
                            json!({p.key(): {"kind": "comment", "comment_id": comment_id, "post_id": post_id, "parent_id": parent_id, "from": name}}),
                        ),
                        ..Default::default()
                    };
                    crate::inbound::receive(app, account, msg, false).await.map_err(retry)?;
                }
                "edited" | "edit" => network(app, p, account, &comment_id, "edited", Some(&text)).await?,
                "remove" | "delete" => network(app, p, account, &comment_id, "deleted", None).await?,
                "hide" => network(app, p, account, &comment_id, "hidden", None).await?,
                "unhide" => network(app, p, account, &comment_id, "visible", None).await?,
                _ => {}
            },
            Event::Mention { owner, media_id, comment_id } => {
                mention(app, p, account, &owner, &media_id, comment_id.as_deref()).await?
            }
        }
    }
    Ok(())
}

/// The account was mentioned (Instagram): in a comment, or in a post's caption. The webhook
/// carries only ids; the text and the author's username are read with
/// `GET /{ig-id}?fields=mentioned_comment.comment_id(…){…}` (or `mentioned_media.media_id(…)`).
/// The author is the client `instagram`/`@<username>` (Meta gives no id for them here); the
/// message is public and answered with `POST /{ig-id}/mentions`.
async fn mention(
    app: &App,
    p: &Platform,
    account: &AccountRow,
    owner: &str,
    media: &str,
    comment: Option<&str>,
) -> Result<(), Failure> {
    let token = token(app, account).map_err(retry)?;
    let (fields, key) = match comment {
        Some(c) => {
            (format!("mentioned_comment.comment_id({c}){{id,text,username,timestamp}}"), "mentioned_comment")
        }
        None => {
            (format!("mentioned_media.media_id({media}){{id,caption,username,timestamp}}"), "mentioned_media")
        }
    };
    let url = app.config.meta.graph.at(&format!("{owner}?fields={fields}"));
    let v = match graph::get(&app.http, &url, &token).await {
        Ok(v) => v,
        Err(Failure::Reconnect(reason)) => {
            super::meta::needs_reconnection(app, account, &reason).await;
            return Err(Failure::Reconnect(reason));
        }
        Err(Failure::Final(reason)) => {
            // Deleted since, or not visible to us: nothing to keep.
            tracing::info!(account = account.id, %reason, "Instagram mention not readable");
            return Ok(());
        }
        Err(f) => return Err(f),
    };
    let m = &v[key];
    let username = m["username"].as_str().unwrap_or("").trim().to_string();
    if username.is_empty() {
        return Ok(());
    }
    let text = m["text"].as_str().or(m["caption"].as_str()).unwrap_or("").to_string();
    let id = comment.map(str::to_string).unwrap_or_else(|| format!("mention:{media}"));
    let msg = InboundMessage {
        external_id: id,
        client: ClientIdentity {
            kind: p.kind.as_str().into(),
            value: format!("@{username}"),
            name: username.clone(),
        },
        text,
        private: false,
        parent: Some(media.to_string()),
        metadata: Some(
            json!({p.key(): {"kind": "mention", "comment_id": comment, "post_id": media, "from": username}}),
        ),
        ..Default::default()
    };
    crate::inbound::receive(app, account, msg, false).await.map_err(retry)?;
    Ok(())
}

/// A person's name from the profile lookup (`GET /{id}?fields=…` with the page's token);
/// empty when Meta does not give it.
async fn name_of(app: &App, p: &Platform, account: &AccountRow, person: &str) -> String {
    // Known names are kept a day, so a conversation costs one lookup, not one per message.
    let key = (account.id, person.to_string());
    if let Some(name) = app.profile_cache.get(&key) {
        return name;
    }
    let Ok(token) = token(app, account) else { return String::new() };
    let url = app.config.meta.graph.at(&format!("{person}?fields={}", p.profile_fields));
    let name: String = match graph::get(&app.http, &url, &token).await {
        Ok(v) => v["name"].as_str().or(v["username"].as_str()).unwrap_or("").chars().take(120).collect(),
        Err(_) => String::new(),
    };
    if !name.is_empty() {
        app.profile_cache.put(key, name.clone());
    }
    name
}

/// Downloads an image, video, audio or file a person sent (Meta's CDN addresses need no
/// token); `None` for shares and what cannot be fetched (the link stays in the text).
async fn fetch(app: &App, a: &wire::Attachment) -> Option<Attachment> {
    if !matches!(a.kind.as_str(), "image" | "video" | "audio" | "file" | "sticker") {
        return None;
    }
    let url = a.url.as_deref()?;
    let max = app.config.meta.max_media_bytes;
    let resp = app.http.get(url).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut resp = resp;
    let mut data = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        if data.len() + chunk.len() > max {
            return Some(Attachment {
                filename: a.kind.clone(),
                content_type,
                size: (data.len() + chunk.len()) as i64,
                ..Default::default()
            });
        }
        data.extend_from_slice(&chunk);
    }
    let ext = content_type.split('/').nth(1).unwrap_or("bin").split(';').next().unwrap_or("bin").to_string();
    Some(Attachment {
        filename: format!("{}.{ext}", a.kind),
        content_type,
        size: data.len() as i64,
        data: Some(data),
        ..Default::default()
    })
}

/// What the page sent from elsewhere (its inbox, another app): kept on the person's open
/// ticket as "made outside Atiende", never sent again; ours (by the id Meta answered) are
/// skipped.
async fn echo(
    app: &App,
    p: &Platform,
    account: &AccountRow,
    person: &str,
    mid: &str,
    text: &str,
) -> Result<(), Failure> {
    if atiende_store::messages::by_external(&app.db, account.id, atiende_core::Direction::Out, mid)
        .await
        .map_err(retry)?
        .is_some()
    {
        return Ok(());
    }
    let Some(t) = atiende_store::tickets::open_of_identity(
        &app.db,
        account.org_id,
        account.id,
        p.kind.as_str(),
        person,
    )
    .await
    .map_err(retry)?
    else {
        tracing::info!(
            account = account.id,
            "echo of a message the page sent outside Atiende, to a person without an open ticket"
        );
        return Ok(());
    };
    let meta = json!({p.key(): {"kind": "message", "mid": mid, "outside_atiende": true}}).to_string();
    let mut tx = app.db.begin().await.map_err(retry)?;
    let r = atiende_store::messages::append(
        &mut tx,
        &t,
        &atiende_store::messages::NewMessage {
            direction: atiende_core::Direction::Out,
            author: atiende_core::AuthorKind::Agent,
            author_user_id: None,
            text,
            html: None,
            external_id: Some(mid),
            deliver: false,
            auto_action: None,
            metadata: Some(&meta),
        },
        app.now(),
    )
    .await;
    match r {
        Ok(_) => app.commit(tx).await.map_err(retry),
        // Taken already (Meta sent the echo again).
        Err(atiende_store::StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(retry(e)),
    }
}

/// A client's message changed on the network.
async fn network(
    app: &App,
    p: &Platform,
    account: &AccountRow,
    external: &str,
    what: &str,
    text: Option<&str>,
) -> Result<(), Failure> {
    let Some(m) =
        atiende_store::messages::by_external(&app.db, account.id, atiende_core::Direction::In, external)
            .await
            .map_err(retry)?
    else {
        return Ok(());
    };
    let mut tx = app.db.begin().await.map_err(retry)?;
    atiende_store::messages::mark_from_network(&mut tx, m.id, p.key(), what, text, app.now())
        .await
        .map_err(retry)?;
    app.commit(tx).await.map_err(retry)
}

async fn state(app: &App, account: &AccountRow, mid: &str, to: &str) -> Result<(), Failure> {
    let Some(m) =
        atiende_store::messages::by_external(&app.db, account.id, atiende_core::Direction::Out, mid)
            .await
            .map_err(retry)?
    else {
        return Ok(());
    };
    let mut tx = app.db.begin().await.map_err(retry)?;
    atiende_store::messages::set_delivery_state(&mut tx, m.id, to, None, app.now()).await.map_err(retry)?;
    app.commit(tx).await.map_err(retry)
}

/// The person read: Messenger says up to when (every message of ours sent until then),
/// Instagram which message.
async fn read(
    app: &App,
    p: &Platform,
    account: &AccountRow,
    person: &str,
    watermark: Option<i64>,
    mid: Option<&str>,
) -> Result<(), Failure> {
    if let Some(mid) = mid {
        return state(app, account, mid, "read").await;
    }
    let Some(until) = watermark.map(|ms| ms * 1000) else { return Ok(()) };
    let Some(t) = atiende_store::tickets::open_of_identity(
        &app.db,
        account.org_id,
        account.id,
        p.kind.as_str(),
        person,
    )
    .await
    .map_err(retry)?
    else {
        return Ok(());
    };
    let mine = atiende_store::messages::list(&app.db, t.org_id, t.id, 0, 1000).await.map_err(retry)?;
    for m in mine {
        let sent = matches!(m.delivery.as_deref(), Some("sent" | "delivered"));
        if sent && m.sent_at.is_some_and(|s| s <= until) {
            let mut tx = app.db.begin().await.map_err(retry)?;
            atiende_store::messages::set_delivery_state(&mut tx, m.id, "read", None, app.now())
                .await
                .map_err(retry)?;
            app.commit(tx).await.map_err(retry)?;
        }
    }
    Ok(())
}

/// Sends a reply where the client last wrote.
pub async fn deliver(app: &App, p: &Platform, out: Outbound<'_>) -> Result<Delivered, DeliveryError> {
    let token = token(app, out.account).map_err(|e| final_error(e.to_string()))?;
    if token.is_empty() {
        return Err(final_error("the account has no page access token"));
    }
    let last = atiende_store::messages::last_inbound(&app.db, out.ticket.id)
        .await
        .map_err(|e| super::retry_error(e.to_string()))?
        .ok_or_else(|| final_error("the client has not written on this ticket"))?;
    let meta: Value = serde_json::from_str(&last.metadata).unwrap_or(Value::Null);
    let info = &meta[p.key()];
    let mine: Value = serde_json::from_str(&out.message.metadata).unwrap_or(Value::Null);
    let page = out.account.settings.json()["page_id"].as_str().unwrap_or("").to_string();
    let (url, body) = if let Some(comment) = mine[p.key()]["private_reply_to"].as_str() {
        // One private message to the commenter (Meta: once per comment, within 7 days).
        let at = atiende_store::messages::by_external(
            &app.db,
            out.account.id,
            atiende_core::Direction::In,
            comment,
        )
        .await
        .map_err(|e| super::retry_error(e.to_string()))?
        .map(|m| m.created_at)
        .unwrap_or(0);
        if app.now() - at > HUMAN_AGENT_WINDOW.as_micros() as i64 {
            return Err(final_error("not sent: a private reply must be sent within 7 days of the comment"));
        }
        (
            app.config.meta.graph.at(&format!("{page}/messages")),
            wire::private_reply_body(comment, &out.message.text),
        )
    } else if info["kind"] == "mention" {
        // A public answer where the account was mentioned.
        let owner = out.account.settings.json()[p.id_setting].as_str().unwrap_or("").to_string();
        let mut body = json!({"media_id": info["post_id"], "message": out.message.text});
        if let Some(c) = info["comment_id"].as_str() {
            body["comment_id"] = json!(c);
        }
        (app.config.meta.graph.at(&format!("{owner}/mentions")), body)
    } else if info["kind"] == "comment" {
        // Under the thread's first comment (Facebook shows one level of replies; Instagram
        // takes replies to top-level comments only).
        let root = info["parent_id"].as_str().or(info["comment_id"].as_str()).unwrap_or("");
        if root.is_empty() {
            return Err(final_error("the comment to answer has no id"));
        }
        (app.config.meta.graph.at(&format!("{root}/{}", p.reply_edge)), json!({"message": out.message.text}))
    } else {
        let person =
            out.recipient.clone().ok_or_else(|| final_error("the client has no id on this channel"))?;
        let since = app.now() - last.created_at;
        let human = out.account.settings.json()["human_agent_tag"].as_bool() == Some(true);
        let tagged = if since <= WINDOW.as_micros() as i64 {
            false
        } else if human && since <= HUMAN_AGENT_WINDOW.as_micros() as i64 {
            true
        } else {
            return Err(final_error(if human {
                "not sent: more than 7 days have passed since the client's last message (the HUMAN_AGENT tag's limit)"
            } else {
                "not sent: more than 24 hours have passed since the client's last message (Meta's messaging window; with the HUMAN_AGENT permission, turn on settings.human_agent_tag to answer within 7 days)"
            }));
        };
        let page = out.account.settings.json()["page_id"].as_str().unwrap_or("").to_string();
        (
            app.config.meta.graph.at(&format!("{page}/messages")),
            wire::send_body(&person, &out.message.text, tagged),
        )
    };
    match graph::post(&app.http, &url, &token, &body).await {
        Ok(answer) => Ok(Delivered { external_id: wire::sent_id(&answer), metadata: None }),
        Err(f) => Err(super::meta::failure(app, out.account, f).await),
    }
}

/// "View context" of a comment (SPEC §5.1): its post and all the post's comments in order, the
/// ticket's one marked — read from the Graph API (`GET /{post}` and `GET /{post}/comments`,
/// every reply, oldest first) with the page's token, or, when Meta does not answer, from the
/// comments kept here (`source: "stored"`, with Meta's reason).
pub async fn context(app: &App, actor: &crate::auth::Actor, message_id: i64) -> Result<Value, AppError> {
    let m = atiende_store::messages::get(&app.db, message_id).await?;
    if m.org_id != actor.org_id {
        return Err(AppError::NotFound);
    }
    let account = atiende_store::accounts::get(&app.db, actor.org_id, m.account_id).await?;
    let p = match account.kind {
        ChannelKind::Facebook => &super::facebook::PLATFORM,
        ChannelKind::Instagram => &super::instagram::PLATFORM,
        _ => return Err(AppError::conflict("message", "only comments have a context")),
    };
    let meta = m.meta();
    let info = &meta[p.key()];
    if info["kind"] != "comment" {
        return Err(AppError::conflict("message", "only comments have a context"));
    }
    let post = info["post_id"].as_str().unwrap_or("").to_string();
    let this = info["comment_id"].as_str().unwrap_or("").to_string();
    let tickets = !quiet(&account, &post);
    match from_graph(app, p, &account, &post, &this).await {
        Ok(mut v) => {
            v["tickets"] = json!(tickets);
            Ok(v)
        }
        Err(reason) => {
            let kept = atiende_store::messages::of_post(&app.db, account.id, p.key(), &post).await?;
            let comments: Vec<Value> = kept
                .iter()
                .map(|k| {
                    let km = k.meta();
                    let id = km[p.key()]["comment_id"].as_str().unwrap_or("").to_string();
                    json!({"id": id, "text": k.text, "from": km[p.key()]["from"], "created_time": atiende_core::time::rfc3339(k.created_at),
                        "parent_id": km[p.key()]["parent_id"], "this": id == this, "message_id": k.id})
                })
                .collect();
            Ok(
                json!({"source": "stored", "reason": reason, "post": {"id": post}, "comments": comments, "tickets": tickets}),
            )
        }
    }
}

async fn from_graph(
    app: &App,
    p: &Platform,
    account: &AccountRow,
    post: &str,
    this: &str,
) -> Result<Value, String> {
    let token = token(app, account).map_err(|e| e.to_string())?;
    let (post_fields, comment_fields) = if p.kind == ChannelKind::Instagram {
        ("caption,timestamp,permalink,username", "id,text,username,timestamp,parent_id")
    } else {
        ("message,created_time,from,permalink_url", "id,message,from,created_time,parent")
    };
    let g = |path: String| app.config.meta.graph.at(&path);
    let head = graph::get(&app.http, &g(format!("{post}?fields={post_fields}")), &token)
        .await
        .map_err(|f| format!("{f:?}"))?;
    let mut comments = Vec::new();
    let mut url =
        g(format!("{post}/comments?fields={comment_fields}&filter=stream&order=chronological&limit=100"));
    for _ in 0..10 {
        let page = graph::get(&app.http, &url, &token).await.map_err(|f| format!("{f:?}"))?;
        for c in page["data"].as_array().into_iter().flatten() {
            let id = c["id"].as_str().unwrap_or("").to_string();
            comments.push(json!({
                "id": id,
                "text": c["message"].as_str().or(c["text"].as_str()).unwrap_or(""),
                "from": c["from"]["name"].as_str().or(c["username"].as_str()),
                "created_time": c["created_time"].as_str().or(c["timestamp"].as_str()),
                "parent_id": c["parent"]["id"].as_str().or(c["parent_id"].as_str()),
                "this": id == this,
            }));
        }
        match page["paging"]["next"].as_str() {
            Some(n) if n.starts_with(&app.config.meta.graph.url) => url = n.to_string(),
            _ => break,
        }
    }
    Ok(json!({"source": "graph", "post": {
        "id": post,
        "text": head["message"].as_str().or(head["caption"].as_str()).unwrap_or(""),
        "from": head["from"]["name"].as_str().or(head["username"].as_str()),
        "created_time": head["created_time"].as_str().or(head["timestamp"].as_str()),
        "permalink": head["permalink_url"].as_str().or(head["permalink"].as_str()),
    }, "comments": comments}))
}

/// Whether a post's comments create no tickets to work (the account's
/// `posts_without_tickets`).
fn quiet(account: &AccountRow, post: &str) -> bool {
    account.settings.json()["posts_without_tickets"]
        .as_array()
        .is_some_and(|l| l.iter().any(|p| p.as_str() == Some(post)))
}

/// Turns ticket creation for the post of a comment off or on (admins; seed 001: "disable
/// ticket creation for a post"): later comments on it are kept in tickets that start
/// ignored, tell nobody and get no automatic reply.
pub async fn set_post_tickets(
    app: &App,
    actor: &crate::auth::Actor,
    message_id: i64,
    enabled: bool,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let m = atiende_store::messages::get(&app.db, message_id).await?;
    if m.org_id != actor.org_id {
        return Err(AppError::NotFound);
    }
    let account = atiende_store::accounts::get(&app.db, actor.org_id, m.account_id).await?;
    let key = account.kind.as_str();
    let post = m.meta()[key]["post_id"].as_str().unwrap_or("").to_string();
    if post.is_empty() {
        return Err(AppError::conflict("message", "only comments are on a post"));
    }
    let mut list: Vec<String> = account.settings.json()["posts_without_tickets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .filter(|p| *p != post)
        .collect();
    if !enabled {
        list.push(post);
    }
    crate::accounts::update(app, actor, account.id, None, Some(json!({"posts_without_tickets": list})))
        .await?;
    Ok(())
}
