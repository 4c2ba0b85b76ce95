//! Roles on every endpoint and isolation between organizations.
use atiende_testkit::spawn_app;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn another_organization_gets_404_for_everything_of_the_first() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let tid = a["ticket_id"].as_i64().unwrap();
    let ticket = t.get_json(&format!("/api/v1/tickets/{tid}")).await;
    let cid = ticket["client_id"].as_i64().unwrap();
    let me = t.get_json("/api/v1/me").await;
    let other = t.user("Globex", "boss@globex.test", &["admin"]).await;
    let gets = [
        format!("/api/v1/tickets/{tid}"),
        format!("/api/v1/tickets/{tid}/messages"),
        format!("/api/v1/tickets/{tid}/assignments"),
        format!("/api/v1/accounts/{acc}"),
        format!("/api/v1/clients/{cid}"),
        format!("/api/v1/users/{}", me["id"]),
    ];
    for p in &gets {
        let r = t.call(Method::GET, p, &other, None).await;
        assert_eq!(r.status(), 404, "GET {p}");
    }
    let posts = [
        (format!("/api/v1/tickets/{tid}/close"), json!({})),
        (format!("/api/v1/tickets/{tid}/messages"), json!({"text": "hack"})),
        (format!("/api/v1/tickets/{tid}/assign"), json!({"user_id": null})),
        (
            format!("/api/v1/accounts/{acc}/inbound"),
            json!({"external_id": "x", "client": {"external_id": "y"}, "text": "z"}),
        ),
    ];
    for (p, b) in &posts {
        let r = t.call(Method::POST, p, &other, Some(b.clone())).await;
        assert_eq!(r.status(), 404, "POST {p}");
    }
    let r = t
        .call(Method::PATCH, &format!("/api/v1/accounts/{acc}"), &other, Some(json!({"name": "mine"})))
        .await;
    assert_eq!(r.status(), 404);
    let r = t
        .call(Method::PATCH, &format!("/api/v1/users/{}", me["id"]), &other, Some(json!({"active": false})))
        .await;
    assert_eq!(r.status(), 404);
    for p in ["/api/v1/tickets", "/api/v1/accounts"] {
        let body: Value = t.call(Method::GET, p, &other, None).await.json().await.unwrap();
        assert!(body["items"].as_array().unwrap().is_empty(), "{p}");
    }
    // And nothing changed for the first organization.
    let after = t.get_json(&format!("/api/v1/tickets/{tid}")).await;
    assert_eq!(after["state"], "open");
    assert_eq!(
        t.get_json(&format!("/api/v1/tickets/{tid}/messages")).await["items"].as_array().unwrap().len(),
        1
    );
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{acc}")).await["name"], "Integration");
}

#[tokio::test]
async fn roles_are_enforced_on_every_endpoint() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let tid = a["ticket_id"].as_i64().unwrap();
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let analyst = t.user("Acme", "analyst@acme.test", &["analyst"]).await;
    // Admin only.
    for token in [&agent, &analyst] {
        let r =
            t.call(Method::POST, "/api/v1/accounts", token, Some(json!({"kind": "api", "name": "x"}))).await;
        assert_eq!(r.status(), 403);
        let r = t
            .call(
                Method::POST,
                "/api/v1/users",
                token,
                Some(json!({"email": "z@acme.test", "roles": ["admin"]})),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = t
            .call(Method::PATCH, &format!("/api/v1/accounts/{acc}"), token, Some(json!({"name": "x"})))
            .await;
        assert_eq!(r.status(), 403);
        let r = t
            .call(
                Method::POST,
                "/api/v1/connection-statuses",
                token,
                Some(json!({"name": "Meeting", "assignable": false})),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/accounts/{acc}/inbound"),
                token,
                Some(json!({"external_id": "q", "client": {"external_id": "c"}, "text": "x"})),
            )
            .await;
        assert_eq!(r.status(), 403);
    }
    // Analysts read but never act on tickets.
    let r = t.call(Method::GET, &format!("/api/v1/tickets/{tid}"), &analyst, None).await;
    assert_eq!(r.status(), 200);
    for (p, b) in [
        (format!("/api/v1/tickets/{tid}/messages"), json!({"text": "hola"})),
        (format!("/api/v1/tickets/{tid}/close"), json!({})),
        (format!("/api/v1/tickets/{tid}/assign"), json!({"user_id": null})),
    ] {
        let r = t.call(Method::POST, &p, &analyst, Some(b)).await;
        assert_eq!(r.status(), 403, "{p}");
    }
    // Agents work tickets.
    let r = t
        .call(Method::POST, &format!("/api/v1/tickets/{tid}/messages"), &agent, Some(json!({"text": "hola"})))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        t.get_json(&format!("/api/v1/tickets/{tid}/messages")).await["items"].as_array().unwrap().len(),
        2
    );
    // No or bad credentials.
    let r = t.http.get(format!("{}/api/v1/tickets", t.url)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = t.call(Method::GET, "/api/v1/tickets", "atd_not_a_token", None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn deactivated_users_lose_access_and_the_first_user_stays() {
    let t = spawn_app().await;
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let agent_me: Value = t.call(Method::GET, "/api/v1/me", &agent, None).await.json().await.unwrap();
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let tid = a["ticket_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/tickets/{tid}/assign"), json!({"user_id": agent_me["id"]})).await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", agent_me["id"]),
            &t.token,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["active"], false);
    assert_eq!(t.call(Method::GET, "/api/v1/me", &agent, None).await.status(), 401);
    let ticket = t.get_json(&format!("/api/v1/tickets/{tid}")).await;
    assert_eq!(ticket["assignee_id"], Value::Null, "recent tickets are released");
    let h = t.get_json(&format!("/api/v1/tickets/{tid}/assignments")).await;
    // (Interleaved with "queued: …" entries as the assignment rules look at it.)
    let reasons: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .filter(|r| !r.starts_with("queued:"))
        .collect();
    assert_eq!(reasons, ["assigned by hand", "released: the assignee was deactivated"]);
    let me = t.get_json("/api/v1/me").await;
    let r = t
        .call(Method::PATCH, &format!("/api/v1/users/{}", me["id"]), &t.token, Some(json!({"active": false})))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "active");
    assert_eq!(t.get_json("/api/v1/me").await["active"], true);
}

#[tokio::test]
async fn agents_switch_their_own_status_but_not_others() {
    let t = spawn_app().await;
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let me: Value = t.call(Method::GET, "/api/v1/me", &agent, None).await.json().await.unwrap();
    let statuses = t.get_json("/api/v1/connection-statuses").await;
    let names: Vec<&str> =
        statuses["items"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Available", "Break", "Lunch", "Offline"]);
    let available = statuses["items"][0]["id"].clone();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", me["id"]),
            &agent,
            Some(json!({"connection_status_id": available})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["connection_status_id"], available);
    let admin = t.get_json("/api/v1/me").await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", admin["id"]),
            &agent,
            Some(json!({"connection_status_id": available})),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", me["id"]),
            &agent,
            Some(json!({"roles": ["admin"]})),
        )
        .await;
    assert_eq!(r.status(), 403, "no self-promotion");
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", me["id"]),
            &agent,
            Some(json!({"connection_status_id": 99999})),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = t.post("/api/v1/connection-statuses", json!({"name": "Meeting", "assignable": false})).await;
    assert_eq!(r.status(), 201);
    let r = t.post("/api/v1/connection-statuses", json!({"name": "Meeting", "assignable": true})).await;
    assert_eq!(r.status(), 409);
}
