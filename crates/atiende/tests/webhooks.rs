//! Inbound webhooks through the one door `POST /webhooks/{kind}/{account}`: the `api`
//! channel's signed push. The signature (HMAC-SHA256 of the exact body under the
//! account's webhook secret, as a platform would compute it) is checked before anything
//! is read; refused calls store nothing.
use atiende_testkit::spawn_app;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "0123456789abcdef-secret";

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_signed_webhook_is_stored_once_and_a_forged_one_changes_nothing() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"webhook_secret": SECRET})).await;
    let url = format!("{}/webhooks/api/{acc}", t.url);
    let body = serde_json::to_vec(&json!({"external_id": "w1", "client": {"external_id": "c-7", "name": "Bea"}, "text": "hola por webhook"})).unwrap();
    let post = |body: Vec<u8>, sig: Option<String>| {
        let mut r = t.http.post(&url).header("content-type", "application/json").body(body);
        if let Some(s) = sig {
            r = r.header("X-Atiende-Signature", s);
        }
        r.send()
    };
    let count = || async {
        atiende_store::inspect::int(&t.app().db, "SELECT COUNT(*) FROM messages", &[]).await.unwrap()
    };
    // Refused: no signature, another secret's, a signature of another body.
    let r = post(body.clone(), None).await.unwrap();
    assert_eq!(r.status(), 401);
    let r = post(body.clone(), Some(sign("another-secret-of-16", &body))).await.unwrap();
    assert_eq!(r.status(), 401);
    let r = post(body.clone(), Some(sign(SECRET, b"{}"))).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(count().await, 0, "nothing stored");
    // Signed: stored, answered after commit; the same platform id again is not doubled.
    let r = post(body.clone(), Some(sign(SECRET, &body))).await.unwrap();
    assert_eq!(r.status(), 202);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["duplicate"], false);
    let ticket = a["ticket_id"].as_i64().unwrap();
    let m = t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await;
    assert_eq!(m["items"][0]["text"], "hola por webhook");
    let r = post(body.clone(), Some(sign(SECRET, &body))).await.unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["duplicate"], true);
    assert_eq!(count().await, 1);
    // A signed body that is not a message names its field; nothing is stored.
    let bad = br#"{"external_id": "w2", "client": {"external_id": ""}, "text": "x"}"#.to_vec();
    let r = post(bad.clone(), Some(sign(SECRET, &bad))).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "client.external_id");
    assert_eq!(count().await, 1);
    t.stop().await;
}

#[tokio::test]
async fn webhooks_need_an_account_of_that_kind_with_a_secret() {
    let t = spawn_app().await;
    let without = t.api_account(json!({})).await;
    let body = br#"{"external_id": "w1", "client": {"external_id": "c"}, "text": "x"}"#.to_vec();
    let call = |path: String, sig: String| {
        t.http.post(format!("{}{path}", t.url)).header("X-Atiende-Signature", sig).body(body.clone()).send()
    };
    // An account without a secret takes no webhooks, even "signed" with an empty key.
    assert_eq!(call(format!("/webhooks/api/{without}"), sign("", &body)).await.unwrap().status(), 401);
    // Unknown account, a kind that takes no webhooks, an email account under the api kind.
    assert_eq!(call("/webhooks/api/999999".into(), sign(SECRET, &body)).await.unwrap().status(), 404);
    assert_eq!(call(format!("/webhooks/email/{without}"), sign(SECRET, &body)).await.unwrap().status(), 404);
    assert_eq!(
        call(format!("/webhooks/whatsapp/{without}"), sign(SECRET, &body)).await.unwrap().status(),
        404
    );
    let mail = t
        .post("/api/v1/accounts", json!({"kind": "email", "name": "Mail", "settings": {"address": "s@acme.test", "connection": "forwarding"}}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(call(format!("/webhooks/api/{mail}"), sign(SECRET, &body)).await.unwrap().status(), 404);
    t.stop().await;
}
