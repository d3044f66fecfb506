//! Satisfaction insights as typed rows: each row's group (its dimension values, typed), its bucket and
//! its score with the counts behind it, from the counts `services::satisfaction` reads. The GraphQL
//! resolvers take their arguments to these functions and map the rows they return.

use entity::{Channel, SurveyMetric, TouchpointKind};
use sea_orm::{ActiveEnum, ConnectionTrait, TransactionTrait};

use crate::domain::buckets::{Bucket, Series};
use crate::error::{AppError, AppResult};
use crate::rollups::CountSource;
use crate::services::filters::TimeRange;
use crate::services::satisfaction::{
    self, Dimension, GroupCounts, GroupKey, SatisfactionFilter, SatisfactionQuery, bounded_period, previous_period,
};
use crate::stats::comparison::Comparison;
use crate::stats::percent;
use crate::stats::satisfaction::Satisfaction;

/// The query for `metric` over the answers of `filter`, grouped by `group_by` and, with a series, split
/// into the buckets of the filter's period (which then needs both ends). The dimensions are made
/// distinct and put in a fixed order, so equal requests give equal results.
pub fn query(
    metric: SurveyMetric,
    filter: SatisfactionFilter,
    group_by: &[Dimension],
    series: Option<Series>,
) -> AppResult<SatisfactionQuery> {
    let buckets = match series {
        None => None,
        Some(series) => {
            let (from, to) = bounded_period(&filter.period)?;
            Some(series.buckets(from, to)?)
        }
    };
    let mut group_by = group_by.to_vec();
    group_by.sort();
    group_by.dedup();
    Ok(SatisfactionQuery { metric, filter, group_by, buckets })
}

/// The group of a row: the value of each dimension grouped by; None where not grouped, and for the kind
/// and channel of relationship surveys (answers without touchpoint).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SatisfactionGroup {
    pub touchpoint_kind: Option<TouchpointKind>,
    pub channel: Option<Channel>,
    pub segment: Option<String>,
    pub region: Option<String>,
}

impl SatisfactionGroup {
    /// The typed group of a key, whose kind and channel SQL reads as their stored text.
    fn of(key: &GroupKey) -> AppResult<Self> {
        Ok(SatisfactionGroup {
            touchpoint_kind: key.touchpoint_kind.as_deref().map(stored_enum).transpose()?,
            channel: key.channel.as_deref().map(stored_enum).transpose()?,
            segment: key.segment.clone(),
            region: key.region.clone(),
        })
    }
}

/// A stored enum from its stored text; the database holds only known values.
fn stored_enum<E: ActiveEnum<Value = String>>(text: &str) -> AppResult<E> {
    E::try_from_value(&text.to_owned())
        .map_err(|_| AppError::Internal(format!("'{text}' is no stored value of a satisfaction group")))
}

/// A score over a set of answers, with the counts behind it.
#[derive(Clone, Debug)]
pub struct Score {
    pub satisfaction: Satisfaction,
    /// Every score of the metric's scale with its count, zeros included, lowest first.
    pub histogram: Vec<(i32, u64)>,
    /// Touchpoints of the set whose survey was sent, and of those, the ones answered with the metric.
    pub surveys_sent: u64,
    pub surveys_answered: u64,
    /// 100 x answered / sent; None when no survey was sent.
    pub response_rate: Option<f64>,
    /// Answers with a non-empty comment.
    pub comments: u64,
    /// 100 x comments / n; None when n = 0.
    pub comment_rate: Option<f64>,
}

impl Score {
    fn of(counts: &GroupCounts, satisfaction: Satisfaction) -> Score {
        Score {
            histogram: satisfaction::score_histogram(satisfaction.metric, counts),
            surveys_sent: counts.surveyed,
            surveys_answered: counts.answered,
            response_rate: percent(counts.answered, counts.surveyed),
            comments: counts.commented,
            comment_rate: percent(counts.commented, satisfaction.n),
            satisfaction,
        }
    }
}

/// One row of a satisfaction report.
#[derive(Clone, Debug)]
pub struct SatisfactionRow {
    pub group: SatisfactionGroup,
    /// The bucket, for a time series.
    pub bucket: Option<Bucket>,
    pub score: Score,
    /// The row of every group together.
    pub total: bool,
}

/// Runs a satisfaction query: one row per group (exactly one without grouping) and, for a time series,
/// per bucket, empty buckets zero-filled; in the order of the group values (touchpoint kind, channel,
/// segment, region; none first, then ascending), each group's buckets in time order. `with_total`
/// appends, for a grouped query, the total of every group per bucket.
pub async fn report(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
    with_total: bool,
) -> AppResult<Vec<SatisfactionRow>> {
    let mut rows = satisfaction::report(db, query, min_sample, source).await?;
    if with_total {
        rows.extend(satisfaction::totals(db, query, min_sample, source).await?);
    }
    rows.into_iter()
        .map(|row| {
            let group = SatisfactionGroup::of(&row.key)?;
            let score = Score::of(&row.counts, row.satisfaction);
            Ok(SatisfactionRow { group, bucket: row.bucket, score, total: row.total })
        })
        .collect()
}

/// The score of one touchpoint kind's answers over a period.
pub async fn touchpoint_kind_score(
    db: &(impl ConnectionTrait + TransactionTrait),
    metric: SurveyMetric,
    touchpoint_kind: TouchpointKind,
    period: TimeRange,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Score> {
    let filter = SatisfactionFilter { period, touchpoint_kinds: Some(vec![touchpoint_kind]), ..Default::default() };
    let rows = report(db, &query(metric, filter, &[], None)?, min_sample, source, false).await?;
    let row = rows.into_iter().next().ok_or_else(|| AppError::Internal("an ungrouped report has one row".into()))?;
    Ok(row.score)
}

/// What a comparison compares the current set with.
#[derive(Clone, Debug)]
pub enum Baseline {
    /// The current filter over the period of equal length just before its own.
    PreviousPeriod,
    /// The current filter over another period.
    Period(TimeRange),
    /// Another filter altogether (e.g. another segment).
    Filter(SatisfactionFilter),
}

/// One group of a comparison: its score in the current and in the baseline set, and the test between
/// them (None when either set is empty).
#[derive(Clone, Debug)]
pub struct ComparisonRow {
    pub group: SatisfactionGroup,
    pub current: Score,
    pub baseline: Score,
    pub comparison: Option<Comparison>,
    /// The row of every group together.
    pub total: bool,
}

/// A comparison's two sets, as queries grouped alike (no time series).
#[derive(Clone, Debug)]
pub struct ComparisonQuery {
    pub current: SatisfactionQuery,
    pub baseline: SatisfactionQuery,
}

/// The comparison of `metric` over the answers of `current` and of `baseline`, grouped by `group_by`.
pub fn comparison_query(
    metric: SurveyMetric,
    current: SatisfactionFilter,
    baseline: Baseline,
    group_by: &[Dimension],
) -> AppResult<ComparisonQuery> {
    let baseline = match baseline {
        Baseline::Filter(filter) => filter,
        Baseline::Period(period) => SatisfactionFilter { period, ..current.clone() },
        Baseline::PreviousPeriod => SatisfactionFilter { period: previous_period(&current.period)?, ..current.clone() },
    };
    Ok(ComparisonQuery {
        current: query(metric, current, group_by, None)?,
        baseline: query(metric, baseline, group_by, None)?,
    })
}

/// Runs a comparison: one row per group with answers in either set (exactly one without grouping), in
/// the order of the group values. `with_total` appends, for a grouped comparison, the comparison of
/// every group together.
pub async fn comparison(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &ComparisonQuery,
    min_sample: u64,
    source: CountSource,
    with_total: bool,
) -> AppResult<Vec<ComparisonRow>> {
    let (current, baseline) = (&query.current, &query.baseline);
    let mut rows = satisfaction::compare_sets(db, current, baseline, min_sample, source).await?;
    if with_total {
        rows.extend(satisfaction::compare_totals(db, current, baseline, min_sample, source).await?);
    }
    rows.into_iter()
        .map(|row| {
            Ok(ComparisonRow {
                group: SatisfactionGroup::of(&row.key)?,
                current: Score::of(&row.current.0, row.current.1),
                baseline: Score::of(&row.baseline.0, row.baseline.1),
                comparison: row.comparison,
                total: row.total,
            })
        })
        .collect()
}
