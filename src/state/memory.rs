//! The in-process ledger: what a process knows alone (tests, `--demo`, `--state memory`).

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;

use super::{
    CallWindow, ConversionMark, HashtagReservation, Ledger, Reservation, StateError, fits_at,
};

#[derive(Debug, Default)]
struct Inner {
    /// Per token key, call times inside the window, oldest first.
    calls: HashMap<String, VecDeque<i64>>,
    /// Per account, hashtag → first search.
    hashtags: HashMap<String, HashMap<String, i64>>,
    conversions: HashMap<String, ConversionMark>,
}

/// A ledger in this process only. Each method is one critical section.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    inner: Mutex<Inner>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }
}

fn prune(calls: &mut VecDeque<i64>, window_ms: i64, now_ms: i64) {
    let cut = now_ms.saturating_sub(window_ms);
    while calls.front().is_some_and(|t| *t <= cut) {
        calls.pop_front();
    }
}

fn window_of(
    calls: &mut VecDeque<i64>,
    n: u32,
    limit: u32,
    window_ms: i64,
    now_ms: i64,
) -> CallWindow {
    prune(calls, window_ms, now_ms);
    let sorted = calls.make_contiguous();
    CallWindow {
        used: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
        oldest_leaves_ms: sorted.first().map(|t| t.saturating_add(window_ms)),
        fits_at_ms: fits_at(sorted, n, limit, window_ms),
    }
}

#[async_trait::async_trait]
impl Ledger for MemoryLedger {
    fn describe(&self) -> String {
        "memory".into()
    }

    async fn reserve_calls(
        &self,
        key: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Reservation, StateError> {
        let mut inner = self.inner.lock();
        let calls = inner.calls.entry(key.to_string()).or_default();
        let w = window_of(calls, n, limit, window_ms, now_ms);
        if let Some(frees_at_ms) = w.fits_at_ms {
            return Ok(Reservation::Full { frees_at_ms });
        }
        // the clock of another thread may be a millisecond behind: keep the deque sorted
        let at = calls.back().map_or(now_ms, |last| now_ms.max(*last));
        calls.extend(std::iter::repeat_n(at, n as usize));
        Ok(Reservation::Granted)
    }

    async fn calls(
        &self,
        key: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<CallWindow, StateError> {
        let mut inner = self.inner.lock();
        Ok(match inner.calls.get_mut(key) {
            Some(calls) => window_of(calls, n, limit, window_ms, now_ms),
            None => window_of(&mut VecDeque::new(), n, limit, window_ms, now_ms),
        })
    }

    async fn reserve_hashtag(
        &self,
        account: &str,
        hashtag: &str,
        budget: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<HashtagReservation, StateError> {
        let mut inner = self.inner.lock();
        let w = inner.hashtags.entry(account.to_string()).or_default();
        let cut = now_ms.saturating_sub(window_ms);
        w.retain(|_, t| *t > cut);
        if w.contains_key(hashtag) {
            return Ok(HashtagReservation::Known);
        }
        if w.len() >= budget as usize {
            let oldest = w.values().min().copied().unwrap_or(now_ms);
            return Ok(HashtagReservation::Full {
                frees_at_ms: oldest.saturating_add(window_ms),
            });
        }
        w.insert(hashtag.to_string(), now_ms);
        Ok(HashtagReservation::Reserved)
    }

    async fn release_hashtag(&self, account: &str, hashtag: &str) -> Result<(), StateError> {
        if let Some(w) = self.inner.lock().hashtags.get_mut(account) {
            w.remove(hashtag);
        }
        Ok(())
    }

    async fn seed_hashtags(
        &self,
        account: &str,
        hashtags: &[String],
        now_ms: i64,
    ) -> Result<(), StateError> {
        let mut inner = self.inner.lock();
        let w = inner.hashtags.entry(account.to_string()).or_default();
        for h in hashtags {
            w.entry(h.clone()).or_insert(now_ms);
        }
        Ok(())
    }

    async fn hashtags(
        &self,
        account: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<(String, i64)>, StateError> {
        let cut = now_ms.saturating_sub(window_ms);
        let inner = self.inner.lock();
        let mut out: Vec<(String, i64)> = inner
            .hashtags
            .get(account)
            .into_iter()
            .flatten()
            .filter(|(_, t)| **t > cut)
            .map(|(h, t)| (h.clone(), *t))
            .collect();
        out.sort();
        Ok(out)
    }

    async fn conversion(&self, account: &str) -> Result<ConversionMark, StateError> {
        Ok(self
            .inner
            .lock()
            .conversions
            .get(account)
            .copied()
            .unwrap_or_default())
    }

    async fn merge_conversion(
        &self,
        account: &str,
        mark: ConversionMark,
    ) -> Result<ConversionMark, StateError> {
        let mut inner = self.inner.lock();
        let c = inner.conversions.entry(account.to_string()).or_default();
        *c = c.merge(mark);
        Ok(*c)
    }
}
