//! Facebook pages and Instagram accounts end to end through Meta's one webhook: Messenger and
//! Instagram Direct messages (named by the profile lookup, once by their `mid`), echoes of what
//! the page sent elsewhere ("made outside Atiende", never sent again), reads and deliveries,
//! public comments (no automatic replies, answered under the comment), comments removed or
//! edited on the network, and the messaging window (24 hours; 7 days with the HUMAN_AGENT tag)
//! — against the local Graph API of `atiende_testkit::graph`.
use atiende_testkit::graph::{FakeGraph, sign};
use atiende_testkit::{TestApp, spawn_app_with_clock};
use serde_json::{Value, json};
use std::sync::Arc;

const SECRET: &str = "meta-app-secret-for-tests";
const TOKEN: &str = "EAAG-page-token-for-tests-000001";
const PAGE: &str = "682498302938465";
const IG: &str = "17841405726653026";
const PSID: &str = "6780462125377510";

async fn start() -> (FakeGraph, TestApp, Arc<atiende_core::time::ManualClock>) {
    let graph = FakeGraph::start(TOKEN).await;
    let url = graph.url.clone();
    let clock = Arc::new(atiende_core::time::ManualClock::new(1_800_000_000_000_000));
    let t = spawn_app_with_clock(
        move |c| {
            c.app.meta.app_secret = SECRET.into();
            c.app.meta.graph.url = url;
        },
        clock.clone(),
    )
    .await;
    (graph, t, clock)
}

async fn webhook(t: &TestApp, body: &Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let r = t
        .http
        .post(format!("{}/webhooks/meta", t.url))
        .header("x-hub-signature-256", sign(SECRET, &raw))
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.jobs_done("meta_webhook").await;
}

fn dm(object: &str, owner: &str, person: &str, mid: &str, text: &str, ms: i64) -> Value {
    json!({"object": object, "entry": [{"id": owner, "time": ms, "messaging": [{
        "sender": {"id": person}, "recipient": {"id": owner}, "timestamp": ms, "message": {"mid": mid, "text": text}}]}]})
}

fn page_event(event: Value) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [event]}]})
}

fn comment(verb: &str, comment_id: &str, parent: &str, from: &str, name: &str, text: &str) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1800000000, "changes": [{"field": "feed", "value": {
        "from": {"id": from, "name": name}, "item": "comment", "verb": verb, "comment_id": comment_id,
        "post_id": format!("{PAGE}_111"), "parent_id": parent, "created_time": 1800000000, "message": text}}]}]})
}

async fn tickets(t: &TestApp) -> Vec<Value> {
    t.get_json("/api/v1/tickets").await["items"].as_array().unwrap().clone()
}

async fn messages(t: &TestApp, ticket: i64) -> Vec<Value> {
    t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await["items"].as_array().unwrap().clone()
}

async fn sent(t: &TestApp, ticket: i64) -> Value {
    t.eventually(10, || async {
        let m = messages(t, ticket).await.into_iter().last()?;
        (m["delivery"] == "sent" || m["delivery"] == "failed").then_some(m)
    })
    .await
}

#[tokio::test]
async fn messenger_conversations_and_page_comments() {
    let (graph, t, clock) = start().await;
    let r = t
        .post(
            "/api/v1/accounts",
            json!({"kind": "facebook", "name": "Página Tienda", "settings": {
            "page_id": PAGE, "page_access_token": TOKEN,
            "auto_actions": {"on_creation": {"enabled": true, "texts": ["¡Hola! Ya te atendemos."]}}}}),
        )
        .await;
    let s = r.status();
    let acc: Value = r.json().await.unwrap();
    assert_eq!(s, 201, "{acc}");
    assert!(!acc.to_string().contains(TOKEN), "the page token is never shown");
    let r = t.post("/api/v1/accounts", json!({"kind": "facebook", "name": "dup", "settings": {"page_id": PAGE, "page_access_token": TOKEN}})).await;
    assert_eq!(r.status(), 409);
    let r = t
        .post("/api/v1/accounts", json!({"kind": "facebook", "name": "x", "settings": {"page_id": "abc"}}))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "settings.page_id");

    // A private message, sent twice by Meta: one message, named by the profile lookup, and
    // the automatic reply for a new ticket.
    graph.profile(PSID, json!({"name": "Ana Pérez", "id": PSID}));
    let hello = dm("page", PAGE, PSID, "m_HELLO", "¿Tienen envío a regiones?", 1_800_000_000_000);
    webhook(&t, &hello).await;
    webhook(&t, &hello).await;
    let list = tickets(&t).await;
    assert_eq!(list.len(), 1);
    let dm_ticket = list[0]["id"].as_i64().unwrap();
    let client = t.get_json(&format!("/api/v1/clients/{}", list[0]["client_id"])).await;
    assert_eq!(client["name"], "Ana Pérez", "{client}");
    let auto = sent(&t, dm_ticket).await;
    assert_eq!(auto["author_kind"], "automatic", "a private message gets the automatic reply");
    let (to, body) = graph.sent().pop().unwrap();
    assert_eq!(to, PAGE);
    assert_eq!(body["recipient"]["id"], PSID);
    assert_eq!(body["messaging_type"], "RESPONSE");
    // The agent answers; Meta reports delivered, then read (a watermark).
    t.post(&format!("/api/v1/tickets/{dm_ticket}/messages"), json!({"text": "Sí, a todo Chile."})).await;
    let reply = sent(&t, dm_ticket).await;
    assert_eq!(reply["delivery"], "sent");
    let mid = reply["external_id"].as_str().unwrap().to_string();
    webhook(&t, &page_event(json!({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "delivery": {"mids": [mid], "watermark": 1}}))).await;
    assert_eq!(messages(&t, dm_ticket).await.last().unwrap()["delivery"], "delivered");
    let far = 4_000_000_000_000i64;
    webhook(&t, &page_event(json!({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": far, "read": {"watermark": far}}))).await;
    assert_eq!(messages(&t, dm_ticket).await.last().unwrap()["delivery"], "read");
    // Echoes: ours is not kept twice; one written in the page's inbox is kept, marked, and
    // never sent.
    let echo = |mid: &str, text: &str| {
        page_event(json!({"sender": {"id": PAGE}, "recipient": {"id": PSID}, "timestamp": 1,
        "message": {"is_echo": true, "app_id": 1517776481860111u64, "mid": mid, "text": text}}))
    };
    webhook(&t, &echo(&mid, "Sí, a todo Chile.")).await;
    webhook(&t, &echo("m_FROM_INBOX", "Te escribo desde Business Suite")).await;
    webhook(&t, &echo("m_FROM_INBOX", "Te escribo desde Business Suite")).await;
    let msgs = messages(&t, dm_ticket).await;
    assert_eq!(msgs.iter().filter(|m| m["text"] == "Sí, a todo Chile.").count(), 1);
    let outside: Vec<_> = msgs.iter().filter(|m| m["external_id"] == "m_FROM_INBOX").collect();
    assert_eq!(outside.len(), 1, "{msgs:?}");
    assert_eq!(outside[0]["delivery"], Value::Null, "never sent by Atiende");
    let sends = graph.sent().len();

    // A public comment: its own client's ticket, no automatic reply, answered under it.
    webhook(&t, &comment("add", "111_900", &format!("{PAGE}_111"), "2220987654", "Jane Ñandú", "¿Precio?"))
        .await;
    let list = tickets(&t).await;
    let c_ticket = list.iter().find(|x| x["id"] != dm_ticket).unwrap()["id"].as_i64().unwrap();
    let msgs = messages(&t, c_ticket).await;
    assert_eq!(msgs.len(), 1, "no automatic reply to a public comment: {msgs:?}");
    t.post(&format!("/api/v1/tickets/{c_ticket}/messages"), json!({"text": "$9.990, con envío gratis."}))
        .await;
    sent(&t, c_ticket).await;
    let (edge, body) = graph.sent().pop().unwrap();
    assert_eq!(
        (edge.as_str(), body["message"].as_str()),
        ("111_900/comments", Some("$9.990, con envío gratis."))
    );
    assert_eq!(graph.sent().len(), sends + 1);
    // Answered privately instead: one message to the commenter's inbox (recipient.comment_id).
    let r = t
        .post(
            &format!("/api/v1/tickets/{c_ticket}/messages"),
            json!({"text": "Te escribimos por interno 🙂", "private": true}),
        )
        .await;
    assert_eq!(r.status(), 201);
    sent(&t, c_ticket).await;
    let (to, body) = graph.sent().pop().unwrap();
    assert_eq!((to.as_str(), body["recipient"]["comment_id"].as_str()), (PAGE, Some("111_900")), "{body}");
    let r =
        t.post(&format!("/api/v1/tickets/{dm_ticket}/messages"), json!({"text": "x", "private": true})).await;
    assert_eq!(r.status(), 409, "a private message's ticket has no comment to answer privately");
    // A reply to a reply is posted under the thread's first comment (one level on Facebook).
    webhook(&t, &comment("add", "111_901", "111_900", "2220987654", "Jane Ñandú", "¿Y a Arica?")).await;
    t.post(&format!("/api/v1/tickets/{c_ticket}/messages"), json!({"text": "También."})).await;
    sent(&t, c_ticket).await;
    assert_eq!(graph.sent().pop().unwrap().0, "111_900/comments");
    // Edited, then removed on Facebook: the text follows, then the flag.
    webhook(
        &t,
        &comment(
            "edited",
            "111_900",
            &format!("{PAGE}_111"),
            "2220987654",
            "Jane Ñandú",
            "¿Precio con envío?",
        ),
    )
    .await;
    let first = messages(&t, c_ticket).await.into_iter().next().unwrap();
    assert_eq!(first["text"], "¿Precio con envío?");
    webhook(&t, &comment("remove", "111_900", &format!("{PAGE}_111"), "2220987654", "Jane Ñandú", "")).await;
    let first = messages(&t, c_ticket).await.into_iter().next().unwrap();
    assert_eq!(first["facebook"]["network"], "deleted", "{first}");
    // The page's own comment (our reply coming back) is not a client's.
    webhook(&t, &comment("add", "111_902", "111_900", PAGE, "Página Tienda", "También.")).await;
    assert_eq!(messages(&t, c_ticket).await.len(), 5, "2 comments + 3 replies, nothing for the page's own");

    // The messaging window: after 24 hours a reply fails with the reason; with the
    // HUMAN_AGENT tag turned on it goes out tagged, until 7 days.
    clock.advance(30 * 3600 * 1_000_000);
    t.post(&format!("/api/v1/tickets/{dm_ticket}/messages"), json!({"text": "¿Seguimos?"})).await;
    let late = sent(&t, dm_ticket).await;
    assert_eq!(late["delivery"], "failed");
    assert!(late["delivery_error"].as_str().unwrap().contains("24 hours"), "{late}");
    let id = acc["id"].as_i64().unwrap();
    t.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/accounts/{id}"),
        &t.token,
        Some(json!({"settings": {"human_agent_tag": true}})),
    )
    .await;
    t.post(
        &format!("/api/v1/tickets/{dm_ticket}/messages"),
        json!({"text": "Te escribe una persona del equipo."}),
    )
    .await;
    let tagged = sent(&t, dm_ticket).await;
    assert_eq!(tagged["delivery"], "sent", "{tagged}");
    let (_, body) = graph.sent().pop().unwrap();
    assert_eq!(
        (body["messaging_type"].as_str(), body["tag"].as_str()),
        (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
    );
    t.stop().await;
}

#[tokio::test]
async fn instagram_direct_and_comments() {
    let (graph, t, _clock) = start().await;
    let r = t
        .post(
            "/api/v1/accounts",
            json!({"kind": "instagram", "name": "IG Tienda", "settings": {
            "instagram_account_id": IG, "page_id": PAGE, "page_access_token": TOKEN}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = t
        .post("/api/v1/accounts", json!({"kind": "instagram", "name": "x", "settings": {"page_id": PAGE}}))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "settings.instagram_account_id");
    graph.profile("99887766", json!({"name": "Camila Rojas", "username": "camila.rojas", "id": "99887766"}));
    webhook(&t, &dm("instagram", IG, "99887766", "aWdf_1", "¿Tienen la talla 38?", 1_800_000_000_000)).await;
    let list = tickets(&t).await;
    let ticket = list[0]["id"].as_i64().unwrap();
    let client = t.get_json(&format!("/api/v1/clients/{}", list[0]["client_id"])).await;
    assert_eq!(client["name"], "Camila Rojas");
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "¡Sí!"})).await;
    sent(&t, ticket).await;
    let (to, body) = graph.sent().pop().unwrap();
    assert_eq!((to.as_str(), body["recipient"]["id"].as_str()), (PAGE, Some("99887766")));
    // The person takes the message back: flagged deleted on the network.
    webhook(&t, &json!({"object": "instagram", "entry": [{"id": IG, "time": 1, "messaging": [{"sender": {"id": "99887766"},
        "recipient": {"id": IG}, "timestamp": 1, "message": {"mid": "aWdf_1", "is_deleted": true}}]}]})).await;
    let first = messages(&t, ticket).await.into_iter().next().unwrap();
    assert_eq!(first["instagram"]["network"], "deleted", "{first}");
    // A comment on a post, sent flat (Instagram Login's shape): answered with /replies.
    webhook(&t, &json!({"object": "instagram", "entry": [{"id": IG, "time": 1, "field": "comments", "value": {
        "id": "17865799348089039", "from": {"id": "55443322", "username": "otro.cliente"}, "text": "¿Precio? 😍",
        "media": {"id": "17918195224117851", "media_product_type": "FEED"}}}]})).await;
    let list = tickets(&t).await;
    let c = list.iter().find(|x| x["id"].as_i64() != Some(ticket)).unwrap();
    let client = t.get_json(&format!("/api/v1/clients/{}", c["client_id"])).await;
    assert_eq!(client["name"], "otro.cliente");
    t.post(&format!("/api/v1/tickets/{}/messages", c["id"]), json!({"text": "Te escribimos por DM 🙂"}))
        .await;
    sent(&t, c["id"].as_i64().unwrap()).await;
    let (edge, _) = graph.sent().pop().unwrap();
    assert_eq!(edge, "17865799348089039/replies", "the replies edge of the comment");
    // A mention in a comment: its text read from the Graph API, answered where it was made.
    graph.profile(IG, json!({"id": IG, "mentioned_comment": {"id": "17894227972186120", "text": "@tienda ¿tienen tienda física?",
        "username": "mencion.cl", "timestamp": "2027-01-01T10:00:00+0000"}}));
    webhook(&t, &json!({"object": "instagram", "entry": [{"id": IG, "time": 1520622968, "changes": [{"field": "mentions",
        "value": {"comment_id": "17894227972186120", "media_id": "17918195224117851"}}]}]})).await;
    let list = tickets(&t).await;
    let m = list
        .iter()
        .find(|x| x["excerpt"].as_str().unwrap_or("").contains("tienda física"))
        .expect("the mention's ticket");
    let client = t.get_json(&format!("/api/v1/clients/{}", m["client_id"])).await;
    assert_eq!(client["name"], "mencion.cl");
    t.post(&format!("/api/v1/tickets/{}/messages", m["id"]), json!({"text": "¡Sí! En Providencia."})).await;
    sent(&t, m["id"].as_i64().unwrap()).await;
    let (edge, body) = graph.sent().pop().unwrap();
    assert_eq!(
        (edge, body["comment_id"].as_str()),
        (format!("{IG}/mentions"), Some("17894227972186120")),
        "{body}"
    );
    t.stop().await;
}

#[tokio::test]
async fn new_posts_and_only_admins_publish() {
    let (graph, t, _clock) = start().await;
    let acc: Value = t
        .post("/api/v1/accounts", json!({"kind": "facebook", "name": "Página", "settings": {"page_id": PAGE, "page_access_token": TOKEN}}))
        .await
        .json()
        .await
        .unwrap();
    let id = acc["id"].as_i64().unwrap();
    let agent = t.user("Acme", "beto@acme.test", &["agent"]).await;
    let analyst = t.user("Acme", "carla@acme.test", &["analyst"]).await;
    let path = format!("/api/v1/accounts/{id}/posts");
    let post = |who: String, text: &'static str| {
        let path = path.clone();
        let t = &t;
        async move { t.call(reqwest::Method::POST, &path, &who, Some(json!({"message": text}))).await }
    };
    let r = post(agent.clone(), "¡Nueva colección de invierno! ❄️").await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert!(b["id"].as_str().unwrap().starts_with(PAGE), "{b}");
    let (edge, body) = graph.sent().pop().unwrap();
    assert_eq!(
        (edge, body["message"].as_str()),
        (format!("{PAGE}/feed"), Some("¡Nueva colección de invierno! ❄️"))
    );
    assert_eq!(post(analyst.clone(), "x").await.status(), 403, "analysts only read");
    let r = post(t.token.clone(), "   ").await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "message");
    // "Only admins publish": agents get 403, admins publish.
    t.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/accounts/{id}"),
        &t.token,
        Some(json!({"settings": {"general": {"admins_only_posts": true}}})),
    )
    .await;
    let r = post(agent.clone(), "otra").await;
    assert_eq!(r.status(), 403);
    assert_eq!(graph.sent().len(), 1, "nothing sent for the refused post");
    assert_eq!(post(t.token.clone(), "Publicación de la administración").await.status(), 201);
    // Meta refusing: its reason, and an expired token flags the account.
    graph.fail_next(atiende_testkit::graph::GraphFailure {
        status: 400,
        code: 506,
        subcode: None,
        message: "Duplicate status message".into(),
        retry_after: None,
    });
    let r = post(t.token.clone(), "Publicación de la administración").await;
    assert_eq!(r.status(), 409);
    assert!(r.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().contains("Duplicate"));
    graph.set_token("another-token-now");
    assert_eq!(post(t.token.clone(), "x").await.status(), 409);
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{id}")).await["status"], "needs_reconnection");
    t.stop().await;
}

#[tokio::test]
async fn the_new_post_screen_follows_who_may_publish() {
    let (graph, t, _clock) = start().await;
    let acc: Value = t
        .post("/api/v1/accounts", json!({"kind": "facebook", "name": "Página Ñandú", "settings": {"page_id": PAGE, "page_access_token": TOKEN}}))
        .await
        .json()
        .await
        .unwrap();
    t.user("Acme", "beto@acme.test", &["agent"]).await;
    let (cookie, csrf) = t.session("beto@acme.test").await;
    let page = |path: &str| t.http.get(format!("{}{path}", t.url)).header("cookie", &cookie).send();
    let board = page("/").await.unwrap().text().await.unwrap();
    assert!(board.contains("id=\"nav-publish\""), "an agent may publish: the link shows");
    let r = t
        .http
        .post(format!("{}/publish", t.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&account_id={}&message=Hola+a+todos", acc["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"published\""));
    assert_eq!(graph.sent().len(), 1);
    // Only admins publish: the link and the page's choice disappear for the agent.
    let id = acc["id"].as_i64().unwrap();
    t.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/accounts/{id}"),
        &t.token,
        Some(json!({"settings": {"general": {"admins_only_posts": true}}})),
    )
    .await;
    let board = page("/").await.unwrap().text().await.unwrap();
    assert!(!board.contains("id=\"nav-publish\""), "hidden from agents");
    let screen = page("/publish").await.unwrap().text().await.unwrap();
    assert!(!screen.contains("Página Ñandú"), "the page is not offered");
    t.stop().await;
}

#[tokio::test]
async fn view_context_shows_the_post_and_its_comments_in_order() {
    let (graph, t, _clock) = start().await;
    t.post("/api/v1/accounts", json!({"kind": "facebook", "name": "Página", "settings": {"page_id": PAGE, "page_access_token": TOKEN}})).await;
    webhook(&t, &comment("add", "111_900", &format!("{PAGE}_111"), "2220987654", "Jane", "¿Precio?")).await;
    let ticket = tickets(&t).await[0]["id"].as_i64().unwrap();
    let mid = messages(&t, ticket).await[0]["id"].as_i64().unwrap();
    // Meta does not know the post (yet): what is kept here, and why.
    let ctx = t.get_json(&format!("/api/v1/messages/{mid}/context")).await;
    assert_eq!(ctx["source"], "stored", "{ctx}");
    assert_eq!(ctx["comments"][0]["this"], true);
    graph.post(&format!("{PAGE}_111"), json!({"id": format!("{PAGE}_111"), "message": "Nueva colección de invierno ❄️",
        "created_time": "2027-01-15T12:00:00+0000", "from": {"name": "Página", "id": PAGE}, "permalink_url": "https://www.facebook.com/682498302938465/posts/111"}),
        vec![
            json!({"id": "111_899", "message": "¡Qué lindo!", "from": {"name": "Otro", "id": "3"}, "created_time": "2027-01-15T12:01:00+0000"}),
            json!({"id": "111_900", "message": "¿Precio?", "from": {"name": "Jane", "id": "2220987654"}, "created_time": "2027-01-15T12:02:00+0000"}),
            json!({"id": "111_903", "message": "$9.990", "from": {"name": "Página", "id": PAGE}, "created_time": "2027-01-15T12:03:00+0000", "parent": {"id": "111_900"}}),
        ]);
    let ctx = t.get_json(&format!("/api/v1/messages/{mid}/context")).await;
    assert_eq!(ctx["source"], "graph", "{ctx}");
    assert_eq!(ctx["post"]["text"], "Nueva colección de invierno ❄️");
    let ids: Vec<&str> =
        ctx["comments"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["111_899", "111_900", "111_903"], "every page, in order");
    assert_eq!(ctx["comments"][1]["this"], true);
    // The screen, from the ticket's link.
    let (cookie, _) = t.session("admin@acme.test").await;
    let html = t
        .http
        .get(format!("{}/tickets/{ticket}", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/messages/{mid}/context\"")),
        "the ticket links its comment's context"
    );
    let html = t
        .http
        .get(format!("{}/messages/{mid}/context", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nueva colección de invierno") && html.contains("aria-current=\"true\""), "{html}");
    // Ticket creation off for this post: later comments are kept, in ignored tickets.
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/messages/{mid}/post-tickets"),
            &t.token,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(t.get_json(&format!("/api/v1/messages/{mid}/context")).await["tickets"], false);
    webhook(&t, &comment("add", "111_950", &format!("{PAGE}_111"), "5550001", "Concursante", "¡Participo!"))
        .await;
    let quiet = tickets(&t).await;
    let contest = t.get_json("/api/v1/tickets?state=ignored").await["items"].as_array().unwrap().clone();
    assert_eq!(contest.len(), 1, "kept, ignored: {contest:?} {quiet:?}");
    let html = t
        .http
        .get(format!("{}/messages/{mid}/context", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"post-tickets\"") && html.contains("no crean tickets"),
        "the setting shows on the post"
    );
    let agent = t.user("Acme", "beto@acme.test", &["agent"]).await;
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/messages/{mid}/post-tickets"),
            &agent,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status(), 403, "admins only");
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/messages/{mid}/post-tickets"),
            &t.token,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status(), 204);
    webhook(&t, &comment("add", "111_951", &format!("{PAGE}_111"), "5550002", "Otra", "¿Y yo?")).await;
    assert_eq!(
        t.get_json("/api/v1/tickets?state=ignored").await["items"].as_array().unwrap().len(),
        1,
        "on again: a ticket to work"
    );
    // A private message has no context.
    webhook(&t, &dm("page", PAGE, PSID, "m_X", "hola", 1_800_000_000_000)).await;
    let other = tickets(&t).await.into_iter().find(|x| x["id"].as_i64() != Some(ticket)).unwrap();
    let dm_id = messages(&t, other["id"].as_i64().unwrap()).await[0]["id"].as_i64().unwrap();
    let r = t.call(reqwest::Method::GET, &format!("/api/v1/messages/{dm_id}/context"), &t.token, None).await;
    assert_eq!(r.status(), 409);
    t.stop().await;
}
