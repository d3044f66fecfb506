//! Satisfaction result types: flat, typed rows (group keys + a score object) a BI tool can read as a table.

use super::series::SeriesPosition;
use async_graphql::{ComplexObject, SimpleObject};

use crate::graphql::enums::{Channel, SatisfactionCategory, SurveyMetric, TouchpointKind};
use crate::graphql::scalars::DateTime;
use crate::services::satisfaction_insights::{self as service, SatisfactionGroup, Score};

/// The number of answers with one score.
#[derive(SimpleObject, Clone, Debug)]
pub struct ScoreCount {
    /// The score.
    pub score: i32,
    /// Answers with this score.
    pub count: u64,
}

/// The answers in one category, and their share of all answers.
#[derive(SimpleObject, Clone, Debug)]
pub struct CategoryCount {
    /// The category.
    pub category: SatisfactionCategory,
    /// Answers in the category.
    pub count: u64,
    /// 100 x count / n, in percent; null when n = 0.
    pub share: Option<f64>,
}

/// A two-sided 95% confidence interval.
#[derive(SimpleObject, Clone, Debug)]
pub struct ConfidenceInterval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// A satisfaction score over a set of answers, with the counts behind it. Definitions:
/// NPS = 100 x (promoters - detractors) / n, promoters 9-10, passives 7-8, detractors 0-6, in -100..100;
/// CSAT = 100 x (answers 4-5) / n, in percent; CES = mean score on 1..7 (CES 2.0).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct SatisfactionScore {
    /// The metric scored.
    pub metric: SurveyMetric,
    /// The score (NPS -100..100, CSAT percent satisfied, CES mean 1..7); null when n = 0, never 0 or NaN.
    /// Full precision: clients round.
    pub value: Option<f64>,
    /// The number of answers.
    pub n: u64,
    /// Whether n is below the minimum sample (`minSample`, default 30): treat the value with care.
    pub low_sample: bool,
    /// The 95% interval of the value. NPS: value +/- 1.959964 x SE with SE = 100 x sqrt(((p + d) - (p - d)^2) / n)
    /// (p, d the promoter and detractor shares), clamped to -100..100. CSAT: Wilson score interval of the
    /// satisfied share. CES: mean +/- 1.959964 x s / sqrt(n), s the sample standard deviation; null when n < 2.
    pub interval: Option<ConfidenceInterval>,
    /// The standard error of the value (for CSAT, of the satisfied percentage); null when undefined.
    pub standard_error: Option<f64>,
    /// The mean score on the metric's own scale; null when n = 0.
    pub mean: Option<f64>,
    /// Answers per score, every score of the scale included (zeros too).
    pub histogram: Vec<ScoreCount>,
    /// Answers per category (NPS: promoters, passives, detractors; CSAT: satisfied or not; CES: easy or not).
    pub categories: Vec<CategoryCount>,
    /// Touchpoints in the set whose survey was sent (in the period, by `surveySentAt`).
    pub surveys_sent: u64,
    /// Of those, touchpoints with at least one answer of this metric.
    pub surveys_answered: u64,
    /// Response rate in percent: 100 x surveysAnswered / surveysSent; null when no survey was sent.
    /// Relationship surveys (no touchpoint) have no sent record and do not count here.
    pub response_rate: Option<f64>,
    /// Answers with a non-empty comment.
    pub comment_count: u64,
    /// Comment rate in percent: 100 x commentCount / n; null when n = 0.
    pub comment_rate: Option<f64>,
}

/// One row of a satisfaction result: its group keys (null where not grouped) and its score.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct SatisfactionRow {
    /// The touchpoint kind, when grouped by TOUCHPOINT_KIND (null there for relationship surveys).
    pub touchpoint_kind: Option<TouchpointKind>,
    /// The channel, when grouped by CHANNEL (null there for relationship surveys).
    pub channel: Option<Channel>,
    /// The customer segment, when grouped by SEGMENT.
    pub segment: Option<String>,
    /// The customer region, when grouped by REGION.
    pub region: Option<String>,
    /// The start of the row's bucket, for time series (null for a whole period).
    pub period_start: Option<DateTime>,
    /// The end (exclusive) of the row's bucket, for time series.
    pub period_end: Option<DateTime>,
    /// Whether this is the total row of every group (asked for with `withTotal`).
    pub is_total: bool,
    /// Where the row sits in its series (null without one).
    #[graphql(flatten)]
    pub series: SeriesPosition,
    /// The score of the row's answers.
    pub score: SatisfactionScore,
}

/// One row of a comparison: the same metric over two sets, with a significance test.
#[derive(SimpleObject, Clone, Debug)]
pub struct SatisfactionComparisonRow {
    /// The touchpoint kind, when grouped by TOUCHPOINT_KIND.
    pub touchpoint_kind: Option<TouchpointKind>,
    /// The channel, when grouped by CHANNEL.
    pub channel: Option<Channel>,
    /// The customer segment, when grouped by SEGMENT.
    pub segment: Option<String>,
    /// The customer region, when grouped by REGION.
    pub region: Option<String>,
    /// Whether this is the total row of every group (asked for with `withTotal`).
    pub is_total: bool,
    /// The score of the current set.
    pub current: SatisfactionScore,
    /// The score of the baseline set.
    pub baseline: SatisfactionScore,
    /// current.value - baseline.value; null when either is null.
    pub delta: Option<f64>,
    /// z = delta / sqrt(SE_current^2 + SE_baseline^2) (NPS, CES); for CSAT the pooled two-proportion z test.
    pub z: Option<f64>,
    /// Two-sided p-value of z under the normal distribution.
    pub p_value: Option<f64>,
    /// Whether p < 0.05; null when there is no test (no comparison, or no variance on either side).
    pub significant: Option<bool>,
}

impl From<Score> for SatisfactionScore {
    fn from(score: Score) -> Self {
        let s = score.satisfaction;
        SatisfactionScore {
            metric: s.metric.into(),
            value: s.value,
            n: s.n,
            low_sample: s.low_sample,
            interval: s.interval.map(ConfidenceInterval::from),
            standard_error: s.standard_error,
            mean: s.mean,
            histogram: score.histogram.into_iter().map(|(score, count)| ScoreCount { score, count }).collect(),
            categories: s
                .categories
                .into_iter()
                .map(|c| CategoryCount { category: c.category.into(), count: c.count, share: c.share })
                .collect(),
            surveys_sent: score.surveys_sent,
            surveys_answered: score.surveys_answered,
            response_rate: score.response_rate,
            comment_count: score.comments,
            comment_rate: score.comment_rate,
        }
    }
}

impl From<(f64, f64)> for ConfidenceInterval {
    fn from((lower, upper): (f64, f64)) -> Self {
        ConfidenceInterval { lower, upper }
    }
}

/// A group's keys as the rows show them.
struct GroupColumns {
    touchpoint_kind: Option<TouchpointKind>,
    channel: Option<Channel>,
    segment: Option<String>,
    region: Option<String>,
}

impl From<SatisfactionGroup> for GroupColumns {
    fn from(group: SatisfactionGroup) -> Self {
        GroupColumns {
            touchpoint_kind: group.touchpoint_kind.map(Into::into),
            channel: group.channel.map(Into::into),
            segment: group.segment,
            region: group.region,
        }
    }
}

impl From<service::SatisfactionRow> for SatisfactionRow {
    fn from(row: service::SatisfactionRow) -> Self {
        let keys = GroupColumns::from(row.group);
        SatisfactionRow {
            touchpoint_kind: keys.touchpoint_kind,
            channel: keys.channel,
            segment: keys.segment,
            region: keys.region,
            period_start: row.bucket.map(|b| DateTime(b.start)),
            period_end: row.bucket.map(|b| DateTime(b.end)),
            is_total: row.total,
            series: SeriesPosition::default(),
            score: row.score.into(),
        }
    }
}

impl From<service::ComparisonRow> for SatisfactionComparisonRow {
    fn from(row: service::ComparisonRow) -> Self {
        let keys = GroupColumns::from(row.group);
        let comparison = row.comparison.as_ref();
        SatisfactionComparisonRow {
            touchpoint_kind: keys.touchpoint_kind,
            channel: keys.channel,
            segment: keys.segment,
            region: keys.region,
            is_total: row.total,
            current: row.current.into(),
            baseline: row.baseline.into(),
            delta: comparison.map(|c| c.delta),
            z: comparison.and_then(|c| c.z),
            p_value: comparison.and_then(|c| c.p_value),
            significant: comparison.and_then(|c| c.significant),
        }
    }
}

#[ComplexObject]
impl SatisfactionRow {
    /// The former name of `periodStart`.
    #[graphql(deprecation = "Use `periodStart`, the name every other insight row uses.")]
    async fn bucket_start(&self) -> Option<DateTime> {
        self.period_start
    }

    /// The former name of `periodEnd`.
    #[graphql(deprecation = "Use `periodEnd`, the name every other insight row uses.")]
    async fn bucket_end(&self) -> Option<DateTime> {
        self.period_end
    }
}

#[ComplexObject]
impl SatisfactionScore {
    /// The former name of `commentCount`.
    #[graphql(deprecation = "Use `commentCount`: a count, where a plural names a list.")]
    async fn comments(&self) -> u64 {
        self.comment_count
    }
}
