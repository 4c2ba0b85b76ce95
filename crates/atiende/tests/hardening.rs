//! Hardening (issue 15): what a hostile or broken peer must not do to a node.
use atiende_testkit::{WebhookSink, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

/// A TCP server that accepts connections and never says a word (an SMTP host that never
/// greets). Keeps the sockets open until dropped.
struct Silent {
    port: u16,
    _stop: std::sync::mpsc::Sender<()>,
}

fn silent_server() -> Silent {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        loop {
            if let Ok((s, _)) = l.accept() {
                held.push(s);
            }
            if !matches!(rx.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    Silent { port, _stop: tx }
}

/// One silent SMTP server must not stall every job of the node: while the email reply to it
/// hangs, a webhook of another account queued after it is still delivered, and the email
/// attempt ends with a timeout below the job's lease and is tried again.
#[tokio::test]
async fn a_silent_smtp_server_does_not_stall_the_other_jobs() {
    let silent = silent_server();
    let sink = WebhookSink::start().await;
    let t = spawn_app_with(|c| {
        c.app.job_lease = Duration::from_secs(6);
        c.app.email.timeout = Duration::from_secs(60);
    })
    .await;
    let mail = t
        .post(
            "/api/v1/accounts",
            json!({"kind": "email", "name": "Mail", "settings": {"address": "s@acme.test", "connection": "forwarding",
                "sending": "smtp", "smtp": {"host": "127.0.0.1", "port": silent.port, "security": "none", "username": ""}}}),
        )
        .await;
    assert_eq!(mail.status(), 201, "{}", mail.text().await.unwrap());
    let mail = t.get_json("/api/v1/accounts").await["items"][0]["id"].as_i64().unwrap();
    let raw = b"From: ana@cliente.test\r\nSubject: hola\r\nMessage-ID: <s1@c>\r\n\r\nhola\r\n".to_vec();
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
    let r = t.post(&format!("/api/v1/tickets/{mail_ticket}/messages"), json!({"text": "respuesta"})).await;
    assert_eq!(r.status(), 201);
    // Let the runner claim the email delivery and hang on the silent server.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let api =
        t.api_account(json!({"webhook_url": sink.url(), "webhook_secret": "0123456789abcdef-secret"})).await;
    let (_, a) = t.inbound(api, "m1", "bea", "hola").await;
    let api_ticket = a["ticket_id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/tickets/{api_ticket}/messages"), json!({"text": "hola Bea"})).await;
    assert_eq!(r.status(), 201);
    t.eventually(5, || async { (!sink.received().is_empty()).then_some(()) }).await;
    // The hanging attempt is cut at the job's timeout (below the 6 s lease) and retried.
    let reason = t
        .eventually(15, || async {
            let m = t.get_json(&format!("/api/v1/tickets/{mail_ticket}/messages")).await;
            let last = m["items"].as_array().unwrap().last().cloned().unwrap();
            last["delivery_error"].as_str().filter(|e| e.contains("timed out")).map(str::to_string)
        })
        .await;
    assert!(reason.contains("attempt"), "{reason}");
    t.stop().await;
}

/// A NUL byte (U+0000) in a mail's text, HTML or Message-ID is dropped rather than losing the
/// mail: PostgreSQL refuses it in text columns, which answered 500 on the raw endpoint and kept
/// an IMAP reader failing on the same mail. Through the API it is refused, naming the field.
#[tokio::test]
async fn nul_bytes_in_mail_and_replies_do_not_lose_the_message() {
    let t = atiende_testkit::spawn_app().await;
    let r = t
        .post("/api/v1/accounts", json!({"kind": "email", "name": "Mail", "settings": {"address": "s@acme.test", "connection": "forwarding"}}))
        .await;
    assert_eq!(r.status(), 201);
    let mail = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let raw = b"From: ana@cliente.test\r\nSubject: nul\x00o\r\nMessage-ID: <nul\x00@c>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nho\x00la\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>ho\x00la</p>\r\n--b--\r\n".to_vec();
    let post = || {
        t.http
            .post(format!("{}/api/v1/accounts/{mail}/inbound/mime", t.url))
            .bearer_auth(&t.token)
            .body(raw.clone())
            .send()
    };
    let r = post().await.unwrap();
    assert_eq!(r.status(), 202);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["outcome"], "stored", "{a}");
    let ticket = a["ticket_id"].as_i64().unwrap();
    let m = t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await;
    assert_eq!(m["items"][0]["text"], "hola");
    // The same mail again is the same message (its id is the scrubbed one).
    assert_eq!(post().await.unwrap().json::<Value>().await.unwrap()["outcome"], "duplicate");
    let r = t
        .post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "res\u{0}puesta", "note": true}))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "text");
    let m = t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await;
    assert_eq!(m["items"].as_array().unwrap().len(), 1, "nothing stored");
    t.stop().await;
}

/// Outbound safety by default (SPEC §11.2): a webhook URL that is an internal address —
/// however written — or carries credentials is refused when saved; a name that resolves
/// inside fails its delivery for good without a connection; redirects are not followed and
/// a peer's body is never shown; a tenant's mail host inside is refused too.
#[tokio::test]
async fn outbound_connections_do_not_reach_internal_addresses_by_default() {
    let sink = WebhookSink::start().await;
    let t = spawn_app_with(|c| c.app.outbound = Default::default()).await;
    for url in [
        "http://127.0.0.1:9/x",
        "http://127.1/x",
        "http://2130706433/x",
        "http://0.0.0.0/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "https://user:pass@hooks.example.com/x",
    ] {
        let r = t
            .post("/api/v1/accounts", json!({"kind": "api", "name": "x", "settings": {"webhook_url": url}}))
            .await;
        assert_eq!(r.status(), 422, "{url}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "settings.webhook_url", "{url}");
    }
    // A name resolving to loopback is saved (names are judged when resolved) but never reached.
    let url = sink.url().replace("127.0.0.1", "localhost");
    let acc = t.api_account(json!({"webhook_url": url, "webhook_secret": "0123456789abcdef-secret"})).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let ticket = a["ticket_id"].as_i64().unwrap();
    assert_eq!(
        t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "hola"})).await.status(),
        201
    );
    let m = t
        .eventually(10, || async {
            let m = t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await;
            let last = m["items"].as_array().unwrap().last().cloned().unwrap();
            (last["delivery"] == "failed").then_some(last)
        })
        .await;
    assert!(m["delivery_error"].as_str().unwrap().contains("internal address"), "{m}");
    assert!(sink.received().is_empty(), "the internal peer was never contacted");
    // A tenant's SMTP host inside is refused by the connection test, without connecting.
    let r = t
        .post(
            "/api/v1/accounts",
            json!({"kind": "email", "name": "Mail", "settings": {"address": "s@acme.test", "connection": "forwarding",
                "sending": "smtp", "smtp": {"host": "localhost", "port": 25, "security": "none", "username": ""}}}),
        )
        .await;
    let mail = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/accounts/{mail}/test-connection"), json!({})).await;
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["smtp"]["ok"], false);
    assert!(j["smtp"]["message"].as_str().unwrap().contains("internal address"), "{j}");
    t.stop().await;
}

/// Redirects are not followed (they could lead anywhere, with our signature), and the body
/// of a refusing peer is not shown to agents: only its status.
#[tokio::test]
async fn webhook_redirects_are_not_followed_and_peer_bodies_not_echoed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = s.read(&mut buf).await;
                let body = "internal secret: db password is hunter2";
                let resp = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://169.254.169.254/latest\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    let t = atiende_testkit::spawn_app().await;
    let acc = t
        .api_account(json!({"webhook_url": format!("http://127.0.0.1:{port}/hook"), "webhook_secret": "0123456789abcdef-secret"}))
        .await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola").await;
    let ticket = a["ticket_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "hola"})).await;
    let m = t
        .eventually(10, || async {
            let m = t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await;
            let last = m["items"].as_array().unwrap().last().cloned().unwrap();
            (last["delivery"] == "failed").then_some(last)
        })
        .await;
    let reason = m["delivery_error"].as_str().unwrap();
    assert!(reason.contains("HTTP 307"), "{reason}");
    assert!(!reason.contains("hunter2"), "the peer's body is not shown: {reason}");
    t.stop().await;
}

/// The SQLite database holds every conversation: its files are the owner's alone.
#[tokio::test]
async fn the_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let t = atiende_testkit::spawn_app().await;
    if atiende_testkit::backend() == atiende_testkit::Backend::Sqlite {
        for name in ["atiende.db", "atiende.db-wal"] {
            let mode = std::fs::metadata(t.db.dir.join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}: {mode:o}");
        }
    }
    t.stop().await;
}

/// Names people read in lists refuse control and text-direction characters, naming the
/// field; nothing is created.
#[tokio::test]
async fn names_with_control_or_bidi_characters_are_refused() {
    let t = atiende_testkit::spawn_app().await;
    let rlo = "Soporte \u{202E}gpj.exe";
    let cases = [
        ("/api/v1/accounts", json!({"kind": "api", "name": rlo}), "name"),
        ("/api/v1/accounts", json!({"kind": "api", "name": "Ventas\nCentral"}), "name"),
        (
            "/api/v1/users",
            json!({"email": "z@acme.test", "roles": ["agent"], "first_name": "Ana\u{2066}"}),
            "first_name",
        ),
        ("/api/v1/connection-statuses", json!({"name": "Pausa\u{200F}", "assignable": false}), "name"),
        ("/api/v1/schedules", json!({"name": "Oficina\u{202D}", "time_zone": "UTC", "days": {}}), "name"),
        ("/api/v1/tokens", json!({"name": "ci\u{0007}"}), "name"),
    ];
    for (path, body, field) in cases {
        let r = t.post(path, body.clone()).await;
        assert_eq!(r.status(), 422, "{path} {body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], field, "{path}");
    }
    assert!(t.get_json("/api/v1/accounts").await["items"].as_array().unwrap().is_empty());
    t.stop().await;
}

/// A page or a drawing is refused as a file whatever type it is declared as: by its name
/// (`evil.html` sent as text/plain) and by its bytes (markup in `notes.txt`).
#[tokio::test]
async fn html_and_svg_files_are_refused_by_name_and_by_bytes() {
    let t = atiende_testkit::spawn_app().await;
    let r = t
        .post("/api/v1/accounts", json!({"kind": "email", "name": "Mail", "settings": {"address": "s@acme.test", "connection": "forwarding"}}))
        .await;
    let mail = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r: Value = t
        .http
        .post(format!("{}/api/v1/accounts/{mail}/inbound/mime", t.url))
        .bearer_auth(&t.token)
        .body(b"From: ana@cliente.test\r\nSubject: f\r\nMessage-ID: <f@c>\r\n\r\nhola\r\n".to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = r["ticket_id"].as_i64().unwrap();
    let file = |name: &str, ct: &str, data: &[u8]| json!({"filename": name, "content_type": ct, "data": atiende_core::b64::encode(data)});
    for (f, field) in [
        (file("evil.html", "text/plain", b"hola"), "attachments[0].filename"),
        (file("logo.SVG", "image/png", b"\x89PNG\r\n\x1a\n....."), "attachments[0].filename"),
        (
            file("notes.txt", "text/plain", b"\xef\xbb\xbf  <html><script>alert(1)</script>"),
            "attachments[0].data",
        ),
        (
            file("drawing.txt", "text/plain", b"<?xml version=\"1.0\"?><svg onload=\"alert(1)\"/>"),
            "attachments[0].data",
        ),
    ] {
        let r = t
            .post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "x", "attachments": [f]}))
            .await;
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], field);
    }
    let ok = file("notas.txt", "text/plain", b"precio < 100 y > 50");
    let r = t
        .post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "x", "attachments": [ok]}))
        .await;
    assert_eq!(r.status(), 201, "ordinary text with angle brackets is fine");
    t.stop().await;
}

/// Login CSRF: another site's page cannot log a victim's browser into the attacker's account
/// (nor out of their own). Cross-site requests — said by `Sec-Fetch-Site`, or an `Origin`
/// of another host — are refused at `/auth/login`, `/login` and `/auth/logout` with no cookie
/// set; same-origin ones and scripts without those headers pass.
#[tokio::test]
async fn cross_site_logins_and_logouts_are_refused() {
    let t = atiende_testkit::spawn_app().await;
    let http = reqwest::Client::new();
    let creds = json!({"email": "admin@acme.test", "password": "correct horse battery"});
    let form = "email=admin%40acme.test&password=correct+horse+battery";
    let login_json = |h: (&'static str, &'static str)| {
        http.post(format!("{}/auth/login", t.url)).header(h.0, h.1).json(&creds).send()
    };
    for h in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "http://evil.example"),
        ("origin", "null"),
    ] {
        let r = login_json(h).await.unwrap();
        assert_eq!(r.status(), 403, "{h:?}");
        assert!(r.headers().get("set-cookie").is_none(), "{h:?}");
    }
    let r = http
        .post(format!("{}/login", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    // Same origin (the browser on our page) and plain scripts log in.
    let own = format!("http://{}", t.url.trim_start_matches("http://"));
    let r =
        http.post(format!("{}/auth/login", t.url)).header("origin", &own).json(&creds).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = login_json(("sec-fetch-site", "same-origin")).await.unwrap();
    assert_eq!(r.status(), 200);
    let session = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    // A cross-site logout leaves the session alive.
    let r = http
        .post(format!("{}/auth/logout", t.url))
        .header("cookie", &session)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let me = http.get(format!("{}/api/v1/me", t.url)).header("cookie", &session).send().await.unwrap();
    assert_eq!(me.status(), 200, "still logged in");
    t.stop().await;
}

/// Password lifecycle: using one reset link ends the other outstanding ones; changing the
/// password on the profile ends the user's other sessions (and links) but keeps this one.
#[tokio::test]
async fn a_password_change_ends_other_sessions_and_reset_links() {
    let t = atiende_testkit::spawn_app().await;
    let app = t.app();
    let admin = atiende_store::users::with_email(&app.db, "admin@acme.test").await.unwrap().remove(0);
    let now = app.now();
    for token in ["link-one-0123456789", "link-two-0123456789"] {
        atiende_store::users::create_reset(
            &app.db,
            &atiende_app::auth::secret_hash(token),
            admin.id,
            now,
            now + 3_600_000_000,
        )
        .await
        .unwrap();
    }
    atiende_app::auth::reset_password(app, "link-one-0123456789", "first new password").await.unwrap();
    let e = atiende_app::auth::reset_password(app, "link-two-0123456789", "second new password")
        .await
        .unwrap_err();
    assert!(matches!(e, atiende_app::AppError::Invalid(ref v) if v.field == "token"), "{e:?}");
    // Two browsers logged in; the password is changed in one of them.
    let http = reqwest::Client::new();
    let login = || async {
        let r = http
            .post(format!("{}/auth/login", t.url))
            .json(&json!({"email": "admin@acme.test", "password": "first new password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        (cookie, csrf)
    };
    let (here, csrf) = login().await;
    let (other, _) = login().await;
    let body = format!(
        "_csrf={csrf}&first_name=Ana&language=es&current_password=first+new+password&new_password=a+third+password"
    );
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/profile", t.url))
        .header("cookie", &here)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
    let me = |cookie: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/me", t.url);
        async move { http.get(url).header("cookie", cookie).send().await.unwrap().status() }
    };
    assert_eq!(me(here).await, 200, "the session that changed it stays");
    assert_eq!(me(other).await, 401, "the other session ended");
    t.stop().await;
}

/// Every page carries the security headers: a Content-Security-Policy that runs only our
/// own script (no inline script or handler attribute) and lets no one frame it, `nosniff`,
/// a same-origin referrer. No template carries an inline handler.
#[tokio::test]
async fn pages_carry_a_content_security_policy_without_inline_scripts() {
    let t = atiende_testkit::spawn_app().await;
    let r = t.http.get(format!("{}/login", t.url)).send().await.unwrap();
    let h = r.headers().clone();
    let csp = h.get("content-security-policy").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script>") && !body.contains(" onclick="), "inline script on the login page");
    let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/../atiende-web/templates");
    let mut stack = vec![std::path::PathBuf::from(templates)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for handler in
                [" onclick=", " onload=", " onchange=", " onsubmit=", " oninput=", "<script>", "javascript:"]
            {
                assert!(!text.contains(handler), "{} has {handler}", p.display());
            }
        }
    }
    t.stop().await;
}

/// Behind the documented reverse proxy every client used to share the proxy's bucket: ten bad
/// logins with made-up emails locked everyone out. With the proxy trusted, the client is the
/// address it forwards; failures count per (address, email); an address's failures alone never
/// refuse the right password; failures on one account still stop guessing at it.
#[tokio::test]
async fn the_login_limit_counts_per_client_behind_a_trusted_proxy() {
    let t = spawn_app_with(|c| {
        c.app.login_max_failures = 3;
        c.app.trusted_proxies = atiende_channels::outbound::Policy::parse("127.0.0.1,::1").unwrap();
    })
    .await;
    let http = reqwest::Client::new();
    let login = |client: &'static str, email: String, pw: &'static str| {
        let http = http.clone();
        let url = format!("{}/auth/login", t.url);
        async move {
            http.post(url)
                .header("x-forwarded-for", format!("198.51.100.77, {client}"))
                .json(&json!({"email": email, "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // One client tries thirty made-up accounts: then its address is over its own (10×) limit
    // and wrong guesses from it answer 429.
    for i in 0..30 {
        assert_eq!(login("203.0.113.5", format!("nobody{i}@acme.test"), "guess").await, 401);
    }
    assert_eq!(login("203.0.113.5", "nobody-more@acme.test".into(), "guess").await, 429);
    // Everyone else behind the same proxy still logs in, and so does that client with the
    // right password.
    assert_eq!(login("203.0.113.9", "admin@acme.test".into(), "correct horse battery").await, 200);
    assert_eq!(login("203.0.113.5", "admin@acme.test".into(), "correct horse battery").await, 200);
    // Guessing at one account from one client stops there, right password included.
    for _ in 0..3 {
        assert_eq!(login("203.0.113.6", "admin@acme.test".into(), "guess").await, 401);
    }
    assert_eq!(login("203.0.113.6", "admin@acme.test".into(), "correct horse battery").await, 429);
    assert_eq!(login("203.0.113.10", "admin@acme.test".into(), "correct horse battery").await, 200);
    t.stop().await;
}

/// A client that sends its whole oversized body before reading (Python's urllib, many
/// SDKs) reads the 413, rather than a broken pipe: the server reads what is sent (bounded)
/// and discards it, then answers and closes the connection.
#[tokio::test]
async fn an_oversized_body_is_answered_413_after_the_client_has_sent_it() {
    let t = atiende_testkit::spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let addr = t.url.trim_start_matches("http://").to_string();
    let token = t.token.clone();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let body = format!(r#"{{"external_id":"m","client":{{"external_id":"c"}},"text":"{}"}}"#, "a".repeat(10 << 20));
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let head = format!(
            "POST /api/v1/accounts/{acc}/inbound HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body.as_bytes()).map_err(|e| format!("sending the body: {e}"))?;
        let mut out = String::new();
        s.read_to_string(&mut out).map_err(|e| format!("reading the answer: {e}"))?;
        Ok::<String, String>(out)
    })
    .await
    .unwrap()
    .expect("the client sends its body and reads the answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", answer.lines().next().unwrap_or(""));
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    assert!(answer.contains("too_large"));
    t.stop().await;
}

/// An address is unique per organization: an admin creating a user with an address used in
/// another organization gets 201 like any other (it used to answer 409 "already used",
/// telling them the address exists elsewhere). The person logs in to the organization whose
/// password they type; with the same password in two, the login asks which.
#[tokio::test]
async fn an_address_used_in_another_organization_is_not_revealed_and_logs_in_per_organization() {
    let t = atiende_testkit::spawn_app().await;
    let globex = t.user("Globex", "boss@globex.test", &["admin"]).await;
    t.user("Globex", "lucia@mail.test", &["agent"]).await; // password "correct horse battery"
    // Acme's admin creates the same address: no sign that it exists elsewhere.
    let r = t
        .post(
            "/api/v1/users",
            json!({"email": "lucia@mail.test", "password": "otra clave segura 1", "roles": ["agent"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = t.post("/api/v1/users", json!({"email": "lucia@mail.test", "roles": ["agent"]})).await;
    assert_eq!(r.status(), 409, "twice in the same organization is a conflict");
    let login = |password: &'static str, org: Option<&'static str>| {
        let http = t.http.clone();
        let url = t.url.clone();
        async move {
            let mut body = json!({"email": "lucia@mail.test", "password": password});
            if let Some(o) = org {
                body["organization"] = json!(o);
            }
            let r = http.post(format!("{url}/auth/login")).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = login("otra clave segura 1", None).await;
    assert_eq!(s, 200, "{b}");
    let acme_user = b["user"]["id"].clone();
    let (s, b) = login("correct horse battery", None).await;
    assert_eq!(s, 200, "{b}");
    assert_ne!(b["user"]["id"], acme_user, "the Globex user");
    // Globex's admin sees only Globex's Lucía.
    let users =
        t.call(reqwest::Method::GET, "/api/v1/users", &globex, None).await.json::<Value>().await.unwrap();
    assert_eq!(
        users["items"].as_array().unwrap().iter().filter(|u| u["email"] == "lucia@mail.test").count(),
        1
    );
    // The same password in two: the login names the organizations and takes a choice.
    t.user("Initech", "lucia@mail.test", &["agent"]).await;
    let (s, b) = login("correct horse battery", None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("choose_organization")), "{b}");
    let named = b["error"]["message"].as_str().unwrap();
    assert!(named.contains("Globex") && named.contains("Initech") && !named.contains("Acme"), "{named}");
    let (s, b) = login("correct horse battery", Some("Initech")).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = login("otra clave segura 1", Some("Acme")).await;
    assert_eq!((s, &b["user"]["id"]), (200, &acme_user));
    let (s, _) = login("wrong password", Some("Acme")).await;
    assert_eq!(s, 401);
    // The login page asks the same way, with the organizations to choose from.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = |extra: &str| {
        let body = format!("email=lucia%40mail.test&password=correct+horse+battery{extra}");
        browser
            .post(format!("{}/login", t.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = form("").await.unwrap();
    assert_eq!(r.status(), 409);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<select id=\"organization\"") && page.contains("<option>Initech</option>"),
        "{page}"
    );
    let r = form("&organization=Initech").await.unwrap();
    assert!(r.status().is_redirection() && r.headers().contains_key("set-cookie"), "{}", r.status());
    t.stop().await;
}
