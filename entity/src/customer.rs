//! A buyer, as known to the source system (`external_id`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub segment: String,
    pub region: String,
    /// When the customer was created in the source system (given by clients).
    pub created_at: DateTimeUtc,
    /// When this server first stored the row (not the source system's time: see `docs/api.md`).
    pub recorded_at: DateTimeUtc,
    /// When a write last changed the row; a write that changes nothing leaves it.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::order::Entity")]
    Order,
    #[sea_orm(has_many = "super::touchpoint::Entity")]
    Touchpoint,
    #[sea_orm(has_many = "super::feedback::Entity")]
    Feedback,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::touchpoint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Touchpoint.def()
    }
}

impl Related<super::feedback::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Feedback.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
