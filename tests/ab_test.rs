//! Integration tests of `churnguard::eval::ab`.
//!
//! Unless said otherwise, reference values come from `bench/ab_reference.py`
//! (scipy 1.17.1, statsmodels 0.15.0), whose printed numbers are pasted here.

use approx::{assert_abs_diff_eq, assert_relative_eq};
use churnguard::Error;
use churnguard::eval::ab::{
    ArmCounts, Assigner, PeekingWarning, PowerPlan, SequentialPlan, StratumCounts, TestUsed, compare,
    compare_clustered, compare_outcomes, compare_stratified, compare_stratified_outcomes, parse_flags,
    repeated_testing_alpha, unplanned_peeking,
};

/// Relative tolerance for values pasted from the reference script.
const REF_TOL: f64 = 1e-9;

/// Whether `result` is an `InvalidParameter` error naming `param`.
fn bad<T>(result: churnguard::Result<T>, param: &str) -> bool {
    matches!(result, Err(Error::InvalidParameter { name, .. }) if name == param)
}

fn arm(n: u64, events: u64) -> ArmCounts {
    ArmCounts::new(n, events).unwrap()
}

// ---------------------------------------------------------------- two proportions

#[test]
fn compare_matches_statsmodels_and_scipy_on_campaign_table() {
    // bench/ab_reference.py, "two proportions campaign": control 602/2000, treatment 480/2000.
    let r = compare(arm(2000, 602), arm(2000, 480), 0.95).unwrap();
    assert_relative_eq!(r.control_rate, 0.301);
    assert_relative_eq!(r.treatment_rate, 0.24);
    assert_relative_eq!(r.control_ci.lower, 0.28129442275243555, max_relative = REF_TOL);
    assert_relative_eq!(r.control_ci.upper, 0.321468562065503, max_relative = REF_TOL);
    assert_relative_eq!(r.treatment_ci.lower, 0.22179234080261478, max_relative = REF_TOL);
    assert_relative_eq!(r.treatment_ci.upper, 0.2592045237836367, max_relative = REF_TOL);
    assert_relative_eq!(r.difference, -0.061, max_relative = 1e-12);
    assert_relative_eq!(r.difference_ci.lower, -0.08839490621406607, max_relative = REF_TOL);
    assert_relative_eq!(r.difference_ci.upper, -0.0334841226122808, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.lower, 0.7195356590095465, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.upper, 0.8835622867120537, max_relative = REF_TOL);
    assert!(!r.risk_ratio_adjusted);
    assert_relative_eq!(r.relative_reduction, 1.0 - 0.24 / 0.301, max_relative = 1e-12);
    assert_relative_eq!(r.relative_reduction_ci.lower, 1.0 - 0.8835622867120537, max_relative = REF_TOL);
    assert_relative_eq!(r.relative_reduction_ci.upper, 1.0 - 0.7195356590095465, max_relative = REF_TOL);
    assert_relative_eq!(r.z, -4.342437257436296, max_relative = REF_TOL);
    assert_relative_eq!(r.z_p_value, 1.4091073401839824e-05, max_relative = 1e-8);
    assert_relative_eq!(r.chi_square, 18.85676133477086, max_relative = REF_TOL);
    assert_relative_eq!(r.chi_square_p_value, 1.4091073401839807e-05, max_relative = 1e-8);
    assert_relative_eq!(r.chi_square_yates, 18.54890101467214, max_relative = REF_TOL);
    assert_relative_eq!(r.chi_square_yates_p_value, 1.6560067833788568e-05, max_relative = 1e-8);
    assert_relative_eq!(r.fisher_p_value, 1.6317080831180853e-05, max_relative = 1e-8);
    assert_relative_eq!(r.min_expected_count, 541.0, max_relative = 1e-12);
    assert!(!r.small_sample);
    assert_eq!(r.test_used, TestUsed::ZTest);
    assert_eq!(r.p_value, r.z_p_value);
}

#[test]
fn small_table_switches_to_fisher_and_matches_scipy() {
    // scipy.stats.fisher_exact docs table [[6, 2], [1, 4]] (p = 0.10256...): treatment 6/8, control 1/5.
    // Other values: bench/ab_reference.py, "two proportions scipy fisher_exact doc table".
    let r = compare(arm(5, 1), arm(8, 6), 0.95).unwrap();
    assert_relative_eq!(r.fisher_p_value, 0.10256410256410256, max_relative = 1e-9);
    assert_relative_eq!(r.min_expected_count, 2.3076923076923075, max_relative = REF_TOL);
    assert!(r.small_sample);
    assert_eq!(r.test_used, TestUsed::FisherExact);
    assert_eq!(r.p_value, r.fisher_p_value);
    assert_relative_eq!(r.z_p_value, 0.05295818186952336, max_relative = 1e-8);
    assert_relative_eq!(r.chi_square_yates, 1.8590773809523815, max_relative = REF_TOL);
    assert_relative_eq!(r.chi_square_yates_p_value, 0.1727313214967539, max_relative = 1e-8);
    assert_relative_eq!(r.difference_ci.lower, 0.005698536726974068, max_relative = 1e-8);
    assert_relative_eq!(r.difference_ci.upper, 0.7922647602786026, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.lower, 0.6210386127394752, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.upper, 22.643519600123795, max_relative = REF_TOL);
    assert!(r.to_string().contains("Fisher exact"), "{r}");
}

#[test]
fn newcombe_interval_reproduces_published_examples() {
    // Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (4 decimals):
    // 56/70 − 48/80 → (0.0524, 0.3339); 9/10 − 3/10 → (0.1705, 0.8090); 5/56 − 0/29 → (−0.0381, 0.1926).
    let cases =
        [((70, 56), (80, 48), 0.0524, 0.3339), ((10, 9), (10, 3), 0.1705, 0.8090), ((56, 5), (29, 0), -0.0381, 0.1926)];
    for ((nt, xt), (nc, xc), lower, upper) in cases {
        let r = compare(arm(nc, xc), arm(nt, xt), 0.95).unwrap();
        assert_abs_diff_eq!(r.difference_ci.lower, lower, epsilon = 5e-5);
        assert_abs_diff_eq!(r.difference_ci.upper, upper, epsilon = 5e-5);
    }
}

#[test]
fn zero_events_in_one_arm_use_adjusted_log_ratio_interval() {
    // bench/ab_reference.py, "two proportions zero treatment events": control 5/20, treatment 0/20,
    // statsmodels confint_proportions_2indep(compare="ratio", method="log-adjusted").
    let r = compare(arm(20, 5), arm(20, 0), 0.95).unwrap();
    assert_eq!(r.risk_ratio, 0.0);
    assert_relative_eq!(r.relative_reduction, 1.0);
    assert!(r.risk_ratio_adjusted);
    assert_relative_eq!(r.risk_ratio_ci.lower, 0.005366996685907777, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.upper, 1.5398673212557599, max_relative = REF_TOL);
    assert_relative_eq!(r.treatment_ci.upper, 0.1611251580528194, max_relative = REF_TOL);
    assert_eq!(r.treatment_ci.lower, 0.0);
    assert_relative_eq!(r.difference_ci.lower, -0.4687008776187441, max_relative = REF_TOL);
    assert_relative_eq!(r.difference_ci.upper, -0.03776544556663031, max_relative = REF_TOL);
    assert_relative_eq!(r.fisher_p_value, 0.04712404712404713, max_relative = 1e-9);
    assert_relative_eq!(r.chi_square_yates_p_value, 0.055829294639240225, max_relative = 1e-8);
}

#[test]
fn confidence_level_changes_every_interval() {
    // bench/ab_reference.py, "two proportions 90% level": control 130/400, treatment 100/380, alpha 0.10.
    let r = compare(arm(400, 130), arm(380, 100), 0.90).unwrap();
    assert_relative_eq!(r.control_ci.lower, 0.28776693631798245, max_relative = REF_TOL);
    assert_relative_eq!(r.treatment_ci.upper, 0.3018946879750572, max_relative = REF_TOL);
    assert_relative_eq!(r.difference_ci.lower, -0.1149387077881964, max_relative = REF_TOL);
    assert_relative_eq!(r.difference_ci.upper, -0.008112781970104961, max_relative = 1e-8);
    assert_relative_eq!(r.risk_ratio_ci.lower, 0.6733989199315235, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.upper, 0.9736293771765312, max_relative = REF_TOL);
    assert_relative_eq!(r.fisher_p_value, 0.059908281584962614, max_relative = 1e-9);
    assert!(r.to_string().contains("(90% CI"), "{r}");
}

#[test]
fn display_states_rates_relative_change_interval_and_p() {
    let r = compare(arm(2000, 602), arm(2000, 480), 0.95).unwrap();
    // Hand check: 602/2000 = 30.1 %, 480/2000 = 24.0 %, 0.24/0.301 − 1 = −20.3 %; CI from the
    // statsmodels risk-ratio interval (0.71954, 0.88356) above.
    assert_eq!(r.to_string(), "churn 30.1% → 24.0%, −20.3% relative (95% CI −28.0% to −11.6%), p < 0.001 (z-test)");
}

#[test]
fn per_customer_outcomes_are_counted_per_arm() {
    let churned = [true, false, true, true, false, false, true, false];
    let treated = [true, true, true, false, false, false, false, false];
    let r = compare_outcomes(&churned, &treated, 0.95).unwrap();
    assert_eq!(r.treatment, ArmCounts { n: 3, events: 2 });
    assert_eq!(r.control, ArmCounts { n: 5, events: 2 });
    let direct = compare(arm(5, 2), arm(3, 2), 0.95).unwrap();
    assert_eq!(r, direct);
}

#[test]
fn two_proportion_bad_input_returns_typed_errors() {
    assert!(matches!(compare(arm(0, 0), arm(10, 3), 0.95), Err(Error::EmptyArm { arm }) if arm == "control"));
    assert!(matches!(compare(arm(10, 3), arm(0, 0), 0.95), Err(Error::EmptyArm { arm }) if arm == "treatment"));
    assert!(matches!(compare(arm(10, 0), arm(12, 0), 0.95), Err(Error::NoOutcomeVariation { events: 0, n: 22 })));
    assert!(matches!(compare(arm(10, 10), arm(12, 12), 0.95), Err(Error::NoOutcomeVariation { events: 22, n: 22 })));
    assert!(matches!(ArmCounts::new(3, 4), Err(Error::InvalidParameter { name: "events", .. })));
    assert!(matches!(
        compare(ArmCounts { n: 3, events: 4 }, arm(10, 3), 0.95),
        Err(Error::InvalidParameter { name: "events", .. })
    ));
    for level in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert!(matches!(compare(arm(10, 3), arm(10, 2), level), Err(Error::InvalidParameter { name: "level", .. })));
    }
    assert!(matches!(
        compare_outcomes(&[true, false], &[true], 0.95),
        Err(Error::ShapeMismatch { expected: 2, found: 1, .. })
    ));
    assert!(matches!(compare_outcomes(&[], &[], 0.95), Err(Error::EmptyData { .. })));
    assert!(matches!(
        compare_outcomes(&[true, false], &[true, true], 0.95),
        Err(Error::EmptyArm { arm }) if arm == "control"
    ));
}

#[test]
fn flags_parse_common_spellings_and_reject_others() {
    assert_eq!(parse_flags(["1", "0", "TRUE", "no", " y "], "treated").unwrap(), vec![true, false, true, false, true]);
    match parse_flags(["1", "0", "2"], "treated") {
        Err(Error::InvalidFlag { column, row, value }) => {
            assert_eq!((column.as_str(), row, value.as_str()), ("treated", 2, "2"));
        }
        other => panic!("expected InvalidFlag, got {other:?}"),
    }
    assert!(matches!(parse_flags(["0.5"], "churned"), Err(Error::InvalidFlag { row: 0, .. })));
}

// ---------------------------------------------------------------- cluster-randomised designs

#[test]
fn clustered_comparison_matches_statsmodels_cluster_ols_on_inline_data() {
    // bench/ab_reference.py, "small clustered data set" (same arrays): statsmodels OLS with
    // cov_type="cluster", use_t=True.
    let sizes = [("s1", 3), ("s2", 5), ("s3", 4), ("s4", 6), ("s5", 2), ("s6", 5), ("s7", 3)];
    let clusters: Vec<&str> = sizes.iter().flat_map(|&(c, k)| std::iter::repeat_n(c, k)).collect();
    let treated: Vec<bool> = clusters.iter().map(|c| ["s4", "s5", "s6", "s7"].contains(c)).collect();
    let y = [
        1., 0., 1., 0., 0., 1., 1., 1., 0., 0., 0., 1., 0., 0., 1., 0., 0., 0., 1., 1., 0., 0., 0., 0., 1., 0., 1., 0.,
    ];
    let r = compare_clustered(&y, &treated, &clusters, 0.90).unwrap();
    assert_relative_eq!(r.difference, -0.18749999999999986, max_relative = 1e-12);
    assert_relative_eq!(r.se, 0.16342273096142962, max_relative = REF_TOL);
    assert_relative_eq!(r.naive_se, 0.19002045267785628, max_relative = REF_TOL);
    assert_relative_eq!(r.t, -1.1473312121081423, max_relative = REF_TOL);
    assert_relative_eq!(r.p_value, 0.2949267797298434, max_relative = 1e-8);
    assert_eq!(r.degrees_of_freedom, 6.0);
    assert_relative_eq!(r.difference_ci.lower, -0.5050598281922077, max_relative = 1e-8);
    assert_relative_eq!(r.difference_ci.upper, 0.13005982819220804, max_relative = 1e-8);
    assert_eq!((r.control.clusters, r.treatment.clusters), (3, 4));
    assert_eq!((r.control.n, r.treatment.n), (12, 16));
}

/// Outcome, treatment flag and area of the CMF trial's analysed rows, and rows dropped.
type CmfRows = (Vec<f64>, Vec<bool>, Vec<String>, usize);

/// Reads (anymfi_1, treated, areaid) from the CMF trial, dropping rows with a missing outcome.
fn read_cmf() -> Option<CmfRows> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/cmf_microfinance_rct.csv");
    if !path.exists() {
        eprintln!("skipping: {} not found", path.display());
        return None;
    }
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (iy, it, ia) = (col("anymfi_1"), col("treatment"), col("areaid"));
    let (mut y, mut treated, mut area, mut dropped) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for record in reader.records() {
        let record = record.unwrap();
        let outcome = &record[iy];
        if outcome.is_empty() {
            dropped += 1;
            continue;
        }
        y.push(if parse_flags([outcome], "anymfi_1").unwrap()[0] { 1.0 } else { 0.0 });
        treated.push(match &record[it] {
            "Treatment" => true,
            "Control" => false,
            other => panic!("unexpected treatment label {other}"),
        });
        area.push(record[ia].to_string());
    }
    Some((y, treated, area, dropped))
}

#[test]
fn cmf_microfinance_trial_matches_statsmodels_cluster_robust_ols() {
    // bench/ab_reference.py, "CMF": 6,863 rows, 52 with anymfi_1 missing dropped, 6,811 analysed;
    // statsmodels 0.15.0 OLS(anymfi_1 ~ treatment), cov_type="cluster" by areaid, use_t=True.
    let Some((y, treated, area, dropped)) = read_cmf() else { return };
    assert_eq!((dropped, y.len()), (52, 6811));
    let r = compare_clustered(&y, &treated, &area, 0.95).unwrap();
    assert_eq!((r.control.n, r.control.clusters, r.treatment.n, r.treatment.clusters), (3247, 52, 3564, 52));
    assert_relative_eq!(r.control.mean, 0.18324607329842932, max_relative = 1e-12);
    assert_relative_eq!(r.treatment.mean, 0.2867564534231201, max_relative = 1e-12);
    assert_relative_eq!(r.difference, 0.10351038012469056, max_relative = 1e-10);
    assert_relative_eq!(r.se, 0.030335735283145135, max_relative = 1e-8);
    assert_relative_eq!(r.t, 3.4121599215761242, max_relative = 1e-8);
    assert_relative_eq!(r.p_value, 0.0009222015809503464, max_relative = 1e-6);
    assert_eq!(r.degrees_of_freedom, 103.0);
    assert_relative_eq!(r.difference_ci.lower, 0.04334660403228976, max_relative = 1e-6);
    assert_relative_eq!(r.difference_ci.upper, 0.16367415621709136, max_relative = 1e-6);
    assert_relative_eq!(r.naive_se, 0.010247659132467096, max_relative = 1e-8);
    assert_relative_eq!(r.design_effect, 8.76313918652413, max_relative = 1e-7);
    // Delta-method interval from statsmodels' cluster covariance of (b0, b1), same script.
    assert_relative_eq!(r.relative_reduction, -0.5648709315375977, max_relative = 1e-10);
    assert_relative_eq!(r.relative_reduction_ci.lower, -1.0574261992000196, max_relative = 1e-6);
    assert_relative_eq!(r.relative_reduction_ci.upper, -0.1902351750568323, max_relative = 1e-6);
    // ANOVA ICC from statsmodels anova_lm sums of squares, SS(area) − SS(arm) over G − 2 df, same script.
    assert_relative_eq!(r.icc, 0.10228231849687093, max_relative = 1e-8);
    assert_relative_eq!(r.mean_cluster_size, 65.49038461538461, max_relative = 1e-12);
}

#[test]
fn cmf_microfinance_trial_two_proportions_ignoring_clusters_match_scipy() {
    // bench/ab_reference.py, "two proportions CMF anymfi_1 (ignoring clusters)": control 595/3247,
    // treatment 1022/3564. The naive interval is ~3x too narrow: see the design effect above.
    let Some((y, treated, _, _)) = read_cmf() else { return };
    let churned: Vec<bool> = y.iter().map(|&v| v == 1.0).collect();
    let r = compare_outcomes(&churned, &treated, 0.95).unwrap();
    assert_eq!((r.control, r.treatment), (arm(3247, 595), arm(3564, 1022)));
    assert_relative_eq!(r.difference_ci.lower, 0.08349535868012421, max_relative = REF_TOL);
    assert_relative_eq!(r.difference_ci.upper, 0.12336767587860387, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.lower, 1.4313495759807051, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.upper, 1.7108476318187427, max_relative = REF_TOL);
    assert_relative_eq!(r.z, 10.02751575481677, max_relative = REF_TOL);
    assert_relative_eq!(r.z_p_value, 1.1538307833122834e-23, max_relative = 1e-7);
    assert_relative_eq!(r.chi_square_yates, 99.98015135505219, max_relative = REF_TOL);
    assert_relative_eq!(r.fisher_p_value, 7.838115286245207e-24, max_relative = 1e-6);
}

#[test]
fn clustered_bad_input_returns_typed_errors() {
    let y = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let t = [false, false, false, true, true, true];
    let one_cluster_per_arm = ["a", "a", "a", "b", "b", "b"];
    assert!(matches!(
        compare_clustered(&y, &t, &one_cluster_per_arm, 0.95),
        Err(Error::TooFewClusters { arm: "control", found: 1 })
    ));
    let three_control_one_treated = ["a", "b", "c", "d", "d", "d"];
    assert!(matches!(
        compare_clustered(&y, &t, &three_control_one_treated, 0.95),
        Err(Error::TooFewClusters { arm: "treatment", found: 1 })
    ));
    let mixed = ["a", "b", "c", "c", "d", "e"];
    assert!(
        matches!(compare_clustered(&y, &t, &mixed, 0.95), Err(Error::MixedCluster { cluster }) if cluster == "\"c\"")
    );
    let ok = ["a", "b", "b", "c", "d", "d"];
    assert!(matches!(compare_clustered(&y[..5], &t, &ok, 0.95), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(compare_clustered(&y, &t, &ok[..4], 0.95), Err(Error::ShapeMismatch { .. })));
    let empty: [&str; 0] = [];
    assert!(matches!(compare_clustered(&[], &[], &empty, 0.95), Err(Error::EmptyData { .. })));
    let nan = [1.0, f64::NAN, 1.0, 0.0, 0.0, 1.0];
    assert!(matches!(compare_clustered(&nan, &t, &ok, 0.95), Err(Error::NonFinite { row: 1, .. })));
    let constant = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
    assert!(matches!(compare_clustered(&constant, &t, &ok, 0.95), Err(Error::ConstantOutcome { n: 6 })));
    assert!(matches!(compare_clustered(&y, &t, &ok, 1.0), Err(Error::InvalidParameter { name: "level", .. })));
}

// ---------------------------------------------------------------- power and sample size

#[test]
fn sample_size_matches_statsmodels_normal_ind_power() {
    // bench/ab_reference.py, "power": NormalIndPower().solve_power(h, alpha, power, ratio) with
    // h = proportion_effectsize(p_c, p_c·(1 − r)).
    let cases = [
        (0.30, 0.20, 0.05, 0.80, 1.0, 857.081456372539),
        (0.10, 0.15, 0.05, 0.90, 1.0, 7828.121026618861),
        (0.30, 0.20, 0.01, 0.80, 9.0, 708.5124018771843),
    ];
    for (p_c, r, alpha, power, ratio, n_ref) in cases {
        let plan = PowerPlan::new(p_c, alpha).unwrap().with_treatment_ratio(ratio).unwrap();
        let size = plan.sample_size(r, power).unwrap();
        assert_relative_eq!(size.control_exact, n_ref, max_relative = 1e-7);
        assert_eq!(size.control, n_ref.ceil() as u64);
        assert_eq!(size.treatment, (n_ref * ratio).ceil() as u64);
    }
}

#[test]
fn power_matches_statsmodels_normal_ind_power() {
    // bench/ab_reference.py, "power": NormalIndPower().power(h, nobs1=n, alpha, ratio).
    let cases = [
        (0.30, 0.20, 0.05, 500, 1.0, 0.5713879043584449),
        (0.30, 0.10, 0.05, 2000, 1.0, 0.5565893971475324),
        (0.05, 0.30, 0.10, 3000, 0.25, 0.5730648736493177),
    ];
    for (p_c, r, alpha, n, ratio, power_ref) in cases {
        let plan = PowerPlan::new(p_c, alpha).unwrap().with_treatment_ratio(ratio).unwrap();
        assert_relative_eq!(plan.power(r, n).unwrap(), power_ref, max_relative = 1e-10);
    }
}

#[test]
fn minimum_detectable_reduction_matches_statsmodels_solved_effect_size() {
    // bench/ab_reference.py, "mde": h solving NormalIndPower().power(h, n, alpha, ratio) = power by
    // brentq (xtol 1e-15; statsmodels' own solve_power stops ~1e-5 early), mapped back to
    // p_t = sin²(asin √p_c − h/2) and r = 1 − p_t/p_c.
    let cases = [
        (0.30, 0.05, 500, 0.80, 1.0, 0.2588066991470481),
        (0.10, 0.05, 10000, 0.90, 1.0, 0.13327543894012128),
        (0.30, 0.05, 1000, 0.80, 4.0, 0.1477877379006446),
    ];
    for (p_c, alpha, n, power, ratio, r_ref) in cases {
        let plan = PowerPlan::new(p_c, alpha).unwrap().with_treatment_ratio(ratio).unwrap();
        let mde = plan.minimum_detectable_reduction(n, power).unwrap();
        assert_relative_eq!(mde, r_ref, max_relative = 1e-9);
        assert_relative_eq!(plan.power(mde, n).unwrap(), power, max_relative = 1e-9);
    }
}

#[test]
fn power_bad_input_returns_typed_errors() {
    for rate in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(bad(PowerPlan::new(rate, 0.05), "baseline_rate"));
    }
    for alpha in [0.0, 1.0, f64::INFINITY] {
        assert!(bad(PowerPlan::new(0.3, alpha), "alpha"));
    }
    let plan = PowerPlan::new(0.3, 0.05).unwrap();
    assert!(bad(plan.with_treatment_ratio(0.0), "treatment_ratio"));
    for r in [0.0, -0.2, 1.5, f64::NAN] {
        assert!(bad(plan.sample_size(r, 0.8), "relative_reduction"));
        assert!(bad(plan.power(r, 100), "relative_reduction"));
    }
    for power in [0.0, 0.05, 0.01, 1.0] {
        assert!(bad(plan.sample_size(0.2, power), "power"));
        assert!(bad(plan.minimum_detectable_reduction(100, power), "power"));
    }
    assert!(bad(plan.power(0.2, 0), "n_control"));
    // Five customers per arm cannot reach 80 % power even if the campaign stopped all churn.
    assert!(bad(plan.minimum_detectable_reduction(5, 0.8), "n_control"));
}

// ---------------------------------------------------------------- sequential peeking guard

#[test]
fn obrien_fleming_boundaries_match_published_lan_demets_values() {
    // Lan–DeMets O'Brien–Fleming-type, two-sided alpha 0.05, equally spaced looks: ld98 / R ldbounds
    // and gsDesign (sfLDOF, one-sided 0.025) values, 4 decimals, e.g. Reboussin et al. (2000),
    // Control Clin Trials 21:190, and the 5-look set quoted in issue 7 (4.877, 3.357, 2.680, 2.290, 2.031).
    // The 8 significant digits are bench/ab_reference.py's independent scipy multivariate-normal
    // (Genz QMC, abseps 1e-9) solution.
    let published: [&[f64]; 4] = [
        &[2.9626, 1.9686],
        &[3.7103, 2.5114, 1.9930],
        &[4.3326, 2.9631, 2.3590, 2.0141],
        &[4.8769, 3.3569, 2.6803, 2.2898, 2.0310],
    ];
    let scipy: [&[f64]; 4] = [
        &[2.962588044334393, 1.9685956405384342],
        &[3.710302873280012, 2.5114274891329114, 1.9930474579953645],
        &[4.332633636066481, 2.9631315993640026, 2.359044294009092, 2.0140901411318657],
        &[4.8768849575657205, 3.357011921570936, 2.6802800500177595, 2.289816791133989, 2.0310319981849103],
    ];
    for (k, (pub_bounds, sci_bounds)) in published.iter().zip(scipy).enumerate() {
        let plan = SequentialPlan::equally_spaced(0.05, k + 2).unwrap();
        assert_eq!(plan.looks(), k + 2);
        for ((&ours, &p), &s) in plan.boundaries().iter().zip(pub_bounds.iter()).zip(sci_bounds) {
            // 2e-4: ld98's published 3.3569 (K = 5, look 2) differs by 1.1e-4 from both this
            // recursion and scipy's bivariate normal (3.357012).
            assert_abs_diff_eq!(ours, p, epsilon = 2e-4);
            assert_abs_diff_eq!(ours, s, epsilon = 1e-5);
        }
        assert_relative_eq!(*plan.cumulative_alpha().last().unwrap(), 0.05, max_relative = 1e-9);
    }
}

#[test]
fn unequally_spaced_boundaries_match_scipy_multivariate_normal() {
    // bench/ab_reference.py: fractions (0.3, 0.7, 1.0), scipy MVN solution.
    let plan = SequentialPlan::obrien_fleming(0.05, &[0.3, 0.7, 1.0]).unwrap();
    for (&ours, &s) in plan.boundaries().iter().zip(&[3.9285725426260836, 2.438742372688956, 2.0000085667642846]) {
        assert_abs_diff_eq!(ours, s, epsilon = 1e-5);
    }
    // One look is a fixed-sample test at z_{0.975} = 1.959963984540054 (scipy.stats.norm.isf(0.025));
    // statrs' erfc/erfc_inv agree with scipy to ~2e-11.
    let single = SequentialPlan::equally_spaced(0.05, 1).unwrap();
    assert_abs_diff_eq!(single.boundaries()[0], 1.959963984540054, epsilon = 1e-9);
}

#[test]
fn naive_repeated_testing_inflates_alpha_as_armitage_mcpherson_rowe() {
    // Armitage, McPherson & Rowe (1969), JRSS A 132:235, Table 2 (3 decimals), nominal 0.05:
    // 2 looks 0.083, 3 0.107, 4 0.126, 5 0.142, 10 0.193. Finer: bench/ab_reference.py scipy MVN.
    let cases = [
        (2, 0.0831178033545179),
        (3, 0.10725637423569168),
        (4, 0.1261690635542756),
        (5, 0.1416893526992593),
        (10, 0.19335651891684769),
    ];
    for (looks, reference) in cases {
        assert_abs_diff_eq!(repeated_testing_alpha(looks, 0.05).unwrap(), reference, epsilon = 1e-5);
    }
    assert_abs_diff_eq!(repeated_testing_alpha(1, 0.05).unwrap(), 0.05, epsilon = 1e-9);
}

#[test]
fn interim_looks_stop_only_beyond_the_boundary_and_warn_past_the_plan() {
    let plan = SequentialPlan::equally_spaced(0.05, 3).unwrap();
    // Boundaries ≈ 3.710, 2.511, 1.993 (test above).
    let first = plan.evaluate(1, -3.0).unwrap();
    assert!(!first.stop, "z = −3.0 is significant at 0.05 but not beyond the first boundary 3.71");
    assert_eq!(first.information_fraction, Some(1.0 / 3.0));
    assert_abs_diff_eq!(first.nominal_alpha, 2.0 * (1.0 - 0.999896), epsilon = 1e-5); // Φ(3.7103) ≈ 0.999896
    let second = plan.evaluate(2, 2.6).unwrap();
    assert!(second.stop && second.warning.is_none());
    let extra = plan.evaluate(4, 2.5).unwrap();
    assert!(extra.stop);
    assert_eq!(extra.boundary, plan.boundaries()[2]);
    assert_eq!(extra.warning, Some(PeekingWarning::MoreLooksThanPlanned { planned: 3, look: 4 }));
    assert!(extra.warning.unwrap().to_string().contains("exceeds the 3 planned looks"));

    let comparison = compare(arm(2000, 602), arm(2000, 480), 0.95).unwrap();
    let look = plan.evaluate_comparison(3, &comparison).unwrap();
    assert_eq!(look.z, comparison.z);
    assert!(look.stop);

    match unplanned_peeking(5, 0.05).unwrap() {
        Some(PeekingWarning::Unplanned { looks: 5, actual_alpha, .. }) => {
            assert_abs_diff_eq!(actual_alpha, 0.1417, epsilon = 1e-4)
        }
        other => panic!("expected an Unplanned warning, got {other:?}"),
    }
    assert_eq!(unplanned_peeking(1, 0.05).unwrap(), None);
}

#[test]
fn sequential_bad_input_returns_typed_errors() {
    assert!(bad(SequentialPlan::equally_spaced(0.05, 0), "looks"));
    assert!(bad(SequentialPlan::equally_spaced(0.0, 3), "alpha"));
    assert!(bad(SequentialPlan::equally_spaced(1.2, 3), "alpha"));
    assert!(bad(SequentialPlan::obrien_fleming(0.05, &[]), "information_fractions"));
    assert!(bad(SequentialPlan::obrien_fleming(0.05, &[0.5, 0.4, 1.0]), "information_fractions"));
    assert!(bad(SequentialPlan::obrien_fleming(0.05, &[0.0, 1.0]), "information_fractions"));
    assert!(bad(SequentialPlan::obrien_fleming(0.05, &[0.5, 0.8]), "information_fractions"));
    assert!(bad(SequentialPlan::obrien_fleming(0.05, &[0.5, f64::NAN, 1.0]), "information_fractions"));
    let plan = SequentialPlan::equally_spaced(0.05, 2).unwrap();
    assert!(bad(plan.evaluate(0, 1.0), "look"));
    assert!(bad(plan.evaluate(1, f64::NAN), "z"));
    assert!(bad(unplanned_peeking(0, 0.05), "looks"));
    assert!(bad(repeated_testing_alpha(3, -0.1), "alpha"));
}

// ---------------------------------------------------------------- stratified analysis

/// (name, control n, control events, treatment n, treatment events): `TIERS` in bench/ab_reference.py.
const TIERS: [(&str, u64, u64, u64, u64); 3] =
    [("high", 420, 168, 410, 127), ("medium", 800, 120, 790, 99), ("low", 1500, 45, 1480, 41)];

fn tiers(rows: &[(&str, u64, u64, u64, u64)]) -> Vec<StratumCounts> {
    rows.iter()
        .map(|&(name, nc, xc, nt, xt)| StratumCounts {
            name: name.into(),
            control: arm(nc, xc),
            treatment: arm(nt, xt),
        })
        .collect()
}

#[test]
fn mantel_haenszel_matches_statsmodels_stratified_table() {
    // bench/ab_reference.py, "stratified ['high', 'medium', 'low']": statsmodels StratifiedTable
    // (odds ratio, its RBG interval, risk ratio, CMH test); risk-difference and risk-ratio intervals
    // from the script's transcription of Greenland & Robins (1985).
    let r = compare_stratified(&tiers(&TIERS), 0.95).unwrap();
    assert_relative_eq!(r.odds_ratio, 0.7694038532843015, max_relative = REF_TOL);
    assert_relative_eq!(r.odds_ratio_ci.lower, 0.6407370150963616, max_relative = REF_TOL);
    assert_relative_eq!(r.odds_ratio_ci.upper, 0.9239083672412802, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio, 0.8166482934433351, max_relative = REF_TOL);
    assert_relative_eq!(r.cmh_statistic, 7.905918094410663, max_relative = REF_TOL);
    assert_relative_eq!(r.cmh_p_value, 0.004927332747469704, max_relative = 1e-8);
    assert_relative_eq!(r.cmh_statistic_corrected, 7.646688162107735, max_relative = REF_TOL);
    assert_relative_eq!(r.cmh_p_value_corrected, 0.005687664404779635, max_relative = 1e-8);
    assert_relative_eq!(r.risk_difference, -0.022405482022324105, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_difference_ci.lower, -0.037976270206322896, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_difference_ci.upper, -0.006834693838325315, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.lower, 0.7087386939338625, max_relative = REF_TOL);
    assert_relative_eq!(r.risk_ratio_ci.upper, 0.9409877588059927, max_relative = REF_TOL);
    assert_relative_eq!(r.relative_reduction, 1.0 - 0.8166482934433351, max_relative = REF_TOL);
    assert_eq!(r.strata.len(), 3);
    assert_eq!(r.strata[0].name, "high");
    let high = r.strata[0].comparison.as_ref().unwrap();
    assert_relative_eq!(high.risk_ratio, (127.0 / 410.0) / (168.0 / 420.0), max_relative = 1e-12);
}

#[test]
fn one_stratum_reduces_to_the_unstratified_katz_and_wald_intervals() {
    // With one stratum the Greenland–Robins variances equal Katz's (risk ratio) and the Wald
    // variance p₁q₁/n₁ + p₀q₀/n₀ (difference): algebra in bench/ab_reference.py's comment; the
    // script's single-stratum run prints RR CI (0.642952675766528, 0.9326973390947328).
    let r = compare_stratified(&tiers(&TIERS[..1]), 0.95).unwrap();
    let single = compare(arm(420, 168), arm(410, 127), 0.95).unwrap();
    assert_relative_eq!(r.risk_ratio_ci.lower, single.risk_ratio_ci.lower, max_relative = 1e-12);
    assert_relative_eq!(r.risk_ratio_ci.upper, single.risk_ratio_ci.upper, max_relative = 1e-12);
    assert_relative_eq!(r.risk_ratio_ci.lower, 0.642952675766528, max_relative = REF_TOL);
    let (pt, pc) = (127.0 / 410.0, 168.0 / 420.0);
    let wald_se = (pt * (1.0 - pt) / 410.0 + pc * (1.0 - pc) / 420.0_f64).sqrt();
    assert_relative_eq!(
        r.risk_difference_ci.upper - r.risk_difference,
        1.959963984540054 * wald_se,
        max_relative = 1e-9
    );
    assert_relative_eq!(r.cmh_statistic, 7.366269679677621, max_relative = REF_TOL);
}

#[test]
fn stratified_outcomes_are_grouped_by_label_in_first_seen_order() {
    let churned = [true, false, true, false, false, true, true, false, false, true];
    let treated = [true, false, false, true, true, false, true, false, true, false];
    let tier = ["b", "b", "a", "a", "b", "a", "a", "b", "a", "b"];
    let r = compare_stratified_outcomes(&churned, &treated, &tier, 0.95).unwrap();
    let names: Vec<&str> = r.strata.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["b", "a"]);
    // Hand count: b → treated rows 0, 4 (1 churned), control rows 1, 7, 9 (1 churned);
    // a → treated rows 3, 6, 8 (1 churned), control rows 2, 5 (2 churned).
    assert_eq!((r.strata[0].treatment, r.strata[0].control), (arm(2, 1), arm(3, 1)));
    assert_eq!((r.strata[1].treatment, r.strata[1].control), (arm(3, 1), arm(2, 2)));
}

#[test]
fn stratum_without_churners_is_kept_without_its_own_comparison() {
    let mut rows = TIERS.to_vec();
    rows.push(("new", 30, 0, 30, 0));
    let r = compare_stratified(&tiers(&rows), 0.95).unwrap();
    assert!(r.strata[3].comparison.is_none());
    // It adds nothing to the ratio estimates (a = c = 0) but weight to the risk difference.
    let without = compare_stratified(&tiers(&TIERS), 0.95).unwrap();
    assert_relative_eq!(r.risk_ratio, without.risk_ratio, max_relative = 1e-12);
    assert_relative_eq!(r.odds_ratio, without.odds_ratio, max_relative = 1e-12);
    assert!(r.risk_difference.abs() < without.risk_difference.abs());
}

#[test]
fn stratified_bad_input_returns_typed_errors() {
    assert!(matches!(compare_stratified(&[], 0.95), Err(Error::EmptyData { .. })));
    let empty_arm = tiers(&[("high", 0, 0, 10, 3)]);
    assert!(
        matches!(compare_stratified(&empty_arm, 0.95), Err(Error::EmptyArm { arm }) if arm == "control in stratum `high`")
    );
    let no_churn = tiers(&[("high", 10, 0, 10, 0), ("low", 5, 0, 7, 0)]);
    assert!(matches!(compare_stratified(&no_churn, 0.95), Err(Error::NoOutcomeVariation { events: 0, n: 32 })));
    assert!(bad(compare_stratified(&tiers(&TIERS), 0.0), "level"));
    assert!(matches!(
        compare_stratified_outcomes(&[true], &[true, false], &["a"], 0.95),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        compare_stratified_outcomes(&[true, false], &[true, false], &["a"], 0.95),
        Err(Error::ShapeMismatch { .. })
    ));
    let none: [&str; 0] = [];
    assert!(matches!(compare_stratified_outcomes(&[], &[], &none, 0.95), Err(Error::EmptyData { .. })));
}

// ---------------------------------------------------------------- randomised assignment

#[test]
fn assigner_draw_matches_python_siphash_reference() {
    // bench/ab_reference.py, "assigner draw": siphashc 2.9.1 keyed (seed, seed ^ 0x9E3779B97F4A7C15).
    let cases =
        [(2024, "customer-42", 0.008154639381502626), (7, "C-000123", 0.9595745555321886), (7, "", 0.867416301465404)];
    for (seed, id, draw) in cases {
        let assigner = Assigner::new(seed, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
        assert_eq!(assigner.draw(id), draw);
    }
    let assigner = Assigner::new(2024, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
    assert_eq!(assigner.assign("customer-42", "any"), "control"); // draw 0.008 < 0.5
}

#[test]
fn assignment_is_deterministic_and_ignores_the_stratum_when_weights_agree() {
    let a = Assigner::new(99, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
    let b = Assigner::new(99, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
    for i in 0..1000 {
        let id = format!("cust-{i}");
        assert_eq!(a.assign(&id, "high"), b.assign(&id, "high"));
        assert_eq!(a.assign(&id, "high"), a.assign(&id, "low"));
    }
}

#[test]
fn assignment_proportions_follow_the_weights_within_each_stratum() {
    let assigner = Assigner::new(11, &[("control", 1.0), ("coupon", 1.0), ("call", 2.0)])
        .unwrap()
        .with_stratum_weights("low", &[8.0, 1.0, 1.0])
        .unwrap();
    let n = 20_000;
    for (stratum, expected) in [("high", [0.25, 0.25, 0.5]), ("low", [0.8, 0.1, 0.1])] {
        let mut counts = [0usize; 3];
        for i in 0..n {
            counts[assigner.assign_index(&format!("{stratum}-{i}"), stratum)] += 1;
        }
        for (count, p) in counts.iter().zip(expected) {
            // Binomial sd of a share is √(p(1−p)/n) ≤ 0.0036 at n = 20,000; allow 5 sd.
            let tolerance = 5.0 * (p * (1.0 - p) / n as f64).sqrt();
            assert_abs_diff_eq!(*count as f64 / n as f64, p, epsilon = tolerance);
        }
    }
    assert_eq!(assigner.arms(), ["control", "coupon", "call"]);
}

#[test]
fn different_seeds_give_different_assignments() {
    let a = Assigner::new(1, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
    let b = Assigner::new(2, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
    let n = 2000;
    let differing = (0..n).filter(|i| a.assign(&format!("c{i}"), "") != b.assign(&format!("c{i}"), "")).count();
    // Independent 50/50 draws disagree half the time: 1000 ± 22 (sd); allow 5 sd.
    assert!((differing as f64 - 1000.0).abs() < 112.0, "{differing} of {n} differ");
}

#[test]
fn assigner_bad_input_returns_typed_errors() {
    assert!(bad(Assigner::new(1, &[("control", 1.0)]), "arms"));
    assert!(bad(Assigner::new(1, &[("control", 1.0), ("control", 1.0)]), "arms"));
    assert!(bad(Assigner::new(1, &[("control", 1.0), ("", 1.0)]), "arms"));
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(bad(Assigner::new(1, &[("control", 1.0), ("treatment", w)]), "weight"));
    }
    let assigner = Assigner::new(1, &[("control", 1.0), ("treatment", 1.0)]).unwrap();
    assert!(matches!(
        assigner.clone().with_stratum_weights("low", &[1.0]),
        Err(Error::ShapeMismatch { expected: 2, found: 1, .. })
    ));
    assert!(bad(assigner.with_stratum_weights("low", &[1.0, -2.0]), "weight"));
}

// ---------------------------------------------------------------- one-line summaries

#[test]
fn clustered_and_stratified_results_print_one_line_summaries() {
    let r = compare_stratified(&tiers(&TIERS), 0.95).unwrap();
    // Risk ratio 0.81665 with interval (0.70874, 0.94099), bench/ab_reference.py (stratified).
    assert_eq!(r.to_string(), "3 strata: −18.3% relative (Mantel–Haenszel, 95% CI −29.1% to −5.9%), CMH p = 0.005");

    let sizes = [("s1", 3), ("s2", 5), ("s3", 4), ("s4", 6), ("s5", 2), ("s6", 5), ("s7", 3)];
    let clusters: Vec<&str> = sizes.iter().flat_map(|&(c, k)| std::iter::repeat_n(c, k)).collect();
    let treated: Vec<bool> = clusters.iter().map(|c| ["s4", "s5", "s6", "s7"].contains(c)).collect();
    let y = [
        1., 0., 1., 0., 0., 1., 1., 1., 0., 0., 0., 1., 0., 0., 1., 0., 0., 0., 1., 1., 0., 0., 0., 0., 1., 0., 1., 0.,
    ];
    let c = compare_clustered(&y, &treated, &clusters, 0.90).unwrap();
    // Means 6/12 and 5/16 = 31.25 % (Rust rounds the exact tie to even: 31.2), difference −18.75 pp, 90% CI (−50.5, +13.0) pp, p = 0.295 (statsmodels, above);
    // design effect (0.16342/0.19002)² = 0.74.
    assert_eq!(
        c.to_string(),
        "mean 50.0% → 31.2%, −18.8 pp (90% CI −50.5 to +13.0 pp), p = 0.295 (cluster-robust, 7 clusters, design effect 0.7)"
    );
}

#[test]
fn control_arm_without_churners_gives_an_infinite_ratio_and_a_finite_adjusted_interval() {
    // Treatment 4/25 vs control 0/25: risk ratio ∞; the log-adjusted interval (statsmodels "log-adjusted",
    // 0.5 added to events and customers) is finite.
    let r = compare(arm(25, 0), arm(25, 4), 0.95).unwrap();
    assert!(r.risk_ratio.is_infinite() && r.relative_reduction == f64::NEG_INFINITY);
    assert!(r.risk_ratio_adjusted && r.risk_ratio_ci.lower.is_finite() && r.risk_ratio_ci.upper.is_finite());
    assert!(r.to_string().starts_with("churn 0.0% → 16.0%, n/a relative"), "{r}");
}
