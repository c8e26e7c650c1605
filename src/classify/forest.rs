//! Random forest (Breiman 2001) on the shared tree core: bootstrap samples,
//! a random subset of features at every node, probability trees averaged.
//!
//! Trees are grown in parallel; tree `t` draws from its own ChaCha8 stream, so
//! the forest is the same for any number of threads. Bootstrap multiplicities
//! enter as row weights rather than repeated rows.

use ndarray::{Array1, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::decision_tree::{SplitCriterion, TreeShape, explain_probability_trees};
use super::tree::bins::BinnedMatrix;
use super::tree::grow::grow;
use super::tree::{Tree, predict_sum};
use super::{ClassWeight, row_weights};
use crate::error::{Error, Result, ensure};
use crate::model::{ChurnModel, Dataset, Explanation, Learner, StoredModel, check_finite_or_missing};

/// How many features each node may choose from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// √p (the usual classification default).
    Sqrt,
    /// log₂ p.
    Log2,
    /// Every feature (bagged trees).
    All,
    /// A share of p, in (0, 1].
    Fraction(f64),
    /// A fixed number (capped at p).
    Count(usize),
}

impl MaxFeatures {
    fn resolve(self, p: usize) -> usize {
        let k = match self {
            MaxFeatures::Sqrt => (p as f64).sqrt().floor() as usize,
            MaxFeatures::Log2 => (p as f64).log2().floor() as usize,
            MaxFeatures::All => p,
            MaxFeatures::Fraction(f) => (f * p as f64).ceil() as usize,
            MaxFeatures::Count(k) => k,
        };
        k.clamp(1, p.max(1))
    }
}

/// Namespace for [`RandomForest::params`].
#[derive(Clone, Copy, Debug)]
pub struct RandomForest;

impl RandomForest {
    /// Defaults as scikit-learn's `RandomForestClassifier`: 100 trees, Gini, √p features
    /// per node, bootstrap samples of n rows, unlimited depth, one row per leaf.
    ///
    /// ```
    /// use churnguard::classify::RandomForest;
    /// use churnguard::model::{ChurnModel, Dataset};
    /// let x = ndarray::Array2::from_shape_fn((300, 3), |(i, j)| ((i * (j + 5)) % 17) as f64);
    /// let y: Vec<bool> = (0..300).map(|i| (i * 5) % 17 > 10).collect();
    /// let names = vec!["a".into(), "b".into(), "c".into()];
    /// let forest = RandomForest::params().n_trees(20).seed(1).fit(&Dataset::new(x.view(), &y, &names)?)?;
    /// assert_eq!(forest.n_trees(), 20);
    /// let p = forest.predict_proba(x.view())?;
    /// assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    /// # Ok::<(), churnguard::Error>(())
    /// ```
    pub fn params() -> RandomForestParams {
        RandomForestParams::default()
    }
}

/// Settings of a random forest (unfitted). Implements [`Learner`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForestParams {
    n_trees: usize,
    max_features: MaxFeatures,
    bootstrap: bool,
    max_samples: f64,
    shape: TreeShape,
    class_weight: ClassWeight,
    seed: u64,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        RandomForestParams {
            n_trees: 100,
            max_features: MaxFeatures::Sqrt,
            bootstrap: true,
            max_samples: 1.0,
            shape: TreeShape::default(),
            class_weight: ClassWeight::Uniform,
            seed: 0,
        }
    }
}

impl RandomForestParams {
    setter!(/// Number of trees (≥ 1).
        n_trees: usize);
    setter!(/// Features per node.
        max_features: MaxFeatures);
    setter!(/// Bootstrap rows for each tree (otherwise every tree sees every row).
        bootstrap: bool);
    setter!(/// Bootstrap sample size as a share of the rows, in (0, 1].
        max_samples: f64);
    setter!(/// Tree-shape settings.
        shape: TreeShape);
    setter!(/// Class weighting.
        class_weight: ClassWeight);
    setter!(/// Seed of bootstraps and feature draws.
        seed: u64);

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

    /// Minimum rows per leaf.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.shape.min_samples_leaf = n;
        self
    }

    /// Validate the settings; each error names the parameter.
    pub fn check(&self) -> Result<()> {
        ensure!(self.n_trees >= 1, Error::param("n_trees", self.n_trees, "need at least one tree"));
        ensure!(
            self.max_samples > 0.0 && self.max_samples <= 1.0,
            Error::param("max_samples", self.max_samples, "must lie in (0, 1]")
        );
        match self.max_features {
            MaxFeatures::Fraction(f) => {
                ensure!(f > 0.0 && f <= 1.0, Error::param("max_features", f, "a fraction must lie in (0, 1]"))
            }
            MaxFeatures::Count(k) => ensure!(k >= 1, Error::param("max_features", k, "must be at least 1")),
            _ => {}
        }
        self.shape.check()?;
        super::check_class_weight(self.class_weight)
    }

    /// Validate and fit.
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedRandomForest> {
        self.check()?;
        let (n, p) = data.x().dim();
        let w = row_weights(self.class_weight, data.y(), data.weights());
        let y = data.y();
        let binned = BinnedMatrix::new(data.x(), self.shape.max_bins, 200_000, self.seed);
        let features: Vec<usize> = (0..p).collect();
        let params = self.shape.grow_params(Some(self.max_features.resolve(p)));
        let draws = ((n as f64 * self.max_samples).round() as usize).max(1);
        let trees: Vec<Tree> = (0..self.n_trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                rng.set_stream(t as u64 + 1);
                let mut count = vec![0u32; n];
                if self.bootstrap {
                    for _ in 0..draws {
                        count[rng.gen_range(0..n)] += 1;
                    }
                } else {
                    count.fill(1);
                }
                let h: Vec<f64> = count.iter().zip(&w).map(|(&c, &w)| c as f64 * w).collect();
                let g: Vec<f64> = h.iter().zip(y).map(|(&h, &y)| if y { h } else { 0.0 }).collect();
                let rows: Vec<u32> = (0..n as u32).filter(|&r| h[r as usize] > 0.0).collect();
                grow(&binned, &g, &h, rows, &features, &params, &mut rng)
            })
            .collect();
        let mut gain_importance = vec![0.0; p];
        for t in &trees {
            t.add_gains(&mut gain_importance);
        }
        let scale = 1.0 / trees.len() as f64;
        gain_importance.iter_mut().for_each(|g| *g *= scale);
        Ok(FittedRandomForest { feature_names: data.feature_names().to_vec(), trees, gain_importance })
    }
}

impl Learner for RandomForestParams {
    fn name(&self) -> &str {
        "random_forest"
    }

    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>> {
        Ok(Box::new(self.fit(data)?))
    }

    /// Missing values stay missing (learned split directions); no scaling (trees do not need it).
    fn default_preprocess(&self) -> crate::preprocess::PreprocessParams {
        super::tree_preprocess()
    }
}

/// A fitted forest: P(churn) = mean of the trees' leaf churn shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedRandomForest {
    feature_names: Vec<String>,
    trees: Vec<Tree>,
    gain_importance: Vec<f64>,
}

impl FittedRandomForest {
    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Mean impurity decrease per feature over trees (in feature order).
    pub fn gain_importance(&self) -> &[f64] {
        &self.gain_importance
    }

    /// Check a model read from a file.
    pub fn validate(&self) -> Result<()> {
        let p = self.feature_names.len();
        ensure!(
            !self.trees.is_empty() && self.gain_importance.len() == p,
            Error::ModelFormat { message: "random forest header is inconsistent".into() }
        );
        for (i, t) in self.trees.iter().enumerate() {
            t.validate(p).map_err(|m| Error::ModelFormat { message: format!("tree {i}: {m}") })?;
        }
        Ok(())
    }
}

impl ChurnModel for FittedRandomForest {
    fn name(&self) -> &str {
        "random_forest"
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_finite_or_missing(x, &self.feature_names)?;
        Ok(predict_sum(&self.trees, x, 0.0, 1.0 / self.trees.len() as f64))
    }

    /// Exact TreeSHAP values averaged over trees, on the probability scale.
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation> {
        explain_probability_trees(&self.trees, &self.feature_names, row, 1.0 / self.trees.len() as f64)
    }

    fn to_stored(&self) -> Result<StoredModel> {
        Ok(StoredModel::RandomForest(self.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::boosting::tests::xor_data;
    use crate::eval::roc_auc;

    #[test]
    fn forest_ranks_well_and_beats_a_single_deep_tree() {
        let (x, y, names) = xor_data(2000, 11);
        let (xt, yt, _) = xor_data(2000, 12);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        let forest = RandomForest::params().n_trees(60).seed(3).fit(&d).unwrap();
        let tree = crate::classify::DecisionTree::params().fit(&d).unwrap();
        let auc = |p: Array1<f64>| roc_auc(&yt, p.as_slice().unwrap()).unwrap();
        let (af, at) = (auc(forest.predict_proba(xt.view()).unwrap()), auc(tree.predict_proba(xt.view()).unwrap()));
        assert!(af > 0.85 && af > at + 0.03, "forest {af}, tree {at}");
    }

    #[test]
    fn the_forest_does_not_depend_on_the_thread_count() {
        let (x, y, names) = xor_data(500, 13);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        let p = RandomForest::params().n_trees(8).seed(9);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| p.fit(&d).unwrap());
        let many = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| p.fit(&d).unwrap());
        assert_eq!(one, many);
        assert_ne!(one, p.clone().seed(10).fit(&d).unwrap());
    }

    #[test]
    fn shap_values_add_up_to_the_probability() {
        let (x, y, names) = xor_data(400, 14);
        let f = RandomForest::params().n_trees(10).fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let p = f.predict_proba(x.view()).unwrap();
        for r in [0, 9, 200] {
            assert!((f.explain(x.row(r)).unwrap().probability() - p[r]).abs() < 1e-12);
        }
    }

    #[test]
    fn out_of_range_settings_name_the_parameter() {
        let (x, y, names) = xor_data(50, 15);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        assert!(matches!(
            RandomForest::params().n_trees(0).fit(&d),
            Err(Error::InvalidParameter { name: "n_trees", .. })
        ));
        assert!(matches!(
            RandomForest::params().max_features(MaxFeatures::Fraction(1.5)).fit(&d),
            Err(Error::InvalidParameter { name: "max_features", .. })
        ));
        assert!(matches!(
            RandomForest::params().max_samples(0.0).fit(&d),
            Err(Error::InvalidParameter { name: "max_samples", .. })
        ));
    }
}
