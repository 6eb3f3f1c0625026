//! Pages of an edge as a lazy stream, with explicit stop rules.
//!
//! No call is made until the stream is polled. Rules, in the order they are checked:
//! * `limit` rows yielded → the stream ends without another call; each request asks only for
//!   `limit = min(page_size, rows still needed)`, and surplus rows of a page are dropped;
//! * a hard page cap (`max_pages`, default [`DEFAULT_MAX_PAGES`]) while more pages remain →
//!   [`GraphError::PageCap`];
//! * ids are deduplicated across pages (no row is yielded twice); a non-empty page that brings no
//!   new id ends the stream (`recent_media` repeats its `after` cursor on every page while its `next`
//!   URL still advances, so a repeated cursor alone is never an end);
//! * [`PageMode::Next`]: no `paging.next` → end; an empty page that has `next` is not the end
//!   (reference §6.1; only an empty page whose `next` is the URL just fetched is); a `next` URL
//!   already fetched by this stream ends it (a loop);
//! * [`PageMode::Cursor`] (business-discovery media, whose nested `paging` carries only `cursors`):
//!   no nested page, no `paging` or no `cursors.after` → end; the same `after` as the one just
//!   requested → end (the request would be identical);
//! * `max_empty_pages` (default [`DEFAULT_MAX_EMPTY_PAGES`]) empty pages in a row that each still
//!   point further → [`GraphError::EmptyPages`] (one empty page is legitimate, a long run is not).
//!
//! A stream that ends because the Graph API repeats itself (a page of ids already yielded, or a
//! `next` URL already fetched) while the result may be short says so: its last item is a
//! [`PageOut`] with no rows and [`PageOut::ended_on_repeat`] set.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use futures::Stream;
use futures::stream::{self, TryStreamExt};
use serde_json::Value;

use super::client::{GraphClient, GraphResponse};
use super::endpoint::Endpoint;
use super::error::GraphError;
use super::model::{Page, decode_json};

/// The Graph API's usual default page size, used when a limit must be sent but no page size was given.
pub const DEFAULT_PAGE_SIZE: usize = 25;

/// Default page cap of one stream: 200, the default hourly call budget of a token. A stream that
/// needs more pages cannot finish within the default budget anyway, and the biggest legitimate
/// listings fit (the 10K media `/media` returns are 100 pages of 100).
pub const DEFAULT_MAX_PAGES: usize = 200;

/// Default number of empty pages in a row (each with another `next`) after which paging fails.
pub const DEFAULT_MAX_EMPTY_PAGES: usize = 20;

/// Builds the `fields` parameter for a cursor-mode request from the `after` cursor (none on the first
/// request) and the page size to ask, e.g.
/// `business_discovery.username(bluebottle){media.after(C).limit(N){id,caption}}`.
pub type CursorFields = Arc<dyn Fn(Option<&str>, usize) -> String + Send + Sync>;

#[derive(Clone)]
pub enum PageMode {
    /// Top-level `{"data":[…],"paging":{…}}`; follow `paging.next` URLs (token re-injected).
    Next,
    /// A nested page at the JSON pointer `pointer` (e.g. `/business_discovery/media`) whose paging
    /// has only cursors; each request is rebuilt with `fields = fields(after, limit)`.
    Cursor {
        pointer: String,
        fields: CursorFields,
    },
}

impl fmt::Debug for PageMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Next => f.write_str("Next"),
            Self::Cursor { pointer, .. } => f
                .debug_struct("Cursor")
                .field("pointer", pointer)
                .finish_non_exhaustive(),
        }
    }
}

/// What to page through.
#[derive(Clone, Debug)]
pub struct PageRequest {
    /// What the first page is asked from; `next` pages are counted under its kind too.
    pub endpoint: Endpoint,
    pub params: Vec<(String, String)>,
    /// Rows asked per page (`limit` parameter / `.limit(n)` modifier); `None` = the edge's default.
    pub page_size: Option<usize>,
    /// Stop after this many rows.
    pub limit: Option<usize>,
    /// Fail with [`GraphError::PageCap`] rather than fetch more pages than this (default
    /// [`DEFAULT_MAX_PAGES`]; left at the default, a client with a higher per-run call cap
    /// ([`GraphClient::with_call_cap`], `--max-calls-per-request`) pages as far as that cap, which
    /// then bounds the listing: every page is a call).
    pub max_pages: usize,
    /// Fail with [`GraphError::EmptyPages`] after this many empty pages in a row that each still
    /// point to another page (default [`DEFAULT_MAX_EMPTY_PAGES`]).
    pub max_empty_pages: usize,
    pub mode: PageMode,
    /// [`PageMode::Next`] only: start by following this `next` URL instead of requesting `endpoint`
    /// (continuing a page that arrived nested in another answer, e.g. a comment's replies).
    /// `endpoint` then only names the kind the pages are counted under.
    pub start_url: Option<String>,
    /// Ids already yielded elsewhere (e.g. by that nested first page): never yielded again, and a
    /// page made only of them ends the stream like any repeat.
    pub seen_ids: Vec<String>,
}

impl PageRequest {
    pub fn new(endpoint: Endpoint, params: &[(&str, String)]) -> Self {
        Self {
            endpoint,
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            page_size: None,
            limit: None,
            max_pages: DEFAULT_MAX_PAGES,
            max_empty_pages: DEFAULT_MAX_EMPTY_PAGES,
            mode: PageMode::Next,
            start_url: None,
            seen_ids: Vec::new(),
        }
    }

    /// Cursor-only paging of a nested edge (see [`PageMode::Cursor`]).
    pub fn nested(
        endpoint: Endpoint,
        params: &[(&str, String)],
        pointer: impl Into<String>,
        fields: impl Fn(Option<&str>, usize) -> String + Send + Sync + 'static,
    ) -> Self {
        Self {
            mode: PageMode::Cursor {
                pointer: pointer.into(),
                fields: Arc::new(fields),
            },
            ..Self::new(endpoint, params)
        }
    }

    #[must_use]
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = Some(n.max(1));
        self
    }

    #[must_use]
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    #[must_use]
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = n;
        self
    }

    #[must_use]
    pub fn max_empty_pages(mut self, n: usize) -> Self {
        self.max_empty_pages = n;
        self
    }

    /// Continue from a `next` URL whose first page (with the ids `seen_ids`) was already had
    /// elsewhere: see [`PageRequest::start_url`]. All stop rules apply (page cap, repeats, empty
    /// pages, `limit`), and the URL is checked like any `next` before it is followed.
    #[must_use]
    pub fn continue_from(
        mut self,
        next_url: impl Into<String>,
        seen_ids: impl IntoIterator<Item = String>,
    ) -> Self {
        self.start_url = Some(next_url.into());
        self.seen_ids = seen_ids.into_iter().collect();
        self
    }

    /// The page size to ask for when `yielded` rows were already produced.
    fn ask(&self, yielded: usize) -> Option<usize> {
        let remaining = self.limit.map(|l| l.saturating_sub(yielded));
        match (self.page_size, remaining, &self.mode) {
            (Some(p), Some(r), _) => Some(p.min(r)),
            (Some(p), None, _) => Some(p),
            (None, Some(r), _) => Some(r.min(DEFAULT_PAGE_SIZE)),
            (None, None, PageMode::Cursor { .. }) => Some(DEFAULT_PAGE_SIZE),
            (None, None, PageMode::Next) => None,
        }
    }
}

/// One page of new rows.
#[derive(Clone, Debug)]
pub struct PageOut {
    /// Rows not seen on an earlier page, at most what `limit` still allows. Never empty, except on
    /// the final page of a stream that [`ended_on_repeat`](Self::ended_on_repeat).
    pub items: Vec<Value>,
    /// 0-based index of the Graph page these rows came from (empty pages are fetched, not yielded;
    /// on an `ended_on_repeat` page: the page that repeated).
    pub page_index: usize,
    /// Pages fetched by this stream so far.
    pub pages_so_far: usize,
    /// HTTP attempts made by this stream so far, retries included.
    pub calls_so_far: u32,
    /// Pages of this stream served from the response cache so far (no call).
    pub cache_hits_so_far: u32,
    /// Rows yielded by this stream so far, these included.
    pub rows_so_far: usize,
    /// Rows of this page dropped because their id was already yielded.
    pub duplicates: usize,
    /// Cursor mode: the response without the nested page (e.g. the business-discovery user's fields).
    pub context: Option<Value>,
    /// Set only on the last item of a stream that stopped because the Graph API repeated itself (a
    /// non-empty page made only of ids already yielded, or a `next` URL already fetched) before
    /// `limit` was reached: that item has no rows; the result may be shorter than what the Graph
    /// API holds. Consumers count it (run summary); they need not stop on it (the stream ends next).
    pub ended_on_repeat: bool,
}

enum Fetch {
    First,
    Url(String),
    After(String),
}

struct State {
    client: GraphClient,
    req: PageRequest,
    next: Option<Fetch>,
    pages: usize,
    calls: u32,
    hits: u32,
    yielded: usize,
    seen: HashSet<String>,
    /// `next` URLs fetched so far.
    fetched_urls: HashSet<String>,
    /// Empty pages in a row.
    empty_run: usize,
    /// Paging stopped on a repeat: the final empty `ended_on_repeat` page is still to be yielded.
    repeat_end: Option<(usize, usize, Option<Value>)>,
}

impl State {
    /// A page of `items` from Graph page `page_index`, with this stream's counts so far.
    fn out(
        &self,
        items: Vec<Value>,
        page_index: usize,
        duplicates: usize,
        context: Option<Value>,
        ended_on_repeat: bool,
    ) -> PageOut {
        PageOut {
            items,
            page_index,
            pages_so_far: self.pages,
            calls_so_far: self.calls,
            cache_hits_so_far: self.hits,
            rows_so_far: self.yielded,
            duplicates,
            context,
            ended_on_repeat,
        }
    }
}

impl GraphClient {
    /// The pages of `req` as a lazy stream (no call until polled; the first error ends it).
    pub fn pages(
        &self,
        req: PageRequest,
    ) -> impl Stream<Item = Result<PageOut, GraphError>> + Send + 'static {
        let next = match (&req.mode, &req.start_url) {
            (PageMode::Next, Some(url)) => Fetch::Url(url.clone()),
            _ => Fetch::First,
        };
        let seen = req.seen_ids.iter().cloned().collect();
        let mut req = req;
        if req.max_pages == DEFAULT_MAX_PAGES
            && let Some(cap) = self.call_cap()
        {
            req.max_pages = req
                .max_pages
                .max(usize::try_from(cap).unwrap_or(usize::MAX));
        }
        let state = State {
            client: self.clone(),
            req,
            next: Some(next),
            pages: 0,
            calls: 0,
            hits: 0,
            yielded: 0,
            seen,
            fetched_urls: HashSet::new(),
            empty_run: 0,
            repeat_end: None,
        };
        stream::try_unfold(state, step)
    }

    /// The rows of `req`, one by one.
    pub fn items(
        &self,
        req: PageRequest,
    ) -> impl Stream<Item = Result<Value, GraphError>> + Send + 'static {
        self.pages(req)
            .map_ok(|p| stream::iter(p.items.into_iter().map(Ok)))
            .try_flatten()
    }
}

async fn step(mut st: State) -> Result<Option<(PageOut, State)>, GraphError> {
    loop {
        let Some(fetch) = st.next.take() else {
            if let Some((page_index, duplicates, context)) = st.repeat_end.take() {
                let out = st.out(Vec::new(), page_index, duplicates, context, true);
                return Ok(Some((out, st)));
            }
            return Ok(None);
        };
        if st.req.limit.is_some_and(|l| st.yielded >= l) {
            return Ok(None);
        }
        if st.pages >= st.req.max_pages {
            return Err(GraphError::PageCap { pages: st.pages });
        }
        let ask = st.req.ask(st.yielded);
        if let Fetch::Url(u) = &fetch {
            st.fetched_urls.insert(u.clone());
        }
        let resp = fetch_page(&st, &fetch, ask).await?;
        let page_index = st.pages;
        st.pages += 1;
        st.calls = st.calls.saturating_add(resp.attempts);
        st.hits = st.hits.saturating_add(u32::from(resp.cached));

        let decoded = match &st.req.mode {
            PageMode::Next => resp.json::<Page<Value>>().map(|p| (p, None)),
            PageMode::Cursor { pointer, .. } => nested_page(&resp, pointer),
        };
        let (page, context) = decoded.map_err(|e| st.client.scrub(e))?;
        let page_len = page.data.len();
        let mut items = Vec::with_capacity(page_len);
        let mut duplicates = 0;
        for item in page.data {
            match item.get("id").and_then(Value::as_str) {
                Some(id) if !st.seen.insert(id.to_owned()) => duplicates += 1,
                _ => items.push(item),
            }
        }
        let brought_nothing_new = page_len > 0 && items.is_empty();
        if let Some(limit) = st.req.limit {
            items.truncate(limit.saturating_sub(st.yielded));
        }
        st.yielded += items.len();
        st.empty_run = if page_len == 0 { st.empty_run + 1 } else { 0 };

        let paging = page.paging.unwrap_or_default();
        let mut repeated = brought_nothing_new;
        st.next = if brought_nothing_new {
            tracing::debug!(
                endpoint = resp.endpoint.as_str(),
                page_index,
                duplicates,
                "page brought no new ids: end of paging"
            );
            None
        } else {
            match (&st.req.mode, fetch) {
                (PageMode::Next, fetch) => match paging.next {
                    // An empty page pointing at itself: the end.
                    Some(n) if page_len == 0 && matches!(&fetch, Fetch::Url(u) if *u == n) => None,
                    Some(n) if st.fetched_urls.contains(&n) => {
                        tracing::debug!(
                            endpoint = resp.endpoint.as_str(),
                            page_index,
                            "`next` points to a page already fetched: end of paging"
                        );
                        repeated = true;
                        None
                    }
                    other => other.map(Fetch::Url),
                },
                (PageMode::Cursor { .. }, fetch) => paging
                    .cursors
                    .and_then(|c| c.after)
                    .filter(|a| !matches!(&fetch, Fetch::After(prev) if prev == a))
                    .map(Fetch::After),
            }
        };
        if st.next.is_some() && page_len == 0 && st.empty_run >= st.req.max_empty_pages {
            tracing::warn!(
                endpoint = resp.endpoint.as_str(),
                pages = st.empty_run,
                "the Graph API keeps answering empty pages: paging stopped"
            );
            return Err(GraphError::EmptyPages {
                pages: st.empty_run,
            });
        }
        if repeated && st.req.limit.is_none_or(|l| st.yielded < l) {
            st.repeat_end = Some((page_index, duplicates, context.clone()));
        }
        if items.is_empty() {
            continue;
        }
        let out = st.out(items, page_index, duplicates, context, false);
        return Ok(Some((out, st)));
    }
}

async fn fetch_page(
    st: &State,
    fetch: &Fetch,
    ask: Option<usize>,
) -> Result<GraphResponse, GraphError> {
    let req = &st.req;
    let base_params = || -> Vec<(&str, String)> {
        req.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    };
    match (&req.mode, fetch) {
        (PageMode::Next, Fetch::First) => {
            let mut params = base_params();
            if let Some(n) = ask {
                params.retain(|(k, _)| *k != "limit");
                params.push(("limit", n.to_string()));
            }
            st.client.get(&req.endpoint, &params).await
        }
        (PageMode::Next, Fetch::Url(next)) => {
            let replace: Vec<(&str, String)> =
                ask.map(|n| ("limit", n.to_string())).into_iter().collect();
            st.client
                .get_url_with(req.endpoint.kind(), next, &replace)
                .await
        }
        (PageMode::Cursor { fields, .. }, fetch) => {
            let after = match fetch {
                Fetch::After(a) => Some(a.as_str()),
                _ => None,
            };
            let mut params = base_params();
            params.retain(|(k, _)| *k != "fields");
            params.push(("fields", fields(after, ask.unwrap_or(DEFAULT_PAGE_SIZE))));
            st.client.get(&req.endpoint, &params).await
        }
        (PageMode::Next, Fetch::After(_)) => {
            unreachable!("cursor fetches only happen in cursor mode")
        }
    }
}

/// Take the nested page at `pointer` out of the response; the rest is the context.
fn nested_page(
    resp: &GraphResponse,
    pointer: &str,
) -> Result<(Page<Value>, Option<Value>), GraphError> {
    let mut body: Value = resp.json()?;
    let nested = body.pointer_mut(pointer).map(Value::take);
    if let Some((parent, key)) = pointer.rsplit_once('/')
        && let Some(obj) = body.pointer_mut(parent).and_then(Value::as_object_mut)
    {
        obj.remove(key);
    }
    let page = match nested {
        None | Some(Value::Null) => Page {
            data: Vec::new(),
            paging: None,
        },
        Some(v) => decode_json::<Page<Value>>(v.to_string().as_bytes(), resp.endpoint).map_err(
            |e| match e {
                GraphError::Decode {
                    endpoint,
                    path,
                    message,
                } => GraphError::Decode {
                    endpoint,
                    path: format!(
                        "{}.{path}",
                        pointer.trim_start_matches('/').replace('/', ".")
                    ),
                    message,
                },
                other => other,
            },
        )?,
    };
    Ok((page, Some(body)))
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::graph::EndpointKind;
    use crate::graph::testutil::arb;
    use proptest::prelude::*;

    fn response(body: Vec<u8>) -> GraphResponse {
        GraphResponse {
            status: 200,
            body: body.into(),
            usage: Default::default(),
            endpoint: EndpointKind::BusinessDiscovery,
            attempts: 1,
            cached: false,
        }
    }

    proptest! {
        #![proptest_config(arb::config())]

        /// The pager's page decode (top-level and nested at a pointer) gives a page or an error.
        #[test]
        fn page_decode_never_panics(
            body in arb::body(),
            pointer in prop::sample::select(vec![
                "/business_discovery/media", "/media", "", "/", "/data/0", "/~1/x", "/a/b/c/d",
            ]),
        ) {
            let resp = response(body);
            let _ = resp.json::<Page<Value>>();
            if let Ok((page, context)) = nested_page(&resp, pointer) {
                let _ = (page.data.len(), page.paging, context);
            }
        }

        /// Graph-shaped documents wrapped at the nested pointer.
        #[test]
        fn nested_documents_never_panic(media in arb::json(), user in arb::json()) {
            let body = serde_json::json!({"business_discovery": {"media": media, "username": user}, "id": "1"});
            let resp = response(body.to_string().into_bytes());
            let _ = nested_page(&resp, "/business_discovery/media");
        }
    }
}
