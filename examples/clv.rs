//! Customer lifetime value on CDNOW and on the built-in simulated shop.
//!
//! ```text
//! cargo run --release --example clv -- [path/to/cdnow_summary.csv]
//! cargo run --release --example clv -- --export-bench bench_summaries.csv [n=1000000]
//! ```
//!
//! 1. CDNOW (default path `../shared/data/cdnow_summary.csv`, time in weeks):
//!    BG/NBD and Gamma–Gamma parameters, the P(alive) distribution (deciles)
//!    and the ten customers with the highest one-year CLV (1% a month discount).
//! 2. The same for the simulated shop (`SimConfig::default()`), whose orders are
//!    turned into RFM summaries (daily periods, weeks as the unit) with the
//!    last simulated day as the calibration end.
//! 3. The sBG retention model on Fader & Hardie's (2007) survivor counts.
//!
//! `--export-bench` instead writes the BG/NBD benchmark population of
//! `benches/clv.rs` as `customer_id,frequency,recency,T` for `bench/clv_reference.py`,
//! and times our fit on its first 100,000 rows and on all of it.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use churnguard::data::EventLog;
use churnguard::regression::clv::{
    BgNbd, ClvParams, FittedBgNbd, FittedGammaGamma, GammaGamma, Period, RfmSummary, ShiftedBetaGeometric,
    SummaryParams, clv, summarize_event_log,
};
use churnguard::sim::{Population, SimConfig};
use churnguard::{Error, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--export-bench") {
        let path = args.get(i + 1).ok_or_else(|| Error::InvalidParameter {
            name: "--export-bench",
            value: String::new(),
            reason: "needs an output path",
        })?;
        let n = match args.get(i + 2) {
            Some(text) => text.parse().map_err(|_| Error::InvalidParameter {
                name: "n",
                value: text.clone(),
                reason: "must be a whole number",
            })?,
            None => 1_000_000,
        };
        return export_bench(Path::new(path), n);
    }
    let path = args.first().map_or("../shared/data/cdnow_summary.csv", String::as_str);
    let mut missing = false;
    if Path::new(path).exists() {
        println!("== CDNOW 1/10 sample ({path}), time in weeks");
        let summary = RfmSummary::from_csv(path)?;
        report(&summary, &ClvParams::weeks())?;
    } else {
        eprintln!(
            "error: {path} not found. Pass the path of cdnow_summary.csv (customer_id,frequency,recency,T,monetary_value) \
             as the first argument; continuing with the simulation."
        );
        missing = true;
    }

    println!("\n== Simulated shop (SimConfig::default()), summaries from the EventLog");
    let config = SimConfig::default();
    let started = Instant::now();
    let population = Population::generate(&config)?;
    let log = EventLog::from_source(population.records())?;
    let params = SummaryParams::new(config.end().add_days(-1)).period(Period::Day).time_unit_days(7.0);
    let summary = summarize_event_log(&log, &params)?;
    println!(
        "{} customers with orders, calibration end {}, summarised in {:.2} s",
        summary.len(),
        params.calibration_end(),
        started.elapsed().as_secs_f64()
    );
    report(&summary, &ClvParams::weeks())?;

    println!("\n== Shifted-beta-geometric on Fader & Hardie (2007) survivors of 1,000 customers");
    for (name, survivors) in [
        ("high end", [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0]),
        ("regular", [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0]),
    ] {
        let fit = ShiftedBetaGeometric::params().fit(&survivors)?;
        let projected: Vec<String> = (8..=12).map(|t| format!("{:.0}", 1000.0 * fit.survival(t))).collect();
        println!(
            "{name:9} α = {:.3}, β = {:.3}; projected survivors years 8-12: {}; DERL(10%, 7 renewals) = {:.2} payments",
            fit.alpha(),
            fit.beta(),
            projected.join(", "),
            fit.derl(0.10, 7)?
        );
    }
    if missing {
        std::process::exit(2);
    }
    Ok(())
}

/// Fit both models, print parameters, P(alive) deciles and the top ten customers by CLV.
fn report(summary: &RfmSummary, clv_params: &ClvParams) -> Result<()> {
    let started = Instant::now();
    let purchases = match BgNbd::params().fit(summary) {
        Err(Error::NotConverged { detail, .. }) => {
            println!("plain BG/NBD maximum likelihood does not converge ({detail});");
            println!("refitting with lifetimes-style penalizer 0.001");
            BgNbd::params().penalizer(0.001).fit(summary)?
        }
        other => other?,
    };
    let fit_time = started.elapsed().as_secs_f64();
    print_bgnbd(&purchases, fit_time);
    let spend = GammaGamma::params().fit(summary)?;
    print_gamma_gamma(&spend);

    let mut alive = purchases.probability_alive_all(summary);
    alive.sort_by(f64::total_cmp);
    let deciles: Vec<String> = (0..=10).map(|d| format!("{:.2}", alive[((alive.len() - 1) * d) / 10])).collect();
    println!("P(alive) deciles (min, 10%, …, max): {}", deciles.join(" "));
    println!(
        "expected repeat purchases of a new customer in 52 weeks: {:.3}",
        purchases.expected_purchases_new_customer(52.0)?
    );

    let values = clv(&purchases, &spend, summary, clv_params)?;
    let total: f64 = values.iter().sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    println!("one-year CLV at 1%/month: total {total:.0}, mean {:.2}; top 10:", total / values.len() as f64);
    println!("  {:>10} {:>4} {:>8} {:>7} {:>9} {:>8} {:>9}", "customer", "x", "t_x", "T", "mean $", "P(alive)", "CLV");
    for &i in order.iter().take(10) {
        let Some(c) = summary.get(i) else { continue };
        println!(
            "  {:>10} {:>4} {:>8.2} {:>7.2} {:>9.2} {:>8.3} {:>9.2}",
            summary.customer_ids()[i].as_str(),
            c.frequency,
            c.recency,
            c.age,
            c.monetary_value,
            purchases.probability_alive(&c)?,
            values[i]
        );
    }
    Ok(())
}

fn print_bgnbd(m: &FittedBgNbd, seconds: f64) {
    print!("BG/NBD: r = {:.4}, α = {:.4}, a = {:.4}, b = {:.4}", m.r(), m.alpha(), m.a(), m.b());
    if let Some(d) = m.diagnostics() {
        print!(
            "; LL = {:.2}, {} customers in {} distinct rows, {} iterations, {:.3} s",
            d.log_likelihood, d.n_customers, d.n_distinct, d.iterations, seconds
        );
    }
    println!();
}

fn print_gamma_gamma(m: &FittedGammaGamma) {
    print!("Gamma-Gamma: p = {:.4}, q = {:.4}, v = {:.4}", m.p(), m.q(), m.v());
    if let Some(d) = m.diagnostics() {
        print!("; LL = {:.2} on {} repeat customers", d.log_likelihood, d.n_customers);
    }
    if let Some(check) = m.independence() {
        print!(
            "; corr(frequency, spend) = {:.3}{}",
            check.correlation,
            if check.warning { " — WARNING: spend depends on frequency, CLV is suspect" } else { "" }
        );
    }
    println!();
}

/// Write the population of `benches/clv.rs` (same parameters, ages and seed).
fn export_bench(path: &Path, n: usize) -> Result<()> {
    let truth = FittedBgNbd::from_parameters(0.243, 4.414, 0.793, 2.426)?;
    let ages: Vec<f64> = (0..n).map(|i| 39.0 + (i % 85) as f64 / 7.0).collect();
    let data = truth.sample(&ages, Some(1.0 / 7.0), 2005)?;
    let file = std::fs::File::create(path).map_err(|e| Error::Io { path: path.into(), source: e })?;
    let mut out = std::io::BufWriter::new(file);
    let io = |e| Error::Io { path: path.into(), source: e };
    writeln!(out, "customer_id,frequency,recency,T").map_err(io)?;
    for (id, c) in data.customer_ids().iter().zip(data.iter()) {
        // Shortest round-trip formatting: Python reads back the same f64 values.
        writeln!(out, "{},{},{:?},{:?}", id.as_str(), c.frequency, c.recency, c.age).map_err(io)?;
    }
    out.flush().map_err(io)?;
    println!("wrote {n} customers ({} distinct rows) to {}", data.grouped().len(), path.display());
    // The fit on the same data, for comparison with lifetimes in bench/clv_reference.py.
    for size in [100_000, n] {
        let Ok(part) = RfmSummary::from_rows(data.customer_ids().iter().cloned().zip(data.iter()).take(size)) else {
            continue;
        };
        let started = Instant::now();
        let fit = BgNbd::params().fit(&part)?;
        let seconds = started.elapsed().as_secs_f64();
        print!("first {size}: ");
        print_bgnbd(&fit, seconds);
        println!("  full precision: r = {:?}, α = {:?}, a = {:?}, b = {:?}", fit.r(), fit.alpha(), fit.a(), fit.b());
        if size >= n {
            break;
        }
    }
    Ok(())
}
