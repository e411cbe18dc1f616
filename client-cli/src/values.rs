//! Argument values that are not resource names: RFC 3339 times, given as timestamps for the API
//! or as normalised text for a filter, and times that may be given as `""` to clear a field.
//!
//! Like the functions in `names`, these are clap value parsers, so a bad time is a usage error
//! (exit 2) before any call is made.

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
}
