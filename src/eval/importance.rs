//! Permutation importance: how much a fitted model's ROC-AUC drops when one
//! feature's values are shuffled on held-out rows (Breiman 2001; scikit-learn's
//! `permutation_importance`). Model-agnostic, and measured on data the model
//! did not train on, so it is not inflated by over-fitting the way gain
//! importance can be.

use ndarray::ArrayView2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::metrics::roc_auc;
use crate::error::{Error, Result, ensure};
use crate::model::ChurnModel;

/// One feature's permutation importance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    /// Feature (design column) name.
    pub feature: String,
    /// Mean drop in ROC-AUC over the repeats (positive = the model relies on the feature).
    pub mean_drop: f64,
    /// Standard deviation of the drop over the repeats (divisor n − 1; 0 for one repeat).
    pub std_drop: f64,
}

/// Permutation importance of every feature of `model` on held-out rows `x`, `labels`,
/// sorted by mean drop (largest first). Each (feature, repeat) shuffle has its own
/// seeded stream, so results do not depend on the thread count.
///
/// # Errors
/// [`Error::InvalidParameter`] for `n_repeats == 0`, the scoring errors of the model
/// (column count, non-finite values), and those of [`roc_auc`].
///
/// ```
/// use churnguard::classify::LogisticRegression;
/// use churnguard::eval::permutation_importance;
/// use churnguard::model::Dataset;
/// let x = ndarray::Array2::from_shape_fn((200, 2), |(i, j)| if j == 0 { (i % 10) as f64 } else { ((i * 7) % 5) as f64 });
/// let y: Vec<bool> = (0..200).map(|i| i % 10 >= 6).collect();
/// let names = vec!["signal".to_string(), "noise".to_string()];
/// let model = LogisticRegression::params().fit(&Dataset::new(x.view(), &y, &names)?)?;
/// let imp = permutation_importance(&model, x.view(), &y, 3, 7)?;
/// assert_eq!(imp[0].feature, "signal");
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn permutation_importance(
    model: &dyn ChurnModel,
    x: ArrayView2<'_, f64>,
    labels: &[bool],
    n_repeats: usize,
    seed: u64,
) -> Result<Vec<PermutationImportance>> {
    ensure!(n_repeats > 0, Error::param("n_repeats", n_repeats, "need at least one repeat"));
    ensure!(
        x.nrows() == labels.len(),
        Error::ShapeMismatch { what: "labels vs rows", expected: x.nrows(), found: labels.len() }
    );
    let base_probs = model.predict_proba(x)?;
    let base = roc_auc(labels, &base_probs.to_vec())?;
    let names = model.feature_names().to_vec();
    let mut result = (0..x.ncols())
        .into_par_iter()
        .map(|j| {
            let mut shuffled = x.to_owned();
            let original: Vec<f64> = x.column(j).to_vec();
            let mut drops = Vec::with_capacity(n_repeats);
            for r in 0..n_repeats {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream((j * n_repeats + r) as u64 + 1);
                let mut column = original.clone();
                column.shuffle(&mut rng);
                shuffled.column_mut(j).iter_mut().zip(&column).for_each(|(d, &v)| *d = v);
                let probs = model.predict_proba(shuffled.view())?.to_vec();
                drops.push(base - roc_auc(labels, &probs)?);
            }
            let m = drops.len() as f64;
            let mean = drops.iter().sum::<f64>() / m;
            let std = if drops.len() > 1 {
                (drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt()
            } else {
                0.0
            };
            let feature = names.get(j).cloned().unwrap_or_else(|| format!("column {j}"));
            Ok(PermutationImportance { feature, mean_drop: mean, std_drop: std })
        })
        .collect::<Result<Vec<_>>>()?;
    result.sort_by(|a, b| b.mean_drop.total_cmp(&a.mean_drop).then(a.feature.cmp(&b.feature)));
    Ok(result)
}
