//! The retained history of one monitored customer, in a compact encoding.
//!
//! What is kept: per kind of event and sorted by time, the events inside the
//! feature look-back plus the few older ones a feature still reads: the last
//! event before the look-back (for `days_since_last_*` and eligibility of
//! customers silent for longer than the look-back) and, for orders, the first
//! order ever (`days_since_first_order`). Every other event older than the
//! look-back is dropped when the clock passes it, so the state of a customer is
//! bounded by their activity within one look-back, not by their whole history.
//!
//! Why events and not running sums: a windowed running sum must still keep the
//! events it will later subtract, so it saves no memory; reading the features
//! from the retained events with the batch extraction code makes streaming and
//! batch features agree by construction, instead of maintaining a second
//! definition of 58 features.
//!
//! How they are kept (written for the memory target, measured in
//! `benches/monitor.rs`): a monitor holds millions of customers, and as plain
//! vectors a simulated customer's year of events took ~1.2 KB (a visit 4 bytes,
//! an order 32) plus five vector headers. Here all of a customer's events live
//! in one byte buffer of five sections (tickets, reviews, orders, interactions,
//! visits: the frequent kinds last, so appending a visit is a push at the end).
//! A non-empty section starts with the time of its last record (4 bytes, for
//! appends) and holds records in time order, each starting with its time as a
//! LEB128 varint: absolute for the first record, the gap to the previous record
//! after that (a visit a few days after the last one takes 3 bytes). Amounts,
//! discounts, ratings and satisfaction scores are stored as whole hundredths
//! when that reproduces the `f64` bit for bit (prices in cents, 1–5 stars), as
//! the raw 8 bytes otherwise; enums and flags share one byte. Nothing is
//! rounded: decoding gives back the very values applied, which the
//! streaming-equals-batch tests check to 1e-9 (they are equal exactly).
//!
//! Reading: features decode a customer's sections into reusable vectors
//! ([`Decoded`]) and run the batch extraction on them; the hot paths of `apply`
//! (append, expiry of the oldest records, last times for eligibility) read only
//! a section's header and first records.
//!
//! The encoding is internal: checkpoints serialise a window as its decoded
//! event lists (the same JSON as before the compact encoding), and restoring
//! checks their order.

use serde::{Deserialize, Serialize};

use crate::data::{Channel, Customer, OrderEntry, ReviewEntry, ReviewSource, TicketCategory, TicketEntry, Timed};
use crate::features::History;
use crate::time::Timestamp;

/// An instant as unsigned 32-bit Unix seconds (1970 to 2106): the range a
/// monitor keeps. Visits and interactions are read only by their times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Instant32(u32);

impl Instant32 {
    /// 1970-01-01T00:00:00Z.
    pub(crate) const MIN: Instant32 = Instant32(0);

    /// The instant, if it lies in 1970–2106.
    pub(crate) fn new(t: Timestamp) -> Option<Self> {
        u32::try_from(t.unix_seconds()).ok().map(Instant32)
    }
}

impl Timed for Instant32 {
    fn at(&self) -> Timestamp {
        Timestamp::from_unix_seconds(i64::from(self.0))
    }
}

/// Why an event could not be stored.
pub(crate) const OUT_OF_RANGE: &str = "its time lies outside 1970–2106, the range a monitor keeps";
const TOO_LARGE: &str = "the customer's retained events would exceed 4 GiB";

// Section indices: rare kinds first, so appends to the frequent ones move few bytes.
const TICKETS: usize = 0;
const REVIEWS: usize = 1;
const ORDERS: usize = 2;
const INTERACTIONS: usize = 3;
const VISITS: usize = 4;
const SECTIONS: usize = 5;
/// Bytes of a section's header (the time of its last record).
const HEADER: usize = 4;
/// The most bytes one insertion appends: a section header and an order with raw
/// amount and discount (time 5 + flags 1 + 8 + 8 + items 5).
pub(crate) const LONGEST_RECORD: usize = HEADER + 27;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// `x` as a whole number of hundredths, when dividing that number by 100
/// gives back `x` bit for bit (never for −0, NaN or huge values).
fn hundredths(x: f64) -> Option<i64> {
    let c = (x * 100.0).round();
    // NaN and huge values fail the range test.
    let in_range = c.abs() < 9.0e15;
    if !in_range || x.to_bits() == (-0.0f64).to_bits() {
        return None;
    }
    ((c / 100.0).to_bits() == x.to_bits()).then_some(c as i64)
}

/// Write `x` as hundredths when `h` holds them, else as its 8 bytes.
fn put_decimal(out: &mut Vec<u8>, x: f64, h: Option<i64>) {
    match h {
        Some(c) => put_varint(out, zigzag(c)),
        None => out.extend_from_slice(&x.to_le_bytes()),
    }
}

/// A cursor over encoded bytes; every read is checked (`None` past the end).
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    #[inline]
    fn varint(&mut self) -> Option<u64> {
        // Most values (gaps between orders of a day or more excepted) take one or two bytes.
        let b = *self.bytes.get(self.pos)?;
        if b < 0x80 {
            self.pos += 1;
            return Some(u64::from(b));
        }
        self.varint_long()
    }

    fn varint_long(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = *self.bytes.get(self.pos)?;
            self.pos += 1;
            if shift >= 64 {
                return None;
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
            shift += 7;
        }
    }

    #[inline]
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    #[inline]
    fn f64(&mut self) -> Option<f64> {
        let raw: [u8; 8] = self.bytes.get(self.pos..self.pos + 8)?.try_into().ok()?;
        self.pos += 8;
        Some(f64::from_le_bytes(raw))
    }

    /// A value written by [`put_decimal`]; `hundredths` is its flag.
    #[inline]
    fn decimal(&mut self, hundredths: bool) -> Option<f64> {
        if hundredths { Some(unzigzag(self.varint()?) as f64 / 100.0) } else { self.f64() }
    }
}

/// An event kind's record: its fields after the time.
trait Record: Timed + Sized {
    /// Append the fields (not the time).
    fn put(&self, out: &mut Vec<u8>);
    /// Read the fields of the record at `at`.
    fn get(at: u32, r: &mut Reader<'_>) -> Option<Self>;
}

fn at_of(secs: u32) -> Timestamp {
    Timestamp::from_unix_seconds(i64::from(secs))
}

fn flag(on: bool, bit: u8) -> u8 {
    if on { 1 << bit } else { 0 }
}

impl Record for Instant32 {
    fn put(&self, _: &mut Vec<u8>) {}

    fn get(at: u32, _: &mut Reader<'_>) -> Option<Self> {
        Some(Instant32(at))
    }
}

// Orders: [flags][amount][discount if non-zero][items]. Flags: bit 0 returned, 1 has a
// discount, 2 amount in hundredths, 3 discount in hundredths, 4–6 channel.
impl Record for OrderEntry {
    fn put(&self, out: &mut Vec<u8>) {
        let amount = hundredths(self.amount);
        let has_discount = self.discount.to_bits() != 0;
        let discount = hundredths(self.discount);
        out.push(
            flag(self.returned, 0)
                | flag(has_discount, 1)
                | flag(amount.is_some(), 2)
                | flag(discount.is_some(), 3)
                | (self.channel as u8) << 4,
        );
        put_decimal(out, self.amount, amount);
        if has_discount {
            put_decimal(out, self.discount, discount);
        }
        put_varint(out, u64::from(self.items));
    }

    fn get(at: u32, r: &mut Reader<'_>) -> Option<Self> {
        let f = r.byte()?;
        let amount = r.decimal(f & 4 != 0)?;
        let discount = if f & 2 != 0 { r.decimal(f & 8 != 0)? } else { 0.0 };
        let items = u32::try_from(r.varint()?).ok()?;
        let channel = *Channel::ALL.get(usize::from(f >> 4))?;
        Some(OrderEntry { at: at_of(at), amount, discount, items, returned: f & 1 != 0, channel })
    }
}

// Tickets: [flags][closed − opened if closed][satisfaction if any]. Flags: bits 0–2
// category, 3 resolved, 4 closed, 5 has satisfaction, 6 satisfaction in hundredths.
impl Record for TicketEntry {
    fn put(&self, out: &mut Vec<u8>) {
        let sat = self.satisfaction.map(|s| (s, hundredths(s)));
        out.push(
            self.category as u8
                | flag(self.resolved, 3)
                | flag(self.closed.is_some(), 4)
                | flag(sat.is_some(), 5)
                | flag(sat.is_some_and(|(_, h)| h.is_some()), 6),
        );
        if let Some(closed) = self.closed {
            put_varint(out, zigzag(closed.unix_seconds().wrapping_sub(self.at.unix_seconds())));
        }
        if let Some((s, h)) = sat {
            put_decimal(out, s, h);
        }
    }

    fn get(at: u32, r: &mut Reader<'_>) -> Option<Self> {
        let f = r.byte()?;
        let category = *TicketCategory::ALL.get(usize::from(f & 7))?;
        let closed = if f & 16 != 0 {
            Some(Timestamp::from_unix_seconds(i64::from(at).wrapping_add(unzigzag(r.varint()?))))
        } else {
            None
        };
        let satisfaction = if f & 32 != 0 { Some(r.decimal(f & 64 != 0)?) } else { None };
        Some(TicketEntry { at: at_of(at), closed, category, resolved: f & 8 != 0, satisfaction })
    }
}

// Reviews: [flags][rating][sentiment if any]. Flags: bits 0–2 source, 3 has sentiment,
// 4 rating in hundredths, 5 sentiment in hundredths.
impl Record for ReviewEntry {
    fn put(&self, out: &mut Vec<u8>) {
        let rating = hundredths(self.rating);
        let sentiment = self.sentiment.map(|s| (s, hundredths(s)));
        out.push(
            self.source as u8
                | flag(sentiment.is_some(), 3)
                | flag(rating.is_some(), 4)
                | flag(sentiment.is_some_and(|(_, h)| h.is_some()), 5),
        );
        put_decimal(out, self.rating, rating);
        if let Some((s, h)) = sentiment {
            put_decimal(out, s, h);
        }
    }

    fn get(at: u32, r: &mut Reader<'_>) -> Option<Self> {
        let f = r.byte()?;
        let source = *ReviewSource::ALL.get(usize::from(f & 7))?;
        let rating = r.decimal(f & 16 != 0)?;
        let sentiment = if f & 8 != 0 { Some(r.decimal(f & 32 != 0)?) } else { None };
        Some(ReviewEntry { at: at_of(at), rating, sentiment, source })
    }
}

/// One decoded record with where it lies in its section's record bytes.
struct Entry<R> {
    /// Offset of the record's first byte.
    start: usize,
    /// Offset just past its time.
    time_end: usize,
    at: u32,
    item: R,
}

/// The records of one section, in order.
struct Records<'a, R> {
    r: Reader<'a>,
    prev: Option<u32>,
    _kind: std::marker::PhantomData<R>,
}

impl<'a, R: Record> Records<'a, R> {
    fn new(records: &'a [u8]) -> Self {
        Records { r: Reader { bytes: records, pos: 0 }, prev: None, _kind: std::marker::PhantomData }
    }
}

impl<R: Record> Iterator for Records<'_, R> {
    type Item = Entry<R>;

    fn next(&mut self) -> Option<Entry<R>> {
        let start = self.r.pos;
        let v = u32::try_from(self.r.varint()?).ok()?;
        let at = match self.prev {
            None => v,
            Some(p) => p.checked_add(v)?,
        };
        let time_end = self.r.pos;
        let item = R::get(at, &mut self.r)?;
        self.prev = Some(at);
        Some(Entry { start, time_end, at, item })
    }
}

/// Append a section's bytes (header and records) for `items`, sorted by time and in range.
fn encode_section<R: Record>(items: &[R], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let Some(last) = items.last() else { return Ok(()) };
    let last = Instant32::new(last.at()).ok_or(OUT_OF_RANGE)?;
    out.extend_from_slice(&last.0.to_le_bytes());
    let mut prev = 0u32;
    for item in items {
        let at = Instant32::new(item.at()).ok_or(OUT_OF_RANGE)?.0;
        put_varint(out, u64::from(at.checked_sub(prev).ok_or("events are not in time order")?));
        item.put(out);
        prev = at;
    }
    Ok(())
}

/// One customer's retained events (see the module note for the encoding).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "WindowRepr", try_from = "WindowRepr")]
pub(crate) struct Window {
    buf: Vec<u8>,
    /// Where each section ends in `buf` (each starts where the one before ends).
    ends: [u32; SECTIONS],
}

impl Window {
    fn range(&self, k: usize) -> std::ops::Range<usize> {
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        start..self.ends[k] as usize
    }

    /// Record bytes of section `k` (after its header).
    fn records(&self, k: usize) -> &[u8] {
        let r = self.range(k);
        self.buf.get(r.start + HEADER..r.end).unwrap_or(&[])
    }

    /// Time (Unix seconds) of the last record of section `k`, if it has any: its header.
    fn last_secs(&self, k: usize) -> Option<u32> {
        let r = self.range(k);
        if r.is_empty() {
            return None;
        }
        let raw: [u8; HEADER] = self.buf.get(r.start..r.start + HEADER)?.try_into().ok()?;
        Some(u32::from_le_bytes(raw))
    }

    /// Time of the last record of section `k`, if it has any.
    fn last(&self, k: usize) -> Option<Timestamp> {
        self.last_secs(k).map(at_of)
    }

    /// Replace `range` of `buf` (inside section `k`) by `bytes`.
    fn replace(&mut self, k: usize, range: std::ops::Range<usize>, bytes: &[u8]) -> Result<(), &'static str> {
        let len = self.buf.len() - range.len() + bytes.len();
        u32::try_from(len).map_err(|_| TOO_LARGE)?;
        self.reserve(len);
        self.buf.splice(range.clone(), bytes.iter().copied());
        let grown = bytes.len() as i64 - range.len() as i64;
        for end in &mut self.ends[k..] {
            *end = (i64::from(*end) + grown) as u32;
        }
        Ok(())
    }

    /// Room for `len` bytes and, when that means growing, a quarter more (at least 16
    /// bytes) rather than double: a monitor holds millions of these buffers, and
    /// doubling leaves a quarter of them empty on average.
    fn reserve(&mut self, len: usize) {
        if len > self.buf.capacity() {
            let step = (self.buf.len() / 4).max(16);
            self.buf.reserve_exact(len - self.buf.len() + step);
        }
    }

    /// Insert into section `k`, after every record at or before its time (stable for ties).
    fn insert<R: Record>(&mut self, k: usize, item: R) -> Result<(), &'static str> {
        let at = Instant32::new(item.at()).ok_or(OUT_OF_RANGE)?.0;
        let range = self.range(k);
        let last = self.last_secs(k);
        if let Some(last) = last
            && at < last
        {
            // Late: rebuild the section (rare; the tolerance keeps it short).
            let mut items: Vec<R> = Records::new(self.records(k)).map(|e| e.item).collect();
            let pos = items.partition_point(|e| e.at() <= item.at());
            items.insert(pos, item);
            let mut bytes = Vec::new();
            encode_section(&items, &mut bytes)?;
            return self.replace(k, range, &bytes);
        }
        // Append: write the record at the end of the buffer and rotate it into place.
        let old_len = self.buf.len();
        self.reserve(old_len + LONGEST_RECORD);
        if last.is_none() {
            self.buf.extend_from_slice(&at.to_le_bytes());
        }
        put_varint(&mut self.buf, u64::from(at - last.unwrap_or(0)));
        item.put(&mut self.buf);
        let added = self.buf.len() - old_len;
        if u32::try_from(self.buf.len()).is_err() {
            self.buf.truncate(old_len);
            return Err(TOO_LARGE);
        }
        self.buf[range.end..].rotate_right(added);
        self.buf[range.start..range.start + HEADER].copy_from_slice(&at.to_le_bytes());
        for end in &mut self.ends[k..] {
            *end += added as u32;
        }
        Ok(())
    }

    pub(crate) fn insert_order(&mut self, o: OrderEntry) -> Result<(), &'static str> {
        self.insert(ORDERS, o)
    }

    pub(crate) fn insert_visit(&mut self, at: Instant32) -> Result<(), &'static str> {
        self.insert(VISITS, at)
    }

    pub(crate) fn insert_interaction(&mut self, at: Instant32) -> Result<(), &'static str> {
        self.insert(INTERACTIONS, at)
    }

    pub(crate) fn insert_ticket(&mut self, t: TicketEntry) -> Result<(), &'static str> {
        self.insert(TICKETS, t)
    }

    pub(crate) fn insert_review(&mut self, r: ReviewEntry) -> Result<(), &'static str> {
        self.insert(REVIEWS, r)
    }

    /// Set the closing fields of the retained ticket opened at `opened` in `category`:
    /// `None` if no such ticket is held, `Some(false)` if it already had them.
    pub(crate) fn close_ticket(
        &mut self,
        opened: Timestamp,
        category: TicketCategory,
        closing: (Option<Timestamp>, bool, Option<f64>),
    ) -> Result<Option<bool>, &'static str> {
        let mut tickets: Vec<TicketEntry> = Records::new(self.records(TICKETS)).map(|e| e.item).collect();
        let Some(held) = tickets.iter_mut().find(|t| t.at == opened && t.category == category) else {
            return Ok(None);
        };
        if (held.closed, held.resolved, held.satisfaction) == closing {
            return Ok(Some(false));
        }
        (held.closed, held.resolved, held.satisfaction) = closing;
        let mut bytes = Vec::new();
        encode_section(&tickets, &mut bytes)?;
        self.replace(TICKETS, self.range(TICKETS), &bytes)?;
        Ok(Some(true))
    }

    /// Drop the records of section `k` before `cut`, except the last of them and, if
    /// `keep_first`, the first. Reads only the records it drops and one more.
    fn expire_section<R: Record>(&mut self, k: usize, cut: Timestamp, keep_first: bool) {
        let start = usize::from(keep_first);
        let (mut first_at, mut drop_from, mut keep) = (None, None, None);
        for (i, e) in Records::<R>::new(self.records(k)).enumerate() {
            if e.item.at() >= cut {
                break;
            }
            if i == 0 {
                first_at = Some(e.at);
            }
            if i == start {
                drop_from = Some(e.start);
            }
            keep = Some((i, e.time_end, e.at));
        }
        let (Some((n_minus_1, time_end, at)), Some(drop_from)) = (keep, drop_from) else { return };
        if n_minus_1 < start + 1 {
            return;
        }
        // The kept record's time becomes absolute, or its gap to the kept first order.
        let mut time = Vec::with_capacity(5);
        put_varint(&mut time, u64::from(at - if keep_first { first_at.unwrap_or(0) } else { 0 }));
        let base = self.range(k).start + HEADER;
        // This can fail only at the 4 GiB limit (an absolute time may take 4 bytes more
        // than the gaps it replaces); the records then stay, which changes no feature.
        let _ = self.replace(k, base + drop_from..base + time_end, &time);
    }

    /// Forget what no feature reads once the look-back starts at `cut`.
    pub(crate) fn expire(&mut self, cut: Timestamp) {
        let before = self.buf.len();
        self.expire_section::<OrderEntry>(ORDERS, cut, true);
        self.expire_section::<Instant32>(VISITS, cut, false);
        self.expire_section::<Instant32>(INTERACTIONS, cut, false);
        self.expire_section::<TicketEntry>(TICKETS, cut, false);
        self.expire_section::<ReviewEntry>(REVIEWS, cut, false);
        // Release what expiry freed once the spare room exceeds a growth step of
        // `reserve` by a record, so a customer whose activity falls does not keep the
        // capacity of their busiest look-back. Only after a drop, and keeping room for
        // the next record: a steady stream must not grow and shrink the buffer in turn.
        let len = self.buf.len();
        if len < before && self.spare() > len / 4 + 2 * LONGEST_RECORD {
            self.buf.shrink_to(len + len / 8 + LONGEST_RECORD);
        }
    }

    /// Bytes that can be appended without growing the buffer.
    pub(crate) fn spare(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }

    /// Whether no event is retained.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Number of retained entries of all kinds (decodes every section).
    pub(crate) fn len(&self) -> usize {
        Records::<TicketEntry>::new(self.records(TICKETS)).count()
            + Records::<ReviewEntry>::new(self.records(REVIEWS)).count()
            + Records::<OrderEntry>::new(self.records(ORDERS)).count()
            + Records::<Instant32>::new(self.records(INTERACTIONS)).count()
            + Records::<Instant32>::new(self.records(VISITS)).count()
    }

    /// Heap bytes held (capacity, not length: what the allocator really gave).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Release spare capacity (after a bulk load).
    pub(crate) fn shrink(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// The latest event of any kind, if any is retained.
    pub(crate) fn last_event(&self) -> Option<Timestamp> {
        (0..SECTIONS).filter_map(|k| self.last(k)).max()
    }

    /// The latest order, visit, interaction, ticket and review retained.
    pub(crate) fn last_times(&self) -> crate::features::LastEvents {
        crate::features::LastEvents {
            order: self.last(ORDERS),
            visit: self.last(VISITS),
            interaction: self.last(INTERACTIONS),
            ticket: self.last(TICKETS),
            review: self.last(REVIEWS),
        }
    }

    /// Append the records of section `k` to `out`; `min_len` is the fewest bytes a
    /// record of its kind takes (to reserve room once).
    fn decode<R: Record>(&self, k: usize, min_len: usize, out: &mut Vec<R>) {
        let bytes = self.records(k);
        out.reserve(bytes.len() / min_len);
        out.extend(Records::<R>::new(bytes).map(|e| e.item));
    }

    /// [`decode`](Self::decode) for the time-only sections (visits, interactions), the
    /// bulk of the records: one tight loop over the bytes.
    fn decode_times(&self, k: usize, out: &mut Vec<Instant32>) {
        let bytes = self.records(k);
        out.reserve(bytes.len());
        let (mut prev, mut acc, mut shift) = (0u64, 0u64, 0u32);
        for &b in bytes {
            // A time of 1970–2106 never takes more than 5 bytes; stop on anything else.
            if shift > 28 {
                return;
            }
            acc |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                prev += acc;
                let Ok(t) = u32::try_from(prev) else { return };
                out.push(Instant32(t));
                (acc, shift) = (0, 0);
            } else {
                shift += 7;
            }
        }
    }
}

/// Decoded events of several customers, back to back, for the feature extraction
/// (one set of vectors for many customers, reused: no allocation per customer).
#[derive(Default)]
pub(crate) struct Decoded {
    orders: Vec<OrderEntry>,
    visits: Vec<Instant32>,
    interactions: Vec<Instant32>,
    tickets: Vec<TicketEntry>,
    reviews: Vec<ReviewEntry>,
    /// Per customer pushed: where their orders, visits, interactions, tickets and reviews end.
    ends: Vec<[usize; 5]>,
}

// Fewest bytes per record (to reserve room before decoding): an order takes a time,
// flags, an amount and an item count; a ticket a time and flags; a review a time,
// flags and a rating; a visit or interaction a time.
const MIN_ORDER: usize = 4;
const MIN_TICKET: usize = 2;
const MIN_REVIEW: usize = 3;

impl Decoded {
    /// Empty, keeping the room (a rescoring decodes chunk after chunk into one).
    pub(crate) fn clear(&mut self) {
        self.orders.clear();
        self.visits.clear();
        self.interactions.clear();
        self.tickets.clear();
        self.reviews.clear();
        self.ends.clear();
    }

    /// Decode one more customer's window.
    pub(crate) fn push(&mut self, w: &Window) {
        w.decode(ORDERS, MIN_ORDER, &mut self.orders);
        w.decode_times(VISITS, &mut self.visits);
        w.decode_times(INTERACTIONS, &mut self.interactions);
        w.decode(TICKETS, MIN_TICKET, &mut self.tickets);
        w.decode(REVIEWS, MIN_REVIEW, &mut self.reviews);
        self.ends.push([
            self.orders.len(),
            self.visits.len(),
            self.interactions.len(),
            self.tickets.len(),
            self.reviews.len(),
        ]);
    }

    /// The history of the `i`-th customer pushed, with `customer`'s profile.
    pub(crate) fn history<'a>(&'a self, i: usize, customer: &'a Customer) -> History<'a, Instant32, Instant32> {
        let end = self.ends.get(i).copied().unwrap_or_default();
        let start = i.checked_sub(1).and_then(|j| self.ends.get(j)).copied().unwrap_or_default();
        fn part<T>(items: &[T], from: usize, to: usize) -> &[T] {
            items.get(from..to).unwrap_or(&[])
        }
        History {
            customer,
            orders: part(&self.orders, start[0], end[0]),
            visits: part(&self.visits, start[1], end[1]),
            interactions: part(&self.interactions, start[2], end[2]),
            tickets: part(&self.tickets, start[3], end[3]),
            reviews: part(&self.reviews, start[4], end[4]),
        }
    }
}

/// A window as its decoded event lists: the checkpoint format.
#[derive(Serialize, Deserialize)]
struct WindowRepr {
    orders: Vec<OrderEntry>,
    visits: Vec<Instant32>,
    interactions: Vec<Instant32>,
    tickets: Vec<TicketEntry>,
    reviews: Vec<ReviewEntry>,
}

impl From<Window> for WindowRepr {
    fn from(w: Window) -> Self {
        let mut d = Decoded::default();
        d.push(&w);
        WindowRepr {
            orders: d.orders,
            visits: d.visits,
            interactions: d.interactions,
            tickets: d.tickets,
            reviews: d.reviews,
        }
    }
}

impl TryFrom<WindowRepr> for Window {
    type Error = String;

    fn try_from(r: WindowRepr) -> Result<Self, String> {
        fn section<R: Record>(w: &mut Window, k: usize, items: &[R], kind: &str) -> Result<(), String> {
            if items.windows(2).any(|p| p[1].at() < p[0].at()) {
                return Err(format!("a customer's {kind} are not in time order"));
            }
            let mut bytes = Vec::new();
            encode_section(items, &mut bytes).map_err(|e| format!("a customer's {kind}: {e}"))?;
            w.replace(k, w.range(k), &bytes).map_err(String::from)
        }
        let mut w = Window::default();
        section(&mut w, TICKETS, &r.tickets, "tickets")?;
        section(&mut w, REVIEWS, &r.reviews, "reviews")?;
        section(&mut w, ORDERS, &r.orders, "orders")?;
        section(&mut w, INTERACTIONS, &r.interactions, "interactions")?;
        section(&mut w, VISITS, &r.visits, "visits")?;
        w.shrink();
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SECONDS_PER_DAY;
    use proptest::prelude::*;

    fn t(day: i64) -> Timestamp {
        Timestamp::from_unix_seconds(day * SECONDS_PER_DAY)
    }

    fn order(day: i64, amount: f64) -> OrderEntry {
        OrderEntry { at: t(day), amount, discount: 0.0, items: 1, returned: false, channel: Channel::Web }
    }

    fn visit(day: i64) -> Instant32 {
        Instant32::new(t(day)).unwrap()
    }

    fn decoded(w: &Window) -> WindowRepr {
        WindowRepr::from(w.clone())
    }

    #[test]
    fn late_inserts_land_in_time_order_and_ties_keep_arrival_order() {
        let mut w = Window::default();
        for (day, amount) in [(5, 1.0), (9, 2.0), (7, 3.0), (7, 4.0)] {
            w.insert_order(order(day, amount)).unwrap();
        }
        let amounts: Vec<f64> = decoded(&w).orders.iter().map(|o| o.amount).collect();
        assert_eq!(amounts, [1.0, 3.0, 4.0, 2.0]);
        assert_eq!(w.last_times().order, Some(t(9)));
    }

    #[test]
    fn expiry_keeps_the_first_order_and_the_last_event_before_the_cut() {
        let mut w = Window::default();
        for d in [1, 2, 3, 4, 10, 11] {
            w.insert_order(order(d, d as f64)).unwrap();
            w.insert_visit(visit(d)).unwrap();
        }
        w.expire(t(10));
        let days: Vec<i64> = decoded(&w).orders.iter().map(|o| o.at.unix_seconds() / SECONDS_PER_DAY).collect();
        assert_eq!(days, [1, 4, 10, 11]);
        let visits: Vec<i64> = decoded(&w).visits.iter().map(|v| v.at().unix_seconds() / SECONDS_PER_DAY).collect();
        assert_eq!(visits, [4, 10, 11]);
        // Expiring again at the same cut changes nothing.
        let before = w.clone();
        w.expire(t(10));
        assert_eq!(w, before);
        // The encoding after expiry is the encoding of what is left.
        let fresh = Window::try_from(decoded(&w)).unwrap();
        assert_eq!(fresh.buf, w.buf);
    }

    #[test]
    fn expiry_gives_back_capacity_beyond_one_growth_step() {
        let mut w = Window::default();
        for d in 0..200 {
            w.insert_visit(visit(d)).unwrap();
        }
        w.expire(t(190));
        // The last visit before the cut plus the ten at or after it.
        assert_eq!(w.len(), 11);
        let len = w.buf.len();
        assert!(w.buf.capacity() <= len + len / 4 + LONGEST_RECORD, "capacity {} for {len} bytes", w.buf.capacity());
        assert!(w.spare() >= LONGEST_RECORD, "the next record must fit without growing");
        // A small expiry keeps the buffer (no reallocation for every dropped event).
        let mut v = Window::default();
        for d in 0..400 {
            v.insert_visit(visit(d)).unwrap();
        }
        let cap = v.buf.capacity();
        v.expire(t(2));
        assert_eq!((v.len(), v.buf.capacity()), (399, cap));
    }

    /// Found in review: windows of a few records grew on every append and shrank on
    /// every expiry although nothing expired.
    #[test]
    fn a_steady_stream_does_not_reallocate_back_and_forth() {
        for gap_days in [1, 3] {
            let mut w = Window::default();
            let mut changes = 0;
            for d in 0..100 {
                let before = w.buf.capacity();
                w.insert_visit(visit(d * gap_days)).unwrap();
                let grown = w.buf.capacity();
                w.expire(t(0)); // nothing is before the cut
                changes += usize::from(grown != before) + usize::from(w.buf.capacity() != grown);
            }
            // 100 visits take ~300 bytes: a handful of growth steps of a quarter, no shrinking.
            assert!(changes <= 12, "{changes} capacity changes in 100 appends, none expired");
            // A look-back sliding along a steady stream: appends and expiries in turn.
            let mut changes = 0;
            for d in 100..300 {
                let before = w.buf.capacity();
                w.insert_visit(visit(d * gap_days)).unwrap();
                w.expire(t((d - 60) * gap_days));
                changes += usize::from(w.buf.capacity() != before);
            }
            assert!(changes <= 4, "{changes} capacity changes in 200 steady appends with expiry");
        }
    }

    #[test]
    fn a_visit_a_day_takes_three_bytes_and_a_cent_price_order_seven() {
        let mut w = Window::default();
        for d in 0..100 {
            w.insert_visit(Instant32::new(Timestamp::from_unix_seconds(1_700_000_000 + d * SECONDS_PER_DAY)).unwrap())
                .unwrap();
        }
        // Header 4 + absolute time 5 + 99 gaps of 86,400 s (3 varint bytes each).
        assert_eq!(w.buf.len(), 4 + 5 + 99 * 3);
        let mut o = Window::default();
        o.insert_order(OrderEntry { amount: 49.99, ..order(19_700, 0.0) }).unwrap();
        o.insert_order(OrderEntry { amount: 120.5, ..order(19_703, 0.0) }).unwrap();
        // Header 4; first: time 5 + flags 1 + 4999 as zigzag (2 bytes) + items 1;
        // second: gap 3 + flags 1 + 12050 as zigzag (3 bytes) + items 1.
        assert_eq!(o.buf.len(), 4 + (5 + 1 + 2 + 1) + (3 + 1 + 3 + 1));
    }

    #[test]
    fn tickets_close_in_place() {
        let mut w = Window::default();
        let open = TicketEntry {
            at: t(3),
            closed: None,
            category: TicketCategory::Delivery,
            resolved: false,
            satisfaction: None,
        };
        w.insert_ticket(open).unwrap();
        w.insert_visit(visit(4)).unwrap();
        let closing = (Some(t(5)), true, Some(4.0));
        assert_eq!(w.close_ticket(t(3), TicketCategory::Delivery, closing), Ok(Some(true)));
        assert_eq!(w.close_ticket(t(3), TicketCategory::Delivery, closing), Ok(Some(false)));
        assert_eq!(w.close_ticket(t(3), TicketCategory::Billing, closing), Ok(None));
        let held = decoded(&w).tickets[0];
        assert_eq!((held.closed, held.resolved, held.satisfaction), closing);
        assert_eq!(decoded(&w).visits, [visit(4)]);
    }

    #[test]
    fn out_of_range_times_and_unsorted_checkpoints_are_refused() {
        let mut w = Window::default();
        assert_eq!(w.insert_order(order(-1, 1.0)), Err(OUT_OF_RANGE));
        assert!(w.is_empty());
        let repr = WindowRepr {
            orders: vec![order(5, 1.0), order(4, 1.0)],
            visits: vec![],
            interactions: vec![],
            tickets: vec![],
            reviews: vec![],
        };
        let err = Window::try_from(repr).unwrap_err();
        assert!(err.contains("orders are not in time order"), "{err}");
    }

    fn any_decimal() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0u32..1_000_000).prop_map(|c| f64::from(c) / 100.0),
            any::<f64>(),
            Just(-0.0),
            Just(0.0),
            (-100i32..=100).prop_map(|c| f64::from(c) / 100.0),
        ]
    }

    proptest! {
        /// Whatever is inserted, in whatever order, decodes bit for bit as the
        /// stable time-sorted list, and expiry keeps exactly what the rule says.
        #[test]
        fn encoding_round_trips_bit_for_bit(
            orders in prop::collection::vec((0u32..2_000_000_000, any_decimal(), any_decimal(), any::<u32>(), any::<bool>(), 0usize..7), 0..30),
            visits in prop::collection::vec(0u32..2_000_000_000, 0..60),
            reviews in prop::collection::vec((0u32..2_000_000_000, any_decimal(), prop::option::of(any_decimal()), 0usize..5), 0..5),
            tickets in prop::collection::vec((0u32..2_000_000_000, prop::option::of(-1_000_000i64..1_000_000), any::<bool>(), prop::option::of(any_decimal()), 0usize..8), 0..5),
            cut in 0u32..2_100_000_000,
        ) {
            let mut w = Window::default();
            let at = |s: u32| Timestamp::from_unix_seconds(i64::from(s));
            let orders: Vec<OrderEntry> = orders.iter().map(|&(s, amount, discount, items, returned, ch)| OrderEntry {
                at: at(s), amount, discount, items, returned, channel: Channel::ALL[ch],
            }).collect();
            let visits: Vec<Instant32> = visits.iter().map(|&s| Instant32(s)).collect();
            let reviews: Vec<ReviewEntry> = reviews.iter().map(|&(s, rating, sentiment, src)| ReviewEntry {
                at: at(s), rating, sentiment, source: ReviewSource::ALL[src],
            }).collect();
            let tickets: Vec<TicketEntry> = tickets.iter().map(|&(s, closed, resolved, satisfaction, cat)| TicketEntry {
                at: at(s), closed: closed.map(|c| Timestamp::from_unix_seconds(i64::from(s) + c)), category: TicketCategory::ALL[cat], resolved, satisfaction,
            }).collect();
            // Interleave the kinds the way a stream would.
            for i in 0..60 {
                if let Some(o) = orders.get(i) { w.insert_order(*o).unwrap(); }
                if let Some(v) = visits.get(i) { w.insert_visit(*v).unwrap(); }
                if let Some(r) = reviews.get(i) { w.insert_review(*r).unwrap(); }
                if let Some(t) = tickets.get(i) { w.insert_ticket(*t).unwrap(); }
            }
            fn sorted<T: Timed + Copy>(items: &[T]) -> Vec<T> {
                let mut v = items.to_vec();
                v.sort_by_key(|e| e.at());
                v
            }
            fn bits(o: &OrderEntry) -> (Timestamp, u64, u64, u32, bool, Channel) {
                (o.at, o.amount.to_bits(), o.discount.to_bits(), o.items, o.returned, o.channel)
            }
            let d = decoded(&w);
            prop_assert_eq!(d.orders.iter().map(bits).collect::<Vec<_>>(), sorted(&orders).iter().map(bits).collect::<Vec<_>>());
            prop_assert_eq!(&d.visits, &sorted(&visits));
            let rbits = |r: &ReviewEntry| (r.at, r.rating.to_bits(), r.sentiment.map(f64::to_bits), r.source);
            prop_assert_eq!(d.reviews.iter().map(rbits).collect::<Vec<_>>(), sorted(&reviews).iter().map(rbits).collect::<Vec<_>>());
            let tbits = |t: &TicketEntry| (t.at, t.closed, t.category, t.resolved, t.satisfaction.map(f64::to_bits));
            prop_assert_eq!(d.tickets.iter().map(tbits).collect::<Vec<_>>(), sorted(&tickets).iter().map(tbits).collect::<Vec<_>>());
            prop_assert_eq!(w.len(), orders.len() + visits.len() + reviews.len() + tickets.len());
            prop_assert_eq!(w.last_times().visit, visits.iter().max().map(Timed::at));

            // Expiry: what is left is the rule applied to the sorted lists.
            let cut = at(cut);
            fn kept<T: Timed + Copy>(items: &[T], cut: Timestamp, keep_first: bool) -> Vec<T> {
                let n = items.partition_point(|e| e.at() < cut);
                let start = usize::from(keep_first);
                let mut v = items.to_vec();
                if n >= start + 2 {
                    v.drain(start..n - 1);
                }
                v
            }
            w.expire(cut);
            let d = decoded(&w);
            prop_assert_eq!(d.orders.iter().map(bits).collect::<Vec<_>>(), kept(&sorted(&orders), cut, true).iter().map(bits).collect::<Vec<_>>());
            prop_assert_eq!(&d.visits, &kept(&sorted(&visits), cut, false));
            prop_assert_eq!(d.tickets.iter().map(tbits).collect::<Vec<_>>(), kept(&sorted(&tickets), cut, false).iter().map(tbits).collect::<Vec<_>>());
            // And its bytes are those of encoding what is left afresh.
            let fresh = Window::try_from(decoded(&w)).unwrap();
            prop_assert_eq!(&fresh.buf, &w.buf);
            prop_assert_eq!(fresh.ends, w.ends);
        }
    }
}
