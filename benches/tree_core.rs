//! The tree core at scale: gradient-boosting fit and batch prediction, and a random forest.
//!
//! ```text
//! cargo bench --bench tree_core                              # 200,000 × 50
//! CHURNGUARD_BENCH_ROWS=1000000 cargo bench --bench tree_core  # the issue's 1M × 50 case
//! ```
//!
//! Data (not timed): `rows × 50` uniform features in [−1, 1); churn is a logistic
//! function of the first ten features plus an interaction of features 10 and 11
//! (seeded). Timed: `GradientBoosting` fit (100 trees, 31 leaves, 255 bins —
//! LightGBM's defaults), prediction with that model, and a 10-tree `RandomForest`.
//! In test mode (`cargo test --benches`) the table has 2,000 rows.
//! Peer numbers and commands: `bench/RESULTS.md`.

use std::hint::black_box;
use std::time::Duration;

use churnguard::classify::{GradientBoosting, RandomForest};
use churnguard::model::{ChurnModel, Dataset};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/table.rs"]
mod common;
use common::table;

fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

fn n_rows() -> usize {
    if test_mode() {
        return 2_000;
    }
    std::env::var("CHURNGUARD_BENCH_ROWS").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(200_000)
}

fn bench(c: &mut Criterion) {
    let n = n_rows();
    let (x, y, names) = table(n);
    let data = Dataset::new(x.view(), &y, &names).expect("valid benchmark table");
    let mut group = c.benchmark_group(format!("tree_core_{n}x50"));
    group.sample_size(10).measurement_time(Duration::from_secs(if test_mode() { 1 } else { 60 }));
    group.throughput(Throughput::Elements(n as u64));
    let boosting = GradientBoosting::params().n_trees(100).max_leaves(31).max_bins(255);
    group.bench_function("boosting_fit_100_trees", |b| b.iter(|| black_box(boosting.fit(&data).expect("fit"))));
    let model = boosting.fit(&data).expect("fit");
    group.bench_function("boosting_predict_100_trees", |b| {
        b.iter(|| black_box(model.predict_proba(x.view()).expect("predict")))
    });
    let forest = RandomForest::params().n_trees(10).seed(1);
    group.bench_function("forest_fit_10_trees", |b| b.iter(|| black_box(forest.fit(&data).expect("fit"))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
