//! What every report run shares: the Graph client, caches that save calls, and the clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use parking_lot::Mutex;

use crate::graph::GraphClient;

/// A Facebook page and its linked Instagram business account, as `me/accounts` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PageInfo {
    /// Page id.
    pub page_id: String,
    /// Page name.
    pub page_name: Option<String>,
    /// Linked Instagram business account id.
    pub ig_user_id: Option<String>,
    /// Its username.
    pub ig_username: Option<String>,
}

/// Shared state of the report layer. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct ReportContext {
    /// The Graph client (budget, retries, call counts).
    pub graph: GraphClient,
    /// `me/accounts`, cached for [`ReportContext::PAGES_TTL`] (accounts resolution costs no call after the first).
    pub(crate) pages: Mutex<Option<(Instant, Vec<PageInfo>)>>,
    /// Hashtag name → id. Hashtag ids are global and never change.
    pub(crate) hashtag_ids: Mutex<HashMap<String, String>>,
    /// Per account: hashtags searched in the rolling 7 days (name → first search), seeded from
    /// `recently_searched_hashtags` the first time the account searches.
    pub(crate) hashtag_window: Mutex<HashMap<String, HashMap<String, DateTime<Utc>>>>,
    /// Fixed "now" for tests; `None` = the real clock.
    pub(crate) fixed_now: Option<DateTime<Utc>>,
    /// The stored connection (`igflight accounts`) the token came from, named in reconnect hints.
    pub connection: Option<String>,
}

impl ReportContext {
    /// How long the `me/accounts` listing is reused.
    pub const PAGES_TTL: Duration = Duration::from_secs(600);

    /// A context around a Graph client.
    pub fn new(graph: GraphClient) -> Self {
        ReportContext {
            graph,
            pages: Mutex::new(None),
            hashtag_ids: Mutex::new(HashMap::new()),
            hashtag_window: Mutex::new(HashMap::new()),
            fixed_now: None,
            connection: None,
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
}
