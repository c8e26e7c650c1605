//! Small dense linear algebra for Newton-type fits.
//!
//! The systems solved here are `p × p` with `p` the number of features (tens
//! to a few hundred), so a plain Cholesky factorisation is fast enough and
//! avoids a BLAS/LAPACK system dependency (ndarray-linalg needs one).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Lower-triangular Cholesky factor `L` of a symmetric positive-definite `a`
/// (`a = L Lᵀ`), or `None` if `a` is not numerically positive definite.
pub(crate) fn cholesky(a: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    if a.ncols() != n {
        return None;
    }
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        // Also catches NaN: a NaN pivot is neither finite nor positive.
        if d.is_nan() || d <= 0.0 || d.is_infinite() {
            return None;
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in (j + 1)..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Some(l)
}

/// Solve `L Lᵀ x = b` given the Cholesky factor `L`.
pub(crate) fn cholesky_solve(l: ArrayView2<'_, f64>, b: ArrayView1<'_, f64>) -> Array1<f64> {
    let n = l.nrows();
    let mut y = Array1::<f64>::zeros(n);
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[[i, k]] * y[k];
        }
        y[i] = s / l[[i, i]];
    }
    let mut x = Array1::<f64>::zeros(n);
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in (i + 1)..n {
            s -= l[[k, i]] * x[k];
        }
        x[i] = s / l[[i, i]];
    }
    x
}

/// Factorise `a`, adding a growing multiple of the identity if it is only
/// semi-definite (e.g. a constant or duplicated column). Returns the factor and
/// the jitter used.
pub(crate) fn cholesky_with_jitter(a: ArrayView2<'_, f64>) -> Option<(Array2<f64>, f64)> {
    if let Some(l) = cholesky(a) {
        return Some((l, 0.0));
    }
    let n = a.nrows().max(1);
    let mean_diag = (0..a.nrows()).map(|i| a[[i, i]].abs()).sum::<f64>() / n as f64;
    let mut jitter = 1e-10 * mean_diag.max(1e-12);
    for _ in 0..12 {
        let mut b = a.to_owned();
        for i in 0..a.nrows() {
            b[[i, i]] += jitter;
        }
        if let Some(l) = cholesky(b.view()) {
            return Some((l, jitter));
        }
        jitter *= 10.0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn solves_a_hand_checked_system() {
        // a = [[4,2],[2,3]], b = [2,1] → x = [0.5, 0] (4·0.5 + 2·0 = 2, 2·0.5 + 3·0 = 1).
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let l = cholesky(a.view()).unwrap();
        assert_abs_diff_eq!(l[[0, 0]], 2.0, epsilon = 1e-15);
        assert_abs_diff_eq!(l[[1, 0]], 1.0, epsilon = 1e-15);
        assert_abs_diff_eq!(l[[1, 1]], 2.0f64.sqrt(), epsilon = 1e-15);
        let x = cholesky_solve(l.view(), array![2.0, 1.0].view());
        assert_abs_diff_eq!(x[0], 0.5, epsilon = 1e-14);
        assert_abs_diff_eq!(x[1], 0.0, epsilon = 1e-14);
    }

    #[test]
    fn refuses_indefinite_and_jitters_semidefinite() {
        assert!(cholesky(array![[1.0, 2.0], [2.0, 1.0]].view()).is_none());
        let singular = array![[1.0, 1.0], [1.0, 1.0]];
        assert!(cholesky(singular.view()).is_none());
        let (_, jitter) = cholesky_with_jitter(singular.view()).unwrap();
        assert!(jitter > 0.0 && jitter < 1e-3);
    }
}
