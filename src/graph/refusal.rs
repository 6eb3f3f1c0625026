//! The Graph API's refusals of an insights metric, read from the error message (reference §5.3, §5.6).
//!
//! The Graph API says which metric it refuses only in the text of a `(#100)` error; igflight reads the
//! four texts it sends, so a report can drop the metric and keep the rest:
//!
//! | text | [`MetricRefusal`] |
//! |------|-------------------|
//! | `(#100) metric[2] must be one of the following values: reach, replies, …` | [`NotOneOf`](MetricRefusal::NotOneOf) |
//! | `The Media Insights API does not support the views metric for this media product type.` | [`ProductType`](MetricRefusal::ProductType) |
//! | `Starting from version 22 and above, the impressions metric is no longer supported …` | [`NoLongerSupported`](MetricRefusal::NoLongerSupported) |
//! | `Incompatible metric (total_interactions) with the media` | [`Incompatible`](MetricRefusal::Incompatible) |
//!
//! The text comes from outside: every name taken from it is checked to be a metric name (lower-case
//! letters, digits, `_`, at most [`MAX_METRIC_NAME`] bytes), the list holds at most
//! [`MAX_ACCEPTED`] names, and anything else is not a refusal (the error then stays an error).

use super::error::GraphError;

/// Longest metric name read from a refusal.
pub const MAX_METRIC_NAME: usize = 64;
/// Most names read from a `must be one of` list.
pub const MAX_ACCEPTED: usize = 200;

/// What a Graph API refusal of a metric says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricRefusal {
    /// `metric[index] must be one of the following values: …`: the metric at `index` of the request's
    /// `metric` list is not served; `accepted` is what the version serves (for any media or period).
    NotOneOf {
        /// Index into the request's metric list.
        index: usize,
        /// The metrics the answering version accepts.
        accepted: Vec<String>,
        /// Whether `accepted` is the whole list (a message cut short holds only its start).
        complete: bool,
    },
    /// `… does not support the {metric} metric for this media product type.`
    ProductType {
        /// The refused metric.
        metric: String,
    },
    /// `Starting from version 22 and above, the {metric} metric is no longer supported …`
    NoLongerSupported {
        /// The refused metric.
        metric: String,
    },
    /// `Incompatible metric ({metric}) with the media`
    Incompatible {
        /// The refused metric.
        metric: String,
    },
}

impl MetricRefusal {
    /// The refused metric, given the `metric` list the request sent (`None` when the index is past it).
    pub fn metric<'a>(&'a self, sent: &'a [String]) -> Option<&'a str> {
        match self {
            Self::NotOneOf { index, .. } => sent.get(*index).map(String::as_str),
            Self::ProductType { metric }
            | Self::NoLongerSupported { metric }
            | Self::Incompatible { metric } => Some(metric),
        }
    }

    /// The metrics of `sent` this refusal rules out: every one missing from a `must be one of` list
    /// (one call learns them all), else the one named (none when it names a metric not sent).
    pub fn refused<'a>(&'a self, sent: &'a [String]) -> Vec<&'a str> {
        match self {
            // an index past the sent list: the text is not about this call
            Self::NotOneOf { index, .. } if *index >= sent.len() => Vec::new(),
            Self::NotOneOf {
                accepted,
                complete: true,
                ..
            } => {
                let mut out: Vec<&str> = sent
                    .iter()
                    .filter(|m| !accepted.contains(m))
                    .map(String::as_str)
                    .collect();
                if out.is_empty() {
                    out.extend(self.metric(sent));
                }
                out
            }
            _ => self
                .metric(sent)
                .filter(|m| sent.iter().any(|s| s == m))
                .into_iter()
                .collect(),
        }
    }

    /// Whether the refusal holds for every media and period of the version (a `must be one of` list, a
    /// removal by version), not only for the media kind asked.
    pub fn version_wide(&self) -> bool {
        matches!(self, Self::NotOneOf { .. } | Self::NoLongerSupported { .. })
    }
}

/// Read a metric refusal from a Graph error (`(#100)` invalid parameter), if it is one.
pub fn metric_refusal(e: &GraphError) -> Option<MetricRefusal> {
    let body = e.api_body()?;
    if body.code != 100 || body.error_subcode.is_some_and(|s| s == 2108006 || s == 33) {
        return None;
    }
    parse(&body.message)
}

/// Parse one of the four refusal texts.
pub fn parse(message: &str) -> Option<MetricRefusal> {
    let m = message.trim();
    let m = m.strip_prefix("(#100)").map_or(m, str::trim_start);
    if let Some(rest) = m.strip_prefix("metric[") {
        let (index, rest) = rest.split_once(']')?;
        if index.is_empty() || index.len() > 4 || !index.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let list = rest
            .trim_start()
            .strip_prefix("must be one of the following values:")?;
        // a message cut short (`…`, see GraphErrorBody::bound) ends in a partial name: left out
        let (list, complete) = match list.strip_suffix('…') {
            Some(cut) => (cut.rsplit_once(',').map_or("", |(whole, _)| whole), false),
            None => (list, true),
        };
        let accepted: Vec<String> = list
            .split(',')
            .map(str::trim)
            .take(MAX_ACCEPTED + 1)
            .map(|s| metric_name(s).map(str::to_string))
            .collect::<Option<_>>()?;
        if (complete && accepted.is_empty()) || accepted.len() > MAX_ACCEPTED {
            return None;
        }
        return Some(MetricRefusal::NotOneOf {
            index: index.parse().ok()?,
            accepted,
            complete,
        });
    }
    if let Some(rest) = m.strip_prefix("Incompatible metric (") {
        let (name, tail) = rest.split_once(')')?;
        if tail.trim() != "with the media" {
            return None;
        }
        return Some(MetricRefusal::Incompatible {
            metric: metric_name(name)?.to_string(),
        });
    }
    if let Some((_, rest)) = m.split_once("does not support the ") {
        let (name, tail) = rest.split_once(' ')?;
        if !tail.starts_with("metric for this media product type") {
            return None;
        }
        return Some(MetricRefusal::ProductType {
            metric: metric_name(name)?.to_string(),
        });
    }
    if m.starts_with("Starting from version ") {
        let (_, rest) = m.split_once(" the ")?;
        let (name, tail) = rest.split_once(' ')?;
        if !tail.starts_with("metric is no longer supported") {
            return None;
        }
        return Some(MetricRefusal::NoLongerSupported {
            metric: metric_name(name)?.to_string(),
        });
    }
    None
}

/// `s` when it can be a metric name.
fn metric_name(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && s.len() <= MAX_METRIC_NAME
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_four_texts_are_read() {
        let r = parse("(#100) metric[1] must be one of the following values: reach, replies, saved, likes, comments, shares, total_interactions, follows, profile_visits, profile_activity, navigation, ig_reels_video_view_total_time, ig_reels_avg_watch_time, views").unwrap();
        let sent = names(&["reach", "impressions", "plays"]);
        assert_eq!(r.metric(&sent), Some("impressions"));
        assert_eq!(r.refused(&sent), vec!["impressions", "plays"]);
        assert!(r.version_wide());
        match &r {
            MetricRefusal::NotOneOf {
                index,
                accepted,
                complete,
            } => {
                assert!(complete);
                assert_eq!(*index, 1);
                assert_eq!(accepted.len(), 14);
                assert_eq!(accepted[13], "views");
            }
            other => panic!("{other:?}"),
        }

        let r = parse(
            "The Media Insights API does not support the views metric for this media product type.",
        )
        .unwrap();
        assert_eq!(
            r,
            MetricRefusal::ProductType {
                metric: "views".into()
            }
        );
        assert!(!r.version_wide());

        let r = parse("Starting from version 22 and above, the impressions metric is no longer supported for the queried user. Please refer to the documentation at https://developers.facebook.com/docs/instagram-api/reference/ig-user/insights for a list of supported metrics.").unwrap();
        assert_eq!(
            r.refused(&names(&["reach", "impressions"])),
            vec!["impressions"]
        );
        assert!(r.version_wide());

        let r = parse("Incompatible metric (total_interactions) with the media").unwrap();
        assert_eq!(
            r,
            MetricRefusal::Incompatible {
                metric: "total_interactions".into()
            }
        );
    }

    #[test]
    fn anything_else_is_not_a_refusal() {
        for m in [
            "",
            "Invalid parameter",
            "(#100) metric[] must be one of the following values: reach",
            "(#100) metric[99999] must be one of the following values: reach",
            "(#100) metric[0] must be one of the following values: ",
            "(#100) metric[0] must be one of the following values: reach, Reach",
            "(#100) metric[0] must be one of the following values: reach,,saved",
            "(#100) metric[0] must be one of the following values: reach; DROP",
            "(#100) period must be one of the following values: day, week",
            "Incompatible metric (total_interactions) with the user",
            "Incompatible metric (a b) with the media",
            "does not support the views metric",
            "does not support the ../x metric for this media product type.",
            "Starting from version 22 and above, the IMPRESSIONS metric is no longer supported",
            "Starting from version 22 and above",
        ] {
            assert_eq!(parse(m), None, "{m}");
        }
        let long = format!(
            "metric[0] must be one of the following values: {}",
            vec!["a"; MAX_ACCEPTED + 1].join(", ")
        );
        assert_eq!(parse(&long), None);
        let name = "a".repeat(MAX_METRIC_NAME + 1);
        assert_eq!(
            parse(&format!("Incompatible metric ({name}) with the media")),
            None
        );
    }

    #[test]
    fn a_list_cut_short_names_only_the_indexed_metric() {
        let r = parse("(#100) metric[0] must be one of the following values: reach, saved, follo…")
            .unwrap();
        let sent = names(&["impressions", "views", "reach"]);
        assert_eq!(r.refused(&sent), vec!["impressions"]);
        match r {
            MetricRefusal::NotOneOf {
                accepted, complete, ..
            } => {
                assert_eq!(accepted, names(&["reach", "saved"]));
                assert!(!complete);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_metric_not_sent_is_not_refused() {
        let r = parse("Incompatible metric (views) with the media").unwrap();
        assert!(r.refused(&names(&["reach"])).is_empty());
    }

    #[test]
    fn an_index_past_the_sent_list_names_nothing() {
        let r = parse("metric[5] must be one of the following values: reach").unwrap();
        let sent = names(&["reach"]);
        assert_eq!(r.metric(&sent), None);
        assert!(r.refused(&sent).is_empty());
        // even when the list misses a sent metric
        assert!(r.refused(&names(&["impressions"])).is_empty());
    }
}
