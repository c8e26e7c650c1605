//! [`CsvSource`]: one CSV file per record kind.
//!
//! Files are UTF-8 with a header row; column names are matched
//! case-insensitively and may come in any order; extra columns are ignored.
//! An empty field means "unknown" for optional columns. Dates are
//! `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM:SS` / `YYYY-MM-DD HH:MM:SS`
//! (UTC), or RFC 3339 with an offset.
//!
//! | file | required columns | optional columns (default) |
//! |---|---|---|
//! | `customers.csv` | `customer_id`, `signup_date` | `age`, `gender`, `region`, `acquisition_channel` |
//! | `orders.csv` | `customer_id`, `ordered_at`, `amount` | `items` (1), `discount` (0), `returned` (false), `channel` (other) |
//! | `visits.csv` | `customer_id`, `visited_at` | `channel` (web), `pages` (1), `duration_seconds` |
//! | `interactions.csv` | `customer_id`, `occurred_at`, `kind` | `channel` (other) |
//! | `tickets.csv` | `customer_id`, `opened_at`, `category` | `closed_at` (open), `resolved` (false), `satisfaction` |
//! | `reviews.csv` | `customer_id`, `reviewed_at`, `rating` | `sentiment`, `source` (site) |
//! | `aliases.csv` | `alias`, `customer_id` | — |
//!
//! Vocabulary columns (`gender`, `channel`, `kind`, `category`, `source`)
//! accept the names of [`Gender`], [`Channel`], [`InteractionKind`],
//! [`TicketCategory`] and [`ReviewSource`] and common synonyms. Booleans accept
//! `true/false`, `1/0`, `yes/no`. A row that cannot be parsed is rejected with
//! its line number and reason in the [`IngestReport`]; the rest of the file
//! still loads. A file that cannot be opened, or lacks a required column, is
//! an error.

use std::path::{Path, PathBuf};

use super::parse;
use super::records::{
    Channel, Customer, CustomerId, Gender, Interaction, InteractionKind, Order, Review, ReviewSource, SupportTicket,
    TicketCategory, Visit,
};
use super::report::{IngestReport, RecordKind, Rejection};
use super::source::{DataSource, RecordBatch};
use crate::error::{Error, Result};

/// Wraps a file and remembers where its line breaks are, so rejected rows can be
/// reported with their physical line number.
///
/// The csv crate skips blank lines without counting them in record positions, so
/// its line numbers drift after a blank line. This wrapper sees every byte as the
/// csv reader pulls it and answers "which line does a record starting at this
/// position begin on" exactly. It only keeps line breaks the reader has not yet
/// been asked about (the csv read-ahead), so memory stays bounded.
#[derive(Debug)]
pub(crate) struct LineTracker<R> {
    inner: R,
    offset: u64,
    last_content: Option<u64>,
    /// Offsets of `\n` bytes not yet passed, each with the offset of the last
    /// non-terminator byte before it.
    pending: std::collections::VecDeque<(u64, Option<u64>)>,
    passed: u64,
}

impl<R> LineTracker<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineTracker { inner, offset: 0, last_content: None, pending: std::collections::VecDeque::new(), passed: 0 }
    }

    /// One-based line of the record the csv crate reports at byte `position`
    /// (positions must be asked in increasing order).
    pub(crate) fn line_at(&mut self, position: u64) -> u64 {
        while self.pending.front().is_some_and(|&(o, _)| o < position) {
            self.pending.pop_front();
            self.passed += 1;
        }
        // Line breaks at or after `position` with no content in between are skipped blank lines.
        let skipped = self.pending.iter().take_while(|&&(_, content)| content.is_none_or(|c| c < position)).count();
        1 + self.passed + skipped as u64
    }
}

impl<R: std::io::Read> std::io::Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            match b {
                b'\n' => self.pending.push_back((self.offset, self.last_content)),
                b'\r' => {}
                _ => self.last_content = Some(self.offset),
            }
            self.offset += 1;
        }
        Ok(n)
    }
}

/// A flexible CSV reader over `path` that tracks physical line numbers.
pub(crate) fn open_csv(path: &Path) -> Result<csv::Reader<LineTracker<std::fs::File>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::ReaderBuilder::new().flexible(true).from_reader(LineTracker::new(file)))
}

/// The physical line of a record or error position.
pub(crate) fn line_of<R: std::io::Read>(
    reader: &mut csv::Reader<LineTracker<R>>,
    position: Option<&csv::Position>,
) -> u64 {
    let byte = position.map_or(0, |p| p.byte());
    reader.get_mut().line_at(byte)
}

/// Turn a csv crate error on `path` into an [`Error`].
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::io(path, source),
        other => Error::Csv { path: path.to_path_buf(), message: format!("{other:?}") },
    }
}

/// Reads customer records from CSV files, one file per record kind.
///
/// ```no_run
/// use churnguard::data::{CsvSource, EventLog};
/// let source = CsvSource::from_dir("exports/2024-07-01")?; // customers.csv, orders.csv, …
/// let log = EventLog::from_source(&source)?;
/// println!("{}", log.report()); // rows read and rejected, with line numbers
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvSource {
    customers: PathBuf,
    orders: Option<PathBuf>,
    visits: Option<PathBuf>,
    interactions: Option<PathBuf>,
    tickets: Option<PathBuf>,
    reviews: Option<PathBuf>,
    batch_size: usize,
    max_examples: usize,
}

impl CsvSource {
    /// A source with only a customers file; add event files with the builder methods.
    pub fn new(customers: impl Into<PathBuf>) -> Self {
        CsvSource {
            customers: customers.into(),
            orders: None,
            visits: None,
            interactions: None,
            tickets: None,
            reviews: None,
            batch_size: 8192,
            max_examples: 20,
        }
    }

    /// Use the standard file names in `dir`; `customers.csv` must exist, the
    /// event files are used when present.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let customers = dir.join("customers.csv");
        if !customers.is_file() {
            return Err(Error::io(
                customers,
                std::io::Error::new(std::io::ErrorKind::NotFound, "customers.csv is required"),
            ));
        }
        let opt = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        Ok(CsvSource {
            orders: opt("orders.csv"),
            visits: opt("visits.csv"),
            interactions: opt("interactions.csv"),
            tickets: opt("tickets.csv"),
            reviews: opt("reviews.csv"),
            ..CsvSource::new(customers)
        })
    }

    /// Orders file.
    pub fn orders(mut self, path: impl Into<PathBuf>) -> Self {
        self.orders = Some(path.into());
        self
    }

    /// Visits file.
    pub fn visits(mut self, path: impl Into<PathBuf>) -> Self {
        self.visits = Some(path.into());
        self
    }

    /// Interactions file.
    pub fn interactions(mut self, path: impl Into<PathBuf>) -> Self {
        self.interactions = Some(path.into());
        self
    }

    /// Support tickets file.
    pub fn tickets(mut self, path: impl Into<PathBuf>) -> Self {
        self.tickets = Some(path.into());
        self
    }

    /// Reviews file.
    pub fn reviews(mut self, path: impl Into<PathBuf>) -> Self {
        self.reviews = Some(path.into());
        self
    }

    /// Rows per batch handed to the sink (default 8192, at least 1).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// Rejection examples kept in the report (default 20).
    pub fn max_rejection_examples(mut self, n: usize) -> Self {
        self.max_examples = n;
        self
    }
}

/// One data row with named access to its trimmed, non-empty fields.
struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a [(&'static str, Option<usize>)],
}

impl Row<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        let idx = self.columns.iter().find(|(n, _)| *n == name)?.1?;
        self.record.get(idx).map(str::trim).filter(|s| !s.is_empty())
    }

    fn required(&self, name: &str) -> std::result::Result<&str, String> {
        self.get(name).ok_or_else(|| format!("`{name}` is empty"))
    }

    fn optional<T>(
        &self,
        name: &str,
        parse: impl Fn(&str, &str) -> std::result::Result<T, String>,
    ) -> std::result::Result<Option<T>, String> {
        self.get(name).map(|f| parse(f, name)).transpose()
    }
}

/// Stream one file: parse each row with `parse_row`, hand batches of parsed
/// records to `emit`, and record rejections.
#[allow(clippy::too_many_arguments)]
fn stream_file<T>(
    path: &Path,
    kind: RecordKind,
    required: &[&'static str],
    optional: &[&'static str],
    batch_size: usize,
    report: &mut IngestReport,
    parse_row: impl Fn(&Row<'_>) -> std::result::Result<T, String>,
    mut emit: impl FnMut(Vec<T>) -> Result<()>,
) -> Result<()> {
    let mut reader = open_csv(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let n_fields = headers.len();
    let find =
        |name: &str| headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let mut columns = Vec::with_capacity(required.len() + optional.len());
    for &name in required {
        let idx = find(name)
            .ok_or_else(|| Error::MissingColumn { table: path.display().to_string(), column: name.to_string() })?;
        columns.push((name, Some(idx)));
    }
    for &name in optional {
        columns.push((name, find(name)));
    }
    let mut batch = Vec::with_capacity(batch_size);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = line_of(&mut reader, record.position());
                let reject = |reason| Rejection { kind, line: Some(line), record: None, reason };
                if record.len() != n_fields {
                    report.reject(reject(format!("expected {n_fields} fields, found {}", record.len())));
                    continue;
                }
                match parse_row(&Row { record: &record, columns: &columns }) {
                    Ok(item) => batch.push(item),
                    Err(reason) => report.reject(reject(reason)),
                }
                if batch.len() >= batch_size {
                    emit(std::mem::take(&mut batch))?;
                }
            }
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(csv_error(path, e));
                }
                // Invalid UTF-8 and similar: the reader resynchronises at the next line.
                let line = line_of(&mut reader, e.position());
                report.reject(Rejection {
                    kind,
                    line: Some(line),
                    record: None,
                    reason: format!("unreadable row: {e}"),
                });
            }
        }
    }
    if !batch.is_empty() {
        emit(batch)?;
    }
    Ok(())
}

fn customer_id(row: &Row<'_>) -> std::result::Result<CustomerId, String> {
    row.required("customer_id").map(CustomerId::from)
}

fn parse_customer(row: &Row<'_>) -> std::result::Result<Customer, String> {
    let age = row.optional("age", |f, c| {
        let v = parse::finite_f64(f, c)?;
        if (1.0..=120.0).contains(&v) { Ok(v.round() as u8) } else { Err(format!("`{c}`: {v} outside 1..=120")) }
    })?;
    Ok(Customer {
        id: customer_id(row)?,
        signup: parse::timestamp(row.required("signup_date")?, "signup_date")?,
        age,
        gender: row.optional("gender", parse::vocabulary::<Gender>)?,
        region: row.get("region").map(str::to_string),
        acquisition_channel: row.get("acquisition_channel").map(str::to_string),
    })
}

fn parse_order(row: &Row<'_>) -> std::result::Result<Order, String> {
    Ok(Order {
        customer: customer_id(row)?,
        at: parse::timestamp(row.required("ordered_at")?, "ordered_at")?,
        amount: parse::finite_f64(row.required("amount")?, "amount")?,
        items: row.optional("items", parse::count_u32)?.unwrap_or(1),
        discount: row.optional("discount", parse::finite_f64)?.unwrap_or(0.0),
        returned: row.optional("returned", parse::boolean)?.unwrap_or(false),
        channel: row.optional("channel", parse::vocabulary::<Channel>)?.unwrap_or(Channel::Other),
    })
}

fn parse_visit(row: &Row<'_>) -> std::result::Result<Visit, String> {
    Ok(Visit {
        customer: customer_id(row)?,
        at: parse::timestamp(row.required("visited_at")?, "visited_at")?,
        channel: row.optional("channel", parse::vocabulary::<Channel>)?.unwrap_or(Channel::Web),
        pages: row.optional("pages", parse::count_u32)?.unwrap_or(1),
        duration_seconds: row.optional("duration_seconds", parse::count_u32)?,
    })
}

fn parse_interaction(row: &Row<'_>) -> std::result::Result<Interaction, String> {
    Ok(Interaction {
        customer: customer_id(row)?,
        at: parse::timestamp(row.required("occurred_at")?, "occurred_at")?,
        kind: parse::vocabulary::<InteractionKind>(row.required("kind")?, "kind")?,
        channel: row.optional("channel", parse::vocabulary::<Channel>)?.unwrap_or(Channel::Other),
    })
}

fn parse_ticket(row: &Row<'_>) -> std::result::Result<SupportTicket, String> {
    Ok(SupportTicket {
        customer: customer_id(row)?,
        opened: parse::timestamp(row.required("opened_at")?, "opened_at")?,
        closed: row.optional("closed_at", parse::timestamp)?,
        category: parse::vocabulary::<TicketCategory>(row.required("category")?, "category")?,
        resolved: row.optional("resolved", parse::boolean)?.unwrap_or(false),
        satisfaction: row.optional("satisfaction", parse::finite_f64)?,
    })
}

fn parse_review(row: &Row<'_>) -> std::result::Result<Review, String> {
    Ok(Review {
        customer: customer_id(row)?,
        at: parse::timestamp(row.required("reviewed_at")?, "reviewed_at")?,
        rating: parse::finite_f64(row.required("rating")?, "rating")?,
        sentiment: row.optional("sentiment", parse::finite_f64)?,
        source: row.optional("source", parse::vocabulary::<ReviewSource>)?.unwrap_or(ReviewSource::Site),
    })
}

impl DataSource for CsvSource {
    fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport> {
        let mut report = IngestReport::new(self.max_examples);
        let n = self.batch_size;
        let r = &mut report;
        stream_file(
            &self.customers,
            RecordKind::Customer,
            &["customer_id", "signup_date"],
            &["age", "gender", "region", "acquisition_channel"],
            n,
            r,
            parse_customer,
            |customers| sink(&RecordBatch { customers, ..Default::default() }),
        )?;
        if let Some(p) = &self.orders {
            stream_file(
                p,
                RecordKind::Order,
                &["customer_id", "ordered_at", "amount"],
                &["items", "discount", "returned", "channel"],
                n,
                r,
                parse_order,
                |orders| sink(&RecordBatch { orders, ..Default::default() }),
            )?;
        }
        if let Some(p) = &self.visits {
            stream_file(
                p,
                RecordKind::Visit,
                &["customer_id", "visited_at"],
                &["channel", "pages", "duration_seconds"],
                n,
                r,
                parse_visit,
                |visits| sink(&RecordBatch { visits, ..Default::default() }),
            )?;
        }
        if let Some(p) = &self.interactions {
            stream_file(
                p,
                RecordKind::Interaction,
                &["customer_id", "occurred_at", "kind"],
                &["channel"],
                n,
                r,
                parse_interaction,
                |interactions| sink(&RecordBatch { interactions, ..Default::default() }),
            )?;
        }
        if let Some(p) = &self.tickets {
            stream_file(
                p,
                RecordKind::Ticket,
                &["customer_id", "opened_at", "category"],
                &["closed_at", "resolved", "satisfaction"],
                n,
                r,
                parse_ticket,
                |tickets| sink(&RecordBatch { tickets, ..Default::default() }),
            )?;
        }
        if let Some(p) = &self.reviews {
            stream_file(
                p,
                RecordKind::Review,
                &["customer_id", "reviewed_at", "rating"],
                &["sentiment", "source"],
                n,
                r,
                parse_review,
                |reviews| sink(&RecordBatch { reviews, ..Default::default() }),
            )?;
        }
        Ok(report)
    }
}

/// Write records as CSV files in the layout [`CsvSource::from_dir`] reads
/// (used to export the simulation and by round-trip tests).
pub fn write_dir(batch: &RecordBatch, dir: impl AsRef<Path>) -> Result<()> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    fn write<T>(path: PathBuf, header: &[&str], rows: &[T], fields: impl Fn(&T) -> Vec<String>) -> Result<()> {
        let mut w = csv::Writer::from_path(&path).map_err(|e| csv_error(&path, e))?;
        w.write_record(header).map_err(|e| csv_error(&path, e))?;
        for row in rows {
            w.write_record(fields(row)).map_err(|e| csv_error(&path, e))?;
        }
        w.flush().map_err(|e| Error::io(&path, e))
    }
    fn opt<T: ToString>(v: &Option<T>) -> String {
        v.as_ref().map(T::to_string).unwrap_or_default()
    }
    write(
        dir.join("customers.csv"),
        &["customer_id", "signup_date", "age", "gender", "region", "acquisition_channel"],
        &batch.customers,
        |c| {
            vec![
                c.id.to_string(),
                c.signup.to_string(),
                opt(&c.age),
                opt(&c.gender),
                opt(&c.region),
                opt(&c.acquisition_channel),
            ]
        },
    )?;
    write(
        dir.join("orders.csv"),
        &["customer_id", "ordered_at", "amount", "items", "discount", "returned", "channel"],
        &batch.orders,
        |o| {
            vec![
                o.customer.to_string(),
                o.at.to_string(),
                o.amount.to_string(),
                o.items.to_string(),
                o.discount.to_string(),
                o.returned.to_string(),
                o.channel.to_string(),
            ]
        },
    )?;
    write(
        dir.join("visits.csv"),
        &["customer_id", "visited_at", "channel", "pages", "duration_seconds"],
        &batch.visits,
        |v| {
            vec![
                v.customer.to_string(),
                v.at.to_string(),
                v.channel.to_string(),
                v.pages.to_string(),
                opt(&v.duration_seconds),
            ]
        },
    )?;
    write(
        dir.join("interactions.csv"),
        &["customer_id", "occurred_at", "kind", "channel"],
        &batch.interactions,
        |i| vec![i.customer.to_string(), i.at.to_string(), i.kind.to_string(), i.channel.to_string()],
    )?;
    write(
        dir.join("tickets.csv"),
        &["customer_id", "opened_at", "closed_at", "category", "resolved", "satisfaction"],
        &batch.tickets,
        |t| {
            vec![
                t.customer.to_string(),
                t.opened.to_string(),
                opt(&t.closed),
                t.category.to_string(),
                t.resolved.to_string(),
                opt(&t.satisfaction),
            ]
        },
    )?;
    write(
        dir.join("reviews.csv"),
        &["customer_id", "reviewed_at", "rating", "sentiment", "source"],
        &batch.reviews,
        |r| {
            vec![
                r.customer.to_string(),
                r.at.to_string(),
                r.rating.to_string(),
                opt(&r.sentiment),
                r.source.to_string(),
            ]
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::EventLog;

    fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn malformed_rows_are_rejected_with_line_numbers_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        write_file(
            dir.path(),
            "customers.csv",
            "customer_id,signup_date,age,gender,region\nc1,2024-01-01,34,f,north\nc2,2024-02-30,40,m,south\nc3,2024-01-05,,,\n",
        );
        write_file(
            dir.path(),
            "orders.csv",
            "Customer_ID,ordered_at,amount,items,discount,returned,channel\n\
             c1,2024-01-03,19.90,2,0,false,web\n\
             c1,2024-01-04,abc,1,0,false,web\n\
             c3,2024-01-06T10:30:00Z,5,1,0,no,APP\n\
             c3,2024-01-07,5,1,0,no\n\
             c1,2024-01-08,NaN,1,0,false,web\n\
             c1,2024-01-09,7,1,0,perhaps,web\n",
        );
        let source = CsvSource::from_dir(dir.path()).unwrap();
        let log = EventLog::from_source(&source).unwrap();
        let r = log.report();
        assert_eq!(r.rows_read(RecordKind::Customer), 3);
        assert_eq!(r.rows_rejected(RecordKind::Customer), 1);
        assert_eq!(r.rows_read(RecordKind::Order), 6);
        assert_eq!(r.rows_rejected(RecordKind::Order), 4);
        let text: Vec<String> = r.rejections().iter().map(|x| x.to_string()).collect();
        let expect = [
            "customer line 3: `signup_date`: `2024-02-30` is not a date",
            "order line 3: `amount`: `abc` is not a number",
            "order line 5: expected 7 fields, found 6",
            "order line 6: `amount`: non-finite value NaN",
            "order line 7: `returned`: `perhaps` is not a boolean",
        ];
        for e in expect {
            assert!(text.iter().any(|t| t.starts_with(e)), "missing `{e}` in {text:?}");
        }
        assert_eq!(log.n_customers(), 2);
        let c3 = log.events_of(&"c3".into()).unwrap();
        assert_eq!(c3.orders.len(), 1);
        assert_eq!(c3.orders[0].channel, Channel::App);
    }

    #[test]
    fn a_missing_required_column_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), "customers.csv", "customer_id,signup_date\nc1,2024-01-01\n");
        let orders = write_file(dir.path(), "o.csv", "customer_id,amount\nc1,3\n");
        let source = CsvSource::new(dir.path().join("customers.csv")).orders(orders);
        match EventLog::from_source(&source) {
            Err(Error::MissingColumn { column, .. }) => assert_eq!(column, "ordered_at"),
            other => panic!("expected MissingColumn, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_customers_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(CsvSource::from_dir(dir.path()), Err(Error::Io { .. })));
    }

    #[test]
    fn written_files_read_back_identically() {
        let t = crate::Timestamp::from_ymd(2024, 3, 1).unwrap();
        let mut b = RecordBatch::default();
        b.customers.push(Customer {
            age: Some(51),
            gender: Some(Gender::Other),
            region: Some("north, coast".into()),
            ..Customer::new("c,1", t)
        });
        b.orders.push(Order {
            items: 3,
            discount: 2.5,
            returned: true,
            channel: Channel::Store,
            ..Order::new("c,1", t.add_days(1), 12.25)
        });
        b.visits.push(Visit {
            customer: "c,1".into(),
            at: t,
            channel: Channel::App,
            pages: 4,
            duration_seconds: Some(95),
        });
        b.interactions.push(Interaction {
            customer: "c,1".into(),
            at: t,
            kind: InteractionKind::EmailClick,
            channel: Channel::Email,
        });
        b.tickets.push(SupportTicket {
            customer: "c,1".into(),
            opened: t,
            closed: Some(t.add_days(2)),
            category: TicketCategory::Complaint,
            resolved: false,
            satisfaction: Some(2.0),
        });
        b.reviews.push(Review {
            customer: "c,1".into(),
            at: t,
            rating: 2.0,
            sentiment: Some(-0.5),
            source: ReviewSource::Social,
        });
        let dir = tempfile::tempdir().unwrap();
        write_dir(&b, dir.path()).unwrap();
        let mut read = RecordBatch::default();
        let report = CsvSource::from_dir(dir.path())
            .unwrap()
            .batch_size(1)
            .stream(&mut |batch| {
                read.append(batch.clone());
                Ok(())
            })
            .unwrap();
        assert!(report.is_clean(), "{report}");
        assert_eq!(read, b);
    }
}
