//! Issue 4's bad-input list, for every learner: too few rows for the folds, a constant
//! feature, an all-missing column, one class, parameters out of range, and scoring with
//! the wrong column count.

use churnguard::Error;
use churnguard::classify::{
    Calibrated, CalibrationMethod, DecisionTree, GradientBoosting, LogisticRegression, RandomForest, Svm,
};
use churnguard::data::CustomerId;
use churnguard::eval::{StratifiedKFold, compare};
use churnguard::features::{FeatureMatrix, LabeledMatrix};
use churnguard::model::{Dataset, Learner};
use churnguard::progress::Silent;
use ndarray::{Array2, s};

fn learners() -> Vec<Box<dyn Learner>> {
    vec![
        Box::new(LogisticRegression::params()),
        Box::new(DecisionTree::params()),
        Box::new(RandomForest::params().n_trees(10)),
        Box::new(GradientBoosting::params().n_trees(10)),
        Box::new(Svm::params()),
        Box::new(Calibrated::new(GradientBoosting::params().n_trees(10), CalibrationMethod::Platt).folds(3)),
    ]
}

/// 120 rows: `signal` decides churn, `constant` is always 3, `empty` is always missing.
fn table() -> LabeledMatrix {
    let n = 120;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => (i % 12) as f64,
        1 => 3.0,
        _ => f64::NAN,
    });
    let ids = (0..n).map(|i| CustomerId::new(format!("c{i}"))).collect();
    let names = vec!["signal".to_string(), "constant".to_string(), "empty".to_string()];
    let features = FeatureMatrix::new(ids, names, x, Vec::new()).unwrap();
    LabeledMatrix::new(features, (0..n).map(|i| i % 12 >= 8 || i % 17 == 0).collect()).unwrap()
}

#[test]
fn constant_and_all_missing_columns_are_harmless_and_carry_no_weight() {
    // A constant column and a column that is never observed hold no information. They are
    // accepted (dropping them is the caller's choice), fitted around, and get zero weight.
    let data = table();
    for learner in learners() {
        let prep = learner.default_preprocess().fit(data.features()).unwrap();
        let x = prep.transform(data.features()).unwrap();
        let d = Dataset::with_missing(x.view(), data.labels(), prep.output_names()).unwrap();
        let model = learner.fit_model(&d).unwrap_or_else(|e| panic!("{}: {e}", learner.name()));
        let p = model.predict_proba(x.view()).unwrap();
        assert!(p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)), "{}", learner.name());
        let e = model.explain(x.row(5)).unwrap();
        for c in e.contributions.iter().filter(|c| c.feature == "constant") {
            assert!(c.contribution.abs() < 1e-9, "{}: constant contributes {}", learner.name(), c.contribution);
        }
    }
}

#[test]
fn too_few_rows_of_a_class_for_the_folds_is_an_invalid_parameter() {
    let data = table().select_rows(&(0..12).collect::<Vec<_>>()).unwrap(); // 5 churners, 7 retained
    let l = LogisticRegression::params();
    let err = compare(&[&l], &data, &StratifiedKFold::new(6, 1).unwrap(), &Silent).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "k", .. }), "{err}");
}

#[test]
fn one_class_is_refused_by_every_learner() {
    let x = Array2::from_shape_fn((20, 2), |(i, j)| (i + j) as f64);
    let names = vec!["a".to_string(), "b".to_string()];
    let y = vec![false; 20];
    assert!(matches!(Dataset::new(x.view(), &y, &names), Err(Error::SingleClass { class: false, n: 20 })));
}

#[test]
fn out_of_range_settings_name_the_parameter() {
    let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * (j + 2)) % 7) as f64);
    let y: Vec<bool> = (0..40).map(|i| i % 3 == 0).collect();
    let names = vec!["a".to_string(), "b".to_string()];
    let d = Dataset::new(x.view(), &y, &names).unwrap();
    let cases: Vec<(Box<dyn Learner>, &str)> = vec![
        (Box::new(LogisticRegression::params().alpha(-1.0)), "alpha"),
        (Box::new(DecisionTree::params().min_samples_leaf(0)), "min_samples_leaf"),
        (Box::new(RandomForest::params().n_trees(0)), "n_trees"),
        (Box::new(GradientBoosting::params().learning_rate(0.0)), "learning_rate"),
        (Box::new(Svm::params().c(-2.0)), "c"),
        (Box::new(Calibrated::new(LogisticRegression::params(), CalibrationMethod::Platt).folds(1)), "k"),
    ];
    for (learner, param) in cases {
        match learner.fit_model(&d) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, param, "{}", learner.name()),
            other => panic!("{}: expected InvalidParameter {param}, got {other:?}", learner.name()),
        }
    }
}

#[test]
fn scoring_with_a_different_column_count_is_a_shape_mismatch() {
    let x = Array2::from_shape_fn((60, 3), |(i, j)| ((i * (j + 2)) % 7) as f64);
    let y: Vec<bool> = (0..60).map(|i| i % 3 == 0).collect();
    let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    let d = Dataset::new(x.view(), &y, &names).unwrap();
    let narrow = x.slice(s![.., ..2]);
    for learner in learners() {
        let model = learner.fit_model(&d).unwrap();
        assert!(
            matches!(model.predict_proba(narrow), Err(Error::ShapeMismatch { .. })),
            "{} accepted 2 columns",
            learner.name()
        );
        assert!(matches!(model.explain(narrow.row(0)), Err(Error::ShapeMismatch { .. })), "{}", learner.name());
    }
}

#[test]
fn every_model_round_trips_through_stored_model_with_identical_probabilities() {
    let x = Array2::from_shape_fn((90, 3), |(i, j)| ((i * (j + 2) * 5) % 11) as f64 / 3.0);
    let y: Vec<bool> = (0..90).map(|i| (i * 5) % 11 > 6 || i % 13 == 0).collect();
    let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    let d = Dataset::new(x.view(), &y, &names).unwrap();
    for learner in learners() {
        let model = learner.fit_model(&d).unwrap();
        let json = serde_json::to_string(&model.to_stored().unwrap()).unwrap();
        let back: churnguard::model::StoredModel = serde_json::from_str(&json).unwrap();
        back.validate().unwrap();
        let reloaded = back.into_model();
        assert_eq!(
            model.predict_proba(x.view()).unwrap(),
            reloaded.predict_proba(x.view()).unwrap(),
            "{}",
            learner.name()
        );
    }
}
