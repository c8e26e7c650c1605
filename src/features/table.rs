//! The tabular path: one row per customer, already aggregated (a CRM export,
//! the IBM Telco churn file), read into a [`LabeledMatrix`].
//!
//! Column types are inferred — a column is numeric when every non-empty
//! field parses as a number, categorical otherwise — and can be overridden
//! with [`TableSpec::kind`]. Empty fields are missing values. Rows that
//! cannot be used (wrong field count, empty or unknown label, `NaN`/`inf` or
//! text in a numeric column) are rejected with their line number and reason
//! in the returned [`IngestReport`]; the other rows load.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::matrix::{CategoricalColumn, FeatureMatrix, LabeledMatrix};
use crate::data::csv::{csv_error, line_of, open_csv};
use crate::data::parse;
use crate::data::{CustomerId, IngestReport, RecordKind, Rejection};
use crate::error::{Error, Result};

/// How a table column is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// A number; empty = missing.
    Numeric,
    /// A category (one-hot encoded later); empty = missing.
    Categorical,
}

/// How to read a one-row-per-customer table.
///
/// ```no_run
/// use churnguard::features::{LabeledMatrix, TableSpec, ColumnKind};
/// let spec = TableSpec::new("churn", "Yes").kind("senior_citizen", ColumnKind::Categorical);
/// let (data, report) = LabeledMatrix::from_csv("../shared/data/telco_churn.csv", &spec)?;
/// println!("{} rows, churn rate {:.1}%; {}", data.n_rows(), 100.0 * data.churn_rate(), report);
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// The label column.
    pub label_column: String,
    /// The label value meaning "churned" (compared case-insensitively, trimmed).
    /// The most frequent other value means "retained"; rows with a third value are rejected.
    pub positive_value: String,
    /// Column holding the customer id (row numbers are used when absent).
    pub id_column: Option<String>,
    /// Column kinds that override inference.
    pub kinds: Vec<(String, ColumnKind)>,
    /// Columns to leave out.
    pub ignore: Vec<String>,
    /// Rejection examples kept in the report.
    pub max_rejection_examples: usize,
}

impl TableSpec {
    /// Read `label_column`, with `positive_value` meaning churned.
    pub fn new(label_column: impl Into<String>, positive_value: impl Into<String>) -> Self {
        TableSpec {
            label_column: label_column.into(),
            positive_value: positive_value.into(),
            id_column: None,
            kinds: Vec::new(),
            ignore: Vec::new(),
            max_rejection_examples: 20,
        }
    }

    /// Use `column` as the customer id.
    pub fn id_column(mut self, column: impl Into<String>) -> Self {
        self.id_column = Some(column.into());
        self
    }

    /// Force the kind of `column`.
    pub fn kind(mut self, column: impl Into<String>, kind: ColumnKind) -> Self {
        self.kinds.push((column.into(), kind));
        self
    }

    /// Leave `column` out.
    pub fn ignore(mut self, column: impl Into<String>) -> Self {
        self.ignore.push(column.into());
        self
    }
}

impl LabeledMatrix {
    /// Read a one-row-per-customer CSV file (header row, comma-separated, UTF-8).
    ///
    /// Errors: the file cannot be read, or the label/id column is missing, or
    /// no usable row remains ([`Error::EmptyData`]). Bad rows are rejected
    /// into the report, not errors.
    pub fn from_csv(path: impl AsRef<Path>, spec: &TableSpec) -> Result<(LabeledMatrix, IngestReport)> {
        let path = path.as_ref();
        let mut reader = open_csv(path)?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| Error::MissingColumn { table: path.display().to_string(), column: name.to_string() })
        };
        let label_col = find(&spec.label_column)?;
        let id_col = spec.id_column.as_deref().map(find).transpose()?;
        for (name, _) in &spec.kinds {
            find(name)?;
        }
        let mut report = IngestReport::new(spec.max_rejection_examples);
        let reject = |report: &mut IngestReport, line: u64, reason: String| {
            report.reject(Rejection { kind: RecordKind::TableRow, line: Some(line), record: None, reason })
        };

        // Pass 1: well-formed rows with a non-empty label.
        let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
        loop {
            let mut rec = csv::StringRecord::new();
            match reader.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = line_of(&mut reader, rec.position());
                    if rec.len() != headers.len() {
                        reject(&mut report, line, format!("expected {} fields, found {}", headers.len(), rec.len()));
                    } else if rec.get(label_col).is_none_or(|l| l.trim().is_empty()) {
                        reject(&mut report, line, format!("label `{}` is empty", spec.label_column));
                    } else {
                        rows.push((line, rec));
                    }
                }
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(csv_error(path, e));
                    }
                    let line = line_of(&mut reader, e.position());
                    reject(&mut report, line, format!("unreadable row: {e}"));
                }
            }
        }

        // The negative label is the most frequent value other than the positive one.
        let positive = spec.positive_value.trim().to_lowercase();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (_, rec) in &rows {
            let l = rec.get(label_col).unwrap_or("").trim().to_lowercase();
            if l != positive {
                *counts.entry(l).or_default() += 1;
            }
        }
        let negative = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(v, _)| v);

        // Column kinds: override, else numeric iff every non-empty field parses as a number.
        let features: Vec<usize> = (0..headers.len())
            .filter(|&j| j != label_col && Some(j) != id_col)
            .filter(|&j| !spec.ignore.iter().any(|n| n.eq_ignore_ascii_case(&headers[j])))
            .collect();
        let kinds: Vec<ColumnKind> = features
            .iter()
            .map(|&j| {
                if let Some((_, k)) = spec.kinds.iter().find(|(n, _)| n.eq_ignore_ascii_case(&headers[j])) {
                    return *k;
                }
                let numeric = rows.iter().all(|(_, rec)| {
                    let f = rec.get(j).unwrap_or("").trim();
                    f.is_empty() || f.parse::<f64>().is_ok()
                });
                if numeric { ColumnKind::Numeric } else { ColumnKind::Categorical }
            })
            .collect();

        // Pass 2: parse values; a row with any bad numeric field is rejected whole.
        let numeric_cols: Vec<usize> =
            features.iter().zip(&kinds).filter(|(_, k)| **k == ColumnKind::Numeric).map(|(&j, _)| j).collect();
        let categorical_cols: Vec<usize> =
            features.iter().zip(&kinds).filter(|(_, k)| **k == ColumnKind::Categorical).map(|(&j, _)| j).collect();
        let mut values: Vec<f64> = Vec::with_capacity(rows.len() * numeric_cols.len());
        let mut kept: Vec<&(u64, csv::StringRecord)> = Vec::with_capacity(rows.len());
        let mut labels = Vec::with_capacity(rows.len());
        'rows: for row in &rows {
            let (line, rec) = row;
            let label = rec.get(label_col).unwrap_or("").trim().to_lowercase();
            let is_positive = label == positive;
            if !is_positive && Some(&label) != negative.as_ref() {
                let expected = negative.as_deref().unwrap_or("?");
                reject(
                    &mut report,
                    *line,
                    format!(
                        "label `{label}` is neither `{}` (churned) nor `{expected}` (retained)",
                        spec.positive_value
                    ),
                );
                continue;
            }
            let start = values.len();
            for &j in &numeric_cols {
                let field = rec.get(j).unwrap_or("").trim();
                if field.is_empty() {
                    values.push(f64::NAN);
                    continue;
                }
                match parse::finite_f64(field, &headers[j]) {
                    Ok(v) => values.push(v),
                    Err(reason) => {
                        values.truncate(start);
                        reject(&mut report, *line, reason);
                        continue 'rows;
                    }
                }
            }
            labels.push(is_positive);
            kept.push(row);
        }
        report.record_accepted(RecordKind::TableRow, kept.len() as u64);
        if kept.is_empty() {
            return Err(Error::EmptyData { context: format!("no usable rows in {}", path.display()) });
        }
        let numeric = Array2::from_shape_vec((kept.len(), numeric_cols.len()), values)
            .map_err(|e| Error::EmptyData { context: format!("table shape: {e}") })?;
        let categorical = categorical_cols
            .iter()
            .map(|&j| {
                CategoricalColumn::from_values(
                    headers[j].clone(),
                    kept.iter().map(|(_, rec)| rec.get(j).map(str::trim).filter(|s| !s.is_empty())),
                )
            })
            .collect();
        let ids = kept
            .iter()
            .map(|(line, rec)| match id_col {
                Some(c) => CustomerId::new(rec.get(c).unwrap_or("").trim()),
                None => CustomerId::new(format!("line{line}")),
            })
            .collect();
        let names = numeric_cols.iter().map(|&j| headers[j].clone()).collect();
        let features = FeatureMatrix::new(ids, names, numeric, categorical)?;
        Ok((LabeledMatrix::new(features, labels)?, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn infers_kinds_and_rejects_bad_rows_with_reasons() {
        let f = write(
            "id,tenure,plan,charges,churn\n\
             a,1,basic,10.5,Yes\n\
             b,24,pro,,No\n\
             c,3,basic,NaN,No\n\
             d,5,pro,12,\n\
             e,7,pro,12,Maybe\n\
             f,8,basic\n\
             g,9,,11,no\n",
        );
        let spec = TableSpec::new("churn", "yes").id_column("id");
        let (data, report) = LabeledMatrix::from_csv(f.path(), &spec).unwrap();
        assert_eq!(data.features().numeric_names(), &["tenure".to_string(), "charges".to_string()]);
        assert_eq!(data.features().categorical()[0].name(), "plan");
        assert_eq!(data.labels(), &[true, false, false]);
        let ids: Vec<&str> = data.features().customer_ids().iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, vec!["a", "b", "g"]);
        assert!(data.features().numeric()[[1, 1]].is_nan(), "empty field is missing");
        assert_eq!(data.features().categorical()[0].get(2), None);
        assert_eq!(report.rows_rejected(RecordKind::TableRow), 4);
        assert_eq!(report.rows_read(RecordKind::TableRow), 7);
        let text: Vec<String> = report.rejections().iter().map(|r| r.to_string()).collect();
        for e in [
            "table_row line 4: `charges`: non-finite value NaN",
            "table_row line 5: label `churn` is empty",
            "table_row line 6: label `maybe` is neither `yes` (churned) nor `no` (retained)",
            "table_row line 7: expected 5 fields, found 3",
        ] {
            assert!(text.iter().any(|t| t == e), "missing `{e}` in {text:?}");
        }
    }

    #[test]
    fn overrides_and_missing_label_column() {
        let f = write("x,flag,churn\n1,0,1\n2,1,0\n");
        let spec = TableSpec::new("churn", "1").kind("flag", ColumnKind::Categorical).ignore("x");
        let (data, _) = LabeledMatrix::from_csv(f.path(), &spec).unwrap();
        assert!(data.features().numeric_names().is_empty());
        assert_eq!(data.features().categorical()[0].levels(), &["0".to_string(), "1".to_string()]);
        let err = LabeledMatrix::from_csv(f.path(), &TableSpec::new("target", "1")).unwrap_err();
        assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "target"), "{err}");
    }

    #[test]
    fn forced_numeric_column_rejects_text_rows() {
        let f = write("amount,churn\n12,yes\nabc,no\n3,no\n");
        let spec = TableSpec::new("churn", "yes").kind("amount", ColumnKind::Numeric);
        let (data, report) = LabeledMatrix::from_csv(f.path(), &spec).unwrap();
        assert_eq!(data.n_rows(), 2);
        assert!(report.rejections()[0].reason.contains("`abc` is not a number"));
    }

    #[test]
    fn a_file_with_no_usable_rows_is_an_error() {
        let f = write("amount,churn\n1,\n");
        assert!(matches!(
            LabeledMatrix::from_csv(f.path(), &TableSpec::new("churn", "yes")),
            Err(Error::EmptyData { .. })
        ));
    }
}
