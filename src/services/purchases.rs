//! Purchases: the orders that count (`domain::orders_that_count`) for loyalty and cohorts.
//!
//! `fold_customers` reads them in one pass, customer by customer (memory holds one customer's
//! purchases), for figures that must see every customer's history: distinct customers per period
//! cannot be added up from smaller periods. Customers are independent of each other, so the pass runs
//! over ranges of customers at once (`customer_ranges`), and its callers add up what each range found.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{customer, order};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityName, StreamTrait};

use crate::db::analytic_read;
use crate::db::sql::{Sql, column_at, text_at, time};
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};
use crate::services::customer_ranges::{self, CustomerRange};

/// An order that counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub placed_at: DateTime<Utc>,
    /// Shared by the pass's purchases in that currency: a customer's orders are in a few currencies, and
    /// the pass reads every order.
    pub currency: Arc<str>,
    /// The revenue it counts with (`orders_that_count::revenue_sql`).
    pub revenue: i64,
}

/// Whether two of a pass's currency codes are the same: within one range of customers each currency
/// has one shared code, so the pointers match; the text decides otherwise.
pub fn same_currency(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// The pass's shared code for `code`: the one read before, or a new one kept in `known`.
fn shared_code(known: &mut Vec<Arc<str>>, code: &str) -> Arc<str> {
    if let Some(shared) = known.iter().find(|shared| shared.as_ref() == code) {
        return Arc::clone(shared);
    }
    let shared: Arc<str> = Arc::from(code);
    known.push(Arc::clone(&shared));
    shared
}

/// A customer as the pass reads them: id, and segment and region when asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buyer {
    pub id: i64,
    pub segment: Option<String>,
    pub region: Option<String>,
}

/// Calls `each` with every customer that has purchases before `horizon`, and those purchases in time
/// order; `with_labels` reads the customer's segment and region too. Customers are read in ranges at
/// once (`customer_ranges`), each folded into its own copy of `start`; returns those copies in id order
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
    F: Fn(&mut A, Buyer, &[Purchase]) + Clone + Send + Sync + 'static,
{
    customer_ranges::run_each(db, |db, range| {
        let (each, mut folded) = (each.clone(), start.clone());
        async move {
            for_each_customer(&db, horizon, with_labels, range, |buyer, purchases| each(&mut folded, buyer, purchases))
                .await?;
            Ok(folded)
        }
    })
    .await
}

/// Calls `each` with every customer of ids `[first, last]` (all without a range) that has purchases
/// before `horizon`, and those purchases in time order.
async fn for_each_customer(
    db: &DatabaseConnection,
    horizon: DateTime<Utc>,
    with_labels: bool,
    range: CustomerRange,
    mut each: impl FnMut(Buyer, &[Purchase]),
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
    customer_ranges::push_within(&mut sql, "o.customer_id", range);
    sql.push(" ORDER BY o.customer_id, o.placed_at");
    let statement = sql.build();
    analytic_read(db, &[], async |txn| {
        let rows = txn.stream_raw(statement).await.map_err(AppError::from_db)?;
        let mut rows = std::pin::pin!(rows);
        let mut buyer: Option<Buyer> = None;
        let mut purchases: Vec<Purchase> = Vec::new();
        let mut currencies: Vec<Arc<str>> = Vec::new();
        // Columns by position (the statement above fixes them): a pass reads every purchase, and finding
        // a column by name costs more than decoding it.
        let labels = if with_labels { 2 } else { 0 };
        while let Some(row) = rows.next().await {
            let row = row.map_err(AppError::from_db)?;
            let customer: i64 = column_at(&row, 0)?;
            if let Some(done) = buyer.take_if(|b| b.id != customer) {
                each(done, &purchases);
                purchases.clear();
            }
            if buyer.is_none() {
                let label = |index: usize| if with_labels { column_at(&row, index) } else { Ok(None) };
                buyer = Some(Buyer { id: customer, segment: label(1)?, region: label(2)? });
            }
            purchases.push(Purchase {
                placed_at: column_at(&row, 1 + labels)?,
                currency: shared_code(&mut currencies, text_at(&row, 2 + labels)?),
                revenue: column_at::<Option<i64>>(&row, 3 + labels)?.unwrap_or(0),
            });
        }
        if let Some(last) = buyer {
            each(last, &purchases);
        }
        Ok(())
    })
    .await
}
