//! Minimisation of the CLV models' negative log-likelihoods with argmin's
//! L-BFGS (More–Thuente line search) on log-transformed parameters.
//!
//! argmin asks for the cost and the gradient separately; every model computes
//! both in one pass over its data, so the last evaluation is cached and the
//! second call is free. A non-finite cost (a line-search step so long that a
//! parameter over- or underflows) is reported to argmin as a very large
//! finite cost, which makes the line search step back instead of failing.

use std::sync::Mutex;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;

use crate::error::{Error, Result};

/// L-BFGS hands over to Newton polishing at this gradient norm: closer to the optimum the
/// cost is flat to machine precision and the More–Thuente line search spends tens of
/// evaluations per iteration bisecting rounding noise, while Newton steps on the gradient
/// converge quadratically.
const LBFGS_GRADIENT_TOLERANCE: f64 = 1e-6;

/// Cost reported for parameter vectors where the objective is not finite.
const PENALTY: f64 = 1e100;

/// Settings shared by the CLV fitters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Settings {
    /// Iteration cap for L-BFGS.
    pub max_iterations: u64,
    /// Convergence when the gradient's Euclidean norm (of the mean negative log-likelihood) falls below this.
    pub gradient_tolerance: f64,
}

/// Where the optimiser stopped.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Minimum {
    /// Minimising (log-)parameters.
    pub x: Vec<f64>,
    /// Objective at `x`.
    pub cost: f64,
    /// Euclidean norm of the gradient at `x`.
    pub gradient_norm: f64,
    /// Iterations used.
    pub iterations: u64,
}

type Evaluation = (Vec<f64>, f64, Vec<f64>);

struct Objective<'a, F> {
    eval: &'a F,
    cache: Mutex<Option<Evaluation>>,
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Objective<'_, F> {
    fn evaluate(&self, x: &[f64]) -> (f64, Vec<f64>) {
        if let Ok(cache) = self.cache.lock()
            && let Some((cx, cost, grad)) = cache.as_ref()
            && cx.as_slice() == x
        {
            return (*cost, grad.clone());
        }
        let (cost, grad) = (self.eval)(x);
        let (cost, grad) = if cost.is_finite() && grad.iter().all(|g| g.is_finite()) {
            (cost, grad)
        } else {
            (PENALTY, vec![0.0; x.len()])
        };
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((x.to_vec(), cost, grad.clone()));
        }
        (cost, grad)
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> CostFunction for Objective<'_, F> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.evaluate(p.as_slice().unwrap_or(&p.to_vec())).0)
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Gradient for Objective<'_, F> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(Array1::from(self.evaluate(p.as_slice().unwrap_or(&p.to_vec())).1))
    }
}

/// Minimise `eval` (returning cost and gradient) from `x0`; `model` names the fit in errors.
///
/// L-BFGS runs to a gradient norm of 1e-6 (or stops earlier when its line
/// search can no longer see the cost fall, as on the flat likelihood ridges of
/// Gamma–Gamma on small samples); Newton steps on a finite-difference Hessian
/// of the analytic gradient then take it to `settings.gradient_tolerance`.
///
/// Succeeds when the gradient norm at the best point is within 100 times
/// `settings.gradient_tolerance`, whatever made L-BFGS stop.
pub(crate) fn minimize<F>(model: &'static str, eval: &F, x0: Vec<f64>, settings: Settings) -> Result<Minimum>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    let (cost0, _) = eval(&x0);
    if !cost0.is_finite() {
        return Err(Error::FitFailed { model, message: format!("the likelihood is not finite at the start {x0:?}") });
    }
    let problem = Objective { eval, cache: Mutex::new(None) };
    let fail = |e: argmin::core::Error| Error::FitFailed { model, message: e.to_string() };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(settings.gradient_tolerance.max(LBFGS_GRADIENT_TOLERANCE))
        .and_then(|s| s.with_tolerance_cost(0.0))
        .map_err(fail)?;
    let outcome = Executor::new(problem, solver)
        .configure(|state| state.param(Array1::from(x0)).max_iters(settings.max_iterations))
        .run();
    let (x, iterations, reason) = match outcome {
        Ok(result) => {
            let state = result.state();
            let x = state.get_best_param().map(|p| p.to_vec()).unwrap_or_default();
            (x, state.get_iter(), state.get_termination_reason().cloned())
        }
        Err(e) => return Err(fail(e)),
    };
    if x.is_empty() {
        return Err(Error::FitFailed { model, message: "the optimiser returned no parameters".into() });
    }
    let (x, cost, gradient_norm) = newton_polish(eval, x, settings.gradient_tolerance);
    // The line search can stall a hair short of the target at machine precision; within 100× of it
    // the parameters are still pinned to many digits.
    if cost.is_finite() && gradient_norm <= settings.gradient_tolerance * 100.0 {
        Ok(Minimum { x, cost, gradient_norm, iterations })
    } else {
        Err(Error::NotConverged {
            what: model,
            iterations,
            detail: format!(
                "stopped ({}) with gradient norm {gradient_norm:e} > tolerance {:e} at log-parameters {x:?}",
                reason.map_or_else(|| "no reason".to_string(), |r| r.to_string()),
                settings.gradient_tolerance
            ),
        })
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|g| g * g).sum::<f64>().sqrt()
}

/// Newton steps with a central-difference Hessian of the gradient, while they reduce the
/// gradient norm; returns the final point, cost and gradient norm.
fn newton_polish<F>(eval: &F, mut x: Vec<f64>, tolerance: f64) -> (Vec<f64>, f64, f64)
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    let (mut cost, grad) = eval(&x);
    let mut gnorm = norm(&grad);
    let mut grad = grad;
    let n = x.len();
    for _ in 0..20 {
        if gnorm <= tolerance || !gnorm.is_finite() {
            break;
        }
        // Column j: derivative of the gradient along coordinate j; symmetrised below.
        let columns: Vec<Vec<f64>> = (0..n)
            .map(|j| {
                let h = 1e-5 * (1.0 + x[j].abs());
                let (mut up, mut down) = (x.clone(), x.clone());
                up[j] += h;
                down[j] -= h;
                let (gu, gd) = (eval(&up).1, eval(&down).1);
                gu.iter().zip(&gd).map(|(a, b)| (a - b) / (2.0 * h)).collect()
            })
            .collect();
        let hessian: Vec<Vec<f64>> =
            (0..n).map(|i| (0..n).map(|j| 0.5 * (columns[j][i] + columns[i][j])).collect()).collect();
        let Some(step) = solve(hessian, grad.iter().map(|g| -g).collect()) else { break };
        let candidate: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a + s).collect();
        let (c_cost, c_grad) = eval(&candidate);
        let c_norm = norm(&c_grad);
        // Near the optimum the cost is flat to machine precision; accept a step that shrinks the
        // gradient without raising the cost beyond rounding.
        if !(c_cost.is_finite() && c_norm < gnorm && c_cost <= cost + 1e-12 * cost.abs().max(1.0)) {
            break;
        }
        (x, cost, grad, gnorm) = (candidate, c_cost, c_grad, c_norm);
    }
    (x, cost, gnorm)
}

/// Solve `a · s = b` by Gaussian elimination with partial pivoting; `None` if singular.
#[allow(clippy::needless_range_loop)] // textbook index form is the readable one for a 3×3 or 4×4 system
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].is_nan() || a[pivot][col].abs() <= 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= factor * a[col][k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut s = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * s[k]).sum();
        s[row] = (b[row] - tail) / a[row][row];
    }
    s.iter().all(|v| v.is_finite()).then_some(s)
}
