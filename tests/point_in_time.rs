//! The point-in-time guarantee: features at `as_of` read only events strictly
//! before `as_of`, and churn labels read only `[as_of, as_of + horizon)`.
//!
//! The main check builds two event logs that agree on everything before
//! `as_of` and disagree wildly from `as_of` on (extra events of every kind,
//! including some at exactly `as_of`, and previously open tickets closed at or
//! after `as_of`), and requires every feature of every customer to be
//! identical. The converse tests show that the comparison is sensitive: one
//! order one second before `as_of` changes the features.

use std::collections::HashMap;
use std::sync::OnceLock;

use approx::assert_abs_diff_eq;
use churnguard::data::{
    Channel, Customer, EventLog, Interaction, InteractionKind, Order, RecordBatch, Review, ReviewSource, SupportTicket,
    TicketCategory, Visit,
};
use churnguard::features::{Activity, FeatureMatrix, FeatureSpec, Snapshot};
use churnguard::sim::{Population, SimConfig};
use churnguard::{Days, Error, SECONDS_PER_DAY, Timestamp};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

fn secs(t: Timestamp, s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(t.unix_seconds() + s)
}

fn snapshot(as_of: Timestamp) -> Snapshot {
    Snapshot::new(as_of, Days(365), Days(90)).unwrap()
}

/// A small simulated population (generated once per test binary).
fn population() -> &'static Population {
    static POP: OnceLock<Population> = OnceLock::new();
    POP.get_or_init(|| Population::generate(&SimConfig { n_customers: 300, seed: 11, ..SimConfig::default() }).unwrap())
}

/// A tiny population for the property test.
fn tiny_population() -> &'static Population {
    static POP: OnceLock<Population> = OnceLock::new();
    POP.get_or_init(|| Population::generate(&SimConfig { n_customers: 40, seed: 5, ..SimConfig::default() }).unwrap())
}

/// What the shop knew strictly before `as_of`: later events are dropped, and a ticket
/// closed at or after `as_of` is still open (its resolution and satisfaction unknown).
fn past_only(batch: &RecordBatch, as_of: Timestamp) -> RecordBatch {
    RecordBatch {
        customers: batch.customers.clone(),
        orders: batch.orders.iter().filter(|o| o.at < as_of).cloned().collect(),
        visits: batch.visits.iter().filter(|v| v.at < as_of).cloned().collect(),
        interactions: batch.interactions.iter().filter(|i| i.at < as_of).cloned().collect(),
        tickets: batch
            .tickets
            .iter()
            .filter(|t| t.opened < as_of)
            .map(|t| match t.closed {
                Some(c) if c >= as_of => {
                    SupportTicket { closed: None, resolved: false, satisfaction: None, ..t.clone() }
                }
                _ => t.clone(),
            })
            .collect(),
        reviews: batch.reviews.iter().filter(|r| r.at < as_of).cloned().collect(),
    }
}

/// Features of every customer of `log` (eligible or not), in log order.
fn all_rows(spec: &FeatureSpec, log: &EventLog, snap: &Snapshot) -> FeatureMatrix {
    let rows: Vec<usize> = (0..log.n_customers()).collect();
    spec.extract_rows(log, snap, &rows).unwrap()
}

/// Asserts two feature matrices hold the same customers, names and values (NaN equals NaN).
fn assert_same_features(a: &FeatureMatrix, b: &FeatureMatrix, context: &str) {
    assert_eq!(a.customer_ids(), b.customer_ids(), "{context}: customers differ");
    assert_eq!(a.names(), b.names(), "{context}: feature names differ");
    let (xa, xb) = (a.numeric(), b.numeric());
    for ((r, c), &va) in xa.indexed_iter() {
        let vb = xb[[r, c]];
        assert!(
            va == vb || (va.is_nan() && vb.is_nan()),
            "{context}: customer {} feature `{}`: {va} vs {vb}",
            a.customer_ids()[r],
            a.numeric_names()[c]
        );
    }
    for (ca, cb) in a.categorical().iter().zip(b.categorical()) {
        assert_eq!(ca.iter().collect::<Vec<_>>(), cb.iter().collect::<Vec<_>>(), "{context}: `{}`", ca.name());
    }
}

/// Many events of every kind at or after `as_of` (some at exactly `as_of`) for every customer,
/// and every ticket still open at `as_of` closed at or after it, resolved and rated.
fn add_future(past: &RecordBatch, as_of: Timestamp) -> RecordBatch {
    let mut b = past.clone();
    for (k, t) in b.tickets.iter_mut().enumerate() {
        if t.closed.is_none() {
            // Alternate between closing exactly at as_of and days later.
            t.closed = Some(if k % 2 == 0 { as_of } else { as_of.add_days(3) });
            t.resolved = k % 3 != 0;
            t.satisfaction = Some(if k % 2 == 0 { 5.0 } else { 1.0 });
        }
    }
    for (i, c) in past.customers.iter().enumerate() {
        let id = c.id.clone();
        let i = i as i64;
        for (j, at) in [as_of, secs(as_of, 1 + i), as_of.add_days(2 + i % 40)].into_iter().enumerate() {
            b.orders.push(Order {
                customer: id.clone(),
                at,
                amount: 10.0 + j as f64,
                items: 3,
                discount: 2.5,
                returned: j == 1,
                channel: Channel::Store,
            });
            b.visits.push(Visit { customer: id.clone(), at, channel: Channel::App, pages: 9, duration_seconds: None });
            b.interactions.push(Interaction {
                customer: id.clone(),
                at,
                kind: InteractionKind::Chat,
                channel: Channel::Phone,
            });
            b.tickets.push(SupportTicket {
                customer: id.clone(),
                opened: at,
                closed: (j != 0).then(|| at.add_days(1)),
                category: TicketCategory::Complaint,
                resolved: false,
                satisfaction: (j != 0).then_some(1.0),
            });
            b.reviews.push(Review {
                customer: id.clone(),
                at,
                rating: 1.0,
                sentiment: Some(-1.0),
                source: ReviewSource::Social,
            });
        }
    }
    b
}

#[test]
fn features_ignore_events_at_or_after_as_of() {
    let pop = population();
    let as_of = date(2024, 7, 1);
    let snap = snapshot(as_of);
    let past = past_only(pop.records(), as_of);
    let future = add_future(&past, as_of);

    // The comparison is only meaningful if there were open tickets to close and events to add.
    let open_at_as_of = past.tickets.iter().filter(|t| t.closed.is_none()).count();
    assert!(open_at_as_of > 0, "the population has no ticket open at {as_of}; pick another seed");
    assert!(future.orders.len() > past.orders.len() + 2 * past.customers.len());
    // The simulation itself has real events after as_of and tickets closed after it.
    assert!(pop.records().orders.iter().any(|o| o.at >= as_of));

    let past_log = EventLog::from_source(&past).unwrap();
    let future_log = EventLog::from_source(&future).unwrap();
    let full_log = EventLog::from_source(pop.records()).unwrap();
    assert!(future_log.report().is_clean(), "{}", future_log.report());
    assert_eq!(past_log.customers(), future_log.customers());

    let any_event = FeatureSpec {
        churn: churnguard::features::ChurnDefinition { activity: Activity::AnyEvent, ..Default::default() },
        ..FeatureSpec::default()
    };
    for spec in [FeatureSpec::default(), any_event] {
        let base = all_rows(&spec, &past_log, &snap);
        assert_same_features(&base, &all_rows(&spec, &future_log, &snap), "extra future events");
        assert_same_features(&base, &all_rows(&spec, &full_log, &snap), "the simulation's own future");
        // Eligibility is a point-in-time fact too.
        let eligible = spec.eligible_customers(&past_log, &snap);
        assert!(!eligible.is_empty());
        assert_eq!(eligible, spec.eligible_customers(&future_log, &snap));
        assert_same_features(
            &spec.extract(&past_log, &snap).unwrap(),
            &spec.extract(&future_log, &snap).unwrap(),
            "eligible rows",
        );
    }
}

/// One generated future event: kind, customer, offset from as_of in seconds, a value.
#[derive(Clone, Debug)]
struct FutureEvent {
    kind: u8,
    customer: usize,
    offset: i64,
    value: f64,
}

fn future_event() -> impl Strategy<Value = FutureEvent> {
    (0u8..5, 0usize..40, prop_oneof![Just(0i64), 0i64..(200 * SECONDS_PER_DAY)], 1.0f64..5.0)
        .prop_map(|(kind, customer, offset, value)| FutureEvent { kind, customer, offset, value })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn features_ignore_random_future_events(
        // as_of between 2024-03-01 and 2024-06-29, at any second of the day.
        as_of_offset in 0i64..(120 * SECONDS_PER_DAY),
        events in proptest::collection::vec(future_event(), 1..60),
        close_after in proptest::collection::vec(0i64..(30 * SECONDS_PER_DAY), 0..10),
    ) {
        let pop = tiny_population();
        let as_of = secs(date(2024, 3, 1), as_of_offset);
        let snap = snapshot(as_of);
        let past = past_only(pop.records(), as_of);
        let mut future = past.clone();
        // Close some of the tickets that were open at as_of.
        let open: Vec<usize> = (0..future.tickets.len()).filter(|&k| future.tickets[k].closed.is_none()).collect();
        for (&k, &after) in open.iter().zip(&close_after) {
            let t = &mut future.tickets[k];
            t.closed = Some(secs(as_of, after));
            t.resolved = true;
            t.satisfaction = Some(4.0);
        }
        for e in &events {
            let id = pop.records().customers[e.customer].id.clone();
            let at = secs(as_of, e.offset);
            match e.kind {
                0 => future.orders.push(Order { discount: e.value, ..Order::new(id, at, 20.0 * e.value) }),
                1 => future.visits.push(Visit { customer: id, at, channel: Channel::Web, pages: 2, duration_seconds: Some(60) }),
                2 => future.interactions.push(Interaction { customer: id, at, kind: InteractionKind::EmailOpen, channel: Channel::Email }),
                3 => future.tickets.push(SupportTicket {
                    customer: id, opened: at, closed: Some(at.add_days(1)), category: TicketCategory::Complaint,
                    resolved: false, satisfaction: Some(e.value),
                }),
                _ => future.reviews.push(Review { customer: id, at, rating: e.value.round(), sentiment: None, source: ReviewSource::Site }),
            }
        }
        let spec = FeatureSpec::default();
        let a = all_rows(&spec, &EventLog::from_source(&past).unwrap(), &snap);
        let b = all_rows(&spec, &EventLog::from_source(&future).unwrap(), &snap);
        assert_same_features(&a, &b, "random future events");
    }
}

/// A customer with a steady order history until `as_of`, for hand-made logs.
fn steady(id: &str, as_of: Timestamp) -> (Customer, Vec<Order>) {
    let c = Customer::new(id, date(2023, 1, 1));
    let orders = (1..=6).map(|k| Order::new(id, as_of.add_days(-15 * k), 20.0)).collect();
    (c, orders)
}

#[test]
fn features_change_when_a_past_event_changes() {
    let pop = population();
    let as_of = date(2024, 7, 1);
    let snap = snapshot(as_of);
    let spec = FeatureSpec::default();
    let past = past_only(pop.records(), as_of);
    let before = all_rows(&spec, &EventLog::from_source(&past).unwrap(), &snap);

    let target = 17;
    let id = past.customers[target].id.clone();
    let mut changed = past.clone();
    changed.orders.push(Order::new(id.clone(), secs(as_of, -1), 33.0));
    let after = all_rows(&spec, &EventLog::from_source(&changed).unwrap(), &snap);

    let j7 = before.numeric_index("order_count_7d").unwrap();
    let s7 = before.numeric_index("spend_7d").unwrap();
    let last = before.numeric_index("days_since_last_order").unwrap();
    assert_eq!(after.numeric()[[target, j7]], before.numeric()[[target, j7]] + 1.0);
    assert_abs_diff_eq!(after.numeric()[[target, s7]], before.numeric()[[target, s7]] + 33.0, epsilon = 1e-9);
    // One second before midnight is 1/86400 of a day.
    assert_abs_diff_eq!(after.numeric()[[target, last]], 1.0 / 86_400.0, epsilon = 1e-12);
    // Nobody else is affected.
    for r in (0..before.n_rows()).filter(|&r| r != target) {
        for c in 0..before.numeric_names().len() {
            let (x, y) = (before.numeric()[[r, c]], after.numeric()[[r, c]]);
            assert!(x == y || (x.is_nan() && y.is_nan()), "customer {r} feature {c} changed");
        }
    }
}

#[test]
fn feature_windows_are_half_open_and_end_before_as_of() {
    // order_count_7d covers [as_of − 7 d, as_of): an order at exactly as_of − 7 d counts,
    // one second earlier does not, and one at as_of belongs to the label window.
    let as_of = date(2024, 7, 1);
    let snap = snapshot(as_of);
    let (c, mut orders) = steady("a", as_of);
    orders.retain(|o| o.at < as_of.add_days(-7)); // history older than the 7-day window
    let mut b = RecordBatch { customers: vec![c], orders, ..Default::default() };
    let count_7d = |b: &RecordBatch| {
        let m =
            FeatureSpec::default().extract_customer(&EventLog::from_source(b).unwrap(), &"a".into(), &snap).unwrap();
        m.numeric_column("order_count_7d").unwrap()[0]
    };
    assert_eq!(count_7d(&b), 0.0);
    b.orders.push(Order::new("a", secs(as_of.add_days(-7), -1), 5.0));
    assert_eq!(count_7d(&b), 0.0, "an order just before the window start is outside it");
    b.orders.push(Order::new("a", as_of.add_days(-7), 5.0));
    assert_eq!(count_7d(&b), 1.0, "an order at the window start is inside it");
    b.orders.push(Order::new("a", as_of, 5.0));
    assert_eq!(count_7d(&b), 1.0, "an order at as_of is not a feature");
}

#[test]
fn labels_use_only_the_horizon_window() {
    let as_of = date(2024, 7, 1);
    let snap = snapshot(as_of);
    let end = snap.horizon_end();
    assert_eq!(end, date(2024, 9, 29)); // 2024-07-01 + 90 days
    let mut b = RecordBatch::default();
    for id in ["at_as_of", "at_window_end", "just_inside_end", "just_before_as_of", "visit_only"] {
        let (c, orders) = steady(id, as_of);
        b.customers.push(c);
        b.orders.extend(orders);
    }
    b.orders.push(Order::new("at_as_of", as_of, 10.0));
    b.orders.push(Order::new("at_window_end", end, 10.0));
    b.orders.push(Order::new("just_inside_end", secs(end, -1), 10.0));
    b.orders.push(Order::new("just_before_as_of", secs(as_of, -1), 10.0));
    b.visits.push(Visit {
        customer: "visit_only".into(),
        at: as_of.add_days(5),
        channel: Channel::Web,
        pages: 3,
        duration_seconds: None,
    });
    let log = EventLog::from_source(&b).unwrap();

    let labels_with = |spec: &FeatureSpec| -> HashMap<String, bool> {
        let data = spec.labeled(&log, &snap).unwrap();
        data.features().customer_ids().iter().map(|c| c.to_string()).zip(data.labels().iter().copied()).collect()
    };
    let labels = labels_with(&FeatureSpec::default());
    assert_eq!(labels.len(), 5, "all five are eligible: {labels:?}");
    assert!(!labels["at_as_of"], "an order at exactly as_of is retention");
    assert!(labels["at_window_end"], "an order at as_of + horizon is outside the window");
    assert!(!labels["just_inside_end"], "an order one second before the window end counts");
    assert!(labels["just_before_as_of"], "an order before as_of is history, not retention");
    assert!(labels["visit_only"], "with the default definition only orders count");

    let visits_count = FeatureSpec {
        churn: churnguard::features::ChurnDefinition { activity: Activity::OrdersOrVisits, ..Default::default() },
        ..FeatureSpec::default()
    };
    assert!(!labels_with(&visits_count)["visit_only"], "a visit in the window is activity under OrdersOrVisits");
}

#[test]
fn ticket_closed_after_as_of_counts_as_open() {
    let as_of = date(2024, 7, 1);
    let snap = snapshot(as_of);
    let (c, orders) = steady("a", as_of);
    let ticket = |opened: i64, closed: Option<Timestamp>, resolved: bool, sat: f64| SupportTicket {
        customer: "a".into(),
        opened: as_of.add_days(opened),
        closed,
        category: TicketCategory::Delivery,
        resolved,
        satisfaction: closed.map(|_| sat),
    };
    let b = RecordBatch {
        customers: vec![c],
        orders,
        tickets: vec![
            // Closed 10 days before as_of, unresolved, rated 2: fully known at as_of.
            ticket(-20, Some(as_of.add_days(-10)), false, 2.0),
            // Closed two days after as_of, resolved and rated 5: open at as_of.
            ticket(-5, Some(as_of.add_days(2)), true, 5.0),
            // Closed at exactly as_of: the closure is not yet known at as_of.
            ticket(-3, Some(as_of), true, 4.0),
        ],
        ..Default::default()
    };
    let log = EventLog::from_source(&b).unwrap();
    let m = FeatureSpec::default().extract_customer(&log, &"a".into(), &snap).unwrap();
    let f = |name: &str| m.numeric_column(name).unwrap()[0];
    assert_eq!(f("open_ticket_count"), 2.0);
    // Both open tickets plus the one closed unresolved.
    assert_eq!(f("unresolved_ticket_count"), 3.0);
    // Only the ticket closed before as_of has a known satisfaction (2) and resolution time (10 days).
    assert_eq!(f("mean_ticket_satisfaction"), 2.0);
    assert_eq!(f("mean_resolution_days"), 10.0);
    assert_eq!(f("ticket_count_7d"), 2.0);
    assert_eq!(f("ticket_count_30d"), 3.0);
}

#[test]
fn labeled_refuses_an_open_label_window() {
    // The simulation ends on 2025-01-01, so a 90-day window from 2024-12-01 is far from closed.
    let pop = population();
    let log = EventLog::from_source(pop.records()).unwrap();
    let snap = snapshot(date(2024, 12, 1));
    let err = FeatureSpec::default().labeled(&log, &snap).unwrap_err();
    match &err {
        Error::LabelWindowOpen { as_of, window_end, data_end } => {
            assert_eq!(as_of, "2024-12-01");
            assert_eq!(window_end, "2025-03-01");
            assert_eq!(*data_end, log.time_range().unwrap().1.to_string());
            assert!(data_end.starts_with("2024-12-"), "{data_end}");
        }
        other => panic!("expected LabelWindowOpen, got {other:?}"),
    }
    assert!(err.to_string().contains("2025-03-01"), "{err}");
    // Features alone are fine at that date: only labels need the future.
    assert!(FeatureSpec::default().extract(&log, &snap).is_ok());

    // The documented tolerance: the log may end up to 7 days before the window does.
    let as_of = date(2024, 7, 1);
    let snap = snapshot(as_of);
    let (c, orders) = steady("a", as_of);
    let mut b = RecordBatch { customers: vec![c], orders, ..Default::default() };
    b.customers.push(Customer::new("b", date(2023, 1, 1)));
    b.orders.push(Order::new("b", as_of.add_days(-3), 1.0));
    let last = Order::new("b", snap.horizon_end().add_days(-7), 1.0);
    b.orders.push(last.clone());
    assert!(FeatureSpec::default().labeled(&EventLog::from_source(&b).unwrap(), &snap).is_ok());
    b.orders.pop();
    b.orders.push(Order { at: secs(last.at, -1), ..last });
    assert!(matches!(
        FeatureSpec::default().labeled(&EventLog::from_source(&b).unwrap(), &snap),
        Err(Error::LabelWindowOpen { .. })
    ));
}
