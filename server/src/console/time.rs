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
}
