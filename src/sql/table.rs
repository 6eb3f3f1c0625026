//! `ReportTable`: one report as a DataFusion table, with its parameters pushed down from `WHERE`.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

use super::exec::{ReportExec, external};
use super::pushdown::{Pushdown, push_filters};
use crate::error::ReportError;
use crate::plan::ReportContext;
use crate::reports::catalog::ReportKind;
use crate::reports::schema::report_schema;
use crate::ticket::{ReportRequest, TicketError, proto::ReportTicket, validate};

/// The first day a media range without a lower bound starts from (Instagram's launch): a range given only
/// an upper bound must stay a superset of the rows asked for.
pub const EARLIEST_MEDIA_DAY: (i32, u32, u32) = (2010, 10, 6);

/// The window of days a pushed range may name: the ticket's (2010-01-01 to a year from `today`, which it
/// refuses past): no report has rows outside it, so a range reaching further is clamped to it.
pub fn pushed_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = crate::ticket::MIN_DATE;
    (first, crate::ticket::max_date(today).max(first))
}

/// One report as a table. Its schema is the report's full schema (CONTRACT §4).
#[derive(Debug)]
pub struct ReportTable {
    report: ReportKind,
    reports: Arc<ReportContext>,
    default_account: Option<String>,
    schema: SchemaRef,
}

impl ReportTable {
    /// The table of `report`. `default_account` is used when no `ig_user_id` (or `id` on `user`)
    /// equality names one, for reports that take an account.
    pub fn new(
        report: ReportKind,
        reports: Arc<ReportContext>,
        default_account: Option<String>,
    ) -> Self {
        ReportTable {
            report,
            reports,
            default_account,
            schema: report_schema(report),
        }
    }

    /// The report.
    pub fn report(&self) -> ReportKind {
        self.report
    }

    /// The validated request a scan with these filters, projection and limit runs (`None`: the filters
    /// contradict each other, no row can match). A missing required parameter is refused with the
    /// `WHERE` clause to add; any other refusal is the ticket's own (it names the key).
    pub fn request(
        &self,
        filters: &[&Expr],
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<Option<ReportRequest>, ReportError> {
        let pd = push_filters(self.report, filters);
        let Some(t) = self.ticket_from(&pd, projection, limit)? else {
            return Ok(None);
        };
        // without a call; the run checks it again once the answering version is known
        // (ReportExec: ReportContext::final_request)
        let today = self.reports.today();
        Ok(Some(
            self.reports.check_now(|v| validate(t.clone(), today, v))?,
        ))
    }

    /// The ticket a scan with these filters, projection and limit asks (`None`: the filters contradict
    /// each other, no row can match).
    fn ticket_from(
        &self,
        pd: &Pushdown,
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<Option<ReportTicket>, ReportError> {
        let report = self.report;
        let p = &pd.params;
        for key in report.required() {
            let present = match *key {
                "hashtag" => p.hashtag.is_some(),
                "username" => p.username.is_some(),
                "media_id" => p.media_id.is_some(),
                _ => true,
            };
            if !present {
                return Err(ReportError::Ticket(missing(report, key)));
            }
        }
        if p.contradiction {
            return Ok(None);
        }
        let accepts = |k: &str| report.accepted().contains(&k);
        let today = self.reports.today();
        let mut t = ReportTicket {
            report: report.name().to_string(),
            ..Default::default()
        };
        if accepts("account") {
            t.account = p.account.clone().or_else(|| self.default_account.clone());
        }
        t.hashtag = p.hashtag.clone();
        t.username = p.username.clone();
        t.media_id = p.media_id.clone();
        if report == ReportKind::MediaInsights && p.media_id.is_some() {
            t.media_items = Some("single".into());
        }
        t.period = p.period.clone();
        if accepts("breakdown") {
            t.breakdown = p.breakdown.clone();
        }
        t.metrics = p.metrics.clone().unwrap_or_default();
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        // Rows only exist inside the window the ticket accepts: a bound outside it is clamped to its
        // edge (DataFusion re-applies the exact filter: ranges are Inexact), and a range wholly
        // outside it matches no row.
        let (first, last) = pushed_window(today);
        let range = match (p.date_from, p.date_to) {
            (None, None) => None,
            (Some(f), to) => Some((f, to.unwrap_or_else(|| f.max(today)))),
            (None, Some(to)) => {
                let from = if report != ReportKind::UserInsights {
                    let (y, m, d) = EARLIEST_MEDIA_DAY;
                    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(to).min(to)
                } else {
                    // insights: the report's default window, the 30 days ending at the upper bound
                    to.checked_sub_days(Days::new(29)).unwrap_or(first)
                };
                Some((from, to))
            }
        };
        if let Some((from, to)) = range {
            let (from, to) = (from.max(first), to.min(last));
            if from > to {
                return Ok(None);
            }
            t.date_from = Some(day(from));
            t.date_to = Some(day(to));
        }
        let names: Vec<String> = match projection {
            None => Vec::new(),
            Some(idx) if idx.is_empty() => vec![self.schema.field(0).name().clone()],
            Some(idx) => {
                let mut v: Vec<String> = Vec::new();
                for i in idx {
                    let n = self.schema.field(*i).name().clone();
                    if !v.contains(&n) {
                        v.push(n);
                    }
                }
                v
            }
        };
        t.fields = names;
        if let Some(l) = limit
            && !pd.any_inexact()
            && l > 0
            && accepts("limit")
        {
            t.limit = Some(l as i64);
        }
        Ok(Some(t))
    }
}

/// The refusal of a query without a required parameter: it shows the `WHERE` clause to add.
fn missing(report: ReportKind, key: &str) -> TicketError {
    let what = match key {
        "media_id" => "media id",
        other => other,
    };
    TicketError::Invalid {
        key: key.to_string(),
        message: format!("report {report} needs a {what}: add WHERE {key} = '…'"),
    }
}

#[async_trait]
impl TableProvider for ReportTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(push_filters(self.report, filters).classes)
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let refs: Vec<&Expr> = filters.iter().collect();
        let request = self.request(&refs, projection, limit).map_err(external)?;
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        Ok(Arc::new(ReportExec::new(
            self.reports.clone(),
            self.report,
            request,
            schema,
        )))
    }
}
