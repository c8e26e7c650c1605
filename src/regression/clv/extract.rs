//! RFM summaries from transactions, as lifetimes' `summary_data_from_transaction_data`
//! and `calibration_and_holdout_data` compute them.
//!
//! Transactions are first floored to their period (a UTC day, or a Monday-to-Sunday
//! week as pandas' `W` period) and same-period transactions merged, their amounts
//! summed. Then, per customer, over the periods up to and including the one
//! holding `calibration_end`: `frequency` = periods with a purchase − 1,
//! `recency` = first to last purchase period, `age` (`T`) = first purchase period
//! to the calibration end period, both in `time_unit_days`, and `monetary_value`
//! = mean of the merged amounts of the repeat periods (0 without repeats).
//! Customers whose first purchase falls after the calibration end are left out.
//! For the CDNOW summary of Fader, Hardie & Lee (2005): daily periods, weeks as
//! the unit (`time_unit_days = 7`), calibration end 1997-09-30.

use std::collections::HashMap;
use std::path::Path;

use super::summary::{Rfm, RfmSummary};
use crate::data::{CustomerId, EventLog};
use crate::error::{Error, Result, ensure};
use crate::time::{SECONDS_PER_DAY, Timestamp};

/// One purchase: who, when, how much.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// The buyer.
    pub customer: CustomerId,
    /// When.
    pub at: Timestamp,
    /// Amount spent (finite, ≥ 0).
    pub amount: f64,
}

impl Transaction {
    /// A transaction.
    pub fn new(customer: impl Into<CustomerId>, at: Timestamp, amount: f64) -> Self {
        Transaction { customer: customer.into(), at, amount }
    }
}

/// Length of the periods transactions are merged into before counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Period {
    /// UTC calendar days (lifetimes' `freq="D"`).
    #[default]
    Day,
    /// Weeks from Monday 00:00 UTC to Sunday (pandas' `W` periods, lifetimes' `freq="W"`).
    Week,
}

impl Period {
    /// Start of the period containing `t`, in seconds since the epoch.
    fn floor(self, t: Timestamp) -> i64 {
        let day = t.unix_seconds().div_euclid(SECONDS_PER_DAY);
        let start_day = match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: (day + 3) mod 7 counts days since Monday.
            Period::Week => day - (day + 3).rem_euclid(7),
        };
        start_day * SECONDS_PER_DAY
    }
}

/// How to turn transactions into RFM summaries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryParams {
    calibration_end: Timestamp,
    period: Period,
    time_unit_days: f64,
}

impl SummaryParams {
    /// Summaries up to and including the period that holds `calibration_end`;
    /// daily periods, time measured in days.
    pub fn new(calibration_end: Timestamp) -> Self {
        SummaryParams { calibration_end, period: Period::Day, time_unit_days: 1.0 }
    }

    /// The aggregation period (default [`Period::Day`]).
    pub fn period(mut self, period: Period) -> Self {
        self.period = period;
        self
    }

    /// Days per unit of recency and age (default 1; 7 gives weeks as in the CDNOW summary).
    pub fn time_unit_days(mut self, days: f64) -> Self {
        self.time_unit_days = days;
        self
    }

    /// The calibration end.
    pub fn calibration_end(&self) -> Timestamp {
        self.calibration_end
    }

    /// Validate the settings.
    pub fn check(&self) -> Result<()> {
        ensure!(
            self.time_unit_days.is_finite() && self.time_unit_days > 0.0,
            Error::param("time_unit_days", self.time_unit_days, "must be a positive number of days")
        );
        Ok(())
    }

    fn unit_seconds(&self) -> f64 {
        self.time_unit_days * SECONDS_PER_DAY as f64
    }
}

/// A calibration summary with what the same customers did in a later holdout window,
/// to check predictions (lifetimes' `calibration_and_holdout_data`).
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationHoldout {
    /// Summaries over the calibration period.
    pub calibration: RfmSummary,
    /// Purchase periods per customer after the calibration end, up to and including the holdout end.
    pub holdout_frequency: Vec<u32>,
    /// Mean merged amount of those periods (0 without any).
    pub holdout_monetary_value: Vec<f64>,
    /// Length of the holdout window in the summary's time unit.
    pub holdout_duration: f64,
}

/// Summaries of every customer with a purchase up to the calibration end, in order
/// of first appearance in `transactions`. Errors: a non-finite or negative amount
/// ([`Error::NonFinite`] / [`Error::InvalidParameter`]), no customer left ([`Error::EmptyData`]).
///
/// ```
/// use churnguard::Timestamp;
/// use churnguard::regression::clv::{SummaryParams, Transaction, summarize_transactions};
/// let day = |d| Timestamp::from_ymd(1997, 1, d).unwrap();
/// let tx = vec![
///     Transaction::new("a", day(1), 10.0),
///     Transaction::new("a", day(1), 5.0),   // same day: merged with the first purchase
///     Transaction::new("a", day(15), 20.0), // repeat purchase 2 weeks later
///     Transaction::new("b", day(8), 7.0),
/// ];
/// let s = summarize_transactions(&tx, &SummaryParams::new(day(29)).time_unit_days(7.0))?;
/// let a = s.get(0).unwrap();
/// assert_eq!((a.frequency, a.recency, a.age, a.monetary_value), (1, 2.0, 4.0, 20.0));
/// assert_eq!(s.get(1).unwrap().age, 3.0);
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn summarize_transactions(transactions: &[Transaction], params: &SummaryParams) -> Result<RfmSummary> {
    Ok(calibration_holdout_inner(transactions, params, None)?.calibration)
}

/// [`summarize_transactions`] plus each customer's purchases in `(calibration end, holdout_end]`.
pub fn calibration_holdout(
    transactions: &[Transaction],
    params: &SummaryParams,
    holdout_end: Timestamp,
) -> Result<CalibrationHoldout> {
    ensure!(
        params.period.floor(holdout_end) > params.period.floor(params.calibration_end),
        Error::param("holdout_end", holdout_end, "must fall in a period after the calibration end")
    );
    calibration_holdout_inner(transactions, params, Some(holdout_end))
}

fn calibration_holdout_inner(
    transactions: &[Transaction],
    params: &SummaryParams,
    holdout_end: Option<Timestamp>,
) -> Result<CalibrationHoldout> {
    params.check()?;
    let mut index: HashMap<&CustomerId, usize> = HashMap::new();
    let mut histories: Vec<(CustomerId, Vec<(Timestamp, f64)>)> = Vec::new();
    for (row, t) in transactions.iter().enumerate() {
        check_amount(t.amount, row)?;
        let i = *index.entry(&t.customer).or_insert_with(|| {
            histories.push((t.customer.clone(), Vec::new()));
            histories.len() - 1
        });
        histories[i].1.push((t.at, t.amount));
    }
    let mut out = Builder::new(params, holdout_end);
    for (id, mut history) in histories {
        history.sort_by_key(|&(at, _)| at);
        out.add(id, &history)?;
    }
    out.finish()
}

/// Summaries of every customer of an event log with an order up to the calibration end,
/// in the log's customer order. Every order counts, returned ones included, with its amount paid.
pub fn summarize_event_log(log: &EventLog, params: &SummaryParams) -> Result<RfmSummary> {
    Ok(event_log_inner(log, params, None)?.calibration)
}

/// [`summarize_event_log`] plus each customer's orders in `(calibration end, holdout_end]`.
pub fn calibration_holdout_event_log(
    log: &EventLog,
    params: &SummaryParams,
    holdout_end: Timestamp,
) -> Result<CalibrationHoldout> {
    ensure!(
        params.period.floor(holdout_end) > params.period.floor(params.calibration_end),
        Error::param("holdout_end", holdout_end, "must fall in a period after the calibration end")
    );
    event_log_inner(log, params, Some(holdout_end))
}

fn event_log_inner(
    log: &EventLog,
    params: &SummaryParams,
    holdout_end: Option<Timestamp>,
) -> Result<CalibrationHoldout> {
    params.check()?;
    let mut out = Builder::new(params, holdout_end);
    let mut history = Vec::new();
    for i in 0..log.n_customers() {
        let events = log.events(i);
        history.clear();
        history.extend(events.orders.iter().map(|o| (o.at, o.amount)));
        for (row, &(_, amount)) in history.iter().enumerate() {
            check_amount(amount, row)?;
        }
        out.add(events.customer.id.clone(), &history)?;
    }
    out.finish()
}

fn check_amount(amount: f64, row: usize) -> Result<()> {
    ensure!(amount.is_finite(), Error::NonFinite { column: "amount".into(), row, value: amount });
    ensure!(amount >= 0.0, Error::param("amount", amount, "transaction amounts must be >= 0"));
    Ok(())
}

/// Accumulates summaries customer by customer.
struct Builder {
    period: Period,
    unit_seconds: f64,
    end: i64,
    holdout_end: Option<i64>,
    calibration: RfmSummary,
    holdout_frequency: Vec<u32>,
    holdout_monetary_value: Vec<f64>,
}

impl Builder {
    fn new(params: &SummaryParams, holdout_end: Option<Timestamp>) -> Self {
        Builder {
            period: params.period,
            unit_seconds: params.unit_seconds(),
            end: params.period.floor(params.calibration_end),
            holdout_end: holdout_end.map(|t| params.period.floor(t)),
            calibration: RfmSummary::default(),
            holdout_frequency: Vec::new(),
            holdout_monetary_value: Vec::new(),
        }
    }

    /// Add one customer's time-sorted (time, amount) purchases.
    fn add(&mut self, id: CustomerId, history: &[(Timestamp, f64)]) -> Result<()> {
        // Merge same-period purchases: (period start, summed amount), in time order.
        let mut periods: Vec<(i64, f64)> = Vec::new();
        for &(at, amount) in history {
            let p = self.period.floor(at);
            match periods.last_mut() {
                Some(last) if last.0 == p => last.1 += amount,
                _ => periods.push((p, amount)),
            }
        }
        let split = periods.partition_point(|&(p, _)| p <= self.end);
        let (calibration, after) = periods.split_at(split);
        let Some((&(first, _), repeats)) = calibration.split_first() else { return Ok(()) };
        let last = calibration.last().map_or(first, |&(p, _)| p);
        let frequency = u32::try_from(repeats.len()).map_err(|_| Error::InvalidSummary {
            row: self.calibration.len(),
            customer: id.to_string(),
            reason: format!("{} repeat purchase periods overflow u32", repeats.len()),
        })?;
        let mean = |ps: &[(i64, f64)]| {
            if ps.is_empty() { 0.0 } else { ps.iter().map(|&(_, a)| a).sum::<f64>() / ps.len() as f64 }
        };
        let rfm = Rfm {
            frequency,
            recency: (last - first) as f64 / self.unit_seconds,
            age: (self.end - first) as f64 / self.unit_seconds,
            monetary_value: mean(repeats),
        };
        rfm.check(self.calibration.len(), id.as_str())?;
        self.calibration.push_unchecked(id, rfm);
        if let Some(holdout_end) = self.holdout_end {
            let holdout = &after[..after.partition_point(|&(p, _)| p <= holdout_end)];
            self.holdout_frequency.push(holdout.len() as u32);
            self.holdout_monetary_value.push(mean(holdout));
        }
        Ok(())
    }

    fn finish(self) -> Result<CalibrationHoldout> {
        ensure!(
            !self.calibration.is_empty(),
            Error::EmptyData { context: "RFM summary: no customer purchased on or before the calibration end".into() }
        );
        let holdout_duration = self.holdout_end.map_or(0.0, |h| (h - self.end) as f64 / self.unit_seconds);
        Ok(CalibrationHoldout {
            calibration: self.calibration,
            holdout_frequency: self.holdout_frequency,
            holdout_monetary_value: self.holdout_monetary_value,
            holdout_duration,
        })
    }
}

/// Read transactions from a CSV file with a header row, naming the customer,
/// time (`YYYY-MM-DD` or a timestamp, see [`Timestamp::parse`]) and amount columns
/// (matched case-insensitively). A row that cannot be parsed is an error naming its line.
pub fn read_transactions_csv(
    path: impl AsRef<Path>,
    customer_column: &str,
    time_column: &str,
    amount_column: &str,
) -> Result<Vec<Transaction>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let csv_err = |e: csv::Error| Error::Csv { path: path.to_path_buf(), message: e.to_string() };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
    let headers = reader.headers().map_err(csv_err)?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::MissingColumn { table: path.display().to_string(), column: name.to_string() })
    };
    let (c, t, a) = (column(customer_column)?, column(time_column)?, column(amount_column)?);
    let mut out = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(csv_err)?;
        let field = |i: usize| record.get(i).unwrap_or("");
        let at = Timestamp::parse(field(t))?;
        let amount: f64 = field(a).parse().map_err(|_| Error::Csv {
            path: path.to_path_buf(),
            message: format!("line {}: amount `{}` is not a number", row + 2, field(a)),
        })?;
        check_amount(amount, row)?;
        out.push(Transaction::new(field(c), at, amount));
    }
    Ok(out)
}
