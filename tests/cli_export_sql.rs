//! `igflight export` and `igflight sql` as processes (`--demo`, seed 42), checked against the same
//! reports run in-process with `report_stream` on a separate simulator of the same seed (the same data
//! set; only timestamps, relative to each simulator's start, may differ by a few seconds).

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::TryStreamExt;
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::SimConfig;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

fn igflight(args: &[&str]) -> Output {
    // an empty config folder: no stored connection can stand in for the missing token
    let config = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .args(args)
        .env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env("IGFLIGHT_CONFIG_DIR", config.path())
        // the call ledger of this command only, never the user's
        .env("IGFLIGHT_DATA_DIR", config.path().join("data"))
        .env_remove("IGFLIGHT_STATE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The files in `dir` (names), to check that nothing was left behind.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The report's batches, in-process, on a fresh simulator of seed 42.
async fn reference(ticket: &Value) -> Vec<RecordBatch> {
    let sim = common::start_sim(SimConfig::default()).await;
    let ctx = Arc::new(ReportContext::new(common::client(&sim)));
    let today = chrono::Utc::now().date_naive();
    let req =
        igflight::ticket::decode(ticket.to_string().as_bytes(), today, ctx.api_version()).unwrap();
    let batches: Vec<RecordBatch> = report_stream(ctx, req).batches.try_collect().await.unwrap();
    sim.shutdown().await;
    batches
}

/// The first demo account's id (the data set depends on the seed only).
async fn first_account() -> String {
    let sim = common::start_sim(SimConfig::default()).await;
    let id = sim.dataset().accounts[0].id.clone();
    sim.shutdown().await;
    id
}

fn strings(batches: &[RecordBatch], col: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(col).unwrap().as_string::<i32>().clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ints(batches: &[RecordBatch], col: &str) -> Vec<Option<i64>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(col)
                .unwrap()
                .as_primitive::<Int64Type>()
                .clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn read_arrow(path: &Path) -> Vec<RecordBatch> {
    arrow::ipc::reader::FileReader::try_new(File::open(path).unwrap(), None)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

#[tokio::test]
async fn export_every_format_equals_the_report() {
    let account = first_account().await;
    let ticket = json!({"report": "user_media", "account": account, "page_size": 25});
    let want = reference(&ticket).await;
    assert!(rows(&want) > 100, "the demo account has media");
    let dir = tempfile::tempdir().unwrap();
    for format in ["parquet", "arrow", "csv", "json"] {
        let path = dir.path().join(format!("media.{format}"));
        let out = igflight(&[
            "export",
            "--demo",
            "--ticket",
            &ticket.to_string(),
            "--format",
            format,
            "--output",
            path.to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert!(out.status.success(), "{format}: {err}");
        assert!(
            err.contains(&format!(
                "exported {} rows of user_media to {}",
                rows(&want),
                path.display()
            )) && err.contains("Graph calls)"),
            "{err}"
        );
        // not a terminal: plain progress lines, the last one with the final counts
        assert!(
            err.contains(&format!("user_media: {} rows", rows(&want))),
            "{err}"
        );
        assert!(out.stdout.is_empty());
        match format {
            "parquet" | "arrow" => {
                let got = if format == "parquet" {
                    read_parquet(&path)
                } else {
                    read_arrow(&path)
                };
                if format == "arrow" {
                    assert_eq!(got[0].schema(), want[0].schema());
                } else {
                    // Parquet has no seconds unit: the same instants in milliseconds
                    let names = |b: &RecordBatch| {
                        b.schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().clone())
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(names(&got[0]), names(&want[0]));
                    assert_eq!(
                        got[0]
                            .schema()
                            .field_with_name("timestamp")
                            .unwrap()
                            .data_type(),
                        &arrow::datatypes::DataType::Timestamp(
                            arrow::datatypes::TimeUnit::Millisecond,
                            Some("UTC".into())
                        )
                    );
                }
                assert_eq!(strings(&got, "id"), strings(&want, "id"), "{format}");
                assert_eq!(
                    strings(&got, "caption"),
                    strings(&want, "caption"),
                    "{format}"
                );
                assert_eq!(
                    ints(&got, "like_count"),
                    ints(&want, "like_count"),
                    "{format}"
                );
            }
            "csv" => {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut lines = csv_records(&text);
                let header = lines.remove(0);
                assert_eq!(header[0], "id");
                assert_eq!(header.len(), want[0].num_columns());
                let ids: Vec<Option<String>> = lines.iter().map(|r| Some(r[0].clone())).collect();
                assert_eq!(ids, strings(&want, "id"));
            }
            _ => {
                let text = std::fs::read_to_string(&path).unwrap();
                let ids: Vec<Option<String>> = text
                    .lines()
                    .map(|l| {
                        let v: Value = serde_json::from_str(l).unwrap();
                        v["id"].as_str().map(str::to_string)
                    })
                    .collect();
                assert_eq!(ids, strings(&want, "id"));
            }
        }
    }
    assert_eq!(
        files(dir.path()),
        ["media.arrow", "media.csv", "media.json", "media.parquet"]
    );
}

/// Minimal CSV record splitter (quotes with doubled quotes), enough for the id column and the count.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rec = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => rec.push(std::mem::take(&mut field)),
            ('\n', false) => {
                rec.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut rec));
            }
            (c, _) => field.push(c),
        }
    }
    out
}

#[tokio::test]
async fn export_format_from_extension_and_skipped_items() {
    let account = first_account().await;
    let ticket = json!({"report": "media_insights", "account": account});
    let want = reference(&ticket).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("insights.feather");
    // the reference is the seed's API (v15 media metrics): the same date for the CLI's demo
    let out = igflight(&[
        "export",
        "--demo",
        "--api-as-of",
        "2022-11-01",
        "--ticket",
        &ticket.to_string(),
        "-o",
        path.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let got = read_arrow(&path);
    assert_eq!(rows(&got), rows(&want));
    // the same (media, metric) rows; insight groups answered at once arrive in any order
    let pairs = |b: &[RecordBatch]| {
        let mut v: Vec<(Option<String>, Option<String>)> = strings(b, "media_id")
            .into_iter()
            .zip(strings(b, "metric"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(pairs(&got), pairs(&want));
    // media from before the business conversion have no insights: the final line says so
    assert!(err.contains("skipped"), "{err}");

    // an unknown extension without --format: refused before anything runs
    let out = igflight(&[
        "export",
        "--demo",
        "--ticket",
        &ticket.to_string(),
        "-o",
        dir.path().join("x.bin").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--format"), "{}", stderr(&out));
    assert_eq!(files(dir.path()), ["insights.feather"]);
}

#[test]
fn a_refused_ticket_exits_non_zero_without_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.parquet");
    for ticket in [
        r#"{"report":"user_media","colour":"red"}"#,
        r#"{"report":"nope"}"#,
        r#"{"report":"media_comments"}"#,
        "not json",
        // dates at the edges of the calendar (these panicked), and an id that tried to be a path
        r#"{"report":"user_insights","date_to":"+262142-12-31"}"#,
        r#"{"report":"user_insights","date_from_offset":9223372036854775807}"#,
        r#"{"report":"user","account":"../../me/accounts?x="}"#,
    ] {
        let out = igflight(&[
            "export",
            "--demo",
            "--ticket",
            ticket,
            "--output",
            path.to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{ticket}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ticket refused"), "{err}");
        assert!(files(dir.path()).is_empty(), "{ticket}");
    }
    // `table` is not a file format: refused, and not listed as a possible value (nor in --help)
    let out = igflight(&[
        "export",
        "--demo",
        "--ticket",
        r#"{"report":"pages"}"#,
        "--format",
        "table",
        "--output",
        path.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[possible values: csv, tsv, json, parquet, arrow]"),
        "{err}"
    );
    assert!(files(dir.path()).is_empty());
    let help = String::from_utf8_lossy(&igflight(&["export", "--help"]).stdout).to_string();
    assert!(help.contains("parquet"), "{help}");
    assert!(!help.contains("- table"), "{help}");
}

#[test]
fn a_failing_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("media.parquet");
    // an account that does not exist: NOT_FOUND
    let out = igflight(&[
        "export",
        "--demo",
        "--ticket",
        r#"{"report":"user_media","account":"17841400000000000"}"#,
        "--output",
        path.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[tokio::test]
async fn a_failure_part_way_leaves_no_file() {
    // the budget allows 3 calls and no waiting: the export stops part way with RESOURCE_EXHAUSTED
    // after some pages were written to the temporary file
    let account = first_account().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("media.csv");
    let ticket = json!({"report": "user_media", "account": account, "page_size": 5});
    let out = igflight(&[
        "export",
        "--demo",
        "--calls-per-hour",
        "3",
        "--ticket",
        &ticket.to_string(),
        "--output",
        path.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let last = err.trim().lines().last().unwrap();
    assert!(last.starts_with("error: "), "{err}");
    assert!(last.to_lowercase().contains("budget"), "{err}");
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[test]
fn export_without_a_token_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = igflight(&[
        "export",
        "--ticket",
        r#"{"report":"pages"}"#,
        "--output",
        dir.path().join("p.csv").to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("IGFLIGHT_ACCESS_TOKEN") && err.contains("--demo"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(files(dir.path()).is_empty());
}

/// Kills the child on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `igflight simulate` on a free port with `latency_ms`; returns the process and its base URL.
fn simulate(latency_ms: u64) -> (Child, String) {
    simulate_with(&["--latency-ms", &latency_ms.to_string()])
}

/// Start `igflight simulate` on a free port with the flags `more`; returns the process and its base URL.
fn simulate_with(more: &[&str]) -> (Child, String) {
    let mut child = Child(
        Command::new(BIN)
            .args(["simulate", "--listen", "127.0.0.1:0"])
            .args(more)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().unwrap().unwrap();
    let url = line
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(url.starts_with("http://"), "{line}");
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[tokio::test]
async fn ctrl_c_removes_the_partial_file_graph_flags_and_token() {
    let account = first_account().await;
    let (_sim, url) = simulate(150);
    let dir = tempfile::tempdir().unwrap();
    // the call ledger of this command, outside the folder that must end empty
    let data = tempfile::tempdir().unwrap();
    let path = dir.path().join("media.arrow");
    let ticket = json!({"report": "user_media", "account": account, "page_size": 5});
    let mut child = Child(
        Command::new(BIN)
            .args([
                "export",
                "--graph-url",
                &url,
                "--ticket",
                &ticket.to_string(),
                "--output",
                path.to_str().unwrap(),
            ])
            .env("IGFLIGHT_ACCESS_TOKEN", "demo-token")
            .env("IGFLIGHT_DATA_DIR", data.path())
            .env_remove("IGFLIGHT_STATE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // wait for the temporary file and a few pages
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(30), "no partial file");
        let f = files(dir.path());
        if f.iter().any(|n| n.starts_with(".media.arrow.partial-")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // and until it has fetched a few pages (the simulator counts the calls it answered)
    let stats = format!("{url}/__stats");
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no pages fetched"
        );
        let calls = match reqwest::get(&stats).await {
            Ok(r) => r
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v["total"].as_u64()),
            Err(_) => None,
        };
        if calls.unwrap_or(0) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.trim_end().ends_with("error: interrupted"), "{err}");
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[tokio::test]
async fn sql_prints_a_table_and_writes_files() {
    let account = first_account().await;
    let want = reference(&json!({"report": "user_media", "account": account})).await;
    let mut by_type = std::collections::BTreeMap::<String, i64>::new();
    for t in strings(&want, "media_type") {
        *by_type.entry(t.unwrap_or_default()).or_default() += 1;
    }
    let q = format!(
        "SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = '{account}' GROUP BY 1 ORDER BY 1"
    );

    // a table when asked (a terminal's default)
    let out = igflight(&["sql", "--demo", &q, "--format", "table"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("| media_type"), "{text}");
    for (t, n) in &by_type {
        assert!(
            text.contains(t) && text.contains(&format!(" {n} ")),
            "{t} {n}: {text}"
        );
    }
    // TSV when stdout is not a terminal (the default here: a pipe)
    let out = igflight(&["sql", "--demo", &q]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut want_tsv = String::from("media_type\tn\n");
    for (t, n) in &by_type {
        want_tsv.push_str(&format!("{t}\t{n}\n"));
    }
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want_tsv);

    // csv and json to stdout
    let out = igflight(&["sql", "--demo", &q, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut want_csv = String::from("media_type,n\n");
    for (t, n) in &by_type {
        want_csv.push_str(&format!("{t},{n}\n"));
    }
    assert_eq!(text, want_csv);
    let out = igflight(&["sql", "--demo", &q, "--format", "json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), by_type.len());
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first.get("n").is_some(), "{first}");

    // parquet and arrow to files, with --account instead of the WHERE clause
    let dir = tempfile::tempdir().unwrap();
    let q2 = "SELECT media_type, count(*) AS n FROM user_media GROUP BY 1 ORDER BY 1";
    for (format, ext) in [("parquet", "parquet"), ("arrow", "arrow")] {
        let path = dir.path().join(format!("types.{ext}"));
        let out = igflight(&[
            "sql",
            "--demo",
            "--account",
            &account,
            q2,
            "--format",
            format,
            "--output",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let got = if format == "parquet" {
            read_parquet(&path)
        } else {
            read_arrow(&path)
        };
        let types: Vec<String> = strings(&got, "media_type")
            .into_iter()
            .map(|t| t.unwrap_or_default())
            .collect();
        assert_eq!(types, by_type.keys().cloned().collect::<Vec<_>>());
        assert_eq!(
            ints(&got, "n"),
            by_type.values().map(|n| Some(*n)).collect::<Vec<_>>()
        );
    }
    assert_eq!(files(dir.path()), ["types.arrow", "types.parquet"]);
}

/// `igflight sql` with stdin piped in.
fn igflight_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let config = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env("IGFLIGHT_CONFIG_DIR", config.path())
        .env("IGFLIGHT_DATA_DIR", config.path().join("data"))
        .env_remove("IGFLIGHT_STATE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn sql_reads_statements_from_stdin_and_files_and_prints_tsv() {
    // several statements from stdin: a view, then two results, each with its header; nulls, tabs,
    // newlines and backslashes in values come out one row per line
    let script = "CREATE VIEW v AS SELECT page_name FROM pages;\n\
                  SELECT count(*) AS n FROM v;\n\
                  SELECT 1 AS a, CAST(NULL AS VARCHAR) AS b, concat('x', chr(9), 'y', chr(10), 'z\\') AS c;";
    let out = igflight_stdin(&["sql", "--demo", "-"], script);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let pages = text.lines().nth(1).unwrap().parse::<u64>().unwrap();
    assert!(pages > 0, "{text}");
    assert_eq!(
        text,
        format!("n\n{pages}\n\na\tb\tc\n1\tNULL\tx\\ty\\nz\\\\\n")
    );
    // @FILE, and the plural of one row on the closing line of --output
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.sql");
    std::fs::write(&file, "CREATE VIEW v AS SELECT 7 AS seven; SELECT * FROM v").unwrap();
    let csv = dir.path().join("out.csv");
    let out = igflight(&[
        "sql",
        "--demo",
        &format!("@{}", file.display()),
        "--output",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "seven\n7\n");
    assert!(
        stderr(&out).starts_with("wrote 1 row to "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("(0 Graph calls"), "{}", stderr(&out));
}

#[test]
fn sql_input_errors_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.sql");
    let out_file = dir.path().join("x.csv");
    let missing_arg = format!("@{}", missing.display());
    // a query file past 16 MiB is refused before it is parsed (a comment, so only the size is wrong)
    let big = dir.path().join("big.sql");
    std::fs::write(&big, format!("-- {}", "x".repeat(16 << 20))).unwrap();
    let big_arg = format!("@{}", big.display());
    for (args, stdin, needle) in [
        (
            vec![missing_arg.as_str()],
            "",
            "could not read the query from",
        ),
        (vec!["-"], "  ;  ", "no SQL statement to run"),
        (vec![big_arg.as_str()], "", "is longer than 16 MiB"),
        (vec![";"], "", "no SQL statement to run"),
        (
            vec!["SELECT 1; SELECT 2", "--output", out_file.to_str().unwrap()],
            "",
            "--output writes the result of the last statement; statement 1 of 2 returns rows",
        ),
        (
            vec!["SELECT 1", "--output", "result.unknown"],
            "",
            "cannot tell the format from `result.unknown`",
        ),
    ] {
        let mut full = vec!["sql", "--demo"];
        full.extend(args.iter().copied());
        let out = igflight_stdin(&full, stdin);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    std::fs::remove_file(&big).unwrap();
    assert!(files(dir.path()).is_empty());
}

#[test]
fn serve_names_stored_connections_with_connection_only() {
    // `--account` is an Instagram account id (sql); on serve it is not a connection's other name
    let out = igflight(&["serve", "--account", "work"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unexpected argument '--account'"), "{err}");
}

#[test]
fn sql_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out_file: PathBuf = dir.path().join("x.parquet");
    for (args, code, needle) in [
        (vec!["SELEC 1"], 2, "SQL error"),
        (
            vec!["SELECT * FROM hashtag_recent_media"],
            2,
            "WHERE hashtag =",
        ),
        (vec!["SELECT * FROM user_media"], 2, "--account"),
        (vec!["SELECT 1", "--format", "parquet"], 2, "--output"),
        (
            vec!["SELECT 1", "--format", "table", "--output", "t.txt"],
            2,
            "--format csv",
        ),
        (
            vec![
                "SELECT * FROM user_media WHERE ig_user_id = '17841400000000000'",
                "--format",
                "parquet",
                "--output",
                out_file.to_str().unwrap(),
            ],
            1,
            "does not exist",
        ),
    ] {
        let mut full = vec!["sql", "--demo"];
        full.extend(args.iter().copied());
        let out = igflight(&full);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(files(dir.path()).is_empty());
    assert!(!Path::new("t.txt").exists());
}

#[test]
fn simulate_media_counts_outside_the_range_are_usage_errors() {
    for bad in ["0", "250001", "many"] {
        let out = igflight(&["simulate", "--listen", "127.0.0.1:0", "--media", bad]);
        assert_eq!(out.status.code(), Some(2), "--media {bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--media"), "--media {bad}: {err}");
    }
}

/// `simulate --now` sets the start of the data clock, which `POST /__sim/clock` moves forward; a time
/// that is not RFC 3339 is a usage error.
#[tokio::test]
async fn simulate_starts_its_clock_at_now_and_the_admin_endpoint_moves_it() {
    let (_sim, url) = simulate_with(&["--now", "2026-12-03T10:00:00Z"]);
    let http = reqwest::Client::new();
    let clock: Value = http
        .get(format!("{url}/__sim/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["start"], "2026-12-03T10:00:00Z");
    let media_count = |url: String| async move {
        let me: Value = reqwest::get(format!(
            "{url}/v15.0/me/accounts?fields=instagram_business_account%7Bmedia_count%7D&access_token=demo-token"
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        me["data"][0]["instagram_business_account"]["media_count"]
            .as_u64()
            .unwrap()
    };
    let before = media_count(url.clone()).await;
    let r = http
        .post(format!("{url}/__sim/clock"))
        .json(&json!({"now": "2026-12-05T10:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let moved: Value = r.json().await.unwrap();
    assert_eq!(moved["now"], "2026-12-05T10:00:00Z");
    assert!(media_count(url.clone()).await > before);

    let out = igflight(&["simulate", "--listen", "127.0.0.1:0", "--now", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--now") && err.contains("RFC 3339"), "{err}");
}

/// The cache and concurrency flags refuse what they cannot read: usage errors (exit 2) naming the flag
/// and what it accepts, before anything runs.
#[test]
fn cache_and_concurrency_flags_refuse_bad_values() {
    let t = r#"{"report":"user","account":"17841400000000000"}"#;
    let cases: [(&[&str], &str); 6] = [
        (&["--cache-ttl", "movies=1m"], "accepted: accounts"),
        (&["--cache-ttl", "media"], "CLASS=DURATION"),
        (&["--cache-ttl", "media=soon"], "not a duration"),
        (&["--cache-ttl", "media=90d"], "at most 30 days"),
        (&["--cache-size", "12parsecs"], "not a size"),
        (&["--graph-concurrency", "0"], "--graph-concurrency"),
    ];
    for (flags, says) in cases {
        let mut args = vec![
            "export",
            "--demo",
            "--ticket",
            t,
            "-o",
            "/dev/null",
            "--format",
            "csv",
        ];
        args.extend_from_slice(flags);
        let out = igflight(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(says), "{flags:?}: {err}");
    }
}

#[test]
fn redirected_logs_have_no_colour_codes_and_one_run_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pages.csv");
    // -v: debug lines too; stderr is a pipe here, as when a service manager or a file takes it
    let out = igflight(&[
        "-v",
        "export",
        "--demo",
        "--ticket",
        r#"{"report":"pages"}"#,
        "-o",
        path.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("DEBUG"), "{err}");
    assert!(!err.contains("\x1b["), "{err}");
    let runs: Vec<&str> = err.lines().filter(|l| l.contains("report done")).collect();
    assert_eq!(runs.len(), 1, "{err}");
    for field in [
        "report=\"pages\"",
        "connection=default",
        "outcome=\"ok\"",
        "rows=3",
        "graph_calls=1",
        "cache_hits=0",
        "elapsed_ms=",
    ] {
        assert!(runs[0].contains(field), "{field} in {}", runs[0]);
    }
}
