//! Evaluation: metrics, cross-validation splits and reports.
//!
//! - [`roc_auc`], [`pr_auc`], [`log_loss`], [`brier`] and [`lift_at`] score churn
//!   predictions against observed outcomes (`true` = churned); ranking metrics are
//!   tie-aware and match scikit-learn. [`Metrics`] bundles them for one evaluation and
//!   [`MetricSummary`] gives their mean and spread over cross-validation folds.
//! - [`StratifiedKFold`] deals customers into seeded, reproducible [`Fold`]s that keep
//!   the churn rate of every fold close to the overall rate.

mod metrics;
mod split;

pub use metrics::{MetricSummary, Metrics, brier, lift_at, log_loss, pr_auc, roc_auc};
pub use split::{Fold, StratifiedKFold};
