//! Evaluation: metrics, cross-validation and backtests.
//!
//! Sits at the end of the flow: it scores fitted models against observed
//! outcomes (`true` = churned).
//!
//! - [`roc_auc`], [`pr_auc`], [`log_loss`], [`brier`] and [`lift_at`]; ranking metrics
//!   are tie-aware and match scikit-learn. [`Metrics`] bundles them for one evaluation
//!   and [`MetricSummary`] gives their mean and spread over folds or backtest steps.
//! - [`expected_calibration_error`] and [`reliability_curve`] check that probabilities
//!   mean what they say; [`empc`] prices a ranking as a retention campaign would.
//! - [`StratifiedKFold`] deals customers into seeded, reproducible [`Fold`]s that keep
//!   the churn rate of every fold close to the overall rate; [`cross_validate`] fits
//!   the preprocessor and learner inside each fold and returns a [`CvReport`].
//! - [`BacktestReport`] holds a time-based backtest run by
//!   [`Pipeline::backtest`](crate::pipeline::Pipeline::backtest).
//! - [`compare`] cross-validates several learners on the same folds into one table;
//!   [`permutation_importance`] measures which features a fitted model relies on.
//! - [`ab`] analyses randomised retention campaigns; [`uplift`] learns whom a campaign
//!   changes and scores such rankings (Qini, AUUC).

pub mod ab;
mod backtest;
mod compare;
mod cv;
mod importance;
mod metrics;
mod profit;
mod reliability;
mod split;
pub mod uplift;

pub use backtest::{BacktestReport, BacktestStep};
pub use compare::{Comparison, ComparisonRow, compare};
pub use cv::{CvReport, FoldReport, cross_validate};
pub use importance::{PermutationImportance, permutation_importance};
pub use metrics::{MetricSummary, Metrics, brier, lift_at, log_loss, pr_auc, roc_auc};
#[cfg(feature = "plots")]
pub(crate) use metrics::{check_scores, tie_groups_desc};
pub use profit::{Empc, EmpcParams, empc};
pub use reliability::{ReliabilityBin, expected_calibration_error, reliability_curve};
pub use split::{Fold, StratifiedKFold};
