//! The time a query covers: its period, cut into buckets for a time series, and into rollup slices and
//! raw partial days (`rollups::plan`) when it reads the rollups.

use chrono::{DateTime, Utc};

use super::SatisfactionQuery;
use crate::domain::buckets::Bucket;
use crate::error::{AppError, AppResult};
use crate::rollups::plan::Plan;
use crate::services::filters::TimeRange;

/// A time range counted for one bucket (`slot`), `sign` times: 1, or -1 for a range a rollup slice
/// counted beyond its bucket.
pub(super) type Slot = (usize, DateTime<Utc>, DateTime<Utc>, i64);

/// The part of a bucket the period reaches.
fn within_period(bucket: &Bucket, period: &TimeRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = period.from.map_or(bucket.start, |f| Ord::max(f, bucket.start));
    let to = period.to.map_or(bucket.end, |t| Ord::min(t, bucket.end));
    (from, to)
}

/// The rollup slices and raw partial days covering the query's period (or each bucket of it).
pub(super) fn plan_for(query: &SatisfactionQuery) -> Plan {
    let period = &query.filter.period;
    let mut plan = Plan::default();
    match &query.buckets {
        Some(buckets) => {
            for (slot, bucket) in buckets.iter().enumerate() {
                let (from, to) = within_period(bucket, period);
                plan.cover(slot, Some(from), Some(to));
            }
        }
        None => plan.cover(0, period.from, period.to),
    }
    plan
}

/// The raw rows' slots of a time series: each bucket as far as the period reaches; None without buckets.
pub(super) fn bucket_slots(query: &SatisfactionQuery) -> Option<Vec<Slot>> {
    query.buckets.as_ref().map(|buckets| {
        buckets
            .iter()
            .enumerate()
            .map(|(i, bucket)| {
                let (from, to) = within_period(bucket, &query.filter.period);
                (i, from, Ord::max(to, from), 1)
            })
            .collect()
    })
}

/// The time range a filter's period covers, required for time series.
pub fn bounded_period(period: &TimeRange) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    match (period.from, period.to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(AppError::bad_input("filter.period", "a time series needs a period with both from and to")),
    }
}

/// The period of equal length just before `[from, to)`.
pub fn previous_period(period: &TimeRange) -> AppResult<TimeRange> {
    let (from, to) = match (period.from, period.to) {
        (Some(from), Some(to)) => (from, to),
        _ => {
            return Err(AppError::bad_input(
                "filter.period",
                "comparing with the previous period needs a period with both from and to (or give a baseline)",
            ));
        }
    };
    Ok(TimeRange { from: Some(from - (to - from)), to: Some(from) })
}
