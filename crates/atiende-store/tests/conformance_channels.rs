//! The store's conformance suite, second part: the modules of assignment, automation,
//! email, listeners, schedules, attachments and per-conversation events — on the backend
//! chosen by `ATIENDE_TEST_BACKEND` (CI runs both), through the testkit's throwaway database.
use atiende_store::ingest::{Inbound, NewAttachment, NoReactions, Outcome, store_batch};
use atiende_store::*;

mod common;
use common::{inbound, open, org_user_account};

async fn store_one(db: &Db, item: Inbound, now: i64) -> (i64, i64) {
    match store_batch(db, &[item], now, &NoReactions).await.remove(0).unwrap() {
        Outcome::Stored { message_id, ticket_id, .. } => (message_id, ticket_id),
        o => panic!("not stored: {o:?}"),
    }
}

#[tokio::test]
async fn listener_leases_are_held_by_one_node_and_taken_over_on_expiry() {
    let (db, _keep) = open().await;
    let (_, _, acc) = org_user_account(&db, "email").await;
    assert_eq!(listeners::holder(&db, acc).await.unwrap(), None);
    assert!(listeners::claim(&db, acc, "a", 100, 200).await.unwrap());
    assert!(!listeners::claim(&db, acc, "b", 150, 250).await.unwrap(), "a holds it until 200");
    assert!(listeners::claim(&db, acc, "a", 190, 300).await.unwrap(), "a renews");
    assert!(!listeners::claim(&db, acc, "b", 250, 350).await.unwrap());
    assert!(listeners::claim(&db, acc, "b", 301, 400).await.unwrap(), "expired: b takes over");
    assert_eq!(listeners::holder(&db, acc).await.unwrap().as_deref(), Some("b"));
    listeners::release(&db, acc, "a").await.unwrap();
    assert_eq!(listeners::holder(&db, acc).await.unwrap().as_deref(), Some("b"), "only the holder releases");
    listeners::release(&db, acc, "b").await.unwrap();
    assert!(listeners::claim(&db, acc, "a", 302, 500).await.unwrap(), "given up: free at once");
    let all = listeners::accounts(&db).await.unwrap();
    assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), [acc]);
    db.close().await;
}

#[tokio::test]
async fn email_mailbox_marks_forwarding_addresses_and_validation() {
    let (db, _keep) = open().await;
    let (_, _, acc) = org_user_account(&db, "email").await;
    assert_eq!(email::mailbox_state(&db, acc).await.unwrap(), None);
    email::set_mailbox_state(&db, acc, 7, 10, 1).await.unwrap();
    email::set_mailbox_state(&db, acc, 7, 5, 2).await.unwrap();
    assert_eq!(email::mailbox_state(&db, acc).await.unwrap(), Some((7, 10)), "never moves back");
    email::set_mailbox_state(&db, acc, 8, 3, 3).await.unwrap();
    assert_eq!(email::mailbox_state(&db, acc).await.unwrap(), Some((8, 3)), "a new UIDVALIDITY starts over");
    accounts::set_inbound_address(&db, acc, Some("soporte-1a2b@in.acme.test")).await.unwrap();
    assert_eq!(
        accounts::inbound_address(&db, acc).await.unwrap().as_deref(),
        Some("soporte-1a2b@in.acme.test")
    );
    assert_eq!(
        accounts::by_inbound_address(&db, "SOPORTE-1a2b@in.acme.test").await.unwrap().map(|a| a.id),
        Some(acc)
    );
    assert!(accounts::by_inbound_address(&db, "nadie@in.acme.test").await.unwrap().is_none());
    let mut tx = db.begin().await.unwrap();
    email::await_validation(&mut tx, acc, "tok", 5).await.unwrap();
    email::queue_mail(&mut tx, &serde_json::json!({"to": "x@y.test"}), Some("mail:1"), 5).await.unwrap();
    email::queue_mail(&mut tx, &serde_json::json!({"to": "x@y.test"}), Some("mail:1"), 5).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(jobs::depth(&db).await.unwrap(), vec![("mail".to_string(), 1)], "deduplicated");
    assert_eq!(accounts::get_any(&db, acc).await.unwrap().status, "not_validated");
    assert!(!email::validate_with_token(&db, acc, "forged", 6).await.unwrap());
    assert!(email::validate_with_token(&db, acc, "tok", 6).await.unwrap());
    assert!(!email::validate_with_token(&db, acc, "tok", 7).await.unwrap(), "one use");
    assert_eq!(accounts::get_any(&db, acc).await.unwrap().status, "active");
    assert!(
        atiende_store::accounts::set_status(&db, acc, "needs_reconnection", Some("login refused"), 8)
            .await
            .unwrap()
    );
    assert!(
        !atiende_store::accounts::set_status(&db, acc, "needs_reconnection", Some("login refused"), 9)
            .await
            .unwrap(),
        "unchanged"
    );
    let a = accounts::get_any(&db, acc).await.unwrap();
    assert_eq!(
        (a.status.as_str(), a.status_reason.as_deref()),
        ("needs_reconnection", Some("login refused"))
    );
    db.close().await;
}

#[tokio::test]
async fn schedules_are_created_updated_and_scoped() {
    let (db, _keep) = open().await;
    let (org, _, _) = org_user_account(&db, "api").await;
    let id = schedules::create(&db, org, "Oficina", "America/Santiago", "[]", "[]", 1).await.unwrap();
    schedules::update(
        &db,
        org,
        id,
        "Oficina Chile",
        "America/Santiago",
        "[{\"day\":1}]",
        "[\"2026-12-25\"]",
        2,
    )
    .await
    .unwrap();
    let s = schedules::get(&db, org, id).await.unwrap();
    assert_eq!(
        (s.name.as_str(), s.days.as_str(), s.holidays.as_str()),
        ("Oficina Chile", "[{\"day\":1}]", "[\"2026-12-25\"]")
    );
    assert_eq!(schedules::list(&db, org).await.unwrap().len(), 1);
    assert!(
        matches!(schedules::get(&db, org + 1, id).await, Err(StoreError::NotFound)),
        "other organizations see nothing"
    );
    db.close().await;
}

#[tokio::test]
async fn attachments_are_stored_with_their_message_and_scoped() {
    let (db, _keep) = open().await;
    let (org, _, acc) = org_user_account(&db, "email").await;
    let mut item = inbound(org, acc, "m1", "ana");
    item.attachments = vec![
        NewAttachment {
            filename: "logo.png".into(),
            content_type: "image/png".into(),
            content_id: Some("logo@x".into()),
            inline: true,
            size: 4,
            data: Some(b"\x89PNG".to_vec()),
        },
        NewAttachment {
            filename: "big.zip".into(),
            content_type: "application/zip".into(),
            size: 9_000_000,
            ..Default::default()
        },
    ];
    let (message, _) = store_one(&db, item, 10).await;
    let list = attachments::for_messages(&db, org, &[message]).await.unwrap();
    assert_eq!(list.iter().map(|a| a.filename.as_str()).collect::<Vec<_>>(), ["logo.png", "big.zip"]);
    let (info, data) = attachments::get(&db, org, list[0].id).await.unwrap();
    assert_eq!((info.content_type.as_str(), data.as_deref()), ("image/png", Some(&b"\x89PNG"[..])));
    let (_, none) = attachments::get(&db, org, list[1].id).await.unwrap();
    assert_eq!(none, None, "over the limit: listed, not kept");
    let (by_cid, _) = attachments::by_content_id(&db, org, message, "logo@x").await.unwrap();
    assert_eq!(by_cid.id, list[0].id);
    assert_eq!(attachments::with_data(&db, org, message).await.unwrap().len(), 1, "only kept files are sent");
    assert!(matches!(attachments::get(&db, org + 1, list[0].id).await, Err(StoreError::NotFound)));
    db.close().await;
}

#[tokio::test]
async fn assignment_queue_modes_caps_and_decisions() {
    let (db, _keep) = open().await;
    let (org, user, acc) = org_user_account(&db, "api").await;
    let (_, ticket) = store_one(&db, inbound(org, acc, "m1", "ana"), 10).await;
    let mut tx = db.begin().await.unwrap();
    assign::set_mode(&mut tx, acc, user, "auto").await.unwrap();
    assign::set_cap(&mut tx, org, user, Some(3)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(assign::modes(&db, org).await.unwrap(), vec![(acc, user, "auto".to_string())]);
    let mut tx = db.begin().await.unwrap();
    assign::lock_org(&mut tx, org).await.unwrap();
    let c = assign::candidates(&mut tx, acc).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].user_id, user);
    let queued = assign::queued(&mut tx, acc, 20, 1_000_000, 10).await.unwrap();
    assert_eq!(queued.iter().map(|t| t.id).collect::<Vec<_>>(), [ticket], "a new open ticket waits");
    assert_eq!(assign::queued_accounts(&mut tx, org).await.unwrap(), [acc]);
    assert!(assign::mark_waiting(&mut tx, acc, "no agent available", 20).await.unwrap() >= 1);
    tx.commit().await.unwrap();
    assert_eq!(assign::queue_sizes(&db, org).await.unwrap().first().map(|q| (q.0, q.1)), Some((acc, 1)));
    let mut tx = db.begin().await.unwrap();
    assert!(assign::apply(&mut tx, &queued[0], user, "automatic", 30, 30).await.unwrap());
    assert!(!assign::apply(&mut tx, &queued[0], user, "automatic", 31, 31).await.unwrap(), "taken already");
    let rel = assign::relationships(&mut tx, org, &[queued[0].client_id], 0).await.unwrap();
    assert_eq!(rel.get(&queued[0].client_id).map(|r| r.0), Some(user));
    assign::arm(&mut tx, org, 40).await.unwrap();
    assign::arm(&mut tx, org, 41).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(tickets::get(&db, org, ticket).await.unwrap().assignee_id, Some(user));
    assert_eq!(
        jobs::depth(&db).await.unwrap(),
        vec![("assign".to_string(), 1)],
        "one drain per organization"
    );
    // Released and put back: it waits again.
    let mut tx = db.begin().await.unwrap();
    tickets::assign(&mut tx, org, ticket, None, None, "released", 50).await.unwrap();
    assign::requeue(&mut tx, org, &[ticket], 50).await.unwrap();
    assert_eq!(assign::queued(&mut tx, acc, 60, 1_000_000, 10).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
    db.close().await;
}

#[tokio::test]
async fn automation_timers_claims_and_first_answers() {
    let (db, _keep) = open().await;
    let (org, user, acc) = org_user_account(&db, "api").await;
    let (message, ticket) = store_one(&db, inbound(org, acc, "m1", "ana"), 10).await;
    let t = tickets::get(&db, org, ticket).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    automation::arm_sla(&mut tx, org, ticket, 100).await.unwrap();
    automation::arm_sla(&mut tx, org, ticket, 90).await.unwrap();
    automation::enqueue_react(&mut tx, org, &[message], 10).await.unwrap();
    automation::enqueue_react(&mut tx, org, &[], 10).await.unwrap();
    assert!(automation::claim_message(&mut tx, message, 11).await.unwrap());
    assert!(!automation::claim_message(&mut tx, message, 12).await.unwrap(), "looked at once");
    let h = automation::history(&mut tx, &t, message).await.unwrap();
    assert!(!h.client_wrote_before && !h.ticket_had_message && h.sent.is_empty());
    let (client, agent, company) = automation::names(&mut tx, &t).await.unwrap();
    assert_eq!((client.as_str(), agent, company.as_str()), ("ana", None, "Acme"));
    assert_eq!(automation::user_name(&mut tx, user).await.unwrap(), "Ana Pérez");
    assert!(automation::mark_overdue(&mut tx, ticket, t.waiting_since.unwrap()).await.unwrap());
    assert!(
        !automation::mark_overdue(&mut tx, ticket, t.waiting_since.unwrap()).await.unwrap(),
        "once per wait"
    );
    assert_eq!(automation::recheck_sla(&mut tx, acc, 20).await.unwrap(), 1);
    automation::set_auto_close(&mut tx, &t, 500, 20).await.unwrap();
    automation::record_first_response(&mut tx, ticket, 40, Some(60)).await.unwrap();
    automation::record_first_response(&mut tx, ticket, 99, Some(60)).await.unwrap();
    assert!(automation::lock_if_due(&mut tx, ticket).await.is_ok());
    tx.commit().await.unwrap();
    let mut kinds: Vec<String> = jobs::depth(&db).await.unwrap().into_iter().map(|(k, _)| k).collect();
    kinds.sort();
    assert_eq!(kinds, ["auto_close", "react", "sla_overdue"]);
    let t = tickets::get(&db, org, ticket).await.unwrap();
    assert_eq!(
        (t.first_response_micros, t.first_response_sla_micros),
        (Some(40), Some(60)),
        "the first one stays"
    );
    db.close().await;
}

#[tokio::test]
async fn a_conversation_backlog_holds_only_its_ticket() {
    let (db, _keep) = open().await;
    let (org, _, acc) = org_user_account(&db, "api").await;
    let (_, t1) = store_one(&db, inbound(org, acc, "m1", "ana"), 10).await;
    let (_, t2) = store_one(&db, inbound(org, acc, "m2", "bea"), 11).await;
    store_one(&db, inbound(org, acc, "m3", "ana"), 12).await;
    let e1 = events::after_for_ticket(&db, org, t1, 0, 100).await.unwrap();
    assert!(e1.iter().all(|e| e.ticket_id == Some(t1)));
    assert_eq!(e1.iter().filter(|e| e.kind == "message.created").count(), 2);
    let e2 = events::after_for_ticket(&db, org, t2, 0, 100).await.unwrap();
    assert!(!e2.is_empty() && e2.iter().all(|e| e.ticket_id == Some(t2)));
    let later = events::after_for_ticket(&db, org, t1, e1[0].id, 100).await.unwrap();
    assert_eq!(later.len(), e1.len() - 1, "after an id");
    assert!(
        events::after_for_ticket(&db, org + 1, t1, 0, 100).await.unwrap().is_empty(),
        "scoped by organization"
    );
    db.close().await;
}
