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
/// action yet and it fits the remaining budget; then one upgrade pass (switch a
/// chosen customer to a more valuable action of theirs if the budget allows); and
/// finally the single most valuable affordable candidate if that alone is worth more
/// (the modified greedy of Martello & Toth 1990, *Knapsack Problems*, §2.4, which
/// guards against one dense cheap item blocking a large one).
///
/// Deterministic: ties break by value, then candidate index.
///
/// Errors: a budget that is not finite and > 0, a non-finite cost or value, or a
/// negative cost ([`Error::NegativeCost`]).
pub fn select_greedy(candidates: &[Candidate], budget: f64) -> Result<Selection> {
    check(candidates, budget)?;
    let limit = budget + BUDGET_TOLERANCE;
    let mut order: Vec<usize> = (0..candidates.len()).filter(|&i| candidates[i].value > 0.0).collect();
    let density = |c: &Candidate| if c.cost > 0.0 { c.value / c.cost } else { f64::INFINITY };
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&candidates[a], &candidates[b]);
        density(cb).total_cmp(&density(ca)).then(cb.value.total_cmp(&ca.value)).then(a.cmp(&b))
    });
    let n_customers = candidates.iter().map(|c| c.customer + 1).max().unwrap_or(0);
    let mut assigned: Vec<Option<usize>> = vec![None; n_customers];
    let mut spent = 0.0;
    for &i in &order {
        let c = &candidates[i];
        if let Some(slot) = assigned.get_mut(c.customer) {
            if slot.is_none() && spent + c.cost <= limit {
                *slot = Some(i);
                spent += c.cost;
            }
        }
    }
    // Upgrade pass, most valuable candidates first.
    let mut by_value = order.clone();
    by_value.sort_by(|&a, &b| candidates[b].value.total_cmp(&candidates[a].value).then(a.cmp(&b)));
    for &i in &by_value {
        let c = &candidates[i];
        let Some(slot) = assigned.get_mut(c.customer) else { continue };
        let Some(cur) = slot.and_then(|current| candidates.get(current)) else { continue };
        if c.value > cur.value && spent - cur.cost + c.cost <= limit {
            spent += c.cost - cur.cost;
            *slot = Some(i);
        }
    }
    let greedy = Selection::from_chosen(candidates, assigned.into_iter().flatten().collect());
    let best_single = order
        .iter()
        .copied()
        .filter(|&i| candidates[i].cost <= limit)
        .max_by(|&a, &b| candidates[a].value.total_cmp(&candidates[b].value).then(b.cmp(&a)));
    match best_single {
        Some(i) if candidates[i].value > greedy.total_value => Ok(Selection::from_chosen(candidates, vec![i])),
        _ => Ok(greedy),
    }
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
