//! Stored CLV models, read back: a currency's model with its tracking plot, and many customers under it
//! in one statement (for the `Customer.clv` batch loader).

use std::collections::HashMap;
use std::sync::Arc;

use entity::{clv_customer, clv_model, clv_tracking};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::currency::Currency;
use crate::error::{AppError, AppResult};
use crate::services::clv::{ClvModel, CustomerClv};
use crate::stats::clv::tracking::TrackingRow;
use crate::stats::clv::{BgNbd, ClvModels, Fit, Fitted, GammaGamma, Summary, TimeUnit};

/// The model of `currency`; none before its first fit.
pub async fn model(db: &impl ConnectionTrait, currency: Currency) -> AppResult<Option<ClvModel>> {
    let Some(row) = clv_model::Entity::find_by_id(currency.code).one(db).await.map_err(AppError::from_db)? else {
        return Ok(None);
    };
    let tracking = clv_tracking::Entity::find()
        .filter(clv_tracking::Column::Currency.eq(currency.code))
        .order_by_asc(clv_tracking::Column::Period)
        .all(db)
        .await
        .map_err(AppError::from_db)?;
    let fit = fit_of(&row)?;
    Ok(Some(ClvModel {
        currency,
        calibration_end: row.calibration_end,
        data_version: row.data_version,
        fitted_at: row.fitted_at,
        fit,
        tracking: tracking
            .into_iter()
            .map(|t| TrackingRow {
                period: u32::try_from(t.period).unwrap_or(0),
                expected_cumulative: t.expected_cumulative,
                actual_cumulative: u64::try_from(t.actual_cumulative).unwrap_or(0),
            })
            .collect(),
    }))
}

/// The customers among `customer_ids` that the model of `currency` covers (none without a model).
pub async fn customers(
    db: &impl ConnectionTrait,
    currency: &str,
    customer_ids: &[i64],
) -> AppResult<HashMap<i64, CustomerClv>> {
    let rows = clv_customer::Entity::find()
        .find_also_related(clv_model::Entity)
        .filter(clv_customer::Column::Currency.eq(currency))
        .filter(clv_customer::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .all(db)
        .await
        .map_err(AppError::from_db)?;
    let mut models: Option<Arc<ClvModels>> = None;
    let mut found = HashMap::with_capacity(rows.len());
    for (customer, model) in rows {
        let Some(model) = model else { continue };
        let models = match &models {
            Some(models) => models.clone(),
            None => models.insert(Arc::new(fit_of(&model)?.models())).clone(),
        };
        let summary = Summary {
            repeat_transactions: u64::try_from(customer.repeat_transactions).unwrap_or(0),
            recency_days: customer.recency_days,
            age_days: customer.age_days,
            mean_repeat_value: customer.mean_repeat_value,
        };
        found.insert(
            customer.customer_id,
            CustomerClv {
                models,
                summary,
                probability_alive: customer.probability_alive,
                predicted_clv: customer.predicted_clv,
            },
        );
    }
    Ok(found)
}

fn fit_of(row: &clv_model::Model) -> AppResult<Fit> {
    let unit = TimeUnit::parse(&row.time_unit).ok_or_else(|| {
        AppError::Internal(format!("the CLV model of {} has the time unit {:?}", row.currency, row.time_unit))
    })?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(Fit {
        purchase: Fitted {
            model: BgNbd { r: row.r, alpha: row.alpha, a: row.a, b: row.b },
            log_likelihood: row.purchase_log_likelihood,
            standard_errors: BgNbd {
                r: row.r_standard_error,
                alpha: row.alpha_standard_error,
                a: row.a_standard_error,
                b: row.b_standard_error,
            },
            customers: count(row.customers),
        },
        spend: Fitted {
            model: GammaGamma { p: row.p, q: row.q, gamma: row.gamma },
            log_likelihood: row.spend_log_likelihood,
            standard_errors: GammaGamma {
                p: row.p_standard_error,
                q: row.q_standard_error,
                gamma: row.gamma_standard_error,
            },
            customers: count(row.spend_customers),
        },
        unit,
        customers: count(row.customers),
        repeat_customers: count(row.repeat_customers),
    })
}
