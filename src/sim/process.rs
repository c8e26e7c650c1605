//! The per-customer generative process behind [`Population`](super::Population).
//!
//! Time runs in calendar months. At each month boundary a living customer may
//! churn, with a monthly hazard that is a logistic function of what the shop
//! could observe up to that boundary (falling order frequency, complaints,
//! unresolved tickets, bad reviews, discount dependence, the post-holiday
//! drop-off of holiday-acquired customers, being new). Within a month every
//! event kind is a Poisson process with a rate fixed at the boundary, and
//! ticket handling times are exponential. Both facts make the process
//! memoryless inside a month, so it can be branched at any `as_of` and run
//! forward to compute the exact probability of the churn label given
//! everything up to `as_of` (see [`Population::truth`](super::Population::truth)).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma, LogNormal, Normal, Poisson};

use super::DriverStrengths;
use crate::data::{Channel, InteractionKind, ReviewSource, TicketCategory};
use crate::time::SECONDS_PER_DAY;

const DAY: i64 = SECONDS_PER_DAY;

/// Fixed traits of one simulated customer.
#[derive(Clone, Debug)]
pub(crate) struct Traits {
    pub(crate) signup: i64,
    /// When the process starts (signup, or the start of tracking for the existing base).
    pub(crate) active_from: i64,
    pub(crate) holiday_acquired: bool,
    /// Expected orders per 30 days before seasonality and drift.
    pub(crate) base_rate: f64,
    /// Probability that an order uses a discount.
    pub(crate) discount_affinity: f64,
    /// Propensity for service problems (0..1).
    pub(crate) friction: f64,
    /// Typical review rating when nothing went wrong.
    pub(crate) mood: f64,
    /// Browsing sessions per order.
    pub(crate) visit_ratio: f64,
    /// Marketing e-mail engagement (opens per 30 days).
    pub(crate) engagement: f64,
    /// Typical gross basket value.
    pub(crate) basket: f64,
    /// Cumulative channel preference for web, app (store is the rest).
    pub(crate) channel_cut: [f64; 2],
}

/// One order as the process remembers it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OrderRec {
    pub(crate) at: i64,
    pub(crate) discounted: bool,
}

/// One ticket as the process remembers it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TicketRec {
    pub(crate) opened: i64,
    pub(crate) closed: Option<i64>,
    pub(crate) complaint: bool,
    pub(crate) resolved: bool,
}

/// One review as the process remembers it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReviewRec {
    pub(crate) at: i64,
    pub(crate) rating: f64,
}

/// Everything the hazard and the rates may depend on.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    pub(crate) orders: Vec<OrderRec>,
    pub(crate) tickets: Vec<TicketRec>,
    pub(crate) reviews: Vec<ReviewRec>,
}

impl History {
    fn orders_in(&self, from: i64, to: i64) -> usize {
        let a = self.orders.partition_point(|o| o.at < from);
        let b = self.orders.partition_point(|o| o.at < to);
        b - a
    }

    /// Keep only what was known strictly before `t`: later events are dropped and
    /// closures at or after `t` are forgotten (the ticket was still open at `t`).
    pub(crate) fn truncate_at(&mut self, t: i64) {
        self.orders.retain(|o| o.at < t);
        self.reviews.retain(|r| r.at < t);
        self.tickets.retain(|k| k.opened < t);
        for k in &mut self.tickets {
            if k.closed.is_some_and(|c| c >= t) {
                k.closed = None;
            }
        }
    }
}

/// Rates fixed at a month boundary, per day.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MonthRates {
    orders: f64,
    tickets: f64,
    reviews: f64,
    visits: f64,
    interactions: f64,
    discount_p: f64,
}

/// The evolving state of one customer.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub(crate) alive: bool,
    pub(crate) churned_at: Option<i64>,
    rate_mult: f64,
    lapsing: bool,
    rates: MonthRates,
    pub(crate) history: History,
}

impl State {
    pub(crate) fn new() -> Self {
        State {
            alive: true,
            churned_at: None,
            rate_mult: 1.0,
            lapsing: false,
            rates: MonthRates::default(),
            history: History::default(),
        }
    }
}

/// Something that receives the generated events (the realised run keeps them all;
/// a truth branch only needs the history the process keeps itself).
pub(crate) trait Emit {
    fn order(&mut self, at: i64, amount: f64, discount: f64, items: u32, returned: bool, channel: Channel);
    fn visit(&mut self, at: i64, channel: Channel, pages: u32, duration: u32);
    fn interaction(&mut self, at: i64, kind: InteractionKind, channel: Channel);
    fn ticket(
        &mut self,
        opened: i64,
        closed: Option<i64>,
        category: TicketCategory,
        resolved: bool,
        satisfaction: Option<f64>,
    );
    fn review(&mut self, at: i64, rating: f64, sentiment: Option<f64>, source: ReviewSource);
    /// Whether visits and interactions need generating at all.
    fn wants_engagement(&self) -> bool;
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Calendar month (1..=12) of a unix time.
pub(crate) fn month_of(t: i64) -> u32 {
    crate::time::Timestamp::from_unix_seconds(t).date().map_or(1, |d| chrono::Datelike::month(&d))
}

/// Seasonal demand multiplier: holiday peak, then the January dip.
fn season(month: u32) -> f64 {
    match month {
        11 => 1.35,
        12 => 1.7,
        1 => 0.7,
        2 => 0.85,
        _ => 1.0,
    }
}

/// The observable churn drivers at boundary `b`, each as used in the hazard.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Drivers {
    pub(crate) frequency_drop: f64,
    pub(crate) complaints: f64,
    pub(crate) unresolved: f64,
    pub(crate) bad_reviews: f64,
    pub(crate) discount_share: f64,
    pub(crate) post_holiday: f64,
    pub(crate) new_customer: f64,
}

pub(crate) fn drivers_at(traits: &Traits, h: &History, b: i64) -> Drivers {
    let tenure_days = (b - traits.signup) / DAY;
    // Falling purchase frequency: last 90 days vs the 90 before, on a log scale
    // (negative when frequency rises, e.g. for new customers ramping up).
    let recent = h.orders_in(b - 90 * DAY, b) as f64;
    let previous = h.orders_in(b - 180 * DAY, b - 90 * DAY) as f64;
    let frequency_drop = ((previous + 1.0) / (recent + 1.0)).ln();
    let complaints = h.tickets.iter().filter(|t| t.complaint && t.opened >= b - 90 * DAY && t.opened < b).count();
    let unresolved = h
        .tickets
        .iter()
        .filter(|t| t.opened >= b - 365 * DAY && t.opened < b)
        .filter(|t| match t.closed {
            None => true,
            Some(c) => c >= b || !t.resolved,
        })
        .count();
    let bad_reviews = h.reviews.iter().filter(|r| r.at >= b - 365 * DAY && r.at < b && r.rating <= 2.0).count();
    let first = h.orders.partition_point(|o| o.at < b - 365 * DAY);
    let last = h.orders.partition_point(|o| o.at < b);
    let recent_orders = &h.orders[first..last];
    let discount_share = if !recent_orders.is_empty() {
        recent_orders.iter().filter(|o| o.discounted).count() as f64 / recent_orders.len() as f64
    } else {
        0.0
    };
    let month = month_of(b);
    let post_holiday =
        if traits.holiday_acquired && (month == 1 || month == 2) && tenure_days < 120 { 1.0 } else { 0.0 };
    Drivers {
        frequency_drop,
        complaints: complaints.min(3) as f64,
        unresolved: unresolved.min(3) as f64,
        bad_reviews: bad_reviews.min(3) as f64,
        discount_share,
        post_holiday,
        new_customer: if tenure_days < 60 { 1.0 } else { 0.0 },
    }
}

/// Monthly churn hazard on the logit scale.
pub(crate) fn hazard_logit(s: &DriverStrengths, d: &Drivers, january: bool) -> f64 {
    s.baseline
        + s.frequency_drop * d.frequency_drop
        + s.complaint * d.complaints
        + s.unresolved_ticket * d.unresolved
        + s.bad_review * d.bad_reviews
        + s.discount_dependence * d.discount_share
        + s.post_holiday * d.post_holiday
        + s.new_customer * d.new_customer
        + if january { s.january } else { 0.0 }
}

/// The probability of churning at boundary `b` (0 in the customer's first month).
pub(crate) fn churn_probability(traits: &Traits, s: &DriverStrengths, h: &History, b: i64) -> f64 {
    if b <= traits.active_from {
        return 0.0;
    }
    let d = drivers_at(traits, h, b);
    sigmoid(hazard_logit(s, &d, month_of(b) == 1))
}

/// How the churn decision at a boundary is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChurnDraw {
    /// Draw it (the realised run).
    Sample,
    /// Keep the customer alive; the caller integrates the churn probability analytically.
    ForceAlive,
}

/// Month boundary `b`: churn decision, lapsing and drift, and the month's rates.
pub(crate) fn boundary(
    traits: &Traits,
    s: &DriverStrengths,
    st: &mut State,
    b: i64,
    draw: ChurnDraw,
    rng: &mut ChaCha8Rng,
) {
    let month = month_of(b);
    if st.alive && b > traits.active_from {
        let p = churn_probability(traits, s, &st.history, b);
        let u: f64 = rng.r#gen();
        if draw == ChurnDraw::Sample && u < p {
            st.alive = false;
            st.churned_at = Some(b);
        }
        // Frustration starts a lapse: demand decays for a while before the customer leaves.
        let complaints = drivers_at(traits, &st.history, b).complaints;
        let lapse_p = s.lapse_base + s.lapse_per_complaint * complaints;
        if !st.lapsing && rng.r#gen::<f64>() < lapse_p {
            st.lapsing = true;
        }
    }
    let drift: f64 = Normal::new(0.0, 0.06).map_or(0.0, |n| n.sample(rng));
    st.rate_mult = (st.rate_mult * drift.exp() * if st.lapsing { s.lapse_decay } else { 1.0 }).clamp(0.05, 3.0);
    let recent_orders = st.history.orders_in(b - 60 * DAY, b) as f64;
    let r = &mut st.rates;
    if st.alive {
        let seas = season(month);
        r.orders = traits.base_rate * st.rate_mult * seas / 30.0;
        r.discount_p = (traits.discount_affinity * if month >= 11 { 1.3 } else { 1.0 }).min(0.95);
        let activity = r.orders * 30.0 + 0.5 * recent_orders;
        r.tickets = (0.02 + 0.25 * traits.friction) * activity / 30.0;
        r.reviews = 0.12 * activity / 30.0;
        r.visits = traits.visit_ratio * r.orders;
        r.interactions = traits.engagement * (0.5 + 0.5 * st.rate_mult.min(1.5)) / 30.0;
    } else {
        let months_gone = st.churned_at.map_or(0, |c| (b - c) / (30 * DAY)) as i32;
        r.orders = 0.0;
        r.tickets = 0.0;
        r.reviews = 0.0;
        r.visits = 0.3 * 0.3f64.powi(months_gone) / 30.0;
        r.interactions = 0.25 * traits.engagement * 0.7f64.powi(months_gone) / 30.0;
    }
}

/// Order rate per day fixed at the last boundary.
pub(crate) fn order_rate(st: &State) -> f64 {
    st.rates.orders
}

/// Stop generating orders for the rest of the span (truth branches integrate them out).
pub(crate) fn suppress_orders(st: &mut State) {
    st.rates.orders = 0.0;
}

/// Event kinds in time order within one generation span.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Order,
    Ticket,
    Review,
    Visit,
    Interaction,
}

fn poisson_times(rate_per_day: f64, from: i64, to: i64, kind: Kind, rng: &mut ChaCha8Rng, out: &mut Vec<(i64, Kind)>) {
    if rate_per_day <= 0.0 {
        return;
    }
    let Ok(gap) = Exp::new(rate_per_day) else { return };
    let mut t = from as f64;
    loop {
        t += gap.sample(rng) * DAY as f64;
        if t >= to as f64 {
            break;
        }
        out.push((t as i64, kind));
    }
}

/// Generate every event in `[from, to)` with the rates fixed at the last boundary.
/// Returns the time of the first order generated, if any.
pub(crate) fn generate(
    traits: &Traits,
    st: &mut State,
    from: i64,
    to: i64,
    rng: &mut ChaCha8Rng,
    out: &mut dyn Emit,
) -> Option<i64> {
    let mut times = Vec::new();
    let r = st.rates;
    poisson_times(r.orders, from, to, Kind::Order, rng, &mut times);
    poisson_times(r.tickets, from, to, Kind::Ticket, rng, &mut times);
    poisson_times(r.reviews, from, to, Kind::Review, rng, &mut times);
    if out.wants_engagement() {
        poisson_times(r.visits, from, to, Kind::Visit, rng, &mut times);
        poisson_times(r.interactions, from, to, Kind::Interaction, rng, &mut times);
    }
    times.sort_unstable();
    let mut first_order = None;
    for (at, kind) in times {
        match kind {
            Kind::Order => {
                first_order.get_or_insert(at);
                order(traits, st, at, rng, out);
            }
            Kind::Ticket => ticket(traits, st, at, rng, out),
            Kind::Review => review(traits, st, at, rng, out),
            Kind::Visit => {
                let u: f64 = rng.r#gen();
                let channel = if u < 0.55 { Channel::Web } else { Channel::App };
                let pages = 1 + Poisson::new(4.0).map_or(0.0, |p| p.sample(rng)) as u32;
                let duration = 30 + pages * rng.gen_range(20..90);
                out.visit(at, channel, pages, duration);
            }
            Kind::Interaction => {
                let u: f64 = rng.r#gen();
                let (kind, channel) = if u < 0.6 {
                    (InteractionKind::EmailOpen, Channel::Email)
                } else if u < 0.8 {
                    (InteractionKind::EmailClick, Channel::Email)
                } else if u < 0.92 {
                    (InteractionKind::PushOpen, Channel::App)
                } else {
                    (InteractionKind::Loyalty, Channel::App)
                };
                out.interaction(at, kind, channel);
            }
        }
    }
    first_order
}

fn order(traits: &Traits, st: &mut State, at: i64, rng: &mut ChaCha8Rng, out: &mut dyn Emit) {
    let discounted = rng.r#gen::<f64>() < st.rates.discount_p;
    let gross = traits.basket * LogNormal::new(0.0, 0.45).map_or(1.0, |d| d.sample(rng));
    let discount = if discounted { gross * rng.gen_range(0.10..0.35) } else { 0.0 };
    let items = 1 + Poisson::new(gross / 45.0).map_or(0.0, |p| p.sample(rng)) as u32;
    let returned = rng.r#gen::<f64>() < 0.04 + 0.15 * traits.friction;
    let u: f64 = rng.r#gen();
    let channel = if u < traits.channel_cut[0] {
        Channel::Web
    } else if u < traits.channel_cut[1] {
        Channel::App
    } else {
        Channel::Store
    };
    let paid = ((gross - discount) * 100.0).round() / 100.0;
    let discount = (discount * 100.0).round() / 100.0;
    st.history.orders.push(OrderRec { at, discounted });
    out.order(at, paid, discount, items, returned, channel);
}

fn ticket(traits: &Traits, st: &mut State, at: i64, rng: &mut ChaCha8Rng, out: &mut dyn Emit) {
    let f = traits.friction;
    let complaint = rng.r#gen::<f64>() < 0.3 + 0.4 * f;
    let category = if complaint {
        TicketCategory::Complaint
    } else {
        [TicketCategory::Delivery, TicketCategory::Return, TicketCategory::Question, TicketCategory::Billing]
            [rng.gen_range(0..4)]
    };
    let (closed, resolved) = close_ticket(f, at, rng);
    let satisfaction = match closed {
        Some(_) if rng.r#gen::<f64>() < 0.6 => {
            Some(if resolved { rng.gen_range(3..=5) as f64 } else { rng.gen_range(1..=2) as f64 })
        }
        _ => None,
    };
    st.history.tickets.push(TicketRec { opened: at, closed, complaint, resolved });
    out.ticket(at, closed, category, resolved, satisfaction);
}

/// Handling time is exponential (memoryless), so an open ticket can be re-closed from any later time.
pub(crate) fn close_ticket(friction: f64, from: i64, rng: &mut ChaCha8Rng) -> (Option<i64>, bool) {
    let mean_days = 2.0 + 12.0 * friction;
    let days = Exp::new(1.0 / mean_days).map_or(mean_days, |e| e.sample(rng));
    let resolved = rng.r#gen::<f64>() < 0.85 - 0.5 * friction;
    (Some(from + (days * DAY as f64) as i64), resolved)
}

fn review(traits: &Traits, st: &mut State, at: i64, rng: &mut ChaCha8Rng, out: &mut dyn Emit) {
    let problem = st.history.tickets.iter().any(|t| {
        t.opened >= at - 60 * DAY && t.opened < at && (t.complaint || t.closed.is_none_or(|c| c > at) || !t.resolved)
    });
    let noise = Normal::new(0.0, 0.7).map_or(0.0, |n| n.sample(rng));
    let rating = (traits.mood + noise - if problem { 1.8 } else { 0.0 }).round().clamp(1.0, 5.0);
    let sentiment = if rng.r#gen::<f64>() < 0.7 {
        let s = (rating - 3.0) / 2.0 + Normal::new(0.0, 0.25).map_or(0.0, |n| n.sample(rng));
        Some((s.clamp(-1.0, 1.0) * 100.0).round() / 100.0)
    } else {
        None
    };
    let u: f64 = rng.r#gen();
    let source = if u < 0.6 {
        ReviewSource::Site
    } else if u < 0.9 {
        ReviewSource::Social
    } else {
        ReviewSource::Marketplace
    };
    st.history.reviews.push(ReviewRec { at, rating });
    out.review(at, rating, sentiment, source);
}

/// Draw the fixed traits of one customer.
pub(crate) fn draw_traits(signup: i64, active_from: i64, holiday_acquired: bool, rng: &mut ChaCha8Rng) -> Traits {
    let base_rate = 1.2 + Gamma::new(2.0, 0.6).map_or(1.0, |g| g.sample(rng));
    let discount_affinity = Beta::new(1.3, 3.5).map_or(0.25, |b| b.sample(rng));
    let friction = Beta::new(1.2, 6.0).map_or(0.15, |b| b.sample(rng));
    let mood = 3.6 + Normal::new(0.0, 0.6).map_or(0.0, |n| n.sample(rng));
    let visit_ratio = 8.0 * LogNormal::new(0.0, 0.1).map_or(1.0, |d| d.sample(rng));
    let engagement = Gamma::new(1.5, 2.0).map_or(3.0, |g| g.sample(rng));
    let basket = 25.0 + Gamma::new(2.0, 25.0).map_or(50.0, |g| g.sample(rng));
    let web: f64 = rng.gen_range(0.2..0.7);
    let app: f64 = rng.gen_range(0.0..(1.0 - web));
    Traits {
        signup,
        active_from,
        holiday_acquired,
        base_rate,
        discount_affinity,
        friction,
        mood,
        visit_ratio,
        engagement,
        basket,
        channel_cut: [web, web + app],
    }
}
