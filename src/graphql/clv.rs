//! The predictive CLV types: a currency's fitted model (`Insights.clvModel`, `fitClvModel`) and a
//! customer under it (`Customer.clv`). Parameters and predictions are full precision: clients round.
//! `docs/clv.md` says what the models assume and how to read them.

use async_graphql::{ComplexObject, Context, Enum, Object, Result, SimpleObject};

use crate::error::{AppError, AppResult};
use crate::graphql::gate::answer::take_rows;
use crate::graphql::scalars::{CurrencyCode, DateTime};
use crate::services::clv::{ClvModel as StoredModel, CustomerClv as StoredCustomer};
use crate::stats::clv::TimeUnit;
use crate::stats::clv::value::MAX_PERIODS;

/// The unit every time of a CLV model is counted in (α, periods, the tracking plot).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClvTimeUnit {
    /// Seven days.
    Week,
    /// One UTC calendar day.
    Day,
}

impl From<ClvTimeUnit> for TimeUnit {
    fn from(unit: ClvTimeUnit) -> Self {
        match unit {
            ClvTimeUnit::Week => TimeUnit::Week,
            ClvTimeUnit::Day => TimeUnit::Day,
        }
    }
}

impl From<TimeUnit> for ClvTimeUnit {
    fn from(unit: TimeUnit) -> Self {
        match unit {
            TimeUnit::Week => ClvTimeUnit::Week,
            TimeUnit::Day => ClvTimeUnit::Day,
        }
    }
}

/// The BG/NBD purchase model: purchase rates λ ~ Gamma(r, α) while active; after each purchase a
/// customer drops out with probability p ~ Beta(a, b).
#[derive(SimpleObject, Clone, Debug)]
pub struct ClvPurchaseModel {
    /// Shape of the purchase rates.
    pub r: f64,
    /// Scale of the purchase rates, in time units.
    pub alpha: f64,
    /// Dropout, first Beta parameter.
    pub a: f64,
    /// Dropout, second Beta parameter.
    pub b: f64,
    /// The log-likelihood of the fit.
    pub log_likelihood: f64,
    /// Standard errors of r, α, a and b (from the Hessian of the log-likelihood).
    pub standard_errors: ClvPurchaseStandardErrors,
}

/// Standard errors of the purchase model's parameters.
#[derive(SimpleObject, Clone, Debug)]
pub struct ClvPurchaseStandardErrors {
    /// Of r.
    pub r: f64,
    /// Of α.
    pub alpha: f64,
    /// Of a.
    pub a: f64,
    /// Of b.
    pub b: f64,
}

/// The Gamma-Gamma spend model: a customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct ClvSpendModel {
    /// Shape of a customer's transaction values.
    pub p: f64,
    /// Shape of the customers' value scales.
    pub q: f64,
    /// Scale of the customers' value scales, in major units of the currency.
    pub gamma: f64,
    /// The log-likelihood of the fit.
    pub log_likelihood: f64,
    /// The customers it was fitted on: those with a repeat transaction of positive value.
    pub customer_count: u64,
    /// Standard errors of p, q and γ (from the Hessian of the log-likelihood).
    pub standard_errors: ClvSpendStandardErrors,
}

/// Standard errors of the spend model's parameters.
#[derive(SimpleObject, Clone, Debug)]
pub struct ClvSpendStandardErrors {
    /// Of p.
    pub p: f64,
    /// Of q.
    pub q: f64,
    /// Of γ.
    pub gamma: f64,
}

#[ComplexObject]
impl ClvSpendModel {
    /// The former name of `customerCount`.
    #[graphql(deprecation = "Use `customerCount`: a count, where `customers` elsewhere is a list.")]
    async fn customers(&self) -> u64 {
        self.customer_count
    }
}

/// One period of the tracking plot.
#[derive(SimpleObject, Clone, Debug)]
pub struct ClvTrackingPeriod {
    /// 1 for the time unit that starts with the first purchase in the data.
    pub period: u32,
    /// The repeat transactions the model expects of the calibration customers up to the period's end.
    pub expected_cumulative_repeat_purchases: f64,
    /// The repeat transactions they made up to the period's end.
    pub actual_cumulative_repeat_purchases: u64,
}

/// A currency's stored model.
pub struct ClvModel(pub StoredModel);

/// The predictive CLV model of one currency, as last fitted (`docs/clv.md`).
#[Object]
impl ClvModel {
    /// The currency of the orders it was fitted on.
    async fn currency(&self) -> CurrencyCode {
        CurrencyCode(self.0.currency)
    }

    /// Orders placed at or before this counted.
    async fn calibration_end(&self) -> DateTime {
        DateTime(self.0.calibration_end)
    }

    /// The unit of every time of the model.
    async fn time_unit(&self) -> ClvTimeUnit {
        self.0.fit.unit.into()
    }

    /// When it was fitted.
    async fn fitted_at(&self) -> DateTime {
        DateTime(self.0.fitted_at)
    }

    /// Customers with an order in the currency up to the calibration end.
    async fn customer_count(&self) -> u64 {
        self.0.fit.customers
    }

    /// The former name of `customerCount`.
    #[graphql(deprecation = "Use `customerCount`: a count, where `customers` elsewhere is a list.")]
    async fn customers(&self) -> u64 {
        self.0.fit.customers
    }

    /// Those of them with a repeat transaction (on a later day than their first).
    async fn repeat_customers(&self) -> u64 {
        self.0.fit.repeat_customers
    }

    /// How many purchases, and how long customers stay.
    async fn purchase_model(&self) -> ClvPurchaseModel {
        let fit = &self.0.fit.purchase;
        let (m, se) = (fit.model, fit.standard_errors);
        ClvPurchaseModel {
            r: m.r,
            alpha: m.alpha,
            a: m.a,
            b: m.b,
            log_likelihood: fit.log_likelihood,
            standard_errors: ClvPurchaseStandardErrors { r: se.r, alpha: se.alpha, a: se.a, b: se.b },
        }
    }

    /// How much per transaction.
    async fn spend_model(&self) -> ClvSpendModel {
        let fit = &self.0.fit.spend;
        let (m, se) = (fit.model, fit.standard_errors);
        ClvSpendModel {
            p: m.p,
            q: m.q,
            gamma: m.gamma,
            log_likelihood: fit.log_likelihood,
            customer_count: fit.customers,
            standard_errors: ClvSpendStandardErrors { p: se.p, q: se.q, gamma: se.gamma },
        }
    }

    /// One row per time unit from the first purchase in the data to the last order: the calibration
    /// customers' cumulative repeat transactions, expected and actual (the fit up to the calibration
    /// end, the forecast after it).
    async fn tracking(&self, ctx: &Context<'_>) -> Result<Vec<ClvTrackingPeriod>> {
        take_rows(ctx, self.0.tracking.len())?;
        Ok(self
            .0
            .tracking
            .iter()
            .map(|row| ClvTrackingPeriod {
                period: row.period,
                expected_cumulative_repeat_purchases: row.expected_cumulative,
                actual_cumulative_repeat_purchases: row.actual_cumulative,
            })
            .collect())
    }
}

/// A number of time units ahead, as an argument: 1 to ten years of days.
fn periods(periods: i32) -> AppResult<u32> {
    u32::try_from(periods)
        .ok()
        .filter(|p| (1..=MAX_PERIODS).contains(p))
        .ok_or_else(|| AppError::bad_input("periods", format!("must be between 1 and {MAX_PERIODS}")))
}

/// A customer under a stored model.
pub struct CustomerClv(pub StoredCustomer);

/// A customer under the predictive CLV model of a currency. Times are in the model's time unit, money in
/// major units of its currency.
#[Object]
impl CustomerClv {
    /// The probability that the customer is still active at the calibration end (1 for customers
    /// without repeat purchases: in the model a customer can only drop out after a purchase).
    async fn probability_alive(&self) -> f64 {
        self.0.probability_alive
    }

    /// The purchases expected in the next `periods` time units after the calibration end.
    async fn expected_purchases(&self, #[graphql(desc = "Time units ahead (1 to 3653).")] periods: i32) -> Result<f64> {
        let periods = f64::from(self::periods(periods)?);
        Ok(self.0.models.expected_purchases(&self.0.summary, periods).map_err(AppError::from)?)
    }

    /// The spend to expect per transaction: the customer's mean repeat value shrunk towards the
    /// population's mean, the more the fewer repeat transactions it rests on.
    async fn expected_average_spend(&self) -> f64 {
        self.0.models.expected_average_spend(&self.0.summary)
    }

    /// The value of the purchases expected in each of the next `periods` time units times the expected
    /// spend per transaction, each period discounted from its end at `annualDiscountRate` (0.1 for 10% a
    /// year).
    async fn value(
        &self,
        #[graphql(desc = "Time units ahead (1 to 3653).")] periods: i32,
        #[graphql(desc = "The discount rate per year, from 0 to 10 (0.1 for 10%).")] annual_discount_rate: f64,
    ) -> Result<f64> {
        if !(0.0..=10.0).contains(&annual_discount_rate) {
            return Err(AppError::bad_input("annualDiscountRate", "must be between 0 and 10").into());
        }
        let periods = self::periods(periods)?;
        Ok(self.0.models.value(&self.0.summary, periods, annual_discount_rate).map_err(AppError::from)?)
    }
}
