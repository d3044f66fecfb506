//! `customer-insights import`: validate every record first, then write all of them in one transaction
//! (upserts by external id), so an import is all-or-nothing and repeating it changes nothing. Records
//! keep the rules of the mutations (`domain::validation`, and the writes' rules on references and on
//! rows that change customers); a refusal names the file, line and column.

use std::path::Path;

use entity::rollups::{ANSWER_ROLLUPS, SURVEY_ROLLUPS};
use entity::{feedback, touchpoint};
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait};

use crate::db::set_aside::{self, ForeignKeys};
use crate::error::AppError;
use crate::rollups::maintenance;
use crate::transfer::batch::{RollupUpkeep, StoredBefore, write_batch};
use crate::transfer::records::{Record, RecordError, Row, Table};
use crate::transfer::source::Source;

/// Records per batch: one multi-row INSERT, one lookup per table referred to.
const BATCH: usize = 4000;
/// Validation goes on past the first error, to report many at once, but not forever.
const MAX_REPORTED_ERRORS: usize = 50;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Validate every record and reference, write nothing.
    pub dry_run: bool,
    /// Leave out the CSV files of a directory that are not import files, instead of refusing the import.
    pub skip_unknown_files: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub customers: u64,
    pub orders: u64,
    pub touchpoints: u64,
    pub feedback: u64,
    pub complaints: u64,
    pub dry_run: bool,
    /// Rows of erased customers whose personal data stayed erased (names, e-mails, comments dropped).
    pub kept_erased: u64,
    /// CSV files of the directory that are not import files, left out (`skip_unknown_files`).
    pub skipped_files: Vec<String>,
    /// The directory's other files and directories, not read.
    pub ignored_files: Vec<String>,
}

impl ImportReport {
    fn count(&mut self, table: Table, n: u64) {
        match table {
            Table::Customers => self.customers += n,
            Table::Orders => self.orders += n,
            Table::Touchpoints => self.touchpoints += n,
            Table::Feedback => self.feedback += n,
            Table::Complaints => self.complaints += n,
        }
    }

    pub fn total(&self) -> u64 {
        self.customers + self.orders + self.touchpoints + self.feedback + self.complaints
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The records that are wrong; nothing was written.
    #[error("{} invalid record(s); nothing was imported", .0.len())]
    Invalid(Vec<RecordError>),
    #[error(transparent)]
    App(#[from] AppError),
}

/// Reports progress as records are written (a terminal progress bar, or nothing).
pub trait Progress {
    fn start(&self, total: u64);
    fn advance(&self, rows: u64);
    fn finish(&self);
}

pub async fn import(
    db: &DatabaseConnection,
    path: &Path,
    options: ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let ImportOptions { dry_run, skip_unknown_files } = options;
    let source = Source::open(path, skip_unknown_files).map_err(ImportError::Invalid)?;
    let total = validate(&source)?;
    progress.start(total);
    let txn = maintenance::begin_write(db).await?;
    let rollups = rollup_upkeep(&txn, total).await?;
    if rollups == RollupUpkeep::RebuildAtEnd {
        // A bulk load: other writers wait until it is done, so the rebuild at its end counts them once.
        maintenance::exclude_writers(&txn).await?;
    }
    let mut report = ImportReport { dry_run, ..Default::default() };
    if let Some(files) = source.directory_files() {
        report.skipped_files.clone_from(&files.skipped);
        report.ignored_files.clone_from(&files.ignored);
    }
    // Every table refers to customers: none, no rows anywhere, and no reader waits on a table it
    // could see rows in while the foreign keys are set aside.
    let foreign_keys = match StoredBefore::of(&txn, Table::Customers).await? {
        StoredBefore::Nothing => ForeignKeys::SetAside,
        StoredBefore::Rows => ForeignKeys::Kept,
    };
    for table in source.tables() {
        let stored_before = StoredBefore::of(&txn, table).await?;
        // Filling an empty table: its indexes are built once at the end instead of row by row (with
        // per-batch rollup upkeep, which reads the table by customer, they stay).
        let set_aside = match (stored_before, rollups) {
            (StoredBefore::Nothing, RollupUpkeep::RebuildAtEnd) => {
                Some(set_aside::set_aside(&txn, table.table_name(), foreign_keys).await.map_err(AppError::from_db)?)
            }
            _ => None,
        };
        let mut batch: Vec<(Record, Row)> = Vec::with_capacity(BATCH);
        let records = source.records(table).map_err(|e| ImportError::Invalid(vec![e]))?;
        for record in records {
            let record = record.map_err(|e| ImportError::Invalid(vec![e]))?;
            let row = record.parse().map_err(|e| ImportError::Invalid(vec![e]))?;
            batch.push((record, row));
            if batch.len() == BATCH {
                report.kept_erased +=
                    write_batch(&txn, table, std::mem::take(&mut batch), rollups, stored_before).await?;
                report.count(table, BATCH as u64);
                progress.advance(BATCH as u64);
            }
        }
        let rest = batch.len() as u64;
        report.kept_erased += write_batch(&txn, table, batch, rollups, stored_before).await?;
        report.count(table, rest);
        progress.advance(rest);
        if let Some(set_aside) = set_aside {
            set_aside.restore(&txn).await.map_err(AppError::from_db)?;
        }
        crate::db::refresh_statistics(&txn, table.table_name()).await.map_err(AppError::from_db)?;
    }
    if rollups == RollupUpkeep::RebuildAtEnd {
        maintenance::rebuild(&txn).await?;
        for table in [ANSWER_ROLLUPS, SURVEY_ROLLUPS] {
            crate::db::refresh_statistics(&txn, table).await.map_err(AppError::from_db)?;
        }
    }
    // A dry run goes through every write, references included, and then rolls back.
    if dry_run {
        txn.rollback().await.map_err(AppError::from_db)?;
    } else {
        crate::rollups::maintenance::commit(db, txn).await?;
        // The statistics were refreshed inside the transaction, table by table.
        crate::db::checkpoint(db).await.map_err(AppError::from_db)?;
    }
    progress.finish();
    Ok(report)
}

/// Pass 1: parses every record of every table; returns how many there are.
fn validate(source: &Source) -> Result<u64, ImportError> {
    let mut errors = Vec::new();
    let mut count = 0;
    for table in source.tables() {
        match source.records(table) {
            Err(e) => errors.push(e),
            Ok(records) => {
                for record in records {
                    count += 1;
                    if let Err(e) = record.and_then(|r| r.parse().map(|_| ())) {
                        errors.push(e);
                    }
                    if errors.len() >= MAX_REPORTED_ERRORS {
                        return Err(ImportError::Invalid(errors));
                    }
                }
            }
        }
    }
    if errors.is_empty() { Ok(count) } else { Err(ImportError::Invalid(errors)) }
}

/// Rebuilding the rollups once is cheaper than per batch upkeep when the import is larger than what is
/// stored.
async fn rollup_upkeep(txn: &DatabaseTransaction, records: u64) -> Result<RollupUpkeep, ImportError> {
    let stored = touchpoint::Entity::find().count(txn).await.map_err(AppError::from_db)?
        + feedback::Entity::find().count(txn).await.map_err(AppError::from_db)?;
    Ok(if records > stored { RollupUpkeep::RebuildAtEnd } else { RollupUpkeep::PerBatch })
}
