//! Account settings common to every kind: the SLA is checked, named on error, and stored.
use atiende_testkit::spawn_app;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn sla_is_validated_and_stored() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({"sla": {"amount": 15, "unit": "minutes"}})).await;
    assert_eq!(
        t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"]["sla"],
        json!({"amount": 15, "unit": "minutes"})
    );
    for (sla, field) in [
        (json!({"amount": 0, "unit": "minutes"}), "settings.sla.amount"),
        (json!({"amount": 5, "unit": "days"}), "settings.sla.unit"),
        (json!({"amount": 721, "unit": "hours"}), "settings.sla.amount"),
        (json!("fast"), "settings.sla"),
    ] {
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/accounts/{acc}"),
                &t.token,
                Some(json!({"settings": {"sla": sla}})),
            )
            .await;
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], json!(field));
    }
    assert_eq!(
        t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"]["sla"]["amount"],
        json!(15),
        "nothing changed"
    );
    let r = t
        .post("/api/v1/accounts", json!({"kind": "api", "name": "x", "settings": {"sla": {"amount": 1}}}))
        .await;
    assert_eq!(r.status(), 422);
    t.stop().await;
}

#[tokio::test]
async fn important_keywords_mark_tickets_important() {
    let t = spawn_app().await;
    let acc =
        t.api_account(json!({"general": {"important_keywords": ["urgente", "no funciona", "refund"]}})).await;
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
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{acc}"),
            &t.token,
            Some(json!({"settings": {"general": {"important_keywords": ["ok", 3]}}})),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        json!("settings.general.important_keywords[1]")
    );
    t.stop().await;
}

#[tokio::test]
async fn common_settings_are_checked_whole_and_bad_ones_change_nothing() {
    let t = spawn_app().await;
    let good = json!({
        "auto_actions": {"close_if_no_reply": {"enabled": true, "after_seconds": 86400},
            "new_client": {"enabled": true, "texts": ["Hola {client_name}", "Bienvenida a {company_name}"]}},
        "general": {"notifications": {"mode": "all", "emails": ["jefa@acme.test"]}, "create_ignored": false},
        "assignment": {"mode": "awaiting_answer", "prioritize_relationship": true}
    });
    let acc = t.api_account(good.clone()).await;
    let stored = t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"].clone();
    assert_eq!(stored["auto_actions"], good["auto_actions"]);
    for (patch, field) in [
        (
            json!({"auto_actions": {"new_client": {"texts": ["Hola {nombre}"]}}}),
            "settings.auto_actions.new_client.texts[0]",
        ),
        (
            json!({"auto_actions": {"close_if_no_reply": {"after_seconds": 30}}}),
            "settings.auto_actions.close_if_no_reply.after_seconds",
        ),
        (
            json!({"general": {"notifications": {"emails": ["not-an-email"]}}}),
            "settings.general.notifications.emails[0]",
        ),
        (json!({"assignment": {"mode": "random"}}), "settings.assignment.mode"),
    ] {
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/accounts/{acc}"),
                &t.token,
                Some(json!({"settings": patch})),
            )
            .await;
        assert_eq!(r.status(), 422, "{patch}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], json!(field));
    }
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{acc}")).await["settings"], stored, "nothing changed");
    // Agents cannot change settings.
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{acc}"),
            &agent,
            Some(json!({"settings": {"sla": null}})),
        )
        .await;
    assert_eq!(r.status(), 403);
    t.stop().await;
}
