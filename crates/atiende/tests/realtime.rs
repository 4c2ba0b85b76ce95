//! The realtime event stream.
use atiende_testkit::{EventStream, spawn_app};
use serde_json::json;

#[tokio::test]
async fn inbound_messages_and_replies_reach_a_connected_client() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let mut events = EventStream::connect(&format!("{}/api/v1/events", t.url), &t.token, None).await;
    let (_, a) = t.inbound(acc, "m1", "ana", "hola en vivo").await;
    let (_, created) = events.next_of("ticket.created", 5).await.expect("ticket.created");
    assert_eq!(created["ticket_id"], a["ticket_id"]);
    let (id1, msg) = events.next_of("message.created", 5).await.expect("message.created");
    assert_eq!(msg["payload"]["message"]["text"], "hola en vivo");
    assert_eq!(msg["payload"]["ticket"]["awaiting_answer"], true);
    t.post(&format!("/api/v1/tickets/{}/close", a["ticket_id"]), json!({})).await;
    let (id2, closed) = events.next_of("ticket.closed", 5).await.expect("ticket.closed");
    assert_eq!(closed["payload"]["ticket"]["state"], "closed");
    assert!(id2 > id1);
    // Another organization sees none of it.
    let other = t.user("Globex", "boss@globex.test", &["admin"]).await;
    let mut theirs = EventStream::connect(&format!("{}/api/v1/events", t.url), &other, Some(0)).await;
    t.inbound(acc, "m2", "beto", "hola").await;
    assert!(theirs.next_of("message.created", 1).await.is_none());
}

#[tokio::test]
async fn a_reconnecting_client_receives_what_it_missed() {
    let t = spawn_app().await;
    let acc = t.api_account(json!({})).await;
    let mut first = EventStream::connect(&format!("{}/api/v1/events", t.url), &t.token, None).await;
    t.inbound(acc, "m1", "ana", "uno").await;
    let (last, _) = first.next_of("message.created", 5).await.unwrap();
    drop(first);
    t.inbound(acc, "m2", "ana", "dos").await;
    t.inbound(acc, "m3", "ana", "tres").await;
    let mut again = EventStream::connect(&format!("{}/api/v1/events", t.url), &t.token, Some(last)).await;
    let (_, a) = again.next_of("message.created", 5).await.unwrap();
    let (_, b) = again.next_of("message.created", 5).await.unwrap();
    assert_eq!(a["payload"]["message"]["text"], "dos");
    assert_eq!(b["payload"]["message"]["text"], "tres");
}
