//! Schema migrations, applied in order by `customer-insights migrate` and on `serve` start.
//! One migration per change, each with `up` and `down`.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_core_tables;
mod m20261125_000001_create_api_keys;
mod m20261126_000001_create_satisfaction_rollups;
mod m20261129_000001_create_data_version;
mod m20261129_000002_rollups_by_order_status;
mod m20261201_000001_create_clv_models;
mod m20261202_000001_create_complaints;
mod m20261202_000002_feedback_by_metric_and_time;
mod m20261203_000001_feedback_at_touchpoints_by_metric_and_time;
mod m20261204_000001_orders_by_currency;
mod m20261205_000001_row_times;
mod m20261205_000002_create_deletions;
mod m20261206_000001_children_by_id;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_core_tables::Migration),
            Box::new(m20261125_000001_create_api_keys::Migration),
            Box::new(m20261126_000001_create_satisfaction_rollups::Migration),
            Box::new(m20261129_000001_create_data_version::Migration),
            Box::new(m20261129_000002_rollups_by_order_status::Migration),
            Box::new(m20261201_000001_create_clv_models::Migration),
            Box::new(m20261202_000001_create_complaints::Migration),
            Box::new(m20261202_000002_feedback_by_metric_and_time::Migration),
            Box::new(m20261203_000001_feedback_at_touchpoints_by_metric_and_time::Migration),
            Box::new(m20261204_000001_orders_by_currency::Migration),
            Box::new(m20261205_000001_row_times::Migration),
            Box::new(m20261205_000002_create_deletions::Migration),
            Box::new(m20261206_000001_children_by_id::Migration),
        ]
    }
}
