//! Retention actions: spend a budget where it saves the most customer value.
//!
//! Sits after [`warn`](crate::warn): a [`Playbook`] maps a
//! scored customer's tier, top reasons and segment to actions
//! ([`ActionKind`]: discount, care message, support call,
//! feedback ticket), each with a cost and an expected uplift.
//! [`Playbook::plan`](crate::retain::Playbook::plan) picks at most one action per
//! customer maximising `P(churn) × CLV × uplift − cost` within a budget
//! ([`select_greedy`], checked against
//! [`select_exact`]).
//! [`reason_summary`] ranks churn reasons across the
//! at-risk population for product teams.

mod playbook;
mod reasons;
mod select;

pub use self::playbook::{Action, ActionKind, Assignment, CustomerValues, Playbook, RetentionPlan, Rule, Solver};
pub use self::reasons::{ReasonCount, reason_summary};
pub use self::select::{Candidate, EXACT_MAX_CUSTOMERS, FORCED_STARTS, Selection, select_exact, select_greedy};
