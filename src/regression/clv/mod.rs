//! Customer lifetime value: BG/NBD, Gamma–Gamma and shifted-beta-geometric models.
//!
//! Where this sits: after [`data`](crate::data) has built an
//! [`EventLog`](crate::data::EventLog), [`summarize_event_log`] (or
//! [`summarize_transactions`] for a plain list of purchases) condenses each
//! customer's orders into an RFM summary — repeat purchases, recency, age `T`,
//! mean repeat spend — exactly as lifetimes' `summary_data_from_transaction_data`
//! does. On those summaries:
//!
//! * [`BgNbd`] (Fader, Hardie & Lee 2005) predicts how many purchases a customer
//!   will still make and the probability that they are still "alive" — for a
//!   non-contractual shop, the model-based counterpart of a churn score;
//! * [`GammaGamma`] predicts a customer's mean order value, and checks its
//!   assumption that spend does not depend on frequency;
//! * [`clv`] combines the two into a discounted lifetime value, the quantity
//!   `retain` weighs against the cost of an action;
//! * [`ShiftedBetaGeometric`] (Fader & Hardie 2007) projects renewal rates of
//!   subscription cohorts and their discounted expected residual lifetime.
//!
//! Fitting: maximum likelihood on log-transformed parameters (so they stay
//! positive) with argmin's L-BFGS and analytic gradients (digamma), then a few
//! Newton steps on a finite-difference Hessian of that gradient. The hand-over
//! is deliberate: near the optimum the likelihood is flat to machine precision,
//! and argmin's More–Thuente line search spends tens of evaluations per
//! iteration on rounding noise, or stops with "not a descent direction" on the
//! flat ridges of the Gamma–Gamma likelihood; Newton steps use only the
//! gradient and converge quadratically. The BG/NBD likelihood is evaluated on
//! distinct (frequency, recency, T) rows weighted by their counts, with the
//! terms that depend on frequency alone computed once per distinct frequency,
//! and summed in fixed-size parallel chunks (rayon) so the result does not
//! depend on the number of threads: a million daily-grid customers fit in a
//! fraction of a second.
//!
//! ```
//! use churnguard::regression::clv::{BgNbd, ClvParams, FittedBgNbd, FittedGammaGamma, Rfm, clv};
//! // 5,000 customers drawn from known BG/NBD parameters (time in weeks), observed for a year.
//! let truth = FittedBgNbd::from_parameters(0.25, 4.0, 0.8, 2.5)?;
//! let summary = truth.sample(&vec![52.0; 5_000], Some(1.0 / 7.0), 1)?;
//! let purchases = BgNbd::params().fit(&summary)?;
//! assert!((purchases.r() - 0.25).abs() < 0.05);
//! let alive = purchases.probability_alive(&Rfm::new(4, 10.0, 52.0))?; // bought 4 times, then silent for 42 weeks
//! let recent = purchases.probability_alive(&Rfm::new(4, 50.0, 52.0))?;
//! assert!(alive < 0.1 && recent > 0.8);
//! // Spend per order: the Gamma-Gamma estimates of lifetimes on CDNOW (fit your own with GammaGamma::params()).
//! let spend = FittedGammaGamma::from_parameters(6.25, 3.74, 15.45)?;
//! let values = clv(&purchases, &spend, &summary, &ClvParams::weeks())?;
//! assert_eq!(values.len(), 5_000);
//! # Ok::<(), churnguard::Error>(())
//! ```

mod bgnbd;
mod extract;
mod gamma_gamma;
mod optim;
mod sbg;
mod special;
mod summary;
mod value;

pub use bgnbd::{BgNbd, BgNbdParams, FitDiagnostics, FittedBgNbd};
pub use extract::{
    CalibrationHoldout, Period, SummaryParams, Transaction, calibration_holdout, calibration_holdout_event_log,
    read_transactions_csv, summarize_event_log, summarize_transactions,
};
pub use gamma_gamma::{FittedGammaGamma, GammaGamma, GammaGammaParams, IndependenceCheck, independence_check};
pub use sbg::{FittedSbg, SbgParams, ShiftedBetaGeometric};
pub use special::hyp2f1;
pub use summary::{GroupedRfm, Rfm, RfmSummary};
pub use value::{ClvParams, clv, customer_clv};
