//! Argument values that are not resource names: RFC 3339 times, given as timestamps for the API
//! or as normalised text for a filter, times that may be given as `""` to clear a field, and
//! lengths of time such as `90d` (a token's lifetime).
//!
//! Like the functions in `names`, these are clap value parsers, so a bad time is a usage error
//! (exit 2) before any call is made.

use std::time::Duration;

use prost_types::Timestamp;
use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// What the time parsers accept, for their error messages.
const EXPECTED: &str = "an RFC 3339 time such as 2026-03-01T17:00:00Z or 2026-03-01T17:00:00+01:00";

fn parse(arg: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(arg.trim(), &Rfc3339)
        .map_err(|e| format!("`{arg}` is not {EXPECTED} ({e})"))
}

/// An RFC 3339 time as a protobuf timestamp.
pub fn timestamp(arg: &str) -> Result<Timestamp, String> {
    let t = parse(arg)?;
    Ok(Timestamp {
        seconds: t.unix_timestamp(),
        // Always below 10^9, so it fits.
        nanos: i32::try_from(t.nanosecond()).unwrap_or_default(),
    })
}

/// A time that can also be cleared: `""` stands for "no time".
#[derive(Debug, Clone, PartialEq)]
pub struct OptionalTime(pub Option<Timestamp>);

/// An RFC 3339 time, or `""` for none.
pub fn optional_timestamp(arg: &str) -> Result<OptionalTime, String> {
    if arg.trim().is_empty() {
        Ok(OptionalTime(None))
    } else {
        timestamp(arg).map(|t| OptionalTime(Some(t)))
    }
}

/// An RFC 3339 time, rewritten in UTC (`2026-03-01T16:00:00Z`) for use in a filter.
pub fn rfc3339_utc(arg: &str) -> Result<String, String> {
    parse(arg)?
        .to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| format!("`{arg}` cannot be written as {EXPECTED} ({e})"))
}

/// What [`duration`] accepts, for its error messages.
const EXPECTED_DURATION: &str = "a duration such as 90d, 12h, 30m or 45s";

/// The longest duration accepted: a hundred years. Longer is no expiry in practice, and the
/// bound keeps "now + duration" far from overflowing.
const MAX_DURATION_SECS: u64 = 100 * 365 * 86_400;

/// A length of time: a whole number above 0 followed by one unit, `s`, `m`, `h`, `d` or `w`
/// (`90d`, `12h`, `30m`).
pub fn duration(arg: &str) -> Result<Duration, String> {
    let text = arg.trim();
    let expected = || format!("`{arg}` is not {EXPECTED_DURATION}");
    let unit_at = text
        .char_indices()
        .last()
        .map(|(at, _)| at)
        .ok_or_else(expected)?;
    let (number, unit) = text.split_at(unit_at);
    let seconds_per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(expected()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    let count: u64 = number.parse().map_err(|_| expected())?;
    if count == 0 {
        return Err(format!("`{arg}`: a duration must be longer than 0"));
    }
    match count.checked_mul(seconds_per_unit) {
        Some(seconds) if seconds <= MAX_DURATION_SECS => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("`{arg}` is longer than 100 years")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_timestamps() {
        let t = timestamp("2026-03-01T17:00:00.25+01:00").expect("valid");
        assert_eq!(t.seconds, 1_772_380_800);
        assert_eq!(t.nanos, 250_000_000);
        assert!(
            timestamp("2026-03-01").is_err(),
            "a date alone is not a time"
        );
        assert!(timestamp("tomorrow").is_err());
    }

    #[test]
    fn an_empty_time_clears() {
        assert_eq!(optional_timestamp(""), Ok(OptionalTime(None)));
        assert_eq!(
            optional_timestamp("1970-01-01T00:00:01Z"),
            Ok(OptionalTime(Some(Timestamp {
                seconds: 1,
                nanos: 0
            })))
        );
        assert!(optional_timestamp("soon").is_err());
    }

    #[test]
    fn filter_times_are_normalised_to_utc() {
        assert_eq!(
            rfc3339_utc("2026-03-01T17:00:00+01:00").as_deref(),
            Ok("2026-03-01T16:00:00Z")
        );
    }

    #[test]
    fn durations_have_one_unit() {
        let secs = |arg| duration(arg).map(|d| d.as_secs());
        assert_eq!(secs("90d"), Ok(90 * 86_400));
        assert_eq!(secs("12h"), Ok(12 * 3_600));
        assert_eq!(secs("30m"), Ok(1_800));
        assert_eq!(secs("45s"), Ok(45));
        assert_eq!(secs(" 2w "), Ok(14 * 86_400));
        assert_eq!(secs("36500d"), Ok(36_500 * 86_400));
        for bad in [
            "", "d", "90", "0d", "-1d", "+1d", "1.5h", "1d12h", "12 h", "90D", "1y", "5µ",
        ] {
            assert!(duration(bad).is_err(), "{bad:?} accepted");
        }
        assert!(duration("36501d").is_err(), "over a hundred years");
        assert!(duration("99999999999999999999d").is_err(), "does not fit");
    }
}
