//! Uplift metrics against scikit-uplift 0.5.1 (`python3 bench/uplift_reference.py`).
//!
//! n = 60 customers drawn from numpy's default_rng(11); scores rounded to one decimal, so
//! there are ties (including −0.0 and 0.0, which numpy treats as equal).

use approx::assert_relative_eq;
use churnguard::eval::uplift::{TopK, auuc, qini_coefficient, qini_curve, uplift_at_k, uplift_curve};

const Y: &str = "110111111011000010011100001011101011010101100101101100000101";
const T: &str = "110110110010011000000101101001111011010111110011101011001111";
const S: [f64; 60] = [
    -0.3, 0.8, -0.4, -0.0, 0.3, -0.9, 0.6, -0.1, 0.5, -0.5, 1.1, 0.6, -0.2, 0.6, 1.3, 1.8, -1.6, 0.9, 0.5, -0.1, -1.0,
    1.3, -1.3, 0.6, 1.3, -1.6, -0.3, -1.3, 0.2, 1.5, 2.0, -1.8, -0.6, 0.7, 1.6, 0.4, -0.7, 0.3, -0.0, -0.2, -0.7, 0.4,
    0.3, -0.1, -0.2, -1.3, -0.5, 1.2, -0.2, -1.4, 1.3, 0.5, 2.1, 0.1, -0.5, -1.4, 1.3, 2.6, -0.8, -0.6,
];

fn bits(s: &str) -> Vec<bool> {
    s.chars().map(|c| c == '1').collect()
}

#[test]
fn qini_coefficient_matches_scikit_uplift() {
    let (y, t) = (bits(Y), bits(T));
    assert_relative_eq!(qini_coefficient(&y, &S, &t, true).unwrap(), 0.15133707369631375, max_relative = 1e-12);
    assert_relative_eq!(qini_coefficient(&y, &S, &t, false).unwrap(), 0.43819217833594554, max_relative = 1e-12);
}

#[test]
fn auuc_matches_scikit_uplift() {
    assert_relative_eq!(auuc(&bits(Y), &S, &bits(T)).unwrap(), 0.07268646526107447, max_relative = 1e-12);
}

#[test]
fn uplift_at_k_matches_scikit_uplift() {
    let (y, t) = (bits(Y), bits(T));
    assert_relative_eq!(uplift_at_k(&y, &S, &t, 0.3, TopK::Overall).unwrap(), 0.6, max_relative = 1e-12);
    assert_relative_eq!(
        uplift_at_k(&y, &S, &t, 0.3, TopK::ByGroup).unwrap(),
        0.17142857142857143,
        max_relative = 1e-12
    );
}

#[test]
fn curves_match_scikit_uplift() {
    let (y, t) = (bits(Y), bits(T));
    let q = qini_curve(&y, &S, &t).unwrap();
    assert_eq!(&q.targeted[..6], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(&q.value[..6], &[0.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
    let u = uplift_curve(&y, &S, &t).unwrap();
    assert_eq!(u.targeted.last(), Some(&60.0));
    assert_relative_eq!(*u.value.last().unwrap(), 17.82857142857143, max_relative = 1e-12);
    assert_relative_eq!(u.area(), 599.6768558208188, max_relative = 1e-12);
}
