//! Insights in long ("tidy") form: one row per metric, period, end time, breakdown and dimension
//! (CONTRACT §4).
//!
//! A value is a number (one row, `breakdown` and `dimension` null), a map (v15's `audience_*`
//! demographics, `online_followers` hours: one row per key in `dimension`, `breakdown` null), or a
//! `total_value` (reference §5.1): with `breakdowns`, one row per result, `breakdown` = the
//! `dimension_keys` joined by `,` and `dimension` = the `dimension_values` joined by `,` in key order
//! (`age,gender` → `25-34,F`: genders never collapse, Airbyte's bug); without, one row with both null.
//! A total value has no `end_time` of its own: its row gets the end of the range it was asked for.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, StringArray, StringBuilder, TimestampSecondBuilder};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use serde_json::Value;

use super::convert::parse_graph_timestamp;

/// One long-format insights value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InsightRow {
    /// Metric name.
    pub metric: String,
    /// Period name.
    pub period: String,
    /// `end_time` in Unix seconds, where the Graph API gives one (or the end of a total value's range).
    pub end_time: Option<i64>,
    /// The breakdown's keys joined by `,` (`age,gender`); null for plain values and maps.
    pub breakdown: Option<String>,
    /// The breakdown's values joined by `,` in key order, or the map key.
    pub dimension: Option<String>,
    /// The value.
    pub value: Option<i64>,
}

fn num(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64))
}

/// The strings of a JSON array joined by `,` (`["25-34","F"]` → `25-34,F`).
fn joined(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// Flatten the `data` array of an insights response into rows. `total_end` is the `end_time` given to
/// `total_value` rows: the end of the range they were asked for (`None`: lifetime, no range).
pub fn insight_rows(data: &[Value], total_end: Option<i64>) -> Vec<InsightRow> {
    let mut out = Vec::new();
    for m in data {
        let text = |k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (metric, period) = (text("name"), text("period"));
        let row = |end_time, breakdown, dimension, value| InsightRow {
            metric: metric.clone(),
            period: period.clone(),
            end_time,
            breakdown,
            dimension,
            value,
        };
        let total = m.get("total_value");
        let breakdowns = total
            .and_then(|t| t.get("breakdowns"))
            .and_then(Value::as_array)
            .filter(|b| !b.is_empty());
        if let Some(bs) = breakdowns {
            // a breakdown asked: its results (a `values` total next to them is the same sum)
            for b in bs {
                let keys = joined(b.get("dimension_keys"));
                let results = b.get("results").and_then(Value::as_array);
                for r in results.into_iter().flatten() {
                    let dimension = joined(r.get("dimension_values"));
                    let value = r.get("value").and_then(num);
                    out.push(row(total_end, Some(keys.clone()), Some(dimension), value));
                }
            }
        } else if let Some(values) = m.get("values").and_then(Value::as_array) {
            for v in values {
                let end_time = v
                    .get("end_time")
                    .and_then(Value::as_str)
                    .and_then(parse_graph_timestamp);
                match v.get("value") {
                    Some(Value::Object(map)) => {
                        for (k, x) in map {
                            out.push(row(end_time, None, Some(k.clone()), num(x)));
                        }
                    }
                    Some(x) => out.push(row(end_time, None, None, num(x))),
                    None => {}
                }
            }
        } else if let Some(tv) = total {
            out.push(row(total_end, None, None, tv.get("value").and_then(num)));
        }
    }
    out
}

/// `user_insights` batch (schema: ig_user_id, metric, period, end_time, breakdown, dimension, value).
pub fn user_insights_batch(
    schema: &SchemaRef,
    ig_user_id: &str,
    rows: &[InsightRow],
) -> Result<RecordBatch, ArrowError> {
    let n = rows.len();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for f in schema.fields() {
        let col: ArrayRef = match f.name().as_str() {
            "ig_user_id" => Arc::new(StringArray::from_iter_values(
                rows.iter().map(|_| ig_user_id),
            )),
            "metric" => Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.metric),
            )),
            "period" => Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.period),
            )),
            "end_time" => {
                let mut b = TimestampSecondBuilder::with_capacity(n).with_timezone("UTC");
                rows.iter().for_each(|r| b.append_option(r.end_time));
                Arc::new(b.finish())
            }
            "breakdown" => {
                let mut b = StringBuilder::new();
                rows.iter()
                    .for_each(|r| b.append_option(r.breakdown.as_deref()));
                Arc::new(b.finish())
            }
            "dimension" => {
                let mut b = StringBuilder::new();
                rows.iter()
                    .for_each(|r| b.append_option(r.dimension.as_deref()));
                Arc::new(b.finish())
            }
            "value" => {
                let mut b = Int64Builder::with_capacity(n);
                rows.iter().for_each(|r| b.append_option(r.value));
                Arc::new(b.finish())
            }
            other => {
                return Err(ArrowError::SchemaError(format!(
                    "user_insights has no column `{other}`"
                )));
            }
        };
        cols.push(col);
    }
    RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(n)),
    )
}

/// One media's insights, with the media's type for the context columns.
#[derive(Debug, Clone)]
pub struct MediaInsights {
    /// Media id.
    pub media_id: String,
    /// Graph `media_type`.
    pub media_type: Option<String>,
    /// Graph `media_product_type`.
    pub media_product_type: Option<String>,
    /// Its rows.
    pub rows: Vec<InsightRow>,
}

/// `media_insights` batch (schema: media_id, media_type, media_product_type, metric, period, breakdown,
/// dimension, value).
pub fn media_insights_batch(
    schema: &SchemaRef,
    media: &[MediaInsights],
) -> Result<RecordBatch, ArrowError> {
    let flat: Vec<(&MediaInsights, &InsightRow)> = media
        .iter()
        .flat_map(|m| m.rows.iter().map(move |r| (m, r)))
        .collect();
    let n = flat.len();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for f in schema.fields() {
        let mut s = StringBuilder::new();
        let col: ArrayRef = match f.name().as_str() {
            "media_id" => {
                flat.iter().for_each(|(m, _)| s.append_value(&m.media_id));
                Arc::new(s.finish())
            }
            "media_type" => {
                flat.iter()
                    .for_each(|(m, _)| s.append_option(m.media_type.as_deref()));
                Arc::new(s.finish())
            }
            "media_product_type" => {
                flat.iter()
                    .for_each(|(m, _)| s.append_option(m.media_product_type.as_deref()));
                Arc::new(s.finish())
            }
            "metric" => {
                flat.iter().for_each(|(_, r)| s.append_value(&r.metric));
                Arc::new(s.finish())
            }
            "period" => {
                flat.iter().for_each(|(_, r)| s.append_value(&r.period));
                Arc::new(s.finish())
            }
            "breakdown" => {
                flat.iter()
                    .for_each(|(_, r)| s.append_option(r.breakdown.as_deref()));
                Arc::new(s.finish())
            }
            "dimension" => {
                flat.iter()
                    .for_each(|(_, r)| s.append_option(r.dimension.as_deref()));
                Arc::new(s.finish())
            }
            "value" => {
                let mut b = Int64Builder::with_capacity(n);
                flat.iter().for_each(|(_, r)| b.append_option(r.value));
                Arc::new(b.finish())
            }
            other => {
                return Err(ArrowError::SchemaError(format!(
                    "media_insights has no column `{other}`"
                )));
            }
        };
        cols.push(col);
    }
    RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(n)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::catalog::ReportKind;
    use crate::reports::schema::report_schema;
    use serde_json::json;

    #[test]
    fn numbers_maps_and_total_values_become_long_rows() {
        let data = vec![
            json!({"name":"impressions","period":"day","values":[
                {"value":4,"end_time":"2017-05-04T07:00:00+0000"},{"value":66,"end_time":"2017-05-05T07:00:00+0000"}]}),
            json!({"name":"audience_country","period":"lifetime","values":[{"value":{"US":58435,"GB":9276}}]}),
            json!({"name":"online_followers","period":"lifetime","values":[{"value":{"0":159,"13":7},"end_time":"2017-05-05T07:00:00+0000"}]}),
            json!({"name":"profile_activity","period":"lifetime","total_value":{"value":4,"breakdowns":[{"dimension_keys":["action_type"],
                "results":[{"dimension_values":["email"],"value":1},{"dimension_values":["bio_link_clicked"],"value":3}]}]}}),
            json!({"name":"reach","period":"lifetime","values":[]}),
        ];
        let rows = insight_rows(&data, None);
        assert_eq!(rows.len(), 2 + 2 + 2 + 2);
        assert_eq!(rows[0].end_time, Some(1_493_881_200));
        assert_eq!(rows[0].dimension, None);
        assert!(rows.iter().any(|r| r.metric == "audience_country"
            && r.dimension.as_deref() == Some("GB")
            && r.end_time.is_none()));
        assert!(rows.iter().any(|r| r.metric == "online_followers"
            && r.dimension.as_deref() == Some("13")
            && r.value == Some(7)));
        assert!(
            rows.iter()
                .any(|r| r.dimension.as_deref() == Some("bio_link_clicked") && r.value == Some(3))
        );

        let b =
            user_insights_batch(&report_schema(ReportKind::UserInsights), "1784", &rows).unwrap();
        assert_eq!(b.num_rows(), 8);
        let m = MediaInsights {
            media_id: "1".into(),
            media_type: Some("IMAGE".into()),
            media_product_type: Some("FEED".into()),
            rows,
        };
        let b = media_insights_batch(&report_schema(ReportKind::MediaInsights), &[m]).unwrap();
        assert_eq!(b.num_rows(), 8);
    }

    #[test]
    fn total_value_breakdowns_keep_every_dimension_in_key_order() {
        let data = vec![json!({"name":"follower_demographics","period":"lifetime",
            "total_value":{"breakdowns":[{"dimension_keys":["age","gender"],"results":[
                {"dimension_values":["25-34","F"],"value":120},
                {"dimension_values":["25-34","M"],"value":80},
                {"dimension_values":["18-24","U"],"value":3}]}]}})];
        let rows = insight_rows(&data, None);
        assert_eq!(rows.len(), 3, "genders never collapse");
        for r in &rows {
            assert_eq!(r.breakdown.as_deref(), Some("age,gender"));
            assert_eq!(r.end_time, None, "a demographic has no range");
        }
        let dims: Vec<(&str, i64)> = rows
            .iter()
            .map(|r| (r.dimension.as_deref().unwrap(), r.value.unwrap()))
            .collect();
        assert_eq!(dims, [("25-34,F", 120), ("25-34,M", 80), ("18-24,U", 3)]);

        // a total over a range: its rows end on the range's last day
        let data = vec![
            json!({"name":"reach","period":"day","total_value":{"value":9,"breakdowns":[
            {"dimension_keys":["media_product_type","follow_type"],"results":[
                {"dimension_values":["POST","FOLLOWER"],"value":5},
                {"dimension_values":["REEL","NON_FOLLOWER"],"value":4}]}]}}),
        ];
        let rows = insight_rows(&data, Some(1_795_737_600));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1].breakdown.as_deref(),
            Some("media_product_type,follow_type")
        );
        assert_eq!(rows[1].dimension.as_deref(), Some("REEL,NON_FOLLOWER"));
        assert!(rows.iter().all(|r| r.end_time == Some(1_795_737_600)));
    }

    #[test]
    fn a_total_value_without_breakdown_is_one_row_and_maps_keep_their_v15_rows() {
        let data = vec![
            json!({"name":"accounts_engaged","period":"day","total_value":{"value":42}}),
            json!({"name":"views","period":"day","total_value":{"value":7,"breakdowns":[]}}),
        ];
        let rows = insight_rows(&data, Some(100));
        assert_eq!(rows.len(), 2);
        for r in &rows {
            assert_eq!(
                (r.breakdown.as_deref(), r.dimension.as_deref()),
                (None, None)
            );
            assert_eq!(r.end_time, Some(100));
        }
        assert_eq!(rows[0].value, Some(42));
        assert_eq!(rows[1].value, Some(7));

        // the media sample of the docs: `values` and a `total_value` with breakdowns: the breakdown
        let data = vec![
            json!({"name":"profile_activity","period":"lifetime","values":[{"value":4}],
            "total_value":{"value":4,"breakdowns":[{"dimension_keys":["action_type"],
                "results":[{"dimension_values":["email"],"value":1},{"dimension_values":["bio_link_clicked"],"value":3}]}]}}),
        ];
        let rows = insight_rows(&data, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].breakdown.as_deref(), Some("action_type"));
        assert_eq!(rows[0].dimension.as_deref(), Some("email"));

        // v15 maps: the key in `dimension`, no breakdown, the values' own end_time
        let data = vec![
            json!({"name":"audience_gender_age","period":"lifetime","values":[{"value":{"F.18-24":38328}}]}),
            json!({"name":"online_followers","period":"lifetime","values":[{"value":{"13":7},"end_time":"2017-05-05T07:00:00+0000"}]}),
        ];
        let rows = insight_rows(&data, Some(100));
        assert_eq!(rows[0].breakdown, None);
        assert_eq!(rows[0].dimension.as_deref(), Some("F.18-24"));
        assert_eq!(rows[0].end_time, None);
        assert_eq!(rows[1].end_time, Some(1_493_967_600));
    }

    #[test]
    fn the_breakdown_column_comes_before_dimension() {
        use arrow::array::{Array, AsArray};
        let rows = insight_rows(
            &[
                json!({"name":"follower_demographics","period":"lifetime","total_value":{"breakdowns":[
                {"dimension_keys":["city"],"results":[{"dimension_values":["London, England"],"value":2}]}]}}),
                json!({"name":"reach","period":"day","values":[{"value":4,"end_time":"2017-05-04T07:00:00+0000"}]}),
            ],
            None,
        );
        for (report, at) in [
            (ReportKind::UserInsights, 4),
            (ReportKind::MediaInsights, 5),
        ] {
            let schema = report_schema(report);
            assert_eq!(schema.field(at).name(), "breakdown");
            assert_eq!(schema.field(at + 1).name(), "dimension");
            let b = if report == ReportKind::UserInsights {
                user_insights_batch(&schema, "1784", &rows).unwrap()
            } else {
                let m = MediaInsights {
                    media_id: "1".into(),
                    media_type: None,
                    media_product_type: None,
                    rows: rows.clone(),
                };
                media_insights_batch(&schema, &[m]).unwrap()
            };
            let breakdown = b.column(at).as_string::<i32>();
            let dimension = b.column(at + 1).as_string::<i32>();
            assert_eq!(breakdown.value(0), "city");
            assert_eq!(dimension.value(0), "London, England");
            assert!(breakdown.is_null(1) && dimension.is_null(1));
        }
    }
}
