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
