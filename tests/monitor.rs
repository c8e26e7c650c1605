//! Tests of the streaming `warn::Monitor`: streaming features equal batch features,
//! checkpoints restore to identical alerts, detectors fire and de-duplicate, and
//! bad input is rejected without touching the state.

use std::sync::OnceLock;

use churnguard::classify::LogisticRegression;
use churnguard::data::{
    Customer, CustomerId, Event, EventLog, Order, RecordBatch, Review, ReviewSource, SupportTicket, TicketCategory,
};
use churnguard::features::FeatureMatrix;
use churnguard::pipeline::{FittedPipeline, Pipeline};
use churnguard::progress::Silent;
use churnguard::retain::{Action, ActionKind, CustomerValues, Playbook, Rule};
use churnguard::sim::{Population, SimConfig};
use churnguard::warn::{
    Alert, Applied, Cause, Monitor, MonitorConfig, MonitorState, RiskTier, TierCutoffs, Trigger, UnknownCustomers,
};
use churnguard::{Days, Error, Timestamp};

struct World {
    population: Population,
    log: EventLog,
    fitted: FittedPipeline,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let population = Population::generate(&SimConfig { n_customers: 500, ..SimConfig::default() }).unwrap();
        let log = EventLog::from_source(population.records()).unwrap();
        let dates = [Timestamp::from_ymd(2024, 1, 1).unwrap(), Timestamp::from_ymd(2024, 4, 1).unwrap()];
        let fitted = Pipeline::new(LogisticRegression::params()).fit_log(&log, &dates, &Silent).unwrap();
        World { population, log, fitted }
    })
}

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

fn monitor_with_profiles(config: MonitorConfig) -> Monitor {
    let w = world();
    let mut m = Monitor::new(w.fitted.clone(), config).unwrap();
    for c in w.log.customers() {
        m.add_customer(c.clone()).unwrap();
    }
    m
}

fn assert_same_features(streamed: &FeatureMatrix, batch: &FeatureMatrix) {
    assert_eq!(streamed.customer_ids(), batch.customer_ids());
    assert_eq!(streamed.numeric_names(), batch.numeric_names());
    let (a, b) = (streamed.numeric(), batch.numeric());
    for ((r, c), x) in a.indexed_iter() {
        let y = b[[r, c]];
        let same = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * (1.0 + y.abs());
        assert!(same, "{} of {}: streamed {x}, batch {y}", batch.numeric_names()[c], batch.customer_ids()[r]);
    }
    for (ca, cb) in streamed.categorical().iter().zip(batch.categorical()) {
        assert_eq!(ca.iter().collect::<Vec<_>>(), cb.iter().collect::<Vec<_>>(), "{}", cb.name());
    }
}

#[test]
fn replaying_the_history_gives_the_batch_features_at_every_check_date() {
    let w = world();
    let mut m = monitor_with_profiles(MonitorConfig::default());
    let settings = w.fitted.settings();
    let checks = [date(2023, 3, 1), date(2023, 11, 20), date(2024, 2, 1), date(2024, 8, 15), date(2024, 12, 30)];
    let mut next = 0;
    let mut rejected = 0;
    for (id, e) in w.population.records().events_by_time().iter().enumerate() {
        while next < checks.len() && e.at() >= checks[next] {
            m.tick(checks[next]).unwrap();
            let batch = settings.features.extract(&w.log, &settings.snapshot(checks[next]).unwrap()).unwrap();
            assert_same_features(&m.features().unwrap(), &batch);
            next += 1;
        }
        match m.apply(id as u64, e) {
            Ok(Applied::Added) => {}
            Ok(other) => panic!("event {id} was {other:?}"),
            Err(Error::InvalidEvent { .. }) => rejected += 1,
            Err(other) => panic!("event {id}: {other}"),
        }
    }
    assert_eq!(next, checks.len(), "every check date lies inside the stream");
    // The monitor refuses exactly the records the event log refused.
    assert_eq!(rejected, w.log.report().total_rejected());
    // The window really is bounded: fewer events retained than streamed.
    assert!(m.events_per_customer() < w.log.n_events() as f64 / w.log.n_customers() as f64);
}

#[test]
fn seeding_from_the_log_equals_replaying_it() {
    let w = world();
    let at = date(2024, 5, 17);
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    m.seed(&w.log, at).unwrap();
    let settings = w.fitted.settings();
    let batch = settings.features.extract(&w.log, &settings.snapshot(at).unwrap()).unwrap();
    assert_same_features(&m.features().unwrap(), &batch);
    // The monitor's full scoring is the batch scorer's.
    let config = churnguard::warn::ScorerConfig::default();
    let streamed = m.scoring(&config, None).unwrap();
    let scorer = churnguard::warn::Scorer::new(w.fitted.clone(), config).unwrap();
    let batch = scorer.score_log(&w.log, at, None, &Silent).unwrap();
    assert_eq!(streamed, batch);
}

/// Stream `events` from `from` to `to` with a tick and rescoring every `step` days;
/// returns the alerts in order.
fn run(m: &mut Monitor, events: &[(u64, Event)], from: Timestamp, to: Timestamp, step: i64) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let mut day = from;
    let mut k = events.partition_point(|(_, e)| e.at() < from);
    while day < to {
        let next = day.add_days(step);
        while k < events.len() && events[k].1.at() < next {
            let _ = m.apply(events[k].0, &events[k].1);
            k += 1;
        }
        m.tick(next).unwrap();
        alerts.extend(m.rescore_dirty().unwrap());
        day = next;
    }
    alerts
}

#[test]
fn a_restored_checkpoint_continues_with_identical_alerts() {
    let w = world();
    let events: Vec<(u64, Event)> =
        w.population.records().events_by_time().into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect();
    let (start, middle, end) = (date(2024, 3, 1), date(2024, 6, 7), date(2024, 9, 6));
    let config = MonitorConfig::default();
    let mut straight = Monitor::new(w.fitted.clone(), config).unwrap();
    straight.seed(&w.log, start).unwrap();
    assert!(straight.rescore_dirty().unwrap().is_empty(), "the first scoring sets baselines only");
    let before: Vec<Alert> = run(&mut straight, &events, start, middle, 7);
    let after: Vec<Alert> = run(&mut straight, &events, middle, end, 7);
    assert!(!before.is_empty() && !after.is_empty(), "alerts {} / {}", before.len(), after.len());

    let mut first = Monitor::new(w.fitted.clone(), config).unwrap();
    first.seed(&w.log, start).unwrap();
    first.rescore_dirty().unwrap();
    assert_eq!(run(&mut first, &events, start, middle, 7), before);
    let json = first.state().to_json().unwrap();
    drop(first);
    let state = MonitorState::from_json(&json).unwrap();
    let mut restored = Monitor::restore(w.fitted.clone(), state).unwrap();
    assert_eq!(run(&mut restored, &events, middle, end, 7), after);
    assert_eq!(restored.state(), straight.state());
    // Every kind of trigger the simulation provokes shows up, with reasons.
    let causes: std::collections::BTreeSet<Cause> =
        before.iter().chain(&after).flat_map(|a| a.triggers.iter().map(Trigger::cause)).collect();
    assert!(causes.contains(&Cause::TierRise) && causes.contains(&Cause::Inactivity), "{causes:?}");
    assert!(before.iter().all(|a| !a.reasons.is_empty() && a.tier >= RiskTier::Low));
}

#[test]
fn late_events_within_tolerance_count_and_beyond_it_change_nothing() {
    let w = world();
    let at = date(2024, 5, 1);
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    m.seed(&w.log, at).unwrap();
    let who = w.log.customers()[3].id.clone();
    let too_late = Event::Order(Order::new(who.clone(), at.add_days(-2), 10.0));
    let state = m.state().clone();
    let err = m.apply(1, &too_late).unwrap_err();
    assert!(matches!(&err, Error::LateEvent { tolerance_seconds: 86_400, .. }), "{err}");
    assert_eq!(m.state(), &state, "a rejected event must not change the state");

    // Twelve hours late is within the day of tolerance: it counts, exactly as in batch.
    let late = Order::new(who.clone(), Timestamp::from_unix_seconds(at.unix_seconds() - 43_200), 77.0);
    assert_eq!(m.apply(2, &Event::Order(late.clone())).unwrap(), Applied::Added);
    let mut batch = w.population.records().clone();
    batch.orders.push(late);
    let log = EventLog::from_source(&churnguard::data::MemorySource::new(batch)).unwrap();
    let settings = w.fitted.settings();
    let now = m.now().unwrap();
    assert_eq!(now, at, "a late event does not move the clock");
    let expected = settings.features.extract(&log, &settings.snapshot(now).unwrap()).unwrap();
    assert_same_features(&m.features().unwrap(), &expected);
}

#[test]
fn duplicate_event_ids_are_idempotent() {
    let w = world();
    let at = date(2024, 5, 1);
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    m.seed(&w.log, at).unwrap();
    let who = w.log.customers()[5].id.clone();
    let order = Event::Order(Order::new(who, at.add_days(1), 42.0));
    assert_eq!(m.apply(7, &order).unwrap(), Applied::Added);
    let before = m.state().to_json().unwrap();
    assert_eq!(m.apply(7, &order).unwrap(), Applied::Duplicate);
    assert_eq!(m.stats().duplicates, 1);
    // Only the duplicate counter moved.
    let after = m.state().to_json().unwrap();
    assert_eq!(after.replace("\"duplicates\":1", "\"duplicates\":0"), before);
}

#[test]
fn unknown_customers_are_rejected_or_created_as_configured() {
    let w = world();
    let at = date(2024, 5, 1);
    let ghost = Event::Order(Order::new("ghost", at.add_days(1), 10.0));
    let mut strict = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    strict.seed(&w.log, at).unwrap();
    let n = strict.n_customers();
    assert!(matches!(strict.apply(1, &ghost), Err(Error::UnknownCustomer { customer }) if customer == "ghost"));
    assert_eq!(strict.n_customers(), n);

    let config = MonitorConfig { unknown_customers: UnknownCustomers::Create, ..MonitorConfig::default() };
    let mut open = Monitor::new(w.fitted.clone(), config).unwrap();
    open.seed(&w.log, at).unwrap();
    assert_eq!(open.apply(1, &ghost).unwrap(), Applied::Added);
    assert_eq!(open.n_customers(), n + 1);
    assert_eq!(open.stats().customers_created, 1);
}

#[test]
fn bad_input_gets_typed_errors() {
    let w = world();
    let at = date(2024, 5, 1);
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    assert!(matches!(m.rescore_dirty(), Err(Error::EmptyData { .. })), "no clock yet");
    m.seed(&w.log, at).unwrap();
    let who = w.log.customers()[0].id.clone();
    let state = m.state().clone();
    let negative = Event::Order(Order::new(who.clone(), at, -5.0));
    assert!(matches!(m.apply(1, &negative), Err(Error::InvalidEvent { kind: "order", .. })));
    let review = Review { customer: who.clone(), at, rating: 9.0, sentiment: None, source: ReviewSource::Site };
    assert!(matches!(m.apply(2, &Event::Review(review)), Err(Error::InvalidEvent { kind: "review", .. })));
    // A time the monitor cannot keep (2200 is past the 32-bit range): named in the error.
    let far = Event::Order(Order::new(who.clone(), Timestamp::from_ymd(2200, 1, 1).unwrap(), 10.0));
    let err = m.apply(3, &far).unwrap_err();
    assert!(matches!(&err, Error::InvalidEvent { reason, .. } if reason.contains("2200-01-01")), "{err}");
    assert!(matches!(m.tick(at.add_days(-1)), Err(Error::ClockBackwards { .. })));
    assert!(matches!(m.add_customer(Customer::new(" ", at)), Err(Error::InvalidEvent { kind: "customer", .. })));
    assert_eq!(m.state(), &state);

    let quantile = MonitorConfig { cutoffs: TierCutoffs::Quantile { medium: 0.9, high: 0.5 }, ..Default::default() };
    assert!(matches!(Monitor::new(w.fitted.clone(), quantile), Err(Error::InvalidParameter { .. })));
    let slow = MonitorConfig { late_tolerance_seconds: Days(400).seconds(), ..Default::default() };
    assert!(matches!(
        Monitor::new(w.fitted.clone(), slow),
        Err(Error::InvalidParameter { name: "late_tolerance_seconds", .. })
    ));

    // A second seed would hold every event twice.
    assert!(matches!(m.seed(&w.log, at.add_days(1)), Err(Error::InvalidParameter { name: "seed", .. })));
    assert_eq!(m.state(), &state);

    // A log with times a monitor cannot keep is refused before anything changes.
    let mut old = RecordBatch::default();
    let long_ago = Timestamp::from_unix_seconds(-86_400 * 400);
    old.customers.push(Customer::new("old", long_ago));
    old.orders.push(Order::new("old", long_ago.add_days(3), 5.0));
    let old_log = EventLog::from_source(&churnguard::data::MemorySource::new(old)).unwrap();
    let mut fresh = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    let empty = fresh.state().clone();
    assert!(matches!(fresh.seed(&old_log, at.add_days(1)), Err(Error::InvalidEvent { .. })));
    assert_eq!(fresh.state(), &empty);

    // Checkpoints: corrupt text, another version, other pipeline settings.
    assert!(matches!(MonitorState::from_json("{\"version\": 1, \"now\""), Err(Error::Checkpoint { .. })));
    let json = m.state().to_json().unwrap();
    let other_version = json.replacen("\"version\":1", "\"version\":99", 1);
    let err = MonitorState::from_json(&other_version).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
    // A customer's visits out of time order (a hand-edited or damaged checkpoint): the
    // monitor keeps them sorted and refuses them rather than mis-count its windows.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let visits = value["customers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|c| &mut c["window"]["visits"])
        .find(|v| v.as_array().is_some_and(|a| a.len() >= 2 && a[0] != a[a.len() - 1]))
        .unwrap();
    visits.as_array_mut().unwrap().reverse();
    let err = MonitorState::from_json(&value.to_string()).unwrap_err();
    assert!(matches!(&err, Error::Checkpoint { reason } if reason.contains("visits are not in time order")), "{err}");
    let other = Pipeline::new(LogisticRegression::params())
        .horizon(Days(60))
        .fit_log(&w.log, &[date(2024, 1, 1)], &Silent)
        .unwrap();
    let state = MonitorState::from_json(&json).unwrap();
    assert!(matches!(Monitor::restore(other, state), Err(Error::Checkpoint { .. })));
    // A clock moved back before events the checkpoint holds.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["now"] = serde_json::to_value(date(2000, 1, 1)).unwrap();
    let state = MonitorState::from_json(&value.to_string()).unwrap();
    let err = Monitor::restore(w.fitted.clone(), state).unwrap_err();
    assert!(matches!(&err, Error::Checkpoint { reason } if reason.contains("not before the clock")), "{err}");
}

#[test]
fn event_detectors_alert_once_per_cause_within_the_cooldown() {
    let w = world();
    let at = date(2024, 5, 1);
    let book = Playbook::new(vec![
        Rule::new(RiskTier::Low, Action::new("care_call", ActionKind::SupportCall, 5.0, 0.3)),
        Rule::new(RiskTier::Low, Action::new("coupon", ActionKind::Discount, 2.0, 0.1)),
    ])
    .unwrap();
    let values = CustomerValues::new(500.0).unwrap();
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap().with_playbook(book, values);
    m.seed(&w.log, at).unwrap();
    m.rescore_dirty().unwrap();
    // A customer eligible now who has never complained.
    let features = m.features().unwrap();
    let complaints = features.numeric_column("complaint_count_365d").unwrap();
    let row = complaints.iter().position(|&c| c == 0.0).unwrap();
    let who: CustomerId = features.customer_ids()[row].clone();
    let complaint = |day: i64| SupportTicket {
        customer: who.clone(),
        opened: at.add_days(day),
        closed: None,
        category: TicketCategory::Complaint,
        resolved: false,
        satisfaction: None,
    };
    let bad = |day: i64| Review {
        customer: who.clone(),
        at: at.add_days(day),
        rating: 1.0,
        sentiment: Some(-0.8),
        source: ReviewSource::Social,
    };
    m.apply(100, &Event::Ticket(complaint(0))).unwrap();
    m.apply(101, &Event::Review(bad(0))).unwrap();
    let alerts = m.rescore_dirty().unwrap();
    let mine: Vec<&Alert> = alerts.iter().filter(|a| a.customer == who).collect();
    assert_eq!(mine.len(), 1);
    let causes: Vec<Cause> = mine[0].triggers.iter().map(Trigger::cause).collect();
    assert!(causes.contains(&Cause::FirstComplaint) && causes.contains(&Cause::BadReview), "{causes:?}");
    // Expected values p·500·0.3 − 5 (call) and p·500·0.1 − 2 (coupon): the call is worth
    // more once p > 0.03 and pays for itself once p > 1/30; below that nothing does.
    let p = mine[0].probability;
    let suggested = mine[0].suggested_action.as_ref().map(|a| a.name.as_str());
    assert_eq!(suggested, if p > 1.0 / 30.0 { Some("care_call") } else { None }, "p = {p}");

    // Another bad review ten days later is inside the 30-day cool-down; a second complaint is not a first.
    m.tick(at.add_days(10)).unwrap();
    m.apply(102, &Event::Review(bad(10))).unwrap();
    m.apply(103, &Event::Ticket(complaint(10))).unwrap();
    let suppressed = m.stats().suppressed;
    let alerts = m.rescore_dirty().unwrap();
    assert!(
        alerts.iter().filter(|a| a.customer == who).all(|a| a.triggers.iter().all(|t| t.cause() != Cause::BadReview))
    );
    assert!(m.stats().suppressed > suppressed);
    // After the cool-down the same cause alerts again.
    m.tick(at.add_days(40)).unwrap();
    m.apply(104, &Event::Review(bad(40))).unwrap();
    let alerts = m.rescore_dirty().unwrap();
    assert!(alerts.iter().any(|a| a.customer == who && a.triggers.iter().any(|t| t.cause() == Cause::BadReview)));
}

#[test]
fn closing_a_held_ticket_updates_it_instead_of_adding_one() {
    let w = world();
    let at = date(2024, 5, 1);
    let who = w.log.customers()[1].id.clone();
    let open = SupportTicket {
        customer: who.clone(),
        opened: at.add_days(-30), // opened long ago: a closing is still accepted
        closed: None,
        category: TicketCategory::Delivery,
        resolved: false,
        satisfaction: None,
    };
    // Seed it as history, then stream the closing.
    let mut batch = w.population.records().clone();
    batch.tickets.push(open.clone());
    let log = EventLog::from_source(&churnguard::data::MemorySource::new(batch.clone())).unwrap();
    let mut m2 = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    m2.seed(&log, at).unwrap();
    let closed = SupportTicket { closed: Some(at.add_days(-1)), resolved: true, satisfaction: Some(4.0), ..open };
    assert_eq!(m2.apply(9, &Event::Ticket(closed.clone())).unwrap(), Applied::TicketUpdated);
    assert_eq!(m2.apply(10, &Event::Ticket(closed.clone())).unwrap(), Applied::Duplicate);
    // Same as a batch log where the ticket was closed all along.
    let last = batch.tickets.len() - 1;
    batch.tickets[last] = closed;
    let log = EventLog::from_source(&churnguard::data::MemorySource::new(batch)).unwrap();
    let settings = w.fitted.settings();
    let expected = settings.features.extract(&log, &settings.snapshot(at).unwrap()).unwrap();
    assert_same_features(&m2.features().unwrap(), &expected);
}

mod arrival_order {
    use super::*;
    use churnguard::data::{MemorySource, Visit};
    use proptest::prelude::*;

    /// One generated event: kind, offset in seconds from 2023-06-01 (distinct), and a value.
    fn events() -> impl Strategy<Value = Vec<(u8, usize, i64, f64, i64)>> {
        // (kind 0..4, customer 0..3, lateness in s ≤ 0.9 day, value, ticket closing delay in s or −1)
        prop::collection::vec((0u8..4, 0usize..3, 0i64..77_760, 1.0f64..5.0, -1i64..3_000_000), 1..60)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Events arriving out of order (each at most 0.9 days late) give the monitor the
        /// same features as the batch log built from the same records.
        #[test]
        fn late_arrivals_within_tolerance_give_the_batch_features(raw in events(), extra_days in 0i64..60) {
            let w = world();
            let base = date(2023, 6, 1);
            let ids = ["p0", "p1", "p2"];
            let mut batch = RecordBatch::default();
            for id in ids {
                batch.customers.push(Customer::new(id, base.add_days(-30)));
            }
            // (arrival time, event); times 5,000 s apart plus the index keep them distinct.
            let mut arrivals: Vec<(i64, Event)> = Vec::new();
            for (k, &(kind, who, late, value, close)) in raw.iter().enumerate() {
                let at = Timestamp::from_unix_seconds(base.unix_seconds() + 400_000 * k as i64 + (value * 1000.0) as i64);
                let customer = CustomerId::new(ids[who]);
                let event = match kind {
                    0 => Event::Order(Order { discount: value, returned: value > 4.0, ..Order::new(customer, at, 20.0 * value) }),
                    1 => Event::Visit(Visit { customer, at, channel: churnguard::data::Channel::App, pages: 3, duration_seconds: None }),
                    2 => Event::Ticket(SupportTicket {
                        customer,
                        opened: at,
                        closed: (close >= 0).then(|| Timestamp::from_unix_seconds(at.unix_seconds() + close)),
                        category: if value > 3.0 { TicketCategory::Complaint } else { TicketCategory::Delivery },
                        resolved: value > 2.0,
                        satisfaction: (close >= 0).then_some(value),
                    }),
                    _ => Event::Review(Review { customer, at, rating: value.round(), sentiment: Some(value / 5.0 - 0.5), source: ReviewSource::Site }),
                };
                batch.push_event(event.clone());
                arrivals.push((at.unix_seconds() + late, event));
            }
            arrivals.sort_by_key(|(arrival, _)| *arrival);
            let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
            for c in &batch.customers {
                m.add_customer(c.clone()).unwrap();
            }
            for (i, (_, e)) in arrivals.iter().enumerate() {
                prop_assert_eq!(m.apply(i as u64, e).unwrap(), Applied::Added);
            }
            let end = m.now().unwrap().add_days(extra_days);
            m.tick(end).unwrap();
            let log = EventLog::from_source(&MemorySource::new(batch)).unwrap();
            let settings = w.fitted.settings();
            let batch_features = settings.features.extract(&log, &settings.snapshot(end).unwrap());
            match (m.features(), batch_features) {
                (Ok(streamed), Ok(expected)) => assert_same_features(&streamed, &expected),
                (Err(Error::EmptyData { .. }), Err(Error::EmptyData { .. })) => {}
                (a, b) => prop_assert!(false, "monitor {:?} vs batch {:?}", a.map(|f| f.n_rows()), b.map(|f| f.n_rows())),
            }
        }
    }
}

#[test]
fn a_large_rescoring_reports_progress() {
    use churnguard::progress::ProgressUpdate;
    use std::sync::Mutex;
    let w = world();
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    m.seed(&w.log, date(2024, 5, 1)).unwrap();
    let eligible = m.features().unwrap().n_rows();
    let seen = Mutex::new(Vec::new());
    let record = |u: ProgressUpdate<'_>| seen.lock().unwrap().push((u.stage.to_string(), u.done, u.total));
    m.rescore_dirty_with(&record).unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(seen.iter().any(|(s, done, total)| s == "scoring" && done == total && *total == eligible), "{seen:?}");
    assert_eq!(seen.last().unwrap(), &("alerts".to_string(), 1, 1));
    assert_eq!(m.n_dirty(), 0);
}

#[test]
fn forgetting_silent_customers_removes_only_them() {
    let w = world();
    let at = date(2024, 9, 1);
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig::default()).unwrap();
    assert!(matches!(m.forget_silent(Days(30)), Err(Error::EmptyData { .. })), "no clock yet");
    m.seed(&w.log, at).unwrap();
    let before = m.n_customers();
    let active = m.features().unwrap().customer_ids().to_vec(); // active within 90 days
    assert!(matches!(m.forget_silent(Days(0)), Err(Error::InvalidParameter { name: "days", .. })));
    let removed = m.forget_silent(Days(90)).unwrap();
    assert!(removed > 0 && removed < before, "{removed} of {before}");
    assert_eq!(m.n_customers(), before - removed);
    // Everyone eligible (an order within 90 days) is still there, with the same features.
    let settings = w.fitted.settings();
    let batch = settings.features.extract(&w.log, &settings.snapshot(at).unwrap()).unwrap();
    assert_same_features(&m.features().unwrap(), &batch);
    assert_eq!(m.features().unwrap().customer_ids(), &active[..]);
    // A forgotten customer's event is now an unknown customer's.
    let gone = w.log.customers().iter().find(|c| !m.contains(&c.id)).unwrap();
    assert!(!active.contains(&gone.id));
    let order = Event::Order(Order::new(gone.id.clone(), at, 5.0));
    assert!(matches!(m.apply(1, &order), Err(Error::UnknownCustomer { .. })));
}

#[test]
fn quantile_tiers_follow_the_last_full_population() {
    use churnguard::warn::ScorerConfig;
    let w = world();
    let cutoffs = TierCutoffs::Quantile { medium: 0.5, high: 0.9 };
    let at = date(2024, 5, 1);
    let mut m = Monitor::new(w.fitted.clone(), MonitorConfig { cutoffs, ..Default::default() }).unwrap();
    m.seed(&w.log, at).unwrap();
    m.rescore_dirty().unwrap();
    // The full rescoring cuts tiers exactly as the batch ranking does on the same population.
    let batch = m.scoring(&ScorerConfig { cutoffs, reasons: 3 }, None).unwrap();
    let counts = m.tier_counts();
    assert_eq!(counts, batch.tier_counts());
    assert!(counts.high > 0 && counts.medium > counts.high && counts.low > counts.medium, "{counts:?}");
    // A partial rescoring places a changed customer in that population: three bad reviews and a
    // complaint raise the risk of a low-tier customer; their tier is cut on the stored population.
    let low = batch.customers().iter().rev().find(|c| c.tier == RiskTier::Low).unwrap().customer.clone();
    for (k, rating) in [1.0, 1.0, 2.0].iter().enumerate() {
        let review =
            Review { customer: low.clone(), at, rating: *rating, sentiment: Some(-1.0), source: ReviewSource::Site };
        m.apply(10 + k as u64, &Event::Review(review)).unwrap();
    }
    assert_eq!(m.n_dirty(), 1);
    let p_new = m.scoring(&ScorerConfig::default(), None).unwrap().get(&low).unwrap().probability;
    let alerts = m.rescore_dirty().unwrap();
    let alert = alerts.iter().find(|a| a.customer == low).expect("bad reviews raise an alert");
    let mut old: Vec<f64> = batch.probabilities();
    old.sort_by(f64::total_cmp);
    let share = old.iter().filter(|&&q| q <= p_new).count() as f64 / old.len() as f64;
    let expected = if share > 0.9 {
        RiskTier::High
    } else if share > 0.5 {
        RiskTier::Medium
    } else {
        RiskTier::Low
    };
    assert_eq!((alert.probability, alert.tier), (p_new, expected));
    assert_eq!(m.tier_counts().low + m.tier_counts().medium + m.tier_counts().high, batch.customers().len());
}
