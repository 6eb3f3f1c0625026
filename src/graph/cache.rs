//! The response cache of a connection: successful Graph answers (GET only), kept for a time that fits
//! how fast their data changes, shared by every report and client on the connection.
//!
//! An answer is keyed by the token's [`TokenKey`] and the request URL (which carries no credential:
//! they are added when a request is sent), so two tokens never see each other's answers and a `next`
//! page is its own entry. How long an answer is reused depends on its [`CacheClass`] (configurable per
//! class); a request may ask for younger answers (`max_age`, 0 = always fresh). The cache holds at most
//! `max_bytes` of bodies; the least recently used go first, and a body larger than a quarter of the
//! cache is not kept.
//!
//! `lru::LruCache` keeps the order (a well-kept crate); the byte accounting around it is ours.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use super::endpoint::EndpointKind;
use super::secret::TokenKey;

/// What an answer holds, which sets how long it stays fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CacheClass {
    /// `me`, `me/accounts`: the pages and accounts a token reaches.
    Accounts,
    /// A user's profile, business discovery.
    Profile,
    /// Media listings and fields (counts change), stories, comments, hashtag media.
    Media,
    /// Insights whose values may still change: lifetime media insights, user insights of the last
    /// two days.
    Insights,
    /// User insights of days that ended more than two days ago: settled.
    SettledInsights,
    /// A hashtag's id (ids never change).
    HashtagId,
    /// The hashtags an account searched recently (they decide the hashtag budget).
    RecentHashtags,
}

impl CacheClass {
    pub const ALL: [CacheClass; 7] = [
        Self::Accounts,
        Self::Profile,
        Self::Media,
        Self::Insights,
        Self::SettledInsights,
        Self::HashtagId,
        Self::RecentHashtags,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Profile => "profile",
            Self::Media => "media",
            Self::Insights => "insights",
            Self::SettledInsights => "settled_insights",
            Self::HashtagId => "hashtag_id",
            Self::RecentHashtags => "recent_hashtags",
        }
    }

    /// Default freshness.
    pub const fn default_ttl(self) -> Duration {
        Duration::from_secs(match self {
            Self::Accounts => 600,
            Self::Profile | Self::Media => 300,
            Self::Insights => 900,
            Self::SettledInsights => 86_400,
            Self::HashtagId => 7 * 86_400,
            Self::RecentHashtags => 60,
        })
    }

    /// The class of a GET answer, or `None` for answers never kept (tokens, batches, debug_token).
    /// User insights are settled when the window they ask (`until`, unix seconds) ended more than two
    /// days before `now` (the Graph API revises the last two days, reference §1).
    pub fn of(kind: EndpointKind, url: &Url, now: DateTime<Utc>) -> Option<CacheClass> {
        use EndpointKind as K;
        Some(match kind {
            K::Me | K::MeAccounts => Self::Accounts,
            K::User | K::BusinessDiscovery => Self::Profile,
            K::UserMedia
            | K::UserStories
            | K::Media
            | K::MediaChildren
            | K::MediaComments
            | K::CommentReplies
            | K::HashtagRecentMedia
            | K::HashtagTopMedia => Self::Media,
            K::MediaInsights => Self::Insights,
            K::Ids => {
                let fields = url
                    .query_pairs()
                    .find(|(k, _)| k == "fields")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                if fields.contains("insights") {
                    Self::Insights
                } else {
                    Self::Media
                }
            }
            K::UserInsights => {
                let until = url
                    .query_pairs()
                    .find(|(k, _)| k == "until")
                    .and_then(|(_, v)| v.parse::<i64>().ok());
                let settled_before = now.timestamp().saturating_sub(2 * 86_400);
                match until {
                    Some(u) if u <= settled_before => Self::SettledInsights,
                    _ => Self::Insights,
                }
            }
            K::HashtagSearch => Self::HashtagId,
            K::UserRecentlySearchedHashtags => Self::RecentHashtags,
            K::Batch | K::OAuth | K::DebugToken | K::Other => return None,
        })
    }
}

impl fmt::Display for CacheClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CacheClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown cache class `{s}`; accepted: {}",
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }
}

/// How the cache is sized and how long each class stays fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Bytes of bodies kept at most (0: no cache).
    pub max_bytes: usize,
    /// Freshness per class, overriding [`CacheClass::default_ttl`] (0 = never reused).
    pub ttl: Vec<(CacheClass, Duration)>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            ttl: Vec::new(),
        }
    }
}

impl CacheConfig {
    /// 64 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

    /// No cache at all.
    pub fn off() -> Self {
        Self {
            max_bytes: 0,
            ttl: Vec::new(),
        }
    }

    /// The freshness of `class`.
    pub fn ttl_of(&self, class: CacheClass) -> Duration {
        self.ttl
            .iter()
            .rev()
            .find(|(c, _)| *c == class)
            .map_or(class.default_ttl(), |(_, d)| *d)
    }
}

/// An answer as the shared tier (Redis) holds it: when it was kept (unix milliseconds, 8 bytes
/// big-endian), then the body — so a process reading it knows its age.
pub fn shared_form(body: &[u8], kept_at_ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend_from_slice(&kept_at_ms.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The body and age of a [`shared_form`] value read at `now_ms`, if it is one and is younger than
/// `limit` (a future time counts as now; shorter than 8 bytes is not a value).
pub fn from_shared(value: &[u8], now_ms: i64, limit: Duration) -> Option<(Bytes, Duration)> {
    let (head, body) = value.split_first_chunk::<8>()?;
    let kept = i64::from_be_bytes(*head);
    let age = Duration::from_millis(u64::try_from(now_ms.saturating_sub(kept)).unwrap_or(0));
    (age < limit).then(|| (Bytes::copy_from_slice(body), age))
}

/// `CLASS=DURATION` (`media=10m`, `settled_insights=2d`, `insights=0`) as given to `--cache-ttl`.
pub fn parse_ttl(s: &str) -> Result<(CacheClass, Duration), String> {
    let (class, ttl) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not CLASS=DURATION, e.g. media=10m"))?;
    let class: CacheClass = class.trim().parse()?;
    let ttl = ttl.trim();
    let ttl = if ttl == "0" {
        Duration::ZERO
    } else {
        humantime::parse_duration(ttl)
            .map_err(|e| format!("`{ttl}` is not a duration (e.g. 90s, 10m, 2h, 7d): {e}"))?
    };
    if ttl > Duration::from_secs(30 * 86_400) {
        return Err(format!("`{s}`: a cache time is at most 30 days"));
    }
    Ok((class, ttl))
}

struct Entry {
    body: Bytes,
    stored: Instant,
    ttl: Duration,
}

struct State {
    lru: lru::LruCache<String, Entry>,
    bytes: usize,
    hits: u64,
    misses: u64,
    evicted: u64,
}

/// A connection's response cache. Cheap to share as `Arc<ResponseCache>`.
pub struct ResponseCache {
    cfg: CacheConfig,
    state: Mutex<State>,
}

impl fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseCache")
            .field("cfg", &self.cfg)
            .field("stats", &self.snapshot())
            .finish()
    }
}

/// What the cache holds and has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheSnapshot {
    pub entries: usize,
    pub bytes: usize,
    pub max_bytes: usize,
    pub hits: u64,
    pub misses: u64,
    pub evicted: u64,
}

impl ResponseCache {
    pub fn new(cfg: CacheConfig) -> Self {
        ResponseCache {
            cfg,
            state: Mutex::new(State {
                lru: lru::LruCache::unbounded(),
                bytes: 0,
                hits: 0,
                misses: 0,
                evicted: 0,
            }),
        }
    }

    pub fn config(&self) -> &CacheConfig {
        &self.cfg
    }

    /// Whether anything is ever kept.
    pub fn enabled(&self) -> bool {
        self.cfg.max_bytes > 0
    }

    /// The key of a request: the token's key and the URL (no credential in it).
    pub fn key(token: &TokenKey, url: &Url) -> String {
        format!("{token} {url}")
    }

    /// A kept answer younger than its class's freshness and than `max_age` (when given).
    pub fn get(&self, key: &str, max_age: Option<Duration>) -> Option<Bytes> {
        self.get_at(key, max_age, Instant::now())
    }

    fn get_at(&self, key: &str, max_age: Option<Duration>, now: Instant) -> Option<Bytes> {
        if !self.enabled() {
            return None;
        }
        let mut st = self.state.lock();
        let fresh = st.lru.get(key).and_then(|e| {
            let age = now.saturating_duration_since(e.stored);
            let limit = max_age.map_or(e.ttl, |m| m.min(e.ttl));
            (age < limit).then(|| e.body.clone())
        });
        match fresh {
            Some(body) => {
                st.hits += 1;
                Some(body)
            }
            None => {
                st.misses += 1;
                None
            }
        }
    }

    /// Keep `body` for the freshness of `class` (nothing when that is 0 or the body is too large).
    pub fn put(&self, key: String, class: CacheClass, body: Bytes) {
        self.put_at(key, class, body, Instant::now());
    }

    fn put_at(&self, key: String, class: CacheClass, body: Bytes, now: Instant) {
        let ttl = self.cfg.ttl_of(class);
        let size = body.len().saturating_add(key.len());
        if !self.enabled() || ttl.is_zero() || size > self.cfg.max_bytes / 4 {
            return;
        }
        let mut st = self.state.lock();
        if let Some(old) = st.lru.pop(&key) {
            st.bytes = st.bytes.saturating_sub(old.body.len() + key.len());
        }
        while st.bytes.saturating_add(size) > self.cfg.max_bytes {
            let Some((k, old)) = st.lru.pop_lru() else {
                break;
            };
            st.bytes = st.bytes.saturating_sub(old.body.len() + k.len());
            st.evicted += 1;
        }
        st.bytes = st.bytes.saturating_add(size);
        st.lru.put(
            key,
            Entry {
                body,
                stored: now,
                ttl,
            },
        );
    }

    /// Keep `body` that is already `age` old (an answer another process kept in the shared tier).
    pub fn put_aged(&self, key: String, class: CacheClass, body: Bytes, age: Duration) {
        let now = Instant::now();
        self.put_at(key, class, body, now.checked_sub(age).unwrap_or(now));
    }

    /// Forget everything (a reconnected token may see other data).
    pub fn clear(&self) {
        let mut st = self.state.lock();
        st.lru.clear();
        st.bytes = 0;
    }

    pub fn snapshot(&self) -> CacheSnapshot {
        let st = self.state.lock();
        CacheSnapshot {
            entries: st.lru.len(),
            bytes: st.bytes,
            max_bytes: self.cfg.max_bytes,
            hits: st.hits,
            misses: st.misses,
            evicted: st.evicted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Secret;

    fn key(url: &str) -> String {
        ResponseCache::key(&Secret::new("t").key(), &Url::parse(url).unwrap())
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn secs(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    #[test]
    fn answers_stay_fresh_for_their_class_then_expire() {
        let c = ResponseCache::new(CacheConfig::default());
        let k = key("http://g/v15.0/1/media?fields=id");
        let t0 = Instant::now();
        c.put_at(k.clone(), CacheClass::Media, Bytes::from_static(b"{}"), t0);
        assert!(c.get_at(&k, None, t0).is_some());
        assert!(c.get_at(&k, None, secs(t0, 299)).is_some());
        assert!(
            c.get_at(&k, None, secs(t0, 301)).is_none(),
            "media answers last 5 minutes"
        );
        let s = c.snapshot();
        assert_eq!((s.hits, s.misses), (2, 1));
    }

    #[test]
    fn max_age_asks_for_younger_answers_and_zero_for_fresh_ones() {
        let c = ResponseCache::new(CacheConfig::default());
        let k = key("http://g/v15.0/1?fields=id");
        let t0 = Instant::now();
        c.put_at(
            k.clone(),
            CacheClass::Profile,
            Bytes::from_static(b"{}"),
            t0,
        );
        let t = secs(t0, 30);
        assert!(c.get_at(&k, Some(Duration::from_secs(60)), t).is_some());
        assert!(c.get_at(&k, Some(Duration::from_secs(10)), t).is_none());
        assert!(c.get_at(&k, Some(Duration::ZERO), t0).is_none());
        // a longer max_age does not stretch the class's freshness
        let later = secs(t0, 330);
        assert!(
            c.get_at(&k, Some(Duration::from_secs(3600)), later)
                .is_none()
        );
    }

    #[test]
    fn bytes_are_bounded_least_recently_used_first() {
        let c = ResponseCache::new(CacheConfig {
            max_bytes: 4000,
            ttl: Vec::new(),
        });
        let body = Bytes::from(vec![b'x'; 900]);
        let keys: Vec<String> = (0..4)
            .map(|i| key(&format!("http://g/v15.0/{i}")))
            .collect();
        for k in &keys[..3] {
            c.put(k.clone(), CacheClass::Media, body.clone());
        }
        // touch the first: the second is now the least recently used
        assert!(c.get(&keys[0], None).is_some());
        c.put(keys[3].clone(), CacheClass::Media, body.clone());
        c.put(key("http://g/v15.0/4"), CacheClass::Media, body.clone());
        let s = c.snapshot();
        assert!(s.bytes <= 4000, "{s:?}");
        assert!(s.evicted >= 1);
        assert!(
            c.get(&keys[1], None).is_none(),
            "the least recently used went first"
        );
        assert!(c.get(&keys[0], None).is_some());
        // a body over a quarter of the cache is not kept
        c.put(
            key("http://g/v15.0/big"),
            CacheClass::Media,
            Bytes::from(vec![0; 1500]),
        );
        assert!(c.get(&key("http://g/v15.0/big"), None).is_none());
    }

    #[test]
    fn shared_values_carry_their_age_and_garbage_is_not_a_value() {
        let v = shared_form(b"{}", 1_000);
        let (body, age) = from_shared(&v, 1_500, Duration::from_secs(1)).unwrap();
        assert_eq!((&body[..], age), (&b"{}"[..], Duration::from_millis(500)));
        assert!(
            from_shared(&v, 2_500, Duration::from_secs(1)).is_none(),
            "too old"
        );
        // a time in the future counts as now
        assert_eq!(
            from_shared(&v, 0, Duration::from_secs(1)).unwrap().1,
            Duration::ZERO
        );
        assert!(from_shared(b"short", 0, Duration::from_secs(1)).is_none());
    }

    #[test]
    fn tokens_do_not_share_answers() {
        let c = ResponseCache::new(CacheConfig::default());
        let u = url("http://g/v15.0/1?fields=id");
        c.put(
            ResponseCache::key(&Secret::new("a").key(), &u),
            CacheClass::Profile,
            Bytes::from_static(b"{}"),
        );
        assert!(
            c.get(&ResponseCache::key(&Secret::new("b").key(), &u), None)
                .is_none()
        );
    }

    #[test]
    fn off_keeps_nothing_and_a_zero_ttl_class_is_never_kept() {
        let c = ResponseCache::new(CacheConfig::off());
        let k = key("http://g/v15.0/1");
        c.put(k.clone(), CacheClass::Media, Bytes::from_static(b"{}"));
        assert!(c.get(&k, None).is_none());
        let c = ResponseCache::new(CacheConfig {
            max_bytes: 1 << 20,
            ttl: vec![(CacheClass::Media, Duration::ZERO)],
        });
        c.put(k.clone(), CacheClass::Media, Bytes::from_static(b"{}"));
        assert!(c.get(&k, None).is_none());
    }

    #[test]
    fn classes_follow_the_endpoint_and_user_insights_settle_after_two_days() {
        let now = DateTime::parse_from_rfc3339("2022-11-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ids = url("http://g/v15.0/?ids=1,2&fields=insights.metric(reach)");
        assert_eq!(
            CacheClass::of(EndpointKind::Ids, &ids, now),
            Some(CacheClass::Insights)
        );
        let old = now.timestamp() - 3 * 86_400;
        let settled = url(&format!(
            "http://g/v15.0/1/insights?metric=reach&until={old}"
        ));
        assert_eq!(
            CacheClass::of(EndpointKind::UserInsights, &settled, now),
            Some(CacheClass::SettledInsights)
        );
        let recent = url(&format!(
            "http://g/v15.0/1/insights?metric=reach&until={}",
            now.timestamp()
        ));
        assert_eq!(
            CacheClass::of(EndpointKind::UserInsights, &recent, now),
            Some(CacheClass::Insights)
        );
        assert_eq!(CacheClass::of(EndpointKind::Batch, &ids, now), None);
        assert_eq!(CacheClass::of(EndpointKind::DebugToken, &ids, now), None);
    }

    #[test]
    fn ttl_flags_parse_and_refuse_what_they_cannot_read() {
        assert_eq!(
            parse_ttl("media=10m").unwrap(),
            (CacheClass::Media, Duration::from_secs(600))
        );
        assert_eq!(
            parse_ttl("insights=0").unwrap(),
            (CacheClass::Insights, Duration::ZERO)
        );
        assert!(parse_ttl("media").unwrap_err().contains("CLASS=DURATION"));
        assert!(
            parse_ttl("movies=1m")
                .unwrap_err()
                .contains("accepted: accounts")
        );
        assert!(
            parse_ttl("media=soon")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(
            parse_ttl("media=90d")
                .unwrap_err()
                .contains("at most 30 days")
        );
        let cfg = CacheConfig {
            max_bytes: 1,
            ttl: vec![(CacheClass::Media, Duration::from_secs(5))],
        };
        assert_eq!(cfg.ttl_of(CacheClass::Media), Duration::from_secs(5));
        assert_eq!(cfg.ttl_of(CacheClass::Profile), Duration::from_secs(300));
    }
}
