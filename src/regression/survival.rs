//! Time to churn: Kaplan–Meier, log-rank test and Cox proportional hazards.
//!
//! Each customer contributes a duration (tenure so far) and an event flag: `true`
//! if they churned at that duration, `false` if they are still a customer (right
//! censored — we only know they lasted at least that long). Durations must be
//! finite and ≥ 0; zero is allowed (lifelines allows it too): a customer censored
//! at 0 is in no risk set after time 0 and so only counts in the at-risk total at 0.
//!
//! - [`KaplanMeier`]: the share of customers retained over time, with Greenwood
//!   variance and log-log confidence intervals (as lifelines' `KaplanMeierFitter`),
//!   median time to churn, by-group curves.
//! - [`logrank_test`]: are the curves of two or more groups different?
//! - [`CoxPh`]: how covariates multiply the churn hazard (Efron or Breslow ties,
//!   optional L2), hazard ratios with intervals, concordance, the Breslow baseline
//!   and per-customer "probability of churning within h".
//! - [`concordance_index`]: Harrell's C of any risk score.
//!
//! Covariates for [`CoxPh`] can come from a [`FeatureMatrix`](crate::features::FeatureMatrix)
//! through [`DesignMatrix`](super::factors::DesignMatrix).

mod concordance;
mod cox;
mod kaplan_meier;
mod logrank;

pub use concordance::concordance_index;
pub use cox::{CoxParams, CoxPh, CoxTerm, CoxWarning, FittedCoxPh, Ties, ValidCoxParams};
pub use kaplan_meier::{KaplanMeier, KaplanMeierParams};
pub use logrank::{LogRankTest, logrank_test};
