//! Results of a time-based backtest (run by [`Pipeline::backtest`](crate::pipeline::Pipeline::backtest)).

use serde::{Deserialize, Serialize};

use super::metrics::{MetricSummary, Metrics};
use crate::error::Result;
use crate::time::Timestamp;

/// One step: a model fitted on earlier snapshots, evaluated at a later one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BacktestStep {
    /// The evaluation snapshot.
    pub as_of: Timestamp,
    /// Snapshot dates the model was fitted on (all with label windows closed by `as_of`).
    pub trained_on: Vec<Timestamp>,
    /// Metrics at `as_of`.
    pub metrics: Metrics,
}

/// All steps of a backtest and their summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// Steps in date order.
    pub steps: Vec<BacktestStep>,
    /// Mean and standard deviation over steps.
    pub summary: MetricSummary,
}

impl BacktestReport {
    /// Summarise the steps (at least one).
    pub fn new(steps: Vec<BacktestStep>) -> Result<Self> {
        let summary = MetricSummary::from_folds(&steps.iter().map(|s| s.metrics).collect::<Vec<_>>())?;
        Ok(BacktestReport { steps, summary })
    }
}

impl std::fmt::Display for BacktestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "backtest over {} dates", self.steps.len())?;
        for s in &self.steps {
            writeln!(f, "  {} (trained on {} dates): {}", s.as_of, s.trained_on.len(), s.metrics)?;
        }
        write!(f, "  mean ROC-AUC {:.4} ± {:.4}", self.summary.mean.roc_auc, self.summary.std.roc_auc)
    }
}
