//! `regie workflows …`: the workflows of the case kinds (states, transitions, diagrams),
//! publishing a new version, and the rule catalogue.

use anyhow::Context as _;
use regie_proto::v1::{
    GetWorkflowRequest, ListRulesRequest, ListWorkflowsRequest, ListWorkflowsResponse,
    PublishWorkflowRequest, Rule, Workflow,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{DiagramFormat, Lang, OutputFormat, WorkflowCommand};
use crate::error::CliError;
use crate::output::{self, emit, emit_json, or_dash, yes_no};

pub async fn run(ctx: &Context, command: WorkflowCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.workflows();
    match command {
        WorkflowCommand::List => {
            let response = conn
                .call(client.list_workflows(conn.request(ListWorkflowsRequest {})))
                .await?;
            render::print(ctx.output, &response)
        }
        WorkflowCommand::Show(workflow) => {
            // Cli::checked has made sure the name can be built.
            let request = GetWorkflowRequest {
                name: workflow.name().map_err(anyhow::Error::msg)?,
            };
            let workflow = conn
                .call(client.get_workflow(conn.request(request)))
                .await?;
            render::show(ctx.output, &workflow)
        }
        WorkflowCommand::Diagram { workflow, format } => {
            let request = GetWorkflowRequest {
                name: workflow.name().map_err(anyhow::Error::msg)?,
            };
            let workflow = conn
                .call(client.get_workflow(conn.request(request)))
                .await?;
            // The rendering itself, whatever --output says: it is meant for a file or a pipe.
            emit(match format {
                DiagramFormat::Mermaid => &workflow.mermaid,
                DiagramFormat::Dot => &workflow.dot,
            })
        }
        WorkflowCommand::Publish { file } => {
            let definition = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let request = PublishWorkflowRequest { definition };
            let workflow = conn
                .call(client.publish_workflow(conn.request(request)))
                .await?;
            match ctx.output {
                OutputFormat::Json => emit_json(&workflow),
                OutputFormat::Table => emit(&summary(&workflow).to_string()),
            }
        }
        WorkflowCommand::Rules { lang } => {
            let response = conn
                .call(client.list_rules(conn.request(ListRulesRequest {})))
                .await?;
            if ctx.output == OutputFormat::Json {
                return emit_json(&response);
            }
            emit(&rules_table(&response.rules, lang).to_string())
        }
    }
}

/// The rule catalogue: the Dutch and the English sentence, or only those of `lang`.
fn rules_table(rules: &[Rule], lang: Option<Lang>) -> comfy_table::Table {
    let (nl, en) = match lang {
        None => (true, true),
        Some(Lang::Nl) => (true, false),
        Some(Lang::En) => (false, true),
    };
    let mut header = vec!["RULE", "IMPLEMENTED"];
    header.extend(nl.then_some("SENTENCE (NL)"));
    header.extend(en.then_some("SENTENCE (EN)"));
    header.push("SOURCE");
    let mut table = output::table(&header);
    for r in rules {
        let mut row = vec![r.id.clone(), yes_no(r.implemented).to_owned()];
        row.extend(nl.then(|| or_dash(&r.sentence_nl)));
        row.extend(en.then(|| or_dash(&r.sentence_en)));
        row.push(or_dash(&r.source));
        table.add_row(row);
    }
    table
}

/// The latest version of each kind's workflow.
impl Listing for ListWorkflowsResponse {
    type Item = Workflow;
    const HEADER: &'static [&'static str] =
        &["KIND", "VERSION", "INITIAL", "STATES", "TRANSITIONS"];
    const EMPTY: &'static str = "no workflows found";
    fn items(&self) -> &[Workflow] {
        &self.workflows
    }
    fn row(w: &Workflow) -> Vec<String> {
        vec![
            w.kind.clone(),
            w.version.to_string(),
            w.initial_state.clone(),
            w.states.len().to_string(),
            w.transitions.len().to_string(),
        ]
    }
}

/// The workflow at a glance: name, kind, version, initial state and counts.
fn summary(w: &Workflow) -> comfy_table::Table {
    output::key_value_table(vec![
        ("NAME", w.name.clone()),
        ("KIND", w.kind.clone()),
        ("VERSION", w.version.to_string()),
        ("INITIAL STATE", or_dash(&w.initial_state)),
        ("STATES", w.states.len().to_string()),
        ("TRANSITIONS", w.transitions.len().to_string()),
        ("PUBLISHED", output::timestamp(w.publish_time.as_ref())),
    ])
}

/// A workflow: its summary, states, transitions and effects.
impl Show for Workflow {
    fn text(&self) -> String {
        let w = self;
        let mut states = output::table(&[
            "STATE",
            "LABEL NL",
            "LABEL EN",
            "FINAL",
            "SLA DAYS",
            "PAUSES CLOCK",
        ]);
        for s in &w.states {
            states.add_row(vec![
                s.name.clone(),
                or_dash(&s.label_nl),
                or_dash(&s.label_en),
                yes_no(s.r#final).to_owned(),
                if s.sla_days == 0 {
                    "-".to_owned()
                } else {
                    s.sla_days.to_string()
                },
                yes_no(s.pauses_clock).to_owned(),
            ]);
        }

        let mut transitions =
            output::table(&["ID", "FROM", "TO", "GUARDS", "COMMENT", "PERMISSION"]);
        for t in &w.transitions {
            let guards: Vec<&str> = t.guards.iter().map(|g| g.id.as_str()).collect();
            transitions.add_row(vec![
                t.id.clone(),
                t.from_states.join(", "),
                t.to_state.clone(),
                or_dash(&guards.join("\n")),
                if t.comment_required { "required" } else { "-" }.to_owned(),
                or_dash(&t.permission),
            ]);
        }
        let text = format!("{}\n{states}\n{transitions}", summary(w));
        if w.effects.is_empty() {
            return text;
        }
        let mut effects = output::table(&["ON TRANSITION", "EFFECT"]);
        for e in &w.effects {
            effects.add_row(vec![e.transition.clone(), e.effect.clone()]);
        }
        format!("{text}\n{effects}")
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn rule() -> Rule {
        Rule {
            id: "work_item.assignee_required".into(),
            sentence_nl: "Aan een werkgroep-item wordt pas gewerkt als er een behandelaar is."
                .into(),
            sentence_en: "Work on an item starts only once it has an assignee.".into(),
            source: String::new(),
            implemented: true,
        }
    }

    fn lang(args: &[&str]) -> Option<Lang> {
        let cli = Cli::try_parse_from(["regie", "workflows", "rules"].iter().chain(args))
            .expect("valid command line");
        let Command::Workflows(WorkflowCommand::Rules { lang }) = cli.command else {
            panic!("parsed as the wrong command");
        };
        lang
    }

    #[test]
    fn rules_show_dutch_and_english_or_the_language_chosen() {
        assert_eq!(lang(&[]), None);
        assert_eq!(lang(&["--lang"]), Some(Lang::Nl));
        assert_eq!(lang(&["--lang", "en"]), Some(Lang::En));
        assert_eq!(lang(&["--lang", "nl"]), Some(Lang::Nl));

        let both = rules_table(&[rule()], None).to_string();
        assert!(
            both.contains("SENTENCE (NL)") && both.contains("SENTENCE (EN)"),
            "{both}"
        );
        assert!(
            both.contains("behandelaar") && both.contains("assignee"),
            "{both}"
        );
        let nl = rules_table(&[rule()], Some(Lang::Nl)).to_string();
        assert!(
            nl.contains("behandelaar") && !nl.contains("assignee."),
            "{nl}"
        );
        assert!(!nl.contains("SENTENCE (EN)"), "{nl}");
        let en = rules_table(&[rule()], Some(Lang::En)).to_string();
        assert!(
            en.contains("assignee.") && !en.contains("behandelaar"),
            "{en}"
        );
    }
}
