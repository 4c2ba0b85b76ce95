//! Prometheus counters, kept in atomics and rendered as text.
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

#[derive(Default)]
pub struct Counters {
    pub http_requests: [AtomicU64; 5],
    pub ingest_stored: AtomicU64,
    pub ingest_duplicate: AtomicU64,
    pub ingest_failed: AtomicU64,
    pub ingest_batches: AtomicU64,
    pub tickets_created: AtomicU64,
    pub tickets_assigned: AtomicU64,
    pub automatic_replies: AtomicU64,
    pub tickets_auto_closed: AtomicU64,
    pub jobs_done: AtomicU64,
    pub jobs_retried: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub deliveries_sent: AtomicU64,
    pub deliveries_failed: AtomicU64,
    pub events_published: AtomicU64,
    pub email_fetched: AtomicU64,
    pub realtime_clients: AtomicI64,
}

#[derive(Clone, Default)]
pub struct Metrics(pub Arc<Counters>);

impl std::ops::Deref for Metrics {
    type Target = Counters;
    fn deref(&self) -> &Counters {
        &self.0
    }
}

impl Metrics {
    /// Counts a finished HTTP request by status class (1xx…5xx).
    pub fn http(&self, status: u16) {
        let i = ((status / 100).clamp(1, 5) - 1) as usize;
        self.http_requests[i].fetch_add(1, Relaxed);
    }

    /// Renders the Prometheus text format; `outbox` is the queued jobs per kind.
    pub fn render(&self, outbox: &[(String, i64)]) -> String {
        let mut s = String::new();
        let c = |s: &mut String, name: &str, help: &str, kind: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in rows {
                let _ = writeln!(s, "{name}{labels} {v}");
            }
        };
        let classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];
        let http: Vec<(String, u64)> = classes
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("{{class=\"{k}\"}}"), self.http_requests[i].load(Relaxed)))
            .collect();
        let http: Vec<(&str, u64)> = http.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        c(&mut s, "atiende_http_requests_total", "HTTP requests by status class.", "counter", &http);
        c(
            &mut s,
            "atiende_ingest_messages_total",
            "Inbound messages by outcome.",
            "counter",
            &[
                ("{outcome=\"stored\"}", self.ingest_stored.load(Relaxed)),
                ("{outcome=\"duplicate\"}", self.ingest_duplicate.load(Relaxed)),
                ("{outcome=\"failed\"}", self.ingest_failed.load(Relaxed)),
            ],
        );
        c(
            &mut s,
            "atiende_ingest_batches_total",
            "Ingest transactions committed.",
            "counter",
            &[("", self.ingest_batches.load(Relaxed))],
        );
        c(
            &mut s,
            "atiende_tickets_created_total",
            "Tickets created by inbound messages.",
            "counter",
            &[("", self.tickets_created.load(Relaxed))],
        );
        c(
            &mut s,
            "atiende_tickets_assigned_total",
            "Tickets assigned automatically.",
            "counter",
            &[("", self.tickets_assigned.load(Relaxed))],
        );
        c(
            &mut s,
            "atiende_automatic_replies_total",
            "Automatic replies sent to incoming messages (actions 2-5).",
            "counter",
            &[("", self.automatic_replies.load(Relaxed))],
        );
        c(
            &mut s,
            "atiende_tickets_auto_closed_total",
            "Tickets closed because the client did not answer.",
            "counter",
            &[("", self.tickets_auto_closed.load(Relaxed))],
        );
        c(
            &mut s,
            "atiende_jobs_total",
            "Background jobs by outcome.",
            "counter",
            &[
                ("{outcome=\"done\"}", self.jobs_done.load(Relaxed)),
                ("{outcome=\"retried\"}", self.jobs_retried.load(Relaxed)),
                ("{outcome=\"failed\"}", self.jobs_failed.load(Relaxed)),
            ],
        );
        c(
            &mut s,
            "atiende_deliveries_total",
            "Outbound deliveries by final outcome.",
            "counter",
            &[
                ("{outcome=\"sent\"}", self.deliveries_sent.load(Relaxed)),
                ("{outcome=\"failed\"}", self.deliveries_failed.load(Relaxed)),
            ],
        );
        c(
            &mut s,
            "atiende_email_fetched_total",
            "Messages read from IMAP mailboxes.",
            "counter",
            &[("", self.email_fetched.load(Relaxed))],
        );
        c(
            &mut s,
            "atiende_events_published_total",
            "Events fanned out to realtime clients.",
            "counter",
            &[("", self.events_published.load(Relaxed))],
        );
        let _ = writeln!(
            s,
            "# HELP atiende_realtime_clients Connected event-stream clients.\n# TYPE atiende_realtime_clients gauge"
        );
        let _ = writeln!(s, "atiende_realtime_clients {}", self.realtime_clients.load(Relaxed));
        let _ = writeln!(
            s,
            "# HELP atiende_outbox_depth Queued background jobs by kind.\n# TYPE atiende_outbox_depth gauge"
        );
        for (kind, n) in outbox {
            let _ = writeln!(s, "atiende_outbox_depth{{kind=\"{kind}\"}} {n}");
        }
        s
    }
}
