//! Loyalty: activity, revenue per currency, churn and per-customer lifetime summaries for one or more
//! periods (a period or the buckets of a series), grouped by segment and region. One statement per
//! query, whatever the number of periods and groups: a pass over the orders, customer by customer.
//! Only orders that count are read (`domain::orders_that_count`; `docs/metrics.md`, "Orders that count").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::buckets::Series;
use crate::domain::currency::Currency;
use crate::error::AppResult;
use crate::services::purchases::{self, Buyer, Purchase, same_currency};
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

impl LoyaltyQuery {
    /// Loyalty over `[from, to)` or, with a series, over each of its buckets; lifetime figures as of
    /// `as_of`, or of each period's end. The dimensions are made distinct and put in a fixed order, so
    /// equal requests give equal results.
    pub fn new(
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        series: Option<Series>,
        as_of: Option<DateTime<Utc>>,
        mut group_by: Vec<LoyaltyDimension>,
        inactive_window: Duration,
    ) -> AppResult<Self> {
        let spans = match series {
            None => vec![(from, to)],
            Some(series) => series.buckets(from, to)?.into_iter().map(|b| (b.start, b.end)).collect(),
        };
        let periods = spans.into_iter().map(|(start, end)| LoyaltyPeriod { start, end, as_of: as_of.unwrap_or(end) });
        group_by.sort();
        group_by.dedup();
        Ok(LoyaltyQuery { periods: periods.collect(), group_by, inactive_window })
    }
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

impl CurrencyCounts {
    /// Adds the figures of other customers (lifetime revenues after these; moved, not copied, into an
    /// empty list: they are a value per customer).
    fn add(&mut self, more: CurrencyCounts) {
        self.orders += more.orders;
        self.revenue_minor += more.revenue_minor;
        if self.lifetime_revenue_per_customer.is_empty() {
            self.lifetime_revenue_per_customer = more.lifetime_revenue_per_customer;
        } else {
            self.lifetime_revenue_per_customer.extend(more.lifetime_revenue_per_customer);
        }
    }
}

/// The counts of one group in one period, tallied in the pass over the purchases.
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

impl LoyaltyCounts {
    /// Adds the counts of other customers of the same group and period (customers are counted once, in
    /// one of the two; lifetime revenues keep their order, `more`'s after these).
    fn add(&mut self, more: LoyaltyCounts) {
        self.active_customers += more.active_customers;
        self.repeat_customers += more.repeat_customers;
        self.orders += more.orders;
        self.previously_active += more.previously_active;
        self.churned += more.churned;
        self.lifetime_customers += more.lifetime_customers;
        self.lifetime_repeat_customers += more.lifetime_repeat_customers;
        self.inactive_customers += more.inactive_customers;
        for (currency, more) in more.currencies {
            self.currencies.entry(currency).or_default().add(more);
        }
    }
}

/// One customer's orders in one currency, summed for one period.
#[derive(Clone, Copy, Default)]
struct CustomerCurrency {
    period_orders: u64,
    period_revenue: i64,
    previous_orders: u64,
    lifetime_orders: u64,
    lifetime_revenue: i64,
    recent_orders: u64,
}

/// One pass over the purchases, customer by customer, up to the latest period end or as-of date: each
/// customer's purchases are summed per period and currency (in the period, in the previous period, to
/// the as-of date, in the inactivity window) and the customer is counted in its group. The work grows
/// with the orders and the periods, not with their product.
pub async fn loyalty_counts(
    db: &DatabaseConnection,
    query: &LoyaltyQuery,
) -> AppResult<BTreeMap<(usize, LoyaltyKey), LoyaltyCounts>> {
    let Some(horizon) = query.periods.iter().map(|p| p.end.max(p.as_of)).max() else { return Ok(BTreeMap::new()) };
    let bounds: Vec<PeriodBounds> = query.periods.iter().map(|p| PeriodBounds::of(p, query.inactive_window)).collect();
    // Each group's counts per period, found once per customer rather than once per customer and period.
    let grouped = !query.group_by.is_empty();
    let (by_segment, by_region) =
        (query.group_by.contains(&LoyaltyDimension::Segment), query.group_by.contains(&LoyaltyDimension::Region));
    let count = move |fold: &mut Fold, buyer: Buyer, purchases: &[Purchase]| {
        let key =
            LoyaltyKey { segment: buyer.segment.filter(|_| by_segment), region: buyer.region.filter(|_| by_region) };
        let periods = fold.groups.entry(key).or_insert_with(|| vec![PeriodTally::default(); bounds.len()]);
        count_customer(periods, &bounds, purchases, &mut fold.codes);
    };
    let folds = purchases::fold_customers(db, horizon, grouped, Fold::default(), count).await?;
    let mut groups: HashMap<LoyaltyKey, Vec<LoyaltyCounts>> = HashMap::new();
    for fold in folds {
        for (key, periods) in fold.groups {
            let periods = periods.into_iter().map(PeriodTally::into_counts);
            match groups.get_mut(&key) {
                Some(known) => known.iter_mut().zip(periods).for_each(|(known, more)| known.add(more)),
                None => {
                    groups.insert(key, periods.collect());
                }
            }
        }
    }
    // A group exists in a period when it had any customer there.
    let mut counts = BTreeMap::new();
    for (key, periods) in groups {
        for (index, period) in periods.into_iter().enumerate() {
            if period.active_customers > 0 || period.previously_active > 0 || period.lifetime_customers > 0 {
                counts.insert((index, key.clone()), period);
            }
        }
    }
    Ok(counts)
}

/// What the pass over one range of customers gathers: each group's tallies per period, and room for
/// a customer's currencies, reused from customer to customer.
#[derive(Clone, Default)]
struct Fold {
    groups: HashMap<LoyaltyKey, Vec<PeriodTally>>,
    codes: Vec<Arc<str>>,
}

/// A group's counts in one period while the pass runs: its currencies in a short list keyed by the
/// pass's shared codes (`Purchase::currency`), found by pointer (`purchases::same_currency`), not by
/// comparing text per customer and period; made into `LoyaltyCounts` once the pass is done.
#[derive(Clone, Default)]
struct PeriodTally {
    counts: LoyaltyCounts,
    currencies: Vec<(Arc<str>, CurrencyCounts)>,
}

impl PeriodTally {
    fn currency(&mut self, code: &Arc<str>) -> &mut CurrencyCounts {
        let slot = match self.currencies.iter().position(|(known, _)| same_currency(known, code)) {
            Some(slot) => slot,
            None => {
                self.currencies.push((Arc::clone(code), CurrencyCounts::default()));
                self.currencies.len() - 1
            }
        };
        &mut self.currencies[slot].1
    }

    fn into_counts(self) -> LoyaltyCounts {
        let PeriodTally { mut counts, currencies } = self;
        for (code, more) in currencies {
            counts.currencies.entry(code.to_string()).or_default().add(more);
        }
        counts
    }
}

/// The instants a period's figures compare purchase times with, computed once per query.
#[derive(Clone)]
struct PeriodBounds {
    previous_start: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    window_start: DateTime<Utc>,
    as_of: DateTime<Utc>,
}

impl PeriodBounds {
    fn of(period: &LoyaltyPeriod, inactive_window: Duration) -> PeriodBounds {
        PeriodBounds {
            previous_start: period.previous_start(),
            start: period.start,
            end: period.end,
            window_start: period.as_of - inactive_window,
            as_of: period.as_of,
        }
    }
}

/// Counts one customer, with its orders that count, in every period of its group. `codes` is room for
/// the customer's currencies (one or a few).
fn count_customer(
    periods: &mut [PeriodTally],
    bounds: &[PeriodBounds],
    purchases: &[Purchase],
    codes: &mut Vec<Arc<str>>,
) {
    codes.clear();
    for purchase in purchases {
        if !codes.iter().any(|code| same_currency(code, &purchase.currency)) {
            codes.push(Arc::clone(&purchase.currency));
        }
    }
    for (tally, period) in periods.iter_mut().zip(bounds) {
        let mut total = CustomerCurrency::default();
        for code in codes.iter() {
            let mut c = CustomerCurrency::default();
            for purchase in purchases.iter().filter(|p| same_currency(&p.currency, code)) {
                let at = purchase.placed_at;
                if at >= period.start && at < period.end {
                    c.period_orders += 1;
                    c.period_revenue += purchase.revenue;
                }
                if at >= period.previous_start && at < period.start {
                    c.previous_orders += 1;
                }
                if at < period.as_of {
                    c.lifetime_orders += 1;
                    c.lifetime_revenue += purchase.revenue;
                    if at >= period.window_start {
                        c.recent_orders += 1;
                    }
                }
            }
            if c.period_orders > 0 || c.lifetime_orders > 0 {
                let figures = tally.currency(code);
                figures.orders += c.period_orders;
                figures.revenue_minor += c.period_revenue;
                if c.lifetime_orders > 0 {
                    figures.lifetime_revenue_per_customer.push(c.lifetime_revenue);
                }
            }
            total.period_orders += c.period_orders;
            total.previous_orders += c.previous_orders;
            total.lifetime_orders += c.lifetime_orders;
            total.recent_orders += c.recent_orders;
        }
        // A customer with no order in the period, the one before, or to the as-of date is not counted.
        if total.period_orders > 0 || total.previous_orders > 0 || total.lifetime_orders > 0 {
            add_customer(&mut tally.counts, &total);
        }
    }
}

/// Adds one customer's figures (summed over its currencies) to its group's counts.
fn add_customer(counts: &mut LoyaltyCounts, c: &CustomerCurrency) {
    counts.active_customers += u64::from(c.period_orders > 0);
    counts.repeat_customers += u64::from(c.period_orders >= 2);
    counts.orders += c.period_orders;
    counts.previously_active += u64::from(c.previous_orders > 0);
    counts.churned += u64::from(c.previous_orders > 0 && c.period_orders == 0);
    counts.lifetime_customers += u64::from(c.lifetime_orders > 0);
    counts.lifetime_repeat_customers += u64::from(c.lifetime_orders >= 2);
    counts.inactive_customers += u64::from(c.lifetime_orders > 0 && c.recent_orders == 0);
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
/// The total rows of a grouped query, one per period: the same query without grouping, so a customer is
/// counted once and medians are over every customer, never summed or combined from the groups. None for
/// an ungrouped query, its own total.
pub async fn totals(db: &DatabaseConnection, query: &LoyaltyQuery) -> AppResult<Vec<LoyaltyRow>> {
    if query.group_by.is_empty() {
        return Ok(Vec::new());
    }
    report(db, &LoyaltyQuery { group_by: Vec::new(), ..query.clone() }).await
}

pub async fn report(db: &DatabaseConnection, query: &LoyaltyQuery) -> AppResult<Vec<LoyaltyRow>> {
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
