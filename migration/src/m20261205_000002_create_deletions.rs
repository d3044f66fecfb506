//! Tombstones of deleted rows (`deletions`): every delete writes one per row it deletes, in its own
//! transaction, so a copy of the data kept in sync by incremental extracts learns what to delete too.
//! They are kept for good (`docs/api.md`, "Incremental extracts"). Read by time of deletion: the index
//! `(deleted_at, id)` is the order `Query.deletions` pages in.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deletions {
    Table,
    Id,
    NodeType,
    RowId,
    ExternalId,
    DeletedAt,
}

const NODE_TYPES: &str = "'CUSTOMER','ORDER','TOUCHPOINT','FEEDBACK','COMPLAINT'";
const BY_TIME: &str = "ix_deletions_deleted_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Deletions::Table)
                    .col(big_pk_auto(Deletions::Id))
                    .col(string_len(Deletions::NodeType, 16).check(Expr::cust(format!("node_type IN ({NODE_TYPES})"))))
                    .col(big_integer(Deletions::RowId))
                    .col(string_len(Deletions::ExternalId, 128))
                    .col(ColumnDef::new(Deletions::DeletedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        let index =
            Index::create().name(BY_TIME).table(Deletions::Table).col(Deletions::DeletedAt).col(Deletions::Id).take();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Deletions::Table).to_owned()).await
    }
}
