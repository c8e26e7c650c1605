//! The BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your
//! customers the easy way: an alternative to the Pareto/NBD model",
//! Marketing Science 24(2)): while alive, a customer buys as a Poisson process
//! with rate λ ~ Gamma(r, α); after each repeat purchase they drop out with
//! probability p ~ Beta(a, b).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rayon::prelude::*;
use statrs::function::gamma::{digamma, ln_gamma};

use super::optim::{self, Settings};
use super::special::ln_hyp2f1;
use super::summary::{GroupedRfm, Rfm, RfmSummary};
use crate::data::CustomerId;
use crate::error::{Error, Result, ensure};

/// Rows per parallel chunk of the likelihood; fixed so sums do not depend on the thread count.
const CHUNK: usize = 4096;

/// Entry point: `BgNbd::params().fit(&summary)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct BgNbd;

impl BgNbd {
    /// Default fitting settings.
    pub fn params() -> BgNbdParams {
        BgNbdParams::default()
    }
}

/// Settings of the BG/NBD maximum-likelihood fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BgNbdParams {
    max_iterations: u64,
    gradient_tolerance: f64,
    penalizer: f64,
}

impl Default for BgNbdParams {
    fn default() -> Self {
        BgNbdParams { max_iterations: 500, gradient_tolerance: 1e-9, penalizer: 0.0 }
    }
}

/// How a maximum-likelihood fit ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitDiagnostics {
    /// Log-likelihood at the estimate (without any penalty), summed over customers, in the data's time unit.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: u64,
    /// Euclidean norm of the gradient of the mean negative log-likelihood (in log-parameters) at the estimate.
    pub gradient_norm: f64,
    /// Customers fitted (sum of the weights).
    pub n_customers: f64,
    /// Distinct rows the likelihood was evaluated on.
    pub n_distinct: usize,
}

impl BgNbdParams {
    /// Iteration cap of the optimiser (default 500).
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.max_iterations = n;
        self
    }

    /// Stop when the gradient norm of the mean negative log-likelihood falls below this (default 1e-9).
    pub fn gradient_tolerance(mut self, tolerance: f64) -> Self {
        self.gradient_tolerance = tolerance;
        self
    }

    /// L2 penalty `c · (r² + α² + a² + b²)` added to the mean negative log-likelihood, with α in
    /// time scaled so the oldest customer has T = 1 — lifetimes' `penalizer_coef` (default 0).
    ///
    /// When most customers behave alike the maximum-likelihood estimate can run off to the
    /// boundary (a, b → ∞: everyone has the same dropout probability) and the plain fit
    /// reports [`Error::NotConverged`]; a small penalty such as 0.001 keeps it finite.
    pub fn penalizer(mut self, coefficient: f64) -> Self {
        self.penalizer = coefficient;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        ensure!(self.max_iterations > 0, Error::param("max_iterations", self.max_iterations, "must be at least 1"));
        ensure!(
            self.penalizer.is_finite() && self.penalizer >= 0.0,
            Error::param("penalizer", self.penalizer, "must be finite and >= 0")
        );
        ensure!(
            self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0,
            Error::param("gradient_tolerance", self.gradient_tolerance, "must be a positive number")
        );
        Ok(())
    }

    /// Fit r, α, a, b by maximum likelihood; identical summaries are grouped first
    /// (see [`RfmSummary::grouped`]), so the cost grows with distinct rows, not customers.
    pub fn fit(&self, data: &RfmSummary) -> Result<FittedBgNbd> {
        ensure!(!data.is_empty(), Error::EmptyData { context: "BG/NBD fit: the summary has no customers".into() });
        self.fit_grouped(&data.grouped())
    }

    /// Fit on distinct rows with counts as weights (the likelihood terms of a row are multiplied by its count).
    pub fn fit_grouped(&self, rows: &[GroupedRfm]) -> Result<FittedBgNbd> {
        self.check()?;
        ensure!(!rows.is_empty(), Error::EmptyData { context: "BG/NBD fit: no rows".into() });
        for (i, g) in rows.iter().enumerate() {
            Rfm::new(g.frequency, g.recency, g.age).check(i, "")?;
            ensure!(
                g.count.is_finite() && g.count > 0.0,
                Error::InvalidSummary {
                    row: i,
                    customer: String::new(),
                    reason: format!("count {} must be > 0", g.count)
                }
            );
        }
        ensure!(
            rows.iter().any(|g| g.frequency > 0),
            Error::EmptyData {
                context: "BG/NBD fit: no customer made a repeat purchase, the dropout process is not identified".into()
            }
        );
        let max_age = rows.iter().map(|g| g.age).fold(0.0_f64, f64::max);
        ensure!(max_age > 0.0, Error::EmptyData { context: "BG/NBD fit: every customer has age T = 0".into() });
        // Fit in time scaled so the oldest customer has T = 1 (as lifetimes does); α scales back after.
        let scale = 1.0 / max_age;
        let likelihood = Likelihood::new(rows, scale);
        let settings = Settings { max_iterations: self.max_iterations, gradient_tolerance: self.gradient_tolerance };
        let penalizer = self.penalizer;
        let objective = |x: &[f64]| {
            let (mut cost, mut grad) = likelihood.evaluate(x);
            if penalizer > 0.0 {
                for (g, lp) in grad.iter_mut().zip(x) {
                    let theta2 = (2.0 * lp).exp();
                    cost += penalizer * theta2;
                    *g += 2.0 * penalizer * theta2;
                }
            }
            (cost, grad)
        };
        let min = optim::minimize("BG/NBD maximum likelihood", &objective, vec![0.0; 4], settings)?;
        let [r, alpha_scaled, a, b] = [min.x[0].exp(), min.x[1].exp(), min.x[2].exp(), min.x[3].exp()];
        let mut fitted = FittedBgNbd::from_parameters(r, alpha_scaled / scale, a, b)?;
        let log_likelihood = fitted.log_likelihood(rows)?;
        fitted.diagnostics = Some(FitDiagnostics {
            log_likelihood,
            iterations: min.iterations,
            gradient_norm: min.gradient_norm,
            n_customers: likelihood.total_weight,
            n_distinct: rows.len(),
        });
        Ok(fitted)
    }
}

/// A BG/NBD model with known parameters: purchase predictions and P(alive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FittedBgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    diagnostics: Option<FitDiagnostics>,
}

impl FittedBgNbd {
    /// A model from given parameters (e.g. published estimates); all must be finite and > 0.
    pub fn from_parameters(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        for (name, v) in [("r", r), ("alpha", alpha), ("a", a), ("b", b)] {
            ensure!(v.is_finite() && v > 0.0, Error::param(name, v, "BG/NBD parameters must be finite and > 0"));
        }
        Ok(FittedBgNbd { r, alpha, a, b, diagnostics: None })
    }

    /// Shape of the Gamma distribution of purchase rates λ.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Rate (inverse scale) of the Gamma distribution of λ, in 1 / time unit.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// First shape of the Beta distribution of dropout probabilities p.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// Second shape of the Beta distribution of p.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// How the fit ended (`None` for a model built from given parameters).
    pub fn diagnostics(&self) -> Option<&FitDiagnostics> {
        self.diagnostics.as_ref()
    }

    /// Log-likelihood of weighted rows under this model (Fader, Hardie & Lee 2005, eq. 6), summed.
    pub fn log_likelihood(&self, rows: &[GroupedRfm]) -> Result<f64> {
        for (i, g) in rows.iter().enumerate() {
            Rfm::new(g.frequency, g.recency, g.age).check(i, "")?;
        }
        let likelihood = Likelihood::new(rows, 1.0);
        let (mean_nll, _) = likelihood.evaluate(&[self.r.ln(), self.alpha.ln(), self.a.ln(), self.b.ln()]);
        Ok(-mean_nll * likelihood.total_weight)
    }

    /// Probability that a customer with this history is still alive at `T`
    /// (Fader, Hardie & Lee 2005, eq. 13 / Fader & Hardie note 021); 1 when frequency is 0.
    pub fn probability_alive(&self, customer: &Rfm) -> Result<f64> {
        customer.check(0, "")?;
        Ok(self.p_alive(customer))
    }

    fn p_alive(&self, c: &Rfm) -> f64 {
        if c.frequency == 0 {
            return 1.0;
        }
        let x = f64::from(c.frequency);
        // Note 021: P(alive) = 1 / (1 + a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)), evaluated as a logistic.
        let log_odds_dead =
            (self.a / (self.b + x - 1.0)).ln() + (self.r + x) * ((self.alpha + c.age) / (self.alpha + c.recency)).ln();
        1.0 / (1.0 + log_odds_dead.exp())
    }

    /// Expected repeat purchases in the next `t` time units of a customer with
    /// this history (Fader, Hardie & Lee 2005, eq. 10).
    pub fn expected_purchases(&self, t: f64, customer: &Rfm) -> Result<f64> {
        ensure!(t.is_finite() && t >= 0.0, Error::param("t", t, "the horizon must be finite and >= 0"));
        customer.check(0, "")?;
        self.conditional_expectation(t, customer)
    }

    fn conditional_expectation(&self, t: f64, c: &Rfm) -> Result<f64> {
        if t == 0.0 {
            return Ok(0.0);
        }
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(c.frequency);
        let z = t / (alpha + c.age + t);
        let (sign, ln_hyp) = ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z)?;
        // Eq. 10: (a+b+x-1)/(a-1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive).
        let inner = 1.0 - sign * (ln_hyp + (r + x) * ((alpha + c.age) / (alpha + c.age + t)).ln()).exp();
        let value = (a + b + x - 1.0) / (a - 1.0) * inner * self.p_alive(c);
        ensure!(
            value.is_finite(),
            Error::param("a", a, "expected purchases are undefined at a = 1 (eq. 10 divides by a − 1)")
        );
        Ok(value)
    }

    /// Expected repeat purchases of a newly acquired customer in their first `t`
    /// time units, E[X(t)] (Fader, Hardie & Lee 2005, eq. 7).
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64> {
        ensure!(t.is_finite() && t >= 0.0, Error::param("t", t, "the horizon must be finite and >= 0"));
        if t == 0.0 {
            return Ok(0.0);
        }
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let (sign, ln_hyp) = ln_hyp2f1(r, b, a + b - 1.0, t / (alpha + t))?;
        // Eq. 7: (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
        let value = (a + b - 1.0) / (a - 1.0) * (1.0 - sign * (ln_hyp + r * (alpha / (alpha + t)).ln()).exp());
        ensure!(value.is_finite(), Error::param("a", a, "E[X(t)] is undefined at a = 1 (eq. 7 divides by a − 1)"));
        Ok(value)
    }

    /// [`probability_alive`](Self::probability_alive) for every customer of a summary, in row order.
    pub fn probability_alive_all(&self, data: &RfmSummary) -> Vec<f64> {
        data.iter().collect::<Vec<_>>().par_iter().map(|c| self.p_alive(c)).collect()
    }

    /// [`expected_purchases`](Self::expected_purchases) over the next `t` for every customer, in row order.
    pub fn expected_purchases_all(&self, t: f64, data: &RfmSummary) -> Result<Vec<f64>> {
        ensure!(t.is_finite() && t >= 0.0, Error::param("t", t, "the horizon must be finite and >= 0"));
        data.iter().collect::<Vec<_>>().par_iter().map(|c| self.conditional_expectation(t, c)).collect()
    }

    /// Simulate summaries from the model's generative process (Fader, Hardie &
    /// Lee 2005, section 2): one customer per entry of `ages` (their `T`), each
    /// with λ ~ Gamma(r, α), p ~ Beta(a, b), exponential gaps between purchases
    /// and a dropout chance p after each repeat purchase. With `time_step`,
    /// purchase times are floored to that grid (e.g. 1/7 for daily data in
    /// weeks), as recorded data would be. Seeded ChaCha8: same seed, same data.
    pub fn sample(&self, ages: &[f64], time_step: Option<f64>, seed: u64) -> Result<RfmSummary> {
        if let Some(step) = time_step {
            ensure!(step.is_finite() && step > 0.0, Error::param("time_step", step, "must be a positive number"));
        }
        let fail = |e: String| Error::FitFailed { model: "BG/NBD simulation", message: e };
        let rates = Gamma::new(self.r, 1.0 / self.alpha).map_err(|e| fail(e.to_string()))?;
        let dropouts = Beta::new(self.a, self.b).map_err(|e| fail(e.to_string()))?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut summary = RfmSummary::default();
        for (i, &age) in ages.iter().enumerate() {
            ensure!(age.is_finite() && age >= 0.0, Error::NonFinite { column: "age".into(), row: i, value: age });
            let lambda: f64 = rates.sample(&mut rng);
            let p: f64 = dropouts.sample(&mut rng);
            let (mut x, mut t, mut last) = (0u32, 0.0_f64, 0.0_f64);
            if lambda > 0.0 {
                let gaps = Exp::new(lambda).map_err(|e| fail(e.to_string()))?;
                loop {
                    t += gaps.sample(&mut rng);
                    if t > age {
                        break;
                    }
                    x += 1;
                    last = t;
                    if rng.r#gen::<f64>() < p {
                        break;
                    }
                }
            }
            let recency = match time_step {
                Some(step) if x > 0 => (last / step).floor() * step,
                _ => last,
            };
            summary.push_unchecked(CustomerId::new(i.to_string()), Rfm::new(x, recency.min(age), age));
        }
        Ok(summary)
    }
}

/// One weighted row, in (possibly scaled) time.
#[derive(Clone, Copy, Debug)]
struct Row {
    /// Index into the per-frequency table.
    x_index: usize,
    x: f64,
    recency: f64,
    age: f64,
    weight: f64,
}

/// The BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6, as in the
/// appendix / lifetimes' `_negative_log_likelihood`) over weighted rows, with
/// the terms that depend on the frequency only computed once per distinct frequency.
#[derive(Debug)]
struct Likelihood {
    /// Distinct frequencies and the total weight of each.
    frequencies: Vec<(f64, f64)>,
    rows: Vec<Row>,
    total_weight: f64,
}

impl Likelihood {
    fn new(grouped: &[GroupedRfm], scale: f64) -> Self {
        let mut frequencies: Vec<(f64, f64)> = Vec::new();
        let mut index: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        let mut rows = Vec::with_capacity(grouped.len());
        for g in grouped {
            let x_index = *index.entry(g.frequency).or_insert_with(|| {
                frequencies.push((f64::from(g.frequency), 0.0));
                frequencies.len() - 1
            });
            frequencies[x_index].1 += g.count;
            rows.push(Row {
                x_index,
                x: f64::from(g.frequency),
                recency: g.recency * scale,
                age: g.age * scale,
                weight: g.count,
            });
        }
        let total_weight = grouped.iter().map(|g| g.count).sum();
        Likelihood { frequencies, rows, total_weight }
    }

    /// Mean negative log-likelihood and its gradient with respect to (ln r, ln α, ln a, ln b).
    fn evaluate(&self, log_params: &[f64]) -> (f64, Vec<f64>) {
        let [r, alpha, a, b] = match log_params {
            [r, alpha, a, b] => [r.exp(), alpha.exp(), a.exp(), b.exp()],
            _ => return (f64::NAN, vec![f64::NAN; log_params.len()]),
        };
        // Terms of eq. 6 that depend only on x: ln Γ(r+x)/Γ(r) and ln B(a, b+x)/B(a, b), with derivatives.
        let (lg_r, lg_ab, lg_b) = (ln_gamma(r), ln_gamma(a + b), ln_gamma(b));
        let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
        let mut ll = r * alpha.ln() * self.total_weight;
        let mut grad = [alpha.ln() * self.total_weight, r / alpha * self.total_weight, 0.0, 0.0];
        // Per distinct x: ln(a / (b + x − 1)), used by the dropout branch.
        let mut ln_dropout = Vec::with_capacity(self.frequencies.len());
        for &(x, w) in &self.frequencies {
            ll += w * (ln_gamma(r + x) - lg_r + lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x));
            grad[0] += w * (digamma(r + x) - dg_r);
            let dg_abx = digamma(a + b + x);
            grad[2] += w * (dg_ab - dg_abx);
            grad[3] += w * (dg_ab + digamma(b + x) - dg_b - dg_abx);
            ln_dropout.push(if x > 0.0 { a.ln() - (b + x - 1.0).ln() } else { 0.0 });
        }
        let partials: Vec<[f64; 5]> = self
            .rows
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut acc = [0.0; 5];
                for row in chunk {
                    let rx = r + row.x;
                    let ln_at = (alpha + row.age).ln();
                    // ln of the "alive at T" branch (A3 in lifetimes).
                    let alive = -rx * ln_at;
                    let (value, s_alive, s_dead, ln_ar) = if row.x > 0.0 {
                        let ln_ar = (alpha + row.recency).ln();
                        // ln of the "dropped out after the last purchase" branch (A4).
                        let dead = ln_dropout[row.x_index] - rx * ln_ar;
                        let m = alive.max(dead);
                        let value = m + ((alive - m).exp() + (dead - m).exp()).ln();
                        (value, (alive - value).exp(), (dead - value).exp(), ln_ar)
                    } else {
                        (alive, 1.0, 0.0, 0.0)
                    };
                    let w = row.weight;
                    acc[0] += w * value;
                    acc[1] -= w * (s_alive * ln_at + s_dead * ln_ar);
                    acc[2] -= w * rx * (s_alive / (alpha + row.age) + s_dead / (alpha + row.recency));
                    acc[3] += w * s_dead / a;
                    if row.x > 0.0 {
                        acc[4] -= w * s_dead / (b + row.x - 1.0);
                    }
                }
                acc
            })
            .collect();
        for p in &partials {
            ll += p[0];
            grad[0] += p[1];
            grad[1] += p[2];
            grad[2] += p[3];
            grad[3] += p[4];
        }
        let params = [r, alpha, a, b];
        let n = self.total_weight;
        (-ll / n, (0..4).map(|i| -grad[i] * params[i] / n).collect())
    }
}
