//! Tests of `churnguard::retain`: playbook eligibility, budgeted selection (greedy vs
//! exact) and the churn-reason summary.

use approx::assert_abs_diff_eq;
use churnguard::Error;
use churnguard::Timestamp;
use churnguard::data::CustomerId;
use churnguard::model::Reason;
use churnguard::pipeline::CustomerScore;
use churnguard::retain::{
    Action, ActionKind, Candidate, CustomerValues, Playbook, Rule, Solver, reason_summary, select_exact, select_greedy,
};
use churnguard::warn::{CustomerRisk, RiskTier, ScorerConfig, rank_scores};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn reason(feature: &str, contribution: f64) -> Reason {
    Reason { feature: feature.into(), value: Some(1.0), category: None, contribution }
}

/// Customers with (id, probability, reasons), ranked with the default cut-offs (50 / 75).
fn population(rows: &[(&str, f64, Vec<Reason>)]) -> Vec<CustomerRisk> {
    let scores = rows
        .iter()
        .map(|(id, p, r)| CustomerScore { customer: CustomerId::new(*id), probability: *p, reasons: r.clone().into() })
        .collect();
    let at = Timestamp::from_ymd(2024, 6, 1).unwrap();
    rank_scores(scores, at, &ScorerConfig { reasons: 5, ..ScorerConfig::default() }, None).unwrap().customers().to_vec()
}

fn playbook() -> Playbook {
    Playbook::new(vec![
        Rule::new(RiskTier::High, Action::new("call", ActionKind::SupportCall, 30.0, 0.4)),
        Rule::new(RiskTier::Medium, Action::new("coupon", ActionKind::Discount, 10.0, 0.15)),
        Rule::new(RiskTier::Medium, Action::new("fix_delivery", ActionKind::CareMessage, 2.0, 0.1))
            .when_reason("late_delivery_share_90d"),
        Rule::new(RiskTier::Low, Action::new("vip_gift", ActionKind::CareMessage, 5.0, 0.05)).in_segment("vip"),
    ])
    .unwrap()
}

#[test]
fn rules_apply_by_tier_positive_reason_and_segment() {
    let customers = population(&[
        ("high", 0.8, vec![reason("late_delivery_share_90d", 0.7)]),
        ("mid_late", 0.6, vec![reason("late_delivery_share_90d", 0.4)]),
        ("mid_late_negative", 0.55, vec![reason("late_delivery_share_90d", -0.4)]),
        ("low_vip", 0.2, vec![]),
        ("low", 0.1, vec![]),
    ]);
    let values = CustomerValues::new(100.0).unwrap().with_segment(CustomerId::new("low_vip"), "vip");
    let pairs = playbook().candidates(&customers, &values);
    let by_customer = |id: &str| -> Vec<usize> {
        let ci = customers.iter().position(|c| c.customer.as_str() == id).unwrap();
        pairs.iter().filter(|p| p.0 == ci).map(|p| p.1).collect()
    };
    assert_eq!(by_customer("high"), [0, 1, 2]);
    assert_eq!(by_customer("mid_late"), [1, 2]);
    assert_eq!(by_customer("mid_late_negative"), [1]);
    assert_eq!(by_customer("low_vip"), [3]);
    assert!(by_customer("low").is_empty());
    // Expected value of the call for "high": 0.8 × 100 × 0.4 − 30 = 2 (by hand).
    let ci = customers.iter().position(|c| c.customer.as_str() == "high").unwrap();
    let call = pairs.iter().find(|p| p.0 == ci && p.1 == 0).unwrap();
    assert_abs_diff_eq!(call.2, 2.0, epsilon = 1e-12);
}

#[test]
fn plan_respects_budget_one_action_per_customer_and_clv() {
    let customers = population(&[
        ("a", 0.9, vec![]),
        ("b", 0.8, vec![reason("late_delivery_share_90d", 0.5)]),
        ("c", 0.6, vec![]),
        ("d", 0.3, vec![]),
    ]);
    let values = CustomerValues::new(200.0).unwrap().with_clv(CustomerId::new("c"), 1000.0).unwrap();
    // By hand (EV = p × clv × uplift − cost):
    // a: call 0.9·200·0.4−30 = 42, coupon 0.9·200·0.15−10 = 17
    // b: call 0.8·200·0.4−30 = 34, coupon 14, fix_delivery 0.8·200·0.1−2 = 14
    // c (clv 1000): coupon 0.6·1000·0.15−10 = 80; d: nothing (low tier, no segment).
    // Budget 45: best is c coupon (10) + a call (30) = 122, leaving 5 → b fix_delivery (2) = 136.
    let plan = playbook().plan_with(&customers, &values, 45.0, Solver::Exact).unwrap();
    let chosen: Vec<(&str, &str)> = plan.assignments.iter().map(|a| (a.customer.as_str(), a.action.as_str())).collect();
    assert_eq!(chosen, [("c", "coupon"), ("a", "call"), ("b", "fix_delivery")]);
    assert_abs_diff_eq!(plan.total_expected_value, 136.0, epsilon = 1e-9);
    assert_abs_diff_eq!(plan.total_cost, 42.0, epsilon = 1e-12);
    assert_eq!((plan.eligible_customers, plan.worthwhile_customers), (3, 3));
    let greedy = playbook().plan(&customers, &values, 45.0).unwrap();
    assert!(greedy.total_cost <= 45.0);
    assert_abs_diff_eq!(greedy.total_expected_value, 136.0, epsilon = 1e-9);
}

#[test]
fn plan_skips_actions_that_do_not_pay_for_themselves() {
    // p = 0.5, clv 10: every action's EV is negative → an empty plan, not an error.
    let customers = population(&[("a", 0.5, vec![])]);
    let plan = playbook().plan(&customers, &CustomerValues::new(10.0).unwrap(), 100.0).unwrap();
    assert!(plan.assignments.is_empty());
    assert_eq!((plan.eligible_customers, plan.worthwhile_customers), (1, 0));
}

#[test]
fn planning_rejects_bad_budgets_costs_and_playbooks_with_no_eligible_action() {
    let customers = population(&[("a", 0.9, vec![]), ("b", 0.1, vec![])]);
    let values = CustomerValues::new(100.0).unwrap();
    for budget in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            playbook().plan(&customers, &values, budget),
            Err(Error::InvalidParameter { name: "budget", .. })
        ));
    }
    assert!(matches!(
        Playbook::new(vec![Rule::new(RiskTier::High, Action::new("refund", ActionKind::Discount, -1.0, 0.1))]),
        Err(Error::NegativeCost { ref action, cost }) if action == "refund" && cost == -1.0
    ));
    assert!(matches!(
        Playbook::new(vec![Rule::new(RiskTier::High, Action::new("x", ActionKind::Discount, 1.0, 1.5))]),
        Err(Error::InvalidParameter { name: "uplift", .. })
    ));
    assert!(matches!(Playbook::new(vec![]), Err(Error::EmptyData { .. })));
    // Only low-tier customers and a high-tier-only playbook: a clear error, not an empty plan.
    let low = population(&[("x", 0.1, vec![]), ("y", 0.2, vec![])]);
    let high_only =
        Playbook::new(vec![Rule::new(RiskTier::High, Action::new("call", ActionKind::SupportCall, 30.0, 0.4))])
            .unwrap();
    assert!(matches!(high_only.plan(&low, &values, 100.0), Err(Error::NoEligibleAction { customers: 2 })));
    assert!(matches!(high_only.plan(&[], &values, 100.0), Err(Error::EmptyData { .. })));
    assert!(matches!(CustomerValues::new(-1.0), Err(Error::InvalidParameter { name: "clv", .. })));
    let bad = [Candidate { customer: 0, cost: -2.0, value: 1.0 }];
    assert!(matches!(select_greedy(&bad, 10.0), Err(Error::NegativeCost { .. })));
    let many: Vec<Candidate> = (0..30).map(|c| Candidate { customer: c, cost: 1.0, value: 1.0 }).collect();
    assert!(matches!(select_exact(&many, 10.0), Err(Error::TooLarge { .. })));
}

#[test]
fn greedy_falls_back_to_the_single_best_action_when_a_dense_one_blocks_it() {
    // Density order takes customer 0's cheap action (2/1) first; then customer 1's
    // big action (cost 10, value 10) no longer fits. Best single (10) beats greedy (2).
    let c = [Candidate { customer: 0, cost: 1.0, value: 2.0 }, Candidate { customer: 1, cost: 10.0, value: 10.0 }];
    let s = select_greedy(&c, 10.0).unwrap();
    assert_eq!(s.chosen, [1]);
    assert_abs_diff_eq!(s.total_value, 10.0, epsilon = 1e-12);
    assert_eq!(select_exact(&c, 10.0).unwrap().chosen, [1]);
}

/// Random multiple-choice knapsack instances: 2–8 customers, 1–3 actions each,
/// costs in [1, 10], values in [−2, 15], budget 20–60% of the sum of every customer's cheapest cost.
fn random_instance(rng: &mut ChaCha8Rng) -> (Vec<Candidate>, f64) {
    let customers = rng.gen_range(2..=8);
    let mut c = Vec::new();
    let mut cheapest = 0.0;
    for customer in 0..customers {
        let k = rng.gen_range(1..=3);
        let mut min_cost = f64::INFINITY;
        for _ in 0..k {
            let cost = rng.gen_range(1.0..10.0);
            min_cost = f64::min(min_cost, cost);
            c.push(Candidate { customer, cost, value: rng.gen_range(-2.0..15.0) });
        }
        cheapest += min_cost;
    }
    let budget = cheapest * rng.gen_range(0.2..0.6);
    (c, budget)
}

#[test]
fn greedy_optimality_gap_against_the_exact_solver_is_small_on_random_instances() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut worst, mut sum, mut n, mut optimal) = (0.0f64, 0.0, 0usize, 0usize);
    for _ in 0..2000 {
        let (c, budget) = random_instance(&mut rng);
        let exact = select_exact(&c, budget).unwrap();
        let greedy = select_greedy(&c, budget).unwrap();
        assert!(greedy.total_cost <= budget + 1e-9 && exact.total_cost <= budget + 1e-9);
        assert!(greedy.total_value <= exact.total_value + 1e-9, "greedy beat the exact solver");
        if exact.total_value <= 0.0 {
            continue;
        }
        let gap = (exact.total_value - greedy.total_value) / exact.total_value;
        worst = worst.max(gap);
        sum += gap;
        n += 1;
        if gap < 1e-12 {
            optimal += 1;
        }
    }
    let mean = sum / n as f64;
    println!("greedy gap over {n} instances: worst {worst:.4}, mean {mean:.5}, optimal in {optimal}");
    // Measured (ChaCha8 seed 7, 2000 instances, 1861 with a positive optimum): worst gap 0.1750,
    // mean 0.00217, optimal in 1780 (95.6%). (Plain density greedy + best single item measured
    // worst 0.3797, mean 0.01377, optimal in 1520 on the same instances.) Bounds sit just above.
    // NB: with ≤ 24 candidates, the 8 forced starts cover a third of them, so small cases flatter
    // the forced starts; see the larger-instance measurement below.
    assert_eq!(n, 1861);
    assert!(worst < 0.18, "worst gap {worst}");
    assert!(mean < 0.003, "mean gap {mean}");
    assert!(optimal as f64 / n as f64 > 0.95, "optimal in {optimal} of {n}");
}

#[test]
fn reason_summary_ranks_positive_reasons_of_the_at_risk_population() {
    let customers = population(&[
        ("a", 0.9, vec![reason("days_since_last_order", 0.9), reason("complaints_90d", 0.5)]),
        ("b", 0.8, vec![reason("complaints_90d", 0.7), reason("days_since_last_order", -0.2)]),
        ("c", 0.6, vec![reason("complaints_90d", 0.2), reason("days_since_last_order", 0.3)]),
        ("d", 0.1, vec![reason("discount_share", 2.0)]),
        ("e", 0.7, vec![reason("as_of_month_cos", 1.5)]),
    ]);
    let summary = reason_summary(&customers, RiskTier::Medium);
    // By hand: complaints in a, b, c (0.5 + 0.7 + 0.2 = 1.4); days_since in a, c (0.9 + 0.3 = 1.2;
    // b's is negative); d is low tier, so discount_share is not counted; e's only reason is
    // a calendar feature, which says when, not why, and is left out.
    let rows: Vec<(&str, usize)> = summary.iter().map(|r| (r.feature.as_str(), r.customers)).collect();
    assert_eq!(rows, [("complaints_90d", 3), ("days_since_last_order", 2)]);
    assert_abs_diff_eq!(summary[0].total_contribution, 1.4, epsilon = 1e-12);
    assert_abs_diff_eq!(summary[1].total_contribution, 1.2, epsilon = 1e-12);
    assert_eq!(reason_summary(&customers, RiskTier::Low).len(), 3);
}

/// Larger instances (16–20 customers, 1–3 actions each): the exact search is slower, so 150 instances.
#[test]
fn greedy_optimality_gap_stays_small_on_larger_random_instances() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut worst, mut sum, mut n) = (0.0f64, 0.0, 0usize);
    for _ in 0..150 {
        let customers = rng.gen_range(16..=20);
        let mut c = Vec::new();
        let mut cheapest = 0.0;
        for customer in 0..customers {
            let k = rng.gen_range(1..=3);
            let mut min_cost = f64::INFINITY;
            for _ in 0..k {
                let cost = rng.gen_range(1.0..10.0);
                min_cost = f64::min(min_cost, cost);
                c.push(Candidate { customer, cost, value: rng.gen_range(-2.0..15.0) });
            }
            cheapest += min_cost;
        }
        let budget = cheapest * rng.gen_range(0.2..0.6);
        let exact = select_exact(&c, budget).unwrap();
        let greedy = select_greedy(&c, budget).unwrap();
        assert!(greedy.total_value <= exact.total_value + 1e-9);
        if exact.total_value > 0.0 {
            let gap = (exact.total_value - greedy.total_value) / exact.total_value;
            worst = worst.max(gap);
            sum += gap;
            n += 1;
        }
    }
    let mean = sum / n as f64;
    println!("larger instances: greedy gap over {n}: worst {worst:.4}, mean {mean:.5}");
    // Measured (ChaCha8 seed 11, 150 instances, all with a positive optimum): worst gap 0.0605,
    // mean 0.00436. Bounds sit just above.
    assert_eq!(n, 150);
    assert!(worst < 0.07, "worst gap {worst}");
    assert!(mean < 0.005, "mean gap {mean}");
}

#[test]
fn selection_handles_arbitrary_customer_indices() {
    let c = [
        Candidate { customer: usize::MAX, cost: 2.0, value: 5.0 },
        Candidate { customer: usize::MAX, cost: 1.0, value: 4.0 },
        Candidate { customer: 7, cost: 3.0, value: 6.0 },
    ];
    // Budget 5: best is customer MAX's first action (2) + customer 7 (3) = 11 (by hand).
    for s in [select_greedy(&c, 5.0).unwrap(), select_exact(&c, 5.0).unwrap()] {
        assert_eq!(s.chosen, [0, 2]);
        assert_abs_diff_eq!(s.total_value, 11.0, epsilon = 1e-12);
    }
}

#[test]
fn lifetime_values_come_from_a_clv_summary_in_its_order() {
    use churnguard::regression::clv::RfmSummary;
    let ids = vec![CustomerId::new("a"), CustomerId::new("b")];
    let summary = RfmSummary::new(ids, vec![2, 0], vec![10.0, 0.0], vec![20.0, 15.0], vec![30.0, 0.0]).unwrap();
    let values = CustomerValues::new(50.0).unwrap().with_summary_clv(&summary, &[120.5, 3.0]).unwrap();
    assert_eq!(values.clv(&CustomerId::new("a")), 120.5);
    assert_eq!(values.clv(&CustomerId::new("b")), 3.0);
    assert_eq!(values.clv(&CustomerId::new("not in the summary")), 50.0);
    let short = CustomerValues::new(50.0).unwrap().with_summary_clv(&summary, &[1.0]);
    assert!(matches!(short, Err(Error::ShapeMismatch { expected: 2, found: 1, .. })));
    let negative = CustomerValues::new(50.0).unwrap().with_summary_clv(&summary, &[1.0, -2.0]);
    assert!(matches!(negative, Err(Error::InvalidParameter { name: "clv", .. })));
}
