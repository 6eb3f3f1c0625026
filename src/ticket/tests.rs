use super::*;
use chrono::Duration;

const V15: GraphVersion = GraphVersion::V15;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn ok(json: &str) -> ReportRequest {
    decode(json.as_bytes(), today(), V15).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn err(json: &str) -> (String, String) {
    match decode(json.as_bytes(), today(), V15) {
        Err(TicketError::Invalid { key, message }) => (key, message),
        other => panic!("{json}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn refusals_name_the_key_and_what_is_accepted() {
    struct Case {
        json: &'static str,
        key: &'static str,
        says: &'static [&'static str],
    }
    let cases = [
        Case {
            json: r#"{"report":"nope"}"#,
            key: "report",
            says: &["unknown report `nope`", "user_media"],
        },
        Case {
            json: r#"{}"#,
            key: "report",
            says: &["missing key `report`"],
        },
        Case {
            json: r#"{"report":"user","connection":"my shop"}"#,
            key: "connection",
            says: &[
                "connection `my shop` is not a connection name",
                "letters, digits",
            ],
        },
        Case {
            json: r#"{"report":"user","colour":"red"}"#,
            key: "colour",
            says: &["unknown key `colour`", "hashtag"],
        },
        Case {
            json: r#"{"report":"user_media","limit":"ten"}"#,
            key: "limit",
            says: &["must be an integer"],
        },
        Case {
            json: r#"{"report":"user_media","limit":0}"#,
            key: "limit",
            says: &["> 0"],
        },
        Case {
            json: r#"{"report":"user_media","fields":[1]}"#,
            key: "fields",
            says: &["list of strings"],
        },
        Case {
            json: r#"{"report":"user_media","fields":["id","colour"]}"#,
            key: "fields",
            says: &["unknown field `colour`", "caption"],
        },
        Case {
            json: r#"{"report":"hashtag_recent_media"}"#,
            key: "hashtag",
            says: &["requires key `hashtag`"],
        },
        Case {
            json: r#"{"report":"media_comments"}"#,
            key: "media_id",
            says: &["requires key `media_id`"],
        },
        Case {
            json: r#"{"report":"other_users_media","username":""}"#,
            key: "username",
            says: &["requires key `username`"],
        },
        Case {
            json: r#"{"report":"user_insights","metrics":["likes_given"]}"#,
            key: "metrics",
            says: &["unknown metric `likes_given`", "profile_views"],
        },
        Case {
            json: r#"{"report":"user_insights","period":"month"}"#,
            key: "period",
            says: &["unknown period `month`", "days_28"],
        },
        Case {
            json: r#"{"report":"user_insights","period":"week","metrics":["profile_views"]}"#,
            key: "metrics",
            says: &["does not fit period `week`", "impressions, reach"],
        },
        Case {
            json: r#"{"report":"media_insights","media_type":"image","metrics":["plays"]}"#,
            key: "metrics",
            says: &["does not fit media type `image`", "saved"],
        },
        Case {
            json: r#"{"report":"media_insights","period":"day"}"#,
            key: "period",
            says: &["accepted: lifetime"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from_offset":-1}"#,
            key: "date_from_offset",
            says: &["≥ 0"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from":"2026-05-02","date_to":"2026-05-01"}"#,
            key: "date_from",
            says: &["after"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from_offset":60}"#,
            key: "metrics",
            says: &["follower_count", "last 30 days"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from":"May 1"}"#,
            key: "date_from",
            says: &["YYYY-MM-DD"],
        },
        Case {
            json: r#"{"report":"user_media","media_items":"single"}"#,
            key: "media_id",
            says: &["needs key `media_id`"],
        },
        Case {
            json: r#"{"report":"user_media","media_items":"some"}"#,
            key: "media_items",
            says: &["all, range, single"],
        },
        Case {
            json: r#"{"report":"user_media","media_type":"story"}"#,
            key: "media_type",
            says: &["user_stories"],
        },
        Case {
            json: r#"{"report":"user","hashtag":"coffee"}"#,
            key: "hashtag",
            says: &["does not apply to report `user`"],
        },
        Case {
            json: r#"{"report":"user","account":"1","page":"2"}"#,
            key: "page",
            says: &["not both"],
        },
        Case {
            json: r#"{"report":"media_comments","media_id":"1","include_replies":"yes"}"#,
            key: "include_replies",
            says: &["boolean"],
        },
    ];
    for c in cases {
        let (key, message) = err(c.json);
        assert_eq!(key, c.key, "{}: {message}", c.json);
        for s in c.says {
            assert!(
                message.contains(s),
                "{}: `{message}` should say `{s}`",
                c.json
            );
        }
    }
}

#[test]
fn user_insights_defaults() {
    let r = ok(r#"{"report":"user_insights"}"#);
    let ReportParams::UserInsights(p) = r.params else {
        panic!("{r:?}")
    };
    assert_eq!(p.period, Period::Day);
    assert_eq!(
        p.metrics.len(),
        crate::reports::catalog::Catalog::of(V15)
            .user_metrics(Period::Day)
            .len()
    );
    let d = p.dates;
    assert_eq!(d.to, today() - Duration::days(1));
    assert_eq!(d.from, today() - Duration::days(30));
}

#[test]
fn offsets_count_days_before_today() {
    let r = ok(r#"{"report":"user_insights","date_from_offset":10,"date_to_offset":5}"#);
    let d = r.params.dates().unwrap();
    assert_eq!(d.from, NaiveDate::from_ymd_opt(2026, 11, 18).unwrap());
    assert_eq!(d.to, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
}

#[test]
fn hashtags_lose_their_hash_and_fields_keep_their_order() {
    let r =
        ok(r##"{"report":"hashtag_top_media","hashtag":"#Coffee","fields":["timestamp","id"]}"##);
    assert_eq!(
        r.params,
        ReportParams::Hashtag {
            name: "coffee".into()
        }
    );
    assert_eq!(
        r.fields.unwrap(),
        vec!["timestamp".to_string(), "id".to_string()]
    );
}

#[test]
fn json_and_protobuf_decode_to_the_same_request() {
    let json = r#"{"report":"media_insights","account":"17841400000000001","metrics":["reach","saved"],
                  "media_type":"image","media_items":"range","date_from":"2026-01-01","date_to_offset":3,"limit":7}"#;
    let from_json = ok(json);
    let bytes = encode(&from_json.raw);
    let from_proto = decode(&bytes, today(), V15).unwrap();
    assert_eq!(from_json, from_proto);
    // and the JSON form of the raw ticket round-trips too
    let again = ok(&to_json(&from_json.raw).to_string());
    assert_eq!(from_json, again);
    // a bare ReportTicket (no Any wrapper) is accepted as well
    let bare = from_json.raw.encode_to_vec();
    assert_eq!(decode(&bare, today(), V15).unwrap(), from_json);
}

/// Frozen bytes of a v1 ticket. Do not change this test: old tickets must stay decodable.
#[test]
fn frozen_v1_ticket_still_decodes() {
    let frozen = hex::decode(FROZEN_V1).unwrap();
    let r = decode(&frozen, today(), V15).unwrap();
    assert_eq!(r.report, ReportKind::UserInsights);
    assert_eq!(
        r.account,
        AccountRef::Account(NodeId::parse("17841400000000001").unwrap())
    );
    assert_eq!(
        r.params,
        ReportParams::UserInsights(UserInsightsParams {
            metrics: vec!["reach".to_string(), "impressions".to_string()],
            period: Period::Week,
            dates: DateRange {
                from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 2, 15).unwrap()
            },
            metric_type: MetricType::Default,
            breakdown: None,
            timeframe: None,
            version: V15,
            removed: vec![],
        })
    );
    assert_eq!(r.limit, Some(100));
}

const FROZEN_V1: &str = include_str!("frozen_v1.hex");

#[test]
fn connection_names_the_served_connection() {
    let r = ok(r#"{"report":"user_media","connection":" shop-1 "}"#);
    assert_eq!(r.connection.as_deref(), Some("shop-1"));
    assert_eq!(ok(r#"{"report":"user_media"}"#).connection, None);
    assert_eq!(
        ok(r#"{"report":"user_media","connection":""}"#).connection,
        None
    );
    // the canonical form carries it too
    let again = decode(&encode(&r.raw), today(), V15).unwrap();
    assert_eq!(again.connection.as_deref(), Some("shop-1"));
}

#[test]
fn garbage_is_undecodable() {
    assert!(matches!(
        decode(b"\xff\xff\xff", today(), V15),
        Err(TicketError::Undecodable(_))
    ));
    assert!(matches!(
        decode(b"{not json", today(), V15),
        Err(TicketError::Undecodable(_))
    ));
    assert!(matches!(
        decode(b"[1,2]", today(), V15),
        Err(TicketError::Undecodable(_))
    ));
}

#[test]
fn a_huge_ticket_is_refused_before_decoding() {
    // a 30 MB ticket: refused by its size, whatever it holds
    let big = format!(r#"{{"report":"user","colour":"{}"}}"#, "x".repeat(30 << 20));
    let e = decode(big.as_bytes(), today(), V15).unwrap_err();
    assert!(matches!(e, TicketError::TooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("at most 65536 bytes"), "{e}");
    // just under the cap still decodes (and is refused for its content, naming the key)
    let near = format!(
        r#"{{"report":"user","page":"{}"}}"#,
        "x".repeat(MAX_TICKET_BYTES - 40)
    );
    assert!(near.len() <= MAX_TICKET_BYTES);
    let (key, message) = err(&near);
    assert_eq!(key, "page");
    assert!(message.len() < 400, "the refusal quotes a bounded prefix");
}

#[test]
fn json_is_read_into_typed_keys_and_stops_at_the_first_bad_one() {
    // an unknown key is refused as it is read, naming it and listing the accepted keys
    let (key, message) = err(r#"{"report":"user","colour":"red","account":"../x"}"#);
    assert_eq!(key, "colour");
    assert!(
        message.contains("accepted keys: report, account"),
        "{message}"
    );
    // a repeated key is refused
    let (key, _) = err(r#"{"report":"user_media","limit":1,"limit":2}"#);
    assert_eq!(key, "limit");
    // a number where a list is expected names the key
    let (key, message) = err(r#"{"report":"user_media","fields":7}"#);
    assert_eq!(key, "fields");
    assert!(message.contains("must be a list of strings"), "{message}");
    // ids may be written as integers; floats and negative numbers are not ids
    assert_eq!(
        ok(r#"{"report":"user","account":17841400000000001}"#).account,
        AccountRef::Account(NodeId::parse("17841400000000001").unwrap())
    );
    assert_eq!(err(r#"{"report":"user","account":1.5}"#).0, "account");
    assert_eq!(err(r#"{"report":"user","account":-5}"#).0, "account");
    // trailing garbage after the object
    assert!(matches!(
        decode(br#"{"report":"user"} x"#, today(), V15),
        Err(TicketError::Undecodable(_))
    ));
    // long lists are refused in both encodings
    let many: Vec<String> = (0..=MAX_LIST_ITEMS).map(|i| format!("m{i}")).collect();
    let json = serde_json::json!({"report": "user_insights", "metrics": many}).to_string();
    assert_eq!(err(&json).0, "metrics");
    let raw = proto::ReportTicket {
        report: "user_insights".into(),
        metrics: many,
        ..Default::default()
    };
    assert!(matches!(
        validate(raw, today(), V15),
        Err(TicketError::Invalid { key, .. }) if key == "metrics"
    ));
}

#[test]
fn ids_are_digits_and_never_become_paths() {
    for (json, key) in [
        (
            r#"{"report":"user","account":"../../x/y?inj=1&fields=zzz#f"}"#,
            "account",
        ),
        (r#"{"report":"user","account":"me"}"#, "account"),
        (
            r#"{"report":"media_comments","media_id":"me/accounts?x="}"#,
            "media_id",
        ),
        (
            r#"{"report":"media_insights","media_items":"single","media_id":"1/../2"}"#,
            "media_id",
        ),
    ] {
        let (k, message) = err(json);
        assert_eq!(k, key, "{json}");
        assert!(message.contains("numeric Graph id"), "{message}");
    }
    // a page is an id or an exact name: matched against the listing, so any text is accepted here
    assert_eq!(
        ok(r#"{"report":"user","page":"Northside Roasters / ?x"}"#).account,
        AccountRef::Page("Northside Roasters / ?x".into())
    );
    assert_eq!(
        err(&format!(
            r#"{{"report":"user","page":"{}"}}"#,
            "p".repeat(300)
        ))
        .0,
        "page"
    );
    assert_eq!(
        err(&format!(
            r#"{{"report":"hashtag_top_media","hashtag":"{}"}}"#,
            "a".repeat(101)
        ))
        .0,
        "hashtag"
    );
    assert_eq!(
        err(r#"{"report":"other_users","username":"a_very_long_username_over_thirty"}"#).0,
        "username"
    );
}

#[test]
fn dates_stay_between_2010_and_a_year_ahead_without_panics() {
    for (json, key) in [
        (
            r#"{"report":"user_insights","date_to":"+262142-12-31"}"#,
            "date_to",
        ),
        (
            r#"{"report":"user_insights","date_from":"-262143-01-01"}"#,
            "date_from",
        ),
        (
            r#"{"report":"user_insights","date_from":"1900-01-01","date_to":"2100-01-01"}"#,
            "date_from",
        ),
        (
            r#"{"report":"user_insights","date_from":"2009-12-31"}"#,
            "date_from",
        ),
        (
            r#"{"report":"user_insights","date_to":"2027-11-29"}"#,
            "date_to",
        ),
        (
            r#"{"report":"user_insights","date_from_offset":9223372036854775807}"#,
            "date_from_offset",
        ),
        (
            r#"{"report":"user_insights","date_to_offset":6176}"#,
            "date_to_offset",
        ),
        (
            r#"{"report":"user_insights","date_to_offset":-9223372036854775808}"#,
            "date_to_offset",
        ),
    ] {
        let (k, message) = err(json);
        assert_eq!(k, key, "{json}: {message}");
    }
    // the edges themselves are accepted
    let r = ok(r#"{"report":"user_media","date_from":"2010-01-01","date_to":"2027-11-28"}"#);
    assert_eq!(r.params.dates().unwrap().from, MIN_DATE);
    let r = ok(r#"{"report":"user_media","date_from_offset":6175}"#);
    assert_eq!(r.params.dates().unwrap().from, MIN_DATE);
    // `date_to` alone near the lower edge: the default 30 days are cut at 2010-01-01
    let r = ok(r#"{"report":"user_media","date_to":"2010-01-05"}"#);
    assert_eq!(r.params.dates().unwrap().from, MIN_DATE);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(keys().collect::<Vec<_>>()).prop_map(str::to_string),
            "[a-z_]{1,12}",
        ]
    }

    fn value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
            "[0-9]{1,40}".prop_map(Value::from),
            "[+-]?[0-9]{1,7}-[0-9]{2}-[0-9]{2}".prop_map(Value::from),
            proptest::sample::select(ReportKind::ALL.to_vec()).prop_map(|r| Value::from(r.name())),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Arbitrary JSON tickets: a request or a refusal, never a panic.
        #[test]
        fn json_tickets_never_panic(
            entries in proptest::collection::btree_map(key(), value(), 0..8),
            report in proptest::sample::select(ReportKind::ALL.to_vec()),
            with_report in any::<bool>(),
        ) {
            let mut m: serde_json::Map<String, serde_json::Value> = entries.into_iter().collect();
            if with_report {
                m.insert("report".into(), report.name().into());
            }
            let bytes = serde_json::Value::Object(m).to_string();
            let _ = decode(bytes.as_bytes(), today(), V15);
        }

        /// Arbitrary protobuf tickets (typed fields with any values, and raw bytes).
        #[test]
        fn protobuf_tickets_never_panic(
            report in proptest::sample::select(ReportKind::ALL.to_vec()),
            account in proptest::option::of(".{0,20}"),
            media_id in proptest::option::of("[0-9a-z/]{0,20}"),
            date_from in proptest::option::of("[+-]?[0-9]{1,7}-[0-9]{2}-[0-9]{2}"),
            date_to in proptest::option::of("[+-]?[0-9]{1,7}-[0-9]{2}-[0-9]{2}"),
            from_offset in proptest::option::of(any::<i64>()),
            to_offset in proptest::option::of(any::<i64>()),
            limit in proptest::option::of(any::<i64>()),
            page_size in proptest::option::of(any::<i64>()),
            period in proptest::option::of(proptest::sample::select(vec!["day", "week", "days_28", "lifetime", "x"])),
            raw in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let t = proto::ReportTicket {
                report: report.name().into(),
                account,
                media_id,
                date_from,
                date_to,
                date_from_offset: from_offset,
                date_to_offset: to_offset,
                limit,
                page_size,
                period: period.map(str::to_string),
                ..Default::default()
            };
            let _ = decode(&encode(&t), today(), V15);
            let _ = decode(&raw, today(), V15);
            // the plan's pure parts take whatever validation lets through
            if let Ok(r) = decode(&encode(&t), today(), V15)
                && let Some(d) = &r.params.dates()
            {
                let n = crate::graph::insight_window_count(d.from, d.to, 30);
                prop_assert!(n <= 250, "{n} windows");
            }
        }
    }
}

#[test]
fn the_key_table_lists_every_key_once_in_protobuf_order() {
    // the protobuf message declares exactly the keys of the table, in field-number order
    let proto_text = include_str!("../../proto/igflight/v1/ticket.proto");
    let mut declared: Vec<(u32, &str)> = proto_text
        .lines()
        .filter_map(|l| {
            let (decl, number) = l.trim().strip_suffix(';')?.split_once('=')?;
            let name = decl.split_whitespace().last()?;
            Some((number.trim().parse().ok()?, name))
        })
        .collect();
    declared.sort();
    let declared: Vec<&str> = declared.into_iter().map(|(_, n)| n).collect();
    let names: Vec<&str> = keys().collect();
    assert_eq!(names, declared);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    // and every key is a JSON key the decoder knows
    for key in keys() {
        let json = format!(r#"{{"report":"user","{key}":null}}"#);
        if let Err(TicketError::Invalid { message, .. }) = decode(json.as_bytes(), today(), V15) {
            assert!(!message.contains("unknown key"), "{key}: {message}");
        }
    }
    // a key the table does not know is refused by the JSON decoder, naming the accepted keys
    let (key, message) = err(r#"{"report":"user","colour":"red"}"#);
    assert_eq!(key, "colour");
    assert!(
        message.contains(&keys().collect::<Vec<_>>().join(", ")),
        "{message}"
    );
}

#[test]
fn each_report_gets_its_own_typed_params() {
    let id = NodeId::parse("17900000000000001").unwrap();
    let jan = DateRange {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
    };
    for (json, want) in [
        (r#"{"report":"user"}"#, ReportParams::Plain),
        (r#"{"report":"user_stories"}"#, ReportParams::Plain),
        (r#"{"report":"pages"}"#, ReportParams::Plain),
        (
            r#"{"report":"user_media","media_items":"single","media_id":"17900000000000001"}"#,
            ReportParams::UserMedia {
                filter: MediaFilter::default(),
                single: Some(id.clone()),
            },
        ),
        (
            r#"{"report":"user_media","media_type":"reels","date_from":"2026-01-01","date_to":"2026-01-31"}"#,
            ReportParams::UserMedia {
                filter: MediaFilter {
                    media_type: Some(MediaKind::Reels),
                    dates: Some(jan),
                },
                single: None,
            },
        ),
        (
            r#"{"report":"media_insights","media_items":"range","date_from":"2026-01-01","date_to":"2026-01-31"}"#,
            ReportParams::MediaInsights(MediaInsightsParams {
                metrics: vec![],
                media_type: None,
                media: MediaItems::Range(jan),
                breakdown: None,
                version: V15,
                removed: vec![],
            }),
        ),
        (
            r#"{"report":"media_comments","media_id":"17900000000000001","include_replies":false}"#,
            ReportParams::Comments {
                media_id: id.clone(),
                include_replies: false,
            },
        ),
        (
            r#"{"report":"other_users","username":"@someone"}"#,
            ReportParams::OtherUser {
                username: "someone".into(),
            },
        ),
        (
            r#"{"report":"other_users_media","username":"someone","date_from":"2026-01-01","date_to":"2026-01-31"}"#,
            ReportParams::OtherUserMedia {
                username: "someone".into(),
                dates: Some(jan),
            },
        ),
        (
            r##"{"report":"hashtag_recent_media","hashtag":"#Tea"}"##,
            ReportParams::Hashtag { name: "tea".into() },
        ),
    ] {
        assert_eq!(ok(json).params, want, "{json}");
    }
    // media insights stay on `lifetime`: a story-only run gets the story metrics
    let ReportParams::MediaInsights(p) =
        ok(r#"{"report":"media_insights","media_type":"story"}"#).params
    else {
        panic!()
    };
    assert_eq!(
        p.metrics.len(),
        crate::reports::catalog::Catalog::of(V15)
            .media_metrics(MediaKind::Story)
            .len()
    );
    // user_media takes the feed kinds only; media_insights takes stories too
    assert_eq!(
        err(r#"{"report":"user_media","media_type":"story"}"#).0,
        "media_type"
    );
}

#[test]
fn hostile_breakdowns_are_refused_before_they_reach_a_request() {
    let long = format!(
        r#"{{"report":"user_insights","period":"lifetime","breakdown":"{}"}}"#,
        "a".repeat(65)
    );
    for json in [
        r#"{"report":"user_insights","period":"lifetime","breakdown":"city){id}&fields=x"}"#,
        r#"{"report":"user_insights","period":"lifetime","breakdown":"city,country,age,gender,city2"}"#,
        r#"{"report":"user_insights","period":"lifetime","breakdown":"cïty"}"#,
        r#"{"report":"media_insights","breakdown":"action_type%2Cx"}"#,
        long.as_str(),
    ] {
        let (key, message) = err(json);
        assert_eq!(key, "breakdown", "{json}: {message}");
        assert!(message.len() < 400, "{message}");
    }
}
