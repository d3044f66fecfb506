//! Helpers for the metric tests.

use entity::SurveyMetric;

use crate::stats::histogram::ScoreHistogram;

/// Asserts equality to 1e-6, the precision METRICS.md asks for.
pub fn assert_close(got: f64, expected: f64) {
    assert!((got - expected).abs() < 1e-6, "got {got}, expected {expected}");
}

/// Deterministic pseudo-random histograms of every metric, small and large, some empty.
pub fn pseudo_random_histograms(count: usize) -> Vec<ScoreHistogram> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
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
