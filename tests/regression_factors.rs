//! Churn factors (`regression::factors`) against hand-checkable cases and statsmodels on the IBM Telco data.

use std::path::Path;

use approx::{assert_abs_diff_eq, assert_relative_eq};
use churnguard::Error;
use churnguard::features::{LabeledMatrix, TableSpec};
use churnguard::regression::factors::{ChurnFactors, DesignMatrix, FactorWarning, INTERCEPT, MissingValues, TermOrder};
use ndarray::{Array2, array};

const TELCO: &str = "../shared/data/telco_churn.csv";

/// The Telco design of bench/factors_reference.py: blank total_charges rows dropped, drop-first
/// one-hot categoricals, with the labels of all source rows (as `fit_design` takes them).
/// Returns `None` (with a note) when the data folder is absent.
fn telco_design() -> Option<(DesignMatrix, Vec<bool>)> {
    if !Path::new(TELCO).exists() {
        eprintln!("note: {TELCO} not found, skipping the Telco comparison");
        return None;
    }
    let (data, _) = LabeledMatrix::from_csv(TELCO, &TableSpec::new("churn", "Yes")).unwrap();
    let design = DesignMatrix::from_features(data.features(), MissingValues::DropRows).unwrap();
    Some((design, data.labels().to_vec()))
}

/// The 7 indicators that duplicate `internet_service=No` and `1 − phone_service` exactly.
const ALIASED: [&str; 7] = [
    "multiple_lines=No phone service",
    "online_security=No internet service",
    "online_backup=No internet service",
    "device_protection=No internet service",
    "tech_support=No internet service",
    "streaming_tv=No internet service",
    "streaming_movies=No internet service",
];

/// (name, coefficient, standard error, p-value): statsmodels 0.15.0 `Logit(...).fit(method="newton",
/// tol=1e-14)` on telco_churn.csv, printed by bench/factors_reference.py.
const STATSMODELS: [(&str, f64, f64, f64); 24] = [
    ("(intercept)", 1.1434547538841626, 0.8164310034680722, 0.1613478343121919),
    ("female", 0.021832732875098227, 0.06480497413349874, 0.7361930171457338),
    ("senior_citizen", 0.2167750380772463, 0.08453095112678007, 0.010334073383803849),
    ("partner", -0.0003839967924452959, 0.07783047701117153, 0.9960634460836291),
    ("dependents", -0.14848782170678326, 0.08973221164557237, 0.09796743060750812),
    ("tenure", -0.06058757664205944, 0.006236069193056046, 2.5854861410041654e-22),
    ("phone_service", 0.17146779528057246, 0.6486976008372296, 0.7915285453929679),
    ("paperless_billing", 0.34235364327797, 0.07449615401995582, 4.3153029162272776e-06),
    ("monthly_charges", -0.04034352866237738, 0.03175531021420778, 0.20392444078319105),
    ("total_charges", 0.00032894019612542385, 7.063170016069253e-05, 3.2066592052435917e-06),
    ("multiple_lines=Yes", 0.44839544001388615, 0.1772573144804075, 0.011418282995359559),
    ("internet_service=Fiber optic", 1.7474749136920082, 0.7980862242020832, 0.02855459447982364),
    ("internet_service=No", -1.786294729851245, 0.8072752673141526, 0.02691519530446098),
    ("online_security=Yes", -0.20542003480329496, 0.17868938019735175, 0.2503116022304339),
    ("online_backup=Yes", 0.026041850238923622, 0.17540266161794513, 0.8819726830783526),
    ("device_protection=Yes", 0.14737499878935023, 0.17637531112511975, 0.40339340546966107),
    ("tech_support=Yes", -0.1804968049851561, 0.18060375239344376, 0.31759716640243685),
    ("streaming_tv=Yes", 0.5905074099545009, 0.32631217026984977, 0.07035170200142848),
    ("streaming_movies=Yes", 0.5992957153405272, 0.32668635800658397, 0.06658453300945076),
    ("contract=One year", -0.6607952886805788, 0.10758653181377142, 8.149453253007766e-10),
    ("contract=Two year", -1.3571062697464185, 0.17646044000682953, 1.4631945859492933e-14),
    ("payment_method=Credit card (automatic)", -0.08779181708906411, 0.11408091910514571, 0.44156247481151967),
    ("payment_method=Electronic check", 0.304467270546237, 0.09449746933529136, 0.0012731594772138692),
    ("payment_method=Mailed check", -0.057587195010212804, 0.11491281464325782, 0.6162739013380227),
];

#[test]
fn telco_coefficients_and_standard_errors_match_statsmodels() {
    let Some((design, labels)) = telco_design() else { return };
    let design = design.without(&ALIASED).unwrap();
    assert_eq!(design.x().nrows(), 7032, "11 rows with blank total_charges dropped");
    let fit = ChurnFactors::params().fit_design(&design, &labels).unwrap();
    assert!(fit.converged());
    assert!(
        fit.warnings().iter().all(|w| !matches!(w, FactorWarning::Collinear { .. } | FactorWarning::Separation { .. })),
        "{:?}",
        fit.warnings()
    );
    assert_eq!(fit.terms().len() + 1, STATSMODELS.len());
    let (mut worst_coef, mut worst_se) = (0.0f64, 0.0f64);
    for (name, coef, se, p) in STATSMODELS {
        let term = fit.term(name).unwrap_or_else(|| panic!("missing term {name}"));
        worst_coef = worst_coef.max(((term.coefficient - coef) / coef).abs());
        worst_se = worst_se.max(((term.std_error - se) / se).abs());
        // Brief: coefficients and standard errors within 1e-4 relative; p-values within 1e-6 relative.
        assert_relative_eq!(term.coefficient, coef, max_relative = 1e-4);
        assert_relative_eq!(term.std_error, se, max_relative = 1e-4);
        assert_relative_eq!(term.p_value, p, max_relative = 1e-6);
    }
    println!("largest relative difference to statsmodels: coefficient {worst_coef:.2e}, standard error {worst_se:.2e}");
    // Fit statistics, same script: llf, llnull, aic, bic, prsquared.
    assert_relative_eq!(fit.log_likelihood(), -2913.1361824841833, max_relative = 1e-9);
    assert_relative_eq!(fit.null_log_likelihood(), -4071.6775733255813, max_relative = 1e-9);
    assert_relative_eq!(fit.aic(), 5874.272364968367, max_relative = 1e-9);
    assert_relative_eq!(fit.bic(), 6038.869799513127, max_relative = 1e-9);
    assert_relative_eq!(fit.pseudo_r2(), 0.28453662402721847, max_relative = 1e-8);
}

#[test]
fn telco_odds_ratio_interval_follows_the_confidence_level() {
    let Some((design, labels)) = telco_design() else { return };
    let design = design.without(&ALIASED).unwrap();
    let fit = ChurnFactors::params().confidence_level(0.90).fit_design(&design, &labels).unwrap();
    let two_year = fit.term("contract=Two year").unwrap();
    // exp(statsmodels conf_int(alpha=0.10)), bench/factors_reference.py.
    assert_relative_eq!(two_year.odds_ratio_low, 0.19255800143055826, max_relative = 1e-4);
    assert_relative_eq!(two_year.odds_ratio_high, 0.3440890891717984, max_relative = 1e-4);
}

#[test]
fn telco_full_one_hot_design_warns_and_drops_the_aliased_indicators() {
    let Some((design, labels)) = telco_design() else { return };
    let fit = ChurnFactors::params().fit_design(&design, &labels).unwrap();
    let dropped: Vec<(&str, &[String])> = fit
        .warnings()
        .iter()
        .filter_map(|w| match w {
            FactorWarning::Collinear { column, others } => Some((column.as_str(), others.as_slice())),
            _ => None,
        })
        .collect();
    assert_eq!(dropped.iter().map(|d| d.0).collect::<Vec<_>>(), ALIASED.to_vec());
    assert_eq!(dropped[0].1, ["phone_service".to_string()]);
    assert_eq!(dropped[1].1, ["internet_service=No".to_string()]);
    // Dropping them is the same model as the full-rank design: same coefficients as statsmodels.
    let tenure = fit.term("tenure").unwrap();
    assert_relative_eq!(tenure.coefficient, -0.06058757664205944, max_relative = 1e-4);
}

#[test]
fn two_by_two_table_gives_log_odds_ratio_and_woolf_standard_error() {
    // a = 12 churned / b = 8 retained among exposed (x = 1); c = 5 churned / d = 25 retained among unexposed.
    // The logistic MLE is the log odds ratio ln(ad/bc) and its SE is Woolf's sqrt(1/a+1/b+1/c+1/d)
    // (closed form; statsmodels gives 2.014903020542265 and 0.6695769808866883, bench/factors_reference.py).
    let (a, b, c, d) = (12usize, 8usize, 5usize, 25usize);
    let x = Array2::from_shape_fn((a + b + c + d, 1), |(i, _)| if i < a + b { 1.0 } else { 0.0 });
    let y: Vec<bool> = (0..a + b + c + d).map(|i| i < a || (a + b..a + b + c).contains(&i)).collect();
    let fit = ChurnFactors::params().fit(x.view(), &["exposed".to_string()], &y).unwrap();
    let t = fit.term("exposed").unwrap();
    let (af, bf, cf, df) = (a as f64, b as f64, c as f64, d as f64);
    assert_abs_diff_eq!(t.coefficient, (af * df / (bf * cf)).ln(), epsilon = 1e-10);
    assert_abs_diff_eq!(t.std_error, (1.0 / af + 1.0 / bf + 1.0 / cf + 1.0 / df).sqrt(), epsilon = 1e-10);
    assert_abs_diff_eq!(t.odds_ratio, af * df / (bf * cf), epsilon = 1e-8);
    // Intercept: log odds among the unexposed, ln(c/d), with SE sqrt(1/c + 1/d).
    assert_abs_diff_eq!(fit.intercept().coefficient, (cf / df).ln(), epsilon = 1e-10);
    assert_abs_diff_eq!(fit.intercept().std_error, (1.0 / cf + 1.0 / df).sqrt(), epsilon = 1e-10);
    // 95% CI on the odds-ratio scale: exp(β ± 1.959963984540054·se).
    let se = (1.0 / af + 1.0 / bf + 1.0 / cf + 1.0 / df).sqrt();
    assert_relative_eq!(t.odds_ratio_low, (t.coefficient - 1.959963984540054 * se).exp(), max_relative = 1e-9);
    assert_relative_eq!(t.odds_ratio_high, (t.coefficient + 1.959963984540054 * se).exp(), max_relative = 1e-9);
    // Null log-likelihood: 17 of 50 churned → 17 ln(0.34) + 33 ln(0.66).
    assert_abs_diff_eq!(fit.null_log_likelihood(), 17.0 * 0.34f64.ln() + 33.0 * 0.66f64.ln(), epsilon = 1e-10);
}

#[test]
fn l2_penalty_matches_scikit_learn_with_c_equal_one_over_lambda() {
    let Some((design, labels)) = telco_design() else { return };
    let design = design.without(&ALIASED).unwrap();
    let keep: Vec<&str> = design
        .names()
        .iter()
        .map(String::as_str)
        .filter(|n| !["tenure", "monthly_charges", "senior_citizen"].contains(n))
        .collect();
    let small = design.without(&keep).unwrap();
    assert_eq!(small.names(), ["senior_citizen", "tenure", "monthly_charges"]);
    let fit = ChurnFactors::params().l2(50.0).fit_design(&small, &labels).unwrap();
    // scikit-learn 1.9.1 LogisticRegression(C=1/50, solver="newton-cg", tol=1e-12), bench/factors_reference.py.
    assert_relative_eq!(fit.intercept().coefficient, -1.7825379402684436, max_relative = 1e-6);
    assert_relative_eq!(fit.term("tenure").unwrap().coefficient, -0.054958947268020183, max_relative = 1e-6);
    assert_relative_eq!(fit.term("monthly_charges").unwrap().coefficient, 0.03146284991739221, max_relative = 1e-6);
    assert_relative_eq!(fit.term("senior_citizen").unwrap().coefficient, 0.4784937851150075, max_relative = 1e-6);
}

#[test]
fn complete_separation_is_a_warning_naming_the_column_not_an_error() {
    let x = array![[0.0, 0.3], [0.0, 0.1], [0.0, 0.7], [1.0, 0.2], [1.0, 0.9], [1.0, 0.4]];
    let y = [false, false, false, true, true, true];
    let names = vec!["month_to_month".to_string(), "noise".to_string()];
    let fit = ChurnFactors::params().fit(x.view(), &names, &y).unwrap();
    let sep = fit.warnings().iter().find_map(|w| match w {
        FactorWarning::Separation { rows_at_bounds, complete, columns } => {
            Some((*rows_at_bounds, *complete, columns.clone()))
        }
        _ => None,
    });
    let (rows, complete, columns) = sep.expect("separation warning");
    assert_eq!(rows, 6);
    assert!(complete);
    assert_eq!(columns, vec!["month_to_month".to_string()]);
    assert!(fit.terms().iter().all(|t| t.coefficient.is_finite() && t.std_error.is_finite()));
    // A penalty makes the estimate exist: no rows at the bounds any more.
    let penalised = ChurnFactors::params().l2(1.0).fit(x.view(), &names, &y).unwrap();
    assert!(
        penalised.warnings().iter().all(|w| !matches!(w, FactorWarning::Separation { .. })),
        "{:?}",
        penalised.warnings()
    );
}

#[test]
fn quasi_separation_flags_the_rare_level_that_always_churns() {
    // Rows 0..3 have the rare plan and all churned; the rest overlap.
    let rare = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let tenure = [3.0, 5.0, 2.0, 1.0, 4.0, 8.0, 12.0, 2.0, 7.0, 9.0, 3.0, 10.0];
    let y = [true, true, true, true, false, false, true, false, true, false, false, false];
    let x = Array2::from_shape_fn((12, 2), |(i, j)| if j == 0 { rare[i] } else { tenure[i] });
    let names = vec!["plan=legacy".to_string(), "tenure".to_string()];
    let fit = ChurnFactors::params().fit(x.view(), &names, &y).unwrap();
    let columns = fit.warnings().iter().find_map(|w| match w {
        FactorWarning::Separation { complete: false, columns, rows_at_bounds: 3 } => Some(columns.clone()),
        _ => None,
    });
    assert_eq!(columns, Some(vec!["plan=legacy".to_string()]), "{:?}", fit.warnings());
}

#[test]
fn constant_column_is_dropped_with_a_warning() {
    let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0], [5.0, 5.0]];
    let y = [false, true, false, true, true];
    let names = vec!["tenure".to_string(), "country_code".to_string()];
    let fit = ChurnFactors::params().fit(x.view(), &names, &y).unwrap();
    assert_eq!(fit.warnings(), [FactorWarning::ConstantColumn { column: "country_code".into() }]);
    assert_eq!(fit.terms().len(), 1);
    // Prediction still takes both input columns; the dropped one has no effect.
    let p = fit.predict_proba(array![[3.0, 5.0], [3.0, -100.0]].view()).unwrap();
    assert_abs_diff_eq!(p[0], p[1], epsilon = 1e-15);
}

#[test]
fn near_collinear_columns_get_a_variance_inflation_warning() {
    let tenure: Vec<f64> = (0..40).map(|i| f64::from(i % 13) + 1.0).collect();
    let y: Vec<bool> = (0..40).map(|i| (i * 7) % 5 < 2).collect();
    // total ≈ 30·tenure with a tiny wobble: R² ≈ 1 − 1e-5, VIF ≈ 1e5.
    let x = Array2::from_shape_fn((40, 2), |(i, j)| {
        if j == 0 { tenure[i] } else { 30.0 * tenure[i] + 0.01 * ((i % 3) as f64 - 1.0) }
    });
    let names = vec!["tenure".to_string(), "total_charges".to_string()];
    let fit = ChurnFactors::params().fit(x.view(), &names, &y).unwrap();
    let vifs: Vec<&str> = fit
        .warnings()
        .iter()
        .filter_map(|w| match w {
            FactorWarning::HighVif { column, vif } if *vif > 1e4 => Some(column.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(vifs, ["tenure", "total_charges"]);
}

#[test]
fn bad_input_is_a_typed_error() {
    let names = vec!["x".to_string()];
    let x = array![[1.0], [2.0], [3.0]];
    let err = ChurnFactors::params().fit(x.view(), &names, &[true, false]).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let err = ChurnFactors::params().fit(x.view(), &names, &[true, true, true]).unwrap_err();
    assert!(matches!(err, Error::SingleClass { class: true, n: 3 }), "{err}");
    let nan = array![[1.0], [f64::NAN], [3.0]];
    let err = ChurnFactors::params().fit(nan.view(), &names, &[true, false, true]).unwrap_err();
    assert!(matches!(err, Error::NonFinite { ref column, row: 1, .. } if column == "x"), "{err}");
    let empty = Array2::<f64>::zeros((0, 1));
    let err = ChurnFactors::params().fit(empty.view(), &names, &[]).unwrap_err();
    assert!(matches!(err, Error::EmptyData { .. }), "{err}");
    let err = ChurnFactors::params().confidence_level(1.0).fit(x.view(), &names, &[true, false, true]).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "level", .. }), "{err}");
    let err = ChurnFactors::params().l2(-1.0).fit(x.view(), &names, &[true, false, true]).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "l2", .. }), "{err}");
    let err = DesignMatrix::new(x.clone(), names.clone()).unwrap().without(&["y"]).unwrap_err();
    assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "y"), "{err}");
}

#[test]
fn design_from_features_drops_first_sorted_level_and_incomplete_rows() {
    use churnguard::data::CustomerId;
    use churnguard::features::{CategoricalColumn, FeatureMatrix};
    let ids = (0..4).map(|i| CustomerId::new(format!("c{i}"))).collect();
    let contract =
        CategoricalColumn::from_values("contract", [Some("Two year"), Some("Month-to-month"), None, Some("One year")]);
    let m = FeatureMatrix::new(ids, vec!["tenure".into()], array![[24.0], [1.0], [5.0], [f64::NAN]], vec![contract])
        .unwrap();
    let design = DesignMatrix::from_features(&m, MissingValues::DropRows).unwrap();
    // Levels come from the rows kept: "One year" only occurs in the dropped row 3, so it adds no
    // column, and "Month-to-month" (first in sorted order) is the reference.
    assert_eq!(design.names(), ["tenure", "contract=Two year"]);
    assert_eq!(design.rows(), [0, 1]);
    assert_eq!(design.x(), array![[24.0, 1.0], [1.0, 0.0]]);
    assert_eq!(design.select_rows(&[true, false, true, true]).unwrap(), vec![true, false]);
    let err = DesignMatrix::from_features(&m, MissingValues::Error).unwrap_err();
    assert!(matches!(err, Error::NonFinite { ref column, row: 2, .. } if column == "contract"), "{err}");
    // fit_features encodes the same way; labels are per source row, and both classes must survive the drop.
    let err =
        ChurnFactors::params().fit_features(&m, &[true, true, false, false], MissingValues::DropRows).unwrap_err();
    assert!(matches!(err, Error::SingleClass { class: true, n: 2 }), "{err}");
}

#[test]
fn markdown_table_sorts_by_strength_and_keeps_the_intercept_first() {
    let x = array![
        [0.0, 1.0],
        [0.0, 3.0],
        [0.0, 2.0],
        [0.0, 5.0],
        [1.0, 1.0],
        [1.0, 4.0],
        [1.0, 2.0],
        [1.0, 6.0],
        [1.0, 3.0],
        [0.0, 2.0]
    ];
    let y = [false, false, true, false, true, true, false, true, true, false];
    let names = vec!["month_to_month".to_string(), "tickets".to_string()];
    let fit = ChurnFactors::params().fit(x.view(), &names, &y).unwrap();
    let md = fit.to_markdown(TermOrder::ByAbsZ);
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("| term | coef | std err | z | p | odds ratio | 95% CI low"));
    assert!(lines[2].starts_with(&format!("| {INTERCEPT} |")));
    let (a, b) = (fit.term("month_to_month").unwrap(), fit.term("tickets").unwrap());
    let first = if a.z.abs() >= b.z.abs() { &a.name } else { &b.name };
    assert!(lines[3].starts_with(&format!("| {first} |")), "{md}");
    let as_given = fit.to_markdown(TermOrder::AsGiven);
    assert!(as_given.lines().nth(3).unwrap().starts_with("| month_to_month |"));
    let text = fit.to_string();
    assert!(text.contains("10 rows, 5 churned") && text.contains("McFadden"), "{text}");
}
