//! The SQLite `DataSource` of `examples/sqlite_source.rs`: it reads back exactly
//! what the simulation wrote, reports rows it cannot convert with table and
//! rowid, and turns structural problems into typed errors.
//!
//! Only compiled with `--features sqlite` (rusqlite is an optional dependency).
#![cfg(feature = "sqlite")]

// The adapter under test is the example's own code, not a copy of it.
#[allow(dead_code)]
#[path = "../examples/sqlite_source.rs"]
mod example;

use churnguard::data::{DataSource, EventLog, RecordBatch, RecordKind};
use churnguard::sim::{Population, SimConfig};
use churnguard::{Error, Timestamp};
use example::{SqliteSource, counts, insert_bad_rows, same_features, write_database};
use rusqlite::Connection;

fn population() -> Population {
    Population::generate(&SimConfig { n_customers: 150, seed: 7, ..SimConfig::default() }).unwrap()
}

fn database(records: &RecordBatch) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    write_database(&path, records).unwrap();
    (dir, path)
}

#[test]
fn sqlite_round_trip_gives_the_same_event_log_and_features_as_memory() {
    let pop = population();
    let (_dir, path) = database(pop.records());
    // A small batch size so the reader crosses many batch boundaries per table.
    let source = SqliteSource::new(&path).batch_size(97);
    let mut batches = 0;
    let mut rows = 0;
    let report = source
        .stream(&mut |b| {
            batches += 1;
            rows += b.len();
            Ok(())
        })
        .unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(rows, pop.records().len());
    assert!(batches > pop.records().len() / 97, "{batches} batches for {rows} rows");

    let from_sqlite = EventLog::from_source(&source).unwrap();
    let from_memory = EventLog::from_source(pop.records()).unwrap();
    assert_eq!(counts(&from_sqlite), counts(&from_memory));
    assert_eq!(from_sqlite.report().rows_accepted(RecordKind::Order), pop.records().orders.len() as u64);
    assert!(from_sqlite == from_memory, "event logs differ");
    assert!(same_features(&from_sqlite, &from_memory, Timestamp::from_ymd(2024, 7, 1).unwrap()).unwrap());
}

#[test]
fn bad_rows_are_reported_with_table_and_rowid_and_the_rest_loads() {
    let pop = population();
    let (_dir, path) = database(pop.records());
    let customer = &pop.records().customers[0].id;
    let at = Timestamp::from_ymd(2024, 7, 1).unwrap();
    let (order_rowid, review_rowid) = insert_bad_rows(&path, customer, at).unwrap();
    // A time that is not a date, and an order whose customer id is NULL.
    let conn = Connection::open(&path).unwrap();
    conn.execute("INSERT INTO visits VALUES (?1, 'last tuesday', 'web', 3, NULL)", [customer.as_str()]).unwrap();
    let visit_rowid = conn.last_insert_rowid();
    conn.execute("INSERT INTO orders VALUES (NULL, 1719792000, 5.0, 1, 0.0, 0, 'web')", []).unwrap();
    let null_customer_rowid = conn.last_insert_rowid();
    drop(conn);

    let log = EventLog::from_source(&SqliteSource::new(&path)).unwrap();
    let report = log.report();
    assert_eq!(report.rows_rejected(RecordKind::Order), 2, "{report}");
    assert_eq!(report.rows_rejected(RecordKind::Review), 1, "{report}");
    assert_eq!(report.rows_rejected(RecordKind::Visit), 1, "{report}");
    assert_eq!(report.total_rejected(), 4, "{report}");
    let reasons: Vec<&str> = report.rejections().iter().map(|r| r.reason.as_str()).collect();
    let has = |needle: &str| reasons.iter().any(|r| r.contains(needle));
    assert!(has(&format!("table `orders` rowid {order_rowid}: `channel`: `carrier pigeon` is not a known Channel")));
    assert!(has(&format!("table `reviews` rowid {review_rowid}: `rating` is NULL")));
    assert!(has(&format!("table `visits` rowid {visit_rowid}: `visited_at`: `last tuesday` is not a date")));
    assert!(has(&format!("table `orders` rowid {null_customer_rowid}: `customer_id` is NULL")));
    // Every good row still loads.
    assert_eq!(log.n_events(), EventLog::from_source(pop.records()).unwrap().n_events());
}

#[test]
fn iso_text_times_and_missing_optional_columns_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host.sqlite");
    let conn = Connection::open(&path).unwrap();
    // A host schema with its own extra column, ISO-8601 text times and no optional order columns.
    conn.execute_batch(
        "CREATE TABLE customers (customer_id INTEGER, signup_date TEXT, loyalty_tier TEXT);
         INSERT INTO customers VALUES (42, '2024-01-15', 'gold');
         CREATE TABLE orders (customer_id INTEGER, ordered_at TEXT, amount REAL);
         INSERT INTO orders VALUES (42, '2024-02-01T10:30:00Z', 30.5);",
    )
    .unwrap();
    drop(conn);
    let log = EventLog::from_source(&SqliteSource::new(&path)).unwrap();
    assert!(log.report().is_clean(), "{}", log.report());
    let events = log.events_of(&"42".into()).unwrap();
    assert_eq!(events.customer.signup, Timestamp::from_ymd(2024, 1, 15).unwrap());
    assert_eq!(events.orders.len(), 1);
    // 2024-02-01T10:30:00Z = 1706783400 unix seconds (date -u -d 2024-02-01T10:30:00Z +%s).
    assert_eq!(events.orders[0].at, Timestamp::from_unix_seconds(1_706_783_400));
    assert_eq!(events.orders[0].amount, 30.5);
}

#[test]
fn missing_required_column_table_or_database_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE customers (customer_id TEXT, signup_date INTEGER);
         CREATE TABLE orders (customer_id TEXT, ordered_at INTEGER);",
    )
    .unwrap();
    drop(conn);
    match EventLog::from_source(&SqliteSource::new(&path)) {
        Err(Error::MissingColumn { table, column }) => {
            assert_eq!((table.as_str(), column.as_str()), ("orders", "amount"))
        }
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    let no_customers = dir.path().join("no_customers.sqlite");
    Connection::open(&no_customers).unwrap().execute_batch("CREATE TABLE orders (customer_id TEXT);").unwrap();
    match EventLog::from_source(&SqliteSource::new(&no_customers)) {
        Err(Error::Io { source, .. }) => {
            assert!(source.to_string().contains("table `customers` is required"), "{source}")
        }
        other => panic!("expected Io for the missing customers table, got {other:?}"),
    }
    match EventLog::from_source(&SqliteSource::new(dir.path().join("absent.sqlite"))) {
        Err(Error::Io { source, .. }) => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
        other => panic!("expected Io NotFound, got {other:?}"),
    }
}
