//! Metrics left out of an insights run, and why: removed by the version before the run (the catalog
//! knew), or refused by the Graph API during it ([`MetricRefusal`]). Either way the rest of the report
//! is kept and the metric is named, with the changelog's replacement, in the run summary
//! ([`RunSummary::drop_metric`]) and the log.

use super::{DroppedMetric, ReportContext, RunSummary};
use crate::error::ReportError;
use crate::graph::{MetricRefusal, metric_refusal};
use crate::reports::catalog::{Catalog, Era, Removed};
use crate::ticket::invalid;

/// Whose metric: a user metric (`user_insights`) or a media metric (`media_insights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    User,
    Media,
}

impl Owner {
    /// The newest catalog's record of the metric's removal (the changelog: since when, and what
    /// replaces it), whatever version answers.
    fn removal(self, metric: &str) -> Option<&'static Removed> {
        let newest = Catalog::of_era(Era::NEWEST);
        match self {
            Owner::User => newest.removed_user(metric),
            Owner::Media => newest.removed_media(metric),
        }
    }

    fn replacement(self, metric: &str) -> Option<&'static str> {
        let newest = Catalog::of_era(Era::NEWEST);
        match self {
            Owner::User => newest.user_replacement(metric),
            Owner::Media => newest.media_replacement(metric),
        }
    }
}

/// Name the metrics the version removed (left out of the run at validation) in the summary.
pub(crate) fn note_removed(summary: &RunSummary, removed: &[Removed], owner: Owner, scope: &str) {
    for r in removed {
        summary.drop_metric(DroppedMetric {
            metric: r.metric.to_string(),
            replacement: owner.replacement(r.metric).map(str::to_string),
            scope: scope.to_string(),
            reason: format!("removed in {}", r.since),
        });
    }
}

/// The metrics of `sent` a Graph error refuses, with the refusal; `None` when the error is not a
/// metric refusal or names none of them (it then stays the run's error).
pub(crate) fn refused(e: &ReportError, sent: &[String]) -> Option<(Vec<String>, MetricRefusal)> {
    let ReportError::Graph(g) = e else {
        return None;
    };
    let refusal = metric_refusal(g)?;
    let metrics: Vec<String> = refusal
        .refused(sent)
        .into_iter()
        .map(str::to_string)
        .collect();
    (!metrics.is_empty()).then_some((metrics, refusal))
}

/// Note metrics the Graph API refused for `scope` (a media kind, a period, or `all`): in the summary,
/// with their replacement; a refusal that holds for the whole version teaches the connection the
/// catalog that removed them ([`ReportContext::learn_removed`]), so later runs leave them out without
/// a call.
pub(crate) fn note_refused(
    ctx: &ReportContext,
    summary: &RunSummary,
    metrics: &[String],
    refusal: &MetricRefusal,
    owner: Owner,
    scope: &str,
) {
    let served = ctx.graph.api_version();
    for m in metrics {
        let removal = owner.removal(m);
        if refusal.version_wide()
            && let Some(r) = removal
        {
            ctx.learn_removed(r.since);
        }
        let why = match refusal {
            MetricRefusal::NotOneOf { .. } => format!("the Graph API ({served}) does not serve it"),
            MetricRefusal::NoLongerSupported { .. } => {
                format!("no longer supported by the Graph API ({served})")
            }
            MetricRefusal::ProductType { .. } => {
                "the Graph API does not support it for this media product type".to_string()
            }
            MetricRefusal::Incompatible { .. } => {
                "the Graph API finds it incompatible with this media".to_string()
            }
        };
        let reason = match removal {
            Some(r) => format!("{why}; removed in {}", r.since),
            None => why,
        };
        summary.drop_metric(DroppedMetric {
            metric: m.clone(),
            replacement: owner.replacement(m).map(str::to_string),
            scope: scope.to_string(),
            reason,
        });
    }
}

/// Note media metrics left out of `scope` (a media kind) because the Graph API refused them for this
/// account's media of that kind in an earlier run on this connection.
pub(crate) fn note_refused_before(summary: &RunSummary, metrics: &[String], scope: &str) {
    for m in metrics {
        summary.drop_metric(DroppedMetric {
            metric: m.clone(),
            replacement: Owner::Media.replacement(m).map(str::to_string),
            scope: scope.to_string(),
            reason: format!(
                "the Graph API refused it for this account's {scope} media in an earlier run"
            ),
        });
    }
}

/// The run's error when the Graph API refused every metric asked: INVALID_ARGUMENT naming them and
/// what the answering version accepts (its `must be one of` list when it sent one, else the catalog).
pub(crate) fn all_refused(
    ctx: &ReportContext,
    summary: &RunSummary,
    accepted: Option<&[String]>,
    owner: Owner,
) -> ReportError {
    let dropped: Vec<String> = summary
        .dropped_metrics()
        .into_iter()
        .map(|d| d.metric)
        .collect();
    let version = ctx.api_version();
    let cat = Catalog::of(version);
    let accepted = match (accepted, owner) {
        (Some(a), _) => a.join(", "),
        (None, Owner::User) => cat.all_user_metrics().join(", "),
        (None, Owner::Media) => cat.all_media_metrics().join(", "),
    };
    ReportError::Ticket(invalid(
        "metrics",
        format!(
            "the Graph API ({}) refused every metric asked ({}); it accepts: {accepted}",
            ctx.graph.api_version(),
            dropped.join(", ")
        ),
    ))
}
