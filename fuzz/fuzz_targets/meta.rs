//! Any bytes as a Meta webhook body: the envelope, then each entry as WhatsApp's payload,
//! and any Graph API error body. Never a panic; what parses keeps its invariants.
#![no_main]
use atiende_channels::meta::{self, whatsapp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = meta::entries(data) {
        for e in entries {
            let c = whatsapp::parse_entry(&e.body);
            for m in &c.messages {
                assert!(!m.from.is_empty() && !m.id.is_empty(), "a message without its sender or id");
            }
            for s in &c.statuses {
                assert!(!s.id.is_empty() && !s.status.is_empty());
            }
        }
    }
    let _ = meta::classify(400, data, None);
    let _ = meta::retry_after(std::str::from_utf8(data).ok(), std::str::from_utf8(data).ok());
});
