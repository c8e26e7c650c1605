//! Customer lifetime value: how many purchases a customer will still make, what they will
//! spend, and what that is worth today.
//!
//! - [`RfmSummary`] and [`summarize`] / [`summarize_log`]: the (frequency, recency, T,
//!   monetary value) summary of a transaction history at a calibration date, with
//!   same-day purchases merged and time in periods of `period_days` (7 = weeks), the
//!   convention of Fader, Hardie & Lee's CDNOW data.
//! - [`BgNbd`]: the BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your
//!   customers the easy way", Marketing Science 24(2)) fitted by maximum likelihood:
//!   P(alive), expected purchases in the next t periods, for a known or a new customer.
//! - [`GammaGamma`]: the spend model (Fader, Hardie & Lee 2005, "RFM and CLV", JMR 42(4);
//!   Fader & Hardie 2013 note) for the expected average order value, with the
//!   frequency/monetary independence check.
//! - [`ShiftedBetaGeometric`]: subscription renewals (Fader & Hardie 2007, "How to project
//!   customer retention", J. Interactive Marketing 21(1)).
//! - [`clv`]: discounted monthly cash flows of BG/NBD purchases × Gamma–Gamma spend, as
//!   lifetimes' `customer_lifetime_value`.
//!
//! **Fitting many customers fast.** Customers with identical (x, tₓ, T) share one
//! likelihood term, so the fit runs over distinct summaries with counts as weights —
//! millions of customers with a few thousand distinct rows fit in milliseconds. Parameters
//! are optimised on the log scale (they stay positive) by Nelder–Mead followed by Newton
//! steps on a finite-difference Hessian, which also gives standard errors. Written here
//! rather than with argmin because the 4-parameter problem needs no more and the result is
//! deterministic bit for bit.
//!
//! ```
//! use churnguard::regression::clv::{BgNbd, RfmSummary};
//! // (repeat purchases, week of the last one, weeks since the first)
//! let customers = vec![
//!     RfmSummary::new(2.0, 30.43, 38.86, 22.35)?,
//!     RfmSummary::new(1.0, 1.71, 38.86, 11.77)?,
//!     RfmSummary::new(0.0, 0.0, 38.86, 0.0)?,
//!     RfmSummary::new(5.0, 35.0, 38.86, 30.0)?,
//!     RfmSummary::new(0.0, 0.0, 30.0, 0.0)?,
//!     RfmSummary::new(3.0, 20.0, 32.0, 15.0)?,
//! ];
//! let model = BgNbd::fit(&customers)?;
//! let p = model.p_alive(&customers[0]);
//! assert!(p > 0.0 && p <= 1.0);
//! # Ok::<(), churnguard::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

use crate::data::{CustomerId, EventLog};
use crate::error::{Error, Result, ensure};
use crate::time::{SECONDS_PER_DAY, Timestamp};

/// One customer's purchase summary at the end of a calibration period.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RfmSummary {
    /// Repeat purchases x (purchase days after the first).
    pub frequency: f64,
    /// Time of the last repeat purchase since the first purchase, tₓ (0 when x = 0).
    pub recency: f64,
    /// Time from the first purchase to the end of the calibration period, T.
    pub t: f64,
    /// Mean spend of the repeat purchases (0 when x = 0).
    pub monetary: f64,
}

impl RfmSummary {
    /// A checked summary.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-finite or negative values, recency > T, or
    /// frequency 0 with recency > 0.
    pub fn new(frequency: f64, recency: f64, t: f64, monetary: f64) -> Result<Self> {
        let s = RfmSummary { frequency, recency, t, monetary };
        s.check(0)?;
        Ok(s)
    }

    fn check(&self, row: usize) -> Result<()> {
        for (name, v) in
            [("frequency", self.frequency), ("recency", self.recency), ("T", self.t), ("monetary", self.monetary)]
        {
            if !v.is_finite() {
                return Err(Error::NonFinite { column: name.into(), row, value: v });
            }
            ensure!(v >= 0.0, Error::param("rfm summary", format!("row {row}: {name} = {v}"), "must be ≥ 0"));
        }
        ensure!(
            self.recency <= self.t + 1e-9,
            Error::param(
                "rfm summary",
                format!("row {row}: recency {} > T {}", self.recency, self.t),
                "recency cannot exceed T"
            )
        );
        ensure!(
            self.frequency > 0.0 || self.recency == 0.0,
            Error::param(
                "rfm summary",
                format!("row {row}: frequency 0 with recency {}", self.recency),
                "a customer without repeat purchases has recency 0"
            )
        );
        ensure!(self.t > 0.0, Error::param("rfm summary", format!("row {row}: T = {}", self.t), "T must be positive"));
        Ok(())
    }
}

/// Summaries of `transactions` (customer, time, amount) at `calibration_end`, in periods of
/// `period_days` days (7 → weeks). Purchases on the same calendar day (UTC) are merged
/// into one (amounts summed). `calibration_end` is the last day observed, inclusive (as
/// lifetimes' `observation_period_end`): T is measured from the first purchase day to it,
/// and later transactions are ignored. Customers whose first purchase falls on
/// `calibration_end` itself (T = 0) are left out.
///
/// Reproduces the CDNOW summary of Fader, Hardie & Lee (2005) from the raw transactions.
///
/// # Errors
/// [`Error::InvalidParameter`] for `period_days ≤ 0`, [`Error::NonFinite`] for an amount,
/// [`Error::EmptyData`] when no customer purchased before `calibration_end`.
pub fn summarize<K: Hash + Eq + Ord + Clone>(
    transactions: impl IntoIterator<Item = (K, Timestamp, f64)>,
    calibration_end: Timestamp,
    period_days: f64,
) -> Result<Vec<(K, RfmSummary)>> {
    ensure!(period_days.is_finite() && period_days > 0.0, Error::param("period_days", period_days, "must be positive"));
    let end_day = calibration_end.unix_seconds().div_euclid(SECONDS_PER_DAY);
    // Per customer: day → total spend.
    let mut days: HashMap<K, BTreeMap<i64, f64>> = HashMap::new();
    for (row, (k, at, amount)) in transactions.into_iter().enumerate() {
        if !amount.is_finite() {
            return Err(Error::NonFinite { column: "amount".into(), row, value: amount });
        }
        let day = at.unix_seconds().div_euclid(SECONDS_PER_DAY);
        if day > end_day {
            continue;
        }
        *days.entry(k).or_default().entry(day).or_insert(0.0) += amount;
    }
    ensure!(
        !days.is_empty(),
        Error::EmptyData { context: "clv summary: no purchase before the calibration end".into() }
    );
    let mut out: Vec<(K, RfmSummary)> = days
        .into_iter()
        .filter_map(|(k, d)| {
            let (&first, _) = d.iter().next()?;
            let (&last, _) = d.iter().next_back()?;
            if first == end_day {
                return None;
            }
            let repeats: Vec<f64> = d.values().skip(1).copied().collect();
            let x = repeats.len() as f64;
            let monetary = if repeats.is_empty() { 0.0 } else { repeats.iter().sum::<f64>() / x };
            let s = RfmSummary {
                frequency: x,
                recency: (last - first) as f64 / period_days,
                t: (end_day - first) as f64 / period_days,
                monetary,
            };
            Some((k, s))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Purchase days per customer in the holdout period after `calibration_end` up to and
/// including `holdout_end` (same-day purchases merged), for checking predictions made at
/// the calibration date against what happened. Customers without a holdout purchase are
/// absent (count 0).
///
/// # Errors
/// [`Error::InvalidParameter`] when `holdout_end` is not after `calibration_end`.
pub fn holdout_purchases<K: Hash + Eq + Clone>(
    transactions: impl IntoIterator<Item = (K, Timestamp)>,
    calibration_end: Timestamp,
    holdout_end: Timestamp,
) -> Result<HashMap<K, u32>> {
    let (start, end) = (
        calibration_end.unix_seconds().div_euclid(SECONDS_PER_DAY),
        holdout_end.unix_seconds().div_euclid(SECONDS_PER_DAY),
    );
    ensure!(end > start, Error::param("holdout_end", holdout_end, "must be after the calibration end"));
    let mut days: HashMap<K, std::collections::BTreeSet<i64>> = HashMap::new();
    for (k, at) in transactions {
        let day = at.unix_seconds().div_euclid(SECONDS_PER_DAY);
        if day > start && day <= end {
            days.entry(k).or_default().insert(day);
        }
    }
    Ok(days.into_iter().map(|(k, d)| (k, d.len() as u32)).collect())
}

/// [`summarize`] over the orders of an [`EventLog`] (amount paid per order).
///
/// # Errors
/// Those of [`summarize`].
pub fn summarize_log(
    log: &EventLog,
    calibration_end: Timestamp,
    period_days: f64,
) -> Result<Vec<(CustomerId, RfmSummary)>> {
    let tx = (0..log.n_customers()).flat_map(|i| {
        let e = log.events(i);
        let id = e.customer.id.clone();
        e.orders.iter().map(move |o| (id.clone(), o.at, o.amount))
    });
    summarize(tx, calibration_end, period_days)
}

/// Distinct (x, tₓ, T) rows with their counts.
fn group(summaries: &[RfmSummary]) -> Result<Vec<(RfmSummary, f64)>> {
    ensure!(!summaries.is_empty(), Error::EmptyData { context: "BG/NBD fit: no customers".into() });
    let mut map: BTreeMap<(u64, u64, u64), (RfmSummary, f64)> = BTreeMap::new();
    for (row, s) in summaries.iter().enumerate() {
        s.check(row)?;
        let key = (s.frequency.to_bits(), s.recency.to_bits(), s.t.to_bits());
        map.entry(key).or_insert((RfmSummary { monetary: 0.0, ..*s }, 0.0)).1 += 1.0;
    }
    Ok(map.into_values().collect())
}

/// Minimise `f` over ℝⁿ from `x0` by Nelder–Mead (Lagarias et al. 1998 coefficients),
/// then polish with Newton steps on a central-difference Hessian. Returns the minimiser
/// and the Hessian there.
fn minimise(f: &dyn Fn(&[f64]) -> f64, x0: &[f64], model: &'static str) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let n = x0.len();
    let mut simplex: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut v = x0.to_vec();
        v[i] += if v[i].abs() > 1e-3 { 0.1 * v[i].abs().max(0.5) } else { 0.25 };
        simplex.push(v);
    }
    let mut values: Vec<f64> = simplex.iter().map(|v| f(v)).collect();
    for _ in 0..3_000 {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        let spread = (values[n] - values[0]).abs();
        let size = simplex
            .iter()
            .skip(1)
            .map(|v| v.iter().zip(&simplex[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
            .fold(0.0, f64::max);
        // Converged: the simplex is small, or the values are flat to 1e-12 (a ridge where the
        // likelihood no longer changes, e.g. a, b → ∞ at a fixed ratio in BG/NBD).
        let scale = 1.0 + values[0].abs();
        if (spread < 1e-10 * scale && size < 1e-6) || spread < 1e-12 * scale {
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|j| simplex[..n].iter().map(|v| v[j]).sum::<f64>() / n as f64).collect();
        let at = |t: f64| -> Vec<f64> { (0..n).map(|j| centroid[j] + t * (simplex[n][j] - centroid[j])).collect() };
        let xr = at(-1.0);
        let fr = f(&xr);
        if fr < values[0] {
            let xe = at(-2.0);
            let fe = f(&xe);
            if fe < fr { (simplex[n], values[n]) = (xe, fe) } else { (simplex[n], values[n]) = (xr, fr) }
        } else if fr < values[n - 1] {
            (simplex[n], values[n]) = (xr, fr);
        } else {
            let (xc, fc) = if fr < values[n] {
                let x = at(-0.5);
                let v = f(&x);
                (x, v)
            } else {
                let x = at(0.5);
                let v = f(&x);
                (x, v)
            };
            if fc < values[n].min(fr) {
                (simplex[n], values[n]) = (xc, fc);
            } else {
                for i in 1..=n {
                    simplex[i] = (0..n).map(|j| simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j])).collect();
                    values[i] = f(&simplex[i]);
                }
            }
        }
    }
    let best = values.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
    let mut x = simplex[best].clone();
    ensure!(
        values[best].is_finite(),
        Error::FitFailed { model, message: "the likelihood is not finite at any tried parameter".into() }
    );
    // Newton polish with a finite-difference gradient and Hessian.
    let mut hessian = vec![vec![0.0; n]; n];
    for _ in 0..20 {
        let (g, h) = derivatives(f, &x);
        hessian = h.clone();
        let Some(step) = solve(h, g.clone()) else { break };
        let mut t = 1.0;
        let f0 = f(&x);
        let mut improved = false;
        while t > 1e-6 {
            let cand: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            if f(&cand) <= f0 {
                x = cand;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved || step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-12 {
            break;
        }
    }
    let (g, h) = derivatives(f, &x);
    hessian = if h.iter().flatten().all(|v| v.is_finite()) { h } else { hessian };
    ensure!(
        g.iter().all(|v| v.is_finite()) && g.iter().map(|v| v.abs()).fold(0.0, f64::max) < 1e-3 * (1.0 + f(&x).abs()),
        Error::FitFailed { model, message: format!("optimiser did not converge (gradient {g:?})") }
    );
    Ok((x, hessian))
}

/// Central-difference gradient and Hessian.
#[allow(clippy::needless_range_loop)] // (i, j) index the symmetric pair hess[i][j] and hess[j][i]
fn derivatives(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let h = 1e-4;
    let at = |d: &[(usize, f64)]| {
        let mut v = x.to_vec();
        for &(i, s) in d {
            v[i] += s;
        }
        f(&v)
    };
    let f0 = f(x);
    let mut g = vec![0.0; n];
    let mut hess = vec![vec![0.0; n]; n];
    for i in 0..n {
        let (fp, fm) = (at(&[(i, h)]), at(&[(i, -h)]));
        g[i] = (fp - fm) / (2.0 * h);
        hess[i][i] = (fp - 2.0 * f0 + fm) / (h * h);
        for j in 0..i {
            let v = (at(&[(i, h), (j, h)]) - at(&[(i, h), (j, -h)]) - at(&[(i, -h), (j, h)]) + at(&[(i, -h), (j, -h)]))
                / (4.0 * h * h);
            hess[i][j] = v;
            hess[j][i] = v;
        }
    }
    (g, hess)
}

/// Solve `a·x = b` by Gaussian elimination with partial pivoting; `None` if singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        let pivot = a[c].clone();
        for r in c + 1..n {
            let m = a[r][c] / pivot[c];
            for (v, p) in a[r].iter_mut().zip(&pivot).skip(c) {
                *v -= m * p;
            }
            b[r] -= m * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Inverse of a small symmetric matrix (for standard errors); `None` if singular.
fn inverse(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let cols: Option<Vec<Vec<f64>>> = (0..n)
        .map(|j| {
            let e: Vec<f64> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
            solve(a.to_vec(), e)
        })
        .collect();
    let cols = cols?;
    Some((0..n).map(|i| (0..n).map(|j| cols[j][i]).collect()).collect())
}

/// Gaussian hypergeometric ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    ensure!((0.0..1.0).contains(&z), Error::param("z", z, "2F1 series needs 0 ≤ z < 1"));
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 0..100_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            return Ok(sum);
        }
    }
    Err(Error::FitFailed { model: "bg_nbd", message: format!("2F1({a}, {b}; {c}; {z}) series did not converge") })
}

/// Bound on |log parameter| in the BG/NBD fit (parameters within about 1e-6 … 1.2e6).
///
/// When every customer has the same drop-out probability the MLE sends a and b to infinity
/// at a fixed ratio (the Beta becomes a point mass) and the likelihood is flat along that
/// ridge; the bound stops the search there instead of crawling along it. A fitted a or b
/// near 1.2e6 means "drop-out probability a/(a + b) for everyone".
const LOG_BOUND: f64 = 14.0;

/// A fitted BG/NBD model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the gamma distribution of purchase rates.
    pub alpha: f64,
    /// Beta distribution of the drop-out probability: a.
    pub a: f64,
    /// Beta distribution of the drop-out probability: b.
    pub b: f64,
    /// Log-likelihood at the optimum (sum over customers).
    pub log_likelihood: f64,
    /// Standard errors of (r, α, a, b) from the observed information (delta method from
    /// the log scale); `None` when the Hessian is singular.
    pub standard_errors: Option<[f64; 4]>,
}

/// Per-customer log-likelihood of BG/NBD (Fader, Hardie & Lee 2005, eq. 6; log-sum-exp form).
fn bgnbd_ll(r: f64, alpha: f64, a: f64, b: f64, s: &RfmSummary) -> f64 {
    let (x, tx, t) = (s.frequency, s.recency, s.t);
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let a3 = -(r + x) * (alpha + t).ln();
    if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln();
        let m = a3.max(a4);
        a1 + a2 + m + ((a3 - m).exp() + (a4 - m).exp()).ln()
    } else {
        a1 + a2 + a3
    }
}

/// The BG/NBD log-likelihood over distinct summaries, arranged for speed: the gamma-function
/// terms depend only on x, so they are computed once per distinct x; each row then costs
/// two logarithms and a log-sum-exp. Rows are summed in fixed-size chunks in parallel and
/// the chunk sums added in order, so the result does not depend on the thread count.
struct GroupedLikelihood {
    /// Distinct frequencies.
    xs: Vec<f64>,
    /// (index into `xs`, tₓ, T, count).
    rows: Vec<(usize, f64, f64, f64)>,
}

impl GroupedLikelihood {
    fn new(rows: &[(RfmSummary, f64)]) -> Self {
        let mut xs: Vec<f64> = rows.iter().map(|(s, _)| s.frequency).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let rows = rows.iter().map(|(s, w)| (xs.partition_point(|&x| x < s.frequency), s.recency, s.t, *w)).collect();
        GroupedLikelihood { xs, rows }
    }

    fn sum(&self, r: f64, alpha: f64, a: f64, b: f64) -> f64 {
        use rayon::prelude::*;
        // Per distinct x: A1 + A2 (paper eq. 6 in logs) and the constant of A4.
        let per_x: Vec<(f64, f64)> = self
            .xs
            .iter()
            .map(|&x| {
                let a12 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x)
                    - ln_gamma(b)
                    - ln_gamma(a + b + x);
                let c4 = if x > 0.0 { a.ln() - (b + x - 1.0).ln() } else { f64::NEG_INFINITY };
                (a12, c4)
            })
            .collect();
        let chunk_sums: Vec<f64> = self
            .rows
            .par_chunks(4096)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|&(k, tx, t, w)| {
                        let x = self.xs[k];
                        let (a12, c4) = per_x[k];
                        let a3 = -(r + x) * (alpha + t).ln();
                        let ll = if x > 0.0 {
                            let a4 = c4 - (r + x) * (alpha + tx).ln();
                            let m = a3.max(a4);
                            a12 + m + ((a3 - m).exp() + (a4 - m).exp()).ln()
                        } else {
                            a12 + a3
                        };
                        w * ll
                    })
                    .sum::<f64>()
            })
            .collect();
        chunk_sums.iter().sum()
    }
}

impl BgNbd {
    /// Fit by maximum likelihood on customer summaries (monetary values are ignored).
    ///
    /// # Errors
    /// [`Error::EmptyData`] without customers, [`Error::InvalidParameter`] /
    /// [`Error::NonFinite`] naming the first inconsistent row, [`Error::FitFailed`] if the
    /// optimiser does not converge.
    pub fn fit(summaries: &[RfmSummary]) -> Result<BgNbd> {
        let rows = group(summaries)?;
        ensure!(
            rows.iter().any(|(s, _)| s.frequency > 0.0),
            Error::EmptyData { context: "BG/NBD fit: no customer made a repeat purchase".into() }
        );
        let n: f64 = rows.iter().map(|(_, w)| w).sum();
        let likelihood = GroupedLikelihood::new(&rows);
        let nll = |p: &[f64]| -> f64 {
            // Parameters live in [e^−LOG_BOUND, e^LOG_BOUND]; beyond that the likelihood is flat.
            if p.iter().any(|v| v.abs() > LOG_BOUND) {
                return f64::INFINITY;
            }
            let (r, alpha, a, b) = (p[0].exp(), p[1].exp(), p[2].exp(), p[3].exp());
            -likelihood.sum(r, alpha, a, b) / n
        };
        let (p, hess) = minimise(&nll, &[0.0, 0.0, 0.0, 0.0], "bg_nbd")?;
        let params = [p[0].exp(), p[1].exp(), p[2].exp(), p[3].exp()];
        // Covariance on the log scale = (n·H)⁻¹; delta method: se(θ) = θ·se(log θ).
        let standard_errors = inverse(&hess).and_then(|cov| {
            let se: Vec<f64> = (0..4).map(|i| params[i] * (cov[i][i] / n).sqrt()).collect();
            se.iter().all(|v| v.is_finite()).then(|| [se[0], se[1], se[2], se[3]])
        });
        Ok(BgNbd {
            r: params[0],
            alpha: params[1],
            a: params[2],
            b: params[3],
            log_likelihood: -nll(&p) * n,
            standard_errors,
        })
    }

    /// Log-likelihood of one customer's summary under the model.
    pub fn log_likelihood_of(&self, s: &RfmSummary) -> f64 {
        bgnbd_ll(self.r, self.alpha, self.a, self.b, s)
    }

    /// P(the customer is still active | x, tₓ, T) (Fader, Hardie & Lee 2008 note 021, eq. 4).
    pub fn p_alive(&self, s: &RfmSummary) -> f64 {
        if s.frequency == 0.0 {
            return 1.0;
        }
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = s.frequency;
        let log_ratio = (r + x) * ((alpha + s.t) / (alpha + s.recency)).ln();
        1.0 / (1.0 + (a / (b + x - 1.0)) * log_ratio.exp())
    }

    /// Expected repeat purchases in the next `t` periods for a customer with summary `s`
    /// (Fader, Hardie & Lee 2005, eq. 10).
    ///
    /// # Errors
    /// [`Error::FitFailed`] if the hypergeometric series does not converge;
    /// [`Error::InvalidParameter`] for negative `t`.
    pub fn expected_purchases(&self, s: &RfmSummary, t: f64) -> Result<f64> {
        ensure!(t.is_finite() && t >= 0.0, Error::param("t", t, "must be ≥ 0"));
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = s.frequency;
        let (ha, hb, hc, z) = (r + x, b + x, a + b + x - 1.0, t / (alpha + s.t + t));
        let hyp = hyp2f1(ha, hb, hc, z)?;
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = 1.0 - hyp * ((r + x) * ((alpha + s.t) / (alpha + t + s.t)).ln()).exp();
        let denominator = if x > 0.0 {
            1.0 + (a / (b + x - 1.0)) * ((r + x) * ((alpha + s.t) / (alpha + s.recency)).ln()).exp()
        } else {
            1.0
        };
        Ok(first * second / denominator)
    }

    /// Expected purchases in `t` periods of a customer just acquired (eq. 9).
    ///
    /// # Errors
    /// As [`expected_purchases`](Self::expected_purchases).
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        ensure!(t.is_finite() && t >= 0.0, Error::param("t", t, "must be ≥ 0"));
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let hyp = hyp2f1(r, b, a + b - 1.0, t / (alpha + t))?;
        Ok((a + b - 1.0) / (a - 1.0) * (1.0 - (r * (alpha / (alpha + t)).ln()).exp() * hyp))
    }
}

/// A fitted Gamma–Gamma spend model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of the per-transaction spend (gamma, shape p).
    pub p: f64,
    /// Shape of the distribution of customers' spend scale (gamma, shape q).
    pub q: f64,
    /// Scale of the distribution of customers' spend scale (gamma, scale v).
    pub v: f64,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Pearson correlation between frequency and monetary value among the customers fitted.
    /// The model assumes independence; |r| above 0.3 is flagged by [`independence_warning`](Self::independence_warning).
    pub frequency_monetary_correlation: f64,
}

impl GammaGamma {
    /// Fit by maximum likelihood on customers with at least one repeat purchase and a
    /// positive mean spend (others carry no spend information and are skipped).
    ///
    /// # Errors
    /// [`Error::EmptyData`] when fewer than 2 customers qualify, row errors as
    /// [`BgNbd::fit`], [`Error::FitFailed`] on non-convergence.
    pub fn fit(summaries: &[RfmSummary]) -> Result<GammaGamma> {
        for (row, s) in summaries.iter().enumerate() {
            s.check(row)?;
        }
        let rows: Vec<(f64, f64)> = summaries
            .iter()
            .filter(|s| s.frequency > 0.0 && s.monetary > 0.0)
            .map(|s| (s.frequency, s.monetary))
            .collect();
        ensure!(
            rows.len() >= 2,
            Error::EmptyData { context: "Gamma-Gamma fit: need customers with repeat purchases and spend".into() }
        );
        let n = rows.len() as f64;
        // Per-customer log-likelihood of the mean spend m̄ over x transactions (Fader & Hardie 2013, eq. 5).
        let ll = |p: f64, q: f64, v: f64, x: f64, m: f64| {
            ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q) + q * v.ln() + (p * x - 1.0) * m.ln() + p * x * x.ln()
                - (p * x + q) * (x * m + v).ln()
        };
        let nll = |t: &[f64]| -> f64 {
            let (p, q, v) = (t[0].exp(), t[1].exp(), t[2].exp());
            -rows.iter().map(|&(x, m)| ll(p, q, v, x, m)).sum::<f64>() / n
        };
        let (t, _) = minimise(&nll, &[0.0, 0.0, 0.0], "gamma_gamma")?;
        let (mx, mm) = (rows.iter().map(|r| r.0).sum::<f64>() / n, rows.iter().map(|r| r.1).sum::<f64>() / n);
        let cov: f64 = rows.iter().map(|&(x, m)| (x - mx) * (m - mm)).sum();
        let (vx, vm): (f64, f64) =
            (rows.iter().map(|r| (r.0 - mx).powi(2)).sum(), rows.iter().map(|r| (r.1 - mm).powi(2)).sum());
        let corr = if vx > 0.0 && vm > 0.0 { cov / (vx * vm).sqrt() } else { 0.0 };
        Ok(GammaGamma {
            p: t[0].exp(),
            q: t[1].exp(),
            v: t[2].exp(),
            log_likelihood: -nll(&t) * n,
            frequency_monetary_correlation: corr,
        })
    }

    /// Whether frequency and spend look dependent (|Pearson r| > 0.3), which the model assumes they are not.
    pub fn independence_warning(&self) -> bool {
        self.frequency_monetary_correlation.abs() > 0.3
    }

    /// Expected mean spend per transaction given the history: p(v + x·m̄)/(p·x + q − 1);
    /// the population mean p·v/(q − 1) for customers without repeat purchases.
    pub fn expected_spend(&self, s: &RfmSummary) -> f64 {
        let (p, q, v) = (self.p, self.q, self.v);
        p * (v + s.frequency * s.monetary) / (p * s.frequency + q - 1.0)
    }
}

/// Customer lifetime value over `months` months: Σₖ E[purchases in month k] × E[spend] /
/// (1 + `monthly_discount_rate`)ᵏ, with months of `periods_per_month` model periods
/// (4.345 for weeks, 30 for days) — the computation of lifetimes' `customer_lifetime_value`.
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative rate or non-positive `periods_per_month`,
/// and those of [`BgNbd::expected_purchases`].
pub fn clv(
    purchases: &BgNbd,
    spend: &GammaGamma,
    s: &RfmSummary,
    months: u32,
    monthly_discount_rate: f64,
    periods_per_month: f64,
) -> Result<f64> {
    ensure!(
        monthly_discount_rate.is_finite() && monthly_discount_rate > -1.0,
        Error::param("monthly_discount_rate", monthly_discount_rate, "must be > −1")
    );
    ensure!(
        periods_per_month.is_finite() && periods_per_month > 0.0,
        Error::param("periods_per_month", periods_per_month, "must be positive")
    );
    let value = spend.expected_spend(s);
    let mut total = 0.0;
    let mut previous = 0.0;
    for k in 1..=months {
        let t = k as f64 * periods_per_month;
        let cumulative = purchases.expected_purchases(s, t)?;
        total += value * (cumulative - previous) / (1.0 + monthly_discount_rate).powf(k as f64);
        previous = cumulative;
    }
    Ok(total)
}

/// A fitted shifted-beta-geometric retention model: each period a customer renews with a
/// probability drawn once from Beta(α, β).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShiftedBetaGeometric {
    /// α of the churn-probability Beta distribution.
    pub alpha: f64,
    /// β of the churn-probability Beta distribution.
    pub beta: f64,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
}

impl ShiftedBetaGeometric {
    /// Fit from the number of customers still active at the start (`active[0]`) and after
    /// each period (`active[1..]`), non-increasing (Fader & Hardie 2007, eq. 7–8).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than 2 counts, a zero cohort, or counts that
    /// increase; [`Error::FitFailed`] on non-convergence.
    pub fn fit(active: &[u64]) -> Result<ShiftedBetaGeometric> {
        ensure!(
            active.len() >= 2,
            Error::param("active", active.len(), "need the cohort size and at least one period")
        );
        ensure!(active[0] > 0, Error::param("active", 0, "the cohort is empty"));
        ensure!(
            active.windows(2).all(|w| w[1] <= w[0]),
            Error::param("active", format!("{active:?}"), "active counts cannot increase")
        );
        let periods = active.len() - 1;
        let nll = |t: &[f64]| -> f64 {
            let (a, b) = (t[0].exp(), t[1].exp());
            // P(T = 1) = a/(a+b); P(T = t) = P(T = t−1)·(b + t − 2)/(a + b + t − 1); S(t) = S(t−1)·(b + t − 1)/(a + b + t − 1).
            let (mut p, mut s) = (a / (a + b), b / (a + b));
            let mut ll = 0.0;
            for t in 1..=periods {
                if t > 1 {
                    p *= (b + t as f64 - 2.0) / (a + b + t as f64 - 1.0);
                    s *= (b + t as f64 - 1.0) / (a + b + t as f64 - 1.0);
                }
                let lost = (active[t - 1] - active[t]) as f64;
                ll += lost * p.ln();
            }
            ll += active[periods] as f64 * s.ln();
            -ll
        };
        let (t, _) = minimise(&nll, &[0.0, 0.0], "shifted_beta_geometric")?;
        Ok(ShiftedBetaGeometric { alpha: t[0].exp(), beta: t[1].exp(), log_likelihood: -nll(&t) })
    }

    /// Share of the cohort still active after `t` periods: S(t) = B(α, β + t)/B(α, β).
    pub fn survival(&self, t: u32) -> f64 {
        let (a, b) = (self.alpha, self.beta);
        (ln_gamma(b + t as f64) - ln_gamma(b) + ln_gamma(a + b) - ln_gamma(a + b + t as f64)).exp()
    }

    /// Retention rate in period `t` (≥ 1): r(t) = (β + t − 1)/(α + β + t − 1).
    pub fn retention_rate(&self, t: u32) -> f64 {
        let t = t.max(1) as f64;
        (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn hypergeometric_series_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = −ln(1 − z)/z.
        let z: f64 = 0.6;
        assert_relative_eq!(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), -(1.0 - z).ln() / z, max_relative = 1e-13);
        assert!(matches!(hyp2f1(1.0, 1.0, 2.0, 1.0), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn shifted_beta_geometric_recovers_the_papers_regular_segment() {
        // Fader & Hardie (2007), Table 1 "regular" segment: 1000 customers; α = 0.704, β = 1.182.
        let m = ShiftedBetaGeometric::fit(&[1000, 631, 468, 382, 326, 289, 262, 241]).unwrap();
        assert_relative_eq!(m.alpha, 0.704, max_relative = 2e-3);
        assert_relative_eq!(m.beta, 1.182, max_relative = 2e-3);
        // "High end" segment: α = 0.668, β = 3.806.
        let h = ShiftedBetaGeometric::fit(&[1000, 869, 743, 653, 593, 551, 517, 491]).unwrap();
        assert_relative_eq!(h.alpha, 0.668, max_relative = 2e-3);
        assert_relative_eq!(h.beta, 3.806, max_relative = 2e-3);
        assert_relative_eq!(h.survival(1), 1.0 - h.alpha / (h.alpha + h.beta), max_relative = 1e-12);
    }

    #[test]
    fn bad_summaries_name_the_row() {
        assert!(matches!(RfmSummary::new(1.0, 5.0, 3.0, 1.0), Err(Error::InvalidParameter { .. })));
        assert!(matches!(RfmSummary::new(0.0, 1.0, 3.0, 0.0), Err(Error::InvalidParameter { .. })));
        assert!(matches!(RfmSummary::new(f64::NAN, 0.0, 3.0, 0.0), Err(Error::NonFinite { .. })));
        let ok = RfmSummary::new(1.0, 1.0, 3.0, 1.0).unwrap();
        let bad = RfmSummary { recency: 9.0, ..ok };
        let err = BgNbd::fit(&[ok, bad]).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
        assert!(matches!(BgNbd::fit(&[]), Err(Error::EmptyData { .. })));
        assert!(matches!(ShiftedBetaGeometric::fit(&[10, 12]), Err(Error::InvalidParameter { .. })));
    }
}
