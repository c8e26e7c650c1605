//! Fit and predict time of every classifier on one table.
//!
//! ```text
//! cargo bench --bench models          # 20,000 × 50 (SVM: 2,000 × 50)
//! ```
//!
//! The table is `benches/common/table.rs` (as in `tree_core`). Each model is fitted with
//! its defaults except where noted; prediction scores the whole table. In test mode
//! (`cargo test --benches`) the table has 500 rows.

use std::hint::black_box;
use std::time::Duration;

use churnguard::classify::{
    Calibrated, CalibrationMethod, DecisionTree, GradientBoosting, LogisticRegression, RandomForest, Svm,
};
use churnguard::model::{Dataset, Learner};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/table.rs"]
mod common;

fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

fn bench(c: &mut Criterion) {
    let n = if test_mode() { 500 } else { 20_000 };
    let (x, y, names) = common::table(n);
    let data = Dataset::new(x.view(), &y, &names).expect("valid benchmark table");
    let n_svm = n.min(2_000);
    let xs = x.slice(ndarray::s![..n_svm, ..]);
    let svm_data = Dataset::new(xs, &y[..n_svm], &names).expect("valid benchmark table");

    let learners: Vec<(Box<dyn Learner>, &Dataset<'_>)> = vec![
        (Box::new(LogisticRegression::params()), &data),
        (Box::new(DecisionTree::params()), &data),
        (Box::new(RandomForest::params().n_trees(50).seed(1)), &data),
        (Box::new(GradientBoosting::params().n_trees(100)), &data),
        (Box::new(Calibrated::new(GradientBoosting::params().n_trees(100), CalibrationMethod::Isotonic)), &data),
        (Box::new(Svm::params()), &svm_data),
    ];
    let mut group = c.benchmark_group(format!("models_{n}x50"));
    group.sample_size(10).measurement_time(Duration::from_secs(if test_mode() { 1 } else { 20 }));
    for (learner, d) in &learners {
        group.throughput(Throughput::Elements(d.n_rows() as u64));
        group.bench_function(format!("{}_fit", learner.name()), |b| {
            b.iter(|| black_box(learner.fit_model(d).expect("fit")))
        });
        let model = learner.fit_model(d).expect("fit");
        group.bench_function(format!("{}_predict", learner.name()), |b| {
            b.iter(|| black_box(model.predict_proba(d.x()).expect("predict")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
