//! Two `atiende serve` processes on one PostgreSQL database form one deployment.
//! This test always runs on PostgreSQL (the machine's), whatever the suite's backend.
use atiende_testkit::process::{cli_admin, Node};
use atiende_testkit::{Backend, EventStream, TestDb, WebhookSink};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

#[tokio::test]
async fn events_cross_nodes_and_each_outbound_message_is_delivered_once() {
    let bin = Path::new(env!("CARGO_BIN_EXE_atiende"));
    let db = TestDb::on(Backend::Postgres).await;
    let token = cli_admin(bin, &db, "Acme", "admin@acme.test");
    let key = "7".repeat(64);
    let env = [("ATIENDE_SECRET_KEY", key.as_str())];
    let a = Node::start(bin, &db, &[env[0], ("ATIENDE_NODE_ID", "node-a")]).await;
    let b = Node::start(bin, &db, &[env[0], ("ATIENDE_NODE_ID", "node-b")]).await;
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
