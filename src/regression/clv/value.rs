//! Customer lifetime value: BG/NBD expected purchases per month × Gamma–Gamma
//! expected order value, discounted monthly — the computation of lifetimes'
//! `GammaGammaFitter.customer_lifetime_value`.

use rayon::prelude::*;

use super::bgnbd::FittedBgNbd;
use super::gamma_gamma::FittedGammaGamma;
use super::summary::{Rfm, RfmSummary};
use crate::error::{Error, Result, ensure};

/// Settings of [`clv`]: horizon, discount rate and the summary's time unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClvParams {
    horizon_months: u32,
    monthly_discount_rate: f64,
    time_units_per_month: f64,
}

impl ClvParams {
    /// 12 months at 1% a month, for summaries whose time unit fits `time_units_per_month` times in a month.
    pub fn new(time_units_per_month: f64) -> Self {
        ClvParams { horizon_months: 12, monthly_discount_rate: 0.01, time_units_per_month }
    }

    /// For summaries in weeks: 4.345 weeks a month (lifetimes' `freq="W"`).
    pub fn weeks() -> Self {
        Self::new(4.345)
    }

    /// For summaries in days: 30 days a month (lifetimes' `freq="D"`).
    pub fn days() -> Self {
        Self::new(30.0)
    }

    /// Months of future purchases counted (default 12).
    pub fn horizon_months(mut self, months: u32) -> Self {
        self.horizon_months = months;
        self
    }

    /// Discount rate per month (default 0.01).
    pub fn monthly_discount_rate(mut self, rate: f64) -> Self {
        self.monthly_discount_rate = rate;
        self
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        ensure!(self.horizon_months > 0, Error::param("horizon_months", self.horizon_months, "must be at least 1"));
        ensure!(
            self.monthly_discount_rate.is_finite() && self.monthly_discount_rate > -1.0,
            Error::param("monthly_discount_rate", self.monthly_discount_rate, "must be finite and > -1")
        );
        ensure!(
            self.time_units_per_month.is_finite() && self.time_units_per_month > 0.0,
            Error::param("time_units_per_month", self.time_units_per_month, "must be a positive number")
        );
        Ok(())
    }
}

/// Discounted value of one customer's purchases over the horizon.
///
/// `CLV = Σ_{i=1..H} E[M] · (E[Y(i·f)] − E[Y((i−1)·f)]) / (1+d)^i`, with `E[Y(t)]` the
/// BG/NBD conditional expectation (Fader, Hardie & Lee 2005, eq. 10), `E[M]` the
/// Gamma–Gamma expected order value (note 025, eq. 5), f time units per month
/// and d the monthly discount rate (as lifetimes' `_customer_lifetime_value`).
pub fn customer_clv(
    purchases: &FittedBgNbd,
    spend: &FittedGammaGamma,
    customer: &Rfm,
    params: &ClvParams,
) -> Result<f64> {
    params.check()?;
    customer.check(0, "")?;
    one(purchases, spend, customer, params)
}

fn one(purchases: &FittedBgNbd, spend: &FittedGammaGamma, c: &Rfm, params: &ClvParams) -> Result<f64> {
    let value = spend.expected_average_value(c.frequency, c.monetary_value)?;
    let mut total = 0.0;
    let mut previous = 0.0;
    let discount = 1.0 + params.monthly_discount_rate;
    for month in 1..=params.horizon_months {
        let cumulative = purchases.expected_purchases(f64::from(month) * params.time_units_per_month, c)?;
        total += value * (cumulative - previous) / discount.powi(month as i32);
        previous = cumulative;
    }
    Ok(total)
}

/// [`customer_clv`] for every customer of a summary, in row order (parallel over customers).
///
/// ```
/// use churnguard::regression::clv::{ClvParams, FittedBgNbd, FittedGammaGamma, Rfm, RfmSummary, clv};
/// // Published CDNOW estimates (Fader, Hardie & Lee 2005; lifetimes' Gamma-Gamma fit), time in weeks.
/// let purchases = FittedBgNbd::from_parameters(0.243, 4.414, 0.793, 2.426)?;
/// let spend = FittedGammaGamma::from_parameters(6.25, 3.74, 15.45)?;
/// let customers = RfmSummary::from_rows([
///     ("loyal".into(), Rfm::new(10, 38.0, 39.0).with_monetary_value(30.0)),
///     ("lapsed".into(), Rfm::new(10, 5.0, 39.0).with_monetary_value(30.0)),
/// ])?;
/// let values = clv(&purchases, &spend, &customers, &ClvParams::weeks())?;
/// assert!(values[0] > 10.0 * values[1]);
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn clv(
    purchases: &FittedBgNbd,
    spend: &FittedGammaGamma,
    data: &RfmSummary,
    params: &ClvParams,
) -> Result<Vec<f64>> {
    params.check()?;
    data.iter().collect::<Vec<_>>().par_iter().map(|c| one(purchases, spend, c, params)).collect()
}
