//! The simulated Graph API: a deterministic, faithful HTTP fake of the Facebook Graph API (v15.0,
//! Instagram Business, Facebook-Login flavour) used as the demo backend, the test bed and the benchmark
//! backend.
//!
//! * [`data`]: the data set, generated from a seed (pages, accounts, media, stories, comments, hashtags,
//!   business-discovery accounts, insight values). Tests read it through [`SimHandle::dataset`].
//! * [`fields`]: the `fields` parser. [`graph`]: endpoints and rendering. [`paging`]: cursors.
//! * `server`: auth, budget, usage headers, faults, batch, OAuth, `/__stats`.
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
//!   offset [`graph::SHORT_PAGE_AT`] (110) ends there, so it has fewer items than `limit` (with the
//!   default limit 25: the 5th page, offsets 100..110, has 10 items) and still has `next`.
//! * `accounts[1]` `/media`: the first page that starts in `[150, 150+limit)` ([`graph::EMPTY_PAGE_FROM`])
//!   is **empty but has `next`** (with limit 25: the 7th page); following `next` gives the data.
//! * `recent_media`: `paging.cursors` has only `after`, the same value on every page; `next` advances via a
//!   `__paging_token` query parameter, and the last page's `next` returns the last items again forever.
//! * business discovery `media{…}`: `paging` has only `cursors` (`after` while more, `before` after the
//!   first page), no `next`/`previous`; absent when everything fits in one page.
//! * `/me/accounts`: the last page has only `cursors.before`.
//! * user insights: `paging.previous`/`next` are the same-width windows shifted back/forward, forever.

pub mod data;
pub mod error;
pub mod fields;
pub mod graph;
pub mod paging;
pub mod rng;
mod server;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use data::Dataset;
pub use error::GraphError;
pub use server::BASIC_TOKEN;

/// Simulator configuration.
#[derive(Clone)]
pub struct SimConfig {
    /// Data set seed (default 42).
    pub seed: u64,
    /// The user access token accepted (default `demo-token`).
    pub token: String,
    /// The data set clock (default now).
    pub now: chrono::DateTime<chrono::Utc>,
    /// Added to every Graph response (default 0).
    pub latency: Duration,
    /// Per-token rolling-hour call budget; past it calls get the `throttle_code` error.
    pub calls_per_hour: Option<u32>,
    /// 4, 17 or 80002 (default 17).
    pub throttle_code: u32,
    /// Probability that a call is answered by an injected fault (0.0..=1.0).
    pub fault_rate: f64,
    /// Which faults to inject (default: all).
    pub faults: Vec<FaultKind>,
    /// Delay of the `Slow` fault (default 3 s).
    pub slow_delay: Duration,
    /// App id for OAuth / debug_token (default `demo-app`).
    pub app_id: String,
    /// App secret for OAuth / debug_token / appsecret_proof (default `demo-secret`).
    pub app_secret: String,
    /// Require `appsecret_proof` on Graph calls (default false).
    pub require_appsecret_proof: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            token: "demo-token".into(),
            now: chrono::Utc::now(),
            latency: Duration::ZERO,
            calls_per_hour: None,
            throttle_code: 17,
            fault_rate: 0.0,
            faults: FaultKind::ALL.to_vec(),
            slow_delay: Duration::from_secs(3),
            app_id: "demo-app".into(),
            app_secret: "demo-secret".into(),
            require_appsecret_proof: false,
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("token", &"<redacted>")
            .field("now", &self.now)
            .field("latency", &self.latency)
            .field("calls_per_hour", &self.calls_per_hour)
            .field("throttle_code", &self.throttle_code)
            .field("fault_rate", &self.fault_rate)
            .field("faults", &self.faults)
            .field("slow_delay", &self.slow_delay)
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("require_appsecret_proof", &self.require_appsecret_proof)
            .finish()
    }
}

/// An injectable fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// HTTP 500, code 2, `is_transient: true`.
    Http500Code2,
    /// HTTP 500, code 1 "An unknown error has occurred."
    Code1,
    /// 200 headers, then the body stops half-way with a transport error.
    DropConnection,
    /// Sleep `slow_delay`, then answer correctly.
    Slow,
    /// HTTP 503 with an HTML body.
    Html503,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Http500Code2,
        FaultKind::Code1,
        FaultKind::DropConnection,
        FaultKind::Slow,
        FaultKind::Html503,
    ];
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Http500Code2 => "http500",
            FaultKind::Code1 => "code1",
            FaultKind::DropConnection => "drop",
            FaultKind::Slow => "slow",
            FaultKind::Html503 => "html503",
        })
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "http500" => Ok(FaultKind::Http500Code2),
            "code1" => Ok(FaultKind::Code1),
            "drop" => Ok(FaultKind::DropConnection),
            "slow" => Ok(FaultKind::Slow),
            "html503" => Ok(FaultKind::Html503),
            other => Err(format!(
                "unknown fault kind '{other}': expected one of http500, code1, drop, slow, html503"
            )),
        }
    }
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
}

/// Entry point.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Bind `addr` (use `127.0.0.1:0` in tests), build the data set, serve in a tokio task.
    pub async fn start(config: SimConfig, addr: SocketAddr) -> std::io::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let state = Arc::new(server::AppState::new(config, local));
        let app = server::router(state.clone());
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
    state: Arc<server::AppState>,
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
    /// The data set (read-only).
    pub fn dataset(&self) -> Arc<Dataset> {
        self.state.data.clone()
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
    let state = Arc::new(server::AppState::new(config, local));
    tracing::info!(addr = %local, seed = state.cfg.seed, "simulated Graph API listening");
    axum::serve(listener, server::router(state)).await
}
