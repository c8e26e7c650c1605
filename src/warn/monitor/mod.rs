//! Streaming early warning; see [`Monitor`].

mod detect;
mod window;

use std::collections::HashMap;
use std::fmt;
use std::mem::size_of;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use self::detect::{Cause, Detectors, FrequencyDrop, Inactivity, Trigger};
use self::window::{Decoded, Instant32, Window};
use crate::data::{
    Customer, CustomerId, Event, EventLog, OrderEntry, ReviewEntry, TicketCategory, TicketEntry, order_problem,
    review_problem, ticket_problem,
};
use crate::error::{Error, Result, ensure};
use crate::features::FeatureMatrix;
use crate::model::Reasons;
use crate::pipeline::{FittedPipeline, PipelineSettings};
use crate::progress::{Progress, ProgressUpdate, Silent};
use crate::retain::{Action, CustomerValues, Playbook};
use crate::time::{Days, Timestamp};
use crate::warn::score::{tier_of, tier_of_share};
use crate::warn::{CustomerRisk, DriftReport, RiskTier, ScorerConfig, Scoring, TierCounts, TierCutoffs};

/// Format version of [`MonitorState`] checkpoints this build reads and writes.
pub const CHECKPOINT_VERSION: u32 = 1;

/// What to do with an event of a customer the monitor does not know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCustomers {
    /// Return [`Error::UnknownCustomer`] (default): profiles must be added first.
    #[default]
    Reject,
    /// Start tracking the customer with a bare profile that signed up at the event.
    Create,
}

/// Monitor settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// How far behind the clock an event may arrive and still be applied (default one day).
    pub late_tolerance_seconds: i64,
    /// Events of unknown customers: reject (default) or start tracking them.
    pub unknown_customers: UnknownCustomers,
    /// Tier cut-offs (default: score 50 / 75). [`TierCutoffs::Quantile`] tiers are cut on
    /// the population of the last rescoring that covered every customer (the first
    /// rescoring after a seed or a tick does): a partial rescoring between ticks places
    /// its customers in that population's distribution.
    pub cutoffs: TierCutoffs,
    /// Reasons kept per alert (default 3).
    pub reasons: usize,
    /// No second alert for the same cause and customer within this many days (default 30).
    pub cooldown: Days,
    /// Behaviour-change detectors.
    pub detectors: Detectors,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            late_tolerance_seconds: 86_400,
            unknown_customers: UnknownCustomers::Reject,
            cutoffs: TierCutoffs::default(),
            reasons: 3,
            cooldown: Days(30),
            detectors: Detectors::default(),
        }
    }
}

impl MonitorConfig {
    /// Check the settings against the pipeline's look-back.
    pub fn check(&self, lookback: Days) -> Result<()> {
        self.cutoffs.check()?;
        ensure!(
            self.late_tolerance_seconds >= 0 && self.late_tolerance_seconds < lookback.seconds(),
            Error::param(
                "late_tolerance_seconds",
                self.late_tolerance_seconds,
                "must be ≥ 0 and shorter than the look-back"
            )
        );
        ensure!(self.cooldown.0 > 0, Error::param("cooldown", self.cooldown, "must be at least one day"));
        self.detectors.check(lookback)
    }
}

/// What [`Monitor::apply`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// The event was new and is now part of the customer's state.
    Added,
    /// An event with this id was already applied for this customer: nothing changed.
    Duplicate,
    /// A ticket already held (same opening time and category) got its closing fields.
    TicketUpdated,
}

/// A customer who needs attention, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The customer.
    pub customer: CustomerId,
    /// The monitor's clock when the alert was raised.
    pub at: Timestamp,
    /// Churn probability at `at`.
    pub probability: f64,
    /// Risk tier at `at`.
    pub tier: RiskTier,
    /// Tier at the previous scoring (`None` on the customer's first).
    pub previous_tier: Option<RiskTier>,
    /// What raised the alert (causes still in their cool-down are left out).
    pub triggers: Vec<Trigger>,
    /// Features raising the risk most, strongest first.
    pub reasons: Reasons,
    /// The playbook action of highest positive expected value, if a playbook is set and one applies.
    pub suggested_action: Option<Action>,
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: p = {:.2} ({}", self.at, self.customer, self.probability, self.tier)?;
        if let Some(p) = self.previous_tier
            && p != self.tier
        {
            write!(f, ", was {p}")?;
        }
        write!(f, ")")?;
        for (k, t) in self.triggers.iter().enumerate() {
            write!(f, "{}{t}", if k == 0 { " — " } else { "; " })?;
        }
        if let Some(r) = self.reasons.first() {
            write!(f, " — top reason {r}")?;
        }
        if let Some(a) = &self.suggested_action {
            write!(f, " → {} ({})", a.name, a.kind)?;
        }
        Ok(())
    }
}

/// Counters of what the monitor has done since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorStats {
    /// Events added to a customer's state.
    pub events_added: u64,
    /// Events ignored as duplicates of an applied event id.
    pub duplicates: u64,
    /// Ticket closings applied to tickets already held.
    pub ticket_updates: u64,
    /// Customers created from events ([`UnknownCustomers::Create`]).
    pub customers_created: u64,
    /// Customer rescorings.
    pub rescored: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Triggers dropped because their cause was in its cool-down.
    pub suppressed: u64,
    /// Triggers of customers not scored (not eligible: signed up after the clock or lapsed).
    pub unscored_triggers: u64,
}

/// The error for an event the monitor cannot keep (`reason` says why).
fn not_stored(kind: &'static str, customer: &CustomerId, reason: &str) -> Error {
    Error::InvalidEvent { kind, customer: customer.to_string(), reason: reason.to_string() }
}

/// The error for an event time outside 1970–2106, the range a monitor keeps (checked
/// before anything changes, so the window's own range check is never the one to fail).
fn out_of_range(customer: String, at: Timestamp) -> Error {
    Error::InvalidEvent {
        kind: "event",
        customer,
        reason: format!("time {at} lies outside 1970–2106, the range a monitor keeps"),
    }
}

/// One monitored customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Tracked {
    profile: Customer,
    window: Window,
    /// Ids of applied events not older than the late tolerance, with their times.
    seen: Vec<(u64, Timestamp)>,
    /// Complaint tickets since monitoring began.
    complaints: u32,
    probability: Option<f64>,
    tier: Option<RiskTier>,
    /// Event triggers waiting for the next rescoring.
    pending: Vec<Trigger>,
    /// Last alert per [`Cause`], for the cool-down.
    last_alert: [Option<Timestamp>; 5],
    /// State conditions (per [`Cause`] index) that held at the last scoring: a
    /// state detector alerts when its condition starts to hold, not while it holds.
    holding: [bool; 5],
    dirty: bool,
}

impl Tracked {
    fn new(profile: Customer) -> Self {
        Tracked {
            profile,
            window: Window::default(),
            seen: Vec::new(),
            complaints: 0,
            probability: None,
            tier: None,
            pending: Vec::new(),
            last_alert: [None; 5],
            holding: [false; 5],
            dirty: true,
        }
    }

    /// Forget the ids of events before `unix_seconds`: they can no longer be resent
    /// (they would be late), so they need no de-duplication.
    fn forget_ids_before(&mut self, unix_seconds: i64) {
        self.seen.retain(|&(_, t)| t.unix_seconds() >= unix_seconds);
        if self.seen.is_empty() {
            // Most customers are quiet most of the time: give the buffer back.
            self.seen = Vec::new();
        }
    }

    fn heap_bytes(&self) -> usize {
        let p = &self.profile;
        // The id's shared allocation: two reference counts and the text (the index key
        // is a clone of the same id, so it is counted once).
        2 * size_of::<usize>()
            + p.id.as_str().len()
            + p.region.as_ref().map_or(0, String::capacity)
            + p.acquisition_channel.as_ref().map_or(0, String::capacity)
            + self.window.heap_bytes()
            + self.seen.capacity() * size_of::<(u64, Timestamp)>()
            + self.pending.capacity() * size_of::<Trigger>()
    }
}

/// Everything a monitor knows, serialisable for checkpoints.
///
/// Restore with [`Monitor::restore`] and the same fitted pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorState {
    version: u32,
    settings: PipelineSettings,
    config: MonitorConfig,
    now: Option<Timestamp>,
    customers: Vec<Tracked>,
    /// Sorted probabilities of the last rescoring that covered every customer (quantile tiers only).
    population: Vec<f64>,
    stats: MonitorStats,
}

impl MonitorState {
    /// The state as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Checkpoint { reason: format!("cannot serialise: {e}") })
    }

    /// A state from JSON written by [`to_json`](Self::to_json).
    ///
    /// Errors: [`Error::Checkpoint`] for malformed JSON or another format version.
    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let v: Version = serde_json::from_str(text)
            .map_err(|e| Error::Checkpoint { reason: format!("not a monitor checkpoint: {e}") })?;
        ensure!(
            v.version == CHECKPOINT_VERSION,
            Error::Checkpoint {
                reason: format!("format version {}, this build reads version {CHECKPOINT_VERSION}", v.version)
            }
        );
        serde_json::from_str(text).map_err(|e| Error::Checkpoint { reason: format!("corrupt checkpoint: {e}") })
    }
}

/// Streaming early warning: watch customers as events arrive.
///
/// A [`Monitor`] holds, per customer, the events of the feature look-back (see
/// the `window` module's note in the source on why events rather than running sums), applies
/// new events one at a time ([`Monitor::apply`]), moves its clock forward
/// ([`Monitor::tick`]) so that silence itself raises risk, and rescores only the
/// customers whose state changed ([`Monitor::rescore_dirty`]). The features it
/// reads are exactly those of the batch [`FeatureSpec`](crate::features::FeatureSpec)
/// at the monitor's clock (tested: replaying a history equals the batch
/// snapshot). Rescoring raises an [`Alert`] when a customer crosses into a higher
/// risk tier or a behaviour-change detector fires ([`Detectors`]), at most once
/// per cause and customer within a cool-down.
///
/// The clock: ticks set it; an event moves it to one second after the event
/// (so the event counts in features read right away, as "before" the clock).
/// Events may arrive late by up to [`MonitorConfig::late_tolerance_seconds`];
/// later ones are rejected with [`Error::LateEvent`] and change nothing.
///
/// The whole state is serde-serialisable ([`MonitorState`]): a service
/// checkpoints it and restores it with the same fitted pipeline.
///
/// ```
/// use churnguard::classify::LogisticRegression;
/// use churnguard::data::{Event, EventLog, Order};
/// use churnguard::pipeline::Pipeline;
/// use churnguard::sim::{Population, SimConfig};
/// use churnguard::warn::{Monitor, MonitorConfig};
/// use churnguard::{progress::Silent, Timestamp};
///
/// let pop = Population::generate(&SimConfig { n_customers: 400, ..SimConfig::default() })?;
/// let log = EventLog::from_source(pop.records())?;
/// let fitted = Pipeline::new(LogisticRegression::params())
///     .fit_log(&log, &[Timestamp::from_ymd(2024, 3, 1)?], &Silent)?;
///
/// let mut monitor = Monitor::new(fitted, MonitorConfig::default())?;
/// monitor.seed(&log, Timestamp::from_ymd(2024, 6, 1)?)?; // history up to June
/// let first = monitor.rescore_dirty()?; // the first scoring sets every customer's baseline tier
/// assert!(first.is_empty());
///
/// let someone = log.customers()[0].id.clone();
/// let order = Event::Order(Order::new(someone, Timestamp::from_ymd(2024, 6, 1)?.add_days(0), 30.0));
/// monitor.apply(1, &order)?;
/// assert_eq!(monitor.apply(1, &order)?, churnguard::warn::Applied::Duplicate); // idempotent by id
/// monitor.tick(Timestamp::from_ymd(2024, 6, 2)?)?;
/// let alerts = monitor.rescore_dirty()?;
/// for alert in &alerts {
///     println!("{alert}");
/// }
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Debug)]
pub struct Monitor {
    pipeline: FittedPipeline,
    playbook: Option<(Playbook, CustomerValues)>,
    state: MonitorState,
    index: HashMap<CustomerId, usize>,
}

impl Monitor {
    /// A monitor with no customers and no clock yet.
    ///
    /// Errors: invalid settings (see [`MonitorConfig::check`]).
    pub fn new(pipeline: FittedPipeline, config: MonitorConfig) -> Result<Self> {
        config.check(pipeline.settings().lookback)?;
        let state = MonitorState {
            version: CHECKPOINT_VERSION,
            settings: pipeline.settings().clone(),
            config,
            now: None,
            customers: Vec::new(),
            population: Vec::new(),
            stats: MonitorStats::default(),
        };
        Ok(Monitor { pipeline, playbook: None, state, index: HashMap::new() })
    }

    /// Suggest the best playbook action in every alert, valuing customers with `values`.
    pub fn with_playbook(mut self, playbook: Playbook, values: CustomerValues) -> Self {
        self.playbook = Some((playbook, values));
        self
    }

    /// A monitor continuing from a checkpoint. The playbook is configuration, not
    /// state: set it again with [`with_playbook`](Self::with_playbook).
    ///
    /// Errors: [`Error::Checkpoint`] if the state was made with other pipeline
    /// settings, by another format version, or names a customer twice.
    pub fn restore(pipeline: FittedPipeline, state: MonitorState) -> Result<Self> {
        ensure!(
            state.version == CHECKPOINT_VERSION,
            Error::Checkpoint {
                reason: format!("format version {}, this build reads version {CHECKPOINT_VERSION}", state.version)
            }
        );
        ensure!(
            &state.settings == pipeline.settings(),
            Error::Checkpoint { reason: "the checkpoint was made with other pipeline settings".into() }
        );
        state.config.check(pipeline.settings().lookback)?;
        let mut index = HashMap::with_capacity(state.customers.len());
        for (i, c) in state.customers.iter().enumerate() {
            ensure!(
                index.insert(c.profile.id.clone(), i).is_none(),
                Error::Checkpoint { reason: format!("customer `{}` appears twice", c.profile.id) }
            );
            // Every event a monitor holds is before its clock (eligibility relies on it).
            if let Some(last) = c.window.last_event() {
                ensure!(
                    state.now.is_some_and(|now| last < now),
                    Error::Checkpoint {
                        reason: format!("customer `{}` has an event at {last}, not before the clock", c.profile.id)
                    }
                );
            }
        }
        Ok(Monitor { pipeline, playbook: None, state, index })
    }

    /// The state, for a checkpoint (clone it or serialise it with [`MonitorState::to_json`]).
    pub fn state(&self) -> &MonitorState {
        &self.state
    }

    /// The fitted pipeline.
    pub fn pipeline(&self) -> &FittedPipeline {
        &self.pipeline
    }

    /// The settings.
    pub fn config(&self) -> &MonitorConfig {
        &self.state.config
    }

    /// The clock: the last tick, or one second after the latest event, whichever is later.
    pub fn now(&self) -> Option<Timestamp> {
        self.state.now
    }

    /// Counters since the monitor was created.
    pub fn stats(&self) -> MonitorStats {
        self.state.stats
    }

    /// Number of customers tracked.
    pub fn n_customers(&self) -> usize {
        self.state.customers.len()
    }

    /// Whether a customer is tracked.
    pub fn contains(&self, customer: &CustomerId) -> bool {
        self.index.contains_key(customer)
    }

    /// Number of customers waiting to be rescored.
    pub fn n_dirty(&self) -> usize {
        self.state.customers.iter().filter(|c| c.dirty).count()
    }

    /// Customers per tier at their last scoring (customers never scored or no longer
    /// eligible are not counted).
    pub fn tier_counts(&self) -> TierCounts {
        let mut t = TierCounts::default();
        for c in &self.state.customers {
            match c.tier {
                Some(RiskTier::Low) => t.low += 1,
                Some(RiskTier::Medium) => t.medium += 1,
                Some(RiskTier::High) => t.high += 1,
                None => {}
            }
        }
        t
    }

    /// Bytes held per tracked customer on average: the customer's record, retained
    /// events, profile strings and index entry (allocator overhead not counted).
    pub fn memory_per_customer(&self) -> f64 {
        let n = self.state.customers.len();
        if n == 0 {
            return 0.0;
        }
        let per_index_entry = size_of::<(CustomerId, usize)>() + 1; // hashbrown: slot + control byte
        let total: usize =
            self.state.customers.iter().map(|c| size_of::<Tracked>() + c.heap_bytes() + per_index_entry).sum::<usize>()
                + self.state.population.capacity() * size_of::<f64>();
        total as f64 / n as f64
    }

    /// Events retained per tracked customer on average.
    pub fn events_per_customer(&self) -> f64 {
        let n = self.state.customers.len();
        if n == 0 {
            return 0.0;
        }
        self.state.customers.iter().map(|c| c.window.len()).sum::<usize>() as f64 / n as f64
    }

    /// Start tracking a customer, or update the profile of one already tracked.
    ///
    /// Errors: [`Error::InvalidEvent`] for an empty id or an age outside 1–120.
    pub fn add_customer(&mut self, customer: Customer) -> Result<()> {
        let invalid =
            |reason: String| Error::InvalidEvent { kind: "customer", customer: customer.id.to_string(), reason };
        ensure!(!customer.id.as_str().trim().is_empty(), invalid("empty customer id".into()));
        if let Some(age) = customer.age {
            ensure!((1..=120).contains(&age), invalid(format!("age {age} outside 1..=120")));
        }
        match self.index.get(&customer.id) {
            Some(&i) => {
                let c = &mut self.state.customers[i];
                c.profile = customer;
                c.dirty = true;
            }
            None => {
                self.index.insert(customer.id.clone(), self.state.customers.len());
                self.state.customers.push(Tracked::new(customer));
            }
        }
        Ok(())
    }

    /// Stop tracking customers with no event in the `days` before the clock (and none
    /// after it), returning how many were removed. Their state is gone: an event of
    /// theirs later counts as an unknown customer. Customers who never had an event are
    /// kept (their profile may have been added ahead of their first event).
    ///
    /// Errors: the clock has not started; `days` of zero.
    pub fn forget_silent(&mut self, days: Days) -> Result<usize> {
        let now = self.clock()?;
        ensure!(days.0 > 0, Error::param("days", days, "must be at least one day"));
        let cut = now - days;
        let before = self.state.customers.len();
        self.state.customers.retain(|c| c.window.last_event().is_none_or(|last| last >= cut));
        self.index = self.state.customers.iter().enumerate().map(|(i, c)| (c.profile.id.clone(), i)).collect();
        Ok(before - self.state.customers.len())
    }

    /// Load every customer of `log` with their events before `until`, and set the
    /// clock to `until` (a warm start from history; stream the events from `until` on).
    ///
    /// Seeding is for a monitor that holds no events yet (profiles added ahead are
    /// fine): seeded events carry no ids, so a second seed could not be told apart
    /// from the events already held.
    ///
    /// Errors: [`Error::InvalidParameter`] if the monitor already holds events;
    /// [`Error::ClockBackwards`] if `until` is before the clock; [`Error::InvalidEvent`]
    /// if the log holds times outside 1970–2106. Each leaves the monitor unchanged. (A
    /// customer with more than 4 GiB of events in one look-back, which the encoding
    /// cannot hold, stops seeding part-way with [`Error::InvalidEvent`].)
    pub fn seed(&mut self, log: &EventLog, until: Timestamp) -> Result<()> {
        ensure!(
            self.state.customers.iter().all(|c| c.window.is_empty()),
            Error::param("seed", until, "the monitor already holds events; seed a fresh monitor")
        );
        if let Some(now) = self.state.now {
            ensure!(until >= now, Error::ClockBackwards { now: now.to_string(), requested: until.to_string() });
        }
        fn before<T: crate::data::Timed>(items: &[T], t: Timestamp) -> &[T] {
            &items[..items.partition_point(|e| e.at() < t)]
        }
        // Check the whole log before changing anything, so an error leaves the monitor as it was.
        if let Some((first, last)) = log.time_range() {
            for t in [first, last] {
                ensure!(Instant32::new(t).is_some(), out_of_range(String::from("(in the log)"), t));
            }
        }
        let cut = until - self.state.settings.lookback;
        // Every time is in range (checked above); `None` cannot happen.
        let compact = |at: Timestamp| Instant32::new(at).unwrap_or(Instant32::MIN);
        for i in 0..log.n_customers() {
            let ev = log.events(i);
            self.add_customer(ev.customer.clone())?;
            let Some(&k) = self.index.get(&ev.customer.id) else { continue };
            let c = &mut self.state.customers[k];
            let stored =
                |r: std::result::Result<(), &str>| r.map_err(|reason| not_stored("event", &ev.customer.id, reason));
            for o in before(ev.orders, until) {
                stored(c.window.insert_order(*o))?;
            }
            for v in before(ev.visits, until) {
                stored(c.window.insert_visit(compact(v.at)))?;
            }
            for x in before(ev.interactions, until) {
                stored(c.window.insert_interaction(compact(x.at)))?;
            }
            for t in before(ev.tickets, until) {
                stored(c.window.insert_ticket(*t))?;
                c.complaints += u32::from(t.category == TicketCategory::Complaint);
            }
            for r in before(ev.reviews, until) {
                stored(c.window.insert_review(*r))?;
            }
            c.window.expire(cut);
            c.window.shrink();
            c.dirty = true;
        }
        self.state.now = Some(until);
        Ok(())
    }

    /// Apply one event, identified by `event_id` (unique per customer; a repeat is ignored).
    ///
    /// Validation happens before anything changes, so a rejected event leaves the
    /// state as it was. A ticket whose opening time and category match a ticket
    /// already held is an update of its closing fields (whatever its id).
    ///
    /// Errors: [`Error::InvalidEvent`] (the checks the event log applies);
    /// [`Error::UnknownCustomer`] under [`UnknownCustomers::Reject`]; [`Error::LateEvent`]
    /// for an event more than the late tolerance before the clock.
    pub fn apply(&mut self, event_id: u64, event: &Event) -> Result<Applied> {
        let id = event.customer();
        let problem = match event {
            Event::Order(o) => order_problem(o).map(|p| ("order", p)),
            Event::Ticket(t) => ticket_problem(t).map(|p| ("ticket", p)),
            Event::Review(r) => review_problem(r).map(|p| ("review", p)),
            Event::Visit(_) | Event::Interaction(_) => None,
        };
        if let Some((kind, reason)) = problem {
            return Err(Error::InvalidEvent { kind, customer: id.to_string(), reason });
        }
        let at = event.at();
        let compact = Instant32::new(at).ok_or_else(|| out_of_range(id.to_string(), at))?;
        let known = self.index.get(id).copied();
        // A closing of a ticket already held: accepted however long ago it was opened.
        if let (Some(i), Event::Ticket(t)) = (known, event) {
            let c = &mut self.state.customers[i];
            let closing = (t.closed, t.resolved, t.satisfaction);
            match c.window.close_ticket(t.opened, t.category, closing).map_err(|r| not_stored("ticket", id, r))? {
                Some(false) => {
                    self.state.stats.duplicates += 1;
                    return Ok(Applied::Duplicate);
                }
                Some(true) => {
                    c.dirty = true;
                    self.state.stats.ticket_updates += 1;
                    return Ok(Applied::TicketUpdated);
                }
                None => {}
            }
        }
        let tolerance = self.state.config.late_tolerance_seconds;
        if let Some(now) = self.state.now {
            ensure!(
                at.unix_seconds() >= now.unix_seconds() - tolerance,
                Error::LateEvent {
                    customer: id.to_string(),
                    at: at.to_string(),
                    now: now.to_string(),
                    tolerance_seconds: tolerance
                }
            );
        }
        let i = match known {
            Some(i) => i,
            None if self.state.config.unknown_customers == UnknownCustomers::Create => {
                self.index.insert(id.clone(), self.state.customers.len());
                self.state.customers.push(Tracked::new(Customer::new(id.clone(), at)));
                self.state.stats.customers_created += 1;
                self.state.customers.len() - 1
            }
            None => return Err(Error::UnknownCustomer { customer: id.to_string() }),
        };
        let c = &mut self.state.customers[i];
        if c.seen.iter().any(|&(e, _)| e == event_id) {
            self.state.stats.duplicates += 1;
            return Ok(Applied::Duplicate);
        }
        let detectors = self.state.config.detectors;
        let after = Timestamp::from_unix_seconds(at.unix_seconds() + 1);
        let now = self.state.now.map_or(after, |n| n.max(after));
        // Expire only when the buffer is full: what expiry drops is read by no feature or
        // detector, so doing it when the room is needed bounds memory the same way while
        // most events skip it (rescoring expires every customer it scores).
        if c.window.spare() < window::LONGEST_RECORD {
            c.window.expire(now - self.state.settings.lookback);
        }
        let stored = |r: std::result::Result<(), &str>| r.map_err(|reason| not_stored("event", id, reason));
        match event {
            Event::Order(o) => stored(c.window.insert_order(OrderEntry::from(o)))?,
            Event::Visit(_) => stored(c.window.insert_visit(compact))?,
            Event::Interaction(_) => stored(c.window.insert_interaction(compact))?,
            Event::Ticket(t) => {
                stored(c.window.insert_ticket(TicketEntry::from(t)))?;
                if t.category == TicketCategory::Complaint {
                    if c.complaints == 0 && detectors.first_complaint {
                        c.pending.push(Trigger::FirstComplaint { at: t.opened });
                    }
                    c.complaints += 1;
                }
            }
            Event::Review(r) => {
                stored(c.window.insert_review(ReviewEntry::from(r)))?;
                if detectors.bad_review_max_rating.is_some_and(|max| r.rating <= max) {
                    c.pending.push(Trigger::BadReview { at: r.at, rating: r.rating });
                }
            }
        }
        self.state.now = Some(now);
        c.forget_ids_before(now.unix_seconds() - tolerance);
        c.seen.push((event_id, at));
        c.dirty = true;
        self.state.stats.events_added += 1;
        Ok(Applied::Added)
    }

    /// Move the clock to `now`. Every customer becomes due for rescoring, since
    /// recency features change with time alone.
    ///
    /// Errors: [`Error::ClockBackwards`] if `now` is before the clock.
    pub fn tick(&mut self, now: Timestamp) -> Result<()> {
        if let Some(current) = self.state.now {
            ensure!(now >= current, Error::ClockBackwards { now: current.to_string(), requested: now.to_string() });
            if now == current {
                return Ok(());
            }
        }
        self.state.now = Some(now);
        for c in &mut self.state.customers {
            c.dirty = true;
        }
        Ok(())
    }

    fn clock(&self) -> Result<Timestamp> {
        self.state.now.ok_or_else(|| Error::EmptyData {
            context: "the monitor's clock has not started: seed, tick or apply an event first".into(),
        })
    }

    /// Indices of customers eligible for scoring at `now` among `candidates`.
    fn eligible(&self, now: Timestamp, candidates: impl Iterator<Item = usize>) -> Result<Vec<usize>> {
        let settings = &self.state.settings;
        let snapshot = settings.snapshot(now)?;
        let customers = &self.state.customers;
        // Every retained event is before the clock, so the last ones are those before `now`.
        Ok(candidates
            .filter(|&i| {
                let c = &customers[i];
                settings.features.eligible_by_last(c.profile.signup, &c.window.last_times(), &snapshot)
            })
            .collect())
    }

    /// Features at `now` of the customers at `rows`, and with `detectors` the state
    /// triggers of each (from the same decoded orders).
    ///
    /// Chunk by chunk: each worker decodes a chunk of customers into one reused set of
    /// vectors, so decoding allocates nothing per customer and the decoded events of
    /// all customers are never held at once (fresh memory for them cost more page
    /// faults than the decoding itself).
    fn features_of(
        &self,
        now: Timestamp,
        rows: &[usize],
        detectors: Option<&Detectors>,
    ) -> Result<(FeatureMatrix, Vec<Vec<Trigger>>)> {
        let settings = &self.state.settings;
        let snapshot = settings.snapshot(now)?;
        let lookback_start = now - settings.lookback;
        let customers = &self.state.customers;
        const CHUNK: usize = 256;
        let parts: Vec<(FeatureMatrix, Vec<Vec<Trigger>>)> = rows
            .par_chunks(CHUNK)
            .map_init(Decoded::default, |d, chunk| {
                d.clear();
                for &i in chunk {
                    d.push(&customers[i].window);
                }
                let histories: Vec<_> =
                    chunk.iter().enumerate().map(|(j, &i)| d.history(j, &customers[i].profile)).collect();
                let triggers = match detectors {
                    Some(det) => histories.iter().map(|h| det.on_state(h.orders, now, lookback_start)).collect(),
                    None => Vec::new(),
                };
                Ok((settings.features.extract_histories(&snapshot, &histories)?, triggers))
            })
            .collect::<Result<_>>()?;
        let (matrices, triggers): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
        Ok((FeatureMatrix::vstack(&matrices)?, triggers.into_iter().flatten().collect()))
    }

    /// Features at the clock of every customer eligible for scoring, in tracking order:
    /// the same values the batch [`FeatureSpec::extract`](crate::features::FeatureSpec::extract)
    /// gives for the same events.
    ///
    /// Errors: the clock has not started, or no customer is eligible ([`Error::EmptyData`]).
    pub fn features(&self) -> Result<FeatureMatrix> {
        let now = self.clock()?;
        let rows = self.eligible(now, 0..self.state.customers.len())?;
        ensure!(!rows.is_empty(), Error::EmptyData { context: format!("no monitored customer is eligible at {now}") });
        Ok(self.features_of(now, &rows, None)?.0)
    }

    /// Score every eligible customer at the clock, with tiers, percentiles and reasons
    /// (any tier cut-offs in `config`), and changes against `previous` when given.
    /// Does not change the monitor's state.
    ///
    /// Errors: those of [`features`](Self::features) and [`rank_scores`](crate::warn::rank_scores).
    pub fn scoring(&self, config: &ScorerConfig, previous: Option<&Scoring>) -> Result<Scoring> {
        let now = self.clock()?;
        let features = self.features()?;
        let scores = self.pipeline.score_features(features, config.reasons, &Silent)?;
        // One row per monitored customer, so the ids are distinct.
        crate::warn::score::rank_unique(scores, now, config, previous)
    }

    /// Drift between a `reference` population (e.g. the training snapshot's features)
    /// and the customers eligible now: every feature except the calendar ones, plus
    /// the model score. Does not change the monitor's state.
    ///
    /// Errors: those of [`features`](Self::features) and [`drift`](crate::warn::drift).
    pub fn drift(&self, reference: &FeatureMatrix, thresholds: &crate::warn::DriftThresholds) -> Result<DriftReport> {
        super::score::drift_with_score(&self.pipeline, reference, &self.features()?, thresholds)
    }

    /// Rescore the customers whose state changed since their last scoring, and
    /// return the alerts raised, riskiest first.
    ///
    /// Alerts are about change: a tier rise needs a previous tier, and a state
    /// detector (frequency drop, inactivity) alerts when its condition starts to
    /// hold, so a customer's first scoring only sets their baseline. Event triggers
    /// (first complaint, bad review) alert at the next scoring after the event.
    /// Customers not eligible at the clock (signed up later, or silent longer than
    /// the churn definition's `active_within`) are not scored; their triggers are
    /// counted in [`MonitorStats::unscored_triggers`].
    ///
    /// Errors: the clock has not started; feature extraction or scoring failures.
    pub fn rescore_dirty(&mut self) -> Result<Vec<Alert>> {
        self.rescore_dirty_with(&Silent)
    }

    /// [`rescore_dirty`](Self::rescore_dirty) reporting `"scoring"` progress (customers
    /// scored of those eligible) and one `"alerts"` update, for large rescorings after a tick.
    pub fn rescore_dirty_with(&mut self, progress: &dyn Progress) -> Result<Vec<Alert>> {
        let now = self.clock()?;
        let lookback_start = now - self.state.settings.lookback;
        let forget_before = now.unix_seconds() - self.state.config.late_tolerance_seconds;
        self.state.customers.par_iter_mut().filter(|c| c.dirty).for_each(|c| {
            c.window.expire(lookback_start);
            c.forget_ids_before(forget_before);
        });
        let dirty: Vec<usize> = (0..self.state.customers.len()).filter(|&i| self.state.customers[i].dirty).collect();
        let rows = self.eligible(now, dirty.iter().copied())?;
        let (scores, states) = if rows.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let (features, states) = self.features_of(now, &rows, Some(&self.state.config.detectors))?;
            (self.pipeline.score_features(features, self.state.config.reasons, progress)?, states)
        };
        let config = self.state.config;
        if matches!(config.cutoffs, TierCutoffs::Quantile { .. })
            && (dirty.len() == self.state.customers.len() || self.state.population.is_empty())
        {
            // Every customer was due: this scoring is the population the quantiles refer to.
            let mut population: Vec<f64> = scores.iter().map(|s| s.probability).collect();
            population.sort_by(f64::total_cmp);
            self.state.population = population;
        }
        let population = &self.state.population;
        // As `rank_scores`: by score, or by the share of the population at or below.
        let tier_of_probability = |p: f64| match config.cutoffs {
            TierCutoffs::Score { medium, high } => tier_of(100.0 * p, medium, high),
            TierCutoffs::Quantile { medium, high } => {
                let share = population.partition_point(|&q| q <= p) as f64 / population.len().max(1) as f64;
                tier_of_share(share, medium, high)
            }
        };
        let mut scored = rows.iter().zip(scores.into_iter().zip(states)).peekable();
        let mut alerts = Vec::new();
        for &i in &dirty {
            let c = &mut self.state.customers[i];
            c.dirty = false;
            let score = match scored.peek() {
                Some((row, _)) if **row == i => scored.next().map(|(_, s)| s),
                _ => None,
            };
            let Some((score, state)) = score else {
                self.state.stats.unscored_triggers += c.pending.len() as u64;
                c.pending = Vec::new();
                c.probability = None;
                c.tier = None;
                continue;
            };
            self.state.stats.rescored += 1;
            let tier = tier_of_probability(score.probability);
            let previous = c.tier;
            let mut triggers = std::mem::take(&mut c.pending);
            let mut holding = [false; 5];
            for t in state {
                let k = t.cause().index();
                holding[k] = true;
                // A change is news; a condition that already held (or held before the
                // customer's first scoring) is not.
                if previous.is_some() && !c.holding[k] {
                    triggers.push(t);
                }
            }
            c.holding = holding;
            if let Some(p) = previous
                && tier > p
            {
                triggers.push(Trigger::TierRise { from: p, to: tier });
            }
            c.probability = Some(score.probability);
            c.tier = Some(tier);
            let mut kept = Vec::new();
            for t in triggers {
                let slot = &mut c.last_alert[t.cause().index()];
                if slot.is_some_and(|last| now < last + config.cooldown) {
                    self.state.stats.suppressed += 1;
                } else {
                    *slot = Some(now);
                    kept.push(t);
                }
            }
            if kept.is_empty() {
                continue;
            }
            let risk = CustomerRisk {
                customer: score.customer,
                probability: score.probability,
                risk_score: 100.0 * score.probability,
                tier,
                percentile: f64::NAN, // not known for a partial rescoring; rules do not read it
                reasons: score.reasons,
                change: None,
            };
            let suggested_action = self.playbook.as_ref().and_then(|(book, values)| {
                book.candidates(std::slice::from_ref(&risk), values)
                    .into_iter()
                    .filter(|&(_, _, value)| value > 0.0)
                    .max_by(|a, b| a.2.total_cmp(&b.2).then(b.1.cmp(&a.1)))
                    .and_then(|(_, rule, _)| book.rules().get(rule))
                    .map(|r| r.action.clone())
            });
            alerts.push(Alert {
                customer: risk.customer,
                at: now,
                probability: risk.probability,
                tier,
                previous_tier: previous,
                triggers: kept,
                reasons: risk.reasons,
                suggested_action,
            });
        }
        self.state.stats.alerts += alerts.len() as u64;
        progress.update(ProgressUpdate { stage: "alerts", done: 1, total: 1 });
        alerts.sort_by(|a, b| b.probability.total_cmp(&a.probability).then_with(|| a.customer.cmp(&b.customer)));
        Ok(alerts)
    }
}
