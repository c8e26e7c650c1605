//! The Gamma–Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie
//! note 025): a customer's order values are Gamma(p, ν) with ν ~ Gamma(q, γ)
//! across customers (`v` here is γ, lifetimes' naming), independent of the purchase process.

use rayon::prelude::*;
use statrs::function::gamma::{digamma, ln_gamma};

use super::bgnbd::FitDiagnostics;
use super::optim::{self, Settings};
use super::summary::RfmSummary;
use crate::error::{Error, Result, ensure};

/// Rows per parallel chunk; fixed so sums do not depend on the thread count.
const CHUNK: usize = 4096;

/// Entry point: `GammaGamma::params().fit(&summary)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GammaGamma;

impl GammaGamma {
    /// Default fitting settings.
    pub fn params() -> GammaGammaParams {
        GammaGammaParams::default()
    }
}

/// Settings of the Gamma–Gamma maximum-likelihood fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GammaGammaParams {
    max_iterations: u64,
    gradient_tolerance: f64,
    correlation_threshold: f64,
}

impl Default for GammaGammaParams {
    fn default() -> Self {
        GammaGammaParams { max_iterations: 500, gradient_tolerance: 1e-9, correlation_threshold: 0.3 }
    }
}

/// The model's key assumption checked on the data: spend per order does not
/// depend on how often a customer buys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndependenceCheck {
    /// Pearson correlation between frequency and mean repeat spend over customers with repeats.
    pub correlation: f64,
    /// Customers it was computed on.
    pub n: usize,
    /// |correlation| above which `warning` is set.
    pub threshold: f64,
    /// Whether |correlation| exceeds the threshold: the spend predictions are then suspect.
    pub warning: bool,
}

impl GammaGammaParams {
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

    /// |Pearson r| between frequency and spend that flags the independence check (default 0.3).
    pub fn correlation_threshold(mut self, threshold: f64) -> Self {
        self.correlation_threshold = threshold;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        ensure!(self.max_iterations > 0, Error::param("max_iterations", self.max_iterations, "must be at least 1"));
        ensure!(
            self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0,
            Error::param("gradient_tolerance", self.gradient_tolerance, "must be a positive number")
        );
        ensure!(
            (0.0..=1.0).contains(&self.correlation_threshold),
            Error::param("correlation_threshold", self.correlation_threshold, "must lie in [0, 1]")
        );
        Ok(())
    }

    /// Fit p, q, v by maximum likelihood on the customers with at least one repeat
    /// purchase (Fader & Hardie note 025, eq. 3), after grouping identical
    /// (frequency, monetary value) rows. Their monetary values must be > 0.
    pub fn fit(&self, data: &RfmSummary) -> Result<FittedGammaGamma> {
        self.check()?;
        let mut rows: Vec<(u32, f64, f64)> = Vec::new();
        for (i, (&x, &m)) in data.frequency().iter().zip(data.monetary_value()).enumerate() {
            if x > 0 {
                ensure!(
                    m > 0.0,
                    Error::InvalidSummary {
                        row: i,
                        customer: data.customer_ids().get(i).map(|c| c.to_string()).unwrap_or_default(),
                        reason: format!("monetary value {m} must be > 0 for a customer with {x} repeat purchases"),
                    }
                );
                rows.push((x, m, 1.0));
            }
        }
        ensure!(
            rows.len() >= 2,
            Error::EmptyData {
                context: format!("Gamma-Gamma fit: {} customers with repeat purchases, need 2", rows.len())
            }
        );
        let independence = independence(&rows, self.correlation_threshold);
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        rows.dedup_by(|later, kept| {
            let same = later.0 == kept.0 && later.1 == kept.1;
            if same {
                kept.2 += later.2;
            }
            same
        });
        // Fit with spend scaled to mean 1 (v scales with it; the likelihood shifts by a constant).
        let total: f64 = rows.iter().map(|r| r.2).sum();
        let mean = rows.iter().map(|r| r.1 * r.2).sum::<f64>() / total;
        let scaled: Vec<(f64, f64, f64)> = rows.iter().map(|&(x, m, w)| (f64::from(x), m / mean, w)).collect();
        let settings = Settings { max_iterations: self.max_iterations, gradient_tolerance: self.gradient_tolerance };
        let min = optim::minimize(
            "Gamma-Gamma maximum likelihood",
            &|lp: &[f64]| evaluate(&scaled, lp),
            vec![0.0; 3],
            settings,
        )?;
        let (p, q, v) = (min.x[0].exp(), min.x[1].exp(), min.x[2].exp() * mean);
        let mut fitted = FittedGammaGamma::from_parameters(p, q, v)?;
        let unscaled: Vec<(f64, f64, f64)> = rows.iter().map(|&(x, m, w)| (f64::from(x), m, w)).collect();
        let (mean_nll, _) = evaluate(&unscaled, &[p.ln(), q.ln(), v.ln()]);
        fitted.diagnostics = Some(FitDiagnostics {
            log_likelihood: -mean_nll * total,
            iterations: min.iterations,
            gradient_norm: min.gradient_norm,
            n_customers: total,
            n_distinct: rows.len(),
        });
        fitted.independence = Some(independence);
        Ok(fitted)
    }
}

/// Pearson correlation between frequency and monetary value over customers with
/// repeat purchases, flagged when its magnitude exceeds `threshold`.
pub fn independence_check(data: &RfmSummary, threshold: f64) -> Result<IndependenceCheck> {
    ensure!((0.0..=1.0).contains(&threshold), Error::param("threshold", threshold, "must lie in [0, 1]"));
    let rows: Vec<(u32, f64, f64)> = data
        .frequency()
        .iter()
        .zip(data.monetary_value())
        .filter(|(x, _)| **x > 0)
        .map(|(&x, &m)| (x, m, 1.0))
        .collect();
    ensure!(
        rows.len() >= 2,
        Error::EmptyData { context: "independence check: need two customers with repeat purchases".into() }
    );
    Ok(independence(&rows, threshold))
}

fn independence(rows: &[(u32, f64, f64)], threshold: f64) -> IndependenceCheck {
    let n = rows.len() as f64;
    let (mx, mm) = rows.iter().fold((0.0, 0.0), |(a, b), &(x, m, _)| (a + f64::from(x) / n, b + m / n));
    let (mut sxx, mut smm, mut sxm) = (0.0, 0.0, 0.0);
    for &(x, m, _) in rows {
        let (dx, dm) = (f64::from(x) - mx, m - mm);
        sxx += dx * dx;
        smm += dm * dm;
        sxm += dx * dm;
    }
    // A constant column has no correlation to speak of: report 0 rather than NaN.
    let correlation = if sxx > 0.0 && smm > 0.0 { sxm / (sxx * smm).sqrt() } else { 0.0 };
    IndependenceCheck { correlation, n: rows.len(), threshold, warning: correlation.abs() > threshold }
}

/// Mean negative log-likelihood (note 025, eq. 3, as lifetimes' `_negative_log_likelihood`) over
/// weighted (x, m̄, w) rows and its gradient with respect to (ln p, ln q, ln v).
fn evaluate(rows: &[(f64, f64, f64)], log_params: &[f64]) -> (f64, Vec<f64>) {
    let [p, q, v] = match log_params {
        [p, q, v] => [p.exp(), q.exp(), v.exp()],
        _ => return (f64::NAN, vec![f64::NAN; log_params.len()]),
    };
    let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
    let partials: Vec<[f64; 5]> = rows
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut acc = [0.0; 5];
            for &(x, m, w) in chunk {
                let px = p * x;
                let ln_xmv = (x * m + v).ln();
                let (ln_m, ln_x) = (m.ln(), x.ln());
                let dg_pxq = digamma(px + q);
                acc[0] += w
                    * (ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + (px - 1.0) * ln_m + px * ln_x
                        - (px + q) * ln_xmv);
                acc[1] += w * x * (dg_pxq - digamma(px) + ln_m + ln_x - ln_xmv);
                acc[2] += w * (dg_pxq - dg_q + ln_v - ln_xmv);
                acc[3] += w * (q / v - (px + q) / (x * m + v));
                acc[4] += w;
            }
            acc
        })
        .collect();
    let mut s = [0.0; 5];
    for part in &partials {
        for (a, b) in s.iter_mut().zip(part) {
            *a += b;
        }
    }
    let n = s[4];
    (-s[0] / n, vec![-s[1] * p / n, -s[2] * q / n, -s[3] * v / n])
}

/// A Gamma–Gamma model with known parameters: expected spend per order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FittedGammaGamma {
    p: f64,
    q: f64,
    v: f64,
    diagnostics: Option<FitDiagnostics>,
    independence: Option<IndependenceCheck>,
}

impl FittedGammaGamma {
    /// A model from given parameters; all must be finite and > 0.
    pub fn from_parameters(p: f64, q: f64, v: f64) -> Result<Self> {
        for (name, value) in [("p", p), ("q", q), ("v", v)] {
            ensure!(
                value.is_finite() && value > 0.0,
                Error::param(name, value, "Gamma-Gamma parameters must be finite and > 0")
            );
        }
        Ok(FittedGammaGamma { p, q, v, diagnostics: None, independence: None })
    }

    /// Shape of each order value's Gamma distribution.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Shape of the Gamma distribution of the per-customer scale ν.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Rate of the Gamma distribution of ν (γ in the paper), in currency.
    pub fn v(&self) -> f64 {
        self.v
    }

    /// How the fit ended (`None` for a model built from given parameters).
    pub fn diagnostics(&self) -> Option<&FitDiagnostics> {
        self.diagnostics.as_ref()
    }

    /// The frequency/spend correlation on the fitting data (`None` for a model built from parameters).
    pub fn independence(&self) -> Option<&IndependenceCheck> {
        self.independence.as_ref()
    }

    /// Mean order value in the population, `E[Z] = p v / (q − 1)`; needs q > 1.
    pub fn population_mean(&self) -> Result<f64> {
        ensure!(self.q > 1.0, Error::param("q", self.q, "the mean spend is infinite unless q > 1"));
        Ok(self.p * self.v / (self.q - 1.0))
    }

    /// Expected mean order value of a customer with `frequency` repeat purchases of mean
    /// `monetary_value` (note 025, eq. 5): a weighted average of the population mean and the
    /// customer's own mean; the population mean when `frequency` is 0. Needs q > 1.
    pub fn expected_average_value(&self, frequency: u32, monetary_value: f64) -> Result<f64> {
        ensure!(
            monetary_value.is_finite() && monetary_value >= 0.0,
            Error::param("monetary_value", monetary_value, "must be finite and >= 0")
        );
        let population = self.population_mean()?;
        let px = self.p * f64::from(frequency);
        // Eq. 5: E(M | p, q, γ, m̄, x) = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄.
        let weight = px / (px + self.q - 1.0);
        Ok((1.0 - weight) * population + weight * monetary_value)
    }

    /// [`expected_average_value`](Self::expected_average_value) for every customer of a summary, in row order.
    pub fn expected_average_value_all(&self, data: &RfmSummary) -> Result<Vec<f64>> {
        data.iter().map(|c| self.expected_average_value(c.frequency, c.monetary_value)).collect()
    }
}
