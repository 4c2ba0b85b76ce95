//! The WhatsApp channel end to end: Meta's one webhook (handshake, signature, stored before
//! the answer, routed by number, deduplicated by `wamid`), media through the Graph media
//! endpoint, replies through the outbox to the send endpoint with the `wamid` kept, statuses
//! moving the delivery state, Meta's errors (expired token → needs reconnection → fixed →
//! sent; rate limits waited out; other refusals failed with Meta's reason) and the 24-hour
//! window — against `atiende_testkit::graph`, a local Graph API speaking Meta's formats.
use atiende_testkit::graph::{FakeGraph, GraphFailure, sign};
use atiende_testkit::{TestApp, spawn_app_with};
use serde_json::{Value, json};

const SECRET: &str = "meta-app-secret-for-tests";
const TOKEN: &str = "EAAG-test-system-user-token-0001";
const PHONE: &str = "106540352242922";

async fn app(graph: &FakeGraph) -> TestApp {
    let url = graph.url.clone();
    spawn_app_with(move |c| {
        c.app.meta.app_secret = SECRET.into();
        c.app.meta.verify_token = "verify-me".into();
        c.app.meta.graph.url = url;
    })
    .await
}

async fn account(t: &TestApp) -> i64 {
    let r = t
        .post(
            "/api/v1/accounts",
            json!({"kind": "whatsapp", "name": "WhatsApp ventas", "settings": {
                "phone_number_id": PHONE, "business_account_id": "102290129340398", "access_token": TOKEN}}),
        )
        .await;
    let s = r.status();
    let b: Value = r.json().await.unwrap();
    assert_eq!(s, 201, "{b}");
    b["id"].as_i64().unwrap()
}

/// Posts a webhook body as Meta does (signed), or with the given signature.
async fn webhook(t: &TestApp, body: &Value, signature: Option<&str>) -> u16 {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = signature.map(str::to_string).unwrap_or_else(|| sign(SECRET, &raw));
    let r = t
        .http
        .post(format!("{}/webhooks/meta", t.url))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(raw)
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

fn inbound(phone: &str, wamid: &str, from: &str, name: &str, message: Value) -> Value {
    let mut m = json!({"from": from, "id": wamid, "timestamp": "1750000000"});
    for (k, v) in message.as_object().unwrap() {
        m[k] = v.clone();
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone},
        "contacts": [{"profile": {"name": name}, "wa_id": from}], "messages": [m]}}]}]})
}

fn statuses(list: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "statuses": list}}]}]})
}

async fn messages_of(t: &TestApp, ticket: &Value) -> Vec<Value> {
    t.get_json(&format!("/api/v1/tickets/{}/messages", ticket["id"])).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn only_ticket(t: &TestApp) -> Value {
    t.eventually(10, || async {
        let items = t.get_json("/api/v1/tickets").await["items"].as_array().cloned().unwrap_or_default();
        items.first().cloned()
    })
    .await
}

#[tokio::test]
async fn the_handshake_and_the_signature_guard_the_webhook() {
    let graph = FakeGraph::start(TOKEN).await;
    let t = app(&graph).await;
    account(&t).await;
    let get = |q: &str| t.http.get(format!("{}/webhooks/meta?{q}", t.url)).send();
    let r = get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "1158201444");
    let r = get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess").await.unwrap();
    assert_eq!(r.status(), 403);
    let body =
        inbound(PHONE, "wamid.SIG", "56911112222", "Ana", json!({"type": "text", "text": {"body": "hola"}}));
    assert_eq!(webhook(&t, &body, Some("sha256=00")).await, 401);
    assert_eq!(
        webhook(&t, &body, Some(&sign("another-secret", &serde_json::to_vec(&body).unwrap()))).await,
        401
    );
    let r = t
        .http
        .post(format!("{}/webhooks/meta", t.url))
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no signature");
    t.jobs_done("meta_webhook").await;
    assert_eq!(t.get_json("/api/v1/tickets").await["items"], json!([]), "nothing stored");
    // The body whose bytes were signed, not a re-serialized one: a non-ASCII text escaped as
    // Meta sends it (\u00f1) verifies over those exact bytes.
    let raw = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Nu\u00f1ez"},"wa_id":"56933334444"}],"messages":[{"from":"56933334444","id":"wamid.ESC","timestamp":"1750000000","type":"text","text":{"body":"\u00bfy mi pedido?"}}]}}]}]}"#;
    let r = t
        .http
        .post(format!("{}/webhooks/meta", t.url))
        .header("x-hub-signature-256", sign(SECRET, raw))
        .body(raw.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ticket = only_ticket(&t).await;
    assert_eq!(messages_of(&t, &ticket).await[0]["text"], "¿y mi pedido?");
    t.stop().await;
}

#[tokio::test]
async fn messages_arrive_once_with_their_media_and_replies_go_out_with_ticks() {
    let graph = FakeGraph::start(TOKEN).await;
    let t = app(&graph).await;
    let id = account(&t).await;
    // Settings are checked, naming the field; a number belongs to one account.
    for (settings, field) in [
        (json!({"phone_number_id": "12ab", "access_token": TOKEN}), "settings.phone_number_id"),
        (json!({"access_token": TOKEN}), "settings.phone_number_id"),
        (json!({"phone_number_id": "1", "access_token": "short"}), "settings.access_token"),
    ] {
        let r =
            t.post("/api/v1/accounts", json!({"kind": "whatsapp", "name": "x", "settings": settings})).await;
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["field"], field, "{b}");
    }
    let r = t
        .post("/api/v1/accounts", json!({"kind": "whatsapp", "name": "dup", "settings": {"phone_number_id": PHONE, "access_token": TOKEN}}))
        .await;
    assert_eq!(r.status(), 409);
    let shown = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert!(!shown.to_string().contains(TOKEN), "the token is never shown: {shown}");

    let hello = inbound(
        PHONE,
        "wamid.HELLO",
        "56912345678",
        "José Ñúñez",
        json!({"type": "text", "text": {"body": "¿Tienen talla M?"}}),
    );
    assert_eq!(webhook(&t, &hello, None).await, 200);
    // Meta sends it again (no answer in time, another node): one message.
    assert_eq!(webhook(&t, &hello, None).await, 200);
    graph.media("1003383421387256", "image/jpeg", b"\xff\xd8\xff\xe0 a small jpeg");
    let photo = inbound(
        PHONE,
        "wamid.PHOTO",
        "56912345678",
        "José Ñúñez",
        json!({"type": "image", "image": {"caption": "esta", "mime_type": "image/jpeg", "sha256": "x", "id": "1003383421387256"}}),
    );
    assert_eq!(webhook(&t, &photo, None).await, 200);
    // A number no account has: acknowledged, nothing stored.
    assert_eq!(
        webhook(
            &t,
            &inbound("999", "wamid.OTHER", "1", "x", json!({"type": "text", "text": {"body": "?"}})),
            None
        )
        .await,
        200
    );
    t.jobs_done("meta_webhook").await;
    let ticket = only_ticket(&t).await;
    let tickets = t.get_json("/api/v1/tickets").await;
    assert_eq!(tickets["items"].as_array().unwrap().len(), 1, "{tickets}");
    let client = t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await;
    assert_eq!(client["name"], "José Ñúñez");
    assert!(client.to_string().contains("56912345678"), "{client}");
    let msgs = messages_of(&t, &ticket).await;
    assert_eq!(msgs.len(), 2, "stored once each: {msgs:?}");
    assert_eq!(msgs[1]["text"], "esta");
    let att = &msgs[1]["attachments"][0];
    assert_eq!(att["content_type"], "image/jpeg", "{att}");
    let r = t
        .http
        .get(format!("{}/api/v1/attachments/{}", t.url, att["id"]))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"\xff\xd8\xff\xe0 a small jpeg");

    // The agent answers: out through the outbox, with the wamid Meta gave.
    let r = t
        .post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "Sí, tenemos 🙂"}))
        .await;
    assert_eq!(r.status(), 201);
    let reply = t
        .eventually(10, || async {
            let m = messages_of(&t, &ticket).await.into_iter().last()?;
            (m["delivery"] == "sent").then_some(m)
        })
        .await;
    let (node, body) = graph.sent().pop().unwrap();
    assert_eq!(node, PHONE);
    assert_eq!(body["to"], "56912345678");
    assert_eq!(body["text"]["body"], "Sí, tenemos 🙂");
    let wamid = reply["external_id"].as_str().unwrap().to_string();
    assert!(wamid.starts_with("wamid."), "{reply}");
    // The ticks: delivered, then read; a late "delivered" does not go back.
    let at =
        |s: &str| json!({"id": wamid, "status": s, "timestamp": "1750000100", "recipient_id": "56912345678"});
    assert_eq!(
        webhook(&t, &statuses(json!([at("delivered"), at("read"), at("delivered")])), None).await,
        200
    );
    t.jobs_done("meta_webhook").await;
    let last = messages_of(&t, &ticket).await.into_iter().last().unwrap();
    assert_eq!(last["delivery"], "read", "{last}");
    // A file goes up to the media endpoint, then out by its id with the text as its caption.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0 una imagen".to_vec();
    let r = t
        .post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "Esta es la M", "attachments": [
            {"filename": "talla-m.png", "content_type": "image/png", "data": atiende_core::b64::encode(&png)}]}))
        .await;
    assert_eq!(r.status(), 201);
    t.eventually(10, || async {
        let m = messages_of(&t, &ticket).await.into_iter().last()?;
        (m["delivery"] == "sent").then_some(())
    })
    .await;
    let (_, body) = graph.sent().pop().unwrap();
    assert_eq!(
        (body["type"].as_str(), body["image"]["caption"].as_str()),
        (Some("image"), Some("Esta es la M")),
        "{body}"
    );
    let (ct, data) = graph.uploaded(body["image"]["id"].as_str().unwrap()).unwrap();
    assert_eq!((ct.as_str(), data), ("image/png", png), "the same bytes went up");
    // A failure Meta reports later, with its reason.
    let r =
        t.post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "¿Algo más?"})).await;
    assert_eq!(r.status(), 201);
    let second = t
        .eventually(10, || async {
            let m = messages_of(&t, &ticket).await.into_iter().last()?;
            (m["delivery"] == "sent").then_some(m)
        })
        .await;
    let failed = json!([{"id": second["external_id"], "status": "failed", "timestamp": "1750000200", "recipient_id": "56912345678",
        "errors": [{"code": 131026, "title": "Message Undeliverable", "message": "Message Undeliverable",
            "error_data": {"details": "Message failed to send because the recipient's phone number is not a WhatsApp number."}}]}]);
    assert_eq!(webhook(&t, &statuses(failed), None).await, 200);
    t.jobs_done("meta_webhook").await;
    let last = messages_of(&t, &ticket).await.into_iter().last().unwrap();
    assert_eq!(last["delivery"], "failed", "{last} {second}");
    assert!(last["delivery_error"].as_str().unwrap().contains("not a WhatsApp number"), "{last}");
    t.stop().await;
}

#[tokio::test]
async fn an_expired_token_asks_for_reconnection_and_nothing_is_lost() {
    let graph = FakeGraph::start(TOKEN).await;
    let t = app(&graph).await;
    let id = account(&t).await;
    assert_eq!(
        webhook(
            &t,
            &inbound(
                PHONE,
                "wamid.A",
                "56912345678",
                "Ana",
                json!({"type": "text", "text": {"body": "hola"}})
            ),
            None
        )
        .await,
        200
    );
    let ticket = only_ticket(&t).await;
    // The token is revoked at Meta: the reply waits, the account says why.
    graph.set_token("EAAG-the-new-token-after-reconnecting");
    t.post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "respuesta"})).await;
    let acc = t
        .eventually(10, || async {
            let a = t.get_json(&format!("/api/v1/accounts/{id}")).await;
            (a["status"] == "needs_reconnection").then_some(a)
        })
        .await;
    assert!(acc["status_reason"].as_str().unwrap().contains("190"), "{acc}");
    let pending = messages_of(&t, &ticket).await.into_iter().last().unwrap();
    assert_eq!(pending["delivery"], "pending", "waits, not failed: {pending}");
    // An admin pastes the new token: active again, and the reply goes out.
    let r = t
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            &t.token,
            Some(json!({"settings": {"access_token": "EAAG-the-new-token-after-reconnecting"}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{id}")).await["status"], "active");
    t.eventually(20, || async {
        let m = messages_of(&t, &ticket).await.into_iter().last()?;
        (m["delivery"] == "sent").then_some(())
    })
    .await;
    assert_eq!(graph.sent().len(), 1, "sent once");
    // A rate limit is waited out (Retry-After), then sent; a refusal fails with Meta's words.
    graph.fail_next(GraphFailure {
        status: 429,
        code: 130429,
        subcode: None,
        message: "(#130429) Rate limit hit".into(),
        retry_after: Some(1),
    });
    t.post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "dos"})).await;
    t.eventually(20, || async {
        let m = messages_of(&t, &ticket).await.into_iter().last()?;
        (m["delivery"] == "sent").then_some(())
    })
    .await;
    graph.fail_next(GraphFailure {
        status: 400,
        code: 131026,
        subcode: None,
        message: "Message Undeliverable".into(),
        retry_after: None,
    });
    t.post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "tres"})).await;
    let m = t
        .eventually(20, || async {
            let m = messages_of(&t, &ticket).await.into_iter().last()?;
            (m["delivery"] == "failed").then_some(m)
        })
        .await;
    assert!(m["delivery_error"].as_str().unwrap().contains("131026"), "{m}");
    assert_eq!(graph.sent().len(), 2);
    t.stop().await;
}

#[tokio::test]
async fn free_replies_only_within_24_hours_of_the_clients_last_message() {
    use atiende_core::time::ManualClock;
    use std::sync::Arc;
    let graph = FakeGraph::start(TOKEN).await;
    let clock = Arc::new(ManualClock::new(1_750_000_000_000_000));
    let url = graph.url.clone();
    let t = atiende_testkit::spawn_app_with_clock(
        move |c| {
            c.app.meta.app_secret = SECRET.into();
            c.app.meta.graph.url = url;
        },
        clock.clone(),
    )
    .await;
    account(&t).await;
    assert_eq!(
        webhook(
            &t,
            &inbound(
                PHONE,
                "wamid.W",
                "56912345678",
                "Ana",
                json!({"type": "text", "text": {"body": "hola"}})
            ),
            None
        )
        .await,
        200
    );
    t.jobs_done("meta_webhook").await;
    let ticket = only_ticket(&t).await;
    clock.advance(23 * 3600 * 1_000_000);
    let r = t.post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "a tiempo"})).await;
    let s = r.status();
    assert_eq!(s, 201, "within the window: {} {:?}", r.text().await.unwrap(), messages_of(&t, &ticket).await);
    clock.advance(2 * 3600 * 1_000_000);
    let r = t.post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "tarde"})).await;
    let s = r.status();
    let b: Value = r.json().await.unwrap();
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (409, Some("text")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("template"), "{b}");
    // Outside it: one of the account's approved templates, synced from Meta.
    let tpl = |name: &str, status: &str, body: &str| {
        json!({"name": name, "language": "es", "status": status, "category": "UTILITY", "id": "1",
        "components": [{"type": "HEADER", "format": "TEXT", "text": "Aviso"}, {"type": "BODY", "text": body}]})
    };
    graph.templates(vec![
        tpl("pedido_listo", "APPROVED", "Hola {{1}}, tu pedido {{2}} está listo"),
        tpl("rechazada", "REJECTED", "x"),
        tpl("seguimiento", "APPROVED", "¿Podemos ayudarte en algo más?"),
    ]);
    let acc_id = ticket["account_id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/accounts/{acc_id}/whatsapp/templates/sync"), json!({})).await;
    let s = r.status();
    let b: Value = r.json().await.unwrap();
    assert_eq!((s.as_u16(), b["templates"].as_i64()), (200, Some(2)), "every page, approved only: {b}");
    let acc = t.get_json(&format!("/api/v1/accounts/{acc_id}")).await;
    assert_eq!(acc["settings"]["templates"][0]["name"], "pedido_listo", "{acc}");
    let path = format!("/api/v1/tickets/{}/messages", ticket["id"]);
    let send = |body: Value| t.post(&path, body);
    for (body, field) in [
        (
            json!({"template": {"name": "pedido_listo", "language": "es", "parameters": ["Ana"]}}),
            "template.parameters",
        ),
        (
            json!({"template": {"name": "pedido_listo", "language": "es", "parameters": ["Ana", " "]}}),
            "template.parameters[1]",
        ),
        (json!({"template": {"name": "rechazada", "language": "es", "parameters": []}}), "template.name"),
        (
            json!({"template": {"name": "pedido_listo", "language": "en", "parameters": ["Ana", "7"]}}),
            "template.name",
        ),
    ] {
        let r = send(body.clone()).await;
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["field"], field, "{body}: {b}");
    }
    let r = send(json!({"template": {"name": "pedido_listo", "language": "es", "parameters": ["Ana", "7"]}}))
        .await;
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["text"], "Hola Ana, tu pedido 7 está listo");
    t.eventually(10, || async { graph.sent().iter().any(|(_, b)| b["type"] == "template").then_some(()) })
        .await;
    let (_, body) = graph.sent().into_iter().find(|(_, b)| b["type"] == "template").unwrap();
    assert_eq!(body["template"]["name"], "pedido_listo");
    assert_eq!(body["template"]["components"][0]["parameters"][1]["text"], "7", "{body}");
    // Internal notes are not messages to the client: always possible.
    let r = t
        .post(&format!("/api/v1/tickets/{}/messages", ticket["id"]), json!({"text": "nota", "note": true}))
        .await;
    assert_eq!(r.status(), 201);
    t.stop().await;
}

#[tokio::test]
async fn the_options_screen_edits_templates_and_makes_the_click_to_chat_link() {
    let graph = FakeGraph::start(TOKEN).await;
    let t = app(&graph).await;
    let id = account(&t).await;
    let (cookie, csrf) = t.session("admin@acme.test").await;
    let form = |body: &str| {
        t.http
            .post(format!("{}/admin/accounts/{id}/settings/whatsapp", t.url))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={csrf}&phone_number_id={PHONE}&{body}"))
            .send()
    };
    // A template numbered with a gap is refused next to its field; nothing stored.
    let r = form("tpl_count=2&tpl_name_0=pedido_listo&tpl_language_0=es&tpl_text_0=Hola+%7B%7B2%7D%7D")
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("data-field=\"templates\""));
    let r = form("click_to_chat_phone=912345678&tpl_count=0").await.unwrap();
    assert_eq!(r.status(), 422, "a number without its country code");
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{id}")).await["settings"]["templates"], Value::Null);
    // Saved: the templates (empty rows skipped), the token kept, the link shown.
    let r = form("tpl_count=3&tpl_name_0=pedido_listo&tpl_language_0=es&tpl_text_0=Hola+%7B%7B1%7D%7D&tpl_name_1=&tpl_language_1=&tpl_text_1=&click_to_chat_phone=%2B56+9+1234+5678&click_to_chat_text=Hola%2C+quiero+info").await.unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let stored = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(
        stored["settings"]["templates"],
        json!([{"name": "pedido_listo", "language": "es", "text": "Hola {{1}}"}]),
        "{stored}"
    );
    assert!(stored["secrets_set"].to_string().contains("access_token"), "the token is kept: {stored}");
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
        html.contains("https://wa.me/56912345678?text=Hola%2C%20quiero%20info"),
        "the click-to-chat link"
    );
    let at = html.find("wa-ctc-snippet").unwrap();
    assert!(
        html[at..].contains("&#60;a href=&#34;https://wa.me/56912345678"),
        "and its snippet, shown as text: {}",
        &html[at..at + 300]
    );
    assert!(!html.contains("<a href=\"https://wa.me"), "never as a live link");
    t.stop().await;
}
