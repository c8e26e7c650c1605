//! Uplift modelling: whom does a retention campaign actually change?
//!
//! Targeting by churn risk spends the budget on customers who would leave
//! anyway and on some who would have stayed regardless. Uplift models estimate,
//! per customer, how much the campaign **reduces** the churn probability, from
//! a randomised test's treated and control customers.
//!
//! - Learners: [`TwoModelUplift`] (T-learner: one churn model per arm, uplift =
//!   P(churn | control) − P(churn | treated)) over any [`Learner`];
//!   [`ClassTransformationUplift`] (Jaskowski & Jaroszewicz 2012: one model of
//!   the transformed label, arm-balanced by weights); [`MultiArmUplift`] for
//!   several treatments against one control, with the best arm per customer.
//! - Metrics, with the conventions of scikit-uplift 0.5.1 (checked against it in
//!   `tests/uplift.rs`): [`uplift_curve`], [`qini_curve`], [`qini_coefficient`],
//!   [`auuc`] and [`uplift_at_k`].
//!
//! **Outcome orientation.** Uplift metrics count *successes*: here a success is a
//! customer who was **retained**. Pass `retained = !churned`; a good uplift score
//! ranks first the customers whose churn the campaign prevents.
//!
//! ```
//! use churnguard::eval::uplift::qini_coefficient;
//! // Treated customers 0–3, control 4–7; the score ranks the persuadable first.
//! let retained = [true, true, false, false, false, true, false, true];
//! let treated = [true, true, true, true, false, false, false, false];
//! let score = [0.9, 0.8, 0.1, 0.2, 0.7, 0.1, 0.6, 0.2];
//! let q = qini_coefficient(&retained, &score, &treated, true)?;
//! assert!(q > 0.0);
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::sync::Arc;

use ndarray::{Array1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};
use crate::model::{ChurnModel, Dataset, Learner};

/// A curve of cumulative values against the number of customers targeted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpliftCurve {
    /// Customers targeted (0, then one point per distinct score, highest first).
    pub targeted: Vec<f64>,
    /// Curve value at each point.
    pub value: Vec<f64>,
}

impl UpliftCurve {
    /// Area under the curve by the trapezoid rule.
    pub fn area(&self) -> f64 {
        trapezoid(&self.targeted, &self.value)
    }
}

fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2).zip(y.windows(2)).map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0).sum()
}

fn check(success: &[bool], score: &[f64], treated: &[bool]) -> Result<()> {
    ensure!(
        score.len() == success.len(),
        Error::ShapeMismatch { what: "uplift scores vs outcomes", expected: success.len(), found: score.len() }
    );
    ensure!(
        treated.len() == success.len(),
        Error::ShapeMismatch { what: "treatment flags vs outcomes", expected: success.len(), found: treated.len() }
    );
    ensure!(!success.is_empty(), Error::EmptyData { context: "uplift metric: no customers".into() });
    if let Some(row) = score.iter().position(|s| !s.is_finite()) {
        return Err(Error::NonFinite { column: "uplift".into(), row, value: score[row] });
    }
    let n_treated = treated.iter().filter(|&&t| t).count();
    ensure!(
        n_treated > 0 && n_treated < treated.len(),
        Error::EmptyData { context: "uplift metric: need both treated and control customers".into() }
    );
    Ok(())
}

/// Cumulative (customers, treated, treated successes, control successes) at each distinct
/// score, highest score first (stable order within ties, as scikit-uplift's mergesort).
fn cumulative(success: &[bool], score: &[f64], treated: &[bool]) -> Vec<(f64, f64, f64, f64)> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    // numpy's argsort(kind="mergesort")[::-1]: ascending stable, then reversed.
    order.sort_by(|&a, &b| score[a].partial_cmp(&score[b]).unwrap_or(std::cmp::Ordering::Equal));
    order.reverse();
    let mut out = Vec::new();
    let (mut n, mut nt, mut yt, mut yc) = (0.0, 0.0, 0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        n += 1.0;
        if treated[i] {
            nt += 1.0;
            yt += f64::from(u8::from(success[i]));
        } else {
            yc += f64::from(u8::from(success[i]));
        }
        let last = k + 1 == order.len() || score[order[k + 1]] != score[i];
        if last {
            out.push((n, nt, yt, yc));
        }
    }
    out
}

fn with_origin(points: Vec<(f64, f64)>) -> UpliftCurve {
    let mut targeted = vec![0.0];
    let mut value = vec![0.0];
    for (x, y) in points {
        targeted.push(x);
        value.push(y);
    }
    UpliftCurve { targeted, value }
}

/// Uplift curve: (success rate treated − success rate control) among the top `n`, times `n`
/// (scikit-uplift `uplift_curve`).
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::NonFinite`] for a non-finite score, and
/// [`Error::EmptyData`] without customers or without one of the arms.
pub fn uplift_curve(success: &[bool], score: &[f64], treated: &[bool]) -> Result<UpliftCurve> {
    check(success, score, treated)?;
    let rate = |y: f64, n: f64| if n > 0.0 { y / n } else { 0.0 };
    Ok(with_origin(
        cumulative(success, score, treated)
            .into_iter()
            .map(|(n, nt, yt, yc)| (n, (rate(yt, nt) - rate(yc, n - nt)) * n))
            .collect(),
    ))
}

/// Qini curve: treated successes − control successes × (treated / control) among the top
/// `n` (Radcliffe 2007; scikit-uplift `qini_curve`).
///
/// # Errors
/// Same as [`uplift_curve`].
pub fn qini_curve(success: &[bool], score: &[f64], treated: &[bool]) -> Result<UpliftCurve> {
    check(success, score, treated)?;
    Ok(with_origin(
        cumulative(success, score, treated)
            .into_iter()
            .map(|(n, nt, yt, yc)| {
                let nc = n - nt;
                (n, yt - if nc > 0.0 { yc * nt / nc } else { 0.0 })
            })
            .collect(),
    ))
}

/// Normalised area between a curve and the random-targeting diagonal, relative to the
/// perfect curve's.
fn normalised(actual: &UpliftCurve, perfect: &UpliftCurve) -> Result<f64> {
    let (xn, yn) = (perfect.targeted.last().copied().unwrap_or(0.0), perfect.value.last().copied().unwrap_or(0.0));
    let baseline = xn * yn / 2.0;
    let best = perfect.area() - baseline;
    ensure!(
        best.abs() > 0.0,
        Error::EmptyData { context: "uplift metric: the perfect curve equals random targeting".into() }
    );
    Ok((actual.area() - baseline) / best)
}

/// Qini coefficient: area between the Qini curve and random targeting, divided by the
/// same area of the perfect ranking (scikit-uplift `qini_auc_score`). With
/// `negative_effect` the perfect ranking also puts customers the treatment hurts last.
///
/// # Errors
/// Same as [`uplift_curve`], plus [`Error::EmptyData`] when the perfect curve is flat.
pub fn qini_coefficient(success: &[bool], score: &[f64], treated: &[bool], negative_effect: bool) -> Result<f64> {
    let actual = qini_curve(success, score, treated)?;
    let perfect = if negative_effect {
        // Score y·t − y·(1 − t): treated successes first, control successes last.
        let ideal: Vec<f64> = success
            .iter()
            .zip(treated)
            .map(|(&y, &t)| f64::from(u8::from(y && t)) - f64::from(u8::from(y && !t)))
            .collect();
        qini_curve(success, &ideal, treated)?
    } else {
        let nt = treated.iter().filter(|&&t| t).count() as f64;
        let nc = treated.len() as f64 - nt;
        let yt = success.iter().zip(treated).filter(|(y, t)| **y && **t).count() as f64;
        let yc = success.iter().zip(treated).filter(|(y, t)| **y && !**t).count() as f64;
        let gain = yt - nt * yc / nc;
        UpliftCurve { targeted: vec![0.0, gain, success.len() as f64], value: vec![0.0, gain, gain] }
    };
    normalised(&actual, &perfect)
}

/// Area under the uplift curve, normalised like [`qini_coefficient`] (scikit-uplift
/// `uplift_auc_score`).
///
/// # Errors
/// Same as [`qini_coefficient`].
pub fn auuc(success: &[bool], score: &[f64], treated: &[bool]) -> Result<f64> {
    let actual = uplift_curve(success, score, treated)?;
    let control_successes = success.iter().zip(treated).filter(|(y, t)| **y && !**t).count();
    let treated_failures = success.iter().zip(treated).filter(|(y, t)| !**y && **t).count();
    // scikit-uplift's perfect uplift ranking: 2·[y == t] + (y or t).
    let ideal: Vec<f64> = success
        .iter()
        .zip(treated)
        .map(|(&y, &t)| {
            let summand = if control_successes > treated_failures { y } else { t };
            2.0 * f64::from(u8::from(y == t)) + f64::from(u8::from(summand))
        })
        .collect();
    let perfect = uplift_curve(success, &ideal, treated)?;
    normalised(&actual, &perfect)
}

/// Which customers [`uplift_at_k`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopK {
    /// The top `k` share of all customers, whatever their arm.
    Overall,
    /// The top `k` share of each arm separately.
    ByGroup,
}

/// Success rate of treated minus control customers among the top `k` share by score
/// (scikit-uplift `uplift_at_k`; the top group is ⌊k·n⌋ customers).
///
/// # Errors
/// [`Error::InvalidParameter`] unless 0 < k < 1; [`Error::EmptyData`] if the top group
/// lacks one of the arms; and those of [`uplift_curve`].
pub fn uplift_at_k(success: &[bool], score: &[f64], treated: &[bool], k: f64, strategy: TopK) -> Result<f64> {
    check(success, score, treated)?;
    ensure!(k > 0.0 && k < 1.0, Error::param("k", k, "must lie strictly between 0 and 1"));
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].partial_cmp(&score[b]).unwrap_or(std::cmp::Ordering::Equal));
    order.reverse();
    let mean = |rows: Vec<usize>| -> Result<f64> {
        ensure!(
            !rows.is_empty(),
            Error::EmptyData { context: format!("uplift_at_k: an arm has no customer in the top {k}") }
        );
        Ok(rows.iter().filter(|&&i| success[i]).count() as f64 / rows.len() as f64)
    };
    let (top_t, top_c): (Vec<usize>, Vec<usize>) = match strategy {
        TopK::Overall => {
            let size = (k * score.len() as f64) as usize;
            order.iter().take(size).partition(|&&i| treated[i])
        }
        TopK::ByGroup => {
            let nt = treated.iter().filter(|&&t| t).count();
            let nc = treated.len() - nt;
            let t: Vec<usize> = order.iter().copied().filter(|&i| treated[i]).take((k * nt as f64) as usize).collect();
            let c: Vec<usize> = order.iter().copied().filter(|&i| !treated[i]).take((k * nc as f64) as usize).collect();
            (t, c)
        }
    };
    Ok(mean(top_t)? - mean(top_c)?)
}

/// Rows of `x` (and entries of `y`) where `keep` holds.
fn subset(x: ArrayView2<'_, f64>, y: &[bool], keep: impl Fn(usize) -> bool) -> (ndarray::Array2<f64>, Vec<bool>) {
    let rows: Vec<usize> = (0..y.len()).filter(|&i| keep(i)).collect();
    (x.select(Axis(0), &rows), rows.iter().map(|&i| y[i]).collect())
}

fn check_training(x: ArrayView2<'_, f64>, churned: &[bool], treated: &[bool]) -> Result<()> {
    ensure!(
        churned.len() == x.nrows(),
        Error::ShapeMismatch { what: "outcomes vs rows", expected: x.nrows(), found: churned.len() }
    );
    ensure!(
        treated.len() == x.nrows(),
        Error::ShapeMismatch { what: "treatment flags vs rows", expected: x.nrows(), found: treated.len() }
    );
    Ok(())
}

/// T-learner: separate churn models for treated and control customers.
#[derive(Clone, Debug)]
pub struct TwoModelUplift {
    learner: Arc<dyn Learner>,
}

impl TwoModelUplift {
    /// Use `learner` for both arms.
    pub fn new(learner: impl Learner + 'static) -> Self {
        TwoModelUplift { learner: Arc::new(learner) }
    }

    /// Fit on design matrix `x` (preprocessed), churn outcomes and treatment flags.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for inconsistent lengths, and the learner's errors on
    /// each arm (e.g. [`Error::SingleClass`] if nobody churned in an arm).
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        names: &[String],
        churned: &[bool],
        treated: &[bool],
    ) -> Result<FittedUplift> {
        check_training(x, churned, treated)?;
        let (xt, yt) = subset(x, churned, |i| treated[i]);
        let (xc, yc) = subset(x, churned, |i| !treated[i]);
        let model_t = self.learner.fit_model(&Dataset::with_missing(xt.view(), &yt, names)?)?;
        let model_c = self.learner.fit_model(&Dataset::with_missing(xc.view(), &yc, names)?)?;
        Ok(FittedUplift::TwoModel { treated: Arc::from(model_t), control: Arc::from(model_c) })
    }
}

/// Class-transformation learner (Jaskowski & Jaroszewicz 2012): with retained = success,
/// Z = 1 for treated-retained and control-churned customers; with arms weighted to equal
/// total weight, uplift = 2·P(Z = 1) − 1.
#[derive(Clone, Debug)]
pub struct ClassTransformationUplift {
    learner: Arc<dyn Learner>,
}

impl ClassTransformationUplift {
    /// Model the transformed label with `learner` (it must accept sample weights).
    pub fn new(learner: impl Learner + 'static) -> Self {
        ClassTransformationUplift { learner: Arc::new(learner) }
    }

    /// Fit on design matrix `x`, churn outcomes and treatment flags.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`], [`Error::EmptyData`] when an arm is empty, and the
    /// learner's errors (a learner without sample weights refuses).
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        names: &[String],
        churned: &[bool],
        treated: &[bool],
    ) -> Result<FittedUplift> {
        check_training(x, churned, treated)?;
        let nt = treated.iter().filter(|&&t| t).count();
        let nc = treated.len() - nt;
        ensure!(
            nt > 0 && nc > 0,
            Error::EmptyData { context: "uplift: need both treated and control customers".into() }
        );
        let z: Vec<bool> = churned.iter().zip(treated).map(|(&c, &t)| t != c).collect();
        let n = treated.len() as f64;
        let w: Vec<f64> =
            treated.iter().map(|&t| if t { n / (2.0 * nt as f64) } else { n / (2.0 * nc as f64) }).collect();
        let model = self.learner.fit_model(&Dataset::with_missing(x.view(), &z, names)?.with_weights(&w)?)?;
        Ok(FittedUplift::ClassTransformation { model: Arc::from(model) })
    }
}

/// A fitted uplift model.
#[derive(Clone, Debug)]
pub enum FittedUplift {
    /// From [`TwoModelUplift`].
    TwoModel {
        /// Churn model of treated customers.
        treated: Arc<dyn ChurnModel>,
        /// Churn model of control customers.
        control: Arc<dyn ChurnModel>,
    },
    /// From [`ClassTransformationUplift`].
    ClassTransformation {
        /// Model of the transformed label.
        model: Arc<dyn ChurnModel>,
    },
}

impl FittedUplift {
    /// Predicted churn reduction per row: P(churn | not treated) − P(churn | treated).
    /// Positive = the campaign helps; negative = it backfires.
    ///
    /// # Errors
    /// The models' scoring errors (column count, non-finite values).
    pub fn predict_uplift(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        match self {
            FittedUplift::TwoModel { treated, control } => Ok(control.predict_proba(x)? - treated.predict_proba(x)?),
            FittedUplift::ClassTransformation { model } => Ok(model.predict_proba(x)?.mapv(|p| 2.0 * p - 1.0)),
        }
    }
}

/// Several treatments against one control: one T-learner per treatment arm.
#[derive(Clone, Debug)]
pub struct MultiArmUplift {
    learner: Arc<dyn Learner>,
}

/// A fitted [`MultiArmUplift`].
#[derive(Clone, Debug)]
pub struct FittedMultiArm {
    control: Arc<dyn ChurnModel>,
    arms: Vec<(String, Arc<dyn ChurnModel>)>,
}

impl MultiArmUplift {
    /// Use `learner` for every arm.
    pub fn new(learner: impl Learner + 'static) -> Self {
        MultiArmUplift { learner: Arc::new(learner) }
    }

    /// Fit with `arm[i]` = `None` for control customers and `Some(index)` into `arm_names`
    /// for treated ones.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`], [`Error::InvalidParameter`] for an arm index out of range,
    /// and the learner's errors per arm (e.g. an arm without customers or one class).
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        names: &[String],
        churned: &[bool],
        arm: &[Option<usize>],
        arm_names: &[String],
    ) -> Result<FittedMultiArm> {
        ensure!(
            arm.len() == x.nrows() && churned.len() == x.nrows(),
            Error::ShapeMismatch {
                what: "arms/outcomes vs rows",
                expected: x.nrows(),
                found: arm.len().min(churned.len())
            }
        );
        if let Some(bad) = arm.iter().flatten().find(|&&a| a >= arm_names.len()) {
            return Err(Error::param("arm", bad, "arm index beyond the arm names"));
        }
        let fit_on = |keep: &dyn Fn(usize) -> bool| -> Result<Arc<dyn ChurnModel>> {
            let (xs, ys) = subset(x, churned, keep);
            Ok(Arc::from(self.learner.fit_model(&Dataset::with_missing(xs.view(), &ys, names)?)?))
        };
        let control = fit_on(&|i| arm[i].is_none())?;
        let arms = arm_names
            .iter()
            .enumerate()
            .map(|(k, name)| Ok((name.clone(), fit_on(&|i| arm[i] == Some(k))?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(FittedMultiArm { control, arms })
    }
}

impl FittedMultiArm {
    /// Predicted churn reduction of every arm (columns in arm order) per row.
    ///
    /// # Errors
    /// The models' scoring errors.
    pub fn predict_uplift(&self, x: ArrayView2<'_, f64>) -> Result<ndarray::Array2<f64>> {
        let base = self.control.predict_proba(x)?;
        let mut out = ndarray::Array2::zeros((x.nrows(), self.arms.len()));
        for (k, (_, model)) in self.arms.iter().enumerate() {
            out.column_mut(k).assign(&(&base - &model.predict_proba(x)?));
        }
        Ok(out)
    }

    /// The arm with the largest predicted churn reduction per row, or `None` (leave the
    /// customer alone) when no arm is predicted to reduce churn by more than `min_uplift`.
    ///
    /// # Errors
    /// The models' scoring errors.
    pub fn best_arm(&self, x: ArrayView2<'_, f64>, min_uplift: f64) -> Result<Vec<Option<usize>>> {
        let u = self.predict_uplift(x)?;
        Ok(u.outer_iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .filter(|(_, v)| **v > min_uplift)
                    .map(|(k, _)| k)
            })
            .collect())
    }

    /// Arm names, in column order.
    pub fn arm_names(&self) -> Vec<&str> {
        self.arms.iter().map(|(n, _)| n.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::LogisticRegression;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    fn pearson(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    /// x₀ ∈ [−1, 1]; churn 40% in control; treatment cuts churn where x₀ > 0 and raises it below.
    fn campaign(n: usize, seed: u64) -> (Array2<f64>, Vec<bool>, Vec<bool>, Vec<f64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, 2), |_| rng.gen_range(-1.0..1.0));
        let treated: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.5)).collect();
        let effect: Vec<f64> = (0..n).map(|i| 0.25 * x[[i, 0]]).collect();
        let churned = (0..n).map(|i| rng.r#gen::<f64>() < 0.4 - if treated[i] { effect[i] } else { 0.0 }).collect();
        (x, churned, treated, effect)
    }

    #[test]
    fn both_learners_recover_who_the_campaign_helps() {
        let (x, churned, treated, _) = campaign(6000, 1);
        let (xt, ct, tt, effect) = campaign(4000, 2);
        let names = vec!["x0".to_string(), "x1".to_string()];
        let retained: Vec<bool> = ct.iter().map(|c| !c).collect();
        for fitted in [
            TwoModelUplift::new(LogisticRegression::params()).fit(x.view(), &names, &churned, &treated).unwrap(),
            ClassTransformationUplift::new(LogisticRegression::params())
                .fit(x.view(), &names, &churned, &treated)
                .unwrap(),
        ] {
            let u = fitted.predict_uplift(xt.view()).unwrap();
            // The predicted uplift should increase with the true effect.
            let corr = pearson(u.as_slice().unwrap(), &effect);
            assert!(corr > 0.9, "correlation {corr}");
            let q = qini_coefficient(&retained, u.as_slice().unwrap(), &tt, true).unwrap();
            let random: Vec<f64> = (0..u.len()).map(|i| ((i * 7919) % 1000) as f64).collect();
            let q_random = qini_coefficient(&retained, &random, &tt, true).unwrap();
            assert!(q > q_random + 0.1, "qini {q} vs random {q_random}");
        }
    }

    #[test]
    fn metrics_reject_bad_input() {
        assert!(matches!(qini_curve(&[true], &[0.1, 0.2], &[true]), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(qini_curve(&[true, false], &[0.1, 0.2], &[true, true]), Err(Error::EmptyData { .. })));
        assert!(matches!(uplift_curve(&[true, false], &[f64::NAN, 0.2], &[true, false]), Err(Error::NonFinite { .. })));
        assert!(matches!(
            uplift_at_k(&[true, false], &[0.1, 0.2], &[true, false], 1.5, TopK::Overall),
            Err(Error::InvalidParameter { name: "k", .. })
        ));
    }
}
