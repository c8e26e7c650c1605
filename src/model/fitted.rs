//! [`FittedModel`]: a fitted preprocessor and model that score raw feature rows.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::{ChurnModel, Explanation, ModelMetadata, SavedModel};
use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;
use crate::preprocess::Preprocessor;

/// A reason behind a score, named by the raw input feature.
///
/// Contributions of the design columns derived from one input (its scaled
/// value and missing indicator, or its one-hot levels) are summed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Input feature name (e.g. `days_since_last_order`, `region`): shared text, so
    /// naming the reasons of a whole population does not copy the names per customer
    /// (`&*reason.feature` or `reason.feature.as_ref()` gives the `&str`).
    pub feature: Arc<str>,
    /// The raw numeric value (`None` for categorical or missing values).
    pub value: Option<f64>,
    /// The category, for categorical features.
    pub category: Option<String>,
    /// Signed effect on the log-odds of churn compared with the average training
    /// customer; positive raises the risk.
    pub contribution: f64,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.category, self.value) {
            (Some(c), _) => write!(f, "{} = {}", self.feature, c),
            (None, Some(v)) => write!(f, "{} = {}", self.feature, format_value(v)),
            (None, None) => write!(f, "{} missing", self.feature),
        }?;
        write!(f, " ({:+.2})", self.contribution)
    }
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// Positions of a preprocessor's input features in one [`FeatureMatrix`].
#[derive(Clone, Debug)]
pub(crate) struct ReasonIndex {
    names: Vec<Arc<str>>,
    /// Position of each name in alphabetical order (ties between equal contributions).
    name_rank: Vec<usize>,
    numeric: Vec<Option<usize>>,
    categorical: Vec<Option<usize>>,
}

impl ReasonIndex {
    /// The same index with its own copies of the names: reasons cloned from it touch
    /// reference counts no other thread shares (clones of one shared name from two
    /// threads would pass its cache line back and forth).
    pub(crate) fn for_one_thread(&self) -> ReasonIndex {
        ReasonIndex {
            names: self.names.iter().map(|n| Arc::from(&**n)).collect(),
            name_rank: self.name_rank.clone(),
            numeric: self.numeric.clone(),
            categorical: self.categorical.clone(),
        }
    }
}

/// Buffers reused by [`FittedModel::top_reasons`] across rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReasonScratch {
    totals: Vec<f64>,
    best: Vec<usize>,
}

/// A fitted [`Preprocessor`] plus a fitted [`ChurnModel`]: scores raw
/// [`FeatureMatrix`] rows and names the reasons. Cheap to clone (the model is shared).
#[derive(Clone, Debug)]
pub struct FittedModel {
    preprocessor: Preprocessor,
    model: Arc<dyn ChurnModel>,
    metadata: ModelMetadata,
}

impl FittedModel {
    /// Bundle a preprocessor and a model fitted on its output.
    ///
    /// Errors: [`Error::FeatureMismatch`] if the model's features are not the preprocessor's outputs.
    pub fn new(preprocessor: Preprocessor, model: Arc<dyn ChurnModel>, metadata: ModelMetadata) -> Result<Self> {
        ensure!(
            model.feature_names() == preprocessor.output_names(),
            Error::FeatureMismatch {
                expected: model.feature_names().to_vec(),
                found: preprocessor.output_names().to_vec()
            }
        );
        Ok(FittedModel { preprocessor, model, metadata })
    }

    /// The preprocessor.
    pub fn preprocessor(&self) -> &Preprocessor {
        &self.preprocessor
    }

    /// The model.
    pub fn model(&self) -> &Arc<dyn ChurnModel> {
        &self.model
    }

    /// Training facts.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    /// Churn probability of every row of `data`.
    pub fn predict_proba(&self, data: &FeatureMatrix) -> Result<Array1<f64>> {
        let x = self.preprocessor.transform(data)?;
        self.model.predict_proba(x.view())
    }

    /// Design-level explanation of row `row` of `data`.
    pub fn explain(&self, data: &FeatureMatrix, row: usize) -> Result<Explanation> {
        ensure!(
            row < data.n_rows(),
            Error::ShapeMismatch { what: "row index vs rows", expected: data.n_rows(), found: row }
        );
        let one = data.select_rows(&[row])?;
        let x = self.preprocessor.transform(&one)?;
        self.model.explain(x.row(0))
    }

    /// The `k` input features that raise the churn risk of row `row` most
    /// (largest signed contribution first).
    pub fn reasons(&self, data: &FeatureMatrix, row: usize, k: usize) -> Result<Vec<Reason>> {
        let explanation = self.explain(data, row)?;
        Ok(self.reasons_from(data, row, &explanation, k))
    }

    /// Aggregate an explanation of row `row` into input-level reasons.
    pub(crate) fn reasons_from(&self, data: &FeatureMatrix, row: usize, e: &Explanation, k: usize) -> Vec<Reason> {
        let contributions: Vec<f64> = e.contributions.iter().map(|c| c.contribution).collect();
        self.top_reasons(&self.reason_index(data), data, row, &contributions, k, &mut ReasonScratch::default())
    }

    /// Where each input feature of the preprocessor sits in `data`, computed once per
    /// matrix so that naming the reasons of many rows does no name lookups.
    pub(crate) fn reason_index(&self, data: &FeatureMatrix) -> ReasonIndex {
        let names: Vec<Arc<str>> = self.preprocessor.input_names().into_iter().map(Arc::from).collect();
        let numeric = names.iter().map(|n| data.numeric_index(n)).collect();
        let categorical = names.iter().map(|n| data.categorical().iter().position(|c| c.name() == &**n)).collect();
        let mut alphabetical: Vec<usize> = (0..names.len()).collect();
        alphabetical.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut name_rank = vec![0; names.len()];
        for (rank, &i) in alphabetical.iter().enumerate() {
            name_rank[i] = rank;
        }
        ReasonIndex { names, name_rank, numeric, categorical }
    }

    /// The `k` inputs with the largest summed design-column `contributions` of row `row`
    /// (ties by name), as reasons.
    pub(crate) fn top_reasons(
        &self,
        index: &ReasonIndex,
        data: &FeatureMatrix,
        row: usize,
        contributions: &[f64],
        k: usize,
        scratch: &mut ReasonScratch,
    ) -> Vec<Reason> {
        if k == 0 {
            return Vec::new();
        }
        let ReasonScratch { totals, best } = scratch;
        totals.clear();
        totals.resize(index.names.len(), 0.0);
        for (c, &src) in contributions.iter().zip(self.preprocessor.output_sources()) {
            if let Some(t) = totals.get_mut(src) {
                *t += c;
            }
        }
        let totals = &*totals;
        // Largest contribution first, ties by name (compared through precomputed ranks).
        let before = |a: usize, b: usize| {
            totals[a].total_cmp(&totals[b]).then(index.name_rank[b].cmp(&index.name_rank[a])).is_gt()
        };
        // Top k by insertion into a short sorted list: k is small (a handful of reasons).
        best.clear();
        for i in 0..totals.len() {
            if best.len() == k && best.last().is_some_and(|&last| !before(i, last)) {
                continue;
            }
            let at = best.partition_point(|&b| before(b, i));
            best.insert(at, i);
            best.truncate(k);
        }
        best.iter()
            .map(|&i| {
                let value =
                    index.numeric[i].and_then(|j| data.numeric().get((row, j)).copied()).filter(|v| !v.is_nan());
                let category = index.categorical[i]
                    .and_then(|j| data.categorical().get(j))
                    .and_then(|c| c.get(row))
                    .map(str::to_string);
                Reason { feature: index.names[i].clone(), value, category, contribution: totals[i] }
            })
            .collect()
    }

    /// The serialisable form (no pipeline settings).
    pub fn to_saved(&self) -> Result<SavedModel> {
        Ok(SavedModel::new(self.preprocessor.clone(), self.model.to_stored()?, None, self.metadata.clone()))
    }

    /// Rebuild from a saved model.
    pub fn from_saved(saved: SavedModel) -> Result<Self> {
        FittedModel::new(saved.preprocessor, saved.model.into_model(), saved.metadata)
    }

    /// Save to `path` (JSON).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.to_saved()?.write(path)
    }

    /// Load from `path`, refusing other format versions and inconsistent files.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_saved(SavedModel::read(path)?)
    }
}
