//! Inbound MIME → the parts a ticket needs. Any byte string is accepted: broken
//! MIME yields what could be read (at worst the raw text), never a panic.
use super::sanitize::sanitize_html;
use mail_parser::decoders::html::{html_to_text, text_to_html};
use mail_parser::{Encoding, MessageParser, MessagePart, MimeHeaders, PartType};
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
    /// Who wrote: the first usable address of From, Reply-To, Sender and Return-Path, in
    /// that order (an address that is not one — no local part, no domain — is skipped).
    /// `None` when none is usable: the mail is still kept, from an unknown sender.
    pub from: Option<Mailbox>,
    /// The header `from` was taken from: `from`, `reply-to`, `sender` or `return-path`.
    pub from_header: Option<&'static str>,
    /// The From header as written (unfolded), to show who a mail without a usable sender
    /// claimed to be.
    pub from_text: Option<String>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// The whole subject (RFC 5322 unfolded; up to [`MAX_SUBJECT_CHARS`]).
    pub subject: String,
    /// `Date:` as Unix seconds, when readable.
    pub date: Option<i64>,
    /// Plain text of the body: every inline text part in order (an HTML part by its text).
    pub text: String,
    /// Sanitized HTML body, when the message has an HTML part: every inline part in order,
    /// the plain ones as HTML.
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

/// Longest subject kept (characters); RFC 5322 lines are 998 but a subject may be folded
/// over many of them, and is kept whole up to this bound.
pub const MAX_SUBJECT_CHARS: usize = 16 * 1024;

/// A mailbox whose address is one (`local@domain`, checked as stored).
fn usable(address: &str, name: Option<&str>) -> Option<Mailbox> {
    let address = atiende_core::types::EmailAddress::parse(address, "").ok()?.as_str().to_string();
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    Some(Mailbox { name, address })
}

fn mailboxes(a: Option<&mail_parser::Address<'_>>) -> Vec<Mailbox> {
    let Some(a) = a else { return Vec::new() };
    a.iter().filter_map(|m| usable(m.address()?, m.name())).collect()
}

/// The sender a client is made from: From, then Reply-To, Sender, Return-Path.
fn sender(msg: &mail_parser::Message<'_>) -> Option<(Mailbox, &'static str)> {
    let return_path =
        || msg.return_address().and_then(|r| usable(&strip_id(r), None)).map(|m| (m, "return-path"));
    mailboxes(msg.from())
        .into_iter()
        .next()
        .map(|m| (m, "from"))
        .or_else(|| mailboxes(msg.reply_to()).into_iter().next().map(|m| (m, "reply-to")))
        .or_else(|| mailboxes(msg.sender()).into_iter().next().map(|m| (m, "sender")))
        .or_else(return_path)
}

/// Charset labels that mean "no idea" in practice: mail labelled so is often UTF-8.
fn vague_charset(label: Option<&str>) -> bool {
    let Some(label) = label else { return true };
    let l = label.trim().trim_matches('"').to_ascii_lowercase().replace('_', "-");
    matches!(
        l.as_str(),
        "" | "us-ascii"
            | "ascii"
            | "iso-8859-1"
            | "iso8859-1"
            | "latin1"
            | "latin-1"
            | "windows-1252"
            | "cp1252"
            | "x-unknown"
            | "unknown"
            | "unknown-8bit"
            | "x-unknown-8bit"
            | "default"
    ) || mail_parser::decoders::charsets::map::charset_decoder(l.as_bytes()).is_none()
}

/// A text part's text. Mail-parser decodes by the declared charset; when the label is
/// missing, unknown or the Latin default that senders put on anything, the bytes decide:
/// valid UTF-8 is UTF-8 (mislabelled, as Gmail and Thunderbird read it), otherwise
/// Windows-1252 (the superset of Latin-1 that "ISO-8859-1" mail really is).
fn part_text<'a>(raw: &[u8], part: &'a MessagePart<'_>) -> Option<std::borrow::Cow<'a, str>> {
    let decoded = match &part.body {
        PartType::Text(t) | PartType::Html(t) => t,
        _ => return None,
    };
    let label = part.content_type().and_then(|c| c.attribute("charset"));
    if decoded.is_ascii() && !decoded.contains('\u{fffd}') || !vague_charset(label) {
        return Some(std::borrow::Cow::Borrowed(decoded.as_ref()));
    }
    let body = raw.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default();
    let bytes = match part.encoding {
        Encoding::None => Some(body.to_vec()),
        Encoding::Base64 => mail_parser::decoders::base64::base64_decode(body),
        Encoding::QuotedPrintable => mail_parser::decoders::quoted_printable::quoted_printable_decode(body),
    };
    let Some(bytes) = bytes else { return Some(std::borrow::Cow::Borrowed(decoded.as_ref())) };
    Some(std::borrow::Cow::Owned(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
    }))
}

/// The name a nameless part gets, by its type, with the right extension.
fn name_by_type(content_type: &str, part: &MessagePart<'_>) -> String {
    if let PartType::Message(m) = &part.body {
        let subject = m.subject().map(sanitize_filename).filter(|s| !s.is_empty());
        return format!("{}.eml", subject.unwrap_or_else(|| "message".into()));
    }
    let name = match content_type {
        "message/rfc822" | "message/global" => "message.eml",
        "message/delivery-status" | "message/global-delivery-status" => "delivery-report.txt",
        "message/disposition-notification" => "read-receipt.txt",
        "text/rfc822-headers" | "message/global-headers" => "headers.txt",
        "text/plain" => "text.txt",
        "text/html" => "page.html",
        "text/calendar" | "application/ics" => "invite.ics",
        "text/csv" => "table.csv",
        "text/vcard" | "text/x-vcard" => "contact.vcf",
        "image/png" => "image.png",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "image.jpg",
        "image/gif" => "image.gif",
        "image/webp" => "image.webp",
        "image/heic" => "image.heic",
        "image/bmp" => "image.bmp",
        "image/tiff" => "image.tiff",
        "image/svg+xml" => "image.svg",
        "audio/mpeg" => "audio.mp3",
        "audio/ogg" => "audio.ogg",
        "audio/wav" | "audio/x-wav" => "audio.wav",
        "video/mp4" => "video.mp4",
        "application/pdf" => "document.pdf",
        "application/zip" | "application/x-zip-compressed" => "archive.zip",
        "application/gzip" => "archive.gz",
        "application/json" => "data.json",
        "application/xml" | "text/xml" => "data.xml",
        "application/msword" => "document.doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "document.docx",
        "application/vnd.ms-excel" => "spreadsheet.xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "spreadsheet.xlsx",
        "application/vnd.oasis.opendocument.text" => "document.odt",
        "application/ms-tnef" | "application/vnd.ms-tnef" => "winmail.dat",
        "application/pkcs7-signature" | "application/x-pkcs7-signature" => "smime.p7s",
        "application/pkcs7-mime" | "application/x-pkcs7-mime" => "smime.p7m",
        "application/pgp-signature" => "signature.asc",
        "application/pgp-encrypted" | "application/pgp-keys" => "encrypted.asc",
        _ => "file.bin",
    };
    name.to_string()
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
            from_header: None,
            from_text: None,
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
    // Every inline part survives: the text is all of them in order (HTML ones by their
    // text), the HTML (when there is a real HTML part) all of them, the plain ones as HTML.
    let mut text = String::new();
    for part in msg.text_bodies() {
        let Some(t) = part_text(raw, part) else { continue };
        let t = if part.is_text_html() { html_to_text(&t) } else { t.into_owned() };
        let t = t.replace("\r\n", "\n");
        if t.trim().is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(t.trim_end());
    }
    let html_raw = msg.html_bodies().any(|p| p.is_text_html()).then(|| {
        let mut html = String::new();
        for part in msg.html_bodies() {
            let Some(t) = part_text(raw, part) else { continue };
            if part.is_text_html() {
                html.push_str(&t);
            } else {
                html.push_str(&text_to_html(&t));
            }
            html.push('\n');
        }
        html
    });
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
            .unwrap_or_else(|| match &part.body {
                PartType::Message(_) => "message/rfc822".into(),
                PartType::Text(_) => "text/plain".into(),
                PartType::Html(_) => "text/html".into(),
                _ => "application/octet-stream".into(),
            });
        let bytes: std::borrow::Cow<'_, [u8]> = match &part.body {
            PartType::Message(m) => std::borrow::Cow::Borrowed(m.raw_message()),
            _ => std::borrow::Cow::Borrowed(part.contents()),
        };
        let filename = part
            .attachment_name()
            .map(sanitize_filename)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| name_by_type(&content_type, part));
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
    let sender = sender(&msg);
    ParsedEmail {
        message_id: mid.unwrap_or_else(digest),
        has_message_id,
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from_header: sender.as_ref().map(|s| s.1),
        from_text: msg.header_raw("From").map(|f| f.split_whitespace().collect::<Vec<_>>().join(" ")),
        from: sender.map(|s| s.0),
        reply_to: mailboxes(msg.reply_to()).into_iter().next(),
        to: mailboxes(msg.to()),
        cc: mailboxes(msg.cc()),
        subject: msg.subject().unwrap_or("").trim().chars().take(MAX_SUBJECT_CHARS).collect(),
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
