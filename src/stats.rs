//! The crate's one home for the standard normal, Student-t and chi-square helpers
//! (densities, tail probabilities, quantiles, critical values) and the checks on
//! confidence and significance levels.
//!
//! The A/B tests (`eval::ab`), the regressions (`regression::factors`,
//! `regression::survival`) and the segment profiles (`cluster::profile`) all take
//! their p-values and interval widths from here, so a level is validated and turned
//! into a critical value the same way everywhere.
//!
//! Normal tails are computed with `erfc` / `erfc⁻¹` on the tail probability itself
//! (never as `1 − Φ(x)` or `Φ⁻¹(0.5 + level/2)`), so small probabilities keep their
//! relative precision.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::checked_gamma_ur;

use crate::error::{Error, Result, ensure};

/// Standard normal density φ(x) = e^{−x²/2}/√(2π) (Abramowitz & Stegun 26.2.1).
pub(crate) fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal cdf Φ(x) = erfc(−x/√2)/2 (A&S 7.1.2 with 26.2.2); via erfc so that
/// the lower tail keeps its precision.
pub(crate) fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal survival function 1 − Φ(x) = erfc(x/√2)/2, accurate deep in the upper tail.
pub(crate) fn norm_sf(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// Upper quantile z with 1 − Φ(z) = q, i.e. z = √2·erfc⁻¹(2q), accurate for small q.
///
/// This replaces the former `Φ⁻¹(p) = −√2·erfc⁻¹(2p)` of the regressions: called as
/// `Φ⁻¹(0.5 + level/2)` that form rounds `0.5 + level/2` to the grid of [0.5, 1) and so
/// loses the last bit of `level` (0.9, 0.975, 0.999, …) and, for levels near 1, most of
/// the tail; `(1 − level)/2` is exact for every level in [0.5, 1).
pub(crate) fn norm_isf(q: f64) -> f64 {
    std::f64::consts::SQRT_2 * erfc_inv(2.0 * q)
}

/// Two-sided normal p-value 2(1 − Φ(|z|)) = erfc(|z|/√2) (A&S 7.1.2), accurate far into the tail.
///
/// Computed as one erfc rather than `2·norm_sf(|z|)` so the result does not pass
/// through a halving that rounds once it is subnormal; a NaN statistic stays NaN.
pub(crate) fn two_sided_normal_p(z: f64) -> f64 {
    let p = erfc(z.abs() / std::f64::consts::SQRT_2);
    // erfc of a non-negative argument is ≤ 1; the clamp only guards rounding and
    // (unlike `f64::min`) keeps a NaN.
    if p > 1.0 { 1.0 } else { p }
}

/// Student-t with `df` degrees of freedom (df > 0).
fn student(df: f64) -> Result<StudentsT> {
    StudentsT::new(0.0, 1.0, df).map_err(|_| Error::param("degrees_of_freedom", df, "must be positive and finite"))
}

/// Two-sided Student-t p-value 2·P(T_df > |t|).
pub(crate) fn two_sided_t_p(t: f64, df: f64) -> Result<f64> {
    Ok((2.0 * student(df)?.sf(t.abs())).min(1.0))
}

/// Student-t upper quantile q with P(T_df > q) = tail.
pub(crate) fn t_isf(tail: f64, df: f64) -> Result<f64> {
    ensure!(tail > 0.0 && tail < 1.0, Error::param("tail", tail, "must be in (0, 1)"));
    Ok(student(df)?.inverse_cdf(1.0 - tail))
}

/// Upper tail P(χ²_df > x) as the regularised upper incomplete gamma Q(df/2, x/2) (A&S 26.4.19).
pub(crate) fn chi2_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    checked_gamma_ur(0.5 * df, 0.5 * x).unwrap_or(f64::NAN)
}

/// Upper tail with one degree of freedom, P(χ²₁ > x) = 2(1 − Φ(√x)) (A&S 26.4.4): the
/// normal form, accurate in the far tail, that the A/B tests' 1-df tests use.
pub(crate) fn chi2_1_sf(x: f64) -> f64 {
    two_sided_normal_p(x.max(0.0).sqrt())
}

/// Checks a confidence level and returns the two-sided normal critical value
/// z_{1−(1−level)/2} = `norm_isf((1 − level)/2)`.
///
/// # Errors
/// [`Error::InvalidParameter`] named `level` unless `level` is in (0, 1).
pub(crate) fn normal_critical(level: f64) -> Result<f64> {
    check_level(level)?;
    Ok(norm_isf((1.0 - level) / 2.0))
}

/// A confidence level must lie strictly between 0 and 1; the error names it `level`.
pub(crate) fn check_level(level: f64) -> Result<()> {
    ensure!(
        level.is_finite() && level > 0.0 && level < 1.0,
        Error::param("level", level, "confidence level must be strictly between 0 and 1 (e.g. 0.95)")
    );
    Ok(())
}

/// A significance level must lie strictly between 0 and 1; the error names it `alpha`.
pub(crate) fn check_alpha(alpha: f64) -> Result<()> {
    ensure!(
        alpha.is_finite() && alpha > 0.0 && alpha < 1.0,
        Error::param("alpha", alpha, "significance level must be in (0, 1)")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::{assert_abs_diff_eq, assert_relative_eq};

    // Reference values: scipy 1.17.1, printed by bench/stats_reference.py. statrs' erfc and
    // erfc⁻¹ agree with scipy to ~1e-10 relative, far below what a p-value or interval needs.

    #[test]
    fn normal_quantiles_and_tails_match_scipy() {
        assert_relative_eq!(norm_isf(0.025), 1.9599639845400545, max_relative = 1e-12);
        assert_relative_eq!(norm_isf(1e-10), 6.361340902404056, max_relative = 1e-10);
        assert_relative_eq!(two_sided_normal_p(-1.96), 0.04999579029644087, max_relative = 1e-9);
        // norm.sf(10) = 7.61985302416047e-24, which 1 − Φ(10) would round to 0.
        assert_relative_eq!(norm_sf(10.0), 7.61985302416047e-24, max_relative = 1e-9);
        assert_relative_eq!(norm_cdf(-10.0), 7.61985302416047e-24, max_relative = 1e-9);
        assert_abs_diff_eq!(norm_pdf(0.0), 0.3989422804014327, epsilon = 1e-16);
        assert_eq!(two_sided_normal_p(0.0), 1.0);
        assert!(two_sided_normal_p(f64::NAN).is_nan());
    }

    #[test]
    fn critical_value_keeps_its_precision_for_levels_near_one() {
        assert_relative_eq!(normal_critical(0.95).unwrap(), 1.9599639845400545, max_relative = 1e-12);
        assert_relative_eq!(normal_critical(0.90).unwrap(), 1.6448536269514729, max_relative = 1e-12);
        // norm.isf((1 − (1 − 1e-9))/2) = 6.10941020938345; the old Φ⁻¹(0.5 + level/2) gave 6.1094101917 (−2.9e-9 relative).
        assert_relative_eq!(normal_critical(1.0 - 1e-9).unwrap(), 6.10941020938345, max_relative = 1e-10);
    }

    #[test]
    fn chi_square_tails_match_closed_forms_and_scipy() {
        // P(χ²₂ > x) = e^{−x/2} exactly.
        assert_abs_diff_eq!(chi2_sf(3.0, 2.0), (-1.5f64).exp(), epsilon = 1e-14);
        assert_eq!(chi2_sf(0.0, 1.0), 1.0);
        assert_eq!(chi2_sf(f64::INFINITY, 3.0), 0.0);
        // chi2.isf(0.05, 1) = 3.8414588206941285: the gamma and the normal form agree at 1 df.
        assert_relative_eq!(chi2_sf(3.8414588206941285, 1.0), 0.05, max_relative = 1e-9);
        assert_relative_eq!(chi2_1_sf(3.8414588206941285), 0.05, max_relative = 1e-9);
    }

    #[test]
    fn student_t_matches_scipy() {
        assert_relative_eq!(two_sided_t_p(-2.0, 5.0).unwrap(), 0.10193947882985835, max_relative = 1e-9);
        assert_relative_eq!(t_isf(0.025, 5.0).unwrap(), 2.5705818356363155, max_relative = 1e-9);
    }

    #[test]
    fn invalid_levels_and_degrees_of_freedom_are_typed_errors() {
        for level in [0.0, 1.0, -0.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(normal_critical(level), Err(Error::InvalidParameter { name: "level", .. })));
        }
        for alpha in [0.0, 1.0, f64::NAN] {
            assert!(matches!(check_alpha(alpha), Err(Error::InvalidParameter { name: "alpha", .. })));
        }
        assert!(matches!(two_sided_t_p(1.0, 0.0), Err(Error::InvalidParameter { name: "degrees_of_freedom", .. })));
        assert!(matches!(t_isf(0.0, 5.0), Err(Error::InvalidParameter { name: "tail", .. })));
    }
}
