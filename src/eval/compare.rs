//! Side-by-side comparison of learners on identical folds.
//!
//! [`compare`] cross-validates each learner with its own default preprocessing
//! ([`Learner::default_preprocess`]: imputation and scaling for linear models and SVMs,
//! missing values kept for trees) on the **same** stratified folds, so differences
//! come from the models, not from the split. The [`Comparison`] prints as a Markdown
//! table with every metric of [`Metrics`](super::Metrics) plus timings.
//!
//! ```
//! use churnguard::classify::{GradientBoosting, LogisticRegression};
//! use churnguard::eval::{compare, StratifiedKFold};
//! use churnguard::features::{FeatureSpec, Snapshot};
//! use churnguard::model::Learner;
//! use churnguard::{data::EventLog, progress::Silent, sim::{Population, SimConfig}, Days, Timestamp};
//! let pop = Population::generate(&SimConfig { n_customers: 400, ..SimConfig::default() })?;
//! let log = EventLog::from_source(pop.records())?;
//! let data = FeatureSpec::default().labeled(&log, &Snapshot::new(Timestamp::from_ymd(2024, 7, 1)?, Days(365), Days(90))?)?;
//! let logistic = LogisticRegression::params();
//! let boosting = GradientBoosting::params().n_trees(20);
//! let learners: [&dyn Learner; 2] = [&logistic, &boosting];
//! let table = compare(&learners, &data, &StratifiedKFold::new(3, 1)?, &Silent)?;
//! assert_eq!(table.rows.len(), 2);
//! println!("{table}");
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cv::{CvReport, cross_validate};
use super::metrics::MetricSummary;
use super::split::StratifiedKFold;
use crate::error::{Error, Result, ensure};
use crate::features::LabeledMatrix;
use crate::model::Learner;
use crate::progress::Progress;

/// One learner's line in a [`Comparison`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// Learner name.
    pub learner: String,
    /// Mean and standard deviation of every metric over the folds.
    pub summary: MetricSummary,
    /// Mean wall-clock seconds to fit one fold (folds run in parallel; informational).
    pub fit_seconds: f64,
    /// Mean wall-clock seconds to score one held-out fold (informational).
    pub predict_seconds: f64,
    /// The full cross-validation report (per-fold metrics, out-of-fold probabilities).
    pub report: CvReport,
}

/// Cross-validated metrics of several learners on the same folds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Number of folds.
    pub folds: usize,
    /// Rows evaluated.
    pub n_rows: usize,
    /// One row per learner, in the order given.
    pub rows: Vec<ComparisonRow>,
}

impl Comparison {
    /// The row with the highest mean ROC-AUC.
    pub fn best_by_roc_auc(&self) -> Option<&ComparisonRow> {
        self.rows.iter().max_by(|a, b| a.summary.mean.roc_auc.total_cmp(&b.summary.mean.roc_auc))
    }
}

impl fmt::Display for Comparison {
    /// A Markdown table: mean ± standard deviation over folds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}-fold cross-validation on {} rows (same folds for every model)\n", self.folds, self.n_rows)?;
        writeln!(f, "| model | ROC-AUC | PR-AUC | log loss | Brier | ECE | lift@10% | EMPC | fit s | predict s |")?;
        writeln!(f, "|---|---|---|---|---|---|---|---|---|---|")?;
        for r in &self.rows {
            let (m, s) = (&r.summary.mean, &r.summary.std);
            writeln!(
                f,
                "| {} | {:.4} ± {:.4} | {:.4} ± {:.4} | {:.4} | {:.4} | {:.4} | {:.2} | {:.3} | {:.3} | {:.4} |",
                r.learner,
                m.roc_auc,
                s.roc_auc,
                m.pr_auc,
                s.pr_auc,
                m.log_loss,
                m.brier,
                m.ece,
                m.lift_at_10,
                m.empc,
                r.fit_seconds,
                r.predict_seconds
            )?;
        }
        Ok(())
    }
}

/// Cross-validate every learner on the same `folds` of `data` (each with its default
/// preprocessing) and tabulate ROC-AUC, PR-AUC, log loss, Brier, ECE, lift@10%, EMPC
/// and timings.
///
/// # Errors
/// [`Error::EmptyData`] when `learners` is empty, and any error of
/// [`cross_validate`] (single class, too few rows of a class for the folds, fit errors).
pub fn compare(
    learners: &[&dyn Learner],
    data: &LabeledMatrix,
    folds: &StratifiedKFold,
    progress: &dyn Progress,
) -> Result<Comparison> {
    ensure!(!learners.is_empty(), Error::EmptyData { context: "compare: no learners".into() });
    let mut rows = Vec::with_capacity(learners.len());
    for learner in learners {
        let report = cross_validate(*learner, &learner.default_preprocess(), data, folds, progress)?;
        let k = report.folds.len().max(1) as f64;
        let fit_seconds = report.folds.iter().map(|f| f.fit_seconds).sum::<f64>() / k;
        let predict_seconds = report.folds.iter().map(|f| f.predict_seconds).sum::<f64>() / k;
        rows.push(ComparisonRow {
            learner: learner.name().to_string(),
            summary: report.summary,
            fit_seconds,
            predict_seconds,
            report,
        });
    }
    Ok(Comparison { folds: folds.k(), n_rows: data.n_rows(), rows })
}
