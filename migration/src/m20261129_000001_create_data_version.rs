//! The data version: a number every write raises, so that every server instance can tell whether an
//! answer it remembers still holds (the response cache). PostgreSQL keeps it in a sequence, which
//! concurrent writers raise without waiting for each other; SQLite, which has one writer at a time, in a
//! table of one row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("CREATE SEQUENCE data_version").await?;
        } else {
            db.execute_unprepared(
                "CREATE TABLE data_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
            )
            .await?;
            db.execute_unprepared("INSERT INTO data_version (id, version) VALUES (1, 1)").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP SEQUENCE data_version").await?;
        } else {
            db.execute_unprepared("DROP TABLE data_version").await?;
        }
        Ok(())
    }
}
