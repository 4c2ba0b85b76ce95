//! The `atiende` binary's library: configuration and wiring, shared with the test harness.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod server;
