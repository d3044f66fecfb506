//! The metric math, pure: no database, no async, no GraphQL. It takes score histograms and counts that
//! SQL aggregated and returns the statistics `docs/metrics.md` defines, in f64 at full precision; and
//! per-customer purchase histories, to fit and apply the predictive CLV models (`clv`, `docs/clv.md`).

pub mod clv;
pub mod comparison;
pub mod durations;
pub mod histogram;
pub mod intervals;
pub mod loyalty;
pub mod normal;
pub mod satisfaction;

/// The z value of every two-sided 95% interval (`docs/metrics.md`, "Intervals").
pub const Z_95: f64 = 1.959964;

/// `100 x part / whole` in percent; None when `whole` is 0 (a rate of nothing is unknown, not 0).
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

#[cfg(test)]
mod cdnow_tests;
#[cfg(test)]
mod prepbench_tests;
#[cfg(test)]
pub(crate) mod test_support;
