//! Satisfaction aggregation in SQL: per-score answer counts (histograms) and survey response counts, per
//! group and time bucket. The statistics on top are computed by the pure `stats` module (`report`).
//!
//! Two statements per source, whatever the number of groups and buckets:
//! 1. answers: `GROUP BY <dimensions>, <bucket>, score` over feedback (bucketed by `submitted_at`);
//! 2. surveys: `GROUP BY <dimensions>, <bucket>` over touchpoints with a survey sent (bucketed by
//!    `survey_sent_at`), counting those answered with the metric, for the response rate.
//!
//! The sources are the rows (`rows`) and the rollups (`rollups`): with rollups, a query reads its whole
//! slices from them and the hours at its ends from the rows, so four statements at most. Their counts
//! are added up per group in a `tally`.
//!
//! Time buckets are computed in Rust (calendar rules, time zones) and joined as a `VALUES` list, so the
//! SQL is the same on SQLite and PostgreSQL and each bucket is an index range scan.

mod keys;
mod periods;
mod report;
mod rollups;
mod rows;
mod tally;

use std::collections::BTreeMap;

use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind};
use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::domain::buckets::Bucket;
use crate::error::AppResult;
use crate::rollups::CountSource;
use crate::services::filters::TimeRange;
use tally::Counts;

pub use periods::{bounded_period, previous_period};
pub use report::{ComparisonRow, ReportRow, compare_sets, compare_totals, report, score, score_histogram, totals};

/// A dimension satisfaction can be grouped by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    TouchpointKind,
    Channel,
    Segment,
    Region,
}

/// Which answers (and surveys) count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SatisfactionFilter {
    /// On `submitted_at` for answers, on `survey_sent_at` for surveys.
    pub period: TimeRange,
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    pub channels: Option<Vec<Channel>>,
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub order_statuses: Option<Vec<OrderStatus>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SatisfactionQuery {
    pub metric: SurveyMetric,
    pub filter: SatisfactionFilter,
    /// Distinct, in the order the columns should appear.
    pub group_by: Vec<Dimension>,
    /// When set, results are split by these buckets (index into the list).
    pub buckets: Option<Vec<Bucket>>,
}

/// The group a count belongs to: the requested dimensions (None where not grouped, or where the answer
/// has no touchpoint) and the bucket index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub touchpoint_kind: Option<String>,
    pub channel: Option<String>,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub bucket: Option<usize>,
}

/// What SQL returns for one group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    /// `(score, answers)` pairs.
    pub histogram: Vec<(i32, u64)>,
    /// Answers with a non-empty comment.
    pub commented: u64,
    /// Touchpoints with a survey sent.
    pub surveyed: u64,
    /// Of those, touchpoints with at least one answer of the metric.
    pub answered: u64,
}

/// Counts per group (and bucket): from the rollups for whole days where the query allows, and from the
/// rows for the rest. Groups with surveys but no answers are left out.
pub async fn satisfaction_counts(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    source: CountSource,
) -> AppResult<BTreeMap<GroupKey, GroupCounts>> {
    let mut tally = tally::Tally::default();
    if query.buckets.as_ref().is_some_and(|b| b.is_empty()) {
        return Ok(tally.into_groups());
    }
    if source == CountSource::Rollups {
        // The rows at the edges and the rollups at once, on separate connections.
        let plan = periods::plan_for(query);
        let slots: Vec<periods::Slot> = plan.raw.iter().map(|p| (p.slot, p.start, p.end, p.sign)).collect();
        let from_rows = async {
            if slots.is_empty() { Ok(Counts::default()) } else { rows::counts(db, query, Some(&slots), true).await }
        };
        let from_rollups = async {
            if plan.slices.is_empty() { Ok(Counts::default()) } else { rollups::counts(db, query, &plan.slices).await }
        };
        let (from_rows, from_rollups) = futures_util::try_join!(from_rows, from_rollups)?;
        tally.add(from_rows);
        tally.add(from_rollups);
    } else {
        let slots = periods::bucket_slots(query);
        tally.add(rows::counts(db, query, slots.as_deref(), false).await?);
    }
    Ok(tally.into_groups())
}
