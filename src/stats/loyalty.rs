//! Loyalty math over the counts and per-customer values the services gathered (`docs/metrics.md`, "Loyalty").
//! Rates are percentages (0..100), like every other share this API returns.

use crate::stats::percent;

/// Days per year, for scaling a period's frequency and churn to a year.
pub const DAYS_PER_YEAR: f64 = 365.2425;

/// Mean of per-customer values; None when empty.
pub fn mean(values: &[i64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().map(|v| *v as f64).sum::<f64>() / values.len() as f64)
}

/// Median of per-customer values (the mean of the two middle values for an even count); None when empty.
pub fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    // A selection, not a sort: a report's medians are over every customer, per period.
    let mut values = values.to_vec();
    let (middle, even) = (values.len() / 2, values.len().is_multiple_of(2));
    let (below, &mut upper, _) = values.select_nth_unstable(middle);
    Some(match below.iter().max() {
        Some(&lower) if even => (lower as f64 + upper as f64) / 2.0,
        _ => upper as f64,
    })
}

/// Customers with at least two orders / customers with at least one, in percent.
pub fn repeat_purchase_rate(repeat_customers: u64, active_customers: u64) -> Option<f64> {
    percent(repeat_customers, active_customers)
}

/// Orders per active customer.
pub fn purchase_frequency(orders: u64, active_customers: u64) -> Option<f64> {
    (active_customers > 0).then(|| orders as f64 / active_customers as f64)
}

/// Revenue per order (in the revenue's unit).
pub fn average_order_value(revenue: i64, orders: u64) -> Option<f64> {
    (orders > 0).then(|| revenue as f64 / orders as f64)
}

/// Churned / active in the previous period, in percent.
pub fn churn_rate(churned: u64, previously_active: u64) -> Option<f64> {
    percent(churned, previously_active)
}

/// 100 - churn rate.
pub fn retention_rate(churn_rate: Option<f64>) -> Option<f64> {
    churn_rate.map(|c| 100.0 - c)
}

/// The heuristic predicted CLV: AOV x yearly purchase frequency x expected lifetime in years
/// (1 / yearly churn rate). A period's frequency scales linearly to a year; its churn compounds:
/// yearly churn = 1 - (1 - churn)^(year / period). None when churn is 0 (an infinite lifetime is no
/// prediction) or when any input is unknown.
pub fn predicted_clv(
    aov: Option<f64>,
    frequency: Option<f64>,
    churn_percent: Option<f64>,
    period_days: f64,
) -> Option<f64> {
    let (aov, frequency, churn) = (aov?, frequency?, churn_percent? / 100.0);
    if period_days <= 0.0 || churn <= 0.0 {
        return None;
    }
    let periods_per_year = DAYS_PER_YEAR / period_days;
    let yearly_churn = 1.0 - (1.0 - churn).powf(periods_per_year);
    (yearly_churn > 0.0).then(|| aov * frequency * periods_per_year / yearly_churn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_and_medians() {
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[1000, 0, 2000]), Some(1000.0));
        assert_eq!(median(&[5, 1, 3]), Some(3.0));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&[7]), Some(7.0));
        assert_eq!(median(&[10, 0]), Some(5.0));
        assert_eq!(median(&[2, 9, 2, 1, 8, 2]), Some(2.0));
        assert_eq!(median(&[9, 1, 8, 2, 7, 3]), Some(5.0));
    }

    #[test]
    fn rates_over_empty_denominators_are_unknown() {
        assert_eq!(repeat_purchase_rate(1, 4), Some(25.0));
        assert_eq!(repeat_purchase_rate(0, 0), None);
        assert_eq!(purchase_frequency(6, 4), Some(1.5));
        assert_eq!(average_order_value(5000, 0), None);
        assert_eq!(churn_rate(1, 4), Some(25.0));
        assert_eq!(retention_rate(Some(25.0)), Some(75.0));
        assert_eq!(retention_rate(None), None);
    }

    #[test]
    fn predicted_clv_over_a_year() {
        // A one-year period: AOV 50, 2 orders a year, 25% churn a year: 4 years x 100 a year.
        let clv = predicted_clv(Some(50.0), Some(2.0), Some(25.0), DAYS_PER_YEAR).unwrap();
        assert!((clv - 400.0).abs() < 1e-9);
        // A quarter with 25% churn compounds to 1 - 0.75^4 = 68.36% a year.
        let quarter = DAYS_PER_YEAR / 4.0;
        let clv = predicted_clv(Some(50.0), Some(0.5), Some(25.0), quarter).unwrap();
        assert!((clv - 50.0 * 2.0 / (1.0 - 0.75f64.powi(4))).abs() < 1e-9);
        assert_eq!(predicted_clv(Some(50.0), Some(2.0), Some(0.0), DAYS_PER_YEAR), None);
        assert_eq!(predicted_clv(None, Some(2.0), Some(10.0), DAYS_PER_YEAR), None);
    }
}
