//! The insights keys (`metrics`, `period`, `metric_type`, `breakdown`, `timeframe`) checked against the
//! metric catalog of the version that answers ([`Catalog::of`]), into [`UserInsightsParams`] and
//! [`MediaInsightsParams`]. Each refusal names the key and lists what that version accepts. A metric the
//! version removed is left out of the run (its removal is kept in the params, for the plan to name the
//! replacement); a ticket that asks for nothing but removed metrics is refused.

use chrono::Duration;

use super::params::{Keys, MediaInsightsParams, UserInsightsParams};
use super::{DateRange, TicketError, dedup, invalid, short};
use crate::reports::catalog::{
    Catalog, GraphVersion, MediaKind, MetricType, Period, Removed, Timeframe, UserMetric,
    media_metric_since, user_metric_since,
};

impl Keys<'_> {
    /// `user_insights`: the period (default `day`), its metrics (default: all of the period that take the
    /// metric type, breakdown and timeframe), and the range (default: the last 30 days ending yesterday).
    pub fn user_insights(&self) -> Result<UserInsightsParams, TicketError> {
        let (version, today) = (self.version, self.today);
        let cat = Catalog::of(version);
        let ask = Ask {
            cat,
            version,
            period: self.period.unwrap_or(Period::Day),
            metric_type: self.metric_type.unwrap_or_default(),
            breakdown: self.breakdown.as_deref(),
            timeframe: self.timeframe,
        };
        ask.check_breakdown()?;
        let (metrics, removed) = if self.t.metrics.is_empty() {
            (ask.default_metrics()?, Vec::new())
        } else {
            ask.asked_metrics(&dedup(&self.t.metrics))?
        };
        let defs: Vec<&UserMetric> = metrics.iter().filter_map(|m| cat.user_metric(m)).collect();
        if let Some(tf) = self.timeframe
            && !defs.iter().any(|m| m.demographic())
        {
            let demographics: Vec<&str> = cat
                .user
                .iter()
                .filter(|m| m.demographic())
                .map(|m| m.name)
                .collect();
            let which = if demographics.is_empty() {
                format!("{version} has none")
            } else {
                format!("in {version}: {}", demographics.join(", "))
            };
            return Err(invalid(
                "timeframe",
                format!(
                    "key `timeframe` (`{tf}`) applies to the demographic metrics of period lifetime only; {which}"
                ),
            ));
        }
        let dates = self.dates.unwrap_or(DateRange {
            from: today - Duration::days(30),
            to: today - Duration::days(1),
        });
        // The Graph API refuses a range reaching back past a metric's retention (follower_count: 30
        // days): refuse it here, without a call.
        for m in &defs {
            let shape = m.shape_for(ask.metric_type, ask.breakdown.is_some());
            if let (Some(days), true) = (m.retention_days, shape.is_some_and(|s| s.ranged()))
                && dates.from < today - Duration::days(i64::from(days))
            {
                return Err(invalid(
                    "metrics",
                    format!(
                        "metric `{}` only has data for the last {days} days (from {}) in {version}; \
                         narrow the date range or leave {} out of `metrics`",
                        m.name,
                        today - Duration::days(i64::from(days)),
                        m.name
                    ),
                ));
            }
        }
        Ok(UserInsightsParams {
            metrics,
            period: ask.period,
            dates,
            metric_type: ask.metric_type,
            breakdown: self.breakdown.clone(),
            timeframe: self.timeframe,
            version,
            removed,
        })
    }

    /// `media_insights`: period `lifetime`, and the metrics that fit the media type and the breakdown.
    pub fn media_insights(&self) -> Result<MediaInsightsParams, TicketError> {
        if let Some(p) = self.period
            && p != Period::Lifetime
        {
            return Err(invalid(
                "period",
                format!("period `{p}` does not apply to media insights; accepted: lifetime"),
            ));
        }
        let version = self.version;
        let cat = Catalog::of(version);
        let breakdown = self.breakdown.as_deref();
        if let Some(b) = breakdown {
            known_breakdown(b, &cat.media_breakdown_keys(), "media insights", version)?;
        }
        let (metrics, removed) = if self.t.metrics.is_empty() {
            let metrics = match self.media_type {
                None => Vec::new(),
                Some(k) => {
                    let fit = kind_metrics(cat, k, breakdown);
                    if fit.is_empty() {
                        return Err(invalid(
                            "breakdown",
                            format!(
                                "no {} metric takes breakdown `{}` in {version}; media metrics that take it: {}",
                                k.name(),
                                breakdown.unwrap_or_default(),
                                taking_breakdown(cat, breakdown.unwrap_or_default()).join(", ")
                            ),
                        ));
                    }
                    fit
                }
            };
            (metrics, Vec::new())
        } else {
            self.asked_media_metrics(cat, breakdown)?
        };
        Ok(MediaInsightsParams {
            metrics,
            media_type: self.media_type,
            media: self.media_items.clone(),
            breakdown: self.breakdown.clone(),
            version,
            removed,
        })
    }

    /// The media metrics a ticket names, each known to the version, fitting the media type and the
    /// breakdown; the removed ones apart.
    fn asked_media_metrics(
        &self,
        cat: &Catalog,
        breakdown: Option<&str>,
    ) -> Result<(Vec<String>, Vec<Removed>), TicketError> {
        let version = self.version;
        let all = cat.all_media_metrics();
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        for m in dedup(&self.t.metrics) {
            if !all.contains(&m.as_str()) {
                match cat.removed_media(&m) {
                    Some(r) => removed.push(*r),
                    None => {
                        let since = media_metric_since(&m).map(|e| e.since());
                        return Err(unknown_metric(&m, &all, version, since));
                    }
                }
                continue;
            }
            if let Some(k) = self.media_type
                && !cat.media_metrics(k).contains(&m.as_str())
            {
                return Err(invalid(
                    "metrics",
                    format!(
                        "metric `{m}` does not fit media type `{}`; metrics of {} in {version}: {}",
                        k.name(),
                        k.name(),
                        cat.media_metrics(k).join(", ")
                    ),
                ));
            }
            if let Some(b) = breakdown
                && !cat.media_takes_breakdown(&m, b)
            {
                return Err(invalid(
                    "breakdown",
                    format!(
                        "metric `{m}` does not take breakdown `{b}` in {version}; media metrics that take it: {}",
                        taking_breakdown(cat, b).join(", ")
                    ),
                ));
            }
            kept.push(m);
        }
        if kept.is_empty() {
            return Err(all_removed(&removed, version, &all, |m| {
                cat.media_replacement(m)
            }));
        }
        Ok((kept, removed))
    }
}

/// What a `user_insights` ticket asks of the catalog.
struct Ask<'a> {
    cat: &'static Catalog,
    version: GraphVersion,
    period: Period,
    metric_type: MetricType,
    breakdown: Option<&'a str>,
    timeframe: Option<Timeframe>,
}

impl Ask<'_> {
    /// The breakdown's keys are keys of the version, and a breakdown is not asked of a time series.
    fn check_breakdown(&self) -> Result<(), TicketError> {
        let Some(b) = self.breakdown else {
            return Ok(());
        };
        known_breakdown(
            b,
            &self.cat.user_breakdown_keys(),
            "user insights",
            self.version,
        )?;
        if self.metric_type == MetricType::TimeSeries {
            return Err(invalid(
                "breakdown",
                "a breakdown only exists on total values: drop `breakdown`, or ask `metric_type` total_value",
            ));
        }
        Ok(())
    }

    /// Whether a metric of the catalog can be asked by this ticket.
    fn fits(&self, m: &UserMetric) -> bool {
        m.periods.contains(&self.period)
            && m.shape_for(self.metric_type, self.breakdown.is_some())
                .is_some()
            && self.breakdown.is_none_or(|b| m.takes_breakdown(b))
            && (!m.demographic() || self.timeframe.is_none_or(|t| m.timeframes.contains(&t)))
    }

    /// What the ticket asks besides the period, for messages (`metric_type total_value, breakdown
    /// city`).
    fn asking(&self) -> String {
        let mut parts = Vec::new();
        if self.metric_type != MetricType::Default {
            parts.push(format!("metric_type `{}`", self.metric_type));
        }
        if let Some(b) = self.breakdown {
            parts.push(format!("breakdown `{b}`"));
        }
        if let Some(t) = self.timeframe {
            parts.push(format!("timeframe `{t}`"));
        }
        parts.join(" and ")
    }

    /// Every metric of the period that fits; a refusal naming what does not when none does.
    fn default_metrics(&self) -> Result<Vec<String>, TicketError> {
        let metrics: Vec<String> = self
            .cat
            .user
            .iter()
            .filter(|m| self.fits(m))
            .map(|m| m.name.to_string())
            .collect();
        if metrics.is_empty() {
            let key = if self.breakdown.is_some() {
                "breakdown"
            } else if self.metric_type != MetricType::Default {
                "metric_type"
            } else {
                "timeframe"
            };
            let (period, version) = (self.period, self.version);
            // where the breakdown is taken, if another period has it
            let elsewhere: Vec<String> = self
                .cat
                .user
                .iter()
                .filter(|m| self.breakdown.is_some_and(|b| m.takes_breakdown(b)))
                .map(|m| format!("{} ({})", m.name, m.periods[0]))
                .collect();
            let hint = if elsewhere.is_empty() {
                String::new()
            } else {
                format!(
                    "; metrics that take the breakdown: {}",
                    elsewhere.join(", ")
                )
            };
            return Err(invalid(
                key,
                format!(
                    "no metric of period `{period}` takes {} in {version}; metrics of period {period}: {}{hint}",
                    self.asking(),
                    self.cat.user_metrics(period).join(", ")
                ),
            ));
        }
        Ok(metrics)
    }

    /// The metrics a ticket names, each known to the version and fitting the ticket; the removed ones
    /// apart.
    fn asked_metrics(&self, asked: &[String]) -> Result<(Vec<String>, Vec<Removed>), TicketError> {
        let (cat, version, period) = (self.cat, self.version, self.period);
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        for m in asked {
            let Some(def) = cat.user_metric(m) else {
                match cat.removed_user(m) {
                    Some(r) => removed.push(*r),
                    None => {
                        let since = user_metric_since(m).map(|e| e.since());
                        return Err(unknown_metric(m, &cat.all_user_metrics(), version, since));
                    }
                }
                continue;
            };
            if !def.periods.contains(&period) {
                return Err(invalid(
                    "metrics",
                    format!(
                        "metric `{m}` does not fit period `{period}`; metrics of period {period}: {}",
                        cat.user_metrics(period).join(", ")
                    ),
                ));
            }
            self.check_metric(def)?;
            kept.push(m.clone());
        }
        if kept.is_empty() {
            return Err(all_removed(
                &removed,
                version,
                &cat.all_user_metrics(),
                |m| cat.user_replacement(m),
            ));
        }
        Ok((kept, removed))
    }

    /// One named metric of the period takes the metric type, the breakdown and the timeframe.
    fn check_metric(&self, def: &UserMetric) -> Result<(), TicketError> {
        let (m, version, period) = (def.name, self.version, self.period);
        let taking = |pred: &dyn Fn(&UserMetric) -> bool| -> String {
            let v: Vec<&str> = self
                .cat
                .user
                .iter()
                .filter(|x| x.periods.contains(&period) && pred(x))
                .map(|x| x.name)
                .collect();
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let metric_type = self.metric_type;
        if def.shape_for(metric_type, false).is_none() {
            return Err(invalid(
                "metric_type",
                format!(
                    "metric `{m}` does not take metric_type `{metric_type}` in {version}; metrics of period {period} that take it: {}",
                    taking(&|x| x.shape_for(metric_type, false).is_some())
                ),
            ));
        }
        if let Some(b) = self.breakdown
            && !(def.takes_breakdown(b) && def.shape_for(metric_type, true).is_some())
        {
            let own = if def.breakdowns.is_empty() {
                "it takes no breakdown".to_string()
            } else {
                format!("it takes: {}", def.breakdowns.join(", "))
            };
            return Err(invalid(
                "breakdown",
                format!(
                    "metric `{m}` does not take breakdown `{b}` in {version} ({own}); metrics of period {period} that take it: {}",
                    taking(&|x| x.takes_breakdown(b) && x.shape_for(metric_type, true).is_some())
                ),
            ));
        }
        if let Some(t) = self.timeframe
            && def.demographic()
            && !def.timeframes.contains(&t)
        {
            return Err(invalid(
                "timeframe",
                format!(
                    "metric `{m}` does not take timeframe `{t}` in {version}; accepted: {}",
                    def.timeframes
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// A breakdown whose keys are all keys of the version (for user or media insights).
fn known_breakdown(
    b: &str,
    keys: &[&str],
    what: &str,
    version: GraphVersion,
) -> Result<(), TicketError> {
    let Some(unknown) = b.split(',').find(|k| !keys.contains(k)) else {
        return Ok(());
    };
    let accepted = if keys.is_empty() {
        format!("{version} takes no breakdown on {what}")
    } else {
        format!("accepted in {version}: {}", keys.join(", "))
    };
    Err(invalid(
        "breakdown",
        format!(
            "unknown breakdown `{}` for {what}; {accepted}",
            short(unknown)
        ),
    ))
}

/// The metrics of a media kind that take `breakdown` (all of them without one).
fn kind_metrics(cat: &Catalog, kind: MediaKind, breakdown: Option<&str>) -> Vec<String> {
    cat.media_metrics(kind)
        .iter()
        .filter(|m| breakdown.is_none_or(|b| cat.media_takes_breakdown(m, b)))
        .map(|m| m.to_string())
        .collect()
}

/// The media metrics that take `breakdown`.
fn taking_breakdown(cat: &Catalog, breakdown: &str) -> Vec<&'static str> {
    cat.all_media_metrics()
        .into_iter()
        .filter(|m| cat.media_takes_breakdown(m, breakdown))
        .collect()
}

/// A metric the version does not know (nor removed): the refusal lists the version's metrics, and says
/// which later version brought it.
fn unknown_metric(
    m: &str,
    all: &[&str],
    version: GraphVersion,
    since: Option<GraphVersion>,
) -> TicketError {
    let hint = match since {
        Some(s) if s > version => format!(" (it came with {s})"),
        _ => String::new(),
    };
    invalid(
        "metrics",
        format!(
            "unknown metric `{}` in {version}{hint}; accepted: {}",
            short(m),
            all.join(", ")
        ),
    )
}

/// The refusal of a ticket that asks for nothing but metrics the version removed.
fn all_removed(
    removed: &[Removed],
    version: GraphVersion,
    all: &[&str],
    replacement: impl Fn(&str) -> Option<&'static str>,
) -> TicketError {
    let gone: Vec<String> = removed
        .iter()
        .map(|r| match replacement(r.metric) {
            Some(n) => format!("`{}` (removed in {}; use {n})", r.metric, r.since),
            None => format!("`{}` (removed in {}; no replacement)", r.metric, r.since),
        })
        .collect();
    invalid(
        "metrics",
        format!(
            "every metric asked was removed by {version}: {}; accepted: {}",
            gone.join(", "),
            all.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests;
