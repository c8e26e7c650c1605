//! Probability calibration diagnostics: reliability curve and expected calibration error.
//!
//! A churn probability of 0.3 should mean that about 30% of such customers
//! churn; budgets built on expected losses depend on it. The reliability curve
//! bins predictions into equal-width probability bins and compares the mean
//! prediction with the observed churn rate in each; ECE is their weighted gap.

use serde::{Deserialize, Serialize};

use super::metrics::check_probs;
use crate::error::{Error, Result, ensure};

/// One bin of a reliability curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except 1.0 for the last bin).
    pub upper: f64,
    /// Customers whose probability falls in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin (`NaN` when empty).
    pub mean_predicted: f64,
    /// Observed churn rate in the bin (`NaN` when empty).
    pub observed_rate: f64,
}

/// Reliability curve with `n_bins` equal-width bins over `[0, 1]` (empty bins included).
///
/// # Errors
/// [`Error::InvalidParameter`] for `n_bins == 0`, plus the input errors of
/// [`log_loss`](super::log_loss).
///
/// ```
/// use churnguard::eval::reliability_curve;
/// let bins = reliability_curve(&[false, true, true, false], &[0.1, 0.9, 0.8, 0.3], 2)?;
/// assert_eq!(bins[0].count, 2);
/// assert_eq!(bins[1].observed_rate, 1.0);
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn reliability_curve(labels: &[bool], probs: &[f64], n_bins: usize) -> Result<Vec<ReliabilityBin>> {
    ensure!(n_bins > 0, Error::param("n_bins", n_bins, "need at least one bin"));
    check_probs(labels, probs, "reliability_curve")?;
    let mut sums = vec![(0usize, 0.0f64, 0usize); n_bins];
    for (&y, &p) in labels.iter().zip(probs) {
        // p = 1.0 belongs to the last bin.
        let b = ((p * n_bins as f64) as usize).min(n_bins - 1);
        let s = &mut sums[b];
        s.0 += 1;
        s.1 += p;
        s.2 += usize::from(y);
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .map(|(b, (count, p_sum, y_sum))| ReliabilityBin {
            lower: b as f64 / n_bins as f64,
            upper: (b + 1) as f64 / n_bins as f64,
            count,
            mean_predicted: p_sum / count as f64,
            observed_rate: y_sum as f64 / count as f64,
        })
        .collect())
}

/// Expected calibration error with `n_bins` equal-width bins:
/// ECE = Σ_b (n_b / n)·|observed_b − predicted_b| (Naeini, Cooper & Hauskrecht 2015, AAAI).
///
/// 0 is perfect calibration; always predicting the base rate also scores 0, so read it
/// beside a ranking metric. Defined when only one class is present.
///
/// # Errors
/// Same as [`reliability_curve`].
pub fn expected_calibration_error(labels: &[bool], probs: &[f64], n_bins: usize) -> Result<f64> {
    let n = labels.len() as f64;
    Ok(reliability_curve(labels, probs, n_bins)?
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| b.count as f64 / n * (b.observed_rate - b.mean_predicted).abs())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn ece_matches_hand_computation() {
        // Bins of width 0.5: {0.1, 0.3} → predicted 0.2, observed 0.5; {0.8, 0.9, 1.0} →
        // predicted 0.9, observed 2/3. ECE = 2/5·0.3 + 3/5·(0.9 − 2/3) = 0.12 + 0.14 = 0.26.
        let labels = [false, true, true, false, true];
        let probs = [0.1, 0.3, 0.8, 0.9, 1.0];
        assert_abs_diff_eq!(expected_calibration_error(&labels, &probs, 2).unwrap(), 0.26, epsilon = 1e-12);
    }

    #[test]
    fn base_rate_predictions_are_perfectly_calibrated() {
        let labels = [true, false, false, false];
        assert_abs_diff_eq!(expected_calibration_error(&labels, &[0.25; 4], 10).unwrap(), 0.0, epsilon = 1e-15);
    }

    #[test]
    fn reliability_curve_keeps_empty_bins_and_rejects_zero_bins() {
        let bins = reliability_curve(&[true, false], &[0.95, 0.05], 10).unwrap();
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[9].count, 1);
        assert!(bins[5].mean_predicted.is_nan());
        assert!(matches!(reliability_curve(&[true], &[0.5], 0), Err(Error::InvalidParameter { name: "n_bins", .. })));
        assert!(matches!(reliability_curve(&[true], &[1.5], 5), Err(Error::InvalidParameter { .. })));
    }
}
