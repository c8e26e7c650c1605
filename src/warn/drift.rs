//! Model health: does the live population still look like the training data?
//!
//! For every feature of a reference [`FeatureMatrix`] (usually the training
//! snapshot) and a live one (the population being scored), and for the model
//! score itself, [`drift`] and [`score_drift`] compute the population stability
//! index ([`psi`]) and the two-sample Kolmogorov–Smirnov test ([`ks_two_sample`]),
//! and grade each against [`DriftThresholds`] (default PSI 0.1 warn, 0.25 alert).
//! Features at warn level or above become [`DriftAlert`]s.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};
use crate::features::{CategoricalColumn, FeatureMatrix};

/// Share given to a bin that is empty in one of the two samples, so the PSI
/// stays finite: `ln(p / 1e-4)` instead of `ln(p / 0)`. A common convention
/// (e.g. Yurdakul 2018, "Statistical properties of the population stability index").
pub const PSI_EPSILON: f64 = 1e-4;

/// How much drift is tolerated, graded on the PSI.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftThresholds {
    /// PSI at or above which a feature is [`DriftLevel::Warn`] (default 0.1).
    pub warn: f64,
    /// PSI at or above which a feature is [`DriftLevel::Alert`] (default 0.25).
    pub alert: f64,
    /// Number of quantile bins taken from the reference sample (default 10).
    pub bins: usize,
}

impl Default for DriftThresholds {
    /// The industry rule of thumb (Siddiqi 2006, *Credit Risk Scorecards*, ch. 8):
    /// PSI < 0.1 stable, 0.1–0.25 some shift, ≥ 0.25 major shift; deciles.
    fn default() -> Self {
        DriftThresholds { warn: 0.1, alert: 0.25, bins: 10 }
    }
}

impl DriftThresholds {
    /// Check the thresholds: finite, `0 < warn ≤ alert`, and at least 2 bins.
    pub fn check(&self) -> Result<()> {
        ensure!(
            self.warn.is_finite() && self.warn > 0.0,
            Error::param("warn", self.warn, "the warn threshold must be finite and > 0")
        );
        ensure!(
            self.alert.is_finite() && self.alert >= self.warn,
            Error::param("alert", self.alert, "the alert threshold must be finite and ≥ the warn threshold")
        );
        ensure!(self.bins >= 2, Error::param("bins", self.bins, "PSI needs at least 2 bins"));
        Ok(())
    }

    /// The level of a PSI value.
    pub fn level(&self, psi: f64) -> DriftLevel {
        if psi >= self.alert {
            DriftLevel::Alert
        } else if psi >= self.warn {
            DriftLevel::Warn
        } else {
            DriftLevel::Stable
        }
    }
}

/// How far a feature has drifted, by its PSI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftLevel {
    /// Below the warn threshold.
    Stable,
    /// At or above the warn threshold, below the alert threshold.
    Warn,
    /// At or above the alert threshold.
    Alert,
}

/// Result of a two-sample Kolmogorov–Smirnov test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KsTest {
    /// Largest distance between the two empirical distribution functions.
    pub statistic: f64,
    /// Asymptotic two-sided p-value.
    pub p_value: f64,
}

/// Drift of one feature (or of the score).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature name (`"score"` for the model score).
    pub feature: String,
    /// Population stability index.
    pub psi: f64,
    /// Kolmogorov–Smirnov test on the non-missing values; `None` for categorical
    /// features or when one side has no non-missing value.
    pub ks: Option<KsTest>,
    /// Grade of the PSI.
    pub level: DriftLevel,
}

/// A feature whose drift reached the warn or alert threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftAlert {
    /// Feature name (`"score"` for the model score).
    pub feature: String,
    /// Population stability index.
    pub psi: f64,
    /// Kolmogorov–Smirnov test, if defined for the feature.
    pub ks: Option<KsTest>,
    /// [`DriftLevel::Warn`] or [`DriftLevel::Alert`].
    pub level: DriftLevel,
}

/// Drift of every feature, and optionally of the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// One entry per feature, in the reference matrix's column order.
    pub features: Vec<FeatureDrift>,
    /// Drift of the model score, if added with [`with_score`](Self::with_score).
    pub score: Option<FeatureDrift>,
}

impl DriftReport {
    /// Attach the drift of the model score.
    pub fn with_score(mut self, score: FeatureDrift) -> Self {
        self.score = Some(score);
        self
    }

    /// Features (and the score) at warn level or above, largest PSI first.
    pub fn alerts(&self) -> Vec<DriftAlert> {
        let mut v: Vec<DriftAlert> = self
            .features
            .iter()
            .chain(self.score.iter())
            .filter(|d| d.level >= DriftLevel::Warn)
            .map(|d| DriftAlert { feature: d.feature.clone(), psi: d.psi, ks: d.ks, level: d.level })
            .collect();
        v.sort_by(|a, b| b.psi.total_cmp(&a.psi).then(a.feature.cmp(&b.feature)));
        v
    }

    /// The worst level over all features and the score.
    pub fn worst_level(&self) -> DriftLevel {
        self.features.iter().chain(self.score.iter()).map(|d| d.level).max().unwrap_or(DriftLevel::Stable)
    }
}

/// Drift of every feature between a `reference` matrix (e.g. the training snapshot)
/// and a `live` one.
///
/// Numeric features get PSI over reference quantile bins (plus a bin for missing
/// values when either side has any) and KS on the non-missing values; categorical
/// features get PSI over their categories (plus missing). Features run in parallel.
///
/// Errors: invalid thresholds, an empty matrix ([`Error::EmptyData`]), or feature
/// names that differ between the two ([`Error::FeatureMismatch`]).
pub fn drift(reference: &FeatureMatrix, live: &FeatureMatrix, thresholds: &DriftThresholds) -> Result<DriftReport> {
    thresholds.check()?;
    ensure!(reference.n_rows() > 0, Error::EmptyData { context: "drift reference matrix has no rows".into() });
    ensure!(live.n_rows() > 0, Error::EmptyData { context: "drift live matrix has no rows".into() });
    ensure!(
        reference.numeric_names() == live.numeric_names()
            && reference.categorical().iter().map(|c| c.name()).eq(live.categorical().iter().map(|c| c.name())),
        Error::FeatureMismatch { expected: reference.names(), found: live.names() }
    );
    let numeric: Vec<FeatureDrift> = (0..reference.numeric_names().len())
        .into_par_iter()
        .map(|j| {
            let r: Vec<f64> = reference.numeric().column(j).to_vec();
            let l: Vec<f64> = live.numeric().column(j).to_vec();
            numeric_drift(&reference.numeric_names()[j], &r, &l, thresholds)
        })
        .collect::<Result<_>>()?;
    let categorical = reference
        .categorical()
        .iter()
        .zip(live.categorical())
        .map(|(r, l)| categorical_drift(r, l, thresholds))
        .collect::<Vec<_>>();
    Ok(DriftReport { features: numeric.into_iter().chain(categorical).collect(), score: None })
}

/// Drift of the model score (churn probabilities) between a reference population
/// and a live one, reported under the feature name `"score"`.
///
/// Errors: invalid thresholds, an empty sample, or a non-finite probability.
pub fn score_drift(reference: &[f64], live: &[f64], thresholds: &DriftThresholds) -> Result<FeatureDrift> {
    thresholds.check()?;
    check_finite("score (reference)", reference)?;
    check_finite("score (live)", live)?;
    numeric_drift("score", reference, live, thresholds)
}

fn check_finite(column: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite { column: column.into(), row, value: values[row] }),
        None => Ok(()),
    }
}

fn numeric_drift(name: &str, reference: &[f64], live: &[f64], thresholds: &DriftThresholds) -> Result<FeatureDrift> {
    let psi = psi(reference, live, thresholds.bins)?;
    let r: Vec<f64> = reference.iter().copied().filter(|v| !v.is_nan()).collect();
    let l: Vec<f64> = live.iter().copied().filter(|v| !v.is_nan()).collect();
    let ks = if r.is_empty() || l.is_empty() { None } else { Some(ks_two_sample(&r, &l)?) };
    Ok(FeatureDrift { feature: name.to_string(), psi, ks, level: thresholds.level(psi) })
}

fn categorical_drift(
    reference: &CategoricalColumn,
    live: &CategoricalColumn,
    thresholds: &DriftThresholds,
) -> FeatureDrift {
    // Bins: the reference levels, then live-only levels, then missing.
    let mut levels: Vec<&str> = reference.levels().iter().map(String::as_str).collect();
    for l in live.levels() {
        if !levels.contains(&l.as_str()) {
            levels.push(l);
        }
    }
    let count = |c: &CategoricalColumn| {
        let mut counts = vec![0usize; levels.len() + 1];
        for v in c.iter() {
            let bin = v.and_then(|s| levels.iter().position(|l| *l == s)).unwrap_or(levels.len());
            if let Some(slot) = counts.get_mut(bin) {
                *slot += 1;
            }
        }
        counts
    };
    let psi = psi_from_counts(&count(reference), &count(live));
    FeatureDrift { feature: reference.name().to_string(), psi, ks: None, level: thresholds.level(psi) }
}

/// Population stability index of `live` against `reference`, with `bins` bins cut
/// at the reference quantiles (linear interpolation, as numpy's default; equal
/// cut points merge, so heavily tied data gets fewer bins). Bin `i` holds values
/// in `(cut[i-1], cut[i]]`. `NaN` means missing and forms one extra bin when
/// either sample has any. An empty bin's share is floored at [`PSI_EPSILON`].
///
/// PSI = Σ (live share − reference share) · ln(live share / reference share)
/// (Siddiqi 2006, *Credit Risk Scorecards*, eq. in ch. 8; Yurdakul 2018, eq. 1).
///
/// ```
/// use churnguard::warn::psi;
/// let reference: Vec<f64> = (0..100).map(f64::from).collect();
/// assert!(psi(&reference, &reference, 10)? < 1e-12);
/// let shifted: Vec<f64> = (50..150).map(f64::from).collect();
/// assert!(psi(&reference, &shifted, 10)? > 0.25);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// Errors: fewer than 2 bins, an empty sample ([`Error::EmptyData`]) or an
/// infinite value ([`Error::NonFinite`]).
pub fn psi(reference: &[f64], live: &[f64], bins: usize) -> Result<f64> {
    ensure!(bins >= 2, Error::param("bins", bins, "PSI needs at least 2 bins"));
    ensure!(!reference.is_empty(), Error::EmptyData { context: "PSI reference sample is empty".into() });
    ensure!(!live.is_empty(), Error::EmptyData { context: "PSI live sample is empty".into() });
    for (what, values) in [("psi reference", reference), ("psi live", live)] {
        if let Some(row) = values.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite { column: what.into(), row, value: values[row] });
        }
    }
    let mut sorted: Vec<f64> = reference.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = (1..bins).filter_map(|k| quantile(&sorted, k as f64 / bins as f64)).collect();
    cuts.dedup();
    let count = |values: &[f64]| {
        // Last slot: missing values.
        let mut counts = vec![0usize; cuts.len() + 2];
        for &v in values {
            let bin = if v.is_nan() { cuts.len() + 1 } else { cuts.partition_point(|&c| c < v) };
            if let Some(slot) = counts.get_mut(bin) {
                *slot += 1;
            }
        }
        counts
    };
    Ok(psi_from_counts(&count(reference), &count(live)))
}

/// PSI from bin counts; bins empty in both samples are skipped (they add nothing).
fn psi_from_counts(reference: &[usize], live: &[usize]) -> f64 {
    let nr = reference.iter().sum::<usize>().max(1) as f64;
    let nl = live.iter().sum::<usize>().max(1) as f64;
    reference
        .iter()
        .zip(live)
        .filter(|(r, l)| **r + **l > 0)
        .map(|(&r, &l)| {
            let e = (r as f64 / nr).max(PSI_EPSILON);
            let a = (l as f64 / nl).max(PSI_EPSILON);
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Quantile `q` of sorted values, linear interpolation between order statistics
/// (Hyndman & Fan 1996, definition 7; numpy's default).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = q * last as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(last);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// Two-sample Kolmogorov–Smirnov test: the statistic `D = sup |F₁(x) − F₂(x)|` and
/// its asymptotic two-sided p-value `Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D)` with
/// `nₑ = n₁n₂/(n₁+n₂)` (Stephens 1970; Press et al., *Numerical Recipes* 3rd ed., eq. 14.3.18),
/// where `Q_KS` is the Kolmogorov distribution's survival function.
///
/// ```
/// use churnguard::warn::ks_two_sample;
/// let a = [1.0, 2.0, 3.0, 4.0];
/// let b = [3.5, 4.5, 5.5, 6.5];
/// let test = ks_two_sample(&a, &b)?;
/// assert_eq!(test.statistic, 0.75);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// Errors: an empty sample ([`Error::EmptyData`]) or a non-finite value ([`Error::NonFinite`]).
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Result<KsTest> {
    ensure!(!a.is_empty() && !b.is_empty(), Error::EmptyData { context: "KS test needs two non-empty samples".into() });
    check_finite("ks sample 1", a)?;
    check_finite("ks sample 2", b)?;
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < x.len() && j < y.len() {
        // Step past every copy of the smallest remaining value in both samples, so ties
        // move both distribution functions together.
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let ne = n * m / (n + m);
    let lambda = (ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d;
    Ok(KsTest { statistic: d, p_value: kolmogorov_sf(lambda) })
}

/// Survival function of the Kolmogorov distribution, `P(K > λ)`.
///
/// For λ ≥ 1.18: `2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}`; below, `1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}`
/// (Marsaglia, Tsang & Wang 2003, eq. 1 and its Jacobi-theta form), both converging fast in their range.
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    let p = if lambda < 1.18 {
        let t = std::f64::consts::PI.powi(2) / (8.0 * lambda * lambda);
        let s: f64 = (1..=20).map(|k| (-((2 * k - 1) as f64).powi(2) * t).exp()).sum();
        1.0 - (2.0 * std::f64::consts::PI).sqrt() / lambda * s
    } else {
        let s: f64 = (1..=100)
            .map(|k| {
                let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
                sign * (-2.0 * (k * k) as f64 * lambda * lambda).exp()
            })
            .sum();
        2.0 * s
    };
    p.clamp(0.0, 1.0)
}
