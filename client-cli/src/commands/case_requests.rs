//! The requests that `regie cases create`, `update` and `list` send, built from the flags.
//! Pure functions, so the flag handling (details, masks, filters) is unit-tested here.

use prost_types::FieldMask;
use regie_proto::v1::{
    Case, CreateCaseRequest, RecommendationDetails, RecommendationTheme, SourceReport,
    UpdateCaseRequest, WorkItemDetails, case::Details,
};

use super::set_masked;
use crate::cli::{CaseCreate, CaseKind, CaseList, CaseUpdate, RecommendationArgs};
use crate::filter::Filter;

/// The filter to send: `--filter` ANDed with the convenience flags.
pub fn list_filter(args: &CaseList) -> String {
    Filter::new()
        .equals("kind", args.kind.as_deref())
        .equals("state", args.state.as_deref())
        .equals("department", args.department.as_deref())
        .equals("assignee", args.assignee.as_deref())
        .has_each("labels", &args.labels)
        .true_if("overdue", args.overdue)
        .and_with(&args.list.filter)
}

pub fn create_request(args: CaseCreate) -> CreateCaseRequest {
    let details = match args.kind {
        CaseKind::WorkItem => Details::WorkItem(WorkItemDetails {}),
        CaseKind::Recommendation => Details::Recommendation(recommendation(args.recommendation)),
    };
    CreateCaseRequest {
        case: Some(Case {
            kind: args.kind.as_str().to_owned(),
            title: args.title,
            description: args.description,
            department: args.department.unwrap_or_default(),
            working_group: args.working_group.unwrap_or_default(),
            assignee: args.assignee,
            labels: args.labels,
            due_time: args.due,
            parent: args.parent.unwrap_or_default(),
            details: Some(details),
            ..Case::default()
        }),
        request_id: args.request_id,
    }
}

fn recommendation(args: RecommendationArgs) -> RecommendationDetails {
    let source_report =
        (args.report_title.is_some() || args.report_reference.is_some()).then(|| SourceReport {
            title: args.report_title.unwrap_or_default(),
            reference: args.report_reference.unwrap_or_default(),
        });
    RecommendationDetails {
        source_report,
        addressee: args.addressee.unwrap_or_default(),
        theme: args
            .theme
            .map_or(RecommendationTheme::Unspecified, RecommendationTheme::from)
            .into(),
        response: args.response.unwrap_or_default(),
    }
}

/// The case to send and the mask naming exactly the fields given on the command line.
pub fn update_request(args: CaseUpdate) -> UpdateCaseRequest {
    let mut paths = Vec::new();
    let mut case = Case {
        name: args.case,
        etag: args.etag,
        ..Case::default()
    };
    set_masked(&mut paths, "title", args.title, &mut case.title);
    let description = args.description;
    set_masked(
        &mut paths,
        "description",
        description,
        &mut case.description,
    );
    set_masked(
        &mut paths,
        "department",
        args.department,
        &mut case.department,
    );
    let group = args.working_group;
    set_masked(&mut paths, "working_group", group, &mut case.working_group);
    set_masked(&mut paths, "assignee", args.assignee, &mut case.assignee);
    let labels = if args.clear_labels {
        Some(Vec::new())
    } else {
        Some(args.labels).filter(|labels| !labels.is_empty())
    };
    set_masked(&mut paths, "labels", labels, &mut case.labels);
    let due = args.due.map(|due| due.0);
    set_masked(&mut paths, "due_time", due, &mut case.due_time);
    set_masked(&mut paths, "parent", args.parent, &mut case.parent);
    let details = args.response.map(|response| {
        Some(Details::Recommendation(RecommendationDetails {
            response,
            ..RecommendationDetails::default()
        }))
    });
    set_masked(
        &mut paths,
        "recommendation.response",
        details,
        &mut case.details,
    );
    UpdateCaseRequest {
        case: Some(case),
        update_mask: Some(FieldMask { paths }),
        request_id: args.request_id,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{CaseCommand, Cli, Command};

    fn parse(args: &[&str]) -> CaseCommand {
        let cli = Cli::try_parse_from(["regie", "cases"].iter().chain(args))
            .and_then(Cli::checked)
            .expect("valid command line");
        let Command::Cases(command) = cli.command else {
            panic!("parsed as the wrong command");
        };
        command
    }

    fn update(args: &[&str]) -> UpdateCaseRequest {
        let CaseCommand::Update(update) = parse(args) else {
            panic!("parsed as the wrong command");
        };
        update_request(update)
    }

    #[test]
    fn the_mask_names_exactly_the_flags_given() {
        let request = update(&[
            "update",
            "abc",
            "--assignee",
            "",
            "--due",
            "",
            "--label",
            "a",
            "--label",
            "b",
            "--etag",
            "\"4\"",
        ]);
        let mask = request.update_mask.expect("mask set");
        assert_eq!(mask.paths, vec!["assignee", "labels", "due_time"]);
        let case = request.case.expect("case set");
        assert_eq!(case.name, "cases/abc");
        assert_eq!(case.etag, "\"4\"");
        assert_eq!(case.labels, vec!["a", "b"]);
        assert_eq!(case.due_time, None);
        assert_eq!(case.details, None);
    }

    #[test]
    fn names_are_normalised_and_empty_ones_clear() {
        let request = update(&[
            "update",
            "cases/abc",
            "--department",
            "JenV",
            "--working-group",
            "",
            "--parent",
            "p1",
        ]);
        let mask = request.update_mask.expect("mask set");
        assert_eq!(mask.paths, vec!["department", "working_group", "parent"]);
        let case = request.case.expect("case set");
        assert_eq!(case.department, "departments/JenV");
        assert_eq!(case.working_group, "");
        assert_eq!(case.parent, "cases/p1");
    }

    #[test]
    fn clearing_labels_and_setting_the_response() {
        let request = update(&["update", "abc", "--clear-labels", "--response", "Agreed."]);
        let mask = request.update_mask.expect("mask set");
        assert_eq!(mask.paths, vec!["labels", "recommendation.response"]);
        let case = request.case.expect("case set");
        assert!(case.labels.is_empty());
        let Some(Details::Recommendation(details)) = case.details else {
            panic!("recommendation details expected");
        };
        assert_eq!(details.response, "Agreed.");
    }

    #[test]
    fn update_needs_a_change_and_labels_cannot_be_set_and_cleared() {
        let usage = |args: &[&str]| {
            Cli::try_parse_from(["regie", "cases"].iter().chain(args))
                .expect_err("usage error")
                .exit_code()
        };
        assert_eq!(usage(&["update", "abc"]), 2);
        assert_eq!(
            usage(&["update", "abc", "--etag", "x", "--request-id", "r"]),
            2
        );
        assert_eq!(
            usage(&["update", "abc", "--label", "a", "--clear-labels"]),
            2
        );
        assert_eq!(usage(&["update", "abc", "--due", "tomorrow"]), 2);
    }

    #[test]
    fn recommendations_carry_their_details() {
        let CaseCommand::Create(create) = parse(&[
            "create",
            "--kind",
            "recommendation",
            "--title",
            "Versterk de coördinatie",
            "--report-title",
            "Integriteit als basis",
            "--addressee",
            "coordinating_minister",
            "--theme",
            "structure",
            "--department",
            "BZK",
            "--due",
            "2026-06-30T00:00:00Z",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let case = create_request(create).case.expect("case set");
        assert_eq!(case.kind, "recommendation");
        assert_eq!(case.department, "departments/BZK");
        assert!(case.due_time.is_some());
        let Some(Details::Recommendation(details)) = case.details else {
            panic!("recommendation details expected");
        };
        assert_eq!(details.addressee, "coordinating_minister");
        assert_eq!(details.theme, i32::from(RecommendationTheme::Structure));
        let report = details.source_report.expect("report set");
        assert_eq!(report.title, "Integriteit als basis");
        assert_eq!(report.reference, "");
    }

    #[test]
    fn work_items_get_no_recommendation_details() {
        let CaseCommand::Create(create) = parse(&[
            "create",
            "--kind",
            "work_item",
            "--title",
            "Agenda",
            "--label",
            "ipim",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let case = create_request(create).case.expect("case set");
        assert_eq!(case.details, Some(Details::WorkItem(WorkItemDetails {})));
        assert_eq!(case.labels, vec!["ipim"]);
        let err = Cli::try_parse_from([
            "regie",
            "cases",
            "create",
            "--kind",
            "work_item",
            "--title",
            "T",
            "--theme",
            "culture",
            "--response",
            "x",
        ])
        .and_then(Cli::checked)
        .expect_err("recommendation flags on a work item");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--theme, --response"), "{err}");
    }

    #[test]
    fn list_flags_are_anded_into_the_filter() {
        let CaseCommand::List(list) = parse(&[
            "list",
            "--filter",
            "state = \"done\" OR state = \"cancelled\"",
            "--kind",
            "work_item",
            "--department",
            "JenV",
            "--assignee",
            "Jan \"JJ\" Jansen",
            "--label",
            "ipim",
            "--overdue",
        ]) else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(
            list_filter(&list),
            r#"(state = "done" OR state = "cancelled") AND kind = "work_item" AND department = "departments/JenV" AND assignee = "Jan \"JJ\" Jansen" AND labels:"ipim" AND overdue = true"#
        );
    }
}
