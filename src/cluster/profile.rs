//! [`SegmentProfile`]: who is in a segment, how much more it churns, and what sets it apart.

use std::fmt;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;
use crate::model::ChurnModel;
use crate::stats::{check_level, normal_critical};

/// Settings of [`profile_segments`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileParams {
    /// Separating features reported per segment (largest |standardised difference| first).
    pub top_features: usize,
    /// Features named in the generated label.
    pub label_features: usize,
    /// Minimum |standardised difference| for a feature to appear in the label
    /// (0.2 = Cohen's "small" effect).
    pub label_threshold: f64,
    /// Confidence level of the churn-rate and lift intervals, in (0, 1); an invalid
    /// value is [`Error::InvalidParameter`] named `level`, as everywhere in the crate.
    pub confidence: f64,
    /// Numeric columns to compare; empty = every numeric column of the matrix.
    pub columns: Vec<String>,
}

impl Default for ProfileParams {
    fn default() -> Self {
        ProfileParams {
            top_features: 3,
            label_features: 2,
            label_threshold: 0.2,
            confidence: 0.95,
            columns: Vec::new(),
        }
    }
}

impl ProfileParams {
    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        check_level(self.confidence)?;
        ensure!(
            self.label_threshold.is_finite() && self.label_threshold >= 0.0,
            Error::param("label_threshold", self.label_threshold, "must be finite and ≥ 0")
        );
        Ok(())
    }
}

/// What [`profile_segments`] describes: the customers, their segment and outcome, and
/// optionally a churn model's view and a customer-lifetime value.
#[derive(Clone, Copy, Debug)]
pub struct ProfileInputs<'a> {
    /// Features of the customers (one row each); numeric columns are compared.
    pub features: &'a FeatureMatrix,
    /// Segment of each row (0..k), e.g. from [`Segmenter::predict`](super::Segmenter::predict).
    pub segments: &'a [usize],
    /// Number of segments (segments without members get a profile of size 0).
    pub k: usize,
    /// Whether each customer churned (the label).
    pub churned: &'a [bool],
    /// A churn model and its design matrix for the same rows, for the average predicted churn.
    pub model: Option<(&'a dyn ChurnModel, ArrayView2<'a, f64>)>,
    /// A customer-lifetime value per row, for the average CLV per segment.
    pub clv: Option<&'a [f64]>,
}

/// How a feature in a segment differs from the other customers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureContrast {
    /// The numeric feature.
    pub feature: String,
    /// Standardised mean difference, segment vs the rest (positive = higher in the segment).
    pub standardized_difference: f64,
    /// Mean in the segment (missing values skipped).
    pub mean: f64,
    /// Median in the segment.
    pub median: f64,
    /// Mean over the other customers.
    pub rest_mean: f64,
}

/// A two-sided confidence interval (the same type as the A/B tests use).
pub use crate::eval::ab::Interval;

/// One segment: size, churn against the base rate, and its distinguishing features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// Segment index (0..k).
    pub segment: usize,
    /// Customers in the segment.
    pub size: usize,
    /// Fraction of all customers.
    pub share: f64,
    /// Churners in the segment.
    pub churned: usize,
    /// Churn rate in the segment (0 for an empty segment).
    pub churn_rate: f64,
    /// Wilson score interval of the churn rate.
    pub churn_rate_ci: Interval,
    /// Churn rate divided by the overall (base) churn rate.
    pub lift: f64,
    /// The rate interval divided by the base rate (treats the base rate as known; it is
    /// estimated from all rows, so this slightly understates the lift's uncertainty).
    pub lift_ci: Interval,
    /// The features that separate the segment most, largest |standardised difference| first.
    pub separating: Vec<FeatureContrast>,
    /// Mean predicted churn probability, when a model was given.
    pub mean_predicted_churn: Option<f64>,
    /// Mean customer-lifetime value, when CLV was given.
    pub mean_clv: Option<f64>,
    /// A readable label from the top separating features, e.g. "low order_count_90d, high discount_share".
    pub label: String,
}

impl fmt::Display for SegmentProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment {:2}  n={:6} ({:5.1}%)  churn {:5.1}% [{:5.1}, {:5.1}]  lift {:4.2} [{:4.2}, {:4.2}]",
            self.segment,
            self.size,
            100.0 * self.share,
            100.0 * self.churn_rate,
            100.0 * self.churn_rate_ci.lower,
            100.0 * self.churn_rate_ci.upper,
            self.lift,
            self.lift_ci.lower,
            self.lift_ci.upper
        )?;
        if let Some(p) = self.mean_predicted_churn {
            write!(f, "  predicted {:5.1}%", 100.0 * p)?;
        }
        if let Some(v) = self.mean_clv {
            write!(f, "  clv {v:.1}")?;
        }
        write!(f, "  {}", self.label)
    }
}

/// Wilson score interval for a binomial proportion (Wilson 1927, JASA 22:209, eq. for
/// p̃ ± z/(1+z²/n)·√(p̂(1−p̂)/n + z²/4n²)); `(0, 1)` when `n = 0`.
///
/// # Errors
/// [`Error::InvalidParameter`] named `level` unless `confidence` is in (0, 1);
/// [`Error::ShapeMismatch`] if `successes > n`.
pub fn wilson_interval(successes: usize, n: usize, confidence: f64) -> Result<Interval> {
    let z = normal_critical(confidence)?;
    ensure!(successes <= n, Error::ShapeMismatch { what: "successes vs trials", expected: n, found: successes });
    if n == 0 {
        return Ok(Interval { lower: 0.0, upper: 1.0 });
    }
    Ok(crate::eval::ab::wilson(crate::eval::ab::ArmCounts { n: n as u64, events: successes as u64 }, z))
}

/// Mean, (population) variance and median of the finite values.
fn stats(values: &mut [f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let mid = values.len() / 2;
    let median = if values.len() % 2 == 1 {
        values.get(mid).copied().unwrap_or(mean)
    } else {
        (values.get(mid - 1).copied().unwrap_or(mean) + values.get(mid).copied().unwrap_or(mean)) / 2.0
    };
    Some((mean, var, median))
}

/// Profile each of `k` segments against the rest (see [`SegmentProfile`]).
///
/// The separating features are ranked by the standardised mean difference
/// d = (x̄_seg − x̄_rest) / √((s²_seg + s²_rest)/2) (Austin 2009, Stat Med 28:3083, eq. 1),
/// over the observed (non-missing) values; a feature with zero spread on both sides gets d = 0.
///
/// # Errors
/// [`Error::ShapeMismatch`] when segments, labels, design rows or CLV do not match the
/// feature rows or a segment index is ≥ k; [`Error::EmptyData`] for no rows;
/// [`Error::SingleClass`] when nobody churned (the lift is undefined); [`Error::MissingFeature`]
/// for an unknown column; [`Error::NonFinite`] for a non-finite CLV; model errors as
/// [`ChurnModel::predict_proba`].
pub fn profile_segments(inputs: &ProfileInputs<'_>, params: &ProfileParams) -> Result<Vec<SegmentProfile>> {
    params.check()?;
    let data = inputs.features;
    let n = data.n_rows();
    ensure!(n > 0, Error::EmptyData { context: "segment profile of no rows".into() });
    ensure!(inputs.k >= 1, Error::param("k", inputs.k, "need at least one segment"));
    ensure!(
        inputs.segments.len() == n,
        Error::ShapeMismatch { what: "segments vs rows", expected: n, found: inputs.segments.len() }
    );
    ensure!(
        inputs.churned.len() == n,
        Error::ShapeMismatch { what: "churn labels vs rows", expected: n, found: inputs.churned.len() }
    );
    if let Some(&bad) = inputs.segments.iter().find(|&&s| s >= inputs.k) {
        return Err(Error::ShapeMismatch { what: "segment index vs k", expected: inputs.k, found: bad });
    }
    let total_churned = inputs.churned.iter().filter(|&&c| c).count();
    ensure!(total_churned > 0, Error::SingleClass { class: false, n });
    let base_rate = total_churned as f64 / n as f64;

    let predicted = match inputs.model {
        Some((model, design)) => {
            ensure!(
                design.nrows() == n,
                Error::ShapeMismatch { what: "design rows vs feature rows", expected: n, found: design.nrows() }
            );
            Some(model.predict_proba(design)?)
        }
        None => None,
    };
    if let Some(clv) = inputs.clv {
        ensure!(clv.len() == n, Error::ShapeMismatch { what: "CLV vs rows", expected: n, found: clv.len() });
        if let Some((row, &value)) = clv.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite { column: "clv".into(), row, value });
        }
    }

    let columns: Vec<String> =
        if params.columns.is_empty() { data.numeric_names().to_vec() } else { params.columns.clone() };
    let mut column_values = Vec::with_capacity(columns.len());
    for name in &columns {
        let col = data.numeric_column(name).ok_or_else(|| Error::MissingFeature { name: name.clone() })?;
        column_values.push(col);
    }

    let mut profiles = Vec::with_capacity(inputs.k);
    for seg in 0..inputs.k {
        let members: Vec<usize> = (0..n).filter(|&i| inputs.segments.get(i) == Some(&seg)).collect();
        let size = members.len();
        let churned = members.iter().filter(|&&i| inputs.churned.get(i) == Some(&true)).count();
        let churn_rate = if size > 0 { churned as f64 / size as f64 } else { 0.0 };
        let ci = wilson_interval(churned, size, params.confidence)?;
        let mean_of = |v: &[f64]| -> Option<f64> {
            (size > 0).then(|| members.iter().filter_map(|&i| v.get(i)).sum::<f64>() / size as f64)
        };
        let mean_predicted_churn = predicted.as_ref().and_then(|p| p.as_slice().and_then(mean_of));
        let mean_clv = inputs.clv.and_then(mean_of);

        let mut separating: Vec<FeatureContrast> = Vec::new();
        for (name, col) in columns.iter().zip(&column_values) {
            let (mut inside, mut outside) = (Vec::new(), Vec::new());
            for (i, &v) in col.iter().enumerate() {
                if v.is_nan() {
                    continue;
                }
                if inputs.segments.get(i) == Some(&seg) { inside.push(v) } else { outside.push(v) }
            }
            let (Some((m_in, v_in, med_in)), Some((m_out, v_out, _))) = (stats(&mut inside), stats(&mut outside))
            else {
                continue;
            };
            let sd = ((v_in + v_out) / 2.0).sqrt();
            let d = if sd > 1e-12 { (m_in - m_out) / sd } else { 0.0 };
            separating.push(FeatureContrast {
                feature: name.clone(),
                standardized_difference: d,
                mean: m_in,
                median: med_in,
                rest_mean: m_out,
            });
        }
        separating.sort_by(|a, b| {
            b.standardized_difference.abs().total_cmp(&a.standardized_difference.abs()).then(a.feature.cmp(&b.feature))
        });
        separating.truncate(params.top_features.max(params.label_features));
        let words: Vec<String> = separating
            .iter()
            .take(params.label_features)
            .filter(|c| c.standardized_difference.abs() >= params.label_threshold)
            .map(|c| format!("{} {}", if c.standardized_difference > 0.0 { "high" } else { "low" }, c.feature))
            .collect();
        let label = if words.is_empty() { "typical".to_string() } else { words.join(", ") };
        separating.truncate(params.top_features);
        profiles.push(SegmentProfile {
            segment: seg,
            size,
            share: size as f64 / n as f64,
            churned,
            churn_rate,
            churn_rate_ci: ci,
            lift: churn_rate / base_rate,
            lift_ci: Interval { lower: ci.lower / base_rate, upper: ci.upper / base_rate },
            separating,
            mean_predicted_churn,
            mean_clv,
            label,
        });
    }
    Ok(profiles)
}
