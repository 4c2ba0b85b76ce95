//! The email channel: its adapter (settings, capabilities, delivery of replies by SMTP),
//! receiving a raw message (IMAP reader in [`mailbox`], SMTP listener, raw-MIME endpoint),
//! system mail, forwarding addresses and their validation, the admin's connection test.
//! Wire formats (MIME parsing, reply composition, SMTP/IMAP clients) are in
//! `atiende_channels::email`.
use super::{BoxFut, Capabilities, Channel, Delivered, FileLimits, Listener, Outbound};
use crate::auth::Actor;
use crate::{App, AppError};
use atiende_channels::DeliveryError;
use atiende_channels::email::imap::{self, ImapConfig};
use atiende_channels::email::parse::{first_address, split_quoted};
use atiende_channels::email::reply::{self, Earlier, EmailHeaders, ReplyInput};
use atiende_channels::email::send::{self, Outgoing, Security, SmtpServer};
use atiende_channels::email::{self as mail, Limits};
use atiende_core::AccountStatus;
use atiende_core::ChannelKind;
use atiende_core::email::{Connection, EmailSettings, Server};
use atiende_core::inbound::{Attachment, ClientIdentity, InboundMessage};
use atiende_store::accounts::AccountRow;
use atiende_store::ingest::Outcome;
use atiende_store::jobs::JobRow;
use atiende_store::messages::MessageRow;
use atiende_store::{StoreError, email as store, messages, tickets};
use serde_json::{Map, Value, json};

pub use store::MAIL;

pub mod mailbox;

/// An email account's settings with its passwords.
pub fn settings(app: &App, a: &AccountRow) -> Result<EmailSettings, AppError> {
    let secrets = crate::accounts::open_secrets(app, a)?;
    let empty = Map::new();
    Ok(EmailSettings::from_settings(a.settings.object(), secrets.as_object().unwrap_or(&empty))?)
}

fn limits(app: &App) -> Limits {
    Limits { max_attachment_bytes: app.config.email.max_attachment_bytes, max_attachments: 50 }
}

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Stored(Outcome),
    /// From a blocked sender: dropped and logged.
    Blocked(String),
    /// The account's own forwarding validation mail came back: the account is validated.
    Validated,
}

/// Stores a message a listener took in (IMAP, SMTP), or holds it raw for the admins when
/// it cannot be stored: refused by a check, or failing twice (a second try straight away
/// lets a passing fault go by). `Err` only when even holding it failed: then the message
/// is not acknowledged and comes back.
pub async fn receive_or_hold(
    app: &App,
    account: &AccountRow,
    raw: &[u8],
    source: &str,
) -> Result<(), AppError> {
    let err = match receive(app, account, raw).await {
        Ok(_) => return Ok(()),
        Err(e @ AppError::Invalid(_)) => e,
        Err(_) => match receive(app, account, raw).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        },
    };
    crate::quarantine::hold(app, account, source, raw, &err.to_string()).await.map(|_| ())
}

/// The identity kind of a client made from a mail without a usable sender (one per mail:
/// its value is the message's id). Nothing is delivered to it: it has no address.
pub const UNKNOWN_SENDER: &str = "unknown_sender";

fn email_identity(from: &mail::Mailbox) -> ClientIdentity {
    ClientIdentity {
        kind: ChannelKind::Email.as_str().into(),
        value: from.address.clone(),
        name: from.name.clone().unwrap_or_default(),
    }
}

/// "Unknown sender", with what the From header said when it said anything.
fn unknown_sender_name(from_header: Option<&str>) -> String {
    let said: String = from_header
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && !atiende_core::is_bidi_control(*c))
        .take(120)
        .collect();
    match said.trim() {
        "" => "Unknown sender".into(),
        said => format!("Unknown sender ({said})"),
    }
}

/// Stores one raw message received for `account` (acknowledge it only after this returns Ok).
pub async fn receive(app: &App, account: &AccountRow, raw: &[u8]) -> Result<Received, AppError> {
    if raw.len() > app.config.email.max_message_bytes {
        return Err(AppError::invalid(
            "message",
            format!("is larger than {} bytes", app.config.email.max_message_bytes),
        ));
    }
    let cfg = settings(app, account)?;
    let limits = limits(app);
    // Large messages are parsed off the async workers (that needs its own copy).
    let p = if raw.len() > 256 * 1024 {
        let owned = raw.to_vec();
        tokio::task::spawn_blocking(move || mail::parse(&owned, limits))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    } else {
        mail::parse(raw, limits)
    };
    if let Some(token) = &p.validation_token
        && store::validate_with_token(&app.db, account.id, token, app.now()).await?
    {
        app.account_cache.clear();
        tracing::info!(account = account.id, "forwarding validated: the validation mail came back");
        return Ok(Received::Validated);
    }
    if let Some(from) = &p.from
        && cfg.blocks(&from.address)
    {
        tracing::info!(account = account.id, sender = %from.address, message_id = %p.message_id, "mail from a blocked sender: no ticket");
        return Ok(Received::Blocked(from.address.clone()));
    }
    let (main, quoted) = split_quoted(&p.text);
    // Contact forms: the client is the first address written in the body. A mail without
    // a usable sender is kept all the same, from a client of its own ("unknown sender",
    // nobody to answer) with the raw source attached, so an agent can read who sent it.
    let client = match &p.from {
        Some(from) if cfg.contact_form_senders.contains(&from.address) => match first_address(&p.text) {
            Some(a) => {
                ClientIdentity { kind: ChannelKind::Email.as_str().into(), value: a, name: String::new() }
            }
            None => email_identity(from),
        },
        Some(from) => email_identity(from),
        None => {
            tracing::warn!(account = account.id, message_id = %p.message_id, "mail without a usable sender: kept from an unknown sender");
            ClientIdentity {
                kind: UNKNOWN_SENDER.into(),
                value: p.message_id.clone(),
                name: unknown_sender_name(p.from_text.as_deref()),
            }
        }
    };
    let from_address = p.from.as_ref().map(|f| f.address.as_str());
    let text = if main.trim().is_empty() {
        if p.subject.is_empty() { "(no text)".to_string() } else { p.subject.clone() }
    } else {
        main
    };
    let meta = json!({"email": {
        "subject": p.subject,
        "from": p.from.as_ref().map(|f| json!({"name": f.name, "address": f.address})),
        "from_header": p.from_header,
        "unknown_sender": p.from.is_none(),
        "to": p.to,
        "cc": p.cc,
        "message_id": p.has_message_id.then_some(&p.message_id),
        "in_reply_to": p.in_reply_to,
        "references": p.references,
        "date": p.date.and_then(|d| jiff::Timestamp::from_second(d).ok()).map(|t| t.to_string()),
        "quoted": quoted,
        "automatic": p.automatic,
        "contact_form": from_address.is_some_and(|f| f != client.value),
    }});
    let mut attachments: Vec<Attachment> = p
        .attachments
        .into_iter()
        .map(|a| Attachment {
            filename: a.filename,
            content_type: a.content_type,
            content_id: a.content_id,
            inline: a.inline,
            size: a.size as i64,
            data: a.data,
        })
        .collect();
    if p.from.is_none() {
        let size = raw.len();
        attachments.push(Attachment {
            filename: "message.eml".into(),
            content_type: "message/rfc822".into(),
            content_id: None,
            inline: false,
            size: size as i64,
            data: (size <= limits.max_attachment_bytes).then(|| raw.to_vec()),
        });
    }
    // Threading (RFC 5322 §3.6.4): the message it answers, then its references, newest first.
    let mut thread: Vec<String> = p.in_reply_to.to_vec();
    thread.extend(p.references.iter().rev().cloned());
    thread.dedup();
    let msg = InboundMessage {
        external_id: p.message_id,
        client,
        text,
        html: p.html,
        attachments,
        private: true,
        // Mail sent by a program (auto-replies, bounces, lists) is never answered
        // automatically: two autoresponders would answer each other forever.
        automated: p.automatic,
        parent: None,
        thread,
        sent_at: p.date.map(|d| d.saturating_mul(1_000_000)),
        metadata: Some(meta),
    };
    Ok(Received::Stored(crate::inbound::receive(app, account, msg, false).await?))
}

/// The generated forwarding address of a new email account.
pub fn new_forwarding_address(app: &App, address: &str) -> String {
    let local: String = address
        .split('@')
        .next()
        .unwrap_or("mail")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(24)
        .collect::<String>()
        .to_lowercase();
    let mut b = [0u8; 5];
    let _ = getrandom::fill(&mut b);
    format!(
        "{}-{}@{}",
        if local.is_empty() { "mail" } else { &local },
        hex::encode(b),
        app.config.email.forwarding_domain
    )
}

fn security(s: &str) -> Security {
    Security::parse(s).unwrap_or(Security::Tls)
}

fn smtp_of(s: &Server) -> SmtpServer {
    SmtpServer {
        host: s.host.clone(),
        port: s.port,
        security: security(&s.security),
        username: Some(s.username.clone()).filter(|u| !u.is_empty()),
        password: Some(s.password.clone()).filter(|p| !p.is_empty()),
    }
}

/// Whether an account's own mail server may be connected to (SPEC §11.2): its name must not
/// resolve only to internal addresses unless `outbound_allow` says so. The deployment's own
/// relay is the operator's and is not checked.
pub async fn server_allowed(app: &App, host: &str, port: u16) -> Result<(), String> {
    app.config.outbound.resolve(host, port).await.map(|_| ())
}

/// The deployment's default sender, when configured.
pub fn relay(app: &App) -> Option<SmtpServer> {
    let e = &app.config.email;
    (!e.relay_host.is_empty()).then(|| SmtpServer {
        host: e.relay_host.clone(),
        port: e.relay_port,
        security: security(&e.relay_security),
        username: Some(e.relay_username.clone()).filter(|u| !u.is_empty()),
        password: Some(e.relay_password.clone()).filter(|p| !p.is_empty()),
    })
}

fn fail(reason: impl Into<String>) -> DeliveryError {
    DeliveryError { reason: reason.into(), retryable: false, retry_after: None }
}

fn retry(reason: impl Into<String>) -> DeliveryError {
    DeliveryError { reason: reason.into(), retryable: true, retry_after: None }
}

/// The Message-ID of an outbound message: stable across retries, so a receiver
/// that got it twice can tell.
pub fn outbound_message_id(msg: &MessageRow, from: &str) -> String {
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("atiende.localhost");
    format!("atiende.{}.{}.{}@{}", msg.org_id, msg.id, msg.created_at, domain)
}

fn email_meta(m: &MessageRow) -> Value {
    m.meta().get("email").cloned().unwrap_or(Value::Null)
}

/// Sends an agent's or automatic reply as an email to the ticket's client.
async fn deliver(app: &App, out: Outbound<'_>) -> Result<Delivered, DeliveryError> {
    let (account, msg, ticket) = (out.account, out.message, out.ticket);
    let cfg = settings(app, account).map_err(|e| fail(format!("account settings: {e}")))?;
    let to = out.recipient.ok_or_else(|| fail("the client has no email address"))?;
    let history = messages::list(&app.db, msg.org_id, msg.ticket_id, 0, 10_000)
        .await
        .map_err(|e| retry(e.to_string()))?;
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let earlier: Vec<Earlier> = history
        .iter()
        .filter(|m| m.id < msg.id && m.author_kind != atiende_core::AuthorKind::Note)
        .map(|m| {
            let e = email_meta(m);
            Earlier {
                inbound: m.direction == atiende_core::Direction::In,
                when: atiende_core::time::rfc3339(m.created_at),
                text: m.text.clone(),
                email: e.is_object().then(|| EmailHeaders {
                    subject: e["subject"].as_str().unwrap_or("").to_string(),
                    from: e["from"]["address"].as_str().unwrap_or("").to_string(),
                    message_id: e["message_id"].as_str().map(str::to_string),
                    in_reply_to: strings(&e["in_reply_to"]),
                    references: strings(&e["references"]),
                }),
            }
        })
        .collect();
    let mut signature = String::new();
    if msg.author_kind == atiende_core::AuthorKind::Agent
        && !cfg.signature.trim().is_empty()
        && let Some(uid) = msg.author_user_id
    {
        let u =
            atiende_store::users::get(&app.db, msg.org_id, uid).await.map_err(|e| retry(e.to_string()))?;
        signature = cfg.signature_for(&u.first_name, &u.last_name, &u.email, &u.phone, &u.department);
    }
    let r = reply::compose(
        &ReplyInput {
            text: &msg.text,
            signature: &signature,
            include_chain: cfg.include_chain,
            ticket_number: ticket.number,
            client: &to,
            account_name: &account.name,
        },
        &earlier,
    );
    if let Some(s) = &cfg.smtp {
        server_allowed(app, &s.host, s.port).await.map_err(fail)?;
    }
    let (server, from, from_name, reply_to) = match &cfg.smtp {
        Some(s) => (smtp_of(s), cfg.address.clone(), Some(account.name.clone()), None),
        None => (
            relay(app).ok_or_else(|| {
                fail("no default sender is configured (email.relay_host) and the account has no SMTP server")
            })?,
            app.config.email.from_address.clone(),
            Some(account.name.clone()),
            Some(cfg.address.clone()),
        ),
    };
    let message_id = outbound_message_id(msg, &from);
    let files = atiende_store::attachments::with_data(&app.db, msg.org_id, msg.id)
        .await
        .map_err(|e| retry(e.to_string()))?;
    let outgoing = Outgoing {
        from_name,
        from: from.clone(),
        reply_to: reply_to.clone(),
        to_name: None,
        to: to.clone(),
        subject: r.subject.clone(),
        message_id: message_id.clone(),
        in_reply_to: r.in_reply_to.clone(),
        references: r.references.clone(),
        text: r.text,
        html: Some(r.html),
        attachments: files.into_iter().map(|(a, data)| (a.filename, a.content_type, data)).collect(),
        automatic: msg.author_kind == atiende_core::AuthorKind::Automatic,
        validation_token: None,
    };
    let built = send::build(&outgoing).map_err(fail)?;
    send::send(&server, &built, app.config.email.timeout).await?;
    Ok(Delivered {
        external_id: Some(message_id.clone()),
        metadata: Some(json!({"email": {
            "subject": r.subject, "from": {"name": account.name, "address": from}, "reply_to": reply_to,
            "to": [{"name": null, "address": to}], "message_id": message_id, "in_reply_to": r.in_reply_to,
            "references": r.references,
        }})),
    })
}

/// The email channel's adapter.
pub struct Email;

impl Channel for Email {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    fn check_settings(
        &self,
        _: &App,
        settings: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<(), AppError> {
        EmailSettings::from_settings(settings, secrets)?;
        Ok(())
    }

    fn capabilities(&self, app: &App) -> Capabilities {
        Capabilities {
            html: true,
            files: Some(FileLimits {
                max_files: crate::tickets::MAX_FILES,
                max_bytes: app.config.email.max_attachment_bytes,
            }),
            private_messages: true,
            ..Default::default()
        }
    }

    /// A forwarding account waits for its validation (seed 002); an IMAP one is active
    /// until its mailbox reader says otherwise.
    fn initial_status(&self, settings: &Map<String, Value>) -> AccountStatus {
        if settings.get("connection").and_then(Value::as_str) == Some("forwarding") {
            AccountStatus::NotValidated
        } else {
            AccountStatus::Active
        }
    }

    fn describe(&self, _app: &App, account: &AccountRow, out: &mut Value) {
        out["forwarding_address"] = json!(account.inbound_address);
    }

    fn account_changed<'a>(
        &'a self,
        app: &'a App,
        account: &'a AccountRow,
        before: Option<&'a Value>,
    ) -> BoxFut<'a, Result<(), AppError>> {
        Box::pin(async move {
            let now: Value = account.settings.json().clone();
            match before {
                None => {
                    let address = now["address"].as_str().unwrap_or("");
                    atiende_store::accounts::set_inbound_address(
                        &app.db,
                        account.id,
                        Some(&new_forwarding_address(app, address)),
                    )
                    .await?;
                }
                Some(before) => {
                    // Switching to forwarding needs a validation; to IMAP, the reader decides.
                    let (was, is) = (before["connection"].as_str(), now["connection"].as_str());
                    if was != is {
                        let status = if is == Some("forwarding") {
                            AccountStatus::NotValidated
                        } else {
                            AccountStatus::Active
                        };
                        atiende_store::accounts::set_status(
                            &app.db,
                            account.id,
                            status.as_str(),
                            None,
                            app.now(),
                        )
                        .await?;
                    }
                }
            }
            Ok(())
        })
    }

    fn listener(&self, app: &App, account: &AccountRow) -> Option<Listener> {
        let cfg = settings(app, account).ok()?;
        matches!(cfg.connection, Connection::Imap { .. }).then(|| Listener {
            run: |app, id, stop| Box::pin(mailbox::read(app, id, stop)),
            lease: mailbox::lease(app),
            retry: app.config.email.imap_poll_interval,
        })
    }

    fn receive_raw<'a>(
        &'a self,
        app: &'a App,
        account: &'a AccountRow,
        raw: &'a [u8],
    ) -> BoxFut<'a, Result<(), AppError>> {
        Box::pin(async move { receive(app, account, raw).await.map(|_| ()) })
    }

    fn deliver<'a>(
        &'a self,
        app: &'a App,
        out: Outbound<'a>,
    ) -> BoxFut<'a, Result<Delivered, DeliveryError>> {
        Box::pin(deliver(app, out))
    }
}

/// A system mail: from the default sender, to one address.
#[derive(Debug, Default)]
pub struct SystemMail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// A forwarding validation's token (carried in a header).
    pub validation_token: Option<&'a str>,
    /// Where answers go (a contact form's sender).
    pub reply_to: Option<&'a str>,
}

/// Queues a system mail through the durable outbox (`dedupe`: queued once per key).
pub async fn queue_mail(
    tx: &mut atiende_store::Tx,
    m: &SystemMail<'_>,
    dedupe: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    store::queue_mail(
        tx,
        &json!({"to": m.to, "subject": m.subject, "text": m.text, "validation_token": m.validation_token,
            "reply_to": m.reply_to}),
        dedupe,
        now,
    )
    .await
}

/// A new-ticket notification (SPEC §4.3): subject and text in the organization's words.
async fn notification(app: &App, ticket_id: i64) -> Result<(String, String), DeliveryError> {
    let t = tickets::get_any(&app.db, ticket_id).await.map_err(|e| retry(e.to_string()))?;
    let a =
        atiende_store::accounts::get_any(&app.db, t.account_id).await.map_err(|e| retry(e.to_string()))?;
    let c = atiende_store::clients::get(&app.db, t.org_id, t.client_id)
        .await
        .map_err(|e| retry(e.to_string()))?;
    let first = messages::list(&app.db, t.org_id, t.id, 0, 1).await.map_err(|e| retry(e.to_string()))?;
    let text = first.first().map(|m| m.text.clone()).unwrap_or_default();
    let client = if c.name.is_empty() { format!("#{}", c.id) } else { c.name.clone() };
    let star = if t.important { "★ " } else { "" };
    let subject =
        format!("{star}Nuevo ticket #{} · New ticket #{} — {client} ({})", t.number, t.number, a.name);
    let body = format!(
        "{star}Ticket #{number} · {account} ({kind})\nCliente / Client: {client}\n\n{text}\n\n{url}/tickets/{id}\n",
        number = t.number,
        account = a.name,
        kind = a.kind,
        text = text.chars().take(2000).collect::<String>(),
        url = app.config.public_url,
        id = t.id,
    );
    Ok((subject, body))
}

/// The `mail` job: one system mail through the default sender.
pub async fn run_mail(app: &App, job: &JobRow) -> Result<(), DeliveryError> {
    let p: Value = serde_json::from_str(&job.payload).map_err(|e| fail(e.to_string()))?;
    let server = relay(app).ok_or_else(|| fail("no default sender is configured (email.relay_host)"))?;
    let (subject, text) = match p["ticket_id"].as_i64() {
        Some(id) => notification(app, id).await?,
        None => {
            (p["subject"].as_str().unwrap_or("").to_string(), p["text"].as_str().unwrap_or("").to_string())
        }
    };
    let mut id = [0u8; 12];
    let _ = getrandom::fill(&mut id);
    let from = app.config.email.from_address.clone();
    let domain = from.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
    let out = Outgoing {
        from_name: Some("Atiende".into()),
        from,
        to: p["to"].as_str().unwrap_or("").to_string(),
        subject,
        message_id: format!("atiende.job{}.{}@{domain}", job.id, hex::encode(id)),
        text,
        automatic: true,
        validation_token: p["validation_token"].as_str().map(str::to_string),
        reply_to: p["reply_to"].as_str().map(str::to_string),
        ..Default::default()
    };
    let built = send::build(&out).map_err(fail)?;
    send::send(&server, &built, app.config.email.timeout).await.map(|_| ())
}

/// Starts the validation of a forwarding account (seed 002): a mail carrying a
/// one-time token goes to the account's address; when the mailbox forwards it back
/// to the forwarding address, the account becomes active.
pub async fn start_validation(app: &App, actor: &Actor, id: i64) -> Result<AccountRow, AppError> {
    actor.require_admin()?;
    let a = atiende_store::accounts::get(&app.db, actor.org_id, id).await?;
    if a.kind != ChannelKind::Email {
        return Err(AppError::conflict("kind", "only email accounts are validated"));
    }
    let cfg = settings(app, &a)?;
    if cfg.connection != Connection::Forwarding {
        return Err(AppError::conflict("settings.connection", "only forwarding accounts need validation"));
    }
    if relay(app).is_none() {
        return Err(AppError::conflict(
            "email.relay_host",
            "the deployment has no default sender to send the validation mail",
        ));
    }
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    let token = hex::encode(b);
    let forwarding = atiende_store::accounts::inbound_address(&app.db, a.id).await?.unwrap_or_default();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    store::await_validation(&mut tx, a.id, &token, now).await?;
    let text = format!(
        "This message checks that mail sent to {} is forwarded to {}.\nWhen it arrives there, the account \"{}\" is validated. Nothing else to do.\n",
        cfg.address, forwarding, a.name
    );
    queue_mail(
        &mut tx,
        &SystemMail {
            to: &cfg.address,
            subject: "Atiende: forwarding validation",
            text: &text,
            validation_token: Some(&token),
            reply_to: None,
        },
        None,
        now,
    )
    .await?;
    app.commit(tx).await?;
    app.account_cache.clear();
    Ok(atiende_store::accounts::get(&app.db, actor.org_id, id).await?)
}

/// The admin's "test connection": logs in to the IMAP server (when the account reads
/// one) and to the SMTP server it sends through, and reports each server's answer.
pub async fn test_connection(app: &App, actor: &Actor, id: i64) -> Result<Value, AppError> {
    actor.require_admin()?;
    let a = atiende_store::accounts::get(&app.db, actor.org_id, id).await?;
    if a.kind != ChannelKind::Email {
        return Err(AppError::conflict("kind", "only email accounts have mail servers to test"));
    }
    let cfg = settings(app, &a)?;
    let timeout = app.config.email.timeout.min(std::time::Duration::from_secs(15));
    let imap = match &cfg.connection {
        Connection::Imap { server, mailbox } => {
            let connector =
                imap::tls_connector(app.config.email.extra_ca_pem.as_deref()).map_err(AppError::Internal)?;
            let opened = match server_allowed(app, &server.host, server.port).await {
                Ok(()) => imap::open(&imap_config(server, mailbox), &connector, timeout).await,
                Err(reason) => Err(imap::ImapError { reason, needs_admin: true }),
            };
            match opened {
                Ok(mb) => {
                    let r = json!({"ok": true, "message": format!("logged in; {} has {} messages (UIDVALIDITY {})", mailbox, mb.exists, mb.uid_validity)});
                    mb.logout().await;
                    r
                }
                Err(e) => json!({"ok": false, "message": e.reason}),
            }
        }
        Connection::Forwarding => {
            json!({"ok": true, "message": format!("forwarding to {}", atiende_store::accounts::inbound_address(&app.db, a.id).await?.unwrap_or_default())})
        }
    };
    let smtp_server = match &cfg.smtp {
        Some(s) => Some(smtp_of(s)),
        None => relay(app),
    };
    let smtp_allowed = match &cfg.smtp {
        Some(s) => server_allowed(app, &s.host, s.port).await,
        None => Ok(()),
    };
    let smtp = match smtp_server {
        Some(_) if smtp_allowed.is_err() => json!({"ok": false, "message": smtp_allowed.err()}),
        Some(s) => match send::check(&s, timeout).await {
            Ok(m) => json!({"ok": true, "message": m}),
            Err(m) => json!({"ok": false, "message": m}),
        },
        None => json!({"ok": false, "message": "no default sender is configured (email.relay_host)"}),
    };
    Ok(json!({"imap": imap, "smtp": smtp}))
}

pub fn imap_config(server: &Server, mailbox: &str) -> ImapConfig {
    ImapConfig {
        host: server.host.clone(),
        port: server.port,
        security: security(&server.security),
        username: server.username.clone(),
        password: server.password.clone(),
        mailbox: mailbox.to_string(),
    }
}

/// The forwarding listener's link to the application: recipients are forwarding
/// addresses; each message is stored for every account it was sent to.
pub struct Forwarding(pub App);

impl atiende_channels::email::smtpd::Handler for Forwarding {
    fn accepts(&self, rcpt: String) -> atiende_channels::email::smtpd::BoxFut<bool> {
        let app = self.0.clone();
        Box::pin(async move {
            matches!(atiende_store::accounts::by_inbound_address(&app.db, &rcpt).await, Ok(Some(_)))
        })
    }
    fn deliver(
        &self,
        rcpts: Vec<String>,
        data: Vec<u8>,
    ) -> atiende_channels::email::smtpd::BoxFut<Result<(), String>> {
        let app = self.0.clone();
        Box::pin(async move {
            for rcpt in rcpts {
                let account = atiende_store::accounts::by_inbound_address(&app.db, &rcpt)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("unknown recipient")?;
                receive_or_hold(&app, &account, &data, "smtp").await.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}
