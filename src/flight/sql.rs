//! Flight SQL over the report tables: [`SqlService`] implements arrow-flight's [`FlightSqlService`];
//! [`IgFlightService`](super::IgFlightService) hands it every ticket, descriptor and action whose
//! protobuf `Any` has an `arrow.flight.protocol.sql.*` type (see [`sql_command`]), so plain report
//! tickets and Flight SQL share one port.
//!
//! Stateless: a statement handle is the JSON [`Handle`] — the SQL text, the default account and, once
//! bound, the parameter row (Arrow IPC, hex) — so any server process can run any ticket, and `DoPut`
//! on a prepared statement answers with a new handle carrying the parameters
//! (`DoPutPreparedStatementResult`). Each RPC plans in a fresh [`session`](crate::sql::session);
//! `DoGet` streams batches as Graph pages arrive and maps errors with [`to_status`].
//!
//! The default account of tables whose query names none comes from the `x-igflight-account` request
//! header ([`ACCOUNT_HEADER`]; ADBC: `adbc.flight.sql.rpc.call_header.x-igflight-account`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, Any, Command, CommandGetCatalogs,
    CommandGetCrossReference, CommandGetDbSchemas, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandGetXdbcTypeInfo, CommandPreparedStatementQuery, CommandStatementQuery,
    DoPutPreparedStatementResult, ProstMessageExt, SqlInfo, SqlNullOrdering,
    SqlSupportedCaseSensitivity, SqlSupportedTransaction, TicketStatementQuery,
};
use arrow_flight::{
    FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse,
    IpcMessage, PutResult, SchemaAsIpc, Ticket,
};
use bytes::Bytes;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use serde::{Deserialize, Serialize};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use super::auth::Access;
use super::connections::{Connections, Served, access_of, header_connection};
use super::xdbc::{XDBC_TYPES, foreign_keys_schema, primary_keys_schema};
use crate::sql::{SqlEngine, SqlLimits, sql_for_log, to_status};
use crate::sync::DatasetSpec;

/// The request header naming the default Instagram account of a SQL session.
pub const ACCOUNT_HEADER: &str = "x-igflight-account";

/// The type URL prefix of every Flight SQL message.
pub const SQL_TYPE_PREFIX: &str = "type.googleapis.com/arrow.flight.protocol.sql.";

/// The table type of every report table (GetTables and GetTableTypes).
pub const TABLE_TYPE: &str = "TABLE";

type BoxedStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// `bytes` as a Flight SQL command: a protobuf `Any` whose type is `arrow.flight.protocol.sql.*`.
/// Report tickets (JSON, or `Any` of `igflight.v1.ReportTicket`) give `None`.
pub fn sql_command(bytes: &[u8]) -> Option<Any> {
    let any = Any::decode(bytes).ok()?;
    any.type_url.starts_with(SQL_TYPE_PREFIX).then_some(any)
}

/// What a statement handle (and a statement ticket) holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Handle {
    /// The SQL text (`?` placeholders already numbered `$1`, `$2`, …).
    pub sql: String,
    /// The default account (from [`ACCOUNT_HEADER`] when the statement was planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The served connection the statement runs on (resolved when it was planned; checked again
    /// against the credential of every request that uses the handle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The bound parameter row: an Arrow IPC stream, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
}

impl Handle {
    fn encode(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).expect("a handle serializes"))
    }

    fn decode(bytes: &[u8]) -> Result<Handle, Status> {
        serde_json::from_slice(bytes).map_err(|e| {
            Status::invalid_argument(format!(
                "not an igflight statement handle ({e}); plan the query again"
            ))
        })
    }

    /// The bound parameter row.
    fn param_batch(&self) -> Result<Option<RecordBatch>, Status> {
        let Some(hex) = &self.params else {
            return Ok(None);
        };
        let bad =
            |e: String| Status::invalid_argument(format!("bad parameters in the handle: {e}"));
        let bytes = hex::decode(hex).map_err(|e| bad(e.to_string()))?;
        let reader =
            StreamReader::try_new(bytes.as_slice(), None).map_err(|e| bad(e.to_string()))?;
        let mut batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(e.to_string()))?;
        Ok(batches.pop())
    }
}

/// `?` placeholders numbered `$1`, `$2`, … (DataFusion reads positional parameters as `$N`); the
/// rest of the text is kept byte for byte.
pub fn number_placeholders(sql: &str) -> String {
    if !sql.contains('?') {
        return sql.to_string();
    }
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location() else {
        return sql.to_string();
    };
    // (line, column) of each bare `?`, 1-based, columns in characters
    let spots: Vec<(u64, u64)> = tokens
        .iter()
        .filter(|t| matches!(&t.token, Token::Placeholder(p) if p == "?"))
        .map(|t| (t.span.start.line, t.span.start.column))
        .collect();
    if spots.is_empty() {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + spots.len() * 2);
    let (mut line, mut col) = (1u64, 1u64);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' && spots.contains(&(line, col)) {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    out
}

/// Queries only: no DDL, DML or `SET`.
fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

fn df_status(e: DataFusionError) -> Status {
    to_status(&e)
}

fn schema_bytes(schema: &Schema) -> Result<Bytes, Status> {
    let IpcMessage(bytes) = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e| Status::internal(format!("could not encode the schema: {e}")))?;
    Ok(bytes)
}

fn header_account(metadata: &MetadataMap) -> Option<String> {
    metadata
        .get(ACCOUNT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The parameters of `plan` (`$1`, `$name`), sorted (numbers numerically), with their inferred types.
fn parameters(plan: &LogicalPlan) -> Result<Vec<(String, Option<DataType>)>, Status> {
    let mut params: Vec<(String, Option<DataType>)> = plan
        .get_parameter_types()
        .map_err(df_status)?
        .into_iter()
        .collect();
    params.sort_by_key(|(id, _)| match id[1..].parse::<u64>() {
        Ok(n) => (0, n, String::new()),
        Err(_) => (1, 0, id.clone()),
    });
    Ok(params)
}

/// The parameter schema of a prepared statement: one nullable field per parameter (`Null` when its
/// type is unknown).
fn parameter_schema(params: &[(String, Option<DataType>)]) -> Schema {
    Schema::new(
        params
            .iter()
            .map(|(id, t)| Field::new(id, t.clone().unwrap_or(DataType::Null), true))
            .collect::<Vec<_>>(),
    )
}

/// How many parameter rows a prepared statement binds: one (reading stops at the second).
pub const MAX_PARAM_ROWS: usize = 1;

/// The Flight SQL side of the server.
#[derive(Debug, Clone)]
pub struct SqlService {
    conns: Arc<Connections>,
    engine: SqlEngine,
}

impl SqlService {
    /// SQL over the reports of the served connections, within the default [`SqlLimits`].
    pub fn new(conns: Arc<Connections>) -> Self {
        Self::with_limits(conns, SqlLimits::default())
    }

    /// SQL over the reports of the served connections, within `limits` (one memory pool for all the
    /// queries of this service).
    pub fn with_limits(conns: Arc<Connections>, limits: SqlLimits) -> Self {
        SqlService {
            conns,
            engine: SqlEngine::new(limits),
        }
    }

    /// The limits of the queries.
    pub fn limits(&self) -> &SqlLimits {
        self.engine.limits()
    }

    /// This service with `datasets` as the tables `synced.<name>` of every session (listed by the
    /// catalog calls; read from their files, no Graph call).
    pub fn with_synced(mut self, datasets: impl Into<Arc<[DatasetSpec]>>) -> Self {
        self.engine = self.engine.with_synced(datasets);
        self
    }

    /// The synced datasets of the sessions.
    pub fn synced(&self) -> &Arc<[DatasetSpec]> {
        self.engine.synced()
    }

    /// The connection a statement runs on: the one `requested` (handle or header), else the client's
    /// default; refused when the client's credential may not read it.
    fn served(&self, requested: Option<&str>, access: &Access) -> Result<&Served, Status> {
        self.conns
            .resolve(requested, access)
            .map_err(|e| e.to_status())
    }

    /// A handle's connection, for a request with this access (the header names one when the handle
    /// has none).
    fn served_for<T>(&self, handle: &Handle, request: &Request<T>) -> Result<&Served, Status> {
        let requested = handle
            .connection
            .clone()
            .or_else(|| header_connection(request));
        self.served(requested.as_deref(), &access_of(request))
    }

    /// A session for catalog listings (every connection has the same tables).
    fn catalog_session(&self) -> SessionContext {
        self.engine.session(self.conns.first().ctx.clone(), None)
    }

    /// A handle starting a statement: `sql` (placeholders numbered), the account of the request
    /// header, and the connection the request resolves to.
    fn new_handle<T>(&self, sql: &str, request: &Request<T>) -> Result<(Handle, &Served), Status> {
        let mut handle = Handle {
            sql: number_placeholders(sql),
            account: header_account(request.metadata()),
            connection: None,
            params: None,
        };
        let served = self.served_for(&handle, request)?;
        handle.connection = Some(served.name.clone());
        Ok((handle, served))
    }

    /// The handle in `bytes` and its connection, for `request`.
    fn handle_of<T>(
        &self,
        bytes: &[u8],
        request: &Request<T>,
    ) -> Result<(Handle, &Served), Status> {
        let handle = Handle::decode(bytes)?;
        let served = self.served_for(&handle, request)?;
        Ok((handle, served))
    }

    /// The SQL of `handle` parsed and planned on `served` (parameters not bound yet).
    async fn parse(&self, handle: &Handle, served: &Served) -> Result<DataFrame, Status> {
        let ctx = self
            .engine
            .session(served.ctx.clone(), handle.account.clone());
        ctx.sql_with_options(&handle.sql, read_only())
            .await
            .map_err(df_status)
    }

    /// Plan `handle` (parameters bound when it has them) on `served`: the DataFrame, ready to execute.
    async fn plan(&self, handle: &Handle, served: &Served) -> Result<DataFrame, Status> {
        let df = self.parse(handle, served).await?;
        let params = parameters(df.logical_plan())?;
        if params.is_empty() {
            return Ok(df);
        }
        let Some(batch) = handle.param_batch()? else {
            return Err(Status::invalid_argument(format!(
                "the query has parameters ({}): bind them (a prepared statement with one parameter row) before executing",
                params
                    .iter()
                    .map(|p| p.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let values = bind(&params, &batch)?;
        df.with_param_values(values).map_err(df_status)
    }

    /// The schema DoGet streams for `handle`, planned down to the physical plan so planning errors
    /// (a missing `WHERE hashtag = …`) surface here, before any Graph call.
    async fn schema_of(&self, handle: &Handle, served: &Served) -> Result<SchemaRef, Status> {
        let deadline = self.engine.deadline();
        self.within(deadline, async {
            let df = self.plan(handle, served).await?;
            let plan = df.create_physical_plan().await.map_err(df_status)?;
            Ok(plan.schema())
        })
        .await
    }

    /// `fut` (planning) until `deadline`; past it, `RESOURCE_EXHAUSTED` naming the time limit.
    async fn within<T>(
        &self,
        deadline: tokio::time::Instant,
        fut: impl Future<Output = Result<T, Status>>,
    ) -> Result<T, Status> {
        match tokio::time::timeout_at(deadline, fut).await {
            Ok(r) => r,
            Err(_) => Err(to_status(&self.engine.limits().timed_out())),
        }
    }

    async fn statement_info(
        &self,
        handle: Handle,
        served: &Served,
        descriptor: FlightDescriptor,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = self
            .schema_of(&handle, served)
            .await
            .inspect_err(|s| served.observe(s))?;
        let ticket = TicketStatementQuery {
            statement_handle: handle.encode(),
        };
        flight_info(&schema, ticket.as_any(), descriptor)
    }

    /// Execute `handle` and stream its batches as they come.
    async fn execute(
        &self,
        handle: Handle,
        served: &Served,
    ) -> Result<Response<BoxedStream<FlightData>>, Status> {
        tracing::info!(rpc = "DoGet", sql = %sql_for_log(&handle.sql), account = ?handle.account, connection = %served.name, "SQL query");
        // planning and execution share one deadline
        let deadline = self.engine.deadline();
        let stream = self
            .within(deadline, async {
                let df = self.plan(&handle, served).await?;
                df.execute_stream().await.map_err(df_status)
            })
            .await
            .inspect_err(|s| served.observe(s))?;
        let stream = self.engine.with_deadline(stream, deadline);
        let schema = stream.schema();
        let batches = stream.map_err(|e| FlightError::Tonic(Box::new(to_status(&e))));
        let data = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(batches)
            .map_err(Status::from);
        // a Graph refusal of the token marks the connection NOT_SERVING (crate::flight::health)
        Ok(Response::new(super::health::watch_refusals(
            served.clone(),
            Box::pin(data),
        )))
    }

    /// `DoPut` with a Flight SQL command (`cmd`, from the first message's descriptor; `data` holds
    /// every message, the first included): binds prepared-statement parameters; updates and
    /// ingestion are refused (read-only).
    pub async fn do_put_command(
        &self,
        cmd: Any,
        data: BoxedStream<FlightData>,
        access: &Access,
        header: Option<String>,
    ) -> Result<Response<BoxedStream<PutResult>>, Status> {
        let cmd = Command::try_from(cmd).map_err(|e| Status::invalid_argument(e.to_string()))?;
        match cmd {
            Command::CommandPreparedStatementQuery(q) => {
                let result = self.bind_parameters(q, data, access, header).await?;
                Ok(one_message(PutResult {
                    app_metadata: result.encode_to_vec().into(),
                }))
            }
            Command::CommandStatementUpdate(_)
            | Command::CommandPreparedStatementUpdate(_)
            | Command::CommandStatementIngest(_)
            | Command::CommandStatementSubstraitPlan(_) => Err(Status::unimplemented(
                "igflight is read-only: updates and ingestion are not supported; run queries (SELECT)",
            )),
            other => Err(Status::invalid_argument(format!(
                "{} is not a DoPut command",
                other.type_url()
            ))),
        }
    }

    /// Read the parameter row of a prepared statement and answer with the handle that carries it.
    async fn bind_parameters(
        &self,
        query: CommandPreparedStatementQuery,
        data: BoxedStream<FlightData>,
        access: &Access,
        header: Option<String>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let mut handle = Handle::decode(&query.prepared_statement_handle)?;
        let requested = handle.connection.clone().or(header);
        let served = self.served(requested.as_deref(), access)?;
        // Read no more than the statement takes: one row, `max_param_bytes` in all; refuse as soon
        // as either is passed, without reading the rest.
        let max_bytes = self.engine.limits().max_param_bytes;
        let mut read = 0usize;
        let stream = data.map(move |m| {
            let m = m.map_err(FlightError::from)?;
            read = read
                .saturating_add(m.data_header.len())
                .saturating_add(m.data_body.len())
                .saturating_add(m.app_metadata.len());
            if read > max_bytes {
                return Err(FlightError::Tonic(Box::new(Status::resource_exhausted(format!(
                    "the parameters are larger than the limit of {} for the parameters of one statement: bind one row of smaller values",
                    crate::sql::limits::human_bytes(max_bytes as u128)
                )))));
            }
            Ok(m)
        });
        let mut batches = FlightRecordBatchStream::new_from_flight_data(stream);
        let mut row: Option<RecordBatch> = None;
        let mut rows = 0usize;
        while let Some(b) = batches.next().await {
            let b = b.map_err(|e| match e {
                FlightError::Tonic(s) => *s,
                other => {
                    Status::invalid_argument(format!("could not read the parameters: {other}"))
                }
            })?;
            rows = rows.saturating_add(b.num_rows());
            if rows > MAX_PARAM_ROWS {
                return Err(Status::invalid_argument(format!(
                    "bind exactly one row of parameters to a query; got more than {MAX_PARAM_ROWS} (the rest was not read)"
                )));
            }
            if b.num_rows() == 1 {
                row = Some(b);
            }
        }
        drop(batches);
        let Some(batch) = row else {
            return Err(not_one_row(rows));
        };
        handle.params = Some(encode_params(&batch)?);
        // Check now that the parameters fit the query.
        let deadline = self.engine.deadline();
        self.within(deadline, self.plan(&handle, served)).await?;
        tracing::info!(rpc = "DoPut", sql = %sql_for_log(&handle.sql), "parameters bound");
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(handle.encode()),
        })
    }

    /// The (catalog, schema) pairs listed by the catalog calls: the session's, without
    /// `information_schema` (it stays queryable).
    fn schemas(ctx: &SessionContext) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for c in ctx.catalog_names() {
            if let Some(catalog) = ctx.catalog(&c) {
                for s in catalog.schema_names() {
                    if s != "information_schema" {
                        out.push((c.clone(), s));
                    }
                }
            }
        }
        out
    }

    /// (catalog, schema, table, Arrow schema) of every report table.
    async fn tables(&self) -> Result<Vec<(String, String, String, SchemaRef)>, Status> {
        let ctx = self.catalog_session();
        let mut out = Vec::new();
        for (c, s) in Self::schemas(&ctx) {
            let Some(schema) = ctx.catalog(&c).and_then(|cat| cat.schema(&s)) else {
                continue;
            };
            let mut names = schema.table_names();
            names.sort();
            for t in names {
                if let Some(table) = schema.table(&t).await.map_err(df_status)? {
                    out.push((c.clone(), s.clone(), t, table.schema()));
                }
            }
        }
        Ok(out)
    }
}

/// The parameter values of `params` from the first row of `batch`: by position (`$1`, `$2`, … take
/// columns 1, 2, …), or by column name for named parameters; each cast to the type DataFusion inferred.
fn bind(params: &[(String, Option<DataType>)], batch: &RecordBatch) -> Result<ParamValues, Status> {
    if batch.num_rows() != 1 {
        return Err(not_one_row(batch.num_rows()));
    }
    let mut positional: Vec<ScalarValue> = Vec::new();
    let mut named: HashMap<String, ScalarValue> = HashMap::new();
    for (id, t) in params {
        let name = &id[1..];
        let position = name.parse::<usize>().ok().filter(|n| *n >= 1);
        let col = match position {
            Some(n) => batch.columns().get(n - 1),
            None => batch
                .column_by_name(name)
                .or_else(|| batch.column_by_name(id)),
        };
        let Some(col) = col else {
            return Err(Status::invalid_argument(format!(
                "no value bound for parameter {id}: {} parameter columns were bound",
                batch.num_columns()
            )));
        };
        let mut v = ScalarValue::try_from_array(col.as_ref(), 0)
            .map_err(|e| Status::invalid_argument(format!("parameter {id}: {e}")))?;
        if let Some(t) = t
            && v.data_type() != *t
        {
            v = v.cast_to(t).map_err(|e| {
                Status::invalid_argument(format!(
                    "parameter {id}: a {} value cannot be used as {t}: {e}",
                    col.data_type()
                ))
            })?;
        }
        match position {
            Some(n) => {
                if positional.len() < n {
                    positional.resize(n, ScalarValue::Null);
                }
                positional[n - 1] = v;
            }
            None => {
                named.insert(name.to_string(), v);
            }
        }
    }
    match (positional.is_empty(), named.is_empty()) {
        (_, true) => Ok(ParamValues::from(positional)),
        (true, false) => Ok(ParamValues::from(named)),
        (false, false) => Err(Status::invalid_argument(
            "use either positional ($1, ?) or named ($name) parameters in one query, not both",
        )),
    }
}

/// A parameter binding without exactly one row.
fn not_one_row(rows: usize) -> Status {
    Status::invalid_argument(format!(
        "bind exactly one row of parameters to a query; got {rows} rows"
    ))
}

/// The parameter row as an Arrow IPC stream, hex.
fn encode_params(batch: &RecordBatch) -> Result<String, Status> {
    let fail = |e: arrow::error::ArrowError| {
        Status::internal(format!("could not encode the parameters: {e}"))
    };
    let mut w = StreamWriter::try_new(Vec::new(), &batch.schema()).map_err(fail)?;
    w.write(batch).map_err(fail)?;
    w.finish().map_err(fail)?;
    Ok(hex::encode(w.into_inner().map_err(fail)?))
}

/// `GetSqlInfo`.
static SQL_INFO: LazyLock<SqlInfoData> = LazyLock::new(|| {
    let mut b = SqlInfoDataBuilder::new();
    b.append(SqlInfo::FlightSqlServerName, "igflight");
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, "59");
    b.append(SqlInfo::FlightSqlServerReadOnly, true);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    b.append(SqlInfo::FlightSqlServerCancel, false);
    b.append(SqlInfo::FlightSqlServerBulkIngestion, false);
    b.append(SqlInfo::FlightSqlServerStatementTimeout, 0i32);
    b.append(SqlInfo::FlightSqlServerTransactionTimeout, 0i32);
    b.append(SqlInfo::SqlDdlCatalog, false);
    b.append(SqlInfo::SqlDdlSchema, false);
    b.append(SqlInfo::SqlDdlTable, false);
    b.append(
        SqlInfo::SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32,
    );
    b.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    b.append(
        SqlInfo::SqlQuotedIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityCaseInsensitive as i32,
    );
    b.append(SqlInfo::SqlAllTablesAreSelectable, true);
    b.append(
        SqlInfo::SqlNullOrdering,
        SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    b.append(SqlInfo::SqlSearchStringEscape, "\\");
    b.append(SqlInfo::SqlExtraNameCharacters, "");
    b.append(SqlInfo::SqlSupportsColumnAliasing, true);
    b.append(SqlInfo::SqlNullPlusNullIsNull, true);
    b.append(SqlInfo::SqlSupportsTableCorrelationNames, true);
    b.append(SqlInfo::SqlSupportsDifferentTableCorrelationNames, false);
    b.append(SqlInfo::SqlSupportsExpressionsInOrderBy, true);
    b.append(SqlInfo::SqlSupportsOrderByUnrelated, true);
    b.append(SqlInfo::SqlSupportsLikeEscapeClause, false);
    b.append(SqlInfo::SqlSupportsNonNullableColumns, true);
    b.append(SqlInfo::SqlSchemaTerm, "schema");
    b.append(SqlInfo::SqlProcedureTerm, "procedure");
    b.append(SqlInfo::SqlCatalogTerm, "catalog");
    b.append(SqlInfo::SqlCatalogAtStart, true);
    b.append(SqlInfo::SqlSelectForUpdateSupported, false);
    b.append(SqlInfo::SqlStoredProceduresSupported, false);
    b.append(SqlInfo::SqlCorrelatedSubqueriesSupported, true);
    b.append(SqlInfo::SqlTransactionsSupported, false);
    b.append(SqlInfo::SqlBatchUpdatesSupported, false);
    b.append(SqlInfo::SqlSavepointsSupported, false);
    b.append(SqlInfo::SqlNamedParametersSupported, false);
    b.build().expect("the SQL info is valid")
});

/// The `FlightInfo` of a Flight SQL command: `schema`, and one endpoint whose ticket is `ticket`.
fn flight_info(
    schema: &Schema,
    ticket: Any,
    descriptor: FlightDescriptor,
) -> Result<Response<FlightInfo>, Status> {
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(format!("could not encode the schema: {e}")))?
        .with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket.encode_to_vec())))
        .with_descriptor(descriptor)
        .with_total_records(-1)
        .with_total_bytes(-1);
    Ok(Response::new(info))
}

/// A stream of one message.
fn one_message<T: Send + 'static>(message: T) -> Response<BoxedStream<T>> {
    Response::new(Box::pin(futures::stream::once(async { Ok(message) })))
}

fn one_batch(
    schema: SchemaRef,
    batch: Result<RecordBatch, FlightError>,
) -> BoxedStream<FlightData> {
    Box::pin(
        FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(futures::stream::once(async { batch }))
            .map_err(Status::from),
    )
}

/// A Flight SQL catalog call (`CommandGet…`): the schema its `GetFlightInfo` announces (the ticket
/// is the command itself) and the one batch its `DoGet` streams.
#[tonic::async_trait]
trait CatalogCall: ProstMessageExt + Send + 'static {
    /// The schema of the answer.
    fn schema(&self) -> SchemaRef;

    /// The answer: one batch.
    async fn rows(self, sql: &SqlService) -> Result<BoxedStream<FlightData>, Status>;
}

#[tonic::async_trait]
impl CatalogCall for CommandGetCatalogs {
    fn schema(&self) -> SchemaRef {
        self.into_builder().schema()
    }

    async fn rows(self, sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
        let mut names = sql.catalog_session().catalog_names();
        names.sort();
        let mut b = self.into_builder();
        for c in names {
            b.append(c);
        }
        Ok(one_batch(b.schema(), b.build()))
    }
}

#[tonic::async_trait]
impl CatalogCall for CommandGetDbSchemas {
    fn schema(&self) -> SchemaRef {
        self.clone().into_builder().schema()
    }

    async fn rows(self, sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
        let ctx = sql.catalog_session();
        let mut b = self.into_builder();
        for (c, s) in SqlService::schemas(&ctx) {
            b.append(c, s);
        }
        Ok(one_batch(b.schema(), b.build()))
    }
}

#[tonic::async_trait]
impl CatalogCall for CommandGetTables {
    fn schema(&self) -> SchemaRef {
        self.clone().into_builder().schema()
    }

    async fn rows(self, sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
        let mut b = self.into_builder();
        for (c, s, t, schema) in sql.tables().await? {
            b.append(c, s, t, TABLE_TYPE, &schema)
                .map_err(|e| Status::internal(format!("could not encode a table schema: {e}")))?;
        }
        Ok(one_batch(b.schema(), b.build()))
    }
}

#[tonic::async_trait]
impl CatalogCall for CommandGetTableTypes {
    fn schema(&self) -> SchemaRef {
        self.into_builder().schema()
    }

    async fn rows(self, _sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
        let mut b = self.into_builder();
        b.append(TABLE_TYPE);
        Ok(one_batch(b.schema(), b.build()))
    }
}

#[tonic::async_trait]
impl CatalogCall for CommandGetSqlInfo {
    fn schema(&self) -> SchemaRef {
        self.clone().into_builder(&SQL_INFO).schema()
    }

    async fn rows(self, _sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
        let b = self.into_builder(&SQL_INFO);
        Ok(one_batch(b.schema(), b.build()))
    }
}

#[tonic::async_trait]
impl CatalogCall for CommandGetXdbcTypeInfo {
    fn schema(&self) -> SchemaRef {
        XDBC_TYPES.schema()
    }

    async fn rows(self, _sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
        let b = self.into_builder(&XDBC_TYPES);
        Ok(one_batch(b.schema(), b.build()))
    }
}

/// The key calls: report tables have no keys, so each answers with its schema and no rows.
macro_rules! no_keys {
    ($($cmd:ty => $schema:expr;)*) => {$(
        #[tonic::async_trait]
        impl CatalogCall for $cmd {
            fn schema(&self) -> SchemaRef {
                $schema
            }

            async fn rows(self, _sql: &SqlService) -> Result<BoxedStream<FlightData>, Status> {
                let schema = self.schema();
                let batch = RecordBatch::new_empty(schema.clone());
                Ok(one_batch(schema, Ok(batch)))
            }
        }
    )*};
}

no_keys! {
    CommandGetPrimaryKeys => primary_keys_schema();
    CommandGetExportedKeys => foreign_keys_schema();
    CommandGetImportedKeys => foreign_keys_schema();
    CommandGetCrossReference => foreign_keys_schema();
}

/// `GetFlightInfo` and `DoGet` of each catalog call, answered by its [`CatalogCall`]. The methods
/// are written in the form `#[tonic::async_trait]` gives trait methods: it does not rewrite the
/// methods a macro expands to.
macro_rules! catalog_calls {
    ($($cmd:ty => $info:ident, $get:ident;)*) => {$(
        fn $info<'s, 'f>(
            &'s self,
            query: $cmd,
            request: Request<FlightDescriptor>,
        ) -> Pin<Box<dyn Future<Output = Result<Response<FlightInfo>, Status>> + Send + 'f>>
        where
            's: 'f,
            Self: 'f,
        {
            Box::pin(async move { flight_info(&query.schema(), query.as_any(), request.into_inner()) })
        }

        fn $get<'s, 'f>(
            &'s self,
            query: $cmd,
            _request: Request<Ticket>,
        ) -> Pin<Box<dyn Future<Output = Result<Response<BoxedStream<FlightData>>, Status>> + Send + 'f>>
        where
            's: 'f,
            Self: 'f,
        {
            Box::pin(async move { Ok(Response::new(query.rows(self).await?)) })
        }
    )*};
}

#[tonic::async_trait]
impl FlightSqlService for SqlService {
    type FlightService = SqlService;

    async fn do_handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<BoxedStream<HandshakeResponse>>, Status> {
        Ok(one_message(HandshakeResponse {
            protocol_version: 0,
            payload: Bytes::new(),
        }))
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (handle, served) = self.new_handle(&query.query, &request)?;
        tracing::info!(rpc = "GetFlightInfo", sql = %sql_for_log(&handle.sql), account = ?handle.account, connection = %served.name, "SQL statement");
        self.statement_info(handle, served, request.into_inner())
            .await
    }

    async fn get_flight_info_prepared_statement(
        &self,
        cmd: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (handle, served) = self.handle_of(&cmd.prepared_statement_handle, &request)?;
        tracing::info!(rpc = "GetFlightInfo", sql = %sql_for_log(&handle.sql), connection = %served.name, "SQL prepared statement");
        self.statement_info(handle, served, request.into_inner())
            .await
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<BoxedStream<FlightData>>, Status> {
        let (handle, served) = self.handle_of(&ticket.statement_handle, &request)?;
        self.execute(handle, served).await
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<BoxedStream<FlightData>>, Status> {
        let (handle, served) = self.handle_of(&query.prepared_statement_handle, &request)?;
        self.execute(handle, served).await
    }

    catalog_calls! {
        CommandGetCatalogs => get_flight_info_catalogs, do_get_catalogs;
        CommandGetDbSchemas => get_flight_info_schemas, do_get_schemas;
        CommandGetTables => get_flight_info_tables, do_get_tables;
        CommandGetTableTypes => get_flight_info_table_types, do_get_table_types;
        CommandGetSqlInfo => get_flight_info_sql_info, do_get_sql_info;
        CommandGetXdbcTypeInfo => get_flight_info_xdbc_type_info, do_get_xdbc_type_info;
        CommandGetPrimaryKeys => get_flight_info_primary_keys, do_get_primary_keys;
        CommandGetExportedKeys => get_flight_info_exported_keys, do_get_exported_keys;
        CommandGetImportedKeys => get_flight_info_imported_keys, do_get_imported_keys;
        CommandGetCrossReference => get_flight_info_cross_reference, do_get_cross_reference;
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let access = access_of(&request);
        let header = header_connection(&request);
        self.bind_parameters(query, Box::pin(request.into_inner()), &access, header)
            .await
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<arrow_flight::Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let (handle, served) = self.new_handle(&query.query, &request)?;
        tracing::info!(rpc = "DoAction", sql = %sql_for_log(&handle.sql), connection = %served.name, "CreatePreparedStatement");
        let deadline = self.engine.deadline();
        let (params, dataset) = self
            .within(deadline, async {
                let df = self.parse(&handle, served).await?;
                let params = parameters(df.logical_plan())?;
                let dataset = if params.is_empty() {
                    df.create_physical_plan().await.map_err(df_status)?.schema()
                } else {
                    Arc::new(df.schema().as_arrow().clone())
                };
                Ok((params, dataset))
            })
            .await?;
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.encode(),
            dataset_schema: schema_bytes(&dataset)?,
            parameter_schema: schema_bytes(&parameter_schema(&params))?,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        _request: Request<arrow_flight::Action>,
    ) -> Result<(), Status> {
        // Handles hold everything: nothing to free.
        Ok(())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// `GetSchema` for a Flight SQL descriptor: the schema its `GetFlightInfo` announces.
pub async fn sql_schema(
    sql: &SqlService,
    request: Request<FlightDescriptor>,
) -> Result<arrow_flight::SchemaResult, Status> {
    let info = FlightService::get_flight_info(sql, request)
        .await?
        .into_inner();
    Ok(arrow_flight::SchemaResult {
        schema: info.schema,
    })
}

/// Flight SQL actions (types), answered by [`SqlService`].
pub fn is_sql_action(kind: &str) -> bool {
    matches!(
        kind,
        "CreatePreparedStatement"
            | "ClosePreparedStatement"
            | "CreatePreparedSubstraitPlan"
            | "BeginTransaction"
            | "EndTransaction"
            | "BeginSavepoint"
            | "EndSavepoint"
            | "CancelQuery"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_become_numbered_parameters() {
        assert_eq!(
            number_placeholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?"),
            "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2"
        );
        assert_eq!(
            number_placeholders("SELECT 'é'\n, ? -- ?\n"),
            "SELECT 'é'\n, $1 -- ?\n"
        );
        assert_eq!(number_placeholders("SELECT $1"), "SELECT $1");
    }

    #[test]
    fn handles_round_trip() {
        let h = Handle {
            sql: "SELECT 1".into(),
            account: Some("17".into()),
            connection: Some("shop".into()),
            params: None,
        };
        assert_eq!(Handle::decode(&h.encode()).unwrap(), h);
        assert!(Handle::decode(b"nope").is_err());
    }

    #[test]
    fn report_tickets_are_not_sql_commands() {
        assert!(sql_command(br#"{"report":"user"}"#).is_none());
        let any = CommandStatementQuery {
            query: "SELECT 1".into(),
            transaction_id: None,
        }
        .as_any();
        assert!(sql_command(&any.encode_to_vec()).is_some());
    }
}
