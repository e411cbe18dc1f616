//! List filters: the subset of AIP-160 that Regie supports, parsed into a typed syntax tree.
//!
//! The store turns the tree into SQL with bound parameters, never by pasting text, so a filter
//! can't inject SQL. Each list method declares the fields it can filter on and their types; the
//! parser checks every comparison against them and reports the character position of whatever
//! it could not understand.
//!
//! Grammar (AIP-160; note that `OR` binds tighter than `AND`, as the AIP specifies):
//!
//! ```text
//! expression  := sequence { "AND" sequence }
//! sequence    := factor { factor }                 (juxtaposition means AND)
//! factor      := term { "OR" term }
//! term        := [ "NOT" | "-" ] simple
//! simple      := "(" expression ")" | restriction
//! restriction := field comparator value
//! comparator  := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//! value       := "quoted string" | bare-word
//! ```

use serde::{Deserialize, Serialize};

use super::error::{Error, Result, reason};
use super::limits::{MAX_FILTER_CHARS, MAX_FILTER_DEPTH, MAX_FILTER_TERMS};
use super::time::Timestamp;

/// The type of a filterable field, which decides the values and comparators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Bool,
    Int,
    Time,
    /// A repeated text field (e.g. labels); only `:` ("has") applies.
    TextList,
    /// A reference to a resource of the collection named (`departments`): the filter gives its
    /// name (`departments/JenV`, or `""` for none) and the store compares the id (`JenV`), so
    /// that the store knows no resource names and its indexes apply.
    Name(&'static str),
}

/// A field a list method accepts in its filter.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
}

impl Field {
    pub const fn new(name: &'static str, ty: FieldType) -> Self {
        Self { name, ty }
    }
}

/// A typed value in a filter or a page token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Text(String),
    Bool(bool),
    Int(i64),
    Time(i64),
}

impl Value {
    pub fn time(t: Timestamp) -> Self {
        Self::Time(t.micros())
    }

    /// Whether this value can stand for a field of type `ty`.
    pub fn fits(&self, ty: FieldType) -> bool {
        matches!(
            (self, ty),
            (
                Self::Text(_),
                FieldType::Text | FieldType::TextList | FieldType::Name(_)
            ) | (Self::Bool(_), FieldType::Bool)
                | (Self::Int(_), FieldType::Int)
                | (Self::Time(_), FieldType::Time)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:`, "has": the repeated field contains the value.
    Has,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Has => ":",
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        field: &'static str,
        op: Op,
        value: Value,
    },
}

/// Parses `text` against the fields a list method allows. An empty filter is `None`.
pub fn parse(text: &str, fields: &'static [Field]) -> Result<Option<Expr>> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(filter_error(format!(
            "is longer than {MAX_FILTER_CHARS} characters"
        )));
    }
    // A NUL would reach the database inside a string literal, where PostgreSQL refuses it;
    // no filter needs any control character but white space.
    if let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !c.is_whitespace())
    {
        return Err(filter_error(format!(
            "must not contain control characters (U+{:04X} at character {at})",
            u32::from(c)
        )));
    }
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        fields,
        depth: 0,
        terms: 0,
        end: text.chars().count(),
    };
    let expr = parser.expression()?;
    if let Some(token) = parser.peek() {
        return Err(parser.unexpected(token.at, "AND, OR or the end of the filter"));
    }
    Ok(Some(expr))
}

fn filter_error(description: String) -> Error {
    Error::invalid(reason::INVALID_FILTER, "filter", description)
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    LParen,
    RParen,
    Comparator(Op),
    And,
    Or,
    Not,
    Minus,
    Quoted(String),
    Word(String),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// 1-based character position, for error messages.
    at: usize,
}

fn lex(text: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        let (kind, next) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Kind::LParen, i + 1),
            ')' => (Kind::RParen, i + 1),
            '=' => (Kind::Comparator(Op::Eq), i + 1),
            ':' => (Kind::Comparator(Op::Has), i + 1),
            '!' if chars.get(i + 1) == Some(&'=') => (Kind::Comparator(Op::Ne), i + 2),
            '<' if chars.get(i + 1) == Some(&'=') => (Kind::Comparator(Op::Le), i + 2),
            '<' => (Kind::Comparator(Op::Lt), i + 1),
            '>' if chars.get(i + 1) == Some(&'=') => (Kind::Comparator(Op::Ge), i + 2),
            '>' => (Kind::Comparator(Op::Gt), i + 1),
            '-' => (Kind::Minus, i + 1),
            '"' | '\'' => {
                let quote = c;
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(filter_error(format!(
                                "unterminated string starting at character {at}"
                            )));
                        }
                        Some('\\') => match chars.get(j + 1) {
                            Some(escaped) => {
                                value.push(*escaped);
                                j += 2;
                            }
                            None => {
                                return Err(filter_error(format!(
                                    "unterminated string starting at character {at}"
                                )));
                            }
                        },
                        Some(ch) if *ch == quote => break,
                        Some(ch) => {
                            value.push(*ch);
                            j += 1;
                        }
                    }
                }
                (Kind::Quoted(value), j + 1)
            }
            c if is_word_char(c) => {
                let mut j = i;
                while j < chars.len() && (is_word_char(chars[j]) || chars[j] == '-') {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                let kind = match word.as_str() {
                    "AND" => Kind::And,
                    "OR" => Kind::Or,
                    "NOT" => Kind::Not,
                    _ => Kind::Word(word),
                };
                (kind, j)
            }
            other => {
                return Err(filter_error(format!(
                    "unexpected character {other:?} at character {at}"
                )));
            }
        };
        tokens.push(Token { kind, at });
        i = next;
    }
    Ok(tokens)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '+')
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    fields: &'static [Field],
    depth: usize,
    terms: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn at_or_end(&self) -> usize {
        self.peek().map_or(self.end + 1, |t| t.at)
    }

    fn unexpected(&self, at: usize, expected: &str) -> Error {
        filter_error(format!("expected {expected} at character {at}"))
    }

    fn enter(&mut self, at: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(filter_error(format!(
                "nests deeper than {MAX_FILTER_DEPTH} levels at character {at}"
            )));
        }
        Ok(())
    }

    fn expression(&mut self) -> Result<Expr> {
        let mut parts = vec![self.sequence()?];
        while matches!(
            self.peek(),
            Some(Token {
                kind: Kind::And,
                ..
            })
        ) {
            self.pos += 1;
            parts.push(self.sequence()?);
        }
        Ok(flatten(parts, Expr::And))
    }

    fn sequence(&mut self) -> Result<Expr> {
        let mut parts = vec![self.factor()?];
        while matches!(
            self.peek(),
            Some(Token {
                kind: Kind::LParen | Kind::Not | Kind::Minus | Kind::Word(_) | Kind::Quoted(_),
                ..
            })
        ) {
            parts.push(self.factor()?);
        }
        Ok(flatten(parts, Expr::And))
    }

    fn factor(&mut self) -> Result<Expr> {
        let mut parts = vec![self.term()?];
        while matches!(self.peek(), Some(Token { kind: Kind::Or, .. })) {
            self.pos += 1;
            parts.push(self.term()?);
        }
        Ok(flatten(parts, Expr::Or))
    }

    fn term(&mut self) -> Result<Expr> {
        if let Some(Token {
            kind: Kind::Not | Kind::Minus,
            at,
        }) = self.peek().cloned()
        {
            self.pos += 1;
            self.enter(at)?;
            let inner = self.simple()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.simple()
    }

    fn simple(&mut self) -> Result<Expr> {
        let at = self.at_or_end();
        match self.next() {
            Some(Token {
                kind: Kind::LParen,
                at,
            }) => {
                self.enter(at)?;
                let inner = self.expression()?;
                match self.next() {
                    Some(Token {
                        kind: Kind::RParen, ..
                    }) => {
                        self.depth -= 1;
                        Ok(inner)
                    }
                    _ => Err(filter_error(format!(
                        "the parenthesis at character {at} is never closed"
                    ))),
                }
            }
            Some(Token {
                kind: Kind::Word(name),
                at,
            }) => self.restriction(&name, at),
            _ => Err(self.unexpected(at, "a comparison such as `field = \"value\"`")),
        }
    }

    fn restriction(&mut self, name: &str, at: usize) -> Result<Expr> {
        let field = self.fields.iter().find(|f| f.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
            filter_error(format!(
                "unknown field `{name}` at character {at}; known fields: {}",
                known.join(", ")
            ))
        })?;
        self.terms += 1;
        if self.terms > MAX_FILTER_TERMS {
            return Err(filter_error(format!(
                "has more than {MAX_FILTER_TERMS} comparisons"
            )));
        }
        let op_at = self.at_or_end();
        let op = match self.next() {
            Some(Token {
                kind: Kind::Comparator(op),
                ..
            }) => op,
            _ => {
                return Err(self.unexpected(
                    op_at,
                    &format!("a comparator (=, !=, <, <=, >, >=, :) after `{name}`"),
                ));
            }
        };
        let value_at = self.at_or_end();
        let raw = match self.next() {
            Some(Token {
                kind: Kind::Quoted(text) | Kind::Word(text),
                ..
            }) => text,
            Some(Token {
                kind: Kind::Minus, ..
            }) => match self.next() {
                Some(Token {
                    kind: Kind::Word(text),
                    ..
                }) => format!("-{text}"),
                _ => return Err(self.unexpected(value_at, "a value")),
            },
            _ => {
                return Err(
                    self.unexpected(value_at, &format!("a value after `{name} {}`", op.as_str()))
                );
            }
        };
        check_op(field, op, op_at)?;
        let value = typed_value(field, &raw, value_at)?;
        Ok(Expr::Compare {
            field: field.name,
            op,
            value,
        })
    }
}

fn check_op(field: &Field, op: Op, at: usize) -> Result<()> {
    let allowed = match field.ty {
        FieldType::TextList => op == Op::Has,
        FieldType::Bool => matches!(op, Op::Eq | Op::Ne),
        FieldType::Text | FieldType::Name(_) | FieldType::Int | FieldType::Time => op != Op::Has,
    };
    if allowed {
        Ok(())
    } else {
        Err(filter_error(format!(
            "`{}` does not apply to field `{}` at character {at}",
            op.as_str(),
            field.name
        )))
    }
}

fn typed_value(field: &Field, raw: &str, at: usize) -> Result<Value> {
    let bad = |what: &str| {
        filter_error(format!(
            "`{}` needs {what}, got {raw:?} at character {at}",
            field.name
        ))
    };
    match field.ty {
        FieldType::Text | FieldType::TextList => Ok(Value::Text(raw.to_owned())),
        FieldType::Name(collection) => Ok(Value::Text(reference_id(collection, raw))),
        FieldType::Bool => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        FieldType::Int => raw
            .parse()
            .map(Value::Int)
            .map_err(|_| bad("a whole number")),
        FieldType::Time => Timestamp::parse_rfc3339(raw)
            .map(Value::time)
            .ok_or_else(|| bad("an RFC 3339 time such as \"2026-01-01T00:00:00Z\"")),
    }
}

/// The id a reference filter compares: `departments/JenV` → `JenV`, `""` (none) → `""`. Any
/// other text is not a name in the collection and matches no resource: it becomes a value no id
/// can equal (ids never contain `/`).
fn reference_id(collection: &str, raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    match raw
        .strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        Some(id) if !id.is_empty() && !id.contains('/') => id.to_owned(),
        _ => format!("/{raw}"),
    }
}

fn flatten(mut parts: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        join(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field::new("code", FieldType::Text),
        Field::new("active", FieldType::Bool),
        Field::new("due_time", FieldType::Time),
        Field::new("labels", FieldType::TextList),
        Field::new("department", FieldType::Name("departments")),
    ];

    fn cmp(field: &'static str, op: Op, value: Value) -> Expr {
        Expr::Compare { field, op, value }
    }

    fn message(err: Error) -> String {
        err.to_string()
    }

    #[test]
    fn a_reference_is_compared_by_its_id() {
        let text = |t: &str| Value::Text(t.to_owned());
        let parsed = |f: &str| parse(f, FIELDS).expect("parses");
        assert_eq!(
            parsed("department = \"departments/JenV\""),
            Some(cmp("department", Op::Eq, text("JenV")))
        );
        assert_eq!(
            parsed("department = \"\""),
            Some(cmp("department", Op::Eq, text("")))
        );
        // Not a name of the collection: it can equal no id.
        for other in ["JenV", "groups/JenV", "departments/", "departments/a/b"] {
            let Some(Expr::Compare {
                value: Value::Text(id),
                ..
            }) = parsed(&format!("department = \"{other}\""))
            else {
                panic!("{other}: not a comparison");
            };
            assert!(id.starts_with('/'), "{other} became {id}");
        }
        assert!(parse("department:x", FIELDS).is_err());
    }

    #[test]
    fn control_characters_are_refused_before_they_reach_a_database() {
        for bad in ["title = \"a\u{0}b\"", "\u{0}", "title = \"\u{7}\""] {
            let err = parse(bad, FIELDS).unwrap_err();
            assert!(message(err).contains("control characters"), "{bad:?}");
        }
        assert!(parse("code = \"a\"\n AND\tcode != \"b\"", FIELDS).is_ok());
    }

    #[test]
    fn empty_filter_is_none() {
        assert_eq!(parse("   ", FIELDS).expect("parses"), None);
    }

    #[test]
    fn or_binds_tighter_than_and() {
        let expr =
            parse(r#"active = true AND code = "BZK" OR code = JenV"#, FIELDS).expect("parses");
        assert_eq!(
            expr,
            Some(Expr::And(vec![
                cmp("active", Op::Eq, Value::Bool(true)),
                Expr::Or(vec![
                    cmp("code", Op::Eq, Value::Text("BZK".into())),
                    cmp("code", Op::Eq, Value::Text("JenV".into())),
                ]),
            ]))
        );
    }

    #[test]
    fn negation_parentheses_and_times() {
        let expr = parse(
            r#"NOT (code = "AZ") -active = false due_time < "2026-01-01T00:00:00Z""#,
            FIELDS,
        )
        .expect("parses");
        assert_eq!(
            expr,
            Some(Expr::And(vec![
                Expr::Not(Box::new(cmp("code", Op::Eq, Value::Text("AZ".into())))),
                Expr::Not(Box::new(cmp("active", Op::Eq, Value::Bool(false)))),
                cmp("due_time", Op::Lt, Value::Time(1_767_225_600_000_000)),
            ]))
        );
    }

    #[test]
    fn unknown_field_names_its_position() {
        let err = message(parse(r#"active = true AND colour = "red""#, FIELDS).unwrap_err());
        assert!(
            err.contains("unknown field `colour` at character 19"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_and_operators_are_refused() {
        assert!(message(parse("active = maybe", FIELDS).unwrap_err()).contains("true or false"));
        assert!(
            message(parse("active < true", FIELDS).unwrap_err()).contains("`<` does not apply")
        );
        assert!(message(parse("labels = x", FIELDS).unwrap_err()).contains("`=` does not apply"));
        assert!(
            message(parse(r#"due_time > "tomorrow""#, FIELDS).unwrap_err()).contains("RFC 3339")
        );
        assert!(
            message(parse("code ~ x", FIELDS).unwrap_err())
                .contains("unexpected character '~' at character 6")
        );
        assert!(message(parse("(code = x", FIELDS).unwrap_err()).contains("never closed"));
        assert!(
            message(parse("code = ", FIELDS).unwrap_err())
                .contains("a value after `code =` at character 8")
        );
        assert!(message(parse(r#"code = "open"#, FIELDS).unwrap_err()).contains("unterminated"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}code = x{}", "(".repeat(40), ")".repeat(40));
        assert!(message(parse(&deep, FIELDS).unwrap_err()).contains("nests deeper"));
    }
}
