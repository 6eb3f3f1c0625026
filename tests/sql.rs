//! SQL over the reports against the in-process simulator: pushed parameters reach the Graph API (checked
//! on the wire through a recording proxy and in the call counts), `EXPLAIN` shows them, results equal the
//! simulator's data and what `report_stream` returns for the equivalent ticket, and errors carry the
//! report error.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampSecondType};
use arrow::util::pretty::pretty_format_batches;
use chrono::{DateTime, NaiveDate, Utc};
use datafusion::error::DataFusionError;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use igflight::error::ReportError;
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, SimHandle};
use igflight::sql::{ReportExec, report_error, session, to_status};
use igflight::ticket::decode;
use parking_lot::Mutex;
use serde_json::{Value, json};
use tonic::Code;

use common::{big_budget, fast_retry, start_sim};

/// A pass-through HTTP proxy in front of the simulator that records every request's path and query (and
/// points the `paging.next` links back at itself).
async fn start_proxy(upstream: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let me = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let this = me.clone();
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    let rec = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let http = http.clone();
        let rec = rec.clone();
        let upstream = upstream.clone();
        let this = this.clone();
        async move {
            let uri = req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            rec.lock().push(uri.clone());
            let mut out = http.get(format!("{upstream}{uri}"));
            for (k, v) in req.headers() {
                if !matches!(k.as_str(), "host" | "content-length" | "accept-encoding") {
                    out = out.header(k.as_str(), v.as_bytes());
                }
            }
            let resp = out.send().await.expect("simulator answers");
            let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
            let mut builder = axum::http::Response::builder().status(status);
            for (k, v) in resp.headers() {
                if !matches!(
                    k.as_str(),
                    "content-length" | "transfer-encoding" | "connection" | "content-encoding"
                ) {
                    builder = builder.header(k.as_str(), v.as_bytes());
                }
            }
            let body = String::from_utf8_lossy(&resp.bytes().await.unwrap())
                .replace(&upstream, &this)
                .replace(&upstream.replace('/', "\\/"), &this.replace('/', "\\/"));
            builder.body(axum::body::Body::from(body)).unwrap()
        }
    });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (me, seen)
}

struct Rig {
    sim: SimHandle,
    reports: Arc<ReportContext>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Rig {
    async fn new() -> Rig {
        let sim = start_sim(SimConfig::default()).await;
        let (url, seen) = start_proxy(sim.base_url()).await;
        let graph = igflight::graph::GraphClient::builder(sim.token().to_string())
            .base_url(url)
            .retry(fast_retry(8))
            .budget_config(big_budget())
            .request_timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap();
        Rig {
            sim,
            reports: Arc::new(ReportContext::new(graph)),
            seen,
        }
    }

    fn session(&self, default_account: Option<&str>) -> SessionContext {
        session(self.reports.clone(), default_account.map(str::to_string))
    }

    fn reset(&self) {
        self.sim.reset_stats();
        self.seen.lock().clear();
    }

    fn calls(&self, endpoint: &str) -> u64 {
        self.sim
            .stats()
            .by_endpoint
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Query parameters of the recorded requests whose path ends with `suffix`.
    fn requests(&self, suffix: &str) -> Vec<HashMap<String, String>> {
        self.seen
            .lock()
            .iter()
            .filter(|u| u.split('?').next().unwrap_or_default().ends_with(suffix))
            .map(|u| {
                url::Url::parse(&format!("http://x{u}"))
                    .unwrap()
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .collect()
    }

    /// What `report_stream` (Flight's DoGet) returns for a ticket.
    async fn ticket(&self, t: Value) -> Vec<RecordBatch> {
        let req = decode(
            t.to_string().as_bytes(),
            self.reports.today(),
            self.reports.api_version(),
        )
        .unwrap();
        report_stream(self.reports.clone(), req)
            .batches
            .try_collect()
            .await
            .unwrap()
    }
}

async fn sql(ctx: &SessionContext, q: &str) -> Result<Vec<RecordBatch>, DataFusionError> {
    ctx.sql(q).await?.collect().await
}

/// The ReportExec nodes of a query's physical plan.
async fn scans(ctx: &SessionContext, q: &str) -> Vec<ReportExec> {
    fn walk(p: &Arc<dyn ExecutionPlan>, out: &mut Vec<ReportExec>) {
        if let Some(r) = p.downcast_ref::<ReportExec>() {
            out.push(r.clone());
        }
        for c in p.children() {
            walk(c, out);
        }
    }
    let plan = ctx
        .sql(q)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let mut out = Vec::new();
    walk(&plan, &mut out);
    out
}

fn strings(batches: &[RecordBatch], col: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = arrow::compute::cast(
                b.column_by_name(col)
                    .unwrap_or_else(|| panic!("column {col}")),
                &arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            let a = a.as_string::<i32>().clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ints(batches: &[RecordBatch], col: &str) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(col)
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        })
        .collect()
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// The rows of two results as sorted lines (same columns, any order).
fn sorted_lines(batches: &[RecordBatch]) -> Vec<String> {
    let text = pretty_format_batches(batches).unwrap().to_string();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(1) // header
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn assert_same_rows(sql: &[RecordBatch], ticket: &[RecordBatch]) {
    assert!(rows(ticket) > 0, "the comparison has rows");
    assert_eq!(rows(sql), rows(ticket));
    assert_eq!(sorted_lines(sql), sorted_lines(ticket));
}

fn day(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

#[tokio::test]
async fn exact_filters_push_the_limit_and_the_fields() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(None);
    let q = format!(
        "SELECT id FROM user_media WHERE ig_user_id = '{}' LIMIT 5",
        acc.id
    );

    let scan = scans(&ctx, &q).await;
    assert_eq!(scan.len(), 1);
    let req = scan[0].request().unwrap();
    assert_eq!(req.limit, Some(5), "an Exact filter lets LIMIT through");
    assert_eq!(req.raw.account.as_deref(), Some(acc.id.as_str()));
    assert_eq!(req.fields, Some(vec!["id".to_string()]));

    rig.reset();
    let got = sql(&ctx, &q).await.unwrap();
    let ids: Vec<String> = strings(&got, "id").into_iter().flatten().collect();
    let want: Vec<String> = acc.media.iter().take(5).map(|m| m.id.clone()).collect();
    assert_eq!(ids, want);
    assert_eq!(rig.calls("user/media"), 1, "one page of 5, paging stopped");
    assert_eq!(
        rig.sim.stats().total,
        1,
        "no account lookup: the account was given"
    );
    let sent = rig.requests(&format!("{}/media", acc.id));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["limit"], "5");
    assert_eq!(sent[0]["fields"], "id", "the Graph fields are narrowed");
    assert!(!sent[0].contains_key("since"));
}

#[tokio::test]
async fn a_time_range_is_pushed_inexact_and_keeps_the_limit_in_datafusion() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(None);
    // a whole-day bound 10 media deep (media are newest first)
    let from = day(acc.media[10].timestamp);
    let in_range: BTreeSet<String> = acc
        .media
        .iter()
        .filter(|m| day(m.timestamp) >= from)
        .map(|m| m.id.clone())
        .collect();
    assert!(in_range.len() >= 10 && in_range.len() <= 100);
    let q = format!(
        "SELECT id FROM user_media WHERE ig_user_id = '{}' AND timestamp >= '{from}' LIMIT 5",
        acc.id
    );

    let scan = scans(&ctx, &q).await;
    let req = scan[0].request().unwrap();
    assert_eq!(
        req.limit, None,
        "the range is Inexact: LIMIT stays above DataFusion's filter"
    );
    let dates = req.params.dates().unwrap();
    assert_eq!(dates.from, from);
    assert_eq!(dates.to, rig.reports.today());
    // timestamp is needed by the filter DataFusion re-applies
    assert_eq!(
        req.fields,
        Some(vec!["id".to_string(), "timestamp".to_string()])
    );

    rig.reset();
    let got = sql(&ctx, &q).await.unwrap();
    let ids: Vec<String> = strings(&got, "id").into_iter().flatten().collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 5);
    assert!(ids.iter().all(|i| in_range.contains(i)), "{ids:?}");
    // the whole range fits one Graph page, asked with since/until and the default page size
    assert_eq!(rig.calls("user/media"), 1);
    let sent = rig.requests(&format!("{}/media", acc.id));
    assert_eq!(sent.len(), 1);
    let since = from.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    assert_eq!(sent[0]["since"], since.to_string());
    assert!(sent[0].contains_key("until"));
    assert_ne!(sent[0]["limit"], "5", "LIMIT 5 was not sent: {:?}", sent[0]);

    // without LIMIT: exactly the ticket's rows (whole days, so DataFusion's filter removes nothing)
    let q = format!(
        "SELECT * FROM user_media WHERE ig_user_id = '{}' AND timestamp >= '{from}'",
        acc.id
    );
    let got = sql(&ctx, &q).await.unwrap();
    let want = rig
        .ticket(json!({"report":"user_media","account":acc.id,"date_from":from.to_string(),"date_to":rig.reports.today().to_string()}))
        .await;
    assert_same_rows(&got, &want);
    assert_eq!(rows(&got), in_range.len());

    // a range inside a day: a superset is asked, DataFusion keeps only the rows in range
    let t = acc.media[3].timestamp;
    let q = format!(
        "SELECT id FROM user_media WHERE ig_user_id = '{}' AND timestamp BETWEEN '{}' AND '{}'",
        acc.id,
        t.format("%Y-%m-%dT%H:%M:%SZ"),
        t.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let got = sql(&ctx, &q).await.unwrap();
    let want: BTreeSet<String> = acc
        .media
        .iter()
        .filter(|m| m.timestamp == t)
        .map(|m| m.id.clone())
        .collect();
    let ids: BTreeSet<String> = strings(&got, "id").into_iter().flatten().collect();
    assert_eq!(ids, want);
}

#[tokio::test]
async fn explain_shows_the_report_the_pushed_params_and_the_limit() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(None);
    let text = |b: Vec<RecordBatch>| pretty_format_batches(&b).unwrap().to_string();
    let plan = text(
        sql(
            &ctx,
            &format!(
                "EXPLAIN SELECT id FROM user_media WHERE ig_user_id = '{}' LIMIT 5",
                acc.id
            ),
        )
        .await
        .unwrap(),
    );
    assert!(
        plan.contains(&format!(
            "ReportExec: report=user_media, graph_params=[account={}], fields=[id], limit=5",
            acc.id
        )),
        "{plan}"
    );
    let plan = text(
        sql(
            &ctx,
            &format!(
                "EXPLAIN SELECT id FROM user_media WHERE ig_user_id = '{}' AND timestamp >= '2024-01-01' LIMIT 5",
                acc.id
            ),
        )
        .await
        .unwrap(),
    );
    assert!(plan.contains("date_from=2024-01-01"), "{plan}");
    assert!(plan.contains("limit=None"), "{plan}");
    let plan = text(
        sql(
            &ctx,
            &format!(
                "EXPLAIN SELECT value FROM user_insights WHERE ig_user_id = '{}' AND metric IN ('reach','impressions') AND period = 'week'",
                acc.id
            ),
        )
        .await
        .unwrap(),
    );
    assert!(plan.contains("report=user_insights"), "{plan}");
    assert!(plan.contains("metrics=reach|impressions"), "{plan}");
    assert!(plan.contains("period=week"), "{plan}");
    // EXPLAIN makes no Graph call
    assert_eq!(rig.sim.stats().total, 0);
}

/// `EXPLAIN ANALYZE` shows what each report scan spent and what the connection's cache saved: a
/// repeated query makes no Graph call and says how many answers came from the cache.
#[tokio::test]
async fn explain_analyze_shows_graph_calls_and_cache_hits() {
    let rig = Rig::new().await;
    let acc = rig.sim.dataset().accounts[0].id.clone();
    let ctx = rig.session(None);
    let q = format!("EXPLAIN ANALYZE SELECT id FROM user_media WHERE ig_user_id = '{acc}'");
    let text = |b: Vec<RecordBatch>| pretty_format_batches(&b).unwrap().to_string();
    let cold = text(sql(&ctx, &q).await.unwrap());
    let calls = rig.sim.stats().total;
    assert!(calls > 1, "{cold}");
    assert!(cold.contains(&format!("graph_calls={calls}")), "{cold}");
    assert!(cold.contains("cache_hits=0"), "{cold}");
    let warm = text(sql(&ctx, &q).await.unwrap());
    assert_eq!(
        rig.sim.stats().total,
        calls,
        "the repeat makes no Graph call"
    );
    assert!(warm.contains("graph_calls=0"), "{warm}");
    assert!(warm.contains(&format!("cache_hits={calls}")), "{warm}");
}

#[tokio::test]
async fn group_by_and_count_equal_the_simulators_counts() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[1];
    let ctx = rig.session(None);
    let got = sql(
        &ctx,
        &format!(
            "SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = '{}' GROUP BY 1",
            acc.id
        ),
    )
    .await
    .unwrap();
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

    // count(*) projects no column: one column is asked, the row count is kept
    let q = format!(
        "SELECT count(*) AS n FROM user_media WHERE ig_user_id = '{}'",
        acc.id
    );
    let scan = scans(&ctx, &q).await;
    assert_eq!(
        scan[0].request().unwrap().fields,
        Some(vec!["id".to_string()])
    );
    let got = sql(&ctx, &q).await.unwrap();
    assert_eq!(ints(&got, "n"), vec![acc.media.len() as i64]);
}

#[tokio::test]
async fn user_media_joins_media_insights() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(Some(&acc.id));
    let got = sql(
        &ctx,
        "SELECT m.media_type AS kind, i.metric, i.value FROM user_media m \
         JOIN media_insights i ON i.media_id = m.id",
    )
    .await
    .unwrap();
    let insights = rig
        .ticket(json!({"report":"media_insights","account":acc.id}))
        .await;
    assert!(rows(&insights) > 0);
    assert_eq!(
        rows(&got),
        rows(&insights),
        "every insight row finds its media"
    );

    // one media: media_id is pushed as media_items=single
    let media = &acc.media[2];
    let q = format!(
        "SELECT i.* FROM media_insights i JOIN user_media m ON i.media_id = m.id \
         WHERE i.media_id = '{}'",
        media.id
    );
    let s = scans(&ctx, &q).await;
    let ins = s
        .iter()
        .find(|e| e.report().name() == "media_insights")
        .unwrap();
    assert_eq!(
        ins.request().unwrap().raw.media_items.as_deref(),
        Some("single")
    );
    rig.reset();
    let got = sql(&ctx, &q).await.unwrap();
    assert!(rig.calls("ids") <= 1, "{:?}", rig.sim.stats().by_endpoint);
    let want = rig
        .ticket(json!({"report":"media_insights","account":acc.id,"media_items":"single","media_id":media.id}))
        .await;
    assert_same_rows(&got, &want);
}

#[tokio::test]
async fn hashtag_media_by_day() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let tag = &ds.hashtags[0];
    let ctx = rig.session(Some(&acc.id));
    let got = sql(
        &ctx,
        &format!(
            "SELECT date_trunc('day', timestamp) AS day, count(DISTINCT id) AS n \
             FROM hashtag_recent_media WHERE hashtag = '{}' GROUP BY 1 ORDER BY 1",
            tag.name
        ),
    )
    .await
    .unwrap();
    let days: Vec<i64> = got
        .iter()
        .flat_map(|b| {
            b.column_by_name("day")
                .unwrap()
                .as_primitive::<TimestampSecondType>()
                .values()
                .to_vec()
        })
        .collect();
    let got: BTreeMap<NaiveDate, i64> = days
        .into_iter()
        .map(|s| day(DateTime::from_timestamp(s, 0).unwrap()))
        .zip(ints(&got, "n"))
        .collect();
    let mut seen = BTreeSet::new();
    let mut want: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for m in &tag.recent_media {
        if seen.insert(m.id.clone()) {
            *want.entry(day(m.timestamp)).or_default() += 1;
        }
    }
    assert_eq!(got, want);

    // same rows as the ticket
    let q = format!(
        "SELECT * FROM hashtag_top_media WHERE hashtag = '{}'",
        tag.name
    );
    let got = sql(&ctx, &q).await.unwrap();
    let want = rig
        .ticket(json!({"report":"hashtag_top_media","account":acc.id,"hashtag":tag.name}))
        .await;
    assert_same_rows(&got, &want);
}

#[tokio::test]
async fn a_missing_required_parameter_shows_the_where_clause_to_add() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let ctx = rig.session(Some(&ds.accounts[0].id));
    for (table, clause) in [
        ("hashtag_recent_media", "add WHERE hashtag = '…'"),
        ("hashtag_top_media", "add WHERE hashtag = '…'"),
        ("media_comments", "add WHERE media_id = '…'"),
        ("other_users", "add WHERE username = '…'"),
        ("other_users_media", "add WHERE username = '…'"),
    ] {
        let err = sql(&ctx, &format!("SELECT * FROM {table}"))
            .await
            .expect_err(table);
        assert!(err.to_string().contains(clause), "{table}: {err}");
        let r = report_error(&err).expect("carries the report error");
        assert!(matches!(r, ReportError::Ticket(_)));
        assert_eq!(to_status(&err).code(), Code::InvalidArgument);
    }
    let err = sql(&ctx, "SELECT * FROM hashtag_recent_media")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("report hashtag_recent_media needs a hashtag: add WHERE hashtag = '…'"),
        "{err}"
    );
    // a filter that is not an equality does not count
    assert!(
        sql(
            &ctx,
            "SELECT * FROM hashtag_recent_media WHERE hashtag LIKE 'cof%'"
        )
        .await
        .is_err()
    );
    assert_eq!(rig.sim.stats().total, 0, "refused before any Graph call");
}

#[tokio::test]
async fn user_insights_metric_and_period_are_pushed() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(None);
    let got = sql(
        &ctx,
        &format!(
            "SELECT * FROM user_insights WHERE ig_user_id = '{}' \
             AND metric IN ('reach','impressions') AND period = 'week'",
            acc.id
        ),
    )
    .await
    .unwrap();
    let metrics: BTreeSet<String> = strings(&got, "metric").into_iter().flatten().collect();
    let periods: BTreeSet<String> = strings(&got, "period").into_iter().flatten().collect();
    assert_eq!(
        metrics,
        BTreeSet::from(["impressions".to_string(), "reach".to_string()])
    );
    assert_eq!(periods, BTreeSet::from(["week".to_string()]));
    let sent = rig.requests(&format!("{}/insights", acc.id));
    assert!(!sent.is_empty());
    for s in &sent {
        assert_eq!(s["period"], "week");
        assert_eq!(s["metric"], "reach,impressions");
    }
    let want = rig
        .ticket(json!({"report":"user_insights","account":acc.id,"metrics":["reach","impressions"],"period":"week"}))
        .await;
    assert_same_rows(&got, &want);

    // a refused value is the ticket's refusal
    let err = sql(
        &ctx,
        &format!(
            "SELECT * FROM user_insights WHERE ig_user_id = '{}' AND metric = 'nope'",
            acc.id
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(to_status(&err).code(), Code::InvalidArgument, "{err}");
    assert!(err.to_string().contains("unknown metric `nope`"), "{err}");
}

#[tokio::test]
async fn errors_during_the_stream_carry_the_report_error() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    // no default account and two accounts reachable: the report's own resolution refuses, listing them
    let ctx = rig.session(None);
    let err = sql(&ctx, "SELECT * FROM user").await.unwrap_err();
    let r = report_error(&err).expect("a report error");
    assert!(matches!(r, ReportError::AmbiguousAccount { .. }), "{r}");
    assert_eq!(to_status(&err).code(), Code::InvalidArgument);
    for a in &ds.accounts {
        assert!(err.to_string().contains(&a.id), "{err}");
    }
    // `id` on user names the account
    let got = sql(
        &ctx,
        &format!("SELECT id, username FROM user WHERE id = '{}'", acc.id),
    )
    .await
    .unwrap();
    assert_eq!(strings(&got, "username"), vec![Some(acc.username.clone())]);
    // a media that does not exist: NOT_FOUND
    let err = sql(
        &rig.session(Some(&acc.id)),
        "SELECT * FROM media_comments WHERE media_id = '999999999'",
    )
    .await
    .unwrap_err();
    assert_eq!(to_status(&err).code(), Code::NotFound, "{err}");
}

#[tokio::test]
async fn contradictions_and_unsupported_filters() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(Some(&acc.id));
    rig.reset();
    let got = sql(
        &ctx,
        "SELECT * FROM hashtag_recent_media WHERE hashtag = 'a' AND hashtag = 'b'",
    )
    .await
    .unwrap();
    assert_eq!(rows(&got), 0);
    assert_eq!(rig.sim.stats().total, 0, "no Graph call for an empty scan");

    // an unsupported filter is applied by DataFusion
    let got = sql(
        &ctx,
        "SELECT id FROM user_media WHERE like_count > 10 AND media_type = 'IMAGE'",
    )
    .await
    .unwrap();
    let ids: BTreeSet<String> = strings(&got, "id").into_iter().flatten().collect();
    let want: BTreeSet<String> = acc
        .media
        .iter()
        .filter(|m| m.like_count.is_some_and(|l| l > 10) && m.media_type.as_str() == "IMAGE")
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(ids, want);

    // a default account is overridden by ig_user_id
    let other = &ds.accounts[1];
    let got = sql(
        &ctx,
        &format!(
            "SELECT DISTINCT ig_user_id FROM user_media WHERE ig_user_id = '{}'",
            other.id
        ),
    )
    .await
    .unwrap();
    assert_eq!(strings(&got, "ig_user_id"), vec![Some(other.id.clone())]);

    // every table is registered under its report name
    for name in [
        "hashtag_recent_media",
        "hashtag_top_media",
        "media_comments",
        "media_insights",
        "other_users",
        "other_users_media",
        "recently_searched_hashtags",
        "user",
        "user_insights",
        "user_media",
        "user_stories",
        "pages",
    ] {
        assert!(ctx.table_exist(name).unwrap(), "{name}");
    }
    let got = sql(&ctx, "SELECT page_id FROM pages").await.unwrap();
    assert_eq!(rows(&got), ds.pages.len());
}

#[tokio::test]
async fn end_time_ranges_become_the_insights_date_range() {
    let rig = Rig::new().await;
    let ds = rig.sim.dataset();
    let acc = &ds.accounts[0];
    let ctx = rig.session(None);
    let today = rig.reports.today();
    let (d1, d2) = (
        today - chrono::Duration::days(10),
        today - chrono::Duration::days(3),
    );
    let q = format!(
        "SELECT * FROM user_insights WHERE ig_user_id = '{}' AND metric = 'reach' \
         AND end_time >= '{d1}' AND end_time < '{d2}'",
        acc.id
    );
    let s = scans(&ctx, &q).await;
    let req = s[0].request().unwrap();
    let r = req.params.dates().unwrap();
    assert_eq!((r.from, r.to), (d1, d2 - chrono::Duration::days(1)));
    assert_eq!(req.limit, None);
    let got = sql(&ctx, &q).await.unwrap();
    let want = rig
        .ticket(
            json!({"report":"user_insights","account":acc.id,"metrics":["reach"],
            "date_from":d1.to_string(),"date_to":(d2 - chrono::Duration::days(1)).to_string()}),
        )
        .await;
    assert_same_rows(&got, &want);
    assert_eq!(rows(&got), 7, "one value per day");
}
