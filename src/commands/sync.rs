//! `igflight sync run|status`: the flags and the printing around [`crate::sync`].

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::progress::{Counts, Progress};
use super::{CliError, EXIT_FAILED, Source};
use crate::cli::{SyncArgs, SyncCommand, SyncRunArgs, SyncStatusArgs};
use crate::sync::store::{read_state, rows_held};
use crate::sync::{DatasetSpec, SyncError, run_dataset};

/// Run `igflight sync`.
pub async fn run(args: SyncArgs) -> Result<(), CliError> {
    match args.command {
        SyncCommand::Run(a) => run_due(*a).await,
        SyncCommand::Status(a) => status(&a),
    }
}

/// The datasets of a sync file, each ticket checked as a Flight ticket is
/// ([`crate::sync::file::load_checked`]); a wrong file exits 2.
pub fn load(path: &Path, graph_version: &str) -> Result<Vec<DatasetSpec>, CliError> {
    crate::sync::file::load_checked(path, graph_version).map_err(sync_failure)
}

/// A sync error as a command failure: a wrong sync file or ticket exits 2, the rest 1.
pub fn sync_failure(e: SyncError) -> CliError {
    if e.is_usage() {
        CliError::usage(e)
    } else {
        CliError::failed(e)
    }
}

fn pick<'a>(specs: &'a [DatasetSpec], names: &[String]) -> Result<Vec<&'a DatasetSpec>, CliError> {
    if names.is_empty() {
        return Ok(specs.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            specs.iter().find(|s| &s.name == n).ok_or_else(|| {
                let all: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
                CliError::usage(format!(
                    "no dataset named `{n}` in the sync file; it has: {}",
                    all.join(", ")
                ))
            })
        })
        .collect()
}

async fn run_due(args: SyncRunArgs) -> Result<(), CliError> {
    let specs = load(&args.sync_file, &args.source.api.graph.graph_version)?;
    let chosen = pick(&specs, &args.dataset)?;
    let source = Source::connect(&args.source).await?;
    let mut failed = 0usize;
    let mut force = args.force;
    // --watch runs as a service: Ctrl-C or SIGTERM stops it cleanly, also during a run (the run is
    // dropped: its staged files are never committed, and the next run does it again). A single run
    // keeps the default signal handling.
    let stop: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> = if args.watch {
        Box::pin(super::stop_signal())
    } else {
        Box::pin(std::future::pending())
    };
    let mut stop = stop;
    'watch: loop {
        for spec in &chosen {
            let last = read_state(&spec.name, &spec.path)
                .ok()
                .and_then(|s| s.last_run)
                .and_then(|r| r.started);
            let now = Utc::now();
            if !force && !spec.schedule.is_due(last, now) {
                if !args.watch {
                    let next = spec
                        .schedule
                        .next_due(last)
                        .map(fmt_time)
                        .unwrap_or_default();
                    eprintln!("{}: not due until {next} (--force runs it now)", spec.name);
                }
                continue;
            }
            let ok = tokio::select! {
                ok = run_one(&source, spec, now, !args.quiet) => ok,
                _ = &mut stop => {
                    eprintln!("sync: stopped during {}; its next run does it again", spec.name);
                    break 'watch;
                }
            };
            if !ok {
                failed += 1;
            }
        }
        force = false;
        if !args.watch {
            break;
        }
        // sleep until the earliest next run (checked at least every minute), or stop
        let wait = chosen
            .iter()
            .filter_map(|s| {
                let last = read_state(&s.name, &s.path).ok()?.last_run?.started;
                s.schedule.next_due(last)
            })
            .min()
            .map_or(Duration::from_secs(60), |t| {
                (t - Utc::now()).to_std().unwrap_or_default()
            })
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut stop => {
                eprintln!("sync: stopped");
                break;
            }
        }
    }
    source.shutdown().await;
    if failed > 0 && !args.watch {
        return Err(CliError::new(
            EXIT_FAILED,
            format!("{failed} dataset(s) did not sync (see above)"),
        ));
    }
    Ok(())
}

/// Run one dataset and print its closing line; false when it failed.
async fn run_one(source: &Source, spec: &DatasetSpec, now: DateTime<Utc>, progress: bool) -> bool {
    let started = Instant::now();
    let mut bar = Progress::new(format!("sync {}", spec.name), progress);
    let mut tick = |rows, batches, graph_calls| {
        bar.update(&Counts {
            rows,
            batches,
            graph_calls,
            budget: None,
        })
    };
    let result = run_dataset(source.ctx.clone(), spec, now, &mut tick).await;
    bar.abandon();
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(o) => {
            let mut line = format!(
                "synced {}: {}, {} written",
                o.name,
                super::count(o.rows, "row"),
                super::count(o.partitions, "partition")
            );
            if o.removed > 0 {
                line.push_str(&format!(", {} removed", o.removed));
            }
            line.push_str(&format!(", {}", super::count(o.calls, "Graph call")));
            if let Some(from) = o.from {
                line.push_str(&format!(", from {from}"));
            }
            if !o.skipped.is_empty() {
                let list: Vec<String> = o.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
                line.push_str(&format!("; skipped {}", list.join(", ")));
            }
            line.push_str(&format!(" ({secs:.1} s)"));
            eprintln!("{line}");
            true
        }
        Err(SyncError::Busy { .. }) => {
            // another run holds it: it is being kept, nothing to do here
            eprintln!("{}: being synced by another process; skipped", spec.name);
            true
        }
        Err(e) => {
            let message = match &e {
                SyncError::Report { source, .. } => format!(
                    "dataset `{}`: {}; the partitions it finished are committed and the next run resumes",
                    spec.name,
                    super::report_message(source)
                ),
                _ => e.to_string(),
            };
            eprintln!("error: {message}");
            false
        }
    }
}

/// `writeln!` to the status output; a closed pipe (`| head`) ends the listing quietly.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {
        if writeln!($out, $($arg)*).is_err() {
            return Ok(());
        }
    };
}

fn status(args: &SyncStatusArgs) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // the tickets are not decoded again here beyond the file's own checks
    let specs = load(&args.sync_file, "v15.0")?;
    let now = Utc::now();
    for spec in &specs {
        let state = read_state(&spec.name, &spec.path).map_err(sync_failure)?;
        let (rows, files) = rows_held(&spec.path);
        say!(
            out,
            "{}  {} ({}, {})  {}",
            spec.name,
            spec.report.name(),
            spec.method.name(),
            spec.schedule,
            spec.path.display()
        );
        match &state.last_run {
            None => say!(out, "  last run: never"),
            Some(r) => {
                let took = match (r.started, r.finished) {
                    (Some(a), Some(b)) => {
                        format!(", {:.1} s", (b - a).num_milliseconds() as f64 / 1000.0)
                    }
                    _ => String::new(),
                };
                let how = if r.complete {
                    "ok".to_string()
                } else {
                    format!(
                        "stopped early: {}; the next run resumes from {}",
                        r.error.as_deref().unwrap_or("unknown error"),
                        state
                            .resume_from
                            .map_or("the start".to_string(), |d| d.to_string())
                    )
                };
                say!(
                    out,
                    "  last run: {} — {}, {}, {}{took}; {how}",
                    r.started.map(fmt_time).unwrap_or_default(),
                    super::count(r.rows, "row"),
                    super::count(r.partitions, "partition"),
                    super::count(r.calls, "Graph call")
                );
            }
        }
        let last = state.last_run.as_ref().and_then(|r| r.started);
        let next = match spec.schedule.next_due(last) {
            None => "now (never ran)".to_string(),
            Some(t) if t <= now => format!("due now (since {})", fmt_time(t)),
            Some(t) => fmt_time(t),
        };
        say!(out, "  next run: {next}");
        say!(
            out,
            "  held: {} in {}",
            super::count(rows, "row"),
            super::count(files, "file")
        );
    }
    Ok(())
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}
