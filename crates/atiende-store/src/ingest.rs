//! Inbound messages, written in batches (group commit): one transaction stores
//! many messages, and each sender is answered only after that commit.
use crate::messages::{self, NewMessage};
use crate::tickets::{TicketRow, COLS as TICKET_COLS};
use crate::{clients, events, on_tx, orgs, Db, StoreError, Tx};
use atiende_core::ticket::{inbound_target, InboundTarget, MessageFacts};
use atiende_core::time::Micros;
use atiende_core::{AuthorKind, Direction, TicketState};
use serde_json::json;

/// One inbound message, already validated.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub org_id: i64,
    pub account_id: i64,
    /// Identity of the client on the channel, e.g. ("email", "ana@example.com").
    pub identity_kind: String,
    pub identity_value: String,
    pub client_name: String,
    /// The platform's id of the message, for deduplication.
    pub external_id: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// Start new tickets ignored (SPEC §4.3 "create tickets as ignored").
    pub create_ignored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored { message_id: i64, ticket_id: i64, ticket_created: bool, client_created: bool },
    /// Already stored under the same external id: nothing changed.
    Duplicate { message_id: i64, ticket_id: i64 },
}

/// How many times a batch is retried after a race with another node.
const RETRIES: usize = 5;

/// Stores `items` in one transaction, returning one outcome per item. On a
/// failure that only one item causes, the batch is split so the others still land.
pub async fn store_batch(db: &Db, items: &[Inbound], now: Micros) -> Vec<Result<Outcome, StoreError>> {
    match store_all(db, items, now).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(e) if items.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, size = items.len(), "batch failed; storing its messages one by one");
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(store_all(db, std::slice::from_ref(item), now).await.map(|mut v| v.remove(0)));
            }
            out
        }
    }
}

async fn store_all(db: &Db, items: &[Inbound], now: Micros) -> Result<Vec<Outcome>, StoreError> {
    let mut attempt = 0;
    loop {
        let r = async {
            let mut tx = db.begin().await?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(store_one(&mut tx, item, now).await?);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        }
        .await;
        match r {
            Err(e) if e.is_retryable() && attempt < RETRIES => {
                attempt += 1;
                tracing::debug!(error = %e, attempt, "ingest batch raced another writer; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(2 * attempt as u64)).await;
            }
            r => return r,
        }
    }
}

async fn store_one(tx: &mut Tx, item: &Inbound, now: Micros) -> Result<Outcome, StoreError> {
    if let Some(ext) = &item.external_id {
        if let Some((message_id, ticket_id)) = messages::find_inbound(tx, item.account_id, ext).await? {
            return Ok(Outcome::Duplicate { message_id, ticket_id });
        }
    }
    let (client_id, client_created) =
        clients::find_or_create(tx, item.org_id, &item.identity_kind, &item.identity_value, &item.client_name, now).await?;
    let sql = format!("SELECT {TICKET_COLS} FROM tickets WHERE account_id = $1 AND client_id = $2 AND state <> 'closed'");
    let current = on_tx!(tx, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(item.account_id)
        .bind(client_id)
        .fetch_optional(c)
        .await)?;
    let current_state = current.as_ref().map(|t| (t.id, TicketState::parse(&t.state, "state").unwrap_or(TicketState::Open)));
    let (ticket, created) = match (inbound_target(current_state), current) {
        (InboundTarget::Join(_), Some(t)) => (t, false),
        _ => (create_ticket(tx, item, client_id, now).await?, true),
    };
    let (msg, _) = messages::append(
        tx,
        &ticket,
        &NewMessage {
            direction: Direction::In,
            author: AuthorKind::Client,
            author_user_id: None,
            text: &item.text,
            html: item.html.as_deref(),
            external_id: item.external_id.as_deref(),
            deliver: false,
        },
        now,
    )
    .await?;
    Ok(Outcome::Stored { message_id: msg.id, ticket_id: ticket.id, ticket_created: created, client_created })
}

async fn create_ticket(tx: &mut Tx, item: &Inbound, client_id: i64, now: Micros) -> Result<TicketRow, StoreError> {
    let number = orgs::next_ticket_number(tx, item.org_id).await?;
    let state = if item.create_ignored { TicketState::Ignored } else { TicketState::Open };
    // The facts before the first message: `append` then applies the client's message.
    let f = MessageFacts { awaiting_answer: false, waiting_since: None, ..MessageFacts::new_from_client(now) };
    let sql = format!(
        "INSERT INTO tickets (org_id, number, account_id, client_id, state, awaiting_answer, waiting_since, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {TICKET_COLS}"
    );
    let t = on_tx!(tx, |c| sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql))
        .bind(item.org_id)
        .bind(number)
        .bind(item.account_id)
        .bind(client_id)
        .bind(state.as_str())
        .bind(f.awaiting_answer)
        .bind(f.waiting_since)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| {
        let e = StoreError::from(e);
        // Another node opened this client's ticket first: the retry joins it.
        if e.is_unique_violation() { StoreError::Conflict("open ticket".into()) } else { e }
    })?;
    events::record(tx, item.org_id, "ticket.created", Some(t.id), None, &json!({"ticket": t.to_json()}), now).await?;
    Ok(t)
}
