//! Prometheus metrics: `igflight serve --metrics-listen 127.0.0.1:9464` serves them at `/metrics`
//! (off by default).
//!
//! Library code records through the [`metrics`] facade at the one place each thing happens; without
//! an installed recorder (every command but `serve --metrics-listen`) the macros do nothing, so the
//! library always records. The exporter is `metrics-exporter-prometheus` (its recorder and its text
//! format), served by our own axum listener ([`serve`]).
//!
//! | series | kind | labels | recorded in |
//! | --- | --- | --- | --- |
//! | `igflight_graph_calls_total` | counter | `endpoint`, `outcome` | the Graph client, per HTTP attempt (retries included; a batch counts once) |
//! | `igflight_graph_retries_total` | counter | `endpoint`, `reason` | the Graph client, per retry (`retryable`) or throttle wait (`rate_limited`) |
//! | `igflight_graph_cache_hits_total` | counter | `class` | the Graph client, per answer served from the response cache |
//! | `igflight_graph_budget_left` | gauge | `connection` | calls left in the rolling window of the connection's token |
//! | `igflight_hashtag_searches_used` | gauge | `connection` | unique hashtags searched in 7 days by the connection's busiest account (the limit is 30) |
//! | `igflight_report_runs_total` | counter | `report`, `connection`, `outcome` | each report run, when it ends |
//! | `igflight_report_rows_total` | counter | `report`, `connection` | rows each run sent |
//! | `igflight_report_duration_seconds` | histogram | `report` | how long each run lasted |
//! | `igflight_report_streams_active` | gauge | | report runs in progress |
//! | `igflight_token_days_left` | gauge | `connection` | days until the connection's token expires (negative: expired), when known |
//! | `igflight_sync_runs_total` | counter | `dataset`, `outcome` | each scheduled sync run (`serve --sync-file`) |
//!
//! Label values are bounded: endpoint kinds, error classes, report names, gRPC code names and configured
//! connection and dataset names — never an account id, a URL or a token. A run's `outcome` is `ok`,
//! `cancelled` (the client went away) or the gRPC code it failed with (`resource_exhausted`, …); a
//! Graph call's is `ok` or its error class; a sync run's `ok`, `busy` or `error`.
//!
//! The budget, hashtag and token gauges describe state that changes with time alone (calls leave the
//! rolling window, tokens age), so `serve` refreshes them every [`REFRESH_EVERY`] ([`watch`]); a
//! report run also refreshes its connection's budget gauge when it ends.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tonic::Code;

use crate::flight::connections::{Connections, Served};
use crate::plan::ReportContext;

/// Graph HTTP attempts by endpoint kind and outcome.
pub const GRAPH_CALLS: &str = "igflight_graph_calls_total";
/// Graph retries by endpoint kind and reason.
pub const GRAPH_RETRIES: &str = "igflight_graph_retries_total";
/// Graph answers served from the response cache, by cache class.
pub const CACHE_HITS: &str = "igflight_graph_cache_hits_total";
/// Calls left in the rolling window of a connection's token.
pub const BUDGET_LEFT: &str = "igflight_graph_budget_left";
/// Unique hashtags searched in the rolling 7 days by a connection's busiest account.
pub const HASHTAG_SEARCHES_USED: &str = "igflight_hashtag_searches_used";
/// Report runs by report, connection and outcome.
pub const REPORT_RUNS: &str = "igflight_report_runs_total";
/// Rows sent by report and connection.
pub const REPORT_ROWS: &str = "igflight_report_rows_total";
/// Report run durations.
pub const REPORT_DURATION: &str = "igflight_report_duration_seconds";
/// Report runs in progress.
pub const REPORTS_ACTIVE: &str = "igflight_report_streams_active";
/// Days until a connection's token expires.
pub const TOKEN_DAYS_LEFT: &str = "igflight_token_days_left";
/// Scheduled sync runs by dataset and outcome.
pub const SYNC_RUNS: &str = "igflight_sync_runs_total";

/// How often `serve` refreshes the gauges that change with time alone.
pub const REFRESH_EVERY: Duration = Duration::from_secs(15);

/// Buckets of [`REPORT_DURATION`] (seconds): a cached run takes milliseconds, a full media insights
/// run of a large account many minutes.
const DURATION_BUCKETS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0,
];

/// Whether a recorder is installed: the gauges that cost a ledger read are refreshed only then.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Why metrics could not be served.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The listen address is taken or cannot be bound.
    #[error("could not serve metrics on {addr}: {message}")]
    Listen {
        /// The `--metrics-listen` address.
        addr: SocketAddr,
        /// The system's reason.
        message: String,
    },
    /// Another recorder is installed, or the exporter could not be built.
    #[error("could not start the metrics exporter: {0}")]
    Exporter(String),
}

fn builder() -> Result<PrometheusBuilder, MetricsError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(REPORT_DURATION.to_string()),
            &DURATION_BUCKETS,
        )
        .map_err(|e| MetricsError::Exporter(e.to_string()))
}

/// How often the recorder's histograms are drained into what a scrape reads (the exporter's own
/// listener would do it; ours is axum's, see [`serve`]).
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Serve `GET /metrics` on `addr` and install the recorder for the whole process; returns the address
/// bound (the port, for `:0`). The text is the exporter's ([`PrometheusHandle::render`]); the listener
/// is ours (axum, as the simulator's), bound before the recorder is installed, so a taken address is
/// [`MetricsError::Listen`] and the server prints the port it really got.
pub async fn serve(addr: SocketAddr) -> Result<SocketAddr, MetricsError> {
    let listen = |e: std::io::Error| MetricsError::Listen {
        addr,
        message: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(listen)?;
    let bound = listener.local_addr().map_err(listen)?;
    let handle = install_recorder()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let text = handle.render();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    text,
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

/// Install the recorder without a listener and return its handle (`handle.render()` is the text a
/// scrape gets): for embedding igflight in another server, and for tests.
pub fn install_recorder() -> Result<PrometheusHandle, MetricsError> {
    let handle = builder()?
        .install_recorder()
        .map_err(|e| MetricsError::Exporter(e.to_string()))?;
    installed();
    Ok(handle)
}

fn installed() {
    INSTALLED.store(true, Ordering::Relaxed);
    describe();
}

/// Whether a recorder is installed ([`serve`] or [`install_recorder`]).
pub fn is_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        GRAPH_CALLS,
        "Graph API HTTP attempts (retries included), by endpoint kind and outcome (ok or error class)"
    );
    describe_counter!(
        GRAPH_RETRIES,
        "Graph API retries, by endpoint kind and reason"
    );
    describe_counter!(
        CACHE_HITS,
        "Graph answers served from the response cache instead of a call, by cache class"
    );
    describe_gauge!(
        BUDGET_LEFT,
        "Graph calls left in the rolling window of the connection's token"
    );
    describe_gauge!(
        HASHTAG_SEARCHES_USED,
        "Unique hashtags searched in the last 7 days by the connection's busiest account (limit 30)"
    );
    describe_counter!(
        REPORT_RUNS,
        "Report runs, by report, connection and outcome (ok, cancelled or the gRPC code)"
    );
    describe_counter!(REPORT_ROWS, "Rows sent by report runs");
    describe_histogram!(REPORT_DURATION, Unit::Seconds, "Report run durations");
    describe_gauge!(REPORTS_ACTIVE, "Report runs in progress");
    describe_gauge!(
        TOKEN_DAYS_LEFT,
        "Days until the connection's access token expires (negative: expired)"
    );
    describe_counter!(SYNC_RUNS, "Scheduled sync runs, by dataset and outcome");
}

/// The `outcome` label of a failed run: the gRPC code's name in snake case.
pub fn code_label(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "cancelled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// Set the budget gauge of `ctx`'s connection from its ledger (when a recorder is installed: it is a
/// ledger read, a file or Redis round trip). A ledger that cannot be read leaves the gauge as it was.
pub async fn refresh_budget(ctx: &ReportContext) {
    if !is_installed() {
        return;
    }
    let graph = &ctx.graph;
    match graph.budget().remaining_for(graph.token_key()).await {
        Ok(left) => metrics::gauge!(BUDGET_LEFT, "connection" => ctx.served_name().to_string())
            .set(f64::from(left)),
        Err(e) => tracing::debug!(error = %e, "the call budget could not be read for the metrics"),
    }
}

/// Days from `now` to `expires_at` (unix seconds), negative once past.
pub fn days_left(expires_at: i64, now: i64) -> f64 {
    expires_at.saturating_sub(now) as f64 / 86_400.0
}

/// Refresh the gauges of one served connection: budget left, hashtag searches used, token days left.
pub async fn refresh_connection(served: &Served) {
    let ctx = &served.ctx;
    refresh_budget(ctx).await;
    let name = served.name.clone();
    metrics::gauge!(HASHTAG_SEARCHES_USED, "connection" => name.clone())
        .set(crate::plan::hashtag_searches_used(ctx, ctx.now()) as f64);
    if let Some(at) = served.expires_at() {
        metrics::gauge!(TOKEN_DAYS_LEFT, "connection" => name)
            .set(days_left(at, chrono::Utc::now().timestamp()));
    }
}

/// Refresh every connection's gauges now and every [`REFRESH_EVERY`] until the task is aborted.
pub fn watch(conns: &Connections) -> tokio::task::JoinHandle<()> {
    let served: Vec<Served> = conns.iter().cloned().collect();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for s in &served {
                refresh_connection(s).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_counts_down_and_goes_negative() {
        assert_eq!(days_left(86_400 * 3, 0), 3.0);
        assert_eq!(days_left(43_200, 0), 0.5);
        assert_eq!(days_left(0, 86_400), -1.0);
        assert_eq!(days_left(i64::MAX, i64::MIN), i64::MAX as f64 / 86_400.0);
    }

    #[test]
    fn code_labels_are_snake_case_names() {
        assert_eq!(code_label(Code::ResourceExhausted), "resource_exhausted");
        assert_eq!(code_label(Code::InvalidArgument), "invalid_argument");
        assert_eq!(code_label(Code::Unauthenticated), "unauthenticated");
    }

    #[test]
    fn calls_are_counted_by_endpoint_and_outcome() {
        use crate::graph::{CallStats, EndpointKind, Secret};
        // a recorder of this test only, not the global one
        let recorder = builder().unwrap().build_recorder();
        let handle = recorder.handle();
        let stats = CallStats::default();
        let key = Secret::new("t").key();
        metrics::with_local_recorder(&recorder, || {
            stats.record(EndpointKind::UserMedia, &key, "ok");
            stats.record(EndpointKind::UserMedia, &key, "ok");
            stats.record(EndpointKind::MediaInsights, &key, "retryable");
        });
        let text = handle.render();
        assert!(
            text.contains(r#"igflight_graph_calls_total{endpoint="user/media",outcome="ok"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"igflight_graph_calls_total{endpoint="media/insights",outcome="retryable"} 1"#
            ),
            "{text}"
        );
        // no token, not even its key, is a label
        assert!(!text.contains(key.as_str()), "{text}");
    }
}
