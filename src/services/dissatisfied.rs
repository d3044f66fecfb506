//! Dissatisfied answers in SQL: answers in the worst category of their metric
//! (`SatisfactionCategory::dissatisfied`), at a touchpoint, submitted in a period. What the closed-loop
//! insights start from (`docs/metrics.md`, "Closing the loop" and "Service recovery").

use chrono::{DateTime, Utc};
use entity::SurveyMetric;
use sea_orm::ActiveEnum;

use crate::db::sql::{Sql, time};
use crate::stats::satisfaction::SatisfactionCategory;

/// Every metric, for a query that does not choose.
pub const ALL_METRICS: [SurveyMetric; 3] = [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces];

/// Appends the condition that the answer aliased `f` is a dissatisfied answer of one of `metrics`,
/// submitted in `[from, to)` at a touchpoint. The period and the touchpoint are repeated in each metric's
/// branch, so every branch is one range of the partial index of answers at touchpoints by
/// `(metric, submitted_at)` on both databases. No metrics match nothing.
pub fn push_dissatisfied(sql: &mut Sql, f: &str, metrics: &[SurveyMetric], (from, to): (DateTime<Utc>, DateTime<Utc>)) {
    if metrics.is_empty() {
        sql.push("1 = 0");
        return;
    }
    sql.push("(");
    for (index, metric) in metrics.iter().enumerate() {
        let (low, high) = SatisfactionCategory::dissatisfied(*metric).score_range();
        sql.push(if index == 0 { "(" } else { " OR (" }).push(f).push(".metric = ").bind(metric.to_value());
        sql.push(" AND ").push(f).push(".submitted_at >= ").bind(time(from));
        sql.push(" AND ").push(f).push(".submitted_at < ").bind(time(to));
        sql.push(" AND ").push(f).push(".touchpoint_id IS NOT NULL");
        sql.push(" AND ").push(f).push(".score BETWEEN ").bind(low).push(" AND ").bind(high).push(")");
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    #[test]
    fn one_indexed_range_per_metric() {
        let mut sql = Sql::new(DbBackend::Postgres);
        let period = (DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1));
        push_dissatisfied(&mut sql, "f", &[SurveyMetric::Nps, SurveyMetric::Ces], period);
        let statement = sql.build();
        assert_eq!(
            statement.sql,
            "((f.metric = $1 AND f.submitted_at >= $2 AND f.submitted_at < $3 AND f.touchpoint_id IS NOT NULL \
             AND f.score BETWEEN $4 AND $5) OR (f.metric = $6 AND f.submitted_at >= $7 AND f.submitted_at < $8 \
             AND f.touchpoint_id IS NOT NULL AND f.score BETWEEN $9 AND $10))"
        );
        let mut none = Sql::new(DbBackend::Sqlite);
        push_dissatisfied(&mut none, "f", &[], period);
        assert_eq!(none.build().sql, "1 = 0");
    }
}
