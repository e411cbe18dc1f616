//! `regie criteria-sets …`: create, show, list, change, publish and retire criteria sets.

use prost_types::FieldMask;
use regie_proto::v1::{
    CreateCriteriaSetRequest, CriteriaSet, CriteriaSetState, GetCriteriaSetRequest,
    ListCriteriaSetsRequest, ListCriteriaSetsResponse, PublishCriteriaSetRequest,
    RetireCriteriaSetRequest, UpdateCriteriaSetRequest,
};

use super::render::{self, Listing, Show};
use super::{Context, set_masked};
use crate::cli::{CriteriaSetCommand, CriteriaSetCreate, CriteriaSetUpdate};
use crate::criteria_file;
use crate::error::CliError;
use crate::names::{CRITERIA_SETS, short_id};
use crate::output::{self, or_dash, yes_no};

pub async fn run(ctx: &Context, command: CriteriaSetCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.assessments();
    let set = match command {
        CriteriaSetCommand::Create(args) => {
            let request = create_request(args)?;
            conn.call(client.create_criteria_set(conn.request(request)))
                .await?
        }
        CriteriaSetCommand::Get { criteria_set } => {
            let request = GetCriteriaSetRequest { name: criteria_set };
            conn.call(client.get_criteria_set(conn.request(request)))
                .await?
        }
        CriteriaSetCommand::List(args) => {
            return render::list(ctx.output, &args.page, async |page_token| {
                let request = ListCriteriaSetsRequest {
                    page_size: args.page.page_size,
                    page_token,
                    filter: args.filter.clone(),
                    order_by: args.order_by.clone(),
                };
                conn.call(conn.assessments().list_criteria_sets(conn.request(request)))
                    .await
            })
            .await;
        }
        CriteriaSetCommand::Update(args) => {
            let request = update_request(args)?;
            conn.call(client.update_criteria_set(conn.request(request)))
                .await?
        }
        CriteriaSetCommand::Publish(args) => {
            let request = PublishCriteriaSetRequest {
                name: args.criteria_set,
                etag: args.etag,
            };
            conn.call(client.publish_criteria_set(conn.request(request)))
                .await?
        }
        CriteriaSetCommand::Retire(args) => {
            let request = RetireCriteriaSetRequest {
                name: args.criteria_set,
                etag: args.etag,
            };
            conn.call(client.retire_criteria_set(conn.request(request)))
                .await?
        }
    };
    render::show(ctx.output, &set)
}

fn create_request(args: CriteriaSetCreate) -> Result<CreateCriteriaSetRequest, CliError> {
    let criteria = match &args.criteria_file {
        Some(path) => criteria_file::load(path)?,
        None => Vec::new(),
    };
    Ok(CreateCriteriaSetRequest {
        criteria_set: Some(CriteriaSet {
            title: args.title,
            description: args.description,
            criteria,
            ..CriteriaSet::default()
        }),
        copy_from: args.copy_from.unwrap_or_default(),
    })
}

/// The set to send and the mask naming exactly the fields given on the command line.
fn update_request(args: CriteriaSetUpdate) -> Result<UpdateCriteriaSetRequest, CliError> {
    let criteria = match &args.criteria_file {
        Some(path) => Some(criteria_file::load(path)?),
        None => None,
    };
    let mut paths = Vec::new();
    let mut set = CriteriaSet {
        name: args.criteria_set,
        etag: args.etag,
        ..CriteriaSet::default()
    };
    set_masked(&mut paths, "title", args.title, &mut set.title);
    let description = args.description;
    set_masked(&mut paths, "description", description, &mut set.description);
    set_masked(&mut paths, "criteria", criteria, &mut set.criteria);
    Ok(UpdateCriteriaSetRequest {
        criteria_set: Some(set),
        update_mask: Some(FieldMask { paths }),
    })
}

impl Listing for ListCriteriaSetsResponse {
    type Item = CriteriaSet;
    const HEADER: &'static [&'static str] =
        &["ID", "TITLE", "STATE", "TEMPLATE", "CRITERIA", "PUBLISHED"];
    const EMPTY: &'static str = "no criteria sets found";
    fn items(&self) -> &[CriteriaSet] {
        &self.criteria_sets
    }
    fn row(s: &CriteriaSet) -> Vec<String> {
        vec![
            short_id(CRITERIA_SETS, &s.name).to_owned(),
            output::truncate(&s.title, 50),
            state_name(s.state),
            if s.template { "yes" } else { "" }.to_owned(),
            s.criteria.len().to_string(),
            output::date(s.publish_time.as_ref()),
        ]
    }
}
render::paged!(ListCriteriaSetsResponse => criteria_sets);

/// A set's state in lower case, as the list filter spells it (`state = "published"`).
fn state_name(state: i32) -> String {
    match CriteriaSetState::try_from(state) {
        Ok(CriteriaSetState::Unspecified) => "-".to_owned(),
        Ok(state) => state.as_str_name().to_lowercase(),
        Err(_) => format!("unknown ({state})"),
    }
}

/// One set: its fields, then a table of its criteria.
impl Show for CriteriaSet {
    fn text(&self) -> String {
        let s = self;
        let fields = output::key_value_table(vec![
            ("NAME", s.name.clone()),
            ("TITLE", or_dash(&s.title)),
            ("DESCRIPTION", or_dash(&s.description)),
            ("STATE", state_name(s.state)),
            ("TEMPLATE", yes_no(s.template).to_owned()),
            ("CRITERIA", s.criteria.len().to_string()),
            ("ETAG", or_dash(&s.etag)),
            ("CREATED", output::timestamp(s.create_time.as_ref())),
            ("UPDATED", output::timestamp(s.update_time.as_ref())),
            ("PUBLISHED", output::timestamp(s.publish_time.as_ref())),
        ]);
        if s.criteria.is_empty() {
            return fields.to_string();
        }
        let mut table = output::table(&["CODE", "GROUP", "TITLE (NL)", "TITLE (EN)"]);
        for c in &s.criteria {
            table.add_row(vec![
                c.code.clone(),
                or_dash(&c.group),
                output::truncate(&c.title_nl, 60),
                output::truncate(&c.title_en, 60),
            ]);
        }
        format!("{fields}\n{table}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write as _;

    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> CriteriaSetCommand {
        let cli = Cli::try_parse_from(["regie", "criteria-sets"].iter().chain(args))
            .and_then(Cli::checked)
            .expect("valid command line");
        let Command::CriteriaSets(command) = cli.command else {
            panic!("parsed as the wrong command");
        };
        command
    }

    #[test]
    fn the_mask_names_exactly_the_flags_given() {
        let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        writeln!(
            file,
            "[[criteria]]\ncode = \"BN-01\"\ntitle_nl = \"Beleid\""
        )
        .unwrap();
        let path = file.path().to_str().unwrap();
        let CriteriaSetCommand::Update(update) =
            parse(&["update", "basis", "--criteria-file", path, "--etag", "3"])
        else {
            panic!("parsed as the wrong command");
        };
        let request = update_request(update).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, vec!["criteria"]);
        let set = request.criteria_set.unwrap();
        assert_eq!(set.name, "criteriaSets/basis");
        assert_eq!(set.etag, "3");
        assert_eq!(set.criteria[0].code, "BN-01");
        assert_eq!(set.title, "");
    }

    #[test]
    fn create_copies_or_reads_a_file_not_both() {
        let CriteriaSetCommand::Create(create) = parse(&[
            "create",
            "--title",
            "Toetsingskader 2026",
            "--copy-from",
            "template",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let request = create_request(create).unwrap();
        assert_eq!(request.copy_from, "criteriaSets/template");
        assert!(request.criteria_set.unwrap().criteria.is_empty());
        let both = Cli::try_parse_from([
            "regie",
            "criteria-sets",
            "create",
            "--title",
            "T",
            "--copy-from",
            "x",
            "--criteria-file",
            "c.toml",
        ]);
        assert_eq!(both.map(drop).map_err(|e| e.exit_code()), Err(2));
        let nothing = Cli::try_parse_from(["regie", "criteria-sets", "update", "x", "--etag", "1"]);
        assert_eq!(nothing.map(drop).map_err(|e| e.exit_code()), Err(2));
    }

    #[test]
    fn states_print_as_the_filter_spells_them() {
        assert_eq!(state_name(CriteriaSetState::Published.into()), "published");
        assert_eq!(state_name(0), "-");
    }
}
