//! Helpers for the metric tests.

use entity::SurveyMetric;

use crate::stats::histogram::ScoreHistogram;

/// Asserts equality to 1e-6, the precision of the test vectors (`docs/metrics.md`, "Test vectors").
pub fn assert_close(got: f64, expected: f64) {
    assert!((got - expected).abs() < 1e-6, "got {got}, expected {expected}");
}

/// Pseudo-random histograms of every metric, small and large, some empty, drawn from the test's seed.
pub fn pseudo_random_histograms(count: usize) -> Vec<ScoreHistogram> {
    // xorshift never leaves the state 0.
    let mut state: u64 = crate::test_seed::test_seed().max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|i| {
            let metric = [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces][i % 3];
            let (low, high) = metric.score_range();
            let scale = [0, 1, 5, 50, 5000][(next() % 5) as usize];
            let counts = (low..=high).map(|score| (score, if scale == 0 { 0 } else { next() % scale }));
            ScoreHistogram::from_counts(metric, counts.collect::<Vec<_>>())
                .unwrap_or_else(|_| ScoreHistogram::empty(metric))
        })
        .collect()
}
