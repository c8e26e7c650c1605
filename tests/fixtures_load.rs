//! Loads the hand-written multi-channel CSV set in `tests/fixtures/` and checks
//! counts, the one malformed row, alias merging, and feature values computed
//! by hand at 2024-07-01.
//!
//! The fixture: four customers (C1–C4) plus a profile of C2 under the alias
//! `bob@example.com`; C1 is also known as `ann@example.com` and, through a
//! chain, as `+44 20 7946 0001`; C3 as the app device `app-device-33`.
//! Line 7 of `orders.csv` has the impossible date `2024-13-45`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use approx::assert_abs_diff_eq;
use churnguard::data::{AliasMap, CsvSource, CustomerId, EventLog, Gender, RecordKind};
use churnguard::features::{FeatureMatrix, FeatureSpec, Snapshot};
use churnguard::{Days, Error, Timestamp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

fn load() -> EventLog {
    let (aliases, report) = AliasMap::from_csv(fixtures().join("aliases.csv")).unwrap();
    assert!(report.is_clean(), "{report}");
    let source = CsvSource::from_dir(fixtures()).unwrap();
    EventLog::builder().aliases(aliases).load(&source).unwrap()
}

fn as_of() -> Timestamp {
    date(2024, 7, 1)
}

fn features() -> FeatureMatrix {
    let snap = Snapshot::new(as_of(), Days(365), Days(30)).unwrap();
    FeatureSpec::default().extract(&load(), &snap).unwrap()
}

/// Value of numeric feature `name` for customer `id`.
fn value(m: &FeatureMatrix, id: &str, name: &str) -> f64 {
    let row = m.customer_ids().iter().position(|c| c.as_str() == id).unwrap_or_else(|| panic!("no row for {id}"));
    m.numeric_column(name).unwrap_or_else(|| panic!("no feature {name}"))[row]
}

#[test]
fn alias_file_loads_with_chains_collapsed() {
    let (aliases, report) = AliasMap::from_csv(fixtures().join("aliases.csv")).unwrap();
    assert_eq!(report.rows_accepted(RecordKind::Alias), 4);
    assert_eq!(aliases.len(), 4);
    // `+44 20 7946 0001` → `ann@example.com` → C1.
    assert_eq!(aliases.resolve(&CustomerId::from("+44 20 7946 0001")).as_str(), "C1");
    assert_eq!(aliases.resolve(&CustomerId::from("app-device-33")).as_str(), "C3");
}

#[test]
fn fixture_counts_and_the_rejected_line() {
    let log = load();
    let r = log.report();
    // customers.csv: 5 rows, the alias profile merged into C2.
    assert_eq!(r.rows_read(RecordKind::Customer), 5);
    assert_eq!(r.merged_customers(), 1);
    assert_eq!(log.n_customers(), 4);
    let ids: Vec<&str> = log.customers().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["C1", "C2", "C3", "C4"]);
    // 10 order rows, one malformed; every other file is clean.
    assert_eq!(r.rows_read(RecordKind::Order), 10);
    assert_eq!(r.rows_accepted(RecordKind::Order), 9);
    assert_eq!(r.rows_rejected(RecordKind::Order), 1);
    for (kind, n) in
        [(RecordKind::Visit, 4), (RecordKind::Interaction, 3), (RecordKind::Ticket, 4), (RecordKind::Review, 3)]
    {
        assert_eq!((r.rows_read(kind), r.rows_rejected(kind)), (n, 0), "{kind}");
    }
    assert_eq!(r.total_rejected(), 1);
    assert_eq!(log.n_events(), 9 + 4 + 3 + 4 + 3);
    let rejected = &r.rejections()[0];
    assert_eq!((rejected.kind, rejected.line), (RecordKind::Order, Some(7)));
    assert!(rejected.reason.starts_with("`ordered_at`: `2024-13-45` is not a date"), "{}", rejected.reason);
    assert!(rejected.to_string().starts_with("order line 7:"), "{rejected}");
    assert_eq!(log.time_range(), Some((date(2023, 12, 1), date(2024, 8, 10))));
}

#[test]
fn alias_keyed_events_and_profiles_land_on_canonical_customers() {
    let log = load();
    let c1 = log.events_of(&"C1".into()).unwrap();
    // Two orders by id, one by e-mail, one by phone (through the alias chain).
    let amounts: Vec<f64> = c1.orders.iter().map(|o| o.amount).collect();
    assert_eq!(amounts, vec![40.0, 25.5, 60.0, 30.0]);
    assert_eq!(c1.interactions.len(), 2);
    let c2 = log.events_of(&"C2".into()).unwrap();
    assert_eq!((c2.orders.len(), c2.tickets.len(), c2.reviews.len()), (2, 3, 2));
    assert_eq!(log.events_of(&"C3".into()).unwrap().visits.len(), 1);
    // C2's profile keeps its own fields and takes the earlier signup of the alias profile.
    let p = &log.customers()[1];
    assert_eq!(p.signup, date(2023, 8, 1));
    assert_eq!(
        (p.age, p.gender, p.acquisition_channel.as_deref()),
        (Some(51), Some(Gender::Male), Some("paid_search"))
    );
}

#[test]
fn hand_computed_features_of_c1() {
    let m = features();
    // Orders before 2024-07-01: 03-10 (40.00, 2 items), 06-05 (25.50 + 4.50 discount, 1 item),
    // 06-28T18:30 (60.00, 3 items, returned). The 2024-08-10 order is in the future.
    // 30-day window [06-01, 07-01): 06-05 and 06-28 → 2 orders, 25.50 + 60.00 = 85.50.
    assert_eq!(value(&m, "C1", "order_count_30d"), 2.0);
    assert_abs_diff_eq!(value(&m, "C1", "spend_30d"), 85.5, epsilon = 1e-12);
    assert_eq!(value(&m, "C1", "order_count_7d"), 1.0);
    // Last order 06-28T18:30 → 07-01T00:00 is 2 days 5.5 hours = 2 + 5.5/24 days.
    assert_abs_diff_eq!(value(&m, "C1", "days_since_last_order"), 2.0 + 5.5 / 24.0, epsilon = 1e-12);
    // First order 03-10 → 07-01: 22 (to 04-01) + 30 + 31 + 30 = 113 days.
    assert_eq!(value(&m, "C1", "days_since_first_order"), 113.0);
    // Mean gap over the look-back: (113 − 2.2291667) / 2.
    assert_abs_diff_eq!(value(&m, "C1", "mean_order_gap_days"), (113.0 - (2.0 + 5.5 / 24.0)) / 2.0, epsilon = 1e-9);
    // Discount 4.50 of gross (125.50 + 4.50) = 130.
    assert_abs_diff_eq!(value(&m, "C1", "discount_rate"), 4.5 / 130.0, epsilon = 1e-12);
    assert_abs_diff_eq!(value(&m, "C1", "discount_order_share"), 1.0 / 3.0, epsilon = 1e-12);
    assert_abs_diff_eq!(value(&m, "C1", "return_rate"), 1.0 / 3.0, epsilon = 1e-12);
    assert_abs_diff_eq!(value(&m, "C1", "avg_items_per_order"), 2.0, epsilon = 1e-12); // (2 + 1 + 3) / 3
    // Last 90 days [04-02, 07-01) hold 2 orders, the 90 before [01-03, 04-02) hold 1: ln(3/2).
    assert_abs_diff_eq!(value(&m, "C1", "order_count_trend_90d_vs_prev"), (3.0f64 / 2.0).ln(), epsilon = 1e-12);
    // Visit 06-20T10:00 → 10 days 14 hours; e-mail open on 06-29 via ann@example.com → 2 days.
    assert_abs_diff_eq!(value(&m, "C1", "days_since_last_visit"), 10.0 + 14.0 / 24.0, epsilon = 1e-12);
    assert_eq!(value(&m, "C1", "days_since_last_interaction"), 2.0);
    // Signup 2023-06-15 → 2024-06-15 is 366 days (leap day), + 16 days to 07-01.
    assert_eq!(value(&m, "C1", "tenure_days"), 382.0);
    assert_eq!(value(&m, "C1", "age"), 34.0);
}

#[test]
fn hand_computed_features_of_c2_and_c3() {
    let m = features();
    // C2 tickets: 05-01 complaint closed 05-04 (resolved, satisfaction 2); 06-20 closed
    // 07-03, after as_of, so open and its 5 unread; 06-25 via bob@example.com, open.
    assert_eq!(value(&m, "C2", "open_ticket_count"), 2.0);
    assert_eq!(value(&m, "C2", "unresolved_ticket_count"), 2.0);
    assert_eq!(value(&m, "C2", "mean_ticket_satisfaction"), 2.0);
    assert_eq!(value(&m, "C2", "mean_resolution_days"), 3.0);
    assert_eq!(value(&m, "C2", "complaint_count_90d"), 1.0);
    assert_eq!(value(&m, "C2", "ticket_count_30d"), 2.0);
    // Reviews: 05-05 rated 1 (sentiment −0.8) and 06-01 rated 4 via the alias: mean 2.5, one bad.
    assert_eq!(value(&m, "C2", "review_count"), 2.0);
    assert_eq!(value(&m, "C2", "bad_review_count"), 1.0);
    assert_eq!(value(&m, "C2", "mean_review_rating"), 2.5);
    assert_eq!(value(&m, "C2", "mean_review_sentiment"), -0.8);
    assert_eq!(value(&m, "C2", "last_review_rating"), 4.0);
    // Orders 02-01 (80 + 20 discount) and 05-15 (35.25, via bob); the 2024-13-45 row was rejected.
    assert_eq!(value(&m, "C2", "order_count_365d"), 2.0);
    assert_abs_diff_eq!(value(&m, "C2", "spend_365d"), 115.25, epsilon = 1e-12);
    assert_abs_diff_eq!(value(&m, "C2", "discount_rate"), 20.0 / 135.25, epsilon = 1e-12);
    // Merged signup 2023-08-01 → 2024-07-01: 31+30+31+30+31+31+29+31+30+31+30 = 335 days.
    assert_eq!(value(&m, "C2", "tenure_days"), 335.0);
    assert_eq!(value(&m, "C2", "days_since_last_visit"), 0.5); // 06-30T12:00Z

    // C3 ordered one second before as_of (12.00) and at as_of (99.00, not a feature).
    assert_eq!(value(&m, "C3", "order_count_7d"), 1.0);
    assert_eq!(value(&m, "C3", "spend_7d"), 12.0);
    assert_abs_diff_eq!(value(&m, "C3", "days_since_last_order"), 1.0 / 86_400.0, epsilon = 1e-15);
    assert_eq!(value(&m, "C3", "days_since_last_visit"), 6.0); // 06-25 via app-device-33
    assert!(value(&m, "C3", "age").is_nan());
    // C4's only visit is on 07-05: nothing known at as_of.
    assert!(value(&m, "C4", "days_since_last_visit").is_nan());

    let gender = m.categorical_column("gender").unwrap();
    let region = m.categorical_column("region").unwrap();
    let got: Vec<(Option<&str>, Option<&str>)> = (0..4).map(|r| (gender.get(r), region.get(r))).collect();
    assert_eq!(
        got,
        vec![
            (Some("female"), Some("north")),
            (Some("male"), Some("south")),
            (None, Some("east")),
            (Some("other"), None)
        ]
    );
}

#[test]
fn fixture_labels_follow_the_horizon() {
    let log = load();
    let labels = |horizon: u32| -> churnguard::Result<HashMap<String, bool>> {
        let snap = Snapshot::new(as_of(), Days(365), Days(horizon))?;
        let data = FeatureSpec::default().labeled(&log, &snap)?;
        Ok(data.features().customer_ids().iter().map(|c| c.to_string()).zip(data.labels().iter().copied()).collect())
    };
    // 30 days [07-01, 07-31): only C3 orders (at exactly 07-01).
    let l30 = labels(30).unwrap();
    assert_eq!((l30["C1"], l30["C2"], l30["C3"], l30["C4"]), (true, true, false, true));
    // 45 days [07-01, 08-15): C1's 08-10 order counts too. The data end (08-10) is within
    // the 7-day tolerance of the window end.
    let l45 = labels(45).unwrap();
    assert_eq!((l45["C1"], l45["C2"], l45["C3"], l45["C4"]), (false, true, false, true));
    // 60 days end on 08-30, 20 days after the data: the labels are refused.
    assert!(matches!(labels(60), Err(Error::LabelWindowOpen { .. })));
}
