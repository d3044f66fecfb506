//! A complaint a customer raised after a purchase, and how it was handled. Its touchpoint is the one of
//! the answer that raised it (`feedback_id`), so it is not stored twice.

use sea_orm::entity::prelude::*;

use crate::{Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub customer_id: i64,
    pub order_id: Option<i64>,
    /// The answer that raised the complaint (e.g. a detractor's); an answer raises at most one.
    #[sea_orm(unique)]
    pub feedback_id: Option<i64>,
    pub category: ComplaintCategory,
    pub channel: Channel,
    pub opened_at: DateTimeUtc,
    pub first_response_at: Option<DateTimeUtc>,
    /// When the complaint was closed, resolved or not.
    pub resolved_at: Option<DateTimeUtc>,
    pub status: ComplaintStatus,
    /// Set once the complaint is closed.
    pub outcome: Option<ComplaintOutcome>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::customer::Entity", from = "Column::CustomerId", to = "super::customer::Column::Id")]
    Customer,
    #[sea_orm(belongs_to = "super::order::Entity", from = "Column::OrderId", to = "super::order::Column::Id")]
    Order,
    #[sea_orm(belongs_to = "super::feedback::Entity", from = "Column::FeedbackId", to = "super::feedback::Column::Id")]
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
