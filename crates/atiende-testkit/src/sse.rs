//! A Server-Sent Events client for tests.
use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;

pub struct EventStream {
    rx: tokio::sync::mpsc::UnboundedReceiver<(i64, Value)>,
}

impl EventStream {
    /// Connects to `url` (`…/api/v1/events`) with a bearer token, optionally resuming after `last_id`.
    pub async fn connect(url: &str, token: &str, last_id: Option<i64>) -> EventStream {
        let mut req = reqwest::Client::new().get(url).bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.expect("event stream connects");
        assert_eq!(resp.status(), 200, "event stream status");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = String::new();
            // Ends (closing the connection) when the stream is dropped, so a stopping server
            // does not wait for it.
            loop {
                let chunk = tokio::select! {
                    c = body.next() => c,
                    _ = tx.closed() => return,
                };
                let Some(Ok(chunk)) = chunk else { return };
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    let mut id = 0;
                    let mut data = String::new();
                    for line in frame.lines() {
                        if let Some(v) = line.strip_prefix("id:") {
                            id = v.trim().parse().unwrap_or(0);
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim_start());
                        }
                    }
                    if !data.is_empty()
                        && let Ok(v) = serde_json::from_str(&data)
                        && tx.send((id, v)).is_err()
                    {
                        return;
                    }
                }
            }
        });
        EventStream { rx }
    }

    /// The next event whose `kind` is `kind`, waiting at most `secs`.
    pub async fn next_of(&mut self, kind: &str, secs: u64) -> Option<(i64, Value)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some((id, v))) if v["kind"] == kind => return Some((id, v)),
                Ok(Some(_)) => continue,
                _ => return None,
            }
        }
    }
}
