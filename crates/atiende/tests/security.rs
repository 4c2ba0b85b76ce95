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

/// Every operation of the OpenAPI document, called with no token, as admin, agent and analyst
/// of the organization and as another organization's admin: the answer must follow the
/// roles the document declares (`x-roles`) — 401 without credentials, 403 for a role not
/// listed, neither for a role listed, 404 for another organization's ids. An operation
/// without declared roles fails the test, so a new endpoint cannot ship unchecked.
#[tokio::test]
async fn roles_declared_in_the_openapi_document_are_enforced_on_every_operation() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let tid = a["ticket_id"].as_i64().unwrap();
    let cid = t.get_json(&format!("/api/v1/tickets/{tid}")).await["client_id"].as_i64().unwrap();
    let me = t.get_json("/api/v1/me").await["id"].as_i64().unwrap();
    let sid = t
        .post("/api/v1/schedules", json!({"name": "Oficina", "time_zone": "America/Santiago", "days": {"mon": [["09:00", "18:00"]]}}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // A file on an email message, for the attachment download.
    let mail = t
        .post("/api/v1/accounts", json!({"kind": "email", "name": "Mail", "settings": {"address": "s@acme.test", "connection": "forwarding"}}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let raw = "From: ana@cliente.test\r\nSubject: f\r\nMessage-ID: <att@c>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhola\r\n--b\r\nContent-Type: text/plain; name=a.txt\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\ndatos\r\n--b--\r\n";
    let r: Value = t
        .http
        .post(format!("{}/api/v1/accounts/{mail}/inbound/mime", t.url))
        .bearer_auth(&t.token)
        .body(raw)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail_ticket = r["ticket_id"].as_i64().unwrap();
    let att = t.get_json(&format!("/api/v1/tickets/{mail_ticket}/messages")).await["items"][0]["attachments"]
        [0]["id"]
        .as_i64()
        .unwrap();
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let agent_id = t.call(Method::GET, "/api/v1/me", &agent, None).await.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let analyst = t.user("Acme", "analyst@acme.test", &["analyst"]).await;
    let other = t.user("Globex", "boss@globex.test", &["admin"]).await;

    let doc = t.get_json("/api/v1/openapi.json").await;
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(roles) = op["x-roles"].as_array() else {
                failures.push(format!("{method} {path}: no roles declared (x-roles)"));
                continue;
            };
            let roles: Vec<&str> = roles.iter().filter_map(Value::as_str).collect();
            let id = if path.starts_with("/api/v1/accounts/") {
                acc
            } else if path.starts_with("/api/v1/tickets/") {
                tid
            } else if path.starts_with("/api/v1/clients/") {
                cid
            } else if path.starts_with("/api/v1/users/") {
                me
            } else if path.starts_with("/api/v1/schedules/") {
                sid
            } else {
                att
            };
            let url = path
                .replace("{id}", &id.to_string())
                .replace("{user_id}", &agent_id.to_string())
                .replace("{held_id}", "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // A valid body, so that what answers is the role check, not the body's.
            let body = (m != Method::GET).then(|| match (method.as_str(), path.as_str()) {
                ("post", "/api/v1/accounts") => json!({"kind": "api", "name": "Otra"}),
                ("put", "/api/v1/accounts/{id}/agents/{user_id}") => json!({"mode": "manual"}),
                ("post", "/api/v1/accounts/{id}/inbound") => {
                    json!({"external_id": format!("roles-{checked}"), "client": {"external_id": "bea"}, "text": "hola"})
                }
                ("post", "/api/v1/connection-statuses") => json!({"name": format!("Pausa {checked}"), "assignable": false}),
                ("post", "/api/v1/schedules") | ("put", "/api/v1/schedules/{id}") => {
                    json!({"name": "Oficina", "time_zone": "America/Santiago", "days": {"mon": [["09:00", "18:00"]]}})
                }
                ("post", "/api/v1/tickets/mass-close") => json!({"ids": [tid]}),
                ("post", "/api/v1/accounts/{id}/posts") => json!({"message": "hola"}),
                ("put", "/api/v1/messages/{id}/post-tickets") => json!({"enabled": false}),
                ("patch", "/api/v1/tickets/{id}") => json!({"important": true}),
                ("post", "/api/v1/tickets/{id}/assign") => json!({"user_id": null}),
                ("post", "/api/v1/tickets/{id}/messages") => json!({"text": "hola", "note": true}),
                ("post", "/api/v1/users") => json!({"email": format!("u{checked}@acme.test"), "roles": ["agent"]}),
                _ => json!({}),
            });
            let status = |r: reqwest::Response| r.status().as_u16();
            if !roles.is_empty() {
                let r = t
                    .http
                    .request(m.clone(), format!("{}{url}", t.url))
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                if status(r) != 401 {
                    failures.push(format!("{method} {path} without credentials: not 401"));
                }
            }
            // The document declares each path parameter, and every answer given below.
            for seg in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == seg && p["in"] == "path"));
                if !declared {
                    failures.push(format!("{method} {path}: path parameter {seg} not declared"));
                }
            }
            let documented = |got: u16| op["responses"].get(got.to_string()).is_some();
            for (role, token) in [("analyst", &analyst), ("agent", &agent), ("admin", &t.token)] {
                let got = status(t.call(m.clone(), &url, token, body.clone()).await);
                if !documented(got) {
                    failures.push(format!("{method} {path} as {role}: answered {got}, not in the document"));
                }
                let allowed = roles.is_empty() || roles.contains(&role);
                let ok = if allowed { got != 401 && got != 403 && got < 500 } else { got == 403 };
                if !ok {
                    failures.push(format!("{method} {path} as {role}: {got} (declared {roles:?})"));
                }
            }
            if path.contains("{id}") && !roles.is_empty() {
                let got = status(t.call(m.clone(), &url, &other, body.clone()).await);
                if got != 404 {
                    failures.push(format!("{method} {path} as another organization's admin: {got}, not 404"));
                }
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 39, "every operation of the document was called ({checked})");
    t.stop().await;
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

/// The roles are checked before the body is read: a caller without them gets 403 whatever
/// they send (not a 400/422 that would tell them about the body's shape). Acting on oneself
/// through an admin operation stays possible: `agents_switch_their_own_status_but_not_others`.
#[tokio::test]
async fn a_forbidden_caller_gets_403_before_the_body_is_looked_at() {
    let t = spawn_app().await;
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let analyst = t.user("Acme", "analyst@acme.test", &["analyst"]).await;
    let acc = t.api_account(json!({})).await;
    let (_, b) = t.inbound(acc, "m1", "ana", "hola").await;
    let ticket = b["ticket_id"].as_i64().unwrap();
    for (token, method, path, body) in [
        (&agent, "POST", "/api/v1/accounts".to_string(), "{not json"),
        (&agent, "PATCH", format!("/api/v1/accounts/{acc}"), r#"{"settings": 5}"#),
        (&analyst, "POST", format!("/api/v1/tickets/{ticket}/messages"), r#"{"text": 1}"#),
        (&agent, "POST", "/api/v1/schedules".to_string(), "\u{1}"),
    ] {
        let r = t
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", t.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{method} {path}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "forbidden");
    }
    t.stop().await;
}
