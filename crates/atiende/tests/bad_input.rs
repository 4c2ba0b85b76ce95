//! Bad input gets a clear 4xx naming the field, and stores nothing.
use atiende_testkit::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn counts(t: &TestApp) -> (i64, i64, i64) {
    let db = &t.app().db;
    let q = |sql: &'static str| async move { atiende_store::inspect::int(db, sql, &[]).await.unwrap() };
    (
        q("SELECT COUNT(*) FROM messages").await,
        q("SELECT COUNT(*) FROM tickets").await,
        q("SELECT COUNT(*) FROM clients").await,
    )
}

async fn raw(t: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = t
        .http
        .post(format!("{}{path}", t.url))
        .bearer_auth(&t.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bad_inbound_bodies_are_refused_and_store_nothing() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let path = format!("/api/v1/accounts/{acc}/inbound");
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"client": {"external_id": "c"}, "text": "x"}), 422, "external_id"),
        (json!({"external_id": "m", "text": "x"}), 422, "client"),
        (json!({"external_id": "m", "client": {}, "text": "x"}), 422, "client.external_id"),
        (json!({"external_id": "m", "client": {"external_id": "c"}}), 422, "text"),
        (json!({"external_id": 5, "client": {"external_id": "c"}, "text": "x"}), 422, "external_id"),
        (json!({"external_id": "m", "client": {"external_id": "c"}, "text": ["x"]}), 422, "text"),
        (json!({"external_id": "m", "client": "c", "text": "x"}), 422, "client"),
        (json!({"external_id": "  ", "client": {"external_id": "c"}, "text": "x"}), 422, "external_id"),
        (json!({"external_id": "m", "client": {"external_id": "c"}, "text": "   "}), 422, "text"),
        (json!({"external_id": "m", "client": {"external_id": "c"}, "text": "a\u{0}b"}), 422, "text"),
        (
            json!({"external_id": "m", "client": {"external_id": "c"}, "text": "x".repeat(100_001)}),
            422,
            "text",
        ),
    ];
    for (body, status, field) in cases {
        let r = t.post(&path, body.clone()).await;
        assert_eq!(r.status().as_u16(), status, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
        assert!(e["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // 10 MB of text: refused before parsing.
    let huge = format!(
        r#"{{"external_id":"m","client":{{"external_id":"c"}},"text":"{}"}}"#,
        "a".repeat(10 * 1024 * 1024)
    );
    let (s, e) = raw(&t, &path, "application/json", huge.into_bytes()).await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["error"]["code"], "too_large");
    // Invalid UTF-8, broken JSON, wrong content type.
    let (s, e) = raw(
        &t,
        &path,
        "application/json",
        b"{\"external_id\":\"m\",\"client\":{\"external_id\":\"c\"},\"text\":\"\xff\xfe\"}".to_vec(),
    )
    .await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_json")));
    let (s, _) = raw(&t, &path, "application/json", b"{\"external_id\":".to_vec()).await;
    assert_eq!(s, 400);
    let (s, _) = raw(&t, &path, "text/plain", b"hola".to_vec()).await;
    assert_eq!(s, 415);
    assert_eq!(counts(&t).await, (0, 0, 0), "nothing was stored");
}

#[tokio::test]
async fn bad_account_and_user_bodies_name_the_field() {
    let t = spawn_app().await;
    let cases = [
        (json!({"kind": "fax", "name": "x"}), "kind"),
        (json!({"kind": "twitter", "name": "x"}), "kind"),
        (json!({"kind": "whatsapp", "name": "x"}), "settings.phone_number_id"),
        (json!({"kind": "email", "name": "x"}), "settings.address"),
        (json!({"kind": "api", "name": ""}), "name"),
        (json!({"kind": "api", "name": "x", "settings": []}), "settings"),
        (json!({"kind": "api", "name": "x", "settings": {"webhook_url": "ftp://x"}}), "settings.webhook_url"),
        (
            json!({"kind": "api", "name": "x", "settings": {"webhook_url": "not a url"}}),
            "settings.webhook_url",
        ),
        (
            json!({"kind": "api", "name": "x", "settings": {"webhook_secret": "short"}}),
            "settings.webhook_secret",
        ),
    ];
    for (body, field) in cases {
        let r = t.post("/api/v1/accounts", body.clone()).await;
        assert_eq!(r.status(), 422, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], field, "{body}");
    }
    assert!(t.get_json("/api/v1/accounts").await["items"].as_array().unwrap().is_empty());
    let users = [
        (json!({"email": "nope", "roles": ["agent"]}), "email"),
        (json!({"email": "a@b.test", "roles": []}), "roles"),
        (json!({"email": "a@b.test", "roles": ["boss"]}), "roles"),
        (json!({"email": "a@b.test", "roles": ["agent"], "password": "short"}), "password"),
        (json!({"email": "a@b.test", "roles": ["agent"], "language": "fr"}), "language"),
    ];
    for (body, field) in users {
        let r = t.post("/api/v1/users", body.clone()).await;
        assert_eq!(r.status(), 422, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], field, "{body}");
    }
    let r = t.post("/api/v1/users", json!({"email": "admin@acme.test", "roles": ["agent"]})).await;
    assert_eq!(r.status(), 409, "an email once used cannot be given to another user");
    assert_eq!(t.get_json("/api/v1/users").await["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn secrets_are_write_only_and_sealed_at_rest() {
    let t = spawn_app().await;
    let secret = "super-secret-webhook-key-123";
    let r = t.post("/api/v1/accounts", json!({"kind": "api", "name": "X", "settings": {"webhook_url": "http://127.0.0.1:1/h", "webhook_secret": secret}})).await;
    let body: Value = r.json().await.unwrap();
    assert!(!body.to_string().contains(secret));
    assert_eq!(body["secrets_set"], json!(["webhook_secret"]));
    let id = body["id"].as_i64().unwrap();
    let shown = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert!(!shown.to_string().contains(secret));
    let db = &t.app().db;
    let raw = atiende_store::inspect::bytes(db, "SELECT secrets FROM accounts").await.unwrap().remove(0);
    assert!(!raw.windows(secret.len()).any(|w| w == secret.as_bytes()), "stored sealed");
    let settings = atiende_store::inspect::texts(db, "SELECT settings FROM accounts", &[])
        .await
        .unwrap()
        .remove(0)
        .unwrap_or_default();
    assert!(!settings.contains(secret));
    // PATCH merges: the secret survives a settings change that does not mention it.
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            &t.token,
            Some(json!({"settings": {"webhook_url": "http://127.0.0.1:2/h"}})),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["settings"]["webhook_url"], "http://127.0.0.1:2/h");
    assert_eq!(body["secrets_set"], json!(["webhook_secret"]));
}
