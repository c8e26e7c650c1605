//! Exact SHAP values of one tree by the polynomial-time TreeSHAP algorithm
//! (Lundberg, Erion & Lee 2018, "Consistent individualized feature attribution
//! for tree ensembles", Algorithm 2), with path-dependent expectations weighted
//! by node cover. For every row, `expected_value + Σ φ = tree output`.

use super::Tree;

#[derive(Clone, Copy, Debug)]
struct PathElement {
    /// Feature index, `usize::MAX` for the root placeholder.
    feature: usize,
    zero_fraction: f64,
    one_fraction: f64,
    weight: f64,
}

/// Cover-weighted mean output of the tree (SHAP's base value).
pub(crate) fn expected_value(tree: &Tree) -> f64 {
    fn walk(t: &Tree, i: usize) -> f64 {
        let n = &t.nodes[i];
        if n.is_leaf() {
            return n.value;
        }
        let (l, r) = (&t.nodes[n.left as usize], &t.nodes[n.right as usize]);
        let total = l.cover + r.cover;
        if total <= 0.0 {
            return 0.5 * (walk(t, n.left as usize) + walk(t, n.right as usize));
        }
        (l.cover * walk(t, n.left as usize) + r.cover * walk(t, n.right as usize)) / total
    }
    walk(tree, 0)
}

/// Add the SHAP values of `tree` at row `x` to `phi` (one entry per feature).
pub(crate) fn tree_shap(tree: &Tree, x: &[f64], phi: &mut [f64]) {
    let path = Vec::with_capacity(32);
    recurse(tree, 0, x, phi, path, 1.0, 1.0, usize::MAX);
}

fn extend(path: &mut Vec<PathElement>, zero_fraction: f64, one_fraction: f64, feature: usize) {
    let d = path.len();
    path.push(PathElement { feature, zero_fraction, one_fraction, weight: if d == 0 { 1.0 } else { 0.0 } });
    for i in (0..d).rev() {
        path[i + 1].weight += one_fraction * path[i].weight * (i + 1) as f64 / (d + 1) as f64;
        path[i].weight = zero_fraction * path[i].weight * (d - i) as f64 / (d + 1) as f64;
    }
}

fn unwind(path: &mut Vec<PathElement>, index: usize) {
    let d = path.len() - 1;
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next = path[d].weight;
    for i in (0..d).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next * (d + 1) as f64 / ((i + 1) as f64 * one);
            next = tmp - path[i].weight * zero * (d - i) as f64 / (d + 1) as f64;
        } else {
            path[i].weight = path[i].weight * (d + 1) as f64 / (zero * (d - i) as f64);
        }
    }
    for i in index..d {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
    path.pop();
}

fn unwound_sum(path: &[PathElement], index: usize) -> f64 {
    let d = path.len() - 1;
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next = path[d].weight;
    let mut total = 0.0;
    for i in (0..d).rev() {
        if one != 0.0 {
            let tmp = next * (d + 1) as f64 / ((i + 1) as f64 * one);
            total += tmp;
            next = path[i].weight - tmp * zero * (d - i) as f64 / (d + 1) as f64;
        } else if zero != 0.0 {
            total += path[i].weight / zero / ((d - i) as f64 / (d + 1) as f64);
        }
    }
    total
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    node: usize,
    x: &[f64],
    phi: &mut [f64],
    mut path: Vec<PathElement>,
    zero_fraction: f64,
    one_fraction: f64,
    feature: usize,
) {
    extend(&mut path, zero_fraction, one_fraction, feature);
    let n = &tree.nodes[node];
    if n.is_leaf() {
        for i in 1..path.len() {
            let w = unwound_sum(&path, i);
            let e = path[i];
            if let Some(p) = phi.get_mut(e.feature) {
                *p += w * (e.one_fraction - e.zero_fraction) * n.value;
            }
        }
        return;
    }
    let f = n.feature as usize;
    let hot = n.child(x.get(f).copied().unwrap_or(f64::NAN));
    let cold = if hot == n.left as usize { n.right as usize } else { n.left as usize };
    let (hot_cover, cold_cover) = (tree.nodes[hot].cover, tree.nodes[cold].cover);
    let total = hot_cover + cold_cover;
    let (hot_zero, cold_zero) = if total > 0.0 { (hot_cover / total, cold_cover / total) } else { (0.5, 0.5) };
    let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
    // A feature seen earlier on the path: undo that split, then apply both together.
    if let Some(k) = path.iter().skip(1).position(|e| e.feature == f).map(|k| k + 1) {
        incoming_zero = path[k].zero_fraction;
        incoming_one = path[k].one_fraction;
        unwind(&mut path, k);
    }
    recurse(tree, hot, x, phi, path.clone(), hot_zero * incoming_zero, incoming_one, f);
    recurse(tree, cold, x, phi, path, cold_zero * incoming_zero, 0.0, f);
}

#[cfg(test)]
mod tests {
    use super::super::Node;
    use super::*;

    /// E[f(x) | x_S] with the path-dependent (cover-weighted) expectation for features outside S.
    fn cond_exp(t: &Tree, i: usize, x: &[f64], s: u32) -> f64 {
        let n = &t.nodes[i];
        if n.is_leaf() {
            return n.value;
        }
        if s & (1 << n.feature) != 0 {
            return cond_exp(t, n.child(x[n.feature as usize]), x, s);
        }
        let (l, r) = (&t.nodes[n.left as usize], &t.nodes[n.right as usize]);
        (l.cover * cond_exp(t, n.left as usize, x, s) + r.cover * cond_exp(t, n.right as usize, x, s))
            / (l.cover + r.cover)
    }

    /// Shapley values by enumerating every coalition (exponential; p ≤ 5).
    fn brute_force(t: &Tree, x: &[f64], p: usize) -> Vec<f64> {
        let fact = |k: usize| (1..=k).product::<usize>() as f64;
        (0..p)
            .map(|j| {
                let mut phi = 0.0;
                for s in 0u32..(1 << p) {
                    if s & (1 << j) != 0 {
                        continue;
                    }
                    let k = s.count_ones() as usize;
                    let w = fact(k) * fact(p - k - 1) / fact(p);
                    phi += w * (cond_exp(t, 0, x, s | (1 << j)) - cond_exp(t, 0, x, s));
                }
                phi
            })
            .collect()
    }

    fn node(feature: u32, threshold: f64, left: u32, right: u32, cover: f64) -> Node {
        Node { feature, threshold, left, right, default_left: true, value: 0.0, cover, gain: 0.0 }
    }

    /// A tree that splits on feature 0 twice (exercises the unwind path) and on 1 and 2.
    fn tree() -> Tree {
        Tree {
            nodes: vec![
                node(0, 0.5, 1, 2, 100.0),
                node(1, 0.0, 3, 4, 60.0),
                node(0, 2.0, 5, 6, 40.0),
                Node::leaf(1.0, 25.0),
                node(2, 1.0, 7, 8, 35.0),
                Node::leaf(-2.0, 10.0),
                Node::leaf(3.5, 30.0),
                Node::leaf(0.25, 20.0),
                Node::leaf(-0.75, 15.0),
            ],
        }
    }

    #[test]
    fn tree_shap_equals_brute_force_shapley_values() {
        let t = tree();
        for x in [[0.0, -1.0, 0.0], [0.0, 1.0, 2.0], [1.0, 1.0, 0.0], [3.0, -1.0, 5.0], [f64::NAN, 0.5, 0.5]] {
            let mut phi = vec![0.0; 3];
            tree_shap(&t, &x, &mut phi);
            let expected = brute_force(&t, &x, 3);
            for j in 0..3 {
                assert!((phi[j] - expected[j]).abs() < 1e-12, "x {x:?} feature {j}: {} vs {}", phi[j], expected[j]);
            }
            let total: f64 = expected_value(&t) + phi.iter().sum::<f64>();
            assert!((total - t.predict_row(&x)).abs() < 1e-12, "additivity at {x:?}");
        }
    }
}
