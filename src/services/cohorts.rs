//! Cohort retention: customers by the period of their first order, and how many of them order again in
//! each later period. One pass over the purchases.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;

use crate::domain::buckets::{Bucket, Granularity, buckets, consecutive};
use crate::error::AppResult;
use crate::services::purchases::{self, Buyer, Purchase};
use crate::stats::percent;

/// The most periods a cohort is followed for, its own included.
pub const MAX_PERIODS: usize = 60;

/// The calendar of a retention table: the cohorts' periods and the periods that follow the last cohort
/// up, as one run of consecutive periods.
#[derive(Clone, Debug)]
pub struct CohortCalendar {
    buckets: Vec<Bucket>,
    cohorts: usize,
    periods: usize,
}

impl CohortCalendar {
    /// The cohorts of the periods covering `[from, to)`, each followed for `periods` periods (its own
    /// included).
    pub fn new(
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        granularity: Granularity,
        tz: Tz,
        periods: usize,
    ) -> AppResult<Self> {
        let cohorts = buckets(from, to, granularity, tz)?.len();
        let buckets = consecutive(from, (cohorts + periods).saturating_sub(1), granularity, tz)?;
        Ok(CohortCalendar { buckets, cohorts, periods })
    }

    /// The cells of the table: one per cohort and period.
    pub fn cells(&self) -> usize {
        self.cohorts.saturating_mul(self.periods)
    }
}

/// One cell of the retention table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortCell {
    pub cohort: Bucket,
    /// 0 is the cohort's own period.
    pub period_index: usize,
    pub cohort_size: u64,
    pub retained: u64,
}

impl CohortCell {
    /// retained / cohort size, in percent; None for an empty cohort.
    pub fn share(&self) -> Option<f64> {
        percent(self.retained, self.cohort_size)
    }
}

/// The retention table, cohort by cohort and period by period.
///
/// One pass over the purchases up to the calendar's end, customer by customer: a customer's first
/// purchase puts them in a cohort (one that starts later belongs to no cohort shown), and each period
/// they bought in counts them as retained there.
pub async fn retention(db: &DatabaseConnection, calendar: &CohortCalendar) -> AppResult<Vec<CohortCell>> {
    let &CohortCalendar { ref buckets, cohorts, periods } = calendar;
    let (Some(last), true) = (buckets.last(), cohorts > 0 && periods > 0) else { return Ok(Vec::new()) };
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = buckets.iter().map(|b| (b.start, b.end)).collect();
    let count = move |counts: &mut HashMap<(usize, usize), u64>, _: Buyer, purchases: &[Purchase]| {
        // The bucket holding an instant, if any.
        let bucket_of = |at| match spans.partition_point(|(start, _)| *start <= at) {
            0 => None,
            after => Some(after - 1).filter(|i| at < spans[*i].1),
        };
        let Some(cohort) = purchases.first().and_then(|first| bucket_of(first.placed_at)).filter(|c| *c < cohorts)
        else {
            return;
        };
        let mut seen: Vec<usize> = purchases.iter().filter_map(|p| bucket_of(p.placed_at)).collect();
        seen.dedup();
        for bucket in seen {
            *counts.entry((cohort, bucket)).or_default() += 1;
        }
    };
    let mut counts: HashMap<(usize, usize), u64> = HashMap::new();
    for fold in purchases::fold_customers(db, last.end, false, HashMap::new(), count).await? {
        for (cell, retained) in fold {
            *counts.entry(cell).or_default() += retained;
        }
    }
    let mut cells = Vec::with_capacity(cohorts * periods);
    for (cohort, bucket) in buckets[..cohorts].iter().enumerate() {
        // Every customer of a cohort bought in the cohort's own period: that cell is the cohort's size.
        let cohort_size = counts.get(&(cohort, cohort)).copied().unwrap_or(0);
        for period_index in 0..periods {
            let retained = counts.get(&(cohort, cohort + period_index)).copied().unwrap_or(0);
            cells.push(CohortCell { cohort: *bucket, period_index, cohort_size, retained });
        }
    }
    Ok(cells)
}
