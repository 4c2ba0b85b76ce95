//! Atiende's domain: validated value types, entity enums, the ticket rules and
//! domain events. Nothing here does I/O; everything is unit-testable.
#![forbid(unsafe_code)]

pub mod assign;
pub mod autoreply;
pub mod b64;
pub mod board;
pub mod chat;
pub mod email;
pub mod error;
pub mod hours;
pub mod image;
pub mod inbound;
pub mod keywords;
pub mod settings;
pub mod sla;
pub mod templates;
pub mod ticket;
pub mod time;
pub mod types;
pub mod whatsapp;

pub use error::ValidationError;
pub use types::*;
