//! The shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie
//! 2007, "How to project customer retention", Journal of Interactive Marketing
//! 21(1)): each customer churns at the end of a period with a constant
//! probability θ ~ Beta(α, β), so a cohort's retention rate rises over time as
//! the churn-prone leave.

use statrs::function::gamma::{digamma, ln_gamma};

use super::bgnbd::FitDiagnostics;
use super::optim::{self, Settings};
use super::special::ln_hyp2f1;
use crate::error::{Error, Result, ensure};

/// Entry point: `ShiftedBetaGeometric::params().fit(&survivors)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftedBetaGeometric;

impl ShiftedBetaGeometric {
    /// Default fitting settings.
    pub fn params() -> SbgParams {
        SbgParams::default()
    }
}

/// Settings of the sBG maximum-likelihood fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SbgParams {
    max_iterations: u64,
    gradient_tolerance: f64,
}

impl Default for SbgParams {
    fn default() -> Self {
        SbgParams { max_iterations: 500, gradient_tolerance: 1e-10 }
    }
}

fn ln_beta(x: f64, y: f64) -> f64 {
    ln_gamma(x) + ln_gamma(y) - ln_gamma(x + y)
}

impl SbgParams {
    /// Iteration cap of the optimiser (default 500).
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.max_iterations = n;
        self
    }

    /// Stop when the gradient norm of the mean negative log-likelihood falls below this (default 1e-10).
    pub fn gradient_tolerance(mut self, tolerance: f64) -> Self {
        self.gradient_tolerance = tolerance;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        ensure!(self.max_iterations > 0, Error::param("max_iterations", self.max_iterations, "must be at least 1"));
        ensure!(
            self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0,
            Error::param("gradient_tolerance", self.gradient_tolerance, "must be a positive number")
        );
        Ok(())
    }

    /// Fit α, β from a cohort's survivor counts: `survivors[0]` customers at the
    /// start, `survivors[t]` still active after `t` renewal opportunities
    /// (non-increasing). Fader & Hardie (2007), eq. 5 likelihood: churners of
    /// period t contribute P(T = t), the remaining survivors S(n).
    pub fn fit(&self, survivors: &[f64]) -> Result<FittedSbg> {
        self.check()?;
        ensure!(
            survivors.len() >= 2,
            Error::EmptyData { context: "sBG fit: need the cohort size and at least one later survivor count".into() }
        );
        for (t, &s) in survivors.iter().enumerate() {
            ensure!(s.is_finite() && s >= 0.0, Error::NonFinite { column: "survivors".into(), row: t, value: s });
        }
        for (t, pair) in survivors.windows(2).enumerate() {
            ensure!(
                pair[1] <= pair[0],
                Error::param(
                    "survivors",
                    format!("{} after {} at period {}", pair[1], pair[0], t + 1),
                    "survivor counts must not increase"
                )
            );
        }
        let (first, last) = (survivors[0], survivors[survivors.len() - 1]);
        ensure!(first > 0.0, Error::param("survivors", first, "the cohort must start with at least one customer"));
        ensure!(
            last < first,
            Error::EmptyData { context: "sBG fit: nobody churned, the churn distribution is not identified".into() }
        );
        ensure!(
            survivors[1] > 0.0,
            Error::EmptyData {
                context: "sBG fit: everyone churned in the first period, retention is not identified".into()
            }
        );
        let settings = Settings { max_iterations: self.max_iterations, gradient_tolerance: self.gradient_tolerance };
        let min =
            optim::minimize("sBG maximum likelihood", &|lp: &[f64]| evaluate(survivors, lp), vec![0.0; 2], settings)?;
        let mut fitted = FittedSbg::from_parameters(min.x[0].exp(), min.x[1].exp())?;
        fitted.diagnostics = Some(FitDiagnostics {
            log_likelihood: -min.cost * first,
            iterations: min.iterations,
            gradient_norm: min.gradient_norm,
            n_customers: first,
            n_distinct: survivors.len() - 1,
        });
        Ok(fitted)
    }
}

/// Mean negative log-likelihood per starting customer and its gradient in (ln α, ln β).
fn evaluate(survivors: &[f64], log_params: &[f64]) -> (f64, Vec<f64>) {
    let [alpha, beta] = match log_params {
        [a, b] => [a.exp(), b.exp()],
        _ => return (f64::NAN, vec![f64::NAN; log_params.len()]),
    };
    let base = ln_beta(alpha, beta);
    let (dg_a, dg_b, dg_ab) = (digamma(alpha), digamma(beta), digamma(alpha + beta));
    let (mut ll, mut d_alpha, mut d_beta) = (0.0, 0.0, 0.0);
    let n = survivors.len() - 1;
    for t in 1..=n {
        let lost = survivors[t - 1] - survivors[t];
        let tf = t as f64;
        if lost > 0.0 {
            // Eq. 2: P(T = t) = B(α+1, β+t−1) / B(α, β).
            ll += lost * (ln_beta(alpha + 1.0, beta + tf - 1.0) - base);
            let dg_end = digamma(alpha + beta + tf);
            d_alpha += lost * (digamma(alpha + 1.0) - dg_end - dg_a + dg_ab);
            d_beta += lost * (digamma(beta + tf - 1.0) - dg_end - dg_b + dg_ab);
        }
    }
    let remaining = survivors[n];
    if remaining > 0.0 {
        let nf = n as f64;
        // Eq. 3: S(n) = B(α, β+n) / B(α, β).
        ll += remaining * (ln_beta(alpha, beta + nf) - base);
        let dg_end = digamma(alpha + beta + nf);
        d_alpha += remaining * (dg_ab - dg_end);
        d_beta += remaining * (digamma(beta + nf) - dg_end - dg_b + dg_ab);
    }
    let cohort = survivors[0];
    (-ll / cohort, vec![-d_alpha * alpha / cohort, -d_beta * beta / cohort])
}

/// An sBG model with known α, β: survival, retention rates, discounted expected residual lifetime.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FittedSbg {
    alpha: f64,
    beta: f64,
    diagnostics: Option<FitDiagnostics>,
}

impl FittedSbg {
    /// A model from given parameters; both must be finite and > 0.
    pub fn from_parameters(alpha: f64, beta: f64) -> Result<Self> {
        for (name, v) in [("alpha", alpha), ("beta", beta)] {
            ensure!(v.is_finite() && v > 0.0, Error::param(name, v, "sBG parameters must be finite and > 0"));
        }
        Ok(FittedSbg { alpha, beta, diagnostics: None })
    }

    /// First shape of the Beta distribution of churn probabilities θ.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Second shape of the Beta distribution of θ.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// How the fit ended (`None` for a model built from given parameters); the
    /// log-likelihood is summed over the cohort.
    pub fn diagnostics(&self) -> Option<&FitDiagnostics> {
        self.diagnostics.as_ref()
    }

    /// Probability that a new customer churns at period `t` ≥ 1, P(T = t) (Fader & Hardie 2007, eq. 2).
    pub fn churn_probability(&self, t: u32) -> Result<f64> {
        ensure!(t >= 1, Error::param("t", t, "churn periods start at 1"));
        let tf = f64::from(t);
        Ok((ln_beta(self.alpha + 1.0, self.beta + tf - 1.0) - ln_beta(self.alpha, self.beta)).exp())
    }

    /// Probability that a new customer is still active after `t` periods, S(t) (eq. 3); S(0) = 1.
    pub fn survival(&self, t: u32) -> f64 {
        (ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// S(0), …, S(periods).
    pub fn survival_curve(&self, periods: u32) -> Vec<f64> {
        (0..=periods).map(|t| self.survival(t)).collect()
    }

    /// Share of the customers active at period t − 1 who renew at t, r_t = (β + t − 1)/(α + β + t − 1) (eq. 4).
    pub fn retention_rate(&self, t: u32) -> Result<f64> {
        ensure!(t >= 1, Error::param("t", t, "retention periods start at 1"));
        let tf = f64::from(t);
        Ok((self.beta + tf - 1.0) / (self.alpha + self.beta + tf - 1.0))
    }

    /// Discounted expected residual lifetime, in payments, of a customer who has made
    /// `renewals` renewals and is about to face the next (Fader & Hardie 2010,
    /// "Customer-base valuation in a contractual setting", Marketing Science 29(1), eq. 6):
    /// DERL = (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d)), n = renewals + 1;
    /// the payment at that next renewal counts undiscounted. Multiply by the
    /// payment per period for a value. `discount_rate` d must be > 0.
    pub fn derl(&self, discount_rate: f64, renewals: u32) -> Result<f64> {
        ensure!(
            discount_rate.is_finite() && discount_rate > 0.0,
            Error::param("discount_rate", discount_rate, "must be a positive number (the series needs 1/(1+d) < 1)")
        );
        let n = f64::from(renewals) + 1.0;
        let (alpha, beta) = (self.alpha, self.beta);
        let (sign, ln_hyp) = ln_hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + discount_rate))?;
        Ok((beta + n - 1.0) / (alpha + beta + n - 1.0) * sign * ln_hyp.exp())
    }
}
