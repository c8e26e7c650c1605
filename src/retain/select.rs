//! Choosing (customer, action) pairs under a budget: a multiple-choice knapsack.
//!
//! Each [`Candidate`] is one action for one customer with a cost and an expected
//! value; at most one candidate per customer may be chosen and the chosen costs
//! must fit the budget. [`select_greedy`] is fast (sort by value density);
//! [`select_exact`] is a branch and bound for small instances, used to measure
//! the greedy's optimality gap.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};

/// Slack for floating-point sums of costs against the budget.
const BUDGET_TOLERANCE: f64 = 1e-9;

/// Largest number of distinct customers [`select_exact`] accepts.
pub const EXACT_MAX_CUSTOMERS: usize = 24;

/// One possible action for one customer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Index of the customer (candidates of the same customer exclude each other).
    pub customer: usize,
    /// Cost of the action (≥ 0).
    pub cost: f64,
    /// Expected value net of cost; candidates with value ≤ 0 are never chosen.
    pub value: f64,
}

/// The chosen candidates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Indices into the candidate slice, ascending.
    pub chosen: Vec<usize>,
    /// Sum of the chosen values.
    pub total_value: f64,
    /// Sum of the chosen costs.
    pub total_cost: f64,
}

impl Selection {
    fn from_chosen(candidates: &[Candidate], mut chosen: Vec<usize>) -> Self {
        chosen.sort_unstable();
        let total_value = chosen.iter().filter_map(|&i| candidates.get(i)).map(|c| c.value).sum();
        let total_cost = chosen.iter().filter_map(|&i| candidates.get(i)).map(|c| c.cost).sum();
        Selection { chosen, total_value, total_cost }
    }
}

fn check(candidates: &[Candidate], budget: f64) -> Result<()> {
    ensure!(budget.is_finite() && budget > 0.0, Error::param("budget", budget, "the budget must be finite and > 0"));
    for (row, c) in candidates.iter().enumerate() {
        ensure!(c.cost.is_finite(), Error::NonFinite { column: "cost".into(), row, value: c.cost });
        ensure!(c.value.is_finite(), Error::NonFinite { column: "value".into(), row, value: c.value });
        ensure!(c.cost >= 0.0, Error::NegativeCost { action: format!("candidate {row}"), cost: c.cost });
    }
    Ok(())
}

/// Greedy selection: candidates with positive value in decreasing order of value
/// density (value / cost; free actions first), each taken if its customer has no
/// action yet and it fits the remaining budget, followed by an upgrade pass (switch a
/// chosen customer to a more valuable action of theirs if the budget allows). The
/// pass is repeated with each of the [`FORCED_STARTS`] most valuable candidates
/// forced in first (so one dense cheap action cannot block a large one), and compared
/// with the LP-relaxation greedy of Sinha & Zoltners (1979); the best result wins.
/// Cost O(n log n + [`FORCED_STARTS`]·n) for n candidates.
///
/// Deterministic: ties break by value, then candidate index.
///
/// Errors: a budget that is not finite and > 0, a non-finite cost or value, or a
/// negative cost ([`Error::NegativeCost`]).
pub fn select_greedy(candidates: &[Candidate], budget: f64) -> Result<Selection> {
    check(candidates, budget)?;
    // Dense customer indices, so per-customer tables are as small as the input whatever the ids.
    let mut dense: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let remapped: Vec<Candidate> = candidates
        .iter()
        .map(|c| {
            let next = dense.len();
            Candidate { customer: *dense.entry(c.customer).or_insert(next), ..*c }
        })
        .collect();
    let candidates = remapped.as_slice();
    let limit = budget + BUDGET_TOLERANCE;
    let mut order: Vec<usize> = (0..candidates.len()).filter(|&i| candidates[i].value > 0.0).collect();
    let density = |c: &Candidate| if c.cost > 0.0 { c.value / c.cost } else { f64::INFINITY };
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&candidates[a], &candidates[b]);
        density(cb).total_cmp(&density(ca)).then(cb.value.total_cmp(&ca.value)).then(a.cmp(&b))
    });
    let mut by_value = order.clone();
    by_value.sort_by(|&a, &b| candidates[b].value.total_cmp(&candidates[a].value).then(a.cmp(&b)));
    let n_customers = candidates.iter().map(|c| c.customer + 1).max().unwrap_or(0);
    let pass = |forced: Option<usize>| {
        Selection::from_chosen(candidates, density_pass(candidates, &order, &by_value, n_customers, limit, forced))
    };
    let mut best = pass(None);
    // Forced starts (Sahni 1975, "Approximate algorithms for the 0/1 knapsack problem", J. ACM 22(1),
    // with k = 1, capped): put one of the most valuable affordable candidates in first, fill greedily.
    for &f in by_value.iter().filter(|&&i| candidates[i].cost <= limit).take(FORCED_STARTS) {
        let s = pass(Some(f));
        if s.total_value > best.total_value {
            best = s;
        }
    }
    let hull = Selection::from_chosen(candidates, hull_greedy(candidates, limit));
    if hull.total_value > best.total_value {
        best = hull;
    }
    Ok(best)
}

/// How many of the most valuable candidates [`select_greedy`] tries as a forced first choice.
pub const FORCED_STARTS: usize = 8;

/// One density-ordered pass (optionally starting from a forced candidate), then an
/// upgrade pass that moves a chosen customer to a more valuable action of theirs
/// when the budget allows. Returns chosen indices.
fn density_pass(
    candidates: &[Candidate],
    order: &[usize],
    by_value: &[usize],
    n_customers: usize,
    limit: f64,
    forced: Option<usize>,
) -> Vec<usize> {
    let mut assigned: Vec<Option<usize>> = vec![None; n_customers];
    let mut spent = 0.0;
    for &i in forced.iter().chain(order) {
        let c = &candidates[i];
        if let Some(slot) = assigned.get_mut(c.customer) {
            if slot.is_none() && spent + c.cost <= limit {
                *slot = Some(i);
                spent += c.cost;
            }
        }
    }
    for &i in by_value {
        let c = &candidates[i];
        if forced.is_some_and(|f| candidates[f].customer == c.customer) {
            continue;
        }
        let Some(slot) = assigned.get_mut(c.customer) else { continue };
        let Some(cur) = slot.and_then(|current| candidates.get(current)) else { continue };
        if c.value > cur.value && spent - cur.cost + c.cost <= limit {
            spent += c.cost - cur.cost;
            *slot = Some(i);
        }
    }
    assigned.into_iter().flatten().collect()
}

/// Greedy on the LP relaxation of the multiple-choice knapsack (Sinha & Zoltners 1979,
/// "The multiple-choice knapsack problem", Oper. Res. 27(3)): per customer, the upper
/// convex hull of (cost, value) from "no action" at (0, 0); then every hull step, in
/// decreasing order of incremental value per cost, upgrades its customer if it fits.
/// A customer whose step does not fit takes no later step. Returns chosen indices.
fn hull_greedy(candidates: &[Candidate], limit: f64) -> Vec<usize> {
    let n_customers = candidates.iter().map(|c| c.customer + 1).max().unwrap_or(0);
    let mut by_customer: Vec<Vec<usize>> = vec![Vec::new(); n_customers];
    for (i, c) in candidates.iter().enumerate() {
        if c.value > 0.0 && c.cost <= limit {
            if let Some(g) = by_customer.get_mut(c.customer) {
                g.push(i);
            }
        }
    }
    // Steps: (customer, candidate, Δcost, Δvalue), efficiencies decreasing within a customer.
    let mut steps: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (customer, mut g) in by_customer.into_iter().enumerate() {
        g.sort_by(|&a, &b| {
            candidates[a].cost.total_cmp(&candidates[b].cost).then(candidates[b].value.total_cmp(&candidates[a].value))
        });
        let mut hull: Vec<usize> = Vec::new();
        for i in g {
            let last_v = hull.last().map_or(0.0, |&h| candidates[h].value);
            if candidates[i].value <= last_v {
                continue; // dominated: costs at least as much for no more value
            }
            hull.push(i);
            // Drop middle points that lie on or below the chord (LP-dominated).
            while hull.len() >= 2 {
                let k = hull.len();
                let (b, m) = (hull[k - 1], hull[k - 2]);
                let (pc, pv) =
                    if k >= 3 { (candidates[hull[k - 3]].cost, candidates[hull[k - 3]].value) } else { (0.0, 0.0) };
                let e1 = (candidates[m].value - pv) / (candidates[m].cost - pc).max(1e-300);
                let e2 =
                    (candidates[b].value - candidates[m].value) / (candidates[b].cost - candidates[m].cost).max(1e-300);
                if e2 >= e1 {
                    hull.remove(k - 2);
                } else {
                    break;
                }
            }
        }
        let (mut pc, mut pv) = (0.0, 0.0);
        for &i in &hull {
            steps.push((customer, i, candidates[i].cost - pc, candidates[i].value - pv));
            pc = candidates[i].cost;
            pv = candidates[i].value;
        }
    }
    let eff = |s: &(usize, usize, f64, f64)| if s.2 > 0.0 { s.3 / s.2 } else { f64::INFINITY };
    steps.sort_by(|a, b| eff(b).total_cmp(&eff(a)).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let mut current: Vec<Option<usize>> = vec![None; n_customers];
    let mut frozen = vec![false; n_customers];
    let mut spent = 0.0;
    for (customer, i, dc, _) in steps {
        let (Some(slot), Some(stop)) = (current.get_mut(customer), frozen.get_mut(customer)) else { continue };
        if *stop {
            continue;
        }
        if spent + dc <= limit {
            *slot = Some(i);
            spent += dc;
        } else {
            *stop = true;
        }
    }
    current.into_iter().flatten().collect()
}

/// Exact selection by branch and bound over customers (each takes one of its
/// positive-value candidates or none), bounding each branch by the sum of every
/// remaining customer's best candidate that fits the remaining budget.
///
/// Exponential in the worst case: meant for small instances (tests, audits).
///
/// Errors: as [`select_greedy`], plus [`Error::TooLarge`] beyond
/// [`EXACT_MAX_CUSTOMERS`] customers with a positive-value candidate.
pub fn select_exact(candidates: &[Candidate], budget: f64) -> Result<Selection> {
    check(candidates, budget)?;
    let limit = budget + BUDGET_TOLERANCE;
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if c.value <= 0.0 || c.cost > limit {
            continue;
        }
        match groups.iter_mut().find(|(cust, _)| *cust == c.customer) {
            Some((_, g)) => g.push(i),
            None => groups.push((c.customer, vec![i])),
        }
    }
    ensure!(
        groups.len() <= EXACT_MAX_CUSTOMERS,
        Error::TooLarge {
            model: "exact retention selection",
            rows: groups.len(),
            limit: EXACT_MAX_CUSTOMERS,
            advice: "use select_greedy for large populations"
        }
    );
    let best_of = |g: &[usize]| g.iter().map(|&i| candidates[i].value).fold(0.0, f64::max);
    groups.sort_by(|a, b| best_of(&b.1).total_cmp(&best_of(&a.1)).then(a.0.cmp(&b.0)));
    let groups: Vec<Vec<usize>> = groups.into_iter().map(|(_, g)| g).collect();
    let mut search = Search { candidates, groups: &groups, best_value: 0.0, best: Vec::new(), current: Vec::new() };
    search.branch(0, limit, 0.0);
    Ok(Selection::from_chosen(candidates, search.best))
}

struct Search<'a> {
    candidates: &'a [Candidate],
    groups: &'a [Vec<usize>],
    best_value: f64,
    best: Vec<usize>,
    current: Vec<usize>,
}

impl Search<'_> {
    fn branch(&mut self, k: usize, remaining: f64, value: f64) {
        if value > self.best_value {
            self.best_value = value;
            self.best = self.current.clone();
        }
        let Some(rest) = self.groups.get(k..) else { return };
        let bound: f64 = rest
            .iter()
            .map(|g| {
                g.iter()
                    .filter(|&&i| self.candidates[i].cost <= remaining)
                    .map(|&i| self.candidates[i].value)
                    .fold(0.0, f64::max)
            })
            .sum();
        if value + bound <= self.best_value + 1e-12 {
            return;
        }
        let Some(group) = self.groups.get(k) else { return };
        for &i in group {
            let c = self.candidates[i];
            if c.cost <= remaining {
                self.current.push(i);
                self.branch(k + 1, remaining - c.cost, value + c.value);
                self.current.pop();
            }
        }
        self.branch(k + 1, remaining, value);
    }
}
