//! Flags and arguments of `regie workflows …`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::names::{self, WorkflowRef};

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Lists the latest version of each kind's workflow.
    List,
    /// Shows a workflow's states and transitions.
    Show(WorkflowArg),
    /// Prints a workflow's state machine as a Mermaid or Graphviz DOT diagram (text only).
    Diagram {
        #[command(flatten)]
        workflow: WorkflowArg,
        /// The diagram language.
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
    },
    /// Publishes a new workflow version from its TOML definition.
    Publish {
        /// The TOML file, e.g. server/workflows/work_item.toml with a higher `version`.
        #[arg(value_name = "FILE.toml")]
        file: PathBuf,
    },
    /// Lists the rules that transition guards can name, with their sentences (Dutch and
    /// English) and sources.
    Rules {
        /// Only the sentences in this language (`--lang` alone: nl). Without it, both. JSON
        /// output always has both.
        #[arg(
            long,
            value_enum,
            num_args = 0..=1,
            require_equals = false,
            default_missing_value = "nl"
        )]
        lang: Option<Lang>,
    },
}

/// A language of the rules' sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Nederlands.
    Nl,
    /// English.
    En,
}

/// Which workflow: a kind, and optionally a version (the latest if none).
#[derive(Debug, Args)]
pub struct WorkflowArg {
    /// A case kind (`work_item`), `workflows/KIND` or `workflows/KIND/versions/N`.
    #[arg(value_name = "KIND", value_parser = names::workflow)]
    pub workflow: WorkflowRef,
    /// The version to show (default: the latest).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub version: Option<u32>,
}

impl WorkflowArg {
    /// The resource name to ask for.
    pub fn name(&self) -> Result<String, String> {
        self.workflow.name(self.version)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Mermaid `stateDiagram-v2`, e.g. for Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}
