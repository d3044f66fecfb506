//! A purchase. Money is integer minor units plus an ISO 4217 currency, never a float.

use sea_orm::entity::prelude::*;

use crate::OrderStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub customer_id: i64,
    pub placed_at: DateTimeUtc,
    pub status: OrderStatus,
    pub total_amount_minor: i64,
    pub currency: String,
    /// When this server first stored the row (not the source system's time: see `docs/api.md`).
    pub recorded_at: DateTimeUtc,
    /// When a write last changed the row; a write that changes nothing leaves it.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::customer::Entity", from = "Column::CustomerId", to = "super::customer::Column::Id")]
    Customer,
    #[sea_orm(has_many = "super::touchpoint::Entity")]
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
