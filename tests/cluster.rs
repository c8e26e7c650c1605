//! Tests of `churnguard::cluster`: k-means against scikit-learn, segmenter
//! behaviour, save/load, bad input.

use approx::assert_relative_eq;
use churnguard::Error;
use churnguard::cluster::{KMeansParams, SEGMENTER_FORMAT_VERSION, Segmenter, SegmenterParams, kmeans, silhouette};
use churnguard::features::{CategoricalColumn, FeatureMatrix};
use ndarray::{Array2, array};

/// 300 × 3 rows from four Gaussian blobs, written by `bench/kmeans_sklearn.py fixture`.
fn blobs() -> Array2<f64> {
    let text = include_str!("fixtures/cluster_blobs.csv");
    let rows: Vec<Vec<f64>> =
        text.lines().map(|l| l.split(',').map(|v| v.trim().parse::<f64>().unwrap()).collect()).collect();
    let n = rows.len();
    Array2::from_shape_vec((n, 3), rows.into_iter().flatten().collect()).unwrap()
}

fn matrix(x: Array2<f64>, names: &[&str]) -> FeatureMatrix {
    let ids = (0..x.nrows()).map(|i| format!("c{i}").into()).collect();
    FeatureMatrix::new(ids, names.iter().map(|s| s.to_string()).collect(), x, vec![]).unwrap()
}

#[test]
fn kmeans_matches_sklearn_inertia_and_silhouette_on_blobs() {
    let x = blobs();
    let fit = kmeans(x.view(), &KMeansParams { k: 4, n_init: 10, max_iter: 300, tol: 1e-4, seed: 1 }).unwrap();
    // scikit-learn 1.9.1 KMeans(n_clusters=4, n_init=10, random_state=0), bench/kmeans_sklearn.py fixture.
    assert_relative_eq!(fit.inertia, 927.278054153422, max_relative = 1e-9);
    let mut sizes = vec![0; 4];
    fit.labels.iter().for_each(|&l| sizes[l] += 1);
    sizes.sort();
    assert_eq!(sizes, vec![74, 75, 75, 76]);
    // sklearn.metrics.silhouette_score on the same partition (same script).
    let s = silhouette(x.view(), &fit.labels, 10_000, 0).unwrap();
    assert_relative_eq!(s, 0.601965313336, max_relative = 1e-9);
}

#[test]
fn kmeans_inertia_for_other_k_is_no_worse_than_sklearn() {
    let x = blobs();
    // scikit-learn 1.9.1 inertia for k = 2, 3, 5 (bench/kmeans_sklearn.py fixture); local optima may
    // differ, so ours must be within 0.5% or better.
    for (k, reference) in [(2, 3604.396735164358), (3, 2118.304109371527), (5, 852.193700683078)] {
        let fit = kmeans(x.view(), &KMeansParams { k, n_init: 10, ..KMeansParams::default() }).unwrap();
        assert!(fit.inertia <= reference * 1.005, "k={k}: ours {} vs sklearn {reference}", fit.inertia);
    }
}

#[test]
fn kmeans_is_identical_for_a_seed_whatever_the_thread_count() {
    let x = blobs();
    let params = KMeansParams { k: 5, n_init: 4, seed: 9, ..KMeansParams::default() };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| kmeans(x.view(), &params).unwrap())
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one.labels, four.labels);
    assert_eq!(one.inertia.to_bits(), four.inertia.to_bits());
    assert_eq!(one.centroids, four.centroids);
}

#[test]
fn choose_k_scores_every_candidate_and_picks_the_planted_four() {
    let data = matrix(blobs(), &["a", "b", "c"]);
    let sel = SegmenterParams::new(2).n_init(4).choose_k(&data, 2..=6).unwrap();
    assert_eq!(sel.scores.iter().map(|s| s.k).collect::<Vec<_>>(), vec![2, 3, 4, 5, 6]);
    assert_eq!(sel.best_k, 4);
    // Inertia falls with k.
    assert!(sel.scores.windows(2).all(|w| w[1].inertia < w[0].inertia));
}

#[test]
fn silhouette_on_a_sample_is_close_to_the_exact_value() {
    let x = blobs();
    let fit = kmeans(x.view(), &KMeansParams { k: 4, ..KMeansParams::default() }).unwrap();
    let exact = silhouette(x.view(), &fit.labels, 300, 0).unwrap();
    let sampled = silhouette(x.view(), &fit.labels, 150, 3).unwrap();
    assert!((exact - sampled).abs() < 0.05, "exact {exact}, sampled {sampled}");
    assert_eq!(sampled, silhouette(x.view(), &fit.labels, 150, 3).unwrap());
}

#[test]
fn segmenter_predict_assigns_new_customers_to_the_nearest_segment() {
    let data = matrix(blobs(), &["a", "b", "c"]);
    let seg = SegmenterParams::new(4).fit(&data).unwrap();
    let train = seg.predict(&data).unwrap();
    // New customers at the planted centres land in the same segments as the training rows there.
    let new = matrix(array![[0.0, 0.0, 0.0], [6.0, 6.0, 3.0], [6.0, 0.0, 1.0]], &["a", "b", "c"]);
    let labels = seg.predict(&new).unwrap();
    assert_eq!(labels[0], train[0]);
    assert_eq!(labels[1], train[299]);
    assert_eq!(labels[2], train[100]);
    assert_eq!(seg.k(), 4);
}

#[test]
fn segmenter_round_trips_through_json_and_refuses_other_versions() {
    let data = matrix(blobs(), &["a", "b", "c"]);
    let seg = SegmenterParams::new(3).columns(["a", "c"]).fit(&data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg.json");
    seg.save(&path).unwrap();
    let back = Segmenter::load(&path).unwrap();
    assert_eq!(back, seg);
    assert_eq!(back.predict(&data).unwrap(), seg.predict(&data).unwrap());
    let json = seg.to_json().unwrap();
    let bumped = json.replacen(
        &format!("\"format_version\":{SEGMENTER_FORMAT_VERSION}"),
        &format!("\"format_version\":{}", SEGMENTER_FORMAT_VERSION + 1),
        1,
    );
    assert!(matches!(Segmenter::from_json(&bumped), Err(Error::ModelVersion { found: 2, expected: 1 })));
    assert!(matches!(Segmenter::from_json("{\"format_version\":1}"), Err(Error::ModelFormat { .. })));
}

#[test]
fn bad_input_gives_typed_errors() {
    let data = matrix(blobs(), &["a", "b", "c"]);
    assert!(matches!(SegmenterParams::new(0).fit(&data), Err(Error::InvalidParameter { name: "k", .. })));
    assert!(matches!(SegmenterParams::new(301).fit(&data), Err(Error::TooFewPoints { found: 300, k: 301, .. })));
    assert!(matches!(
        SegmenterParams::new(2).n_init(0).fit(&data),
        Err(Error::InvalidParameter { name: "n_init", .. })
    ));
    assert!(matches!(
        SegmenterParams::new(2).columns(["nope"]).fit(&data),
        Err(Error::MissingFeature { name }) if name == "nope"
    ));
    let empty = matrix(Array2::zeros((0, 2)), &["a", "b"]);
    assert!(matches!(SegmenterParams::new(2).fit(&empty), Err(Error::EmptyData { .. })));
    // Constant columns scale to zero: with every column constant there is one distinct row.
    let constant = matrix(Array2::from_elem((10, 2), 3.0), &["a", "b"]);
    assert!(matches!(
        SegmenterParams::new(2).fit(&constant),
        Err(Error::TooFewPoints { what: "distinct rows", found: 1, k: 2 })
    ));
    // k-means on raw data refuses NaN.
    let nan = array![[1.0, 2.0], [f64::NAN, 1.0]];
    assert!(matches!(
        kmeans(nan.view(), &KMeansParams { k: 1, ..KMeansParams::default() }),
        Err(Error::NonFinite { row: 1, .. })
    ));
    // A categorical column cannot be clustered on.
    let ids = (0..2).map(|i| format!("c{i}").into()).collect();
    let cat = CategoricalColumn::from_values("plan", [Some("a"), Some("b")]);
    let with_cat = FeatureMatrix::new(ids, vec!["x".into()], array![[1.0], [2.0]], vec![cat]).unwrap();
    assert!(matches!(
        SegmenterParams::new(2).columns(["plan"]).fit(&with_cat),
        Err(Error::InvalidParameter { name: "columns", .. })
    ));
    assert!(matches!(SegmenterParams::new(2).choose_k(&data, [1, 2]), Err(Error::InvalidParameter { name: "ks", .. })));
    // The silhouette needs two clusters and one label per row.
    let x = blobs();
    assert!(matches!(silhouette(x.view(), &[0; 300], 300, 0), Err(Error::TooFewGroups { found: 1 })));
    assert!(matches!(silhouette(x.view(), &[0; 3], 300, 0), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(silhouette(x.view(), &[0; 300], 1, 0), Err(Error::InvalidParameter { name: "sample_size", .. })));
}

#[test]
fn segmenter_imputes_missing_values_with_the_median_and_ignores_constant_columns() {
    // Two clear groups on `x`; `flat` is constant; one `x` is missing.
    let x = array![[0.0, 5.0], [0.2, 5.0], [f64::NAN, 5.0], [10.0, 5.0], [10.2, 5.0], [9.8, 5.0]];
    let data = matrix(x, &["x", "flat"]);
    let seg = SegmenterParams::new(2).fit(&data).unwrap();
    let labels = seg.predict(&data).unwrap();
    // The missing value is imputed with the median of the observed x (9.8), so it joins the high group.
    assert_eq!(labels[2], labels[3]);
    assert_eq!(labels[0], labels[1]);
    assert_ne!(labels[0], labels[3]);
}

mod profiles {
    use super::*;
    use churnguard::classify::LogisticRegression;
    use churnguard::cluster::{ProfileInputs, ProfileParams, profile_segments, wilson_interval};
    use churnguard::model::{ChurnModel, Dataset};

    fn tiny() -> (FeatureMatrix, Vec<usize>, Vec<bool>) {
        let x =
            array![[1.0, 5.0], [2.0, 5.0], [3.0, 6.0], [4.0, 6.0], [10.0, 5.0], [11.0, 6.0], [12.0, 5.0], [13.0, 6.0]];
        let churned = vec![false, false, false, true, true, true, true, false];
        (matrix(x, &["x1", "x2"]), vec![0, 0, 0, 0, 1, 1, 1, 1], churned)
    }

    #[test]
    fn wilson_interval_matches_statsmodels() {
        // statsmodels 0.15.0 proportion_confint(method="wilson"), bench/kmeans_sklearn.py profile.
        for (c, n, lo, hi) in [
            (7, 40, 0.087454137460359, 0.319499903317877),
            (0, 25, 0.0, 0.133192250939049),
            (30, 30, 0.886486606826031, 1.0),
            (120, 1000, 0.101299260601309, 0.141609075847713),
        ] {
            let ci = wilson_interval(c, n, 0.95).unwrap();
            approx::assert_abs_diff_eq!(ci.lower, lo, epsilon = 1e-9);
            approx::assert_abs_diff_eq!(ci.upper, hi, epsilon = 1e-9);
        }
        assert!(matches!(wilson_interval(1, 2, 1.0), Err(Error::InvalidParameter { name: "level", .. })));
    }

    #[test]
    fn profile_reports_size_churn_lift_and_separating_features() {
        let (data, segments, churned) = tiny();
        let inputs =
            ProfileInputs { features: &data, segments: &segments, k: 2, churned: &churned, model: None, clv: None };
        let p = profile_segments(&inputs, &ProfileParams::default()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!((p[1].size, p[1].churned), (4, 3));
        assert_relative_eq!(p[1].share, 0.5);
        assert_relative_eq!(p[1].churn_rate, 0.75);
        // Base rate 4/8: lift 1.5 for segment 1, 0.5 for segment 0.
        assert_relative_eq!(p[1].lift, 1.5, max_relative = 1e-12);
        assert_relative_eq!(p[0].lift, 0.5, max_relative = 1e-12);
        // Wilson 3/4 from statsmodels 0.15.0 (bench/kmeans_sklearn.py profile), divided by the base rate 0.5.
        assert_relative_eq!(p[1].churn_rate_ci.lower, 0.300641842582402, max_relative = 1e-9);
        assert_relative_eq!(p[1].lift_ci.upper, 0.954412739190299 / 0.5, max_relative = 1e-9);
        // Standardised difference of x1 for segment 1: numpy, bench/kmeans_sklearn.py profile.
        let top = &p[1].separating[0];
        assert_eq!(top.feature, "x1");
        assert_relative_eq!(top.standardized_difference, 8.049844718999243, max_relative = 1e-12);
        assert_relative_eq!(top.mean, 11.5);
        assert_relative_eq!(top.median, 11.5);
        assert_relative_eq!(top.rest_mean, 2.5);
        // x2 does not separate (d = 0), so it stays out of the label.
        assert_eq!(p[1].label, "high x1");
        assert_eq!(p[0].label, "low x1");
        assert!(p[1].mean_predicted_churn.is_none());
    }

    #[test]
    fn profile_averages_model_predictions_and_clv_per_segment() {
        let (data, segments, churned) = tiny();
        let names = data.numeric_names().to_vec();
        let x = data.numeric().to_owned();
        let model = LogisticRegression::params().fit(&Dataset::new(x.view(), &churned, &names).unwrap()).unwrap();
        let probs = model.predict_proba(x.view()).unwrap();
        let clv = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0];
        let inputs = ProfileInputs {
            features: &data,
            segments: &segments,
            k: 2,
            churned: &churned,
            model: Some((&model, x.view())),
            clv: Some(&clv),
        };
        let p = profile_segments(&inputs, &ProfileParams::default()).unwrap();
        let expected: f64 = probs.iter().skip(4).sum::<f64>() / 4.0;
        assert_relative_eq!(p[1].mean_predicted_churn.unwrap(), expected, max_relative = 1e-12);
        assert_relative_eq!(p[1].mean_clv.unwrap(), 25.0);
        assert_relative_eq!(p[0].mean_clv.unwrap(), 2.5);
    }

    #[test]
    fn profile_rejects_mismatched_or_degenerate_input() {
        let (data, segments, churned) = tiny();
        let base =
            ProfileInputs { features: &data, segments: &segments, k: 2, churned: &churned, model: None, clv: None };
        let params = ProfileParams::default();
        let short = [false; 3];
        assert!(matches!(
            profile_segments(&ProfileInputs { churned: &short, ..base }, &params),
            Err(Error::ShapeMismatch { what: "churn labels vs rows", .. })
        ));
        assert!(matches!(
            profile_segments(&ProfileInputs { k: 1, ..base }, &params),
            Err(Error::ShapeMismatch { what: "segment index vs k", .. })
        ));
        let none = [false; 8];
        assert!(matches!(
            profile_segments(&ProfileInputs { churned: &none, ..base }, &params),
            Err(Error::SingleClass { class: false, n: 8 })
        ));
        let bad_clv = [f64::NAN; 8];
        assert!(matches!(
            profile_segments(&ProfileInputs { clv: Some(&bad_clv), ..base }, &params),
            Err(Error::NonFinite { row: 0, .. })
        ));
        let cols = ProfileParams { columns: vec!["nope".into()], ..ProfileParams::default() };
        assert!(matches!(profile_segments(&base, &cols), Err(Error::MissingFeature { .. })));
    }
}

mod rfm {
    use super::*;
    use churnguard::cluster::{RfmSegment, rfm_churn, rfm_from_features, rfm_scores};

    const X: [f64; 20] = [3., 1., 4., 1., 5., 9., 2., 6., 5., 3., 5., 8., 9., 7., 9., 3., 2., 3., 8., 4.];

    #[test]
    fn quintile_scores_match_average_rank_reference_and_recency_is_reversed() {
        let monetary = [1.0; 20];
        let s = rfm_scores(&X, &X, &monetary).unwrap();
        // scipy 1.17.1 rankdata(method="average"), ceil(5 rank / n): bench/kmeans_sklearn.py rfm.
        let f: Vec<u8> = s.iter().map(|s| s.f).collect();
        assert_eq!(f, vec![2, 1, 3, 1, 3, 5, 1, 4, 3, 2, 3, 5, 5, 4, 5, 2, 1, 2, 5, 3]);
        let r: Vec<u8> = s.iter().map(|s| s.r).collect();
        assert_eq!(r, vec![4, 5, 3, 5, 3, 1, 5, 2, 3, 4, 3, 2, 1, 2, 1, 4, 5, 4, 2, 3]);
        // All-equal spend: one tie block with average rank 10.5 → ⌈5 · 10.5 / 20⌉ = 3.
        assert!(s.iter().all(|s| s.m == 3));
    }

    #[test]
    fn segment_grid_follows_the_documented_rule_table() {
        use RfmSegment::*;
        let expected = [
            // F = 1 … 5, rows R = 1 … 5
            [Lost, Hibernating, AtRisk, AtRisk, CantLoseThem],
            [Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem],
            [AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal],
            [Promising, PotentialLoyalists, PotentialLoyalists, Loyal, Loyal],
            [NewCustomers, PotentialLoyalists, PotentialLoyalists, Champions, Champions],
        ];
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                assert_eq!(RfmSegment::from_scores(r, f), expected[r as usize - 1][f as usize - 1], "R{r} F{f}");
            }
        }
    }

    #[test]
    fn missing_activity_scores_lowest_and_churn_is_summarised_per_segment() {
        let recency = [f64::NAN, 2.0, 100.0, 3.0];
        let freq = [f64::NAN, 10.0, 1.0, 8.0];
        let spend = [f64::NAN, 100.0, 5.0, 90.0];
        let s = rfm_scores(&recency, &freq, &spend).unwrap();
        assert_eq!((s[0].r, s[0].f, s[0].m), (1, 1, 1));
        assert_eq!(s[0].segment, RfmSegment::Lost);
        assert_eq!(s[1].segment, RfmSegment::Champions);
        let churned = [true, false, true, false];
        let summary = rfm_churn(&s, &churned).unwrap();
        let lost = summary.iter().find(|x| x.segment == RfmSegment::Lost).unwrap();
        assert_eq!(lost.size, 1);
        assert_relative_eq!(lost.lift, 2.0);
        assert_eq!(summary.iter().map(|x| x.size).sum::<usize>(), 4);
    }

    #[test]
    fn rfm_rejects_bad_input() {
        assert!(matches!(rfm_scores(&[], &[], &[]), Err(Error::EmptyData { .. })));
        assert!(matches!(rfm_scores(&[1.0], &[1.0, 2.0], &[1.0]), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(
            rfm_scores(&[1.0, f64::INFINITY], &[1.0, 2.0], &[1.0, 2.0]),
            Err(Error::NonFinite { row: 1, .. })
        ));
        let s = rfm_scores(&[1.0, 2.0], &[1.0, 2.0], &[1.0, 2.0]).unwrap();
        assert!(matches!(rfm_churn(&s, &[false, false]), Err(Error::SingleClass { .. })));
        let data = matrix(array![[1.0], [2.0]], &["days_since_last_order"]);
        assert!(matches!(
            rfm_from_features(&data, "days_since_last_order", "order_count_365d", "spend_365d"),
            Err(Error::MissingFeature { .. })
        ));
    }
}

mod simulation {
    use super::*;
    use churnguard::Timestamp;
    use churnguard::classify::LogisticRegression;
    use churnguard::cluster::{ProfileInputs, ProfileParams, profile_segments};
    use churnguard::data::EventLog;
    use churnguard::pipeline::Pipeline;
    use churnguard::sim::{Population, SimConfig};
    use std::collections::HashSet;

    const COLUMNS: [&str; 5] =
        ["days_since_last_order", "order_count_30d", "order_count_90d", "spend_90d", "visit_count_30d"];

    /// The planted high-churn group: customers whose latent churn time (known only to the
    /// simulator) lies before the snapshot — they have silently left, so their true
    /// probability of the churn label is ≈ 1. At 2024-06-01 these 242 customers are exactly
    /// the top decile of `Population::truth` (checked by `examples/segments.rs` during development).
    ///
    /// The highest-lift segment must overlap this group with Jaccard ≥ 0.6 for every k in
    /// 4, 6, 8 (measured: 0.611, 0.763, 0.614 with seed 42). The silhouette's preferred k = 2
    /// does not isolate it (Jaccard 0.17), which is why the example fixes k.
    ///
    /// About 20 s in debug (simulating 5,000 customers), so ignored by default:
    /// `cargo test --release --test cluster -- --ignored`.
    #[test]
    #[ignore = "simulates 5,000 customers (~20 s in debug); run with --release -- --ignored"]
    fn highest_lift_segment_recovers_the_silently_churned_customers() {
        let config = SimConfig::default();
        let population = Population::generate(&config).unwrap();
        let log = EventLog::from_source(population.records()).unwrap();
        let as_of = Timestamp::from_ymd(2024, 6, 1).unwrap();
        let data = Pipeline::new(LogisticRegression::params()).training_data(&log, &[as_of]).unwrap();
        let features = data.features();
        let latent: std::collections::HashMap<_, _> = population.latent().iter().map(|l| (&l.id, l)).collect();
        let gone: HashSet<usize> = features
            .customer_ids()
            .iter()
            .enumerate()
            .filter(|(_, id)| latent[id].churned_at.is_some_and(|t| t < as_of))
            .map(|(i, _)| i)
            .collect();
        assert!(gone.len() > 100, "planted group too small: {}", gone.len());
        for (k, measured) in [(4, 0.611), (6, 0.763), (8, 0.614)] {
            let seg = SegmenterParams::new(k).columns(COLUMNS).seed(42).fit(features).unwrap();
            let segments = seg.predict(features).unwrap();
            let inputs =
                ProfileInputs { features, segments: &segments, k, churned: data.labels(), model: None, clv: None };
            let profiles = profile_segments(&inputs, &ProfileParams::default()).unwrap();
            let top = profiles.iter().max_by(|a, b| a.lift.total_cmp(&b.lift)).unwrap();
            let members: HashSet<usize> = (0..segments.len()).filter(|&i| segments[i] == top.segment).collect();
            let jaccard = members.intersection(&gone).count() as f64 / members.union(&gone).count() as f64;
            println!("k={k}: highest-lift segment n={} lift {:.2} Jaccard {jaccard:.3}", top.size, top.lift);
            approx::assert_abs_diff_eq!(jaccard, measured, epsilon = 0.0005);
            assert!(jaccard >= 0.6);
            assert!(top.lift > 3.0 && top.label.contains("high days_since_last_order"), "{}", top.label);
        }
    }
}

mod mixture {
    use super::*;
    use churnguard::cluster::{GaussianMixtureParams, bic_curve, gaussian_mixture};

    #[test]
    fn gaussian_mixture_bic_matches_sklearn_and_is_lowest_at_the_planted_k() {
        let x = blobs();
        // scikit-learn 1.9.1 GaussianMixture(covariance_type="diag", random_state=0).bic(x),
        // bench/kmeans_sklearn.py gmm. Both start EM from a k-means partition; with well
        // separated blobs the partitions agree for k ≤ 4, so BIC agrees closely.
        let curve = bic_curve(x.view(), 1..=4, &GaussianMixtureParams::default()).unwrap();
        for ((k, ours), reference) in curve.iter().zip([4264.855299282, 3846.421277529, 3627.059695182, 3543.863358670])
        {
            assert_relative_eq!(*ours, reference, max_relative = 1e-9);
            println!("k={k}: BIC {ours:.6} vs sklearn {reference}");
        }
        let wider = bic_curve(x.view(), 2..=6, &GaussianMixtureParams::default()).unwrap();
        let best = wider.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert_eq!(best.0, 4);
        // Through the segmenter (standard-scaled columns) the planted k still has the lowest BIC.
        let data = matrix(x, &["a", "b", "c"]);
        let scaled = SegmenterParams::new(2).bic_curve(&data, 2..=6).unwrap();
        assert_eq!(scaled.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0, 4);
    }

    #[test]
    fn gaussian_mixture_gives_memberships_and_rejects_bad_input() {
        let x = blobs();
        let g =
            gaussian_mixture(x.view(), &GaussianMixtureParams { k: 4, ..GaussianMixtureParams::default() }).unwrap();
        let p = g.predict_proba(x.view()).unwrap();
        assert!(p.outer_iter().all(|r| (r.sum() - 1.0).abs() < 1e-9));
        assert_relative_eq!(g.weights().sum(), 1.0, max_relative = 1e-9);
        assert_eq!(g.n_parameters(), 2 * 4 * 3 + 3);
        let labels = g.predict(x.view()).unwrap();
        assert_eq!(labels[0], labels[1]);
        assert_ne!(labels[0], labels[299]);
        assert!(matches!(g.predict(array![[1.0, 2.0]].view()), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(
            gaussian_mixture(x.view(), &GaussianMixtureParams { reg_covar: 0.0, ..GaussianMixtureParams::default() }),
            Err(Error::InvalidParameter { name: "reg_covar", .. })
        ));
        assert!(matches!(
            gaussian_mixture(Array2::zeros((0, 2)).view(), &GaussianMixtureParams::default()),
            Err(Error::EmptyData { .. })
        ));
    }
}
