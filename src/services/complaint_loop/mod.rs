//! Closing the loop: of the dissatisfied answers of a period (or of each bucket of a series), the share
//! followed within N hours by a complaint or a FOLLOW_UP touchpoint of the same customer, and the hours
//! to that first follow-up (`docs/metrics.md`, "Closing the loop"). One statement per query reads each
//! dissatisfied answer of the whole range with its first complaint and first follow-up touchpoint in its
//! window (`statement`); the counting per period and group and the figures are `rows`.

mod rows;
mod statement;

use chrono::{DateTime, Duration, Utc};
use entity::{Channel, SurveyMetric, TouchpointKind};
use sea_orm::{ActiveEnum, DatabaseConnection};

use crate::db::analytic_read;
use crate::domain::buckets::{Bucket, Series, periods};
use crate::error::AppResult;

pub use rows::{LoopRow, rows};

/// A dimension the loop can be grouped by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoopDimension {
    Metric,
    TouchpointKind,
    Channel,
    Segment,
    Region,
}

/// Which dissatisfied answers count. A list matches any of its values; no metrics: all three.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopFilter {
    pub metrics: Option<Vec<SurveyMetric>>,
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    pub channels: Option<Vec<Channel>>,
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct LoopQuery {
    pub periods: Vec<Bucket>,
    pub group_by: Vec<LoopDimension>,
    pub filter: LoopFilter,
    /// The window after an answer: `(submittedAt, submittedAt + follow_up]`.
    pub follow_up: Duration,
    /// Answers whose window ends after this are pending.
    pub as_of: DateTime<Utc>,
}

impl LoopQuery {
    /// The loop over `[from, to)` or, with a series, over each of its buckets. The dimensions are made
    /// distinct and put in a fixed order, so equal requests give equal results.
    pub fn new(
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        series: Option<Series>,
        mut group_by: Vec<LoopDimension>,
        filter: LoopFilter,
        (follow_up, as_of): (Duration, DateTime<Utc>),
    ) -> AppResult<Self> {
        group_by.sort();
        group_by.dedup();
        Ok(LoopQuery { periods: periods(from, to, series)?, group_by, filter, follow_up, as_of })
    }

    pub(super) fn grouped(&self, dimension: LoopDimension) -> bool {
        self.group_by.contains(&dimension)
    }
}

/// A group: the values of the grouped dimensions (none for the others).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LoopKey {
    pub metric: Option<SurveyMetric>,
    pub touchpoint_kind: Option<TouchpointKind>,
    pub channel: Option<Channel>,
    pub segment: Option<String>,
    pub region: Option<String>,
}

type SortKey = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

impl LoopKey {
    /// The order of a report's groups.
    pub(super) fn sort_key(&self) -> SortKey {
        (
            self.metric.map(|m| m.to_value()),
            self.touchpoint_kind.map(|k| k.to_value()),
            self.channel.map(|c| c.to_value()),
            self.segment.clone(),
            self.region.clone(),
        )
    }
}

/// One dissatisfied answer with what followed it within its window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DissatisfiedAnswer {
    pub key: LoopKey,
    pub submitted_at: DateTime<Utc>,
    /// The first complaint of the customer opened in the window, or raised by the answer.
    pub complaint_at: Option<DateTime<Utc>>,
    /// The first FOLLOW_UP touchpoint of the customer in the window.
    pub follow_up_at: Option<DateTime<Utc>>,
}

/// The total rows of a grouped query, one per period: the same query without grouping. None for an
/// ungrouped query, its own total.
pub async fn totals(db: &DatabaseConnection, query: &LoopQuery) -> AppResult<Vec<LoopRow>> {
    if query.group_by.is_empty() {
        return Ok(Vec::new());
    }
    report(db, &LoopQuery { group_by: Vec::new(), ..query.clone() }).await
}

/// Runs a loop query.
pub async fn report(db: &DatabaseConnection, query: &LoopQuery) -> AppResult<Vec<LoopRow>> {
    let answers = analytic_read(db, &[], async |txn| statement::answers(txn, query).await).await?;
    Ok(rows(query, &answers))
}
