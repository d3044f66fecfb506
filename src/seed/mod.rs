//! The deterministic synthetic data set behind `seed` and `serve --demo`.

mod generator;
pub(crate) mod rng;
#[cfg(test)]
mod tests;
mod writer;

use entity::customer;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use generator::Generator;
pub use generator::span;
use writer::{Writer, advance_id_sequences};

use crate::db::set_aside::{self, ForeignKeys};
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, Default)]
pub struct SeedOptions {
    pub customers: u32,
    pub seed: u64,
    /// Relationship (pulse) NPS surveys per customer and year, from the first order on; 0 for none.
    /// Denser feedback for benchmarks: the data set is otherwise unchanged.
    pub pulse_surveys_per_year: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub customers: u64,
    pub orders: u64,
    pub touchpoints: u64,
    pub feedback: u64,
    pub complaints: u64,
}

/// Generates and writes the data set in one transaction. The database must be empty: the generated ids
/// and external ids are part of the data set, and seeding twice would collide.
pub async fn seed(db: &DatabaseConnection, options: &SeedOptions) -> AppResult<SeedReport> {
    if customer::Entity::find().count(db).await.map_err(AppError::from_db)? > 0 {
        return Err(AppError::bad_input("database", "the database is not empty: seed only fills an empty database"));
    }
    let txn = crate::rollups::maintenance::begin_rebuild(db).await?;
    // Every table is empty: indexes and keys are built once from the rows (see `db::set_aside`).
    let mut set_aside = Vec::new();
    for table in crate::db::data_tables() {
        set_aside.push(set_aside::set_aside(&txn, table, ForeignKeys::SetAside).await.map_err(AppError::from_db)?);
    }
    // Every row is stored now, as far as extracts go.
    let written_at = crate::services::writes::times::now();
    let mut generator = Generator::new(options.seed, written_at).with_pulse_surveys(options.pulse_surveys_per_year);
    let mut writer = Writer::default();
    let mut report = SeedReport::default();
    for _ in 0..options.customers {
        let bundle = generator.next_customer();
        report.customers += 1;
        report.orders += bundle.orders.len() as u64;
        report.touchpoints += bundle.touchpoints.len() as u64;
        report.feedback += bundle.feedback.len() as u64;
        report.complaints += bundle.complaints.len() as u64;
        writer.push(&txn, bundle).await?;
    }
    writer.flush(&txn).await?;
    for aside in set_aside {
        aside.restore(&txn).await.map_err(AppError::from_db)?;
    }
    advance_id_sequences(&txn).await?;
    crate::rollups::maintenance::rebuild(&txn).await?;
    crate::rollups::maintenance::commit(db, txn).await?;
    crate::db::after_bulk_write(db).await.map_err(AppError::from_db)?;
    Ok(report)
}
