//! Service recovery: do well-handled complaints bring customers back? Per period (or bucket of a series)
//! and group, the customers who opened a complaint, by how their first complaint of the period went,
//! against the customers who were dissatisfied in it and did not complain: repurchase within H days,
//! with Wilson intervals and two-proportion tests against those who did not complain, and their next NPS
//! answer (`docs/metrics.md`, "Service recovery"). One statement counts per period, group, outcome and
//! next NPS score (`statement`, per range of customers); the figures are computed from those counts
//! (`rows`).

mod rows;
mod statement;

use chrono::{DateTime, Duration, Utc};
use entity::ComplaintCategory;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::db::analytic_read;
use crate::domain::buckets::{Bucket, Series, periods};
use crate::error::AppResult;
use crate::services::customer_ranges;

pub use rows::{RecoveryRow, rows};

/// How a customer's first complaint of the period went, or that they did not complain.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecoveryOutcome {
    /// RESOLVED at most the SLA after its opening.
    ResolvedWithinSla,
    /// RESOLVED later.
    ResolvedLate,
    /// Still open, or closed unresolved.
    Unresolved,
    /// Dissatisfied in the period, without a complaint: the baseline.
    NoComplaint,
}

impl RecoveryOutcome {
    /// Every outcome, in the order of a report (and of the statement's outcome numbers).
    pub const ALL: [Self; 4] = [Self::ResolvedWithinSla, Self::ResolvedLate, Self::Unresolved, Self::NoComplaint];

    /// The outcomes of a complaint.
    pub const COMPLAINED: [Self; 3] = [Self::ResolvedWithinSla, Self::ResolvedLate, Self::Unresolved];
}

/// A dimension recovery can be grouped by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecoveryDimension {
    /// The category of the first complaint; none for the customers who did not complain.
    Category,
    Segment,
    Region,
}

/// Which customers count. A list matches any of its values; categories select complaints (customers who
/// did not complain have none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryFilter {
    pub categories: Option<Vec<ComplaintCategory>>,
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct RecoveryQuery {
    pub periods: Vec<Bucket>,
    pub group_by: Vec<RecoveryDimension>,
    pub filter: RecoveryFilter,
    /// A complaint RESOLVED within this long of its opening was resolved within the SLA.
    pub sla: Duration,
    /// The window after the complaint's opening (the answer, for the baseline) `(t, t + H days]`.
    pub horizon_days: i64,
    /// Customers whose window ends after this are left out.
    pub as_of: DateTime<Utc>,
}

impl RecoveryQuery {
    /// Recovery over `[from, to)` or, with a series, over each of its buckets. The dimensions are made
    /// distinct and put in a fixed order, so equal requests give equal results.
    pub fn new(
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        series: Option<Series>,
        mut group_by: Vec<RecoveryDimension>,
        filter: RecoveryFilter,
        (sla, horizon_days, as_of): (Duration, i64, DateTime<Utc>),
    ) -> AppResult<Self> {
        group_by.sort();
        group_by.dedup();
        Ok(RecoveryQuery { periods: periods(from, to, series)?, group_by, filter, sla, horizon_days, as_of })
    }

    fn grouped(&self, dimension: RecoveryDimension) -> bool {
        self.group_by.contains(&dimension)
    }
}

/// A group: the values of the grouped dimensions (none for the others).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecoveryKey {
    pub category: Option<ComplaintCategory>,
    pub segment: Option<String>,
    pub region: Option<String>,
}

/// What the statement counts: the customers of one group, period and outcome whose next NPS answer in
/// the window had this score (none: no NPS answer), and how many of them ordered again in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryCell {
    pub key: RecoveryKey,
    pub period: usize,
    pub outcome: RecoveryOutcome,
    pub next_nps: Option<i32>,
    pub customers: u64,
    pub repurchased: u64,
}

/// The total rows of a grouped query, per period and outcome: the same query without grouping, so a
/// customer is counted once. None for an ungrouped query, its own total.
pub async fn totals(db: &DatabaseConnection, query: &RecoveryQuery) -> AppResult<Vec<RecoveryRow>> {
    if query.group_by.is_empty() {
        return Ok(Vec::new());
    }
    report(db, &RecoveryQuery { group_by: Vec::new(), ..query.clone() }).await
}

/// Runs a recovery query. Customers are counted one by one, so the statement runs over ranges of
/// customers at once (`customer_ranges`) and their counts add up.
pub async fn report(db: &DatabaseConnection, query: &RecoveryQuery) -> AppResult<Vec<RecoveryRow>> {
    let query = Arc::new(query.clone());
    let found = customer_ranges::run_each(db, |db, range| {
        let query = Arc::clone(&query);
        async move { analytic_read(&db, &[], async |txn| statement::cells(txn, &query, range).await).await }
    })
    .await?;
    rows(&query, &found.concat())
}
