//! Peeking guard: group-sequential boundaries for looking at a running campaign test.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::power::bisect;
use super::proportions::ProportionComparison;
use crate::error::{Error, Result, ensure};
use crate::stats::{check_alpha, norm_cdf, norm_isf, norm_pdf, norm_sf, two_sided_normal_p};

/// A plan of `K` interim looks with two-sided O'Brien–Fleming-type boundaries from
/// the Lan–DeMets alpha-spending function.
///
/// Each side spends α/2 by the function α₁(t) = 2 − 2Φ(z_{α₁/2}/√t) at α₁ = α/2
/// (Lan & DeMets 1983, Biometrika 70:659), the two-sided convention of ld98/ldbounds
/// and gsDesign; the whole plan spends α(t) = 4 − 4Φ(z_{α/4}/√t) by information
/// fraction t. The boundary of look k solves P(cross at k, not before) = α(t_k) −
/// α(t_{k−1}) for Brownian-motion z-statistics, by the Armitage–McPherson–Rowe
/// (1969, JRSS A 132:235) recursive numerical integration over a Simpson grid.
///
/// ```
/// use churnguard::eval::ab::SequentialPlan;
///
/// let plan = SequentialPlan::equally_spaced(0.05, 5)?;
/// let b = plan.boundaries(); // ≈ 4.877, 3.357, 2.680, 2.290, 2.031
/// assert!((b[0] - 4.877).abs() < 1e-3 && (b[4] - 2.031).abs() < 1e-3);
/// // Second look, z = −3.5: the campaign cut churn beyond the boundary, stop.
/// let look = plan.evaluate(2, -3.5)?;
/// assert!(look.stop && look.warning.is_none());
/// # Ok::<(), churnguard::Error>(())
/// ```
// Serialize only: a deserialised plan would skip the validation of `new`; rebuild it instead.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SequentialPlan {
    alpha: f64,
    fractions: Vec<f64>,
    boundaries: Vec<f64>,
    cumulative_alpha: Vec<f64>,
}

/// Why a look at the data does not keep the false-positive rate at the planned alpha.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PeekingWarning {
    /// The data were looked at more often than the plan allows; the extra look is
    /// compared with the final boundary, but the overall type-I error exceeds alpha.
    MoreLooksThanPlanned {
        /// Looks in the plan.
        planned: usize,
        /// The number of this look (1-based).
        look: usize,
    },
    /// The data were tested `looks` times at the nominal level without a sequential
    /// plan; the chance of a false "significant" result is `actual_alpha`, not alpha.
    Unplanned {
        /// How many times the test was run.
        looks: usize,
        /// Nominal two-sided level of each test.
        alpha: f64,
        /// Type-I error of stopping at the first nominally significant of `looks`
        /// equally spaced tests (Armitage, McPherson & Rowe 1969).
        actual_alpha: f64,
    },
}

impl fmt::Display for PeekingWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeekingWarning::MoreLooksThanPlanned { planned, look } => write!(
                f,
                "look {look} exceeds the {planned} planned looks: the false-positive rate is above the planned alpha"
            ),
            PeekingWarning::Unplanned { looks, alpha, actual_alpha } => write!(
                f,
                "tested {looks} times at nominal alpha {alpha} without a sequential plan: the false-positive rate is {actual_alpha:.3}, not {alpha}"
            ),
        }
    }
}

/// The verdict at one interim look of a [`SequentialPlan`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterimLook {
    /// Number of this look (1-based).
    pub look: usize,
    /// Looks in the plan.
    pub planned_looks: usize,
    /// Planned information fraction of this look (`None` past the plan).
    pub information_fraction: Option<f64>,
    /// The test statistic (e.g. [`ProportionComparison::z`]).
    pub z: f64,
    /// Two-sided boundary for |z| at this look.
    pub boundary: f64,
    /// Nominal two-sided p-value threshold of the boundary, 2(1 − Φ(boundary)).
    pub nominal_alpha: f64,
    /// Whether |z| reached the boundary: stop and declare an effect.
    pub stop: bool,
    /// Set when this look is outside the plan.
    pub warning: Option<PeekingWarning>,
}

impl SequentialPlan {
    /// A plan with looks at the given information fractions (strictly increasing, in
    /// (0, 1], the last equal to 1) and two-sided overall level `alpha`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `alpha` outside (0, 1), no fractions, fractions
    /// outside (0, 1], not strictly increasing, or a last fraction other than 1.
    pub fn obrien_fleming(alpha: f64, information_fractions: &[f64]) -> Result<Self> {
        check_alpha(alpha)?;
        ensure!(
            !information_fractions.is_empty(),
            Error::param("information_fractions", "[]", "need at least one look")
        );
        let mut previous = 0.0;
        for &t in information_fractions {
            ensure!(
                t.is_finite() && t > previous && t <= 1.0,
                Error::param("information_fractions", t, "fractions must be strictly increasing within (0, 1]")
            );
            previous = t;
        }
        ensure!(
            (previous - 1.0).abs() < 1e-9,
            Error::param("information_fractions", previous, "the last look must be at information fraction 1")
        );
        let mut fractions = information_fractions.to_vec();
        if let Some(last) = fractions.last_mut() {
            *last = 1.0;
        }
        let spent = |t: f64| obf_alpha_spent(alpha, t);
        let cumulative_alpha: Vec<f64> = fractions.iter().map(|&t| spent(t)).collect();
        let boundaries = solve_boundaries(&fractions, &cumulative_alpha);
        Ok(SequentialPlan { alpha, fractions, boundaries, cumulative_alpha })
    }

    /// A plan with `looks` equally spaced looks (information fractions k/looks).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `alpha` outside (0, 1) or `looks` = 0.
    pub fn equally_spaced(alpha: f64, looks: usize) -> Result<Self> {
        ensure!(looks > 0, Error::param("looks", looks, "need at least one look"));
        let fractions: Vec<f64> = (1..=looks).map(|k| k as f64 / looks as f64).collect();
        Self::obrien_fleming(alpha, &fractions)
    }

    /// Two-sided z-boundary of each look: stop when |z| ≥ boundary.
    pub fn boundaries(&self) -> &[f64] {
        &self.boundaries
    }

    /// Information fraction of each look.
    pub fn information_fractions(&self) -> &[f64] {
        &self.fractions
    }

    /// Alpha spent by each look (cumulative; the last equals [`alpha`](Self::alpha)).
    pub fn cumulative_alpha(&self) -> &[f64] {
        &self.cumulative_alpha
    }

    /// Overall two-sided significance level.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Number of planned looks.
    pub fn looks(&self) -> usize {
        self.boundaries.len()
    }

    /// Evaluates look number `look` (1-based) with test statistic `z`.
    ///
    /// A look beyond the plan is compared with the final boundary and carries a
    /// [`PeekingWarning::MoreLooksThanPlanned`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `look` is 0 or `z` is not finite.
    pub fn evaluate(&self, look: usize, z: f64) -> Result<InterimLook> {
        ensure!(look > 0, Error::param("look", look, "looks are numbered from 1"));
        ensure!(z.is_finite(), Error::param("z", z, "test statistic must be finite"));
        let planned = self.looks();
        let (boundary, information_fraction, warning) = match self.boundaries.get(look - 1) {
            Some(&b) => (b, self.fractions.get(look - 1).copied(), None),
            None => (
                self.boundaries.last().copied().unwrap_or(f64::INFINITY),
                None,
                Some(PeekingWarning::MoreLooksThanPlanned { planned, look }),
            ),
        };
        Ok(InterimLook {
            look,
            planned_looks: planned,
            information_fraction,
            z,
            boundary,
            nominal_alpha: two_sided_normal_p(boundary),
            stop: z.abs() >= boundary,
            warning,
        })
    }

    /// Evaluates look `look` with the pooled z statistic of a two-proportion comparison.
    ///
    /// # Errors
    /// As [`evaluate`](Self::evaluate).
    pub fn evaluate_comparison(&self, look: usize, comparison: &ProportionComparison) -> Result<InterimLook> {
        self.evaluate(look, comparison.z)
    }
}

/// The warning to attach to a result that was tested `looks` times at nominal level
/// `alpha` without a sequential plan (`None` for a single look).
///
/// ```
/// use churnguard::eval::ab::{PeekingWarning, unplanned_peeking};
///
/// // Checking the dashboard five times and stopping at the first p < 0.05:
/// match unplanned_peeking(5, 0.05)? {
///     Some(PeekingWarning::Unplanned { actual_alpha, .. }) => assert!((actual_alpha - 0.142).abs() < 1e-3),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), churnguard::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `looks` = 0 or `alpha` outside (0, 1).
pub fn unplanned_peeking(looks: usize, alpha: f64) -> Result<Option<PeekingWarning>> {
    let actual_alpha = repeated_testing_alpha(looks, alpha)?;
    Ok((looks > 1).then_some(PeekingWarning::Unplanned { looks, alpha, actual_alpha }))
}

/// Type-I error of testing at nominal two-sided level `alpha` at `looks` equally
/// spaced looks and stopping at the first significant one (Armitage, McPherson &
/// Rowe 1969: 0.083, 0.107, 0.126, 0.142 for 2–5 looks at 0.05).
///
/// # Errors
/// [`Error::InvalidParameter`] for `looks` = 0 or `alpha` outside (0, 1).
pub fn repeated_testing_alpha(looks: usize, alpha: f64) -> Result<f64> {
    check_alpha(alpha)?;
    ensure!(looks > 0, Error::param("looks", looks, "need at least one look"));
    let fractions: Vec<f64> = (1..=looks).map(|k| k as f64 / looks as f64).collect();
    let bound = norm_isf(alpha / 2.0);
    let crossing = crossing_probabilities(&fractions, &vec![bound; looks]);
    Ok(crossing.iter().sum::<f64>().min(1.0))
}

/// Two-sided alpha spent by information fraction t: each side spends the Lan–DeMets
/// O'Brien–Fleming function at α/2, so the total is 4(1 − Φ(z_{α/4}/√t)).
fn obf_alpha_spent(alpha: f64, t: f64) -> f64 {
    4.0 * norm_sf(norm_isf(alpha / 4.0) / t.sqrt())
}

/// Sub-density of Z_k on a Simpson grid over the continuation region (−c_k, c_k):
/// `mass[j]` is the Simpson weight times the density of not having stopped and Z_k = `z[j]`.
struct Continuation {
    z: Vec<f64>,
    mass: Vec<f64>,
    fraction: f64,
}

impl Continuation {
    /// After the first look at fraction `t` with boundary `c`: Z₁ ~ N(0, 1) on (−c, c).
    fn first(t: f64, c: f64, h_max: f64) -> Self {
        let (z, weights) = simpson_grid(c, h_max);
        let mass = z.iter().zip(&weights).map(|(&z, &w)| w * norm_pdf(z)).collect();
        Continuation { z, mass, fraction: t }
    }

    /// Conditional law of Z_k given Z_{k−1} = u: N(u·r, sd²), r = √(t_{k−1}/t_k), sd² = (t_k − t_{k−1})/t_k.
    fn step(&self, t: f64) -> (f64, f64) {
        ((self.fraction / t).sqrt(), ((t - self.fraction) / t).sqrt())
    }

    /// P(not stopped before, |Z_k| ≥ c) at fraction t.
    fn exit_probability(&self, t: f64, c: f64) -> f64 {
        let (r, sd) = self.step(t);
        self.z
            .iter()
            .zip(&self.mass)
            .map(|(&u, &m)| m * (norm_sf((c - r * u) / sd) + norm_cdf((-c - r * u) / sd)))
            .sum()
    }

    /// The continuation sub-density after a look at fraction t with boundary c.
    fn next(&self, t: f64, c: f64, h_max: f64) -> Self {
        let (r, sd) = self.step(t);
        let (z, weights) = simpson_grid(c, h_max);
        let mass = z
            .iter()
            .zip(&weights)
            .map(|(&x, &w)| {
                w * self.z.iter().zip(&self.mass).map(|(&u, &m)| m * norm_pdf((x - r * u) / sd)).sum::<f64>() / sd
            })
            .collect();
        Continuation { z, mass, fraction: t }
    }
}

/// Grid step small against the narrowest conditional kernel of the plan, so Simpson's
/// rule is accurate to ~1e-9; at most 8,001 points per look.
fn grid_step(fractions: &[f64]) -> f64 {
    let mut h: f64 = 0.05;
    for pair in fractions.windows(2) {
        if let [previous, t] = *pair {
            let sd = ((t - previous) / t).sqrt();
            let r = (previous / t).sqrt();
            h = h.min(sd / r / 20.0).min(sd / 20.0);
        }
    }
    h
}

/// Nodes and Simpson weights over [−c, c] with an even number of steps of at most `h_max`
/// (capped at 8,000 steps).
fn simpson_grid(c: f64, h_max: f64) -> (Vec<f64>, Vec<f64>) {
    let steps = (((2.0 * c) / h_max).ceil() as usize).clamp(2, 8000);
    let steps = steps + steps % 2;
    let h = 2.0 * c / steps as f64;
    let nodes = (0..=steps).map(|j| -c + h * j as f64).collect();
    let weights = (0..=steps)
        .map(|j| {
            let factor = if j == 0 || j == steps {
                1.0
            } else if j % 2 == 1 {
                4.0
            } else {
                2.0
            };
            factor * h / 3.0
        })
        .collect();
    (nodes, weights)
}

/// Boundary per look so that the crossing probability at look k under H₀ is
/// `cumulative[k] − cumulative[k−1]`.
fn solve_boundaries(fractions: &[f64], cumulative: &[f64]) -> Vec<f64> {
    let h_max = grid_step(fractions);
    let mut boundaries = Vec::with_capacity(fractions.len());
    let mut state: Option<Continuation> = None;
    let mut spent_before = 0.0;
    for (&t, &spent) in fractions.iter().zip(cumulative) {
        let increment = (spent - spent_before).max(0.0);
        spent_before = spent;
        let c = match &state {
            // First look: P(|Z₁| ≥ c) = increment exactly.
            None => norm_isf(increment / 2.0),
            Some(cont) => {
                // Exit probability falls from the remaining mass (c = 0) to 0 (c → ∞).
                bisect(|c| increment - cont.exit_probability(t, c), 0.0, 40.0)
            }
        };
        state = Some(match &state {
            None => Continuation::first(t, c, h_max),
            Some(cont) => cont.next(t, c, h_max),
        });
        boundaries.push(c);
    }
    boundaries
}

/// Probability of first crossing |Z_k| ≥ c_k at each look, under H₀.
fn crossing_probabilities(fractions: &[f64], boundaries: &[f64]) -> Vec<f64> {
    let h_max = grid_step(fractions);
    let mut out = Vec::with_capacity(fractions.len());
    let mut state: Option<Continuation> = None;
    for (&t, &c) in fractions.iter().zip(boundaries) {
        let (p, next) = match &state {
            None => (2.0 * norm_sf(c), Continuation::first(t, c, h_max)),
            Some(cont) => (cont.exit_probability(t, c), cont.next(t, c, h_max)),
        };
        out.push(p);
        state = Some(next);
    }
    out
}
