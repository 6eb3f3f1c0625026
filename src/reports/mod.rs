//! Reports: the catalog, static Arrow schemas, and converters from Graph pages to record batches.

pub mod catalog;
pub mod convert;
pub mod insights;
pub mod media;
pub mod rows;
pub mod schema;
