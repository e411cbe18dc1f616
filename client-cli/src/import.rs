//! The rows of `regie import work-items FILE.csv`: reading the CSV, checking every row the way
//! the server will (so that a bad file is refused whole, before anything is created), and the
//! key that makes importing the same row twice create one work item.
//!
//! Pure functions of the file's text; the checks that need the server (do the departments and
//! working groups exist) and the creating are in `commands::import`.
//!
//! The limits mirror the server's (`server/src/domain/limits.rs`, `cases/draft.rs`,
//! `names.rs`): a title of 1 to 200 characters on one line, a description of at most 10,000
//! characters, at most 20 labels of 1 to 64 lower-case letters, digits, `-`, `_` or `:` — the
//! 20 including the two the import adds, `imported` and `import-<key>`.

use std::collections::HashMap;

use prost_types::Timestamp;
use regie_proto::v1::{Case, CreateCaseRequest, WorkItemDetails, case::Details};
use sha2::{Digest as _, Sha256};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{names, values};

/// The columns a file may have; only `title` is required.
pub const COLUMNS: [&str; 8] = [
    "title",
    "description",
    "department",
    "working_group",
    "assignee",
    "labels",
    "due_time",
    "parent",
];

/// The label every imported work item gets.
pub const IMPORTED: &str = "imported";
/// The prefix of the label that carries a row's key (`import-<key>`).
pub const KEY_LABEL_PREFIX: &str = "import-";

const MAX_NAME_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 10_000;
const MAX_LABELS: usize = 20;
const MAX_LABEL_CHARS: usize = 64;
/// Hex characters of the SHA-256 of a row's content that make its key.
const KEY_CHARS: usize = 12;

/// A problem with the file, at a line (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

impl Problem {
    fn new(line: u64, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A valid row, normalised: names in full (`departments/JenV`), text trimmed, labels without
/// repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The line the row starts on.
    pub line: u64,
    pub title: String,
    pub description: String,
    pub department: String,
    pub working_group: String,
    pub assignee: String,
    /// The row's own labels, in the order given.
    pub labels: Vec<String>,
    pub due_time: Option<Timestamp>,
    pub parent: String,
    /// The first 12 hex characters of the SHA-256 of the normalised content.
    pub key: String,
}

impl Row {
    /// `import-<key>`: the label and request id that mark the row as imported.
    pub fn key_label(&self) -> String {
        format!("{KEY_LABEL_PREFIX}{}", self.key)
    }

    /// The CreateCase request for the row: a work item with the row's labels plus `imported`
    /// and `import-<key>`, and `import-<key>` as its request id.
    pub fn request(&self) -> CreateCaseRequest {
        let mut labels = self.labels.clone();
        for label in [IMPORTED.to_owned(), self.key_label()] {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        CreateCaseRequest {
            case: Some(Case {
                kind: "work_item".to_owned(),
                title: self.title.clone(),
                description: self.description.clone(),
                department: self.department.clone(),
                working_group: self.working_group.clone(),
                assignee: self.assignee.clone(),
                labels,
                due_time: self.due_time,
                parent: self.parent.clone(),
                details: Some(Details::WorkItem(WorkItemDetails {})),
                ..Case::default()
            }),
            request_id: self.key_label(),
        }
    }
}

/// A file's rows after the local checks.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The rows that passed, one per distinct work item, in file order.
    pub rows: Vec<Row>,
    /// Rows that repeat an earlier one: (the earlier line, the repeating line). They are
    /// imported once.
    pub duplicates: Vec<(u64, u64)>,
    /// What is wrong with the other rows, in line order. The rows that passed are still
    /// returned, so that the checks against the server can add their problems to these.
    pub problems: Vec<Problem>,
}

/// Reads the CSV text and checks every row. A problem with the header (unknown or repeated
/// columns, no `title` column) is an error at once, as the rows cannot be understood without
/// it; problems with rows are collected in [`Parsed::problems`].
pub fn parse(text: &str) -> Result<Parsed, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| {
            vec![Problem::new(
                1,
                format!("the header row cannot be read: {e}"),
            )]
        })?
        .clone();
    let columns = columns(&header).map_err(|message| vec![Problem::new(1, message)])?;

    let mut parsed = Parsed::default();
    let problems = &mut parsed.problems;
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push(Problem::new(line, format!("cannot be read: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != header.len() {
            problems.push(Problem::new(
                line,
                format!(
                    "has {} fields; the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let field = |name: &str| -> &str {
            columns
                .get(name)
                .and_then(|&i| record.get(i))
                .unwrap_or_default()
        };
        match check_row(line, field) {
            Err(row_problems) => problems.extend(row_problems),
            Ok(row) => match first_line_of.get(&row.key) {
                Some(&first) => parsed.duplicates.push((first, line)),
                None => {
                    first_line_of.insert(row.key.clone(), line);
                    parsed.rows.push(row);
                }
            },
        }
    }
    parsed.problems.sort();
    Ok(parsed)
}

/// The position of each known column, or what is wrong with the header.
fn columns(header: &csv::StringRecord) -> Result<HashMap<&'static str, usize>, String> {
    let mut positions = HashMap::new();
    let mut unknown = Vec::new();
    let mut repeated = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            None => unknown.push(format!("{name:?}")),
            Some(column) => {
                if positions.insert(*column, i).is_some() {
                    repeated.push(*column);
                }
            }
        }
    }
    let mut messages = Vec::new();
    if !unknown.is_empty() {
        messages.push(format!(
            "unknown column{} {} (the columns are {})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            COLUMNS.join(", ")
        ));
    }
    if !repeated.is_empty() {
        messages.push(format!("repeated columns: {}", repeated.join(", ")));
    }
    if !positions.contains_key("title") {
        messages.push("there is no `title` column".to_owned());
    }
    if messages.is_empty() {
        Ok(positions)
    } else {
        Err(messages.join("; "))
    }
}

/// Checks one row: every problem, each naming its column.
fn check_row<'a>(line: u64, field: impl Fn(&str) -> &'a str) -> Result<Row, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut check = |column: &str, outcome: Result<(), String>| {
        if let Err(message) = outcome {
            problems.push(Problem::new(line, format!("{column}: {message}")));
        }
    };
    let title = field("title").trim().to_owned();
    check("title", single_line(&title, true));
    let description = field("description").trim().to_owned();
    check("description", multi_line(&description));
    let department = optional(field("department"), department);
    check(
        "department",
        department.as_ref().map(drop).map_err(Clone::clone),
    );
    let working_group = optional(field("working_group"), working_group);
    check(
        "working_group",
        working_group.as_ref().map(drop).map_err(Clone::clone),
    );
    let assignee = field("assignee").trim().to_owned();
    check("assignee", single_line(&assignee, false));
    let labels = labels(field("labels"));
    check("labels", labels.as_ref().map(drop).map_err(Clone::clone));
    let due_time = due_time(field("due_time"));
    check(
        "due_time",
        due_time.as_ref().map(drop).map_err(Clone::clone),
    );
    let parent = optional(field("parent"), parent);
    check("parent", parent.as_ref().map(drop).map_err(Clone::clone));
    match (department, working_group, labels, due_time, parent) {
        (Ok(department), Ok(working_group), Ok(labels), Ok(due_time), Ok(parent))
            if problems.is_empty() =>
        {
            let mut row = Row {
                line,
                title,
                description,
                department,
                working_group,
                assignee,
                labels,
                due_time,
                parent,
                key: String::new(),
            };
            row.key = key(&row);
            Ok(row)
        }
        _ => Err(problems),
    }
}

/// The key of a row: the first 12 hex characters of the SHA-256 of its normalised content
/// (every field, labels sorted, the due time in UTC), so the same work item written with other
/// spacing, another label order or `JenV` for `departments/JenV` gets the same key.
pub fn key(row: &Row) -> String {
    let mut labels = row.labels.clone();
    labels.sort_unstable();
    let due = row
        .due_time
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let content = serde_json::json!([
        row.title,
        row.description,
        row.department,
        row.working_group,
        row.assignee,
        labels,
        due,
        row.parent,
    ]);
    let digest = Sha256::digest(content.to_string().as_bytes());
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .chars()
        .take(KEY_CHARS)
        .collect()
}

/// `check(value)`, or `""` when the value is blank.
fn optional(value: &str, check: fn(&str) -> Result<String, String>) -> Result<String, String> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        check(value)
    }
}

/// A title or a name: one line, at most 200 characters; required or not.
fn single_line(value: &str, required: bool) -> Result<(), String> {
    if value.is_empty() {
        return if required {
            Err("is required".to_owned())
        } else {
            Ok(())
        };
    }
    if value.chars().any(char::is_control) {
        return Err("must be a single line without control characters".to_owned());
    }
    at_most(value, MAX_NAME_CHARS)
}

/// A description: line breaks and tabs allowed, no other control characters, at most 10,000
/// characters.
fn multi_line(value: &str) -> Result<(), String> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".to_owned());
    }
    at_most(value, MAX_TEXT_CHARS)
}

fn at_most(value: &str, max: usize) -> Result<(), String> {
    let count = value.chars().count();
    if count > max {
        Err(format!("is {count} characters long; the maximum is {max}"))
    } else {
        Ok(())
    }
}

/// `JenV` or `departments/JenV`; a code is a letter, then up to 15 letters or digits.
fn department(value: &str) -> Result<String, String> {
    let name = names::department_name(value)?;
    let code = names::short_id(names::DEPARTMENTS, &name);
    let mut chars = code.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && code.len() <= 16;
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "{code:?} is not a department code: a letter, then up to 15 letters or digits (e.g. BZK, JenV)"
        ))
    }
}

/// `ipim` or `workingGroups/ipim`; an id is 3 to 63 lower-case letters, digits and hyphens,
/// starting with a letter and not ending with a hyphen.
fn working_group(value: &str) -> Result<String, String> {
    let name = names::group_name(value)?;
    let id = names::short_id(names::WORKING_GROUPS, &name);
    let valid = (3..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "{id:?} is not a working group id: 3 to 63 lower-case letters, digits and hyphens, starting with a letter"
        ))
    }
}

/// `cases/ID` (or the bare id); an id is 1 to 64 lower-case letters, digits and hyphens.
fn parent(value: &str) -> Result<String, String> {
    let name = names::case_name(value)?;
    let id = names::short_id(names::CASES, &name);
    let valid = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(name)
    } else {
        Err(format!("{id:?} is not a case id"))
    }
}

/// `;`-separated labels, blanks ignored and repeats dropped; at most 20 with the two the
/// import adds.
fn labels(value: &str) -> Result<Vec<String>, String> {
    let mut labels: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for label in value.split(';').map(str::trim).filter(|l| !l.is_empty()) {
        let ok = label.len() <= MAX_LABEL_CHARS
            && label.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | ':')
            });
        if !ok {
            bad.push(format!("{label:?}"));
        } else if !labels.iter().any(|l| l == label) {
            labels.push(label.to_owned());
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "{} {} not a label: 1 to {MAX_LABEL_CHARS} lower-case letters, digits, `-`, `_` or `:`",
            bad.join(", "),
            if bad.len() == 1 { "is" } else { "are" }
        ));
    }
    // The key label is new by construction; `imported` may be among the row's own.
    let added = if labels.iter().any(|l| l == IMPORTED) {
        1
    } else {
        2
    };
    if labels.len() + added > MAX_LABELS {
        return Err(format!(
            "has {} labels; with `{IMPORTED}` and `{KEY_LABEL_PREFIX}<key>` that is more than {MAX_LABELS}",
            labels.len()
        ));
    }
    Ok(labels)
}

/// RFC 3339, or `YYYY-MM-DD` for the end of that day in UTC (23:59:59Z); blank for none.
fn due_time(value: &str) -> Result<Option<Timestamp>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() == 10 {
        return values::parse_date(value)
            .map(|date| Some(values::end_of_day_utc(date)))
            .map_err(|_| format!("`{value}` is not a date (YYYY-MM-DD) or an RFC 3339 time"));
    }
    values::timestamp(value).map(Some).map_err(|_| {
        format!(
            "`{value}` is not an RFC 3339 time (2026-03-01T17:00:00+01:00) or a date (2026-03-01)"
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const HEADER: &str =
        "title,description,department,working_group,assignee,labels,due_time,parent\n";

    fn lines(problems: &[Problem]) -> Vec<u64> {
        problems.iter().map(|p| p.line).collect()
    }

    #[test]
    fn a_good_file_gives_normalised_rows() {
        let text = format!(
            "{HEADER}\
             Agenda opstellen,,JenV,ipim-werkgroep,Jan Jansen,ipim; agenda ;ipim,2026-03-01,\n\
             \"Notitie \"\"kaders\"\"\",\"twee\nregels\",departments/BZK,,,,2026-03-01T17:00:00+01:00,cases/abc123\n"
        );
        let parsed = parse(&text).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.rows.len(), 2);
        let first = &parsed.rows[0];
        assert_eq!(first.line, 2);
        assert_eq!(first.department, "departments/JenV");
        assert_eq!(first.working_group, "workingGroups/ipim-werkgroep");
        assert_eq!(first.labels, vec!["ipim", "agenda"]);
        assert_eq!(
            first.due_time.unwrap().seconds,
            1_772_409_599,
            "end of the day, UTC"
        );
        let second = &parsed.rows[1];
        assert_eq!(second.line, 3);
        assert_eq!(second.title, "Notitie \"kaders\"");
        assert_eq!(second.description, "twee\nregels");
        assert_eq!(second.parent, "cases/abc123");
        assert_eq!(second.due_time.unwrap().seconds, 1_772_380_800);
        let request = first.request();
        assert_eq!(request.request_id, format!("import-{}", first.key));
        let case = request.case.unwrap();
        assert_eq!(case.kind, "work_item");
        assert_eq!(
            case.labels,
            vec![
                "ipim".to_owned(),
                "agenda".to_owned(),
                "imported".to_owned(),
                format!("import-{}", first.key)
            ]
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        // Line 3 is a quoted title over two lines, so the rows after it start a line later.
        let text = format!(
            "{HEADER}\
             Goed,,,,,,,\n\
             \"Twee\nregels\",,,,,,,\n\
             ,,JenV,,,,,\n\
             Slechte datum,,,,,,2026-02-30,\n\
             Alles fout,,1JenV,Groep,,Urgent;ok,morgen,departments/x\n\
             Te kort,,\n\
             {},,,,,,,\n",
            "x".repeat(201)
        );
        let parsed = parse(&text).unwrap();
        assert_eq!(
            parsed.rows.len(),
            1,
            "the good row is kept for the server checks"
        );
        let problems = parsed.problems;
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines(&problems),
            vec![3, 5, 6, 7, 7, 7, 7, 7, 8, 9],
            "{shown:#?}"
        );
        assert_eq!(
            shown[0],
            "line 3: title: must be a single line without control characters"
        );
        assert_eq!(shown[1], "line 5: title: is required");
        assert!(
            shown[2].starts_with("line 6: due_time: `2026-02-30`"),
            "{shown:#?}"
        );
        assert!(
            shown[3].starts_with("line 7: department: \"1JenV\""),
            "{shown:#?}"
        );
        assert!(shown[4].starts_with("line 7: due_time:"), "{shown:#?}");
        assert!(
            shown[5].starts_with("line 7: labels: \"Urgent\" is not"),
            "{shown:#?}"
        );
        assert!(shown[6].starts_with("line 7: parent:"), "{shown:#?}");
        assert!(
            shown[7].starts_with("line 7: working_group: \"Groep\""),
            "{shown:#?}"
        );
        assert_eq!(shown[8], "line 8: has 3 fields; the header has 8");
        assert!(shown[9].contains("201 characters"), "{shown:#?}");
    }

    #[test]
    fn the_header_names_known_columns_only() {
        let problems = parse("title,prio,Owner\nx,1,2\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 1);
        assert!(
            problems[0]
                .message
                .starts_with("unknown columns \"prio\", \"owner\""),
            "{}",
            problems[0]
        );
        let problems = parse("description,labels\nx,y\n").unwrap_err();
        assert!(
            problems[0].message.contains("no `title` column"),
            "{}",
            problems[0]
        );
        let problems = parse("title,title\nx,y\n").unwrap_err();
        assert!(problems[0].message.contains("repeated columns: title"));
        // Only some columns, in any order, in any case, after a byte-order mark.
        let parsed = parse("\u{feff}Labels, Title\na;b,Iets\n").unwrap();
        assert_eq!(parsed.rows[0].title, "Iets");
        assert_eq!(parsed.rows[0].labels, vec!["a", "b"]);
    }

    #[test]
    fn labels_leave_room_for_the_two_the_import_adds() {
        let eighteen: Vec<String> = (0..18).map(|i| format!("l{i}")).collect();
        assert!(labels(&eighteen.join(";")).is_ok());
        let nineteen: Vec<String> = (0..19).map(|i| format!("l{i}")).collect();
        let err = labels(&nineteen.join(";")).unwrap_err();
        assert!(err.contains("more than 20"), "{err}");
        let with_imported = format!("{};imported", eighteen.join(";"));
        assert!(
            labels(&with_imported).is_ok(),
            "`imported` is not added twice"
        );
        let too_many = format!("{};imported", nineteen.join(";"));
        assert!(labels(&too_many).is_err());
        assert!(labels(&"a".repeat(65)).is_err());
        assert_eq!(labels(" ; a;;b ;a").unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn the_key_is_stable_and_ignores_spelling() {
        let one = parse(&format!("{HEADER}Agenda,,JenV,,,a;b,2026-03-01,\n")).unwrap();
        let two = parse(&format!(
            "{HEADER} Agenda ,,departments/JenV,,,b;a,2026-03-01T23:59:59Z,\n"
        ))
        .unwrap();
        let key = &one.rows[0].key;
        assert_eq!(key.len(), 12);
        assert!(
            key.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(key, &two.rows[0].key);
        let other = parse(&format!("{HEADER}Agenda,,BZK,,,a;b,2026-03-01,\n")).unwrap();
        assert_ne!(key, &other.rows[0].key);
        // The same content always hashes the same (a re-run finds what the first run made).
        let again = parse(&format!("{HEADER}Agenda,,JenV,,,a;b,2026-03-01,\n")).unwrap();
        assert_eq!(key, &again.rows[0].key);
    }

    #[test]
    fn repeated_rows_are_one_item() {
        let text = format!("{HEADER}A,,,,,,,\nB,,,,,,,\nA ,,,,,,,\n");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.duplicates, vec![(2, 4)]);
    }

    #[test]
    fn a_header_alone_is_no_rows() {
        let parsed = parse(HEADER).unwrap();
        assert!(parsed.rows.is_empty());
    }
}
