//! Cluster-randomised experiments: arms assigned by store, region or neighbourhood.

use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::proportions::{Interval, percent, percent_level, signed_percent, write_p};
use crate::error::{Error, Result, ensure};
use crate::stats::{check_level, t_isf, two_sided_t_p};

/// One arm of a cluster-randomised experiment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterArm {
    /// Customers in the arm.
    pub n: usize,
    /// Clusters in the arm.
    pub clusters: usize,
    /// Mean outcome (the churn rate for a 0/1 outcome).
    pub mean: f64,
    /// Cluster-robust standard error of the mean.
    pub se: f64,
}

/// Difference in mean outcome between arms of a cluster-randomised experiment, with
/// cluster-robust inference.
///
/// The estimate is the OLS slope of the outcome on a treatment dummy, i.e. the
/// difference of the arm means. Its standard error is the CR1 sandwich (Liang & Zeger
/// 1986 with Stata's small-sample factor G/(G−1)·(N−1)/(N−2)), and tests and
/// intervals use Student's t with G − 1 degrees of freedom — exactly statsmodels'
/// `OLS(...).fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusteredComparison {
    /// Confidence level of the intervals.
    pub level: f64,
    /// Control arm.
    pub control: ClusterArm,
    /// Treatment arm.
    pub treatment: ClusterArm,
    /// `treatment.mean − control.mean`.
    pub difference: f64,
    /// Cluster-robust (CR1) standard error of the difference.
    pub se: f64,
    /// Degrees of freedom of the t reference distribution: clusters − 1.
    pub degrees_of_freedom: f64,
    /// `difference / se`.
    pub t: f64,
    /// Two-sided p-value from Student's t with `degrees_of_freedom`.
    pub p_value: f64,
    /// Interval of the difference, `difference ± t_{df} · se`.
    pub difference_ci: Interval,
    /// Relative reduction `1 − treatment.mean / control.mean`.
    pub relative_reduction: f64,
    /// Interval of the relative reduction from a delta-method interval of the log
    /// ratio of means with the cluster-robust variances (NaN bounds when a mean is 0).
    pub relative_reduction_ci: Interval,
    /// Standard error the difference would have if customers were randomised
    /// individually (ordinary OLS standard error).
    pub naive_se: f64,
    /// Observed design effect `(se / naive_se)²`: how much clustering inflates the variance.
    pub design_effect: f64,
    /// Intra-cluster correlation, one-way ANOVA estimator with clusters nested in arms
    /// (may be slightly negative when clusters vary less than chance).
    pub icc: f64,
    /// Mean customers per cluster.
    pub mean_cluster_size: f64,
}

/// Compares the mean outcome of treated and control customers when whole clusters
/// (stores, regions, neighbourhoods) were randomised.
///
/// `outcome` holds one value per customer (1.0 = churned, 0.0 = stayed, or any
/// numeric outcome such as spend), `treated` the arm, `clusters` the cluster label of
/// each customer. Every cluster must lie entirely in one arm.
///
/// ```
/// use churnguard::eval::ab::compare_clustered;
///
/// // Six stores, three per arm, four customers each.
/// let stores = ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c",
///               "d", "d", "d", "d", "e", "e", "e", "e", "f", "f", "f", "f"];
/// let treated: Vec<bool> = stores.iter().map(|s| *s >= "d").collect();
/// let churned = [1., 1., 1., 1., 0., 0., 0., 1., 1., 1., 0., 1.,
///                0., 0., 0., 0., 1., 1., 1., 0., 0., 0., 0., 0.];
/// let result = compare_clustered(&churned, &treated, &stores, 0.95)?;
/// assert_eq!(result.degrees_of_freedom, 5.0); // 6 clusters − 1
/// assert!((result.difference - (3.0 / 12.0 - 8.0 / 12.0)).abs() < 1e-12);
/// assert!(result.se > result.naive_se); // the stores differ: clustering costs precision
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] if the slices differ in length; [`Error::EmptyData`] if
/// they are empty; [`Error::NonFinite`] for a NaN/infinite outcome;
/// [`Error::MixedCluster`] if a cluster has customers in both arms;
/// [`Error::TooFewClusters`] if an arm has fewer than 2 clusters;
/// [`Error::ConstantOutcome`] if the outcome does not vary within the arms;
/// [`Error::InvalidParameter`] for a `level` outside (0, 1).
pub fn compare_clustered<K: Eq + Hash + Debug>(
    outcome: &[f64],
    treated: &[bool],
    clusters: &[K],
    level: f64,
) -> Result<ClusteredComparison> {
    check_level(level)?;
    let n = outcome.len();
    ensure!(
        treated.len() == n,
        Error::ShapeMismatch { what: "treatment flags vs outcomes", expected: n, found: treated.len() }
    );
    ensure!(
        clusters.len() == n,
        Error::ShapeMismatch { what: "cluster labels vs outcomes", expected: n, found: clusters.len() }
    );
    ensure!(n > 0, Error::EmptyData { context: "cluster-randomised comparison: no customers".into() });
    if let Some((row, &value)) = outcome.iter().enumerate().find(|(_, y)| !y.is_finite()) {
        return Err(Error::NonFinite { column: "outcome".into(), row, value });
    }

    // Clusters in order of first appearance, so every sum below runs in data order.
    let mut index: HashMap<&K, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut member = Vec::with_capacity(n);
    for ((key, &t), &y) in clusters.iter().zip(treated).zip(outcome) {
        let g = *index.entry(key).or_insert_with(|| {
            groups.push(Group { treated: t, n: 0, sum: 0.0, sum_sq_within: 0.0 });
            groups.len() - 1
        });
        let group =
            groups.get_mut(g).ok_or_else(|| Error::param("cluster", g, "internal cluster index out of range"))?;
        ensure!(group.treated == t, Error::MixedCluster { cluster: format!("{key:?}") });
        group.n += 1;
        group.sum += y;
        member.push(g);
    }

    let arm_stats = |t: bool| {
        let (mut n, mut g, mut sum) = (0usize, 0usize, 0.0);
        for group in groups.iter().filter(|c| c.treated == t) {
            n += group.n;
            g += 1;
            sum += group.sum;
        }
        (n, g, sum / n as f64)
    };
    let (n_c, g_c, mean_c) = arm_stats(false);
    let (n_t, g_t, mean_t) = arm_stats(true);
    ensure!(g_c >= 2, Error::TooFewClusters { arm: "control", found: g_c });
    ensure!(g_t >= 2, Error::TooFewClusters { arm: "treatment", found: g_t });

    // Within-cluster and residual (within-arm) sums of squares, in data order.
    let mut rss = 0.0;
    for ((&y, &g), &t) in outcome.iter().zip(&member).zip(treated) {
        let group =
            groups.get_mut(g).ok_or_else(|| Error::param("cluster", g, "internal cluster index out of range"))?;
        let arm_mean = if t { mean_t } else { mean_c };
        rss += (y - arm_mean).powi(2);
        group.sum_sq_within += (y - group.sum / group.n as f64).powi(2);
    }
    ensure!(rss > 0.0, Error::ConstantOutcome { n });

    let g_total = groups.len();
    let (nf, gf) = (n as f64, g_total as f64);
    let (n_cf, n_tf) = (n_c as f64, n_t as f64);
    // CR1 small-sample factor (Stata; statsmodels `use_correction=True`): G/(G−1)·(N−1)/(N−k), k = 2.
    let cr1 = gf / (gf - 1.0) * (nf - 1.0) / (nf - 2.0);
    // With X = [1, treated] and clusters nested in arms the sandwich (X'X)⁻¹ Σ_g X_g'u_g u_g'X_g (X'X)⁻¹
    // reduces to Σ_{g∈arm} U_g² / N_arm² per arm mean, U_g = Σ_{i∈g} residual_i (Cameron & Miller 2015, J Hum Resour 50:317).
    let (mut meat_c, mut meat_t) = (0.0, 0.0);
    for group in &groups {
        let arm_mean = if group.treated { mean_t } else { mean_c };
        let u = group.sum - group.n as f64 * arm_mean;
        if group.treated {
            meat_t += u * u;
        } else {
            meat_c += u * u;
        }
    }
    let var_c = cr1 * meat_c / (n_cf * n_cf);
    let var_t = cr1 * meat_t / (n_tf * n_tf);
    let se = (var_c + var_t).sqrt();
    let difference = mean_t - mean_c;
    let df = gf - 1.0;
    let t = difference / se;
    let p_value = two_sided_t_p(t, df)?;
    let crit = t_isf((1.0 - level) / 2.0, df)?;
    let difference_ci = Interval { lower: difference - crit * se, upper: difference + crit * se };

    // Delta method on log(mean_t / mean_c); the two arm means are independent (disjoint clusters).
    let ratio = mean_t / mean_c;
    let se_log = (var_t / (mean_t * mean_t) + var_c / (mean_c * mean_c)).sqrt();
    let relative_reduction_ci =
        Interval { lower: 1.0 - (ratio.ln() + crit * se_log).exp(), upper: 1.0 - (ratio.ln() - crit * se_log).exp() };

    // Ordinary OLS standard error of the slope: σ̂²·N/(N_t·N_c), σ̂² = RSS/(N − 2).
    let naive_se = (rss / (nf - 2.0) * nf / (n_tf * n_cf)).sqrt();

    // One-way ANOVA ICC (MSB − MSW)/(MSB + (n₀ − 1)MSW) with n₀ for unequal cluster sizes
    // (Donner 1986, Int Stat Rev 54:67), clusters nested in arms as in Donner & Klar (2000).
    let mut ss_between = 0.0;
    let mut ss_within = 0.0;
    let (mut sq_sizes_c, mut sq_sizes_t) = (0.0, 0.0);
    for group in &groups {
        let ng = group.n as f64;
        let arm_mean = if group.treated { mean_t } else { mean_c };
        ss_between += ng * (group.sum / ng - arm_mean).powi(2);
        ss_within += group.sum_sq_within;
        if group.treated {
            sq_sizes_t += ng * ng;
        } else {
            sq_sizes_c += ng * ng;
        }
    }
    let ms_between = ss_between / (gf - 2.0);
    let ms_within = if n > g_total { ss_within / (nf - gf) } else { 0.0 };
    let n0 = (nf - sq_sizes_c / n_cf - sq_sizes_t / n_tf) / (gf - 2.0);
    let icc = (ms_between - ms_within) / (ms_between + (n0 - 1.0) * ms_within);

    Ok(ClusteredComparison {
        level,
        control: ClusterArm { n: n_c, clusters: g_c, mean: mean_c, se: var_c.sqrt() },
        treatment: ClusterArm { n: n_t, clusters: g_t, mean: mean_t, se: var_t.sqrt() },
        difference,
        se,
        degrees_of_freedom: df,
        t,
        p_value,
        difference_ci,
        relative_reduction: 1.0 - ratio,
        relative_reduction_ci,
        naive_se,
        design_effect: (se / naive_se).powi(2),
        icc,
        mean_cluster_size: nf / gf,
    })
}

/// Running sums of one cluster.
struct Group {
    treated: bool,
    n: usize,
    sum: f64,
    sum_sq_within: f64,
}

impl fmt::Display for ClusteredComparison {
    /// One line, e.g. `mean 18.3% → 28.7%, +10.4 pp (95% CI +4.3 to +16.4 pp), p < 0.001
    /// (cluster-robust, 104 clusters, design effect 8.8)`; "pp" are percentage points of a 0/1 outcome.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pp = |x: f64| signed_percent(x).replace('%', "");
        write!(
            f,
            "mean {} → {}, {} pp ({} CI {} to {} pp), ",
            percent(self.control.mean),
            percent(self.treatment.mean),
            pp(self.difference),
            percent_level(self.level),
            pp(self.difference_ci.lower),
            pp(self.difference_ci.upper),
        )?;
        write_p(f, self.p_value)?;
        write!(
            f,
            " (cluster-robust, {} clusters, design effect {:.1})",
            self.control.clusters + self.treatment.clusters,
            self.design_effect
        )
    }
}
