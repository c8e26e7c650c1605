//! Calibration against scikit-learn, and a calibrated model end to end.
//!
//! Reference values: `python3 bench/calibration_reference.py` (scikit-learn 1.9.1) on
//! dataset D of bench/empc_reference.py (n = 200, 20% churn).

use approx::assert_abs_diff_eq;
use churnguard::classify::{
    Calibrated, CalibrationMethod, Calibrator, FittedCalibrated, GradientBoosting, RandomForest,
};
use churnguard::eval::{expected_calibration_error, roc_auc};
use churnguard::model::{ChurnModel, Dataset, Learner, StoredModel};
use ndarray::Array2;
use rand::{Rng, SeedableRng};

fn bits(s: &str) -> Vec<bool> {
    s.chars().map(|c| c == '1').collect()
}

const D_LABELS: &str = "00000010000000000000010110000000110001010000001000001001000000010001000000100001100100000010000010110000000000001010010010000010100000000000000000100000000000010001000000000110000100000111001010101000";
const D_SCORES: [f64; 200] = [
    0.359, 0.124, 0.504, 0.060, 0.346, 0.268, 0.705, 0.594, 0.496, 0.066, 0.040, 0.336, 0.075, 0.181, 0.341, 0.041,
    0.026, 0.224, 0.189, 0.149, 0.188, 0.297, 0.047, 0.458, 0.275, 0.041, 0.270, 0.173, 0.251, 0.077, 0.104, 0.076,
    0.292, 0.549, 0.093, 0.242, 0.239, 0.883, 0.053, 0.708, 0.169, 0.180, 0.050, 0.123, 0.319, 0.170, 0.520, 0.143,
    0.414, 0.179, 0.024, 0.100, 0.123, 0.009, 0.116, 0.791, 0.190, 0.065, 0.080, 0.409, 0.207, 0.190, 0.175, 0.510,
    0.333, 0.279, 0.217, 0.261, 0.271, 0.101, 0.400, 0.059, 0.163, 0.181, 0.210, 0.555, 0.490, 0.123, 0.326, 0.594,
    0.068, 0.223, 0.173, 0.521, 0.071, 0.146, 0.157, 0.423, 0.238, 0.182, 0.822, 0.114, 0.131, 0.035, 0.517, 0.369,
    0.714, 0.303, 0.528, 0.554, 0.148, 0.154, 0.191, 0.503, 0.280, 0.174, 0.111, 0.106, 0.526, 0.270, 0.193, 0.136,
    0.248, 0.173, 0.706, 0.131, 0.151, 0.445, 0.199, 0.043, 0.441, 0.087, 0.351, 0.094, 0.284, 0.506, 0.422, 0.109,
    0.548, 0.182, 0.076, 0.261, 0.626, 0.147, 0.154, 0.073, 0.235, 0.060, 0.069, 0.445, 0.083, 0.397, 0.506, 0.224,
    0.280, 0.611, 0.451, 0.110, 0.055, 0.189, 0.495, 0.368, 0.080, 0.087, 0.119, 0.230, 0.154, 0.217, 0.231, 0.426,
    0.177, 0.215, 0.170, 0.623, 0.592, 0.287, 0.191, 0.040, 0.247, 0.031, 0.052, 0.344, 0.311, 0.463, 0.153, 0.133,
    0.102, 0.297, 0.681, 0.554, 0.093, 0.065, 0.174, 0.158, 0.066, 0.529, 0.240, 0.753, 0.392, 0.398, 0.384, 0.272,
    0.467, 0.131, 0.416, 0.057, 0.191, 0.331, 0.156, 0.217,
];

#[test]
fn isotonic_matches_scikit_learn() {
    let c = Calibrator::fit(CalibrationMethod::Isotonic, &D_SCORES, &bits(D_LABELS), None).unwrap();
    let probes = [0.0, 0.05, 0.15, 0.25, 0.333, 0.5, 0.61, 0.75, 0.9, 1.0];
    // IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).predict(probes)
    let sklearn = [
        0.0,
        0.0,
        0.045454545454545456,
        0.16666666666666666,
        0.16666666666666666,
        0.5,
        0.5882352941176471,
        1.0,
        1.0,
        1.0,
    ];
    for (p, want) in probes.iter().zip(sklearn) {
        assert_abs_diff_eq!(c.apply(*p), want, epsilon = 1e-12);
    }
}

#[test]
fn platt_matches_scikit_learn_sigmoid_calibration() {
    let c = Calibrator::fit(CalibrationMethod::Platt, &D_SCORES, &bits(D_LABELS), None).unwrap();
    let Calibrator::Platt { slope, intercept } = c else { panic!("not Platt: {c:?}") };
    // sklearn.calibration._sigmoid_calibration on the log-odds: A = −slope, B = −intercept
    // (L-BFGS in scikit-learn, so agreement is to its tolerance).
    assert_abs_diff_eq!(slope, 1.4453686752289079, epsilon = 1e-4);
    assert_abs_diff_eq!(intercept, -0.16360399010102225, epsilon = 1e-4);
}

/// Two informative features plus noise; P(churn) = σ(2·x₀ − x₁² + 0.5).
fn synthetic(n: usize, seed: u64) -> (Array2<f64>, Vec<bool>, Vec<String>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 3), |_| rng.gen_range(-2.0..2.0));
    let y = (0..n)
        .map(|i| {
            let z: f64 = 2.0 * x[[i, 0]] - x[[i, 1]] * x[[i, 1]] + 0.5;
            rng.r#gen::<f64>() < 1.0 / (1.0 + (-z).exp())
        })
        .collect();
    (x, y, vec!["a".into(), "b".into(), "noise".into()])
}

#[test]
fn calibrating_a_forest_lowers_its_calibration_error_and_keeps_its_ranking() {
    let (x, y, names) = synthetic(3000, 1);
    let (xt, yt, _) = synthetic(3000, 2);
    let data = Dataset::new(x.view(), &y, &names).unwrap();
    // Shallow-leaf forests are under-confident near 0 and 1; isotonic calibration fixes that.
    let forest = RandomForest::params().n_trees(40).seed(4);
    let raw = forest.fit_model(&data).unwrap();
    let calibrated = Calibrated::new(forest, CalibrationMethod::Isotonic).seed(5).fit(&data).unwrap();
    let p_raw = raw.predict_proba(xt.view()).unwrap().to_vec();
    let p_cal = calibrated.predict_proba(xt.view()).unwrap().to_vec();
    let (ece_raw, ece_cal) =
        (expected_calibration_error(&yt, &p_raw, 10).unwrap(), expected_calibration_error(&yt, &p_cal, 10).unwrap());
    assert!(ece_cal < ece_raw, "ECE raw {ece_raw:.4}, calibrated {ece_cal:.4}");
    let (auc_raw, auc_cal) = (roc_auc(&yt, &p_raw).unwrap(), roc_auc(&yt, &p_cal).unwrap());
    assert!(auc_cal > auc_raw - 0.01, "AUC raw {auc_raw:.4}, calibrated {auc_cal:.4}");
}

#[test]
fn calibrated_models_round_trip_and_explanations_add_up() {
    let (x, y, names) = synthetic(800, 3);
    let data = Dataset::new(x.view(), &y, &names).unwrap();
    for method in [CalibrationMethod::Platt, CalibrationMethod::Isotonic] {
        let model = Calibrated::new(GradientBoosting::params().n_trees(30), method).fit(&data).unwrap();
        let stored = model.to_stored().unwrap();
        let json = serde_json::to_string(&stored).unwrap();
        let back: StoredModel = serde_json::from_str(&json).unwrap();
        back.validate().unwrap();
        let reloaded = back.into_model();
        assert_eq!(model.predict_proba(x.view()).unwrap(), reloaded.predict_proba(x.view()).unwrap());
        let p = model.predict_proba(x.view()).unwrap();
        for r in [0, 17, 400] {
            let e = model.explain(x.row(r)).unwrap();
            assert_abs_diff_eq!(e.probability(), p[r], epsilon = 1e-9);
        }
        assert!(reloaded.as_any().downcast_ref::<FittedCalibrated>().is_some());
    }
}
