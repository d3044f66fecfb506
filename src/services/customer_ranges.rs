//! Work split by ranges of customer ids, run at once. Figures that are counted customer by customer
//! (loyalty, cohorts, service recovery) add up across customers, so on PostgreSQL a statement can run
//! over ranges of customers at once, each on its own connection and task, and the caller adds up what
//! each range found: the database then works on both cores for one request.

use std::future::Future;

use entity::customer;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityName};
use tokio::task::JoinSet;

use crate::db::deadline;
use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};

/// Customer ids `[first, last]`; `None` stands for every customer.
pub type CustomerRange = Option<(i64, i64)>;

/// How many ranges run at once. These statements' plans are not parallel in PostgreSQL (they stream
/// to the server, or look up rows per customer under a `WITH`), so two ranges keep two cores busy
/// (loyalty and cohort retention at a million answers about a fifth faster, service recovery about
/// half as long). SQLite reads and decodes on the same threads either way, and measured
/// no faster with two.
fn parts(backend: DbBackend) -> i64 {
    match backend {
        DbBackend::Postgres => 2,
        _ => 1,
    }
}

/// Runs `work` once per range of customers, at once, and returns what each returned, in id order.
/// Each run gets a connection handle of its own (the pool gives each statement its own connection) and
/// the request's deadline; dropping the returned future (a request that gave up) aborts the runs.
pub async fn run_each<T, F, Fut>(db: &DatabaseConnection, work: F) -> AppResult<Vec<T>>
where
    T: Send + 'static,
    F: Fn(DatabaseConnection, CustomerRange) -> Fut,
    Fut: Future<Output = AppResult<T>> + Send + 'static,
{
    let deadline = deadline::current();
    let mut tasks = JoinSet::new();
    for (index, range) in id_ranges(db).await?.into_iter().enumerate() {
        let run = work(db.clone(), range);
        // The request's deadline goes with its work (SQLite statements stop at it).
        tasks.spawn(async move {
            let found = match deadline {
                Some(deadline) => deadline::scope(deadline, run).await,
                None => run.await,
            };
            found.map(|found| (index, found))
        });
    }
    let mut done = Vec::with_capacity(tasks.len());
    while let Some(run) = tasks.join_next().await {
        done.push(run.map_err(|e| AppError::Internal(format!("a run over customers stopped: {e}")))??);
    }
    done.sort_by_key(|(index, _)| *index);
    Ok(done.into_iter().map(|(_, found)| found).collect())
}

/// The ranges of a split: one per `parts`, of about as many ids each (one statement on the primary
/// key's ends); `None`, every customer, when there is one part; none without customers.
async fn id_ranges(db: &DatabaseConnection) -> AppResult<Vec<CustomerRange>> {
    let parts = parts(db.get_database_backend());
    if parts == 1 {
        return Ok(vec![None]);
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT MIN(id) AS first, MAX(id) AS last FROM ").push(customer::Entity.table_name());
    let row = db.query_one_raw(sql.build()).await.map_err(AppError::from_db)?;
    let bounds = match row {
        Some(row) => (
            row.try_get::<Option<i64>>("", "first").map_err(AppError::from_db)?,
            row.try_get::<Option<i64>>("", "last").map_err(AppError::from_db)?,
        ),
        None => (None, None),
    };
    let (Some(first), Some(last)) = bounds else { return Ok(Vec::new()) };
    Ok(split(first, last, parts))
}

/// `[first, last]` in `parts` ranges of about as many ids, in order.
fn split(first: i64, last: i64, parts: i64) -> Vec<CustomerRange> {
    let width = (last - first) / parts + 1;
    (0..parts)
        .map(|i| (first + i * width, (first + (i + 1) * width - 1).min(last)))
        .filter(|(from, to)| from <= to)
        .map(Some)
        .collect()
}

/// ` AND <column> BETWEEN first AND last` for a range; nothing for every customer.
pub fn push_within(sql: &mut Sql, column: &str, range: CustomerRange) {
    if let Some((first, last)) = range {
        sql.push(" AND ").push(column).push(" BETWEEN ").bind(first).push(" AND ").bind(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_id_once() {
        assert_eq!(split(1, 100, 2), vec![Some((1, 50)), Some((51, 100))]);
        assert_eq!(split(1, 101, 2), vec![Some((1, 51)), Some((52, 101))]);
        assert_eq!(split(7, 7, 2), vec![Some((7, 7))]);
        assert_eq!(split(1, 2, 3), vec![Some((1, 1)), Some((2, 2))]);
    }
}
