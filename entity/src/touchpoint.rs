//! A moment where the company met the customer after a purchase; some of them sent a survey.

use sea_orm::entity::prelude::*;

use crate::{Channel, TouchpointKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "touchpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub customer_id: i64,
    pub order_id: Option<i64>,
    pub kind: TouchpointKind,
    pub channel: Channel,
    pub occurred_at: DateTimeUtc,
    pub survey_sent_at: Option<DateTimeUtc>,
    /// When this server first stored the row (not the source system's time: see `docs/api.md`).
    pub recorded_at: DateTimeUtc,
    /// When a write last changed the row; a write that changes nothing leaves it.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::customer::Entity", from = "Column::CustomerId", to = "super::customer::Column::Id")]
    Customer,
    #[sea_orm(belongs_to = "super::order::Entity", from = "Column::OrderId", to = "super::order::Column::Id")]
    Order,
    #[sea_orm(has_many = "super::feedback::Entity")]
    Feedback,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::feedback::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Feedback.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
