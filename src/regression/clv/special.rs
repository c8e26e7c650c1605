//! Special functions the CLV models need beyond `statrs`: the Gauss
//! hypergeometric function ₂F₁ by its power series, computed on a log scale
//! so that the huge intermediate terms of high-frequency customers do not overflow.

use crate::error::{Error, Result};

/// Largest number of series terms before ₂F₁ reports non-convergence.
const MAX_TERMS: u64 = 2_000_000;
/// Relative accuracy at which the series stops.
const RELATIVE_TOLERANCE: f64 = 1e-15;
/// Terms and partial sums are rescaled by this factor when they grow past its inverse.
const RESCALE: f64 = 1e-200;

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for `0 <= z < 1`.
///
/// Summed term by term, ₂F₁ = Σₖ (a)ₖ(b)ₖ / ((c)ₖ k!) zᵏ (Abramowitz & Stegun
/// 15.1.1), until the geometric bound on the remaining tail falls below
/// 1e-15 of the sum. Errors: [`Error::InvalidParameter`] for a non-finite
/// argument, `z` outside `[0, 1)` or `c` a non-positive integer (where the
/// series is undefined); [`Error::NotConverged`] if two million terms do not
/// suffice (z extremely close to 1), or if the value overflows `f64`.
///
/// ```
/// use churnguard::regression::clv::hyp2f1;
/// // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z (A&S 15.1.3).
/// let z = 0.5_f64;
/// assert!((hyp2f1(1.0, 1.0, 2.0, z)? - (-(1.0 - z).ln() / z)).abs() < 1e-14);
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    let (sign, ln_abs) = ln_hyp2f1(a, b, c, z)?;
    let value = sign * ln_abs.exp();
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotConverged {
            what: "hypergeometric series 2F1",
            iterations: 0,
            detail: format!("2F1({a}, {b}; {c}; {z}) overflows f64 (ln|value| = {ln_abs})"),
        })
    }
}

/// ₂F₁(a, b; c; z) as `(sign, ln|value|)`, for `0 <= z < 1`; see [`hyp2f1`].
/// A zero value is returned as `(0.0, -inf)`.
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<(f64, f64)> {
    for (name, v) in [("a", a), ("b", b), ("c", c), ("z", z)] {
        crate::error::ensure!(v.is_finite(), Error::param(name, v, "2F1 arguments must be finite"));
    }
    crate::error::ensure!((0.0..1.0).contains(&z), Error::param("z", z, "the 2F1 series needs 0 <= z < 1"));
    crate::error::ensure!(
        !(c <= 0.0 && c.fract() == 0.0),
        Error::param("c", c, "2F1 is undefined when c is zero or a negative integer")
    );
    let mut sum = 1.0_f64;
    let mut term = 1.0_f64;
    let mut ln_scale = 0.0_f64;
    let mut k = 0.0_f64;
    for n in 0..MAX_TERMS {
        // A&S 15.1.1: ratio of consecutive terms.
        let ratio = (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        term *= ratio;
        sum += term;
        k += 1.0;
        if term == 0.0 {
            return Ok(signed_ln(sum, ln_scale));
        }
        if sum.abs() > 1.0 / RESCALE || term.abs() > 1.0 / RESCALE {
            sum *= RESCALE;
            term *= RESCALE;
            ln_scale -= RESCALE.ln();
        }
        // Bound the tail by a geometric series with the larger of the current ratio and its limit z:
        // past the largest term, ratios move monotonically towards z.
        let next = ((a + k) * (b + k) / ((c + k) * (k + 1.0)) * z).abs();
        let q = next.max(z);
        if n > 0 && next < 1.0 && q < 1.0 && term.abs() * q / (1.0 - q) <= RELATIVE_TOLERANCE * sum.abs() {
            return Ok(signed_ln(sum, ln_scale));
        }
    }
    Err(Error::NotConverged {
        what: "hypergeometric series 2F1",
        iterations: MAX_TERMS,
        detail: format!("2F1({a}, {b}; {c}; {z}): last term {term:e}, partial sum {sum:e} (× e^{ln_scale})"),
    })
}

fn signed_ln(sum: f64, ln_scale: f64) -> (f64, f64) {
    if sum == 0.0 { (0.0, f64::NEG_INFINITY) } else { (sum.signum(), sum.abs().ln() + ln_scale) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn matches_closed_forms() {
        // A&S 15.1.3 and 15.1.8: 2F1(1,1;2;z) = -ln(1-z)/z, 2F1(a,b;b;z) = (1-z)^-a.
        for z in [0.0, 0.1, 0.5, 0.9, 0.99] {
            let expected = if z == 0.0 { 1.0 } else { -(1.0_f64 - z).ln() / z };
            assert_relative_eq!(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), expected, max_relative = 1e-13);
            assert_relative_eq!(hyp2f1(2.5, 3.0, 3.0, z).unwrap(), (1.0 - z).powf(-2.5), max_relative = 1e-13);
        }
    }

    #[test]
    fn handles_negative_c_and_huge_terms() {
        // 2F1(a,b;b;z) = (1-z)^-a holds for negative non-integer b = c as well (A&S 15.1.8).
        assert_relative_eq!(hyp2f1(0.7, -0.4, -0.4, 0.6).unwrap(), 0.4_f64.powf(-0.7), max_relative = 1e-13);
        // ln form of (1-z)^-a for a = 2000: the value itself overflows, its log does not.
        let (sign, ln_value) = ln_hyp2f1(2000.0, 5.0, 5.0, 0.9).unwrap();
        assert_eq!(sign, 1.0);
        assert_relative_eq!(ln_value, -2000.0 * 0.1_f64.ln(), max_relative = 1e-12);
    }

    #[test]
    fn rejects_arguments_outside_the_series_domain() {
        assert!(matches!(hyp2f1(1.0, 1.0, 2.0, 1.0), Err(Error::InvalidParameter { name: "z", .. })));
        assert!(matches!(hyp2f1(1.0, 1.0, -2.0, 0.5), Err(Error::InvalidParameter { name: "c", .. })));
        assert!(matches!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5), Err(Error::InvalidParameter { name: "a", .. })));
    }
}
