//! Checks for free text fields: required or optional, a maximum length in characters, no
//! control characters. Values are stored trimmed.

use super::error::FieldViolation;

/// A required single-line text of at most `max` characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldViolation::new(field, "is required"));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldViolation::new(
            field,
            "must be a single line without control characters",
        ));
    }
    within(field, value, max)
}

/// An optional multi-line text of at most `max` characters.
pub fn body(field: &str, value: &str, max: usize) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldViolation::new(
            field,
            "must not contain control characters",
        ));
    }
    within(field, value, max)
}

/// A required calendar date, `YYYY-MM-DD`.
pub fn date(field: &str, value: &str) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldViolation::new(field, "is required (YYYY-MM-DD)"));
    }
    optional_date(field, value)
}

/// An optional calendar date, `YYYY-MM-DD`; empty stays empty.
pub fn optional_date(field: &str, value: &str) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(value, &format) {
        Ok(date) if (1900..=2200).contains(&date.year()) => Ok(value.to_owned()),
        _ => Err(FieldViolation::new(
            field,
            format!("{value:?} is not a date of the form YYYY-MM-DD"),
        )),
    }
}

/// An optional web address: `http://` or `https://`, one line, at most 2,000 characters.
pub fn optional_url(field: &str, value: &str) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if !scheme_ok || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldViolation::new(
            field,
            format!("{value:?} is not an http(s) address"),
        ));
    }
    within(field, value, 2_000)
}

fn within(field: &str, value: &str, max: usize) -> Result<String, FieldViolation> {
    let count = value.chars().count();
    if count > max {
        Err(FieldViolation::new(
            field,
            format!("is {count} characters long; the maximum is {max}"),
        ))
    } else {
        Ok(value.to_owned())
    }
}
