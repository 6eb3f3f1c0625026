use std::sync::Arc;

use super::*;

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_780_000_000_000;

#[test]
fn fits_at_names_the_call_whose_departure_leaves_room() {
    assert_eq!(fits_at(&[], 3, 3, HOUR), None);
    assert_eq!(fits_at(&[10, 20], 1, 3, HOUR), None);
    assert_eq!(fits_at(&[10, 20, 30], 1, 3, HOUR), Some(10 + HOUR));
    assert_eq!(fits_at(&[10, 20, 30], 2, 3, HOUR), Some(20 + HOUR));
    assert_eq!(fits_at(&[10], 4, 3, HOUR), Some(i64::MAX));
    assert_eq!(fits_at(&[i64::MAX], 1, 1, HOUR), Some(i64::MAX));
}

#[test]
fn specs_parse_and_bad_ones_say_what_is_accepted() {
    let dir = || Ok(PathBuf::from("/tmp/d"));
    assert_eq!(StateSpec::parse("memory", dir).unwrap(), StateSpec::Memory);
    assert_eq!(
        StateSpec::parse("file", dir).unwrap(),
        StateSpec::File("/tmp/d".into())
    );
    assert_eq!(
        StateSpec::parse("redis://127.0.0.1:6379/2", dir).unwrap(),
        StateSpec::Redis("redis://127.0.0.1:6379/2".into())
    );
    for bad in [
        "sqlite",
        "redis://",
        "redis://h:1/notanumber",
        "rediss://h:1",
        "redis://:hunter2@h:99999",
    ] {
        let e = StateSpec::parse(bad, dir).unwrap_err();
        let m = e.to_string();
        assert!(matches!(e, StateError::BadSpec { .. }), "{bad}: {m}");
        assert!(m.contains("accepted: file"), "{m}");
        assert!(!m.contains("hunter2"), "{m}");
    }
    // the data folder is only needed for `file`
    assert_eq!(
        StateSpec::parse("memory", || Err(StateError::NoDataDir)).unwrap(),
        StateSpec::Memory
    );
}

#[test]
fn redis_keys_are_prefixed_and_never_raw() {
    assert_eq!(
        redis::key("calls", "t:0123abcd"),
        "igflight:calls:t:0123abcd"
    );
    let odd = redis::key("calls", "EAAG token with spaces");
    assert!(
        odd.starts_with("igflight:calls:h") && !odd.contains("EAAG"),
        "{odd}"
    );
    let c = redis::cache_key("https://graph/x?access_token=EAAGsecret");
    assert!(
        c.starts_with("igflight:cache:") && !c.contains("EAAG"),
        "{c}"
    );
    assert_eq!(
        redact_url("redis://user:hunter2@example.com:6379/1"),
        "redis://example.com:6379/1"
    );
}

#[test]
fn conversion_marks_only_narrow() {
    let a = ConversionMark {
        cutoff: Some(10),
        floor: Some(50),
    };
    let b = ConversionMark {
        cutoff: Some(5),
        floor: Some(40),
    };
    assert_eq!(
        a.merge(b),
        ConversionMark {
            cutoff: Some(10),
            floor: Some(40)
        }
    );
    assert_eq!(ConversionMark::default().merge(a), a);
}

/// What every backend must do alike.
async fn behaves_as_a_ledger(l: Arc<dyn Ledger>) {
    let k = "t:abc";
    for i in 0..3 {
        assert_eq!(
            l.reserve_calls(k, 1, 3, HOUR, T0 + i).await.unwrap(),
            Reservation::Granted
        );
    }
    assert_eq!(
        l.reserve_calls(k, 1, 3, HOUR, T0 + 10).await.unwrap(),
        Reservation::Full {
            frees_at_ms: T0 + HOUR
        }
    );
    assert_eq!(
        l.reserve_calls(k, 2, 3, HOUR, T0 + 10).await.unwrap(),
        Reservation::Full {
            frees_at_ms: T0 + 1 + HOUR
        }
    );
    let w = l.calls(k, 1, 3, HOUR, T0 + 10).await.unwrap();
    assert_eq!(w.used, 3);
    assert_eq!(w.oldest_leaves_ms, Some(T0 + HOUR));
    assert_eq!(w.fits_at_ms, Some(T0 + HOUR));
    // the window rolls
    assert_eq!(
        l.reserve_calls(k, 1, 3, HOUR, T0 + HOUR).await.unwrap(),
        Reservation::Granted
    );
    assert_eq!(l.calls(k, 0, 3, HOUR, T0 + HOUR).await.unwrap().used, 3);
    // other keys are independent; a batch takes n
    assert_eq!(
        l.reserve_calls("t:other", 3, 3, HOUR, T0).await.unwrap(),
        Reservation::Granted
    );
    assert_eq!(
        l.calls("t:none", 1, 3, HOUR, T0).await.unwrap(),
        CallWindow::default()
    );

    // hashtags: 2 per window
    let week = 7 * 24 * HOUR;
    let acct = "17841400000000001";
    l.seed_hashtags(acct, &["old".into()], T0).await.unwrap();
    assert_eq!(
        l.reserve_hashtag(acct, "old", 2, week, T0 + 5)
            .await
            .unwrap(),
        HashtagReservation::Known
    );
    assert_eq!(
        l.reserve_hashtag(acct, "new", 2, week, T0 + 5)
            .await
            .unwrap(),
        HashtagReservation::Reserved
    );
    assert_eq!(
        l.reserve_hashtag(acct, "third", 2, week, T0 + 6)
            .await
            .unwrap(),
        HashtagReservation::Full {
            frees_at_ms: T0 + week
        }
    );
    l.release_hashtag(acct, "new").await.unwrap();
    assert_eq!(
        l.reserve_hashtag(acct, "third", 2, week, T0 + 7)
            .await
            .unwrap(),
        HashtagReservation::Reserved
    );
    // seeding keeps the first time
    l.seed_hashtags(acct, &["old".into(), "third".into()], T0 + 100)
        .await
        .unwrap();
    assert_eq!(
        l.hashtags(acct, week, T0 + 200).await.unwrap(),
        vec![("old".to_string(), T0), ("third".to_string(), T0 + 7)]
    );
    assert!(
        l.hashtags(acct, week, T0 + week + 7)
            .await
            .unwrap()
            .is_empty()
    );

    // conversions merge
    assert_eq!(l.conversion(acct).await.unwrap(), ConversionMark::default());
    l.merge_conversion(
        acct,
        ConversionMark {
            cutoff: Some(100),
            floor: None,
        },
    )
    .await
    .unwrap();
    let m = l
        .merge_conversion(
            acct,
            ConversionMark {
                cutoff: Some(50),
                floor: Some(300),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        m,
        ConversionMark {
            cutoff: Some(100),
            floor: Some(300)
        }
    );
    assert_eq!(l.conversion(acct).await.unwrap(), m);
}

#[tokio::test]
async fn memory_ledger() {
    behaves_as_a_ledger(Arc::new(MemoryLedger::new())).await;
    let l = MemoryLedger::new();
    assert!(!l.shares_cache());
    l.cache_put("k", b"v", std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(l.cache_get("k").await.unwrap(), None);
}

#[tokio::test]
async fn file_ledger_behaves_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a").join("data");
    behaves_as_a_ledger(Arc::new(FileLedger::open_in(&data).unwrap())).await;
    // a second handle (another process) sees the same calls
    let again = FileLedger::open_in(&data).unwrap();
    assert_eq!(
        again
            .calls("t:abc", 0, 3, HOUR, T0 + HOUR)
            .await
            .unwrap()
            .used,
        3
    );
    assert_eq!(
        again
            .reserve_calls("t:abc", 1, 3, HOUR, T0 + HOUR)
            .await
            .unwrap(),
        Reservation::Full {
            frees_at_ms: T0 + 1 + HOUR
        }
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

#[tokio::test]
async fn file_ledger_counts_future_times_as_now_and_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let l = FileLedger::open_in(dir.path()).unwrap();
    {
        let conn = rusqlite::Connection::open(l.path()).unwrap();
        // a hostile or skewed writer: a call far in the future would otherwise hold its slot forever
        conn.execute(
            "INSERT INTO calls (key, at_ms) VALUES ('t:x', ?1), ('t:gone', ?2)",
            [i64::MAX, T0 - 3 * 24 * HOUR],
        )
        .unwrap();
    }
    assert_eq!(
        l.reserve_calls("t:x", 1, 1, HOUR, T0).await.unwrap(),
        Reservation::Full {
            frees_at_ms: T0 + HOUR
        }
    );
    assert_eq!(
        l.reserve_calls("t:x", 1, 1, HOUR, T0 + HOUR).await.unwrap(),
        Reservation::Granted
    );
    let conn = rusqlite::Connection::open(l.path()).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM calls", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "old calls of any token are pruned on a write");
}

#[tokio::test]
async fn a_garbled_file_is_set_aside_and_a_fresh_ledger_started() {
    for garbage in [b"this is not a database at all, just text".repeat(200), {
        // a real ledger, truncated mid-page
        let d = tempfile::tempdir().unwrap();
        let l = FileLedger::open_in(d.path()).unwrap();
        for i in 0..500 {
            l.reserve_calls(&format!("t:{i}"), 1, 10, HOUR, T0)
                .await
                .unwrap();
        }
        drop(l);
        let bytes = std::fs::read(ledger_path(d.path())).unwrap();
        bytes[..bytes.len().min(5000)].to_vec()
    }] {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(dir.path());
        std::fs::write(&path, &garbage).unwrap();
        let l = FileLedger::open_in(dir.path()).unwrap();
        assert_eq!(
            l.reserve_calls("t:a", 1, 1, HOUR, T0).await.unwrap(),
            Reservation::Granted
        );
        assert_eq!(
            l.reserve_calls("t:a", 1, 1, HOUR, T0).await.unwrap(),
            Reservation::Full {
                frees_at_ms: T0 + HOUR
            },
            "the fresh ledger counts from there"
        );
        assert_eq!(
            std::fs::read(path.with_extension("sqlite3.garbled")).unwrap(),
            garbage,
            "the garbled file is kept aside"
        );
    }
}

#[tokio::test]
async fn another_programs_database_is_not_taken_for_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_path(dir.path());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE calls (key, at_ms); INSERT INTO calls VALUES ('t:a', 'soon');",
    )
    .unwrap();
    drop(conn);
    let l = FileLedger::open_in(dir.path()).unwrap();
    assert_eq!(
        l.reserve_calls("t:a", 1, 1, HOUR, T0).await.unwrap(),
        Reservation::Granted
    );
    assert!(path.with_extension("sqlite3.garbled").exists());
}

#[test]
fn an_unusable_data_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let e = FileLedger::open_in(&file.join("data")).unwrap_err();
    assert!(matches!(e, StateError::DataDir { .. }), "{e}");
    let m = e.to_string();
    assert!(m.contains("plain-file") && m.contains("--data-dir"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_file_handles_never_exceed_the_limit_together() {
    let dir = tempfile::tempdir().unwrap();
    let a: Arc<dyn Ledger> = Arc::new(FileLedger::open_in(dir.path()).unwrap());
    let b: Arc<dyn Ledger> = Arc::new(FileLedger::open_in(dir.path()).unwrap());
    let mut tasks = Vec::new();
    for i in 0..80 {
        let l = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            l.reserve_calls("t:shared", 1, 25, HOUR, now_ms())
                .await
                .unwrap()
                == Reservation::Granted
        }));
    }
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.unwrap());
    }
    assert_eq!(granted, 25);
    assert_eq!(
        a.calls("t:shared", 0, 25, HOUR, now_ms())
            .await
            .unwrap()
            .used,
        25
    );
}

#[tokio::test]
async fn redis_ledger() {
    let Some(server) = testing::RedisServer::start() else {
        return;
    };
    let l = RedisLedger::new(&server.url(3)).unwrap();
    assert_eq!(l.describe(), server.url(3));
    behaves_as_a_ledger(Arc::new(l)).await;
    let l = RedisLedger::new(&server.url(3)).unwrap();
    assert!(l.shares_cache());
    assert_eq!(l.cache_get("k").await.unwrap(), None);
    l.cache_put("k", b"bytes\x00\xff", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let other = RedisLedger::new(&server.url(3)).unwrap();
    assert_eq!(
        other.cache_get("k").await.unwrap().as_deref(),
        Some(&b"bytes\x00\xff"[..])
    );
    l.cache_put("short", b"x", std::time::Duration::from_millis(30))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    assert_eq!(
        other.cache_get("short").await.unwrap(),
        None,
        "the ttl holds"
    );
}
