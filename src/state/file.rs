//! The ledger of one machine: an SQLite file in the data folder, shared by every igflight process
//! there. Each step is one `BEGIN IMMEDIATE` transaction (SQLite's own file locking orders the
//! processes; WAL keeps readers off the writers' way; a crash mid-write leaves the last committed
//! state). A file that is not a ledger (garbled, truncated, another program's database, tables of
//! another shape, larger than [`MAX_FILE_BYTES`]) is set aside as `ledger.sqlite3.garbled` and a
//! fresh ledger started, with a warning: the calls it held are forgotten, at most one window's worth.

use std::fs::{DirBuilder, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    CallWindow, ConversionMark, HashtagReservation, Ledger, Reservation, StateError, ledger_path,
};

/// The ledger file in the data folder.
pub(crate) const LEDGER_FILE: &str = "ledger.sqlite3";
/// Held (an advisory lock, `File::lock`) while a process opens, checks or sets aside the ledger file.
const LOCK_FILE: &str = "ledger.lock";
/// A ledger holds a few hundred rows per token and account: a larger file is not one.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// How long a step waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Calls older than this are dropped whatever the window asked (tokens no longer used).
const KEEP_CALLS_MS: i64 = 24 * 3600 * 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS calls (key TEXT NOT NULL, at_ms INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS calls_by_key ON calls (key, at_ms);
CREATE TABLE IF NOT EXISTS hashtags (account TEXT NOT NULL, name TEXT NOT NULL, at_ms INTEGER NOT NULL,
    PRIMARY KEY (account, name)) STRICT;
CREATE TABLE IF NOT EXISTS conversions (account TEXT NOT NULL PRIMARY KEY, cutoff INTEGER, floor INTEGER) STRICT;
";

/// What the ledger's tables must answer (a table of the same name and another shape is not ours).
const SHAPE: [(&str, &str); 3] = [
    ("calls", "SELECT key, at_ms FROM calls LIMIT 0"),
    (
        "hashtags",
        "SELECT account, name, at_ms FROM hashtags LIMIT 0",
    ),
    (
        "conversions",
        "SELECT account, cutoff, floor FROM conversions LIMIT 0",
    ),
];

/// The SQLite ledger of a data folder. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct FileLedger {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

/// Why a file could not be opened as a ledger.
enum OpenError {
    /// The file is not a ledger: set it aside.
    Garbled(String),
    /// Anything else (permissions, disk): refuse.
    Io(String),
}

impl FileLedger {
    /// Open (or create) the ledger of data folder `dir`, creating the folder (mode 0700).
    pub fn open_in(dir: &Path) -> Result<FileLedger, StateError> {
        let dir_err = |e: &dyn std::fmt::Display| StateError::DataDir {
            path: dir.display().to_string(),
            message: e.to_string(),
        };
        let mut builder = DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| dir_err(&e))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(|e| dir_err(&e))?;
        lock.lock().map_err(|e| dir_err(&e))?;
        let path = ledger_path(dir);
        let conn = match open_checked(&path) {
            Ok(conn) => conn,
            Err(OpenError::Io(message)) => {
                return Err(StateError::DataDir {
                    path: path.display().to_string(),
                    message,
                });
            }
            Err(OpenError::Garbled(why)) => {
                let aside = path.with_extension("sqlite3.garbled");
                tracing::warn!(file = %path.display(), set_aside = %aside.display(), reason = %why,
                    "the call ledger file is not a ledger: set aside, starting a fresh ledger (the calls it held are forgotten)");
                std::fs::rename(&path, &aside).map_err(|e| dir_err(&e))?;
                for ext in ["sqlite3-wal", "sqlite3-shm"] {
                    let _ = std::fs::remove_file(path.with_extension(ext));
                }
                open_checked(&path).map_err(|e| match e {
                    OpenError::Garbled(m) | OpenError::Io(m) => StateError::DataDir {
                        path: path.display().to_string(),
                        message: m,
                    },
                })?
            }
        };
        drop(lock);
        tracing::debug!(file = %path.display(), "call ledger opened");
        Ok(FileLedger {
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` on the connection off the async threads; errors name the file.
    async fn run<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        let store = self.describe();
        let unavailable = |message: String| StateError::Unavailable {
            store: store.clone(),
            message,
        };
        tokio::task::spawn_blocking(move || f(&mut conn.lock()))
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .map_err(|e| {
                let message = match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                        format!("another process held the ledger file for more than {} s", BUSY_TIMEOUT.as_secs())
                    }
                    Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                        format!("the ledger file is damaged ({e}); stop igflight, move the file away and start again")
                    }
                    _ => e.to_string(),
                };
                tracing::warn!(store = %store, error = %message, "call ledger step failed");
                unavailable(message)
            })
    }
}

/// Open `path` and check it is a ledger (creating its tables when new).
fn open_checked(path: &Path) -> Result<Connection, OpenError> {
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(OpenError::Io(format!("{} is not a file", path.display())));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(OpenError::Garbled(format!(
                "{} bytes, more than a ledger ever holds",
                meta.len()
            )));
        }
    }
    let conn = Connection::open(path).map_err(|e| classify(&e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(&e))?;
    let check = || -> rusqlite::Result<Option<String>> {
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::debug!(mode = %mode, "the ledger file is not in WAL mode");
        }
        conn.execute_batch("PRAGMA synchronous=FULL;")?;
        let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if verdict != "ok" {
            return Ok(Some(format!(
                "integrity check: {}",
                crate::telemetry::bounded(&verdict, 120)
            )));
        }
        conn.execute_batch(SCHEMA)?;
        for (table, probe) in SHAPE {
            let strict: Option<i64> = conn
                .query_row(
                    "SELECT strict FROM pragma_table_list WHERE name = ?1 AND schema = 'main'",
                    [table],
                    |r| r.get(0),
                )
                .optional()?;
            if strict != Some(1) {
                return Ok(Some(format!("table `{table}` is not the ledger's")));
            }
            if let Err(e) = conn.prepare(probe) {
                return Ok(Some(format!("table `{table}` is not the ledger's ({e})")));
            }
        }
        Ok(None)
    };
    match check() {
        Ok(None) => Ok(conn),
        Ok(Some(why)) => Err(OpenError::Garbled(why)),
        Err(e) => Err(classify(&e)),
    }
}

fn classify(e: &rusqlite::Error) -> OpenError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            OpenError::Garbled(e.to_string())
        }
        _ => OpenError::Io(e.to_string()),
    }
}

/// The calls of `key` inside the window (times in the future count as now), and when `n` more fit.
fn window_in(
    conn: &Connection,
    key: &str,
    n: u32,
    limit: u32,
    window_ms: i64,
    now_ms: i64,
) -> rusqlite::Result<CallWindow> {
    let cut = now_ms.saturating_sub(window_ms);
    let (used, oldest): (i64, Option<i64>) = conn.query_row(
        "SELECT count(*), min(min(at_ms, ?3)) FROM calls WHERE key = ?1 AND min(at_ms, ?3) > ?2",
        params![key, cut, now_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let used = u64::try_from(used).unwrap_or(0);
    let total = used.saturating_add(u64::from(n));
    let fits_at_ms = if total <= u64::from(limit) {
        None
    } else if n > limit {
        Some(i64::MAX)
    } else {
        let offset = i64::try_from(total - u64::from(limit) - 1).unwrap_or(i64::MAX);
        let needed: Option<i64> = conn
            .query_row(
                "SELECT min(at_ms, ?3) AS t FROM calls WHERE key = ?1 AND min(at_ms, ?3) > ?2
                 ORDER BY t LIMIT 1 OFFSET ?4",
                params![key, cut, now_ms, offset],
                |r| r.get(0),
            )
            .optional()?;
        Some(needed.unwrap_or(now_ms).saturating_add(window_ms))
    };
    Ok(CallWindow {
        used: u32::try_from(used).unwrap_or(u32::MAX),
        oldest_leaves_ms: oldest.map(|t| t.saturating_add(window_ms)),
        fits_at_ms,
    })
}

#[async_trait::async_trait]
impl Ledger for FileLedger {
    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    async fn reserve_calls(
        &self,
        key: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Reservation, StateError> {
        let key = key.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // bound the file: calls of any token past the window (or a day), times in the future
            let cut = now_ms.saturating_sub(window_ms);
            tx.execute(
                "DELETE FROM calls WHERE at_ms <= ?1",
                [now_ms.saturating_sub(window_ms.max(KEEP_CALLS_MS))],
            )?;
            tx.execute(
                "DELETE FROM calls WHERE key = ?1 AND at_ms <= ?2",
                params![key, cut],
            )?;
            tx.execute(
                "UPDATE calls SET at_ms = ?2 WHERE key = ?1 AND at_ms > ?2",
                params![key, now_ms],
            )?;
            let w = window_in(&tx, &key, n, limit, window_ms, now_ms)?;
            let out = match w.fits_at_ms {
                Some(frees_at_ms) => Reservation::Full { frees_at_ms },
                None => {
                    let mut insert =
                        tx.prepare_cached("INSERT INTO calls (key, at_ms) VALUES (?1, ?2)")?;
                    for _ in 0..n {
                        insert.execute(params![key, now_ms])?;
                    }
                    Reservation::Granted
                }
            };
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn calls(
        &self,
        key: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<CallWindow, StateError> {
        let key = key.to_string();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let w = window_in(&tx, &key, n, limit, window_ms, now_ms)?;
            tx.commit()?;
            Ok(w)
        })
        .await
    }

    async fn reserve_hashtag(
        &self,
        account: &str,
        hashtag: &str,
        budget: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<HashtagReservation, StateError> {
        let (account, hashtag) = (account.to_string(), hashtag.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let cut = now_ms.saturating_sub(window_ms);
            tx.execute("DELETE FROM hashtags WHERE at_ms <= ?1", [cut])?;
            tx.execute(
                "UPDATE hashtags SET at_ms = ?2 WHERE account = ?1 AND at_ms > ?2",
                params![account, now_ms],
            )?;
            let known: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM hashtags WHERE account = ?1 AND name = ?2",
                    params![account, hashtag],
                    |r| r.get(0),
                )
                .optional()?;
            let out = if known.is_some() {
                HashtagReservation::Known
            } else {
                let (used, oldest): (i64, Option<i64>) = tx.query_row(
                    "SELECT count(*), min(at_ms) FROM hashtags WHERE account = ?1",
                    [&account],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if u64::try_from(used).unwrap_or(0) >= u64::from(budget) {
                    HashtagReservation::Full {
                        frees_at_ms: oldest.unwrap_or(now_ms).saturating_add(window_ms),
                    }
                } else {
                    tx.execute(
                        "INSERT INTO hashtags (account, name, at_ms) VALUES (?1, ?2, ?3)",
                        params![account, hashtag, now_ms],
                    )?;
                    HashtagReservation::Reserved
                }
            };
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn release_hashtag(&self, account: &str, hashtag: &str) -> Result<(), StateError> {
        let (account, hashtag) = (account.to_string(), hashtag.to_string());
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM hashtags WHERE account = ?1 AND name = ?2",
                params![account, hashtag],
            )
            .map(drop)
        })
        .await
    }

    async fn seed_hashtags(
        &self,
        account: &str,
        hashtags: &[String],
        now_ms: i64,
    ) -> Result<(), StateError> {
        let account = account.to_string();
        let hashtags = hashtags.to_vec();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO hashtags (account, name, at_ms) VALUES (?1, ?2, ?3)",
                )?;
                for h in &hashtags {
                    insert.execute(params![account, h, now_ms])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn hashtags(
        &self,
        account: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<(String, i64)>, StateError> {
        let account = account.to_string();
        self.run(move |conn| {
            let cut = now_ms.saturating_sub(window_ms);
            let mut q = conn.prepare_cached(
                "SELECT name, min(at_ms, ?3) FROM hashtags WHERE account = ?1 AND min(at_ms, ?3) > ?2
                 ORDER BY name LIMIT 10000",
            )?;
            let rows = q.query_map(params![account, cut, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    async fn conversion(&self, account: &str) -> Result<ConversionMark, StateError> {
        let account = account.to_string();
        self.run(move |conn| read_conversion(conn, &account)).await
    }

    async fn merge_conversion(
        &self,
        account: &str,
        mark: ConversionMark,
    ) -> Result<ConversionMark, StateError> {
        let account = account.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let known = read_conversion(&tx, &account)?;
            let merged = known.merge(mark);
            tx.execute(
                "INSERT INTO conversions (account, cutoff, floor) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO UPDATE SET cutoff = excluded.cutoff, floor = excluded.floor",
                params![account, merged.cutoff, merged.floor],
            )?;
            tx.commit()?;
            Ok(merged)
        })
        .await
    }
}

/// What the file holds of `account`'s conversion (nothing known: the default).
fn read_conversion(conn: &rusqlite::Connection, account: &str) -> rusqlite::Result<ConversionMark> {
    conn.query_row(
        "SELECT cutoff, floor FROM conversions WHERE account = ?1",
        [account],
        |r| {
            Ok(ConversionMark {
                cutoff: r.get(0)?,
                floor: r.get(1)?,
            })
        },
    )
    .optional()
    .map(Option::unwrap_or_default)
}
