//! From a fitted churn pipeline to a budgeted retention plan.
//!
//! Simulates the built-in shop, fits a logistic pipeline on monthly snapshots,
//! scores the population a month before the end of the data and again at the end
//! (so each customer's change is known), puts customers into risk tiers, checks
//! drift between the last training snapshot and the scoring snapshot, and spends a
//! retention budget with a playbook. Prints the plan and the churn reasons for
//! product teams.
//!
//! ```text
//! cargo run --release --example retention_plan
//! ```

use churnguard::classify::LogisticRegression;
use churnguard::data::EventLog;
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::retain::{Action, ActionKind, CustomerValues, Playbook, Rule, Solver, reason_summary};
use churnguard::sim::{Population, SimConfig};
use churnguard::warn::{DriftThresholds, RiskTier, Scorer, ScorerConfig};
use churnguard::{Result, Timestamp};

fn main() -> Result<()> {
    // 1. Data and a fitted pipeline (labels need 90 days after each training date).
    let config = SimConfig::default();
    let population = Population::generate(&config)?;
    let log = EventLog::from_source(population.records())?;
    let train: Vec<Timestamp> = (1..=6).map(|m| Timestamp::from_ymd(2024, m, 1)).collect::<Result<_>>()?;
    let fitted = Pipeline::new(LogisticRegression::params()).fit_log(&log, &train, &Silent)?;

    // 2. Score last month and now; tiers on the 0–100 risk score (low < 50 ≤ medium < 75 ≤ high).
    let now = config.end().add_days(-1);
    let scorer = Scorer::new(fitted, ScorerConfig::default())?;
    let previous = scorer.score_log(&log, now.add_days(-30), None, &Silent)?;
    let scoring = scorer.score_log(&log, now, Some(&previous), &|u: churnguard::progress::ProgressUpdate<'_>| {
        if u.stage == "scoring" && u.done == u.total {
            eprintln!("scored {} customers", u.total);
        }
    })?;
    let tiers = scoring.tier_counts();
    println!(
        "{} customers scored at {now}: {} low, {} medium, {} high; {} moved up a tier since {}",
        scoring.customers().len(),
        tiers.low,
        tiers.medium,
        tiers.high,
        scoring.escalated().count(),
        previous.as_of()
    );
    println!("\nriskiest customers:");
    for c in scoring.customers().iter().take(5) {
        let reasons: Vec<String> = c.reasons.iter().map(|r| r.to_string()).collect();
        let delta =
            c.change.as_ref().map_or(String::from("new"), |ch| format!("{:+.1} pts", 100.0 * ch.probability_delta));
        println!(
            "  {}  score {:5.1}  {:6}  p{:4.1}  ({delta})  {}",
            c.customer,
            c.risk_score,
            c.tier,
            c.percentile,
            reasons.join("; ")
        );
    }

    // 3. Model health: drift between the last training snapshot and now.
    let last_training = train.last().copied().unwrap_or(now);
    let report = scorer.drift(&log, last_training, now, &DriftThresholds::default())?;
    println!("\ndrift {last_training} → {now}: worst level {:?}", report.worst_level());
    // Calendar features (as_of_month_sin/cos) are left out: they differ between any two dates.
    for a in report.alerts().iter().take(8) {
        let ks = a.ks.map_or(String::from("-"), |k| format!("D={:.3} p={:.3}", k.statistic, k.p_value));
        println!("  {:32} PSI {:.3}  {:?}  KS {ks}", a.feature, a.psi, a.level);
    }

    // 4. A playbook and a budget. CLV: a plain default, higher for one region as a segment example.
    let playbook = Playbook::new(vec![
        Rule::new(RiskTier::High, Action::new("proactive_call", ActionKind::SupportCall, 25.0, 0.30)),
        Rule::new(RiskTier::High, Action::new("coupon_15pct", ActionKind::Discount, 12.0, 0.18)),
        Rule::new(RiskTier::Medium, Action::new("coupon_10pct", ActionKind::Discount, 8.0, 0.12)),
        Rule::new(RiskTier::Medium, Action::new("care_message", ActionKind::CareMessage, 0.5, 0.03)),
        Rule::new(RiskTier::Medium, Action::new("support_follow_up", ActionKind::SupportCall, 15.0, 0.25))
            .when_reason("unresolved_ticket_count"),
    ])?;
    let mut values = CustomerValues::new(300.0)?;
    for c in log.customers() {
        if let Some(region) = &c.region {
            values = values.with_segment(c.id.clone(), region.clone());
        }
    }
    let budget = 5_000.0;
    let plan = playbook.plan_with(scoring.customers(), &values, budget, Solver::Greedy)?;
    println!("\nretention plan for a budget of {budget:.0}:\n{plan}");
    for a in plan.assignments.iter().take(5) {
        println!(
            "  {}  {:16} p={:.2} clv={:.0} uplift={:.2} cost={:.1} EV={:.1}",
            a.customer, a.action, a.probability, a.clv, a.uplift, a.cost, a.expected_value
        );
    }

    // 5. Why at-risk customers are leaving, for the product team.
    println!("\nchurn reasons among medium- and high-risk customers:");
    for r in reason_summary(scoring.customers(), RiskTier::Medium).iter().take(8) {
        println!("  {:32} {:6} customers  total contribution {:+.1}", r.feature, r.customers, r.total_contribution);
    }
    Ok(())
}
