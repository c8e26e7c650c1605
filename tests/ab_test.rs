//! A/B statistics against statsmodels/scipy, on a real cluster-randomised trial.
//!
//! Reference values: `python3 bench/ab_reference.py ../shared/data/cmf_microfinance_rct.csv`
//! (statsmodels 0.15.0, scipy 1.17.1). The trial is Banerjee, Duflo, Glennerster & Kinnan
//! (2015), randomised by neighbourhood (`areaid`, 104 areas); outcome `anymfi_1` (took a
//! microfinance loan by endline 1). 52 of 6,863 rows have no outcome and are dropped.

use std::path::Path;

use approx::assert_relative_eq;
use churnguard::eval::ab::{
    ArmCounts, SequentialPlan, cluster_randomised, compare_outcomes, compare_proportions, parse_treatment_flag, power,
    required_sample_size, stratified,
};

const CMF: &str = "../shared/data/cmf_microfinance_rct.csv";

/// (outcome, treated, area) per household with an outcome.
fn cmf() -> Option<(Vec<bool>, Vec<bool>, Vec<String>)> {
    if !Path::new(CMF).is_file() {
        eprintln!("skipping: {CMF} not found (see ../shared/data/SOURCES.md)");
        return None;
    }
    let mut reader = csv::Reader::from_path(CMF).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (yi, ti, gi) = (col("anymfi_1"), col("treatment"), col("areaid"));
    let (mut y, mut t, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for record in reader.records() {
        let r = record.unwrap();
        let outcome = r[yi].trim();
        if outcome.is_empty() {
            continue;
        }
        y.push(outcome.eq_ignore_ascii_case("yes"));
        t.push(parse_treatment_flag(&r[ti]).unwrap());
        g.push(r[gi].to_string());
    }
    Some((y, t, g))
}

#[test]
fn cmf_trial_two_proportion_comparison_matches_statsmodels_and_scipy() {
    let Some((y, t, _)) = cmf() else { return };
    assert_eq!(y.len(), 6811);
    let test = compare_outcomes(&y, &t, 0.95).unwrap();
    assert_eq!(test.treatment.counts, ArmCounts::new(3564, 1022));
    assert_eq!(test.control.counts, ArmCounts::new(3247, 595));
    // confint_proportions_2indep(method="newcomb", compare="diff")
    assert_relative_eq!(test.difference_ci.0, 0.08349535868012421, max_relative = 1e-9);
    assert_relative_eq!(test.difference_ci.1, 0.12336767587860387, max_relative = 1e-9);
    // confint_proportions_2indep(method="log", compare="ratio")
    assert_relative_eq!(test.risk_ratio_ci.0, 1.4313495759807051, max_relative = 1e-9);
    assert_relative_eq!(test.risk_ratio_ci.1, 1.7108476318187427, max_relative = 1e-9);
    // proportions_ztest, chi2_contingency(correction=True), fisher_exact
    assert_relative_eq!(test.z, 10.02751575481677, max_relative = 1e-9);
    assert_relative_eq!(test.p_value_z, 1.1538307833122834e-23, max_relative = 1e-6);
    assert_relative_eq!(test.chi2_yates, 99.98015135505219, max_relative = 1e-9);
    assert_relative_eq!(test.p_value_yates, 1.5393201405216722e-23, max_relative = 1e-6);
    assert_relative_eq!(test.p_value_fisher, 7.838115286245207e-24, max_relative = 1e-6);
}

#[test]
fn cmf_trial_cluster_robust_difference_matches_statsmodels() {
    let Some((y, t, g)) = cmf() else { return };
    let c = cluster_randomised(&y, &t, &g, 0.95).unwrap();
    assert_eq!(c.n_clusters, 104);
    // OLS(y, [1, t]).fit(cov_type="cluster", cov_kwds={"groups": areaid}, use_t=True)
    assert_relative_eq!(c.difference, 0.10351038012469056, max_relative = 1e-12);
    assert_relative_eq!(c.se, 0.030335735283145135, max_relative = 1e-9);
    assert_relative_eq!(c.ci.0, 0.04334660403228976, max_relative = 1e-8);
    assert_relative_eq!(c.ci.1, 0.16367415621709136, max_relative = 1e-8);
    assert_relative_eq!(c.p_value, 0.0009222015809503464, max_relative = 1e-6);
    assert_relative_eq!(c.se_naive, 0.010247659132467096, max_relative = 1e-9);
    // Households in one area are alike: clustering inflates the variance about 8.8-fold.
    assert!(c.design_effect > 8.0 && c.design_effect < 9.5, "{}", c.design_effect);
}

#[test]
fn obrien_fleming_boundaries_match_scipy_multivariate_normal() {
    // Bisection on scipy.stats.multivariate_normal CDF (Genz), bench/ab_reference.py.
    let expected: [&[f64]; 3] =
        [&[2.771808, 1.979311], &[3.394757, 2.406733, 2.015247], &[4.382613, 3.099727, 2.553354, 2.253848, 2.063500]];
    for want in expected {
        let plan = SequentialPlan::equally_spaced(want.len(), 0.05).unwrap();
        for (got, want) in plan.boundaries().iter().zip(want) {
            assert!((got - want).abs() < 2e-5, "K = {}: {got} vs {want}", plan.boundaries().len());
        }
    }
}

#[test]
fn power_and_sample_size_match_statsmodels_normal_ind_power() {
    // NormalIndPower().solve_power(h(0.30, 0.24), alpha=0.05, power=0.8) = 857.08 → 858.
    assert_eq!(required_sample_size(0.30, 0.20, 0.05, 0.80).unwrap(), 858);
    // NormalIndPower().power(h, 500, 0.05)
    assert_relative_eq!(power(0.30, 0.20, 500, 0.05).unwrap(), 0.5713879043584449, max_relative = 1e-9);
}

#[test]
fn cochran_mantel_haenszel_matches_statsmodels_stratified_table() {
    // Strata [[treated churned, retained], [control churned, retained]]:
    // [[30, 70], [45, 55]], [[12, 88], [20, 80]], [[5, 95], [9, 91]].
    let strata = vec![
        ("high".to_string(), ArmCounts::new(100, 45), ArmCounts::new(100, 30)),
        ("medium".to_string(), ArmCounts::new(100, 20), ArmCounts::new(100, 12)),
        ("low".to_string(), ArmCounts::new(100, 9), ArmCounts::new(100, 5)),
    ];
    let s = stratified(&strata, 0.95).unwrap();
    assert_relative_eq!(s.pooled_odds_ratio, 0.5316565481352992, max_relative = 1e-12);
    assert_relative_eq!(s.pooled_odds_ratio_ci.0, 0.34565009112199435, max_relative = 1e-9);
    assert_relative_eq!(s.pooled_odds_ratio_ci.1, 0.8177596142318957, max_relative = 1e-9);
    assert_relative_eq!(s.pooled_risk_ratio, 0.6351351351351351, max_relative = 1e-12);
    assert_relative_eq!(s.cmh_chi2, 8.359031979256699, max_relative = 1e-9);
    assert_relative_eq!(s.p_value, 0.0038377495665894434, max_relative = 1e-6);
    assert_eq!(s.strata.len(), 3);
}

#[test]
fn flagship_claim_is_reported_with_its_uncertainty() {
    // 30.1% → 24.0% churn among 2,000 + 2,000 high-risk customers.
    let test = compare_proportions(ArmCounts::new(2000, 602), ArmCounts::new(2000, 480), 0.95).unwrap();
    let text = test.to_string();
    assert!(text.starts_with("churn 30.1% → 24.0%, -20.3% relative"), "{text}");
    assert!(test.relative_reduction_ci.0 > 0.10 && test.relative_reduction_ci.1 < 0.30, "{text}");
}
