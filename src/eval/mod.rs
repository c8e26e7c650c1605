//! Evaluation: metrics, cross-validation splits and reports.
