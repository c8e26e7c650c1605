//! Two-proportion comparison of churn between a control and a treatment arm.

use std::fmt;

use serde::{Deserialize, Serialize};
use statrs::function::factorial::ln_binomial;

use crate::error::{Error, Result, ensure};
use crate::stats::{chi2_1_sf, normal_critical, two_sided_normal_p};

/// Customers and events (churners) in one arm of an experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    /// Customers in the arm.
    pub n: u64,
    /// Customers in the arm with the event (churned).
    pub events: u64,
}

impl ArmCounts {
    /// Counts for an arm of `n` customers of whom `events` churned.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (name `"events"`) if `events > n`.
    pub fn new(n: u64, events: u64) -> Result<Self> {
        ensure!(events <= n, Error::param("events", events, "more events than customers in the arm"));
        Ok(ArmCounts { n, events })
    }

    /// Counts the `true` outcomes of one arm.
    pub fn from_outcomes(outcomes: &[bool]) -> Self {
        ArmCounts { n: outcomes.len() as u64, events: outcomes.iter().filter(|&&o| o).count() as u64 }
    }

    /// Event rate `events / n` (NaN for an empty arm).
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.n as f64
    }

    /// Customers without the event.
    pub fn non_events(&self) -> u64 {
        self.n.saturating_sub(self.events)
    }

    /// Checks the counts of a named arm: non-empty, `events ≤ n`.
    pub(crate) fn check(&self, arm: &str) -> Result<()> {
        ensure!(self.n > 0, Error::EmptyArm { arm: arm.to_string() });
        ensure!(self.events <= self.n, Error::param("events", self.events, "more events than customers in the arm"));
        Ok(())
    }
}

/// A two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    /// Whether `value` lies inside the closed interval.
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

/// Which test the [`ProportionComparison::p_value`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestUsed {
    /// Pooled two-proportion z-test (normal approximation; every expected cell count ≥ 5).
    ZTest,
    /// Fisher's exact test, chosen because some expected cell count is below 5.
    FisherExact,
}

/// Churn in a control and a treatment arm compared: rates, absolute and relative
/// effect with confidence intervals, and significance tests.
///
/// Differences and ratios are treatment relative to control, so a campaign that
/// cuts churn has a negative [`difference`](Self::difference), a
/// [`risk_ratio`](Self::risk_ratio) below 1 and a positive
/// [`relative_reduction`](Self::relative_reduction).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProportionComparison {
    /// Control counts.
    pub control: ArmCounts,
    /// Treatment counts.
    pub treatment: ArmCounts,
    /// Confidence level of every interval (e.g. 0.95).
    pub level: f64,
    /// Churn rate of the control arm.
    pub control_rate: f64,
    /// Churn rate of the treatment arm.
    pub treatment_rate: f64,
    /// Wilson score interval of the control rate.
    pub control_ci: Interval,
    /// Wilson score interval of the treatment rate.
    pub treatment_ci: Interval,
    /// Risk difference `treatment_rate − control_rate`.
    pub difference: f64,
    /// Newcombe hybrid score interval of the difference (Newcombe 1998, method 10).
    pub difference_ci: Interval,
    /// Risk ratio `treatment_rate / control_rate` (∞ when the control arm has no events).
    pub risk_ratio: f64,
    /// Katz log interval of the risk ratio; when either arm has zero events, 0.5 is
    /// added to its events and customers first (statsmodels' `log-adjusted`).
    pub risk_ratio_ci: Interval,
    /// Whether [`risk_ratio_ci`](Self::risk_ratio_ci) needed the 0.5 zero-cell adjustment.
    pub risk_ratio_adjusted: bool,
    /// Relative churn reduction `1 − risk_ratio` (0.2 = churn cut by 20 %).
    pub relative_reduction: f64,
    /// Interval of the relative reduction, `1 −` the risk-ratio interval.
    pub relative_reduction_ci: Interval,
    /// Pooled two-proportion z statistic (negative when treatment churns less).
    pub z: f64,
    /// Two-sided p-value of the z-test.
    pub z_p_value: f64,
    /// Pearson chi-square statistic of the 2×2 table (equals `z²`).
    pub chi_square: f64,
    /// p-value of the chi-square test (1 degree of freedom); equals `z_p_value`.
    pub chi_square_p_value: f64,
    /// Chi-square statistic with Yates' continuity correction (as scipy's `chi2_contingency`).
    pub chi_square_yates: f64,
    /// p-value of the Yates-corrected chi-square test.
    pub chi_square_yates_p_value: f64,
    /// Two-sided p-value of Fisher's exact test (sum of the probabilities of all
    /// tables no more likely than the observed one, as `scipy.stats.fisher_exact`).
    pub fisher_p_value: f64,
    /// Smallest expected cell count of the 2×2 table under no effect.
    pub min_expected_count: f64,
    /// True when `min_expected_count < 5`: the normal approximation is unreliable and
    /// [`p_value`](Self::p_value) is Fisher's.
    pub small_sample: bool,
    /// The recommended p-value: Fisher's when `small_sample`, otherwise the z-test's.
    pub p_value: f64,
    /// Which test [`p_value`](Self::p_value) comes from.
    pub test_used: TestUsed,
}

/// Compares churn between a control and a treatment arm given their counts.
///
/// `level` is the confidence level of the intervals (0.95 for 95 %).
///
/// ```
/// use churnguard::eval::ab::{ArmCounts, compare};
///
/// // 2,000 high-risk customers per arm; 602 churned without the coupon, 480 with it.
/// let control = ArmCounts::new(2000, 602)?;
/// let treatment = ArmCounts::new(2000, 480)?;
/// let result = compare(control, treatment, 0.95)?;
/// assert!((result.relative_reduction - 0.2027).abs() < 1e-4);
/// assert!(result.relative_reduction_ci.lower > 0.0); // the reduction is significant
/// println!("{result}"); // churn 30.1% → 24.0%, −20.3% relative (95% CI …), p = …
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyArm`] if an arm has no customers; [`Error::InvalidParameter`] if
/// `events > n` in an arm or `level` is not in (0, 1); [`Error::NoOutcomeVariation`]
/// if nobody churned in either arm, or everybody did.
pub fn compare(control: ArmCounts, treatment: ArmCounts, level: f64) -> Result<ProportionComparison> {
    control.check("control")?;
    treatment.check("treatment")?;
    let z_crit = normal_critical(level)?;
    let events = control.events + treatment.events;
    let n = control.n + treatment.n;
    ensure!(events > 0 && events < n, Error::NoOutcomeVariation { events, n });

    let (pc, pt) = (control.rate(), treatment.rate());
    let control_ci = wilson(control, z_crit);
    let treatment_ci = wilson(treatment, z_crit);
    let difference = pt - pc;
    // Newcombe (1998), Stat Med 17:873, method 10: combine the Wilson limits of each arm.
    let difference_ci = Interval {
        lower: difference - ((pt - treatment_ci.lower).powi(2) + (control_ci.upper - pc).powi(2)).sqrt(),
        upper: difference + ((treatment_ci.upper - pt).powi(2) + (pc - control_ci.lower).powi(2)).sqrt(),
    };

    let risk_ratio = pt / pc;
    let (risk_ratio_ci, risk_ratio_adjusted) = katz_log_interval(control, treatment, z_crit);
    let relative_reduction = 1.0 - risk_ratio;
    let relative_reduction_ci = Interval { lower: 1.0 - risk_ratio_ci.upper, upper: 1.0 - risk_ratio_ci.lower };

    // Pooled two-proportion z-test (e.g. Agresti, Categorical Data Analysis, 3rd ed., §2.1.2).
    let pooled = events as f64 / n as f64;
    let se0 = (pooled * (1.0 - pooled) * (1.0 / treatment.n as f64 + 1.0 / control.n as f64)).sqrt();
    let z = difference / se0;
    let z_p_value = two_sided_normal_p(z);

    let table = Table::new(control, treatment);
    let chi_square = table.pearson(false);
    let chi_square_yates = table.pearson(true);
    let min_expected_count = table.min_expected();
    let fisher_p_value = fisher_exact(control, treatment);
    let small_sample = min_expected_count < 5.0;
    let (p_value, test_used) =
        if small_sample { (fisher_p_value, TestUsed::FisherExact) } else { (z_p_value, TestUsed::ZTest) };

    Ok(ProportionComparison {
        control,
        treatment,
        level,
        control_rate: pc,
        treatment_rate: pt,
        control_ci,
        treatment_ci,
        difference,
        difference_ci,
        risk_ratio,
        risk_ratio_ci,
        risk_ratio_adjusted,
        relative_reduction,
        relative_reduction_ci,
        z,
        z_p_value,
        chi_square,
        chi_square_p_value: chi2_1_sf(chi_square),
        chi_square_yates,
        chi_square_yates_p_value: chi2_1_sf(chi_square_yates),
        fisher_p_value,
        min_expected_count,
        small_sample,
        p_value,
        test_used,
    })
}

/// Compares churn between arms given one outcome and one treatment flag per customer.
///
/// ```
/// use churnguard::eval::ab::compare_outcomes;
///
/// let churned = [true, false, false, true, false, false, false, true, true, true];
/// let treated = [true, true, true, true, true, false, false, false, false, false];
/// let result = compare_outcomes(&churned, &treated, 0.95)?;
/// assert_eq!(result.treatment.events, 2);
/// assert_eq!(result.control.events, 3);
/// assert!(result.small_sample); // 10 customers: the p-value is Fisher's
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] if the slices differ in length, [`Error::EmptyData`] if
/// they are empty, and everything [`compare`] returns.
pub fn compare_outcomes(churned: &[bool], treated: &[bool], level: f64) -> Result<ProportionComparison> {
    let (control, treatment) = split_arms(churned, treated)?;
    compare(control, treatment, level)
}

/// Splits per-customer outcomes into (control, treatment) counts.
pub(crate) fn split_arms(churned: &[bool], treated: &[bool]) -> Result<(ArmCounts, ArmCounts)> {
    ensure!(
        churned.len() == treated.len(),
        Error::ShapeMismatch { what: "treatment flags vs outcomes", expected: churned.len(), found: treated.len() }
    );
    ensure!(!churned.is_empty(), Error::EmptyData { context: "A/B comparison: no customers".into() });
    let mut control = ArmCounts { n: 0, events: 0 };
    let mut treatment = ArmCounts { n: 0, events: 0 };
    for (&y, &t) in churned.iter().zip(treated) {
        let arm = if t { &mut treatment } else { &mut control };
        arm.n += 1;
        arm.events += u64::from(y);
    }
    Ok((control, treatment))
}

/// Wilson score interval for one proportion (Wilson 1927, JASA 22:209).
pub(crate) fn wilson(arm: ArmCounts, z: f64) -> Interval {
    let n = arm.n as f64;
    let p = arm.rate();
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // The limits are exactly 0 at x = 0 and 1 at x = n; rounding would leave ±1e-17.
    let lower = if arm.events == 0 { 0.0 } else { (centre - half).max(0.0) };
    let upper = if arm.events == arm.n { 1.0 } else { (centre + half).min(1.0) };
    Interval { lower, upper }
}

/// Katz log interval for the risk ratio treatment/control, with the 0.5 adjustment
/// of statsmodels' `log-adjusted` method when an arm has zero events.
fn katz_log_interval(control: ArmCounts, treatment: ArmCounts, z: f64) -> (Interval, bool) {
    let adjusted = control.events == 0 || treatment.events == 0;
    let add = if adjusted { 0.5 } else { 0.0 };
    let (xt, nt) = (treatment.events as f64 + add, treatment.n as f64 + add);
    let (xc, nc) = (control.events as f64 + add, control.n as f64 + add);
    // Katz et al. (1978), Biometrics 34:469: Var(log RR) = 1/x_t − 1/n_t + 1/x_c − 1/n_c.
    let se = (1.0 / xt - 1.0 / nt + 1.0 / xc - 1.0 / nc).max(0.0).sqrt();
    let log_rr = (xt / nt).ln() - (xc / nc).ln();
    (Interval { lower: (log_rr - z * se).exp(), upper: (log_rr + z * se).exp() }, adjusted)
}

/// The 2×2 table: rows treatment/control, columns events/non-events.
struct Table {
    observed: [[f64; 2]; 2],
    expected: [[f64; 2]; 2],
}

impl Table {
    fn new(control: ArmCounts, treatment: ArmCounts) -> Self {
        let observed = [
            [treatment.events as f64, treatment.non_events() as f64],
            [control.events as f64, control.non_events() as f64],
        ];
        let rows = [treatment.n as f64, control.n as f64];
        let cols = [observed[0][0] + observed[1][0], observed[0][1] + observed[1][1]];
        let total = rows[0] + rows[1];
        let expected = [
            [rows[0] * cols[0] / total, rows[0] * cols[1] / total],
            [rows[1] * cols[0] / total, rows[1] * cols[1] / total],
        ];
        Table { observed, expected }
    }

    /// Pearson's X² = Σ (O − E)²/E; with Yates, each |O − E| shrinks by min(0.5, |O − E|)
    /// (Yates 1934; the form of scipy.stats.chi2_contingency).
    fn pearson(&self, yates: bool) -> f64 {
        let mut x2 = 0.0;
        for (obs_row, exp_row) in self.observed.iter().zip(&self.expected) {
            for (&o, &e) in obs_row.iter().zip(exp_row) {
                let mut dev = (o - e).abs();
                if yates {
                    dev -= dev.min(0.5);
                }
                x2 += dev * dev / e;
            }
        }
        x2
    }

    fn min_expected(&self) -> f64 {
        self.expected.iter().flatten().copied().fold(f64::INFINITY, f64::min)
    }
}

/// Two-sided Fisher exact p-value of the 2×2 table: the hypergeometric probability of
/// every table with the observed margins that is no more likely than the observed one
/// (Fisher 1935; relative tie tolerance 1e-7 as R's `fisher.test`).
pub(crate) fn fisher_exact(control: ArmCounts, treatment: ArmCounts) -> f64 {
    let (nt, nc) = (treatment.n, control.n);
    let m = treatment.events + control.events;
    let total = nt + nc;
    let ln_denominator = ln_binomial(total, m);
    let ln_pmf = |x: u64| ln_binomial(nt, x) + ln_binomial(nc, m - x) - ln_denominator;
    let lo = m.saturating_sub(nc);
    let hi = nt.min(m);
    let threshold = ln_pmf(treatment.events) + 1e-7_f64.ln_1p();
    let p: f64 = (lo..=hi).map(ln_pmf).filter(|&l| l <= threshold).map(f64::exp).sum();
    p.min(1.0)
}

impl fmt::Display for ProportionComparison {
    /// One line a campaign report can quote, e.g.
    /// `churn 30.1% → 24.0%, −20.3% relative (95% CI −28.0% to −11.6%), p < 0.001 (z-test)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "churn {} → {}, {} relative ({} CI {} to {}), ",
            percent(self.control_rate),
            percent(self.treatment_rate),
            signed_percent(-self.relative_reduction),
            percent_level(self.level),
            signed_percent(-self.relative_reduction_ci.upper),
            signed_percent(-self.relative_reduction_ci.lower),
        )?;
        write_p(f, self.p_value)?;
        match self.test_used {
            TestUsed::ZTest => write!(f, " (z-test)"),
            TestUsed::FisherExact => {
                write!(f, " (Fisher exact: smallest expected count {:.1} < 5)", self.min_expected_count)
            }
        }
    }
}

/// `0.301` → `30.1%`.
pub(crate) fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// `-0.203` → `−20.3%` (typographic minus), `0.05` → `+5.0%`, non-finite → `n/a`.
pub(crate) fn signed_percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let v = 100.0 * x;
    if format!("{:.1}", v.abs()) == "0.0" {
        "0.0%".into()
    } else if v < 0.0 {
        format!("−{:.1}%", -v)
    } else {
        format!("+{v:.1}%")
    }
}

/// `0.95` → `95%`, `0.975` → `97.5%`.
pub(crate) fn percent_level(level: f64) -> String {
    let v = 100.0 * level;
    if (v - v.round()).abs() < 1e-9 { format!("{v:.0}%") } else { format!("{v}%") }
}

/// `p = 0.012`, `p < 0.001`.
pub(crate) fn write_p(f: &mut fmt::Formatter<'_>, p: f64) -> fmt::Result {
    if p < 0.001 { write!(f, "p < 0.001") } else { write!(f, "p = {p:.3}") }
}
