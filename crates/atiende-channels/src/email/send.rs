//! Outbound mail: building the MIME message (threading headers, text and HTML
//! parts, attachments) and handing it to an SMTP server.
use crate::DeliveryError;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox as LMailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    None,
    StartTls,
    Tls,
}

impl Security {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// An SMTP server to send through (the deployment's relay or an account's own).
#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// One outbound mail.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub from_name: Option<String>,
    pub from: String,
    pub reply_to: Option<String>,
    pub to_name: Option<String>,
    pub to: String,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<(String, String, Vec<u8>)>,
    /// Sent by an automatic action: marked `Auto-Submitted: auto-replied` (RFC 3834).
    pub automatic: bool,
    /// Header `X-Atiende-Validation` (the forwarding validation mail).
    pub validation_token: Option<String>,
}

fn mailbox(name: Option<&str>, addr: &str, field: &str) -> Result<LMailbox, String> {
    let email = addr.parse().map_err(|e| format!("{field}: {addr:?} is not a usable address ({e})"))?;
    Ok(LMailbox::new(name.map(str::to_string).filter(|n| !n.is_empty()), email))
}

#[derive(Clone)]
struct AutoSubmitted;
impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-replied".into())
    }
}

#[derive(Clone)]
struct Validation(String);
impl lettre::message::header::Header for Validation {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("X-Atiende-Validation")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Builds the message; errors name the field that cannot be used.
pub fn build(o: &Outgoing) -> Result<lettre::Message, String> {
    let mut b = lettre::Message::builder()
        .from(mailbox(o.from_name.as_deref(), &o.from, "from")?)
        .to(mailbox(o.to_name.as_deref(), &o.to, "to")?)
        .subject(o.subject.clone())
        .message_id(Some(format!("<{}>", o.message_id)))
        .date_now()
        .user_agent(concat!("Atiende/", env!("CARGO_PKG_VERSION")).to_string());
    if let Some(r) = &o.reply_to {
        b = b.reply_to(mailbox(None, r, "reply_to")?);
    }
    if let Some(irt) = &o.in_reply_to {
        b = b.in_reply_to(format!("<{irt}>"));
    }
    if !o.references.is_empty() {
        b = b.references(o.references.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(" "));
    }
    if o.automatic {
        b = b.header(AutoSubmitted);
    }
    if let Some(t) = &o.validation_token {
        b = b.header(Validation(t.clone()));
    }
    let body = match &o.html {
        Some(html) => MultiPart::alternative_plain_html(o.text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(o.text.clone())),
    };
    let msg = if o.attachments.is_empty() {
        match &o.html {
            Some(_) => b.multipart(body),
            None => b.singlepart(SinglePart::plain(o.text.clone())),
        }
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (name, ctype, data) in &o.attachments {
            let ct = ContentType::parse(ctype)
                .unwrap_or(ContentType::parse("application/octet-stream").expect("static type"));
            mixed = mixed.singlepart(MimeAttachment::new(name.clone()).body(data.clone(), ct));
        }
        b.multipart(mixed)
    };
    msg.map_err(|e| format!("message: {e}"))
}

fn transport(
    server: &SmtpServer,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let tls = match server.security {
        Security::None => Tls::None,
        Security::StartTls | Security::Tls => {
            let params = TlsParameters::new(server.host.clone()).map_err(|e| DeliveryError {
                reason: format!("TLS setup for {}: {e}", server.host),
                retryable: false,
                retry_after: None,
            })?;
            if server.security == Security::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
        }
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
        .port(server.port)
        .tls(tls)
        .timeout(Some(timeout));
    if let (Some(u), Some(p)) = (&server.username, &server.password)
        && !u.is_empty()
    {
        b = b.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(b.build())
}

/// Sends one message. Permanent SMTP answers (5xx) are final; connection
/// problems and 4xx answers are worth a retry.
pub async fn send(
    server: &SmtpServer,
    msg: &lettre::Message,
    timeout: Duration,
) -> Result<String, DeliveryError> {
    let t = transport(server, timeout)?;
    // The transport's timeout bounds each command, not a server that accepts the connection
    // and never greets: the whole exchange is bounded too (generously: large attachments).
    let sent = tokio::time::timeout(timeout * 4, t.send(msg.clone())).await.map_err(|_| DeliveryError {
        reason: format!(
            "SMTP {}:{}: no answer within {} s",
            server.host,
            server.port,
            (timeout * 4).as_secs()
        ),
        retryable: true,
        retry_after: None,
    })?;
    match sent {
        Ok(resp) => Ok(resp.message().collect::<Vec<_>>().join(" ")),
        Err(e) => Err(DeliveryError {
            reason: format!("SMTP {}:{}: {}", server.host, server.port, crate::error_chain(&e)),
            retryable: !e.is_permanent(),
            retry_after: None,
        }),
    }
}

/// Connects, greets and (when configured) authenticates, then quits: what the
/// admin's "test connection" button reports.
pub async fn check(server: &SmtpServer, timeout: Duration) -> Result<String, String> {
    let t = transport(server, timeout).map_err(|e| e.reason)?;
    let answer = tokio::time::timeout(timeout, t.test_connection()).await.map_err(|_| {
        format!("SMTP {}:{}: no answer within {} s", server.host, server.port, timeout.as_secs())
    })?;
    match answer {
        Ok(true) => Ok(format!("SMTP {}:{} accepted the connection", server.host, server.port)),
        Ok(false) => Err(format!("SMTP {}:{} did not accept the connection", server.host, server.port)),
        Err(e) => Err(format!("SMTP {}:{}: {}", server.host, server.port, crate::error_chain(&e))),
    }
}

/// Escapes text for HTML and keeps its line breaks.
pub fn text_to_html(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\n' => s.push_str("<br>\n"),
            '\r' => {}
            c => s.push(c),
        }
    }
    s
}
