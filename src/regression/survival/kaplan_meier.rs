//! Kaplan–Meier survival curves with Greenwood variance and log-log confidence intervals.

use std::collections::BTreeMap;

use crate::error::{Error, Result, ensure};
use crate::stats::{check_level, normal_critical};

/// Check `(duration, event)` data: equal lengths, at least one subject, finite
/// durations ≥ 0. Returns the subject indices sorted by duration (stable).
pub(crate) fn check_survival_data(durations: &[f64], events: &[bool]) -> Result<Vec<usize>> {
    ensure!(
        durations.len() == events.len(),
        Error::ShapeMismatch { what: "events vs durations", expected: durations.len(), found: events.len() }
    );
    ensure!(!durations.is_empty(), Error::EmptyData { context: "no subjects (durations are empty)".into() });
    for (row, &d) in durations.iter().enumerate() {
        ensure!(d.is_finite(), Error::NonFinite { column: "duration".into(), row, value: d });
        ensure!(d >= 0.0, Error::NegativeDuration { row, value: d });
    }
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by(|&a, &b| durations[a].total_cmp(&durations[b]));
    Ok(order)
}

/// Namespace-style settings for [`KaplanMeier`] (see [`KaplanMeier::params`]).
#[derive(Clone, Debug, PartialEq)]
pub struct KaplanMeierParams {
    confidence_level: f64,
}

impl Default for KaplanMeierParams {
    fn default() -> Self {
        KaplanMeierParams { confidence_level: 0.95 }
    }
}

impl KaplanMeierParams {
    /// Confidence level of the pointwise intervals, strictly between 0 and 1 (default 0.95).
    /// Any other value makes `check` and `fit` fail with [`Error::InvalidParameter`] named `level`.
    pub fn confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        check_level(self.confidence_level)
    }

    /// Estimate the survival curve from one duration and one event flag per subject
    /// (`true` = churned at that duration, `false` = still a customer, censored).
    ///
    /// Errors: lengths differ, no subjects, a duration that is not finite or is negative.
    pub fn fit(&self, durations: &[f64], events: &[bool]) -> Result<KaplanMeier> {
        let z = normal_critical(self.confidence_level)?;
        let order = check_survival_data(durations, events)?;
        let n = durations.len();
        // Timeline: 0 and every distinct duration (lifelines' event table).
        let mut timeline = vec![0.0];
        let mut at_risk = vec![n];
        let mut observed = vec![0];
        let mut censored = vec![0];
        let mut remaining = n;
        let mut i = 0;
        while i < order.len() {
            let t = durations[order[i]];
            let (mut d, mut c) = (0, 0);
            while i < order.len() && durations[order[i]] == t {
                if events[order[i]] {
                    d += 1
                } else {
                    c += 1
                }
                i += 1;
            }
            if t == 0.0 {
                observed[0] += d;
                censored[0] += c;
            } else {
                timeline.push(t);
                at_risk.push(remaining);
                observed.push(d);
                censored.push(c);
            }
            remaining -= d + c;
        }
        let mut survival = Vec::with_capacity(timeline.len());
        let mut greenwood = Vec::with_capacity(timeline.len());
        let (mut s, mut g) = (1.0f64, 0.0f64);
        for (&r, &d) in at_risk.iter().zip(&observed) {
            if d > 0 {
                // Kaplan & Meier (1958): S(t) = Π (1 − dᵢ/nᵢ).
                s *= 1.0 - d as f64 / r as f64;
                // Greenwood (1926): Σ dᵢ / (nᵢ (nᵢ − dᵢ)); lifelines counts the term as 0 when nᵢ = dᵢ.
                if r > d {
                    g += d as f64 / (r as f64 * (r - d) as f64);
                }
            }
            survival.push(s);
            greenwood.push(g);
        }
        let (lower, upper) = survival.iter().zip(&greenwood).map(|(&s, &g)| log_log_interval(s, g, z)).unzip();
        Ok(KaplanMeier {
            timeline,
            at_risk,
            observed,
            censored,
            survival,
            greenwood,
            lower,
            upper,
            confidence_level: self.confidence_level,
        })
    }

    /// One curve per group, in ascending group order.
    ///
    /// Errors: as [`fit`](Self::fit), or `groups` of a different length.
    pub fn fit_groups<G: Ord + Clone>(
        &self,
        durations: &[f64],
        events: &[bool],
        groups: &[G],
    ) -> Result<Vec<(G, KaplanMeier)>> {
        check_survival_data(durations, events)?;
        ensure!(
            groups.len() == durations.len(),
            Error::ShapeMismatch { what: "groups vs durations", expected: durations.len(), found: groups.len() }
        );
        let mut members: BTreeMap<&G, Vec<usize>> = BTreeMap::new();
        for (i, g) in groups.iter().enumerate() {
            members.entry(g).or_default().push(i);
        }
        members
            .into_iter()
            .map(|(g, rows)| {
                let d: Vec<f64> = rows.iter().map(|&r| durations[r]).collect();
                let e: Vec<bool> = rows.iter().map(|&r| events[r]).collect();
                Ok((g.clone(), self.fit(&d, &e)?))
            })
            .collect()
    }
}

/// Exponential Greenwood ("log-log") interval (Kalbfleisch & Prentice 2002, §1.4; lifelines'
/// default): `exp(−exp(log(−log S) ± z·√G / log S))`. Degenerate at S = 1 → (1, 1) and S = 0 → (0, 0).
fn log_log_interval(s: f64, greenwood: f64, z: f64) -> (f64, f64) {
    if s >= 1.0 {
        return (1.0, 1.0);
    }
    if s <= 0.0 {
        return (0.0, 0.0);
    }
    let v = s.ln();
    let spread = z * greenwood.sqrt() / v;
    let lower = (-((-v).ln() - spread).exp()).exp();
    let upper = (-((-v).ln() + spread).exp()).exp();
    (lower, upper)
}

/// A Kaplan–Meier survival curve: the share of customers still retained after each time.
///
/// The curve is a right-continuous step function on its [`timeline`](Self::timeline)
/// (0 and every distinct duration, as lifelines' `KaplanMeierFitter` reports it).
///
/// ```
/// use churnguard::regression::survival::KaplanMeier;
/// // Months until churn (event = true) or until now (still a customer, event = false).
/// let months = [3.0, 5.0, 5.0, 8.0, 12.0, 12.0, 14.0, 20.0];
/// let churned = [true, true, false, true, false, true, false, false];
/// let km = KaplanMeier::fit(&months, &churned)?;
/// assert_eq!(km.survival_at(4.0), 7.0 / 8.0); // one churn among 8 customers at risk
/// let (low, high) = km.confidence_interval_at(4.0);
/// assert!(low < 7.0 / 8.0 && 7.0 / 8.0 < high);
/// println!("median time to churn: {:?}", km.median()); // None if the curve never reaches 0.5
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KaplanMeier {
    timeline: Vec<f64>,
    at_risk: Vec<usize>,
    observed: Vec<usize>,
    censored: Vec<usize>,
    survival: Vec<f64>,
    greenwood: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    confidence_level: f64,
}

impl KaplanMeier {
    /// Default settings (95 % intervals), to change the level or fit by group.
    pub fn params() -> KaplanMeierParams {
        KaplanMeierParams::default()
    }

    /// Fit with default settings (see [`KaplanMeierParams::fit`]).
    pub fn fit(durations: &[f64], events: &[bool]) -> Result<KaplanMeier> {
        KaplanMeierParams::default().fit(durations, events)
    }

    /// Times at which the curve is reported: 0 and every distinct duration, ascending.
    pub fn timeline(&self) -> &[f64] {
        &self.timeline
    }

    /// Subjects at risk just before each timeline point.
    pub fn at_risk(&self) -> &[usize] {
        &self.at_risk
    }

    /// Events (churns) at each timeline point.
    pub fn observed(&self) -> &[usize] {
        &self.observed
    }

    /// Censored subjects (still customers) at each timeline point.
    pub fn censored(&self) -> &[usize] {
        &self.censored
    }

    /// Survival estimate at each timeline point.
    pub fn survival(&self) -> &[f64] {
        &self.survival
    }

    /// Lower confidence bound at each timeline point.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// Upper confidence bound at each timeline point.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Confidence level of [`lower`](Self::lower)/[`upper`](Self::upper).
    pub fn confidence_level(&self) -> f64 {
        self.confidence_level
    }

    /// Number of subjects.
    pub fn n_subjects(&self) -> usize {
        self.at_risk.first().copied().unwrap_or(0)
    }

    /// Number of events.
    pub fn n_events(&self) -> usize {
        self.observed.iter().sum()
    }

    /// Index of the last timeline point ≤ t (None before 0).
    fn index_at(&self, t: f64) -> Option<usize> {
        self.timeline.partition_point(|&x| x <= t).checked_sub(1)
    }

    /// Estimated probability of still being a customer after `t` (1 before time 0;
    /// the last value after the last duration; `NaN` for a `NaN` time).
    pub fn survival_at(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        self.index_at(t).and_then(|i| self.survival.get(i).copied()).unwrap_or(1.0)
    }

    /// Pointwise confidence interval `(lower, upper)` of the survival at `t`.
    pub fn confidence_interval_at(&self, t: f64) -> (f64, f64) {
        if t.is_nan() {
            return (f64::NAN, f64::NAN);
        }
        match self.index_at(t) {
            Some(i) => (self.lower.get(i).copied().unwrap_or(1.0), self.upper.get(i).copied().unwrap_or(1.0)),
            None => (1.0, 1.0),
        }
    }

    /// Greenwood variance of the survival estimate at `t`: `S(t)²·Σ dᵢ/(nᵢ(nᵢ−dᵢ))`.
    pub fn variance_at(&self, t: f64) -> f64 {
        match self.index_at(t) {
            Some(i) => {
                let s = self.survival.get(i).copied().unwrap_or(1.0);
                s * s * self.greenwood.get(i).copied().unwrap_or(0.0)
            }
            None => 0.0,
        }
    }

    /// The first time at which the survival is at or below `1 − q`, i.e. by which a
    /// share `q` of customers has churned (lifelines' `qth_survival_time(1 − q)`);
    /// `None` if the curve never gets there. `q` outside (0, 1) gives `None`.
    pub fn time_to_churn_share(&self, q: f64) -> Option<f64> {
        if !(q > 0.0 && q < 1.0) {
            return None;
        }
        self.survival.iter().position(|&s| s <= 1.0 - q).and_then(|i| self.timeline.get(i).copied())
    }

    /// Median survival time: the first time the curve is at or below 0.5, `None` if it never is.
    pub fn median(&self) -> Option<f64> {
        self.time_to_churn_share(0.5)
    }
}
