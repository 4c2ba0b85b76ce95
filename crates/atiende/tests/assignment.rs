//! Automatic assignment (SPEC §7) end to end: modes, fairness, caps, the queue,
//! the relationship option, deactivation and the history, through the API.
use atiende_testkit::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

struct Agent {
    id: i64,
    token: String,
}

async fn agent(t: &TestApp, email: &str) -> Agent {
    let token = t.user("Acme", email, &["agent"]).await;
    let me: Value = t.call(Method::GET, "/api/v1/me", &token, None).await.json().await.unwrap();
    Agent { id: me["id"].as_i64().unwrap(), token }
}

async fn status_id(t: &TestApp, name: &str) -> i64 {
    let s = t.get_json("/api/v1/connection-statuses").await;
    s["items"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["id"].as_i64().unwrap()
}

/// The agent switches their own status.
async fn set_status(t: &TestApp, a: &Agent, name: &str) {
    let sid = status_id(t, name).await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", a.id),
            &a.token,
            Some(json!({"connection_status_id": sid})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn set_mode(t: &TestApp, acc: i64, a: &Agent, mode: &str) {
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{acc}/agents/{}", a.id),
            &t.token,
            Some(json!({"mode": mode})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn patch_user(t: &TestApp, id: i64, body: Value) -> reqwest::Response {
    t.call(Method::PATCH, &format!("/api/v1/users/{id}"), &t.token, Some(body)).await
}

/// Waits until no assignment drain is pending (the node's worker runs them).
async fn settle(t: &TestApp) {
    t.eventually(30, || async {
        t.drain_jobs().await;
        let pending: i64 =
            atiende_store::inspect::int(&t.app().db, "SELECT COUNT(*) FROM jobs WHERE kind = 'assign'", &[])
                .await
                .unwrap();
        (pending == 0).then_some(())
    })
    .await;
}

async fn per_assignee(t: &TestApp) -> HashMap<Option<i64>, i64> {
    let rows = atiende_store::inspect::int_rows(
        &t.app().db,
        "SELECT assignee_id, COUNT(*) FROM tickets WHERE state = 'open' GROUP BY assignee_id",
        &[],
    )
    .await
    .unwrap();
    rows.into_iter().map(|r| (r[0], r[1].unwrap_or(0))).collect()
}

async fn ticket(t: &TestApp, id: i64) -> Value {
    t.get_json(&format!("/api/v1/tickets/{id}")).await
}

async fn history(t: &TestApp, id: i64) -> Vec<Value> {
    t.get_json(&format!("/api/v1/tickets/{id}/assignments")).await["items"].as_array().unwrap().clone()
}

/// Sends `n` inbound messages from distinct clients, `parallel` at a time.
async fn flood(t: &TestApp, acc: i64, prefix: &str, n: usize, parallel: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(parallel) {
        let futs = chunk.iter().map(|i| async move {
            t.inbound(acc, &format!("{prefix}-{i}"), &format!("{prefix}-client-{i}"), "hola").await
        });
        for (s, b) in futures_util::future::join_all(futs).await {
            assert_eq!(s, 202, "{b}");
            ids.push(b["ticket_id"].as_i64().unwrap());
        }
    }
    ids
}

#[tokio::test]
async fn arrival_order_shares_a_thousand_tickets_evenly() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let mut agents = Vec::new();
    for e in ["a@acme.test", "b@acme.test", "c@acme.test"] {
        let a = agent(&t, e).await;
        set_status(&t, &a, "Available").await;
        set_mode(&t, acc, &a, "auto").await;
        agents.push(a);
    }
    flood(&t, acc, "fair", 1000, 32).await;
    settle(&t).await;
    let counts = per_assignee(&t).await;
    assert_eq!(counts.get(&None), None, "nothing left unassigned: {counts:?}");
    let per: Vec<i64> = agents.iter().map(|a| counts.get(&Some(a.id)).copied().unwrap_or(0)).collect();
    assert_eq!(per.iter().sum::<i64>(), 1000);
    assert!(per.iter().max().unwrap() - per.iter().min().unwrap() <= 1, "arrival order is even: {per:?}");
    let queue = t.get_json("/api/v1/assignment/queue").await;
    assert_eq!(queue["items"], json!([]));
}

#[tokio::test]
async fn awaiting_answer_feeds_the_agent_with_fewer_pending_answers() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"assignment": {"mode": "awaiting_answer"}})).await;
    let a = agent(&t, "a@acme.test").await;
    let b = agent(&t, "b@acme.test").await;
    // A already has 10 tickets awaiting their answer (given by hand before going auto).
    let pre = flood(&t, acc, "pre", 10, 10).await;
    settle(&t).await;
    for id in &pre {
        let r = t.post(&format!("/api/v1/tickets/{id}/assign"), json!({"user_id": a.id})).await;
        assert_eq!(r.status(), 200);
    }
    for x in [&a, &b] {
        set_status(&t, x, "Available").await;
        set_mode(&t, acc, x, "auto").await;
    }
    settle(&t).await;
    flood(&t, acc, "new", 200, 20).await;
    settle(&t).await;
    let counts = per_assignee(&t).await;
    let (ca, cb) = (counts[&Some(a.id)], counts[&Some(b.id)]);
    assert_eq!(ca + cb, 210);
    // Every ticket awaits an answer: the loads end level (within one), B having caught up 10.
    assert!((ca - cb).abs() <= 1, "a={ca} b={cb}");
}

#[tokio::test]
async fn caps_hold_under_concurrent_ingest_and_a_freed_slot_takes_the_oldest() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let a = agent(&t, "a@acme.test").await;
    let b = agent(&t, "b@acme.test").await;
    for x in [&a, &b] {
        let r = patch_user(&t, x.id, json!({"max_open_tickets": 5})).await;
        assert_eq!(r.status(), 200);
        set_status(&t, x, "Available").await;
        set_mode(&t, acc, x, "auto").await;
    }
    // A bad cap changes nothing and names the field.
    let r = patch_user(&t, a.id, json!({"max_open_tickets": 0})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "max_open_tickets");
    assert_eq!(t.get_json(&format!("/api/v1/users/{}", a.id)).await["max_open_tickets"], 5);
    let ids = flood(&t, acc, "cap", 60, 30).await;
    settle(&t).await;
    let counts = per_assignee(&t).await;
    assert_eq!((counts[&Some(a.id)], counts[&Some(b.id)], counts[&None]), (5, 5, 50), "{counts:?}");
    let queue = t.get_json("/api/v1/assignment/queue").await;
    assert_eq!(queue["items"][0]["account_id"], acc);
    assert_eq!(queue["items"][0]["size"], 50);
    // Every waiting ticket says why, once.
    // (queued since, id) of each waiting ticket: the queue's order at equal priority.
    let mut waiting: Vec<(i64, i64)> = Vec::new();
    for id in &ids {
        let tk = ticket(&t, *id).await;
        if tk["assignee_id"].is_null() {
            let since = atiende_core::time::parse_rfc3339(tk["queued_since"].as_str().expect("queued_since"))
                .unwrap();
            waiting.push((since, *id));
        }
    }
    waiting.sort();
    let waiting: Vec<i64> = waiting.into_iter().map(|(_, id)| id).collect();
    let h = history(&t, waiting[0]).await;
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0]["user_id"], Value::Null);
    assert!(h[0]["reason"].as_str().unwrap().contains("cap"), "{h:?}");
    // A closes two tickets: the two oldest waiting tickets go to A.
    let mine: Vec<i64> = {
        let mut v = Vec::new();
        for id in &ids {
            if ticket(&t, *id).await["assignee_id"] == a.id {
                v.push(*id);
            }
        }
        v
    };
    for id in &mine[..2] {
        let r = t.call(Method::POST, &format!("/api/v1/tickets/{id}/close"), &a.token, Some(json!({}))).await;
        assert_eq!(r.status(), 200);
    }
    settle(&t).await;
    for &id in &waiting[..2] {
        assert_eq!(ticket(&t, id).await["assignee_id"], a.id, "ticket {id} should have gone to A");
    }
    let counts = per_assignee(&t).await;
    assert_eq!((counts[&Some(a.id)], counts[&Some(b.id)], counts[&None]), (5, 5, 48));
    // Raising the cap drains the queue as far as the cap allows.
    patch_user(&t, b.id, json!({"max_open_tickets": null})).await;
    settle(&t).await;
    let counts = per_assignee(&t).await;
    assert_eq!((counts[&Some(a.id)], counts[&Some(b.id)], counts.get(&None)), (5, 53, None));
}

#[tokio::test]
async fn the_queue_waits_for_an_agent_and_drains_by_priority_then_age() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    // No agent at all: tickets wait, saying why.
    let ids = flood(&t, acc, "q", 3, 1).await;
    settle(&t).await;
    let h = history(&t, ids[0]).await;
    assert_eq!(h.len(), 1);
    assert!(h[0]["reason"].as_str().unwrap().contains("no agent has auto-assignment"), "{h:?}");
    let a = agent(&t, "a@acme.test").await;
    set_mode(&t, acc, &a, "auto").await;
    settle(&t).await;
    // Now there is an auto agent, but Offline: the reason changes (and is recorded once more).
    let h = history(&t, ids[0]).await;
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(
        h[1]["reason"],
        "queued: no agent with auto-assignment on this account is in an assignable status"
    );
    // The newest ticket is urgent.
    let r = t
        .call(Method::PATCH, &format!("/api/v1/tickets/{}", ids[2]), &t.token, Some(json!({"priority": 4})))
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    patch_user(&t, a.id, json!({"max_open_tickets": 1})).await;
    set_status(&t, &a, "Available").await;
    settle(&t).await;
    assert_eq!(ticket(&t, ids[2]).await["assignee_id"], a.id, "higher priority first");
    assert!(ticket(&t, ids[0]).await["assignee_id"].is_null());
    patch_user(&t, a.id, json!({"max_open_tickets": 2})).await;
    settle(&t).await;
    assert_eq!(ticket(&t, ids[0]).await["assignee_id"], a.id, "then the oldest");
    assert!(ticket(&t, ids[1]).await["assignee_id"].is_null());
    let last = history(&t, ids[0]).await;
    assert_eq!(last.last().unwrap()["reason"], "automatic: arrival order (longest without a new ticket)");
    assert!(ticket(&t, ids[0]).await["queued_since"].is_null());
}

#[tokio::test]
async fn relationship_prefers_the_clients_agent_only_while_eligible() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"assignment": {"prioritize_relationship": true}})).await;
    let a = agent(&t, "a@acme.test").await;
    let b = agent(&t, "b@acme.test").await;
    for x in [&a, &b] {
        set_status(&t, x, "Available").await;
        set_mode(&t, acc, x, "auto").await;
    }
    let (_, first) = t.inbound(acc, "r1", "ana", "hola").await;
    settle(&t).await;
    let first_id = first["ticket_id"].as_i64().unwrap();
    let got = ticket(&t, first_id).await["assignee_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/tickets/{first_id}/close"), json!({})).await;
    // Other clients move the rotation along; Ana's new ticket still goes to her agent.
    flood(&t, acc, "others", 3, 3).await;
    settle(&t).await;
    let (_, second) = t.inbound(acc, "r2", "ana", "otra vez").await;
    settle(&t).await;
    let second_id = second["ticket_id"].as_i64().unwrap();
    assert_ne!(second_id, first_id);
    assert_eq!(ticket(&t, second_id).await["assignee_id"], got);
    assert_eq!(
        history(&t, second_id).await[0]["reason"],
        "automatic: the client's agent in the last 30 days (relationship)"
    );
    // Her agent goes to lunch: the rules pick the other one.
    t.post(&format!("/api/v1/tickets/{second_id}/close"), json!({})).await;
    let hers = if got == a.id { &a } else { &b };
    set_status(&t, hers, "Lunch").await;
    let (_, third) = t.inbound(acc, "r3", "ana", "¿hay alguien?").await;
    settle(&t).await;
    let other = if got == a.id { b.id } else { a.id };
    assert_eq!(ticket(&t, third["ticket_id"].as_i64().unwrap()).await["assignee_id"], other);
}

#[tokio::test]
async fn three_agents_switching_statuses_manual_mode_and_deactivation() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let a = agent(&t, "a@acme.test").await;
    let b = agent(&t, "b@acme.test").await;
    let c = agent(&t, "c@acme.test").await;
    set_mode(&t, acc, &a, "auto").await;
    set_mode(&t, acc, &b, "auto").await;
    set_mode(&t, acc, &c, "manual").await;
    let modes = t.get_json(&format!("/api/v1/accounts/{acc}/agents")).await;
    assert_eq!(modes["items"].as_array().unwrap().len(), 3);
    // Everyone Offline: the ticket waits.
    let (_, t1) = t.inbound(acc, "s1", "ana", "hola").await;
    let t1 = t1["ticket_id"].as_i64().unwrap();
    settle(&t).await;
    assert!(ticket(&t, t1).await["assignee_id"].is_null());
    // C (manual) connects: manual agents never get tickets automatically.
    set_status(&t, &c, "Available").await;
    settle(&t).await;
    assert!(ticket(&t, t1).await["assignee_id"].is_null());
    // B connects: the queued ticket goes to B at once.
    set_status(&t, &b, "Available").await;
    settle(&t).await;
    assert_eq!(ticket(&t, t1).await["assignee_id"], b.id);
    // A connects; B goes on a break: new tickets go to A.
    set_status(&t, &a, "Available").await;
    set_status(&t, &b, "Break").await;
    let (_, t2) = t.inbound(acc, "s2", "beto", "hola").await;
    settle(&t).await;
    let t2 = t2["ticket_id"].as_i64().unwrap();
    assert_eq!(ticket(&t, t2).await["assignee_id"], a.id);
    // A disabled agent's answer leaves a ticket unassigned; a manual agent's answer takes it.
    set_status(&t, &a, "Lunch").await;
    let (_, t3) = t.inbound(acc, "s3", "carla", "hola").await;
    let t3 = t3["ticket_id"].as_i64().unwrap();
    settle(&t).await;
    assert!(ticket(&t, t3).await["assignee_id"].is_null());
    let d = agent(&t, "d@acme.test").await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{t3}/messages"),
            &d.token,
            Some(json!({"text": "hola"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert!(ticket(&t, t3).await["assignee_id"].is_null(), "D is disabled on this account");
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{t3}/messages"),
            &c.token,
            Some(json!({"text": "Hola Carla"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(ticket(&t, t3).await["assignee_id"], c.id);
    assert_eq!(history(&t, t3).await.last().unwrap()["reason"], "took it by answering");
    // A is deactivated: their recent tickets go back to the rules (B is back).
    set_status(&t, &b, "Available").await;
    let r = patch_user(&t, a.id, json!({"active": false})).await;
    assert_eq!(r.status(), 200);
    settle(&t).await;
    assert_eq!(ticket(&t, t2).await["assignee_id"], b.id);
    let h = history(&t, t2).await;
    let reasons: Vec<&str> = h.iter().map(|x| x["reason"].as_str().unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "automatic: arrival order (longest without a new ticket)",
            "released: the assignee was deactivated",
            "automatic: arrival order (longest without a new ticket)"
        ]
    );
    // A can no longer use the API.
    let r = t.call(Method::GET, "/api/v1/me", &a.token, None).await;
    assert_eq!(r.status(), 401);
    // Time per status is recorded: B spent some time on a break.
    let times = t.get_json(&format!("/api/v1/users/{}/status-times", b.id)).await;
    let names: Vec<&str> =
        times["items"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Break") && names.contains(&"Available"), "{times}");
    // Agents cannot read another agent's times, nor change modes.
    let r = t.call(Method::GET, &format!("/api/v1/users/{}/status-times", b.id), &c.token, None).await;
    assert_eq!(r.status(), 403);
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{acc}/agents/{}", c.id),
            &c.token,
            Some(json!({"mode": "auto"})),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = t.call(Method::GET, "/api/v1/assignment/queue", &c.token, None).await;
    assert_eq!(r.status(), 403);
}
