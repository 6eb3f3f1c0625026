//! The simulator's configuration.

use std::fmt;
use std::time::Duration;

use super::FaultKind;

/// Simulator configuration.
#[derive(Clone)]
pub struct SimConfig {
    /// Data set seed (default 42).
    pub seed: u64,
    /// The user access token accepted (default `demo-token`).
    pub token: String,
    /// The start of the data clock (default now; whole seconds are kept). The clock then runs with the
    /// wall clock and can be moved forward ([`SimHandle::set_now`](super::SimHandle::set_now),
    /// `POST /__sim/clock`).
    pub now: chrono::DateTime<chrono::Utc>,
    /// The API's date, separate from the data set's clock: which Graph API versions are served and
    /// which metrics they have (see [`versions`](super::versions)). Default 2022-11-01, the seed's API
    /// (v10.0–v15.0 served, the v15 catalog); the CLI defaults to today's date.
    pub api_as_of: chrono::NaiveDate,
    /// Added to every Graph response (default 0).
    pub latency: Duration,
    /// Per-token rolling-hour call budget; past it calls get the `throttle_code` error.
    pub calls_per_hour: Option<u32>,
    /// 4, 17 or 80002 (default 17).
    pub throttle_code: u32,
    /// Probability that a call is answered by an injected fault (0.0..=1.0).
    pub fault_rate: f64,
    /// Which faults to inject (default: all).
    pub faults: Vec<FaultKind>,
    /// Delay of the `Slow` fault (default 3 s).
    pub slow_delay: Duration,
    /// App id for OAuth / debug_token (default `demo-app`).
    pub app_id: String,
    /// App secret for OAuth / debug_token / appsecret_proof (default `demo-secret`).
    pub app_secret: String,
    /// Require `appsecret_proof` on Graph calls (default false).
    pub require_appsecret_proof: bool,
    /// Posts per own account (default: 250 and 320; benchmarks set more).
    pub media_per_account: Option<usize>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            token: "demo-token".into(),
            now: chrono::Utc::now(),
            api_as_of: super::versions::SEED_API_DATE,
            latency: Duration::ZERO,
            calls_per_hour: None,
            throttle_code: 17,
            fault_rate: 0.0,
            faults: FaultKind::ALL.to_vec(),
            slow_delay: Duration::from_secs(3),
            app_id: "demo-app".into(),
            app_secret: "demo-secret".into(),
            require_appsecret_proof: false,
            media_per_account: None,
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("token", &"<redacted>")
            .field("now", &self.now)
            .field("api_as_of", &self.api_as_of)
            .field("latency", &self.latency)
            .field("calls_per_hour", &self.calls_per_hour)
            .field("throttle_code", &self.throttle_code)
            .field("fault_rate", &self.fault_rate)
            .field("faults", &self.faults)
            .field("slow_delay", &self.slow_delay)
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("require_appsecret_proof", &self.require_appsecret_proof)
            .field("media_per_account", &self.media_per_account)
            .finish()
    }
}
