//! Splitting a big request into parts that run on their own: the endpoints of `GetFlightInfo` (each a
//! ticket a client fetches in parallel, and retries alone) and the partitions of a SQL scan.
//!
//! [`split`] is pure: the parts' rows together are exactly the request's rows, with no duplicate, and
//! together they make the same Graph calls the request would make — never more. A request is split only
//! where that holds:
//!
//! * `user_insights` over more than one 30-day window ([`insight_windows`], the windows the plan asks):
//!   one part per window (or per run of consecutive windows, at most [`MAX_PARTS`] parts), each part's
//!   range starting on a window boundary so its calls are the windows the whole request would ask. Not
//!   when a metric is asked without a window (lifetime maps, demographics: one call for the whole
//!   request, which every part would repeat), nor with `limit` (it applies to the whole).
//!
//! Not split, and why:
//! * `media_insights`: its media come from one listing (paged 100 at a time) and are asked 50 per call
//!   in the listing's order; a part per date range or block of media would list again and leave a
//!   partial group per part — more calls. A ticket names at most one media (`media_id`), so there is no
//!   explicit list of media to cut into blocks of 50.
//! * several accounts: a ticket names one account (`account` or `page`); `GetFlightInfo(PATH [report])`
//!   already answers one endpoint per account.
//! * listings (`user_media`, comments, hashtags, …): Graph paging is a chain of cursors; parts would
//!   each page from the start.
//!
//! [`plan_parts`] is what `GetFlightInfo` and the SQL scan call: the request as the connection's
//! version takes it ([`ReportContext::final_request`]), split, and — when it is split — its account
//! resolved once (a cached `me/accounts`) and named in every part, so parts run in parallel do not each
//! list the pages.

use chrono::NaiveDate;

use super::insights::user_calls;
use super::{ReportContext, RunSummary, resolve_account};
use crate::error::ReportError;
use crate::graph::{InsightWindow, MAX_INSIGHT_WINDOW_DAYS, NodeId, insight_windows};
use crate::ticket::{AccountRef, DateRange, ReportParams, ReportRequest};

/// Most parts one request is split into (beyond it, a part takes several consecutive windows).
pub const MAX_PARTS: usize = 32;

/// The parts of `req`: one element (`req` itself) when it is not worth splitting, else several whose
/// rows together are exactly `req`'s, and whose Graph calls together are `req`'s. A part is numbered
/// (`partition`, from 1) and asks its own dates (`date_from`/`date_to`; offsets are replaced, so a part
/// fetched after midnight still asks the days it was planned for).
pub fn split(req: &ReportRequest) -> Vec<ReportRequest> {
    if req.limit.is_some() || req.partition != 0 {
        return vec![req.clone()];
    }
    match &req.params {
        ReportParams::UserInsights(p) => {
            // a call without a window is made once per request: every part would repeat it
            if !user_calls(p).iter().all(|c| c.shape.ranged()) {
                return vec![req.clone()];
            }
            let ranges = window_ranges(p.dates.from, p.dates.to);
            if ranges.len() <= 1 {
                return vec![req.clone()];
            }
            ranges
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut part = with_dates(req, r);
                    part.partition = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    part.raw.partition = Some(part.partition);
                    part
                })
                .collect()
        }
        _ => vec![req.clone()],
    }
}

/// The ranges of the parts of `from..=to`: the plan's insight windows, consecutive ones grouped so there
/// are at most [`MAX_PARTS`]; each range starts on a window's first day and ends on a window's last.
fn window_ranges(from: NaiveDate, to: NaiveDate) -> Vec<DateRange> {
    let windows: Vec<InsightWindow> = insight_windows(from, to, MAX_INSIGHT_WINDOW_DAYS).collect();
    let per_part = windows.len().div_ceil(MAX_PARTS).max(1);
    windows
        .chunks(per_part)
        .filter_map(|c| {
            Some(DateRange {
                from: c.first()?.first,
                to: c.last()?.last,
            })
        })
        .collect()
}

/// `req` asking `dates` instead of its range (typed params and raw ticket alike).
fn with_dates(req: &ReportRequest, dates: DateRange) -> ReportRequest {
    let mut part = req.clone();
    if let ReportParams::UserInsights(p) = &mut part.params {
        p.dates = dates;
    }
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    part.raw.date_from = Some(day(dates.from));
    part.raw.date_to = Some(day(dates.to));
    part.raw.date_from_offset = None;
    part.raw.date_to_offset = None;
    part
}

/// `req` naming the account `ig` (instead of a page or the token's one account).
pub fn with_account(req: &ReportRequest, ig: &NodeId) -> ReportRequest {
    let mut part = req.clone();
    part.account = AccountRef::Account(ig.clone());
    part.raw.account = Some(ig.as_str().to_string());
    part.raw.page = None;
    part
}

/// The parts `req` runs as, on `ctx`'s connection: `req` as that connection's version takes it
/// ([`ReportContext::final_request`]; learning the version costs one call the first time), [`split`];
/// when split, the account is resolved once and named in every part. No call when `req` cannot split.
pub async fn plan_parts(
    ctx: &ReportContext,
    req: ReportRequest,
) -> Result<Vec<ReportRequest>, ReportError> {
    // most requests cannot split whatever the version: ask nothing for them
    if split(&req).len() <= 1 {
        return Ok(vec![req]);
    }
    let req = ctx.final_request(req).await?;
    let parts = split(&req);
    if parts.len() <= 1 || matches!(req.account, AccountRef::Account(_)) {
        return Ok(parts);
    }
    let ig = resolve_account(ctx, &RunSummary::default(), &req.account).await?;
    Ok(parts.iter().map(|p| with_account(p, &ig)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::catalog::GraphVersion;
    use serde_json::{Value, json};

    fn today() -> NaiveDate {
        "2022-11-30".parse().unwrap()
    }

    fn req(v: Value) -> ReportRequest {
        crate::ticket::decode(v.to_string().as_bytes(), today(), GraphVersion::V15).unwrap()
    }

    fn dates(r: &ReportRequest) -> DateRange {
        r.params.dates().unwrap()
    }

    /// Every day of `whole` is in exactly one part, parts in order, each a subset of `whole`.
    fn check_partition(whole: &ReportRequest, parts: &[ReportRequest]) {
        let w = dates(whole);
        let mut next = w.from;
        for (i, p) in parts.iter().enumerate() {
            let d = dates(p);
            assert_eq!(
                d.from, next,
                "part {i} starts where the last ended: no gap, no overlap"
            );
            assert!(d.from <= d.to);
            next = d.to.succ_opt().unwrap();
            assert_eq!(p.partition as usize, i + 1);
            // the part's ticket says the same as its typed request
            let again = crate::ticket::validate(p.raw.clone(), today(), GraphVersion::V15).unwrap();
            assert_eq!(&again, p, "part {i} re-validates to itself");
            // everything else is the whole request's
            let mut same = p.clone();
            same.params = whole.params.clone();
            same.partition = 0;
            same.raw = whole.raw.clone();
            assert_eq!(same, *whole);
        }
        assert_eq!(
            next,
            w.to.succ_opt().unwrap(),
            "the parts end where the whole does"
        );
    }

    /// The Graph windows the parts ask are exactly the whole request's windows.
    fn windows_of(r: &ReportRequest) -> Vec<(i64, i64)> {
        let d = dates(r);
        insight_windows(d.from, d.to, MAX_INSIGHT_WINDOW_DAYS)
            .map(|w| w.as_pair())
            .collect()
    }

    #[test]
    fn a_90_day_range_is_three_windows() {
        let whole = req(
            json!({"report": "user_insights", "account": "17841400000000001", "metrics": ["reach", "impressions"], "date_from": "2022-08-01", "date_to": "2022-10-29"}),
        );
        let parts = split(&whole);
        assert_eq!(parts.len(), 3);
        check_partition(&whole, &parts);
        let asked: Vec<(i64, i64)> = parts.iter().flat_map(windows_of).collect();
        assert_eq!(
            asked,
            windows_of(&whole),
            "the same Graph windows, once each"
        );
        assert_eq!(parts[0].raw.date_from.as_deref(), Some("2022-08-01"));
        assert_eq!(parts[0].raw.date_to.as_deref(), Some("2022-08-30"));
        assert_eq!(parts[2].raw.date_to.as_deref(), Some("2022-10-29"));
    }

    #[test]
    fn offsets_become_dates() {
        let whole = req(
            json!({"report": "user_insights", "date_from_offset": 95, "date_to_offset": 1, "metrics": ["reach"]}),
        );
        let parts = split(&whole);
        assert_eq!(parts.len(), 4, "95 days: 30 + 30 + 30 + 5");
        check_partition(&whole, &parts);
        for p in &parts {
            assert!(p.raw.date_from_offset.is_none() && p.raw.date_to_offset.is_none());
        }
    }

    #[test]
    fn a_long_range_is_at_most_max_parts_aligned_on_windows() {
        let whole = req(
            json!({"report": "user_insights", "metrics": ["reach"], "date_from": "2010-01-01", "date_to": "2022-11-29"}),
        );
        let parts = split(&whole);
        assert!(
            parts.len() <= MAX_PARTS && parts.len() > 1,
            "{}",
            parts.len()
        );
        check_partition(&whole, &parts);
        let asked: Vec<(i64, i64)> = parts.iter().flat_map(windows_of).collect();
        assert_eq!(asked, windows_of(&whole));
    }

    #[test]
    fn not_split_when_not_worth_it() {
        for t in [
            // one window
            json!({"report": "user_insights", "metrics": ["reach"], "date_from": "2022-10-01", "date_to": "2022-10-30"}),
            // the default range: the last 30 days
            json!({"report": "user_insights"}),
            // limit applies to the whole
            json!({"report": "user_insights", "metrics": ["reach"], "date_from": "2022-08-01", "date_to": "2022-10-29", "limit": 10}),
            // lifetime maps are asked once without a window
            json!({"report": "user_insights", "period": "lifetime", "metrics": ["audience_city"], "date_from": "2022-08-01", "date_to": "2022-10-29"}),
            // listings page from the start: parts would each list
            json!({"report": "user_media", "date_from": "2022-01-01", "date_to": "2022-10-29"}),
            json!({"report": "media_insights", "media_items": "range", "date_from": "2022-01-01", "date_to": "2022-10-29"}),
            json!({"report": "media_comments", "media_id": "17900000000001895"}),
        ] {
            let whole = req(t.clone());
            assert_eq!(split(&whole), vec![whole], "{t}");
        }
        // a part does not split again
        let whole = req(
            json!({"report": "user_insights", "metrics": ["reach"], "date_from": "2022-08-01", "date_to": "2022-10-29"}),
        );
        let part = split(&whole).remove(0);
        assert_eq!(split(&part), vec![part]);
    }

    #[test]
    fn a_demographic_metric_is_not_split() {
        let whole = crate::ticket::decode(
            json!({"report": "user_insights", "period": "lifetime", "metrics": ["follower_demographics"], "date_from": "2024-08-01", "date_to": "2024-10-29"}).to_string().as_bytes(),
            "2024-11-30".parse().unwrap(),
            GraphVersion::V21,
        )
        .unwrap();
        assert_eq!(split(&whole), vec![whole]);
    }

    #[test]
    fn with_account_names_the_account() {
        let whole = req(
            json!({"report": "user_insights", "page": "Northside Roasters", "metrics": ["reach"], "date_from": "2022-08-01", "date_to": "2022-10-29"}),
        );
        let ig = NodeId::parse("17841400000000001").unwrap();
        for p in split(&whole) {
            let p = with_account(&p, &ig);
            let again = crate::ticket::validate(p.raw.clone(), today(), GraphVersion::V15).unwrap();
            assert_eq!(again, p);
            assert_eq!(again.account, AccountRef::Account(ig.clone()));
        }
    }
}
