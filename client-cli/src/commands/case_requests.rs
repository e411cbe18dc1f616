//! The requests that `regie cases create`, `update` and `list` send, built from the flags.
//! Pure functions, so the flag handling (details, masks, filters) is unit-tested here.

use prost_types::FieldMask;
use regie_proto::v1::{
    Case, CreateCaseRequest, FrameworkDetails, FrameworkPurpose, RecommendationDetails,
    RecommendationTheme, RiskAnalysisDetails, SourceReport, UpdateCaseRequest, WorkItemDetails,
    case::Details,
};

use super::set_masked;
use crate::cli::{
    CaseCreate, CaseKind, CaseList, CaseUpdate, DetailFlags as _, FrameworkArgs,
    RecommendationArgs, RiskAnalysisArgs,
};
use crate::filter::Filter;

/// The filter to send: `--filter` ANDed with the convenience flags.
pub fn list_filter(args: &CaseList) -> String {
    Filter::new()
        .equals("kind", args.kind.as_deref())
        .equals("state", args.state.as_deref())
        .equals("department", args.department.as_deref())
        .equals("working_group", args.working_group.as_deref())
        .equals("assignee", args.assignee.as_deref())
        .has_each("labels", &args.labels)
        .true_if("overdue", args.overdue)
        .and_with(&args.list.filter)
}

pub fn create_request(args: CaseCreate) -> CreateCaseRequest {
    let details = match args.kind {
        CaseKind::WorkItem => Details::WorkItem(WorkItemDetails {}),
        CaseKind::Recommendation => Details::Recommendation(recommendation(args.recommendation)),
        CaseKind::Framework => Details::Framework(framework(args.framework)),
        CaseKind::RiskAnalysis => Details::RiskAnalysis(risk_analysis(args.risk_analysis)),
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

/// The framework details given (on create, unset fields are the server's defaults).
fn framework(args: FrameworkArgs) -> FrameworkDetails {
    FrameworkDetails {
        purposes: args
            .purposes
            .into_iter()
            .map(|p| FrameworkPurpose::from(p).into())
            .collect(),
        scope: args.scope,
        effective_date: args.effective_date.unwrap_or_default(),
        evaluation_interval_months: args.evaluation_interval_months.unwrap_or_default(),
        ..FrameworkDetails::default()
    }
}

/// The risk analysis details given (0 for the threshold: the server's default).
fn risk_analysis(args: RiskAnalysisArgs) -> RiskAnalysisDetails {
    RiskAnalysisDetails {
        organisation: args.organisation.unwrap_or_default(),
        high_risk_threshold: args.high_risk_threshold.unwrap_or_default(),
        ..RiskAnalysisDetails::default()
    }
}

/// The details an update sends, and their mask paths: those of one kind (`Cli::checked` has
/// refused flags of two), each path naming one field given on the command line.
fn update_details(args: &CaseUpdate) -> (Option<Details>, Vec<String>) {
    if let Some(response) = &args.response {
        let details = Details::Recommendation(RecommendationDetails {
            response: response.clone(),
            ..RecommendationDetails::default()
        });
        return (Some(details), vec!["recommendation.response".to_owned()]);
    }
    let masked = |prefix: &str, fields: Vec<&str>| -> Vec<String> {
        fields
            .iter()
            .map(|field| format!("{prefix}.{field}"))
            .collect()
    };
    let framework_fields = args.framework.fields_given();
    if !framework_fields.is_empty() {
        let details = FrameworkDetails {
            purposes: args
                .framework
                .purposes
                .iter()
                .map(|p| FrameworkPurpose::from(*p).into())
                .collect(),
            scope: args.framework.scope.clone(),
            effective_date: args.framework.effective_date.clone().unwrap_or_default(),
            evaluation_interval_months: args
                .framework
                .evaluation_interval_months
                .unwrap_or_default(),
            ..FrameworkDetails::default()
        };
        let paths = masked("framework", framework_fields);
        return (Some(Details::Framework(details)), paths);
    }
    let risk_fields = args.risk_analysis.fields_given();
    if !risk_fields.is_empty() {
        let details = RiskAnalysisDetails {
            organisation: args.risk_analysis.organisation.clone().unwrap_or_default(),
            high_risk_threshold: args.risk_analysis.high_risk_threshold.unwrap_or_default(),
            ..RiskAnalysisDetails::default()
        };
        let paths = masked("risk_analysis", risk_fields);
        return (Some(Details::RiskAnalysis(details)), paths);
    }
    (None, Vec::new())
}

/// The case to send and the mask naming exactly the fields given on the command line.
pub fn update_request(args: CaseUpdate) -> UpdateCaseRequest {
    let (details, detail_paths) = update_details(&args);
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
    case.details = details;
    paths.extend(detail_paths);
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
    fn frameworks_and_risk_analyses_carry_their_details() {
        let CaseCommand::Create(create) = parse(&[
            "create",
            "--kind",
            "framework",
            "--title",
            "Kader integriteitsonderzoeken",
            "--purpose",
            "unity",
            "--purpose",
            "quality",
            "--scope",
            "JenV",
            "--scope",
            "departments/BZK",
            "--effective-date",
            "2026-07-01",
            "--evaluation-interval-months",
            "24",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let case = create_request(create).case.expect("case set");
        assert_eq!(case.kind, "framework");
        let Some(Details::Framework(details)) = case.details else {
            panic!("framework details expected");
        };
        assert_eq!(
            details.purposes,
            vec![
                i32::from(FrameworkPurpose::Unity),
                i32::from(FrameworkPurpose::Quality)
            ]
        );
        assert_eq!(details.scope, vec!["departments/JenV", "departments/BZK"]);
        assert_eq!(details.effective_date, "2026-07-01");
        assert_eq!(details.evaluation_interval_months, 24);

        let CaseCommand::Create(create) = parse(&[
            "create",
            "--kind",
            "risk_analysis",
            "--title",
            "Risicoanalyse Toeslagen",
            "--department",
            "Fin",
            "--organisation",
            "Dienst Toeslagen",
            "--high-risk-threshold",
            "12",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let case = create_request(create).case.expect("case set");
        let Some(Details::RiskAnalysis(details)) = case.details else {
            panic!("risk analysis details expected");
        };
        assert_eq!(details.organisation, "Dienst Toeslagen");
        assert_eq!(details.high_risk_threshold, 12);
    }

    #[test]
    fn details_of_another_kind_are_a_usage_error() {
        let err = |args: &[&str]| {
            Cli::try_parse_from(["regie", "cases"].iter().chain(args))
                .and_then(Cli::checked)
                .expect_err("usage error")
        };
        let wrong = err(&[
            "create",
            "--kind",
            "work_item",
            "--title",
            "T",
            "--purpose",
            "unity",
        ]);
        assert_eq!(wrong.exit_code(), 2);
        assert!(
            wrong.to_string().contains(
                "framework details (--purpose) only go with --kind framework, not --kind work_item"
            ),
            "{wrong}"
        );
        let wrong = err(&[
            "create",
            "--kind",
            "framework",
            "--title",
            "T",
            "--high-risk-threshold",
            "10",
        ]);
        assert!(
            wrong.to_string().contains("--kind risk_analysis"),
            "{wrong}"
        );
        let both = err(&["update", "abc", "--scope", "JenV", "--organisation", "X"]);
        assert_eq!(both.exit_code(), 2);
        assert!(both.to_string().contains("one kind only"), "{both}");
        assert_eq!(
            err(&["create", "--kind", "assessment_cycle", "--title", "T"]).exit_code(),
            2,
            "cycles are opened, not created"
        );
        assert_eq!(
            err(&[
                "create",
                "--kind",
                "risk_analysis",
                "--title",
                "T",
                "--high-risk-threshold",
                "26"
            ])
            .exit_code(),
            2
        );
    }

    #[test]
    fn detail_updates_mask_single_fields() {
        let request = update(&[
            "update",
            "abc",
            "--purpose",
            "efficiency",
            "--effective-date",
            "",
            "--evaluation-interval-months",
            "12",
        ]);
        let mask = request.update_mask.expect("mask set");
        assert_eq!(
            mask.paths,
            vec![
                "framework.purposes",
                "framework.effective_date",
                "framework.evaluation_interval_months"
            ]
        );
        let Some(Details::Framework(details)) = request.case.expect("case set").details else {
            panic!("framework details expected");
        };
        assert_eq!(
            details.purposes,
            vec![i32::from(FrameworkPurpose::Efficiency)]
        );
        assert_eq!(details.effective_date, "");

        let request = update(&[
            "update",
            "abc",
            "--title",
            "T",
            "--high-risk-threshold",
            "9",
        ]);
        let mask = request.update_mask.expect("mask set");
        assert_eq!(
            mask.paths,
            vec!["title", "risk_analysis.high_risk_threshold"]
        );
        let request = update(&["update", "abc", "--scope", "JenV"]);
        assert_eq!(
            request.update_mask.expect("mask set").paths,
            vec!["framework.scope"]
        );
    }

    #[test]
    fn cases_are_listed_by_working_group() {
        let CaseCommand::List(list) = parse(&["list", "--working-group", "ipim-kwaliteit"]) else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(
            list_filter(&list),
            r#"working_group = "workingGroups/ipim-kwaliteit""#
        );
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
