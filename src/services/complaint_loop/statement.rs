//! The loop's statement: every dissatisfied answer of the query's range matching its filter, with its
//! group values and what followed it within its window, found by index lookups by customer and time.

use entity::{Channel, SurveyMetric, TouchpointKind, complaint, customer, feedback, touchpoint};
use futures_util::StreamExt;
use sea_orm::{ActiveEnum, ConnectionTrait, EntityName, StreamTrait};

use super::{DissatisfiedAnswer, LoopDimension, LoopKey, LoopQuery};
use crate::db::sql::{Sql, column_at};
use crate::error::{AppError, AppResult};
use crate::services::dissatisfied::{ALL_METRICS, push_dissatisfied};

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
pub(super) async fn answers(
    db: &(impl ConnectionTrait + StreamTrait),
    query: &LoopQuery,
) -> AppResult<Vec<DissatisfiedAnswer>> {
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
            submitted_at: column_at(&row, 5)?,
            complaint_at: column_at(&row, 6)?,
            follow_up_at: column_at(&row, 7)?,
        });
    }
    Ok(found)
}
