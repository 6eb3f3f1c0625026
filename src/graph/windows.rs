//! Insights date windows: an inclusive range of UTC dates split into windows of at most 30 days
//! (the Graph API's limit for one insights call, reference §5.2), each its own call.

use chrono::{Days, NaiveDate, NaiveTime};

/// The Graph API's longest `since`…`until` span for insights, in days.
pub const MAX_INSIGHT_WINDOW_DAYS: u32 = 30;

/// One insights call: `since`/`until` are Unix seconds of UTC midnights, half-open
/// (`until` = midnight after `last`), so consecutive windows share a boundary with no gap or overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsightWindow {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub since: i64,
    pub until: i64,
}

impl InsightWindow {
    pub fn as_pair(&self) -> (i64, i64) {
        (self.since, self.until)
    }

    pub fn days(&self) -> u64 {
        ((self.until - self.since) / 86_400) as u64
    }
}

/// Split `from..=to` into windows of at most `max_days` days (clamped to 1…30). Empty when
/// `from > to` (callers refuse such a range before any Graph call).
pub fn insight_windows(from: NaiveDate, to: NaiveDate, max_days: u32) -> Vec<InsightWindow> {
    let span = u64::from(max_days.clamp(1, MAX_INSIGHT_WINDOW_DAYS));
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc().timestamp();
    let mut out = Vec::new();
    let mut first = from;
    while first <= to {
        let last = first
            .checked_add_days(Days::new(span - 1))
            .map_or(to, |d| d.min(to));
        let Some(next) = last.checked_add_days(Days::new(1)) else {
            break;
        };
        out.push(InsightWindow {
            first,
            last,
            since: midnight(first),
            until: midnight(next),
        });
        first = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn check_contiguous(ws: &[InsightWindow], from: NaiveDate, to: NaiveDate) {
        assert_eq!(ws.first().unwrap().first, from);
        assert_eq!(ws.last().unwrap().last, to);
        for w in ws {
            assert!(w.days() >= 1 && w.days() <= 30, "{w:?}");
            assert_eq!(w.days() as i64, (w.last - w.first).num_days() + 1);
        }
        for pair in ws.windows(2) {
            assert_eq!(pair[0].until, pair[1].since, "no gap, no overlap");
            assert_eq!(pair[0].last.succ_opt().unwrap(), pair[1].first);
        }
        let total: u64 = ws.iter().map(InsightWindow::days).sum();
        assert_eq!(total as i64, (to - from).num_days() + 1);
    }

    #[test]
    fn one_day() {
        let ws = insight_windows(d("2022-11-01"), d("2022-11-01"), 30);
        assert_eq!(ws.len(), 1);
        assert_eq!(ws[0].as_pair(), (1_667_260_800, 1_667_347_200));
    }

    #[test]
    fn thirty_days_is_one_window() {
        let ws = insight_windows(d("2022-11-01"), d("2022-11-30"), 30);
        assert_eq!(ws.len(), 1);
        check_contiguous(&ws, d("2022-11-01"), d("2022-11-30"));
    }

    #[test]
    fn thirty_one_days_is_two_windows() {
        let ws = insight_windows(d("2022-11-01"), d("2022-12-01"), 30);
        assert_eq!(ws.len(), 2);
        assert_eq!(ws[0].days(), 30);
        assert_eq!(ws[1].days(), 1);
        assert_eq!(ws[1].first, d("2022-12-01"));
        check_contiguous(&ws, d("2022-11-01"), d("2022-12-01"));
    }

    #[test]
    fn ninety_five_days_across_a_year_end() {
        let from = d("2022-11-15");
        let to = from + chrono::Duration::days(94);
        let ws = insight_windows(from, to, 30);
        assert_eq!(
            ws.iter().map(InsightWindow::days).collect::<Vec<_>>(),
            vec![30, 30, 30, 5]
        );
        check_contiguous(&ws, from, to);
    }

    #[test]
    fn boundaries() {
        assert!(insight_windows(d("2022-11-02"), d("2022-11-01"), 30).is_empty());
        let ws = insight_windows(d("2024-02-28"), d("2024-03-01"), 1);
        assert_eq!(ws.len(), 3, "leap day is its own window");
        check_contiguous(&ws, d("2024-02-28"), d("2024-03-01"));
        let ws = insight_windows(d("2022-01-01"), d("2022-12-31"), 99);
        assert!(
            ws.iter().all(|w| w.days() <= 30),
            "max_days is clamped to 30"
        );
        check_contiguous(&ws, d("2022-01-01"), d("2022-12-31"));
    }
}
