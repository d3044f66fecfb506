//! What is stored: row counts, the rollups' agreement with the rows, and a quiet import.

use customer_insights::rollups::maintenance;
use customer_insights::transfer::import::Progress;
use entity::{customer, feedback, order, touchpoint};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

/// Customers, orders, touchpoints and answers stored.
pub async fn row_counts(db: &DatabaseConnection) -> [u64; 4] {
    [
        customer::Entity::find().count(db).await.unwrap(),
        order::Entity::find().count(db).await.unwrap(),
        touchpoint::Entity::find().count(db).await.unwrap(),
        feedback::Entity::find().count(db).await.unwrap(),
    ]
}

/// Asserts that the satisfaction rollups equal a fresh computation from the rows, `after` what.
pub async fn assert_rollups_exact(db: &DatabaseConnection, after: &str) {
    let differences = maintenance::differences(db).await.expect("compare rollups");
    assert!(
        differences.is_empty(),
        "rollups differ from the rows after {after}: {} rows, first: {:?}",
        differences.len(),
        &differences[..differences.len().min(5)]
    );
}

/// An import's progress, reported nowhere.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
