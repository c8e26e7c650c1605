//! Support vector machine classifier with Platt-scaled churn probabilities.
//!
//! Wraps linfa-svm's SMO solver (C-SVC, linear or RBF kernel). Churn
//! probabilities come from Platt scaling of the decision value, fitted on
//! **cross-validated** decision values (as libsvm and scikit-learn's
//! `SVC(probability=True)` do) rather than on the training rows, where an RBF
//! machine is over-confident. Inputs should be standardised, which
//! [`Learner::default_preprocess`] does.
//!
//! **Cost.** Training builds the dense n × n kernel matrix (8·n² bytes: 800 MB
//! at 10,000 rows) and SMO takes O(n²)–O(n³) time, so [`SvmParams::max_rows`]
//! (default 10,000) refuses larger inputs with [`Error::TooLarge`] instead of
//! exhausting memory. Subsample, or use [`GradientBoosting`](super::GradientBoosting),
//! which is usually more accurate on churn tables anyway. Prediction costs
//! O(support vectors × features) per row.
//!
//! **Weights.** Class weights scale C per class (linfa-svm supports C₊ ≠ C₋);
//! per-row sample weights are not supported by the solver and are refused.
//!
//! ```
//! use churnguard::classify::{Svm, SvmKernel};
//! use churnguard::model::{ChurnModel, Dataset};
//! let x = ndarray::Array2::from_shape_fn((80, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0);
//! let y: Vec<bool> = (0..80).map(|i| x[[i, 0]] + x[[i, 1]] > 0.0).collect();
//! let names = vec!["a".to_string(), "b".to_string()];
//! let model = Svm::params().kernel(SvmKernel::Rbf { gamma: None }).fit(&Dataset::new(x.view(), &y, &names)?)?;
//! let p = model.predict_proba(x.view())?;
//! assert!(p[0] >= 0.0 && p[0] <= 1.0);
//! # Ok::<(), churnguard::Error>(())
//! ```

use linfa::prelude::*;
use linfa_svm::Svm as LinfaSvm;
use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::calibration::platt_scale;
use super::newton::sigmoid;
use super::{ClassWeight, check_class_weight, class_weights};
use crate::error::{Error, Result, ensure};
use crate::eval::StratifiedKFold;
use crate::model::{ChurnModel, Contribution, Dataset, Explanation, Learner, Link, StoredModel, check_scoring_input};

/// The kernel of an [`Svm`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SvmKernel {
    /// K(x, z) = x·z.
    Linear,
    /// K(x, z) = exp(−γ‖x − z‖²). `gamma: None` uses 1/(number of features), which is
    /// scikit-learn's `gamma="scale"` on standardised inputs.
    Rbf {
        /// Kernel width γ (> 0), or `None` for 1/features.
        gamma: Option<f64>,
    },
}

/// Settings of a support vector machine (unfitted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvmParams {
    c: f64,
    kernel: SvmKernel,
    class_weight: ClassWeight,
    tolerance: f64,
    platt_folds: usize,
    max_rows: usize,
    seed: u64,
}

/// Support vector machine learner: `Svm::params()` → [`SvmParams::fit`].
#[derive(Clone, Copy, Debug)]
pub struct Svm;

impl Svm {
    /// Defaults: C = 1, RBF kernel with γ = 1/features, uniform class weights, SMO tolerance
    /// 1e-3, 3-fold Platt scaling, at most 10,000 training rows, seed 0.
    pub fn params() -> SvmParams {
        SvmParams {
            c: 1.0,
            kernel: SvmKernel::Rbf { gamma: None },
            class_weight: ClassWeight::Uniform,
            tolerance: 1e-3,
            platt_folds: 3,
            max_rows: 10_000,
            seed: 0,
        }
    }
}

impl SvmParams {
    setter!(
        /// Penalty C of margin violations (> 0); larger fits the training rows more tightly.
        c: f64
    );
    setter!(
        /// The kernel.
        kernel: SvmKernel
    );
    setter!(
        /// Class re-weighting (scales C per class).
        class_weight: ClassWeight
    );
    setter!(
        /// SMO stopping tolerance (> 0).
        tolerance: f64
    );
    setter!(
        /// Folds for the cross-validated Platt scaling (≥ 2), or 0 to fit it on the training
        /// decision values (faster, over-confident for RBF kernels).
        platt_folds: usize
    );
    setter!(
        /// Largest training set accepted (the kernel matrix takes 8·n² bytes).
        max_rows: usize
    );
    setter!(
        /// Seed of the Platt folds.
        seed: u64
    );

    /// Check every setting.
    pub fn check(&self) -> Result<()> {
        ensure!(self.c.is_finite() && self.c > 0.0, Error::param("c", self.c, "must be positive"));
        ensure!(
            self.tolerance.is_finite() && self.tolerance > 0.0,
            Error::param("tolerance", self.tolerance, "must be positive")
        );
        if let SvmKernel::Rbf { gamma: Some(g) } = self.kernel {
            ensure!(g.is_finite() && g > 0.0, Error::param("gamma", g, "must be positive"));
        }
        ensure!(self.platt_folds != 1, Error::param("platt_folds", 1, "use 0 (training rows) or at least 2 folds"));
        ensure!(self.max_rows > 0, Error::param("max_rows", 0, "must be positive"));
        check_class_weight(self.class_weight)
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// [`Error::TooLarge`] above `max_rows`; [`Error::InvalidParameter`] for settings out of
    /// range or sample weights; [`Error::NonFinite`] for missing values (impute first);
    /// [`Error::FitFailed`] if the solver fails.
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedSvm> {
        self.check()?;
        data.check_no_missing()?;
        let n = data.n_rows();
        ensure!(
            n <= self.max_rows,
            Error::TooLarge {
                model: "svm",
                rows: n,
                limit: self.max_rows,
                advice: "SVM training is O(n²) in memory and time; subsample, raise max_rows, or use GradientBoosting"
            }
        );
        ensure!(
            data.weights().is_none(),
            Error::param("sample_weight", "given", "Svm supports class weights only (linfa-svm has per-class C)")
        );
        let x = data.x();
        let y = data.y();
        let p = x.ncols();
        let machine = self.solve(x, y)?;
        let decision: Vec<f64> = if self.platt_folds >= 2 {
            StratifiedKFold::new(self.platt_folds, self.seed)?.out_of_fold(y, |train, test| {
                let yt: Vec<bool> = train.iter().map(|&i| y[i]).collect();
                let m = self.solve(x.select(Axis(0), train).view(), &yt)?;
                Ok(test.iter().map(|&i| decision_value(&m, x.row(i))).collect())
            })?
        } else {
            x.outer_iter().map(|r| decision_value(&machine, r)).collect()
        };
        let (platt_slope, platt_intercept) = platt_scale(&decision, y, &vec![1.0; n])?;
        let means = x.mean_axis(Axis(0)).map(|m| m.to_vec()).unwrap_or_else(|| vec![0.0; p]);
        Ok(FittedSvm { feature_names: data.feature_names().to_vec(), machine, platt_slope, platt_intercept, means })
    }

    /// One SMO solve on `x`, `y`.
    fn solve(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<LinfaSvm<f64, bool>> {
        let (w_pos, w_neg) = class_weights(self.class_weight, y);
        let params =
            LinfaSvm::<f64, bool>::params().pos_neg_weights(self.c * w_pos, self.c * w_neg).eps(self.tolerance);
        let params = match self.kernel {
            SvmKernel::Linear => params.linear_kernel(),
            // linfa's Gaussian kernel is exp(−‖x − z‖²/eps), so eps = 1/γ.
            SvmKernel::Rbf { gamma } => params.gaussian_kernel(1.0 / gamma.unwrap_or(1.0 / x.ncols().max(1) as f64)),
        };
        let targets = Array1::from(y.to_vec());
        let dataset = linfa::DatasetBase::new(x, targets.view());
        params.fit(&dataset).map_err(|e| Error::FitFailed { model: "svm", message: e.to_string() })
    }
}

impl Learner for SvmParams {
    fn name(&self) -> &str {
        "svm"
    }

    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>> {
        Ok(Box::new(self.fit(data)?))
    }
}

/// The decision value f(x) = Σ αᵢ K(svᵢ, x) − ρ of a linfa machine (positive = churn side).
fn decision_value(machine: &LinfaSvm<f64, bool>, row: ArrayView1<'_, f64>) -> f64 {
    machine.weighted_sum(&row) - machine.rho
}

/// A fitted support vector machine: P(churn) = σ(a·f(x) + b), f the SVM decision value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedSvm {
    feature_names: Vec<String>,
    machine: LinfaSvm<f64, bool>,
    platt_slope: f64,
    platt_intercept: f64,
    means: Vec<f64>,
}

impl FittedSvm {
    /// Number of support vectors.
    pub fn n_support(&self) -> usize {
        self.machine.nsupport()
    }

    /// SVM decision value f(x) (positive = churn side of the margin).
    fn decision(&self, row: ArrayView1<'_, f64>) -> f64 {
        decision_value(&self.machine, row)
    }

    /// Check a model read from a file.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.platt_slope.is_finite()
                && self.platt_intercept.is_finite()
                && self.means.len() == self.feature_names.len()
                && self.machine.rho.is_finite(),
            Error::ModelFormat { message: "svm header is inconsistent".into() }
        );
        // linfa-svm keeps its support vectors private; read their width from its serde form
        // so a file whose vectors do not match the feature count is refused, not a panic later.
        let value = serde_json::to_value(&self.machine).map_err(|e| Error::ModelFormat { message: e.to_string() })?;
        let plane = value.get("sep_hyperplane");
        let dim = plane
            .and_then(|h| h.get("Linear").or_else(|| h.get("WeightedCombination")))
            .and_then(|a| a.get("dim"))
            .and_then(|d| d.as_array())
            .and_then(|d| d.last())
            .and_then(|w| w.as_u64());
        ensure!(
            dim == Some(self.feature_names.len() as u64),
            Error::ModelFormat {
                message: format!(
                    "svm support vectors have width {dim:?}, model has {} features",
                    self.feature_names.len()
                )
            }
        );
        Ok(())
    }
}

impl ChurnModel for FittedSvm {
    fn name(&self) -> &str {
        "svm"
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_scoring_input(x, &self.feature_names)?;
        let p: Vec<f64> = (0..x.nrows())
            .into_par_iter()
            .map(|i| sigmoid(self.platt_slope * self.decision(x.row(i)) + self.platt_intercept))
            .collect();
        Ok(Array1::from(p))
    }

    /// Occlusion explanation on the log-odds scale (an approximation for the RBF kernel).
    ///
    /// Feature j's contribution is a·[f(x) − f(x with xⱼ set to its training mean)]; for
    /// the linear kernel that is exactly a·wⱼ·(xⱼ − x̄ⱼ). With the RBF kernel the
    /// occlusion effects need not add up, so the remainder (interactions) is shared out
    /// in proportion to each feature's |effect|. `base_value` is the log-odds at the
    /// training means, so contributions add up to the predicted log-odds exactly.
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation> {
        check_scoring_input(row.insert_axis(Axis(0)), &self.feature_names)?;
        let a = self.platt_slope;
        let f = self.decision(row);
        let mean = Array1::from(self.means.clone());
        let f0 = self.decision(mean.view());
        let mut x = row.to_owned();
        let mut effects = Vec::with_capacity(x.len());
        for j in 0..x.len() {
            let keep = x[j];
            x[j] = self.means[j];
            effects.push(a * (f - self.decision(x.view())));
            x[j] = keep;
        }
        let residual = a * (f - f0) - effects.iter().sum::<f64>();
        let total_abs: f64 = effects.iter().map(|e| e.abs()).sum();
        let k = effects.len().max(1) as f64;
        let contributions = effects
            .iter()
            .zip(&self.feature_names)
            .zip(row.iter())
            .map(|((&e, name), &value)| {
                let share = if total_abs > 0.0 { e.abs() / total_abs } else { 1.0 / k };
                Contribution { feature: name.clone(), value, contribution: e + residual * share }
            })
            .collect();
        Ok(Explanation { base_value: a * f0 + self.platt_intercept, contributions, link: Link::Logit })
    }

    fn to_stored(&self) -> Result<StoredModel> {
        Ok(StoredModel::Svm(self.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::roc_auc;
    use ndarray::Array2;

    /// Two rings: churners inside radius 1 — separable by an RBF kernel, not by a line.
    fn rings(n: usize) -> (Array2<f64>, Vec<bool>, Vec<String>) {
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            let r = if i % 2 == 0 {
                0.5 + 0.3 * ((i * 7) % 10) as f64 / 10.0
            } else {
                1.4 + 0.3 * ((i * 3) % 10) as f64 / 10.0
            };
            let t = i as f64 * 2.399;
            if j == 0 { r * t.cos() } else { r * t.sin() }
        });
        let y = (0..n).map(|i| i % 2 == 0).collect();
        (x, y, vec!["u".into(), "v".into()])
    }

    #[test]
    fn rbf_separates_rings_that_a_linear_kernel_cannot() {
        let (x, y, names) = rings(300);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        let auc = |m: &FittedSvm| roc_auc(&y, m.predict_proba(x.view()).unwrap().as_slice().unwrap()).unwrap();
        let rbf = Svm::params().fit(&d).unwrap();
        let linear = Svm::params().kernel(SvmKernel::Linear).fit(&d).unwrap();
        assert!(auc(&rbf) > 0.99, "rbf {}", auc(&rbf));
        assert!(auc(&linear) < 0.75, "linear {}", auc(&linear));
    }

    #[test]
    fn linear_explanations_are_exact_and_add_up() {
        let x = Array2::from_shape_fn((120, 3), |(i, j)| ((i * (j + 3) * 7) % 23) as f64 / 11.5 - 1.0);
        let y: Vec<bool> = (0..120).map(|i| 2.0 * x[[i, 0]] - x[[i, 1]] + 0.3 * ((i % 5) as f64 - 2.0) > 0.0).collect();
        let names = vec!["a".into(), "b".into(), "c".into()];
        let m = Svm::params().kernel(SvmKernel::Linear).fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let p = m.predict_proba(x.view()).unwrap();
        for r in [0, 50, 119] {
            let e = m.explain(x.row(r)).unwrap();
            assert!((e.probability() - p[r]).abs() < 1e-9);
            // The churn side grows with a and shrinks with b.
            let row = x.row(r);
            if (row[0] - m.means[0]).abs() > 0.1 {
                assert_eq!(e.contributions[0].contribution > 0.0, row[0] > m.means[0]);
            }
        }
    }

    #[test]
    fn oversized_inputs_and_bad_settings_are_refused() {
        let (x, y, names) = rings(40);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        assert!(matches!(Svm::params().max_rows(39).fit(&d), Err(Error::TooLarge { rows: 40, limit: 39, .. })));
        assert!(matches!(Svm::params().c(0.0).fit(&d), Err(Error::InvalidParameter { name: "c", .. })));
        assert!(matches!(
            Svm::params().kernel(SvmKernel::Rbf { gamma: Some(-1.0) }).fit(&d),
            Err(Error::InvalidParameter { name: "gamma", .. })
        ));
        let w = vec![1.0; 40];
        assert!(matches!(
            Svm::params().fit(&d.with_weights(&w).unwrap()),
            Err(Error::InvalidParameter { name: "sample_weight", .. })
        ));
    }

    #[test]
    fn svm_round_trips_through_json() {
        let (x, y, names) = rings(100);
        for kernel in [SvmKernel::Rbf { gamma: None }, SvmKernel::Linear] {
            let m = Svm::params().kernel(kernel).fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
            let back: FittedSvm = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            back.validate().unwrap();
            assert_eq!(m.predict_proba(x.view()).unwrap(), back.predict_proba(x.view()).unwrap());
            // A model whose feature list no longer matches its support vectors is refused.
            let mut wrong = back.clone();
            wrong.feature_names.push("extra".into());
            wrong.means.push(0.0);
            assert!(matches!(wrong.validate(), Err(Error::ModelFormat { .. })));
        }
    }
}
