//! Cohort retention: customers by the period of their first order, and how many of them order again in
//! each later period. One statement; cells are counts, shares are computed by the caller.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, StreamTrait};

use crate::domain::buckets::Bucket;
use crate::error::AppResult;
use crate::services::purchases;

/// One cell of the retention table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortCell {
    pub cohort: Bucket,
    /// 0 is the cohort's own period.
    pub period_index: usize,
    pub cohort_size: u64,
    pub retained: u64,
}

/// `buckets` are consecutive calendar periods; the first `cohorts` of them are the cohorts, and each
/// cohort is followed for `periods` periods (its own included), so `buckets` has `cohorts + periods - 1`.
///
/// One pass over the purchases up to the last bucket's end, customer by customer: a customer's first
/// purchase puts them in a cohort (one that starts later belongs to no cohort shown), and each bucket
/// they bought in counts them as retained there.
pub async fn retention(
    db: &(impl ConnectionTrait + StreamTrait),
    buckets: &[Bucket],
    cohorts: usize,
    periods: usize,
) -> AppResult<Vec<CohortCell>> {
    let (Some(last), true) = (buckets.last(), cohorts > 0 && periods > 0) else { return Ok(Vec::new()) };
    let starts: Vec<_> = buckets.iter().map(|b| b.start).collect();
    // The bucket holding an instant, if any.
    let bucket_of = |at| match starts.partition_point(|start| *start <= at) {
        0 => None,
        after => Some(after - 1).filter(|i| at < buckets[*i].end),
    };
    let mut counts: HashMap<(usize, usize), u64> = HashMap::new();
    purchases::for_each_customer(db, last.end, false, |_, purchases| {
        let Some(cohort) = purchases.first().and_then(|first| bucket_of(first.placed_at)).filter(|c| *c < cohorts)
        else {
            return;
        };
        let mut seen: Vec<usize> = purchases.iter().filter_map(|p| bucket_of(p.placed_at)).collect();
        seen.dedup();
        for bucket in seen {
            *counts.entry((cohort, bucket)).or_default() += 1;
        }
    })
    .await?;
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
