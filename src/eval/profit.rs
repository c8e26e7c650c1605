//! Profit-based evaluation: the expected maximum profit measure for customer churn (EMPC).
//!
//! AUC treats every ranking error alike; a retention team does not. EMPC
//! (Verbraken, Verbeke & Baesens 2013, "A novel profit maximizing metric for
//! measuring classification performance of customer churn prediction models",
//! IEEE TKDE 25(5):961–973) prices a campaign that contacts the top of the
//! ranking: each contacted customer costs `contact_cost`; a contacted would-be
//! churner accepts the offer (cost `incentive_cost`) with probability γ and is
//! then retained, worth `clv`; a contacted loyal customer takes the offer
//! anyway. The campaign's profit at the best cut-off depends on γ, which is
//! unknown, so EMPC averages the maximum profit over γ ~ Beta(α, β).
//!
//! The optimum for each γ lies on the convex hull of the ROC curve, so the
//! integral is a finite sum over hull segments with incomplete-beta weights
//! (paper eq. 21–23). The numbers match the `EMP-PY` package's `empChurn`
//! (checked by `bench/empc_reference.py`).
//!
//! ```
//! use churnguard::eval::{empc, EmpcParams};
//! let labels = [true, true, false, true, false, false, false, false];
//! let scores = [0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.2, 0.1];
//! let result = empc(&labels, &scores, &EmpcParams::default())?;
//! // Profit per customer in the base (in CLV currency units) and the share to contact.
//! assert!(result.empc > 0.0);
//! assert!(result.target_fraction > 0.0 && result.target_fraction <= 1.0);
//! # Ok::<(), churnguard::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;

use super::metrics::{check_scores, tie_groups_desc};
use crate::error::{Error, Result, ensure};

/// Costs and benefits of a retention campaign, and the prior on the offer's acceptance rate.
///
/// The defaults are the customary ones of Verbraken et al. (2013): CLV 200,
/// incentive 10, contact 1, acceptance rate γ ~ Beta(6, 14) (mean 0.3).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmpcParams {
    /// Value of retaining a would-be churner (customer lifetime value).
    pub clv: f64,
    /// Cost of the incentive for a customer who accepts the offer (`d` in the paper).
    pub incentive_cost: f64,
    /// Cost of contacting one customer (`f` in the paper).
    pub contact_cost: f64,
    /// α of the Beta prior on the acceptance rate γ.
    pub alpha: f64,
    /// β of the Beta prior on the acceptance rate γ.
    pub beta: f64,
}

impl Default for EmpcParams {
    fn default() -> Self {
        EmpcParams { clv: 200.0, incentive_cost: 10.0, contact_cost: 1.0, alpha: 6.0, beta: 14.0 }
    }
}

impl EmpcParams {
    /// Validate: positive CLV, costs ≥ 0 with `incentive_cost < clv`, positive α and β.
    pub fn check(&self) -> Result<()> {
        ensure!(self.clv.is_finite() && self.clv > 0.0, Error::param("clv", self.clv, "must be positive and finite"));
        ensure!(
            self.incentive_cost.is_finite() && self.incentive_cost >= 0.0 && self.incentive_cost < self.clv,
            Error::param("incentive_cost", self.incentive_cost, "must lie in [0, clv)")
        );
        ensure!(
            self.contact_cost.is_finite() && self.contact_cost >= 0.0,
            Error::param("contact_cost", self.contact_cost, "must be ≥ 0 and finite")
        );
        ensure!(self.alpha.is_finite() && self.alpha > 0.0, Error::param("alpha", self.alpha, "must be positive"));
        ensure!(self.beta.is_finite() && self.beta > 0.0, Error::param("beta", self.beta, "must be positive"));
        Ok(())
    }
}

/// The result of [`empc`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Empc {
    /// Expected maximum profit per customer in the scored base (same currency as `clv`).
    pub empc: f64,
    /// Expected share of customers to contact at the profit-maximising cut-off.
    pub target_fraction: f64,
    /// Maximum profit per customer when γ is fixed at its mean (the deterministic "MP" measure).
    pub mp: f64,
    /// Share of customers to contact for [`mp`](Self::mp).
    pub mp_fraction: f64,
}

/// Upper convex hull of the ROC curve as `(fpr, tpr)` points from (0, 0) to (1, 1).
///
/// ROC points are taken at distinct score thresholds (ties form one point); collinear
/// points are dropped, as Qhull does in `EMP-PY`.
fn roc_hull(labels: &[bool], scores: &[f64], n_pos: usize) -> Vec<(f64, f64)> {
    let n_neg = labels.len() - n_pos;
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (pos, neg) in tie_groups_desc(labels, scores) {
        tp += pos;
        fp += neg;
        points.push((fp as f64 / n_neg as f64, tp as f64 / n_pos as f64));
    }
    // Andrew's monotone chain, upper hull: points arrive sorted by fpr (ties by tpr).
    let mut hull: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for p in points {
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
            if cross >= 0.0 {
                hull.pop()
            } else {
                break;
            };
        }
        hull.push(p);
    }
    hull
}

/// Expected maximum profit for churn (EMPC) of a ranking, with the profit-maximising
/// share of customers to target.
///
/// Profit per customer of contacting the fraction above a cut-off, as a function of the
/// acceptance rate γ (paper eq. 16): P = CLV·[(γ(1 − δ) − φ)·π₀F₀ − (δ + φ)·π₁F₁], with
/// π₀/π₁ the churn/non-churn shares, F₀/F₁ the shares of churners/non-churners contacted,
/// δ = incentive/CLV, φ = contact/CLV. EMPC = ∫ max_cut P(γ) dBeta(γ; α, β).
///
/// # Errors
/// Those of [`roc_auc`](super::roc_auc) (lengths, empty, non-finite, one class) and
/// [`Error::InvalidParameter`] from [`EmpcParams::check`].
pub fn empc(labels: &[bool], scores: &[f64], params: &EmpcParams) -> Result<Empc> {
    params.check()?;
    let n_pos = check_scores(labels, scores, "empc")?;
    let n = labels.len() as f64;
    let pi0 = n_pos as f64 / n;
    let pi1 = 1.0 - pi0;
    let delta = params.incentive_cost / params.clv;
    let phi = params.contact_cost / params.clv;
    let (a, b) = (params.alpha, params.beta);
    let hull = roc_hull(labels, scores, n_pos);

    // γ at which moving from hull point i to i + 1 becomes profitable (paper eq. 20);
    // increasing along the hull because its slopes decrease. Capped at 1.
    let mut gammas = vec![0.0];
    for w in hull.windows(2) {
        let (d_f1, d_f0) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
        let g = if d_f0 > 0.0 {
            (pi1 * (delta + phi) * d_f1 + pi0 * phi * d_f0) / (pi0 * (1.0 - delta) * d_f0)
        } else {
            f64::INFINITY
        };
        if g >= 1.0 {
            break;
        }
        gammas.push(g);
    }
    gammas.push(1.0);

    // Σ over γ-intervals of ∫ P_i(γ) h(γ) dγ; ∫γ h = E[γ]·I(α+1, β), ∫h = I(α, β).
    let mean_gamma = a / (a + b);
    let (mut value, mut fraction) = (0.0, 0.0);
    for (i, g) in gammas.windows(2).enumerate() {
        let (f1, f0) = hull[i];
        let mass = beta_reg(a, b, g[1]) - beta_reg(a, b, g[0]);
        let first_moment = mean_gamma * (beta_reg(a + 1.0, b, g[1]) - beta_reg(a + 1.0, b, g[0]));
        value +=
            params.clv * ((1.0 - delta) * pi0 * f0 * first_moment - (phi * pi0 * f0 + (delta + phi) * pi1 * f1) * mass);
        fraction += (pi0 * f0 + pi1 * f1) * mass;
    }

    // Deterministic MP at γ = E[γ]: the last hull point whose threshold γ lies below E[γ].
    let idx = gammas.iter().rposition(|&g| g < mean_gamma).unwrap_or(0).min(hull.len() - 1);
    let (f1, f0) = hull[idx];
    let mp = params.clv * ((mean_gamma * (1.0 - delta) - phi) * pi0 * f0 - (delta + phi) * pi1 * f1);
    let mp_fraction = pi0 * f0 + pi1 * f1;
    Ok(Empc { empc: value, target_fraction: fraction, mp, mp_fraction })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn hull_of_a_perfect_ranking_is_the_corner() {
        let labels = [true, true, false, false];
        let hull = roc_hull(&labels, &[0.9, 0.8, 0.2, 0.1], 2);
        assert_eq!(hull, vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]);
    }

    #[test]
    fn perfect_ranking_profit_has_closed_form() {
        // Perfect ranking: hull (0,0) → (0,1) → (1,1). Contacting all churners pays iff
        // γ > φ/(1−δ); then P = CLV·π₀·(γ(1−δ) − φ). With π₀ = ½ and default costs:
        // EMPC = 200·½·[(0.95)·E[γ·1{γ>g*}] − 0.005·P(γ>g*)], g* = 0.005/0.95.
        let labels = [true, true, false, false];
        let r = empc(&labels, &[0.9, 0.8, 0.2, 0.1], &EmpcParams::default()).unwrap();
        let g = 0.005 / 0.95;
        let tail = 1.0 - beta_reg(6.0, 14.0, g);
        let first = 0.3 * (1.0 - beta_reg(7.0, 14.0, g));
        let expected = 100.0 * (0.95 * first - 0.005 * tail);
        assert_relative_eq!(r.empc, expected, max_relative = 1e-12);
        assert_relative_eq!(r.target_fraction, 0.5 * tail, max_relative = 1e-12);
    }

    #[test]
    fn tied_scores_pay_only_when_acceptance_is_high() {
        // All scores tied: the hull is the diagonal, so the only choices are "contact no one"
        // and "contact everyone". With π₀ = 0.1 the latter pays once γ exceeds
        // g* = (π₁(δ+φ) + π₀φ)/(π₀(1−δ)) = 0.05/0.095, and then earns
        // CLV·[(γ(1−δ) − φ)π₀ − (δ+φ)π₁].
        let labels = [true, false, false, false, false, false, false, false, false, false];
        let r = empc(&labels, &[0.5; 10], &EmpcParams::default()).unwrap();
        let g = (0.9 * 0.055 + 0.1 * 0.005) / (0.1 * 0.95);
        let tail = 1.0 - beta_reg(6.0, 14.0, g);
        let first = 0.3 * (1.0 - beta_reg(7.0, 14.0, g));
        let expected = 200.0 * (0.95 * 0.1 * first - (0.005 * 0.1 + 0.055 * 0.9) * tail);
        assert_relative_eq!(r.empc, expected, max_relative = 1e-12);
        assert_relative_eq!(r.target_fraction, tail, max_relative = 1e-12);
        // At the mean acceptance rate (0.3 < g*) nobody should be contacted.
        assert_eq!(r.mp, 0.0);
        assert_eq!(r.mp_fraction, 0.0);
    }

    #[test]
    fn invalid_costs_are_named() {
        let bad = EmpcParams { incentive_cost: 300.0, ..EmpcParams::default() };
        let err = empc(&[true, false], &[0.6, 0.4], &bad).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { name: "incentive_cost", .. }));
        let bad = EmpcParams { alpha: 0.0, ..EmpcParams::default() };
        assert!(matches!(empc(&[true, false], &[0.6, 0.4], &bad), Err(Error::InvalidParameter { name: "alpha", .. })));
        assert!(matches!(empc(&[true, true], &[0.6, 0.4], &EmpcParams::default()), Err(Error::SingleClass { .. })));
    }
}
