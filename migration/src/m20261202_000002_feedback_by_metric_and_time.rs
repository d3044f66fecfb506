//! Answers of one metric within a time range come from one index range: `(metric, submitted_at)`
//! replaces `(metric, score)`. Satisfaction read from the rows filters by both; with only a time index,
//! a rare metric (CES) read every answer of the period, and with only a metric index, a common one (NPS)
//! read every answer of the metric. Filters by metric and score (answer categories) still find the
//! metric's answers through it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "feedback";
const BY_SCORE: &str = "ix_feedback_metric_score";
const BY_TIME: &str = "ix_feedback_metric_submitted";

fn index(name: &str, columns: [&'static str; 2]) -> IndexCreateStatement {
    Index::create().name(name).table(Alias::new(TABLE)).col(Alias::new(columns[0])).col(Alias::new(columns[1])).take()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new(TABLE)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index(BY_TIME, ["metric", "submitted_at"])).await?;
        manager.drop_index(drop(BY_SCORE)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index(BY_SCORE, ["metric", "score"])).await?;
        manager.drop_index(drop(BY_TIME)).await
    }
}
