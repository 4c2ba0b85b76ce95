//! Facebook pages and Instagram accounts: the `page` and `instagram` webhooks' events —
//! private messages in `entry[].messaging[]` (Messenger and Instagram Direct: messages,
//! echoes of what the page sent, postbacks, reads, deliveries) and public comments in
//! `entry[].changes[]` (a page's `feed`; Instagram's `comments` and `mentions`, which Meta
//! also sends flat as `entry.field` / `entry.value`) — and the bodies of the Send API and of
//! comment replies. Parsing never fails on what it does not know: it is skipped.
use serde_json::{Value, json};

/// A file a private message carries (`attachments[].payload.url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub kind: String,
    pub url: Option<String>,
}

/// One event of a page or an Instagram account.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A private message: from a person, or (`echo`) sent by the page from anywhere.
    Message {
        /// The page's (or Instagram account's) id the entry is for.
        owner: String,
        /// The person (the page-scoped id: PSID, IGSID) — the recipient for an echo.
        person: String,
        mid: String,
        text: String,
        attachments: Vec<Attachment>,
        reply_to: Option<String>,
        /// Milliseconds since the epoch.
        timestamp: Option<i64>,
        echo: bool,
        /// The app that sent an echo (ours, another one, or none for the page's inbox).
        app_id: Option<String>,
        /// The person took it back (Instagram's `is_deleted`).
        deleted: bool,
    },
    /// A button the person pressed (its title is what they "said").
    Postback {
        owner: String,
        person: String,
        mid: Option<String>,
        title: String,
        payload: String,
        timestamp: Option<i64>,
    },
    /// The person read everything up to `watermark` (Messenger) or message `mid` (Instagram).
    Read { owner: String, person: String, watermark: Option<i64>, mid: Option<String> },
    /// Messages delivered to the person.
    Delivery { owner: String, person: String, mids: Vec<String>, watermark: Option<i64> },
    /// A public comment (page feed, Instagram media).
    Comment {
        owner: String,
        /// `add`, `edited`, `remove`, `hide`, `unhide`…
        verb: String,
        comment_id: String,
        /// The post (page feed) or media (Instagram) it is on.
        post_id: String,
        /// The comment it answers, when it answers one (else the post).
        parent_id: Option<String>,
        from_id: Option<String>,
        from_name: Option<String>,
        text: String,
        /// Seconds since the epoch.
        created_time: Option<i64>,
    },
    /// The Instagram account was mentioned in a comment or a caption (the text is fetched).
    Mention { owner: String, media_id: String, comment_id: Option<String> },
}

fn s(v: &Value) -> Option<String> {
    match v {
        Value::String(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// Reads one entry of a `page` or `instagram` webhook.
pub fn parse_entry(object: &str, entry: &Value) -> Vec<Event> {
    let owner = s(&entry["id"]).unwrap_or_default();
    let mut out = Vec::new();
    // Events for an app that is not the conversation's owner (handover protocol) come in
    // `standby`; they are the same events.
    for list in ["messaging", "standby"] {
        for e in entry[list].as_array().into_iter().flatten() {
            if let Some(ev) = messaging(&owner, e) {
                out.push(ev);
            }
        }
    }
    let flat = entry.get("field").map(|f| json!([{"field": f, "value": entry["value"]}]));
    let changes = flat.as_ref().or(entry.get("changes"));
    for c in changes.and_then(Value::as_array).into_iter().flatten() {
        if let Some(ev) = change(object, &owner, &c["field"], &c["value"]) {
            out.push(ev);
        }
    }
    out
}

fn messaging(owner: &str, e: &Value) -> Option<Event> {
    let sender = s(&e["sender"]["id"]);
    let recipient = s(&e["recipient"]["id"]);
    let timestamp = int(&e["timestamp"]);
    if let Some(m) = e.get("message").filter(|m| m.is_object()) {
        let echo = m["is_echo"].as_bool() == Some(true);
        let person = if echo { recipient } else { sender }?;
        let attachments = m["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| Attachment {
                kind: s(&a["type"]).unwrap_or_else(|| "file".into()),
                url: s(&a["payload"]["url"]),
            })
            .collect();
        return Some(Event::Message {
            owner: owner.to_string(),
            person,
            mid: s(&m["mid"])?,
            text: m["text"].as_str().unwrap_or("").to_string(),
            attachments,
            reply_to: s(&m["reply_to"]["mid"]),
            timestamp,
            echo,
            app_id: s(&m["app_id"]),
            deleted: m["is_deleted"].as_bool() == Some(true),
        });
    }
    if let Some(p) = e.get("postback").filter(|p| p.is_object()) {
        return Some(Event::Postback {
            owner: owner.to_string(),
            person: sender?,
            mid: s(&p["mid"]),
            title: s(&p["title"]).or_else(|| s(&p["payload"])).unwrap_or_default(),
            payload: s(&p["payload"]).unwrap_or_default(),
            timestamp,
        });
    }
    if let Some(r) = e.get("read").filter(|r| r.is_object()) {
        return Some(Event::Read {
            owner: owner.to_string(),
            person: sender?,
            watermark: int(&r["watermark"]),
            mid: s(&r["mid"]),
        });
    }
    if let Some(d) = e.get("delivery").filter(|d| d.is_object()) {
        let mids = d["mids"].as_array().into_iter().flatten().filter_map(s).collect();
        return Some(Event::Delivery {
            owner: owner.to_string(),
            person: sender?,
            mids,
            watermark: int(&d["watermark"]),
        });
    }
    None
}

fn change(object: &str, owner: &str, field: &Value, v: &Value) -> Option<Event> {
    match (object, field.as_str()?) {
        ("page", "feed") => {
            if v["item"] != "comment" {
                return None;
            }
            let post_id = s(&v["post_id"])?;
            let parent = s(&v["parent_id"]).filter(|p| *p != post_id);
            Some(Event::Comment {
                owner: owner.to_string(),
                verb: s(&v["verb"]).unwrap_or_else(|| "add".into()),
                comment_id: s(&v["comment_id"])?,
                post_id,
                parent_id: parent,
                from_id: s(&v["from"]["id"]).or_else(|| s(&v["sender_id"])),
                from_name: s(&v["from"]["name"]).or_else(|| s(&v["sender_name"])),
                text: v["message"].as_str().unwrap_or("").to_string(),
                created_time: int(&v["created_time"]),
            })
        }
        ("instagram", "comments" | "live_comments") => Some(Event::Comment {
            owner: owner.to_string(),
            verb: "add".into(),
            comment_id: s(&v["id"]).or_else(|| s(&v["comment_id"]))?,
            post_id: s(&v["media"]["id"])?,
            parent_id: s(&v["parent_id"]),
            from_id: s(&v["from"]["id"]),
            from_name: s(&v["from"]["username"]),
            text: v["text"].as_str().unwrap_or("").to_string(),
            created_time: None,
        }),
        ("instagram", "mentions") => Some(Event::Mention {
            owner: owner.to_string(),
            media_id: s(&v["media_id"])?,
            comment_id: s(&v["comment_id"]),
        }),
        _ => None,
    }
}

/// The Send API's body: a reply inside the standard window (`RESPONSE`), or with the
/// `HUMAN_AGENT` tag (a person answering within 7 days of the person's last message).
pub fn send_body(person: &str, text: &str, human_agent: bool) -> Value {
    let mut v = json!({"recipient": {"id": person}, "messaging_type": "RESPONSE", "message": {"text": text}});
    if human_agent {
        v["messaging_type"] = json!("MESSAGE_TAG");
        v["tag"] = json!("HUMAN_AGENT");
    }
    v
}

/// A private reply to a public comment (one per comment, within 7 days of it).
pub fn private_reply_body(comment_id: &str, text: &str) -> Value {
    json!({"recipient": {"comment_id": comment_id}, "message": {"text": text}})
}

/// The id the Send API answers (`{recipient_id, message_id}`) or a comment reply (`{id}`).
pub fn sent_id(answer: &Value) -> Option<String> {
    s(&answer["message_id"]).or_else(|| s(&answer["id"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(
            send_body("P", "hola", false),
            json!({"recipient": {"id": "P"}, "messaging_type": "RESPONSE", "message": {"text": "hola"}})
        );
        let tagged = send_body("P", "hola", true);
        assert_eq!(
            (tagged["messaging_type"].as_str(), tagged["tag"].as_str()),
            (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
        );
        assert_eq!(sent_id(&json!({"recipient_id": "1", "message_id": "m_A"})).as_deref(), Some("m_A"));
        assert_eq!(sent_id(&json!({"id": "1_2"})).as_deref(), Some("1_2"));
    }
}
