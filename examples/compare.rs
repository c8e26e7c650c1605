//! Every churn classifier side by side, on the same folds.
//!
//! Cross-validates logistic regression, a decision tree, a random forest,
//! gradient boosting (plain and isotonic-calibrated) and an RBF SVM on
//! (1) the built-in simulation (three monthly snapshots, customers grouped in
//! folds) and (2) the IBM Telco table if its path exists, and prints one
//! Markdown table per data set: ROC-AUC, PR-AUC, log loss, Brier, ECE,
//! lift@10%, EMPC (expected maximum profit per customer, Verbraken et al. 2013)
//! and fit/predict seconds per fold.
//!
//! ```text
//! cargo run --release --example compare -- [path/to/telco_churn.csv] [--folds-out folds.csv]
//! ```
//!
//! `--folds-out` writes the Telco fold of every row so `bench/compare_peers.py`
//! can score scikit-learn and LightGBM on exactly the same folds.

use std::path::PathBuf;
use std::process::ExitCode;

use churnguard::classify::{
    Calibrated, CalibrationMethod, DecisionTree, GradientBoosting, LogisticRegression, RandomForest, Svm,
};
use churnguard::data::EventLog;
use churnguard::eval::{StratifiedKFold, compare, permutation_importance};
use churnguard::features::{LabeledMatrix, TableSpec};
use churnguard::model::{Dataset, Learner};
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::sim::{Population, SimConfig};
use churnguard::{Result, Timestamp};

#[path = "common/folds.rs"]
mod folds;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn learners() -> Vec<Box<dyn Learner>> {
    vec![
        Box::new(LogisticRegression::params()),
        Box::new(DecisionTree::params().max_depth(Some(5))),
        Box::new(RandomForest::params().n_trees(200).min_samples_leaf(5).seed(1)),
        Box::new(GradientBoosting::params().learning_rate(0.05).n_trees(100).seed(1)),
        Box::new(Calibrated::new(
            GradientBoosting::params().learning_rate(0.05).n_trees(100).seed(1),
            CalibrationMethod::Isotonic,
        )),
        Box::new(Svm::params()),
    ]
}

fn table(title: &str, data: &LabeledMatrix, folds: &StratifiedKFold) -> Result<()> {
    let owned = learners();
    let refs: Vec<&dyn Learner> = owned.iter().map(|l| l.as_ref()).collect();
    let result = compare(&refs, data, folds, &Silent)?;
    println!("## {title}\n\n{result}");
    if let Some(best) = result.best_by_roc_auc() {
        println!("best by ROC-AUC: {}\n", best.learner);
    }
    Ok(())
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = PathBuf::from("../shared/data/telco_churn.csv");
    let mut folds_out = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--folds-out" => folds_out = Some(PathBuf::from(args.next().ok_or("--folds-out needs a path")?)),
            _ => path = PathBuf::from(a),
        }
    }
    let folds = StratifiedKFold::new(5, 42)?;

    // 1. The simulation: three monthly snapshots stacked, customers grouped in folds.
    let population = Population::generate(&SimConfig::default())?;
    let log = EventLog::from_source(population.records())?;
    let dates: Vec<Timestamp> = (4..=6).map(|m| Timestamp::from_ymd(2024, m, 1)).collect::<Result<_>>()?;
    let sim = Pipeline::new(LogisticRegression::params()).training_data(&log, &dates)?;
    table(&format!("Simulation ({} rows, churn {:.1}%)", sim.n_rows(), 100.0 * sim.churn_rate()), &sim, &folds)?;

    // Which features does boosting rely on? Permutation importance on a held-out fold.
    let split = folds.split(sim.labels())?;
    if let Some(fold) = split.first() {
        let (train, test) = (sim.select_rows(&fold.train)?, sim.select_rows(&fold.test)?);
        let gbm = GradientBoosting::params().learning_rate(0.05).n_trees(100).seed(1);
        let prep = gbm.default_preprocess().fit(train.features())?;
        let x = prep.transform(train.features())?;
        let model = gbm.fit_model(&Dataset::with_missing(x.view(), train.labels(), prep.output_names())?)?;
        let xt = prep.transform(test.features())?;
        let imp = permutation_importance(model.as_ref(), xt.view(), test.labels(), 3, 7)?;
        println!("gradient boosting, permutation importance on a held-out fold (ROC-AUC drop):");
        for i in imp.iter().take(8) {
            println!("  {:<36} {:.4} ± {:.4}", i.feature, i.mean_drop, i.std_drop);
        }
        println!();
    }

    // 2. The IBM Telco table, if present.
    if !path.is_file() {
        println!("Telco data not found at {} — pass its path to compare on real data.", path.display());
        return Ok(());
    }
    let (telco, _) = LabeledMatrix::from_csv(&path, &TableSpec::new("churn", "Yes"))?;
    table(&format!("IBM Telco ({} rows, churn {:.1}%)", telco.n_rows(), 100.0 * telco.churn_rate()), &telco, &folds)?;
    if let Some(out) = folds_out {
        folds::write_fold_assignment(&folds, &telco, &out)?;
    }
    Ok(())
}
