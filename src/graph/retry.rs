//! Retry policy: exponential backoff with full jitter, bounded attempts and bounded total time,
//! honouring the Graph API's own wait hints (`Retry-After`, `estimated_time_to_regain_access`).

use std::time::Duration;

use super::error::{GraphError, utc_after};

/// The longest wait a server may ask for (`Retry-After`, `estimated_time_to_regain_access`): one
/// day. Longer (or absurd: `1e30` minutes, `9000000000000` seconds) values are clamped to it, so
/// no arithmetic on them can overflow and no token is blocked for longer.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// A server-supplied number of seconds as a wait: NaN and negatives are no wait, anything
/// above [`MAX_SERVER_WAIT`] (infinity included) is [`MAX_SERVER_WAIT`]. Never panics.
pub fn server_wait_secs(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    if secs >= MAX_SERVER_WAIT.as_secs_f64() {
        return MAX_SERVER_WAIT;
    }
    Duration::try_from_secs_f64(secs)
        .unwrap_or(MAX_SERVER_WAIT)
        .min(MAX_SERVER_WAIT)
}

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (default 5).
    pub max_attempts: u32,
    /// Total time a call may spend, waits included (default 10 minutes).
    pub max_elapsed: Duration,
    /// Backoff cap of the first retry; doubles with each attempt (default 2 s).
    pub base_delay: Duration,
    /// Upper bound of a single backoff (default 2 minutes). Server wait hints are not capped by it.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(600),
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff before retry number `attempt` (1 = after the first failure): uniformly random in
    /// `[0, min(max_delay, base_delay · 2^(attempt-1))]` ("full jitter").
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        let cap = Duration::try_from_secs_f64(self.base_delay.as_secs_f64() * exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        Duration::try_from_secs_f64(cap.as_secs_f64() * random_fraction()).unwrap_or(cap)
    }

    /// After a failed attempt: the delay before the next one, or the error to return. Only retryable
    /// errors are retried; a server wait hint longer than the remaining time fails at once with
    /// [`GraphError::Throttled`] (saying when access returns) instead of sleeping.
    pub(crate) fn after_failure(
        &self,
        attempts: u32,
        elapsed: Duration,
        err: GraphError,
    ) -> Result<Duration, GraphError> {
        if !err.class().is_retryable() {
            return Err(err);
        }
        let remaining = self.max_elapsed.saturating_sub(elapsed);
        let hint = err.wait_hint().map(|w| w.min(MAX_SERVER_WAIT));
        if let Some(wait) = hint.filter(|w| *w > remaining) {
            return Err(GraphError::Throttled {
                frees_in: wait,
                frees_at: utc_after(wait),
                detail: err.reason(),
            });
        }
        let delay = self.backoff(attempts).max(hint.unwrap_or(Duration::ZERO));
        if attempts >= self.max_attempts || delay > remaining {
            return Err(GraphError::RetriesExhausted {
                attempts,
                elapsed,
                last: Box::new(err),
            });
        }
        Ok(delay)
    }
}

/// A uniformly distributed number in `[0, 1)` (`rand`'s thread-local generator; jitter needs no
/// cryptographic quality, only independence between clients and calls).
fn random_fraction() -> f64 {
    rand::random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::endpoint::EndpointKind;
    use crate::graph::error::{ApiError, ErrorClass};

    fn api(class: ErrorClass, wait_hint: Option<Duration>) -> GraphError {
        GraphError::Api(Box::new(ApiError {
            class,
            status: 400,
            body: None,
            endpoint: EndpointKind::UserMedia,
            url: String::new(),
            wait_hint,
            usage_percent: None,
            snippet: None,
        }))
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..Default::default()
        };
        let samples: Vec<Duration> = (0..200).map(|_| p.backoff(3)).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(350)));
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 150, "jitter should vary");
        assert!((0..100).all(|_| p.backoff(1) <= Duration::from_millis(100)));
        let mean = (0..2000).map(|_| random_fraction()).sum::<f64>() / 2000.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }

    #[test]
    fn only_retryable_errors_are_retried() {
        let p = RetryPolicy::default();
        assert!(
            p.after_failure(1, Duration::ZERO, api(ErrorClass::Retryable, None))
                .is_ok()
        );
        let err = p
            .after_failure(1, Duration::ZERO, api(ErrorClass::Permission, None))
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::Permission);
    }

    #[test]
    fn attempts_and_time_are_bounded() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..Default::default()
        };
        let err = p
            .after_failure(3, Duration::ZERO, api(ErrorClass::Retryable, None))
            .unwrap_err();
        assert!(matches!(
            err,
            GraphError::RetriesExhausted { attempts: 3, .. }
        ));
        assert_eq!(err.class(), ErrorClass::Unavailable);
        let p = RetryPolicy {
            base_delay: Duration::from_secs(1000),
            max_delay: Duration::from_secs(1000),
            ..Default::default()
        };
        // Some jittered delay will exceed the 1 s left; the loop makes the test independent of luck.
        let gave_up = (0..50).any(|_| {
            matches!(
                p.after_failure(
                    1,
                    Duration::from_secs(599),
                    api(ErrorClass::Retryable, None)
                ),
                Err(GraphError::RetriesExhausted { .. })
            )
        });
        assert!(gave_up);
    }

    #[test]
    fn server_waits_are_clamped_never_panic() {
        assert_eq!(server_wait_secs(f64::NAN), Duration::ZERO);
        assert_eq!(server_wait_secs(-5.0), Duration::ZERO);
        assert_eq!(server_wait_secs(1.5), Duration::from_millis(1500));
        for huge in [1e30 * 60.0, 2e11 * 60.0, 9e12, f64::INFINITY, f64::MAX] {
            assert_eq!(server_wait_secs(huge), MAX_SERVER_WAIT);
        }
        // A wait hint beyond what the policy allows fails fast, saying when, without overflow.
        let err = RetryPolicy::default()
            .after_failure(
                1,
                Duration::ZERO,
                api(ErrorClass::Retryable, Some(Duration::MAX)),
            )
            .unwrap_err();
        let GraphError::Throttled { frees_in, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*frees_in, MAX_SERVER_WAIT);
        // Absurd configuration does not panic either.
        let p = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..Default::default()
        };
        let _ = p.backoff(31);
    }

    #[test]
    fn server_wait_hint_is_honoured_or_fails_fast() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(1),
            ..Default::default()
        };
        let d = p
            .after_failure(
                1,
                Duration::ZERO,
                api(ErrorClass::Retryable, Some(Duration::from_secs(30))),
            )
            .unwrap();
        assert!(d >= Duration::from_secs(30));
        let err = p
            .after_failure(
                1,
                Duration::ZERO,
                api(ErrorClass::Retryable, Some(Duration::from_secs(19 * 60))),
            )
            .unwrap_err();
        match &err {
            GraphError::Throttled { frees_in, .. } => {
                assert_eq!(*frees_in, Duration::from_secs(19 * 60))
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("19m"), "{err}");
    }
}
