//! Power and sample size for a two-arm churn experiment.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};
use crate::stats::{check_alpha, norm_cdf, norm_isf, norm_sf};

/// Design of a two-arm churn experiment for power calculations: the control arm's
/// churn rate, the two-sided significance level and the allocation ratio.
///
/// Power is that of the two-sided normal test on Cohen's effect size
/// h = 2·asin√p_c − 2·asin√p_t (Cohen 1988, Statistical Power Analysis, §6.2), both
/// rejection tails included — the formula of statsmodels'
/// `NormalIndPower().power(h, nobs1=n_control, alpha, ratio)`.
///
/// ```
/// use churnguard::eval::ab::PowerPlan;
///
/// // Baseline churn 30 % in the high-risk tier; detect a 20 % relative cut at 5 %/80 %.
/// let plan = PowerPlan::new(0.30, 0.05)?;
/// let size = plan.sample_size(0.20, 0.80)?;
/// assert_eq!((size.control, size.treatment), (858, 858));
/// assert!((plan.power(0.20, 858)? - 0.80).abs() < 0.001);
/// // With 500 customers per arm, the smallest cut detectable with 80 % power:
/// let mde = plan.minimum_detectable_reduction(500, 0.80)?;
/// assert!(mde > 0.25 && mde < 0.27);
/// # Ok::<(), churnguard::Error>(())
/// ```
// Serialize only: a deserialised plan would skip the validation of `new`; rebuild it instead.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PowerPlan {
    baseline_rate: f64,
    alpha: f64,
    treatment_ratio: f64,
}

/// Customers needed per arm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// Control customers (rounded up).
    pub control: u64,
    /// Treatment customers, `treatment_ratio ×` the exact control size, rounded up.
    pub treatment: u64,
    /// The exact (fractional) control size solving power = target.
    pub control_exact: f64,
}

impl PowerPlan {
    /// A plan with control churn rate `baseline_rate`, two-sided significance level
    /// `alpha` and equal arms.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `baseline_rate` is not in (0, 1) or `alpha` not in (0, 1).
    pub fn new(baseline_rate: f64, alpha: f64) -> Result<Self> {
        ensure!(
            baseline_rate.is_finite() && baseline_rate > 0.0 && baseline_rate < 1.0,
            Error::param("baseline_rate", baseline_rate, "churn rate must be in (0, 1)")
        );
        check_alpha(alpha)?;
        Ok(PowerPlan { baseline_rate, alpha, treatment_ratio: 1.0 })
    }

    /// Unequal arms: `ratio` treatment customers per control customer (e.g. 9 for a 10 % holdout).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `ratio` is not positive and finite.
    pub fn with_treatment_ratio(mut self, ratio: f64) -> Result<Self> {
        ensure!(
            ratio.is_finite() && ratio > 0.0,
            Error::param("treatment_ratio", ratio, "must be positive and finite")
        );
        self.treatment_ratio = ratio;
        Ok(self)
    }

    /// Control churn rate.
    pub fn baseline_rate(&self) -> f64 {
        self.baseline_rate
    }

    /// Two-sided significance level.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Treatment customers per control customer.
    pub fn treatment_ratio(&self) -> f64 {
        self.treatment_ratio
    }

    /// Power to detect a relative churn reduction `relative_reduction` (0.2 = churn
    /// cut by 20 %) with `n_control` control customers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `relative_reduction` is not in (0, 1] or `n_control` is 0.
    pub fn power(&self, relative_reduction: f64, n_control: u64) -> Result<f64> {
        let h = self.effect_size(relative_reduction)?;
        ensure!(n_control > 0, Error::param("n_control", n_control, "need at least one control customer"));
        Ok(self.power_at(h, n_control as f64))
    }

    /// Customers per arm for `power` to detect `relative_reduction`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `relative_reduction` is not in (0, 1] or `power`
    /// is not in (alpha, 1).
    pub fn sample_size(&self, relative_reduction: f64, power: f64) -> Result<SampleSize> {
        let h = self.effect_size(relative_reduction)?;
        self.check_power(power)?;
        // Power rises monotonically from alpha (n → 0) to 1 in n: bracket, then bisect.
        let mut high = 1.0;
        while self.power_at(h, high) < power {
            high *= 2.0;
            ensure!(high < 1e15, Error::param("relative_reduction", relative_reduction, "effect too small to size"));
        }
        let control_exact = bisect(|n| self.power_at(h, n) - power, 0.0, high);
        Ok(SampleSize {
            control: control_exact.ceil() as u64,
            treatment: (control_exact * self.treatment_ratio).ceil() as u64,
            control_exact,
        })
    }

    /// Smallest relative churn reduction detectable with `power` and `n_control`
    /// control customers (found by bisection on the reduction).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `power` is not in (alpha, 1), `n_control` is 0,
    /// or even a 100 % reduction would not reach `power` (name `"n_control"`).
    pub fn minimum_detectable_reduction(&self, n_control: u64, power: f64) -> Result<f64> {
        self.check_power(power)?;
        ensure!(n_control > 0, Error::param("n_control", n_control, "need at least one control customer"));
        let n = n_control as f64;
        let h_max = self.effect_size(1.0)?;
        ensure!(
            self.power_at(h_max, n) >= power,
            Error::param("n_control", n_control, "too few customers to reach the power even for a 100% reduction")
        );
        let gap = |r: f64| self.effect_size(r).map_or(-1.0, |h| self.power_at(h, n) - power);
        Ok(bisect(gap, 0.0, 1.0))
    }

    /// Cohen's h between the baseline and the reduced rate.
    fn effect_size(&self, relative_reduction: f64) -> Result<f64> {
        ensure!(
            relative_reduction.is_finite() && relative_reduction > 0.0 && relative_reduction <= 1.0,
            Error::param("relative_reduction", relative_reduction, "must be in (0, 1]")
        );
        let treated = self.baseline_rate * (1.0 - relative_reduction);
        // Cohen (1988), eq. 6.2.1: h = φ₁ − φ₂ with φ = 2·arcsin √p.
        Ok(2.0 * (self.baseline_rate.sqrt().asin() - treated.sqrt().asin()))
    }

    /// Two-sided power at effect size `h` and `n` control customers (statsmodels `normal_power`).
    fn power_at(&self, h: f64, n: f64) -> f64 {
        let effective_n = n * self.treatment_ratio / (1.0 + self.treatment_ratio);
        let crit = norm_isf(self.alpha / 2.0);
        let shift = h * effective_n.sqrt();
        norm_sf(crit - shift) + norm_cdf(-crit - shift)
    }

    fn check_power(&self, power: f64) -> Result<()> {
        ensure!(
            power.is_finite() && power > self.alpha && power < 1.0,
            Error::param("power", power, "must be above alpha and below 1")
        );
        Ok(())
    }
}

/// Root of an increasing function on [low, high] with f(low) < 0 ≤ f(high), to machine precision.
pub(crate) fn bisect(f: impl Fn(f64) -> f64, mut low: f64, mut high: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mid <= low || mid >= high {
            break;
        }
        if f(mid) < 0.0 {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}
