//! Cross-validation: fit preprocessor and learner on each training fold,
//! score the held-out fold, and summarise.
//!
//! The preprocessor is fitted inside each fold on the training rows only, so
//! imputation values, scaling statistics and category levels never leak from
//! the held-out rows. Folds run in parallel; the result does not depend on the
//! number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::metrics::{MetricSummary, Metrics};
use super::split::StratifiedKFold;
use crate::error::Result;
use crate::features::LabeledMatrix;
use crate::model::{Dataset, Learner};
use crate::preprocess::PreprocessParams;
use crate::progress::{Progress, ProgressUpdate};

/// The outcome of one fold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldReport {
    /// Metrics on the held-out rows.
    pub metrics: Metrics,
    /// Training rows.
    pub n_train: usize,
    /// Held-out rows.
    pub n_test: usize,
    /// Wall-clock seconds to fit preprocessor and model (informational; not deterministic).
    pub fit_seconds: f64,
    /// Wall-clock seconds to preprocess and score the held-out rows (informational).
    #[serde(default)]
    pub predict_seconds: f64,
}

/// Cross-validated performance of one learner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    /// Learner name.
    pub learner: String,
    /// Per-fold results, in fold order.
    pub folds: Vec<FoldReport>,
    /// Mean and standard deviation over folds.
    pub summary: MetricSummary,
    /// Out-of-fold churn probability of every row (each row scored by the model that did not see it).
    pub out_of_fold: Vec<f64>,
}

impl std::fmt::Display for CvReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (m, s) = (&self.summary.mean, &self.summary.std);
        writeln!(f, "{} — {}-fold cross-validation", self.learner, self.folds.len())?;
        writeln!(f, "  ROC-AUC   {:.4} ± {:.4}", m.roc_auc, s.roc_auc)?;
        writeln!(f, "  PR-AUC    {:.4} ± {:.4}", m.pr_auc, s.pr_auc)?;
        writeln!(f, "  log loss  {:.4} ± {:.4}", m.log_loss, s.log_loss)?;
        writeln!(f, "  Brier     {:.4} ± {:.4}", m.brier, s.brier)?;
        writeln!(f, "  lift@10%  {:.2} ± {:.2}", m.lift_at_10, s.lift_at_10)?;
        writeln!(f, "  ECE       {:.4} ± {:.4}", m.ece, s.ece)?;
        write!(f, "  EMPC      {:.3} ± {:.3}", m.empc, s.empc)
    }
}

/// Stratified k-fold cross-validation of `learner` with `preprocess` on `data`.
///
/// Rows that share a customer id (snapshots at several dates stacked) are kept in
/// the same fold, so no customer is scored by a model trained on that customer.
///
/// Errors: a single class in `data`, a class smaller than the number of folds,
/// or any error of preprocessing or fitting (e.g. an unknown category in a
/// held-out fold under the `Error` policy).
///
/// ```
/// use churnguard::{classify::LogisticRegression, eval::{cross_validate, StratifiedKFold}};
/// use churnguard::{features::{FeatureSpec, Snapshot}, preprocess::PreprocessParams, progress::Silent};
/// use churnguard::{data::EventLog, sim::{Population, SimConfig}, Days, Timestamp};
/// let pop = Population::generate(&SimConfig { n_customers: 400, ..SimConfig::default() })?;
/// let log = EventLog::from_source(pop.records())?;
/// let snapshot = Snapshot::new(Timestamp::from_ymd(2024, 7, 1)?, Days(365), Days(90))?;
/// let data = FeatureSpec::default().labeled(&log, &snapshot)?;
/// let report = cross_validate(&LogisticRegression::params(), &PreprocessParams::default(), &data, &StratifiedKFold::new(3, 7)?, &Silent)?;
/// assert_eq!(report.folds.len(), 3);
/// assert!(report.summary.mean.roc_auc > 0.6);
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn cross_validate(
    learner: &dyn Learner,
    preprocess: &PreprocessParams,
    data: &LabeledMatrix,
    folds: &StratifiedKFold,
    progress: &dyn Progress,
) -> Result<CvReport> {
    data.check_both_classes()?;
    preprocess.check()?;
    // Rows of one customer (stacked snapshots) stay in one fold.
    let splits = folds.split_grouped(data.labels(), data.features().customer_ids())?;
    let total = splits.len();
    let done = AtomicUsize::new(0);
    let results: Vec<(FoldReport, Vec<usize>, Vec<f64>)> = splits
        .par_iter()
        .map(|fold| {
            let started = Instant::now();
            let train = data.select_rows(&fold.train)?;
            let test = data.select_rows(&fold.test)?;
            let prep = preprocess.fit(train.features())?;
            let x_train = prep.transform(train.features())?;
            let dataset = Dataset::with_missing(x_train.view(), train.labels(), prep.output_names())?;
            let model = learner.fit_model(&dataset)?;
            let fit_seconds = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let x_test = prep.transform(test.features())?;
            let probs = model.predict_proba(x_test.view())?.to_vec();
            let predict_seconds = started.elapsed().as_secs_f64();
            let metrics = Metrics::compute(test.labels(), &probs)?;
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress.update(ProgressUpdate { stage: "cross-validation", done: finished, total });
            Ok((
                FoldReport {
                    metrics,
                    n_train: fold.train.len(),
                    n_test: fold.test.len(),
                    fit_seconds,
                    predict_seconds,
                },
                fold.test.clone(),
                probs,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out_of_fold = vec![f64::NAN; data.n_rows()];
    let mut reports = Vec::with_capacity(results.len());
    for (report, rows, probs) in results {
        for (r, p) in rows.into_iter().zip(probs) {
            out_of_fold[r] = p;
        }
        reports.push(report);
    }
    let summary = MetricSummary::from_folds(&reports.iter().map(|r| r.metrics).collect::<Vec<_>>())?;
    Ok(CvReport { learner: learner.name().to_string(), folds: reports, summary, out_of_fold })
}
