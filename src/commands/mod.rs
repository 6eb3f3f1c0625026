//! The one-shot commands: `igflight export` and `igflight sql`.
//!
//! Both start the same way ([`Source::connect`]: the Graph API with `IGFLIGHT_ACCESS_TOKEN`, or the
//! in-process simulator with `--demo`), stream batches into an [`output`](crate::output) writer as they
//! arrive, and fail with one line on stderr and a non-zero exit ([`CliError`]).

pub mod accounts;
pub mod docs;
pub mod export;
mod progress;
pub mod serve;
pub mod simulate;
pub mod sql;
pub mod sync;

use std::sync::Arc;

use tonic::Code;

use crate::cli::{ApiArgs, SourceArgs};
use crate::error::{RECONNECT_HINT, ReportError};
use crate::plan::ReportContext;
use crate::sim::{SimConfig, SimHandle, Simulator};
use crate::state::{Ledger, StateError};

/// Exit code of a refused request (bad ticket, SQL or flag value), as clap uses for usage errors.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of a failed run (Graph API, report or file error).
pub const EXIT_FAILED: i32 = 1;
/// Exit code after Ctrl-C (SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit code of `export`, `sql` and `sync` after SIGTERM: 128 + 15, what a shell reports for a
/// process the signal ended (`serve` drains and exits 0 instead).
pub const EXIT_TERMINATED: i32 = 143;

/// `n` and the noun, singular for one: `count(1, "row")` is "1 row", `count(2, "batch")` "2 batches"
/// (the progress and closing lines; their nouns take `es` after ch, s and x, else `s`).
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        return format!("1 {noun}");
    }
    let es = ["ch", "s", "x"].iter().any(|e| noun.ends_with(e));
    format!("{n} {noun}{}", if es { "es" } else { "s" })
}

/// A command's failure: one line for stderr and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub code: i32,
    /// What went wrong and what to do (one line).
    pub message: String,
}

/// Accounts errors: usage errors exit 2, the rest 1.
impl From<crate::accounts::AccountsError> for CliError {
    fn from(e: crate::accounts::AccountsError) -> Self {
        if e.is_usage() {
            CliError::usage(&e)
        } else {
            CliError::failed(&e)
        }
    }
}

impl CliError {
    /// A failure with this exit code; newlines in `message` are folded into one line.
    pub fn new(code: i32, message: impl std::fmt::Display) -> Self {
        let message = message
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        CliError { code, message }
    }

    /// A refused request.
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self::new(EXIT_USAGE, message)
    }

    /// A failed run.
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Self::new(EXIT_FAILED, message)
    }

    /// Interrupted by Ctrl-C.
    pub fn interrupted() -> Self {
        Self::new(EXIT_INTERRUPTED, "interrupted")
    }

    /// Ended by SIGTERM.
    pub fn terminated() -> Self {
        Self::new(EXIT_TERMINATED, "terminated")
    }

    /// Print `error: …` on stderr and exit.
    pub fn exit(self) -> ! {
        eprintln!("error: {}", self.message);
        std::process::exit(self.code)
    }
}

impl From<crate::output::OutputError> for CliError {
    fn from(e: crate::output::OutputError) -> Self {
        CliError::failed(e)
    }
}

/// `run`, or [`CliError::terminated`] when SIGTERM comes first (Unix). `run` is dropped then, as on
/// Ctrl-C: its writer removes the temporary file, so no partial output is left behind — without a
/// handler SIGTERM would kill the process where it stands and leave it.
pub async fn or_terminated<T>(run: impl std::future::Future<Output = T>) -> Result<T, CliError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                out = run => return Ok(out),
                _ = term.recv() => return Err(CliError::terminated()),
            }
        }
    }
    Ok(run.await)
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM (`systemctl stop`, `docker stop`): what a
/// long-running command other than `serve` (which drains, [`serve`]) waits for to stop cleanly
/// (`sync run --watch`, `simulate`).
///
/// The handlers are installed when this is called, not when the future is first polled: a signal that
/// comes between (while the command starts) is not lost to the default action, which would kill it.
pub fn stop_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate())
            .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
            .ok()
    };
    async move {
        #[cfg(unix)]
        if let Some((mut term, mut int)) = handlers {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The message a user sees for a report error (as the Flight status message, without logging it):
/// a token problem says how to reconnect.
pub fn report_message(e: &ReportError) -> String {
    if e.code() == Code::Unauthenticated {
        format!("{e}. {RECONNECT_HINT}")
    } else {
        e.to_string()
    }
}

/// The exit code of a report error: a refused request is a usage error.
pub fn report_exit_code(e: &ReportError) -> i32 {
    match e.code() {
        Code::InvalidArgument => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

/// A report error as a command failure.
pub fn report_failure(e: &ReportError) -> CliError {
    CliError::new(report_exit_code(e), report_message(e))
}

/// Logging for the one-shot commands: warnings only by default, so stderr stays for progress and
/// errors (`-v` for more, `RUST_LOG` overrides).
pub fn init_logging(verbosity: u8, json: bool) {
    crate::telemetry::init_with_default(verbosity, json, "warn");
}

/// Where reports come from: a report context over the Graph client, and the in-process simulator
/// behind it with `--demo`.
#[derive(Debug)]
pub struct Source {
    /// The report context (Graph client, caches).
    pub ctx: Arc<ReportContext>,
    /// The calls-per-hour budget of the client.
    pub calls_per_hour: u32,
    sim: Option<SimHandle>,
}

/// The ledger of a command, opened on first use ([`Source::connect_on`]).
pub type LedgerSlot = tokio::sync::OnceCell<Arc<dyn Ledger>>;

/// Open the ledger the flags name (`--state`, `--data-dir`): a bad `--state` is a usage error, a data
/// folder or store that cannot be used a failure. Logs which store counts the calls.
pub async fn open_ledger(api: &ApiArgs) -> Result<Arc<dyn Ledger>, CliError> {
    let spec = api.state.spec(api.demo).map_err(state_failure)?;
    let ledger = spec.open().await.map_err(state_failure)?;
    tracing::info!(store = %ledger.describe(), "call ledger");
    Ok(ledger)
}

/// A state error as a command failure.
pub fn state_failure(e: StateError) -> CliError {
    match e {
        StateError::BadSpec { .. } => CliError::usage(e),
        _ => CliError::failed(e),
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl Source {
    /// Start the demo simulator (`--demo`) or build the Graph client from the flags and
    /// `IGFLIGHT_ACCESS_TOKEN` or a stored connection (`--connection NAME`). A missing token is a usage error that says how to fix it.
    pub async fn connect(args: &SourceArgs) -> Result<Source, CliError> {
        Self::connect_on(args, &LedgerSlot::new()).await
    }

    /// [`Source::connect`] with its calls counted in the ledger of `slot`, opened (`--state`,
    /// `--data-dir`) once a token is found: one ledger for every connection of a server, and no data
    /// folder made for a command that fails before it calls anything.
    pub async fn connect_on(args: &SourceArgs, slot: &LedgerSlot) -> Result<Source, CliError> {
        let ledger = || slot.get_or_try_init(|| open_ledger(&args.api));
        let mut sim = None;
        let mut connection = None;
        let graph = args.api.graph.settings();
        let client = if args.api.demo {
            let config = SimConfig {
                seed: args.api.seed,
                api_as_of: crate::cli::api_date(args.api.api_as_of),
                ..SimConfig::default()
            };
            let addr = "127.0.0.1:0".parse().map_err(CliError::failed)?;
            let handle = Simulator::start(config, addr).await.map_err(|e| {
                CliError::failed(format!("could not start the simulated Graph API: {e}"))
            })?;
            let ledger = ledger().await?.clone();
            let client = graph
                .client_on(
                    handle.token().to_string(),
                    Some(handle.base_url()),
                    Some(ledger),
                )
                .map_err(CliError::failed)?;
            tracing::info!(base_url = %handle.base_url(), seed = args.api.seed, "demo: simulated Graph API started");
            sim = Some(handle);
            client
        } else {
            let selected = crate::accounts::select_token(&graph, args.connection.as_deref())
                .await
                .map_err(CliError::from)?;
            connection = selected.connection.clone();
            let ledger = ledger().await?.clone();
            graph
                .client_on(selected.token.expose().to_string(), None, Some(ledger))
                .map_err(CliError::failed)?
        };
        Ok(Source {
            ctx: Arc::new(
                ReportContext::new(client)
                    .with_connection(connection)
                    .with_max_calls_per_request(graph.max_calls_per_request)
                    .with_graph_concurrency(graph.graph_concurrency),
            ),
            calls_per_hour: args.api.graph.calls_per_hour,
            sim,
        })
    }

    /// The in-process simulator of `--demo`.
    pub fn sim(&self) -> Option<&SimHandle> {
        self.sim.as_ref()
    }

    /// Calls left in the client's budget for its token (rolling hour); `None` when the ledger cannot
    /// say.
    pub async fn budget_left(&self) -> Option<u32> {
        let g = &self.ctx.graph;
        g.budget().remaining_for(g.token_key()).await.ok()
    }

    /// Graph calls the client has made so far (HTTP attempts).
    pub fn graph_calls(&self) -> u64 {
        self.ctx.graph.stats().total
    }

    /// Stop the simulator, if any.
    pub async fn shutdown(self) {
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}
