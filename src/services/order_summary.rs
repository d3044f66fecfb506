//! Per-customer order summaries, for many customers in one `GROUP BY` statement.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::order;
use sea_orm::{ConnectionTrait, EntityName};

use crate::db::sql::Sql;
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};

/// Orders that count and their revenue, of a customer in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrencySpend {
    pub currency: String,
    pub orders: u64,
    pub revenue_minor: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderSummary {
    pub orders: u64,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
    pub spend: Vec<CurrencySpend>,
}

impl OrderSummary {
    /// Whole days from the latest order to `as_of`; none without orders.
    pub fn days_since_last_order(&self, as_of: DateTime<Utc>) -> Option<i64> {
        self.last_order_at.map(|last| (as_of - last).num_days())
    }

    /// Whether the customer ordered at least twice.
    pub fn repeat_buyer(&self) -> bool {
        self.orders >= 2
    }

    /// Whether the customer has orders but none in the `window` before `as_of` ("at risk"), judged by the
    /// latest order.
    pub fn inactive(&self, as_of: DateTime<Utc>, window: Duration) -> bool {
        self.last_order_at.is_some_and(|last| last < as_of - window)
    }
}

pub async fn order_summaries(db: &impl ConnectionTrait, customer_ids: &[i64]) -> AppResult<HashMap<i64, OrderSummary>> {
    let mut summaries: HashMap<i64, OrderSummary> =
        customer_ids.iter().map(|id| (*id, OrderSummary::default())).collect();
    if customer_ids.is_empty() {
        return Ok(summaries);
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT o.customer_id AS customer_id, o.currency AS currency, COUNT(*) AS orders, CAST(SUM(")
        .push(&orders_that_count::revenue_sql("o"))
        .push(") AS BIGINT) AS revenue, MIN(o.placed_at) AS first_order, MAX(o.placed_at) AS last_order FROM ")
        .push(order::Entity.table_name())
        .push(" o WHERE ")
        .push(&orders_that_count::counts_sql("o"))
        .push(" AND ")
        .in_list("o.customer_id", customer_ids.iter().copied())
        .push(" GROUP BY o.customer_id, o.currency ORDER BY o.customer_id, o.currency");
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let customer: i64 = row.try_get("", "customer_id").map_err(AppError::from_db)?;
        let orders: i64 = row.try_get("", "orders").map_err(AppError::from_db)?;
        let revenue: Option<i64> = row.try_get("", "revenue").map_err(AppError::from_db)?;
        let first: DateTime<Utc> = row.try_get("", "first_order").map_err(AppError::from_db)?;
        let last: DateTime<Utc> = row.try_get("", "last_order").map_err(AppError::from_db)?;
        let summary = summaries.entry(customer).or_default();
        summary.orders += orders.max(0) as u64;
        summary.first_order_at = Some(summary.first_order_at.map_or(first, |t| t.min(first)));
        summary.last_order_at = Some(summary.last_order_at.map_or(last, |t| t.max(last)));
        summary.spend.push(CurrencySpend {
            currency: row.try_get("", "currency").map_err(AppError::from_db)?,
            orders: orders.max(0) as u64,
            revenue_minor: revenue.unwrap_or(0),
        });
    }
    Ok(summaries)
}
