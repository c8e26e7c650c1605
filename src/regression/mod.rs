//! Why customers churn, when they will, and what they are worth.
//!
//! Statistics a retention team can defend: [`factors`] explains churn with a
//! maximum-likelihood logistic regression (standard errors, odds ratios,
//! confidence intervals); [`survival`] models time to churn (Kaplan–Meier,
//! log-rank, Cox proportional hazards); [`clv`] predicts purchases and value
//! (BG/NBD, Gamma–Gamma, shifted-beta-geometric) and combines them into
//! customer lifetime value.

pub mod clv;
pub mod factors;
mod inference;
pub mod survival;
