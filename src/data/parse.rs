//! Field parsers shared by the CSV readers. Each returns a reason string on
//! failure, which the caller turns into a [`Rejection`](super::Rejection).

use crate::time::Timestamp;

/// A finite number. `NaN`, `inf` and friends are rejected: in a data file they
/// are almost always an upstream bug, and missing values are empty fields.
pub(crate) fn finite_f64(field: &str, column: &str) -> Result<f64, String> {
    let s = field.trim();
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(format!("`{column}`: non-finite value {v}")),
        Err(_) => Err(format!("`{column}`: `{s}` is not a number")),
    }
}

/// A non-negative whole number that fits in `u32`.
pub(crate) fn count_u32(field: &str, column: &str) -> Result<u32, String> {
    let s = field.trim();
    s.parse::<u32>().map_err(|_| format!("`{column}`: `{s}` is not a whole number ≥ 0"))
}

/// `true/false`, `1/0`, `yes/no`, `y/n`, `t/f` (any case).
pub(crate) fn boolean(field: &str, column: &str) -> Result<bool, String> {
    match field.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" => Ok(true),
        "false" | "0" | "no" | "n" | "f" => Ok(false),
        other => Err(format!("`{column}`: `{other}` is not a boolean (true/false, 1/0, yes/no)")),
    }
}

/// A date or date-time in one of the formats [`Timestamp::parse`] accepts.
pub(crate) fn timestamp(field: &str, column: &str) -> Result<Timestamp, String> {
    Timestamp::parse(field)
        .map_err(|_| format!("`{column}`: `{}` is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z])", field.trim()))
}

/// An enum vocabulary value (via `FromStr`).
pub(crate) fn vocabulary<T: std::str::FromStr<Err = String>>(field: &str, column: &str) -> Result<T, String> {
    field.parse::<T>().map_err(|e| format!("`{column}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_reject_text_and_non_finite_values() {
        assert_eq!(finite_f64(" 12.5 ", "amount"), Ok(12.5));
        assert!(finite_f64("NaN", "amount").unwrap_err().contains("non-finite"));
        assert!(finite_f64("-inf", "amount").unwrap_err().contains("non-finite"));
        assert!(finite_f64("12,5", "amount").unwrap_err().contains("`12,5` is not a number"));
        assert!(count_u32("-1", "items").is_err());
    }

    #[test]
    fn booleans_accept_common_spellings() {
        for t in ["true", "TRUE", "1", "yes", "Y", "t"] {
            assert_eq!(boolean(t, "returned"), Ok(true), "{t}");
        }
        for f in ["false", "0", "No", "n", "F"] {
            assert_eq!(boolean(f, "returned"), Ok(false), "{f}");
        }
        assert!(boolean("maybe", "returned").is_err());
    }

    proptest! {
        #[test]
        fn any_finite_float_round_trips(v in proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL) {
            prop_assert_eq!(finite_f64(&v.to_string(), "x"), Ok(v));
        }

        #[test]
        fn number_parser_never_panics_and_only_accepts_finite(s in "\\PC{0,24}") {
            if let Ok(v) = finite_f64(&s, "x") {
                prop_assert!(v.is_finite());
            }
        }

        #[test]
        fn timestamp_parser_never_panics(s in "\\PC{0,32}") {
            let _ = timestamp(&s, "at");
        }

        #[test]
        fn valid_dates_parse_to_midnight(y in 1970i32..2100, m in 1u32..=12, d in 1u32..=28) {
            let text = format!("{y:04}-{m:02}-{d:02}");
            let t = timestamp(&text, "at").unwrap();
            prop_assert_eq!(t.unix_seconds().rem_euclid(86_400), 0);
            prop_assert_eq!(t.to_string(), text);
        }

        #[test]
        fn counts_round_trip(n in any::<u32>()) {
            prop_assert_eq!(count_u32(&n.to_string(), "items"), Ok(n));
        }
    }
}
