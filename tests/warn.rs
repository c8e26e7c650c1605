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

// ---- scoring output ----

use churnguard::Timestamp;
use churnguard::pipeline::CustomerScore;
use churnguard::warn::{RiskTier, ScorerConfig, TierCutoffs, rank_scores};

fn scores(probs: &[f64]) -> Vec<CustomerScore> {
    probs
        .iter()
        .enumerate()
        .map(|(i, &p)| CustomerScore {
            customer: CustomerId::new(format!("c{i}")),
            probability: p,
            reasons: Default::default(),
        })
        .collect()
}

fn day(d: u32) -> Timestamp {
    Timestamp::from_ymd(2024, 6, d).unwrap()
}

#[test]
fn ranking_gives_scipy_percentiles_and_default_score_tiers() {
    let probs = [0.9, 0.1, 0.5, 0.5, 0.3, 0.7, 0.5, 0.05];
    let scoring = rank_scores(scores(&probs), day(1), &ScorerConfig::default(), None).unwrap();
    // scipy 1.17.1 percentileofscore(probs, p, kind="mean"), bench/drift_reference.py.
    let expected = [93.75, 18.75, 56.25, 56.25, 31.25, 81.25, 56.25, 6.25];
    for (i, &pct) in expected.iter().enumerate() {
        let c = scoring.get(&CustomerId::new(format!("c{i}"))).unwrap();
        assert_abs_diff_eq!(c.percentile, pct, epsilon = 1e-12);
        assert_abs_diff_eq!(c.risk_score, 100.0 * probs[i], epsilon = 1e-12);
    }
    // Riskiest first; ties by id.
    let order: Vec<&str> = scoring.customers().iter().map(|c| c.customer.as_str()).collect();
    assert_eq!(order, ["c0", "c5", "c2", "c3", "c6", "c4", "c1", "c7"]);
    // Default cut-offs: 0.9 high; 0.7 and the three 0.5s medium (50 ≤ score < 75); the rest low.
    let t = scoring.tier_counts();
    assert_eq!((t.low, t.medium, t.high), (3, 4, 1));
    assert!(scoring.customers().iter().all(|c| c.change.is_none()));
}

#[test]
fn quantile_tiers_take_the_top_shares_of_the_population() {
    let probs: Vec<f64> = (0..20).map(|i| i as f64 / 40.0).collect();
    let config = ScorerConfig { cutoffs: TierCutoffs::Quantile { medium: 0.5, high: 0.9 }, reasons: 3 };
    let scoring = rank_scores(scores(&probs), day(1), &config, None).unwrap();
    let t = scoring.tier_counts();
    // 20 distinct scores: top 10% = 2 high, next 40% = 8 medium, bottom half = 10 low.
    assert_eq!((t.low, t.medium, t.high), (10, 8, 2));
    assert_eq!(scoring.customers()[0].tier, RiskTier::High);
    assert_eq!(scoring.customers()[2].tier, RiskTier::Medium);
}

#[test]
fn ranking_reports_change_since_the_previous_scoring() {
    let first = rank_scores(scores(&[0.2, 0.6, 0.8]), day(1), &ScorerConfig::default(), None).unwrap();
    let mut now = scores(&[0.55, 0.6, 0.3]);
    now.push(CustomerScore { customer: CustomerId::new("new"), probability: 0.9, reasons: Default::default() });
    let second = rank_scores(now, day(8), &ScorerConfig::default(), Some(&first)).unwrap();
    let c0 = second.get(&CustomerId::new("c0")).unwrap();
    let change = c0.change.as_ref().unwrap();
    assert_eq!((change.previous_tier, c0.tier, change.previous_as_of), (RiskTier::Low, RiskTier::Medium, day(1)));
    assert_abs_diff_eq!(change.probability_delta, 0.35, epsilon = 1e-12);
    assert_abs_diff_eq!(
        second.get(&CustomerId::new("c2")).unwrap().change.as_ref().unwrap().probability_delta,
        -0.5,
        epsilon = 1e-12
    );
    assert!(second.get(&CustomerId::new("new")).unwrap().change.is_none());
    let escalated: Vec<&str> = second.escalated().map(|c| c.customer.as_str()).collect();
    assert_eq!(escalated, ["c0"]);
}

#[test]
fn ranking_rejects_bad_cutoffs_empty_input_and_bad_probabilities() {
    let out_of_order = ScorerConfig { cutoffs: TierCutoffs::Score { medium: 80.0, high: 75.0 }, reasons: 3 };
    assert!(matches!(
        rank_scores(scores(&[0.5]), day(1), &out_of_order, None),
        Err(Error::InvalidParameter { name: "tier cut-offs", .. })
    ));
    let out_of_range = ScorerConfig { cutoffs: TierCutoffs::Quantile { medium: 0.5, high: 1.5 }, reasons: 3 };
    assert!(matches!(
        rank_scores(scores(&[0.5]), day(1), &out_of_range, None),
        Err(Error::InvalidParameter { name: "high cut-off", .. })
    ));
    let nan = ScorerConfig { cutoffs: TierCutoffs::Score { medium: f64::NAN, high: 75.0 }, reasons: 3 };
    assert!(matches!(rank_scores(scores(&[0.5]), day(1), &nan, None), Err(Error::InvalidParameter { .. })));
    assert!(matches!(rank_scores(vec![], day(1), &ScorerConfig::default(), None), Err(Error::EmptyData { .. })));
    assert!(matches!(
        rank_scores(scores(&[0.5, f64::NAN]), day(1), &ScorerConfig::default(), None),
        Err(Error::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        rank_scores(scores(&[1.5]), day(1), &ScorerConfig::default(), None),
        Err(Error::InvalidParameter { name: "probability", .. })
    ));
    let mut twice = scores(&[0.5]);
    twice.extend(scores(&[0.6]));
    assert!(matches!(
        rank_scores(twice, day(1), &ScorerConfig::default(), None),
        Err(Error::InvalidParameter { name: "customer", .. })
    ));
}

#[test]
fn scorer_matches_the_pipeline_scores_and_reports_progress() {
    use churnguard::classify::LogisticRegression;
    use churnguard::data::EventLog;
    use churnguard::pipeline::Pipeline;
    use churnguard::progress::{ProgressUpdate, Silent};
    use churnguard::sim::{Population, SimConfig};
    use churnguard::warn::Scorer;
    use std::sync::Mutex;

    let pop = Population::generate(&SimConfig { n_customers: 400, ..SimConfig::default() }).unwrap();
    let log = EventLog::from_source(pop.records()).unwrap();
    let train = [Timestamp::from_ymd(2024, 4, 1).unwrap()];
    let fitted = Pipeline::new(LogisticRegression::params()).fit_log(&log, &train, &Silent).unwrap();
    let at = Timestamp::from_ymd(2024, 10, 1).unwrap();
    let direct = fitted.score_log(&log, at, 2, &Silent).unwrap();
    let scorer = Scorer::new(fitted, ScorerConfig { reasons: 2, ..ScorerConfig::default() }).unwrap();
    let stages = Mutex::new(Vec::new());
    let record = |u: ProgressUpdate<'_>| stages.lock().unwrap().push((u.stage.to_string(), u.done, u.total));
    let scoring = scorer.score_log(&log, at, None, &record).unwrap();
    assert_eq!(scoring.customers().len(), direct.len());
    for (a, b) in scoring.customers().iter().zip(&direct) {
        assert_eq!((&a.customer, a.probability, &a.reasons), (&b.customer, b.probability, &b.reasons));
    }
    let stages = stages.into_inner().unwrap();
    assert_eq!(stages.last().unwrap(), &("ranking".to_string(), 1, 1));
    assert!(stages.iter().any(|(s, done, total)| s == "scoring" && done == total && *total == direct.len()));
    // Rescoring later with the first result as `previous` fills in the change for returning customers.
    let later = scorer.score_log(&log, Timestamp::from_ymd(2024, 11, 1).unwrap(), Some(&scoring), &Silent).unwrap();
    let returning = later.customers().iter().filter(|c| c.change.is_some()).count();
    assert!(returning > 0);
    // Drift between the training date and the scoring date covers every feature except the
    // two calendar ones (they differ between any two dates by construction), plus the score.
    let report = scorer.drift(&log, train[0], at, &DriftThresholds::default()).unwrap();
    assert_eq!(report.features.len(), scorer.pipeline().model().preprocessor().input_names().len() - 2);
    assert!(report.features.iter().all(|f| !churnguard::features::CALENDAR_FEATURES.contains(&f.feature.as_str())));
    assert!(report.score.is_some());
}

#[test]
fn scoring_exports_to_json_with_snake_case_tiers_and_round_trips() {
    let scoring = rank_scores(scores(&[0.8, 0.2]), day(1), &ScorerConfig::default(), None).unwrap();
    let json = serde_json::to_value(&scoring).unwrap();
    let first = &json["customers"][0];
    assert_eq!(first["customer"], "c0");
    assert_eq!(first["tier"], "high");
    assert_eq!(first["percentile"], 75.0);
    let back: churnguard::warn::Scoring = serde_json::from_value(json).unwrap();
    assert_eq!(back, scoring);
}

proptest::proptest! {
    /// Percentiles (read off the ranking's runs of ties) equal the textbook count
    /// 100·(#below + ½·#equal)/n for populations full of ties, signed zero included.
    #[test]
    fn percentiles_count_ties_as_half(probs in proptest::collection::vec(
        proptest::sample::select(vec![-0.0, 0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), 1..60)
    ) {
        let scoring = rank_scores(scores(&probs), day(1), &ScorerConfig::default(), None).unwrap();
        let n = probs.len() as f64;
        for (i, &p) in probs.iter().enumerate() {
            let below = probs.iter().filter(|&&q| q < p).count() as f64;
            let equal = probs.iter().filter(|&&q| q == p).count() as f64;
            let c = scoring.get(&CustomerId::new(format!("c{i}"))).unwrap();
            proptest::prop_assert_eq!(c.percentile, 100.0 * (below + 0.5 * equal) / n);
        }
    }
}
