//! Loyalty, cohort retention and touchpoint impact result types.

use super::series::SeriesPosition;
use async_graphql::{ComplexObject, SimpleObject};

use crate::graphql::enums::SatisfactionCategory;
use crate::graphql::insights::satisfaction::ConfidenceInterval;
use crate::graphql::scalars::{CurrencyCode, DateTime, Money};
use crate::services::cohorts::CohortCell;
use crate::services::impact::ImpactRow;
use crate::services::loyalty::{self as service, CurrencyFigures};

/// Loyalty in one currency. Revenue is never summed across currencies.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct CurrencyLoyalty {
    /// The currency.
    pub currency: CurrencyCode,
    /// Orders in this currency placed in the period (CANCELLED excluded, RETURNED included).
    pub order_count: u64,
    /// Revenue of those orders (RETURNED orders count 0).
    pub revenue: Money,
    /// Average order value: revenue / orders, rounded half to even to the currency's minor unit.
    pub average_order_amount: Option<Money>,
    /// Historic CLV, mean over customers with orders in this currency: each customer's revenue to date
    /// (as of `asOf`), rounded to the minor unit.
    pub historic_clv_mean_amount: Option<Money>,
    /// Historic CLV, median over the same customers (mean of the two middle values for an even count),
    /// rounded to the minor unit.
    pub historic_clv_median_amount: Option<Money>,
    /// HEURISTIC predicted CLV, not a forecast model: AOV x yearly purchase frequency x expected lifetime in
    /// years (1 / yearly churn rate). The period's frequency is scaled linearly to a year and its churn rate
    /// compounded to a year; null when churn is 0 or unknown. Rounded to the minor unit.
    pub predicted_clv_heuristic_amount: Option<Money>,
    /// Average order value in major units, unrounded.
    #[graphql(deprecation = "Use `averageOrderAmount`: money as `Money`, like `revenue`.")]
    pub average_order_value: Option<f64>,
    /// Historic CLV mean in major units, unrounded.
    #[graphql(deprecation = "Use `historicClvMeanAmount`: money as `Money`, like `revenue`.")]
    pub historic_clv_mean: Option<f64>,
    /// Historic CLV median in major units, unrounded.
    #[graphql(deprecation = "Use `historicClvMedianAmount`: money as `Money`, like `revenue`.")]
    pub historic_clv_median: Option<f64>,
    /// Heuristic predicted CLV in major units, unrounded.
    #[graphql(deprecation = "Use `predictedClvHeuristicAmount`: money as `Money`, like `revenue`.")]
    pub predicted_clv_heuristic: Option<f64>,
}

/// Loyalty of one group over one period `[periodStart, periodEnd)`. Rates are percentages (0..100).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct LoyaltyRow {
    /// The customer segment, when grouped by SEGMENT.
    pub segment: Option<String>,
    /// The customer region, when grouped by REGION.
    pub region: Option<String>,
    /// Start of the period (inclusive).
    pub period_start: DateTime,
    /// End of the period (exclusive).
    pub period_end: DateTime,
    /// Whether this is the total row of every group (asked for with `withTotal`).
    pub is_total: bool,
    /// Where the row sits in its series (null without one).
    #[graphql(flatten)]
    pub series: SeriesPosition,
    /// The date lifetime figures are computed as of (the period end unless `asOf` was given).
    pub as_of: DateTime,
    /// Customers with at least one order placed in the period.
    pub active_customers: u64,
    /// Orders placed in the period (CANCELLED excluded).
    pub order_count: u64,
    /// Purchase frequency: orders / active customers.
    pub purchase_frequency: Option<f64>,
    /// Active customers with at least two orders in the period.
    pub repeat_customers: u64,
    /// Repeat purchase rate: repeat customers / active customers, in percent.
    pub repeat_purchase_rate: Option<f64>,
    /// Customers with at least one order before `asOf`.
    pub lifetime_customers: u64,
    /// Customers with at least two orders before `asOf`.
    pub lifetime_repeat_customers: u64,
    /// Lifetime repeat purchase rate: customers with >= 2 orders ever / customers with >= 1, as of `asOf`,
    /// in percent.
    pub lifetime_repeat_purchase_rate: Option<f64>,
    /// Customers active in the previous period of equal length.
    pub previously_active_customers: u64,
    /// Of those, customers with no order in this period.
    pub churned_customers: u64,
    /// Churn rate: churned / previously active, in percent.
    pub churn_rate: Option<f64>,
    /// Retention rate: 100 - churn rate.
    pub retention_rate: Option<f64>,
    /// Customers with an order before `asOf` but none in the `inactiveWindowDays` before it ("at risk").
    pub inactive_customers: u64,
    /// The inactivity window in days.
    pub inactive_window_days: i32,
    /// Revenue, AOV and CLV per currency.
    pub currencies: Vec<CurrencyLoyalty>,
}

/// One cell of a cohort retention table (a heat map: cohorts down, period index across).
#[derive(SimpleObject, Clone, Debug)]
pub struct CohortRetentionCell {
    /// Start of the cohort's period: customers whose first order (CANCELLED excluded) fell in it.
    pub cohort_start: DateTime,
    /// End of the cohort's period (exclusive).
    pub cohort_end: DateTime,
    /// Where the row sits in its series (null without one).
    #[graphql(flatten)]
    pub series: SeriesPosition,
    /// k: the k-th period after the cohort's own (0 is the cohort's period).
    pub period_index: i32,
    /// Customers in the cohort.
    pub cohort_size: u64,
    /// Customers of the cohort with at least one order in period k.
    pub retained_customers: u64,
    /// retained / cohort size, in percent (100 for k = 0); null for an empty cohort.
    pub share: Option<f64>,
}

/// Repurchase after answers of one category.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct TouchpointImpactRow {
    /// The answer category.
    pub category: SatisfactionCategory,
    /// Customers with such an answer whose window has ended (each counted once per category, from their
    /// first such answer).
    pub customer_count: u64,
    /// Of those, customers who placed another order within the horizon after the answer.
    pub repurchased_customers: u64,
    /// repurchasedCustomers / customerCount, in percent; null when there are no customers.
    pub repurchase_rate: Option<f64>,
    /// The 95% Wilson interval of the repurchase rate, in percent.
    pub interval: Option<ConfidenceInterval>,
    /// This category's rate minus the best category's (promoters, satisfied, easy), in percentage points;
    /// null for the best category itself or when either is empty.
    pub difference_to_best: Option<f64>,
    /// Two-sided p-value of the pooled two-proportion z test against the best category.
    pub p_value: Option<f64>,
    /// Whether the difference is significant (p < 0.05); null when there is no test (the best category
    /// itself, or either side empty or without variance).
    pub significant: Option<bool>,
}

impl LoyaltyRow {
    /// The row of a group and period; `inactive_window_days` as the request gave it.
    pub fn new(row: service::LoyaltyRow, inactive_window_days: i32, is_total: bool) -> Self {
        let counts = row.counts;
        LoyaltyRow {
            segment: row.key.segment,
            region: row.key.region,
            period_start: DateTime(row.period.start),
            period_end: DateTime(row.period.end),
            is_total,
            series: SeriesPosition::default(),
            as_of: DateTime(row.period.as_of),
            active_customers: counts.active_customers,
            order_count: counts.orders,
            purchase_frequency: row.purchase_frequency,
            repeat_customers: counts.repeat_customers,
            repeat_purchase_rate: row.repeat_purchase_rate,
            lifetime_customers: counts.lifetime_customers,
            lifetime_repeat_customers: counts.lifetime_repeat_customers,
            lifetime_repeat_purchase_rate: row.lifetime_repeat_purchase_rate,
            previously_active_customers: counts.previously_active,
            churned_customers: counts.churned,
            churn_rate: row.churn_rate,
            retention_rate: row.retention_rate,
            inactive_customers: counts.inactive_customers,
            inactive_window_days,
            currencies: row.currencies.into_iter().map(CurrencyLoyalty::from).collect(),
        }
    }
}

impl From<CurrencyFigures> for CurrencyLoyalty {
    fn from(figures: CurrencyFigures) -> Self {
        let revenue = Money::from_minor(figures.revenue_minor, &figures.currency);
        let money = |major: Option<f64>| major.map(|v| Money::from_major_rounded(v, &figures.currency));
        CurrencyLoyalty {
            currency: revenue.currency,
            order_count: figures.orders,
            average_order_amount: money(figures.average_order_value),
            historic_clv_mean_amount: money(figures.historic_clv_mean),
            historic_clv_median_amount: money(figures.historic_clv_median),
            predicted_clv_heuristic_amount: money(figures.predicted_clv),
            revenue,
            average_order_value: figures.average_order_value,
            historic_clv_mean: figures.historic_clv_mean,
            historic_clv_median: figures.historic_clv_median,
            predicted_clv_heuristic: figures.predicted_clv,
        }
    }
}

impl From<CohortCell> for CohortRetentionCell {
    fn from(cell: CohortCell) -> Self {
        CohortRetentionCell {
            cohort_start: DateTime(cell.cohort.start),
            cohort_end: DateTime(cell.cohort.end),
            series: SeriesPosition::default(),
            period_index: cell.period_index as i32,
            share: cell.share(),
            cohort_size: cell.cohort_size,
            retained_customers: cell.retained,
        }
    }
}

impl From<ImpactRow> for TouchpointImpactRow {
    fn from(row: ImpactRow) -> Self {
        let versus_best = row.versus_best.as_ref();
        TouchpointImpactRow {
            category: row.counts.category.into(),
            customer_count: row.counts.customers,
            repurchased_customers: row.counts.repurchased,
            repurchase_rate: row.repurchase_rate,
            interval: row.interval.map(ConfidenceInterval::from),
            difference_to_best: versus_best.map(|v| v.delta),
            p_value: versus_best.and_then(|v| v.p_value),
            significant: versus_best.and_then(|v| v.significant),
        }
    }
}

#[ComplexObject]
impl CurrencyLoyalty {
    /// The former name of `orderCount`.
    #[graphql(deprecation = "Use `orderCount`: a count, where `orders` elsewhere is a list.")]
    async fn orders(&self) -> u64 {
        self.order_count
    }
}

#[ComplexObject]
impl LoyaltyRow {
    /// The former name of `orderCount`.
    #[graphql(deprecation = "Use `orderCount`: a count, where `orders` elsewhere is a list.")]
    async fn orders(&self) -> u64 {
        self.order_count
    }
}

#[ComplexObject]
impl TouchpointImpactRow {
    /// The former name of `customerCount`.
    #[graphql(deprecation = "Use `customerCount`: a count, where `customers` elsewhere is a list.")]
    async fn customers(&self) -> u64 {
        self.customer_count
    }
}
