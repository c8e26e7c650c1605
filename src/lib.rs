#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]

pub mod classify;
pub mod cluster;
pub mod data;
pub mod error;
pub mod eval;
pub mod features;
mod linalg;
pub mod model;
pub mod pipeline;
pub mod preprocess;
pub mod progress;
pub mod regression;
/// SVG charts (ROC, precision–recall, gain, calibration, Qini, Kaplan–Meier, odds ratios, segment lift, tier history, drift) and the model report.
#[cfg(feature = "plots")]
pub mod report;
/// Retention actions: a playbook of actions and a budgeted plan maximising expected saved value.
pub mod retain;
pub mod sim;
pub(crate) mod stats;
mod time;
/// Early warning: risk tiers, scoring output for marketing tools, and feature/score drift.
pub mod warn;

pub use crate::error::{Error, Result};
pub use crate::time::{Days, SECONDS_PER_DAY, Timestamp};
