//! Points in time as stored and compared: microseconds since the Unix epoch, UTC.
//!
//! Both databases store these as 64-bit integers, which sort and compare identically on SQLite
//! and PostgreSQL and convert losslessly to `google.protobuf.Timestamp`.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    pub fn now() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self(i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX))
    }

    /// Parses RFC 3339 text such as `2026-01-01T00:00:00Z`.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .ok()?;
        i64::try_from(parsed.unix_timestamp_nanos() / 1_000)
            .ok()
            .map(Self)
    }

    /// Seconds and nanoseconds, as `google.protobuf.Timestamp` wants them.
    pub fn to_seconds_nanos(self) -> (i64, i32) {
        let seconds = self.0.div_euclid(1_000_000);
        let nanos = (self.0.rem_euclid(1_000_000) * 1_000) as i32;
        (seconds, nanos)
    }

    pub fn from_seconds_nanos(seconds: i64, nanos: i32) -> Option<Self> {
        seconds
            .checked_mul(1_000_000)?
            .checked_add(i64::from(nanos) / 1_000)
            .map(Self)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nanos = i128::from(self.0) * 1_000;
        match time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }) {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}µs", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_through_micros() {
        let t = Timestamp::parse_rfc3339("2026-01-01T00:00:00.5Z").expect("valid");
        assert_eq!(t.micros(), 1_767_225_600_500_000);
        assert_eq!(t.to_string(), "2026-01-01T00:00:00.5Z");
        assert_eq!(t.to_seconds_nanos(), (1_767_225_600, 500_000_000));
    }

    #[test]
    fn negative_times_split_into_non_negative_nanos() {
        let t = Timestamp::from_micros(-1);
        assert_eq!(t.to_seconds_nanos(), (-1, 999_999_000));
        assert_eq!(Timestamp::from_seconds_nanos(-1, 999_999_000), Some(t));
    }
}
