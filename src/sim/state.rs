//! The simulator's shared state (configuration, timeline, clock and the data set at the clock, hashtag
//! searches, tokens, budget, counters) and what answering one call produces ([`Out`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use serde_json::Value;

use super::auth::TokenStore;
use super::clock::{Clock, ClockError};
use super::data::Dataset;
use super::error::GraphError;
use super::hashtags::HashtagState;
use super::rng::hash;
use super::timeline::Timeline;
use super::{SimConfig, StatsSnapshot};

#[derive(Debug, Default)]
struct Stats {
    total: u64,
    by_endpoint: BTreeMap<String, u64>,
    by_status: BTreeMap<String, u64>,
    faults_injected: u64,
    throttled: u64,
    /// HTTP requests being answered now, and the most at once since the last reset.
    in_flight: u64,
    max_in_flight: u64,
}

/// One HTTP request being answered ([`AppState::in_flight`]).
pub(super) struct InFlight(Arc<AppState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.stats.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
    }
}

/// The data set at the clock, kept until something in it changes.
#[derive(Debug)]
struct View {
    data: Arc<Dataset>,
    /// The data set is the same for clocks in `[data.now, until)`.
    until: DateTime<Utc>,
}

/// Shared server state.
#[derive(Debug)]
pub(crate) struct AppState {
    pub cfg: SimConfig,
    timeline: Arc<Timeline>,
    clock: Mutex<Clock>,
    view: Mutex<View>,
    pub addr: SocketAddr,
    /// When the simulator started (wall clock).
    pub(super) started: Instant,
    pub(super) tags: Mutex<HashtagState>,
    pub(super) tokens: Mutex<TokenStore>,
    /// Per token: the times of its calls in the last hour.
    pub(super) usage: Mutex<HashMap<String, VecDeque<Instant>>>,
    stats: Mutex<Stats>,
    /// HTTP requests seen (numbers the fault draws).
    pub(super) calls: AtomicU64,
    traces: AtomicU64,
}

/// The body of an answer.
#[derive(Debug, Clone)]
pub(super) enum OutBody {
    Json(Value),
    Html(String),
    Redirect(String),
}

/// One answered call.
#[derive(Debug, Clone)]
pub(super) struct Out {
    pub status: u16,
    pub body: OutBody,
    /// Headers beyond `content-type` and `cache-control`, in order.
    pub headers: Vec<(String, String)>,
    /// Endpoint kind, for `/__stats` and logs.
    pub kind: String,
    /// Refused by the hourly budget.
    pub throttled: bool,
}

/// The last value of query or form parameter `k` (the Graph API takes the last of repeated keys).
pub(super) fn param(params: &[(String, String)], k: &str) -> Option<String> {
    params
        .iter()
        .rev()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
}

impl AppState {
    pub fn new(cfg: SimConfig, addr: SocketAddr) -> Self {
        let timeline = Arc::new(Timeline::generate(cfg.seed, cfg.now, cfg.media_per_account));
        let (data, until) = timeline.view(timeline.start);
        let data = Arc::new(data);
        AppState {
            tags: Mutex::new(HashtagState::from_dataset(&data)),
            tokens: Mutex::new(TokenStore::initial(&cfg.token, &data)),
            clock: Mutex::new(Clock::new(timeline.start)),
            view: Mutex::new(View { data, until }),
            timeline,
            cfg,
            addr,
            started: Instant::now(),
            usage: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            calls: AtomicU64::new(0),
            traces: AtomicU64::new(0),
        }
    }

    /// The simulator clock: the start clock plus the time since start, or the clock it was last moved
    /// to plus the time since.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.lock().now()
    }

    /// The start clock.
    pub fn start(&self) -> DateTime<Utc> {
        self.clock.lock().start()
    }

    /// The data set at the current clock (taken again, and kept, once the one kept no longer holds).
    pub fn data(&self) -> Arc<Dataset> {
        self.data_now(self.now())
    }

    /// [`AppState::data`] for `now`, the current clock just read.
    pub fn data_now(&self, now: DateTime<Utc>) -> Arc<Dataset> {
        let mut view = self.view.lock();
        if now >= view.data.now && now < view.until {
            return view.data.clone();
        }
        let (data, until) = self.timeline.view(now);
        let data = Arc::new(data);
        if now > view.data.now {
            *view = View {
                data: data.clone(),
                until,
            };
        }
        data
    }

    /// The data set at `clock`: the one kept when it holds at `clock`, else taken from the timeline.
    pub fn data_at(&self, clock: DateTime<Utc>) -> Arc<Dataset> {
        {
            let view = self.view.lock();
            if clock >= view.data.now && clock < view.until {
                return view.data.clone();
            }
        }
        Arc::new(self.timeline.view(clock).0)
    }

    /// Move the clock to `t` (not back); the data set is taken at exactly `t`.
    pub fn set_now(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        self.move_clock(|c| c.set(t))
    }

    /// Move the clock forward by `by`; the data set is taken at exactly the new clock.
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockError> {
        self.move_clock(|c| c.advance(by))
    }

    fn move_clock(
        &self,
        how: impl FnOnce(&mut Clock) -> Result<DateTime<Utc>, ClockError>,
    ) -> Result<DateTime<Utc>, ClockError> {
        let mut clock = self.clock.lock();
        let t = how(&mut clock)?;
        let (data, until) = self.timeline.view(t);
        *self.view.lock() = View {
            data: Arc::new(data),
            until,
        };
        Ok(t)
    }

    /// A new `x-fb-trace-id` / `fbtrace_id` (deterministic per seed and answer number).
    pub(super) fn fbtrace(&self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let n = self.traces.fetch_add(1, Ordering::Relaxed);
        let mut h = hash(&[self.cfg.seed, 0x7ace, n]);
        let mut s = String::from("A");
        for i in 0..22 {
            if i % 10 == 9 {
                h = hash(&[h, i]);
            }
            s.push(A[(h % 64) as usize] as char);
            h /= 64;
        }
        s
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let s = self.stats.lock();
        StatsSnapshot {
            total: s.total,
            by_endpoint: s.by_endpoint.clone(),
            by_status: s.by_status.clone(),
            faults_injected: s.faults_injected,
            throttled: s.throttled,
            max_in_flight: s.max_in_flight,
        }
    }

    pub fn reset_stats(&self) {
        let mut s = self.stats.lock();
        *s = Stats {
            in_flight: s.in_flight,
            ..Stats::default()
        };
    }

    /// An HTTP request is being answered until the guard drops (counts `max_in_flight`).
    pub(super) fn in_flight(self: &Arc<Self>) -> InFlight {
        let mut s = self.stats.lock();
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        InFlight(self.clone())
    }

    /// Count one answered call.
    pub(super) fn record(&self, kind: &str, status: u16, throttled: bool, fault: bool) {
        let mut s = self.stats.lock();
        s.total += 1;
        *s.by_endpoint.entry(kind.to_string()).or_default() += 1;
        *s.by_status.entry(status.to_string()).or_default() += 1;
        if throttled {
            s.throttled += 1;
        }
        if fault {
            s.faults_injected += 1;
        }
    }

    /// The answer of a call that failed with `e`.
    pub(super) fn error_out(
        &self,
        kind: &str,
        e: GraphError,
        headers: Vec<(String, String)>,
    ) -> Out {
        let trace = self.fbtrace();
        let mut h = headers;
        h.push(("x-fb-trace-id".into(), trace.clone()));
        Out {
            status: e.status,
            body: OutBody::Json(e.body(&trace)),
            headers: h,
            kind: kind.to_string(),
            throttled: false,
        }
    }

    /// The answer of a call without auth (OAuth, `debug_token`): a JSON body or an error.
    pub(super) fn json_out(&self, kind: String, r: Result<Value, GraphError>) -> Out {
        match r {
            Ok(v) => Out {
                status: 200,
                body: OutBody::Json(v),
                headers: vec![],
                kind,
                throttled: false,
            },
            Err(e) => self.error_out(&kind, e, vec![]),
        }
    }
}
