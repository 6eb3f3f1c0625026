//! Counts of HTTP attempts (retries included) by endpoint kind, token key and outcome.

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;
use serde::Serialize;

use super::endpoint::EndpointKind;
use super::secret::TokenKey;

/// Shared call counters (one per client family; clones of a [`super::GraphClient`] share them).
#[derive(Debug, Default)]
pub struct CallStats {
    counts: Mutex<HashMap<(EndpointKind, TokenKey, &'static str), u64>>,
}

impl CallStats {
    /// Record one HTTP attempt; `outcome` is `ok` or an [`super::ErrorClass`] name (`transport`
    /// failures count as `retryable`).
    /// Also counted in [`crate::monitoring::GRAPH_CALLS`] (by endpoint and outcome: the token is
    /// never a label).
    pub fn record(&self, endpoint: EndpointKind, token: &TokenKey, outcome: &'static str) {
        metrics::counter!(crate::monitoring::GRAPH_CALLS, "endpoint" => endpoint.as_str(), "outcome" => outcome)
            .increment(1);
        *self
            .counts
            .lock()
            .entry((endpoint, token.clone(), outcome))
            .or_insert(0) += 1;
    }

    pub fn snapshot(&self) -> CallStatsSnapshot {
        let counts = self.counts.lock();
        let mut snap = CallStatsSnapshot::default();
        for ((endpoint, token, outcome), n) in counts.iter() {
            snap.total += n;
            *snap
                .by_endpoint
                .entry(endpoint.as_str().to_owned())
                .or_default() += n;
            *snap.by_token.entry(token.as_str().to_owned()).or_default() += n;
            *snap.by_outcome.entry((*outcome).to_owned()).or_default() += n;
            snap.calls.push(CallCount {
                endpoint: *endpoint,
                token: token.clone(),
                outcome: outcome.to_string(),
                count: *n,
            });
        }
        snap.calls.sort_by(|a, b| {
            (a.endpoint, &a.token, &a.outcome).cmp(&(b.endpoint, &b.token, &b.outcome))
        });
        snap
    }
}

/// A serializable copy of the counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CallStatsSnapshot {
    /// HTTP attempts made (each batch request counts once here; the budget counts its items).
    pub total: u64,
    pub by_endpoint: BTreeMap<String, u64>,
    pub by_token: BTreeMap<String, u64>,
    pub by_outcome: BTreeMap<String, u64>,
    pub calls: Vec<CallCount>,
}

impl CallStatsSnapshot {
    pub fn endpoint(&self, kind: EndpointKind) -> u64 {
        self.by_endpoint.get(kind.as_str()).copied().unwrap_or(0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallCount {
    pub endpoint: EndpointKind,
    pub token: TokenKey,
    pub outcome: String,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::secret::Secret;

    #[test]
    fn counts_by_every_dimension() {
        let s = CallStats::default();
        let a = Secret::new("a").key();
        let b = Secret::new("b").key();
        s.record(EndpointKind::UserMedia, &a, "ok");
        s.record(EndpointKind::UserMedia, &a, "ok");
        s.record(EndpointKind::UserMedia, &a, "retryable");
        s.record(EndpointKind::MediaInsights, &b, "ok");
        let snap = s.snapshot();
        assert_eq!(snap.total, 4);
        assert_eq!(snap.endpoint(EndpointKind::UserMedia), 3);
        assert_eq!(snap.by_token[a.as_str()], 3);
        assert_eq!(snap.by_outcome["ok"], 3);
        assert_eq!(snap.calls.len(), 3);
        let json = serde_json::to_value(&snap).unwrap();
        assert_eq!(json["by_endpoint"]["media/insights"], 1);
        assert_eq!(json["calls"][0]["endpoint"], "user/media");
    }
}
