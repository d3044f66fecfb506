//! NPS, CSAT and CES over a histogram, with their intervals and category counts (`docs/metrics.md`,
//! "Satisfaction").

use entity::SurveyMetric;

use crate::stats::histogram::ScoreHistogram;
use crate::stats::intervals::{mean_interval, wilson_percent};
use crate::stats::{Z_95, percent};

/// The sample size below which a score is flagged as low, unless a query sets its own (`docs/metrics.md`,
/// "Low samples").
pub const DEFAULT_MIN_SAMPLE: u64 = 30;

/// The answer categories of each metric (`docs/metrics.md`, "Survey scales"): the one category type of
/// the domain, which the API mirrors.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SatisfactionCategory {
    Promoter,
    Passive,
    Detractor,
    Satisfied,
    NotSatisfied,
    Easy,
    NotEasy,
}

impl SatisfactionCategory {
    /// The categories of a metric, best first; their score ranges split the metric's scale.
    pub const fn of_metric(metric: SurveyMetric) -> &'static [Self] {
        match metric {
            SurveyMetric::Nps => &[Self::Promoter, Self::Passive, Self::Detractor],
            SurveyMetric::Csat => &[Self::Satisfied, Self::NotSatisfied],
            SurveyMetric::Ces => &[Self::Easy, Self::NotEasy],
        }
    }

    /// The dissatisfied answers of a metric: its worst category (NPS detractors, CSAT not satisfied, CES
    /// not easy), the answers a company follows up on to close the loop.
    pub fn dissatisfied(metric: SurveyMetric) -> Self {
        match metric {
            SurveyMetric::Nps => Self::Detractor,
            SurveyMetric::Csat => Self::NotSatisfied,
            SurveyMetric::Ces => Self::NotEasy,
        }
    }

    /// The metric whose answers fall in this category.
    pub const fn metric(self) -> SurveyMetric {
        match self {
            Self::Promoter | Self::Passive | Self::Detractor => SurveyMetric::Nps,
            Self::Satisfied | Self::NotSatisfied => SurveyMetric::Csat,
            Self::Easy | Self::NotEasy => SurveyMetric::Ces,
        }
    }

    /// The inclusive score range of the category's answers: the one definition of the bands, which
    /// SQL filters and Rust alike read.
    pub const fn score_range(self) -> (i32, i32) {
        match self {
            Self::Promoter => (9, 10),
            Self::Passive => (7, 8),
            Self::Detractor => (0, 6),
            Self::Satisfied => (4, 5),
            Self::NotSatisfied => (1, 3),
            Self::Easy => (5, 7),
            Self::NotEasy => (1, 4),
        }
    }

    /// The category of one answer; None for a score outside the metric's scale.
    pub fn of_score(metric: SurveyMetric, score: i32) -> Option<Self> {
        Self::of_metric(metric).iter().copied().find(|category| {
            let (low, high) = category.score_range();
            (low..=high).contains(&score)
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CategoryCount {
    pub category: SatisfactionCategory,
    pub count: u64,
    /// Percent of n; None when n = 0.
    pub share: Option<f64>,
}

/// A metric's value over a set of answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Satisfaction {
    pub metric: SurveyMetric,
    pub n: u64,
    /// NPS in -100..100, CSAT in percent, CES the mean on 1..7; None when n = 0.
    pub value: Option<f64>,
    /// The 95% interval of `value`.
    pub interval: Option<(f64, f64)>,
    /// The standard error of `value`, in the same unit.
    pub standard_error: Option<f64>,
    pub mean: Option<f64>,
    pub categories: Vec<CategoryCount>,
    pub low_sample: bool,
}

impl Satisfaction {
    pub fn of(histogram: &ScoreHistogram, min_sample: u64) -> Self {
        let metric = histogram.metric();
        let n = histogram.n();
        let categories: Vec<CategoryCount> = SatisfactionCategory::of_metric(metric)
            .iter()
            .map(|category| {
                let (low, high) = category.score_range();
                let count = histogram.count_between(low, high);
                CategoryCount { category: *category, count, share: percent(count, n) }
            })
            .collect();
        let count_of =
            |wanted: SatisfactionCategory| categories.iter().find(|c| c.category == wanted).map_or(0, |c| c.count);
        let (value, interval, standard_error) = match metric {
            SurveyMetric::Nps => {
                nps(count_of(SatisfactionCategory::Promoter), count_of(SatisfactionCategory::Detractor), n)
            }
            SurveyMetric::Csat => csat(count_of(SatisfactionCategory::Satisfied), n),
            SurveyMetric::Ces => ces(histogram),
        };
        Satisfaction {
            metric,
            n,
            value,
            interval,
            standard_error,
            mean: histogram.mean(),
            categories,
            low_sample: n < min_sample,
        }
    }

    /// The count of the "good" category (promoters, satisfied, easy): what proportion tests compare.
    pub fn favourable(&self) -> u64 {
        self.categories.first().map_or(0, |c| c.count)
    }
}

type Estimate = (Option<f64>, Option<(f64, f64)>, Option<f64>);

/// NPS = 100 (p - d); each answer is +1 / 0 / -1, so var = (p + d) - (p - d)^2 and SE = 100 sqrt(var / n).
fn nps(promoters: u64, detractors: u64, n: u64) -> Estimate {
    if n == 0 {
        return (None, None, None);
    }
    let (p, d) = (promoters as f64 / n as f64, detractors as f64 / n as f64);
    let value = 100.0 * (p - d);
    let variance = ((p + d) - (p - d).powi(2)).max(0.0);
    let se = 100.0 * (variance / n as f64).sqrt();
    let interval = ((value - Z_95 * se).max(-100.0), (value + Z_95 * se).min(100.0));
    (Some(value), Some(interval), Some(se))
}

/// CSAT = 100 x share of 4-5 answers, with the Wilson interval of that share.
fn csat(satisfied: u64, n: u64) -> Estimate {
    if n == 0 {
        return (None, None, None);
    }
    let share = satisfied as f64 / n as f64;
    let interval = wilson_percent(satisfied, n);
    (Some(100.0 * share), interval, Some(100.0 * (share * (1.0 - share) / n as f64).sqrt()))
}

/// CES = mean score, with mean +/- z s / sqrt(n) (s the sample standard deviation).
fn ces(histogram: &ScoreHistogram) -> Estimate {
    let n = histogram.n();
    let Some(mean) = histogram.mean() else { return (None, None, None) };
    match histogram.sample_sd() {
        Some(sd) => (Some(mean), mean_interval(mean, sd, n), Some(sd / (n as f64).sqrt())),
        None => (Some(mean), None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::test_support::{assert_close, pseudo_random_histograms};

    fn of(metric: SurveyMetric, scores: &[i32]) -> Satisfaction {
        Satisfaction::of(&ScoreHistogram::from_scores(metric, scores).unwrap(), DEFAULT_MIN_SAMPLE)
    }

    fn count(s: &Satisfaction, category: SatisfactionCategory) -> u64 {
        s.categories.iter().find(|c| c.category == category).unwrap().count
    }

    #[test]
    fn each_metric_s_categories_split_its_scale() {
        for metric in [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces] {
            let (low, high) = metric.score_range();
            for score in low - 1..=high + 1 {
                let holding = SatisfactionCategory::of_metric(metric).iter().filter(|c| {
                    let (from, to) = c.score_range();
                    (from..=to).contains(&score)
                });
                let expected = usize::from((low..=high).contains(&score));
                assert_eq!(holding.count(), expected, "{metric:?} {score}");
            }
        }
        assert_eq!(SatisfactionCategory::of_score(SurveyMetric::Nps, 8), Some(SatisfactionCategory::Passive));
        assert_eq!(SatisfactionCategory::of_score(SurveyMetric::Csat, 0), None);
    }

    #[test]
    fn nps_categories_are_the_bands_of_the_nps_scale_and_each_category_names_its_metric() {
        let of = |scores: std::ops::RangeInclusive<i32>| {
            scores.map(|score| SatisfactionCategory::of_score(SurveyMetric::Nps, score)).collect::<Vec<_>>()
        };
        assert!(of(0..=6).iter().all(|c| *c == Some(SatisfactionCategory::Detractor)));
        assert!(of(7..=8).iter().all(|c| *c == Some(SatisfactionCategory::Passive)));
        assert!(of(9..=10).iter().all(|c| *c == Some(SatisfactionCategory::Promoter)));
        assert_eq!(SatisfactionCategory::Passive.score_range(), (7, 8));
        for metric in [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces] {
            assert!(SatisfactionCategory::of_metric(metric).iter().all(|c| c.metric() == metric), "{metric:?}");
        }
    }

    #[test]
    fn the_dissatisfied_category_is_each_metric_s_worst() {
        for metric in [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces] {
            let worst = SatisfactionCategory::of_metric(metric).last().copied();
            assert_eq!(Some(SatisfactionCategory::dissatisfied(metric)), worst, "{metric:?}");
        }
    }

    #[test]
    fn nps_test_vector() {
        let s = of(SurveyMetric::Nps, &[10, 10, 9, 8, 7, 6, 0, 10, 9, 5]);
        assert_eq!(
            (
                count(&s, SatisfactionCategory::Promoter),
                count(&s, SatisfactionCategory::Passive),
                count(&s, SatisfactionCategory::Detractor)
            ),
            (5, 2, 3)
        );
        assert_eq!(s.n, 10);
        assert_close(s.value.unwrap(), 20.0);
        assert_close(s.standard_error.unwrap(), 27.568_098);
        // The interval is NPS +/- 1.959964 x SE, as for every metric (`docs/metrics.md`, "Choices where
        // the definitions leave room"). The bounds [-34.033471, 74.033471] often given for this vector come
        // from z = 1.96 (checked below): 0.001 apart. The CSAT and CES vectors agree with 1.959964.
        let (low, high) = s.interval.unwrap();
        assert_close(low, -34.032_479);
        assert_close(high, 74.032_479);
        assert_close(20.0 - 1.96 * s.standard_error.unwrap(), -34.033_471);
        assert_close(20.0 + 1.96 * s.standard_error.unwrap(), 74.033_471);
        assert!(s.low_sample);
        assert_close(s.categories[0].share.unwrap(), 50.0);
    }

    #[test]
    fn csat_test_vector() {
        let s = of(SurveyMetric::Csat, &[5, 4, 3, 5, 2, 4, 4, 1, 5, 5]);
        assert_eq!(count(&s, SatisfactionCategory::Satisfied), 7);
        assert_close(s.value.unwrap(), 70.0);
        assert_close(s.mean.unwrap(), 3.8);
        let (low, high) = s.interval.unwrap();
        assert_close(low, 39.677_815);
        assert_close(high, 89.220_873);
    }

    #[test]
    fn ces_test_vector() {
        let s = of(SurveyMetric::Ces, &[7, 6, 5, 6, 3, 7, 4, 6, 5, 2]);
        assert_close(s.value.unwrap(), 5.1);
        assert_close(s.standard_error.unwrap() * 10f64.sqrt(), 1.663_330);
        let (low, high) = s.interval.unwrap();
        assert_close(low, 4.069_076);
        assert_close(high, 6.130_924);
        assert_close(s.categories[0].share.unwrap(), 70.0);
    }

    #[test]
    fn empty_sets_have_null_values_never_zero_or_nan() {
        for metric in [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces] {
            let s = of(metric, &[]);
            assert_eq!((s.n, s.value, s.interval, s.standard_error, s.mean), (0, None, None, None, None));
            assert!(s.categories.iter().all(|c| c.count == 0 && c.share.is_none()));
            assert!(s.low_sample);
        }
    }

    #[test]
    fn single_answers_and_unanimous_sets() {
        let one = of(SurveyMetric::Ces, &[6]);
        assert_eq!((one.value, one.interval), (Some(6.0), None));
        let promoters = of(SurveyMetric::Nps, &[10; 40]);
        assert_eq!(promoters.value, Some(100.0));
        assert_eq!(promoters.interval, Some((100.0, 100.0)));
        assert!(!promoters.low_sample);
        let detractors = of(SurveyMetric::Nps, &[0, 3, 6]);
        assert_eq!(detractors.value, Some(-100.0));
        assert_eq!(detractors.interval.unwrap().0, -100.0);
    }

    #[test]
    fn truncating_percentages_is_not_what_we_do() {
        // 8 promoters and 22 detractors of 39 (prepbench case 040): -35.897..., never the -36 that
        // truncating each percentage first would give.
        let mut scores = vec![9; 8];
        scores.extend([0; 22]);
        scores.extend([7; 9]);
        let s = of(SurveyMetric::Nps, &scores);
        assert_close(s.value.unwrap(), 100.0 * (8.0 - 22.0) / 39.0);
        assert_eq!((s.value.unwrap() * 10.0).round() / 10.0, -35.9);
    }

    #[test]
    fn invariants_hold_on_many_random_histograms() {
        for histogram in pseudo_random_histograms(500) {
            let s = Satisfaction::of(&histogram, DEFAULT_MIN_SAMPLE);
            let Some(value) = s.value else {
                assert_eq!(s.n, 0);
                continue;
            };
            assert!(value.is_finite());
            if let Some((low, high)) = s.interval {
                assert!(low <= value + 1e-9 && value <= high + 1e-9, "{s:?}");
            }
            let shares: f64 = s.categories.iter().filter_map(|c| c.share).sum();
            assert!((shares - 100.0).abs() < 1e-9);
            match s.metric {
                SurveyMetric::Nps => assert!((-100.0..=100.0).contains(&value)),
                SurveyMetric::Csat => {
                    let (low, high) = s.interval.unwrap();
                    assert!((0.0..=100.0).contains(&low) && (0.0..=100.0).contains(&high));
                }
                SurveyMetric::Ces => assert!((1.0..=7.0).contains(&value)),
            }
            assert_eq!(s.categories.iter().map(|c| c.count).sum::<u64>(), s.n);
        }
    }
}
