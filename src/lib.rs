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
#[cfg(feature = "plots")]
pub mod report;
pub mod retain;
pub mod sim;
pub(crate) mod stats;
mod time;
pub mod warn;

pub use crate::error::{Error, Result};
pub use crate::time::{Days, SECONDS_PER_DAY, Timestamp};
