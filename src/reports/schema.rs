//! The static Arrow schema of every report (CONTRACT §4). Declared, never inferred: a field the Graph API
//! leaves out becomes a null, never a different schema.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::catalog::ReportKind;

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Second, Some("UTC".into()))
}

fn s(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn i(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

/// The columns every media report starts with, in order.
pub fn media_fields() -> Vec<Field> {
    vec![
        Field::new("id", DataType::Utf8, false),
        s("caption"),
        s("media_type"),
        s("media_product_type"),
        s("media_url"),
        s("thumbnail_url"),
        s("permalink"),
        s("shortcode"),
        Field::new("timestamp", ts(), true),
        i("like_count"),
        i("comments_count"),
        s("username"),
        Field::new("is_comment_enabled", DataType::Boolean, true),
        Field::new(
            "children",
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            true,
        ),
    ]
}

fn media_with(extra: &[&str]) -> SchemaRef {
    let mut f = media_fields();
    f.extend(extra.iter().map(|n| s(n)));
    Arc::new(Schema::new(f))
}

fn user_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        s("ig_id"),
        s("username"),
        s("name"),
        s("biography"),
        s("website"),
        s("profile_picture_url"),
        i("followers_count"),
        i("follows_count"),
        i("media_count"),
    ]))
}

static SCHEMAS: LazyLock<Vec<(ReportKind, SchemaRef)>> = LazyLock::new(|| {
    vec![
        (
            ReportKind::HashtagRecentMedia,
            media_with(&["hashtag_id", "hashtag"]),
        ),
        (
            ReportKind::HashtagTopMedia,
            media_with(&["hashtag_id", "hashtag"]),
        ),
        (
            ReportKind::MediaComments,
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Utf8, false),
                Field::new("media_id", DataType::Utf8, false),
                s("parent_id"),
                s("text"),
                s("username"),
                Field::new("timestamp", ts(), true),
                i("like_count"),
                Field::new("hidden", DataType::Boolean, true),
            ])),
        ),
        (
            ReportKind::MediaInsights,
            Arc::new(Schema::new(vec![
                Field::new("media_id", DataType::Utf8, false),
                s("media_type"),
                s("media_product_type"),
                Field::new("metric", DataType::Utf8, false),
                Field::new("period", DataType::Utf8, false),
                s("dimension"),
                i("value"),
            ])),
        ),
        (ReportKind::OtherUsers, user_schema()),
        (ReportKind::OtherUsersMedia, media_with(&[])),
        (
            ReportKind::RecentlySearchedHashtags,
            Arc::new(Schema::new(vec![
                Field::new("ig_user_id", DataType::Utf8, false),
                Field::new("id", DataType::Utf8, false),
                s("name"),
            ])),
        ),
        (ReportKind::User, user_schema()),
        (
            ReportKind::UserInsights,
            Arc::new(Schema::new(vec![
                Field::new("ig_user_id", DataType::Utf8, false),
                Field::new("metric", DataType::Utf8, false),
                Field::new("period", DataType::Utf8, false),
                Field::new("end_time", ts(), true),
                s("dimension"),
                i("value"),
            ])),
        ),
        (ReportKind::UserMedia, media_with(&["ig_user_id"])),
        (ReportKind::UserStories, media_with(&["ig_user_id"])),
        (
            ReportKind::Pages,
            Arc::new(Schema::new(vec![
                Field::new("page_id", DataType::Utf8, false),
                s("page_name"),
                s("ig_user_id"),
                s("ig_username"),
            ])),
        ),
    ]
});

/// The full schema of a report.
pub fn report_schema(report: ReportKind) -> SchemaRef {
    SCHEMAS
        .iter()
        .find(|(r, _)| *r == report)
        .map(|(_, s)| s.clone())
        .expect("every report has a schema")
}

/// The schema narrowed to `fields` (in the order given); `None` = every column.
pub fn projected_schema(report: ReportKind, fields: Option<&[String]>) -> SchemaRef {
    let full = report_schema(report);
    match fields {
        None => full,
        Some(names) => Arc::new(Schema::new(
            names
                .iter()
                .filter_map(|n| full.field_with_name(n).ok().cloned())
                .collect::<Vec<_>>(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_a_schema_with_an_id_like_first_column() {
        for r in ReportKind::ALL {
            let s = report_schema(r);
            assert!(!s.fields().is_empty());
            assert!(!s.field(0).is_nullable(), "{r}: first column is not null");
        }
        assert_eq!(report_schema(ReportKind::UserMedia).fields().len(), 15);
        assert_eq!(
            report_schema(ReportKind::HashtagTopMedia).fields().len(),
            16
        );
        let p = projected_schema(
            ReportKind::UserMedia,
            Some(&["timestamp".into(), "id".into()]),
        );
        assert_eq!(p.field(0).name(), "timestamp");
        assert_eq!(p.fields().len(), 2);
    }
}
