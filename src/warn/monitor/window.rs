//! The retained history of one monitored customer.
//!
//! A [`Window`] keeps, per kind of event and sorted by time, the events inside
//! the feature look-back plus the few older ones a feature still reads: the
//! last event before the look-back (for `days_since_last_*` and eligibility of
//! customers silent for longer than the look-back) and, for orders, the first
//! order ever (`days_since_first_order`). Every other event older than the
//! look-back is dropped when the clock passes it, so the state of a customer is
//! bounded by their activity within one look-back, not by their whole history.
//!
//! Why events and not running sums: a windowed running sum must still keep the
//! events it will later subtract, so it saves no memory; reading the features
//! from the retained events with the batch extraction code makes streaming and
//! batch features agree by construction, instead of maintaining a second
//! definition of 58 features. Applying an event is an insertion at the end of a
//! short vector (amortised O(1) for events in time order).

use serde::{Deserialize, Serialize};

use crate::data::{Customer, OrderEntry, ReviewEntry, TicketEntry, Timed};
use crate::features::History;
use crate::time::{SECONDS_PER_DAY, Timestamp};

/// An instant as unsigned 32-bit Unix seconds (1970 to 2106): visits and
/// interactions are the bulk of a customer's events and features read only
/// their times, so they are kept at half the size of a [`Timestamp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Instant32(u32);

impl Instant32 {
    /// 1970-01-01T00:00:00Z.
    pub(crate) const MIN: Instant32 = Instant32(0);

    /// The instant, if it lies in 1970–2106.
    pub(crate) fn new(t: Timestamp) -> Option<Self> {
        u32::try_from(t.unix_seconds()).ok().map(Instant32)
    }
}

impl Timed for Instant32 {
    fn at(&self) -> Timestamp {
        Timestamp::from_unix_seconds(i64::from(self.0))
    }
}

/// One customer's retained events, each kind sorted by time (ties in arrival order).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Window {
    pub(crate) orders: Vec<OrderEntry>,
    pub(crate) visits: Vec<Instant32>,
    pub(crate) interactions: Vec<Instant32>,
    pub(crate) tickets: Vec<TicketEntry>,
    pub(crate) reviews: Vec<ReviewEntry>,
}

/// Insert `item` after every entry at or before its time (stable for ties).
///
/// Capacity grows by a quarter rather than doubling: a monitor holds millions of
/// these short vectors, and doubling leaves a quarter of them empty on average.
fn insert_sorted<T: Timed>(items: &mut Vec<T>, item: T) {
    if items.len() == items.capacity() {
        items.reserve_exact((items.len() / 4).max(2));
    }
    let at = item.at();
    if items.last().is_none_or(|last| last.at() <= at) {
        items.push(item);
    } else {
        let pos = items.partition_point(|e| e.at() <= at);
        items.insert(pos, item);
    }
}

/// Drop entries before `cut`, except the last of them and, if `keep_first`, the first.
fn expire<T: Timed>(items: &mut Vec<T>, cut: Timestamp, keep_first: bool) {
    let n = items.partition_point(|e| e.at() < cut);
    let start = usize::from(keep_first);
    if n >= start + 2 {
        items.drain(start..n - 1);
        // Release what expiry freed once it exceeds one growth step of `insert_sorted`,
        // so a customer whose activity falls does not keep the capacity of their busiest
        // look-back (and a steady stream does not reallocate back and forth).
        if items.capacity() - items.len() > items.len() / 4 + 2 {
            items.shrink_to(items.len() + items.len() / 8 + 1);
        }
    }
}

impl Window {
    pub(crate) fn insert_order(&mut self, o: OrderEntry) {
        insert_sorted(&mut self.orders, o);
    }

    pub(crate) fn insert_visit(&mut self, at: Instant32) {
        insert_sorted(&mut self.visits, at);
    }

    pub(crate) fn insert_interaction(&mut self, at: Instant32) {
        insert_sorted(&mut self.interactions, at);
    }

    pub(crate) fn insert_ticket(&mut self, t: TicketEntry) {
        insert_sorted(&mut self.tickets, t);
    }

    pub(crate) fn insert_review(&mut self, r: ReviewEntry) {
        insert_sorted(&mut self.reviews, r);
    }

    /// The retained ticket opened at `opened` in `category`, if any.
    pub(crate) fn ticket_mut(
        &mut self,
        opened: Timestamp,
        category: crate::data::TicketCategory,
    ) -> Option<&mut TicketEntry> {
        self.tickets.iter_mut().find(|t| t.at == opened && t.category == category)
    }

    /// Forget what no feature reads once the look-back starts at `cut`.
    pub(crate) fn expire(&mut self, cut: Timestamp) {
        expire(&mut self.orders, cut, true);
        expire(&mut self.visits, cut, false);
        expire(&mut self.interactions, cut, false);
        expire(&mut self.tickets, cut, false);
        expire(&mut self.reviews, cut, false);
    }

    /// The history view the feature extraction reads.
    pub(crate) fn history<'a>(&'a self, customer: &'a Customer) -> History<'a, Instant32, Instant32> {
        History {
            customer,
            orders: &self.orders,
            visits: &self.visits,
            interactions: &self.interactions,
            tickets: &self.tickets,
            reviews: &self.reviews,
        }
    }

    /// Number of retained entries of all kinds.
    pub(crate) fn len(&self) -> usize {
        self.orders.len() + self.visits.len() + self.interactions.len() + self.tickets.len() + self.reviews.len()
    }

    /// Heap bytes held (capacity, not length: what the allocator really gave).
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.orders.capacity() * size_of::<OrderEntry>()
            + (self.visits.capacity() + self.interactions.capacity()) * size_of::<Instant32>()
            + self.tickets.capacity() * size_of::<TicketEntry>()
            + self.reviews.capacity() * size_of::<ReviewEntry>()
    }

    /// Release spare capacity (after a bulk load).
    pub(crate) fn shrink(&mut self) {
        self.orders.shrink_to_fit();
        self.visits.shrink_to_fit();
        self.interactions.shrink_to_fit();
        self.tickets.shrink_to_fit();
        self.reviews.shrink_to_fit();
    }

    /// Orders at or after `from` and before `to`.
    pub(crate) fn orders_between(&self, from: Timestamp, to: Timestamp) -> usize {
        let lo = self.orders.partition_point(|o| o.at < from);
        let hi = self.orders.partition_point(|o| o.at < to);
        hi.saturating_sub(lo)
    }

    /// Median gap in days between consecutive orders at or after `from` and before `to`,
    /// with the number of orders it is taken over.
    pub(crate) fn median_order_gap(&self, from: Timestamp, to: Timestamp) -> (Option<f64>, usize) {
        let lo = self.orders.partition_point(|o| o.at < from);
        let hi = self.orders.partition_point(|o| o.at < to);
        let orders = self.orders.get(lo..hi).unwrap_or(&[]);
        let mut gaps: Vec<f64> = orders
            .windows(2)
            .map(|w| (w[1].at.unix_seconds() - w[0].at.unix_seconds()) as f64 / SECONDS_PER_DAY as f64)
            .collect();
        if gaps.is_empty() {
            return (None, orders.len());
        }
        gaps.sort_by(f64::total_cmp);
        let m = gaps.len();
        let median = if m % 2 == 1 { gaps[m / 2] } else { 0.5 * (gaps[m / 2 - 1] + gaps[m / 2]) };
        (Some(median), orders.len())
    }

    /// The latest event of any kind, if any is retained.
    pub(crate) fn last_event(&self) -> Option<Timestamp> {
        [
            self.orders.last().map(Timed::at),
            self.visits.last().map(Timed::at),
            self.interactions.last().map(Timed::at),
            self.tickets.last().map(Timed::at),
            self.reviews.last().map(Timed::at),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// The last order before `to`, if any is retained.
    pub(crate) fn last_order_before(&self, to: Timestamp) -> Option<Timestamp> {
        let hi = self.orders.partition_point(|o| o.at < to);
        hi.checked_sub(1).and_then(|i| self.orders.get(i)).map(|o| o.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: i64) -> Timestamp {
        Timestamp::from_unix_seconds(day * SECONDS_PER_DAY)
    }

    fn order(day: i64, amount: f64) -> OrderEntry {
        OrderEntry { at: t(day), amount, discount: 0.0, items: 1, returned: false, channel: crate::data::Channel::Web }
    }

    #[test]
    fn late_inserts_land_in_time_order_and_ties_keep_arrival_order() {
        let mut w = Window::default();
        w.insert_order(order(5, 1.0));
        w.insert_order(order(9, 2.0));
        w.insert_order(order(7, 3.0));
        w.insert_order(order(7, 4.0));
        let amounts: Vec<f64> = w.orders.iter().map(|o| o.amount).collect();
        assert_eq!(amounts, [1.0, 3.0, 4.0, 2.0]);
    }

    #[test]
    fn expiry_keeps_the_first_order_and_the_last_event_before_the_cut() {
        let mut w = Window::default();
        for d in [1, 2, 3, 4, 10, 11] {
            w.insert_order(order(d, d as f64));
            w.insert_visit(Instant32::new(t(d)).unwrap());
        }
        w.expire(t(10));
        let days: Vec<i64> = w.orders.iter().map(|o| o.at.unix_seconds() / SECONDS_PER_DAY).collect();
        assert_eq!(days, [1, 4, 10, 11]);
        let visits: Vec<i64> = w.visits.iter().map(|v| v.at().unix_seconds() / SECONDS_PER_DAY).collect();
        assert_eq!(visits, [4, 10, 11]);
        // Expiring again at the same cut changes nothing.
        let before = w.clone();
        w.expire(t(10));
        assert_eq!(w, before);
    }

    #[test]
    fn expiry_gives_back_capacity_beyond_one_growth_step() {
        let mut w = Window::default();
        for d in 0..200 {
            w.insert_visit(Instant32::new(t(d)).unwrap());
        }
        assert!(w.visits.capacity() >= 200);
        w.expire(t(190));
        // The last visit before the cut plus the ten at or after it.
        assert_eq!(w.visits.len(), 11);
        assert!(w.visits.capacity() <= 11 + 11 / 4 + 2, "capacity {}", w.visits.capacity());
        // A small expiry keeps the buffer (no reallocation for every dropped event).
        let mut v = Window::default();
        for d in 0..40 {
            v.insert_visit(Instant32::new(t(d)).unwrap());
        }
        let cap = v.visits.capacity();
        v.expire(t(2));
        assert_eq!((v.visits.len(), v.visits.capacity()), (39, cap));
    }

    #[test]
    fn median_gap_uses_only_orders_in_range() {
        let mut w = Window::default();
        for d in [0, 10, 12, 20, 50] {
            w.insert_order(order(d, 1.0));
        }
        // Orders 10, 12, 20, 50 → gaps 2, 8, 30 → median 8.
        assert_eq!(w.median_order_gap(t(5), t(60)), (Some(8.0), 4));
        assert_eq!(w.median_order_gap(t(45), t(60)), (None, 1));
        assert_eq!(w.orders_between(t(10), t(20)), 2);
        assert_eq!(w.last_order_before(t(20)), Some(t(12)));
    }
}
