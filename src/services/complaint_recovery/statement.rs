//! The recovery statement: per period, group, outcome and next NPS score, the customers and how many of
//! them ordered again. The subjects of a period are the customers with a complaint opened in it (their
//! first one there decides the outcome, from its opening) and the customers with a dissatisfied answer in
//! it (their first one there) who opened no complaint from the period's start until the later of its end
//! and the end of their window. Each subject's window `(t, t + H days]` must have ended by `as_of`.

use chrono::Duration;
use entity::{ComplaintCategory, ComplaintStatus, SurveyMetric, complaint, customer, feedback, order};
use futures_util::StreamExt;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, EntityName, Statement, StreamTrait, Value};

use super::{RecoveryCell, RecoveryDimension, RecoveryKey, RecoveryOutcome, RecoveryQuery};
use crate::db::sql::{Sql, count_column, time};
use crate::domain::orders_that_count;
use crate::error::{AppError, AppResult};
use crate::services::customer_ranges::{self, CustomerRange};
use crate::services::dissatisfied::{ALL_METRICS, push_dissatisfied};

/// The statement's number of an outcome: its place in `RecoveryOutcome::ALL`.
fn number(outcome: RecoveryOutcome) -> i64 {
    RecoveryOutcome::ALL.iter().position(|o| *o == outcome).unwrap_or_default() as i64
}

/// `WITH periods (i, s, e) AS (VALUES ...)`, then the complaints: each customer's first complaint of each
/// period, with its outcome. PostgreSQL keeps the first by `DISTINCT ON` (a sort and a scan, about half
/// the time of numbering the rows); SQLite numbers them, and `subjects` keeps the first.
fn push_complained(sql: &mut Sql, query: &RecoveryQuery, customers: CustomerRange) {
    let rows: Vec<Vec<Value>> =
        (query.periods.iter().enumerate()).map(|(i, p)| vec![(i as i64).into(), time(p.start), time(p.end)]).collect();
    sql.push("WITH periods (i, s, e) AS (SELECT * FROM ").values_table(&rows, "v").push("), ");
    let postgres = sql.backend() == DbBackend::Postgres;
    sql.push(if postgres {
        "complained AS (SELECT DISTINCT ON (p.i, m.customer_id) "
    } else {
        "complained AS (SELECT "
    });
    let resolved = ComplaintStatus::Resolved.to_value();
    sql.push("p.i AS period, m.customer_id, m.opened_at AS at, m.category, CASE WHEN m.status = ")
        .bind(resolved.clone())
        .push(" AND ")
        .at_most_hours_after("m.resolved_at", "m.opened_at", query.sla.num_hours())
        .push(" THEN ")
        .bind(number(RecoveryOutcome::ResolvedWithinSla))
        .push(" WHEN m.status = ")
        .bind(resolved)
        .push(" THEN ")
        .bind(number(RecoveryOutcome::ResolvedLate))
        .push(" ELSE ")
        .bind(number(RecoveryOutcome::Unresolved))
        .push(" END AS outcome");
    if !postgres {
        sql.push(", ROW_NUMBER() OVER (PARTITION BY p.i, m.customer_id ORDER BY m.opened_at, m.id) AS nth");
    }
    sql.push(" FROM periods p JOIN ")
        .push(complaint::Entity.table_name())
        .push(" m ON m.opened_at >= p.s AND m.opened_at < p.e");
    customer_ranges::push_within(sql, "m.customer_id", customers);
    if let Some(categories) = &query.filter.categories {
        sql.push(" WHERE ").in_list("m.category", categories.iter().map(|c| c.to_value()));
    }
    sql.push(if postgres { " ORDER BY p.i, m.customer_id, m.opened_at, m.id), " } else { "), " });
}

/// The customers dissatisfied in each period (their first such answer there) without a complaint.
fn push_not_complained(sql: &mut Sql, query: &RecoveryQuery, customers: CustomerRange) {
    let range = query.periods.first().zip(query.periods.last()).map(|(first, last)| (first.start, last.end));
    sql.push("dissatisfied AS (SELECT p.i AS period, f.customer_id, MIN(f.submitted_at) AS at FROM periods p JOIN ")
        .push(feedback::Entity.table_name())
        .push(" f ON f.submitted_at >= p.s AND f.submitted_at < p.e");
    customer_ranges::push_within(sql, "f.customer_id", customers);
    sql.push(" WHERE ");
    match range {
        Some(range) => push_dissatisfied(sql, "f", &ALL_METRICS, range),
        None => {
            sql.push("1 = 0");
        }
    }
    let first_complaints =
        if sql.backend() == DbBackend::Postgres { "FROM complained" } else { "FROM complained WHERE nth = 1" };
    sql.push(" GROUP BY p.i, f.customer_id), subjects AS (SELECT period, customer_id, at, category, outcome ")
        .push(first_complaints)
        .push(" UNION ALL SELECT d.period, d.customer_id, d.at, NULL, ")
        .bind(number(RecoveryOutcome::NoComplaint))
        .push(" FROM dissatisfied d JOIN periods p ON p.i = d.period WHERE NOT EXISTS (SELECT 1 FROM ")
        .push(complaint::Entity.table_name())
        .push(" m WHERE m.customer_id = d.customer_id AND m.opened_at >= p.s AND (m.opened_at < p.e OR ")
        .at_most_days_after("m.opened_at", "d.at", query.horizon_days)
        .push(")))");
}

/// Per subject whose window has ended: its group values, its next NPS answer in the window and whether
/// it ordered again in the window; counted per period, group, outcome and next score.
fn push_counts(sql: &mut Sql, query: &RecoveryQuery) {
    let grouped = |dimension| query.grouped(dimension);
    let needs_customer = grouped(RecoveryDimension::Segment)
        || grouped(RecoveryDimension::Region)
        || query.filter.segments.is_some()
        || query.filter.regions.is_some();
    let column = |dimension, name: &'static str| if grouped(dimension) { name } else { "NULL" };
    let horizon = query.horizon_days;
    // Materialized: merged into the grouping, the next answer's sub-query would run twice per subject.
    sql.push(", measured AS MATERIALIZED (SELECT s.period, CAST(s.outcome AS BIGINT) AS outcome, ")
        .push(column(RecoveryDimension::Segment, "c.segment"))
        .push(" AS segment, ")
        .push(column(RecoveryDimension::Region, "c.region"))
        .push(" AS region, ")
        .push(column(RecoveryDimension::Category, "s.category"))
        .push(" AS category, (SELECT n.score FROM ")
        .push(feedback::Entity.table_name())
        .push(" n WHERE n.customer_id = s.customer_id AND n.submitted_at > s.at AND ")
        .at_most_days_after("n.submitted_at", "s.at", horizon)
        .push(" AND n.metric = ")
        .bind(SurveyMetric::Nps.to_value())
        .push(" ORDER BY n.submitted_at, n.id LIMIT 1) AS next_nps, CASE WHEN EXISTS (SELECT 1 FROM ")
        .push(order::Entity.table_name())
        .push(" o WHERE o.customer_id = s.customer_id AND ")
        .push(&orders_that_count::counts_sql("o"))
        .push(" AND o.placed_at > s.at AND ")
        .at_most_days_after("o.placed_at", "s.at", horizon)
        .push(") THEN 1 ELSE 0 END AS repurchased FROM subjects s");
    if needs_customer {
        sql.push(" JOIN ").push(customer::Entity.table_name()).push(" c ON c.id = s.customer_id");
    }
    sql.push(" WHERE s.at <= ").bind(time(query.as_of - Duration::days(horizon)));
    if let Some(segments) = &query.filter.segments {
        sql.push(" AND ").in_list("c.segment", segments.iter().cloned());
    }
    if let Some(regions) = &query.filter.regions {
        sql.push(" AND ").in_list("c.region", regions.iter().cloned());
    }
    sql.push(") SELECT y.period, y.outcome, y.segment, y.region, y.category, y.next_nps, COUNT(*) AS customers, ")
        .push("SUM(y.repurchased) AS repurchased FROM measured y ")
        .push("GROUP BY y.period, y.outcome, y.segment, y.region, y.category, y.next_nps");
}

fn statement(backend: DbBackend, query: &RecoveryQuery, customers: CustomerRange) -> Statement {
    let mut sql = Sql::new(backend);
    push_complained(&mut sql, query, customers);
    push_not_complained(&mut sql, query, customers);
    push_counts(&mut sql, query);
    sql.build()
}

/// Runs the statement over the customers of a range.
pub async fn cells(
    db: &(impl ConnectionTrait + StreamTrait),
    query: &RecoveryQuery,
    customers: CustomerRange,
) -> AppResult<Vec<RecoveryCell>> {
    if query.periods.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db.stream_raw(statement(ConnectionTrait::get_database_backend(db), query, customers)).await;
    let mut rows = std::pin::pin!(rows.map_err(AppError::from_db)?);
    let mut cells = Vec::new();
    while let Some(row) = rows.next().await {
        let row = row.map_err(AppError::from_db)?;
        let get_i64 = |index: usize| -> AppResult<i64> { row.try_get_by_index(index).map_err(AppError::from_db) };
        let text =
            |index: usize| -> AppResult<Option<String>> { row.try_get_by_index(index).map_err(AppError::from_db) };
        let outcome = usize::try_from(get_i64(1)?).ok().and_then(|i| RecoveryOutcome::ALL.get(i).copied());
        let category =
            text(4)?.map(|c| ComplaintCategory::try_from_value(&c)).transpose().map_err(AppError::from_db)?;
        cells.push(RecoveryCell {
            key: RecoveryKey { category, segment: text(2)?, region: text(3)? },
            period: usize::try_from(get_i64(0)?).map_err(|_| AppError::Internal("a negative period".into()))?,
            outcome: outcome.ok_or_else(|| AppError::Internal("an unknown recovery outcome".into()))?,
            next_nps: row.try_get_by_index(5).map_err(AppError::from_db)?,
            customers: count_column(&row, "customers")?,
            repurchased: count_column(&row, "repurchased")?,
        });
    }
    Ok(cells)
}
