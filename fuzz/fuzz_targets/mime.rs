//! Any bytes as an inbound email: parsing, sanitizing, quote folding and the
//! contact-form sender must never panic, and what they return must hold together: the
//! sender fallback gives an address or nobody, every part is named, subjects are one line.
#![no_main]
use atiende_channels::email::parse::{first_address, parse, split_quoted, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_attachment_bytes: 4096, max_attachments: 8 };
    let p = parse(data, limits);
    assert!(!p.message_id.is_empty());
    assert!(p.attachments.len() <= 8);
    for a in &p.attachments {
        assert!(a.data.as_ref().is_none_or(|d| d.len() <= 4096 && d.len() == a.size));
        assert!(!a.filename.contains('/') && !a.filename.contains('\\'));
        assert!(!a.filename.is_empty(), "every part has a name (by its type when it had none)");
        assert!(!a.content_type.starts_with("multipart/"), "an unsplit multipart is text, not a file");
    }
    // The client is made from an address that is one, as stored, or from nobody.
    if let Some(f) = &p.from {
        let again = atiende_core::types::EmailAddress::parse(&f.address, "from").expect("the sender is an address");
        assert_eq!(again.as_str(), f.address);
        assert!(p.from_header.is_some());
    }
    assert!(p.subject.chars().count() <= atiende_channels::email::parse::MAX_SUBJECT_CHARS);
    assert!(!p.subject.contains('\n') && !p.subject.contains('\r'));
    if let Some(h) = &p.html {
        let lower = h.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "script survived sanitizing");
    }
    let (main, quoted) = split_quoted(&p.text);
    assert!(main.len() <= p.text.len() + 1);
    let _ = quoted;
    let _ = first_address(&p.text);
});
