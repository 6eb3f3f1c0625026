//! When a dataset is due: every N minutes/hours, or daily at a local time in a time zone.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The shortest `every` accepted: a refresh spends Graph calls from a 200-per-hour budget.
pub const MIN_EVERY: Duration = Duration::from_secs(60);
/// The longest `every` accepted.
pub const MAX_EVERY: Duration = Duration::from_secs(7 * 86_400);

/// A dataset's schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Due this long after the start of its last run.
    Every(Duration),
    /// Due at this local time every day.
    Daily {
        /// The local time.
        at: NaiveTime,
        /// Its time zone.
        tz: Tz,
    },
}

impl Schedule {
    /// From the sync file's `every` ("15m", "1h", "24h") or `at` ("06:30", "06:30 Europe/Paris") and
    /// `timezone` keys: exactly one of `every` and `at`.
    pub fn parse(
        every: Option<&str>,
        at: Option<&str>,
        timezone: Option<&str>,
    ) -> Result<Schedule, String> {
        match (every, at) {
            (Some(_), Some(_)) => Err("give `every` or `at`, not both".into()),
            (None, None) => Err(
                "a schedule is missing: add `every = \"15m\"` (or \"1h\", \"24h\") or `at = \"06:30\"` with `timezone`"
                    .into(),
            ),
            (Some(e), None) => {
                if timezone.is_some() {
                    return Err("`timezone` goes with `at`, not `every`".into());
                }
                let d = humantime::parse_duration(e.trim()).map_err(|_| {
                    format!("`every = \"{e}\"` is not a duration; accepted: \"15m\", \"1h\", \"24h\"")
                })?;
                if !(MIN_EVERY..=MAX_EVERY).contains(&d) {
                    return Err(format!(
                        "`every = \"{e}\"` is out of range: from 1m to 7d (each run spends Graph calls)"
                    ));
                }
                Ok(Schedule::Every(d))
            }
            (None, Some(a)) => {
                let mut parts = a.split_whitespace();
                let time = parts.next().unwrap_or_default();
                let inline_tz = parts.next();
                if parts.next().is_some() || (inline_tz.is_some() && timezone.is_some()) {
                    return Err(format!(
                        "`at = \"{a}\"`: expected \"HH:MM\" with `timezone`, or \"HH:MM Area/City\""
                    ));
                }
                let at = NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| {
                    format!("`at = \"{a}\"`: the time must be HH:MM (24-hour), e.g. \"06:30\"")
                })?;
                let tz_name = inline_tz.or(timezone).unwrap_or("UTC");
                let tz: Tz = tz_name.parse().map_err(|_| {
                    format!("`{tz_name}` is not a time zone; use an IANA name such as \"Europe/Paris\" or \"UTC\"")
                })?;
                Ok(Schedule::Daily { at, tz })
            }
        }
    }

    /// When a dataset whose last run started at `last` is next due (`None`: never ran, due now).
    pub fn next_due(&self, last: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let last = last?;
        Some(match self {
            Schedule::Every(d) => {
                last + chrono::Duration::from_std(*d).unwrap_or_else(|_| chrono::Duration::days(7))
            }
            Schedule::Daily { at, tz } => {
                // the first local `at` strictly after `last` (a time skipped by a DST change runs an
                // hour later that day)
                let local = last.with_timezone(tz).date_naive();
                (0..3)
                    .filter_map(|d| {
                        let day = local + chrono::Days::new(d);
                        let t = day.and_time(*at);
                        tz.from_local_datetime(&t)
                            .earliest()
                            .or_else(|| {
                                tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
                                    .earliest()
                            })
                            .map(|x| x.with_timezone(&Utc))
                    })
                    .find(|t| *t > last)
                    .unwrap_or(last + chrono::Duration::days(1))
            }
        })
    }

    /// Whether a dataset whose last run started at `last` is due at `now`.
    pub fn is_due(&self, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        self.next_due(last).is_none_or(|t| t <= now)
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Every(d) => write!(f, "every {}", humantime::format_duration(*d)),
            Schedule::Daily { at, tz } => write!(f, "daily at {} {tz}", at.format("%H:%M")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_is_due_its_duration_after_the_last_start() {
        let s = Schedule::parse(Some("15m"), None, None).unwrap();
        assert_eq!(s, Schedule::Every(Duration::from_secs(900)));
        let last = t("2026-11-30T10:00:00Z");
        assert_eq!(s.next_due(Some(last)), Some(t("2026-11-30T10:15:00Z")));
        assert!(!s.is_due(Some(last), t("2026-11-30T10:14:59Z")));
        assert!(s.is_due(Some(last), t("2026-11-30T10:15:00Z")));
        assert!(s.is_due(None, last), "never ran: due");
        assert_eq!(
            Schedule::parse(Some("24h"), None, None).unwrap(),
            Schedule::Every(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn daily_runs_at_the_local_time_across_a_dst_change() {
        let s = Schedule::parse(None, Some("06:30"), Some("Europe/Paris")).unwrap();
        // winter: UTC+1
        assert_eq!(
            s.next_due(Some(t("2026-11-30T04:00:00Z"))),
            Some(t("2026-11-30T05:30:00Z"))
        );
        assert_eq!(
            s.next_due(Some(t("2026-11-30T05:30:00Z"))),
            Some(t("2026-12-01T05:30:00Z"))
        );
        // summer: UTC+2
        assert_eq!(
            s.next_due(Some(t("2026-07-01T12:00:00Z"))),
            Some(t("2026-07-02T04:30:00Z"))
        );
        let inline = Schedule::parse(None, Some("06:30 Europe/Paris"), None).unwrap();
        assert_eq!(inline, s);
        // 02:30 does not exist in Paris on 2026-03-29: that day it runs at 03:30 local
        let gap = Schedule::parse(None, Some("02:30"), Some("Europe/Paris")).unwrap();
        assert_eq!(
            gap.next_due(Some(t("2026-03-28T12:00:00Z"))),
            Some(t("2026-03-29T01:30:00Z"))
        );
    }

    #[test]
    fn bad_schedules_say_what_is_accepted() {
        let cases = [
            (Some("15"), None, None, "not a duration"),
            (Some("10s"), None, None, "out of range"),
            (Some("30d"), None, None, "out of range"),
            (Some("1h"), Some("06:00"), None, "not both"),
            (None, None, None, "schedule is missing"),
            (None, Some("6h30"), None, "HH:MM"),
            (None, Some("06:30"), Some("Mars/Olympus"), "not a time zone"),
            (Some("1h"), None, Some("UTC"), "goes with `at`"),
        ];
        for (every, at, tz, want) in cases {
            let e = Schedule::parse(every, at, tz).unwrap_err();
            assert!(e.contains(want), "{every:?} {at:?} {tz:?}: {e}");
        }
    }
}
