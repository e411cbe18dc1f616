//! AIP-160 filter text built from convenience flags (`--kind`, `--state`, `--case`, …), ANDed
//! with whatever `--filter` the user wrote.
//!
//! Values are always quoted, with `\` and `"` escaped, so a value can never change the shape of
//! the filter; the server parses the result like any other filter.

/// `value` as an AIP-160 string literal: `"…"`, with `\` and `"` escaped by a backslash.
pub fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Restrictions to AND together, each added only when its flag was given.
#[derive(Debug, Default)]
pub struct Filter {
    terms: Vec<String>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// `field = "value"`, when a value is given.
    pub fn equals(mut self, field: &str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.terms.push(format!("{field} = {}", quote(value)));
        }
        self
    }

    /// `field >= "value"`, when a value is given.
    pub fn at_least(mut self, field: &str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.terms.push(format!("{field} >= {}", quote(value)));
        }
        self
    }

    /// `field:"value"` (the repeated field has the value) for each value.
    pub fn has_each(mut self, field: &str, values: &[String]) -> Self {
        for value in values {
            self.terms.push(format!("{field}:{}", quote(value)));
        }
        self
    }

    /// `field = true`, when the flag is set.
    pub fn true_if(mut self, field: &str, flag: bool) -> Self {
        if flag {
            self.terms.push(format!("{field} = true"));
        }
        self
    }

    /// The filter text: the user's `--filter` (in parentheses when there is more to AND with
    /// it) and the restrictions, joined by AND. Empty when there is nothing to filter on.
    pub fn and_with(self, user_filter: &str) -> String {
        let user_filter = user_filter.trim();
        if self.terms.is_empty() {
            return user_filter.to_owned();
        }
        let mut parts = Vec::with_capacity(self.terms.len() + 1);
        if !user_filter.is_empty() {
            parts.push(format!("({user_filter})"));
        }
        parts.extend(self.terms);
        parts.join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_and_escaped() {
        assert_eq!(quote("work_item"), r#""work_item""#);
        assert_eq!(quote(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(quote(r"C:\temp"), r#""C:\\temp""#);
        assert_eq!(quote(r#"\""#), r#""\\\"""#);
        assert_eq!(quote(""), r#""""#);
    }

    #[test]
    fn flags_become_restrictions() {
        let filter = Filter::new()
            .equals("kind", Some("work_item"))
            .equals("state", None)
            .equals("department", Some("departments/JenV"))
            .has_each("labels", &["ipim".into(), "x\"y".into()])
            .true_if("overdue", true)
            .and_with("");
        assert_eq!(
            filter,
            r#"kind = "work_item" AND department = "departments/JenV" AND labels:"ipim" AND labels:"x\"y" AND overdue = true"#
        );
    }

    #[test]
    fn the_users_filter_is_parenthesised_when_combined() {
        let filter = Filter::new()
            .equals("actor", Some("admin"))
            .at_least("time", Some("2026-01-01T00:00:00Z"))
            .and_with("type = \"case.created\" OR type = \"case.updated\"");
        assert_eq!(
            filter,
            r#"(type = "case.created" OR type = "case.updated") AND actor = "admin" AND time >= "2026-01-01T00:00:00Z""#
        );
    }

    #[test]
    fn without_flags_the_users_filter_is_kept_as_is() {
        assert_eq!(
            Filter::new().and_with(" state = \"done\" "),
            "state = \"done\""
        );
        assert_eq!(Filter::new().true_if("overdue", false).and_with(""), "");
    }
}
