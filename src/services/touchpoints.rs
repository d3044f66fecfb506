//! Touchpoints: filters, sort orders and the customer or order they hang off.

use chrono::{DateTime, Utc};
use entity::touchpoint::{Column, Entity, Model};
use entity::{Channel, OrderStatus, TouchpointKind};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Select};

use crate::services::filters::{TimeRange, any_of, at_or_after, narrowed};
use crate::services::insight_dimensions::{customers_matching, touchpoint_condition, touchpoints_where};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, ParentColumn, SortField, pageable_by_id};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TouchpointFilter {
    pub kinds: Option<Vec<TouchpointKind>>,
    pub channels: Option<Vec<Channel>>,
    pub occurred_at: TimeRange,
    pub survey_sent: Option<bool>,
    /// The status of the touchpoint's order; touchpoints without one never match.
    pub order_statuses: Option<Vec<OrderStatus>>,
    /// The customer's segment.
    pub segments: Option<Vec<String>>,
    /// The customer's region.
    pub regions: Option<Vec<String>>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl TouchpointFilter {
    pub fn condition(&self) -> Condition {
        let survey = self.survey_sent.map(|sent| match sent {
            true => Column::SurveySentAt.is_not_null(),
            false => Column::SurveySentAt.is_null(),
        });
        let mut cond = Condition::all()
            .add_option(any_of(Column::Kind, &self.kinds))
            .add_option(any_of(Column::Channel, &self.channels))
            .add_option(self.occurred_at.condition(Column::OccurredAt))
            .add_option(at_or_after(Column::UpdatedAt, self.updated_since))
            .add_option(survey);
        // The insights' dimensions, by the same conditions (`insight_dimensions`).
        if let Some(of_orders) = touchpoint_condition(None, None, self.order_statuses.as_deref()) {
            cond = cond.add(Column::Id.in_subquery(touchpoints_where(of_orders)));
        }
        if let Some(customers) = customers_matching(self.segments.as_deref(), self.regions.as_deref()) {
            cond = cond.add(Column::CustomerId.in_subquery(customers));
        }
        cond
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TouchpointSort {
    Id,
    OccurredAt,
    /// When a write last changed the touchpoint.
    UpdatedAt,
}

impl SortField for TouchpointSort {
    type Entity = Entity;

    fn name(self) -> String {
        let name = match self {
            TouchpointSort::Id => "id",
            TouchpointSort::OccurredAt => "occurredAt",
            TouchpointSort::UpdatedAt => "updatedAt",
        };
        name.to_owned()
    }

    fn expr(self) -> Expr {
        Expr::col(self.column().as_column_ref())
    }

    fn value(self, model: &Model) -> Option<CursorValue> {
        Some(self.cursor_value(model))
    }
}

impl TouchpointSort {
    fn column(self) -> Column {
        match self {
            TouchpointSort::Id => Column::Id,
            TouchpointSort::OccurredAt => Column::OccurredAt,
            TouchpointSort::UpdatedAt => Column::UpdatedAt,
        }
    }

    fn cursor_value(self, model: &Model) -> CursorValue {
        match self {
            TouchpointSort::Id => CursorValue::Int(model.id),
            TouchpointSort::OccurredAt => CursorValue::Time(model.occurred_at),
            TouchpointSort::UpdatedAt => CursorValue::Time(model.updated_at),
        }
    }
}

pageable_by_id!(
    id,
    external_id,
    customer_id,
    order_id,
    kind,
    channel,
    occurred_at,
    survey_sent_at,
    recorded_at,
    updated_at
);

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TouchpointParent {
    Customer,
    Order,
}

impl Listing for Entity {
    type Filter = TouchpointFilter;
    type Sort = TouchpointSort;
    type Parent = TouchpointParent;

    fn filtered(filter: &TouchpointFilter) -> Select<Self> {
        narrowed(Entity::find(), filter.condition())
    }

    fn scoped(select: Select<Self>, parent: TouchpointParent) -> (Select<Self>, ParentColumn) {
        match parent {
            TouchpointParent::Customer => (select, ParentColumn::of(Column::CustomerId)),
            TouchpointParent::Order => (select, ParentColumn::of(Column::OrderId)),
        }
    }
}
