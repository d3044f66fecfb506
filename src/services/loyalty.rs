//! Loyalty aggregation in SQL: activity, revenue per currency, churn and per-customer lifetime summaries
//! for one or more periods (a period or the buckets of a series), grouped by segment and region. One
//! statement per query, whatever the number of periods and groups. CANCELLED orders count for nothing;
//! RETURNED orders count as orders with zero revenue (METRICS.md).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, QueryResult, StreamTrait, Value};

use crate::domain::currency::Currency;
use crate::error::{AppError, AppResult};
use crate::services::sql::{Sql, count_column, time};
use crate::stats::loyalty;

/// A dimension loyalty can be grouped by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoyaltyDimension {
    Segment,
    Region,
}

/// One period of a loyalty report: `[start, end)`, compared with `[start - (end - start), start)`, with
/// lifetime figures as of `as_of`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LoyaltyPeriod {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
}

impl LoyaltyPeriod {
    fn previous_start(&self) -> DateTime<Utc> {
        self.start - (self.end - self.start)
    }
}

#[derive(Clone, Debug)]
pub struct LoyaltyQuery {
    pub periods: Vec<LoyaltyPeriod>,
    pub group_by: Vec<LoyaltyDimension>,
    pub inactive_window: Duration,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LoyaltyKey {
    pub segment: Option<String>,
    pub region: Option<String>,
}

/// Revenue in one currency: orders, revenue in the period and each customer's lifetime revenue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CurrencyCounts {
    pub orders: u64,
    pub revenue_minor: i64,
    /// Historic CLV per customer with orders in this currency as of the period's `as_of`, in minor units.
    pub lifetime_revenue_per_customer: Vec<i64>,
}

/// Everything SQL returns for one group in one period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoyaltyCounts {
    pub active_customers: u64,
    pub repeat_customers: u64,
    pub orders: u64,
    pub previously_active: u64,
    pub churned: u64,
    /// Customers with at least one order before `as_of`, and with at least two.
    pub lifetime_customers: u64,
    pub lifetime_repeat_customers: u64,
    /// Customers with an order before `as_of` but none in `[as_of - window, as_of)`.
    pub inactive_customers: u64,
    pub currencies: BTreeMap<String, CurrencyCounts>,
}

const NOT_CANCELLED: &str = "o.status <> 'CANCELLED'";
const REVENUE: &str = "CASE WHEN o.status = 'RETURNED' THEN 0 ELSE o.total_amount_minor END";

fn dims_select(query: &LoyaltyQuery) -> String {
    query
        .group_by
        .iter()
        .map(|d| match d {
            LoyaltyDimension::Segment => ", c.segment AS g_segment",
            LoyaltyDimension::Region => ", c.region AS g_region",
        })
        .collect()
}

fn dims_group(query: &LoyaltyQuery) -> String {
    query
        .group_by
        .iter()
        .map(|d| match d {
            LoyaltyDimension::Segment => ", c.segment",
            LoyaltyDimension::Region => ", c.region",
        })
        .collect()
}

/// The periods as a `VALUES` table: index, previous start, start, end, as-of, start of the inactivity
/// window (as-of minus the window), and the latest of end and as-of (no order after it matters).
fn periods_table(sql: &mut Sql, query: &LoyaltyQuery) {
    let rows: Vec<Vec<Value>> = query
        .periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                (i as i64).into(),
                time(p.previous_start()),
                time(p.start),
                time(p.end),
                time(p.as_of),
                time(p.as_of - query.inactive_window),
                time(p.end.max(p.as_of)),
            ]
        })
        .collect();
    sql.values_table(&rows, "p");
}

fn read_key(row: &QueryResult, query: &LoyaltyQuery) -> AppResult<(usize, LoyaltyKey)> {
    let period: i64 = row.try_get("", "period").map_err(AppError::from_db)?;
    let text = |dimension: LoyaltyDimension, column: &str| -> AppResult<Option<String>> {
        if query.group_by.contains(&dimension) { row.try_get("", column).map_err(AppError::from_db) } else { Ok(None) }
    };
    let key = LoyaltyKey {
        segment: text(LoyaltyDimension::Segment, "g_segment")?,
        region: text(LoyaltyDimension::Region, "g_region")?,
    };
    Ok((usize::try_from(period).map_err(|_| AppError::Internal("negative period index".into()))?, key))
}

/// `SUM(CASE WHEN <condition> THEN <value> ELSE 0 END) AS <alias>`, as a BIGINT on both backends.
fn sum_when(sql: &mut Sql, condition: &str, value: &str, alias: &str) {
    sql.push(", CAST(SUM(CASE WHEN ")
        .push(condition)
        .push(" THEN ")
        .push(value)
        .push(" ELSE 0 END) AS BIGINT) AS ")
        .push(alias);
}

/// One customer's orders in one currency, as the loyalty statement returns them.
#[derive(Default)]
struct CustomerCurrency {
    period_orders: u64,
    period_revenue: i64,
    previous_orders: u64,
    lifetime_orders: u64,
    lifetime_revenue: i64,
    recent_orders: u64,
}

/// One statement, one pass over the orders up to each period's end (or as-of date): per period, group,
/// customer and currency, the orders and revenue in the period, the orders in the previous period, the
/// orders and revenue to the as-of date, and the orders in the inactivity window. These per-customer
/// summaries are then counted per group here (medians need the per-customer values anyway); nothing
/// finer than a customer is loaded.
pub async fn loyalty_counts(
    db: &(impl ConnectionTrait + StreamTrait),
    query: &LoyaltyQuery,
) -> AppResult<BTreeMap<(usize, LoyaltyKey), LoyaltyCounts>> {
    let mut groups: BTreeMap<(usize, LoyaltyKey), LoyaltyCounts> = BTreeMap::new();
    if query.periods.is_empty() {
        return Ok(groups);
    }
    let (dims, group) = (dims_select(query), dims_group(query));
    let in_period = "o.placed_at >= p.column3 AND o.placed_at < p.column4";
    let to_date = "o.placed_at < p.column5";
    let mut sql = Sql::new(ConnectionTrait::get_database_backend(db));
    sql.push("SELECT p.column1 AS period").push(&dims).push(", o.customer_id AS customer_id, o.currency AS currency");
    sum_when(&mut sql, in_period, "1", "period_orders");
    sum_when(&mut sql, in_period, REVENUE, "period_revenue");
    sum_when(&mut sql, "o.placed_at >= p.column2 AND o.placed_at < p.column3", "1", "previous_orders");
    sum_when(&mut sql, to_date, "1", "lifetime_orders");
    sum_when(&mut sql, to_date, REVENUE, "lifetime_revenue");
    sum_when(&mut sql, "o.placed_at >= p.column6 AND o.placed_at < p.column5", "1", "recent_orders");
    sql.push(" FROM ");
    periods_table(&mut sql, query);
    sql.push(" JOIN orders o ON o.placed_at < p.column7");
    if !query.group_by.is_empty() {
        sql.push(" JOIN customers c ON c.id = o.customer_id");
    }
    sql.push(" WHERE ")
        .push(NOT_CANCELLED)
        .push(" GROUP BY p.column1")
        .push(&group)
        .push(", o.customer_id, o.currency ORDER BY p.column1");
    // Rows arrive one period after the other (a series has a row per customer and period): each
    // period's customers are counted when the next period starts, so memory holds one period at most.
    let mut customers: BTreeMap<(usize, LoyaltyKey), HashMap<i64, CustomerCurrency>> = BTreeMap::new();
    let rows = db.stream_raw(sql.build()).await.map_err(AppError::from_db)?;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        let row = row.map_err(AppError::from_db)?;
        let key = read_key(&row, query)?;
        if customers.keys().next().is_some_and(|(period, _)| *period != key.0) {
            count_customers(&mut groups, std::mem::take(&mut customers));
        }
        let customer: i64 = row.try_get("", "customer_id").map_err(AppError::from_db)?;
        let currency: String = row.try_get("", "currency").map_err(AppError::from_db)?;
        let signed = |column: &str| -> AppResult<i64> {
            row.try_get::<Option<i64>>("", column).map(|v| v.unwrap_or(0)).map_err(AppError::from_db)
        };
        let this = CustomerCurrency {
            period_orders: count_column(&row, "period_orders")?,
            period_revenue: signed("period_revenue")?,
            previous_orders: count_column(&row, "previous_orders")?,
            lifetime_orders: count_column(&row, "lifetime_orders")?,
            lifetime_revenue: signed("lifetime_revenue")?,
            recent_orders: count_column(&row, "recent_orders")?,
        };
        let counts = groups.entry(key.clone()).or_default();
        if this.period_orders > 0 {
            let figures = counts.currencies.entry(currency.clone()).or_default();
            figures.orders += this.period_orders;
            figures.revenue_minor += this.period_revenue;
        }
        if this.lifetime_orders > 0 {
            counts.currencies.entry(currency).or_default().lifetime_revenue_per_customer.push(this.lifetime_revenue);
        }
        let total = customers.entry(key).or_default().entry(customer).or_default();
        total.period_orders += this.period_orders;
        total.previous_orders += this.previous_orders;
        total.lifetime_orders += this.lifetime_orders;
        total.recent_orders += this.recent_orders;
    }
    count_customers(&mut groups, customers);
    // A group exists in a period when it had any customer there (the old statements made the same groups).
    groups.retain(|_, counts| {
        counts.active_customers > 0 || counts.previously_active > 0 || counts.lifetime_customers > 0
    });
    Ok(groups)
}

/// Adds each customer's figures (summed over its currencies) to its group's counts.
fn count_customers(
    groups: &mut BTreeMap<(usize, LoyaltyKey), LoyaltyCounts>,
    customers: BTreeMap<(usize, LoyaltyKey), HashMap<i64, CustomerCurrency>>,
) {
    for (key, customers) in customers {
        let counts = groups.entry(key).or_default();
        for c in customers.values() {
            counts.active_customers += u64::from(c.period_orders > 0);
            counts.repeat_customers += u64::from(c.period_orders >= 2);
            counts.orders += c.period_orders;
            counts.previously_active += u64::from(c.previous_orders > 0);
            counts.churned += u64::from(c.previous_orders > 0 && c.period_orders == 0);
            counts.lifetime_customers += u64::from(c.lifetime_orders > 0);
            counts.lifetime_repeat_customers += u64::from(c.lifetime_orders >= 2);
            counts.inactive_customers += u64::from(c.lifetime_orders > 0 && c.recent_orders == 0);
        }
    }
}

/// The groups of a report: each group seen in any period, and one group in all without grouping.
pub fn report_groups(query: &LoyaltyQuery, counts: &BTreeMap<(usize, LoyaltyKey), LoyaltyCounts>) -> Vec<LoyaltyKey> {
    let mut groups: BTreeSet<LoyaltyKey> = counts.keys().map(|(_, key)| key.clone()).collect();
    if query.group_by.is_empty() {
        groups.insert(LoyaltyKey::default());
    }
    groups.into_iter().collect()
}

/// The loyalty figures of one currency, in major units.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrencyFigures {
    pub currency: String,
    pub orders: u64,
    pub revenue_minor: i64,
    pub average_order_value: Option<f64>,
    pub historic_clv_mean: Option<f64>,
    pub historic_clv_median: Option<f64>,
    pub predicted_clv: Option<f64>,
}

/// One row of a loyalty report, every figure computed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoyaltyRow {
    pub key: LoyaltyKey,
    pub period: LoyaltyPeriod,
    pub counts: LoyaltyCounts,
    pub purchase_frequency: Option<f64>,
    pub repeat_purchase_rate: Option<f64>,
    pub lifetime_repeat_purchase_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub retention_rate: Option<f64>,
    pub currencies: Vec<CurrencyFigures>,
}

fn major(minor: f64, currency: &str) -> f64 {
    let digits = Currency::find(currency).map_or(2, |c| c.minor_digits);
    minor / 10f64.powi(digits as i32)
}

fn figures(period: &LoyaltyPeriod, key: LoyaltyKey, counts: LoyaltyCounts) -> LoyaltyRow {
    let purchase_frequency = loyalty::purchase_frequency(counts.orders, counts.active_customers);
    let churn_rate = loyalty::churn_rate(counts.churned, counts.previously_active);
    let period_days = (period.end - period.start).num_seconds() as f64 / 86_400.0;
    let currencies = counts
        .currencies
        .iter()
        .map(|(currency, c)| {
            let aov = loyalty::average_order_value(c.revenue_minor, c.orders).map(|v| major(v, currency));
            CurrencyFigures {
                currency: currency.clone(),
                orders: c.orders,
                revenue_minor: c.revenue_minor,
                average_order_value: aov,
                historic_clv_mean: loyalty::mean(&c.lifetime_revenue_per_customer).map(|v| major(v, currency)),
                historic_clv_median: loyalty::median(&c.lifetime_revenue_per_customer).map(|v| major(v, currency)),
                predicted_clv: loyalty::predicted_clv(aov, purchase_frequency, churn_rate, period_days),
            }
        })
        .collect();
    LoyaltyRow {
        period: *period,
        purchase_frequency,
        repeat_purchase_rate: loyalty::repeat_purchase_rate(counts.repeat_customers, counts.active_customers),
        lifetime_repeat_purchase_rate: loyalty::repeat_purchase_rate(
            counts.lifetime_repeat_customers,
            counts.lifetime_customers,
        ),
        churn_rate,
        retention_rate: loyalty::retention_rate(churn_rate),
        currencies,
        key,
        counts,
    }
}

/// Runs a loyalty query: one row per group and period, zero-filled.
pub async fn report(db: &(impl ConnectionTrait + StreamTrait), query: &LoyaltyQuery) -> AppResult<Vec<LoyaltyRow>> {
    let mut counts = loyalty_counts(db, query).await?;
    let groups = report_groups(query, &counts);
    let mut rows = Vec::with_capacity(groups.len() * query.periods.len());
    for key in groups {
        for (index, period) in query.periods.iter().enumerate() {
            let group_counts = counts.remove(&(index, key.clone())).unwrap_or_default();
            rows.push(figures(period, key.clone(), group_counts));
        }
    }
    Ok(rows)
}
