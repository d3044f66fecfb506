//! `clv fit` and the `fitClvModel` mutation: the orders in the database, summarized in SQL, fitted, and
//! stored with each customer's predictions and the tracking plot.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::data_version;
use crate::domain::currency::Currency;
use crate::error::{AppError, AppResult};
use crate::services::clv::store::{FittedCustomer, replace};
use crate::services::clv::{ClvModel, histories};
use crate::stats::clv::summary::DayTotals;
use crate::stats::clv::tracking::{self, MAX_PERIODS, Transactions};
use crate::stats::clv::{ClvError, Summary, TimeUnit, models};

/// What to fit: orders in `currency` placed at or before `calibration_end`, times in `unit`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FitRequest {
    pub currency: Currency,
    pub calibration_end: DateTime<Utc>,
    pub unit: TimeUnit,
}

/// Fits both models and stores them in place of the currency's previous model. BAD_USER_INPUT when the
/// currency has no order by the calibration end, or the data spans too many periods of the time unit;
/// MODEL_FIT_FAILED when the data does not support the models (nothing is stored then).
pub async fn fit(db: &DatabaseConnection, request: FitRequest) -> AppResult<ClvModel> {
    let started = std::time::Instant::now();
    let data_version = data_version::read(db).await?;
    let histories::Histories { calibration: totals, tracking: transactions } =
        histories::read(db, request.currency, request.calibration_end).await?;
    if totals.is_empty() {
        return Err(AppError::bad_input(
            "currency",
            format!("no {} order counts at or before the calibration end", request.currency.code),
        ));
    }
    if let Some(periods) = tracking::periods(&transactions, request.unit).filter(|p| *p > MAX_PERIODS) {
        return Err(AppError::bad_input(
            "timeUnit",
            format!(
                "the data spans {periods} periods of a {}, more than {MAX_PERIODS}: fit in weeks",
                request.unit.as_str()
            ),
        ));
    }
    let read = started.elapsed();
    let calibration_end_day = day_number(request.calibration_end);
    let unit = request.unit;
    let (fit, tracking, customers) =
        tokio::task::spawn_blocking(move || compute(&totals, &transactions, calibration_end_day, unit))
            .await
            .map_err(|e| AppError::Internal(format!("the CLV fit stopped: {e}")))??;
    let model = ClvModel {
        currency: request.currency,
        calibration_end: request.calibration_end,
        data_version,
        fitted_at: Utc::now(),
        fit,
        tracking,
    };
    let computed = started.elapsed();
    replace(db, &model, &customers).await?;
    let milliseconds = |d: std::time::Duration| d.as_millis() as u64;
    tracing::info!(
        currency = request.currency.code,
        customers = model.fit.customers,
        read_ms = milliseconds(read),
        compute_ms = milliseconds(computed - read),
        store_ms = milliseconds(started.elapsed() - computed),
        "CLV model fitted"
    );
    Ok(model)
}

/// The CPU part of a fit, off the async runtime: both models, the tracking plot, every customer's
/// stored predictions.
fn compute(
    totals: &[(i64, DayTotals)],
    transactions: &Transactions,
    calibration_end_day: i64,
    unit: TimeUnit,
) -> Result<(models::Fit, Vec<tracking::TrackingRow>, Vec<FittedCustomer>), ClvError> {
    let summaries: Vec<Summary> = totals.iter().map(|(_, t)| Summary::new(*t, calibration_end_day)).collect();
    let fit = models::fit(&summaries, unit)?;
    let models = fit.models();
    let tracking = tracking::tracking(&models.purchase, unit, transactions)?;
    let predictions = models.stored_predictions(&summaries)?;
    let customers =
        totals.iter().zip(summaries).zip(predictions).map(|(((id, _), summary), p)| (*id, summary, p)).collect();
    Ok((fit, tracking, customers))
}

/// The UTC calendar day of `t`, as a day number (days since 1970-01-01), as SQL computes it.
fn day_number(t: DateTime<Utc>) -> i64 {
    t.date_naive().signed_duration_since(DateTime::UNIX_EPOCH.date_naive()).num_days()
}
