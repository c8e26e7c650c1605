//! Time to churn (`regression::survival`) against textbook cases and lifelines 0.30.3 on the IBM Telco data.
//! Reference values: bench/survival_reference.py unless a comment says otherwise.

use std::path::Path;

use approx::{assert_abs_diff_eq, assert_relative_eq};
use churnguard::Error;
use churnguard::features::{LabeledMatrix, TableSpec};
use churnguard::regression::factors::{DesignMatrix, MissingValues};
use churnguard::regression::survival::{CoxPh, CoxWarning, KaplanMeier, Ties, concordance_index, logrank_test};
use ndarray::{Array2, array};

const TELCO: &str = "../shared/data/telco_churn.csv";

/// 6-MP treatment arm of the Freireich et al. (1963) leukaemia trial (Klein & Moeschberger, Table 4.1):
/// 9 relapses, 12 censored.
fn six_mp() -> (Vec<f64>, Vec<bool>) {
    let t = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35];
    (t.iter().map(|&v| f64::from(v)).collect(), (0..21).map(|i| i < 9).collect())
}

#[test]
fn kaplan_meier_reproduces_the_six_mp_textbook_curve() {
    let (t, e) = six_mp();
    let km = KaplanMeier::fit(&t, &e).unwrap();
    // Hand products: S(6) = 18/21, S(7) = 18/21·16/17, S(10) = ·14/15, S(13) = ·11/12, S(16) = ·10/11,
    // S(22) = ·6/7, S(23) = ·5/6 (Klein & Moeschberger Table 4.1: 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448).
    let mut s = 1.0;
    for (time, factor) in [
        (6.0, 18.0 / 21.0),
        (7.0, 16.0 / 17.0),
        (10.0, 14.0 / 15.0),
        (13.0, 11.0 / 12.0),
        (16.0, 10.0 / 11.0),
        (22.0, 6.0 / 7.0),
        (23.0, 5.0 / 6.0),
    ] {
        s *= factor;
        assert_abs_diff_eq!(km.survival_at(time), s, epsilon = 1e-12);
    }
    assert_abs_diff_eq!(km.survival_at(9.5), 18.0 / 21.0 * 16.0 / 17.0, epsilon = 1e-12);
    assert_eq!(km.survival_at(5.9), 1.0);
    assert_eq!(km.median(), Some(23.0));
    assert_eq!(km.timeline()[..4], [0.0, 6.0, 7.0, 9.0]);
    assert_eq!((km.at_risk()[1], km.observed()[1], km.censored()[1]), (21, 3, 1));
    assert_eq!((km.n_subjects(), km.n_events()), (21, 9));
    // Greenwood at t = 6: S² · 3/(21·18).
    assert_abs_diff_eq!(km.variance_at(6.0), (18.0f64 / 21.0).powi(2) * 3.0 / (21.0 * 18.0), epsilon = 1e-14);
}

#[test]
fn kaplan_meier_log_log_intervals_match_lifelines() {
    let (t, e) = six_mp();
    let km = KaplanMeier::fit(&t, &e).unwrap();
    // lifelines KaplanMeierFitter().fit(T, E): (t, S, lower_0.95, upper_0.95).
    let expected = [
        (6.0, 0.857142857142857, 0.6197179552659838, 0.9515517476469969),
        (7.0, 0.8067226890756299, 0.5631465646222333, 0.9228090192028802),
        (10.0, 0.7529411764705878, 0.5031995107999564, 0.8893618351692651),
        (13.0, 0.6901960784313722, 0.4316102224861839, 0.8490659633494505),
        (16.0, 0.6274509803921566, 0.36751085598750194, 0.8049121894718411),
        (22.0, 0.5378151260504199, 0.26777893676713493, 0.7467907176353943),
        (23.0, 0.44817927170868327, 0.18805200595923233, 0.6801426284952412),
    ];
    for (time, s, low, high) in expected {
        assert_relative_eq!(km.survival_at(time), s, max_relative = 1e-12);
        let (l, h) = km.confidence_interval_at(time);
        assert_relative_eq!(l, low, max_relative = 1e-9);
        assert_relative_eq!(h, high, max_relative = 1e-9);
    }
    // KaplanMeierFitter(alpha=0.10): 90% interval at t = 13.
    let km90 = KaplanMeier::params().confidence_level(0.90).fit(&t, &e).unwrap();
    let (l, h) = km90.confidence_interval_at(13.0);
    assert_relative_eq!(l, 0.47870030967424376, max_relative = 1e-9);
    assert_relative_eq!(h, 0.8297610650198315, max_relative = 1e-9);
}

#[test]
fn kaplan_meier_curve_that_reaches_zero_has_degenerate_bounds() {
    // lifelines on durations [1, 2, 3], all events: S = 2/3, 1/3, 0 and bounds (0, 0) at S = 0.
    let km = KaplanMeier::fit(&[1.0, 2.0, 3.0], &[true, true, true]).unwrap();
    assert_abs_diff_eq!(km.survival_at(2.0), 1.0 / 3.0, epsilon = 1e-15);
    assert_eq!(km.survival_at(3.0), 0.0);
    assert_eq!(km.confidence_interval_at(3.0), (0.0, 0.0));
    // lifelines: lower 0.054073, upper 0.945206 at t = 1.
    let (l, h) = km.confidence_interval_at(1.0);
    assert_abs_diff_eq!(l, 0.054073, epsilon = 1e-6);
    assert_abs_diff_eq!(h, 0.945206, epsilon = 1e-6);
    assert_eq!(km.median(), Some(2.0));
    assert_eq!(km.time_to_churn_share(0.9), Some(3.0));
}

#[test]
fn median_is_absent_when_the_curve_stays_above_one_half() {
    let km = KaplanMeier::fit(&[1.0, 2.0, 3.0, 4.0], &[true, false, false, false]).unwrap();
    assert_eq!(km.median(), None);
    assert_eq!(km.survival_at(10.0), 0.75);
}

#[test]
fn bad_survival_input_is_a_typed_error() {
    let err = KaplanMeier::fit(&[1.0, -2.0], &[true, false]).unwrap_err();
    assert!(matches!(err, Error::NegativeDuration { row: 1, .. }), "{err}");
    let err = KaplanMeier::fit(&[1.0, f64::NAN], &[true, false]).unwrap_err();
    assert!(matches!(err, Error::NonFinite { row: 1, .. }), "{err}");
    let err = KaplanMeier::fit(&[1.0, 2.0], &[true]).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let err = KaplanMeier::fit(&[], &[]).unwrap_err();
    assert!(matches!(err, Error::EmptyData { .. }), "{err}");
    let err = KaplanMeier::params().confidence_level(0.0).fit(&[1.0], &[true]).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "level", .. }), "{err}");
    let err = logrank_test(&[1.0, 2.0], &[true, false], &["a", "a"]).unwrap_err();
    assert!(matches!(err, Error::TooFewGroups { found: 1 }), "{err}");
    let err = logrank_test(&[1.0, 2.0], &[false, false], &["a", "b"]).unwrap_err();
    assert!(matches!(err, Error::NoObservedEvents { .. }), "{err}");
    let err = concordance_index(&[1.0, 2.0], &[0.5, f64::INFINITY], &[true, true]).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    let err = concordance_index(&[1.0, 2.0], &[0.5, 0.7], &[false, false]).unwrap_err();
    assert!(matches!(err, Error::EmptyData { .. }), "{err}");
}

#[test]
fn two_group_logrank_matches_the_hand_computed_statistic() {
    // Group a: deaths at 1, 3; group b: death at 2, censored at 4. Event times (n_a, n_b, d):
    // t=1: (2,2,1) E_a = 1/2, V = 1·3/3·(1/2)(1/2) = 1/4; t=2: (1,2,1) E_a = 1/3, V = 2/9;
    // t=3: (1,1,1) E_a = 1/2, V = 1/4. O_a − E_a = 2 − 4/3 = 2/3, V = 13/18 → χ² = (4/9)/(13/18) = 8/13.
    let test = logrank_test(&[1.0, 3.0, 2.0, 4.0], &[true, true, true, false], &["a", "a", "b", "b"]).unwrap();
    assert_abs_diff_eq!(test.statistic, 8.0 / 13.0, epsilon = 1e-12);
    assert_eq!(test.degrees_of_freedom, 1);
    assert_abs_diff_eq!(test.expected[0], 4.0 / 3.0, epsilon = 1e-12);
    assert_eq!(test.groups, ["a", "b"]);
    // p = P(χ²₁ > 8/13): scipy.stats.chi2.sf(8/13, 1) = 0.43276758066778465.
    assert_relative_eq!(test.p_value, 0.43276758066778465, max_relative = 1e-9);
}

#[test]
fn cox_partial_likelihood_with_ties_matches_lifelines_on_a_small_sample() {
    // lifelines CoxPHFitter (Efron) on 10 subjects with tied event times: coef, se, log-likelihood, concordance.
    let t = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let e = [true, true, false, true, true, false, true, false, true, false];
    let x = array![[1.0], [0.0], [1.0], [2.0], [0.5], [0.0], [1.5], [1.0], [0.0], [0.2]];
    let fit = CoxPh::params().fit(x.view(), &["x".to_string()], &t, &e).unwrap();
    assert!(fit.converged());
    let term = &fit.terms()[0];
    assert_relative_eq!(term.coefficient, 0.5691616606673787, max_relative = 1e-6);
    assert_relative_eq!(term.std_error, 0.6406518656652203, max_relative = 1e-6);
    assert_relative_eq!(fit.log_partial_likelihood(), -9.925155161139793, max_relative = 1e-9);
    assert_relative_eq!(fit.concordance(), 0.5666666666666667, max_relative = 1e-12);
}

#[test]
fn concordance_counts_ties_as_lifelines_does() {
    // lifelines.utils.concordance_index on tied times and tied scores.
    let t = [1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0, 1.0, 7.0];
    let e = [true, true, false, true, true, false, false, true, true, false, false, true];
    let s = [0.5, 1.0, 1.0, 0.2, 3.0, 1.0, 2.0, 2.0, 0.5, 4.0, 1.0, 2.0];
    assert_relative_eq!(concordance_index(&t, &s, &e).unwrap(), 0.7567567567567568, max_relative = 1e-12);
}

#[test]
fn cox_rejects_constant_and_collinear_columns_by_name() {
    let t = [1.0, 2.0, 3.0, 4.0, 5.0];
    let e = [true, false, true, true, false];
    let names: Vec<String> = ["tenure_bucket", "region", "region_copy"].iter().map(|s| s.to_string()).collect();
    let constant = array![[1.0, 3.0, 0.0], [2.0, 3.0, 1.0], [0.0, 3.0, 0.5], [1.0, 3.0, 2.0], [2.0, 3.0, 0.0]];
    let err = CoxPh::params().fit(constant.view(), &names, &t, &e).unwrap_err();
    assert!(matches!(err, Error::ConstantColumn { ref column, .. } if column == "region"), "{err}");
    // region_copy = 2·tenure_bucket + 2·region.
    let collinear = array![[1.0, 0.0, 2.0], [2.0, 1.0, 6.0], [0.0, 0.5, 1.0], [1.0, 2.0, 6.0], [2.0, 0.0, 4.0]];
    let err = CoxPh::params().fit(collinear.view(), &names, &t, &e).unwrap_err();
    assert!(
        matches!(err, Error::CollinearColumns { ref column, ref others, .. }
            if column == "region_copy" && others == &["tenure_bucket".to_string(), "region".to_string()]),
        "{err}"
    );
    let err = CoxPh::params().fit(collinear.view(), &names, &t, &[false; 5]).unwrap_err();
    assert!(matches!(err, Error::NoObservedEvents { n: 5, .. }), "{err}");
    let err = CoxPh::params().l2(-0.5).fit(collinear.view(), &names, &t, &e).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "l2", .. }), "{err}");
}

#[test]
fn cox_churn_probability_is_one_minus_predicted_survival_and_grows_with_horizon() {
    let t = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let e = [true, true, false, true, true, false, true, false, true, false];
    let x = array![[1.0], [0.0], [1.0], [2.0], [0.5], [0.0], [1.5], [1.0], [0.0], [0.2]];
    let fit = CoxPh::params().fit(x.view(), &["x".to_string()], &t, &e).unwrap();
    let rows = array![[0.0], [2.0]];
    let s = fit.predict_survival(rows.view(), &[0.5, 3.0, 3.5, 100.0]).unwrap();
    assert_eq!(s[[0, 0]], 1.0, "no hazard before the first event time");
    assert_eq!(s[[1, 1]], s[[1, 2]], "step function between event times");
    let p3 = fit.churn_probability_within(rows.view(), 3.0).unwrap();
    assert_abs_diff_eq!(p3[1], 1.0 - s[[1, 1]], epsilon = 1e-15);
    assert!(p3[1] > p3[0], "positive coefficient: higher x churns sooner");
    // S(t | x) = exp(−H₀(t)·exp((x − x̄)β)), x̄ = 0.72.
    let h0 = fit.baseline_cumulative_hazard_at(3.0);
    let beta = fit.terms()[0].coefficient;
    assert_abs_diff_eq!(s[[1, 1]], (-h0 * ((2.0 - 0.72) * beta).exp()).exp(), epsilon = 1e-12);
    assert!(matches!(
        fit.churn_probability_within(rows.view(), -1.0),
        Err(Error::InvalidParameter { name: "horizon", .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Telco (skipped with a note when ../shared/data is absent)
// ---------------------------------------------------------------------------------------------

/// Telco durations (tenure), events (churn == "Yes"), contract, partner and the Cox design of
/// bench/survival_reference.py (the 11 customers with tenure 0 are kept).
struct Telco {
    tenure: Vec<f64>,
    churned: Vec<bool>,
    contract: Vec<String>,
    partner: Vec<bool>,
    payment: Vec<String>,
    design: DesignMatrix,
}

fn telco() -> Option<Telco> {
    if !Path::new(TELCO).exists() {
        eprintln!("note: {TELCO} not found, skipping the Telco comparison");
        return None;
    }
    let (data, _) = LabeledMatrix::from_csv(TELCO, &TableSpec::new("churn", "Yes")).unwrap();
    let f = data.features();
    let tenure = f.numeric_column("tenure").unwrap().to_vec();
    let partner = f.numeric_column("partner").unwrap().iter().map(|&v| v == 1.0).collect();
    let text = |name: &str| -> Vec<String> {
        f.categorical_column(name).unwrap().iter().map(|v| v.unwrap_or("").to_string()).collect()
    };
    let contract = text("contract");
    let payment = text("payment_method");
    let n = data.n_rows();
    let cols: Vec<(&str, Vec<f64>)> = vec![
        ("monthly_charges", f.numeric_column("monthly_charges").unwrap().to_vec()),
        ("senior_citizen", f.numeric_column("senior_citizen").unwrap().to_vec()),
        ("partner", f.numeric_column("partner").unwrap().to_vec()),
        ("dependents", f.numeric_column("dependents").unwrap().to_vec()),
        ("paperless_billing", f.numeric_column("paperless_billing").unwrap().to_vec()),
        ("contract=One year", contract.iter().map(|c| f64::from(u8::from(c == "One year"))).collect()),
        ("contract=Two year", contract.iter().map(|c| f64::from(u8::from(c == "Two year"))).collect()),
    ];
    let x = Array2::from_shape_fn((n, cols.len()), |(i, j)| cols[j].1[i]);
    let design = DesignMatrix::new(x, cols.iter().map(|c| c.0.to_string()).collect()).unwrap();
    Some(Telco { tenure, churned: data.labels().to_vec(), contract, partner, payment, design })
}

#[test]
fn telco_kaplan_meier_matches_lifelines_and_has_no_median() {
    let Some(d) = telco() else { return };
    let km = KaplanMeier::fit(&d.tenure, &d.churned).unwrap();
    assert_eq!(km.timeline().len(), 73, "0..=72 months");
    let expected = [
        (0.0, 1.0, 1.0, 1.0),
        (1.0, 0.9459613196814566, 0.9404183713158356, 0.9510021209572403),
        (12.0, 0.8431995538158302, 0.834168685811462, 0.8517833206931235),
        (24.0, 0.7887363983705965, 0.7783129555299131, 0.798735202136176),
        (48.0, 0.7088401843460741, 0.696245083070984, 0.7210227332102613),
        (72.0, 0.5927901520522275, 0.5730628910042918, 0.6119362091926619),
    ];
    for (t, s, low, high) in expected {
        assert_relative_eq!(km.survival_at(t), s, max_relative = 1e-10);
        let (l, h) = km.confidence_interval_at(t);
        assert_relative_eq!(l, low, max_relative = 1e-9);
        assert_relative_eq!(h, high, max_relative = 1e-9);
    }
    assert_eq!(km.median(), None, "lifelines median_survival_time_ = inf");
    // By contract: lifelines medians 35 / inf / inf, S(12) and S(36).
    let curves = KaplanMeier::params().fit_groups(&d.tenure, &d.churned, &d.contract).unwrap();
    let names: Vec<&str> = curves.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(names, ["Month-to-month", "One year", "Two year"]);
    let expected = [
        (Some(35.0), 0.7030966363488644, 0.49110396952483704),
        (None, 0.9908082040748656, 0.9593071274706106),
        (None, 1.0, 0.9986759658872691),
    ];
    for ((_, km), (median, s12, s36)) in curves.iter().zip(expected) {
        assert_eq!(km.median(), median);
        assert_relative_eq!(km.survival_at(12.0), s12, max_relative = 1e-10);
        assert_relative_eq!(km.survival_at(36.0), s36, max_relative = 1e-10);
    }
}

#[test]
fn telco_logrank_tests_match_lifelines() {
    let Some(d) = telco() else { return };
    // multivariate_logrank_test(tenure, contract, event): 2352.8725382593416 on 2 df, p = 0.0 (underflow).
    let by_contract = logrank_test(&d.tenure, &d.churned, &d.contract).unwrap();
    assert_relative_eq!(by_contract.statistic, 2352.8725382593416, max_relative = 1e-9);
    assert_eq!(by_contract.degrees_of_freedom, 2);
    assert!(by_contract.p_value < 1e-300);
    // logrank_test(partner == 1 vs 0): 423.54308160011647, p = 4.1329511344265255e-94.
    let by_partner = logrank_test(&d.tenure, &d.churned, &d.partner).unwrap();
    assert_relative_eq!(by_partner.statistic, 423.54308160011647, max_relative = 1e-9);
    assert_relative_eq!(by_partner.p_value, 4.1329511344265255e-94, max_relative = 1e-6);
    // Two automatic payment methods barely differ: 0.8682946879720729, p = 0.35142784405735006.
    let keep: Vec<usize> = (0..d.tenure.len()).filter(|&i| d.payment[i].contains("automatic")).collect();
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let events: Vec<bool> = keep.iter().map(|&i| d.churned[i]).collect();
    let groups: Vec<&str> = keep.iter().map(|&i| d.payment[i].as_str()).collect();
    let auto = logrank_test(&pick(&d.tenure), &events, &groups).unwrap();
    assert_relative_eq!(auto.statistic, 0.8682946879720729, max_relative = 1e-9);
    assert_relative_eq!(auto.p_value, 0.35142784405735006, max_relative = 1e-8);
}

/// (name, coef, se, p): lifelines CoxPHFitter().fit(..., fit_options precision 1e-12) on Telco.
const LIFELINES_EFRON: [(&str, f64, f64, f64); 7] = [
    ("monthly_charges", -0.0001699388482040876, 0.0009619195504309847, 0.8597704475505605),
    ("senior_citizen", 0.005266897818920438, 0.0559795068407508, 0.9250407004007709),
    ("partner", -0.577193155194826, 0.05440692089114486, 2.7115577886450826e-26),
    ("dependents", -0.1458909465143289, 0.06795411096183761, 0.031800932292201274),
    ("paperless_billing", 0.23487828285406023, 0.056227319887933926, 2.9499216373128975e-05),
    ("contract=One year", -2.097659690538736, 0.0844755189628455, 4.0903765854292285e-136),
    ("contract=Two year", -4.052435393764468, 0.15867673342223515, 7.286557959311159e-144),
];

#[test]
fn telco_cox_efron_matches_lifelines() {
    let Some(d) = telco() else { return };
    let fit = CoxPh::params().fit_design(&d.design, &d.tenure, &d.churned).unwrap();
    assert!(fit.converged());
    let (mut worst_coef, mut worst_se) = (0.0f64, 0.0f64);
    for (name, coef, se, p) in LIFELINES_EFRON {
        let t = fit.term(name).unwrap();
        worst_coef = worst_coef.max(((t.coefficient - coef) / coef).abs());
        worst_se = worst_se.max(((t.std_error - se) / se).abs());
        // Brief: coefficients within 1e-3 relative; SEs and p-values are held to the same bound.
        assert_relative_eq!(t.coefficient, coef, max_relative = 1e-3);
        assert_relative_eq!(t.std_error, se, max_relative = 1e-3);
        assert_relative_eq!(t.p_value, p, max_relative = 1e-3);
    }
    println!("largest relative difference to lifelines: coefficient {worst_coef:.2e}, standard error {worst_se:.2e}");
    // log_likelihood_, _ll_null_, concordance_index_, AIC_partial_, log_likelihood_ratio_test().
    assert_relative_eq!(fit.log_partial_likelihood(), -14249.267668358832, max_relative = 1e-9);
    assert_relative_eq!(fit.null_log_partial_likelihood(), -15653.039635111487, max_relative = 1e-12);
    assert_relative_eq!(fit.concordance(), 0.81778296978657, max_relative = 1e-9);
    assert_relative_eq!(fit.aic_partial(), 28512.535336717665, max_relative = 1e-9);
    assert_relative_eq!(fit.likelihood_ratio_test().0, 2807.543933505309, max_relative = 1e-7);
    // baseline_cumulative_hazard_ at 1, 12 and 72 months.
    for (t, h) in [(1.0, 0.01956927364199581), (12.0, 0.07043219028112084), (72.0, 0.9092883718238958)] {
        assert_relative_eq!(fit.baseline_cumulative_hazard_at(t), h, max_relative = 1e-6);
    }
    // predict_survival_function(rows 0..3, times=[12, 24]) and predict_partial_hazard(rows 0..3).
    let rows = d.design.x().slice(ndarray::s![0..3, ..]).to_owned();
    let s = fit.predict_survival(rows.view(), &[12.0, 24.0]).unwrap();
    let expected = [
        [0.7800914726560713, 0.6802104094028648],
        [0.9581715412003442, 0.935848825792767],
        [0.6437089721577675, 0.5048303582915861],
    ];
    for (i, row) in expected.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            assert_relative_eq!(s[[i, j]], v, max_relative = 1e-6);
        }
    }
    let partial = fit.predict_partial_hazard(rows.view()).unwrap();
    for (i, v) in [3.526002706250877, 0.6066608900648254, 6.254364089025541].iter().enumerate() {
        assert_relative_eq!(partial[i], *v, max_relative = 1e-6);
    }
    let within_12 = fit.churn_probability_within(rows.view(), 12.0).unwrap();
    assert_relative_eq!(within_12[2], 1.0 - 0.6437089721577675, max_relative = 1e-6);
}

#[test]
fn telco_cox_breslow_matches_statsmodels_phreg() {
    let Some(d) = telco() else { return };
    let fit = CoxPh::params().ties(Ties::Breslow).fit_design(&d.design, &d.tenure, &d.churned).unwrap();
    // statsmodels 0.15.0 PHReg(ties="breslow") (lifelines fits Efron only), bench/survival_reference.py.
    let expected = [
        ("monthly_charges", -4.63623699553874e-05, 0.0009636689194759425),
        ("senior_citizen", 0.004326435581539038, 0.05596897875103863),
        ("partner", -0.5673070279881477, 0.0544640480290283),
        ("dependents", -0.1445483846248126, 0.06795495756826171),
        ("paperless_billing", 0.2304494699738936, 0.05620893853631082),
        ("contract=One year", -2.083912303346942, 0.08450459801843445),
        ("contract=Two year", -4.03242955998621, 0.15849628846335798),
    ];
    for (name, coef, se) in expected {
        let t = fit.term(name).unwrap();
        assert_relative_eq!(t.coefficient, coef, max_relative = 1e-3);
        assert_relative_eq!(t.std_error, se, max_relative = 1e-3);
    }
    assert_relative_eq!(fit.log_partial_likelihood(), -14285.95766820261, max_relative = 1e-9);
}

#[test]
fn telco_cox_l2_penalty_matches_lifelines_penalizer() {
    let Some(d) = telco() else { return };
    let fit = CoxPh::params().l2(0.1).fit_design(&d.design, &d.tenure, &d.churned).unwrap();
    // lifelines CoxPHFitter(penalizer=0.1): (name, coef, se).
    let expected = [
        ("monthly_charges", 0.0011966781553199176, 0.0007286446746750599),
        ("senior_citizen", 0.1211341285929439, 0.0488398329046646),
        ("partner", -0.4775283232813409, 0.04250752748196505),
        ("dependents", -0.22934289275567227, 0.05040615019197045),
        ("paperless_billing", 0.2616894026098223, 0.04426083578726231),
        ("contract=One year", -1.109908673187839, 0.053637199265034956),
        ("contract=Two year", -1.6539162487066423, 0.057423650058546175),
    ];
    for (name, coef, se) in expected {
        let t = fit.term(name).unwrap();
        assert_relative_eq!(t.coefficient, coef, max_relative = 1e-3);
        assert_relative_eq!(t.std_error, se, max_relative = 1e-3);
    }
}

#[test]
fn telco_cox_from_a_feature_matrix_design_uses_drop_first_contract_columns() {
    let Some(d) = telco() else { return };
    let spec = TableSpec::new("churn", "Yes");
    let (data, _) = LabeledMatrix::from_csv(TELCO, &spec).unwrap();
    let keep = [
        "monthly_charges",
        "senior_citizen",
        "partner",
        "dependents",
        "paperless_billing",
        "contract=One year",
        "contract=Two year",
    ];
    let full = DesignMatrix::from_features(data.features(), MissingValues::DropRows).unwrap();
    let drop: Vec<&str> = full.names().iter().map(String::as_str).filter(|n| !keep.contains(n)).collect();
    let design = full.without(&drop).unwrap();
    // 11 rows (blank total_charges, tenure 0) are dropped here, so the fit differs slightly from
    // lifelines on all 7,043 rows, but the hazard ratios of contract stay close.
    let fit = CoxPh::params().fit_design(&design, &d.tenure, &d.churned).unwrap();
    assert_eq!(fit.n_subjects(), 7032);
    assert_relative_eq!(fit.term("contract=Two year").unwrap().coefficient, -4.052435393764468, max_relative = 1e-2);
}

#[test]
fn cox_warns_when_a_covariate_orders_the_churns_perfectly() {
    // Everyone with promo = 1 churns before anyone with promo = 0 leaves: the partial likelihood
    // rises without bound in β_promo (monotone likelihood).
    let t = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let e = [true, true, true, true, false, true, false, true];
    let x = array![[1.0, 0.3], [1.0, 0.9], [1.0, 0.2], [1.0, 0.5], [0.0, 0.4], [0.0, 0.8], [0.0, 0.1], [0.0, 0.6]];
    let names = vec!["promo".to_string(), "usage".to_string()];
    let fit = CoxPh::params().fit(x.view(), &names, &t, &e).unwrap();
    assert_eq!(fit.warnings(), [CoxWarning::MonotoneLikelihood { columns: vec!["promo".into()] }]);
    assert!(fit.terms().iter().all(|t| t.coefficient.is_finite() && t.std_error.is_finite()));
    let penalised = CoxPh::params().l2(0.1).fit(x.view(), &names, &t, &e).unwrap();
    assert!(penalised.warnings().is_empty(), "{:?}", penalised.warnings());
    assert!(penalised.term("promo").unwrap().coefficient > 0.0);
}
