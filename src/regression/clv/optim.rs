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
        .with_tolerance_grad(settings.gradient_tolerance)
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
    let (cost, grad) = eval(&x);
    let gradient_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
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
