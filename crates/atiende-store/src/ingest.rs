//! Inbound messages, written in batches (group commit): one transaction stores
//! many messages with a handful of set-based statements, and each sender is
//! answered only after that commit.
//!
//! Per batch: one dedupe query per account, one identity query per channel,
//! one open-ticket query per account, one multi-row insert each for new tickets
//! and for messages, one multi-row update of the touched tickets, the events at
//! commit. What the batch asks for next (assignment, SLA timers, notifications, automatic
//! replies) is decided by the rules in `atiende_core::inbound` and applied by the caller's
//! [`Reactor`] in the same transaction.
//! New clients are inserted one by one (they are the rare case).
use crate::messages::{COLS as MESSAGE_COLS, MessageRow, excerpt};
use crate::tickets::{COLS as TICKET_COLS, TicketRow};
use crate::{Db, StoreError, Tx, clients, events};
use atiende_core::ticket::{InboundTarget, MessageFacts, inbound_target};
use atiende_core::time::Micros;
use atiende_core::{AuthorKind, TicketState};
use serde_json::json;
use std::collections::HashMap;

pub use atiende_core::inbound::Attachment as NewAttachment;
use atiende_core::inbound::{Intake, Stored};

/// One inbound message, already validated.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub org_id: i64,
    pub account_id: i64,
    /// Identity of the client on the channel, e.g. ("email", "ana@example.com").
    pub identity_kind: String,
    pub identity_value: String,
    pub client_name: String,
    /// The platform's id of the message, for deduplication (adapters synthesize
    /// a stable one when the platform has none).
    pub external_id: String,
    pub text: String,
    pub html: Option<String>,
    /// Channel details kept with the message (JSON object; email: headers, subject).
    pub metadata: Option<String>,
    /// Files that came with the message.
    pub attachments: Vec<NewAttachment>,
    /// Ids of earlier messages this one answers (email: In-Reply-To, then References newest
    /// first): it joins the open ticket of the first one found, whoever sends it (a colleague
    /// in Cc, another address of the client); else the sender's own open ticket.
    pub thread: Vec<String>,
    /// What the account's settings decided about the message (`create_ignored` and
    /// `important` are stored; the rest is for the reactions).
    pub intake: Intake,
}

/// Applies, in the batch's transaction, what storing it asks for next.
pub trait Reactor: Sync {
    fn react<'a>(
        &'a self,
        tx: &'a mut Tx,
        stored: &'a [Stored],
        now: Micros,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send + 'a>>;
}

/// A reactor that applies nothing (the store's own tests).
pub struct NoReactions;

impl Reactor for NoReactions {
    fn react<'a>(
        &'a self,
        _: &'a mut Tx,
        _: &'a [Stored],
        _: Micros,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send + 'a>> {
        Box::pin(async { Ok(()) })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored {
        message_id: i64,
        ticket_id: i64,
        ticket_created: bool,
        client_created: bool,
    },
    /// Already stored under the same external id: nothing changed.
    Duplicate {
        message_id: i64,
        ticket_id: i64,
    },
}

/// Most messages in one batch (keeps every statement under the parameter limits).
pub const MAX_BATCH: usize = 2000;

/// How many times a batch is retried after a race with another node.
const RETRIES: usize = 5;

/// Stores `items` in one transaction, returning one outcome per item. On a
/// failure that only one item causes, the batch is split so the others still land.
pub async fn store_batch(
    db: &Db,
    items: &[Inbound],
    now: Micros,
    reactor: &dyn Reactor,
) -> Vec<Result<Outcome, StoreError>> {
    if items.len() > MAX_BATCH {
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(MAX_BATCH) {
            out.extend(Box::pin(store_batch(db, chunk, now, reactor)).await);
        }
        return out;
    }
    match store_all(db, items, now, reactor).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(e) if items.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, size = items.len(), "batch failed; storing its messages one by one");
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(
                    store_all(db, std::slice::from_ref(item), now, reactor).await.map(|mut v| v.remove(0)),
                );
            }
            out
        }
    }
}

async fn store_all(
    db: &Db,
    items: &[Inbound],
    now: Micros,
    reactor: &dyn Reactor,
) -> Result<Vec<Outcome>, StoreError> {
    let mut attempt = 0;
    loop {
        let r = async {
            let mut tx = db.begin().await?;
            let (out, stored) = store_set(&mut tx, items, now).await?;
            reactor.react(&mut tx, &stored, now).await?;
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

/// Groups item indices by a key, keeping first-appearance order.
fn group_by<K: std::hash::Hash + Eq + Clone>(
    idx: &[usize],
    key: impl Fn(usize) -> K,
) -> Vec<(K, Vec<usize>)> {
    let mut order: Vec<(K, Vec<usize>)> = Vec::new();
    let mut pos: HashMap<K, usize> = HashMap::new();
    for &i in idx {
        let k = key(i);
        match pos.get(&k) {
            Some(&p) => order[p].1.push(i),
            None => {
                pos.insert(k.clone(), order.len());
                order.push((k, vec![i]));
            }
        }
    }
    order
}

async fn store_set(
    tx: &mut Tx,
    items: &[Inbound],
    now: Micros,
) -> Result<(Vec<Outcome>, Vec<Stored>), StoreError> {
    let pg = tx.is_pg();
    let params = |from: usize, n: usize| crate::placeholders(pg, from, n);
    let mut out: Vec<Option<Outcome>> = vec![None; items.len()];
    // 1. Duplicates inside the batch: later copies answer like the first.
    let mut first_of: HashMap<(i64, &str), usize> = HashMap::new();
    let mut copy_of: Vec<Option<usize>> = vec![None; items.len()];
    for (i, it) in items.iter().enumerate() {
        match first_of.get(&(it.account_id, it.external_id.as_str())) {
            Some(&f) => copy_of[i] = Some(f),
            None => {
                first_of.insert((it.account_id, it.external_id.as_str()), i);
            }
        }
    }
    let firsts: Vec<usize> = (0..items.len()).filter(|i| copy_of[*i].is_none()).collect();
    // 2. Duplicates already stored.
    for (account, idx) in group_by(&firsts, |i| items[i].account_id) {
        let sql = format!(
            "SELECT external_id, id, ticket_id FROM messages WHERE account_id = {} AND direction = 'in' AND external_id IN ({})",
            params(0, 1),
            params(1, idx.len())
        );
        let found: Vec<(String, i64, i64)> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account);
            for &i in &idx {
                q = q.bind(items[i].external_id.as_str());
            }
            q.fetch_all(c).await
        })?;
        let found: HashMap<String, (i64, i64)> = found.into_iter().map(|(e, m, t)| (e, (m, t))).collect();
        for &i in &idx {
            if let Some(&(message_id, ticket_id)) = found.get(&items[i].external_id) {
                out[i] = Some(Outcome::Duplicate { message_id, ticket_id });
            }
        }
    }
    let fresh: Vec<usize> = firsts.into_iter().filter(|i| out[*i].is_none()).collect();
    // 3. Clients by identity; new ones created.
    let mut client_of: HashMap<(i64, &str, &str), (i64, bool)> = HashMap::new();
    for ((org, kind), idx) in group_by(&fresh, |i| (items[i].org_id, items[i].identity_kind.as_str())) {
        let mut values: Vec<&str> = idx.iter().map(|&i| items[i].identity_value.as_str()).collect();
        values.sort_unstable();
        values.dedup();
        let sql = format!(
            "SELECT value, client_id FROM client_identities WHERE org_id = {} AND kind = {} AND value IN ({})",
            params(0, 1),
            params(1, 1),
            params(2, values.len())
        );
        let found: Vec<(String, i64)> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(kind);
            for v in &values {
                q = q.bind(*v);
            }
            q.fetch_all(c).await
        })?;
        let found: HashMap<String, i64> = found.into_iter().collect();
        for &i in &idx {
            let it = &items[i];
            let key = (org, kind, it.identity_value.as_str());
            if client_of.contains_key(&key) {
                continue;
            }
            let entry = match found.get(&it.identity_value) {
                Some(&id) => (id, false),
                None => {
                    clients::find_or_create(tx, org, kind, &it.identity_value, &it.client_name, now).await?
                }
            };
            client_of.insert(key, entry);
        }
    }
    let client = |i: usize| {
        client_of[&(items[i].org_id, items[i].identity_kind.as_str(), items[i].identity_value.as_str())]
    };
    // 4. Threads: a message answering one of an open ticket's messages joins that ticket.
    let mut ticket_of: HashMap<(i64, i64), TicketRow> = HashMap::new();
    let mut owner: HashMap<usize, i64> = HashMap::new();
    let threaded: Vec<usize> = fresh.iter().copied().filter(|&i| !items[i].thread.is_empty()).collect();
    for (account, idx) in group_by(&threaded, |i| items[i].account_id) {
        let mut refs: Vec<&str> =
            idx.iter().flat_map(|&i| items[i].thread.iter().map(String::as_str)).collect();
        refs.sort_unstable();
        refs.dedup();
        let sql = format!(
            "SELECT external_id, ticket_id FROM messages WHERE account_id = {} AND direction IN ('in', 'out') AND external_id IN ({})",
            params(0, 1),
            params(1, refs.len())
        );
        let found: Vec<(String, i64)> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account);
            for r in &refs {
                q = q.bind(*r);
            }
            q.fetch_all(c).await
        })?;
        if found.is_empty() {
            continue;
        }
        let mut ids: Vec<i64> = found.iter().map(|f| f.1).collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "SELECT {TICKET_COLS} FROM tickets WHERE account_id = {} AND state <> 'closed' AND id IN ({})",
            params(0, 1),
            params(1, ids.len())
        );
        let open: Vec<TicketRow> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(account);
            for id in &ids {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        let by_id: HashMap<i64, &TicketRow> = open.iter().map(|t| (t.id, t)).collect();
        let ticket_of_ref: HashMap<&str, &TicketRow> =
            found.iter().filter_map(|(e, t)| by_id.get(t).map(|t| (e.as_str(), *t))).collect();
        for &i in &idx {
            if let Some(t) = items[i].thread.iter().find_map(|r| ticket_of_ref.get(r.as_str())) {
                owner.insert(i, t.client_id);
                ticket_of.insert((t.account_id, t.client_id), (*t).clone());
            }
        }
    }
    // The client whose ticket a message goes to: the thread's, else the sender's.
    let whose = |i: usize| owner.get(&i).copied().unwrap_or(client(i).0);
    // 5. The clients' open (or ignored) tickets.
    for (account, idx) in group_by(&fresh, |i| items[i].account_id) {
        let mut ids: Vec<i64> = idx.iter().map(|&i| whose(i)).collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "SELECT {TICKET_COLS} FROM tickets WHERE account_id = {} AND state <> 'closed' AND client_id IN ({})",
            params(0, 1),
            params(1, ids.len())
        );
        let rows: Vec<TicketRow> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(account);
            for id in &ids {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        for t in rows {
            let state = t.state;
            if let InboundTarget::Join(_) = inbound_target(Some((t.id, state))) {
                ticket_of.insert((t.account_id, t.client_id), t);
            }
        }
    }
    // 6. New tickets, numbered per organization, in arrival order.
    let needs: Vec<(i64, Vec<usize>)> = group_by(&fresh, |i| items[i].org_id)
        .into_iter()
        .map(|(org, idx)| {
            let mut seen = std::collections::HashSet::new();
            let firsts = idx
                .into_iter()
                .filter(|&i| {
                    !ticket_of.contains_key(&(items[i].account_id, whose(i)))
                        && seen.insert((items[i].account_id, whose(i)))
                })
                .collect();
            (org, firsts)
        })
        .collect();
    let mut created: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for (org, idx) in needs.into_iter().filter(|(_, v)| !v.is_empty()) {
        let k = idx.len() as i64;
        let first: i64 = on_tx!(tx, |c| {
            sqlx::query_scalar(
            "UPDATE organizations SET next_ticket_number = next_ticket_number + $2 WHERE id = $1 RETURNING next_ticket_number - $2"
        )
        .bind(org)
        .bind(k)
        .fetch_one(c)
        .await
        })?;
        let rows = (0..idx.len()).map(|r| format!("({})", params(r * 8, 8))).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "INSERT INTO tickets (org_id, number, account_id, client_id, state, created_at, updated_at, queued_at) VALUES {rows} RETURNING {TICKET_COLS}"
        );
        let inserted: Vec<TicketRow> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql));
            for (n, &i) in idx.iter().enumerate() {
                // An open ticket waits for automatic assignment; an ignored one never does.
                let (state, queued) = if items[i].intake.create_ignored {
                    (TicketState::Ignored, None)
                } else {
                    (TicketState::Open, Some(now))
                };
                q = q
                    .bind(org)
                    .bind(first + n as i64)
                    .bind(items[i].account_id)
                    .bind(whose(i))
                    .bind(state.as_str())
                    .bind(now)
                    .bind(now)
                    .bind(queued);
            }
            q.fetch_all(c).await
        })
        .map_err(|e| {
            let e = StoreError::from(e);
            // Another node opened one of these clients' tickets first: the retry joins it.
            if e.is_unique_violation() { StoreError::Conflict("open ticket".into()) } else { e }
        })?;
        let mut inserted: Vec<TicketRow> = inserted;
        inserted.sort_by_key(|t| t.number);
        for mut t in inserted {
            // The facts before the first message: its own message then applies.
            t.awaiting_answer = false;
            t.waiting_since = None;
            events::record(tx, org, "ticket.created", Some(t.id), None, &json!({"ticket": t.to_json()}), now)
                .await?;
            created.insert(t.id);
            ticket_of.insert((t.account_id, t.client_id), t);
        }
    }
    // 7. The messages, in one statement.
    let mut message_of: HashMap<(i64, String), MessageRow> = HashMap::new();
    if !fresh.is_empty() {
        let rows = (0..fresh.len())
            .map(|r| format!("({}, 'in', 'client')", params(r * 8, 8)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO messages (org_id, ticket_id, account_id, text, html, external_id, created_at, metadata, direction, author_kind) VALUES {rows} RETURNING {MESSAGE_COLS}"
        );
        let rows: Vec<MessageRow> = on_tx!(tx, |c| {
            let mut q = sqlx::query_as::<_, MessageRow>(sqlx::AssertSqlSafe(sql));
            for &i in &fresh {
                let it = &items[i];
                let t = &ticket_of[&(it.account_id, whose(i))];
                q = q
                    .bind(it.org_id)
                    .bind(t.id)
                    .bind(it.account_id)
                    .bind(it.text.as_str())
                    .bind(it.html.as_deref())
                    .bind(it.external_id.as_str())
                    .bind(now)
                    .bind(it.metadata.as_deref().unwrap_or("{}"));
            }
            q.fetch_all(c).await
        })?;
        for m in rows {
            let key = (m.account_id, m.external_id.clone().unwrap_or_default());
            message_of.insert(key, m);
        }
        for &i in fresh.iter().filter(|&&i| !items[i].attachments.is_empty()) {
            let it = &items[i];
            let m = &message_of[&(it.account_id, it.external_id.clone())];
            crate::attachments::insert(tx, it.org_id, m.id, &it.attachments).await?;
        }
    }
    // 8. Ticket facts, message by message, and their events.
    let mut touched: Vec<(i64, i64)> = Vec::new();
    let mut touched_set = std::collections::HashSet::new();
    let mut new_clients = std::collections::HashSet::new();
    let mut stored: Vec<Stored> = Vec::with_capacity(fresh.len());
    for &i in &fresh {
        let it = &items[i];
        let (client_id, client_created) = client(i);
        let key = (it.account_id, whose(i));
        let m = message_of
            .get(&(it.account_id, it.external_id.clone()))
            .ok_or_else(|| StoreError::Corrupt("inserted message not returned".into()))?;
        let t = ticket_of.get_mut(&key).ok_or_else(|| StoreError::Corrupt("ticket missing".into()))?;
        let f = MessageFacts {
            updated_at: t.updated_at,
            addressed: t.addressed,
            addressed_at: t.addressed_at,
            awaiting_answer: t.awaiting_answer,
            waiting_since: t.waiting_since,
            last_agent_message_at: t.last_agent_message_at,
        }
        .apply(AuthorKind::Client, now);
        t.updated_at = f.updated_at;
        t.awaiting_answer = f.awaiting_answer;
        t.waiting_since = f.waiting_since;
        t.excerpt = excerpt(&it.text);
        t.important |= it.intake.important;
        // A new message on an open, unassigned ticket asks for automatic assignment (SPEC §7).
        if t.state == TicketState::Open && t.assignee_id.is_none() && t.queued_at.is_none() {
            t.queued_at = Some(now);
        }
        if touched_set.insert(key) {
            touched.push(key);
        }
        events::record(
            tx,
            it.org_id,
            "message.created",
            Some(t.id),
            Some(m.id),
            &json!({"ticket": t.to_json(), "message": m.to_json()}),
            now,
        )
        .await?;
        // Only the first message of a new ticket (or client) created it.
        let ticket_created = created.remove(&t.id);
        stored.push(Stored {
            org_id: it.org_id,
            ticket_id: t.id,
            message_id: m.id,
            ticket_created,
            open: t.state == TicketState::Open,
            queued: t.queued_at.is_some(),
            waiting_since: t.waiting_since.filter(|_| t.awaiting_answer),
            intake: it.intake.clone(),
        });
        let client_created = client_created && new_clients.insert(client_id);
        out[i] = Some(Outcome::Stored { message_id: m.id, ticket_id: t.id, ticket_created, client_created });
    }
    // 9. The touched tickets, in one statement.
    if !touched.is_empty() {
        let rows = (0..touched.len())
            .map(|r| {
                let b = r * 7;
                if pg {
                    format!("(${}::bigint, ${}::bigint, ${}::boolean, ${}::bigint, ${}::text, ${}::boolean, ${}::bigint)", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7)
                } else {
                    "(?, ?, ?, ?, ?, ?, ?)".to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "WITH v(id, updated_at, awaiting_answer, waiting_since, excerpt, important, queued_at) AS (VALUES {rows}) \
             UPDATE tickets SET updated_at = v.updated_at, awaiting_answer = v.awaiting_answer, waiting_since = v.waiting_since, excerpt = v.excerpt, \
             important = v.important, \
             queued_at = CASE WHEN tickets.assignee_id IS NULL AND tickets.state = 'open' THEN v.queued_at ELSE NULL END FROM v WHERE tickets.id = v.id"
        );
        exec_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for key in &touched {
                let t = &ticket_of[key];
                q = q
                    .bind(t.id)
                    .bind(t.updated_at)
                    .bind(t.awaiting_answer)
                    .bind(t.waiting_since)
                    .bind(t.excerpt.as_str())
                    .bind(t.important)
                    .bind(t.queued_at);
            }
            q
        })?;
    }
    // Copies inside the batch answer like their first.
    for i in 0..items.len() {
        if let Some(f) = copy_of[i] {
            out[i] = Some(match &out[f] {
                Some(Outcome::Stored { message_id, ticket_id, .. })
                | Some(Outcome::Duplicate { message_id, ticket_id }) => {
                    Outcome::Duplicate { message_id: *message_id, ticket_id: *ticket_id }
                }
                None => return Err(StoreError::Corrupt("batch outcome missing".into())),
            });
        }
    }
    let out = out
        .into_iter()
        .map(|o| o.ok_or_else(|| StoreError::Corrupt("batch outcome missing".into())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((out, stored))
}
