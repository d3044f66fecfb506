//! Comparing two sets: delta, z, two-sided p-value, significance (`docs/metrics.md`, "Comparing two sets").

use entity::SurveyMetric;

use crate::stats::normal::two_sided_p;
use crate::stats::satisfaction::Satisfaction;

/// Significance level of every comparison.
pub const ALPHA: f64 = 0.05;

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// a - b, in the unit of the values (NPS points, CSAT or share percentage points, CES points).
    pub delta: f64,
    /// None when the test is undefined (no variance on either side).
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    /// p < 0.05; None when the test is undefined (an unknown is not "not significant").
    pub significant: Option<bool>,
}

impl Comparison {
    fn new(delta: f64, z: Option<f64>) -> Self {
        let p_value = z.map(two_sided_p);
        Comparison { delta, z, p_value, significant: p_value.map(|p| p < ALPHA) }
    }
}

/// Compares two scores of the same metric; None when either set is empty.
/// NPS and CES: z = delta / sqrt(SE_a^2 + SE_b^2). CSAT: the pooled two-proportion z test.
pub fn compare(a: &Satisfaction, b: &Satisfaction) -> Option<Comparison> {
    let (value_a, value_b) = (a.value?, b.value?);
    if a.metric == SurveyMetric::Csat {
        return proportions(a.favourable(), a.n, b.favourable(), b.n);
    }
    let delta = value_a - value_b;
    let se = (a.standard_error.unwrap_or(0.0).powi(2) + b.standard_error.unwrap_or(0.0).powi(2)).sqrt();
    let defined = a.standard_error.is_some() && b.standard_error.is_some() && se > 0.0;
    Some(Comparison::new(delta, defined.then(|| delta / se)))
}

/// The pooled two-proportion z test of `x_a / n_a` against `x_b / n_b`; delta in percentage points.
/// None when either n is 0.
pub fn proportions(x_a: u64, n_a: u64, x_b: u64, n_b: u64) -> Option<Comparison> {
    if n_a == 0 || n_b == 0 {
        return None;
    }
    let (p_a, p_b) = (x_a as f64 / n_a as f64, x_b as f64 / n_b as f64);
    let pooled = (x_a + x_b) as f64 / (n_a + n_b) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n_a as f64 + 1.0 / n_b as f64)).sqrt();
    let z = (se > 0.0).then(|| (p_a - p_b) / se);
    Some(Comparison::new(100.0 * (p_a - p_b), z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::histogram::ScoreHistogram;
    use crate::stats::satisfaction::DEFAULT_MIN_SAMPLE;
    use crate::stats::test_support::assert_close;

    fn of(metric: SurveyMetric, scores: &[i32]) -> Satisfaction {
        Satisfaction::of(&ScoreHistogram::from_scores(metric, scores).unwrap(), DEFAULT_MIN_SAMPLE)
    }

    #[test]
    fn nps_difference_with_its_z_and_p() {
        let a = of(SurveyMetric::Nps, &[10, 10, 9, 8, 7, 6, 0, 10, 9, 5]);
        let b = of(SurveyMetric::Nps, &[0, 1, 2, 3, 10, 9, 8, 7, 6, 5]);
        let c = compare(&a, &b).unwrap();
        // b: 2 promoters, 6 detractors -> NPS -40; var = 0.8 - 0.16 = 0.64.
        assert_close(c.delta, 60.0);
        let se = (27.568_098f64.powi(2) + (100.0 * (0.64f64 / 10.0).sqrt()).powi(2)).sqrt();
        assert_close(c.z.unwrap(), 60.0 / se);
        assert_close(c.p_value.unwrap(), two_sided_p(60.0 / se));
        assert_eq!(c.significant, Some(false), "n = 10 is too small for this difference");
    }

    #[test]
    fn csat_uses_the_pooled_two_proportion_test() {
        let c = proportions(80, 100, 60, 100).unwrap();
        // pooled 0.7, se = sqrt(0.21 x 0.02) = 0.0648074; z = 0.2 / se = 3.086067.
        assert_close(c.delta, 20.0);
        assert_close(c.z.unwrap(), 3.086_067);
        assert_eq!(c.significant, Some(true));
        let a = of(SurveyMetric::Csat, &[5, 5, 4, 1]);
        let b = of(SurveyMetric::Csat, &[5, 1, 1, 1]);
        assert_eq!(compare(&a, &b), proportions(3, 4, 1, 4));
    }

    #[test]
    fn undefined_comparisons() {
        let empty = of(SurveyMetric::Nps, &[]);
        let some = of(SurveyMetric::Nps, &[10, 0]);
        assert_eq!(compare(&empty, &some), None);
        assert_eq!(proportions(0, 0, 1, 2), None);
        // No variance anywhere: a difference, but no test.
        let all_ten = of(SurveyMetric::Nps, &[10, 10]);
        let all_zero = of(SurveyMetric::Nps, &[0, 0]);
        let c = compare(&all_ten, &all_zero).unwrap();
        assert_eq!((c.delta, c.z, c.p_value, c.significant), (200.0, None, None, None));
    }
}
