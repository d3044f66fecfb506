//! Complaint handling over one or more periods (a period, or the buckets of a series), grouped by
//! category, channel, segment and region (`docs/metrics.md`, "Complaint handling"). One statement per
//! query, whatever the number of periods and groups: the complaints that matter to some period (opened
//! before the last one ends, not closed before the first one starts), each counted here in the periods
//! and the group it belongs to.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{Channel, ComplaintCategory, ComplaintStatus, complaint, customer};
use futures_util::StreamExt;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseConnection, EntityName, StreamTrait};

use crate::db::analytic_read;
use crate::db::sql::{Sql, time};
use crate::domain::buckets::{Bucket, Series, period_of, periods, rows_per_group_and_period};
use crate::error::{AppError, AppResult};
use crate::stats::durations::{DurationSummary, hours_between};
use crate::stats::percent;

/// A dimension complaint handling can be grouped by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandlingDimension {
    Category,
    Channel,
    Segment,
    Region,
}

/// Which complaints count. A list matches any of its values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandlingFilter {
    pub categories: Option<Vec<ComplaintCategory>>,
    pub channels: Option<Vec<Channel>>,
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct HandlingQuery {
    pub periods: Vec<Bucket>,
    pub group_by: Vec<HandlingDimension>,
    pub filter: HandlingFilter,
    /// A complaint resolved within this long of its opening is resolved within the SLA.
    pub sla: Duration,
}

impl HandlingQuery {
    /// Handling over `[from, to)` or, with a series, over each of its buckets. The dimensions are made
    /// distinct and put in a fixed order, so equal requests give equal results.
    pub fn new(
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        series: Option<Series>,
        mut group_by: Vec<HandlingDimension>,
        filter: HandlingFilter,
        sla: Duration,
    ) -> AppResult<Self> {
        let periods = periods(from, to, series)?;
        group_by.sort();
        group_by.dedup();
        Ok(HandlingQuery { periods, group_by, filter, sla })
    }
}

/// A group: the values of the grouped dimensions (none for the others).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HandlingKey {
    pub category: Option<ComplaintCategory>,
    pub channel: Option<Channel>,
    pub segment: Option<String>,
    pub region: Option<String>,
}

impl HandlingKey {
    /// The order of a report's groups.
    fn sort_key(&self) -> (Option<String>, Option<String>, Option<String>, Option<String>) {
        let category = self.category.map(|c| c.to_value());
        (category, self.channel.map(|c| c.to_value()), self.segment.clone(), self.region.clone())
    }
}

/// One complaint, as the handling figures read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandledComplaint {
    pub key: HandlingKey,
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub status: ComplaintStatus,
}

/// What one group did in one period, tallied from its complaints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HandlingCounts {
    pub opened: u64,
    pub resolved: u64,
    pub closed_unresolved: u64,
    pub backlog: u64,
    pub resolved_within_sla: u64,
    /// Of the complaints opened in the period: hours to the first response (those answered), and to the
    /// resolution (those RESOLVED).
    pub first_response_hours: Vec<f64>,
    pub resolution_hours: Vec<f64>,
}

impl HandlingCounts {
    fn is_empty(&self) -> bool {
        self.opened == 0 && self.resolved == 0 && self.closed_unresolved == 0 && self.backlog == 0
    }
}

/// Counts one complaint in every period of its group.
fn count(periods: &mut [HandlingCounts], bounds: &[Bucket], sla: Duration, c: &HandledComplaint) {
    if let Some(index) = period_of(bounds, c.opened_at) {
        let counts = &mut periods[index];
        counts.opened += 1;
        if let Some(responded) = c.first_response_at {
            counts.first_response_hours.push(hours_between(c.opened_at, responded));
        }
        if let (ComplaintStatus::Resolved, Some(resolved)) = (c.status, c.resolved_at) {
            counts.resolution_hours.push(hours_between(c.opened_at, resolved));
            counts.resolved_within_sla += u64::from(resolved - c.opened_at <= sla);
        }
    }
    if let Some(index) = c.resolved_at.and_then(|at| period_of(bounds, at)) {
        match c.status {
            ComplaintStatus::Resolved => periods[index].resolved += 1,
            _ => periods[index].closed_unresolved += 1,
        }
    }
    // In the backlog at the end of every period it was opened before and not closed before.
    let first = bounds.partition_point(|p| p.end <= c.opened_at);
    for (counts, period) in periods.iter_mut().zip(bounds).skip(first) {
        if c.resolved_at.is_some_and(|closed| closed < period.end) {
            break;
        }
        counts.backlog += 1;
    }
}

/// Tallies `complaints` per group and period: the groups with anything in some period.
pub fn tally(query: &HandlingQuery, complaints: &[HandledComplaint]) -> HashMap<HandlingKey, Vec<HandlingCounts>> {
    let mut groups: HashMap<HandlingKey, Vec<HandlingCounts>> = HashMap::new();
    for c in complaints {
        let periods =
            groups.entry(c.key.clone()).or_insert_with(|| vec![HandlingCounts::default(); query.periods.len()]);
        count(periods, &query.periods, query.sla, c);
    }
    groups.retain(|_, periods| periods.iter().any(|p| !p.is_empty()));
    groups
}

/// One row of a handling report, every figure computed.
#[derive(Clone, Debug, PartialEq)]
pub struct HandlingRow {
    pub key: HandlingKey,
    pub period: Bucket,
    pub opened: u64,
    pub resolved: u64,
    pub closed_unresolved: u64,
    pub backlog: u64,
    pub resolved_within_sla: u64,
    /// `resolved_within_sla` of `opened`, in percent.
    pub resolved_within_sla_share: Option<f64>,
    pub first_response: DurationSummary,
    pub resolution: DurationSummary,
}

fn row(key: HandlingKey, period: Bucket, counts: HandlingCounts) -> HandlingRow {
    HandlingRow {
        key,
        period,
        opened: counts.opened,
        resolved: counts.resolved,
        closed_unresolved: counts.closed_unresolved,
        backlog: counts.backlog,
        resolved_within_sla: counts.resolved_within_sla,
        resolved_within_sla_share: percent(counts.resolved_within_sla, counts.opened),
        first_response: DurationSummary::of(counts.first_response_hours),
        resolution: DurationSummary::of(counts.resolution_hours),
    }
}

/// The rows of a report from its complaints: one per group and period, zero-filled; without grouping,
/// exactly one per period.
pub fn rows(query: &HandlingQuery, complaints: &[HandledComplaint]) -> Vec<HandlingRow> {
    let groups = tally(query, complaints);
    rows_per_group_and_period(groups, &query.periods, !query.group_by.is_empty(), HandlingKey::sort_key, row)
}

/// The complaints a query's periods need, matching its filter, with their group.
async fn complaints(
    db: &(impl ConnectionTrait + StreamTrait),
    query: &HandlingQuery,
) -> AppResult<Vec<HandledComplaint>> {
    let (Some(first), Some(last)) = (query.periods.first(), query.periods.last()) else { return Ok(Vec::new()) };
    let mut sql = Sql::new(ConnectionTrait::get_database_backend(db));
    sql.push("SELECT m.category, m.channel, c.segment, c.region, m.opened_at, m.first_response_at, m.resolved_at, ")
        .push("m.status FROM ")
        .push(complaint::Entity.table_name())
        .push(" m JOIN ")
        .push(customer::Entity.table_name())
        .push(" c ON c.id = m.customer_id WHERE m.opened_at < ")
        .bind(time(last.end))
        .push(" AND (m.resolved_at IS NULL OR m.resolved_at >= ")
        .bind(time(first.start))
        .push(")");
    let filter = &query.filter;
    if let Some(categories) = &filter.categories {
        sql.push(" AND ").in_list("m.category", categories.iter().map(|c| c.to_value()));
    }
    if let Some(channels) = &filter.channels {
        sql.push(" AND ").in_list("m.channel", channels.iter().map(|c| c.to_value()));
    }
    if let Some(segments) = &filter.segments {
        sql.push(" AND ").in_list("c.segment", segments.iter().cloned());
    }
    if let Some(regions) = &filter.regions {
        sql.push(" AND ").in_list("c.region", regions.iter().cloned());
    }
    let rows = db.stream_raw(sql.build()).await.map_err(AppError::from_db)?;
    let mut rows = std::pin::pin!(rows);
    let grouped = |dimension| query.group_by.contains(&dimension);
    let mut found = Vec::new();
    while let Some(row) = rows.next().await {
        let row = row.map_err(AppError::from_db)?;
        let text = |index: usize| -> AppResult<String> { row.try_get_by_index(index).map_err(AppError::from_db) };
        let category = ComplaintCategory::try_from_value(&text(0)?).map_err(AppError::from_db)?;
        let channel = Channel::try_from_value(&text(1)?).map_err(AppError::from_db)?;
        let key = HandlingKey {
            category: grouped(HandlingDimension::Category).then_some(category),
            channel: grouped(HandlingDimension::Channel).then_some(channel),
            segment: grouped(HandlingDimension::Segment).then(|| text(2)).transpose()?,
            region: grouped(HandlingDimension::Region).then(|| text(3)).transpose()?,
        };
        found.push(HandledComplaint {
            key,
            opened_at: row.try_get_by_index(4).map_err(AppError::from_db)?,
            first_response_at: row.try_get_by_index(5).map_err(AppError::from_db)?,
            resolved_at: row.try_get_by_index(6).map_err(AppError::from_db)?,
            status: ComplaintStatus::try_from_value(&text(7)?).map_err(AppError::from_db)?,
        });
    }
    Ok(found)
}

/// The total rows of a grouped query, one per period: the same query without grouping. None for an
/// ungrouped query, its own total.
pub async fn totals(db: &DatabaseConnection, query: &HandlingQuery) -> AppResult<Vec<HandlingRow>> {
    if query.group_by.is_empty() {
        return Ok(Vec::new());
    }
    report(db, &HandlingQuery { group_by: Vec::new(), ..query.clone() }).await
}

/// Runs a handling query.
pub async fn report(db: &DatabaseConnection, query: &HandlingQuery) -> AppResult<Vec<HandlingRow>> {
    let complaints = analytic_read(db, &[], async |txn| complaints(txn, query).await).await?;
    Ok(rows(query, &complaints))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(hours)
    }

    fn complaint(opened: i64, responded: Option<i64>, closed: Option<(i64, ComplaintStatus)>) -> HandledComplaint {
        HandledComplaint {
            key: HandlingKey::default(),
            opened_at: at(opened),
            first_response_at: responded.map(at),
            resolved_at: closed.map(|(t, _)| at(t)),
            status: closed.map_or(
                if responded.is_some() { ComplaintStatus::InProgress } else { ComplaintStatus::Open },
                |(_, s)| s,
            ),
        }
    }

    #[test]
    fn each_complaint_counts_where_it_was_opened_closed_and_still_open() {
        use ComplaintStatus::{Resolved, UnresolvedClosed};
        // Two periods of 100 hours: [0, 100) and [100, 200).
        let periods = vec![Bucket { start: at(0), end: at(100) }, Bucket { start: at(100), end: at(200) }];
        let query = HandlingQuery {
            periods,
            group_by: Vec::new(),
            filter: HandlingFilter::default(),
            sla: Duration::hours(48),
        };
        let complaints = [
            complaint(-10, Some(-9), None),                        // before: in both backlogs
            complaint(10, Some(11), Some((40, Resolved))),         // 30 h: within the SLA
            complaint(20, Some(30), Some((120, Resolved))),        // 100 h: resolved late, in the first backlog
            complaint(50, None, None),                             // never answered
            complaint(60, Some(62), Some((90, UnresolvedClosed))), // closed unresolved
            complaint(150, Some(150), Some((200, Resolved))),      // closed at the second period's end
            complaint(-50, Some(-49), Some((-1, Resolved))),       // closed before both: nowhere
        ];
        let rows = rows(&query, &complaints);
        assert_eq!(rows.len(), 2);
        let (first, second) = (&rows[0], &rows[1]);
        assert_eq!((first.opened, first.resolved, first.closed_unresolved, first.backlog), (4, 1, 1, 3));
        assert_eq!(first.resolved_within_sla, 1);
        assert_eq!(first.resolved_within_sla_share, Some(25.0));
        assert_eq!(first.first_response.n, 3);
        assert_eq!(first.first_response.median, Some(2.0));
        assert_eq!((first.resolution.n, first.resolution.median), (2, Some(65.0)));
        assert_eq!((second.opened, second.resolved, second.closed_unresolved, second.backlog), (1, 1, 0, 3));
        assert_eq!(second.resolved_within_sla_share, Some(0.0));
        assert_eq!(second.first_response.median, Some(0.0));
        let empty = super::rows(&query, &[]);
        assert_eq!(empty.len(), 2, "one row per period without grouping");
        assert_eq!(
            (empty[0].opened, empty[0].resolved_within_sla_share, empty[0].first_response.median),
            (0, None, None)
        );
    }
}
