//! BG/NBD maximum-likelihood fit on simulated RFM summaries.
//!
//! ```text
//! cargo bench --bench clv
//! ```
//!
//! Setup (not timed): 1,000,000 customers sampled from the BG/NBD generative
//! process with the CDNOW parameters (r = 0.243, α = 4.414, a = 0.793,
//! b = 2.426, time in weeks), first purchases spread over 12 weeks and observed
//! until week 51 (T from 39 to 51 weeks), purchase times on a daily grid, seed
//! 2005 — the data `cargo run --release --example clv -- --export-bench PATH`
//! writes for `bench/clv_reference.py`. When the binary runs as a test
//! (`cargo test --benches`), 10,000 customers keep the debug-mode run cheap.
//!
//! Timed: `BgNbd::params().fit(&summary)` (grouping identical rows plus the
//! fit) for 100,000 and 1,000,000 customers, and `fit_grouped` on the
//! pre-grouped 1,000,000 (the fit alone). Results: `bench/clv_results.md`.

use std::hint::black_box;
use std::time::Duration;

use churnguard::regression::clv::{BgNbd, FittedBgNbd, RfmSummary};
use criterion::{Criterion, criterion_group, criterion_main};

/// Whether criterion runs this binary as a test (`cargo test --benches` passes no `--bench`).
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

/// The benchmark population (same as `examples/clv.rs --export-bench`).
fn population(n: usize) -> RfmSummary {
    let truth = FittedBgNbd::from_parameters(0.243, 4.414, 0.793, 2.426).expect("valid parameters");
    let ages: Vec<f64> = (0..n).map(|i| 39.0 + (i % 85) as f64 / 7.0).collect();
    truth.sample(&ages, Some(1.0 / 7.0), 2005).expect("sampling succeeds")
}

fn bench_fit(c: &mut Criterion) {
    let sizes: &[usize] = if test_mode() { &[10_000] } else { &[100_000, 1_000_000] };
    let mut group = c.benchmark_group("bgnbd_fit");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(2));
    for &n in sizes {
        let data = population(n);
        let grouped = data.grouped();
        eprintln!("{n} customers: {} distinct (frequency, recency, T) rows", grouped.len());
        group.bench_function(format!("summary_{n}"), |b| {
            b.iter(|| BgNbd::params().fit(black_box(&data)).expect("fit converges"))
        });
        if n == *sizes.last().unwrap_or(&n) {
            group.bench_function(format!("grouped_{n}"), |b| {
                b.iter(|| BgNbd::params().fit_grouped(black_box(&grouped)).expect("fit converges"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_fit);
criterion_main!(benches);
