//! Any text as an email address (settings, blocked senders, contact forms).
#![no_main]
use atiende_core::EmailAddress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(a) = EmailAddress::parse(text, "f") {
        // A parsed address parses again to itself.
        assert_eq!(EmailAddress::parse(a.as_str(), "f").map(|b| b.as_str().to_string()).ok().as_deref(), Some(a.as_str()));
    }
    if let Some(found) = atiende_channels::email::parse::first_address(text) {
        assert!(EmailAddress::parse(&found, "f").is_ok(), "{found:?} is not an address");
    }
});
