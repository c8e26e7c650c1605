//! perpetual 2.3.0 as a peer of churnguard's GradientBoosting.
//!
//! ```text
//! cd bench/perpetual   # perpetual needs a nightly feature: RUSTC_BOOTSTRAP=1 lets stable rustc build it
//! RUSTC_BOOTSTRAP=1 cargo run --release -- telco ../../../shared/data/telco_churn.csv
//! RUSTC_BOOTSTRAP=1 cargo run --release -- table 1000000
//! ```
//!
//! `telco`: the exact folds churnguard's `cross_validate` uses (StratifiedKFold(5, 42),
//! grouped by row id) and churnguard's tree preprocessing (missing kept, one-hot), then
//! perpetual with budgets 0.5 and 1.0; prints mean ± sd ROC-AUC and fit seconds, beside
//! churnguard's GradientBoosting (learning rate 0.05, 100 trees) on the same folds.
//! `table N`: fit time and batch prediction throughput on `benches/common/table.rs`, beside
//! churnguard's GradientBoosting (100 trees, 31 leaves) timed in the same process.

use std::time::Instant;

use churnguard::classify::GradientBoosting;
use churnguard::eval::{StratifiedKFold, roc_auc};
use churnguard::features::{LabeledMatrix, TableSpec};
use churnguard::model::{ChurnModel, Dataset, Learner};
use ndarray::Array2;
use perpetual::objective::Objective;
use perpetual::{Matrix, PerpetualBooster};

#[path = "../../../benches/common/table.rs"]
mod common;

/// Column-major copy for perpetual's `Matrix`.
fn columns(x: &Array2<f64>) -> Vec<f64> {
    x.t().iter().copied().collect()
}

fn perpetual_fit(x: &Array2<f64>, y: &[bool], budget: f32) -> PerpetualBooster {
    let flat = columns(x);
    let m = Matrix::new(&flat, x.nrows(), x.ncols());
    let yf: Vec<f64> = y.iter().map(|&b| f64::from(u8::from(b))).collect();
    let mut model = PerpetualBooster::default().set_objective(Objective::LogLoss).set_budget(budget);
    model.fit(&m, &yf, None, None).expect("perpetual fit");
    model
}

fn perpetual_predict(model: &PerpetualBooster, x: &Array2<f64>) -> Vec<f64> {
    let flat = columns(x);
    model.predict_proba(&Matrix::new(&flat, x.nrows(), x.ncols()), true, false)
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt())
}

fn telco(path: &str) {
    let (data, _) = LabeledMatrix::from_csv(path, &TableSpec::new("churn", "Yes")).expect("read telco");
    let folds = StratifiedKFold::new(5, 42).unwrap().split_grouped(data.labels(), data.features().customer_ids()).unwrap();
    let gbm = GradientBoosting::params().learning_rate(0.05).n_trees(100).seed(1);
    let mut rows: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for name in ["churnguard gradient_boosting (lr 0.05, 100 trees)", "perpetual budget 0.5", "perpetual budget 1.0"] {
        rows.push((name.to_string(), Vec::new(), Vec::new()));
    }
    for fold in &folds {
        let (train, test) = (data.select_rows(&fold.train).unwrap(), data.select_rows(&fold.test).unwrap());
        let prep = gbm.default_preprocess().fit(train.features()).unwrap();
        let (x, xt) = (prep.transform(train.features()).unwrap(), prep.transform(test.features()).unwrap());
        let t = Instant::now();
        let model = gbm.fit_model(&Dataset::with_missing(x.view(), train.labels(), prep.output_names()).unwrap()).unwrap();
        rows[0].2.push(t.elapsed().as_secs_f64());
        rows[0].1.push(roc_auc(test.labels(), &model.predict_proba(xt.view()).unwrap().to_vec()).unwrap());
        for (i, budget) in [(1, 0.5f32), (2, 1.0)] {
            let t = Instant::now();
            let m = perpetual_fit(&x, train.labels(), budget);
            rows[i].2.push(t.elapsed().as_secs_f64());
            rows[i].1.push(roc_auc(test.labels(), &perpetual_predict(&m, &xt)).unwrap());
        }
    }
    println!("IBM Telco, 5 folds (churnguard's folds and tree preprocessing)\n");
    println!("| model | ROC-AUC | fit s / fold |\n|---|---|---|");
    for (name, aucs, secs) in rows {
        let (m, s) = mean_sd(&aucs);
        println!("| {name} | {m:.4} ± {s:.4} | {:.3} |", secs.iter().sum::<f64>() / secs.len() as f64);
    }
}

fn table(n: usize) {
    let (x, y, names) = common::table(n);
    let data = Dataset::new(x.view(), &y, &names).unwrap();
    let t = Instant::now();
    let model = GradientBoosting::params().n_trees(100).max_leaves(31).max_bins(255).fit(&data).unwrap();
    let fit = t.elapsed().as_secs_f64();
    let auc = roc_auc(&y, &model.predict_proba(x.view()).unwrap().to_vec()).unwrap();
    println!("churnguard gradient boosting (100 trees, 31 leaves): {n} × 50 fit {fit:.2} s, training AUC {auc:.4}");
    for budget in [0.5f32, 1.0] {
        let t = Instant::now();
        let model = perpetual_fit(&x, &y, budget);
        let fit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let p = perpetual_predict(&model, &x);
        let predict = t.elapsed().as_secs_f64();
        let auc = roc_auc(&y, &p).unwrap();
        println!(
            "perpetual budget {budget}: {n} × 50 fit {fit:.2} s, {} trees, predict {:.2} M rows/s, training AUC {auc:.4}",
            model.get_prediction_trees().len(),
            n as f64 / predict / 1e6
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("telco") => telco(args.get(1).map_or("../../../shared/data/telco_churn.csv", String::as_str)),
        Some("table") => table(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000)),
        _ => eprintln!("usage: perpetual-peer telco [path] | table [rows]"),
    }
}
