//! `igflight sync`: reports kept as Parquet datasets, refreshed on a schedule.
//!
//! - [`file`]: the sync file (TOML) — datasets, their tickets, schedules, update methods and folders.
//! - [`schedule`]: when a dataset is due.
//! - [`store`]: a dataset on disk — Hive-style partitions (`ig_user_id=…/date=…/part-….parquet`), each
//!   written in a staging folder outside the dataset's folder and swapped in with one rename, a lock
//!   (one run per dataset at a time) and the dataset's state.
//! - [`run`]: one run of one dataset — the ticket narrowed to what is new plus a lookback, the rows
//!   of the one report-stream function (`plan::report_stream`, as Flight and SQL use), split by
//!   partition and committed with the dataset's update method.
//! - [`table`]: a dataset as the SQL table `synced.<name>` (a listing table over its files).
//! - [`scheduler`]: the schedule inside `igflight serve`: each dataset run when it is due.
//!
//! Nothing here imports the command layer: `commands::sync` parses flags and prints.

pub mod file;
pub mod run;
pub mod schedule;
pub mod scheduler;
pub mod store;
pub mod table;

pub use file::{DatasetSpec, Method};
pub use run::{RunOutcome, run_dataset};
pub use schedule::Schedule;

use crate::error::ReportError;

/// What can go wrong keeping a dataset.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The sync file cannot be read or is wrong (a usage error).
    #[error("sync file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong, and what is accepted.
        message: String,
    },
    /// Another `sync run` holds the dataset.
    #[error("dataset `{name}` is being synced by another process (lock {lock}); this run skips it")]
    Busy {
        /// The dataset.
        name: String,
        /// The lock file.
        lock: String,
    },
    /// A file of the dataset cannot be read or written.
    #[error("dataset `{name}`: {what} {path}: {source}")]
    Io {
        /// The dataset.
        name: String,
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Parquet or Arrow failed on the dataset's data.
    #[error("dataset `{name}`: {message}")]
    Data {
        /// The dataset.
        name: String,
        /// What failed.
        message: String,
    },
    /// The report failed (Graph API, budget, ticket); the partitions completed before were committed.
    #[error("dataset `{name}`: {source}")]
    Report {
        /// The dataset.
        name: String,
        /// The report's error (boxed: it is large).
        #[source]
        source: Box<ReportError>,
    },
}

impl SyncError {
    /// Whether the run failed because the Graph API refused the token (expired, revoked):
    /// `UNAUTHENTICATED`, as Flight would answer it.
    pub fn token_refused(&self) -> bool {
        matches!(self, SyncError::Report { source, .. } if source.code() == tonic::Code::Unauthenticated)
    }

    /// Whether the user can fix it by changing the sync file or the ticket.
    pub fn is_usage(&self) -> bool {
        match self {
            SyncError::File { .. } => true,
            SyncError::Report { source, .. } => source.code() == tonic::Code::InvalidArgument,
            _ => false,
        }
    }
}
