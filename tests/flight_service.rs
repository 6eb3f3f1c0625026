//! The Flight service from a client's view: arrow-flight's `FlightClient` against the server on
//! 127.0.0.1:0, over the in-process simulated Graph API.

mod common;

use arrow::array::{Array, StringArray};
use arrow::record_batch::RecordBatch;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::{Action, FlightClient, FlightDescriptor, Ticket};
use futures::{StreamExt, TryStreamExt};
use igflight::flight::service::SUMMARY_TRAILER;
use igflight::reports::catalog::ReportKind;
use igflight::reports::schema::{projected_schema, report_schema};
use igflight::sim::{FaultKind, SimConfig};
use serde_json::{Value, json};
use tonic::Code;

use common::{client, client_with, start_flight, start_sim};

fn ticket(v: Value) -> Ticket {
    Ticket::new(v.to_string())
}

fn code_of(e: &FlightError) -> Code {
    match e {
        FlightError::Tonic(s) => s.code(),
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

fn message_of(e: &FlightError) -> String {
    match e {
        FlightError::Tonic(s) => s.message().to_string(),
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

/// DoGet to the end: the schema seen, the batches, the summary trailer, the final error.
struct Got {
    schema: Option<arrow::datatypes::SchemaRef>,
    batches: Vec<RecordBatch>,
    summary: Option<Value>,
    error: Option<FlightError>,
}

impl Got {
    fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn strings(&self, col: &str) -> Vec<String> {
        let mut out = Vec::new();
        for b in &self.batches {
            let a = b
                .column_by_name(col)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            for i in 0..a.len() {
                out.push(a.value(i).to_string());
            }
        }
        out
    }
}

async fn do_get(client: &mut FlightClient, t: Ticket) -> Result<Got, FlightError> {
    let mut stream: FlightRecordBatchStream = client.do_get(t).await?;
    let mut got = Got {
        schema: None,
        batches: Vec::new(),
        summary: None,
        error: None,
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(b) => got.batches.push(b),
            Err(e) => {
                if let FlightError::Tonic(s) = &e {
                    got.summary = summary_of(s.metadata());
                }
                got.error = Some(e);
                break;
            }
        }
    }
    got.schema = stream.schema().cloned();
    if got.error.is_none() {
        got.summary = stream.trailers().as_ref().and_then(summary_of);
    }
    Ok(got)
}

/// The run summary the server sends in the `x-igflight-summary` trailer.
fn summary_of(md: &tonic::metadata::MetadataMap) -> Option<Value> {
    let v = md.get(SUMMARY_TRAILER)?.to_str().ok()?;
    Some(serde_json::from_str(v).unwrap())
}

/// DoGet that must succeed.
async fn get_ok(client: &mut FlightClient, t: Value) -> Got {
    let got = do_get(client, ticket(t.clone())).await.unwrap();
    if let Some(e) = &got.error {
        panic!("DoGet {t} failed: {e}");
    }
    got
}

/// DoGet that must fail: the error, whether at the call or in the stream.
async fn get_err(client: &mut FlightClient, t: Value) -> (Got, FlightError) {
    match do_get(client, ticket(t.clone())).await {
        Err(e) => (
            Got {
                schema: None,
                batches: vec![],
                summary: None,
                error: None,
            },
            e,
        ),
        Ok(mut got) => {
            let e = got
                .error
                .take()
                .unwrap_or_else(|| panic!("DoGet {t} succeeded with {} rows", got.rows()));
            (got, e)
        }
    }
}

#[tokio::test]
async fn list_flights_shows_every_report_with_its_schema() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let infos: Vec<_> = fc
        .list_flights(bytes::Bytes::new())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(infos.len(), 12);
    for (info, r) in infos.into_iter().zip(ReportKind::ALL) {
        let d = info.flight_descriptor.clone().unwrap();
        assert_eq!(d.path, vec![r.name().to_string()]);
        let schema = info.try_decode_schema().unwrap();
        assert_eq!(&schema, report_schema(r).as_ref(), "{r}");
    }
    // A filter narrows the list.
    let hashtag: Vec<_> = fc
        .list_flights(bytes::Bytes::from("hashtag"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        hashtag.len(),
        3,
        "hashtag_recent_media, hashtag_top_media, recently_searched_hashtags"
    );
    assert_eq!(sim.stats().total, 0, "listing makes no Graph call");
}

#[tokio::test]
async fn get_flight_info_for_cmd_and_path_descriptors() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let ds = sim.dataset();
    let account = ds.accounts[0].id.clone();

    // CMD with a JSON ticket: projected schema, one endpoint with the canonical protobuf ticket.
    let cmd = json!({"report": "user_media", "account": account, "fields": ["id", "timestamp"], "limit": 7});
    let info = fc
        .get_flight_info(FlightDescriptor::new_cmd(cmd.to_string()))
        .await
        .unwrap();
    assert_eq!(info.total_records, -1);
    assert_eq!(info.endpoint.len(), 1);
    let fields = vec!["id".to_string(), "timestamp".to_string()];
    let schema = info.clone().try_decode_schema().unwrap();
    assert_eq!(
        &schema,
        projected_schema(ReportKind::UserMedia, Some(&fields)).as_ref()
    );
    let t = info.endpoint[0].ticket.clone().unwrap();
    assert_ne!(
        t.ticket.first(),
        Some(&b'{'),
        "the endpoint ticket is protobuf"
    );
    let req = igflight::ticket::decode(
        &t.ticket,
        chrono::Utc::now().date_naive(),
        igflight::reports::catalog::GraphVersion::V15,
    )
    .unwrap();
    assert_eq!(req.limit, Some(7));
    assert_eq!(sim.stats().total, 0, "GetFlightInfo makes no Graph call");
    // DoGet on the endpoint's ticket.
    let got = do_get(&mut fc, t).await.unwrap();
    assert!(got.error.is_none());
    assert_eq!(got.rows(), 7);
    let ids: Vec<String> = ds.accounts[0].media[..7]
        .iter()
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(got.strings("id"), ids);

    // CMD with the protobuf ticket itself.
    let info2 = fc
        .get_flight_info(FlightDescriptor::new_cmd(
            info.endpoint[0].ticket.clone().unwrap().ticket,
        ))
        .await
        .unwrap();
    assert_eq!(info2.endpoint[0].ticket, info.endpoint[0].ticket);

    // PATH [report]: the full schema.
    let info = fc
        .get_flight_info(FlightDescriptor::new_path(vec!["pages".into()]))
        .await
        .unwrap();
    assert_eq!(
        &info.try_decode_schema().unwrap(),
        report_schema(ReportKind::Pages).as_ref()
    );

    // PATH of a report with a required parameter, and bad paths: INVALID_ARGUMENT.
    let before = sim.stats().total;
    for path in [
        vec!["hashtag_top_media".to_string()],
        vec!["nope".to_string()],
        vec!["user".to_string(), "extra".to_string()],
    ] {
        let e = fc
            .get_flight_info(FlightDescriptor::new_path(path.clone()))
            .await
            .unwrap_err();
        assert_eq!(code_of(&e), Code::InvalidArgument, "{path:?}: {e}");
    }
    let e = fc
        .get_flight_info(FlightDescriptor::new_path(vec!["hashtag_top_media".into()]))
        .await
        .unwrap_err();
    assert!(message_of(&e).contains("hashtag"), "{e}");
    assert_eq!(sim.stats().total, before);
}

#[tokio::test]
async fn get_schema_is_what_do_get_streams() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let account = sim.dataset().accounts[1].id.clone();
    let cmd = json!({"report": "user_media", "account": account, "fields": ["timestamp", "id", "like_count"], "limit": 3});
    let schema = fc
        .get_schema(FlightDescriptor::new_cmd(cmd.to_string()))
        .await
        .unwrap();
    let got = get_ok(&mut fc, cmd).await;
    assert_eq!(got.schema.as_deref(), Some(&schema));
    assert_eq!(got.batches[0].schema().as_ref(), &schema);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["timestamp", "id", "like_count"]);

    let s = fc
        .get_schema(FlightDescriptor::new_path(vec!["user_insights".into()]))
        .await
        .unwrap();
    assert_eq!(&s, report_schema(ReportKind::UserInsights).as_ref());
}

#[tokio::test]
async fn do_get_user_media_returns_the_simulator_media_in_order_across_pages() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let ds = sim.dataset();
    for (i, acc) in ds.accounts.iter().enumerate() {
        let got = get_ok(
            &mut fc,
            json!({"report": "user_media", "account": acc.id, "page_size": 25}),
        )
        .await;
        let want: Vec<String> = acc.media.iter().map(|m| m.id.clone()).collect();
        assert_eq!(got.strings("id"), want, "account {i}");
        assert!(got.batches.len() > 1, "one batch per Graph page");
        let summary = got.summary.expect("summary at the end");
        assert_eq!(summary["rows"].as_u64(), Some(want.len() as u64));
        assert!(summary["graph_calls"].as_u64().unwrap() > 1, "{summary}");
    }
}

/// A repeated DoGet on a connection is answered from its response cache: no Graph call, the same
/// rows, `cache_hits` in the run summary; `max_age: 0` asks the Graph API again.
#[tokio::test]
async fn a_repeated_do_get_comes_from_the_cache_and_max_age_zero_asks_again() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let acc = sim.dataset().accounts[0].id.clone();
    let t = json!({"report": "user_media", "account": acc});
    let first = get_ok(&mut fc, t.clone()).await;
    let calls = sim.stats().total;
    let first_summary = first.summary.clone().unwrap();
    assert!(
        first_summary["graph_calls"].as_u64().unwrap() > 1,
        "{first_summary}"
    );
    assert_eq!(first_summary.get("cache_hits"), None, "{first_summary}");

    let again = get_ok(&mut fc, t.clone()).await;
    assert_eq!(sim.stats().total, calls, "no Graph call for the repeat");
    assert_eq!(again.strings("id"), first.strings("id"));
    let s = again.summary.unwrap();
    assert_eq!(s["graph_calls"], 0, "{s}");
    assert_eq!(
        s["cache_hits"], first_summary["graph_calls"],
        "one hit per page: {s}"
    );

    let fresh = get_ok(
        &mut fc,
        json!({"report": "user_media", "account": acc, "max_age": 0}),
    )
    .await;
    assert_eq!(fresh.strings("id"), first.strings("id"));
    assert_eq!(sim.stats().total, 2 * calls, "max_age 0 lists again");
    assert_eq!(fresh.summary.unwrap().get("cache_hits"), None);
    // a max_age longer than the answers' age is served from the cache
    get_ok(
        &mut fc,
        json!({"report": "user_media", "account": acc, "max_age": 3600}),
    )
    .await;
    assert_eq!(sim.stats().total, 2 * calls);
}

#[tokio::test]
async fn an_empty_report_still_sends_its_schema_and_summary() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let account = sim.dataset().accounts[0].id.clone();
    let got = get_ok(
        &mut fc,
        json!({"report": "user_media", "account": account, "media_items": "range",
               "date_from": "2011-01-01", "date_to": "2011-01-02"}),
    )
    .await;
    assert_eq!(got.rows(), 0);
    assert_eq!(
        got.schema.as_deref(),
        Some(report_schema(ReportKind::UserMedia).as_ref())
    );
    assert_eq!(got.summary.unwrap()["rows"].as_u64(), Some(0));
    // The plain FlightClient reader (what most callers use) ends cleanly.
    let batches: Vec<RecordBatch> = fc
        .do_get(ticket(json!({"report": "pages"})))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
}

#[tokio::test]
async fn the_summary_counts_graph_calls() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let page = sim.dataset().pages[0].name.clone();
    let before = sim.stats().total;
    let got = get_ok(&mut fc, json!({"report": "user", "page": page})).await;
    assert_eq!(got.rows(), 1);
    let s = got.summary.unwrap();
    let calls = s["graph_calls"].as_u64().unwrap();
    assert!(calls > 0, "{s}");
    assert_eq!(calls, sim.stats().total - before, "{s}");
}

#[tokio::test]
async fn actions_health_list_reports_accounts() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let actions: Vec<_> = fc
        .list_actions()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = actions.iter().map(|a| a.r#type.as_str()).collect();
    assert_eq!(names, ["health", "list-reports", "accounts"]);

    let health = action(&mut fc, "health").await;
    assert_eq!(health["status"], "ok");
    assert!(health["graph_calls"].is_u64());
    let versions = health["graph_versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{health}");
    assert_eq!(versions[0]["graph_version_asked"], "v15.0");

    let accounts = action(&mut fc, "accounts").await;
    assert_eq!(accounts["graph_version_asked"], "v15.0");
    let served = &accounts["graph_version_served"];
    assert!(
        served.is_null() || served.as_str().is_some_and(|v| v.starts_with('v')),
        "{accounts}"
    );
    assert_eq!(accounts["pages"].as_array().unwrap().len(), 3);
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 2);
    assert!(accounts["token_expires_at"].is_null());
    let ig = accounts["accounts"][0]["ig_user_id"].as_str().unwrap();
    assert!(sim.dataset().accounts.iter().any(|a| a.id == ig));

    let Err(e) = fc.do_action(Action::new("nope", "")).await else {
        panic!("unknown action accepted");
    };
    assert_eq!(code_of(&e), Code::InvalidArgument);
    assert!(message_of(&e).contains("list-reports"), "{e}");
}

async fn action(fc: &mut FlightClient, name: &str) -> Value {
    let bodies: Vec<bytes::Bytes> = fc
        .do_action(Action::new(name, ""))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(bodies.len(), 1);
    serde_json::from_slice(&bodies[0]).unwrap()
}

#[tokio::test]
async fn every_list_reports_example_returns_rows() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let reports = action(&mut fc, "list-reports").await;
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 12);
    for r in reports {
        let name = r["name"].as_str().unwrap();
        let kind = ReportKind::from_name(name).unwrap();
        assert_eq!(
            r["schema"].as_array().unwrap().len(),
            report_schema(kind).fields().len()
        );
        assert!(r["description"].is_string());
        assert!(r["accepted"].is_array() && r["required"].is_array());
        let example = r["example"].clone();
        assert_eq!(example["report"], name);
        assert!(
            example.get("account").is_none(),
            "examples name pages, not ids: {example}"
        );
        let got = get_ok(&mut fc, example.clone()).await;
        assert!(got.rows() >= 1, "example {example} returned no row");
    }
}

#[tokio::test]
async fn bad_tickets_are_invalid_argument_without_a_graph_call() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let before = sim.stats().total;
    let cases = [
        (json!({"report": "nope"}), "report"),
        (json!({"report": "user_media", "colour": "red"}), "colour"),
        (
            json!({"report": "user_insights", "metrics": ["impressions", "nope"]}),
            "nope",
        ),
        (json!({"report": "hashtag_recent_media"}), "hashtag"),
        (json!({"report": "user_media", "limit": "ten"}), "limit"),
        (json!({"report": "user_media", "max_age": -1}), "max_age"),
        (
            json!({"report": "user_media", "max_age": "soon"}),
            "max_age",
        ),
    ];
    for (t, key) in cases {
        let (_, e) = get_err(&mut fc, t.clone()).await;
        assert_eq!(code_of(&e), Code::InvalidArgument, "{t}: {e}");
        assert!(message_of(&e).contains(key), "{t}: {e}");
    }
    // Not a ticket at all.
    let Err(e) = fc.do_get(Ticket::new(vec![0xff, 0x00, 0x13])).await else {
        panic!("garbage accepted");
    };
    assert_eq!(code_of(&e), Code::InvalidArgument, "{e}");
    assert_eq!(sim.stats().total, before, "no Graph call was spent");

    // A metric some version serves (`likes` came with v18.0) is checked against the version that
    // answers: learning it costs one call, once per connection; the seed's API (v15.0) refuses it.
    let likes = json!({"report": "user_insights", "metrics": ["impressions", "likes"]});
    for _ in 0..2 {
        let (_, e) = get_err(&mut fc, likes.clone()).await;
        assert_eq!(code_of(&e), Code::InvalidArgument, "{e}");
        assert!(message_of(&e).contains("likes"), "{e}");
        assert!(message_of(&e).contains("v18.0"), "{e}");
        assert_eq!(sim.stats().total, before + 1, "one call learns the version");
    }

    // Ambiguous account (two accounts reachable): refused, listing them.
    let (_, e) = get_err(&mut fc, json!({"report": "user"})).await;
    assert_eq!(code_of(&e), Code::InvalidArgument, "{e}");
    assert!(
        message_of(&e).contains(&sim.dataset().accounts[0].id),
        "{e}"
    );
}

#[tokio::test]
async fn an_expired_graph_token_is_unauthenticated_with_a_reconnect_hint() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client_with(&sim, "expired-token", 100, 3)).await;
    let (_, e) = get_err(&mut fc, json!({"report": "pages"})).await;
    assert_eq!(code_of(&e), Code::Unauthenticated, "{e}");
    let m = message_of(&e);
    assert!(m.contains("reconnect"), "{m}");
    assert!(!m.contains("expired-token"), "the token never appears: {m}");
}

#[tokio::test]
async fn unknown_username_and_media_are_not_found() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let page = sim.dataset().pages[0].name.clone();
    let (_, e) = get_err(
        &mut fc,
        json!({"report": "other_users", "page": page, "username": "no_such_user_xyz"}),
    )
    .await;
    assert_eq!(code_of(&e), Code::NotFound, "{e}");
    let (_, e) = get_err(
        &mut fc,
        json!({"report": "media_comments", "page": page, "media_id": "999999999999"}),
    )
    .await;
    assert_eq!(code_of(&e), Code::NotFound, "{e}");
}

#[tokio::test]
async fn a_spent_budget_is_resource_exhausted() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client_with(&sim, sim.token(), 1, 3)).await;
    let page = sim.dataset().pages[0].name.clone();
    // Page resolution takes the one call; the profile call is refused.
    let (_, e) = get_err(&mut fc, json!({"report": "user", "page": page})).await;
    assert_eq!(code_of(&e), Code::ResourceExhausted, "{e}");
}

#[tokio::test]
async fn a_failing_graph_api_is_unavailable_after_retries() {
    let sim = start_sim(SimConfig {
        fault_rate: 1.0,
        faults: vec![FaultKind::Http500Code2, FaultKind::Html503],
        ..SimConfig::default()
    })
    .await;
    let (_server, mut fc) = start_flight(&sim, client_with(&sim, sim.token(), 100, 3)).await;
    let (_, e) = get_err(&mut fc, json!({"report": "pages"})).await;
    assert_eq!(code_of(&e), Code::Unavailable, "{e}");
    assert_eq!(sim.stats().total, 3, "three attempts");
}

#[tokio::test]
async fn a_stream_that_fails_part_way_ends_with_the_status() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client_with(&sim, sim.token(), 3, 3)).await;
    let acc = &sim.dataset().accounts[0];
    let (got, e) = get_err(
        &mut fc,
        json!({"report": "user_media", "account": acc.id, "page_size": 5}),
    )
    .await;
    assert_eq!(code_of(&e), Code::ResourceExhausted, "{e}");
    assert_eq!(
        got.rows(),
        15,
        "the three pages the budget allowed arrived first"
    );
    let want: Vec<String> = acc.media[..15].iter().map(|m| m.id.clone()).collect();
    assert_eq!(got.strings("id"), want);
    let summary = got
        .summary
        .expect("the error status carries the summary too");
    assert_eq!(summary["rows"].as_u64(), Some(15), "{summary}");

    // The plain reader sees the error, not a short result.
    let r: Result<Vec<RecordBatch>, _> = fc
        .do_get(ticket(json!({"report": "user_media", "account": acc.id})))
        .await
        .unwrap()
        .try_collect()
        .await;
    assert_eq!(code_of(&r.unwrap_err()), Code::ResourceExhausted);
}

#[tokio::test]
async fn handshake_answers_and_other_rpcs_are_unimplemented() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let payload = fc.handshake(bytes::Bytes::new()).await.unwrap();
    assert!(payload.is_empty());
    let e = fc
        .poll_flight_info(FlightDescriptor::new_path(vec!["user".into()]))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Code::Unimplemented);
}

#[tokio::test]
async fn a_client_that_goes_away_stops_the_graph_calls() {
    let sim = start_sim(SimConfig {
        latency: std::time::Duration::from_millis(40),
        ..SimConfig::default()
    })
    .await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let acc = sim.dataset().accounts[0].clone();
    let pages = acc.media.len().div_ceil(5);
    let mut stream = fc
        .do_get(ticket(
            json!({"report": "user_media", "account": acc.id, "page_size": 5}),
        ))
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.num_rows(), 5);
    drop(stream);
    // wait until the calls stop: no new one within 100 ms (2.5 times the simulated latency); the call
    // in flight when the client left may still end
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut after_drop = sim.stats().total;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let total = sim.stats().total;
        if total == after_drop {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Graph calls went on after the client left ({total} calls)"
        );
        after_drop = total;
    }
    // then none for a while: this wait is the test
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        sim.stats().total,
        after_drop,
        "no call after the client left"
    );
    assert!(
        (after_drop as usize) < pages,
        "{after_drop} calls for {pages} pages"
    );
}
