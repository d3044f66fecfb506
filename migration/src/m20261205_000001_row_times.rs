//! The server's own times on customers, orders, touchpoints and answers, for incremental extracts:
//! `recorded_at` (when this server first stored the row) and `updated_at` (when a write last changed
//! it), with an index `(updated_at, id)` per table, so an extract pages through the rows changed since
//! a time in the order they changed.
//!
//! Rows stored before this migration get its time, as each column's constant default: SQLite cannot
//! add a column whose default is an expression (such as the current time), and a constant default
//! rewrites no table on either database. Every write of the server sets both columns itself; the
//! default only speaks for the rows stored before, and for rows written behind the server's back.
//!
//! The constant is written as the server's writes store timestamps (on SQLite, RFC 3339 text with
//! `+00:00` and whole microseconds), so SQLite compares it with their values as it compares theirs.

use chrono::{SecondsFormat, SubsecRound, Utc};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 4] = ["customers", "orders", "touchpoints", "feedback"];
const COLUMNS: [&str; 2] = ["recorded_at", "updated_at"];

fn index_name(table: &str) -> String {
    format!("ix_{table}_updated_at")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All tables or none, on SQLite too (whose migrations otherwise run statement by statement).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let now = Utc::now().trunc_subsecs(6).to_rfc3339_opts(SecondsFormat::AutoSi, false);
        for table in TABLES {
            // SQLite adds one column per statement.
            for column in COLUMNS {
                let column = ColumnDef::new(Alias::new(column))
                    .timestamp_with_time_zone()
                    .not_null()
                    .default(Expr::val(now.as_str()))
                    .take();
                manager.alter_table(Table::alter().table(Alias::new(table)).add_column(column).take()).await?;
            }
            let index = Index::create()
                .name(index_name(table))
                .table(Alias::new(table))
                .col(Alias::new("updated_at"))
                .col(Alias::new("id"))
                .take();
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_index(Index::drop().name(index_name(table)).table(Alias::new(table)).to_owned()).await?;
            for column in COLUMNS {
                manager
                    .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).take())
                    .await?;
            }
        }
        Ok(())
    }
}
