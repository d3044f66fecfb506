//! Purchases: the orders that count (`domain::orders_that_count`) for loyalty and cohorts.
//!
//! `fold_customers` reads them in one pass, customer by customer (memory holds one customer's
//! purchases), for figures that must see every customer's history: distinct customers per period
//! cannot be added up from smaller periods. Customers are independent of each other, so on PostgreSQL
//! the pass runs over ranges of customers at once, each on its own connection and task, and its callers
//! add up what each range found.

use chrono::{DateTime, Utc};
use entity::{customer, order};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityName, StreamTrait};
use tokio::task::JoinSet;

use crate::db::deadline;
use crate::db::sql::{Sql, time};
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};

/// An order that counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub placed_at: DateTime<Utc>,
    pub currency: String,
    /// The revenue it counts with (`orders_that_count::revenue_sql`).
    pub revenue: i64,
}

/// A customer as the pass reads them: id, and segment and region when asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buyer {
    pub id: i64,
    pub segment: Option<String>,
    pub region: Option<String>,
}

/// Ranges of customers read at once. On PostgreSQL decoding the rows is most of a pass's time (the
/// database reads them faster than one thread decodes them): two ranges keep both sides of two cores
/// busy (loyalty and cohort retention at a million answers about a fifth faster). SQLite reads and
/// decodes on the same threads either way, and measured no faster with two.
fn ranges(backend: DbBackend) -> i64 {
    match backend {
        DbBackend::Postgres => 2,
        _ => 1,
    }
}

/// Calls `each` with every customer that has purchases before `horizon`, and those purchases in time
/// order; `with_labels` reads the customer's segment and region too. Customers are split into id
/// ranges read at once, each folded into its own copy of `start`; returns those copies in id order
/// (so a customer's figures land in the copy of its range, and the copies' lists, joined in order,
/// follow the customers' order).
pub async fn fold_customers<A, F>(
    db: &DatabaseConnection,
    horizon: DateTime<Utc>,
    with_labels: bool,
    start: A,
    each: F,
) -> AppResult<Vec<A>>
where
    A: Clone + Send + 'static,
    F: Fn(&mut A, &Buyer, &[Purchase]) + Clone + Send + Sync + 'static,
{
    let deadline = deadline::current();
    let mut tasks = JoinSet::new();
    for (index, range) in id_ranges(db).await?.into_iter().enumerate() {
        let (db, each, mut folded) = (db.clone(), each.clone(), start.clone());
        let work = async move {
            for_each_customer(&db, horizon, with_labels, range, |buyer, purchases| each(&mut folded, buyer, purchases))
                .await?;
            AppResult::Ok((index, folded))
        };
        // The request's deadline goes with its work (SQLite statements stop at it); dropping the set (a
        // request that gave up) aborts the tasks.
        tasks.spawn(async move {
            match deadline {
                Some(deadline) => deadline::scope(deadline, work).await,
                None => work.await,
            }
        });
    }
    let mut folds = Vec::with_capacity(tasks.len());
    while let Some(done) = tasks.join_next().await {
        folds.push(done.map_err(|e| AppError::Internal(format!("a purchases pass stopped: {e}")))??);
    }
    folds.sort_by_key(|(index, _)| *index);
    Ok(folds.into_iter().map(|(_, folded)| folded).collect())
}

/// The customer id ranges `[first, last]` of a pass: one per `ranges`, of about as many ids each (one
/// statement on the primary key's ends); `None`, every customer, when there is one range; none without
/// customers.
async fn id_ranges(db: &DatabaseConnection) -> AppResult<Vec<Option<(i64, i64)>>> {
    let parts = ranges(db.get_database_backend());
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
    let width = (last - first) / parts + 1;
    Ok((0..parts)
        .map(|i| (first + i * width, (first + (i + 1) * width - 1).min(last)))
        .filter(|(from, to)| from <= to)
        .map(Some)
        .collect())
}

/// Calls `each` with every customer of ids `[first, last]` (all without a range) that has purchases
/// before `horizon`, and those purchases in time order.
async fn for_each_customer(
    db: &DatabaseConnection,
    horizon: DateTime<Utc>,
    with_labels: bool,
    range: Option<(i64, i64)>,
    mut each: impl FnMut(&Buyer, &[Purchase]),
) -> AppResult<()> {
    let mut sql = Sql::new(ConnectionTrait::get_database_backend(db));
    sql.push("SELECT o.customer_id AS customer_id");
    if with_labels {
        sql.push(", c.segment AS segment, c.region AS region");
    }
    sql.push(", o.placed_at AS placed_at, o.currency AS currency, ")
        .push(&orders_that_count::revenue_sql("o"))
        .push(" AS revenue FROM ")
        .push(order::Entity.table_name())
        .push(" o");
    if with_labels {
        sql.push(" JOIN ").push(customer::Entity.table_name()).push(" c ON c.id = o.customer_id");
    }
    sql.push(" WHERE ").push(&orders_that_count::counts_sql("o")).push(" AND o.placed_at < ").bind(time(horizon));
    if let Some((first, last)) = range {
        sql.push(" AND o.customer_id BETWEEN ").bind(first).push(" AND ").bind(last);
    }
    sql.push(" ORDER BY o.customer_id, o.placed_at");
    let rows = db.stream_raw(sql.build()).await.map_err(AppError::from_db)?;
    let mut rows = std::pin::pin!(rows);
    let mut buyer: Option<Buyer> = None;
    let mut purchases: Vec<Purchase> = Vec::new();
    // Columns by position (the statement above fixes them): a pass reads every purchase, and finding a
    // column by name costs more than decoding it.
    let labels = if with_labels { 2 } else { 0 };
    while let Some(row) = rows.next().await {
        let row = row.map_err(AppError::from_db)?;
        let customer: i64 = row.try_get_by_index(0).map_err(AppError::from_db)?;
        if let Some(done) = buyer.take_if(|b| b.id != customer) {
            each(&done, &purchases);
            purchases.clear();
        }
        if buyer.is_none() {
            let label = |index: usize| -> AppResult<Option<String>> {
                if with_labels { row.try_get_by_index(index).map_err(AppError::from_db) } else { Ok(None) }
            };
            buyer = Some(Buyer { id: customer, segment: label(1)?, region: label(2)? });
        }
        purchases.push(Purchase {
            placed_at: row.try_get_by_index(1 + labels).map_err(AppError::from_db)?,
            currency: row.try_get_by_index(2 + labels).map_err(AppError::from_db)?,
            revenue: row.try_get_by_index::<Option<i64>>(3 + labels).map_err(AppError::from_db)?.unwrap_or(0),
        });
    }
    if let Some(last) = buyer {
        each(&last, &purchases);
    }
    Ok(())
}
