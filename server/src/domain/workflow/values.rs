//! Checks for the single values of a definition file — identifiers, permissions, labels — each
//! returning the accepted value or a reason. `load.rs` adds the file and line.

/// Labels are shown in lists and diagrams; longer text belongs in documentation.
const MAX_LABEL_CHARS: usize = 100;
/// Identifiers end up in permissions, resource filters and diagram sources.
const MAX_IDENTIFIER_CHARS: usize = 63;
/// A Casbin action is short; this leaves room for a prefix such as `transition:`.
const MAX_PERMISSION_CHARS: usize = 100;

/// A kind, state name or transition id: a lower-case letter, then lower-case letters, digits or
/// underscores. Such names are safe unquoted in permissions, filters and diagram sources.
pub(super) fn identifier(what: &str, value: &str) -> Result<String, String> {
    let valid = value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && value.len() <= MAX_IDENTIFIER_CHARS;
    if valid {
        Ok(value.to_owned())
    } else if value.is_empty() {
        Err(format!("{what} is empty"))
    } else {
        Err(format!(
            "{what} {value:?} is not an identifier: a lower-case letter, then lower-case \
             letters, digits or underscores, at most {MAX_IDENTIFIER_CHARS} characters"
        ))
    }
}

/// The permission (Casbin action) of transition `id`: printable ASCII without spaces, since
/// the policy file separates fields with commas and spaces.
pub(super) fn permission(id: &str, value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= MAX_PERMISSION_CHARS
        && value.chars().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "permission {value:?} of transition `{id}` must be 1 to {MAX_PERMISSION_CHARS} \
             printable ASCII characters without spaces, e.g. \"transition:{id}\""
        ))
    }
}

/// A display label: one line of text, not blank; stored trimmed.
pub(super) fn label(what: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err(format!("{what} is empty"))
    } else if value.chars().any(char::is_control) {
        Err(format!(
            "{what} must be a single line without control characters"
        ))
    } else if value.chars().count() > MAX_LABEL_CHARS {
        Err(format!(
            "{what} is longer than {MAX_LABEL_CHARS} characters"
        ))
    } else {
        Ok(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_lower_snake_case() {
        for ok in ["done", "in_review", "step2"] {
            assert_eq!(identifier("state name", ok).as_deref(), Ok(ok));
        }
        for bad in [
            "Done",
            "2nd",
            "_x",
            "in-review",
            "in review",
            "*open",
            &"a".repeat(64),
        ] {
            assert!(identifier("state name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_are_trimmed_single_lines() {
        assert_eq!(label("label", "  Gereed ").as_deref(), Ok("Gereed"));
        assert!(label("label", "Ge\nreed").is_err());
        assert!(label("label", &"x".repeat(101)).is_err());
    }

    #[test]
    fn permissions_have_no_spaces() {
        assert!(permission("start", "transition:start").is_ok());
        assert!(permission("start", "transition: start").is_err());
        assert!(permission("start", "").is_err());
    }
}
