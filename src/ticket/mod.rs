//! Tickets: a report name plus parameters, in protobuf (canonical, versioned) or JSON (human) form.
//!
//! Both encodings decode to the raw [`proto::ReportTicket`], which [`validate`] turns into a
//! [`ReportRequest`] — or refuses with a [`TicketError`] naming the key and what is accepted, before any
//! Graph call is made.
//!
//! Wire forms accepted by [`decode`]:
//! * a UTF-8 JSON object: `{"report": "user_media", "limit": 10}`;
//! * a protobuf `google.protobuf.Any` whose `type_url` is [`TYPE_URL`] wrapping a `ReportTicket`
//!   (what [`encode`] writes);
//! * a bare protobuf `ReportTicket`.

use chrono::{Duration, NaiveDate};
use prost::Message;
use serde_json::{Map, Value};

use crate::reports::catalog::{
    MediaKind, Period, ReportKind, all_media_metrics, media_metrics, user_metrics,
};
use crate::reports::schema::report_schema;

/// Generated protobuf types of `proto/igflight/v1/ticket.proto`.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/igflight.v1.rs"));
}

/// `type_url` of the canonical encoding.
pub const TYPE_URL: &str = "type.googleapis.com/igflight.v1.ReportTicket";

/// Every ticket key (CONTRACT §3).
pub const KEYS: [&str; 20] = [
    "report",
    "account",
    "page",
    "fields",
    "metrics",
    "period",
    "media_type",
    "media_items",
    "media_id",
    "date_from",
    "date_to",
    "date_from_offset",
    "date_to_offset",
    "hashtag",
    "username",
    "include_replies",
    "limit",
    "page_size",
    "connection",
    "partition",
];

/// A refused ticket. The message names the key and lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// The bytes are neither JSON nor protobuf.
    #[error("the ticket is neither a JSON object nor an igflight protobuf ticket ({0})")]
    Undecodable(String),
    /// A key is wrong: unknown, wrong type, out of range, or inconsistent with another key.
    #[error("{message}")]
    Invalid {
        /// The key at fault (`report` for an unknown report).
        key: String,
        /// What was wrong and what is accepted.
        message: String,
    },
}

fn invalid(key: &str, message: impl Into<String>) -> TicketError {
    TicketError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Which account a report runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    /// The one account the token reaches (an error lists them when there are several).
    Default,
    /// An Instagram business account id.
    Account(String),
    /// A Facebook page id or exact name.
    Page(String),
}

/// `media_items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaItems {
    /// Every media.
    All,
    /// Media whose timestamp falls inside the date range.
    Range,
    /// One media (`media_id`).
    Single(String),
}

/// An inclusive range of UTC dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
}

/// A validated request: everything a plan needs, nothing left to check.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    /// The report.
    pub report: ReportKind,
    /// The account.
    pub account: AccountRef,
    /// Requested columns in order (`None` = all).
    pub fields: Option<Vec<String>>,
    /// Insight metrics (resolved: the defaults are filled in). Empty for non-insight reports, and for
    /// `media_insights` without `metrics` and without `media_type` (each media gets its kind's full set).
    pub metrics: Vec<String>,
    /// Insights period (default `day`; `lifetime` for media insights).
    pub period: Period,
    /// `media_type` filter (`None` = all).
    pub media_type: Option<MediaKind>,
    /// `media_items`.
    pub media_items: MediaItems,
    /// Date range (resolved from dates or offsets; defaults filled in for `user_insights`).
    pub dates: Option<DateRange>,
    /// Hashtag name without `#`.
    pub hashtag: Option<String>,
    /// Business discovery username.
    pub username: Option<String>,
    /// One media (`media_comments`, or `media_items: single`).
    pub media_id: Option<String>,
    /// `media_comments` also returns replies.
    pub include_replies: bool,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Rows per Graph page requested.
    pub page_size: Option<u32>,
    /// Part of a multi-endpoint plan (0 = whole report).
    pub partition: u32,
    /// The served connection to run on (`None`: the client's default).
    pub connection: Option<String>,
    /// The raw ticket this was validated from (for re-encoding).
    pub raw: proto::ReportTicket,
}

/// Decode ticket bytes (JSON or protobuf) into the raw ticket, without validating it.
pub fn decode_raw(bytes: &[u8]) -> Result<proto::ReportTicket, TicketError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| TicketError::Undecodable(format!("invalid JSON: {e}")))?;
        return match v {
            Value::Object(map) => from_json(&map),
            _ => Err(TicketError::Undecodable(
                "JSON ticket must be an object".into(),
            )),
        };
    }
    if let Ok(any) = prost_types_any(bytes)
        && any.0 == TYPE_URL
    {
        return proto::ReportTicket::decode(any.1.as_slice())
            .map_err(|e| TicketError::Undecodable(format!("invalid protobuf: {e}")));
    }
    match proto::ReportTicket::decode(bytes) {
        Ok(t) if !t.report.is_empty() => Ok(t),
        Ok(_) => Err(invalid(
            "report",
            format!("missing key `report`; accepted: {}", ReportKind::names()),
        )),
        Err(e) => Err(TicketError::Undecodable(format!(
            "not JSON, and invalid protobuf: {e}"
        ))),
    }
}

/// A minimal `google.protobuf.Any` (type_url = 1, value = 2).
#[derive(Clone, PartialEq, Message)]
struct AnyMsg {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

fn prost_types_any(bytes: &[u8]) -> Result<(String, Vec<u8>), prost::DecodeError> {
    let a = AnyMsg::decode(bytes)?;
    Ok((a.type_url, a.value))
}

/// Decode and validate ticket bytes. `today` is the UTC date offsets count from.
pub fn decode(bytes: &[u8], today: NaiveDate) -> Result<ReportRequest, TicketError> {
    validate(decode_raw(bytes)?, today)
}

/// Encode a raw ticket in the canonical form (protobuf `Any`).
pub fn encode(raw: &proto::ReportTicket) -> Vec<u8> {
    AnyMsg {
        type_url: TYPE_URL.to_string(),
        value: raw.encode_to_vec(),
    }
    .encode_to_vec()
}

/// The JSON form of a raw ticket (only the keys that are set).
pub fn to_json(raw: &proto::ReportTicket) -> Value {
    let mut m = Map::new();
    m.insert("report".into(), raw.report.clone().into());
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    put("account", raw.account.clone().map(Value::from));
    put("page", raw.page.clone().map(Value::from));
    put(
        "fields",
        (!raw.fields.is_empty()).then(|| raw.fields.clone().into()),
    );
    put(
        "metrics",
        (!raw.metrics.is_empty()).then(|| raw.metrics.clone().into()),
    );
    put("period", raw.period.clone().map(Value::from));
    put("media_type", raw.media_type.clone().map(Value::from));
    put("media_items", raw.media_items.clone().map(Value::from));
    put("media_id", raw.media_id.clone().map(Value::from));
    put("date_from", raw.date_from.clone().map(Value::from));
    put("date_to", raw.date_to.clone().map(Value::from));
    put("date_from_offset", raw.date_from_offset.map(Value::from));
    put("date_to_offset", raw.date_to_offset.map(Value::from));
    put("hashtag", raw.hashtag.clone().map(Value::from));
    put("username", raw.username.clone().map(Value::from));
    put("include_replies", raw.include_replies.map(Value::from));
    put("limit", raw.limit.map(Value::from));
    put("page_size", raw.page_size.map(Value::from));
    put("connection", raw.connection.clone().map(Value::from));
    put("partition", raw.partition.map(Value::from));
    Value::Object(m)
}

fn from_json(map: &Map<String, Value>) -> Result<proto::ReportTicket, TicketError> {
    let mut t = proto::ReportTicket::default();
    for (key, v) in map {
        match key.as_str() {
            "report" => t.report = json_string(key, v)?,
            "account" => t.account = Some(json_string(key, v)?),
            "page" => t.page = Some(json_string(key, v)?),
            "fields" => t.fields = json_strings(key, v)?,
            "metrics" => t.metrics = json_strings(key, v)?,
            "period" => t.period = Some(json_string(key, v)?),
            "media_type" => t.media_type = Some(json_string(key, v)?),
            "media_items" => t.media_items = Some(json_string(key, v)?),
            "media_id" => t.media_id = Some(json_string(key, v)?),
            "date_from" => t.date_from = Some(json_string(key, v)?),
            "date_to" => t.date_to = Some(json_string(key, v)?),
            "date_from_offset" => t.date_from_offset = Some(json_int(key, v)?),
            "date_to_offset" => t.date_to_offset = Some(json_int(key, v)?),
            "hashtag" => t.hashtag = Some(json_string(key, v)?),
            "username" => t.username = Some(json_string(key, v)?),
            "connection" => t.connection = Some(json_string(key, v)?),
            "include_replies" => {
                t.include_replies = Some(v.as_bool().ok_or_else(|| {
                    invalid(
                        key,
                        format!("key `{key}` must be a boolean (true or false), got {v}"),
                    )
                })?)
            }
            "limit" => t.limit = Some(json_int(key, v)?),
            "page_size" => t.page_size = Some(json_int(key, v)?),
            "partition" => {
                let p = json_int(key, v)?;
                t.partition = Some(
                    u32::try_from(p).map_err(|_| invalid(key, "key `partition` must be ≥ 0"))?,
                );
            }
            other => {
                return Err(invalid(
                    other,
                    format!(
                        "unknown key `{other}`; accepted keys: {}",
                        KEYS[..19].join(", ")
                    ),
                ));
            }
        }
    }
    if t.report.is_empty() {
        return Err(invalid(
            "report",
            format!("missing key `report`; accepted: {}", ReportKind::names()),
        ));
    }
    Ok(t)
}

fn json_string(key: &str, v: &Value) -> Result<String, TicketError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if key.ends_with("_id") || key == "account" || key == "page" => {
            Ok(n.to_string())
        }
        _ => Err(invalid(
            key,
            format!("key `{key}` must be a string, got {v}"),
        )),
    }
}

fn json_strings(key: &str, v: &Value) -> Result<Vec<String>, TicketError> {
    match v {
        Value::String(s) => Ok(s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    invalid(
                        key,
                        format!("key `{key}` must be a list of strings, got an item {i}"),
                    )
                })
            })
            .collect(),
        _ => Err(invalid(
            key,
            format!("key `{key}` must be a list of strings, got {v}"),
        )),
    }
}

fn json_int(key: &str, v: &Value) -> Result<i64, TicketError> {
    v.as_i64()
        .ok_or_else(|| invalid(key, format!("key `{key}` must be an integer, got {v}")))
}

fn set_keys(t: &proto::ReportTicket) -> Vec<&'static str> {
    let mut k = Vec::new();
    let mut add = |name: &'static str, set: bool| {
        if set {
            k.push(name);
        }
    };
    add("account", t.account.is_some());
    add("page", t.page.is_some());
    add("fields", !t.fields.is_empty());
    add("metrics", !t.metrics.is_empty());
    add("period", t.period.is_some());
    add("media_type", t.media_type.is_some());
    add("media_items", t.media_items.is_some());
    add("media_id", t.media_id.is_some());
    add("date_from", t.date_from.is_some());
    add("date_to", t.date_to.is_some());
    add("date_from_offset", t.date_from_offset.is_some());
    add("date_to_offset", t.date_to_offset.is_some());
    add("hashtag", t.hashtag.is_some());
    add("username", t.username.is_some());
    add("include_replies", t.include_replies.is_some());
    add("limit", t.limit.is_some());
    add("page_size", t.page_size.is_some());
    k
}

fn parse_date(key: &str, s: &str) -> Result<NaiveDate, TicketError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        invalid(
            key,
            format!("key `{key}` must be a date YYYY-MM-DD, got `{s}`"),
        )
    })
}

fn offset(key: &str, v: i64) -> Result<i64, TicketError> {
    if v < 0 {
        return Err(invalid(
            key,
            format!("key `{key}` must be a number of days ≥ 0, got {v}"),
        ));
    }
    if v > 36_500 {
        return Err(invalid(
            key,
            format!("key `{key}` must be at most 36500 days, got {v}"),
        ));
    }
    Ok(v)
}

/// Validate a raw ticket. Everything a user can get wrong is refused here, before any Graph call.
pub fn validate(t: proto::ReportTicket, today: NaiveDate) -> Result<ReportRequest, TicketError> {
    let report = ReportKind::from_name(&t.report).ok_or_else(|| {
        invalid(
            "report",
            format!(
                "unknown report `{}`; accepted: {}",
                t.report,
                ReportKind::names()
            ),
        )
    })?;
    for key in set_keys(&t) {
        if !report.accepted().contains(&key) {
            return Err(invalid(
                key,
                format!(
                    "key `{key}` does not apply to report `{report}`; it accepts: {}",
                    report.accepted().join(", ")
                ),
            ));
        }
    }
    let account = match (&t.account, &t.page) {
        (Some(_), Some(_)) => {
            return Err(invalid("page", "give either `account` or `page`, not both"));
        }
        (Some(a), None) if a.trim().is_empty() => {
            return Err(invalid("account", "key `account` is empty"));
        }
        (Some(a), None) => AccountRef::Account(a.trim().to_string()),
        (None, Some(p)) if p.trim().is_empty() => {
            return Err(invalid("page", "key `page` is empty"));
        }
        (None, Some(p)) => AccountRef::Page(p.trim().to_string()),
        (None, None) => AccountRef::Default,
    };

    let schema = report_schema(report);
    let fields = if t.fields.is_empty() {
        None
    } else {
        let mut out: Vec<String> = Vec::new();
        for f in &t.fields {
            if schema.field_with_name(f).is_err() {
                let cols: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(invalid(
                    "fields",
                    format!(
                        "unknown field `{f}` for report `{report}`; accepted: {}",
                        cols.join(", ")
                    ),
                ));
            }
            if !out.contains(f) {
                out.push(f.clone());
            }
        }
        Some(out)
    };

    for key in report.required() {
        let missing = match *key {
            "hashtag" => t
                .hashtag
                .as_deref()
                .is_none_or(|h| h.trim_start_matches('#').trim().is_empty()),
            "media_id" => t.media_id.as_deref().is_none_or(|m| m.trim().is_empty()),
            "username" => t.username.as_deref().is_none_or(|u| u.trim().is_empty()),
            _ => false,
        };
        if missing {
            return Err(invalid(
                key,
                format!("report `{report}` requires key `{key}`"),
            ));
        }
    }

    let limit = match t.limit {
        None => None,
        Some(l) if l > 0 => Some(l as u64),
        Some(l) => {
            return Err(invalid(
                "limit",
                format!("key `limit` must be an integer > 0, got {l}"),
            ));
        }
    };
    let page_size = match t.page_size {
        None => None,
        Some(p) if p > 0 => Some(p.min(10_000) as u32),
        Some(p) => {
            return Err(invalid(
                "page_size",
                format!("key `page_size` must be an integer > 0, got {p}"),
            ));
        }
    };

    let media_type = match t
        .media_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("all") => None,
        Some(m) => {
            let kinds = match report {
                ReportKind::UserMedia => &MediaKind::ALL[..4],
                _ => &MediaKind::ALL[..],
            };
            let accepted: Vec<&str> = std::iter::once("all")
                .chain(kinds.iter().map(|k| k.name()))
                .collect();
            let kind = kinds
                .iter()
                .copied()
                .find(|k| k.name() == m)
                .ok_or_else(|| {
                    let hint = if m == "story" {
                        " (stories are in report `user_stories`)"
                    } else {
                        ""
                    };
                    invalid(
                        "media_type",
                        format!(
                            "unknown media_type `{m}`{hint}; accepted: {}",
                            accepted.join(", ")
                        ),
                    )
                })?;
            Some(kind)
        }
    };

    let media_id = t.media_id.as_ref().map(|m| m.trim().to_string());
    let media_items =
        match t.media_items.as_deref() {
            None | Some("all") => MediaItems::All,
            Some("range") => MediaItems::Range,
            Some("single") => MediaItems::Single(media_id.clone().ok_or_else(|| {
                invalid("media_id", "`media_items: single` needs key `media_id`")
            })?),
            Some(other) => {
                return Err(invalid(
                    "media_items",
                    format!("unknown media_items `{other}`; accepted: all, range, single"),
                ));
            }
        };
    if media_id.is_some()
        && report != ReportKind::MediaComments
        && !matches!(media_items, MediaItems::Single(_))
    {
        return Err(invalid(
            "media_id",
            "key `media_id` needs `media_items: single`",
        ));
    }

    // Dates: specific dates or day offsets, per bound.
    if t.date_from.is_some() && t.date_from_offset.is_some() {
        return Err(invalid(
            "date_from_offset",
            "give either `date_from` or `date_from_offset`, not both",
        ));
    }
    if t.date_to.is_some() && t.date_to_offset.is_some() {
        return Err(invalid(
            "date_to_offset",
            "give either `date_to` or `date_to_offset`, not both",
        ));
    }
    let from = match (&t.date_from, t.date_from_offset) {
        (Some(d), _) => Some(parse_date("date_from", d)?),
        (None, Some(o)) => Some(today - Duration::days(offset("date_from_offset", o)?)),
        _ => None,
    };
    let to = match (&t.date_to, t.date_to_offset) {
        (Some(d), _) => Some(parse_date("date_to", d)?),
        (None, Some(o)) => Some(today - Duration::days(offset("date_to_offset", o)?)),
        _ => None,
    };
    let mut dates = match (from, to) {
        (None, None) => None,
        (Some(f), None) => Some(DateRange { from: f, to: today }),
        (None, Some(t)) => Some(DateRange {
            from: t - Duration::days(29),
            to: t,
        }),
        (Some(f), Some(t)) => Some(DateRange { from: f, to: t }),
    };
    if let Some(r) = dates
        && r.from > r.to
    {
        let key = if t.date_from.is_some() {
            "date_from"
        } else {
            "date_from_offset"
        };
        return Err(invalid(
            key,
            format!("`date_from` ({}) is after `date_to` ({})", r.from, r.to),
        ));
    }
    if media_items == MediaItems::Range && dates.is_none() {
        return Err(invalid(
            "media_items",
            "`media_items: range` needs a date range (date_from/date_to or offsets)",
        ));
    }

    // Periods and metrics.
    let period = match t.period.as_deref() {
        None => None,
        Some(p) => Some(Period::from_name(p).ok_or_else(|| {
            invalid(
                "period",
                format!("unknown period `{p}`; accepted: day, week, days_28, lifetime"),
            )
        })?),
    };
    let (period, metrics) = match report {
        ReportKind::UserInsights => {
            let period = period.unwrap_or(Period::Day);
            let valid = user_metrics(period);
            let metrics: Vec<String> = if t.metrics.is_empty() {
                valid.iter().map(|m| m.to_string()).collect()
            } else {
                let mut all: Vec<&str> = Vec::new();
                for p in Period::ALL {
                    for m in user_metrics(p) {
                        if !all.contains(m) {
                            all.push(m);
                        }
                    }
                }
                for m in &t.metrics {
                    if !all.contains(&m.as_str()) {
                        return Err(invalid(
                            "metrics",
                            format!("unknown metric `{m}`; accepted: {}", all.join(", ")),
                        ));
                    }
                    if !valid.contains(&m.as_str()) {
                        return Err(invalid(
                            "metrics",
                            format!(
                                "metric `{m}` does not fit period `{period}`; metrics of period {period}: {}",
                                valid.join(", ")
                            ),
                        ));
                    }
                }
                dedup(&t.metrics)
            };
            if dates.is_none() {
                // Default: the last 30 days ending yesterday.
                dates = Some(DateRange {
                    from: today - Duration::days(30),
                    to: today - Duration::days(1),
                });
            }
            // The Graph API refuses follower_count before the last 30 days: refuse it here, without a call.
            if let Some(r) = dates
                && metrics.iter().any(|m| m == "follower_count")
                && r.from < today - Duration::days(30)
            {
                return Err(invalid(
                    "metrics",
                    format!(
                        "metric `follower_count` only has data for the last 30 days (from {}); \
                         narrow the date range or leave follower_count out of `metrics`",
                        today - Duration::days(30)
                    ),
                ));
            }
            (period, metrics)
        }
        ReportKind::MediaInsights => {
            if let Some(p) = period
                && p != Period::Lifetime
            {
                return Err(invalid(
                    "period",
                    format!("period `{p}` does not apply to media insights; accepted: lifetime"),
                ));
            }
            let metrics = if t.metrics.is_empty() {
                media_type
                    .map(|k| media_metrics(k).iter().map(|m| m.to_string()).collect())
                    .unwrap_or_default()
            } else {
                let all = all_media_metrics();
                for m in &t.metrics {
                    if !all.contains(&m.as_str()) {
                        return Err(invalid(
                            "metrics",
                            format!("unknown metric `{m}`; accepted: {}", all.join(", ")),
                        ));
                    }
                    if let Some(k) = media_type
                        && !media_metrics(k).contains(&m.as_str())
                    {
                        return Err(invalid(
                            "metrics",
                            format!(
                                "metric `{m}` does not fit media type `{}`; metrics of {}: {}",
                                k.name(),
                                k.name(),
                                media_metrics(k).join(", ")
                            ),
                        ));
                    }
                }
                dedup(&t.metrics)
            };
            (Period::Lifetime, metrics)
        }
        _ => (Period::Day, Vec::new()),
    };

    let hashtag = t
        .hashtag
        .as_ref()
        .map(|h| h.trim().trim_start_matches('#').trim().to_lowercase());
    if let Some(h) = &hashtag
        && !h.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(invalid(
            "hashtag",
            format!("hashtag `{h}` may only hold letters, digits and `_`"),
        ));
    }
    let username = t
        .username
        .as_ref()
        .map(|u| u.trim().trim_start_matches('@').to_string());
    if let Some(u) = &username
        && !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(invalid(
            "username",
            format!("username `{u}` may only hold letters, digits, `_` and `.`"),
        ));
    }

    let connection = t
        .connection
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if let Some(c) = &connection
        && !(c.len() <= 64
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')))
    {
        return Err(invalid(
            "connection",
            format!(
                "connection `{c}` is not a connection name; accepted: 1 to 64 letters, digits, `-`, `_` or `.` (the `connections` of the `accounts` action)"
            ),
        ));
    }

    Ok(ReportRequest {
        report,
        account,
        fields,
        metrics,
        period,
        media_type,
        media_items,
        dates,
        hashtag,
        username,
        media_id,
        include_replies: t.include_replies.unwrap_or(true),
        limit,
        page_size,
        partition: t.partition.unwrap_or(0),
        connection,
        raw: t,
    })
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in v {
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
