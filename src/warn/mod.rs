//! Early warning: score a population into risk tiers and watch the model's health.
//!
//! Sits after [`pipeline`](crate::pipeline): a [`Scorer`] turns a fitted
//! pipeline's per-customer probabilities and reasons into the shape marketing
//! tools use (0–100 risk score, tier, percentile, change since the previous run);
//! [`drift`] compares the live population with the training data feature by
//! feature (PSI and Kolmogorov–Smirnov); a [`Monitor`] watches
//! customers event by event and raises [`Alert`]s with reasons. The [`retain`](crate::retain) module
//! turns the scored population into retention actions.

mod drift;
mod monitor;
mod score;

pub use self::drift::{
    DriftAlert, DriftLevel, DriftReport, DriftThresholds, FeatureDrift, KsTest, PSI_EPSILON, drift, kolmogorov_sf,
    ks_two_sample, psi, score_drift,
};
pub use self::monitor::{
    Alert, Applied, CHECKPOINT_VERSION, Cause, Detectors, FrequencyDrop, Inactivity, Monitor, MonitorConfig,
    MonitorState, MonitorStats, Trigger, UnknownCustomers,
};
pub use self::score::{
    CustomerRisk, RiskChange, RiskTier, Scorer, ScorerConfig, Scoring, TierCounts, TierCutoffs, rank_scores,
};
