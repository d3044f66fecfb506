//! What a CLV fit reads, aggregated in SQL: each customer's transaction days up to the calibration end,
//! and for the tracking plot the repeat transactions per day of the calibration customers (after the
//! calibration end too). Orders that count (`domain::orders_that_count`) in the model's currency; the
//! purchases of one UTC day are one transaction, whose value is their sum.

use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{ConnectionTrait, EntityName};

use crate::db::sql::{Sql, count_column, signed_column, time};
use crate::domain::currency::Currency;
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};
use crate::stats::clv::summary::DayTotals;
use crate::stats::clv::tracking::Transactions;

/// Appends the orders that count in `currency` as one row per customer and day (`customer_id`, `day`,
/// `day_value`: the day's revenue in minor units, `placed`: the day's first order time), `WHERE` ended
/// by `and` (e.g. a time bound) before the grouping.
fn per_day(sql: &mut Sql, currency: Currency, and: impl FnOnce(&mut Sql)) {
    sql.push("(SELECT o.customer_id AS customer_id, ")
        .day_number("o.placed_at")
        .push(" AS day, SUM(")
        .push(&orders_that_count::revenue_sql("o"))
        .push(") AS day_value, MIN(o.placed_at) AS placed FROM ")
        .push(order::Entity.table_name())
        .push(" o WHERE ")
        .push(&orders_that_count::counts_sql("o"))
        .push(" AND o.currency = ")
        .bind(currency.code);
    and(sql);
    sql.push(" GROUP BY 1, 2) per_day");
}

/// Each customer with an order in `currency` placed at or before `calibration_end`: their id and day
/// totals (the repeat value in minor units), ordered by id.
pub async fn calibration_totals(
    db: &impl ConnectionTrait,
    currency: Currency,
    calibration_end: DateTime<Utc>,
) -> AppResult<Vec<(i64, DayTotals)>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT customer_id, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS transactions, \
         CAST(SUM(CASE WHEN day > first_day THEN day_value ELSE 0 END) AS BIGINT) AS repeat_value \
         FROM (SELECT customer_id, day, day_value, MIN(day) OVER (PARTITION BY customer_id) AS first_day FROM ",
    );
    per_day(&mut sql, currency, |sql| {
        sql.push(" AND o.placed_at <= ").bind(time(calibration_end));
    });
    sql.push(") days GROUP BY customer_id ORDER BY customer_id");
    let rows = db.query_all_raw(sql.build()).await.map_err(AppError::from_db)?;
    let scale = 10f64.powi(currency.minor_digits as i32);
    rows.iter()
        .map(|row| {
            let customer: i64 = row.try_get("", "customer_id").map_err(AppError::from_db)?;
            let totals = DayTotals {
                first_day: signed_column(row, "first_day")?,
                last_day: signed_column(row, "last_day")?,
                transactions: count_column(row, "transactions")?,
                repeat_value: signed_column(row, "repeat_value")? as f64 / scale,
            };
            Ok((customer, totals))
        })
        .collect()
}

/// The transactions of the tracking plot: the calibration customers' first purchase days (from their
/// totals), their repeat transactions per day up to the last order in `currency`, and that order's day.
pub async fn tracking_transactions(
    db: &impl ConnectionTrait,
    currency: Currency,
    calibration_end: DateTime<Utc>,
    calibration: &[(i64, DayTotals)],
) -> AppResult<Transactions> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT day, CAST(SUM(CASE WHEN day > first_day AND first_placed <= ").bind(time(calibration_end)).push(
        " THEN 1 ELSE 0 END) AS BIGINT) AS repeats FROM (SELECT day, \
             MIN(day) OVER (PARTITION BY customer_id) AS first_day, \
             MIN(placed) OVER (PARTITION BY customer_id) AS first_placed FROM ",
    );
    per_day(&mut sql, currency, |_| {});
    sql.push(") days GROUP BY day ORDER BY day");
    let mut transactions = Transactions::default();
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let day = signed_column(&row, "day")?;
        let repeats = count_column(&row, "repeats")?;
        if repeats > 0 {
            transactions.repeats.push((day, repeats));
        }
        transactions.last_day = transactions.last_day.max(day);
    }
    let mut first_days: Vec<i64> = calibration.iter().map(|(_, totals)| totals.first_day).collect();
    first_days.sort_unstable();
    for day in first_days {
        match transactions.first_purchases.last_mut() {
            Some((last, count)) if *last == day => *count += 1,
            _ => transactions.first_purchases.push((day, 1)),
        }
    }
    Ok(transactions)
}
