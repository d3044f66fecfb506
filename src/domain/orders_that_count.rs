//! Orders that count, for loyalty, cohorts, order summaries and what customers do after an answer:
//! CANCELLED orders count for nothing; RETURNED orders count as orders, with zero revenue.
//!
//! The rule in its three forms, all read from the two statuses below: a Rust predicate for orders in
//! memory, SQL text for hand-written statements, and sea-query expressions (that same text) for built
//! ones. The statuses are spliced into the text as literals: they are our own enum values, never input,
//! and a literal lets the planner see which status is meant.

use entity::OrderStatus;
use entity::order::Column;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveEnum, IdenStatic};

/// Orders in this status count for nothing.
const NOT_COUNTED: OrderStatus = OrderStatus::Cancelled;

/// Orders in this status count as orders, with zero revenue.
const WITHOUT_REVENUE: OrderStatus = OrderStatus::Returned;

/// Whether an order in this status counts.
pub fn counts(status: OrderStatus) -> bool {
    status != NOT_COUNTED
}

/// The revenue an order that counts brings, in minor units.
pub fn revenue(status: OrderStatus, total_amount_minor: i64) -> i64 {
    if status == WITHOUT_REVENUE { 0 } else { total_amount_minor }
}

/// SQL: whether the order aliased `o` counts.
pub fn counts_sql(o: &str) -> String {
    format!("{o}.{} <> '{}'", Column::Status.as_str(), NOT_COUNTED.to_value())
}

/// SQL: the revenue of the order aliased `o`, in minor units.
pub fn revenue_sql(o: &str) -> String {
    let (status, total) = (Column::Status.as_str(), Column::TotalAmountMinor.as_str());
    format!("CASE WHEN {o}.{status} = '{}' THEN 0 ELSE {o}.{total} END", WITHOUT_REVENUE.to_value())
}

/// `counts_sql` for a built statement.
pub fn counts_expr(o: &str) -> Expr {
    Expr::cust(counts_sql(o))
}

/// `revenue_sql` for a built statement.
pub fn revenue_expr(o: &str) -> Expr {
    Expr::cust(revenue_sql(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Database, DbBackend, Iterable, Statement};

    #[test]
    fn the_sql_reads_the_statuses() {
        assert_eq!(counts_sql("o"), "o.status <> 'CANCELLED'");
        assert_eq!(revenue_sql("x"), "CASE WHEN x.status = 'RETURNED' THEN 0 ELSE x.total_amount_minor END");
    }

    /// Every status through the SQL and through Rust: the same answers.
    #[tokio::test]
    async fn sql_and_rust_agree_on_every_status() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        for status in OrderStatus::iter() {
            let sql = format!(
                "SELECT CASE WHEN {} THEN 1 ELSE 0 END AS counts, {} AS revenue \
                 FROM (SELECT '{}' AS status, 1250 AS total_amount_minor) o",
                counts_sql("o"),
                revenue_sql("o"),
                status.to_value()
            );
            let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
            let sql_counts: i64 = row.try_get("", "counts").unwrap();
            let sql_revenue: i64 = row.try_get("", "revenue").unwrap();
            assert_eq!((sql_counts == 1, sql_revenue), (counts(status), revenue(status, 1250)), "{status:?}");
        }
        assert!(!counts(OrderStatus::Cancelled) && counts(OrderStatus::Returned));
        assert_eq!((revenue(OrderStatus::Returned, 900), revenue(OrderStatus::Delivered, 900)), (0, 900));
    }
}
