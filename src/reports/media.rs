//! Media rows (`user_media`, `user_stories`, `other_users_media`, hashtag media): schema and page → batch.
//!
//! Rows are decoded straight from the page bytes into borrowed structs (no `serde_json::Value` tree),
//! then appended to Arrow builders. Fields the Graph API leaves out become nulls.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampSecondBuilder,
};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use serde::Deserialize;

use super::catalog::ReportKind;
use super::convert::parse_graph_timestamp;
use super::schema::report_schema;

/// Schema of `user_media` / `user_stories`: the media columns and `ig_user_id`.
pub static USER_MEDIA_SCHEMA: LazyLock<SchemaRef> =
    LazyLock::new(|| report_schema(ReportKind::UserMedia));

/// One media object as the Graph API returns it; every field but `id` may be missing.
#[derive(Debug, Deserialize)]
pub struct MediaRow<'a> {
    /// Media id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub caption: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub media_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub media_product_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub media_url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub thumbnail_url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub permalink: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub shortcode: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub timestamp: Option<Cow<'a, str>>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub like_count: Option<i64>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub comments_count: Option<i64>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub username: Option<Cow<'a, str>>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub is_comment_enabled: Option<bool>,
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub children: Option<Children<'a>>,
}

/// The `children{id}` expansion of a carousel.
#[derive(Debug, Deserialize)]
pub struct Children<'a> {
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub data: Vec<ChildRef<'a>>,
}

/// One child media reference.
#[derive(Debug, Deserialize)]
pub struct ChildRef<'a> {
    #[serde(borrow)]
    #[allow(missing_docs)]
    pub id: Cow<'a, str>,
}

/// A page of media (`{"data":[…],"paging":{…}}`); paging is ignored here (the pager reads it).
#[derive(Debug, Deserialize)]
pub struct MediaPage<'a> {
    #[serde(borrow, default)]
    #[allow(missing_docs)]
    pub data: Vec<MediaRow<'a>>,
}

/// Decode a media page's bytes into rows, naming the JSON path that failed.
pub fn decode_media_page(bytes: &[u8]) -> Result<MediaPage<'_>, String> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))
}

/// Build a batch with [`USER_MEDIA_SCHEMA`] from rows; `ig_user_id` fills the context column.
pub fn media_rows_to_batch(
    rows: &[MediaRow<'_>],
    ig_user_id: Option<&str>,
) -> Result<RecordBatch, ArrowError> {
    let n = rows.len();
    let mut id = StringBuilder::with_capacity(n, n * 18);
    let mut caption = StringBuilder::with_capacity(n, n * 64);
    let mut media_type = StringBuilder::with_capacity(n, n * 8);
    let mut product = StringBuilder::with_capacity(n, n * 5);
    let mut media_url = StringBuilder::with_capacity(n, n * 64);
    let mut thumb = StringBuilder::new();
    let mut permalink = StringBuilder::with_capacity(n, n * 40);
    let mut shortcode = StringBuilder::with_capacity(n, n * 11);
    let mut ts = TimestampSecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut likes = Int64Builder::with_capacity(n);
    let mut comments = Int64Builder::with_capacity(n);
    let mut username = StringBuilder::with_capacity(n, n * 12);
    let mut enabled = BooleanBuilder::with_capacity(n);
    let mut children = ListBuilder::new(StringBuilder::new());
    let mut owner = StringBuilder::with_capacity(n, n * 17);
    for r in rows {
        id.append_value(&r.id);
        caption.append_option(r.caption.as_deref());
        media_type.append_option(r.media_type.as_deref());
        product.append_option(r.media_product_type.as_deref());
        media_url.append_option(r.media_url.as_deref());
        thumb.append_option(r.thumbnail_url.as_deref());
        permalink.append_option(r.permalink.as_deref());
        shortcode.append_option(r.shortcode.as_deref());
        ts.append_option(r.timestamp.as_deref().and_then(parse_graph_timestamp));
        likes.append_option(r.like_count);
        comments.append_option(r.comments_count);
        username.append_option(r.username.as_deref());
        enabled.append_option(r.is_comment_enabled);
        match &r.children {
            Some(c) => {
                for child in &c.data {
                    children.values().append_value(&child.id);
                }
                children.append(true);
            }
            None => children.append(false),
        }
        owner.append_option(ig_user_id);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(caption.finish()),
        Arc::new(media_type.finish()),
        Arc::new(product.finish()),
        Arc::new(media_url.finish()),
        Arc::new(thumb.finish()),
        Arc::new(permalink.finish()),
        Arc::new(shortcode.finish()),
        Arc::new(ts.finish()),
        Arc::new(likes.finish()),
        Arc::new(comments.finish()),
        Arc::new(username.finish()),
        Arc::new(enabled.finish()),
        Arc::new(children.finish()),
        Arc::new(owner.finish()),
    ];
    RecordBatch::try_new(USER_MEDIA_SCHEMA.clone(), cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::TimestampSecondType;

    const PAGE: &str = r#"{"data":[
      {"id":"1","caption":"caf\u00e9 \"latte\" \n ☕","media_type":"CAROUSEL_ALBUM","timestamp":"2021-08-17T19:00:42+0000",
       "like_count":3,"children":{"data":[{"id":"11"},{"id":"12"}]}},
      {"id":"2","media_type":"IMAGE"}],
      "paging":{"cursors":{"after":"x"}}}"#;

    #[test]
    fn decodes_rows_and_fills_missing_fields_with_nulls() {
        let page = decode_media_page(PAGE.as_bytes()).unwrap();
        let batch = media_rows_to_batch(&page.data, Some("1784")).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), *USER_MEDIA_SCHEMA);
        let caption = batch.column(1).as_string::<i32>();
        assert_eq!(caption.value(0), "café \"latte\" \n ☕");
        assert!(caption.is_null(1));
        let ts = batch.column(8).as_primitive::<TimestampSecondType>();
        assert_eq!(ts.value(0), 1_629_226_842);
        assert!(ts.is_null(1));
        let likes = batch
            .column(9)
            .as_primitive::<arrow::datatypes::Int64Type>();
        assert!(likes.is_null(1));
        let children = batch.column(13).as_list::<i32>();
        assert_eq!(children.value(0).len(), 2);
        assert!(children.is_null(1));
        assert_eq!(batch.column(14).as_string::<i32>().value(1), "1784");
    }

    #[test]
    fn a_decoding_error_names_the_field() {
        let bad = r#"{"data":[{"id":"1"},{"id":"2","like_count":"many"}]}"#;
        let err = decode_media_page(bad.as_bytes()).unwrap_err();
        assert!(err.contains("data[1].like_count"), "{err}");
    }
}
