//! Write the synthetic benchmark table of `benches/tree_core.rs` to CSV, so the peer
//! scripts in `bench/` (LightGBM, scikit-learn) train on exactly the same rows.
//!
//! ```text
//! cargo run --release --example bench_table -- /tmp/perf.csv 1000000
//! ```
//!
//! Columns `f0`…`f49`, then `y` (0/1).

use std::io::Write;

#[path = "../benches/common/table.rs"]
mod common;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/tmp/perf.csv".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let (x, y, names) = common::table(n);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(out, "{},y", names.join(","))?;
    for (row, label) in x.outer_iter().zip(&y) {
        for v in row {
            // Shortest round-trip representation, so Python reads the identical f64.
            write!(out, "{v},")?;
        }
        writeln!(out, "{}", u8::from(*label))?;
    }
    out.flush()?;
    println!("wrote {n} rows × {} features to {path}", names.len());
    Ok(())
}
