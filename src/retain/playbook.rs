//! The [`Playbook`]: which retention actions apply to which customers, and the
//! budgeted [`RetentionPlan`] it produces.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::data::CustomerId;
use crate::error::{Error, Result, ensure};
use crate::retain::select::{Candidate, select_exact, select_greedy};
use crate::warn::{CustomerRisk, RiskTier};

/// What kind of intervention an action is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A coupon or discount on the next order.
    Discount,
    /// A care message (birthday, holiday greeting, check-in).
    CareMessage,
    /// A proactive call from customer support.
    SupportCall,
    /// A ticket to the product team about the customer's problem.
    FeedbackTicket,
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            ActionKind::Discount => "discount",
            ActionKind::CareMessage => "care message",
            ActionKind::SupportCall => "support call",
            ActionKind::FeedbackTicket => "feedback ticket",
        })
    }
}

/// A retention action with its cost and expected effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Unique name (e.g. `"coupon_10pct"`).
    pub name: String,
    /// Kind of intervention.
    pub kind: ActionKind,
    /// Cost per customer treated (≥ 0, in the same currency as CLV).
    pub cost: f64,
    /// Expected relative reduction of the churn probability, in `[0, 1]` (e.g. 0.2:
    /// a treated customer churns 20% less often); from an A/B test or uplift model, or configured.
    pub uplift: f64,
}

impl Action {
    /// An action.
    pub fn new(name: impl Into<String>, kind: ActionKind, cost: f64, uplift: f64) -> Self {
        Action { name: name.into(), kind, cost, uplift }
    }
}

/// When an action applies: a customer at `min_tier` or above, with `reason` among
/// their risk-raising reasons (if set) and in `segment` (if set).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Lowest tier the rule applies to.
    pub min_tier: RiskTier,
    /// Input feature that must be one of the customer's top reasons with a positive
    /// contribution (e.g. `"complaint_count_90d"`); `None` = any.
    pub reason: Option<String>,
    /// Segment label the customer must carry (see [`CustomerValues::with_segment`]); `None` = any.
    pub segment: Option<String>,
    /// The action.
    pub action: Action,
}

impl Rule {
    /// A rule for every customer at `min_tier` or above.
    pub fn new(min_tier: RiskTier, action: Action) -> Self {
        Rule { min_tier, reason: None, segment: None, action }
    }

    /// Require `feature` among the customer's risk-raising reasons.
    pub fn when_reason(mut self, feature: impl Into<String>) -> Self {
        self.reason = Some(feature.into());
        self
    }

    /// Require the segment label `segment`.
    pub fn in_segment(mut self, segment: impl Into<String>) -> Self {
        self.segment = Some(segment.into());
        self
    }

    /// Whether the rule applies to `customer` with segment label `segment`.
    pub fn applies(&self, customer: &CustomerRisk, segment: Option<&str>) -> bool {
        customer.tier >= self.min_tier
            && self
                .reason
                .as_ref()
                .is_none_or(|f| customer.reasons.iter().any(|r| *r.feature == **f && r.contribution > 0.0))
            && self.segment.as_deref().is_none_or(|s| segment == Some(s))
    }
}

/// Customer lifetime values and segment labels for planning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerValues {
    default_clv: f64,
    clv: HashMap<CustomerId, f64>,
    segments: HashMap<CustomerId, String>,
}

impl CustomerValues {
    /// Every customer worth `default_clv` unless set otherwise.
    ///
    /// Errors: a CLV that is not finite or is negative.
    pub fn new(default_clv: f64) -> Result<Self> {
        check_clv(default_clv)?;
        Ok(CustomerValues { default_clv, clv: HashMap::new(), segments: HashMap::new() })
    }

    /// Set one customer's CLV (e.g. from [`regression::clv`](crate::regression)).
    ///
    /// Errors: a CLV that is not finite or is negative.
    pub fn with_clv(mut self, customer: CustomerId, clv: f64) -> Result<Self> {
        check_clv(clv)?;
        self.clv.insert(customer, clv);
        Ok(self)
    }

    /// Set the CLV of every customer of `summary` from `values` in the same order, as
    /// [`regression::clv::clv`](crate::regression::clv::clv) returns them.
    ///
    /// The BG/NBD CLV already weighs future purchases by the chance the customer is
    /// still alive, so `P(churn) × CLV` in the expected value slightly double-counts
    /// churn for customers the purchase model already sees as fading; for ranking
    /// retention candidates this errs on the side of customers who are still active.
    ///
    /// Errors: lengths that differ ([`Error::ShapeMismatch`]) or a CLV that is not finite or is negative.
    pub fn with_summary_clv(mut self, summary: &crate::regression::clv::RfmSummary, values: &[f64]) -> Result<Self> {
        ensure!(
            summary.len() == values.len(),
            Error::ShapeMismatch {
                what: "CLV values vs customers in the summary",
                expected: summary.len(),
                found: values.len()
            }
        );
        for (id, &v) in summary.customer_ids().iter().zip(values) {
            check_clv(v)?;
            self.clv.insert(id.clone(), v);
        }
        Ok(self)
    }

    /// Label a customer with a segment (e.g. `"vip"`, `"new"`).
    pub fn with_segment(mut self, customer: CustomerId, segment: impl Into<String>) -> Self {
        self.segments.insert(customer, segment.into());
        self
    }

    /// A customer's CLV.
    pub fn clv(&self, customer: &CustomerId) -> f64 {
        self.clv.get(customer).copied().unwrap_or(self.default_clv)
    }

    /// A customer's segment label, if any.
    pub fn segment(&self, customer: &CustomerId) -> Option<&str> {
        self.segments.get(customer).map(String::as_str)
    }
}

fn check_clv(clv: f64) -> Result<()> {
    ensure!(
        clv.is_finite() && clv >= 0.0,
        Error::param("clv", clv, "a customer lifetime value must be finite and ≥ 0")
    );
    Ok(())
}

/// How to choose among candidates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// [`select_greedy`]: fast, near-optimal (gap measured in `tests/retain.rs`).
    #[default]
    Greedy,
    /// [`select_exact`]: optimal, for small populations only.
    Exact,
}

/// One chosen action for one customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The customer.
    pub customer: CustomerId,
    /// The customer's tier.
    pub tier: RiskTier,
    /// Name of the chosen action.
    pub action: String,
    /// Kind of the chosen action.
    pub kind: ActionKind,
    /// Churn probability.
    pub probability: f64,
    /// Customer lifetime value used.
    pub clv: f64,
    /// Expected relative churn reduction of the action.
    pub uplift: f64,
    /// Cost of the action.
    pub cost: f64,
    /// `probability × clv × uplift − cost`.
    pub expected_value: f64,
}

/// A budgeted set of retention actions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetentionPlan {
    /// The budget given.
    pub budget: f64,
    /// Chosen actions, highest expected value first.
    pub assignments: Vec<Assignment>,
    /// Sum of the chosen costs (≤ budget).
    pub total_cost: f64,
    /// Sum of the chosen expected values.
    pub total_expected_value: f64,
    /// Customers with at least one eligible action.
    pub eligible_customers: usize,
    /// Customers with at least one eligible action of positive expected value.
    pub worthwhile_customers: usize,
}

impl RetentionPlan {
    /// Number of chosen actions per kind, in kind order.
    pub fn by_kind(&self) -> Vec<(ActionKind, usize, f64)> {
        let mut m: std::collections::BTreeMap<ActionKind, (usize, f64)> = Default::default();
        for a in &self.assignments {
            let e = m.entry(a.kind).or_default();
            e.0 += 1;
            e.1 += a.cost;
        }
        m.into_iter().map(|(k, (n, cost))| (k, n, cost)).collect()
    }
}

impl fmt::Display for RetentionPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} actions, cost {:.2} of budget {:.2}, expected value {:.2} ({} eligible customers, {} worth treating)",
            self.assignments.len(),
            self.total_cost,
            self.budget,
            self.total_expected_value,
            self.eligible_customers,
            self.worthwhile_customers
        )?;
        for (kind, n, cost) in self.by_kind() {
            writeln!(f, "  {kind:16} {n:6} customers, cost {cost:.2}")?;
        }
        Ok(())
    }
}

/// Rules mapping (tier, reason, segment) to retention actions.
///
/// ```
/// use churnguard::retain::{Action, ActionKind, CustomerValues, Playbook, Rule};
/// use churnguard::warn::{rank_scores, RiskTier, ScorerConfig};
/// use churnguard::{data::CustomerId, pipeline::CustomerScore, Timestamp};
/// let scores: Vec<CustomerScore> = [("a", 0.9), ("b", 0.6), ("c", 0.1)]
///     .iter()
///     .map(|&(id, p)| CustomerScore { customer: CustomerId::new(id), probability: p, reasons: Default::default() })
///     .collect();
/// let scoring = rank_scores(scores, Timestamp::from_ymd(2024, 6, 1)?, &ScorerConfig::default(), None)?;
/// let playbook = Playbook::new(vec![
///     Rule::new(RiskTier::High, Action::new("call", ActionKind::SupportCall, 20.0, 0.3)),
///     Rule::new(RiskTier::Medium, Action::new("coupon", ActionKind::Discount, 5.0, 0.1)),
/// ])?;
/// let plan = playbook.plan(scoring.customers(), &CustomerValues::new(200.0)?, 30.0)?;
/// // a: call 0.9·200·0.3 − 20 = 34 > coupon 0.9·200·0.1 − 5 = 13; b: coupon 0.6·200·0.1 − 5 = 7.
/// assert_eq!(plan.assignments.len(), 2);
/// assert_eq!(plan.assignments[0].action, "call");
/// assert!((plan.total_expected_value - 41.0).abs() < 1e-9);
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playbook {
    rules: Vec<Rule>,
}

impl Playbook {
    /// Check and wrap the rules.
    ///
    /// Errors: no rules, an action with a negative cost ([`Error::NegativeCost`]), a
    /// non-finite cost, or an uplift outside `[0, 1]`.
    pub fn new(rules: Vec<Rule>) -> Result<Self> {
        ensure!(!rules.is_empty(), Error::EmptyData { context: "a playbook needs at least one rule".into() });
        for r in &rules {
            let a = &r.action;
            ensure!(a.cost.is_finite(), Error::param("cost", a.cost, "an action's cost must be finite"));
            ensure!(a.cost >= 0.0, Error::NegativeCost { action: a.name.clone(), cost: a.cost });
            ensure!(
                a.uplift.is_finite() && (0.0..=1.0).contains(&a.uplift),
                Error::param("uplift", a.uplift, "uplift is a relative churn reduction in [0, 1]")
            );
        }
        Ok(Playbook { rules })
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Every eligible (customer, action) pair: the customer's index in `customers`,
    /// the rule's index, and `probability × clv × uplift − cost`
    /// (expected saved value minus cost; Verbeke et al. 2012, "New insights into churn
    /// prediction", eq. 1, with the offer's acceptance folded into the uplift).
    /// An action reachable through several rules counts once per customer.
    pub fn candidates(&self, customers: &[CustomerRisk], values: &CustomerValues) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::new();
        for (ci, c) in customers.iter().enumerate() {
            let segment = values.segment(&c.customer);
            let clv = values.clv(&c.customer);
            let mut seen: Vec<&str> = Vec::new();
            for (ri, r) in self.rules.iter().enumerate() {
                if r.applies(c, segment) && !seen.contains(&r.action.name.as_str()) {
                    seen.push(&r.action.name);
                    out.push((ci, ri, c.probability * clv * r.action.uplift - r.action.cost));
                }
            }
        }
        out
    }

    /// The greedy plan for `budget`; see [`plan_with`](Self::plan_with).
    pub fn plan(&self, customers: &[CustomerRisk], values: &CustomerValues, budget: f64) -> Result<RetentionPlan> {
        self.plan_with(customers, values, budget, Solver::Greedy)
    }

    /// Choose at most one action per customer, maximising the total expected value
    /// with total cost ≤ `budget`. Actions of non-positive expected value are never
    /// chosen, so a plan may be empty when no action pays for itself.
    ///
    /// Errors: a budget that is not finite and > 0; no customers ([`Error::EmptyData`]);
    /// no rule applying to any customer ([`Error::NoEligibleAction`]); and
    /// [`Error::TooLarge`] for [`Solver::Exact`] on more than
    /// [`EXACT_MAX_CUSTOMERS`](crate::retain::EXACT_MAX_CUSTOMERS) worthwhile customers.
    pub fn plan_with(
        &self,
        customers: &[CustomerRisk],
        values: &CustomerValues,
        budget: f64,
        solver: Solver,
    ) -> Result<RetentionPlan> {
        ensure!(
            budget.is_finite() && budget > 0.0,
            Error::param("budget", budget, "the budget must be finite and > 0")
        );
        ensure!(!customers.is_empty(), Error::EmptyData { context: "no customers to plan retention for".into() });
        let pairs = self.candidates(customers, values);
        ensure!(!pairs.is_empty(), Error::NoEligibleAction { customers: customers.len() });
        let count_customers = |f: &dyn Fn(f64) -> bool| {
            let mut ids: Vec<usize> = pairs.iter().filter(|p| f(p.2)).map(|p| p.0).collect();
            ids.dedup();
            ids.len()
        };
        let eligible_customers = count_customers(&|_| true);
        let worthwhile_customers = count_customers(&|v| v > 0.0);
        let candidates: Vec<Candidate> = pairs
            .iter()
            .map(|&(ci, ri, value)| Candidate {
                customer: ci,
                cost: self.rules.get(ri).map_or(0.0, |r| r.action.cost),
                value,
            })
            .collect();
        let selection = match solver {
            Solver::Greedy => select_greedy(&candidates, budget)?,
            Solver::Exact => select_exact(&candidates, budget)?,
        };
        let mut assignments: Vec<Assignment> = selection
            .chosen
            .iter()
            .filter_map(|&k| {
                let &(ci, ri, value) = pairs.get(k)?;
                let (c, r) = (customers.get(ci)?, self.rules.get(ri)?);
                Some(Assignment {
                    customer: c.customer.clone(),
                    tier: c.tier,
                    action: r.action.name.clone(),
                    kind: r.action.kind,
                    probability: c.probability,
                    clv: values.clv(&c.customer),
                    uplift: r.action.uplift,
                    cost: r.action.cost,
                    expected_value: value,
                })
            })
            .collect();
        assignments.sort_by(|a, b| b.expected_value.total_cmp(&a.expected_value).then(a.customer.cmp(&b.customer)));
        Ok(RetentionPlan {
            budget,
            assignments,
            total_cost: selection.total_cost,
            total_expected_value: selection.total_value,
            eligible_customers,
            worthwhile_customers,
        })
    }
}
