//! A small receiving SMTP server (RFC 5321) for forwarding addresses: it accepts
//! mail only for recipients the handler knows, and answers `250` to the end of
//! DATA only once the handler has stored the message (`451` otherwise, so the
//! sending server keeps it and tries again). No relaying, no authentication.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What the listener asks of the application.
pub trait Handler: Send + Sync + 'static {
    /// Is this recipient one of ours?
    fn accepts(&self, rcpt: String) -> BoxFut<bool>;
    /// Stores a message for these recipients; `Err` asks the sender to retry later.
    fn deliver(&self, rcpts: Vec<String>, data: Vec<u8>) -> BoxFut<Result<(), String>>;
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub hostname: String,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    /// Idle time allowed between two commands.
    pub timeout: Duration,
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    settings: Settings,
    handler: Arc<dyn Handler>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let settings = Arc::new(settings);
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((sock, _)) => {
                    let (s, h) = (settings.clone(), handler.clone());
                    tokio::spawn(async move {
                        if let Err(e) = session(sock, &s, h.as_ref()).await {
                            tracing::debug!(error = %e, "SMTP session ended");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = shutdown.changed() => if *shutdown.borrow() { return },
        }
    }
}

fn path_arg(line: &str, verb_len: usize) -> Option<String> {
    let rest = line.get(verb_len..)?.trim();
    let start = rest.find('<')?;
    let end = rest[start..].find('>')? + start;
    Some(rest[start + 1..end].trim().to_lowercase())
}

async fn session(sock: TcpStream, s: &Settings, h: &dyn Handler) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(format!("220 {} ESMTP Atiende\r\n", s.hostname).as_bytes()).await?;
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(s.timeout, (&mut r).take(4096).read_until(b'\n', &mut line))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
        if n == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let cmd = text.trim_end();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            format!(
                "250-{}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                s.hostname, s.max_message_bytes
            )
        } else if upper.starts_with("HELO") {
            format!("250 {}\r\n", s.hostname)
        } else if upper.starts_with("MAIL FROM:") {
            from = Some(path_arg(cmd, 10).unwrap_or_default());
            rcpts.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            match (&from, path_arg(cmd, 8)) {
                (None, _) => "503 MAIL first\r\n".into(),
                (_, None) => "501 Syntax: RCPT TO:<address>\r\n".into(),
                (_, Some(_)) if rcpts.len() >= s.max_recipients => "452 Too many recipients\r\n".into(),
                (_, Some(rcpt)) => {
                    if h.accepts(rcpt.clone()).await {
                        rcpts.push(rcpt);
                        "250 OK\r\n".into()
                    } else {
                        "550 No such mailbox here\r\n".into()
                    }
                }
            }
        } else if upper == "DATA" {
            if rcpts.is_empty() {
                "503 RCPT first\r\n".into()
            } else {
                w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let data = read_data(&mut r, s).await?;
                let reply = match data {
                    None => "552 Message too large\r\n".to_string(),
                    Some(data) => match h.deliver(std::mem::take(&mut rcpts), data).await {
                        Ok(()) => "250 OK stored\r\n".into(),
                        Err(e) => {
                            format!("451 Not stored, try again later: {}\r\n", e.replace(['\r', '\n'], " "))
                        }
                    },
                };
                from = None;
                rcpts.clear();
                reply
            }
        } else if upper == "RSET" {
            from = None;
            rcpts.clear();
            "250 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 OK\r\n".into()
        } else if upper == "QUIT" {
            w.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 Command not implemented\r\n".into()
        };
        w.write_all(reply.as_bytes()).await?;
    }
}

/// Reads DATA up to the lone dot, undoing dot-stuffing; `None` when over the size limit
/// (the rest is still read, so the session stays in step).
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    s: &Settings,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut too_big = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(s.timeout, (&mut *r).take(1 << 20).read_until(b'\n', &mut line))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle in DATA"))??;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed in DATA"));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(if too_big { None } else { Some(out) });
        }
        let body = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        if out.len() + body.len() > s.max_message_bytes {
            too_big = true;
            out.clear();
        }
        if !too_big {
            out.extend_from_slice(body);
        }
    }
}
