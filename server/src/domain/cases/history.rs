//! What an event stores of the case it changed, and how a past version is rebuilt from that.
//!
//! An event stores what changed: a JSON Patch (RFC 6902) from the case before it to the case
//! after it. Each `replace` and `remove` is preceded by a `test` of the value it overwrites, so a
//! reader of the feed sees both sides of a change, and a replay that starts from the wrong base
//! fails rather than rebuilding a case that never was. A full copy of the case (`after`) is kept
//! only where a replay starts: on the event that created the case and on every
//! [`SNAPSHOT_EVERY`]th event of its chain. A case of `n` events so costs its size once per
//! [`SNAPSHOT_EVERY`] events plus what each event changed, instead of two full copies per event,
//! and rebuilding any version applies at most `SNAPSHOT_EVERY - 1` patches
//! (`docs/architecture.md`, "Sizes" and "Time travel").
//!
//! Events written before this format (migration 0008) carry a full `before` and `after` and no
//! patch; [`replay`] starts from their `after` just the same.

use json_patch::jsonptr::PointerBuf;
use json_patch::{
    AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation, TestOperation,
};
use serde_json::Value;

use super::Case;

/// Every this many events of a case's chain, the event also stores the whole case.
pub const SNAPSHOT_EVERY: i64 = 64;

/// What one event stores of its case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The JSON Patch from the case before to the case after (empty for a created case).
    pub patch: String,
    /// The whole case after the event, where a replay may start (empty otherwise).
    pub after: String,
}

/// What the event at `case_sequence`, which changed `before` into `after`, stores. A case that
/// did not exist before (`before` is `None`) is stored whole.
pub fn record(before: Option<&Case>, after: &Case, case_sequence: i64) -> Recorded {
    let whole = || serde_json::to_string(after).unwrap_or_default();
    let Some(before) = before else {
        return Recorded {
            patch: String::new(),
            after: whole(),
        };
    };
    let (Ok(left), Ok(right)) = (serde_json::to_value(before), serde_json::to_value(after)) else {
        return Recorded {
            patch: String::new(),
            after: whole(),
        };
    };
    Recorded {
        patch: serde_json::to_string(&diff(&left, &right)).unwrap_or_default(),
        after: if case_sequence % SNAPSHOT_EVERY == 0 {
            whole()
        } else {
            String::new()
        },
    }
}

/// The patch from `left` to `right`: objects are compared field by field and lists entry by
/// entry, and an entry of a list that changed is replaced whole, so that a reader sees the whole
/// rating or risk that changed, not a field of it without the criterion or risk it belongs to.
/// Every `replace` and `remove` is preceded by a `test` of the value it overwrites.
fn diff(left: &Value, right: &Value) -> Patch {
    let mut ops = Vec::new();
    diff_at(left, right, &mut PointerBuf::new(), &mut ops);
    Patch(ops)
}

fn diff_at(left: &Value, right: &Value, path: &mut PointerBuf, ops: &mut Vec<PatchOperation>) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            for (key, value) in r {
                path.push_back(key);
                match l.get(key) {
                    Some(old) => diff_at(old, value, path, ops),
                    None => ops.push(add(path, value)),
                }
                path.pop_back();
            }
            for (key, old) in l.iter().filter(|(k, _)| !r.contains_key(*k)) {
                path.push_back(key);
                ops.extend(remove(path, old));
                path.pop_back();
            }
        }
        (Value::Array(l), Value::Array(r)) => {
            for (i, (old, new)) in l.iter().zip(r).enumerate() {
                if old != new {
                    path.push_back(i);
                    ops.extend(replace(path, old, new));
                    path.pop_back();
                }
            }
            for (i, new) in r.iter().enumerate().skip(l.len()) {
                path.push_back(i);
                ops.push(add(path, new));
                path.pop_back();
            }
            // From the end, so that the indices of the entries still to go stay put.
            for (i, old) in l.iter().enumerate().skip(r.len()).rev() {
                path.push_back(i);
                ops.extend(remove(path, old));
                path.pop_back();
            }
        }
        (old, new) if old != new => ops.extend(replace(path, old, new)),
        _ => {}
    }
}

fn test(path: &PointerBuf, old: &Value) -> PatchOperation {
    PatchOperation::Test(TestOperation {
        path: path.clone(),
        value: old.clone(),
    })
}

fn add(path: &PointerBuf, new: &Value) -> PatchOperation {
    PatchOperation::Add(AddOperation {
        path: path.clone(),
        value: new.clone(),
    })
}

fn replace(path: &PointerBuf, old: &Value, new: &Value) -> [PatchOperation; 2] {
    [
        test(path, old),
        PatchOperation::Replace(ReplaceOperation {
            path: path.clone(),
            value: new.clone(),
        }),
    ]
}

fn remove(path: &PointerBuf, old: &Value) -> [PatchOperation; 2] {
    [
        test(path, old),
        PatchOperation::Remove(RemoveOperation { path: path.clone() }),
    ]
}

/// The case rebuilt from the whole case `base` (an event's `after`) and the patches of the
/// events after it, in order. An error says the stored history does not rebuild: a patch that
/// does not parse or whose `test` fails.
pub fn replay<'a>(base: &str, patches: impl IntoIterator<Item = &'a str>) -> Result<Case, String> {
    let mut doc: Value =
        serde_json::from_str(base).map_err(|e| format!("a stored case does not parse: {e}"))?;
    for (i, text) in patches.into_iter().enumerate() {
        if text.is_empty() {
            continue;
        }
        let patch: Patch = serde_json::from_str(text)
            .map_err(|e| format!("stored patch {} does not parse: {e}", i + 1))?;
        json_patch::patch(&mut doc, &patch.0)
            .map_err(|e| format!("stored patch {} does not apply: {e}", i + 1))?;
    }
    serde_json::from_value(doc).map_err(|e| format!("the rebuilt case does not parse: {e}"))
}

/// The fields of a case that change with every event and say nothing a reader asked about.
const BOOKKEEPING: [&str; 5] = [
    "revision",
    "update_time",
    "state_enter_time",
    "paused_micros",
    "workflow_version",
];

/// One field an event changed, for a reader: its path (`title`, `details/response`,
/// `labels/1`), what it was and what it became (`None`: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// What an event's stored patch changed, field by field, without the bookkeeping fields; the
/// old values come from the patch's `test` operations. A patch that does not parse gives
/// nothing (the chain's verification is what reports a damaged history).
pub fn changes(patch: &str) -> Vec<Change> {
    let Ok(Patch(ops)) = serde_json::from_str::<Patch>(patch) else {
        return Vec::new();
    };
    let mut out: Vec<Change> = Vec::new();
    let mut tested: Option<(String, Value)> = None;
    for op in ops {
        let (path, old, new) = match op {
            PatchOperation::Test(t) => {
                tested = Some((field_name(&t.path), t.value));
                continue;
            }
            PatchOperation::Replace(r) => {
                let field = field_name(&r.path);
                (
                    field.clone(),
                    take_tested(&mut tested, &field),
                    Some(r.value),
                )
            }
            PatchOperation::Remove(r) => {
                let field = field_name(&r.path);
                (field.clone(), take_tested(&mut tested, &field), None)
            }
            PatchOperation::Add(a) => (field_name(&a.path), None, Some(a.value)),
            _ => continue,
        };
        if BOOKKEEPING.contains(&path.as_str()) {
            continue;
        }
        out.push(Change {
            field: path,
            old,
            new,
        });
    }
    out
}

fn field_name(path: &PointerBuf) -> String {
    path.as_str().trim_start_matches('/').to_owned()
}

fn take_tested(tested: &mut Option<(String, Value)>, field: &str) -> Option<Value> {
    match tested.take() {
        Some((path, value)) if path == field => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::Details;
    use crate::domain::cases::risk::{Category, Process, Risk, RiskAnalysis, Status};

    fn case(revision: i64) -> Case {
        Case {
            revision,
            update_time: revision,
            ..Case::sample()
        }
    }

    #[test]
    fn a_created_case_is_stored_whole_and_a_change_as_a_patch_that_names_the_old_values() {
        let first = case(1);
        let created = record(None, &first, 1);
        assert!(created.patch.is_empty());
        assert_eq!(Case::from_snapshot(&created.after), Some(first.clone()));

        let mut second = first.clone();
        second.revision = 2;
        second.state = "in_progress".into();
        second.labels.pop();
        let changed = record(Some(&first), &second, 2);
        assert!(changed.after.is_empty(), "no copy between snapshots");
        let ops: Vec<Value> = serde_json::from_str(&changed.patch).expect("a patch");
        assert!(ops.contains(&serde_json::json!(
            {"op": "test", "path": "/state", "value": "open"}
        )));
        assert!(ops.contains(&serde_json::json!(
            {"op": "replace", "path": "/state", "value": "in_progress"}
        )));
        assert!(ops.contains(&serde_json::json!(
            {"op": "test", "path": "/labels/2", "value": "c"}
        )));
        assert_eq!(
            replay(&created.after, [changed.patch.as_str()]).expect("replays"),
            second
        );
    }

    #[test]
    fn every_sixty_fourth_event_keeps_a_whole_copy() {
        let (a, b) = (case(63), case(64));
        assert!(record(Some(&a), &b, 63).after.is_empty());
        assert_eq!(
            Case::from_snapshot(&record(Some(&a), &b, 64).after),
            Some(b)
        );
    }

    #[test]
    fn adding_to_a_long_list_stores_only_the_new_entry() {
        let mut before = case(1);
        let risk = |i: u32| Risk {
            id: i,
            title: "x".repeat(1000),
            category: Category::Other,
            process: Process::Other,
            likelihood: 3,
            impact: 4,
            mitigation: String::new(),
            owner: String::new(),
            status: Status::Open,
            create_time: 1,
            update_time: 1,
        };
        before.details = Details::RiskAnalysis(RiskAnalysis {
            risks: (0..50).map(risk).collect(),
            ..RiskAnalysis::default()
        });
        let mut after = before.clone();
        after.revision = 2;
        if let Details::RiskAnalysis(r) = &mut after.details {
            r.risks.push(risk(50));
        }
        let recorded = record(Some(&before), &after, 2);
        assert!(
            recorded.patch.len() < 1600,
            "{} bytes for one risk of 1000",
            recorded.patch.len()
        );
        assert_eq!(
            replay(&before.snapshot(), [recorded.patch.as_str()]).expect("replays"),
            after
        );
    }

    #[test]
    fn a_changed_entry_of_a_list_is_replaced_whole_and_removed_entries_go_from_the_end() {
        let left = serde_json::json!({"ratings": [
            {"criterion": "BN-01", "rating": "met"},
            {"criterion": "BN-02", "rating": "not_met"},
            {"criterion": "BN-03", "rating": "met"},
            {"criterion": "BN-04", "rating": "met"},
        ]});
        let right = serde_json::json!({"ratings": [
            {"criterion": "BN-01", "rating": "met"},
            {"criterion": "BN-02", "rating": "met"},
        ]});
        let patch = diff(&left, &right);
        assert_eq!(
            serde_json::to_value(&patch).expect("encodes"),
            serde_json::json!([
                {"op": "test", "path": "/ratings/1", "value": {"criterion": "BN-02", "rating": "not_met"}},
                {"op": "replace", "path": "/ratings/1", "value": {"criterion": "BN-02", "rating": "met"}},
                {"op": "test", "path": "/ratings/3", "value": {"criterion": "BN-04", "rating": "met"}},
                {"op": "remove", "path": "/ratings/3"},
                {"op": "test", "path": "/ratings/2", "value": {"criterion": "BN-03", "rating": "met"}},
                {"op": "remove", "path": "/ratings/2"},
            ])
        );
        let mut doc = left.clone();
        json_patch::patch(&mut doc, &patch.0).expect("applies");
        assert_eq!(doc, right);
        let mut grown = right.clone();
        json_patch::patch(&mut grown, &diff(&right, &left).0).expect("applies");
        assert_eq!(grown, left);
    }

    #[test]
    fn a_replay_from_the_wrong_base_fails_instead_of_inventing_a_case() {
        let (a, mut b) = (case(1), case(2));
        b.state = "done".into();
        let recorded = record(Some(&a), &b, 2);
        let mut other = a.clone();
        other.state = "elsewhere".into();
        let err = replay(&other.snapshot(), [recorded.patch.as_str()]).expect_err("refused");
        assert!(err.contains("does not apply"), "{err}");
        assert!(replay("{", []).is_err());
        assert!(replay(&a.snapshot(), ["[{\"op\":\"jump\"}]"]).is_err());
    }

    #[test]
    fn changes_name_each_field_with_its_old_and_new_value_and_skip_the_bookkeeping() {
        let patch = r#"[
            {"op": "test", "path": "/title", "value": "Oud"},
            {"op": "replace", "path": "/title", "value": "Nieuw"},
            {"op": "test", "path": "/revision", "value": 3},
            {"op": "replace", "path": "/revision", "value": 4},
            {"op": "add", "path": "/labels/0", "value": "ipim"},
            {"op": "test", "path": "/assignee", "value": "anna"},
            {"op": "remove", "path": "/assignee"}
        ]"#;
        let found = changes(patch);
        assert_eq!(
            found,
            vec![
                Change {
                    field: "title".into(),
                    old: Some(Value::from("Oud")),
                    new: Some(Value::from("Nieuw")),
                },
                Change {
                    field: "labels/0".into(),
                    old: None,
                    new: Some(Value::from("ipim")),
                },
                Change {
                    field: "assignee".into(),
                    old: Some(Value::from("anna")),
                    new: None,
                },
            ]
        );
        assert!(changes("not json").is_empty());
    }
}
