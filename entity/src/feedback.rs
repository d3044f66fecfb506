//! A survey answer. Relationship surveys (not tied to a touchpoint) have no `touchpoint_id`.

use sea_orm::entity::prelude::*;

use crate::SurveyMetric;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub customer_id: i64,
    pub touchpoint_id: Option<i64>,
    pub metric: SurveyMetric,
    pub score: i32,
    pub comment: Option<String>,
    pub submitted_at: DateTimeUtc,
    /// When this server first stored the row (not the source system's time: see `docs/api.md`).
    pub recorded_at: DateTimeUtc,
    /// When a write last changed the row; a write that changes nothing leaves it.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::customer::Entity", from = "Column::CustomerId", to = "super::customer::Column::Id")]
    Customer,
    #[sea_orm(
        belongs_to = "super::touchpoint::Entity",
        from = "Column::TouchpointId",
        to = "super::touchpoint::Column::Id"
    )]
    Touchpoint,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::touchpoint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Touchpoint.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
