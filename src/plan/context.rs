//! What every report run shares: the Graph client, caches that save calls, and the clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use parking_lot::Mutex;

use crate::graph::{GraphClient, LinkedPage};
use crate::reports::catalog::GraphVersion;

/// A cache shared by every run on one connection.
type Shared<T> = Arc<Mutex<T>>;

/// Shared state of the report layer. Cheap to share behind an `Arc`; a clone shares the caches.
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// The Graph client (budget, retries, call counts).
    pub graph: GraphClient,
    /// `me/accounts`, cached for [`ReportContext::PAGES_TTL`] (accounts resolution costs no call after the first).
    pub(crate) pages: Shared<Option<(Instant, Vec<LinkedPage>)>>,
    /// Hashtag name → id. Hashtag ids are global and never change.
    pub(crate) hashtag_ids: Shared<HashMap<String, String>>,
    /// Per account: hashtags searched in the rolling 7 days (name → first search), seeded from
    /// `recently_searched_hashtags` the first time the account searches.
    pub(crate) hashtag_window: Shared<HashMap<String, HashMap<String, DateTime<Utc>>>>,
    /// Fixed "now" for tests; `None` = the real clock.
    pub(crate) fixed_now: Option<DateTime<Utc>>,
    /// The stored connection (`igflight accounts`) the token came from, named in reconnect hints.
    pub connection: Option<String>,
    /// Most Graph calls (HTTP attempts) one report run may make (`--max-calls-per-request`).
    pub max_calls_per_request: u32,
    /// Slots for report runs at once, shared by every connection of a server
    /// (`--max-concurrent-reports`); `None`: no limit.
    pub run_slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl ReportContext {
    /// How long the `me/accounts` listing is reused.
    pub const PAGES_TTL: Duration = Duration::from_secs(600);

    /// Default of [`ReportContext::max_calls_per_request`]: enough for a full `media_insights` of an
    /// account with several thousand media, far below what a runaway paging loop would spend.
    pub const DEFAULT_MAX_CALLS_PER_REQUEST: u32 = 500;

    /// A context around a Graph client.
    pub fn new(graph: GraphClient) -> Self {
        ReportContext {
            graph,
            pages: Shared::default(),
            hashtag_ids: Shared::default(),
            hashtag_window: Shared::default(),
            fixed_now: None,
            connection: None,
            max_calls_per_request: Self::DEFAULT_MAX_CALLS_PER_REQUEST,
            run_slots: None,
        }
    }

    /// Share these run slots (one semaphore for a whole server): a run past them is refused with
    /// RESOURCE_EXHAUSTED before any call.
    pub fn with_run_slots(mut self, slots: Arc<tokio::sync::Semaphore>) -> Self {
        self.run_slots = Some(slots);
        self
    }

    /// Cap the Graph calls of one report run (at least 1).
    pub fn with_max_calls_per_request(mut self, calls: u32) -> Self {
        self.max_calls_per_request = calls.max(1);
        self
    }

    /// The context one report run uses: the same caches, budget and clock, and a Graph client whose
    /// calls count against this run's cap.
    pub fn for_run(&self) -> ReportContext {
        ReportContext {
            graph: self.graph.with_call_cap(self.max_calls_per_request),
            ..self.clone()
        }
    }

    /// Name the stored connection the token came from (expired-token errors then say which one to
    /// reconnect).
    pub fn with_connection(mut self, connection: Option<String>) -> Self {
        self.connection = connection;
        self
    }

    /// Pin the clock (tests).
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.fixed_now = Some(now);
        self
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    /// Today's UTC date (what day offsets count from).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// The Graph API version this connection speaks: tickets are validated against its metric catalog
    /// and plans ask in its shapes (CONTRACT §4, "Graph API versions"): the version the Graph API named in
    /// its `facebook-api-version` response header once a response said so
    /// ([`GraphClient::served_version`]), else the configured one (`--graph-version`; v15.0 should it not
    /// parse).
    pub fn api_version(&self) -> GraphVersion {
        GraphVersion::parse(&self.graph.api_version()).unwrap_or_default()
    }
}
