//! Export the simulated population as CSV files, and optionally dump its features.
//!
//! Writes `customers.csv`, `orders.csv`, `visits.csv`, `interactions.csv`,
//! `tickets.csv` and `reviews.csv` (the layout [`CsvSource`](churnguard::data::CsvSource)
//! reads) for a seeded synthetic population, so the same data can be loaded by
//! other tools — the polars comparison in `bench/features_polars.py`, a
//! database, a notebook — or read back with `CsvSource::from_dir`.
//!
//! ```text
//! cargo run --release --example export_sim -- <dir> [n_customers=100000] [seed=42]
//!     [--dump-features <path.csv>] [--as-of 2024-07-01] [--no-csv] [--read-back]
//! ```
//!
//! `--dump-features` also writes the default point-in-time features
//! (`FeatureSpec::default()`, 365-day look-back, 90-day horizon) of every
//! customer eligible at `--as-of` to a CSV file: `customer_id` followed by every
//! numeric feature, values printed with Rust's shortest round-trip formatting
//! (`NaN` for missing), so two dumps are equal as text exactly when the values
//! are equal bit for bit. A checksum of the value bits is printed as well.
//! `--no-csv` skips the CSV export (useful to only dump features).
//! `--read-back` times reading the CSV files in `<dir>` back into an
//! [`EventLog`] with `CsvSource` (churnguard's counterpart of the polars
//! script's "read + parse" step).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use churnguard::data::{CsvSource, EventLog, write_csv_dir};
use churnguard::features::{FeatureSpec, Snapshot};
use churnguard::sim::{Population, SimConfig};
use churnguard::{Days, Timestamp};

/// Parsed command line.
struct Args {
    /// Output directory for the CSV files.
    dir: PathBuf,
    /// Number of simulated customers.
    n_customers: usize,
    /// Simulation seed.
    seed: u64,
    /// Where to dump the extracted features, if anywhere.
    dump: Option<PathBuf>,
    /// Snapshot date of the feature dump.
    as_of: Timestamp,
    /// Whether to write the CSV export.
    csv: bool,
    /// Whether to time reading the CSV files back.
    read_back: bool,
}

const USAGE: &str = "usage: export_sim <dir> [n_customers=100000] [seed=42] \
                     [--dump-features <path.csv>] [--as-of YYYY-MM-DD] [--no-csv] [--read-back]";

/// Parse `std::env::args()`, or explain what is wrong.
fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut dump = None;
    let mut as_of = Timestamp::from_ymd(2024, 7, 1).map_err(|e| e.to_string())?;
    let mut csv = true;
    let mut read_back = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dump-features" => dump = Some(PathBuf::from(args.next().ok_or("--dump-features needs a path")?)),
            "--as-of" => {
                let text = args.next().ok_or("--as-of needs a date")?;
                as_of = Timestamp::parse(&text).map_err(|e| e.to_string())?;
            }
            "--no-csv" => csv = false,
            "--read-back" => read_back = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if a.starts_with("--") => return Err(format!("unknown option {a}\n{USAGE}")),
            _ => positional.push(a),
        }
    }
    let dir = PathBuf::from(positional.first().ok_or_else(|| USAGE.to_string())?);
    let n_customers = match positional.get(1) {
        Some(s) => s.parse().map_err(|e| format!("n_customers `{s}`: {e}"))?,
        None => 100_000,
    };
    let seed = match positional.get(2) {
        Some(s) => s.parse().map_err(|e| format!("seed `{s}`: {e}"))?,
        None => 42,
    };
    if positional.len() > 3 {
        return Err(format!("too many arguments\n{USAGE}"));
    }
    Ok(Args { dir, n_customers, seed, dump, as_of, csv, read_back })
}

/// Write `customer_id` and every numeric feature of the default spec at `as_of` to `path`.
fn dump_features(log: &EventLog, as_of: Timestamp, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let snapshot = Snapshot::new(as_of, Days(365), Days(90))?;
    let started = Instant::now();
    let features = FeatureSpec::default().extract(log, &snapshot)?;
    let took = started.elapsed();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(out, "customer_id")?;
    for name in features.numeric_names() {
        write!(out, ",{name}")?;
    }
    writeln!(out)?;
    // FNV-1a over the bit patterns, to compare runs at a glance.
    let mut checksum: u64 = 0xcbf2_9ce4_8422_2325;
    for (id, row) in features.customer_ids().iter().zip(features.numeric().rows()) {
        write!(out, "{id}")?;
        for v in row {
            write!(out, ",{v}")?;
            checksum = (checksum ^ v.to_bits()).wrapping_mul(0x0100_0000_01b3);
        }
        writeln!(out)?;
    }
    out.flush()?;
    println!(
        "features at {as_of}: {} eligible customers x {} numeric features in {:.1} ms -> {} (checksum {checksum:016x})",
        features.n_rows(),
        features.numeric_names().len(),
        took.as_secs_f64() * 1e3,
        path.display()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let pop =
        Population::generate(&SimConfig { n_customers: args.n_customers, seed: args.seed, ..SimConfig::default() })?;
    let r = pop.records();
    println!(
        "simulated {} customers (seed {}) in {:.1} s: {} orders, {} visits, {} interactions, {} tickets, \
         {} reviews ({} events)",
        r.customers.len(),
        args.seed,
        started.elapsed().as_secs_f64(),
        r.orders.len(),
        r.visits.len(),
        r.interactions.len(),
        r.tickets.len(),
        r.reviews.len(),
        r.len() - r.customers.len()
    );
    if args.csv {
        let started = Instant::now();
        write_csv_dir(r, &args.dir)?;
        println!("wrote CSV files to {} in {:.1} s", args.dir.display(), started.elapsed().as_secs_f64());
    }
    if args.read_back {
        let started = Instant::now();
        let log = EventLog::from_source(&CsvSource::from_dir(&args.dir)?)?;
        println!(
            "read {} back: {} customers, {} events in {:.2} s; {}",
            args.dir.display(),
            log.n_customers(),
            log.n_events(),
            started.elapsed().as_secs_f64(),
            log.report()
        );
    }
    if let Some(path) = &args.dump {
        let started = Instant::now();
        let log = EventLog::from_source(r)?;
        println!("built the event log from memory in {:.2} s", started.elapsed().as_secs_f64());
        dump_features(&log, args.as_of, path)?;
    }
    Ok(())
}
