//! Dates and times as the console shows them: in Dutch (or English) and in Europe/Amsterdam.
//!
//! Amsterdam's offset is the EU rule, written once for the console and the CLI
//! (`regie_support::amsterdam_offset`).

use time::OffsetDateTime;

use crate::domain::session::Language;

use regie_support::amsterdam_offset;

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2 december 2026 05:19` (Dutch) or `2 December 2026 05:19`, Amsterdam time; micros since
/// the epoch.
pub fn date_time(language: Language, micros: i64) -> String {
    let Ok(utc) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) else {
        return String::new();
    };
    let local = utc.to_offset(amsterdam_offset(utc));
    let months = match language {
        Language::Nl => &MONTHS_NL,
        Language::En => &MONTHS_EN,
    };
    let month = months[usize::from(u8::from(local.month())) - 1];
    format!(
        "{} {month} {} {:02}:{:02}",
        local.day(),
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// The same moment in ISO 8601 with its offset, for `<time datetime>`.
pub fn iso(micros: i64) -> String {
    let Ok(utc) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) else {
        return String::new();
    };
    let local = utc.to_offset(amsterdam_offset(utc));
    local
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The last microsecond of the day `date` (`2026-12-01`, as a date field sends it) in
/// Amsterdam, in micros since the epoch: "as it was on" a day, and a due date, mean the end
/// of that day where the user is. `None` when `date` is not a date.
pub fn end_of_day(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), &format).ok()?;
    let next = day.next_day()?.midnight().assume_utc();
    // The offset at the end of the day: EU clocks change at 01:00 UTC, never in the evening.
    let offset = amsterdam_offset(next - time::Duration::hours(2));
    let end = day.next_day()?.midnight().assume_offset(offset);
    let nanos = end.unix_timestamp_nanos() / 1000 - 1;
    i64::try_from(nanos).ok()
}

/// The Amsterdam date of `micros` as a date field's value (`2026-12-01`).
pub fn date_value(micros: i64) -> String {
    let Ok(utc) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) else {
        return String::new();
    };
    let local = utc.to_offset(amsterdam_offset(utc));
    format!(
        "{:04}-{:02}-{:02}",
        local.year(),
        u8::from(local.month()),
        local.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_amsterdam_summer_and_winter_time_with_dutch_months() {
        // 2026-07-01T10:00:00Z is 12:00 CEST; 2026-12-02T10:00:00Z is 11:00 CET.
        assert_eq!(
            date_time(Language::Nl, 1_782_900_000_000_000),
            "1 juli 2026 12:00"
        );
        assert_eq!(
            date_time(Language::Nl, 1_796_205_600_000_000),
            "2 december 2026 11:00"
        );
        assert_eq!(
            date_time(Language::En, 1_796_205_600_000_000),
            "2 December 2026 11:00"
        );
    }

    #[test]
    fn a_day_ends_at_midnight_in_amsterdam_and_a_date_field_round_trips() {
        // 2026-12-01 ends at 2026-12-01T23:00:00Z (CET); 2026-07-01 at 22:00Z (CEST).
        assert_eq!(end_of_day("2026-12-01"), Some(1_796_166_000_000_000 - 1));
        assert_eq!(end_of_day("2026-07-01"), Some(1_782_943_200_000_000 - 1));
        assert_eq!(end_of_day("1 december"), None);
        assert_eq!(end_of_day(""), None);
        assert_eq!(date_value(1_796_166_000_000_000 - 1), "2026-12-01");
    }
}
