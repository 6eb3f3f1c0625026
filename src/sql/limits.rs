//! What one SQL query may use: memory, time, the size of a value a function builds, the rows of a
//! generated series, and the parameters a client binds. [`SqlLimits`] holds the numbers;
//! [`SqlEngine`] holds the runtime built from them (one memory pool shared by every session it makes).
//!
//! A query past a limit fails with `DataFusionError::ResourcesExhausted`, whose message names the limit
//! and how to raise it; [`to_status`](super::to_status) turns it into `RESOURCE_EXHAUSTED`.
//!
//! * memory: a pool of [`SqlLimits::memory_bytes`] (`--sql-memory`) for every operator that buffers
//!   (sorts, joins, aggregations); nothing spills to disk.
//! * time: [`SqlLimits::query_timeout`] (`--sql-timeout`) for planning and execution together; the
//!   stream fails when it elapses ([`with_deadline`]).
//! * values: the functions whose output size an argument controls (`repeat`, `lpad`, `array_repeat`,
//!   `range`, `concat`, `||`, …) check the size they are asked for before building anything
//!   ([`super::capped`]): at most [`SqlLimits::max_value_bytes`] per value and
//!   [`SqlLimits::max_batch_bytes`] per batch, and the table functions `generate_series` / `range` at
//!   most [`SqlLimits::max_series_rows`] rows.
//! * parameters: a prepared statement binds one row of at most [`SqlLimits::max_param_bytes`].

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
    TrackConsumersPool,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use tokio::time::Instant;

use crate::sync::DatasetSpec;

/// The flag that sets [`SqlLimits::memory_bytes`].
pub const MEMORY_FLAG: &str = "--sql-memory";
/// The flag that sets [`SqlLimits::query_timeout`].
pub const TIMEOUT_FLAG: &str = "--sql-timeout";

/// How many characters of a query's text a log line shows.
pub const LOG_SQL_CHARS: usize = 200;

/// The limits of SQL queries. `Default` gives the server's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlLimits {
    /// Memory of the operators that buffer (sorts, joins, aggregations, …), for all the queries of one
    /// [`SqlEngine`] together (`--sql-memory`; default 1 GiB).
    pub memory_bytes: usize,
    /// Planning and execution of one query (`--sql-timeout`; default 300 s).
    pub query_timeout: Duration,
    /// The largest value (string, binary, list, struct) a size-controlled function may build
    /// (default 16 MiB).
    pub max_value_bytes: usize,
    /// The largest output of one call of a size-controlled function over one batch of rows
    /// (default 256 MiB).
    pub max_batch_bytes: usize,
    /// The most rows of the table functions `generate_series` / `range`, and the most elements of
    /// the list functions `range` / `generate_series` (default 10 million).
    pub max_series_rows: u64,
    /// The most bytes of prepared-statement parameters read from one `DoPut` (default 16 MiB).
    pub max_param_bytes: usize,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            memory_bytes: 1 << 30,
            query_timeout: Duration::from_secs(300),
            max_value_bytes: 16 << 20,
            max_batch_bytes: 256 << 20,
            max_series_rows: 10_000_000,
            max_param_bytes: 16 << 20,
        }
    }
}

/// `bytes` for people: `1.0 GiB`, `16.0 MiB`, `512 B`.
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// The error of a query past a limit.
pub fn exhausted(message: impl Into<String>) -> DataFusionError {
    DataFusionError::ResourcesExhausted(message.into())
}

/// The error of a value larger than [`SqlLimits::max_value_bytes`] (or a batch larger than
/// [`SqlLimits::max_batch_bytes`]).
pub fn value_too_large(
    function: &str,
    bytes: u128,
    limits: &Caps,
    per_batch: bool,
) -> DataFusionError {
    if per_batch {
        exhausted(format!(
            "{function}() would build {} over one batch of rows, more than the SQL batch size limit of {}",
            human_bytes(bytes),
            human_bytes(limits.max_batch_bytes as u128)
        ))
    } else {
        exhausted(format!(
            "{function}() would build a value of {}, more than the SQL value size limit of {}",
            human_bytes(bytes),
            human_bytes(limits.max_value_bytes as u128)
        ))
    }
}

/// The size caps the value-building functions check (copied from [`SqlLimits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Caps {
    /// [`SqlLimits::max_value_bytes`].
    pub max_value_bytes: usize,
    /// [`SqlLimits::max_batch_bytes`].
    pub max_batch_bytes: usize,
    /// [`SqlLimits::max_series_rows`].
    pub max_series_rows: u64,
}

impl SqlLimits {
    /// The caps of the value-building functions.
    pub fn caps(&self) -> Caps {
        Caps {
            max_value_bytes: self.max_value_bytes,
            max_batch_bytes: self.max_batch_bytes,
            max_series_rows: self.max_series_rows,
        }
    }

    /// The error of a query that ran out of time.
    pub fn timed_out(&self) -> DataFusionError {
        exhausted(format!(
            "the query ran longer than the SQL time limit of {} s ({TIMEOUT_FLAG}): narrow it (WHERE, LIMIT) or raise the limit",
            self.query_timeout.as_secs_f64()
        ))
    }
}

/// A memory pool that names the limit (and the flag raising it) when it refuses memory.
#[derive(Debug)]
struct NamedPool {
    inner: TrackConsumersPool<GreedyMemoryPool>,
    limit: usize,
}

impl fmt::Display for NamedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "igflight SQL pool ({})", self.inner)
    }
}

impl MemoryPool for NamedPool {
    fn name(&self) -> &str {
        "igflight"
    }
    fn register(&self, consumer: &MemoryConsumer) {
        self.inner.register(consumer)
    }
    fn unregister(&self, consumer: &MemoryConsumer) {
        self.inner.unregister(consumer)
    }
    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.inner.grow(reservation, additional)
    }
    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink)
    }
    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        self.inner.try_grow(reservation, additional).map_err(|e| {
            let detail = match e.find_root() {
                DataFusionError::ResourcesExhausted(m) => m.clone(),
                other => other.to_string(),
            };
            exhausted(format!(
                "the query needs more memory than the SQL memory limit of {} ({MEMORY_FLAG}; shared by the queries running at once): {detail}",
                human_bytes(self.limit as u128)
            ))
        })
    }
    fn reserved(&self) -> usize {
        self.inner.reserved()
    }
    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}

/// The SQL runtime: the limits and one memory pool of [`SqlLimits::memory_bytes`] shared by every
/// session made from it (clones share it too).
#[derive(Clone)]
pub struct SqlEngine {
    limits: SqlLimits,
    runtime: Arc<RuntimeEnv>,
    /// The synced datasets each session registers as `synced.<name>`.
    synced: Arc<[DatasetSpec]>,
}

impl fmt::Debug for SqlEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlEngine")
            .field("limits", &self.limits)
            .field("synced", &self.synced.len())
            .finish_non_exhaustive()
    }
}

impl Default for SqlEngine {
    fn default() -> Self {
        DEFAULT_ENGINE.clone()
    }
}

/// The engine of [`super::session`]: the default limits, one pool for the process.
static DEFAULT_ENGINE: LazyLock<SqlEngine> = LazyLock::new(|| SqlEngine::new(SqlLimits::default()));

impl SqlEngine {
    /// An engine with these limits (and its own memory pool).
    pub fn new(limits: SqlLimits) -> Self {
        let pool = NamedPool {
            inner: TrackConsumersPool::new(
                GreedyMemoryPool::new(limits.memory_bytes),
                std::num::NonZeroUsize::new(5).expect("5 is not zero"),
            ),
            limit: limits.memory_bytes,
        };
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(pool))
            // nothing spills: a query past the memory limit fails instead of filling the disk
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            // no cached listings: a synced dataset's files change between queries (a run commits)
            .with_object_list_cache_limit(0)
            .build_arc()
            .expect("a runtime without disk manager builds");
        SqlEngine {
            limits,
            runtime,
            synced: Arc::from(Vec::new()),
        }
    }

    /// This engine (same limits and memory pool) with `datasets` registered in each session as
    /// `synced.<name>` ([`crate::sync::table`]).
    pub fn with_synced(mut self, datasets: impl Into<Arc<[DatasetSpec]>>) -> Self {
        self.synced = datasets.into();
        self
    }

    /// The synced datasets of the sessions.
    pub fn synced(&self) -> &Arc<[DatasetSpec]> {
        &self.synced
    }

    /// The limits.
    pub fn limits(&self) -> &SqlLimits {
        &self.limits
    }

    /// The runtime (with the memory pool).
    pub fn runtime(&self) -> &Arc<RuntimeEnv> {
        &self.runtime
    }

    /// The deadline of a query starting now.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.limits.query_timeout
    }

    /// Run `fut` (planning) until `deadline`; past it, the time-limit error.
    pub async fn before<T>(
        &self,
        deadline: Instant,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout_at(deadline, fut).await {
            Ok(r) => r,
            Err(_) => Err(self.limits.timed_out()),
        }
    }

    /// `stream`, failing with the time-limit error once `deadline` passes.
    pub fn with_deadline(
        &self,
        stream: SendableRecordBatchStream,
        deadline: Instant,
    ) -> SendableRecordBatchStream {
        with_deadline(stream, deadline, self.limits.timed_out())
    }
}

/// `stream`, ending with `error` once `deadline` passes.
pub fn with_deadline(
    stream: SendableRecordBatchStream,
    deadline: Instant,
    error: DataFusionError,
) -> SendableRecordBatchStream {
    let schema = stream.schema();
    let sleep = Box::pin(tokio::time::sleep_until(deadline));
    type State = (
        SendableRecordBatchStream,
        Pin<Box<tokio::time::Sleep>>,
        Option<DataFusionError>,
    );
    let out = futures::stream::unfold(
        (stream, sleep, Some(error)) as State,
        |(mut s, mut sleep, error)| async move {
            let error = error?;
            tokio::select! {
                biased;
                () = &mut sleep => Some((Err(error), (s, sleep, None))),
                item = s.next() => item.map(|i| (i, (s, sleep, Some(error)))),
            }
        },
    );
    Box::pin(RecordBatchStreamAdapter::new(schema, out))
}

/// The first [`LOG_SQL_CHARS`] characters of `sql` for a log line, with the total length when it is
/// longer: a client's 30 MB query makes a short line.
pub fn sql_for_log(sql: &str) -> String {
    match sql.char_indices().nth(LOG_SQL_CHARS) {
        None => sql.to_string(),
        Some((end, _)) => format!("{}… ({} chars in all)", &sql[..end], sql.chars().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_show_a_bounded_prefix() {
        assert_eq!(sql_for_log("SELECT 1"), "SELECT 1");
        let long = format!("SELECT '{}'", "é".repeat(30_000_000 / 2));
        let line = sql_for_log(&long);
        assert!(line.len() < 2 * LOG_SQL_CHARS + 64, "{}", line.len());
        assert!(line.ends_with("(15000009 chars in all)"), "{line}");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(16 << 20), "16.0 MiB");
        assert_eq!(human_bytes(1 << 30), "1.0 GiB");
    }
}
