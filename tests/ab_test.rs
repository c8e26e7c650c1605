//! Integration tests of `churnguard::eval::ab`.
//!
//! Unless said otherwise, reference values come from `bench/ab_reference.py`
//! (scipy 1.17.1, statsmodels 0.15.0), whose printed numbers are pasted here.

use approx::{assert_abs_diff_eq, assert_relative_eq};
use churnguard::Error;
use churnguard::eval::ab::{ArmCounts, TestUsed, compare, compare_outcomes, parse_flags};

/// Relative tolerance for values pasted from the reference script.
const REF_TOL: f64 = 1e-9;

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
