//! Churn factors: logistic regression by maximum likelihood with standard errors and odds ratios.
