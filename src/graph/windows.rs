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

/// Split `from..=to` into windows of at most `max_days` days (clamped to 1…30), lazily: a window is
/// built when the caller takes it, so even a long range costs no memory up front. Empty when
/// `from > to` (callers refuse such a range before any Graph call).
pub fn insight_windows(
    from: NaiveDate,
    to: NaiveDate,
    max_days: u32,
) -> impl Iterator<Item = InsightWindow> + Clone + Send + 'static {
    let span = u64::from(max_days.clamp(1, MAX_INSIGHT_WINDOW_DAYS));
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc().timestamp();
    let mut first = Some(from);
    std::iter::from_fn(move || {
        let start = first.filter(|f| *f <= to)?;
        let last = start
            .checked_add_days(Days::new(span - 1))
            .map_or(to, |d| d.min(to));
        // The day after the last one; at the end of chrono's calendar there is none: stop there.
        let Some(next) = last.checked_add_days(Days::new(1)) else {
            first = None;
            return None;
        };
        first = Some(next);
        Some(InsightWindow {
            first: start,
            last,
            since: midnight(start),
            until: midnight(next),
        })
    })
}

/// How many windows [`insight_windows`] makes for `from..=to`, without building them.
pub fn insight_window_count(from: NaiveDate, to: NaiveDate, max_days: u32) -> u64 {
    if from > to {
        return 0;
    }
    let span = u64::from(max_days.clamp(1, MAX_INSIGHT_WINDOW_DAYS));
    let days = u64::try_from((to - from).num_days()).unwrap_or(0) + 1;
    days.div_ceil(span)
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
        let ws: Vec<_> = insight_windows(d("2022-11-01"), d("2022-11-01"), 30).collect();
        assert_eq!(ws.len(), 1);
        assert_eq!(ws[0].as_pair(), (1_667_260_800, 1_667_347_200));
    }

    #[test]
    fn thirty_days_is_one_window() {
        let ws: Vec<_> = insight_windows(d("2022-11-01"), d("2022-11-30"), 30).collect();
        assert_eq!(ws.len(), 1);
        check_contiguous(&ws, d("2022-11-01"), d("2022-11-30"));
    }

    #[test]
    fn thirty_one_days_is_two_windows() {
        let ws: Vec<_> = insight_windows(d("2022-11-01"), d("2022-12-01"), 30).collect();
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
        let ws: Vec<_> = insight_windows(from, to, 30).collect();
        assert_eq!(
            ws.iter().map(InsightWindow::days).collect::<Vec<_>>(),
            vec![30, 30, 30, 5]
        );
        check_contiguous(&ws, from, to);
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            insight_windows(d("2022-11-02"), d("2022-11-01"), 30).count(),
            0
        );
        let ws: Vec<_> = insight_windows(d("2024-02-28"), d("2024-03-01"), 1).collect();
        assert_eq!(ws.len(), 3, "leap day is its own window");
        check_contiguous(&ws, d("2024-02-28"), d("2024-03-01"));
        let ws: Vec<_> = insight_windows(d("2022-01-01"), d("2022-12-31"), 99).collect();
        assert!(
            ws.iter().all(|w| w.days() <= 30),
            "max_days is clamped to 30"
        );
        check_contiguous(&ws, d("2022-01-01"), d("2022-12-31"));
    }

    #[test]
    fn counted_without_building_and_safe_at_the_calendar_edges() {
        for (from, to) in [
            ("2022-11-01", "2022-11-01"),
            ("2022-11-01", "2022-12-01"),
            ("2010-01-01", "2027-11-30"),
        ] {
            let n = insight_windows(d(from), d(to), 30).count() as u64;
            assert_eq!(insight_window_count(d(from), d(to), 30), n, "{from}..{to}");
        }
        assert_eq!(
            insight_window_count(d("2022-11-02"), d("2022-11-01"), 30),
            0
        );
        // the last date chrono knows: no panic, no window past it
        let ws: Vec<_> = insight_windows(NaiveDate::MAX, NaiveDate::MAX, 30).collect();
        assert!(ws.is_empty());
        let n = insight_windows(NaiveDate::MIN, NaiveDate::MAX, 30)
            .take(3)
            .count();
        assert_eq!(
            n, 3,
            "lazy: a huge range is only built as far as it is read"
        );
    }
}
