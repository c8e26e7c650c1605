//! [`Segmenter`]: k-means customer segments over chosen numeric feature columns.

use std::path::Path;

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::gmm::{GaussianMixtureParams, bic_curve};
use super::kmeans::{KMeansParams, assign, kmeans, silhouette};
use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;
use crate::preprocess::{Impute, PreprocessParams, Preprocessor, Scaling};

/// Version of the JSON written by [`Segmenter::to_json`]; bumped on any incompatible change.
pub const SEGMENTER_FORMAT_VERSION: u32 = 1;

/// Settings of a [`Segmenter`], with builder methods; [`fit`](Self::fit) checks them first.
///
/// ```
/// use churnguard::cluster::SegmenterParams;
/// let params = SegmenterParams::new(5).columns(["order_count_90d", "days_since_last_order"]).seed(7);
/// assert_eq!(params.kmeans.k, 5);
/// assert!(params.check().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmenterParams {
    /// Numeric columns to cluster on; empty means every numeric column of the matrix.
    pub columns: Vec<String>,
    /// The k-means settings (k, initialisations, iterations, tolerance, seed).
    pub kmeans: KMeansParams,
    /// Scaling applied before clustering (standard by default, so every column weighs the same).
    pub scaling: Scaling,
    /// Rows sampled (seeded) for the silhouette in [`choose_k`](Self::choose_k); the exact
    /// silhouette costs O(n²), so larger data is scored on a sample.
    pub silhouette_sample: usize,
}

impl SegmenterParams {
    /// `k` segments on all numeric columns, standard scaling, 10 initialisations, seed 42.
    pub fn new(k: usize) -> Self {
        SegmenterParams {
            columns: Vec::new(),
            kmeans: KMeansParams { k, ..KMeansParams::default() },
            scaling: Scaling::Standard,
            silhouette_sample: 2000,
        }
    }

    /// Cluster on these numeric columns only.
    pub fn columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Set the number of segments.
    pub fn k(mut self, k: usize) -> Self {
        self.kmeans.k = k;
        self
    }

    /// Set the number of k-means++ initialisations.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.kmeans.n_init = n_init;
        self
    }

    /// Set the maximum number of Lloyd iterations.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.kmeans.max_iter = max_iter;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.kmeans.seed = seed;
        self
    }

    /// Set the scaling.
    pub fn scaling(mut self, scaling: Scaling) -> Self {
        self.scaling = scaling;
        self
    }

    /// Set the silhouette sample size.
    pub fn silhouette_sample(mut self, rows: usize) -> Self {
        self.silhouette_sample = rows;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        self.kmeans.check()?;
        ensure!(
            self.silhouette_sample >= 2,
            Error::param("silhouette_sample", self.silhouette_sample, "need at least 2 rows")
        );
        Ok(())
    }

    /// The chosen numeric columns of `data` (all numeric columns if none were named).
    fn select(&self, data: &FeatureMatrix) -> Result<FeatureMatrix> {
        let names: Vec<String> =
            if self.columns.is_empty() { data.numeric_names().to_vec() } else { self.columns.clone() };
        ensure!(!names.is_empty(), Error::EmptyData { context: "no numeric columns to cluster on".into() });
        let mut idx = Vec::with_capacity(names.len());
        for name in &names {
            match data.numeric_index(name) {
                Some(j) => idx.push(j),
                None if data.categorical_column(name).is_some() => {
                    return Err(Error::param("columns", name, "only numeric columns can be clustered"));
                }
                None => return Err(Error::MissingFeature { name: name.clone() }),
            }
        }
        let numeric = data.numeric().select(Axis(1), &idx);
        FeatureMatrix::new(data.customer_ids().to_vec(), names, numeric, Vec::new())
    }

    /// Preprocessing for clustering: median imputation, no indicator columns, the chosen scaling.
    fn preprocess(&self) -> PreprocessParams {
        PreprocessParams::default().impute(Impute::Median).missing_indicators(false).scaling(self.scaling)
    }

    /// Fit the segmenter on `data`: select the columns, fit the scaling, run k-means.
    ///
    /// Missing values (`NaN`) are imputed with the column's training median; a constant
    /// column scales to all zeros and so does not influence the segments.
    ///
    /// # Errors
    /// Invalid settings; [`Error::MissingFeature`] for an unknown column;
    /// [`Error::EmptyData`] for no rows; [`Error::TooFewPoints`] when `k` exceeds the
    /// number of rows or of distinct (scaled) rows, e.g. when every column is constant.
    pub fn fit(&self, data: &FeatureMatrix) -> Result<Segmenter> {
        self.check()?;
        ensure!(data.n_rows() > 0, Error::EmptyData { context: "segmenter fit on no rows".into() });
        let selected = self.select(data)?;
        let preprocessor = self.preprocess().fit(&selected)?;
        let x = preprocessor.transform(&selected)?;
        let fit = kmeans(x.view(), &self.kmeans)?;
        Ok(Segmenter {
            params: self.clone(),
            columns: selected.numeric_names().to_vec(),
            preprocessor,
            centroids: fit.centroids,
            inertia: fit.inertia,
            iterations: fit.iterations,
        })
    }

    /// Fit one segmenter per `k` in `ks` and score each by the mean silhouette
    /// (on a seeded sample of [`silhouette_sample`](Self::silhouette_sample) rows) and
    /// inertia, so the curve can be inspected; the best k maximises the silhouette.
    ///
    /// # Errors
    /// As [`fit`](Self::fit); [`Error::InvalidParameter`] if `ks` is empty or contains a k below 2
    /// (the silhouette needs two clusters).
    pub fn choose_k(&self, data: &FeatureMatrix, ks: impl IntoIterator<Item = usize>) -> Result<KSelection> {
        let ks: Vec<usize> = ks.into_iter().collect();
        ensure!(!ks.is_empty(), Error::param("ks", "[]", "give at least one k"));
        if let Some(&bad) = ks.iter().find(|&&k| k < 2) {
            return Err(Error::param("ks", bad, "the silhouette needs k ≥ 2"));
        }
        let mut scores = Vec::with_capacity(ks.len());
        for &k in &ks {
            let seg = self.clone().k(k).fit(data)?;
            let x = seg.transform(data)?;
            let labels = assign(x.view(), seg.centroids.view());
            let s = silhouette(x.view(), &labels, self.silhouette_sample, self.kmeans.seed)?;
            scores.push(KScore { k, silhouette: s, inertia: seg.inertia });
        }
        let best_k = scores
            .iter()
            .fold(None::<&KScore>, |best, s| match best {
                Some(b) if b.silhouette >= s.silhouette => Some(b),
                _ => Some(s),
            })
            .map_or(ks[0], |s| s.k);
        Ok(KSelection { scores, best_k })
    }
}

impl SegmenterParams {
    /// BIC of a diagonal Gaussian mixture per k on the same selected, imputed and scaled
    /// columns a [`Segmenter`] would cluster (lower = better), using this segmenter's seed.
    /// For soft memberships fit [`gaussian_mixture`](super::gaussian_mixture) on
    /// [`Segmenter::transform`].
    ///
    /// # Errors
    /// As [`fit`](Self::fit) and [`bic_curve`](super::bic_curve).
    pub fn bic_curve(&self, data: &FeatureMatrix, ks: impl IntoIterator<Item = usize>) -> Result<Vec<(usize, f64)>> {
        self.check()?;
        ensure!(data.n_rows() > 0, Error::EmptyData { context: "BIC curve on no rows".into() });
        let selected = self.select(data)?;
        let x = self.preprocess().fit(&selected)?.transform(&selected)?;
        let params = GaussianMixtureParams { seed: self.kmeans.seed, ..GaussianMixtureParams::default() };
        bic_curve(x.view(), ks, &params)
    }
}

/// Silhouette and inertia of one candidate k.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    /// Number of segments.
    pub k: usize,
    /// Mean silhouette coefficient (−1..1, higher = better separated).
    pub silhouette: f64,
    /// Within-cluster sum of squares (in scaled units; always falls with k).
    pub inertia: f64,
}

/// The result of [`SegmenterParams::choose_k`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KSelection {
    /// One score per candidate k, in the order given.
    pub scores: Vec<KScore>,
    /// The k with the highest silhouette (the earliest on ties).
    pub best_k: usize,
}

/// A fitted k-means segmentation: column selection, scaling and centres.
///
/// ```
/// use churnguard::cluster::SegmenterParams;
/// use churnguard::features::FeatureMatrix;
/// let x = ndarray::array![[1.0, 10.0], [1.2, 11.0], [8.0, 1.0], [8.5, 0.5]];
/// let ids = (0..4).map(|i| format!("c{i}").into()).collect();
/// let data = FeatureMatrix::new(ids, vec!["orders".into(), "days_idle".into()], x, vec![])?;
/// let seg = SegmenterParams::new(2).fit(&data)?;
/// let labels = seg.predict(&data)?;
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[2]);
/// let reloaded = churnguard::cluster::Segmenter::from_json(&seg.to_json()?)?;
/// assert_eq!(reloaded.predict(&data)?, labels);
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segmenter {
    params: SegmenterParams,
    columns: Vec<String>,
    preprocessor: Preprocessor,
    centroids: Array2<f64>,
    inertia: f64,
    iterations: usize,
}

#[derive(Serialize)]
struct SavedRef<'a> {
    format_version: u32,
    segmenter: &'a Segmenter,
}

#[derive(Deserialize)]
struct SavedHeader {
    format_version: u32,
}

#[derive(Deserialize)]
struct SavedOwned {
    segmenter: Segmenter,
}

impl Segmenter {
    /// Number of segments.
    pub fn k(&self) -> usize {
        self.centroids.nrows()
    }

    /// The columns clustered on, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The settings it was fitted with.
    pub fn params(&self) -> &SegmenterParams {
        &self.params
    }

    /// Segment centres in scaled units (k × columns).
    pub fn centroids(&self) -> ArrayView2<'_, f64> {
        self.centroids.view()
    }

    /// Within-segment sum of squares on the training rows (scaled units).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Lloyd iterations of the kept initialisation.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The scaled design matrix of `data` over [`columns`](Self::columns).
    ///
    /// # Errors
    /// [`Error::MissingFeature`] if a column is absent.
    pub fn transform(&self, data: &FeatureMatrix) -> Result<Array2<f64>> {
        let selected = self.params.clone().columns(self.columns.iter().cloned()).select(data)?;
        self.preprocessor.transform(&selected)
    }

    /// The segment (0..k) of each row of `data` — training rows or new customers.
    ///
    /// # Errors
    /// [`Error::MissingFeature`] if a column is absent.
    pub fn predict(&self, data: &FeatureMatrix) -> Result<Vec<usize>> {
        let x = self.transform(data)?;
        Ok(assign(x.view(), self.centroids.view()))
    }

    /// JSON with a format version (see [`SEGMENTER_FORMAT_VERSION`]).
    ///
    /// # Errors
    /// [`Error::ModelFormat`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(&SavedRef { format_version: SEGMENTER_FORMAT_VERSION, segmenter: self })
            .map_err(|e| Error::ModelFormat { message: e.to_string() })
    }

    /// Read JSON written by [`to_json`](Self::to_json), refusing other format versions.
    ///
    /// # Errors
    /// [`Error::ModelVersion`] for another version, [`Error::ModelFormat`] for invalid JSON or
    /// an inconsistent segmenter (centres not matching the columns, non-finite centres).
    pub fn from_json(text: &str) -> Result<Segmenter> {
        let header: SavedHeader =
            serde_json::from_str(text).map_err(|e| Error::ModelFormat { message: e.to_string() })?;
        ensure!(
            header.format_version == SEGMENTER_FORMAT_VERSION,
            Error::ModelVersion { found: header.format_version, expected: SEGMENTER_FORMAT_VERSION }
        );
        let saved: SavedOwned =
            serde_json::from_str(text).map_err(|e| Error::ModelFormat { message: e.to_string() })?;
        let s = saved.segmenter;
        ensure!(
            s.centroids.nrows() >= 1
                && s.centroids.ncols() == s.columns.len()
                && s.preprocessor.output_names() == s.columns.as_slice()
                && s.centroids.iter().all(|v| v.is_finite()),
            Error::ModelFormat { message: "segment centres do not match the segmenter's columns".into() }
        );
        Ok(s)
    }

    /// Write [`to_json`](Self::to_json) to a file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()?).map_err(|e| Error::io(path, e))
    }

    /// Read a file written by [`save`](Self::save).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, otherwise as [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<Path>) -> Result<Segmenter> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Segmenter::from_json(&text)
    }
}
