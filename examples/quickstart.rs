//! From raw customer records to the riskiest customers, with reasons.
//!
//! Simulates the built-in e-commerce population (5,000 customers over two
//! years), cross-validates a logistic-regression pipeline on monthly snapshots,
//! compares it with the oracle (the simulator's true churn probabilities),
//! names the strongest churn factors, and scores the latest snapshot.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```

use std::time::Instant;

use churnguard::classify::{FittedLogisticRegression, LogisticRegression};
use churnguard::data::EventLog;
use churnguard::eval::{StratifiedKFold, roc_auc};
use churnguard::pipeline::Pipeline;
use churnguard::progress::ProgressUpdate;
use churnguard::sim::{Population, SimConfig};
use churnguard::{Result, Timestamp};
use indicatif::{ProgressBar, ProgressStyle};

fn main() -> Result<()> {
    let started = Instant::now();

    // 1. Data: the built-in synthetic shop. Any DataSource works the same way.
    let config = SimConfig::default();
    let population = Population::generate(&config)?;
    let log = EventLog::from_source(population.records())?;
    println!(
        "simulated {} customers, {} events ({} to {}); ingest: {}",
        log.n_customers(),
        log.n_events(),
        config.start,
        config.end(),
        log.report()
    );

    // 2. A pipeline: default point-in-time features (365-day look-back, 90-day horizon),
    //    preprocessing and an L2 logistic regression.
    let pipeline = Pipeline::new(LogisticRegression::params());
    // Monthly snapshots whose 90-day label windows close before the data ends.
    let dates: Vec<Timestamp> = (1..=9).map(|m| Timestamp::from_ymd(2024, m, 1)).collect::<Result<_>>()?;

    // 3. Five-fold cross-validation over the stacked snapshots (customers grouped).
    let bar = ProgressBar::new(5).with_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("cross-validating");
    let report = pipeline.cross_validate(&log, &dates, &StratifiedKFold::new(5, 42)?, &|u: ProgressUpdate<'_>| {
        bar.set_position(u.done as u64)
    })?;
    bar.finish_and_clear();
    println!("\n{report}");

    // 4. The oracle: the simulator knows each customer's true churn probability.
    let data = pipeline.training_data(&log, &dates)?;
    let mut truth = Vec::with_capacity(data.n_rows());
    let mut row = 0;
    for &d in &dates {
        let snapshot = pipeline.settings().snapshot(d)?;
        let n = pipeline.settings().features.eligible_customers(&log, &snapshot).len();
        let ids = &data.features().customer_ids()[row..row + n];
        truth.extend(population.truth(d, pipeline.settings().horizon, 32)?.for_customers(ids)?);
        row += n;
    }
    let oracle = roc_auc(data.labels(), &truth)?;
    println!(
        "\n{} labelled rows from {} snapshots, churn rate {:.1}%",
        data.n_rows(),
        dates.len(),
        100.0 * data.churn_rate()
    );
    println!("oracle AUC (true probabilities)     {oracle:.4}");
    println!("logistic regression, 5-fold CV AUC  {:.4}", report.summary.mean.roc_auc);
    println!("gap to the oracle                   {:.4}", oracle - report.summary.mean.roc_auc);

    // 5. Fit on all snapshots and show the strongest churn factors (standardised coefficients).
    let fitted = pipeline.fit_log(&log, &dates, &churnguard::progress::Silent)?;
    if let Some(model) = fitted.model().model().as_any().downcast_ref::<FittedLogisticRegression>() {
        println!("\nstrongest churn factors (log-odds per standard deviation):");
        for (name, coef) in model.ranked_coefficients().into_iter().take(12) {
            println!("  {name:38} {coef:+.3}");
        }
    }

    // 6. Score the latest snapshot and list the riskiest customers with reasons.
    let now = config.end().add_days(-1);
    let scores = fitted.score_log(&log, now, 3, &churnguard::progress::Silent)?;
    println!("\n{} active customers scored at {now}; the 10 riskiest:", scores.len());
    for s in scores.iter().take(10) {
        let reasons: Vec<String> = s.reasons.iter().map(|r| r.to_string()).collect();
        println!("  {}  {:5.1}%  {}", s.customer, 100.0 * s.probability, reasons.join("; "));
    }
    println!("\ndone in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
