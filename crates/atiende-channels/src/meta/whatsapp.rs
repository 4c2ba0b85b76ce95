//! The WhatsApp Cloud API's payloads: the `messages` field of a `whatsapp_business_account`
//! webhook (inbound messages of every type, and the delivery `statuses` of ours) and the
//! bodies of `POST /{version}/{phone-number-id}/messages` (text, media, templates). Parsing
//! never fails on a message it does not know: it is kept with its type, as "unsupported".
use serde_json::{Value, json};

/// A file a message carries, to fetch through the media endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: String,
    pub mime_type: String,
    pub filename: Option<String>,
}

/// One inbound WhatsApp message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The business number it was sent to.
    pub phone_number_id: String,
    /// The client's WhatsApp id (their phone number, digits).
    pub from: String,
    /// The profile name WhatsApp gives, when it gives one.
    pub name: Option<String>,
    /// `wamid.…`: the platform's id (deduplication).
    pub id: String,
    /// Seconds since the epoch.
    pub timestamp: Option<i64>,
    /// `text`, `image`, `location`, `interactive`, `reaction`…
    pub kind: String,
    /// What agents read: the text, caption, place, contact or chosen option.
    pub text: String,
    pub media: Option<Media>,
    /// The message this one answers (`context.id`), or the one a reaction is for.
    pub replying_to: Option<String>,
    /// The type's own details as WhatsApp sent them (location, contacts, interactive…).
    pub details: Value,
}

/// A delivery status of one of our messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub phone_number_id: String,
    /// The `wamid` our send answered.
    pub id: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: String,
    pub timestamp: Option<i64>,
    /// Why it failed (Meta's title, message and code).
    pub error: Option<String>,
}

/// What one `messages` change carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub messages: Vec<Message>,
    pub statuses: Vec<Status>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn opt(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn seconds(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// Reads an entry of a `whatsapp_business_account` webhook: each change of field `messages`.
pub fn parse_entry(entry: &Value) -> Change {
    let mut out = Change::default();
    for change in entry["changes"].as_array().into_iter().flatten() {
        if change["field"] != "messages" {
            continue;
        }
        let value = &change["value"];
        let phone_number_id = text(&value["metadata"]["phone_number_id"]);
        // (wa_id or, for users who only have a username, the business-scoped user_id; name)
        let names: Vec<(String, String)> = value["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| {
                let name = text(&c["profile"]["name"]);
                [opt(&c["wa_id"]), opt(&c["user_id"])].into_iter().flatten().map(move |id| (id, name.clone()))
            })
            .collect();
        for m in value["messages"].as_array().into_iter().flatten() {
            if let Some(msg) = message(&phone_number_id, &names, m) {
                out.messages.push(msg);
            }
        }
        for s in value["statuses"].as_array().into_iter().flatten() {
            let (Some(id), Some(status)) = (opt(&s["id"]), opt(&s["status"])) else { continue };
            let error = s["errors"].as_array().and_then(|l| l.first()).map(|e| {
                let title = e["title"].as_str().or(e["message"].as_str()).unwrap_or("failed");
                let details = e["error_data"]["details"].as_str().filter(|d| *d != title);
                let code = e["code"].as_i64().map(|c| format!(" (Meta error {c})")).unwrap_or_default();
                match details {
                    Some(d) => format!("{title}: {d}{code}"),
                    None => format!("{title}{code}"),
                }
            });
            out.statuses.push(Status {
                phone_number_id: phone_number_id.clone(),
                id,
                status,
                timestamp: seconds(&s["timestamp"]),
                error,
            });
        }
    }
    out
}

fn message(phone_number_id: &str, names: &[(String, String)], m: &Value) -> Option<Message> {
    // WhatsApp announced business-scoped user ids for users who hide their number.
    let from = opt(&m["from"]).or_else(|| opt(&m["from_user_id"]))?;
    let id = opt(&m["id"])?;
    let kind = opt(&m["type"]).unwrap_or_else(|| "unknown".into());
    let body = &m[kind.as_str()];
    let mut media = None;
    let mut replying_to = opt(&m["context"]["id"]);
    let text = match kind.as_str() {
        "text" => text(&body["body"]),
        "image" | "video" | "audio" | "document" | "sticker" => {
            media = opt(&body["id"]).map(|mid| Media {
                id: mid,
                mime_type: opt(&body["mime_type"]).unwrap_or_else(|| "application/octet-stream".into()),
                filename: opt(&body["filename"]),
            });
            text(&body["caption"])
        }
        "location" => {
            let coords = match (body["latitude"].as_f64(), body["longitude"].as_f64()) {
                (Some(lat), Some(lon)) => format!("{lat}, {lon}"),
                _ => String::new(),
            };
            [opt(&body["name"]), opt(&body["address"]), Some(coords).filter(|c| !c.is_empty())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }
        "contacts" => m["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let name = opt(&c["name"]["formatted_name"]).unwrap_or_default();
                let phones: Vec<String> =
                    c["phones"].as_array().into_iter().flatten().filter_map(|p| opt(&p["phone"])).collect();
                format!("{name} {}", phones.join(", ")).trim().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "interactive" => {
            let reply = &body[body["type"].as_str().unwrap_or("")];
            opt(&reply["title"]).unwrap_or_default()
        }
        "button" => opt(&body["text"]).or_else(|| opt(&body["payload"])).unwrap_or_default(),
        // "User … changed from … to …".
        "system" => text(&body["body"]),
        "reaction" => {
            replying_to = opt(&body["message_id"]);
            text(&body["emoji"])
        }
        _ => String::new(),
    };
    let details = match kind.as_str() {
        "contacts" => m["contacts"].clone(),
        "text" => Value::Null,
        _ => body.clone(),
    };
    let mut details = details;
    if let Some(errors) = m.get("errors") {
        details = json!({"type": kind, "errors": errors});
    }
    Some(Message {
        phone_number_id: phone_number_id.to_string(),
        name: names.iter().find(|(w, _)| *w == from).map(|(_, n)| n.clone()).filter(|n| !n.is_empty()),
        from,
        id,
        timestamp: seconds(&m["timestamp"]),
        kind,
        text,
        media,
        replying_to,
        details,
    })
}

/// The body of a text message to `to` (a WhatsApp id), optionally answering a message.
pub fn text_body(to: &str, body: &str, replying_to: Option<&str>) -> Value {
    let mut v = json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "text", "text": {"preview_url": false, "body": body},
    });
    if let Some(id) = replying_to {
        v["context"] = json!({"message_id": id});
    }
    v
}

/// The body of a media message sent by the id an upload gave (`kind`: image, document…).
pub fn media_body(
    to: &str,
    kind: &str,
    media_id: &str,
    caption: Option<&str>,
    filename: Option<&str>,
) -> Value {
    let mut m = json!({"id": media_id});
    // Audio and stickers take no caption.
    if let Some(c) = caption.filter(|c| !c.is_empty() && matches!(kind, "image" | "video" | "document")) {
        m["caption"] = json!(c);
    }
    if let Some(f) = filename.filter(|_| kind == "document") {
        m["filename"] = json!(f);
    }
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind, kind: m})
}

/// The body of a template message: its name, language and the body's numbered parameters
/// in order (`{{1}}`, `{{2}}`…).
pub fn template_body(to: &str, name: &str, language: &str, parameters: &[String]) -> Value {
    let mut template = json!({"name": name, "language": {"code": language}});
    if !parameters.is_empty() {
        let params: Vec<Value> = parameters.iter().map(|p| json!({"type": "text", "text": p})).collect();
        template["components"] = json!([{"type": "body", "parameters": params}]);
    }
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template", "template": template})
}

/// The kind of media message a file goes out as (by its type): image, video, audio, or a
/// document for anything else WhatsApp takes.
pub fn media_kind(content_type: &str) -> &'static str {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match ct.as_str() {
        "image/jpeg" | "image/png" => "image",
        "video/mp4" | "video/3gpp" => "video",
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => "audio",
        _ => "document",
    }
}

/// The multipart body of a media upload (`POST /{version}/{phone-number-id}/media`: the
/// fields `messaging_product=whatsapp`, `type` and the `file`), with its boundary.
pub fn upload_body(boundary: &str, filename: &str, content_type: &str, data: &[u8]) -> Vec<u8> {
    let safe: String =
        filename.chars().map(|c| if c == '"' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    let mut out = Vec::with_capacity(data.len() + 512);
    for (name, value) in [("messaging_product", "whatsapp"), ("type", content_type)] {
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// The `wamid` of a sent message, from the send endpoint's answer
/// (`{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}`).
pub fn sent_id(answer: &Value) -> Option<String> {
    opt(&answer["messages"][0]["id"])
}

/// The media endpoint's answer (`GET /{version}/{media-id}`): where to download the file,
/// its type and size.
pub fn media_info(answer: &Value) -> Option<(String, String, Option<u64>)> {
    // `file_size` comes as a string in Meta's examples, as a number in others.
    let size = seconds(&answer["file_size"]).and_then(|n| u64::try_from(n).ok());
    Some((opt(&answer["url"])?, opt(&answer["mime_type"]).unwrap_or_default(), size))
}

/// One page of `GET /{version}/{waba-id}/message_templates`: the approved templates whose
/// body is text (`{name, language, text}`; named-parameter and media-only ones are skipped),
/// and the next page's address (`paging.next`; absent at the end).
pub fn templates_page(answer: &Value) -> (Vec<Value>, Option<String>) {
    let list = answer["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["status"].as_str().is_none_or(|s| s.eq_ignore_ascii_case("approved")))
        .filter_map(|t| {
            let body = t["components"]
                .as_array()?
                .iter()
                .find(|c| c["type"].as_str().is_some_and(|k| k.eq_ignore_ascii_case("body")))?;
            let text = opt(&body["text"])?;
            Some(json!({"name": opt(&t["name"])?, "language": opt(&t["language"])?, "text": text}))
        })
        .collect();
    (list, opt(&answer["paging"]["next"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_pages() {
        let page = json!({"data": [
            {"name": "pedido_listo", "language": "es", "status": "APPROVED", "category": "UTILITY", "id": "1",
             "components": [{"type": "HEADER", "format": "TEXT", "text": "Pedido"}, {"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}} está listo"}]},
            {"name": "oferta", "language": "es", "status": "REJECTED", "components": [{"type": "BODY", "text": "x"}]},
            {"name": "solo_imagen", "language": "es", "status": "APPROVED", "components": [{"type": "HEADER", "format": "IMAGE"}]}],
            "paging": {"cursors": {"before": "A", "after": "B"}, "next": "https://graph.facebook.com/v24.0/1/message_templates?after=B"}});
        let (list, next) = templates_page(&page);
        assert_eq!(
            list,
            vec![
                json!({"name": "pedido_listo", "language": "es", "text": "Hola {{1}}, tu pedido {{2}} está listo"})
            ]
        );
        assert!(next.unwrap().ends_with("after=B"));
        assert_eq!(templates_page(&json!({"data": []})).1, None);
    }

    #[test]
    fn bodies_as_the_send_endpoint_takes_them() {
        let t = template_body("56912345678", "pedido_listo", "es", &["Ana".into(), "7".into()]);
        assert_eq!(t["template"]["components"][0]["parameters"][1], json!({"type": "text", "text": "7"}));
        assert_eq!(t["template"]["language"]["code"], "es");
        let m = text_body("56912345678", "hola", Some("wamid.X"));
        assert_eq!(m["context"]["message_id"], "wamid.X");
        let d = media_body("1", "document", "MID", Some("la factura"), Some("f.pdf"));
        assert_eq!(d["document"], json!({"id": "MID", "caption": "la factura", "filename": "f.pdf"}));
    }
}
