//! Predictive CLV models: fitted on the orders in the database and stored (`fit`), read back for the
//! insight and per customer (`read`). The math is `stats::clv`; `docs/clv.md` says what the models
//! assume and how to read them.

pub mod fit;
mod histories;
pub mod read;
mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::currency::Currency;
use crate::error::AppError;
use crate::stats::clv::tracking::TrackingRow;
use crate::stats::clv::{ClvError, ClvModels, Fit, Summary};

/// A currency's stored model: both fits, their calibration window, the data version they read, when they
/// were made, and the tracking plot.
#[derive(Clone, Debug, PartialEq)]
pub struct ClvModel {
    pub currency: Currency,
    pub calibration_end: DateTime<Utc>,
    pub data_version: i64,
    pub fitted_at: DateTime<Utc>,
    pub fit: Fit,
    pub tracking: Vec<TrackingRow>,
}

/// A customer under a currency's model: their history up to the calibration end and the predictions
/// stored with the fit; everything else is computed from the model on demand.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerClv {
    pub models: Arc<ClvModels>,
    pub summary: Summary,
    pub probability_alive: f64,
    pub predicted_clv: f64,
}

/// A fit that failed on the data, or a prediction that could not be computed.
impl From<ClvError> for AppError {
    fn from(error: ClvError) -> Self {
        AppError::ModelFit(error.to_string())
    }
}
