//! Per-customer RFM summaries — frequency, recency, age `T` and mean repeat
//! spend — the input of the BG/NBD and Gamma–Gamma models.

use std::collections::HashMap;
use std::path::Path;

use crate::data::CustomerId;
use crate::error::{Error, Result, ensure};

/// One customer's purchase history condensed to what BG/NBD and Gamma–Gamma use.
///
/// Time is in the summary's unit (weeks for CDNOW): `frequency` = number of
/// repeat purchase periods (purchases after the first), `recency` = time from
/// the first to the last purchase, `age` = time from the first purchase to the
/// end of the calibration period (the literature's `T`), `monetary_value` =
/// mean spend of the repeat purchases (0 when `frequency` is 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rfm {
    /// Number of repeat purchases (the literature's `x`).
    pub frequency: u32,
    /// Time of the last purchase after the first (`t_x`).
    pub recency: f64,
    /// Time from the first purchase to the end of the observation period (`T`).
    pub age: f64,
    /// Mean spend per repeat purchase (the Gamma–Gamma model's `m̄`; 0 without repeats).
    pub monetary_value: f64,
}

impl Rfm {
    /// A summary without spend (monetary value 0), for the purchase-count models.
    pub fn new(frequency: u32, recency: f64, age: f64) -> Self {
        Rfm { frequency, recency, age, monetary_value: 0.0 }
    }

    /// The same summary with a mean repeat spend.
    pub fn with_monetary_value(self, monetary_value: f64) -> Self {
        Rfm { monetary_value, ..self }
    }

    /// Check that a purchase history can produce this summary; `row`/`customer` name it in the error.
    pub(crate) fn check(&self, row: usize, customer: &str) -> Result<()> {
        let bad = |reason: String| Error::InvalidSummary { row, customer: customer.to_string(), reason };
        let Rfm { frequency, recency, age, monetary_value } = *self;
        ensure!(recency.is_finite() && recency >= 0.0, bad(format!("recency {recency} must be finite and >= 0")));
        ensure!(age.is_finite() && age >= 0.0, bad(format!("age T {age} must be finite and >= 0")));
        ensure!(recency <= age, bad(format!("recency {recency} exceeds age T {age}")));
        ensure!(frequency > 0 || recency == 0.0, bad(format!("frequency 0 but recency {recency} > 0")));
        ensure!(
            monetary_value.is_finite() && monetary_value >= 0.0,
            bad(format!("monetary value {monetary_value} must be finite and >= 0"))
        );
        Ok(())
    }
}

/// Identical (frequency, recency, age) summaries merged into one row with a count.
///
/// Fitting BG/NBD on distinct rows weighted by their counts gives the same
/// likelihood as fitting every customer, at a fraction of the cost when
/// summaries are on a day or week grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupedRfm {
    /// Number of repeat purchases.
    pub frequency: u32,
    /// Time of the last repeat purchase.
    pub recency: f64,
    /// Age `T`.
    pub age: f64,
    /// How many customers share this summary (a positive weight; need not be whole).
    pub count: f64,
}

/// RFM summaries of many customers, stored column by column.
///
/// Built by [`RfmSummary::new`] (validated), read from CSV by
/// [`RfmSummary::from_csv`], or extracted from transactions by
/// [`summarize_transactions`](super::summarize_transactions) /
/// [`summarize_event_log`](super::summarize_event_log).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RfmSummary {
    customer_ids: Vec<CustomerId>,
    frequency: Vec<u32>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary_value: Vec<f64>,
}

impl RfmSummary {
    /// Columns of equal length; every row is validated (recency within `[0, T]`,
    /// recency 0 when frequency is 0, finite non-negative values).
    pub fn new(
        customer_ids: Vec<CustomerId>,
        frequency: Vec<u32>,
        recency: Vec<f64>,
        age: Vec<f64>,
        monetary_value: Vec<f64>,
    ) -> Result<Self> {
        let n = customer_ids.len();
        for (what, len) in [
            ("frequency vs customer ids", frequency.len()),
            ("recency vs customer ids", recency.len()),
            ("age vs customer ids", age.len()),
            ("monetary value vs customer ids", monetary_value.len()),
        ] {
            ensure!(len == n, Error::ShapeMismatch { what, expected: n, found: len });
        }
        let summary = RfmSummary { customer_ids, frequency, recency, age, monetary_value };
        for (i, row) in summary.iter().enumerate() {
            row.check(i, summary.customer_ids[i].as_str())?;
        }
        Ok(summary)
    }

    /// Rows of (customer, summary), validated as in [`RfmSummary::new`].
    pub fn from_rows(rows: impl IntoIterator<Item = (CustomerId, Rfm)>) -> Result<Self> {
        let mut s = RfmSummary::default();
        for (id, r) in rows {
            s.push_unchecked(id, r);
        }
        for (i, row) in s.iter().enumerate() {
            row.check(i, s.customer_ids[i].as_str())?;
        }
        Ok(s)
    }

    pub(crate) fn push_unchecked(&mut self, id: CustomerId, r: Rfm) {
        self.customer_ids.push(id);
        self.frequency.push(r.frequency);
        self.recency.push(r.recency);
        self.age.push(r.age);
        self.monetary_value.push(r.monetary_value);
    }

    /// Read `customer_id,frequency,recency,T,monetary_value` (header names
    /// case-insensitive, any order; `monetary_value` optional, 0 if absent),
    /// as written by lifetimes' `summary_data_from_transaction_data`.
    /// Frequencies must be whole numbers ("2" or "2.0").
    pub fn from_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let csv_err = |e: csv::Error| Error::Csv { path: path.to_path_buf(), message: e.to_string() };
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
        let headers = reader.headers().map_err(csv_err)?.clone();
        let table = path.display().to_string();
        let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let require = |name: &str| {
            find(name).ok_or_else(|| Error::MissingColumn { table: table.clone(), column: name.to_string() })
        };
        let (id_col, f_col, r_col, t_col) =
            (require("customer_id")?, require("frequency")?, require("recency")?, require("T")?);
        let m_col = find("monetary_value");
        let mut summary = RfmSummary::default();
        for (row, record) in reader.records().enumerate() {
            let record = record.map_err(csv_err)?;
            let field = |col: usize| record.get(col).unwrap_or("");
            let id = field(id_col).to_string();
            let number = |col: usize, column: &str| -> Result<f64> {
                let text = field(col);
                let value: f64 = text.parse().map_err(|_| Error::InvalidSummary {
                    row,
                    customer: id.clone(),
                    reason: format!("{column} `{text}` is not a number"),
                })?;
                ensure!(value.is_finite(), Error::NonFinite { column: column.to_string(), row, value });
                Ok(value)
            };
            let frequency = number(f_col, "frequency")?;
            ensure!(
                frequency >= 0.0 && frequency.fract() == 0.0 && frequency <= f64::from(u32::MAX),
                Error::InvalidSummary {
                    row,
                    customer: id.clone(),
                    reason: format!("frequency {frequency} is not a non-negative whole number"),
                }
            );
            let rfm = Rfm {
                frequency: frequency as u32,
                recency: number(r_col, "recency")?,
                age: number(t_col, "T")?,
                monetary_value: match m_col {
                    Some(c) => number(c, "monetary_value")?,
                    None => 0.0,
                },
            };
            rfm.check(row, &id)?;
            summary.push_unchecked(CustomerId::new(id), rfm);
        }
        Ok(summary)
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer_ids.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.customer_ids.is_empty()
    }

    /// Customer ids, in row order.
    pub fn customer_ids(&self) -> &[CustomerId] {
        &self.customer_ids
    }

    /// Repeat purchase counts `x`.
    pub fn frequency(&self) -> &[u32] {
        &self.frequency
    }

    /// Recencies `t_x`.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }

    /// Ages `T`.
    pub fn age(&self) -> &[f64] {
        &self.age
    }

    /// Mean repeat spends.
    pub fn monetary_value(&self) -> &[f64] {
        &self.monetary_value
    }

    /// Row `i`, if it exists.
    pub fn get(&self, i: usize) -> Option<Rfm> {
        Some(Rfm {
            frequency: *self.frequency.get(i)?,
            recency: *self.recency.get(i)?,
            age: *self.age.get(i)?,
            monetary_value: *self.monetary_value.get(i)?,
        })
    }

    /// The summary of a customer by id (linear search).
    pub fn find(&self, id: &CustomerId) -> Option<Rfm> {
        self.customer_ids.iter().position(|c| c == id).and_then(|i| self.get(i))
    }

    /// All rows in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Rfm> + '_ {
        (0..self.len()).map(|i| Rfm {
            frequency: self.frequency[i],
            recency: self.recency[i],
            age: self.age[i],
            monetary_value: self.monetary_value[i],
        })
    }

    /// Distinct (frequency, recency, age) rows with their counts, sorted by
    /// (frequency, recency, age) so the result does not depend on row order.
    pub fn grouped(&self) -> Vec<GroupedRfm> {
        let mut counts: HashMap<(u32, u64, u64), f64> = HashMap::with_capacity(self.len() / 4 + 16);
        for i in 0..self.len() {
            // +0.0 folds -0.0 into 0.0 so both land in one group.
            let key = (self.frequency[i], (self.recency[i] + 0.0).to_bits(), (self.age[i] + 0.0).to_bits());
            *counts.entry(key).or_insert(0.0) += 1.0;
        }
        let mut rows: Vec<GroupedRfm> = counts
            .into_iter()
            .map(|((frequency, r, t), count)| GroupedRfm {
                frequency,
                recency: f64::from_bits(r),
                age: f64::from_bits(t),
                count,
            })
            .collect();
        rows.sort_by(|a, b| {
            a.frequency.cmp(&b.frequency).then(a.recency.total_cmp(&b.recency)).then(a.age.total_cmp(&b.age))
        });
        rows
    }
}
