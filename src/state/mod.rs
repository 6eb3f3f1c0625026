//! State that outlives a process: the call ledger (Graph calls per token in a rolling window), the
//! hashtag searches per account (30 per rolling 7 days) and the business-conversion boundaries per
//! account, behind one [`Ledger`] trait with three backends:
//!
//! * [`MemoryLedger`]: one process, forgotten at exit (tests, `--demo`, `--state memory`);
//! * [`FileLedger`]: an SQLite file in the data folder (`--data-dir`, default for `serve`, `sql` and
//!   `export`): crash-safe (transactions, WAL) and shared by every igflight process on the machine;
//! * [`RedisLedger`] (`--state redis://host:port[/db]`): shared by servers on several machines, each
//!   reservation one Lua script; also a shared bytes cache ([`Ledger::cache_get`]).
//!
//! Times are wall-clock unix milliseconds (the processes sharing a ledger share no `Instant`). Every
//! backend treats what it reads as hostile: timestamps in the future count as now, counts and
//! arithmetic are checked, a garbled file is set aside and a fresh ledger started (with a warning).
//! Keys are token keys ([`crate::graph::TokenKey`], a hash) and account ids, never a token.

mod file;
mod memory;
mod redis;
#[doc(hidden)]
pub mod testing;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use file::FileLedger;
pub use memory::MemoryLedger;
pub use redis::RedisLedger;

/// The environment variable naming the data folder (`--data-dir`).
pub const DATA_DIR_ENV: &str = "IGFLIGHT_DATA_DIR";

/// The longest window or age a ledger works with (100 years, in milliseconds): larger
/// configurations are clamped to it, so no sum of a timestamp and a window overflows.
pub const MAX_WINDOW_MS: i64 = 100 * 365 * 24 * 3600 * 1000;

/// Every failure of the state layer.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StateError {
    /// `--state` names no backend.
    #[error(
        "--state `{given}` is not a state store; accepted: file (default), memory, redis://HOST:PORT[/DB] ({why})"
    )]
    BadSpec {
        /// The value given (a Redis URL without its password).
        given: String,
        /// What is wrong with it.
        why: String,
    },
    /// No data folder could be found (no `--data-dir`, `IGFLIGHT_DATA_DIR`, `XDG_DATA_HOME` or `HOME`).
    #[error("no data folder: set --data-dir or IGFLIGHT_DATA_DIR (or HOME), or use --state memory")]
    NoDataDir,
    /// The data folder or the ledger file cannot be created, opened or written.
    #[error(
        "the data folder {path} cannot be used for the call ledger: {message}; pass another --data-dir (or IGFLIGHT_DATA_DIR) or --state memory"
    )]
    DataDir {
        /// The folder or file.
        path: String,
        /// Why.
        message: String,
    },
    /// The store failed while the ledger was in use (a file error, Redis unreachable or answering
    /// something unexpected).
    #[error("the call ledger ({store}) is unavailable: {message}")]
    Unavailable {
        /// Which store: `file /path`, `redis://host:port/db`.
        store: String,
        /// What happened.
        message: String,
    },
}

/// Where the ledger lives (`--state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateSpec {
    /// In this process only.
    Memory,
    /// The SQLite file in this data folder.
    File(PathBuf),
    /// A Redis server (the URL as given; it may hold a password, shown nowhere).
    Redis(String),
}

impl StateSpec {
    /// `--state VALUE` with the data folder `data_dir` (for `file`).
    pub fn parse(
        value: &str,
        data_dir: impl FnOnce() -> Result<PathBuf, StateError>,
    ) -> Result<StateSpec, StateError> {
        let v = value.trim();
        match v {
            "memory" => Ok(StateSpec::Memory),
            "file" | "" => Ok(StateSpec::File(data_dir()?)),
            _ if v.starts_with("redis://") => {
                redis::check_url(v)?;
                Ok(StateSpec::Redis(v.to_string()))
            }
            _ => Err(StateError::BadSpec {
                given: redact_url(v),
                why: if v.starts_with("rediss://") {
                    "TLS connections to Redis are not supported".into()
                } else {
                    "unknown store".into()
                },
            }),
        }
    }

    /// Open the ledger this describes.
    pub async fn open(&self) -> Result<Arc<dyn Ledger>, StateError> {
        Ok(match self {
            StateSpec::Memory => Arc::new(MemoryLedger::new()),
            StateSpec::File(dir) => {
                let dir = dir.clone();
                let ledger = tokio::task::spawn_blocking(move || FileLedger::open_in(&dir))
                    .await
                    .map_err(|e| StateError::DataDir {
                        path: "(data folder)".into(),
                        message: e.to_string(),
                    })??;
                Arc::new(ledger)
            }
            StateSpec::Redis(url) => Arc::new(RedisLedger::new(url)?),
        })
    }
}

/// The default data folder: `IGFLIGHT_DATA_DIR`, else `$XDG_DATA_HOME/igflight`, else
/// `~/.local/share/igflight`.
pub fn default_data_dir() -> Result<PathBuf, StateError> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var(DATA_DIR_ENV) {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_DATA_HOME") {
        return Ok(PathBuf::from(d).join("igflight"));
    }
    if let Some(h) = var("HOME") {
        return Ok(PathBuf::from(h)
            .join(".local")
            .join("share")
            .join("igflight"));
    }
    Err(StateError::NoDataDir)
}

/// A URL without its user and password (for messages and logs).
pub(crate) fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                let _ = u.set_username("");
                let _ = u.set_password(None);
            }
            u.to_string()
        }
        Err(_) => {
            // not a URL: keep the scheme and what follows a user part
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            let shown = if scheme.is_empty() {
                rest.to_string()
            } else {
                format!("{scheme}://{rest}")
            };
            crate::telemetry::bounded(&shown, 80).into_owned()
        }
    }
}

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A duration in milliseconds, clamped to [`MAX_WINDOW_MS`].
pub fn window_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis())
        .unwrap_or(i64::MAX)
        .min(MAX_WINDOW_MS)
}

/// What a call reservation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The calls were recorded.
    Granted,
    /// The window is full: the calls fit once the oldest call they need leaves it, at
    /// `frees_at_ms` (unix milliseconds).
    Full {
        /// When `n` calls fit.
        frees_at_ms: i64,
    },
}

/// The calls of a token inside its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CallWindow {
    /// Calls inside the window.
    pub used: u32,
    /// When the oldest of them leaves the window (unix milliseconds).
    pub oldest_leaves_ms: Option<i64>,
    /// When `n` more calls fit (the one asked about), `None` when they fit now.
    pub fits_at_ms: Option<i64>,
}

/// What a hashtag reservation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashtagReservation {
    /// The hashtag was searched inside the window already: it takes no new slot.
    Known,
    /// A new slot was taken for it.
    Reserved,
    /// Every slot is taken; the oldest frees at `frees_at_ms`.
    Full {
        /// When the oldest search leaves the window (unix milliseconds).
        frees_at_ms: i64,
    },
}

/// What is known of an account's business conversion: unix seconds of media timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConversionMark {
    /// The newest media known to be from before the conversion (only moves later).
    pub cutoff: Option<i64>,
    /// The oldest media known to be from after it (only moves earlier).
    pub floor: Option<i64>,
}

impl ConversionMark {
    /// Both marks together: the later cutoff, the earlier floor.
    pub fn merge(self, other: ConversionMark) -> ConversionMark {
        ConversionMark {
            cutoff: self.cutoff.max(other.cutoff),
            floor: match (self.floor, other.floor) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The state that outlives a process. Every method is one atomic step of its store.
#[async_trait::async_trait]
pub trait Ledger: Send + Sync + fmt::Debug {
    /// Which store this is, for messages (`memory`, `file /path/ledger.sqlite3`, `redis://host:6379/0`).
    fn describe(&self) -> String;

    /// Record `n` calls of `key` at `now_ms` when the calls inside the rolling `window_ms` leave room
    /// for them under `limit`; else say when they fit. Calls older than the window are dropped.
    async fn reserve_calls(
        &self,
        key: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Reservation, StateError>;

    /// The calls of `key` inside the window, and when `n` more fit under `limit` (nothing reserved).
    async fn calls(
        &self,
        key: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<CallWindow, StateError>;

    /// Take a slot of `account`'s hashtag budget (`budget` distinct hashtags per `window_ms`) for
    /// `hashtag`, unless it was searched inside the window already.
    async fn reserve_hashtag(
        &self,
        account: &str,
        hashtag: &str,
        budget: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<HashtagReservation, StateError>;

    /// Give back the slot of `hashtag` (its search never reached the Graph API).
    async fn release_hashtag(&self, account: &str, hashtag: &str) -> Result<(), StateError>;

    /// Record hashtags searched at `now_ms` (by any app) that the ledger does not hold yet.
    async fn seed_hashtags(
        &self,
        account: &str,
        hashtags: &[String],
        now_ms: i64,
    ) -> Result<(), StateError>;

    /// The hashtags of `account` inside the window, with when each was first searched.
    async fn hashtags(
        &self,
        account: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<(String, i64)>, StateError>;

    /// The conversion boundary known for `account`.
    async fn conversion(&self, account: &str) -> Result<ConversionMark, StateError>;

    /// Merge `mark` into what is known for `account` ([`ConversionMark::merge`]); returns the result.
    async fn merge_conversion(
        &self,
        account: &str,
        mark: ConversionMark,
    ) -> Result<ConversionMark, StateError>;

    /// Whether [`Self::cache_get`] and [`Self::cache_put`] share bytes between processes.
    fn shares_cache(&self) -> bool {
        false
    }

    /// Bytes cached under `key` by any process sharing this store; `None` without a shared cache.
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let _ = key;
        Ok(None)
    }

    /// Cache `bytes` under `key` for `ttl`, for every process sharing this store; a no-op without a
    /// shared cache.
    async fn cache_put(&self, key: &str, bytes: &[u8], ttl: Duration) -> Result<(), StateError> {
        let _ = (key, bytes, ttl);
        Ok(())
    }
}

/// The decision of a reservation over the sorted call times inside the window: `None` when `n` more
/// fit under `limit`, else when they do (the call whose departure leaves room, plus the window).
pub(crate) fn fits_at(sorted: &[i64], n: u32, limit: u32, window_ms: i64) -> Option<i64> {
    let (used, n, limit) = (sorted.len(), n as usize, limit as usize);
    let total = used.saturating_add(n);
    if total <= limit {
        return None;
    }
    if n > limit {
        return Some(i64::MAX);
    }
    // total > limit and n <= limit: the index is below `used`
    let needed = sorted.get(total - limit - 1).copied().unwrap_or(i64::MAX);
    Some(needed.saturating_add(window_ms))
}

/// Where in a data folder the ledger file is.
pub(crate) fn ledger_path(dir: &Path) -> PathBuf {
    dir.join(file::LEDGER_FILE)
}

#[cfg(test)]
mod tests;
