//! Bulk import and export in the CSV (one file per table) and NDJSON formats.

mod batch;
pub mod directory;
pub mod export;
pub mod import;
mod line_breaks;
pub mod records;
pub mod source;
