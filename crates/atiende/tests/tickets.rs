//! The ticket rules of SPEC §3 and §5 through the API.
use atiende_testkit::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn first_message_creates_a_ticket_and_the_next_joins_it() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (s, a) = t.inbound(acc, "m1", "ana", "Hola, mi pedido no llegó").await;
    assert_eq!(s, 202, "{a}");
    let (_, b) = t.inbound(acc, "m2", "ana", "¿Alguna novedad?").await;
    assert_eq!(a["ticket_id"], b["ticket_id"]);
    let ticket = t.get_json(&format!("/api/v1/tickets/{}", a["ticket_id"])).await;
    assert_eq!(ticket["state"], "open");
    assert_eq!(ticket["number"], 1);
    assert_eq!(ticket["awaiting_answer"], true);
    assert_eq!(ticket["addressed"], false);
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", a["ticket_id"])).await;
    let texts: Vec<&str> =
        msgs["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Hola, mi pedido no llegó", "¿Alguna novedad?"]);
    assert!(
        msgs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["direction"] == "in" && m["author_kind"] == "client")
    );
    let client = t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await;
    assert_eq!(client["identities"], json!([{"kind": "api", "value": "ana"}]));
    // Another client gets their own ticket, numbered next.
    let (_, c) = t.inbound(acc, "m3", "beto", "Hola").await;
    assert_ne!(c["ticket_id"], a["ticket_id"]);
    assert_eq!(t.get_json(&format!("/api/v1/tickets/{}", c["ticket_id"])).await["number"], 2);
}

#[tokio::test]
async fn repeated_external_id_is_accepted_and_stored_once() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (s1, a) = t.inbound(acc, "dup-1", "ana", "uno").await;
    let (s2, b) = t.inbound(acc, "dup-1", "ana", "uno").await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(a["message_id"], b["message_id"]);
    assert_eq!(b["duplicate"], true);
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", a["ticket_id"])).await;
    assert_eq!(msgs["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn message_after_close_starts_a_new_ticket() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let r = t.post(&format!("/api/v1/tickets/{}/close", a["ticket_id"]), json!({})).await;
    assert_eq!(r.status(), 200);
    let closed: Value = r.json().await.unwrap();
    assert_eq!(closed["state"], "closed");
    assert!(closed["closed_at"].is_string());
    let (_, b) = t.inbound(acc, "m2", "ana", "otra consulta").await;
    assert_ne!(a["ticket_id"], b["ticket_id"]);
    assert_eq!(t.get_json(&format!("/api/v1/tickets/{}", a["ticket_id"])).await["state"], "closed");
    // Reopening the old one while the new one is open is refused.
    let r = t.post(&format!("/api/v1/tickets/{}/reopen", a["ticket_id"]), json!({})).await;
    assert_eq!(r.status(), 409);
    t.post(&format!("/api/v1/tickets/{}/close", b["ticket_id"]), json!({})).await;
    let r = t.post(&format!("/api/v1/tickets/{}/reopen", a["ticket_id"]), json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "open");
}

#[tokio::test]
async fn first_human_answer_addresses_once_and_updates_dates() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let id = a["ticket_id"].as_i64().unwrap();
    let before = t.get_json(&format!("/api/v1/tickets/{id}")).await;
    // An internal note changes neither `updated` nor `addressed`.
    let r =
        t.post(&format!("/api/v1/tickets/{id}/messages"), json!({"text": "cliente VIP", "note": true})).await;
    assert_eq!(r.status(), 201);
    let after_note = t.get_json(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(after_note["updated_at"], before["updated_at"]);
    assert_eq!(after_note["addressed"], false);
    let r = t.post(&format!("/api/v1/tickets/{id}/messages"), json!({"text": "Hola Ana, lo reviso"})).await;
    assert_eq!(r.status(), 201);
    let first = t.get_json(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(first["addressed"], true);
    assert_eq!(first["awaiting_answer"], false);
    assert!(first["updated_at"].as_str() > before["updated_at"].as_str());
    assert_eq!(first["created_at"], before["created_at"]);
    t.inbound(acc, "m2", "ana", "gracias").await;
    let waiting = t.get_json(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(waiting["awaiting_answer"], true);
    t.post(&format!("/api/v1/tickets/{id}/messages"), json!({"text": "De nada"})).await;
    let last = t.get_json(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(last["addressed_at"], first["addressed_at"], "addressed time is set once");
    let msgs = t.get_json(&format!("/api/v1/tickets/{id}/messages")).await;
    let kinds: Vec<&str> =
        msgs["items"].as_array().unwrap().iter().map(|m| m["author_kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["client", "note", "agent", "client", "agent"]);
    assert_eq!(msgs["items"][1]["delivery"], Value::Null, "notes are never delivered");
}

#[tokio::test]
async fn concurrent_messages_from_one_client_open_a_single_ticket() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let n = 64;
    let futs = (0..n).map(|i| {
        let t = &t;
        async move { t.inbound(acc, &format!("c-{i}"), "ana", &format!("mensaje {i}")).await }
    });
    let results = futures_util::future::join_all(futs).await;
    assert!(results.iter().all(|(s, _)| *s == 202));
    let ids: std::collections::HashSet<i64> =
        results.iter().map(|(_, b)| b["ticket_id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 1, "one open ticket per client per account");
    let list = t.get_json(&format!("/api/v1/tickets?account_id={acc}&state=open")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let id = ids.into_iter().next().unwrap();
    let msgs = t.get_json(&format!("/api/v1/tickets/{id}/messages?limit=500")).await;
    assert_eq!(msgs["items"].as_array().unwrap().len(), n);
}

#[tokio::test]
async fn ticket_list_filters_and_pages_with_a_cursor() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    for i in 0..7 {
        t.inbound(acc, &format!("m{i}"), &format!("client-{i}"), "hola").await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/tickets?limit=3".to_string();
    loop {
        let page = t.get_json(&path).await;
        for it in page["items"].as_array().unwrap() {
            seen.push(it["number"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1], "newest updated first, each once");
    let first = t.get_json("/api/v1/tickets?limit=1").await["items"][0]["id"].as_i64().unwrap();
    t.post(&format!("/api/v1/tickets/{first}/close"), json!({})).await;
    assert_eq!(t.get_json("/api/v1/tickets?state=closed").await["items"].as_array().unwrap().len(), 1);
    assert_eq!(t.get_json("/api/v1/tickets?state=open").await["items"].as_array().unwrap().len(), 6);
    assert_eq!(t.get_json("/api/v1/tickets?assignee_id=none").await["items"].as_array().unwrap().len(), 7);
    for bad in ["state=pending", "limit=0", "limit=1000", "cursor=zzz", "account_id=x", "important=maybe"] {
        let r = t.get(&format!("/api/v1/tickets?{bad}")).await;
        assert_eq!(r.status(), 422, "{bad}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], bad.split('=').next().unwrap(), "{bad}");
    }
}

#[tokio::test]
async fn assignment_changes_are_recorded_with_who_and_why() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let agent_token = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let agent =
        t.call(reqwest::Method::GET, "/api/v1/me", &agent_token, None).await.json::<Value>().await.unwrap();
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let id = a["ticket_id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/tickets/{id}/assign"), json!({"user_id": agent["id"]})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["assignee_id"], agent["id"]);
    let r = t.post(&format!("/api/v1/tickets/{id}/assign"), json!({"user_id": null})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["assignee_id"], Value::Null);
    // The assignment drain runs in the background and may add "why it waits" entries
    // (no user involved) at any moment: only the changes of assignee are looked at here.
    let changes = |h: Value| -> Vec<Value> {
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !(e["user_id"].is_null() && e["previous_user_id"].is_null()))
            .cloned()
            .collect()
    };
    let items = changes(t.get_json(&format!("/api/v1/tickets/{id}/assignments")).await);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["user_id"], agent["id"]);
    assert_eq!(items[0]["reason"], "assigned by hand");
    assert_eq!(items[1]["previous_user_id"], agent["id"]);
    assert_eq!(items[1]["reason"], "released by hand");
    // Bad assignee: unknown user, missing field.
    let r = t.post(&format!("/api/v1/tickets/{id}/assign"), json!({"user_id": 99999})).await;
    assert_eq!(r.status(), 422);
    let r = t.post(&format!("/api/v1/tickets/{id}/assign"), json!({})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(changes(t.get_json(&format!("/api/v1/tickets/{id}/assignments")).await).len(), 2);
}

#[tokio::test]
async fn create_ignored_option_starts_tickets_ignored() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"general": {"create_ignored": true}})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let (_, b) = t.inbound(acc, "m2", "ana", "sigo aquí").await;
    assert_eq!(a["ticket_id"], b["ticket_id"], "an ignored ticket still takes the client's messages");
    assert_eq!(t.get_json(&format!("/api/v1/tickets/{}", a["ticket_id"])).await["state"], "ignored");
}
