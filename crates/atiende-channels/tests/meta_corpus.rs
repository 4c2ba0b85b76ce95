//! The WhatsApp webhook corpus (`tests/corpus/meta/whatsapp/`): payloads written from Meta's
//! WhatsApp Cloud API webhook reference (every message type, statuses, errors, the shapes
//! Meta announced for users without a visible number), each parsed and compared with the
//! messages and statuses it must give. Every mismatch is reported together.
use atiende_channels::meta::{entries, whatsapp};
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/meta/whatsapp"))
}

fn check(name: &str, case: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let body = serde_json::to_vec(&case["body"]).unwrap();
    let mut messages = Vec::new();
    let mut statuses = Vec::new();
    for e in entries(&body).unwrap() {
        let c = whatsapp::parse_entry(&e.body);
        messages.extend(c.messages);
        statuses.extend(c.statuses);
    }
    let want = &case["expect"];
    if let Some(list) = want["messages"].as_array() {
        if list.len() != messages.len() {
            bad.push(format!("{name}: {} messages, expected {}", messages.len(), list.len()));
        }
        for (w, m) in list.iter().zip(&messages) {
            let got = serde_json::json!({
                "from": m.from, "name": m.name, "id": m.id, "kind": m.kind, "text": m.text, "timestamp": m.timestamp,
                "media_id": m.media.as_ref().map(|x| &x.id), "media_type": m.media.as_ref().map(|x| &x.mime_type),
                "media_filename": m.media.as_ref().and_then(|x| x.filename.as_ref()),
                "replying_to": m.replying_to, "phone_number_id": m.phone_number_id,
            });
            for (k, v) in w.as_object().unwrap() {
                if &got[k] != v {
                    bad.push(format!("{name}: {k} is {}, expected {v}", got[k]));
                }
            }
        }
    }
    if let Some(list) = want["statuses"].as_array() {
        if list.len() != statuses.len() {
            bad.push(format!("{name}: {} statuses, expected {}", statuses.len(), list.len()));
        }
        for (w, s) in list.iter().zip(&statuses) {
            if w["id"] != s.id.as_str() || w["status"] != s.status.as_str() {
                bad.push(format!("{name}: status {} {}, expected {w}", s.id, s.status));
            }
            if let Some(part) = w["error_contains"].as_str()
                && !s.error.as_deref().unwrap_or("").contains(part)
            {
                bad.push(format!("{name}: error {:?} lacks {part:?}", s.error));
            }
        }
    }
    bad
}

#[test]
fn every_whatsapp_payload_of_the_corpus() {
    let mut files: Vec<_> = std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus is there");
    let mut bad = Vec::new();
    for f in files {
        let case: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        bad.extend(check(&f.file_name().unwrap().to_string_lossy(), &case));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn envelopes_that_are_not_webhooks_are_refused_clearly() {
    assert!(entries(b"not json").unwrap_err().contains("not JSON"));
    assert!(entries(br#"{"entry": []}"#).unwrap_err().contains("object"));
    assert!(entries(br#"{"object": "page"}"#).unwrap_err().contains("entry"));
    assert_eq!(entries(br#"{"object": "page", "entry": [{"id": 42}]}"#).unwrap()[0].id, "42");
    // Whatever else an entry holds, parsing gives what it can and never panics.
    for junk in [
        r#"{"changes": 5}"#,
        r#"{"changes": [{"field": "messages", "value": []}]}"#,
        r#"{"changes": [{"field": "messages", "value": {"messages": [1, null, {"from": 5}]}}]}"#,
    ] {
        let c = whatsapp::parse_entry(&serde_json::from_str(junk).unwrap());
        assert!(c.messages.is_empty() && c.statuses.is_empty(), "{junk}");
    }
}

/// An event as the corpus writes it.
fn event_json(e: &atiende_channels::meta::messenger::Event) -> Value {
    use atiende_channels::meta::messenger::Event::*;
    match e {
        Message { owner, person, mid, text, attachments, reply_to, timestamp, echo, app_id, deleted } => {
            serde_json::json!({
            "type": "message", "owner": owner, "person": person, "mid": mid, "text": text, "reply_to": reply_to,
            "timestamp": timestamp, "echo": echo, "app_id": app_id, "deleted": deleted,
            "attachments": attachments.iter().map(|a| serde_json::json!({"kind": a.kind, "url": a.url})).collect::<Vec<_>>()})
        }
        Postback { owner, person, mid, title, payload, timestamp } => serde_json::json!({
            "type": "postback", "owner": owner, "person": person, "mid": mid, "title": title, "payload": payload, "timestamp": timestamp}),
        Read { owner, person, watermark, mid } => {
            serde_json::json!({"type": "read", "owner": owner, "person": person, "watermark": watermark, "mid": mid})
        }
        Delivery { owner, person, mids, watermark } => {
            serde_json::json!({"type": "delivery", "owner": owner, "person": person, "mids": mids, "watermark": watermark})
        }
        Comment { owner, verb, comment_id, post_id, parent_id, from_id, from_name, text, created_time } => {
            serde_json::json!({
            "type": "comment", "owner": owner, "verb": verb, "comment_id": comment_id, "post_id": post_id, "parent_id": parent_id,
            "from_id": from_id, "from_name": from_name, "text": text, "created_time": created_time})
        }
        Mention { owner, media_id, comment_id } => {
            serde_json::json!({"type": "mention", "owner": owner, "media_id": media_id, "comment_id": comment_id})
        }
    }
}

#[test]
fn every_page_and_instagram_payload_of_the_corpus() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/meta/pages"));
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 18);
    let mut bad = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let case: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let body = serde_json::to_vec(&case["body"]).unwrap();
        let events: Vec<Value> = entries(&body)
            .unwrap()
            .iter()
            .flat_map(|e| atiende_channels::meta::messenger::parse_entry(&e.object, &e.body))
            .map(|e| event_json(&e))
            .collect();
        let want = case["expect"].as_array().unwrap();
        if want.len() != events.len() {
            bad.push(format!("{name}: {} events, expected {}: {events:?}", events.len(), want.len()));
            continue;
        }
        for (w, got) in want.iter().zip(&events) {
            for (k, v) in w.as_object().unwrap() {
                if &got[k] != v {
                    bad.push(format!("{name}: {k} is {}, expected {v}", got[k]));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
