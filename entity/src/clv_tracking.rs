//! One period of a CLV model's tracking plot: the calibration customers' cumulative repeat transactions,
//! expected by the model and actual.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clv_tracking")]
pub struct Model {
    /// The model's currency.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// 1 for the time unit that starts with the first purchase in the data.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: i32,
    pub expected_cumulative: f64,
    pub actual_cumulative: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::clv_model::Entity",
        from = "Column::Currency",
        to = "super::clv_model::Column::Currency"
    )]
    Model,
}

impl Related<super::clv_model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Model.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
