//! Which groups of customers churn more? Segments of the simulated shop, sorted by churn lift.
//!
//! Simulates the built-in e-commerce population (5,000 customers), builds
//! point-in-time features at 2024-06-01 with the 90-day churn label, fits a
//! k-means [`Segmenter`](churnguard::cluster::Segmenter) on five engagement
//! columns, shows the silhouette curve (and a Gaussian mixture's BIC), and prints one profile per segment —
//! churn rate and lift with 95% intervals, the logistic model's average predicted
//! churn (model fitted on earlier snapshots), separating features and label —
//! followed by the model-free RFM table. It also checks the segments against the
//! simulator's truth: how well the highest-lift segment matches the customers
//! who had already (silently) churned at the snapshot.
//!
//! ```text
//! cargo run --release --example segments
//! ```

use std::collections::HashSet;

use churnguard::classify::LogisticRegression;
use churnguard::cluster::{
    ProfileInputs, ProfileParams, SegmenterParams, profile_segments, rfm_churn, rfm_from_features,
};
use churnguard::data::EventLog;
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::sim::{Population, SimConfig};
use churnguard::{Result, Timestamp};

/// Engagement columns the segments are built on.
const COLUMNS: [&str; 5] =
    ["days_since_last_order", "order_count_30d", "order_count_90d", "spend_90d", "visit_count_30d"];

fn main() -> Result<()> {
    let config = SimConfig::default();
    let population = Population::generate(&config)?;
    let log = EventLog::from_source(population.records())?;
    let pipeline = Pipeline::new(LogisticRegression::params());
    let as_of = Timestamp::from_ymd(2024, 6, 1)?;
    let data = pipeline.training_data(&log, &[as_of])?;
    let features = data.features();
    println!("{} customers at {as_of}, 90-day churn rate {:.1}%", features.n_rows(), 100.0 * data.churn_rate());

    // The silhouette curve: a user sees how separable the data is at each k.
    let params = SegmenterParams::new(6).columns(COLUMNS).seed(42);
    let selection = params.choose_k(features, 2..=8)?;
    println!("\nk   silhouette   inertia");
    for s in &selection.scores {
        println!("{:<3} {:>10.4} {:>9.1}", s.k, s.silhouette, s.inertia);
    }
    println!(
        "(silhouette prefers k = {}; we use k = {} — the finer split isolates the lapsed customers)",
        selection.best_k, params.kmeans.k
    );
    let bic = params.bic_curve(features, 2..=8)?;
    let bic: Vec<String> = bic.iter().map(|(k, b)| format!("k={k}: {b:.0}")).collect();
    println!("Gaussian-mixture BIC (lower is better): {}", bic.join(", "));

    let segmenter = params.fit(features)?;
    let segments = segmenter.predict(features)?;

    // A churn model fitted on the twelve monthly snapshots 2023-03 … 2024-02, whose 90-day
    // labels close before 2024-06-01 (no leakage) and which cover every calendar month.
    let train_dates: Vec<Timestamp> = (0..12)
        .map(|i: u32| Timestamp::from_ymd(2023 + (2 + i as i32) / 12, (2 + i) % 12 + 1, 1))
        .collect::<Result<_>>()?;
    let fitted = pipeline.fit_log(&log, &train_dates, &Silent)?;
    let design = fitted.model().preprocessor().transform(features)?;

    let mut profiles = profile_segments(
        &ProfileInputs {
            features,
            segments: &segments,
            k: segmenter.k(),
            churned: data.labels(),
            model: Some((fitted.model().model().as_ref(), design.view())),
            clv: None,
        },
        &ProfileParams::default(),
    )?;
    profiles.sort_by(|a, b| b.lift.total_cmp(&a.lift));
    println!("\nsegments by churn lift:");
    for p in &profiles {
        println!("{p}");
        for c in &p.separating {
            println!(
                "      {:<24} d = {:+.2}  mean {:.1} (rest {:.1}), median {:.1}",
                c.feature, c.standardized_difference, c.mean, c.rest_mean, c.median
            );
        }
    }

    // Ground truth: customers whose latent churn time is before the snapshot. The shop
    // cannot see this; it is the group with the highest true churn probability.
    let latent: std::collections::HashMap<_, _> = population.latent().iter().map(|l| (&l.id, l)).collect();
    let gone: HashSet<usize> = features
        .customer_ids()
        .iter()
        .enumerate()
        .filter(|(_, id)| latent.get(id).and_then(|l| l.churned_at).is_some_and(|t| t < as_of))
        .map(|(i, _)| i)
        .collect();
    if let Some(top) = profiles.first() {
        let members: HashSet<usize> = (0..segments.len()).filter(|&i| segments[i] == top.segment).collect();
        let jaccard = members.intersection(&gone).count() as f64 / members.union(&gone).count() as f64;
        println!(
            "\nhighest-lift segment vs the {} customers already churned at the snapshot: Jaccard {jaccard:.3}",
            gone.len()
        );
    }

    // The model-free alternative: classic RFM segments.
    let rfm = rfm_from_features(features, "days_since_last_order", "order_count_365d", "spend_365d")?;
    let mut table = rfm_churn(&rfm, data.labels())?;
    table.sort_by(|a, b| b.lift.total_cmp(&a.lift));
    println!("\nRFM segment          n      share  churn   95% CI           lift");
    for s in &table {
        println!(
            "{:<18} {:>6} {:>7.1}% {:>5.1}%  [{:>4.1}, {:>4.1}]  {:>5.2}",
            s.segment.name(),
            s.size,
            100.0 * s.share,
            100.0 * s.churn_rate,
            100.0 * s.churn_rate_ci.lower,
            100.0 * s.churn_rate_ci.upper,
            s.lift
        );
    }
    Ok(())
}
