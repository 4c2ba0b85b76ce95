//! The automatic actions of an account (SPEC §4.2) end to end: the replies to incoming
//! messages with their precedence and "once per ticket", the replies on closing, and the
//! "close if the client does not answer" timer — on a clock the tests move.
use atiende_core::time::ManualClock;
use atiende_testkit::{TestApp, spawn_app, spawn_app_on_clock};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

const MINUTE: i64 = 60_000_000;
/// Saturday 2026-11-28 03:00 UTC.
const SATURDAY_3AM: i64 = 1_795_834_800_000_000;

fn reply(texts: &[&str]) -> Value {
    json!({"enabled": true, "texts": texts})
}

/// Runs background work until no job is due on the app's clock.
async fn settle(t: &TestApp) {
    t.eventually(30, || async {
        t.drain_jobs().await;
        let now = t.app().now();
        let due: i64 =
            atiende_store::inspect::int(&t.app().db, "SELECT COUNT(*) FROM jobs WHERE run_at <= $1", &[now])
                .await
                .unwrap();
        (due == 0).then_some(())
    })
    .await;
}

async fn messages(t: &TestApp, ticket: i64) -> Vec<Value> {
    t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await["items"].as_array().unwrap().clone()
}

/// The automatic messages of a ticket: (action, text).
async fn automatic(t: &TestApp, ticket: i64) -> Vec<(String, String)> {
    messages(t, ticket)
        .await
        .into_iter()
        .filter(|m| m["author_kind"] == "automatic")
        .map(|m| {
            (
                m["auto_action"].as_str().unwrap_or("").to_string(),
                m["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

async fn send(t: &TestApp, acc: i64, ext: &str, client: &str) -> i64 {
    let (s, b) = t.inbound(acc, ext, client, "hola").await;
    assert_eq!(s, 202, "{b}");
    b["ticket_id"].as_i64().unwrap()
}

async fn agent_reply(t: &TestApp, ticket: i64, text: &str) {
    let r = t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": text})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn state(t: &TestApp, ticket: i64) -> String {
    t.get_json(&format!("/api/v1/tickets/{ticket}")).await["state"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn new_client_reply_goes_first_then_creation_reply_on_the_next_ticket_each_once() {
    let t = spawn_app().await;
    let acc = t
        .api_account(json!({"auto_actions": {
            "new_client": reply(&["Hola {client_name}, bienvenida a {company_name}. Tu ticket es el #{ticket_number}."]),
            "on_creation": reply(&["Recibimos tu mensaje (#{ticket_number})."]),
        }}))
        .await;
    let first = send(&t, acc, "m1", "ana").await;
    settle(&t).await;
    let number = t.get_json(&format!("/api/v1/tickets/{first}")).await["number"].as_i64().unwrap();
    assert_eq!(
        automatic(&t, first).await,
        vec![("new_client".into(), format!("Hola ana, bienvenida a Acme. Tu ticket es el #{number}."))]
    );
    // A second message on the same ticket: the client is no longer new, the ticket not new.
    send(&t, acc, "m2", "ana").await;
    settle(&t).await;
    assert_eq!(automatic(&t, first).await.len(), 1, "one reply per ticket and action");
    // The automatic reply answers nobody: the client still waits for a human.
    let ticket = t.get_json(&format!("/api/v1/tickets/{first}")).await;
    assert_eq!(ticket["awaiting_answer"], true);
    assert_eq!(ticket["addressed"], false);
    // The next ticket of the same client gets the creation reply.
    assert_eq!(t.post(&format!("/api/v1/tickets/{first}/close"), json!({})).await.status(), 200);
    let second = send(&t, acc, "m3", "ana").await;
    assert_ne!(first, second);
    settle(&t).await;
    let number = t.get_json(&format!("/api/v1/tickets/{second}")).await["number"].as_i64().unwrap();
    assert_eq!(
        automatic(&t, second).await,
        vec![("on_creation".into(), format!("Recibimos tu mensaje (#{number})."))]
    );
    // The reply goes out through the outbox like any other (here it fails: no webhook URL).
    let m = messages(&t, second).await.into_iter().find(|m| m["author_kind"] == "automatic").unwrap();
    assert_eq!(m["direction"], "out");
    assert!(m["delivery"] == "failed" || m["delivery"] == "pending", "{m}");
}

#[tokio::test]
async fn no_agent_reply_when_nobody_can_take_the_ticket_and_not_when_someone_can() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"auto_actions": {"no_agent": reply(&["Nadie disponible"]), "new_client": reply(&["Bienvenido"])}})).await;
    let lonely = send(&t, acc, "m1", "ana").await;
    settle(&t).await;
    assert_eq!(
        automatic(&t, lonely).await,
        vec![("no_agent".into(), "Nadie disponible".into())],
        "no agent outranks new client"
    );
    // An available agent with auto-assignment: the next new client is only welcomed.
    let token = t.user("Acme", "beto@acme.test", &["agent"]).await;
    let me: Value = t.call(Method::GET, "/api/v1/me", &token, None).await.json().await.unwrap();
    let statuses = t.get_json("/api/v1/connection-statuses").await;
    let available = statuses["items"].as_array().unwrap().iter().find(|s| s["name"] == "Available").unwrap()
        ["id"]
        .clone();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", me["id"]),
            &token,
            Some(json!({"connection_status_id": available})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{acc}/agents/{}", me["id"]),
            &t.token,
            Some(json!({"mode": "auto"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let served = send(&t, acc, "m2", "carla").await;
    settle(&t).await;
    assert_eq!(automatic(&t, served).await, vec![("new_client".into(), "Bienvenido".into())]);
}

#[tokio::test]
async fn out_of_hours_reply_follows_the_account_schedule_once_per_ticket() {
    let clock = Arc::new(ManualClock::new(SATURDAY_3AM));
    let t = spawn_app_on_clock(clock.clone()).await;
    let r = t.post("/api/v1/schedules", json!({"name": "Oficina", "time_zone": "UTC", "days": {"mon": [["09:00", "18:00"]], "sat": [["09:00", "18:00"]]}})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let schedule = t.get_json("/api/v1/schedules").await["items"][0]["id"].clone();
    let acc = t
        .api_account(json!({"schedule_id": schedule, "auto_actions": {
            "out_of_hours": reply(&["Abrimos a las 9, {client_name}."]),
            "new_client": reply(&["Bienvenida"]),
        }}))
        .await;
    let ticket = send(&t, acc, "m1", "ana").await;
    settle(&t).await;
    assert_eq!(
        automatic(&t, ticket).await,
        vec![("out_of_hours".into(), "Abrimos a las 9, ana.".into())],
        "out of hours outranks new client"
    );
    clock.advance(MINUTE);
    send(&t, acc, "m2", "ana").await;
    settle(&t).await;
    assert_eq!(automatic(&t, ticket).await.len(), 1, "out of hours goes once per ticket");
    // At 10:00 the office is open: a new client is welcomed instead.
    clock.advance(7 * 60 * MINUTE);
    let other = send(&t, acc, "m3", "beto").await;
    settle(&t).await;
    assert_eq!(automatic(&t, other).await, vec![("new_client".into(), "Bienvenida".into())]);
}

#[tokio::test]
async fn disabled_replies_and_tickets_created_ignored_get_no_automatic_message() {
    let t = spawn_app().await;
    let off = t
        .api_account(
            json!({"auto_actions": {"on_creation": {"enabled": false, "texts": ["No debería salir"]}}}),
        )
        .await;
    let ignored = t.api_account(json!({"general": {"create_ignored": true}, "auto_actions": {"on_creation": reply(&["Tampoco"])}})).await;
    let a = send(&t, off, "m1", "ana").await;
    let b = send(&t, ignored, "m1", "ana").await;
    settle(&t).await;
    assert!(automatic(&t, a).await.is_empty());
    assert!(automatic(&t, b).await.is_empty());
    assert_eq!(state(&t, b).await, "ignored");
}

#[tokio::test]
async fn manual_close_sends_the_closing_text_as_the_last_message_signed_by_the_agent() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"auto_actions": {"on_manual_close": reply(&["Cerramos tu ticket. Saludos, {agent_name}."])}})).await;
    let ticket = send(&t, acc, "m1", "ana").await;
    agent_reply(&t, ticket, "Listo, ya está resuelto").await;
    assert_eq!(t.post(&format!("/api/v1/tickets/{ticket}/close"), json!({})).await.status(), 200);
    let all = messages(&t, ticket).await;
    let last = all.last().unwrap();
    assert_eq!(last["author_kind"], "automatic");
    assert_eq!(last["auto_action"], "on_manual_close");
    assert_eq!(last["text"], "Cerramos tu ticket. Saludos, admin.");
    // Closing again does nothing more.
    assert_eq!(t.post(&format!("/api/v1/tickets/{ticket}/close"), json!({})).await.status(), 200);
    assert_eq!(messages(&t, ticket).await.len(), all.len());
}

#[tokio::test]
async fn auto_close_counts_from_the_last_human_answer_and_a_client_message_cancels_it() {
    let clock = Arc::new(ManualClock::new(SATURDAY_3AM));
    let t = spawn_app_on_clock(clock.clone()).await;
    let acc = t
        .api_account(json!({"auto_actions": {
            "close_if_no_reply": {"enabled": true, "after_seconds": 60},
            "on_auto_close": reply(&["Cerramos por falta de respuesta, {client_name}."]),
            "on_creation": reply(&["Recibido"]),
        }}))
        .await;
    // Never answered by a human (only by an automatic reply): never closed.
    let unanswered = send(&t, acc, "u1", "uma").await;
    settle(&t).await;
    clock.advance(10 * MINUTE);
    settle(&t).await;
    assert_eq!(state(&t, unanswered).await, "open");

    let ticket = send(&t, acc, "m1", "ana").await;
    agent_reply(&t, ticket, "¿Sigues ahí?").await;
    clock.advance(MINUTE - 1_000_000);
    settle(&t).await;
    assert_eq!(state(&t, ticket).await, "open", "59 s after the answer");
    clock.advance(1_000_000);
    settle(&t).await;
    assert_eq!(state(&t, ticket).await, "closed", "60 s after the answer");
    let last = messages(&t, ticket).await.last().cloned().unwrap();
    assert_eq!(
        (last["auto_action"].as_str(), last["text"].as_str()),
        (Some("on_auto_close"), Some("Cerramos por falta de respuesta, ana."))
    );

    // The client answers within the minute: the timer is cancelled.
    let kept = send(&t, acc, "k1", "kim").await;
    agent_reply(&t, kept, "¿Me confirmas?").await;
    clock.advance(30_000_000);
    send(&t, acc, "k2", "kim").await;
    clock.advance(5 * MINUTE);
    settle(&t).await;
    assert_eq!(state(&t, kept).await, "open");
    assert_eq!(t.get_json(&format!("/api/v1/tickets/{kept}")).await["awaiting_answer"], true);
}

#[tokio::test]
async fn changing_the_delay_applies_to_timers_already_pending() {
    let clock = Arc::new(ManualClock::new(SATURDAY_3AM));
    let t = spawn_app_on_clock(clock.clone()).await;
    let acc = t
        .api_account(json!({"auto_actions": {"close_if_no_reply": {"enabled": true, "after_seconds": 3600}}}))
        .await;
    let ticket = send(&t, acc, "m1", "ana").await;
    agent_reply(&t, ticket, "¿Algo más?").await;
    clock.advance(10 * MINUTE);
    settle(&t).await;
    assert_eq!(state(&t, ticket).await, "open");
    // Shortened to 5 minutes: the ticket answered 10 minutes ago closes now.
    let r = t.call(Method::PATCH, &format!("/api/v1/accounts/{acc}"), &t.token, Some(json!({"settings": {"auto_actions": {"close_if_no_reply": {"enabled": true, "after_seconds": 300}}}}))).await;
    assert_eq!(r.status(), 200);
    settle(&t).await;
    assert_eq!(state(&t, ticket).await, "closed");
    // Lengthened: a pending timer moves later instead of firing early; turned off: never fires.
    let other = send(&t, acc, "o1", "beto").await;
    agent_reply(&t, other, "¿Algo más?").await;
    let patch = |after: Value| json!({"settings": {"auto_actions": {"close_if_no_reply": after}}});
    t.call(
        Method::PATCH,
        &format!("/api/v1/accounts/{acc}"),
        &t.token,
        Some(patch(json!({"enabled": true, "after_seconds": 1200}))),
    )
    .await;
    clock.advance(6 * MINUTE);
    settle(&t).await;
    assert_eq!(state(&t, other).await, "open", "6 minutes of 20");
    t.call(
        Method::PATCH,
        &format!("/api/v1/accounts/{acc}"),
        &t.token,
        Some(patch(json!({"enabled": false}))),
    )
    .await;
    clock.advance(60 * MINUTE);
    settle(&t).await;
    assert_eq!(state(&t, other).await, "open", "the action was turned off");
}

#[tokio::test]
async fn first_answer_is_recorded_against_the_sla() {
    let clock = Arc::new(ManualClock::new(SATURDAY_3AM));
    let t = spawn_app_on_clock(clock.clone()).await;
    let acc = t.api_account(json!({"sla": {"amount": 5, "unit": "minutes"}})).await;
    let fast = send(&t, acc, "f1", "ana").await;
    let slow = send(&t, acc, "s1", "beto").await;
    clock.advance(2 * MINUTE);
    agent_reply(&t, fast, "Hola").await;
    clock.advance(8 * MINUTE);
    agent_reply(&t, slow, "Perdón la demora").await;
    agent_reply(&t, fast, "Un segundo mensaje no cambia la primera respuesta").await;
    let f = t.get_json(&format!("/api/v1/tickets/{fast}")).await;
    let s = t.get_json(&format!("/api/v1/tickets/{slow}")).await;
    assert_eq!(
        (f["first_response_seconds"].as_f64(), f["first_response_within_sla"].as_bool()),
        (Some(120.0), Some(true))
    );
    assert_eq!(
        (s["first_response_seconds"].as_f64(), s["first_response_within_sla"].as_bool()),
        (Some(600.0), Some(false))
    );
}

/// The one test on the real clock: a one-minute timer fires on its own, through the
/// server's job worker, with nobody driving it.
#[tokio::test]
async fn auto_close_fires_on_the_real_clock() {
    let t = spawn_app().await;
    let acc = t
        .api_account(json!({"auto_actions": {"close_if_no_reply": {"enabled": true, "after_seconds": 60}}}))
        .await;
    let ticket = send(&t, acc, "m1", "ana").await;
    agent_reply(&t, ticket, "¿Sigues ahí?").await;
    let started = std::time::Instant::now();
    t.eventually(120, || async { (state(&t, ticket).await == "closed").then_some(()) }).await;
    assert!(started.elapsed() >= std::time::Duration::from_secs(59), "closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn mass_close_sends_the_automatic_close_reply_and_refuses_an_unknown_ticket_whole() {
    let t = spawn_app().await;
    let acc = t
        .api_account(json!({"auto_actions": {"on_auto_close": reply(&["Cerramos tu caso, {client_name}."])}}))
        .await;
    let plain = t.api_account(json!({})).await;
    let a = send(&t, acc, "a1", "ana").await;
    let b = send(&t, acc, "b1", "beto").await;
    let c = send(&t, plain, "c1", "carla").await;
    // One unknown id: 422 naming it, nothing closed.
    let r = t.post("/api/v1/tickets/mass-close", json!({"ids": [a, 999_999, b]})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "ids[1]");
    assert_eq!(state(&t, a).await, "open");
    assert_eq!(t.post("/api/v1/tickets/mass-close", json!({"ids": []})).await.status(), 422);
    let r = t.post("/api/v1/tickets/mass-close", json!({"ids": [a, b, c, a]})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["closed"], 3);
    for id in [a, b, c] {
        assert_eq!(state(&t, id).await, "closed");
    }
    assert_eq!(automatic(&t, a).await, vec![("on_auto_close".into(), "Cerramos tu caso, ana.".into())]);
    assert_eq!(automatic(&t, b).await, vec![("on_auto_close".into(), "Cerramos tu caso, beto.".into())]);
    assert!(automatic(&t, c).await.is_empty(), "the other account has no closing reply");
    // Closed tickets are skipped by a second mass close.
    assert_eq!(
        t.post("/api/v1/tickets/mass-close", json!({"ids": [a]})).await.json::<Value>().await.unwrap()["closed"],
        0
    );
}

/// The `ticket.overdue` events of a ticket.
async fn overdue_events(t: &TestApp, ticket: i64) -> i64 {
    atiende_store::inspect::int(
        &t.app().db,
        "SELECT COUNT(*) FROM events WHERE kind = 'ticket.overdue' AND ticket_id = $1",
        &[ticket],
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_waiting_ticket_is_announced_overdue_once_per_wait_and_a_new_sla_applies_to_pending_timers() {
    let clock = Arc::new(ManualClock::new(SATURDAY_3AM));
    let t = spawn_app_on_clock(clock.clone()).await;
    let acc = t.api_account(json!({"sla": {"amount": 2, "unit": "minutes"}})).await;
    let ticket = send(&t, acc, "o-1", "ana").await;
    // One second short of the SLA: nothing; at the SLA: one event.
    clock.advance(2 * MINUTE - 1_000_000);
    settle(&t).await;
    assert_eq!(overdue_events(&t, ticket).await, 0);
    clock.advance(1_000_000);
    settle(&t).await;
    assert_eq!(overdue_events(&t, ticket).await, 1);
    // The client writes again in the same wait: no second event.
    send(&t, acc, "o-2", "ana").await;
    clock.advance(5 * MINUTE);
    settle(&t).await;
    assert_eq!(overdue_events(&t, ticket).await, 1);
    // Answered, then a new wait: a new event after the SLA.
    agent_reply(&t, ticket, "ya lo vemos").await;
    send(&t, acc, "o-3", "ana").await;
    clock.advance(MINUTE);
    settle(&t).await;
    assert_eq!(overdue_events(&t, ticket).await, 1);
    clock.advance(MINUTE);
    settle(&t).await;
    assert_eq!(overdue_events(&t, ticket).await, 2);
    // A pending timer follows a shorter SLA set meanwhile.
    let other = send(&t, acc, "o-4", "beto").await;
    clock.advance(MINUTE / 2);
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{acc}"),
            &t.token,
            Some(json!({"settings": {"sla": {"amount": 20, "unit": "seconds"}}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    settle(&t).await;
    assert_eq!(overdue_events(&t, other).await, 1, "30 s waited > the new 20 s SLA");
    // No SLA: no timer.
    t.call(
        Method::PATCH,
        &format!("/api/v1/accounts/{acc}"),
        &t.token,
        Some(json!({"settings": {"sla": null}})),
    )
    .await;
    let third = send(&t, acc, "o-5", "carla").await;
    clock.advance(60 * MINUTE);
    settle(&t).await;
    assert_eq!(overdue_events(&t, third).await, 0);
    t.stop().await;
}
