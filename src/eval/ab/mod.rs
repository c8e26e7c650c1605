//! A/B tests of retention campaigns: effect sizes, confidence intervals, significance and power.
//!
//! Sits after scoring and the retention playbook: once a campaign (coupons, care calls)
//! has been sent to a randomised part of the at-risk customers, this module measures
//! what it did to churn, honestly and with its uncertainty.
//!
//! - [`compare`] / [`compare_outcomes`]: churn per arm, risk difference (Newcombe),
//!   relative reduction (Katz log), z / chi-square / Fisher tests, with a small-sample
//!   flag; [`ProportionComparison`] prints as a one-line claim.
//! - [`compare_clustered`]: difference in means when stores or regions were randomised,
//!   with a cluster-robust (CR1) standard error, t(G − 1) inference, design effect and ICC.
//! - [`compare_stratified`] / [`compare_stratified_outcomes`]: effects per risk tier
//!   pooled by Mantel–Haenszel (risk difference, risk ratio, odds ratio) with the CMH test.
//! - [`PowerPlan`]: customers per arm for a target relative reduction, power for a
//!   given size, and the minimum detectable reduction.
//! - [`SequentialPlan`]: O'Brien–Fleming-type (Lan–DeMets) boundaries for planned
//!   interim looks; [`unplanned_peeking`] quantifies the damage of looks without a plan.
//! - [`Assigner`]: seeded, deterministic arm assignment by customer id (SipHash-2-4),
//!   with per-stratum weights, for the host service that sends the campaign.
//!
//! ```
//! use churnguard::eval::ab::{ArmCounts, Assigner, PowerPlan, SequentialPlan, compare};
//!
//! // 1. Design: high-risk churn is 30 %; detect a 20 % relative cut at alpha 5 %, power 80 %.
//! let size = PowerPlan::new(0.30, 0.05)?.sample_size(0.20, 0.80)?;
//! assert_eq!(size.control, 858);
//! // One interim look at half the data, under an O'Brien–Fleming plan.
//! let plan = SequentialPlan::equally_spaced(0.05, 2)?;
//!
//! // 2. Assign: the host service asks for each customer's arm, always getting the same answer.
//! let assigner = Assigner::new(2024, &[("control", 1.0), ("coupon", 1.0)])?;
//! let arm = assigner.assign("customer-42", "high");
//! assert_eq!(arm, assigner.assign("customer-42", "high"));
//!
//! // 3. Measure after the holidays: 602 of 2,000 control and 480 of 2,000 coupon customers churned.
//! let result = compare(ArmCounts::new(2000, 602)?, ArmCounts::new(2000, 480)?, 0.95)?;
//! assert_eq!(
//!     result.to_string(),
//!     "churn 30.1% → 24.0%, −20.3% relative (95% CI −28.0% to −11.6%), p < 0.001 (z-test)"
//! );
//! // The final look of the plan: |z| = 4.34 is beyond its boundary 1.969.
//! assert!(plan.evaluate_comparison(2, &result)?.stop);
//! # Ok::<(), churnguard::Error>(())
//! ```

mod assign;
mod cluster;
mod power;
mod proportions;
mod sequential;
mod stratified;

pub use assign::Assigner;
pub use cluster::{ClusterArm, ClusteredComparison, compare_clustered};
pub use power::{PowerPlan, SampleSize};
pub(crate) use proportions::wilson;
pub use proportions::{ArmCounts, Interval, ProportionComparison, TestUsed, compare, compare_outcomes};
pub use sequential::{InterimLook, PeekingWarning, SequentialPlan, repeated_testing_alpha, unplanned_peeking};
pub use stratified::{
    StratifiedComparison, StratumCounts, StratumEffect, compare_stratified, compare_stratified_outcomes,
};

use crate::error::{Error, Result};

/// Reads 0/1 flags (treated, churned) from text: `1`/`0`, `true`/`false`, `yes`/`no`,
/// `y`/`n`, `t`/`f`, case-insensitive and trimmed.
///
/// `column` names the column in the error.
///
/// ```
/// use churnguard::eval::ab::parse_flags;
///
/// assert_eq!(parse_flags(["1", "0", "Yes", " false "], "treated")?, vec![true, false, true, false]);
/// assert!(parse_flags(["1", "2"], "treated").is_err());
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidFlag`] with the row of the first value that is not a flag.
pub fn parse_flags<'a>(values: impl IntoIterator<Item = &'a str>, column: &str) -> Result<Vec<bool>> {
    values
        .into_iter()
        .enumerate()
        .map(|(row, value)| match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "yes" | "y" => Ok(true),
            "0" | "false" | "f" | "no" | "n" => Ok(false),
            _ => Err(Error::InvalidFlag { column: column.to_string(), row, value: value.to_string() }),
        })
        .collect()
}
