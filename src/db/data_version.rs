//! The data version (see the migration that creates it): read before an answer is taken from the
//! response cache, raised by every write.
//!
//! PostgreSQL raises it right after the write commits: a reader that saw the old number may have read
//! the new rows (and cached them under the old number, which is harmless), and every read after the
//! write's answer sees the new number. SQLite raises it inside the writing transaction.
//!
//! A PostgreSQL standby cannot tell the primary's number: a sequence is written to the WAL 32 values
//! ahead, so a standby's copy stays the same across many writes. There the version is the position up
//! to which the standby has replayed the WAL, negated so that it never equals a primary's number: it
//! moves with every replayed change (and with changes that touch no data, which only costs cache hits).
//! Either way the number is read before the answer is computed, and the answer reflects at least the
//! data the number stands for.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};

use crate::error::{AppError, AppResult};

pub async fn read(db: &impl ConnectionTrait) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT CASE WHEN pg_is_in_recovery() \
             THEN -CAST(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS BIGINT) \
             ELSE (SELECT last_value FROM data_version) END AS version"
        }
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
