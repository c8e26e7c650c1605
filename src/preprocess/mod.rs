//! Turn a mixed-type [`FeatureMatrix`] into the finite numeric design matrix
//! a learner fits on.
//!
//! Sits between [`features`](crate::features) and [`model`](crate::model).
//! [`PreprocessParams::fit`] learns everything from the training rows only —
//! imputation values, scaling statistics, category levels — so cross-validation
//! and backtests never see the test rows' distribution. The fitted
//! [`Preprocessor`] is serialised inside saved models, so scoring applies
//! exactly the training-time transformation.
//!
//! Output columns, in order: for each numeric input its scaled value, then
//! `{name}__missing` indicators (only for inputs that had missing values in
//! training); for each categorical input one `{name}={level}` column per level
//! seen in training (sorted), plus `{name}__missing` if missing values were seen.

use std::collections::HashMap;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;

/// How missing numeric values are filled.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "strategy", content = "value")]
pub enum Impute {
    /// The training median (robust to skew; the default).
    Median,
    /// The training mean.
    Mean,
    /// A fixed value.
    Constant(f64),
    /// No imputation: missing values stay `NaN` for learners that handle them natively
    /// (the tree models learn a direction for them); no indicator columns are added.
    Keep,
}

/// How numeric columns are scaled after imputation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Subtract the mean, divide by the standard deviation (population, ddof = 0).
    Standard,
    /// Subtract the median, divide by the interquartile range.
    Robust,
    /// Leave values as they are.
    None,
}

/// What to do with a category value not seen in training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCategory {
    /// Return [`Error::UnknownCategory`] naming the column and value (the default).
    Error,
    /// Encode it as all zeros (no level active), as if it were missing.
    Ignore,
}

/// Settings of a [`Preprocessor`], with builder methods.
///
/// ```
/// use churnguard::preprocess::{PreprocessParams, Scaling, UnknownCategory};
/// let params = PreprocessParams::default().scaling(Scaling::Robust).clip(5.0).unknown_category(UnknownCategory::Ignore);
/// assert_eq!(params.clip, Some(5.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreprocessParams {
    /// Imputation of missing numeric values.
    pub impute: Impute,
    /// Add `{name}__missing` indicator columns for inputs that had missing values in training.
    pub missing_indicators: bool,
    /// Scaling of numeric columns.
    pub scaling: Scaling,
    /// Clip scaled numeric values to `[-clip, clip]` (outlier control), if set.
    pub clip: Option<f64>,
    /// Policy for unseen category values.
    pub unknown_category: UnknownCategory,
}

impl Default for PreprocessParams {
    fn default() -> Self {
        PreprocessParams {
            impute: Impute::Median,
            missing_indicators: true,
            scaling: Scaling::Standard,
            clip: None,
            unknown_category: UnknownCategory::Error,
        }
    }
}

impl PreprocessParams {
    /// Set the imputation strategy.
    pub fn impute(mut self, impute: Impute) -> Self {
        self.impute = impute;
        self
    }

    /// Add or omit missing-value indicators.
    pub fn missing_indicators(mut self, on: bool) -> Self {
        self.missing_indicators = on;
        self
    }

    /// Set the scaling.
    pub fn scaling(mut self, scaling: Scaling) -> Self {
        self.scaling = scaling;
        self
    }

    /// Clip scaled values to `[-limit, limit]`.
    pub fn clip(mut self, limit: f64) -> Self {
        self.clip = Some(limit);
        self
    }

    /// Set the unknown-category policy.
    pub fn unknown_category(mut self, policy: UnknownCategory) -> Self {
        self.unknown_category = policy;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        if let Impute::Constant(v) = self.impute {
            ensure!(v.is_finite(), Error::param("impute", v, "the constant must be finite"));
        }
        if let Some(c) = self.clip {
            ensure!(c.is_finite() && c > 0.0, Error::param("clip", c, "must be a positive number"));
        }
        Ok(())
    }

    /// Learn the transformation from `data` (the training rows only).
    ///
    /// Errors: invalid settings, or [`Error::EmptyData`] for a matrix without rows.
    pub fn fit(&self, data: &FeatureMatrix) -> Result<Preprocessor> {
        self.check()?;
        ensure!(data.n_rows() > 0, Error::EmptyData { context: "preprocessor fit on no rows".into() });
        let x = data.numeric();
        let numeric = data
            .numeric_names()
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let mut observed: Vec<f64> = x.column(j).iter().copied().filter(|v| !v.is_nan()).collect();
                observed.sort_by(f64::total_cmp);
                let has_missing = observed.len() < x.nrows();
                // A column never observed in training is filled with 0 (and flagged), not an error:
                // e.g. sentiment when no customer in the training window wrote a review.
                let fill = match (self.impute, observed.is_empty()) {
                    (Impute::Keep, _) => None,
                    (_, true) => Some(0.0),
                    (Impute::Median, false) => Some(quantile(&observed, 0.5)),
                    (Impute::Mean, false) => Some(observed.iter().sum::<f64>() / observed.len() as f64),
                    (Impute::Constant(v), false) => Some(v),
                };
                // Scaling statistics over the imputed column, as scikit-learn's imputer → scaler pipeline does
                // (over the observed values when missing values are kept).
                let filled: Vec<f64> =
                    x.column(j).iter().filter_map(|&v| if v.is_nan() { fill } else { Some(v) }).collect();
                let n = filled.len().max(1) as f64;
                let (center, scale) = match self.scaling {
                    Scaling::None => (0.0, 1.0),
                    Scaling::Standard => {
                        let mean = filled.iter().sum::<f64>() / n;
                        let var = filled.iter().map(|&v| (v - mean).powi(2)).sum::<f64>() / n;
                        (mean, var.sqrt())
                    }
                    Scaling::Robust if filled.is_empty() => (0.0, 1.0),
                    Scaling::Robust => {
                        let mut all = filled;
                        all.sort_by(f64::total_cmp);
                        (quantile(&all, 0.5), quantile(&all, 0.75) - quantile(&all, 0.25))
                    }
                };
                NumericPlan {
                    name: name.clone(),
                    fill,
                    center,
                    // A constant column becomes all zeros rather than NaN.
                    scale: if scale > 1e-12 { scale } else { 1.0 },
                    indicator: self.missing_indicators && has_missing && self.impute != Impute::Keep,
                }
            })
            .collect::<Vec<_>>();
        let categorical = data
            .categorical()
            .iter()
            .map(|c| {
                let mut levels: Vec<String> = c.iter().flatten().map(str::to_string).collect();
                levels.sort();
                levels.dedup();
                CategoricalPlan { name: c.name().to_string(), levels, missing_column: c.iter().any(|v| v.is_none()) }
            })
            .collect::<Vec<_>>();
        let (output_names, output_sources) = layout(&numeric, &categorical);
        Ok(Preprocessor { params: *self, numeric, categorical, output_names, output_sources })
    }
}

/// Output column names and, for each, the index of the input it comes from.
fn layout(numeric: &[NumericPlan], categorical: &[CategoricalPlan]) -> (Vec<String>, Vec<usize>) {
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for (j, p) in numeric.iter().enumerate() {
        names.push(p.name.clone());
        sources.push(j);
    }
    for (j, p) in numeric.iter().enumerate().filter(|(_, p)| p.indicator) {
        names.push(format!("{}__missing", p.name));
        sources.push(j);
    }
    for (k, c) in categorical.iter().enumerate() {
        for level in &c.levels {
            names.push(format!("{}={}", c.name, level));
            sources.push(numeric.len() + k);
        }
        if c.missing_column {
            names.push(format!("{}__missing", c.name));
            sources.push(numeric.len() + k);
        }
    }
    (names, sources)
}

/// Linear-interpolation quantile of sorted, non-empty values (NumPy's default method).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct NumericPlan {
    name: String,
    /// `None` when missing values are kept (`Impute::Keep`).
    fill: Option<f64>,
    center: f64,
    scale: f64,
    indicator: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CategoricalPlan {
    name: String,
    levels: Vec<String>,
    missing_column: bool,
}

/// A fitted preprocessing transformation (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    params: PreprocessParams,
    numeric: Vec<NumericPlan>,
    categorical: Vec<CategoricalPlan>,
    output_names: Vec<String>,
    output_sources: Vec<usize>,
}

impl Preprocessor {
    /// Default settings, to adjust with the builder methods and then [`fit`](PreprocessParams::fit).
    pub fn params() -> PreprocessParams {
        PreprocessParams::default()
    }

    /// The settings it was fitted with.
    pub fn settings(&self) -> &PreprocessParams {
        &self.params
    }

    /// Names of the input features it expects (numeric, then categorical).
    pub fn input_names(&self) -> Vec<String> {
        self.numeric.iter().map(|p| p.name.clone()).chain(self.categorical.iter().map(|c| c.name.clone())).collect()
    }

    /// Names of the output (design) columns.
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// For each output column, the index into [`input_names`](Self::input_names) it comes from.
    pub fn output_sources(&self) -> &[usize] {
        &self.output_sources
    }

    /// Check internal consistency (used when a preprocessor is read from a file):
    /// output columns match the per-input plans, statistics are finite, scales positive.
    pub fn validate(&self) -> Result<()> {
        let (names, sources) = layout(&self.numeric, &self.categorical);
        ensure!(
            names == self.output_names && sources == self.output_sources,
            Error::ModelFormat { message: "preprocessor output columns do not match its per-column plans".into() }
        );
        for p in &self.numeric {
            ensure!(
                p.fill.is_none_or(f64::is_finite)
                    && (p.fill.is_some() || self.params.impute == Impute::Keep)
                    && p.center.is_finite()
                    && p.scale.is_finite()
                    && p.scale > 0.0,
                Error::ModelFormat {
                    message: format!("preprocessor statistics for `{}` are not finite and positive", p.name)
                }
            );
        }
        Ok(())
    }

    /// Transform `data` into the design matrix. Columns are matched by name, so
    /// their order may differ from training; extra columns are ignored.
    ///
    /// Errors: [`Error::MissingFeature`] if an input feature is absent,
    /// [`Error::UnknownCategory`] for an unseen category under the `Error` policy.
    pub fn transform(&self, data: &FeatureMatrix) -> Result<Array2<f64>> {
        let n = data.n_rows();
        let width = self.output_names.len();
        let x = data.numeric();
        let clip = self.params.clip.unwrap_or(f64::INFINITY);
        // Where each output column reads from, resolved once; rows are then filled in
        // order (row-major, like the output) and in parallel.
        let mut numeric = Vec::with_capacity(self.numeric.len());
        let mut indicators = Vec::new();
        for p in &self.numeric {
            let j = data.numeric_index(&p.name).ok_or_else(|| Error::MissingFeature { name: p.name.clone() })?;
            // With `Impute::Keep` there is no fill: NaN stays NaN through scaling and clipping.
            numeric.push((j, p.fill.unwrap_or(f64::NAN), p.center, p.scale));
            if p.indicator {
                indicators.push(j);
            }
        }
        let mut categorical = Vec::with_capacity(self.categorical.len());
        let mut col = numeric.len() + indicators.len();
        for c in &self.categorical {
            let column =
                data.categorical_column(&c.name).ok_or_else(|| Error::MissingFeature { name: c.name.clone() })?;
            let index: HashMap<&str, usize> = c.levels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
            // The column's levels are the values present, in order of first appearance, so the
            // first unknown level is the first unknown value in row order.
            let mut output_of_code = Vec::with_capacity(column.levels().len());
            for level in column.levels() {
                match index.get(level.as_str()) {
                    Some(&i) => output_of_code.push(Some(col + i)),
                    None if self.params.unknown_category == UnknownCategory::Error => {
                        return Err(Error::UnknownCategory { column: c.name.clone(), value: level.clone() });
                    }
                    None => output_of_code.push(None),
                }
            }
            let missing = c.missing_column.then_some(col + c.levels.len());
            categorical.push((column.codes(), output_of_code, missing));
            col += c.levels.len() + usize::from(c.missing_column);
        }
        let mut out = vec![0.0; n * width];
        if width > 0 {
            out.par_chunks_mut(width).enumerate().with_min_len(256).for_each(|(r, row)| {
                let xr = x.row(r);
                for (slot, &(j, fill, center, scale)) in row.iter_mut().zip(&numeric) {
                    let v = xr[j];
                    let v = if v.is_nan() { fill } else { v };
                    *slot = ((v - center) / scale).clamp(-clip, clip);
                }
                for (slot, &j) in row[numeric.len()..].iter_mut().zip(&indicators) {
                    *slot = if xr[j].is_nan() { 1.0 } else { 0.0 };
                }
                for (codes, output_of_code, missing) in &categorical {
                    let target = match codes.get(r).copied().flatten() {
                        Some(code) => output_of_code.get(code as usize).copied().flatten(),
                        None => *missing,
                    };
                    if let Some(slot) = target.and_then(|o| row.get_mut(o)) {
                        *slot = 1.0;
                    }
                }
            });
        }
        let len = out.len();
        Array2::from_shape_vec((n, width), out).map_err(|_| Error::ShapeMismatch {
            what: "transformed values",
            expected: n * width,
            found: len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CustomerId;
    use crate::features::CategoricalColumn;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    fn matrix(x: Array2<f64>, cat: Vec<Option<&str>>) -> FeatureMatrix {
        let ids = (0..x.nrows()).map(|i| CustomerId::new(format!("c{i}"))).collect();
        FeatureMatrix::new(ids, vec!["a".into(), "b".into()], x, vec![CategoricalColumn::from_values("plan", cat)])
            .unwrap()
    }

    #[test]
    fn imputes_scales_and_encodes_from_training_rows_only() {
        let train = matrix(array![[1.0, 10.0], [f64::NAN, 10.0], [3.0, 10.0]], vec![Some("pro"), Some("basic"), None]);
        let p = Preprocessor::params().fit(&train).unwrap();
        assert_eq!(p.output_names(), &["a", "b", "a__missing", "plan=basic", "plan=pro", "plan__missing"]);
        let t = p.transform(&train).unwrap();
        // a: median fill 2 → [1,2,3], mean 2, population sd sqrt(2/3).
        let sd = (2.0f64 / 3.0).sqrt();
        assert_abs_diff_eq!(t[[0, 0]], -1.0 / sd, epsilon = 1e-12);
        assert_abs_diff_eq!(t[[1, 0]], 0.0, epsilon = 1e-12);
        // b is constant: centred to 0, not NaN.
        assert_eq!(t.column(1).to_vec(), vec![0.0, 0.0, 0.0]);
        assert_eq!(t.column(2).to_vec(), vec![0.0, 1.0, 0.0]);
        assert_eq!(t.row(0).slice(ndarray::s![3..]).to_vec(), vec![0.0, 1.0, 0.0]);
        assert_eq!(t.row(2).slice(ndarray::s![3..]).to_vec(), vec![0.0, 0.0, 1.0]);
        // Test rows use training statistics.
        let test = matrix(array![[5.0, 12.0]], vec![Some("basic")]);
        let u = p.transform(&test).unwrap();
        assert_abs_diff_eq!(u[[0, 0]], 3.0 / sd, epsilon = 1e-12);
        assert_abs_diff_eq!(u[[0, 1]], 2.0, epsilon = 1e-12);
    }

    #[test]
    fn unknown_category_is_an_error_or_ignored_by_policy() {
        let train = matrix(array![[1.0, 2.0], [2.0, 3.0]], vec![Some("pro"), Some("basic")]);
        let test = matrix(array![[1.0, 2.0]], vec![Some("enterprise")]);
        let strict = Preprocessor::params().fit(&train).unwrap();
        let err = strict.transform(&test).unwrap_err();
        assert!(
            matches!(err, Error::UnknownCategory { ref column, ref value } if column == "plan" && value == "enterprise")
        );
        let lenient = Preprocessor::params().unknown_category(UnknownCategory::Ignore).fit(&train).unwrap();
        let t = lenient.transform(&test).unwrap();
        assert_eq!(t.row(0).slice(ndarray::s![2..]).to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn missing_feature_and_bad_settings_are_errors() {
        let train = matrix(array![[1.0, 2.0], [2.0, 3.0]], vec![Some("pro"), Some("basic")]);
        let p = Preprocessor::params().fit(&train).unwrap();
        let ids = vec![CustomerId::new("x")];
        let other = FeatureMatrix::new(ids, vec!["a".into()], array![[1.0]], vec![]).unwrap();
        assert!(matches!(p.transform(&other), Err(Error::MissingFeature { ref name }) if name == "b"));
        assert!(matches!(
            Preprocessor::params().clip(-1.0).fit(&train),
            Err(Error::InvalidParameter { name: "clip", .. })
        ));
        assert!(matches!(
            Preprocessor::params().impute(Impute::Constant(f64::NAN)).fit(&train),
            Err(Error::InvalidParameter { name: "impute", .. })
        ));
    }

    #[test]
    fn robust_scaling_and_clipping() {
        let train = matrix(array![[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0], [100.0, 0.0]], vec![None; 5]);
        let p = Preprocessor::params().scaling(Scaling::Robust).clip(3.0).fit(&train).unwrap();
        let t = p.transform(&train).unwrap();
        // median 3, IQR 4 − 2 = 2 (NumPy linear quantiles).
        assert_abs_diff_eq!(t[[0, 0]], -1.0, epsilon = 1e-12);
        assert_abs_diff_eq!(t[[4, 0]], 3.0, epsilon = 1e-12); // (100 − 3)/2 clipped to 3
    }

    #[test]
    fn keep_leaves_missing_values_for_native_handling() {
        let train = matrix(array![[1.0, 2.0], [f64::NAN, 4.0], [3.0, 6.0]], vec![Some("a"), Some("b"), Some("a")]);
        let p = Preprocessor::params().impute(Impute::Keep).fit(&train).unwrap();
        assert!(!p.output_names().iter().any(|n| n.ends_with("__missing")));
        let t = p.transform(&train).unwrap();
        assert!(t[[1, 0]].is_nan());
        // Scaled over the observed values 1 and 3: mean 2, sd 1.
        assert_abs_diff_eq!(t[[0, 0]], -1.0, epsilon = 1e-12);
        assert_abs_diff_eq!(t[[2, 0]], 1.0, epsilon = 1e-12);
        // A preprocessor with kept missing values validates and round-trips through JSON.
        p.validate().unwrap();
        let back: Preprocessor = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn survives_a_serde_round_trip() {
        let train = matrix(array![[1.0, f64::NAN], [2.0, 3.0]], vec![Some("pro"), None]);
        let p = Preprocessor::params().fit(&train).unwrap();
        let back: Preprocessor = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.transform(&train).unwrap(), p.transform(&train).unwrap());
    }
}
