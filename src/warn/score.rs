//! Batch scoring in the shape marketing tools use.
//!
//! A [`Scorer`] wraps a [`FittedPipeline`]: it scores a whole population at a
//! date and returns a [`Scoring`] with, per customer, the churn probability, a
//! 0–100 risk score, a [`RiskTier`], the percentile rank in the population, the
//! top reasons, and the [`RiskChange`] since a previous scoring.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{CustomerId, DataSource, EventLog};
use crate::error::{Error, Result, ensure};
use crate::model::Reasons;
use crate::pipeline::{CustomerScore, FittedPipeline};
use crate::progress::{Progress, ProgressUpdate};
use crate::time::Timestamp;

/// Risk tier of a customer, ordered `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    /// Below the medium cut-off.
    Low,
    /// At or above the medium cut-off, below the high cut-off.
    Medium,
    /// At or above the high cut-off.
    High,
}

impl fmt::Display for RiskTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            RiskTier::Low => "low",
            RiskTier::Medium => "medium",
            RiskTier::High => "high",
        })
    }
}

/// Where the tiers are cut.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierCutoffs {
    /// On the 0–100 risk score: `score < medium` is low, `medium ≤ score < high` medium,
    /// `score ≥ high` high. Default 50 and 75.
    Score {
        /// Lowest score of the medium tier.
        medium: f64,
        /// Lowest score of the high tier.
        high: f64,
    },
    /// On the population share: a customer is high when more than `high` of the
    /// population (counting ties with it) has a probability at most its own, i.e. the
    /// top `1 − high` of the population; medium likewise with `medium`. Fractions in `[0, 1]`.
    Quantile {
        /// Population share below the medium tier (e.g. 0.5: the top half is at least medium).
        medium: f64,
        /// Population share below the high tier (e.g. 0.9: the top 10% is high).
        high: f64,
    },
}

impl Default for TierCutoffs {
    fn default() -> Self {
        TierCutoffs::Score { medium: 50.0, high: 75.0 }
    }
}

impl TierCutoffs {
    /// Check the cut-offs: finite, in range (`[0, 100]` for scores, `[0, 1]` for
    /// quantiles) and in order (`medium ≤ high`).
    pub fn check(&self) -> Result<()> {
        let (medium, high, top) = match *self {
            TierCutoffs::Score { medium, high } => (medium, high, 100.0),
            TierCutoffs::Quantile { medium, high } => (medium, high, 1.0),
        };
        for (name, v) in [("medium cut-off", medium), ("high cut-off", high)] {
            ensure!(
                v.is_finite() && (0.0..=top).contains(&v),
                Error::param(
                    name,
                    v,
                    "tier cut-offs must be finite, within [0, 100] for scores or [0, 1] for quantiles"
                )
            );
        }
        ensure!(
            medium <= high,
            Error::param("tier cut-offs", format!("medium {medium} > high {high}"), "medium must not exceed high")
        );
        Ok(())
    }
}

/// Scoring settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorerConfig {
    /// Tier cut-offs (default: score 50 / 75).
    pub cutoffs: TierCutoffs,
    /// Number of top reasons kept per customer (default 3).
    pub reasons: usize,
}

impl Default for ScorerConfig {
    fn default() -> Self {
        ScorerConfig { cutoffs: TierCutoffs::default(), reasons: 3 }
    }
}

/// What changed for a customer since the previous scoring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskChange {
    /// Date of the previous scoring.
    pub previous_as_of: Timestamp,
    /// Probability at the previous scoring.
    pub previous_probability: f64,
    /// Tier at the previous scoring.
    pub previous_tier: RiskTier,
    /// `probability − previous_probability`.
    pub probability_delta: f64,
}

/// One customer's risk, as exported to a marketing tool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerRisk {
    /// The customer.
    pub customer: CustomerId,
    /// Probability of churning within the pipeline's horizon.
    pub probability: f64,
    /// `100 × probability`, on the 0–100 scale tiers are cut on.
    pub risk_score: f64,
    /// Risk tier.
    pub tier: RiskTier,
    /// Percentile rank in the scored population (0–100): the percentage of customers
    /// with a lower probability plus half of those tied with it
    /// (scipy's `percentileofscore(kind="mean")`).
    pub percentile: f64,
    /// Features raising this customer's risk most, strongest first.
    pub reasons: Reasons,
    /// Change since the previous scoring; `None` without one or for a customer new to it.
    pub change: Option<RiskChange>,
}

impl CustomerRisk {
    /// Whether the customer moved to a higher tier since the previous scoring.
    pub fn escalated(&self) -> bool {
        self.change.as_ref().is_some_and(|c| self.tier > c.previous_tier)
    }
}

/// Customers per tier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCounts {
    /// Low-tier customers.
    pub low: usize,
    /// Medium-tier customers.
    pub medium: usize,
    /// High-tier customers.
    pub high: usize,
}

/// A scored population at one date, riskiest customer first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scoring {
    as_of: Timestamp,
    customers: Vec<CustomerRisk>,
}

impl Scoring {
    /// The scoring date.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// Every customer, riskiest first (ties by customer id).
    pub fn customers(&self) -> &[CustomerRisk] {
        &self.customers
    }

    /// A customer's risk, if scored.
    pub fn get(&self, customer: &CustomerId) -> Option<&CustomerRisk> {
        self.customers.iter().find(|c| &c.customer == customer)
    }

    /// Probabilities in the order of [`customers`](Self::customers) (e.g. for
    /// [`score_drift`](crate::warn::score_drift)).
    pub fn probabilities(&self) -> Vec<f64> {
        self.customers.iter().map(|c| c.probability).collect()
    }

    /// Customers per tier.
    pub fn tier_counts(&self) -> TierCounts {
        let mut t = TierCounts::default();
        for c in &self.customers {
            match c.tier {
                RiskTier::Low => t.low += 1,
                RiskTier::Medium => t.medium += 1,
                RiskTier::High => t.high += 1,
            }
        }
        t
    }

    /// Customers at `min_tier` or above, riskiest first.
    pub fn at_risk(&self, min_tier: RiskTier) -> impl Iterator<Item = &CustomerRisk> + '_ {
        self.customers.iter().filter(move |c| c.tier >= min_tier)
    }

    /// Customers who moved to a higher tier since the previous scoring.
    pub fn escalated(&self) -> impl Iterator<Item = &CustomerRisk> + '_ {
        self.customers.iter().filter(|c| c.escalated())
    }
}

/// Turn per-customer probabilities and reasons (e.g. from
/// [`FittedPipeline::score_log`]) into a [`Scoring`]: risk score, tier,
/// percentile, and change against `previous` when given.
///
/// ```
/// use churnguard::{data::CustomerId, pipeline::CustomerScore, Timestamp};
/// use churnguard::warn::{rank_scores, RiskTier, ScorerConfig};
/// let scores: Vec<CustomerScore> = [("a", 0.9), ("b", 0.6), ("c", 0.1)]
///     .iter()
///     .map(|&(id, p)| CustomerScore { customer: CustomerId::new(id), probability: p, reasons: Default::default() })
///     .collect();
/// let scoring = rank_scores(scores, Timestamp::from_ymd(2024, 6, 1)?, &ScorerConfig::default(), None)?;
/// let tiers: Vec<RiskTier> = scoring.customers().iter().map(|c| c.tier).collect();
/// assert_eq!(tiers, [RiskTier::High, RiskTier::Medium, RiskTier::Low]);
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// Errors: invalid cut-offs, no scores ([`Error::EmptyData`]), a probability that
/// is not finite or outside `[0, 1]`, or a customer scored twice.
pub fn rank_scores(
    scores: Vec<CustomerScore>,
    as_of: Timestamp,
    config: &ScorerConfig,
    previous: Option<&Scoring>,
) -> Result<Scoring> {
    let mut seen = HashSet::with_capacity(scores.len());
    for s in &scores {
        ensure!(seen.insert(&s.customer), Error::param("customer", &s.customer, "scored twice"));
    }
    drop(seen);
    rank_unique(scores, as_of, config, previous)
}

/// [`rank_scores`] for scores whose customers are known to be distinct (rows of a
/// feature matrix built from an [`EventLog`] or a monitor, one per customer): hashing
/// every id to prove it again was about 5% of batch scoring.
pub(crate) fn rank_unique(
    scores: Vec<CustomerScore>,
    as_of: Timestamp,
    config: &ScorerConfig,
    previous: Option<&Scoring>,
) -> Result<Scoring> {
    config.cutoffs.check()?;
    ensure!(!scores.is_empty(), Error::EmptyData { context: format!("no customer to score at {as_of}") });
    debug_assert_eq!(scores.iter().map(|s| &s.customer).collect::<HashSet<_>>().len(), scores.len());
    for (row, s) in scores.iter().enumerate() {
        ensure!(
            s.probability.is_finite(),
            Error::NonFinite { column: "probability".into(), row, value: s.probability }
        );
        ensure!(
            (0.0..=1.0).contains(&s.probability),
            Error::param("probability", s.probability, "a churn probability must lie in [0, 1]")
        );
    }
    // Riskiest first, ties by id: sort positions, then move each customer once (sorting
    // the customers themselves moved every record O(log n) times).
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.par_sort_unstable_by(|&a, &b| CustomerScore::riskiest_first(&scores[a], &scores[b]));
    // Percentile ranks read off the ranking in one pass (a binary search per customer cost
    // more): a run of equal probabilities at positions [a, b) of the riskiest-first order
    // has n − b customers below it and n − a at or below it.
    let len = scores.len();
    let mut ties = vec![(0usize, 0usize); len];
    let mut a = 0;
    while a < len {
        let p = scores[order[a]].probability;
        let b = a + order[a..].iter().take_while(|&&i| scores[i].probability == p).count();
        for &i in &order[a..b] {
            ties[i] = (len - b, len - a);
        }
        a = b;
    }
    let n = len as f64;
    let before: HashMap<&CustomerId, &CustomerRisk> =
        previous.map(|p| p.customers.iter().map(|c| (&c.customer, c)).collect()).unwrap_or_default();
    let cutoffs = config.cutoffs;
    let ranked: Vec<CustomerRisk> = scores
        .into_par_iter()
        .zip(ties)
        .map(|(s, (below, at_most))| {
            let (below, at_most) = (below as f64, at_most as f64);
            let risk_score = 100.0 * s.probability;
            let tier = match cutoffs {
                TierCutoffs::Score { medium, high } => tier_of(risk_score, medium, high),
                // Share of the population at or below this customer; strictly above the cut-off.
                TierCutoffs::Quantile { medium, high } => tier_of_share(at_most / n, medium, high),
            };
            let change = before.get(&s.customer).map(|p| RiskChange {
                previous_as_of: previous.map(|p| p.as_of).unwrap_or(as_of),
                previous_probability: p.probability,
                previous_tier: p.tier,
                probability_delta: s.probability - p.probability,
            });
            let mut reasons = s.reasons;
            reasons.truncate(config.reasons);
            CustomerRisk {
                customer: s.customer,
                probability: s.probability,
                risk_score,
                tier,
                // percentileofscore(kind="mean") = 100·(below + ½·ties)/n.
                percentile: 100.0 * (below + 0.5 * (at_most - below)) / n,
                reasons,
                change,
            }
        })
        .collect();
    let mut slots: Vec<Option<CustomerRisk>> = ranked.into_iter().map(Some).collect();
    // `order` is a permutation of the positions (ids are unique), so every slot is taken once.
    let customers: Vec<CustomerRisk> = order.iter().filter_map(|&i| slots.get_mut(i).and_then(Option::take)).collect();
    Ok(Scoring { as_of, customers })
}

/// Tier of a customer with `share` of the population at or below their probability:
/// strictly above a cut-off moves up.
pub(crate) fn tier_of_share(share: f64, medium: f64, high: f64) -> RiskTier {
    if share > high {
        RiskTier::High
    } else if share > medium {
        RiskTier::Medium
    } else {
        RiskTier::Low
    }
}

pub(crate) fn tier_of(score: f64, medium: f64, high: f64) -> RiskTier {
    if score >= high {
        RiskTier::High
    } else if score >= medium {
        RiskTier::Medium
    } else {
        RiskTier::Low
    }
}

/// Scores whole populations with a fitted pipeline and ranks them into tiers.
#[derive(Clone, Debug)]
pub struct Scorer {
    pipeline: FittedPipeline,
    config: ScorerConfig,
}

impl Scorer {
    /// A scorer with checked settings.
    ///
    /// Errors: invalid tier cut-offs.
    pub fn new(pipeline: FittedPipeline, config: ScorerConfig) -> Result<Self> {
        config.cutoffs.check()?;
        Ok(Scorer { pipeline, config })
    }

    /// The fitted pipeline.
    pub fn pipeline(&self) -> &FittedPipeline {
        &self.pipeline
    }

    /// The settings.
    pub fn config(&self) -> &ScorerConfig {
        &self.config
    }

    /// Read `source` and score every eligible customer at `as_of`.
    pub fn score(
        &self,
        source: &dyn DataSource,
        as_of: Timestamp,
        previous: Option<&Scoring>,
        progress: &dyn Progress,
    ) -> Result<Scoring> {
        self.score_log(&EventLog::from_source(source)?, as_of, previous, progress)
    }

    /// Score every eligible customer of `log` at `as_of` (in parallel; `progress`
    /// gets `"scoring"` updates per chunk of customers, then one `"ranking"` update),
    /// with changes against `previous` when given.
    ///
    /// Errors: those of [`FittedPipeline::score_log`] and [`rank_scores`].
    pub fn score_log(
        &self,
        log: &EventLog,
        as_of: Timestamp,
        previous: Option<&Scoring>,
        progress: &dyn Progress,
    ) -> Result<Scoring> {
        // rank_scores sorts riskiest first; a second sort here would only repeat it.
        let scores = self.pipeline.score_log_unsorted(log, as_of, self.config.reasons, progress)?;
        // One row per customer of the log, so the ids are distinct.
        let scoring = rank_unique(scores, as_of, &self.config, previous)?;
        progress.update(ProgressUpdate { stage: "ranking", done: 1, total: 1 });
        Ok(scoring)
    }

    /// Drift between the population at `reference` (e.g. the last training date) and at
    /// `live`: every feature except the calendar ones
    /// ([`CALENDAR_FEATURES`](crate::features::CALENDAR_FEATURES), which differ between
    /// any two dates by construction), plus the model score.
    ///
    /// Errors: those of feature extraction, scoring and [`drift`](crate::warn::drift).
    pub fn drift(
        &self,
        log: &EventLog,
        reference: Timestamp,
        live: Timestamp,
        thresholds: &crate::warn::DriftThresholds,
    ) -> Result<crate::warn::DriftReport> {
        let settings = self.pipeline.settings();
        let r = settings.features.extract(log, &settings.snapshot(reference)?)?;
        let l = settings.features.extract(log, &settings.snapshot(live)?)?;
        drift_with_score(&self.pipeline, &r, &l, thresholds)
    }
}

/// Drift of every feature of `live` against `reference` except the calendar ones
/// (which differ between any two dates by construction), plus the drift of
/// `pipeline`'s score: the one rule behind [`Scorer::drift`] and the monitor's drift.
pub(crate) fn drift_with_score(
    pipeline: &FittedPipeline,
    reference: &crate::features::FeatureMatrix,
    live: &crate::features::FeatureMatrix,
    thresholds: &crate::warn::DriftThresholds,
) -> Result<crate::warn::DriftReport> {
    let mut report = crate::warn::drift(reference, live, thresholds)?;
    report.features.retain(|f| !crate::features::CALENDAR_FEATURES.contains(&f.feature.as_str()));
    let model = pipeline.model();
    let (pr, pl) = (model.predict_proba(reference)?, model.predict_proba(live)?);
    let score = crate::warn::score_drift(&pr.to_vec(), &pl.to_vec(), thresholds)?;
    Ok(report.with_score(score))
}
