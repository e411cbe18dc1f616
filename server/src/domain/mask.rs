//! Update masks (AIP-134): which fields an Update call changes.
//!
//! Regie asks the client to name the fields. `*` means every updatable field; an empty mask is
//! refused rather than guessed at, because proto3 cannot tell "set to false" from "not sent".

use super::error::{Error, Result, reason};

/// Checks the mask's paths against the updatable fields and returns them, `*` expanded.
pub fn parse(paths: &[String], updatable: &'static [&'static str]) -> Result<Vec<&'static str>> {
    let bad = |description: String| {
        Error::invalid(reason::INVALID_UPDATE_MASK, "update_mask", description)
    };
    if paths.is_empty() {
        return Err(bad(format!(
            "name the fields to change (any of: {}; or `*`)",
            updatable.join(", ")
        )));
    }
    if paths.iter().any(|p| p == "*") {
        return Ok(updatable.to_vec());
    }
    let mut fields = Vec::new();
    for path in paths {
        let field = updatable.iter().find(|f| **f == path).ok_or_else(|| {
            bad(format!(
                "`{path}` cannot be updated; updatable fields: {}",
                updatable.join(", ")
            ))
        })?;
        if !fields.contains(field) {
            fields.push(*field);
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[&str] = &["name_nl", "active"];

    #[test]
    fn masks() {
        assert_eq!(
            parse(&["active".into()], FIELDS).expect("ok"),
            vec!["active"]
        );
        assert_eq!(parse(&["*".into()], FIELDS).expect("ok"), FIELDS.to_vec());
        assert_eq!(
            parse(&[], FIELDS).unwrap_err().reason(),
            reason::INVALID_UPDATE_MASK
        );
        assert_eq!(
            parse(&["code".into()], FIELDS).unwrap_err().reason(),
            reason::INVALID_UPDATE_MASK
        );
    }
}
