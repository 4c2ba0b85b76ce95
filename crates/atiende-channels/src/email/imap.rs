//! Reading a mailbox over IMAP (RFC 3501/9051): read-only (`EXAMINE`, `BODY.PEEK`),
//! so Atiende never deletes, moves or marks mail on the server. The caller keeps
//! the mailbox's UIDVALIDITY and the last UID it stored, and asks for what follows.
use super::send::Security;
use async_imap::Session;
use futures_util::TryStreamExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub mailbox: String,
}

/// What went wrong, and whether the account needs an admin (credentials refused)
/// or only time (server unreachable, connection dropped).
#[derive(Debug, Clone)]
pub struct ImapError {
    pub reason: String,
    /// The server refused the credentials or the mailbox: an admin must act.
    pub needs_admin: bool,
}

impl std::fmt::Display for ImapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

fn net(what: &str, e: impl std::fmt::Display) -> ImapError {
    ImapError { reason: format!("{what}: {e}"), needs_admin: false }
}

/// A plain or TLS connection.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// TLS settings for mail servers: the platform's roots plus any extra CA
/// certificates the deployment configures (PEM).
pub fn tls_connector(extra_ca_pem: Option<&[u8]>) -> Result<tokio_rustls::TlsConnector, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut extra = Vec::new();
    if let Some(pem) = extra_ca_pem {
        use rustls::pki_types::pem::PemObject;
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
            extra.push(c.map_err(|e| format!("extra CA certificate: {e}"))?);
        }
    }
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map_err(|e| e.to_string())?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn tls(tls: &tokio_rustls::TlsConnector, host: &str, tcp: TcpStream) -> Result<Stream, ImapError> {
    let name =
        rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| net("server name", e))?;
    let s = tls
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError { reason: format!("TLS with {host}: {e}"), needs_admin: false })?;
    Ok(Stream::Tls(Box::new(s)))
}

/// An open, logged-in IMAP connection with its mailbox examined.
pub struct Mailbox {
    session: Session<Stream>,
    pub uid_validity: u32,
    pub uid_next: Option<u32>,
    pub exists: u32,
    pub idle: bool,
}

/// Connects, logs in and examines the configured mailbox.
pub async fn open(
    cfg: &ImapConfig,
    connector: &tokio_rustls::TlsConnector,
    timeout: Duration,
) -> Result<Mailbox, ImapError> {
    tokio::time::timeout(timeout, open_inner(cfg, connector))
        .await
        .map_err(|_| net(&format!("IMAP {}:{}", cfg.host, cfg.port), "no answer in time"))?
}

async fn open_inner(cfg: &ImapConfig, connector: &tokio_rustls::TlsConnector) -> Result<Mailbox, ImapError> {
    let addr = format!("{}:{}", cfg.host, cfg.port);
    let tcp = TcpStream::connect(&addr).await.map_err(|e| net(&format!("cannot connect to {addr}"), e))?;
    let _ = tcp.set_nodelay(true);
    let stream = match cfg.security {
        Security::Tls => tls(connector, &cfg.host, tcp).await?,
        _ => Stream::Plain(tcp),
    };
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| net("greeting", e))?
        .ok_or_else(|| net("greeting", "the server closed the connection"))?;
    if cfg.security == Security::StartTls {
        client.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| ImapError {
            reason: format!("STARTTLS refused by {addr}: {e}"),
            needs_admin: true,
        })?;
        let Stream::Plain(tcp) = client.into_inner() else {
            unreachable!("STARTTLS starts on a plain stream")
        };
        client = async_imap::Client::new(tls(connector, &cfg.host, tcp).await?);
    }
    let mut session = client.login(&cfg.username, &cfg.password).await.map_err(|(e, _)| match e {
        async_imap::error::Error::No(m) | async_imap::error::Error::Bad(m) => {
            ImapError { reason: format!("login refused: {}", m.trim()), needs_admin: true }
        }
        e => net("login", e),
    })?;
    let caps = session.capabilities().await.map_err(|e| net("CAPABILITY", e))?;
    let idle = caps.has_str("IDLE");
    let mb = session.examine(&cfg.mailbox).await.map_err(|e| match e {
        async_imap::error::Error::No(m) => {
            ImapError { reason: format!("mailbox {:?}: {}", cfg.mailbox, m.trim()), needs_admin: true }
        }
        e => net("EXAMINE", e),
    })?;
    let uid_validity = mb.uid_validity.ok_or_else(|| net("EXAMINE", "the server gave no UIDVALIDITY"))?;
    Ok(Mailbox { session, uid_validity, uid_next: mb.uid_next, exists: mb.exists, idle })
}

impl Mailbox {
    /// Fetches up to `max` messages whose UID is above `after`, in UID order.
    pub async fn fetch_after(
        &mut self,
        after: u32,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        if self.exists == 0 {
            return Ok(Vec::new());
        }
        // UIDs the server has above `after` (a UID range past the last one still
        // returns the last message, so the list is filtered).
        let uids = tokio::time::timeout(
            timeout,
            self.session.uid_search(format!("UID {}:*", after.saturating_add(1))),
        )
        .await
        .map_err(|_| net("UID SEARCH", "no answer in time"))?
        .map_err(|e| net("UID SEARCH", e))?;
        let mut uids: Vec<u32> = uids.into_iter().filter(|u| *u > after).collect();
        uids.sort_unstable();
        uids.truncate(max);
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uids.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(",");
        let fetch = async {
            let stream =
                self.session.uid_fetch(set, "(UID BODY.PEEK[])").await.map_err(|e| net("UID FETCH", e))?;
            let fetched: Vec<_> = stream.try_collect().await.map_err(|e| net("UID FETCH", e))?;
            Ok::<_, ImapError>(fetched)
        };
        let fetched = tokio::time::timeout(timeout, fetch)
            .await
            .map_err(|_| net("UID FETCH", "no answer in time"))??;
        let mut out: Vec<(u32, Vec<u8>)> = fetched
            .iter()
            .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
            .filter(|(u, _)| *u > after)
            .collect();
        out.sort_by_key(|(u, _)| *u);
        out.dedup_by_key(|(u, _)| *u);
        Ok(out)
    }

    /// Waits for the server to announce a change (IDLE) or for `wait` to pass; the
    /// mailbox is examined again afterwards so `exists` is current.
    pub async fn wait(self, wait: Duration, mailbox: &str) -> Result<Mailbox, ImapError> {
        let Mailbox { session, uid_validity, idle, .. } = self;
        let mut session = if idle {
            let mut handle = session.idle();
            handle.init().await.map_err(|e| net("IDLE", e))?;
            let (fut, _stop) = handle.wait_with_timeout(wait);
            let r = tokio::time::timeout(wait + Duration::from_secs(5), fut).await;
            match r {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(e)) => return Err(net("IDLE", e)),
            }
            handle.done().await.map_err(|e| net("IDLE DONE", e))?
        } else {
            tokio::time::sleep(wait).await;
            let mut s = session;
            s.noop().await.map_err(|e| net("NOOP", e))?;
            s
        };
        let mb = session.examine(mailbox).await.map_err(|e| net("EXAMINE", e))?;
        let now_validity = mb.uid_validity.unwrap_or(uid_validity);
        Ok(Mailbox { session, uid_validity: now_validity, uid_next: mb.uid_next, exists: mb.exists, idle })
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.session.logout()).await;
    }
}
