//! Stratified analysis: campaign effect per risk tier or segment, pooled by Mantel–Haenszel.

use std::collections::HashMap;
use std::fmt::{self, Display};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::proportions::{ArmCounts, Interval, ProportionComparison, compare, percent_level, signed_percent, write_p};
use crate::error::{Error, Result, ensure};
use crate::stats::{chi2_1_sf, normal_critical};

/// Counts of one stratum (risk tier, segment, region).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumCounts {
    /// Stratum label.
    pub name: String,
    /// Control counts in the stratum.
    pub control: ArmCounts,
    /// Treatment counts in the stratum.
    pub treatment: ArmCounts,
}

/// The effect within one stratum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratumEffect {
    /// Stratum label.
    pub name: String,
    /// Control counts.
    pub control: ArmCounts,
    /// Treatment counts.
    pub treatment: ArmCounts,
    /// The two-proportion comparison in this stratum; `None` when nobody (or
    /// everybody) churned in it, so it has no effect of its own.
    pub comparison: Option<ProportionComparison>,
}

/// Per-stratum effects and their Mantel–Haenszel pooled summary.
///
/// Treatment is compared with control, so a campaign that cuts churn has a negative
/// risk difference and ratios below 1. A pooled ratio is ∞ or NaN (with such bounds)
/// when no control customer (ratio) or no stratum's off-diagonal cells (odds ratio)
/// has an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratifiedComparison {
    /// Confidence level of every interval.
    pub level: f64,
    /// Effects per stratum, in input order.
    pub strata: Vec<StratumEffect>,
    /// Mantel–Haenszel risk difference `Σ (a·n₀ − c·n₁)/N / Σ n₁·n₀/N`.
    pub risk_difference: f64,
    /// Interval of the risk difference, Greenland–Robins (1985) variance.
    pub risk_difference_ci: Interval,
    /// Mantel–Haenszel risk ratio `Σ a·n₀/N / Σ c·n₁/N`.
    pub risk_ratio: f64,
    /// Interval of the risk ratio, Greenland–Robins (1985) variance of its log.
    pub risk_ratio_ci: Interval,
    /// Pooled relative reduction `1 − risk_ratio`.
    pub relative_reduction: f64,
    /// `1 −` the risk-ratio interval.
    pub relative_reduction_ci: Interval,
    /// Mantel–Haenszel odds ratio `Σ a·d/N / Σ b·c/N`.
    pub odds_ratio: f64,
    /// Interval of the odds ratio, Robins–Breslow–Greenland (1986) variance of its log.
    pub odds_ratio_ci: Interval,
    /// Cochran–Mantel–Haenszel chi-square statistic (1 df), no continuity correction.
    pub cmh_statistic: f64,
    /// p-value of the CMH test of no effect in any stratum.
    pub cmh_p_value: f64,
    /// CMH statistic with the 0.5 continuity correction.
    pub cmh_statistic_corrected: f64,
    /// p-value of the continuity-corrected CMH test.
    pub cmh_p_value_corrected: f64,
}

/// Compares churn between arms within strata and pools the strata by Mantel–Haenszel.
///
/// In the formulas a, b are treated churners/stayers, c, d control churners/stayers,
/// n₁ = a + b, n₀ = c + d and N = n₁ + n₀, per stratum.
///
/// ```
/// use churnguard::eval::ab::{ArmCounts, StratumCounts, compare_stratified};
///
/// let tier = |name: &str, control: (u64, u64), treatment: (u64, u64)| -> churnguard::Result<StratumCounts> {
///     Ok(StratumCounts {
///         name: name.into(),
///         control: ArmCounts::new(control.0, control.1)?,
///         treatment: ArmCounts::new(treatment.0, treatment.1)?,
///     })
/// };
/// let strata = [tier("high", (400, 160), (400, 120))?, tier("medium", (600, 90), (600, 75))?];
/// let result = compare_stratified(&strata, 0.95)?;
/// assert!(result.risk_ratio < 1.0 && result.cmh_p_value < 0.05);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyData`] for no strata; [`Error::EmptyArm`] if an arm of a stratum is
/// empty; [`Error::InvalidParameter`] for `events > n` or a `level` outside (0, 1);
/// [`Error::NoOutcomeVariation`] if nobody churned in any stratum, or everybody did.
pub fn compare_stratified(strata: &[StratumCounts], level: f64) -> Result<StratifiedComparison> {
    let z = normal_critical(level)?;
    ensure!(!strata.is_empty(), Error::EmptyData { context: "stratified comparison: no strata".into() });
    let mut effects = Vec::with_capacity(strata.len());
    for s in strata {
        s.control.check(&format!("control in stratum `{}`", s.name))?;
        s.treatment.check(&format!("treatment in stratum `{}`", s.name))?;
        let comparison = match compare(s.control, s.treatment, level) {
            Ok(c) => Some(c),
            Err(Error::NoOutcomeVariation { .. }) => None,
            Err(e) => return Err(e),
        };
        effects.push(StratumEffect { name: s.name.clone(), control: s.control, treatment: s.treatment, comparison });
    }
    let events: u64 = strata.iter().map(|s| s.control.events + s.treatment.events).sum();
    let total: u64 = strata.iter().map(|s| s.control.n + s.treatment.n).sum();
    ensure!(events > 0 && events < total, Error::NoOutcomeVariation { events, n: total });

    let mut sums = Sums::default();
    for s in strata {
        sums.add(s);
    }

    // Variances: Greenland & Robins (1985), Biometrics 41:55 (risk difference, log risk ratio);
    // Robins, Breslow & Greenland (1986), Biometrics 42:311 (log odds ratio).
    let risk_difference = sums.rd_num / sums.rd_den;
    let rd_se = (sums.rd_var_num / (sums.rd_den * sums.rd_den)).sqrt();
    let risk_ratio = sums.rr_num / sums.rr_den;
    let log_rr_se = (sums.rr_var_num / (sums.rr_num * sums.rr_den)).sqrt();
    let odds_ratio = sums.r / sums.s;
    let log_or_se =
        ((sums.pr / (sums.r * sums.r) + (sums.ps + sums.qr) / (sums.r * sums.s) + sums.qs / (sums.s * sums.s)) / 2.0)
            .sqrt();
    let risk_ratio_ci = log_interval(risk_ratio, log_rr_se, z);
    // Mantel & Haenszel (1959), JNCI 22:719: (|Σ a − E a| − correction)² / Σ Var a.
    let deviation = sums.a_minus_expected.abs();
    let cmh_statistic = deviation * deviation / sums.a_variance;
    let corrected = (deviation - 0.5).max(0.0);
    let cmh_statistic_corrected = corrected * corrected / sums.a_variance;

    Ok(StratifiedComparison {
        level,
        strata: effects,
        risk_difference,
        risk_difference_ci: Interval { lower: risk_difference - z * rd_se, upper: risk_difference + z * rd_se },
        risk_ratio,
        risk_ratio_ci,
        relative_reduction: 1.0 - risk_ratio,
        relative_reduction_ci: Interval { lower: 1.0 - risk_ratio_ci.upper, upper: 1.0 - risk_ratio_ci.lower },
        odds_ratio,
        odds_ratio_ci: log_interval(odds_ratio, log_or_se, z),
        cmh_statistic,
        cmh_p_value: chi2_1_sf(cmh_statistic),
        cmh_statistic_corrected,
        cmh_p_value_corrected: chi2_1_sf(cmh_statistic_corrected),
    })
}

/// Stratified comparison from one outcome, treatment flag and stratum label per customer;
/// strata appear in order of first occurrence and are named by their `Display` form.
///
/// ```
/// use churnguard::eval::ab::compare_stratified_outcomes;
///
/// let churned = [true, false, false, true, true, false, true, false];
/// let treated = [true, true, false, false, true, true, false, false];
/// let tier = ["high", "high", "high", "high", "low", "low", "low", "low"];
/// let result = compare_stratified_outcomes(&churned, &treated, &tier, 0.95)?;
/// assert_eq!(result.strata[0].name, "high");
/// assert_eq!(result.strata[1].treatment.events, 1);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] if the slices differ in length, [`Error::EmptyData`] if
/// they are empty, and everything [`compare_stratified`] returns.
pub fn compare_stratified_outcomes<K: Eq + Hash + Display>(
    churned: &[bool],
    treated: &[bool],
    strata: &[K],
    level: f64,
) -> Result<StratifiedComparison> {
    let n = churned.len();
    ensure!(
        treated.len() == n,
        Error::ShapeMismatch { what: "treatment flags vs outcomes", expected: n, found: treated.len() }
    );
    ensure!(
        strata.len() == n,
        Error::ShapeMismatch { what: "stratum labels vs outcomes", expected: n, found: strata.len() }
    );
    ensure!(n > 0, Error::EmptyData { context: "stratified comparison: no customers".into() });
    let mut index: HashMap<&K, usize> = HashMap::new();
    let mut counts: Vec<StratumCounts> = Vec::new();
    for ((key, &y), &t) in strata.iter().zip(churned).zip(treated) {
        let i = *index.entry(key).or_insert_with(|| {
            counts.push(StratumCounts {
                name: key.to_string(),
                control: ArmCounts { n: 0, events: 0 },
                treatment: ArmCounts { n: 0, events: 0 },
            });
            counts.len() - 1
        });
        let stratum =
            counts.get_mut(i).ok_or_else(|| Error::param("stratum", i, "internal stratum index out of range"))?;
        let arm = if t { &mut stratum.treatment } else { &mut stratum.control };
        arm.n += 1;
        arm.events += u64::from(y);
    }
    compare_stratified(&counts, level)
}

/// `exp(log(estimate) ± z·se)`; non-finite bounds when the estimate is 0 or ∞.
fn log_interval(estimate: f64, se_log: f64, z: f64) -> Interval {
    let centre = estimate.ln();
    Interval { lower: (centre - z * se_log).exp(), upper: (centre + z * se_log).exp() }
}

/// Running Mantel–Haenszel sums over strata.
#[derive(Default)]
struct Sums {
    rd_num: f64,
    rd_den: f64,
    rd_var_num: f64,
    rr_num: f64,
    rr_den: f64,
    rr_var_num: f64,
    r: f64,
    s: f64,
    pr: f64,
    ps: f64,
    qr: f64,
    qs: f64,
    a_minus_expected: f64,
    a_variance: f64,
}

impl Sums {
    fn add(&mut self, stratum: &StratumCounts) {
        let a = stratum.treatment.events as f64;
        let b = stratum.treatment.non_events() as f64;
        let c = stratum.control.events as f64;
        let d = stratum.control.non_events() as f64;
        let (n1, n0) = (a + b, c + d);
        let n = n1 + n0;
        let (m1, m0) = (a + c, b + d);
        // Risk difference and its variance (Greenland & Robins 1985).
        self.rd_num += (a * n0 - c * n1) / n;
        self.rd_den += n1 * n0 / n;
        self.rd_var_num += (a * b * n0.powi(3) + c * d * n1.powi(3)) / (n1 * n0 * n * n);
        // Risk ratio (same paper): Var(log RR) = Σ (n₁n₀m₁ − acN)/N² / (Σ a n₀/N · Σ c n₁/N).
        self.rr_num += a * n0 / n;
        self.rr_den += c * n1 / n;
        self.rr_var_num += (n1 * n0 * m1 - a * c * n) / (n * n);
        // Odds ratio variance in the P, Q, R, S form of Robins, Breslow & Greenland (1986).
        let (p, q) = ((a + d) / n, (b + c) / n);
        let (r, s) = (a * d / n, b * c / n);
        self.r += r;
        self.s += s;
        self.pr += p * r;
        self.ps += p * s;
        self.qr += q * r;
        self.qs += q * s;
        // CMH: E[a] = n₁m₁/N, Var[a] = n₁n₀m₁m₀ / (N²(N − 1)).
        self.a_minus_expected += a - n1 * m1 / n;
        if n > 1.0 {
            self.a_variance += n1 * n0 * m1 * m0 / (n * n * (n - 1.0));
        }
    }
}

impl fmt::Display for StratifiedComparison {
    /// One line, e.g. `3 strata: −18.3% relative (Mantel–Haenszel, 95% CI −29.1% to −5.9%), CMH p = 0.005`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} strata: {} relative (Mantel–Haenszel, {} CI {} to {}), CMH ",
            self.strata.len(),
            signed_percent(-self.relative_reduction),
            percent_level(self.level),
            signed_percent(-self.relative_reduction_ci.upper),
            signed_percent(-self.relative_reduction_ci.lower),
        )?;
        write_p(f, self.cmh_p_value)
    }
}
