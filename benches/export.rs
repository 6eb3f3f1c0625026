//! Benchmark: a bulk export of at least a million rows (issue 12 §4). `igflight simulate` runs as its own
//! process (latency 0, one account of `--media N` posts, no rate limit) and `igflight export` as another,
//! exporting that account's `media_insights` (every media, today's metrics: about 5.7 rows per post) to
//! Parquet with a raised call budget. Printed: rows, seconds, rows/s and the exporter's peak RSS (the
//! kernel's high-water mark, `VmHWM` of `/proc/PID/status`, polled while it runs: Linux only); then the
//! baseline — the same rows, read back from the file in batches of the exporter's mean batch size,
//! written straight to Parquet in-process with the same writer (`BatchWriter`: same settings) — and the
//! ratio of the two rates. The goal: peak RSS under 150 MB whatever the row count.
//!
//! Run: `cargo bench --bench export` (release; default 200000 media, about 1.1 million rows). Options:
//! `-- --media N` (1 to 250000), `--api-as-of YYYY-MM-DD` (default: today's API). `cargo test --bench
//! export` runs it in debug on 2000 media.

#[allow(dead_code)]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::arg;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use igflight::output::{BatchWriter, Format};

const BIN: &str = env!("CARGO_BIN_EXE_igflight");
const TOKEN: &str = "demo-token";

fn main() {
    if !Path::new("/proc/self/status").exists() {
        println!(
            "export bench: needs Linux (/proc/PID/status) to measure the exporter's memory; skipped"
        );
        return;
    }
    let default_media = if cfg!(debug_assertions) {
        2_000
    } else {
        200_000
    };
    let media: u32 = arg("--media")
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_media);
    let dir = tempdir();
    let port = free_port();
    let sim = start_simulator(port, media);
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "\nexport: media_insights of one account of {media} posts, simulator at {base} (its own process, latency 0)"
    );

    // the exporter
    let out = dir.join("media_insights.parquet");
    let ticket = r#"{"report": "media_insights", "page": "Northside Roasters"}"#;
    let started = Instant::now();
    let mut exporter = Command::new(BIN)
        .args(["export", "--quiet", "--ticket", ticket, "--output"])
        .arg(&out)
        .args(["--graph-url", &base])
        .args(["--calls-per-hour", "10000000"])
        .args(["--max-calls-per-request", "1000000"])
        .env("IGFLIGHT_ACCESS_TOKEN", TOKEN)
        .env("IGFLIGHT_DATA_DIR", dir.join("data"))
        .env("IGFLIGHT_CONFIG_DIR", dir.join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start igflight export");
    let pid = exporter.id();
    // drained while it runs: a full pipe would block the exporter
    let stdout = drain(exporter.stdout.take());
    let stderr = drain(exporter.stderr.take());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(kb) = status_kb(pid, "VmHWM:") {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(s) = exporter.try_wait().expect("wait for the exporter") {
            break s;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let secs = started.elapsed().as_secs_f64();
    let out_text = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    stop(sim);
    assert!(status.success(), "the export failed: {out_text}{err}");
    // export's last line (on stderr): `exported N rows of … (C Graph calls…)`
    let line = err
        .lines()
        .rfind(|l| l.starts_with("exported "))
        .unwrap_or_default()
        .to_string();
    let calls = calls_of(&line);

    let file = std::fs::File::open(&out).expect("the exported file");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("a Parquet file");
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let rate = rows as f64 / secs;
    println!("  {}", line.trim());
    println!(
        "  exporter: {rows} rows in {secs:.2} s = {rate:.0} rows/s; peak RSS {:.1} MB (goal < 150 MB){}",
        peak_kb as f64 / 1024.0,
        if rows < 1_000_000 {
            " [fewer than 1 million rows: raise --media]"
        } else {
            ""
        }
    );

    // the baseline: the same rows in batches of the exporter's mean size (one batch per insights call:
    // the calls less the listing pages, the page lookup and the version call), straight to Parquet
    let listing = u64::from(media).div_ceil(100) + 2;
    let batch_rows = rows
        .div_ceil(calls.saturating_sub(listing).max(1))
        .clamp(1, 65_536);
    let reader = builder
        .with_batch_size(usize::try_from(batch_rows).unwrap_or(1024))
        .build()
        .expect("read the exported file");
    let batches: Vec<_> = reader
        .collect::<Result<_, _>>()
        .expect("read the exported file");
    let schema = batches
        .first()
        .map(|b| b.schema())
        .expect("the export has rows");
    let again = dir.join("baseline.parquet");
    let t = Instant::now();
    let mut w = BatchWriter::open(Format::Parquet, schema, &again).expect("open the baseline file");
    for b in &batches {
        w.write(b).expect("write a batch");
    }
    let written = w.finish().expect("finish the baseline file");
    let base_secs = t.elapsed().as_secs_f64();
    let base_rate = written as f64 / base_secs;
    println!(
        "  baseline: {written} rows in {} batches of {batch_rows} written straight to Parquet in {base_secs:.2} s = {base_rate:.0} rows/s",
        batches.len()
    );
    println!(
        "  ratio: exporter / baseline = {:.3} ({:.1}x slower than writing the batches alone)",
        rate / base_rate,
        base_rate / rate
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `igflight simulate` on `port` with `media` posts per account, ready to answer.
fn start_simulator(port: u16, media: u32) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.args(["simulate", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--media", &media.to_string(), "--latency-ms", "0"])
        .args(["--token", TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(d) = arg("--api-as-of") {
        cmd.args(["--api-as-of", &d]);
    }
    let mut child = cmd.spawn().expect("start igflight simulate");
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        if let Ok(Some(s)) = child.try_wait() {
            panic!("igflight simulate exited: {s}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(child);
    panic!("igflight simulate did not listen within 300 s");
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A `kB` line of `/proc/PID/status` (`VmHWM:`, `VmRSS:`), while the process lives.
fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The Graph calls of export's last line: `exported N rows of … (C Graph calls…)`.
fn calls_of(line: &str) -> u64 {
    line.split('(')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A thread reading `r` to the end, answering its text.
fn drain(r: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(r) = r {
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("igflight-export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("a temporary directory");
    d
}
