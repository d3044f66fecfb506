//! Feedback: filters (including the answer category and the touchpoint's kind), sort orders and the customer,
//! touchpoint or order it hangs off.

use chrono::{DateTime, Utc};
use entity::feedback::{Column, Entity, Model, Relation};
use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, touchpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, JoinType, QuerySelect, RelationTrait, Select};

use crate::services::filters::{IntRange, TimeRange, any_of, at_or_after, narrowed};
use crate::services::insight_dimensions::{customers_matching, touchpoint_condition, touchpoints_where};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, ParentColumn, SortField, pageable_by_id};
use crate::stats::satisfaction::SatisfactionCategory;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedbackFilter {
    pub metrics: Option<Vec<SurveyMetric>>,
    pub score: IntRange,
    /// Answers in any of these categories, each of its own metric.
    pub categories: Option<Vec<SatisfactionCategory>>,
    pub submitted_at: TimeRange,
    /// The kind of the touchpoint answered; relationship surveys (no touchpoint) never match.
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    /// The channel of the touchpoint answered; relationship surveys never match.
    pub channels: Option<Vec<Channel>>,
    /// The status of the answered touchpoint's order; answers without one never match.
    pub order_statuses: Option<Vec<OrderStatus>>,
    /// The answering customer's segment.
    pub segments: Option<Vec<String>>,
    /// The answering customer's region.
    pub regions: Option<Vec<String>>,
    pub has_comment: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl FeedbackFilter {
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all()
            .add_option(any_of(Column::Metric, &self.metrics))
            .add_option(self.score.condition(Column::Score))
            .add_option(self.submitted_at.condition(Column::SubmittedAt))
            .add_option(at_or_after(Column::UpdatedAt, self.updated_since));
        if let Some(categories) = &self.categories {
            let mut any = Condition::any();
            for category in categories {
                let (min, max) = category.score_range();
                let in_band =
                    Condition::all().add(Column::Metric.eq(category.metric())).add(Column::Score.between(min, max));
                any = any.add(in_band);
            }
            cond = cond.add(any);
        }
        // The insights' dimensions, by the same conditions (`insight_dimensions`).
        let (kinds, channels) = (self.touchpoint_kinds.as_deref(), self.channels.as_deref());
        if let Some(touchpoint) = touchpoint_condition(kinds, channels, self.order_statuses.as_deref()) {
            cond = cond.add(Column::TouchpointId.in_subquery(touchpoints_where(touchpoint)));
        }
        if let Some(customers) = customers_matching(self.segments.as_deref(), self.regions.as_deref()) {
            cond = cond.add(Column::CustomerId.in_subquery(customers));
        }
        match self.has_comment {
            None => cond,
            Some(true) => cond.add(Column::Comment.is_not_null()).add(Column::Comment.ne("")),
            Some(false) => cond.add(Condition::any().add(Column::Comment.is_null()).add(Column::Comment.eq(""))),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeedbackSort {
    Id,
    SubmittedAt,
    Score,
    /// When a write last changed the answer.
    UpdatedAt,
}

impl SortField for FeedbackSort {
    type Entity = Entity;

    fn name(self) -> String {
        let name = match self {
            FeedbackSort::Id => "id",
            FeedbackSort::SubmittedAt => "submittedAt",
            FeedbackSort::Score => "score",
            FeedbackSort::UpdatedAt => "updatedAt",
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

impl FeedbackSort {
    fn column(self) -> Column {
        match self {
            FeedbackSort::Id => Column::Id,
            FeedbackSort::SubmittedAt => Column::SubmittedAt,
            FeedbackSort::Score => Column::Score,
            FeedbackSort::UpdatedAt => Column::UpdatedAt,
        }
    }

    fn cursor_value(self, model: &Model) -> CursorValue {
        match self {
            FeedbackSort::Id => CursorValue::Int(model.id),
            FeedbackSort::SubmittedAt => CursorValue::Time(model.submitted_at),
            FeedbackSort::Score => CursorValue::Int(i64::from(model.score)),
            FeedbackSort::UpdatedAt => CursorValue::Time(model.updated_at),
        }
    }
}

pageable_by_id!(
    id,
    external_id,
    customer_id,
    touchpoint_id,
    metric,
    score,
    comment,
    submitted_at,
    recorded_at,
    updated_at
);

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeedbackParent {
    Customer,
    Touchpoint,
    /// The answers given at any touchpoint of the order.
    Order,
}

impl Listing for Entity {
    type Filter = FeedbackFilter;
    type Sort = FeedbackSort;
    type Parent = FeedbackParent;

    fn filtered(filter: &FeedbackFilter) -> Select<Self> {
        narrowed(Entity::find(), filter.condition())
    }

    fn scoped(select: Select<Self>, parent: FeedbackParent) -> (Select<Self>, ParentColumn) {
        match parent {
            FeedbackParent::Customer => (select, ParentColumn::of(Column::CustomerId)),
            FeedbackParent::Touchpoint => (select, ParentColumn::of(Column::TouchpointId)),
            FeedbackParent::Order => (
                select.join(JoinType::InnerJoin, Relation::Touchpoint.def()),
                ParentColumn::of(touchpoint::Column::OrderId),
            ),
        }
    }
}
