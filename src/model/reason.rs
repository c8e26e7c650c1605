//! Reasons behind a score: the input features that raise a customer's churn risk most.
//!
//! A [`Reason`] names one raw input feature with its value and its signed
//! contribution to the log-odds; [`Reasons`] is a customer's short list of them,
//! strongest first.
//!
//! Batch scoring names the reasons of every customer, so this module keeps that
//! path free of per-customer heap work: a [`Reasons`] list holds up to
//! [`INLINE_REASONS`] reasons inline (the `smallvec` crate; a longer list moves
//! to the heap), feature names and categories are shared `Arc<str>` taken from a
//! per-matrix table (one table per scoring thread, so reference counts are not
//! bounced between cores), and the top reasons are chosen by insertion into a
//! short sorted list. Before this, one `Vec` per customer, one `String` per
//! categorical reason and their frees cost about a fifth of batch scoring with
//! three reasons (`cargo bench --bench monitor`, `scorer_batch`).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

use crate::features::FeatureMatrix;

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
    /// The category, for categorical features (shared text, like `feature`).
    pub category: Option<Arc<str>>,
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

/// How many reasons a [`Reasons`] list holds without a heap allocation (the
/// default number of reasons per customer).
pub const INLINE_REASONS: usize = 3;

/// A customer's reasons, strongest first.
///
/// Reads as a slice of [`Reason`] (`reasons.len()`, `reasons[0]`, `reasons.iter()`,
/// `reasons.first()`); up to [`INLINE_REASONS`] are stored inline, so scoring a
/// population allocates nothing per customer for them. Serialised as a plain
/// list, like a `Vec<Reason>`.
///
/// ```
/// use churnguard::model::{Reason, Reasons};
/// let reasons: Reasons = [("days_since_last_order", 0.9), ("complaint_count_90d", 0.4)]
///     .into_iter()
///     .map(|(f, c)| Reason { feature: f.into(), value: Some(1.0), category: None, contribution: c })
///     .collect();
/// assert_eq!(reasons.len(), 2);
/// assert_eq!(&*reasons[0].feature, "days_since_last_order");
/// assert_eq!(serde_json::to_string(&reasons)?, serde_json::to_string(&reasons.to_vec())?);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reasons(SmallVec<[Reason; INLINE_REASONS]>);

impl Reasons {
    /// No reasons.
    pub fn new() -> Self {
        Reasons::default()
    }

    /// Keep the first `k` reasons.
    pub fn truncate(&mut self, k: usize) {
        self.0.truncate(k);
    }

    /// The reasons as a `Vec`.
    pub fn into_vec(self) -> Vec<Reason> {
        self.0.into_vec()
    }

    fn push(&mut self, reason: Reason) {
        self.0.push(reason);
    }
}

impl Deref for Reasons {
    type Target = [Reason];

    fn deref(&self) -> &[Reason] {
        &self.0
    }
}

impl AsRef<[Reason]> for Reasons {
    fn as_ref(&self) -> &[Reason] {
        &self.0
    }
}

impl From<Vec<Reason>> for Reasons {
    fn from(v: Vec<Reason>) -> Self {
        Reasons(SmallVec::from_vec(v))
    }
}

impl From<Reasons> for Vec<Reason> {
    fn from(r: Reasons) -> Self {
        r.into_vec()
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Self {
        Reasons(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Reasons {
    type Item = &'a Reason;
    type IntoIter = std::slice::Iter<'a, Reason>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Reasons {
    type Item = Reason;
    type IntoIter = std::vec::IntoIter<Reason>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl Serialize for Reasons {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for Reasons {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Vec::<Reason>::deserialize(deserializer).map(Reasons::from)
    }
}

/// Where a preprocessor's input features sit in one [`FeatureMatrix`], with their
/// names (and each categorical input's levels) as shared text ready for reasons.
#[derive(Clone, Debug)]
pub(crate) struct ReasonIndex {
    names: Vec<Arc<str>>,
    /// Position of each name in alphabetical order (ties between equal contributions).
    name_rank: Vec<usize>,
    numeric: Vec<Option<usize>>,
    /// Per input: its categorical column in the matrix and that column's levels.
    categorical: Vec<Option<(usize, Vec<Arc<str>>)>>,
}

impl ReasonIndex {
    /// The index of `inputs` (the preprocessor's input names, in its order) in `data`,
    /// computed once per matrix so that naming the reasons of many rows does no lookups.
    pub(crate) fn new(inputs: Vec<String>, data: &FeatureMatrix) -> ReasonIndex {
        let names: Vec<Arc<str>> = inputs.into_iter().map(Arc::from).collect();
        let numeric = names.iter().map(|n| data.numeric_index(n)).collect();
        let categorical = names
            .iter()
            .map(|n| {
                let (j, column) = data.categorical().iter().enumerate().find(|(_, c)| c.name() == &**n)?;
                Some((j, column.levels().iter().map(|l| Arc::from(l.as_str())).collect()))
            })
            .collect();
        let mut alphabetical: Vec<usize> = (0..names.len()).collect();
        alphabetical.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut name_rank = vec![0; names.len()];
        for (rank, &i) in alphabetical.iter().enumerate() {
            name_rank[i] = rank;
        }
        ReasonIndex { names, name_rank, numeric, categorical }
    }

    /// The same index with its own copies of the shared text: reasons cloned from it
    /// touch reference counts no other thread shares (clones of one shared name from
    /// two threads would pass its cache line back and forth).
    pub(crate) fn for_one_thread(&self) -> ReasonIndex {
        let copy = |s: &Arc<str>| Arc::from(&**s);
        ReasonIndex {
            names: self.names.iter().map(copy).collect(),
            name_rank: self.name_rank.clone(),
            numeric: self.numeric.clone(),
            categorical: self
                .categorical
                .iter()
                .map(|c| c.as_ref().map(|(j, l)| (*j, l.iter().map(copy).collect())))
                .collect(),
        }
    }

    /// The `k` inputs with the largest summed design-column `contributions` of row `row`
    /// of `data` (ties by name), as reasons. `sources[c]` is the input behind design
    /// column `c` ([`Preprocessor::output_sources`](crate::preprocess::Preprocessor::output_sources)).
    pub(crate) fn top(
        &self,
        sources: &[usize],
        data: &FeatureMatrix,
        row: usize,
        contributions: &[f64],
        k: usize,
        scratch: &mut ReasonScratch,
    ) -> Reasons {
        let mut out = Reasons::new();
        if k == 0 {
            return out;
        }
        let ReasonScratch { totals, best } = scratch;
        totals.clear();
        totals.resize(self.names.len(), 0.0);
        for (c, &src) in contributions.iter().zip(sources) {
            if let Some(t) = totals.get_mut(src) {
                *t += c;
            }
        }
        // Largest contribution first, ties by name (through precomputed ranks). Top k by
        // insertion into a short sorted list of (total, rank, input), k being a handful;
        // an input below the k-th total is turned away with one comparison.
        best.clear();
        let mut floor = f64::NEG_INFINITY;
        for (i, (&total, &rank)) in totals.iter().zip(&self.name_rank).enumerate() {
            if best.len() == k && total < floor {
                continue;
            }
            let before = |&(t, r, _): &(f64, usize, usize)| t.total_cmp(&total).then(rank.cmp(&r)).is_gt();
            let at = best.partition_point(before);
            if at < k {
                best.insert(at, (total, rank, i));
                best.truncate(k);
                if best.len() == k {
                    floor = best[k - 1].0;
                }
            }
        }
        for &(total, _, i) in best.iter() {
            let value = self.numeric[i].and_then(|j| data.numeric().get((row, j)).copied()).filter(|v| !v.is_nan());
            let category = self.categorical[i].as_ref().and_then(|(j, levels)| {
                let code = data.categorical().get(*j)?.codes().get(row).copied().flatten()?;
                levels.get(code as usize).cloned()
            });
            out.push(Reason { feature: self.names[i].clone(), value, category, contribution: total });
        }
        out
    }
}

/// Buffers reused by [`ReasonIndex::top`] across rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReasonScratch {
    totals: Vec<f64>,
    /// The best so far: (total, name rank, input).
    best: Vec<(f64, usize, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(feature: &str, contribution: f64) -> Reason {
        Reason { feature: feature.into(), value: None, category: Some("north".into()), contribution }
    }

    #[test]
    fn reasons_serialise_as_a_plain_list_and_read_back() {
        // Longer than the inline capacity too, so both storages are covered.
        for n in [0, 1, INLINE_REASONS, INLINE_REASONS + 2] {
            let list: Vec<Reason> = (0..n).map(|i| reason(&format!("f{i}"), i as f64)).collect();
            let reasons = Reasons::from(list.clone());
            let json = serde_json::to_string(&reasons).unwrap();
            assert_eq!(json, serde_json::to_string(&list).unwrap());
            let back: Reasons = serde_json::from_str(&json).unwrap();
            assert_eq!(back, reasons);
            assert_eq!(back.into_vec(), list);
        }
    }

    #[test]
    fn top_reasons_are_the_largest_totals_ties_by_name_with_values_and_categories() {
        use crate::data::CustomerId;
        use crate::features::CategoricalColumn;
        let data = FeatureMatrix::new(
            vec![CustomerId::new("x"), CustomerId::new("y")],
            vec!["b".into(), "a".into(), "c".into()],
            ndarray::array![[1.0, 2.0, 3.0], [4.0, f64::NAN, 6.0]],
            vec![CategoricalColumn::from_values("region", [Some("north"), Some("south")])],
        )
        .unwrap();
        let index = ReasonIndex::new(vec!["b".into(), "a".into(), "c".into(), "region".into()], &data);
        // Design columns: b, a, c, then region's two levels (summed into one reason).
        let sources = [0, 1, 2, 3, 3];
        let contributions = [1.0, 1.0, 0.5, 0.75, 0.25];
        let mut scratch = ReasonScratch::default();
        let names = |k: usize, row: usize, scratch: &mut ReasonScratch| -> Vec<String> {
            index.top(&sources, &data, row, &contributions, k, scratch).iter().map(|r| r.to_string()).collect()
        };
        assert!(names(0, 0, &mut scratch).is_empty());
        assert_eq!(names(2, 0, &mut scratch), ["a = 2 (+1.00)", "b = 1 (+1.00)"]);
        assert_eq!(names(3, 1, &mut scratch), ["a missing (+1.00)", "b = 4 (+1.00)", "region = south (+1.00)"]);
        assert_eq!(names(9, 0, &mut scratch).last().map(String::as_str), Some("c = 3 (+0.50)"));
        // Each thread's copy gives the same reasons.
        let copy = index.for_one_thread();
        assert_eq!(
            copy.top(&sources, &data, 1, &contributions, 4, &mut scratch),
            index.top(&sources, &data, 1, &contributions, 4, &mut scratch)
        );
    }

    #[test]
    fn a_reason_displays_its_category_or_value() {
        assert_eq!(reason("region", 0.5).to_string(), "region = north (+0.50)");
        let numeric = Reason { feature: "days".into(), value: Some(12.0), category: None, contribution: -0.25 };
        assert_eq!(numeric.to_string(), "days = 12 (-0.25)");
        let missing = Reason { feature: "days".into(), value: None, category: None, contribution: 1.0 };
        assert_eq!(missing.to_string(), "days missing (+1.00)");
    }
}
