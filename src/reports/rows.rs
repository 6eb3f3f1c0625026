//! Schema-driven conversion of Graph JSON objects into Arrow record batches.
//!
//! Every report declares a static schema; this module fills it from a page's items. A column is read
//! from the item's field of the same name, or from a dotted path given in `paths` (e.g. `ig_user_id` ←
//! `instagram_business_account.id`); where the item has no value, the `context` value for that column is
//! used (e.g. `ig_user_id` of `user_media`, `username` of `other_users_media`), else null.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, NullArray, StringBuilder,
    TimestampSecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde_json::Value;

use super::convert::parse_graph_timestamp;

/// Where a column comes from when it is not the item's field of the same name.
pub type Paths<'a> = &'a [(&'a str, &'a str)];

fn lookup<'v>(item: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = item;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Build a batch with `schema` from `items`.
pub fn items_to_batch(
    schema: &SchemaRef,
    items: &[Value],
    paths: Paths<'_>,
    context: &[(&str, &str)],
) -> Result<RecordBatch, ArrowError> {
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name().as_str();
        let path = paths
            .iter()
            .find(|(c, _)| *c == name)
            .map_or(name, |(_, p)| *p);
        let ctx = context.iter().find(|(c, _)| *c == name).map(|(_, v)| *v);
        let get = |item| lookup(item, path);
        let col: ArrayRef = match field.data_type() {
            DataType::Utf8 => {
                let mut b = StringBuilder::with_capacity(items.len(), items.len() * 16);
                for (row, item) in items.iter().enumerate() {
                    let v = get(item)
                        .and_then(as_string)
                        .or_else(|| ctx.map(str::to_string));
                    if v.is_none() && !field.is_nullable() {
                        return Err(ArrowError::InvalidArgumentError(format!(
                            "the Graph API returned an item without `{path}` (row {row}), which column `{name}` needs"
                        )));
                    }
                    b.append_option(v);
                }
                Arc::new(b.finish())
            }
            DataType::Int64 => {
                let mut b = Int64Builder::with_capacity(items.len());
                for item in items {
                    b.append_option(
                        get(item)
                            .and_then(as_i64)
                            .or_else(|| ctx.and_then(|c| c.parse().ok())),
                    );
                }
                Arc::new(b.finish())
            }
            DataType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(items.len());
                for item in items {
                    b.append_option(get(item).and_then(Value::as_bool));
                }
                Arc::new(b.finish())
            }
            DataType::Timestamp(TimeUnit::Second, tz) => {
                let mut b = TimestampSecondBuilder::with_capacity(items.len())
                    .with_timezone_opt(tz.clone());
                for item in items {
                    b.append_option(
                        get(item)
                            .and_then(Value::as_str)
                            .and_then(parse_graph_timestamp),
                    );
                }
                Arc::new(b.finish())
            }
            DataType::List(_) => {
                // `children{id}`: {"data":[{"id":…},…]} → list of ids
                let mut b = ListBuilder::new(StringBuilder::new());
                for item in items {
                    match get(item)
                        .and_then(|c| c.get("data"))
                        .and_then(Value::as_array)
                    {
                        Some(children) => {
                            for c in children {
                                b.values().append_option(c.get("id").and_then(as_string));
                            }
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Null => Arc::new(NullArray::new(items.len())),
            other => {
                return Err(ArrowError::NotYetImplemented(format!(
                    "column `{name}` of type {other}"
                )));
            }
        };
        cols.push(col);
    }
    RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &RecordBatchOptions::new().with_row_count(Some(items.len())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::catalog::ReportKind;
    use crate::reports::schema::{projected_schema, report_schema};
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;
    use serde_json::json;

    #[test]
    fn pages_rows_follow_paths_and_omitted_fields_are_null() {
        let items = vec![
            json!({"id":"p1","name":"Café ☕","instagram_business_account":{"id":"1784","username":"cafe"}}),
            json!({"id":"p2","name":"No IG"}),
        ];
        let paths = [
            ("page_id", "id"),
            ("page_name", "name"),
            ("ig_user_id", "instagram_business_account.id"),
            ("ig_username", "instagram_business_account.username"),
        ];
        let b = items_to_batch(&report_schema(ReportKind::Pages), &items, &paths, &[]).unwrap();
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(1).as_string::<i32>().value(0), "Café ☕");
        assert_eq!(b.column(2).as_string::<i32>().value(0), "1784");
        assert!(b.column(2).is_null(1));
    }

    #[test]
    fn context_fills_only_where_missing_and_numbers_become_strings() {
        let items = vec![json!({"id":"1","username":"other"}), json!({"id":"2"})];
        let schema = projected_schema(
            ReportKind::OtherUsersMedia,
            Some(&["id".into(), "username".into()]),
        );
        let b = items_to_batch(&schema, &items, &[], &[("username", "bluebottle")]).unwrap();
        let u = b.column(1).as_string::<i32>();
        assert_eq!(u.value(0), "other");
        assert_eq!(u.value(1), "bluebottle");

        let user = vec![json!({"id":"1784","ig_id":354032059,"followers_count":267788})];
        let b = items_to_batch(&report_schema(ReportKind::User), &user, &[], &[]).unwrap();
        // ids are strings (CONTRACT §4), even where the Graph API writes a number
        assert_eq!(b.column(1).as_string::<i32>().value(0), "354032059");
        assert_eq!(b.column(7).as_primitive::<Int64Type>().value(0), 267788);
        assert!(b.column(2).is_null(0));
    }

    #[test]
    fn a_missing_id_is_an_error_not_a_null() {
        let items = vec![json!({"caption":"x"})];
        let err =
            items_to_batch(&report_schema(ReportKind::UserMedia), &items, &[], &[]).unwrap_err();
        assert!(err.to_string().contains("without `id`"), "{err}");
    }

    #[test]
    fn empty_projection_still_counts_rows() {
        let schema = projected_schema(ReportKind::UserMedia, Some(&[]));
        let b = items_to_batch(&schema, &[json!({"id":"1"}), json!({"id":"2"})], &[], &[]).unwrap();
        assert_eq!(b.num_rows(), 2);
    }
}
