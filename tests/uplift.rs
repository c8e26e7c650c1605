//! Uplift metrics against scikit-uplift 0.5.1 (`python3 bench/uplift_reference.py`).
//!
//! n = 60 customers drawn from numpy's default_rng(11); scores rounded to one decimal, so
//! there are ties (including −0.0 and 0.0, which numpy treats as equal).

use approx::assert_relative_eq;
use churnguard::eval::uplift::{TopK, auuc, qini_coefficient, qini_curve, uplift_at_k, uplift_curve};

const Y: &str = "110111111011000010011100001011101011010101100101101100000101";
const T: &str = "110110110010011000000101101001111011010111110011101011001111";
const S: [f64; 60] = [
    -0.3, 0.8, -0.4, -0.0, 0.3, -0.9, 0.6, -0.1, 0.5, -0.5, 1.1, 0.6, -0.2, 0.6, 1.3, 1.8, -1.6, 0.9, 0.5, -0.1, -1.0,
    1.3, -1.3, 0.6, 1.3, -1.6, -0.3, -1.3, 0.2, 1.5, 2.0, -1.8, -0.6, 0.7, 1.6, 0.4, -0.7, 0.3, -0.0, -0.2, -0.7, 0.4,
    0.3, -0.1, -0.2, -1.3, -0.5, 1.2, -0.2, -1.4, 1.3, 0.5, 2.1, 0.1, -0.5, -1.4, 1.3, 2.6, -0.8, -0.6,
];

fn bits(s: &str) -> Vec<bool> {
    s.chars().map(|c| c == '1').collect()
}

#[test]
fn qini_coefficient_matches_scikit_uplift() {
    let (y, t) = (bits(Y), bits(T));
    assert_relative_eq!(qini_coefficient(&y, &S, &t, true).unwrap(), 0.15133707369631375, max_relative = 1e-12);
    assert_relative_eq!(qini_coefficient(&y, &S, &t, false).unwrap(), 0.43819217833594554, max_relative = 1e-12);
}

#[test]
fn auuc_matches_scikit_uplift() {
    assert_relative_eq!(auuc(&bits(Y), &S, &bits(T)).unwrap(), 0.07268646526107447, max_relative = 1e-12);
}

#[test]
fn uplift_at_k_matches_scikit_uplift() {
    let (y, t) = (bits(Y), bits(T));
    assert_relative_eq!(uplift_at_k(&y, &S, &t, 0.3, TopK::Overall).unwrap(), 0.6, max_relative = 1e-12);
    assert_relative_eq!(
        uplift_at_k(&y, &S, &t, 0.3, TopK::ByGroup).unwrap(),
        0.17142857142857143,
        max_relative = 1e-12
    );
}

#[test]
fn curves_match_scikit_uplift() {
    let (y, t) = (bits(Y), bits(T));
    let q = qini_curve(&y, &S, &t).unwrap();
    assert_eq!(&q.targeted[..6], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(&q.value[..6], &[0.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
    let u = uplift_curve(&y, &S, &t).unwrap();
    assert_eq!(u.targeted.last(), Some(&60.0));
    assert_relative_eq!(*u.value.last().unwrap(), 17.82857142857143, max_relative = 1e-12);
    assert_relative_eq!(u.area(), 599.6768558208188, max_relative = 1e-12);
}

/// On the simulator, where each customer's true effect is known: the true effects rank
/// customers by Qini far better than chance, and a two-model uplift learner trained on a
/// randomised half recovers part of that on the other half.
#[test]
fn uplift_learner_recovers_simulated_campaign_effects() {
    use churnguard::classify::GradientBoosting;
    use churnguard::data::EventLog;
    use churnguard::eval::uplift::TwoModelUplift;
    use churnguard::features::{FeatureSpec, Snapshot};
    use churnguard::model::Learner;
    use churnguard::sim::{Campaign, Population, SimConfig};
    use churnguard::{Days, Timestamp};

    let pop = Population::generate(&SimConfig { n_customers: 6000, seed: 3, ..SimConfig::default() }).unwrap();
    let log = EventLog::from_source(pop.records()).unwrap();
    let as_of = Timestamp::from_ymd(2024, 1, 2).unwrap();
    let features = FeatureSpec::default().extract(&log, &Snapshot::new(as_of, Days(365), Days(90)).unwrap()).unwrap();
    let truth = pop.campaign_truth(as_of, Days(90), 8, &Campaign::default()).unwrap();
    let index: std::collections::HashMap<_, _> = truth.customers.iter().enumerate().map(|(i, c)| (c, i)).collect();
    let rows: Vec<usize> = features.customer_ids().iter().map(|c| index[c]).collect();
    // Randomise every eligible customer 50/50 by parity of their position; draw outcomes.
    let mut assigned = vec![false; truth.customers.len()];
    for (k, &r) in rows.iter().enumerate() {
        assigned[r] = k % 2 == 0;
    }
    let outcomes = truth.draw_outcomes(&assigned, 11).unwrap();
    let churned: Vec<bool> = rows.iter().map(|&r| outcomes[r]).collect();
    let treated: Vec<bool> = rows.iter().map(|&r| assigned[r]).collect();
    let effect: Vec<f64> = rows.iter().map(|&r| truth.control[r] - truth.treated[r]).collect();

    let gbm = GradientBoosting::params().learning_rate(0.05).n_trees(60).max_leaves(8);
    let prep = gbm.default_preprocess().fit(&features).unwrap();
    let x = prep.transform(&features).unwrap();
    let n = rows.len();
    let (fit_rows, test_rows): (Vec<usize>, Vec<usize>) = (0..n).partition(|i| (i / 2) % 2 == 0);
    let pick = |v: &[bool], r: &[usize]| r.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let model = TwoModelUplift::new(gbm)
        .fit(
            x.select(ndarray::Axis(0), &fit_rows).view(),
            prep.output_names(),
            &pick(&churned, &fit_rows),
            &pick(&treated, &fit_rows),
        )
        .unwrap();
    let u = model.predict_uplift(x.select(ndarray::Axis(0), &test_rows).view()).unwrap().to_vec();
    let retained: Vec<bool> = pick(&churned, &test_rows).iter().map(|c| !c).collect();
    let t = pick(&treated, &test_rows);
    let true_effect: Vec<f64> = test_rows.iter().map(|&i| effect[i]).collect();
    let q_model = qini_coefficient(&retained, &u, &t, true).unwrap();
    let q_truth = qini_coefficient(&retained, &true_effect, &t, true).unwrap();
    assert!(q_truth > 0.02, "true-effect Qini {q_truth}");
    // Seeded run: model 0.0246, true effects 0.0441; a random ranking scores about 0.
    assert!(q_model > 0.3 * q_truth, "model Qini {q_model} (truth {q_truth})");
}
