//! The tracking plot of a purchase model: for each period from the first purchase in the data to the
//! last order, the repeat transactions the calibration customers made up to the period's end, and the
//! number the model expects of them, each customer counted from their own first purchase (Fader, Hardie
//! & Lee 2005, figure 1). Inside the calibration period the two lines show the fit; after it, the
//! forecast.

use std::collections::HashMap;

use super::ClvError;
use super::bg_nbd::BgNbd;
use super::summary::TimeUnit;

/// The most periods a tracking plot has: ten years of days.
pub const MAX_PERIODS: i64 = 3653;

/// One period of the plot: `period` 1 ends one time unit after the first purchase in the data.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackingRow {
    pub period: u32,
    pub expected_cumulative: f64,
    pub actual_cumulative: u64,
}

/// The calibration customers' transactions, as day numbers (days since 1970-01-01, UTC).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transactions {
    /// How many calibration customers first bought on each day.
    pub first_purchases: Vec<(i64, u64)>,
    /// How many repeat transactions they made on each day (after the calibration end too).
    pub repeats: Vec<(i64, u64)>,
    /// The day of the last order in the data.
    pub last_day: i64,
}

/// The number of periods from the first purchase to the last order, or None without customers.
pub fn periods(data: &Transactions, unit: TimeUnit) -> Option<i64> {
    let start = data.first_purchases.iter().map(|(day, _)| *day).min()?;
    Some((data.last_day.max(start) - start) / unit.days() + 1)
}

/// The rows of the plot (none without customers).
pub fn tracking(model: &BgNbd, unit: TimeUnit, data: &Transactions) -> Result<Vec<TrackingRow>, ClvError> {
    let (Some(start), Some(periods)) = (data.first_purchases.iter().map(|(day, _)| *day).min(), periods(data, unit))
    else {
        return Ok(Vec::new());
    };
    if periods > MAX_PERIODS {
        return Err(ClvError::Data(format!(
            "the data spans {periods} {}s, more than the {MAX_PERIODS} a tracking plot may have: fit in a longer time unit",
            unit.as_str().to_lowercase()
        )));
    }
    let mut repeats = data.repeats.clone();
    repeats.sort_unstable();
    let mut repeats = repeats.into_iter().peekable();
    // E[X(t)] of a new customer by whole days of age: every period's end is a whole number of days.
    let mut expected_by_age: HashMap<i64, f64> = HashMap::new();
    let mut actual = 0;
    let mut rows = Vec::with_capacity(periods as usize);
    for period in 1..=periods {
        let end = start + period * unit.days();
        while let Some((_, count)) = repeats.next_if(|(day, _)| *day < end) {
            actual += count;
        }
        let mut expected = 0.0;
        for &(first, customers) in data.first_purchases.iter().filter(|(first, _)| *first < end) {
            let age = end - first;
            let per_customer = match expected_by_age.get(&age) {
                Some(value) => *value,
                None => {
                    let value = model.expected_purchases_of_new_customer(unit.of_days(age))?;
                    expected_by_age.insert(age, value);
                    value
                }
            };
            expected += customers as f64 * per_customer;
        }
        rows.push(TrackingRow { period: period as u32, expected_cumulative: expected, actual_cumulative: actual });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_period_counts_what_happened_before_its_end() {
        let model = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        // Day 0: 2 customers arrive, day 3: 1; repeats on days 5 and 7 (the second period), and 20.
        let data = Transactions {
            first_purchases: vec![(100, 2), (103, 1)],
            repeats: vec![(120, 1), (105, 2), (107, 1)],
            last_day: 120,
        };
        let rows = tracking(&model, TimeUnit::Week, &data).unwrap();
        assert_eq!(rows.len(), 3, "days 0-20 are three weeks");
        assert_eq!(rows.iter().map(|r| r.actual_cumulative).collect::<Vec<_>>(), vec![2, 3, 4]);
        let week = |days: i64| model.expected_purchases_of_new_customer(days as f64 / 7.0).unwrap();
        let expected = 2.0 * week(14) + week(11);
        assert!((rows[1].expected_cumulative - expected).abs() < 1e-12);
        assert!(rows.windows(2).all(|w| w[0].expected_cumulative < w[1].expected_cumulative));
        assert_eq!(tracking(&model, TimeUnit::Week, &Transactions::default()).unwrap(), vec![]);
        let long = Transactions { first_purchases: vec![(0, 1)], repeats: vec![], last_day: 4000 };
        assert!(tracking(&model, TimeUnit::Day, &long).is_err());
    }
}
