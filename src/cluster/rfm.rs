//! RFM scoring: a model-free segmentation by recency, frequency and monetary value.
//!
//! Each customer gets three quintile scores 1–5 (Hughes 1994, *Strategic Database
//! Marketing*): R = 5 for the most recent fifth of customers (fewest days since the
//! last order), F = 5 for the most frequent buyers, M = 5 for the biggest spenders.
//! Scores come from average ranks, `score = ⌈5 · rank / n⌉`, so tied values share a
//! score and the quintiles are as even as the ties allow.
//!
//! The named segment follows an R × F grid, given with [`RfmSegment`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::profile::{Interval, wilson_interval};
use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;

/// A classic named RFM segment.
///
/// The named segment follows the R × F "segment map" common in RFM tutorials and
/// notebooks (regex form: `[1-2][1-2]` hibernating, `[1-2][3-4]` at risk, `[1-2]5`
/// can't lose them, `3[1-2]` about to sleep, `33` need attention, `[3-4][4-5]` loyal,
/// `41` promising, `51` new customers, `[4-5][2-3]` potential loyalists, `5[4-5]`
/// champions), with R = 1, F = 1 split off from *hibernating* as *lost*:
///
/// | R \ F | 1 | 2 | 3 | 4 | 5 |
/// |---|---|---|---|---|---|
/// | 5 | new customers | potential loyalists | potential loyalists | champions | champions |
/// | 4 | promising | potential loyalists | potential loyalists | loyal | loyal |
/// | 3 | about to sleep | about to sleep | need attention | loyal | loyal |
/// | 2 | hibernating | hibernating | at risk | at risk | can't lose them |
/// | 1 | lost | hibernating | at risk | at risk | can't lose them |
///
/// The M score is reported but, as in that grid, does not change the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmSegment {
    /// Bought recently and often (R 5, F 4–5).
    Champions,
    /// Buy often and fairly recently (R 3–4, F 4–5).
    Loyal,
    /// Recent buyers with average frequency (R 4–5, F 2–3).
    PotentialLoyalists,
    /// Bought very recently for the first times (R 5, F 1).
    NewCustomers,
    /// Recent but rare buyers (R 4, F 1).
    Promising,
    /// Middling recency and frequency (R 3, F 3).
    NeedAttention,
    /// Middling recency, low frequency (R 3, F 1–2).
    AboutToSleep,
    /// Used to buy often, not lately (R 1–2, F 3–4).
    AtRisk,
    /// The most frequent buyers of the past, gone quiet (R 1–2, F 5).
    CantLoseThem,
    /// Long ago and rarely (R 1–2, F 1–2, except R 1 F 1).
    Hibernating,
    /// The least recent and least frequent (R 1, F 1).
    Lost,
}

impl RfmSegment {
    /// Every segment, best first.
    pub const ALL: [RfmSegment; 11] = [
        RfmSegment::Champions,
        RfmSegment::Loyal,
        RfmSegment::PotentialLoyalists,
        RfmSegment::NewCustomers,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CantLoseThem,
        RfmSegment::Hibernating,
        RfmSegment::Lost,
    ];

    /// The segment of an R and an F score (1–5; values outside are clamped).
    pub fn from_scores(r: u8, f: u8) -> RfmSegment {
        let (r, f) = (r.clamp(1, 5), f.clamp(1, 5));
        match r {
            1 | 2 => match f {
                1 if r == 1 => RfmSegment::Lost,
                1 | 2 => RfmSegment::Hibernating,
                3 | 4 => RfmSegment::AtRisk,
                _ => RfmSegment::CantLoseThem,
            },
            3 => match f {
                1 | 2 => RfmSegment::AboutToSleep,
                3 => RfmSegment::NeedAttention,
                _ => RfmSegment::Loyal,
            },
            4 => match f {
                1 => RfmSegment::Promising,
                2 | 3 => RfmSegment::PotentialLoyalists,
                _ => RfmSegment::Loyal,
            },
            _ => match f {
                1 => RfmSegment::NewCustomers,
                2 | 3 => RfmSegment::PotentialLoyalists,
                _ => RfmSegment::Champions,
            },
        }
    }

    /// Readable name ("can't lose them").
    pub fn name(self) -> &'static str {
        match self {
            RfmSegment::Champions => "champions",
            RfmSegment::Loyal => "loyal",
            RfmSegment::PotentialLoyalists => "potential loyalists",
            RfmSegment::NewCustomers => "new customers",
            RfmSegment::Promising => "promising",
            RfmSegment::NeedAttention => "need attention",
            RfmSegment::AboutToSleep => "about to sleep",
            RfmSegment::AtRisk => "at risk",
            RfmSegment::CantLoseThem => "can't lose them",
            RfmSegment::Hibernating => "hibernating",
            RfmSegment::Lost => "lost",
        }
    }
}

impl fmt::Display for RfmSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One customer's RFM scores and segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmScore {
    /// Recency score, 5 = most recent.
    pub r: u8,
    /// Frequency score, 5 = most frequent.
    pub f: u8,
    /// Monetary score, 5 = highest spend.
    pub m: u8,
    /// The named segment from R and F.
    pub segment: RfmSegment,
}

/// Quintile scores (1–5, 5 = largest value) from average ranks; `NaN` scores 1.
fn quintiles(values: &[f64], column: &str) -> Result<Vec<u8>> {
    if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| v.is_infinite()) {
        return Err(Error::NonFinite { column: column.to_string(), row, value });
    }
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| values.get(i).is_some_and(|v| !v.is_nan())).collect();
    order.sort_by(|&a, &b| values.get(a).zip(values.get(b)).map_or(std::cmp::Ordering::Equal, |(x, y)| x.total_cmp(y)));
    let n = values.len() as f64;
    let mut scores = vec![1u8; values.len()];
    // Missing values rank lowest: the observed values take ranks above them.
    let offset = values.len() - order.len();
    let mut start = 0;
    while start < order.len() {
        let value = order.get(start).and_then(|&i| values.get(i)).copied().unwrap_or(f64::NAN);
        let mut end = start;
        while end < order.len() && order.get(end).and_then(|&i| values.get(i)) == Some(&value) {
            end += 1;
        }
        // Average 1-based rank of the tie block [start, end).
        let rank = offset as f64 + (start + end + 1) as f64 / 2.0;
        let score = (5.0 * rank / n).ceil().clamp(1.0, 5.0) as u8;
        for &i in order.get(start..end).unwrap_or(&[]) {
            if let Some(s) = scores.get_mut(i) {
                *s = score;
            }
        }
        start = end;
    }
    Ok(scores)
}

/// RFM scores from days since the last order, order count and spend (one value per
/// customer). A missing (`NaN`) value means "no activity" and scores 1 (for recency:
/// no order in the look-back, the least recent).
///
/// ```
/// use churnguard::cluster::{RfmSegment, rfm_scores};
/// let recency = [1.0, 200.0, 5.0, 90.0, 30.0];
/// let frequency = [12.0, 1.0, 3.0, 9.0, 5.0];
/// let monetary = [500.0, 20.0, 80.0, 300.0, 150.0];
/// let s = rfm_scores(&recency, &frequency, &monetary)?;
/// assert_eq!((s[0].r, s[0].f), (5, 5));
/// assert_eq!(s[0].segment, RfmSegment::Champions);
/// assert_eq!(s[1].segment, RfmSegment::Lost);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyData`] for no customers, [`Error::ShapeMismatch`] for different lengths,
/// [`Error::NonFinite`] for an infinite value.
pub fn rfm_scores(recency_days: &[f64], frequency: &[f64], monetary: &[f64]) -> Result<Vec<RfmScore>> {
    let n = recency_days.len();
    ensure!(n > 0, Error::EmptyData { context: "RFM scores of no customers".into() });
    ensure!(
        frequency.len() == n,
        Error::ShapeMismatch { what: "frequency vs recency", expected: n, found: frequency.len() }
    );
    ensure!(
        monetary.len() == n,
        Error::ShapeMismatch { what: "monetary vs recency", expected: n, found: monetary.len() }
    );
    // Recent = few days: rank the negated recency so that 5 = most recent.
    let negated: Vec<f64> = recency_days.iter().map(|v| -v).collect();
    let r = quintiles(&negated, "recency")?;
    let f = quintiles(frequency, "frequency")?;
    let m = quintiles(monetary, "monetary")?;
    Ok(r.iter()
        .zip(&f)
        .zip(&m)
        .map(|((&r, &f), &m)| RfmScore { r, f, m, segment: RfmSegment::from_scores(r, f) })
        .collect())
}

/// RFM scores from three numeric columns of a feature matrix, e.g.
/// `("days_since_last_order", "order_count_365d", "spend_365d")`.
///
/// # Errors
/// [`Error::MissingFeature`] for an absent column, otherwise as [`rfm_scores`].
pub fn rfm_from_features(
    data: &FeatureMatrix,
    recency: &str,
    frequency: &str,
    monetary: &str,
) -> Result<Vec<RfmScore>> {
    let column = |name: &str| -> Result<Vec<f64>> {
        data.numeric_column(name).map(|c| c.to_vec()).ok_or_else(|| Error::MissingFeature { name: name.to_string() })
    };
    rfm_scores(&column(recency)?, &column(frequency)?, &column(monetary)?)
}

/// Churn in one RFM segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RfmSummary {
    /// The segment.
    pub segment: RfmSegment,
    /// Customers in it.
    pub size: usize,
    /// Fraction of all customers.
    pub share: f64,
    /// Churn rate.
    pub churn_rate: f64,
    /// 95% Wilson interval of the churn rate.
    pub churn_rate_ci: Interval,
    /// Churn rate over the base rate.
    pub lift: f64,
}

/// Churn rate per RFM segment (non-empty segments only, in [`RfmSegment::ALL`] order).
///
/// # Errors
/// [`Error::ShapeMismatch`] for different lengths, [`Error::EmptyData`] for no customers,
/// [`Error::SingleClass`] when nobody churned (lift undefined).
pub fn rfm_churn(scores: &[RfmScore], churned: &[bool]) -> Result<Vec<RfmSummary>> {
    let n = scores.len();
    ensure!(n > 0, Error::EmptyData { context: "RFM churn of no customers".into() });
    ensure!(
        churned.len() == n,
        Error::ShapeMismatch { what: "churn labels vs RFM scores", expected: n, found: churned.len() }
    );
    let total = churned.iter().filter(|&&c| c).count();
    ensure!(total > 0, Error::SingleClass { class: false, n });
    let base = total as f64 / n as f64;
    let mut out = Vec::new();
    for segment in RfmSegment::ALL {
        let (size, hits) = scores
            .iter()
            .zip(churned)
            .filter(|(s, _)| s.segment == segment)
            .fold((0usize, 0usize), |(n, c), (_, &ch)| (n + 1, c + usize::from(ch)));
        if size == 0 {
            continue;
        }
        let rate = hits as f64 / size as f64;
        out.push(RfmSummary {
            segment,
            size,
            share: size as f64 / n as f64,
            churn_rate: rate,
            churn_rate_ci: wilson_interval(hits, size, 0.95)?,
            lift: rate / base,
        });
    }
    Ok(out)
}
