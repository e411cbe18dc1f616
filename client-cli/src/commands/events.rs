//! Case events, as `regie cases history`, `regie cases comment`, `regie cases watch` and
//! `regie audit list` print them: one table row or line per event, with a short description of
//! what happened (`start: accepted → in_progress`, a comment, the fields that changed).

use regie_proto::v1::{
    CaseEvent, ListAuditEventsResponse, ListCaseEventsRequest, ListCaseEventsResponse,
    WatchEventsRequest, WatchEventsResponse, watch_events_response::Item,
};
use serde_json::Value;

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{CaseHistory, CaseWatch, OutputFormat, RatingParser};
use crate::error::CliError;
use crate::names::{CASES, short_id};
use crate::output::{self, or_dash};

/// The longest comment shown in a table cell or a watch line.
const COMMENT_CHARS: usize = 60;

/// Fields that change with every event, left out of "changed: …" for `case.updated`.
const BOOKKEEPING: &[&str] = &["etag", "revision", "update_time", "updateTime", "overdue"];

pub async fn history(ctx: &Context, args: CaseHistory) -> Result<(), CliError> {
    let conn = &ctx.conn;
    render::list(ctx.output, &args.page, async |page_token| {
        let request = ListCaseEventsRequest {
            name: args.case.clone(),
            page_size: args.page.page_size,
            page_token,
        };
        conn.call(conn.cases().list_case_events(conn.request(request)))
            .await
    })
    .await
}

/// The events of one case.
impl Listing for ListCaseEventsResponse {
    type Item = CaseEvent;
    const HEADER: &'static [&'static str] =
        &["SEQ", "REV", "TIME", "TYPE", "ACTOR", "TRANSITION/COMMENT"];
    const EMPTY: &'static str = "no events found";
    fn items(&self) -> &[CaseEvent] {
        &self.events
    }
    fn row(e: &CaseEvent) -> Vec<String> {
        row(e, false)
    }
}
render::paged!(ListCaseEventsResponse => events);

/// The audit log, which mixes cases: with a CASE column.
impl Listing for ListAuditEventsResponse {
    type Item = CaseEvent;
    const HEADER: &'static [&'static str] = &[
        "SEQ",
        "REV",
        "TIME",
        "CASE",
        "TYPE",
        "ACTOR",
        "TRANSITION/COMMENT",
    ];
    const EMPTY: &'static str = "no events found";
    fn items(&self) -> &[CaseEvent] {
        &self.events
    }
    fn row(e: &CaseEvent) -> Vec<String> {
        row(e, true)
    }
}
render::paged!(ListAuditEventsResponse => events);

/// An event's cells; `with_case` adds the case after the time.
fn row(e: &CaseEvent, with_case: bool) -> Vec<String> {
    let mut row = vec![
        e.sequence.to_string(),
        e.case_sequence.to_string(),
        output::timestamp(e.time.as_ref()),
    ];
    if with_case {
        row.push(short_id(CASES, &e.case).to_owned());
    }
    row.extend([e.r#type.clone(), or_dash(&e.actor), describe(e)]);
    row
}

/// One event (e.g. the comment just added), as a key/value table.
impl Show for CaseEvent {
    fn text(&self) -> String {
        let e = self;
        output::key_value_table(vec![
            ("SEQUENCE", e.sequence.to_string()),
            ("CASE", e.case.clone()),
            ("REVISION", e.case_sequence.to_string()),
            ("TYPE", e.r#type.clone()),
            ("TIME", output::timestamp(e.time.as_ref())),
            ("ACTOR", or_dash(&e.actor)),
            ("COMMENT", or_dash(&e.comment)),
        ])
        .to_string()
    }
}

/// What happened, in a few words.
pub fn describe(e: &CaseEvent) -> String {
    let comment = output::truncate(&e.comment, COMMENT_CHARS);
    let (before, after) = sides(e);
    match e.r#type.as_str() {
        "case.transitioned" => {
            let mut text = match (state(&before), state(&after)) {
                (Some(from), Some(to)) => format!("{}: {from} → {to}", e.transition),
                _ => e.transition.clone(),
            };
            if !comment.is_empty() {
                text.push_str(" — ");
                text.push_str(&comment);
            }
            text
        }
        "case.created" => state(&e.after).map_or_else(String::new, |s| format!("created as {s}")),
        "cycle.rated" => rated(&before, &after).unwrap_or(comment),
        "case.updated" => {
            let fields = changed_fields(&before, &after);
            if fields.is_empty() {
                String::new()
            } else {
                format!("changed: {}", fields.join(", "))
            }
        }
        _ => comment,
    }
}

/// The case before and after the event, as far as the event tells: the whole case for events
/// that carry both copies, and for those that carry a JSON Patch, the parts it touches (what
/// each `test` found before, what each `add` and `replace` left after), with the entries of a
/// list in the order the patch names them.
fn sides(e: &CaseEvent) -> (String, String) {
    if e.patch.is_empty() {
        return (e.before.clone(), e.after.clone());
    }
    let Ok(Value::Array(ops)) = serde_json::from_str::<Value>(&e.patch) else {
        return (String::new(), String::new());
    };
    let (mut before, mut after) = (Value::Null, Value::Null);
    for op in &ops {
        let (Some(kind), Some(path)) = (
            op.get("op").and_then(Value::as_str),
            op.get("path").and_then(Value::as_str),
        ) else {
            continue;
        };
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        let tokens: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        match kind {
            "test" => put(&mut before, &tokens, value),
            "add" | "replace" => put(&mut after, &tokens, value),
            _ => {}
        }
    }
    (before.to_string(), after.to_string())
}

/// Sets `value` at the path `tokens` in a sparse document, making the objects and lists on the
/// way; a list entry is appended, whatever its index.
fn put(doc: &mut Value, tokens: &[String], value: Value) {
    let Some((head, rest)) = tokens.split_first() else {
        *doc = value;
        return;
    };
    if head == "-" || head.parse::<usize>().is_ok() {
        if !doc.is_array() {
            *doc = Value::Array(Vec::new());
        }
        if let Value::Array(entries) = doc {
            entries.push(Value::Null);
            if let Some(last) = entries.last_mut() {
                put(last, rest, value);
            }
        }
    } else {
        if !doc.is_object() {
            *doc = Value::Object(serde_json::Map::new());
        }
        if let Value::Object(fields) = doc {
            put(
                fields.entry(head.clone()).or_insert(Value::Null),
                rest,
                value,
            );
        }
    }
}

/// A cycle's ratings in a case snapshot, as JSON objects.
fn ratings(json: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|value| {
            value
                .pointer("/details/assessment_cycle/ratings")
                .and_then(Value::as_array)
                .cloned()
        })
        .unwrap_or_default()
}

/// A rating's criterion, its rating as `--rating` spells it, and whether it is carried over.
fn rating_parts(rating: &Value) -> Option<(&str, String, bool)> {
    let criterion = rating.get("criterion")?.as_str()?;
    let value = RatingParser::normalise(rating.get("rating")?.as_str()?);
    let carried = rating.get("carried_over").and_then(Value::as_bool) == Some(true);
    Some((criterion, value, carried))
}

/// What a `cycle.rated` event rated: `BN-05: partially-met`, with what it was before (`was
/// met`), or that a carried-over rating was confirmed.
fn rated(before: &str, after: &str) -> Option<String> {
    let before = ratings(before);
    let after = ratings(after);
    let changed = after.iter().find(|r| !before.contains(r))?;
    let (criterion, rating, _) = rating_parts(changed)?;
    let previous = before
        .iter()
        .filter_map(rating_parts)
        .find(|(c, _, _)| *c == criterion);
    Some(match previous {
        None => format!("{criterion}: {rating}"),
        Some((_, old, true)) if old == rating => {
            format!("{criterion}: {rating} (carried over, confirmed)")
        }
        Some((_, old, true)) => format!("{criterion}: {rating} (was {old}, carried over)"),
        Some((_, old, false)) if old == rating => format!("{criterion}: {rating} (again)"),
        Some((_, old, false)) => format!("{criterion}: {rating} (was {old})"),
    })
}

/// The `state` field of a case serialised as JSON, if there is one.
fn state(json: &str) -> Option<String> {
    let value: Value = serde_json::from_str(json).ok()?;
    value
        .get("state")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The fields whose values differ between two JSON objects, bookkeeping left out; inside
/// nested objects as dotted paths (`details.recommendation.response`).
fn changed_fields(before: &str, after: &str) -> Vec<String> {
    let parse = |json: &str| match serde_json::from_str(json) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (parse(before), parse(after));
    let mut fields = Vec::new();
    diff("", &before, &after, &mut fields);
    fields.retain(|f| !BOOKKEEPING.contains(&f.as_str()));
    fields.sort();
    fields
}

fn diff(
    prefix: &str,
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
    fields: &mut Vec<String>,
) {
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    for key in keys {
        let path = format!("{prefix}{key}");
        match (before.get(key), after.get(key)) {
            (Some(Value::Object(b)), Some(Value::Object(a))) => {
                diff(&format!("{path}."), b, a, fields);
            }
            (b, a) if b != a => fields.push(path),
            _ => {}
        }
    }
}

/// Follows the log until the server ends the stream (exit 0), Ctrl-C (exit 0), or no one reads
/// the output any more.
pub async fn watch(ctx: &Context, args: CaseWatch) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let request = WatchEventsRequest {
        after_sequence: args.after,
        kind: args.kind.unwrap_or_default(),
        department: args.department.unwrap_or_default(),
        case: args.case.unwrap_or_default(),
    };
    let mut client = conn.cases();
    // Opening the stream is bounded by --timeout; the stream itself runs as long as it likes.
    let mut stream = conn
        .call(client.watch_events(conn.stream_request(request)))
        .await?;
    let interrupted = async {
        // Without a Ctrl-C handler the watch simply runs until the stream ends.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(interrupted);
    loop {
        let response = tokio::select! {
            () = &mut interrupted => return Ok(()),
            message = stream.message() => message?,
        };
        let Some(response) = response else {
            return Ok(());
        };
        let Some(line) = watch_line(ctx.output, &response, args.heartbeats)? else {
            continue;
        };
        if !output::emit_streamed(&line)? {
            return Ok(());
        }
    }
}

/// The line to print for one streamed item, if any: `SEQ TIME TYPE CASE detail`, or the item as
/// compact JSON (heartbeats only when asked for).
fn watch_line(
    format: OutputFormat,
    response: &WatchEventsResponse,
    heartbeats: bool,
) -> Result<Option<String>, CliError> {
    match (&response.item, format) {
        (Some(Item::Event(e)), OutputFormat::Table) => {
            let line = format!(
                "{:>6}  {}  {:<17}  {}  {}",
                e.sequence,
                output::timestamp(e.time.as_ref()),
                e.r#type,
                short_id(CASES, &e.case),
                describe(e)
            );
            Ok(Some(line.trim_end().to_owned()))
        }
        (Some(Item::Event(_)), OutputFormat::Json) => Ok(Some(output::to_json_line(response)?)),
        (Some(Item::Heartbeat(_)), OutputFormat::Json) if heartbeats => {
            Ok(Some(output::to_json_line(response)?))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use prost_types::Timestamp;
    use regie_proto::v1::Heartbeat;

    use super::*;

    fn event(kind: &str) -> CaseEvent {
        CaseEvent {
            sequence: 42,
            case: "cases/abc".into(),
            case_sequence: 3,
            r#type: kind.into(),
            actor: "admin".into(),
            time: Some(Timestamp {
                seconds: 1_772_380_800,
                nanos: 0,
            }),
            ..CaseEvent::default()
        }
    }

    #[test]
    fn cycle_rated_rows_show_the_criterion_and_the_rating() {
        let snapshot = |ratings: &str| {
            format!(
                r#"{{"state":"self_assessment","details":{{"assessment_cycle":{{"year":2026,
                "criteria":["BN-01","BN-02","TH-03"],"ratings":[{ratings}]}}}}}}"#
            )
        };
        let bn01 = r#"{"criterion":"BN-01","rating":"met","carried_over":false,"rate_time":1}"#;
        let carried =
            r#"{"criterion":"BN-02","rating":"not_met","carried_over":true,"rate_time":0}"#;
        let mut e = event("cycle.rated");
        // A first rating.
        e.after = snapshot(&format!(
            r#"{bn01},{carried},{{"criterion":"TH-03","rating":"partially_met","carried_over":false,"rate_time":2}}"#
        ));
        e.before = snapshot(&format!("{bn01},{carried}"));
        assert_eq!(describe(&e), "TH-03: partially-met");
        // A carried-over rating confirmed, and one changed.
        e.before = snapshot(carried);
        e.after = snapshot(
            r#"{"criterion":"BN-02","rating":"not_met","carried_over":false,"rate_time":3}"#,
        );
        assert_eq!(describe(&e), "BN-02: not-met (carried over, confirmed)");
        e.after = snapshot(
            r#"{"criterion":"BN-02","rating":"partially_met","carried_over":false,"rate_time":3}"#,
        );
        assert_eq!(
            describe(&e),
            "BN-02: partially-met (was not-met, carried over)"
        );
        e.before = snapshot(bn01);
        e.after = snapshot(
            r#"{"criterion":"BN-01","rating":"not_applicable","carried_over":false,"rate_time":4}"#,
        );
        assert_eq!(describe(&e), "BN-01: not-applicable (was met)");
        // Snapshots it cannot read: the comment, as before.
        e.after = "not json".into();
        e.comment = "x".into();
        assert_eq!(describe(&e), "x");
    }

    #[test]
    fn transitions_show_the_state_change() {
        let mut e = event("case.transitioned");
        e.transition = "start".into();
        e.before = r#"{"name":"cases/abc","state":"accepted","title":"T"}"#.into();
        e.after = r#"{"name":"cases/abc","state":"in_progress","title":"T"}"#.into();
        assert_eq!(describe(&e), "start: accepted → in_progress");
        e.comment = "na overleg\nmet BZK".into();
        assert_eq!(
            describe(&e),
            "start: accepted → in_progress — na overleg met BZK"
        );
    }

    #[test]
    fn events_that_carry_a_patch_are_described_from_it() {
        let mut e = event("case.transitioned");
        e.transition = "start".into();
        e.patch = r#"[{"op":"test","path":"/state","value":"accepted"},
            {"op":"replace","path":"/state","value":"in_progress"},
            {"op":"test","path":"/revision","value":2},{"op":"replace","path":"/revision","value":3}]"#
            .into();
        assert_eq!(describe(&e), "start: accepted → in_progress");

        let mut e = event("case.updated");
        e.patch = r#"[{"op":"test","path":"/title","value":"A"},
            {"op":"replace","path":"/title","value":"B"},
            {"op":"add","path":"/labels/0","value":"x"},
            {"op":"test","path":"/details/recommendation/response","value":""},
            {"op":"replace","path":"/details/recommendation/response","value":"ok"},
            {"op":"test","path":"/update_time","value":1},{"op":"replace","path":"/update_time","value":2}]"#
            .into();
        assert_eq!(
            describe(&e),
            "changed: details.recommendation.response, labels, title"
        );

        let mut e = event("cycle.rated");
        e.patch = r#"[{"op":"test","path":"/details/assessment_cycle/ratings/1",
            "value":{"criterion":"BN-02","rating":"not_met","carried_over":true,"rate_time":0}},
            {"op":"replace","path":"/details/assessment_cycle/ratings/1",
            "value":{"criterion":"BN-02","rating":"met","carried_over":false,"rate_time":3}}]"#
            .into();
        assert_eq!(describe(&e), "BN-02: met (was not-met, carried over)");
        e.patch = r#"[{"op":"add","path":"/details/assessment_cycle/ratings/2",
            "value":{"criterion":"TH-03","rating":"partially_met","carried_over":false,"rate_time":2}}]"#
            .into();
        assert_eq!(describe(&e), "TH-03: partially-met");
        e.patch = "not json".into();
        e.comment = "x".into();
        assert_eq!(describe(&e), "x");
    }

    #[test]
    fn transitions_without_readable_states_show_the_transition() {
        let mut e = event("case.transitioned");
        e.transition = "reopen".into();
        e.before = "not json".into();
        e.after = r#"{"state":"in_progress"}"#.into();
        assert_eq!(describe(&e), "reopen");
        e.before = r#"{"state":42}"#.into();
        assert_eq!(describe(&e), "reopen");
        e.before = "[]".into();
        assert_eq!(describe(&e), "reopen");
    }

    #[test]
    fn comments_creations_and_updates() {
        let mut comment = event("case.commented");
        comment.comment = "x".repeat(100);
        let text = describe(&comment);
        assert_eq!(text.chars().count(), COMMENT_CHARS);
        assert!(text.ends_with('…'));

        let mut created = event("case.created");
        created.after = r#"{"state":"proposed"}"#.into();
        assert_eq!(describe(&created), "created as proposed");

        let mut updated = event("case.updated");
        updated.before = r#"{"title":"A","assignee":"","etag":"1","labels":["x"]}"#.into();
        updated.after = r#"{"title":"B","assignee":"Jan","etag":"2","labels":["x"],"due_time":"2026-01-01T00:00:00Z"}"#.into();
        assert_eq!(describe(&updated), "changed: assignee, due_time, title");

        let mut nested = event("case.updated");
        nested.before =
            r#"{"details":{"recommendation":{"theme":"culture","response":""}},"revision":1}"#
                .into();
        nested.after =
            r#"{"details":{"recommendation":{"theme":"culture","response":"Ja."}},"revision":2}"#
                .into();
        assert_eq!(
            describe(&nested),
            "changed: details.recommendation.response"
        );
    }

    #[test]
    fn watch_lines_per_output_format() {
        let mut e = event("case.commented");
        e.comment = "hallo".into();
        let response = WatchEventsResponse {
            item: Some(Item::Event(e)),
        };
        let line = watch_line(OutputFormat::Table, &response, false)
            .expect("renders")
            .expect("a line");
        assert_eq!(
            line,
            "    42  2026-03-01T16:00:00Z  case.commented     abc  hallo"
        );
        let json = watch_line(OutputFormat::Json, &response, false)
            .expect("renders")
            .expect("a line");
        assert!(!json.contains('\n'));
        let value: Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(
            value["event"]["sequence"], "42",
            "int64 is a string in JSON"
        );

        let heartbeat = WatchEventsResponse {
            item: Some(Item::Heartbeat(Heartbeat {
                last_sequence: 42,
                time: None,
            })),
        };
        for (format, wanted, shown) in [
            (OutputFormat::Table, false, false),
            (OutputFormat::Table, true, false),
            (OutputFormat::Json, false, false),
            (OutputFormat::Json, true, true),
        ] {
            let line = watch_line(format, &heartbeat, wanted).expect("renders");
            assert_eq!(
                line.is_some(),
                shown,
                "{format:?} with --heartbeats={wanted}"
            );
        }
    }

    #[test]
    fn audit_tables_have_a_case_column() {
        let audit = render::table::<ListAuditEventsResponse>(&[event("case.created")]).to_string();
        assert!(audit.contains("CASE"), "{audit}");
        assert!(audit.contains("abc"), "{audit}");
        let history = render::table::<ListCaseEventsResponse>(&[event("case.created")]).to_string();
        assert!(!history.contains("CASE"), "{history}");
    }
}
