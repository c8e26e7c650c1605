//! [`FeatureMatrix`] and [`LabeledMatrix`]: the raw, mixed-type table that
//! feeds the [`Preprocessor`](crate::preprocess::Preprocessor).
//!
//! Numeric features are one row-major `Array2<f64>` in which `NaN` means
//! "missing" (imputed later); categorical features are dictionary-encoded
//! columns (as an Arrow dictionary array would be). Infinite values are never
//! allowed.

use std::collections::{HashMap, HashSet};

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::data::CustomerId;
use crate::error::{Error, Result, ensure};

/// One dictionary-encoded categorical column. `None` codes are missing values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoricalColumn {
    name: String,
    levels: Vec<String>,
    codes: Vec<Option<u32>>,
}

impl CategoricalColumn {
    /// Build a column from values (`None` = missing).
    pub fn from_values<S: AsRef<str>>(name: impl Into<String>, values: impl IntoIterator<Item = Option<S>>) -> Self {
        let mut levels: Vec<String> = Vec::new();
        let mut lookup: HashMap<String, u32> = HashMap::new();
        let codes = values
            .into_iter()
            .map(|v| {
                v.map(|s| {
                    let s = s.as_ref();
                    // Profile columns have a handful of levels: a scan beats hashing each value.
                    let found = if levels.len() <= 16 {
                        levels.iter().position(|l| l == s).map(|c| c as u32)
                    } else {
                        lookup.get(s).copied()
                    };
                    match found {
                        Some(c) => c,
                        None => {
                            let c = levels.len() as u32;
                            levels.push(s.to_string());
                            lookup.insert(s.to_string(), c);
                            c
                        }
                    }
                })
            })
            .collect();
        CategoricalColumn { name: name.into(), levels, codes }
    }

    /// Column name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Distinct values seen, in order of first appearance.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The value at `row` (`None` if missing or out of range).
    pub fn get(&self, row: usize) -> Option<&str> {
        self.codes.get(row).copied().flatten().and_then(|c| self.levels.get(c as usize)).map(String::as_str)
    }

    /// Iterate over the values.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.codes.iter().map(|c| c.and_then(|c| self.levels.get(c as usize)).map(String::as_str))
    }

    /// Dictionary codes per row (`None` = missing), indices into [`levels`](Self::levels).
    pub(crate) fn codes(&self) -> &[Option<u32>] {
        &self.codes
    }

    fn select(&self, rows: &[usize]) -> Self {
        CategoricalColumn::from_values(self.name.clone(), rows.iter().map(|&r| self.get(r)))
    }
}

/// Point-in-time features of a set of customers (one row each), before preprocessing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureMatrix {
    customer_ids: Vec<CustomerId>,
    numeric_names: Vec<String>,
    numeric: Array2<f64>,
    categorical: Vec<CategoricalColumn>,
}

impl FeatureMatrix {
    /// Assemble a matrix, checking that sizes agree, names are unique and no
    /// numeric value is infinite (`NaN` is allowed and means missing).
    pub fn new(
        customer_ids: Vec<CustomerId>,
        numeric_names: Vec<String>,
        numeric: Array2<f64>,
        categorical: Vec<CategoricalColumn>,
    ) -> Result<Self> {
        let n = customer_ids.len();
        ensure!(
            numeric.nrows() == n,
            Error::ShapeMismatch { what: "numeric rows vs customer ids", expected: n, found: numeric.nrows() }
        );
        ensure!(
            numeric.ncols() == numeric_names.len(),
            Error::ShapeMismatch {
                what: "numeric columns vs names",
                expected: numeric_names.len(),
                found: numeric.ncols()
            }
        );
        for c in &categorical {
            ensure!(
                c.len() == n,
                Error::ShapeMismatch { what: "categorical rows vs customer ids", expected: n, found: c.len() }
            );
        }
        let mut seen = HashSet::new();
        for name in numeric_names.iter().map(String::as_str).chain(categorical.iter().map(|c| c.name())) {
            ensure!(seen.insert(name), Error::param("feature name", name, "appears twice"));
        }
        if let Some(k) = numeric.iter().position(|v| v.is_infinite()) {
            let (row, col) = (k / numeric.ncols().max(1), k % numeric.ncols().max(1));
            let value = numeric.get((row, col)).copied().unwrap_or(f64::INFINITY);
            let column = numeric_names.get(col).cloned().unwrap_or_default();
            return Err(Error::NonFinite { column, row, value });
        }
        Ok(FeatureMatrix { customer_ids, numeric_names, numeric, categorical })
    }

    /// Number of rows (customers).
    pub fn n_rows(&self) -> usize {
        self.customer_ids.len()
    }

    /// Number of feature columns (numeric plus categorical).
    pub fn n_features(&self) -> usize {
        self.numeric_names.len() + self.categorical.len()
    }

    /// The customer of each row.
    pub fn customer_ids(&self) -> &[CustomerId] {
        &self.customer_ids
    }

    /// The customer of each row, by value (the rest of the matrix is dropped).
    pub(crate) fn into_customer_ids(self) -> Vec<CustomerId> {
        self.customer_ids
    }

    /// Names of the numeric columns.
    pub fn numeric_names(&self) -> &[String] {
        &self.numeric_names
    }

    /// Numeric values, rows × numeric columns; `NaN` = missing.
    pub fn numeric(&self) -> ArrayView2<'_, f64> {
        self.numeric.view()
    }

    /// Categorical columns.
    pub fn categorical(&self) -> &[CategoricalColumn] {
        &self.categorical
    }

    /// All feature names: numeric first, then categorical.
    pub fn names(&self) -> Vec<String> {
        self.numeric_names.iter().cloned().chain(self.categorical.iter().map(|c| c.name.clone())).collect()
    }

    /// Index of a numeric column by name.
    pub fn numeric_index(&self, name: &str) -> Option<usize> {
        self.numeric_names.iter().position(|n| n == name)
    }

    /// A numeric column by name.
    pub fn numeric_column(&self, name: &str) -> Option<ndarray::ArrayView1<'_, f64>> {
        self.numeric_index(name).map(|j| self.numeric.column(j))
    }

    /// A categorical column by name.
    pub fn categorical_column(&self, name: &str) -> Option<&CategoricalColumn> {
        self.categorical.iter().find(|c| c.name == name)
    }

    /// The rows at `rows` (in that order; repeats allowed). Out-of-range indices are an error.
    pub fn select_rows(&self, rows: &[usize]) -> Result<FeatureMatrix> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.n_rows()) {
            return Err(Error::ShapeMismatch { what: "row index vs rows", expected: self.n_rows(), found: bad });
        }
        Ok(FeatureMatrix {
            customer_ids: rows.iter().map(|&r| self.customer_ids[r].clone()).collect(),
            numeric_names: self.numeric_names.clone(),
            numeric: self.numeric.select(Axis(0), rows),
            categorical: self.categorical.iter().map(|c| c.select(rows)).collect(),
        })
    }

    /// Stack matrices with the same columns (e.g. snapshots at several dates).
    pub fn vstack(parts: &[FeatureMatrix]) -> Result<FeatureMatrix> {
        let first = parts.first().ok_or_else(|| Error::EmptyData { context: "vstack of no matrices".into() })?;
        let names = first.names();
        for p in parts {
            ensure!(p.names() == names, Error::FeatureMismatch { expected: names.clone(), found: p.names() });
        }
        let views: Vec<_> = parts.iter().map(|p| p.numeric.view()).collect();
        let numeric = ndarray::concatenate(Axis(0), &views)
            .map_err(|e| Error::EmptyData { context: format!("cannot stack numeric parts: {e}") })?;
        let categorical = (0..first.categorical.len())
            .map(|j| {
                CategoricalColumn::from_values(
                    first.categorical[j].name.clone(),
                    parts.iter().flat_map(|p| p.categorical[j].iter()),
                )
            })
            .collect();
        Ok(FeatureMatrix {
            customer_ids: parts.iter().flat_map(|p| p.customer_ids.iter().cloned()).collect(),
            numeric_names: first.numeric_names.clone(),
            numeric,
            categorical,
        })
    }
}

/// Features plus the churn label of each row (`true` = churned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabeledMatrix {
    features: FeatureMatrix,
    labels: Vec<bool>,
}

impl LabeledMatrix {
    /// Pair features with labels (one per row).
    pub fn new(features: FeatureMatrix, labels: Vec<bool>) -> Result<Self> {
        ensure!(
            labels.len() == features.n_rows(),
            Error::ShapeMismatch { what: "labels vs rows", expected: features.n_rows(), found: labels.len() }
        );
        Ok(LabeledMatrix { features, labels })
    }

    /// The features.
    pub fn features(&self) -> &FeatureMatrix {
        &self.features
    }

    /// The labels (`true` = churned).
    pub fn labels(&self) -> &[bool] {
        &self.labels
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }

    /// Share of rows labelled churned (0 for an empty matrix).
    pub fn churn_rate(&self) -> f64 {
        if self.labels.is_empty() {
            return 0.0;
        }
        self.labels.iter().filter(|&&l| l).count() as f64 / self.labels.len() as f64
    }

    /// Error unless both classes are present.
    pub fn check_both_classes(&self) -> Result<()> {
        ensure!(!self.labels.is_empty(), Error::EmptyData { context: "no labelled rows".into() });
        let positives = self.labels.iter().filter(|&&l| l).count();
        ensure!(
            positives > 0 && positives < self.labels.len(),
            Error::SingleClass { class: positives > 0, n: self.labels.len() }
        );
        Ok(())
    }

    /// The rows at `rows`.
    pub fn select_rows(&self, rows: &[usize]) -> Result<LabeledMatrix> {
        Ok(LabeledMatrix {
            features: self.features.select_rows(rows)?,
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
        })
    }

    /// Stack several labelled matrices with the same columns.
    pub fn vstack(parts: &[LabeledMatrix]) -> Result<LabeledMatrix> {
        let features: Vec<FeatureMatrix> = parts.iter().map(|p| p.features.clone()).collect();
        Ok(LabeledMatrix {
            features: FeatureMatrix::vstack(&features)?,
            labels: parts.iter().flat_map(|p| p.labels.iter().copied()).collect(),
        })
    }

    /// Split into features and labels.
    pub fn into_parts(self) -> (FeatureMatrix, Vec<bool>) {
        (self.features, self.labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn ids(n: usize) -> Vec<CustomerId> {
        (0..n).map(|i| CustomerId::new(format!("c{i}"))).collect()
    }

    #[test]
    fn rejects_infinite_values_and_duplicate_names() {
        let err = FeatureMatrix::new(ids(2), vec!["a".into()], array![[1.0], [f64::INFINITY]], vec![]).unwrap_err();
        assert!(matches!(err, Error::NonFinite { ref column, row: 1, .. } if column == "a"), "{err}");
        let cat = CategoricalColumn::from_values("a", [Some("x"), None]);
        let err = FeatureMatrix::new(ids(2), vec!["a".into()], array![[1.0], [2.0]], vec![cat]).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
        let ok = FeatureMatrix::new(ids(2), vec!["a".into()], array![[1.0], [f64::NAN]], vec![]);
        assert!(ok.is_ok(), "NaN means missing and is allowed");
    }

    #[test]
    fn select_and_stack_keep_categorical_values() {
        let cat = CategoricalColumn::from_values("region", [Some("n"), None, Some("s")]);
        let m = FeatureMatrix::new(ids(3), vec!["x".into()], array![[1.0], [2.0], [3.0]], vec![cat]).unwrap();
        let s = m.select_rows(&[2, 0]).unwrap();
        assert_eq!(s.categorical()[0].iter().collect::<Vec<_>>(), vec![Some("s"), Some("n")]);
        assert_eq!(s.numeric().column(0).to_vec(), vec![3.0, 1.0]);
        let stacked = FeatureMatrix::vstack(&[m.clone(), s]).unwrap();
        assert_eq!(stacked.n_rows(), 5);
        assert_eq!(stacked.categorical_column("region").unwrap().get(3), Some("s"));
        assert!(matches!(m.select_rows(&[3]), Err(Error::ShapeMismatch { .. })));
    }

    #[test]
    fn labels_must_match_rows_and_both_classes_are_checked() {
        let m = FeatureMatrix::new(ids(2), vec!["x".into()], array![[1.0], [2.0]], vec![]).unwrap();
        assert!(matches!(LabeledMatrix::new(m.clone(), vec![true]), Err(Error::ShapeMismatch { .. })));
        let l = LabeledMatrix::new(m, vec![true, true]).unwrap();
        assert!(matches!(l.check_both_classes(), Err(Error::SingleClass { class: true, n: 2 })));
    }
}
