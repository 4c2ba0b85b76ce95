//! The one inbound use case. Every channel — the `api` endpoint, the raw-MIME endpoint,
//! the IMAP reader, the SMTP listener, and next webhooks and pollers — turns what it got
//! into a channel-neutral [`InboundMessage`] and calls [`receive`]. The account's settings
//! decide the intake (`atiende_core::inbound::intake`); the group-commit ingest stores the
//! message; the reactions the rules decide (`atiende_core::inbound::reactions`) are applied
//! in the same transaction by [`Reactions`].
use crate::{App, AppError};
use atiende_core::inbound::{InboundMessage, Stored, intake, reactions};
use atiende_core::time::Micros;
use atiende_store::accounts::AccountRow;
use atiende_store::ingest::{Inbound, Outcome, Reactor};
use atiende_store::{StoreError, Tx};
use serde_json::json;

/// Stores one inbound message for `account`; returns once it is committed (acknowledge the
/// platform only then). `important`: the channel already knows the message is (an
/// influencer, a keyword match done upstream).
pub async fn receive(
    app: &App,
    account: &AccountRow,
    mut msg: InboundMessage,
    important: bool,
) -> Result<Outcome, AppError> {
    msg.scrub();
    let intake = intake(account.settings.json(), &msg, important);
    let item = Inbound {
        org_id: account.org_id,
        account_id: account.id,
        identity_kind: msg.client.kind,
        identity_value: msg.client.value,
        client_name: msg.client.name,
        external_id: msg.external_id,
        text: msg.text,
        html: msg.html,
        metadata: msg.metadata.map(|m| m.to_string()),
        attachments: msg.attachments,
        thread: msg.thread,
        intake,
    };
    app.ingestor.submit(item).await
}

/// Applies the reactions of a stored batch: the assignment drain, SLA timers, new-ticket
/// notifications and the automatic replies' job — all durable jobs in the batch's
/// transaction, so none is lost and none runs for a batch that rolled back.
pub struct Reactions;

impl Reactor for Reactions {
    fn react<'a>(
        &'a self,
        tx: &'a mut Tx,
        stored: &'a [Stored],
        now: Micros,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send + 'a>> {
        Box::pin(async move {
            let r = reactions(stored);
            for ((org, ticket), at) in &r.sla_timers {
                atiende_store::automation::arm_sla(tx, *org, *ticket, *at).await?;
            }
            for n in &r.notifications {
                let dedupe = format!("notify:{}:{}", n.ticket_id, n.to);
                atiende_store::email::queue_mail(
                    tx,
                    &json!({"to": n.to, "ticket_id": n.ticket_id}),
                    Some(&dedupe),
                    now,
                )
                .await?;
            }
            for org in &r.assign {
                atiende_store::assign::arm(tx, *org, now).await?;
            }
            for (org, ids) in &r.react {
                atiende_store::automation::enqueue_react(tx, *org, ids, now).await?;
            }
            Ok(())
        })
    }
}
