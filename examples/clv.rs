//! Customer lifetime value on the CDNOW data and on the simulated shop.
//!
//! ```text
//! cargo run --release --example clv -- [path/to/cdnow_summary.csv]
//! ```
//!
//! CDNOW (2,357 customers, weeks; path defaults to `../shared/data/cdnow_summary.csv`):
//! BG/NBD and Gamma–Gamma parameters, the P(alive) distribution, and the ten customers
//! with the highest 12-month CLV (1% monthly discount). Then the built-in simulation:
//! summaries extracted from its event log at 2024-06-30, the same models, and how well
//! P(alive) separates customers the simulator knows are still active.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use churnguard::Timestamp;
use churnguard::data::EventLog;
use churnguard::regression::clv::{BgNbd, GammaGamma, RfmSummary, clv, summarize_log};
use churnguard::sim::{Population, SimConfig};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn deciles(values: &mut [f64]) -> String {
    values.sort_by(f64::total_cmp);
    (1..10).map(|d| format!("{:.2}", values[d * values.len() / 10])).collect::<Vec<_>>().join(" ")
}

fn report(
    name: &str,
    ids: &[String],
    s: &[RfmSummary],
    periods_per_month: f64,
) -> churnguard::Result<(BgNbd, GammaGamma)> {
    let started = Instant::now();
    let bg = BgNbd::fit(s)?;
    let gg = GammaGamma::fit(s)?;
    println!("## {name}: {} customers, fitted in {:.1} ms", s.len(), 1e3 * started.elapsed().as_secs_f64());
    println!(
        "BG/NBD   r = {:.4}, α = {:.4}, a = {:.4}, b = {:.4}, log-likelihood {:.1}",
        bg.r, bg.alpha, bg.a, bg.b, bg.log_likelihood
    );
    println!(
        "Gamma-Gamma p = {:.3}, q = {:.3}, v = {:.3} (frequency–spend correlation {:.3}{})",
        gg.p,
        gg.q,
        gg.v,
        gg.frequency_monetary_correlation,
        if gg.independence_warning() { ": independence doubtful" } else { "" }
    );
    let mut alive: Vec<f64> = s.iter().map(|c| bg.p_alive(c)).collect();
    println!("P(alive) deciles: {}", deciles(&mut alive));
    let mut values: Vec<(f64, usize)> = s
        .iter()
        .enumerate()
        .map(|(i, c)| clv(&bg, &gg, c, 12, 0.01, periods_per_month).map(|v| (v, i)))
        .collect::<churnguard::Result<_>>()?;
    values.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("top 10 by 12-month CLV:");
    for &(v, i) in values.iter().take(10) {
        let c = &s[i];
        println!(
            "  {:<8} CLV {:>8.2}  x = {:>3}, recency {:>6.2}, T {:>6.2}, mean spend {:>7.2}, P(alive) {:.2}",
            ids[i],
            v,
            c.frequency,
            c.recency,
            c.t,
            c.monetary,
            bg.p_alive(c)
        );
    }
    println!();
    Ok((bg, gg))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).map_or_else(|| PathBuf::from("../shared/data/cdnow_summary.csv"), PathBuf::from);
    if path.is_file() {
        let mut reader = csv::Reader::from_path(&path)?;
        let (mut ids, mut s) = (Vec::new(), Vec::new());
        for r in reader.records() {
            let r = r?;
            let f = |i: usize| r[i].parse::<f64>();
            ids.push(r[0].to_string());
            s.push(RfmSummary::new(f(1)?, f(2)?, f(3)?, f(4)?)?);
        }
        report("CDNOW (weeks)", &ids, &s, 4.345)?;
    } else {
        println!("CDNOW summary not found at {} — pass its path; continuing with the simulation.\n", path.display());
    }

    let population = Population::generate(&SimConfig::default())?;
    let log = EventLog::from_source(population.records())?;
    let end = Timestamp::from_ymd(2024, 6, 30)?;
    let rows = summarize_log(&log, end, 7.0)?;
    let ids: Vec<String> = rows.iter().map(|(id, _)| id.to_string()).collect();
    let s: Vec<RfmSummary> = rows.iter().map(|(_, s)| *s).collect();
    let (bg, _) = report("Simulated shop (weeks, calibration to 2024-06-30)", &ids, &s, 4.345)?;
    // The simulator knows who had churned by then: P(alive) should rank them low.
    let churned: std::collections::HashMap<_, _> =
        population.latent().iter().map(|l| (l.id.to_string(), l.churned_at.is_some_and(|c| c <= end))).collect();
    let labels: Vec<bool> = ids.iter().map(|id| churned.get(id).copied().unwrap_or(false)).collect();
    let scores: Vec<f64> = s.iter().map(|c| 1.0 - bg.p_alive(c)).collect();
    println!(
        "1 − P(alive) ranks the customers the simulator had already churned with ROC-AUC {:.3} ({} of {} gone)",
        churnguard::eval::roc_auc(&labels, &scores)?,
        labels.iter().filter(|&&l| l).count(),
        labels.len()
    );
    Ok(())
}
