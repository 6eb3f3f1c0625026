//! The simulator's data clock: it starts at [`SimConfig::now`](super::SimConfig::now) (whole seconds)
//! and runs with the wall clock, and a test (or the `/__sim/clock` admin endpoint) can move it forward
//! ([`Clock::set`]), never back. What the data set shows at a clock is decided by the timeline
//! (`timeline.rs`).

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// How far past the start clock the clock may go (10 years): the timeline materialises every post
/// up to the clock.
pub const MAX_AHEAD_DAYS: i64 = 3_660;

/// Why the clock was not moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// The clock never goes back: `asked` is earlier than `now`.
    Backwards {
        /// The clock when asked.
        now: DateTime<Utc>,
        /// The time asked for.
        asked: DateTime<Utc>,
    },
    /// `asked` is more than [`MAX_AHEAD_DAYS`] past the start clock (`limit`), or not a time at all
    /// (an advance that overflows).
    TooFar {
        /// The latest clock accepted.
        limit: DateTime<Utc>,
        /// The time asked for (`None`: out of chrono's range).
        asked: Option<DateTime<Utc>>,
    },
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        match self {
            ClockError::Backwards { now, asked } => write!(
                f,
                "the simulator clock only moves forward: it is {}, {} is earlier",
                ts(now),
                ts(asked)
            ),
            ClockError::TooFar { limit, asked } => write!(
                f,
                "the simulator clock goes at most {MAX_AHEAD_DAYS} days past its start, to {}; asked {}",
                ts(limit),
                asked
                    .as_ref()
                    .map_or_else(|| "a time out of range".into(), ts)
            ),
        }
    }
}

impl std::error::Error for ClockError {}

/// The data clock: `base` at the instant `since`, running with the wall clock from there.
#[derive(Debug)]
pub(super) struct Clock {
    start: DateTime<Utc>,
    base: DateTime<Utc>,
    since: Instant,
}

impl Clock {
    /// A clock at `start`, running from now.
    pub fn new(start: DateTime<Utc>) -> Self {
        Clock {
            start,
            base: start,
            since: Instant::now(),
        }
    }

    /// The start clock.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The current clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.base + Duration::from_std(self.since.elapsed()).unwrap_or_else(|_| Duration::zero())
    }

    /// The latest clock accepted.
    pub fn limit(&self) -> DateTime<Utc> {
        self.start + Duration::days(MAX_AHEAD_DAYS)
    }

    /// Move the clock to `t` (not earlier than now, not past [`Clock::limit`]); it runs on from there.
    pub fn set(&mut self, t: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        let now = self.now();
        if t < now {
            return Err(ClockError::Backwards { now, asked: t });
        }
        if t > self.limit() {
            return Err(ClockError::TooFar {
                limit: self.limit(),
                asked: Some(t),
            });
        }
        self.base = t;
        self.since = Instant::now();
        Ok(t)
    }

    /// Move the clock forward by `by` (not negative).
    pub fn advance(&mut self, by: Duration) -> Result<DateTime<Utc>, ClockError> {
        let now = self.now();
        match now.checked_add_signed(by) {
            Some(t) => self.set(t),
            None => Err(ClockError::TooFar {
                limit: self.limit(),
                asked: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn moves_forward_only_and_not_too_far() {
        let start = Utc.with_ymd_and_hms(2024, 5, 20, 15, 30, 0).unwrap();
        let mut c = Clock::new(start);
        assert!(c.now() >= start && c.now() < start + Duration::seconds(5));
        let day = start + Duration::days(1);
        assert_eq!(c.set(day), Ok(day));
        assert!(c.now() >= day);
        assert!(matches!(
            c.set(start),
            Err(ClockError::Backwards { asked, .. }) if asked == start
        ));
        assert!(matches!(
            c.advance(Duration::seconds(-1)),
            Err(ClockError::Backwards { .. })
        ));
        let t = c.advance(Duration::hours(2)).unwrap();
        assert!(t >= day + Duration::hours(2));
        assert!(matches!(
            c.set(start + Duration::days(MAX_AHEAD_DAYS + 1)),
            Err(ClockError::TooFar { .. })
        ));
        assert!(matches!(
            c.advance(Duration::MAX),
            Err(ClockError::TooFar { asked: None, .. })
        ));
        let msg = ClockError::Backwards {
            now: day,
            asked: start,
        }
        .to_string();
        assert!(msg.contains("only moves forward") && msg.contains("2024-05-20T15:30:00Z"));
    }
}
