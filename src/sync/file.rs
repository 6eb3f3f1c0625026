//! The sync file (TOML): which datasets `igflight sync` keeps, how and where.
//!
//! ```toml
//! [[dataset]]
//! name = "media"                                   # also the SQL table name: synced.media
//! ticket = { report = "user_media", account = "17841…" }
//! every = "15m"                                    # or at = "06:30" with timezone = "Europe/Paris"
//! method = "merge"                                 # replace | append | merge | partition
//! path = "data/media"                              # relative to the sync file
//! lookback_days = 3                                # optional: days refetched because values still change
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::SyncError;
use super::schedule::Schedule;
use crate::reports::catalog::ReportKind;

/// Days refetched by an incremental run when the sync file does not say (insights of the last 2–3 days
/// still change; so do like and comment counts of recent media).
pub const DEFAULT_LOOKBACK_DAYS: u32 = 3;
/// The longest lookback accepted.
pub const MAX_LOOKBACK_DAYS: u32 = 90;
/// Datasets in one sync file, at most.
pub const MAX_DATASETS: usize = 100;
/// Bytes of a sync file, at most.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// How a run's rows update the dataset (the seed's update methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The dataset is the latest run.
    Replace,
    /// Each run adds its rows, with a `_synced_at` column (snapshots).
    Append,
    /// Upsert on the report's identity columns (nulls equal).
    Merge,
    /// Replace only the date partitions the run covers.
    Partition,
}

impl Method {
    /// Every method, in the order the docs list them.
    pub const ALL: [Method; 4] = [
        Method::Replace,
        Method::Append,
        Method::Merge,
        Method::Partition,
    ];

    /// The sync file's name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Replace => "replace",
            Method::Append => "append",
            Method::Merge => "merge",
            Method::Partition => "partition",
        }
    }

    /// Whether a run may fetch only what is new (plus the lookback): the methods that keep what an
    /// earlier run wrote outside the run's window.
    pub fn incremental(self) -> bool {
        matches!(self, Method::Merge | Method::Partition)
    }
}

/// One dataset of a sync file, checked.
#[derive(Debug, Clone)]
pub struct DatasetSpec {
    /// Its name (also the SQL table `synced.<name>`).
    pub name: String,
    /// The report.
    pub report: ReportKind,
    /// The ticket as written (JSON object; dates as offsets roll with the days).
    pub ticket: Value,
    /// When it is due.
    pub schedule: Schedule,
    /// How a run updates it.
    pub method: Method,
    /// Its folder (absolute, or relative to the working folder when the sync file's was).
    pub path: PathBuf,
    /// Days an incremental run refetches.
    pub lookback_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    dataset: Vec<RawDataset>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    name: String,
    ticket: toml::Table,
    every: Option<String>,
    at: Option<String>,
    timezone: Option<String>,
    method: String,
    path: String,
    lookback_days: Option<u32>,
}

/// Ticket keys a synced dataset cannot take.
const REFUSED_KEYS: [(&str, &str); 3] = [
    (
        "limit",
        "a dataset holds the whole report, not its first rows: drop `limit`",
    ),
    (
        "fields",
        "a dataset keeps every column (merge needs the identity columns): drop `fields`",
    ),
    (
        "max_age",
        "each run decides how fresh its answers are: drop `max_age`",
    ),
];

/// Read and check the sync file at `path`. Relative dataset paths are relative to its folder.
/// `check` validates each ticket (the report, its keys and values) the way a Flight ticket is.
pub fn load(
    path: &Path,
    check: impl Fn(&Value) -> Result<ReportKind, String>,
) -> Result<Vec<DatasetSpec>, SyncError> {
    let bad = |message: String| SyncError::File {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(bad(format!(
            "it has {} bytes; a sync file has at most {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, base, check).map_err(bad)
}

/// Read and check the sync file at `path`, each ticket checked as a Flight ticket is: against the
/// catalog of `graph_version`, or the newest one (the version that answers is not known yet). What
/// `igflight sync`, `igflight sql --sync-file` and `igflight serve --sync-file` read.
pub fn load_checked(path: &Path, graph_version: &str) -> Result<Vec<DatasetSpec>, SyncError> {
    use crate::reports::catalog::{Era, GraphVersion};
    let today = chrono::Utc::now().date_naive();
    let version = GraphVersion::parse(graph_version).unwrap_or_default();
    load(path, |ticket| {
        let bytes = serde_json::to_vec(ticket).map_err(|e| e.to_string())?;
        let decode = |v| crate::ticket::decode(&bytes, today, v);
        decode(version)
            .or_else(|e| decode(Era::NEWEST.since()).map_err(|_| e))
            .map(|r| r.report)
            .map_err(|e| e.to_string())
    })
}

/// Parse sync-file text; dataset paths are joined to `base`.
pub fn parse(
    text: &str,
    base: &Path,
    check: impl Fn(&Value) -> Result<ReportKind, String>,
) -> Result<Vec<DatasetSpec>, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        e.to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    })?;
    if raw.dataset.is_empty() {
        return Err(
            "no dataset: add a `[[dataset]]` table with name, ticket, every, method and path"
                .into(),
        );
    }
    if raw.dataset.len() > MAX_DATASETS {
        return Err(format!(
            "{} datasets; a sync file holds at most {MAX_DATASETS}",
            raw.dataset.len()
        ));
    }
    let mut names = BTreeSet::new();
    let mut out: Vec<DatasetSpec> = Vec::with_capacity(raw.dataset.len());
    for d in raw.dataset {
        let name = d.name.clone();
        let at = |m: String| format!("dataset `{name}`: {m}");
        if !valid_name(&d.name) {
            return Err(format!(
                "dataset name `{}`: use lowercase letters, digits and `_`, starting with a letter (at most 63): it is also the SQL table synced.<name>",
                d.name
            ));
        }
        if !names.insert(d.name.clone()) {
            return Err(format!("two datasets are named `{}`", d.name));
        }
        let ticket = toml_to_json(toml::Value::Table(d.ticket));
        for (key, why) in REFUSED_KEYS {
            if ticket.get(key).is_some() {
                return Err(at(format!("ticket key `{key}`: {why}")));
            }
        }
        let report = check(&ticket).map_err(|e| at(format!("ticket refused: {e}")))?;
        let schedule = Schedule::parse(d.every.as_deref(), d.at.as_deref(), d.timezone.as_deref())
            .map_err(at)?;
        let method = Method::ALL
            .into_iter()
            .find(|m| m.name() == d.method)
            .ok_or_else(|| {
                at(format!(
                    "method `{}` is not one of replace, append, merge, partition",
                    d.method
                ))
            })?;
        if method == Method::Partition && report.spec().sync_date.is_none() {
            let dated: Vec<&str> = ReportKind::ALL
                .iter()
                .filter(|r| r.spec().sync_date.is_some())
                .map(|r| r.name())
                .collect();
            return Err(at(format!(
                "method `partition` replaces date partitions, and `{}` has no date; use replace, append or merge, or a dated report ({})",
                report.name(),
                dated.join(", ")
            )));
        }
        let lookback_days = d.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
        if lookback_days > MAX_LOOKBACK_DAYS {
            return Err(at(format!(
                "lookback_days = {lookback_days}: at most {MAX_LOOKBACK_DAYS}"
            )));
        }
        if d.path.trim().is_empty() {
            return Err(at("`path` is empty".into()));
        }
        let path = base.join(&d.path);
        if let Some(other) = out
            .iter()
            .find(|o| o.path.starts_with(&path) || path.starts_with(&o.path))
        {
            return Err(at(format!(
                "its path {} overlaps dataset `{}`'s ({}): each dataset needs a folder of its own",
                path.display(),
                other.name,
                other.path.display()
            )));
        }
        out.push(DatasetSpec {
            name: d.name,
            report,
            ticket,
            schedule,
            method,
            path,
            lookback_days,
        });
    }
    Ok(out)
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A TOML value as JSON (a TOML date or time becomes its text, as tickets take dates).
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(t: &Value) -> Result<ReportKind, String> {
        let name = t["report"].as_str().ok_or("key `report` is required")?;
        ReportKind::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| format!("unknown report `{name}`"))
    }

    const MINIMAL: &str = r#"
[[dataset]]
name = "media"                                   # also the SQL table name: synced.media
ticket = { report = "user_media", account = "17841400000000001" }
every = "15m"
method = "merge"                                 # replace | append | merge | partition
path = "data/media"                              # relative to the sync file
"#;

    #[test]
    fn the_minimal_form_parses() {
        let ds = parse(MINIMAL, Path::new("/srv/sync"), check).unwrap();
        assert_eq!(ds.len(), 1);
        let d = &ds[0];
        assert_eq!(d.name, "media");
        assert_eq!(d.report, ReportKind::UserMedia);
        assert_eq!(d.method, Method::Merge);
        assert_eq!(d.path, Path::new("/srv/sync/data/media"));
        assert_eq!(d.lookback_days, DEFAULT_LOOKBACK_DAYS);
        assert_eq!(
            d.schedule,
            Schedule::Every(std::time::Duration::from_secs(900))
        );
        assert_eq!(d.ticket["account"], "17841400000000001");
    }

    #[test]
    fn toml_dates_become_ticket_dates() {
        let text = MINIMAL.replace(
            "account = \"17841400000000001\" }",
            "account = \"17841400000000001\", date_from = 2026-01-01 }",
        );
        let ds = parse(&text, Path::new("."), check).unwrap();
        assert_eq!(ds[0].ticket["date_from"], "2026-01-01");
    }

    #[test]
    fn mistakes_are_named() {
        let cases: Vec<(String, &str)> = vec![
            (
                MINIMAL.replace("name = \"media\"", "name = \"Media-1\""),
                "lowercase letters",
            ),
            (
                MINIMAL.replace("method = \"merge\"", "method = \"upsert\""),
                "not one of replace, append, merge, partition",
            ),
            (
                MINIMAL.replace("every = \"15m\"", "every = \"5s\""),
                "out of range",
            ),
            (
                MINIMAL.replace("every = \"15m\"", ""),
                "schedule is missing",
            ),
            (
                MINIMAL.replace("user_media\"", "user_media\", limit = 10"),
                "drop `limit`",
            ),
            (
                MINIMAL.replace("user_media\"", "user_media\", fields = [\"id\"]"),
                "drop `fields`",
            ),
            (
                MINIMAL.replace("user_media\"", "no_such_report\""),
                "ticket refused: unknown report",
            ),
            (
                MINIMAL.replace("every = \"15m\"", "every = \"15m\"\nlookback_days = 400"),
                "at most 90",
            ),
            (
                MINIMAL.replace("every = \"15m\"", "every = \"15m\"\ncolour = \"blue\""),
                "unknown field `colour`",
            ),
            (
                format!("{MINIMAL}{MINIMAL}"),
                "two datasets are named `media`",
            ),
            (
                format!(
                    "{MINIMAL}{}",
                    MINIMAL
                        .replace("\"media\"", "\"media2\"")
                        .replace("data/media", "data/media/x")
                ),
                "overlaps dataset `media`",
            ),
            (
                MINIMAL
                    .replace("user_media\"", "user\"")
                    .replace("merge", "partition"),
                "`user` has no date",
            ),
            ("".to_string(), "no dataset"),
            ("[[dataset]\n".to_string(), "TOML parse error"),
        ];
        for (text, want) in cases {
            let e = parse(&text, Path::new("."), check).unwrap_err();
            assert!(e.contains(want), "want {want:?} in: {e}");
        }
    }
}
