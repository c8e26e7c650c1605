//! Streaming and batch scoring speed (issue 8 targets: Monitor ≥ 1M events/s applied on
//! one core; batch scoring ≥ 500k customers/s with a logistic model; memory per customer).
//!
//! ```text
//! cargo bench --bench monitor          # 20,000 simulated customers
//! ```
//!
//! Set-up (not timed): the default simulation with 20,000 customers, a logistic pipeline
//! fitted on three snapshots, a monitor seeded with the history before 2024-07-01.
//! - `apply_july`: every event of July 2024 (time order, one core) applied to a clone of
//!   the seeded monitor; throughput in events.
//! - `rescore_all`: one full rescoring after a tick (features, logistic score, top-3
//!   reasons, detectors, alerts; two threads); throughput in customers.
//! - `scorer_batch` / `scorer_batch_no_reasons`: `Scorer::score_log` of the whole log at
//!   2024-07-01 (features, score, reasons, tiers, percentiles); throughput in scored customers.
//!
//! The memory per monitored customer is printed once (stderr) during set-up, for the
//! default 365-day look-back after July's events and after the rescoring that follows
//! (which expires what applying left), and (full runs only) for shorter look-backs with
//! windows that fit them.
//! In test mode (`cargo test --benches`) the population has 300 customers.

use std::hint::black_box;
use std::time::Duration;

use churnguard::classify::LogisticRegression;
use churnguard::data::{Event, EventLog};
use churnguard::features::FeatureSpec;
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::sim::{Population, SimConfig};
use churnguard::warn::{Detectors, FrequencyDrop, Monitor, MonitorConfig, Scorer, ScorerConfig};
use churnguard::{Days, Timestamp};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench")
}

fn bench(c: &mut Criterion) {
    let n = if test_mode() { 300 } else { 20_000 };
    let population = Population::generate(&SimConfig { n_customers: n, ..SimConfig::default() }).expect("simulation");
    let log = EventLog::from_source(population.records()).expect("log");
    let dates: Vec<Timestamp> = [(2023, 10, 1), (2024, 1, 1), (2024, 4, 1)]
        .iter()
        .map(|&(y, m, d)| Timestamp::from_ymd(y, m, d).expect("date"))
        .collect();
    let fitted = Pipeline::new(LogisticRegression::params()).fit_log(&log, &dates, &Silent).expect("fit");
    let start = Timestamp::from_ymd(2024, 7, 1).expect("date");
    let end = Timestamp::from_ymd(2024, 8, 1).expect("date");

    let mut events: Vec<Event> = population.records().events_by_time();
    events.retain(|e| e.at() >= start && e.at() < end);

    let mut seeded = Monitor::new(fitted.clone(), MonitorConfig::default()).expect("monitor");
    seeded.seed(&log, start).expect("seed");
    seeded.rescore_dirty().expect("baseline scoring");
    {
        let mut m = Monitor::restore(fitted.clone(), seeded.state().clone()).expect("restore");
        for (i, e) in events.iter().enumerate() {
            m.apply(i as u64, e).expect("apply");
        }
        eprintln!(
            "monitor: {} customers; after July {:.0} events and {:.0} bytes retained per customer",
            m.n_customers(),
            m.events_per_customer(),
            m.memory_per_customer()
        );
        // Applying expires a customer's events only when their buffer is full; a
        // rescoring expires every customer it scores.
        m.tick(end).expect("tick");
        m.rescore_dirty().expect("rescore");
        eprintln!(
            "monitor: after the rescoring on 2024-08-01 {:.0} events and {:.0} bytes per customer",
            m.events_per_customer(),
            m.memory_per_customer()
        );
    }

    if !test_mode() {
        memory_by_lookback(&log, &dates, &events, start);
    }

    let mut group = c.benchmark_group(format!("monitor_{n}"));
    group.sample_size(10).measurement_time(Duration::from_secs(if test_mode() { 1 } else { 15 }));
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("apply_july", |b| {
        b.iter_batched(
            || Monitor::restore(fitted.clone(), seeded.state().clone()).expect("restore"),
            |mut m| {
                for (i, e) in events.iter().enumerate() {
                    black_box(m.apply(i as u64, e).expect("apply"));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });

    let mut ticked = Monitor::restore(fitted.clone(), seeded.state().clone()).expect("restore");
    ticked.tick(start.add_days(1)).expect("tick");
    group.throughput(Throughput::Elements(ticked.n_dirty() as u64));
    group.bench_function("rescore_all", |b| {
        b.iter_batched(
            || Monitor::restore(fitted.clone(), ticked.state().clone()).expect("restore"),
            |mut m| {
                black_box(m.rescore_dirty().expect("rescore"));
                m
            },
            BatchSize::LargeInput,
        )
    });

    for (name, reasons) in [("scorer_batch", 3), ("scorer_batch_no_reasons", 0)] {
        let scorer = Scorer::new(fitted.clone(), ScorerConfig { reasons, ..ScorerConfig::default() }).expect("scorer");
        let scored = scorer.score_log(&log, start, None, &Silent).expect("score").customers().len();
        group.throughput(Throughput::Elements(scored as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(scorer.score_log(&log, start, None, &Silent).expect("score")))
        });
    }
    group.finish();
}

/// Bytes per monitored customer after July with shorter look-backs (set-up output only).
fn memory_by_lookback(log: &EventLog, dates: &[Timestamp], events: &[Event], start: Timestamp) {
    for (lookback, windows) in [(180, [7, 30, 90]), (120, [7, 30, 60])] {
        let spec = FeatureSpec { windows: windows.iter().map(|&d| Days(d)).collect(), ..FeatureSpec::default() };
        let fitted = Pipeline::new(LogisticRegression::params())
            .features(spec)
            .lookback(Days(lookback))
            .fit_log(log, dates, &Silent)
            .expect("fit");
        // The frequency-drop detector's windows must fit the shorter look-back.
        let drop =
            FrequencyDrop { recent: Days(lookback / 6), baseline: Days(lookback / 2), ..FrequencyDrop::default() };
        let detectors = Detectors { frequency_drop: Some(drop), ..Detectors::default() };
        let mut m = Monitor::new(fitted, MonitorConfig { detectors, ..MonitorConfig::default() }).expect("monitor");
        m.seed(log, start).expect("seed");
        for (i, e) in events.iter().enumerate() {
            m.apply(i as u64, e).expect("apply");
        }
        eprintln!(
            "monitor, {lookback}-day look-back, windows {windows:?}: after July {:.0} events and {:.0} bytes per customer",
            m.events_per_customer(),
            m.memory_per_customer()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
