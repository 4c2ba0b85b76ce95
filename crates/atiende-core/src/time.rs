//! Time is stored as integer microseconds since the Unix epoch (UTC) everywhere,
//! and shown as RFC 3339 text at the edges. A [`Clock`] is injected so tests move time.
use std::sync::atomic::{AtomicI64, Ordering};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Micros;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Micros {
        jiff::Timestamp::now().as_microsecond()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Micros) -> Self {
        Self(AtomicI64::new(start))
    }
    pub fn advance(&self, micros: i64) {
        self.0.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Micros {
        self.0.load(Ordering::SeqCst)
    }
}

/// RFC 3339 UTC text for stored microseconds.
pub fn rfc3339(micros: Micros) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(ts) => ts.to_string(),
        Err(_) => "1970-01-01T00:00:00Z".to_string(),
    }
}

/// Parses RFC 3339 text into microseconds.
pub fn parse_rfc3339(text: &str) -> Option<Micros> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        let t = 1_764_000_000_123_456;
        assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        assert!(rfc3339(t).ends_with('Z'));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(10);
        assert_eq!(c.now(), 10);
        c.advance(5);
        assert_eq!(c.now(), 15);
    }
}
