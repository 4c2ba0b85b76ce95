//! The automatic actions of an account (SPEC §4.2), run from durable jobs.
//!
//! - Replies 2–5 answer incoming private messages: ingest queues a `react` job in the
//!   transaction that stores them; the job decides with `atiende_core::autoreply::choose`
//!   (out of hours, then no agent, then new client, then ticket creation; each once per
//!   ticket) and sends one reply through the outbox, in one transaction that also marks
//!   the message as looked at — so a job run twice never answers twice, and the unique
//!   index on (ticket, action) keeps "once per ticket" true across nodes.
//! - Reply 6 goes out when an agent closes the ticket, as its last message.
//! - Action 1 is a per-ticket timer set on each human answer; when it fires it closes the
//!   ticket (sending reply 7) unless the client answered, the action was turned off, or
//!   the delay grew — then it moves. Changing the setting re-checks every pending timer.
use crate::{App, AppError};
use atiende_core::assign::{Decision, decide};
use atiende_core::autoreply::{self, AutoActions, CloseCheck, Facts, Reply, Values, auto_close};
use atiende_core::sla::Sla;
use atiende_core::time::Micros;
use atiende_core::{AuthorKind, Direction, TicketState};
use atiende_store::automation as store;
use atiende_store::jobs::{self, JobRow};
use atiende_store::messages::{self, MessageRow, NewMessage};
use atiende_store::tickets::{self, TicketRow};
use atiende_store::{StoreError, Tx, accounts};
use serde_json::Value;

fn settings_of(a: &accounts::AccountRow) -> Value {
    a.settings.json().clone()
}

fn random() -> u64 {
    let mut b = [0u8; 8];
    // Without the system's randomness the first text is as good as any.
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

/// Adds an automatic message (one of `texts`, placeholders filled) to the ticket and
/// queues its delivery. `agent`: the agent the texts speak for, when not the ticket's.
async fn send(
    tx: &mut Tx,
    t: &TicketRow,
    action: &str,
    texts: &[String],
    agent: Option<String>,
    now: Micros,
) -> Result<Option<MessageRow>, StoreError> {
    let Some(text) = autoreply::pick(texts, random()) else { return Ok(None) };
    let (client, assignee, company) = store::names(tx, t).await?;
    // With no agent on the ticket yet, the texts speak for the company.
    let agent = agent.or(assignee).filter(|a| !a.is_empty()).unwrap_or_else(|| company.clone());
    let text = autoreply::fill(
        text,
        &Values { client_name: &client, agent_name: &agent, ticket_number: t.number, company_name: &company },
    );
    let m = NewMessage {
        direction: Direction::Out,
        author: AuthorKind::Automatic,
        author_user_id: None,
        text: &text,
        html: None,
        external_id: None,
        deliver: true,
        auto_action: Some(action),
        metadata: None,
    };
    Ok(Some(messages::append(tx, t, &m, now).await?.0))
}

/// The `react` job: the automatic reply (if any) to each of its messages.
pub async fn run_react(app: &App, job: &JobRow) -> Result<(), StoreError> {
    let payload: Value = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
    for id in payload["messages"].as_array().into_iter().flatten().filter_map(Value::as_i64) {
        // Two jobs may race to send the same once-per-ticket reply: the loser looks again.
        let mut attempt = 0;
        loop {
            match react(app, id).await {
                Err(e) if e.is_unique_violation() && attempt < 3 => attempt += 1,
                r => break r?,
            }
        }
    }
    let mut tx = app.db.begin().await?;
    jobs::complete(&mut tx, job.id, &app.config.node_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn react(app: &App, message_id: i64) -> Result<(), StoreError> {
    let msg = match messages::get(&app.db, message_id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    let account = accounts::get_any(&app.db, msg.account_id).await?;
    let settings = settings_of(&account);
    let actions = AutoActions::from_settings(&settings);
    let out_of_hours = match crate::schedules::of_account(app, account.org_id, &settings).await {
        Ok(Some(s)) => {
            jiff::Timestamp::from_microsecond(msg.created_at).map(|at| !s.is_open(at)).unwrap_or(false)
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(account = account.id, error = %e, "business hours unreadable; treated as inside hours");
            false
        }
    };
    let org_settings = atiende_store::orgs::settings(&app.db, account.org_id).await.unwrap_or(Value::Null);
    let (mode, _) = crate::assign::rules(&settings, &org_settings);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if !store::claim_message(&mut tx, message_id, now).await? {
        return Ok(());
    }
    let t = tickets::get_tx(&mut tx, msg.org_id, msg.ticket_id).await?;
    if t.state == TicketState::Closed {
        tx.commit().await?;
        return Ok(());
    }
    let h = store::history(&mut tx, &t, msg.id).await?;
    // No agent: nobody has the ticket, and nobody could be given it now.
    let no_agent = t.assignee_id.is_none() && {
        let candidates = atiende_store::assign::candidates(&mut tx, t.account_id).await?;
        matches!(decide(mode, false, None, &candidates, now), Decision::Wait(_))
    };
    let facts = Facts {
        private: true,
        ignored: t.state == TicketState::Ignored,
        from_automation: false,
        out_of_hours,
        no_agent,
        new_client: !h.client_wrote_before,
        ticket_created: !h.ticket_had_message,
        already_sent: Reply::PRECEDENCE.into_iter().filter(|r| h.sent.iter().any(|s| s == r.key())).collect(),
    };
    if let Some(reply) = autoreply::choose(|r| actions.texts(r.key()).is_some(), &facts) {
        let texts = actions.texts(reply.key()).unwrap_or_default();
        send(&mut tx, &t, reply.key(), texts, None, now).await?;
        app.metrics.automatic_replies.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    app.commit(tx).await?;
    Ok(())
}

/// After a human agent's message (in its transaction): records the first answer against
/// the SLA, and sets the auto-close timer when the account has one.
pub async fn after_agent_message(
    tx: &mut Tx,
    settings: &Value,
    before: &TicketRow,
    after: &TicketRow,
    now: Micros,
) -> Result<(), StoreError> {
    if !before.addressed && after.addressed {
        let sla = Sla::from_settings(settings).ok().flatten().map(Sla::micros);
        store::record_first_response(tx, after.id, now - after.created_at, sla).await?;
    }
    if let Some(delay) = AutoActions::from_settings(settings).close_after {
        store::set_auto_close(tx, after, now + delay, now).await?;
    }
    Ok(())
}

/// Before an agent closes a ticket (in its transaction): the "on manual close" reply,
/// signed by the closing agent.
pub async fn before_manual_close(
    tx: &mut Tx,
    settings: &Value,
    t: &TicketRow,
    agent_user_id: i64,
    now: Micros,
) -> Result<(), StoreError> {
    if t.state != TicketState::Open {
        return Ok(());
    }
    if let Some(texts) = AutoActions::from_settings(settings).texts("on_manual_close") {
        let agent = store::user_name(tx, agent_user_id).await?;
        send(tx, t, "on_manual_close", texts, Some(agent), now).await?;
    }
    Ok(())
}

/// Before a ticket is closed automatically or by a mass close (in its transaction):
/// the "on automatic close" reply.
pub async fn before_auto_close(
    tx: &mut Tx,
    settings: &Value,
    t: &TicketRow,
    now: Micros,
) -> Result<(), StoreError> {
    if let Some(texts) = AutoActions::from_settings(settings).texts("on_auto_close") {
        send(tx, t, "on_auto_close", texts, None, now).await?;
    }
    Ok(())
}

/// The `auto_close` timer of one ticket.
pub async fn run_auto_close(app: &App, job: &JobRow) -> Result<(), StoreError> {
    let payload: Value = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
    let (org_id, ticket_id) =
        (payload["org_id"].as_i64().unwrap_or(0), payload["ticket_id"].as_i64().unwrap_or(0));
    let node = &app.config.node_id;
    let t = match tickets::get(&app.db, org_id, ticket_id).await {
        Ok(t) => Some(t),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let account = match &t {
        Some(t) => Some(accounts::get_any(&app.db, t.account_id).await?),
        None => None,
    };
    let settings = account.as_ref().map(settings_of).unwrap_or(Value::Null);
    let actions = AutoActions::from_settings(&settings);
    let now = app.now();
    let check = |t: &TicketRow| {
        auto_close(
            t.state == TicketState::Open,
            t.last_agent_message_at,
            t.awaiting_answer,
            actions.close_after,
            now,
        )
    };
    let mut tx = app.db.begin().await?;
    match t.as_ref().map(check).unwrap_or(CloseCheck::Cancel) {
        CloseCheck::Cancel => {
            jobs::complete_unless_rearmed(&mut tx, job.id, node, &job.payload).await?;
        }
        CloseCheck::Later(at) => jobs::postpone(&mut tx, job.id, node, at).await?,
        CloseCheck::Close => {
            let t = t.as_ref().map(|t| t.id).unwrap_or(ticket_id);
            // Hold the ticket while the facts still say "due": a client message that lands
            // meanwhile either commits first (then nothing closes) or waits for this close.
            if store::lock_if_due(&mut tx, t).await?
                && let Ok(t) = tickets::get_tx(&mut tx, org_id, t).await
                && check(&t) == CloseCheck::Close
            {
                before_auto_close(&mut tx, &settings, &t, now).await?;
                tickets::close(&mut tx, org_id, t.id, None, now).await?;
                if t.assignee_id.is_some() {
                    atiende_store::assign::arm(&mut tx, org_id, now).await?;
                }
                app.metrics.tickets_auto_closed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            jobs::complete_unless_rearmed(&mut tx, job.id, node, &job.payload).await?;
        }
    }
    app.commit(tx).await?;
    Ok(())
}

/// The SLA timer of one waiting ticket: `ticket.overdue` once the client has waited longer
/// than the account's SLA (read when it fires, so a changed SLA applies), once per waiting period.
pub async fn run_sla_overdue(app: &App, job: &JobRow) -> Result<(), StoreError> {
    let payload: Value = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
    let (org_id, ticket_id) =
        (payload["org_id"].as_i64().unwrap_or(0), payload["ticket_id"].as_i64().unwrap_or(0));
    let node = &app.config.node_id;
    let now = app.now();
    let t = match tickets::get(&app.db, org_id, ticket_id).await {
        Ok(t) => Some(t),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let waiting = t
        .as_ref()
        .filter(|t| t.state == TicketState::Open && t.awaiting_answer)
        .and_then(|t| t.waiting_since);
    let sla = match &t {
        Some(t) if waiting.is_some() => {
            Sla::from_settings(&settings_of(&accounts::get_any(&app.db, t.account_id).await?)).ok().flatten()
        }
        _ => None,
    };
    let mut tx = app.db.begin().await?;
    match (t, waiting, sla) {
        (Some(_), Some(since), Some(sla)) if now < since + sla.micros() => {
            jobs::postpone(&mut tx, job.id, node, since + sla.micros()).await?
        }
        (Some(t), Some(since), Some(sla)) => {
            if store::mark_overdue(&mut tx, t.id, since).await? {
                let body = serde_json::json!({"ticket": t.to_json(), "waiting_since": atiende_core::time::rfc3339(since), "sla_seconds": sla.seconds()});
                atiende_store::events::record(
                    &mut tx,
                    t.org_id,
                    "ticket.overdue",
                    Some(t.id),
                    None,
                    &body,
                    now,
                )
                .await?;
            }
            jobs::complete_unless_rearmed(&mut tx, job.id, node, &job.payload).await?;
        }
        _ => {
            jobs::complete_unless_rearmed(&mut tx, job.id, node, &job.payload).await?;
        }
    }
    app.commit(tx).await?;
    Ok(())
}

/// After an account's settings changed: pending auto-close timers follow the new delay.
pub async fn settings_changed(
    app: &App,
    account_id: i64,
    before: &Value,
    after: &Value,
) -> Result<(), AppError> {
    if Sla::from_settings(before).ok().flatten() != Sla::from_settings(after).ok().flatten() {
        let mut tx = app.db.begin().await?;
        let n = store::recheck_sla(&mut tx, account_id, app.now()).await?;
        app.commit(tx).await?;
        tracing::info!(account_id, timers = n, "SLA changed; pending overdue timers re-checked");
    }
    if AutoActions::from_settings(before).close_after != AutoActions::from_settings(after).close_after {
        let mut tx = app.db.begin().await?;
        let n = store::recheck_auto_close(&mut tx, account_id, app.now()).await?;
        app.commit(tx).await?;
        tracing::info!(account_id, timers = n, "auto-close delay changed; pending timers re-checked");
    }
    Ok(())
}
