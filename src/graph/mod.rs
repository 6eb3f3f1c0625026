//! The Graph API client: one shared HTTP client that pages, retries, classifies errors once and keeps
//! to a per-token call budget.
//!
//! * [`GraphClient`] (built by [`GraphClientBuilder`]) owns one `reqwest::Client`, the access token
//!   ([`Secret`]) and, when configured, the app secret used for `appsecret_proof`.
//! * Every HTTP attempt (retries included) first reserves one call in the shared [`Budget`]
//!   (rolling window per token, also slowed down by the `X-App-Usage` / `X-Business-Use-Case-Usage`
//!   headers), is counted in [`CallStats`], and its failure is classified once by [`classify`].
//! * Only [`ErrorClass::Retryable`] failures are retried ([`RetryPolicy`]: exponential backoff with
//!   full jitter, bounded attempts and total time, honouring `Retry-After`). Graph throttling
//!   (codes 4, 17, 32, 613, 80001, 80002: [`ErrorClass::RateLimited`]) is never retried on that
//!   backoff: the client waits once for the time the answer gives (`Retry-After`,
//!   `estimated_time_to_regain_access`, usage at 100 %) when it fits [`BudgetConfig::max_wait`],
//!   otherwise it fails at once saying when access returns. Redirects and non-JSON 2xx answers
//!   are not the Graph API: not retried.
//! * Nothing a server sends can panic the client or block it for long: every server-supplied wait
//!   is clamped to [`MAX_SERVER_WAIT`] (one day), bodies are read as a stream up to
//!   [`GraphConfig::max_body_bytes`] (after decompression), quoted server text is bounded.
//! * [`GraphClient::with_call_cap`] makes a clone for one run whose attempts all count against one
//!   per-run cap ([`GraphError::RunCallCap`]).
//! * Every request names an [`Endpoint`]: a path built only from checked ids ([`NodeId`]) and fixed
//!   segments ([`Edge`]), with the [`EndpointKind`] it is counted under in [`CallStats`], logs and
//!   errors (the pages that follow a `next` URL count under the kind of the first request).
//! * [`GraphClient::pages`] turns an edge into a lazy stream of pages with explicit stop rules
//!   ([`PageRequest`], [`PageMode`]; page cap, repeats, empty-page runs, `limit`; `next` URLs are
//!   followed only on the configured origin under `/vNN.N/`); [`insight_windows`] splits date
//!   ranges into ≤ 30-day calls.
//!
//! ```ignore
//! use igflight::graph::{BudgetConfig, Edge, Endpoint, ErrorClass, GraphClient, NodeId, PageRequest};
//! use futures::TryStreamExt;
//!
//! let client = GraphClient::builder(token)            // token: String / &str / Secret
//!     .base_url(graph_url)                            // default https://graph.facebook.com
//!     .budget_config(BudgetConfig { limit: 200, ..Default::default() })
//!     .build()?;
//! let me: serde_json::Value = client.get_json(&Endpoint::me(), &[("fields", "id,name".into())]).await?;
//! let ig = NodeId::parse(ig_user_id).expect("a numeric id"); // ids from outside are checked first
//! let mut pages = std::pin::pin!(client.pages(
//!     PageRequest::new(ig.edge(Edge::Media), &[("fields", "id,caption,timestamp".into())])
//!         .page_size(100)
//!         .limit(500),
//! ));
//! while let Some(page) = pages.try_next().await? {
//!     // page.items: Vec<serde_json::Value>, already deduplicated by id
//! }
//! match client.get(&ig.edge(Edge::UserInsights), &params).await {
//!     Err(e) if e.class() == ErrorClass::SkippableItem => { /* no data for this item */ }
//!     other => { other?; }
//! }
//! let stats = client.stats();                         // CallStatsSnapshot (Serialize)
//! ```
//!
//! Insights: do not follow `paging.next` on insights (it walks into the future); split the range
//! with [`insight_windows`] and make one [`GraphClient::get`] per window.
//!
//! Secrets never reach a log line or an error: URLs are passed through [`redact_url`] and Graph error
//! messages are scrubbed of the token and app secret.

mod budget;
mod cache;
mod client;
mod endpoint;
mod error;
mod id;
mod model;
mod pager;
mod pages;
mod refusal;
mod retry;
mod secret;
mod settings;
mod stats;
mod usage;
mod windows;

#[cfg(test)]
mod testutil;

pub use budget::{Budget, BudgetConfig, BudgetSnapshot, TokenBudgetSnapshot};
pub use cache::{
    CacheClass, CacheConfig, CacheSnapshot, ResponseCache, from_shared, parse_ttl, shared_form,
};
pub(crate) use client::is_version;
pub use client::{
    API_VERSION_HEADER, DEFAULT_BASE_URL, DEFAULT_MAX_BODY_BYTES, DEFAULT_VERSION, GraphClient,
    GraphClientBuilder, GraphConfig, GraphResponse,
};
pub use endpoint::{Endpoint, EndpointKind};
pub use error::{ApiError, ErrorClass, GraphError, THROTTLE_CODES, classify};
pub use id::{Edge, MAX_ID_DIGITS, NodeId};
pub use model::{
    BatchHeader, BatchItemResponse, Cursors, GraphErrorBody, Page, Paging, decode_json,
};
pub use pager::{
    CursorFields, DEFAULT_MAX_EMPTY_PAGES, DEFAULT_MAX_PAGES, DEFAULT_PAGE_SIZE, PageMode, PageOut,
    PageRequest,
};
pub use pages::LinkedPage;
pub use refusal::{MetricRefusal, metric_refusal};
pub use retry::{MAX_SERVER_WAIT, RetryPolicy};
pub use secret::{Secret, TokenKey, redact_url};
pub use settings::GraphSettings;
pub use stats::{CallCount, CallStats, CallStatsSnapshot};
pub use usage::{AppUsage, BusinessUsage, Usage};
pub use windows::{InsightWindow, MAX_INSIGHT_WINDOW_DAYS, insight_window_count, insight_windows};

#[cfg(test)]
mod tests;
