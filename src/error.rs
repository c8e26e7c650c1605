//! The crate's one error type.
//!
//! Every fallible public function returns [`Result<T>`]. Variants name the
//! thing that was wrong — the column, the row, the parameter, the feature, the
//! file version — so a host service can log a useful message or react to the
//! variant without parsing strings.

use std::path::PathBuf;

/// Shorthand for `std::result::Result<T, churnguard::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in churnguard.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A CSV file could not be read at all (as opposed to a single bad row,
    /// which is recorded in an [`IngestReport`](crate::data::IngestReport)).
    #[error("CSV error in {path}: {message}")]
    Csv {
        /// The file involved.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// A required column is absent from a CSV header or table.
    #[error("missing column `{column}` in {table}")]
    MissingColumn {
        /// The table or file that lacks the column.
        table: String,
        /// The column that was expected.
        column: String,
    },

    /// A data source produced no records at all.
    #[error("the data source produced no {what}")]
    EmptySource {
        /// What was expected (e.g. "customers").
        what: &'static str,
    },

    /// An operation needs rows but got none (e.g. no customer is eligible at a snapshot).
    #[error("no rows to work on: {context}")]
    EmptyData {
        /// Where the empty input was found.
        context: String,
    },

    /// A customer has no events before the snapshot date, so there is nothing to score.
    #[error("customer `{customer}` has no events before {as_of}")]
    NoEvents {
        /// The customer.
        customer: String,
        /// The snapshot date.
        as_of: String,
    },

    /// An alias that is already mapped to a different customer, or would form a cycle.
    #[error("alias `{alias}` already resolves to `{existing}`, cannot also map it to `{requested}`")]
    AliasConflict {
        /// The alias (email, phone, device id, secondary id).
        alias: String,
        /// The customer it already resolves to.
        existing: String,
        /// The customer it was asked to map to.
        requested: String,
    },

    /// A customer id that the event log does not know.
    #[error("unknown customer `{customer}`")]
    UnknownCustomer {
        /// The id that was asked for.
        customer: String,
    },

    /// Training labels contain only one class, so no classifier can be fitted
    /// and ranking metrics are undefined.
    #[error("all {n} labels are {class}: need both churned and retained customers")]
    SingleClass {
        /// The only class present (`true` = churned).
        class: bool,
        /// How many labels there were.
        n: usize,
    },

    /// Labels were requested for a window the data does not cover yet.
    #[error("labels at {as_of} need data until {window_end}, but the data ends at {data_end}")]
    LabelWindowOpen {
        /// The snapshot date.
        as_of: String,
        /// End of the label window.
        window_end: String,
        /// Time of the last event in the data.
        data_end: String,
    },

    /// A NaN or infinite value where a finite number is required.
    #[error("non-finite value {value} in column `{column}` at row {row}")]
    NonFinite {
        /// The column (feature) name.
        column: String,
        /// The zero-based row index.
        row: usize,
        /// The offending value, for the message.
        value: f64,
    },

    /// A categorical value seen at transform time that was not seen at fit time,
    /// under the [`UnknownCategory::Error`](crate::preprocess::UnknownCategory) policy.
    #[error("unknown category `{value}` in column `{column}` (not seen when the preprocessor was fitted)")]
    UnknownCategory {
        /// The categorical column.
        column: String,
        /// The unseen value.
        value: String,
    },

    /// A feature the model or preprocessor was fitted with is absent from the data.
    #[error("feature `{name}` expected by the fitted model is missing from the data")]
    MissingFeature {
        /// The missing feature name.
        name: String,
    },

    /// The feature names of the data do not match those of the model.
    #[error("feature mismatch: model expects {expected:?}, data has {found:?}")]
    FeatureMismatch {
        /// Names the model was fitted with.
        expected: Vec<String>,
        /// Names found in the data.
        found: Vec<String>,
    },

    /// Two inputs that must agree in size do not.
    #[error("shape mismatch for {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// What was being compared (e.g. "labels vs rows").
        what: &'static str,
        /// The expected size.
        expected: usize,
        /// The size found.
        found: usize,
    },

    /// A parameter value outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter name.
        name: &'static str,
        /// The value given, formatted.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    /// The data is too large for an algorithm whose cost grows faster than linearly.
    #[error("{model} cannot train on {rows} rows (limit {limit}): {advice}")]
    TooLarge {
        /// The model.
        model: &'static str,
        /// Rows given.
        rows: usize,
        /// The configured limit.
        limit: usize,
        /// What to do instead.
        advice: &'static str,
    },

    /// A date or timestamp string that cannot be parsed.
    #[error("cannot parse `{value}` as a date/time (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or RFC 3339)")]
    InvalidTimestamp {
        /// The text that failed to parse.
        value: String,
    },

    /// A saved model file was written by a different, incompatible format version.
    #[error("model file has format version {found}, this build reads version {expected}")]
    ModelVersion {
        /// Version in the file.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },

    /// A saved model file is truncated, corrupted or not a churnguard model.
    #[error("model file is not a valid churnguard model: {message}")]
    ModelFormat {
        /// Parser detail.
        message: String,
    },

    /// The model cannot be written to a [`SavedModel`](crate::model::SavedModel)
    /// (e.g. a host-defined model type the crate does not know how to store).
    #[error("model `{model}` cannot be saved: {reason}")]
    NotSerializable {
        /// The model name.
        model: String,
        /// Why.
        reason: String,
    },

    /// A numerical fit failed (solver error, divergence).
    #[error("fitting {model} failed: {message}")]
    FitFailed {
        /// The model being fitted.
        model: &'static str,
        /// Solver detail.
        message: String,
    },

    /// A covariate takes a single value, so a regression cannot estimate its effect
    /// (it is indistinguishable from the intercept or baseline hazard).
    #[error("column `{column}` is constant, so {model} cannot estimate its effect")]
    ConstantColumn {
        /// The model being fitted.
        model: &'static str,
        /// The constant column.
        column: String,
    },

    /// A covariate is (numerically) an exact linear combination of other covariates,
    /// so a regression cannot separate their effects.
    #[error("column `{column}` is a linear combination of {others:?}, so {model} cannot separate their effects")]
    CollinearColumns {
        /// The model being fitted.
        model: &'static str,
        /// The column found to be redundant (the later one in column order).
        column: String,
        /// The earlier columns it is a combination of.
        others: Vec<String>,
    },

    /// A survival duration below zero.
    #[error("duration {value} at row {row} is negative: durations must be ≥ 0")]
    NegativeDuration {
        /// The zero-based row index.
        row: usize,
        /// The offending duration.
        value: f64,
    },

    /// No subject had the event (churn), so a survival model has nothing to fit.
    #[error("no events observed among {n} subjects: {model} needs at least one churn")]
    NoObservedEvents {
        /// The model being fitted.
        model: &'static str,
        /// How many subjects there were.
        n: usize,
    },

    /// A group comparison (e.g. a log-rank test) got fewer than two groups.
    #[error("a group comparison needs at least 2 groups, found {found}")]
    TooFewGroups {
        /// How many distinct groups there were.
        found: usize,
    },
    /// An arm of an experiment (or of one stratum of it) has no customers.
    #[error("the {arm} arm has no customers")]
    EmptyArm {
        /// Which arm (e.g. "control", "treatment in stratum `high`").
        arm: String,
    },

    /// The outcome does not vary: no customer churned in either arm, or every
    /// customer did, so rates, ratios and tests are undefined.
    #[error("the outcome is the same for all {n} customers in both arms ({events} events): nothing to compare")]
    NoOutcomeVariation {
        /// Events (churners) over both arms.
        events: u64,
        /// Customers over both arms.
        n: u64,
    },

    /// A flag (treated, churned) that is not 0/1, true/false or yes/no.
    #[error("cannot read `{value}` in column `{column}` at row {row} as a 0/1 flag")]
    InvalidFlag {
        /// The column being parsed.
        column: String,
        /// The zero-based row index.
        row: usize,
        /// The text found.
        value: String,
    },

    /// A cluster-randomised analysis needs at least two clusters in each arm.
    #[error("the {arm} arm has {found} cluster(s): a cluster-robust analysis needs at least 2 per arm")]
    TooFewClusters {
        /// Which arm.
        arm: &'static str,
        /// How many clusters it has.
        found: usize,
    },

    /// A cluster holds both treated and control customers, so the data are not
    /// a cluster-randomised design (or the cluster column is wrong).
    #[error("cluster `{cluster}` contains both treated and control customers")]
    MixedCluster {
        /// The cluster label, formatted with `Debug`.
        cluster: String,
    },

    /// A numeric outcome is constant within each arm, so its standard error is zero
    /// and no test or interval exists.
    #[error("the outcome does not vary within the arms ({n} customers): its standard error is zero")]
    ConstantOutcome {
        /// Customers analysed.
        n: usize,
    },

    /// A retention action with a negative cost.
    #[error("retention action `{action}` has negative cost {cost}: costs must be ≥ 0")]
    NegativeCost {
        /// The action's name.
        action: String,
        /// The cost given.
        cost: f64,
    },

    /// No rule of a retention playbook applies to any of the customers offered, so no
    /// plan can be made (check the rules' tiers, reasons and segments).
    #[error("no playbook action is eligible for any of the {customers} customers")]
    NoEligibleAction {
        /// How many customers were offered to the playbook.
        customers: usize,
    },

    /// A clustering asked for more clusters than there are rows (or distinct rows) to fill them.
    #[error("cannot form {k} clusters from {found} {what}: k must not exceed them")]
    TooFewPoints {
        /// What was counted ("rows" or "distinct rows").
        what: &'static str,
        /// How many there were.
        found: usize,
        /// The requested number of clusters.
        k: usize,
    },

    /// A customer summary (frequency, recency, age, monetary value) that no
    /// purchase history can produce, or a value a model cannot use.
    #[error("invalid customer summary at row {row} (customer `{customer}`): {reason}")]
    InvalidSummary {
        /// The zero-based row index.
        row: usize,
        /// The customer id of that row (empty if the row has none).
        customer: String,
        /// What is wrong, with the offending values.
        reason: String,
    },

    /// An iterative numerical method (optimiser, series) stopped before meeting its convergence criterion.
    #[error("{what} did not converge after {iterations} iterations: {detail}")]
    NotConverged {
        /// The method or model (e.g. "BG/NBD maximum likelihood", "hypergeometric series 2F1").
        what: &'static str,
        /// Iterations or terms used.
        iterations: u64,
        /// Solver detail (last gradient norm, last term).
        detail: String,
    },

    /// A chart could not be drawn (the plotting backend reported a failure).
    #[error("could not draw the {chart} chart: {detail}")]
    ChartRender {
        /// Which chart (e.g. "ROC").
        chart: &'static str,
        /// The backend's message.
        detail: String,
    },

    /// A streamed event is older than the monitor's clock allows; the monitor's state is unchanged.
    #[error(
        "event of customer `{customer}` at {at} is more than {tolerance_seconds} s before the monitor's clock {now}: rejected, state unchanged"
    )]
    LateEvent {
        /// The customer the event belongs to.
        customer: String,
        /// The event's time.
        at: String,
        /// The monitor's clock.
        now: String,
        /// How late an event may be.
        tolerance_seconds: i64,
    },

    /// The monitor's clock was asked to go back in time.
    #[error("cannot move the monitor's clock back from {now} to {requested}")]
    ClockBackwards {
        /// The current clock.
        now: String,
        /// The earlier time asked for.
        requested: String,
    },

    /// A streamed event fails the same checks the event log applies to stored records.
    #[error("invalid {kind} event of customer `{customer}`: {reason}")]
    InvalidEvent {
        /// Kind of event (order, ticket, review, …).
        kind: &'static str,
        /// The customer the event belongs to.
        customer: String,
        /// What is wrong.
        reason: String,
    },

    /// A monitor checkpoint cannot be restored with the given pipeline or by this build.
    #[error("cannot restore the monitor checkpoint: {reason}")]
    Checkpoint {
        /// What does not match (format version, pipeline settings, corrupt data).
        reason: String,
    },
}

/// Returns early with the given error when a condition does not hold.
///
/// ```text
/// ensure!(k >= 2, Error::InvalidParameter { name: "k", value: k.to_string(), reason: "need at least 2 folds" });
/// ```
macro_rules! ensure {
    ($cond:expr, $err:expr $(,)?) => {{
        let holds: bool = $cond;
        if !holds {
            return Err($err);
        }
    }};
}
pub(crate) use ensure;

impl Error {
    /// Build an [`Error::InvalidParameter`] with a formatted value.
    pub(crate) fn param(name: &'static str, value: impl std::fmt::Display, reason: &'static str) -> Self {
        Error::InvalidParameter { name, value: value.to_string(), reason }
    }

    /// Build an [`Error::Io`] for a path.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
