//! Cohort retention in SQL: customers by the period of their first order, and how many of them order
//! again in each later period. One statement; cells are counts, shares are computed by the caller.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Value};

use crate::domain::buckets::Bucket;
use crate::error::{AppError, AppResult};
use crate::services::sql::{Sql, time};

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
pub async fn retention(
    db: &impl ConnectionTrait,
    buckets: &[Bucket],
    cohorts: usize,
    periods: usize,
) -> AppResult<Vec<CohortCell>> {
    if cohorts == 0 || periods == 0 {
        return Ok(Vec::new());
    }
    let rows = |list: &[Bucket]| -> Vec<Vec<Value>> {
        list.iter().enumerate().map(|(i, b)| vec![(i as i64).into(), time(b.start), time(b.end)]).collect()
    };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT cb.column1 AS cohort, ab.column1 AS period, COUNT(DISTINCT f.customer_id) AS customers \
         FROM (SELECT o.customer_id AS customer_id, MIN(o.placed_at) AS first_order FROM orders o \
         WHERE o.status <> 'CANCELLED' GROUP BY o.customer_id) f JOIN ",
    );
    sql.values_table(&rows(&buckets[..cohorts]), "cb");
    sql.push(" ON f.first_order >= cb.column2 AND f.first_order < cb.column3 JOIN orders o ON o.customer_id = f.customer_id AND o.status <> 'CANCELLED' JOIN ");
    sql.values_table(&rows(buckets), "ab");
    sql.push(" ON o.placed_at >= ab.column2 AND o.placed_at < ab.column3 GROUP BY cb.column1, ab.column1");
    let mut counts: HashMap<(usize, usize), u64> = HashMap::new();
    for row in db.query_all_raw(sql.build()).await.map_err(AppError::from_db)? {
        let index = |column: &str| -> AppResult<usize> {
            let value: i64 = row.try_get("", column).map_err(AppError::from_db)?;
            usize::try_from(value).map_err(|_| AppError::Internal("negative bucket index".into()))
        };
        let customers: i64 = row.try_get("", "customers").map_err(AppError::from_db)?;
        counts.insert((index("cohort")?, index("period")?), customers.max(0) as u64);
    }
    let mut cells = Vec::with_capacity(cohorts * periods);
    for (cohort, bucket) in buckets[..cohorts].iter().enumerate() {
        // Every customer of a cohort ordered in the cohort's own period: that cell is the cohort's size.
        let cohort_size = counts.get(&(cohort, cohort)).copied().unwrap_or(0);
        for period_index in 0..periods {
            let retained = counts.get(&(cohort, cohort + period_index)).copied().unwrap_or(0);
            cells.push(CohortCell { cohort: *bucket, period_index, cohort_size, retained });
        }
    }
    Ok(cells)
}
