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
    // An encoded-word never belongs in an address (RFC 2047 §5): one there is a disguise.
    if address.contains("=?") && address.contains("?=") {
        return None;
    }
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

/// Bytes in a charset to text. When the label is missing, unknown or the Latin default that
/// senders put on anything, the bytes decide: valid UTF-8 is UTF-8 (mislabelled, as Gmail
/// reads it), otherwise Windows-1252 (the superset of Latin-1 that "ISO-8859-1" mail is).
fn decode_charset(label: Option<&str>, bytes: &[u8]) -> String {
    if vague_charset(label) {
        return match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
        };
    }
    let l = label.unwrap_or("").trim().trim_matches('"').to_ascii_lowercase().replace('_', "-");
    match mail_parser::decoders::charsets::map::charset_decoder(l.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Quoted-printable as mail clients read it: `=XX` decoded, soft line breaks joined, and
/// a `=` not followed by two hex digits kept as it is.
fn lenient_quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'=' {
            match (bytes.get(i + 1).copied(), bytes.get(i + 2).copied()) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                    out.push(hex(h).unwrap_or(0) << 4 | hex(l).unwrap_or(0));
                    i += 3;
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A text part's text. Mail-parser decodes by the declared charset; where that label is
/// vague ([`decode_charset`]) or the transfer encoding was broken (mail-parser then gives
/// the encoded source), the part is decoded again from its bytes.
fn part_text<'a>(raw: &[u8], part: &'a MessagePart<'_>) -> Option<std::borrow::Cow<'a, str>> {
    let decoded = match &part.body {
        PartType::Text(t) | PartType::Html(t) => t,
        _ => return None,
    };
    let label = part.content_type().and_then(|c| c.attribute("charset"));
    let cte = part.content_transfer_encoding().map(|e| e.trim().to_ascii_lowercase());
    let broken = part.is_encoding_problem && matches!(cte.as_deref(), Some("base64" | "quoted-printable"));
    if !broken && (decoded.is_ascii() && !decoded.contains('\u{fffd}') || !vague_charset(label)) {
        return Some(std::borrow::Cow::Borrowed(decoded.as_ref()));
    }
    let body = raw.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default();
    let bytes = match (part.encoding, cte.as_deref()) {
        (Encoding::Base64, _) | (Encoding::None, Some("base64")) => atiende_core::b64::decode_lenient(body),
        (Encoding::QuotedPrintable, _) | (Encoding::None, Some("quoted-printable")) => {
            lenient_quoted_printable(body)
        }
        (Encoding::None, _) => body.to_vec(),
    };
    Some(std::borrow::Cow::Owned(decode_charset(label, &bytes)))
}

/// An unstructured header (the subject) decoded as RFC 2047 says, and as leniently as mail
/// clients: adjacent encoded-words joined (whitespace between them dropped) and their bytes
/// decoded together, so a character split across two words survives; vague charset labels
/// read by the bytes. `None` when it holds no encoded-word (mail-parser's reading stands).
fn decode_unstructured(raw: &str) -> Option<String> {
    if !raw.contains("=?") {
        return None;
    }
    let unfolded: String = raw.replace("\r\n", "").replace('\n', "");
    // The next encoded-word of `rest`: (start, charset, encoding, text, end).
    fn next_word(rest: &str) -> Option<(usize, &str, &str, &str, usize)> {
        let mut from = 0;
        while let Some(i) = rest[from..].find("=?") {
            let start = from + i;
            let inner = &rest[start + 2..];
            let parsed = (|| {
                let q1 = inner.find('?')?;
                let enc = inner.get(q1 + 1..q1 + 2)?;
                (inner.get(q1 + 2..q1 + 3) == Some("?") && matches!(enc, "B" | "b" | "Q" | "q"))
                    .then_some(())?;
                let end = inner[q1 + 3..].find("?=")? + q1 + 3;
                Some((&inner[..q1], enc, &inner[q1 + 3..end], start + 2 + end + 2))
            })();
            match parsed {
                Some((charset, enc, text, end)) => return Some((start, charset, enc, text, end)),
                None => from = start + 2,
            }
        }
        None
    }
    let mut out = String::new();
    // The run of adjacent encoded-words in one charset, not yet decoded.
    let mut pending: Option<(String, Vec<u8>)> = None;
    let flush = |out: &mut String, pending: &mut Option<(String, Vec<u8>)>| {
        if let Some((label, bytes)) = pending.take() {
            out.push_str(&decode_charset(Some(&label), &bytes));
        }
    };
    let mut rest = unfolded.as_str();
    while let Some((start, charset, enc, text, end)) = next_word(rest) {
        let before = &rest[..start];
        let charset = charset.split('*').next().unwrap_or("");
        let bytes = if enc.eq_ignore_ascii_case("b") {
            atiende_core::b64::decode_lenient(text.as_bytes())
        } else {
            lenient_quoted_printable(text.replace('_', " ").as_bytes())
        };
        let adjacent = pending.is_some() && before.chars().all(|c| c == ' ' || c == '\t');
        match &mut pending {
            Some((label, acc)) if adjacent && label.eq_ignore_ascii_case(charset) => acc.extend(bytes),
            _ => {
                flush(&mut out, &mut pending);
                if !adjacent {
                    out.push_str(before);
                }
                pending = Some((charset.to_string(), bytes));
            }
        }
        rest = &rest[end..];
    }
    flush(&mut out, &mut pending);
    out.push_str(rest);
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
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
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(raw)));
    let parser = MessageParser::default();
    // A header block needs a field (`name:`, the name printable ASCII, RFC 5322 §2.2);
    // bytes without one are not a message's headers but what someone sent: kept as text.
    let is_field = |line: &[u8]| {
        line.iter()
            .position(|b| *b == b':')
            .is_some_and(|i| i > 0 && line[..i].iter().all(|b| (33..=126).contains(b)))
    };
    let has_field = raw.split(|b| *b == b'\n').take_while(|l| !l.trim_ascii().is_empty()).any(is_field);
    let first = parser.parse(raw).filter(|_| has_field);
    let Some(first) = first else {
        // Not even headers: keep the bytes as text so nothing is lost.
        let text = String::from_utf8_lossy(raw).chars().take(100_000).collect();
        return ParsedEmail {
            message_id: digest,
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
    // An inner multipart left open: closed where its parent goes on, as mail clients do.
    if let Some(repaired) = repair_boundaries(raw, &first)
        && let Some(msg) = parser.parse(repaired.as_slice())
    {
        return read(&repaired, &msg, digest, limits);
    }
    read(raw, &first, digest, limits)
}

/// The boundary of every multipart the parser opened.
fn boundaries(msg: &mail_parser::Message<'_>) -> Vec<String> {
    msg.parts
        .iter()
        .filter(|p| p.is_multipart())
        .filter_map(|p| p.content_type().and_then(|c| c.attribute("boundary")).map(str::to_string))
        .filter(|b| !b.is_empty())
        .collect()
}

/// When a multipart's closing delimiter is missing (its parent's delimiter comes first, or
/// the message ends), the raw message with the missing `--boundary--` lines put where the
/// parent goes on; `None` when every multipart is closed in order (nothing to repair).
fn repair_boundaries(raw: &[u8], msg: &mail_parser::Message<'_>) -> Option<Vec<u8>> {
    if !msg.parts.iter().any(|p| p.is_encoding_problem) {
        return None;
    }
    let known = boundaries(msg);
    if known.len() < 2 {
        return None;
    }
    let mut open: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut repaired = false;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let t = line.trim_ascii_end();
        let delimiter = t.strip_prefix(b"--").and_then(|rest| {
            known.iter().find_map(|b| {
                let after = rest.strip_prefix(b.as_bytes())?;
                match after {
                    b"" => Some((b.as_str(), false)),
                    b"--" => Some((b.as_str(), true)),
                    _ => None,
                }
            })
        });
        if let Some((b, closing)) = delimiter {
            if let Some(depth) = open.iter().rposition(|o| *o == b) {
                // Close whatever was opened inside it and left open.
                while open.len() > depth + 1 {
                    let inner = open.pop().unwrap_or_default();
                    out.extend_from_slice(format!("--{inner}--\r\n").as_bytes());
                    repaired = true;
                }
                if closing {
                    open.pop();
                }
            } else if !closing {
                open.push(b);
            }
        }
        out.extend_from_slice(line);
    }
    repaired.then_some(out)
}

/// What a ticket needs of a parsed message (`raw`: the bytes `msg` was parsed from).
fn read(raw: &[u8], msg: &mail_parser::Message<'_>, digest: String, limits: Limits) -> ParsedEmail {
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
    // A multipart that could not be split (no boundary, or one that never appears) is
    // text: what the client wrote, not an attachment.
    let unsplit = |p: &MessagePart<'_>| {
        matches!(p.body, PartType::Text(_) | PartType::Binary(_) | PartType::InlineBinary(_))
            && p.content_type().is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"))
    };
    let mut text = String::new();
    for part in msg.text_bodies().chain(msg.attachments().filter(|p| unsplit(p))) {
        let t = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) if unsplit(part) => {
                std::borrow::Cow::Owned(decode_charset(None, b))
            }
            _ => match part_text(raw, part) {
                Some(t) => t,
                None => continue,
            },
        };
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
        // From where the parser put the body, or the first empty line if that comes first
        // (a header block ends there, whatever the bytes before it).
        let blank = raw
            .windows(2)
            .position(|w| w == b"\n\n")
            .map(|i| i + 2)
            .into_iter()
            .chain(raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4))
            .min();
        let start =
            (msg.root_part().raw_body_offset() as usize).min(blank.unwrap_or(usize::MAX)).min(raw.len());
        String::from_utf8_lossy(&raw[start..]).chars().take(100_000).collect::<String>().replace("\r\n", "\n")
    } else {
        text
    };
    let mut attachments = Vec::new();
    for part in msg.attachments().filter(|p| !unsplit(p)) {
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
    let sender = sender(msg);
    ParsedEmail {
        message_id: mid.unwrap_or(digest),
        has_message_id,
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from_header: sender.as_ref().map(|s| s.1),
        from_text: msg.header_raw("From").map(|f| f.split_whitespace().collect::<Vec<_>>().join(" ")),
        from: sender.map(|s| s.0),
        reply_to: mailboxes(msg.reply_to()).into_iter().next(),
        to: mailboxes(msg.to()),
        cc: mailboxes(msg.cc()),
        subject: msg
            .header_raw("Subject")
            .and_then(decode_unstructured)
            .unwrap_or_else(|| msg.subject().unwrap_or("").to_string())
            .trim()
            .chars()
            .filter(|c| *c != '\r' && *c != '\n')
            .take(MAX_SUBJECT_CHARS)
            .collect(),
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
