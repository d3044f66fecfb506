//! The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, "Counting your customers the easy
//! way"): while active, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they
//! drop out for good with probability p ~ Beta(a, b).

use std::collections::HashMap;

use statrs::function::gamma::ln_gamma;

use super::hypergeometric::hyp2f1;
use super::optimize::maximize;
use super::{ClvError, Fitted};

/// The parameters: r and α (purchase rate, α in time units), a and b (dropout).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// A customer's history in the model's time unit: x repeat purchases, the last at t_x, observed for T.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct History {
    pub x: u64,
    pub t_x: f64,
    pub t: f64,
}

/// Customers grouped by identical history: the likelihood of a group is computed once, and its terms
/// that depend on x, t_x or T alone once per distinct value (times are whole days in a unit, so there are
/// few of them).
#[derive(Clone, Debug, Default)]
pub struct PurchasePatterns {
    patterns: Vec<(History, u64)>,
    /// The distinct values of x, t_x and T, and where each pattern's are among them.
    xs: Distinct<u64>,
    recencies: Distinct<f64>,
    ages: Distinct<f64>,
    customers: u64,
}

/// The distinct values of one variable over the patterns, and the index of each pattern's value.
#[derive(Clone, Debug, Default)]
struct Distinct<T> {
    values: Vec<T>,
    index: Vec<usize>,
}

impl<T: Copy + PartialOrd> Distinct<T> {
    fn of(all: impl Iterator<Item = T>) -> Self {
        let all: Vec<T> = all.collect();
        let mut values = all.clone();
        values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        values.dedup_by(|a, b| a == b);
        let index = all
            .iter()
            .map(|v| values.partition_point(|known| known.partial_cmp(v) == Some(std::cmp::Ordering::Less)))
            .collect();
        Distinct { values, index }
    }
}

impl PurchasePatterns {
    /// Groups histories given with how many customers have each.
    pub fn new(histories: impl IntoIterator<Item = (History, u64)>) -> Self {
        let mut counts: HashMap<(u64, u64, u64), (History, u64)> = HashMap::new();
        for (history, count) in histories {
            let key = (history.x, history.t_x.to_bits(), history.t.to_bits());
            counts.entry(key).or_insert((history, 0)).1 += count;
        }
        let mut patterns: Vec<(History, u64)> = counts.into_values().filter(|(_, count)| *count > 0).collect();
        patterns.sort_by(|(a, _), (b, _)| {
            (a.x, a.t_x, a.t).partial_cmp(&(b.x, b.t_x, b.t)).unwrap_or(std::cmp::Ordering::Equal)
        });
        PurchasePatterns {
            xs: Distinct::of(patterns.iter().map(|(h, _)| h.x)),
            recencies: Distinct::of(patterns.iter().map(|(h, _)| h.t_x)),
            ages: Distinct::of(patterns.iter().map(|(h, _)| h.t)),
            customers: patterns.iter().map(|(_, count)| count).sum(),
            patterns,
        }
    }

    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Customers with at least one repeat purchase.
    pub fn repeat_customers(&self) -> u64 {
        self.patterns.iter().filter(|(h, _)| h.x > 0).map(|(_, count)| count).sum()
    }
}

/// ln(e^u + e^v) without overflow.
fn log_add_exp(u: f64, v: f64) -> f64 {
    let high = u.max(v);
    if high == f64::NEG_INFINITY { high } else { high + ((u - high).exp() + (v - high).exp()).ln() }
}

impl BgNbd {
    fn from_slice(p: &[f64]) -> BgNbd {
        BgNbd { r: p[0], alpha: p[1], a: p[2], b: p[3] }
    }

    /// The log-likelihood of the patterns (equation 6 of the paper, in logs).
    pub fn log_likelihood(&self, data: &PurchasePatterns) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let (ln_r, ln_b, ln_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        // Per distinct x: ln Γ(r+x) - ln Γ(r) and ln B(a, b+x) - ln B(a, b).
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        // Per distinct x: ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x) - ln B(a, b), and ln a - ln(b+x-1).
        let by_x: Vec<(f64, f64)> = data
            .xs
            .values
            .iter()
            .map(|&x| {
                let x = x as f64;
                let rate = ln_gamma(r + x) - ln_r + r * ln_alpha;
                let dropout = ln_ab + ln_gamma(b + x) - ln_b - ln_gamma(a + b + x);
                (rate + dropout, if x > 0.0 { ln_a - (b + x - 1.0).ln() } else { f64::NEG_INFINITY })
            })
            .collect();
        let ln_alpha_plus = |times: &Distinct<f64>| times.values.iter().map(|t| (alpha + t).ln()).collect::<Vec<f64>>();
        let (by_recency, by_age) = (ln_alpha_plus(&data.recencies), ln_alpha_plus(&data.ages));
        let mut total = 0.0;
        for (i, (history, count)) in data.patterns.iter().enumerate() {
            let (common, dead_odds) = by_x[data.xs.index[i]];
            let power = r + history.x as f64;
            let alive = -power * by_age[data.ages.index[i]];
            let dead = dead_odds - power * by_recency[data.recencies.index[i]];
            total += *count as f64 * (common + log_add_exp(alive, dead));
        }
        total
    }

    /// Fits the model by maximum likelihood.
    pub fn fit(data: &PurchasePatterns) -> Result<Fitted<BgNbd>, ClvError> {
        if data.repeat_customers() == 0 {
            return Err(ClvError::Data(
                "no customer made a repeat purchase: the purchase model cannot be fitted".into(),
            ));
        }
        let log_likelihood = |p: &[f64]| BgNbd::from_slice(p).log_likelihood(data);
        let mean_age = data.patterns.iter().map(|(h, n)| h.t * *n as f64).sum::<f64>() / data.customers as f64;
        let start = [1.0, mean_age.max(1.0), 1.0, 1.0];
        let maximum = maximize("purchase (BG/NBD)", &log_likelihood, &start, data.customers)?;
        Ok(Fitted {
            model: BgNbd::from_slice(&maximum.params),
            log_likelihood: maximum.log_likelihood,
            standard_errors: BgNbd::from_slice(&maximum.standard_errors),
            customers: data.customers,
        })
    }

    /// ln of the odds that a customer with this history dropped out after their last purchase:
    /// ln(a / (b + x - 1)) + (r + x) ln((α + T) / (α + t_x)); none without repeat purchases (the model
    /// has them alive).
    fn log_odds_dead(&self, h: History) -> Option<f64> {
        let x = h.x as f64;
        (h.x > 0).then(|| {
            (self.a / (self.b + x - 1.0)).ln() + (self.r + x) * ((self.alpha + h.t) / (self.alpha + h.t_x)).ln()
        })
    }

    /// P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive) using the BG/NBD model").
    pub fn probability_alive(&self, h: History) -> f64 {
        self.log_odds_dead(h).map_or(1.0, |odds| 1.0 / (1.0 + odds.exp()))
    }

    /// E[X(t) | x, t_x, T]: the purchases expected in the next `t` time units (equation 10): those
    /// expected of an active customer, times the probability that the customer is active.
    pub fn expected_purchases(&self, h: History, t: f64) -> Result<f64, ClvError> {
        Ok(self.expected_purchases_if_alive(h, t)? * self.probability_alive(h))
    }

    /// The purchases expected in the next `t` time units of a customer who is still active: the
    /// numerator of equation 10, (a+b+x-1)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1;
    /// t/(α+T+t))], which depends on x and T but not on t_x.
    pub fn expected_purchases_if_alive(&self, h: History, t: f64) -> Result<f64, ClvError> {
        if t <= 0.0 {
            return Ok(0.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let x = h.x as f64;
        let hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, t / (alpha + h.t + t))?;
        let power = (r + x) * ((alpha + h.t) / (alpha + h.t + t)).ln();
        Ok((a + b + x - 1.0) / (a - 1.0) * (1.0 - hyp.sign * (hyp.ln_abs + power).exp()))
    }

    /// E[X(t)]: the repeat purchases a new customer makes in their first `t` time units (equation 9).
    pub fn expected_purchases_of_new_customer(&self, t: f64) -> Result<f64, ClvError> {
        if t <= 0.0 {
            return Ok(0.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let hyp = hyp2f1(r, b, a + b - 1.0, t / (alpha + t))?;
        let power = r * (alpha / (alpha + t)).ln();
        Ok((a + b - 1.0) / (a - 1.0) * (1.0 - hyp.sign * (hyp.ln_abs + power).exp()))
    }
}
