//! Point-in-time features and churn labels.
//!
//! Sits between [`data`](crate::data) and [`preprocess`](crate::preprocess):
//! a [`FeatureSpec`] turns an [`EventLog`](crate::data::EventLog) into a
//! [`FeatureMatrix`] at a [`Snapshot`] date using only events before that
//! date, and labels each eligible customer by what happens in the horizon
//! after it ([`ChurnDefinition`]). Customers who already have one row per
//! customer (a CRM export, the IBM Telco file) take the tabular path:
//! [`LabeledMatrix::from_csv`] with a [`TableSpec`].
//!
//! Feature names are stable snake_case strings with a window suffix
//! (`order_count_30d`, `spend_trend_90d_vs_prev`); see [`FeatureFamilies`]
//! for the full list.

mod extract;
mod matrix;
mod table;

pub use self::extract::{Activity, CALENDAR_FEATURES, ChurnDefinition, FeatureFamilies, FeatureSpec, Snapshot};
pub(crate) use self::extract::{History, LastEvents};
pub use self::matrix::{CategoricalColumn, FeatureMatrix, LabeledMatrix};
pub use self::table::{ColumnKind, TableSpec};
