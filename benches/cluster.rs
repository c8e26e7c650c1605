//! k-means at scale: one k-means++ initialisation and up to 20 Lloyd iterations on 1M × 10.
//!
//! ```text
//! cargo bench --bench cluster                                   # 1,000,000 × 10, k = 8
//! CHURNGUARD_KMEANS_CSV=/tmp/kmeans_1m.csv cargo bench --bench cluster   # also write the data
//! python bench/kmeans_sklearn.py time /tmp/kmeans_1m.csv 8 1 20           # scikit-learn, same settings
//! ```
//!
//! Data (not timed): `rows × 10` uniform values in [0, 1) from a seeded ChaCha8
//! stream — no cluster structure, so Lloyd's algorithm does not converge early and
//! both implementations run the full 20 iterations (tol = 0). Timed: `kmeans` with
//! k = 8, n_init = 1, max_iter = 20. In test mode (`cargo test --benches`) the
//! table has 2,000 rows.

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use churnguard::cluster::{KMeansParams, kmeans};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

fn n_rows() -> usize {
    if test_mode() {
        return 2_000;
    }
    std::env::var("CHURNGUARD_BENCH_ROWS").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1_000_000)
}

fn table(n: usize) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    Array2::from_shape_simple_fn((n, 10), || rng.r#gen::<f64>())
}

fn write_csv(x: &Array2<f64>, path: &str) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for row in x.outer_iter() {
        let line: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    out.flush()
}

fn bench(c: &mut Criterion) {
    let n = n_rows();
    let x = table(n);
    if let Ok(path) = std::env::var("CHURNGUARD_KMEANS_CSV") {
        write_csv(&x, &path).expect("write the benchmark data");
    }
    let params = KMeansParams { k: 8, n_init: 1, max_iter: 20, tol: 0.0, seed: 0 };
    let fit = kmeans(x.view(), &params).expect("k-means");
    println!("k-means {n}x10: inertia {:.6}, iterations {}", fit.inertia, fit.iterations);
    let mut group = c.benchmark_group(format!("kmeans_{n}x10"));
    group.sample_size(10).measurement_time(Duration::from_secs(if test_mode() { 1 } else { 30 }));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("k8_ninit1_iter20", |b| b.iter(|| black_box(kmeans(x.view(), &params).expect("k-means"))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
