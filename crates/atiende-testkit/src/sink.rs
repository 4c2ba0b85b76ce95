//! A webhook receiver on loopback that records what Atiende sends, and can be
//! told to answer with an error status (or to refuse connections) for a while.
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    status: u16,
}

#[derive(Clone)]
pub struct WebhookSink {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    stop: Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>>,
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut g = inner.lock().unwrap();
    if g.status != 200 {
        return StatusCode::from_u16(g.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    g.received.push(Received { headers, body });
    StatusCode::OK
}

impl WebhookSink {
    /// Starts on a free loopback port.
    pub async fn start() -> WebhookSink {
        Self::start_on(
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(Mutex::new(Inner { status: 200, ..Default::default() })),
        )
        .await
    }

    async fn start_on(addr: SocketAddr, inner: Arc<Mutex<Inner>>) -> WebhookSink {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("sink binds");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new().route("/hook", post(receive)).with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        WebhookSink { addr, inner, stop: Arc::new(Mutex::new(Some(tx))) }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answer every request with `status` (200 to accept again).
    pub fn answer(&self, status: u16) {
        self.inner.lock().unwrap().status = status;
    }

    /// Stops listening: connections are refused until [`WebhookSink::restart`].
    pub fn shut_down(&self) {
        if let Some(tx) = self.stop.lock().unwrap().take() {
            let _ = tx.send(());
        }
    }

    /// Listens again on the same port, keeping what was received.
    pub async fn restart(&self) -> WebhookSink {
        for _ in 0..50 {
            if tokio::net::TcpListener::bind(self.addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Self::start_on(self.addr, self.inner.clone()).await
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }
}
