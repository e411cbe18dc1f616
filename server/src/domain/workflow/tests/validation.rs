//! A definition file is refused with the file name, the line of the offending value and a
//! reason; each test breaks one thing and asserts all three.

use crate::domain::workflow::{DefinitionError, EffectKind, WorkflowDefinition};

/// The smallest valid definition; tests change or extend it.
const BASE: &str = r#"kind = "demo"
version = 1
initial = "open"

[[state]]
name = "open"
label_nl = "Open"
label_en = "Open"

[[state]]
name = "closed"
label_nl = "Gesloten"
label_en = "Closed"
final = true

[[transition]]
id = "close"
from = ["open"]
to = "closed"
label_nl = "Sluiten"
label_en = "Close"
"#;

fn parse(text: &str) -> Result<WorkflowDefinition, DefinitionError> {
    WorkflowDefinition::parse("demo.toml", text)
}

fn refusal(text: &str) -> DefinitionError {
    match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(error) => error,
    }
}

/// The 1-based line of the `nth` (0-based) line containing `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in\n{text}"))
}

/// Asserts the error points at the `nth` line containing `needle` and its reason contains
/// `reason`.
fn assert_refused(text: &str, needle: &str, nth: usize, reason: &str) {
    let error = refusal(text);
    assert_eq!(error.file, "demo.toml");
    assert_eq!(error.line, line_of(text, needle, nth), "{error}");
    assert!(
        error.reason.contains(reason),
        "reason {:?} lacks {reason:?}",
        error.reason
    );
}

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

const STATE_WAITING: &str = r#"
[[state]]
name = "waiting"
label_nl = "Wachtend"
label_en = "Waiting"
"#;

#[test]
fn the_base_definition_is_valid() {
    let definition = parse(BASE).unwrap();
    assert_eq!(definition.kind(), "demo");
    assert_eq!(definition.initial(), "open");
    assert_eq!(definition.permission("close"), Some("transition:close"));
}

#[test]
fn an_error_displays_as_file_line_reason() {
    let error = refusal(&BASE.replace("version = 1", "version = 0"));
    assert_eq!(
        error.to_string(),
        "demo.toml:2: version must be a whole number of at least 1, not 0"
    );
}

#[test]
fn a_toml_syntax_error_reports_its_line() {
    let text = BASE.replace(r#"to = "closed""#, r#"to = "closed"#);
    let error = refusal(&text);
    assert_eq!(error.line, line_of(&text, "to = ", 0), "{error}");
}

#[test]
fn an_unknown_key_is_refused_at_its_line() {
    let text = BASE.replace("final = true", "final = true\ncolour = \"red\"");
    assert_refused(&text, "colour", 0, "unknown field `colour`");
    let text = format!("owner = \"bzk\"\n{BASE}");
    assert_refused(&text, "owner", 0, "unknown field `owner`");
    let text = BASE.replace(r#"id = "close""#, "id = \"close\"\nguard = []");
    assert_refused(&text, "guard = ", 0, "unknown field `guard`");
}

#[test]
fn a_missing_label_is_refused() {
    let text = BASE.replace("label_en = \"Closed\"\n", "");
    let error = refusal(&text);
    assert!(error.reason.contains("label_en"), "{error}");
}

#[test]
fn the_version_must_be_at_least_one() {
    for version in ["0", "-3", "4294967296"] {
        let text = BASE.replace("version = 1", &format!("version = {version}"));
        assert_refused(&text, "version", 0, "at least 1");
    }
}

#[test]
fn an_empty_state_name_is_refused() {
    let text = BASE.replace(r#"name = "closed""#, r#"name = """#);
    assert_refused(&text, r#"name = """#, 0, "state name is empty");
}

#[test]
fn a_state_name_must_be_an_identifier() {
    let text = BASE.replace(r#"name = "closed""#, r#"name = "Closed down""#);
    assert_refused(&text, "Closed down", 0, "is not an identifier");
}

#[test]
fn a_duplicate_state_name_is_refused_at_the_second_declaration() {
    let text = with(
        r#"
[[state]]
name = "closed"
label_nl = "Dicht"
label_en = "Shut"
final = true
"#,
    );
    assert_refused(
        &text,
        r#"name = "closed""#,
        1,
        "state `closed` is declared more than once",
    );
}

#[test]
fn a_duplicate_transition_id_is_refused_at_the_second_declaration() {
    let text = with(
        r#"
[[transition]]
id = "close"
from = ["open"]
to = "closed"
label_nl = "Dichtdoen"
label_en = "Shut"
"#,
    );
    assert_refused(
        &text,
        r#"id = "close""#,
        1,
        "transition id `close` is declared more than once",
    );
}

#[test]
fn the_initial_state_must_be_declared() {
    let text = BASE.replace(r#"initial = "open""#, r#"initial = "opened""#);
    assert_refused(
        &text,
        "initial",
        0,
        "initial names `opened`, which is not a declared state (declared: open, closed)",
    );
}

#[test]
fn from_and_to_must_name_declared_states() {
    let text = BASE.replace(r#"from = ["open"]"#, r#"from = ["open", "ajar"]"#);
    assert_refused(
        &text,
        "ajar",
        0,
        "names `ajar`, which is not a declared state",
    );
    let text = BASE.replace(r#"to = "closed""#, r#"to = "shut""#);
    assert_refused(
        &text,
        "shut",
        0,
        "names `shut`, which is not a declared state",
    );
}

#[test]
fn from_must_name_at_least_one_state() {
    let text = BASE.replace(r#"from = ["open"]"#, "from = []");
    assert_refused(&text, "from = []", 0, "names no state");
}

#[test]
fn a_transition_must_change_the_state() {
    let text = with(
        r#"
[[transition]]
id = "stay"
from = ["open"]
to = "open"
label_nl = "Blijven"
label_en = "Stay"
"#,
    );
    assert_refused(
        &text,
        r#"from = ["open"]"#,
        1,
        "from `open` to `open` itself",
    );
}

#[test]
fn a_state_named_twice_in_from_is_refused() {
    let text = with(&format!(
        "{STATE_WAITING}{}",
        r#"
[[transition]]
id = "wait"
from = ["open"]
to = "waiting"
label_nl = "Wachten"
label_en = "Wait"

[[transition]]
id = "give_up"
from = ["*open", "waiting"]
to = "closed"
label_nl = "Opgeven"
label_en = "Give up"
"#
    ));
    assert_refused(&text, "*open", 0, "names `waiting` more than once");
}

#[test]
fn every_state_must_be_reachable_from_the_initial_state() {
    let text = with(STATE_WAITING);
    assert_refused(
        &text,
        r#"name = "waiting""#,
        0,
        "state `waiting` cannot be reached from the initial state `open`",
    );
}

#[test]
fn a_final_state_must_be_reachable_from_every_state() {
    let text = with(&format!(
        "{STATE_WAITING}{}",
        r#"
[[transition]]
id = "wait"
from = ["open"]
to = "waiting"
label_nl = "Wachten"
label_en = "Wait"
"#
    ));
    assert_refused(
        &text,
        r#"name = "waiting""#,
        0,
        "no final state can be reached from state `waiting`",
    );
}

#[test]
fn a_definition_without_a_final_state_is_refused() {
    let text = BASE.replace("final = true\n", "");
    assert_refused(&text, r#"name = "open""#, 0, "no state is final");
}

#[test]
fn every_guard_must_be_a_known_rule() {
    let text = BASE.replace(
        r#"to = "closed""#,
        "to = \"closed\"\nguards = [\"work_item.assignee_required\",\n  \"work_item.has_budget\"]",
    );
    assert_refused(
        &text,
        "work_item.has_budget",
        0,
        "guard `work_item.has_budget` of transition `close` is not a known rule id",
    );
}

#[test]
fn a_guard_listed_twice_is_refused() {
    let text = BASE.replace(
        r#"to = "closed""#,
        "to = \"closed\"\nguards = [\"work_item.assignee_required\", \"work_item.assignee_required\"]",
    );
    assert_refused(&text, "guards", 0, "listed twice");
}

#[test]
fn a_guard_whose_check_is_not_built_yet_is_still_a_known_rule() {
    let text = BASE.replace(
        r#"to = "closed""#,
        "to = \"closed\"\nguards = [\"decree.consulted_before_adoption\"]",
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn every_effect_must_be_known() {
    let text = with("\n[[effect]]\non = \"close\"\neffect = \"send_flowers\"\n");
    assert_refused(
        &text,
        "send_flowers",
        0,
        "`send_flowers` is not a known effect; known effects: create_follow_up_items, create_observance_items",
    );
}

#[test]
fn an_effect_must_be_on_a_declared_transition() {
    let text = with("\n[[effect]]\non = \"reopen\"\neffect = \"create_follow_up_items\"\n");
    assert_refused(
        &text,
        r#"on = "reopen""#,
        0,
        "effect `on` names `reopen`, which is not a declared transition id",
    );
}

#[test]
fn an_effect_declared_twice_is_refused() {
    let effect = "\n[[effect]]\non = \"close\"\neffect = \"create_follow_up_items\"\n";
    let text = with(&format!("{effect}{effect}"));
    assert_refused(&text, "effect = ", 1, "declared more than once");
}

#[test]
fn a_permission_must_be_printable_without_spaces() {
    let text = BASE.replace(
        r#"to = "closed""#,
        "to = \"closed\"\npermission = \"close it\"",
    );
    assert_refused(&text, "permission", 0, "printable ASCII");
}

#[test]
fn labels_must_not_be_blank() {
    let text = BASE.replace(r#"label_nl = "Sluiten""#, r#"label_nl = "  ""#);
    assert_refused(
        &text,
        r#"label_nl = "  ""#,
        0,
        "label_nl of transition `close` is empty",
    );
}

#[test]
fn an_sla_must_be_positive_and_not_on_a_final_state() {
    let text = BASE.replace("label_en = \"Open\"", "label_en = \"Open\"\nsla_days = 0");
    assert_refused(&text, "sla_days", 0, "at least 1");
    let text = BASE.replace("final = true", "final = true\nsla_days = 30");
    assert_refused(&text, "sla_days", 0, "cannot have an SLA");
    let text = BASE.replace("final = true", "final = true\npauses_clock = true");
    assert_refused(&text, "pauses_clock", 0, "cannot pause the clock");
}

#[test]
fn optional_fields_are_read() {
    let text = with(&format!(
        "{STATE_WAITING}{}",
        r#"sla_days = 14
pauses_clock = true

[[transition]]
id = "wait"
from = ["open"]
to = "waiting"
permission = "case:wait"
comment_required = true
label_nl = "Wachten"
label_en = "Wait"

[[transition]]
id = "abandon"
from = ["*open"]
to = "closed"
label_nl = "Opgeven"
label_en = "Abandon"

[[effect]]
on = "close"
effect = "create_observance_items"

[[effect]]
on = "close"
effect = "create_follow_up_items"
"#
    ));
    let definition = parse(&text).unwrap();
    assert_eq!(definition.sla_days("waiting"), Some(14));
    assert!(definition.pauses_clock("waiting"));
    assert!(!definition.pauses_clock("open"));
    assert_eq!(definition.permission("wait"), Some("case:wait"));
    assert!(definition.transition("wait").unwrap().comment_required);
    assert_eq!(
        definition.transition("abandon").unwrap().from,
        ["open", "waiting"]
    );
    assert_eq!(
        definition.effects_of("close"),
        [
            EffectKind::CreateObservanceItems,
            EffectKind::CreateFollowUpItems
        ]
    );
    assert!(definition.effects_of("wait").is_empty());
    assert_eq!(definition.source(), text);
}

#[test]
fn errors_in_the_default_files_name_the_file() {
    let text = crate::domain::workflow::DEFAULT_FILES[0]
        .1
        .replace("version = 1", "version = 0");
    let error = WorkflowDefinition::parse("work_item.toml", &text).unwrap_err();
    assert!(error.to_string().starts_with("work_item.toml:"), "{error}");
}
