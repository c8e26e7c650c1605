//! The tree core shared by [`DecisionTree`](super::DecisionTree),
//! [`RandomForest`](super::RandomForest) and
//! [`GradientBoosting`](super::GradientBoosting): binning, growing, the fitted
//! tree and its exact SHAP attributions.
//!
//! Why our own trees: linfa-trees and linfa-ensemble 0.8 predict class labels
//! only, so they cannot rank customers by risk, and have no boosting. This core
//! is histogram based (features binned once into ≤ 255 bins, `u8` codes,
//! column-major), handles missing values natively, and is parallel with rayon
//! while giving the same trees for any number of threads.

pub(crate) mod bins;
pub(crate) mod grow;
mod shap;

use ndarray::{Array1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub(crate) use self::shap::{expected_value, tree_shap};

/// One node of a fitted tree. A leaf has `left == 0` (the root is never a child).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Node {
    /// Split feature (internal nodes).
    pub(crate) feature: u32,
    /// Rows with `x[feature] <= threshold` go left.
    pub(crate) threshold: f64,
    /// Left child index, 0 for a leaf.
    pub(crate) left: u32,
    /// Right child index.
    pub(crate) right: u32,
    /// Where missing values go.
    pub(crate) default_left: bool,
    /// Leaf value (also kept on internal nodes for diagnostics).
    pub(crate) value: f64,
    /// Training weight (classification) or hessian (boosting) reaching the node.
    pub(crate) cover: f64,
    /// Split gain (internal nodes).
    pub(crate) gain: f64,
}

impl Node {
    pub(crate) fn leaf(value: f64, cover: f64) -> Self {
        Node { feature: 0, threshold: 0.0, left: 0, right: 0, default_left: true, value, cover, gain: 0.0 }
    }

    #[inline]
    pub(crate) fn is_leaf(&self) -> bool {
        self.left == 0
    }

    /// The child a value goes to.
    #[inline]
    pub(crate) fn child(&self, v: f64) -> usize {
        let left = if v.is_nan() { self.default_left } else { v <= self.threshold };
        if left { self.left as usize } else { self.right as usize }
    }
}

/// A fitted tree: nodes in creation order, root first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
}

impl Tree {
    /// The leaf value for one row of raw feature values.
    #[inline]
    pub(crate) fn predict_row(&self, x: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            let n = &self.nodes[i];
            if n.is_leaf() {
                return n.value;
            }
            i = n.child(x[n.feature as usize]);
        }
    }

    /// Multiply every value by `factor` (boosting's learning rate).
    pub(crate) fn scale(&mut self, factor: f64) {
        for n in &mut self.nodes {
            n.value *= factor;
        }
    }

    /// Add each internal node's gain to its feature's total.
    pub(crate) fn add_gains(&self, totals: &mut [f64]) {
        for n in self.nodes.iter().filter(|n| !n.is_leaf()) {
            if let Some(t) = totals.get_mut(n.feature as usize) {
                *t += n.gain;
            }
        }
    }

    /// Structural check for trees read from a file: children side by side, in range and after
    /// their parent, features in range, values finite.
    pub(crate) fn validate(&self, n_features: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if !n.value.is_finite() || !n.cover.is_finite() {
                return Err(format!("node {i} has a non-finite value"));
            }
            if !n.is_leaf() {
                let (l, r) = (n.left as usize, n.right as usize);
                if l <= i || r != l + 1 || r >= self.nodes.len() {
                    return Err(format!("node {i} has children out of order or range"));
                }
                if n.feature as usize >= n_features || n.threshold.is_nan() {
                    return Err(format!("node {i} splits on an invalid feature or threshold"));
                }
            }
        }
        Ok(())
    }

    /// Depth of the deepest leaf (root = 0).
    pub(crate) fn depth(&self) -> usize {
        fn walk(t: &Tree, i: usize) -> usize {
            let n = &t.nodes[i];
            if n.is_leaf() { 0 } else { 1 + walk(t, n.left as usize).max(walk(t, n.right as usize)) }
        }
        walk(self, 0)
    }
}

/// A 16-byte node for prediction: children are stored side by side (right = left + 1), so
/// one index suffices. A leaf points to itself with threshold +∞ and "missing goes left",
/// so once a row reaches a leaf every further step keeps it there.
#[derive(Clone, Copy, Debug)]
struct FlatNode {
    threshold: f64,
    /// Split feature, with the top bit set when missing values go left.
    feature: u32,
    /// Left child index (right child = left + 1); the node itself for a leaf.
    left: u32,
}

const MISSING_LEFT: u32 = 1 << 31;

/// All trees' nodes in one array for cache-friendly, branch-free prediction.
struct FlatForest {
    nodes: Vec<FlatNode>,
    values: Vec<f64>,
    /// Root index and depth of each tree.
    trees: Vec<(u32, usize)>,
}

impl FlatForest {
    fn new(trees: &[Tree]) -> Self {
        let total = trees.iter().map(|t| t.nodes.len()).sum();
        let mut nodes = Vec::with_capacity(total);
        let mut values = Vec::with_capacity(total);
        let mut roots = Vec::with_capacity(trees.len());
        for t in trees {
            let base = nodes.len() as u32;
            roots.push((base, t.depth()));
            for (i, n) in t.nodes.iter().enumerate() {
                values.push(n.value);
                nodes.push(if n.is_leaf() {
                    FlatNode { threshold: f64::INFINITY, feature: MISSING_LEFT, left: base + i as u32 }
                } else {
                    let missing = if n.default_left { MISSING_LEFT } else { 0 };
                    FlatNode { threshold: n.threshold, feature: n.feature | missing, left: base + n.left }
                });
            }
        }
        FlatForest { nodes, values, trees: roots }
    }

    /// Add every tree's output for each row of `chunk` to `out`: rows advance one level at a
    /// time, so their (independent) walks overlap instead of waiting on one another.
    fn add_chunk(&self, chunk: &[&[f64]], out: &mut [f64], at: &mut Vec<u32>) {
        for &(root, depth) in &self.trees {
            at.clear();
            at.resize(chunk.len(), root);
            for _ in 0..depth {
                for (i, row) in at.iter_mut().zip(chunk) {
                    let n = self.nodes[*i as usize];
                    let v = row.get((n.feature & !MISSING_LEFT) as usize).copied().unwrap_or(f64::NAN);
                    let go_left = (v <= n.threshold) | (v.is_nan() & (n.feature & MISSING_LEFT != 0));
                    *i = n.left + u32::from(!go_left);
                }
            }
            for (o, &i) in out.iter_mut().zip(at.iter()) {
                *o += self.values[i as usize];
            }
        }
    }
}

/// Sum of the trees' outputs for every row of `x`, scaled by `scale` and offset by `base`;
/// rows in parallel chunks, trees one after another inside a chunk (both stay in cache).
///
/// Relies on the grower's layout: a node's right child directly follows its left child.
pub(crate) fn predict_sum(trees: &[Tree], x: ArrayView2<'_, f64>, base: f64, scale: f64) -> Array1<f64> {
    let forest = FlatForest::new(trees);
    let x = x.as_standard_layout();
    let rows: Vec<&[f64]> = x.axis_iter(Axis(0)).filter_map(|r| r.to_slice()).collect();
    let mut out = vec![0.0; rows.len()];
    out.par_chunks_mut(256).zip(rows.par_chunks(256)).for_each_init(Vec::new, |at, (o, chunk)| {
        forest.add_chunk(chunk, o, at);
    });
    Array1::from_iter(out.into_iter().map(|s| base + scale * s))
}

/// SHAP values of `scale · Σ trees` at `x`: (base value, one value per feature).
pub(crate) fn shap_sum(trees: &[Tree], x: &[f64], base: f64, scale: f64) -> (f64, Vec<f64>) {
    let mut phi = vec![0.0; x.len()];
    let mut expected = 0.0;
    for t in trees {
        tree_shap(t, x, &mut phi);
        expected += expected_value(t);
    }
    phi.iter_mut().for_each(|v| *v *= scale);
    (base + scale * expected, phi)
}
