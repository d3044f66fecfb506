//! Filter building blocks shared by every entity. Each gives `None` for a filter field that was not given,
//! and filters join the given ones with `Condition::add_option`: an empty condition would be written as a
//! bound `TRUE`, a parameter PostgreSQL cannot see through when it plans a prepared statement once for
//! all values: a page with such parameters is planned afresh on every request.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

/// A half-open time range `[from, to)`; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    pub fn condition(&self, column: impl ColumnTrait) -> Option<Condition> {
        given(
            Condition::all()
                .add_option(self.from.map(|from| column.gte(from)))
                .add_option(self.to.map(|to| column.lt(to))),
        )
    }
}

/// Rows whose time in `column` is at or after `since`, when given: how incremental extracts read the rows
/// changed (`updated_at`) or deleted (`deleted_at`) since their last run (`docs/api.md`).
pub fn at_or_after(column: impl ColumnTrait, since: Option<DateTime<Utc>>) -> Option<Condition> {
    TimeRange { from: since, to: None }.condition(column)
}

/// An inclusive integer range `[min, max]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IntRange {
    pub min: Option<i32>,
    pub max: Option<i32>,
}

impl IntRange {
    pub fn condition(&self, column: impl ColumnTrait) -> Option<Condition> {
        given(
            Condition::all()
                .add_option(self.min.map(|min| column.gte(min)))
                .add_option(self.max.map(|max| column.lte(max))),
        )
    }
}

/// `column IN (values)` when a list is given. An empty list matches nothing, as `IN ()` would.
pub fn any_of<V>(column: impl ColumnTrait, values: &Option<Vec<V>>) -> Option<Condition>
where
    V: Clone + Into<sea_orm::Value>,
{
    values.as_ref().map(|values| Condition::all().add(column.is_in(values.iter().cloned())))
}

/// `select` narrowed to a filter's `condition`; a filter with no field given adds no `WHERE` (an empty
/// condition alone would be written as a bound `TRUE`).
pub fn narrowed<E: EntityTrait>(select: Select<E>, condition: Condition) -> Select<E> {
    if condition.is_empty() { select } else { select.filter(condition) }
}

/// `cond` unless it holds nothing.
fn given(cond: Condition) -> Option<Condition> {
    (!cond.is_empty()).then_some(cond)
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;
    use crate::services::customers::CustomerFilter;
    use crate::services::touchpoints::TouchpointFilter;

    fn sql<E: EntityTrait>(select: Select<E>) -> String {
        select.build(DbBackend::Postgres).to_string()
    }

    #[test]
    fn filters_not_given_add_no_condition() {
        let customers = sql(narrowed(entity::customer::Entity::find(), CustomerFilter::default().condition()));
        assert!(!customers.contains("WHERE"), "{customers}");
        let touchpoints = sql(narrowed(entity::touchpoint::Entity::find(), TouchpointFilter::default().condition()));
        assert!(!touchpoints.contains("WHERE"), "{touchpoints}");
    }

    #[test]
    fn given_fields_are_joined_without_placeholders() {
        let from = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").map(|t| t.to_utc()).ok();
        let filter = TouchpointFilter {
            occurred_at: TimeRange { from, to: None },
            survey_sent: Some(false),
            ..TouchpointFilter::default()
        };
        let touchpoints = sql(narrowed(entity::touchpoint::Entity::find(), filter.condition()));
        let clause = touchpoints.split_once("WHERE").map(|(_, clause)| clause).unwrap_or_default();
        assert_eq!(
            clause.trim(),
            r#""touchpoints"."occurred_at" >= '2025-01-01 00:00:00.000000 +00:00' AND "touchpoints"."survey_sent_at" IS NULL"#
        );
        let empty = IntRange::default().condition(entity::feedback::Column::Score);
        assert!(empty.is_none());
        let none_of = any_of(entity::feedback::Column::Score, &Some(Vec::<i32>::new()));
        assert!(none_of.is_some(), "an empty list matches nothing; it is not left out");
    }
}
