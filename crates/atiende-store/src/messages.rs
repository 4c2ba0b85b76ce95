//! Messages of a ticket. [`append`] is the one way a message enters a ticket: it
//! stores the message, applies the ticket rules of `atiende-core`, records the
//! events and, for outbound messages, queues their delivery — all in one transaction.
use crate::tickets::TicketRow;
use crate::{Db, StoreError, Tx, events, found, jobs};
use atiende_core::ticket::MessageFacts;
use atiende_core::time::{Micros, rfc3339};
use atiende_core::{AuthorKind, Direction};
use serde_json::json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub org_id: i64,
    pub ticket_id: i64,
    pub account_id: i64,
    #[sqlx(try_from = "String")]
    pub direction: Direction,
    #[sqlx(try_from = "String")]
    pub author_kind: AuthorKind,
    pub author_user_id: Option<i64>,
    pub text: String,
    pub html: Option<String>,
    pub delivery: Option<String>,
    pub delivery_error: Option<String>,
    pub delivery_attempts: i64,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// The automatic action that sent it (`author_kind` = `automatic`).
    pub auto_action: Option<String>,
    /// Channel details (JSON object; email: `{"email": {subject, from, to, cc, message_id, …}}`).
    pub metadata: String,
}

pub(crate) const COLS: &str = "id, org_id, ticket_id, account_id, direction, author_kind, author_user_id, text, html, delivery, \
    delivery_error, delivery_attempts, external_id, created_at, sent_at, auto_action, metadata";

/// The API shape of a message (SPEC §11.1).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: i64,
    pub ticket_id: i64,
    /// `in` (from the client) or `out`.
    pub direction: String,
    /// `client`, `agent`, `automatic` or `note` (internal, never sent).
    pub author_kind: String,
    pub author_user_id: Option<i64>,
    pub text: String,
    /// Sanitized HTML, when the channel sent HTML.
    pub html: Option<String>,
    /// Outbound delivery: `pending`, `sent`, `failed`; null for inbound messages and notes.
    pub delivery: Option<String>,
    /// Why the last delivery attempt failed.
    pub delivery_error: Option<String>,
    pub external_id: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// For automatic messages, the action that sent them: `new_client`, `no_agent`,
    /// `out_of_hours`, `on_creation`, `on_manual_close` or `on_auto_close`.
    pub auto_action: Option<String>,
    /// Email messages: `{subject, from: {name, address}, to: [..], cc: [..], message_id,
    /// in_reply_to, references, date, quoted}` (`quoted`: the folded history below the text).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub email: Option<serde_json::Value>,
    /// Web chat messages from a visitor: `{visitor_id, email, rut, phone, page_url,
    /// user_agent, verified}` (`verified`: a customer signed by the company's site).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<serde_json::Value>,
    /// Meta's channels: the platform's details (`whatsapp`: `{type, wamid, details?,
    /// replying_to?, template?}`; `facebook` / `instagram`: `{kind: message|comment|postback,
    /// mid | comment_id, post_id, parent_id, outside_atiende?, network?}` — `network`:
    /// `edited`, `deleted` or `hidden` on the platform).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facebook: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instagram: Option<serde_json::Value>,
    /// Files that came with the message (download: `GET /api/v1/attachments/{id}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachments::AttachmentInfo>,
}

impl MessageRow {
    /// The channel details as JSON (an empty object when none).
    pub fn meta(&self) -> serde_json::Value {
        serde_json::from_str(&self.metadata).unwrap_or_else(|_| json!({}))
    }
    pub fn view(&self) -> MessageView {
        MessageView {
            id: self.id,
            ticket_id: self.ticket_id,
            direction: self.direction.to_string(),
            author_kind: self.author_kind.to_string(),
            author_user_id: self.author_user_id,
            text: self.text.clone(),
            html: self.html.clone(),
            delivery: self.delivery.clone(),
            delivery_error: self.delivery_error.clone(),
            external_id: self.external_id.clone(),
            created_at: rfc3339(self.created_at),
            sent_at: self.sent_at.map(rfc3339),
            auto_action: self.auto_action.clone(),
            email: self.meta().get("email").cloned(),
            chat: self.meta().get("chat").cloned(),
            whatsapp: self.meta().get("whatsapp").cloned(),
            facebook: self.meta().get("facebook").cloned(),
            instagram: self.meta().get("instagram").cloned(),
            attachments: Vec::new(),
        }
    }
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }
}

/// A message to add to a ticket.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub direction: Direction,
    pub author: AuthorKind,
    pub author_user_id: Option<i64>,
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub external_id: Option<&'a str>,
    /// Queue delivery through the outbox (outbound messages of a channel that sends).
    pub deliver: bool,
    /// The automatic action sending it, for `AuthorKind::Automatic` messages.
    pub auto_action: Option<&'a str>,
    /// Channel details (JSON object), e.g. the subject of an outbound email.
    pub metadata: Option<&'a str>,
}

const EXCERPT_CHARS: usize = 140;

pub(crate) fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(EXCERPT_CHARS).collect()
}

/// Adds a message to `ticket`, updates the ticket's facts and records
/// `message.created` (and `ticket.updated`). Returns the message and the ticket after.
pub async fn append(
    tx: &mut Tx,
    ticket: &TicketRow,
    m: &NewMessage<'_>,
    now: Micros,
) -> Result<(MessageRow, TicketRow), StoreError> {
    // The facts are computed from the ticket as committed now, under its row lock: on
    // PostgreSQL (read committed) a snapshot read earlier in the transaction could be stale,
    // and writing it back would undo a message another transaction just added.
    exec_tx!(tx, |c| sqlx::query("UPDATE tickets SET updated_at = updated_at WHERE id = $1")
        .bind(ticket.id))?;
    let ticket = &crate::tickets::get_tx(tx, ticket.org_id, ticket.id).await?;
    let delivery = m.deliver.then_some("pending");
    let sql = format!(
        "INSERT INTO messages (org_id, ticket_id, account_id, direction, author_kind, author_user_id, text, html, delivery, external_id, created_at, auto_action, metadata) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {COLS}"
    );
    let msg = on_tx!(tx, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(ticket.org_id)
        .bind(ticket.id)
        .bind(ticket.account_id)
        .bind(m.direction.as_str())
        .bind(m.author.as_str())
        .bind(m.author_user_id)
        .bind(m.text)
        .bind(m.html)
        .bind(delivery)
        .bind(m.external_id)
        .bind(now)
        .bind(m.auto_action)
        .bind(m.metadata.unwrap_or("{}"))
        .fetch_one(c)
        .await)?;
    let before = MessageFacts {
        updated_at: ticket.updated_at,
        addressed: ticket.addressed,
        addressed_at: ticket.addressed_at,
        awaiting_answer: ticket.awaiting_answer,
        waiting_since: ticket.waiting_since,
        last_agent_message_at: ticket.last_agent_message_at,
    };
    let after = before.apply(m.author, now);
    let mut ticket = ticket.clone();
    if m.author != AuthorKind::Note {
        ticket.excerpt = excerpt(m.text);
        ticket.updated_at = after.updated_at;
        ticket.addressed = after.addressed;
        ticket.addressed_at = after.addressed_at;
        ticket.awaiting_answer = after.awaiting_answer;
        ticket.waiting_since = after.waiting_since;
        ticket.last_agent_message_at = after.last_agent_message_at;
        exec_tx!(tx, |c| {
            sqlx::query(
            "UPDATE tickets SET updated_at = $1, addressed = $2, addressed_at = $3, awaiting_answer = $4, waiting_since = $5, \
             last_agent_message_at = $6, excerpt = $7 WHERE id = $8"
        )
        .bind(ticket.updated_at)
        .bind(ticket.addressed)
        .bind(ticket.addressed_at)
        .bind(ticket.awaiting_answer)
        .bind(ticket.waiting_since)
        .bind(ticket.last_agent_message_at)
        .bind(&ticket.excerpt)
        .bind(ticket.id)
        })?;
    }
    events::record(
        tx,
        ticket.org_id,
        "message.created",
        Some(ticket.id),
        Some(msg.id),
        &json!({"ticket": ticket.to_json(), "message": msg.to_json()}),
        now,
    )
    .await?;
    if m.deliver {
        jobs::enqueue(
            tx,
            jobs::DELIVER,
            &json!({"message_id": msg.id}).to_string(),
            Some(&format!("deliver:{}", msg.id)),
            now,
        )
        .await?;
    }
    Ok((msg, ticket))
}

async fn get_tx(tx: &mut Tx, id: i64) -> Result<MessageRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM messages WHERE id = $1");
    found(on_tx!(tx, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<MessageRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM messages WHERE id = $1");
    found(on_db!(db, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// The messages of a ticket, oldest first, after message id `after_id`.
pub async fn list(
    db: &Db,
    org_id: i64,
    ticket_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE org_id = $1 AND ticket_id = $2 AND id > $3 ORDER BY id LIMIT $4"
    );
    Ok(on_db!(db, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(ticket_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// Records the outcome of a delivery attempt and the matching event.
pub async fn set_delivery(
    tx: &mut Tx,
    id: i64,
    delivery: &str,
    error: Option<&str>,
    external_id: Option<&str>,
    now: Micros,
) -> Result<MessageRow, StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query(
        "UPDATE messages SET delivery = $1, delivery_error = $2, delivery_attempts = delivery_attempts + 1, \
         sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END, external_id = COALESCE($4, external_id) WHERE id = $5"
    )
    .bind(delivery)
    .bind(error)
    .bind(now)
    .bind(external_id)
    .bind(id)
    })?;
    let m = get_tx(tx, id).await?;
    events::record(
        tx,
        m.org_id,
        "message.delivery",
        Some(m.ticket_id),
        Some(id),
        &json!({"message": m.to_json()}),
        now,
    )
    .await?;
    Ok(m)
}

/// Replaces a message's channel details (e.g. the headers of the email it was sent as).
pub async fn set_metadata(tx: &mut Tx, id: i64, metadata: &str) -> Result<(), StoreError> {
    exec_tx!(tx, |c| sqlx::query("UPDATE messages SET metadata = $2 WHERE id = $1").bind(id).bind(metadata))?;
    Ok(())
}

/// A message on an account by the platform's id, in one direction: one of ours by the id it
/// went out as (a `wamid`), or a client's (a comment id, a `mid`).
pub async fn by_external(
    db: &Db,
    account_id: i64,
    direction: Direction,
    external_id: &str,
) -> Result<Option<MessageRow>, StoreError> {
    let sql =
        format!("SELECT {COLS} FROM messages WHERE account_id = $1 AND direction = $2 AND external_id = $3");
    Ok(on_db!(db, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(direction.as_str())
        .bind(external_id)
        .fetch_optional(c)
        .await)?)
}

/// Records what the platform later said of a sent message (`delivered`, `read`, `failed`),
/// with the matching event; a state never goes back (a late `delivered` after `read` is
/// ignored). Returns whether it changed.
pub async fn set_delivery_state(
    tx: &mut Tx,
    id: i64,
    state: &str,
    error: Option<&str>,
    now: Micros,
) -> Result<bool, StoreError> {
    let rank = |s: &str| match s {
        "pending" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        "failed" => 4,
        _ => -1,
    };
    let m = get_tx(tx, id).await?;
    let current = m.delivery.as_deref().unwrap_or("");
    if rank(state) <= rank(current) && !(state == "failed" && current != "failed") {
        return Ok(false);
    }
    exec_tx!(tx, |c| sqlx::query(
        "UPDATE messages SET delivery = $1, delivery_error = COALESCE($2, delivery_error) WHERE id = $3"
    )
    .bind(state)
    .bind(error)
    .bind(id))?;
    let m = get_tx(tx, id).await?;
    events::record(
        tx,
        m.org_id,
        "message.delivery",
        Some(m.ticket_id),
        Some(id),
        &json!({"message": m.to_json()}),
        now,
    )
    .await?;
    Ok(true)
}

/// When the client last wrote on a ticket (its newest inbound message), if ever.
pub async fn last_inbound_at(db: &Db, ticket_id: i64) -> Result<Option<Micros>, StoreError> {
    Ok(on_db!(db, |c| sqlx::query_scalar(
        "SELECT MAX(created_at) FROM messages WHERE ticket_id = $1 AND direction = 'in'"
    )
    .bind(ticket_id)
    .fetch_one(c)
    .await)?)
}

/// The client's newest message on a ticket (what a reply answers).
pub async fn last_inbound(db: &Db, ticket_id: i64) -> Result<Option<MessageRow>, StoreError> {
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE ticket_id = $1 AND direction = 'in' ORDER BY id DESC LIMIT 1"
    );
    Ok(on_db!(db, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(ticket_id)
        .fetch_optional(c)
        .await)?)
}

/// What the network later said of a client's message: its text edited, or it removed or
/// hidden there (`metadata.<channel>.network` = `edited` / `deleted` / `hidden`), with a
/// `message.updated` event. The text is replaced only when given.
pub async fn mark_from_network(
    tx: &mut Tx,
    id: i64,
    channel: &str,
    state: &str,
    text: Option<&str>,
    now: Micros,
) -> Result<MessageRow, StoreError> {
    let m = get_tx(tx, id).await?;
    let mut meta: serde_json::Value = serde_json::from_str(&m.metadata).unwrap_or_else(|_| json!({}));
    if !meta.is_object() {
        meta = json!({});
    }
    if !meta[channel].is_object() {
        meta[channel] = json!({});
    }
    meta[channel]["network"] = json!(state);
    exec_tx!(tx, |c| sqlx::query(
        "UPDATE messages SET metadata = $2, text = COALESCE($3, text) WHERE id = $1"
    )
    .bind(id)
    .bind(meta.to_string())
    .bind(text))?;
    let m = get_tx(tx, id).await?;
    events::record(
        tx,
        m.org_id,
        "message.updated",
        Some(m.ticket_id),
        Some(id),
        &json!({"message": m.to_json()}),
        now,
    )
    .await?;
    Ok(m)
}

/// The messages kept of one post's comments on an account, oldest first (the details written
/// by the page channels hold `"post_id":"<id>"`).
pub async fn of_post(
    db: &Db,
    account_id: i64,
    channel: &str,
    post_id: &str,
) -> Result<Vec<MessageRow>, StoreError> {
    // Ids are Meta's digits and underscores; anything else matches nothing.
    if post_id.is_empty() || !post_id.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return Ok(Vec::new());
    }
    let needle = format!("%\"{channel}\":%\"post_id\":\"{post_id}\"%");
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE account_id = $1 AND direction = 'in' AND metadata LIKE $2 ORDER BY id LIMIT 1000"
    );
    Ok(on_db!(db, |c| sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(&needle)
        .fetch_all(c)
        .await)?)
}
