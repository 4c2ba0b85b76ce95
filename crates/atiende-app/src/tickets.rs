//! Ticket use cases: reading, replying, closing, reopening and assigning.
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_core::{AuthorKind, Direction, Role, TicketState, bounded_text, required_text};
use atiende_store::ingest::NewAttachment;
use atiende_store::messages::{self, MessageRow, NewMessage};
use atiende_store::tickets::{self, FlagChange, TicketRow};
use atiende_store::users;

/// Longest message text accepted, in characters.
pub const MAX_TEXT: usize = 100_000;

/// Any role may read the organization's tickets.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<TicketRow, AppError> {
    actor.require(&[Role::Admin, Role::Agent, Role::Analyst])?;
    Ok(tickets::get(&app.db, actor.org_id, id).await?)
}

/// A file an agent attaches to a reply or note.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Most files on one message.
pub const MAX_FILES: usize = 10;
/// Extensions never accepted (programs and scripts a client's machine could run).
const BLOCKED_EXTENSIONS: &[&str] = &[
    "exe", "bat", "cmd", "com", "scr", "js", "jse", "vbs", "vbe", "msi", "jar", "ps1", "sh", "dll", "lnk",
    "hta", "cpl", "pif", "reg", "wsf",
];

/// Extensions of documents a browser renders with scripts (pages, drawings, web archives).
const ACTIVE_EXTENSIONS: &[&str] = &["html", "htm", "xhtml", "shtml", "svg", "svgz", "mht", "mhtml", "xht"];

/// Whether a file's first bytes are HTML or SVG markup (after a byte-order mark and blanks).
fn looks_like_markup(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1024)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    let lower = String::from_utf8_lossy(&head[start..]).to_ascii_lowercase();
    ["<!doctype html", "<html", "<svg", "<script", "<head", "<body", "<iframe"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (lower.starts_with("<?xml") && (lower.contains("<svg") || lower.contains("<html")))
}

/// Checks uploaded files: count, size, a safe name, a well-formed type that, for the types a
/// browser or mail program renders (images, PDF), matches the file's first bytes.
pub fn check_files(files: Vec<Upload>, max_bytes: usize) -> Result<Vec<NewAttachment>, AppError> {
    if files.len() > MAX_FILES {
        return Err(AppError::invalid("attachments", format!("at most {MAX_FILES} files")));
    }
    let mut out = Vec::with_capacity(files.len());
    for (i, f) in files.into_iter().enumerate() {
        let field = |k: &str| format!("attachments[{i}].{k}");
        let name = atiende_channels::email::parse::sanitize_filename(&f.filename);
        if name.is_empty() {
            return Err(AppError::invalid(field("filename"), "must be a file name"));
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        if BLOCKED_EXTENSIONS.contains(&ext.as_str()) {
            return Err(AppError::invalid(field("filename"), format!(".{ext} files are not accepted")));
        }
        if f.data.is_empty() {
            return Err(AppError::invalid(field("data"), "the file is empty"));
        }
        if f.data.len() > max_bytes {
            return Err(AppError::invalid(
                field("data"),
                format!("the file is larger than {max_bytes} bytes"),
            ));
        }
        let ct = f.content_type.trim().to_ascii_lowercase();
        let token = |s: &str| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
        };
        let ct = if ct.is_empty() { "application/octet-stream".to_string() } else { ct };
        match ct.split_once('/') {
            Some((a, b)) if token(a) && token(b) => {}
            _ => {
                return Err(AppError::invalid(
                    field("content_type"),
                    "must be a media type such as application/pdf",
                ));
            }
        }
        // A file declared as a format we can recognize must be of it.
        let checked = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];
        if checked.contains(&ct.as_str()) && atiende_core::image::sniff(&f.data) != Some(ct.as_str()) {
            return Err(AppError::invalid(field("content_type"), format!("the file is not a {ct}")));
        }
        if ct == "image/svg+xml" || ct == "text/html" || ct == "application/xhtml+xml" {
            return Err(AppError::invalid(field("content_type"), format!("{ct} files are not accepted")));
        }
        // Whatever it is declared as: a page or a drawing a browser would run scripts in is
        // refused by its name and by its first bytes too.
        if ACTIVE_EXTENSIONS.contains(&ext.as_str()) {
            return Err(AppError::invalid(field("filename"), format!(".{ext} files are not accepted")));
        }
        if looks_like_markup(&f.data) {
            return Err(AppError::invalid(
                field("data"),
                "web pages and SVG drawings are not accepted as files",
            ));
        }
        out.push(NewAttachment {
            filename: name,
            content_type: ct,
            content_id: None,
            inline: false,
            size: f.data.len() as i64,
            data: Some(f.data),
        });
    }
    Ok(out)
}

/// Sends an agent's reply (delivered through the outbox) or stores an internal note.
pub async fn reply(
    app: &App,
    actor: &Actor,
    ticket_id: i64,
    text: &str,
    note: bool,
) -> Result<MessageRow, AppError> {
    reply_with_files(app, actor, ticket_id, text, note, Vec::new()).await
}

/// A reply or note with files: notes keep them on the ticket; replies send them with
/// channels that carry files (email).
pub async fn reply_with_files(
    app: &App,
    actor: &Actor,
    ticket_id: i64,
    text: &str,
    note: bool,
    files: Vec<Upload>,
) -> Result<MessageRow, AppError> {
    send_reply(app, actor, ticket_id, text, note, files, None).await
}

/// Which approved template to send, and its parameters (`{{1}}`, `{{2}}`… in order).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TemplateChoice {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// Sends one of the account's approved templates (WhatsApp): allowed outside the 24-hour
/// window; the parameters are each required and as many as the template takes.
pub async fn reply_template(
    app: &App,
    actor: &Actor,
    ticket_id: i64,
    choice: &TemplateChoice,
) -> Result<MessageRow, AppError> {
    actor.require_worker()?;
    let t = tickets::get(&app.db, actor.org_id, ticket_id).await?;
    let account = atiende_store::accounts::get_any(&app.db, t.account_id).await?;
    if account.kind != atiende_core::ChannelKind::Whatsapp {
        return Err(AppError::conflict("template", format!("the {} channel has no templates", account.kind)));
    }
    let list = crate::channels::whatsapp::templates(&account);
    let template = list
        .iter()
        .find(|x| x.name == choice.name.trim() && x.language == choice.language.trim())
        .ok_or_else(|| {
            AppError::invalid("template.name", "is not one of this account's templates in that language")
        })?;
    let text = atiende_core::templates::fill(template, &choice.parameters)?;
    let params: Vec<String> = choice.parameters.iter().map(|p| p.trim().to_string()).collect();
    let meta = serde_json::json!({"whatsapp": {"template": {
        "name": template.name, "language": template.language, "parameters": params}}});
    send_reply(app, actor, ticket_id, &text, false, Vec::new(), Some(meta.to_string())).await
}

/// Answers a public comment privately (Facebook, Instagram: "private replies"): one message
/// to the person's inbox, once per comment and within 7 days of it — the ticket's latest
/// comment. Its conversation then goes on in private if the person answers.
pub async fn reply_private(
    app: &App,
    actor: &Actor,
    ticket_id: i64,
    text: &str,
) -> Result<MessageRow, AppError> {
    actor.require_worker()?;
    let t = tickets::get(&app.db, actor.org_id, ticket_id).await?;
    let account = atiende_store::accounts::get_any(&app.db, t.account_id).await?;
    let key = account.kind.as_str();
    if !matches!(account.kind, atiende_core::ChannelKind::Facebook | atiende_core::ChannelKind::Instagram) {
        return Err(AppError::conflict(
            "private",
            format!("the {key} channel has no private replies to comments"),
        ));
    }
    let last = atiende_store::messages::last_inbound(&app.db, t.id).await?;
    let comment = last
        .as_ref()
        .and_then(|m| m.meta()[key]["comment_id"].as_str().map(str::to_string))
        .filter(|_| last.as_ref().is_some_and(|m| m.meta()[key]["kind"] == "comment"))
        .ok_or_else(|| AppError::conflict("private", "the client's last message is not a comment"))?;
    let meta = serde_json::json!({key: {"private_reply_to": comment}});
    send_reply(app, actor, ticket_id, text, false, Vec::new(), Some(meta.to_string())).await
}

/// A reply (or note); `template` is the metadata of an approved template, which may go out
/// whatever the channel's reply window says.
async fn send_reply(
    app: &App,
    actor: &Actor,
    ticket_id: i64,
    text: &str,
    note: bool,
    files: Vec<Upload>,
    template: Option<String>,
) -> Result<MessageRow, AppError> {
    actor.require_worker()?;
    let text = required_text(text, "text", MAX_TEXT)?;
    let files = check_files(files, app.config.email.max_attachment_bytes)?;
    if !files.is_empty() && !note {
        let t = tickets::get(&app.db, actor.org_id, ticket_id).await?;
        let account = atiende_store::accounts::get_any(&app.db, t.account_id).await?;
        match crate::channels::of(&account)?.capabilities(app).files {
            Some(l) if files.len() > l.max_files => {
                return Err(AppError::invalid("attachments", format!("at most {} files", l.max_files)));
            }
            Some(l) if files.iter().any(|f| f.size as usize > l.max_bytes) => {
                return Err(AppError::invalid(
                    "attachments",
                    format!("each file at most {} bytes", l.max_bytes),
                ));
            }
            Some(_) => {}
            None => {
                return Err(AppError::conflict(
                    "attachments",
                    format!(
                        "the {} channel cannot send files; attach them to an internal note",
                        account.kind
                    ),
                ));
            }
        }
    }
    if !note && template.is_none() {
        let t = tickets::get(&app.db, actor.org_id, ticket_id).await?;
        let account = atiende_store::accounts::get_any(&app.db, t.account_id).await?;
        if let Some(closed) = crate::channels::window_closed(app, &account, t.id).await? {
            return Err(AppError::conflict(
                "text",
                format!(
                    "the {} reply window closed at {} (24 hours after the client's last message): only an approved template can be sent now",
                    account.kind,
                    atiende_core::time::rfc3339(closed)
                ),
            ));
        }
    }
    let settings = account_settings(app, actor.org_id, ticket_id).await?;
    let mut tx = app.db.begin().await?;
    let t = tickets::get_tx(&mut tx, actor.org_id, ticket_id).await?;
    if t.state == TicketState::Closed && !note {
        return Err(AppError::conflict("state", "the ticket is closed; reopen it to reply"));
    }
    let now = app.now();
    // Answering an unassigned open ticket of an account where one is enabled (manual or
    // auto) takes it (SPEC §7); a disabled agent's answer leaves it where it is.
    if !note && t.assignee_id.is_none() && t.state == TicketState::Open {
        let mode = atiende_store::accounts::agent_mode_tx(&mut tx, t.account_id, actor.user_id).await?;
        if matches!(mode.as_deref(), Some("manual" | "auto")) {
            tickets::assign(
                &mut tx,
                actor.org_id,
                t.id,
                Some(actor.user_id),
                Some(actor.user_id),
                "took it by answering",
                now,
            )
            .await?;
        }
    }
    let t = tickets::get_tx(&mut tx, actor.org_id, ticket_id).await?;
    let (msg, after) = messages::append(
        &mut tx,
        &t,
        &NewMessage {
            direction: Direction::Out,
            author: if note { AuthorKind::Note } else { AuthorKind::Agent },
            author_user_id: Some(actor.user_id),
            text: &text,
            html: None,
            external_id: None,
            deliver: !note,
            auto_action: None,
            metadata: template.as_deref(),
        },
        now,
    )
    .await?;
    atiende_store::attachments::insert(&mut tx, actor.org_id, msg.id, &files).await?;
    if !note {
        crate::automation::after_agent_message(&mut tx, &settings, &t, &after, now).await?;
    }
    app.commit(tx).await?;
    Ok(msg)
}

/// The settings of the ticket's account (read before a write transaction starts).
async fn account_settings(app: &App, org_id: i64, ticket_id: i64) -> Result<serde_json::Value, AppError> {
    let t = tickets::get(&app.db, org_id, ticket_id).await?;
    let a = atiende_store::accounts::get_any(&app.db, t.account_id).await?;
    Ok(a.settings.json().clone())
}

pub async fn close(app: &App, actor: &Actor, id: i64) -> Result<TicketRow, AppError> {
    actor.require_worker()?;
    let settings = account_settings(app, actor.org_id, id).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = tickets::get_tx(&mut tx, actor.org_id, id).await?;
    crate::automation::before_manual_close(&mut tx, &settings, &before, actor.user_id, now).await?;
    let t = tickets::close(&mut tx, actor.org_id, id, Some(actor.user_id), now).await?;
    if t.assignee_id.is_some() {
        // The assignee has one open ticket less: under a cap, a queued ticket may now fit.
        atiende_store::assign::arm(&mut tx, actor.org_id, app.now()).await?;
    }
    app.commit(tx).await?;
    Ok(t)
}

/// Most tickets one mass close takes.
pub const MASS_CLOSE_MAX: usize = 1000;

/// Closes a selection of tickets at once (SPEC §5.1), all or nothing. Each open one gets
/// its account's "on automatic close" reply (SPEC §4.2, action 7) and skips closing
/// prerequisites. Returns how many were open and are now closed.
pub async fn mass_close(app: &App, actor: &Actor, ids: &[i64]) -> Result<usize, AppError> {
    actor.require_worker()?;
    if ids.is_empty() || ids.len() > MASS_CLOSE_MAX {
        return Err(AppError::invalid("ids", format!("give 1 to {MASS_CLOSE_MAX} ticket ids")));
    }
    // Every ticket must be the organization's before anything changes (the error names
    // the position as sent).
    let mut settings: std::collections::HashMap<i64, serde_json::Value> = Default::default();
    for (i, id) in ids.iter().enumerate() {
        let t = match tickets::get(&app.db, actor.org_id, *id).await {
            Ok(t) => t,
            Err(atiende_store::StoreError::NotFound) => {
                return Err(AppError::invalid(format!("ids[{i}]"), "no such ticket in this organization"));
            }
            Err(e) => return Err(e.into()),
        };
        if let std::collections::hash_map::Entry::Vacant(v) = settings.entry(t.account_id) {
            let a = atiende_store::accounts::get_any(&app.db, t.account_id).await?;
            v.insert(a.settings.json().clone());
        }
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let (mut closed, mut freed) = (0, false);
    for id in &ids {
        let t = tickets::get_tx(&mut tx, actor.org_id, *id).await?;
        if t.state != TicketState::Open {
            continue;
        }
        let s = settings.get(&t.account_id).cloned().unwrap_or_default();
        crate::automation::before_auto_close(&mut tx, &s, &t, now).await?;
        tickets::close(&mut tx, actor.org_id, t.id, Some(actor.user_id), now).await?;
        closed += 1;
        freed |= t.assignee_id.is_some();
    }
    if freed {
        atiende_store::assign::arm(&mut tx, actor.org_id, now).await?;
    }
    app.commit(tx).await?;
    Ok(closed)
}

/// Reopens a closed (or ignored) ticket by hand (counted as reopened). Refused while the client
/// already has another open ticket on the account.
pub async fn reopen(app: &App, actor: &Actor, id: i64) -> Result<TicketRow, AppError> {
    actor.require_worker()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let t = match tickets::reopen(&mut tx, actor.org_id, id, now).await {
        Err(atiende_store::StoreError::Conflict(m)) => return Err(AppError::conflict("state", m)),
        r => r?,
    };
    app.commit(tx).await?;
    Ok(t)
}

/// Assigns to a user of the organization, or releases with `None`.
pub async fn assign(app: &App, actor: &Actor, id: i64, user_id: Option<i64>) -> Result<TicketRow, AppError> {
    actor.require_worker()?;
    if let Some(u) = user_id {
        match users::get(&app.db, actor.org_id, u).await {
            Ok(user) if user.active => {}
            Ok(_) => return Err(AppError::invalid("user_id", "that user is deactivated")),
            Err(atiende_store::StoreError::NotFound) => {
                return Err(AppError::invalid("user_id", "no such user in this organization"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let reason = match user_id {
        Some(u) if u == actor.user_id => "assigned to themself",
        Some(_) => "assigned by hand",
        None => "released by hand",
    };
    let mut tx = app.db.begin().await?;
    let before = tickets::get_tx(&mut tx, actor.org_id, id).await?;
    let t =
        tickets::assign(&mut tx, actor.org_id, id, user_id, Some(actor.user_id), reason, app.now()).await?;
    if before.assignee_id.is_some() && before.assignee_id != user_id {
        atiende_store::assign::arm(&mut tx, actor.org_id, app.now()).await?;
    }
    app.commit(tx).await?;
    Ok(t)
}

/// Validates inbound text: may be empty of letters but not absent; bounded.
pub fn inbound_text(text: &str) -> Result<String, AppError> {
    Ok(bounded_text(text, "text", MAX_TEXT)?.to_string())
}

/// A change an agent makes to a ticket's flags.
#[derive(Debug, Clone, Copy)]
pub enum Flag {
    Important(bool),
    /// 0 to 5; admins only (SPEC §5).
    Priority(i64),
    /// Marks an open ticket ignored (reports count it as closed without being addressed).
    Ignore,
}

pub async fn set_flag(app: &App, actor: &Actor, id: i64, flag: Flag) -> Result<TicketRow, AppError> {
    actor.require_worker()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let t = tickets::get_tx(&mut tx, actor.org_id, id).await?;
    let change = match flag {
        Flag::Important(v) => FlagChange::Important(v),
        Flag::Priority(p) => {
            actor.require_admin()?;
            if !(0..=5).contains(&p) {
                return Err(AppError::invalid("priority", "must be 0 to 5"));
            }
            FlagChange::Priority(p)
        }
        Flag::Ignore => {
            if t.state != TicketState::Open {
                return Err(AppError::conflict("state", "only an open ticket can be ignored"));
            }
            FlagChange::Ignore
        }
    };
    let t = tickets::set_flag(&mut tx, actor.org_id, id, change, Some(actor.user_id), now).await?;
    app.commit(tx).await?;
    Ok(t)
}
