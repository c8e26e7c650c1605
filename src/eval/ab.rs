//! A/B tests of retention campaigns: did the campaign reduce churn, by how much, and how sure are we?
//!
//! Sits after a campaign has run: churn outcomes of a control and a treated
//! group go in; effect sizes with confidence intervals and p-values come out.
//!
//! - [`compare_proportions`] / [`compare_outcomes`]: churn rate per arm (Wilson
//!   intervals), difference with Newcombe's hybrid score interval, risk ratio
//!   and relative churn reduction with Katz log intervals, pooled z-test,
//!   chi-square with and without Yates' correction and Fisher's exact test;
//!   the result flags when expected cell counts are below 5 and the normal
//!   approximation should not be trusted.
//! - [`cluster_randomised`]: when whole stores, regions or neighbourhoods were
//!   randomised, customers in one cluster are not independent; the difference
//!   gets a cluster-robust (CR1) standard error with a t reference on G − 1
//!   degrees of freedom, as statsmodels' `OLS(...).fit(cov_type="cluster")`.
//! - [`required_sample_size`], [`power`] and [`minimum_detectable_reduction`] plan a test.
//! - [`stratified`] analyses a test by risk tier or segment and pools the
//!   strata with Cochran–Mantel–Haenszel.
//! - [`SequentialPlan`] gives O'Brien–Fleming-type group-sequential boundaries
//!   (Lan–DeMets spending), so interim looks do not inflate the false-positive rate.
//! - [`Assigner`] assigns customers to arms reproducibly from a seed and their id.
//!
//! ```
//! use churnguard::eval::ab::{ArmCounts, compare_proportions};
//! // The flagship case: 30.1% churn in control, 24.0% after the coupon campaign.
//! let test = compare_proportions(ArmCounts::new(2000, 602), ArmCounts::new(2000, 480), 0.95)?;
//! assert!((test.relative_reduction - 0.2027).abs() < 1e-3);
//! assert!(test.p_value < 0.001);
//! println!("{test}"); // churn 30.1% → 24.0%, −20.3% relative (95% CI …), p = …
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::ln_gamma;

use crate::error::{Error, Result, ensure};

/// Churn counts of one arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    /// Customers in the arm.
    pub n: u64,
    /// Of them, how many churned.
    pub churned: u64,
}

impl ArmCounts {
    /// `churned` of `n` customers.
    pub fn new(n: u64, churned: u64) -> Self {
        ArmCounts { n, churned }
    }

    /// The churn rate.
    pub fn rate(&self) -> f64 {
        self.churned as f64 / self.n as f64
    }

    fn check(&self, arm: &'static str) -> Result<()> {
        ensure!(self.n > 0, Error::EmptyData { context: format!("A/B test: the {arm} arm has no customers") });
        ensure!(
            self.churned <= self.n,
            Error::param("churned", self.churned, "cannot exceed the number of customers in the arm")
        );
        Ok(())
    }
}

/// One arm's churn rate with its Wilson score interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    /// The counts.
    pub counts: ArmCounts,
    /// Churn rate.
    pub rate: f64,
    /// Wilson score interval for the rate (Wilson 1927).
    pub ci: (f64, f64),
}

/// Comparison of churn between a control and a treated arm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProportionTest {
    /// Confidence level of every interval.
    pub confidence: f64,
    /// The control arm.
    pub control: ArmSummary,
    /// The treated arm.
    pub treatment: ArmSummary,
    /// Treatment rate − control rate (negative = the campaign reduced churn).
    pub difference: f64,
    /// Newcombe's hybrid score interval for the difference (Newcombe 1998, method 10).
    pub difference_ci: (f64, f64),
    /// Treatment rate / control rate.
    pub risk_ratio: f64,
    /// Katz log interval for the risk ratio (Katz et al. 1978); 0.5 is added to every cell
    /// when a cell is empty.
    pub risk_ratio_ci: (f64, f64),
    /// 1 − risk ratio: the share of control churn the campaign prevented.
    pub relative_reduction: f64,
    /// Interval for the relative reduction (from the risk-ratio interval).
    pub relative_reduction_ci: (f64, f64),
    /// Pooled two-proportion z statistic.
    pub z: f64,
    /// Two-sided p-value of the z-test (equals the uncorrected chi-square test).
    pub p_value_z: f64,
    /// Pearson chi-square statistic with Yates' continuity correction.
    pub chi2_yates: f64,
    /// p-value of the Yates-corrected chi-square test.
    pub p_value_yates: f64,
    /// Two-sided Fisher exact test p-value (tables at most as likely as the observed one).
    pub p_value_fisher: f64,
    /// True when an expected cell count is below 5: use [`p_value_fisher`](Self::p_value_fisher).
    pub small_sample: bool,
    /// The p-value to report: Fisher's when `small_sample`, otherwise the z-test's.
    pub p_value: f64,
}

impl fmt::Display for ProportionTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |v: f64| 100.0 * v;
        write!(
            f,
            "churn {:.1}% → {:.1}%, {:+.1}% relative ({:.0}% CI {:+.1}% to {:+.1}%), difference {:+.1} pp \
             ({:+.1} to {:+.1}), p {}{}",
            pct(self.control.rate),
            pct(self.treatment.rate),
            -pct(self.relative_reduction),
            pct(self.confidence),
            -pct(self.relative_reduction_ci.1),
            -pct(self.relative_reduction_ci.0),
            pct(self.difference),
            pct(self.difference_ci.0),
            pct(self.difference_ci.1),
            if self.p_value < 0.001 { "< 0.001".to_string() } else { format!("= {:.3}", self.p_value) },
            if self.small_sample { " (Fisher exact: small cells)" } else { "" }
        )
    }
}

fn check_confidence(confidence: f64) -> Result<f64> {
    ensure!(
        confidence > 0.0 && confidence < 1.0,
        Error::param("confidence", confidence, "must lie strictly between 0 and 1")
    );
    Ok(normal_quantile(1.0 - (1.0 - confidence) / 2.0))
}

fn std_normal() -> Normal {
    // Mean 0, sd 1 is always a valid normal distribution.
    Normal::standard()
}

fn normal_quantile(p: f64) -> f64 {
    std_normal().inverse_cdf(p)
}

fn normal_sf(z: f64) -> f64 {
    1.0 - std_normal().cdf(z)
}

/// Wilson score interval for `k` of `n` (Wilson 1927; Newcombe 1998 method 3).
fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// ln of the hypergeometric probability of `a` churners among `n1` treated when `m` of
/// `n` customers churned.
fn ln_hypergeom(a: u64, n1: u64, m: u64, n: u64) -> f64 {
    let ln_choose =
        |n: u64, k: u64| ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0);
    ln_choose(m, a) + ln_choose(n - m, n1 - a) - ln_choose(n, n1)
}

/// Two-sided Fisher exact test on the 2×2 table: sum of the probabilities of tables
/// with the same margins that are no more likely than the observed one (as
/// `scipy.stats.fisher_exact`, with its relative tolerance 1e-7).
fn fisher_two_sided(a: u64, n1: u64, m: u64, n: u64) -> f64 {
    let lo = m.saturating_sub(n - n1);
    let hi = m.min(n1);
    let observed = ln_hypergeom(a, n1, m, n);
    let p: f64 =
        (lo..=hi).map(|x| ln_hypergeom(x, n1, m, n)).filter(|&l| l <= observed + 1e-7_f64.ln_1p()).map(f64::exp).sum();
    p.min(1.0)
}

/// Compare churn between `control` and `treatment` at `confidence` (e.g. 0.95).
///
/// # Errors
/// [`Error::EmptyData`] for an empty arm; [`Error::InvalidParameter`] for more churners
/// than customers, a confidence outside (0, 1), or no churner in either arm
/// (`churned`: nothing to compare).
pub fn compare_proportions(control: ArmCounts, treatment: ArmCounts, confidence: f64) -> Result<ProportionTest> {
    control.check("control")?;
    treatment.check("treatment")?;
    let z_crit = check_confidence(confidence)?;
    let (a, n1) = (treatment.churned, treatment.n);
    let (c, n0) = (control.churned, control.n);
    ensure!(a + c > 0, Error::param("churned", 0, "no churner in either arm: the churn rates cannot be compared"));
    ensure!(
        a + c < n1 + n0,
        Error::param("churned", a + c, "every customer churned in both arms: the rates cannot be compared")
    );
    let (p1, p0) = (treatment.rate(), control.rate());
    let (ci1, ci0) = (wilson(a, n1, z_crit), wilson(c, n0, z_crit));
    let difference = p1 - p0;
    // Newcombe (1998) method 10: combine the Wilson limits of each arm.
    let difference_ci = (
        difference - ((p1 - ci1.0).powi(2) + (ci0.1 - p0).powi(2)).sqrt(),
        difference + ((ci1.1 - p1).powi(2) + (p0 - ci0.0).powi(2)).sqrt(),
    );
    let risk_ratio = if c > 0 { p1 / p0 } else { f64::INFINITY };
    // Katz log interval; Haldane's 0.5 correction when a cell is empty.
    let zero_cell = a == 0 || c == 0 || a == n1 || c == n0;
    let h = if zero_cell { 0.5 } else { 0.0 };
    let (af, cf, n1f, n0f) = (a as f64 + h, c as f64 + h, n1 as f64 + 2.0 * h, n0 as f64 + 2.0 * h);
    let log_rr = (af / n1f / (cf / n0f)).ln();
    let se = (1.0 / af - 1.0 / n1f + 1.0 / cf - 1.0 / n0f).sqrt();
    let risk_ratio_ci = ((log_rr - z_crit * se).exp(), (log_rr + z_crit * se).exp());
    let relative_reduction = 1.0 - risk_ratio;
    let relative_reduction_ci = (1.0 - risk_ratio_ci.1, 1.0 - risk_ratio_ci.0);

    let n = n1 + n0;
    let m = a + c;
    let pooled = m as f64 / n as f64;
    let z = difference / (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt();
    let p_value_z = (2.0 * normal_sf(z.abs())).min(1.0);
    // Yates: move each observed cell up to 0.5 towards its expectation (as scipy's chi2_contingency).
    let cells = [(a, n1, m), (n1 - a, n1, n - m), (c, n0, m), (n0 - c, n0, n - m)];
    let mut chi2_yates = 0.0;
    let mut small_sample = false;
    for (obs, row, col) in cells {
        let expected = row as f64 * col as f64 / n as f64;
        small_sample |= expected < 5.0;
        let d = (obs as f64 - expected).abs();
        chi2_yates += (d - d.min(0.5)).powi(2) / expected;
    }
    let chi1 = ChiSquared::new(1.0).map_err(|e| Error::FitFailed { model: "chi_square", message: e.to_string() })?;
    let p_value_yates = 1.0 - chi1.cdf(chi2_yates);
    let p_value_fisher = fisher_two_sided(a, n1, m, n);
    let summary = |counts: ArmCounts, ci| ArmSummary { counts, rate: counts.rate(), ci };
    Ok(ProportionTest {
        confidence,
        control: summary(control, ci0),
        treatment: summary(treatment, ci1),
        difference,
        difference_ci,
        risk_ratio,
        risk_ratio_ci,
        relative_reduction,
        relative_reduction_ci,
        z,
        p_value_z,
        chi2_yates,
        p_value_yates,
        p_value_fisher,
        small_sample,
        p_value: if small_sample { p_value_fisher } else { p_value_z },
    })
}

/// Counts per arm from per-customer outcomes (`churned[i]`) and assignments (`treated[i]`).
///
/// # Errors
/// [`Error::ShapeMismatch`] when the slices differ in length.
pub fn arm_counts(churned: &[bool], treated: &[bool]) -> Result<(ArmCounts, ArmCounts)> {
    ensure!(
        churned.len() == treated.len(),
        Error::ShapeMismatch { what: "treatment flags vs outcomes", expected: churned.len(), found: treated.len() }
    );
    let (mut control, mut treatment) = (ArmCounts::new(0, 0), ArmCounts::new(0, 0));
    for (&y, &t) in churned.iter().zip(treated) {
        let arm = if t { &mut treatment } else { &mut control };
        arm.n += 1;
        arm.churned += u64::from(y);
    }
    Ok((control, treatment))
}

/// [`compare_proportions`] from per-customer outcomes and assignments.
///
/// # Errors
/// Those of [`arm_counts`] and [`compare_proportions`].
pub fn compare_outcomes(churned: &[bool], treated: &[bool], confidence: f64) -> Result<ProportionTest> {
    let (control, treatment) = arm_counts(churned, treated)?;
    compare_proportions(control, treatment, confidence)
}

/// Parse a treatment flag: `1`/`0`, `true`/`false`, `yes`/`no`, `treatment`/`control`
/// (case-insensitive, trimmed).
///
/// # Errors
/// [`Error::InvalidParameter`] (`treatment`) for any other text.
pub fn parse_treatment_flag(text: &str) -> Result<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "treatment" | "treated" => Ok(true),
        "0" | "false" | "no" | "control" => Ok(false),
        _ => Err(Error::param("treatment", text, "expected 1/0, true/false, yes/no or treatment/control")),
    }
}

/// Difference in churn rates for a cluster-randomised test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterTest {
    /// Confidence level of the interval.
    pub confidence: f64,
    /// Treatment rate − control rate (the OLS slope on the treatment flag).
    pub difference: f64,
    /// Cluster-robust (CR1) standard error of the difference.
    pub se: f64,
    /// The naive standard error that ignores clustering (OLS, homoskedastic).
    pub se_naive: f64,
    /// Interval: difference ± t(G − 1)·se.
    pub ci: (f64, f64),
    /// t statistic.
    pub t: f64,
    /// Two-sided p-value on G − 1 degrees of freedom.
    pub p_value: f64,
    /// Number of clusters G.
    pub n_clusters: usize,
    /// Customers.
    pub n: usize,
    /// Design effect: (se / naive se)²; how many times larger the variance is than if
    /// customers had been randomised one by one.
    pub design_effect: f64,
}

/// Difference in churn between arms when whole clusters (stores, regions, neighbourhoods)
/// were randomised: OLS of the outcome on the treatment flag with the CR1
/// cluster-robust sandwich variance, small-sample factor G/(G − 1)·(N − 1)/(N − 2), and a
/// t reference with G − 1 degrees of freedom (Cameron & Miller 2015, §2.3; statsmodels'
/// `cov_type="cluster"` defaults).
///
/// # Errors
/// [`Error::ShapeMismatch`] for slices of different lengths; [`Error::EmptyData`] for an
/// empty arm; [`Error::InvalidParameter`] (`clusters`) when an arm has fewer than 2 clusters.
pub fn cluster_randomised<C: Hash + Eq>(
    churned: &[bool],
    treated: &[bool],
    clusters: &[C],
    confidence: f64,
) -> Result<ClusterTest> {
    let _ = check_confidence(confidence)?;
    ensure!(
        clusters.len() == churned.len(),
        Error::ShapeMismatch { what: "clusters vs outcomes", expected: churned.len(), found: clusters.len() }
    );
    let (control, treatment) = arm_counts(churned, treated)?;
    control.check("control")?;
    treatment.check("treatment")?;
    let n = churned.len();
    let (p1, p0) = (treatment.rate(), control.rate());
    let difference = p1 - p0;
    // Design X = [1, t]; (X'X)⁻¹ for a binary regressor in closed form.
    let (nf, n1) = (n as f64, treatment.n as f64);
    let det = nf * n1 - n1 * n1;
    let inv = [[n1 / det, -n1 / det], [-n1 / det, nf / det]];
    // Meat: Σ_g (Σ_i x_i u_i)(Σ_i x_i u_i)' with residual u_i = y_i − fitted arm mean.
    let mut sums: HashMap<&C, ([f64; 2], bool, bool)> = HashMap::new();
    let mut rss = 0.0;
    for ((&y, &t), g) in churned.iter().zip(treated).zip(clusters) {
        let u = f64::from(u8::from(y)) - if t { p1 } else { p0 };
        rss += u * u;
        let e = sums.entry(g).or_insert(([0.0; 2], false, false));
        e.0[0] += u;
        if t {
            e.0[1] += u;
            e.1 = true;
        } else {
            e.2 = true;
        }
    }
    let g = sums.len();
    let treated_clusters = sums.values().filter(|s| s.1).count();
    let control_clusters = sums.values().filter(|s| s.2).count();
    ensure!(
        treated_clusters >= 2 && control_clusters >= 2,
        Error::param("clusters", g, "each arm needs at least 2 clusters for a cluster-robust variance")
    );
    let mut meat = [[0.0; 2]; 2];
    for (s, _, _) in sums.values() {
        for i in 0..2 {
            for j in 0..2 {
                meat[i][j] += s[i] * s[j];
            }
        }
    }
    // Var(slope) = [(X'X)⁻¹ M (X'X)⁻¹]₁₁.
    let row = [inv[1][0], inv[1][1]];
    let mut v = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            v += row[i] * meat[i][j] * row[j];
        }
    }
    let gf = g as f64;
    let correction = gf / (gf - 1.0) * (nf - 1.0) / (nf - 2.0);
    let se = (v * correction).sqrt();
    let se_naive = (rss / (nf - 2.0) * inv[1][1]).sqrt();
    let dist = StudentsT::new(0.0, 1.0, gf - 1.0)
        .map_err(|e| Error::FitFailed { model: "students_t", message: e.to_string() })?;
    let t_crit = dist.inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    let t = difference / se;
    let p_value = 2.0 * (1.0 - dist.cdf(t.abs()));
    Ok(ClusterTest {
        confidence,
        difference,
        se,
        se_naive,
        ci: (difference - t_crit * se, difference + t_crit * se),
        t,
        p_value,
        n_clusters: g,
        n,
        design_effect: (se / se_naive).powi(2),
    })
}

/// Cohen's effect size h between two proportions: 2·asin√p₁ − 2·asin√p₂ (Cohen 1988, §6.2).
fn cohens_h(p1: f64, p2: f64) -> f64 {
    2.0 * p1.sqrt().asin() - 2.0 * p2.sqrt().asin()
}

fn check_rates(baseline: f64, relative_reduction: f64, alpha: f64) -> Result<f64> {
    ensure!(baseline > 0.0 && baseline < 1.0, Error::param("baseline", baseline, "must lie strictly between 0 and 1"));
    ensure!(
        relative_reduction > 0.0 && relative_reduction < 1.0,
        Error::param("relative_reduction", relative_reduction, "must lie strictly between 0 and 1")
    );
    ensure!(alpha > 0.0 && alpha < 1.0, Error::param("alpha", alpha, "must lie strictly between 0 and 1"));
    Ok(cohens_h(baseline, baseline * (1.0 - relative_reduction)).abs())
}

/// Power of a two-sided test at level `alpha` with `n_per_arm` customers in each arm to
/// detect a churn reduction from `baseline` to `baseline·(1 − relative_reduction)`.
///
/// Normal approximation on Cohen's h, counting both rejection tails, exactly as
/// statsmodels' `NormalIndPower().power(h, n, alpha, ratio=1)`.
///
/// # Errors
/// [`Error::InvalidParameter`] for rates or `alpha` outside (0, 1) or `n_per_arm == 0`.
pub fn power(baseline: f64, relative_reduction: f64, n_per_arm: u64, alpha: f64) -> Result<f64> {
    let h = check_rates(baseline, relative_reduction, alpha)?;
    ensure!(n_per_arm > 0, Error::param("n_per_arm", n_per_arm, "must be positive"));
    Ok(power_h(h, n_per_arm as f64, alpha))
}

fn power_h(h: f64, n: f64, alpha: f64) -> f64 {
    let crit = normal_quantile(1.0 - alpha / 2.0);
    let shift = h * (n / 2.0).sqrt();
    normal_sf(crit - shift) + std_normal().cdf(-crit - shift)
}

/// Customers needed in each arm for `target_power` (e.g. 0.8) to detect the reduction,
/// rounded up (statsmodels' `NormalIndPower().solve_power`, then `ceil`).
///
/// ```
/// use churnguard::eval::ab::required_sample_size;
/// // 30% churn, hoping for a 20% relative cut (to 24%), α = 0.05, power 0.8.
/// let n = required_sample_size(0.30, 0.20, 0.05, 0.80)?;
/// assert!(n > 800 && n < 900);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for rates, `alpha` or `target_power` outside (0, 1).
pub fn required_sample_size(baseline: f64, relative_reduction: f64, alpha: f64, target_power: f64) -> Result<u64> {
    let h = check_rates(baseline, relative_reduction, alpha)?;
    ensure!(
        target_power > alpha && target_power < 1.0,
        Error::param("target_power", target_power, "must lie between alpha and 1")
    );
    let (mut lo, mut hi) = (1e-6, 1.0);
    while power_h(h, hi, alpha) < target_power {
        hi *= 2.0;
        ensure!(hi < 1e15, Error::param("relative_reduction", relative_reduction, "effect too small to detect"));
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if power_h(h, mid, alpha) < target_power { lo = mid } else { hi = mid }
    }
    Ok(hi.ceil() as u64)
}

/// The smallest relative churn reduction a test with `n_per_arm` customers per arm
/// detects with `target_power` at level `alpha`, from a `baseline` churn rate.
///
/// # Errors
/// [`Error::InvalidParameter`] for bad rates/levels, `n_per_arm == 0`, or when even a
/// 100% reduction is not detectable with that many customers.
pub fn minimum_detectable_reduction(baseline: f64, n_per_arm: u64, alpha: f64, target_power: f64) -> Result<f64> {
    let _ = check_rates(baseline, 0.5, alpha)?;
    ensure!(n_per_arm > 0, Error::param("n_per_arm", n_per_arm, "must be positive"));
    ensure!(
        target_power > alpha && target_power < 1.0,
        Error::param("target_power", target_power, "must lie between alpha and 1")
    );
    let n = n_per_arm as f64;
    let at = |r: f64| power_h(cohens_h(baseline, baseline * (1.0 - r)).abs(), n, alpha);
    ensure!(
        at(1.0 - 1e-12) >= target_power,
        Error::param("n_per_arm", n_per_arm, "too few customers to detect even a 100% churn reduction")
    );
    let (mut lo, mut hi) = (0.0, 1.0 - 1e-12);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if at(mid) < target_power { lo = mid } else { hi = mid }
    }
    Ok(hi)
}

/// One stratum's result in a [`StratifiedTest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratumResult {
    /// Stratum label (risk tier, segment).
    pub stratum: String,
    /// The comparison within the stratum.
    pub test: ProportionTest,
}

/// Per-stratum effects and the Cochran–Mantel–Haenszel pooled estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratifiedTest {
    /// One result per stratum, in the order given.
    pub strata: Vec<StratumResult>,
    /// Mantel–Haenszel pooled odds ratio of churn, treatment vs control (Mantel & Haenszel 1959).
    pub pooled_odds_ratio: f64,
    /// Its interval by the Robins–Breslow–Greenland variance (1986).
    pub pooled_odds_ratio_ci: (f64, f64),
    /// Mantel–Haenszel pooled risk ratio (treatment / control).
    pub pooled_risk_ratio: f64,
    /// CMH chi-square statistic (no continuity correction), 1 degree of freedom.
    pub cmh_chi2: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// Analyse a test within strata (risk tiers, segments) and pool them by
/// Cochran–Mantel–Haenszel. Strata where either arm is empty are refused.
///
/// Matches statsmodels' `StratifiedTable` (`oddsratio_pooled`, `oddsratio_pooled_confint`,
/// `riskratio_pooled`, `test_null_odds(correction=False)`).
///
/// # Errors
/// [`Error::EmptyData`] without strata, and those of [`compare_proportions`] per stratum.
pub fn stratified(strata: &[(String, ArmCounts, ArmCounts)], confidence: f64) -> Result<StratifiedTest> {
    ensure!(!strata.is_empty(), Error::EmptyData { context: "stratified A/B test: no strata".into() });
    let z_crit = check_confidence(confidence)?;
    let mut results = Vec::with_capacity(strata.len());
    let (mut r_sum, mut s_sum, mut rr_num, mut rr_den) = (0.0, 0.0, 0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    let (mut a_sum, mut e_sum, mut var_sum) = (0.0, 0.0, 0.0);
    for (name, control, treatment) in strata {
        let test = compare_proportions(*control, *treatment, confidence)?;
        // Table [[a, b], [c, d]]: rows treatment / control, columns churned / retained.
        let (a, b) = (treatment.churned as f64, (treatment.n - treatment.churned) as f64);
        let (c, d) = (control.churned as f64, (control.n - control.churned) as f64);
        let n = a + b + c + d;
        let (r, s) = (a * d / n, b * c / n);
        r_sum += r;
        s_sum += s;
        let (p, q) = ((a + d) / n, (b + c) / n);
        pr += p * r;
        ps_qr += p * s + q * r;
        qs += q * s;
        rr_num += a * (c + d) / n;
        rr_den += c * (a + b) / n;
        let (row1, col1) = (a + b, a + c);
        a_sum += a;
        e_sum += row1 * col1 / n;
        var_sum += row1 * (c + d) * col1 * (b + d) / (n * n * (n - 1.0));
        results.push(StratumResult { stratum: name.clone(), test });
    }
    ensure!(
        r_sum > 0.0 && s_sum > 0.0 && var_sum > 0.0,
        Error::param("strata", strata.len(), "the pooled odds ratio is undefined (no discordant cells)")
    );
    let or = r_sum / s_sum;
    let var_log = pr / (2.0 * r_sum * r_sum) + ps_qr / (2.0 * r_sum * s_sum) + qs / (2.0 * s_sum * s_sum);
    let se = var_log.sqrt();
    let cmh_chi2 = (a_sum - e_sum).powi(2) / var_sum;
    let chi1 = ChiSquared::new(1.0).map_err(|e| Error::FitFailed { model: "chi_square", message: e.to_string() })?;
    Ok(StratifiedTest {
        strata: results,
        pooled_odds_ratio: or,
        pooled_odds_ratio_ci: ((or.ln() - z_crit * se).exp(), (or.ln() + z_crit * se).exp()),
        pooled_risk_ratio: rr_num / rr_den,
        cmh_chi2,
        p_value: 1.0 - chi1.cdf(cmh_chi2),
    })
}

/// A group-sequential plan: `K` planned looks at given information fractions with
/// O'Brien–Fleming-type boundaries from the Lan–DeMets spending function
/// α(t) = 2 − 2Φ(z₁₋α/₂ / √t) (Lan & DeMets 1983), two-sided.
///
/// Looking at a running test and stopping at the first p < 0.05 inflates false
/// positives well beyond 5%; a plan spends α across the looks instead.
///
/// ```
/// use churnguard::eval::ab::SequentialPlan;
/// let plan = SequentialPlan::equally_spaced(5, 0.05)?;
/// let b = plan.boundaries();
/// // First look at t = 0.2: 1.96/√0.2 = 4.383; final look 2.064 (checked with scipy, bench/ab_reference.py).
/// assert!((b[0] - 4.3826).abs() < 1e-3 && (b[4] - 2.0635).abs() < 1e-3);
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequentialPlan {
    alpha: f64,
    fractions: Vec<f64>,
    boundaries: Vec<f64>,
}

/// What an interim look at a sequential test says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookDecision {
    /// |z| crossed the boundary: stop, the effect is significant at the plan's α.
    StopEffect,
    /// Keep collecting data.
    Continue,
    /// The final look did not cross: no significant effect.
    NoEffect,
    /// More looks than planned: the plan's error guarantee no longer holds.
    Unplanned,
}

impl SequentialPlan {
    /// `k` equally spaced looks (information fractions 1/k, 2/k, …, 1).
    ///
    /// # Errors
    /// See [`new`](Self::new).
    pub fn equally_spaced(k: usize, alpha: f64) -> Result<Self> {
        ensure!(k > 0, Error::param("looks", k, "need at least one look"));
        Self::new((1..=k).map(|i| i as f64 / k as f64).collect(), alpha)
    }

    /// Looks at the given increasing information fractions, the last being 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `alpha` outside (0, 1), no looks, fractions not
    /// increasing in (0, 1], or a last fraction other than 1.
    pub fn new(fractions: Vec<f64>, alpha: f64) -> Result<Self> {
        ensure!(alpha > 0.0 && alpha < 1.0, Error::param("alpha", alpha, "must lie strictly between 0 and 1"));
        ensure!(!fractions.is_empty(), Error::param("looks", 0, "need at least one look"));
        ensure!(
            fractions.windows(2).all(|w| w[0] < w[1]) && fractions.iter().all(|&t| t > 0.0 && t <= 1.0),
            Error::param("fractions", format!("{fractions:?}"), "must increase within (0, 1]")
        );
        ensure!(
            fractions.last().is_some_and(|&t| (t - 1.0).abs() < 1e-12),
            Error::param("fractions", format!("{fractions:?}"), "the last look must be at information fraction 1")
        );
        let boundaries = obf_boundaries(&fractions, alpha);
        Ok(SequentialPlan { alpha, fractions, boundaries })
    }

    /// The two-sided |z| boundary of each look.
    pub fn boundaries(&self) -> &[f64] {
        &self.boundaries
    }

    /// Cumulative α spent by each look.
    pub fn alpha_spent(&self) -> Vec<f64> {
        self.fractions.iter().map(|&t| obf_spend(t, self.alpha)).collect()
    }

    /// The decision at look `look` (0-based) with test statistic `z`.
    pub fn decide(&self, look: usize, z: f64) -> LookDecision {
        match self.boundaries.get(look) {
            None => LookDecision::Unplanned,
            Some(&b) if z.abs() >= b => LookDecision::StopEffect,
            Some(_) if look + 1 == self.boundaries.len() => LookDecision::NoEffect,
            Some(_) => LookDecision::Continue,
        }
    }
}

/// Lan–DeMets O'Brien–Fleming-type spending: α(t) = 2 − 2Φ(z₁₋α/₂ / √t).
fn obf_spend(t: f64, alpha: f64) -> f64 {
    2.0 * normal_sf(normal_quantile(1.0 - alpha / 2.0) / t.sqrt())
}

/// Boundaries by the Armitage–McPherson–Rowe recursion (Jennison & Turnbull 2000, ch. 19):
/// the density of the score statistic S_k = Z_k·√t_k on the continuation region is
/// carried from look to look on a grid and integrated with the trapezoid rule; each
/// boundary is found by bisection so that the probability of first crossing at look k
/// equals α(t_k) − α(t_{k−1}).
fn obf_boundaries(fractions: &[f64], alpha: f64) -> Vec<f64> {
    const GRID: usize = 2001;
    let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut out = Vec::with_capacity(fractions.len());
    // Sub-density of S on the previous continuation region: (grid points, density values).
    let mut prev: Option<(Vec<f64>, Vec<f64>)> = None;
    let mut t_prev = 0.0;
    let mut spent_prev = 0.0;
    for &t in fractions {
        let target = obf_spend(t, alpha) - spent_prev;
        let dt = t - t_prev;
        let sd = dt.sqrt();
        // P(|S_t| ≥ c√t and no earlier crossing) for a candidate boundary c.
        let cross = |c: f64| -> f64 {
            let b = c * t.sqrt();
            match &prev {
                None => 2.0 * normal_sf(b / sd),
                Some((xs, fs)) => {
                    let h = xs[1] - xs[0];
                    xs.iter()
                        .zip(fs)
                        .enumerate()
                        .map(|(i, (&x, &f))| {
                            let w = if i == 0 || i == xs.len() - 1 { 0.5 } else { 1.0 };
                            w * h * f * (normal_sf((b - x) / sd) + normal_sf((b + x) / sd))
                        })
                        .sum()
                }
            }
        };
        let c = if target <= 0.0 {
            f64::INFINITY
        } else {
            let (mut lo, mut hi) = (0.0, 40.0);
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if cross(mid) > target { lo = mid } else { hi = mid }
            }
            0.5 * (lo + hi)
        };
        out.push(c);
        // Carry the density to the new continuation region |S_t| < c√t.
        let b = if c.is_finite() { c * t.sqrt() } else { 10.0 * t.sqrt() };
        let xs: Vec<f64> = (0..GRID).map(|i| -b + 2.0 * b * i as f64 / (GRID - 1) as f64).collect();
        let fs: Vec<f64> = xs
            .iter()
            .map(|&y| match &prev {
                None => phi(y / sd) / sd,
                Some((px, pf)) => {
                    let h = px[1] - px[0];
                    px.iter()
                        .zip(pf)
                        .enumerate()
                        .map(|(i, (&x, &f))| {
                            let w = if i == 0 || i == px.len() - 1 { 0.5 } else { 1.0 };
                            w * h * f * phi((y - x) / sd) / sd
                        })
                        .sum()
                }
            })
            .collect();
        prev = Some((xs, fs));
        t_prev = t;
        spent_prev = obf_spend(t, alpha);
    }
    out
}

/// One arm of an [`Assigner`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// Arm name (e.g. "control", "coupon").
    pub name: String,
    /// Relative share of customers (> 0).
    pub weight: f64,
}

/// Deterministic, seeded assignment of customers to arms.
///
/// A customer's arm depends only on the seed, the stratum and the customer id (FNV-1a
/// 64-bit hash, a fixed public algorithm, so every service and every release assigns
/// the same way), so a host can assign on the fly without storing a table and a
/// customer never switches arms. Within each stratum (risk tier) arms receive their
/// weight's share in expectation.
///
/// ```
/// use churnguard::eval::ab::Assigner;
/// let assigner = Assigner::two_arms(42, 0.5)?;
/// let arm = assigner.assign("customer-17", "high");
/// assert_eq!(arm, assigner.assign("customer-17", "high")); // stable
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assigner {
    seed: u64,
    arms: Vec<Arm>,
    cumulative: Vec<f64>,
}

impl Assigner {
    /// Arms with weights.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than two arms or a weight that is not positive.
    pub fn new(seed: u64, arms: Vec<Arm>) -> Result<Self> {
        ensure!(arms.len() >= 2, Error::param("arms", arms.len(), "need at least two arms"));
        for a in &arms {
            ensure!(
                a.weight.is_finite() && a.weight > 0.0,
                Error::param("weight", a.weight, "arm weights must be positive")
            );
        }
        let total: f64 = arms.iter().map(|a| a.weight).sum();
        let mut acc = 0.0;
        let cumulative = arms
            .iter()
            .map(|a| {
                acc += a.weight / total;
                acc
            })
            .collect();
        Ok(Assigner { seed, arms, cumulative })
    }

    /// "control" and "treatment", with `treated_share` of customers treated.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless 0 < `treated_share` < 1.
    pub fn two_arms(seed: u64, treated_share: f64) -> Result<Self> {
        ensure!(
            treated_share > 0.0 && treated_share < 1.0,
            Error::param("treated_share", treated_share, "must lie strictly between 0 and 1")
        );
        Self::new(
            seed,
            vec![
                Arm { name: "control".into(), weight: 1.0 - treated_share },
                Arm { name: "treatment".into(), weight: treated_share },
            ],
        )
    }

    /// The arms.
    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// The name of the arm of `customer` in `stratum`.
    pub fn assign(&self, customer: &str, stratum: &str) -> &str {
        let i = self.assign_index(customer, stratum);
        self.arms.get(i).map_or("", |a| a.name.as_str())
    }

    /// The index (into [`arms`](Self::arms)) of the arm of `customer` in `stratum`.
    pub fn assign_index(&self, customer: &str, stratum: &str) -> usize {
        let mut h = Fnv::new();
        h.write(&self.seed.to_le_bytes());
        h.write(stratum.as_bytes());
        h.write(&[0xff]);
        h.write(customer.as_bytes());
        // A final avalanche (splitmix64) so nearby ids spread over the unit interval.
        let u = (splitmix64(h.0) >> 11) as f64 / (1u64 << 53) as f64;
        self.cumulative.iter().position(|&c| u < c).unwrap_or(self.arms.len() - 1)
    }
}

/// FNV-1a, 64 bit (Fowler–Noll–Vo; public-domain constants).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// splitmix64 finaliser (Steele, Lea & Flood 2014).
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn wilson_interval_matches_newcombe_table() {
        // Newcombe (1998) Table I, example 81/263: Wilson 0.2553 to 0.3662.
        let (lo, hi) = wilson(81, 263, normal_quantile(0.975));
        assert_abs_diff_eq!(lo, 0.2553, epsilon = 1e-4);
        assert_abs_diff_eq!(hi, 0.3662, epsilon = 1e-4);
    }

    #[test]
    fn newcombe_difference_matches_the_paper() {
        // Newcombe (1998) Table II, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
        let t = compare_proportions(ArmCounts::new(80, 48), ArmCounts::new(70, 56), 0.95).unwrap();
        assert_abs_diff_eq!(t.difference_ci.0, 0.0524, epsilon = 1e-4);
        assert_abs_diff_eq!(t.difference_ci.1, 0.3339, epsilon = 1e-4);
    }

    #[test]
    fn fisher_matches_the_tea_tasting_table() {
        // Fisher's lady tasting tea: [[3, 1], [1, 3]] → two-sided p = 34/70 = 0.4857.
        assert_abs_diff_eq!(fisher_two_sided(3, 4, 4, 8), 34.0 / 70.0, epsilon = 1e-12);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let ok = ArmCounts::new(10, 2);
        assert!(matches!(compare_proportions(ArmCounts::new(0, 0), ok, 0.95), Err(Error::EmptyData { .. })));
        assert!(matches!(
            compare_proportions(ArmCounts::new(10, 0), ArmCounts::new(10, 0), 0.95),
            Err(Error::InvalidParameter { name: "churned", .. })
        ));
        assert!(matches!(
            compare_proportions(ArmCounts::new(10, 11), ok, 0.95),
            Err(Error::InvalidParameter { name: "churned", .. })
        ));
        assert!(matches!(compare_proportions(ok, ok, 1.0), Err(Error::InvalidParameter { name: "confidence", .. })));
        assert!(matches!(compare_outcomes(&[true], &[true, false], 0.95), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(parse_treatment_flag("2"), Err(Error::InvalidParameter { name: "treatment", .. })));
        assert!(parse_treatment_flag(" Treatment ").unwrap());
        assert!(matches!(power(0.3, 0.2, 0, 0.05), Err(Error::InvalidParameter { name: "n_per_arm", .. })));
        assert!(matches!(
            required_sample_size(1.2, 0.2, 0.05, 0.8),
            Err(Error::InvalidParameter { name: "baseline", .. })
        ));
        assert!(matches!(SequentialPlan::new(vec![0.5, 0.9], 0.05), Err(Error::InvalidParameter { .. })));
        assert!(matches!(Assigner::two_arms(1, 1.0), Err(Error::InvalidParameter { .. })));
        // One cluster per arm cannot give a cluster-robust variance.
        assert!(matches!(
            cluster_randomised(&[true, false, true, false], &[true, true, false, false], &[1, 1, 2, 2], 0.95),
            Err(Error::InvalidParameter { name: "clusters", .. })
        ));
    }

    #[test]
    fn small_cells_switch_to_fisher() {
        let t = compare_proportions(ArmCounts::new(12, 5), ArmCounts::new(12, 1), 0.95).unwrap();
        assert!(t.small_sample);
        assert_eq!(t.p_value, t.p_value_fisher);
        let big = compare_proportions(ArmCounts::new(2000, 602), ArmCounts::new(2000, 480), 0.95).unwrap();
        assert!(!big.small_sample);
        assert_eq!(big.p_value, big.p_value_z);
    }

    #[test]
    fn sample_size_and_power_agree() {
        let n = required_sample_size(0.30, 0.20, 0.05, 0.80).unwrap();
        assert!(power(0.30, 0.20, n, 0.05).unwrap() >= 0.80);
        assert!(power(0.30, 0.20, n - 1, 0.05).unwrap() < 0.80);
        let mde = minimum_detectable_reduction(0.30, n, 0.05, 0.80).unwrap();
        assert!(mde <= 0.20 && mde > 0.19, "{mde}");
    }

    #[test]
    fn assignment_is_stable_balanced_and_seed_dependent() {
        let a = Assigner::two_arms(7, 0.5).unwrap();
        let b = Assigner::two_arms(8, 0.5).unwrap();
        let ids: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
        let treated = ids.iter().filter(|id| a.assign(id, "high") == "treatment").count();
        // Binomial(20000, ½): sd ≈ 71; 4 sd tolerance.
        assert!((treated as f64 - 10_000.0).abs() < 284.0, "{treated}");
        let differ = ids.iter().filter(|id| a.assign(id, "high") != b.assign(id, "high")).count();
        assert!(differ > 9_000 && differ < 11_000, "{differ}");
        assert!(ids.iter().all(|id| a.assign(id, "high") == a.assign(id, "high")));
        // Different strata are independent draws.
        let switch = ids.iter().filter(|id| a.assign(id, "high") != a.assign(id, "low")).count();
        assert!(switch > 9_000 && switch < 11_000, "{switch}");
    }
}
