//! Score histograms: answers per score value of one metric, as `GROUP BY score` returns them.

use std::fmt;

use entity::SurveyMetric;

/// A score outside the metric's scale: the database's CHECK constraint makes this a corrupt row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfScale {
    pub metric: SurveyMetric,
    pub score: i32,
}

impl fmt::Display for OutOfScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, high) = self.metric.score_range();
        write!(f, "score {} is outside the {:?} scale {low}..{high}", self.score, self.metric)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreHistogram {
    metric: SurveyMetric,
    /// Index 0 is the lowest score of the scale.
    counts: Vec<u64>,
}

impl ScoreHistogram {
    pub fn empty(metric: SurveyMetric) -> Self {
        let (low, high) = metric.score_range();
        ScoreHistogram { metric, counts: vec![0; (high - low + 1) as usize] }
    }

    /// Builds a histogram from `(score, count)` pairs; the same score may appear several times.
    pub fn from_counts(metric: SurveyMetric, counts: impl IntoIterator<Item = (i32, u64)>) -> Result<Self, OutOfScale> {
        let mut histogram = Self::empty(metric);
        for (score, count) in counts {
            histogram.add(score, count)?;
        }
        Ok(histogram)
    }

    /// Builds a histogram from individual scores (tests and small hand-made sets).
    pub fn from_scores(metric: SurveyMetric, scores: &[i32]) -> Result<Self, OutOfScale> {
        Self::from_counts(metric, scores.iter().map(|s| (*s, 1)))
    }

    pub fn add(&mut self, score: i32, count: u64) -> Result<(), OutOfScale> {
        let (low, high) = self.metric.score_range();
        if !(low..=high).contains(&score) {
            return Err(OutOfScale { metric: self.metric, score });
        }
        self.counts[(score - low) as usize] += count;
        Ok(())
    }

    /// Adds another histogram of the same metric (rolling groups up).
    pub fn merge(&mut self, other: &ScoreHistogram) {
        debug_assert_eq!(self.metric, other.metric);
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    pub fn metric(&self) -> SurveyMetric {
        self.metric
    }

    pub fn n(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(score, count)` for every score of the scale, zeros included, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        let low = self.metric.score_range().0;
        self.counts.iter().enumerate().map(move |(i, c)| (low + i as i32, *c))
    }

    /// Answers with a score in `[min, max]`.
    pub fn count_between(&self, min: i32, max: i32) -> u64 {
        self.iter().filter(|(s, _)| (min..=max).contains(s)).map(|(_, c)| c).sum()
    }

    /// Mean score; None when empty.
    pub fn mean(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| self.iter().map(|(s, c)| f64::from(s) * c as f64).sum::<f64>() / n as f64)
    }

    /// Sample standard deviation (n - 1); None when n < 2.
    pub fn sample_sd(&self) -> Option<f64> {
        let n = self.n();
        let mean = self.mean()?;
        (n >= 2).then(|| {
            let squares: f64 = self.iter().map(|(s, c)| (f64::from(s) - mean).powi(2) * c as f64).sum();
            (squares / (n - 1) as f64).sqrt()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merges_and_rejects_out_of_scale_scores() {
        let mut a = ScoreHistogram::from_counts(SurveyMetric::Csat, [(5, 2), (1, 1), (5, 1)]).unwrap();
        let b = ScoreHistogram::from_scores(SurveyMetric::Csat, &[3, 4]).unwrap();
        a.merge(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![(1, 1), (2, 0), (3, 1), (4, 1), (5, 3)]);
        assert_eq!(a.n(), 6);
        assert_eq!(
            ScoreHistogram::from_scores(SurveyMetric::Csat, &[0]),
            Err(OutOfScale { metric: SurveyMetric::Csat, score: 0 })
        );
        assert!(ScoreHistogram::from_scores(SurveyMetric::Nps, &[11]).is_err());
        assert!(ScoreHistogram::from_scores(SurveyMetric::Ces, &[8]).is_err());
    }

    #[test]
    fn mean_and_sample_sd() {
        let h = ScoreHistogram::from_scores(SurveyMetric::Ces, &[7, 6, 5, 6, 3, 7, 4, 6, 5, 2]).unwrap();
        assert!((h.mean().unwrap() - 5.1).abs() < 1e-12);
        assert!((h.sample_sd().unwrap() - 1.663_330).abs() < 1e-6);
        assert_eq!(ScoreHistogram::empty(SurveyMetric::Ces).mean(), None);
        assert_eq!(ScoreHistogram::from_scores(SurveyMetric::Ces, &[4]).unwrap().sample_sd(), None);
    }
}
