//! L2-regularised logistic regression.
//!
//! Unweighted fits use linfa-logistic (L-BFGS). linfa-logistic predicts the
//! probability of whichever class it counted as "positive" — the more
//! frequent one, which for churn data is usually *retained* — so the fitted
//! parameters are re-oriented here to always give P(churn). Fits with class or
//! sample weights, which linfa-logistic does not support, use the Newton
//! solver in `newton.rs`, which minimises the same objective.

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::ClassWeight;
use super::newton;
use crate::error::{Error, Result, ensure};
use crate::model::{ChurnModel, Contribution, Dataset, Explanation, Learner, Link, StoredModel, check_scoring_input};

/// Which optimiser fits the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// L-BFGS (linfa-logistic) without weights, Newton with weights.
    Auto,
    /// L-BFGS via linfa-logistic; refuses weighted data.
    Lbfgs,
    /// Newton / IRLS; supports weights, cost grows with the square of the feature count.
    Newton,
}

/// Namespace for [`LogisticRegression::params`].
#[derive(Clone, Copy, Debug)]
pub struct LogisticRegression;

impl LogisticRegression {
    /// Default settings: `alpha = 1` (scikit-learn's `C = 1`), intercept, uniform weights.
    ///
    /// ```
    /// use churnguard::classify::{LogisticRegression, ClassWeight};
    /// use churnguard::model::{ChurnModel, Dataset};
    /// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0], [0.5], [2.5]];
    /// let y = [false, false, true, true, true, false];
    /// let names = vec!["days_since_last_order".to_string()];
    /// let model = LogisticRegression::params()
    ///     .alpha(0.1)
    ///     .class_weight(ClassWeight::Balanced)
    ///     .fit(&Dataset::new(x.view(), &y, &names)?)?;
    /// let p = model.predict_proba(x.view())?;
    /// assert!(p[3] > p[0]); // more days since the last order, more risk
    /// # Ok::<(), churnguard::Error>(())
    /// ```
    pub fn params() -> LogisticRegressionParams {
        LogisticRegressionParams::default()
    }
}

/// Settings of a logistic regression (unfitted). Implements [`Learner`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegressionParams {
    alpha: f64,
    fit_intercept: bool,
    class_weight: ClassWeight,
    max_iterations: u64,
    tolerance: f64,
    solver: Solver,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        LogisticRegressionParams {
            alpha: 1.0,
            fit_intercept: true,
            class_weight: ClassWeight::Uniform,
            max_iterations: 200,
            tolerance: 1e-4,
            solver: Solver::Auto,
        }
    }
}

/// Validated [`LogisticRegressionParams`] (from [`LogisticRegressionParams::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ValidLogisticRegressionParams(LogisticRegressionParams);

impl LogisticRegressionParams {
    /// L2 penalty strength on the coefficients (≥ 0; 0 = unpenalised). Equals scikit-learn's `1/C`.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Whether to fit an intercept (default true).
    pub fn fit_intercept(mut self, on: bool) -> Self {
        self.fit_intercept = on;
        self
    }

    /// Class weighting (default uniform).
    pub fn class_weight(mut self, weight: ClassWeight) -> Self {
        self.class_weight = weight;
        self
    }

    /// Iteration limit (default 200).
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.max_iterations = n;
        self
    }

    /// Convergence tolerance: gradient norm for L-BFGS, relative Newton decrement for Newton (default 1e-4).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }

    /// Optimiser (default [`Solver::Auto`]).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<ValidLogisticRegressionParams> {
        ensure!(
            self.alpha.is_finite() && self.alpha >= 0.0,
            Error::param("alpha", self.alpha, "must be a finite number ≥ 0")
        );
        ensure!(self.max_iterations > 0, Error::param("max_iterations", self.max_iterations, "must be at least 1"));
        ensure!(
            self.tolerance.is_finite() && self.tolerance > 0.0,
            Error::param("tolerance", self.tolerance, "must be a positive number")
        );
        super::check_class_weight(self.class_weight)?;
        Ok(ValidLogisticRegressionParams(self.clone()))
    }

    /// Validate and fit.
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedLogisticRegression> {
        self.check()?.fit(data)
    }
}

impl ValidLogisticRegressionParams {
    /// Row weights combining class weights and sample weights; `None` when all are equal.
    fn row_weights(&self, data: &Dataset<'_>) -> Option<Vec<f64>> {
        let (wc, wr) = super::class_weights(self.0.class_weight, data.y());
        if wc == wr && data.weights().is_none() {
            return None;
        }
        Some(super::row_weights(self.0.class_weight, data.y(), data.weights()))
    }

    /// Fit on `data` (which must have no missing values).
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedLogisticRegression> {
        data.check_no_missing()?;
        let p = &self.0;
        let weights = self.row_weights(data);
        let solver = match (p.solver, weights.is_some()) {
            (Solver::Lbfgs, true) => {
                return Err(Error::param(
                    "solver",
                    "lbfgs",
                    "L-BFGS (linfa-logistic) cannot use class or sample weights; use Newton or Auto",
                ));
            }
            (Solver::Auto, false) | (Solver::Lbfgs, false) => Solver::Lbfgs,
            _ => Solver::Newton,
        };
        let (coefficients, intercept, converged) = if solver == Solver::Lbfgs {
            fit_lbfgs(p, data.x(), data.y())?
        } else {
            let fit = newton::fit(
                data.x(),
                data.y(),
                weights.as_deref(),
                p.alpha,
                p.fit_intercept,
                p.max_iterations as usize,
                (p.tolerance * 1e-4).max(1e-14),
            )?;
            (fit.coefficients, fit.intercept, Some(fit.converged))
        };
        ensure!(
            coefficients.iter().all(|c| c.is_finite()) && intercept.is_finite(),
            Error::FitFailed { model: "logistic_regression", message: "non-finite coefficients".into() }
        );
        let feature_means = data.x().mean_axis(ndarray::Axis(0)).unwrap_or_else(|| Array1::zeros(data.x().ncols()));
        Ok(FittedLogisticRegression {
            feature_names: data.feature_names().to_vec(),
            coefficients,
            intercept,
            feature_means,
            converged,
        })
    }
}

/// Fit with linfa-logistic and orient the parameters towards the churn class.
fn fit_lbfgs(
    p: &LogisticRegressionParams,
    x: ArrayView2<'_, f64>,
    y: &[bool],
) -> Result<(Array1<f64>, f64, Option<bool>)> {
    use linfa::traits::Fit;
    let targets = Array1::from(y.to_vec());
    let dataset = linfa::DatasetBase::new(x, targets);
    let fitted = linfa_logistic::LogisticRegression::default()
        .alpha(p.alpha)
        .with_intercept(p.fit_intercept)
        .max_iterations(p.max_iterations)
        .gradient_tolerance(p.tolerance)
        .fit(&dataset)
        .map_err(|e| Error::FitFailed { model: "logistic_regression", message: e.to_string() })?;
    // linfa predicts P(labels().pos.class); flip the sign if that class is "retained".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok((fitted.params() * sign, fitted.intercept() * sign, None))
}

/// A fitted logistic regression: P(churn) = σ(x·β + b).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedLogisticRegression {
    feature_names: Vec<String>,
    coefficients: Array1<f64>,
    intercept: f64,
    /// Training mean of each column: explanations measure contributions from the average customer.
    feature_means: Array1<f64>,
    /// Newton reports convergence; L-BFGS through linfa does not expose it.
    converged: Option<bool>,
}

impl FittedLogisticRegression {
    /// Coefficients on the log-odds scale, in feature order.
    pub fn coefficients(&self) -> ArrayView1<'_, f64> {
        self.coefficients.view()
    }

    /// The intercept (log-odds of churn when every feature is 0, i.e. at the training mean after scaling).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The coefficient of feature `name`.
    pub fn coefficient(&self, name: &str) -> Option<f64> {
        self.feature_names.iter().position(|n| n == name).map(|j| self.coefficients[j])
    }

    /// `(feature, coefficient)` pairs sorted by absolute size, largest first.
    pub fn ranked_coefficients(&self) -> Vec<(&str, f64)> {
        let mut v: Vec<(&str, f64)> =
            self.feature_names.iter().map(String::as_str).zip(self.coefficients.iter().copied()).collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        v
    }

    /// Check internal consistency (used when a model is read from a file).
    pub fn validate(&self) -> Result<()> {
        let n = self.feature_names.len();
        ensure!(
            self.coefficients.len() == n && self.feature_means.len() == n,
            Error::ModelFormat {
                message: format!(
                    "logistic regression has {n} features but {} coefficients and {} means",
                    self.coefficients.len(),
                    self.feature_means.len()
                )
            }
        );
        ensure!(
            self.intercept.is_finite() && self.coefficients.iter().chain(&self.feature_means).all(|v| v.is_finite()),
            Error::ModelFormat { message: "logistic regression parameters are not finite".into() }
        );
        Ok(())
    }

    /// Whether the solver reported convergence (`None` when it cannot tell).
    pub fn converged(&self) -> Option<bool> {
        self.converged
    }
}

impl ChurnModel for FittedLogisticRegression {
    fn name(&self) -> &str {
        "logistic_regression"
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_scoring_input(x, &self.feature_names)?;
        Ok((x.dot(&self.coefficients) + self.intercept).mapv(newton::sigmoid))
    }

    /// Contribution of feature j = βⱼ·(xⱼ − x̄ⱼ) on the log-odds scale, x̄ⱼ its training
    /// mean; the base value is the log-odds of the average training row, b + β·x̄.
    /// This is the exact SHAP value of a linear model with independent features
    /// (Lundberg & Lee 2017, "linear SHAP"). For standardised columns x̄ⱼ = 0, so it is
    /// βⱼ times the number of standard deviations from the mean; for a one-hot column
    /// it compares the customer's category with the average mix, not with "no category".
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation> {
        check_scoring_input(row.insert_axis(ndarray::Axis(0)), &self.feature_names)?;
        let contributions = self
            .feature_names
            .iter()
            .zip(row.iter().zip(self.coefficients.iter().zip(&self.feature_means)))
            .map(|(name, (&value, (&beta, &mean)))| Contribution {
                feature: name.clone(),
                value,
                contribution: beta * (value - mean),
            })
            .collect();
        let base_value = self.intercept + self.coefficients.dot(&self.feature_means);
        Ok(Explanation { base_value, contributions, link: Link::Logit })
    }

    fn contributions(&self, row: ArrayView1<'_, f64>) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(row.len());
        self.contributions_into(row, &mut out)?;
        Ok(out)
    }

    fn contributions_into(&self, row: ArrayView1<'_, f64>, out: &mut Vec<f64>) -> Result<()> {
        check_scoring_input(row.insert_axis(ndarray::Axis(0)), &self.feature_names)?;
        let contribution = |(&value, (&beta, &mean)): (&f64, (&f64, &f64))| beta * (value - mean);
        out.clear();
        // Slices when contiguous (always, for rows of a standard-layout matrix): ndarray's
        // generic iterators cost several times more per element.
        match (row.as_slice(), self.coefficients.as_slice(), self.feature_means.as_slice()) {
            (Some(x), Some(b), Some(m)) => out.extend(x.iter().zip(b.iter().zip(m)).map(contribution)),
            _ => out.extend(row.iter().zip(self.coefficients.iter().zip(&self.feature_means)).map(contribution)),
        }
        Ok(())
    }

    fn to_stored(&self) -> Result<StoredModel> {
        Ok(StoredModel::LogisticRegression(self.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Learner for LogisticRegressionParams {
    fn name(&self) -> &str {
        "logistic_regression"
    }

    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>> {
        Ok(Box::new(self.fit(data)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::roc_auc;
    use approx::assert_abs_diff_eq;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    /// Two informative features plus noise; churn is the minority class (~25%).
    fn separable(n: usize, seed: u64) -> (Array2<f64>, Vec<bool>, Vec<String>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut x = Array2::zeros((n, 3));
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let a: f64 = rng.gen_range(-2.0..2.0);
            let b: f64 = rng.gen_range(-2.0..2.0);
            let z = 2.0 * a - 1.0 * b - 1.5;
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            x[[i, 2]] = rng.gen_range(-1.0..1.0);
            y.push(rng.r#gen::<f64>() < newton::sigmoid(z));
        }
        (x, y, vec!["a".into(), "b".into(), "noise".into()])
    }

    #[test]
    fn churn_probability_ranks_churners_first_on_separable_data() {
        // Guards against linfa-logistic's majority-class orientation (AUC 1 − x if unmapped).
        let (x, y, names) = separable(800, 1);
        assert!(y.iter().filter(|&&l| l).count() < 400, "churn must be the minority class here");
        let m = LogisticRegression::params().fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let auc = roc_auc(&y, m.predict_proba(x.view()).unwrap().as_slice().unwrap()).unwrap();
        assert!(auc > 0.8, "AUC {auc}");
        assert!(m.coefficient("a").unwrap() > 1.0 && m.coefficient("b").unwrap() < -0.5);
        assert_eq!(m.ranked_coefficients()[0].0, "a");
    }

    #[test]
    fn newton_and_lbfgs_agree_without_weights() {
        let (x, y, names) = separable(600, 2);
        let data = Dataset::new(x.view(), &y, &names).unwrap();
        let l = LogisticRegression::params().alpha(0.5).tolerance(1e-8).solver(Solver::Lbfgs).fit(&data).unwrap();
        let n = LogisticRegression::params().alpha(0.5).solver(Solver::Newton).fit(&data).unwrap();
        assert_eq!(n.converged(), Some(true));
        for j in 0..3 {
            assert_abs_diff_eq!(l.coefficients()[j], n.coefficients()[j], epsilon = 1e-4);
        }
        assert_abs_diff_eq!(l.intercept(), n.intercept(), epsilon = 1e-4);
    }

    #[test]
    fn balanced_weights_raise_the_minority_probability() {
        let (x, y, names) = separable(600, 3);
        let data = Dataset::new(x.view(), &y, &names).unwrap();
        let plain = LogisticRegression::params().fit(&data).unwrap();
        let balanced = LogisticRegression::params().class_weight(ClassWeight::Balanced).fit(&data).unwrap();
        let mean = |m: &FittedLogisticRegression| m.predict_proba(x.view()).unwrap().mean().unwrap();
        let rate = y.iter().filter(|&&l| l).count() as f64 / y.len() as f64;
        assert!((mean(&plain) - rate).abs() < 0.02, "unweighted mean {} vs rate {rate}", mean(&plain));
        assert!(mean(&balanced) > 0.4, "balanced mean {}", mean(&balanced));
    }

    #[test]
    fn explanation_sums_to_the_log_odds() {
        let (x, y, names) = separable(300, 4);
        let m = LogisticRegression::params().fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let e = m.explain(x.row(5)).unwrap();
        let p = m.predict_proba(x.slice(ndarray::s![5..6, ..])).unwrap()[0];
        assert_abs_diff_eq!(newton::sigmoid(e.raw_score()), p, epsilon = 1e-12);
    }

    #[test]
    fn contributions_are_measured_from_the_average_row() {
        let (x, y, names) = separable(400, 6);
        let m = LogisticRegression::params().fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        // A row exactly at the training means has zero contributions and scores the base value.
        let means = x.mean_axis(ndarray::Axis(0)).unwrap();
        let e = m.explain(means.view()).unwrap();
        assert!(e.contributions.iter().all(|c| c.contribution.abs() < 1e-12));
        let p = m.predict_proba(means.view().insert_axis(ndarray::Axis(0))).unwrap()[0];
        assert_abs_diff_eq!(newton::sigmoid(e.base_value), p, epsilon = 1e-12);
        // Moving one feature by one unit changes only its contribution, by its coefficient.
        let mut moved = means.clone();
        moved[0] += 1.0;
        let e2 = m.explain(moved.view()).unwrap();
        assert_abs_diff_eq!(e2.contributions[0].contribution, m.coefficients()[0], epsilon = 1e-12);
    }

    #[test]
    fn invalid_settings_and_inputs_are_errors() {
        let (x, y, names) = separable(100, 5);
        let data = Dataset::new(x.view(), &y, &names).unwrap();
        assert!(matches!(
            LogisticRegression::params().alpha(-1.0).fit(&data),
            Err(Error::InvalidParameter { name: "alpha", .. })
        ));
        assert!(matches!(
            LogisticRegression::params().solver(Solver::Lbfgs).class_weight(ClassWeight::Balanced).fit(&data),
            Err(Error::InvalidParameter { name: "solver", .. })
        ));
        let m = LogisticRegression::params().fit(&data).unwrap();
        let wide = Array2::<f64>::zeros((2, 4));
        assert!(matches!(m.predict_proba(wide.view()), Err(Error::ShapeMismatch { .. })));
        let mut bad = Array2::<f64>::zeros((2, 3));
        bad[[1, 2]] = f64::NAN;
        assert!(
            matches!(m.predict_proba(bad.view()), Err(Error::NonFinite { ref column, row: 1, .. }) if column == "noise")
        );
    }
}
