//! The synthetic benchmark table shared by `benches/tree_core.rs`, `benches/models.rs` and
//! `examples/bench_table.rs` (which writes it to CSV for the peer scripts in `bench/`).

use ndarray::Array2;
use rand::{Rng, SeedableRng};

/// `n × 50` uniform features in [−1, 1); churn is a logistic function of the first ten
/// features plus an interaction of features 10 and 11 (seed 1).
pub(crate) fn table(n: usize) -> (Array2<f64>, Vec<bool>, Vec<String>) {
    let p = 50;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut x = Array2::<f64>::zeros((n, p));
    let mut y = vec![false; n];
    for i in 0..n {
        let mut z = -1.0;
        for j in 0..p {
            let v: f64 = rng.gen_range(-1.0..1.0);
            x[[i, j]] = v;
            if j < 10 {
                z += v * (j as f64 + 1.0) / 5.0;
            }
        }
        z += 2.0 * (x[[i, 10]] * x[[i, 11]]);
        y[i] = rng.r#gen::<f64>() < 1.0 / (1.0 + (-z).exp());
    }
    (x, y, (0..p).map(|j| format!("f{j}")).collect())
}
