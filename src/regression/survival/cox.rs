//! Cox proportional hazards regression on the partial likelihood.

use std::fmt;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::concordance::concordance_counts;
use super::kaplan_meier::check_survival_data;
use crate::error::{Error, Result, ensure};
use crate::linalg::{cholesky_solve, cholesky_with_jitter};
use crate::regression::factors::{DesignMatrix, format_level, format_p};
use crate::regression::inference::{
    ColumnScale, DIVERGENT_SPREAD, check_finite, check_newton_settings, column_range, inverse_spd, screen_collinearity,
};
use crate::stats::{chi2_sf, normal_critical, two_sided_normal_p};

/// Model name used in errors.
const MODEL: &str = "cox_ph";

/// How tied event times enter the partial likelihood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ties {
    /// Efron (1977): tied events share the risk set with fractional weights (lifelines' and
    /// R's default; close to the exact partial likelihood).
    Efron,
    /// Breslow (1974): every tied event sees the full risk set (simpler, biased towards 0 with many ties).
    Breslow,
}

/// Namespace for [`CoxPh::params`].
///
/// ```
/// use churnguard::regression::survival::CoxPh;
/// // Months to churn (or to today, if still a customer) and two covariates.
/// let months = [2.0, 3.0, 5.0, 6.0, 8.0, 9.0, 11.0, 12.0, 14.0, 16.0, 18.0, 20.0];
/// let churned = [true, true, true, false, true, true, false, true, false, true, false, false];
/// let x = ndarray::array![
///     [1.0, 80.0], [1.0, 95.0], [1.0, 70.0], [0.0, 90.0], [1.0, 60.0], [0.0, 85.0],
///     [0.0, 50.0], [1.0, 40.0], [0.0, 65.0], [0.0, 30.0], [1.0, 35.0], [0.0, 45.0],
/// ];
/// let names = vec!["month_to_month".to_string(), "monthly_charges".to_string()];
/// let fit = CoxPh::params().fit(x.view(), &names, &months, &churned)?;
/// let hr = fit.term("month_to_month").expect("fitted").hazard_ratio;
/// println!("{fit}"); // coefficients, hazard ratios, concordance
/// // Probability that a month-to-month customer paying 90 churns within 6 months.
/// let risk = fit.churn_probability_within(ndarray::array![[1.0, 90.0]].view(), 6.0)?;
/// assert!(risk[0] > 0.0 && risk[0] < 1.0 && hr > 0.0);
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CoxPh;

impl CoxPh {
    /// Default settings: Efron ties, no penalty, 95 % intervals, at most 100 Newton steps,
    /// Newton-decrement tolerance 1e-12.
    pub fn params() -> CoxParams {
        CoxParams::default()
    }
}

/// Settings of a Cox fit (unfitted).
#[derive(Clone, Debug, PartialEq)]
pub struct CoxParams {
    ties: Ties,
    l2: f64,
    confidence_level: f64,
    max_iterations: usize,
    tolerance: f64,
}

impl Default for CoxParams {
    fn default() -> Self {
        CoxParams { ties: Ties::Efron, l2: 0.0, confidence_level: 0.95, max_iterations: 100, tolerance: 1e-12 }
    }
}

/// Validated [`CoxParams`] (from [`CoxParams::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ValidCoxParams(CoxParams);

impl CoxParams {
    /// Handling of tied event times (default [`Ties::Efron`]).
    pub fn ties(mut self, ties: Ties) -> Self {
        self.ties = ties;
        self
    }

    /// L2 penalty `λ ≥ 0` on the *standardised* coefficients `γⱼ = βⱼ·sdⱼ`: the fit maximises
    /// `log PL − n·(λ/2)·Σγⱼ²` — lifelines' `CoxPHFitter(penalizer=λ, l1_ratio=0)`.
    /// Standard errors then come from the penalised information. Default 0.
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }

    /// Confidence level of the hazard-ratio intervals, strictly between 0 and 1 (default 0.95).
    /// Any other value makes `check` and `fit` fail with [`Error::InvalidParameter`] named `level`.
    pub fn confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Newton step limit (default 100).
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }

    /// Stop when the Newton decrement `½·gᵀH⁻¹g` falls below this (default 1e-12).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<ValidCoxParams> {
        check_newton_settings(self.l2, self.confidence_level, self.max_iterations, self.tolerance)?;
        Ok(ValidCoxParams(self.clone()))
    }

    /// Validate and fit (see [`ValidCoxParams::fit`]).
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        names: &[String],
        durations: &[f64],
        events: &[bool],
    ) -> Result<FittedCoxPh> {
        self.check()?.fit(x, names, durations, events)
    }

    /// Validate and fit on a design matrix (see [`ValidCoxParams::fit_design`]).
    pub fn fit_design(&self, design: &DesignMatrix, durations: &[f64], events: &[bool]) -> Result<FittedCoxPh> {
        self.check()?.fit_design(design, durations, events)
    }
}

/// Subjects sorted by duration, grouped by equal duration.
#[derive(Debug)]
struct RiskSets {
    /// Subject indices by ascending duration.
    order: Vec<usize>,
    /// `[start, end)` ranges of `order` sharing one duration, ascending.
    blocks: Vec<(usize, usize)>,
}

impl RiskSets {
    fn new(order: Vec<usize>, durations: &[f64]) -> Self {
        let mut blocks = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let t = durations[order[i]];
            let start = i;
            while i < order.len() && durations[order[i]] == t {
                i += 1;
            }
            blocks.push((start, i));
        }
        RiskSets { order, blocks }
    }
}

/// Log partial likelihood, its gradient and the negative Hessian (observed information) at `gamma`
/// (Efron 1977, eq. 3.2; Breslow 1974), in one sweep from the longest duration down so each risk set
/// `{j : Tⱼ ≥ t}` is a running sum: O(n·p²).
fn partial_likelihood(
    z: ArrayView2<'_, f64>,
    events: &[bool],
    sets: &RiskSets,
    gamma: &Array1<f64>,
    ties: Ties,
) -> (f64, Array1<f64>, Array2<f64>) {
    let p = z.ncols();
    let eta = z.dot(gamma);
    // exp(η − shift) keeps the running sums finite; the shift cancels in every ratio.
    let shift = eta.iter().fold(f64::NEG_INFINITY, |m, &e| m.max(e));
    let risk = eta.mapv(|e| (e - shift).exp());
    let (mut s0, mut s1, mut s2) = (0.0, Array1::<f64>::zeros(p), Array2::<f64>::zeros((p, p)));
    let (mut ll, mut grad, mut info) = (0.0, Array1::<f64>::zeros(p), Array2::<f64>::zeros((p, p)));
    for &(start, end) in sets.blocks.iter().rev() {
        let members = sets.order.get(start..end).unwrap_or(&[]);
        let (mut t0, mut t1, mut t2, mut d) = (0.0, Array1::<f64>::zeros(p), Array2::<f64>::zeros((p, p)), 0usize);
        for &i in members {
            let zi = z.row(i);
            let r = risk[i];
            s0 += r;
            s1.scaled_add(r, &zi);
            add_outer(&mut s2, r, zi);
            if events[i] {
                d += 1;
                t0 += r;
                t1.scaled_add(r, &zi);
                add_outer(&mut t2, r, zi);
                ll += eta[i];
                grad += &zi;
            }
        }
        for l in 0..d {
            let frac = match ties {
                Ties::Efron => l as f64 / d as f64,
                Ties::Breslow => 0.0,
            };
            let phi = s0 - frac * t0;
            let a = (&s1 - &(&t1 * frac)) / phi;
            let b = (&s2 - &(&t2 * frac)) / phi;
            ll -= phi.ln() + shift;
            grad -= &a;
            info += &b;
            add_outer(&mut info, -1.0, a.view());
        }
    }
    (ll, grad, info)
}

/// `m += w·v·vᵀ`.
fn add_outer(m: &mut Array2<f64>, w: f64, v: ArrayView1<'_, f64>) {
    for (i, &vi) in v.iter().enumerate() {
        let wi = w * vi;
        for (j, &vj) in v.iter().enumerate() {
            m[[i, j]] += wi * vj;
        }
    }
}

impl ValidCoxParams {
    /// Fit on a design matrix; `durations` and `events` have one entry per row of the
    /// design's *source* (rows the design dropped are skipped).
    pub fn fit_design(&self, design: &DesignMatrix, durations: &[f64], events: &[bool]) -> Result<FittedCoxPh> {
        let durations = design.select_rows(durations)?;
        let events = design.select_rows(events)?;
        self.fit(design.x(), design.names(), &durations, &events)
    }

    /// Fit the hazard `h(t | x) = h₀(t)·exp(x·β)` by Newton–Raphson with step halving on the
    /// partial likelihood. Covariates are standardised internally (mean 0, sample sd 1, as
    /// lifelines does) and everything is reported on the original scale.
    ///
    /// Durations must be finite and ≥ 0; a duration of 0 is allowed (a customer who left,
    /// or was observed, on day one). Errors: shapes disagree, no rows or no columns,
    /// non-finite values, a negative duration, no events ([`Error::NoObservedEvents`]),
    /// a constant column ([`Error::ConstantColumn`]) or one that is a linear combination of
    /// earlier columns ([`Error::CollinearColumns`]) — both name the column; drop it, or
    /// its duplicates, and refit. Coefficients are never `NaN`: a fit that produces
    /// non-finite values is [`Error::FitFailed`].
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        names: &[String],
        durations: &[f64],
        events: &[bool],
    ) -> Result<FittedCoxPh> {
        let params = &self.0;
        let (n, p) = x.dim();
        let order = check_survival_data(durations, events)?;
        ensure!(
            n == durations.len(),
            Error::ShapeMismatch { what: "rows vs durations", expected: durations.len(), found: n }
        );
        ensure!(
            p == names.len(),
            Error::ShapeMismatch { what: "feature names vs columns", expected: p, found: names.len() }
        );
        ensure!(p > 0, Error::EmptyData { context: "a Cox model needs at least one covariate".into() });
        check_finite(x, names)?;
        let n_events = events.iter().filter(|&&e| e).count();
        ensure!(n_events > 0, Error::NoObservedEvents { model: MODEL, n });
        let scale = ColumnScale::of(x, names, 1, MODEL)?;
        let z = scale.standardise(x);
        let screen = screen_collinearity(z.view());
        if let Some((j, others)) = screen.aliased.first() {
            return Err(Error::CollinearColumns {
                model: MODEL,
                column: names[*j].clone(),
                others: others.iter().map(|&k| names[k].clone()).collect(),
            });
        }
        let sets = RiskSets::new(order, durations);
        let penalty = n as f64 * params.l2;
        let objective = |gamma: &Array1<f64>| {
            let (ll, grad, info) = partial_likelihood(z.view(), events, &sets, gamma, params.ties);
            let f = -ll + 0.5 * penalty * gamma.dot(gamma);
            let g = -grad + gamma * penalty;
            let mut h = info;
            for j in 0..p {
                h[[j, j]] += penalty;
            }
            (f, g, h, ll)
        };

        let mut gamma = Array1::<f64>::zeros(p);
        let (mut f, mut g, mut h, mut ll) = objective(&gamma);
        let null_ll = ll;
        let mut iterations = 0;
        let mut converged = false;
        while iterations < params.max_iterations {
            let (l, _) = cholesky_with_jitter(h.view()).ok_or_else(|| Error::FitFailed {
                model: MODEL,
                message: "the information matrix is not positive definite even with jitter".into(),
            })?;
            let step = cholesky_solve(l.view(), g.view());
            let decrement = 0.5 * g.dot(&step);
            ensure!(decrement.is_finite(), Error::FitFailed { model: MODEL, message: "non-finite Newton step".into() });
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..60 {
                let candidate = &gamma - &(&step * t);
                let next = objective(&candidate);
                // Armijo (c = 1e-4) with room for rounding once the step is tiny.
                if next.0.is_finite()
                    && (next.0 <= f - 1e-4 * t * 2.0 * decrement
                        || (decrement < 1e-6 && next.0 <= f + 1e-13 * f.abs().max(1.0)))
                {
                    gamma = candidate;
                    (f, g, h, ll) = next;
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if accepted {
                iterations += 1;
            }
            if decrement < params.tolerance {
                converged = true;
                break;
            }
            if !accepted {
                converged = decrement < 1e-8;
                break;
            }
        }
        let cov_gamma = inverse_spd(h.view()).ok_or_else(|| Error::FitFailed {
            model: MODEL,
            message: "the information matrix is singular at the estimate (separation: a covariate predicts the order of churn perfectly?)".into(),
        })?;
        let sds = &scale.sds;
        let beta: Array1<f64> = gamma.iter().zip(sds).map(|(g, s)| g / s).collect();
        let mut covariance = cov_gamma;
        for i in 0..p {
            for j in 0..p {
                covariance[[i, j]] /= sds[i] * sds[j];
            }
        }
        ensure!(
            beta.iter().all(|b| b.is_finite()) && covariance.iter().all(|c| c.is_finite()) && ll.is_finite(),
            Error::FitFailed { model: MODEL, message: "non-finite coefficients or covariance".into() }
        );

        // Breslow's baseline cumulative hazard at the covariate means (lifelines' baseline_cumulative_hazard_):
        // H₀(t) = Σ_{tᵢ ≤ t} dᵢ / Σ_{Tⱼ ≥ tᵢ} exp((xⱼ − x̄)·β) (Breslow 1972, discussion of Cox).
        let centred_eta = z.dot(&gamma);
        let mut times = Vec::with_capacity(sets.blocks.len());
        let mut hazard_steps = vec![0.0; sets.blocks.len()];
        let mut risk_sum = 0.0;
        for (b, &(start, end)) in sets.blocks.iter().enumerate().rev() {
            let members = sets.order.get(start..end).unwrap_or(&[]);
            risk_sum += members.iter().map(|&i| centred_eta[i].exp()).sum::<f64>();
            let d = members.iter().filter(|&&i| events[i]).count() as f64;
            hazard_steps[b] = d / risk_sum;
        }
        for &(start, _) in &sets.blocks {
            times.push(sets.order.get(start).map_or(0.0, |&i| durations[i]));
        }
        let cumulative: Vec<f64> = hazard_steps
            .iter()
            .scan(0.0, |acc, h| {
                *acc += h;
                Some(*acc)
            })
            .collect();

        let mut warnings = Vec::new();
        if !converged {
            warnings.push(CoxWarning::NotConverged { iterations });
        }
        let diverging: Vec<String> = (0..p)
            .filter(|&j| beta[j].abs() * column_range(x.column(j)) > DIVERGENT_SPREAD)
            .map(|j| names[j].clone())
            .collect();
        if !diverging.is_empty() {
            warnings.push(CoxWarning::MonotoneLikelihood { columns: diverging });
        }

        let scores: Vec<f64> = centred_eta.iter().map(|e| -e).collect();
        let (correct, tied, pairs) = concordance_counts(durations, &scores, events);
        let concordance = if pairs > 0 { (correct as f64 + tied as f64 / 2.0) / pairs as f64 } else { f64::NAN };

        let crit = normal_critical(params.confidence_level)?;
        let terms = (0..p)
            .map(|j| {
                let coefficient = beta[j];
                let std_error = covariance[[j, j]].max(0.0).sqrt();
                let z = coefficient / std_error;
                CoxTerm {
                    name: names[j].clone(),
                    coefficient,
                    std_error,
                    z,
                    p_value: two_sided_normal_p(z),
                    hazard_ratio: coefficient.exp(),
                    hazard_ratio_low: (coefficient - crit * std_error).exp(),
                    hazard_ratio_high: (coefficient + crit * std_error).exp(),
                }
            })
            .collect();
        Ok(FittedCoxPh {
            terms,
            coefficients: beta,
            covariance,
            means: scale.means,
            log_partial_likelihood: ll,
            null_log_partial_likelihood: null_ll,
            concordance,
            baseline_times: times,
            baseline_cumulative_hazard: cumulative,
            n_subjects: n,
            n_events,
            iterations,
            converged,
            ties: params.ties,
            l2: params.l2,
            confidence_level: params.confidence_level,
            warnings,
        })
    }
}

/// Something about the data or the fit the reader of a Cox table must know.
#[derive(Clone, Debug, PartialEq)]
pub enum CoxWarning {
    /// Monotone likelihood (the survival analogue of separation): the partial likelihood keeps
    /// rising as these coefficients grow, e.g. a covariate that orders the churns perfectly.
    /// Flagged when a coefficient times its column's range exceeds 15 on the log-hazard scale;
    /// the estimates, standard errors and p-values of these columns are not meaningful
    /// (use [`CoxParams::l2`]).
    MonotoneLikelihood {
        /// The diverging columns.
        columns: Vec<String>,
    },
    /// Newton's method stopped at the iteration limit or could not make progress.
    NotConverged {
        /// Steps taken.
        iterations: usize,
    },
}

impl fmt::Display for CoxWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoxWarning::MonotoneLikelihood { columns } => {
                write!(
                    f,
                    "monotone likelihood: coefficients of {columns:?} diverge (covariate orders the churns perfectly?)"
                )
            }
            CoxWarning::NotConverged { iterations } => write!(f, "not converged after {iterations} Newton steps"),
        }
    }
}

/// One row of the Cox table.
#[derive(Clone, Debug, PartialEq)]
pub struct CoxTerm {
    /// Column name.
    pub name: String,
    /// Change in the log hazard of churn per unit of the column.
    pub coefficient: f64,
    /// Standard error from the inverse observed information of the partial likelihood.
    pub std_error: f64,
    /// Wald statistic `coefficient / std_error`.
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p_value: f64,
    /// `exp(coefficient)`: multiplicative change in the churn hazard per unit.
    pub hazard_ratio: f64,
    /// Lower end of the hazard-ratio confidence interval.
    pub hazard_ratio_low: f64,
    /// Upper end of the hazard-ratio confidence interval.
    pub hazard_ratio_high: f64,
}

/// A fitted Cox proportional hazards model.
#[derive(Clone, Debug)]
pub struct FittedCoxPh {
    terms: Vec<CoxTerm>,
    coefficients: Array1<f64>,
    covariance: Array2<f64>,
    means: Array1<f64>,
    log_partial_likelihood: f64,
    null_log_partial_likelihood: f64,
    concordance: f64,
    baseline_times: Vec<f64>,
    baseline_cumulative_hazard: Vec<f64>,
    n_subjects: usize,
    n_events: usize,
    iterations: usize,
    converged: bool,
    ties: Ties,
    l2: f64,
    confidence_level: f64,
    warnings: Vec<CoxWarning>,
}

impl FittedCoxPh {
    /// Warnings about the fit (empty when all is well).
    pub fn warnings(&self) -> &[CoxWarning] {
        &self.warnings
    }

    /// The coefficients, in column order.
    pub fn terms(&self) -> &[CoxTerm] {
        &self.terms
    }

    /// A term by column name.
    pub fn term(&self, name: &str) -> Option<&CoxTerm> {
        self.terms.iter().find(|t| t.name == name)
    }

    /// Covariance matrix of the coefficients.
    pub fn covariance(&self) -> ArrayView2<'_, f64> {
        self.covariance.view()
    }

    /// Column means of the training covariates: the reference point of the baseline hazard.
    pub fn covariate_means(&self) -> &Array1<f64> {
        &self.means
    }

    /// Maximised log partial likelihood (without the penalty term).
    pub fn log_partial_likelihood(&self) -> f64 {
        self.log_partial_likelihood
    }

    /// Log partial likelihood at β = 0.
    pub fn null_log_partial_likelihood(&self) -> f64 {
        self.null_log_partial_likelihood
    }

    /// Likelihood-ratio test against β = 0: `(statistic, degrees of freedom, p-value)`.
    pub fn likelihood_ratio_test(&self) -> (f64, usize, f64) {
        let stat = 2.0 * (self.log_partial_likelihood - self.null_log_partial_likelihood);
        let df = self.terms.len();
        (stat, df, chi2_sf(stat, df as f64))
    }

    /// Partial AIC, `−2 log PL + 2p` (lifelines' `AIC_partial_`).
    pub fn aic_partial(&self) -> f64 {
        -2.0 * self.log_partial_likelihood + 2.0 * self.terms.len() as f64
    }

    /// Harrell's concordance of the fitted risk scores on the training data
    /// (lifelines' `concordance_index_`; see [`concordance_index`](super::concordance_index)).
    /// `NaN` if no pair is comparable.
    pub fn concordance(&self) -> f64 {
        self.concordance
    }

    /// Breslow baseline cumulative hazard at the covariate means, as `(times, values)`:
    /// one entry per distinct training duration (lifelines' `baseline_cumulative_hazard_`).
    pub fn baseline_cumulative_hazard(&self) -> (&[f64], &[f64]) {
        (&self.baseline_times, &self.baseline_cumulative_hazard)
    }

    /// Baseline cumulative hazard at `t`: a right-continuous step function, 0 before the
    /// first training duration and flat after the last. (lifelines' `predict_*` methods
    /// interpolate linearly between training durations instead; both agree at them.)
    pub fn baseline_cumulative_hazard_at(&self, t: f64) -> f64 {
        let i = self.baseline_times.partition_point(|&x| x <= t);
        i.checked_sub(1).and_then(|i| self.baseline_cumulative_hazard.get(i).copied()).unwrap_or(0.0)
    }

    /// Number of subjects fitted.
    pub fn n_subjects(&self) -> usize {
        self.n_subjects
    }

    /// Number of events (churns).
    pub fn n_events(&self) -> usize {
        self.n_events
    }

    /// Newton steps taken.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the Newton decrement fell below the tolerance.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Tie handling used.
    pub fn ties(&self) -> Ties {
        self.ties
    }

    /// The L2 penalty used.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    fn check_rows(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        let p = self.terms.len();
        ensure!(
            x.ncols() == p,
            Error::ShapeMismatch { what: "columns vs fitted covariates", expected: p, found: x.ncols() }
        );
        let names: Vec<String> = self.terms.iter().map(|t| t.name.clone()).collect();
        check_finite(x, &names)
    }

    /// `(x − x̄)·β` for each row (lifelines' `predict_log_partial_hazard`).
    pub fn predict_log_partial_hazard(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.check_rows(x)?;
        let centred = &x - &self.means.view().insert_axis(Axis(0));
        Ok(centred.dot(&self.coefficients))
    }

    /// `exp((x − x̄)·β)`: each row's hazard relative to an average customer.
    pub fn predict_partial_hazard(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(self.predict_log_partial_hazard(x)?.mapv(f64::exp))
    }

    /// Survival `S(t | x) = exp(−H₀(t)·exp((x − x̄)·β))` of each row (rows) at each of `times` (columns).
    pub fn predict_survival(&self, x: ArrayView2<'_, f64>, times: &[f64]) -> Result<Array2<f64>> {
        for (row, &t) in times.iter().enumerate() {
            ensure!(t.is_finite(), Error::NonFinite { column: "time".into(), row, value: t });
        }
        let partial = self.predict_partial_hazard(x)?;
        let baseline: Vec<f64> = times.iter().map(|&t| self.baseline_cumulative_hazard_at(t)).collect();
        Ok(Array2::from_shape_fn((x.nrows(), times.len()), |(i, j)| (-baseline[j] * partial[i]).exp()))
    }

    /// Each row's probability of churning within `horizon` (same unit as the durations):
    /// `1 − S(horizon | x)`. Errors: a horizon that is negative or not finite, or bad rows.
    pub fn churn_probability_within(&self, x: ArrayView2<'_, f64>, horizon: f64) -> Result<Array1<f64>> {
        ensure!(
            horizon.is_finite() && horizon >= 0.0,
            Error::param("horizon", horizon, "must be a finite duration ≥ 0")
        );
        let s = self.predict_survival(x, &[horizon])?;
        Ok(s.column(0).mapv(|s| 1.0 - s))
    }

    /// The coefficient table as Markdown, in column order.
    pub fn to_markdown(&self) -> String {
        let pct = format_level(self.confidence_level);
        let mut out = format!(
            "| covariate | coef | hazard ratio | std err | z | p | {pct} CI low | {pct} CI high |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
        );
        for t in &self.terms {
            out.push_str(&format!(
                "| {} | {:.4} | {:.4} | {:.4} | {:.2} | {} | {:.4} | {:.4} |\n",
                t.name,
                t.coefficient,
                t.hazard_ratio,
                t.std_error,
                t.z,
                format_p(t.p_value),
                t.hazard_ratio_low,
                t.hazard_ratio_high
            ));
        }
        out
    }
}

impl fmt::Display for FittedCoxPh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lr, df, p) = self.likelihood_ratio_test();
        writeln!(
            f,
            "Cox proportional hazards ({:?} ties{}): {} subjects, {} churned",
            self.ties,
            if self.l2 > 0.0 { format!(", L2 = {}", self.l2) } else { String::new() },
            self.n_subjects,
            self.n_events
        )?;
        writeln!(
            f,
            "log partial likelihood {:.3}, concordance {:.4}, LR test χ² = {:.2} on {} df (p = {}), {} Newton steps{}",
            self.log_partial_likelihood,
            self.concordance,
            lr,
            df,
            format_p(p),
            self.iterations,
            if self.converged { "" } else { " (NOT converged)" }
        )?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        writeln!(f)?;
        write!(f, "{}", self.to_markdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    /// Two tied churns at t = 1 (x = 1 and x = 0) and one customer censored at t = 2 (x = 1).
    fn tied() -> (Array2<f64>, Vec<bool>, RiskSets) {
        let durations = [1.0, 1.0, 2.0];
        let sets = RiskSets::new(vec![0, 1, 2], &durations);
        (array![[1.0], [0.0], [1.0]], vec![true, true, false], sets)
    }

    #[test]
    fn efron_and_breslow_partial_likelihoods_match_their_hand_formulas() {
        let (z, events, sets) = tied();
        let b: f64 = 0.7;
        let eb = b.exp();
        // Efron: the second tied death sees the risk set minus half the tied deaths' weight,
        // log PL = β − ln(2e^β + 1) − ln(2e^β + 1 − (e^β + 1)/2).
        let (ll, _, _) = partial_likelihood(z.view(), &events, &sets, &array![b], Ties::Efron);
        assert_abs_diff_eq!(ll, b - (2.0 * eb + 1.0).ln() - (1.5 * eb + 0.5).ln(), epsilon = 1e-13);
        // Breslow: both deaths see the full risk set, log PL = β − 2 ln(2e^β + 1).
        let (ll, _, _) = partial_likelihood(z.view(), &events, &sets, &array![b], Ties::Breslow);
        assert_abs_diff_eq!(ll, b - 2.0 * (2.0 * eb + 1.0).ln(), epsilon = 1e-13);
    }

    #[test]
    fn gradient_and_information_agree_with_finite_differences() {
        let (z, events, sets) = tied();
        for ties in [Ties::Efron, Ties::Breslow] {
            let b = 0.3;
            let h = 1e-5;
            let ll = |b: f64| partial_likelihood(z.view(), &events, &sets, &array![b], ties).0;
            let (_, grad, info) = partial_likelihood(z.view(), &events, &sets, &array![b], ties);
            assert_abs_diff_eq!(grad[0], (ll(b + h) - ll(b - h)) / (2.0 * h), epsilon = 1e-8);
            let second = (ll(b + h) - 2.0 * ll(b) + ll(b - h)) / (h * h);
            assert_abs_diff_eq!(info[[0, 0]], -second, epsilon = 1e-4);
        }
    }
}
