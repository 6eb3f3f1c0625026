//! Pages of an edge as a lazy stream, with explicit stop rules.
//!
//! No call is made until the stream is polled. Rules, in the order they are checked:
//! * `limit` rows yielded → the stream ends without another call; each request asks only for
//!   `limit = min(page_size, rows still needed)`, and surplus rows of a page are dropped;
//! * a hard page cap (`max_pages`) while more pages remain → [`GraphError::PageCap`];
//! * ids are deduplicated across pages (no row is yielded twice); a non-empty page that brings no
//!   new id ends the stream (`recent_media` repeats its `after` cursor on every page while its `next`
//!   URL still advances, so a repeated cursor alone is never an end);
//! * [`PageMode::Next`]: no `paging.next` → end; an empty page that has `next` is not the end
//!   (only an empty page whose `next` is the URL just fetched is);
//! * [`PageMode::Cursor`] (business-discovery media, whose nested `paging` carries only `cursors`):
//!   no nested page, no `paging` or no `cursors.after` → end; the same `after` as the one just
//!   requested → end (the request would be identical).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use futures::Stream;
use futures::stream::{self, TryStreamExt};
use serde_json::Value;

use super::client::{GraphClient, GraphResponse};
use super::error::GraphError;
use super::model::{Page, decode_json};

/// The Graph API's usual default page size, used when a limit must be sent but no page size was given.
pub const DEFAULT_PAGE_SIZE: usize = 25;

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
    pub path: String,
    pub params: Vec<(String, String)>,
    /// Rows asked per page (`limit` parameter / `.limit(n)` modifier); `None` = the edge's default.
    pub page_size: Option<usize>,
    /// Stop after this many rows.
    pub limit: Option<usize>,
    /// Fail with [`GraphError::PageCap`] rather than fetch more pages than this.
    pub max_pages: usize,
    pub mode: PageMode,
}

impl PageRequest {
    pub fn new(path: impl Into<String>, params: &[(&str, String)]) -> Self {
        Self {
            path: path.into(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            page_size: None,
            limit: None,
            max_pages: 1000,
            mode: PageMode::Next,
        }
    }

    /// Cursor-only paging of a nested edge (see [`PageMode::Cursor`]).
    pub fn nested(
        path: impl Into<String>,
        params: &[(&str, String)],
        pointer: impl Into<String>,
        fields: impl Fn(Option<&str>, usize) -> String + Send + Sync + 'static,
    ) -> Self {
        Self {
            mode: PageMode::Cursor {
                pointer: pointer.into(),
                fields: Arc::new(fields),
            },
            ..Self::new(path, params)
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
    /// Rows not seen on an earlier page, at most what `limit` still allows.
    pub items: Vec<Value>,
    /// 0-based index of the Graph page these rows came from (empty pages are fetched, not yielded).
    pub page_index: usize,
    /// Pages fetched by this stream so far.
    pub pages_so_far: usize,
    /// HTTP attempts made by this stream so far, retries included.
    pub calls_so_far: u32,
    /// Rows yielded by this stream so far, these included.
    pub rows_so_far: usize,
    /// Rows of this page dropped because their id was already yielded.
    pub duplicates: usize,
    /// Cursor mode: the response without the nested page (e.g. the business-discovery user's fields).
    pub context: Option<Value>,
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
    yielded: usize,
    seen: HashSet<String>,
}

impl GraphClient {
    /// The pages of `req` as a lazy stream (no call until polled; the first error ends it).
    pub fn pages(
        &self,
        req: PageRequest,
    ) -> impl Stream<Item = Result<PageOut, GraphError>> + Send + 'static {
        let state = State {
            client: self.clone(),
            req,
            next: Some(Fetch::First),
            pages: 0,
            calls: 0,
            yielded: 0,
            seen: HashSet::new(),
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
            return Ok(None);
        };
        if st.req.limit.is_some_and(|l| st.yielded >= l) {
            return Ok(None);
        }
        if st.pages >= st.req.max_pages {
            return Err(GraphError::PageCap { pages: st.pages });
        }
        let ask = st.req.ask(st.yielded);
        let resp = fetch_page(&st, &fetch, ask).await?;
        let page_index = st.pages;
        st.pages += 1;
        st.calls += resp.attempts;

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

        let paging = page.paging.unwrap_or_default();
        st.next = if brought_nothing_new {
            tracing::debug!(
                endpoint = resp.endpoint.as_str(),
                page_index,
                "page brought no new ids: end of paging"
            );
            None
        } else {
            match (&st.req.mode, fetch) {
                (PageMode::Next, fetch) => paging
                    .next
                    .filter(|n| page_len > 0 || !matches!(&fetch, Fetch::Url(u) if u == n))
                    .map(Fetch::Url),
                (PageMode::Cursor { .. }, fetch) => paging
                    .cursors
                    .and_then(|c| c.after)
                    .filter(|a| !matches!(&fetch, Fetch::After(prev) if prev == a))
                    .map(Fetch::After),
            }
        };
        if items.is_empty() {
            continue;
        }
        let out = PageOut {
            items,
            page_index,
            pages_so_far: st.pages,
            calls_so_far: st.calls,
            rows_so_far: st.yielded,
            duplicates,
            context,
        };
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
            st.client.get(&req.path, &params).await
        }
        (PageMode::Next, Fetch::Url(next)) => {
            let replace: Vec<(&str, String)> =
                ask.map(|n| ("limit", n.to_string())).into_iter().collect();
            st.client.get_url_with(next, &replace).await
        }
        (PageMode::Cursor { fields, .. }, fetch) => {
            let after = match fetch {
                Fetch::After(a) => Some(a.as_str()),
                _ => None,
            };
            let mut params = base_params();
            params.retain(|(k, _)| *k != "fields");
            params.push(("fields", fields(after, ask.unwrap_or(DEFAULT_PAGE_SIZE))));
            st.client.get(&req.path, &params).await
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
