//! Five-fold cross-validated logistic regression on the IBM Telco churn table.
//!
//! The tabular path: one row per customer, label column `churn` ("Yes" = churned).
//!
//! ```text
//! cargo run --release --example telco -- [path/to/telco_churn.csv] [--folds-out folds.csv]
//! ```
//!
//! The path defaults to `../shared/data/telco_churn.csv`. `--folds-out` writes
//! each row's test fold so `bench/telco_sklearn.py` can score scikit-learn on
//! exactly the same folds.

use std::path::PathBuf;
use std::process::ExitCode;

use churnguard::classify::LogisticRegression;
use churnguard::eval::{StratifiedKFold, cross_validate};
use churnguard::features::{LabeledMatrix, TableSpec};
use churnguard::preprocess::PreprocessParams;
use churnguard::progress::Silent;

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

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = PathBuf::from("../shared/data/telco_churn.csv");
    let mut folds_out = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--folds-out" => folds_out = Some(PathBuf::from(args.next().ok_or("--folds-out needs a path")?)),
            _ => path = PathBuf::from(a),
        }
    }
    if !path.is_file() {
        return Err(format!(
            "Telco data not found at {}; pass the path to telco_churn.csv (see ../shared/data/SOURCES.md)",
            path.display()
        )
        .into());
    }
    let (data, report) = LabeledMatrix::from_csv(&path, &TableSpec::new("churn", "Yes"))?;
    println!("{}: {} customers, churn rate {:.1}%", path.display(), data.n_rows(), 100.0 * data.churn_rate());
    println!("ingest: {report}");
    println!("numeric: {}", data.features().numeric_names().join(", "));
    let categorical: Vec<&str> = data.features().categorical().iter().map(|c| c.name()).collect();
    println!("categorical: {}", categorical.join(", "));

    let folds = StratifiedKFold::new(5, 42)?;
    let cv = cross_validate(&LogisticRegression::params(), &PreprocessParams::default(), &data, &folds, &Silent)?;
    println!("\n{cv}");
    for (i, f) in cv.folds.iter().enumerate() {
        println!("  fold {i}: ROC-AUC {:.4} (train {}, test {})", f.metrics.roc_auc, f.n_train, f.n_test);
    }

    if let Some(out) = folds_out {
        folds::write_fold_assignment(&folds, &data, &out)?;
    }
    Ok(())
}
