//! Normal and Student-t helpers that never panic on the values this module passes.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::{erfc, erfc_inv};

use crate::error::{Error, Result, ensure};

/// Standard normal density.
pub(crate) fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal cdf Φ(x), via erfc so that the lower tail keeps its precision.
pub(crate) fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal survival function 1 − Φ(x), accurate deep in the upper tail.
pub(crate) fn norm_sf(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// Upper quantile z with 1 − Φ(z) = q, accurate for small q.
pub(crate) fn norm_isf(q: f64) -> f64 {
    std::f64::consts::SQRT_2 * erfc_inv(2.0 * q)
}

/// Two-sided normal p-value 2(1 − Φ(|z|)).
pub(crate) fn two_sided_normal_p(z: f64) -> f64 {
    (2.0 * norm_sf(z.abs())).min(1.0)
}

/// Student-t with `df` degrees of freedom (df > 0).
fn student(df: f64) -> Result<StudentsT> {
    StudentsT::new(0.0, 1.0, df).map_err(|_| Error::param("degrees_of_freedom", df, "must be positive and finite"))
}

/// Two-sided Student-t p-value 2·P(T > |t|).
pub(crate) fn two_sided_t_p(t: f64, df: f64) -> Result<f64> {
    Ok((2.0 * student(df)?.sf(t.abs())).min(1.0))
}

/// Student-t upper quantile: P(T > q) = tail.
pub(crate) fn t_isf(tail: f64, df: f64) -> Result<f64> {
    ensure!(tail > 0.0 && tail < 1.0, Error::param("tail", tail, "must be in (0, 1)"));
    Ok(student(df)?.inverse_cdf(1.0 - tail))
}

/// Checks a confidence level and returns the two-sided normal critical value z_{1−(1−level)/2}.
pub(crate) fn normal_critical(level: f64) -> Result<f64> {
    check_level(level)?;
    Ok(norm_isf((1.0 - level) / 2.0))
}

/// A confidence level must lie strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<()> {
    ensure!(
        level.is_finite() && level > 0.0 && level < 1.0,
        Error::param("level", level, "confidence level must be in (0, 1)")
    );
    Ok(())
}

/// A significance level must lie strictly between 0 and 1.
pub(crate) fn check_alpha(alpha: f64) -> Result<()> {
    ensure!(
        alpha.is_finite() && alpha > 0.0 && alpha < 1.0,
        Error::param("alpha", alpha, "significance level must be in (0, 1)")
    );
    Ok(())
}
