//! The Graph client against the in-process simulated Graph API: paging stop rules on the real quirks,
//! error classes from the simulator's real error bodies, faults, and the call budget.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use chrono::Duration as Days;
use futures::{StreamExt, TryStreamExt};
use igflight::graph::{
    BudgetConfig, CacheConfig, Edge, Endpoint, ErrorClass, GraphClient, GraphError, NodeId,
    PageRequest, insight_windows,
};
use igflight::sim::{FaultKind, SimConfig};
use serde_json::Value;

use common::{big_budget, client, fast_retry, start_sim};

async fn collect_ids(client: &GraphClient, req: PageRequest) -> Result<Vec<String>, GraphError> {
    let pages: Vec<_> = client.pages(req).try_collect().await?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.items)
        .map(|v| v["id"].as_str().expect("id").to_string())
        .collect())
}

fn id(s: &str) -> NodeId {
    NodeId::parse(s).expect("a numeric id")
}

fn media_req(ig: &str, page_size: usize) -> PageRequest {
    PageRequest::new(
        id(ig).edge(Edge::Media),
        &[("fields", "id,timestamp".to_string())],
    )
    .page_size(page_size)
}

#[tokio::test]
async fn following_next_links_yields_exactly_media_count_rows() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client(&sim);
    let ds = sim.dataset();
    let mut checked = 0;
    for page in ds.pages.iter() {
        let Some(ig) = &page.ig_account_id else {
            continue;
        };
        // media_count as the API reports it
        let user: Value = client
            .get_json(
                &Endpoint::user(&id(ig)),
                &[("fields", "media_count".to_string())],
            )
            .await
            .unwrap();
        let media_count = user["media_count"].as_u64().unwrap() as usize;
        for page_size in [25, 100] {
            let ids = collect_ids(&client, media_req(ig, page_size))
                .await
                .unwrap();
            assert_eq!(
                ids.len(),
                media_count,
                "account {ig}, page size {page_size}"
            );
            let unique: HashSet<_> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "no duplicates");
            let expected: Vec<String> = ds
                .account(ig)
                .unwrap()
                .media
                .iter()
                .map(|m| m.id.clone())
                .collect();
            assert_eq!(
                ids, expected,
                "same media, same order as the simulator holds"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "the demo data has at least two Instagram accounts"
    );
}

#[tokio::test]
async fn a_limit_asks_only_for_what_is_still_needed() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client(&sim);
    let ig = sim.dataset().accounts[0].id.clone();
    let pages: Vec<_> = client
        .pages(media_req(&ig, 5).limit(12))
        .try_collect()
        .await
        .unwrap();
    let rows: usize = pages.iter().map(|p| p.items.len()).sum();
    assert_eq!(rows, 12);
    assert_eq!(
        pages.last().unwrap().calls_so_far,
        3,
        "5 + 5 + 2, no fourth call"
    );
    assert_eq!(sim.stats().total, 3);
}

#[tokio::test]
async fn recent_media_with_its_repeated_cursor_ends_without_duplicates() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client(&sim);
    let ds = sim.dataset();
    let ig = ds.accounts[0].id.clone();
    let tag = &ds.hashtags[0];
    let req = PageRequest::new(
        id(&tag.id).edge(Edge::RecentMedia),
        &[
            ("user_id", ig.clone()),
            ("fields", "id,timestamp".to_string()),
        ],
    )
    .page_size(50);
    let ids = collect_ids(&client, req).await.unwrap();
    let expected: HashSet<String> = tag.recent_media.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), expected.len(), "every recent media once");
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), expected);
}

#[tokio::test]
async fn business_discovery_pages_by_nested_cursors_only() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client(&sim);
    let ds = sim.dataset();
    let ig = ds.accounts[0].id.clone();
    let other = ds.discovery[0].clone();
    let username = other.username.clone();
    let req = PageRequest::nested(Endpoint::business_discovery(&id(&ig)), &[], "/business_discovery/media", move |after, limit| {
        let after = after.map(|a| format!(".after({a})")).unwrap_or_default();
        format!("business_discovery.username({username}){{username,media{after}.limit({limit}){{id,timestamp}}}}")
    })
    .page_size(25);
    let pages: Vec<_> = client.pages(req).try_collect().await.unwrap();
    assert!(pages.len() > 1, "needs several nested pages");
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| &p.items)
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = other.media.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids, expected);
    let ctx = pages[0].context.as_ref().unwrap();
    assert_eq!(
        ctx["business_discovery"]["username"],
        other.username.as_str()
    );
}

#[tokio::test]
async fn insights_ranges_are_split_into_30_day_windows() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client(&sim);
    let ig = sim.dataset().accounts[0].id.clone();
    let today = chrono::Utc::now().date_naive();
    let windows: Vec<_> =
        insight_windows(today - Days::days(95), today - Days::days(1), 30).collect();
    assert_eq!(windows.len(), 4);
    let mut end_times = HashSet::new();
    for w in &windows {
        let (since, until) = w.as_pair();
        let v: Value = client
            .get_json(
                &id(&ig).edge(Edge::UserInsights),
                &[
                    ("metric", "reach".to_string()),
                    ("period", "day".to_string()),
                    ("since", since.to_string()),
                    ("until", until.to_string()),
                ],
            )
            .await
            .unwrap();
        for value in v["data"][0]["values"].as_array().unwrap() {
            assert!(
                end_times.insert(value["end_time"].as_str().unwrap().to_string()),
                "no overlap between windows"
            );
        }
    }
    assert_eq!(sim.stats().total, 4, "one call per window");
    assert!(
        end_times.len() >= 94,
        "about one value per day over 95 days, got {}",
        end_times.len()
    );
}

async fn class_of(
    client: &GraphClient,
    endpoint: &Endpoint,
    params: &[(&str, String)],
) -> (ErrorClass, String) {
    let err = client.get(endpoint, params).await.expect_err("should fail");
    (err.class(), err.to_string())
}

#[tokio::test]
async fn each_error_class_from_the_simulators_real_error_bodies() {
    let sim = start_sim(SimConfig::default()).await;
    let c = client(&sim);
    let ds = sim.dataset();
    let ig = ds.accounts[0].id.clone();

    let (class, msg) = class_of(&c, &Endpoint::media(&id("1789999999999999999")), &[]).await;
    assert_eq!(class, ErrorClass::NotFound, "{msg}");

    let (class, msg) = class_of(
        &c,
        &Endpoint::business_discovery(&id(&ig)),
        &[(
            "fields",
            "business_discovery.username(nobody_here_42){id}".into(),
        )],
    )
    .await;
    assert_eq!(class, ErrorClass::NotFound, "{msg}");

    let old = ds.accounts[0]
        .media
        .iter()
        .rev()
        .find(|m| ds.before_conversion(&m.id))
        .expect("pre-conversion media");
    let (class, msg) = class_of(
        &c,
        &id(&old.id).edge(Edge::MediaInsights),
        &[("metric", "reach".into())],
    )
    .await;
    assert_eq!(class, ErrorClass::SkippableItem, "{msg}");

    let story = ds
        .accounts
        .iter()
        .flat_map(|a| &a.stories)
        .find(|s| ds.not_enough_viewers(&s.id))
        .expect("low-viewer story");
    let (class, msg) = class_of(
        &c,
        &id(&story.id).edge(Edge::MediaInsights),
        &[("metric", "reach".into())],
    )
    .await;
    assert_eq!(class, ErrorClass::SkippableItem, "{msg}");

    let (class, msg) = class_of(
        &c,
        &id(&ig).edge(Edge::UserInsights),
        &[("metric", "likes_given".into()), ("period", "day".into())],
    )
    .await;
    assert_eq!(class, ErrorClass::InvalidRequest, "{msg}");

    let now = chrono::Utc::now().timestamp();
    let (class, msg) = class_of(
        &c,
        &id(&ig).edge(Edge::UserInsights),
        &[
            ("metric", "reach".into()),
            ("period", "day".into()),
            ("since", (now - 40 * 86_400).to_string()),
            ("until", now.to_string()),
        ],
    )
    .await;
    assert_eq!(class, ErrorClass::InvalidRequest, "{msg}");
    assert!(msg.contains("30 days"), "{msg}");

    let expired = c.with_token("expired-token");
    let (class, msg) = class_of(&expired, &Endpoint::user(&id(&ig)), &[]).await;
    assert_eq!(class, ErrorClass::Reauthenticate, "{msg}");
    let (class, _) = class_of(&c.with_token("not-a-token"), &Endpoint::user(&id(&ig)), &[]).await;
    assert_eq!(class, ErrorClass::Reauthenticate);

    // the 30-unique-hashtags-per-7-days budget (code 18)
    let mut last = None;
    for i in 0..40 {
        match c
            .get(
                &Endpoint::hashtag_search(),
                &[("user_id", ig.clone()), ("q", format!("tag{i}"))],
            )
            .await
        {
            Ok(_) => {}
            Err(e) => {
                last = Some((i, e.class()));
                break;
            }
        }
    }
    let (at, class) = last.expect("the hashtag budget runs out");
    assert_eq!(class, ErrorClass::HashtagBudget);
    assert!(
        at <= 30,
        "refused at the 31st new hashtag at the latest (already searched ones count), got {at}"
    );
}

#[tokio::test]
async fn retries_under_a_30_percent_fault_rate_return_exactly_the_fault_free_rows() {
    let clean = start_sim(SimConfig::default()).await;
    let faulty = start_sim(SimConfig {
        fault_rate: 0.3,
        faults: vec![
            FaultKind::Http500Code2,
            FaultKind::Code1,
            FaultKind::DropConnection,
            FaultKind::Slow,
            FaultKind::Html503,
        ],
        slow_delay: Duration::from_millis(30),
        ..SimConfig::default()
    })
    .await;
    let ds = clean.dataset();
    let busiest = ds
        .accounts
        .iter()
        .flat_map(|a| &a.media)
        .max_by_key(|m| m.comments.len())
        .unwrap()
        .id
        .clone();
    let mut reqs: Vec<PageRequest> = ds.accounts.iter().map(|a| media_req(&a.id, 25)).collect();
    reqs.push(
        PageRequest::new(
            id(&busiest).edge(Edge::Comments),
            &[("fields", "id,text,timestamp,replies{id}".to_string())],
        )
        .page_size(25),
    );
    let (a, b) = (client(&clean), client(&faulty));
    for req in reqs {
        let want = collect_ids(&a, req.clone()).await.unwrap();
        let got = collect_ids(&b, req).await.unwrap();
        assert_eq!(got, want, "same rows, same order, no loss, no duplicates");
    }
    let stats = faulty.stats();
    assert!(stats.faults_injected > 0, "faults were injected: {stats:?}");
    assert!(b.stats().total > a.stats().total, "retries happened");
}

#[tokio::test]
async fn a_budget_of_10_calls_never_sends_an_11th_and_says_when_it_frees() {
    let sim = start_sim(SimConfig::default()).await;
    let client = GraphClient::builder(sim.token().to_string())
        .cache_config(CacheConfig::off())
        .base_url(sim.base_url())
        .retry(fast_retry(3))
        .budget_config(BudgetConfig {
            limit: 10,
            window: Duration::from_secs(3600),
            ..BudgetConfig::default()
        })
        .build()
        .unwrap();
    let ig = sim.dataset().accounts[0].id.clone();
    let mut stream = Box::pin(client.pages(media_req(&ig, 5)));
    let mut pages = 0;
    let err = loop {
        match stream.next().await {
            Some(Ok(_)) => pages += 1,
            Some(Err(e)) => break e,
            None => panic!("the account has more than 10 pages of 5"),
        }
    };
    assert_eq!(pages, 10);
    assert_eq!(sim.stats().total, 10, "the simulator saw exactly 10 calls");
    assert_eq!(err.class(), ErrorClass::RateLimited);
    assert!(matches!(err, GraphError::BudgetExhausted { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(err.frees_at().is_some());
    assert!(
        msg.contains("frees") || msg.contains("free"),
        "says when it can continue: {msg}"
    );
    // and a later call in the same hour is refused locally too
    let again = client
        .get(&Endpoint::user(&id(&ig)), &[])
        .await
        .unwrap_err();
    assert_eq!(again.class(), ErrorClass::RateLimited);
    assert_eq!(sim.stats().total, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_streams_share_one_budget() {
    let sim = start_sim(SimConfig::default()).await;
    let client = GraphClient::builder(sim.token().to_string())
        .cache_config(CacheConfig::off())
        .base_url(sim.base_url())
        .retry(fast_retry(3))
        .budget_config(BudgetConfig {
            limit: 10,
            ..BudgetConfig::default()
        })
        .build()
        .unwrap();
    let ds = sim.dataset();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let c = client.clone();
        let ig = ds.accounts[i % ds.accounts.len()].id.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Box::pin(c.pages(media_req(&ig, 5)));
            let mut ok = 0;
            while let Some(p) = s.next().await {
                match p {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        assert_eq!(e.class(), ErrorClass::RateLimited, "{e}");
                        break;
                    }
                }
            }
            ok
        }));
    }
    let mut pages = 0;
    for t in tasks {
        pages += t.await.unwrap();
    }
    assert_eq!(pages, 10, "10 calls in all, shared by 6 streams");
    assert_eq!(sim.stats().total, 10);
}

#[tokio::test]
async fn simulator_throttling_with_a_long_regain_time_fails_fast_and_says_when() {
    let sim = start_sim(SimConfig {
        calls_per_hour: Some(3),
        throttle_code: 80002,
        ..SimConfig::default()
    })
    .await;
    let c = GraphClient::builder(sim.token().to_string())
        .cache_config(CacheConfig::off())
        .base_url(sim.base_url())
        .retry(fast_retry(5))
        .budget_config(big_budget())
        .build()
        .unwrap();
    let ig = sim.dataset().accounts[0].id.clone();
    for _ in 0..3 {
        c.get(&Endpoint::user(&id(&ig)), &[]).await.unwrap();
    }
    let started = std::time::Instant::now();
    let err = c.get(&Endpoint::user(&id(&ig)), &[]).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "no long sleep");
    assert_eq!(err.class(), ErrorClass::RateLimited, "{err}");
    assert!(err.frees_at().is_some(), "{err}");
}
