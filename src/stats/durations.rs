//! Summaries of durations (hours to a complaint's first response or resolution), `docs/metrics.md`,
//! "Complaint handling".

use chrono::{DateTime, Utc};

/// The hours from `from` to `to`, to the millisecond.
pub fn hours_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 3_600_000.0
}

/// The `p`-quantile (0 ≤ p ≤ 1) of `sorted` (ascending), interpolated linearly between the closest ranks:
/// position `(n − 1) × p` (the sample quantile of type 7, as spreadsheets' PERCENTILE.INC). Its median is
/// the usual one, the mean of the two middle values for an even count. None when empty.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = last as f64 * p.clamp(0.0, 1.0);
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    let fraction = position - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * fraction)
}

/// How many durations there are, their median and 90th percentile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DurationSummary {
    pub n: u64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl DurationSummary {
    pub fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        DurationSummary { n: values.len() as u64, median: quantile(&values, 0.5), p90: quantile(&values, 0.9) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::test_support::assert_close;

    #[test]
    fn quantiles_interpolate_between_the_closest_ranks() {
        let hours = [0.25, 1.0, 2.0, 4.0, 30.0];
        assert_eq!(quantile(&hours, 0.5), Some(2.0));
        assert_close(quantile(&hours, 0.9).unwrap(), 4.0 + 0.6 * 26.0);
        assert_eq!((quantile(&hours, 0.0), quantile(&hours, 1.0)), (Some(0.25), Some(30.0)));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 10.0], 0.5), Some(2.5));
        assert_close(quantile(&[1.0, 2.0, 3.0, 10.0], 0.9).unwrap(), 3.0 + 0.7 * 7.0);
        assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn a_summary_sorts_its_values_first() {
        let summary = DurationSummary::of(vec![30.0, 0.25, 4.0, 1.0, 2.0]);
        assert_eq!((summary.n, summary.median), (5, Some(2.0)));
        assert_close(summary.p90.unwrap(), 19.6);
        assert_eq!(DurationSummary::of(Vec::new()), DurationSummary { n: 0, median: None, p90: None });
    }
}
