//! Where the Graph API is and how a client treats it: the library's form of the command line's Graph
//! flags (`cli::GraphArgs` converts into it), so the layers that call the Graph API (accounts, the
//! report context) never depend on the command line.

use std::sync::Arc;
use std::time::Duration;

use crate::state::Ledger;

use super::{BudgetConfig, CacheConfig, GraphClient, GraphError, RetryPolicy};

/// Graph API settings shared by every command that calls it.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    /// Base URL of the Graph API (scheme, host, port).
    pub graph_url: String,
    /// API version path segment (`v15.0`).
    pub graph_version: String,
    /// App secret: when set, every call carries `appsecret_proof` and old tokens can be renewed.
    pub app_secret: Option<String>,
    /// Client-side call budget per token per rolling hour.
    pub calls_per_hour: u32,
    /// How long a call may wait for the budget (or a throttle) before failing.
    pub budget_wait_secs: u64,
    /// Retries of a failed Graph call before giving up.
    pub max_retries: u32,
    /// Most Graph calls one request may make.
    pub max_calls_per_request: u32,
    /// Graph calls one report run may have in flight at once.
    pub graph_concurrency: usize,
    /// The response cache of each connection.
    pub cache: CacheConfig,
}

impl GraphSettings {
    /// The Graph client these settings describe, for `token` (and `base_url` instead of `graph_url`
    /// when given, e.g. the in-process simulator).
    pub fn client(
        &self,
        token: String,
        base_url: Option<String>,
    ) -> Result<GraphClient, GraphError> {
        self.client_on(token, base_url, None)
    }

    /// [`Self::client`] whose calls are counted in `ledger` (the data folder's file, Redis) when given,
    /// else in this process.
    pub fn client_on(
        &self,
        token: String,
        base_url: Option<String>,
        ledger: Option<Arc<dyn Ledger>>,
    ) -> Result<GraphClient, GraphError> {
        let mut b = GraphClient::builder(token)
            .base_url(base_url.unwrap_or_else(|| self.graph_url.clone()))
            .version(self.graph_version.clone())
            .budget_config(BudgetConfig {
                limit: self.calls_per_hour,
                max_wait: Duration::from_secs(self.budget_wait_secs),
                ..BudgetConfig::default()
            })
            .cache_config(self.cache.clone())
            .retry(RetryPolicy {
                max_attempts: self.max_retries.saturating_add(1),
                ..RetryPolicy::default()
            });
        if let Some(secret) = &self.app_secret {
            b = b.app_secret(secret.clone());
        }
        if let Some(ledger) = ledger {
            b = b.ledger(ledger);
        }
        b.build()
    }
}
