//! Behaviour-change detectors and the triggers they raise.
//!
//! Two detectors watch single events as they arrive (a customer's first
//! complaint, a bad review); two watch the state as time passes (order
//! frequency falling against the customer's own baseline, silence longer than
//! the customer's own typical gap between orders — the post-holiday lapse).
//! A detector raises a [`Trigger`]; the [`Monitor`](super::Monitor) turns
//! triggers into alerts at the next rescoring, at most one per [`Cause`] and
//! customer within the cool-down.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::data::OrderEntry;
use crate::error::{Error, Result, ensure};
use crate::time::{Days, Timestamp};
use crate::warn::RiskTier;

/// Order frequency falling against the customer's own baseline.
///
/// With `b` orders in the `baseline` days before the `recent` window, the
/// customer is expected to place `b × recent / baseline` orders in the recent
/// window; the detector fires when at least `min_expected` were expected and at
/// most `max_ratio` of them were placed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrequencyDrop {
    /// The recent window (default 30 days).
    pub recent: Days,
    /// The baseline window just before it (default 180 days).
    pub baseline: Days,
    /// Highest share of the expected orders that still counts as a drop (default 0.25).
    pub max_ratio: f64,
    /// Fewest expected recent orders for the detector to judge (default 2).
    pub min_expected: f64,
}

impl Default for FrequencyDrop {
    fn default() -> Self {
        FrequencyDrop { recent: Days(30), baseline: Days(180), max_ratio: 0.25, min_expected: 2.0 }
    }
}

/// Silence longer than the customer's own typical gap between orders.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inactivity {
    /// Fires when the days since the last order exceed `multiple ×` the median gap (default 2.5).
    pub multiple: f64,
    /// Fewest orders in the look-back for a typical gap to exist (default 4).
    pub min_orders: usize,
}

impl Default for Inactivity {
    fn default() -> Self {
        Inactivity { multiple: 2.5, min_orders: 4 }
    }
}

/// Which detectors run, with their settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detectors {
    /// Falling order frequency (`None` = off).
    pub frequency_drop: Option<FrequencyDrop>,
    /// The customer's first complaint ticket since monitoring began.
    pub first_complaint: bool,
    /// A review rated at most this many stars (`None` = off; default 2).
    pub bad_review_max_rating: Option<f64>,
    /// Silence past the customer's own rhythm (`None` = off).
    pub inactivity: Option<Inactivity>,
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors {
            frequency_drop: Some(FrequencyDrop::default()),
            first_complaint: true,
            bad_review_max_rating: Some(2.0),
            inactivity: Some(Inactivity::default()),
        }
    }
}

impl Detectors {
    /// Check the settings against the look-back the windows must fit in.
    pub fn check(&self, lookback: Days) -> Result<()> {
        if let Some(f) = &self.frequency_drop {
            ensure!(f.recent.0 > 0, Error::param("frequency_drop.recent", f.recent, "must be at least one day"));
            ensure!(f.baseline.0 > 0, Error::param("frequency_drop.baseline", f.baseline, "must be at least one day"));
            ensure!(
                f.recent.0 + f.baseline.0 <= lookback.0,
                Error::param(
                    "frequency_drop.baseline",
                    f.baseline,
                    "recent + baseline must fit in the pipeline's look-back (older events are not kept)"
                )
            );
            ensure!(
                f.max_ratio.is_finite() && (0.0..1.0).contains(&f.max_ratio),
                Error::param("frequency_drop.max_ratio", f.max_ratio, "must lie in [0, 1)")
            );
            ensure!(
                f.min_expected.is_finite() && f.min_expected > 0.0,
                Error::param("frequency_drop.min_expected", f.min_expected, "must be finite and > 0")
            );
        }
        if let Some(r) = self.bad_review_max_rating {
            ensure!(
                (1.0..5.0).contains(&r),
                Error::param("bad_review_max_rating", r, "must lie in [1, 5) on the 1–5 star scale")
            );
        }
        if let Some(i) = &self.inactivity {
            ensure!(
                i.multiple.is_finite() && i.multiple >= 1.0,
                Error::param("inactivity.multiple", i.multiple, "must be finite and ≥ 1")
            );
            ensure!(i.min_orders >= 3, Error::param("inactivity.min_orders", i.min_orders, "need at least 3 orders"));
        }
        Ok(())
    }

    /// State-based triggers for a customer with the retained `orders` (sorted by
    /// time) at `now`, given the look-back start.
    pub(crate) fn on_state(&self, orders: &[OrderEntry], now: Timestamp, lookback_start: Timestamp) -> Vec<Trigger> {
        let mut out = Vec::new();
        let orders = Orders(orders);
        if let Some(f) = &self.frequency_drop {
            let recent_start = now - f.recent;
            let baseline_orders = orders.count_between(recent_start - f.baseline, recent_start);
            let recent_orders = orders.count_between(recent_start, now);
            let expected = baseline_orders as f64 * f64::from(f.recent.0) / f64::from(f.baseline.0);
            if expected >= f.min_expected && recent_orders as f64 <= f.max_ratio * expected {
                out.push(Trigger::FrequencyDrop { recent_orders: recent_orders as u32, expected });
            }
        }
        if let Some(i) = &self.inactivity
            && let (Some(gap), n) = orders.median_gap(lookback_start, now)
            && n >= i.min_orders
            && gap > 0.0
            && let Some(last) = orders.last_before(now)
        {
            let silent = now.days_since(last);
            if silent > i.multiple * gap {
                out.push(Trigger::Inactivity { days_silent: silent, typical_gap_days: gap });
            }
        }
        out
    }
}

/// A customer's retained orders, sorted by time.
struct Orders<'a>(&'a [OrderEntry]);

impl Orders<'_> {
    fn between(&self, from: Timestamp, to: Timestamp) -> &[OrderEntry] {
        let lo = self.0.partition_point(|o| o.at < from);
        let hi = self.0.partition_point(|o| o.at < to);
        self.0.get(lo..hi).unwrap_or(&[])
    }

    /// Orders at or after `from` and before `to`.
    fn count_between(&self, from: Timestamp, to: Timestamp) -> usize {
        self.between(from, to).len()
    }

    /// Median gap in days between consecutive orders at or after `from` and before `to`,
    /// with the number of orders it is taken over.
    fn median_gap(&self, from: Timestamp, to: Timestamp) -> (Option<f64>, usize) {
        let orders = self.between(from, to);
        let mut gaps: Vec<f64> = orders.windows(2).map(|w| w[1].at.days_since(w[0].at)).collect();
        if gaps.is_empty() {
            return (None, orders.len());
        }
        gaps.sort_by(f64::total_cmp);
        let m = gaps.len();
        let median = if m % 2 == 1 { gaps[m / 2] } else { 0.5 * (gaps[m / 2 - 1] + gaps[m / 2]) };
        (Some(median), orders.len())
    }

    /// The last order before `to`, if any.
    fn last_before(&self, to: Timestamp) -> Option<Timestamp> {
        let hi = self.0.partition_point(|o| o.at < to);
        hi.checked_sub(1).and_then(|i| self.0.get(i)).map(|o| o.at)
    }
}

/// The kind of a [`Trigger`]: the key of alert de-duplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The risk tier rose.
    TierRise,
    /// Order frequency fell against the personal baseline.
    FrequencyDrop,
    /// First complaint.
    FirstComplaint,
    /// A bad review.
    BadReview,
    /// Silence past the personal rhythm.
    Inactivity,
}

impl Cause {
    /// Every cause, in declaration order.
    pub const ALL: [Cause; 5] =
        [Cause::TierRise, Cause::FrequencyDrop, Cause::FirstComplaint, Cause::BadReview, Cause::Inactivity];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Cause::TierRise => "tier rise",
            Cause::FrequencyDrop => "frequency drop",
            Cause::FirstComplaint => "first complaint",
            Cause::BadReview => "bad review",
            Cause::Inactivity => "inactivity",
        })
    }
}

/// Why an alert was raised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Trigger {
    /// The customer moved into a higher risk tier.
    TierRise {
        /// Tier at the previous scoring.
        from: RiskTier,
        /// Tier now.
        to: RiskTier,
    },
    /// Order frequency fell against the customer's own baseline.
    FrequencyDrop {
        /// Orders in the recent window.
        recent_orders: u32,
        /// Orders the baseline rate predicted for it.
        expected: f64,
    },
    /// The customer's first complaint since monitoring began.
    FirstComplaint {
        /// When the complaint was opened.
        at: Timestamp,
    },
    /// A review at or below the bad-review rating.
    BadReview {
        /// When it was posted.
        at: Timestamp,
        /// Its rating.
        rating: f64,
    },
    /// Silence longer than the customer's own rhythm.
    Inactivity {
        /// Days since the last order.
        days_silent: f64,
        /// The customer's median gap between orders in the look-back, in days.
        typical_gap_days: f64,
    },
}

impl Trigger {
    /// The trigger's kind.
    pub fn cause(&self) -> Cause {
        match self {
            Trigger::TierRise { .. } => Cause::TierRise,
            Trigger::FrequencyDrop { .. } => Cause::FrequencyDrop,
            Trigger::FirstComplaint { .. } => Cause::FirstComplaint,
            Trigger::BadReview { .. } => Cause::BadReview,
            Trigger::Inactivity { .. } => Cause::Inactivity,
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::TierRise { from, to } => write!(f, "tier rose from {from} to {to}"),
            Trigger::FrequencyDrop { recent_orders, expected } => {
                write!(f, "{recent_orders} recent orders where {expected:.1} were expected")
            }
            Trigger::FirstComplaint { at } => write!(f, "first complaint on {at}"),
            Trigger::BadReview { at, rating } => write!(f, "{rating}-star review on {at}"),
            Trigger::Inactivity { days_silent, typical_gap_days } => {
                write!(f, "silent {days_silent:.0} days, usually orders every {typical_gap_days:.0}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Channel;
    use crate::time::SECONDS_PER_DAY;

    fn t(day: i64) -> Timestamp {
        Timestamp::from_unix_seconds(day * SECONDS_PER_DAY)
    }

    fn window(days: &[i64]) -> Vec<OrderEntry> {
        days.iter()
            .map(|&d| OrderEntry {
                at: t(d),
                amount: 10.0,
                discount: 0.0,
                items: 1,
                returned: false,
                channel: Channel::Web,
            })
            .collect()
    }

    #[test]
    fn median_gap_uses_only_orders_in_range() {
        let orders = window(&[0, 10, 12, 20, 50]);
        let o = Orders(&orders);
        // Orders 10, 12, 20, 50 → gaps 2, 8, 30 → median 8.
        assert_eq!(o.median_gap(t(5), t(60)), (Some(8.0), 4));
        assert_eq!(o.median_gap(t(45), t(60)), (None, 1));
        assert_eq!(o.count_between(t(10), t(20)), 2);
        assert_eq!(o.last_before(t(20)), Some(t(12)));
        assert_eq!(o.last_before(t(0)), None);
    }

    #[test]
    fn frequency_drop_fires_only_when_recent_orders_fall_below_the_baseline_share() {
        let d = Detectors { inactivity: None, ..Detectors::default() };
        // 12 orders in the 180 baseline days before day 400 − 30: expected 2 in 30 days.
        let baseline: Vec<i64> = (0..12).map(|k| 200 + 15 * k).collect();
        let quiet = window(&baseline);
        let triggers = d.on_state(&quiet, t(400), t(35));
        assert_eq!(triggers, [Trigger::FrequencyDrop { recent_orders: 0, expected: 2.0 }]);
        // One recent order is half the expected 2: above max_ratio 0.25, no trigger.
        let mut busy = baseline.clone();
        busy.push(390);
        assert!(d.on_state(&window(&busy), t(400), t(35)).is_empty());
        // Too little history to judge (expected 1 < min_expected 2).
        assert!(d.on_state(&window(&baseline[..6]), t(400), t(35)).is_empty());
    }

    #[test]
    fn inactivity_fires_past_the_multiple_of_the_median_gap() {
        let d = Detectors { frequency_drop: None, ..Detectors::default() };
        // Orders every 10 days; last on day 130.
        let w = window(&[100, 110, 120, 130]);
        assert!(d.on_state(&w, t(155), t(0)).is_empty()); // 25 days = 2.5 × 10: not past it
        let fired = d.on_state(&w, t(156), t(0));
        assert_eq!(fired, [Trigger::Inactivity { days_silent: 26.0, typical_gap_days: 10.0 }]);
        // Three orders are too few for a typical gap.
        assert!(d.on_state(&window(&[100, 110, 120]), t(300), t(0)).is_empty());
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let d = Detectors {
            frequency_drop: Some(FrequencyDrop { baseline: Days(400), ..FrequencyDrop::default() }),
            ..Detectors::default()
        };
        assert!(matches!(d.check(Days(365)), Err(Error::InvalidParameter { name: "frequency_drop.baseline", .. })));
        let d = Detectors { bad_review_max_rating: Some(5.0), ..Detectors::default() };
        assert!(matches!(d.check(Days(365)), Err(Error::InvalidParameter { name: "bad_review_max_rating", .. })));
        assert!(Detectors::default().check(Days(365)).is_ok());
    }
}
