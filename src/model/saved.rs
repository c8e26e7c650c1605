//! The on-disk model format.
//!
//! A [`SavedModel`] is one JSON document holding everything needed to score:
//! the fitted preprocessor, the fitted model, the input feature names and —
//! for event pipelines — the feature spec, look-back and horizon. A file is
//! read in two steps: first its `format` tag and `format_version` are checked,
//! so a file from another version is refused with [`Error::ModelVersion`]
//! rather than misread; then the whole document is parsed and checked for
//! internal consistency.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ChurnModel;
use crate::classify::{
    FittedDecisionTree, FittedGradientBoosting, FittedLogisticRegression, FittedRandomForest, FittedSvm,
    StoredCalibrated,
};
use crate::error::{Error, Result, ensure};
use crate::eval::MetricSummary;
use crate::pipeline::PipelineSettings;
use crate::preprocess::Preprocessor;
use crate::time::Timestamp;

/// Version of the file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Value of the `format` field that marks a churnguard model file.
const FORMAT_TAG: &str = "churnguard-model";

/// A fitted model in serialisable form, tagged by kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "params", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StoredModel {
    /// [`FittedLogisticRegression`].
    LogisticRegression(FittedLogisticRegression),
    /// [`FittedGradientBoosting`].
    GradientBoosting(FittedGradientBoosting),
    /// [`FittedDecisionTree`].
    DecisionTree(FittedDecisionTree),
    /// [`FittedRandomForest`].
    RandomForest(FittedRandomForest),
    /// [`FittedCalibrated`](crate::classify::FittedCalibrated): a stored model and its calibrator.
    Calibrated(StoredCalibrated),
    /// [`FittedSvm`].
    Svm(FittedSvm),
}

impl StoredModel {
    /// Check the stored parameters for internal consistency.
    pub fn validate(&self) -> Result<()> {
        match self {
            StoredModel::LogisticRegression(m) => m.validate(),
            StoredModel::GradientBoosting(m) => m.validate(),
            StoredModel::DecisionTree(m) => m.validate(),
            StoredModel::RandomForest(m) => m.validate(),
            StoredModel::Calibrated(m) => m.validate(),
            StoredModel::Svm(m) => m.validate(),
        }
    }

    /// The live model.
    pub fn into_model(self) -> std::sync::Arc<dyn ChurnModel> {
        match self {
            StoredModel::LogisticRegression(m) => std::sync::Arc::new(m),
            StoredModel::GradientBoosting(m) => std::sync::Arc::new(m),
            StoredModel::DecisionTree(m) => std::sync::Arc::new(m),
            StoredModel::RandomForest(m) => std::sync::Arc::new(m),
            StoredModel::Calibrated(m) => std::sync::Arc::new(m.into_model()),
            StoredModel::Svm(m) => std::sync::Arc::new(m),
        }
    }
}

/// Facts about how a model was trained, kept with it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    /// Name of the model kind.
    pub model_name: String,
    /// Snapshot dates the training rows came from (empty for tabular data).
    pub trained_as_of: Vec<Timestamp>,
    /// Number of training rows.
    pub n_training_rows: usize,
    /// Share of churned rows in training.
    pub training_churn_rate: f64,
    /// Cross-validated metrics, if they were computed.
    pub cv: Option<MetricSummary>,
}

/// Everything needed to score, as written to disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// Always `"churnguard-model"`.
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Version of the churnguard crate that wrote the file.
    pub crate_version: String,
    /// Names of the raw input features (numeric, then categorical).
    pub input_features: Vec<String>,
    /// The fitted preprocessor.
    pub preprocessor: Preprocessor,
    /// The fitted model.
    pub model: StoredModel,
    /// Feature spec, look-back and horizon, for models fitted by a [`Pipeline`](crate::pipeline::Pipeline).
    pub pipeline: Option<PipelineSettings>,
    /// Training facts.
    pub metadata: ModelMetadata,
}

impl SavedModel {
    /// Assemble a saved model stamped with this build's format and crate version.
    pub fn new(
        preprocessor: Preprocessor,
        model: StoredModel,
        pipeline: Option<PipelineSettings>,
        metadata: ModelMetadata,
    ) -> Self {
        SavedModel {
            format: FORMAT_TAG.to_string(),
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            input_features: preprocessor.input_names(),
            preprocessor,
            model,
            pipeline,
            metadata,
        }
    }

    /// Serialise to pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::ModelFormat { message: e.to_string() })
    }

    /// Parse a model document, refusing other formats and versions.
    pub fn from_json(text: &str) -> Result<SavedModel> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::ModelFormat { message: format!("not JSON: {e}") })?;
        let tag = value.get("format").and_then(|v| v.as_str());
        ensure!(
            tag == Some(FORMAT_TAG),
            Error::ModelFormat { message: format!("`format` is {tag:?}, expected \"{FORMAT_TAG}\"") }
        );
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| Error::ModelFormat { message: "`format_version` is missing or not a number".into() })?;
        ensure!(
            found == u64::from(FORMAT_VERSION),
            Error::ModelVersion { found: u32::try_from(found).unwrap_or(u32::MAX), expected: FORMAT_VERSION }
        );
        let saved: SavedModel =
            serde_json::from_value(value).map_err(|e| Error::ModelFormat { message: e.to_string() })?;
        saved.check()?;
        Ok(saved)
    }

    /// Internal consistency: each part is well formed, and input names, preprocessor
    /// outputs and model features agree.
    fn check(&self) -> Result<()> {
        self.preprocessor.validate()?;
        self.model.validate()?;
        let inputs = self.preprocessor.input_names();
        ensure!(
            inputs == self.input_features,
            Error::FeatureMismatch { expected: self.input_features.clone(), found: inputs }
        );
        let model = self.model.clone().into_model();
        ensure!(
            model.feature_names() == self.preprocessor.output_names(),
            Error::FeatureMismatch {
                expected: model.feature_names().to_vec(),
                found: self.preprocessor.output_names().to_vec()
            }
        );
        Ok(())
    }

    /// Write to `path` as JSON.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()?).map_err(|e| Error::io(path, e))
    }

    /// Read from `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<SavedModel> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json(&text)
    }
}
