//! A customer as a CLV model sees them: their history up to the calibration end (x, t_x and T in whole
//! days, the mean value of their repeat transactions) and, for ordering customers, their probability of
//! being alive and their predicted CLV at the stored horizon.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clv_customers")]
pub struct Model {
    /// The model's currency.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: i64,
    /// x: transactions (distinct purchase days) after the first.
    pub repeat_transactions: i64,
    /// t_x in days: from the first transaction to the last.
    pub recency_days: i64,
    /// T in days: from the first transaction to the calibration end.
    pub age_days: i64,
    /// In major units; none without repeat transactions.
    pub mean_repeat_value: Option<f64>,
    pub probability_alive: f64,
    /// In major units, over the stored horizon at the stored discount rate (`docs/clv.md`).
    pub predicted_clv: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::clv_model::Entity",
        from = "Column::Currency",
        to = "super::clv_model::Column::Currency"
    )]
    Model,
    #[sea_orm(belongs_to = "super::customer::Entity", from = "Column::CustomerId", to = "super::customer::Column::Id")]
    Customer,
}

impl Related<super::clv_model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Model.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
