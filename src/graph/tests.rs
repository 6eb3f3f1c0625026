//! End-to-end tests of the client against small scripted axum servers (see `testutil`).

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::testutil::{Reply, Seen, TestServer};
use super::*;

const TOKEN: &str = "EAAGtestTOKENs3cr3tVALUE";
const APP_SECRET: &str = "appSECRETvalue42";

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        max_elapsed: Duration::from_secs(5),
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

fn id(s: &str) -> NodeId {
    NodeId::parse(s).unwrap()
}

/// The Instagram user the tests read.
fn ig() -> NodeId {
    id("17841")
}

/// `/17841`: the user node.
fn user() -> Endpoint {
    Endpoint::user(&ig())
}

/// `/17841/media`.
fn user_media() -> Endpoint {
    ig().edge(Edge::Media)
}

fn client(server: &TestServer) -> GraphClient {
    GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(&server.base)
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn media(ids: &[u32]) -> Value {
    Value::Array(
        ids.iter()
            .map(|i| json!({"id": i.to_string(), "caption": format!("m{i}")}))
            .collect(),
    )
}

async fn collect(c: &GraphClient, req: PageRequest) -> (Vec<PageOut>, Option<GraphError>) {
    let mut pages = Vec::new();
    let mut stream = std::pin::pin!(c.pages(req));
    while let Some(item) = stream.next().await {
        match item {
            Ok(p) => pages.push(p),
            Err(e) => return (pages, Some(e)),
        }
    }
    (pages, None)
}

// ---------------------------------------------------------------------------------------------
// Paging stop rules

/// (a) The last page has no `next` (a cursor edge whose final page carries only `cursors.before`);
/// an empty page that still has `next` is not the end; the stream is lazy.
#[tokio::test]
async fn stop_rule_no_next() {
    let server = TestServer::start(|req: &Seen, base: &str| {
        let next = |after: &str| format!("{base}/v15.0/17841/media?access_token=OLDTOKEN&limit=25&after={after}");
        match req.query.get("after").map(String::as_str) {
            None => Reply::json(json!({"data": media(&[1, 2]), "paging": {"cursors": {"before": "b0", "after": "c1"}, "next": next("c1")}})),
            Some("c1") => Reply::json(json!({"data": [], "paging": {"cursors": {"before": "b1", "after": "c2"}, "next": next("c2")}})),
            Some("c2") => Reply::json(json!({"data": media(&[3]), "paging": {"cursors": {"before": "b2"}}})),
            Some(_) => Reply::raw(500, "unexpected"),
        }
    })
    .await;
    let c = client(&server);
    let stream = c.pages(PageRequest::new(
        user_media(),
        &[("fields", "id,caption".into())],
    ));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(server.hits(), 0, "no call before the stream is polled");
    let pages: Vec<PageOut> = stream.try_collect().await.unwrap();
    assert_eq!(server.hits(), 3);
    let all: Vec<Value> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert_eq!(ids(&all), ["1", "2", "3"]);
    assert_eq!(pages.len(), 2, "the empty page is fetched but not yielded");
    assert_eq!(pages[1].page_index, 2);
    assert_eq!(pages[1].calls_so_far, 3);
    // Following `next`: its stale token was replaced by ours, other parameters kept.
    let seen = server.seen();
    for s in &seen {
        assert_eq!(s.query["access_token"], TOKEN);
    }
    assert_eq!(seen[1].query["limit"], "25");
    assert_eq!(seen[0].query["fields"], "id,caption");
    assert_eq!(c.stats().endpoint(EndpointKind::UserMedia), 3);
}

/// (b) Cursor-only nested paging of business-discovery media: requests are rebuilt with
/// `.after(cursor)`; stop when `paging` (or `cursors.after`) is absent.
#[tokio::test]
async fn stop_rule_cursor_only_nested() {
    let server = TestServer::start(|req: &Seen, _: &str| {
        let fields = &req.query["fields"];
        let page = |data: Value, paging: Option<Value>| {
            let mut m = json!({"data": data});
            if let Some(p) = paging {
                m["paging"] = p;
            }
            Reply::json(json!({"business_discovery": {"username": "bluebottle", "followers_count": 7, "media": m, "id": "1784999"}, "id": "17841"}))
        };
        if fields.contains(".after(B)") {
            page(media(&[5]), None)
        } else if fields.contains(".after(A)") {
            page(media(&[3, 4]), Some(json!({"cursors": {"before": "X", "after": "B"}})))
        } else {
            page(media(&[1, 2]), Some(json!({"cursors": {"after": "A"}})))
        }
    })
    .await;
    let c = client(&server);
    let req = PageRequest::nested(Endpoint::business_discovery(&ig()), &[], "/business_discovery/media", |after, limit| {
        let after = after.map(|a| format!(".after({a})")).unwrap_or_default();
        format!("business_discovery.username(bluebottle){{username,followers_count,media{after}.limit({limit}){{id,caption}}}}")
    })
    .page_size(2);
    let pages: Vec<PageOut> = c.pages(req).try_collect().await.unwrap();
    let all: Vec<Value> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert_eq!(ids(&all), ["1", "2", "3", "4", "5"]);
    assert_eq!(server.hits(), 3);
    let seen = server.seen();
    assert!(
        seen[0].query["fields"].contains("media.limit(2){id,caption}"),
        "{}",
        seen[0].query["fields"]
    );
    assert!(seen[1].query["fields"].contains("media.after(A).limit(2)"));
    assert!(seen[2].query["fields"].contains("media.after(B).limit(2)"));
    let ctx = pages[0].context.as_ref().unwrap();
    assert_eq!(ctx["business_discovery"]["username"], "bluebottle");
    assert!(
        ctx["business_discovery"].get("media").is_none(),
        "the page is taken out of the context"
    );
    assert_eq!(c.stats().endpoint(EndpointKind::BusinessDiscovery), 3);

    // Paging with cursors but no `after` also ends it.
    let server = TestServer::script(vec![Reply::json(
        json!({"business_discovery": {"media": {"data": media(&[1]), "paging": {"cursors": {"before": "Z"}}}}}),
    )])
    .await;
    let c = client(&server);
    let req = PageRequest::nested(
        Endpoint::business_discovery(&ig()),
        &[],
        "/business_discovery/media",
        |_, n| format!("business_discovery.username(x){{media.limit({n}){{id}}}}"),
    );
    let pages: Vec<PageOut> = c.pages(req).try_collect().await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(server.hits(), 1);
}

/// (c) `recent_media` repeats the same `after` cursor on every page while `next` still advances:
/// the repeat alone does not stop paging; a page with no new id does; duplicates are never yielded.
#[tokio::test]
async fn stop_rule_repeated_cursor_dedupes() {
    let server = TestServer::start(|req: &Seen, base: &str| {
        let next = |p: u32| json!({"cursors": {"after": "SAME"}, "next": format!("{base}/v15.0/17843/recent_media?user_id=1&after=SAME&page={p}")});
        match req.query.get("page").map(String::as_str) {
            None => Reply::json(json!({"data": media(&[1, 2]), "paging": next(2)})),
            Some("2") => Reply::json(json!({"data": media(&[3, 4]), "paging": next(3)})),
            Some("3") => Reply::json(json!({"data": media(&[4, 5]), "paging": next(4)})),
            Some("4") => Reply::json(json!({"data": media(&[5, 1]), "paging": next(5)})),
            Some(_) => Reply::json(json!({"data": media(&[9]), "paging": next(6)})),
        }
    })
    .await;
    let c = client(&server);
    let pages: Vec<PageOut> = c
        .pages(PageRequest::new(
            id("17843").edge(Edge::RecentMedia),
            &[("user_id", "1".into())],
        ))
        .try_collect()
        .await
        .unwrap();
    let all: Vec<Value> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert_eq!(ids(&all), ["1", "2", "3", "4", "5"]);
    assert_eq!(
        server.hits(),
        4,
        "page 4 brought nothing new: stop without fetching page 5"
    );
    assert_eq!(pages[2].duplicates, 1);
    assert_eq!(c.stats().endpoint(EndpointKind::HashtagRecentMedia), 4);
    // The stop is visible: a final page without rows says the stream ended on a repeat.
    assert_eq!(pages.len(), 4);
    let last = pages.last().unwrap();
    assert!(last.ended_on_repeat && last.items.is_empty(), "{last:?}");
    assert_eq!(
        (last.calls_so_far, last.pages_so_far, last.rows_so_far),
        (4, 4, 5)
    );
    assert_eq!(last.duplicates, 2);
    assert!(pages[..3].iter().all(|p| !p.ended_on_repeat));
}

/// (d) `limit`: each request asks `min(page_size, remaining)`; once `limit` rows were yielded the
/// stream ends without another call; a page larger than asked is cut.
#[tokio::test]
async fn stop_rule_limit() {
    let counter = Arc::new(Mutex::new(0u32));
    let n = counter.clone();
    let server = TestServer::start(move |req: &Seen, base: &str| {
        let mut i = n.lock();
        *i += 1;
        let asked: u32 = req.query["limit"].parse().unwrap();
        let start = (*i - 1) * 100;
        // Answer one row more than asked on the last page, to check truncation.
        let count = if asked < 4 { asked + 1 } else { asked };
        let data: Vec<u32> = (start..start + count).collect();
        Reply::json(json!({"data": media(&data), "paging": {"next": format!("{base}/v15.0/17841/media?limit={asked}&after=p{i}")}}))
    })
    .await;
    let c = client(&server);
    let req = PageRequest::new(user_media(), &[("limit", "99".into())])
        .page_size(4)
        .limit(10);
    let pages: Vec<PageOut> = c.pages(req).try_collect().await.unwrap();
    let asked: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.query["limit"].clone())
        .collect();
    assert_eq!(asked, ["4", "4", "2"]);
    assert_eq!(server.hits(), 3, "no call after the limit was reached");
    assert_eq!(pages.iter().map(|p| p.items.len()).sum::<usize>(), 10);
    assert_eq!(pages.last().unwrap().rows_so_far, 10);

    // items() flattens and also stops at the limit.
    let before = server.hits();
    let rows: Vec<Value> = c
        .items(PageRequest::new(user_media(), &[]).page_size(3).limit(3))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(server.hits(), before + 1);
}

/// (e) A hard page cap ends the stream with `PageCap` (an error, not a short result).
#[tokio::test]
async fn stop_rule_page_cap() {
    let counter = Arc::new(Mutex::new(0u32));
    let n = counter.clone();
    let server = TestServer::start(move |_: &Seen, base: &str| {
        let mut i = n.lock();
        *i += 1;
        Reply::json(json!({"data": media(&[*i]), "paging": {"next": format!("{base}/v15.0/17841/media?after=p{i}")}}))
    })
    .await;
    let c = client(&server);
    let (pages, err) = collect(&c, PageRequest::new(user_media(), &[]).max_pages(2)).await;
    assert_eq!(pages.len(), 2);
    let err = err.expect("the cap is an error");
    assert!(matches!(err, GraphError::PageCap { pages: 2 }), "{err:?}");
    assert!(err.to_string().contains("incomplete"));
    assert_eq!(server.hits(), 2);
}

/// A listing left at the default page cap pages as far as a higher per-run call cap allows (that cap
/// then stops it); without a call cap, or with a lower one, the default page cap holds.
#[tokio::test]
async fn a_higher_call_cap_raises_the_default_page_cap() {
    use crate::graph::DEFAULT_MAX_PAGES;
    let counter = Arc::new(Mutex::new(0u32));
    let n = counter.clone();
    let server = TestServer::start(move |_: &Seen, base: &str| {
        let mut i = n.lock();
        *i += 1;
        Reply::json(json!({"data": media(&[*i]), "paging": {"next": format!("{base}/v15.0/17841/media?after=p{i}")}}))
    })
    .await;
    // a budget that does not bind (the default allows 200 calls an hour)
    let c = GraphClient::builder(TOKEN)
        .base_url(&server.base)
        .retry(fast_retry())
        .budget_config(crate::graph::BudgetConfig {
            limit: 100_000,
            ..crate::graph::BudgetConfig::default()
        })
        .build()
        .unwrap();
    let (pages, err) = collect(&c, PageRequest::new(user_media(), &[])).await;
    assert_eq!(pages.len(), DEFAULT_MAX_PAGES);
    assert!(
        matches!(
            err,
            Some(GraphError::PageCap {
                pages: DEFAULT_MAX_PAGES
            })
        ),
        "{err:?}"
    );
    let cap = u32::try_from(DEFAULT_MAX_PAGES).unwrap() + 50;
    let (pages, err) = collect(&c.with_call_cap(cap), PageRequest::new(user_media(), &[])).await;
    assert_eq!(pages.len(), DEFAULT_MAX_PAGES + 50);
    assert!(
        matches!(err, Some(GraphError::PageCap { pages }) if pages == DEFAULT_MAX_PAGES + 50),
        "stopped at the call cap: {err:?}"
    );
    let (pages, _) = collect(
        &c.with_call_cap(10_000),
        PageRequest::new(user_media(), &[]).max_pages(3),
    )
    .await;
    assert_eq!(pages.len(), 3, "an explicit page cap is kept");
}

#[tokio::test]
async fn foreign_next_url_is_refused_without_a_call() {
    let server = TestServer::script(vec![Reply::json(
        json!({"data": media(&[1]), "paging": {"next": format!("https://evil.example.com/v15.0/17841/media?access_token={TOKEN}")}}),
    )])
    .await;
    let c = client(&server);
    let (pages, err) = collect(&c, PageRequest::new(user_media(), &[])).await;
    assert_eq!(pages.len(), 1);
    let err = err.unwrap();
    assert!(matches!(err, GraphError::ForeignNextUrl { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn page_without_data_is_a_decode_error() {
    let server = TestServer::script(vec![Reply::json(json!({"id": "1"}))]).await;
    let c = client(&server);
    let (_, err) = collect(&c, PageRequest::new(user_media(), &[])).await;
    match err.unwrap() {
        GraphError::Decode {
            endpoint, message, ..
        } => {
            assert_eq!(endpoint, EndpointKind::UserMedia);
            assert!(message.contains("data"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors, retries

fn err_body(code: i64, subcode: Option<i64>, message: &str, kind: &str) -> Value {
    let mut e = json!({"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf"});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    e
}

/// Each class from real error bodies (reference §7) through the whole client.
#[tokio::test]
async fn error_classes_from_real_bodies() {
    let cases: Vec<(Reply, ErrorClass)> = vec![
        (
            Reply::error(
                400,
                err_body(
                    190,
                    Some(463),
                    "Error validating access token: Session has expired on Tuesday, 01-Nov-22 08:00:00 PDT.",
                    "OAuthException",
                ),
            ),
            ErrorClass::Reauthenticate,
        ),
        (
            Reply::error(
                400,
                err_body(
                    102,
                    None,
                    "Session key invalid or no longer valid",
                    "OAuthException",
                ),
            ),
            ErrorClass::Reauthenticate,
        ),
        (
            Reply::error(
                400,
                err_body(
                    10,
                    None,
                    "(#10) Application does not have permission for this action",
                    "OAuthException",
                ),
            ),
            ErrorClass::Permission,
        ),
        (
            Reply::error(
                403,
                err_body(
                    200,
                    None,
                    "(#200) Requires instagram_manage_insights permission",
                    "OAuthException",
                ),
            ),
            ErrorClass::Permission,
        ),
        (
            Reply::error(
                400,
                err_body(
                    10,
                    None,
                    "(#10) Not enough viewers for the media to show insights",
                    "OAuthException",
                ),
            ),
            ErrorClass::SkippableItem,
        ),
        (
            Reply::error(
                400,
                err_body(
                    100,
                    Some(2108006),
                    "(#100) Media Posted Before Business Account Conversion",
                    "OAuthException",
                ),
            ),
            ErrorClass::SkippableItem,
        ),
        (
            Reply::error(
                400,
                err_body(
                    100,
                    Some(33),
                    "Unsupported get request. Object with ID '178' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
                    "GraphMethodException",
                ),
            ),
            ErrorClass::NotFound,
        ),
        (
            Reply::error(
                400,
                err_body(110, Some(2207013), "Invalid user id", "OAuthException"),
            ),
            ErrorClass::NotFound,
        ),
        (
            Reply::error(
                400,
                err_body(
                    18,
                    None,
                    "(#18) Hashtag limit of 30 unique hashtags per week has been reached",
                    "OAuthException",
                ),
            ),
            ErrorClass::HashtagBudget,
        ),
        (
            Reply::error(
                400,
                err_body(
                    100,
                    None,
                    "(#100) metric[0] must be one of the following values: impressions, reach",
                    "OAuthException",
                ),
            ),
            ErrorClass::InvalidRequest,
        ),
        (
            Reply::error(
                400,
                err_body(
                    3,
                    None,
                    "(#3) Application does not have the capability to make this API call.",
                    "OAuthException",
                ),
            ),
            ErrorClass::Fatal,
        ),
    ];
    for (reply, expected) in cases {
        let server = TestServer::script(vec![reply.clone()]).await;
        let c = client(&server);
        let err = c.get(&user_media(), &[]).await.unwrap_err();
        assert_eq!(err.class(), expected, "{}", reply.body);
        assert_eq!(
            server.hits(),
            1,
            "non-retryable errors are not retried: {}",
            reply.body
        );
        let GraphError::Api(api) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(api.endpoint, EndpointKind::UserMedia);
        assert_eq!(
            api.body.as_ref().unwrap().fbtrace_id.as_deref(),
            Some("AbCdEf")
        );
        assert!(api.url.contains("access_token=REDACTED") || !api.url.contains("access_token"));
        assert!(err.to_string().contains(expected.hint()));
    }
    // Retryable ones end, after the retries, as RetriesExhausted (class Unavailable) keeping the last error.
    let retryable = vec![
        Reply::error(
            500,
            err_body(
                2,
                None,
                "An unexpected error has occurred. Please retry your request later.",
                "OAuthException",
            ),
        ),
        Reply::error(
            400,
            json!({"message": "x", "code": 99999, "is_transient": true}),
        ),
        Reply::raw(502, "<html><body>Bad Gateway</body></html>")
            .header("content-type", "text/html"),
    ];
    for reply in retryable {
        let server = TestServer::script(vec![reply.clone()]).await;
        let c = client(&server);
        let err = c.get(&user_media(), &[]).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Unavailable, "{}", reply.body);
        let GraphError::RetriesExhausted { attempts, last, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*attempts, 4);
        assert_eq!(last.class(), ErrorClass::Retryable);
        assert_eq!(server.hits(), 4, "{}", reply.body);
        assert_eq!(c.stats().by_outcome["retryable"], 4);
    }
}

#[tokio::test]
async fn retry_then_success() {
    let server = TestServer::script(vec![
        Reply::error(500, err_body(2, None, "Service temporarily unavailable", "OAuthException")),
        Reply::raw(503, "<html>busy</html>").header(
            "x-business-use-case-usage",
            r#"{"17841":[{"type":"instagram","call_count":60,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":0}]}"#,
        ),
        Reply::json(json!({"id": "17841", "username": "me"})).header("x-app-usage", r#"{"call_count":28,"total_time":25,"total_cputime":25}"#),
    ])
    .await;
    let c = client(&server);
    let resp = c
        .get(&user(), &[("fields", "id,username".into())])
        .await
        .unwrap();
    assert_eq!(resp.attempts, 3);
    assert_eq!(resp.usage.app.as_ref().unwrap().call_count, 28.0);
    let v: Value = resp.json().unwrap();
    assert_eq!(v["username"], "me");
    let stats = c.stats();
    assert_eq!(stats.total, 3);
    assert_eq!(stats.by_outcome["retryable"], 2);
    assert_eq!(stats.by_outcome["ok"], 1);
    assert_eq!(stats.endpoint(EndpointKind::User), 3);
    assert_eq!(
        c.budget().remaining_for(c.token_key()).await.unwrap(),
        197,
        "retries spend budget too"
    );
}

#[tokio::test]
async fn long_regain_time_fails_at_once_saying_when() {
    let server = TestServer::script(vec![
        Reply::error(400, err_body(80002, None, "There have been too many calls to this Instagram account. Wait a bit and try again.", "OAuthException"))
            .header(
                "x-business-use-case-usage",
                r#"{"17841405309211844":[{"type":"instagram","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":19}]}"#,
            ),
    ])
    .await;
    let c = client(&server);
    let started = std::time::Instant::now();
    let err = c.get(&user_media(), &[]).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "no sleeping");
    assert_eq!(server.hits(), 1);
    match &err {
        GraphError::Throttled {
            frees_in, detail, ..
        } => {
            assert_eq!(*frees_in, Duration::from_secs(19 * 60));
            assert!(detail.contains("80002"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("access returns in 19m"), "{err}");
    assert_eq!(err.class(), ErrorClass::RateLimited);
    // The usage header also blocks the token in the budget: the next call fails without HTTP.
    let err = c.get(&user_media(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::Throttled { .. }), "{err:?}");
    assert_eq!(server.hits(), 1);

    // Retry-After beyond the remaining time: same.
    let server =
        TestServer::script(vec![Reply::raw(503, "busy").header("retry-after", "3600")]).await;
    let c = client(&server);
    let err = c.get(&Endpoint::me_accounts(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::Throttled { .. }), "{err:?}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn transport_failure_is_retried_then_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(base)
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = c.get(&user_media(), &[]).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unavailable);
    let GraphError::RetriesExhausted { last, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(**last, GraphError::Transport { .. }), "{last:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
    assert_eq!(c.stats().total, 4);
}

#[tokio::test]
async fn get_json_decode_error_names_path() {
    let server = TestServer::script(vec![Reply::json(
        json!({"data": [{"id": "1", "like_count": 3}, {"id": "2", "like_count": "many"}]}),
    )])
    .await;
    let c = client(&server);
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct M {
        id: String,
        like_count: i64,
    }
    let err = c.get_json::<Page<M>>(&user_media(), &[]).await.unwrap_err();
    assert!(err.to_string().contains("data[1].like_count"), "{err}");
    assert!(err.to_string().contains("user/media"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Credentials

#[tokio::test]
async fn sends_token_and_appsecret_proof() {
    let server = TestServer::script(vec![Reply::json(json!({"id": "1"}))]).await;
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .app_secret(APP_SECRET)
        .base_url(&server.base)
        .version("v16.0")
        .build()
        .unwrap();
    c.get(&Endpoint::me(), &[("fields", "id".into())])
        .await
        .unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.path, "/v16.0/me");
    assert_eq!(seen.query["access_token"], TOKEN);
    let expected = super::client::appsecret_proof(&Secret::new(APP_SECRET), &Secret::new(TOKEN));
    assert_eq!(seen.query["appsecret_proof"], expected);
    assert_eq!(expected.len(), 64);
}

#[tokio::test]
async fn batch_posts_form_and_spends_one_call_per_item() {
    let server = TestServer::script(vec![Reply::raw(
        200,
        r#"[{"code":200,"headers":[],"body":"{\"id\":\"1\"}"},null,{"code":400,"body":"{\"error\":{\"code\":100,\"message\":\"x\"}}"}]"#,
    )])
    .await;
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .app_secret(APP_SECRET)
        .base_url(&server.base)
        .build()
        .unwrap();
    let batch = json!([
        {"method": "GET", "relative_url": "v15.0/1/insights?metric=reach"},
        {"method": "GET", "relative_url": "v15.0/2/insights?metric=reach"},
        {"method": "GET", "relative_url": "v15.0/3/insights?metric=reach"}
    ]);
    let resp = c
        .post_form(
            &Endpoint::batch(),
            &[
                ("batch", batch.to_string()),
                ("include_headers", "false".into()),
            ],
        )
        .await
        .unwrap();
    let items: Vec<Option<BatchItemResponse>> = resp.json().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items[1].is_none());
    assert_eq!(items[2].as_ref().unwrap().code, 400);
    let seen = &server.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v15.0/");
    assert!(
        seen.raw_query.is_empty(),
        "credentials go in the body, not the URL"
    );
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(seen.body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(form["access_token"], TOKEN);
    assert!(form.contains_key("appsecret_proof"));
    assert_eq!(form["batch"], batch.to_string());
    assert_eq!(
        c.budget().remaining(&Secret::new(TOKEN)).await.unwrap(),
        197
    );
    assert_eq!(c.stats().endpoint(EndpointKind::Batch), 1);
}

// ---------------------------------------------------------------------------------------------
// Budget

#[tokio::test]
async fn eleventh_call_is_refused_without_http() {
    let server = TestServer::script(vec![Reply::json(json!({"id": "1"}))]).await;
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(&server.base)
        .budget_config(BudgetConfig {
            limit: 10,
            ..Default::default()
        })
        .build()
        .unwrap();
    for _ in 0..10 {
        c.get(&user(), &[]).await.unwrap();
    }
    let err = c.get(&user(), &[]).await.unwrap_err();
    assert_eq!(server.hits(), 10);
    let GraphError::BudgetExhausted {
        frees_in,
        frees_at,
        limit,
        window,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*limit, 10);
    assert_eq!(*window, Duration::from_secs(3600));
    assert!(*frees_in > Duration::from_secs(3590) && *frees_in <= Duration::from_secs(3600));
    assert!(*frees_at > chrono::Utc::now());
    let text = err.to_string();
    assert!(
        text.contains("10 calls per 1h")
            && (text.contains("frees in 59m") || text.contains("frees in 1h")),
        "{text}"
    );
    let snap = c.budget().snapshot().await.unwrap();
    assert_eq!(snap.tokens[0].remaining, 0);
    assert_eq!(snap.tokens[0].refused, 1);
    assert_eq!(c.stats().total, 10, "refused calls are not HTTP attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_share_one_budget() {
    let server = TestServer::start(|_: &Seen, _: &str| Reply::json(json!({"id": "1"}))).await;
    let budget = Budget::shared(BudgetConfig {
        limit: 10,
        ..Default::default()
    });
    let stats = Arc::new(CallStats::default());
    let make = || {
        GraphClient::builder(TOKEN)
            .cache_config(CacheConfig::off())
            .base_url(&server.base)
            .shared_budget(budget.clone())
            .shared_stats(stats.clone())
            .build()
            .unwrap()
    };
    let clients = [make(), make(), make()];
    let mut tasks = Vec::new();
    for i in 0..30 {
        let c = clients[i % 3].clone();
        tasks.push(tokio::spawn(async move { c.get(&user(), &[]).await }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(GraphError::BudgetExhausted { .. }) => refused += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((ok, refused), (10, 20));
    assert_eq!(server.hits(), 10);
    assert_eq!(budget.remaining(&Secret::new(TOKEN)).await.unwrap(), 0);
    // Another token has its own budget, and shares the stats.
    let other = clients[0].with_token("another-token");
    other.get(&user(), &[]).await.unwrap();
    assert_eq!(stats.snapshot().by_token.len(), 2);
    assert_eq!(server.hits(), 11);
}

// ---------------------------------------------------------------------------------------------
// No secret in logs or errors

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_logs_or_errors() {
    let buf = LogBuf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let proof = super::client::appsecret_proof(&Secret::new(APP_SECRET), &Secret::new(TOKEN));
    let server = TestServer::start(move |req: &Seen, base: &str| {
        if req.query.contains_key("after") {
            // The Graph API echoing the token back in a message must not leak it either.
            Reply::error(
                500,
                err_body(
                    2,
                    None,
                    &format!("temporary failure for token {TOKEN}"),
                    "OAuthException",
                ),
            )
            .header(
                "x-app-usage",
                r#"{"call_count":80,"total_time":1,"total_cputime":1}"#,
            )
        } else {
            let next = format!(
                "{base}/v15.0/17841/media?access_token={TOKEN}&appsecret_proof=abc&after=c1"
            );
            Reply::json(json!({"data": media(&[1]), "paging": {"next": next}}))
        }
    })
    .await;
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .app_secret(APP_SECRET)
        .base_url(&server.base)
        .retry(fast_retry())
        .budget_config(BudgetConfig {
            max_pause: Duration::from_millis(10),
            ..Default::default()
        })
        .build()
        .unwrap();
    let (pages, err) = collect(
        &c,
        PageRequest::new(user_media(), &[("fields", "id".into())]),
    )
    .await;
    assert_eq!(pages.len(), 1);
    let err = err.unwrap();
    assert_eq!(server.hits(), 5);
    // A foreign next URL and a transport failure too.
    let foreign = c
        .get_url(
            EndpointKind::Media,
            &format!("https://evil.example.com/v15.0/1?access_token={TOKEN}"),
        )
        .await
        .unwrap_err();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        GraphClient::builder(TOKEN)
            .cache_config(CacheConfig::off())
            .app_secret(APP_SECRET)
            .base_url(base)
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    };
    let transport = dead
        .get(&user_media(), &[("input_token", TOKEN.into())])
        .await
        .unwrap_err();

    let logs = String::from_utf8(buf.0.lock().clone()).unwrap();
    assert!(logs.contains("retrying"), "the capture works: {logs}");
    assert!(logs.contains("REDACTED"), "{logs}");
    let mut everything = logs.clone();
    for e in [&err, &foreign, &transport] {
        everything.push_str(&format!("{e}\n{e:?}\n"));
    }
    everything.push_str(&format!("{c:?}{:?}", c.stats()));
    everything.push_str(&serde_json::to_string(&c.stats()).unwrap());
    everything.push_str(&serde_json::to_string(&c.budget().snapshot().await.unwrap()).unwrap());
    for secret in [TOKEN, APP_SECRET, proof.as_str()] {
        assert!(!everything.contains(secret), "secret leaked:\n{everything}");
    }
    assert!(
        err.to_string().contains("temporary failure for token ****"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Hardening: body cap, server numbers, redirects and HTML, throttling, empty pages, call cap

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_body_cap_in_one_call() {
    // 8 MiB of zeros, about 8 KiB compressed.
    let bomb = super::testutil::gzip_zeros(8 << 20);
    assert!(bomb.len() < 200 << 10, "{}", bomb.len());
    let server = TestServer::script(vec![
        Reply::bytes(200, bomb).header("content-encoding", "gzip"),
    ])
    .await;
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(&server.base)
        .retry(fast_retry())
        .max_body_bytes(1 << 20)
        .build()
        .unwrap();
    let err = c
        .get(&user_media(), &[("fields", "id".into())])
        .await
        .unwrap_err();
    let GraphError::BodyTooLarge { endpoint, cap, url } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*endpoint, *cap), (EndpointKind::UserMedia, 1 << 20));
    assert!(url.contains("access_token=REDACTED") || !url.contains(TOKEN));
    let text = err.to_string();
    assert!(
        text.contains("1 MiB") && text.contains("user/media") && !text.contains(TOKEN),
        "{text}"
    );
    assert_eq!(err.class(), ErrorClass::Fatal);
    assert_eq!(server.hits(), 1, "not retried");
}

#[tokio::test]
async fn bodies_under_the_cap_and_plain_bodies_over_it() {
    let big = json!({"data": media(&(0..2000).collect::<Vec<_>>())});
    let server = TestServer::script(vec![Reply::json(big.clone())]).await;
    let len = big.to_string().len();
    let fits = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(&server.base)
        .max_body_bytes(len)
        .build()
        .unwrap();
    assert_eq!(fits.get(&user_media(), &[]).await.unwrap().body.len(), len);
    let small = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(&server.base)
        .retry(fast_retry())
        .max_body_bytes(len - 1)
        .build()
        .unwrap();
    let err = small.get(&user_media(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::BodyTooLarge { .. }), "{err:?}");
    assert_eq!(server.hits(), 2);
    assert_eq!(GraphConfig::new("t").max_body_bytes, DEFAULT_MAX_BODY_BYTES);
}

#[tokio::test]
async fn huge_server_waits_do_not_panic_or_poison_the_client() {
    let regain = |raw: &str| {
        format!(
            r#"{{"17841":[{{"type":"instagram","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":{raw}}}]}}"#
        )
    };
    let throttle = || {
        Reply::error(
            400,
            err_body(
                80002,
                None,
                "There have been too many calls to this Instagram account.",
                "OAuthException",
            ),
        )
    };
    for (reply, usage_blocks) in [
        (
            Reply::raw(503, "busy").header("retry-after", "9000000000000"),
            false,
        ),
        (
            Reply::raw(503, "busy").header("retry-after", &"9".repeat(40)),
            false,
        ),
        (throttle().header("retry-after", "9000000000000"), false),
        (
            throttle().header("x-business-use-case-usage", &regain("1e30")),
            true,
        ),
        (
            throttle().header("x-business-use-case-usage", &regain("2e11")),
            true,
        ),
    ] {
        let server = TestServer::script(vec![reply, Reply::json(json!({"id": "17841"}))]).await;
        let c = client(&server);
        let err = c.get(&user(), &[]).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::RateLimited, "{err}");
        let frees_at = err.frees_at().expect("says when");
        assert!(frees_at <= chrono::Utc::now() + chrono::Duration::days(1));
        assert!(err.to_string().contains("access returns in"), "{err}");
        assert_eq!(server.hits(), 1);
        // The next call is answered (sent, or refused by the budget saying when), never a panic.
        match c.get(&user(), &[]).await {
            Ok(resp) => {
                assert!(!usage_blocks);
                assert_eq!(resp.status, 200);
                assert_eq!(server.hits(), 2);
            }
            Err(e) => {
                assert!(usage_blocks, "{e}");
                assert!(matches!(e, GraphError::Throttled { .. }), "{e:?}");
                assert!(e.frees_at().unwrap() <= chrono::Utc::now() + chrono::Duration::days(1));
                assert_eq!(server.hits(), 1);
            }
        }
    }
}

#[tokio::test]
async fn redirects_and_html_success_are_not_retried() {
    let server = TestServer::script(vec![Reply::raw(302, "").header(
        "location",
        &format!("https://user:pw@elsewhere.example.com/login?access_token={TOKEN}&x=1"),
    )])
    .await;
    let c = client(&server);
    let err = c.get(&user_media(), &[]).await.unwrap_err();
    assert_eq!(server.hits(), 1);
    let GraphError::NotGraphApi { status, what, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 302);
    assert!(what.contains("redirect to https://") && what.contains("elsewhere.example.com"));
    let text = err.to_string();
    assert!(text.contains("--graph-url"), "{text}");
    for secret in [TOKEN, "pw@", "user:"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(err.class(), ErrorClass::Fatal);

    for reply in [
        Reply::raw(
            200,
            "<!DOCTYPE html><html><body>Captive portal</body></html>",
        )
        .header("content-type", "text/html; charset=utf-8"),
        Reply::raw(200, "OK"),
        Reply::raw(200, ""),
    ] {
        let server = TestServer::script(vec![reply.clone()]).await;
        let c = client(&server);
        let err = c.get(&user_media(), &[]).await.unwrap_err();
        assert_eq!(server.hits(), 1, "{}", reply.body);
        assert!(
            matches!(err, GraphError::NotGraphApi { status: 200, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("--graph-url"), "{err}");
    }
    let server = TestServer::script(vec![Reply::raw(200, &"<p>".repeat(100_000))]).await;
    let err = client(&server).get(&user_media(), &[]).await.unwrap_err();
    assert!(
        err.to_string().contains("HTML") && err.to_string().len() < 1000,
        "{err}"
    );

    // A non-JSON 4xx is not retried either; a non-JSON 5xx is.
    let server = TestServer::script(vec![Reply::raw(404, "<html>no</html>")]).await;
    let err = client(&server).get(&user_media(), &[]).await.unwrap_err();
    assert_eq!((err.class(), server.hits()), (ErrorClass::Fatal, 1));
}

fn throttle_reply(code: i64) -> Reply {
    Reply::error(
        400,
        err_body(
            code,
            None,
            "(#4) Application request limit reached",
            "OAuthException",
        ),
    )
}

#[tokio::test]
async fn throttling_without_a_time_fails_at_once() {
    for code in THROTTLE_CODES {
        let mut body = err_body(
            code,
            Some(2446079),
            "(#17) User request limit reached",
            "OAuthException",
        );
        body["is_transient"] = json!(true);
        let server = TestServer::script(vec![Reply::error(400, body)]).await;
        let c = client(&server);
        let started = std::time::Instant::now();
        let err = c.get(&user_media(), &[]).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(server.hits(), 1, "code {code} is not retried");
        assert!(
            matches!(err, GraphError::ThrottledNoEstimate { .. }),
            "{err:?}"
        );
        assert_eq!(err.class(), ErrorClass::RateLimited);
        let text = err.to_string();
        assert!(
            text.contains("throttled the app") && text.contains("retry later"),
            "{text}"
        );
        assert!(text.contains(&format!("code={code}")), "{text}");
    }
    // X-App-Usage at 100 % without a time, and no waiting allowed: the same.
    let server = TestServer::script(vec![throttle_reply(4).header(
        "x-app-usage",
        r#"{"call_count":100,"total_time":10,"total_cputime":10}"#,
    )])
    .await;
    let err = client(&server).get(&user_media(), &[]).await.unwrap_err();
    assert!(
        matches!(err, GraphError::ThrottledNoEstimate { .. }),
        "{err:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn throttling_waits_once_when_the_time_fits_max_wait() {
    let make = |server: &TestServer| {
        GraphClient::builder(TOKEN)
            .cache_config(CacheConfig::off())
            .base_url(&server.base)
            .retry(fast_retry())
            .budget_config(BudgetConfig {
                max_wait: Duration::from_secs(3),
                blocked_pause: Duration::from_millis(300),
                max_pause: Duration::from_millis(10),
                ..Default::default()
            })
            .build()
            .unwrap()
    };
    // Retry-After 1 s fits: one wait, then success.
    let server = TestServer::script(vec![
        throttle_reply(4).header("retry-after", "1"),
        Reply::json(json!({"id": "1"})),
    ])
    .await;
    let c = make(&server);
    let started = std::time::Instant::now();
    let resp = c.get(&user(), &[]).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!((resp.attempts, server.hits()), (2, 2));

    // X-App-Usage at 100 %: held for blocked_pause, then retried once; throttled again → fails.
    let server = TestServer::script(vec![throttle_reply(4).header(
        "x-app-usage",
        r#"{"call_count":100,"total_time":10,"total_cputime":10}"#,
    )])
    .await;
    let c = make(&server);
    let err = c.get(&user(), &[]).await.unwrap_err();
    assert_eq!(server.hits(), 2, "waited once, retried once");
    assert_eq!(err.class(), ErrorClass::RateLimited, "{err}");

    // A time longer than max_wait: at once, saying when.
    let server = TestServer::script(vec![throttle_reply(613).header("retry-after", "600")]).await;
    let c = make(&server);
    let err = c.get(&user(), &[]).await.unwrap_err();
    assert_eq!(server.hits(), 1);
    let GraphError::Throttled { frees_in, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*frees_in, Duration::from_secs(600));
    assert!(err.to_string().contains("(at 20"), "RFC 3339 time: {err}");
}

#[tokio::test]
async fn endless_empty_pages_end_with_an_error() {
    let counter = Arc::new(Mutex::new(0u32));
    let n = counter.clone();
    let server = TestServer::start(move |_: &Seen, base: &str| {
        let mut i = n.lock();
        *i += 1;
        Reply::json(
            json!({"data": [], "paging": {"next": format!("{base}/v15.0/17841/media?after=e{i}")}}),
        )
    })
    .await;
    let c = client(&server);
    let (pages, err) = collect(&c, PageRequest::new(user_media(), &[])).await;
    assert!(pages.is_empty());
    let err = err.unwrap();
    assert!(
        matches!(err, GraphError::EmptyPages { pages: 20 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("20 empty pages"), "{err}");
    assert_eq!(server.hits(), DEFAULT_MAX_EMPTY_PAGES);
    assert_eq!(
        PageRequest::new(Endpoint::me_accounts(), &[]).max_pages,
        DEFAULT_MAX_PAGES
    );

    // A few empty pages in between are fine, and the count restarts after a page with rows.
    let counter = Arc::new(Mutex::new(0u32));
    let n = counter.clone();
    let server = TestServer::start(move |_: &Seen, base: &str| {
        let mut i = n.lock();
        *i += 1;
        let data = if *i % 3 == 0 { media(&[*i]) } else { json!([]) };
        let paging = if *i < 12 {
            json!({"next": format!("{base}/v15.0/17841/media?after=e{i}")})
        } else {
            json!({})
        };
        Reply::json(json!({"data": data, "paging": paging}))
    })
    .await;
    let c = client(&server);
    let (pages, err) = collect(&c, PageRequest::new(user_media(), &[]).max_empty_pages(3)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pages.len(), 4);
}

#[tokio::test]
async fn a_next_url_already_fetched_ends_paging_visibly() {
    let server = TestServer::start(|req: &Seen, base: &str| {
        let url = |p: &str| format!("{base}/v15.0/17841/media?after={p}");
        match req.query.get("after").map(String::as_str) {
            None => Reply::json(json!({"data": media(&[1]), "paging": {"next": url("a")}})),
            Some("a") => Reply::json(json!({"data": media(&[2]), "paging": {"next": url("b")}})),
            _ => Reply::json(json!({"data": media(&[3]), "paging": {"next": url("a")}})),
        }
    })
    .await;
    let c = client(&server);
    let (pages, err) = collect(&c, PageRequest::new(user_media(), &[])).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(server.hits(), 3, "the loop back to `a` is not fetched");
    let all: Vec<Value> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert_eq!(ids(&all), ["1", "2", "3"]);
    let last = pages.last().unwrap();
    assert!(last.ended_on_repeat && last.items.is_empty());
    assert_eq!(last.calls_so_far, 3);

    // Reaching `limit` on that page is no repeat.
    let (pages, _) = collect(&c, PageRequest::new(user_media(), &[]).limit(3)).await;
    assert!(pages.iter().all(|p| !p.ended_on_repeat));
}

#[tokio::test]
async fn continue_from_a_nested_next_with_known_ids() {
    let server = TestServer::start(|req: &Seen, base: &str| {
        match req.query.get("after").map(String::as_str) {
            Some("r1") => Reply::json(json!({"data": media(&[2, 3]), "paging": {"next": format!("{base}/v15.0/555/replies?after=r2")}})),
            _ => Reply::json(json!({"data": media(&[3, 4])})),
        }
    })
    .await;
    let c = client(&server);
    let req = PageRequest::new(id("555").edge(Edge::Replies), &[])
        .page_size(50)
        .continue_from(
            format!(
                "{}/v15.0/555/replies?limit=2&after=r1&access_token=OLD",
                server.base
            ),
            ["1".to_string(), "2".to_string()],
        );
    let (pages, err) = collect(&c, req).await;
    assert!(err.is_none(), "{err:?}");
    let all: Vec<Value> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert_eq!(ids(&all), ["3", "4"]);
    let seen = server.seen();
    assert_eq!(seen[0].query["limit"], "50");
    assert_eq!(seen[0].query["access_token"], TOKEN);
    assert_eq!(c.stats().endpoint(EndpointKind::CommentReplies), 2);
}

#[tokio::test]
async fn the_run_call_cap_counts_every_attempt_and_refuses_before_sending() {
    let server = TestServer::script(vec![
        Reply::error(500, err_body(2, None, "temporary", "OAuthException")),
        Reply::json(json!({"id": "1"})),
    ])
    .await;
    let c = client(&server);
    assert_eq!(c.calls_made(), None);
    let run = c.with_call_cap(3);
    assert_eq!((run.calls_made(), run.call_cap()), (Some(0), Some(3)));
    let resp = run.get(&user(), &[]).await.unwrap();
    assert_eq!(resp.attempts, 2);
    assert_eq!(run.calls_made(), Some(2), "retries count");
    // Clones share the counter; the base client is not capped.
    let clone = run.clone();
    clone.get(&user(), &[]).await.unwrap();
    assert_eq!(run.calls_made(), Some(3));
    let before_budget = c.budget().remaining_for(c.token_key()).await.unwrap();
    let err = clone.get(&user(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::RunCallCap { cap: 3 }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::RateLimited);
    assert!(
        err.to_string().contains("more than 3 Graph calls")
            && err.to_string().contains("--max-calls-per-request"),
        "{err}"
    );
    assert_eq!(server.hits(), 3, "refused before sending");
    assert_eq!(
        c.budget().remaining_for(c.token_key()).await.unwrap(),
        before_budget,
        "and before the budget"
    );
    // The pager's calls count too; a new run starts from zero.
    let (pages, err) = collect(&run, PageRequest::new(user_media(), &[])).await;
    assert!(pages.is_empty() && matches!(err, Some(GraphError::RunCallCap { .. })));
    assert_eq!(c.with_call_cap(1).calls_made(), Some(0));
    c.get(&user(), &[]).await.unwrap();
    assert_eq!(c.calls_made(), None);
}

#[tokio::test]
async fn budget_refusals_do_not_count_against_the_run_cap() {
    let server = TestServer::script(vec![Reply::json(json!({"id": "1"}))]).await;
    let c = GraphClient::builder(TOKEN)
        .cache_config(CacheConfig::off())
        .base_url(&server.base)
        .budget_config(BudgetConfig {
            limit: 1,
            ..Default::default()
        })
        .build()
        .unwrap()
        .with_call_cap(5);
    c.get(&user(), &[]).await.unwrap();
    let err = c.get(&user(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::BudgetExhausted { .. }), "{err:?}");
    assert_eq!(c.calls_made(), Some(1));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn the_version_that_answered_is_learned_from_the_response_header() {
    let server = TestServer::script(vec![
        Reply::json(json!({"id": "17841"})).header("facebook-api-version", "v21.0"),
        // hostile or malformed values are ignored: the last good one stays
        Reply::json(json!({"id": "17841"})).header("facebook-api-version", "v99.0; x=1"),
        Reply::json(json!({"id": "17841"})).header("facebook-api-version", &"9".repeat(200)),
        Reply::json(json!({"id": "17841"})),
        // an error answer says which version answered too
        Reply::error(
            400,
            json!({"message": "bad", "type": "OAuthException", "code": 100}),
        )
        .header("facebook-api-version", "v23.0"),
    ])
    .await;
    let c = client(&server);
    assert_eq!(c.served_version(), None);
    assert_eq!(
        c.api_version(),
        DEFAULT_VERSION,
        "asked version until one answers"
    );
    c.get(&user(), &[]).await.unwrap();
    assert_eq!(c.served_version().as_deref(), Some("v21.0"));
    assert_eq!(c.api_version(), "v21.0");
    for _ in 0..3 {
        c.get(&user(), &[]).await.unwrap();
        assert_eq!(c.served_version().as_deref(), Some("v21.0"));
    }
    // a run's capped clone shares what its connection learned
    let run = c.with_call_cap(5);
    assert!(run.get(&user(), &[]).await.is_err());
    assert_eq!(c.served_version().as_deref(), Some("v23.0"));
    assert_eq!(
        c.with_token("other").served_version().as_deref(),
        Some("v23.0")
    );
}

// ---------------------------------------------------------------------------------------------
// Response cache

/// A repeated GET (and a repeated `next` page) is answered from the connection's cache without a
/// call, counted as a hit of the run; `max_age: 0` asks again; errors and other tokens are not
/// served from it.
#[tokio::test]
async fn repeated_gets_come_from_the_cache_unless_the_run_wants_fresher() {
    let server = TestServer::start(|req: &Seen, base: &str| {
        let next = format!("{base}/v15.0/17841/media?limit=25&after=c1");
        match (req.path.as_str(), req.query.get("after").map(String::as_str)) {
            ("/v15.0/17841/media", None) => Reply::json(json!({"data": media(&[1, 2]), "paging": {"cursors": {"after": "c1"}, "next": next}})),
            ("/v15.0/17841/media", Some("c1")) => Reply::json(json!({"data": media(&[3]), "paging": {"cursors": {"before": "b1"}}})),
            ("/v15.0/17841", _) => Reply::raw(500, "down"),
            _ => Reply::raw(404, "unexpected"),
        }
    })
    .await;
    let c = GraphClient::builder(TOKEN)
        .base_url(&server.base)
        .retry(RetryPolicy {
            max_attempts: 1,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let req = || PageRequest::new(user_media(), &[("fields", "id,caption".into())]);
    let first: Vec<PageOut> = c.pages(req()).try_collect().await.unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(first.last().unwrap().cache_hits_so_far, 0);
    let run = c.for_run(100, None);
    let again: Vec<PageOut> = run.pages(req()).try_collect().await.unwrap();
    assert_eq!(server.hits(), 2, "both pages came from the cache");
    assert_eq!(
        ids(&again
            .iter()
            .flat_map(|p| p.items.clone())
            .collect::<Vec<_>>()),
        ["1", "2", "3"]
    );
    let last = again.last().unwrap();
    assert_eq!((last.calls_so_far, last.cache_hits_so_far), (0, 2));
    assert_eq!(
        run.calls_made(),
        Some(0),
        "a cached answer is not a call of the run"
    );
    let fresh = c.for_run(100, Some(Duration::ZERO));
    let _: Vec<PageOut> = fresh.pages(req()).try_collect().await.unwrap();
    assert_eq!(server.hits(), 4, "max_age 0 asks the Graph API again");
    // another token does not see this one's answers
    let other = c.with_token("another-token");
    let _: Vec<PageOut> = other.pages(req()).try_collect().await.unwrap();
    assert_eq!(server.hits(), 6);
    // a failure is not kept
    for _ in 0..2 {
        assert!(c.get(&Endpoint::user(&ig()), &[]).await.is_err());
    }
    assert_eq!(server.hits(), 8);
    let snap = c.cache().snapshot();
    assert!(snap.entries >= 4 && snap.hits >= 2, "{snap:?}");
}
