//! Keeps the satisfaction rollups equal to what the rows say, inside the writing transaction.
//!
//! Every write that can change an answer, a surveyed touchpoint, or the segment and region they are
//! counted under follows one protocol: `begin_write`, then `retract` the customers whose rows it may
//! change (their whole contribution leaves the rollups), change the rows, then `restore` the same
//! customers (their new contribution is added). A customer's rows are few, so this costs a few small
//! aggregations whatever changed, and it is right for every kind of change by construction.
//!
//! Concurrent writers: on PostgreSQL every such transaction first takes one advisory transaction lock,
//! so they run one after another (a second writer would otherwise retract a contribution computed before
//! the first one committed). SQLite has a single writer anyway.

use migration::rollup_sql::{self, Direction, Scope};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

use crate::error::{AppError, AppResult};
use crate::services::sql::Sql;

/// The advisory lock key serialising satisfaction writers on PostgreSQL ("ci-rollups" as a number).
const WRITER_LOCK: i64 = 0x6369_726f_6c6c;

/// Customers per statement: keeps the statement text small.
const CHUNK: usize = 500;

/// Starts a transaction for a write that changes satisfaction data.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let txn = db.begin().await.map_err(AppError::from_db)?;
    lock_writers(&txn).await?;
    Ok(txn)
}

/// Takes the writers' lock in an open transaction (released at commit or rollback).
pub async fn lock_writers(txn: &DatabaseTransaction) -> AppResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql = format!("SELECT pg_advisory_xact_lock({WRITER_LOCK})");
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.map_err(AppError::from_db)?;
    }
    Ok(())
}

async fn apply(txn: &DatabaseTransaction, customers: &[i64], direction: Direction) -> AppResult<()> {
    let mut customers = customers.to_vec();
    customers.sort_unstable();
    customers.dedup();
    let backend = txn.get_database_backend();
    for chunk in customers.chunks(CHUNK) {
        for sql in rollup_sql::contributions(backend, Scope::Customers(chunk), direction) {
            txn.execute_raw(Statement::from_string(backend, sql)).await.map_err(AppError::from_db)?;
        }
    }
    Ok(())
}

/// Takes the customers' current rows out of the rollups. Call before changing them.
pub async fn retract(txn: &DatabaseTransaction, customers: &[i64]) -> AppResult<()> {
    apply(txn, customers, Direction::Subtract).await
}

/// Adds the customers' current rows to the rollups. Call after changing them.
pub async fn restore(txn: &DatabaseTransaction, customers: &[i64]) -> AppResult<()> {
    apply(txn, customers, Direction::Add).await
}

/// Recomputes both rollup tables from every row (after a bulk load, or to repair).
pub async fn rebuild(txn: &DatabaseTransaction) -> AppResult<()> {
    let backend = txn.get_database_backend();
    for sql in rollup_sql::rebuild(backend) {
        txn.execute_raw(Statement::from_string(backend, sql)).await.map_err(AppError::from_db)?;
    }
    Ok(())
}

/// Rollup rows that differ from a fresh computation: `(table, key, stored, expected)` descriptions.
/// Rows whose counts went back to zero are equal to missing rows.
pub async fn differences(db: &DatabaseConnection) -> AppResult<Vec<String>> {
    let txn = db.begin().await.map_err(AppError::from_db)?;
    let stored = snapshot(&txn).await?;
    rebuild(&txn).await?;
    let fresh = snapshot(&txn).await?;
    txn.rollback().await.map_err(AppError::from_db)?;
    let mut out = Vec::new();
    for key in stored.keys().chain(fresh.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (a, b) = (stored.get(key), fresh.get(key));
        if a != b {
            out.push(format!("{key}: stored {a:?}, expected {b:?}"));
        }
    }
    Ok(out)
}

/// Every non-zero rollup row as `key -> counts`, for comparisons.
async fn snapshot(txn: &DatabaseTransaction) -> AppResult<std::collections::BTreeMap<String, Vec<i64>>> {
    use rollup_sql::{ANSWER_ROLLUPS, SURVEY_ROLLUPS};
    let backend = txn.get_database_backend();
    let queries = [
        (
            format!(
                "SELECT grain || '|' || CAST(slice AS TEXT) || '|' || metric || '|' || touchpoint_kind || '|' || \
                 channel || '|' || segment || '|' || region || '|' || CAST(score AS TEXT) AS k, answers AS a, \
                 commented AS b, CAST(0 AS BIGINT) AS c, CAST(0 AS BIGINT) AS d FROM {ANSWER_ROLLUPS} WHERE answers <> 0 OR commented <> 0"
            ),
            "answers",
        ),
        (
            format!(
                "SELECT grain || '|' || CAST(slice AS TEXT) || '|' || touchpoint_kind || '|' || channel || '|' || \
                 segment || '|' || region AS k, surveyed AS a, answered_nps AS b, answered_csat AS c, \
                 answered_ces AS d FROM {SURVEY_ROLLUPS} \
                 WHERE surveyed <> 0 OR answered_nps <> 0 OR answered_csat <> 0 OR answered_ces <> 0"
            ),
            "surveys",
        ),
    ];
    let mut rows = std::collections::BTreeMap::new();
    for (sql, table) in queries {
        for row in txn.query_all_raw(Statement::from_string(backend, sql)).await.map_err(AppError::from_db)? {
            let key: String = row.try_get("", "k").map_err(AppError::from_db)?;
            let mut counts = Vec::with_capacity(4);
            for column in ["a", "b", "c", "d"] {
                counts.push(row.try_get::<i64>("", column).map_err(AppError::from_db)?);
            }
            rows.insert(format!("{table}|{key}"), counts);
        }
    }
    Ok(rows)
}

/// A table whose rows count in the rollups.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rows {
    Customers,
    Touchpoints,
    Feedback,
}

/// The customers whose contribution to the rollups involves the rows with these external ids, as they
/// are now: a customer's own rows (its segment and region label them), the owner of a touchpoint and
/// the authors of its answers (the touchpoint's kind labels them), the author of an answer and the owner
/// of its touchpoint (whether the survey was answered counts there).
pub async fn customers_involved(txn: &DatabaseTransaction, rows: Rows, external_ids: &[String]) -> AppResult<Vec<i64>> {
    let backend = txn.get_database_backend();
    let mut customers = Vec::new();
    for chunk in external_ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        let list = |sql: &mut Sql| {
            sql.push("(");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(id.clone());
            }
            sql.push(")");
        };
        match rows {
            Rows::Customers => {
                sql.push("SELECT id AS customer_id FROM customers WHERE external_id IN ");
                list(&mut sql);
            }
            Rows::Touchpoints => {
                sql.push("SELECT customer_id FROM touchpoints WHERE external_id IN ");
                list(&mut sql);
                sql.push(
                    " UNION SELECT f.customer_id FROM touchpoints t JOIN feedback f ON f.touchpoint_id = t.id \
                     WHERE t.external_id IN ",
                );
                list(&mut sql);
            }
            Rows::Feedback => {
                sql.push("SELECT customer_id FROM feedback WHERE external_id IN ");
                list(&mut sql);
                sql.push(
                    " UNION SELECT t.customer_id FROM feedback f JOIN touchpoints t ON t.id = f.touchpoint_id \
                     WHERE f.external_id IN ",
                );
                list(&mut sql);
            }
        }
        for row in txn.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
            customers.push(row.try_get::<i64>("", "customer_id").map_err(AppError::from_db)?);
        }
    }
    customers.sort_unstable();
    customers.dedup();
    Ok(customers)
}
