//! Customer segments that show which groups churn more, so retention can act by group.
//!
//! Sits beside [`model`](crate::model): it takes the same point-in-time
//! [`FeatureMatrix`](crate::features::FeatureMatrix) (and, optionally, a fitted
//! [`ChurnModel`](crate::model::ChurnModel)) and answers "which groups of
//! customers churn more, and what sets them apart?".
//!
//! - [`SegmenterParams`] → [`Segmenter`]: k-means on chosen numeric columns,
//!   median-imputed and scaled; [`SegmenterParams::choose_k`] returns the
//!   silhouette and inertia per k; segmenters assign new customers
//!   ([`Segmenter::predict`]) and are saved as versioned JSON.
//! - [`gaussian_mixture`]: soft segments from a diagonal Gaussian mixture, with
//!   [`bic_curve`] to choose the number of components.
//! - [`profile_segments`] → one [`SegmentProfile`] per segment: size, churn rate
//!   and lift with 95% intervals, the features that separate it (standardised
//!   mean difference), mean predicted churn / CLV, and a readable label.
//! - [`rfm_scores`] / [`rfm_churn`]: classic RFM quintile scores and named
//!   segments with their churn rates, a model-free alternative.
//!
//! The k-means is our own Lloyd's algorithm with greedy k-means++ seeding
//! ([`kmeans`]) rather than linfa-clustering's: we need bit-identical results
//! for a seed regardless of the rayon thread count (fixed-size chunks reduced
//! in order, one ChaCha8 stream per initialisation), typed errors instead of
//! panics on degenerate input (k above the number of distinct rows), and no
//! extra dependency tree.

mod gmm;
mod kmeans;
mod profile;
mod rfm;
mod segmenter;

pub use self::gmm::{GaussianMixture, GaussianMixtureParams, bic_curve, gaussian_mixture};
pub use self::kmeans::{KMeansFit, KMeansParams, kmeans, silhouette};
pub use self::profile::{
    FeatureContrast, Interval, ProfileInputs, ProfileParams, SegmentProfile, profile_segments, wilson_interval,
};
pub use self::rfm::{RfmScore, RfmSegment, RfmSummary, rfm_churn, rfm_from_features, rfm_scores};
pub use self::segmenter::{KScore, KSelection, SEGMENTER_FORMAT_VERSION, Segmenter, SegmenterParams};
