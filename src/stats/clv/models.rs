//! Both models of a currency together: fitted on the customers' summaries, and what they predict for one
//! customer (probability alive, expected purchases, expected spend per transaction, discounted value).

use std::collections::HashMap;

use super::bg_nbd::{BgNbd, PurchasePatterns};
use super::gamma_gamma::{GammaGamma, SpendPatterns};
use super::summary::{Summary, TimeUnit};
use super::value::{STORED_ANNUAL_DISCOUNT_RATE, discounted_purchases_if_alive, discounted_value, stored_periods};
use super::{ClvError, Fitted};

/// The fitted parameters of both models, in `unit`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ClvModels {
    pub purchase: BgNbd,
    pub spend: GammaGamma,
    pub unit: TimeUnit,
}

/// Both fits, with the figures of the data they were fitted on.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub purchase: Fitted<BgNbd>,
    pub spend: Fitted<GammaGamma>,
    pub unit: TimeUnit,
    pub customers: u64,
    pub repeat_customers: u64,
}

impl Fit {
    pub fn models(&self) -> ClvModels {
        ClvModels { purchase: self.purchase.model, spend: self.spend.model, unit: self.unit }
    }
}

/// What is stored per customer with a fit, to order customers by.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct StoredPrediction {
    pub probability_alive: f64,
    /// `value` over the stored horizon at the stored discount rate (`value::STORED_*`).
    pub predicted_clv: f64,
}

/// Fits the purchase model on every customer and the spend model on the repeat customers whose repeats
/// have a positive mean value.
pub fn fit(customers: &[Summary], unit: TimeUnit) -> Result<Fit, ClvError> {
    let purchases = PurchasePatterns::new(customers.iter().map(|c| (c.history(unit), 1)));
    let spend = SpendPatterns::new(
        customers.iter().filter_map(|c| c.mean_repeat_value.map(|mean| (c.repeat_transactions, mean))),
    );
    Ok(Fit {
        purchase: BgNbd::fit(&purchases)?,
        spend: GammaGamma::fit(&spend)?,
        unit,
        customers: purchases.customers(),
        repeat_customers: purchases.repeat_customers(),
    })
}

impl ClvModels {
    pub fn probability_alive(&self, customer: &Summary) -> f64 {
        self.purchase.probability_alive(customer.history(self.unit))
    }

    /// The purchases expected in the next `periods` time units.
    pub fn expected_purchases(&self, customer: &Summary, periods: f64) -> Result<f64, ClvError> {
        self.purchase.expected_purchases(customer.history(self.unit), periods)
    }

    /// The spend per transaction expected of the customer, in major units.
    pub fn expected_average_spend(&self, customer: &Summary) -> f64 {
        self.spend.expected_average_spend(customer.repeat_transactions, customer.mean_repeat_value)
    }

    /// The discounted value of the purchases expected in the next `periods` time units, in major units.
    pub fn value(&self, customer: &Summary, periods: u32, annual_discount_rate: f64) -> Result<f64, ClvError> {
        let spend = self.expected_average_spend(customer);
        discounted_value(&self.purchase, customer.history(self.unit), spend, self.unit, periods, annual_discount_rate)
    }

    /// The stored predictions of many customers: `value` over the stored horizon at the stored rate.
    /// The forecast of an active customer depends on x and T alone, so customers who share them share
    /// its computation (the horizon's hypergeometric series), and differ in P(alive) and spend.
    pub fn stored_predictions(&self, customers: &[Summary]) -> Result<Vec<StoredPrediction>, ClvError> {
        let periods = stored_periods(self.unit);
        let mut forecasts: HashMap<(u64, i64), f64> = HashMap::new();
        customers
            .iter()
            .map(|customer| {
                let history = customer.history(self.unit);
                let key = (customer.repeat_transactions, customer.age_days);
                let if_alive = match forecasts.get(&key) {
                    Some(purchases) => *purchases,
                    None => {
                        let purchases = discounted_purchases_if_alive(
                            &self.purchase,
                            history,
                            self.unit,
                            periods,
                            STORED_ANNUAL_DISCOUNT_RATE,
                        )?;
                        forecasts.insert(key, purchases);
                        purchases
                    }
                };
                let probability_alive = self.probability_alive(customer);
                Ok(StoredPrediction {
                    probability_alive,
                    predicted_clv: if_alive * probability_alive * self.expected_average_spend(customer),
                })
            })
            .collect()
    }
}
