//! The currencies orders are in, listed without reading the orders: `insights.facets` walks `(currency)`
//! from one distinct value to the next (a lookup per currency), as it walks the customers' segment and
//! region indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "orders";
const BY_CURRENCY: &str = "ix_orders_currency";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let index = Index::create().name(BY_CURRENCY).table(Alias::new(TABLE)).col(Alias::new("currency")).take();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(BY_CURRENCY).table(Alias::new(TABLE)).to_owned()).await
    }
}
