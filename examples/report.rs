//! A self-contained HTML churn model report from the built-in simulation.
//!
//! Simulates 3,000 customers, cross-validates logistic regression against gradient boosting
//! on the same folds, fits both on four folds and scores the fifth, then draws ROC,
//! precision–recall, cumulative gain and calibration charts and lists the riskiest held-out
//! customers with the features on which they stand out most. Then, as a retention team would
//! see it month by month: a logistic pipeline fitted on 2023-03 … 2024-02 scores the whole
//! population on the first of each month 2024-03 … 2024-08 (risk tiers over time), feature
//! drift from the last training date to the last scoring date, Kaplan–Meier curves of the
//! simulator's true time to churn by the 2024-06-01 risk tier, a Qini curve of a simulated
//! retention campaign targeted by its true effect, and churn lift by k-means segment.
//!
//! ```text
//! cargo run --release --example report -- [path/to/churn_report.html] [--svg-dir DIR]
//! ```
//!
//! With `--svg-dir DIR` the ROC, tier-history, drift, Kaplan–Meier, Qini and segment charts
//! are also written to `DIR` as standalone SVG files (the README shows one).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use churnguard::classify::{GradientBoosting, LogisticRegression};
use churnguard::cluster::{ProfileInputs, ProfileParams, SegmenterParams, profile_segments};
use churnguard::data::EventLog;
use churnguard::eval::uplift::qini_curve;
use churnguard::eval::{StratifiedKFold, compare, reliability_curve};
use churnguard::features::LabeledMatrix;
use churnguard::model::{Dataset, Learner};
use churnguard::pipeline::Pipeline;
use churnguard::progress::Silent;
use churnguard::regression::factors::{ChurnFactors, MissingValues};
use churnguard::regression::survival::KaplanMeier;
use churnguard::report::{
    ModelReport, RiskyCustomer, ScoredModel, calibration_svg, gain_svg, kaplan_meier_svg, lift_svg, odds_ratio_svg,
    pr_svg, qini_svg, roc_svg, segment_lift_svg,
};
use churnguard::sim::{Campaign, Population, SimConfig};
use churnguard::warn::{DriftThresholds, RiskTier, Scorer, ScorerConfig, Scoring};
use churnguard::{Days, Timestamp};
use rand::{Rng, SeedableRng};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Held-out churn probabilities of one learner fitted on `train`.
fn held_out_scores(learner: &dyn Learner, train: &LabeledMatrix, test: &LabeledMatrix) -> churnguard::Result<Vec<f64>> {
    let prep = learner.default_preprocess().fit(train.features())?;
    let x = prep.transform(train.features())?;
    let model = learner.fit_model(&Dataset::with_missing(x.view(), train.labels(), prep.output_names())?)?;
    let xt = prep.transform(test.features())?;
    Ok(model.predict_proba(xt.view())?.to_vec())
}

/// The three numeric features on which a customer is furthest from the training mean, in SDs.
fn reasons(train: &LabeledMatrix, test: &LabeledMatrix, row: usize) -> Vec<String> {
    let (xs, xt) = (train.features().numeric(), test.features().numeric());
    let names = test.features().numeric_names();
    let mut scored: Vec<(f64, String)> = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let column = xs.column(j);
        let finite: Vec<f64> = column.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.len() < 2 {
            continue;
        }
        let mean = finite.iter().sum::<f64>() / finite.len() as f64;
        let sd = (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (finite.len() - 1) as f64).sqrt();
        let Some(&v) = xt.get((row, j)) else { continue };
        if sd > 0.0 && v.is_finite() {
            let z = (v - mean) / sd;
            let side = if z > 0.0 { "high" } else { "low" };
            scored.push((z.abs(), format!("{side} {name} ({v:.1}, {z:+.1} sd)")));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, r)| r).collect()
}

/// Command line: an optional output path and an optional `--svg-dir DIR`.
struct Args {
    out: PathBuf,
    svg_dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut out = None;
    let mut svg_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--svg-dir" {
            svg_dir = Some(PathBuf::from(args.next().ok_or("--svg-dir needs a directory")?));
        } else if out.is_none() {
            out = Some(PathBuf::from(a));
        } else {
            return Err(format!("unexpected argument {a:?}"));
        }
    }
    Ok(Args { out: out.unwrap_or_else(|| PathBuf::from("churn_report.html")), svg_dir })
}

/// Charts also written as standalone files when `--svg-dir` is given.
struct SvgDir(Option<PathBuf>);

impl SvgDir {
    fn keep(&self, name: &str, svg: &str) -> std::io::Result<()> {
        match &self.0 {
            Some(dir) => std::fs::write(dir.join(name), svg),
            None => Ok(()),
        }
    }
}

/// First day of each month from `year`-`month`, `n` months.
fn months(year: i32, month: u32, n: u32) -> churnguard::Result<Vec<Timestamp>> {
    (0..n).map(|i| Timestamp::from_ymd(year + ((month - 1 + i) / 12) as i32, (month - 1 + i) % 12 + 1, 1)).collect()
}

/// Kaplan–Meier curves of the simulator's true days to churn after `scoring`'s date, one per
/// risk tier, over the customers still active then (censored at the end of the simulation),
/// and how many scored customers of the high tier had already churned unseen.
fn survival_by_tier(
    population: &Population,
    scoring: &Scoring,
) -> churnguard::Result<(Vec<(String, KaplanMeier)>, usize)> {
    let latent: HashMap<_, _> = population.latent().iter().map(|l| (&l.id, l)).collect();
    let (as_of, end) = (scoring.as_of(), population.config().end());
    let (mut days, mut churned, mut tiers) = (Vec::new(), Vec::new(), Vec::new());
    let mut high_already_gone = 0;
    for c in scoring.customers() {
        let Some(l) = latent.get(&c.customer) else { continue };
        match l.churned_at {
            // Already gone before the scoring date: no time to churn after it.
            Some(t) if t < as_of => high_already_gone += usize::from(c.tier == RiskTier::High),
            Some(t) => {
                days.push(t.days_since(as_of));
                churned.push(true);
                tiers.push(c.tier);
            }
            None => {
                days.push(end.days_since(as_of));
                churned.push(false);
                tiers.push(c.tier);
            }
        }
    }
    let curves = KaplanMeier::params().fit_groups(&days, &churned, &tiers)?;
    // Highest tier first, so the legend reads like the risk ranking.
    Ok((curves.into_iter().rev().map(|(tier, km)| (format!("{tier} risk"), km)).collect(), high_already_gone))
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let Args { out, svg_dir } = parse_args()?;
    if let Some(dir) = &svg_dir {
        std::fs::create_dir_all(dir)?;
    }
    let svgs = SvgDir(svg_dir);
    let population = Population::generate(&SimConfig { n_customers: 3_000, ..SimConfig::default() })?;
    let log = EventLog::from_source(population.records())?;
    let data = Pipeline::new(LogisticRegression::params()).training_data(&log, &[Timestamp::from_ymd(2024, 6, 1)?])?;

    let logit = LogisticRegression::params();
    let gbm = GradientBoosting::params().learning_rate(0.05).n_trees(100).seed(1);
    let learners: [(&str, &dyn Learner); 2] = [("logistic regression", &logit), ("gradient boosting", &gbm)];
    let folds = StratifiedKFold::new(5, 42)?;
    let comparison = compare(&learners.map(|(_, l)| l), &data, &folds, &Silent)?;

    let split = folds.split(data.labels())?;
    let fold = split.first().ok_or("no folds")?;
    let (train, test) = (data.select_rows(&fold.train)?, data.select_rows(&fold.test)?);
    let labels = test.labels().to_vec();
    let scores =
        learners.iter().map(|(_, l)| held_out_scores(*l, &train, &test)).collect::<churnguard::Result<Vec<_>>>()?;
    let models: Vec<ScoredModel<'_>> =
        learners.iter().zip(&scores).map(|((name, _), s)| ScoredModel { name, labels: &labels, scores: s }).collect();
    let boosting = scores.get(1).ok_or("no boosting scores")?;

    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| boosting[b].total_cmp(&boosting[a]));
    let riskiest = order
        .iter()
        .take(10)
        .map(|&r| RiskyCustomer {
            customer: test.features().customer_ids()[r].to_string(),
            probability: boosting[r],
            reasons: reasons(&train, &test, r),
        })
        .collect();

    let roc = roc_svg(&models)?;
    svgs.keep("roc.svg", &roc)?;
    let report = ModelReport::new(format!(
        "Churn model report: simulation, {} active customers on 2024-06-01, churn {:.1}%",
        data.n_rows(),
        100.0 * data.churn_rate()
    ))
    .comparison(comparison)
    .chart("ROC curve (held-out fold)", roc.clone())
    .chart("Precision-recall (held-out fold)", pr_svg(&models)?)
    .chart("Cumulative gain (held-out fold)", gain_svg(&models)?)
    .chart("Cumulative lift (held-out fold)", lift_svg(&models)?)
    .chart(
        "Calibration of gradient boosting (held-out fold)",
        calibration_svg("gradient boosting", &reliability_curve(&labels, boosting, 10)?)?,
    )
    .riskiest(riskiest);

    // Why customers churn: logistic churn factors on all rows (a fit failure only drops the section).
    let report = match ChurnFactors::params().fit_features(data.features(), data.labels(), MissingValues::DropRows) {
        Ok(fit) => {
            let mut top: Vec<_> =
                fit.terms().iter().filter(|t| t.name != churnguard::regression::factors::INTERCEPT).cloned().collect();
            top.sort_by(|a, b| a.p_value.total_cmp(&b.p_value));
            top.truncate(12);
            report.factors(&top, 12).chart("Churn factors (odds ratios, 95% CI)", odds_ratio_svg(&top)?)
        }
        Err(e) => {
            eprintln!("churn factors skipped: {e}");
            report
        }
    };

    // Monitoring: a pipeline fitted on twelve monthly snapshots 2023-03 … 2024-02 (their 90-day
    // labels close before the first scoring date) scores the population on the first of each
    // month 2024-03 … 2024-08.
    let train_dates = months(2023, 3, 12)?;
    let fitted = Pipeline::new(LogisticRegression::params()).fit_log(&log, &train_dates, &Silent)?;
    let scorer = Scorer::new(fitted, ScorerConfig::default())?;
    let mut history = Vec::new();
    let mut scorings: Vec<Scoring> = Vec::new();
    for date in months(2024, 3, 6)? {
        let scoring = scorer.score_log(&log, date, scorings.last(), &Silent)?;
        history.push((date, scoring.tier_counts()));
        scorings.push(scoring);
    }
    let report = report.tier_history(&history)?;
    svgs.keep("tier_history.svg", &churnguard::report::tier_history_svg(&history)?)?;
    let thresholds = DriftThresholds::default();
    let (last_train, last_scoring) =
        (*train_dates.last().ok_or("no training date")?, *history.last().ok_or("no scoring")?);
    let drift = scorer.drift(&log, last_train, last_scoring.0, &thresholds)?;
    let report = report.drift(&drift, &thresholds, 15)?;
    svgs.keep("drift.svg", &churnguard::report::drift_svg(&drift, &thresholds, 15)?)?;

    // Time to churn by risk tier, from the simulator's latent churn dates.
    let june = scorings.iter().find(|s| s.as_of() == Timestamp::from_ymd(2024, 6, 1).unwrap_or_default());
    let june = june.ok_or("no 2024-06-01 scoring")?;
    let (curves, high_already_gone) = survival_by_tier(&population, june)?;
    let groups: Vec<(&str, &KaplanMeier)> = curves.iter().map(|(name, km)| (name.as_str(), km)).collect();
    let km_svg = kaplan_meier_svg(&groups, "Days since 2024-06-01")?;
    svgs.keep("kaplan_meier.svg", &km_svg)?;
    let report = report.chart(
        format!(
            "Time to churn after 2024-06-01 by risk tier (simulated truth, days; customers still active then — \
             {high_already_gone} of the {} high-risk customers had already churned unseen)",
            june.tier_counts().high
        ),
        km_svg,
    );

    // A retention campaign on 2024-06-01, half the customers at random, targeted by its true
    // effect (the best any uplift model could do).
    let campaign = population.campaign_truth(Timestamp::from_ymd(2024, 6, 1)?, Days(90), 20, &Campaign::default())?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let assigned: Vec<bool> = campaign.customers.iter().map(|_| rng.gen_bool(0.5)).collect();
    let retained: Vec<bool> = campaign.draw_outcomes(&assigned, 11)?.into_iter().map(|churned| !churned).collect();
    let qini = qini_curve(&retained, &campaign.effect(), &assigned)?;
    let qini_chart = qini_svg("true effect ranking", &qini)?;
    svgs.keep("qini.svg", &qini_chart)?;
    let report = report.chart("Qini curve of a simulated retention campaign (2024-06-01, 90 days)", qini_chart);

    // Segments: k-means on engagement columns of the 2024-06-01 snapshot, named by what sets them apart.
    let columns = ["days_since_last_order", "order_count_30d", "order_count_90d", "spend_90d", "visit_count_30d"];
    let segmenter = SegmenterParams::new(5).columns(columns).seed(42).fit(data.features())?;
    let segment_of = segmenter.predict(data.features())?;
    let mut profiles = profile_segments(
        &ProfileInputs {
            features: data.features(),
            segments: &segment_of,
            k: segmenter.k(),
            churned: data.labels(),
            model: None,
            clv: None,
        },
        &ProfileParams::default(),
    )?;
    profiles.retain(|p| p.size > 0);
    profiles.sort_by(|a, b| b.lift.total_cmp(&a.lift));
    let segment_chart = segment_lift_svg(&profiles)?;
    svgs.keep("segment_lift.svg", &segment_chart)?;
    let report = report.chart("Churn lift by segment (2024-06-01)", segment_chart).segments(&profiles);

    let high = history.iter().map(|(d, t)| format!("{d}: {}", t.high)).collect::<Vec<_>>().join(", ");
    println!("high-risk customers per month: {high}");
    println!("worst drift level {:?}, {} alerts", drift.worst_level(), drift.alerts().len());
    std::fs::write(&out, report.to_html()?)?;
    println!("report written to {}", out.display());
    Ok(())
}
