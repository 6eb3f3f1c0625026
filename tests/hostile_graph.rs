//! A hostile Graph server (axum on 127.0.0.1:0, started in each test) against the real client:
//! gzip bombs, absurd wait headers, redirects, HTML, foreign `next` URLs, endless empty pages and a
//! reply `next` pointing at itself. Each case counts the calls the server received.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures::TryStreamExt;
use igflight::graph::{
    BudgetConfig, CacheConfig, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EMPTY_PAGES, Edge, Endpoint,
    ErrorClass, GraphClient, GraphError, MAX_SERVER_WAIT, NodeId, PageOut, PageRequest,
    RetryPolicy,
};
use igflight::plan::{ReportContext, report_stream};
use parking_lot::Mutex;
use serde_json::{Value, json};

const TOKEN: &str = "EAAGhostileTESTtoken123";

/// One request as the hostile server saw it.
#[derive(Clone, Debug)]
struct Hit {
    path: String,
    query: String,
}

/// What a handler answers.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(v: Value) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: v.to_string().into_bytes(),
        }
    }

    fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }
}

type Handler = Arc<dyn Fn(&Hit, &str, usize) -> Answer + Send + Sync>;

#[derive(Clone)]
struct AppState {
    hits: Arc<Mutex<Vec<Hit>>>,
    handler: Handler,
    base: String,
}

struct Hostile {
    base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Hostile {
    /// Serve `handler(request, base_url, index of this request)`.
    async fn start(handler: impl Fn(&Hit, &str, usize) -> Answer + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(Vec::new()));
        let state = AppState {
            hits: hits.clone(),
            handler: Arc::new(handler),
            base: base.clone(),
        };
        let app = Router::new().fallback(serve).with_state(state);
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, hits }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().clone()
    }

    fn count(&self) -> usize {
        self.hits.lock().len()
    }

    fn client(&self) -> GraphClient {
        client_for(&self.base)
    }
}

async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let hit = Hit {
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
    };
    let index = {
        let mut hits = state.hits.lock();
        hits.push(hit.clone());
        hits.len() - 1
    };
    let answer = (state.handler)(&hit, &state.base, index);
    let mut resp = Response::new(Body::from(answer.body));
    *resp.status_mut() = StatusCode::from_u16(answer.status).unwrap();
    for (name, value) in answer.headers {
        resp.headers_mut()
            .insert(name, HeaderValue::try_from(value).unwrap());
    }
    resp
}

fn client_for(base: &str) -> GraphClient {
    // transport tests: every request goes to the server (no response cache)
    GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(base)
        .retry(RetryPolicy {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(30),
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
        .request_timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn media(ids: &[u32]) -> Value {
    Value::Array(
        ids.iter()
            .map(|i| json!({"id": i.to_string(), "caption": format!("m{i}")}))
            .collect(),
    )
}

/// The Instagram user the tests read.
fn ig() -> NodeId {
    NodeId::parse("17841400000000001").unwrap()
}

async fn collect(c: &GraphClient, req: PageRequest) -> (Vec<PageOut>, Option<GraphError>) {
    let mut pages = Vec::new();
    let mut stream = std::pin::pin!(c.pages(req));
    loop {
        match stream.try_next().await {
            Ok(Some(p)) => pages.push(p),
            Ok(None) => return (pages, None),
            Err(e) => return (pages, Some(e)),
        }
    }
}

/// `len` zero bytes, gzip-compressed.
fn gzip_zeros(len: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_at_the_body_cap_in_one_call() {
    // Decompresses to more than the default 16 MiB cap from well under a megabyte.
    let bomb = Arc::new(gzip_zeros(DEFAULT_MAX_BODY_BYTES + (4 << 20)));
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let server = Hostile::start(move |_, _, _| Answer {
        status: 200,
        headers: vec![
            ("content-type", "application/json".into()),
            ("content-encoding", "gzip".into()),
        ],
        body: bomb.to_vec(),
    })
    .await;
    let c = server.client();
    let err = c
        .get(&ig().edge(Edge::Media), &[("fields", "id".into())])
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::BodyTooLarge { cap, .. } if cap == DEFAULT_MAX_BODY_BYTES),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("16 MiB")
            && text.contains("user/media")
            && text.contains("/v15.0/17841400000000001/media?fields=id"),
        "says the cap, the endpoint and the redacted URL: {text}"
    );
    assert!(!text.contains(TOKEN));
    assert_eq!(server.count(), 1, "not retried");
}

fn throttle(code: i64) -> Answer {
    Answer::status(
        400,
        &json!({"error": {"message": "There have been too many calls. Wait a bit and try again.",
                          "type": "OAuthException", "code": code, "error_subcode": 2446079,
                          "is_transient": true, "fbtrace_id": "Hostile"}})
        .to_string(),
    )
}

fn regain(minutes: &str) -> String {
    format!(
        r#"{{"17841400000000001":[{{"type":"instagram","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":{minutes}}}]}}"#
    )
}

#[tokio::test]
async fn absurd_wait_headers_neither_panic_nor_poison_the_client() {
    // (first answer, whether the headers block the token in the budget)
    let cases: Vec<(fn() -> Answer, bool)> = vec![
        (
            || Answer::status(503, "busy").header("retry-after", "9000000000000"),
            false,
        ),
        (|| throttle(4).header("retry-after", "9000000000000"), false),
        (
            || throttle(80002).header("x-business-use-case-usage", regain("1e30")),
            true,
        ),
        (
            || throttle(80002).header("x-business-use-case-usage", regain("2e11")),
            true,
        ),
        (
            || {
                Answer::json(json!({"id": "17841400000000001"}))
                    .header("x-business-use-case-usage", regain("2e11"))
            },
            true,
        ),
    ];
    for (i, (first, blocks)) in cases.into_iter().enumerate() {
        let server = Hostile::start(move |_, _, n| {
            if n == 0 {
                first()
            } else {
                Answer::json(json!({"id": "17841400000000001"}))
            }
        })
        .await;
        let c = server.client();
        let day =
            chrono::Utc::now() + chrono::Duration::seconds(MAX_SERVER_WAIT.as_secs() as i64 + 60);
        let first = c.get(&Endpoint::user(&ig()), &[]).await;
        if let Err(err) = &first {
            assert_eq!(err.class(), ErrorClass::RateLimited, "case {i}: {err}");
            assert!(
                err.to_string().contains("access returns in"),
                "case {i}: says when: {err}"
            );
            assert!(err.frees_at().unwrap() <= day, "case {i}: at most a day");
        }
        assert_eq!(server.count(), 1, "case {i}: not retried");
        // The next call on the same client is answered: sent (the budget is not poisoned), or,
        // where the usage headers blocked the token, refused at once saying when (within a day).
        for _ in 0..2 {
            match c.get(&Endpoint::user(&ig()), &[]).await {
                Ok(resp) => assert!(!blocks, "case {i}: {}", resp.status),
                Err(e) => {
                    assert!(blocks, "case {i}: {e}");
                    assert_eq!(e.class(), ErrorClass::RateLimited, "case {i}: {e}");
                    assert!(e.frees_at().unwrap() <= day, "case {i}: {e}");
                }
            }
        }
        let expected = if blocks { 1 } else { 3 };
        assert_eq!(server.count(), expected, "case {i}");
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_nor_retried() {
    let server = Hostile::start(|_, base, _| {
        Answer::status(302, "").header("location", format!("{base}/stolen?from=redirect"))
    })
    .await;
    let c = server.client();
    let err = c.get(&Endpoint::me_accounts(), &[]).await.unwrap_err();
    assert_eq!(server.count(), 1, "exactly one call");
    assert!(
        server.hits().iter().all(|h| h.path != "/stolen"),
        "the location is never requested"
    );
    assert!(
        matches!(err, GraphError::NotGraphApi { status: 302, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("redirect to") && text.contains("/stolen") && text.contains("--graph-url"),
        "{text}"
    );
    assert!(!err.class().is_retryable());
}

#[tokio::test]
async fn html_with_200_is_not_retried() {
    let server = Hostile::start(|_, _, _| {
        Answer::status(
            200,
            "<!doctype html><html><body>Welcome to the hotel wifi</body></html>",
        )
        .header("content-type", "text/html")
    })
    .await;
    let c = server.client();
    let err = c.get(&Endpoint::me_accounts(), &[]).await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert!(
        matches!(err, GraphError::NotGraphApi { status: 200, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTML"), "{err}");

    // An HTML 503 from a proxy stays retryable.
    let server = Hostile::start(|_, _, _| Answer::status(503, "<html>busy</html>")).await;
    let err = server
        .client()
        .get(&Endpoint::me_accounts(), &[])
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unavailable, "{err}");
    assert_eq!(server.count(), 6);
}

#[tokio::test]
async fn foreign_next_urls_are_never_requested() {
    let elsewhere = Hostile::start(|_, _, _| Answer::json(json!({"data": media(&[66])}))).await;
    let elsewhere_base = elsewhere.base.clone();
    for target in ["same-host", "other-port", "userinfo"] {
        let other = elsewhere_base.clone();
        let server = Hostile::start(move |hit, base, _| {
            if hit.path.starts_with("/v15.0/") {
                let next = match target {
                    "same-host" => format!("{base}/admin/export?after=X&access_token=STALE"),
                    "other-port" => format!("{other}/v15.0/17841400000000001/media?after=X"),
                    _ => format!(
                        "{}/v15.0/17841400000000001/media?after=X",
                        base.replace("http://", "http://user:pw@")
                    ),
                };
                Answer::json(json!({"data": media(&[1, 2]), "paging": {"next": next}}))
            } else {
                Answer::json(json!({"data": media(&[99])}))
            }
        })
        .await;
        let c = server.client();
        let (pages, err) = collect(&c, PageRequest::new(ig().edge(Edge::Media), &[])).await;
        assert_eq!(pages.len(), 1, "{target}");
        let err = err.expect("refused");
        assert!(
            matches!(err, GraphError::ForeignNextUrl { .. }),
            "{target}: {err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("STALE"));
        assert!(!err.to_string().contains("pw@"), "{err}");
        assert_eq!(server.count(), 1, "{target}: never requested");
        for h in server.hits() {
            assert!(h.path.starts_with("/v15.0/"), "{target}: {h:?}");
        }
    }
    assert_eq!(elsewhere.count(), 0, "no token sent to another port");
}

#[tokio::test]
async fn endless_empty_pages_fail_after_20() {
    let server = Hostile::start(|_, base, n| {
        Answer::json(json!({"data": [], "paging": {"next": format!("{base}/v15.0/17841400000000001/media?after=E{n}")}}))
    })
    .await;
    let c = server.client();
    let (pages, err) = collect(&c, PageRequest::new(ig().edge(Edge::Media), &[])).await;
    assert!(pages.is_empty());
    let err = err.expect("an error, not a silent end");
    assert!(
        matches!(err, GraphError::EmptyPages { pages: 20 }),
        "{err:?}"
    );
    assert!(server.count() <= DEFAULT_MAX_EMPTY_PAGES + 1);
    assert_eq!(server.count(), 20);
}

#[tokio::test]
async fn a_reply_next_pointing_at_itself_is_bounded() {
    const MEDIA: &str = "17900000000000001";
    const COMMENT: &str = "17950000000000001";
    let server = Hostile::start(|hit, base, _| {
        let replies_url = format!("{base}/v15.0/{COMMENT}/replies?limit=50&after=SELF");
        if hit.path.ends_with("/comments") {
            Answer::json(json!({"data": [{
                "id": COMMENT, "text": "top", "username": "a", "timestamp": "2024-01-01T00:00:00+0000",
                "replies": {"data": [{"id": "17960000000000001", "text": "r1"}],
                            "paging": {"next": replies_url}}
            }]}))
        } else {
            // Every reply page: one new reply, then the same one again, always pointing at itself.
            Answer::json(json!({"data": [{"id": "17960000000000002", "text": "r2"}],
                                "paging": {"next": replies_url}}))
        }
    })
    .await;
    let ctx = Arc::new(ReportContext::new(server.client()));
    let ticket = json!({"report": "media_comments", "media_id": MEDIA});
    let req = igflight::ticket::decode(
        ticket.to_string().as_bytes(),
        ctx.today(),
        ctx.api_version(),
    )
    .unwrap();
    let rs = report_stream(ctx.clone(), req);
    let batches: Vec<arrow::record_batch::RecordBatch> =
        tokio::time::timeout(Duration::from_secs(20), rs.batches.try_collect())
            .await
            .expect("bounded")
            .unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(
        rows, 3,
        "the comment and its two distinct replies, no duplicates"
    );
    let replies = server
        .hits()
        .iter()
        .filter(|h| h.path.ends_with("/replies"))
        .count();
    assert_eq!(replies, 1, "the self-pointing `next` is not followed again");
    assert_eq!(server.count(), 2);
    assert!(
        server
            .hits()
            .iter()
            .all(|h| h.query.contains(TOKEN) || h.query.is_empty())
    );
    assert_eq!(rs.summary.graph_calls(), 2);

    // With a limit, reply paging stops as soon as the rows are there.
    let before = server.count();
    let ticket = json!({"report": "media_comments", "media_id": MEDIA, "limit": 2});
    let req = igflight::ticket::decode(
        ticket.to_string().as_bytes(),
        ctx.today(),
        ctx.api_version(),
    )
    .unwrap();
    let rs = report_stream(ctx.clone(), req);
    let batches: Vec<arrow::record_batch::RecordBatch> = rs.batches.try_collect().await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    assert_eq!(server.count(), before + 1, "no reply page needed");
}

#[tokio::test]
async fn a_per_run_call_cap_stops_a_hostile_endless_listing() {
    let server = Hostile::start(|_, base, n| {
        let id = 17_000 + n as u32;
        Answer::json(json!({"data": media(&[id]), "paging": {"next": format!("{base}/v15.0/17841400000000001/media?after=P{n}")}}))
    })
    .await;
    let c = server.client();
    let run = c.with_call_cap(7);
    let (pages, err) = collect(&run, PageRequest::new(ig().edge(Edge::Media), &[])).await;
    assert_eq!(pages.len(), 7);
    let err = err.unwrap();
    assert!(matches!(err, GraphError::RunCallCap { cap: 7 }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::RateLimited);
    assert_eq!(server.count(), 7);
    assert_eq!(run.calls_made(), Some(7));
    // A throttle does not wait when waiting is not allowed, and is not retried.
    let server = Hostile::start(|_, _, _| throttle(17)).await;
    let c = GraphClient::builder(TOKEN)
        .base_url(&server.base)
        .budget_config(BudgetConfig::default())
        .build()
        .unwrap();
    let err = c.get(&Endpoint::me(), &[]).await.unwrap_err();
    assert!(
        matches!(err, GraphError::ThrottledNoEstimate { .. }),
        "{err:?}"
    );
    assert_eq!(server.count(), 1);
}
