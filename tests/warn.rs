//! Tests of `churnguard::warn`: drift (PSI, Kolmogorov–Smirnov) and scoring output.

use approx::{assert_abs_diff_eq, assert_relative_eq};
use churnguard::Error;
use churnguard::data::CustomerId;
use churnguard::features::{CategoricalColumn, FeatureMatrix};
use churnguard::warn::{DriftLevel, DriftThresholds, drift, kolmogorov_sf, ks_two_sample, psi, score_drift};
use ndarray::Array2;

// Deterministic samples, identical to bench/drift_reference.py.
fn sample_a(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i * 37 % 101) as f64 / 10.0).collect()
}
fn sample_b(n: usize, shift: f64) -> Vec<f64> {
    (0..n).map(|i| (i * 53 % 97) as f64 / 10.0 + shift).collect()
}
fn ties(n: usize, k: usize, offset: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7 + offset) % k) as f64).collect()
}

#[test]
fn ks_matches_scipy_ks_2samp() {
    // (a, b, D and p from bench/drift_reference.py: D = scipy 1.17.1 ks_2samp(method="asymp").statistic,
    // p = kstwobign.sf((√nₑ + 0.12 + 0.11/√nₑ)·D), and scipy's own asymp p-value, which uses kstwo.sf(D, round(nₑ)).)
    let cases = [
        (sample_a(60), sample_b(45, 1.5), 0.15, 0.5738641697920526, 0.5521009145265033),
        (sample_a(400), sample_b(300, 0.3), 0.033333333333333354, 0.9900823853399535, 0.9880914618387844),
        (ties(200, 6, 0), ties(150, 5, 2), 0.16500000000000004, 0.01644212836798435, 0.01629640223926992),
    ];
    for (a, b, d, p_stephens, p_scipy) in cases {
        let t = ks_two_sample(&a, &b).unwrap();
        assert_abs_diff_eq!(t.statistic, d, epsilon = 1e-12);
        assert_relative_eq!(t.p_value, p_stephens, max_relative = 1e-9);
        // Stephens' approximation vs scipy's finite-n kstwo: within 5% relative on these sizes.
        assert_relative_eq!(t.p_value, p_scipy, max_relative = 0.05);
    }
}

#[test]
fn kolmogorov_survival_function_matches_scipy_kstwobign_on_both_series() {
    // scipy 1.17.1 stats.kstwobign.sf, bench/drift_reference.py.
    let reference = [
        (0.3, 0.9999906941986655),
        (0.8, 0.5441424115741981),
        (1.0, 0.26999967167735456),
        (1.18, 0.1234538094297657),
        (1.5, 0.022217962616525127),
        (2.5, 7.453306344157342e-06),
    ];
    for (lambda, p) in reference {
        assert_relative_eq!(kolmogorov_sf(lambda), p, max_relative = 1e-9);
    }
}

#[test]
fn psi_matches_hand_computation_with_epsilon_for_empty_bins() {
    // Reference 0..99 in 4 bins: cut points at the quartiles 24.75, 49.5, 74.25 (numpy linear).
    // Live 0..49 fills the first two bins half each; the last two are empty → share 1e-4.
    // PSI = 2·(0.5−0.25)·ln(0.5/0.25) + 2·(1e-4−0.25)·ln(1e-4/0.25) ≈ 4.2570 (by hand).
    let reference: Vec<f64> = (0..100).map(f64::from).collect();
    let live: Vec<f64> = (0..50).map(f64::from).collect();
    let expected = 2.0 * 0.25 * 2f64.ln() + 2.0 * (1e-4 - 0.25) * (1e-4f64 / 0.25).ln();
    assert_relative_eq!(psi(&reference, &live, 4).unwrap(), expected, max_relative = 1e-12);
    assert_relative_eq!(expected, 4.25703, max_relative = 1e-5);
    assert_abs_diff_eq!(psi(&reference, &reference, 10).unwrap(), 0.0, epsilon = 1e-15);
}

#[test]
fn psi_counts_missing_values_as_their_own_bin() {
    // Reference: 0..99 and no missing; live: the same values plus 25 missing.
    // Four quartile bins of 25% each in the reference; live shares 0.2 each + 0.2 missing.
    // PSI = 4·(0.2−0.25)·ln(0.8) + (0.2−1e-4)·ln(0.2/1e-4) (by hand).
    let reference: Vec<f64> = (0..100).map(f64::from).collect();
    let mut live = reference.clone();
    live.extend(std::iter::repeat_n(f64::NAN, 25));
    let expected = 4.0 * (-0.05) * 0.8f64.ln() + (0.2 - 1e-4) * (0.2f64 / 1e-4).ln();
    assert_relative_eq!(psi(&reference, &live, 4).unwrap(), expected, max_relative = 1e-12);
}

#[test]
fn psi_rejects_empty_samples_and_too_few_bins() {
    assert!(matches!(psi(&[], &[1.0], 10), Err(Error::EmptyData { .. })));
    assert!(matches!(psi(&[1.0], &[], 10), Err(Error::EmptyData { .. })));
    assert!(matches!(psi(&[1.0], &[1.0], 1), Err(Error::InvalidParameter { name: "bins", .. })));
    assert!(matches!(psi(&[1.0], &[f64::INFINITY], 10), Err(Error::NonFinite { .. })));
    assert!(matches!(ks_two_sample(&[], &[1.0]), Err(Error::EmptyData { .. })));
}

fn matrix(values: &[f64], region: &[&str], name: &str) -> FeatureMatrix {
    let n = values.len();
    let ids = (0..n).map(|i| CustomerId::new(format!("c{i}"))).collect();
    let x = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { values[i] } else { (i % 3) as f64 });
    let cat = CategoricalColumn::from_values("region", region.iter().map(|s| Some(*s)));
    FeatureMatrix::new(ids, vec![name.to_string(), "stable".to_string()], x, vec![cat]).unwrap()
}

#[test]
fn drift_flags_shifted_feature_and_changed_category_mix_but_not_stable_ones() {
    let n = 300;
    let base: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let shifted: Vec<f64> = (0..n).map(|i| i as f64 + 150.0).collect();
    let regions_ref: Vec<&str> = (0..n).map(|i| if i % 2 == 0 { "north" } else { "south" }).collect();
    let regions_live: Vec<&str> = (0..n).map(|i| if i % 10 == 0 { "north" } else { "south" }).collect();
    let reference = matrix(&base, &regions_ref, "orders");
    let live = matrix(&shifted, &regions_live, "orders");
    let report = drift(&reference, &live, &DriftThresholds::default()).unwrap();
    let names: Vec<&str> = report.features.iter().map(|f| f.feature.as_str()).collect();
    assert_eq!(names, ["orders", "stable", "region"]);
    assert_eq!(report.features[0].level, DriftLevel::Alert);
    // Half the live values lie above the reference maximum → KS statistic 0.5 exactly.
    assert_abs_diff_eq!(report.features[0].ks.unwrap().statistic, 0.5, epsilon = 1e-12);
    assert_eq!(report.features[1].level, DriftLevel::Stable);
    assert_abs_diff_eq!(report.features[1].psi, 0.0, epsilon = 1e-12);
    // Region mix 50/50 → 10/90: PSI = (0.1−0.5)·ln(0.2) + (0.9−0.5)·ln(1.8) (by hand).
    let region = (0.1 - 0.5) * 0.2f64.ln() + (0.9 - 0.5) * 1.8f64.ln();
    assert_relative_eq!(report.features[2].psi, region, max_relative = 1e-12);
    assert!(report.features[2].ks.is_none());
    let alerts = report.alerts();
    assert_eq!(alerts.iter().map(|a| a.feature.as_str()).collect::<Vec<_>>(), ["orders", "region"]);
    assert_eq!(report.worst_level(), DriftLevel::Alert);
}

#[test]
fn drift_rejects_mismatched_feature_names_and_empty_matrices() {
    let a = matrix(&[1.0, 2.0], &["x", "y"], "orders");
    let b = matrix(&[1.0, 2.0], &["x", "y"], "visits");
    assert!(matches!(drift(&a, &b, &DriftThresholds::default()), Err(Error::FeatureMismatch { .. })));
    let empty = matrix(&[], &[], "orders");
    assert!(matches!(drift(&empty, &a, &DriftThresholds::default()), Err(Error::EmptyData { .. })));
    assert!(matches!(drift(&a, &empty, &DriftThresholds::default()), Err(Error::EmptyData { .. })));
    let bad = DriftThresholds { warn: 0.3, alert: 0.2, bins: 10 };
    assert!(matches!(drift(&a, &a, &bad), Err(Error::InvalidParameter { name: "alert", .. })));
}

#[test]
fn score_drift_grades_the_score_and_rejects_non_finite_probabilities() {
    let reference: Vec<f64> = (0..200).map(|i| i as f64 / 200.0).collect();
    let same = score_drift(&reference, &reference, &DriftThresholds::default()).unwrap();
    assert_eq!((same.feature.as_str(), same.level), ("score", DriftLevel::Stable));
    assert_abs_diff_eq!(same.ks.unwrap().p_value, 1.0, epsilon = 1e-12);
    let higher: Vec<f64> = reference.iter().map(|p| (p + 0.2).min(1.0)).collect();
    assert_eq!(score_drift(&reference, &higher, &DriftThresholds::default()).unwrap().level, DriftLevel::Alert);
    assert!(matches!(
        score_drift(&reference, &[0.1, f64::NAN], &DriftThresholds::default()),
        Err(Error::NonFinite { row: 1, .. })
    ));
}
