//! Probability calibration for any [`ChurnModel`]: Platt scaling and isotonic regression.
//!
//! Forests, SVMs and strongly regularised models rank customers well but their
//! probabilities can be too timid or too bold, and a retention budget built on
//! expected losses needs probabilities that mean what they say. A
//! [`Calibrator`] is a monotone map from a model's probability to a calibrated
//! one, fitted on **out-of-fold** predictions (rows the model did not see), as
//! scikit-learn's `CalibratedClassifierCV(ensemble=False)` does.
//! [`Calibrated`] wraps any [`Learner`]: it runs an internal stratified k-fold
//! to collect out-of-fold probabilities, fits the calibrator on them, refits
//! the base learner on all rows, and returns a [`FittedCalibrated`] model that
//! saves and loads like every other model.
//!
//! ```
//! use churnguard::classify::{Calibrated, CalibrationMethod, RandomForest};
//! use churnguard::model::{ChurnModel, Dataset, Learner};
//! let x = ndarray::Array2::from_shape_fn((200, 2), |(i, j)| ((i * 7 + j * 13) % 17) as f64);
//! let y: Vec<bool> = (0..200).map(|i| (i * 7) % 17 > 10).collect();
//! let names = vec!["a".to_string(), "b".to_string()];
//! let data = Dataset::new(x.view(), &y, &names)?;
//! let learner = Calibrated::new(RandomForest::params().n_trees(20), CalibrationMethod::Isotonic);
//! let model = learner.fit_model(&data)?;
//! let p = model.predict_proba(x.view())?;
//! assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::newton::{self, sigmoid};
use crate::error::{Error, Result, ensure};
use crate::eval::StratifiedKFold;
use crate::model::{ChurnModel, Contribution, Dataset, Explanation, Learner, Link, StoredModel};

/// Probabilities are clipped to `[CLIP, 1 − CLIP]` before taking log-odds.
const CLIP: f64 = 1e-12;

/// log-odds of a probability, clipped so 0 and 1 stay finite.
fn logit(p: f64) -> f64 {
    let p = p.clamp(CLIP, 1.0 - CLIP);
    (p / (1.0 - p)).ln()
}

/// How to map a model's probabilities to calibrated ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMethod {
    /// Logistic regression on the model's log-odds, σ(a·logit(p) + b) (Platt 1999, with
    /// Platt's smoothed targets). Two parameters: robust on small data, fixes
    /// over/under-confidence but not S-shaped distortions.
    #[default]
    Platt,
    /// Non-decreasing step function fitted by pool-adjacent-violators, linearly
    /// interpolated between fitted points (Zadrozny & Elkan 2002). Flexible; needs
    /// a few hundred rows per class.
    Isotonic,
}

/// A fitted monotone map from probability to calibrated probability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Calibrator {
    /// σ(`slope`·logit(p) + `intercept`).
    Platt {
        /// Multiplier of the model's log-odds (< 1 softens over-confident models).
        slope: f64,
        /// Shift of the log-odds.
        intercept: f64,
    },
    /// Piecewise-linear interpolation through (`x`, `y`), clipped outside `[x₀, xₙ]`.
    Isotonic {
        /// Distinct model probabilities, increasing.
        x: Vec<f64>,
        /// Calibrated probability at each `x`, non-decreasing.
        y: Vec<f64>,
    },
}

impl Calibrator {
    /// Fit a calibrator on model probabilities `probs` and outcomes `labels`
    /// (optionally weighted).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`], [`Error::EmptyData`], [`Error::NonFinite`] or
    /// [`Error::InvalidParameter`] for probabilities outside `[0, 1]`, and
    /// [`Error::SingleClass`] if only one class is present.
    pub fn fit(method: CalibrationMethod, probs: &[f64], labels: &[bool], weights: Option<&[f64]>) -> Result<Self> {
        ensure!(
            probs.len() == labels.len(),
            Error::ShapeMismatch { what: "probabilities vs labels", expected: labels.len(), found: probs.len() }
        );
        ensure!(!labels.is_empty(), Error::EmptyData { context: "calibration: no rows".into() });
        if let Some(row) = probs.iter().position(|p| !p.is_finite()) {
            return Err(Error::NonFinite { column: "probability".into(), row, value: probs[row] });
        }
        if let Some(&p) = probs.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(Error::param("probability", p, "must lie in [0, 1]"));
        }
        let w: Vec<f64> = match weights {
            Some(w) => {
                ensure!(
                    w.len() == labels.len(),
                    Error::ShapeMismatch { what: "weights vs labels", expected: labels.len(), found: w.len() }
                );
                w.to_vec()
            }
            None => vec![1.0; labels.len()],
        };
        let positives = labels.iter().zip(&w).filter(|(l, w)| **l && **w > 0.0).count();
        let negatives = labels.iter().zip(&w).filter(|(l, w)| !**l && **w > 0.0).count();
        ensure!(positives > 0 && negatives > 0, Error::SingleClass { class: positives > 0, n: labels.len() });
        match method {
            CalibrationMethod::Platt => fit_platt(probs, labels, &w),
            CalibrationMethod::Isotonic => Ok(fit_isotonic(probs, labels, &w)),
        }
    }

    /// The calibrated probability of a model probability `p`.
    pub fn apply(&self, p: f64) -> f64 {
        match self {
            Calibrator::Platt { slope, intercept } => sigmoid(slope * logit(p) + intercept),
            Calibrator::Isotonic { x, y } => interpolate(x, y, p),
        }
    }

    /// Check a calibrator read from a file.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::ModelFormat { message: format!("calibrator: {m}") });
        match self {
            Calibrator::Platt { slope, intercept } => {
                if !slope.is_finite() || !intercept.is_finite() {
                    return bad("non-finite Platt parameters");
                }
            }
            Calibrator::Isotonic { x, y } => {
                if x.is_empty() || x.len() != y.len() {
                    return bad("isotonic x and y must be non-empty and of equal length");
                }
                if x.windows(2).any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
                    || y.windows(2).any(|w| w[0].partial_cmp(&w[1]) == Some(std::cmp::Ordering::Greater))
                    || x.iter().chain(y).any(|v| !(0.0..=1.0).contains(v))
                {
                    return bad("isotonic points must be increasing in x, non-decreasing in y, inside [0, 1]");
                }
            }
        }
        Ok(())
    }
}

/// Platt scaling by Newton's method: fits P(churn) = σ(slope·score + intercept) with
/// Platt's targets t₊ = (N₊ + 1)/(N₊ + 2), t₋ = 1/(N₋ + 2) (Platt 1999, §2.2) to avoid
/// overfitting: each row enters twice, as churned with weight w·t and as retained with
/// weight w·(1 − t). Returns `(slope, intercept)`.
pub(crate) fn platt_scale(scores: &[f64], labels: &[bool], w: &[f64]) -> Result<(f64, f64)> {
    let n_pos: f64 = labels.iter().zip(w).filter(|(l, _)| **l).map(|(_, w)| w).sum();
    let n_neg: f64 = labels.iter().zip(w).filter(|(l, _)| !**l).map(|(_, w)| w).sum();
    let (t_pos, t_neg) = ((n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0));
    let n = scores.len();
    let x = Array2::from_shape_fn((2 * n, 1), |(i, _)| scores[i % n]);
    let y: Vec<bool> = (0..2 * n).map(|i| i < n).collect();
    let sw: Vec<f64> = (0..2 * n)
        .map(|i| {
            let t = if labels[i % n] { t_pos } else { t_neg };
            w[i % n] * if i < n { t } else { 1.0 - t }
        })
        .collect();
    let fit = newton::fit(x.view(), &y, Some(&sw), 0.0, true, 100, 1e-10)?;
    let slope = fit.coefficients.first().copied().unwrap_or(0.0);
    ensure!(
        fit.converged && slope.is_finite() && fit.intercept.is_finite(),
        Error::FitFailed { model: "platt_calibration", message: "Newton iterations did not converge".into() }
    );
    Ok((slope, fit.intercept))
}

/// Platt scaling on the model's log-odds.
fn fit_platt(probs: &[f64], labels: &[bool], w: &[f64]) -> Result<Calibrator> {
    let scores: Vec<f64> = probs.iter().map(|&p| logit(p)).collect();
    let (slope, intercept) = platt_scale(&scores, labels, w)?;
    Ok(Calibrator::Platt { slope, intercept })
}

/// Weighted isotonic (non-decreasing) regression of the outcome on the probability by
/// pool-adjacent-violators (Barlow et al. 1972). Tied probabilities are merged first
/// (weighted mean outcome), as scikit-learn's `IsotonicRegression` does.
fn fit_isotonic(probs: &[f64], labels: &[bool], w: &[f64]) -> Calibrator {
    let mut order: Vec<usize> = (0..probs.len()).filter(|&i| w[i] > 0.0).collect();
    order.sort_by(|&a, &b| probs[a].total_cmp(&probs[b]));
    // (x, weighted outcome sum, weight) per distinct probability.
    let mut points: Vec<(f64, f64, f64)> = Vec::new();
    for i in order {
        let yi = if labels[i] { w[i] } else { 0.0 };
        match points.last_mut() {
            Some(last) if last.0 == probs[i] => {
                last.1 += yi;
                last.2 += w[i];
            }
            _ => points.push((probs[i], yi, w[i])),
        }
    }
    // Blocks of (outcome sum, weight, number of points), merged while the means decrease.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(points.len());
    for &(_, s, wt) in &points {
        blocks.push((s, wt, 1));
        while blocks.len() >= 2 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 / a.1 >= b.0 / b.1 {
                blocks.pop();
                if let Some(last) = blocks.last_mut() {
                    *last = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
                }
            } else {
                break;
            }
        }
    }
    let x: Vec<f64> = points.iter().map(|p| p.0).collect();
    let y: Vec<f64> = blocks.iter().flat_map(|&(s, wt, k)| std::iter::repeat_n(s / wt, k)).collect();
    Calibrator::Isotonic { x, y }
}

/// Linear interpolation through increasing `x`, clipped to the end values.
fn interpolate(x: &[f64], y: &[f64], p: f64) -> f64 {
    let (Some(&x0), Some(&xn), Some(&y0), Some(&yn)) = (x.first(), x.last(), y.first(), y.last()) else {
        return p;
    };
    if p <= x0 {
        return y0;
    }
    if p >= xn {
        return yn;
    }
    // First index with x > p; 1 ≤ hi < len because x0 < p < xn.
    let hi = x.partition_point(|&v| v <= p);
    let (xa, xb, ya, yb) = (x[hi - 1], x[hi], y[hi - 1], y[hi]);
    ya + (yb - ya) * (p - xa) / (xb - xa)
}

/// A learner whose probabilities are calibrated on out-of-fold predictions.
#[derive(Clone, Debug)]
pub struct Calibrated {
    name: String,
    base: Arc<dyn Learner>,
    method: CalibrationMethod,
    folds: usize,
    seed: u64,
}

impl Calibrated {
    /// Calibrate `base` with `method`, using 5 internal folds and seed 0.
    pub fn new(base: impl Learner + 'static, method: CalibrationMethod) -> Self {
        let suffix = match method {
            CalibrationMethod::Platt => "platt",
            CalibrationMethod::Isotonic => "isotonic",
        };
        Calibrated { name: format!("{}+{suffix}", base.name()), base: Arc::new(base), method, folds: 5, seed: 0 }
    }

    /// Number of internal folds for the out-of-fold predictions (≥ 2).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Seed of the internal fold assignment.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fit the base learner on all rows and a calibrator on its out-of-fold probabilities.
    ///
    /// # Errors
    /// Too few rows of a class for the folds ([`Error::InvalidParameter`] `k`), and any
    /// error of the base learner or of [`Calibrator::fit`].
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedCalibrated> {
        let x = data.x();
        let oof = StratifiedKFold::new(self.folds, self.seed)?.out_of_fold(data.y(), |train, test| {
            let xt = x.select(Axis(0), train);
            let yt: Vec<bool> = train.iter().map(|&i| data.y()[i]).collect();
            let wt: Option<Vec<f64>> = data.weights().map(|w| train.iter().map(|&i| w[i]).collect());
            let mut d = Dataset::with_missing(xt.view(), &yt, data.feature_names())?;
            if let Some(wt) = &wt {
                d = d.with_weights(wt)?;
            }
            let model = self.base.fit_model(&d)?;
            Ok(model.predict_proba(x.select(Axis(0), test).view())?.to_vec())
        })?;
        let calibrator = Calibrator::fit(self.method, &oof, data.y(), data.weights())?;
        let base = self.base.fit_model(data)?;
        Ok(FittedCalibrated { base: Arc::from(base), calibrator })
    }
}

impl Learner for Calibrated {
    /// The base learner's name with the method, e.g. `gradient_boosting+isotonic`.
    fn name(&self) -> &str {
        &self.name
    }

    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>> {
        Ok(Box::new(self.fit(data)?))
    }

    fn default_preprocess(&self) -> crate::preprocess::PreprocessParams {
        self.base.default_preprocess()
    }
}

/// A fitted model followed by a fitted [`Calibrator`].
#[derive(Clone, Debug)]
pub struct FittedCalibrated {
    base: Arc<dyn ChurnModel>,
    calibrator: Calibrator,
}

impl FittedCalibrated {
    /// Wrap a fitted model and a calibrator fitted on its out-of-fold probabilities.
    pub fn new(base: Arc<dyn ChurnModel>, calibrator: Calibrator) -> Self {
        FittedCalibrated { base, calibrator }
    }

    /// The uncalibrated model.
    pub fn base(&self) -> &Arc<dyn ChurnModel> {
        &self.base
    }

    /// The calibration map.
    pub fn calibrator(&self) -> &Calibrator {
        &self.calibrator
    }
}

impl ChurnModel for FittedCalibrated {
    fn name(&self) -> &str {
        self.base.name()
    }

    fn feature_names(&self) -> &[String] {
        self.base.feature_names()
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(self.base.predict_proba(x)?.mapv(|p| self.calibrator.apply(p)))
    }

    /// The base model's explanation carried through the calibrator.
    ///
    /// Exact for Platt scaling of a log-odds model (contributions × slope). Otherwise the
    /// map is non-linear and the contributions are rescaled by one common factor,
    /// (c(p) − c(p₀)) / (raw − raw₀), so they keep their ranking and signs and still add
    /// up to the calibrated probability on the probability scale — an approximation: the
    /// calibrated model has no exact additive decomposition.
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation> {
        let e = self.base.explain(row)?;
        if let (Calibrator::Platt { slope, intercept }, Link::Logit) = (&self.calibrator, e.link) {
            return Ok(Explanation {
                base_value: slope * e.base_value + intercept,
                contributions: scale(e.contributions, *slope),
                link: Link::Logit,
            });
        }
        let to_prob = |raw: f64| if e.link == Link::Logit { sigmoid(raw) } else { raw };
        let (raw0, raw) = (e.base_value, e.raw_score());
        let (c0, c) = (self.calibrator.apply(to_prob(raw0)), self.calibrator.apply(to_prob(raw)));
        let factor = if (raw - raw0).abs() > 1e-12 {
            (c - c0) / (raw - raw0)
        } else if e.link == Link::Logit {
            let p = to_prob(raw);
            p * (1.0 - p)
        } else {
            1.0
        };
        Ok(Explanation { base_value: c0, contributions: scale(e.contributions, factor), link: Link::Identity })
    }

    fn to_stored(&self) -> Result<StoredModel> {
        Ok(StoredModel::Calibrated(StoredCalibrated {
            base: Box::new(self.base.to_stored()?),
            calibrator: self.calibrator.clone(),
        }))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn scale(contributions: Vec<Contribution>, factor: f64) -> Vec<Contribution> {
    contributions.into_iter().map(|c| Contribution { contribution: c.contribution * factor, ..c }).collect()
}

/// The stored form of a [`FittedCalibrated`]: the base model and the calibrator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCalibrated {
    /// The uncalibrated model.
    pub base: Box<StoredModel>,
    /// The calibration map.
    pub calibrator: Calibrator,
}

impl StoredCalibrated {
    /// Check both parts.
    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        self.calibrator.validate()
    }

    /// The live model.
    pub fn into_model(self) -> FittedCalibrated {
        FittedCalibrated { base: self.base.into_model(), calibrator: self.calibrator }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn isotonic_pools_adjacent_violators() {
        // Outcomes by increasing p: 1, 0, 0, 1, 1 → PAV pools the first three into 1/3.
        let c = Calibrator::fit(
            CalibrationMethod::Isotonic,
            &[0.1, 0.2, 0.3, 0.4, 0.5],
            &[true, false, false, true, true],
            None,
        )
        .unwrap();
        let Calibrator::Isotonic { x, y } = &c else { unreachable!() };
        assert_eq!(x, &[0.1, 0.2, 0.3, 0.4, 0.5]);
        for (got, want) in y.iter().zip([1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 1.0, 1.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = 1e-15);
        }
        // Linear between fitted points, clipped outside.
        assert_abs_diff_eq!(c.apply(0.35), (1.0 / 3.0 + 1.0) / 2.0, epsilon = 1e-15);
        assert_eq!(c.apply(0.0), 1.0 / 3.0);
        assert_eq!(c.apply(0.9), 1.0);
    }

    #[test]
    fn platt_softens_an_overconfident_model() {
        // A model that says 0.9 / 0.1 but is right only 70% of the time.
        let mut probs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..100 {
            probs.push(0.9);
            labels.push(i < 70);
            probs.push(0.1);
            labels.push(i >= 70);
        }
        let c = Calibrator::fit(CalibrationMethod::Platt, &probs, &labels, None).unwrap();
        let Calibrator::Platt { slope, intercept } = c else { unreachable!() };
        // Symmetric data: intercept 0; σ(slope·ln 9) = mean Platt target at 0.9 = (70·101 + 30)/(100·102) ≈ 0.696.
        assert_abs_diff_eq!(intercept, 0.0, epsilon = 1e-9);
        assert!(slope > 0.0 && slope < 1.0);
        assert!((c.apply(0.9) - 0.7).abs() < 0.01, "{}", c.apply(0.9));
    }

    #[test]
    fn bad_calibration_input_is_a_typed_error() {
        let m = CalibrationMethod::Platt;
        assert!(matches!(Calibrator::fit(m, &[0.5], &[true, false], None), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(Calibrator::fit(m, &[], &[], None), Err(Error::EmptyData { .. })));
        assert!(matches!(Calibrator::fit(m, &[0.5, f64::NAN], &[true, false], None), Err(Error::NonFinite { .. })));
        assert!(matches!(Calibrator::fit(m, &[0.5, 0.4], &[true, true], None), Err(Error::SingleClass { .. })));
        assert!(matches!(Calibrator::fit(m, &[1.5, 0.4], &[true, false], None), Err(Error::InvalidParameter { .. })));
        let broken = Calibrator::Isotonic { x: vec![0.5, 0.2], y: vec![0.1, 0.2] };
        assert!(matches!(broken.validate(), Err(Error::ModelFormat { .. })));
    }
}
