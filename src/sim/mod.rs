//! The simulated Graph API: a deterministic, faithful HTTP fake of the Facebook Graph API (Instagram
//! Business, Facebook-Login flavour) used as the demo backend, the test bed and the benchmark backend. It
//! serves the API of a date ([`SimConfig::api_as_of`]: by default 2022-11-01, v15.0 and older; the CLI
//! defaults to today's): its versions and the insights metrics of their eras ([`versions`]). It is a module of the one crate but imports nothing from the product (`graph`, `reports`,
//! `plan`, …): it is what the product is tested against, so it is written from the Graph API reference
//! alone, including its own [`catalog`] of metrics, fields and permissions.
//!
//! * `routes`: the axum `Router` (`/{version}?/{node}/{edge}`, `ids=`, batch, OAuth, `/__stats`,
//!   `/__sim/clock`).
//! * `call`: one call from route to answer — endpoint kind, faults and latency, then the token,
//!   `appsecret_proof`, budget and permission checks. `auth`, `oauth`, `budget`, `faults`, `batch`:
//!   those concerns. `state`: the shared state and counters.
//! * [`versions`]: the versions served by date, the answering version, the eras of the catalog.
//! * `ctx`: an authenticated call's nodes and edges; `render`: node rendering with `fields` selection
//!   and nested expansion; `edges`: list edges and their links; `insights`: the `/insights` edges;
//!   `insight_values`: the insight values; `hashtags`: hashtag search and media.
//! * [`data`]: the data model at one clock (tests read it through [`SimHandle::dataset`]); `generate`:
//!   the timeline from a seed (pages, accounts, media, stories, comments, hashtags, business-discovery
//!   accounts, and what is posted after the start); `timeline`: the data set at a clock; `clock`: the
//!   clock.
//! * [`catalog`]: the simulator's own catalog (metrics by era, periods, breakdowns, fields, edges,
//!   permissions).
//! * [`fields`]: the `fields` parser. [`paging`]: cursors and the paging quirks. [`error`]: error bodies.
//!
//! # The data clock
//! The simulator's clock starts at [`SimConfig::now`] (whole seconds) and runs with the wall clock. It
//! can be moved forward, never back: [`SimHandle::set_now`], [`SimHandle::advance`], or, out of
//! process, the admin endpoint below. Every answer is what is true at the clock: the posts made by then
//! (new ones appear as it moves, about 2.4 a day per account), the stories of the last 24 hours, the
//! user-insight days ended by then, counts and insight values of recent media and days still growing
//! (the rules: [`data`]). What exists at a clock keeps its id, timestamp and content at any later clock.
//! [`SimHandle::dataset`] gives the data set at the current clock, [`SimHandle::dataset_at`] at any.
//! Tokens expire at fixed times relative to the start clock (the configured token 59 days after it),
//! so moving the clock past that expires them; the hourly call budget counts wall-clock time.
//!
//! # Admin endpoint (simulator only: the Graph API has nothing like it)
//! `GET /__sim/clock` answers `{"now": "2026-12-03T10:00:00Z", "start": "2026-12-01T09:00:00Z"}` (RFC
//! 3339, UTC, fractions of a second when there are some). `POST /__sim/clock` with a JSON body
//! `{"now": "<RFC 3339 time>"}` or `{"advance_secs": <whole seconds ≥ 0>}` moves the clock and answers
//! the same object with the new clock; anything else (bad JSON, another key, both keys, a time earlier
//! than the clock or more than [`MAX_AHEAD_DAYS`] past the start) is refused with HTTP 400 and
//! `{"error": {"message": "…", "accepted": […]}}`. Like `/__stats` it needs no token and is neither
//! counted, rate limited nor faulted.
//!
//! # Tokens
//! The configured user token (default `demo-token`, every permission); `expired-token` (expired in
//! 2022: code 190, subcode 463); [`BASIC_TOKEN`] (`basic-token`: only `instagram_basic`,
//! `pages_show_list`, `pages_read_engagement`, so insights, business discovery and comments answer
//! `(#10) Application does not have permission for this action`); each page's page token; and tokens
//! issued by the OAuth dialog + code exchange, with the permissions the dialog's `scope` asked for
//! (kept by `fb_exchange_token`, reported by `debug_token`).
//!
//! # Deliberate paging quirks (client tests rely on them)
//! * `accounts[0]` `/media` (top level or `media{…}` expansion): a page whose range strictly contains
//!   offset [`paging::SHORT_PAGE_AT`] (110) ends there, so it has fewer items than `limit` (with the
//!   default limit 25: the 5th page, offsets 100..110, has 10 items) and still has `next`.
//! * `accounts[1]` `/media`: the first page that starts in `[150, 150+limit)` ([`paging::EMPTY_PAGE_FROM`])
//!   is **empty but has `next`** (with limit 25: the 7th page); following `next` gives the data.
//! * `recent_media`: `paging.cursors` has only `after`, the same value on every page; `next` advances via a
//!   `__paging_token` query parameter, and the last page's `next` returns the last items again forever.
//! * business discovery `media{…}`: `paging` has only `cursors` (`after` while more, `before` after the
//!   first page), no `next`/`previous`; absent when everything fits in one page.
//! * `/me/accounts`: the last page has only `cursors.before`.
//! * user insights: `paging.previous`/`next` are the same-width windows shifted back/forward, forever.

mod auth;
mod batch;
mod budget;
mod call;
pub mod catalog;
mod clock;
mod config;
mod ctx;
pub mod data;
mod edges;
pub mod error;
mod faults;
pub mod fields;
mod generate;
mod hashtags;
mod insight_values;
mod insights;
mod oauth;
pub mod paging;
mod render;
pub mod rng;
mod routes;
mod state;
#[cfg(test)]
mod tests;
mod timeline;
pub mod versions;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use auth::BASIC_TOKEN;
pub use clock::{ClockError, MAX_AHEAD_DAYS};
pub use config::SimConfig;
pub use data::Dataset;
pub use error::GraphError;
pub use faults::FaultKind;
pub use versions::{SEED_API_DATE, Version};

/// The Graph API versions served on `as_of`, oldest first (`v21.0`, …; see [`versions`]).
pub fn served_versions(as_of: chrono::NaiveDate) -> Vec<String> {
    versions::served(as_of)
        .iter()
        .map(Version::to_string)
        .collect()
}

/// Counters of answered Graph calls (`GET /__stats`). `total` counts every Graph call answered: each HTTP
/// request, plus each item of a batch (the batch request itself is counted once under `batch`).
#[derive(serde::Serialize, Clone, Debug, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Calls answered (errors and faults included).
    pub total: u64,
    /// By endpoint kind (`user/media`, `media/insights`, `batch`, …).
    pub by_endpoint: BTreeMap<String, u64>,
    /// By HTTP status (`"200"`, `"400"`, …).
    pub by_status: BTreeMap<String, u64>,
    /// Calls answered by an injected fault (including slow ones).
    pub faults_injected: u64,
    /// Calls refused by the hourly budget.
    pub throttled: u64,
    /// The most HTTP requests answered at once (since the last reset): how concurrent the client is.
    pub max_in_flight: u64,
}

/// Entry point.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Bind `addr` (use `127.0.0.1:0` in tests), build the data set, serve in a tokio task.
    pub async fn start(config: SimConfig, addr: SocketAddr) -> std::io::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let state = Arc::new(state::AppState::new(config, local));
        let app = routes::router(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        tracing::info!(addr = %local, seed = state.cfg.seed, "simulated Graph API listening");
        Ok(SimHandle {
            state,
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    state: Arc<state::AppState>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl SimHandle {
    /// `http://127.0.0.1:PORT` (clients append `/v15.0/...`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// The accepted user token.
    pub fn token(&self) -> &str {
        &self.state.cfg.token
    }
    /// The data set at the current clock (read-only): what the simulator answers now. Its
    /// [`Dataset::now`] is the clock it was taken at (after [`SimHandle::set_now`]: exactly that time).
    pub fn dataset(&self) -> Arc<Dataset> {
        self.state.data()
    }
    /// The data set at `clock` (any clock; meaningful from the start clock on): what the simulator
    /// answers (or answered) at that clock.
    pub fn dataset_at(&self, clock: DateTime<Utc>) -> Arc<Dataset> {
        self.state.data_at(clock)
    }
    /// The current clock (it runs with the wall clock).
    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }
    /// The start clock ([`SimConfig::now`], whole seconds).
    pub fn start_clock(&self) -> DateTime<Utc> {
        self.state.start()
    }
    /// Move the clock to `t`, from where it runs on. Refused when `t` is earlier than the clock or more
    /// than [`MAX_AHEAD_DAYS`] past the start. Returns `t`.
    pub fn set_now(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        self.state.set_now(t)
    }
    /// Move the clock forward by `by` (refused when negative or too far). Returns the new clock.
    pub fn advance(&self, by: chrono::Duration) -> Result<DateTime<Utc>, ClockError> {
        self.state.advance(by)
    }
    /// Same content as `GET /__stats`.
    pub fn stats(&self) -> StatsSnapshot {
        self.state.snapshot()
    }
    /// Reset the counters.
    pub fn reset_stats(&self) {
        self.state.reset_stats();
    }
    /// Graceful shutdown (in-flight requests finish; gives up after 5 s).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serve on `listener` until the process ends (`igflight simulate`).
pub async fn serve_forever(
    config: SimConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let state = Arc::new(state::AppState::new(config, local));
    tracing::info!(addr = %local, seed = state.cfg.seed, "simulated Graph API listening");
    axum::serve(listener, routes::router(state)).await
}
