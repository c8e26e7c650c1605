//! churnguard: tell a business early, and with reasons, which customers are about to leave.
#![forbid(unsafe_code)]

pub mod data;
pub mod error;
pub mod eval;
pub mod features;
pub mod sim;
mod time;

pub use crate::error::{Error, Result};
pub use crate::time::{Days, SECONDS_PER_DAY, Timestamp};
