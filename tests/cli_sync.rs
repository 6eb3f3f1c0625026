//! `igflight sync` as a process: run, not due, --force, status, usage errors, and a run killed between
//! partition writes (every file left readable, no staging file inside the dataset, the next run
//! completes it without a duplicate).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use igflight::sim::SimConfig;

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

fn command(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env("IGFLIGHT_CONFIG_DIR", dir.join("config"))
        .env("IGFLIGHT_DATA_DIR", dir.join("state"))
        .env_remove("IGFLIGHT_STATE")
        .env_remove("IGFLIGHT_SYNC_FILE")
        .env_remove("RUST_LOG");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sync_file(dir: &Path, account: &str, method: &str) -> PathBuf {
    let f = dir.join("sync.toml");
    std::fs::write(
        &f,
        format!(
            r#"[[dataset]]
name = "media"
ticket = {{ report = "user_media", account = "{account}" }}
every = "15m"
method = "{method}"
path = "data/media"
"#
        ),
    )
    .unwrap();
    f
}

/// Every Parquet file under `root`: (path, ids), each file read whole.
fn files(root: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap())
                    .unwrap_or_else(|e| panic!("{} is not a whole Parquet file: {e}", p.display()))
                    .build()
                    .unwrap();
                let mut ids = Vec::new();
                for b in r {
                    let b = b.unwrap();
                    let c = b.column_by_name("id").unwrap().as_string::<i32>().clone();
                    ids.extend((0..c.len()).map(|i| c.value(i).to_string()));
                }
                out.push((p, ids));
            }
        }
    }
    out
}

/// Every file name under `root` (to find leftovers).
fn all_names(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn run_not_due_force_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let acc = "17841168502017485"; // the demo's first account (seed 42)
    let f = sync_file(dir.path(), acc, "merge");
    let f = f.to_str().unwrap();
    let out = run(
        dir.path(),
        &["sync", "run", "--demo", "-q", "--sync-file", f],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("synced media: 250 rows"), "{err}");
    let out = run(
        dir.path(),
        &["sync", "run", "--demo", "-q", "--sync-file", f],
    );
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("media: not due until") && err.contains("--force"),
        "{err}"
    );
    let out = run(
        dir.path(),
        &["sync", "run", "--demo", "-q", "--force", "--sync-file", f],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("synced media:") && err.contains(", from "),
        "{err}"
    );
    let out = run(dir.path(), &["sync", "status", "--sync-file", f]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("media  user_media (merge, every 15m)"), "{s}");
    assert!(s.contains(" Graph call") && s.contains("; ok"), "{s}");
    assert!(s.contains("held: 250 rows"), "{s}");
    assert!(s.contains("next run: 20"), "{s}");
    // usage errors exit 2 and say what is wrong
    let out = run(
        dir.path(),
        &[
            "sync",
            "run",
            "--demo",
            "--dataset",
            "nope",
            "--sync-file",
            f,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("no dataset named `nope` in the sync file; it has: media"),
        "{err}"
    );
    std::fs::write(dir.path().join("bad.toml"), "[[dataset]]\nname = \"x\"\n").unwrap();
    let bad = dir.path().join("bad.toml");
    let out = run(
        dir.path(),
        &["sync", "status", "--sync-file", bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("sync file") && err.contains("missing field"),
        "{err}"
    );
    let out = run(
        dir.path(),
        &[
            "sync",
            "run",
            "--demo",
            "--sync-file",
            "/nonexistent/sync.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read it"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_between_partition_writes_leaves_whole_files_and_the_next_run_completes_it() {
    let sim = common::start_sim(SimConfig::default()).await;
    let acc = sim.dataset().accounts[0].id.clone();
    let media = sim.dataset().accounts[0].media.len();
    let dir = tempfile::tempdir().unwrap();
    let f = sync_file(dir.path(), &acc, "merge");
    let root = dir.path().join("data/media");
    let args = [
        "sync",
        "run",
        "-q",
        "--force",
        "--graph-url",
        &sim.base_url(),
        "--sync-file",
        f.to_str().unwrap(),
    ];
    // kill the run once it has written some partitions but not all
    let mut child = command(dir.path())
        .args(args)
        .env("IGFLIGHT_ACCESS_TOKEN", sim.token())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut written = 0;
    while start.elapsed() < Duration::from_secs(60) {
        written = files(&root).len();
        if written >= 10 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(written >= 10, "the run wrote partitions");
    let held = files(&root);
    assert!(
        held.len() < media,
        "killed before the end: {} of {media} partitions",
        held.len()
    );
    // whatever was there: whole files (read above), nothing staged inside the dataset
    assert!(
        all_names(&root)
            .iter()
            .all(|n| n.ends_with(".parquet") || n == "lock" || n == "state.json"),
        "{:?}",
        all_names(&root)
    );
    // the next run completes it: every media once
    let out = command(dir.path())
        .args(args)
        .env("IGFLIGHT_ACCESS_TOKEN", sim.token())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut ids: Vec<String> = files(&root).into_iter().flat_map(|(_, ids)| ids).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no duplicate");
    assert_eq!(n, media, "no gap");
    assert!(!igflight::sync::store::staging_dir(&root).exists());
    sim.shutdown().await;
}

#[test]
fn watch_runs_what_is_due_and_stops_cleanly_on_ctrl_c() {
    watch_stops_cleanly_on("-INT");
}

#[test]
fn watch_stops_cleanly_on_sigterm() {
    // `systemctl stop` / `docker stop` of a `sync run --watch` service
    watch_stops_cleanly_on("-TERM");
}

fn watch_stops_cleanly_on(signal: &str) {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let f = sync_file(dir.path(), "17841168502017485", "replace");
    let mut child = command(dir.path())
        .args([
            "sync",
            "run",
            "--demo",
            "-q",
            "--watch",
            "--sync-file",
            f.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("synced media:") {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.starts_with("synced media: 250 rows")),
        "{seen:?}"
    );
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let code = child.wait().unwrap();
    assert!(code.success(), "{code:?} {rest:?}");
    assert!(rest.iter().any(|l| l == "sync: stopped"), "{rest:?}");
}
