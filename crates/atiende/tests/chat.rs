//! The web chat channel through its public client API (SPEC §11.2): accounts, visitors,
//! messages stored once, the origin check, and the visitor's live socket with resume.
use atiende_testkit::{TestApp, spawn_app};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

const SITE: &str = "https://shop.example";

async fn chat_account(t: &TestApp, settings: Value) -> (i64, String) {
    let r =
        t.post("/api/v1/accounts", json!({"kind": "chat", "name": "Chat web", "settings": settings})).await;
    let s = r.status();
    let b: Value = r.json().await.unwrap();
    assert_eq!(s, 201, "{b}");
    (b["id"].as_i64().unwrap(), b["settings"]["token"].as_str().unwrap().to_string())
}

async fn public(
    t: &TestApp,
    method: &str,
    path: &str,
    origin: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut r = t
        .http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}/public/v1/chat/{path}", t.url),
        )
        .header("origin", origin);
    if let Some(a) = auth {
        r = r.bearer_auth(a);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, r.json().await.unwrap_or(Value::Null), h)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(
    t: &TestApp,
    token: &str,
    visitor: &str,
    after: i64,
    origin: &str,
) -> Result<Socket, tungstenite::Error> {
    let url = format!(
        "{}/public/v1/chat/{token}/ws?visitor_token={visitor}&after={after}",
        t.url.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("origin", origin.parse().unwrap());
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

/// The next message pushed on the socket (skipping control frames).
async fn pushed(s: &mut Socket) -> Value {
    loop {
        let f = tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .expect("a frame in time")
            .unwrap()
            .unwrap();
        if let tungstenite::Message::Text(t) = f {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test]
async fn chat_accounts_check_their_settings() {
    let t = spawn_app().await;
    for (settings, field) in [
        (json!({}), "settings.domain"),
        (json!({"domain": "https://shop.example/tienda"}), "settings.domain"),
        (json!({"domain": "shop.example", "main_color": "rojo"}), "settings.main_color"),
        (
            json!({"domain": "shop.example", "long_button_text": "un texto de más de veinte letras"}),
            "settings.long_button_text",
        ),
        (json!({"domain": "shop.example", "ask_rut": "sí"}), "settings.ask_rut"),
        (json!({"domain": "shop.example", "token": "mine"}), "settings.token"),
        (json!({"domain": "shop.example", "notification_messages": 4}), "settings.notification_messages"),
        (json!({"domain": "shop.example", "open_on_load_delay": "5"}), "settings.open_on_load_delay"),
        (json!({"domain": "shop.example", "welcome_devices": ["tv"]}), "settings.welcome_devices"),
        (json!({"domain": "shop.example", "welcome_message": true}), "settings.welcome_text"),
        (json!({"domain": "shop.example", "contact_form": true}), "settings.contact_email"),
        (json!({"domain": "shop.example", "contact_email": "no es correo"}), "settings.contact_email"),
        // A plain address needs the deployment's default sender, which this node lacks.
        (
            json!({"domain": "shop.example", "contact_form": true, "contact_email": "ventas@acme.test"}),
            "settings.contact_email",
        ),
        (json!({"domain": "shop.example", "contact_account_id": 999_999}), "settings.contact_account_id"),
    ] {
        let r =
            t.post("/api/v1/accounts", json!({"kind": "chat", "name": "Chat", "settings": settings})).await;
        assert_eq!(r.status(), 422, "{settings}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], field, "{settings}");
    }
    let (id, token) = chat_account(&t, json!({"domain": "shop.example", "main_color": "#1a73e8"})).await;
    assert_eq!(token.len(), 32);
    let acc = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    let embed = acc["embed_code"].as_str().unwrap();
    assert!(
        embed.contains("/widget/atiende.js") && embed.contains(&format!("data-atiende-chat=\"{token}\"")),
        "{embed}"
    );
    // The widget script is served with a validator; an unchanged one answers 304.
    let r = t.http.get(format!("{}/widget/atiende.js", t.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(r.text().await.unwrap().contains("/public/v1/chat/"));
    let r = t
        .http
        .get(format!("{}/widget/atiende.js", t.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // The token stays when settings change, and cannot be changed.
    let r = t
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            &t.token,
            Some(json!({"settings": {"position_left": true}})),
        )
        .await;
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["settings"]["token"], token.as_str(), "{b}");
    // The options section of the settings screen: a bad colour is refused next to its
    // field with nothing stored; a good save keeps the token and sets the options.
    let (cookie, csrf) = t.session("admin@acme.test").await;
    let form = |body: String| {
        t.http
            .post(format!("{}/admin/accounts/{id}/settings/chat", t.url))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={csrf}&{body}"))
            .send()
    };
    let r = form("domain=shop.example&main_color=verde&ask_rut=on".into()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("data-field=\"main_color\""));
    let stored = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(stored["settings"]["ask_rut"], Value::Null, "nothing stored");
    let r = form("domain=shop.example&main_color=%230b6e4f&long_button_text=Ayuda&ask_rut=on".into())
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let stored = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(
        (stored["settings"]["ask_rut"].as_bool(), stored["settings"]["position_left"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(stored["settings"]["main_color"], "#0b6e4f");
    assert_eq!(stored["settings"]["token"], token.as_str());
    t.stop().await;
}

#[tokio::test]
async fn a_visitor_and_an_agent_converse_live_and_a_dropped_socket_resumes() {
    let t = spawn_app().await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example", "ask_rut": true})).await;
    // Another site cannot use the widget; the account's site can, with CORS headers.
    let (s, b, _) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        "https://evil.example",
        None,
        Some(json!({"rut": "12.345.678-5"})),
    )
    .await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("forbidden_origin")));
    let (s, b, _) =
        public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(json!({"rut": "12.345.678-9"})))
            .await;
    assert_eq!((s, b["error"]["field"].as_str()), (422, Some("rut")), "a wrong check digit");
    let (s, b, _) =
        public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(json!({"name": "Paula"}))).await;
    assert_eq!((s, b["error"]["field"].as_str()), (422, Some("rut")), "the account asks for it");
    let (s, b, h) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        SITE,
        None,
        Some(json!({"name": "Paula", "rut": "12.345.678-5"})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(h["access-control-allow-origin"], SITE);
    let visitor = b["visitor_token"].as_str().unwrap().to_string();
    let (s, _, _) = public(&t, "POST", "0000/visitors", SITE, None, Some(json!({}))).await;
    assert_eq!(s, 404, "no such widget");

    // A message is stored once per client_message_id, and makes a ticket on the board.
    let msg = json!({"client_message_id": "c-1", "text": "<b>Hola</b>, ¿tienen talla M?"});
    let (s, first, _) =
        public(&t, "POST", &format!("{token}/messages"), SITE, Some(&visitor), Some(msg.clone())).await;
    assert_eq!((s, first["duplicate"].as_bool()), (202, Some(false)), "{first}");
    let (_, again, _) =
        public(&t, "POST", &format!("{token}/messages"), SITE, Some(&visitor), Some(msg)).await;
    assert_eq!((again["id"].clone(), again["duplicate"].as_bool()), (first["id"].clone(), Some(true)));
    let (s, _, _) = public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some("cv_forged"),
        Some(json!({"client_message_id": "x", "text": "y"})),
    )
    .await;
    assert_eq!(s, 401);
    let tickets = t.get_json("/api/v1/tickets").await;
    assert_eq!(tickets["items"].as_array().unwrap().len(), 1);
    let ticket = tickets["items"][0]["id"].as_i64().unwrap();
    let client = t.get_json(&format!("/api/v1/clients/{}", tickets["items"][0]["client_id"])).await;
    assert_eq!(client["name"], "Paula");

    // The agent's reply reaches the visitor's socket live, without the agent's name; a note never does.
    assert!(socket(&t, &token, &visitor, 0, "https://evil.example").await.is_err(), "wrong origin refused");
    let mut ws = socket(&t, &token, &visitor, 0, SITE).await.unwrap();
    let m = pushed(&mut ws).await;
    assert_eq!((m["type"].as_str(), m["author_kind"].as_str()), (Some("message"), Some("client")));
    assert_eq!(m["text"], "<b>Hola</b>, ¿tienen talla M?", "text as the visitor wrote it");
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "nota interna", "note": true}))
        .await;
    let r =
        t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "Sí, nos quedan dos."})).await;
    assert_eq!(r.status(), 201);
    let m = pushed(&mut ws).await;
    assert_eq!(
        (m["author_kind"].as_str(), m["text"].as_str()),
        (Some("agent"), Some("Sí, nos quedan dos.")),
        "{m}"
    );
    assert!(m.get("author").is_none() && m.get("author_user_id").is_none(), "no agent id");
    assert_eq!(m["author_name"], "admin", "the agent's first name, without `write_as_company`");
    let last = m["id"].as_i64().unwrap();
    // Something the socket does not take gets a clear error frame.
    ws.send(tungstenite::Message::Text(r#"{"type":"message","text":"hola"}"#.into())).await.unwrap();
    assert_eq!(pushed(&mut ws).await["code"], "unknown_frame");

    // The connection drops; what the agent writes meanwhile comes on the next socket, once.
    drop(ws);
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "¿Se la reservo?"})).await;
    let mut ws = socket(&t, &token, &visitor, last, SITE).await.unwrap();
    let m = pushed(&mut ws).await;
    assert_eq!(m["text"], "¿Se la reservo?");
    let (s, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&visitor), None).await;
    assert_eq!(s, 200);
    let texts: Vec<&str> =
        b["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["<b>Hola</b>, ¿tienen talla M?", "Sí, nos quedan dos.", "¿Se la reservo?"]);
    let (s, b, _) = public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&visitor),
        Some(json!({"client_message_id": "c-2", "text": "Sí, por favor"})),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    let m = pushed(&mut ws).await;
    assert_eq!((m["author_kind"].as_str(), m["text"].as_str()), (Some("client"), Some("Sí, por favor")));
    t.stop().await;
}

/// Floods get a clear 429 and store nothing more: messages per visitor, new visitors per
/// address.
#[tokio::test]
async fn floods_are_refused_with_a_clear_error() {
    let t = spawn_app().await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example"})).await;
    let (_, b, _) = public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(json!({}))).await;
    let visitor = b["visitor_token"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    for i in 0..35 {
        let body = json!({"client_message_id": format!("f-{i}"), "text": format!("mensaje {i}")});
        let (s, b, _) =
            public(&t, "POST", &format!("{token}/messages"), SITE, Some(&visitor), Some(body)).await;
        if s == 429 {
            assert_eq!(b["error"]["code"], "rate_limited");
        }
        statuses.push(s);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 30, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5);
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&visitor), None).await;
    assert_eq!(b["items"].as_array().unwrap().len(), 30, "nothing more stored");
    let mut made = 1;
    while made < 25 {
        let (s, _, _) = public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(json!({}))).await;
        if s == 429 {
            break;
        }
        made += 1;
    }
    assert_eq!(made, 20, "twenty visitors a minute from one address");
    t.stop().await;
}

async fn visitor(t: &TestApp, token: &str) -> String {
    let (s, b, _) = public(t, "POST", &format!("{token}/visitors"), SITE, None, Some(json!({}))).await;
    assert_eq!(s, 201, "{b}");
    b["visitor_token"].as_str().unwrap().to_string()
}

/// With `write_as_company` the visitor sees the chat's name over agents' messages, live and
/// in the history; the widget's configuration carries the options with their defaults and no
/// private setting.
#[tokio::test]
async fn writing_as_the_company_hides_the_agents_name() {
    let t = spawn_app().await;
    let (id, token) = chat_account(
        &t,
        json!({"domain": "shop.example", "write_as_company": true, "chat_name": "Tienda Sol",
            "welcome_message": true, "welcome_text": "¡Hola!", "welcome_delay": 3}),
    )
    .await;
    let (s, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    assert_eq!(s, 200);
    assert_eq!((cfg["welcome_delay"].as_i64(), cfg["notification_messages"].as_i64()), (Some(3), Some(1)));
    assert_eq!(cfg["open_on_load_devices"], json!(["mobile", "desktop"]));
    assert_eq!(cfg["online"], false, "no agent of the account is available");
    assert!(cfg.get("domain").is_none() && cfg.get("contact_email").is_none(), "{cfg}");
    let v = visitor(&t, &token).await;
    let mut ws = socket(&t, &token, &v, 0, SITE).await.unwrap();
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&v),
        Some(json!({"client_message_id": "1", "text": "hola"})),
    )
    .await;
    assert_eq!(pushed(&mut ws).await["author_name"], Value::Null, "the visitor's own message");
    let ticket = t.get_json("/api/v1/tickets").await["items"][0]["id"].as_i64().unwrap();
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "Buenas tardes"})).await;
    let m = pushed(&mut ws).await;
    assert_eq!((m["author_kind"].as_str(), m["author_name"].as_str()), (Some("agent"), Some("Tienda Sol")));
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&v), None).await;
    assert_eq!(b["items"][1]["author_name"], "Tienda Sol");
    // Turned off, the agent's first name shows.
    let r = t
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            &t.token,
            Some(json!({"settings": {"write_as_company": false}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&v), None).await;
    assert_eq!(b["items"][1]["author_name"], "admin");
    t.stop().await;
}

/// The contact form (seed 000): offered while nobody is online, it becomes a ticket of the
/// email account it names, once per form; bad fields are refused by name; a chat without a
/// form refuses it.
#[tokio::test]
async fn the_contact_form_arrives_as_an_email_ticket_once() {
    let t = spawn_app().await;
    let mail = t.email_account(json!({"address": "soporte@acme.test", "connection": "forwarding"})).await;
    let mail_id = mail["id"].as_i64().unwrap();
    let (chat_id, token) = chat_account(&t, json!({"domain": "shop.example"})).await;
    let form = json!({"client_message_id": "f-1", "name": "Rosa", "email": "rosa@cliente.test", "text": "¿Hacen envíos a Arica?"});
    let (s, b, _) = public(&t, "POST", &format!("{token}/contact"), SITE, None, Some(form.clone())).await;
    assert_eq!((s, b["error"]["field"].as_str()), (409, Some("contact_form")), "{b}");
    // Pointing at a chat account (not email) is refused.
    let r = t
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{chat_id}"),
            &t.token,
            Some(json!({"settings": {"contact_form": true, "contact_account_id": chat_id}})),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = t
        .call(reqwest::Method::PATCH, &format!("/api/v1/accounts/{chat_id}"), &t.token,
            Some(json!({"settings": {"contact_form": true, "contact_account_id": mail_id, "contact_success": "¡Gracias!"}})))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    assert_eq!((cfg["contact_form"].as_bool(), cfg["online"].as_bool()), (Some(true), Some(false)));
    assert_eq!(cfg["contact_success"], "¡Gracias!");
    for (bad, field) in [
        (json!({"client_message_id": "f-2", "email": "rosa@", "text": "hola"}), "email"),
        (json!({"client_message_id": "f-2", "text": "hola"}), "email"),
        (json!({"client_message_id": "f-2", "email": "rosa@cliente.test", "text": " "}), "text"),
        (json!({"email": "rosa@cliente.test", "text": "hola"}), "client_message_id"),
    ] {
        let (s, b, _) = public(&t, "POST", &format!("{token}/contact"), SITE, None, Some(bad.clone())).await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some(field)), "{bad}");
    }
    assert_eq!(t.get_json("/api/v1/tickets").await["items"].as_array().unwrap().len(), 0, "nothing stored");
    let (s, _, _) =
        public(&t, "POST", &format!("{token}/contact"), "https://evil.example", None, Some(form.clone()))
            .await;
    assert_eq!(s, 403);
    for _ in 0..2 {
        let (s, b, _) = public(&t, "POST", &format!("{token}/contact"), SITE, None, Some(form.clone())).await;
        assert_eq!(s, 202, "{b}");
    }
    let tickets = t.get_json("/api/v1/tickets").await;
    let items = tickets["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the form sent twice is one ticket");
    assert_eq!(items[0]["account_id"].as_i64(), Some(mail_id), "in the email account");
    let client = t.get_json(&format!("/api/v1/clients/{}", items[0]["client_id"])).await;
    assert_eq!(client["name"], "Rosa");
    assert!(client.to_string().contains("rosa@cliente.test"), "{client}");
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", items[0]["id"])).await;
    assert_eq!(msgs["items"][0]["text"], "¿Hacen envíos a Arica?");
    t.stop().await;
}

/// With a default sender, a contact form to a plain address is mailed, the visitor as
/// Reply-To, once.
#[tokio::test]
async fn the_contact_form_to_a_plain_address_is_mailed() {
    let sink = atiende_testkit::mail::SmtpSink::start();
    let port = sink.port;
    let t = atiende_testkit::spawn_app_with(move |c| {
        c.app.email.relay_host = "127.0.0.1".into();
        c.app.email.relay_port = port;
        c.app.email.from_address = "noreply@atiende.test".into();
    })
    .await;
    let (_, token) = chat_account(
        &t,
        json!({"domain": "shop.example", "chat_name": "Tienda Sol", "contact_form": true, "contact_email": "ventas@acme.test"}),
    )
    .await;
    let form = json!({"client_message_id": "f-1", "name": "Rosa", "email": "rosa@cliente.test", "text": "¿Hacen envíos?"});
    for _ in 0..2 {
        let (s, b, _) = public(&t, "POST", &format!("{token}/contact"), SITE, None, Some(form.clone())).await;
        assert_eq!(s, 202, "{b}");
    }
    let got = sink.wait_for(1, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "mailed once");
    let raw = String::from_utf8_lossy(&got[0]).to_string();
    assert!(raw.contains("ventas@acme.test") && raw.contains("Reply-To: rosa@cliente.test"), "{raw}");
    assert!(raw.contains("Tienda Sol: Rosa"), "{raw}");
    t.stop().await;
}

/// Signed visitors (the authentication token of seed 000): the company's backend signs its
/// logged-in customer; the widget is trusted without a form, and the same customer in another
/// browser sees their history. Forged signatures are refused by field and store nothing.
#[tokio::test]
async fn signed_visitors_are_trusted_and_see_their_history() {
    let t = spawn_app().await;
    let (id, token) = chat_account(&t, json!({"domain": "shop.example", "ask_rut": true})).await;
    let ident = |secret: &str, cid: &str, email: &str| {
        json!({"identity": {"id": cid, "email": email, "name": "Ana Pérez",
            "signature": atiende_channels::chat::sign_identity(secret.as_bytes(), cid, email)}})
    };
    let (s, b, _) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        SITE,
        None,
        Some(ident("x", "c-42", "ana@cliente.test")),
    )
    .await;
    assert_eq!((s, b["error"]["field"].as_str()), (422, Some("identity")), "no secret yet: {b}");
    let r = t.post(&format!("/api/v1/accounts/{id}/identity-secret"), json!({})).await;
    assert_eq!(r.status(), 201);
    let secret = r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    let acc = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert!(!acc.to_string().contains(&secret), "never shown again");
    assert!(acc["secrets_set"].to_string().contains("identity.secret"), "{acc}");
    let agent = t.user("Acme", "beto@acme.test", &["agent"]).await;
    let r =
        t.call(reqwest::Method::POST, &format!("/api/v1/accounts/{id}/identity-secret"), &agent, None).await;
    assert_eq!(r.status(), 403, "admins only");
    for (body, field) in [
        (ident("otro-secreto", "c-42", "ana@cliente.test"), "identity.signature"),
        (
            json!({"identity": {"id": "c-42", "email": "eve@cliente.test", "signature":
                atiende_channels::chat::sign_identity(secret.as_bytes(), "c-42", "ana@cliente.test")}}),
            "identity.signature",
        ),
        (json!({"identity": {"id": "", "signature": "ab"}}), "identity.id"),
        (json!({"page_url": "javascript:alert(1)"}), "page_url"),
    ] {
        let (s, b, _) =
            public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(body.clone())).await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some(field)), "{body}");
    }
    // Signed: no RUT asked, though the account asks unsigned visitors for it.
    let mut first = ident(&secret, "c-42", "ana@cliente.test");
    first["page_url"] = json!("https://shop.example/carro?paso=2");
    let (s, b, _) = public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(first)).await;
    assert_eq!(s, 201, "{b}");
    let v1 = b["visitor_token"].as_str().unwrap().to_string();
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&v1),
        Some(json!({"client_message_id": "1", "text": "¿Llegó mi pedido?"})),
    )
    .await;
    let ticket = &t.get_json("/api/v1/tickets").await["items"][0];
    let client = t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await;
    assert_eq!(client["name"], "Ana Pérez");
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", ticket["id"])).await;
    let chat_meta = &msgs["items"][0]["chat"];
    assert_eq!(chat_meta["page_url"], "https://shop.example/carro?paso=2", "{msgs}");
    assert_eq!(chat_meta["verified"], true);
    // The client card shows where the visitor writes from.
    let (cookie, _) = t.session("admin@acme.test").await;
    let html = t
        .http
        .get(format!("{}/tickets/{}", t.url, ticket["id"]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"href="https://shop.example/carro?paso=2" title="https://shop.example/carro?paso=2" rel="noopener noreferrer nofollow""#),
        "{html}"
    );
    assert!(
        html.contains("Identificado por el sitio") || html.contains("Identified by the site"),
        "the verified badge"
    );
    // The same customer on another device: the same client, and their history.
    let (_, b, _) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        SITE,
        None,
        Some(ident(&secret, "c-42", "ana@cliente.test")),
    )
    .await;
    let v2 = b["visitor_token"].as_str().unwrap().to_string();
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&v2), None).await;
    assert_eq!(b["items"][0]["text"], "¿Llegó mi pedido?", "{b}");
    // A new secret: the old signatures stop verifying.
    t.post(&format!("/api/v1/accounts/{id}/identity-secret"), json!({})).await;
    let (s, _, _) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        SITE,
        None,
        Some(ident(&secret, "c-42", "ana@cliente.test")),
    )
    .await;
    assert_eq!(s, 422);
    t.stop().await;
}

/// "Email as identifier": visitors giving the same address are one client (agents see one
/// history), but an unverified visitor sees only what was written since they started.
/// Anonymous visitors are asked nothing.
#[tokio::test]
async fn email_as_identifier_joins_clients_without_showing_history() {
    let t = spawn_app().await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example", "email_as_identifier": true})).await;
    let start = |email: &str| json!({"email": email, "name": "Rosa"});
    let (_, b, _) =
        public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(start("rosa@cliente.test"))).await;
    let a = b["visitor_token"].as_str().unwrap().to_string();
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&a),
        Some(json!({"client_message_id": "1", "text": "mi dirección es Calle 1"})),
    )
    .await;
    let (_, b, _) =
        public(&t, "POST", &format!("{token}/visitors"), SITE, None, Some(start("ROSA@cliente.test"))).await;
    let other = b["visitor_token"].as_str().unwrap().to_string();
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&other), None).await;
    assert_eq!(b["items"].as_array().unwrap().len(), 0, "not the other visitor's messages: {b}");
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&other),
        Some(json!({"client_message_id": "1", "text": "hola otra vez"})),
    )
    .await;
    let tickets = t.get_json("/api/v1/tickets").await;
    let items = tickets["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one client, one open ticket: {tickets}");
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", items[0]["id"])).await;
    assert_eq!(msgs["items"].as_array().unwrap().len(), 2);
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&other), None).await;
    assert_eq!(b["items"].as_array().unwrap().len(), 1);

    let (_, anon) =
        chat_account(&t, json!({"domain": "shop.example", "ask_rut": true, "anonymous_visitors": true}))
            .await;
    let (s, b, _) = public(&t, "POST", &format!("{anon}/visitors"), SITE, None, Some(json!({}))).await;
    assert_eq!(s, 201, "anonymous visitors are asked nothing: {b}");
    t.stop().await;
}

async fn upload(
    t: &TestApp,
    token: &str,
    visitor: &str,
    cmid: &str,
    name: &str,
    ct: &str,
    data: Vec<u8>,
) -> (u16, Value) {
    let r = t
        .http
        .post(format!("{}/public/v1/chat/{token}/files?client_message_id={cmid}&filename={name}", t.url))
        .header("origin", SITE)
        .header("content-type", ct)
        .bearer_auth(visitor)
        .body(data)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Files from visitors (seed 001: up to 1 MB), checked by their bytes, reach the agent as
/// attachments; an agent's file reaches the visitor, who alone can download it.
#[tokio::test]
async fn files_go_both_ways_checked_and_limited() {
    let t = spawn_app().await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example"})).await;
    let v = visitor(&t, &token).await;
    let png = {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend_from_slice(&[0u8; 64]);
        p
    };
    for (name, ct, data, field) in [
        ("foto.png", "image/png", b"no soy una imagen".to_vec(), "content_type"),
        ("pagina.html", "text/plain", b"<html><script>alert(1)</script></html>".to_vec(), "filename"),
        ("nota.txt", "text/plain", b"<!doctype html><script>alert(1)</script>".to_vec(), "data"),
        ("vacio.txt", "text/plain", Vec::new(), "data"),
    ] {
        let (s, b) = upload(&t, &token, &v, "f-bad", name, ct, data).await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some(field)), "{name}: {b}");
    }
    let (s, b) =
        upload(&t, &token, &v, "f-big", "grande.pdf", "application/pdf", vec![b'%'; 1024 * 1024 + 1]).await;
    assert_eq!(s, 413, "{b}");
    let (s, b) = upload(&t, &token, &v, "f-1", "foto.png", "image/png", png.clone()).await;
    assert_eq!((s, b["duplicate"].as_bool()), (202, Some(false)), "{b}");
    let (_, again) = upload(&t, &token, &v, "f-1", "foto.png", "image/png", png.clone()).await;
    assert_eq!(again["id"], b["id"], "stored once");
    let (s, _) = upload(&t, &token, "cv_forged", "f-2", "foto.png", "image/png", png.clone()).await;
    assert_eq!(s, 401);
    let ticket = t.get_json("/api/v1/tickets").await["items"][0]["id"].as_i64().unwrap();
    let msgs = t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await;
    assert_eq!(msgs["items"].as_array().unwrap().len(), 1, "nothing stored for refused files: {msgs}");
    assert_eq!(msgs["items"][0]["attachments"][0]["filename"], "foto.png");
    // The agent answers with a file; the visitor sees it and downloads it.
    let pdf = b"%PDF-1.4 factura".to_vec();
    let r = t
        .post(
            &format!("/api/v1/tickets/{ticket}/messages"),
            json!({"text": "Su factura", "attachments": [{"filename": "factura.pdf", "content_type": "application/pdf",
                "data": atiende_core::b64::encode(&pdf)}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&v), None).await;
    let items = b["items"].as_array().unwrap();
    assert_eq!(items[0]["attachments"][0]["content_type"], "image/png");
    let file = &items[1]["attachments"][0];
    assert_eq!(file["filename"], "factura.pdf", "{b}");
    let get = |who: &str| {
        t.http
            .get(format!("{}/public/v1/chat/{token}/attachments/{}", t.url, file["id"]))
            .header("origin", SITE)
            .bearer_auth(who.to_string())
            .send()
    };
    // A page's fetch with the token is preflighted first.
    let r = t
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/public/v1/chat/{token}/attachments/{}", t.url, file["id"]),
        )
        .header("origin", SITE)
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], SITE);
    let r = get(&v).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    let other = visitor(&t, &token).await;
    assert_eq!(get(&other).await.unwrap().status(), 404, "another visitor's file");
    t.stop().await;
}

/// Typing and read receipts: the visitor's socket signals reach the agents' event stream;
/// what was seen shows on the agent's message in the ticket view; a receipt for a message
/// that is not theirs is refused by a clear frame.
#[tokio::test]
async fn typing_and_seen_reach_the_agents() {
    let t = spawn_app().await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example"})).await;
    let v = visitor(&t, &token).await;
    let mut ws = socket(&t, &token, &v, 0, SITE).await.unwrap();
    // Before their first message there is no ticket: typing is ignored, not an error.
    ws.send(tungstenite::Message::Text(r#"{"type":"typing"}"#.into())).await.unwrap();
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&v),
        Some(json!({"client_message_id": "1", "text": "hola"})),
    )
    .await;
    pushed(&mut ws).await;
    let ticket = t.get_json("/api/v1/tickets").await["items"][0]["id"].as_i64().unwrap();
    let mut events =
        atiende_testkit::EventStream::connect(&format!("{}/api/v1/events", t.url), &t.token, None).await;
    ws.send(tungstenite::Message::Text(r#"{"type":"typing"}"#.into())).await.unwrap();
    let (_, e) = events.next_of("chat.typing", 10).await.expect("typing reaches the agents");
    assert_eq!(e["ticket_id"].as_i64(), Some(ticket));
    let r = t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "¿En qué le ayudo?"})).await;
    let reply = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(pushed(&mut ws).await["id"].as_i64(), Some(reply));
    let (cookie, _) = t.session("admin@acme.test").await;
    let page = || async {
        t.http
            .get(format!("{}/tickets/{ticket}", t.url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(!page().await.contains("data-seen"), "not seen yet");
    ws.send(tungstenite::Message::Text(format!(r#"{{"type":"seen","id":{reply}}}"#).into())).await.unwrap();
    let (_, e) = events.next_of("chat.seen", 10).await.expect("the receipt reaches the agents");
    assert_eq!(e["message_id"].as_i64(), Some(reply));
    assert!(page().await.contains("data-seen"), "the agent's message shows as seen");
    // Someone else's message id: a clear error frame; the socket stays.
    ws.send(tungstenite::Message::Text(r#"{"type":"seen","id":999999}"#.into())).await.unwrap();
    let f = pushed(&mut ws).await;
    assert_eq!((f["type"].as_str(), f["field"].as_str()), (Some("error"), Some("id")), "{f}");
    ws.send(tungstenite::Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
    assert_eq!(pushed(&mut ws).await["type"], "pong");
    drop((ws, events));
    t.stop().await;
}

/// Agents' replies the visitor has not read within three minutes go to the address they gave,
/// all of them in one mail, once; what they read is not mailed.
#[tokio::test]
async fn unread_replies_go_by_email_once() {
    let sink = atiende_testkit::mail::SmtpSink::start();
    let port = sink.port;
    let clock = std::sync::Arc::new(atiende_core::time::ManualClock::new(1_800_000_000_000_000));
    let t = atiende_testkit::spawn_app_with_clock(
        move |c| {
            c.app.email.relay_host = "127.0.0.1".into();
            c.app.email.relay_port = port;
            c.app.email.from_address = "noreply@atiende.test".into();
        },
        clock.clone(),
    )
    .await;
    let (_, token) =
        chat_account(&t, json!({"domain": "shop.example", "ask_email": true, "chat_name": "Tienda Sol"}))
            .await;
    let (_, b, _) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        SITE,
        None,
        Some(json!({"email": "rosa@cliente.test", "page_url": "https://shop.example/ayuda"})),
    )
    .await;
    let v = b["visitor_token"].as_str().unwrap().to_string();
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&v),
        Some(json!({"client_message_id": "1", "text": "¿Abren el domingo?"})),
    )
    .await;
    let ticket = t.get_json("/api/v1/tickets").await["items"][0]["id"].as_i64().unwrap();
    let reply = |text: &'static str| {
        let t = &t;
        async move {
            let r = t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": text})).await;
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
        }
    };
    let minute = 60_000_000;
    reply("Sí, de 10 a 14.").await;
    t.drain_jobs().await;
    clock.advance(minute);
    reply("¿Le reservo algo?").await;
    t.drain_jobs().await;
    // The first reply's three minutes: a later reply is pending, so its job mails both.
    clock.advance(2 * minute + 10_000_000);
    t.drain_jobs().await;
    assert_eq!(sink.messages().len(), 0, "nothing yet");
    clock.advance(minute);
    t.drain_jobs().await;
    let got = sink.wait_for(1, 10).await;
    let mail = mail_parser::MessageParser::default().parse(&got[0]).unwrap();
    assert_eq!(mail.to().and_then(|a| a.first()).and_then(|a| a.address()), Some("rosa@cliente.test"));
    assert!(mail.subject().unwrap_or("").contains("Tienda Sol"));
    let body = mail.body_text(0).unwrap_or_default().to_string();
    assert!(body.contains("de 10 a 14") && body.contains("reservo"), "both replies: {body}");
    assert!(body.contains("https://shop.example/ayuda"), "where to continue: {body}");
    // A reply they read is not mailed; nothing is mailed twice.
    let c = reply("Gracias por escribir.").await;
    t.drain_jobs().await;
    let mut ws = socket(&t, &token, &v, c - 1, SITE).await.unwrap();
    pushed(&mut ws).await;
    ws.send(tungstenite::Message::Text(format!(r#"{{"type":"seen","id":{c}}}"#).into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.advance(5 * minute);
    t.drain_jobs().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "one mail in all");
    drop(ws);
    t.stop().await;
}

/// The long-poll (the widget's fallback when WebSockets are blocked): with `wait`, an empty
/// answer waits for the conversation's next message and brings it as soon as it is stored.
#[tokio::test]
async fn long_polling_brings_the_next_message_when_it_comes() {
    let t = spawn_app().await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example"})).await;
    let v = visitor(&t, &token).await;
    let (_, first, _) = public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&v),
        Some(json!({"client_message_id": "1", "text": "hola"})),
    )
    .await;
    let after = first["id"].as_i64().unwrap();
    let ticket = t.get_json("/api/v1/tickets").await["items"][0]["id"].as_i64().unwrap();
    let (s, b, _) =
        public(&t, "GET", &format!("{token}/messages?after={after}&wait=31"), SITE, Some(&v), None).await;
    assert_eq!((s, b["error"]["field"].as_str()), (422, Some("wait")));
    // Nothing comes: the answer is empty after the wait.
    let t0 = std::time::Instant::now();
    let (_, b, _) =
        public(&t, "GET", &format!("{token}/messages?after={after}&wait=1"), SITE, Some(&v), None).await;
    assert!(b["items"].as_array().unwrap().is_empty());
    assert!(t0.elapsed() >= Duration::from_millis(900), "it waited");
    // An agent answers while the poll waits: it comes back with the answer, well before its wait.
    let poll = {
        let (http, url, token, v) = (t.http.clone(), t.url.clone(), token.clone(), v.clone());
        tokio::spawn(async move {
            let t0 = std::time::Instant::now();
            let r = http
                .get(format!("{url}/public/v1/chat/{token}/messages?after={after}&wait=20"))
                .header("origin", SITE)
                .bearer_auth(v)
                .send()
                .await
                .unwrap();
            (r.json::<Value>().await.unwrap(), t0.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "¡Hola! ¿En qué le ayudo?"})).await;
    let (b, took) = poll.await.unwrap();
    assert_eq!(b["items"][0]["text"], "¡Hola! ¿En qué le ayudo?", "{b}");
    assert!(took < Duration::from_secs(10), "answered when the message came, not at the end: {took:?}");
    t.stop().await;
}

/// What a login window's last page hands the widget: `data-*` attributes of `#atiende-login`.
fn login_result(html: &str) -> std::collections::HashMap<String, String> {
    let start = html.find("id=\"atiende-login\"").expect("the result element");
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let mut out = std::collections::HashMap::new();
    for part in tag.split(" data-").skip(1) {
        let (k, v) = part.split_once("=\"").unwrap();
        out.insert(k.to_string(), v[..v.find('"').unwrap()].replace("&amp;", "&").replace("&quot;", "\""));
    }
    out
}

/// A whole login in a browser's window, redirect by redirect: Atiende → provider → callback.
/// Gives the callback's status and what its page hands the widget.
async fn social_login(
    t: &TestApp,
    token: &str,
    provider: &str,
    query: &str,
) -> (u16, std::collections::HashMap<String, String>) {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser
        .get(format!("{}/public/v1/chat/{token}/login/{provider}?{query}", t.url))
        .send()
        .await
        .unwrap();
    if r.status() != 302 {
        let s = r.status().as_u16();
        return (s, login_result(&r.text().await.unwrap()));
    }
    let to_idp = r.headers()["location"].to_str().unwrap().to_string();
    let r = browser.get(&to_idp).send().await.unwrap();
    assert_eq!(r.status(), 302, "the provider sends the window back");
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(&format!("{}/public/v1/chat/login/callback?", t.url)), "{back}");
    let r = browser.get(&back).send().await.unwrap();
    let s = r.status().as_u16();
    let html = r.text().await.unwrap();
    if s == 200 && html.contains("data-token") {
        // The same answer again (a reload, a replay): the login is used once.
        let again = browser.get(&back).send().await.unwrap();
        assert_eq!(again.status(), 400, "a state is used once");
        assert!(!again.text().await.unwrap().contains("data-token"));
    }
    (s, login_result(&html))
}

fn ana() -> atiende_testkit::idp::IdpUser {
    atiende_testkit::idp::IdpUser {
        sub: "110169484474386276334".into(),
        name: "Ana Pérez".into(),
        email: Some("ana.perez@gmail.example".into()),
        email_verified: true,
    }
}

#[tokio::test]
async fn visitors_log_in_with_google_and_see_their_history_anywhere() {
    use atiende_channels::chat::oidc::TokenStyle;
    let idp =
        atiende_testkit::idp::FakeIdp::start(TokenStyle::PostForm, "google-client", "g-secret", ana()).await;
    let provider = idp.provider();
    let t = atiende_testkit::spawn_app_with(move |c| c.app.chat_login.google = Some(provider)).await;
    // Facebook is not configured on this server: an account cannot offer it.
    let r = t
        .post("/api/v1/accounts", json!({"kind": "chat", "name": "C", "settings": {"domain": "shop.example", "login_facebook": true}}))
        .await;
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["field"], "settings.login_facebook", "{b}");
    let r = t
        .post("/api/v1/accounts", json!({"kind": "chat", "name": "C", "settings": {"domain": "shop.example", "social_login_only": true}}))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "settings.social_login_only");
    let (id, token) = chat_account(
        &t,
        json!({"domain": "shop.example", "login_google": true, "social_login_only": true, "ask_phone": true}),
    )
    .await;
    let (_, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    assert_eq!(cfg["login"], json!(["google"]), "{cfg}");
    assert_eq!(cfg["social_login_only"], true);
    // Social login only: the name-and-email way is closed.
    let (s, b, _) = public(
        &t,
        "POST",
        &format!("{token}/visitors"),
        SITE,
        None,
        Some(json!({"name": "Eve", "email": "eve@x.test", "phone": "+56912345678"})),
    )
    .await;
    assert_eq!((s, b["error"]["field"].as_str()), (422, Some("login")), "{b}");
    // What the account asks besides who the visitor is comes with the click, checked.
    let (s, page) = social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example&phone=12").await;
    assert_eq!((s, page.get("field").map(String::as_str)), (422, Some("phone")), "{page:?}");
    assert_eq!(page["origin"], SITE, "the error goes back to the widget");
    // Another site cannot start a login for this chat, nor receive its answer.
    let (s, page) =
        social_login(&t, &token, "google", "origin=https%3A%2F%2Fevil.example&phone=%2B56912345678").await;
    assert_eq!(s, 403);
    assert!(!page.contains_key("origin"), "{page:?}");
    let (s, _) = social_login(&t, &token, "facebook", "origin=https%3A%2F%2Fshop.example").await;
    assert_eq!(s, 404, "a provider the chat does not offer");
    // The whole flow.
    let q = "origin=https%3A%2F%2Fshop.example&page_url=https%3A%2F%2Fshop.example%2Fpedido%2F7&phone=%2B56%209%201234%205678";
    let (s, page) = social_login(&t, &token, "google", q).await;
    assert_eq!(s, 200, "{page:?}");
    assert_eq!(page["origin"], SITE, "handed only to the chat's site");
    let v1 = page["token"].clone();
    assert!(v1.starts_with("cv_"));
    let (s, _, _) = public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&v1),
        Some(json!({"client_message_id": "1", "text": "¿Y mi pedido 7?"})),
    )
    .await;
    assert_eq!(s, 202);
    let ticket = &t.get_json("/api/v1/tickets").await["items"][0];
    let client = t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await;
    assert_eq!(client["name"], "Ana Pérez", "{client}");
    assert!(
        client.to_string().contains("110169484474386276334"),
        "the provider's id is the client's: {client}"
    );
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", ticket["id"])).await;
    let meta = &msgs["items"][0]["chat"];
    assert_eq!(
        (meta["login"].as_str(), meta["email"].as_str()),
        (Some("google"), Some("ana.perez@gmail.example")),
        "{meta}"
    );
    assert_eq!(
        (meta["phone"].as_str(), meta["page_url"].as_str()),
        (Some("+56912345678"), Some("https://shop.example/pedido/7"))
    );
    // Logged in again from another browser: the same client, with their history.
    let (_, page) =
        social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example&phone=%2B56912345678").await;
    let (_, b, _) = public(&t, "GET", &format!("{token}/messages"), SITE, Some(&page["token"]), None).await;
    assert_eq!(b["items"][0]["text"], "¿Y mi pedido 7?", "{b}");
    assert_eq!(idp.jwks_calls(), 1, "the provider's keys are kept");
    // The provider rotates its keys: fetched again, the login still works.
    idp.rotate("k2");
    let (s, _) =
        social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example&phone=%2B56912345678").await;
    assert_eq!((s, idp.jwks_calls()), (200, 2));
    // A token whose nonce is not this login's (a replay): refused, nobody logged in.
    idp.wrong_nonce(true);
    let (s, page) =
        social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example&phone=%2B56912345678").await;
    assert_eq!(s, 400);
    assert!(!page.contains_key("token") && page["origin"] == SITE, "{page:?}");
    idp.wrong_nonce(false);
    // The visitor cancels at the provider.
    idp.deny(true);
    let (s, page) =
        social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example&phone=%2B56912345678").await;
    assert_eq!((s, page.get("cancelled").map(String::as_str)), (200, Some("1")), "{page:?}");
    idp.deny(false);
    // An unverified address is not kept.
    idp.set_user(atiende_testkit::idp::IdpUser { sub: "999".into(), email_verified: false, ..ana() });
    let (_, page) =
        social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example&phone=%2B56912345678").await;
    public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&page["token"]),
        Some(json!({"client_message_id": "1", "text": "hola"})),
    )
    .await;
    let items = t.get_json("/api/v1/tickets").await["items"].clone();
    let other =
        items.as_array().unwrap().iter().find(|i| i["client_id"] != ticket["client_id"]).unwrap().clone();
    let msgs = t.get_json(&format!("/api/v1/tickets/{}/messages", other["id"])).await;
    assert_eq!(msgs["items"][0]["chat"]["email"], Value::Null, "{msgs}");
    // Turned off: the button's address answers 404.
    t.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/accounts/{id}"),
        &t.token,
        Some(json!({"settings": {"login_google": false, "social_login_only": false}})),
    )
    .await;
    let (s, _) = social_login(&t, &token, "google", "origin=https%3A%2F%2Fshop.example").await;
    assert_eq!(s, 404);
    t.stop().await;
}

#[tokio::test]
async fn facebook_login_takes_the_code_as_a_graph_call() {
    use atiende_channels::chat::oidc::TokenStyle;
    let idp = atiende_testkit::idp::FakeIdp::start(
        TokenStyle::GetQuery,
        "1234567890",
        "fb-secret",
        atiende_testkit::idp::IdpUser {
            sub: "10229871234".into(),
            name: "Beto Soto".into(),
            email: None,
            email_verified: false,
            ..ana()
        },
    )
    .await;
    let provider = idp.provider();
    let t = atiende_testkit::spawn_app_with(move |c| c.app.chat_login.facebook = Some(provider)).await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example", "login_facebook": true})).await;
    let (s, page) = social_login(&t, &token, "facebook", "origin=https%3A%2F%2Fshop.example").await;
    assert_eq!(s, 200, "{page:?}");
    assert_eq!(idp.token_calls(), 1);
    let (s, _, _) = public(
        &t,
        "POST",
        &format!("{token}/messages"),
        SITE,
        Some(&page["token"]),
        Some(json!({"client_message_id": "1", "text": "Hola"})),
    )
    .await;
    assert_eq!(s, 202);
    let ticket = &t.get_json("/api/v1/tickets").await["items"][0];
    let client = t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await;
    assert_eq!(client["name"], "Beto Soto");
    // A wrong app secret: the provider's Graph error, and no visitor.
    let mut wrong = idp.provider();
    wrong.client_secret = "not-it".into();
    t.stop().await;
    let t = atiende_testkit::spawn_app_with(move |c| c.app.chat_login.facebook = Some(wrong)).await;
    let (_, token) = chat_account(&t, json!({"domain": "shop.example", "login_facebook": true})).await;
    let (s, page) = social_login(&t, &token, "facebook", "origin=https%3A%2F%2Fshop.example").await;
    assert_eq!(s, 400);
    assert!(!page.contains_key("token"));
    t.stop().await;
}

/// A 1×1-pixel-per-side PNG header of `w`×`h` (what the size check reads), then filler.
fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
    let mut d = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    d.extend(w.to_be_bytes());
    d.extend(h.to_be_bytes());
    d.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    d.resize(len.max(d.len()), 0);
    d
}

#[tokio::test]
async fn the_bubble_logo_is_checked_by_its_bytes_and_cached() {
    let t = spawn_app().await;
    let (id, token) = chat_account(&t, json!({"domain": "shop.example"})).await;
    let put = |body: Vec<u8>, who: String| {
        let req = t.http.put(format!("{}/api/v1/accounts/{id}/chat/logo", t.url)).bearer_auth(who).body(body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let agent = t.user("Acme", "beto@acme.test", &["agent"]).await;
    assert_eq!(put(png(200, 200, 500), agent).await.0, 403, "admins only");
    for (body, why) in [
        (b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(), "an SVG"),
        (b"GIF89a".to_vec(), "a cut header"),
        (png(4000, 200, 500), "too wide"),
        (b"%PDF-1.7 ...".to_vec(), "a PDF"),
        (Vec::new(), "nothing"),
    ] {
        let (s, b) = put(body, t.token.clone()).await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some("logo")), "{why}: {b}");
    }
    assert_eq!(put(png(200, 200, 300 * 1024), t.token.clone()).await.0, 413, "over 256 KB");
    let (_, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    assert_eq!(cfg["logo_url"], Value::Null, "nothing refused was kept");
    let (s, b) = put(png(180, 120, 900), t.token.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["logo"],
        json!({"content_type": "image/png", "width": 180, "height": 120, "bytes": 900, "ideal": false})
    );
    let (_, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    let url = cfg["logo_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/public/v1/chat/{token}/logo?v=", t.url)), "{url}");
    let r = t.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(r.bytes().await.unwrap().len(), 900);
    let r = t.http.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304);
    // A new image: a new address, so caches take it at once.
    let (_, b) = put(png(200, 200, 700), t.token.clone()).await;
    assert_eq!(b["logo"]["ideal"], true);
    let (_, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    assert_ne!(cfg["logo_url"].as_str().unwrap(), url);
    // The settings screen shows it and its size.
    let (cookie, _) = t.session("admin@acme.test").await;
    let html = t
        .http
        .get(format!("{}/admin/accounts/{id}/settings", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("200×200 px") && html.contains("class=\"logo-preview\""),
        "the settings page shows the logo"
    );
    let r =
        t.call(reqwest::Method::DELETE, &format!("/api/v1/accounts/{id}/chat/logo"), &t.token, None).await;
    assert_eq!(r.status(), 200);
    let (_, cfg, _) = public(&t, "GET", &format!("{token}/config"), SITE, None, None).await;
    assert_eq!(cfg["logo_url"], Value::Null);
    assert_eq!(t.http.get(&url).send().await.unwrap().status(), 404);
    t.stop().await;
}
