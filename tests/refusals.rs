//! The product against each of the four texts the Graph API sends when it refuses an insights metric
//! (src/graph/refusal.rs), served by a scripted Graph server (axum on 127.0.0.1:0, the pattern of
//! tests/hostile_graph.rs) that answers like the Graph API: the media listing, multi-id insights
//! (`GET /?ids=…&fields=insights.metric(…)`), user insights per window and `GET /me?fields=id`, each
//! answer with `facebook-api-version` (unless a test leaves it out), each refusal a 400
//! `{"error":{"message":…,"type":"OAuthException","code":100,"fbtrace_id":…}}`. Every test checks the
//! rows, `dropped_metrics`, the exact calls the server received (so their number), and that no call
//! after a refusal asks the refused metric again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampSecondType};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures::TryStreamExt;
use igflight::error::ReportError;
use igflight::graph::{BudgetConfig, CacheConfig, GraphClient, RetryPolicy};
use igflight::plan::{ReportContext, RunSummary, report_stream};
use igflight::ticket::ReportRequest;
use parking_lot::Mutex;
use serde_json::{Value, json};

const V15: Option<&str> = Some("v15.0");
const V21: Option<&str> = Some("v21.0");
const V22: Option<&str> = Some("v22.0");
const TOKEN: &str = "EAAGrefusalsTESTtoken123";
const IG: &str = "17841400000000001";
const IMAGE: &str = "101";
const IMAGE2: &str = "102";
const REEL: &str = "103";
const ALBUM: &str = "104";
/// Today's `must be one of` list of media metrics (the v22+ API).
const MEDIA_LIST: &str = "reach, replies, saved, likes, comments, shares, total_interactions, follows, profile_visits, profile_activity, navigation, ig_reels_avg_watch_time, ig_reels_video_view_total_time, views";
/// Today's `must be one of` list of user metrics.
const USER_LIST: &str = "reach, follower_count, website_clicks, profile_views, online_followers, accounts_engaged, total_interactions, likes, comments, shares, saves, replies, follows_and_unfollows, profile_links_taps, views";
const NO_LONGER: &str = "Starting from version 22 and above, the impressions metric is no longer supported for the queried user. Please refer to the documentation at https://developers.facebook.com/docs/instagram-api/reference/ig-user/insights for a list of supported metrics.";

/// One request as the server saw it, its query decoded.
#[derive(Clone, Debug)]
struct Call {
    path: String,
    params: BTreeMap<String, String>,
    /// `metric=…`, or the `insights.metric(…)` of `fields`.
    metrics: Vec<String>,
    /// `ids=…`.
    ids: Vec<String>,
}

impl Call {
    fn asks(&self, metric: &str) -> bool {
        self.metrics.iter().any(|m| m == metric)
    }
    fn is_probe(&self) -> bool {
        self.path.ends_with("/me") && self.params.get("fields").is_some_and(|f| f == "id")
    }
    /// `must be one of` for `metric`, at its index in the sent list, if sent.
    fn not_one_of(&self, metric: &str, list: &str) -> Option<String> {
        let i = self.metrics.iter().position(|m| m == metric)?;
        Some(format!(
            "(#100) metric[{i}] must be one of the following values: {list}"
        ))
    }
    /// Short form: `media`, `me`, `{ids} {metrics}` or `{metrics} since={since}`.
    fn short(&self) -> String {
        let p = |k: &str| self.params.get(k).cloned().unwrap_or_default();
        match () {
            _ if self.is_probe() => "me".into(),
            _ if self.path.ends_with("/media") => "media".into(),
            _ if self.ids.is_empty() => format!("{} since={}", p("metric"), p("since")),
            _ => format!("{} {}", self.ids.join(","), self.metrics.join(",")),
        }
    }
}

type Refuse = dyn Fn(&Call) -> Option<String> + Send + Sync;
/// (id, media_type, media_product_type)
type Media = (&'static str, &'static str, &'static str);

/// The server's script: the version header, the account's media, the refusals; the calls received.
#[derive(Clone)]
struct Script {
    version: Option<&'static str>,
    media: Vec<Media>,
    refuse: Arc<Refuse>,
    hits: Arc<Mutex<Vec<Call>>>,
}

/// The scripted server: its address and the calls it received.
struct Graph {
    base: String,
    hits: Arc<Mutex<Vec<Call>>>,
}

impl Graph {
    async fn start(
        version: Option<&'static str>,
        media: &[Media],
        refuse: impl Fn(&Call) -> Option<String> + Send + Sync + 'static,
    ) -> Graph {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(Vec::new()));
        let script = Script {
            version,
            media: media.to_vec(),
            refuse: Arc::new(refuse),
            hits: hits.clone(),
        };
        let app = Router::new().fallback(serve).with_state(script);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Graph { base, hits }
    }

    fn hits(&self) -> Vec<Call> {
        self.hits.lock().clone()
    }

    fn asked(&self) -> Vec<String> {
        self.hits().iter().map(Call::short).collect()
    }

    /// A context on a client asking `version`, with fast retries and a budget that never binds.
    fn ctx(&self, version: &str) -> Arc<ReportContext> {
        let retry = RetryPolicy {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(30),
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        };
        // the scripted server counts every request: no response cache between runs
        let client = GraphClient::builder(TOKEN)
            .cache_config(CacheConfig::off())
            .base_url(&self.base)
            .version(version)
            .retry(retry)
            .budget_config(BudgetConfig {
                limit: 100_000,
                ..BudgetConfig::default()
            })
            .request_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        Arc::new(ReportContext::new(client))
    }
}

/// The value the server answers for a metric.
fn value_of(metric: &str) -> i64 {
    metric.len() as i64
}

fn graph_time(unix: i64) -> String {
    let t = chrono::DateTime::from_timestamp(unix, 0).unwrap();
    t.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

fn list(s: &str) -> Vec<String> {
    s.split(',').map(str::to_string).collect()
}

async fn serve(State(s): State<Script>, req: Request) -> Response {
    let query = req.uri().query().unwrap_or("").as_bytes();
    let params: BTreeMap<String, String> =
        url::form_urlencoded::parse(query).into_owned().collect();
    let fields = params.get("fields").map_or("", String::as_str);
    let metrics = match (params.get("metric"), fields.split_once("insights.metric(")) {
        (Some(m), _) => list(m),
        (None, Some((_, rest))) => list(rest.split(')').next().unwrap_or("")),
        _ => Vec::new(),
    };
    let ids = params.get("ids").map_or(Vec::new(), |i| list(i));
    let path = req.uri().path().to_owned();
    let call = Call {
        path,
        params,
        metrics,
        ids,
    };
    s.hits.lock().push(call.clone());
    let (status, body) = if let Some(message) = (s.refuse)(&call) {
        let error = json!({"message": message, "type": "OAuthException", "code": 100,
                           "fbtrace_id": "AbCdEfRefusal"});
        (400, json!({ "error": error }))
    } else if call.is_probe() {
        (200, json!({ "id": IG }))
    } else if call.path.ends_with("/media") {
        let data: Vec<Value> = (s.media.iter())
            .map(|(id, t, p)| {
                json!({"id": id, "media_type": t, "media_product_type": p,
                       "timestamp": "2026-11-01T10:00:00+0000"})
            })
            .collect();
        let paging = json!({"cursors": {"before": "QVFIUmFz", "after": "QVFIUmJ6"}});
        (200, json!({ "data": data, "paging": paging }))
    } else if call.path.ends_with("/insights") {
        // user insights: one value per metric, on the window's first day
        let since: i64 = call.params.get("since").map_or(0, |v| v.parse().unwrap());
        let period = call.params.get("period").cloned().unwrap_or_default();
        let end_time = graph_time(since + 8 * 3600);
        let data: Vec<Value> = (call.metrics.iter())
            .map(|m| {
                json!({"name": m, "period": period, "title": m,
                       "values": [{"value": value_of(m), "end_time": end_time}],
                       "id": format!("{IG}/insights/{m}/{period}")})
            })
            .collect();
        (200, json!({ "data": data }))
    } else {
        let mut out = serde_json::Map::new();
        for id in &call.ids {
            let data: Vec<Value> = (call.metrics.iter())
                .map(|m| {
                    json!({"name": m, "period": "lifetime", "values": [{"value": value_of(m)}],
                           "title": m, "id": format!("{id}/insights/{m}/lifetime")})
                })
                .collect();
            out.insert(id.clone(), json!({"insights": {"data": data}, "id": id}));
        }
        (200, Value::Object(out))
    };
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(v) = s.version {
        h.insert("facebook-api-version", HeaderValue::from_static(v));
    }
    resp
}

/// A run to its end: its rows as `{media id or end_time} {metric}={value}`, sorted; its summary; its
/// error.
struct Run {
    rows: Vec<String>,
    summary: Arc<RunSummary>,
    error: Option<ReportError>,
}

impl Run {
    fn ok(&self) -> &Self {
        assert!(self.error.is_none(), "{:?}", self.error);
        self
    }

    /// Assert `dropped_metrics` of the summary JSON is `want` (`{metric}→{replacement or -} @{scope}`)
    /// and `skipped.removed_metric` counts them; returns their reasons.
    fn dropped(&self, want: &[&str]) -> Vec<String> {
        let v = self.summary.to_json();
        let got = v["dropped_metrics"].as_array().cloned().unwrap_or_default();
        let text = |d: &Value, k: &str| d[k].as_str().unwrap_or("-").to_string();
        let short = |d: &Value| {
            let (m, r, s) = (text(d, "metric"), text(d, "replacement"), text(d, "scope"));
            format!("{m}→{r} @{s}")
        };
        assert_eq!(got.iter().map(short).collect::<Vec<_>>(), want, "{v}");
        let removed = v["skipped"]["removed_metric"].as_u64().unwrap_or(0);
        assert_eq!(removed, want.len() as u64, "{v}");
        got.iter().map(|d| text(d, "reason")).collect()
    }
}

fn strings(b: &RecordBatch, col: &str) -> Vec<String> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    (0..a.len()).map(|i| a.value(i).to_string()).collect()
}

async fn collect(ctx: &Arc<ReportContext>, req: ReportRequest) -> Run {
    let rs = report_stream(ctx.clone(), req);
    let mut batches = std::pin::pin!(rs.batches);
    let (mut rows, mut error) = (Vec::new(), None);
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), batches.try_next());
        let b = match next.await.expect("bounded") {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let keys = match b.column_by_name("end_time") {
            None => strings(&b, "media_id"),
            Some(t) => {
                let t = t.as_primitive::<TimestampSecondType>();
                (0..t.len()).map(|i| graph_time(t.value(i))).collect()
            }
        };
        let v = b
            .column_by_name("value")
            .unwrap()
            .as_primitive::<Int64Type>();
        for (i, (k, m)) in keys.into_iter().zip(strings(&b, "metric")).enumerate() {
            rows.push(format!("{k} {m}={}", v.value(i)));
        }
    }
    rows.sort();
    Run {
        rows,
        summary: rs.summary,
        error,
    }
}

/// Decode `ticket` against the context's catalog, as for a connection whose version is known, and run it.
async fn run(ctx: &Arc<ReportContext>, ticket: Value) -> Run {
    let (bytes, today) = (ticket.to_string(), ctx.today());
    let req = igflight::ticket::decode(bytes.as_bytes(), today, ctx.api_version()).unwrap();
    collect(ctx, req).await
}

/// `{id} {metric}={value}` rows.
fn rows(v: &[(&str, &str)]) -> Vec<String> {
    let mut out: Vec<String> = (v.iter())
        .map(|(id, m)| format!("{id} {m}={}", value_of(m)))
        .collect();
    out.sort();
    out
}

/// No call from index `from` on asks `metric` (of `ids`, when given) again; no version probe was made.
fn never_asked_after(hits: &[Call], from: usize, metric: &str, ids: Option<&[&str]>) {
    for (i, c) in hits.iter().enumerate().skip(from) {
        let of_them = ids.is_none_or(|ids| c.ids.iter().any(|x| ids.contains(&x.as_str())));
        assert!(!(of_them && c.asks(metric)), "call {i}: {c:?}");
    }
    assert!(!hits.iter().any(Call::is_probe), "{hits:?}");
}

fn media_ticket(metrics: &[&str]) -> Value {
    json!({"report": "media_insights", "account": IG, "metrics": metrics})
}

fn user_ticket(metrics: &[&str], from_offset: i64) -> Value {
    json!({"report": "user_insights", "account": IG, "metrics": metrics, "period": "day",
           "date_from_offset": from_offset, "date_to_offset": 1})
}

#[tokio::test]
async fn a_not_one_of_on_a_media_group_drops_the_metric_and_teaches_the_connection() {
    let media = [(IMAGE, "IMAGE", "FEED"), (IMAGE2, "IMAGE", "FEED")];
    let graph = Graph::start(V15, &media, |c| c.not_one_of("impressions", MEDIA_LIST)).await;
    let ctx = graph.ctx("v15.0");
    let ticket = media_ticket(&["reach", "impressions"]);
    let r = run(&ctx, ticket.clone()).await;
    assert_eq!(r.ok().rows, rows(&[(IMAGE, "reach"), (IMAGE2, "reach")]));
    let reasons = r.dropped(&["impressions→views @all"]);
    let reason = "the Graph API (v15.0) does not serve it; removed in v22.0";
    assert_eq!(reasons, [reason]);
    assert_eq!(
        graph.asked(),
        ["media", "101,102 reach,impressions", "101,102 reach"]
    );
    let hits = graph.hits();
    let (listing, p) = (
        "id,media_type,media_product_type,timestamp",
        &hits[0].params,
    );
    assert_eq!(hits[0].path, format!("/v15.0/{IG}/media"));
    assert_eq!(
        [p["fields"].as_str(), p["limit"].as_str()],
        [listing, "100"]
    );
    let (asked, p) = ("insights.metric(reach,impressions)", &hits[1].params);
    assert_eq!(
        [hits[1].path.as_str(), p["fields"].as_str()],
        ["/v15.0/", asked]
    );
    assert_eq!(r.summary.graph_calls(), 3);
    never_asked_after(&hits, 2, "impressions", None);

    // The version-wide refusal taught the connection the v22.0 catalog: the next run leaves
    // impressions out without a call, and still names it.
    assert_eq!(ctx.api_version().to_string(), "v22.0");
    let r = run(&ctx, ticket).await;
    assert_eq!(r.ok().rows, rows(&[(IMAGE, "reach"), (IMAGE2, "reach")]));
    let reasons = r.dropped(&["impressions→views @all"]);
    assert_eq!(reasons, ["removed in v22.0"]);
    assert_eq!(graph.asked()[3..], ["media", "101,102 reach"]);
    never_asked_after(&graph.hits(), 2, "impressions", None);
}

#[tokio::test]
async fn b_not_one_of_on_user_insights_is_not_asked_in_the_second_window() {
    let graph = Graph::start(V15, &[], |c| c.not_one_of("impressions", USER_LIST)).await;
    let ctx = graph.ctx("v15.0");
    // 45 days: a 30-day window and a 15-day one
    let r = run(&ctx, user_ticket(&["impressions", "reach"], 45)).await;
    r.ok();
    let hits = graph.hits();
    let since = |i: usize| hits[i].params["since"].parse::<i64>().unwrap();
    let (w1, w2) = (since(0), since(2));
    assert_eq!(w2 - w1, 30 * 86_400);
    assert_eq!(
        graph.asked(),
        [
            format!("impressions,reach since={w1}"),
            format!("reach since={w1}"),
            format!("reach since={w2}"),
        ],
        "refused, the first window asked again, the second window"
    );
    for c in &hits {
        assert_eq!(c.path, format!("/v15.0/{IG}/insights"));
        assert_eq!(c.params["period"], "day");
    }
    assert_eq!(hits[1].params["until"], hits[2].params["since"]);
    never_asked_after(&hits, 1, "impressions", None);
    let day = |w: i64| graph_time(w + 8 * 3600);
    assert_eq!(r.rows, rows(&[(&day(w1), "reach"), (&day(w2), "reach")]));
    let reasons = r.dropped(&["impressions→views @day"]);
    assert!(reasons[0].ends_with("removed in v22.0"), "{reasons:?}");
    assert_eq!(r.summary.graph_calls(), 3);
}

#[tokio::test]
async fn c_product_type_on_a_mixed_group_is_split_per_kind_and_the_reel_keeps_views() {
    let media = [(IMAGE, "IMAGE", "FEED"), (REEL, "VIDEO", "REELS")];
    let graph = Graph::start(V22, &media, |c| {
        let text =
            "The Media Insights API does not support the views metric for this media product type.";
        (c.asks("views") && c.ids.iter().any(|i| i == IMAGE)).then(|| text.to_string())
    })
    .await;
    let ctx = graph.ctx("v22.0");
    let r = run(&ctx, media_ticket(&["reach", "views"])).await;
    let want = rows(&[(IMAGE, "reach"), (REEL, "reach"), (REEL, "views")]);
    assert_eq!(r.ok().rows, want);
    let reasons = r.dropped(&["views→- @image"]);
    assert!(reasons[0].contains("product type"), "{reasons:?}");
    // the mixed group split per kind, the parts asked at once (in either order); the image's refusal
    // drops views for images only
    let asked = graph.asked();
    assert_eq!(asked[..2], ["media", "101,103 reach,views"]);
    let mut parts = asked[2..4].to_vec();
    parts.sort();
    assert_eq!(parts, ["101 reach,views", "103 reach,views"]);
    assert_eq!(asked[4..], ["101 reach"]);
    let refused_at = asked.iter().position(|a| a == "101 reach,views").unwrap();
    never_asked_after(&graph.hits(), refused_at + 1, "views", Some(&[IMAGE]));
    assert_eq!(r.summary.graph_calls(), 5);
    assert_eq!(ctx.api_version().to_string(), "v22.0", "nothing learned");
}

#[tokio::test]
async fn d_no_longer_supported_on_user_impressions_is_dropped_at_runtime() {
    // A v22.0 client never sends user `impressions`: the v22 catalog removes it before any call (the
    // second run below). The runtime path is a connection asking v21.0 and answered by v21.0 (the v21
    // catalog lists impressions) whose API already applies the v22 removal to every version, as
    // Facebook's has since 2025-04-21: it answers text 3.
    let graph = Graph::start(V21, &[], |c| {
        c.asks("impressions").then(|| NO_LONGER.to_string())
    })
    .await;
    let ctx = graph.ctx("v21.0");
    assert_eq!(ctx.api_version().to_string(), "v21.0");
    let r = run(&ctx, user_ticket(&["impressions", "reach"], 10)).await;
    let hits = graph.hits();
    let day = graph_time(hits[0].params["since"].parse::<i64>().unwrap() + 8 * 3600);
    assert_eq!(r.ok().rows, rows(&[(&day, "reach")]));
    let w = &hits[0].params["since"];
    assert_eq!(
        graph.asked(),
        [
            format!("impressions,reach since={w}"),
            format!("reach since={w}")
        ]
    );
    let path = format!("/v21.0/{IG}/insights");
    assert!(hits.iter().all(|c| c.path == path), "{hits:?}");
    never_asked_after(&hits, 1, "impressions", None);
    let reasons = r.dropped(&["impressions→views @day"]);
    let reason = "no longer supported by the Graph API (v21.0); removed in v22.0";
    assert_eq!(reasons, [reason]);
    // version-wide: the connection now validates against v22.0 and spends no call on impressions
    assert_eq!(ctx.api_version().to_string(), "v22.0");
    let r = run(&ctx, user_ticket(&["impressions", "reach"], 10)).await;
    assert_eq!(r.ok().rows, rows(&[(&day, "reach")]));
    assert_eq!(graph.asked()[2..], [format!("reach since={w}")]);
    let reasons = r.dropped(&["impressions→views @day"]);
    assert_eq!(reasons, ["removed in v22.0"]);
}

#[tokio::test]
async fn e_incompatible_drops_for_that_kind_only() {
    // No catalog lists `total_interactions` for a feed VIDEO (the product never sends it for one), so
    // the kind refused is a carousel album (v22 lists it there): its group asks
    // [reach,total_interactions], the image's [reach,total_interactions,likes], asked first (the image
    // is the oldest media: its answer shows no media is from before the conversion).
    let media = [(ALBUM, "CAROUSEL_ALBUM", "FEED"), (IMAGE, "IMAGE", "FEED")];
    let graph = Graph::start(V22, &media, |c| {
        let text = "(#100) Incompatible metric (total_interactions) with the media";
        (c.asks("total_interactions") && c.ids.iter().any(|i| i == ALBUM)).then(|| text.to_string())
    })
    .await;
    let ctx = graph.ctx("v22.0");
    let ticket = media_ticket(&["reach", "total_interactions", "likes"]);
    let r = run(&ctx, ticket).await;
    let want = [
        (ALBUM, "reach"),
        (IMAGE, "likes"),
        (IMAGE, "reach"),
        (IMAGE, "total_interactions"),
    ];
    assert_eq!(r.ok().rows, rows(&want));
    let reasons = r.dropped(&["total_interactions→- @carousel_album"]);
    assert!(reasons[0].contains("incompatible"), "{reasons:?}");
    assert_eq!(
        graph.asked(),
        [
            "media",
            "101 reach,total_interactions,likes",
            "104 reach,total_interactions",
            "104 reach"
        ]
    );
    never_asked_after(&graph.hits(), 3, "total_interactions", Some(&[ALBUM]));
    assert_eq!(r.summary.graph_calls(), 4);
    assert_eq!(ctx.api_version().to_string(), "v22.0", "nothing learned");
}

#[tokio::test]
async fn f_every_metric_refused_is_invalid_argument_naming_them_and_the_accepted_list() {
    let media = [(IMAGE, "IMAGE", "FEED"), (IMAGE2, "IMAGE", "FEED")];
    let graph = Graph::start(V15, &media, |c| c.not_one_of("impressions", MEDIA_LIST)).await;
    let ctx = graph.ctx("v15.0");
    let r = run(&ctx, media_ticket(&["impressions", "engagement"])).await;
    let e = r.error.as_ref().expect("the run fails");
    assert!(matches!(e, ReportError::Ticket(_)), "{e:?}");
    assert_eq!(e.to_status().code(), tonic::Code::InvalidArgument);
    let msg = e.to_string();
    let names = "the Graph API (v15.0) refused every metric asked (impressions, engagement)";
    assert!(msg.contains(names), "{msg}");
    let accepts = format!("; it accepts: {MEDIA_LIST}");
    assert!(msg.ends_with(&accepts), "{msg}");
    assert!(r.rows.is_empty());
    // one refusal drops both at once: no further insights call
    assert_eq!(graph.asked(), ["media", "101,102 impressions,engagement"]);
    never_asked_after(&graph.hits(), 2, "impressions", None);
    let both = [
        "impressions→views @all",
        "engagement→total_interactions @all",
    ];
    r.dropped(&both);
}

/// A run on one image whose insights call is answered `message` fails with that Graph error after
/// exactly two calls (the listing, one insights call), dropping nothing.
async fn not_swallowed(metrics: &[&str], message: &'static str) {
    let graph = Graph::start(V15, &[(IMAGE, "IMAGE", "FEED")], move |c| {
        (!c.ids.is_empty()).then(|| message.to_string())
    })
    .await;
    let ctx = graph.ctx("v15.0");
    let r = run(&ctx, media_ticket(metrics)).await;
    let asked = graph.asked();
    let e = (r.error.as_ref()).unwrap_or_else(|| panic!("{message}: fails, not {:?}", r.rows));
    assert!(matches!(e, ReportError::Graph(_)), "{message}: {e:?}");
    assert!(e.to_string().contains(message), "{message}: {e}");
    let sent = format!("101 {}", metrics.join(","));
    assert_eq!(asked, ["media", &sent], "{message}: not asked again");
    r.dropped(&[]);
    assert_eq!(ctx.api_version().to_string(), "v15.0", "{message}");
}

#[tokio::test]
async fn g_a_refusal_of_a_metric_not_sent_or_a_malformed_one_stays_the_error() {
    let incompatible = "(#100) Incompatible metric (views) with the media";
    not_swallowed(&["reach", "saved"], incompatible).await;
    let product =
        "The Media Insights API does not support the plays metric for this media product type.";
    not_swallowed(&["reach", "saved"], product).await;
    let past = "(#100) metric[9] must be one of the following values: reach, saved";
    not_swallowed(&["reach", "saved"], past).await;
    not_swallowed(&["reach", "impressions"], "(#100) Invalid parameter").await;
    let garbled = "(#100) metric[1] must be one of the following values: Reach; DROP";
    not_swallowed(&["reach", "impressions"], garbled).await;
}

/// An index past the sent list: the text is not about this call, even when its list misses a sent
/// metric (nothing dropped, no catalog learned, the Graph error stays the run's error).
#[tokio::test]
async fn g_an_index_past_the_sent_list_is_not_a_refusal_even_when_its_list_misses_a_metric() {
    let past = "(#100) metric[9] must be one of the following values: reach, saved";
    not_swallowed(&["reach", "impressions"], past).await;
}

#[tokio::test]
async fn h_the_first_insights_run_of_an_unknown_version_probes_once() {
    for header in [None, Some("v15.0")] {
        let graph = Graph::start(header, &[(IMAGE, "IMAGE", "FEED")], |_| None).await;
        let ctx = graph.ctx("v15.0");
        let ticket = media_ticket(&["reach"]).to_string();
        for n in 0..2 {
            // as the Flight service's DoGet: checked without a call, then the final request
            let today = ctx.today();
            let check = |v| igflight::ticket::decode(ticket.as_bytes(), today, v);
            let req = ctx.check_now(check).unwrap();
            let req = ctx.final_request(req).await.unwrap();
            let r = collect(&ctx, req).await;
            assert_eq!(r.ok().rows, rows(&[(IMAGE, "reach")]), "{header:?} run {n}");
            assert_eq!(r.summary.graph_calls(), 2, "{header:?} run {n}");
        }
        let want = ["me", "media", "101 reach", "media", "101 reach"];
        assert_eq!(graph.asked(), want, "{header:?}: one probe, first");
        assert_eq!(graph.hits()[0].path, "/v15.0/me");
        assert!(ctx.version_known());
        assert_eq!(ctx.graph.served_version().as_deref(), header);
    }
}
