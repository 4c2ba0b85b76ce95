//! Web sessions: password login, CSRF, logout, rate limiting; health, metrics, OpenAPI.
use atiende_testkit::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn session_cookie_works_with_csrf_and_logout_sets_offline() {
    let t = spawn_app().await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/auth/login", t.url))
        .json(&json!({"email": "ADMIN@acme.test", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http deployment: a Secure cookie would never come back");
    let session = cookie.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let me = http.get(format!("{}/api/v1/me", t.url)).header("cookie", &session).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // Unsafe request with the cookie but without the CSRF token: refused, nothing stored.
    let create = json!({"kind": "api", "name": "via web"});
    let r = http
        .post(format!("{}/api/v1/accounts", t.url))
        .header("cookie", &session)
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "csrf");
    let r = http
        .post(format!("{}/api/v1/accounts", t.url))
        .header("cookie", &session)
        .header("x-csrf-token", "wrong")
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(t.get_json("/api/v1/accounts").await["items"].as_array().unwrap().is_empty());
    let r = http
        .post(format!("{}/api/v1/accounts", t.url))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Logging out of the last session sets Offline and ends the session.
    let available = t.get_json("/api/v1/connection-statuses").await["items"][0]["id"].clone();
    let uid = t.get_json("/api/v1/me").await["id"].clone();
    t.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{uid}"),
        &t.token,
        Some(json!({"connection_status_id": available})),
    )
    .await;
    let r = http.post(format!("{}/auth/logout", t.url)).header("cookie", &session).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let me = t.get_json("/api/v1/me").await;
    let offline = t.get_json("/api/v1/connection-statuses").await["items"][3].clone();
    assert_eq!(offline["name"], "Offline");
    assert_eq!(me["connection_status_id"], offline["id"]);
    let r = http.get(format!("{}/api/v1/me", t.url)).header("cookie", &session).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn login_is_rate_limited() {
    let t = atiende_testkit::spawn_app_with(|c| c.app.login_max_failures = 3).await;
    let http = reqwest::Client::new();
    let login = |pw: &'static str| {
        let http = http.clone();
        let url = format!("{}/auth/login", t.url);
        async move {
            http.post(url)
                .json(&json!({"email": "admin@acme.test", "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for _ in 0..3 {
        assert_eq!(login("wrong password").await, 401);
    }
    assert_eq!(login("wrong password").await, 429);
    assert_eq!(login("correct horse battery").await, 429, "even the right password waits out the window");
}

#[tokio::test]
async fn health_metrics_and_openapi_are_served() {
    let t = spawn_app().await;
    let r = reqwest::get(format!("{}/healthz", t.url)).await.unwrap();
    assert_eq!(r.status(), 200);
    let acc = t.api_account(json!({})).await;
    t.inbound(acc, "m1", "ana", "hola").await;
    t.inbound(acc, "m1", "ana", "hola").await;
    let m = reqwest::get(format!("{}/metrics", t.url)).await.unwrap().text().await.unwrap();
    assert!(m.contains("atiende_ingest_messages_total{outcome=\"stored\"} 1"), "{m}");
    assert!(m.contains("atiende_ingest_messages_total{outcome=\"duplicate\"} 1"));
    assert!(m.contains("atiende_http_requests_total{class=\"2xx\"}"));
    let doc: Value =
        reqwest::get(format!("{}/api/v1/openapi.json", t.url)).await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/api/v1/tickets",
        "/api/v1/accounts/{id}/inbound",
        "/api/v1/tickets/{id}/messages",
        "/api/v1/users/{id}",
        "/api/v1/events",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
    assert!(doc["components"]["schemas"]["TicketView"]["properties"]["awaiting_answer"].is_object());
    let r = t.get("/api/v1/nothing-here").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "not_found");
}

#[tokio::test]
async fn session_cookie_is_secure_behind_https() {
    let t = atiende_testkit::spawn_app_with(|c| c.app.public_url = "https://help.example.com".into()).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/auth/login", t.url))
        .json(&json!({"email": "admin@acme.test", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["set-cookie"].to_str().unwrap().ends_with("; Secure"));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http
        .post(format!("{}/login", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=admin%40acme.test&password=correct+horse+battery")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the login form redirects to the board");
    assert!(r.headers()["set-cookie"].to_str().unwrap().ends_with("; Secure"));
    t.stop().await;
}
