//! A self-contained HTML churn model report from the built-in simulation.
//!
//! Simulates 3,000 customers, cross-validates logistic regression against gradient boosting
//! on the same folds, fits both on four folds and scores the fifth, then draws ROC,
//! precision–recall, cumulative gain and calibration charts and lists the riskiest held-out
//! customers with the features on which they stand out most.
//!
//! ```text
//! cargo run --release --example report -- [path/to/churn_report.html]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use churnguard::Timestamp;
use churnguard::classify::{GradientBoosting, LogisticRegression};
use churnguard::data::EventLog;
use churnguard::eval::{StratifiedKFold, compare, reliability_curve};
use churnguard::features::LabeledMatrix;
use churnguard::model::{Dataset, Learner};
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::regression::factors::{ChurnFactors, MissingValues};
use churnguard::report::{
    ModelReport, RiskyCustomer, ScoredModel, calibration_svg, gain_svg, lift_svg, odds_ratio_svg, pr_svg, roc_svg,
};
use churnguard::sim::{Population, SimConfig};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Held-out churn probabilities of one learner fitted on `train`.
fn held_out_scores(learner: &dyn Learner, train: &LabeledMatrix, test: &LabeledMatrix) -> churnguard::Result<Vec<f64>> {
    let prep = learner.default_preprocess().fit(train.features())?;
    let x = prep.transform(train.features())?;
    let model = learner.fit_model(&Dataset::with_missing(x.view(), train.labels(), prep.output_names())?)?;
    let xt = prep.transform(test.features())?;
    Ok(model.predict_proba(xt.view())?.to_vec())
}

/// The three numeric features on which a customer is furthest from the training mean, in SDs.
fn reasons(train: &LabeledMatrix, test: &LabeledMatrix, row: usize) -> Vec<String> {
    let (xs, xt) = (train.features().numeric(), test.features().numeric());
    let names = test.features().numeric_names();
    let mut scored: Vec<(f64, String)> = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let column = xs.column(j);
        let finite: Vec<f64> = column.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.len() < 2 {
            continue;
        }
        let mean = finite.iter().sum::<f64>() / finite.len() as f64;
        let sd = (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (finite.len() - 1) as f64).sqrt();
        let Some(&v) = xt.get((row, j)) else { continue };
        if sd > 0.0 && v.is_finite() {
            let z = (v - mean) / sd;
            let side = if z > 0.0 { "high" } else { "low" };
            scored.push((z.abs(), format!("{side} {name} ({v:.1}, {z:+.1} sd)")));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, r)| r).collect()
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("churn_report.html"), PathBuf::from);
    let population = Population::generate(&SimConfig { n_customers: 3_000, ..SimConfig::default() })?;
    let log = EventLog::from_source(population.records())?;
    let data = Pipeline::new(LogisticRegression::params()).training_data(&log, &[Timestamp::from_ymd(2024, 6, 1)?])?;

    let logit = LogisticRegression::params();
    let gbm = GradientBoosting::params().learning_rate(0.05).n_trees(100).seed(1);
    let learners: [(&str, &dyn Learner); 2] = [("logistic regression", &logit), ("gradient boosting", &gbm)];
    let folds = StratifiedKFold::new(5, 42)?;
    let comparison = compare(&learners.map(|(_, l)| l), &data, &folds, &Silent)?;

    let split = folds.split(data.labels())?;
    let fold = split.first().ok_or("no folds")?;
    let (train, test) = (data.select_rows(&fold.train)?, data.select_rows(&fold.test)?);
    let labels = test.labels().to_vec();
    let scores =
        learners.iter().map(|(_, l)| held_out_scores(*l, &train, &test)).collect::<churnguard::Result<Vec<_>>>()?;
    let models: Vec<ScoredModel<'_>> =
        learners.iter().zip(&scores).map(|((name, _), s)| ScoredModel { name, labels: &labels, scores: s }).collect();
    let boosting = scores.get(1).ok_or("no boosting scores")?;

    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| boosting[b].total_cmp(&boosting[a]));
    let riskiest = order
        .iter()
        .take(10)
        .map(|&r| RiskyCustomer {
            customer: test.features().customer_ids()[r].to_string(),
            probability: boosting[r],
            reasons: reasons(&train, &test, r),
        })
        .collect();

    let report = ModelReport::new(format!(
        "Churn model report: simulation, {} active customers on 2024-06-01, churn {:.1}%",
        data.n_rows(),
        100.0 * data.churn_rate()
    ))
    .comparison(comparison)
    .chart("ROC curve (held-out fold)", roc_svg(&models)?)
    .chart("Precision-recall (held-out fold)", pr_svg(&models)?)
    .chart("Cumulative gain (held-out fold)", gain_svg(&models)?)
    .chart("Cumulative lift (held-out fold)", lift_svg(&models)?)
    .chart(
        "Calibration of gradient boosting (held-out fold)",
        calibration_svg("gradient boosting", &reliability_curve(&labels, boosting, 10)?)?,
    )
    .riskiest(riskiest);

    // Why customers churn: logistic churn factors on all rows (a fit failure only drops the section).
    let report = match ChurnFactors::params().fit_features(data.features(), data.labels(), MissingValues::DropRows) {
        Ok(fit) => {
            let mut top: Vec<_> =
                fit.terms().iter().filter(|t| t.name != churnguard::regression::factors::INTERCEPT).cloned().collect();
            top.sort_by(|a, b| a.p_value.total_cmp(&b.p_value));
            top.truncate(12);
            report.factors(&top, 12).chart("Churn factors (odds ratios, 95% CI)", odds_ratio_svg(&top)?)
        }
        Err(e) => {
            eprintln!("churn factors skipped: {e}");
            report
        }
    };
    std::fs::write(&out, report.to_html()?)?;
    println!("report written to {}", out.display());
    Ok(())
}
