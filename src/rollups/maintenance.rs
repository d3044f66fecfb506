//! Keeps the satisfaction rollups equal to what the rows say, inside the writing transaction.
//!
//! Every write that can change an answer, a surveyed touchpoint, or the segment and region they are
//! counted under follows one protocol: `begin_write`, `lock` the rows whose contribution it changes,
//! `retract` their contribution (a `Scope`: answers, touchpoints or whole customers), change the rows,
//! then `restore` the same scope. Contributions are sums, so retract-then-restore of disjoint scopes
//! commute: writers of different rows never wait for each other, and the rollups stay exact.
//!
//! Locks (PostgreSQL; SQLite has one writer at a time and takes it at `BEGIN IMMEDIATE`): a writer
//! holds `FOR SHARE` on the customers and orders whose segment, region and status label the rows it
//! changes, and `FOR UPDATE` on the touchpoints and answers it changes (an answer changes whether its
//! touchpoint counts as answered, so answers to one touchpoint are written one after another); a change
//! of a customer's segment or region, or of an order's status, holds that row `FOR UPDATE`. Everyone
//! locks customers first, then orders, touchpoints and answers, each in id order, so writers queue
//! rather than deadlock; a deadlock that still happens is retried (`with_retries`). A rebuild of the
//! rollups locks both tables against the writers' changes (`exclude_writers`).

use std::future::Future;

use entity::rollups::{ANSWER_ROLLUPS, SURVEY_ROLLUPS};
use entity::{customer, feedback, order, touchpoint};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityName, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

use crate::db::data_version;
use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};
use crate::rollups::sql::{self as rollup_sql, Direction};

pub use crate::rollups::sql::Scope;

/// Ids per statement: bounds the rows one upkeep statement groups and sorts.
const CHUNK: usize = 500;

/// How often a write that lost a deadlock or a serialization conflict is tried again.
const ATTEMPTS: usize = 5;

/// Starts a transaction for a write that changes satisfaction data. SQLite takes the database's write
/// lock now (`BEGIN IMMEDIATE`, waiting for another writer up to the busy timeout), so the write cannot
/// fail half-way on a snapshot another writer made stale.
///
/// PostgreSQL plans the transaction's prepared statements once per connection (a generic plan) instead of
/// for every execution: it otherwise re-plans the rollup upkeep, whose id-array parameter it cannot
/// size, each time (about 1.4 ms, four times the statement's run time), and a write's statements are
/// lookups by key, for which the generic plan is the plan.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let txn = db.begin_with_options(options).await.map_err(AppError::from_db)?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan").await.map_err(AppError::from_db)?;
    }
    Ok(txn)
}

/// Commits a write transaction and raises the data version (every instance's cached answers from before
/// the write stop being served). Once committed, the write stands: a version that could not be raised
/// after it is logged (other instances may serve answers cached before it until the next write), not
/// returned to the writer as if the write had failed.
pub async fn commit(db: &DatabaseConnection, txn: DatabaseTransaction) -> AppResult<()> {
    data_version::raise_in(&txn).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    if let Err(error) = data_version::raise_after_commit(db).await {
        tracing::error!(%error, "the data version was not raised after a committed write");
    }
    Ok(())
}

/// Starts a transaction that rebuilds the rollups: no writer runs beside it.
pub async fn begin_rebuild(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let txn = db.begin_with_options(options).await.map_err(AppError::from_db)?;
    exclude_writers(&txn).await?;
    Ok(txn)
}

/// In an open write transaction: waits for the writers that changed the rollups and keeps others from
/// changing them until it ends (before a rebuild inside an import). A writer changes the rollups only
/// while it holds the rows it counts, so one blocked here has not counted anything yet, and counts
/// after the rebuild, from the rows the rebuild counted.
pub async fn exclude_writers(txn: &DatabaseTransaction) -> AppResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql = format!("LOCK TABLE {ANSWER_ROLLUPS}, {SURVEY_ROLLUPS} IN EXCLUSIVE MODE");
        execute(txn, sql).await?;
    }
    Ok(())
}

/// Runs `write` (one whole transaction) again when the database chose it as the victim of a deadlock or
/// a serialization conflict, or a concurrent writer inserted the same new row first; up to a few times.
pub async fn with_retries<T, F, Fut>(mut write: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let mut attempt = 1;
    loop {
        match write().await {
            Err(error) if attempt < ATTEMPTS && (error.is_retryable() || error.is_unique_violation()) => attempt += 1,
            result => return result,
        }
    }
}

/// The tables whose rows a writer locks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Locked {
    /// Customers whose segment and region label the rows written.
    CustomersShared,
    /// Customers whose segment or region changes.
    Customers,
    /// Orders whose status labels the touchpoints written.
    OrdersShared,
    /// Orders whose status changes.
    Orders,
    Touchpoints,
    Answers,
}

/// Locks rows by id, in id order (PostgreSQL; SQLite's writer already holds the whole database).
pub async fn lock(txn: &DatabaseTransaction, rows: Locked, ids: &[i64]) -> AppResult<()> {
    if txn.get_database_backend() != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let (table, mode) = match rows {
        Locked::CustomersShared => (customer::Entity.table_name(), "FOR SHARE"),
        Locked::Customers => (customer::Entity.table_name(), "FOR UPDATE"),
        Locked::OrdersShared => (order::Entity.table_name(), "FOR SHARE"),
        Locked::Orders => (order::Entity.table_name(), "FOR UPDATE"),
        Locked::Touchpoints => (touchpoint::Entity.table_name(), "FOR UPDATE"),
        Locked::Answers => (feedback::Entity.table_name(), "FOR UPDATE"),
    };
    // One statement text whatever the ids: prepared once per connection.
    let sql = format!("SELECT id FROM {table} WHERE id = ANY(CAST($1 AS TEXT)::bigint[]) ORDER BY id {mode}");
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let ids = format!("{{{}}}", list.join(","));
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, [ids.into()]);
    txn.query_all_raw(statement).await.map_err(AppError::from_db)?;
    Ok(())
}

async fn execute(txn: &DatabaseTransaction, sql: String) -> AppResult<()> {
    let backend = txn.get_database_backend();
    txn.execute_raw(Statement::from_string(backend, sql)).await.map_err(AppError::from_db)?;
    Ok(())
}

async fn apply(txn: &DatabaseTransaction, scope: Scope<'_>, direction: Direction) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let run = |scope: Scope<'_>| {
        let statements = rollup_sql::contributions(backend, scope, direction);
        async move {
            for contribution in statements {
                let statement = match contribution.ids {
                    Some(ids) => Statement::from_sql_and_values(backend, contribution.sql, [ids.into()]),
                    None => Statement::from_string(backend, contribution.sql),
                };
                txn.execute_raw(statement).await.map_err(AppError::from_db)?;
            }
            AppResult::Ok(())
        }
    };
    let sorted = |ids: &[i64]| {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    match scope {
        Scope::Everything => run(scope).await,
        Scope::Customers(ids) => {
            for chunk in sorted(ids).chunks(CHUNK) {
                run(Scope::Customers(chunk)).await?;
            }
            Ok(())
        }
        Scope::Rows { answers, touchpoints } => {
            for chunk in sorted(answers).chunks(CHUNK) {
                run(Scope::Rows { answers: chunk, touchpoints: &[] }).await?;
            }
            for chunk in sorted(touchpoints).chunks(CHUNK) {
                run(Scope::Rows { answers: &[], touchpoints: chunk }).await?;
            }
            Ok(())
        }
    }
}

/// Takes the current contribution of `scope` out of the rollups. Call before changing its rows.
pub async fn retract(txn: &DatabaseTransaction, scope: Scope<'_>) -> AppResult<()> {
    apply(txn, scope, Direction::Subtract).await
}

/// Adds the current contribution of `scope` to the rollups. Call after changing its rows.
pub async fn restore(txn: &DatabaseTransaction, scope: Scope<'_>) -> AppResult<()> {
    apply(txn, scope, Direction::Add).await
}

/// Recomputes both rollup tables from every row (after a bulk load, or to repair), in a transaction
/// that excludes the writers (`begin_rebuild`, or `exclude_writers` first).
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
    let txn = begin_rebuild(db).await?;
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
    let backend = txn.get_database_backend();
    let queries = [
        (
            format!(
                "SELECT grain || '|' || CAST(slice AS TEXT) || '|' || metric || '|' || touchpoint_kind || '|' || \
                 channel || '|' || segment || '|' || region || '|' || order_status || '|' || CAST(score AS TEXT) AS k, \
                 answers AS a, \
                 commented AS b, CAST(0 AS BIGINT) AS c, CAST(0 AS BIGINT) AS d FROM {ANSWER_ROLLUPS} WHERE answers <> 0 OR commented <> 0"
            ),
            "answers",
        ),
        (
            format!(
                "SELECT grain || '|' || CAST(slice AS TEXT) || '|' || touchpoint_kind || '|' || channel || '|' || \
                 segment || '|' || region || '|' || order_status AS k, surveyed AS a, answered_nps AS b, \
                 answered_csat AS c, \
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
    Orders,
    Touchpoints,
    Feedback,
}

/// The customers whose contribution to the rollups involves the rows with these external ids, as they
/// are now: a customer's own rows (its segment and region label them), the owners of an order's
/// touchpoints and the authors of their answers (the order's status labels them), the owner of a
/// touchpoint and the authors of its answers (the touchpoint's kind labels them), the author of an answer
/// and the owner of its touchpoint (whether the survey was answered counts there).
pub async fn customers_involved(txn: &DatabaseTransaction, rows: Rows, external_ids: &[String]) -> AppResult<Vec<i64>> {
    let backend = txn.get_database_backend();
    let (customers, orders) = (customer::Entity.table_name(), order::Entity.table_name());
    let (touchpoints, feedback) = (touchpoint::Entity.table_name(), feedback::Entity.table_name());
    let mut involved = Vec::new();
    for chunk in external_ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        let ids = || chunk.iter().cloned();
        match rows {
            Rows::Customers => {
                sql.push(&format!("SELECT id AS customer_id FROM {customers} WHERE ")).in_list("external_id", ids());
            }
            Rows::Orders => {
                sql.push(&format!(
                    "SELECT t.customer_id FROM {orders} o JOIN {touchpoints} t ON t.order_id = o.id WHERE "
                ))
                .in_list("o.external_id", ids());
                sql.push(&format!(
                    " UNION SELECT f.customer_id FROM {orders} o JOIN {touchpoints} t ON t.order_id = o.id \
                     JOIN {feedback} f ON f.touchpoint_id = t.id WHERE "
                ))
                .in_list("o.external_id", ids());
            }
            Rows::Touchpoints => {
                sql.push(&format!("SELECT customer_id FROM {touchpoints} WHERE ")).in_list("external_id", ids());
                sql.push(&format!(
                    " UNION SELECT f.customer_id FROM {touchpoints} t JOIN {feedback} f ON f.touchpoint_id = t.id \
                     WHERE "
                ))
                .in_list("t.external_id", ids());
            }
            Rows::Feedback => {
                sql.push(&format!("SELECT customer_id FROM {feedback} WHERE ")).in_list("external_id", ids());
                sql.push(&format!(
                    " UNION SELECT t.customer_id FROM {feedback} f JOIN {touchpoints} t ON t.id = f.touchpoint_id \
                     WHERE "
                ))
                .in_list("f.external_id", ids());
            }
        }
        for row in txn.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
            involved.push(row.try_get::<i64>("", "customer_id").map_err(AppError::from_db)?);
        }
    }
    involved.sort_unstable();
    involved.dedup();
    Ok(involved)
}
