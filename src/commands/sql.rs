//! `igflight sql`: a query over the report tables ([`crate::sql::session`]) and, with `--sync-file`,
//! the synced datasets (`synced.<name>`, [`crate::sync::table`]), printed as a table or streamed as
//! CSV / JSON lines (stdout or a file) or Parquet / Arrow IPC (a file).

use std::io::{BufWriter, IsTerminal, Write};
use std::time::Instant;

use datafusion::error::DataFusionError;
use futures::StreamExt;

use super::{CliError, EXIT_FAILED, EXIT_USAGE, Source, report_exit_code, report_message};
use crate::cli::SqlArgs;
use crate::output::{BatchWriter, Format, FormatWriter, OutputError};
use crate::sql::{SqlEngine, SqlFailure, sql_for_log};

/// A DataFusion error as a command failure, classified as Flight classifies it
/// ([`crate::sql::classify`]): the report error inside it when there is one (its message, as Flight
/// would send it), otherwise DataFusion's message; SQL, planning and value errors (Flight's
/// `INVALID_ARGUMENT`) are usage errors.
pub fn sql_failure(e: &DataFusionError) -> CliError {
    match crate::sql::classify(e) {
        SqlFailure::Report(r) => {
            let mut message = report_message(r);
            if matches!(r, crate::error::ReportError::AmbiguousAccount { .. }) {
                message.push_str(" (in SQL: --account ID, or WHERE ig_user_id = '…')");
            }
            CliError::new(report_exit_code(r), message)
        }
        SqlFailure::Exhausted(m) => CliError::new(EXIT_FAILED, m),
        SqlFailure::Invalid => CliError::new(EXIT_USAGE, e),
        SqlFailure::Internal => CliError::new(EXIT_FAILED, e),
    }
}

/// Where the rows go.
enum Sink {
    Table(Vec<arrow::record_batch::RecordBatch>),
    Stdout(FormatWriter<BufWriter<std::io::Stdout>>),
    File(BatchWriter),
}

/// Whether writing failed because the reader went away (`igflight sql … | head`): by the I/O error's
/// kind ([`OutputError::is_broken_pipe`]), not its text.
fn broken_pipe(e: &OutputError) -> bool {
    e.is_broken_pipe()
}

/// Run `igflight sql` within the limits of its flags (`--sql-memory`, `--sql-timeout`): the result goes
/// to stdout or the file. Returns a summary line for stderr (only shown on a terminal) or nothing.
pub async fn run(args: SqlArgs) -> Result<Option<String>, CliError> {
    let limits = args.limits.limits();
    match (args.format, &args.output) {
        (f, None) if f.is_binary() => {
            return Err(CliError::usage(format!(
                "--format {} needs --output FILE (binary formats are not written to the terminal)",
                f.name()
            )));
        }
        (Format::Table, Some(_)) => {
            return Err(CliError::usage(
                "--format table prints to the terminal; to write a file use --format csv, json, parquet or arrow",
            ));
        }
        _ => {}
    }
    let mut engine = SqlEngine::new(limits);
    if let Some(path) = &args.sync_file {
        let datasets = super::sync::load(path, &args.source.api.graph.graph_version)?;
        engine = engine.with_synced(datasets);
    }
    let source = Source::connect(&args.source).await?;
    let result = query(&source, &args, &engine).await;
    source.shutdown().await;
    result
}

/// Run the query of `args` on `engine` (planning and execution within its time limit).
pub async fn query(
    source: &Source,
    args: &SqlArgs,
    engine: &SqlEngine,
) -> Result<Option<String>, CliError> {
    let started = Instant::now();
    let calls_before = source.graph_calls();
    tracing::debug!(sql = %sql_for_log(&args.query), "SQL query");
    let ctx = engine.session(source.ctx.clone(), args.account.clone());
    let deadline = engine.deadline();
    let stream = engine
        .before(deadline, async {
            let df = ctx.sql(&args.query).await?;
            df.execute_stream().await
        })
        .await
        .map_err(|e| sql_failure(&e))?;
    let mut stream = engine.with_deadline(stream, deadline);
    let schema = stream.schema();
    let mut sink = match (&args.output, args.format) {
        (_, Format::Table) => Sink::Table(Vec::new()),
        (Some(path), f) => Sink::File(BatchWriter::open(f, schema.clone(), path)?),
        (None, f) => Sink::Stdout(FormatWriter::new(
            f,
            schema.clone(),
            BufWriter::new(std::io::stdout()),
        )?),
    };
    let mut rows = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let next = tokio::select! {
            _ = &mut ctrl_c => return Err(CliError::interrupted()),
            next = stream.next() => next,
        };
        let batch = match next {
            None => break,
            Some(Ok(b)) => b,
            Some(Err(e)) => return Err(sql_failure(&e)),
        };
        rows += batch.num_rows() as u64;
        let written = match &mut sink {
            Sink::Table(v) => {
                v.push(batch);
                Ok(())
            }
            Sink::Stdout(w) => w.write(&batch),
            Sink::File(w) => w.write(&batch),
        };
        match written {
            Ok(()) => {}
            Err(e) if broken_pipe(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    drop(stream);
    let finished = match sink {
        Sink::Table(batches) => {
            let table = arrow::util::pretty::pretty_format_batches_with_schema(schema, &batches)
                .map_err(CliError::failed)?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{table}");
            let _ = out.flush();
            Ok(())
        }
        Sink::Stdout(w) => w.finish().map(drop),
        Sink::File(w) => w.finish().map(drop),
    };
    match finished {
        Ok(()) => {}
        Err(e) if broken_pipe(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let calls = source.graph_calls().saturating_sub(calls_before);
    let line = match &args.output {
        Some(path) => Some(format!(
            "wrote {rows} rows to {} ({calls} Graph calls, {:.1} s)",
            path.display(),
            started.elapsed().as_secs_f64()
        )),
        None if std::io::stderr().is_terminal() => Some(format!(
            "{rows} rows ({calls} Graph calls, {:.1} s)",
            started.elapsed().as_secs_f64()
        )),
        None => None,
    };
    Ok(line)
}
