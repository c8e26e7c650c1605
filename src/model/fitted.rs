//! [`FittedModel`]: a fitted preprocessor and model that score raw feature rows.

use std::path::Path;
use std::sync::Arc;

use ndarray::Array1;

use super::reason::{Reason, ReasonIndex, ReasonScratch};
use super::{ChurnModel, Explanation, ModelMetadata, SavedModel};
use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;
use crate::preprocess::Preprocessor;

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
        let index = self.reason_index(data);
        let sources = self.preprocessor.output_sources();
        index.top(sources, data, row, &contributions, k, &mut ReasonScratch::default()).into_vec()
    }

    /// Where each input feature of the preprocessor sits in `data`, computed once per
    /// matrix so that naming the reasons of many rows does no name lookups.
    pub(crate) fn reason_index(&self, data: &FeatureMatrix) -> ReasonIndex {
        ReasonIndex::new(self.preprocessor.input_names(), data)
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
