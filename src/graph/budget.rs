//! The per-token call budget: a rolling window (default 200 calls per hour) checked and reserved
//! before every HTTP attempt, plus the slow-down the usage headers ask for.
//!
//! The calls themselves are counted in a [`Ledger`] (`crate::state`): in this process
//! ([`Budget::new`]), in the data folder's file shared by every igflight process of the machine, or
//! in Redis shared by several servers ([`Budget::with_ledger`]). A reservation is one atomic step of
//! the ledger (prune, check, record), so no interleaving of tasks or processes lets an extra call
//! through. The usage-header pacing and blocking stay in this process (they follow the answers this
//! process received).
//!
//! Tokens are keyed by [`TokenKey`] (a SHA-256 prefix), never by the token itself. One [`Budget`]
//! (behind an `Arc`) can be shared by any number of clients and tasks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::time::Instant;

use super::error::{GraphError, utc_after};
use super::retry::MAX_SERVER_WAIT;
use super::secret::{Secret, TokenKey};
use super::usage::Usage;
use crate::state::{Ledger, MemoryLedger, Reservation, now_ms, window_ms};

#[derive(Clone, Debug)]
pub struct BudgetConfig {
    /// Calls allowed per token in any `window` (default 200).
    pub limit: u32,
    /// The rolling window (default one hour).
    pub window: Duration,
    /// How long a call may wait for the budget (or a ≥ 100 % usage block) before failing
    /// (default 0: fail at once, saying when the budget frees).
    pub max_wait: Duration,
    /// Usage percentage from which calls are spaced out (default 75).
    pub slowdown_from: f64,
    /// The spacing between calls just below 100 % usage; it grows quadratically from 0 at
    /// `slowdown_from` (default 20 s).
    pub max_pause: Duration,
    /// How long to hold calls at ≥ 100 % usage when the headers give no
    /// `estimated_time_to_regain_access` (default 60 s).
    pub blocked_pause: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            limit: 200,
            window: Duration::from_secs(3600),
            max_wait: Duration::ZERO,
            slowdown_from: 75.0,
            max_pause: Duration::from_secs(20),
            blocked_pause: Duration::from_secs(60),
        }
    }
}

impl BudgetConfig {
    /// The spacing between calls at usage `percent` (below 100 %).
    pub fn pause_for(&self, percent: f64) -> Duration {
        if percent.is_nan() || percent < self.slowdown_from || self.slowdown_from >= 100.0 {
            return Duration::ZERO;
        }
        let frac = ((percent - self.slowdown_from) / (100.0 - self.slowdown_from)).clamp(0.0, 1.0);
        Duration::try_from_secs_f64(self.max_pause.as_secs_f64() * frac * frac)
            .unwrap_or(Duration::ZERO)
    }
}

/// `t + d`, saturating (at a century later, or `t` itself) instead of panicking on overflow.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(t)
}

#[derive(Debug, Default)]
struct TokenState {
    /// Spacing asked by the usage headers (75–100 %).
    pace: Duration,
    not_before: Option<Instant>,
    /// A hard stop (usage ≥ 100 % or `estimated_time_to_regain_access`), with its reason.
    blocked: Option<(Instant, String)>,
    last_percent: Option<f64>,
    refused: u64,
}

/// A shared per-token call budget. Cheap to share as `Arc<Budget>`.
#[derive(Debug)]
pub struct Budget {
    cfg: BudgetConfig,
    ledger: Arc<dyn Ledger>,
    tokens: Mutex<HashMap<TokenKey, TokenState>>,
}

enum Decision {
    Pace(Instant),
    Full(Instant),
    Blocked(Instant, String),
}

/// What this process's usage headers say before the ledger is asked.
enum Gate {
    Blocked(Instant, String),
    Pace(Instant),
    /// Go ahead; the pace slot was taken (`set`), replacing `prev` (restored if the ledger refuses).
    Go {
        prev: Option<Instant>,
        set: Option<Instant>,
    },
}

/// The instant of unix milliseconds `at_ms`, seen at `now` (= `now_ms`).
fn instant_at(now: Instant, now_ms: i64, at_ms: i64) -> Instant {
    let ms = u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0);
    later(now, Duration::from_millis(ms))
}

impl Budget {
    /// A budget whose calls are counted in this process only.
    pub fn new(cfg: BudgetConfig) -> Self {
        Self::with_ledger(cfg, Arc::new(MemoryLedger::new()))
    }

    /// A budget whose calls are counted in `ledger` (a file or Redis shared with other processes).
    pub fn with_ledger(cfg: BudgetConfig, ledger: Arc<dyn Ledger>) -> Self {
        Self {
            cfg,
            ledger,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn shared(cfg: BudgetConfig) -> Arc<Self> {
        Arc::new(Self::new(cfg))
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.cfg
    }

    /// The ledger the calls are counted in (also the store of the hashtag budget and conversions).
    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    fn window_ms(&self) -> i64 {
        window_ms(self.cfg.window)
    }

    /// Reserve `n` calls for `key` (a batch of n items costs n). Waits for the usage-header pace,
    /// and for a full window or a throttle block only up to `max_wait`; otherwise fails with
    /// [`GraphError::BudgetExhausted`] / [`GraphError::Throttled`] saying when it frees, or with
    /// [`GraphError::Ledger`] when the ledger cannot be read or written.
    pub async fn acquire(&self, key: &TokenKey, n: u32) -> Result<(), GraphError> {
        if n > self.cfg.limit {
            return Err(GraphError::Config(format!(
                "a request of {n} calls can never fit a budget of {} calls per window",
                self.cfg.limit
            )));
        }
        let deadline = later(Instant::now(), self.cfg.max_wait);
        loop {
            let now = Instant::now();
            let wall = now_ms();
            let decision = match self.gate(key, now) {
                Gate::Blocked(at, detail) => Decision::Blocked(at, detail),
                Gate::Pace(at) => {
                    // a full window is the longer wait, and a refusal
                    let w = self
                        .ledger
                        .calls(key.as_str(), n, self.cfg.limit, self.window_ms(), wall)
                        .await?;
                    match w.fits_at_ms {
                        Some(t) => Decision::Full(instant_at(now, wall, t)),
                        None => Decision::Pace(at),
                    }
                }
                Gate::Go { prev, set } => {
                    let reserved = self
                        .ledger
                        .reserve_calls(key.as_str(), n, self.cfg.limit, self.window_ms(), wall)
                        .await;
                    match reserved {
                        Ok(Reservation::Granted) => return Ok(()),
                        Ok(Reservation::Full { frees_at_ms }) => {
                            self.restore_pace(key, prev, set);
                            Decision::Full(instant_at(now, wall, frees_at_ms))
                        }
                        Err(e) => {
                            self.restore_pace(key, prev, set);
                            return Err(e.into());
                        }
                    }
                }
            };
            let (until, refusal) = match decision {
                Decision::Pace(at) => (at, None),
                Decision::Full(at) => (at, Some(None)),
                Decision::Blocked(at, detail) => (at, Some(Some(detail))),
            };
            if let Some(detail) = refusal.filter(|_| until > deadline) {
                self.tokens.lock().entry(key.clone()).or_default().refused += 1;
                let frees_in = until.saturating_duration_since(now);
                let frees_at = utc_after(frees_in);
                return Err(match detail {
                    None => GraphError::BudgetExhausted {
                        frees_in,
                        frees_at,
                        limit: self.cfg.limit,
                        window: self.cfg.window,
                    },
                    Some(detail) => GraphError::Throttled {
                        frees_in,
                        frees_at,
                        detail,
                    },
                });
            }
            tracing::debug!(token = %key, wait_ms = until.saturating_duration_since(now).as_millis() as u64, "waiting for call budget");
            tokio::time::sleep_until(until).await;
        }
    }

    /// The usage-header checks of this process, in one critical section: blocked, paced, or go
    /// (taking the pace slot, so concurrent calls stay spaced).
    fn gate(&self, key: &TokenKey, now: Instant) -> Gate {
        let mut tokens = self.tokens.lock();
        let st = tokens.entry(key.clone()).or_default();
        if let Some((until, detail)) = &st.blocked {
            if *until > now {
                return Gate::Blocked(*until, detail.clone());
            }
            st.blocked = None;
        }
        if let Some(at) = st.not_before.filter(|at| *at > now) {
            return Gate::Pace(at);
        }
        let prev = st.not_before;
        st.not_before = (!st.pace.is_zero()).then(|| later(now, st.pace));
        Gate::Go {
            prev,
            set: st.not_before,
        }
    }

    /// The ledger refused: give the pace slot back (unless the usage headers changed it meanwhile).
    fn restore_pace(&self, key: &TokenKey, prev: Option<Instant>, set: Option<Instant>) {
        if let Some(st) = self.tokens.lock().get_mut(key)
            && st.not_before == set
        {
            st.not_before = prev;
        }
    }

    /// Feed the usage headers of a response: above `slowdown_from` calls are spaced out; at ≥ 100 %
    /// (or with an `estimated_time_to_regain_access`) calls are held until access returns, at most
    /// [`MAX_SERVER_WAIT`] (whatever the headers say).
    pub fn observe_usage(&self, key: &TokenKey, usage: &Usage) {
        let Some(percent) = usage.max_percent() else {
            return;
        };
        let now = Instant::now();
        let mut tokens = self.tokens.lock();
        let st = tokens.entry(key.clone()).or_default();
        st.last_percent = Some(percent);
        let regain = usage.regain_after();
        if percent >= 100.0 || regain.is_some() {
            let wait = regain
                .unwrap_or(self.cfg.blocked_pause)
                .min(MAX_SERVER_WAIT);
            st.blocked = Some((
                later(now, wait),
                format!("usage headers report {percent:.0}% of the allowance used"),
            ));
            st.pace = self.cfg.max_pause;
        } else {
            st.pace = self.cfg.pause_for(percent);
            if st.pace > Duration::ZERO {
                tracing::debug!(token = %key, percent, pace_ms = st.pace.as_millis() as u64, "usage high: spacing calls");
            }
        }
        st.not_before = (!st.pace.is_zero()).then(|| later(now, st.pace));
    }

    /// Calls still allowed in the current window for this token.
    pub async fn remaining(&self, token: &Secret) -> Result<u32, GraphError> {
        self.remaining_for(&token.key()).await
    }

    pub async fn remaining_for(&self, key: &TokenKey) -> Result<u32, GraphError> {
        let w = self
            .ledger
            .calls(key.as_str(), 0, self.cfg.limit, self.window_ms(), now_ms())
            .await?;
        Ok(self.cfg.limit.saturating_sub(w.used))
    }

    /// How long until `n` more calls fit the window of `key` (zero when they fit now); `None` when
    /// `n` is more than the window ever allows. Does not reserve anything.
    pub async fn wait_for(&self, key: &TokenKey, n: u32) -> Result<Option<Duration>, GraphError> {
        if n > self.cfg.limit {
            return Ok(None);
        }
        let blocked = {
            let now = Instant::now();
            let tokens = self.tokens.lock();
            tokens
                .get(key)
                .and_then(|st| st.blocked.as_ref())
                .map_or(Duration::ZERO, |(until, _)| {
                    until.saturating_duration_since(now)
                })
        };
        let wall = now_ms();
        let w = self
            .ledger
            .calls(key.as_str(), n, self.cfg.limit, self.window_ms(), wall)
            .await?;
        let frees = w.fits_at_ms.map_or(Duration::ZERO, |t| {
            u64::try_from(t.saturating_sub(wall)).map_or(Duration::ZERO, Duration::from_millis)
        });
        Ok(Some(frees.max(blocked)))
    }

    /// Each token this budget has seen: calls in the ledger's window, and this process's pacing.
    pub async fn snapshot(&self) -> Result<BudgetSnapshot, GraphError> {
        let keys: Vec<TokenKey> = self.tokens.lock().keys().cloned().collect();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let wall = now_ms();
            let w = self
                .ledger
                .calls(key.as_str(), 0, self.cfg.limit, self.window_ms(), wall)
                .await?;
            let now = Instant::now();
            let tokens = self.tokens.lock();
            let Some(st) = tokens.get(&key) else { continue };
            out.push(TokenBudgetSnapshot {
                token: key.clone(),
                used: w.used,
                remaining: self.cfg.limit.saturating_sub(w.used),
                frees_in_ms: w
                    .oldest_leaves_ms
                    .map(|t| u64::try_from(t.saturating_sub(wall)).unwrap_or(0)),
                usage_percent: st.last_percent,
                pace_ms: st.pace.as_millis() as u64,
                blocked_for_ms: st
                    .blocked
                    .as_ref()
                    .map(|(until, _)| until.saturating_duration_since(now).as_millis() as u64)
                    .filter(|ms| *ms > 0),
                refused: st.refused,
            });
        }
        out.sort_by(|a, b| a.token.cmp(&b.token));
        Ok(BudgetSnapshot {
            limit: self.cfg.limit,
            window_secs: self.cfg.window.as_secs(),
            tokens: out,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetSnapshot {
    pub limit: u32,
    pub window_secs: u64,
    pub tokens: Vec<TokenBudgetSnapshot>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TokenBudgetSnapshot {
    pub token: TokenKey,
    pub used: u32,
    pub remaining: u32,
    /// When the oldest call in the window leaves it.
    pub frees_in_ms: Option<u64>,
    pub usage_percent: Option<f64>,
    pub pace_ms: u64,
    pub blocked_for_ms: Option<u64>,
    /// Calls refused by this budget.
    pub refused: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::usage::{AppUsage, BusinessUsage};

    fn cfg(limit: u32, window_ms: u64) -> BudgetConfig {
        BudgetConfig {
            limit,
            window: Duration::from_millis(window_ms),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn refuses_when_spent_and_says_when_it_frees() {
        let b = Budget::new(cfg(3, 60_000));
        let key = Secret::new("tok").key();
        for _ in 0..3 {
            b.acquire(&key, 1).await.unwrap();
        }
        assert_eq!(b.remaining(&Secret::new("tok")).await.unwrap(), 0);
        let err = b.acquire(&key, 1).await.unwrap_err();
        match &err {
            GraphError::BudgetExhausted {
                frees_in, limit, ..
            } => {
                assert_eq!(*limit, 3);
                assert!(
                    *frees_in <= Duration::from_secs(60) && *frees_in > Duration::from_secs(59)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("frees in"));
        assert_eq!(b.snapshot().await.unwrap().tokens[0].refused, 1);
        // Other tokens are independent.
        assert_eq!(b.remaining(&Secret::new("other")).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn waits_within_max_wait_and_window_rolls() {
        let b = Budget::new(BudgetConfig {
            max_wait: Duration::from_millis(500),
            ..cfg(2, 150)
        });
        let key = Secret::new("tok").key();
        let start = Instant::now();
        for _ in 0..4 {
            b.acquire(&key, 1).await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    #[tokio::test]
    async fn batch_reserves_many() {
        let b = Budget::new(cfg(10, 60_000));
        let key = Secret::new("tok").key();
        b.acquire(&key, 7).await.unwrap();
        assert!(matches!(
            b.acquire(&key, 4).await,
            Err(GraphError::BudgetExhausted { .. })
        ));
        b.acquire(&key, 3).await.unwrap();
        assert!(matches!(
            b.acquire(&key, 11).await,
            Err(GraphError::Config(_))
        ));
    }

    #[tokio::test]
    async fn usage_at_100_percent_blocks_until_regain() {
        let b = Budget::new(cfg(200, 3_600_000));
        let key = Secret::new("tok").key();
        let usage = Usage {
            app: None,
            business: vec![BusinessUsage {
                business_id: "1784".into(),
                r#type: Some("instagram".into()),
                call_count: 100.0,
                estimated_time_to_regain_access: 19,
                ..Default::default()
            }],
        };
        b.observe_usage(&key, &usage);
        let err = b.acquire(&key, 1).await.unwrap_err();
        match &err {
            GraphError::Throttled { frees_in, .. } => {
                assert!(*frees_in > Duration::from_secs(18 * 60))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().contains("access returns in 18m")
                || err.to_string().contains("access returns in 19m")
        );
    }

    /// `estimated_time_to_regain_access: 2e11` (380,000 years) used to block the token past chrono's
    /// range, and every later call panicked: now the block is at most a day and each call is a
    /// clean refusal saying when.
    #[tokio::test]
    async fn absurd_regain_times_block_at_most_a_day_without_panicking() {
        for raw in ["2e11", "1e30", "1e308"] {
            let b = Budget::new(cfg(200, 3_600_000));
            let key = Secret::new("tok").key();
            let business = crate::graph::usage::parse_business_usage(&format!(
                r#"{{"1784":[{{"type":"instagram","call_count":100,"estimated_time_to_regain_access":{raw}}}]}}"#
            ));
            b.observe_usage(
                &key,
                &Usage {
                    app: None,
                    business,
                },
            );
            for _ in 0..3 {
                let err = b.acquire(&key, 1).await.unwrap_err();
                let GraphError::Throttled {
                    frees_in, frees_at, ..
                } = &err
                else {
                    panic!("{err:?}")
                };
                assert!(*frees_in <= MAX_SERVER_WAIT, "{raw}: {frees_in:?}");
                assert!(*frees_at <= utc_after(MAX_SERVER_WAIT), "{raw}");
                assert!(err.to_string().contains("access returns in"), "{err}");
            }
            let snap = b.snapshot().await.unwrap();
            assert!(snap.tokens[0].blocked_for_ms.unwrap() <= MAX_SERVER_WAIT.as_millis() as u64);
        }
    }

    #[tokio::test]
    async fn absurd_configuration_does_not_panic() {
        let b = Budget::new(BudgetConfig {
            max_wait: Duration::MAX,
            window: Duration::MAX,
            max_pause: Duration::MAX,
            slowdown_from: f64::NAN,
            ..cfg(1, 0)
        });
        let key = Secret::new("tok").key();
        b.acquire(&key, 1).await.unwrap();
        let _ = b.snapshot().await.unwrap();
        assert_eq!(b.remaining_for(&key).await.unwrap(), 0);
        assert_eq!(b.config().pause_for(99.0), Duration::ZERO);
    }

    #[tokio::test]
    async fn high_usage_spaces_calls() {
        let b = Budget::new(BudgetConfig {
            max_pause: Duration::from_millis(400),
            ..cfg(200, 3_600_000)
        });
        let key = Secret::new("tok").key();
        assert_eq!(b.config().pause_for(50.0), Duration::ZERO);
        assert_eq!(b.config().pause_for(75.0), Duration::ZERO);
        assert!(b.config().pause_for(90.0) > b.config().pause_for(80.0));
        let usage = Usage {
            app: Some(AppUsage {
                call_count: 95.0,
                ..Default::default()
            }),
            business: vec![],
        };
        b.observe_usage(&key, &usage);
        let pace = b.config().pause_for(95.0);
        let start = Instant::now();
        b.acquire(&key, 1).await.unwrap();
        b.acquire(&key, 1).await.unwrap();
        assert!(
            start.elapsed() >= pace + pace / 2,
            "{:?} vs {pace:?}",
            start.elapsed()
        );
        // Back to low usage: no more spacing.
        b.observe_usage(
            &key,
            &Usage {
                app: Some(AppUsage::default()),
                business: vec![],
            },
        );
        let start = Instant::now();
        b.acquire(&key, 1).await.unwrap();
        b.acquire(&key, 1).await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_reservations_never_exceed_limit() {
        let b = Budget::shared(cfg(50, 60_000));
        let key = Secret::new("tok").key();
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let b = b.clone();
            let key = key.clone();
            tasks.push(tokio::spawn(
                async move { b.acquire(&key, 1).await.is_ok() },
            ));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap());
        }
        assert_eq!(ok, 50);
        assert_eq!(b.remaining_for(&key).await.unwrap(), 0);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::graph::testutil::arb;
    use proptest::prelude::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    proptest! {
        #![proptest_config(arb::config())]

        /// Any usage headers, then calls: each call is reserved or refused (rate limited, saying a
        /// time within a day); nothing panics, now or on later calls.
        #[test]
        fn observe_usage_then_acquire_never_panics(
            app in arb::header_text(),
            buc in arb::header_text(),
            calls in 1usize..5,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let b = Budget::new(BudgetConfig {
                limit: 3,
                max_pause: Duration::ZERO,
                ..BudgetConfig::default()
            });
            let key = Secret::new("tok").key();
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&app) {
                headers.insert("x-app-usage", v);
            }
            if let Ok(v) = HeaderValue::from_str(&buc) {
                headers.insert("x-business-use-case-usage", v);
            }
            b.observe_usage(&key, &Usage::from_headers(&headers));
            let latest = utc_after(MAX_SERVER_WAIT + Duration::from_secs(3600 + 60));
            for _ in 0..calls {
                if let Err(e) = rt.block_on(b.acquire(&key, 1)) {
                    prop_assert_eq!(e.class(), crate::graph::ErrorClass::RateLimited);
                    prop_assert!(e.frees_at().is_some_and(|t| t <= latest), "{}", e);
                }
            }
            let _ = rt.block_on(b.snapshot());
            let _ = rt.block_on(b.remaining_for(&key));
        }
    }
}
