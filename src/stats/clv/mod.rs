//! Predictive customer lifetime value for non-contractual customers (`docs/clv.md`): the BG/NBD model of
//! repeat purchases (Fader, Hardie & Lee 2005) and the Gamma-Gamma model of spend per transaction
//! (Fader & Hardie 2013), fitted by maximum likelihood, and what they predict for a customer.
//!
//! Pure: histories come in as numbers (`summary`), fitted parameters and predictions go out. The
//! database aggregates the transactions; the services store the fits.

pub mod bg_nbd;
pub mod gamma_gamma;
pub mod hypergeometric;
pub mod models;
mod optimize;
pub mod summary;
pub mod tracking;
pub mod value;

pub use bg_nbd::{BgNbd, History, PurchasePatterns};
pub use gamma_gamma::{GammaGamma, SpendPatterns};
pub use models::{ClvModels, Fit, StoredPrediction};
pub use summary::{Summary, TimeUnit};

/// Why a model could not be fitted or evaluated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClvError {
    /// The data cannot support the model (too few customers, no repeat purchases, ...).
    #[error("{0}")]
    Data(String),
    /// The optimizer stopped before it found a maximum of the likelihood.
    #[error("the {model} fit did not converge: {reason}")]
    NotConverged { model: &'static str, reason: String },
    /// A series did not converge within its term budget (far horizons, or parameters out of range).
    #[error("the hypergeometric series 2F1({a}, {b}; {c}; {z}) did not converge")]
    Series { a: f64, b: f64, c: f64, z: f64 },
}

/// A fitted model: its parameters, the log-likelihood at them, the standard errors of the parameters
/// (from the inverse Hessian of the log-likelihood, in the parameters' own units) and how many
/// customers it was fitted on.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted<M> {
    pub model: M,
    pub log_likelihood: f64,
    pub standard_errors: M,
    pub customers: u64,
}
