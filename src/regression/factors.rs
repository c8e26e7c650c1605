//! Churn factors: which customer attributes go with churn, by how much, and how sure we are.
//!
//! [`ChurnFactors`] fits a logistic regression by maximum likelihood (Newton's
//! method with step halving, intercept included) and reports, per feature, the
//! coefficient, its standard error from the inverse observed information, the
//! Wald z statistic, the two-sided p-value and the odds ratio with a confidence
//! interval — the table a retention team can take to a meeting. The fit also
//! reports the log-likelihood, the null log-likelihood, AIC, BIC and
//! McFadden's pseudo-R².
//!
//! It sits after [`features`](crate::features): [`DesignMatrix::from_features`]
//! turns a [`FeatureMatrix`] into a full-rank numeric design (numeric columns as
//! they are, categorical columns one-hot encoded with the first level, in sorted
//! order, dropped as the reference — the same as pandas'
//! `get_dummies(drop_first=True)`). Any named numeric matrix can also be fitted
//! directly with [`FactorParams::fit`].
//!
//! Problems in the data are reported, not hidden:
//! - a **constant column** cannot be estimated (it duplicates the intercept): it is
//!   dropped and a [`FactorWarning::ConstantColumn`] names it;
//! - a column that is an exact **linear combination** of earlier columns is dropped
//!   (as R's `glm` reports it aliased) and a [`FactorWarning::Collinear`] names it and
//!   the columns it duplicates; a high variance inflation factor gives
//!   [`FactorWarning::HighVif`];
//! - **(quasi-)complete separation** — a combination of features that predicts churn
//!   perfectly for some rows, so the maximum-likelihood coefficients run off to
//!   infinity — gives [`FactorWarning::Separation`]; the reported coefficients and
//!   standard errors of the named columns are then meaningless (use an L2 penalty,
//!   [`FactorParams::l2`], or merge sparse categories).
//!
//! ```
//! use churnguard::regression::factors::ChurnFactors;
//! // Churn by contract type: 1 = month-to-month, 0 = longer contract.
//! let month_to_month = ndarray::array![[1.0], [1.0], [1.0], [1.0], [0.0], [0.0], [0.0], [0.0], [1.0], [0.0]];
//! let churned = [true, true, true, false, false, false, false, true, false, false];
//! let names = vec!["month_to_month".to_string()];
//! let fit = ChurnFactors::params().fit(month_to_month.view(), &names, &churned)?;
//! let term = fit.term("month_to_month").expect("fitted column");
//! // 3 of 5 churned on month-to-month, 1 of 5 otherwise: odds ratio (3/2)/(1/4) = 6.
//! assert!((term.odds_ratio - 6.0).abs() < 1e-6);
//! println!("{fit}"); // summary and a Markdown table of the factors
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::inference::{
    ColumnScale, DIVERGENT_SPREAD, check_finite, check_newton_settings, column_range, inverse_spd, is_constant,
    screen_collinearity,
};
use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;
use crate::linalg::{cholesky_solve, cholesky_with_jitter};
use crate::stats::{normal_critical, two_sided_normal_p};

/// Model name used in errors.
const MODEL: &str = "churn_factors";

/// Name of the intercept term in reports.
pub const INTERCEPT: &str = "(intercept)";

/// A fitted probability within this distance of 0 or 1 counts as "at a bound"
/// in the separation check (statsmodels flags perfect prediction the same way).
const PROBABILITY_BOUND: f64 = 1e-8;

// ---------------------------------------------------------------------------
// Design matrix
// ---------------------------------------------------------------------------

/// What [`DesignMatrix::from_features`] does with rows that have a missing value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingValues {
    /// Leave such rows out (complete-case analysis, what statsmodels' `missing="drop"` does).
    DropRows,
    /// Return [`Error::NonFinite`] naming the first missing value.
    Error,
}

/// A finite numeric design matrix with named columns, built from a
/// [`FeatureMatrix`] for an explanatory regression ([`ChurnFactors`],
/// [`CoxPh`](super::survival::CoxPh)).
///
/// Encoding: numeric columns are used as they are (no scaling, so coefficients
/// are per unit of the original column); each categorical column becomes one
/// `{name}={level}` indicator per level except the first in sorted (byte) order,
/// which is the reference level — pandas' `get_dummies(drop_first=True)`. A
/// categorical column with a single level adds no column. Rows with missing
/// values are dropped or rejected per [`MissingValues`]; [`rows`](Self::rows)
/// says which source rows were kept.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignMatrix {
    names: Vec<String>,
    x: Array2<f64>,
    rows: Vec<usize>,
    source_rows: usize,
}

impl DesignMatrix {
    /// Wrap a numeric matrix with column names (all rows kept).
    ///
    /// Errors: names and columns disagree, a name repeats, or a value is not finite.
    pub fn new(x: Array2<f64>, names: Vec<String>) -> Result<Self> {
        ensure!(
            x.ncols() == names.len(),
            Error::ShapeMismatch { what: "column names vs columns", expected: x.ncols(), found: names.len() }
        );
        check_unique(&names)?;
        check_finite(x.view(), &names)?;
        let n = x.nrows();
        Ok(DesignMatrix { names, x, rows: (0..n).collect(), source_rows: n })
    }

    /// Encode a feature matrix (see the type documentation for the encoding).
    ///
    /// Errors: [`Error::EmptyData`] if no row remains, [`Error::NonFinite`] for a
    /// missing value under [`MissingValues::Error`].
    pub fn from_features(data: &FeatureMatrix, missing: MissingValues) -> Result<Self> {
        let numeric = data.numeric();
        let numeric_names = data.numeric_names();
        let categorical = data.categorical();
        let mut rows = Vec::with_capacity(data.n_rows());
        for row in 0..data.n_rows() {
            let bad_numeric = numeric.row(row).iter().position(|v| !v.is_finite());
            let bad_categorical = categorical.iter().position(|c| c.get(row).is_none());
            let complete = bad_numeric.is_none() && bad_categorical.is_none();
            if complete {
                rows.push(row);
            } else if missing == MissingValues::Error {
                let (column, value) = match bad_numeric {
                    Some(j) => (numeric_names[j].clone(), numeric[[row, j]]),
                    None => (bad_categorical.map(|c| categorical[c].name().to_string()).unwrap_or_default(), f64::NAN),
                };
                return Err(Error::NonFinite { column, row, value });
            }
        }
        ensure!(
            !rows.is_empty(),
            Error::EmptyData { context: "every row of the feature matrix has a missing value".into() }
        );
        let mut names: Vec<String> = numeric_names.to_vec();
        let mut columns: Vec<Vec<f64>> =
            (0..numeric_names.len()).map(|j| rows.iter().map(|&r| numeric[[r, j]]).collect()).collect();
        for column in categorical {
            let mut levels: Vec<&str> = rows.iter().filter_map(|&r| column.get(r)).collect();
            levels.sort_unstable();
            levels.dedup();
            for level in levels.iter().skip(1) {
                names.push(format!("{}={}", column.name(), level));
                columns.push(rows.iter().map(|&r| f64::from(u8::from(column.get(r) == Some(*level)))).collect());
            }
        }
        check_unique(&names)?;
        let mut x = Array2::zeros((rows.len(), names.len()));
        for (j, col) in columns.iter().enumerate() {
            for (i, &v) in col.iter().enumerate() {
                x[[i, j]] = v;
            }
        }
        Ok(DesignMatrix { names, x, rows, source_rows: data.n_rows() })
    }

    /// The same design without the named columns (e.g. indicators that duplicate
    /// another column). Errors: [`Error::MissingColumn`] for an unknown name.
    pub fn without(&self, columns: &[&str]) -> Result<Self> {
        for c in columns {
            ensure!(
                self.names.iter().any(|n| n == c),
                Error::MissingColumn { table: "design matrix".into(), column: (*c).to_string() }
            );
        }
        let keep: Vec<usize> = (0..self.names.len()).filter(|&j| !columns.contains(&self.names[j].as_str())).collect();
        Ok(DesignMatrix {
            names: keep.iter().map(|&j| self.names[j].clone()).collect(),
            x: self.x.select(Axis(1), &keep),
            rows: self.rows.clone(),
            source_rows: self.source_rows,
        })
    }

    /// Column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values, kept rows × columns.
    pub fn x(&self) -> ArrayView2<'_, f64> {
        self.x.view()
    }

    /// Index of each kept row in the source feature matrix.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// Number of rows in the source the design was built from.
    pub fn source_rows(&self) -> usize {
        self.source_rows
    }

    /// Pick the values of the kept rows out of a per-source-row slice (labels,
    /// durations, events). Errors: [`Error::ShapeMismatch`] if `values` does not
    /// have one entry per source row.
    pub fn select_rows<T: Clone>(&self, values: &[T]) -> Result<Vec<T>> {
        ensure!(
            values.len() == self.source_rows,
            Error::ShapeMismatch { what: "values vs source rows", expected: self.source_rows, found: values.len() }
        );
        Ok(self.rows.iter().filter_map(|&r| values.get(r).cloned()).collect())
    }
}

fn check_unique(names: &[String]) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        ensure!(seen.insert(name.as_str()), Error::param("feature name", name, "appears twice"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/// Namespace for [`ChurnFactors::params`].
#[derive(Clone, Copy, Debug)]
pub struct ChurnFactors;

impl ChurnFactors {
    /// Default settings: no penalty, 95 % confidence intervals, at most 100 Newton
    /// steps, Newton-decrement tolerance 1e-12, VIF warning above 1000.
    pub fn params() -> FactorParams {
        FactorParams::default()
    }
}

/// Settings of a churn-factor fit (unfitted).
#[derive(Clone, Debug, PartialEq)]
pub struct FactorParams {
    l2: f64,
    confidence_level: f64,
    max_iterations: usize,
    tolerance: f64,
    vif_warning: f64,
}

impl Default for FactorParams {
    fn default() -> Self {
        FactorParams { l2: 0.0, confidence_level: 0.95, max_iterations: 100, tolerance: 1e-12, vif_warning: 1000.0 }
    }
}

/// Validated [`FactorParams`] (from [`FactorParams::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ValidFactorParams(FactorParams);

impl FactorParams {
    /// L2 penalty `λ ≥ 0` on the coefficients (not the intercept), on the original
    /// scale of the columns: the fit maximises `log L − (λ/2)·Σβⱼ²`, the objective of
    /// scikit-learn's `LogisticRegression(C = 1/λ)`. Standard errors then come from
    /// the penalised information. Default 0 (plain maximum likelihood).
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }

    /// Confidence level of the odds-ratio intervals, strictly between 0 and 1 (default 0.95).
    /// Any other value makes `check` and `fit` fail with [`Error::InvalidParameter`] named `level`.
    pub fn confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Newton step limit (default 100; a regular fit needs fewer than 10).
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }

    /// Stop when the Newton decrement `½·gᵀH⁻¹g` (the predicted further gain in
    /// log-likelihood) falls below this (default 1e-12).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }

    /// Warn ([`FactorWarning::HighVif`]) for columns whose variance inflation factor
    /// exceeds this (default 1000, i.e. R² > 0.999 on the other columns).
    pub fn vif_warning(mut self, threshold: f64) -> Self {
        self.vif_warning = threshold;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<ValidFactorParams> {
        check_newton_settings(self.l2, self.confidence_level, self.max_iterations, self.tolerance)?;
        ensure!(
            self.vif_warning.is_finite() && self.vif_warning >= 1.0,
            Error::param("vif_warning", self.vif_warning, "must be a finite number ≥ 1 (a VIF is never below 1)")
        );
        Ok(ValidFactorParams(self.clone()))
    }

    /// Validate and fit on a named numeric matrix (see [`ValidFactorParams::fit`]).
    pub fn fit(&self, x: ArrayView2<'_, f64>, names: &[String], labels: &[bool]) -> Result<FittedChurnFactors> {
        self.check()?.fit(x, names, labels)
    }

    /// Validate and fit on a design matrix (see [`ValidFactorParams::fit_design`]).
    pub fn fit_design(&self, design: &DesignMatrix, labels: &[bool]) -> Result<FittedChurnFactors> {
        self.check()?.fit_design(design, labels)
    }

    /// Validate, encode `data` with [`DesignMatrix::from_features`] and fit; `labels` has one
    /// entry per row of `data`. Use [`fit_design`](Self::fit_design) to edit the design first
    /// (e.g. drop indicators that duplicate another column).
    pub fn fit_features(
        &self,
        data: &FeatureMatrix,
        labels: &[bool],
        missing: MissingValues,
    ) -> Result<FittedChurnFactors> {
        let params = self.check()?;
        params.fit_design(&DesignMatrix::from_features(data, missing)?, labels)
    }
}

impl ValidFactorParams {
    /// Fit on a design matrix; `labels` has one entry per row of the design's
    /// *source* (rows the design dropped are skipped).
    pub fn fit_design(&self, design: &DesignMatrix, labels: &[bool]) -> Result<FittedChurnFactors> {
        let labels = design.select_rows(labels)?;
        self.fit(design.x(), design.names(), &labels)
    }

    /// Fit `P(churn) = σ(b + x·β)` on `x` (rows × named columns, finite values;
    /// an intercept is added) and `labels` (`true` = churned).
    ///
    /// Errors: shapes disagree, no rows, non-finite values, a single class, or the
    /// Newton iteration producing non-finite values. Constant and collinear
    /// columns are dropped with a warning, not an error — except a column whose values
    /// differ only by rounding (sd ≤ 1e-12·|mean|), which is [`Error::ConstantColumn`].
    pub fn fit(&self, x: ArrayView2<'_, f64>, names: &[String], labels: &[bool]) -> Result<FittedChurnFactors> {
        let params = &self.0;
        let (n, p) = x.dim();
        ensure!(n == labels.len(), Error::ShapeMismatch { what: "labels vs rows", expected: n, found: labels.len() });
        ensure!(
            p == names.len(),
            Error::ShapeMismatch { what: "feature names vs columns", expected: p, found: names.len() }
        );
        ensure!(n > 0, Error::EmptyData { context: "churn factors need at least one row".into() });
        check_unique(names)?;
        check_finite(x, names)?;
        let churned = labels.iter().filter(|&&l| l).count();
        ensure!(churned > 0 && churned < n, Error::SingleClass { class: churned > 0, n });

        let mut warnings = Vec::new();
        let varying: Vec<usize> = (0..p)
            .filter(|&j| {
                let constant = is_constant(x.column(j));
                if constant {
                    warnings.push(FactorWarning::ConstantColumn { column: names[j].clone() });
                }
                !constant
            })
            .collect();
        let varying_names: Vec<String> = varying.iter().map(|&j| names[j].clone()).collect();
        let xv = x.select(Axis(1), &varying);
        let scale = ColumnScale::of(xv.view(), &varying_names, 0, MODEL)?;
        let z_all = scale.standardise(xv.view());
        let screen = screen_collinearity(z_all.view());
        for (j, others) in &screen.aliased {
            warnings.push(FactorWarning::Collinear {
                column: varying_names[*j].clone(),
                others: others.iter().map(|&k| varying_names[k].clone()).collect(),
            });
        }
        let kept_cols: Vec<usize> = screen.kept.iter().map(|&k| varying[k]).collect();
        let means: Vec<f64> = screen.kept.iter().map(|&k| scale.means[k]).collect();
        let sds: Vec<f64> = screen.kept.iter().map(|&k| scale.sds[k]).collect();
        for (i, &vif) in screen.vif.iter().enumerate() {
            if vif > params.vif_warning {
                warnings.push(FactorWarning::HighVif { column: names[kept_cols[i]].clone(), vif });
            }
        }

        // Work on standardised columns plus a ones column (last): Newton's method is
        // affine-invariant, so this changes the rounding, not the optimum.
        let k = kept_cols.len();
        let mut w = Array2::<f64>::ones((n, k + 1));
        for (i, &col) in screen.kept.iter().enumerate() {
            w.column_mut(i).assign(&z_all.column(col));
        }
        let y: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
        // λ/2·βⱼ² with βⱼ = γⱼ/sⱼ puts λ/sⱼ² on the standardised coefficient γⱼ.
        let mut penalty = Array1::<f64>::zeros(k + 1);
        for i in 0..k {
            penalty[i] = params.l2 / (sds[i] * sds[i]);
        }
        let rate = churned as f64 / n as f64;
        let start_intercept = (rate / (1.0 - rate)).ln();
        let newton = newton_logit(w.view(), &y, &penalty, start_intercept, params.max_iterations, params.tolerance)?;
        if !newton.converged {
            warnings.push(FactorWarning::NotConverged { iterations: newton.iterations });
        }
        let theta = &newton.theta;

        // Back to the original scale: βⱼ = γⱼ/sⱼ, b = a − Σ γⱼ·mⱼ/sⱼ; Cov = T·Cov(θ)·Tᵀ.
        let mut t = Array2::<f64>::zeros((k + 1, k + 1));
        t[[0, k]] = 1.0;
        for i in 0..k {
            t[[0, i]] = -means[i] / sds[i];
            t[[i + 1, i]] = 1.0 / sds[i];
        }
        let estimate = t.dot(theta);
        let (_, hessian) = gradient_hessian(w.view(), &y, theta, &penalty);
        let cov_scaled = inverse_with_jitter(hessian.view())?;
        let covariance = t.dot(&cov_scaled).dot(&t.t());

        let eta = w.dot(theta);
        let log_likelihood = -eta.iter().zip(&y).map(|(&e, &y)| softplus(e) - y * e).sum::<f64>();
        let null_log_likelihood = n as f64 * (rate * rate.ln() + (1.0 - rate) * (1.0 - rate).ln());
        ensure!(
            estimate.iter().all(|v| v.is_finite()) && covariance.iter().all(|v| v.is_finite()),
            Error::FitFailed { model: MODEL, message: "non-finite coefficients or covariance".into() }
        );

        // Separation: fitted probabilities at 0/1 and coefficients spanning a huge log-odds range.
        let at_bounds = eta
            .iter()
            .filter(|&&e| {
                let prob = sigmoid(e);
                !(PROBABILITY_BOUND..=1.0 - PROBABILITY_BOUND).contains(&prob)
            })
            .count();
        if at_bounds > 0 {
            let columns = (0..k)
                .filter(|&i| estimate[i + 1].abs() * column_range(x.column(kept_cols[i])) > DIVERGENT_SPREAD)
                .map(|i| names[kept_cols[i]].clone())
                .collect();
            warnings.push(FactorWarning::Separation { rows_at_bounds: at_bounds, complete: at_bounds == n, columns });
        }

        let crit = normal_critical(params.confidence_level)?;
        let make_term = |name: &str, idx: usize, vif: Option<f64>| {
            let coefficient = estimate[idx];
            let std_error = covariance[[idx, idx]].max(0.0).sqrt();
            let z = coefficient / std_error;
            FactorTerm {
                name: name.to_string(),
                coefficient,
                std_error,
                z,
                p_value: two_sided_normal_p(z),
                odds_ratio: coefficient.exp(),
                odds_ratio_low: (coefficient - crit * std_error).exp(),
                odds_ratio_high: (coefficient + crit * std_error).exp(),
                vif,
            }
        };
        let intercept = make_term(INTERCEPT, 0, None);
        let terms =
            (0..k).map(|i| make_term(&names[kept_cols[i]], i + 1, screen.vif.get(i).copied())).collect::<Vec<_>>();
        let n_params = (k + 1) as f64;
        Ok(FittedChurnFactors {
            input_names: names.to_vec(),
            kept_columns: kept_cols,
            intercept,
            terms,
            covariance,
            log_likelihood,
            null_log_likelihood,
            aic: -2.0 * log_likelihood + 2.0 * n_params,
            bic: -2.0 * log_likelihood + n_params * (n as f64).ln(),
            pseudo_r2: 1.0 - log_likelihood / null_log_likelihood,
            n_rows: n,
            n_churned: churned,
            iterations: newton.iterations,
            converged: newton.converged,
            confidence_level: params.confidence_level,
            l2: params.l2,
            warnings,
        })
    }
}

// ---------------------------------------------------------------------------
// Newton's method for the logistic log-likelihood
// ---------------------------------------------------------------------------

/// Numerically stable logistic function.
fn sigmoid(z: f64) -> f64 {
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

/// Penalised negative log-likelihood `Σ [log(1+e^η) − yη] + ½ Σ penⱼ θⱼ²`.
fn objective(w: ArrayView2<'_, f64>, y: &[f64], theta: &Array1<f64>, penalty: &Array1<f64>) -> f64 {
    let eta = w.dot(theta);
    let nll: f64 = eta.iter().zip(y).map(|(&e, &y)| softplus(e) - y * e).sum();
    nll + 0.5 * theta.iter().zip(penalty).map(|(t, p)| p * t * t).sum::<f64>()
}

/// Gradient `Wᵀ(μ − y) + pen∘θ` and Hessian `Wᵀ diag(μ(1−μ)) W + diag(pen)` of [`objective`]
/// (McCullagh & Nelder 1989, §4.4: the logit link is canonical, so observed = expected information).
fn gradient_hessian(
    w: ArrayView2<'_, f64>,
    y: &[f64],
    theta: &Array1<f64>,
    penalty: &Array1<f64>,
) -> (Array1<f64>, Array2<f64>) {
    let eta = w.dot(theta);
    let mu = eta.mapv(sigmoid);
    let resid: Array1<f64> = mu.iter().zip(y).map(|(&m, &y)| m - y).collect();
    let curvature = mu.mapv(|m| m * (1.0 - m));
    let mut grad = w.t().dot(&resid);
    let weighted = &w * &curvature.view().insert_axis(Axis(1));
    let mut hess = w.t().dot(&weighted);
    for j in 0..theta.len() {
        grad[j] += penalty[j] * theta[j];
        hess[[j, j]] += penalty[j];
    }
    (grad, hess)
}

/// Outcome of [`newton_logit`].
#[derive(Debug)]
struct NewtonOutcome {
    theta: Array1<f64>,
    iterations: usize,
    converged: bool,
}

/// Newton–Raphson with step halving on [`objective`]; the last column of `w` is the intercept.
fn newton_logit(
    w: ArrayView2<'_, f64>,
    y: &[f64],
    penalty: &Array1<f64>,
    start_intercept: f64,
    max_iterations: usize,
    tolerance: f64,
) -> Result<NewtonOutcome> {
    let k1 = w.ncols();
    let mut theta = Array1::<f64>::zeros(k1);
    if let Some(last) = theta.last_mut() {
        *last = start_intercept;
    }
    let mut f = objective(w, y, &theta, penalty);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        let (grad, hess) = gradient_hessian(w, y, &theta, penalty);
        let (l, _) = cholesky_with_jitter(hess.view()).ok_or_else(|| Error::FitFailed {
            model: MODEL,
            message: "the information matrix is not positive definite even with jitter".into(),
        })?;
        let step = cholesky_solve(l.view(), grad.view());
        let decrement = 0.5 * grad.dot(&step);
        ensure!(decrement.is_finite(), Error::FitFailed { model: MODEL, message: "non-finite Newton step".into() });
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let candidate = &theta - &(&step * t);
            let fc = objective(w, y, &candidate, penalty);
            // Armijo (c = 1e-4) with room for rounding once the step is tiny.
            if fc.is_finite()
                && (fc <= f - 1e-4 * t * 2.0 * decrement || fc <= f + 1e-13 * f.abs().max(1.0) && decrement < 1e-6)
            {
                theta = candidate;
                f = fc;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if accepted {
            iterations += 1;
        }
        if decrement < tolerance {
            // The step just taken (if any) squares the remaining error: done.
            converged = true;
            break;
        }
        if !accepted {
            // No decrease along the Newton direction: at the optimum up to rounding, or stuck.
            converged = decrement < 1e-8;
            break;
        }
    }
    Ok(NewtonOutcome { theta, iterations, converged })
}

/// Inverse of the information matrix, with a small ridge if separation made it singular.
fn inverse_with_jitter(h: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    if let Some(inv) = inverse_spd(h) {
        return Ok(inv);
    }
    let (l, _) = cholesky_with_jitter(h).ok_or_else(|| Error::FitFailed {
        model: MODEL,
        message: "the information matrix cannot be inverted".into(),
    })?;
    let n = h.nrows();
    let mut inv = Array2::zeros((n, n));
    let mut e = Array1::zeros(n);
    for j in 0..n {
        e.fill(0.0);
        e[j] = 1.0;
        inv.column_mut(j).assign(&cholesky_solve(l.view(), e.view()));
    }
    Ok(inv)
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/// Something about the data or the fit the reader of a factor table must know.
#[derive(Clone, Debug, PartialEq)]
pub enum FactorWarning {
    /// The column takes a single value, so it was dropped (its effect is not identifiable).
    ConstantColumn {
        /// The dropped column.
        column: String,
    },
    /// The column is an exact linear combination of earlier columns, so it was dropped.
    Collinear {
        /// The dropped column.
        column: String,
        /// The earlier columns it is a combination of.
        others: Vec<String>,
    },
    /// The column is nearly a linear combination of the others: its standard error is inflated.
    HighVif {
        /// The column.
        column: String,
        /// Its variance inflation factor `1/(1 − R²)`.
        vif: f64,
    },
    /// Fitted probabilities of some rows are 0 or 1 to within 1e-8: (quasi-)complete
    /// separation, so the maximum-likelihood estimates of the named columns do not exist
    /// (they diverge) and their coefficients, standard errors and p-values are not meaningful.
    Separation {
        /// Rows whose fitted probability is at a bound.
        rows_at_bounds: usize,
        /// Whether every row is at a bound (complete separation).
        complete: bool,
        /// Columns whose coefficient × range moves the log-odds by more than 15.
        columns: Vec<String>,
    },
    /// Newton's method stopped at the iteration limit or could not make progress.
    NotConverged {
        /// Steps taken.
        iterations: usize,
    },
}

impl fmt::Display for FactorWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactorWarning::ConstantColumn { column } => write!(f, "`{column}` is constant and was dropped"),
            FactorWarning::Collinear { column, others } => {
                write!(f, "`{column}` is a linear combination of {others:?} and was dropped")
            }
            FactorWarning::HighVif { column, vif } => {
                write!(
                    f,
                    "`{column}` is nearly collinear with other columns (VIF {vif:.0}); its standard error is inflated"
                )
            }
            FactorWarning::Separation { rows_at_bounds, complete, columns } => {
                let kind = if *complete { "complete" } else { "quasi-complete" };
                write!(
                    f,
                    "{kind} separation: {rows_at_bounds} rows have fitted probability 0 or 1; coefficients of {columns:?} diverge"
                )
            }
            FactorWarning::NotConverged { iterations } => write!(f, "not converged after {iterations} Newton steps"),
        }
    }
}

/// One row of the factor table.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorTerm {
    /// Column name ([`INTERCEPT`] for the intercept).
    pub name: String,
    /// Change in the log-odds of churn per unit of the column.
    pub coefficient: f64,
    /// Standard error from the inverse observed information.
    pub std_error: f64,
    /// Wald statistic `coefficient / std_error`.
    pub z: f64,
    /// Two-sided p-value of `z` under the standard normal.
    pub p_value: f64,
    /// `exp(coefficient)`: multiplicative change in the odds of churn per unit.
    pub odds_ratio: f64,
    /// Lower end of the odds-ratio confidence interval, `exp(β − z·se)`.
    pub odds_ratio_low: f64,
    /// Upper end of the odds-ratio confidence interval, `exp(β + z·se)`.
    pub odds_ratio_high: f64,
    /// Variance inflation factor of the column (`None` for the intercept).
    pub vif: Option<f64>,
}

/// Order of the rows in [`FittedChurnFactors::to_markdown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermOrder {
    /// Strongest evidence first (descending |z|).
    ByAbsZ,
    /// Column order of the input.
    AsGiven,
}

/// A fitted churn-factor model: the factor table and fit statistics.
#[derive(Clone, Debug)]
pub struct FittedChurnFactors {
    input_names: Vec<String>,
    kept_columns: Vec<usize>,
    intercept: FactorTerm,
    terms: Vec<FactorTerm>,
    covariance: Array2<f64>,
    log_likelihood: f64,
    null_log_likelihood: f64,
    aic: f64,
    bic: f64,
    pseudo_r2: f64,
    n_rows: usize,
    n_churned: usize,
    iterations: usize,
    converged: bool,
    confidence_level: f64,
    l2: f64,
    warnings: Vec<FactorWarning>,
}

impl FittedChurnFactors {
    /// The intercept term (log-odds of churn when every column is 0).
    pub fn intercept(&self) -> &FactorTerm {
        &self.intercept
    }

    /// The fitted columns, in input order (dropped columns are absent; see [`warnings`](Self::warnings)).
    pub fn terms(&self) -> &[FactorTerm] {
        &self.terms
    }

    /// A term by column name (or [`INTERCEPT`]).
    pub fn term(&self, name: &str) -> Option<&FactorTerm> {
        if name == INTERCEPT {
            return Some(&self.intercept);
        }
        self.terms.iter().find(|t| t.name == name)
    }

    /// Covariance matrix of the estimates, intercept first then [`terms`](Self::terms).
    pub fn covariance(&self) -> ArrayView2<'_, f64> {
        self.covariance.view()
    }

    /// Maximised log-likelihood (without the penalty term).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Log-likelihood of the intercept-only model.
    pub fn null_log_likelihood(&self) -> f64 {
        self.null_log_likelihood
    }

    /// Akaike information criterion `−2 log L + 2k` (k = fitted terms including the intercept).
    pub fn aic(&self) -> f64 {
        self.aic
    }

    /// Bayesian information criterion `−2 log L + k ln n`.
    pub fn bic(&self) -> f64 {
        self.bic
    }

    /// McFadden's pseudo-R², `1 − log L / log L₀` (McFadden 1974).
    pub fn pseudo_r2(&self) -> f64 {
        self.pseudo_r2
    }

    /// Likelihood-ratio statistic against the intercept-only model, `2(log L − log L₀)`.
    pub fn likelihood_ratio(&self) -> f64 {
        2.0 * (self.log_likelihood - self.null_log_likelihood)
    }

    /// Rows fitted.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Rows labelled churned.
    pub fn n_churned(&self) -> usize {
        self.n_churned
    }

    /// Newton steps taken.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the Newton decrement fell below the tolerance.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Confidence level of the intervals.
    pub fn confidence_level(&self) -> f64 {
        self.confidence_level
    }

    /// The L2 penalty used.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// Warnings about the data or the fit (empty when all is well).
    pub fn warnings(&self) -> &[FactorWarning] {
        &self.warnings
    }

    /// Names of the input columns, including dropped ones.
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    /// Fitted churn probability of each row of `x` (same columns as the fit input;
    /// dropped columns are ignored).
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        ensure!(
            x.ncols() == self.input_names.len(),
            Error::ShapeMismatch {
                what: "columns vs fitted columns",
                expected: self.input_names.len(),
                found: x.ncols()
            }
        );
        check_finite(x, &self.input_names)?;
        Ok(x.rows().into_iter().map(|row| sigmoid(self.linear_predictor(row))).collect())
    }

    fn linear_predictor(&self, row: ArrayView1<'_, f64>) -> f64 {
        self.intercept.coefficient
            + self.kept_columns.iter().zip(&self.terms).map(|(&j, t)| t.coefficient * row[j]).sum::<f64>()
    }

    /// The factor table as Markdown: intercept first, then the columns in `order`.
    pub fn to_markdown(&self, order: TermOrder) -> String {
        let pct = format_level(self.confidence_level);
        let mut out = format!(
            "| term | coef | std err | z | p | odds ratio | {pct} CI low | {pct} CI high |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
        );
        let mut terms: Vec<&FactorTerm> = self.terms.iter().collect();
        if order == TermOrder::ByAbsZ {
            terms.sort_by(|a, b| b.z.abs().total_cmp(&a.z.abs()));
        }
        for t in std::iter::once(&self.intercept).chain(terms) {
            out.push_str(&format!(
                "| {} | {:.4} | {:.4} | {:.2} | {} | {:.4} | {:.4} | {:.4} |\n",
                t.name,
                t.coefficient,
                t.std_error,
                t.z,
                format_p(t.p_value),
                t.odds_ratio,
                t.odds_ratio_low,
                t.odds_ratio_high
            ));
        }
        out
    }
}

/// `95%`, `90%`, `99.5%`.
pub(crate) fn format_level(level: f64) -> String {
    let pct = 100.0 * level;
    if (pct - pct.round()).abs() < 1e-9 { format!("{pct:.0}%") } else { format!("{pct}%") }
}

/// p-values: four decimals, scientific below 0.001, `<1e-300` at underflow.
pub(crate) fn format_p(p: f64) -> String {
    if p < 1e-300 {
        "<1e-300".to_string()
    } else if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

impl fmt::Display for FittedChurnFactors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Churn factors (logistic regression{}): {} rows, {} churned",
            if self.l2 > 0.0 { format!(", L2 = {}", self.l2) } else { String::new() },
            self.n_rows,
            self.n_churned
        )?;
        writeln!(
            f,
            "log-likelihood {:.3} (null {:.3}), McFadden R² {:.4}, AIC {:.2}, BIC {:.2}, {} Newton steps{}",
            self.log_likelihood,
            self.null_log_likelihood,
            self.pseudo_r2,
            self.aic,
            self.bic,
            self.iterations,
            if self.converged { "" } else { " (NOT converged)" }
        )?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        writeln!(f)?;
        write!(f, "{}", self.to_markdown(TermOrder::ByAbsZ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn newton_reaches_the_closed_form_intercept_only_optimum() {
        // One binary column: intercept = logit(rate in x=0), β = log odds ratio (see tests/regression_factors.rs
        // for the 2×2 standard error check); here the internal standardisation must not move the optimum.
        let x = array![[0.0], [0.0], [0.0], [0.0], [1.0], [1.0], [1.0], [1.0]];
        let y = [true, false, false, false, true, true, true, false];
        let fit = ChurnFactors::params().fit(x.view(), &["x".to_string()], &y).unwrap();
        assert!(fit.converged());
        assert_abs_diff_eq!(fit.intercept().coefficient, -(3.0f64.ln()), epsilon = 1e-10);
        assert_abs_diff_eq!(fit.terms()[0].coefficient, 2.0 * 3.0f64.ln(), epsilon = 1e-10);
    }

    #[test]
    fn p_values_and_levels_format_for_tables() {
        assert_eq!(format_p(0.04321), "0.0432");
        assert_eq!(format_p(2.5e-7), "2.5e-7");
        assert_eq!(format_p(0.0), "<1e-300");
        assert_eq!(format_level(0.95), "95%");
        assert_eq!(format_level(0.995), "99.5%");
    }
}
