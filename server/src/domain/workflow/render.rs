//! Renderings of a workflow definition as diagram source: Mermaid (`stateDiagram-v2`, shown by
//! most code hosts and wikis) and Graphviz DOT. They are served by the API so that a reader can
//! see a workflow without reading its TOML.
//!
//! State names and transition ids are identifiers (see `load.rs`), so they appear unquoted in
//! Mermaid; labels are free text and are escaped where the format needs it.

use std::fmt::Write;

use super::definition::{Transition, WorkflowDefinition};

/// Mermaid `stateDiagram-v2`: `[*] --> initial`, every final state `--> [*]`, every edge
/// labelled with its transition id and its guards in brackets.
pub fn to_mermaid(definition: &WorkflowDefinition) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    // Writing to a String cannot fail; the results are ignored rather than unwrapped.
    let _ = writeln!(out, "    [*] --> {}", definition.initial());
    for state in definition.states() {
        let _ = writeln!(
            out,
            "    {} : {}",
            state.name,
            mermaid_text(&state.label_nl)
        );
    }
    for transition in definition.transitions() {
        for from in &transition.from {
            let _ = writeln!(
                out,
                "    {from} --> {} : {}",
                transition.to,
                edge_label(transition)
            );
        }
    }
    for state in definition.states().iter().filter(|state| state.is_final) {
        let _ = writeln!(out, "    {} --> [*]", state.name);
    }
    out
}

/// Graphviz DOT: a digraph named after the kind, final states drawn as double circles, edges
/// labelled like in Mermaid.
pub fn to_dot(definition: &WorkflowDefinition) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", dot_id(definition.kind()));
    out.push_str("    rankdir=LR;\n");
    out.push_str("    node [shape=circle];\n");
    out.push_str("    \"[*]\" [shape=point];\n");
    for state in definition.states() {
        let shape = if state.is_final {
            "doublecircle"
        } else {
            "circle"
        };
        let _ = writeln!(
            out,
            "    {} [shape={shape}, label={}];",
            dot_id(&state.name),
            dot_id(&format!("{}\n({})", state.label_nl, state.name))
        );
    }
    let _ = writeln!(out, "    \"[*]\" -> {};", dot_id(definition.initial()));
    for transition in definition.transitions() {
        for from in &transition.from {
            let _ = writeln!(
                out,
                "    {} -> {} [label={}];",
                dot_id(from),
                dot_id(&transition.to),
                dot_id(&edge_label(transition))
            );
        }
    }
    out.push_str("}\n");
    out
}

/// `start [work_item.assignee_required]`; a required comment is marked too, since it is a
/// condition a reader of the diagram should see.
fn edge_label(transition: &Transition) -> String {
    let mut label = transition.id.clone();
    if !transition.guards.is_empty() {
        let _ = write!(label, " [{}]", transition.guards.join(", "));
    }
    if transition.comment_required {
        label.push_str(" (comment required)");
    }
    label
}

/// A quoted DOT id. Quoting every id keeps DOT keywords (`node`, `edge`, `graph`) usable as
/// state names.
fn dot_id(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Mermaid ends a statement at `;` and starts a comment at `%%`; neither belongs in a label.
fn mermaid_text(text: &str) -> String {
    text.replace(';', ",").replace("%%", "%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::tests::default_definition;

    #[test]
    fn mermaid_shows_start_finals_and_guarded_edges() {
        let mermaid = to_mermaid(&default_definition("work_item"));
        let lines: Vec<&str> = mermaid.lines().collect();
        assert_eq!(lines[0], "stateDiagram-v2");
        assert!(lines.contains(&"    [*] --> proposed"), "{mermaid}");
        assert!(lines.contains(&"    done --> [*]"), "{mermaid}");
        assert!(lines.contains(&"    cancelled --> [*]"), "{mermaid}");
        assert!(
            lines.contains(&"    accepted --> in_progress : start [work_item.assignee_required]"),
            "{mermaid}"
        );
        assert!(
            lines.contains(&"    done --> in_progress : reopen (comment required)"),
            "{mermaid}"
        );
        // `*open` is drawn as one edge per open state.
        assert!(
            lines.contains(&"    blocked --> cancelled : cancel"),
            "{mermaid}"
        );
        assert!(!mermaid.contains("done --> cancelled"), "{mermaid}");
        assert!(lines.contains(&"    proposed : Voorgesteld"), "{mermaid}");
    }

    #[test]
    fn dot_draws_final_states_as_double_circles() {
        let dot = to_dot(&default_definition("recommendation"));
        let lines: Vec<&str> = dot.lines().collect();
        assert_eq!(lines[0], "digraph \"recommendation\" {");
        assert_eq!(lines.last(), Some(&"}"));
        assert!(
            lines.contains(
                &"    \"verified\" [shape=doublecircle, label=\"Geverifieerd\\n(verified)\"];"
            ),
            "{dot}"
        );
        assert!(
            lines.contains(&"    \"received\" [shape=circle, label=\"Ontvangen\\n(received)\"];"),
            "{dot}"
        );
        assert!(lines.contains(&"    \"[*]\" -> \"received\";"), "{dot}");
        assert!(
            lines.contains(
                &"    \"received\" -> \"rejected\" [label=\"reject [recommendation.response_recorded]\"];"
            ),
            "{dot}"
        );
        assert!(
            lines.contains(
                &"    \"partially_accepted\" -> \"in_implementation\" [label=\"start_implementation\"];"
            ),
            "{dot}"
        );
    }

    #[test]
    fn dot_escapes_quotes_in_labels() {
        assert_eq!(dot_id("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
    }
}
