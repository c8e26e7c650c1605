//! [`Pipeline`]: from raw customer records to churn probabilities with reasons.
//!
//! A pipeline is a [`FeatureSpec`] (with look-back and horizon), preprocessing
//! settings and a [`Learner`]. [`Pipeline::fit`] reads a [`DataSource`],
//! builds labelled snapshots at one or more `as_of` dates, fits the
//! preprocessor and the model, and returns a [`FittedPipeline`], which scores
//! every active customer at a new date and saves to one versioned file.
//!
//! ```
//! use churnguard::{classify::LogisticRegression, pipeline::{FittedPipeline, Pipeline}, progress::Silent};
//! use churnguard::{sim::{Population, SimConfig}, Timestamp};
//! let pop = Population::generate(&SimConfig { n_customers: 500, ..SimConfig::default() })?;
//! let pipeline = Pipeline::new(LogisticRegression::params());
//! let dates = [Timestamp::from_ymd(2024, 4, 1)?, Timestamp::from_ymd(2024, 7, 1)?];
//! let fitted = pipeline.fit(pop.records(), &dates, &Silent)?;
//! let scores = fitted.score(pop.records(), Timestamp::from_ymd(2024, 12, 1)?, 3)?;
//! let riskiest = &scores[0]; // sorted by probability, highest first
//! assert!(riskiest.probability >= scores[scores.len() - 1].probability);
//! assert_eq!(riskiest.reasons.len(), 3);
//!
//! let file = std::env::temp_dir().join("churnguard-doc-pipeline.json");
//! fitted.save(&file)?;
//! let again = FittedPipeline::load(&file)?;
//! assert_eq!(again.score(pop.records(), Timestamp::from_ymd(2024, 12, 1)?, 3)?, scores);
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{CustomerId, DataSource, EventLog};
use crate::error::{Error, Result, ensure};
use crate::eval::{BacktestReport, BacktestStep, CvReport, Metrics, StratifiedKFold, cross_validate};
use crate::features::{FeatureSpec, LabeledMatrix, Snapshot};
use crate::model::{Dataset, FittedModel, Learner, ModelMetadata, Reasons, SavedModel};
use crate::preprocess::PreprocessParams;
use crate::progress::{Progress, ProgressUpdate};
use crate::time::{Days, Timestamp};

/// What a fitted pipeline needs to rebuild features at scoring time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineSettings {
    /// Features and churn definition.
    pub features: FeatureSpec,
    /// Look-back of every snapshot.
    pub lookback: Days,
    /// Label horizon.
    pub horizon: Days,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        PipelineSettings { features: FeatureSpec::default(), lookback: Days(365), horizon: Days(90) }
    }
}

impl PipelineSettings {
    /// The snapshot at `as_of`.
    pub fn snapshot(&self, as_of: Timestamp) -> Result<Snapshot> {
        let s = Snapshot::new(as_of, self.lookback, self.horizon)?;
        self.features.check(&s)?;
        Ok(s)
    }
}

/// Feature spec + preprocessing + learner, unfitted.
#[derive(Clone, Debug)]
pub struct Pipeline {
    settings: PipelineSettings,
    preprocess: PreprocessParams,
    learner: Arc<dyn Learner>,
}

impl Pipeline {
    /// A pipeline with default features (365-day look-back, 90-day horizon) and the
    /// learner's preferred preprocessing ([`Learner::default_preprocess`]).
    pub fn new(learner: impl Learner + 'static) -> Self {
        let preprocess = learner.default_preprocess();
        Pipeline { settings: PipelineSettings::default(), preprocess, learner: Arc::new(learner) }
    }

    /// Use `spec` for features and the churn definition.
    pub fn features(mut self, spec: FeatureSpec) -> Self {
        self.settings.features = spec;
        self
    }

    /// Set the look-back.
    pub fn lookback(mut self, days: Days) -> Self {
        self.settings.lookback = days;
        self
    }

    /// Set the label horizon.
    pub fn horizon(mut self, days: Days) -> Self {
        self.settings.horizon = days;
        self
    }

    /// Set the preprocessing.
    pub fn preprocess(mut self, params: PreprocessParams) -> Self {
        self.preprocess = params;
        self
    }

    /// The feature settings.
    pub fn settings(&self) -> &PipelineSettings {
        &self.settings
    }

    /// The learner.
    pub fn learner(&self) -> &dyn Learner {
        self.learner.as_ref()
    }

    /// Labelled snapshots at `as_of` dates, stacked.
    pub fn training_data(&self, log: &EventLog, as_of: &[Timestamp]) -> Result<LabeledMatrix> {
        ensure!(!as_of.is_empty(), Error::param("as_of dates", "[]", "need at least one date"));
        let snapshot = self.settings.snapshot(as_of[0])?;
        self.settings.features.labeled_at(log, &snapshot, as_of)
    }

    /// Read `source` and fit at the `as_of` dates.
    pub fn fit(&self, source: &dyn DataSource, as_of: &[Timestamp], progress: &dyn Progress) -> Result<FittedPipeline> {
        let log = EventLog::from_source(source)?;
        self.fit_log(&log, as_of, progress)
    }

    /// Fit on an already built event log.
    pub fn fit_log(&self, log: &EventLog, as_of: &[Timestamp], progress: &dyn Progress) -> Result<FittedPipeline> {
        let total = 3;
        let data = self.training_data(log, as_of)?;
        data.check_both_classes()?;
        progress.update(ProgressUpdate { stage: "fit", done: 1, total });
        let prep = self.preprocess.fit(data.features())?;
        let x = prep.transform(data.features())?;
        progress.update(ProgressUpdate { stage: "fit", done: 2, total });
        let model = self.learner.fit_model(&Dataset::with_missing(x.view(), data.labels(), prep.output_names())?)?;
        progress.update(ProgressUpdate { stage: "fit", done: 3, total });
        let metadata = ModelMetadata {
            model_name: model.name().to_string(),
            trained_as_of: as_of.to_vec(),
            n_training_rows: data.n_rows(),
            training_churn_rate: data.churn_rate(),
            cv: None,
        };
        let model = FittedModel::new(prep, Arc::from(model), metadata)?;
        Ok(FittedPipeline { settings: self.settings.clone(), model })
    }

    /// Stratified k-fold cross-validation on the snapshots at `as_of` (stacked;
    /// a customer's rows from different dates stay in one fold).
    pub fn cross_validate(
        &self,
        log: &EventLog,
        as_of: &[Timestamp],
        folds: &StratifiedKFold,
        progress: &dyn Progress,
    ) -> Result<CvReport> {
        let data = self.training_data(log, as_of)?;
        cross_validate(self.learner.as_ref(), &self.preprocess, &data, folds, progress)
    }

    /// Time-based backtest: for each date after the first, fit on every earlier
    /// date whose label window has closed by then (`d + horizon ≤ test date`)
    /// and evaluate at the test date. Training labels therefore never overlap
    /// the test period.
    ///
    /// Errors: fewer than two dates, unsorted dates, or a test date with no
    /// earlier date far enough back.
    pub fn backtest(&self, log: &EventLog, dates: &[Timestamp], progress: &dyn Progress) -> Result<BacktestReport> {
        ensure!(dates.len() >= 2, Error::param("dates", dates.len(), "a backtest needs at least two dates"));
        ensure!(
            dates.windows(2).all(|w| w[0] < w[1]),
            Error::param("dates", "unsorted", "dates must be strictly increasing")
        );
        let total = dates.len() - 1;
        let mut steps = Vec::with_capacity(total);
        for (k, &test_date) in dates.iter().enumerate().skip(1) {
            let train: Vec<Timestamp> =
                dates[..k].iter().copied().filter(|&d| d + self.settings.horizon <= test_date).collect();
            ensure!(
                !train.is_empty(),
                Error::param(
                    "dates",
                    test_date,
                    "no earlier date has a label window that closes before this test date"
                )
            );
            let fitted = self.fit_log(log, &train, &crate::progress::Silent)?;
            let test = self.training_data(log, &[test_date])?;
            let probs = fitted.model.predict_proba(test.features())?;
            let metrics = Metrics::compute(test.labels(), &probs.to_vec())?;
            steps.push(BacktestStep { as_of: test_date, trained_on: train, metrics });
            progress.update(ProgressUpdate { stage: "backtest", done: k, total });
        }
        BacktestReport::new(steps)
    }
}

/// A customer's churn score at a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerScore {
    /// The customer.
    pub customer: CustomerId,
    /// Probability of no activity in the horizon after the scoring date.
    pub probability: f64,
    /// The input features raising the risk most, strongest first.
    pub reasons: Reasons,
}

impl CustomerScore {
    /// The order of every ranking: highest probability first, ties by customer id.
    pub(crate) fn riskiest_first(a: &CustomerScore, b: &CustomerScore) -> std::cmp::Ordering {
        b.probability.total_cmp(&a.probability).then_with(|| a.customer.cmp(&b.customer))
    }
}

/// A fitted pipeline: rebuilds features from events and scores customers.
#[derive(Clone, Debug)]
pub struct FittedPipeline {
    settings: PipelineSettings,
    model: FittedModel,
}

impl FittedPipeline {
    /// Feature settings.
    pub fn settings(&self) -> &PipelineSettings {
        &self.settings
    }

    /// The fitted preprocessor and model.
    pub fn model(&self) -> &FittedModel {
        &self.model
    }

    /// Read `source` and score every eligible customer at `as_of`, riskiest
    /// first, each with its `reasons` top reasons.
    pub fn score(&self, source: &dyn DataSource, as_of: Timestamp, reasons: usize) -> Result<Vec<CustomerScore>> {
        let log = EventLog::from_source(source)?;
        self.score_log(&log, as_of, reasons, &crate::progress::Silent)
    }

    /// Score every eligible customer of `log` at `as_of`, riskiest first.
    pub fn score_log(
        &self,
        log: &EventLog,
        as_of: Timestamp,
        reasons: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<CustomerScore>> {
        let mut scores = self.score_log_unsorted(log, as_of, reasons, progress)?;
        scores.sort_by(CustomerScore::riskiest_first);
        Ok(scores)
    }

    /// [`score_log`](Self::score_log) in log order, for callers that sort anyway.
    pub(crate) fn score_log_unsorted(
        &self,
        log: &EventLog,
        as_of: Timestamp,
        reasons: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<CustomerScore>> {
        let snapshot = self.settings.snapshot(as_of)?;
        let features = self.settings.features.extract(log, &snapshot)?;
        self.score_features(features, reasons, progress)
    }

    /// Score one customer at `as_of` (eligible or not).
    ///
    /// Errors: [`Error::UnknownCustomer`], or [`Error::NoEvents`] if the customer
    /// has no event before `as_of`.
    pub fn score_customer(
        &self,
        log: &EventLog,
        id: &CustomerId,
        as_of: Timestamp,
        reasons: usize,
    ) -> Result<CustomerScore> {
        let snapshot = self.settings.snapshot(as_of)?;
        let features = self.settings.features.extract_customer(log, id, &snapshot)?;
        let mut v = self.score_features(features, reasons, &crate::progress::Silent)?;
        v.pop().ok_or_else(|| Error::UnknownCustomer { customer: id.to_string() })
    }

    /// Score every row of `features` (consumed: each customer id moves into its score
    /// rather than being cloned from shared memory by both scoring threads).
    pub(crate) fn score_features(
        &self,
        features: crate::features::FeatureMatrix,
        reasons: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<CustomerScore>> {
        let x = self.model.preprocessor().transform(&features)?;
        let probs = self.model.model().predict_proba(x.view())?;
        let n = features.n_rows();
        let index = self.model.reason_index(&features);
        let sources = self.model.preprocessor().output_sources();
        // Small chunks keep both threads busy to the end (three 4096-row chunks on two
        // threads left one idle for a third of the time) and still amortise progress calls.
        let chunk = 512;
        let done = std::sync::atomic::AtomicUsize::new(0);
        // Per worker (not per chunk): its own copy of the reason names and its buffers.
        // No copy at all when no reasons are asked for.
        let init =
            || ((reasons > 0).then(|| index.for_one_thread()), crate::model::ReasonScratch::default(), Vec::new());
        let named: Vec<Vec<Reasons>> = (0..n.div_ceil(chunk))
            .into_par_iter()
            .map_init(init, |(index, scratch, contributions), c| {
                let rows = (c * chunk)..((c + 1) * chunk).min(n);
                let mut part = Vec::with_capacity(rows.len());
                for r in rows {
                    part.push(match index {
                        None => Reasons::new(),
                        Some(index) => {
                            self.model.model().contributions_into(x.row(r), contributions)?;
                            index.top(sources, &features, r, contributions, reasons, scratch)
                        }
                    });
                }
                let finished = done.fetch_add(part.len(), std::sync::atomic::Ordering::Relaxed) + part.len();
                progress.update(ProgressUpdate { stage: "scoring", done: finished, total: n });
                Ok(part)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(features
            .into_customer_ids()
            .into_iter()
            .zip(probs)
            .zip(named.into_iter().flatten())
            .map(|((customer, probability), reasons)| CustomerScore { customer, probability, reasons })
            .collect())
    }

    /// The serialisable form.
    pub fn to_saved(&self) -> Result<SavedModel> {
        let mut saved = self.model.to_saved()?;
        saved.pipeline = Some(self.settings.clone());
        Ok(saved)
    }

    /// Save to `path` (JSON).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.to_saved()?.write(path)
    }

    /// Load a pipeline saved with [`save`](Self::save).
    ///
    /// Errors: I/O, [`Error::ModelVersion`] for another format version,
    /// [`Error::ModelFormat`] for a truncated/corrupted file or a model saved
    /// without pipeline settings, [`Error::FeatureMismatch`] if its parts disagree.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let saved = SavedModel::read(path)?;
        let settings = saved.pipeline.clone().ok_or_else(|| Error::ModelFormat {
            message: "the file holds a tabular model without pipeline settings; load it with FittedModel::load".into(),
        })?;
        // The features this spec produces must be the ones the preprocessor was fitted on.
        let probe = settings.snapshot(Timestamp::from_unix_seconds(0))?;
        let mut expected = settings.features.numeric_names(&probe)?;
        expected.extend(settings.features.categorical_names());
        ensure!(
            expected == saved.input_features,
            Error::FeatureMismatch { expected: saved.input_features.clone(), found: expected }
        );
        Ok(FittedPipeline { settings, model: FittedModel::from_saved(saved)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::LogisticRegression;
    use crate::progress::Silent;
    use crate::sim::{Population, SimConfig};

    fn log(n: usize) -> EventLog {
        let pop = Population::generate(&SimConfig { n_customers: n, ..SimConfig::default() }).unwrap();
        EventLog::from_source(pop.records()).unwrap()
    }

    fn date(y: i32, m: u32) -> Timestamp {
        Timestamp::from_ymd(y, m, 1).unwrap()
    }

    #[test]
    fn backtest_trains_only_on_snapshots_whose_labels_closed_before_the_test_date() {
        let log = log(600);
        let pipeline = Pipeline::new(LogisticRegression::params());
        let dates = [date(2024, 1), date(2024, 4), date(2024, 5), date(2024, 8)];
        let report = pipeline.backtest(&log, &dates, &Silent).unwrap();
        // Horizon 90 days: 2024-04-01 may use 2024-01-01 (closes 2024-03-31); 2024-05-01 too,
        // but not 2024-04-01 (closes 2024-06-30); 2024-08-01 may use all three earlier dates.
        let trained: Vec<Vec<Timestamp>> = report.steps.iter().map(|s| s.trained_on.clone()).collect();
        assert_eq!(trained, vec![vec![dates[0]], vec![dates[0]], vec![dates[0], dates[1], dates[2]]]);
        assert_eq!(report.steps.iter().map(|s| s.as_of).collect::<Vec<_>>(), dates[1..].to_vec());
        for s in &report.steps {
            assert!(s.metrics.roc_auc > 0.6, "{}: {}", s.as_of, s.metrics);
        }
    }

    #[test]
    fn backtest_rejects_too_few_unsorted_or_overlapping_dates() {
        let log = log(200);
        let pipeline = Pipeline::new(LogisticRegression::params());
        let err = |dates: &[Timestamp]| pipeline.backtest(&log, dates, &Silent).unwrap_err();
        assert!(matches!(err(&[date(2024, 1)]), Error::InvalidParameter { name: "dates", .. }));
        assert!(matches!(err(&[date(2024, 5), date(2024, 1)]), Error::InvalidParameter { name: "dates", .. }));
        // One month apart: the first label window (90 days) is still open at the second date.
        assert!(matches!(err(&[date(2024, 1), date(2024, 2)]), Error::InvalidParameter { name: "dates", .. }));
    }

    #[test]
    fn a_boosting_pipeline_keeps_missing_values_and_round_trips_through_a_file() {
        let log = log(400);
        let learner = crate::classify::GradientBoosting::params().n_trees(20).seed(3);
        let pipeline = Pipeline::new(learner);
        assert_eq!(pipeline.preprocess.impute, crate::preprocess::Impute::Keep);
        let fitted = pipeline.fit_log(&log, &[date(2024, 4), date(2024, 6)], &Silent).unwrap();
        let scores = fitted.score_log(&log, date(2024, 10), 2, &Silent).unwrap();
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(&s.probability) && s.reasons.len() == 2));
        let file = tempfile::NamedTempFile::new().unwrap();
        fitted.save(file.path()).unwrap();
        let again = FittedPipeline::load(file.path()).unwrap();
        assert_eq!(again.score_log(&log, date(2024, 10), 2, &Silent).unwrap(), scores);
    }

    #[test]
    fn loading_checks_that_the_feature_spec_matches_the_preprocessor() {
        let log = log(300);
        let fitted = Pipeline::new(LogisticRegression::params()).fit_log(&log, &[date(2024, 6)], &Silent).unwrap();
        let mut saved = fitted.to_saved().unwrap();
        // Drop a family from the stored spec: the model was fitted on features it would no longer produce.
        if let Some(p) = saved.pipeline.as_mut() {
            p.features.families.reviews = false;
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        saved.write(file.path()).unwrap();
        assert!(matches!(FittedPipeline::load(file.path()), Err(Error::FeatureMismatch { .. })));
    }
}
