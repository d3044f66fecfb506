//! Loyalty aggregation in SQL: activity, revenue per currency, churn and per-customer lifetime summaries
//! for one or more periods (a period or the buckets of a series), grouped by segment and region. Four
//! statements per query, whatever the number of periods and groups. CANCELLED orders count for nothing;
//! RETURNED orders count as orders with zero revenue (METRICS.md).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, QueryResult, Value};

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

/// A customer's orders over all currencies and their last order, as of a period's as-of date.
type CustomerLifetime = (u64, DateTime<Utc>);

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

/// The periods as a `VALUES` table: index, previous start, start, end, as-of.
fn periods_table(sql: &mut Sql, query: &LoyaltyQuery) {
    let rows: Vec<Vec<Value>> = query
        .periods
        .iter()
        .enumerate()
        .map(|(i, p)| vec![(i as i64).into(), time(p.previous_start()), time(p.start), time(p.end), time(p.as_of)])
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

/// Runs the four statements and merges them per period and group.
pub async fn loyalty_counts(
    db: &impl ConnectionTrait,
    query: &LoyaltyQuery,
) -> AppResult<BTreeMap<(usize, LoyaltyKey), LoyaltyCounts>> {
    let mut groups: BTreeMap<(usize, LoyaltyKey), LoyaltyCounts> = BTreeMap::new();
    if query.periods.is_empty() {
        return Ok(groups);
    }
    let backend = db.get_database_backend();
    let (dims, group) = (dims_select(query), dims_group(query));

    // 1. Activity in the period: per customer first, then per group.
    let mut sql = Sql::new(backend);
    sql.push("SELECT x.period AS period").push(&dims).push(
        ", COUNT(*) AS active, CAST(SUM(CASE WHEN x.orders >= 2 THEN 1 ELSE 0 END) AS BIGINT) AS repeaters, \
         CAST(SUM(x.orders) AS BIGINT) AS orders FROM (SELECT p.column1 AS period, o.customer_id AS customer_id, COUNT(*) AS orders FROM ",
    );
    periods_table(&mut sql, query);
    sql.push(" JOIN orders o ON o.placed_at >= p.column3 AND o.placed_at < p.column4 WHERE ")
        .push(NOT_CANCELLED)
        .push(" GROUP BY p.column1, o.customer_id) x JOIN customers c ON c.id = x.customer_id GROUP BY x.period")
        .push(&group);
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let counts = groups.entry(read_key(&row, query)?).or_default();
        counts.active_customers = count_column(&row, "active")?;
        counts.repeat_customers = count_column(&row, "repeaters")?;
        counts.orders = count_column(&row, "orders")?;
    }

    // 2. Orders and revenue per currency in the period.
    let mut sql = Sql::new(backend);
    sql.push("SELECT p.column1 AS period")
        .push(&dims)
        .push(", o.currency AS currency, COUNT(*) AS orders, CAST(SUM(")
        .push(REVENUE)
        .push(") AS BIGINT) AS revenue FROM ");
    periods_table(&mut sql, query);
    sql.push(" JOIN orders o ON o.placed_at >= p.column3 AND o.placed_at < p.column4 JOIN customers c ON c.id = o.customer_id WHERE ")
        .push(NOT_CANCELLED)
        .push(" GROUP BY p.column1")
        .push(&group)
        .push(", o.currency");
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let currency: String = row.try_get("", "currency").map_err(AppError::from_db)?;
        let revenue: Option<i64> = row.try_get("", "revenue").map_err(AppError::from_db)?;
        let counts = groups.entry(read_key(&row, query)?).or_default().currencies.entry(currency).or_default();
        counts.orders = count_column(&row, "orders")?;
        counts.revenue_minor = revenue.unwrap_or(0);
    }

    // 3. Churn: customers active in the previous period, and those of them with no order in the period.
    let mut sql = Sql::new(backend);
    sql.push("SELECT q.period AS period").push(&dims).push(
        ", COUNT(*) AS previously_active, CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM orders o2 WHERE o2.customer_id = q.customer_id \
         AND o2.status <> 'CANCELLED' AND o2.placed_at >= q.p_start AND o2.placed_at < q.p_end) THEN 0 ELSE 1 END) AS BIGINT) AS churned \
         FROM (SELECT DISTINCT p.column1 AS period, p.column3 AS p_start, p.column4 AS p_end, o.customer_id AS customer_id FROM ",
    );
    periods_table(&mut sql, query);
    sql.push(" JOIN orders o ON o.placed_at >= p.column2 AND o.placed_at < p.column3 WHERE ")
        .push(NOT_CANCELLED)
        .push(") q JOIN customers c ON c.id = q.customer_id GROUP BY q.period")
        .push(&group);
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let counts = groups.entry(read_key(&row, query)?).or_default();
        counts.previously_active = count_column(&row, "previously_active")?;
        counts.churned = count_column(&row, "churned")?;
    }

    // 4. Per-customer lifetime summaries as of each period's as-of date: orders, revenue per currency and
    //    the last order. Medians need the per-customer values; nothing finer than a customer is loaded.
    let mut sql = Sql::new(backend);
    sql.push("SELECT p.column1 AS period")
        .push(&dims)
        .push(", o.customer_id AS customer_id, o.currency AS currency, COUNT(*) AS orders, CAST(SUM(");
    sql.push(REVENUE).push(") AS BIGINT) AS revenue, MAX(o.placed_at) AS last_order FROM ");
    periods_table(&mut sql, query);
    sql.push(" JOIN orders o ON o.placed_at < p.column5 JOIN customers c ON c.id = o.customer_id WHERE ")
        .push(NOT_CANCELLED)
        .push(" GROUP BY p.column1")
        .push(&group)
        .push(", o.customer_id, o.currency");
    let mut lifetimes: HashMap<(usize, LoyaltyKey), HashMap<i64, CustomerLifetime>> = HashMap::new();
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let key = read_key(&row, query)?;
        let customer: i64 = row.try_get("", "customer_id").map_err(AppError::from_db)?;
        let currency: String = row.try_get("", "currency").map_err(AppError::from_db)?;
        let revenue: Option<i64> = row.try_get("", "revenue").map_err(AppError::from_db)?;
        let last_order: DateTime<Utc> = row.try_get("", "last_order").map_err(AppError::from_db)?;
        let orders = count_column(&row, "orders")?;
        let counts = groups.entry(key.clone()).or_default();
        counts.currencies.entry(currency).or_default().lifetime_revenue_per_customer.push(revenue.unwrap_or(0));
        let customer_entry = lifetimes.entry(key).or_default().entry(customer).or_insert((0, last_order));
        customer_entry.0 += orders;
        customer_entry.1 = customer_entry.1.max(last_order);
    }
    for ((period, key), customers) in lifetimes {
        let inactive_since = query.periods[period].as_of - query.inactive_window;
        let counts = groups.entry((period, key)).or_default();
        counts.lifetime_customers = customers.len() as u64;
        counts.lifetime_repeat_customers = customers.values().filter(|(orders, _)| *orders >= 2).count() as u64;
        counts.inactive_customers = customers.values().filter(|(_, last)| *last < inactive_since).count() as u64;
    }
    Ok(groups)
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
pub async fn report(db: &impl ConnectionTrait, query: &LoyaltyQuery) -> AppResult<Vec<LoyaltyRow>> {
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
