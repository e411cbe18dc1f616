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
