//! BG/NBD fitting at scale.
//!
//! ```text
//! cargo bench --bench clv          # 1,000,000 simulated customers
//! ```
//!
//! Setup (not timed): summaries drawn from the BG/NBD process with the CDNOW parameters
//! (r 0.243, α 4.414, a 0.793, b 2.426), T uniform in 30–40 weeks, times rounded to 0.1
//! week (about a day), seeded. Timed: `BgNbd::fit`, which groups identical (x, tₓ, T) rows.
//! The peer is `bench/clv_reference.py` (lifetimes' BetaGeoFitter on 100,000 customers
//! drawn the same way). In test mode the population has 1,000 customers.

use std::hint::black_box;
use std::time::Duration;

use churnguard::regression::clv::{BgNbd, RfmSummary};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

fn population(n: usize) -> Vec<RfmSummary> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let rate = Gamma::new(0.243, 1.0 / 4.414).expect("valid gamma");
    let dropout = Beta::new(0.793, 2.426).expect("valid beta");
    (0..n)
        .map(|_| {
            let lambda: f64 = rate.sample(&mut rng);
            let p: f64 = dropout.sample(&mut rng);
            let t = (rng.gen_range(30.0..40.0) * 10.0_f64).round() / 10.0;
            let gap = Exp::new(lambda.max(1e-12)).expect("valid rate");
            let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
            loop {
                now += gap.sample(&mut rng);
                if now > t {
                    break;
                }
                x += 1.0;
                last = now;
                if rng.r#gen::<f64>() < p {
                    break;
                }
            }
            let recency = if x > 0.0 { ((last * 10.0_f64).round() / 10.0).min(t) } else { 0.0 };
            RfmSummary::new(x, recency, t, 0.0).expect("valid summary")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let n = if test_mode() { 1_000 } else { 1_000_000 };
    let customers = population(n);
    let mut group = c.benchmark_group("clv");
    group.sample_size(10).measurement_time(Duration::from_secs(if test_mode() { 1 } else { 20 }));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("bg_nbd_fit_{n}"), |b| b.iter(|| black_box(BgNbd::fit(&customers).expect("fit"))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
