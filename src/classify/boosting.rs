//! Gradient-boosted trees for churn (binary log loss), on the shared histogram
//! tree core.
//!
//! Each round fits a tree to the gradient and hessian of the log loss with
//! the second-order gain and L2-regularised Newton leaf values (Chen &
//! Guestrin 2016, "XGBoost", eqs. 5–7), grown leaf-wise under a leaf budget as
//! LightGBM does (Ke et al. 2017). Row and column subsampling are seeded per
//! round; early stopping watches the log loss of a stratified validation
//! split and keeps the best round. Missing values (`NaN`) are handled
//! natively: every split learns which side they go to.

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::newton::sigmoid;
use super::tree::bins::BinnedMatrix;
use super::tree::grow::{Criterion, GrowParams, grow_with_rows};
use super::tree::{Tree, predict_sum, shap_sum};
use super::{ClassWeight, row_weights};
use crate::error::{Error, Result, ensure};
use crate::eval::StratifiedKFold;
use crate::model::{
    ChurnModel, Contribution, Dataset, Explanation, Learner, Link, StoredModel, check_finite_or_missing,
};

/// Early stopping on a held-out share of the training rows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Share of rows held out (stratified), in (0, 0.5].
    pub validation_fraction: f64,
    /// Rounds without a better validation log loss before stopping.
    pub patience: usize,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping { validation_fraction: 0.1, patience: 20 }
    }
}

/// Namespace for [`GradientBoosting::params`].
#[derive(Clone, Copy, Debug)]
pub struct GradientBoosting;

impl GradientBoosting {
    /// LightGBM-like defaults: 100 trees, learning rate 0.1, 31 leaves, 20 rows and
    /// 1e-3 hessian per leaf, no L2, 255 bins, no subsampling, no early stopping.
    ///
    /// ```
    /// use churnguard::classify::GradientBoosting;
    /// use churnguard::model::{ChurnModel, Dataset};
    /// let x = ndarray::Array2::from_shape_fn((400, 2), |(i, j)| ((i * (j + 7)) % 23) as f64);
    /// let y: Vec<bool> = (0..400).map(|i| ((i * 7) % 23) > 15).collect();
    /// let names = vec!["a".to_string(), "b".to_string()];
    /// let model = GradientBoosting::params().n_trees(30).seed(7).fit(&Dataset::new(x.view(), &y, &names)?)?;
    /// let p = model.predict_proba(x.view())?;
    /// let e = model.explain(x.row(0))?;
    /// assert!((e.probability() - p[0]).abs() < 1e-9); // SHAP values add up to the prediction
    /// # Ok::<(), churnguard::Error>(())
    /// ```
    pub fn params() -> GradientBoostingParams {
        GradientBoostingParams::default()
    }
}

/// Settings of gradient boosting (unfitted). Implements [`Learner`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostingParams {
    n_trees: usize,
    learning_rate: f64,
    max_leaves: usize,
    max_depth: Option<usize>,
    min_samples_leaf: usize,
    min_child_weight: f64,
    l2: f64,
    min_gain: f64,
    max_bins: usize,
    row_subsample: f64,
    col_subsample: f64,
    class_weight: ClassWeight,
    early_stopping: Option<EarlyStopping>,
    seed: u64,
}

impl Default for GradientBoostingParams {
    fn default() -> Self {
        GradientBoostingParams {
            n_trees: 100,
            learning_rate: 0.1,
            max_leaves: 31,
            max_depth: None,
            min_samples_leaf: 20,
            min_child_weight: 1e-3,
            l2: 0.0,
            min_gain: 0.0,
            max_bins: 255,
            row_subsample: 1.0,
            col_subsample: 1.0,
            class_weight: ClassWeight::Uniform,
            early_stopping: None,
            seed: 0,
        }
    }
}

impl GradientBoostingParams {
    setter!(/// Boosting rounds (maximum, with early stopping).
        n_trees: usize);
    setter!(/// Shrinkage applied to every tree, in (0, 1].
        learning_rate: f64);
    setter!(/// Leaf budget per tree (≥ 2).
        max_leaves: usize);
    setter!(/// Depth limit per tree (`None` = only the leaf budget).
        max_depth: Option<usize>);
    setter!(/// Minimum rows per leaf (≥ 1).
        min_samples_leaf: usize);
    setter!(/// Minimum hessian sum per leaf (≥ 0).
        min_child_weight: f64);
    setter!(/// L2 regularisation of leaf values (≥ 0).
        l2: f64);
    setter!(/// Minimum gain to split (≥ 0).
        min_gain: f64);
    setter!(/// Bins per feature, 2..=255.
        max_bins: usize);
    setter!(/// Share of rows drawn (without replacement) for each tree, in (0, 1].
        row_subsample: f64);
    setter!(/// Share of features drawn for each tree, in (0, 1].
        col_subsample: f64);
    setter!(/// Class weighting for imbalance.
        class_weight: ClassWeight);
    setter!(/// Early stopping, off by default.
        early_stopping: Option<EarlyStopping>);
    setter!(/// Seed for subsampling, binning samples and the validation split.
        seed: u64);

    /// Validate the settings; each error names the parameter.
    pub fn check(&self) -> Result<()> {
        ensure!(self.n_trees >= 1, Error::param("n_trees", self.n_trees, "need at least one tree"));
        ensure!(
            self.learning_rate > 0.0 && self.learning_rate <= 1.0,
            Error::param("learning_rate", self.learning_rate, "must lie in (0, 1]")
        );
        ensure!(self.max_leaves >= 2, Error::param("max_leaves", self.max_leaves, "need at least 2 leaves"));
        ensure!(self.max_depth != Some(0), Error::param("max_depth", 0, "must be at least 1"));
        ensure!(self.min_samples_leaf >= 1, Error::param("min_samples_leaf", 0, "must be at least 1"));
        for (name, v) in [("min_child_weight", self.min_child_weight), ("l2", self.l2), ("min_gain", self.min_gain)] {
            ensure!(v.is_finite() && v >= 0.0, Error::param(name, v, "must be a finite number ≥ 0"));
        }
        ensure!((2..=255).contains(&self.max_bins), Error::param("max_bins", self.max_bins, "must lie in 2..=255"));
        for (name, v) in [("row_subsample", self.row_subsample), ("col_subsample", self.col_subsample)] {
            ensure!(v > 0.0 && v <= 1.0, Error::param(name, v, "must lie in (0, 1]"));
        }
        if let Some(es) = self.early_stopping {
            ensure!(
                es.validation_fraction > 0.0 && es.validation_fraction <= 0.5,
                Error::param("validation_fraction", es.validation_fraction, "must lie in (0, 0.5]")
            );
            ensure!(es.patience >= 1, Error::param("patience", es.patience, "must be at least 1"));
        }
        super::check_class_weight(self.class_weight)
    }

    /// Validate and fit.
    pub fn fit(&self, data: &Dataset<'_>) -> Result<FittedGradientBoosting> {
        self.check()?;
        let x = data.x();
        let y = data.y();
        let (n, p) = x.dim();
        let w = row_weights(self.class_weight, y, data.weights());
        let target: Vec<f64> = y.iter().map(|&l| if l { 1.0 } else { 0.0 }).collect();
        let (train, valid): (Vec<u32>, Vec<u32>) = match self.early_stopping {
            None => ((0..n as u32).collect(), Vec::new()),
            Some(es) => {
                let k = (1.0 / es.validation_fraction).round().max(2.0) as usize;
                let fold = StratifiedKFold::new(k, self.seed)?.split(y)?.swap_remove(0);
                (fold.train.iter().map(|&r| r as u32).collect(), fold.test.iter().map(|&r| r as u32).collect())
            }
        };
        let binned = BinnedMatrix::new(x, self.max_bins, 200_000, self.seed).with_row_major();
        // Start from the weighted log-odds of churn on the training rows.
        let (pos, tot) =
            train.iter().fold((0.0, 0.0), |(a, b), &r| (a + w[r as usize] * target[r as usize], b + w[r as usize]));
        let rate = (pos / tot).clamp(1e-12, 1.0 - 1e-12);
        let base_score = (rate / (1.0 - rate)).ln();
        let mut score = vec![base_score; n];
        let mut g = vec![0.0; n];
        let mut h = vec![0.0; n];
        let grow_params = GrowParams {
            criterion: Criterion::Newton { l2: self.l2 },
            max_depth: self.max_depth.unwrap_or(usize::MAX),
            max_leaves: Some(self.max_leaves),
            min_samples_leaf: self.min_samples_leaf,
            min_child_weight: self.min_child_weight,
            min_gain: self.min_gain,
            max_features: None,
        };
        let all_features: Vec<usize> = (0..p).collect();
        let n_cols = ((p as f64 * self.col_subsample).ceil() as usize).clamp(1, p);
        let n_rows_sample = ((train.len() as f64 * self.row_subsample).ceil() as usize).clamp(1, train.len());
        let x = x.as_standard_layout();
        let mut trees: Vec<Tree> = Vec::with_capacity(self.n_trees);
        let (mut best_loss, mut best_round, mut since_best) = (f64::INFINITY, 0usize, 0usize);
        for round in 0..self.n_trees {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
            rng.set_stream(round as u64 + 1);
            // Gradient and hessian of the weighted log loss at the current score.
            g.par_iter_mut().zip(h.par_iter_mut()).enumerate().for_each(|(r, (gr, hr))| {
                let prob = sigmoid(score[r]);
                *gr = w[r] * (prob - target[r]);
                *hr = (w[r] * prob * (1.0 - prob)).max(1e-16 * w[r]);
            });
            let rows: Vec<u32> = if n_rows_sample < train.len() {
                let mut r: Vec<u32> = train.choose_multiple(&mut rng, n_rows_sample).copied().collect();
                r.sort_unstable();
                r
            } else {
                train.clone()
            };
            let features: Vec<usize> = if n_cols < p {
                let mut f: Vec<usize> = all_features.choose_multiple(&mut rng, n_cols).copied().collect();
                f.sort_unstable();
                f
            } else {
                all_features.clone()
            };
            let sampled = rows.len() < n;
            let mut grown = grow_with_rows(&binned, &g, &h, rows, &features, &grow_params, &mut rng);
            grown.tree.scale(self.learning_rate);
            // Rows the tree was grown on: their leaf is known from the partition.
            let mut seen = if sampled { vec![false; n] } else { Vec::new() };
            for (leaf_rows, value) in grown.leaves() {
                for &r in leaf_rows {
                    score[r as usize] += value;
                    if sampled {
                        seen[r as usize] = true;
                    }
                }
            }
            let tree = grown.tree;
            if sampled {
                // Validation rows and rows left out by subsampling walk the tree.
                score.par_iter_mut().zip(seen.par_iter()).enumerate().for_each(|(r, (s, &in_sample))| {
                    if !in_sample && let Some(row) = x.row(r).to_slice() {
                        *s += tree.predict_row(row);
                    }
                });
            }
            trees.push(tree);
            if !valid.is_empty() {
                let (loss, weight) = valid.iter().fold((0.0, 0.0), |(l, ws), &r| {
                    let r = r as usize;
                    let prob = sigmoid(score[r]).clamp(1e-15, 1.0 - 1e-15);
                    let nll = if target[r] > 0.5 { -prob.ln() } else { -(1.0 - prob).ln() };
                    (l + w[r] * nll, ws + w[r])
                });
                let loss = loss / weight;
                if loss < best_loss - 1e-12 {
                    (best_loss, best_round, since_best) = (loss, round + 1, 0);
                } else {
                    since_best += 1;
                    if self.early_stopping.is_some_and(|es| since_best >= es.patience) {
                        break;
                    }
                }
            }
        }
        if !valid.is_empty() {
            trees.truncate(best_round.max(1));
        }
        let mut gain_importance = vec![0.0; p];
        for t in &trees {
            t.add_gains(&mut gain_importance);
        }
        Ok(FittedGradientBoosting { feature_names: data.feature_names().to_vec(), base_score, trees, gain_importance })
    }
}

impl Learner for GradientBoostingParams {
    fn name(&self) -> &str {
        "gradient_boosting"
    }

    fn fit_model(&self, data: &Dataset<'_>) -> Result<Box<dyn ChurnModel>> {
        Ok(Box::new(self.fit(data)?))
    }

    /// Missing values stay missing (learned split directions); no scaling (trees do not need it).
    fn default_preprocess(&self) -> crate::preprocess::PreprocessParams {
        super::tree_preprocess()
    }
}

/// A fitted boosted ensemble: P(churn) = σ(base + Σ trees).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedGradientBoosting {
    feature_names: Vec<String>,
    base_score: f64,
    trees: Vec<Tree>,
    gain_importance: Vec<f64>,
}

impl FittedGradientBoosting {
    /// Number of trees kept (after early stopping).
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Initial log-odds (the weighted training churn rate).
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// Total split gain per feature, in feature order.
    pub fn gain_importance(&self) -> &[f64] {
        &self.gain_importance
    }

    /// Raw scores (log-odds) of every row, rows in parallel.
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_finite_or_missing(x, &self.feature_names)?;
        Ok(predict_sum(&self.trees, x, self.base_score, 1.0))
    }

    /// Check a model read from a file.
    pub fn validate(&self) -> Result<()> {
        let p = self.feature_names.len();
        ensure!(
            self.base_score.is_finite() && self.gain_importance.len() == p,
            Error::ModelFormat { message: "gradient boosting header is inconsistent".into() }
        );
        for (i, t) in self.trees.iter().enumerate() {
            t.validate(p).map_err(|m| Error::ModelFormat { message: format!("tree {i}: {m}") })?;
        }
        Ok(())
    }
}

impl ChurnModel for FittedGradientBoosting {
    fn name(&self) -> &str {
        "gradient_boosting"
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(self.decision_function(x)?.mapv(sigmoid))
    }

    /// Exact TreeSHAP values on the log-odds scale; base value = base score +
    /// each tree's cover-weighted mean output.
    fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation> {
        check_finite_or_missing(row.insert_axis(Axis(0)), &self.feature_names)?;
        let x = row.to_vec();
        let (base, phi) = shap_sum(&self.trees, &x, self.base_score, 1.0);
        let contributions = self
            .feature_names
            .iter()
            .zip(x.iter().zip(phi))
            .map(|(f, (&value, contribution))| Contribution { feature: f.clone(), value, contribution })
            .collect();
        Ok(Explanation { base_value: base, contributions, link: Link::Logit })
    }

    fn to_stored(&self) -> Result<StoredModel> {
        Ok(StoredModel::GradientBoosting(self.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::eval::roc_auc;
    use ndarray::Array2;
    use rand::Rng;

    /// Churn depends non-linearly on two features (an interaction logistic regression cannot fit).
    pub(crate) fn xor_data(n: usize, seed: u64) -> (Array2<f64>, Vec<bool>, Vec<String>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Array2::<f64>::zeros((n, 4));
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            for j in 0..4 {
                x[[i, j]] = rng.gen_range(-1.0..1.0);
            }
            let z = 3.0 * (x[[i, 0]] * x[[i, 1]]).signum() + x[[i, 2]] - 1.0;
            y.push(rng.r#gen::<f64>() < sigmoid(z));
        }
        (x, y, (0..4).map(|j| format!("f{j}")).collect())
    }

    #[test]
    fn learns_an_interaction_and_ranks_well_out_of_sample() {
        let (x, y, names) = xor_data(3000, 1);
        let (xt, yt, _) = xor_data(2000, 2);
        let m = GradientBoosting::params().n_trees(60).fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let auc = roc_auc(&yt, m.predict_proba(xt.view()).unwrap().as_slice().unwrap()).unwrap();
        assert!(auc > 0.85, "AUC {auc}");
        // The interaction features carry the gain; f3 is noise.
        let g = m.gain_importance();
        assert!(g[0] > 5.0 * g[3] && g[1] > 5.0 * g[3], "{g:?}");
    }

    #[test]
    fn shap_values_add_up_to_the_log_odds() {
        let (x, y, names) = xor_data(800, 3);
        let m = GradientBoosting::params().n_trees(25).fit(&Dataset::new(x.view(), &y, &names).unwrap()).unwrap();
        let raw = m.decision_function(x.view()).unwrap();
        for r in [0, 5, 77, 400] {
            let e = m.explain(x.row(r)).unwrap();
            assert!((e.raw_score() - raw[r]).abs() < 1e-9, "row {r}: {} vs {}", e.raw_score(), raw[r]);
        }
    }

    #[test]
    fn same_seed_same_model_and_subsampling_depends_on_seed() {
        let (x, y, names) = xor_data(600, 4);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        let p = GradientBoosting::params().n_trees(10).row_subsample(0.7).col_subsample(0.75);
        assert_eq!(p.clone().seed(5).fit(&d).unwrap(), p.clone().seed(5).fit(&d).unwrap());
        assert_ne!(p.clone().seed(5).fit(&d).unwrap(), p.seed(6).fit(&d).unwrap());
    }

    #[test]
    fn early_stopping_keeps_the_best_round() {
        let (x, y, names) = xor_data(1500, 5);
        let m = GradientBoosting::params()
            .n_trees(400)
            .learning_rate(0.3)
            .early_stopping(Some(EarlyStopping { validation_fraction: 0.2, patience: 10 }))
            .fit(&Dataset::new(x.view(), &y, &names).unwrap())
            .unwrap();
        assert!(m.n_trees() < 400, "stopped after {} trees", m.n_trees());
    }

    #[test]
    fn missing_values_are_handled_natively() {
        let (mut x, y, names) = xor_data(1000, 6);
        for r in (0..1000).step_by(3) {
            x[[r, 2]] = f64::NAN;
        }
        let m =
            GradientBoosting::params().n_trees(20).fit(&Dataset::with_missing(x.view(), &y, &names).unwrap()).unwrap();
        let p = m.predict_proba(x.view()).unwrap();
        assert!(p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
        let mut bad = x.clone();
        bad[[0, 0]] = f64::INFINITY;
        assert!(matches!(m.predict_proba(bad.view()), Err(Error::NonFinite { row: 0, .. })));
    }

    #[test]
    fn out_of_range_settings_name_the_parameter() {
        let (x, y, names) = xor_data(100, 7);
        let d = Dataset::new(x.view(), &y, &names).unwrap();
        for (p, name) in [
            (GradientBoosting::params().n_trees(0), "n_trees"),
            (GradientBoosting::params().learning_rate(0.0), "learning_rate"),
            (GradientBoosting::params().max_leaves(1), "max_leaves"),
            (GradientBoosting::params().max_bins(300), "max_bins"),
            (GradientBoosting::params().row_subsample(1.5), "row_subsample"),
            (GradientBoosting::params().l2(-1.0), "l2"),
        ] {
            assert!(matches!(p.fit(&d), Err(Error::InvalidParameter { name: n, .. }) if n == name), "{name}");
        }
    }
}
