//! File output of `igflight export` and `igflight sql`: streaming writers for CSV, JSON lines, Parquet
//! and Arrow IPC, and the atomic file around them.
//!
//! * [`FormatWriter`] writes batches in one format to any [`Write`] (a file, or stdout for CSV and
//!   JSON), one batch at a time: nothing is collected. Parquet row groups are bounded
//!   ([`PARQUET_ROW_GROUP_ROWS`], [`PARQUET_ROW_GROUP_BYTES`]) so memory stays flat on long exports.
//! * [`BatchWriter`] writes to a new `.FILE.partial-<random>` next to `FILE`; [`BatchWriter::finish`] fsyncs and
//!   renames it over `FILE`. Dropped before `finish` (an error, Ctrl-C) it removes the temporary file,
//!   so a failed run never leaves a file under the final name.
//!
//! CSV has no nested types: list and struct columns (`children`) are written as JSON text (`["1","2"]`).
//! Parquet has no seconds unit: seconds timestamps are stored as milliseconds (the same instants).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

/// Rows per Parquet row group at most.
pub const PARQUET_ROW_GROUP_ROWS: usize = 64 * 1024;
/// Bytes (estimated, encoded) per Parquet row group at most.
pub const PARQUET_ROW_GROUP_BYTES: usize = 64 * 1024 * 1024;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A text table for a terminal (`sql` only).
    Table,
    /// CSV with a header line; nested values as JSON text.
    Csv,
    /// Tab-separated values with a header line, one row per line (nulls as NULL; tab, newline,
    /// carriage return and backslash in values written \t \n \r \\, as PostgreSQL's text format).
    Tsv,
    /// Newline-delimited JSON, one object per row.
    Json,
    /// Apache Parquet (zstd; timestamps in milliseconds).
    Parquet,
    /// Arrow IPC file (Feather v2).
    Arrow,
}

impl Format {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }

    /// Whether a file can be written in this format (all but `table`).
    pub fn is_file_format(self) -> bool {
        !matches!(self, Format::Table)
    }

    /// Binary formats need a file (`--output`).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Parquet | Format::Arrow)
    }
}

/// Why writing failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file operation.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Encoding or writing batches.
    #[error("could not write {format}: {message}")]
    Encode {
        /// The format.
        format: &'static str,
        /// The cause.
        message: String,
        /// The I/O error under it, when writing failed (a closed pipe, a full disk): its kind is kept
        /// even where the format's writer only reports text (CSV).
        #[source]
        io: Option<std::io::Error>,
    },
    /// The format cannot be written as a stream (`table`).
    #[error("format `{0}` cannot be written to a file; accepted: csv, tsv, json, parquet, arrow")]
    Unsupported(&'static str),
}

impl OutputError {
    /// Whether writing failed because the reader went away (`igflight sql … | head`): an I/O error of
    /// kind [`BrokenPipe`](std::io::ErrorKind::BrokenPipe) anywhere in the error's sources.
    pub fn is_broken_pipe(&self) -> bool {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = next {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return true;
                }
                // `source()` of an io::Error skips the error it wraps: look at that one too
                if let Some(inner) = io.get_ref() {
                    next = Some(inner);
                    continue;
                }
            }
            next = err.source();
        }
        false
    }
}

fn encode_err(format: Format, e: impl std::fmt::Display) -> OutputError {
    OutputError::Encode {
        format: format.name(),
        message: e.to_string(),
        io: None,
    }
}

/// The last I/O error a [`Recording`] writer returned.
type IoSlot = Arc<parking_lot::Mutex<Option<std::io::Error>>>;

/// `W`, keeping a copy of the last I/O error it returned: the format writers turn write errors into
/// their own (arrow's CSV writer into text only), and the caller must still see its kind
/// ([`std::io::ErrorKind::BrokenPipe`] when the reader of stdout went away).
struct Recording<W> {
    inner: W,
    last: IoSlot,
}

impl<W> Recording<W> {
    fn record<T>(&self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            *self.last.lock() = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
        r
    }
}

impl<W: Write> Write for Recording<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.record(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.record(r)
    }
}

/// [`encode_err`] with the I/O error recorded under it, if any.
fn write_err(format: Format, last: &IoSlot, e: impl std::fmt::Display) -> OutputError {
    OutputError::Encode {
        format: format.name(),
        message: e.to_string(),
        io: last.lock().take(),
    }
}

enum Inner<W: Write + Send> {
    Csv(arrow::csv::Writer<W>),
    Tsv(W),
    Json(arrow::json::LineDelimitedWriter<W>),
    /// The writer, and the schema it writes (timestamps in seconds become milliseconds).
    Parquet(ArrowWriter<W>, SchemaRef),
    Arrow(arrow::ipc::writer::FileWriter<W>),
}

/// Writes batches of one schema in one format to `W`, one at a time.
pub struct FormatWriter<W: Write + Send> {
    format: Format,
    schema: SchemaRef,
    inner: Inner<Recording<W>>,
    last_io_error: IoSlot,
    rows: u64,
    batches: u64,
}

impl<W: Write + Send> std::fmt::Debug for FormatWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormatWriter")
            .field("format", &self.format)
            .field("rows", &self.rows)
            .field("batches", &self.batches)
            .finish()
    }
}

impl<W: Write + Send> FormatWriter<W> {
    /// A writer of `format` for batches of `schema` (the Parquet/Arrow header uses it).
    pub fn new(format: Format, schema: SchemaRef, w: W) -> Result<Self, OutputError> {
        let last_io_error = IoSlot::default();
        let w = Recording {
            inner: w,
            last: last_io_error.clone(),
        };
        let inner = match format {
            Format::Table => return Err(OutputError::Unsupported("table")),
            Format::Csv => Inner::Csv(arrow::csv::WriterBuilder::new().with_header(true).build(w)),
            Format::Tsv => Inner::Tsv(w),
            Format::Json => Inner::Json(arrow::json::LineDelimitedWriter::new(w)),
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_max_row_group_row_count(Some(PARQUET_ROW_GROUP_ROWS))
                    .set_max_row_group_bytes(Some(PARQUET_ROW_GROUP_BYTES))
                    .build();
                let stored = parquet_schema(&schema);
                Inner::Parquet(
                    ArrowWriter::try_new(w, stored.clone(), Some(props))
                        .map_err(|e| write_err(format, &last_io_error, e))?,
                    stored,
                )
            }
            Format::Arrow => Inner::Arrow(
                arrow::ipc::writer::FileWriter::try_new(w, &schema)
                    .map_err(|e| write_err(format, &last_io_error, e))?,
            ),
        };
        Ok(FormatWriter {
            format,
            schema,
            inner,
            last_io_error,
            rows: 0,
            batches: 0,
        })
    }

    /// Write one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        let format = self.format;
        let same = batch.num_columns() == self.schema.fields().len()
            && batch
                .schema()
                .fields()
                .iter()
                .zip(self.schema.fields())
                .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
        if !same {
            return Err(encode_err(
                format,
                format!(
                    "a batch of another schema ({}) than the output's ({})",
                    batch.schema(),
                    self.schema
                ),
            ));
        }
        self.last_io_error.lock().take();
        match &mut self.inner {
            Inner::Csv(w) => csv_flat(batch).and_then(|b| w.write(&b)),
            Inner::Tsv(w) => csv_flat(batch).and_then(|b| write_tsv(w, &b, self.batches == 0)),
            Inner::Json(w) => w.write(batch),
            Inner::Parquet(w, stored) => parquet_batch(batch, stored)
                .and_then(|b| w.write(&b).map_err(|e| ArrowError::ExternalError(e.into()))),
            Inner::Arrow(w) => w.write(batch),
        }
        .map_err(|e| write_err(format, &self.last_io_error, e))?;
        self.rows += batch.num_rows() as u64;
        self.batches += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Batches written so far.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// Write the footer (Parquet, Arrow) and return the flushed writer.
    pub fn finish(mut self) -> Result<W, OutputError> {
        let format = self.format;
        if self.batches == 0 && matches!(format, Format::Csv | Format::Tsv) {
            // the header, even for an empty result
            let empty = RecordBatch::new_empty(self.schema.clone());
            self.write(&empty)?;
        }
        let last = self.last_io_error.clone();
        let fail = |e: &dyn std::fmt::Display| write_err(format, &last, e);
        let mut w = match self.inner {
            Inner::Csv(w) => w.into_inner(),
            Inner::Tsv(w) => w,
            Inner::Json(mut w) => {
                w.finish().map_err(|e| fail(&e))?;
                w.into_inner()
            }
            Inner::Parquet(w, _) => w.into_inner().map_err(|e| fail(&e))?,
            Inner::Arrow(mut w) => {
                w.finish().map_err(|e| fail(&e))?;
                w.into_inner().map_err(|e| fail(&e))?
            }
        };
        w.flush().map_err(|e| fail(&e))?;
        Ok(w.inner)
    }
}

/// The schema stored in Parquet: Parquet has no seconds unit (a seconds timestamp would be a plain
/// INT64 to every reader but arrow-rs), so `Timestamp(Second, tz)` is stored as milliseconds — the
/// same instants, read back as timestamps by pyarrow, DuckDB, Spark.
fn parquet_schema(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Arc<Field>> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Timestamp(TimeUnit::Second, tz) => Arc::new(
                f.as_ref()
                    .clone()
                    .with_data_type(DataType::Timestamp(TimeUnit::Millisecond, tz.clone())),
            ),
            _ => f.clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `batch` in the Parquet schema (see [`parquet_schema`]).
fn parquet_batch(batch: &RecordBatch, stored: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    if batch.schema().fields() == stored.fields() {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .zip(stored.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                arrow::compute::cast(c, f.data_type())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new_with_options(
        stored.clone(),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
}

/// `batch` with its nested columns (lists, structs, maps) as JSON text, for CSV.
fn csv_flat(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let nested: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| batch.column(i).data_type().is_nested())
        .collect();
    if nested.is_empty() {
        return Ok(batch.clone());
    }
    let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for i in nested {
        columns[i] = json_text(&fields[i], batch.column(i))?;
        fields[i] = Arc::new(Field::new(fields[i].name(), DataType::Utf8, true));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// `batch` as TSV lines ([`Format::Tsv`]), after a header line when `header`: each value as arrow
/// displays it, nulls as `NULL`, the four special characters escaped.
fn write_tsv<W: Write>(w: &mut W, batch: &RecordBatch, header: bool) -> Result<(), ArrowError> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default()
        .with_null("NULL")
        .with_display_error(true);
    let mut line = String::new();
    let put = |line: &mut String, value: &str| {
        for c in value.chars() {
            match c {
                '\\' => line.push_str("\\\\"),
                '\t' => line.push_str("\\t"),
                '\n' => line.push_str("\\n"),
                '\r' => line.push_str("\\r"),
                c => line.push(c),
            }
        }
    };
    let io = |e: std::io::Error| ArrowError::IoError(e.to_string(), e);
    if header {
        for (i, f) in batch.schema().fields().iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            put(&mut line, f.name());
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cell = String::new();
    for row in 0..batch.num_rows() {
        line.clear();
        for (i, f) in formatters.iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            cell.clear();
            use std::fmt::Write as _;
            let _ = write!(cell, "{}", f.value(row));
            put(&mut line, &cell);
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    Ok(())
}

/// Each value of `array` as JSON text (null stays null), written once by arrow-json's encoder for
/// its type: no JSON line to parse back.
fn json_text(field: &Arc<Field>, array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let options = arrow::json::writer::EncoderOptions::default();
    let mut encoder = arrow::json::writer::make_encoder(field, array.as_ref(), &options)?;
    let mut out = StringBuilder::with_capacity(array.len(), array.len() * 16);
    let mut buf = Vec::new();
    for i in 0..array.len() {
        if array.is_null(i) {
            out.append_null();
            continue;
        }
        buf.clear();
        encoder.encode(i, &mut buf);
        let text = std::str::from_utf8(&buf).map_err(|e| ArrowError::JsonError(e.to_string()))?;
        out.append_value(text);
    }
    Ok(Arc::new(out.finish()))
}

/// A file written atomically: batches go to `.FILE.partial-<random>` in the same folder, renamed to
/// `FILE` by [`finish`](BatchWriter::finish). Dropped unfinished, the temporary file is removed.
///
/// The temporary file is created with a random name and `O_EXCL` (the `tempfile` crate), readable by
/// its owner only: a file or symlink planted under a predictable name is never followed or reused.
#[derive(Debug)]
pub struct BatchWriter {
    writer: Option<FormatWriter<BufWriter<File>>>,
    /// Removed when dropped, renamed by `finish`.
    temp: Option<tempfile::TempPath>,
    target: PathBuf,
}

/// The prefix of the temporary files next to `target`.
fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    format!(".{name}.partial-")
}

impl BatchWriter {
    /// Create the temporary file next to `path` and write the format's header.
    pub fn open(format: Format, schema: SchemaRef, path: &Path) -> Result<Self, OutputError> {
        if format == Format::Table {
            return Err(OutputError::Unsupported("table"));
        }
        if path.is_dir() {
            return Err(OutputError::Io {
                what: "cannot write",
                path: path.display().to_string(),
                source: std::io::Error::other("it is a folder"),
            });
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let (file, temp) = tempfile::Builder::new()
            .prefix(&temp_prefix(path))
            .tempfile_in(dir)
            .map_err(|source| OutputError::Io {
                what: "cannot create a temporary file in",
                path: dir.display().to_string(),
                source,
            })?
            .into_parts();
        let mut this = BatchWriter {
            writer: None,
            temp: Some(temp),
            target: path.to_path_buf(),
        };
        // on error, `this` is dropped and removes the temporary file
        this.writer = Some(FormatWriter::new(
            format,
            schema,
            BufWriter::with_capacity(1 << 20, file),
        )?);
        Ok(this)
    }

    /// Write one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        match &mut self.writer {
            Some(w) => w.write(batch),
            None => Err(OutputError::Unsupported("finished")),
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.writer.as_ref().map_or(0, |w| w.rows())
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Write the footer, fsync, and rename the temporary file to the final name. Returns the rows written.
    pub fn finish(mut self) -> Result<u64, OutputError> {
        let Some(writer) = self.writer.take() else {
            return Err(OutputError::Unsupported("finished"));
        };
        let rows = writer.rows();
        let temp_name = self
            .temp
            .as_ref()
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        let buf = writer.finish()?;
        let file = buf.into_inner().map_err(|e| OutputError::Io {
            what: "cannot write",
            path: temp_name.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(|source| OutputError::Io {
            what: "cannot sync",
            path: temp_name,
            source,
        })?;
        drop(file);
        let Some(temp) = self.temp.take() else {
            return Err(OutputError::Unsupported("finished"));
        };
        temp.persist(&self.target).map_err(|e| OutputError::Io {
            what: "cannot rename the temporary file to",
            path: self.target.display().to_string(),
            source: e.error,
        })?;
        // the rename is durable once the folder is synced (best effort: not every platform allows it)
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(rows)
    }
}

impl Drop for BatchWriter {
    fn drop(&mut self) {
        // unfinished: close the file, then remove it (dropping the TempPath removes it)
        drop(self.writer.take());
        drop(self.temp.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, ListBuilder, StringArray, TimestampSecondArray};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("like_count", DataType::Int64, true),
            Field::new(
                "timestamp",
                DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                true,
            ),
            Field::new(
                "children",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
        ]))
    }

    fn batch(start: i64, n: i64) -> RecordBatch {
        let ids: Vec<String> = (start..start + n).map(|i| format!("m{i}")).collect();
        let likes: Vec<Option<i64>> = (start..start + n)
            .map(|i| (i % 3 != 0).then_some(i))
            .collect();
        let ts: Vec<i64> = (start..start + n).map(|i| 1_700_000_000 + i).collect();
        let mut children = ListBuilder::new(StringBuilder::new());
        for i in start..start + n {
            if i % 2 == 0 {
                children.values().append_value(format!("c{i}a"));
                children.values().append_value(format!("c{i}b"));
                children.append(true);
            } else {
                children.append(false);
            }
        }
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(Int64Array::from(likes)),
                Arc::new(TimestampSecondArray::from(ts).with_timezone("UTC")),
                Arc::new(children.finish()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn tsv_is_one_line_per_row_with_escapes_and_nulls() {
        let mut w = FormatWriter::new(Format::Tsv, schema(), Vec::new()).unwrap();
        w.write(&batch(0, 2)).unwrap();
        // a second batch adds rows, not a second header
        w.write(&batch(2, 1)).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "id\tlike_count\ttimestamp\tchildren\n\
             m0\tNULL\t2023-11-14T22:13:20Z\t[\"c0a\",\"c0b\"]\n\
             m1\t1\t2023-11-14T22:13:21Z\tNULL\n\
             m2\t2\t2023-11-14T22:13:22Z\t[\"c2a\",\"c2b\"]\n"
        );
        // the four special characters, in values and names
        let schema = Arc::new(Schema::new(vec![Field::new("a\tb", DataType::Utf8, true)]));
        let values = StringArray::from(vec![Some("x\ty\nz\r\\"), None, Some("")]);
        let b = RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).unwrap();
        let mut w = FormatWriter::new(Format::Tsv, schema.clone(), Vec::new()).unwrap();
        w.write(&b).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(text, "a\\tb\nx\\ty\\nz\\r\\\\\nNULL\n\n");
        // an empty result still has its header
        let w = FormatWriter::new(Format::Tsv, schema, Vec::new()).unwrap();
        assert_eq!(String::from_utf8(w.finish().unwrap()).unwrap(), "a\\tb\n");
    }

    fn write_file(format: Format, path: &Path, batches: &[RecordBatch]) -> u64 {
        let existed = path.exists();
        let mut w = BatchWriter::open(format, schema(), path).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        assert_eq!(
            path.exists(),
            existed,
            "nothing new under the final name before finish"
        );
        w.finish().unwrap()
    }

    fn partials(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
            .count()
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let path = dir.path().join("out.csv");
        // the names an attacker could predict: the old `.out.csv.partial-<pid>` and a few guesses
        for suffix in [std::process::id().to_string(), "0".into(), "x".into()] {
            std::os::unix::fs::symlink(
                &victim,
                dir.path().join(format!(".out.csv.partial-{suffix}")),
            )
            .unwrap();
        }
        let mut w = BatchWriter::open(Format::Csv, schema(), &path).unwrap();
        w.write(&batch(0, 3)).unwrap();
        w.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(std::fs::read_to_string(&path).unwrap().lines().count() > 1);
        assert!(
            !std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    fn no_partials(dir: &Path) {
        let left: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".partial-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn parquet_round_trips_in_bounded_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let batches = vec![batch(0, 10), batch(10, 5)];
        assert_eq!(write_file(Format::Parquet, &path, &batches), 15);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let row_groups = reader.metadata().num_row_groups();
        assert!(row_groups >= 1);
        let got: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
        let stored = parquet_schema(&schema());
        assert_eq!(
            stored.field(2).data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        let got = arrow::compute::concat_batches(&stored, &got).unwrap();
        let want = arrow::compute::concat_batches(&schema(), &batches).unwrap();
        assert_eq!(got, parquet_batch(&want, &stored).unwrap());
        // the same instants
        let ms = got
            .column(2)
            .as_any()
            .downcast_ref::<arrow::array::TimestampMillisecondArray>()
            .unwrap();
        assert_eq!(ms.value(0), 1_700_000_000_000);
        no_partials(dir.path());
    }

    #[test]
    fn parquet_row_groups_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.parquet");
        let n = PARQUET_ROW_GROUP_ROWS as i64 + 10;
        write_file(Format::Parquet, &path, &[batch(0, n)]);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 2);
        assert_eq!(reader.metadata().file_metadata().num_rows(), n);
    }

    #[test]
    fn arrow_ipc_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.arrow");
        let batches = vec![batch(0, 7), batch(7, 3)];
        assert_eq!(write_file(Format::Arrow, &path, &batches), 10);
        let reader =
            arrow::ipc::reader::FileReader::try_new(File::open(&path).unwrap(), None).unwrap();
        assert_eq!(reader.schema(), schema());
        let got: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        assert_eq!(got, batches);
    }

    #[test]
    fn json_lines_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let batches = vec![batch(0, 4), batch(4, 4)];
        write_file(Format::Json, &path, &batches);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 8);
        let reader = arrow::json::ReaderBuilder::new(schema())
            .build(std::io::BufReader::new(File::open(&path).unwrap()))
            .unwrap();
        let got: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        let got = arrow::compute::concat_batches(&schema(), &got).unwrap();
        let want = arrow::compute::concat_batches(&schema(), &batches).unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn csv_round_trips_with_header_and_nested_as_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let batches = vec![batch(0, 3), batch(3, 3)];
        write_file(Format::Csv, &path, &batches);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("id,like_count,timestamp,children"));
        assert_eq!(text.lines().count(), 7);
        assert!(text.contains(r#""[""c0a"",""c0b""]""#), "{text}");
        // read back the flat columns
        let flat = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("like_count", DataType::Int64, true),
            Field::new(
                "timestamp",
                DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                true,
            ),
            Field::new("children", DataType::Utf8, true),
        ]));
        let reader = arrow::csv::ReaderBuilder::new(flat.clone())
            .with_header(true)
            .build(File::open(&path).unwrap())
            .unwrap();
        let got: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        let got = arrow::compute::concat_batches(&flat, &got).unwrap();
        let want = arrow::compute::concat_batches(&schema(), &batches).unwrap();
        assert_eq!(got.column(0), want.column(0));
        assert_eq!(got.column(1), want.column(1));
        assert_eq!(got.column(2), want.column(2));
        let children = got
            .column(3)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(children.value(0), r#"["c0a","c0b"]"#);
        assert!(children.is_null(1));
    }

    /// A reader that went away: every write fails with `BrokenPipe`.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_pipe_is_known_by_its_error_kind() {
        for format in [Format::Csv, Format::Json, Format::Parquet, Format::Arrow] {
            let failed = FormatWriter::new(format, schema(), ClosedPipe).and_then(|mut w| {
                // small batches stay in the writer's buffers: the footer or the flush fails
                w.write(&batch(0, 3))?;
                w.finish().map(drop)
            });
            let e = failed.unwrap_err();
            assert!(e.is_broken_pipe(), "{format:?}: {e:?}");
        }
        // a failure that is not one
        let mut w = FormatWriter::new(Format::Csv, schema(), Vec::new()).unwrap();
        let other = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)])),
            vec![Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        let e = w.write(&other).unwrap_err();
        assert!(!e.is_broken_pipe(), "{e:?}");
        // the text no longer decides
        let text = encode_err(Format::Csv, "Broken pipe (os error 32)");
        assert!(!text.is_broken_pipe());
    }

    #[test]
    fn nested_values_become_json_text_once() {
        use arrow::array::{Int64Builder, StructArray};
        let mut list = ListBuilder::new(Int64Builder::new());
        list.values().append_value(1);
        list.values().append_null();
        list.append(true);
        list.append(false);
        list.append(true);
        let list: ArrayRef = Arc::new(list.finish());
        let field = Arc::new(Field::new("l", list.data_type().clone(), true));
        let text = json_text(&field, &list).unwrap();
        let text = text.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(text.value(0), "[1,null]");
        assert!(text.is_null(1));
        assert_eq!(text.value(2), "[]");

        let s: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![Some("x\"y"), None])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("a", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
            ),
        ]));
        let field = Arc::new(Field::new("s", s.data_type().clone(), true));
        let text = json_text(&field, &s).unwrap();
        let text = text.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(text.value(0), r#"{"b":"x\"y","a":1}"#);
        assert_eq!(text.value(1), r#"{"a":2}"#);
    }

    #[test]
    fn empty_csv_has_its_header_and_empty_parquet_its_schema() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("e.csv");
        write_file(Format::Csv, &csv, &[]);
        assert_eq!(
            std::fs::read_to_string(&csv).unwrap(),
            "id,like_count,timestamp,children\n"
        );
        let pq = dir.path().join("e.parquet");
        write_file(Format::Parquet, &pq, &[]);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&pq).unwrap()).unwrap();
        assert_eq!(reader.schema().fields().len(), 4);
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    }

    #[test]
    fn a_failed_or_dropped_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Csv, Format::Json, Format::Parquet, Format::Arrow] {
            let path = dir.path().join(format!("fail.{}", format.name()));
            // dropped part way (an error upstream, Ctrl-C)
            let mut w = BatchWriter::open(format, schema(), &path).unwrap();
            w.write(&batch(0, 5)).unwrap();
            assert_eq!(
                partials(dir.path()),
                1,
                "the partial file exists while writing"
            );
            drop(w);
            assert!(!path.exists());
            no_partials(dir.path());

            // a batch of another schema fails to write
            let mut w = BatchWriter::open(format, schema(), &path).unwrap();
            let other = RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)])),
                vec![Arc::new(Int64Array::from(vec![1]))],
            )
            .unwrap();
            assert!(w.write(&other).is_err(), "{format:?}");
            drop(w);
            assert!(!path.exists());
            no_partials(dir.path());
        }
        // a folder that does not exist
        let missing = dir.path().join("nope").join("out.parquet");
        assert!(BatchWriter::open(Format::Parquet, schema(), &missing).is_err());
        assert!(BatchWriter::open(Format::Table, schema(), &dir.path().join("t")).is_err());
    }

    #[test]
    fn an_existing_file_is_replaced_only_on_success() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keep.csv");
        std::fs::write(&path, "old\n").unwrap();
        let mut w = BatchWriter::open(Format::Csv, schema(), &path).unwrap();
        w.write(&batch(0, 2)).unwrap();
        drop(w);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        write_file(Format::Csv, &path, &[batch(0, 2)]);
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("id,"));
    }
}
