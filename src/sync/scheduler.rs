//! The schedule inside `igflight serve --sync-file`: a background task that runs each dataset when it
//! is due ([`Schedule::is_due`](super::Schedule::is_due) from the start of its last run, as
//! `igflight sync run` decides), one dataset at a time, on the server's default connection.
//!
//! Each run logs one line (`tracing`): the dataset, rows, Graph calls, partitions and duration, or the
//! error. A dataset another process is syncing ([`SyncError::Busy`]) is skipped until it is due again.
//! A run that fails before it could record itself in the dataset's state (its account cannot be
//! resolved, its state cannot be read) is not retried before its next due time either: the task
//! remembers when it tried.
//!
//! The task checks again when the next dataset is due, and at least every minute (a sync file's
//! datasets may be run by `igflight sync run` meanwhile). [`Scheduler::stop`] ends it: at once when
//! it waits; a run in progress gets [`STOP_GRACE`] to finish (its committed partitions are kept
//! either way; an unfinished run is resumed by the next one).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::store::read_state;
use super::{DatasetSpec, SyncError, run_dataset};
use crate::plan::ReportContext;

/// The longest the task waits before it checks the datasets again.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// How long a run in progress may go on once the scheduler is asked to stop.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Called when a scheduled run fails because the Graph API refused the token.
pub type TokenRefused = Arc<dyn Fn() + Send + Sync>;

/// The schedule task of a server ([`Scheduler::start`]); dropping the handle aborts it.
#[derive(Debug)]
pub struct Scheduler {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Scheduler {
    /// Start the schedule of `datasets` on `ctx` (a task of the current tokio runtime). A dataset
    /// that never ran is run at once.
    pub fn start(ctx: Arc<ReportContext>, datasets: Vec<DatasetSpec>) -> Scheduler {
        Scheduler::start_with(ctx, datasets, None)
    }

    /// [`Scheduler::start`], calling `on_token_refused` when a run fails because the Graph API
    /// refused the token (`serve` marks the connection's health NOT_SERVING with it).
    pub fn start_with(
        ctx: Arc<ReportContext>,
        datasets: Vec<DatasetSpec>,
        on_token_refused: Option<TokenRefused>,
    ) -> Scheduler {
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(run_schedule(ctx, datasets, rx, on_token_refused));
        Scheduler {
            stop,
            task: Some(task),
        }
    }

    /// Stop the schedule and wait for the task to end (a run in progress: at most [`STOP_GRACE`]).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(STOP_GRACE + Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Run `datasets` on `ctx` whenever each is due, until `stop` holds `true` (or its sender is gone);
/// see the module documentation.
pub async fn run_schedule(
    ctx: Arc<ReportContext>,
    datasets: Vec<DatasetSpec>,
    stop: watch::Receiver<bool>,
    on_token_refused: Option<TokenRefused>,
) {
    let stop = Stop(stop);
    // when this task last tried each dataset (runs that could not record themselves)
    let mut tried: HashMap<String, DateTime<Utc>> = HashMap::new();
    tracing::info!(
        datasets = datasets.len(),
        names = %datasets.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(","),
        "sync schedule started"
    );
    'outer: loop {
        for spec in &datasets {
            let last = last_start(spec, &tried);
            let now = Utc::now();
            if !spec.schedule.is_due(last, now) {
                continue;
            }
            tried.insert(spec.name.clone(), now);
            let started = Instant::now();
            let mut progress = |_: u64, _: u64, _: u64| {};
            let run = run_dataset(ctx.clone(), spec, now, &mut progress);
            tokio::pin!(run);
            let result = tokio::select! {
                r = &mut run => r,
                () = stop.stopped() => {
                    tracing::info!(dataset = %spec.name, grace_secs = STOP_GRACE.as_secs(), "sync schedule stopping: waiting for the run in progress");
                    match tokio::time::timeout(STOP_GRACE, &mut run).await {
                        Ok(r) => r,
                        Err(_) => {
                            tracing::warn!(dataset = %spec.name, "sync run stopped unfinished (the next run resumes it)");
                            break 'outer;
                        }
                    }
                }
            };
            log_run(spec, &result, started.elapsed());
            if let (Err(e), Some(refused)) = (&result, &on_token_refused)
                && e.token_refused()
            {
                refused();
            }
            if stop.is_stopped() {
                break 'outer;
            }
        }
        let wait = next_wait(&datasets, &tried, Utc::now());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.stopped() => break,
        }
    }
    tracing::info!("sync schedule stopped");
}

/// When `spec`'s last run started: the later of its state's and this task's last try.
fn last_start(spec: &DatasetSpec, tried: &HashMap<String, DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let recorded = match read_state(&spec.name, &spec.path) {
        Ok(s) => s.last_run.and_then(|r| r.started),
        Err(_) => None, // the run says what is wrong with the state
    };
    recorded.max(tried.get(&spec.name).copied())
}

/// How long to sleep: until the first dataset is due, at least 1 s, at most [`MAX_WAIT`].
fn next_wait(
    datasets: &[DatasetSpec],
    tried: &HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Duration {
    datasets
        .iter()
        .map(|s| match s.schedule.next_due(last_start(s, tried)) {
            None => Duration::ZERO,
            Some(t) => (t - now).to_std().unwrap_or_default(),
        })
        .min()
        .unwrap_or(MAX_WAIT)
        .clamp(Duration::from_secs(1), MAX_WAIT)
}

/// The one log line of a run, and its count in [`crate::monitoring::SYNC_RUNS`].
fn log_run(spec: &DatasetSpec, result: &Result<super::RunOutcome, SyncError>, took: Duration) {
    let duration_ms = took.as_millis() as u64;
    let outcome = match result {
        Ok(_) => "ok",
        Err(SyncError::Busy { .. }) => "busy",
        Err(_) => "error",
    };
    metrics::counter!(crate::monitoring::SYNC_RUNS, "dataset" => spec.name.clone(), "outcome" => outcome)
        .increment(1);
    match result {
        Ok(o) => tracing::info!(
            dataset = %spec.name,
            report = spec.report.name(),
            method = spec.method.name(),
            rows = o.rows,
            calls = o.calls,
            partitions = o.partitions,
            removed = o.removed,
            from = o.from.map(|d| d.to_string()),
            duration_ms,
            "synced dataset"
        ),
        Err(SyncError::Busy { lock, .. }) => tracing::info!(
            dataset = %spec.name,
            lock = %lock,
            duration_ms,
            "dataset is being synced by another process; skipped"
        ),
        Err(e) => tracing::warn!(
            dataset = %spec.name,
            report = spec.report.name(),
            error = %e,
            duration_ms,
            "dataset sync failed; the partitions it finished are committed and the next run resumes"
        ),
    }
}

/// The stop signal of [`run_schedule`].
struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Completes once stopping is asked (at once if it was).
    async fn stopped(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// Whether stopping was asked.
    fn is_stopped(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }
}
