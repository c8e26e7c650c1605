//! Shared pieces of the regression fits: finiteness checks, column
//! standardisation, and the collinearity screen that [`factors`](super::factors)
//! and [`survival`](super::survival) run before fitting. Their Wald inference
//! (normal and chi-square tail probabilities, critical values) comes from
//! `crate::stats`.

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{Error, Result, ensure};
use crate::linalg::{cholesky, cholesky_solve};

/// Residual variance share below which a standardised column counts as an exact
/// linear combination of earlier ones (R² > 1 − 1e-10; R's `lm` QR uses a
/// comparable 1e-7 tolerance on the column norm, i.e. 1e-14 on the variance).
pub(crate) const ALIAS_TOLERANCE: f64 = 1e-10;

/// A column whose coefficient times its range exceeds this moves the linear predictor
/// (log-odds, log-hazard) by more than 15 — a ratio above 3·10⁶ — across the data:
/// under separation / monotone likelihood the diverging columns are the ones that cross it.
pub(crate) const DIVERGENT_SPREAD: f64 = 15.0;

/// The settings `ChurnFactors` and `CoxPh` share: an L2 penalty ≥ 0, a confidence
/// level in (0, 1), at least one Newton iteration and a positive tolerance.
pub(crate) fn check_newton_settings(l2: f64, level: f64, max_iterations: usize, tolerance: f64) -> Result<()> {
    ensure!(l2.is_finite() && l2 >= 0.0, Error::param("l2", l2, "must be a finite number ≥ 0"));
    crate::stats::check_level(level)?;
    ensure!(max_iterations > 0, Error::param("max_iterations", max_iterations, "must be at least 1"));
    ensure!(
        tolerance.is_finite() && tolerance > 0.0,
        Error::param("tolerance", tolerance, "must be a positive number")
    );
    Ok(())
}

/// `max − min` of a column (0 for an empty one).
pub(crate) fn column_range(col: ndarray::ArrayView1<'_, f64>) -> f64 {
    if col.is_empty() {
        return 0.0;
    }
    col.fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - col.fold(f64::INFINITY, |m, &v| m.min(v))
}

/// Error naming the first non-finite value of `x`.
pub(crate) fn check_finite(x: ArrayView2<'_, f64>, names: &[String]) -> Result<()> {
    for ((row, col), &v) in x.indexed_iter() {
        if !v.is_finite() {
            let column = names.get(col).cloned().unwrap_or_else(|| format!("column {col}"));
            return Err(Error::NonFinite { column, row, value: v });
        }
    }
    Ok(())
}

/// Whether every value of a column is the same (a constant column carries no information).
pub(crate) fn is_constant(col: ndarray::ArrayView1<'_, f64>) -> bool {
    let first = col.iter().next().copied().unwrap_or(0.0);
    col.iter().all(|&v| v == first)
}

/// Column means and standard deviations (`ddof` = 0 or 1) of a design matrix.
#[derive(Clone, Debug)]
pub(crate) struct ColumnScale {
    pub(crate) means: Array1<f64>,
    pub(crate) sds: Array1<f64>,
}

impl ColumnScale {
    /// Means and standard deviations; a constant column (all values equal) is
    /// [`Error::ConstantColumn`] for `model`.
    pub(crate) fn of(x: ArrayView2<'_, f64>, names: &[String], ddof: usize, model: &'static str) -> Result<Self> {
        let n = x.nrows();
        ensure!(n > ddof, Error::EmptyData { context: format!("{model} needs more than {ddof} rows, got {n}") });
        let mut means = Array1::zeros(x.ncols());
        let mut sds = Array1::zeros(x.ncols());
        for (j, col) in x.columns().into_iter().enumerate() {
            let name = || names.get(j).cloned().unwrap_or_else(|| format!("column {j}"));
            ensure!(!is_constant(col), Error::ConstantColumn { model, column: name() });
            let mean = col.sum() / n as f64;
            let ss: f64 = col.iter().map(|v| (v - mean) * (v - mean)).sum();
            let sd = (ss / (n - ddof) as f64).sqrt();
            // Values that differ only in the last bits standardise to noise: treat as constant.
            ensure!(sd > 1e-12 * mean.abs().max(f64::MIN_POSITIVE), Error::ConstantColumn { model, column: name() });
            means[j] = mean;
            sds[j] = sd;
        }
        Ok(ColumnScale { means, sds })
    }

    /// `(x − mean) / sd`, column by column.
    pub(crate) fn standardise(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut z = x.to_owned();
        for (j, mut col) in z.columns_mut().into_iter().enumerate() {
            let (m, s) = (self.means[j], self.sds[j]);
            col.mapv_inplace(|v| (v - m) / s);
        }
        z
    }
}

/// Result of the collinearity screen.
#[derive(Clone, Debug)]
pub(crate) struct Aliasing {
    /// Columns that are not combinations of earlier kept columns, in order.
    pub(crate) kept: Vec<usize>,
    /// Redundant columns with the kept columns they are (numerically) a combination of.
    pub(crate) aliased: Vec<(usize, Vec<usize>)>,
    /// Variance inflation factor of each kept column (same order as `kept`).
    pub(crate) vif: Vec<f64>,
}

/// Walk the standardised columns in order and flag each one whose residual
/// variance, after regressing it on the earlier kept columns, is below
/// [`ALIAS_TOLERANCE`] (a sequential, unpivoted Cholesky of the correlation
/// matrix, as R's `lm` reports aliased coefficients in column order).
pub(crate) fn screen_collinearity(z: ArrayView2<'_, f64>) -> Aliasing {
    let (n, p) = z.dim();
    let corr = z.t().dot(&z) / n.max(1) as f64;
    let mut kept: Vec<usize> = Vec::new();
    let mut aliased = Vec::new();
    for j in 0..p {
        if kept.is_empty() {
            kept.push(j);
            continue;
        }
        let sub = corr.select(ndarray::Axis(0), &kept).select(ndarray::Axis(1), &kept);
        let rhs: Array1<f64> = kept.iter().map(|&k| corr[[k, j]]).collect();
        let Some(l) = cholesky(sub.view()) else {
            // The kept block is positive definite by construction; if rounding says
            // otherwise, keep the column and let the fit's own checks report it.
            kept.push(j);
            continue;
        };
        let coef = cholesky_solve(l.view(), rhs.view());
        let residual = corr[[j, j]] - rhs.dot(&coef);
        if residual < ALIAS_TOLERANCE * corr[[j, j]] {
            let largest = coef.iter().fold(0.0f64, |m, c| m.max(c.abs()));
            let involved =
                kept.iter().zip(coef.iter()).filter(|(_, c)| c.abs() > 1e-6 * largest).map(|(&k, _)| k).collect();
            aliased.push((j, involved));
        } else {
            kept.push(j);
        }
    }
    let vif = inverse_spd(corr.select(ndarray::Axis(0), &kept).select(ndarray::Axis(1), &kept).view())
        .map(|inv| inv.diag().to_vec())
        .unwrap_or_else(|| vec![f64::INFINITY; kept.len()]);
    Aliasing { kept, aliased, vif }
}

/// Inverse of a symmetric positive-definite matrix via Cholesky, or `None` if it is not.
pub(crate) fn inverse_spd(a: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let l = cholesky(a)?;
    let mut inv = Array2::zeros((n, n));
    let mut e = Array1::zeros(n);
    for j in 0..n {
        e.fill(0.0);
        e[j] = 1.0;
        inv.column_mut(j).assign(&cholesky_solve(l.view(), e.view()));
    }
    // Symmetrise away rounding so variances and covariances agree exactly.
    let sym = (&inv + &inv.t()) * 0.5;
    Some(sym)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn screen_flags_a_duplicate_column_and_names_its_twin() {
        let x = array![[1.0, 2.0, 1.0, 0.5], [2.0, 1.0, 2.0, 0.1], [3.0, 5.0, 3.0, 0.7], [4.0, 3.0, 4.0, 0.2]];
        let names: Vec<String> = ["a", "b", "a_copy", "c"].iter().map(|s| s.to_string()).collect();
        let scale = ColumnScale::of(x.view(), &names, 0, "test").unwrap();
        let z = scale.standardise(x.view());
        let screen = screen_collinearity(z.view());
        assert_eq!(screen.kept, vec![0, 1, 3]);
        assert_eq!(screen.aliased, vec![(2, vec![0])]);
        assert!(screen.vif.iter().all(|v| *v >= 1.0));
    }

    #[test]
    fn constant_column_is_a_typed_error() {
        let x = array![[1.0, 7.0], [2.0, 7.0]];
        let names = vec!["a".to_string(), "flat".to_string()];
        let err = ColumnScale::of(x.view(), &names, 0, "test").unwrap_err();
        assert!(matches!(err, Error::ConstantColumn { ref column, .. } if column == "flat"), "{err}");
    }
}
