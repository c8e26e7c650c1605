//! Churn reasons aggregated across the at-risk population, for product teams.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::warn::{CustomerRisk, RiskTier};

/// How often one input feature is among at-risk customers' top risk-raising reasons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReasonCount {
    /// Input feature name.
    pub feature: String,
    /// At-risk customers with this feature among their top reasons (positive contribution).
    pub customers: usize,
    /// Sum of those contributions (log-odds or probability scale, as the model explains).
    pub total_contribution: f64,
}

/// Rank the reasons of customers at `min_tier` or above: by the number of customers
/// whose top reasons include the feature with a positive contribution, then by the
/// total contribution, then by name. Calendar features
/// ([`CALENDAR_FEATURES`](crate::features::CALENDAR_FEATURES)) are left out: they
/// say when a customer is scored, not why they leave.
pub fn reason_summary(customers: &[CustomerRisk], min_tier: RiskTier) -> Vec<ReasonCount> {
    let mut m: HashMap<&str, (usize, f64)> = HashMap::new();
    for c in customers.iter().filter(|c| c.tier >= min_tier) {
        let actionable = |r: &&crate::model::Reason| {
            r.contribution > 0.0 && !crate::features::CALENDAR_FEATURES.contains(&&*r.feature)
        };
        for r in c.reasons.iter().filter(actionable) {
            let e = m.entry(&*r.feature).or_default();
            e.0 += 1;
            e.1 += r.contribution;
        }
    }
    let mut v: Vec<ReasonCount> = m
        .into_iter()
        .map(|(f, (n, t))| ReasonCount { feature: f.to_string(), customers: n, total_contribution: t })
        .collect();
    v.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then(b.total_contribution.total_cmp(&a.total_contribution))
            .then(a.feature.cmp(&b.feature))
    });
    v
}
