//! Lloyd's k-means with greedy k-means++ seeding, and the silhouette score.
//!
//! Works on a finite, already scaled design matrix (rows = customers). The
//! [`Segmenter`](super::Segmenter) wraps it with column selection and scaling.
//!
//! Determinism: every initialisation draws from its own ChaCha8 stream seeded
//! from `(seed, init index)`, and the assignment step sums per-chunk partial
//! results of a fixed chunk size in chunk order, so the result is bit-identical
//! for a seed whatever the number of rayon threads.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng, seq::index::sample};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};

/// Rows per parallel work unit; fixed so partial sums combine in the same order on any machine.
const CHUNK: usize = 4096;

/// Settings of a k-means run (checked by [`KMeansParams::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    /// Number of clusters (≥ 1).
    pub k: usize,
    /// Independent k-means++ initialisations; the run with the lowest inertia is kept.
    pub n_init: usize,
    /// Maximum Lloyd iterations per initialisation.
    pub max_iter: usize,
    /// Convergence tolerance, relative to the mean per-column variance of the data
    /// (as scikit-learn's `tol`): stop when the total squared centre shift is below it.
    pub tol: f64,
    /// Seed of the initialisations.
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams { k: 4, n_init: 10, max_iter: 300, tol: 1e-4, seed: 42 }
    }
}

impl KMeansParams {
    /// Check the settings: `k ≥ 1`, `n_init ≥ 1`, `max_iter ≥ 1`, `tol` finite and ≥ 0.
    pub fn check(&self) -> Result<()> {
        ensure!(self.k >= 1, Error::param("k", self.k, "need at least one cluster"));
        ensure!(self.n_init >= 1, Error::param("n_init", self.n_init, "need at least one initialisation"));
        ensure!(self.max_iter >= 1, Error::param("max_iter", self.max_iter, "need at least one iteration"));
        ensure!(self.tol.is_finite() && self.tol >= 0.0, Error::param("tol", self.tol, "must be finite and ≥ 0"));
        Ok(())
    }
}

/// The result of [`kmeans`]: centres, assignments and fit statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeansFit {
    /// Cluster centres, k × columns.
    pub centroids: Array2<f64>,
    /// Cluster of each row.
    pub labels: Vec<usize>,
    /// Sum of squared distances of rows to their centre (of the best initialisation).
    pub inertia: f64,
    /// Lloyd iterations of the best initialisation.
    pub iterations: usize,
}

/// Check that `x` is non-empty and finite, and that it has at least `k` distinct rows.
fn check_data(x: ArrayView2<'_, f64>, k: usize) -> Result<()> {
    ensure!(x.nrows() > 0 && x.ncols() > 0, Error::EmptyData { context: "k-means on an empty matrix".into() });
    for ((row, col), &v) in x.indexed_iter() {
        ensure!(v.is_finite(), Error::NonFinite { column: format!("column {col}"), row, value: v });
    }
    ensure!(k <= x.nrows(), Error::TooFewPoints { what: "rows", found: x.nrows(), k });
    // Fewer distinct rows than k would leave clusters that can never be filled.
    let mut distinct = 1usize;
    let first = x.row(0);
    if k > 1 {
        let mut rows: Vec<ArrayView1<'_, f64>> = Vec::new();
        rows.push(first);
        for r in x.outer_iter() {
            if rows.iter().all(|s| *s != r) {
                rows.push(r);
                distinct += 1;
                if distinct >= k {
                    break;
                }
            }
        }
        ensure!(distinct >= k, Error::TooFewPoints { what: "distinct rows", found: distinct, k });
    }
    Ok(())
}

#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Index and squared distance of the nearest centre (`centroids` flat, `d` per row) to `row`.
#[inline]
fn nearest(row: &[f64], centroids: &[f64], d: usize) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centroids.chunks_exact(d).enumerate() {
        let dist = sq_dist(row, centre);
        if dist < best.1 {
            best = (c, dist);
        }
    }
    best
}

/// A row-major matrix as one slice, `d` values per row.
#[derive(Clone, Copy)]
struct Rows<'a> {
    data: &'a [f64],
    d: usize,
}

impl<'a> Rows<'a> {
    fn n(&self) -> usize {
        self.data.len() / self.d
    }

    fn row(&self, i: usize) -> &'a [f64] {
        self.data.get(i * self.d..(i + 1) * self.d).unwrap_or(&[])
    }

    /// Rows of chunk `ci` (of `CHUNK` rows each).
    fn chunk(&self, ci: usize) -> std::slice::ChunksExact<'a, f64> {
        let lo = (ci * CHUNK * self.d).min(self.data.len());
        let hi = ((ci + 1) * CHUNK * self.d).min(self.data.len());
        self.data.get(lo..hi).unwrap_or(&[]).chunks_exact(self.d)
    }
}

/// Squared distance of each row to the nearest of `centroids` (parallel over rows, order-preserving).
fn min_sq_dists(x: Rows<'_>, centroids: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.n()];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, chunk)| {
        for (o, row) in chunk.iter_mut().zip(x.chunk(ci)) {
            *o = nearest(row, centroids, x.d).1;
        }
    });
    out
}

/// Draw an index with probability proportional to `weights` (all ≥ 0, positive total).
fn draw_weighted(weights: &[f64], total: f64, rng: &mut ChaCha8Rng) -> usize {
    let target = rng.r#gen::<f64>() * total;
    let mut acc = 0.0;
    for (i, &w) in weights.iter().enumerate() {
        acc += w;
        if acc > target && w > 0.0 {
            return i;
        }
    }
    // Rounding left the target past the running sum: take the last row with weight.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's
/// `2 + ln k` local trials per centre, keeping the trial that lowers the potential most).
/// Returns the centres flat (k × d).
fn kmeans_plus_plus(x: Rows<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let n = x.n();
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centroids = Vec::with_capacity(k * x.d);
    centroids.extend_from_slice(x.row(rng.gen_range(0..n)));
    let mut closest = min_sq_dists(x, &centroids);
    let mut next = vec![0.0; n];
    let mut best_next = vec![0.0; n];
    for _ in 1..k {
        let total: f64 = closest.iter().sum();
        if total <= 0.0 {
            // All rows coincide with chosen centres (excluded by check_data): take any row.
            centroids.extend_from_slice(x.row(rng.gen_range(0..n)));
            continue;
        }
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..trials {
            let cand = draw_weighted(&closest, total, rng);
            let cand_row = x.row(cand);
            next.par_chunks_mut(CHUNK).zip(closest.par_chunks(CHUNK)).enumerate().for_each(|(ci, (out, old))| {
                for ((o, &prev), row) in out.iter_mut().zip(old).zip(x.chunk(ci)) {
                    *o = prev.min(sq_dist(row, cand_row));
                }
            });
            let potential: f64 = next.iter().sum();
            if best.is_none_or(|(p, _)| potential < p) {
                best = Some((potential, cand));
                std::mem::swap(&mut next, &mut best_next);
            }
        }
        if let Some((_, cand)) = best {
            centroids.extend_from_slice(x.row(cand));
            std::mem::swap(&mut closest, &mut best_next);
        }
    }
    centroids
}

/// One Lloyd run from flat `centroids`; returns (centroids, labels, inertia, iterations).
fn lloyd(x: Rows<'_>, mut centroids: Vec<f64>, max_iter: usize, tol: f64) -> (Vec<f64>, Vec<usize>, f64, usize) {
    let (n, d) = (x.n(), x.d);
    let k = centroids.len() / d;
    let mut labels = vec![0usize; n];
    let mut iterations = 0;
    for it in 0..max_iter {
        iterations = it + 1;
        // Assignment + partial sums per chunk; chunks are reduced in order for determinism.
        let partials: Vec<(Vec<f64>, Vec<usize>, usize)> = labels
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(ci, chunk)| {
                let mut sums = vec![0.0; k * d];
                let mut counts = vec![0usize; k];
                let mut changed = 0;
                for (label, row) in chunk.iter_mut().zip(x.chunk(ci)) {
                    let (c, _) = nearest(row, &centroids, d);
                    changed += usize::from(*label != c);
                    *label = c;
                    if let Some(n) = counts.get_mut(c) {
                        *n += 1;
                    }
                    if let Some(sum) = sums.get_mut(c * d..(c + 1) * d) {
                        sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
                    }
                }
                (sums, counts, changed)
            })
            .collect();
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        let mut changed = 0;
        for (s, c, ch) in &partials {
            sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
            counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
            changed += ch;
        }
        for (centre, &count) in sums.chunks_exact_mut(d).zip(&counts) {
            if count > 0 {
                centre.iter_mut().for_each(|v| *v /= count as f64);
            }
        }
        relocate_empty(x, &labels, &counts, &mut sums);
        let shift: f64 = sq_dist(&sums, &centroids);
        centroids = sums;
        // Labels unchanged after the first pass means the centres are a fixed point.
        if (it > 0 && changed == 0) || shift <= tol {
            break;
        }
    }
    // Final assignment against the final centres, so labels and inertia agree with them.
    let mut dists = vec![0.0; n];
    labels.par_chunks_mut(CHUNK).zip(dists.par_chunks_mut(CHUNK)).enumerate().for_each(|(ci, (ls, ds))| {
        for ((l, dist), row) in ls.iter_mut().zip(ds.iter_mut()).zip(x.chunk(ci)) {
            (*l, *dist) = nearest(row, &centroids, d);
        }
    });
    let inertia = dists.chunks(CHUNK).map(|c| c.iter().sum::<f64>()).sum();
    (centroids, labels, inertia, iterations)
}

/// Move the centre of each empty cluster onto the row farthest from its own centre
/// (scikit-learn's strategy), so no cluster is lost. `centroids` is flat (k × d).
fn relocate_empty(x: Rows<'_>, labels: &[usize], counts: &[usize], centroids: &mut [f64]) {
    if counts.iter().all(|&c| c > 0) {
        return;
    }
    let d = x.d;
    let mut far: Vec<(f64, usize)> = labels
        .iter()
        .enumerate()
        .map(|(i, &c)| (sq_dist(x.row(i), centroids.get(c * d..(c + 1) * d).unwrap_or(&[])), i))
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut far = far.into_iter();
    for (c, _) in counts.iter().enumerate().filter(|&(_, &n)| n == 0) {
        if let (Some((_, i)), Some(centre)) = (far.next(), centroids.get_mut(c * d..(c + 1) * d)) {
            centre.copy_from_slice(x.row(i));
        }
    }
}

/// Fit k-means on a finite matrix (rows = observations).
///
/// Runs `n_init` greedy k-means++ initialisations followed by Lloyd iterations
/// (Lloyd 1982) and keeps the run with the lowest inertia (ties: the earliest).
///
/// ```
/// use churnguard::cluster::{KMeansParams, kmeans};
/// let x = ndarray::array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let fit = kmeans(x.view(), &KMeansParams { k: 2, ..KMeansParams::default() })?;
/// assert_eq!(fit.labels[0], fit.labels[1]);
/// assert_ne!(fit.labels[0], fit.labels[2]);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for invalid settings, [`Error::EmptyData`] for an
/// empty matrix, [`Error::NonFinite`] for NaN/∞, [`Error::TooFewPoints`] when there
/// are fewer rows (or distinct rows) than `k`.
pub fn kmeans(x: ArrayView2<'_, f64>, params: &KMeansParams) -> Result<KMeansFit> {
    params.check()?;
    check_data(x, params.k)?;
    // scikit-learn scales tol by the mean per-column variance, so it is unit-free.
    let mean_var = x.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
    let tol = params.tol * mean_var;
    let standard = x.as_standard_layout();
    let rows = Rows { data: standard.as_slice().unwrap_or(&[]), d: x.ncols() };
    // Initialisations run one after another; each is parallel inside (rows), which
    // keeps memory at one copy of the per-row buffers.
    let mut best: Option<(Vec<f64>, Vec<usize>, f64, usize)> = None;
    for init in 0..params.n_init {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(init as u64);
        let start = kmeans_plus_plus(rows, params.k, &mut rng);
        let run = lloyd(rows, start, params.max_iter, tol);
        if best.as_ref().is_none_or(|b| run.2 < b.2) {
            best = Some(run);
        }
    }
    let (centroids, labels, inertia, iterations) =
        best.ok_or_else(|| Error::param("n_init", params.n_init, "need at least one initialisation"))?;
    let centroids = Array2::from_shape_vec((params.k, x.ncols()), centroids)
        .map_err(|e| Error::FitFailed { model: "k-means", message: e.to_string() })?;
    Ok(KMeansFit { centroids, labels, inertia, iterations })
}

/// Assign each row of `x` to its nearest centre.
pub(crate) fn assign(x: ArrayView2<'_, f64>, centroids: ArrayView2<'_, f64>) -> Vec<usize> {
    let c = centroids.as_standard_layout();
    let c = c.as_slice().unwrap_or(&[]);
    let d = x.ncols().max(1);
    (0..x.nrows())
        .into_par_iter()
        .map(|i| {
            let row: Vec<f64> = x.row(i).to_vec();
            nearest(&row, c, d).0
        })
        .collect()
}

/// Mean silhouette coefficient (Rousseeuw 1987, eq. 11: s = (b − a) / max(a, b)) of
/// a clustering, over all rows or, when `sample_size` is smaller than the number of
/// rows, over a seeded random sample of rows (distances within the sample, as
/// scikit-learn's `silhouette_score(sample_size=…)`). A row alone in its cluster scores 0.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `labels` and rows differ, [`Error::EmptyData`] for no rows,
/// [`Error::TooFewGroups`] when fewer than two clusters occur (in the sample),
/// [`Error::InvalidParameter`] for a sample size below 2.
pub fn silhouette(x: ArrayView2<'_, f64>, labels: &[usize], sample_size: usize, seed: u64) -> Result<f64> {
    ensure!(
        labels.len() == x.nrows(),
        Error::ShapeMismatch { what: "labels vs rows", expected: x.nrows(), found: labels.len() }
    );
    ensure!(x.nrows() > 0, Error::EmptyData { context: "silhouette of no rows".into() });
    ensure!(sample_size >= 2, Error::param("sample_size", sample_size, "need at least 2 rows"));
    let rows: Vec<usize> = if sample_size < x.nrows() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut r = sample(&mut rng, x.nrows(), sample_size).into_vec();
        r.sort_unstable();
        r
    } else {
        (0..x.nrows()).collect()
    };
    let k = rows.iter().filter_map(|&r| labels.get(r)).copied().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    for &r in &rows {
        if let Some(&l) = labels.get(r) {
            sizes[l] += 1;
        }
    }
    let present = sizes.iter().filter(|&&s| s > 0).count();
    ensure!(present >= 2, Error::TooFewGroups { found: present });
    let standard = x.as_standard_layout();
    let flat = Rows { data: standard.as_slice().unwrap_or(&[]), d: x.ncols().max(1) };
    let scores: Vec<f64> = rows
        .par_iter()
        .map(|&i| {
            let li = labels[i];
            let mut sum = vec![0.0; k];
            for &j in &rows {
                if j != i {
                    sum[labels[j]] += sq_dist(flat.row(i), flat.row(j)).sqrt();
                }
            }
            if sizes[li] <= 1 {
                return 0.0;
            }
            let a = sum[li] / (sizes[li] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != li && sizes[c] > 0)
                .map(|c| sum[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .collect();
    Ok(scores.iter().sum::<f64>() / scores.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn draw_weighted_skips_zero_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let i = draw_weighted(&[0.0, 1.0, 0.0, 3.0], 4.0, &mut rng);
            assert!(i == 1 || i == 3);
        }
    }

    #[test]
    fn relocate_empty_moves_centre_to_farthest_row() {
        let x = [0.0, 1.0, 10.0];
        let mut c = [0.5, 100.0];
        relocate_empty(Rows { data: &x, d: 1 }, &[0, 0, 0], &[3, 0], &mut c);
        assert_eq!(c[1], 10.0);
    }
}
