//! The per-token rolling-hour call budget, the usage headers (`x-app-usage`,
//! `x-business-use-case-usage`) and the throttling errors.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::error::GraphError;
use super::state::AppState;

const HOUR: Duration = Duration::from_secs(3600);

impl AppState {
    /// Count one call against the token's rolling hour. `Err(minutes to regain access)` when over budget.
    pub(super) fn take_budget(&self, token: &str) -> Result<u32, u32> {
        let mut usage = self.usage.lock();
        let q = usage.entry(token.to_string()).or_default();
        let now = Instant::now();
        while q.front().is_some_and(|t| now.duration_since(*t) >= HOUR) {
            q.pop_front();
        }
        match self.cfg.calls_per_hour {
            Some(limit) if q.len() as u64 >= u64::from(limit) => {
                let wait = q
                    .front()
                    .map(|t| HOUR.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(HOUR);
                Err(wait.as_secs().div_ceil(60).max(1) as u32)
            }
            _ => {
                q.push_back(now);
                Ok(self.usage_pct(q.len()))
            }
        }
    }

    pub(super) fn usage_pct(&self, used: usize) -> u32 {
        match self.cfg.calls_per_hour {
            Some(0) => 100,
            Some(l) => ((used as u64 * 100 / u64::from(l)).min(100)) as u32,
            None => ((used / 50).min(10)) as u32,
        }
    }

    pub(super) fn current_pct(&self, token: &str) -> u32 {
        let usage = self.usage.lock();
        let used = usage
            .get(token)
            .map(|q| q.iter().filter(|t| t.elapsed() < HOUR).count())
            .unwrap_or(0);
        self.usage_pct(used)
    }

    pub(super) fn usage_headers(
        &self,
        pct: u32,
        ig_user: Option<&str>,
        regain_min: u32,
    ) -> Vec<(String, String)> {
        let mut h = vec![(
            "x-app-usage".to_string(),
            json!({"call_count": pct, "total_time": pct / 2, "total_cputime": pct / 3}).to_string(),
        )];
        if let Some(ig) = ig_user {
            let mut m = serde_json::Map::new();
            m.insert(
                ig.to_string(),
                json!([{"type": "instagram", "call_count": pct, "total_cputime": pct / 3, "total_time": pct / 2,
                        "estimated_time_to_regain_access": regain_min}]),
            );
            h.push((
                "x-business-use-case-usage".to_string(),
                Value::Object(m).to_string(),
            ));
        }
        h
    }

    pub(super) fn throttle_error(&self) -> GraphError {
        match self.cfg.throttle_code {
            4 => GraphError::new(4, "(#4) Application request limit reached").transient(true),
            80002 => GraphError::new(
                80002,
                "There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            )
            .subcode(2446079),
            _ => GraphError::new(17, "(#17) User request limit reached").subcode(2446079).transient(true),
        }
    }
}
