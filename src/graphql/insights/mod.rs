//! The `insights` entry point: aggregated statistics, computed in SQL and finished by `stats`.

mod inputs;
mod satisfaction;

use async_graphql::{Context, Object, Result};
use sea_orm::ActiveEnum;

pub use inputs::{Granularity, SatisfactionDimension, SatisfactionFilterInput, TimeSeriesInput};
pub use satisfaction::{
    CategoryCount, ConfidenceInterval, SatisfactionCategory, SatisfactionComparisonRow, SatisfactionRow,
    SatisfactionScore, ScoreCount,
};

use crate::domain::buckets::{buckets, parse_time_zone};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::database;
use crate::graphql::enums::{Channel, SurveyMetric, TouchpointKind};
use crate::graphql::inputs::{TimeRangeInput, time_range};
use crate::graphql::scalars::DateTime;
use crate::services::satisfaction::{
    self as service, GroupCounts, GroupKey, SatisfactionFilter, SatisfactionQuery, bounded_period, previous_period,
};
use crate::stats::percent;
use crate::stats::satisfaction::{Category, Satisfaction};

pub struct Insights;

/// What a comparison compares the current set with.
#[derive(async_graphql::InputObject, Clone, Debug, Default)]
pub struct BaselineInput {
    /// The baseline period, with the same filter otherwise. Default: the period of equal length just
    /// before the filter's period.
    pub period: Option<TimeRangeInput>,
    /// A whole other filter (e.g. another segment); overrides `period`.
    pub filter: Option<SatisfactionFilterInput>,
}

fn satisfaction_query(
    metric: SurveyMetric,
    filter: SatisfactionFilter,
    group_by: Option<Vec<SatisfactionDimension>>,
    series: Option<TimeSeriesInput>,
) -> AppResult<SatisfactionQuery> {
    let buckets = match series {
        None => None,
        Some(series) => {
            let (from, to) = bounded_period(&filter.period)?;
            let tz = parse_time_zone("series.timeZone", &series.time_zone)?;
            Some(buckets(from, to, series.granularity.into(), tz)?)
        }
    };
    Ok(SatisfactionQuery { metric: metric.into(), filter, group_by: inputs::dimensions(group_by), buckets })
}

fn min_sample(value: i32) -> AppResult<u64> {
    u64::try_from(value).map_err(|_| AppError::bad_input("minSample", "must not be negative"))
}

/// Aggregated insights over the whole data set, computed in SQL as per-score counts and finished exactly
/// as documented on each field; values over empty sets are null, never 0. Full precision: clients round.
#[Object]
impl Insights {
    /// Satisfaction (NPS, CSAT or CES) over the answers matching `filter`, optionally grouped by touchpoint
    /// kind, channel, segment and region, and split into a zero-filled time series. One row per group (and
    /// bucket); without grouping, exactly one row (per bucket).
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric to compute.")] metric: SurveyMetric,
        #[graphql(desc = "Which answers count.")] filter: Option<SatisfactionFilterInput>,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<SatisfactionDimension>>,
        #[graphql(desc = "Split into calendar buckets of the filter's period (which then needs both ends).")]
        series: Option<TimeSeriesInput>,
        #[graphql(desc = "Rows with fewer answers are flagged `lowSample`.", default = 30)] min_sample: i32,
    ) -> Result<Vec<SatisfactionRow>> {
        let filter = filter.unwrap_or_default().into_domain("filter")?;
        let query = satisfaction_query(metric, filter, group_by, series)?;
        let rows = service::report(database(ctx)?, &query, self::min_sample(min_sample)?).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let keys = GroupKeys::from(&row.key);
                SatisfactionRow {
                    touchpoint_kind: keys.touchpoint_kind,
                    channel: keys.channel,
                    segment: keys.segment,
                    region: keys.region,
                    bucket_start: row.bucket.map(|b| DateTime(b.start)),
                    bucket_end: row.bucket.map(|b| DateTime(b.end)),
                    score: score_object(metric, &row.counts, &row.satisfaction),
                }
            })
            .collect())
    }

    /// The same metric over two sets, per group: the current set (`filter`) and a baseline (by default
    /// the previous period of equal length), with delta, z, p-value and significance (p < 0.05).
    async fn satisfaction_comparison(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric to compare.")] metric: SurveyMetric,
        #[graphql(desc = "The current set.")] filter: Option<SatisfactionFilterInput>,
        #[graphql(desc = "The baseline set; default: the previous period of equal length.")] baseline: Option<
            BaselineInput,
        >,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<SatisfactionDimension>>,
        #[graphql(desc = "Rows with fewer answers are flagged `lowSample`.", default = 30)] min_sample: i32,
    ) -> Result<Vec<SatisfactionComparisonRow>> {
        let current = filter.unwrap_or_default().into_domain("filter")?;
        let baseline = match baseline.unwrap_or_default() {
            BaselineInput { filter: Some(filter), .. } => filter.into_domain("baseline.filter")?,
            BaselineInput { period: Some(period), .. } => {
                SatisfactionFilter { period: time_range(Some(period), "baseline.period")?, ..current.clone() }
            }
            BaselineInput { .. } => SatisfactionFilter { period: previous_period(&current.period)?, ..current.clone() },
        };
        let current_query = satisfaction_query(metric, current, group_by.clone(), None)?;
        let baseline_query = satisfaction_query(metric, baseline, group_by, None)?;
        let rows =
            service::compare_sets(database(ctx)?, &current_query, &baseline_query, self::min_sample(min_sample)?)
                .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let keys = GroupKeys::from(&row.key);
                SatisfactionComparisonRow {
                    touchpoint_kind: keys.touchpoint_kind,
                    channel: keys.channel,
                    segment: keys.segment,
                    region: keys.region,
                    current: score_object(metric, &row.current.0, &row.current.1),
                    baseline: score_object(metric, &row.baseline.0, &row.baseline.1),
                    delta: row.comparison.as_ref().map(|c| c.delta),
                    z: row.comparison.as_ref().and_then(|c| c.z),
                    p_value: row.comparison.as_ref().and_then(|c| c.p_value),
                    significant: row.comparison.as_ref().is_some_and(|c| c.significant),
                }
            })
            .collect())
    }

    /// The score of one touchpoint kind over a period: the touchpoint-kind enum, asked for its score.
    async fn touchpoint_kind_score(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint kind.")] kind: TouchpointKind,
        #[graphql(desc = "The metric to compute.")] metric: SurveyMetric,
        #[graphql(desc = "Half-open period on the answers' submission time.")] period: Option<TimeRangeInput>,
        #[graphql(desc = "A score with fewer answers is flagged `lowSample`.", default = 30)] min_sample: i32,
    ) -> Result<SatisfactionScore> {
        let filter = SatisfactionFilter {
            period: time_range(period, "period")?,
            touchpoint_kinds: Some(vec![kind.into()]),
            ..Default::default()
        };
        let query = satisfaction_query(metric, filter, None, None)?;
        let rows = service::report(database(ctx)?, &query, self::min_sample(min_sample)?).await?;
        let row =
            rows.into_iter().next().ok_or_else(|| AppError::Internal("an ungrouped report has one row".into()))?;
        Ok(score_object(metric, &row.counts, &row.satisfaction))
    }
}

/// The typed group keys of a row.
struct GroupKeys {
    touchpoint_kind: Option<TouchpointKind>,
    channel: Option<Channel>,
    segment: Option<String>,
    region: Option<String>,
}

impl From<&GroupKey> for GroupKeys {
    fn from(key: &GroupKey) -> Self {
        GroupKeys {
            touchpoint_kind: key
                .touchpoint_kind
                .clone()
                .and_then(|k| entity::TouchpointKind::try_from_value(&k).ok())
                .map(Into::into),
            channel: key.channel.clone().and_then(|c| entity::Channel::try_from_value(&c).ok()).map(Into::into),
            segment: key.segment.clone(),
            region: key.region.clone(),
        }
    }
}

pub fn category(category: Category) -> SatisfactionCategory {
    match category {
        Category::Promoter => SatisfactionCategory::Promoter,
        Category::Passive => SatisfactionCategory::Passive,
        Category::Detractor => SatisfactionCategory::Detractor,
        Category::Satisfied => SatisfactionCategory::Satisfied,
        Category::NotSatisfied => SatisfactionCategory::NotSatisfied,
        Category::Easy => SatisfactionCategory::Easy,
        Category::NotEasy => SatisfactionCategory::NotEasy,
    }
}

fn score_object(metric: SurveyMetric, counts: &GroupCounts, s: &Satisfaction) -> SatisfactionScore {
    let histogram = service::score_histogram(metric.into(), counts);
    SatisfactionScore {
        metric,
        value: s.value,
        n: s.n,
        low_sample: s.low_sample,
        interval: s.interval.map(|(lower, upper)| ConfidenceInterval { lower, upper }),
        standard_error: s.standard_error,
        mean: s.mean,
        histogram: histogram.into_iter().map(|(score, count)| ScoreCount { score, count }).collect(),
        categories: s
            .categories
            .iter()
            .map(|c| CategoryCount { category: category(c.category), count: c.count, share: c.share })
            .collect(),
        surveys_sent: counts.surveyed,
        surveys_answered: counts.answered,
        response_rate: percent(counts.answered, counts.surveyed),
        comments: counts.commented,
        comment_rate: percent(counts.commented, s.n),
    }
}
