//! Storing a fit: the currency's previous model goes (its customers and tracking rows with it, ON DELETE
//! CASCADE) and the new one is written, all in one transaction that raises the data version.

use entity::{clv_customer, clv_model, clv_tracking};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{begin_write, commit};
use crate::services::clv::ClvModel;
use crate::services::writes::store::CHUNK;
use crate::stats::clv::{StoredPrediction, Summary};

/// One customer of a fit: their id, history and stored prediction.
pub type FittedCustomer = (i64, Summary, StoredPrediction);

pub async fn replace(db: &DatabaseConnection, model: &ClvModel, customers: &[FittedCustomer]) -> AppResult<()> {
    let currency = model.currency.code;
    let txn = begin_write(db).await?;
    clv_model::Entity::delete_many()
        .filter(clv_model::Column::Currency.eq(currency))
        .exec(&txn)
        .await
        .map_err(AppError::from_db)?;
    clv_model::Entity::insert(model_row(model)).exec_without_returning(&txn).await.map_err(AppError::from_db)?;
    for chunk in customers.chunks(CHUNK) {
        let rows = chunk.iter().map(|(customer_id, summary, prediction)| clv_customer::ActiveModel {
            currency: Set(currency.to_owned()),
            customer_id: Set(*customer_id),
            repeat_transactions: Set(to_i64(summary.repeat_transactions)),
            recency_days: Set(summary.recency_days),
            age_days: Set(summary.age_days),
            mean_repeat_value: Set(summary.mean_repeat_value),
            probability_alive: Set(prediction.probability_alive),
            predicted_clv: Set(prediction.predicted_clv),
        });
        clv_customer::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(AppError::from_db)?;
    }
    for chunk in model.tracking.chunks(CHUNK) {
        let rows = chunk.iter().map(|row| clv_tracking::ActiveModel {
            currency: Set(currency.to_owned()),
            period: Set(i32::try_from(row.period).unwrap_or(i32::MAX)),
            expected_cumulative: Set(row.expected_cumulative),
            actual_cumulative: Set(to_i64(row.actual_cumulative)),
        });
        clv_tracking::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(AppError::from_db)?;
    }
    commit(db, txn).await
}

fn to_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn model_row(model: &ClvModel) -> clv_model::ActiveModel {
    let (purchase, spend) = (&model.fit.purchase, &model.fit.spend);
    clv_model::ActiveModel {
        currency: Set(model.currency.code.to_owned()),
        time_unit: Set(model.fit.unit.as_str().to_owned()),
        calibration_end: Set(model.calibration_end),
        data_version: Set(model.data_version),
        fitted_at: Set(model.fitted_at),
        customers: Set(to_i64(model.fit.customers)),
        repeat_customers: Set(to_i64(model.fit.repeat_customers)),
        r: Set(purchase.model.r),
        alpha: Set(purchase.model.alpha),
        a: Set(purchase.model.a),
        b: Set(purchase.model.b),
        purchase_log_likelihood: Set(purchase.log_likelihood),
        r_standard_error: Set(purchase.standard_errors.r),
        alpha_standard_error: Set(purchase.standard_errors.alpha),
        a_standard_error: Set(purchase.standard_errors.a),
        b_standard_error: Set(purchase.standard_errors.b),
        p: Set(spend.model.p),
        q: Set(spend.model.q),
        gamma: Set(spend.model.gamma),
        spend_log_likelihood: Set(spend.log_likelihood),
        p_standard_error: Set(spend.standard_errors.p),
        q_standard_error: Set(spend.standard_errors.q),
        gamma_standard_error: Set(spend.standard_errors.gamma),
        spend_customers: Set(to_i64(spend.customers)),
    }
}
