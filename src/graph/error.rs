//! One error type for the Graph client layer, and one classification of Graph failures.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::endpoint::EndpointKind;
use super::model::GraphErrorBody;

/// What a failure means for the caller. [`classify`] produces the first eight and `RateLimited`
/// (the Graph API's throttling codes); `RateLimited` also comes from the client itself (our budget,
/// the per-run call cap, or a throttle that would need a longer wait than allowed), and `Unavailable`
/// (retryable failures that outlasted the retry policy) only from the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Temporary: `is_transient`, codes 1, 2 and 341, HTTP 5xx and 429 (with or without a JSON
    /// body), transport failures.
    Retryable,
    /// The token is invalid or expired (190, 102): reconnect the account.
    Reauthenticate,
    /// The token lacks a permission (10, 200–299).
    Permission,
    /// The object does not exist or is unreachable (100/33, 110/2207013).
    NotFound,
    /// This one item has no data (100/2108006, 10 "Not enough viewers"): skip it, keep going.
    SkippableItem,
    /// The 30-hashtags-per-7-days budget is spent (18).
    HashtagBudget,
    /// Invalid parameter (other 100).
    InvalidRequest,
    /// Anything else.
    Fatal,
    /// The Graph API throttles the app or token (codes 4, 17, 32, 613, 80001, 80002), our call
    /// budget is spent, or the per-run call cap is reached. Never retried on the seconds-scale
    /// backoff: the client waits once for the time the usage headers give when it fits the budget's
    /// `max_wait`, otherwise the call fails at once saying when access returns.
    RateLimited,
    /// Retryable failures persisted through every allowed retry.
    Unavailable,
}

impl ErrorClass {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Retryable => "retryable",
            Self::Reauthenticate => "reauthenticate",
            Self::Permission => "permission",
            Self::NotFound => "not_found",
            Self::SkippableItem => "skippable_item",
            Self::HashtagBudget => "hashtag_budget",
            Self::InvalidRequest => "invalid_request",
            Self::Fatal => "fatal",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
        }
    }

    pub const fn is_retryable(self) -> bool {
        matches!(self, Self::Retryable)
    }

    /// What to do about it, for error messages.
    pub const fn hint(self) -> &'static str {
        match self {
            Self::Retryable => "a temporary Graph API failure",
            // the commands are named by the layers that know them (`crate::error::reconnect_commands`)
            Self::Reauthenticate => {
                "the Graph access token is invalid or expired: reconnect the account"
            }
            Self::Permission => {
                "the Graph access token lacks a permission this call needs: grant it, then reconnect the account"
            }
            Self::NotFound => {
                "the object does not exist, is not a business account, or is not reachable with this token"
            }
            Self::SkippableItem => "this item has no data to report and can be skipped",
            Self::HashtagBudget => {
                "the account has searched 30 unique hashtags in the last 7 days: retry once the oldest ages out"
            }
            Self::InvalidRequest => "the Graph API rejected a parameter of the request",
            Self::Fatal => "an unexpected Graph API error",
            Self::RateLimited => {
                "the Graph API call budget is spent or the Graph API throttles the app: retry later"
            }
            Self::Unavailable => "the Graph API stays unreachable or failing: retry later",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Graph API's throttling codes (reference §8.2): platform 4, 17, 32, 613; BUC 80001, 80002.
pub const THROTTLE_CODES: [i64; 6] = [4, 17, 32, 613, 80001, 80002];

/// The classification table (reference §7.2). Codes decide when a body is present; without a
/// recognised code, HTTP 5xx (and 429) are retryable and everything else is fatal. Throttling codes
/// are [`ErrorClass::RateLimited`] even when the body says `is_transient` (the simulator and Facebook
/// both do): retrying them seconds later only spends calls.
pub fn classify(http_status: u16, body: Option<&GraphErrorBody>) -> ErrorClass {
    let status_class = if http_status >= 500 || http_status == 429 {
        ErrorClass::Retryable
    } else {
        ErrorClass::Fatal
    };
    let Some(body) = body else {
        return status_class;
    };
    if THROTTLE_CODES.contains(&body.code) {
        return ErrorClass::RateLimited;
    }
    if body.is_transient == Some(true) {
        return ErrorClass::Retryable;
    }
    match (body.code, body.error_subcode) {
        (1 | 2 | 341, _) => ErrorClass::Retryable,
        (190 | 102, _) => ErrorClass::Reauthenticate,
        (10, _) if body.message.contains("Not enough viewers") => ErrorClass::SkippableItem,
        (10 | 200..=299, _) => ErrorClass::Permission,
        (100, Some(33)) | (110, Some(2207013)) => ErrorClass::NotFound,
        (100, Some(2108006)) => ErrorClass::SkippableItem,
        (18, _) => ErrorClass::HashtagBudget,
        (100, _) => ErrorClass::InvalidRequest,
        _ => status_class,
    }
}

/// A failed Graph call: the HTTP answer and what it means.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub class: ErrorClass,
    pub status: u16,
    /// The typed `error` object; `None` when the body was not a Graph error document.
    pub body: Option<GraphErrorBody>,
    pub endpoint: EndpointKind,
    /// The request URL with credentials redacted.
    pub url: String,
    /// How long the Graph API asked us to wait (`Retry-After`, `estimated_time_to_regain_access`),
    /// at most [`super::MAX_SERVER_WAIT`].
    pub wait_hint: Option<Duration>,
    /// The highest usage percentage the usage headers of this answer reported.
    pub usage_percent: Option<f64>,
    /// The start of a body that was not JSON.
    pub snippet: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.body {
            Some(b) => {
                write!(
                    f,
                    "Graph API error on {} (HTTP {}, code {}",
                    self.endpoint, self.status, b.code
                )?;
                if let Some(sub) = b.error_subcode {
                    write!(f, ", subcode {sub}")?;
                }
                if let Some(t) = &b.r#type {
                    write!(f, ", {t}")?;
                }
                write!(f, "): {}", b.message)?;
                if let Some(msg) = &b.error_user_msg {
                    write!(f, " ({msg})")?;
                }
                if let Some(trace) = &b.fbtrace_id {
                    write!(f, " [fbtrace_id {trace}]")?;
                }
            }
            None => {
                write!(
                    f,
                    "Graph API answered HTTP {} on {} without a Graph error document",
                    self.status, self.endpoint
                )?;
                if let Some(s) = &self.snippet {
                    write!(f, " (body starts with {s:?})")?;
                }
            }
        }
        write!(f, " — {}", self.class.hint())
    }
}

impl ApiError {
    /// Remove any occurrence of the given secrets from the texts the Graph API sent back.
    pub(crate) fn scrub(&mut self, secrets: &[&str]) {
        if let Some(b) = &mut self.body {
            scrub_in(&mut b.message, secrets);
            for s in [&mut b.error_user_msg, &mut b.error_user_title]
                .into_iter()
                .flatten()
            {
                scrub_in(s, secrets);
            }
            if let Some(data) = &b.error_data {
                let text = data.to_string();
                if secrets.iter().any(|s| !s.is_empty() && text.contains(s)) {
                    b.error_data = Some(serde_json::Value::String("(redacted)".into()));
                }
            }
        }
        if let Some(s) = &mut self.snippet {
            scrub_in(s, secrets);
        }
    }
}

/// At most this many characters of a server-supplied text are quoted in an error or a log line.
pub(crate) const MAX_QUOTED_CHARS: usize = 300;

/// At most this many characters of a Graph error's `message` are kept (the message names what a
/// version accepts: `metric[i] must be one of the following values: …` lists some 40 metrics, which
/// [`crate::graph::metric_refusal`] reads); it is quoted to [`MAX_QUOTED_CHARS`].
pub(crate) const MAX_MESSAGE_CHARS: usize = 4096;

/// `text` cut to its first [`MAX_QUOTED_CHARS`] characters (with `…` when cut).
pub(crate) fn bounded(text: &str) -> String {
    bounded_to(text, MAX_QUOTED_CHARS)
}

pub(crate) fn bounded_to(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

impl GraphErrorBody {
    /// Cut every server-supplied text to a bounded prefix (a Graph error document may be as large
    /// as the body cap; errors and log lines quote it).
    pub(crate) fn bound(&mut self) {
        if self.message.len() > MAX_MESSAGE_CHARS {
            self.message = bounded_to(&self.message, MAX_MESSAGE_CHARS);
        }
        for s in std::iter::empty().chain(
            [
                &mut self.r#type,
                &mut self.error_user_title,
                &mut self.error_user_msg,
                &mut self.fbtrace_id,
            ]
            .into_iter()
            .flatten(),
        ) {
            if s.len() > MAX_QUOTED_CHARS {
                *s = bounded(s);
            }
        }
        if self
            .error_data
            .as_ref()
            .is_some_and(|d| d.to_string().len() > MAX_QUOTED_CHARS)
        {
            self.error_data = Some(serde_json::Value::String("(too long, left out)".into()));
        }
    }
}

pub(crate) fn scrub_in(text: &mut String, secrets: &[&str]) {
    for s in secrets {
        if !s.is_empty() && text.contains(s) {
            *text = text.replace(s, "****");
        }
    }
}

/// Every failure of the Graph client layer.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GraphError {
    /// The Graph API answered with an error.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// Our own per-token call budget is spent and waiting for it is not allowed (or too long).
    #[error(
        "the Graph API call budget of {limit} calls per {} for this token is spent; it frees in {} (at {})",
        human(.window), human(.frees_in), utc(.frees_at)
    )]
    BudgetExhausted {
        frees_in: Duration,
        frees_at: DateTime<Utc>,
        limit: u32,
        window: Duration,
    },

    /// The Graph API throttles this token (usage headers at 100 % or a throttling error) for longer
    /// than the client may wait (or again after the one wait allowed).
    #[error(
        "the Graph API throttles this token ({detail}); access returns in {} (at {}), later than this request may wait",
        human(.frees_in), utc(.frees_at)
    )]
    Throttled {
        frees_in: Duration,
        frees_at: DateTime<Utc>,
        detail: String,
    },

    /// A throttling error whose headers give no time when access returns.
    #[error(
        "the Graph API throttled the app ({detail}) and did not say when access returns: retry later"
    )]
    ThrottledNoEstimate { detail: String },

    /// The per-run call cap ([`super::GraphClient::with_call_cap`]) would be exceeded; refused before
    /// any budget reservation or HTTP request.
    #[error(
        "this request would need more than {cap} Graph calls (the per-request cap); narrow it (date range, media, limit) or raise --max-calls-per-request"
    )]
    RunCallCap { cap: u32 },

    /// A response body larger than the cap (counted after decompression). Not retried.
    #[error(
        "the Graph API response on {endpoint} ({url}) is larger than the cap of {} (counted after decompression); \
         not retried: ask for fewer rows per page or raise the response size cap",
        bytes_human(*.cap)
    )]
    BodyTooLarge {
        endpoint: EndpointKind,
        url: String,
        cap: usize,
    },

    /// The Graph URL answered something that is not the Graph API: a redirect, or a success status
    /// with a body that is not JSON (an HTML page). Not retried.
    #[error(
        "the Graph URL answered {what} on {endpoint} (HTTP {status}, {url}): check --graph-url"
    )]
    NotGraphApi {
        endpoint: EndpointKind,
        url: String,
        status: u16,
        what: String,
    },

    /// Retryable failures outlasted the retry policy.
    #[error("the Graph API kept failing: gave up after {attempts} attempts in {}; last error: {last}", human(.elapsed))]
    RetriesExhausted {
        attempts: u32,
        elapsed: Duration,
        last: Box<GraphError>,
    },

    /// Connection failure, timeout, or a body that could not be read.
    #[error("could not reach the Graph API on {endpoint} ({url}): {message}")]
    Transport {
        endpoint: EndpointKind,
        url: String,
        message: String,
        timeout: bool,
    },

    /// The TLS certificate of the Graph URL is not trusted or not valid for its name: retrying cannot
    /// help (a TLS-inspecting proxy whose CA the machine does not trust, a wrong --graph-url).
    #[error(
        "the TLS certificate of the Graph URL is not trusted on {endpoint} ({url}): {message}; behind a \
         TLS-inspecting proxy, add its CA certificate to the system's certificate store or set \
         SSL_CERT_FILE to a PEM file that holds it"
    )]
    UntrustedCertificate {
        endpoint: EndpointKind,
        url: String,
        message: String,
    },

    /// A response that is JSON but not of the expected shape.
    #[error("could not decode the Graph API response of {endpoint} at `{path}`: {message}")]
    Decode {
        endpoint: EndpointKind,
        path: String,
        message: String,
    },

    /// Paging reached its page cap while the Graph API still had more pages.
    #[error(
        "paging stopped at the cap of {pages} pages while the Graph API still had more: the result would be incomplete"
    )]
    PageCap { pages: usize },

    /// Paging met this many empty pages in a row, each with another `next`.
    #[error(
        "paging stopped after {pages} empty pages in a row that each had another `next`: the Graph API keeps answering nothing"
    )]
    EmptyPages { pages: usize },

    /// A `next` URL that points somewhere other than the configured Graph API (another scheme, host
    /// or port, user info, or a path outside `{base}/vNN.N/…`). Never requested.
    #[error(
        "refusing to follow a paging URL outside the Graph API ({url}); only {expected}/vNN.N/… is followed"
    )]
    ForeignNextUrl { url: String, expected: String },

    /// The client was configured or called with something unusable.
    #[error("invalid Graph client configuration or request: {0}")]
    Config(String),

    /// The call ledger (the budget's store: a file, Redis) failed: no call was made.
    #[error("{0}; no Graph call was made")]
    Ledger(#[from] crate::state::StateError),
}

impl GraphError {
    /// What this failure means; see [`ErrorClass`].
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Api(e) => e.class,
            Self::BudgetExhausted { .. }
            | Self::Throttled { .. }
            | Self::ThrottledNoEstimate { .. }
            | Self::RunCallCap { .. } => ErrorClass::RateLimited,
            Self::RetriesExhausted { .. } | Self::Ledger(_) => ErrorClass::Unavailable,
            Self::Transport { .. } => ErrorClass::Retryable,
            Self::Decode { .. }
            | Self::BodyTooLarge { .. }
            | Self::NotGraphApi { .. }
            | Self::UntrustedCertificate { .. }
            | Self::PageCap { .. }
            | Self::EmptyPages { .. }
            | Self::ForeignNextUrl { .. }
            | Self::Config(_) => ErrorClass::Fatal,
        }
    }

    /// The Graph error body, looking through `RetriesExhausted`.
    pub fn api_body(&self) -> Option<&GraphErrorBody> {
        match self {
            Self::Api(e) => e.body.as_ref(),
            Self::RetriesExhausted { last, .. } => last.api_body(),
            _ => None,
        }
    }

    /// When a rate-limited call may succeed again.
    pub fn frees_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::BudgetExhausted { frees_at, .. } | Self::Throttled { frees_at, .. } => {
                Some(*frees_at)
            }
            _ => None,
        }
    }

    /// A short reason for logs: class, code and message.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::Api(e) => match &e.body {
                Some(b) => format!(
                    "{} code={} subcode={} {}",
                    e.class,
                    b.code,
                    b.error_subcode.unwrap_or(0),
                    bounded(&b.message)
                ),
                None => format!("{} http={}", e.class, e.status),
            },
            other => format!("{} {other}", other.class()),
        }
    }

    pub(crate) fn wait_hint(&self) -> Option<Duration> {
        match self {
            Self::Api(e) => e.wait_hint,
            _ => None,
        }
    }
}

fn human(d: &Duration) -> Human {
    Human(*d)
}

fn utc(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `now + d` as a UTC time, saturating instead of panicking on durations beyond chrono's range.
pub(crate) fn utc_after(d: Duration) -> DateTime<Utc> {
    let now = Utc::now();
    chrono::TimeDelta::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn bytes_human(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Human-readable duration: `850ms`, `42s`, `19m`, `2h 5m`.
pub(crate) struct Human(pub Duration);

impl fmt::Display for Human {
    /// `humantime`'s words, rounded for people: milliseconds under a second, whole seconds under a
    /// minute (rounded), seconds under an hour, minutes from an hour on ("850ms", "42s", "19m 5s",
    /// "2h 5m").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let s = d.as_secs();
        let shown = if s == 0 {
            Duration::from_millis(d.subsec_millis().into())
        } else if s < 60 {
            Duration::from_secs(if d.subsec_millis() >= 500 { s + 1 } else { s })
        } else if s < 3600 {
            Duration::from_secs(s)
        } else {
            Duration::from_secs(s - s % 60)
        };
        write!(f, "{}", humantime::format_duration(shown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::testutil::arb;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(arb::config())]

        /// Any error document and status classify; throttling codes are never retryable.
        #[test]
        fn classify_never_panics(doc in arb::json(), status in any::<u16>()) {
            let body = serde_json::from_value::<GraphErrorBody>(doc).ok();
            let class = classify(status, body.as_ref());
            if let Some(b) = &body
                && THROTTLE_CODES.contains(&b.code)
            {
                prop_assert_eq!(class, ErrorClass::RateLimited);
            }
            let _ = (class.hint(), class.as_str());
        }
    }

    fn body(code: i64, subcode: Option<i64>, message: &str) -> GraphErrorBody {
        GraphErrorBody {
            code,
            error_subcode: subcode,
            message: message.into(),
            ..Default::default()
        }
    }

    #[test]
    fn classification_table() {
        use ErrorClass::*;
        for code in [1, 2, 341] {
            assert_eq!(
                classify(400, Some(&body(code, None, "x"))),
                Retryable,
                "code {code}"
            );
        }
        for code in [4, 17, 32, 613, 80001, 80002] {
            let mut b = body(code, Some(2446079), "x");
            assert_eq!(classify(400, Some(&b)), RateLimited, "code {code}");
            b.is_transient = Some(true);
            assert_eq!(
                classify(400, Some(&b)),
                RateLimited,
                "code {code} with is_transient"
            );
        }
        assert_eq!(
            classify(400, Some(&body(190, Some(463), "Session has expired"))),
            Reauthenticate
        );
        assert_eq!(
            classify(400, Some(&body(102, None, "Session key invalid"))),
            Reauthenticate
        );
        assert_eq!(
            classify(
                400,
                Some(&body(
                    10,
                    None,
                    "(#10) Application does not have permission for this action"
                ))
            ),
            Permission
        );
        assert_eq!(
            classify(
                400,
                Some(&body(
                    10,
                    None,
                    "(#10) Not enough viewers for the media to show insights"
                ))
            ),
            SkippableItem
        );
        assert_eq!(
            classify(403, Some(&body(200, None, "(#200) Permissions error"))),
            Permission
        );
        assert_eq!(classify(403, Some(&body(299, None, "x"))), Permission);
        assert_eq!(
            classify(400, Some(&body(100, Some(33), "Unsupported get request"))),
            NotFound
        );
        assert_eq!(
            classify(400, Some(&body(110, Some(2207013), "Invalid user id"))),
            NotFound
        );
        assert_eq!(classify(400, Some(&body(110, None, "x"))), Fatal);
        assert_eq!(
            classify(400, Some(&body(100, Some(2108006), "Media Posted Before"))),
            SkippableItem
        );
        assert_eq!(
            classify(400, Some(&body(18, None, "hashtag limit"))),
            HashtagBudget
        );
        assert_eq!(
            classify(400, Some(&body(100, None, "(#100) Invalid parameter"))),
            InvalidRequest
        );
        assert_eq!(
            classify(400, Some(&body(100, Some(0), "(#100) Invalid parameter"))),
            InvalidRequest
        );
        assert_eq!(classify(400, Some(&body(3, None, "capability"))), Fatal);
        assert_eq!(classify(400, Some(&body(368, None, "blocked"))), Fatal);
        let mut transient = body(999, None, "x");
        transient.is_transient = Some(true);
        assert_eq!(classify(400, Some(&transient)), Retryable);
        assert_eq!(classify(500, Some(&body(999, None, "x"))), Retryable);
        assert_eq!(classify(503, None), Retryable);
        assert_eq!(classify(429, None), Retryable);
        assert_eq!(classify(404, None), Fatal);
    }

    #[test]
    fn error_size_is_pinned() {
        assert!(
            std::mem::size_of::<GraphError>() <= 64,
            "{}",
            std::mem::size_of::<GraphError>()
        );
    }

    #[test]
    fn server_texts_are_bounded() {
        let mut b = body(100, None, &"x".repeat(100_000));
        b.error_user_msg = Some("é".repeat(10_000));
        b.error_data = Some(serde_json::json!({"blame": "y".repeat(10_000)}));
        b.bound();
        assert!(b.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(b.error_user_msg.unwrap().chars().count() <= MAX_QUOTED_CHARS + 1);
        assert!(b.error_data.unwrap().to_string().len() < 100);
        assert_eq!(bounded("short"), "short");
    }

    #[test]
    fn utc_after_saturates() {
        assert_eq!(utc_after(Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert!(utc_after(Duration::from_secs(60)) > Utc::now());
    }

    #[test]
    fn human_durations() {
        assert_eq!(Human(Duration::from_millis(850)).to_string(), "850ms");
        assert_eq!(Human(Duration::from_secs(42)).to_string(), "42s");
        assert_eq!(Human(Duration::from_secs(19 * 60)).to_string(), "19m");
        assert_eq!(
            Human(Duration::from_secs(19 * 60 + 5)).to_string(),
            "19m 5s"
        );
        assert_eq!(Human(Duration::from_secs(3600)).to_string(), "1h");
        assert_eq!(Human(Duration::from_secs(7500)).to_string(), "2h 5m");
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = GraphError::Api(Box::new(ApiError {
            class: ErrorClass::Reauthenticate,
            status: 400,
            body: Some(body(
                190,
                Some(463),
                "Error validating access token: Session has expired",
            )),
            endpoint: EndpointKind::UserMedia,
            url: "u".into(),
            wait_hint: None,
            usage_percent: None,
            snippet: None,
        }));
        let text = e.to_string();
        assert!(
            text.contains("code 190") && text.contains("reconnect"),
            "{text}"
        );
        let e = GraphError::BudgetExhausted {
            frees_in: Duration::from_secs(125),
            frees_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            limit: 200,
            window: Duration::from_secs(3600),
        };
        let text = e.to_string();
        assert!(
            text.contains("frees in 2m 5s") && text.contains("2023-11-14T22:13:20Z"),
            "{text}"
        );
        assert_eq!(e.class(), ErrorClass::RateLimited);
    }
}
