//! The call ledger outlives a process and is shared: restarted servers and one-shot commands on one
//! data folder (the SQLite file), servers sharing a Redis, a garbled ledger file, an unreachable Redis,
//! and the `--state` / `--data-dir` usage errors. Everything against the in-process simulator, whose
//! `/__stats` counts the Graph calls really made.

mod common;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use arrow_flight::error::FlightError;
use arrow_flight::{FlightClient, Ticket};
use futures::TryStreamExt;
use igflight::error::ReportError;
use igflight::graph::{BudgetConfig, CacheConfig, GraphClient};
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, SimHandle};
use igflight::state::testing::{RedisServer, free_port};
use igflight::state::{ConversionMark, Ledger, RedisLedger, StateSpec};
use igflight::ticket::decode;
use serde_json::{Value, json};
use tonic::Code;

use common::{fast_retry, start_flight, start_sim};

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

/// A client for `sim` whose calls (`limit` per hour) are counted in `ledger`; no response cache (the
/// budget tests repeat one request and count its calls).
fn client_on(sim: &SimHandle, limit: u32, ledger: Arc<dyn Ledger>) -> GraphClient {
    GraphClient::builder(sim.token().to_string())
        .cache_config(CacheConfig::off())
        .base_url(sim.base_url())
        .retry(fast_retry(2))
        .budget_config(BudgetConfig {
            limit,
            ..BudgetConfig::default()
        })
        .ledger(ledger)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn file_ledger(dir: &Path) -> Arc<dyn Ledger> {
    StateSpec::File(dir.to_path_buf()).open().await.unwrap()
}

/// The rows of a DoGet, or its status.
async fn do_get(fc: &mut FlightClient, t: &Value) -> Result<usize, (Code, String)> {
    let status = |e: FlightError| match e {
        FlightError::Tonic(s) => (s.code(), s.message().to_string()),
        other => panic!("not a status: {other}"),
    };
    let stream = fc
        .do_get(Ticket::new(t.to_string()))
        .await
        .map_err(status)?;
    let batches: Vec<_> = stream.try_collect().await.map_err(status)?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

fn user_ticket(sim: &SimHandle) -> Value {
    json!({"report": "user", "account": sim.dataset().accounts[0].id})
}

#[tokio::test]
async fn a_restarted_server_keeps_its_ledger() {
    let sim = start_sim(SimConfig::default()).await;
    let data = tempfile::tempdir().unwrap();
    let t = user_ticket(&sim);
    {
        let (server, mut fc) =
            start_flight(&sim, client_on(&sim, 5, file_ledger(data.path()).await)).await;
        for _ in 0..3 {
            do_get(&mut fc, &t).await.unwrap();
        }
        server.shutdown().await;
    }
    assert_eq!(sim.stats().total, 3);
    // a new server on the same data folder: 2 calls left of 5
    let (_server, mut fc) =
        start_flight(&sim, client_on(&sim, 5, file_ledger(data.path()).await)).await;
    for _ in 0..2 {
        do_get(&mut fc, &t).await.unwrap();
    }
    let (code, message) = do_get(&mut fc, &t).await.unwrap_err();
    assert_eq!(code, Code::ResourceExhausted, "{message}");
    assert!(
        message.contains("call budget of 5 calls per 1h") && message.contains("frees in"),
        "{message}"
    );
    assert_eq!(sim.stats().total, 5, "the refused run made no Graph call");
}

/// `igflight ARGS` against the simulator as the real Graph API (a token, `--graph-url`), with this
/// data folder.
fn igflight(sim: &SimHandle, data: &Path, args: &[&str]) -> Output {
    std::process::Command::new(BIN)
        .args(args)
        .args(["--graph-url", &sim.base_url()])
        .env("IGFLIGHT_ACCESS_TOKEN", sim.token())
        .env("IGFLIGHT_DATA_DIR", data)
        .env("IGFLIGHT_CONFIG_DIR", data.join("config"))
        .env_remove("IGFLIGHT_STATE")
        .env_remove("IGFLIGHT_GRAPH_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// the simulator answers on other threads while this one waits for the process
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_commands_share_the_machines_ledger() {
    let sim = start_sim(SimConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out_file = tmp.path().join("user.json");
    let ticket = user_ticket(&sim).to_string();
    let export = |extra: &[&str]| {
        let mut args = vec![
            "export",
            "--quiet",
            "--calls-per-hour",
            "3",
            "--ticket",
            &ticket,
            "--output",
            out_file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        igflight(&sim, &data, &args)
    };
    for i in 0..3 {
        let out = export(&[]);
        assert!(out.status.success(), "run {i}: {}", stderr(&out));
    }
    assert!(data.join("ledger.sqlite3").is_file());
    let out = export(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("call budget of 3 calls per 1h") && err.contains("frees in"),
        "{err}"
    );
    assert_eq!(
        sim.stats().total,
        3,
        "the fourth process made no Graph call"
    );
    // `sql` counts in the same ledger
    let account = sim.dataset().accounts[0].id.clone();
    let sql = [
        "sql",
        "--calls-per-hour",
        "3",
        "--account",
        &account,
        "SELECT id FROM user",
    ];
    let out = igflight(&sim, &data, &sql);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("call budget"), "{}", stderr(&out));
    // a process with its own ledger (`--state memory`) does not see them
    let out = export(&["--state", "memory"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sim.stats().total, 4);
}

// the simulator answers on other threads while this one waits for the process
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversion_boundaries_outlive_the_process() {
    let sim = start_sim(SimConfig {
        api_as_of: igflight::sim::SEED_API_DATE,
        ..SimConfig::default()
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out_file = tmp.path().join("insights.json");
    let ticket = json!({"report": "media_insights", "account": sim.dataset().accounts[0].id, "metrics": ["reach"], "period": "lifetime"}).to_string();
    let run = || {
        let before = sim.stats().total;
        let out = igflight(
            &sim,
            &data,
            &[
                "export",
                "--quiet",
                "--ticket",
                &ticket,
                "--output",
                out_file.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(&out_file).unwrap();
        let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
        rows.sort();
        (sim.stats().total - before, rows)
    };
    let (cold, rows) = run();
    let (warm, rows_again) = run();
    assert_eq!(rows, rows_again, "same rows");
    assert!(
        warm < cold,
        "the second process knows the conversion boundary: {warm} calls vs {cold}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_ledger_file_stay_within_one_budget() {
    let sim = start_sim(SimConfig::default()).await;
    let data = tempfile::tempdir().unwrap();
    // two independently opened stores of one file: two processes
    let (a, _) = start_flight(&sim, client_on(&sim, 12, file_ledger(data.path()).await)).await;
    let (b, _) = start_flight(&sim, client_on(&sim, 12, file_ledger(data.path()).await)).await;
    let ok = concurrent_gets(&sim, [a.url(), b.url()], 20).await;
    assert_eq!(ok, 12);
    assert_eq!(sim.stats().total, 12);
}

/// `per_server` concurrent DoGets of the user on each of two servers: how many answered (the others
/// must be refused for the budget).
async fn concurrent_gets(sim: &SimHandle, servers: [String; 2], per_server: usize) -> usize {
    let t = user_ticket(sim);
    let mut tasks = Vec::new();
    for i in 0..per_server * 2 {
        let url = servers[i % 2].clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let channel = tonic::transport::Channel::from_shared(url)
                .unwrap()
                .connect()
                .await
                .unwrap();
            do_get(&mut FlightClient::new(channel), &t).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err((code, message)) => {
                assert_eq!(code, Code::ResourceExhausted, "{message}");
                assert!(message.contains("call budget"), "{message}");
            }
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_sharing_redis_stay_within_one_budget() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = start_sim(SimConfig::default()).await;
    let ledger = || -> Arc<dyn Ledger> { Arc::new(RedisLedger::new(&redis.url(0)).unwrap()) };
    let (a, _) = start_flight(&sim, client_on(&sim, 10, ledger())).await;
    let (b, _) = start_flight(&sim, client_on(&sim, 10, ledger())).await;
    let ok = concurrent_gets(&sim, [a.url(), b.url()], 15).await;
    assert_eq!(ok, 10);
    assert_eq!(
        sim.stats().total,
        10,
        "at most the budget reached the Graph API"
    );
    // the keys are igflight's, named by the token's hash, never the token
    let client = redis::Client::open(redis.url(0)).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(k.starts_with("igflight:"), "{k}");
        assert!(!k.contains(sim.token()), "{k}");
    }
}

async fn run_on(ctx: &Arc<ReportContext>, ticket: Value) -> Result<usize, ReportError> {
    let req = decode(
        ticket.to_string().as_bytes(),
        ctx.today(),
        ctx.api_version(),
    )?;
    let rs = report_stream(ctx.clone(), req);
    let batches: Vec<_> = rs.batches.try_collect().await?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

/// Two servers sharing Redis share the response cache too: what one asked, the other serves without
/// a call (same rows), while `max_age: 0` still asks; the values in Redis hold no token.
#[tokio::test]
async fn servers_sharing_redis_share_the_response_cache() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = start_sim(SimConfig::default()).await;
    let client = || {
        GraphClient::builder(sim.token().to_string())
            .base_url(sim.base_url())
            .retry(fast_retry(2))
            .ledger(Arc::new(RedisLedger::new(&redis.url(2)).unwrap()))
            .build()
            .unwrap()
    };
    let a = Arc::new(ReportContext::new(client()));
    let b = Arc::new(ReportContext::new(client()));
    let acc = sim.dataset().accounts[0].id.clone();
    let t = json!({"report": "media_insights", "account": acc});
    let rows = run_on(&a, t.clone()).await.unwrap();
    let cold = sim.stats().total;
    assert!(cold > 3, "{cold}");
    assert_eq!(run_on(&b, t).await.unwrap(), rows);
    assert_eq!(
        sim.stats().total,
        cold,
        "B asked nothing: A's answers were in Redis"
    );
    let fresh = json!({"report": "user_media", "account": acc, "max_age": 0});
    run_on(&b, fresh).await.unwrap();
    assert!(sim.stats().total > cold, "max_age 0 asks the Graph API");
    // no token in what Redis holds
    let conn_client = redis::Client::open(redis.url(2)).unwrap();
    let mut conn = conn_client
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    for k in &keys {
        let v: Vec<u8> = redis::cmd("GET")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        assert!(!String::from_utf8_lossy(&v).contains(sim.token()), "{k}");
        assert!(!k.contains(sim.token()), "{k}");
    }
}

#[tokio::test]
async fn servers_sharing_redis_share_the_hashtag_budget_and_conversions() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = start_sim(SimConfig {
        api_as_of: igflight::sim::SEED_API_DATE,
        ..SimConfig::default()
    })
    .await;
    let ledger = || -> Arc<dyn Ledger> { Arc::new(RedisLedger::new(&redis.url(1)).unwrap()) };
    let (la, lb) = (ledger(), ledger());
    let a = Arc::new(ReportContext::new(client_on(&sim, 1000, la.clone())));
    let b = Arc::new(ReportContext::new(client_on(&sim, 1000, lb.clone())));
    let ds = sim.dataset();
    let acc = &ds.accounts[0].id;
    let first = &ds.hashtags[0].name;
    run_on(
        &a,
        json!({"report": "hashtag_recent_media", "account": acc, "hashtag": first}),
    )
    .await
    .unwrap();
    // server A's searches (and the account's recent ones) are in the shared ledger: fill it up to 30
    let week = 7 * 24 * 3600 * 1000;
    let now = chrono::Utc::now().timestamp_millis();
    let held = lb.hashtags(acc, week, now).await.unwrap();
    assert!(held.iter().any(|(h, _)| h == first), "{held:?}");
    let second = &ds
        .hashtags
        .iter()
        .find(|h| !held.iter().any(|(n, _)| *n == h.name))
        .expect("a hashtag the account has not searched")
        .name;
    let fill: Vec<String> = (held.len()..30).map(|i| format!("filler{i}")).collect();
    la.seed_hashtags(acc, &fill, now).await.unwrap();
    // server B: a new hashtag is refused without a search; the one A searched is no new slot
    let searches = || {
        sim.stats()
            .by_endpoint
            .get("hashtag_search")
            .copied()
            .unwrap_or(0)
    };
    let before = searches();
    let e = run_on(
        &b,
        json!({"report": "hashtag_recent_media", "account": acc, "hashtag": second}),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ReportError::HashtagBudget { .. }), "{e}");
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert_eq!(searches(), before, "refused without a search");
    run_on(
        &b,
        json!({"report": "hashtag_top_media", "account": acc, "hashtag": first}),
    )
    .await
    .unwrap();

    // conversions: what A's media_insights learned, B starts from
    let t = json!({"report": "media_insights", "account": acc, "metrics": ["reach"], "period": "lifetime"});
    let before = sim.stats().total;
    let rows = run_on(&a, t.clone()).await.unwrap();
    let cold = sim.stats().total - before;
    let mark = lb.conversion(acc).await.unwrap();
    assert_ne!(mark, ConversionMark::default(), "A's boundary is in Redis");
    let before = sim.stats().total;
    assert_eq!(run_on(&b, t).await.unwrap(), rows);
    let warm = sim.stats().total - before;
    assert!(
        warm < cold,
        "B spends no call finding the boundary: {warm} vs {cold}"
    );
}

#[tokio::test]
async fn an_unreachable_redis_fails_the_call_naming_it_and_calls_nothing() {
    let sim = start_sim(SimConfig::default()).await;
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let ledger: Arc<dyn Ledger> = Arc::new(RedisLedger::new(&url).unwrap());
    let (_server, mut fc) = start_flight(&sim, client_on(&sim, 10, ledger)).await;
    let (code, message) = do_get(&mut fc, &user_ticket(&sim)).await.unwrap_err();
    assert_eq!(code, Code::Unavailable, "{message}");
    assert!(
        message.contains(&format!("call ledger ({url}) is unavailable"))
            && message.contains("no Graph call was made"),
        "{message}"
    );
    assert_eq!(sim.stats().total, 0);
}

// the simulator answers on other threads while this one waits for the process
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbled_ledger_file_is_set_aside_with_a_warning() {
    let sim = start_sim(SimConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("ledger.sqlite3"), b"\x00garbage\xff".repeat(1000)).unwrap();
    let ticket = user_ticket(&sim).to_string();
    let out_file = tmp.path().join("u.json");
    let args = [
        "export",
        "--quiet",
        "--calls-per-hour",
        "1",
        "--ticket",
        &ticket,
        "--output",
        out_file.to_str().unwrap(),
    ];
    let out = igflight(&sim, &data, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a ledger") && stderr(&out).contains("fresh ledger"),
        "the warning: {}",
        stderr(&out)
    );
    assert!(data.join("ledger.sqlite3.garbled").is_file());
    // the fresh ledger counts: the budget of 1 is spent
    let out = igflight(&sim, &data, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(sim.stats().total, 1);
}

// the simulator answers on other threads while this one waits for the process
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_usage_errors_exit_2_and_unusable_data_folders_exit_1() {
    let sim = start_sim(SimConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ticket = user_ticket(&sim).to_string();
    let out_file = tmp.path().join("u.json");
    let export = [
        "export",
        "--ticket",
        &ticket,
        "--output",
        out_file.to_str().unwrap(),
    ];
    for (state, says) in [
        ("bogus", "--state `bogus` is not a state store"),
        ("redis://127.0.0.1:1/x", "the database `/x` is not a number"),
        ("rediss://127.0.0.1:1", "TLS"),
        ("redis://:hunter2@", "not a URL"),
    ] {
        for cmd in [
            &export[..],
            &["serve", "--listen", "127.0.0.1:0"][..],
            &["sql", "SELECT 1"][..],
        ] {
            let mut args = cmd.to_vec();
            args.extend(["--state", state]);
            let out = igflight(&sim, &data, &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(says) && err.contains("accepted: file"),
                "{args:?}: {err}"
            );
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
    // a data folder under a plain file
    let plain = tmp.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let under = plain.join("data");
    for cmd in [&export[..], &["serve", "--listen", "127.0.0.1:0"][..]] {
        let out = igflight(&sim, &under, cmd);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(
            err.contains("cannot be used for the call ledger") && err.contains("--data-dir"),
            "{err}"
        );
    }
    assert_eq!(sim.stats().total, 0, "no call before the ledger is open");
}

#[tokio::test]
async fn the_demo_keeps_its_ledger_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = std::process::Command::new(BIN)
        .args(["sql", "--demo", "SELECT page_id FROM pages"])
        .env("IGFLIGHT_DATA_DIR", &data)
        .env_remove("IGFLIGHT_STATE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!data.exists(), "--demo wrote no ledger");
    // unless asked to
    let out = std::process::Command::new(BIN)
        .args([
            "sql",
            "--demo",
            "--state",
            "file",
            "SELECT page_id FROM pages",
        ])
        .env("IGFLIGHT_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(data.join("ledger.sqlite3").is_file());
}
