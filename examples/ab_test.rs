//! The post-holiday retention campaign, end to end and honestly measured.
//!
//! 1. Simulate the shop and fit a churn pipeline on autumn snapshots.
//! 2. On 2 January score everyone; the top 30% by churn probability is the high-risk tier.
//! 3. Plan the test (sample size for a 20% relative churn cut), then randomise the tier
//!    50/50 with the seeded, id-hashed `Assigner`.
//! 4. Apply the simulated coupon-and-care campaign (`sim::Campaign`: strong on
//!    discount-sensitive lapsing customers, slightly backfiring on full-price buyers) and
//!    draw each customer's 90-day outcome from the exact probabilities of their arm.
//! 5. Report the churn reduction with its 95% CI and p-value, and the power the test had.
//! 6. Train uplift models on half of the test and measure their Qini on the other half.
//! 7. With the budget to treat a third of the tier, compare how much churn targeting by
//!    uplift prevents against targeting by risk (true effects from the simulator).
//!
//! ```text
//! cargo run --release --example ab_test
//! ```

use churnguard::classify::{GradientBoosting, LogisticRegression};
use churnguard::data::EventLog;
use churnguard::eval::ab::{Assigner, PowerPlan, compare_outcomes};
use churnguard::eval::uplift::{ClassTransformationUplift, TwoModelUplift, qini_coefficient};
use churnguard::pipeline::Pipeline;
use churnguard::preprocess::{PreprocessParams, UnknownCategory};
use churnguard::progress::Silent;
use churnguard::sim::{Campaign, Population, SimConfig};
use churnguard::{Days, Result, Timestamp};

/// L2 strength of the uplift models: a few hundred customers per arm need strong shrinkage.
const UPLIFT_ALPHA: f64 = 50.0;

fn main() -> Result<()> {
    // 1. The shop and a churn model fitted on snapshots whose labels closed before January.
    let population = Population::generate(&SimConfig { n_customers: 40_000, ..SimConfig::default() })?;
    let log = EventLog::from_source(population.records())?;
    let train_dates: Vec<Timestamp> = (6..=9).map(|m| Timestamp::from_ymd(2023, m, 1)).collect::<Result<_>>()?;
    // Holiday-promo sign-ups (November/December) are new at scoring time: encode the unseen
    // acquisition channel as "no level" instead of refusing it.
    let preprocess = PreprocessParams::default().unknown_category(UnknownCategory::Ignore);
    let fitted =
        Pipeline::new(LogisticRegression::params()).preprocess(preprocess).fit_log(&log, &train_dates, &Silent)?;

    // 2. Score on 2 January 2024 and take the riskiest 30%.
    let as_of = Timestamp::from_ymd(2024, 1, 2)?;
    let mut scores = fitted.score_log(&log, as_of, 3, &Silent)?;
    scores.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let tier = scores.len() * 3 / 10;
    let high_risk: Vec<_> = scores[..tier].to_vec();
    println!(
        "scored {} active customers on {as_of}; high-risk tier: {tier} (P(churn) ≥ {:.2})",
        scores.len(),
        high_risk[tier - 1].probability
    );

    // 3. Plan, then randomise within the tier.
    let expected_baseline = high_risk.iter().map(|s| s.probability).sum::<f64>() / tier as f64;
    let needed = PowerPlan::new(expected_baseline, 0.05)?.sample_size(0.20, 0.80)?.control;
    println!(
        "plan: predicted churn in the tier {:.1}%; detecting a 20% relative cut with 80% power needs {needed} per arm (have ~{})",
        100.0 * expected_baseline,
        tier / 2
    );
    let assigner = Assigner::new(2024, &[("control", 0.5), ("treatment", 0.5)])?;
    let treated: Vec<bool> =
        high_risk.iter().map(|s| assigner.assign(s.customer.as_str(), "high") == "treatment").collect();

    // 4. The campaign's potential outcomes and the observed ones.
    let truth = population.campaign_truth(as_of, Days(90), 24, &Campaign::default())?;
    let index: std::collections::HashMap<_, _> =
        truth.customers.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
    let rows: Vec<usize> = high_risk.iter().filter_map(|s| index.get(&s.customer).copied()).collect();
    if rows.len() != high_risk.len() {
        return Err(churnguard::Error::EmptyData { context: "a scored customer has no simulated outcome".into() });
    }
    let mut assigned_all = vec![false; truth.customers.len()];
    for (&r, &t) in rows.iter().zip(&treated) {
        assigned_all[r] = t;
    }
    let outcomes_all = truth.draw_outcomes(&assigned_all, 7)?;
    let churned: Vec<bool> = rows.iter().map(|&r| outcomes_all[r]).collect();

    // 5. The result, with its uncertainty and the power the test had.
    let test = compare_outcomes(&churned, &treated, 0.95)?;
    println!("\nA/B result in the high-risk tier: {test}");
    println!(
        "power of this test to detect a 20% relative cut: {:.0}%",
        100.0 * PowerPlan::new(test.control_rate, 0.05)?.power(0.20, test.control.n)?
    );

    // 6. Uplift models, cross-fitted: train on one half of the tier, score the other, and swap,
    //    so every customer gets an out-of-sample uplift score.
    let snapshot = fitted.settings().snapshot(as_of)?;
    let features = fitted.settings().features.extract(&log, &snapshot)?;
    let feature_row: std::collections::HashMap<_, _> =
        features.customer_ids().iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
    let tier_rows: Vec<usize> = high_risk.iter().filter_map(|s| feature_row.get(&s.customer).copied()).collect();
    let x = fitted.model().preprocessor().transform(&features.select_rows(&tier_rows)?)?;
    let names = fitted.model().preprocessor().output_names().to_vec();
    let halves: [Vec<usize>; 2] =
        [(0..tier).filter(|i| i % 2 == 0).collect(), (0..tier).filter(|i| i % 2 == 1).collect()];
    let pick = |rows: &[usize]| x.select(ndarray::Axis(0), rows);
    let take = |v: &[bool], rows: &[usize]| rows.iter().map(|&i| v[i]).collect::<Vec<bool>>();
    let retained: Vec<bool> = churned.iter().map(|c| !c).collect();
    let true_effect: Vec<f64> = rows.iter().map(|&r| truth.control[r] - truth.treated[r]).collect();
    let qini_oracle = qini_coefficient(&retained, &true_effect, &treated, true)?;
    let mut best: Option<(f64, Vec<f64>)> = None;
    for name in ["two-model, boosting", "two-model, logistic", "class transformation, logistic"] {
        let mut scores = vec![0.0; tier];
        for k in 0..2 {
            let (fit_rows, score_rows) = (&halves[k], &halves[1 - k]);
            let (xf, yf, tf) = (pick(fit_rows), take(&churned, fit_rows), take(&treated, fit_rows));
            let model =
                match name {
                    "two-model, boosting" => {
                        TwoModelUplift::new(GradientBoosting::params().learning_rate(0.05).n_trees(100).max_leaves(8))
                            .fit(xf.view(), &names, &yf, &tf)?
                    }
                    "two-model, logistic" => TwoModelUplift::new(LogisticRegression::params().alpha(UPLIFT_ALPHA))
                        .fit(xf.view(), &names, &yf, &tf)?,
                    _ => ClassTransformationUplift::new(LogisticRegression::params().alpha(UPLIFT_ALPHA)).fit(
                        xf.view(),
                        &names,
                        &yf,
                        &tf,
                    )?,
                };
            for (&r, u) in score_rows.iter().zip(model.predict_uplift(pick(score_rows).view())?) {
                scores[r] = u;
            }
        }
        let qini = qini_coefficient(&retained, &scores, &treated, true)?;
        println!("uplift model ({name}): cross-fitted Qini {qini:.3} (the true effects score {qini_oracle:.3})");
        if best.as_ref().is_none_or(|(q, _)| qini > *q) {
            best = Some((qini, scores));
        }
    }

    // 7. Same budget, two targeting rules: churners prevented in expectation (true effects).
    let budget = tier / 3;
    let prevented = |order: &[usize]| order.iter().take(budget).map(|&i| true_effect[i]).sum::<f64>();
    let by_risk: Vec<usize> = (0..tier).collect(); // already sorted by risk
    let uplift_scores = best.map(|(_, s)| s).unwrap_or_default();
    let mut by_uplift: Vec<usize> = (0..tier).collect();
    by_uplift.sort_by(|&a, &b| uplift_scores[b].total_cmp(&uplift_scores[a]));
    let mut by_truth: Vec<usize> = (0..tier).collect();
    by_truth.sort_by(|&a, &b| true_effect[b].total_cmp(&true_effect[a]));
    let (risk_saved, uplift_saved) = (prevented(&by_risk), prevented(&by_uplift));
    println!(
        "\nbudget for {budget} treatments: targeting by risk prevents {risk_saved:.1} churners, by the best uplift model {uplift_saved:.1} ({:+.0}%); knowing the true effects would prevent {:.1}",
        100.0 * (uplift_saved / risk_saved - 1.0),
        prevented(&by_truth)
    );
    let gone = rows.iter().filter(|&&r| truth.control[r] > 0.999).count();
    println!("{gone} of the tier had already left before {as_of} (reachable only by win-back).");
    let backfired = true_effect.iter().filter(|&&e| e < 0.0).count();
    println!("{backfired} of the {tier} high-risk customers would churn more if treated (full-price buyers).");
    Ok(())
}
