//! Filter building blocks shared by every entity.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};

/// A half-open time range `[from, to)`; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    pub fn condition(&self, column: impl ColumnTrait) -> Condition {
        let mut cond = Condition::all();
        if let Some(from) = self.from {
            cond = cond.add(column.gte(from));
        }
        if let Some(to) = self.to {
            cond = cond.add(column.lt(to));
        }
        cond
    }
}

/// Rows whose time in `column` is at or after `since`, when given: how incremental extracts read the rows
/// changed (`updated_at`) or deleted (`deleted_at`) since their last run (`docs/api.md`).
pub fn at_or_after(column: impl ColumnTrait, since: Option<DateTime<Utc>>) -> Condition {
    TimeRange { from: since, to: None }.condition(column)
}

/// An inclusive integer range `[min, max]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IntRange {
    pub min: Option<i32>,
    pub max: Option<i32>,
}

impl IntRange {
    pub fn condition(&self, column: impl ColumnTrait) -> Condition {
        let mut cond = Condition::all();
        if let Some(min) = self.min {
            cond = cond.add(column.gte(min));
        }
        if let Some(max) = self.max {
            cond = cond.add(column.lte(max));
        }
        cond
    }
}

/// `column IN (values)` when a list is given. An empty list matches nothing, as `IN ()` would.
pub fn any_of<V>(column: impl ColumnTrait, values: &Option<Vec<V>>) -> Condition
where
    V: Clone + Into<sea_orm::Value>,
{
    match values {
        None => Condition::all(),
        Some(values) => Condition::all().add(column.is_in(values.iter().cloned())),
    }
}
