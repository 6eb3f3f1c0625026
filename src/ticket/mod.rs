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

mod insights;
mod params;

pub use params::{
    DateRange, Keys, MediaFilter, MediaInsightsParams, MediaItems, ReportParams, UserInsightsParams,
};

use arrow_flight::sql::Any;
use chrono::{Days, NaiveDate};
use prost::Message;
use serde_json::{Map, Value};

use crate::graph::NodeId;

use crate::reports::catalog::{GraphVersion, MediaKind, MetricType, Period, ReportKind, Timeframe};
use crate::reports::schema::report_schema;

/// Generated protobuf types of `proto/igflight/v1/ticket.proto`.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/igflight.v1.rs"));
}

/// `type_url` of the canonical encoding.
pub const TYPE_URL: &str = "type.googleapis.com/igflight.v1.ReportTicket";

/// Every ticket key (CONTRACT §3) in protobuf field order: `report`, then the keys of the one key table
/// ([`key_values`]) that also gives `to_json` and the keys-apply-to-the-report check.
pub fn keys() -> impl Iterator<Item = &'static str> {
    std::iter::once("report").chain(
        key_values(&proto::ReportTicket::default())
            .into_iter()
            .map(|(k, _)| k),
    )
}

/// Largest ticket or command accepted, in bytes (checked before decoding).
pub const MAX_TICKET_BYTES: usize = 64 * 1024;

/// Most items a `fields` or `metrics` list may hold.
pub const MAX_LIST_ITEMS: usize = 200;

/// Earliest date a ticket may name (CONTRACT §3).
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2010, 1, 1) {
    Some(d) => d,
    None => panic!("2010-01-01 is a date"),
};

/// How far after today a ticket's dates may reach, in days (CONTRACT §3: a year).
pub const MAX_DAYS_AHEAD: u64 = 365;

/// Longest page name, hashtag and username accepted (Facebook page names are at most 75 characters,
/// Instagram usernames 30, hashtags 100).
const MAX_PAGE_NAME_CHARS: usize = 256;
const MAX_HASHTAG_CHARS: usize = 100;
const MAX_USERNAME_CHARS: usize = 30;

/// A refused ticket. The message names the key and lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// The bytes are neither JSON nor protobuf.
    #[error("the ticket is neither a JSON object nor an igflight protobuf ticket ({0})")]
    Undecodable(String),
    /// The ticket is larger than [`MAX_TICKET_BYTES`] (refused before decoding).
    #[error("the ticket is {bytes} bytes; a ticket may hold at most {MAX_TICKET_BYTES} bytes")]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// A key is wrong: unknown, wrong type, out of range, or inconsistent with another key.
    #[error("{message}")]
    Invalid {
        /// The key at fault (`report` for an unknown report).
        key: String,
        /// What was wrong and what is accepted.
        message: String,
    },
}

pub(crate) fn invalid(key: &str, message: impl Into<String>) -> TicketError {
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
    Account(NodeId),
    /// A Facebook page id or exact name.
    Page(String),
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
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Rows per Graph page requested.
    pub page_size: Option<u32>,
    /// Part of a multi-endpoint plan (0 = whole report).
    pub partition: u32,
    /// The served connection to run on (`None`: the client's default).
    pub connection: Option<String>,
    /// How old a cached Graph answer may be for this request (`Some(0)`: fresh data only); `None`:
    /// each answer's own freshness.
    pub max_age: Option<std::time::Duration>,
    /// What the report takes besides these keys, typed per report.
    pub params: ReportParams,
    /// The raw ticket this was validated from (for re-encoding).
    pub raw: proto::ReportTicket,
}

/// Decode ticket bytes (JSON or protobuf) into the raw ticket, without validating it.
pub fn decode_raw(bytes: &[u8]) -> Result<proto::ReportTicket, TicketError> {
    if bytes.len() > MAX_TICKET_BYTES {
        return Err(TicketError::TooLarge { bytes: bytes.len() });
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return from_json(bytes);
    }
    if first == Some(&b'[') {
        return Err(TicketError::Undecodable(
            "JSON ticket must be an object".into(),
        ));
    }
    if let Ok(any) = Any::decode(bytes)
        && any.type_url == TYPE_URL
    {
        return proto::ReportTicket::decode(any.value)
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

/// Decode and validate ticket bytes. `today` is the UTC date offsets count from; `version` is the Graph
/// API version that answers, whose catalog the insights keys are checked against.
pub fn decode(
    bytes: &[u8],
    today: NaiveDate,
    version: GraphVersion,
) -> Result<ReportRequest, TicketError> {
    validate(decode_raw(bytes)?, today, version)
}

/// Encode a raw ticket in the canonical form (protobuf `Any`).
pub fn encode(raw: &proto::ReportTicket) -> Vec<u8> {
    Any {
        type_url: TYPE_URL.to_string(),
        value: raw.encode_to_vec().into(),
    }
    .encode_to_vec()
}

/// The JSON form of a raw ticket (only the keys that are set).
pub fn to_json(raw: &proto::ReportTicket) -> Value {
    let mut m = Map::new();
    m.insert("report".into(), raw.report.clone().into());
    for (key, value) in key_values(raw) {
        if let Some(v) = value {
            m.insert(key.into(), v);
        }
    }
    Value::Object(m)
}

/// Every key but `report` with its value in a raw ticket (`None`: not set), in protobuf field order: the one
/// table [`to_json`] and the keys-apply-to-the-report check read.
fn key_values(t: &proto::ReportTicket) -> [(&'static str, Option<Value>); 23] {
    let text = |v: &Option<String>| v.clone().map(Value::from);
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone().into());
    [
        ("account", text(&t.account)),
        ("page", text(&t.page)),
        ("fields", list(&t.fields)),
        ("metrics", list(&t.metrics)),
        ("period", text(&t.period)),
        ("media_type", text(&t.media_type)),
        ("media_items", text(&t.media_items)),
        ("media_id", text(&t.media_id)),
        ("date_from", text(&t.date_from)),
        ("date_to", text(&t.date_to)),
        ("date_from_offset", t.date_from_offset.map(Value::from)),
        ("date_to_offset", t.date_to_offset.map(Value::from)),
        ("hashtag", text(&t.hashtag)),
        ("username", text(&t.username)),
        ("include_replies", t.include_replies.map(Value::from)),
        ("limit", t.limit.map(Value::from)),
        ("page_size", t.page_size.map(Value::from)),
        ("partition", t.partition.map(Value::from)),
        ("connection", text(&t.connection)),
        ("breakdown", text(&t.breakdown)),
        ("metric_type", text(&t.metric_type)),
        ("timeframe", text(&t.timeframe)),
        ("max_age", t.max_age.map(Value::from)),
    ]
}

/// The JSON form of a ticket, read straight into typed fields: an unknown key, a wrong type or a
/// repeated key stops decoding at that key (no generic JSON value of the whole ticket is built).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTicket {
    report: Option<JsonText>,
    account: Option<JsonId>,
    page: Option<JsonId>,
    fields: Option<JsonList>,
    metrics: Option<JsonList>,
    period: Option<JsonText>,
    media_type: Option<JsonText>,
    media_items: Option<JsonText>,
    media_id: Option<JsonId>,
    date_from: Option<JsonText>,
    date_to: Option<JsonText>,
    date_from_offset: Option<i64>,
    date_to_offset: Option<i64>,
    hashtag: Option<JsonText>,
    username: Option<JsonText>,
    include_replies: Option<bool>,
    limit: Option<i64>,
    page_size: Option<i64>,
    connection: Option<JsonText>,
    partition: Option<u32>,
    breakdown: Option<JsonText>,
    metric_type: Option<JsonText>,
    timeframe: Option<JsonText>,
    max_age: Option<i64>,
}

/// A JSON string.
struct JsonText(String);
/// A JSON string, or an integer written as one (ids).
struct JsonId(String);
/// A list of strings, or one comma-separated string.
struct JsonList(Vec<String>);

impl<'de> serde::Deserialize<'de> for JsonText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(JsonText)
    }
}

impl<'de> serde::Deserialize<'de> for JsonId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = JsonId;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string (or an id written as an integer)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<JsonId, E> {
                Ok(JsonId(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<JsonId, E> {
                Ok(JsonId(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> serde::Deserialize<'de> for JsonList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(
                    f,
                    "a list of strings (or one comma-separated string) of at most {MAX_LIST_ITEMS} items"
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<JsonList, E> {
                Ok(JsonList(
                    v.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect(),
                ))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<JsonList, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    if out.len() == MAX_LIST_ITEMS {
                        return Err(serde::de::Error::invalid_length(out.len() + 1, &self));
                    }
                    out.push(item);
                }
                Ok(JsonList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Rewrite serde's wording (`invalid type: string "ten", expected i64`) into the ticket's
/// (`key `limit` must be an integer, got string "ten"`).
fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> TicketError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return TicketError::Undecodable(format!("invalid JSON: {inner}"));
    }
    let text = inner.to_string();
    // serde_json appends " at line L column C"
    let text = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(head, _)| head)
        .to_string();
    if let Some(rest) = text.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default();
        return invalid(
            key,
            format!(
                "unknown key `{}`; accepted keys: {}",
                crate::telemetry::bounded(key, 64),
                keys().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    if let Some(rest) = text.strip_prefix("duplicate field `") {
        let key = rest.split('`').next().unwrap_or_default();
        return invalid(key, format!("key `{key}` is given twice"));
    }
    if path == "." {
        return TicketError::Undecodable(text);
    }
    let key = path
        .split(['.', '['])
        .next()
        .unwrap_or_default()
        .to_string();
    let expected = match key.as_str() {
        "date_from_offset" | "date_to_offset" | "limit" | "page_size" | "max_age" => {
            "an integer".to_string()
        }
        "partition" => "an integer ≥ 0".to_string(),
        "include_replies" => "a boolean (true or false)".to_string(),
        "fields" | "metrics" => format!(
            "a list of strings (or one comma-separated string) of at most {MAX_LIST_ITEMS} items"
        ),
        "account" | "page" | "media_id" => "a string (or an id written as an integer)".to_string(),
        _ => "a string".to_string(),
    };
    let got = text
        .strip_prefix("invalid type: ")
        .or_else(|| text.strip_prefix("invalid value: "))
        .and_then(|t| t.split(", expected").next())
        .map(|g| format!(", got {}", crate::telemetry::bounded(g, 80)))
        .unwrap_or_else(|| format!(" ({})", crate::telemetry::bounded(&text, 200)));
    invalid(&key, format!("key `{key}` must be {expected}{got}"))
}

fn from_json(bytes: &[u8]) -> Result<proto::ReportTicket, TicketError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let j: JsonTicket = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end()
        .map_err(|e| TicketError::Undecodable(format!("invalid JSON: {e}")))?;
    let text = |v: Option<JsonText>| v.map(|t| t.0);
    let id = |v: Option<JsonId>| v.map(|t| t.0);
    let list = |v: Option<JsonList>| v.map(|t| t.0).unwrap_or_default();
    let t = proto::ReportTicket {
        report: text(j.report).unwrap_or_default(),
        account: id(j.account),
        page: id(j.page),
        fields: list(j.fields),
        metrics: list(j.metrics),
        period: text(j.period),
        media_type: text(j.media_type),
        media_items: text(j.media_items),
        media_id: id(j.media_id),
        date_from: text(j.date_from),
        date_to: text(j.date_to),
        date_from_offset: j.date_from_offset,
        date_to_offset: j.date_to_offset,
        hashtag: text(j.hashtag),
        username: text(j.username),
        include_replies: j.include_replies,
        limit: j.limit,
        page_size: j.page_size,
        partition: j.partition,
        connection: text(j.connection),
        breakdown: text(j.breakdown),
        metric_type: text(j.metric_type),
        timeframe: text(j.timeframe),
        max_age: j.max_age,
    };
    if t.report.is_empty() {
        return Err(invalid(
            "report",
            format!("missing key `report`; accepted: {}", ReportKind::names()),
        ));
    }
    Ok(t)
}

/// The keys set in a ticket that a report may refuse (`connection` and `partition` apply to every report).
fn set_keys(t: &proto::ReportTicket) -> Vec<&'static str> {
    key_values(t)
        .into_iter()
        .filter(|(k, v)| v.is_some() && !matches!(*k, "connection" | "partition" | "max_age"))
        .map(|(k, _)| k)
        .collect()
}

/// The latest date a ticket may name: a year from today.
pub fn max_date(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_days(Days::new(MAX_DAYS_AHEAD))
        .unwrap_or(NaiveDate::MAX)
}

/// A date inside the accepted window (2010-01-01 to a year from today), or a refusal naming `key`.
fn in_window(key: &str, d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, TicketError> {
    if d < MIN_DATE || d > max_date(today) {
        return Err(invalid(
            key,
            format!(
                "key `{key}` is {d}; dates must lie between {MIN_DATE} and {} (a year from today)",
                max_date(today)
            ),
        ));
    }
    Ok(d)
}

fn parse_date(key: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, TicketError> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        invalid(
            key,
            format!(
                "key `{key}` must be a date YYYY-MM-DD, got `{}`",
                crate::telemetry::bounded(s, 40)
            ),
        )
    })?;
    in_window(key, d, today)
}

/// `today` minus `v` days, for a day offset.
fn offset(key: &str, v: i64, today: NaiveDate) -> Result<NaiveDate, TicketError> {
    let days = u64::try_from(v).map_err(|_| {
        invalid(
            key,
            format!("key `{key}` must be a number of days ≥ 0, got {v}"),
        )
    })?;
    let earliest = (today - MIN_DATE).num_days();
    today
        .checked_sub_days(Days::new(days))
        .filter(|d| *d >= MIN_DATE)
        .ok_or_else(|| {
            invalid(
                key,
                format!(
                    "key `{key}` is {v} days; dates must lie between {MIN_DATE} and a year from today, so at most {earliest} days"
                ),
            )
        })
}

/// An id key: digits only, refused (naming the key) before it can become part of a request path.
fn node_id(key: &str, v: &str) -> Result<NodeId, TicketError> {
    NodeId::parse(v).ok_or_else(|| {
        invalid(
            key,
            format!(
                "key `{key}` must be a numeric Graph id (1 to {} digits), got `{}`",
                crate::graph::MAX_ID_DIGITS,
                crate::telemetry::bounded(v, 40)
            ),
        )
    })
}

/// A name key (`page`, `hashtag`, `username`): at most `max` characters, no control characters.
fn name_len(key: &str, v: &str, max: usize) -> Result<(), TicketError> {
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(
            key,
            format!(
                "key `{key}` must be at most {max} characters without control characters, got `{}`",
                crate::telemetry::bounded(v, 40)
            ),
        ));
    }
    Ok(())
}

/// Validate a raw ticket. Everything a user can get wrong is refused here, before any Graph call; each
/// part (report and keys, account, fields, required keys, limits, media, dates, insights, names,
/// connection) is its own function. Insights metrics, breakdowns and timeframes are checked against the
/// catalog of `version`, the Graph API version that answers ([`crate::plan::ReportContext::api_version`]).
pub fn validate(
    t: proto::ReportTicket,
    today: NaiveDate,
    version: GraphVersion,
) -> Result<ReportRequest, TicketError> {
    let report = report_of(&t)?;
    check_keys(report, &t)?;
    let account = account_of(&t)?;
    let fields = fields_of(report, &t)?;
    check_required(report, &t)?;
    let (limit, page_size) = limits_of(&t)?;
    let media_type = media_type_of(report, &t)?;
    let dates = dates_of(&t, today)?;
    let (media_id, media_items) = media_of(report, &t, dates)?;
    let period = period_of(&t)?;
    let (breakdown, metric_type) = (breakdown_of(&t)?, metric_type_of(&t)?);
    let timeframe = timeframe_of(&t)?;
    let (hashtag, username) = names_of(&t)?;
    let connection = connection_of(&t)?;
    let max_age = max_age_of(&t)?;
    let params = (report.spec().params)(&Keys {
        t: &t,
        today,
        media_type,
        media_id,
        media_items,
        dates,
        period,
        breakdown,
        metric_type,
        timeframe,
        version,
        hashtag,
        username,
    })?;
    Ok(ReportRequest {
        report,
        account,
        fields,
        limit,
        page_size,
        partition: t.partition.unwrap_or(0),
        connection,
        max_age,
        params,
        raw: t,
    })
}

/// The report a ticket names.
fn report_of(t: &proto::ReportTicket) -> Result<ReportKind, TicketError> {
    let report = ReportKind::from_name(&t.report).ok_or_else(|| {
        invalid(
            "report",
            format!(
                "unknown report `{}`; accepted: {}",
                crate::telemetry::bounded(&t.report, 64),
                ReportKind::names()
            ),
        )
    })?;
    Ok(report)
}

/// Lists are bounded and every key set applies to the report.
fn check_keys(report: ReportKind, t: &proto::ReportTicket) -> Result<(), TicketError> {
    for (key, list) in [("fields", &t.fields), ("metrics", &t.metrics)] {
        if list.len() > MAX_LIST_ITEMS {
            return Err(invalid(
                key,
                format!(
                    "key `{key}` holds {} items; at most {MAX_LIST_ITEMS}",
                    list.len()
                ),
            ));
        }
    }
    for key in set_keys(t) {
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
    Ok(())
}

/// `account` (a numeric id) or `page` (an id or exact name, matched against the listing), or neither.
fn account_of(t: &proto::ReportTicket) -> Result<AccountRef, TicketError> {
    let account = match (&t.account, &t.page) {
        (Some(_), Some(_)) => {
            return Err(invalid("page", "give either `account` or `page`, not both"));
        }
        (Some(a), None) if a.trim().is_empty() => {
            return Err(invalid("account", "key `account` is empty"));
        }
        (Some(a), None) => AccountRef::Account(node_id("account", a)?),
        (None, Some(p)) if p.trim().is_empty() => {
            return Err(invalid("page", "key `page` is empty"));
        }
        (None, Some(p)) => {
            name_len("page", p.trim(), MAX_PAGE_NAME_CHARS)?;
            AccountRef::Page(p.trim().to_string())
        }
        (None, None) => AccountRef::Default,
    };

    Ok(account)
}

/// `fields`: columns of the report, in the order given, without repeats.
fn fields_of(
    report: ReportKind,
    t: &proto::ReportTicket,
) -> Result<Option<Vec<String>>, TicketError> {
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
                        "unknown field `{}` for report `{report}`; accepted: {}",
                        crate::telemetry::bounded(f, 64),
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

    Ok(fields)
}

/// The report's required keys are present and not empty.
fn check_required(report: ReportKind, t: &proto::ReportTicket) -> Result<(), TicketError> {
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

    Ok(())
}

/// `limit` and `page_size` (> 0; the page size capped at 10,000).
fn limits_of(t: &proto::ReportTicket) -> Result<(Option<u64>, Option<u32>), TicketError> {
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

    Ok((limit, page_size))
}

/// `max_age` (seconds ≥ 0; anything past a year means the same as a year).
fn max_age_of(t: &proto::ReportTicket) -> Result<Option<std::time::Duration>, TicketError> {
    match t.max_age {
        None => Ok(None),
        Some(s) if s >= 0 => Ok(Some(std::time::Duration::from_secs(
            (s as u64).min(365 * 86_400),
        ))),
        Some(s) => Err(invalid(
            "max_age",
            format!(
                "key `max_age` must be an integer ≥ 0 (seconds; 0 asks for fresh data), got {s}"
            ),
        )),
    }
}

/// `media_type` among the kinds the report has.
fn media_type_of(
    report: ReportKind,
    t: &proto::ReportTicket,
) -> Result<Option<MediaKind>, TicketError> {
    let media_type = match t
        .media_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("all") => None,
        Some(m) => {
            let kinds = report.spec().media_kinds;
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
                            "unknown media_type `{}`{hint}; accepted: {}",
                            short(m),
                            accepted.join(", ")
                        ),
                    )
                })?;
            Some(kind)
        }
    };

    Ok(media_type)
}

/// `media_id` (a numeric id, parsed once) and `media_items`, with the id for `single` and the date range for `range`.
fn media_of(
    report: ReportKind,
    t: &proto::ReportTicket,
    dates: Option<DateRange>,
) -> Result<(Option<NodeId>, MediaItems), TicketError> {
    let media_id = t
        .media_id
        .as_deref()
        .map(|m| node_id("media_id", m))
        .transpose()?;
    let media_items =
        match t.media_items.as_deref() {
            None | Some("all") => MediaItems::All,
            Some("range") => MediaItems::Range(dates.ok_or_else(|| {
                invalid(
                    "media_items",
                    "`media_items: range` needs a date range (date_from/date_to or offsets)",
                )
            })?),
            Some("single") => MediaItems::Single(media_id.clone().ok_or_else(|| {
                invalid("media_id", "`media_items: single` needs key `media_id`")
            })?),
            Some(other) => {
                return Err(invalid(
                    "media_items",
                    format!(
                        "unknown media_items `{}`; accepted: all, range, single",
                        short(other)
                    ),
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

    Ok((media_id, media_items))
}

/// The date range from dates or day offsets (per bound), inside the accepted window.
fn dates_of(t: &proto::ReportTicket, today: NaiveDate) -> Result<Option<DateRange>, TicketError> {
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
        (Some(d), _) => Some(parse_date("date_from", d, today)?),
        (None, Some(o)) => Some(offset("date_from_offset", o, today)?),
        _ => None,
    };
    let to = match (&t.date_to, t.date_to_offset) {
        (Some(d), _) => Some(parse_date("date_to", d, today)?),
        (None, Some(o)) => Some(offset("date_to_offset", o, today)?),
        _ => None,
    };
    let dates = match (from, to) {
        (None, None) => None,
        (Some(f), None) => Some(DateRange {
            from: f,
            to: today.max(f),
        }),
        (None, Some(t)) => Some(DateRange {
            from: t
                .checked_sub_days(Days::new(29))
                .map_or(MIN_DATE, |d| d.max(MIN_DATE)),
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

    Ok(dates)
}

/// `period`, when given.
fn period_of(t: &proto::ReportTicket) -> Result<Option<Period>, TicketError> {
    // Periods and metrics.
    let period = match t.period.as_deref() {
        None => None,
        Some(p) => Some(Period::from_name(p).ok_or_else(|| {
            invalid(
                "period",
                format!(
                    "unknown period `{}`; accepted: day, week, days_28, lifetime",
                    short(p)
                ),
            )
        })?),
    };
    Ok(period)
}

/// `breakdown` (keys separated by `,`, lowercase, each once), when given: its form only; what the
/// version's catalog takes is checked with the metrics.
fn breakdown_of(t: &proto::ReportTicket) -> Result<Option<String>, TicketError> {
    let Some(b) = t.breakdown.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let keys: Vec<String> = b
        .split(',')
        .map(|k| k.trim().to_ascii_lowercase())
        .collect();
    let well_formed = keys.iter().all(|k| {
        !k.is_empty() && k.len() <= 64 && k.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
    });
    if !well_formed || keys.len() > 4 {
        return Err(invalid(
            "breakdown",
            format!(
                "key `breakdown` must be one to four breakdown keys separated by `,` (e.g. `age,gender`), got `{}`",
                short(b)
            ),
        ));
    }
    if let Some(k) = keys
        .iter()
        .enumerate()
        .find_map(|(i, k)| keys[..i].contains(k).then_some(k))
    {
        return Err(invalid(
            "breakdown",
            format!("breakdown key `{k}` is given twice"),
        ));
    }
    Ok(Some(keys.join(",")))
}

/// `metric_type`, when given.
fn metric_type_of(t: &proto::ReportTicket) -> Result<Option<MetricType>, TicketError> {
    t.metric_type
        .as_deref()
        .map(|m| {
            MetricType::from_name(m).ok_or_else(|| {
                invalid(
                    "metric_type",
                    format!(
                        "unknown metric_type `{}`; accepted: {}",
                        short(m),
                        MetricType::ALL.map(MetricType::name).join(", ")
                    ),
                )
            })
        })
        .transpose()
}

/// `timeframe`, when given (which demographic metrics take it is checked with the metrics).
fn timeframe_of(t: &proto::ReportTicket) -> Result<Option<Timeframe>, TicketError> {
    t.timeframe
        .as_deref()
        .map(|f| {
            Timeframe::from_name(f).ok_or_else(|| {
                invalid(
                    "timeframe",
                    format!(
                        "unknown timeframe `{}`; accepted: {}",
                        short(f),
                        Timeframe::ALL.map(Timeframe::name).join(", ")
                    ),
                )
            })
        })
        .transpose()
}

/// `hashtag` (without `#`, lowercase) and `username` (without `@`).
fn names_of(t: &proto::ReportTicket) -> Result<(Option<String>, Option<String>), TicketError> {
    let hashtag = t
        .hashtag
        .as_ref()
        .map(|h| h.trim().trim_start_matches('#').trim().to_lowercase());
    if let Some(h) = &hashtag {
        name_len("hashtag", h, MAX_HASHTAG_CHARS)?;
    }
    if let Some(h) = &hashtag
        && !h.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(invalid(
            "hashtag",
            format!(
                "hashtag `{}` may only hold letters, digits and `_`",
                short(h)
            ),
        ));
    }
    let username = t
        .username
        .as_ref()
        .map(|u| u.trim().trim_start_matches('@').to_string());
    if let Some(u) = &username {
        name_len("username", u, MAX_USERNAME_CHARS)?;
    }
    if let Some(u) = &username
        && !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(invalid(
            "username",
            format!(
                "username `{}` may only hold letters, digits, `_` and `.`",
                short(u)
            ),
        ));
    }

    Ok((hashtag, username))
}

/// `connection`: a connection name.
fn connection_of(t: &proto::ReportTicket) -> Result<Option<String>, TicketError> {
    let connection = t
        .connection
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if let Some(c) = &connection
        && crate::accounts::check_name(c).is_err()
    {
        return Err(invalid(
            "connection",
            format!(
                "connection `{}` is not a connection name; accepted: 1 to 64 letters, digits, `-`, `_` or `.` (the `connections` of the `accounts` action)",
                short(c)
            ),
        ));
    }

    Ok(connection)
}

/// A client value quoted in a refusal: its first 64 characters.
fn short(v: &str) -> std::borrow::Cow<'_, str> {
    crate::telemetry::bounded(v, 64)
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
