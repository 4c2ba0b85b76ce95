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
