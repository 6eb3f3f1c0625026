//! `igflight export`: one report, streamed page by page into a file.
//!
//! The ticket is decoded and validated before anything else (a refusal makes no Graph call and creates
//! no file); each batch is written as its Graph page arrives (never collected); the file appears under
//! its name only when the whole report was written (see [`BatchWriter`]).

use std::path::Path;

use futures::StreamExt;

use super::progress::{Counts, Progress};
use super::{CliError, Source, report_failure};
use crate::cli::ExportArgs;
use crate::output::{BatchWriter, Format};
use crate::plan::report_stream;

/// The format named by a file's extension.
pub fn format_from_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "parquet" | "pq" => Format::Parquet,
        "arrow" | "feather" | "ipc" | "arrows" => Format::Arrow,
        "csv" => Format::Csv,
        "tsv" | "tab" => Format::Tsv,
        "json" | "jsonl" | "ndjson" => Format::Json,
        _ => return None,
    })
}

/// The ticket text: the flag's value, or the file named by `@FILE`.
fn ticket_text(arg: &str) -> Result<String, CliError> {
    match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read the ticket file {path}: {e}"))),
        None => Ok(arg.to_string()),
    }
}

/// Run `igflight export`. Returns the line to print at the end.
pub async fn run(args: ExportArgs) -> Result<String, CliError> {
    let format = match args.format {
        Some(f) => f,
        None => format_from_extension(&args.output).ok_or_else(|| {
            CliError::usage(format!(
                "cannot tell the format from `{}`: add --format; accepted: parquet, arrow, csv, tsv, json",
                args.output.display()
            ))
        })?,
    };
    let text = ticket_text(&args.ticket)?;
    let today = chrono::Utc::now().date_naive();
    // checked before any connection is made, against the configured version's catalog or the newest
    // (the version that answers is not known yet); checked again once it is
    let version =
        crate::reports::catalog::GraphVersion::parse(&args.source.api.graph.graph_version)
            .unwrap_or_default();
    let decode = |v| crate::ticket::decode(text.as_bytes(), today, v);
    let req = decode(version)
        .or_else(|e| decode(crate::reports::catalog::Era::NEWEST.since()).map_err(|_| e))
        .map_err(|e| CliError::usage(format!("ticket refused: {e}")))?;
    let report = req.report;

    // the ticket's `connection` names the stored connection to use, like --connection
    let mut source_args = args.source.clone();
    if let Some(named) = &req.connection {
        match &source_args.connection {
            Some(flag) if flag != named => {
                return Err(CliError::usage(format!(
                    "the ticket names connection `{named}` but --connection says `{flag}`: keep one"
                )));
            }
            _ if source_args.api.demo => {
                return Err(CliError::usage(format!(
                    "the ticket names connection `{named}`: with --demo there are no stored connections; drop `connection` or --demo"
                )));
            }
            _ => source_args.connection = Some(named.clone()),
        }
    }
    let source = Source::connect(&source_args).await?;
    let req = match source.ctx.final_request(req).await {
        Ok(req) => req,
        Err(crate::error::ReportError::Ticket(e)) => {
            source.shutdown().await;
            return Err(CliError::usage(format!("ticket refused: {e}")));
        }
        Err(e) => {
            source.shutdown().await;
            return Err(report_failure(&e));
        }
    };
    let result = export(&source, req, format, &args.output, !args.quiet).await;
    source.shutdown().await;
    let (rows, calls, skipped, dropped) = result?;
    let mut line = format!(
        "exported {} of {} to {} ({}",
        super::count(rows, "row"),
        report.name(),
        args.output.display(),
        super::count(calls, "Graph call")
    );
    if !skipped.is_empty() {
        let list: Vec<String> = skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
        line.push_str(&format!("; skipped {}", list.join(", ")));
    }
    if !dropped.is_empty() {
        let list: Vec<String> = dropped.iter().map(dropped_text).collect();
        line.push_str(&format!("; left out {}", list.join(", ")));
    }
    line.push(')');
    Ok(line)
}

type Done = (
    u64,
    u64,
    std::collections::BTreeMap<String, u64>,
    Vec<crate::plan::DroppedMetric>,
);

/// `impressions (image; use views: removed in v22.0)`.
pub(crate) fn dropped_text(d: &crate::plan::DroppedMetric) -> String {
    match &d.replacement {
        Some(r) => format!("{} ({}; use {r}: {})", d.metric, d.scope, d.reason),
        None => format!("{} ({}: {})", d.metric, d.scope, d.reason),
    }
}

async fn export(
    source: &Source,
    req: crate::ticket::ReportRequest,
    format: Format,
    output: &Path,
    progress: bool,
) -> Result<Done, CliError> {
    let label = req.report.name();
    let stream = report_stream(source.ctx.clone(), req);
    let summary = stream.summary.clone();
    let mut writer = BatchWriter::open(format, stream.schema.clone(), output)?;
    let mut progress = Progress::new(label, progress);
    let counts = |w: &BatchWriter, batches: u64, left: Option<u32>| Counts {
        rows: w.rows(),
        batches,
        graph_calls: summary.graph_calls(),
        budget: left.map(|left| (left, source.calls_per_hour)),
    };
    let mut batches = stream.batches;
    let mut n = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let next = tokio::select! {
            _ = &mut ctrl_c => {
                progress.abandon();
                drop(batches);
                drop(writer); // removes the temporary file
                return Err(CliError::interrupted());
            }
            next = batches.next() => next,
        };
        match next {
            None => break,
            Some(Ok(batch)) => {
                if let Err(e) = writer.write(&batch) {
                    progress.abandon();
                    return Err(e.into());
                }
                n += 1;
                let left = if progress.due() {
                    source.budget_left().await
                } else {
                    None
                };
                progress.update(&counts(&writer, n, left));
            }
            Some(Err(e)) => {
                progress.abandon();
                drop(writer);
                return Err(report_failure(&e));
            }
        }
    }
    let left = if progress.enabled() {
        source.budget_left().await
    } else {
        None
    };
    progress.finish(&counts(&writer, n, left));
    let rows = writer.finish()?;
    Ok((
        rows,
        summary.graph_calls(),
        summary.skipped(),
        summary.dropped_metrics(),
    ))
}
