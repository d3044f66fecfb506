//! The value of a customer's future purchases: the purchases BG/NBD expects in each coming period, times
//! the spend per transaction Gamma-Gamma expects, each period discounted to today.

use super::ClvError;
use super::bg_nbd::{BgNbd, History};
use super::summary::TimeUnit;

/// Days per year of the discount rate.
const DAYS_PER_YEAR: f64 = 365.25;

/// The predicted CLV stored with every fit (for ordering customers) looks this far ahead: 52 weeks, or
/// 364 days...
pub const STORED_HORIZON_DAYS: i64 = 364;
/// ... discounted at this rate a year.
pub const STORED_ANNUAL_DISCOUNT_RATE: f64 = 0.1;

/// The most periods a value may look ahead: ten years of days.
pub const MAX_PERIODS: u32 = 3653;

/// The stored horizon in periods of `unit`.
pub fn stored_periods(unit: TimeUnit) -> u32 {
    (STORED_HORIZON_DAYS / unit.days()) as u32
}

/// The discount factor of period `k` (1-based, discounted at its end) for an annual rate.
fn discount(unit: TimeUnit, annual_rate: f64, k: u32) -> f64 {
    (1.0 + annual_rate).powf(-(f64::from(k) * unit.days() as f64) / DAYS_PER_YEAR)
}

/// Σ_{k=1..periods} (E[X(k)] - E[X(k-1)]) × spend / (1 + annual rate)^(k periods in years): the value of
/// the purchases expected in each of the next `periods` periods of `unit`, each discounted from its end.
pub fn discounted_value(
    model: &BgNbd,
    history: History,
    spend: f64,
    unit: TimeUnit,
    periods: u32,
    annual_rate: f64,
) -> Result<f64, ClvError> {
    let if_alive = discounted_purchases_if_alive(model, history, unit, periods, annual_rate)?;
    Ok(if_alive * model.probability_alive(history) * spend)
}

/// The discounted purchases of `discounted_value` for a customer who is still active: E[X(t)] is that
/// expectation times P(alive), which does not depend on t. The same for every customer with the same x
/// and T.
pub fn discounted_purchases_if_alive(
    model: &BgNbd,
    history: History,
    unit: TimeUnit,
    periods: u32,
    annual_rate: f64,
) -> Result<f64, ClvError> {
    let mut purchases = 0.0;
    let mut before = 0.0;
    for k in 1..=periods {
        let expected = model.expected_purchases_if_alive(history, f64::from(k))?;
        purchases += (expected - before) * discount(unit, annual_rate, k);
        before = expected;
    }
    Ok(purchases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_discount_the_value_is_expected_purchases_times_spend() {
        let model = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let history = History { x: 2, t_x: 30.43, t: 38.86 };
        let value = discounted_value(&model, history, 25.0, TimeUnit::Week, 52, 0.0).unwrap();
        let expected = model.expected_purchases(history, 52.0).unwrap() * 25.0;
        assert!((value - expected).abs() < 1e-9, "{value} vs {expected}");
        let discounted = discounted_value(&model, history, 25.0, TimeUnit::Week, 52, 0.1).unwrap();
        assert!(discounted < value && discounted > value / 1.1, "a year at 10%: {discounted} of {value}");
        assert_eq!(stored_periods(TimeUnit::Week), 52);
        assert_eq!(stored_periods(TimeUnit::Day), 364);
        assert!((discount(TimeUnit::Day, 0.1, 365) * (1.1f64).powf(365.0 / 365.25) - 1.0).abs() < 1e-12);
    }
}
