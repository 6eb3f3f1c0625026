//! Command-line interface (`clap` derive). `main.rs` only parses and dispatches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::graph::Secret;
use crate::output::Format;
use crate::sim::{FaultKind, SimConfig};

/// igflight: Instagram Business reports as Arrow Flight streams.
#[derive(Debug, Parser)]
#[command(name = "igflight", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub logging: LoggingArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The config file ([`crate::cli_config`]), for every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Config")]
pub struct ConfigArgs {
    /// A config file (TOML) with the same keys as the flags, at the top level or in a table per
    /// command (`[serve]`); flags and environment variables override it. Default:
    /// igflight.toml in the config folder (IGFLIGHT_CONFIG_DIR, else ~/.config/igflight) when present.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// Logging flags shared by every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Logging")]
pub struct LoggingArgs {
    /// More log output (-v debug, -vv trace). `RUST_LOG` overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
}

/// Examples and environment variables, after `igflight serve --help`.
const SERVE_AFTER_HELP: &str = "\
Examples:
  igflight serve --demo
      the simulated Graph API with its demo data: no token, no network
  IGFLIGHT_ACCESS_TOKEN=EAAG... igflight serve
      one Graph token, served as connection `default` on 127.0.0.1:50051
  igflight serve --connection work --connection shop --listen 0.0.0.0:50051 \\
      --auth-file clients.txt --tls-cert cert.pem --tls-key key.pem
      two stored connections (igflight accounts), beyond loopback with client credentials and TLS

Environment:
  IGFLIGHT_ACCESS_TOKEN  the Graph access token, when no --connection is given
  IGFLIGHT_CONFIG_DIR    the stored connections and igflight.toml, the config file read when
                         present (default ~/.config/igflight; --config names another file)
  IGFLIGHT_DATA_DIR      the data folder: the call ledger (--data-dir)
  IGFLIGHT_STATE         where the call ledger is kept (--state)
  IGFLIGHT_GRAPH_URL     the Graph API's base URL (--graph-url)
  IGFLIGHT_APP_SECRET    the app secret (--app-secret)
  IGFLIGHT_AUTH_TOKENS   client bearer tokens, comma separated (--auth-token)
  RUST_LOG               log filter, e.g. igflight=debug (overrides -v)";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the reports over Arrow Flight (gRPC).
    #[command(after_help = SERVE_AFTER_HELP)]
    Serve(Box<ServeArgs>),
    /// Run the simulated Graph API alone, as an HTTP server (for demos, tests and benchmarks).
    Simulate(SimulateArgs),
    /// Export one report to a file (Parquet, Arrow IPC, CSV or JSON lines), streaming page by page.
    ///
    /// Example: igflight export --demo --ticket '{"report":"user_media"}' --output media.parquet
    Export(ExportArgs),
    /// Run SQL over the reports and print the result (or write it to a file).
    ///
    /// Example: igflight sql --demo "SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = '…' GROUP BY 1"
    Sql(SqlArgs),
    /// The stored connections: Graph access tokens kept in the config folder (`IGFLIGHT_CONFIG_DIR`,
    /// default `~/.config/igflight`) with what they reach and when they expire.
    ///
    /// Use one with `igflight serve|sql|export --connection NAME`.
    Accounts(AccountsArgs),
    /// Keep reports as Parquet datasets on a schedule (a sync file lists them).
    ///
    /// Example: igflight sync run --demo --sync-file sync.toml
    Sync(SyncArgs),
    /// Print a shell completion script.
    ///
    /// Example: igflight completions bash > ~/.local/share/bash-completion/completions/igflight
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command to a folder.
    ///
    /// Example: igflight man | man -l -
    Man(ManArgs),
}

/// Flags of `igflight completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Flags of `igflight man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write igflight.1 and a page per command (igflight-serve.1, …) to this folder instead of
    /// printing igflight.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Where the Graph API is and how the client treats it (shared by every command that calls it).
/// The access token is read from the environment (`IGFLIGHT_ACCESS_TOKEN`), never from a flag.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Graph API")]
pub struct GraphArgs {
    /// Base URL of the Graph API (scheme, host, port).
    #[arg(
        long,
        env = "IGFLIGHT_GRAPH_URL",
        default_value = "https://graph.facebook.com"
    )]
    pub graph_url: String,
    /// Graph API version path segment.
    #[arg(long, default_value = "v15.0", value_parser = parse_graph_version)]
    pub graph_version: String,
    /// App secret: when set, every call carries `appsecret_proof`.
    #[arg(long, env = "IGFLIGHT_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// Client-side call budget per token per rolling hour (the Graph API allows 200).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub calls_per_hour: u32,
    /// How long a call may wait for the budget before failing with RESOURCE_EXHAUSTED (seconds, at most a day).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub budget_wait_secs: u64,
    /// Most Graph calls one request (a DoGet, a SQL scan, an export) may make, retries included.
    #[arg(long, value_name = "CALLS", default_value_t = crate::plan::ReportContext::DEFAULT_MAX_CALLS_PER_REQUEST, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_calls_per_request: u32,
    /// Retries of a failed Graph call (transient errors, throttling) before giving up.
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// Graph calls one report run may have in flight at once (independent insight groups); the
    /// call budget holds whatever this is.
    #[arg(long, value_name = "N", default_value_t = crate::plan::ReportContext::DEFAULT_GRAPH_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub graph_concurrency: u16,
    /// Bytes of Graph answers kept per connection for reuse by later requests (e.g. 64MiB); 0
    /// turns the cache off.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_cache_size)]
    pub cache_size: usize,
    /// How long kept answers of one class stay fresh, CLASS=DURATION (repeatable; 0 = never
    /// reused). Classes and defaults: accounts=10m, profile=5m, media=5m, insights=15m,
    /// settled_insights=1d (user insights of days ended over 2 days ago), hashtag_id=7d,
    /// recent_hashtags=1m.
    #[arg(long = "cache-ttl", value_name = "CLASS=DURATION", value_parser = crate::graph::parse_ttl)]
    pub cache_ttl: Vec<(crate::graph::CacheClass, Duration)>,
}

/// `--cache-size`: 0, or a size as [`parse_size`] reads it.
fn parse_cache_size(s: &str) -> Result<usize, String> {
    if s.trim() == "0" {
        return Ok(0);
    }
    parse_size(s)
}

fn parse_graph_version(s: &str) -> Result<String, String> {
    if crate::graph::is_version(s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a Graph API version; accepted: vMAJOR.MINOR, e.g. v15.0"
        ))
    }
}

impl GraphArgs {
    /// The library's form of these flags.
    pub fn settings(&self) -> crate::graph::GraphSettings {
        crate::graph::GraphSettings {
            graph_url: self.graph_url.clone(),
            graph_version: self.graph_version.clone(),
            app_secret: self.app_secret.clone(),
            calls_per_hour: self.calls_per_hour,
            budget_wait_secs: self.budget_wait_secs,
            max_retries: self.max_retries,
            max_calls_per_request: self.max_calls_per_request,
            graph_concurrency: usize::from(self.graph_concurrency),
            cache: crate::graph::CacheConfig {
                max_bytes: self.cache_size,
                ttl: self.cache_ttl.clone(),
            },
        }
    }
}

/// Limits of SQL queries (`serve` and `sql`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Limits")]
pub struct SqlLimitArgs {
    /// Memory all SQL queries may hold at once in operators that buffer (sorts, joins, aggregations),
    /// e.g. 512MiB or 2GiB; a query past it fails with RESOURCE_EXHAUSTED.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub sql_memory: usize,
    /// Seconds one SQL query may take, planning and execution together.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub sql_timeout: u64,
}

impl SqlLimitArgs {
    /// The SQL limits these flags describe (the value caps keep their defaults).
    pub fn limits(&self) -> crate::sql::SqlLimits {
        crate::sql::SqlLimits {
            memory_bytes: self.sql_memory,
            query_timeout: Duration::from_secs(self.sql_timeout),
            ..crate::sql::SqlLimits::default()
        }
    }
}

/// A size: bytes, or a number with KiB, MiB or GiB (K, M, G and KB, MB, GB are read as the same
/// powers of 1024), between 1 MiB and 1 TiB.
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "`{s}` is not a size; accepted: a number with KiB, MiB or GiB, e.g. 1GiB"
            ));
        }
    };
    let n: usize = digits.parse().map_err(|_| {
        format!("`{s}` is not a size; accepted: a number with KiB, MiB or GiB, e.g. 1GiB")
    })?;
    let bytes = n
        .checked_mul(1usize << shift)
        .filter(|b| (1 << 20..=1 << 40).contains(b))
        .ok_or_else(|| format!("`{s}` is out of range; accepted: 1MiB to 1024GiB"))?;
    Ok(bytes)
}

/// The Graph API a command calls: the one the Graph flags describe or, with `--demo`, the simulated
/// one (`serve` and the one-shot commands).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Graph API")]
pub struct ApiArgs {
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Use the built-in simulated Graph API (started in-process): no credentials, no network.
    #[arg(long)]
    pub demo: bool,
    /// Seed of the demo data set (with --demo).
    #[arg(long, default_value_t = 42, requires = "demo")]
    pub seed: u64,
    /// The date of the Graph API the demo simulator serves (YYYY-MM-DD, from 2022-11-01): its
    /// versions and metrics (default: today, UTC). 2022-11-01 serves v15.0 and its metrics.
    #[arg(long, value_name = "DATE", value_parser = parse_api_date, requires = "demo")]
    pub api_as_of: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Where the state that outlives a process is kept: the call ledger (Graph calls per token per
/// rolling hour), the hashtag searches per account (30 per 7 days) and the business-conversion
/// boundaries (`serve`, `sql`, `export`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "State (call ledger)")]
pub struct StateArgs {
    /// The data folder (the call ledger file, ledger.sqlite3). Default: $XDG_DATA_HOME/igflight, else
    /// ~/.local/share/igflight.
    #[arg(long, value_name = "DIR", env = crate::state::DATA_DIR_ENV)]
    pub data_dir: Option<PathBuf>,
    /// Where the call ledger is kept: `file` (in the data folder, shared by every igflight process of
    /// this machine; the default), `memory` (this process only; the default with --demo), or
    /// `redis://HOST:PORT[/DB]` (shared by every server using that Redis).
    #[arg(long, value_name = "STORE", env = "IGFLIGHT_STATE")]
    pub state: Option<String>,
}

impl StateArgs {
    /// The store these flags name; `demo` (the in-process simulator) keeps its ledger in memory
    /// unless `--state` says otherwise.
    pub fn spec(&self, demo: bool) -> Result<crate::state::StateSpec, crate::state::StateError> {
        let value = match self.state.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v,
            _ if demo => "memory",
            _ => "file",
        };
        crate::state::StateSpec::parse(value, || match &self.data_dir {
            Some(d) if !d.as_os_str().is_empty() => Ok(d.clone()),
            _ => crate::state::default_data_dir(),
        })
    }
}

/// Flags of `igflight serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to serve Flight on.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Serve the stored connection NAME (`igflight accounts`); repeatable: one server for several
    /// connections, the first being the default. A client picks one with the ticket key `connection`
    /// or the call header `x-igflight-connection`. Without this flag: IGFLIGHT_ACCESS_TOKEN (served as
    /// connection `default`), else every stored connection. (An Instagram account is named per
    /// request: the ticket key `account`, or `--account ID` on `sql`.)
    #[arg(
        long = "connection",
        value_name = "NAME",
        conflicts_with = "demo",
        help_heading = "Graph API"
    )]
    pub connections: Vec<String>,
    /// A bearer token Flight clients must send (`authorization: Bearer TOKEN`); repeatable. Also read,
    /// comma separated, from IGFLIGHT_AUTH_TOKENS. Reads every served connection (limit a token with
    /// --auth-file). Without any --auth-* flag no client credentials are needed.
    #[arg(
        long = "auth-token",
        help_heading = "Clients and authentication",
        value_name = "TOKEN",
        env = "IGFLIGHT_AUTH_TOKENS",
        value_delimiter = ',',
        hide_env_values = true,
        value_parser = secret_value
    )]
    pub auth_tokens: Vec<Secret>,
    /// A file of accepted bearer tokens, one per line (blank lines and `#` comments ignored).
    #[arg(long, value_name = "FILE", help_heading = "Clients and authentication")]
    pub auth_token_file: Option<PathBuf>,
    /// A file of client credentials, each optionally limited to named connections, one per line:
    /// `token TOKEN [CONN,…]` or `user NAME:PASSWORD [CONN,…]` (blank lines and `#` comment lines
    /// ignored). Keeps secrets off the command line; make it readable by you only.
    #[arg(long, value_name = "FILE", help_heading = "Clients and authentication")]
    pub auth_file: Option<PathBuf>,
    /// A user for the Flight Basic handshake (ADBC username/password, pyarrow
    /// authenticate_basic_token), which answers with a session bearer token; repeatable. Reads every
    /// served connection (limit a user with --auth-file).
    #[arg(
        long = "auth-user",
        value_name = "NAME:PASSWORD",
        value_parser = secret_value,
        hide_env_values = true,
        help_heading = "Clients and authentication"
    )]
    pub auth_users: Vec<Secret>,
    /// TLS certificate chain (PEM) for the Flight server; needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key", help_heading = "TLS")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for the Flight server; needs --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert", help_heading = "TLS")]
    pub tls_key: Option<PathBuf>,
    /// How often (seconds) a running server checks its stored connections: it adopts a token stored
    /// meanwhile (`accounts reconnect`), renews an old one (with --app-secret), and warns under 7 days.
    #[arg(long, value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..), hide = true)]
    pub token_check_secs: u64,
    /// CA certificate (PEM) that client certificates must chain to (mutual TLS); needs --tls-cert and
    /// --tls-key.
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "tls_key"], help_heading = "TLS")]
    pub tls_client_ca: Option<PathBuf>,
    /// Reports (DoGet streams and SQL scans) running at once over all clients; one more is refused
    /// with RESOURCE_EXHAUSTED.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000), help_heading = "Limits")]
    pub max_concurrent_reports: u32,
    /// Requests one client connection may have in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000), help_heading = "Limits")]
    pub max_requests_per_connection: u32,
    /// Seconds a unary call (GetFlightInfo, GetSchema, actions) may take before it fails.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400), help_heading = "Limits")]
    pub request_timeout_secs: u64,
    /// Seconds a DoGet stream waits for a client that stopped reading before it stops the report.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400), help_heading = "Limits")]
    pub stall_timeout_secs: u64,
    /// On SIGTERM or SIGINT (Ctrl-C) the server stops accepting, says NOT_SERVING on its health
    /// service, and lets running DoGet streams finish for this long (e.g. 30s, 2m, 0s); streams still
    /// running then end with UNAVAILABLE, and the server exits 0. A second signal cuts them at once.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_grace)]
    pub shutdown_grace: std::time::Duration,
    #[command(flatten)]
    pub sql: SqlLimitArgs,
    /// A sync file (TOML, as `igflight sync` reads): each of its datasets is the Flight SQL table
    /// `synced.<name>` (read from its Parquet files, no Graph call), and the server runs each dataset
    /// when it is due, on its default connection.
    #[arg(long, value_name = "FILE", help_heading = "Sync")]
    pub sync_file: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics (Graph calls, budget left, report runs and
    /// rows, …; see the README). Off by default; keep it on loopback or a private network.
    #[arg(long, value_name = "ADDR", help_heading = "Monitoring")]
    pub metrics_listen: Option<SocketAddr>,
    /// Print the effective settings (command line, environment, config file, defaults; secrets
    /// redacted) as a config file, and exit.
    #[arg(long, help_heading = "Config")]
    pub print_config: bool,
}

/// `--shutdown-grace`: a `humantime` duration, at most an hour (a stop that takes longer is killed by
/// any supervisor anyway).
fn parse_grace(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|_| format!("`{s}` is not a duration; accepted: e.g. 30s, 2m, 0s"))?;
    if d > std::time::Duration::from_secs(3600) {
        return Err(format!("`{s}` is longer than the accepted 1h"));
    }
    Ok(d)
}

/// A credential flag's value, kept secret: it is checked when `serve` starts, with an error that does
/// not repeat it (clap's own errors print the value).
fn secret_value(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

/// Where the reports come from, for the one-shot commands (`export`, `sql`): the Graph API (flags and
/// `IGFLIGHT_ACCESS_TOKEN`) or, with `--demo`, the simulated Graph API started in-process.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Graph API")]
pub struct SourceArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Use the stored connection NAME (`igflight accounts`) for the Graph access token instead of
    /// IGFLIGHT_ACCESS_TOKEN. Without either, the only stored connection is used.
    #[arg(long, value_name = "NAME", conflicts_with = "demo")]
    pub connection: Option<String>,
}

/// Flags of `igflight export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The report ticket as a JSON object (report name and parameters), e.g. '{"report":"user_media","limit":100}';
    /// `@FILE` reads it from a file.
    #[arg(long)]
    pub ticket: String,
    /// Output format; default: from the extension of --output (.parquet, .arrow/.feather/.ipc,
    /// .csv, .json/.jsonl/.ndjson).
    #[arg(long, value_parser = file_format(), help_heading = "Output")]
    pub format: Option<Format>,
    /// The file to write. It appears only when the export succeeds (written to a temporary file
    /// next to it, then renamed).
    #[arg(long, short, help_heading = "Output")]
    pub output: PathBuf,
    /// No progress output (the final line is still printed).
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// The formats a file can be written in (`export --format`): every [`Format`] but `table`, so
/// `--help` and clap's errors list only those.
fn file_format() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::ValueEnum;
    use clap::builder::TypedValueParser;
    let names: Vec<clap::builder::PossibleValue> = Format::value_variants()
        .iter()
        .filter(|f| f.is_file_format())
        .filter_map(ValueEnum::to_possible_value)
        .collect();
    clap::builder::PossibleValuesParser::new(names).try_map(|name| Format::from_str(&name, true))
}

/// Flags of `igflight sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The query, e.g. "SELECT media_type, count(*) FROM user_media GROUP BY 1"; `-` reads it from
    /// stdin, `@FILE` from a file. Several statements separated by `;` run in order (e.g. `CREATE
    /// VIEW …; SELECT …`), each result printed after the other. Tables are the report names; required
    /// parameters are columns (`WHERE hashtag = 'coffee'`).
    pub query: String,
    /// The Instagram business account id the tables read when the query names no `ig_user_id`
    /// (the token is chosen with --connection).
    #[arg(long, value_name = "IG_USER_ID")]
    pub account: Option<String>,
    /// Output format; default: a table on a terminal, tsv when stdout is not one. parquet and arrow
    /// need --output; the others go to stdout without it.
    #[arg(long, value_enum, help_heading = "Output")]
    pub format: Option<Format>,
    /// Write the result to this file (written to a temporary file next to it, then renamed).
    #[arg(long, short, help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// A sync file (TOML, as `igflight sync` reads): each of its datasets is the table
    /// `synced.<name>`, read from its Parquet files (no Graph call).
    #[arg(long, value_name = "FILE")]
    pub sync_file: Option<PathBuf>,
    #[command(flatten)]
    pub limits: SqlLimitArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Flags of `igflight simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub listen: SocketAddr,
    /// The access token the simulator accepts.
    #[arg(long, default_value = "demo-token", env = "IGFLIGHT_SIM_TOKEN")]
    pub token: String,
    /// Seed of the deterministic data set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The date of the Graph API the simulator serves (YYYY-MM-DD, from 2022-11-01): its
    /// versions and metrics (default: today, UTC). 2022-11-01 serves v15.0 and its metrics.
    #[arg(long, value_name = "DATE", value_parser = parse_api_date)]
    pub api_as_of: Option<chrono::NaiveDate>,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Posts per own account (default: 250 and 320), for benchmarks; at most 250000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=250_000))]
    pub media: Option<u32>,
    /// Calls per token per rolling hour before the simulator answers with a throttle error.
    #[arg(long)]
    pub calls_per_hour: Option<u32>,
    /// Graph error code used past the hourly budget.
    #[arg(long, default_value_t = 17, value_parser = parse_throttle_code)]
    pub throttle_code: u32,
    /// Probability (0 to 1) that a call is answered by an injected fault.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Faults to inject, comma separated: http500, code1, drop, slow, html503 (default: all).
    #[arg(long, value_delimiter = ',')]
    pub faults: Vec<FaultKind>,
    /// Delay of the `slow` fault, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub slow_ms: u64,
    /// Require `appsecret_proof` on every call.
    #[arg(long)]
    pub require_appsecret_proof: bool,
    /// The data clock at start (RFC 3339, e.g. 2026-12-03T10:00:00Z; default: now). It runs with the
    /// wall clock and moves forward with `POST /__sim/clock`.
    #[arg(long, value_name = "RFC3339", value_parser = parse_sim_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

fn parse_sim_now(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| format!("`{s}` is not a time; accepted: RFC 3339, e.g. 2026-12-03T10:00:00Z"))
}

fn parse_throttle_code(s: &str) -> Result<u32, String> {
    match s {
        "4" | "17" | "80002" => Ok(s.parse().unwrap_or(17)),
        _ => Err(format!(
            "`{s}` is not a throttle code; accepted: 4, 17, 80002"
        )),
    }
}

fn parse_api_date(s: &str) -> Result<chrono::NaiveDate, String> {
    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if d >= crate::sim::SEED_API_DATE => Ok(d),
        Ok(_) => Err(format!(
            "`{s}` is before 2022-11-01, the earliest Graph API date the simulator serves"
        )),
        Err(_) => Err(format!("`{s}` is not a date; accepted: YYYY-MM-DD")),
    }
}

/// The Graph API date a simulator serves: `flag`, else today's date (UTC).
pub fn api_date(flag: Option<chrono::NaiveDate>) -> chrono::NaiveDate {
    flag.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not a probability; accepted: a number from 0 to 1"
        )),
    }
}

impl SimulateArgs {
    /// The simulator configuration these flags describe.
    pub fn to_config(&self) -> SimConfig {
        let mut cfg = SimConfig {
            seed: self.seed,
            api_as_of: api_date(self.api_as_of),
            token: self.token.clone(),
            latency: Duration::from_millis(self.latency_ms),
            calls_per_hour: self.calls_per_hour,
            throttle_code: self.throttle_code,
            fault_rate: self.fault_rate,
            slow_delay: Duration::from_millis(self.slow_ms),
            require_appsecret_proof: self.require_appsecret_proof,
            media_per_account: self.media.map(|n| n as usize),
            now: self.now.unwrap_or_else(chrono::Utc::now),
            ..SimConfig::default()
        };
        if !self.faults.is_empty() {
            cfg.faults = self.faults.clone();
        }
        cfg
    }
}

/// `igflight sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub command: SyncCommand,
}

/// The `igflight sync` subcommands.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Run the datasets that are due, once (for cron and systemd timers); `--watch` keeps running
    /// them on their schedules.
    Run(Box<SyncRunArgs>),
    /// Show each dataset's last run (rows, calls, duration, error), its next run and the rows held.
    Status(SyncStatusArgs),
}

/// Flags of `igflight sync run`.
#[derive(Debug, Args)]
pub struct SyncRunArgs {
    /// The sync file (TOML): `[[dataset]]` tables with name, ticket, every, method, path.
    #[arg(long, value_name = "FILE", env = "IGFLIGHT_SYNC_FILE")]
    pub sync_file: PathBuf,
    /// Only this dataset (repeatable).
    #[arg(long, value_name = "NAME")]
    pub dataset: Vec<String>,
    /// Run the datasets now, due or not.
    #[arg(long)]
    pub force: bool,
    /// Keep running: each dataset when it is due, until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// No progress output (the closing lines are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Flags of `igflight sync status`.
#[derive(Debug, Args)]
pub struct SyncStatusArgs {
    /// The sync file (TOML).
    #[arg(long, value_name = "FILE", env = "IGFLIGHT_SYNC_FILE")]
    pub sync_file: PathBuf,
}

/// `igflight accounts`.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(subcommand)]
    pub command: AccountsCommand,
}

/// The `igflight accounts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List the stored connections: user, Instagram accounts reached, expiry. Tokens are never shown.
    List(AccountsListArgs),
    /// Check an access token and store it as connection NAME.
    ///
    /// Example: IGFLIGHT_NEW_TOKEN=EAAG… igflight accounts add work --token-env IGFLIGHT_NEW_TOKEN
    Add(AccountsTokenArgs),
    /// Log in with Facebook (the code flow, through a browser) and store the long-lived token as NAME.
    ///
    /// Example: igflight accounts login work --app-id 1234 --app-secret …
    Login(AccountsLoginArgs),
    /// Replace the token of the stored connection NAME (same checks as `add`).
    Reconnect(AccountsTokenArgs),
    /// Exchange the token of connection NAME for a new long-lived one (needs the app id it was
    /// stored with and --app-secret).
    Renew(AccountsNameArgs),
    /// Forget the stored connection NAME.
    Remove(AccountsRemoveArgs),
}

/// Flags of `igflight accounts list`.
#[derive(Debug, Args)]
pub struct AccountsListArgs {
    /// Print JSON (no tokens) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Where the token comes from (one of them). Prefer --token-env or --token-stdin: they keep the token
/// out of the shell history and the process list.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TokenSource {
    /// The access token itself (visible in the shell history; prefer --token-env or --token-stdin).
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Read the access token from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Read the access token from standard input (first line).
    #[arg(long)]
    pub token_stdin: bool,
}

/// Flags of `igflight accounts add` and `reconnect`.
#[derive(Debug, Args)]
pub struct AccountsTokenArgs {
    /// The connection's name (letters, digits, `-`, `_`, `.`).
    pub name: String,
    #[command(flatten)]
    pub token: TokenSource,
    /// The Facebook app id: with --app-secret, the token is checked with `debug_token` (expiry,
    /// permissions) and can later be renewed.
    #[arg(long, env = "IGFLIGHT_APP_ID")]
    pub app_id: Option<String>,
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Flags of `igflight accounts login`.
#[derive(Debug, Args)]
pub struct AccountsLoginArgs {
    /// The connection's name (letters, digits, `-`, `_`, `.`); an existing one is reconnected.
    pub name: String,
    /// The Facebook app id (the app's "Facebook Login" settings must list the redirect
    /// http://127.0.0.1:PORT/callback among its Valid OAuth Redirect URIs).
    #[arg(long, env = "IGFLIGHT_APP_ID")]
    pub app_id: String,
    /// Port of the redirect listener on 127.0.0.1. Facebook matches redirect URIs exactly, so it is
    /// fixed: register http://127.0.0.1:8765/callback once (or your --port) in the app settings.
    /// 0 picks any free port (only for apps that accept any redirect, such as the simulator).
    #[arg(long, env = "IGFLIGHT_LOGIN_PORT", default_value_t = crate::accounts::login::DEFAULT_PORT)]
    pub port: u16,
    /// Do not try to open a browser; only print the address.
    #[arg(long)]
    pub no_browser: bool,
    /// Where the Facebook Login dialog is (scheme and host).
    #[arg(long, default_value = "https://www.facebook.com")]
    pub dialog_url: String,
    /// The permissions asked for, comma separated.
    #[arg(long, default_value = crate::accounts::login::SCOPES)]
    pub scope: String,
    /// How long to wait for the login in the browser (seconds).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Flags of `igflight accounts renew`.
#[derive(Debug, Args)]
pub struct AccountsNameArgs {
    /// The connection's name.
    pub name: String,
    /// The Facebook app id, when the connection was stored without one.
    #[arg(long, env = "IGFLIGHT_APP_ID")]
    pub app_id: Option<String>,
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Flags of `igflight accounts remove`.
#[derive(Debug, Args)]
pub struct AccountsRemoveArgs {
    /// The connection's name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_help_groups_its_flags_and_names_the_environment() {
        let mut cmd = Cli::command();
        // the global flags (logging) reach the subcommands when the command is built
        cmd.build();
        let serve = cmd.find_subcommand_mut("serve").unwrap();
        let help = serve.render_help().to_string();
        let mut at = 0;
        for heading in [
            "Graph API:",
            "State (call ledger):",
            "Clients and authentication:",
            "TLS:",
            "Limits:",
            "Sync:",
            "Logging:",
            "Examples:",
            "Environment:",
        ] {
            let found = help[at..].find(heading).map(|i| i + at);
            assert!(found.is_some(), "{heading} after byte {at}: {help}");
            at = found.unwrap_or(at);
        }
        assert!(
            help.contains("IGFLIGHT_ACCESS_TOKEN  the Graph access token"),
            "{help}"
        );
        // each flag under its topic
        let tls = &help[help.find("TLS:").unwrap()..help.find("Limits:").unwrap()];
        assert!(tls.contains("--tls-client-ca"), "{tls}");
        let auth = &help[help.find("Clients and authentication:").unwrap()..];
        assert!(auth.find("--auth-user").unwrap() < auth.find("TLS:").unwrap());
    }
}
