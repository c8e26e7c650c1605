//! Weighted L2-penalised logistic regression by Newton's method (IRLS).
//!
//! linfa-logistic has no sample weights, which class weighting needs, so
//! weighted fits use this solver. It minimises the same objective as
//! linfa-logistic and scikit-learn (`C = 1/alpha`):
//!
//! `Σᵢ wᵢ·[log(1 + e^{zᵢ}) − yᵢ·zᵢ] + (alpha/2)·‖β‖²`, `zᵢ = xᵢ·β + b`,
//!
//! with the intercept `b` unpenalised. Each step solves the Newton system by
//! Cholesky and backtracks until the objective decreases. The final Hessian
//! is returned for standard errors.

use ndarray::{Array1, Array2, ArrayView2, Axis, s};

use crate::error::{Error, Result};
use crate::linalg::{cholesky_solve, cholesky_with_jitter};

/// Result of a Newton fit.
#[derive(Clone, Debug)]
pub(crate) struct NewtonFit {
    pub(crate) coefficients: Array1<f64>,
    pub(crate) intercept: f64,
    pub(crate) converged: bool,
}

/// Numerically stable logistic function.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() }
}

/// Penalised negative log-likelihood at parameters `theta = [β, b]`.
fn objective(xa: ArrayView2<'_, f64>, y: &[f64], w: &[f64], theta: &Array1<f64>, alpha: f64, p: usize) -> f64 {
    let z = xa.dot(theta);
    let nll: f64 = z.iter().zip(y).zip(w).map(|((&z, &y), &w)| w * (softplus(z) - y * z)).sum();
    let beta = theta.slice(s![..p]);
    nll + 0.5 * alpha * beta.dot(&beta)
}

/// Fit by Newton's method. `weights` default to 1.
pub(crate) fn fit(
    x: ArrayView2<'_, f64>,
    labels: &[bool],
    weights: Option<&[f64]>,
    alpha: f64,
    fit_intercept: bool,
    max_iterations: usize,
    tolerance: f64,
) -> Result<NewtonFit> {
    let (n, p) = x.dim();
    // Design matrix with the intercept column (zero when no intercept is fitted, so it stays at 0).
    let mut xa = Array2::<f64>::zeros((n, p + 1));
    xa.slice_mut(s![.., ..p]).assign(&x);
    if fit_intercept {
        xa.column_mut(p).fill(1.0);
    }
    let y: Vec<f64> = labels.iter().map(|&l| if l { 1.0 } else { 0.0 }).collect();
    let w: Vec<f64> = weights.map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
    let total_weight: f64 = w.iter().sum();
    let mut theta = Array1::<f64>::zeros(p + 1);
    if fit_intercept {
        // Start at the weighted base rate: a good start avoids early overshoot.
        let pos: f64 = y.iter().zip(&w).map(|(y, w)| y * w).sum();
        let rate = (pos / total_weight).clamp(1e-6, 1.0 - 1e-6);
        theta[p] = (rate / (1.0 - rate)).ln();
    }
    let mut f = objective(xa.view(), &y, &w, &theta, alpha, p);
    let mut converged = false;
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let z = xa.dot(&theta);
        let prob = z.mapv(sigmoid);
        let resid: Array1<f64> = prob.iter().zip(&y).zip(&w).map(|((&p, &y), &w)| w * (p - y)).collect();
        let curv: Array1<f64> = prob.iter().zip(&w).map(|(&p, &w)| w * p * (1.0 - p)).collect();
        let mut grad = xa.t().dot(&resid);
        let weighted = &xa * &curv.view().insert_axis(Axis(1));
        let mut hess = xa.t().dot(&weighted);
        for j in 0..p {
            grad[j] += alpha * theta[j];
            hess[[j, j]] += alpha;
        }
        if !fit_intercept {
            grad[p] = 0.0;
            hess.row_mut(p).fill(0.0);
            hess.column_mut(p).fill(0.0);
            hess[[p, p]] = 1.0;
        }
        let (l, _) = cholesky_with_jitter(hess.view()).ok_or_else(|| Error::FitFailed {
            model: "logistic_regression",
            message: "the Hessian is not positive definite even with jitter (non-finite inputs?)".into(),
        })?;
        let step = cholesky_solve(l.view(), grad.view());
        // Newton decrement: half the predicted decrease of the objective.
        let decrement = 0.5 * grad.dot(&step);
        if decrement <= tolerance * (1.0 + f.abs()) {
            converged = true;
            break;
        }
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let candidate = &theta - &(&step * t);
            let fc = objective(xa.view(), &y, &w, &candidate, alpha, p);
            // Armijo condition with c = 1e-4.
            if fc.is_finite() && fc <= f - 1e-4 * t * grad.dot(&step) {
                theta = candidate;
                f = fc;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            // No decrease possible along the Newton direction: at the optimum up to rounding.
            converged = true;
            break;
        }
    }
    Ok(NewtonFit {
        coefficients: theta.slice(s![..p]).to_owned(),
        intercept: if fit_intercept { theta[p] } else { 0.0 },
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn matches_the_closed_form_for_one_binary_feature() {
        // With one 0/1 feature and no penalty, the MLE reproduces the group rates:
        // x=0: 1 of 4 churned → b = logit(1/4) = −ln 3; x=1: 3 of 4 → b + β = ln 3, so β = 2 ln 3.
        let x = array![[0.0], [0.0], [0.0], [0.0], [1.0], [1.0], [1.0], [1.0]];
        let y = [true, false, false, false, true, true, true, false];
        let fit = fit(x.view(), &y, None, 0.0, true, 50, 1e-14).unwrap();
        assert!(fit.converged);
        assert_abs_diff_eq!(fit.intercept, -(3.0f64.ln()), epsilon = 1e-8);
        assert_abs_diff_eq!(fit.coefficients[0], 2.0 * 3.0f64.ln(), epsilon = 1e-8);
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        let x = array![[0.2], [1.5], [-0.7], [0.9], [2.0]];
        let y = [false, true, false, false, true];
        let weighted = fit(x.view(), &y, Some(&[1.0, 2.0, 1.0, 3.0, 1.0]), 0.5, true, 100, 1e-14).unwrap();
        let xr = array![[0.2], [1.5], [1.5], [-0.7], [0.9], [0.9], [0.9], [2.0]];
        let yr = [false, true, true, false, false, false, false, true];
        let repeated = fit(xr.view(), &yr, None, 0.5, true, 100, 1e-14).unwrap();
        assert_abs_diff_eq!(weighted.coefficients[0], repeated.coefficients[0], epsilon = 1e-9);
        assert_abs_diff_eq!(weighted.intercept, repeated.intercept, epsilon = 1e-9);
    }

    #[test]
    fn separable_data_without_penalty_grows_large_but_stays_finite() {
        let x = array![[-2.0], [-1.0], [1.0], [2.0]];
        let y = [false, false, true, true];
        let fit = fit(x.view(), &y, None, 0.0, true, 25, 1e-14).unwrap();
        assert!(fit.coefficients[0] > 5.0, "coefficient should run off: {}", fit.coefficients[0]);
        assert!(fit.coefficients[0].is_finite());
    }
}
