//! Customers: filters and sort orders of the `customers` connection.

use entity::customer::{self, Column, Entity, Model};
use sea_orm::{Condition, EntityTrait, QueryFilter, Select};

use crate::services::filters::{TimeRange, any_of};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, Pageable, ParentColumn, SortField};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CustomerFilter {
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub external_ids: Option<Vec<String>>,
    pub created_at: TimeRange,
}

impl CustomerFilter {
    pub fn condition(&self) -> Condition {
        Condition::all()
            .add(any_of(Column::Segment, &self.segments))
            .add(any_of(Column::Region, &self.regions))
            .add(any_of(Column::ExternalId, &self.external_ids))
            .add(self.created_at.condition(Column::CreatedAt))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CustomerSort {
    Id,
    CreatedAt,
    Name,
    ExternalId,
}

impl SortField for CustomerSort {
    type Entity = Entity;

    fn name(self) -> &'static str {
        match self {
            CustomerSort::Id => "id",
            CustomerSort::CreatedAt => "createdAt",
            CustomerSort::Name => "name",
            CustomerSort::ExternalId => "externalId",
        }
    }

    fn column(self) -> Column {
        match self {
            CustomerSort::Id => Column::Id,
            CustomerSort::CreatedAt => Column::CreatedAt,
            CustomerSort::Name => Column::Name,
            CustomerSort::ExternalId => Column::ExternalId,
        }
    }

    fn value(self, model: &Model) -> CursorValue {
        match self {
            CustomerSort::Id => CursorValue::Int(model.id),
            CustomerSort::CreatedAt => CursorValue::Time(model.created_at),
            CustomerSort::Name => CursorValue::Text(model.name.clone()),
            CustomerSort::ExternalId => CursorValue::Text(model.external_id.clone()),
        }
    }
}

impl Pageable for Entity {
    fn id_column() -> Column {
        Column::Id
    }

    fn id_of(model: &Model) -> i64 {
        model.id
    }
}

/// Customers are only listed at the root, so they have no parent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NoParent {}

impl Listing for Entity {
    type Filter = CustomerFilter;
    type Sort = CustomerSort;
    type Parent = NoParent;

    fn filtered(filter: &CustomerFilter) -> Select<Self> {
        customer::Entity::find().filter(filter.condition())
    }

    fn scoped(_select: Select<Self>, parent: NoParent) -> (Select<Self>, ParentColumn) {
        match parent {}
    }
}
