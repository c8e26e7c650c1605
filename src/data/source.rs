//! The [`DataSource`] trait host applications implement, and [`MemorySource`].

use serde::{Deserialize, Serialize};

use super::records::{Customer, Event, Interaction, Order, Review, SupportTicket, Visit};
use super::report::IngestReport;
use crate::error::Result;

/// A batch of records of any kinds. Sources deliver their data as a stream of these.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordBatch {
    /// Customer profiles.
    pub customers: Vec<Customer>,
    /// Purchases.
    pub orders: Vec<Order>,
    /// Browsing sessions.
    pub visits: Vec<Visit>,
    /// Non-purchase interactions.
    pub interactions: Vec<Interaction>,
    /// Support tickets.
    pub tickets: Vec<SupportTicket>,
    /// Reviews.
    pub reviews: Vec<Review>,
}

impl RecordBatch {
    /// Total number of records of all kinds.
    pub fn len(&self) -> usize {
        self.customers.len()
            + self.orders.len()
            + self.visits.len()
            + self.interactions.len()
            + self.tickets.len()
            + self.reviews.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Add one event to the matching list.
    pub fn push_event(&mut self, event: Event) {
        match event {
            Event::Order(e) => self.orders.push(e),
            Event::Visit(e) => self.visits.push(e),
            Event::Interaction(e) => self.interactions.push(e),
            Event::Ticket(e) => self.tickets.push(e),
            Event::Review(e) => self.reviews.push(e),
        }
    }

    /// Every event of the batch (no profiles), oldest first; events at the same
    /// time keep the order of their kind (orders, visits, interactions, tickets,
    /// reviews) and, within a kind, the batch's order, as the event log does. For
    /// replaying a history through a [`Monitor`](crate::warn::Monitor).
    pub fn events_by_time(&self) -> Vec<Event> {
        let mut events: Vec<Event> = Vec::with_capacity(self.len() - self.customers.len());
        events.extend(self.orders.iter().cloned().map(Event::Order));
        events.extend(self.visits.iter().cloned().map(Event::Visit));
        events.extend(self.interactions.iter().cloned().map(Event::Interaction));
        events.extend(self.tickets.iter().cloned().map(Event::Ticket));
        events.extend(self.reviews.iter().cloned().map(Event::Review));
        events.sort_by_key(Event::at);
        events
    }

    /// Move every record of `other` into this batch.
    pub fn append(&mut self, mut other: RecordBatch) {
        self.customers.append(&mut other.customers);
        self.orders.append(&mut other.orders);
        self.visits.append(&mut other.visits);
        self.interactions.append(&mut other.interactions);
        self.tickets.append(&mut other.tickets);
        self.reviews.append(&mut other.reviews);
    }
}

/// A store of customer records that churnguard can read.
///
/// Implement this for your database, warehouse export or message log. `stream`
/// hands records to `sink` batch by batch, so nothing requires the whole
/// history in memory twice; the [`EventLog`](super::EventLog) builder copies
/// what it needs into columns as batches arrive. A source must be re-readable:
/// a pipeline reads it once to fit and again to score.
///
/// Rows the source itself cannot parse go into the returned [`IngestReport`];
/// the builder adds its own rejections (unknown customer, negative amount, …).
///
/// ```
/// use churnguard::data::{DataSource, IngestReport, RecordBatch, Customer, Order};
/// use churnguard::{Result, Timestamp};
///
/// /// A toy source that owns a few rows, as a database adapter would own a connection.
/// #[derive(Debug)]
/// struct TwoCustomers;
///
/// impl DataSource for TwoCustomers {
///     fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport> {
///         let t = Timestamp::from_ymd(2024, 1, 1)?;
///         let mut batch = RecordBatch::default();
///         batch.customers.push(Customer::new("a", t));
///         batch.customers.push(Customer::new("b", t));
///         batch.orders.push(Order::new("a", t.add_days(3), 25.0));
///         sink(&batch)?;
///         Ok(IngestReport::default())
///     }
/// }
///
/// let log = churnguard::data::EventLog::from_source(&TwoCustomers)?;
/// assert_eq!(log.n_customers(), 2);
/// # Ok::<(), churnguard::Error>(())
/// ```
pub trait DataSource {
    /// Deliver every record to `sink`, in batches of any size, and report what
    /// was read and rejected. An error from `sink` must be returned unchanged.
    fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport>;
}

/// A source holding its records in memory (tests, the simulator, small hosts).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemorySource {
    batch: RecordBatch,
}

impl MemorySource {
    /// A source over the given records.
    pub fn new(batch: RecordBatch) -> Self {
        MemorySource { batch }
    }

    /// The records held.
    pub fn records(&self) -> &RecordBatch {
        &self.batch
    }

    /// Mutable access, e.g. to append newly arrived events.
    pub fn records_mut(&mut self) -> &mut RecordBatch {
        &mut self.batch
    }
}

impl DataSource for MemorySource {
    fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport> {
        sink(&self.batch)?;
        Ok(IngestReport::default())
    }
}

impl DataSource for RecordBatch {
    fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport> {
        sink(self)?;
        Ok(IngestReport::default())
    }
}

impl<S: DataSource + ?Sized> DataSource for &S {
    fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport> {
        (**self).stream(sink)
    }
}
