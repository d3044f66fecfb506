//! Feedback: filters (including NPS category and the touchpoint's kind), sort orders and the customer,
//! touchpoint or order it hangs off.

use entity::feedback::{Column, Entity, Model, Relation};
use entity::{SurveyMetric, TouchpointKind, touchpoint};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait, Select};

use crate::services::filters::{IntRange, TimeRange, any_of};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, Pageable, ParentColumn, SortField};
use crate::stats::satisfaction::Category;

/// The NPS answer categories filters name; their score ranges are those of `Category`
/// (`docs/metrics.md`, "Survey scales").
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NpsCategory {
    Promoter,
    Passive,
    Detractor,
}

impl NpsCategory {
    const ALL: [NpsCategory; 3] = [NpsCategory::Promoter, NpsCategory::Passive, NpsCategory::Detractor];

    pub const fn category(self) -> Category {
        match self {
            NpsCategory::Promoter => Category::Promoter,
            NpsCategory::Passive => Category::Passive,
            NpsCategory::Detractor => Category::Detractor,
        }
    }

    pub const fn score_range(self) -> (i32, i32) {
        self.category().score_range()
    }

    /// The category of an NPS score; a score beyond the scale (which the database refuses) falls in the
    /// category of the scale's nearest end.
    pub fn of_score(score: i32) -> Self {
        let (low, high) = SurveyMetric::Nps.score_range();
        let score = score.clamp(low, high);
        let holds = |category: &NpsCategory| {
            let (from, to) = category.score_range();
            (from..=to).contains(&score)
        };
        Self::ALL.into_iter().find(holds).unwrap_or(NpsCategory::Detractor)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedbackFilter {
    pub metrics: Option<Vec<SurveyMetric>>,
    pub score: IntRange,
    /// Implies `metric = NPS`.
    pub nps_categories: Option<Vec<NpsCategory>>,
    pub submitted_at: TimeRange,
    /// The kind of the touchpoint answered; relationship surveys (no touchpoint) never match.
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    pub has_comment: Option<bool>,
}

impl FeedbackFilter {
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all()
            .add(any_of(Column::Metric, &self.metrics))
            .add(self.score.condition(Column::Score))
            .add(self.submitted_at.condition(Column::SubmittedAt));
        if let Some(categories) = &self.nps_categories {
            let mut any = Condition::any();
            for category in categories {
                let (min, max) = category.score_range();
                any = any.add(Column::Score.between(min, max));
            }
            cond = cond.add(Column::Metric.eq(SurveyMetric::Nps)).add(any);
        }
        if let Some(kinds) = &self.touchpoint_kinds {
            let touchpoints_of_kind = Query::select()
                .column(touchpoint::Column::Id)
                .from(touchpoint::Entity)
                .and_where(touchpoint::Column::Kind.is_in(kinds.iter().copied()))
                .to_owned();
            cond = cond.add(Column::TouchpointId.in_subquery(touchpoints_of_kind));
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
}

impl SortField for FeedbackSort {
    type Entity = Entity;

    fn name(self) -> String {
        let name = match self {
            FeedbackSort::Id => "id",
            FeedbackSort::SubmittedAt => "submittedAt",
            FeedbackSort::Score => "score",
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
        }
    }

    fn cursor_value(self, model: &Model) -> CursorValue {
        match self {
            FeedbackSort::Id => CursorValue::Int(model.id),
            FeedbackSort::SubmittedAt => CursorValue::Time(model.submitted_at),
            FeedbackSort::Score => CursorValue::Int(i64::from(model.score)),
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
        Entity::find().filter(filter.condition())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_categories_are_the_bands_of_the_nps_scale() {
        let of = |scores: std::ops::RangeInclusive<i32>| scores.map(NpsCategory::of_score).collect::<Vec<_>>();
        assert!(of(0..=6).iter().all(|c| *c == NpsCategory::Detractor));
        assert!(of(7..=8).iter().all(|c| *c == NpsCategory::Passive));
        assert!(of(9..=10).iter().all(|c| *c == NpsCategory::Promoter));
        assert_eq!(
            (NpsCategory::of_score(-1), NpsCategory::of_score(11)),
            (NpsCategory::Detractor, NpsCategory::Promoter)
        );
        assert_eq!(NpsCategory::Passive.score_range(), (7, 8));
    }
}
