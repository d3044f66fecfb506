//! Reads satisfaction counts from the rollup tables: one statement for answers and one for surveys,
//! each joining the planned slice ranges (a `VALUES` list) to the rollup rows by grain and slice.
//! What a query reads grows with the number of slices and groups, not with the number of answers.

use entity::SurveyMetric;
use entity::rollups::{ANSWER_ROLLUPS, SURVEY_ROLLUPS};
use sea_orm::{ConnectionTrait, DbBackend, Value};

use super::keys::dimension_alias;
use super::tally::Counts;
use super::{Dimension, GroupKey, SatisfactionQuery};
use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};
use crate::rollups::plan::SlicePiece;

fn column(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::TouchpointKind => "r.touchpoint_kind",
        Dimension::Channel => "r.channel",
        Dimension::Segment => "r.segment",
        Dimension::Region => "r.region",
    }
}

/// `FROM (VALUES slices) v JOIN <table> r ON grain, metric and slice range WHERE <filter>`: each slice
/// range is one range of the rollup key (grain, metric, slice, ...). PostgreSQL joins it as a `LATERAL`
/// subquery kept apart by `OFFSET 0`, so it reads each range through the key's index: joined plainly,
/// it hashes the slices and scans the whole table (150 ms instead of 30 at a million answers, whatever
/// the period). SQLite reads each range through the index either way.
fn from_slices(
    sql: &mut Sql,
    table: &str,
    metric: Option<SurveyMetric>,
    slices: &[SlicePiece],
    query: &SatisfactionQuery,
) {
    let rows: Vec<Vec<Value>> = slices
        .iter()
        .map(|s| vec![(s.slot as i64).into(), s.grain.code().into(), s.from.into(), s.to.into(), s.sign.into()])
        .collect();
    let lateral = sql.backend() == DbBackend::Postgres;
    sql.push(" FROM ").values_table(&rows, "v");
    sql.push(if lateral { " CROSS JOIN LATERAL (SELECT * FROM " } else { " JOIN " }).push(table);
    sql.push(if lateral { " r WHERE " } else { " r ON " });
    sql.push("r.grain = v.column2");
    if let Some(metric) = metric {
        sql.push(" AND r.metric = ").bind(metric);
    }
    sql.push(" AND r.slice >= v.column3 AND r.slice < v.column4");
    sql.push(if lateral { " OFFSET 0) r WHERE 1 = 1" } else { " WHERE 1 = 1" });
    let filter = &query.filter;
    if let Some(kinds) = &filter.touchpoint_kinds {
        sql.push(" AND ").in_list("r.touchpoint_kind", kinds.iter().copied());
    }
    if let Some(channels) = &filter.channels {
        sql.push(" AND ").in_list("r.channel", channels.iter().copied());
    }
    if let Some(segments) = &filter.segments {
        sql.push(" AND ").in_list("r.segment", segments.iter().cloned());
    }
    if let Some(regions) = &filter.regions {
        sql.push(" AND ").in_list("r.region", regions.iter().cloned());
    }
    if let Some(statuses) = &filter.order_statuses {
        sql.push(" AND ").in_list("r.order_status", statuses.iter().copied());
    }
}

fn select_groups(sql: &mut Sql, query: &SatisfactionQuery) {
    sql.push("SELECT v.column1 AS g_bucket");
    for dimension in &query.group_by {
        sql.push(", ").push(column(*dimension)).push(" AS ").push(dimension_alias(*dimension));
    }
}

fn group_by(sql: &mut Sql, query: &SatisfactionQuery, last: &str) {
    sql.push(" GROUP BY v.column1");
    for dimension in &query.group_by {
        sql.push(", ").push(column(*dimension));
    }
    sql.push(last);
}

/// Answers per group and score, each slice counted with its sign: `(key, score, answers, commented)`.
async fn answers(
    db: &impl ConnectionTrait,
    query: &SatisfactionQuery,
    slices: &[SlicePiece],
) -> AppResult<Vec<(GroupKey, i32, i64, i64)>> {
    let mut sql = Sql::new(db.get_database_backend());
    select_groups(&mut sql, query);
    sql.push(", r.score AS score, CAST(SUM(r.answers * v.column5) AS BIGINT) AS answers, ")
        .push("CAST(SUM(r.commented * v.column5) AS BIGINT) AS commented");
    from_slices(&mut sql, ANSWER_ROLLUPS, Some(query.metric), slices, query);
    group_by(&mut sql, query, ", r.score HAVING SUM(r.answers * v.column5) <> 0");
    let rows = db.query_all_raw(sql.build()).await.map_err(AppError::from_db)?;
    rows.iter().map(|row| Counts::answers_row(row, query)).collect()
}

/// Surveyed touchpoints per group, and how many got an answer of the query's metric, each slice counted
/// with its sign.
async fn surveys(
    db: &impl ConnectionTrait,
    query: &SatisfactionQuery,
    slices: &[SlicePiece],
) -> AppResult<Vec<(GroupKey, i64, i64)>> {
    let answered = match query.metric {
        SurveyMetric::Nps => "answered_nps",
        SurveyMetric::Csat => "answered_csat",
        SurveyMetric::Ces => "answered_ces",
    };
    let mut sql = Sql::new(db.get_database_backend());
    select_groups(&mut sql, query);
    sql.push(", CAST(SUM(r.surveyed * v.column5) AS BIGINT) AS surveyed, CAST(SUM(r.")
        .push(answered)
        .push(" * v.column5) AS BIGINT) AS answered");
    from_slices(&mut sql, SURVEY_ROLLUPS, None, slices, query);
    group_by(&mut sql, query, " HAVING SUM(r.surveyed * v.column5) <> 0");
    let rows = db.query_all_raw(sql.build()).await.map_err(AppError::from_db)?;
    rows.iter().map(|row| Counts::surveys_row(row, query)).collect()
}

/// Reads the planned slices from the rollups: the answers and the surveys statements at once, on two
/// connections.
pub(super) async fn counts(
    db: &impl ConnectionTrait,
    query: &SatisfactionQuery,
    slices: &[SlicePiece],
) -> AppResult<Counts> {
    let (answers, surveys) = futures_util::try_join!(answers(db, query, slices), surveys(db, query, slices))?;
    Ok(Counts { answers, surveys })
}
