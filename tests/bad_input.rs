//! Every kind of bad input gets a typed [`Error`] (or a rejected row with a
//! reason in an [`IngestReport`](churnguard::data::IngestReport)) that names
//! the problem, and nothing panics.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use churnguard::classify::{LogisticRegression, Solver};
use churnguard::data::{
    AliasMap, CsvSource, Customer, CustomerId, EventLog, MemorySource, Order, RecordBatch, RecordKind, Review,
    ReviewSource, SupportTicket, TicketCategory,
};
use churnguard::eval::{StratifiedKFold, cross_validate};
use churnguard::features::{CategoricalColumn, FeatureMatrix, FeatureSpec, LabeledMatrix, Snapshot, TableSpec};
use churnguard::model::{Dataset, FORMAT_VERSION, FittedModel, ModelMetadata};
use churnguard::pipeline::{FittedPipeline, Pipeline};
use churnguard::preprocess::{PreprocessParams, UnknownCategory};
use churnguard::progress::Silent;
use churnguard::sim::{Population, SimConfig};
use churnguard::{Days, Error, Timestamp};
use ndarray::{Array2, array};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn ids(n: usize) -> Vec<CustomerId> {
    (0..n).map(|i| CustomerId::new(format!("c{i}"))).collect()
}

/// A small population and a pipeline fitted on it (once per test binary).
/// Newton is used instead of the default L-BFGS only because it is much faster in debug builds.
fn fitted() -> &'static (Population, FittedPipeline) {
    static FITTED: OnceLock<(Population, FittedPipeline)> = OnceLock::new();
    FITTED.get_or_init(|| {
        let pop = Population::generate(&SimConfig { n_customers: 400, seed: 3, ..SimConfig::default() }).unwrap();
        let pipeline = Pipeline::new(LogisticRegression::params().solver(Solver::Newton));
        let fitted = pipeline.fit(pop.records(), &[date(2024, 4, 1), date(2024, 6, 1)], &Silent).unwrap();
        (pop, fitted)
    })
}

#[test]
fn empty_source_is_an_empty_source_error() {
    let check = |r: churnguard::Result<EventLog>| {
        let err = r.unwrap_err();
        assert!(matches!(err, Error::EmptySource { what: "customers" }), "{err:?}");
        assert!(err.to_string().contains("customers"), "{err}");
    };
    check(EventLog::from_source(&RecordBatch::default()));
    // Events without any customer profile are still an empty source.
    let mut orphans = RecordBatch::default();
    orphans.orders.push(Order::new("ghost", date(2024, 1, 1), 5.0));
    check(EventLog::from_source(&MemorySource::new(orphans)));
    // A customers file with only a header.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "customers.csv", "customer_id,signup_date\n");
    check(EventLog::from_source(&CsvSource::from_dir(dir.path()).unwrap()));
    // A customers file whose every row is bad: rejected rows, then nothing left.
    write(dir.path(), "customers.csv", "customer_id,signup_date\nc1,yesterday\n,2024-01-01\n");
    check(EventLog::from_source(&CsvSource::from_dir(dir.path()).unwrap()));
    // The pipeline passes the error through.
    let err = Pipeline::new(LogisticRegression::params())
        .fit(&RecordBatch::default(), &[date(2024, 1, 1)], &Silent)
        .unwrap_err();
    assert!(matches!(err, Error::EmptySource { .. }), "{err:?}");
}

#[test]
fn customer_without_events_before_as_of_cannot_be_scored() {
    let (pop, fitted) = fitted();
    let as_of = date(2024, 7, 1);
    let mut records = pop.records().clone();
    records.customers.push(Customer::new("NEW-1", date(2024, 6, 20)));
    // Only events at or after as_of: nothing is known at as_of.
    records.customers.push(Customer::new("LATE-1", date(2024, 6, 20)));
    records.orders.push(Order::new("LATE-1", as_of, 30.0));
    let log = EventLog::from_source(&records).unwrap();
    for id in ["NEW-1", "LATE-1"] {
        let err = fitted.score_customer(&log, &id.into(), as_of, 3).unwrap_err();
        match &err {
            Error::NoEvents { customer, as_of: at } => assert_eq!((customer.as_str(), at.as_str()), (id, "2024-07-01")),
            other => panic!("{id}: expected NoEvents, got {other:?}"),
        }
        assert!(err.to_string().contains(id), "{err}");
        let snap = Snapshot::new(as_of, Days(365), Days(90)).unwrap();
        let err = FeatureSpec::default().extract_customer(&log, &id.into(), &snap).unwrap_err();
        assert!(matches!(err, Error::NoEvents { ref customer, .. } if customer == id), "{err:?}");
    }
    // The same customer is scorable once the order is in the past.
    assert!(fitted.score_customer(&log, &"LATE-1".into(), as_of.add_days(1), 3).is_ok());
    let err = fitted.score_customer(&log, &"nobody".into(), as_of, 3).unwrap_err();
    assert!(matches!(err, Error::UnknownCustomer { ref customer } if customer == "nobody"), "{err:?}");
}

#[test]
fn single_class_labels_are_refused_everywhere() {
    let names = vec!["x".to_string()];
    let x = array![[1.0], [2.0], [3.0]];
    let err = Dataset::new(x.view(), &[true, true, true], &names).unwrap_err();
    assert!(matches!(err, Error::SingleClass { class: true, n: 3 }), "{err:?}");
    assert!(err.to_string().contains("all 3 labels"), "{err}");

    let features = FeatureMatrix::new(ids(6), names.clone(), Array2::from_elem((6, 1), 1.5), vec![]).unwrap();
    let data = LabeledMatrix::new(features, vec![false; 6]).unwrap();
    let folds = StratifiedKFold::new(3, 1).unwrap();
    let err = cross_validate(&LogisticRegression::params(), &PreprocessParams::default(), &data, &folds, &Silent)
        .unwrap_err();
    assert!(matches!(err, Error::SingleClass { class: false, n: 6 }), "{err:?}");

    // Everybody keeps ordering every week through the label window: nobody churns.
    let mut b = RecordBatch::default();
    for c in 0..20 {
        let id = format!("loyal{c}");
        b.customers.push(Customer::new(id.as_str(), date(2023, 1, 1)));
        for week in 0..80 {
            b.orders.push(Order::new(id.as_str(), date(2023, 6, 1).add_days(7 * week), 20.0 + c as f64));
        }
    }
    let err = Pipeline::new(LogisticRegression::params()).fit(&b, &[date(2024, 3, 1)], &Silent).unwrap_err();
    assert!(matches!(err, Error::SingleClass { class: false, n: 20 }), "{err:?}");
}

#[test]
fn non_finite_table_values_are_rejected_rows_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "table.csv",
        "id,tenure,charges,plan,churn\n\
         a,1,10.5,basic,yes\n\
         b,2,NaN,pro,no\n\
         c,3,inf,pro,no\n\
         d,-inf,4,basic,yes\n\
         e,5,7.25,pro,no\n",
    );
    let (data, report) = LabeledMatrix::from_csv(&path, &TableSpec::new("churn", "yes").id_column("id")).unwrap();
    let kept: Vec<&str> = data.features().customer_ids().iter().map(|c| c.as_str()).collect();
    assert_eq!(kept, vec!["a", "e"]);
    assert_eq!(data.labels(), &[true, false]);
    assert!(data.features().numeric().iter().all(|v| v.is_finite()));
    assert_eq!(report.rows_read(RecordKind::TableRow), 5);
    assert_eq!(report.rows_rejected(RecordKind::TableRow), 3);
    let rejected: Vec<(Option<u64>, &str)> = report.rejections().iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(
        rejected,
        vec![
            (Some(3), "`charges`: non-finite value NaN"),
            (Some(4), "`charges`: non-finite value inf"),
            (Some(5), "`tenure`: non-finite value -inf"),
        ]
    );
}

#[test]
fn non_finite_record_values_are_rejected_by_the_log_builder() {
    let t = date(2024, 1, 10);
    let mut b = RecordBatch::default();
    b.customers.push(Customer::new("a", date(2024, 1, 1)));
    b.orders.push(Order::new("a", t, f64::NAN));
    b.orders.push(Order::new("a", t, f64::INFINITY));
    b.orders.push(Order { discount: f64::NEG_INFINITY, ..Order::new("a", t, 3.0) });
    b.orders.push(Order::new("a", t, 4.0));
    b.reviews.push(Review {
        customer: "a".into(),
        at: t,
        rating: f64::NAN,
        sentiment: None,
        source: ReviewSource::Site,
    });
    b.reviews.push(Review {
        customer: "a".into(),
        at: t,
        rating: 4.0,
        sentiment: Some(f64::NAN),
        source: ReviewSource::Site,
    });
    b.tickets.push(SupportTicket {
        customer: "a".into(),
        opened: t,
        closed: Some(t.add_days(1)),
        category: TicketCategory::Question,
        resolved: true,
        satisfaction: Some(f64::NAN),
    });
    let log = EventLog::from_source(&b).unwrap();
    let r = log.report();
    assert_eq!(r.rows_rejected(RecordKind::Order), 3);
    assert_eq!(r.rows_rejected(RecordKind::Review), 2);
    assert_eq!(r.rows_rejected(RecordKind::Ticket), 1);
    let reasons: Vec<String> = r.rejections().iter().map(|x| x.to_string()).collect();
    for expected in [
        "order record 0: amount NaN",
        "order record 1: amount inf",
        "order record 2: discount -inf",
        "review record 0: rating NaN",
        "review record 1: sentiment NaN",
        "ticket record 0: satisfaction NaN",
    ] {
        assert!(reasons.iter().any(|s| s.starts_with(expected)), "missing `{expected}` in {reasons:?}");
    }
    let events = log.events_of(&"a".into()).unwrap();
    assert_eq!(events.orders.len(), 1);
    assert_eq!(events.orders[0].amount, 4.0);
}

#[test]
fn infinite_feature_value_is_a_non_finite_error_naming_column_and_row() {
    let x = array![[1.0, 2.0], [3.0, f64::NEG_INFINITY], [f64::NAN, 0.0]];
    let err = FeatureMatrix::new(ids(3), vec!["spend".into(), "visits".into()], x, vec![]).unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { ref column, row: 1, value } if column == "visits" && value == f64::NEG_INFINITY)
    );
    let msg = err.to_string();
    assert!(msg.contains("`visits`") && msg.contains("row 1"), "{msg}");
}

#[test]
fn nan_is_refused_by_a_fitted_model_but_imputed_in_raw_features() {
    let (pop, fitted) = fitted();
    let model = fitted.model().model();
    let width = model.feature_names().len();
    let mut x = Array2::<f64>::zeros((3, width));
    assert!(model.predict_proba(x.view()).is_ok());
    x[[2, 4]] = f64::NAN;
    let err = model.predict_proba(x.view()).unwrap_err();
    let name = &model.feature_names()[4];
    assert!(matches!(err, Error::NonFinite { ref column, row: 2, .. } if column == name), "{err:?}");
    assert!(err.to_string().contains(name.as_str()), "{err}");
    assert!(matches!(model.explain(x.row(2)), Err(Error::NonFinite { .. })));

    // In a raw FeatureMatrix, NaN means "missing" and is imputed by the fitted preprocessor.
    let log = EventLog::from_source(pop.records()).unwrap();
    let snap = fitted.settings().snapshot(date(2024, 7, 1)).unwrap();
    let features = fitted.settings().features.extract(&log, &snap).unwrap();
    let mut numeric = features.numeric().to_owned();
    numeric.fill(f64::NAN);
    let all_missing = FeatureMatrix::new(
        features.customer_ids().to_vec(),
        features.numeric_names().to_vec(),
        numeric,
        features.categorical().to_vec(),
    )
    .unwrap();
    let p = fitted.model().predict_proba(&all_missing).unwrap();
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn unknown_category_at_scoring_is_an_error_naming_column_and_value() {
    let (pop, fitted) = fitted();
    let mut records = pop.records().clone();
    // A customer from a region never seen in training, active before the scoring date.
    records.customers.push(Customer { region: Some("atlantis".into()), ..Customer::new("X1", date(2024, 1, 5)) });
    records.orders.push(Order::new("X1", date(2024, 6, 10), 42.0));
    let err = fitted.score(&records, date(2024, 7, 1), 3).unwrap_err();
    assert!(
        matches!(err, Error::UnknownCategory { ref column, ref value } if column == "region" && value == "atlantis"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("region") && msg.contains("atlantis"), "{msg}");

    // Under the Ignore policy the same value is encoded as no level.
    let train = FeatureMatrix::new(
        ids(2),
        vec!["x".into()],
        array![[1.0], [2.0]],
        vec![CategoricalColumn::from_values("region", [Some("north"), Some("south")])],
    )
    .unwrap();
    let test = FeatureMatrix::new(
        ids(1),
        vec!["x".into()],
        array![[1.0]],
        vec![CategoricalColumn::from_values("region", [Some("atlantis")])],
    )
    .unwrap();
    let strict = PreprocessParams::default().fit(&train).unwrap();
    assert!(matches!(strict.transform(&test), Err(Error::UnknownCategory { .. })));
    let lenient = PreprocessParams::default().unknown_category(UnknownCategory::Ignore).fit(&train).unwrap();
    // Output columns: x, region=north, region=south; the unknown value activates no level.
    assert_eq!(lenient.output_names(), &["x", "region=north", "region=south"]);
    assert_eq!(lenient.transform(&test).unwrap().row(0).slice(ndarray::s![1..]).to_vec(), vec![0.0, 0.0]);
}

#[test]
fn feature_mismatches_between_model_and_data_are_typed_errors() {
    let (pop, fitted) = fitted();
    let log = EventLog::from_source(pop.records()).unwrap();
    let snap = fitted.settings().snapshot(date(2024, 7, 1)).unwrap();
    let features = fitted.settings().features.extract(&log, &snap).unwrap();

    // Drop one numeric column: the preprocessor names it.
    let drop = features.numeric_index("days_since_last_visit").unwrap();
    let keep: Vec<usize> = (0..features.numeric_names().len()).filter(|&j| j != drop).collect();
    let without = FeatureMatrix::new(
        features.customer_ids().to_vec(),
        keep.iter().map(|&j| features.numeric_names()[j].clone()).collect(),
        features.numeric().select(ndarray::Axis(1), &keep),
        features.categorical().to_vec(),
    )
    .unwrap();
    let err = fitted.model().preprocessor().transform(&without).unwrap_err();
    assert!(matches!(err, Error::MissingFeature { ref name } if name == "days_since_last_visit"), "{err:?}");
    assert!(matches!(fitted.model().predict_proba(&without), Err(Error::MissingFeature { .. })));
    // Dropping a categorical column too.
    let no_region = FeatureMatrix::new(
        features.customer_ids().to_vec(),
        features.numeric_names().to_vec(),
        features.numeric().to_owned(),
        features.categorical().iter().filter(|c| c.name() != "region").cloned().collect(),
    )
    .unwrap();
    let err = fitted.model().preprocessor().transform(&no_region).unwrap_err();
    assert!(matches!(err, Error::MissingFeature { ref name } if name == "region"), "{err:?}");

    // A design matrix with the wrong number of columns.
    let model = fitted.model().model();
    let width = model.feature_names().len();
    let narrow = Array2::<f64>::zeros((2, width - 1));
    let err = model.predict_proba(narrow.view()).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { expected, found, .. } if expected == width && found == width - 1));

    // Bundling a model with a preprocessor whose outputs it was not fitted on.
    let other = PreprocessParams::default().fit(&without).unwrap();
    let err = FittedModel::new(other, model.clone(), ModelMetadata::default()).unwrap_err();
    assert!(matches!(err, Error::FeatureMismatch { .. }), "{err:?}");
}

#[test]
fn malformed_csv_rows_are_rejected_with_line_numbers_and_good_rows_load() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "customers.csv", "customer_id,signup_date\nc1,2024-01-01\nc2,2024-01-02\n");
    write(
        dir.path(),
        "orders.csv",
        "customer_id,ordered_at,amount\n\
         c1,2024-02-01,10\n\
         c1,2024-02-31,10\n\
         c2,2024-02-03,ten\n\
         c2,2024-02-04\n\
         c2,2024-02-05,5,extra\n\
         c2,2024-02-06T12:00:00,7.5\n",
    );
    let log = EventLog::from_source(&CsvSource::from_dir(dir.path()).unwrap()).unwrap();
    let r = log.report();
    assert_eq!(r.rows_read(RecordKind::Order), 6);
    assert_eq!(r.rows_accepted(RecordKind::Order), 2);
    assert_eq!(r.rows_rejected(RecordKind::Order), 4);
    let got: Vec<(Option<u64>, String)> = r.rejections().iter().map(|x| (x.line, x.reason.clone())).collect();
    let expected = [
        (3, "`ordered_at`: `2024-02-31` is not a date"),
        (4, "`amount`: `ten` is not a number"),
        (5, "expected 3 fields, found 2"),
        (6, "expected 3 fields, found 4"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for ((line, reason), (want_line, want_reason)) in got.iter().zip(expected) {
        assert_eq!(*line, Some(want_line), "{got:?}");
        assert!(reason.starts_with(want_reason), "line {want_line}: `{reason}`");
    }
    let c2 = log.events_of(&"c2".into()).unwrap();
    assert_eq!(c2.orders.len(), 1);
    assert_eq!(c2.orders[0].amount, 7.5);
}

#[test]
fn missing_required_csv_column_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "customers.csv", "customer_id,signup_date\nc1,2024-01-01\n");
    let reviews = write(dir.path(), "r.csv", "customer_id,reviewed_at,stars\nc1,2024-02-01,4\n");
    let source = CsvSource::new(dir.path().join("customers.csv")).reviews(&reviews);
    let err = EventLog::from_source(&source).unwrap_err();
    assert!(
        matches!(err, Error::MissingColumn { ref column, ref table } if column == "rating" && table.ends_with("r.csv")),
        "{err:?}"
    );
    assert!(err.to_string().contains("`rating`"), "{err}");

    let profiles = write(dir.path(), "p.csv", "id,signup_date\nc1,2024-01-01\n");
    let err = EventLog::from_source(&CsvSource::new(&profiles)).unwrap_err();
    assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "customer_id"), "{err:?}");

    let table = write(dir.path(), "t.csv", "x,y\n1,2\n");
    let err = LabeledMatrix::from_csv(&table, &TableSpec::new("churn", "yes")).unwrap_err();
    assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "churn"), "{err:?}");

    // A directory without customers.csv is an I/O error naming the file.
    let empty = tempfile::tempdir().unwrap();
    let err = CsvSource::from_dir(empty.path()).unwrap_err();
    assert!(matches!(err, Error::Io { ref path, .. } if path.ends_with("customers.csv")), "{err:?}");
}

/// A saved pipeline's JSON text.
fn saved_pipeline_json() -> String {
    let (_, fitted) = fitted();
    fitted.to_saved().unwrap().to_json().unwrap()
}

#[test]
fn truncated_model_file_is_a_model_format_error() {
    let text = saved_pipeline_json();
    let dir = tempfile::tempdir().unwrap();
    for cut in [0, 1, text.len() / 3, text.len() / 2, text.len() - 2] {
        let path = write(dir.path(), "model.json", &text[..cut]);
        let err = FittedPipeline::load(&path).unwrap_err();
        assert!(matches!(err, Error::ModelFormat { .. }), "cut at {cut}: {err:?}");
        assert!(matches!(FittedModel::load(&path), Err(Error::ModelFormat { .. })), "cut at {cut}");
    }
    let missing = dir.path().join("no-such-model.json");
    assert!(matches!(FittedPipeline::load(&missing), Err(Error::Io { ref path, .. }) if *path == missing));
}

#[test]
fn model_file_from_another_format_version_is_refused() {
    let mut value: serde_json::Value = serde_json::from_str(&saved_pipeline_json()).unwrap();
    assert_eq!(value["format_version"], serde_json::json!(FORMAT_VERSION));
    value["format_version"] = serde_json::json!(999);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "model.json", &value.to_string());
    let err = FittedPipeline::load(&path).unwrap_err();
    assert!(matches!(err, Error::ModelVersion { found: 999, expected } if expected == FORMAT_VERSION), "{err:?}");
    assert!(err.to_string().contains("999"), "{err}");
    assert!(matches!(FittedModel::load(&path), Err(Error::ModelVersion { found: 999, .. })));
}

#[test]
fn json_that_is_not_a_churnguard_model_is_a_model_format_error() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        r#"{"hello": "world"}"#,
        "[1, 2, 3]",
        r#"{"format": "other-tool", "format_version": 1}"#,
        r#"{"format": "churnguard-model", "format_version": "one"}"#,
        // The right tag and version but none of the content.
        r#"{"format": "churnguard-model", "format_version": 1}"#,
    ] {
        let path = write(dir.path(), "model.json", text);
        let err = FittedPipeline::load(&path).unwrap_err();
        assert!(matches!(err, Error::ModelFormat { .. }), "{text}: {err:?}");
    }
}

#[test]
fn tabular_model_loaded_as_a_pipeline_is_a_model_format_error() {
    let (_, fitted) = fitted();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tabular.json");
    // FittedModel::save writes no pipeline settings.
    fitted.model().save(&path).unwrap();
    let err = FittedPipeline::load(&path).unwrap_err();
    assert!(matches!(err, Error::ModelFormat { ref message } if message.contains("pipeline settings")), "{err:?}");
    // It is a valid tabular model, though.
    assert!(FittedModel::load(&path).is_ok());
}

#[test]
fn model_file_with_inconsistent_parts_is_a_feature_mismatch() {
    let mut value: serde_json::Value = serde_json::from_str(&saved_pipeline_json()).unwrap();
    let inputs = value["input_features"].as_array_mut().unwrap();
    let removed = inputs.remove(0);
    assert_eq!(removed, serde_json::json!("order_count_7d"));
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "model.json", &value.to_string());
    let err = FittedPipeline::load(&path).unwrap_err();
    assert!(matches!(err, Error::FeatureMismatch { .. }), "{err:?}");
}

#[test]
fn model_file_with_inconsistent_internal_sizes_is_refused_at_load() {
    let base: serde_json::Value = serde_json::from_str(&saved_pipeline_json()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 3] = [
        // One coefficient fewer than model features (ndarray's `dot` panics at scoring).
        ("coefficient count", |v| {
            let c = &mut v["model"]["params"]["coefficients"];
            let n = c["dim"][0].as_u64().unwrap();
            c["dim"][0] = serde_json::json!(n - 1);
            c["data"].as_array_mut().unwrap().pop();
        }),
        // An output column attributed to an input that does not exist (index panic when naming reasons).
        ("output source", |v| v["preprocessor"]["output_sources"][0] = serde_json::json!(9999)),
        // A category level without an output column (index panic in the transform).
        ("category level", |v| {
            v["preprocessor"]["categorical"][0]["levels"].as_array_mut().unwrap().push(serde_json::json!("zzz"))
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, edit) in edits {
        let mut value = base.clone();
        edit(&mut value);
        let path = write(dir.path(), "model.json", &value.to_string());
        let result = FittedPipeline::load(&path);
        assert!(
            matches!(
                result,
                Err(Error::ModelFormat { .. } | Error::FeatureMismatch { .. } | Error::ShapeMismatch { .. })
            ),
            "{what}: a model file with inconsistent sizes loaded: {:?}",
            result.err()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_model_text_never_panics(text in "\\PC{0,200}") {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "m.json", &text);
        prop_assert!(FittedPipeline::load(&path).is_err());
        prop_assert!(churnguard::model::SavedModel::from_json(&text).is_err());
    }

    #[test]
    fn arbitrary_csv_rows_never_panic(
        rows in proptest::collection::vec(
            proptest::collection::vec(prop_oneof!["[a-z0-9@.,\" -]{0,12}", "2024-0[1-9]-[0-3][0-9]", "-?[0-9]{1,4}(\\.[0-9]{1,3})?"], 0..9),
            0..12,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "customers.csv", "customer_id,signup_date\nc1,2024-01-01\n");
        let body: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
        let text = format!("customer_id,ordered_at,amount,items,discount,returned,channel\n{}\n", body.join("\n"));
        write(dir.path(), "orders.csv", &text);
        let log = EventLog::from_source(&CsvSource::from_dir(dir.path()).unwrap()).unwrap();
        // Every data row is either accepted or rejected with a line number and a reason.
        let r = log.report();
        for x in r.rejections() {
            prop_assert!(x.line.is_some() || x.record.is_some());
            prop_assert!(!x.reason.is_empty());
        }
        prop_assert_eq!(log.customers().len(), 1);
    }
}

#[test]
fn scoring_when_nobody_is_active_is_an_empty_data_error() {
    let (pop, fitted) = fitted();
    // The simulation ends on 2025-01-01; a year later nobody has ordered within 90 days.
    let err = fitted.score(pop.records(), date(2026, 1, 1), 3).unwrap_err();
    assert!(matches!(err, Error::EmptyData { ref context } if context.contains("2026-01-01")), "{err:?}");
}

#[test]
fn reordered_feature_columns_are_matched_by_name() {
    let (pop, fitted) = fitted();
    let log = EventLog::from_source(pop.records()).unwrap();
    let snap = fitted.settings().snapshot(date(2024, 7, 1)).unwrap();
    let features = fitted.settings().features.extract(&log, &snap).unwrap();
    let reversed: Vec<usize> = (0..features.numeric_names().len()).rev().collect();
    let shuffled = FeatureMatrix::new(
        features.customer_ids().to_vec(),
        reversed.iter().map(|&j| features.numeric_names()[j].clone()).collect(),
        features.numeric().select(ndarray::Axis(1), &reversed),
        features.categorical().iter().rev().cloned().collect(),
    )
    .unwrap();
    assert_eq!(fitted.model().predict_proba(&shuffled).unwrap(), fitted.model().predict_proba(&features).unwrap());
}

#[test]
fn csv_rejections_report_the_physical_line_after_multiline_fields() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "customers.csv",
        "customer_id,signup_date,region\r\nc1,2024-01-01,\"north\r\ncoast\"\r\nc2,2024-01-01,south\r\n",
    );
    // Line 1 header, 2 good, 3 bad amount, 4–5 a quoted field spanning two lines (not a channel), 6 bad date.
    write(
        dir.path(),
        "orders.csv",
        "customer_id,ordered_at,amount,channel\nc1,2024-02-01,1,web\nc1,2024-02-02,x,web\nc2,2024-02-03,2,\"we\nb\"\nc2,2024-99-01,3,web\n",
    );
    let log = EventLog::from_source(&CsvSource::from_dir(dir.path()).unwrap()).unwrap();
    let lines: Vec<(RecordKind, Option<u64>)> = log.report().rejections().iter().map(|r| (r.kind, r.line)).collect();
    assert_eq!(lines, vec![(RecordKind::Order, Some(3)), (RecordKind::Order, Some(4)), (RecordKind::Order, Some(6))]);
    // Windows line endings and a quoted newline in a profile field load fine.
    assert_eq!(log.customers()[0].region.as_deref(), Some("north\r\ncoast"));
    assert_eq!(log.n_customers(), 2);
}

#[test]
fn csv_rejections_report_the_physical_line_after_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "customers.csv", "customer_id,signup_date\nc1,2024-01-01\n");
    // Line 1 header, 2 good, 3–4 blank, 5 bad amount.
    write(dir.path(), "orders.csv", "customer_id,ordered_at,amount\nc1,2024-02-01,1\n\n\nc1,2024-02-02,x\n");
    let log = EventLog::from_source(&CsvSource::from_dir(dir.path()).unwrap()).unwrap();
    let lines: Vec<Option<u64>> = log.report().rejections().iter().map(|r| r.line).collect();
    let table = write(dir.path(), "table.csv", "x,churn\n1,yes\n\n\nNaN,no\n2,no\n");
    let (_, report) = LabeledMatrix::from_csv(&table, &TableSpec::new("churn", "yes")).unwrap();
    let table_lines: Vec<Option<u64>> = report.rejections().iter().map(|r| r.line).collect();
    // Both report Some(3): the csv crate's record position includes the skipped empty lines.
    assert_eq!((lines, table_lines), (vec![Some(5)], vec![Some(5)]));
}

#[test]
fn alias_file_rejections_report_the_physical_line() {
    let dir = tempfile::tempdir().unwrap();
    // Line 1 header, 2–3 a quoted alias spanning two lines, 4 empty alias.
    let path = write(dir.path(), "aliases.csv", "alias,customer_id\n\"multi\nline\",C3\n,C2\n");
    let (aliases, report) = AliasMap::from_csv(&path).unwrap();
    assert_eq!(aliases.len(), 1);
    let lines: Vec<Option<u64>> = report.rejections().iter().map(|r| r.line).collect();
    // CsvSource reports physical lines in this situation (see above); AliasMap reports Some(3).
    assert_eq!(lines, vec![Some(4)]);
}

#[test]
fn fitting_at_a_date_whose_labels_are_not_known_yet_is_refused() {
    let (pop, _) = fitted();
    // The simulation ends on 2025-01-01: the 90-day window from 2024-11-01 is still open.
    let err = Pipeline::new(LogisticRegression::params())
        .fit(pop.records(), &[date(2024, 4, 1), date(2024, 11, 1)], &Silent)
        .unwrap_err();
    assert!(
        matches!(err, Error::LabelWindowOpen { ref as_of, ref window_end, .. } if as_of == "2024-11-01" && window_end == "2025-01-30"),
        "{err:?}"
    );
}
