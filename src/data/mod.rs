//! Data integration: typed records from every channel, sources that deliver
//! them, identity merging, and the time-sorted [`EventLog`] that feature
//! extraction reads.
//!
//! Flow: a [`DataSource`] (your database adapter, [`CsvSource`],
//! [`MemorySource`], or the [simulator](crate::sim)) streams
//! [`RecordBatch`]es into an [`EventLogBuilder`], which resolves aliases
//! through an [`AliasMap`], validates each record and reports every rejected
//! row in an [`IngestReport`].

mod alias;
pub(crate) mod csv;
mod log;
pub(crate) mod parse;
mod records;
mod report;
mod source;

pub use self::alias::AliasMap;
pub use self::csv::{CsvSource, write_dir as write_csv_dir};
pub use self::log::{
    CustomerEvents, EventLog, EventLogBuilder, InteractionEntry, OrderEntry, ReviewEntry, TicketEntry, Timed,
    VisitEntry,
};
pub(crate) use self::log::{order_problem, review_problem, ticket_problem};
pub use self::records::{
    Channel, Customer, CustomerId, Event, Gender, Interaction, InteractionKind, Order, Review, ReviewSource,
    SupportTicket, TicketCategory, Visit,
};
pub use self::report::{IngestReport, RecordKind, Rejection};
pub use self::source::{DataSource, MemorySource, RecordBatch};
