//! Binary classification metrics for churn scores: ranking quality (ROC-AUC,
//! PR-AUC, lift) and probability quality (log loss, Brier score).
//!
//! Labels are `&[bool]` with `true` = churned (the positive class). Ranking
//! metrics treat tied scores exactly as scikit-learn does, so a model that
//! outputs coarse (rounded, bucketed) scores is neither rewarded nor punished
//! by the order of the input rows.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};

/// Probabilities are clipped to `[EPS, 1 − EPS]` before taking logs in [`log_loss`].
const LOG_LOSS_EPS: f64 = 1e-15;

/// The fraction of customers used for [`Metrics::lift_at_10`].
const LIFT_FRACTION: f64 = 0.10;

/// Equal-width bins for [`Metrics::ece`].
const ECE_BINS: usize = 10;

/// Checks that `values` is as long as `labels`, non-empty and finite.
fn check_values(labels: &[bool], values: &[f64], metric: &str, what: &'static str, column: &str) -> Result<()> {
    ensure!(values.len() == labels.len(), Error::ShapeMismatch { what, expected: labels.len(), found: values.len() });
    ensure!(!labels.is_empty(), Error::EmptyData { context: format!("{metric}: no labels") });
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite { column: column.into(), row, value: values[row] }),
        None => Ok(()),
    }
}

/// Validates ranking-metric inputs; returns the number of positives, which is in `1..n`.
pub(crate) fn check_scores(labels: &[bool], scores: &[f64], metric: &str) -> Result<usize> {
    check_values(labels, scores, metric, "scores vs labels", "score")?;
    let n_pos = labels.iter().filter(|&&y| y).count();
    ensure!(n_pos > 0, Error::SingleClass { class: false, n: labels.len() });
    ensure!(n_pos < labels.len(), Error::SingleClass { class: true, n: labels.len() });
    Ok(n_pos)
}

/// Validates probability inputs: finite and inside `[0, 1]`.
pub(super) fn check_probs(labels: &[bool], probs: &[f64], metric: &str) -> Result<()> {
    check_values(labels, probs, metric, "probabilities vs labels", "probability")?;
    match probs.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        Some(&p) => Err(Error::param("probability", p, "must lie in [0, 1]")),
        None => Ok(()),
    }
}

/// Groups of tied scores, highest score first: `(positives, negatives)` per distinct score.
///
/// Sorting uses `total_cmp`; grouping uses `==`, so `-0.0` and `0.0` (adjacent in
/// that order) form one group. Inputs are already checked to be finite.
pub(crate) fn tie_groups_desc(labels: &[bool], scores: &[f64]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut prev: Option<f64> = None;
    for i in order {
        if prev != Some(scores[i]) {
            groups.push((0, 0));
            prev = Some(scores[i]);
        }
        if let Some(g) = groups.last_mut() {
            if labels[i] { g.0 += 1 } else { g.1 += 1 }
        }
    }
    groups
}

/// Area under the ROC curve, counting tied scores as half a correctly ordered pair.
///
/// Computed in O(n log n) from the Mann–Whitney U statistic with mid-ranks,
/// AUC = U / (n₊·n₋) (Hanley & McNeil 1982, Radiology 143(1):29–36); equals
/// scikit-learn's `roc_auc_score`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ, [`Error::EmptyData`] if there are
/// no labels, [`Error::NonFinite`] for a NaN/infinite score, [`Error::SingleClass`]
/// if only one class is present.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Result<f64> {
    let n_pos = check_scores(labels, scores, "roc_auc")?;
    let n_neg = labels.len() - n_pos;
    // U counts (positive, negative) pairs with the positive scored higher, ties as ½.
    // Kept doubled in integers so the sum is exact: 2U = Σ_groups 2·neg·pos_above + pos·neg.
    let mut twice_u: u128 = 0;
    let mut pos_above: u128 = 0;
    for (pos, neg) in tie_groups_desc(labels, scores) {
        let (pos, neg) = (pos as u128, neg as u128);
        twice_u += 2 * neg * pos_above + pos * neg;
        pos_above += pos;
    }
    Ok(twice_u as f64 / (2.0 * n_pos as f64 * n_neg as f64))
}

/// Average precision (area under the precision–recall curve), exactly as
/// scikit-learn's `average_precision_score`.
///
/// Step-wise sum over distinct score thresholds, highest first, where tied scores
/// form one threshold: AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ (scikit-learn user guide, "Precision,
/// recall and F-measures"). No interpolation. A random ranking scores about the churn rate.
///
/// # Errors
/// Same as [`roc_auc`].
pub fn pr_auc(labels: &[bool], scores: &[f64]) -> Result<f64> {
    let n_pos = check_scores(labels, scores, "pr_auc")?;
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut ap = 0.0;
    for (pos, neg) in tie_groups_desc(labels, scores) {
        tp += pos;
        fp += neg;
        // Recall rises by pos/n_pos at this threshold; precision is read at the threshold.
        ap += (pos as f64 / n_pos as f64) * (tp as f64 / (tp + fp) as f64);
    }
    Ok(ap)
}

/// Mean negative log-likelihood of the labels under the predicted churn probabilities.
///
/// log loss = −(1/n) Σ [y·ln p + (1−y)·ln(1−p)] (cross-entropy), with p clipped to
/// `[1e-15, 1 − 1e-15]` so a confident wrong prediction costs about 34.5, not infinity.
/// Defined when only one class is present.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyData`], [`Error::NonFinite`] (column
/// `"probability"`), and [`Error::InvalidParameter`] for a probability outside `[0, 1]`.
pub fn log_loss(labels: &[bool], probs: &[f64]) -> Result<f64> {
    check_probs(labels, probs, "log_loss")?;
    let total: f64 = labels
        .iter()
        .zip(probs)
        .map(|(&y, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    Ok(total / labels.len() as f64)
}

/// Brier score: mean squared difference between the churn probability and the 0/1 outcome.
///
/// BS = (1/n) Σ (p − y)² (Brier 1950, Monthly Weather Review 78(1):1–3). Lower is
/// better; always predicting the churn rate r scores r(1 − r). Defined when only one
/// class is present.
///
/// # Errors
/// Same as [`log_loss`].
pub fn brier(labels: &[bool], probs: &[f64]) -> Result<f64> {
    check_probs(labels, probs, "brier")?;
    let total: f64 = labels
        .iter()
        .zip(probs)
        .map(|(&y, &p)| {
            let d = p - if y { 1.0 } else { 0.0 };
            d * d
        })
        .sum();
    Ok(total / labels.len() as f64)
}

/// Number of customers in the top `fraction` of `n`: ⌈fraction·n⌉, at least 1.
///
/// A product that is an integer up to rounding (0.1·30 = 3.0000000000000004 in f64)
/// is taken as that integer, so "top 10% of 30" is 3 customers, not 4.
fn top_count(fraction: f64, n: usize) -> usize {
    let x = fraction * n as f64;
    let nearest = x.round();
    let k = if (x - nearest).abs() <= 1e-9 * nearest.max(1.0) { nearest } else { x.ceil() };
    (k as usize).clamp(1, n)
}

/// Lift in the top `fraction` of customers by score: their churn rate divided by the
/// overall churn rate.
///
/// The top group has k = ⌈fraction·n⌉ customers (at least 1). Customers tied with
/// the k-th score share the remaining slots proportionally, i.e. the result is the
/// expected lift under random tie-breaking, so it does not depend on input order.
/// lift = (churners in top k / k) / (churners / n) (cumulative lift, Berry & Linoff,
/// *Data Mining Techniques*). A random ranking scores about 1.
///
/// # Errors
/// [`Error::InvalidParameter`] (name `"fraction"`) unless `0 < fraction ≤ 1`, plus the
/// errors of [`roc_auc`].
pub fn lift_at(labels: &[bool], scores: &[f64], fraction: f64) -> Result<f64> {
    ensure!(fraction > 0.0 && fraction <= 1.0, Error::param("fraction", fraction, "must lie in (0, 1]"));
    let n_pos = check_scores(labels, scores, "lift_at")?;
    let n = labels.len();
    let k = top_count(fraction, n);
    let (mut taken, mut pos_above) = (0usize, 0usize);
    let mut expected_pos = 0.0;
    for (pos, neg) in tie_groups_desc(labels, scores) {
        let size = pos + neg;
        if taken + size >= k {
            // The cut falls inside this tie group: it fills k − taken slots pro rata.
            expected_pos = pos_above as f64 + (k - taken) as f64 * pos as f64 / size as f64;
            break;
        }
        taken += size;
        pos_above += pos;
    }
    Ok(expected_pos * n as f64 / (k as f64 * n_pos as f64))
}

/// The standard metric set for one evaluation (a hold-out set or one CV fold).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of customers evaluated.
    pub n: usize,
    /// Fraction of them that churned.
    pub churn_rate: f64,
    /// Area under the ROC curve, see [`roc_auc`].
    pub roc_auc: f64,
    /// Average precision, see [`pr_auc`].
    pub pr_auc: f64,
    /// Mean negative log-likelihood, see [`log_loss`].
    pub log_loss: f64,
    /// Brier score, see [`brier`].
    pub brier: f64,
    /// Lift in the top 10% by predicted probability, see [`lift_at`].
    pub lift_at_10: f64,
    /// Expected calibration error over 10 equal-width bins, see
    /// [`expected_calibration_error`](super::expected_calibration_error).
    #[serde(default)]
    pub ece: f64,
    /// Expected maximum profit per customer with the default campaign economics, see
    /// [`empc`](super::empc) and [`EmpcParams::default`](super::EmpcParams).
    #[serde(default)]
    pub empc: f64,
}

impl Metrics {
    /// Computes every metric for churn probabilities `probs` against `labels`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`], [`Error::EmptyData`], [`Error::NonFinite`] (column
    /// `"probability"`), [`Error::InvalidParameter`] for a probability outside `[0, 1]`,
    /// and [`Error::SingleClass`] if only one class is present.
    pub fn compute(labels: &[bool], probs: &[f64]) -> Result<Metrics> {
        check_probs(labels, probs, "Metrics::compute")?;
        let n = labels.len();
        let n_pos = labels.iter().filter(|&&y| y).count();
        ensure!(n_pos > 0, Error::SingleClass { class: false, n });
        ensure!(n_pos < n, Error::SingleClass { class: true, n });
        Ok(Metrics {
            n,
            churn_rate: n_pos as f64 / n as f64,
            roc_auc: roc_auc(labels, probs)?,
            pr_auc: pr_auc(labels, probs)?,
            log_loss: log_loss(labels, probs)?,
            brier: brier(labels, probs)?,
            lift_at_10: lift_at(labels, probs, LIFT_FRACTION)?,
            ece: super::expected_calibration_error(labels, probs, ECE_BINS)?,
            empc: super::empc(labels, probs, &super::EmpcParams::default())?.empc,
        })
    }

    /// Field names in the order of [`Metrics::to_array`], for error messages.
    const FIELDS: [&'static str; 9] =
        ["n", "churn_rate", "roc_auc", "pr_auc", "log_loss", "brier", "lift_at_10", "ece", "empc"];

    fn to_array(self) -> [f64; 9] {
        [
            self.n as f64,
            self.churn_rate,
            self.roc_auc,
            self.pr_auc,
            self.log_loss,
            self.brier,
            self.lift_at_10,
            self.ece,
            self.empc,
        ]
    }

    /// Inverse of [`Metrics::to_array`]; `n` is rounded to the nearest integer.
    fn from_array(a: [f64; 9]) -> Metrics {
        Metrics {
            n: a[0].round() as usize,
            churn_rate: a[1],
            roc_auc: a[2],
            pr_auc: a[3],
            log_loss: a[4],
            brier: a[5],
            lift_at_10: a[6],
            ece: a[7],
            empc: a[8],
        }
    }
}

impl fmt::Display for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ROC-AUC {:.4}  PR-AUC {:.4}  log loss {:.4}  Brier {:.4}  lift@10% {:.2}  ECE {:.4}  EMPC {:.3}  (n={}, churn {:.1}%)",
            self.roc_auc,
            self.pr_auc,
            self.log_loss,
            self.brier,
            self.lift_at_10,
            self.ece,
            self.empc,
            self.n,
            100.0 * self.churn_rate
        )
    }
}

/// Mean and spread of [`Metrics`] across cross-validation folds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Per-field mean over folds (`n` rounded to the nearest integer).
    pub mean: Metrics,
    /// Per-field sample standard deviation over folds (divisor n − 1; all zero for
    /// a single fold; `n` rounded).
    pub std: Metrics,
}

impl MetricSummary {
    /// Summarises per-fold metrics field by field.
    ///
    /// s = √(Σ (xᵢ − x̄)² / (m − 1)) over m folds (Bessel-corrected sample standard deviation).
    ///
    /// # Errors
    /// [`Error::EmptyData`] if `folds` is empty, [`Error::NonFinite`] (column = field
    /// name, row = fold index) if a fold holds a NaN or infinite metric.
    pub fn from_folds(folds: &[Metrics]) -> Result<MetricSummary> {
        ensure!(!folds.is_empty(), Error::EmptyData { context: "MetricSummary::from_folds: no folds".into() });
        let rows: Vec<[f64; 9]> = folds.iter().map(|m| m.to_array()).collect();
        for (row, values) in rows.iter().enumerate() {
            if let Some(j) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { column: Metrics::FIELDS[j].into(), row, value: values[j] });
            }
        }
        let m = rows.len() as f64;
        let mut mean = [0.0; 9];
        let mut std = [0.0; 9];
        for j in 0..9 {
            mean[j] = rows.iter().map(|r| r[j]).sum::<f64>() / m;
            if rows.len() > 1 {
                let ss: f64 = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum();
                std[j] = (ss / (m - 1.0)).sqrt();
            }
        }
        Ok(MetricSummary { mean: Metrics::from_array(mean), std: Metrics::from_array(std) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    /// Labels from a string of '0'/'1' (same encoding as bench/metrics_reference.py).
    fn bits(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    // ---- hand-checked cases ----

    #[test]
    fn roc_auc_counts_ties_as_half() {
        // positives {0.8, 0.4}, negatives {0.4, 0.3, 0.1}: 6 pairs.
        // 0.8 beats all 3 negatives (3); 0.4 ties 0.4 (½) and beats 0.3, 0.1 (2) → U = 5.5, AUC = 5.5/6.
        let labels = [true, false, true, false, false];
        let scores = [0.8, 0.4, 0.4, 0.3, 0.1];
        assert_abs_diff_eq!(roc_auc(&labels, &scores).unwrap(), 5.5 / 6.0, epsilon = 1e-15);
    }

    #[test]
    fn roc_auc_is_half_when_every_score_is_equal() {
        // Every one of the 2·3 pairs is a tie worth ½ → U = 3, AUC = 3/6.
        let labels = [true, true, false, false, false];
        assert_abs_diff_eq!(roc_auc(&labels, &[0.2; 5]).unwrap(), 0.5, epsilon = 1e-15);
    }

    #[test]
    fn roc_auc_is_zero_for_a_perfectly_inverted_ranking() {
        let labels = [true, true, false, false];
        assert_eq!(roc_auc(&labels, &[0.1, 0.2, 0.3, 0.4]).unwrap(), 0.0);
    }

    #[test]
    fn roc_auc_treats_negative_and_positive_zero_as_tied() {
        // -0.0 == 0.0, so the single pair is a tie → ½, whatever the sign bit.
        assert_eq!(roc_auc(&[true, false], &[-0.0, 0.0]).unwrap(), 0.5);
        assert_eq!(roc_auc(&[true, false], &[0.0, -0.0]).unwrap(), 0.5);
    }

    #[test]
    fn pr_auc_treats_tied_scores_as_one_threshold() {
        // Scores 0.9(+) 0.7(+) 0.7(-) 0.4(-) 0.2(+), 3 positives.
        // Threshold 0.9: TP 1, FP 0 → R 1/3, P 1.     Contribution 1/3·1   = 1/3.
        // Threshold 0.7: TP 2, FP 1 → R 2/3, P 2/3.   Contribution 1/3·2/3 = 2/9.
        // Threshold 0.4: TP 2, FP 2 → R 2/3, P 1/2.   Contribution 0.
        // Threshold 0.2: TP 3, FP 2 → R 1,   P 3/5.   Contribution 1/3·3/5 = 1/5.
        // AP = 1/3 + 2/9 + 1/5 = 34/45.
        let labels = [true, true, false, false, true];
        let scores = [0.9, 0.7, 0.7, 0.4, 0.2];
        assert_abs_diff_eq!(pr_auc(&labels, &scores).unwrap(), 34.0 / 45.0, epsilon = 1e-15);
        // The same rows in another order give the same value.
        let labels = [true, false, false, true, true];
        let scores = [0.2, 0.7, 0.4, 0.7, 0.9];
        assert_abs_diff_eq!(pr_auc(&labels, &scores).unwrap(), 34.0 / 45.0, epsilon = 1e-15);
    }

    #[test]
    fn pr_auc_equals_churn_rate_when_all_scores_tie() {
        // One threshold containing everyone: R goes 0 → 1 at precision 2/5.
        let labels = [true, false, true, false, false];
        assert_abs_diff_eq!(pr_auc(&labels, &[0.5; 5]).unwrap(), 0.4, epsilon = 1e-15);
    }

    #[test]
    fn log_loss_matches_hand_computation() {
        // −(ln 0.8 + ln(1 − 0.4) + ln 0.5)/3 = −(ln 0.8 + ln 0.6 + ln 0.5)/3.
        let expected = -(0.8f64.ln() + 0.6f64.ln() + 0.5f64.ln()) / 3.0;
        let got = log_loss(&[true, false, true], &[0.8, 0.4, 0.5]).unwrap();
        assert_abs_diff_eq!(got, expected, epsilon = 1e-15);
    }

    #[test]
    fn log_loss_clips_certain_wrong_predictions_to_1e_minus_15() {
        // Churner at p = 0 → clipped to 1e-15 → cost −ln(1e-15) = 34.538776394910684.
        // Stayer at p = 1 → clipped to fl(1 − 1e-15) = 0.999999999999999, and 1 − that is
        // 9.992007221626409e-16 in f64 (not 1e-15) → cost 34.53957599234088.
        // Churner at p = 1 → cost −ln(0.999999999999999) ≈ 1e-15.
        // Mean = 23.026117462417186 (Python math.log on the same f64 values).
        let got = log_loss(&[true, false, true], &[0.0, 1.0, 1.0]).unwrap();
        assert_abs_diff_eq!(got, 23.026117462417186, epsilon = 1e-12);
        // Contrast: scikit-learn 1.9.1 clips to machine epsilon (2.2e-16) and reports 24.029102259411435.
    }

    #[test]
    fn log_loss_and_brier_accept_a_single_class() {
        // Brier: ((1 − 0.9)² + (1 − 0.6)²)/2 = (0.01 + 0.16)/2 = 0.085.
        assert_abs_diff_eq!(brier(&[true, true], &[0.9, 0.6]).unwrap(), 0.085, epsilon = 1e-15);
        let expected = -(0.9f64.ln() + 0.6f64.ln()) / 2.0;
        assert_abs_diff_eq!(log_loss(&[true, true], &[0.9, 0.6]).unwrap(), expected, epsilon = 1e-15);
    }

    #[test]
    fn brier_matches_hand_computation() {
        // (0.8 − 1)² + (0.4 − 0)² + (0.5 − 1)² + (0 − 0)² = 0.04 + 0.16 + 0.25 + 0 = 0.45; /4 = 0.1125.
        let got = brier(&[true, false, true, false], &[0.8, 0.4, 0.5, 0.0]).unwrap();
        assert_abs_diff_eq!(got, 0.1125, epsilon = 1e-15);
    }

    #[test]
    fn lift_at_shares_tied_slots_at_the_cut() {
        // n = 10, 4 churners → base rate 0.4. Top 30% → k = 3.
        // Sorted: 0.9(+), then 0.8 ×4 {+, +, -, -}: the cut falls inside the tie, which fills
        // 2 of the 3 slots at 2/4 churners each → expected churners = 1 + 2·(2/4) = 2.
        // Top rate 2/3, lift = (2/3)/0.4 = 5/3.
        let labels = [true, true, true, false, false, false, false, true, false, false];
        let scores = [0.9, 0.8, 0.8, 0.8, 0.8, 0.1, 0.2, 0.3, 0.2, 0.1];
        assert_abs_diff_eq!(lift_at(&labels, &scores, 0.3).unwrap(), 5.0 / 3.0, epsilon = 1e-14);
        // Top 50% → k = 5 covers exactly 0.9 and the four 0.8s: 3 churners of 5 → 0.6/0.4 = 1.5.
        assert_abs_diff_eq!(lift_at(&labels, &scores, 0.5).unwrap(), 1.5, epsilon = 1e-14);
        // Everyone → lift 1.
        assert_abs_diff_eq!(lift_at(&labels, &scores, 1.0).unwrap(), 1.0, epsilon = 1e-14);
    }

    #[test]
    fn lift_at_does_not_depend_on_input_order() {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        let labels = bits(A_LABELS);
        let base = lift_at(&labels, &A_SCORES, 0.1).unwrap();
        let mut rows: Vec<(bool, f64)> = labels.iter().copied().zip(A_SCORES.iter().copied()).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20 {
            rows.shuffle(&mut rng);
            let (l, s): (Vec<bool>, Vec<f64>) = rows.iter().copied().unzip();
            assert_abs_diff_eq!(lift_at(&l, &s, 0.1).unwrap(), base, epsilon = 1e-12);
        }
        // Dataset A, top 10% of 40 = 4: the 0.9 (+) and 3 of the five 0.8s, all five churners
        // → 4 of 4 churn; base rate 17/40 → lift 40/17.
        assert_abs_diff_eq!(base, 40.0 / 17.0, epsilon = 1e-12);
    }

    #[test]
    fn lift_at_takes_a_tenth_of_thirty_as_three_customers() {
        // 0.1·30 is 3.0000000000000004 in f64; the top group must still be 3, not 4.
        // Top 3 are churners, the 4th is not; 10 churners overall → lift (3/3)/(10/30) = 3.
        let labels: Vec<bool> = (0..30).map(|i| i < 3 || (4..11).contains(&i)).collect();
        let scores: Vec<f64> = (0..30).map(|i| 100.0 - i as f64).collect();
        assert_abs_diff_eq!(lift_at(&labels, &scores, 0.1).unwrap(), 3.0, epsilon = 1e-12);
    }

    #[test]
    fn lift_at_uses_at_least_one_customer() {
        // 0.01·5 = 0.05 → ⌈⌉ = 1 customer, the top one churns; base 2/5 → lift 2.5.
        let got = lift_at(&[true, false, true, false, false], &[0.9, 0.5, 0.4, 0.3, 0.2], 0.01).unwrap();
        assert_abs_diff_eq!(got, 2.5, epsilon = 1e-12);
    }

    #[test]
    fn metrics_compute_combines_the_individual_metrics() {
        let labels = bits(B_LABELS);
        let m = Metrics::compute(&labels, &B_SCORES).unwrap();
        assert_eq!(m.n, 30);
        assert_abs_diff_eq!(m.churn_rate, 16.0 / 30.0, epsilon = 1e-15);
        assert_eq!(m.roc_auc, roc_auc(&labels, &B_SCORES).unwrap());
        assert_eq!(m.pr_auc, pr_auc(&labels, &B_SCORES).unwrap());
        assert_eq!(m.log_loss, log_loss(&labels, &B_SCORES).unwrap());
        assert_eq!(m.brier, brier(&labels, &B_SCORES).unwrap());
        assert_eq!(m.lift_at_10, lift_at(&labels, &B_SCORES, 0.1).unwrap());
        // Dataset B, top 3 by probability: 0.83(+), 0.75(+), 0.69 ×2 {+, +} → one slot, 1 churner
        // → 3 of 3 churn; base rate 16/30 → lift 30/16.
        assert_abs_diff_eq!(m.lift_at_10, 30.0 / 16.0, epsilon = 1e-12);
        assert_eq!(m.ece, super::super::expected_calibration_error(&labels, &B_SCORES, 10).unwrap());
        assert_eq!(m.empc, super::super::empc(&labels, &B_SCORES, &super::super::EmpcParams::default()).unwrap().empc);
    }

    #[test]
    fn metrics_display_is_one_compact_line() {
        let m = Metrics {
            n: 1000,
            churn_rate: 0.265,
            roc_auc: 0.81234,
            pr_auc: 0.60121,
            log_loss: 0.41234,
            brier: 0.13012,
            lift_at_10: 2.9061,
            ece: 0.03112,
            empc: 4.1234,
        };
        assert_eq!(
            m.to_string(),
            "ROC-AUC 0.8123  PR-AUC 0.6012  log loss 0.4123  Brier 0.1301  lift@10% 2.91  ECE 0.0311  EMPC 4.123  (n=1000, churn 26.5%)"
        );
    }

    #[test]
    fn metric_summary_reports_mean_and_sample_std() {
        let fold = |n: usize, auc: f64| Metrics {
            n,
            churn_rate: 0.25,
            roc_auc: auc,
            pr_auc: 0.5,
            log_loss: 0.4,
            brier: 0.1,
            lift_at_10: 2.0,
            ece: 0.05,
            empc: 3.0,
        };
        // AUCs 0.7, 0.8, 0.9: mean 0.8; deviations ±0.1, 0 → s = √(0.02/2) = 0.1.
        // n 100, 101, 101: mean 100.67 → 101; s = √((4/9 + 1/9 + 1/9)/2) = 0.577 → 1.
        let s = MetricSummary::from_folds(&[fold(100, 0.7), fold(101, 0.8), fold(101, 0.9)]).unwrap();
        assert_abs_diff_eq!(s.mean.roc_auc, 0.8, epsilon = 1e-12);
        assert_abs_diff_eq!(s.std.roc_auc, 0.1, epsilon = 1e-12);
        assert_eq!(s.mean.n, 101);
        assert_eq!(s.std.n, 1);
        assert_abs_diff_eq!(s.mean.lift_at_10, 2.0, epsilon = 1e-12);
        assert_abs_diff_eq!(s.std.lift_at_10, 0.0, epsilon = 1e-12);
    }

    #[test]
    fn metric_summary_of_one_fold_has_zero_std() {
        let m = Metrics::compute(&bits(A_LABELS), &A_SCORES).unwrap();
        let s = MetricSummary::from_folds(&[m]).unwrap();
        assert_eq!(s.mean, m);
        assert_eq!(s.std.roc_auc, 0.0);
        assert_eq!(s.std.n, 0);
    }

    #[test]
    fn metrics_round_trip_through_json() {
        let m = Metrics::compute(&bits(B_LABELS), &B_SCORES).unwrap();
        let s = MetricSummary::from_folds(&[m, m]).unwrap();
        let back: MetricSummary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    // ---- scikit-learn reference values ----
    // Arrays copied from bench/metrics_reference.py; expected values printed by that script
    // with scikit-learn 1.9.1, numpy 2.4.6 (roc_auc_score, average_precision_score, log_loss,
    // brier_score_loss).

    const A_LABELS: &str = "0100011101001010000010101101110101000001";
    const A_SCORES: [f64; 40] = [
        0.6, 0.6, 0.3, 0.1, 0.1, 0.8, 0.4, 0.8, 0.7, 0.6, //
        0.1, 0.4, 0.8, 0.3, 0.7, 0.6, 0.6, 0.5, 0.2, 0.3, //
        0.8, 0.3, 0.5, 0.2, 0.5, 0.5, 0.3, 0.9, 0.5, 0.8, //
        0.4, 0.7, 0.2, 0.6, 0.7, 0.4, 0.5, 0.5, 0.6, 0.6,
    ];
    const B_LABELS: &str = "010010101111010100101111001010";
    const B_SCORES: [f64; 30] = [
        0.30, 0.66, 0.39, 0.01, 0.56, 0.01, 0.62, 0.34, 0.68, 0.61, //
        0.69, 0.69, 0.38, 0.66, 0.01, 0.49, 0.37, 0.12, 0.49, 0.32, //
        0.64, 0.83, 0.75, 0.56, 0.32, 0.01, 0.49, 0.27, 0.17, 0.24,
    ];
    const C_LABELS: &str = "11110010100010000000001101100000010000010101100110";
    const C_SCORES: [f64; 50] = [
        0.0, 4.0, -1.0, 1.0, -1.0, 1.0, 0.0, -1.0, 0.0, -2.0, //
        -1.0, 0.0, 0.0, -2.0, 0.0, 0.0, 1.0, -1.0, 0.0, 1.0, //
        -1.0, 0.0, 1.0, 0.0, 0.0, 3.0, 4.0, -2.0, 1.0, 1.0, //
        1.0, -1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 2.0, //
        -1.0, 3.0, 1.0, 2.0, 2.0, 1.0, 1.0, 0.0, 0.0, -2.0,
    ];

    #[test]
    fn sklearn_reference_dataset_a_one_decimal_scores() {
        let y = bits(A_LABELS);
        assert_abs_diff_eq!(roc_auc(&y, &A_SCORES).unwrap(), 0.850383631713555, epsilon = 1e-12);
        assert_abs_diff_eq!(pr_auc(&y, &A_SCORES).unwrap(), 0.788992562542258, epsilon = 1e-12);
        assert_abs_diff_eq!(log_loss(&y, &A_SCORES).unwrap(), 0.503013099475508, epsilon = 1e-12);
        assert_abs_diff_eq!(brier(&y, &A_SCORES).unwrap(), 0.166, epsilon = 1e-12);
    }

    #[test]
    fn sklearn_reference_dataset_b_two_decimal_probabilities() {
        let y = bits(B_LABELS);
        assert_abs_diff_eq!(roc_auc(&y, &B_SCORES).unwrap(), 0.959821428571429, epsilon = 1e-12);
        assert_abs_diff_eq!(pr_auc(&y, &B_SCORES).unwrap(), 0.9775, epsilon = 1e-12);
        assert_abs_diff_eq!(log_loss(&y, &B_SCORES).unwrap(), 0.421938678032022, epsilon = 1e-12);
        assert_abs_diff_eq!(brier(&y, &B_SCORES).unwrap(), 0.129626666666667, epsilon = 1e-12);
    }

    #[test]
    fn sklearn_reference_dataset_c_integer_margins() {
        let y = bits(C_LABELS);
        assert_abs_diff_eq!(roc_auc(&y, &C_SCORES).unwrap(), 0.725694444444444, epsilon = 1e-12);
        assert_abs_diff_eq!(pr_auc(&y, &C_SCORES).unwrap(), 0.660362203268382, epsilon = 1e-12);
    }

    // ---- input validation ----

    #[test]
    fn length_mismatch_is_a_shape_error() {
        let labels = [true, false, true];
        let short = [0.1, 0.2];
        let is_shape = |r: Result<f64>, what: &str| matches!(r, Err(Error::ShapeMismatch { what: w, expected: 3, found: 2 }) if w == what);
        assert!(is_shape(roc_auc(&labels, &short), "scores vs labels"));
        assert!(is_shape(pr_auc(&labels, &short), "scores vs labels"));
        assert!(is_shape(lift_at(&labels, &short, 0.1), "scores vs labels"));
        assert!(is_shape(log_loss(&labels, &short), "probabilities vs labels"));
        assert!(is_shape(brier(&labels, &short), "probabilities vs labels"));
        assert!(matches!(Metrics::compute(&labels, &short), Err(Error::ShapeMismatch { expected: 3, found: 2, .. })));
    }

    #[test]
    fn empty_input_is_empty_data() {
        assert!(matches!(roc_auc(&[], &[]), Err(Error::EmptyData { .. })));
        assert!(matches!(pr_auc(&[], &[]), Err(Error::EmptyData { .. })));
        assert!(matches!(lift_at(&[], &[], 0.1), Err(Error::EmptyData { .. })));
        assert!(matches!(log_loss(&[], &[]), Err(Error::EmptyData { .. })));
        assert!(matches!(brier(&[], &[]), Err(Error::EmptyData { .. })));
        assert!(matches!(Metrics::compute(&[], &[]), Err(Error::EmptyData { .. })));
        assert!(matches!(MetricSummary::from_folds(&[]), Err(Error::EmptyData { .. })));
    }

    #[test]
    fn non_finite_score_names_column_and_row() {
        let labels = [true, false, true];
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let scores = [0.3, bad, 0.5];
            let is_nf = |r: Result<f64>, col: &str| matches!(r, Err(Error::NonFinite { ref column, row: 1, .. }) if column == col);
            assert!(is_nf(roc_auc(&labels, &scores), "score"));
            assert!(is_nf(pr_auc(&labels, &scores), "score"));
            assert!(is_nf(lift_at(&labels, &scores, 0.5), "score"));
            assert!(is_nf(log_loss(&labels, &scores), "probability"));
            assert!(is_nf(brier(&labels, &scores), "probability"));
            assert!(matches!(Metrics::compute(&labels, &scores), Err(Error::NonFinite { row: 1, .. })));
        }
    }

    #[test]
    fn probability_outside_unit_interval_is_invalid_parameter() {
        let labels = [true, false];
        for bad in [-0.01, 1.5] {
            let probs = [0.5, bad];
            for r in [log_loss(&labels, &probs), brier(&labels, &probs)] {
                assert!(matches!(r, Err(Error::InvalidParameter { name: "probability", .. })));
            }
            assert!(matches!(
                Metrics::compute(&labels, &probs),
                Err(Error::InvalidParameter { name: "probability", .. })
            ));
        }
    }

    #[test]
    fn a_single_class_is_rejected_by_ranking_metrics() {
        let scores = [0.2, 0.4, 0.6];
        for (labels, only) in [([true; 3], true), ([false; 3], false)] {
            let is_single = |r: Result<f64>| matches!(r, Err(Error::SingleClass { class, n: 3 }) if class == only);
            assert!(is_single(roc_auc(&labels, &scores)));
            assert!(is_single(pr_auc(&labels, &scores)));
            assert!(is_single(lift_at(&labels, &scores, 0.5)));
            assert!(
                matches!(Metrics::compute(&labels, &scores), Err(Error::SingleClass { class, n: 3 }) if class == only)
            );
        }
    }

    #[test]
    fn lift_fraction_outside_zero_one_is_invalid_parameter() {
        let labels = [true, false];
        let scores = [0.7, 0.3];
        for bad in [0.0, -0.1, 1.01, f64::NAN] {
            assert!(matches!(lift_at(&labels, &scores, bad), Err(Error::InvalidParameter { name: "fraction", .. })));
        }
    }

    #[test]
    fn metric_summary_rejects_a_non_finite_fold() {
        let mut m = Metrics::compute(&bits(A_LABELS), &A_SCORES).unwrap();
        let good = m;
        m.pr_auc = f64::NAN;
        let r = MetricSummary::from_folds(&[good, m]);
        assert!(matches!(r, Err(Error::NonFinite { ref column, row: 1, .. }) if column == "pr_auc"));
    }

    // ---- properties ----

    /// Labels with both classes and scores on a coarse grid (so ties are common).
    fn labelled_scores() -> impl Strategy<Value = (Vec<bool>, Vec<f64>)> {
        (2usize..60)
            .prop_flat_map(|n| (prop::collection::vec(any::<bool>(), n), prop::collection::vec(-20i32..20, n)))
            .prop_filter("need both classes", |(l, _)| l.iter().any(|&y| y) && l.iter().any(|&y| !y))
            .prop_map(|(l, s)| (l, s.into_iter().map(|v| f64::from(v) / 10.0).collect()))
    }

    proptest! {
        #[test]
        fn roc_auc_lies_in_unit_interval((labels, scores) in labelled_scores()) {
            let auc = roc_auc(&labels, &scores).unwrap();
            prop_assert!((0.0..=1.0).contains(&auc));
        }

        #[test]
        fn roc_auc_of_negated_scores_is_one_minus_auc((labels, scores) in labelled_scores()) {
            let neg: Vec<f64> = scores.iter().map(|s| -s).collect();
            let a = roc_auc(&labels, &scores).unwrap();
            let b = roc_auc(&labels, &neg).unwrap();
            prop_assert!((a + b - 1.0).abs() < 1e-12, "{a} + {b} != 1");
        }

        #[test]
        fn roc_auc_is_invariant_under_increasing_transforms((labels, scores) in labelled_scores()) {
            let a = roc_auc(&labels, &scores).unwrap();
            let affine: Vec<f64> = scores.iter().map(|s| 3.0 * s + 1.0).collect();
            let exp: Vec<f64> = scores.iter().map(|s| s.exp()).collect();
            prop_assert!((roc_auc(&labels, &affine).unwrap() - a).abs() < 1e-12);
            prop_assert!((roc_auc(&labels, &exp).unwrap() - a).abs() < 1e-12);
        }

        #[test]
        fn pr_auc_lies_in_half_open_unit_interval((labels, scores) in labelled_scores()) {
            let ap = pr_auc(&labels, &scores).unwrap();
            prop_assert!(ap > 0.0 && ap <= 1.0 + 1e-12, "AP = {ap}");
        }

        #[test]
        fn perfect_separation_scores_one((labels, noise) in labelled_scores()) {
            // Churners get scores in [10.9, 11.1), stayers in [-1.1, -0.9): every churner ranks above every stayer.
            let scores: Vec<f64> = labels.iter().zip(&noise).map(|(&y, &e)| if y { 11.0 + e / 20.0 } else { -1.0 + e / 20.0 }).collect();
            prop_assert_eq!(roc_auc(&labels, &scores).unwrap(), 1.0);
            prop_assert!((pr_auc(&labels, &scores).unwrap() - 1.0).abs() < 1e-12);
        }

        #[test]
        fn lift_at_is_bounded_by_inverse_churn_rate((labels, scores) in labelled_scores(), fraction in 0.01f64..=1.0) {
            let n_pos = labels.iter().filter(|&&y| y).count() as f64;
            let lift = lift_at(&labels, &scores, fraction).unwrap();
            prop_assert!(lift >= 0.0 && lift <= labels.len() as f64 / n_pos + 1e-12, "lift = {lift}");
        }
    }
}
