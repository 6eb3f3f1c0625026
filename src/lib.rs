//! igflight: Instagram Business reports from the Facebook Graph API as Arrow Flight streams.
//!
//! Data flow (one module per stage):
//!
//! ```text
//! ticket ──► plan ──► graph (paged HTTP calls) ──► reports (Arrow batches) ──► flight / sql
//!                      ▲
//!                      └── sim: the simulated Graph API (demo, tests, benchmarks)
//! ```
//!
//! * [`graph`]: the Graph API client — one shared HTTP client, typed envelope, lazy page streams with
//!   explicit stop rules, one error classification, retries with backoff, a per-token call budget that
//!   also listens to the usage headers, and call counters.
//! * [`sim`]: a deterministic, faithful simulated Graph API (`igflight simulate`).

pub mod accounts;
pub mod cli;
pub mod cli_config;
pub mod commands;
pub mod error;
pub mod flight;
pub mod graph;
pub mod monitoring;
pub mod output;
pub mod plan;
pub mod reports;
pub mod sim;
pub mod sql;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod ticket;
