//! What a CLV fit reads, aggregated in SQL in one pass over the orders: each customer's transaction days
//! up to the calibration end, and for the tracking plot the repeat transactions per day of the
//! calibration customers (after the calibration end too). Orders that count
//! (`domain::orders_that_count`) in the model's currency; the purchases of one UTC day are one
//! transaction, whose value is their sum.

use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{ConnectionTrait, EntityName};

use crate::db::sql::{Sql, count_column, signed_column, time};
use crate::domain::currency::Currency;
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};
use crate::stats::clv::summary::DayTotals;
use crate::stats::clv::tracking::Transactions;

/// The orders a fit reads.
pub struct Histories {
    /// Each customer with an order placed at or before the calibration end: their id and day totals
    /// (the repeat value in major units), ordered by id.
    pub calibration: Vec<(i64, DayTotals)>,
    pub tracking: Transactions,
}

/// One statement, two kinds of rows over the same days: `part` 0 per calibration customer (`key` is the
/// customer), `part` 1 per day (`key` is the day; `transactions` the repeat transactions of calibration
/// customers that day).
pub async fn read(
    db: &impl ConnectionTrait,
    currency: Currency,
    calibration_end: DateTime<Utc>,
) -> AppResult<Histories> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("WITH per_day AS (SELECT o.customer_id AS customer_id, ")
        .day_number("o.placed_at")
        .push(" AS day, SUM(CASE WHEN o.placed_at <= ")
        .bind(time(calibration_end))
        .push(" THEN ")
        .push(&orders_that_count::revenue_sql("o"))
        .push(" ELSE 0 END) AS calibration_value, MIN(o.placed_at) AS placed FROM ")
        .push(order::Entity.table_name())
        .push(" o WHERE ")
        .push(&orders_that_count::counts_sql("o"))
        .push(" AND o.currency = ")
        .bind(currency.code)
        .push(
            " GROUP BY 1, 2), \
             days AS (SELECT customer_id, day, calibration_value, placed, \
             MIN(day) OVER (PARTITION BY customer_id) AS first_day, \
             MIN(placed) OVER (PARTITION BY customer_id) AS first_placed FROM per_day) \
             SELECT CAST(0 AS BIGINT) AS part, customer_id AS key, MIN(day) AS first_day, MAX(day) AS last_day, \
             CAST(COUNT(*) AS BIGINT) AS transactions, \
             CAST(SUM(CASE WHEN day > first_day THEN calibration_value ELSE 0 END) AS BIGINT) AS repeat_value \
             FROM days WHERE placed <= ",
        )
        .bind(time(calibration_end))
        .push(
            " GROUP BY customer_id \
             UNION ALL SELECT CAST(1 AS BIGINT), day, day, day, \
             CAST(SUM(CASE WHEN day > first_day AND first_placed <= ",
        )
        .bind(time(calibration_end))
        .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(0 AS BIGINT) FROM days GROUP BY day ORDER BY 1, 2");
    let scale = 10f64.powi(currency.minor_digits as i32);
    let mut histories = Histories { calibration: Vec::new(), tracking: Transactions::default() };
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let key: i64 = row.try_get("", "key").map_err(AppError::from_db)?;
        let transactions = count_column(&row, "transactions")?;
        if signed_column(&row, "part")? == 0 {
            let totals = DayTotals {
                first_day: signed_column(&row, "first_day")?,
                last_day: signed_column(&row, "last_day")?,
                transactions,
                repeat_value: signed_column(&row, "repeat_value")? as f64 / scale,
            };
            histories.calibration.push((key, totals));
        } else {
            if transactions > 0 {
                histories.tracking.repeats.push((key, transactions));
            }
            histories.tracking.last_day = histories.tracking.last_day.max(key);
        }
    }
    let mut first_days: Vec<i64> = histories.calibration.iter().map(|(_, totals)| totals.first_day).collect();
    first_days.sort_unstable();
    for day in first_days {
        match histories.tracking.first_purchases.last_mut() {
            Some((last, count)) if *last == day => *count += 1,
            _ => histories.tracking.first_purchases.push((day, 1)),
        }
    }
    Ok(histories)
}
