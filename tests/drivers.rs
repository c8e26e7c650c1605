//! The simulator's churn drivers are recovered by a pooled logistic model, and
//! the simulator's oracle (its exact churn probabilities) is plausible.
//!
//! Coefficients are read on the standardised scale (default preprocessing), so
//! their signs say whether a higher value of the feature raises the churn risk.
//! The models are fitted with the Newton solver: it minimises the same
//! objective as the default L-BFGS solver and is about ten times faster in
//! debug builds.
//!
//! How reliable the checks are was measured while writing them: with 1,000
//! customers and eight monthly snapshots (2024-02-01 … 2024-09-01), seeds 1–12
//! all gave the expected signs (smallest margins: `order_count_trend_90d_vs_prev`
//! −0.115, `bad_review_count` +0.034, `days_since_last_visit` +1.72), and the
//! discount ablation raised the summed discount coefficients by 0.51–0.93
//! (`discount_order_share` alone by 0.36–0.99). With 2,000 customers seeds 1–10
//! gave the expected signs with `bad_review_count` ≥ +0.077. With 600 customers
//! the signs of the trend and bad-review coefficients failed for 1–2 of 12 seeds,
//! so the non-ignored tests use 1,000.

use churnguard::classify::{FittedLogisticRegression, LogisticRegression, Solver};
use churnguard::data::EventLog;
use churnguard::eval::roc_auc;
use churnguard::features::Snapshot;
use churnguard::model::Dataset;
use churnguard::pipeline::Pipeline;
use churnguard::preprocess::PreprocessParams;
use churnguard::sim::{DriverStrengths, Population, SimConfig};
use churnguard::{Days, Timestamp};

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

/// Monthly snapshots whose 90-day label windows close before the simulation ends (2025-01-01).
fn monthly_dates() -> Vec<Timestamp> {
    (2..=9).map(|m| date(2024, m, 1)).collect()
}

/// A logistic model pooled over monthly snapshots of a simulated population.
fn pooled_model(n_customers: usize, seed: u64, drivers: DriverStrengths) -> FittedLogisticRegression {
    let pop = Population::generate(&SimConfig { n_customers, seed, drivers, ..SimConfig::default() }).unwrap();
    let log = EventLog::from_source(pop.records()).unwrap();
    let data = Pipeline::new(LogisticRegression::params()).training_data(&log, &monthly_dates()).unwrap();
    let prep = PreprocessParams::default().fit(data.features()).unwrap();
    let x = prep.transform(data.features()).unwrap();
    let dataset = Dataset::new(x.view(), data.labels(), prep.output_names()).unwrap();
    LogisticRegression::params().solver(Solver::Newton).fit(&dataset).unwrap()
}

fn coef(model: &FittedLogisticRegression, name: &str) -> f64 {
    model.coefficient(name).unwrap_or_else(|| panic!("no feature `{name}`"))
}

/// The discount features move together (share of discounted orders, discount as a share of
/// gross spend), so the model may split the effect between them; their sum is the stable quantity.
fn discount_effect(model: &FittedLogisticRegression) -> f64 {
    coef(model, "discount_order_share") + coef(model, "discount_rate")
}

fn assert_driver_signs(model: &FittedLogisticRegression, context: &str) {
    let trend = coef(model, "order_count_trend_90d_vs_prev");
    let visit = coef(model, "days_since_last_visit");
    let bad = coef(model, "bad_review_count");
    assert!(trend < 0.0, "{context}: falling order frequency should raise churn, coefficient {trend}");
    assert!(visit > 0.0, "{context}: a long absence should raise churn, coefficient {visit}");
    assert!(bad > 0.0, "{context}: bad reviews should raise churn, coefficient {bad}");
}

fn with_discount_dependence(strength: f64) -> DriverStrengths {
    DriverStrengths { discount_dependence: strength, ..DriverStrengths::default() }
}

#[test]
fn pooled_model_recovers_the_simulated_driver_signs() {
    let model = pooled_model(1000, 1, DriverStrengths::default());
    assert_driver_signs(&model, "seed 1");
    // The absence signal is strong, not marginal (1.72–2.16 over seeds 1–12).
    assert!(coef(&model, "days_since_last_visit") > 1.0);
}

#[test]
fn discount_dependence_ablation_moves_the_discount_coefficients() {
    let off = pooled_model(1000, 1, with_discount_dependence(0.0));
    let strong = pooled_model(1000, 1, with_discount_dependence(3.0));
    let (e_off, e_strong) = (discount_effect(&off), discount_effect(&strong));
    assert!(e_strong > e_off + 0.3, "discount effect {e_strong} (strong) vs {e_off} (off)");
    assert!(e_strong > 0.3, "discount effect with a strong driver: {e_strong}");
    let (s_off, s_strong) = (coef(&off, "discount_order_share"), coef(&strong, "discount_order_share"));
    assert!(s_strong > s_off + 0.2, "discount_order_share {s_strong} (strong) vs {s_off} (off)");
}

#[test]
#[ignore = "slow in debug (about 20 s): larger populations and several seeds; run with --ignored or in release"]
fn driver_recovery_holds_across_seeds_on_larger_populations() {
    for seed in [1, 2, 3] {
        assert_driver_signs(&pooled_model(2000, seed, DriverStrengths::default()), &format!("seed {seed}"));
        let off = discount_effect(&pooled_model(2000, seed, with_discount_dependence(0.0)));
        let strong = discount_effect(&pooled_model(2000, seed, with_discount_dependence(3.0)));
        assert!(strong > off + 0.4, "seed {seed}: discount effect {strong} (strong) vs {off} (off)");
    }
}

#[test]
fn oracle_auc_is_plausible_and_truth_is_a_probability() {
    let pop = Population::generate(&SimConfig { n_customers: 600, seed: 1, ..SimConfig::default() }).unwrap();
    let log = EventLog::from_source(pop.records()).unwrap();
    let pipeline = Pipeline::new(LogisticRegression::params());
    let (mut labels, mut probs) = (Vec::new(), Vec::new());
    for as_of in [date(2024, 4, 1), date(2024, 7, 1)] {
        let snap = Snapshot::new(as_of, Days(365), Days(90)).unwrap();
        let data = pipeline.settings().features.labeled(&log, &snap).unwrap();
        let truth = pop.truth(as_of, Days(90), 16).unwrap();
        assert!(truth.probability.iter().all(|p| (0.0..=1.0).contains(p)), "truth outside [0, 1]");
        let p = truth.for_customers(data.features().customer_ids()).unwrap();
        // A customer who had already churned before as_of (truth exactly 1) cannot order afterwards.
        for (&pi, &label) in p.iter().zip(data.labels()) {
            assert!(pi < 1.0 || label, "{as_of}: certain churner labelled retained");
        }
        labels.extend_from_slice(data.labels());
        probs.extend(p);
    }
    let auc = roc_auc(&labels, &probs).unwrap();
    // The module docs give ≈ 0.89 pooled over 2024 with 5,000 customers; on ~550 rows the
    // oracle AUC ranged 0.857–0.921 over seeds 1–10.
    assert!((0.80..=0.96).contains(&auc), "oracle AUC {auc}");
    // Calibration: the mean true probability matches the realised churn rate
    // (|difference| ≤ 0.023 over seeds 1–10; binomial s.e. of the rate ≈ 0.016).
    let mean = probs.iter().sum::<f64>() / probs.len() as f64;
    let rate = labels.iter().filter(|&&l| l).count() as f64 / labels.len() as f64;
    assert!((mean - rate).abs() < 0.05, "mean truth {mean} vs churn rate {rate}");
}
