//! Maximum likelihood for the CLV models: Nelder-Mead (argmin) on the logarithms of the parameters, which
//! are all positive, a check that it stopped at a stationary point, and standard errors from the Hessian
//! of the log-likelihood in the parameters' own units.

use argmin::core::{CostFunction, Error, Executor, State, TerminationReason, TerminationStatus};
use argmin::solver::neldermead::NelderMead;

use super::ClvError;

/// Iterations of one Nelder-Mead run.
const MAX_ITERATIONS: u64 = 20_000;
/// A run stops when the standard deviation of the simplex's values (the mean negative log-likelihood
/// per customer) falls below this.
const SPREAD_TOLERANCE: f64 = 1e-13;
/// At the optimum, no derivative of the mean log-likelihood by the log of a parameter may exceed this.
const GRADIENT_TOLERANCE: f64 = 1e-5;
/// Restarts of Nelder-Mead from its own optimum: a simplex can collapse before it reaches the maximum,
/// and a fresh one around the point found moves on if so.
const RESTARTS: usize = 1;

/// The maximum of a log-likelihood over positive parameters.
pub(super) struct Maximum {
    pub params: Vec<f64>,
    pub log_likelihood: f64,
    pub standard_errors: Vec<f64>,
}

/// The negative mean log-likelihood of log-parameters: what Nelder-Mead minimizes. Values that are not
/// numbers (parameters where the likelihood is undefined) count as infinitely bad.
struct Objective<'a, L> {
    log_likelihood: &'a L,
    customers: f64,
}

impl<L: Fn(&[f64]) -> f64> Objective<'_, L> {
    fn at(&self, log_params: &[f64]) -> f64 {
        let params: Vec<f64> = log_params.iter().map(|p| p.exp()).collect();
        let value = -(self.log_likelihood)(&params) / self.customers;
        if value.is_nan() { f64::INFINITY } else { value }
    }
}

impl<L: Fn(&[f64]) -> f64> CostFunction for Objective<'_, L> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, log_params: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.at(log_params))
    }
}

/// Maximizes `log_likelihood` (of the parameters, all positive) from `start`; `customers` scales it to a
/// mean, so that the tolerances mean the same for any amount of data. `model` names the model in errors.
pub(super) fn maximize<L>(
    model: &'static str,
    log_likelihood: &L,
    start: &[f64],
    customers: u64,
) -> Result<Maximum, ClvError>
where
    L: Fn(&[f64]) -> f64,
{
    let not_converged = |reason: String| ClvError::NotConverged { model, reason };
    let objective = Objective { log_likelihood, customers: customers.max(1) as f64 };
    let mut best: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    let mut step = 1.0;
    for _ in 0..=RESTARTS {
        let simplex = simplex(&best, step);
        let solver =
            NelderMead::new(simplex).with_sd_tolerance(SPREAD_TOLERANCE).map_err(|e| not_converged(e.to_string()))?;
        let problem = Objective { log_likelihood, customers: objective.customers };
        let result = Executor::new(problem, solver)
            .configure(|state| state.max_iters(MAX_ITERATIONS))
            .timer(false)
            .run()
            .map_err(|e| not_converged(e.to_string()))?;
        let state = result.state();
        if state.get_termination_status() != &TerminationStatus::Terminated(TerminationReason::SolverConverged) {
            return Err(not_converged(format!("stopped after {} iterations", state.get_iter())));
        }
        let found = state.get_best_param().cloned().ok_or_else(|| not_converged("no parameters".into()))?;
        if objective.at(&found) <= objective.at(&best) {
            best = found;
        }
        step = 0.05;
    }
    let value = objective.at(&best);
    if !value.is_finite() {
        return Err(not_converged("the likelihood is zero everywhere it looked".into()));
    }
    let gradient = gradient(&|p: &[f64]| objective.at(p), &best);
    if let Some(g) = gradient.iter().find(|g| g.abs() > GRADIENT_TOLERANCE || !g.is_finite()) {
        return Err(not_converged(format!("the log-likelihood still changes ({g:e} per log-unit) where it stopped")));
    }
    let params: Vec<f64> = best.iter().map(|p| p.exp()).collect();
    let standard_errors = standard_errors(log_likelihood, &params).ok_or_else(|| {
        not_converged("the log-likelihood has no proper maximum there (its Hessian is not negative definite)".into())
    })?;
    Ok(Maximum { log_likelihood: log_likelihood(&params), params, standard_errors })
}

/// The start and one point `step` further along each axis.
fn simplex(start: &[f64], step: f64) -> Vec<Vec<f64>> {
    let mut points = vec![start.to_vec()];
    for i in 0..start.len() {
        let mut point = start.to_vec();
        point[i] += step;
        points.push(point);
    }
    points
}

/// Central differences.
fn gradient(f: &impl Fn(&[f64]) -> f64, at: &[f64]) -> Vec<f64> {
    const H: f64 = 1e-5;
    (0..at.len())
        .map(|i| {
            let mut up = at.to_vec();
            let mut down = at.to_vec();
            up[i] += H;
            down[i] -= H;
            (f(&up) - f(&down)) / (2.0 * H)
        })
        .collect()
}

/// Standard errors of the maximum likelihood estimates `at`: the square roots of the diagonal of the
/// inverse of the negative Hessian of the log-likelihood (central differences, steps relative to each
/// parameter). None when that matrix is not positive definite.
pub(super) fn standard_errors(log_likelihood: &impl Fn(&[f64]) -> f64, at: &[f64]) -> Option<Vec<f64>> {
    let n = at.len();
    let steps: Vec<f64> = at.iter().map(|p| 1e-4 * p.abs().max(1e-8)).collect();
    let f = |shifts: &[(usize, f64)]| {
        let mut point = at.to_vec();
        for &(i, sign) in shifts {
            point[i] += sign * steps[i];
        }
        -log_likelihood(&point)
    };
    let center = f(&[]);
    let mut hessian = vec![vec![0.0; n]; n];
    for i in 0..n {
        hessian[i][i] = (f(&[(i, 1.0)]) - 2.0 * center + f(&[(i, -1.0)])) / (steps[i] * steps[i]);
        for j in 0..i {
            let mixed = f(&[(i, 1.0), (j, 1.0)]) - f(&[(i, 1.0), (j, -1.0)]) - f(&[(i, -1.0), (j, 1.0)])
                + f(&[(i, -1.0), (j, -1.0)]);
            hessian[i][j] = mixed / (4.0 * steps[i] * steps[j]);
            hessian[j][i] = hessian[i][j];
        }
    }
    let inverse = invert_positive_definite(&hessian)?;
    (0..n).map(|i| Some(inverse[i][i]).filter(|v| *v > 0.0 && v.is_finite()).map(f64::sqrt)).collect()
}

/// The inverse of a symmetric positive definite matrix (Cholesky); None when it is not one.
fn invert_positive_definite(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    // matrix = L Lᵀ
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let diagonal = matrix[i][i] - sum;
                if !(diagonal > 0.0 && diagonal.is_finite()) {
                    return None;
                }
                l[i][i] = diagonal.sqrt();
            } else {
                l[i][j] = (matrix[i][j] - sum) / l[j][j];
            }
        }
    }
    // Solve L Lᵀ x = e_j for each unit vector e_j: the j-th column of the inverse, which is symmetric, so
    // the columns are its rows too.
    let solve = |j: usize| {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let unit = if i == j { 1.0 } else { 0.0 };
            y[i] = (unit - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            x[i] = (y[i] - (i + 1..n).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
        }
        x
    };
    Some((0..n).map(solve).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_maximum_and_its_curvature() {
        // The log-likelihood of 50 draws from an exponential with mean 2 (sum 100) as a function of the
        // rate: 50 ln λ - 100 λ, maximal at λ = 0.5 with standard error λ / sqrt(50).
        let log_likelihood = |p: &[f64]| 50.0 * p[0].ln() - 100.0 * p[0];
        let maximum = maximize("exponential", &log_likelihood, &[3.0], 50).unwrap();
        assert!((maximum.params[0] - 0.5).abs() < 1e-6, "{}", maximum.params[0]);
        assert!((maximum.standard_errors[0] - 0.5 / 50f64.sqrt()).abs() < 1e-6);
        assert!((maximum.log_likelihood - (50.0 * 0.5f64.ln() - 50.0)).abs() < 1e-9);
    }

    #[test]
    fn no_maximum_is_an_error() {
        // Increasing without end: the optimizer runs off towards infinity and says so.
        let unbounded = |p: &[f64]| p[0].ln() + p[1].ln();
        assert!(matches!(maximize("unbounded", &unbounded, &[1.0, 1.0], 10), Err(ClvError::NotConverged { .. })));
    }

    #[test]
    fn inverts_a_positive_definite_matrix_only() {
        let inverse = invert_positive_definite(&[vec![4.0, 2.0], vec![2.0, 3.0]]).unwrap();
        let expected = [[3.0 / 8.0, -2.0 / 8.0], [-2.0 / 8.0, 4.0 / 8.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inverse[i][j] - expected[i][j]).abs() < 1e-12);
            }
        }
        assert!(invert_positive_definite(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }
}
