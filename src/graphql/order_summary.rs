//! `CustomerOrderSummary`: a customer's orders at a glance.

use async_graphql::{ComplexObject, SimpleObject};
use chrono::{DateTime as ChronoDateTime, Duration, Utc};

use crate::graphql::scalars::{CurrencyCode, DateTime, Money};
use crate::services::order_summary::OrderSummary;
use crate::stats::loyalty::average_order_value;

/// Spend in one currency.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct CurrencySpend {
    /// The currency.
    pub currency: CurrencyCode,
    /// Orders in this currency (CANCELLED excluded).
    pub order_count: u64,
    /// Total spent: the revenue of those orders (RETURNED orders count 0).
    pub total_spent: Money,
    /// Average order value: total spent / orders, rounded half to even to the currency's minor unit.
    pub average_order_amount: Option<Money>,
    /// Average order value in major units, unrounded.
    #[graphql(deprecation = "Use `averageOrderAmount`: money as `Money`, like `totalSpent`.")]
    pub average_order_value: Option<f64>,
}

/// A customer's orders in summary. CANCELLED orders count for nothing; RETURNED orders count as orders
/// with zero revenue.
#[derive(SimpleObject, Clone, Debug)]
pub struct CustomerOrderSummary {
    /// Orders placed (CANCELLED excluded).
    pub order_count: u64,
    /// Spend per currency; never summed across currencies.
    pub spend: Vec<CurrencySpend>,
    /// The first order.
    pub first_order_at: Option<DateTime>,
    /// The latest order.
    pub last_order_at: Option<DateTime>,
    /// Whole days from the latest order to `asOf`; null without orders.
    pub days_since_last_order: Option<i64>,
    /// Whether the customer ordered at least twice.
    pub repeat_buyer: bool,
    /// Whether the customer has orders but none in the inactivity window before `asOf` ("at risk").
    pub inactive: bool,
}

impl CustomerOrderSummary {
    pub fn new(summary: OrderSummary, as_of: ChronoDateTime<Utc>, window: Duration) -> Self {
        CustomerOrderSummary {
            order_count: summary.orders,
            spend: summary
                .spend
                .iter()
                .map(|s| {
                    let total_spent = Money::from_minor(s.revenue_minor, &s.currency);
                    let digits = total_spent.currency.0.minor_digits as i32;
                    let average = average_order_value(s.revenue_minor, s.orders).map(|v| v / 10f64.powi(digits));
                    CurrencySpend {
                        currency: total_spent.currency,
                        order_count: s.orders,
                        average_order_amount: average.map(|v| Money::from_major_rounded(v, &s.currency)),
                        average_order_value: average,
                        total_spent,
                    }
                })
                .collect(),
            first_order_at: summary.first_order_at.map(DateTime),
            last_order_at: summary.last_order_at.map(DateTime),
            days_since_last_order: summary.days_since_last_order(as_of),
            repeat_buyer: summary.repeat_buyer(),
            inactive: summary.inactive(as_of, window),
        }
    }
}

#[ComplexObject]
impl CurrencySpend {
    /// The former name of `orderCount`.
    #[graphql(deprecation = "Use `orderCount`: a count, where `orders` elsewhere is a list.")]
    async fn orders(&self) -> u64 {
        self.order_count
    }
}
