//! Satisfaction reports and comparisons: the counts of each group turned into statistics by `stats`.

use entity::SurveyMetric;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::{GroupCounts, GroupKey, SatisfactionQuery, satisfaction_counts};
use crate::domain::buckets::Bucket;
use crate::error::{AppError, AppResult};
use crate::rollups::CountSource;
use crate::stats::comparison::{Comparison, compare};
use crate::stats::histogram::ScoreHistogram;
use crate::stats::satisfaction::Satisfaction;

/// One row of a satisfaction report: its group, its bucket and its statistics.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub key: GroupKey,
    pub bucket: Option<Bucket>,
    pub counts: GroupCounts,
    pub satisfaction: Satisfaction,
    /// The row of every group together (its group values are all null).
    pub total: bool,
}

/// The statistics of one group's counts.
pub fn score(metric: SurveyMetric, counts: &GroupCounts, min_sample: u64) -> AppResult<Satisfaction> {
    let histogram = ScoreHistogram::from_counts(metric, counts.histogram.iter().copied())
        .map_err(|e| AppError::Internal(format!("corrupt feedback row: {e}")))?;
    Ok(Satisfaction::of(&histogram, min_sample))
}

/// Runs a satisfaction query and lays its rows out: one per group (one in all without grouping, even
/// when empty) and, for a time series, one per group and bucket, with empty buckets zero-filled.
pub async fn report(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Vec<ReportRow>> {
    let counts = satisfaction_counts(db, query, source).await?;
    let mut groups: Vec<GroupKey> = counts.keys().map(|k| GroupKey { bucket: None, ..k.clone() }).collect();
    groups.dedup();
    if query.group_by.is_empty() && groups.is_empty() {
        groups.push(GroupKey::default());
    }
    let bucket_slots: Vec<Option<(usize, Bucket)>> = match &query.buckets {
        Some(buckets) => buckets.iter().copied().enumerate().map(Some).collect(),
        None => vec![None],
    };
    let mut rows = Vec::with_capacity(groups.len() * bucket_slots.len());
    for group in &groups {
        for slot in &bucket_slots {
            let key = GroupKey { bucket: slot.map(|(i, _)| i), ..group.clone() };
            let group_counts = counts.get(&key).cloned().unwrap_or_default();
            let satisfaction = score(query.metric, &group_counts, min_sample)?;
            rows.push(ReportRow {
                key,
                bucket: slot.map(|(_, b)| b),
                counts: group_counts,
                satisfaction,
                total: false,
            });
        }
    }
    Ok(rows)
}

/// The total rows of a grouped query, one per bucket: the same query without grouping, so each is
/// exactly what that query answers (summing the groups would miss the surveys of groups without
/// answers, which a grouped query leaves out). None for an ungrouped query, its own total.
pub async fn totals(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Vec<ReportRow>> {
    if query.group_by.is_empty() {
        return Ok(Vec::new());
    }
    let rows = report(db, &ungrouped(query), min_sample, source).await?;
    Ok(rows.into_iter().map(|row| ReportRow { total: true, ..row }).collect())
}

/// One group of a comparison between a current and a baseline set.
#[derive(Clone, Debug)]
pub struct ComparisonRow {
    pub key: GroupKey,
    pub current: (GroupCounts, Satisfaction),
    pub baseline: (GroupCounts, Satisfaction),
    pub comparison: Option<Comparison>,
    /// The row of every group together (its group values are all null).
    pub total: bool,
}

/// Compares the same metric over two sets, per group (no time series).
pub async fn compare_sets(
    db: &(impl ConnectionTrait + TransactionTrait),
    current: &SatisfactionQuery,
    baseline: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Vec<ComparisonRow>> {
    let current_counts = satisfaction_counts(db, current, source).await?;
    let baseline_counts = satisfaction_counts(db, baseline, source).await?;
    let mut keys: Vec<GroupKey> = current_counts.keys().chain(baseline_counts.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    if current.group_by.is_empty() && keys.is_empty() {
        keys.push(GroupKey::default());
    }
    keys.into_iter()
        .map(|key| {
            let a = current_counts.get(&key).cloned().unwrap_or_default();
            let b = baseline_counts.get(&key).cloned().unwrap_or_default();
            let (sa, sb) = (score(current.metric, &a, min_sample)?, score(current.metric, &b, min_sample)?);
            let comparison = compare(&sa, &sb);
            Ok(ComparisonRow { key, current: (a, sa), baseline: (b, sb), comparison, total: false })
        })
        .collect()
}

/// The total row of a grouped comparison: the same comparison without grouping, so each side counts
/// every answer (and survey) once and the test runs on those counts, which no combination of the
/// groups' tests gives. None for an ungrouped comparison, its own total.
pub async fn compare_totals(
    db: &(impl ConnectionTrait + TransactionTrait),
    current: &SatisfactionQuery,
    baseline: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Vec<ComparisonRow>> {
    if current.group_by.is_empty() {
        return Ok(Vec::new());
    }
    let rows = compare_sets(db, &ungrouped(current), &ungrouped(baseline), min_sample, source).await?;
    Ok(rows.into_iter().map(|row| ComparisonRow { total: true, ..row }).collect())
}

/// The query a total row answers: the same without grouping.
fn ungrouped(query: &SatisfactionQuery) -> SatisfactionQuery {
    SatisfactionQuery { group_by: Vec::new(), ..query.clone() }
}

/// Every score of the metric's scale with its count, zeros included, lowest first.
pub fn score_histogram(metric: SurveyMetric, counts: &GroupCounts) -> Vec<(i32, u64)> {
    let (low, high) = metric.score_range();
    (low..=high)
        .map(|score| (score, counts.histogram.iter().filter(|(s, _)| *s == score).map(|(_, c)| c).sum()))
        .collect()
}
