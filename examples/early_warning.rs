//! Early warning as it happens: stream the simulated shop day by day through a
//! [`Monitor`], print alerts as they fire, a weekly summary (customers per tier,
//! top churn reasons, drift against the training data) and, at the end, the
//! retention plan for a budget, valuing customers by their BG/NBD + Gamma–Gamma
//! lifetime value.
//!
//! ```text
//! cargo run --release --example early_warning -- [budget=5000] [days=91]
//! ```

use std::time::Instant;

use churnguard::classify::LogisticRegression;
use churnguard::data::{Event, EventLog, RecordBatch};
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::regression::clv::{BgNbd, ClvParams, GammaGamma, Period, SummaryParams, clv, summarize_event_log};
use churnguard::retain::{Action, ActionKind, CustomerValues, Playbook, Rule, reason_summary};
use churnguard::sim::{Population, SimConfig};
use churnguard::warn::{Cause, DriftThresholds, Monitor, MonitorConfig, RiskTier, ScorerConfig, Trigger};
use churnguard::{Error, Result, Timestamp};

/// Every event of the simulation in time order (ties in record order), numbered as event ids.
fn event_stream(batch: &RecordBatch) -> Vec<(u64, Event)> {
    batch.events_by_time().into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect()
}

/// Customer values from BG/NBD + Gamma–Gamma fitted on the orders before `at`
/// (12 months, 1% a month); customers without orders get the average.
fn lifetime_values(log: &EventLog, at: Timestamp) -> Result<CustomerValues> {
    let summary = summarize_event_log(log, &SummaryParams::new(at).period(Period::Day).time_unit_days(7.0))?;
    let purchases = match BgNbd::params().fit(&summary) {
        // On this simulation the unpenalised MLE runs off to a, b → ∞ (see examples/clv.rs).
        Err(Error::NotConverged { .. }) => BgNbd::params().penalizer(0.001).fit(&summary)?,
        other => other?,
    };
    let spend = GammaGamma::params().fit(&summary)?;
    let values = clv(&purchases, &spend, &summary, &ClvParams::weeks())?;
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    println!(
        "lifetime values of {} customers (BG/NBD r {:.3} α {:.3} a {:.3} b {:.3}): mean {mean:.0}",
        values.len(),
        purchases.r(),
        purchases.alpha(),
        purchases.a(),
        purchases.b()
    );
    CustomerValues::new(mean)?.with_summary_clv(&summary, &values)
}

fn playbook() -> Result<Playbook> {
    Playbook::new(vec![
        Rule::new(RiskTier::High, Action::new("proactive_call", ActionKind::SupportCall, 25.0, 0.30)),
        Rule::new(RiskTier::High, Action::new("coupon_15pct", ActionKind::Discount, 12.0, 0.18)),
        Rule::new(RiskTier::Medium, Action::new("coupon_10pct", ActionKind::Discount, 8.0, 0.12)),
        Rule::new(RiskTier::Medium, Action::new("care_message", ActionKind::CareMessage, 0.5, 0.03)),
        Rule::new(RiskTier::Low, Action::new("complaint_follow_up", ActionKind::SupportCall, 15.0, 0.25))
            .when_reason("unresolved_ticket_count"),
        Rule::new(RiskTier::Low, Action::new("product_feedback", ActionKind::FeedbackTicket, 1.0, 0.02))
            .when_reason("bad_review_count"),
    ])
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let budget: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000.0);
    let days: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(91);

    // 1. History and a model trained on snapshots whose labels are known by the start.
    let population = Population::generate(&SimConfig::default())?;
    let log = EventLog::from_source(population.records())?;
    let start = Timestamp::from_ymd(2024, 7, 1)?;
    let train: Vec<Timestamp> = (0..7).map(|k| start.add_days(-90 - 30 * k)).collect();
    let pipeline = Pipeline::new(LogisticRegression::params());
    let fitted = pipeline.fit_log(&log, &train, &Silent)?;
    let reference = pipeline.training_data(&log, &train[..1])?.into_parts().0;

    // 2. A monitor warm-started from the history before `start`.
    let values = lifetime_values(&log, start)?;
    let mut monitor = Monitor::new(fitted, MonitorConfig::default())?.with_playbook(playbook()?, values.clone());
    monitor.seed(&log, start)?;
    let baseline = monitor.rescore_dirty()?;
    let t = monitor.tier_counts();
    println!(
        "monitoring {} customers from {start}: {} low, {} medium, {} high ({} alerts at the baseline scoring)\n",
        monitor.n_customers(),
        t.low,
        t.medium,
        t.high,
        baseline.len()
    );

    // 3. Stream day by day.
    let events = event_stream(population.records());
    let mut next = events.partition_point(|(_, e)| e.at() < start);
    let (mut applied, mut apply_seconds, mut rescored, mut rescore_seconds) = (0usize, 0.0, 0usize, 0.0);
    let mut printed = 0;
    let mut by_cause = [0usize; 5];
    for day in 0..days {
        let end = start.add_days(day + 1);
        let clock = Instant::now();
        while let Some((id, event)) = events.get(next).filter(|(_, e)| e.at() < end) {
            monitor.apply(*id, event)?;
            next += 1;
            applied += 1;
        }
        apply_seconds += clock.elapsed().as_secs_f64();
        monitor.tick(end)?;
        let clock = Instant::now();
        let scored_before = monitor.stats().rescored;
        let alerts = monitor.rescore_dirty()?;
        rescored += (monitor.stats().rescored - scored_before) as usize;
        rescore_seconds += clock.elapsed().as_secs_f64();
        for a in &alerts {
            for t in &a.triggers {
                by_cause[t.cause() as usize] += 1;
            }
            // Print a few alerts in full: the first ones with a tier rise or a complaint.
            let notable =
                a.triggers.iter().any(|t| matches!(t, Trigger::TierRise { .. } | Trigger::FirstComplaint { .. }));
            if notable && printed < 12 {
                println!("ALERT {a}");
                printed += 1;
            }
        }
        if (day + 1) % 7 == 0 {
            weekly_summary(&monitor, &reference, end, alerts.len())?;
        }
    }
    let causes: Vec<String> = Cause::ALL.iter().map(|c| format!("{c} {}", by_cause[*c as usize])).collect();
    println!("\nalert triggers over {days} days: {}", causes.join(", "));
    let stats = monitor.stats();
    println!(
        "{} events applied ({:.2} M/s incl. validation), {} customers scored ({:.0} k/s incl. features, reasons and detectors), {} alerts, {} repeats held back by the cool-down",
        applied,
        applied as f64 / apply_seconds.max(1e-9) / 1e6,
        rescored,
        rescored as f64 / rescore_seconds.max(1e-9) / 1e3,
        stats.alerts,
        stats.suppressed
    );
    println!(
        "state: {:.0} events and {:.0} bytes per customer retained",
        monitor.events_per_customer(),
        monitor.memory_per_customer()
    );

    // 4. Retention plan at the end of the stream.
    let scoring = monitor.scoring(&ScorerConfig::default(), None)?;
    let plan = playbook()?.plan(scoring.customers(), &values, budget)?;
    println!("\nretention plan at {} for a budget of {budget:.0}:\n{plan}", scoring.as_of());
    for a in plan.assignments.iter().take(5) {
        println!(
            "  {}  {:20} p={:.2} clv={:6.0} EV={:6.1}",
            a.customer, a.action, a.probability, a.clv, a.expected_value
        );
    }
    println!("\nwhy medium- and high-risk customers are leaving (for the product team):");
    for r in reason_summary(scoring.customers(), RiskTier::Medium).iter().take(6) {
        println!("  {:32} {:5} customers", r.feature, r.customers);
    }
    Ok(())
}

fn weekly_summary(
    monitor: &Monitor,
    reference: &churnguard::features::FeatureMatrix,
    at: Timestamp,
    alerts_today: usize,
) -> Result<()> {
    let t = monitor.tier_counts();
    let scoring = monitor.scoring(&ScorerConfig::default(), None)?;
    let reasons: Vec<String> = reason_summary(scoring.customers(), RiskTier::Medium)
        .iter()
        .take(3)
        .map(|r| format!("{} ({})", r.feature, r.customers))
        .collect();
    let drift = monitor.drift(reference, &DriftThresholds::default())?;
    let drifting: Vec<String> =
        drift.alerts().iter().take(3).map(|a| format!("{} PSI {:.2}", a.feature, a.psi)).collect();
    println!(
        "— week to {at}: tiers {}/{}/{} (low/medium/high), {alerts_today} alerts today; top reasons: {}; drift {:?}: {}",
        t.low,
        t.medium,
        t.high,
        reasons.join(", "),
        drift.worst_level(),
        if drifting.is_empty() { "none".to_string() } else { drifting.join(", ") }
    );
    Ok(())
}
