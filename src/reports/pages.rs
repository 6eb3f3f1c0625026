//! `pages`: facebook pages the token reaches and their linked Instagram accounts.
//!
//! Graph API: `/me/accounts?fields=id,name,instagram_business_account{id,username}` (cached 10 minutes).

use std::sync::Arc;

use arrow::datatypes::Schema;
use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::{ReportSpec, key, s};
use crate::ticket::ReportParams;

/// The `pages` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::Pages,
    name: "pages",
    description: "Facebook pages the token reaches and their linked Instagram accounts",
    required: &[],
    accepted: &["fields", "limit", "page_size"],
    media_kinds: &[],
    params: |_| Ok(ReportParams::Plain),
    permissions: &["pages_show_list"],
    schema: || {
        Arc::new(Schema::new(vec![
            key("page_id"),
            s("page_name"),
            s("ig_user_id"),
            s("ig_username"),
        ]))
    },
    example: r#"{"report": "pages"}"#,
    sql_equalities: &[],
    sql_range: None,
    identity: &["page_id"],
    sync_date: None,
    plan: |c, r, s| crate::plan::profile::pages(c, r, s).boxed(),
};
