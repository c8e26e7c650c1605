//! A host application's own store as a churnguard [`DataSource`]: SQLite.
//!
//! The example writes the simulated shop (2,000 customers by default) into an
//! SQLite database, one table per channel, then reads it back through
//! [`SqliteSource`], a `DataSource` of under 400 lines that any host with a
//! relational store can copy and adapt. It proves the adapter is faithful (the
//! event log and a feature snapshot built from SQLite equal those built from
//! the simulation in memory), shows that rows it cannot convert are reported
//! with table and rowid rather than dropped, then fits and scores a churn
//! model straight from the database. The exit code is non-zero if any check fails.
//!
//! ```text
//! cargo run --release --features sqlite --example sqlite_source [-- DB_PATH [N_CUSTOMERS]]
//! ```
//!
//! Without `DB_PATH` the database goes to a temporary directory that is removed
//! at exit. With a path, the six tables are dropped and recreated in that file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use churnguard::classify::LogisticRegression;
use churnguard::data::{
    Channel, Customer, CustomerId, DataSource, EventLog, Gender, IngestReport, Interaction, InteractionKind, Order,
    RecordBatch, RecordKind, Rejection, Review, ReviewSource, SupportTicket, TicketCategory, Visit,
};
use churnguard::features::FeatureSpec;
use churnguard::pipeline::{Pipeline, PipelineSettings};
use churnguard::progress::Silent;
use churnguard::sim::{Population, SimConfig};
use churnguard::{Error, Result, Timestamp};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};

/// The schema the example writes. Column names are those of the CSV layout
/// (`churnguard::data::CsvSource`), so both adapters speak the same vocabulary.
///
/// Times are INTEGER unix seconds (UTC): that is exactly churnguard's
/// `Timestamp`, so values round-trip without loss or parsing, and integers sort
/// and index cheaply. The reader also accepts ISO-8601 TEXT, which many host
/// schemas use. Enums are their canonical text (`Channel::as_str`), readable in
/// any SQL client. No NOT NULL constraints: host stores often do not enforce
/// them, so the reader must check every value itself (and the demo inserts
/// such rows on purpose).
pub(crate) const SCHEMA: &str = "
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS visits;
DROP TABLE IF EXISTS interactions;
DROP TABLE IF EXISTS tickets;
DROP TABLE IF EXISTS reviews;
CREATE TABLE customers (customer_id TEXT, signup_date INTEGER, age INTEGER, gender TEXT, region TEXT,
                        acquisition_channel TEXT);
CREATE TABLE orders (customer_id TEXT, ordered_at INTEGER, amount REAL, items INTEGER, discount REAL,
                     returned INTEGER, channel TEXT);
CREATE TABLE visits (customer_id TEXT, visited_at INTEGER, channel TEXT, pages INTEGER, duration_seconds INTEGER);
CREATE TABLE interactions (customer_id TEXT, occurred_at INTEGER, kind TEXT, channel TEXT);
CREATE TABLE tickets (customer_id TEXT, opened_at INTEGER, closed_at INTEGER, category TEXT, resolved INTEGER,
                      satisfaction REAL);
CREATE TABLE reviews (customer_id TEXT, reviewed_at INTEGER, rating REAL, sentiment REAL, source TEXT);
";

/// Indexes matching the reader's `ORDER BY customer_id, <time>`, created after
/// the bulk insert (cheaper than maintaining them row by row).
pub(crate) const INDEXES: &str = "
CREATE INDEX orders_by_customer ON orders (customer_id, ordered_at);
CREATE INDEX visits_by_customer ON visits (customer_id, visited_at);
CREATE INDEX interactions_by_customer ON interactions (customer_id, occurred_at);
CREATE INDEX tickets_by_customer ON tickets (customer_id, opened_at);
CREATE INDEX reviews_by_customer ON reviews (customer_id, reviewed_at);
";

/// Turn an SQLite error on `path` into churnguard's error type.
///
/// churnguard has no database-specific variant; an SQLite database is a file,
/// so failures to open, query or write it are reported as [`Error::Io`] on that
/// file, with the SQLite message as the source.
pub(crate) fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::Io { path: path.to_path_buf(), source: std::io::Error::other(e) }
}

/// Create (or recreate) the six tables in the database at `path` and fill them
/// from `records`, in one transaction with prepared statements.
pub(crate) fn write_database(path: &Path, records: &RecordBatch) -> Result<()> {
    let mut conn = Connection::open(path).map_err(|e| sql_error(path, e))?;
    insert_all(&mut conn, records).map_err(|e| sql_error(path, e))
}

fn insert_all(conn: &mut Connection, records: &RecordBatch) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    {
        let mut st = tx.prepare("INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        for c in &records.customers {
            st.execute(params![
                c.id.as_str(),
                c.signup.unix_seconds(),
                c.age,
                c.gender.map(Gender::as_str),
                c.region,
                c.acquisition_channel
            ])?;
        }
        let mut st = tx.prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        for o in &records.orders {
            st.execute(params![
                o.customer.as_str(),
                o.at.unix_seconds(),
                o.amount,
                o.items,
                o.discount,
                o.returned,
                o.channel.as_str()
            ])?;
        }
        let mut st = tx.prepare("INSERT INTO visits VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for v in &records.visits {
            st.execute(params![
                v.customer.as_str(),
                v.at.unix_seconds(),
                v.channel.as_str(),
                v.pages,
                v.duration_seconds
            ])?;
        }
        let mut st = tx.prepare("INSERT INTO interactions VALUES (?1, ?2, ?3, ?4)")?;
        for i in &records.interactions {
            st.execute(params![i.customer.as_str(), i.at.unix_seconds(), i.kind.as_str(), i.channel.as_str()])?;
        }
        let mut st = tx.prepare("INSERT INTO tickets VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        for t in &records.tickets {
            st.execute(params![
                t.customer.as_str(),
                t.opened.unix_seconds(),
                t.closed.map(Timestamp::unix_seconds),
                t.category.as_str(),
                t.resolved,
                t.satisfaction
            ])?;
        }
        let mut st = tx.prepare("INSERT INTO reviews VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for r in &records.reviews {
            st.execute(params![r.customer.as_str(), r.at.unix_seconds(), r.rating, r.sentiment, r.source.as_str()])?;
        }
    }
    tx.execute_batch(INDEXES)?;
    tx.commit()
}

/// Reads customer records from an SQLite database with one table per record
/// kind (the layout of [`SCHEMA`]; extra columns are ignored, missing optional
/// columns take the CSV defaults, a missing event table means no such events).
///
/// Each `stream` call opens its own read-only connection and reads all tables
/// inside one read transaction, so a host writing concurrently never yields a
/// half-updated history. Rows that cannot be converted are rejected in the
/// [`IngestReport`] with their table and rowid; the rest still load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SqliteSource {
    path: PathBuf,
    batch_size: usize,
    max_examples: usize,
}

impl SqliteSource {
    /// A source over the database file at `path` (batches of 10,000 rows).
    pub(crate) fn new(path: impl Into<PathBuf>) -> Self {
        SqliteSource { path: path.into(), batch_size: 10_000, max_examples: 20 }
    }

    /// Rows per batch handed to the sink (at least 1).
    #[allow(dead_code)] // used by the test, not by the example's main
    pub(crate) fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    fn open(&self) -> Result<Connection> {
        // Opening read-only never creates a file, but SQLite's message for a missing
        // one is vague; say "not found" the way the CSV reader does.
        if !self.path.is_file() {
            let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "SQLite database not found");
            return Err(Error::Io { path: self.path.clone(), source: missing });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Connection::open_with_flags(&self.path, flags).map_err(|e| sql_error(&self.path, e))
    }
}

/// One table the source reads: its name, record kind and columns.
struct Table {
    name: &'static str,
    kind: RecordKind,
    /// Column holding the event time (`None` for customers, read in rowid order).
    time: Option<&'static str>,
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

const CUSTOMERS: Table = Table {
    name: "customers",
    kind: RecordKind::Customer,
    time: None,
    required: &["customer_id", "signup_date"],
    optional: &["age", "gender", "region", "acquisition_channel"],
};
const ORDERS: Table = Table {
    name: "orders",
    kind: RecordKind::Order,
    time: Some("ordered_at"),
    required: &["customer_id", "ordered_at", "amount"],
    optional: &["items", "discount", "returned", "channel"],
};
const VISITS: Table = Table {
    name: "visits",
    kind: RecordKind::Visit,
    time: Some("visited_at"),
    required: &["customer_id", "visited_at"],
    optional: &["channel", "pages", "duration_seconds"],
};
const INTERACTIONS: Table = Table {
    name: "interactions",
    kind: RecordKind::Interaction,
    time: Some("occurred_at"),
    required: &["customer_id", "occurred_at", "kind"],
    optional: &["channel"],
};
const TICKETS: Table = Table {
    name: "tickets",
    kind: RecordKind::Ticket,
    time: Some("opened_at"),
    required: &["customer_id", "opened_at", "category"],
    optional: &["closed_at", "resolved", "satisfaction"],
};
const REVIEWS: Table = Table {
    name: "reviews",
    kind: RecordKind::Review,
    time: Some("reviewed_at"),
    required: &["customer_id", "reviewed_at", "rating"],
    optional: &["sentiment", "source"],
};

impl Table {
    /// The SELECT for this table given the columns the database has: rowid first,
    /// then required and optional columns in declaration order, `NULL` standing in
    /// for an absent optional column. `None` if the table itself is absent.
    fn select(&self, conn: &Connection, path: &Path) -> Result<Option<String>> {
        let present: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .and_then(|mut st| st.query_map([self.name], |r| r.get::<_, String>(0))?.collect())
            .map_err(|e| sql_error(path, e))?;
        if present.is_empty() {
            return Ok(None);
        }
        let has = |c: &str| present.iter().any(|p| p.eq_ignore_ascii_case(c));
        if let Some(c) = self.required.iter().find(|c| !has(c)) {
            return Err(Error::MissingColumn { table: self.name.to_string(), column: c.to_string() });
        }
        let columns: Vec<String> = self
            .required
            .iter()
            .map(|c| c.to_string())
            .chain(self.optional.iter().map(|c| if has(c) { c.to_string() } else { format!("NULL AS {c}") }))
            .collect();
        // Customer, then time: the order the event log keeps, so its per-customer sort
        // has nothing to do; rowid breaks ties in insertion order.
        let order = match self.time {
            Some(t) => format!("customer_id, {t}, rowid"),
            None => "rowid".to_string(),
        };
        Ok(Some(format!("SELECT rowid, {} FROM {} ORDER BY {order}", columns.join(", "), self.name)))
    }

    /// Position of `column` in the SELECT (0 is rowid).
    fn index(&self, column: &str) -> Option<usize> {
        self.required.iter().chain(self.optional).position(|c| *c == column).map(|i| i + 1)
    }
}

/// Typed, checked access to one result row; every failure is a reason naming the column.
struct Fields<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    table: &'r Table,
}

type Field<T> = std::result::Result<Option<T>, String>;

impl Fields<'_, '_> {
    fn value(&self, column: &str) -> std::result::Result<ValueRef<'_>, String> {
        let i = self.table.index(column).ok_or_else(|| format!("`{column}` is not a column of {}", self.table.name))?;
        self.row.get_ref(i).map_err(|e| format!("`{column}`: {e}"))
    }

    fn text_of<'v>(column: &str, bytes: &'v [u8]) -> std::result::Result<&'v str, String> {
        std::str::from_utf8(bytes).map_err(|_| format!("`{column}`: text is not valid UTF-8"))
    }

    /// Text (trimmed; empty counts as NULL). Integers are accepted as their decimal
    /// form, since many hosts key customers by an integer.
    fn text(&self, column: &str) -> Field<String> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(b) => {
                Ok(Some(Self::text_of(column, b)?.trim()).filter(|s| !s.is_empty()).map(str::to_string))
            }
            ValueRef::Integer(i) => Ok(Some(i.to_string())),
            ValueRef::Real(v) => Err(format!("`{column}`: expected text, found real {v}")),
            ValueRef::Blob(_) => Err(format!("`{column}`: expected text, found a blob")),
        }
    }

    /// INTEGER unix seconds or ISO-8601 TEXT (any format `Timestamp::parse` reads).
    fn time(&self, column: &str) -> Field<Timestamp> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(s) => Ok(Some(Timestamp::from_unix_seconds(s))),
            ValueRef::Text(b) => {
                let s = Self::text_of(column, b)?;
                Timestamp::parse(s).map(Some).map_err(|_| {
                    format!("`{column}`: `{}` is not a date (unix seconds or YYYY-MM-DD[THH:MM:SS[Z]])", s.trim())
                })
            }
            ValueRef::Real(v) => Err(format!("`{column}`: expected unix seconds or ISO-8601 text, found real {v}")),
            ValueRef::Blob(_) => Err(format!("`{column}`: expected a time, found a blob")),
        }
    }

    /// A finite number (INTEGER, REAL, or numeric TEXT that column affinity left as text).
    fn number(&self, column: &str) -> Field<f64> {
        let v = match self.value(column)? {
            ValueRef::Null => return Ok(None),
            ValueRef::Integer(i) => i as f64,
            ValueRef::Real(v) => v,
            ValueRef::Text(b) => {
                let s = Self::text_of(column, b)?.trim();
                s.parse::<f64>().map_err(|_| format!("`{column}`: `{s}` is not a number"))?
            }
            ValueRef::Blob(_) => return Err(format!("`{column}`: expected a number, found a blob")),
        };
        if v.is_finite() { Ok(Some(v)) } else { Err(format!("`{column}`: non-finite value {v}")) }
    }

    /// A whole number in `0..=u32::MAX`.
    fn count(&self, column: &str) -> Field<u32> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => {
                u32::try_from(i).map(Some).map_err(|_| format!("`{column}`: {i} is not a whole number ≥ 0"))
            }
            other => Err(format!("`{column}`: expected a whole number, found {:?}", other.data_type())),
        }
    }

    /// 0/1 (how SQLite stores booleans) or the text `true`/`false`.
    fn flag(&self, column: &str) -> Field<bool> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(0) => Ok(Some(false)),
            ValueRef::Integer(1) => Ok(Some(true)),
            ValueRef::Text(b) => match Self::text_of(column, b)?.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                other => Err(format!("`{column}`: `{other}` is not a boolean (0/1, true/false)")),
            },
            other => Err(format!("`{column}`: expected 0 or 1, found {other:?}")),
        }
    }

    /// A vocabulary value by its canonical name or a synonym.
    fn vocabulary<T: std::str::FromStr<Err = String>>(&self, column: &str) -> Field<T> {
        self.text(column)?.map(|s| s.parse::<T>().map_err(|e| format!("`{column}`: {e}"))).transpose()
    }

    fn required<T>(column: &str, value: Field<T>) -> std::result::Result<T, String> {
        value?.ok_or_else(|| format!("`{column}` is NULL"))
    }

    fn customer(&self) -> std::result::Result<CustomerId, String> {
        Self::required("customer_id", self.text("customer_id")).map(CustomerId::from)
    }
}

fn to_customer(f: &Fields<'_, '_>) -> std::result::Result<Customer, String> {
    let age = match f.number("age")? {
        Some(v) if (1.0..=120.0).contains(&v) => Some(v.round() as u8),
        Some(v) => return Err(format!("`age`: {v} outside 1..=120")),
        None => None,
    };
    Ok(Customer {
        id: f.customer()?,
        signup: Fields::required("signup_date", f.time("signup_date"))?,
        age,
        gender: f.vocabulary::<Gender>("gender")?,
        region: f.text("region")?,
        acquisition_channel: f.text("acquisition_channel")?,
    })
}

fn to_order(f: &Fields<'_, '_>) -> std::result::Result<Order, String> {
    Ok(Order {
        customer: f.customer()?,
        at: Fields::required("ordered_at", f.time("ordered_at"))?,
        amount: Fields::required("amount", f.number("amount"))?,
        items: f.count("items")?.unwrap_or(1),
        discount: f.number("discount")?.unwrap_or(0.0),
        returned: f.flag("returned")?.unwrap_or(false),
        channel: f.vocabulary("channel")?.unwrap_or(Channel::Other),
    })
}

fn to_visit(f: &Fields<'_, '_>) -> std::result::Result<Visit, String> {
    Ok(Visit {
        customer: f.customer()?,
        at: Fields::required("visited_at", f.time("visited_at"))?,
        channel: f.vocabulary("channel")?.unwrap_or(Channel::Web),
        pages: f.count("pages")?.unwrap_or(1),
        duration_seconds: f.count("duration_seconds")?,
    })
}

fn to_interaction(f: &Fields<'_, '_>) -> std::result::Result<Interaction, String> {
    Ok(Interaction {
        customer: f.customer()?,
        at: Fields::required("occurred_at", f.time("occurred_at"))?,
        kind: Fields::required("kind", f.vocabulary::<InteractionKind>("kind"))?,
        channel: f.vocabulary("channel")?.unwrap_or(Channel::Other),
    })
}

fn to_ticket(f: &Fields<'_, '_>) -> std::result::Result<SupportTicket, String> {
    Ok(SupportTicket {
        customer: f.customer()?,
        opened: Fields::required("opened_at", f.time("opened_at"))?,
        closed: f.time("closed_at")?,
        category: Fields::required("category", f.vocabulary::<TicketCategory>("category"))?,
        resolved: f.flag("resolved")?.unwrap_or(false),
        satisfaction: f.number("satisfaction")?,
    })
}

fn to_review(f: &Fields<'_, '_>) -> std::result::Result<Review, String> {
    Ok(Review {
        customer: f.customer()?,
        at: Fields::required("reviewed_at", f.time("reviewed_at"))?,
        rating: Fields::required("rating", f.number("rating"))?,
        sentiment: f.number("sentiment")?,
        source: f.vocabulary("source")?.unwrap_or(ReviewSource::Site),
    })
}

impl SqliteSource {
    /// Read one table in batches: convert each row with `convert`, hand full
    /// batches to `emit`, and report rows that do not convert.
    fn read_table<T>(
        &self,
        conn: &Connection,
        table: &Table,
        report: &mut IngestReport,
        convert: fn(&Fields<'_, '_>) -> std::result::Result<T, String>,
        mut emit: impl FnMut(Vec<T>) -> Result<()>,
    ) -> Result<()> {
        let path = self.path.as_path();
        let Some(sql) = table.select(conn, path)? else {
            ensure_optional(table, path)?;
            return Ok(());
        };
        let mut statement = conn.prepare(&sql).map_err(|e| sql_error(path, e))?;
        let mut rows = statement.query([]).map_err(|e| sql_error(path, e))?;
        let mut batch = Vec::with_capacity(self.batch_size);
        while let Some(row) = rows.next().map_err(|e| sql_error(path, e))? {
            let rowid: i64 = row.get(0).map_err(|e| sql_error(path, e))?;
            match convert(&Fields { row, table }) {
                Ok(record) => batch.push(record),
                Err(reason) => report.reject(Rejection {
                    kind: table.kind,
                    line: None,
                    record: None,
                    reason: format!("table `{}` rowid {rowid}: {reason}", table.name),
                }),
            }
            if batch.len() >= self.batch_size {
                emit(std::mem::replace(&mut batch, Vec::with_capacity(self.batch_size)))?;
            }
        }
        if !batch.is_empty() {
            emit(batch)?;
        }
        Ok(())
    }
}

/// Only the customers table is required (as `customers.csv` is for the CSV
/// reader); a store without, say, a reviews table simply has no reviews.
fn ensure_optional(table: &Table, path: &Path) -> Result<()> {
    match table.kind {
        RecordKind::Customer => Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "table `customers` is required"),
        }),
        _ => Ok(()),
    }
}

impl DataSource for SqliteSource {
    fn stream(&self, sink: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<IngestReport> {
        let conn = self.open()?;
        // One read transaction: every table is read from the same database state.
        let tx = conn.unchecked_transaction().map_err(|e| sql_error(&self.path, e))?;
        let mut report = IngestReport::new(self.max_examples);
        let r = &mut report;
        self.read_table(&tx, &CUSTOMERS, r, to_customer, |customers| {
            sink(&RecordBatch { customers, ..Default::default() })
        })?;
        self.read_table(&tx, &ORDERS, r, to_order, |orders| sink(&RecordBatch { orders, ..Default::default() }))?;
        self.read_table(&tx, &VISITS, r, to_visit, |visits| sink(&RecordBatch { visits, ..Default::default() }))?;
        self.read_table(&tx, &INTERACTIONS, r, to_interaction, |interactions| {
            sink(&RecordBatch { interactions, ..Default::default() })
        })?;
        self.read_table(&tx, &TICKETS, r, to_ticket, |tickets| sink(&RecordBatch { tickets, ..Default::default() }))?;
        self.read_table(&tx, &REVIEWS, r, to_review, |reviews| sink(&RecordBatch { reviews, ..Default::default() }))?;
        tx.finish().map_err(|e| sql_error(&self.path, e))?;
        Ok(report)
    }
}

/// Insert the two bad rows of the demo into `path`: an order whose channel is
/// not a known [`Channel`] and a review without a rating. Returns their rowids.
pub(crate) fn insert_bad_rows(path: &Path, customer: &CustomerId, at: Timestamp) -> Result<(i64, i64)> {
    let conn = Connection::open(path).map_err(|e| sql_error(path, e))?;
    let insert = || -> rusqlite::Result<(i64, i64)> {
        conn.execute(
            "INSERT INTO orders VALUES (?1, ?2, 19.99, 1, 0.0, 0, 'carrier pigeon')",
            params![customer.as_str(), at.unix_seconds()],
        )?;
        let order = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO reviews VALUES (?1, ?2, NULL, NULL, 'site')",
            params![customer.as_str(), at.unix_seconds()],
        )?;
        Ok((order, conn.last_insert_rowid()))
    };
    insert().map_err(|e| sql_error(path, e))
}

/// Whether two feature snapshots hold the same customers, names and values
/// (numeric compared bit for bit, so NaN "missing" cells must match too).
pub(crate) fn same_features(log_a: &EventLog, log_b: &EventLog, as_of: Timestamp) -> Result<bool> {
    let snapshot = PipelineSettings::default().snapshot(as_of)?;
    let spec = FeatureSpec::default();
    let (a, b) = (spec.extract(log_a, &snapshot)?, spec.extract(log_b, &snapshot)?);
    let numeric_equal = a.numeric().shape() == b.numeric().shape()
        && a.numeric().iter().zip(b.numeric().iter()).all(|(x, y)| x.to_bits() == y.to_bits());
    Ok(a.n_rows() > 0
        && a.customer_ids() == b.customer_ids()
        && a.names() == b.names()
        && numeric_equal
        && a.categorical() == b.categorical())
}

/// Records accepted per kind, as the event-log builder counted them.
pub(crate) fn counts(log: &EventLog) -> Vec<(RecordKind, u64)> {
    RecordKind::ALL.iter().map(|&k| (k, log.report().rows_accepted(k))).collect()
}

/// Collects failed checks so the example reports all of them before exiting.
#[derive(Debug, Default)]
struct Checks {
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str) {
        println!("  [{}] {what}", if ok { "ok" } else { "FAILED" });
        if !ok {
            self.failed.push(what.to_string());
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(checks) if checks.failed.is_empty() => ExitCode::SUCCESS,
        Ok(checks) => {
            eprintln!("{} check(s) failed: {}", checks.failed.len(), checks.failed.join("; "));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<Checks> {
    let mut args = std::env::args().skip(1);
    let given_path = args.next().map(PathBuf::from);
    let n_customers = match args.next() {
        Some(n) => n.parse::<usize>().map_err(|_| Error::InvalidParameter {
            name: "N_CUSTOMERS",
            value: n,
            reason: "must be a whole number",
        })?,
        None => 2_000,
    };
    let temp = tempfile::tempdir().map_err(|e| Error::Io { path: std::env::temp_dir(), source: e })?;
    let path = given_path.unwrap_or_else(|| temp.path().join("shop.sqlite"));
    let mut checks = Checks::default();

    // 1. The host's store: the simulated shop written to SQLite.
    let config = SimConfig { n_customers, ..SimConfig::default() };
    let population = Population::generate(&config)?;
    let records = population.records();
    let started = Instant::now();
    write_database(&path, records)?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "wrote {} rows for {} customers to {} ({:.1} MB) in {:.2} s",
        records.len(),
        records.customers.len(),
        path.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // 2. Read throughput of the adapter alone (conversion included, no log building).
    let source = SqliteSource::new(&path);
    let started = Instant::now();
    let mut rows = 0usize;
    let read_report = source.stream(&mut |batch| {
        rows += batch.len();
        Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    println!("SqliteSource read {rows} rows in {seconds:.3} s: {:.0} rows/s", rows as f64 / seconds);

    // 3. Faithful: the same event log and features as the in-memory simulation.
    println!("\nchecks against the in-memory simulation:");
    checks.check(read_report.is_clean() && rows == records.len(), "every row read, none rejected");
    let started = Instant::now();
    let from_sqlite = EventLog::from_source(&source)?;
    let log_seconds = started.elapsed().as_secs_f64();
    let from_memory = EventLog::from_source(records)?;
    println!("  (event log from SQLite built in {log_seconds:.3} s)");
    for (kind, n) in counts(&from_sqlite) {
        if n > 0 {
            println!(
                "  {:12} {n:>8} from SQLite, {:>8} from memory",
                kind.as_str(),
                from_memory.report().rows_accepted(kind)
            );
        }
    }
    checks.check(counts(&from_sqlite) == counts(&from_memory), "record counts per kind are equal");
    checks.check(from_sqlite == from_memory, "event logs are equal record for record");
    let as_of = Timestamp::from_ymd(2024, 7, 1)?;
    checks.check(same_features(&from_sqlite, &from_memory, as_of)?, "default features at 2024-07-01 are bit-identical");

    // 4. Bad rows are reported with table and rowid, never dropped silently.
    let first = records.customers.first().ok_or(Error::EmptySource { what: "customers" })?;
    let (order_rowid, review_rowid) = insert_bad_rows(&path, &first.id, as_of)?;
    let with_bad = EventLog::from_source(&source)?;
    let report = with_bad.report();
    println!("\ningest report after inserting two bad rows:\n{report}");
    let order_tag = format!("table `orders` rowid {order_rowid}: `channel`");
    let review_tag = format!("table `reviews` rowid {review_rowid}: `rating` is NULL");
    checks.check(
        report.rows_rejected(RecordKind::Order) == 1
            && report.rows_rejected(RecordKind::Review) == 1
            && report.total_rejected() == 2,
        "exactly the two bad rows are rejected",
    );
    checks.check(
        report.rejections().iter().any(|r| r.reason.contains(&order_tag) && r.reason.contains("carrier pigeon"))
            && report.rejections().iter().any(|r| r.reason.contains(&review_tag)),
        "the report names table, rowid and column of each",
    );
    checks.check(with_bad.n_events() == from_memory.n_events(), "the good rows still all load");

    // 5. The host store feeds the pipeline directly: fit and score from SQLite.
    let started = Instant::now();
    let pipeline = Pipeline::new(LogisticRegression::params());
    let dates: Vec<Timestamp> = (1..=9).map(|m| Timestamp::from_ymd(2024, m, 1)).collect::<Result<_>>()?;
    let fitted = pipeline.fit(&source, &dates, &Silent)?;
    let now = config.end().add_days(-1);
    let scores = fitted.score(&source, now, 3)?;
    println!(
        "\nlogistic regression fitted on {} monthly snapshots and {} customers scored at {now}, from SQLite in {:.2} s; \
         the 5 riskiest:",
        dates.len(),
        scores.len(),
        started.elapsed().as_secs_f64()
    );
    for s in scores.iter().take(5) {
        let reasons: Vec<String> = s.reasons.iter().map(|r| r.to_string()).collect();
        println!("  {}  {:5.1}%  {}", s.customer, 100.0 * s.probability, reasons.join("; "));
    }
    checks.check(
        scores.len() >= 5 && scores.iter().all(|s| (0.0..=1.0).contains(&s.probability)),
        "scores are probabilities for the active customers",
    );
    Ok(checks)
}
