//! What every report run shares: the Graph client, caches that save calls, and the clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use parking_lot::Mutex;

use crate::error::ReportError;
use crate::graph::{Endpoint, GraphClient, LinkedPage};
use crate::reports::catalog::{Era, GraphVersion, MediaKind, era_on};
use crate::state::{ConversionMark, Ledger};
use crate::ticket::ReportRequest;

/// A cache shared by every run on one connection.
type Shared<T> = Arc<Mutex<T>>;

/// What is known of an account's business conversion (unix seconds of media timestamps).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Conversion {
    /// The newest media known to be from before the conversion.
    pub(crate) cutoff: Option<i64>,
    /// The oldest media known to be from after it.
    pub(crate) floor: Option<i64>,
}

fn mark(c: Conversion) -> ConversionMark {
    ConversionMark {
        cutoff: c.cutoff,
        floor: c.floor,
    }
}

/// A media listing kept for later runs: when it was read, and its posts.
pub(crate) type KeptListing = (Instant, Arc<Vec<serde_json::Value>>);

/// Media metrics refused per media kind.
pub(crate) type RefusedByKind = BTreeMap<MediaKind, BTreeSet<String>>;

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
    /// The oldest catalog version this connection's Graph API has shown it applies (a refusal of a
    /// metric removed in v22.0 raises it to v22.0): later runs validate against it and spend no call
    /// on the metric again.
    pub(crate) catalog_floor: Shared<Option<GraphVersion>>,
    /// Per account, the media metrics the Graph API refused for one media kind (`views` on an account's
    /// images, reference §5.5): later runs leave them out of that kind without a call.
    pub(crate) refused_media: Shared<HashMap<String, RefusedByKind>>,
    /// Per account, what media insights runs learned of its business conversion: the newest media
    /// timestamp known to fail with 2108006 (older ones are skipped without a call) and the oldest known
    /// to answer (newer ones are asked without a boundary search).
    pub(crate) conversions: Shared<HashMap<String, Conversion>>,
    /// Per account, the last full media listing a `user_media` run read (id, type, product type and
    /// timestamp of each post), reused by `media_insights` for [`ReportContext::MEDIA_LISTING_TTL`]: the
    /// insights of the media just listed cost no second listing.
    pub(crate) media_listings: Shared<HashMap<String, KeptListing>>,
    /// Set once a call was made to learn which version answers (one call for every run waiting on it;
    /// an API that never names its version is not asked again).
    version_probe: Arc<tokio::sync::OnceCell<()>>,
    /// Fixed "now" for tests; `None` = the real clock.
    pub(crate) fixed_now: Option<DateTime<Utc>>,
    /// The stored connection (`igflight accounts`) the token came from, named in reconnect hints.
    pub connection: Option<String>,
    /// The name `serve` serves this connection under (`demo`, `default` or the stored name), the
    /// `connection` label of metrics and run log lines; `None`: see [`ReportContext::served_name`].
    pub served_as: Option<String>,
    /// Most Graph calls (HTTP attempts) one report run may make (`--max-calls-per-request`).
    pub max_calls_per_request: u32,
    /// Whether a run may start when the call budget cannot cover it all, and stop part way when it
    /// runs out, instead of being refused before its first call (`igflight sync`: it commits what it
    /// finished and resumes later).
    pub partial_runs: bool,
    /// Slots for report runs at once, shared by every connection of a server
    /// (`--max-concurrent-reports`); `None`: no limit.
    pub run_slots: Option<Arc<tokio::sync::Semaphore>>,
    /// How old a kept answer this run accepts (the ticket's `max_age`); `None`: each cache's own
    /// freshness. Set by [`ReportContext::for_run`].
    pub(crate) max_age: Option<Duration>,
    /// Graph calls one run may have in flight at once (`--graph-concurrency`).
    pub graph_concurrency: usize,
}

impl ReportContext {
    /// How long the `me/accounts` listing is reused.
    pub const PAGES_TTL: Duration = Duration::from_secs(600);

    /// How long a full media listing is reused by `media_insights` (new posts show after it).
    pub const MEDIA_LISTING_TTL: Duration = Duration::from_secs(300);

    /// Most posts a kept media listing holds (a larger account is listed again).
    pub const MEDIA_LISTING_MAX: usize = 100_000;

    /// Default of [`ReportContext::max_calls_per_request`]: enough for a full `media_insights` of an
    /// account with several thousand media, far below what a runaway paging loop would spend.
    pub const DEFAULT_MAX_CALLS_PER_REQUEST: u32 = 500;

    /// Default of [`ReportContext::graph_concurrency`]: a few calls in flight, well within what the
    /// Graph API tolerates from one token.
    pub const DEFAULT_GRAPH_CONCURRENCY: u16 = 8;

    /// A context around a Graph client.
    pub fn new(graph: GraphClient) -> Self {
        ReportContext {
            graph,
            pages: Shared::default(),
            hashtag_ids: Shared::default(),
            hashtag_window: Shared::default(),
            catalog_floor: Shared::default(),
            refused_media: Shared::default(),
            conversions: Shared::default(),
            media_listings: Shared::default(),
            version_probe: Arc::default(),
            fixed_now: None,
            connection: None,
            served_as: None,
            max_calls_per_request: Self::DEFAULT_MAX_CALLS_PER_REQUEST,
            partial_runs: false,
            run_slots: None,
            max_age: None,
            graph_concurrency: usize::from(Self::DEFAULT_GRAPH_CONCURRENCY),
        }
    }

    /// Share these run slots (one semaphore for a whole server): a run past them is refused with
    /// RESOURCE_EXHAUSTED before any call.
    pub fn with_run_slots(mut self, slots: Arc<tokio::sync::Semaphore>) -> Self {
        self.run_slots = Some(slots);
        self
    }

    /// Let one run have up to `n` Graph calls in flight (at least 1).
    pub fn with_graph_concurrency(mut self, n: usize) -> Self {
        self.graph_concurrency = n.max(1);
        self
    }

    /// Cap the Graph calls of one report run (at least 1).
    pub fn with_max_calls_per_request(mut self, calls: u32) -> Self {
        self.max_calls_per_request = calls.max(1);
        self
    }

    /// The context one report run uses: the same caches, budget and clock, and a Graph client whose
    /// calls count against this run's cap and which takes kept answers at most `max_age` old (the
    /// ticket's `max_age`; `Some(0)`: fresh data only).
    pub fn for_run(&self, max_age: Option<Duration>) -> ReportContext {
        ReportContext {
            graph: self.graph.for_run(self.max_calls_per_request, max_age),
            max_age,
            ..self.clone()
        }
    }

    /// Whether something kept at `at` may still serve this run: younger than `ttl` and than the run's
    /// `max_age`.
    pub(crate) fn fresh(&self, at: Instant, ttl: Duration) -> bool {
        at.elapsed() < self.max_age.map_or(ttl, |m| m.min(ttl))
    }

    /// Name the stored connection the token came from (expired-token errors then say which one to
    /// reconnect).
    pub fn with_connection(mut self, connection: Option<String>) -> Self {
        self.connection = connection;
        self
    }

    /// Serve this connection as `name` (the `connection` label of its metrics and run log lines).
    pub fn with_served_name(mut self, name: impl Into<String>) -> Self {
        self.served_as = Some(name.into());
        self
    }

    /// The connection's name in metrics and logs: the served name, else the stored connection's,
    /// else `default` (a token from the environment). Configured names only, so label values stay few.
    pub fn served_name(&self) -> &str {
        self.served_as
            .as_deref()
            .or(self.connection.as_deref())
            .unwrap_or(crate::flight::connections::DEFAULT_NAME)
    }

    /// Let runs start when the budget cannot cover them and stop part way (see `partial_runs`).
    pub fn with_partial_runs(mut self, partial: bool) -> Self {
        self.partial_runs = partial;
        self
    }

    /// Pin the clock (tests).
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.fixed_now = Some(now);
        self
    }

    /// The store of the call ledger, the hashtag budget and the conversion boundaries (the Graph
    /// client's budget's: this process, the data folder's file, or Redis).
    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        self.graph.budget().ledger()
    }

    /// The conversion boundary known for `account`: this connection's merged with the ledger's (earlier
    /// processes, other servers). A ledger that cannot be read leaves this connection's, with a warning.
    pub(crate) async fn known_conversion(&self, account: &str) -> Conversion {
        let here = self
            .conversions
            .lock()
            .get(account)
            .copied()
            .unwrap_or_default();
        match self.ledger().conversion(account).await {
            Ok(stored) => {
                let merged = mark(here).merge(stored);
                let c = Conversion {
                    cutoff: merged.cutoff,
                    floor: merged.floor,
                };
                if c != here {
                    self.conversions.lock().insert(account.to_string(), c);
                }
                c
            }
            Err(e) => {
                tracing::warn!(account, error = %e, "conversion boundary not read from the ledger");
                here
            }
        }
    }

    /// Keep what a run learned of `account`'s conversion (the cutoff only moves later, the floor only
    /// earlier) on the connection and, when it changed, in the ledger (a failure is a warning).
    pub(crate) async fn keep_conversion(&self, account: &str, learned: Conversion) {
        let changed = {
            let mut all = self.conversions.lock();
            let c = all.entry(account.to_string()).or_default();
            let merged = mark(*c).merge(mark(learned));
            let next = Conversion {
                cutoff: merged.cutoff,
                floor: merged.floor,
            };
            std::mem::replace(c, next) != next
        };
        if changed && let Err(e) = self.ledger().merge_conversion(account, mark(learned)).await {
            tracing::warn!(account, error = %e, "conversion boundary not written to the ledger");
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    /// Today's UTC date (what day offsets count from).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// The Graph API version whose metric catalog applies on this connection (CONTRACT §4, "Graph API
    /// versions"): tickets are validated against it and plans ask in its shapes.
    ///
    /// It is the version that answered (the `facebook-api-version` header, [`GraphClient::served_version`])
    /// once a response named it, else the one asked for (`--graph-version`; v15.0 should it not parse).
    /// When Facebook answered a newer version than the one asked, the asked one has expired: the API is
    /// today's, so the deprecations that reached every version by today apply too ([`era_on`]: a v15.0
    /// request answered by v21.0 on 2026-11-30 gets the v22.0 catalog). A version served as itself keeps
    /// its own catalog, raised by what the API's refusals have shown ([`Self::learn_removed`]).
    pub fn api_version(&self) -> GraphVersion {
        let asked = GraphVersion::parse(self.graph.version()).unwrap_or_default();
        let served = self
            .graph
            .served_version()
            .and_then(|v| GraphVersion::parse(&v));
        let v = served.unwrap_or(asked);
        let era = if v > asked {
            era_on(v, self.today())
        } else {
            Era::of(v)
        };
        let floor = (*self.catalog_floor.lock()).unwrap_or(v);
        v.max(era.since()).max(floor)
    }

    /// The Graph API refused a metric the catalog of `since` removed: validate against that catalog
    /// from now on (the deprecation reached the version this connection is answered by).
    pub fn learn_removed(&self, since: GraphVersion) {
        let mut floor = self.catalog_floor.lock();
        if floor.is_none_or(|f| f < since) {
            tracing::info!(catalog = %since, "the Graph API refuses a metric removed in {since}: its catalog applies from now on");
            *floor = Some(since);
        }
    }

    /// [`Self::api_version`], after learning which version answers when no response has said yet: one
    /// counted call (`GET /me?fields=id`) before the first report of a connection (a server checking
    /// its token at start-up has already learned it). A failed call is the report's error.
    pub async fn known_api_version(&self) -> Result<GraphVersion, ReportError> {
        if self.graph.served_version().is_none() {
            self.version_probe
                .get_or_try_init(|| async {
                    if self.graph.served_version().is_some() {
                        return Ok(());
                    }
                    tracing::info!(
                        asked = self.graph.version(),
                        "learning which Graph API version answers (one call)"
                    );
                    self.graph
                        .get_json::<serde_json::Value>(&Endpoint::me(), &[("fields", "id".into())])
                        .await
                        .map(drop)
                })
                .await?;
        }
        Ok(self.api_version())
    }

    /// Whether the answering version is known (a response named it) or was asked for once already:
    /// validation against [`Self::api_version`] is then final.
    pub fn version_known(&self) -> bool {
        self.graph.served_version().is_some() || self.version_probe.initialized()
    }

    /// Validate with `check`, without a call: against the catalog of [`Self::api_version`], or — as the
    /// request may run on another connection, or before this one knows its version — any era's catalog.
    /// A request no catalog accepts is refused here with this connection's reason; one that passes is
    /// checked again, against the catalog of the connection it runs on, by [`Self::final_request`].
    pub fn check_now<T, E>(&self, check: impl Fn(GraphVersion) -> Result<T, E>) -> Result<T, E> {
        let now = check(self.api_version());
        if now.is_ok() {
            return now;
        }
        Era::ALL
            .into_iter()
            .rev()
            .find_map(|e| check(e.since()).ok())
            .map_or(now, Ok)
    }

    /// `req` (checked by [`Self::check_now`], perhaps on another connection) as the version that answers
    /// this one takes it: a request whose validation depends on the catalog (the insights reports) is
    /// checked again against this connection's catalog, learning its version first when unknown
    /// ([`Self::known_api_version`], one call). Called after every check that needs no call, just
    /// before the run.
    pub async fn final_request(&self, req: ReportRequest) -> Result<ReportRequest, ReportError> {
        if !req.report.uses_catalog() {
            return Ok(req);
        }
        let version = self.known_api_version().await?;
        Ok(crate::ticket::validate(req.raw, self.today(), version)?)
    }
}
