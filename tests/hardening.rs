//! Hostile clients: ids that try to become paths, requests that would spend more calls than they may,
//! PATH descriptors walked as the Flight spec allows, and report runs past the server's slots.

mod common;

use std::sync::Arc;

use arrow::array::Array;
use arrow_flight::error::FlightError;
use arrow_flight::{FlightClient, FlightDescriptor, Ticket};
use chrono::{Days, Utc};
use futures::{StreamExt, TryStreamExt};
use igflight::error::ReportError;
use igflight::plan::{ReportContext, report_stream};
use igflight::reports::catalog::ReportKind;
use igflight::reports::schema::report_schema;
use igflight::sim::SimConfig;
use serde_json::{Value, json};
use tonic::Code;

use common::{client, client_with, start_flight, start_sim};

fn ticket(v: Value) -> Ticket {
    Ticket::new(v.to_string())
}

fn status_of(e: &FlightError) -> (Code, String) {
    match e {
        FlightError::Tonic(s) => (s.code(), s.message().to_string()),
        other => panic!("not a status: {other}"),
    }
}

async fn do_get_err(fc: &mut FlightClient, t: Value) -> (Code, String) {
    match fc.do_get(ticket(t.clone())).await {
        Err(e) => status_of(&e),
        Ok(stream) => {
            let e = stream
                .try_collect::<Vec<_>>()
                .await
                .expect_err(&format!("{t} should fail"));
            status_of(&e)
        }
    }
}

#[tokio::test]
async fn ids_from_tickets_sql_and_headers_never_become_paths() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let before = sim.stats().total;
    for (t, key) in [
        (
            json!({"report": "user", "account": "../../x/y?inj=1&fields=zzz#f"}),
            "account",
        ),
        (
            json!({"report": "media_comments", "media_id": "me/accounts?x="}),
            "media_id",
        ),
        (
            json!({"report": "media_insights", "media_items": "single", "media_id": "../me"}),
            "media_id",
        ),
    ] {
        let (code, message) = do_get_err(&mut fc, t.clone()).await;
        assert_eq!(code, Code::InvalidArgument, "{t}: {message}");
        assert!(message.contains(&format!("key `{key}`")), "{t}: {message}");
    }
    // SQL: a filter value and the default account (the `x-igflight-account` header) are checked alike
    let ctx = Arc::new(ReportContext::new(client(&sim)));
    let session = igflight::sql::session(ctx.clone(), None);
    for sql in [
        "SELECT id FROM user_media WHERE ig_user_id = 'me/accounts?x='",
        "SELECT id FROM media_comments WHERE media_id = '../../me/accounts'",
    ] {
        let e = match session.sql(sql).await {
            Ok(df) => df.collect().await.unwrap_err(),
            Err(e) => e,
        };
        let status = igflight::sql::to_status(&e);
        assert_eq!(status.code(), Code::InvalidArgument, "{sql}: {status}");
        assert!(status.message().contains("numeric Graph id"), "{status}");
    }
    let with_header = igflight::sql::session(ctx, Some("../../x/y?fields=zzz".into()));
    let e = match with_header.sql("SELECT id FROM user").await {
        Ok(df) => df.collect().await.unwrap_err(),
        Err(e) => e,
    };
    let status = igflight::sql::to_status(&e);
    assert_eq!(status.code(), Code::InvalidArgument, "{status}");
    assert_eq!(sim.stats().total, before, "no call was made");
}

#[tokio::test]
async fn a_30_mb_ticket_is_refused_by_its_size() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let big = format!(r#"{{"report":"user","colour":"{}"}}"#, "x".repeat(30 << 20));
    for result in [
        fc.do_get(Ticket::new(big.clone())).await.map(|_| ()),
        fc.get_flight_info(FlightDescriptor::new_cmd(big.clone()))
            .await
            .map(|_| ()),
    ] {
        let (code, message) = status_of(&result.unwrap_err());
        assert_eq!(code, Code::InvalidArgument, "{message}");
        assert!(message.contains("at most 65536 bytes"), "{message}");
    }
    // the server goes on
    let rows: Vec<_> = fc
        .do_get(ticket(json!({"report": "pages"})))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(!rows.is_empty());
}

#[tokio::test]
async fn a_request_that_plainly_needs_more_calls_is_refused_before_the_first() {
    let sim = start_sim(SimConfig::default()).await;
    let account = sim.dataset().accounts[0].id.clone();
    let today = Utc::now().date_naive();
    let range = |days: u64| {
        json!({"report": "user_insights", "account": account, "metrics": ["reach"],
               "date_from": (today - Days::new(days)).to_string(),
               "date_to": (today - Days::new(1)).to_string()})
    };

    // more windows than the budget allows in an hour
    let (_s1, mut small) = start_flight(&sim, client_with(&sim, sim.token(), 5, 1)).await;
    // the connection's first insights request learns which version answers (one call, once)
    let (code, _) = do_get_err(&mut small, range(400)).await;
    assert_eq!(code, Code::ResourceExhausted);
    let before = sim.stats().total;
    let (code, message) = do_get_err(&mut small, range(400)).await;
    assert_eq!(code, Code::ResourceExhausted, "{message}");
    assert!(
        message.contains("needs 14 Graph calls") && message.contains("allows 5 per 3600 s"),
        "{message}"
    );
    // a range from 2010 to a year ahead: refused at once, without a call
    let all = json!({"report": "user_insights", "account": account, "metrics": ["reach"],
                     "date_from": "2010-01-01", "date_to": (today + Days::new(365)).to_string()});
    let (code, message) = do_get_err(&mut small, all).await;
    assert_eq!(code, Code::ResourceExhausted, "{message}");
    assert_eq!(sim.stats().total, before, "refused before the first call");

    // fits the window, but not what is left of it: says when the calls are available
    let (_s2, mut mid) = start_flight(&sim, client_with(&sim, sim.token(), 30, 1)).await;
    let rows: Vec<_> = mid
        .do_get(ticket(range(600)))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(!rows.is_empty());
    let spent = sim.stats().total;
    assert_eq!(
        spent - before,
        1 + 20,
        "one call learns the version, then 600 days = 20 windows"
    );
    let (code, message) = do_get_err(&mut mid, range(600)).await;
    assert_eq!(code, Code::ResourceExhausted, "{message}");
    assert!(
        message.contains("has 9 of 30 left") && message.contains("available at"),
        "{message}"
    );
    assert_eq!(sim.stats().total, spent);
}

#[tokio::test]
async fn the_per_request_cap_refuses_a_request_that_needs_more() {
    let sim = start_sim(SimConfig::default()).await;
    let account = sim.dataset().accounts[0].id.clone();
    let ctx = Arc::new(ReportContext::new(client(&sim)).with_max_calls_per_request(3));
    let today = Utc::now().date_naive();
    let req = igflight::ticket::decode(
        json!({"report": "user_insights", "account": account, "metrics": ["reach"],
               "date_from": (today - Days::new(150)).to_string()})
        .to_string()
        .as_bytes(),
        today,
        ctx.api_version(),
    )
    .unwrap();
    let before = sim.stats().total;
    let e = report_stream(ctx, req)
        .batches
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e}");
    assert!(e.to_string().contains("--max-calls-per-request"), "{e}");
    assert_eq!(sim.stats().total, before);
}

#[tokio::test]
async fn path_descriptors_work_as_the_flight_spec_walks_them() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let ds = sim.dataset();

    // GetSchema of PATH answers the report's schema, whatever parameters the report needs
    for r in ReportKind::ALL {
        let s = fc
            .get_schema(FlightDescriptor::new_path(vec![r.name().into()]))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", r.name()));
        assert_eq!(&s, report_schema(r).as_ref(), "{}", r.name());
    }

    // ListFlights → GetFlightInfo(PATH) → DoGet each endpoint: the rows of every account
    let info = fc
        .get_flight_info(FlightDescriptor::new_path(vec!["user_media".into()]))
        .await
        .unwrap();
    assert_eq!(info.endpoint.len(), ds.accounts.len());
    let mut rows_by_account = Vec::new();
    for ep in &info.endpoint {
        let t = ep.ticket.clone().unwrap();
        let batches: Vec<_> = fc.do_get(t).await.unwrap().try_collect().await.unwrap();
        let ids: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                let col = b
                    .column_by_name("ig_user_id")
                    .unwrap()
                    .as_any()
                    .downcast_ref::<arrow::array::StringArray>()
                    .unwrap()
                    .clone();
                (0..col.len())
                    .map(|i| col.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        rows_by_account.push((ids[0].clone(), ids.len()));
    }
    for acc in &ds.accounts {
        let got = rows_by_account
            .iter()
            .find(|(id, _)| id == &acc.id)
            .unwrap_or_else(|| panic!("no endpoint for {}", acc.id));
        assert_eq!(got.1 as u64, acc.media_count);
    }

    // a report that needs a hashtag, username or media id says which key to give in a CMD
    for (report, key) in [
        ("hashtag_recent_media", "hashtag"),
        ("other_users", "username"),
        ("media_comments", "media_id"),
    ] {
        let e = fc
            .get_flight_info(FlightDescriptor::new_path(vec![report.into()]))
            .await
            .unwrap_err();
        let (code, message) = status_of(&e);
        assert_eq!(code, Code::InvalidArgument);
        assert!(
            message.contains(&format!("key `{key}`")) && message.contains("CMD"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn report_runs_past_the_servers_slots_are_refused() {
    let sim = start_sim(SimConfig::default()).await;
    let account = sim.dataset().accounts[0].id.clone();
    let slots = Arc::new(tokio::sync::Semaphore::new(1));
    let ctx = Arc::new(ReportContext::new(client(&sim)).with_run_slots(slots));
    let today = Utc::now().date_naive();
    let version = ctx.api_version();
    let req = || {
        igflight::ticket::decode(
            json!({"report": "user_media", "account": account, "page_size": 10})
                .to_string()
                .as_bytes(),
            today,
            version,
        )
        .unwrap()
    };
    // the first run holds the slot while its client reads
    let mut first = report_stream(ctx.clone(), req()).batches;
    first.next().await.unwrap().unwrap();
    let calls = sim.stats().total;
    let e = report_stream(ctx.clone(), req())
        .batches
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, ReportError::Busy), "{e}");
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(e.to_string().contains("--max-concurrent-reports"), "{e}");
    assert_eq!(sim.stats().total, calls, "refused without a call");
    // once it ends, the slot is free again
    drop(first);
    let rows: usize = report_stream(ctx, req())
        .batches
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert!(rows > 0);
}
