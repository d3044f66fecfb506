//! Touchpoint impact: after an answer at a touchpoint, does the customer order again within H days?
//! Counts per answer category in SQL, then each category's rate, its interval and its test against the
//! best category (`stats`).

use chrono::{DateTime, Duration, Utc};
use entity::{SurveyMetric, TouchpointKind, feedback, order, touchpoint};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityName, QueryResult, Statement, TransactionTrait};

use crate::db::analytic_read;
use crate::db::sql::{Sql, time};
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};
use crate::stats::comparison::{Comparison, proportions};
use crate::stats::intervals::wilson_percent;
use crate::stats::percent;
use crate::stats::satisfaction::SatisfactionCategory;

#[derive(Clone, Debug)]
pub struct ImpactQuery {
    pub metric: SurveyMetric,
    /// None: answers at touchpoints of any kind (relationship surveys never count).
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    pub horizon_days: i64,
    /// Customers whose window `(answer, answer + H days]` ends after this are left out.
    pub as_of: DateTime<Utc>,
}

/// Customers and repurchasers of one answer category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpactCounts {
    pub category: SatisfactionCategory,
    pub customers: u64,
    pub repurchased: u64,
}

/// Runs the impact statement. PostgreSQL would otherwise read every answer at a touchpoint from the
/// partial covering index of such answers (an index-only scan, cheap per row) and look up each answer's
/// touchpoint to keep the few of the asked kinds; without index-only scans it starts from the
/// touchpoints of those kinds and merges their answers in (the statement alone: 304 → 166 ms at a
/// million answers).
async fn read(db: &(impl ConnectionTrait + TransactionTrait), statement: Statement) -> AppResult<Vec<QueryResult>> {
    analytic_read(db, &["enable_indexonlyscan = off"], async |txn| {
        txn.query_all_raw(statement).await.map_err(AppError::from_db)
    })
    .await
}

/// Per category (best first), the customers who gave such an answer and how many of them ordered again
/// within the horizon. A customer counts once per category, from their first such answer.
pub async fn impact_counts(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &ImpactQuery,
) -> AppResult<Vec<ImpactCounts>> {
    let categories = SatisfactionCategory::of_metric(query.metric);
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT x.category AS category, COUNT(*) AS customers, CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM ")
        .push(order::Entity.table_name())
        .push(" o WHERE o.customer_id = x.customer_id AND ")
        .push(&orders_that_count::counts_sql("o"))
        .push(" AND o.placed_at > x.answered_at AND ");
    sql.at_most_days_after("o.placed_at", "x.answered_at", query.horizon_days);
    sql.push(") THEN 1 ELSE 0 END) AS BIGINT) AS repurchased FROM (SELECT f.customer_id AS customer_id, ");
    sql.push("CASE");
    for (index, category) in categories.iter().enumerate() {
        let (low, high) = category.score_range();
        sql.push(" WHEN f.score BETWEEN ").bind(low).push(" AND ").bind(high).push(" THEN ").bind(index as i64);
    }
    // The metric compared through `COALESCE`: no planner then reads every answer of the metric through
    // the `(metric, submitted_at)` index to keep those at a few touchpoints (SQLite, planning without
    // statistics, does: eight times slower at a million answers); the touchpoints drive instead.
    sql.push(" END AS category, MIN(f.submitted_at) AS answered_at FROM ")
        .push(feedback::Entity.table_name())
        .push(" f JOIN ")
        .push(touchpoint::Entity.table_name())
        .push(" t ON t.id = f.touchpoint_id WHERE COALESCE(f.metric, '') = ")
        .bind(query.metric.to_value());
    if let Some(kinds) = &query.touchpoint_kinds {
        sql.push(" AND ").in_list("t.kind", kinds.iter().map(|kind| kind.to_value()));
    }
    // By position: a bound CASE repeated in GROUP BY would be a different expression to PostgreSQL.
    sql.push(" GROUP BY 1, 2) x WHERE x.answered_at <= ")
        .bind(time(query.as_of - Duration::days(query.horizon_days)))
        .push(" GROUP BY x.category");
    let mut counts: Vec<ImpactCounts> =
        categories.iter().map(|category| ImpactCounts { category: *category, customers: 0, repurchased: 0 }).collect();
    for row in read(db, sql.build()).await? {
        let index: i64 = row.try_get("", "category").map_err(AppError::from_db)?;
        let customers: i64 = row.try_get("", "customers").map_err(AppError::from_db)?;
        let repurchased: Option<i64> = row.try_get("", "repurchased").map_err(AppError::from_db)?;
        let slot = usize::try_from(index).ok().and_then(|i| counts.get_mut(i));
        let slot = slot.ok_or_else(|| AppError::Internal("unknown answer category".into()))?;
        slot.customers = customers.max(0) as u64;
        slot.repurchased = repurchased.unwrap_or(0).max(0) as u64;
    }
    Ok(counts)
}

/// Repurchase after the answers of one category, with its statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpactRow {
    pub counts: ImpactCounts,
    /// repurchased / customers, in percent; None without customers.
    pub repurchase_rate: Option<f64>,
    /// The 95% Wilson interval of the rate, in percent.
    pub interval: Option<(f64, f64)>,
    /// The pooled two-proportion test against the best category (the first); None for the best category
    /// itself or when either is empty.
    pub versus_best: Option<Comparison>,
}

/// Per category (best first), the repurchase rate of the customers who gave such an answer, compared
/// with the best category's.
pub async fn touchpoint_impact(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &ImpactQuery,
) -> AppResult<Vec<ImpactRow>> {
    Ok(impact_rows(impact_counts(db, query).await?))
}

fn impact_rows(counts: Vec<ImpactCounts>) -> Vec<ImpactRow> {
    let best = counts.first().cloned();
    counts
        .into_iter()
        .enumerate()
        .map(|(index, c)| {
            let best = best.as_ref().filter(|_| index > 0);
            ImpactRow {
                repurchase_rate: percent(c.repurchased, c.customers),
                interval: wilson_percent(c.repurchased, c.customers),
                versus_best: best.and_then(|b| proportions(c.repurchased, c.customers, b.repurchased, b.customers)),
                counts: c,
            }
        })
        .collect()
}
