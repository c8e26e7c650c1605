//! Harrell's concordance index for censored data, counted as lifelines counts it.

use super::kaplan_meier::check_survival_data;
use crate::error::{Error, Result, ensure};

/// Fenwick (binary indexed) tree of counts, for O(log n) "how many below x" queries.
#[derive(Debug)]
struct Fenwick(Vec<u64>);

impl Fenwick {
    fn add(&mut self, mut i: usize) {
        i += 1;
        while i <= self.0.len() {
            if let Some(c) = self.0.get_mut(i - 1) {
                *c += 1;
            }
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of counts at positions `0..end`.
    fn prefix(&self, mut end: usize) -> u64 {
        let mut s = 0;
        while end > 0 {
            s += self.0.get(end - 1).copied().unwrap_or(0);
            end -= end & end.wrapping_neg();
        }
        s
    }
}

/// Harrell's C (Harrell, Lee & Mark 1996): among comparable pairs, the share in which
/// the subject who churned first has the lower `score`, ties in score counting ½.
/// Higher `score` means "expected to stay longer" (pass the negated hazard, as lifelines'
/// `concordance_index(T, -partial_hazard, E)` does).
///
/// Pairs follow lifelines 0.30 exactly: a subject who churned at `t` is compared with every
/// subject who left later (churned or censored) and with subjects censored at the same `t`;
/// two churns at the same time are not compared. O(n log n) via a sorted sweep and a
/// Fenwick tree, as lifelines does with its binary tree.
///
/// ```
/// use churnguard::regression::survival::concordance_index;
/// let months = [2.0, 4.0, 6.0, 8.0];
/// let churned = [true, true, false, true];
/// let predicted_months = [1.0, 5.0, 4.0, 9.0]; // one pair out of order: (4 → 5) vs (6 → 4)
/// let c = concordance_index(&months, &predicted_months, &churned)?;
/// assert_eq!(c, 4.0 / 5.0);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// Errors: invalid durations (see [`KaplanMeier::fit`](super::KaplanMeier::fit)), a non-finite
/// score, lengths that differ, or no comparable pair ([`Error::EmptyData`]).
pub fn concordance_index(durations: &[f64], scores: &[f64], events: &[bool]) -> Result<f64> {
    check_survival_data(durations, events)?;
    ensure!(
        scores.len() == durations.len(),
        Error::ShapeMismatch { what: "scores vs durations", expected: durations.len(), found: scores.len() }
    );
    for (row, &s) in scores.iter().enumerate() {
        ensure!(s.is_finite(), Error::NonFinite { column: "score".into(), row, value: s });
    }
    let (correct, tied, pairs) = concordance_counts(durations, scores, events);
    ensure!(
        pairs > 0,
        Error::EmptyData {
            context: "no comparable pairs for the concordance index (need a churn before another exit)".into()
        }
    );
    Ok((correct as f64 + tied as f64 / 2.0) / pairs as f64)
}

/// `(correct, tied, pairs)` as lifelines' `_concordance_summary_statistics`; inputs already checked.
pub(crate) fn concordance_counts(durations: &[f64], scores: &[f64], events: &[bool]) -> (u64, u64, u64) {
    let mut died: Vec<(f64, f64)> =
        (0..durations.len()).filter(|&i| events[i]).map(|i| (durations[i], scores[i])).collect();
    let mut censored: Vec<(f64, f64)> =
        (0..durations.len()).filter(|&i| !events[i]).map(|i| (durations[i], scores[i])).collect();
    died.sort_by(|a, b| a.0.total_cmp(&b.0));
    censored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut keys: Vec<f64> = died.iter().map(|d| d.1).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup();
    let mut pool = Fenwick(vec![0; keys.len()]);
    let mut pool_size = 0u64;
    let (mut correct, mut tied, mut pairs) = (0u64, 0u64, 0u64);
    // Count pool scores below and equal to `score`.
    let rank = |pool: &Fenwick, score: f64| {
        let below = keys.partition_point(|&k| k < score);
        let not_above = keys.partition_point(|&k| k <= score);
        let less = pool.prefix(below);
        (less, pool.prefix(not_above) - less)
    };
    let (mut ci, mut di) = (0, 0);
    loop {
        let more_censored = ci < censored.len();
        let more_died = di < died.len();
        let take_censored = match (died.get(di), censored.get(ci)) {
            (Some(d), Some(c)) => d.0 > c.0,
            (None, Some(_)) => true,
            _ => false,
        };
        if !more_censored && !more_died {
            break;
        }
        let batch = if take_censored { &censored } else { &died };
        let start = if take_censored { ci } else { di };
        let t = batch.get(start).map_or(0.0, |b| b.0);
        let end = start + batch.get(start..).map_or(0, |rest| rest.iter().take_while(|b| b.0 == t).count());
        let members = batch.get(start..end).unwrap_or(&[]);
        pairs += pool_size * members.len() as u64;
        for &(_, score) in members {
            let (less, equal) = rank(&pool, score);
            correct += less;
            tied += equal;
        }
        if take_censored {
            ci = end;
        } else {
            for &(_, score) in members {
                pool.add(keys.partition_point(|&k| k < score));
                pool_size += 1;
            }
            di = end;
        }
    }
    (correct, tied, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct O(n²) count over all pairs with lifelines' `_naive_concordance_summary_statistics` rules.
    fn naive(durations: &[f64], scores: &[f64], events: &[bool]) -> (u64, u64, u64) {
        let (mut correct, mut tied, mut pairs) = (0, 0, 0);
        for a in 0..durations.len() {
            for b in 0..durations.len() {
                // Ordered pair: a leaves first with an event; b leaves later, or at the same time censored.
                let comparable =
                    events[a] && (durations[a] < durations[b] || (durations[a] == durations[b] && !events[b]));
                if comparable {
                    pairs += 1;
                    if scores[a] < scores[b] {
                        correct += 1;
                    } else if scores[a] == scores[b] {
                        tied += 1;
                    }
                }
            }
        }
        (correct, tied, pairs)
    }

    #[test]
    fn sweep_equals_the_quadratic_pair_count_with_ties_everywhere() {
        let durations = [1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0, 1.0, 7.0];
        let events = [true, true, false, true, true, false, false, true, true, false, false, true];
        let scores = [0.5, 1.0, 1.0, 0.2, 3.0, 1.0, 2.0, 2.0, 0.5, 4.0, 1.0, 2.0];
        assert_eq!(concordance_counts(&durations, &scores, &events), naive(&durations, &scores, &events));
    }
}
