//! Outbound delivery of the `api` kind: signed webhooks through the durable outbox.
use atiende_testkit::{TestApp, WebhookSink, spawn_app};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "0123456789abcdef-secret";

async fn reply(t: &TestApp, sink: &WebhookSink) -> (i64, i64) {
    let acc = t.api_account(json!({"webhook_url": sink.url(), "webhook_secret": SECRET})).await;
    let (_, a) = t.inbound(acc, "m1", "ana-42", "hola").await;
    let tid = a["ticket_id"].as_i64().unwrap();
    let r = t
        .post(&format!("/api/v1/tickets/{tid}/messages"), json!({"text": "Hola Ana, ¿en qué te ayudo?"}))
        .await;
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["delivery"], "pending");
    (tid, m["id"].as_i64().unwrap())
}

async fn delivery(t: &TestApp, tid: i64, mid: i64) -> Value {
    let msgs = t.get_json(&format!("/api/v1/tickets/{tid}/messages")).await;
    msgs["items"].as_array().unwrap().iter().find(|m| m["id"] == mid).cloned().unwrap()
}

#[tokio::test]
async fn reply_is_delivered_signed_and_marked_sent() {
    let t = spawn_app().await;
    let sink = WebhookSink::start().await;
    let (tid, mid) = reply(&t, &sink).await;
    let m = t
        .eventually(10, || async {
            let m = delivery(&t, tid, mid).await;
            (m["delivery"] == "sent").then_some(m)
        })
        .await;
    assert!(m["sent_at"].is_string());
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let sig = r.headers["x-atiende-signature"].to_str().unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&r.body);
    assert_eq!(sig, format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
    assert_eq!(r.headers["x-atiende-delivery"].to_str().unwrap(), mid.to_string());
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["event"], "message.created");
    assert_eq!(body["message"]["text"], "Hola Ana, ¿en qué te ayudo?");
    assert_eq!(body["client"]["external_id"], "ana-42");
    assert_eq!(body["ticket"]["id"], tid);
}

#[tokio::test]
async fn receiver_down_is_retried_and_delivered_once_when_it_returns() {
    let t = spawn_app().await;
    let sink = WebhookSink::start().await;
    sink.answer(503);
    let (tid, mid) = reply(&t, &sink).await;
    // Several failed attempts are recorded while the message stays pending.
    let m = t
        .eventually(10, || async {
            let m = delivery(&t, tid, mid).await;
            m["delivery_error"].as_str().is_some_and(|e| e.starts_with("attempt 2")).then_some(m)
        })
        .await;
    assert_eq!(m["delivery"], "pending");
    assert!(m["delivery_error"].as_str().unwrap().contains("503"));
    // Then the receiver refuses connections altogether.
    sink.shut_down();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let sink = sink.restart().await;
    sink.answer(200);
    t.eventually(10, || async { (delivery(&t, tid, mid).await["delivery"] == "sent").then_some(()) }).await;
    // Give any stray retry a chance to show up: there must be none.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    t.drain_jobs().await;
    assert_eq!(sink.received().len(), 1, "delivered exactly once");
    let jobs: i64 = atiende_store::inspect::int(&t.app().db, "SELECT COUNT(*) FROM jobs", &[]).await.unwrap();
    assert_eq!(jobs, 0);
}

#[tokio::test]
async fn permanent_errors_and_exhausted_retries_mark_the_message_failed() {
    let t = atiende_testkit::spawn_app_with(|c| c.app.outbox_max_attempts = 3).await;
    let sink = WebhookSink::start().await;
    sink.answer(400);
    let (tid, mid) = reply(&t, &sink).await;
    let m = t
        .eventually(10, || async {
            let m = delivery(&t, tid, mid).await;
            (m["delivery"] == "failed").then_some(m)
        })
        .await;
    assert!(m["delivery_error"].as_str().unwrap().contains("HTTP 400"), "{m}");
    sink.answer(500);
    let r = t.post(&format!("/api/v1/tickets/{tid}/messages"), json!({"text": "¿sigues ahí?"})).await;
    let mid2 = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let m = t
        .eventually(10, || async {
            let m = delivery(&t, tid, mid2).await;
            (m["delivery"] == "failed").then_some(m)
        })
        .await;
    assert!(m["delivery_error"].as_str().unwrap().contains("HTTP 500"), "{m}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn account_without_webhook_url_fails_the_delivery_with_the_reason() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let tid = a["ticket_id"].as_i64().unwrap();
    let mid = t
        .post(&format!("/api/v1/tickets/{tid}/messages"), json!({"text": "hola"}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let m = t
        .eventually(10, || async {
            let m = delivery(&t, tid, mid).await;
            (m["delivery"] == "failed").then_some(m)
        })
        .await;
    assert_eq!(m["delivery_error"], "the account has no webhook_url");
}
