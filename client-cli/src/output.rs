//! Printing results: tables for people, the canonical protobuf JSON mapping for programs.
//!
//! JSON is produced generically for every message type: the prost message is encoded, decoded
//! as a `prost_reflect::DynamicMessage` with the descriptor from `regie_proto::FILE_DESCRIPTOR_SET`
//! (found by `prost::Name::full_name()`), and serialised with serde_json. Fields holding their
//! default value are printed too (the mapping allows it), so scripts always find `active` etc.

use std::io::{ErrorKind, Write as _};
use std::sync::OnceLock;

use anyhow::{Context as _, anyhow};
use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets};
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use prost_types::Timestamp;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::error::CliError;

/// The descriptors of the API and its imports, decoded once.
fn descriptor_pool() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(regie_proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| anyhow!("the built-in descriptor set does not decode: {e}"))
}

/// Renders any API message in the canonical protobuf JSON mapping, pretty-printed.
pub fn to_json<M: prost::Message + prost::Name>(message: &M) -> anyhow::Result<String> {
    render(message, true)
}

/// As [`to_json`], on one line: for streams printed as NDJSON.
pub fn to_json_line<M: prost::Message + prost::Name>(message: &M) -> anyhow::Result<String> {
    render(message, false)
}

fn render<M: prost::Message + prost::Name>(message: &M, pretty: bool) -> anyhow::Result<String> {
    let full_name = M::full_name();
    let descriptor = descriptor_pool()?
        .get_message_by_name(&full_name)
        .ok_or_else(|| anyhow!("no descriptor for {full_name}"))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .with_context(|| format!("re-decoding {full_name}"))?;
    let options = SerializeOptions::new().skip_default_fields(false);
    let mut out = Vec::new();
    let rendered = if pretty {
        dynamic.serialize_with_options(&mut serde_json::Serializer::pretty(&mut out), &options)
    } else {
        dynamic.serialize_with_options(&mut serde_json::Serializer::new(&mut out), &options)
    };
    rendered.with_context(|| format!("rendering {full_name} as JSON"))?;
    String::from_utf8(out).context("serde_json wrote invalid UTF-8")
}

/// Reads an API message from its canonical protobuf JSON mapping, as [`to_json`] writes it.
pub fn from_json<M: prost::Message + prost::Name + Default>(text: &str) -> anyhow::Result<M> {
    let full_name = M::full_name();
    let descriptor = descriptor_pool()?
        .get_message_by_name(&full_name)
        .ok_or_else(|| anyhow!("no descriptor for {full_name}"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut deserializer)?;
    deserializer.end()?;
    Ok(dynamic.transcode_to::<M>()?)
}

/// Writes `text` and a newline to stdout. A closed pipe (`regie ... | head`) is not an error.
pub fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout").into())
        }
        _ => Ok(()),
    }
}

/// Writes one line of a stream to stdout; `false` when no one reads it any more (a closed pipe),
/// which ends the stream.
pub fn emit_streamed(text: &str) -> Result<bool, CliError> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("writing to stdout").into()),
    }
}

/// Prints `message` as JSON on stdout.
pub fn emit_json<M: prost::Message + prost::Name>(message: &M) -> Result<(), CliError> {
    emit(&to_json(message)?)
}

/// Writes a note for the user on stderr (hints, "nothing found"), never mixed with the results.
pub fn note(text: &str) {
    // If stderr is gone there is no one left to tell.
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// An empty table with the given column headers.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// A two-column table of field names and values.
pub fn key_value_table(rows: Vec<(&str, String)>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    for (key, value) in rows {
        table.add_row(vec![key.to_owned(), value]);
    }
    table
}

pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A timestamp as RFC 3339 in UTC to the second, or `-` when absent or out of range.
pub fn timestamp(ts: Option<&Timestamp>) -> String {
    ts.and_then(|ts| OffsetDateTime::from_unix_timestamp(ts.seconds).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}

/// The UTC date of a timestamp (`2026-03-01`), or `-` when absent or out of range.
pub fn date(ts: Option<&Timestamp>) -> String {
    ts.and_then(|ts| OffsetDateTime::from_unix_timestamp(ts.seconds).ok())
        .map_or_else(|| "-".to_owned(), |t| t.date().to_string())
}

/// `text` cut to at most `max` characters, the last being `…` when anything was cut; on one
/// line (line breaks become spaces), for table cells.
pub fn truncate(text: &str, max: usize) -> String {
    let line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// An API enum value (`raw`, as prost stores it) spelled as the flag that sets it is spelled
/// (`partially-met`, `conflict-of-interest`): `C` is the flag's value enum and `P` the API
/// enum. The unspecified value is `-`; a value this client does not know, `unknown (N)`.
pub fn enum_name<C, P>(raw: i32) -> String
where
    C: ValueEnum + Copy,
    P: TryFrom<i32> + PartialEq + From<C>,
{
    match P::try_from(raw) {
        Ok(value) => C::value_variants()
            .iter()
            .find(|flag| P::from(**flag) == value)
            .and_then(ValueEnum::to_possible_value)
            .map_or_else(|| "-".to_owned(), |v| v.get_name().to_owned()),
        Err(_) => format!("unknown ({raw})"),
    }
}

/// Names joined by `, `, each shortened to its id (`departments/JenV` → `JenV`), or `none`.
pub fn id_list(collection: &str, names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names
        .iter()
        .map(|name| crate::names::short_id(collection, name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `text` to `path`, or to stdout when there is no path; a file gets a note on stderr.
pub fn emit_to(path: Option<&std::path::Path>, text: &str) -> Result<(), CliError> {
    let Some(path) = path else {
        return emit(text);
    };
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    note(&format!("wrote {}", path.display()));
    Ok(())
}

/// API methods that the server's texts name (in a rule's detail, an error, the description of a
/// work item it made), and the command that does the same here.
const COMMANDS: &[(&str, &str)] = &[
    ("AssessmentService.OpenCycles", "`regie cycles open`"),
    ("AssessmentService.RateCriterion", "`regie cycles rate`"),
    (
        "AssessmentService.RecordDialogue",
        "`regie cycles dialogue`",
    ),
    ("AssessmentService.ListRatings", "`regie cycles ratings`"),
    (
        "FrameworkService.RecordConsultation",
        "`regie frameworks consult`",
    ),
    (
        "FrameworkService.RecordObservance",
        "`regie frameworks observe`",
    ),
    ("RiskService.AddRisk", "`regie risks add`"),
    ("RiskService.UpdateRisk", "`regie risks update`"),
    ("CaseService.UpdateCase", "`regie cases update`"),
    ("CaseService.TransitionCase", "`regie cases transition`"),
    ("WorkflowService.ListRules", "`regie workflows rules`"),
    ("AuditService.VerifyAuditChain", "`regie audit verify`"),
];

/// A server's text for a person at the command line: each API method it names as a hint
/// (`AssessmentService.RecordDialogue`) becomes the `regie` command that does it (`regie cycles
/// dialogue`). JSON output keeps the server's text as it is.
pub fn in_cli_words(text: &str) -> String {
    let mut text = text.to_owned();
    for (method, command) in COMMANDS {
        if text.contains(method) {
            text = text.replace(method, command);
        }
    }
    text
}

/// `text`, or `-` when it is empty, so that table cells are never blank.
pub fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use regie_proto::v1::{Department, ListDepartmentsResponse};
    use serde_json::Value;

    use super::*;

    fn department() -> Department {
        Department {
            name: "departments/JenV".into(),
            code: "JenV".into(),
            name_nl: "Ministerie van Justitie en Veiligheid".into(),
            name_en: "Ministry of Justice and Security".into(),
            in_sector_rijk: true,
            active: false,
            etag: "\"7\"".into(),
            create_time: Some(Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            update_time: Some(Timestamp {
                seconds: 1_700_000_001,
                nanos: 500_000_000,
            }),
        }
    }

    #[test]
    fn departments_render_as_canonical_json() {
        let json: Value =
            serde_json::from_str(&to_json(&department()).expect("renders")).expect("valid JSON");
        assert_eq!(json["name"], "departments/JenV");
        assert_eq!(json["nameNl"], "Ministerie van Justitie en Veiligheid");
        assert_eq!(json["nameEn"], "Ministry of Justice and Security");
        assert_eq!(json["inSectorRijk"], true);
        assert_eq!(json["active"], false, "defaults are printed too");
        assert_eq!(json["createTime"], "2023-11-14T22:13:20Z");
        assert_eq!(json["updateTime"], "2023-11-14T22:13:21.500Z");
        assert!(json.get("name_nl").is_none());
    }

    #[test]
    fn list_responses_render_whole() {
        let response = ListDepartmentsResponse {
            departments: vec![department()],
            next_page_token: "abc".into(),
        };
        let json: Value =
            serde_json::from_str(&to_json(&response).expect("renders")).expect("valid JSON");
        assert_eq!(json["departments"][0]["code"], "JenV");
        assert_eq!(json["nextPageToken"], "abc");
    }

    #[test]
    fn json_lines_are_compact() {
        let line = to_json_line(&department()).expect("renders");
        assert!(!line.contains('\n'), "{line}");
        let json: Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(json["code"], "JenV");
    }

    #[test]
    fn dates_and_truncation() {
        let ts = Timestamp {
            seconds: 1_772_380_800,
            nanos: 0,
        };
        assert_eq!(date(Some(&ts)), "2026-03-01");
        assert_eq!(date(None), "-");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10!", 10), "exactly10!");
        assert_eq!(truncate("one more char", 10), "one more …");
        assert_eq!(truncate("één\ntwee", 20), "één twee");
        assert_eq!(truncate("ééééé", 3).chars().count(), 3);
    }

    #[test]
    fn enums_are_spelled_as_their_flags() {
        use crate::cli::{RatingValue, Status};
        use regie_proto::v1::{Rating, RiskStatus};
        let rating = |r: Rating| enum_name::<RatingValue, Rating>(r.into());
        assert_eq!(rating(Rating::PartiallyMet), "partially-met");
        assert_eq!(rating(Rating::NotApplicable), "not-applicable");
        assert_eq!(rating(Rating::Unspecified), "-");
        assert_eq!(enum_name::<RatingValue, Rating>(42), "unknown (42)");
        let status = enum_name::<Status, RiskStatus>(RiskStatus::RiskClosed.into());
        assert_eq!(status, "closed");
    }

    #[test]
    fn hints_name_the_cli_command_not_the_api_method() {
        assert_eq!(
            in_cli_words("no dialogue has been recorded (AssessmentService.RecordDialogue)"),
            "no dialogue has been recorded (`regie cycles dialogue`)"
        );
        assert_eq!(
            in_cli_words("Leg vast hoe BZK het naleeft (FrameworkService.RecordObservance)."),
            "Leg vast hoe BZK het naleeft (`regie frameworks observe`)."
        );
        assert_eq!(
            in_cli_words("assessment cycles are opened with AssessmentService.OpenCycles"),
            "assessment cycles are opened with `regie cycles open`"
        );
        assert_eq!(in_cli_words("nothing to change"), "nothing to change");
    }

    #[test]
    fn id_lists() {
        let names = vec!["departments/JenV".to_owned(), "departments/BZK".to_owned()];
        assert_eq!(id_list("departments", &names), "JenV, BZK");
        assert_eq!(id_list("departments", &[]), "none");
    }

    #[test]
    fn timestamps_in_tables() {
        let ts = Timestamp {
            seconds: 1_700_000_000,
            nanos: 123,
        };
        assert_eq!(timestamp(Some(&ts)), "2023-11-14T22:13:20Z");
        assert_eq!(timestamp(None), "-");
    }
}
