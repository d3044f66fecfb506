//! Confidence intervals for a share (Wilson score) and for a mean (normal approximation).

use crate::stats::Z_95;

/// The 95% Wilson score interval of `successes / n`, as fractions in [0, 1]; None when n = 0.
/// Wilson rather than the normal ("Wald") interval because it stays inside [0, 1] and is honest for
/// small n and for shares near 0 or 1.
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// `wilson` in percent, for shares reported in percent.
pub fn wilson_percent(successes: u64, n: u64) -> Option<(f64, f64)> {
    wilson(successes, n).map(|(low, high)| (100.0 * low, 100.0 * high))
}

/// The 95% interval `mean +/- z x sd / sqrt(n)`; None when n < 2 (no sample standard deviation).
pub fn mean_interval(mean: f64, sample_sd: f64, n: u64) -> Option<(f64, f64)> {
    if n < 2 {
        return None;
    }
    let half = Z_95 * sample_sd / (n as f64).sqrt();
    Some((mean - half, mean + half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_of_the_metrics_md_vector() {
        let (low, high) = wilson(7, 10).unwrap();
        assert!((100.0 * low - 39.677_815).abs() < 1e-6);
        assert!((100.0 * high - 89.220_873).abs() < 1e-6);
        let (low_percent, high_percent) = wilson_percent(7, 10).unwrap();
        assert_eq!((low_percent, high_percent), (100.0 * low, 100.0 * high));
    }

    #[test]
    fn wilson_at_the_edges_stays_in_bounds() {
        let (low, high) = wilson(0, 20).unwrap();
        assert_eq!(low, 0.0);
        assert!(high > 0.0 && high < 0.2);
        let (low, high) = wilson(20, 20).unwrap();
        assert!(low > 0.8 && low < 1.0);
        assert_eq!(high, 1.0);
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn mean_interval_needs_two_answers() {
        assert_eq!(mean_interval(5.0, 0.0, 1), None);
        assert_eq!(mean_interval(5.0, 0.0, 2), Some((5.0, 5.0)));
    }
}
