//! A dataset on disk.
//!
//! ```text
//! data/media/                                    the dataset (what readers glob: data/media/**/*.parquet)
//!   ig_user_id=17841…/date=2026-11-30/part-0.parquet
//!   ig_user_id=17841…/date=2026-11-29/part-0.parquet
//!   _igflight/state.json                         the dataset's state (not Parquet: globs skip it)
//!   _igflight/lock                               held while a run writes
//! data/.media.igflight-staging/                  files being written (outside the dataset)
//! ```
//!
//! A partition file is written whole in the staging folder, synced, then renamed into the dataset: a
//! reader sees the old file or the new one, never half of one, never a staging file. `replace`,
//! `merge` and `partition` keep one file per partition (`part-0.parquet`, replaced by the rename);
//! `append` adds one file per run (`part-<run>.parquet`; a resumed run reuses its name, so a partition
//! written twice is not counted twice). The columns that name the partition (`ig_user_id`, `date`) are in
//! the path, not in the file.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate, Utc};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
use serde::{Deserialize, Serialize};

use super::SyncError;
use crate::output::{BatchWriter, Format};

/// The folder of igflight's own files inside a dataset.
pub const META_DIR: &str = "_igflight";
/// The file name of a partition written whole.
pub const WHOLE: &str = "part-0.parquet";
/// The Hive name of a partition whose date is unknown (a row without a timestamp).
pub const NULL_DATE: &str = "__HIVE_DEFAULT_PARTITION__";

/// One partition: the account and, for dated reports, the UTC date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartKey {
    /// `ig_user_id=…` (absent for reports not about one account).
    pub account: Option<String>,
    /// `date=…`: `None` for dateless reports; `Some(None)` for rows without a date.
    pub date: Option<Option<NaiveDate>>,
}

impl PartKey {
    /// Its folder relative to the dataset.
    pub fn rel(&self) -> PathBuf {
        let mut p = PathBuf::new();
        if let Some(a) = &self.account {
            p.push(format!("ig_user_id={a}"));
        }
        match &self.date {
            Some(Some(d)) => p.push(format!("date={d}")),
            Some(None) => p.push(format!("date={NULL_DATE}")),
            None => {}
        }
        p
    }
}

/// What one run did (kept in the state; shown by `sync status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished: Option<DateTime<Utc>>,
    /// Rows the report returned.
    pub rows: u64,
    /// Graph calls it made.
    pub calls: u64,
    /// Partitions it committed.
    pub partitions: u64,
    /// Whether it committed everything it fetched (false: it stopped early; the next run resumes).
    pub complete: bool,
    /// Why it stopped early.
    pub error: Option<String>,
    /// The first date it asked (incremental runs), if any.
    pub from: Option<NaiveDate>,
}

/// A dataset's state, written after its partitions are committed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The start of the last run that completed: the next incremental run asks from it (minus the
    /// lookback).
    pub last_complete: Option<DateTime<Utc>>,
    /// A run that stopped early: the first date the next run must ask again.
    pub resume_from: Option<NaiveDate>,
    /// `append`: the name of the files of a run that stopped early (its resumption reuses it).
    pub pending_stamp: Option<String>,
    /// The last run.
    pub last_run: Option<RunRecord>,
}

/// A dataset's folder, locked for one run.
#[derive(Debug)]
pub struct Store {
    name: String,
    root: PathBuf,
    staging: PathBuf,
    _lock: File,
}

impl Store {
    /// Create the dataset's folder if needed and take its lock (another run holding it:
    /// [`SyncError::Busy`]). Clears what a crashed run left in the staging folder.
    pub fn open(name: &str, root: &Path) -> Result<Store, SyncError> {
        let io = |what, path: &Path, source| SyncError::Io {
            name: name.to_string(),
            what,
            path: path.display().to_string(),
            source,
        };
        let meta = root.join(META_DIR);
        std::fs::create_dir_all(&meta).map_err(|e| io("cannot create", &meta, e))?;
        let lock_path = meta.join("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io("cannot open", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(SyncError::Busy {
                    name: name.to_string(),
                    lock: lock_path.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", &lock_path, e)),
        }
        let staging = staging_dir(root);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| io("cannot clear", &staging, e))?;
        }
        Ok(Store {
            name: name.to_string(),
            root: root.to_path_buf(),
            staging,
            _lock: lock,
        })
    }

    fn io(&self, what: &'static str, path: &Path, source: std::io::Error) -> SyncError {
        SyncError::Io {
            name: self.name.clone(),
            what,
            path: path.display().to_string(),
            source,
        }
    }

    fn data(&self, message: impl std::fmt::Display) -> SyncError {
        SyncError::Data {
            name: self.name.clone(),
            message: message.to_string(),
        }
    }

    /// The dataset's state (default when it never ran; a garbled file is an error, not a reset).
    pub fn state(&self) -> Result<State, SyncError> {
        read_state(&self.name, &self.root)
    }

    /// Write the state: a temporary file renamed over the old one.
    pub fn save_state(&self, state: &State) -> Result<(), SyncError> {
        let path = self.root.join(META_DIR).join("state.json");
        let dir = self.root.join(META_DIR);
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)
            .map_err(|e| self.io("cannot write in", &dir, e))?;
        serde_json::to_writer_pretty(&mut tmp, state).map_err(|e| self.data(e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| self.io("cannot sync", &path, e))?;
        tmp.persist(&path)
            .map_err(|e| self.io("cannot write", &path, e.error))?;
        Ok(())
    }

    /// The partitions the dataset holds (folders with Parquet files).
    pub fn partitions(&self, by_account: bool, dated: bool) -> Result<Vec<PartKey>, SyncError> {
        let mut out = Vec::new();
        let accounts: Vec<Option<String>> = if by_account {
            self.subdirs(&self.root, "ig_user_id=")?
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None]
        };
        for account in accounts {
            let key = PartKey {
                account: account.clone(),
                date: None,
            };
            if !dated {
                if !parquet_files(&self.root.join(key.rel())).is_empty() {
                    out.push(key);
                }
                continue;
            }
            let dir = self.root.join(key.rel());
            for d in self.subdirs(&dir, "date=")? {
                let date = if d == NULL_DATE {
                    None
                } else {
                    match d.parse::<NaiveDate>() {
                        Ok(x) => Some(x),
                        Err(_) => continue,
                    }
                };
                out.push(PartKey {
                    account: account.clone(),
                    date: Some(date),
                });
            }
        }
        out.sort();
        Ok(out)
    }

    fn subdirs(&self, dir: &Path, prefix: &str) -> Result<Vec<String>, SyncError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io("cannot list", dir, e)),
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(v) = name.strip_prefix(prefix)
                && e.file_type().is_ok_and(|t| t.is_dir())
            {
                out.push(v.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Every row of a partition (all its files).
    pub fn read(&self, key: &PartKey) -> Result<Vec<RecordBatch>, SyncError> {
        let mut out = Vec::new();
        for f in parquet_files(&self.root.join(key.rel())) {
            let file = File::open(&f).map_err(|e| self.io("cannot read", &f, e))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.build())
                .map_err(|e| self.data(format!("cannot read {}: {e}", f.display())))?;
            for b in reader {
                out.push(b.map_err(|e| self.data(format!("cannot read {}: {e}", f.display())))?);
            }
        }
        Ok(out)
    }

    /// Write `batches` as the partition's file `file_name`: written in the staging folder, then renamed
    /// into place in one step. With `whole`, the partition's other files are removed after (the
    /// partition is this file). Returns the rows written.
    pub fn commit(
        &self,
        key: &PartKey,
        file_name: &str,
        schema: SchemaRef,
        batches: &[RecordBatch],
        whole: bool,
    ) -> Result<u64, SyncError> {
        let rel = key.rel();
        let staged_dir = self.staging.join(&rel);
        std::fs::create_dir_all(&staged_dir)
            .map_err(|e| self.io("cannot create", &staged_dir, e))?;
        let staged = staged_dir.join(file_name);
        let mut w =
            BatchWriter::open(Format::Parquet, schema, &staged).map_err(|e| self.data(e))?;
        for b in batches {
            w.write(b).map_err(|e| self.data(e))?;
        }
        let rows = w.finish().map_err(|e| self.data(e))?;
        let dir = self.root.join(&rel);
        std::fs::create_dir_all(&dir).map_err(|e| self.io("cannot create", &dir, e))?;
        let target = dir.join(file_name);
        std::fs::rename(&staged, &target)
            .map_err(|e| self.io("cannot move into place", &target, e))?;
        sync_dir(&dir);
        if whole {
            for f in parquet_files(&dir) {
                if f != target {
                    std::fs::remove_file(&f).map_err(|e| self.io("cannot remove", &f, e))?;
                }
            }
        }
        Ok(rows)
    }

    /// Remove a partition (its files, then its folder when empty).
    pub fn remove(&self, key: &PartKey) -> Result<(), SyncError> {
        let dir = self.root.join(key.rel());
        for f in parquet_files(&dir) {
            std::fs::remove_file(&f).map_err(|e| self.io("cannot remove", &f, e))?;
        }
        let _ = std::fs::remove_dir(&dir);
        if let Some(parent) = dir.parent()
            && parent != self.root
        {
            let _ = std::fs::remove_dir(parent);
        }
        sync_dir(&self.root);
        Ok(())
    }

    /// Remove the staging folder (the end of a run).
    pub fn finish(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// The staging folder of a dataset: a hidden sibling, on the same file system, outside the dataset.
pub fn staging_dir(root: &Path) -> PathBuf {
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    root.with_file_name(format!(".{name}.igflight-staging"))
}

/// The state of the dataset at `root` (no lock needed: it is replaced by a rename).
pub fn read_state(name: &str, root: &Path) -> Result<State, SyncError> {
    let path = root.join(META_DIR).join("state.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SyncError::Data {
            name: name.to_string(),
            message: format!(
                "its state {} is not readable ({e}); move it away to start over",
                path.display()
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(SyncError::Io {
            name: name.to_string(),
            what: "cannot read",
            path: path.display().to_string(),
            source: e,
        }),
    }
}

/// Rows held by the dataset at `root` (from the Parquet footers) and its files.
pub fn rows_held(root: &Path) -> (u64, u64) {
    let mut rows = 0;
    let mut files = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == META_DIR {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if name.ends_with(".parquet")
                && let Ok(f) = File::open(&p)
                && let Ok(r) = SerializedFileReader::new(f)
            {
                rows += r.metadata().file_metadata().num_rows().max(0) as u64;
                files += 1;
            }
        }
    }
    (rows, files)
}

/// The Parquet files directly in `dir`, sorted.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| x == "parquet")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    out
}

/// Make a rename in `dir` durable (best effort: not every platform can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch(ids: &[&str], n: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(ids.to_vec())),
                Arc::new(Int64Array::from(n.to_vec())),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_partition_is_swapped_in_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("media");
        let store = Store::open("media", &root).unwrap();
        let key = PartKey {
            account: Some("17841400000000001".into()),
            date: Some(NaiveDate::from_ymd_opt(2026, 11, 30)),
        };
        assert_eq!(
            key.rel(),
            Path::new("ig_user_id=17841400000000001/date=2026-11-30")
        );
        let b = batch(&["1", "2"], &[10, 20]);
        let rows = store
            .commit(&key, WHOLE, b.schema(), std::slice::from_ref(&b), true)
            .unwrap();
        assert_eq!(rows, 2);
        // replaced whole
        let b2 = batch(&["1"], &[11]);
        store
            .commit(&key, WHOLE, b2.schema(), std::slice::from_ref(&b2), true)
            .unwrap();
        let back = store.read(&key).unwrap();
        assert_eq!(back, vec![b2]);
        assert_eq!(store.partitions(true, true).unwrap(), vec![key.clone()]);
        // no staging file is left in the dataset, and the staging folder is outside it
        let staging = staging_dir(&root);
        assert!(!staging.starts_with(&root));
        store.finish();
        assert!(!staging.exists());
        assert_eq!(rows_held(&root), (1, 1));
    }

    #[test]
    fn a_second_run_on_the_same_dataset_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("media");
        let first = Store::open("media", &root).unwrap();
        match Store::open("media", &root) {
            Err(SyncError::Busy { name, lock }) => {
                assert_eq!(name, "media");
                assert!(lock.ends_with("lock"), "{lock}");
            }
            other => panic!("{other:?}"),
        }
        drop(first);
        Store::open("media", &root).unwrap();
    }

    #[test]
    fn state_round_trips_and_a_garbled_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ds");
        let store = Store::open("ds", &root).unwrap();
        assert_eq!(store.state().unwrap(), State::default());
        let s = State {
            resume_from: NaiveDate::from_ymd_opt(2026, 11, 1),
            ..State::default()
        };
        store.save_state(&s).unwrap();
        assert_eq!(store.state().unwrap(), s);
        std::fs::write(root.join(META_DIR).join("state.json"), b"{nope").unwrap();
        let e = store.state().unwrap_err().to_string();
        assert!(
            e.contains("not readable") && e.contains("move it away"),
            "{e}"
        );
    }
}
