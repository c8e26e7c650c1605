//! The log-rank test: do two or more groups churn at different rates over time?

use std::collections::BTreeMap;
use std::fmt;

use ndarray::{Array1, Array2};

use super::kaplan_meier::check_survival_data;
use crate::error::{Error, Result, ensure};
use crate::linalg::{cholesky, cholesky_solve};
use crate::stats::chi2_sf;

/// Result of a log-rank test across groups.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRankTest<G> {
    /// The groups compared, ascending.
    pub groups: Vec<G>,
    /// Observed events per group.
    pub observed: Vec<f64>,
    /// Expected events per group if all groups shared one hazard.
    pub expected: Vec<f64>,
    /// Chi-square test statistic.
    pub statistic: f64,
    /// Degrees of freedom (groups − 1).
    pub degrees_of_freedom: usize,
    /// `P(χ²_df > statistic)`.
    pub p_value: f64,
}

impl<G: fmt::Display> fmt::Display for LogRankTest<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "log-rank test: χ² = {:.4} on {} df, p = {}",
            self.statistic,
            self.degrees_of_freedom,
            crate::regression::factors::format_p(self.p_value)
        )?;
        for ((g, o), e) in self.groups.iter().zip(&self.observed).zip(&self.expected) {
            write!(f, "; {g}: observed {o}, expected {e:.2}")?;
        }
        Ok(())
    }
}

/// Log-rank test of equal hazards across the groups (Mantel 1966; Peto & Peto 1972),
/// the k-sample form of lifelines' `multivariate_logrank_test` (equal to `logrank_test`
/// for two groups).
///
/// At each distinct event time with `d` events among `n` at risk (`nₖ` in group k),
/// group k expects `d·nₖ/n` events; with `Z = O − E` and the hypergeometric covariance
/// `Vₖₗ = Σ d(n−d)/(n−1) · (nₖ/n)(δₖₗ − nₗ/n)`, the statistic is `Z'V⁻Z` on the first
/// `groups − 1` components, chi-square with `groups − 1` degrees of freedom.
/// One sorted sweep: O(n log n + times·groups²).
///
/// ```
/// use churnguard::regression::survival::logrank_test;
/// let months = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
/// let churned = [true, true, true, true, false, true, false, true, false, false];
/// let contract = ["monthly", "monthly", "monthly", "monthly", "monthly", "yearly", "yearly", "yearly", "yearly", "yearly"];
/// let test = logrank_test(&months, &churned, &contract)?;
/// assert_eq!(test.degrees_of_freedom, 1);
/// assert!(test.observed[0] > test.expected[0]); // monthly customers churn sooner
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// Errors: as [`KaplanMeier::fit`](super::KaplanMeier::fit); [`Error::TooFewGroups`] with
/// fewer than two groups; [`Error::NoObservedEvents`] without events; [`Error::FitFailed`]
/// if the covariance is singular (a group has nobody at risk at any event time).
pub fn logrank_test<G: Ord + Clone>(durations: &[f64], events: &[bool], groups: &[G]) -> Result<LogRankTest<G>> {
    let order = check_survival_data(durations, events)?;
    ensure!(
        groups.len() == durations.len(),
        Error::ShapeMismatch { what: "groups vs durations", expected: durations.len(), found: groups.len() }
    );
    let mut index: BTreeMap<&G, usize> = BTreeMap::new();
    for g in groups {
        index.entry(g).or_insert(0);
    }
    let k = index.len();
    ensure!(k >= 2, Error::TooFewGroups { found: k });
    ensure!(events.iter().any(|&e| e), Error::NoObservedEvents { model: "logrank_test", n: events.len() });
    for (i, v) in index.values_mut().enumerate() {
        *v = i;
    }
    let code: Vec<usize> = groups.iter().map(|g| index.get(g).copied().unwrap_or(0)).collect();

    let mut at_risk = vec![0.0f64; k];
    for &c in &code {
        at_risk[c] += 1.0;
    }
    let mut observed = vec![0.0f64; k];
    let mut expected = vec![0.0f64; k];
    let mut cov = Array2::<f64>::zeros((k, k));
    let mut deaths = vec![0.0f64; k];
    let mut leaving = vec![0.0f64; k];
    let mut i = 0;
    while i < order.len() {
        let t = durations[order[i]];
        deaths.fill(0.0);
        leaving.fill(0.0);
        while i < order.len() && durations[order[i]] == t {
            let s = order[i];
            if events[s] {
                deaths[code[s]] += 1.0;
            }
            leaving[code[s]] += 1.0;
            i += 1;
        }
        let d: f64 = deaths.iter().sum();
        let n: f64 = at_risk.iter().sum();
        if d > 0.0 {
            for g in 0..k {
                observed[g] += deaths[g];
                expected[g] += d * at_risk[g] / n;
            }
            if n > 1.0 {
                let scale = d * (n - d) / (n - 1.0);
                for a in 0..k {
                    for b in 0..k {
                        let delta = if a == b { 1.0 } else { 0.0 };
                        cov[[a, b]] += scale * (at_risk[a] / n) * (delta - at_risk[b] / n);
                    }
                }
            }
        }
        for g in 0..k {
            at_risk[g] -= leaving[g];
        }
    }
    let m = k - 1;
    let z: Array1<f64> = (0..m).map(|g| observed[g] - expected[g]).collect();
    let sub = cov.slice(ndarray::s![..m, ..m]).to_owned();
    let l = cholesky(sub.view()).ok_or_else(|| Error::FitFailed {
        model: "logrank_test",
        message:
            "the covariance of observed − expected events is singular: some group has nobody at risk at any event time"
                .into(),
    })?;
    let statistic = z.dot(&cholesky_solve(l.view(), z.view()));
    Ok(LogRankTest {
        groups: index.into_keys().cloned().collect(),
        observed,
        expected,
        statistic,
        degrees_of_freedom: m,
        p_value: chi2_sf(statistic, m as f64),
    })
}
