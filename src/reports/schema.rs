//! The static Arrow schema of every report (CONTRACT §4). Declared, never inferred: a field the Graph API
//! leaves out becomes a null, never a different schema.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{Schema, SchemaRef};

use super::catalog::ReportKind;

pub use super::spec::media_fields;

/// Every report's schema, built once from its spec.
static SCHEMAS: LazyLock<Vec<SchemaRef>> = LazyLock::new(|| {
    ReportKind::ALL
        .iter()
        .map(|r| (r.spec().schema)())
        .collect()
});

/// The full schema of a report.
pub fn report_schema(report: ReportKind) -> SchemaRef {
    let at = ReportKind::ALL
        .iter()
        .position(|r| *r == report)
        .unwrap_or_default();
    SCHEMAS[at].clone()
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
