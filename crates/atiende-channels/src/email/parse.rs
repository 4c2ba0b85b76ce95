//! Inbound MIME → the parts a ticket needs. Any byte string is accepted: broken
//! MIME yields what could be read (at worst the raw text), never a panic.
use super::sanitize::sanitize_html;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// Limits applied while parsing (from the server configuration).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest attachment whose bytes are kept; bigger ones are listed without content.
    pub max_attachment_bytes: usize,
    /// Most attachments kept per message.
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_attachment_bytes: 10 * 1024 * 1024, max_attachments: 50 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// `Content-ID` without angle brackets (inline images referenced as `cid:`).
    pub content_id: Option<String>,
    pub inline: bool,
    pub size: usize,
    /// `None` when the attachment was larger than the limit (listed, not kept).
    pub data: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct ParsedEmail {
    /// `Message-ID` without angle brackets; when missing, `sha256:` of the raw bytes so
    /// that the same message fetched twice is still recognised.
    pub message_id: String,
    pub has_message_id: bool,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// `Date:` as Unix seconds, when readable.
    pub date: Option<i64>,
    /// Plain text of the body (from the HTML when the message has no text part).
    pub text: String,
    /// Sanitized HTML body, when the message has one.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Sent by a program (auto-reply, bounce, list): never answered automatically (RFC 3834).
    pub automatic: bool,
    /// Header `X-Atiende-Validation` (forwarding validation mails).
    pub validation_token: Option<String>,
}

fn strip_id(s: &str) -> String {
    s.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

fn ids(v: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    let mut out: Vec<String> = match v {
        mail_parser::HeaderValue::Text(t) => t.split_whitespace().map(strip_id).collect(),
        mail_parser::HeaderValue::TextList(l) => {
            l.iter().flat_map(|t| t.split_whitespace().map(strip_id).collect::<Vec<_>>()).collect()
        }
        _ => Vec::new(),
    };
    out.retain(|s| !s.is_empty() && s.len() <= 998);
    out
}

fn mailboxes(a: Option<&mail_parser::Address<'_>>) -> Vec<Mailbox> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .filter_map(|m| {
            let address = m.address()?.trim().to_lowercase();
            if address.is_empty() {
                return None;
            }
            let name = m.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
            Some(Mailbox { name, address })
        })
        .collect()
}

/// Parses one raw message.
pub fn parse(raw: &[u8], limits: Limits) -> ParsedEmail {
    let digest = || format!("sha256:{}", hex::encode(Sha256::digest(raw)));
    let Some(msg) = MessageParser::default().parse(raw) else {
        // Not even headers: keep the bytes as text so nothing is lost.
        let text = String::from_utf8_lossy(raw).chars().take(100_000).collect();
        return ParsedEmail {
            message_id: digest(),
            has_message_id: false,
            in_reply_to: Vec::new(),
            references: Vec::new(),
            from: None,
            reply_to: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: String::new(),
            date: None,
            text,
            html: None,
            attachments: Vec::new(),
            automatic: false,
            validation_token: None,
        };
    };
    let mid = msg.message_id().map(strip_id).filter(|s| !s.is_empty() && s.len() <= 998);
    let has_message_id = mid.is_some();
    let header_text = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let automatic = header_text("Auto-Submitted").is_some_and(|v| v != "no")
        || header_text("Precedence")
            .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"))
        || msg.header_raw("X-Autoreply").is_some()
        || msg.header_raw("X-Autorespond").is_some()
        || msg.header_raw("List-Id").is_some();
    // Only a real text/html part counts (mail-parser also renders plain text as HTML).
    let html_raw =
        msg.html_part(0).filter(|p| p.is_text_html()).and_then(|_| msg.body_html(0)).map(|h| h.into_owned());
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default().replace("\r\n", "\n");
    // Broken structure (a multipart whose boundary never opens…): keep the raw body as
    // text rather than lose what the client wrote.
    let text = if text.trim().is_empty() && html_raw.is_none() {
        let start = (msg.root_part().raw_body_offset() as usize).min(raw.len());
        String::from_utf8_lossy(&raw[start..]).chars().take(100_000).collect::<String>().replace("\r\n", "\n")
    } else {
        text
    };
    let mut attachments = Vec::new();
    for part in msg.attachments() {
        if attachments.len() >= limits.max_attachments {
            break;
        }
        let content_type = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")).to_ascii_lowercase())
            .unwrap_or_else(|| "application/octet-stream".into());
        let bytes: std::borrow::Cow<'_, [u8]> = match &part.body {
            PartType::Message(m) => std::borrow::Cow::Borrowed(m.raw_message()),
            _ => std::borrow::Cow::Borrowed(part.contents()),
        };
        let filename =
            part.attachment_name().map(sanitize_filename).filter(|n| !n.is_empty()).unwrap_or_else(|| {
                match &part.body {
                    PartType::Message(m) => {
                        format!("{}.eml", sanitize_filename(m.subject().unwrap_or("message")))
                    }
                    _ => format!("attachment-{}", attachments.len() + 1),
                }
            });
        let inline = part.content_disposition().is_none_or(|d| d.ctype().eq_ignore_ascii_case("inline"));
        let size = bytes.len();
        attachments.push(Attachment {
            filename,
            content_type,
            content_id: part.content_id().map(strip_id).filter(|s| !s.is_empty()),
            inline: inline && part.content_id().is_some(),
            size,
            data: (size <= limits.max_attachment_bytes).then(|| bytes.into_owned()),
        });
    }
    ParsedEmail {
        message_id: mid.unwrap_or_else(digest),
        has_message_id,
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from: mailboxes(msg.from()).into_iter().next(),
        reply_to: mailboxes(msg.reply_to()).into_iter().next(),
        to: mailboxes(msg.to()),
        cc: mailboxes(msg.cc()),
        subject: msg.subject().unwrap_or("").trim().chars().take(998).collect(),
        date: msg.date().map(|d| d.to_timestamp()),
        text,
        html: html_raw.as_deref().map(sanitize_html),
        attachments,
        automatic,
        validation_token: msg.header_raw("X-Atiende-Validation").map(|v| v.trim().to_string()),
    }
}

/// A file name safe to offer as a download: no path, no control characters.
pub fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !atiende_core::is_bidi_control(*c)
                && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|')
        })
        .take(200)
        .collect();
    s.trim().trim_start_matches('.').to_string()
}

/// Finds the first email address in a text (contact forms put the sender in the body).
pub fn first_address(text: &str) -> Option<String> {
    let is_local = |c: char| c.is_alphanumeric() || "._%+-'".contains(c);
    let is_domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    for (at, _) in text.match_indices('@') {
        let local: String = text[..at]
            .chars()
            .rev()
            .take_while(|c| is_local(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let domain: String = text[at + 1..].chars().take_while(|c| is_domain(*c)).collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let local = local.trim_start_matches('.');
        if local.is_empty() || domain.is_empty() {
            continue;
        }
        let candidate = format!("{local}@{domain}");
        if let Ok(a) = atiende_core::types::EmailAddress::parse(&candidate, "") {
            return Some(a.as_str().to_string());
        }
    }
    None
}

/// Splits a plain-text body into what the sender wrote and the quoted history
/// below it ("On … wrote:", "El … escribió:", Outlook's header block, `>` lines).
pub fn split_quoted(text: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let l = t.to_lowercase();
        let attribution = (l.starts_with("on ") && l.ends_with("wrote:"))
            || (l.starts_with("el ") && (l.ends_with("escribió:") || l.ends_with("escribio:")))
            || l.starts_with("-----original message-----")
            || l.starts_with("-----mensaje original-----")
            || l.starts_with("---------- forwarded message")
            || (l.starts_with("from:")
                && lines.get(i + 1).is_some_and(|n| {
                    let n = n.trim().to_lowercase();
                    n.starts_with("sent:") || n.starts_with("date:") || n.starts_with("to:")
                }))
            || (l.starts_with("de:")
                && lines.get(i + 1).is_some_and(|n| {
                    let n = n.trim().to_lowercase();
                    n.starts_with("enviado") || n.starts_with("fecha:") || n.starts_with("para:")
                }));
        // A run of `>` lines that lasts to the end (ignoring blank lines) is quoted history.
        let quote_tail = t.starts_with('>')
            && lines[i..].iter().all(|r| r.trim().is_empty() || r.trim_start().starts_with('>'));
        if (attribution && i > 0) || quote_tail {
            cut = Some(i);
            break;
        }
    }
    match cut {
        Some(i) => {
            let main = lines[..i].join("\n").trim_end().to_string();
            let quoted = lines[i..].join("\n").trim().to_string();
            if main.trim().is_empty() { (text.trim_end().to_string(), None) } else { (main, Some(quoted)) }
        }
        None => (text.trim_end().to_string(), None),
    }
}
