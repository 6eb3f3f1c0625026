//! Flight SQL on the Flight port, from arrow-flight's `FlightSqlServiceClient`, against the server over
//! the in-process simulated Graph API: statements, joins, the catalog calls, prepared statements with
//! bound parameters, errors as statuses, and plain report tickets on the same server.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables, SqlInfo};
use arrow_flight::{FlightClient, FlightInfo, Ticket};
use futures::TryStreamExt;
use igflight::flight::FlightServerHandle;
use igflight::reports::catalog::ReportKind;
use igflight::reports::schema::report_schema;
use igflight::sim::{SimConfig, SimHandle};
use serde_json::json;
use tonic::Code;
use tonic::transport::Channel;

use common::{client, start_flight, start_sim};

struct Rig {
    sim: SimHandle,
    _server: FlightServerHandle,
    flight: FlightClient,
    channel: Channel,
}

impl Rig {
    async fn new() -> Rig {
        let sim = start_sim(SimConfig::default()).await;
        let graph = client(&sim);
        let (server, flight) = start_flight(&sim, graph).await;
        let channel = Channel::from_shared(server.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        Rig {
            sim,
            _server: server,
            flight,
            channel,
        }
    }

    fn sql(&self) -> FlightSqlServiceClient<Channel> {
        FlightSqlServiceClient::new(self.channel.clone())
    }

    /// A client whose session's default account is `account`.
    fn sql_as(&self, account: &str) -> FlightSqlServiceClient<Channel> {
        let mut c = self.sql();
        c.set_header("x-igflight-account", account);
        c
    }
}

/// Every endpoint of `info`, fetched.
async fn fetch(
    c: &mut FlightSqlServiceClient<Channel>,
    info: FlightInfo,
) -> Result<Vec<RecordBatch>, FlightError> {
    let mut out = Vec::new();
    for ep in info.endpoint {
        let ticket = ep.ticket.expect("an endpoint ticket");
        let batches: Vec<RecordBatch> = c.do_get(ticket).await?.try_collect().await?;
        out.extend(batches);
    }
    Ok(out)
}

async fn query(c: &mut FlightSqlServiceClient<Channel>, q: &str) -> Vec<RecordBatch> {
    let info = c.execute(q.to_string(), None).await.expect("planned");
    fetch(c, info).await.expect("executed")
}

fn strings(batches: &[RecordBatch], col: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let a = arrow::compute::cast(b.column_by_name(col).unwrap(), &DataType::Utf8).unwrap();
        let a = a.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..a.len() {
            out.push(a.is_valid(i).then(|| a.value(i).to_string()));
        }
    }
    out
}

fn ints(batches: &[RecordBatch], col: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for b in batches {
        let a = arrow::compute::cast(b.column_by_name(col).unwrap(), &DataType::Int64).unwrap();
        out.extend(a.as_primitive::<Int64Type>().iter().map(Option::unwrap));
    }
    out
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn status_of(e: &FlightError) -> (Code, String) {
    match e {
        FlightError::Tonic(s) => (s.code(), s.message().to_string()),
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

#[tokio::test]
async fn a_statement_counts_media_types_like_the_simulator() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[1];
    let mut c = rig.sql();
    let got = query(
        &mut c,
        &format!(
            "SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = '{}' GROUP BY 1",
            acc.id
        ),
    )
    .await;
    let got: BTreeMap<String, i64> = strings(&got, "media_type")
        .into_iter()
        .map(Option::unwrap)
        .zip(ints(&got, "n"))
        .collect();
    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for m in &acc.media {
        *want.entry(m.media_type.as_str().to_string()).or_default() += 1;
    }
    assert_eq!(got, want);
}

#[tokio::test]
async fn the_flight_info_schema_is_the_streamed_schema() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let mut c = rig.sql();
    let q = format!(
        "SELECT id, media_type, like_count FROM user_media WHERE ig_user_id = '{}' LIMIT 3",
        ds.accounts[0].id
    );
    let info = c.execute(q, None).await.unwrap();
    let announced = info.clone().try_decode_schema().unwrap();
    assert_eq!(info.endpoint.len(), 1);
    let batches = fetch(&mut c, info).await.unwrap();
    assert_eq!(rows(&batches), 3);
    assert_eq!(batches[0].schema().fields(), announced.fields());
}

#[tokio::test]
async fn user_media_joins_media_insights_with_the_account_header() {
    let mut rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let mut c = rig.sql_as(&acc.id);
    let got = query(
        &mut c,
        "SELECT m.id, m.media_type, i.metric, i.value FROM user_media m \
         JOIN media_insights i ON i.media_id = m.id",
    )
    .await;
    assert!(rows(&got) > 0);
    let own: BTreeSet<String> = acc.media.iter().map(|m| m.id.clone()).collect();
    for id in strings(&got, "id") {
        assert!(own.contains(&id.unwrap()));
    }
    // the same rows as the report ticket on the plain Flight side
    let flight = &mut rig.flight;
    let insights: Vec<RecordBatch> = flight
        .do_get(Ticket::new(
            json!({"report":"media_insights","account":acc.id}).to_string(),
        ))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows(&got), rows(&insights));
}

#[tokio::test]
async fn catalog_calls_list_the_reports() {
    let rig = Rig::new().await;
    let mut c = rig.sql();

    let info = c.get_catalogs().await.unwrap();
    let catalogs = fetch(&mut c, info).await.unwrap();
    assert_eq!(
        strings(&catalogs, "catalog_name"),
        vec![Some("datafusion".into())]
    );

    let info = c
        .get_db_schemas(CommandGetDbSchemas {
            catalog: None,
            db_schema_filter_pattern: None,
        })
        .await
        .unwrap();
    let schemas = fetch(&mut c, info).await.unwrap();
    assert_eq!(
        strings(&schemas, "db_schema_name"),
        vec![Some("public".into())]
    );

    let info = c.get_table_types().await.unwrap();
    let types = fetch(&mut c, info).await.unwrap();
    assert_eq!(strings(&types, "table_type"), vec![Some("TABLE".into())]);

    let info = c
        .get_tables(CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: None,
            table_name_filter_pattern: None,
            table_types: vec![],
            include_schema: true,
        })
        .await
        .unwrap();
    let tables = fetch(&mut c, info).await.unwrap();
    let names: BTreeSet<String> = strings(&tables, "table_name")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let want: BTreeSet<String> = ReportKind::ALL
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(names, want);
    assert!(
        strings(&tables, "table_type")
            .iter()
            .all(|t| t.as_deref() == Some("TABLE"))
    );
    // each table's schema is the report's
    let b = &tables[0];
    let name = b.column_by_name("table_name").unwrap().as_string::<i32>();
    let schema = b.column_by_name("table_schema").unwrap().as_binary::<i32>();
    for i in 0..b.num_rows() {
        let kind = ReportKind::ALL
            .into_iter()
            .find(|r| r.name() == name.value(i))
            .unwrap();
        let got = try_schema_from_ipc_buffer(schema.value(i)).unwrap();
        assert_eq!(got.fields(), report_schema(kind).fields(), "{kind:?}");
    }

    // a LIKE pattern and a table type filter
    let info = c
        .get_tables(CommandGetTables {
            catalog: Some("datafusion".into()),
            db_schema_filter_pattern: Some("public".into()),
            table_name_filter_pattern: Some("hashtag%".into()),
            table_types: vec!["TABLE".into()],
            include_schema: false,
        })
        .await
        .unwrap();
    let tables = fetch(&mut c, info).await.unwrap();
    assert_eq!(
        strings(&tables, "table_name"),
        vec![
            Some("hashtag_recent_media".into()),
            Some("hashtag_top_media".into())
        ]
    );

    // GetSqlInfo
    let info = c
        .get_sql_info(vec![
            SqlInfo::FlightSqlServerName,
            SqlInfo::FlightSqlServerReadOnly,
        ])
        .await
        .unwrap();
    let infos = fetch(&mut c, info).await.unwrap();
    assert_eq!(rows(&infos), 2);
    let text = arrow::util::pretty::pretty_format_batches(&infos)
        .unwrap()
        .to_string();
    assert!(text.contains("igflight"), "{text}");
    assert!(text.contains("true"), "{text}");
}

#[tokio::test]
async fn a_prepared_statement_binds_a_parameter() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let mut c = rig.sql();
    let mut stmt = c
        .prepare(
            "SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = ? GROUP BY 1 ORDER BY 1"
                .into(),
            None,
        )
        .await
        .unwrap();
    let params = stmt.parameter_schema().unwrap().clone();
    assert_eq!(params.fields().len(), 1);
    assert_eq!(params.field(0).data_type(), &DataType::Utf8);
    assert_eq!(stmt.dataset_schema().unwrap().fields().len(), 2);
    for acc in &ds.accounts {
        let schema = Arc::new(Schema::new(vec![Field::new("0", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec![acc.id.as_str()]))],
        )
        .unwrap();
        stmt.set_parameters(batch).unwrap();
        let info = stmt.execute().await.unwrap();
        let got = fetch(&mut c, info).await.unwrap();
        assert_eq!(
            ints(&got, "n").iter().sum::<i64>(),
            acc.media.len() as i64,
            "{}",
            acc.id
        );
    }
    stmt.close().await.unwrap();

    // a parameter of another type is cast to the inferred one
    let mut stmt = c
        .prepare(
            "SELECT count(*) AS n FROM user_media WHERE ig_user_id = $1".into(),
            None,
        )
        .await
        .unwrap();
    let id: i64 = ds.accounts[0].id.parse().unwrap();
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("p", DataType::Int64, true)])),
        vec![Arc::new(arrow::array::Int64Array::from(vec![id]))],
    )
    .unwrap();
    stmt.set_parameters(batch).unwrap();
    let info = stmt.execute().await.unwrap();
    let got = fetch(&mut c, info).await.unwrap();
    assert_eq!(ints(&got, "n"), vec![ds.accounts[0].media.len() as i64]);

    // executing without binding says what to do
    let mut stmt = c
        .prepare(
            "SELECT count(*) FROM user_media WHERE ig_user_id = ?".into(),
            None,
        )
        .await
        .unwrap();
    let err = stmt.execute().await.unwrap_err();
    let (code, text) = status_of(&err);
    assert_eq!(code, Code::InvalidArgument, "{text}");
    assert!(text.contains("bind"), "{text}");
}

#[tokio::test]
async fn a_hashtag_query_without_its_hashtag_is_invalid_argument() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let mut c = rig.sql_as(&ds.accounts[0].id);
    let err = c
        .execute("SELECT * FROM hashtag_recent_media".into(), None)
        .await
        .unwrap_err();
    let (code, text) = status_of(&err);
    assert_eq!(code, Code::InvalidArgument, "{text}");
    assert!(text.contains("WHERE hashtag = "), "{text}");
    // a SQL syntax error too, and writes are refused
    let (code, text) = status_of(&c.execute("SELEC 1".into(), None).await.unwrap_err());
    assert_eq!(code, Code::InvalidArgument, "{text}");
    let (code, text) = status_of(
        &c.execute("CREATE TABLE t AS SELECT 1".into(), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::InvalidArgument, "{text}");
    // a media that does not exist: NOT_FOUND, from the stream
    let info = c
        .execute(
            "SELECT * FROM media_comments WHERE media_id = '999999999'".into(),
            None,
        )
        .await
        .unwrap();
    let err = fetch(&mut c, info).await.unwrap_err();
    let (code, text) = status_of(&err);
    assert_eq!(code, Code::NotFound, "{text}");
}

#[tokio::test]
async fn plain_report_tickets_still_work_on_the_same_port() {
    let mut rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let mut c = rig.sql();
    let flight = &mut rig.flight;
    let batches: Vec<RecordBatch> = flight
        .do_get(Ticket::new(
            json!({"report":"user_media","account":acc.id}).to_string(),
        ))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows(&batches), acc.media.len());

    // and SQL on the same server
    let got = query(
        &mut c,
        &format!(
            "SELECT count(*) AS n FROM user_media WHERE ig_user_id = '{}'",
            acc.id
        ),
    )
    .await;
    assert_eq!(ints(&got, "n"), vec![acc.media.len() as i64]);

    // ListActions lists the report actions (Flight SQL clients know the SQL ones from the protocol)
    let actions: Vec<String> = flight
        .list_actions()
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.r#type)
        .collect();
    assert_eq!(actions, ["health", "list-reports", "accounts"]);
    // …and DoAction answers the Flight SQL ones
    let mut stmt = c.prepare("SELECT 1 AS one".into(), None).await.unwrap();
    let info = stmt.execute().await.unwrap();
    let got = fetch(&mut c, info).await.unwrap();
    assert_eq!(ints(&got, "one"), vec![1]);
    stmt.close().await.unwrap();
}

#[tokio::test]
async fn get_schema_and_do_put_on_the_shared_port() {
    use arrow_flight::sql::{CommandStatementQuery, CommandStatementUpdate, ProstMessageExt};
    use arrow_flight::{FlightData, FlightDescriptor};
    use prost::Message;

    let mut rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let q = format!(
        "SELECT id, media_type FROM user_media WHERE ig_user_id = '{}'",
        ds.accounts[0].id
    );
    let cmd = CommandStatementQuery {
        query: q,
        transaction_id: None,
    };
    let d = FlightDescriptor::new_cmd(cmd.as_any().encode_to_vec());
    let schema = rig.flight.get_schema(d).await.unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "media_type"]);
    // GetSchema of a report descriptor is unchanged
    let schema = rig
        .flight
        .get_schema(FlightDescriptor::new_path(vec!["user".into()]))
        .await
        .unwrap();
    assert_eq!(schema.fields(), report_schema(ReportKind::User).fields());

    // DoPut: a report descriptor is refused as before; a SQL update is refused as read-only
    let put = |d: FlightDescriptor| {
        futures::stream::iter(vec![Ok(FlightData {
            flight_descriptor: Some(d),
            ..Default::default()
        })])
    };
    let e = put_err(
        &mut rig.flight,
        put(FlightDescriptor::new_cmd(
            json!({"report":"user"}).to_string(),
        )),
    )
    .await;
    let (code, text) = status_of(&e);
    assert_eq!(code, Code::Unimplemented, "{text}");
    assert!(text.contains("read-only"), "{text}");
    let update = CommandStatementUpdate {
        query: "DELETE FROM user_media".into(),
        transaction_id: None,
    };
    let e = put_err(
        &mut rig.flight,
        put(FlightDescriptor::new_cmd(update.as_any().encode_to_vec())),
    )
    .await;
    let (code, text) = status_of(&e);
    assert_eq!(code, Code::Unimplemented, "{text}");
    assert!(text.contains("read-only"), "{text}");
}

/// The error of a DoPut, whether it comes with the response or in its stream.
async fn put_err<S>(flight: &mut FlightClient, data: S) -> FlightError
where
    S: futures::Stream<Item = Result<arrow_flight::FlightData, FlightError>> + Send + 'static,
{
    match flight.do_put(data).await {
        Err(e) => e,
        Ok(s) => s.try_collect::<Vec<_>>().await.unwrap_err(),
    }
}

/// What JDBC-style tools ask besides tables: the SQL types (GetXdbcTypeInfo) and keys (none).
#[tokio::test]
async fn xdbc_types_and_empty_key_lists() {
    use arrow_flight::sql::{
        CommandGetCrossReference, CommandGetExportedKeys, CommandGetImportedKeys,
        CommandGetPrimaryKeys, CommandGetXdbcTypeInfo, XdbcDataType,
    };
    let rig = Rig::new().await;
    let mut c = rig.sql();

    let info = c
        .get_xdbc_type_info(CommandGetXdbcTypeInfo { data_type: None })
        .await
        .unwrap();
    let batches = fetch(&mut c, info).await.unwrap();
    let names: BTreeSet<String> = batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("type_name")
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for t in [
        "VARCHAR",
        "BIGINT",
        "DOUBLE",
        "BOOLEAN",
        "TIMESTAMP WITH TIME ZONE",
    ] {
        assert!(names.contains(t), "{t} missing from {names:?}");
    }
    // filtered by type
    let info = c
        .get_xdbc_type_info(CommandGetXdbcTypeInfo {
            data_type: Some(XdbcDataType::XdbcBigint as i32),
        })
        .await
        .unwrap();
    let batches = fetch(&mut c, info).await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);

    // keys: none, with the schemas the spec gives
    let table = "user_media".to_string();
    let infos = [
        c.get_primary_keys(CommandGetPrimaryKeys {
            catalog: None,
            db_schema: None,
            table: table.clone(),
        })
        .await
        .unwrap(),
        c.get_exported_keys(CommandGetExportedKeys {
            catalog: None,
            db_schema: None,
            table: table.clone(),
        })
        .await
        .unwrap(),
        c.get_imported_keys(CommandGetImportedKeys {
            catalog: None,
            db_schema: None,
            table: table.clone(),
        })
        .await
        .unwrap(),
        c.get_cross_reference(CommandGetCrossReference {
            pk_catalog: None,
            pk_db_schema: None,
            pk_table: table.clone(),
            fk_catalog: None,
            fk_db_schema: None,
            fk_table: "media_insights".into(),
        })
        .await
        .unwrap(),
    ];
    for (i, info) in infos.into_iter().enumerate() {
        let announced = info.clone().try_decode_schema().unwrap();
        let batches = fetch(&mut c, info).await.unwrap();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            0,
            "call {i}"
        );
        let first = if i == 0 {
            "catalog_name"
        } else {
            "pk_catalog_name"
        };
        assert_eq!(announced.field(0).name(), first, "call {i}");
    }
    assert_eq!(rig.sim.stats().total, 0, "metadata costs no Graph call");
}
