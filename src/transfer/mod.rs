//! Bulk import and export in the CSV (one file per table) and NDJSON formats.

mod batch;
pub mod export;
pub mod import;
pub mod records;
pub mod source;
