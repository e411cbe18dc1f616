//! Argument values that are not resource names: RFC 3339 times, given as timestamps for the API
//! or as normalised text for a filter, times that may be given as `""` to clear a field,
//! calendar dates (`2026-03-01`), pieces of evidence (`TITLE|URL|OWNER|VALID_UNTIL`), the
//! agreements of a dialogue (`TEXT|OWNER|DUE`), and
//! lengths of time such as `90d` (a token's lifetime).
//!
//! A time flag also takes a date, `YYYY-MM-DD`, read as a day in Europe/Amsterdam (the
//! government's own clock): the end of that day (23:59:59) for a due time or a point to look
//! back at (`--due`, `--as-of`), its start (00:00) for the lower bound `--since`.
//!
//! Like the functions in `names`, these are clap value parsers, so a bad time is a usage error
//! (exit 2) before any call is made.

use std::time::Duration;

use prost_types::Timestamp;
use regie_proto::v1::{Agreement, Evidence};
use regie_support::amsterdam_offset;
use time::macros::time;
use time::{Date, OffsetDateTime, Time, UtcOffset, format_description::well_known::Rfc3339};

/// What the time parsers accept, for their error messages.
const EXPECTED: &str = "an RFC 3339 time such as 2026-03-01T17:00:00Z or 2026-03-01T17:00:00+01:00, \
                        or a date YYYY-MM-DD";

/// Which moment of a day a date alone stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayPart {
    /// 00:00:00 in Europe/Amsterdam.
    Start,
    /// 23:59:59 in Europe/Amsterdam.
    End,
}

/// An RFC 3339 time, or a date (`YYYY-MM-DD`, ten characters) for the start or end of that day
/// in Europe/Amsterdam.
fn parse(arg: &str, day_part: DayPart) -> Result<OffsetDateTime, String> {
    let text = arg.trim();
    if text.len() == 10 && !text.contains('T') {
        let date = parse_date(text).map_err(|e| format!("{e}; expected {EXPECTED}"))?;
        return Ok(match day_part {
            DayPart::Start => amsterdam(date, Time::MIDNIGHT),
            DayPart::End => amsterdam(date, time!(23:59:59)),
        });
    }
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("`{arg}` is not {EXPECTED} ({e})"))
}

/// The moment that is `time` on `date` in Europe/Amsterdam.
fn amsterdam(date: Date, time: Time) -> OffsetDateTime {
    // The switches happen at 01:00 UTC, i.e. 02:00 or 03:00 local time: every local time of a
    // day from 03:00 on has the offset that the day has at noon UTC, and every one before 02:00
    // the offset the day before has at noon UTC. Neither midnight nor 23:59:59 falls between.
    let noon = |day: Date| day.with_time(time!(12:00));
    let reference = if time.hour() < 2 {
        date.previous_day().unwrap_or(date)
    } else {
        date
    };
    let offset = amsterdam_offset(noon(reference).assume_utc());
    date.with_time(time).assume_offset(offset)
}

/// An RFC 3339 time as a protobuf timestamp; a date alone is the end of that day (23:59:59) in
/// Europe/Amsterdam.
pub fn timestamp(arg: &str) -> Result<Timestamp, String> {
    let t = parse(arg, DayPart::End)?;
    Ok(Timestamp {
        seconds: t.unix_timestamp(),
        // Always below 10^9, so it fits.
        nanos: i32::try_from(t.nanosecond()).unwrap_or_default(),
    })
}

/// A calendar date, `YYYY-MM-DD`, in the years the server accepts (1900 to 2200).
pub fn parse_date(arg: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let text = arg.trim();
    match Date::parse(text, &format) {
        Ok(date) if (1900..=2200).contains(&date.year()) => Ok(date),
        Ok(_) => Err(format!("`{arg}`: the year must be between 1900 and 2200")),
        Err(_) => Err(format!(
            "`{arg}` is not a date of the form YYYY-MM-DD (e.g. 2026-03-01)"
        )),
    }
}

/// A calendar date, `YYYY-MM-DD`, as the API spells it.
pub fn date(arg: &str) -> Result<String, String> {
    parse_date(arg).map(|date| date.to_string())
}

/// A calendar date, or `""` for none (to clear a field).
pub fn date_or_empty(arg: &str) -> Result<String, String> {
    if arg.trim().is_empty() {
        Ok(String::new())
    } else {
        date(arg)
    }
}

/// The last second of a day in UTC: `2026-03-01` → 2026-03-01T23:59:59Z.
pub fn end_of_day_utc(date: Date) -> Timestamp {
    let end = date.with_time(Time::MAX).assume_utc();
    Timestamp {
        seconds: end.unix_timestamp(),
        nanos: 0,
    }
}

/// What [`evidence`] accepts, for its error messages.
const EXPECTED_EVIDENCE: &str = "TITLE|URL|OWNER|VALID_UNTIL (only TITLE is required, e.g. \
                                 \"Gedragscode 2025|https://intranet.example/gedragscode|P&O|2026-12-31\")";

/// A piece of evidence: `TITLE|URL|OWNER|VALID_UNTIL`, the parts after the title optional
/// (`TITLE`, `TITLE|URL`, `TITLE||OWNER`, …). The URL must be http(s), VALID_UNTIL a date.
pub fn evidence(arg: &str) -> Result<Evidence, String> {
    let parts: Vec<&str> = arg.split('|').map(str::trim).collect();
    if parts.len() > 4 {
        return Err(format!(
            "`{arg}` has more than four parts; expected {EXPECTED_EVIDENCE}"
        ));
    }
    let part = |i: usize| parts.get(i).copied().unwrap_or_default().to_owned();
    let title = part(0);
    if title.is_empty() {
        return Err(format!(
            "`{arg}` has no title; expected {EXPECTED_EVIDENCE}"
        ));
    }
    let url = part(1);
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !url.is_empty() && !web {
        return Err(format!("`{url}` in `{arg}` is not an http(s) address"));
    }
    let valid_until = part(3);
    let valid_until = if valid_until.is_empty() {
        valid_until
    } else {
        date(&valid_until).map_err(|e| format!("VALID_UNTIL of `{arg}`: {e}"))?
    };
    Ok(Evidence {
        title,
        url,
        owner: part(2),
        valid_until,
    })
}

/// What [`agreement`] accepts, for its error messages.
const EXPECTED_AGREEMENT: &str = "TEXT|OWNER|DUE (only TEXT is required; DUE a date YYYY-MM-DD or \
                                  an RFC 3339 time, e.g. \"Vertrouwenspersonen zichtbaarder \
                                  maken|Karim El Idrissi|2027-03-31\")";

/// An agreement of a dialogue: `TEXT|OWNER|DUE`, owner and due time optional (`TEXT`,
/// `TEXT|OWNER`, `TEXT||DUE`). DUE is a time as `--due` takes it: a date is the end of that day
/// in Europe/Amsterdam.
pub fn agreement(arg: &str) -> Result<Agreement, String> {
    let parts: Vec<&str> = arg.split('|').map(str::trim).collect();
    if parts.len() > 3 {
        return Err(format!(
            "`{arg}` has more than three parts; expected {EXPECTED_AGREEMENT}"
        ));
    }
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    if part(0).is_empty() {
        return Err(format!(
            "`{arg}` has no text; expected {EXPECTED_AGREEMENT}"
        ));
    }
    let due_time = match part(2) {
        "" => None,
        due => Some(timestamp(due).map_err(|e| format!("DUE of `{arg}`: {e}"))?),
    };
    Ok(Agreement {
        text: part(0).to_owned(),
        owner: part(1).to_owned(),
        due_time,
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

/// An RFC 3339 time, rewritten in UTC (`2026-03-01T16:00:00Z`) for use in a filter as a lower
/// bound; a date alone is the start of that day (00:00) in Europe/Amsterdam.
pub fn rfc3339_utc(arg: &str) -> Result<String, String> {
    parse(arg, DayPart::Start)?
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
        assert!(timestamp("tomorrow").is_err());
        assert!(timestamp("2026-02-30").is_err());
    }

    fn utc(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &Rfc3339).expect("valid")
    }

    #[test]
    fn a_date_is_the_end_of_that_day_in_amsterdam() {
        let seconds = |arg| timestamp(arg).map(|t| (t.seconds, t.nanos));
        // Winter (CET, +01:00) and summer (CEST, +02:00).
        let winter = utc("2026-12-01T22:59:59Z").unix_timestamp();
        assert_eq!(seconds("2026-12-01"), Ok((winter, 0)));
        assert_eq!(seconds(" 2026-12-01 "), Ok((winter, 0)));
        let summer = utc("2026-07-01T21:59:59Z").unix_timestamp();
        assert_eq!(seconds("2026-07-01"), Ok((summer, 0)));
        // The days of the switches themselves end in the new offset.
        let spring = utc("2026-03-29T21:59:59Z").unix_timestamp();
        assert_eq!(seconds("2026-03-29"), Ok((spring, 0)));
        let autumn = utc("2026-10-25T22:59:59Z").unix_timestamp();
        assert_eq!(seconds("2026-10-25"), Ok((autumn, 0)));
        assert_eq!(
            optional_timestamp("2026-12-01").map(|t| t.0.map(|t| t.seconds)),
            Ok(Some(winter))
        );
    }

    #[test]
    fn since_a_date_is_the_start_of_that_day_in_amsterdam() {
        assert_eq!(
            rfc3339_utc("2026-12-01").as_deref(),
            Ok("2026-11-30T23:00:00Z")
        );
        assert_eq!(
            rfc3339_utc("2026-07-01").as_deref(),
            Ok("2026-06-30T22:00:00Z")
        );
        // Midnight before the spring switch is still winter time, before the autumn one summer.
        assert_eq!(
            rfc3339_utc("2026-03-29").as_deref(),
            Ok("2026-03-28T23:00:00Z")
        );
        assert_eq!(
            rfc3339_utc("2026-10-25").as_deref(),
            Ok("2026-10-24T22:00:00Z")
        );
    }

    #[test]
    fn amsterdam_switches_at_one_utc_on_the_last_sundays_of_march_and_october() {
        let hours = |at: &str| amsterdam_offset(utc(at)).whole_hours();
        // Spring: 02:00 CET becomes 03:00 CEST.
        assert_eq!(hours("2026-03-29T00:59:59Z"), 1);
        assert_eq!(hours("2026-03-29T01:00:00Z"), 2);
        // Autumn: 03:00 CEST becomes 02:00 CET.
        assert_eq!(hours("2026-10-25T00:59:59Z"), 2);
        assert_eq!(hours("2026-10-25T01:00:00Z"), 1);
        assert_eq!(hours("2027-01-15T12:00:00Z"), 1);
        assert_eq!(hours("2027-08-15T12:00:00Z"), 2);
    }

    #[test]
    fn dates_and_the_end_of_a_day() {
        assert_eq!(date(" 2026-03-01 ").as_deref(), Ok("2026-03-01"));
        assert_eq!(date_or_empty("").as_deref(), Ok(""));
        for bad in [
            "2026-3-1",
            "2026-02-30",
            "01-03-2026",
            "1899-12-31",
            "tomorrow",
            "",
        ] {
            assert!(date(bad).is_err(), "{bad:?} accepted");
        }
        let end = end_of_day_utc(parse_date("2026-03-01").expect("valid"));
        assert_eq!(end.seconds, 1_772_409_599, "2026-03-01T23:59:59Z");
        assert_eq!(end.nanos, 0);
    }

    #[test]
    fn an_agreement_has_a_text_and_optionally_an_owner_and_a_due_date() {
        let full =
            agreement("Risicoanalyse inkoop herhalen | Hoofd Inkoop | 2027-06-30").expect("valid");
        assert_eq!(full.text, "Risicoanalyse inkoop herhalen");
        assert_eq!(full.owner, "Hoofd Inkoop");
        // The end of 30 June in Amsterdam (summer time): 21:59:59 UTC.
        assert_eq!(
            full.due_time.map(|t| t.seconds),
            Some(1_814_392_799),
            "2027-06-30T21:59:59Z"
        );
        let text_only = agreement("Vertrouwenspersonen bekendmaken").expect("valid");
        assert_eq!(text_only.owner, "");
        assert_eq!(text_only.due_time, None);
        let dated = agreement("Notitie||2027-03-31T17:00:00+02:00").expect("valid");
        assert_eq!(dated.owner, "");
        assert!(dated.due_time.is_some());
        for bad in ["", "|Karim", "A|B|2027-02-30", "A|B|C|D"] {
            assert!(agreement(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn evidence_has_a_title_and_optional_parts() {
        let full = evidence("Gedragscode|https://x.example/gc| P&O |2026-12-31").expect("valid");
        assert_eq!(
            (full.title.as_str(), full.url.as_str(), full.owner.as_str()),
            ("Gedragscode", "https://x.example/gc", "P&O")
        );
        assert_eq!(full.valid_until, "2026-12-31");
        let title_only = evidence("Jaarverslag").expect("valid");
        assert_eq!(title_only.url, "");
        assert_eq!(evidence("Notitie||BZK").expect("valid").owner, "BZK");
        for bad in [
            "",
            "|https://x.example",
            "a|ftp://x",
            "a|||2026-13-01",
            "a|b|c|d|e",
        ] {
            assert!(evidence(bad).is_err(), "{bad:?} accepted");
        }
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
