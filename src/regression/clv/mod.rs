//! Customer lifetime value: BG/NBD, Gamma–Gamma and shifted-beta-geometric models.
//!
//! Where this sits: after [`data`](crate::data) has built an
//! [`EventLog`](crate::data::EventLog), RFM summaries condense each
//! customer's orders; [`BgNbd`] predicts how many purchases a customer will
//! still make and whether they are still "alive", and their lifetime value
//! feeds the retention budget. All models are fitted by maximum likelihood on
//! log-transformed parameters with argmin's L-BFGS and analytic gradients.

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
