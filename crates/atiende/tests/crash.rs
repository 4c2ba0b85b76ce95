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

/// Meta's webhook: SIGKILL while WhatsApp messages pour in. Every body answered 200 was kept
/// (its job runs after the restart), and when Meta sends again everything it may not have seen
/// answered, each message is stored once.
#[tokio::test]
async fn kill_during_meta_webhooks_loses_and_doubles_nothing() {
    let bin = Path::new(env!("CARGO_BIN_EXE_atiende"));
    let db = TestDb::new().await;
    let token = cli_admin(bin, &db, "Acme", "admin@acme.test");
    // A job the killed node had claimed waits for its lease to end before another node takes
    // it: a short lease keeps the test short.
    let env = [
        ("ATIENDE_META_APP_SECRET", "crash-secret"),
        ("ATIENDE_SECRET_KEY", "5555555555555555555555555555555555555555555555555555555555555555"),
        ("ATIENDE_JOB_LEASE_SECS", "2"),
    ];
    let mut node = Node::start(bin, &db, &env).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v1/accounts", node.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "whatsapp", "name": "wa", "settings": {"phone_number_id": "106540352242922", "access_token": "EAAG-crash-test-token-000001"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body = |i: usize| {
        serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": format!("C{}", i % 40)}, "wa_id": format!("5691000{:04}", i % 40)}],
            "messages": [{"from": format!("5691000{:04}", i % 40), "id": format!("wamid.CRASH{i}"), "timestamp": "1750000000", "type": "text", "text": {"body": format!("m{i}")}}]}}]}]}))
        .unwrap()
    };
    let client = http.clone();
    let post = move |url: String, raw: Vec<u8>| {
        let http = client.clone();
        async move {
            let sig = atiende_testkit::graph::sign("crash-secret", &raw);
            http.post(url)
                .header("x-hub-signature-256", sig)
                .body(raw)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
    let mut senders = Vec::new();
    for s in 0..8 {
        let (url, acked, post) = (format!("{}/webhooks/meta", node.url), acked.clone(), post.clone());
        let bodies: Vec<(usize, Vec<u8>)> = (0..2000).filter(|i| i % 8 == s).map(|i| (i, body(i))).collect();
        senders.push(tokio::spawn(async move {
            for (i, raw) in bodies {
                if post(url.clone(), raw).await != 200 {
                    return;
                }
                acked.lock().unwrap().push(i);
            }
        }));
    }
    while acked.lock().unwrap().len() < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    node.kill();
    for s in senders {
        let _ = s.await;
    }
    let acked: Vec<usize> = acked.lock().unwrap().clone();
    let node = Node::start(bin, &db, &env).await;
    let store = atiende_store::Db::connect(&db.url, &Default::default()).await.unwrap();
    let count = |sql: &'static str| {
        let store = store.clone();
        async move { atiende_store::inspect::int(&store, sql, &[]).await.unwrap() }
    };
    // What was answered 200 comes out of its job once the node is back.
    for _ in 0..400 {
        if count("SELECT COUNT(*) FROM jobs WHERE kind = 'meta_webhook'").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let stored: HashSet<String> =
        atiende_store::inspect::texts(&store, "SELECT external_id FROM messages WHERE direction = 'in'", &[])
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
    for i in &acked {
        assert!(stored.contains(&format!("wamid.CRASH{i}")), "acknowledged webhook {i} was lost");
    }
    // Meta sends again every body it may not have seen answered (and some it did).
    let last = acked.iter().max().copied().unwrap_or(0);
    for i in (0..(last + 50).min(2000)).chain(acked.iter().take(30).copied()) {
        assert_eq!(post(format!("{}/webhooks/meta", node.url), body(i)).await, 200);
    }
    for _ in 0..400 {
        if count("SELECT COUNT(*) FROM jobs WHERE kind = 'meta_webhook'").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let total = count("SELECT COUNT(*) FROM messages WHERE direction = 'in'").await;
    let distinct = count("SELECT COUNT(DISTINCT external_id) FROM messages WHERE direction = 'in'").await;
    assert_eq!(total, distinct, "no message stored twice");
    assert_eq!(total as usize, (last + 50).min(2000), "every body sent is stored");
    let open_per_client = count("SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM tickets WHERE state <> 'closed' GROUP BY account_id, client_id) AS x").await;
    assert_eq!(open_per_client, 1);
    store.close().await;
}
