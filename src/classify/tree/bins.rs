//! Feature binning: each column is cut once into at most 255 bins, and the
//! training matrix is stored as one `u8` code column per feature.
//!
//! Cut points are upper bin edges placed between distinct values at quantile
//! positions (as LightGBM and scikit-learn's histogram estimators do), taken
//! from at most `sample` rows. A split "bin ≤ t" equals "x ≤ edge[t]" for any
//! value, seen in training or not, so fitted trees store raw thresholds and
//! predict on raw feature values without binning.
//!
//! Code 0 is reserved for missing values (`NaN`); value bins are 1..=255. A
//! split learns on which side missing values go.

use ndarray::ArrayView2;
use rand::SeedableRng;
use rand::seq::index::sample as sample_indices;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The code of a missing value.
pub(crate) const MISSING: u8 = 0;

/// Upper edges of the value bins of one feature; value bin `k` (code `k + 1`) holds
/// values in `(edges[k-1], edges[k]]`, the last one everything above the last edge.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BinEdges {
    pub(crate) edges: Vec<f64>,
}

impl BinEdges {
    /// Number of codes used, including the missing code 0.
    pub(crate) fn n_codes(&self) -> usize {
        self.edges.len() + 2
    }

    /// The code of `v` (0 for NaN).
    #[inline]
    pub(crate) fn code(&self, v: f64) -> u8 {
        if v.is_nan() { MISSING } else { self.edges.partition_point(|&e| e < v) as u8 + 1 }
    }

    /// Raw threshold equivalent to "code ≤ `c`" for a value code `c ≥ 1`.
    pub(crate) fn threshold(&self, c: usize) -> f64 {
        self.edges.get(c.saturating_sub(1)).copied().unwrap_or(f64::INFINITY)
    }

    /// Cut a column into at most `max_bins` value bins from its non-missing values.
    fn fit(values: &mut Vec<f64>, max_bins: usize) -> Self {
        values.retain(|v| !v.is_nan());
        values.sort_unstable_by(f64::total_cmp);
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for &v in values.iter() {
            match distinct.last_mut() {
                Some((last, count)) if *last == v => *count += 1,
                _ => distinct.push((v, 1)),
            }
        }
        let edges = if distinct.len() <= max_bins {
            distinct.windows(2).map(|w| midpoint(w[0].0, w[1].0)).collect()
        } else {
            // Walk the distinct values, closing a bin whenever it holds its share of rows.
            let n = values.len() as f64;
            let per_bin = n / max_bins as f64;
            let mut edges = Vec::with_capacity(max_bins - 1);
            let mut filled = 0.0;
            let mut target = per_bin;
            for w in distinct.windows(2) {
                filled += w[0].1 as f64;
                if filled >= target && edges.len() < max_bins - 1 {
                    edges.push(midpoint(w[0].0, w[1].0));
                    while target <= filled {
                        target += per_bin;
                    }
                }
            }
            edges
        };
        BinEdges { edges }
    }
}

/// Midpoint that lies strictly between `a < b` even when they are adjacent floats.
fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m > a && m < b { m } else { a }
}

/// A training matrix stored as bin codes, one column per feature.
#[derive(Clone, Debug)]
pub(crate) struct BinnedMatrix {
    /// Row-major copy of the codes (`n × p`), for histograms that read every
    /// feature of a row in one pass; empty unless asked for.
    pub(crate) row_major: Vec<u8>,
    pub(crate) edges: Vec<BinEdges>,
    /// `codes[f][r]`: bin of row `r` in feature `f`.
    pub(crate) codes: Vec<Vec<u8>>,
}

impl BinnedMatrix {
    /// Bin `x` (NaN = missing) with at most `max_bins` value bins per feature (2..=255),
    /// edges computed from at most `sample` rows drawn with `seed`.
    pub(crate) fn new(x: ArrayView2<'_, f64>, max_bins: usize, sample: usize, seed: u64) -> Self {
        let (n, p) = x.dim();
        let rows: Option<Vec<usize>> = (n > sample).then(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut idx = sample_indices(&mut rng, n, sample).into_vec();
            idx.sort_unstable();
            idx
        });
        let per_feature: Vec<(BinEdges, Vec<u8>)> = (0..p)
            .into_par_iter()
            .map(|f| {
                let col = x.column(f);
                let mut values: Vec<f64> = match &rows {
                    Some(rows) => rows.iter().map(|&r| col[r]).collect(),
                    None => col.to_vec(),
                };
                let edges = BinEdges::fit(&mut values, max_bins.clamp(2, 255));
                let codes = col.iter().map(|&v| edges.code(v)).collect();
                (edges, codes)
            })
            .collect();
        let (edges, codes) = per_feature.into_iter().unzip();
        BinnedMatrix { row_major: Vec::new(), edges, codes }
    }

    /// Also keep a row-major copy of the codes (used when every feature's histogram is built).
    pub(crate) fn with_row_major(mut self) -> Self {
        let p = self.codes.len();
        let n = self.codes.first().map_or(0, Vec::len);
        let mut rm = vec![0u8; n * p];
        rm.par_chunks_mut(p.max(1)).enumerate().for_each(|(r, row)| {
            for (f, c) in row.iter_mut().enumerate() {
                *c = self.codes[f][r];
            }
        });
        self.row_major = rm;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn few_distinct_values_get_one_bin_each_with_midpoint_edges() {
        let x = array![[1.0], [3.0], [3.0], [7.0]];
        let b = BinnedMatrix::new(x.view(), 255, 1000, 0);
        assert_eq!(b.edges[0].edges, vec![2.0, 5.0]);
        assert_eq!(b.codes[0], vec![1, 2, 2, 3]);
        // Unseen values fall where a raw threshold test would put them; NaN is code 0.
        assert_eq!(b.edges[0].code(2.0), 1);
        assert_eq!(b.edges[0].code(2.5), 2);
        assert_eq!(b.edges[0].code(100.0), 3);
        assert_eq!(b.edges[0].code(f64::NAN), MISSING);
        assert_eq!(b.edges[0].threshold(2), 5.0);
    }

    #[test]
    fn many_values_are_cut_into_equal_frequency_bins() {
        let x = ndarray::Array2::from_shape_fn((10_000, 1), |(i, _)| i as f64);
        let b = BinnedMatrix::new(x.view(), 16, 1_000_000, 0);
        assert_eq!(b.edges[0].n_codes(), 17);
        let mut counts = [0usize; 16];
        for &c in &b.codes[0] {
            counts[c as usize - 1] += 1;
        }
        for c in counts {
            assert!((600..=650).contains(&c), "bin counts {counts:?}");
        }
    }

    #[test]
    fn bin_le_t_is_the_same_as_value_le_threshold() {
        let x = ndarray::Array2::from_shape_fn((3_000, 1), |(i, _)| ((i * 7919) % 1013) as f64 / 7.0);
        let b = BinnedMatrix::new(x.view(), 32, 500, 9);
        for t in 1..b.edges[0].n_codes() {
            let thr = b.edges[0].threshold(t);
            for (r, &code) in b.codes[0].iter().enumerate() {
                assert_eq!(code as usize <= t, x[[r, 0]] <= thr, "row {r} bin {code} threshold {thr}");
            }
        }
    }

    #[test]
    fn a_constant_column_has_a_single_bin() {
        let x = array![[4.0, 1.0], [4.0, 2.0]];
        let b = BinnedMatrix::new(x.view(), 255, 10, 0);
        assert_eq!(b.edges[0].n_codes(), 2);
        assert_eq!(b.codes[0], vec![1, 1]);
    }

    #[test]
    fn missing_values_get_code_zero_and_do_not_shape_the_edges() {
        let x = array![[f64::NAN], [1.0], [f64::NAN], [3.0]];
        let b = BinnedMatrix::new(x.view(), 255, 10, 0);
        assert_eq!(b.edges[0].edges, vec![2.0]);
        assert_eq!(b.codes[0], vec![0, 1, 0, 2]);
    }
}
