//! A single classification tree (CART-style, histogram based) on the shared
//! tree core: splits by Gini impurity or entropy decrease, leaves hold the
//! weighted churn share, missing values go where the training data sent them.

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::tree::bins::BinnedMatrix;
use super::tree::grow::{Criterion, GrowParams, grow};
use super::tree::{Tree, predict_sum, shap_sum};
use super::{ClassWeight, row_weights};
use crate::error::{Error, Result, ensure};
use crate::model::{
    ChurnModel, Contribution, Dataset, Explanation, Learner, Link, StoredModel, check_finite_or_missing,
};

/// Impurity measure of a classification tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitCriterion {
    /// Gini impurity 2p(1−p) (Breiman et al. 1984).
    Gini,
    /// Entropy −p ln p − (1−p) ln(1−p) (information gain).
    Entropy,
}

impl SplitCriterion {
    pub(crate) fn core(self) -> Criterion {
        match self {
            SplitCriterion::Gini => Criterion::Gini,
            SplitCriterion::Entropy => Criterion::Entropy,
        }
    }
}

/// Tree-shape settings shared by [`DecisionTree`] and [`RandomForest`](super::RandomForest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeShape {
    /// Impurity measure (default Gini).
    pub criterion: SplitCriterion,
    /// Depth limit (default none).
    pub max_depth: Option<usize>,
    /// Leaf budget; best-first growth when set (default none).
    pub max_leaves: Option<usize>,
    /// Minimum rows per leaf (default 1).
    pub min_samples_leaf: usize,
    /// Minimum weighted impurity decrease to split (default 0).
    pub min_impurity_decrease: f64,
    /// Bins per feature, 2..=255 (default 255).
    pub max_bins: usize,
}

impl Default for TreeShape {
    fn default() -> Self {
        TreeShape {
            criterion: SplitCriterion::Gini,
            max_depth: None,
            max_leaves: None,
            min_samples_leaf: 1,
            min_impurity_decrease: 0.0,
            max_bins: 255,
        }
    }
}

impl TreeShape {
    pub(crate) fn check(&self) -> Result<()> {
        ensure!(self.max_depth != Some(0), Error::param("max_depth", 0, "must be at least 1"));
        ensure!(
            self.max_leaves.is_none_or(|l| l >= 2),
            Error::param("max_leaves", format!("{:?}", self.max_leaves), "need at least 2 leaves")
        );
        ensure!(self.min_samples_leaf >= 1, Error::param("min_samples_leaf", 0, "must be at least 1"));
        ensure!(
            self.min_impurity_decrease.is_finite() && self.min_impurity_decrease >= 0.0,
            Error::param("min_impurity_decrease", self.min_impurity_decrease, "must be a finite number ≥ 0")
        );
        ensure!((2..=255).contains(&self.max_bins), Error::param("max_bins", self.max_bins, "must lie in 2..=255"));
        Ok(())
    }

    pub(crate) fn grow_params(&self, max_features: Option<usize>) -> GrowParams {
        GrowParams {
            criterion: self.criterion.core(),
            max_depth: self.max_depth.unwrap_or(usize::MAX),
            max_leaves: self.max_leaves,
            min_samples_leaf: self.min_samples_leaf,
            min_child_weight: 0.0,
            min_gain: self.min_impurity_decrease,
            max_features,
        }
    }
}

/// Namespace for [`DecisionTree::params`].
#[derive(Clone, Copy, Debug)]
pub struct DecisionTree;

impl DecisionTree {
    /// Defaults: Gini, unlimited depth, one row per leaf (like scikit-learn), 255 bins.
    ///
    /// ```
    /// use churnguard::classify::DecisionTree;
    /// use churnguard::model::{ChurnModel, Dataset};
    /// let x = ndarray::array![[1.0], [2.0], [3.0], [4.0]];
    /// let y = [false, false, true, true];
    /// let names = vec!["days_since_last_order".to_string()];
    /// let tree = DecisionTree::params().max_depth(Some(2)).fit(&Dataset::new(x.view(), &y, &names)?)?;
    /// assert_eq!(tree.predict_proba(x.view())?.to_vec(), vec![0.0, 0.0, 1.0, 1.0]);
    /// # Ok::<(), churnguard::Error>(())
    /// ```
    pub fn params() -> DecisionTreeParams {
        DecisionTreeParams::default()
    }
}

/// Settings of a decision tree (unfitted). Implements [`Learner`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeParams {
    shape: TreeShape,
    class_weight: ClassWeight,
    seed: u64,
}

impl DecisionTreeParams {
    /// Replace all shape settings.
    pub fn shape(mut self, shape: TreeShape) -> Self {
        self.shape = shape;
        self
    }

    /// Impurity measure.
    pub fn criterion(mut self, c: SplitCriterion) -> Self {
        self.shape.criterion = c;
        self
    }

    /// Depth limit.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.shape.max_depth = d;
        self
    }

    /// Leaf budget.
    pub fn max_leaves(mut self, l: Option<usize>) -> Self {
        self.shape.max_leaves = l;
        self
    }

    /// Minimum rows per leaf.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.shape.min_samples_leaf = n;
        self
    }

    /// Class weighting.
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.class_weight = w;
        self
    }

    /// Seed of the row sample used to place bin edges on large data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validate and fit.
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedDecisionTree> {
        self.shape.check()?;
        super::check_class_weight(self.class_weight)?;
        let (n, p) = data.x().dim();
        let w = row_weights(self.class_weight, data.y(), data.weights());
        let g: Vec<f64> = data.y().iter().zip(&w).map(|(&y, &w)| if y { w } else { 0.0 }).collect();
        let binned = BinnedMatrix::new(data.x(), self.shape.max_bins, 200_000, self.seed).with_row_major();
        let features: Vec<usize> = (0..p).collect();
        let rows: Vec<u32> = (0..n as u32).filter(|&r| w[r as usize] > 0.0).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let tree = grow(&binned, &g, &w, rows, &features, &self.shape.grow_params(None), &mut rng);
        let mut gain_importance = vec![0.0; p];
        tree.add_gains(&mut gain_importance);
        Ok(FittedDecisionTree { feature_names: data.feature_names().to_vec(), tree, gain_importance })
    }
}

impl Learner for DecisionTreeParams {
    fn name(&self) -> &str {
        "decision_tree"
    }

    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>> {
        Ok(Box::new(self.fit(data)?))
    }

    /// Missing values stay missing (learned split directions); no scaling (trees do not need it).
    fn default_preprocess(&self) -> crate::preprocess::PreprocessParams {
        super::tree_preprocess()
    }
}

/// A fitted decision tree: P(churn) = the weighted churn share of the row's leaf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedDecisionTree {
    feature_names: Vec<String>,
    tree: Tree,
    gain_importance: Vec<f64>,
}

impl FittedDecisionTree {
    /// Depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.tree.nodes.iter().filter(|n| n.is_leaf()).count()
    }

    /// Total impurity decrease per feature, in feature order.
    pub fn gain_importance(&self) -> &[f64] {
        &self.gain_importance
    }

    /// Check a model read from a file.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.gain_importance.len() == self.feature_names.len(),
            Error::ModelFormat { message: "decision tree header is inconsistent".into() }
        );
        self.tree.validate(self.feature_names.len()).map_err(|m| Error::ModelFormat { message: m })
    }
}

/// Probability-scale SHAP explanation of a set of probability trees averaged with `scale`.
pub(crate) fn explain_probability_trees(
    trees: &[Tree],
    names: &[String],
    row: ArrayView1<'_, f64>,
    scale: f64,
) -> Result<Explanation> {
    check_finite_or_missing(row.insert_axis(Axis(0)), names)?;
    let x = row.to_vec();
    let (base_value, phi) = shap_sum(trees, &x, 0.0, scale);
    let contributions = names
        .iter()
        .zip(x.iter().zip(phi))
        .map(|(f, (&value, contribution))| Contribution { feature: f.clone(), value, contribution })
        .collect();
    Ok(Explanation { base_value, contributions, link: Link::Identity })
}

impl ChurnModel for FittedDecisionTree {
    fn name(&self) -> &str {
        "decision_tree"
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_finite_or_missing(x, &self.feature_names)?;
        Ok(predict_sum(std::slice::from_ref(&self.tree), x, 0.0, 1.0))
    }

    /// Exact TreeSHAP values on the probability scale.
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation> {
        explain_probability_trees(std::slice::from_ref(&self.tree), &self.feature_names, row, 1.0)
    }

    fn to_stored(&self) -> Result<StoredModel> {
        Ok(StoredModel::DecisionTree(self.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn an_unlimited_tree_fits_distinct_rows_exactly() {
        let x = Array2::from_shape_fn((60, 2), |(i, j)| ((i * (3 + j * 5)) % 61) as f64);
        let y: Vec<bool> = (0..60).map(|i| (i * 7) % 5 < 2).collect();
        let names = vec!["a".into(), "b".into()];
        let t = DecisionTree::params().fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let p = t.predict_proba(x.view()).unwrap();
        for (pi, &yi) in p.iter().zip(&y) {
            assert_eq!(*pi, if yi { 1.0 } else { 0.0 });
        }
    }

    #[test]
    fn entropy_and_depth_limit_are_honoured() {
        let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * (j + 2)) % 13) as f64);
        let y: Vec<bool> = (0..200).map(|i| (i * 3) % 7 < 3).collect();
        let names = vec!["a".into(), "b".into(), "c".into()];
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        let t = DecisionTree::params().criterion(SplitCriterion::Entropy).max_depth(Some(3)).fit(&d).unwrap();
        assert!(t.depth() <= 3 && t.n_leaves() <= 8);
        let e = t.explain(x.row(10)).unwrap();
        assert!((e.probability() - t.predict_proba(x.slice(ndarray::s![10..11, ..])).unwrap()[0]).abs() < 1e-12);
        assert!(matches!(
            DecisionTree::params().max_depth(Some(0)).fit(&d),
            Err(Error::InvalidParameter { name: "max_depth", .. })
        ));
    }
}
