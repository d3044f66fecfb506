//! The answers given at touchpoints, by metric and time, with what the closed-loop insights read of them
//! (score, touchpoint, customer): a partial index over a tenth of the answers when relationship surveys
//! dominate. Dissatisfied answers of a period then come from one index range per metric without reading
//! the table, instead of every answer of the metric in the period through `(metric, submitted_at)`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE: &str = "CREATE INDEX ix_feedback_at_touchpoint_metric_submitted \
    ON feedback (metric, submitted_at, score, touchpoint_id, customer_id, id) WHERE touchpoint_id IS NOT NULL";
const DROP: &str = "DROP INDEX ix_feedback_at_touchpoint_metric_submitted";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(CREATE).await.map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DROP).await.map(|_| ())
    }
}
