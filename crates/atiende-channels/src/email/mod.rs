//! The email channel: MIME parsing and HTML sanitizing (pure), outbound message
//! building and SMTP sending, the IMAP mailbox reader and the forwarding SMTP listener.
pub mod imap;
pub mod parse;
pub mod reply;
pub mod sanitize;
pub mod send;
pub mod smtpd;

pub use parse::{Attachment, Limits, Mailbox, ParsedEmail, parse};
