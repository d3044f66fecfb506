//! Tombstones of deleted rows (`Query.deletions`): listed by time of deletion, from a time on, of some
//! types. They are written by the deletes themselves (`writes::tombstones`).

use chrono::{DateTime, Utc};
use entity::NodeType;
use entity::deletion::{Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Select};

use crate::services::customers::NoParent;
use crate::services::filters::{any_of, at_or_after, narrowed};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, ParentColumn, SortField, pageable_by_id};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeletionFilter {
    /// Rows deleted at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub node_types: Option<Vec<NodeType>>,
}

impl DeletionFilter {
    pub fn condition(&self) -> Condition {
        Condition::all()
            .add_option(at_or_after(Column::DeletedAt, self.since))
            .add_option(any_of(Column::NodeType, &self.node_types))
    }
}

/// Tombstones come in one order: the order of deletion (time, then insertion).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeletionSort {
    DeletedAt,
}

impl SortField for DeletionSort {
    type Entity = Entity;

    fn name(self) -> String {
        "deletedAt".to_owned()
    }

    fn expr(self) -> Expr {
        Expr::col(Column::DeletedAt.as_column_ref())
    }

    fn value(self, model: &Model) -> Option<CursorValue> {
        Some(CursorValue::Time(model.deleted_at))
    }
}

pageable_by_id!();

impl Listing for Entity {
    type Filter = DeletionFilter;
    type Sort = DeletionSort;
    type Parent = NoParent;

    fn filtered(filter: &DeletionFilter) -> Select<Self> {
        narrowed(Entity::find(), filter.condition())
    }

    fn scoped(_select: Select<Self>, parent: NoParent) -> (Select<Self>, ParentColumn) {
        match parent {}
    }
}
