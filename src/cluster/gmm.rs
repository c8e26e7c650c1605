//! A diagonal-covariance Gaussian mixture fitted by EM, with BIC for choosing k.
//!
//! Soft segments: each customer gets a membership probability per component.
//! Initialised from a k-means partition (one-hot responsibilities, then an M-step),
//! as scikit-learn's `GaussianMixture(covariance_type="diag", init_params="kmeans")`.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::kmeans::{KMeansParams, kmeans};
use crate::error::{Error, Result, ensure};

/// Settings of [`gaussian_mixture`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixtureParams {
    /// Number of components (≥ 1).
    pub k: usize,
    /// Maximum EM iterations.
    pub max_iter: usize,
    /// Stop when the mean log-likelihood per row improves by less than this.
    pub tol: f64,
    /// Added to every variance, keeping components from collapsing onto a point.
    pub reg_covar: f64,
    /// Seed of the k-means initialisation.
    pub seed: u64,
    /// k-means++ restarts of the initial partition (scikit-learn uses 1; more restarts make
    /// EM start from the best partition, so the BIC curve is less noisy).
    pub kmeans_n_init: usize,
}

impl Default for GaussianMixtureParams {
    fn default() -> Self {
        // scikit-learn's defaults (max_iter 100, tol 1e-3, reg_covar 1e-6), but 10 k-means restarts.
        GaussianMixtureParams { k: 4, max_iter: 100, tol: 1e-3, reg_covar: 1e-6, seed: 42, kmeans_n_init: 10 }
    }
}

impl GaussianMixtureParams {
    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        ensure!(self.k >= 1, Error::param("k", self.k, "need at least one component"));
        ensure!(
            self.kmeans_n_init >= 1,
            Error::param("kmeans_n_init", self.kmeans_n_init, "need at least one initialisation")
        );
        ensure!(self.max_iter >= 1, Error::param("max_iter", self.max_iter, "need at least one iteration"));
        ensure!(self.tol.is_finite() && self.tol >= 0.0, Error::param("tol", self.tol, "must be finite and ≥ 0"));
        ensure!(
            self.reg_covar.is_finite() && self.reg_covar > 0.0,
            Error::param("reg_covar", self.reg_covar, "must be positive")
        );
        Ok(())
    }
}

/// A fitted diagonal Gaussian mixture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    weights: Array1<f64>,
    means: Array2<f64>,
    variances: Array2<f64>,
    log_likelihood: f64,
    n_rows: usize,
    iterations: usize,
    converged: bool,
}

/// Per-row log of weight × density for every component (rows × k).
fn weighted_log_density(
    x: ArrayView2<'_, f64>,
    weights: &Array1<f64>,
    means: &Array2<f64>,
    vars: &Array2<f64>,
) -> Array2<f64> {
    let (n, d) = x.dim();
    let k = weights.len();
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let mut out = Array2::zeros((n, k));
    for c in 0..k {
        let mean = means.row(c);
        let var = vars.row(c);
        let log_det: f64 = var.iter().map(|v| v.ln()).sum();
        let base = weights[c].ln() - 0.5 * (d as f64 * ln2pi + log_det);
        for (i, row) in x.outer_iter().enumerate() {
            let maha: f64 = row.iter().zip(mean).zip(var).map(|((xv, m), v)| (xv - m) * (xv - m) / v).sum();
            out[[i, c]] = base - 0.5 * maha;
        }
    }
    out
}

/// Normalise log-densities into responsibilities in place; returns the total log-likelihood.
fn e_step(log_dens: &mut Array2<f64>) -> f64 {
    let mut total = 0.0;
    for mut row in log_dens.outer_iter_mut() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        total += lse;
        row.mapv_inplace(|v| (v - lse).exp());
    }
    total
}

/// Weights, means and variances from responsibilities (Bishop 2006, PRML eqs. 9.24–9.26, diagonal).
fn m_step(x: ArrayView2<'_, f64>, resp: &Array2<f64>, reg: f64) -> (Array1<f64>, Array2<f64>, Array2<f64>) {
    let n = x.nrows() as f64;
    // scikit-learn adds 10·ε so an empty component does not divide by zero.
    let nk = resp.sum_axis(Axis(0)) + 10.0 * f64::EPSILON;
    let means = resp.t().dot(&x) / nk.view().insert_axis(Axis(1));
    let sq = x.mapv(|v| v * v);
    let avg_x2 = resp.t().dot(&sq) / nk.view().insert_axis(Axis(1));
    let vars = (avg_x2 - means.mapv(|m| m * m)).mapv(|v| v.max(0.0) + reg);
    (nk / n, means, vars)
}

/// Fit a diagonal Gaussian mixture by EM (Dempster, Laird & Rubin 1977), initialised from k-means.
///
/// # Errors
/// As [`kmeans`](super::kmeans) for the data (empty, non-finite, k above the number of distinct rows),
/// and [`Error::InvalidParameter`] for invalid settings.
pub fn gaussian_mixture(x: ArrayView2<'_, f64>, params: &GaussianMixtureParams) -> Result<GaussianMixture> {
    params.check()?;
    let init = kmeans(
        x,
        &KMeansParams { k: params.k, n_init: params.kmeans_n_init, seed: params.seed, ..KMeansParams::default() },
    )?;
    let mut resp = Array2::zeros((x.nrows(), params.k));
    for (i, &l) in init.labels.iter().enumerate() {
        if let Some(r) = resp.get_mut([i, l]) {
            *r = 1.0;
        }
    }
    let n = x.nrows() as f64;
    let (mut weights, mut means, mut vars) = m_step(x, &resp, params.reg_covar);
    let mut lower = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    for it in 0..params.max_iter {
        iterations = it + 1;
        let mut log_dens = weighted_log_density(x, &weights, &means, &vars);
        let mean_ll = e_step(&mut log_dens) / n;
        (weights, means, vars) = m_step(x, &log_dens, params.reg_covar);
        let change = mean_ll - lower;
        lower = mean_ll;
        if change.abs() < params.tol {
            converged = true;
            break;
        }
    }
    // Log-likelihood of the final parameters (what BIC scores).
    let mut log_dens = weighted_log_density(x, &weights, &means, &vars);
    let log_likelihood = e_step(&mut log_dens);
    ensure!(
        log_likelihood.is_finite(),
        Error::FitFailed { model: "gaussian_mixture", message: "log-likelihood is not finite".into() }
    );
    Ok(GaussianMixture { weights, means, variances: vars, log_likelihood, n_rows: x.nrows(), iterations, converged })
}

impl GaussianMixture {
    /// Number of components.
    pub fn k(&self) -> usize {
        self.weights.len()
    }

    /// Mixing weights (sum to 1).
    pub fn weights(&self) -> &Array1<f64> {
        &self.weights
    }

    /// Component means (k × columns).
    pub fn means(&self) -> &Array2<f64> {
        &self.means
    }

    /// Component variances per column (k × columns).
    pub fn variances(&self) -> &Array2<f64> {
        &self.variances
    }

    /// Total log-likelihood of the training rows.
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// EM iterations run.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether EM met the tolerance within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Free parameters: k·d means, k·d variances and k − 1 weights.
    pub fn n_parameters(&self) -> usize {
        let (k, d) = self.means.dim();
        2 * k * d + k - 1
    }

    /// Bayesian information criterion on the training rows, −2 ln L + p ln n
    /// (Schwarz 1978); lower is better.
    pub fn bic(&self) -> f64 {
        -2.0 * self.log_likelihood + self.n_parameters() as f64 * (self.n_rows as f64).ln()
    }

    /// Membership probabilities (rows × k) of new rows.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a different number of columns, [`Error::NonFinite`] for NaN/∞.
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        ensure!(
            x.ncols() == self.means.ncols(),
            Error::ShapeMismatch { what: "columns vs mixture", expected: self.means.ncols(), found: x.ncols() }
        );
        for ((row, col), &v) in x.indexed_iter() {
            ensure!(v.is_finite(), Error::NonFinite { column: format!("column {col}"), row, value: v });
        }
        let mut log_dens = weighted_log_density(x, &self.weights, &self.means, &self.variances);
        e_step(&mut log_dens);
        Ok(log_dens)
    }

    /// The most probable component of each row.
    ///
    /// # Errors
    /// As [`predict_proba`](Self::predict_proba).
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        let p = self.predict_proba(x)?;
        Ok(p.outer_iter()
            .map(|r| r.iter().enumerate().fold((0, f64::NEG_INFINITY), |b, (c, &v)| if v > b.1 { (c, v) } else { b }).0)
            .collect())
    }
}

/// BIC of a Gaussian mixture for each k in `ks` (lower = better), so the curve can be inspected.
///
/// # Errors
/// As [`gaussian_mixture`]; [`Error::InvalidParameter`] for an empty `ks`.
pub fn bic_curve(
    x: ArrayView2<'_, f64>,
    ks: impl IntoIterator<Item = usize>,
    params: &GaussianMixtureParams,
) -> Result<Vec<(usize, f64)>> {
    let ks: Vec<usize> = ks.into_iter().collect();
    ensure!(!ks.is_empty(), Error::param("ks", "[]", "give at least one k"));
    ks.into_iter().map(|k| Ok((k, gaussian_mixture(x, &GaussianMixtureParams { k, ..*params })?.bic()))).collect()
}
