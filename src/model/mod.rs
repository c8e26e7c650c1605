//! The model contracts every learner in churnguard implements.
//!
//! Sits after [`preprocess`](crate::preprocess): a [`Learner`] (unfitted
//! settings) fits on a [`Dataset`] — a finite design matrix with churn labels
//! and optional sample weights — and returns a fitted [`ChurnModel`], which
//! scores rows with [`predict_proba`](ChurnModel::predict_proba) and explains
//! each score with named [`Contribution`]s. `ChurnModel` is object safe and
//! `Send + Sync`, so a service can keep an `Arc<dyn ChurnModel>` and score
//! from many threads.
//!
//! [`FittedModel`] bundles a fitted [`Preprocessor`](crate::preprocess::Preprocessor)
//! with a model so raw [`FeatureMatrix`](crate::features::FeatureMatrix) rows can be
//! scored, and saves both to one versioned file ([`SavedModel`]).

mod fitted;
mod reason;
mod saved;

pub use self::fitted::FittedModel;
pub(crate) use self::reason::ReasonScratch;
pub use self::reason::{INLINE_REASONS, Reason, Reasons};
pub use self::saved::{FORMAT_VERSION, ModelMetadata, SavedModel, StoredModel};

use std::fmt::Debug;

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};

/// Training data for a learner: design matrix, labels and optional weights, validated.
///
/// ```
/// use churnguard::model::Dataset;
/// let x = ndarray::array![[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]];
/// let names = vec!["a".to_string(), "b".to_string()];
/// let labels = [true, false, true];
/// let data = Dataset::new(x.view(), &labels, &names)?.with_weights(&[1.0, 2.0, 1.0])?;
/// assert_eq!(data.n_rows(), 3);
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dataset<'a> {
    x: ArrayView2<'a, f64>,
    y: &'a [bool],
    weights: Option<&'a [f64]>,
    names: &'a [String],
    has_missing: bool,
}

impl<'a> Dataset<'a> {
    /// Check and wrap training data: sizes agree, at least one row, every value
    /// finite, both classes present.
    pub fn new(x: ArrayView2<'a, f64>, y: &'a [bool], names: &'a [String]) -> Result<Self> {
        let data = Self::with_missing(x, y, names)?;
        data.check_no_missing()?;
        Ok(data)
    }

    /// As [`new`](Self::new), but `NaN` is allowed and means "missing" (for learners
    /// that handle missing values natively, such as the tree models). Infinite
    /// values are still an error.
    pub fn with_missing(x: ArrayView2<'a, f64>, y: &'a [bool], names: &'a [String]) -> Result<Self> {
        ensure!(
            x.nrows() == y.len(),
            Error::ShapeMismatch { what: "labels vs rows", expected: x.nrows(), found: y.len() }
        );
        ensure!(
            x.ncols() == names.len(),
            Error::ShapeMismatch { what: "feature names vs columns", expected: x.ncols(), found: names.len() }
        );
        ensure!(!y.is_empty(), Error::EmptyData { context: "no training rows".into() });
        first_bad(x, names, |v| v.is_infinite())?;
        let has_missing = x.iter().any(|v| v.is_nan());
        let positives = y.iter().filter(|&&l| l).count();
        ensure!(positives > 0 && positives < y.len(), Error::SingleClass { class: positives > 0, n: y.len() });
        Ok(Dataset { x, y, weights: None, names, has_missing })
    }

    /// Whether any value is missing (`NaN`).
    pub fn has_missing(&self) -> bool {
        self.has_missing
    }

    /// [`Error::NonFinite`] naming the first missing value, for learners that need complete data.
    pub fn check_no_missing(&self) -> Result<()> {
        if self.has_missing { check_finite(self.x, self.names) } else { Ok(()) }
    }

    /// Attach per-row sample weights (finite, ≥ 0, with positive weight in both classes).
    pub fn with_weights(mut self, weights: &'a [f64]) -> Result<Self> {
        ensure!(
            weights.len() == self.y.len(),
            Error::ShapeMismatch { what: "weights vs rows", expected: self.y.len(), found: weights.len() }
        );
        for (row, &w) in weights.iter().enumerate() {
            ensure!(w.is_finite(), Error::NonFinite { column: "sample_weight".into(), row, value: w });
            ensure!(w >= 0.0, Error::param("sample_weight", w, "weights must be ≥ 0"));
        }
        let (mut pos, mut neg) = (0.0, 0.0);
        for (&l, &w) in self.y.iter().zip(weights) {
            if l { pos += w } else { neg += w }
        }
        ensure!(pos > 0.0 && neg > 0.0, Error::SingleClass { class: pos > 0.0, n: self.y.len() });
        self.weights = Some(weights);
        Ok(self)
    }

    /// The design matrix.
    pub fn x(&self) -> ArrayView2<'a, f64> {
        self.x
    }

    /// The labels (`true` = churned).
    pub fn y(&self) -> &'a [bool] {
        self.y
    }

    /// Sample weights, if any.
    pub fn weights(&self) -> Option<&'a [f64]> {
        self.weights
    }

    /// Feature (column) names.
    pub fn feature_names(&self) -> &'a [String] {
        self.names
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }
}

/// [`Error::NonFinite`] for the first value (in row order) for which `bad` holds.
///
/// A plain scan first (fast, vectorisable); positions are only worked out on failure.
fn first_bad(x: ArrayView2<'_, f64>, names: &[String], bad: impl Fn(&f64) -> bool + Copy) -> Result<()> {
    // Generic (not a fn pointer) so the test inlines; a contiguous slice scans fastest.
    let any_bad = match x.as_slice() {
        Some(values) => values.iter().any(bad),
        None => x.iter().any(bad),
    };
    if !any_bad {
        return Ok(());
    }
    for (row, r) in x.outer_iter().enumerate() {
        if let Some(col) = r.iter().position(bad) {
            return Err(Error::NonFinite {
                column: names.get(col).cloned().unwrap_or_else(|| format!("column {col}")),
                row,
                value: r[col],
            });
        }
    }
    Ok(())
}

/// Error unless every value of `x` is finite.
pub(crate) fn check_finite(x: ArrayView2<'_, f64>, names: &[String]) -> Result<()> {
    if x.as_slice().is_some_and(all_finite) {
        return Ok(());
    }
    first_bad(x, names, |v| !v.is_finite())
}

/// Whether every value is finite, without a branch per value: `v − v` is 0 for a
/// finite `v` and NaN for NaN and ±∞, and independent lanes let the sum vectorise.
/// (An early-exit scan ran per scored row cost about 3% of batch scoring.)
#[allow(clippy::eq_op)] // `v - v` is the test itself, not a mistake
fn all_finite(values: &[f64]) -> bool {
    const LANES: usize = 8;
    let mut lanes = [0.0f64; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v - v;
        }
    }
    let rest: f64 = chunks.remainder().iter().map(|v| v - v).sum();
    // A NaN anywhere makes the total NaN, which is not 0.
    lanes.iter().sum::<f64>() + rest == 0.0
}

/// Check a scoring input for a model that handles missing values: width, and no infinities
/// (`NaN` is allowed and means missing).
pub fn check_finite_or_missing(x: ArrayView2<'_, f64>, names: &[String]) -> Result<()> {
    ensure!(
        x.ncols() == names.len(),
        Error::ShapeMismatch { what: "columns vs model features", expected: names.len(), found: x.ncols() }
    );
    first_bad(x, names, |v| v.is_infinite())
}

/// Check a scoring input against a model's features: width and finiteness.
pub fn check_scoring_input(x: ArrayView2<'_, f64>, names: &[String]) -> Result<()> {
    ensure!(
        x.ncols() == names.len(),
        Error::ShapeMismatch { what: "columns vs model features", expected: names.len(), found: x.ncols() }
    );
    check_finite(x, names)
}

/// One feature's share of a prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Feature (design column) name.
    pub feature: String,
    /// The feature's value in the row that was explained (after preprocessing).
    pub value: f64,
    /// Signed effect on the raw score (log-odds or probability, see [`Link`]); positive raises churn risk.
    pub contribution: f64,
}

/// How an explanation's raw score maps to a churn probability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// The raw score is log-odds: probability = 1 / (1 + e^−score) (logistic regression, boosting).
    Logit,
    /// The raw score is the probability itself (trees, forests).
    Identity,
}

/// Why a model gave a row its score: `raw score = base_value + Σ contributions`,
/// mapped to a probability by `link`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Raw score of the reference row whose contributions are all zero (for linear
    /// models: the average training row).
    pub base_value: f64,
    /// One entry per feature, in the model's feature order.
    pub contributions: Vec<Contribution>,
    /// Scale of the raw score.
    pub link: Link,
}

impl Explanation {
    /// `base_value + Σ contributions`.
    pub fn raw_score(&self) -> f64 {
        self.base_value + self.contributions.iter().map(|c| c.contribution).sum::<f64>()
    }

    /// The churn probability the explanation adds up to.
    pub fn probability(&self) -> f64 {
        match self.link {
            Link::Logit => crate::classify::newton::sigmoid(self.raw_score()),
            Link::Identity => self.raw_score(),
        }
    }

    /// The `k` contributions with the largest absolute size, largest first.
    pub fn top(&self, k: usize) -> Vec<&Contribution> {
        let mut v: Vec<&Contribution> = self.contributions.iter().collect();
        v.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()).then(a.feature.cmp(&b.feature)));
        v.truncate(k);
        v
    }
}

/// A fitted churn classifier.
///
/// Implementors must be deterministic: the same input gives the same output.
pub trait ChurnModel: Send + Sync + Debug {
    /// Short model name (e.g. `"logistic_regression"`).
    fn name(&self) -> &str;

    /// Names of the design columns the model expects, in order.
    fn feature_names(&self) -> &[String];

    /// Churn probability per row of `x` (columns in [`feature_names`](Self::feature_names) order).
    ///
    /// Errors: wrong number of columns, or a non-finite value.
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>>;

    /// Named contributions to the score of one row.
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation>;

    /// The contributions of [`explain`](Self::explain) without their names, in the
    /// model's feature order: what batch scoring needs. The default calls `explain`;
    /// models override it when the names cost more than the numbers.
    fn contributions(&self, row: ArrayView1<'_, f64>) -> Result<Vec<f64>> {
        Ok(self.explain(row)?.contributions.into_iter().map(|c| c.contribution).collect())
    }

    /// [`contributions`](Self::contributions) written into `out` (cleared first), so
    /// scoring many rows reuses one buffer. The default calls `contributions`.
    fn contributions_into(&self, row: ArrayView1<'_, f64>, out: &mut Vec<f64>) -> Result<()> {
        *out = self.contributions(row)?;
        Ok(())
    }

    /// The serialisable form of the model, for [`SavedModel`]. Host-defined models
    /// that cannot be stored return [`Error::NotSerializable`].
    fn to_stored(&self) -> Result<StoredModel>;

    /// The concrete model, for downcasting (e.g. to read logistic coefficients):
    /// `model.as_any().downcast_ref::<FittedLogisticRegression>()`.
    ///
    /// [`FittedLogisticRegression`]: crate::classify::FittedLogisticRegression
    fn as_any(&self) -> &dyn std::any::Any;
}

/// An unfitted learner: settings that fit a [`ChurnModel`] on a [`Dataset`].
///
/// Object safe, so evaluation code can take `&dyn Learner` and compare several.
pub trait Learner: Send + Sync + Debug {
    /// Short name of the model it fits.
    fn name(&self) -> &str;

    /// Fit on `data` and return the model behind a box.
    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>>;

    /// The preprocessing this learner works best with, used by
    /// [`Pipeline::new`](crate::pipeline::Pipeline::new) unless overridden: imputation and
    /// standard scaling by default; tree models keep missing values and skip scaling.
    fn default_preprocess(&self) -> crate::preprocess::PreprocessParams {
        crate::preprocess::PreprocessParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use proptest::prelude::*;

    proptest! {
        /// The branch-free check agrees with the plain one at every length and position,
        /// including the largest finite values (whose `v − v` is still 0).
        #[test]
        fn all_finite_agrees_with_is_finite(
            mut values in proptest::collection::vec(prop_oneof![Just(f64::MAX), Just(-f64::MAX), -1e300..1e300], 0..40),
            bad in proptest::option::of((any::<prop::sample::Index>(), prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)])),
        ) {
            if let Some((at, v)) = bad && !values.is_empty() {
                let i = at.index(values.len());
                values[i] = v;
            }
            prop_assert_eq!(all_finite(&values), values.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn dataset_rejects_bad_training_data() {
        let names = vec!["a".to_string()];
        let x = array![[1.0], [2.0]];
        assert!(matches!(Dataset::new(x.view(), &[true], &names), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(Dataset::new(x.view(), &[true, true], &names), Err(Error::SingleClass { class: true, n: 2 })));
        let nan = array![[1.0], [f64::NAN]];
        assert!(matches!(Dataset::new(nan.view(), &[true, false], &names), Err(Error::NonFinite { row: 1, .. })));
        let empty = ndarray::Array2::<f64>::zeros((0, 1));
        assert!(matches!(Dataset::new(empty.view(), &[], &names), Err(Error::EmptyData { .. })));
        let ok = Dataset::new(x.view(), &[true, false], &names).unwrap();
        assert!(matches!(ok.with_weights(&[1.0, -1.0]), Err(Error::InvalidParameter { .. })));
        assert!(matches!(ok.with_weights(&[1.0, 0.0]), Err(Error::SingleClass { .. })));
        assert!(matches!(ok.with_weights(&[1.0]), Err(Error::ShapeMismatch { .. })));
    }

    #[test]
    fn explanation_sums_and_ranks() {
        let e = Explanation {
            link: Link::Logit,
            base_value: -1.0,
            contributions: vec![
                Contribution { feature: "a".into(), value: 1.0, contribution: 0.5 },
                Contribution { feature: "b".into(), value: 2.0, contribution: -2.0 },
                Contribution { feature: "c".into(), value: 0.0, contribution: 1.0 },
            ],
        };
        assert_eq!(e.raw_score(), -1.5);
        let top: Vec<&str> = e.top(2).iter().map(|c| c.feature.as_str()).collect();
        assert_eq!(top, vec!["b", "c"]);
    }
}
