//! Time to churn: Kaplan–Meier, log-rank test and Cox proportional hazards.
