//! Flight SQL metadata that JDBC/ODBC-style tools ask for: the SQL types the tables and queries use
//! (`GetXdbcTypeInfo`), and the key calls (`GetPrimaryKeys`, `GetExportedKeys`, `GetImportedKeys`,
//! `GetCrossReference`), which answer with no rows: report tables have no keys.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow_flight::sql::metadata::{XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder};
use arrow_flight::sql::{Nullable, Searchable, XdbcDataType, XdbcDatetimeSubcode};

fn info(
    name: &str,
    t: XdbcDataType,
    size: Option<i32>,
    quote: bool,
    radix: Option<i32>,
    sub: Option<XdbcDatetimeSubcode>,
) -> XdbcTypeInfo {
    XdbcTypeInfo {
        type_name: name.into(),
        data_type: t,
        column_size: size,
        literal_prefix: quote.then(|| "'".into()),
        literal_suffix: quote.then(|| "'".into()),
        create_params: None,
        nullable: Nullable::NullabilityNullable,
        case_sensitive: t == XdbcDataType::XdbcVarchar,
        searchable: Searchable::Full,
        unsigned_attribute: radix.map(|_| false),
        fixed_prec_scale: false,
        auto_increment: radix.map(|_| false),
        local_type_name: Some(name.into()),
        minimum_scale: None,
        maximum_scale: None,
        // ODBC: datetime types report the category in SQL_DATA_TYPE and the kind in the subcode
        sql_data_type: if sub.is_some() {
            XdbcDataType::XdbcDatetime
        } else {
            t
        },
        datetime_subcode: sub,
        num_prec_radix: radix,
        interval_precision: None,
    }
}

/// The SQL types of the report tables and of query results (Arrow Utf8, Int64, Float64, Boolean,
/// Timestamp with time zone, Date32).
pub static XDBC_TYPES: LazyLock<XdbcTypeInfoData> = LazyLock::new(|| {
    let mut b = XdbcTypeInfoDataBuilder::new();
    b.append(info(
        "BOOLEAN",
        XdbcDataType::XdbcBit,
        Some(1),
        false,
        None,
        None,
    ));
    b.append(info(
        "BIGINT",
        XdbcDataType::XdbcBigint,
        Some(19),
        false,
        Some(10),
        None,
    ));
    b.append(info(
        "DOUBLE",
        XdbcDataType::XdbcDouble,
        Some(15),
        false,
        Some(2),
        None,
    ));
    b.append(info(
        "VARCHAR",
        XdbcDataType::XdbcVarchar,
        None,
        true,
        None,
        None,
    ));
    b.append(info(
        "DATE",
        XdbcDataType::XdbcDate,
        Some(10),
        true,
        None,
        // XDBC_SUBCODE_DATE is an alias of 1 (XdbcSubcodeYear in the generated enum)
        Some(XdbcDatetimeSubcode::XdbcSubcodeYear),
    ));
    // report timestamps are UTC instants (Arrow Timestamp with time zone "UTC")
    b.append(info(
        "TIMESTAMP WITH TIME ZONE",
        XdbcDataType::XdbcTimestamp,
        Some(35),
        true,
        None,
        Some(XdbcDatetimeSubcode::XdbcSubcodeTimestampWithTimezone),
    ));
    b.build().expect("the XDBC type list builds")
});

/// The schema of `GetPrimaryKeys` (Flight SQL spec).
pub fn primary_keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ]))
}

/// The schema of `GetExportedKeys`, `GetImportedKeys` and `GetCrossReference` (Flight SQL spec).
pub fn foreign_keys_schema() -> SchemaRef {
    let utf8 = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    Arc::new(Schema::new(vec![
        utf8("pk_catalog_name", true),
        utf8("pk_db_schema_name", true),
        utf8("pk_table_name", false),
        utf8("pk_column_name", false),
        utf8("fk_catalog_name", true),
        utf8("fk_db_schema_name", true),
        utf8("fk_table_name", false),
        utf8("fk_column_name", false),
        Field::new("key_sequence", DataType::Int32, false),
        utf8("fk_key_name", true),
        utf8("pk_key_name", true),
        Field::new("update_rule", DataType::UInt8, false),
        Field::new("delete_rule", DataType::UInt8, false),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_column_type_has_an_xdbc_type() {
        let names: Vec<String> = {
            let b = XDBC_TYPES.record_batch(None).unwrap();
            let col = b
                .column(0)
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap();
            col.iter().map(|v| v.unwrap().to_string()).collect()
        };
        assert_eq!(
            names,
            [
                "BOOLEAN",
                "BIGINT",
                "DOUBLE",
                "VARCHAR",
                "DATE",
                "TIMESTAMP WITH TIME ZONE"
            ]
        );
        // filtered by type: only VARCHAR
        let b = XDBC_TYPES
            .record_batch(XdbcDataType::XdbcVarchar as i32)
            .unwrap();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(primary_keys_schema().fields().len(), 6);
        assert_eq!(foreign_keys_schema().fields().len(), 13);
    }
}
