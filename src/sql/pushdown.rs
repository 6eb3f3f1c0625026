//! Filter pushdown: which `WHERE` conjuncts become Graph parameters (ticket keys), and how truthfully.
//!
//! [`push_filters`] is the ONE function that both classifies each filter and produces the ticket
//! parameters: [`ReportTable::supports_filters_pushdown`](super::table::ReportTable) reads its
//! classifications, [`ReportTable::scan`](super::table::ReportTable) its parameters, so the two cannot
//! disagree.
//!
//! Each filter is classified on its own (DataFusion may ask about the conjuncts of one `WHERE` in several
//! calls), and the parameters of all pushed filters are combined in the scan by intersection: two equalities
//! on one parameter with different values, or an empty date range, make the scan empty without any Graph
//! call (the conjunction is false for every row).
//!
//! | column | reports | operators | ticket key | class |
//! |---|---|---|---|---|
//! | `hashtag` | hashtag reports | `=`, `IN (one)` | `hashtag` | Exact (Inexact if the literal is not the normalized lowercase name without `#`) |
//! | `username` | `other_users`, `other_users_media` | `=`, `IN (one)` | `username` | Exact (Inexact if not lowercase without `@`) |
//! | `media_id` | `media_comments` | `=`, `IN (one)` | `media_id` | Exact |
//! | `media_id` | `media_insights` | `=`, `IN (one)` | `media_items: single` + `media_id` | Exact |
//! | `ig_user_id` | `user_media`, `user_stories`, `user_insights`, `recently_searched_hashtags` | `=`, `IN (one)` | `account` | Exact |
//! | `id` | `user` | `=`, `IN (one)` | `account` | Exact |
//! | `period` | `user_insights`, `media_insights` | `=`, `IN (one)` | `period` | Exact |
//! | `metric` | `user_insights`, `media_insights` | `=`, `IN (…)`, `OR` of those | `metrics` | Exact |
//! | `breakdown` | `user_insights`, `media_insights` | `=`, `IN (one)` | `breakdown` | Inexact (a metric without data may answer a total without breakdown, and the key is normalized) |
//! | `timestamp` | `user_media`, `other_users_media` | `>=`, `>`, `<`, `<=`, `=`, `BETWEEN` | `date_from` / `date_to` | Inexact |
//! | `end_time` | `user_insights` | `>=`, `>`, `<`, `<=`, `=`, `BETWEEN` | `date_from` / `date_to` | Inexact |
//! | anything else | | | | Unsupported |
//!
//! Exact means every row the report returns for that ticket parameter carries exactly that value in that
//! column, so DataFusion drops the filter. Date ranges are pushed as whole UTC days (a superset of the
//! rows asked for), so DataFusion applies them again (Inexact). A value the ticket refuses (an unknown
//! metric or period, `period = 'day'` on `media_insights`) is pushed and refused with the ticket's message,
//! rather than silently scanning everything to return nothing.

use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, Days, NaiveDate};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};

use crate::reports::catalog::ReportKind;

/// Graph parameters taken from the pushed filters (before defaults and validation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphParams {
    /// `account` (from `ig_user_id`, or `id` on `user`).
    pub account: Option<String>,
    /// `hashtag` (normalized: lowercase, no `#`).
    pub hashtag: Option<String>,
    /// `username` (normalized: no `@`).
    pub username: Option<String>,
    /// `media_id`.
    pub media_id: Option<String>,
    /// `period`.
    pub period: Option<String>,
    /// `metrics` (the intersection of every metric filter), in the order of the first filter.
    pub metrics: Option<Vec<String>>,
    /// `breakdown` (keys separated by `,`, as the column holds them).
    pub breakdown: Option<String>,
    /// First UTC day (inclusive) of the `timestamp` / `end_time` range.
    pub date_from: Option<NaiveDate>,
    /// Last UTC day (inclusive).
    pub date_to: Option<NaiveDate>,
    /// The pushed filters contradict each other: no row can match, no Graph call is needed.
    pub contradiction: bool,
}

/// What [`push_filters`] decided: one class per filter (same order), and the combined parameters.
#[derive(Debug, Clone)]
pub struct Pushdown {
    /// One per filter, in order.
    pub classes: Vec<TableProviderFilterPushDown>,
    /// The parameters of the Exact and Inexact filters.
    pub params: GraphParams,
}

impl Pushdown {
    /// Some pushed filter is only a superset (DataFusion re-applies it): a `LIMIT` must not be pushed.
    pub fn any_inexact(&self) -> bool {
        self.classes
            .iter()
            .any(|c| matches!(c, TableProviderFilterPushDown::Inexact))
    }
}

/// One filter's contribution.
#[derive(Debug, Clone, PartialEq)]
enum Param {
    Account(String),
    Hashtag(String),
    Username(String),
    MediaId(String),
    Period(String),
    Breakdown(String),
    Metrics(Vec<String>),
    /// Inclusive UTC day bounds, either may be open.
    Dates(Option<NaiveDate>, Option<NaiveDate>),
}

/// Classify each filter of a scan of `report` and produce the ticket parameters of the pushed ones.
pub fn push_filters(report: ReportKind, filters: &[&Expr]) -> Pushdown {
    let mut params = GraphParams::default();
    let mut classes = Vec::with_capacity(filters.len());
    for f in filters {
        match classify(report, f) {
            Some((class, p)) => {
                merge(&mut params, p);
                classes.push(class);
            }
            None => classes.push(TableProviderFilterPushDown::Unsupported),
        }
    }
    if let (Some(a), Some(b)) = (params.date_from, params.date_to)
        && a > b
    {
        params.contradiction = true;
    }
    Pushdown { classes, params }
}

fn merge_eq(slot: &mut Option<String>, v: String, contradiction: &mut bool) {
    match slot {
        Some(old) if *old != v => *contradiction = true,
        Some(_) => {}
        None => *slot = Some(v),
    }
}

fn merge(p: &mut GraphParams, param: Param) {
    let c = &mut p.contradiction;
    match param {
        Param::Account(v) => merge_eq(&mut p.account, v, c),
        Param::Hashtag(v) => merge_eq(&mut p.hashtag, v, c),
        Param::Username(v) => merge_eq(&mut p.username, v, c),
        Param::MediaId(v) => merge_eq(&mut p.media_id, v, c),
        Param::Period(v) => merge_eq(&mut p.period, v, c),
        Param::Breakdown(v) => merge_eq(&mut p.breakdown, v, c),
        Param::Metrics(v) => {
            let next = match p.metrics.take() {
                None => dedup(v),
                Some(old) => old.into_iter().filter(|m| v.contains(m)).collect(),
            };
            if next.is_empty() {
                *c = true;
            }
            p.metrics = Some(next);
        }
        Param::Dates(from, to) => {
            if let Some(f) = from {
                p.date_from = Some(p.date_from.map_or(f, |o| o.max(f)));
            }
            if let Some(t) = to {
                p.date_to = Some(p.date_to.map_or(t, |o| o.min(t)));
            }
        }
    }
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in v {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The ticket key an equality on `column` of `report` sets, if any (the report's spec says which).
fn eq_key(report: ReportKind, column: &str) -> Option<&'static str> {
    report
        .spec()
        .sql_equalities
        .iter()
        .find(|(c, _)| *c == column)
        .map(|(_, key)| *key)
}

/// Whether a range on `column` of `report` becomes `date_from`/`date_to`.
fn is_range_column(report: ReportKind, column: &str) -> bool {
    report.spec().sql_range == Some(column)
}

fn classify(report: ReportKind, e: &Expr) -> Option<(TableProviderFilterPushDown, Param)> {
    use TableProviderFilterPushDown::{Exact, Inexact};
    // ranges first: `timestamp = …` is a one-day range too
    if let Some((col, from, to)) = range_of(e)
        && is_range_column(report, &col)
    {
        return Some((Inexact, Param::Dates(from, to)));
    }
    let (col, values) = equality_of(e)?;
    let key = eq_key(report, &col)?;
    if key == "metrics" {
        return Some((Exact, Param::Metrics(values)));
    }
    let [v] = values.as_slice() else {
        return None;
    };
    let v = v.clone();
    match key {
        "hashtag" => {
            let n = v.trim().trim_start_matches('#').trim().to_lowercase();
            if n.is_empty() {
                return None;
            }
            let class = if n == v { Exact } else { Inexact };
            Some((class, Param::Hashtag(n)))
        }
        "username" => {
            let n = v.trim().trim_start_matches('@').trim().to_string();
            if n.is_empty() {
                return None;
            }
            let class = if n == v && n == n.to_lowercase() {
                Exact
            } else {
                Inexact
            };
            Some((class, Param::Username(n)))
        }
        "media_id" | "account" => {
            let n = v.trim().to_string();
            if n.is_empty() {
                return None;
            }
            let class = if n == v { Exact } else { Inexact };
            Some((
                class,
                if key == "account" {
                    Param::Account(n)
                } else {
                    Param::MediaId(n)
                },
            ))
        }
        "period" => Some((Exact, Param::Period(v))),
        // DataFusion keeps the filter: a row without breakdown, or a differently written key, drops
        "breakdown" if !v.trim().is_empty() => Some((Inexact, Param::Breakdown(v))),
        _ => None,
    }
}

/// `col = 'v'`, `'v' = col`, `col IN ('a', …)` and `OR`s of those on one column → (column, values).
fn equality_of(e: &Expr) -> Option<(String, Vec<String>)> {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => {
            let (c, l) = match (column_name(left), column_name(right)) {
                (Some(c), None) => (c, right),
                (None, Some(c)) => (c, left),
                _ => return None,
            };
            Some((c, vec![string_literal(l)?]))
        }
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            let (a, mut va) = equality_of(left)?;
            let (b, vb) = equality_of(right)?;
            if a != b {
                return None;
            }
            va.extend(vb);
            Some((a, va))
        }
        Expr::InList(l) if !l.negated => {
            let c = column_name(&l.expr)?;
            let vals = l
                .list
                .iter()
                .map(string_literal)
                .collect::<Option<Vec<_>>>()?;
            if vals.is_empty() {
                return None;
            }
            Some((c, vals))
        }
        _ => None,
    }
}

/// A plain column reference (its unqualified name).
fn column_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Column(c) => Some(c.name.clone()),
        _ => None,
    }
}

/// A column, possibly under a cast to a date or timestamp (monotone, so day bounds stay a superset).
fn time_column(e: &Expr) -> Option<String> {
    match e {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::Cast(c) => match c.field.data_type() {
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => time_column(&c.expr),
            _ => None,
        },
        _ => None,
    }
}

/// The value of a literal, through casts of literals (`CAST('2024-01-01' AS TIMESTAMP)`).
fn literal(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Cast(c) => literal(&c.expr)?.cast_to(c.field.data_type()).ok(),
        Expr::TryCast(c) => literal(&c.expr)?.cast_to(c.field.data_type()).ok(),
        _ => None,
    }
}

fn string_literal(e: &Expr) -> Option<String> {
    match literal(e)? {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s),
        _ => None,
    }
}

/// A literal as an instant: Unix seconds (floored) and whether it has a sub-second part.
fn instant(e: &Expr) -> Option<(i64, bool)> {
    let v = literal(e)?;
    let split = |v: i64, per: i64| (v.div_euclid(per), v.rem_euclid(per) != 0);
    match v {
        ScalarValue::TimestampSecond(Some(s), _) => Some((s, false)),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(split(v, 1_000)),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(split(v, 1_000_000)),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(split(v, 1_000_000_000)),
        ScalarValue::Date32(Some(d)) => Some((i64::from(d) * 86_400, false)),
        ScalarValue::Date64(Some(ms)) => Some(split(ms, 1_000)),
        ScalarValue::Utf8(Some(_))
        | ScalarValue::LargeUtf8(Some(_))
        | ScalarValue::Utf8View(Some(_)) => {
            let ts = v
                .cast_to(&DataType::Timestamp(
                    TimeUnit::Nanosecond,
                    Some("UTC".into()),
                ))
                .ok()?;
            match ts {
                ScalarValue::TimestampNanosecond(Some(n), _) => Some(split(n, 1_000_000_000)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn day_of(secs: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp(secs, 0).map(|t| t.date_naive())
}

/// Lower bound `col >= t` / `col > t` → the first UTC day.
fn lower(t: (i64, bool)) -> Option<NaiveDate> {
    day_of(t.0)
}

/// Upper bound `col <= t` / `col < t` → the last UTC day (a `<` at exactly midnight excludes that day).
fn upper(t: (i64, bool), strict: bool) -> Option<NaiveDate> {
    let d = day_of(t.0)?;
    let midnight = t.0.rem_euclid(86_400) == 0 && !t.1;
    if strict && midnight {
        // the first day chrono knows has no day before it: not pushed down
        d.checked_sub_days(Days::new(1))
    } else {
        Some(d)
    }
}

/// A range on a time column → (column, first day, last day).
fn range_of(e: &Expr) -> Option<(String, Option<NaiveDate>, Option<NaiveDate>)> {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (col, lit, op) = match (time_column(left), time_column(right)) {
                (Some(c), None) => (c, right, *op),
                (None, Some(c)) => (c, left, op.swap()?),
                _ => return None,
            };
            let t = instant(lit)?;
            match op {
                Operator::GtEq | Operator::Gt => Some((col, Some(lower(t)?), None)),
                Operator::LtEq => Some((col, None, Some(upper(t, false)?))),
                Operator::Lt => Some((col, None, Some(upper(t, true)?))),
                Operator::Eq => Some((col, Some(lower(t)?), Some(upper(t, false)?))),
                _ => None,
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let col = time_column(expr)?;
            let lo = lower(instant(low)?)?;
            let hi = upper(instant(high)?, false)?;
            Some((col, Some(lo), Some(hi)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TableProviderFilterPushDown::{Exact, Inexact, Unsupported};
    use datafusion::logical_expr::{Cast, col, lit};
    use datafusion::prelude::in_list;

    fn one(report: ReportKind, e: Expr) -> (TableProviderFilterPushDown, GraphParams) {
        let p = push_filters(report, &[&e]);
        (p.classes[0].clone(), p.params)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ts_lit(s: &str) -> Expr {
        Expr::Cast(Cast::new(
            Box::new(lit(s)),
            DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
        ))
    }

    #[test]
    fn hashtag_equality_is_exact_on_hashtag_reports_only() {
        let (c, p) = one(
            ReportKind::HashtagRecentMedia,
            col("hashtag").eq(lit("coffee")),
        );
        assert_eq!(c, Exact);
        assert_eq!(p.hashtag.as_deref(), Some("coffee"));
        let (c, p) = one(
            ReportKind::HashtagTopMedia,
            lit("coffee").eq(col("hashtag")),
        );
        assert_eq!((c, p.hashtag.as_deref()), (Exact, Some("coffee")));
        // not the normalized form: pushed normalized, re-applied by DataFusion
        let (c, p) = one(
            ReportKind::HashtagTopMedia,
            col("hashtag").eq(lit("#Coffee")),
        );
        assert_eq!((c, p.hashtag.as_deref()), (Inexact, Some("coffee")));
        let (c, _) = one(ReportKind::UserMedia, col("hashtag").eq(lit("coffee")));
        assert_eq!(c, Unsupported);
        // other operators on hashtag
        let (c, p) = one(
            ReportKind::HashtagTopMedia,
            col("hashtag").not_eq(lit("coffee")),
        );
        assert_eq!((c, p.hashtag), (Unsupported, None));
        let (c, _) = one(
            ReportKind::HashtagTopMedia,
            col("hashtag").like(lit("cof%")),
        );
        assert_eq!(c, Unsupported);
        let (c, p) = one(
            ReportKind::HashtagTopMedia,
            in_list(col("hashtag"), vec![lit("a")], false),
        );
        assert_eq!((c, p.hashtag.as_deref()), (Exact, Some("a")));
        let (c, _) = one(
            ReportKind::HashtagTopMedia,
            in_list(col("hashtag"), vec![lit("a"), lit("b")], false),
        );
        assert_eq!(c, Unsupported);
    }

    #[test]
    fn username_media_id_account_and_period() {
        for r in [ReportKind::OtherUsers, ReportKind::OtherUsersMedia] {
            let (c, p) = one(r, col("username").eq(lit("bluebottle")));
            assert_eq!((c, p.username.as_deref()), (Exact, Some("bluebottle")));
            let (c, p) = one(r, col("username").eq(lit("@bluebottle")));
            assert_eq!((c, p.username.as_deref()), (Inexact, Some("bluebottle")));
        }
        assert_eq!(
            one(ReportKind::UserMedia, col("username").eq(lit("x"))).0,
            Unsupported
        );
        for r in [ReportKind::MediaComments, ReportKind::MediaInsights] {
            let (c, p) = one(r, col("media_id").eq(lit("17900")));
            assert_eq!((c, p.media_id.as_deref()), (Exact, Some("17900")));
        }
        for r in [
            ReportKind::UserMedia,
            ReportKind::UserStories,
            ReportKind::UserInsights,
            ReportKind::RecentlySearchedHashtags,
        ] {
            let (c, p) = one(r, col("ig_user_id").eq(lit("178")));
            assert_eq!((c, p.account.as_deref()), (Exact, Some("178")), "{r}");
        }
        // pages has the column but no `account` key
        assert_eq!(
            one(ReportKind::Pages, col("ig_user_id").eq(lit("178"))).0,
            Unsupported
        );
        let (c, p) = one(ReportKind::User, col("id").eq(lit("178")));
        assert_eq!((c, p.account.as_deref()), (Exact, Some("178")));
        assert_eq!(
            one(ReportKind::UserMedia, col("id").eq(lit("178"))).0,
            Unsupported
        );
        for r in [ReportKind::UserInsights, ReportKind::MediaInsights] {
            let (c, p) = one(r, col("period").eq(lit("week")));
            assert_eq!((c, p.period.as_deref()), (Exact, Some("week")));
        }
        assert_eq!(
            one(ReportKind::UserInsights, col("period").not_eq(lit("week"))).0,
            Unsupported
        );
        // empty string: not a parameter
        assert_eq!(
            one(ReportKind::UserMedia, col("ig_user_id").eq(lit(""))).0,
            Unsupported
        );
    }

    #[test]
    fn breakdown_equality_becomes_the_breakdown_key_and_stays_filtered() {
        for r in [ReportKind::UserInsights, ReportKind::MediaInsights] {
            let (c, p) = one(r, col("breakdown").eq(lit("city")));
            assert_eq!((c, p.breakdown.as_deref()), (Inexact, Some("city")));
            let (c, p) = one(r, in_list(col("breakdown"), vec![lit("age,gender")], false));
            assert_eq!((c, p.breakdown.as_deref()), (Inexact, Some("age,gender")));
        }
        // two breakdowns in one scan: no row has both
        let (a, b) = (
            col("breakdown").eq(lit("city")),
            col("breakdown").eq(lit("country")),
        );
        let p = push_filters(ReportKind::UserInsights, &[&a, &b]);
        assert!(p.params.contradiction);
        // not a list, not a negation, not empty, not on reports without insights
        let many = in_list(col("breakdown"), vec![lit("city"), lit("country")], false);
        assert_eq!(one(ReportKind::UserInsights, many).0, Unsupported);
        assert_eq!(
            one(
                ReportKind::UserInsights,
                col("breakdown").not_eq(lit("city"))
            )
            .0,
            Unsupported
        );
        assert_eq!(
            one(ReportKind::UserInsights, col("breakdown").eq(lit(""))).0,
            Unsupported
        );
        assert_eq!(
            one(ReportKind::UserMedia, col("breakdown").eq(lit("city"))).0,
            Unsupported
        );
        // a LIMIT is not pushed past it
        let p = push_filters(ReportKind::UserInsights, &[&a]);
        assert!(p.any_inexact());
    }

    #[test]
    fn metric_lists_intersect() {
        let e = in_list(col("metric"), vec![lit("reach"), lit("impressions")], false);
        let (c, p) = one(ReportKind::UserInsights, e.clone());
        assert_eq!(c, Exact);
        assert_eq!(p.metrics, Some(vec!["reach".into(), "impressions".into()]));
        let neg = in_list(col("metric"), vec![lit("reach")], true);
        assert_eq!(one(ReportKind::UserInsights, neg).0, Unsupported);
        let or = col("metric")
            .eq(lit("reach"))
            .or(col("metric").eq(lit("saved")));
        let (c, p) = one(ReportKind::MediaInsights, or);
        assert_eq!(
            (c, p.metrics),
            (Exact, Some(vec!["reach".into(), "saved".into()]))
        );
        let mixed = col("metric")
            .eq(lit("reach"))
            .or(col("period").eq(lit("day")));
        assert_eq!(one(ReportKind::UserInsights, mixed).0, Unsupported);
        let eq = col("metric").eq(lit("reach"));
        let p = push_filters(ReportKind::UserInsights, &[&e, &eq]);
        assert_eq!(p.classes, vec![Exact, Exact]);
        assert_eq!(p.params.metrics, Some(vec!["reach".to_string()]));
        assert!(!p.params.contradiction);
        let other = col("metric").eq(lit("profile_views"));
        let p = push_filters(ReportKind::UserInsights, &[&e, &other]);
        assert!(p.params.contradiction);
        assert_eq!(
            one(ReportKind::UserMedia, col("metric").eq(lit("reach"))).0,
            Unsupported
        );
    }

    #[test]
    fn conflicting_equalities_make_an_empty_scan() {
        let a = col("hashtag").eq(lit("a"));
        let b = col("hashtag").eq(lit("b"));
        let p = push_filters(ReportKind::HashtagRecentMedia, &[&a, &b]);
        assert_eq!(p.classes, vec![Exact, Exact]);
        assert!(p.params.contradiction);
        let p = push_filters(ReportKind::HashtagRecentMedia, &[&a, &a]);
        assert!(!p.params.contradiction);
    }

    #[test]
    fn time_ranges_are_inexact_whole_days() {
        let r = ReportKind::UserMedia;
        let (c, p) = one(r, col("timestamp").gt_eq(ts_lit("2024-01-01")));
        assert_eq!(
            (c, p.date_from, p.date_to),
            (Inexact, Some(d("2024-01-01")), None)
        );
        let (c, p) = one(r, col("timestamp").gt(ts_lit("2024-01-01T12:00:00Z")));
        assert_eq!((c, p.date_from), (Inexact, Some(d("2024-01-01"))));
        let (_, p) = one(r, col("timestamp").lt(ts_lit("2024-02-01")));
        assert_eq!(p.date_to, Some(d("2024-01-31")));
        let (_, p) = one(r, col("timestamp").lt_eq(ts_lit("2024-02-01")));
        assert_eq!(p.date_to, Some(d("2024-02-01")));
        let (_, p) = one(r, col("timestamp").lt(ts_lit("2024-02-01T00:00:01Z")));
        assert_eq!(p.date_to, Some(d("2024-02-01")));
        // literal on the left
        let (_, p) = one(r, ts_lit("2024-02-01").gt(col("timestamp")));
        assert_eq!(p.date_to, Some(d("2024-01-31")));
        // plain string, date, nanosecond literals
        let (c, p) = one(r, col("timestamp").gt_eq(lit("2024-03-05")));
        assert_eq!((c, p.date_from), (Inexact, Some(d("2024-03-05"))));
        let date = lit(ScalarValue::Date32(Some(19_723))); // 2024-01-01
        let (_, p) = one(r, col("timestamp").gt_eq(date));
        assert_eq!(p.date_from, Some(d("2024-01-01")));
        let ns = lit(ScalarValue::TimestampNanosecond(
            Some(1_704_067_200_000_000_001),
            Some("UTC".into()),
        ));
        let (_, p) = one(r, col("timestamp").lt(ns));
        assert_eq!(p.date_to, Some(d("2024-01-01")));
        let between =
            col("timestamp").between(ts_lit("2024-01-01"), ts_lit("2024-01-31T23:59:59Z"));
        let (c, p) = one(r, between);
        assert_eq!(
            (c, p.date_from, p.date_to),
            (Inexact, Some(d("2024-01-01")), Some(d("2024-01-31")))
        );
        let not_between = col("timestamp").not_between(ts_lit("2024-01-01"), ts_lit("2024-01-31"));
        assert_eq!(one(r, not_between).0, Unsupported);
        let (c, p) = one(r, col("timestamp").eq(ts_lit("2024-01-05T10:00:00Z")));
        assert_eq!(
            (c, p.date_from, p.date_to),
            (Inexact, Some(d("2024-01-05")), Some(d("2024-01-05")))
        );
        assert_eq!(
            one(r, col("timestamp").not_eq(ts_lit("2024-01-05"))).0,
            Unsupported
        );
        // a cast column (date of the timestamp)
        let cast_col = Expr::Cast(Cast::new(Box::new(col("timestamp")), DataType::Date32));
        let (c, p) = one(r, cast_col.gt_eq(lit(ScalarValue::Date32(Some(19_723)))));
        assert_eq!((c, p.date_from), (Inexact, Some(d("2024-01-01"))));
        // ranges combine; an empty range is a contradiction
        let a = col("timestamp").gt_eq(ts_lit("2024-01-01"));
        let b = col("timestamp").gt_eq(ts_lit("2024-01-10"));
        let z = col("timestamp").lt(ts_lit("2024-01-05"));
        let p = push_filters(r, &[&a, &b]);
        assert_eq!(p.params.date_from, Some(d("2024-01-10")));
        assert!(p.any_inexact());
        assert!(push_filters(r, &[&b, &z]).params.contradiction);
    }

    #[test]
    fn ranges_only_where_the_report_takes_dates() {
        let e = col("timestamp").gt_eq(ts_lit("2024-01-01"));
        assert_eq!(one(ReportKind::OtherUsersMedia, e.clone()).0, Inexact);
        for r in [
            ReportKind::UserStories,
            ReportKind::HashtagRecentMedia,
            ReportKind::HashtagTopMedia,
            ReportKind::MediaComments,
        ] {
            assert_eq!(one(r, e.clone()).0, Unsupported, "{r}");
        }
        let e = col("end_time").gt_eq(ts_lit("2024-01-01"));
        assert_eq!(one(ReportKind::UserInsights, e.clone()).0, Inexact);
        assert_eq!(one(ReportKind::MediaInsights, e).0, Unsupported);
        // other columns, other expressions
        assert_eq!(
            one(ReportKind::UserMedia, col("like_count").gt(lit(5))).0,
            Unsupported
        );
        assert_eq!(
            one(ReportKind::UserMedia, col("media_type").eq(lit("IMAGE"))).0,
            Unsupported
        );
        let p = push_filters(ReportKind::UserMedia, &[]);
        assert!(p.classes.is_empty());
        assert_eq!(p.params, GraphParams::default());
    }
}

#[cfg(test)]
mod properties {
    //! Arbitrary `WHERE` values through classification and conversion: parameters or "not pushed",
    //! never a panic.
    use super::*;
    use datafusion::logical_expr::{Cast, col, lit};
    use proptest::prelude::*;

    fn any_scalar() -> impl Strategy<Value = ScalarValue> {
        let edge = prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(i64::MIN + 1),
            Just(i64::MAX - 1),
            Just(0i64),
            Just(-8_334_600_451_200i64),
            Just(8_210_298_412_799i64),
            any::<i64>(),
        ];
        let tz = prop_oneof![
            Just(None),
            Just(Some("UTC".into())),
            Just(Some("+05:30".into()))
        ];
        prop_oneof![
            (edge.clone(), tz.clone())
                .prop_map(|(v, tz)| ScalarValue::TimestampSecond(Some(v), tz)),
            (edge.clone(), tz.clone())
                .prop_map(|(v, tz)| ScalarValue::TimestampMillisecond(Some(v), tz)),
            (edge.clone(), tz.clone())
                .prop_map(|(v, tz)| ScalarValue::TimestampMicrosecond(Some(v), tz)),
            (edge.clone(), tz).prop_map(|(v, tz)| ScalarValue::TimestampNanosecond(Some(v), tz)),
            prop_oneof![Just(i32::MIN), Just(i32::MAX), Just(0), any::<i32>()]
                .prop_map(|d| ScalarValue::Date32(Some(d))),
            edge.clone().prop_map(|d| ScalarValue::Date64(Some(d))),
            edge.prop_map(|v| ScalarValue::Int64(Some(v))),
            prop_oneof![
                Just("1900-01-01".to_string()),
                Just("262143-12-31".to_string()),
                Just("-262143-01-01T00:00:00Z".to_string()),
                Just("9999-12-31T23:59:59.999999999Z".to_string()),
                Just("2024-02-30".to_string()),
                "[0-9:TZ. +-]{0,32}",
                ".{0,16}",
            ]
            .prop_map(|s| ScalarValue::Utf8(Some(s))),
            Just(ScalarValue::Null),
        ]
    }

    fn casts(v: ScalarValue) -> Vec<Expr> {
        let mut out = vec![lit(v.clone())];
        for t in [
            DataType::Timestamp(TimeUnit::Second, None),
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            DataType::Timestamp(TimeUnit::Millisecond, None),
            DataType::Date32,
            DataType::Date64,
        ] {
            out.push(Expr::Cast(Cast::new(Box::new(lit(v.clone())), t)));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn any_value_in_any_filter_pushes_or_not_without_panic(
            a in any_scalar(),
            b in any_scalar(),
            report in 0usize..ReportKind::ALL.len(),
        ) {
            let report = ReportKind::ALL[report];
            for column in ["timestamp", "end_time", "hashtag", "ig_user_id", "metric", "period"] {
                for x in casts(a.clone()) {
                    for y in casts(b.clone()) {
                        let filters = [
                            col(column).gt_eq(x.clone()),
                            col(column).lt(y.clone()),
                            col(column).lt_eq(x.clone()),
                            col(column).gt(y.clone()),
                            col(column).eq(x.clone()),
                            x.clone().lt(col(column)),
                            col(column).between(x.clone(), y.clone()),
                            Expr::Cast(Cast::new(Box::new(col(column)), DataType::Date32))
                                .gt_eq(y.clone()),
                        ];
                        let refs: Vec<&Expr> = filters.iter().collect();
                        let p = push_filters(report, &refs);
                        prop_assert_eq!(p.classes.len(), filters.len());
                        if let (Some(f), Some(t)) = (p.params.date_from, p.params.date_to) {
                            prop_assert!(f <= t || p.params.contradiction);
                        }
                    }
                }
            }
        }
    }
}
