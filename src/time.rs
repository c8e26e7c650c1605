//! Points in time and day spans.
//!
//! Every record carries a [`Timestamp`]: whole seconds since the Unix epoch,
//! UTC. A plain `i64` keeps event logs columnar (as an Arrow timestamp column
//! would be) and makes the hot feature loops integer comparisons. Parsing and
//! printing go through chrono; `From` conversions accept chrono's types.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Seconds in one day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// A point in time: whole seconds since 1970-01-01T00:00:00Z.
///
/// Serialises as an ISO 8601 / RFC 3339 string (`"2024-07-01T00:00:00Z"`).
///
/// ```
/// use churnguard::Timestamp;
/// let t = Timestamp::from_ymd(2024, 7, 1).unwrap();
/// assert_eq!(t.to_string(), "2024-07-01");
/// assert_eq!(t.add_days(31), "2024-08-01".parse().unwrap());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `seconds` after the Unix epoch.
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Midnight UTC of a calendar date; error if the date does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self> {
        NaiveDate::from_ymd_opt(year, month, day)
            .map(Self::from)
            .ok_or_else(|| Error::InvalidTimestamp { value: format!("{year:04}-{month:02}-{day:02}") })
    }

    /// Parse `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS` (optionally
    /// with fractional seconds, which are truncated) or RFC 3339 with an offset
    /// (converted to UTC).
    pub fn parse(text: &str) -> Result<Self> {
        let s = text.trim();
        let bad = || Error::InvalidTimestamp { value: text.to_string() };
        if s.len() == 10 {
            return NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Self::from).map_err(|_| bad());
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Timestamp(dt.with_timezone(&Utc).timestamp()));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
                return Ok(Self::from(dt));
            }
        }
        Err(bad())
    }

    /// This timestamp moved by `days` whole days (negative moves back).
    pub const fn add_days(self, days: i64) -> Self {
        Timestamp(self.0 + days * SECONDS_PER_DAY)
    }

    /// Fractional days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / SECONDS_PER_DAY as f64
    }

    /// The UTC calendar date and time, if representable by chrono.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_opt(self.0, 0).single()
    }

    /// UTC calendar `(year, month, day)`, by integer arithmetic (fast enough for per-event use).
    pub fn ymd(self) -> (i64, u32, u32) {
        // civil_from_days, H. Hinnant, "chrono-Compatible Low-Level Date Algorithms" (2013).
        let z = self.0.div_euclid(SECONDS_PER_DAY) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// Midnight UTC of a proleptic Gregorian date, by integer arithmetic (the inverse of
    /// [`ymd`](Self::ymd); no calendar check: day 0 or 32 roll into the next month).
    pub(crate) const fn from_civil(year: i64, month: u32, day: u32) -> Self {
        // days_from_civil, H. Hinnant, "chrono-Compatible Low-Level Date Algorithms" (2013).
        let (m, d) = (month as i64, day as i64);
        let y = if m <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Timestamp((era * 146_097 + doe - 719_468) * SECONDS_PER_DAY)
    }

    /// UTC calendar month, 1–12.
    pub fn month(self) -> u32 {
        self.ymd().1
    }

    /// The UTC calendar date.
    pub fn date(self) -> Option<NaiveDate> {
        self.to_datetime().map(|d| d.date_naive())
    }
}

impl From<NaiveDate> for Timestamp {
    fn from(d: NaiveDate) -> Self {
        Self::from(d.and_time(NaiveTime::MIN))
    }
}

impl From<NaiveDateTime> for Timestamp {
    fn from(d: NaiveDateTime) -> Self {
        Timestamp(d.and_utc().timestamp())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(d: DateTime<Utc>) -> Self {
        Timestamp(d.timestamp())
    }
}

impl FromStr for Timestamp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    /// Dates at midnight print as `YYYY-MM-DD`, others as `YYYY-MM-DDTHH:MM:SSZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(dt) if self.0.rem_euclid(SECONDS_PER_DAY) == 0 => write!(f, "{}", dt.format("%Y-%m-%d")),
            Some(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%SZ")),
            None => write!(f, "@{}s", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.to_datetime() {
            Some(dt) => s.serialize_str(&dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            None => s.serialize_i64(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Seconds(i64),
        }
        match Repr::deserialize(d)? {
            Repr::Text(s) => Timestamp::parse(&s).map_err(serde::de::Error::custom),
            Repr::Seconds(n) => Ok(Timestamp(n)),
        }
    }
}

/// A whole number of days, used for look-back windows, label horizons and
/// feature windows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Days(pub u32);

impl Days {
    /// The span in seconds.
    pub const fn seconds(self) -> i64 {
        self.0 as i64 * SECONDS_PER_DAY
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}d", self.0)
    }
}

impl std::ops::Sub<Days> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Days) -> Timestamp {
        Timestamp(self.0 - d.seconds())
    }
}

impl std::ops::Add<Days> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Days) -> Timestamp {
        Timestamp(self.0 + d.seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_formats_to_the_same_instant() {
        let a = Timestamp::parse("2024-03-05").unwrap();
        assert_eq!(a.unix_seconds(), 1_709_596_800); // date -u -d 2024-03-05 +%s
        assert_eq!(Timestamp::parse("2024-03-05T00:00:00").unwrap(), a);
        assert_eq!(Timestamp::parse("2024-03-05 00:00:00").unwrap(), a);
        assert_eq!(Timestamp::parse("2024-03-05T01:00:00+01:00").unwrap(), a);
        assert_eq!(Timestamp::parse("2024-03-05T00:00:00.750Z").unwrap(), a);
    }

    #[test]
    fn rejects_impossible_and_garbled_dates() {
        for bad in ["2024-02-30", "2024-13-01", "05/03/2024", "", "yesterday", "2024-03-05T25:00:00"] {
            assert!(matches!(Timestamp::parse(bad), Err(Error::InvalidTimestamp { .. })), "{bad}");
        }
    }

    #[test]
    fn display_and_serde_round_trip() {
        let t = Timestamp::parse("2024-03-05T13:14:15Z").unwrap();
        assert_eq!(t.to_string(), "2024-03-05T13:14:15Z");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2024-03-05T13:14:15Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn integer_calendar_matches_chrono() {
        use chrono::Datelike;
        // Every 37 hours over ±150 years, including leap days and the epoch.
        let mut t = Timestamp::parse("1900-01-01").unwrap().unix_seconds();
        let end = Timestamp::parse("2200-01-01").unwrap().unix_seconds();
        while t < end {
            let ts = Timestamp(t);
            let d = ts.date().unwrap();
            assert_eq!(ts.ymd(), (d.year() as i64, d.month(), d.day()), "{ts}");
            let midnight = Timestamp::from_ymd(d.year(), d.month(), d.day()).unwrap();
            assert_eq!(Timestamp::from_civil(d.year() as i64, d.month(), d.day()), midnight, "{ts}");
            t += 37 * 3600;
        }
    }

    #[test]
    fn day_arithmetic() {
        let t = Timestamp::parse("2024-02-28").unwrap();
        assert_eq!(t.add_days(2).to_string(), "2024-03-01"); // leap year
        assert_eq!((t + Days(1)).to_string(), "2024-02-29");
        assert_eq!((t - Days(28)).to_string(), "2024-01-31");
        assert!((t.add_days(3).days_since(t) - 3.0).abs() < 1e-12);
    }
}
