//! Churn classifiers implementing [`Learner`](crate::model::Learner) and
//! [`ChurnModel`](crate::model::ChurnModel).
//!
//! - [`LogisticRegression`] wraps linfa-logistic (L-BFGS) for unweighted fits and
//!   uses an own Newton/IRLS solver when class or sample weights are given,
//!   because linfa-logistic 0.8 has no weights.
//! - [`DecisionTree`], [`RandomForest`] and [`GradientBoosting`] share one
//!   histogram tree core (`tree/`), written here because linfa-trees and
//!   linfa-ensemble predict labels only (no probabilities to rank by risk) and
//!   have no boosting. Tree models handle missing values (`NaN`) natively and
//!   explain predictions with exact TreeSHAP values.
//! - [`Svm`] wraps linfa-svm (linear or RBF kernel) with cross-validated Platt scaling.
//! - [`Calibrated`] wraps any learner and calibrates its probabilities (Platt or
//!   isotonic) on out-of-fold predictions.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};

/// A builder method setting one field of a params struct.
macro_rules! setter {
    ($(#[$m:meta])* $name:ident: $t:ty) => {
        $(#[$m])*
        pub fn $name(mut self, value: $t) -> Self {
            self.$name = value;
            self
        }
    };
}

pub(crate) mod boosting;
mod calibration;
mod decision_tree;
mod forest;
mod logistic;
pub(crate) mod newton;
mod svm;
pub(crate) mod tree;

pub use self::boosting::{EarlyStopping, FittedGradientBoosting, GradientBoosting, GradientBoostingParams};
pub use self::calibration::{Calibrated, CalibrationMethod, Calibrator, FittedCalibrated, StoredCalibrated};
pub use self::decision_tree::{DecisionTree, DecisionTreeParams, FittedDecisionTree, SplitCriterion, TreeShape};
pub use self::forest::{FittedRandomForest, MaxFeatures, RandomForest, RandomForestParams};
pub use self::logistic::{
    FittedLogisticRegression, LogisticRegression, LogisticRegressionParams, Solver, ValidLogisticRegressionParams,
};
pub use self::svm::{FittedSvm, Svm, SvmKernel, SvmParams};

/// Re-weighting of the two classes, for imbalanced data.
#[derive(Default, Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every row counts once.
    #[default]
    Uniform,
    /// Each class gets total weight n/2 (scikit-learn's `"balanced"`: wᶜ = n / (2·nᶜ)).
    Balanced,
    /// Explicit weights per class.
    Custom {
        /// Weight of a churned row.
        churned: f64,
        /// Weight of a retained row.
        retained: f64,
    },
}

/// Weights of a churned and a retained row under `cw` for labels `y`.
pub(crate) fn class_weights(cw: ClassWeight, y: &[bool]) -> (f64, f64) {
    match cw {
        ClassWeight::Uniform => (1.0, 1.0),
        ClassWeight::Balanced => {
            let n = y.len() as f64;
            let pos = y.iter().filter(|&&l| l).count() as f64;
            (n / (2.0 * pos), n / (2.0 * (n - pos)))
        }
        ClassWeight::Custom { churned, retained } => (churned, retained),
    }
}

/// Per-row weights: class weight times sample weight (1 when absent).
pub(crate) fn row_weights(cw: ClassWeight, y: &[bool], sample: Option<&[f64]>) -> Vec<f64> {
    let (wc, wr) = class_weights(cw, y);
    y.iter().enumerate().map(|(i, &l)| (if l { wc } else { wr }) * sample.map_or(1.0, |s| s[i])).collect()
}

/// Custom class weights must be positive and finite.
pub(crate) fn check_class_weight(cw: ClassWeight) -> Result<()> {
    if let ClassWeight::Custom { churned, retained } = cw {
        for w in [churned, retained] {
            ensure!(w.is_finite() && w > 0.0, Error::param("class_weight", w, "class weights must be positive"));
        }
    }
    Ok(())
}

/// Preprocessing for tree models: keep missing values, no scaling (the unknown-category
/// policy stays at its default, an error).
pub(crate) fn tree_preprocess() -> crate::preprocess::PreprocessParams {
    crate::preprocess::PreprocessParams::default()
        .impute(crate::preprocess::Impute::Keep)
        .scaling(crate::preprocess::Scaling::None)
}
