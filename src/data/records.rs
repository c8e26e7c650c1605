//! Typed records for every channel churnguard integrates.
//!
//! Profile ([`Customer`]), behaviour ([`Order`], [`Visit`], [`Interaction`]),
//! service ([`SupportTicket`]) and social ([`Review`]). Each event names its
//! customer by a [`CustomerId`], which may also be an alias (email, phone,
//! device) that an [`AliasMap`](super::AliasMap) resolves when the
//! [`EventLog`](super::EventLog) is built.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A customer identifier as the host system spells it.
///
/// Shared, immutable text: cloning an id (every scored row, alert and feature
/// matrix carries one) copies a pointer, not the characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(Arc<str>);

impl CustomerId {
    /// Wrap an identifier.
    pub fn new(id: impl Into<String>) -> Self {
        CustomerId(Arc::from(id.into()))
    }

    /// The identifier text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl From<&str> for CustomerId {
    fn from(s: &str) -> Self {
        CustomerId(Arc::from(s))
    }
}

impl From<String> for CustomerId {
    fn from(s: String) -> Self {
        CustomerId(Arc::from(s))
    }
}

/// Defines a closed, case-insensitively parsed vocabulary enum with an `Other` fallback.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => [$($alias:literal),+] ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical snake_case name (as written in CSV files and feature names).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => vocabulary!(@first $($alias),+), )+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            /// Case-insensitive; accepts the canonical name and common synonyms.
            fn from_str(s: &str) -> std::result::Result<Self, String> {
                let lower = s.trim().to_ascii_lowercase();
                $( if [$($alias),+].contains(&lower.as_str()) { return Ok($name::$variant); } )+
                Err(format!(
                    "`{}` is not a known {} (expected one of: {})",
                    s,
                    stringify!($name),
                    [$(vocabulary!(@first $($alias),+)),+].join(", ")
                ))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@first $first:literal $(, $rest:literal)*) => { $first };
}

vocabulary! {
    /// Self-reported gender.
    Gender {
        /// Female.
        Female => ["female", "f", "woman", "w"],
        /// Male.
        Male => ["male", "m", "man"],
        /// Any other answer (non-binary, diverse, …).
        Other => ["other", "x", "non-binary", "nonbinary", "diverse", "d"],
    }
}

vocabulary! {
    /// The channel through which an order, visit or interaction happened.
    Channel {
        /// Website.
        Web => ["web", "website", "online", "desktop"],
        /// Mobile app.
        App => ["app", "mobile", "mobile_app", "ios", "android"],
        /// Physical store.
        Store => ["store", "shop", "offline", "retail"],
        /// Telephone.
        Phone => ["phone", "call", "telephone"],
        /// E-mail.
        Email => ["email", "e-mail", "mail"],
        /// Social media.
        Social => ["social", "social_media"],
        /// Anything else.
        Other => ["other", "unknown"],
    }
}

vocabulary! {
    /// What kind of non-purchase interaction took place.
    InteractionKind {
        /// A marketing e-mail was opened.
        EmailOpen => ["email_open", "open"],
        /// A link in an e-mail was clicked.
        EmailClick => ["email_click", "click"],
        /// A push notification was opened.
        PushOpen => ["push_open", "push"],
        /// A chat conversation (bot or agent).
        Chat => ["chat"],
        /// A phone call.
        Call => ["call"],
        /// A social media mention, like or comment.
        SocialMention => ["social_mention", "mention", "like", "comment"],
        /// Loyalty programme activity (points redeemed, tier change).
        Loyalty => ["loyalty"],
        /// Anything else.
        Other => ["other"],
    }
}

vocabulary! {
    /// The category of a support ticket.
    TicketCategory {
        /// A complaint: the customer is unhappy with the product or service.
        Complaint => ["complaint"],
        /// A question or information request.
        Question => ["question", "inquiry", "enquiry"],
        /// Delivery problem (late, lost, damaged).
        Delivery => ["delivery", "shipping"],
        /// Return or refund request.
        Return => ["return", "refund"],
        /// Billing or payment issue.
        Billing => ["billing", "payment"],
        /// Technical problem (app, website, account).
        Technical => ["technical", "tech"],
        /// After-sales feedback.
        Feedback => ["feedback", "after_sales"],
        /// Anything else.
        Other => ["other"],
    }
}

vocabulary! {
    /// Where a review was posted.
    ReviewSource {
        /// The company's own site or app.
        Site => ["site", "web", "app"],
        /// A social network.
        Social => ["social", "social_media"],
        /// A third-party marketplace or review site.
        Marketplace => ["marketplace", "third_party"],
        /// A survey response (e.g. NPS, CSAT).
        Survey => ["survey", "nps", "csat"],
        /// Anything else.
        Other => ["other"],
    }
}

/// Profile of one customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's canonical identifier.
    pub id: CustomerId,
    /// When the customer signed up (first became a customer).
    pub signup: Timestamp,
    /// Age in years, if known.
    pub age: Option<u8>,
    /// Gender, if known.
    pub gender: Option<Gender>,
    /// Region (free text: a country, state, city or sales region).
    pub region: Option<String>,
    /// How the customer was acquired (campaign, partner, "holiday_promo", …), if known.
    pub acquisition_channel: Option<String>,
}

impl Customer {
    /// A customer with only the required fields set.
    pub fn new(id: impl Into<CustomerId>, signup: Timestamp) -> Self {
        Customer { id: id.into(), signup, age: None, gender: None, region: None, acquisition_channel: None }
    }
}

/// One purchase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The buyer (an id or an alias).
    pub customer: CustomerId,
    /// When the order was placed.
    pub at: Timestamp,
    /// Amount paid, after discount, in the shop's currency (≥ 0).
    pub amount: f64,
    /// Number of items.
    pub items: u32,
    /// Discount granted on this order, in currency (≥ 0; 0 = full price).
    pub discount: f64,
    /// Whether the order was returned.
    pub returned: bool,
    /// Where it was placed.
    pub channel: Channel,
}

impl Order {
    /// A full-price, one-item web order that was not returned.
    pub fn new(customer: impl Into<CustomerId>, at: Timestamp, amount: f64) -> Self {
        Order { customer: customer.into(), at, amount, items: 1, discount: 0.0, returned: false, channel: Channel::Web }
    }
}

/// A browsing session (web or app visit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// The visitor (an id or an alias).
    pub customer: CustomerId,
    /// Session start.
    pub at: Timestamp,
    /// Web or app (or other).
    pub channel: Channel,
    /// Pages or screens viewed.
    pub pages: u32,
    /// Session length in seconds, if known.
    pub duration_seconds: Option<u32>,
}

/// A non-purchase interaction: e-mail opens and clicks, chats, calls, social mentions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The customer (an id or an alias).
    pub customer: CustomerId,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: InteractionKind,
    /// Through which channel.
    pub channel: Channel,
}

/// A customer-service ticket, including complaints and after-sales feedback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupportTicket {
    /// The customer (an id or an alias).
    pub customer: CustomerId,
    /// When the ticket was opened.
    pub opened: Timestamp,
    /// When it was closed; `None` while still open.
    pub closed: Option<Timestamp>,
    /// What it is about.
    pub category: TicketCategory,
    /// Whether the issue was resolved when the ticket was closed
    /// (only meaningful once `closed` is set; features never read it before then).
    pub resolved: bool,
    /// Satisfaction score given at closing, 1 (worst) to 5 (best), if any.
    pub satisfaction: Option<f64>,
}

/// A product or service review, on the company's site or on social media.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The author (an id or an alias).
    pub customer: CustomerId,
    /// When it was posted.
    pub at: Timestamp,
    /// Star rating, 1 (worst) to 5 (best).
    pub rating: f64,
    /// Sentiment score from −1 (negative) to +1 (positive), if a text model scored it.
    pub sentiment: Option<f64>,
    /// Where it was posted.
    pub source: ReviewSource,
}

/// Any one customer event, for sources and monitors that handle events one at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A purchase.
    Order(Order),
    /// A browsing session.
    Visit(Visit),
    /// A non-purchase interaction.
    Interaction(Interaction),
    /// A support ticket.
    Ticket(SupportTicket),
    /// A review.
    Review(Review),
}

impl Event {
    /// The customer (id or alias) the event belongs to.
    pub fn customer(&self) -> &CustomerId {
        match self {
            Event::Order(e) => &e.customer,
            Event::Visit(e) => &e.customer,
            Event::Interaction(e) => &e.customer,
            Event::Ticket(e) => &e.customer,
            Event::Review(e) => &e.customer,
        }
    }

    /// When the event happened (for tickets: when they were opened).
    pub fn at(&self) -> Timestamp {
        match self {
            Event::Order(e) => e.at,
            Event::Visit(e) => e.at,
            Event::Interaction(e) => e.at,
            Event::Ticket(e) => e.opened,
            Event::Review(e) => e.at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_parse_synonyms_case_insensitively() {
        assert_eq!("  Mobile ".parse::<Channel>().unwrap(), Channel::App);
        assert_eq!("F".parse::<Gender>().unwrap(), Gender::Female);
        assert_eq!("Refund".parse::<TicketCategory>().unwrap(), TicketCategory::Return);
        assert_eq!("nps".parse::<ReviewSource>().unwrap(), ReviewSource::Survey);
        let err = "carrier pigeon".parse::<Channel>().unwrap_err();
        assert!(err.contains("carrier pigeon") && err.contains("web, app, store"), "{err}");
    }

    #[test]
    fn canonical_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
        }
        for k in InteractionKind::ALL {
            assert_eq!(k.as_str().parse::<InteractionKind>().unwrap(), *k);
        }
        for k in TicketCategory::ALL {
            assert_eq!(k.to_string().parse::<TicketCategory>().unwrap(), *k);
        }
    }
}
