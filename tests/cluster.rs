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
