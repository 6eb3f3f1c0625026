//! `IgFlightService`: the Arrow Flight RPCs over the report layer.
//!
//! Every RPC that takes a ticket or a descriptor decodes and validates it first, so a bad ticket is
//! refused (`INVALID_ARGUMENT`) before any Graph call. `DoGet` streams the batches of
//! [`report_stream`] as Graph pages arrive; errors become statuses only through
//! [`ReportError::to_status`](crate::error::ReportError::to_status).
//!
//! Flight SQL shares the port: a ticket or `CMD` descriptor that is a protobuf `Any` of an
//! `arrow.flight.protocol.sql.*` message, a Flight SQL action, and every `DoPut` go to
//! [`SqlService`] (through arrow-flight's `FlightSqlService` dispatch); everything else is a report
//! ticket, handled here as before.

use std::pin::Pin;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::ipc::writer::IpcWriteOptions;
use arrow::record_batch::RecordBatch;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_descriptor::DescriptorType;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightEndpoint, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaAsIpc, SchemaResult, Ticket,
};
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::{Value, json};
use tonic::{Request, Response, Status, Streaming};

use super::auth::Access;
use super::connections::{Connections, Served, access_of, header_connection};
use super::examples::{Examples, generic_examples};
use super::sql::{SqlService, is_sql_action, sql_command, sql_schema};
use crate::error::ReportError;
use crate::plan::split::plan_parts;
use crate::plan::{ReportContext, report_stream};
use crate::reports::catalog::ReportKind;
use crate::reports::schema::{projected_schema, report_schema};
use crate::ticket::{self, ReportRequest, proto};

/// A boxed response stream.
pub type BoxedStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The actions of `DoAction`, with their descriptions.
pub const ACTIONS: [(&str, &str); 3] = [
    (
        "health",
        "Server status: {\"status\":\"ok\",\"graph_calls\":N}",
    ),
    (
        "list-reports",
        "The reports: name, description, parameters, schema and an example ticket (JSON array)",
    ),
    (
        "accounts",
        "The Facebook pages and Instagram business accounts a connection's Graph token reaches, its token's expiry \
         (with a warning under 7 days), and the connections this client may read; body: a connection name (optional)",
    ),
];

/// The Flight service.
#[derive(Debug, Clone)]
pub struct IgFlightService {
    conns: Arc<Connections>,
    sql: SqlService,
    examples: Arc<Examples>,
    /// How long a `DoGet` stream waits for a client that stopped reading before it stops the report.
    stall_timeout: std::time::Duration,
    /// The running `DoGet` streams, cut when the shutdown grace is over.
    drain: super::drain::Drain,
}

/// Default of [`IgFlightService::with_stall_timeout`].
pub const DEFAULT_STALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Batches a `DoGet` stream keeps ready for a client that reads slowly.
const DO_GET_BUFFER: usize = 2;

impl IgFlightService {
    /// A service over one connection (`ctx`), with the generic example tickets.
    pub fn new(ctx: Arc<ReportContext>) -> Self {
        Self::with_connections(Connections::single(Served::new(ctx)))
    }

    /// A service over several connections (the first is the default).
    pub fn with_connections(conns: Connections) -> Self {
        let conns = Arc::new(conns);
        IgFlightService {
            sql: SqlService::new(conns.clone()),
            conns,
            examples: Arc::new(generic_examples()),
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            drain: super::drain::Drain::new(),
        }
    }

    /// Run SQL within these limits (`--sql-memory`, `--sql-timeout`).
    pub fn with_sql_limits(mut self, limits: crate::sql::SqlLimits) -> Self {
        let synced = self.sql.synced().clone();
        self.sql = SqlService::with_limits(self.conns.clone(), limits).with_synced(synced);
        self
    }

    /// Serve these synced datasets as the Flight SQL tables `synced.<name>` (read from their Parquet
    /// files, no Graph call). Running them on a schedule is [`crate::sync::scheduler`]'s part.
    pub fn with_synced(mut self, datasets: impl Into<Arc<[crate::sync::DatasetSpec]>>) -> Self {
        self.sql = self.sql.with_synced(datasets);
        self
    }

    /// Stop a report whose client has not read for `timeout` (`--stall-timeout-secs`): its Graph
    /// stream, memory and run slot are released instead of being held by a client that went quiet.
    pub fn with_stall_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Use these example tickets in `list-reports` (reports missing here keep the generic one).
    pub fn with_examples(mut self, examples: Examples) -> Self {
        let mut all = generic_examples();
        all.extend(examples);
        self.examples = Arc::new(all);
        self
    }

    /// The Flight SQL side.
    pub fn sql(&self) -> &SqlService {
        &self.sql
    }

    /// The report context of the default connection.
    pub fn context(&self) -> &Arc<ReportContext> {
        &self.conns.first().ctx
    }

    /// The served connections.
    pub fn connections(&self) -> &Arc<Connections> {
        &self.conns
    }

    /// Its running `DoGet` streams (shared by clones; [`super::serve_with`] cuts them after the
    /// shutdown grace).
    pub fn drain(&self) -> &super::drain::Drain {
        &self.drain
    }

    /// Decode and validate ticket bytes (JSON or protobuf), without a call
    /// ([`ReportContext::check_now`]: against the catalog of the version that answers, or any catalog
    /// while it is unknown; [`ReportContext::final_request`] checks again once it is).
    fn request_from_ticket(&self, bytes: &[u8]) -> Result<ReportRequest, Status> {
        let ctx = self.context();
        let today = ctx.today();
        ctx.check_now(|v| ticket::decode(bytes, today, v))
            .map_err(Status::from)
    }

    /// The connection `req` runs on for a request with this access and header: the ticket's
    /// `connection`, else the header's, else the client's default. Refused before any Graph call
    /// when the credential may not read it.
    fn served_for<T>(&self, req: &ReportRequest, request: &Request<T>) -> Result<&Served, Status> {
        let requested = req
            .connection
            .clone()
            .or_else(|| header_connection(request));
        self.conns
            .resolve(requested.as_deref(), &access_of(request))
            .map_err(|e| e.to_status())
    }

    /// What a descriptor names: `CMD <ticket>` (a validated request) or `PATH [report]` (the report
    /// alone: its parameters are the client's to give in a CMD descriptor).
    fn target_of(&self, d: &FlightDescriptor) -> Result<Target, Status> {
        match DescriptorType::try_from(d.r#type) {
            Ok(DescriptorType::Cmd) => {
                Ok(Target::Request(Box::new(self.request_from_ticket(&d.cmd)?)))
            }
            Ok(DescriptorType::Path) => {
                let [report] = d.path.as_slice() else {
                    return Err(Status::invalid_argument(format!(
                        "a PATH descriptor has exactly one element, the report name; got {} elements. Reports: {}",
                        d.path.len(),
                        ReportKind::names()
                    )));
                };
                ReportKind::from_name(report)
                    .map(Target::Report)
                    .ok_or_else(|| {
                        Status::invalid_argument(format!(
                            "unknown report `{}` in the PATH descriptor; accepted: {}",
                            crate::telemetry::bounded(report, 64),
                            ReportKind::names()
                        ))
                    })
            }
            _ => Err(Status::invalid_argument(
                "unknown descriptor type; accepted: CMD (a ticket, JSON or protobuf) or PATH [report]",
            )),
        }
    }

    /// `GetFlightInfo(PATH [report])`: a report that needs no parameter but its account answers one
    /// endpoint per account the client may read (each ticket names its account and connection); one
    /// that needs a hashtag, username or media id says which key to put in a CMD descriptor.
    async fn path_flight_info(
        &self,
        report: ReportKind,
        descriptor: FlightDescriptor,
        access: &Access,
    ) -> Result<FlightInfo, Status> {
        if let Some(key) = report.required().first() {
            return Err(Status::invalid_argument(format!(
                "report `{report}` needs key `{key}`: ask GetFlightInfo with a CMD descriptor holding a ticket, e.g. {{\"report\": \"{report}\", \"{key}\": \"…\"}}"
            )));
        }
        let mut tickets = Vec::new();
        if report.accepted().contains(&"account") {
            for served in self.conns.readable(access) {
                let ctx = served.ctx.clone();
                let summary = crate::plan::RunSummary::default();
                let pages = crate::plan::list_pages(&ctx, &summary)
                    .await
                    .map_err(|e| e.for_connection(ctx.connection.as_deref()).to_status())
                    .inspect_err(|s| served.observe(s))?;
                for ig in pages.iter().filter_map(|p| p.ig_user_id.as_deref()) {
                    tickets.push(proto::ReportTicket {
                        report: report.name().into(),
                        account: Some(ig.to_string()),
                        connection: Some(served.name.clone()),
                        ..Default::default()
                    });
                }
            }
        } else {
            tickets.push(proto::ReportTicket {
                report: report.name().into(),
                ..Default::default()
            });
        }
        let mut info = FlightInfo::new()
            .try_with_schema(&report_schema(report))
            .map_err(|e| Status::internal(format!("could not encode the schema: {e}")))?
            .with_descriptor(descriptor)
            .with_total_records(-1)
            .with_total_bytes(-1)
            .with_ordered(tickets.len() <= 1);
        for t in &tickets {
            info = info
                .with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket::encode(t))));
        }
        Ok(info)
    }

    /// `GetFlightInfo(CMD <ticket>)`: one endpoint with the ticket, or — for a big request that splits
    /// ([`plan_parts`]: a `user_insights` range of several 30-day windows) — one endpoint per part, each
    /// naming its account and connection, so a client fetches them in parallel and retries one alone.
    /// No Graph call unless the request splits (then at most the version-learning call and the cached
    /// `me/accounts`, which its run would spend anyway).
    async fn flight_info(
        &self,
        served: &Served,
        req: ReportRequest,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        let schema = projected_schema(req.report, req.fields.as_deref());
        let ctx = &served.ctx;
        let parts = plan_parts(ctx, req)
            .await
            .map_err(|e| e.for_connection(ctx.connection.as_deref()).to_status())
            .inspect_err(|s| served.observe(s))?;
        let split = parts.len() > 1;
        let mut info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(|e| Status::internal(format!("could not encode the schema: {e}")))?
            .with_descriptor(descriptor)
            .with_total_records(-1)
            .with_total_bytes(-1)
            .with_ordered(!split);
        for part in parts {
            let mut raw = part.raw;
            if split {
                raw.connection = Some(served.name.clone());
            }
            info = info.with_endpoint(
                FlightEndpoint::new().with_ticket(Ticket::new(ticket::encode(&raw))),
            );
        }
        if split {
            tracing::info!(
                rpc = "GetFlightInfo",
                endpoints = info.endpoint.len(),
                connection = %served.name,
                "request split into endpoints"
            );
        }
        Ok(info)
    }

    /// `list-reports`: one JSON object per report.
    pub fn list_reports(&self) -> Value {
        let reports: Vec<Value> = ReportKind::ALL
            .iter()
            .map(|r| {
                json!({
                    "name": r.name(),
                    "description": r.description(),
                    "required": r.required(),
                    "accepted": r.accepted(),
                    "schema": schema_json(&report_schema(*r)),
                    "example": self.examples.get(r).cloned().unwrap_or(Value::Null),
                })
            })
            .collect();
        Value::Array(reports)
    }

    /// `health`: server version, Graph calls, and the Graph API version asked for and served on each
    /// connection `access` may read.
    pub fn health(&self, access: &Access) -> Value {
        json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "graph_calls": self.conns.graph_calls(),
            "graph_versions": self.conns.graph_versions(access),
        })
    }

    /// `accounts`: runs the `pages` report on `served`, with its token's expiry and the connections
    /// `access` may read.
    pub async fn accounts(&self, served: &Served, access: &Access) -> Result<Value, Status> {
        let ctx = served.ctx.clone();
        let req = ticket::validate(
            proto::ReportTicket {
                report: ReportKind::Pages.name().into(),
                ..Default::default()
            },
            ctx.today(),
            ctx.api_version(),
        )?;
        let now = ctx.now();
        let rs = report_stream(ctx, req);
        let batches: Vec<RecordBatch> = rs
            .batches
            .try_collect()
            .await
            .map_err(|e: ReportError| e.to_status())
            .inspect_err(|s| served.observe(s))?;
        served.recheck();
        let rows = batches_to_json(&batches)?;
        let accounts: Vec<Value> = rows
            .iter()
            .filter(|r| r.get("ig_user_id").is_some_and(|v| !v.is_null()))
            .map(|r| {
                json!({
                    "ig_user_id": r["ig_user_id"],
                    "ig_username": r.get("ig_username").cloned().unwrap_or(Value::Null),
                    "page_id": r["page_id"],
                    "page_name": r.get("page_name").cloned().unwrap_or(Value::Null),
                })
            })
            .collect();
        let expiry = served.expiry_json(now);
        let versions = served.graph_version_json();
        let connections: Vec<Value> = self
            .conns
            .readable(access)
            .map(|s| {
                let mut v = s.expiry_json(now);
                v["name"] = json!(s.name);
                v
            })
            .collect();
        Ok(json!({
            "connection": served.name,
            "pages": rows,
            "accounts": accounts,
            "token_expires_at": expiry["token_expires_at"],
            "expires_in_days": expiry["expires_in_days"],
            "warning": expiry["warning"],
            "connections": connections,
            "graph_version_asked": versions["graph_version_asked"],
            "graph_version_served": versions["graph_version_served"],
        }))
    }
}

/// A schema as a list of `{name, type, nullable}`.
pub fn schema_json(schema: &SchemaRef) -> Value {
    Value::Array(
        schema
            .fields()
            .iter()
            .map(|f| json!({"name": f.name(), "type": f.data_type().to_string(), "nullable": f.is_nullable()}))
            .collect(),
    )
}

fn batches_to_json(batches: &[RecordBatch]) -> Result<Vec<Value>, Status> {
    let mut w = arrow::json::ArrayWriter::new(Vec::new());
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    w.write_batches(&refs)
        .and_then(|_| w.finish())
        .map_err(|e| Status::internal(format!("could not write JSON: {e}")))?;
    let buf = w.into_inner();
    if buf.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&buf).map_err(|e| Status::internal(format!("could not read JSON: {e}")))
}

/// A `CMD` descriptor holding a Flight SQL command.
fn is_sql_descriptor(d: &FlightDescriptor) -> bool {
    matches!(DescriptorType::try_from(d.r#type), Ok(DescriptorType::Cmd))
        && sql_command(&d.cmd).is_some()
}

/// What a descriptor names.
enum Target {
    /// A ticket (CMD), validated.
    Request(Box<ReportRequest>),
    /// A report (PATH), without parameters.
    Report(ReportKind),
}

fn describe_descriptor(d: &FlightDescriptor) -> String {
    match DescriptorType::try_from(d.r#type) {
        Ok(DescriptorType::Path) => format!(
            "PATH [{}] ({} elements)",
            crate::telemetry::bounded(&d.path.join(", "), 100),
            d.path.len()
        ),
        Ok(DescriptorType::Cmd) => format!("CMD ({} bytes)", d.cmd.len()),
        _ => "unknown".into(),
    }
}

/// The `DoGet` stream: the schema first (even for an empty report), then each batch as it arrives. It
/// ends with status OK, or with the report's status if it fails part way (code preserved); either way
/// the trailers carry the run summary ([`SUMMARY_TRAILER`]).
pub fn do_get_stream(ctx: Arc<ReportContext>, req: ReportRequest) -> BoxedStream<FlightData> {
    let report = req.report;
    let rs = report_stream(ctx, req);
    let summary = rs.summary.clone();
    let batches = rs
        .batches
        .map_err(|e| FlightError::Tonic(Box::new(e.to_status())));
    let mut encoder = FlightDataEncoderBuilder::new()
        .with_schema(rs.schema.clone())
        .build(batches);
    let s = async_stream::stream! {
        while let Some(item) = encoder.next().await {
            match item {
                Ok(data) => yield Ok(data),
                Err(e) => {
                    let status = with_summary(Status::from(e), &summary.to_json());
                    // the run's one summary line is the report layer's `report done`
                    tracing::debug!(
                        report = report.name(),
                        code = ?status.code(),
                        rows = summary.rows(),
                        graph_calls = summary.graph_calls(),
                        "DoGet ended with an error"
                    );
                    yield Err(status);
                    return;
                }
            }
        }
        let json = summary.to_json();
        tracing::debug!(report = report.name(), summary = %json, "DoGet done");
        // A status with code OK ends the stream normally; its metadata become the trailers.
        yield Err(with_summary(Status::ok(""), &json));
    };
    Box::pin(s)
}

/// Run `stream` in its own task that hands items over a small buffer; when the client stops reading
/// for `timeout`, the task ends (dropping the report stream: no more Graph calls, its memory and run
/// slot freed) and the client, if it ever reads again, gets `DEADLINE_EXCEEDED` after what was
/// buffered — never a silently short result.
pub fn guard_stall(
    stream: BoxedStream<FlightData>,
    timeout: std::time::Duration,
) -> BoxedStream<FlightData> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<FlightData, Status>>(DO_GET_BUFFER);
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stalled.clone();
    tokio::spawn(async move {
        let mut stream = stream;
        while let Some(item) = stream.next().await {
            match tx.send_timeout(item, timeout).await {
                Ok(()) => {}
                Err(tokio::sync::mpsc::error::SendTimeoutError::Timeout(_)) => {
                    flag.store(true, std::sync::atomic::Ordering::Release);
                    tracing::warn!(
                        timeout_secs = timeout.as_secs(),
                        "DoGet client stopped reading: report stopped"
                    );
                    return;
                }
                // the client went away: dropping the stream stops the Graph calls
                Err(tokio::sync::mpsc::error::SendTimeoutError::Closed(_)) => return,
            }
        }
    });
    let s = async_stream::stream! {
        while let Some(item) = rx.recv().await {
            yield item;
        }
        if stalled.load(std::sync::atomic::Ordering::Acquire) {
            yield Err(Status::deadline_exceeded(format!(
                "the client did not read for {} s, so the report was stopped (--stall-timeout-secs); ask again",
                timeout.as_secs()
            )));
        }
    };
    Box::pin(s)
}

/// The gRPC trailer that carries the run summary JSON at the end of a `DoGet` stream (on success and
/// on failure). A trailing metadata-only `FlightData` cannot carry it: arrow-rs readers refuse an empty
/// data header, and Arrow C++ (pyarrow) readers refuse a `NONE` message header.
pub const SUMMARY_TRAILER: &str = "x-igflight-summary";

/// `status` with the run summary added as the [`SUMMARY_TRAILER`] trailer.
pub fn with_summary(mut status: Status, summary: &Value) -> Status {
    // JSON as printable ASCII (serde_json leaves non-ASCII characters unescaped).
    let mut text = String::new();
    for c in summary.to_string().chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            text.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                text.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    if let Ok(v) = text.parse() {
        status.metadata_mut().insert(SUMMARY_TRAILER, v);
    }
    status
}

#[tonic::async_trait]
impl FlightService for IgFlightService {
    type HandshakeStream = BoxedStream<HandshakeResponse>;
    type ListFlightsStream = BoxedStream<FlightInfo>;
    type DoGetStream = BoxedStream<FlightData>;
    type DoPutStream = BoxedStream<PutResult>;
    type DoActionStream = BoxedStream<arrow_flight::Result>;
    type ListActionsStream = BoxedStream<ActionType>;
    type DoExchangeStream = BoxedStream<FlightData>;

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        tracing::info!(rpc = "Handshake", "rpc");
        // With authentication on (the auth layer puts the authenticator in the extensions), Basic
        // credentials are answered with a session bearer token in `authorization: Bearer …`;
        // without it, answer once with an empty payload.
        let bearer = match request
            .extensions()
            .get::<Arc<super::auth::Authenticator>>()
        {
            Some(auth) => {
                let header = request
                    .metadata()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok());
                match auth.handshake(header) {
                    Ok(token) => Some(token),
                    Err(status) => {
                        tracing::warn!(rpc = "Handshake", "handshake refused: bad credentials");
                        return Err(status);
                    }
                }
            }
            None => None,
        };
        let resp = HandshakeResponse {
            protocol_version: 0,
            payload: bearer
                .as_ref()
                .map(|t| Bytes::from(t.clone()))
                .unwrap_or_default(),
        };
        let mut response: Response<Self::HandshakeStream> =
            Response::new(Box::pin(futures::stream::once(async { Ok(resp) })));
        if let Some(token) = bearer {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::internal("could not encode the session token"))?;
            response.metadata_mut().insert("authorization", value);
        }
        Ok(response)
    }

    async fn list_flights(
        &self,
        request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        let filter = String::from_utf8_lossy(&request.get_ref().expression).to_string();
        tracing::info!(rpc = "ListFlights", filter = %crate::telemetry::Bounded(&filter), "rpc");
        let mut infos = Vec::new();
        for r in ReportKind::ALL {
            if !filter.is_empty() && !r.name().contains(filter.as_str()) {
                continue;
            }
            let info = FlightInfo::new()
                .try_with_schema(&report_schema(r))
                .map_err(|e| Status::internal(format!("could not encode the schema: {e}")))?
                .with_descriptor(FlightDescriptor::new_path(vec![r.name().to_string()]))
                .with_total_records(-1)
                .with_total_bytes(-1);
            infos.push(Ok(info));
        }
        Ok(Response::new(Box::pin(futures::stream::iter(infos))))
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        if is_sql_descriptor(request.get_ref()) {
            return FlightService::get_flight_info(&self.sql, request).await;
        }
        tracing::info!(rpc = "GetFlightInfo", descriptor = %describe_descriptor(request.get_ref()), "rpc");
        match self.target_of(request.get_ref())? {
            Target::Request(req) => {
                let served = self.served_for(&req, &request)?;
                let info = self
                    .flight_info(served, *req, request.get_ref().clone())
                    .await?;
                Ok(Response::new(info))
            }
            Target::Report(report) => {
                let access = access_of(&request);
                let info = self
                    .path_flight_info(report, request.into_inner(), &access)
                    .await?;
                Ok(Response::new(info))
            }
        }
    }

    async fn poll_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        tracing::info!(rpc = "PollFlightInfo", "rpc");
        Err(Status::unimplemented(
            "PollFlightInfo is not supported: reports are streamed; use GetFlightInfo then DoGet",
        ))
    }

    async fn get_schema(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        if is_sql_descriptor(request.get_ref()) {
            return Ok(Response::new(sql_schema(&self.sql, request).await?));
        }
        tracing::info!(rpc = "GetSchema", descriptor = %describe_descriptor(request.get_ref()), "rpc");
        // the schema of a report does not depend on its parameters: PATH answers it, always
        let schema = match self.target_of(request.get_ref())? {
            Target::Request(req) => {
                self.served_for(&req, &request)?;
                projected_schema(req.report, req.fields.as_deref())
            }
            Target::Report(report) => report_schema(report),
        };
        let result: SchemaResult = SchemaAsIpc::new(&schema, &IpcWriteOptions::default())
            .try_into()
            .map_err(|e| Status::internal(format!("could not encode the schema: {e}")))?;
        Ok(Response::new(result))
    }

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        if sql_command(&request.get_ref().ticket).is_some() {
            let response = FlightService::do_get(&self.sql, request).await?;
            return Ok(response.map(|s| self.drain.guard(s)));
        }
        let req = self
            .request_from_ticket(&request.get_ref().ticket)
            .inspect_err(|s| {
                tracing::info!(rpc = "DoGet", code = ?s.code(), "ticket refused");
            })?;
        let served = self.served_for(&req, &request).inspect_err(|s| {
            tracing::info!(rpc = "DoGet", code = ?s.code(), "connection refused");
        })?;
        let req = served
            .ctx
            .final_request(req)
            .await
            .map_err(Status::from)
            .inspect_err(|s| {
                served.observe(s);
                tracing::info!(rpc = "DoGet", code = ?s.code(), "ticket refused");
            })?;
        tracing::info!(
            rpc = "DoGet",
            ticket = %crate::telemetry::Bounded(&ticket::to_json(&req.raw).to_string()),
            connection = %served.name,
            "rpc"
        );
        // every DoGet stream, report or SQL, counts as running for the shutdown grace
        Ok(Response::new(self.drain.guard(guard_stall(
            super::health::watch_refusals(served.clone(), do_get_stream(served.ctx.clone(), req)),
            self.stall_timeout,
        ))))
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        tracing::info!(rpc = "DoPut", "rpc");
        let access = access_of(&request);
        let header = header_connection(&request);
        // Reports take no uploads; Flight SQL binds prepared-statement parameters with DoPut.
        let mut stream = request.into_inner();
        let Some(first) = stream.message().await? else {
            return Err(Status::invalid_argument(
                "DoPut without any message: the first one carries the command descriptor",
            ));
        };
        let cmd = first
            .flight_descriptor
            .as_ref()
            .filter(|d| is_sql_descriptor(d))
            .and_then(|d| sql_command(&d.cmd));
        let Some(cmd) = cmd else {
            return Err(Status::unimplemented(
                "DoPut is not supported: igflight serves Instagram reports read-only",
            ));
        };
        let data = futures::stream::once(async { Ok(first) }).chain(stream);
        self.sql
            .do_put_command(cmd, Box::pin(data), &access, header)
            .await
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        if is_sql_action(&request.get_ref().r#type) {
            tracing::info!(rpc = "DoAction", action = %crate::telemetry::Bounded(&request.get_ref().r#type), "rpc");
            return FlightService::do_action(&self.sql, request).await;
        }
        let access = access_of(&request);
        let header = header_connection(&request);
        let action = request.into_inner();
        tracing::info!(rpc = "DoAction", action = %crate::telemetry::Bounded(&action.r#type), "rpc");
        let body = match action.r#type.as_str() {
            "health" => self.health(&access),
            "list-reports" => self.list_reports(),
            "accounts" => {
                let named = String::from_utf8_lossy(&action.body).trim().to_string();
                let requested = Some(named).filter(|n| !n.is_empty()).or(header);
                let served = self
                    .conns
                    .resolve(requested.as_deref(), &access)
                    .map_err(|e| e.to_status())?;
                self.accounts(served, &access).await?
            }
            other => {
                return Err(Status::invalid_argument(format!(
                    "unknown action `{}`; accepted: {}",
                    crate::telemetry::bounded(other, 64),
                    ACTIONS.map(|a| a.0).join(", ")
                )));
            }
        };
        let result = arrow_flight::Result::new(Bytes::from(body.to_string()));
        Ok(Response::new(Box::pin(futures::stream::once(async {
            Ok(result)
        }))))
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        tracing::info!(rpc = "ListActions", "rpc");
        let actions: Vec<Result<ActionType, Status>> = ACTIONS
            .iter()
            .map(|(t, d)| {
                Ok(ActionType {
                    r#type: t.to_string(),
                    description: d.to_string(),
                })
            })
            .collect();
        // The Flight SQL actions (CreatePreparedStatement, ClosePreparedStatement) are answered by
        // DoAction but not listed: Flight SQL clients know them from the protocol.

        Ok(Response::new(Box::pin(futures::stream::iter(actions))))
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        tracing::info!(rpc = "DoExchange", "rpc");
        Err(Status::unimplemented(
            "DoExchange is not supported: use DoGet with a report ticket",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that stops reading: the producer stops within the timeout (no more items pulled from
    /// the report), and the client, reading again, gets what was buffered and then DEADLINE_EXCEEDED.
    #[tokio::test]
    async fn a_client_that_stops_reading_stops_the_report() {
        let pulled = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let p = pulled.clone();
        let endless = futures::stream::repeat_with(move || {
            p.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(FlightData::default())
        });
        let timeout = std::time::Duration::from_millis(300);
        let mut s = guard_stall(Box::pin(endless), timeout);
        assert!(s.next().await.unwrap().is_ok());
        // the client goes quiet for longer than the timeout
        tokio::time::sleep(timeout * 3).await;
        let after_stall = pulled.load(std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(timeout * 3).await;
        assert_eq!(
            pulled.load(std::sync::atomic::Ordering::SeqCst),
            after_stall,
            "nothing more is pulled from the report"
        );
        assert!(after_stall <= (DO_GET_BUFFER + 3) as u64, "{after_stall}");
        let rest: Vec<_> = s.collect().await;
        let last = rest.last().unwrap().as_ref().unwrap_err();
        assert_eq!(last.code(), tonic::Code::DeadlineExceeded);
        assert!(last.message().contains("--stall-timeout-secs"), "{last}");
    }

    #[tokio::test]
    async fn a_reading_client_gets_everything() {
        let items = (0..50).map(|_| Ok(FlightData::default()));
        let s = guard_stall(
            Box::pin(futures::stream::iter(items)),
            std::time::Duration::from_secs(5),
        );
        let got: Vec<_> = s.collect().await;
        assert_eq!(got.len(), 50);
        assert!(got.iter().all(Result::is_ok));
    }

    #[test]
    fn the_summary_trailer_is_ascii_json() {
        let v = json!({"rows": 1, "skipped": {"café 🎉": 2}});
        let s = with_summary(Status::ok(""), &v);
        let text = s.metadata().get(SUMMARY_TRAILER).unwrap().to_str().unwrap();
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), v);
    }
}
