//! Closing the loop: of the dissatisfied answers of a period (or of each bucket of a series), the share
//! followed within N hours by a complaint or a FOLLOW_UP touchpoint of the same customer, and the hours
//! to that first follow-up (`docs/metrics.md`, "Closing the loop"). One statement per query: each
//! dissatisfied answer of the whole range with its first complaint and first follow-up touchpoint in its
//! window (index lookups by customer and time); the counting per period and group is `tally`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{Channel, SurveyMetric, TouchpointKind, complaint, customer, feedback, touchpoint};
use futures_util::StreamExt;
use sea_orm::{ActiveEnum, ConnectionTrait, EntityName, StreamTrait};

use crate::db::sql::Sql;
use crate::domain::buckets::{Bucket, Series, period_of, periods};
use crate::error::{AppError, AppResult};
use crate::services::dissatisfied::{ALL_METRICS, push_dissatisfied};
use crate::stats::durations::{DurationSummary, hours_between};
use crate::stats::intervals::wilson;
use crate::stats::percent;

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

    fn grouped(&self, dimension: LoopDimension) -> bool {
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
    fn sort_key(&self) -> SortKey {
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

/// One group's answers in one period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopCounts {
    /// Answers whose window has ended: the base of the share.
    pub answers: u64,
    /// Answers whose window ends after `as_of`.
    pub pending: u64,
    pub by_complaint: u64,
    pub by_touchpoint: u64,
    /// By either.
    pub followed: u64,
    /// Of the followed answers: hours from the answer to the first follow-up.
    pub hours_to_follow_up: Vec<f64>,
}

fn count(counts: &mut LoopCounts, answer: &DissatisfiedAnswer, query: &LoopQuery) {
    if answer.submitted_at + query.follow_up > query.as_of {
        counts.pending += 1;
        return;
    }
    counts.answers += 1;
    counts.by_complaint += u64::from(answer.complaint_at.is_some());
    counts.by_touchpoint += u64::from(answer.follow_up_at.is_some());
    let first = match (answer.complaint_at, answer.follow_up_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(first) = first {
        counts.followed += 1;
        counts.hours_to_follow_up.push(hours_between(answer.submitted_at, first));
    }
}

/// Tallies `answers` per group and period.
pub fn tally(query: &LoopQuery, answers: &[DissatisfiedAnswer]) -> HashMap<LoopKey, Vec<LoopCounts>> {
    let mut groups: HashMap<LoopKey, Vec<LoopCounts>> = HashMap::new();
    for answer in answers {
        let Some(index) = period_of(&query.periods, answer.submitted_at) else { continue };
        let periods =
            groups.entry(answer.key.clone()).or_insert_with(|| vec![LoopCounts::default(); query.periods.len()]);
        count(&mut periods[index], answer, query);
    }
    groups
}

/// One row of a loop report, every figure computed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopRow {
    pub key: LoopKey,
    pub period: Bucket,
    pub answers: u64,
    pub pending: u64,
    pub by_complaint: u64,
    pub by_touchpoint: u64,
    pub followed: u64,
    /// `followed` of `answers`, in percent.
    pub followed_share: Option<f64>,
    /// Its 95% Wilson interval, in percent.
    pub interval: Option<(f64, f64)>,
    pub hours_to_follow_up: DurationSummary,
}

fn row(key: LoopKey, period: Bucket, counts: LoopCounts) -> LoopRow {
    LoopRow {
        key,
        period,
        answers: counts.answers,
        pending: counts.pending,
        by_complaint: counts.by_complaint,
        by_touchpoint: counts.by_touchpoint,
        followed: counts.followed,
        followed_share: percent(counts.followed, counts.answers),
        interval: wilson(counts.followed, counts.answers).map(|(low, high)| (100.0 * low, 100.0 * high)),
        hours_to_follow_up: DurationSummary::of(counts.hours_to_follow_up),
    }
}

/// The rows of a report from its answers: one per group and period, zero-filled; without grouping,
/// exactly one per period.
pub fn rows(query: &LoopQuery, answers: &[DissatisfiedAnswer]) -> Vec<LoopRow> {
    let mut groups: Vec<(LoopKey, Vec<LoopCounts>)> = tally(query, answers).into_iter().collect();
    if query.group_by.is_empty() && groups.is_empty() {
        groups.push((LoopKey::default(), vec![LoopCounts::default(); query.periods.len()]));
    }
    groups.sort_by_key(|(key, _)| key.sort_key());
    let mut rows = Vec::with_capacity(groups.len() * query.periods.len());
    for (key, periods) in groups {
        for (period, counts) in query.periods.iter().zip(periods) {
            rows.push(row(key.clone(), *period, counts));
        }
    }
    rows
}

/// The statement: every dissatisfied answer of the query's range matching its filter, with its group
/// values (NULL where not grouped), its first complaint and its first follow-up touchpoint within the
/// window. Touchpoints and customers are joined only for a dimension or a filter of theirs: the answers'
/// partial index already says they were given at a touchpoint.
fn statement(backend: sea_orm::DbBackend, query: &LoopQuery) -> Option<sea_orm::Statement> {
    let (first, last) = (query.periods.first()?, query.periods.last()?);
    let hours = query.follow_up.num_hours();
    let filter = &query.filter;
    let needs_touchpoint = filter.touchpoint_kinds.is_some()
        || filter.channels.is_some()
        || query.grouped(LoopDimension::TouchpointKind)
        || query.grouped(LoopDimension::Channel);
    let needs_customer = filter.segments.is_some()
        || filter.regions.is_some()
        || query.grouped(LoopDimension::Segment)
        || query.grouped(LoopDimension::Region);
    let mut sql = Sql::new(backend);
    sql.push("SELECT f.metric");
    for (dimension, column) in [
        (LoopDimension::TouchpointKind, "t.kind"),
        (LoopDimension::Channel, "t.channel"),
        (LoopDimension::Segment, "c.segment"),
        (LoopDimension::Region, "c.region"),
    ] {
        sql.push(", ").push(if query.grouped(dimension) { column } else { "NULL" });
    }
    // A complaint raised by the answer may be opened at the answer's very instant.
    sql.push(", f.submitted_at, (SELECT MIN(m.opened_at) FROM ")
        .push(complaint::Entity.table_name())
        .push(" m WHERE m.customer_id = f.customer_id AND m.opened_at >= f.submitted_at ")
        .push("AND (m.opened_at > f.submitted_at OR m.feedback_id = f.id) AND ")
        .at_most_hours_after("m.opened_at", "f.submitted_at", hours)
        .push("), (SELECT MIN(x.occurred_at) FROM ")
        .push(touchpoint::Entity.table_name())
        .push(" x WHERE x.customer_id = f.customer_id AND x.kind = ")
        .bind(TouchpointKind::FollowUp.to_value())
        .push(" AND x.occurred_at > f.submitted_at AND ")
        .at_most_hours_after("x.occurred_at", "f.submitted_at", hours)
        .push(") FROM ")
        .push(feedback::Entity.table_name())
        .push(" f");
    if needs_touchpoint {
        sql.push(" JOIN ").push(touchpoint::Entity.table_name()).push(" t ON t.id = f.touchpoint_id");
    }
    if needs_customer {
        sql.push(" JOIN ").push(customer::Entity.table_name()).push(" c ON c.id = f.customer_id");
    }
    sql.push(" WHERE ");
    push_dissatisfied(&mut sql, "f", filter.metrics.as_deref().unwrap_or(&ALL_METRICS), (first.start, last.end));
    if let Some(kinds) = &filter.touchpoint_kinds {
        sql.push(" AND ").in_list("t.kind", kinds.iter().map(|k| k.to_value()));
    }
    if let Some(channels) = &filter.channels {
        sql.push(" AND ").in_list("t.channel", channels.iter().map(|c| c.to_value()));
    }
    if let Some(segments) = &filter.segments {
        sql.push(" AND ").in_list("c.segment", segments.iter().cloned());
    }
    if let Some(regions) = &filter.regions {
        sql.push(" AND ").in_list("c.region", regions.iter().cloned());
    }
    Some(sql.build())
}

/// The dissatisfied answers a query's periods need, with their group and follow-ups.
async fn answers(db: &(impl ConnectionTrait + StreamTrait), query: &LoopQuery) -> AppResult<Vec<DissatisfiedAnswer>> {
    let Some(statement) = statement(ConnectionTrait::get_database_backend(db), query) else { return Ok(Vec::new()) };
    let rows = db.stream_raw(statement).await.map_err(AppError::from_db)?;
    let mut rows = std::pin::pin!(rows);
    let grouped = |dimension| query.grouped(dimension);
    let mut found = Vec::new();
    while let Some(row) = rows.next().await {
        let row = row.map_err(AppError::from_db)?;
        let text = |index: usize| -> AppResult<String> { row.try_get_by_index(index).map_err(AppError::from_db) };
        let key = LoopKey {
            metric: grouped(LoopDimension::Metric)
                .then(|| SurveyMetric::try_from_value(&text(0)?).map_err(AppError::from_db))
                .transpose()?,
            touchpoint_kind: grouped(LoopDimension::TouchpointKind)
                .then(|| TouchpointKind::try_from_value(&text(1)?).map_err(AppError::from_db))
                .transpose()?,
            channel: grouped(LoopDimension::Channel)
                .then(|| Channel::try_from_value(&text(2)?).map_err(AppError::from_db))
                .transpose()?,
            segment: grouped(LoopDimension::Segment).then(|| text(3)).transpose()?,
            region: grouped(LoopDimension::Region).then(|| text(4)).transpose()?,
        };
        found.push(DissatisfiedAnswer {
            key,
            submitted_at: row.try_get_by_index(5).map_err(AppError::from_db)?,
            complaint_at: row.try_get_by_index(6).map_err(AppError::from_db)?,
            follow_up_at: row.try_get_by_index(7).map_err(AppError::from_db)?,
        });
    }
    Ok(found)
}

/// Runs a loop query.
pub async fn report(db: &(impl ConnectionTrait + StreamTrait), query: &LoopQuery) -> AppResult<Vec<LoopRow>> {
    Ok(rows(query, &answers(db, query).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::test_support::assert_close;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(hours)
    }

    fn answer(submitted: i64, complaint: Option<i64>, follow_up: Option<i64>) -> DissatisfiedAnswer {
        DissatisfiedAnswer {
            key: LoopKey::default(),
            submitted_at: at(submitted),
            complaint_at: complaint.map(at),
            follow_up_at: follow_up.map(at),
        }
    }

    #[test]
    fn followed_answers_pending_ones_and_hours_to_the_first_follow_up() {
        // Two periods of 100 hours, a 72-hour window, as of hour 200: answers after hour 128 are pending.
        let periods = vec![Bucket { start: at(0), end: at(100) }, Bucket { start: at(100), end: at(200) }];
        let query = LoopQuery {
            periods,
            group_by: Vec::new(),
            filter: LoopFilter::default(),
            follow_up: Duration::hours(72),
            as_of: at(200),
        };
        let answers = [
            answer(10, Some(12), None),     // a complaint after 2 h
            answer(20, None, Some(68)),     // a follow-up after 48 h
            answer(30, Some(40), Some(34)), // both: the touchpoint first, after 4 h
            answer(40, None, None),         // not followed
            answer(110, Some(110), None),   // raised by the answer at its instant: 0 h
            answer(128, None, None),        // the window ends at 200 = as of: counted
            answer(150, Some(151), None),   // pending
            answer(-5, Some(-4), None),     // before both periods
        ];
        let rows = rows(&query, &answers);
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!((first.answers, first.pending, first.by_complaint, first.by_touchpoint), (4, 0, 2, 2));
        assert_eq!((first.followed, first.followed_share), (3, Some(75.0)));
        let (low, high) = first.interval.unwrap();
        assert!(low < 75.0 && high > 75.0);
        assert_eq!((first.hours_to_follow_up.n, first.hours_to_follow_up.median), (3, Some(4.0)));
        assert_close(first.hours_to_follow_up.p90.unwrap(), 4.0 + 0.8 * 44.0);
        let second = &rows[1];
        assert_eq!((second.answers, second.pending, second.followed, second.followed_share), (2, 1, 1, Some(50.0)));
        assert_eq!(second.hours_to_follow_up.median, Some(0.0));
        let empty = super::rows(&query, &[]);
        assert_eq!(empty.len(), 2, "one row per period without grouping");
        assert_eq!((empty[0].answers, empty[0].followed_share, empty[0].interval), (0, None, None));
    }
}
