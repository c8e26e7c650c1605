//! A/B tests of retention campaigns: effect sizes, confidence intervals, significance and power.
