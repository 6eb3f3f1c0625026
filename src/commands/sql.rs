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

/// Whether writing failed because the reader went away (`igflight sql … | head`): by the I/O error's
/// kind ([`OutputError::is_broken_pipe`]), not its text.
fn broken_pipe(e: &OutputError) -> bool {
    e.is_broken_pipe()
}

/// The longest query text read from stdin or a file (`-`, `@FILE`).
const MAX_QUERY_BYTES: u64 = 16 << 20;

/// The query text: the argument, or stdin for `-`, or the file `@FILE` names.
fn query_text(arg: &str) -> Result<String, CliError> {
    use std::io::Read;
    let (what, reader): (String, Box<dyn Read>) = if arg == "-" {
        ("stdin".to_string(), Box::new(std::io::stdin()))
    } else if let Some(path) = arg.strip_prefix('@') {
        let file = std::fs::File::open(path)
            .map_err(|e| CliError::usage(format!("could not read the query from {path}: {e}")))?;
        (path.to_string(), Box::new(file))
    } else {
        return Ok(arg.to_string());
    };
    let mut text = String::new();
    reader
        .take(MAX_QUERY_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::usage(format!("could not read the query from {what}: {e}")))?;
    if text.len() as u64 > MAX_QUERY_BYTES {
        return Err(CliError::usage(format!(
            "the query in {what} is longer than {} MiB",
            MAX_QUERY_BYTES >> 20
        )));
    }
    Ok(text)
}

/// The statements of `sql`, parsed as the session parses one (its dialect and recursion limit).
fn statements(
    state: &datafusion::execution::SessionState,
    sql: &str,
) -> Result<Vec<datafusion::sql::parser::Statement>, DataFusionError> {
    let options = state.config().options();
    let dialect = datafusion::sql::sqlparser::dialect::dialect_from_str(options.sql_parser.dialect)
        .ok_or_else(|| {
            DataFusionError::Plan(format!(
                "unsupported SQL dialect {}",
                options.sql_parser.dialect
            ))
        })?;
    let parsed = datafusion::sql::parser::DFParserBuilder::new(sql)
        .with_dialect(dialect.as_ref())
        .with_recursion_limit(options.sql_parser.recursion_limit.get())
        .build()?
        .parse_statements()?;
    Ok(parsed.into_iter().collect())
}

/// The format of the result: `--format`, else the extension of `--output`, else a table on a
/// terminal and TSV when stdout is not one (a pipe, a file).
fn output_format(args: &SqlArgs) -> Result<Format, CliError> {
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, Some(path)) => super::export::format_from_extension(path).ok_or_else(|| {
            CliError::usage(format!(
                "cannot tell the format from `{}`: add --format; accepted: csv, tsv, json, parquet, arrow",
                path.display()
            ))
        })?,
        (None, None) if std::io::stdout().is_terminal() => Format::Table,
        (None, None) => Format::Tsv,
    };
    match (format, &args.output) {
        (f, None) if f.is_binary() => Err(CliError::usage(format!(
            "--format {} needs --output FILE (binary formats are not written to the terminal)",
            f.name()
        ))),
        (Format::Table, Some(_)) => Err(CliError::usage(
            "--format table prints to the terminal; to write a file use --format csv, tsv, json, parquet or arrow",
        )),
        (f, _) => Ok(f),
    }
}

/// Run `igflight sql` within the limits of its flags (`--sql-memory`, `--sql-timeout`): the results go
/// to stdout or the file. Returns a summary line for stderr (only shown on a terminal) or nothing.
pub async fn run(args: SqlArgs) -> Result<Option<String>, CliError> {
    let limits = args.limits.limits();
    let format = output_format(&args)?;
    let text = query_text(&args.query)?;
    let mut engine = SqlEngine::new(limits);
    if let Some(path) = &args.sync_file {
        let datasets = super::sync::load(path, &args.source.api.graph.graph_version)?;
        engine = engine.with_synced(datasets);
    }
    let source = Source::connect(&args.source).await?;
    let result = query(&source, &args, format, &text, &engine).await;
    source.shutdown().await;
    result
}

/// What became of one statement's result.
enum Written {
    /// Its rows, all written.
    Rows(u64),
    /// The reader went away (`| head`): stop quietly.
    Closed,
}

/// Run the statements of `sql` (`args.query` read) on `engine`, in order, each planned and executed
/// within the engine's time limit, and write each result in `format` where `args` says.
pub async fn query(
    source: &Source,
    args: &SqlArgs,
    format: Format,
    sql: &str,
    engine: &SqlEngine,
) -> Result<Option<String>, CliError> {
    let started = Instant::now();
    let calls_before = source.graph_calls();
    tracing::debug!(sql = %sql_for_log(sql), "SQL query");
    let ctx = engine.session(source.ctx.clone(), args.account.clone());
    let deadline = engine.deadline();
    let statements = statements(&ctx.state(), sql).map_err(|e| sql_failure(&e))?;
    if statements.is_empty() {
        return Err(CliError::usage("no SQL statement to run"));
    }
    let count = statements.len();
    let mut rows = 0u64;
    let mut shown = 0usize;
    for (i, statement) in statements.into_iter().enumerate() {
        let last = i + 1 == count;
        let stream = engine
            .before(deadline, async {
                let plan = ctx.state().statement_to_plan(statement).await?;
                // DDL (CREATE VIEW …) and statements (SET …) return no rows
                let returns_rows = !matches!(
                    plan,
                    datafusion::logical_expr::LogicalPlan::Ddl(_)
                        | datafusion::logical_expr::LogicalPlan::Statement(_)
                );
                if args.output.is_some() && !last && returns_rows {
                    return Err(DataFusionError::Plan(format!(
                        "--output writes the result of the last statement; statement {} of {count} \
                         returns rows too (run it separately, or make it a CREATE VIEW)",
                        i + 1
                    )));
                }
                ctx.execute_logical_plan(plan).await?.execute_stream().await
            })
            .await
            .map_err(|e| sql_failure(&e))?;
        let stream = engine.with_deadline(stream, deadline);
        // statements without a result (CREATE VIEW, SET) print nothing
        let visible = !stream.schema().fields().is_empty();
        let target = match (&args.output, visible) {
            (Some(path), true) if last => Target::File(path),
            _ if visible => Target::Stdout {
                separate: shown > 0,
            },
            _ => Target::Nowhere,
        };
        shown += usize::from(visible);
        match write_result(stream, format, target).await? {
            Written::Rows(n) => rows += n,
            Written::Closed => return Ok(None),
        }
    }
    let calls = source.graph_calls().saturating_sub(calls_before);
    let line = match &args.output {
        Some(path) => Some(format!(
            "wrote {} to {} ({}, {:.1} s)",
            super::count(rows, "row"),
            path.display(),
            super::count(calls, "Graph call"),
            started.elapsed().as_secs_f64()
        )),
        None if std::io::stderr().is_terminal() => Some(format!(
            "{} ({}, {:.1} s)",
            super::count(rows, "row"),
            super::count(calls, "Graph call"),
            started.elapsed().as_secs_f64()
        )),
        None => None,
    };
    Ok(line)
}

/// Where one statement's result goes.
enum Target<'a> {
    /// stdout, after a blank line when a result was printed before.
    Stdout { separate: bool },
    /// The `--output` file.
    File(&'a std::path::Path),
    /// Nowhere: a statement without columns.
    Nowhere,
}

/// Where the rows of one result go while they stream.
enum Sink {
    /// A table is drawn once its widths are known: at the end.
    Table(Vec<arrow::record_batch::RecordBatch>),
    Stdout(FormatWriter<BufWriter<std::io::Stdout>>),
    File(BatchWriter),
    Nowhere,
}

/// Stream one result into `target` in `format`, stopping with exit 130 on Ctrl-C (no file is left:
/// [`BatchWriter`] renames only when finished).
async fn write_result(
    mut stream: datafusion::physical_plan::SendableRecordBatchStream,
    format: Format,
    target: Target<'_>,
) -> Result<Written, CliError> {
    let schema = stream.schema();
    if let Target::Stdout { separate: true } = target {
        let mut out = std::io::stdout().lock();
        if writeln!(out).and_then(|()| out.flush()).is_err() {
            return Ok(Written::Closed);
        }
    }
    let mut sink = match (target, format) {
        (Target::Nowhere, _) => Sink::Nowhere,
        (Target::File(path), f) => Sink::File(BatchWriter::open(f, schema.clone(), path)?),
        (Target::Stdout { .. }, Format::Table) => Sink::Table(Vec::new()),
        (Target::Stdout { .. }, f) => Sink::Stdout(FormatWriter::new(
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
            Sink::Nowhere => Ok(()),
        };
        match written {
            Ok(()) => {}
            Err(e) if broken_pipe(&e) => return Ok(Written::Closed),
            Err(e) => return Err(e.into()),
        }
    }
    drop(stream);
    let finished = match sink {
        Sink::Table(batches) => {
            let table = draw_table(schema, batches).map_err(CliError::failed)?;
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{table}").and_then(|()| out.flush()) {
                Ok(()) => Ok(()),
                Err(_) => return Ok(Written::Closed),
            }
        }
        Sink::Stdout(w) => w.finish().map(drop),
        Sink::File(w) => w.finish().map(drop),
        Sink::Nowhere => Ok(()),
    };
    match finished {
        Ok(()) => Ok(Written::Rows(rows)),
        Err(e) if broken_pipe(&e) => Ok(Written::Closed),
        Err(e) => Err(e.into()),
    }
}

/// The boxed table of a result, nulls shown as `NULL` (an empty cell would read as an empty
/// string); a result without rows still shows its header.
fn draw_table(
    schema: arrow::datatypes::SchemaRef,
    batches: Vec<arrow::record_batch::RecordBatch>,
) -> Result<String, arrow::error::ArrowError> {
    let options = arrow::util::display::FormatOptions::default()
        .with_null("NULL")
        .with_display_error(true);
    let batches = if batches.is_empty() {
        vec![arrow::record_batch::RecordBatch::new_empty(schema)]
    } else {
        batches
    };
    Ok(arrow::util::pretty::pretty_format_batches_with_options(&batches, &options)?.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;

    use super::draw_table;

    #[test]
    fn the_table_shows_nulls_as_null_and_an_empty_result_its_header() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some(""), None])),
                Arc::new(Int64Array::from(vec![None, Some(2)])),
            ],
        )
        .unwrap();
        let table = draw_table(schema.clone(), vec![b]).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[3], "|      | NULL |", "{table}");
        assert_eq!(lines[4], "| NULL | 2    |", "{table}");
        let empty = draw_table(schema, Vec::new()).unwrap();
        assert!(empty.contains("| name | n |"), "{empty}");
    }
}
