//! The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma model of
//! monetary value"): a customer's transaction values are Gamma(p, ν) around their own mean, with
//! ν ~ Gamma(q, γ) across customers; spend is independent of how often they buy. It reads each
//! repeat customer's number of repeat transactions x and their mean value m_x.

use std::collections::HashMap;

use statrs::function::gamma::ln_gamma;

use super::optimize::maximize;
use super::{ClvError, Fitted};

/// The parameters: p (shape of a customer's transaction values), q and γ (how their means vary, γ in
/// major units of the currency).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// Repeat customers grouped by (x, m_x); customers without repeats, or whose repeats are worth nothing,
/// have no place in the model (its values are positive).
#[derive(Clone, Debug, Default)]
pub struct SpendPatterns {
    patterns: Vec<(u64, f64, u64)>,
    customers: u64,
}

impl SpendPatterns {
    /// Groups `(x, m_x)` pairs; those with x = 0 or m_x <= 0 are left out.
    pub fn new(customers: impl IntoIterator<Item = (u64, f64)>) -> Self {
        let mut counts: HashMap<(u64, u64), u64> = HashMap::new();
        for (x, mean) in customers {
            if x > 0 && mean > 0.0 && mean.is_finite() {
                *counts.entry((x, mean.to_bits())).or_default() += 1;
            }
        }
        let mut patterns: Vec<(u64, f64, u64)> =
            counts.into_iter().map(|((x, mean), n)| (x, f64::from_bits(mean), n)).collect();
        patterns.sort_by(|a, b| (a.0, a.1).partial_cmp(&(b.0, b.1)).unwrap_or(std::cmp::Ordering::Equal));
        let customers = patterns.iter().map(|(_, _, n)| n).sum();
        SpendPatterns { patterns, customers }
    }

    pub fn customers(&self) -> u64 {
        self.customers
    }
}

impl GammaGamma {
    fn from_slice(p: &[f64]) -> GammaGamma {
        GammaGamma { p: p[0], q: p[1], gamma: p[2] }
    }

    /// The log-likelihood of the patterns: the density of each customer's mean value m_x given x
    /// (equation 1a of Fader & Hardie's note).
    pub fn log_likelihood(&self, data: &SpendPatterns) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let (ln_q, ln_gamma_scale) = (ln_gamma(q), gamma.ln());
        let mut cached_x = None;
        let mut total = 0.0;
        for &(x, mean, count) in &data.patterns {
            // Patterns are sorted by x: the terms of x alone are computed once per x.
            let px = p * x as f64;
            let by_x = match cached_x {
                Some((seen, terms)) if seen == x => terms,
                _ => {
                    let terms = ln_gamma(px + q) - ln_gamma(px) - ln_q + px * (x as f64).ln();
                    cached_x = Some((x, terms));
                    terms
                }
            };
            let value = by_x + q * ln_gamma_scale + (px - 1.0) * mean.ln() - (px + q) * (gamma + mean * x as f64).ln();
            total += count as f64 * value;
        }
        total
    }

    /// Fits the model by maximum likelihood. A fit with q <= 1 is refused: its population mean spend
    /// (p γ / (q - 1)) would not be finite.
    pub fn fit(data: &SpendPatterns) -> Result<Fitted<GammaGamma>, ClvError> {
        if data.customers < 2 {
            return Err(ClvError::Data(
                "fewer than two customers with a repeat purchase of positive value: the spend model cannot be fitted"
                    .into(),
            ));
        }
        let log_likelihood = |p: &[f64]| GammaGamma::from_slice(p).log_likelihood(data);
        let maximum = maximize("spend (Gamma-Gamma)", &log_likelihood, &[1.0, 1.0, 1.0], data.customers)?;
        let model = GammaGamma::from_slice(&maximum.params);
        if model.q <= 1.0 {
            return Err(ClvError::Data(format!(
                "the spend model's q is {:.3}, not above 1: spend per transaction has no finite mean in it",
                model.q
            )));
        }
        Ok(Fitted {
            model,
            log_likelihood: maximum.log_likelihood,
            standard_errors: GammaGamma::from_slice(&maximum.standard_errors),
            customers: data.customers,
        })
    }

    /// The mean spend per transaction across customers: p γ / (q - 1).
    pub fn population_mean(&self) -> f64 {
        self.p * self.gamma / (self.q - 1.0)
    }

    /// E[M | x, m_x]: the spend per transaction to expect of a customer with x repeat transactions of
    /// mean value m_x (equation 5): a weighted mean of the population's mean and their own, the weight of
    /// their own growing with x. Without repeats (or without their value), the population's mean.
    pub fn expected_average_spend(&self, x: u64, mean: Option<f64>) -> f64 {
        match mean {
            Some(mean) if x > 0 => {
                let px = self.p * x as f64;
                let own = px / (px + self.q - 1.0);
                (1.0 - own) * self.population_mean() + own * mean
            }
            _ => self.population_mean(),
        }
    }
}
