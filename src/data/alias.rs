//! Identity integration: map a customer's other identities to one id.
//!
//! Channels rarely share a key: the web shop knows an e-mail address, the
//! app a device id, the call centre a phone number. An [`AliasMap`] resolves
//! each of these to the canonical [`CustomerId`] so that every event lands on
//! the same customer. Profiles whose id is itself an alias are merged into the
//! canonical profile when the [`EventLog`](super::EventLog) is built.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::records::CustomerId;
use super::report::{IngestReport, RecordKind, Rejection};
use crate::error::{Error, Result, ensure};

/// Maps aliases (e-mail, phone, device id, secondary account id) to canonical customer ids.
///
/// ```
/// use churnguard::data::{AliasMap, CustomerId};
/// let mut aliases = AliasMap::new();
/// aliases.insert("ann@example.com", "C001")?;
/// aliases.insert("+44 20 7946 0000", "C001")?;
/// assert_eq!(aliases.resolve(&CustomerId::from("ann@example.com")).as_str(), "C001");
/// assert_eq!(aliases.resolve(&CustomerId::from("C002")).as_str(), "C002"); // not an alias
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasMap {
    map: HashMap<String, CustomerId>,
}

impl AliasMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Map `alias` to `customer`. Chains are collapsed (if `customer` is itself
    /// an alias, `alias` maps to what it resolves to). Mapping an alias to a
    /// second, different customer, or creating a cycle, is an
    /// [`Error::AliasConflict`]; repeating an existing mapping is fine.
    pub fn insert(&mut self, alias: impl Into<String>, customer: impl Into<CustomerId>) -> Result<()> {
        let alias = alias.into();
        let target = self.resolve(&customer.into()).clone();
        ensure!(
            target.as_str() != alias,
            Error::AliasConflict { alias: alias.clone(), existing: alias.clone(), requested: target.to_string() }
        );
        if let Some(existing) = self.map.get(&alias) {
            ensure!(
                *existing == target,
                Error::AliasConflict { alias, existing: existing.to_string(), requested: target.to_string() }
            );
            return Ok(());
        }
        // Re-point aliases that resolved to `alias`, so every entry maps to a canonical id.
        for v in self.map.values_mut() {
            if v.as_str() == alias {
                *v = target.clone();
            }
        }
        self.map.insert(alias, target);
        Ok(())
    }

    /// The canonical id for `id`: its mapping if it is an alias, itself otherwise.
    pub fn resolve<'a>(&'a self, id: &'a CustomerId) -> &'a CustomerId {
        self.map.get(id.as_str()).unwrap_or(id)
    }

    /// Number of aliases.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the map holds no alias.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Read a CSV file with header `alias,customer_id`. Rows with an empty field
    /// or a conflicting mapping are rejected into the returned report.
    pub fn from_csv(path: impl AsRef<Path>) -> Result<(AliasMap, IngestReport)> {
        let path = path.as_ref();
        let mut reader = super::csv::open_csv(path)?;
        let headers = reader.headers().map_err(|e| super::csv::csv_error(path, e))?.clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| Error::MissingColumn { table: path.display().to_string(), column: name.to_string() })
        };
        let (alias_col, id_col) = (col("alias")?, col("customer_id")?);
        let mut map = AliasMap::new();
        let mut report = IngestReport::default();
        let mut row = csv::StringRecord::new();
        loop {
            let (line, reason) = match reader.read_record(&mut row) {
                Ok(false) => break,
                Ok(true) => (super::csv::line_of(&mut reader, row.position()), None),
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(super::csv::csv_error(path, e));
                    }
                    (super::csv::line_of(&mut reader, e.position()), Some(format!("unreadable row: {e}")))
                }
            };
            let reject = |reason: String| Rejection { kind: RecordKind::Alias, line: Some(line), record: None, reason };
            if let Some(reason) = reason {
                report.reject(reject(reason));
                continue;
            }
            let alias = row.get(alias_col).map(str::trim).unwrap_or("");
            let id = row.get(id_col).map(str::trim).unwrap_or("");
            if alias.is_empty() || id.is_empty() {
                report.reject(reject("empty `alias` or `customer_id`".into()));
                continue;
            }
            match map.insert(alias, id) {
                Ok(()) => report.record_accepted(RecordKind::Alias, 1),
                Err(e) => report.reject(reject(e.to_string())),
            }
        }
        Ok((map, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_collapse_to_the_canonical_id() {
        let mut m = AliasMap::new();
        m.insert("device-9", "ann@example.com").unwrap();
        m.insert("ann@example.com", "C001").unwrap();
        assert_eq!(m.resolve(&"device-9".into()).as_str(), "C001");
        m.insert("phone-1", "device-9").unwrap();
        assert_eq!(m.resolve(&"phone-1".into()).as_str(), "C001");
    }

    #[test]
    fn conflicting_and_cyclic_aliases_are_errors() {
        let mut m = AliasMap::new();
        m.insert("a@x", "C1").unwrap();
        m.insert("a@x", "C1").unwrap(); // repeat is fine
        assert!(matches!(m.insert("a@x", "C2"), Err(Error::AliasConflict { .. })));
        assert!(matches!(m.insert("C1", "a@x"), Err(Error::AliasConflict { .. })));
    }
}
