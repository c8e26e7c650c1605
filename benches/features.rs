//! Feature extraction throughput on a simulated population.
//!
//! ```text
//! cargo bench --bench features
//! CHURNGUARD_BENCH_CUSTOMERS=20000 cargo bench --bench features
//! ```
//!
//! Setup (not timed): `Population::generate` with 100,000 customers (default
//! seed; override with `CHURNGUARD_BENCH_CUSTOMERS`), `EventLog::from_source`,
//! and a snapshot at 2024-07-01 with a 365-day look-back and a 90-day horizon.
//! When the binary runs as a test (`cargo test --benches`, or `--test`), the
//! population has 2,000 customers so the single debug-mode run stays cheap.
//!
//! Timed: `FeatureSpec::default().extract(&log, &snapshot)` — eligibility
//! scan over all customers plus every numeric and categorical feature of the
//! eligible ones — reported twice, as events/s and as customers/s:
//!
//! * `events`: throughput in events of all kinds (orders, visits,
//!   interactions, tickets, reviews) strictly before `as_of` that belong to
//!   *eligible* customers — exactly the rows the polars script in
//!   `bench/features_polars.py` aggregates after its filters;
//! * `customers`: throughput in eligible customers (rows of the feature matrix).
//!
//! A third function, `windows`, times only the RFM, engagement and service
//! families (windowed counts and spend, tickets and complaints), the polars
//! script's smaller `windows` query; its throughput is in events as above.
//! The polars script's `full` query computes every numeric feature of the
//! default spec but the two constant calendar columns, so it compares with
//! `events`. Results: `bench/RESULTS.md`.

use std::hint::black_box;
use std::time::Duration;

use churnguard::data::{EventLog, Timed};
use churnguard::features::{FeatureFamilies, FeatureSpec, Snapshot};
use churnguard::sim::{Population, SimConfig};
use churnguard::{Days, Timestamp};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Customers simulated for a real benchmark run.
const DEFAULT_CUSTOMERS: usize = 100_000;
/// Customers simulated when the bench runs as a test.
const TEST_CUSTOMERS: usize = 2_000;

/// Whether criterion runs this binary as a test: `cargo test --benches` passes
/// no `--bench` flag, and `cargo bench -- --test` passes both.
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

/// Population size: 2,000 in test mode, else `CHURNGUARD_BENCH_CUSTOMERS` or 100,000.
fn n_customers() -> usize {
    if test_mode() {
        return TEST_CUSTOMERS;
    }
    match std::env::var("CHURNGUARD_BENCH_CUSTOMERS") {
        Ok(s) => s.trim().parse().expect("CHURNGUARD_BENCH_CUSTOMERS must be a positive integer"),
        Err(_) => DEFAULT_CUSTOMERS,
    }
}

/// Number of entries of `items` strictly before `t`.
fn before<T: Timed>(items: &[T], t: Timestamp) -> usize {
    items.partition_point(|e| e.at() < t)
}

/// Events of each kind strictly before the snapshot, over the given customers.
#[derive(Debug, Default)]
struct EventCounts {
    /// Orders.
    orders: usize,
    /// Visits.
    visits: usize,
    /// Interactions.
    interactions: usize,
    /// Support tickets.
    tickets: usize,
    /// Reviews.
    reviews: usize,
}

impl EventCounts {
    /// Count the events before `as_of` of the customers at `rows`.
    fn of(log: &EventLog, rows: &[usize], as_of: Timestamp) -> Self {
        let mut c = EventCounts::default();
        for &i in rows {
            let ev = log.events(i);
            c.orders += before(ev.orders, as_of);
            c.visits += before(ev.visits, as_of);
            c.interactions += before(ev.interactions, as_of);
            c.tickets += before(ev.tickets, as_of);
            c.reviews += before(ev.reviews, as_of);
        }
        c
    }

    /// All kinds together.
    fn total(&self) -> usize {
        self.orders + self.visits + self.interactions + self.tickets + self.reviews
    }
}

/// Simulate, build the log, and benchmark extraction.
fn bench_features(c: &mut Criterion) {
    let n = n_customers();
    let log = {
        // The raw records are dropped once the log holds the events.
        let pop = Population::generate(&SimConfig { n_customers: n, ..SimConfig::default() })
            .expect("the default simulation settings are valid");
        EventLog::from_source(pop.records()).expect("simulated records load")
    };
    let as_of = Timestamp::from_ymd(2024, 7, 1).expect("a valid date");
    let snapshot = Snapshot::new(as_of, Days(365), Days(90)).expect("a valid snapshot");
    let spec = FeatureSpec::default();
    let rows = spec.eligible_customers(&log, &snapshot);
    let counts = EventCounts::of(&log, &rows, as_of);
    let all_rows: Vec<usize> = (0..log.n_customers()).collect();
    let all_counts = EventCounts::of(&log, &all_rows, as_of);
    let events = counts.total() as u64;
    eprintln!(
        "features bench: {n} customers, {} events in the log ({} before {as_of}); {} eligible customers with {events} \
         events before {as_of} ({counts:?}); {} threads",
        log.n_events(),
        all_counts.total(),
        rows.len(),
        rayon::current_num_threads()
    );

    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(events));
    group.bench_function("events", |b| {
        b.iter(|| black_box(spec.extract(black_box(&log), black_box(&snapshot)).expect("customers are eligible")))
    });
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("customers", |b| {
        b.iter(|| black_box(spec.extract(black_box(&log), black_box(&snapshot)).expect("customers are eligible")))
    });
    let windows = FeatureSpec {
        families: FeatureFamilies {
            rfm: true,
            engagement: true,
            service: true,
            trend: false,
            recency: false,
            basket: false,
            tenure: false,
            reviews: false,
            profile: false,
            calendar: false,
        },
        ..FeatureSpec::default()
    };
    group.throughput(Throughput::Elements(events));
    group.bench_function("windows", |b| {
        b.iter(|| black_box(windows.extract(black_box(&log), black_box(&snapshot)).expect("customers are eligible")))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    targets = bench_features
}
criterion_main!(benches);
