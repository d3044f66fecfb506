//! The data version (see the migration that creates it): read before an answer is taken from the
//! response cache, raised by every write.
//!
//! PostgreSQL raises it right after the write commits: a reader that saw the old number may have read
//! the new rows (and cached them under the old number, which is harmless), and every read after the
//! write's answer sees the new number. SQLite raises it inside the writing transaction.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};

use crate::error::{AppError, AppResult};

pub async fn read(db: &impl ConnectionTrait) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT last_value AS version FROM data_version",
        _ => "SELECT version FROM data_version WHERE id = 1",
    };
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.map_err(AppError::from_db)?;
    match row {
        Some(row) => row.try_get("", "version").map_err(AppError::from_db),
        None => Err(AppError::Internal("the data version is missing".into())),
    }
}

/// Raises the version inside a write transaction (SQLite) — call `raise_after_commit` as well.
pub async fn raise_in(txn: &DatabaseTransaction) -> AppResult<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        let sql = "UPDATE data_version SET version = version + 1 WHERE id = 1";
        txn.execute_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.map_err(AppError::from_db)?;
    }
    Ok(())
}

/// Raises the version after a write committed (PostgreSQL).
pub async fn raise_after_commit(db: &DatabaseConnection) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT nextval('data_version')";
        db.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.map_err(AppError::from_db)?;
    }
    Ok(())
}
