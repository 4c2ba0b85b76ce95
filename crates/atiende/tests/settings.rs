//! Account settings common to every kind: the SLA is checked, named on error, and stored.
use atiende_testkit::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn sla_is_validated_and_stored() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"sla": {"amount": 15, "unit": "minutes"}})).await;
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"]["sla"], json!({"amount": 15, "unit": "minutes"}));
    for (sla, field) in [
        (json!({"amount": 0, "unit": "minutes"}), "settings.sla.amount"),
        (json!({"amount": 5, "unit": "days"}), "settings.sla.unit"),
        (json!({"amount": 721, "unit": "hours"}), "settings.sla.amount"),
        (json!("fast"), "settings.sla"),
    ] {
        let r = t.call(Method::PATCH, &format!("/api/v1/accounts/{acc}"), &t.token, Some(json!({"settings": {"sla": sla}}))).await;
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], json!(field));
    }
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"]["sla"]["amount"], json!(15), "nothing changed");
    let r = t.post("/api/v1/accounts", json!({"kind": "api", "name": "x", "settings": {"sla": {"amount": 1}}})).await;
    assert_eq!(r.status(), 422);
    t.stop().await;
}

#[tokio::test]
async fn important_keywords_mark_tickets_important() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"general": {"important_keywords": ["urgente", "no funciona", "refund"]}})).await;
    let important = |ticket: i64| {
        let t = &t;
        async move { t.get_json(&format!("/api/v1/tickets/{ticket}")).await["important"].clone() }
    };
    let (_, a) = t.inbound(acc, "k1", "ana", "Hola, lo necesito urgentemente").await;
    let ta = a["ticket_id"].as_i64().unwrap();
    assert_eq!(important(ta).await, json!(false), "whole words only");
    let (_, a2) = t.inbound(acc, "k2", "ana", "Es URGÉNTE: el sitio\nno funciona").await;
    assert_eq!(a2["ticket_id"].as_i64().unwrap(), ta);
    assert_eq!(important(ta).await, json!(true), "a later message marks the open ticket");
    let (_, b) = t.inbound(acc, "k3", "bob", "I want a refund!").await;
    assert_eq!(important(b["ticket_id"].as_i64().unwrap()).await, json!(true));
    let (_, c) = t.inbound(acc, "k4", "cata", "todo bien, gracias").await;
    assert_eq!(important(c["ticket_id"].as_i64().unwrap()).await, json!(false));
    // Bad lists are refused naming the entry.
    let r = t.call(Method::PATCH, &format!("/api/v1/accounts/{acc}"), &t.token, Some(json!({"settings": {"general": {"important_keywords": ["ok", 3]}}}))).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], json!("settings.general.important_keywords[1]"));
    t.stop().await;
}
