//! A fitted predictive CLV model, one per currency (a new fit replaces it): the BG/NBD purchase model and
//! the Gamma-Gamma spend model, with the calibration window, the data version and the time of the fit.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clv_models")]
pub struct Model {
    /// ISO 4217: the model reads only orders in this currency.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// `DAY` or `WEEK`: the unit of every time of the model (α, t_x, T, periods).
    pub time_unit: String,
    /// Orders placed at or before this count.
    pub calibration_end: DateTimeUtc,
    /// The data version the fit read (`db::data_version`).
    pub data_version: i64,
    pub fitted_at: DateTimeUtc,
    /// Customers with an order in the currency up to the calibration end.
    pub customers: i64,
    /// Those of them with a repeat transaction.
    pub repeat_customers: i64,
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub purchase_log_likelihood: f64,
    pub r_standard_error: f64,
    pub alpha_standard_error: f64,
    pub a_standard_error: f64,
    pub b_standard_error: f64,
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
    pub spend_log_likelihood: f64,
    pub p_standard_error: f64,
    pub q_standard_error: f64,
    pub gamma_standard_error: f64,
    /// Customers the spend model was fitted on: repeat customers whose repeats have a positive value.
    pub spend_customers: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::clv_customer::Entity")]
    Customer,
    #[sea_orm(has_many = "super::clv_tracking::Entity")]
    Tracking,
}

impl Related<super::clv_customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::clv_tracking::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tracking.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
