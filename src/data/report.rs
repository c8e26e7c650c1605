//! What happened during a load: rows read, rows rejected and why.
//!
//! Bad rows are never dropped silently: each rejection is counted per record
//! kind, and the first [`IngestReport::max_examples`] are kept with their line
//! number (for files) and reason.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The record kinds a source can deliver.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// [`Customer`](super::Customer) profiles.
    Customer,
    /// [`Order`](super::Order)s.
    Order,
    /// [`Visit`](super::Visit)s.
    Visit,
    /// [`Interaction`](super::Interaction)s.
    Interaction,
    /// [`SupportTicket`](super::SupportTicket)s.
    Ticket,
    /// [`Review`](super::Review)s.
    Review,
    /// Alias-map rows.
    Alias,
    /// Rows of a one-row-per-customer table (the tabular path).
    TableRow,
}

impl RecordKind {
    /// Every kind, in a stable order.
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Customer,
        RecordKind::Order,
        RecordKind::Visit,
        RecordKind::Interaction,
        RecordKind::Ticket,
        RecordKind::Review,
        RecordKind::Alias,
        RecordKind::TableRow,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::Order => "order",
            RecordKind::Visit => "visit",
            RecordKind::Interaction => "interaction",
            RecordKind::Ticket => "ticket",
            RecordKind::Review => "review",
            RecordKind::Alias => "alias",
            RecordKind::TableRow => "table_row",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rejected row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Which kind of record.
    pub kind: RecordKind,
    /// One-based line number in the source file, when the row came from a file.
    pub line: Option<u64>,
    /// Zero-based position of the record in its batch stream, when it did not come from a file.
    pub record: Option<usize>,
    /// Why it was rejected, naming the field.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.record) {
            (Some(line), _) => write!(f, "{} line {}: {}", self.kind, line, self.reason),
            (None, Some(i)) => write!(f, "{} record {}: {}", self.kind, i, self.reason),
            (None, None) => write!(f, "{}: {}", self.kind, self.reason),
        }
    }
}

/// Counts and examples of what a load read and rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    accepted: [u64; 8],
    rejected: [u64; 8],
    merged_customers: u64,
    examples: Vec<Rejection>,
    max_examples: usize,
}

impl Default for IngestReport {
    fn default() -> Self {
        Self::new(20)
    }
}

impl IngestReport {
    /// An empty report that keeps up to `max_examples` rejection examples.
    pub fn new(max_examples: usize) -> Self {
        IngestReport { accepted: [0; 8], rejected: [0; 8], merged_customers: 0, examples: Vec::new(), max_examples }
    }

    /// Count `n` rows of `kind` accepted into the result.
    ///
    /// Only the stage that finally keeps a row counts it; a source that hands
    /// rows on to a builder records only its own rejections, so nothing is
    /// counted twice when reports are merged.
    pub fn record_accepted(&mut self, kind: RecordKind, n: u64) {
        self.accepted[kind.index()] += n;
    }

    /// Count one rejected row and keep it as an example while there is room.
    pub fn reject(&mut self, rejection: Rejection) {
        self.rejected[rejection.kind.index()] += 1;
        if self.examples.len() < self.max_examples {
            self.examples.push(rejection);
        }
    }

    /// Count a customer profile merged into another through the alias map.
    pub fn record_merge(&mut self) {
        self.merged_customers += 1;
    }

    /// Add another report's counts and examples to this one.
    pub fn merge(&mut self, other: &IngestReport) {
        for i in 0..8 {
            self.accepted[i] += other.accepted[i];
            self.rejected[i] += other.rejected[i];
        }
        self.merged_customers += other.merged_customers;
        for r in &other.examples {
            if self.examples.len() >= self.max_examples {
                break;
            }
            self.examples.push(r.clone());
        }
    }

    /// Rows of `kind` read (accepted plus rejected).
    pub fn rows_read(&self, kind: RecordKind) -> u64 {
        self.accepted[kind.index()] + self.rejected[kind.index()]
    }

    /// Rows of `kind` accepted.
    pub fn rows_accepted(&self, kind: RecordKind) -> u64 {
        self.accepted[kind.index()]
    }

    /// Rows of `kind` rejected.
    pub fn rows_rejected(&self, kind: RecordKind) -> u64 {
        self.rejected[kind.index()]
    }

    /// Rows read over all kinds.
    pub fn total_read(&self) -> u64 {
        self.accepted.iter().sum::<u64>() + self.total_rejected()
    }

    /// Rows rejected over all kinds.
    pub fn total_rejected(&self) -> u64 {
        self.rejected.iter().sum()
    }

    /// Customer profiles merged into another profile through the alias map.
    pub fn merged_customers(&self) -> u64 {
        self.merged_customers
    }

    /// The first rejections, with line numbers and reasons.
    pub fn rejections(&self) -> &[Rejection] {
        &self.examples
    }

    /// How many rejection examples are kept.
    pub fn max_examples(&self) -> usize {
        self.max_examples
    }

    /// Whether every row was accepted.
    pub fn is_clean(&self) -> bool {
        self.total_rejected() == 0
    }
}

impl fmt::Display for IngestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "read {} rows, rejected {}", self.total_read(), self.total_rejected())?;
        for kind in RecordKind::ALL {
            let (r, x) = (self.rows_read(kind), self.rows_rejected(kind));
            if r > 0 || x > 0 {
                write!(f, "; {kind}: {r} read, {x} rejected")?;
            }
        }
        if self.merged_customers > 0 {
            write!(f, "; {} customer profiles merged by alias", self.merged_customers)?;
        }
        for r in &self.examples {
            write!(f, "\n  {r}")?;
        }
        let hidden = self.total_rejected().saturating_sub(self.examples.len() as u64);
        if hidden > 0 {
            write!(f, "\n  … and {hidden} more")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_counts_beyond_the_example_limit() {
        let mut r = IngestReport::new(2);
        for i in 0..5 {
            r.reject(Rejection { kind: RecordKind::Order, line: Some(i + 2), record: None, reason: "bad".into() });
        }
        r.record_accepted(RecordKind::Customer, 1);
        assert_eq!(r.rows_rejected(RecordKind::Order), 5);
        assert_eq!(r.rejections().len(), 2);
        assert_eq!(r.total_read(), 6);
        let text = r.to_string();
        assert!(text.contains("order line 2: bad") && text.contains("and 3 more"), "{text}");
    }
}
