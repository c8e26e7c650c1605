//! Stratified k-fold cross-validation splits: every fold keeps the overall churn
//! rate, and a seed reproduces the same folds on every platform.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure};

/// One cross-validation fold: row indices to train on and to test on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    /// Rows to fit on (every row not in `test`), ascending.
    pub train: Vec<usize>,
    /// Held-out rows, ascending.
    pub test: Vec<usize>,
}

/// Stratified k-fold splitter for binary churn labels.
///
/// Each class's row indices are shuffled with a ChaCha8 generator seeded by `seed`
/// (positives first, then negatives, from one stream) and dealt round-robin into `k`
/// folds, the negatives continuing where the positives stopped. Hence every fold holds
/// ⌊n₊/k⌋ or ⌈n₊/k⌉ churners, ⌊n₋/k⌋ or ⌈n₋/k⌉ stayers, and fold sizes differ by at
/// most one. Deserialising checks `k ≥ 2` as [`StratifiedKFold::new`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StratifiedKFoldParams")]
pub struct StratifiedKFold {
    k: usize,
    seed: u64,
}

/// Unvalidated serde form of [`StratifiedKFold`].
#[derive(Deserialize)]
struct StratifiedKFoldParams {
    k: usize,
    seed: u64,
}

impl TryFrom<StratifiedKFoldParams> for StratifiedKFold {
    type Error = Error;

    fn try_from(p: StratifiedKFoldParams) -> Result<Self> {
        StratifiedKFold::new(p.k, p.seed)
    }
}

impl StratifiedKFold {
    /// A splitter into `k` folds whose shuffles are determined by `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (name `"k"`) if `k < 2`.
    pub fn new(k: usize, seed: u64) -> Result<Self> {
        ensure!(k >= 2, Error::param("k", k, "need at least 2 folds"));
        Ok(StratifiedKFold { k, seed })
    }

    /// Number of folds.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Seed of the shuffle.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// One value per row, each computed by a model that did not see the row: for every
    /// fold, `fit_predict(train_rows, test_rows)` returns the values of `test_rows` (in
    /// order), and they are stitched back into row order. Folds run in parallel; the
    /// result does not depend on the thread count.
    ///
    /// Errors: those of [`split`](Self::split), the first error of `fit_predict`, or
    /// [`Error::ShapeMismatch`] if it returns the wrong number of values.
    pub(crate) fn out_of_fold<F>(&self, labels: &[bool], fit_predict: F) -> Result<Vec<f64>>
    where
        F: Fn(&[usize], &[usize]) -> Result<Vec<f64>> + Sync,
    {
        use rayon::prelude::*;
        let folds = self.split(labels)?;
        let parts = folds
            .par_iter()
            .map(|fold| {
                let values = fit_predict(&fold.train, &fold.test)?;
                ensure!(
                    values.len() == fold.test.len(),
                    Error::ShapeMismatch {
                        what: "out-of-fold values vs test rows",
                        expected: fold.test.len(),
                        found: values.len()
                    }
                );
                Ok((&fold.test, values))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut out = vec![0.0; labels.len()];
        for (rows, values) in parts {
            for (&r, v) in rows.iter().zip(values) {
                out[r] = v;
            }
        }
        Ok(out)
    }

    /// Splits rows `0..labels.len()` into `k` folds; fold `i` tests on the `i`-th share.
    ///
    /// Every row is in exactly one `test` list; `train` is its complement.
    ///
    /// # Errors
    /// [`Error::EmptyData`] if `labels` is empty, [`Error::SingleClass`] if only one
    /// class is present, [`Error::InvalidParameter`] (name `"k"`) if a class has fewer
    /// than `k` members, so some fold would have none of it.
    pub fn split(&self, labels: &[bool]) -> Result<Vec<Fold>> {
        let n = labels.len();
        ensure!(n > 0, Error::EmptyData { context: "StratifiedKFold::split: no labels".into() });
        let (mut pos, mut neg): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| labels[i]);
        ensure!(!pos.is_empty(), Error::SingleClass { class: false, n });
        ensure!(!neg.is_empty(), Error::SingleClass { class: true, n });
        ensure!(pos.len() >= self.k, Error::param("k", self.k, "fewer churned customers than folds"));
        ensure!(neg.len() >= self.k, Error::param("k", self.k, "fewer retained customers than folds"));

        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        pos.shuffle(&mut rng);
        neg.shuffle(&mut rng);
        let mut fold_of = vec![0usize; n];
        for (turn, &row) in pos.iter().chain(&neg).enumerate() {
            fold_of[row] = turn % self.k;
        }

        let mut folds: Vec<Fold> = (0..self.k)
            .map(|_| Fold { train: Vec::with_capacity(n - n / self.k), test: Vec::with_capacity(n / self.k + 1) })
            .collect();
        // Rows are visited in ascending order, so every list comes out sorted.
        for (row, &f) in fold_of.iter().enumerate() {
            for (i, fold) in folds.iter_mut().enumerate() {
                if i == f { fold.test.push(row) } else { fold.train.push(row) }
            }
        }
        Ok(folds)
    }

    /// Splits rows into `k` folds keeping all rows of a group (e.g. one customer's
    /// rows from several snapshots) in the same fold, so a model is never tested on a
    /// customer it was trained on.
    ///
    /// Groups are shuffled with the seed, then taken largest first and each placed in
    /// the fold whose churner and row counts are furthest below their targets (a
    /// greedy balance, as scikit-learn's `StratifiedGroupKFold`). When every group has
    /// one row this is [`split`](Self::split).
    ///
    /// # Errors
    /// As [`split`](Self::split), plus [`Error::ShapeMismatch`] if `groups` and
    /// `labels` differ in length, and [`Error::InvalidParameter`] (name `"k"`) if there
    /// are fewer groups than folds.
    pub fn split_grouped<G: std::hash::Hash + Eq>(&self, labels: &[bool], groups: &[G]) -> Result<Vec<Fold>> {
        let n = labels.len();
        ensure!(groups.len() == n, Error::ShapeMismatch { what: "groups vs labels", expected: n, found: groups.len() });
        let mut index: std::collections::HashMap<&G, usize> = std::collections::HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (row, g) in groups.iter().enumerate() {
            let id = *index.entry(g).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[id].push(row);
        }
        if members.len() == n {
            return self.split(labels);
        }
        ensure!(n > 0, Error::EmptyData { context: "StratifiedKFold::split_grouped: no labels".into() });
        let total_pos = labels.iter().filter(|&&y| y).count();
        ensure!(total_pos > 0, Error::SingleClass { class: false, n });
        ensure!(total_pos < n, Error::SingleClass { class: true, n });
        ensure!(members.len() >= self.k, Error::param("k", self.k, "fewer groups than folds"));
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed));
        let pos_of = |g: usize| members[g].iter().filter(|&&r| labels[r]).count();
        // Stable sort keeps the shuffled order among equal groups.
        order.sort_by_key(|&g| std::cmp::Reverse((pos_of(g), members[g].len())));
        let (target_pos, target_n) = (total_pos as f64 / self.k as f64, n as f64 / self.k as f64);
        let mut fold_pos = vec![0usize; self.k];
        let mut fold_n = vec![0usize; self.k];
        let mut fold_of = vec![0usize; n];
        for g in order {
            let (gp, gn) = (pos_of(g), members[g].len());
            let cost = |f: usize| (fold_pos[f] + gp) as f64 / target_pos + (fold_n[f] + gn) as f64 / target_n;
            let best = (0..self.k).min_by(|&a, &b| cost(a).total_cmp(&cost(b))).unwrap_or(0);
            fold_pos[best] += gp;
            fold_n[best] += gn;
            for &r in &members[g] {
                fold_of[r] = best;
            }
        }
        ensure!(
            fold_pos.iter().all(|&p| p > 0),
            Error::param("k", self.k, "too few churned customers to give every fold one")
        );
        ensure!(
            fold_pos.iter().zip(&fold_n).all(|(&p, &m)| m > p),
            Error::param("k", self.k, "too few retained customers to give every fold one")
        );
        let mut folds: Vec<Fold> = (0..self.k).map(|_| Fold { train: Vec::new(), test: Vec::new() }).collect();
        for (row, &f) in fold_of.iter().enumerate() {
            for (i, fold) in folds.iter_mut().enumerate() {
                if i == f { fold.test.push(row) } else { fold.train.push(row) }
            }
        }
        Ok(folds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn positives(labels: &[bool], rows: &[usize]) -> usize {
        rows.iter().filter(|&&i| labels[i]).count()
    }

    #[test]
    fn stratified_folds_keep_the_churn_rate() {
        // 4 churners, 6 stayers, k = 2: each fold must test on exactly 2 churners and 3 stayers.
        let labels = [true, false, false, true, false, false, true, false, true, false];
        let folds = StratifiedKFold::new(2, 42).unwrap().split(&labels).unwrap();
        assert_eq!(folds.len(), 2);
        for fold in &folds {
            assert_eq!(fold.test.len(), 5);
            assert_eq!(positives(&labels, &fold.test), 2);
            assert_eq!(positives(&labels, &fold.train), 2);
        }
    }

    #[test]
    fn uneven_classes_differ_by_at_most_one_per_fold() {
        // 7 churners and 11 stayers into 3 folds. Churners take turns 0..7 → folds 0,1,2,0,1,2,0
        // (3/2/2); stayers continue with turns 7..18 → folds 1,2,0,… (3/4/4), so sizes are 6/6/6.
        let labels: Vec<bool> = (0..18).map(|i| i < 7).collect();
        let folds = StratifiedKFold::new(3, 1).unwrap().split(&labels).unwrap();
        let pos: Vec<usize> = folds.iter().map(|f| positives(&labels, &f.test)).collect();
        assert_eq!(pos, [3, 2, 2]);
        let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
        assert_eq!(sizes, [6, 6, 6]);
    }

    #[test]
    fn train_is_the_sorted_complement_of_test() {
        let labels: Vec<bool> = (0..25).map(|i| i % 3 == 0).collect();
        for fold in StratifiedKFold::new(4, 9).unwrap().split(&labels).unwrap() {
            assert!(fold.test.windows(2).all(|w| w[0] < w[1]));
            assert!(fold.train.windows(2).all(|w| w[0] < w[1]));
            let mut all: Vec<usize> = fold.train.iter().chain(&fold.test).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..25).collect::<Vec<_>>());
        }
    }

    #[test]
    fn same_seed_gives_identical_folds_and_another_seed_differs() {
        let labels: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let a = StratifiedKFold::new(5, 2024).unwrap().split(&labels).unwrap();
        let b = StratifiedKFold::new(5, 2024).unwrap().split(&labels).unwrap();
        let c = StratifiedKFold::new(5, 2025).unwrap().split(&labels).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn splitter_round_trips_through_json_and_validates_k() {
        let s = StratifiedKFold::new(5, 7).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"k":5,"seed":7}"#);
        let back: StratifiedKFold = serde_json::from_str(&json).unwrap();
        assert_eq!((back.k(), back.seed()), (5, 7));
        assert!(serde_json::from_str::<StratifiedKFold>(r#"{"k":1,"seed":7}"#).is_err());
    }

    #[test]
    fn fewer_than_two_folds_is_invalid_parameter() {
        for k in [0, 1] {
            assert!(matches!(StratifiedKFold::new(k, 0), Err(Error::InvalidParameter { name: "k", .. })));
        }
    }

    #[test]
    fn class_smaller_than_k_is_invalid_parameter() {
        // 2 churners cannot fill 3 folds.
        let labels = [true, true, false, false, false, false];
        let r = StratifiedKFold::new(3, 0).unwrap().split(&labels);
        assert!(matches!(r, Err(Error::InvalidParameter { name: "k", reason, .. }) if reason.contains("churned")));
        // 2 stayers cannot either.
        let labels = [false, false, true, true, true, true];
        let r = StratifiedKFold::new(3, 0).unwrap().split(&labels);
        assert!(matches!(r, Err(Error::InvalidParameter { name: "k", reason, .. }) if reason.contains("retained")));
    }

    #[test]
    fn empty_labels_are_empty_data() {
        assert!(matches!(StratifiedKFold::new(2, 0).unwrap().split(&[]), Err(Error::EmptyData { .. })));
    }

    #[test]
    fn a_single_class_cannot_be_stratified() {
        let kf = StratifiedKFold::new(2, 0).unwrap();
        assert!(matches!(kf.split(&[true; 4]), Err(Error::SingleClass { class: true, n: 4 })));
        assert!(matches!(kf.split(&[false; 4]), Err(Error::SingleClass { class: false, n: 4 })));
    }

    #[test]
    fn grouped_folds_keep_each_group_together_and_stay_balanced() {
        // 300 customers with 1–3 rows each; churn depends on the customer.
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for c in 0..300usize {
            for _ in 0..(1 + c % 3) {
                labels.push(c % 4 == 0);
                groups.push(c);
            }
        }
        let folds = StratifiedKFold::new(5, 3).unwrap().split_grouped(&labels, &groups).unwrap();
        let mut fold_of_group = std::collections::HashMap::new();
        for (i, f) in folds.iter().enumerate() {
            for &r in &f.test {
                assert_eq!(*fold_of_group.entry(groups[r]).or_insert(i), i, "group split across folds");
            }
        }
        let rate = labels.iter().filter(|&&y| y).count() as f64 / labels.len() as f64;
        for f in &folds {
            let fr = positives(&labels, &f.test) as f64 / f.test.len() as f64;
            assert!((fr - rate).abs() < 0.03, "fold churn rate {fr} vs {rate}");
            assert!((f.test.len() as f64 - labels.len() as f64 / 5.0).abs() < 10.0);
        }
        // Unique groups fall back to the exact stratified split.
        let ids: Vec<usize> = (0..labels.len()).collect();
        let kf = StratifiedKFold::new(5, 3).unwrap();
        assert_eq!(kf.split_grouped(&labels, &ids).unwrap(), kf.split(&labels).unwrap());
        assert!(matches!(kf.split_grouped(&labels, &ids[1..]), Err(Error::ShapeMismatch { .. })));
    }

    proptest! {
        #[test]
        fn stratified_folds_partition_rows_and_balance_churners(
            labels in prop::collection::vec(any::<bool>(), 4..120),
            k in 2usize..6,
            seed in any::<u64>(),
        ) {
            let n_pos = labels.iter().filter(|&&y| y).count();
            prop_assume!(n_pos >= k && labels.len() - n_pos >= k);
            let folds = StratifiedKFold::new(k, seed).unwrap().split(&labels).unwrap();
            prop_assert_eq!(folds.len(), k);
            let mut seen: Vec<usize> = folds.iter().flat_map(|f| f.test.iter().copied()).collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..labels.len()).collect::<Vec<_>>());
            let pos: Vec<usize> = folds.iter().map(|f| positives(&labels, &f.test)).collect();
            let neg: Vec<usize> = folds.iter().map(|f| f.test.len() - positives(&labels, &f.test)).collect();
            for counts in [&pos, &neg] {
                let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
                prop_assert!(hi - lo <= 1, "counts {:?}", counts);
            }
            for f in &folds {
                prop_assert_eq!(f.train.len() + f.test.len(), labels.len());
            }
        }
    }
}
