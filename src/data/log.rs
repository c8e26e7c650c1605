//! [`EventLog`]: every customer's history, integrated across channels and
//! sorted by time, ready for point-in-time feature extraction.
//!
//! Layout: customers are numbered `0..n` in arrival order; each event kind is
//! stored as one contiguous vector of compact entries grouped by customer
//! (CSR offsets) and sorted by time within a customer. A customer's history
//! of one kind is therefore a slice, and "events before `as_of`" is a binary
//! search. Events are validated as they arrive; invalid ones are counted and
//! described in the [`IngestReport`], never silently dropped.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::alias::AliasMap;
use super::records::{
    Channel, Customer, CustomerId, Interaction, InteractionKind, Order, Review, ReviewSource, SupportTicket,
    TicketCategory, Visit,
};
use super::report::{IngestReport, RecordKind, Rejection};
use super::source::{DataSource, RecordBatch};
use crate::error::{Error, Result, ensure};
use crate::time::Timestamp;

/// An order as stored in the log (the customer is implied by its position).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderEntry {
    /// When it was placed.
    pub at: Timestamp,
    /// Amount paid after discount.
    pub amount: f64,
    /// Discount granted, in currency.
    pub discount: f64,
    /// Number of items.
    pub items: u32,
    /// Whether it was returned.
    pub returned: bool,
    /// Where it was placed.
    pub channel: Channel,
}

/// A visit as stored in the log.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitEntry {
    /// Session start.
    pub at: Timestamp,
    /// Channel.
    pub channel: Channel,
    /// Pages viewed.
    pub pages: u32,
    /// Duration in seconds, if known.
    pub duration_seconds: Option<u32>,
}

/// An interaction as stored in the log.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionEntry {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: InteractionKind,
    /// Channel.
    pub channel: Channel,
}

/// A support ticket as stored in the log, keyed by its opening time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketEntry {
    /// When it was opened.
    pub at: Timestamp,
    /// When it was closed, if it was.
    pub closed: Option<Timestamp>,
    /// Category.
    pub category: TicketCategory,
    /// Resolution outcome (known only from `closed` on).
    pub resolved: bool,
    /// Satisfaction score at closing (1–5), if any.
    pub satisfaction: Option<f64>,
}

/// A review as stored in the log.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewEntry {
    /// When it was posted.
    pub at: Timestamp,
    /// Rating 1–5.
    pub rating: f64,
    /// Sentiment −1..1, if scored.
    pub sentiment: Option<f64>,
    /// Where it was posted.
    pub source: ReviewSource,
}

/// Anything stored in the log has a time it is ordered by.
pub trait Timed {
    /// The entry's time.
    fn at(&self) -> Timestamp;
}

macro_rules! impl_timed {
    ($($t:ty),*) => { $(impl Timed for $t { fn at(&self) -> Timestamp { self.at } })* };
}
impl_timed!(OrderEntry, VisitEntry, InteractionEntry, TicketEntry, ReviewEntry);

impl From<&Order> for OrderEntry {
    fn from(o: &Order) -> Self {
        OrderEntry {
            at: o.at,
            amount: o.amount,
            discount: o.discount,
            items: o.items,
            returned: o.returned,
            channel: o.channel,
        }
    }
}

impl From<&SupportTicket> for TicketEntry {
    fn from(t: &SupportTicket) -> Self {
        TicketEntry {
            at: t.opened,
            closed: t.closed,
            category: t.category,
            resolved: t.resolved,
            satisfaction: t.satisfaction,
        }
    }
}

impl From<&Review> for ReviewEntry {
    fn from(r: &Review) -> Self {
        ReviewEntry { at: r.at, rating: r.rating, sentiment: r.sentiment, source: r.source }
    }
}

/// A bare instant is its own time (the streaming monitor keeps only the times of
/// visits and interactions).
impl Timed for Timestamp {
    fn at(&self) -> Timestamp {
        *self
    }
}

/// Entries of one kind, grouped by customer and sorted by time within a customer.
#[derive(Clone, Debug, Default, PartialEq)]
struct Segmented<T> {
    offsets: Vec<usize>,
    items: Vec<T>,
}

impl<T: Timed + Copy> Segmented<T> {
    fn of(&self, customer: usize) -> &[T] {
        match (self.offsets.get(customer), self.offsets.get(customer + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }

    /// Group `(customer, entry)` pairs by customer (stable counting sort), then
    /// order each customer's entries by time (stable, so ties keep arrival order).
    fn build(n_customers: usize, pairs: Vec<(u32, T)>) -> Self {
        let mut offsets = vec![0usize; n_customers + 1];
        for (c, _) in &pairs {
            offsets[*c as usize + 1] += 1;
        }
        for i in 0..n_customers {
            offsets[i + 1] += offsets[i];
        }
        let mut items: Vec<T> = if pairs.is_sorted_by_key(|(c, _)| *c) {
            // Already grouped (sources usually deliver one customer after another):
            // the counting sort would return the same order, so skip it. A fresh
            // vector, not an in-place `collect`, which would keep the larger
            // allocation of the pairs.
            let mut items = Vec::with_capacity(pairs.len());
            items.extend(pairs.into_iter().map(|(_, item)| item));
            items
        } else {
            let mut cursor = offsets.clone();
            let mut slots: Vec<Option<T>> = vec![None; pairs.len()];
            for (c, item) in pairs {
                let pos = &mut cursor[c as usize];
                slots[*pos] = Some(item);
                *pos += 1;
            }
            slots.into_iter().flatten().collect()
        };
        for w in offsets.windows(2) {
            let seg = &mut items[w[0]..w[1]];
            if !seg.is_sorted_by_key(|e| e.at()) {
                seg.sort_by_key(|e| e.at());
            }
        }
        Segmented { offsets, items }
    }
}

/// One customer's full history, borrowed from an [`EventLog`].
#[derive(Clone, Copy, Debug)]
pub struct CustomerEvents<'a> {
    /// The profile.
    pub customer: &'a Customer,
    /// Orders, oldest first.
    pub orders: &'a [OrderEntry],
    /// Visits, oldest first.
    pub visits: &'a [VisitEntry],
    /// Interactions, oldest first.
    pub interactions: &'a [InteractionEntry],
    /// Tickets, by opening time, oldest first.
    pub tickets: &'a [TicketEntry],
    /// Reviews, oldest first.
    pub reviews: &'a [ReviewEntry],
}

impl CustomerEvents<'_> {
    /// Total number of events of all kinds.
    pub fn len(&self) -> usize {
        self.orders.len() + self.visits.len() + self.interactions.len() + self.tickets.len() + self.reviews.len()
    }

    /// Whether the customer has no event at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Integrated, time-sorted history of every customer.
///
/// ```
/// use churnguard::data::{EventLog, MemorySource, RecordBatch, Customer, Order};
/// use churnguard::Timestamp;
/// let t0 = Timestamp::from_ymd(2024, 1, 1)?;
/// let mut batch = RecordBatch::default();
/// batch.customers.push(Customer::new("c1", t0));
/// batch.orders.push(Order::new("c1", t0.add_days(10), 40.0));
/// batch.orders.push(Order::new("c1", t0.add_days(2), 15.0)); // out of order on arrival
/// batch.orders.push(Order::new("ghost", t0, 10.0));           // no such customer
/// let log = EventLog::from_source(&MemorySource::new(batch))?;
/// let events = log.events(0);
/// assert_eq!(events.orders[0].amount, 15.0);                 // sorted by time
/// assert_eq!(log.report().total_rejected(), 1);             // the ghost order is reported
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EventLog {
    customers: Vec<Customer>,
    index: HashMap<CustomerId, usize>,
    orders: Segmented<OrderEntry>,
    visits: Segmented<VisitEntry>,
    interactions: Segmented<InteractionEntry>,
    tickets: Segmented<TicketEntry>,
    reviews: Segmented<ReviewEntry>,
    report: IngestReport,
}

impl EventLog {
    /// Read every record of `source` with default settings (no aliases).
    pub fn from_source(source: &dyn DataSource) -> Result<EventLog> {
        EventLogBuilder::new().load(source)
    }

    /// A builder to set an alias map or the number of rejection examples kept.
    pub fn builder() -> EventLogBuilder {
        EventLogBuilder::new()
    }

    /// Number of customers.
    pub fn n_customers(&self) -> usize {
        self.customers.len()
    }

    /// Total number of events of all kinds.
    pub fn n_events(&self) -> usize {
        self.orders.items.len()
            + self.visits.items.len()
            + self.interactions.items.len()
            + self.tickets.items.len()
            + self.reviews.items.len()
    }

    /// All customer profiles, in index order.
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// The index of a customer id (canonical ids only; resolve aliases first).
    pub fn customer_index(&self, id: &CustomerId) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The history of the customer at `index`.
    ///
    /// # Panics
    /// If `index >= n_customers()` (indices come from this log, so this is a caller bug).
    pub fn events(&self, index: usize) -> CustomerEvents<'_> {
        CustomerEvents {
            customer: &self.customers[index],
            orders: self.orders.of(index),
            visits: self.visits.of(index),
            interactions: self.interactions.of(index),
            tickets: self.tickets.of(index),
            reviews: self.reviews.of(index),
        }
    }

    /// The history of a customer by id, or [`Error::UnknownCustomer`].
    pub fn events_of(&self, id: &CustomerId) -> Result<CustomerEvents<'_>> {
        self.customer_index(id)
            .map(|i| self.events(i))
            .ok_or_else(|| Error::UnknownCustomer { customer: id.to_string() })
    }

    /// What was read and rejected while building the log.
    pub fn report(&self) -> &IngestReport {
        &self.report
    }

    /// Earliest and latest event time over all kinds (ticket closings excluded), if any event exists.
    pub fn time_range(&self) -> Option<(Timestamp, Timestamp)> {
        fn span<T: Timed>(items: &[T]) -> Option<(Timestamp, Timestamp)> {
            let mut it = items.iter().map(Timed::at);
            let first = it.next()?;
            Some(it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
        }
        [
            span(&self.orders.items),
            span(&self.visits.items),
            span(&self.interactions.items),
            span(&self.tickets.items),
            span(&self.reviews.items),
        ]
        .into_iter()
        .flatten()
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }
}

/// Why an order cannot be stored, if it cannot (shared with the streaming monitor).
pub(crate) fn order_problem(o: &Order) -> Option<String> {
    if !o.amount.is_finite() || o.amount < 0.0 {
        Some(format!("amount {} must be a finite number ≥ 0 (mark returns with `returned`)", o.amount))
    } else if !o.discount.is_finite() || o.discount < 0.0 {
        Some(format!("discount {} must be a finite number ≥ 0", o.discount))
    } else {
        None
    }
}

/// Why a ticket cannot be stored, if it cannot.
pub(crate) fn ticket_problem(t: &SupportTicket) -> Option<String> {
    match (t.closed, t.satisfaction) {
        (Some(closed), _) if closed < t.opened => Some(format!("closed {closed} before it was opened {}", t.opened)),
        (_, Some(s)) if !(1.0..=5.0).contains(&s) => Some(format!("satisfaction {s} outside 1..=5")),
        (None, Some(_)) => Some("satisfaction given for a ticket that is not closed".to_string()),
        _ => None,
    }
}

/// Why a review cannot be stored, if it cannot.
pub(crate) fn review_problem(r: &Review) -> Option<String> {
    if !(1.0..=5.0).contains(&r.rating) {
        Some(format!("rating {} outside 1..=5", r.rating))
    } else {
        match r.sentiment {
            Some(s) if !(-1.0..=1.0).contains(&s) => Some(format!("sentiment {s} outside -1..=1")),
            _ => None,
        }
    }
}

/// Builds an [`EventLog`] from batches, resolving aliases and validating every record.
#[derive(Debug)]
pub struct EventLogBuilder {
    aliases: AliasMap,
    report: IngestReport,
    customers: Vec<Customer>,
    customer_index: HashMap<CustomerId, usize>,
    /// Whether a profile record carrying the canonical id itself has arrived (else only aliases did).
    canonical_seen: Vec<bool>,
    /// Raw customer keys seen on events, interned so each event stores a u32.
    keys: HashMap<CustomerId, u32>,
    key_names: Vec<CustomerId>,
    /// The key interned last: events mostly arrive grouped by customer, and
    /// comparing with it is much cheaper than hashing the id again.
    last_key: Option<u32>,
    orders: Pending<OrderEntry>,
    visits: Pending<VisitEntry>,
    interactions: Pending<InteractionEntry>,
    tickets: Pending<TicketEntry>,
    reviews: Pending<ReviewEntry>,
    counters: [usize; 6],
}

/// Events waiting for customer resolution: (interned key, record number, entry).
#[derive(Debug)]
struct Pending<T> {
    kind: RecordKind,
    rows: Vec<(u32, u32, T)>,
}

impl<T> Pending<T> {
    fn new(kind: RecordKind) -> Self {
        Pending { kind, rows: Vec::new() }
    }
}

impl Default for EventLogBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EventLogBuilder {
    /// A builder with no aliases that keeps 20 rejection examples.
    pub fn new() -> Self {
        EventLogBuilder {
            aliases: AliasMap::new(),
            report: IngestReport::default(),
            customers: Vec::new(),
            customer_index: HashMap::new(),
            canonical_seen: Vec::new(),
            keys: HashMap::new(),
            key_names: Vec::new(),
            last_key: None,
            orders: Pending::new(RecordKind::Order),
            visits: Pending::new(RecordKind::Visit),
            interactions: Pending::new(RecordKind::Interaction),
            tickets: Pending::new(RecordKind::Ticket),
            reviews: Pending::new(RecordKind::Review),
            counters: [0; 6],
        }
    }

    /// Resolve customer keys through `aliases`.
    pub fn aliases(mut self, aliases: AliasMap) -> Self {
        self.aliases = aliases;
        self
    }

    /// Keep up to `n` rejection examples in the report (counts are always complete).
    pub fn max_rejection_examples(mut self, n: usize) -> Self {
        let mut report = IngestReport::new(n);
        report.merge(&self.report);
        self.report = report;
        self
    }

    /// Stream `source` into the builder and finish the log.
    pub fn load(mut self, source: &dyn DataSource) -> Result<EventLog> {
        let source_report = source.stream(&mut |batch| {
            self.push_batch(batch);
            Ok(())
        })?;
        self.report.merge(&source_report);
        self.finish()
    }

    fn next_record(&mut self, kind: RecordKind) -> usize {
        let slot = &mut self.counters[kind as usize];
        let n = *slot;
        *slot += 1;
        n
    }

    fn reject(&mut self, kind: RecordKind, record: usize, reason: String) {
        self.report.reject(Rejection { kind, line: None, record: Some(record), reason });
    }

    fn intern(&mut self, id: &CustomerId) -> u32 {
        if let Some(k) = self.last_key
            && self.key_names.get(k as usize) == Some(id)
        {
            return k;
        }
        let k = match self.keys.get(id) {
            Some(&k) => k,
            None => {
                let k = self.key_names.len() as u32;
                self.keys.insert(id.clone(), k);
                self.key_names.push(id.clone());
                k
            }
        };
        self.last_key = Some(k);
        k
    }

    /// Validate and add every record of `batch`.
    pub fn push_batch(&mut self, batch: &RecordBatch) {
        for c in &batch.customers {
            self.push_customer(c);
        }
        for o in &batch.orders {
            self.push_order(o);
        }
        for v in &batch.visits {
            self.push_visit(v);
        }
        for i in &batch.interactions {
            self.push_interaction(i);
        }
        for t in &batch.tickets {
            self.push_ticket(t);
        }
        for r in &batch.reviews {
            self.push_review(r);
        }
    }

    /// Add one profile; a profile whose id resolves to a known customer is merged into it.
    pub fn push_customer(&mut self, c: &Customer) {
        let record = self.next_record(RecordKind::Customer);
        if c.id.as_str().trim().is_empty() {
            return self.reject(RecordKind::Customer, record, "empty customer id".into());
        }
        if let Some(age) = c.age
            && !(1..=120).contains(&age)
        {
            return self.reject(RecordKind::Customer, record, format!("age {age} outside 1..=120"));
        }
        let canonical = self.aliases.resolve(&c.id).clone();
        let is_canonical_record = canonical == c.id;
        match self.customer_index.get(&canonical) {
            Some(&i) => {
                let existing = &mut self.customers[i];
                if is_canonical_record && self.canonical_seen[i] {
                    // The same id twice: an exact repeat adds nothing, a different profile is a conflict.
                    if *existing != *c {
                        return self.reject(
                            RecordKind::Customer,
                            record,
                            format!("duplicate customer id `{}` with a different profile", c.id),
                        );
                    }
                    return self.report.record_merge();
                }
                // Fields of the canonical record win; an alias record only fills gaps. Arrival
                // order does not matter: an alias profile seen first is overlaid by the canonical one.
                let (primary, secondary) =
                    if is_canonical_record { (c.clone(), existing.clone()) } else { (existing.clone(), c.clone()) };
                *existing = Customer {
                    id: canonical,
                    signup: primary.signup.min(secondary.signup),
                    age: primary.age.or(secondary.age),
                    gender: primary.gender.or(secondary.gender),
                    region: primary.region.or(secondary.region),
                    acquisition_channel: primary.acquisition_channel.or(secondary.acquisition_channel),
                };
                self.canonical_seen[i] |= is_canonical_record;
                self.report.record_merge();
            }
            None => {
                let mut profile = c.clone();
                profile.id = canonical.clone();
                self.customer_index.insert(canonical, self.customers.len());
                self.customers.push(profile);
                self.canonical_seen.push(is_canonical_record);
            }
        }
    }

    /// Add one order.
    pub fn push_order(&mut self, o: &Order) {
        let record = self.next_record(RecordKind::Order);
        if let Some(reason) = order_problem(o) {
            return self.reject(RecordKind::Order, record, reason);
        }
        let key = self.intern(&o.customer);
        self.orders.rows.push((key, record as u32, OrderEntry::from(o)));
    }

    /// Add one visit.
    pub fn push_visit(&mut self, v: &Visit) {
        let record = self.next_record(RecordKind::Visit);
        let key = self.intern(&v.customer);
        let entry = VisitEntry { at: v.at, channel: v.channel, pages: v.pages, duration_seconds: v.duration_seconds };
        self.visits.rows.push((key, record as u32, entry));
    }

    /// Add one interaction.
    pub fn push_interaction(&mut self, i: &Interaction) {
        let record = self.next_record(RecordKind::Interaction);
        let key = self.intern(&i.customer);
        self.interactions.rows.push((
            key,
            record as u32,
            InteractionEntry { at: i.at, kind: i.kind, channel: i.channel },
        ));
    }

    /// Add one support ticket.
    pub fn push_ticket(&mut self, t: &SupportTicket) {
        let record = self.next_record(RecordKind::Ticket);
        if let Some(reason) = ticket_problem(t) {
            return self.reject(RecordKind::Ticket, record, reason);
        }
        let key = self.intern(&t.customer);
        self.tickets.rows.push((key, record as u32, TicketEntry::from(t)));
    }

    /// Add one review.
    pub fn push_review(&mut self, r: &Review) {
        let record = self.next_record(RecordKind::Review);
        if let Some(reason) = review_problem(r) {
            return self.reject(RecordKind::Review, record, reason);
        }
        let key = self.intern(&r.customer);
        self.reviews.rows.push((key, record as u32, ReviewEntry::from(r)));
    }

    /// Resolve every event's customer, group and sort; events of unknown customers are rejected.
    pub fn finish(mut self) -> Result<EventLog> {
        ensure!(!self.customers.is_empty(), Error::EmptySource { what: "customers" });
        // Interned key -> customer index (None = unknown customer).
        let resolved: Vec<Option<u32>> = self
            .key_names
            .iter()
            .map(|k| self.customer_index.get(self.aliases.resolve(k)).map(|&i| i as u32))
            .collect();
        let n = self.customers.len();
        self.report.record_accepted(RecordKind::Customer, n as u64 + self.report.merged_customers());
        let orders = resolve(&mut self.report, &resolved, &self.key_names, self.orders, n);
        let visits = resolve(&mut self.report, &resolved, &self.key_names, self.visits, n);
        let interactions = resolve(&mut self.report, &resolved, &self.key_names, self.interactions, n);
        let tickets = resolve(&mut self.report, &resolved, &self.key_names, self.tickets, n);
        let reviews = resolve(&mut self.report, &resolved, &self.key_names, self.reviews, n);
        Ok(EventLog {
            customers: self.customers,
            index: self.customer_index,
            orders,
            visits,
            interactions,
            tickets,
            reviews,
            report: self.report,
        })
    }
}

fn resolve<T: Timed + Copy>(
    report: &mut IngestReport,
    resolved: &[Option<u32>],
    key_names: &[CustomerId],
    pending: Pending<T>,
    n_customers: usize,
) -> Segmented<T> {
    let kind = pending.kind;
    let mut pairs = Vec::with_capacity(pending.rows.len());
    for (key, record, entry) in pending.rows {
        match resolved[key as usize] {
            Some(c) => pairs.push((c, entry)),
            None => report.reject(Rejection {
                kind,
                line: None,
                record: Some(record as usize),
                reason: format!("unknown customer `{}` (no profile and no alias)", key_names[key as usize]),
            }),
        }
    }
    report.record_accepted(kind, pairs.len() as u64);
    Segmented::build(n_customers, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(d: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_700_000_000).add_days(d)
    }

    #[test]
    fn events_are_grouped_by_customer_and_sorted_by_time() {
        let mut b = RecordBatch::default();
        b.customers.push(Customer::new("a", t(0)));
        b.customers.push(Customer::new("b", t(0)));
        for (c, d, amt) in [("b", 5, 1.0), ("a", 9, 2.0), ("a", 1, 3.0), ("b", 2, 4.0), ("a", 1, 5.0)] {
            b.orders.push(Order::new(c, t(d), amt));
        }
        let log = EventLog::from_source(&b).unwrap();
        let a: Vec<f64> = log.events(0).orders.iter().map(|o| o.amount).collect();
        let bb: Vec<f64> = log.events(1).orders.iter().map(|o| o.amount).collect();
        assert_eq!(a, vec![3.0, 5.0, 2.0]); // ties keep arrival order
        assert_eq!(bb, vec![4.0, 1.0]);
        assert_eq!(log.n_events(), 5);
        assert_eq!(log.time_range(), Some((t(1), t(9))));
    }

    #[test]
    fn aliases_merge_identities_across_channels() {
        let mut aliases = AliasMap::new();
        aliases.insert("ann@example.com", "C1").unwrap();
        aliases.insert("device-7", "C1").unwrap();
        let mut b = RecordBatch::default();
        b.customers.push(Customer { age: Some(30), ..Customer::new("C1", t(10)) });
        // The app registered the same person under the device id, earlier and with a region.
        b.customers.push(Customer { region: Some("north".into()), ..Customer::new("device-7", t(3)) });
        b.orders.push(Order::new("ann@example.com", t(12), 10.0));
        b.visits.push(Visit {
            customer: "device-7".into(),
            at: t(11),
            channel: Channel::App,
            pages: 3,
            duration_seconds: None,
        });
        let log = EventLog::builder().aliases(aliases).load(&b).unwrap();
        assert_eq!(log.n_customers(), 1);
        let c = &log.customers()[0];
        assert_eq!((c.id.as_str(), c.signup, c.age, c.region.as_deref()), ("C1", t(3), Some(30), Some("north")));
        let ev = log.events_of(&"C1".into()).unwrap();
        assert_eq!((ev.orders.len(), ev.visits.len()), (1, 1));
        assert_eq!(log.report().merged_customers(), 1);
        assert!(log.report().is_clean());
    }

    #[test]
    fn invalid_records_are_reported_with_their_reason() {
        let mut b = RecordBatch::default();
        b.customers.push(Customer::new("a", t(0)));
        b.customers.push(Customer { age: Some(0), ..Customer::new("b", t(0)) });
        b.orders.push(Order::new("a", t(1), f64::NAN));
        b.orders.push(Order::new("a", t(1), -3.0));
        b.orders.push(Order::new("zed", t(1), 3.0));
        b.orders.push(Order::new("a", t(2), 3.0));
        b.reviews.push(Review {
            customer: "a".into(),
            at: t(1),
            rating: 7.0,
            sentiment: None,
            source: ReviewSource::Site,
        });
        b.tickets.push(SupportTicket {
            customer: "a".into(),
            opened: t(5),
            closed: Some(t(4)),
            category: TicketCategory::Complaint,
            resolved: true,
            satisfaction: None,
        });
        let log = EventLog::from_source(&b).unwrap();
        let r = log.report();
        assert_eq!(r.rows_read(RecordKind::Order), 4);
        assert_eq!(r.rows_rejected(RecordKind::Order), 3);
        assert_eq!(r.rows_rejected(RecordKind::Customer), 1);
        assert_eq!(r.rows_rejected(RecordKind::Review), 1);
        assert_eq!(r.rows_rejected(RecordKind::Ticket), 1);
        assert_eq!(log.events(0).orders.len(), 1);
        let reasons: Vec<String> = r.rejections().iter().map(|x| x.to_string()).collect();
        assert!(reasons.iter().any(|s| s.contains("order record 2: unknown customer `zed`")), "{reasons:?}");
        assert!(reasons.iter().any(|s| s.contains("amount NaN")), "{reasons:?}");
        assert!(reasons.iter().any(|s| s.contains("rating 7")), "{reasons:?}");
    }

    #[test]
    fn a_source_without_customers_is_an_error() {
        let mut b = RecordBatch::default();
        b.orders.push(Order::new("a", t(1), 3.0));
        assert!(matches!(EventLog::from_source(&b), Err(Error::EmptySource { what: "customers" })));
    }

    #[test]
    fn conflicting_duplicate_profiles_are_rejected_not_overwritten() {
        let mut b = RecordBatch::default();
        b.customers.push(Customer { age: Some(40), ..Customer::new("a", t(0)) });
        b.customers.push(Customer { age: Some(41), ..Customer::new("a", t(0)) });
        let log = EventLog::from_source(&b).unwrap();
        assert_eq!(log.customers()[0].age, Some(40));
        assert_eq!(log.report().rows_rejected(RecordKind::Customer), 1);
    }
}
