//! Churn classifiers implementing [`Learner`](crate::model::Learner) and
//! [`ChurnModel`](crate::model::ChurnModel).
//!
//! [`LogisticRegression`] wraps linfa-logistic (L-BFGS) for unweighted fits and
//! uses an own Newton/IRLS solver when class or sample weights are given,
//! because linfa-logistic 0.8 has no weights. Trees, forests, boosting and SVMs
//! follow in later releases.

mod logistic;
pub(crate) mod newton;

pub use self::logistic::{
    ClassWeight, FittedLogisticRegression, LogisticRegression, LogisticRegressionParams, Solver,
    ValidLogisticRegressionParams,
};
