//! A customer's purchase history as the models read it, from the per-customer totals SQL computes.
//!
//! The conventions of the published CDNOW results: time is counted in whole UTC days from the
//! customer's own first purchase, divided by the days of the time unit (a week: days / 7); purchases on
//! one day are one transaction, whose value is their sum; x is the number of transactions after the
//! first up to the calibration end, t_x the time of the last one (0 without repeats), T the time from
//! the first purchase to the calibration end's day; the spend model reads the mean value of the repeat
//! transactions (the first one is left out: it is often of another kind than the repeats).

use super::bg_nbd::History;

/// The unit every time of a model is counted in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Day,
    Week,
}

impl TimeUnit {
    pub const fn days(self) -> i64 {
        match self {
            TimeUnit::Day => 1,
            TimeUnit::Week => 7,
        }
    }

    /// Whole days as a time in this unit.
    pub fn of_days(self, days: i64) -> f64 {
        days as f64 / self.days() as f64
    }

    /// The name stored and shown: `DAY`, `WEEK`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Day => "DAY",
            TimeUnit::Week => "WEEK",
        }
    }

    pub fn parse(name: &str) -> Option<TimeUnit> {
        [TimeUnit::Day, TimeUnit::Week].into_iter().find(|unit| unit.as_str() == name)
    }
}

/// A customer's transactions up to the calibration end, as SQL totals them: days are day numbers
/// (days since 1970-01-01, UTC), `transactions` the number of distinct days with a purchase.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct DayTotals {
    pub first_day: i64,
    pub last_day: i64,
    pub transactions: u64,
    /// The value of the transactions after the first, in major units.
    pub repeat_value: f64,
}

/// What the models know of one customer: x, t_x and T in whole days, and the mean repeat value.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Summary {
    /// Repeat transactions (x).
    pub repeat_transactions: u64,
    /// Days from the first to the last transaction (t_x in days).
    pub recency_days: i64,
    /// Days from the first transaction to the calibration end (T in days).
    pub age_days: i64,
    /// The mean value of the repeat transactions, in major units; none without repeats.
    pub mean_repeat_value: Option<f64>,
}

impl Summary {
    /// The summary of a customer's totals at a calibration end (a day number, on or after the last day).
    pub fn new(totals: DayTotals, calibration_end_day: i64) -> Summary {
        let repeats = totals.transactions.saturating_sub(1);
        Summary {
            repeat_transactions: repeats,
            recency_days: totals.last_day - totals.first_day,
            age_days: calibration_end_day - totals.first_day,
            mean_repeat_value: (repeats > 0).then(|| totals.repeat_value / repeats as f64),
        }
    }

    /// (x, t_x, T) in `unit`.
    pub fn history(&self, unit: TimeUnit) -> History {
        History { x: self.repeat_transactions, t_x: unit.of_days(self.recency_days), t: unit.of_days(self.age_days) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_conventions() {
        // First purchase on 1997-01-01 (day 9862), calibration end 1997-09-30 (day 10134): T = 272 / 7.
        let once =
            Summary::new(DayTotals { first_day: 9862, last_day: 9862, transactions: 1, repeat_value: 0.0 }, 10134);
        let history = once.history(TimeUnit::Week);
        assert_eq!((history.x, history.t_x), (0, 0.0));
        assert!((history.t - 38.857_142_857).abs() < 1e-9);
        assert_eq!(once.mean_repeat_value, None);
        let thrice =
            Summary::new(DayTotals { first_day: 9862, last_day: 9876, transactions: 3, repeat_value: 50.0 }, 10134);
        assert_eq!(thrice.history(TimeUnit::Week), History { x: 2, t_x: 2.0, t: 272.0 / 7.0 });
        assert_eq!(thrice.history(TimeUnit::Day).t_x, 14.0);
        assert_eq!(thrice.mean_repeat_value, Some(25.0));
        assert_eq!(TimeUnit::parse("WEEK"), Some(TimeUnit::Week));
        assert_eq!(TimeUnit::parse("week"), None);
    }
}
