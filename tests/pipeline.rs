//! End to end on a small simulation: fit a pipeline at monthly snapshots,
//! score a later date, save and load, reproduce from the seed, and read the
//! same data back through CSV files and an alias map.

use std::collections::HashSet;
use std::sync::OnceLock;

use approx::assert_abs_diff_eq;
use churnguard::classify::{LogisticRegression, Solver};
use churnguard::data::{AliasMap, CsvSource, Customer, EventLog, Order, RecordBatch, RecordKind, write_csv_dir};
use churnguard::eval::{StratifiedKFold, roc_auc};
use churnguard::features::FeatureSpec;
use churnguard::pipeline::{CustomerScore, FittedPipeline, Pipeline};
use churnguard::progress::Silent;
use churnguard::sim::{Population, SimConfig};
use churnguard::{Error, Timestamp};

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

const REASONS: usize = 3;

fn train_dates() -> [Timestamp; 3] {
    [date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)]
}

fn score_date() -> Timestamp {
    date(2024, 9, 1)
}

/// 600 simulated customers and a default pipeline (L-BFGS logistic regression) fitted on them.
fn fitted() -> &'static (Population, FittedPipeline) {
    static FITTED: OnceLock<(Population, FittedPipeline)> = OnceLock::new();
    FITTED.get_or_init(|| {
        let pop = Population::generate(&SimConfig { n_customers: 600, seed: 21, ..SimConfig::default() }).unwrap();
        let fitted = Pipeline::new(LogisticRegression::params()).fit(pop.records(), &train_dates(), &Silent).unwrap();
        (pop, fitted)
    })
}

#[test]
fn fitted_pipeline_ranks_customers_with_probabilities_and_reasons() {
    let (pop, fitted) = fitted();
    let meta = fitted.model().metadata();
    assert_eq!(meta.trained_as_of, train_dates().to_vec());
    assert!(meta.n_training_rows > 500, "{} training rows", meta.n_training_rows);
    assert!(meta.training_churn_rate > 0.05 && meta.training_churn_rate < 0.5, "{}", meta.training_churn_rate);

    let scores = fitted.score(pop.records(), score_date(), REASONS).unwrap();
    // One score per customer eligible at the scoring date, each once.
    let log = EventLog::from_source(pop.records()).unwrap();
    let snap = fitted.settings().snapshot(score_date()).unwrap();
    let eligible = fitted.settings().features.eligible_customers(&log, &snap);
    assert_eq!(scores.len(), eligible.len());
    let unique: HashSet<_> = scores.iter().map(|s| &s.customer).collect();
    assert_eq!(unique.len(), scores.len());

    assert!(scores.windows(2).all(|w| w[0].probability >= w[1].probability), "not sorted by risk");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(&s.probability)));
    assert!(scores[0].probability > scores[scores.len() - 1].probability, "all scores equal");
    for s in &scores {
        assert_eq!(s.reasons.len(), REASONS, "{}", s.customer);
        assert!(s.reasons.windows(2).all(|w| w[0].contribution >= w[1].contribution), "{}", s.customer);
    }
    // Scoring one customer gives the same score and reasons as scoring everybody.
    let top = &scores[0];
    let one = fitted.score_customer(&log, &top.customer, score_date(), REASONS).unwrap();
    assert_eq!(one, *top);
    // Reasons carry the customer's raw feature values.
    let features = fitted.settings().features.extract_customer(&log, &top.customer, &snap).unwrap();
    for r in &top.reasons {
        match features.numeric_column(&r.feature) {
            Some(col) => assert_eq!(r.value, Some(col[0]).filter(|v| !v.is_nan()), "{}", r.feature),
            None => {
                let col = features.categorical_column(&r.feature).unwrap();
                assert_eq!(r.category.as_deref(), col.get(0), "{}", r.feature);
            }
        }
    }
    // With every input as a reason, base value + Σ contributions is the log-odds of the probability.
    let all = fitted.score_customer(&log, &top.customer, score_date(), usize::MAX).unwrap();
    assert_eq!(all.reasons.len(), fitted.model().preprocessor().input_names().len());
    let base = fitted.model().explain(&features, 0).unwrap().base_value;
    let logit = base + all.reasons.iter().map(|r| r.contribution).sum::<f64>();
    assert_abs_diff_eq!(1.0 / (1.0 + (-logit).exp()), top.probability, epsilon = 1e-9);

    // The ranking is informative: scores at 2024-09-01 against the labels that
    // the following 90 days realised (the simulation runs to 2025-01-01).
    let labelled = fitted.settings().features.labeled(&log, &snap).unwrap();
    let by_id: std::collections::HashMap<_, _> = scores.iter().map(|s| (&s.customer, s.probability)).collect();
    let probs: Vec<f64> = labelled.features().customer_ids().iter().map(|c| by_id[c]).collect();
    let auc = roc_auc(labelled.labels(), &probs).unwrap();
    assert!(auc > 0.7, "out-of-time AUC {auc}");
}

#[test]
fn saved_and_loaded_pipeline_gives_identical_scores() {
    let (pop, fitted) = fitted();
    let file = tempfile::NamedTempFile::new().unwrap();
    fitted.save(file.path()).unwrap();
    let loaded = FittedPipeline::load(file.path()).unwrap();
    assert_eq!(loaded.settings(), fitted.settings());
    assert_eq!(loaded.model().metadata(), fitted.model().metadata());
    let before = fitted.score(pop.records(), score_date(), REASONS).unwrap();
    let after = loaded.score(pop.records(), score_date(), REASONS).unwrap();
    assert_eq!(before, after);
    // Saving the loaded pipeline writes the same document again.
    assert_eq!(loaded.to_saved().unwrap(), fitted.to_saved().unwrap());
}

fn fit_and_score(seed: u64) -> Vec<CustomerScore> {
    let pop = Population::generate(&SimConfig { n_customers: 300, seed, ..SimConfig::default() }).unwrap();
    let fitted = Pipeline::new(LogisticRegression::params()).fit(pop.records(), &train_dates(), &Silent).unwrap();
    fitted.score(pop.records(), score_date(), REASONS).unwrap()
}

#[test]
fn same_seed_gives_identical_fitted_scores() {
    let a = fit_and_score(8);
    let b = fit_and_score(8);
    assert_eq!(a, b);
    let c = fit_and_score(9);
    assert_ne!(a, c);
}

/// Simulate, extract, cross-validate, fit and score inside a thread pool of `threads` threads.
fn run_with_threads(threads: usize) -> (Vec<f64>, Vec<CustomerScore>) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let pop = Population::generate(&SimConfig { n_customers: 300, seed: 12, ..SimConfig::default() }).unwrap();
        let log = EventLog::from_source(pop.records()).unwrap();
        let pipeline = Pipeline::new(LogisticRegression::params().solver(Solver::Newton));
        let dates = [date(2024, 4, 1), date(2024, 6, 1)];
        let cv = pipeline.cross_validate(&log, &dates, &StratifiedKFold::new(3, 5).unwrap(), &Silent).unwrap();
        let fitted = pipeline.fit_log(&log, &dates, &Silent).unwrap();
        (cv.out_of_fold, fitted.score_log(&log, score_date(), REASONS, &Silent).unwrap())
    })
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let (cv1, scores1) = run_with_threads(1);
    let (cv3, scores3) = run_with_threads(3);
    assert!(cv1.iter().all(|p| (0.0..=1.0).contains(p)), "every row gets an out-of-fold score");
    assert_eq!(cv1, cv3);
    assert_eq!(scores1, scores3);
}

#[test]
fn csv_round_trip_reproduces_records_log_and_features() {
    let (_, fitted) = fitted();
    // Another, smaller population: the CSV path is slow-ish in debug builds.
    let pop = &Population::generate(&SimConfig { n_customers: 250, seed: 4, ..SimConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_csv_dir(pop.records(), dir.path()).unwrap();
    let source = CsvSource::from_dir(dir.path()).unwrap().batch_size(1000);

    // The records themselves: timestamps are whole seconds, amounts print in
    // shortest round-trip form, so everything comes back bit for bit.
    let mut read = RecordBatch::default();
    let report = churnguard::data::DataSource::stream(&source, &mut |b| {
        read.append(b.clone());
        Ok(())
    })
    .unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(read, *pop.records());

    let csv_log = EventLog::from_source(&source).unwrap();
    let mem_log = EventLog::from_source(pop.records()).unwrap();
    assert!(csv_log.report().is_clean(), "{}", csv_log.report());
    assert_eq!(csv_log.report().rows_accepted(RecordKind::Order), pop.records().orders.len() as u64);
    assert_eq!(csv_log, mem_log);

    let spec = FeatureSpec::default();
    let snap = fitted.settings().snapshot(date(2024, 8, 15)).unwrap();
    let from_csv = spec.labeled(&csv_log, &snap).unwrap();
    let from_mem = spec.labeled(&mem_log, &snap).unwrap();
    // Bitwise equality, with NaN (missing) equal to NaN.
    assert_eq!(from_csv.labels(), from_mem.labels());
    assert_eq!(from_csv.features().customer_ids(), from_mem.features().customer_ids());
    let (a, b) = (from_csv.features().numeric(), from_mem.features().numeric());
    assert!(a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_eq!(from_csv.features().categorical(), from_mem.features().categorical());

    // Scoring straight from the CSV directory gives the same ranking.
    assert_eq!(
        fitted.score(&source, score_date(), REASONS).unwrap(),
        fitted.score(pop.records(), score_date(), REASONS).unwrap()
    );
}

#[test]
fn order_keyed_by_an_alias_lands_on_the_canonical_customer() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("customers.csv"), "customer_id,signup_date,region\nC1,2024-01-01,north\nC2,2024-01-01,\n")
        .unwrap();
    std::fs::write(
        p.join("orders.csv"),
        "customer_id,ordered_at,amount\n\
         C1,2024-02-01,10\n\
         ann@example.com,2024-02-10,20\n\
         +1 555 0100,2024-02-20,30\n\
         stranger@example.com,2024-02-21,40\n",
    )
    .unwrap();
    std::fs::write(p.join("aliases.csv"), "alias,customer_id\nann@example.com,C1\n+1 555 0100,ann@example.com\n")
        .unwrap();
    let (aliases, alias_report) = AliasMap::from_csv(p.join("aliases.csv")).unwrap();
    assert!(alias_report.is_clean(), "{alias_report}");
    assert_eq!(aliases.len(), 2);
    let source = CsvSource::from_dir(p).unwrap();
    let log = EventLog::builder().aliases(aliases).load(&source).unwrap();
    let c1 = log.events_of(&"C1".into()).unwrap();
    let amounts: Vec<f64> = c1.orders.iter().map(|o| o.amount).collect();
    assert_eq!(amounts, vec![10.0, 20.0, 30.0]);
    assert!(log.events_of(&"C2".into()).unwrap().orders.is_empty());
    // The alias is not a customer of its own, and the unknown e-mail is reported.
    assert!(matches!(log.events_of(&"ann@example.com".into()), Err(Error::UnknownCustomer { .. })));
    assert_eq!(log.n_customers(), 2);
    assert_eq!(log.report().rows_rejected(RecordKind::Order), 1);
    assert!(log.report().rejections()[0].reason.contains("stranger@example.com"));

    // Without the alias map, the two alias-keyed orders are unknown customers.
    let plain = EventLog::from_source(&source).unwrap();
    assert_eq!(plain.events_of(&"C1".into()).unwrap().orders.len(), 1);
    assert_eq!(plain.report().rows_rejected(RecordKind::Order), 3);
}

/// Profiles of one person under the canonical id and under an alias, in either arrival order.
fn merged_log(alias_profile_first: bool) -> EventLog {
    let mut aliases = AliasMap::new();
    aliases.insert("bob@example.com", "C2").unwrap();
    let canonical = Customer { age: Some(40), ..Customer::new("C2", date(2024, 3, 1)) };
    let alias = Customer { region: Some("south".into()), ..Customer::new("bob@example.com", date(2024, 1, 1)) };
    let mut b = RecordBatch::default();
    if alias_profile_first {
        b.customers.extend([alias, canonical]);
    } else {
        b.customers.extend([canonical, alias]);
    }
    b.orders.push(Order::new("bob@example.com", date(2024, 3, 5), 12.0));
    EventLog::builder().aliases(aliases).load(&b).unwrap()
}

#[test]
fn alias_profile_is_merged_into_the_canonical_profile() {
    let log = merged_log(false);
    assert_eq!(log.n_customers(), 1);
    let c = &log.customers()[0];
    // Earliest signup, and fields filled from whichever profile has them.
    assert_eq!(
        (c.id.as_str(), c.signup, c.age, c.region.as_deref()),
        ("C2", date(2024, 1, 1), Some(40), Some("south"))
    );
    assert_eq!(log.report().merged_customers(), 1);
    assert!(log.report().is_clean(), "{}", log.report());
}

#[test]
fn alias_profile_merge_does_not_depend_on_arrival_order() {
    let canonical_first = merged_log(false);
    let alias_first = merged_log(true);
    assert!(alias_first.report().is_clean(), "{}", alias_first.report());
    assert_eq!(alias_first.customers(), canonical_first.customers());
}

#[test]
fn reasons_are_the_largest_summed_contributions_ties_by_name() {
    // Reference: the explanation's named design-column contributions, summed per input by hand,
    // fully sorted (largest first, then by name) — what the fast top-k must reproduce.
    let (pop, fitted) = fitted();
    let log = EventLog::from_source(pop.records()).unwrap();
    let settings = fitted.settings();
    let features = settings.features.extract(&log, &settings.snapshot(score_date()).unwrap()).unwrap();
    let model = fitted.model();
    let inputs = model.preprocessor().input_names();
    let sources = model.preprocessor().output_sources();
    for row in (0..features.n_rows()).step_by(7) {
        let e = model.explain(&features, row).unwrap();
        let mut totals = vec![0.0; inputs.len()];
        for (c, &src) in e.contributions.iter().zip(sources) {
            totals[src] += c.contribution;
        }
        let mut expected: Vec<(f64, &str)> = totals.iter().copied().zip(inputs.iter().map(String::as_str)).collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        for k in [1, 3, inputs.len()] {
            let got: Vec<(f64, String)> = model
                .reasons(&features, row, k)
                .unwrap()
                .into_iter()
                .map(|r| (r.contribution, r.feature.to_string()))
                .collect();
            let want: Vec<(f64, String)> = expected.iter().take(k).map(|&(c, n)| (c, n.to_string())).collect();
            assert_eq!(got, want, "row {row}, k {k}");
        }
    }
}
