//! Two `atiende serve` processes on one PostgreSQL database form one deployment.
//! This test always runs on PostgreSQL (the machine's), whatever the suite's backend.
use atiende_testkit::process::{Node, cli_admin};
use atiende_testkit::{Backend, EventStream, TestDb, WebhookSink};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

/// Two nodes on a fresh PostgreSQL database with one admin: (the database, kept alive while the
/// nodes run; the admin's token; node A; node B).
async fn two_nodes() -> (TestDb, String, Node, Node) {
    two_nodes_with(&[]).await
}

async fn two_nodes_with(env: &[(&str, &str)]) -> (TestDb, String, Node, Node) {
    let bin = Path::new(env!("CARGO_BIN_EXE_atiende"));
    let db = TestDb::on(Backend::Postgres).await;
    let token = cli_admin(bin, &db, "Acme", "admin@acme.test");
    let key = "7".repeat(64);
    let node = |id: &'static str| {
        let mut all: Vec<(&str, &str)> = env.to_vec();
        all.extend([("ATIENDE_SECRET_KEY", key.as_str()), ("ATIENDE_NODE_ID", id)]);
        let db = &db;
        async move { Node::start(bin, db, &all).await }
    };
    let a = node("node-a").await;
    let b = node("node-b").await;
    (db, token, a, b)
}

#[tokio::test]
async fn events_cross_nodes_and_each_outbound_message_is_delivered_once() {
    let (_db, token, a, b) = two_nodes().await;
    let http = reqwest::Client::new();
    let sink = WebhookSink::start().await;
    let acc: Value = http
        .post(format!("{}/api/v1/accounts", a.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "api", "name": "shared", "settings": {"webhook_url": sink.url(), "webhook_secret": "0123456789abcdef-x"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A client of node B sees a message posted to node A.
    let mut on_b = EventStream::connect(&format!("{}/api/v1/events", b.url), &token, None).await;
    let r: Value = http
        .post(format!("{}/api/v1/accounts/{}/inbound", a.url, acc["id"]))
        .bearer_auth(&token)
        .json(&json!({"external_id": "x1", "client": {"external_id": "ana"}, "text": "hola desde A"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, ev) = on_b.next_of("message.created", 10).await.expect("event reached node B");
    assert_eq!(ev["payload"]["message"]["text"], "hola desde A");
    // Replies posted to either node: both nodes run the outbox; each is delivered once.
    let tid = r["ticket_id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for i in 0..40 {
        let node = if i % 2 == 0 { &a } else { &b };
        let m: Value = http
            .post(format!("{}/api/v1/tickets/{tid}/messages", node.url))
            .bearer_auth(&token)
            .json(&json!({"text": format!("respuesta {i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(m["id"].as_i64().unwrap().to_string());
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while sink.received().len() < ids.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for r in sink.received() {
        *per_id.entry(r.headers["x-atiende-delivery"].to_str().unwrap().to_string()).or_default() += 1;
    }
    for id in &ids {
        assert_eq!(per_id.get(id), Some(&1), "message {id} delivered exactly once");
    }
    assert_eq!(per_id.len(), ids.len());
    drop((a, b));
}

/// Many simultaneous tickets on two nodes: no agent goes beyond their cap, and the
/// rotation stays even once the caps are lifted.
#[tokio::test]
async fn two_nodes_never_assign_beyond_a_cap_nor_skew_the_rotation() {
    let (_db, token, a, b) = two_nodes().await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, url: String, body: Value| {
        let r = http.request(method, url).bearer_auth(&token).json(&body);
        async move {
            let r = r.send().await.unwrap();
            let s = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            assert!(s.is_success(), "{s}: {v}");
            v
        }
    };
    let acc = call(
        reqwest::Method::POST,
        format!("{}/api/v1/accounts", a.url),
        json!({"kind": "api", "name": "shared"}),
    )
    .await;
    let acc = acc["id"].as_i64().unwrap();
    let statuses =
        call(reqwest::Method::GET, format!("{}/api/v1/connection-statuses", a.url), Value::Null).await;
    let available = statuses["items"].as_array().unwrap().iter().find(|s| s["name"] == "Available").unwrap()
        ["id"]
        .clone();
    let mut agents = Vec::new();
    for i in 0..4 {
        let u = call(
            reqwest::Method::POST,
            format!("{}/api/v1/users", a.url),
            json!({"email": format!("agent{i}@acme.test"), "roles": ["agent"]}),
        )
        .await;
        let id = u["id"].as_i64().unwrap();
        call(
            reqwest::Method::PATCH,
            format!("{}/api/v1/users/{id}", b.url),
            json!({"connection_status_id": available, "max_open_tickets": 10}),
        )
        .await;
        call(
            reqwest::Method::PUT,
            format!("{}/api/v1/accounts/{acc}/agents/{id}", a.url),
            json!({"mode": "auto"}),
        )
        .await;
        agents.push(id);
    }
    // 200 clients write at once, half through each node.
    let flood = |round: &'static str| {
        let call = &call;
        let (a, b) = (&a.url, &b.url);
        async move {
            let sends = (0..200).map(|i| {
                let node = if i % 2 == 0 { a } else { b };
                call(
                    reqwest::Method::POST,
                    format!("{node}/api/v1/accounts/{acc}/inbound"),
                    json!({"external_id": format!("{round}{i}"), "client": {"external_id": format!("{round}c{i}")}, "text": "hola"}),
                )
            });
            futures_util::future::join_all(sends).await
        }
    };
    let first = flood("a").await;
    let counts = |url: String| {
        let call = &call;
        async move {
            let mut per: HashMap<i64, i64> = HashMap::new();
            let mut cursor = String::new();
            loop {
                let page = call(
                    reqwest::Method::GET,
                    format!("{url}/api/v1/tickets?limit=200&state=open{cursor}"),
                    Value::Null,
                )
                .await;
                for t in page["items"].as_array().unwrap() {
                    *per.entry(t["assignee_id"].as_i64().unwrap_or(0)).or_default() += 1;
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = format!("&cursor={c}"),
                    None => return per,
                }
            }
        }
    };
    let settled = |want_unassigned: i64| {
        let counts = &counts;
        let url = a.url.clone();
        async move {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let per = counts(url.clone()).await;
                if per.get(&0).copied().unwrap_or(0) == want_unassigned
                    || tokio::time::Instant::now() > deadline
                {
                    // Give any straggling drain a moment, then read once more.
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    return counts(url.clone()).await;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let per = settled(160).await;
    for id in &agents {
        assert_eq!(per.get(id), Some(&10), "every agent exactly at their cap: {per:?}");
    }
    assert_eq!(per.get(&0), Some(&160), "{per:?}");
    // The waiting tickets are closed, the caps lifted (through either node), and 200
    // more clients write at once: the rotation shares them evenly.
    for r in &first {
        let id = r["ticket_id"].as_i64().unwrap();
        let t = call(reqwest::Method::GET, format!("{}/api/v1/tickets/{id}", a.url), Value::Null).await;
        if t["assignee_id"].is_null() {
            call(reqwest::Method::POST, format!("{}/api/v1/tickets/{id}/close", b.url), json!({})).await;
        }
    }
    for (i, id) in agents.iter().enumerate() {
        let node = if i % 2 == 0 { &a.url } else { &b.url };
        call(reqwest::Method::PATCH, format!("{node}/api/v1/users/{id}"), json!({"max_open_tickets": null}))
            .await;
    }
    flood("b").await;
    let per = settled(0).await;
    let got: Vec<i64> = agents.iter().map(|id| per.get(id).copied().unwrap_or(0)).collect();
    assert_eq!(got.iter().sum::<i64>(), 240, "{per:?}");
    assert!(got.iter().max().unwrap() - got.iter().min().unwrap() <= 1, "even rotation: {got:?}");
    drop((a, b));
}

/// A chat visitor connected to node A and an agent answering on node B converse live: the
/// conversation's events cross nodes through PostgreSQL's NOTIFY.
#[tokio::test]
async fn a_chat_visitor_on_one_node_and_an_agent_on_the_other_converse_live() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
    let (_db, token, a, b) = two_nodes().await;
    let http = reqwest::Client::new();
    let acc: Value = http
        .post(format!("{}/api/v1/accounts", b.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "chat", "name": "Chat", "settings": {"domain": "shop.example"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat = acc["settings"]["token"].as_str().unwrap().to_string();
    let public = |node: &str, path: &str| format!("{node}/public/v1/chat/{chat}/{path}");
    let v: Value = http
        .post(public(&a.url, "visitors"))
        .header("origin", "https://shop.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let visitor = v["visitor_token"].as_str().unwrap().to_string();
    let r: Value = http
        .post(public(&a.url, "messages"))
        .header("origin", "https://shop.example")
        .bearer_auth(&visitor)
        .json(&json!({"client_message_id": "n-1", "text": "hola desde el sitio"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["id"].is_i64(), "{r}");
    let url = format!("{}?visitor_token={visitor}", public(&a.url, "ws").replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("origin", "https://shop.example".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    async fn next<
        S: futures_util::Stream<Item = Result<tungstenite::Message, tungstenite::Error>> + Unpin,
    >(
        ws: &mut S,
    ) -> Value {
        loop {
            let f =
                tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await.expect("in time");
            if let Some(Ok(tungstenite::Message::Text(t))) = f {
                return serde_json::from_str::<Value>(&t).unwrap();
            }
        }
    }
    assert_eq!(next(&mut ws).await["text"], "hola desde el sitio");
    let tickets: Value = http
        .get(format!("{}/api/v1/tickets", b.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tid = tickets["items"][0]["id"].as_i64().unwrap();
    let r = http
        .post(format!("{}/api/v1/tickets/{tid}/messages", b.url))
        .bearer_auth(&token)
        .json(&json!({"text": "respuesta desde B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let m = next(&mut ws).await;
    assert_eq!((m["author_kind"].as_str(), m["text"].as_str()), (Some("agent"), Some("respuesta desde B")));
    drop((a, b));
}

/// Meta's webhooks for one WhatsApp number reach both nodes (its retries land anywhere behind
/// a load balancer): every message is stored once, and each reply is sent once.
#[tokio::test]
async fn meta_webhooks_on_two_nodes_store_each_message_once() {
    let graph = atiende_testkit::graph::FakeGraph::start("EAAG-two-nodes-token-000001").await;
    let env =
        [("ATIENDE_META_APP_SECRET", "two-node-secret"), ("ATIENDE_META_GRAPH_URL", graph.url.as_str())];
    let (db, token, a, b) = two_nodes_with(&env).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v1/accounts", a.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "whatsapp", "name": "wa", "settings": {"phone_number_id": "106540352242922", "access_token": "EAAG-two-nodes-token-000001"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body = |i: usize| {
        serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": format!("C{}", i % 10)}, "wa_id": format!("5692000{:04}", i % 10)}],
            "messages": [{"from": format!("5692000{:04}", i % 10), "id": format!("wamid.TWO{i}"), "timestamp": "1750000000", "type": "text", "text": {"body": format!("m{i}")}}]}}]}]}))
        .unwrap()
    };
    let mut sends = Vec::new();
    for i in 0..200 {
        // Each body to both nodes at once.
        for node in [&a.url, &b.url] {
            let (http, url, raw) = (http.clone(), format!("{node}/webhooks/meta"), body(i));
            sends.push(tokio::spawn(async move {
                let sig = atiende_testkit::graph::sign("two-node-secret", &raw);
                http.post(url)
                    .header("x-hub-signature-256", sig)
                    .body(raw)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
    }
    for s in sends {
        assert_eq!(s.await.unwrap(), 200);
    }
    let store = atiende_store::Db::connect(&db.url, &Default::default()).await.unwrap();
    let count = |sql: &'static str| {
        let store = store.clone();
        async move { atiende_store::inspect::int(&store, sql, &[]).await.unwrap() }
    };
    for _ in 0..400 {
        if count("SELECT COUNT(*) FROM jobs WHERE kind = 'meta_webhook'").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count("SELECT COUNT(*) FROM messages WHERE direction = 'in'").await, 200, "each message once");
    assert_eq!(count("SELECT COUNT(*) FROM tickets").await, 10, "one ticket per client");
    // Replies through both nodes' outboxes: each sent once to the Graph API.
    let tickets = count("SELECT MIN(id) FROM tickets").await;
    for i in 0..20 {
        let node = if i % 2 == 0 { &a } else { &b };
        let r = http
            .post(format!("{}/api/v1/tickets/{tickets}/messages", node.url))
            .bearer_auth(&token)
            .json(&json!({"text": format!("respuesta {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    for _ in 0..400 {
        if graph.sent().len() >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let texts: Vec<String> =
        graph.sent().iter().map(|(_, b)| b["text"]["body"].as_str().unwrap_or("").to_string()).collect();
    let unique: std::collections::HashSet<&String> = texts.iter().collect();
    assert_eq!((texts.len(), unique.len()), (20, 20), "each reply sent once: {texts:?}");
    store.close().await;
    drop((a, b));
}
