//! Crash safety: SIGKILL in the middle of a stream of inbound messages loses no
//! acknowledged message and stores none twice.
use atiende_testkit::TestDb;
use atiende_testkit::process::{Node, cli_admin};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn kill_during_inbound_stream_loses_and_doubles_nothing() {
    let bin = Path::new(env!("CARGO_BIN_EXE_atiende"));
    let db = TestDb::new().await;
    let token = cli_admin(bin, &db, "Acme", "admin@acme.test");
    let mut node = Node::start(bin, &db, &[]).await;
    let http = reqwest::Client::new();
    let acc: Value = http
        .post(format!("{}/api/v1/accounts", node.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "api", "name": "stream"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inbound = format!("{}/api/v1/accounts/{}/inbound", node.url, acc["id"]);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let attempted = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut senders = Vec::new();
    for s in 0..16 {
        let (http, inbound, token, acked, attempted) =
            (http.clone(), inbound.clone(), token.clone(), acked.clone(), attempted.clone());
        senders.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let id = format!("s{s}-m{i}");
                attempted.lock().unwrap().push(id.clone());
                let body = json!({"external_id": id, "client": {"external_id": format!("client-{}", i % 50)}, "text": format!("mensaje {i}")});
                match http.post(&inbound).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status() == 202 => acked.lock().unwrap().push(id),
                    _ => return,
                }
            }
        }));
    }
    // Let a stream build up, then kill the server mid-flight.
    while acked.lock().unwrap().len() < 1500 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    node.kill();
    for s in senders {
        let _ = s.await;
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    let attempted: Vec<String> = attempted.lock().unwrap().clone();
    assert!(acked.len() >= 1500);

    let node = Node::start(bin, &db, &[]).await;
    let url = format!("{}/api/v1/accounts/{}/inbound", node.url, acc["id"]);
    let store = atiende_store::Db::connect(&db.url, &Default::default()).await.unwrap();
    let stored: Vec<String> =
        atiende_store::inspect::texts(&store, "SELECT external_id FROM messages WHERE direction = 'in'", &[])
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no message stored twice");
    for id in &acked {
        assert!(unique.contains(id), "acknowledged message {id} was lost");
    }
    // Senders retry what was in flight: each lands exactly once.
    for id in attempted.iter().filter(|id| !unique.contains(id)) {
        let body = json!({"external_id": id, "client": {"external_id": "late"}, "text": "retry"});
        let r = http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 202);
    }
    for id in acked.iter().take(50) {
        let body = json!({"external_id": id, "client": {"external_id": "late"}, "text": "retry"});
        let r: Value =
            http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap().json().await.unwrap();
        assert_eq!(r["duplicate"], true);
    }
    let total =
        atiende_store::inspect::int(&store, "SELECT COUNT(*) FROM messages WHERE direction = 'in'", &[])
            .await
            .unwrap();
    let attempted_unique: HashSet<&String> = attempted.iter().collect();
    assert_eq!(total as usize, attempted_unique.len());
    let open_per_client = atiende_store::inspect::int(&store, "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM tickets WHERE state <> 'closed' GROUP BY account_id, client_id) AS x", &[]).await.unwrap();
    assert_eq!(open_per_client, 1, "one open ticket per client after the crash");
    store.close().await;
}
