//! `regie cases …`: create, show, list, update and comment on cases. The requests are built in
//! `case_requests`; transitions are in `transitions`, history and watching in `events`.

use regie_proto::v1::{
    AddCommentRequest, Case, FrameworkPurpose, GetCaseRequest, ListCasesRequest, ListCasesResponse,
    RecommendationTheme, case::Details,
};

use super::case_requests::{create_request, list_filter, update_request};
use super::render::{self, Listing, Show};
use super::{Context, events, transitions};
use crate::cli::{CaseCommand, OutputFormat, Purpose};
use crate::error::CliError;
use crate::filter::Filter;
use crate::names::{CASES, CRITERIA_SETS, DEPARTMENTS, WORKING_GROUPS, short_id};
use crate::output::{self, enum_name, id_list, or_dash, yes_no};

pub async fn run(ctx: &Context, command: CaseCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.cases();
    let case = match command {
        CaseCommand::Create(args) => {
            let request = create_request(args);
            conn.call(client.create_case(conn.request(request))).await?
        }
        CaseCommand::Get(args) => {
            // The case as it was has no list of sub-items to go with it: only the case now.
            let now = args.as_of.is_none() && args.revision.is_none();
            let request = GetCaseRequest {
                name: args.case,
                as_of: args.as_of,
                revision: args.revision.unwrap_or_default(),
            };
            let case = conn.call(client.get_case(conn.request(request))).await?;
            if ctx.output == OutputFormat::Json || !now {
                return render::show(ctx.output, &case);
            }
            let children = sub_items(ctx, &case.name).await?;
            render::show(ctx.output, &case)?;
            return match sub_items_text(&children) {
                Some(text) => output::emit(&text),
                None => Ok(()),
            };
        }
        CaseCommand::List(args) => {
            let filter = list_filter(&args);
            let page = &args.list.page;
            return render::list(ctx.output, page, async |page_token| {
                let request = ListCasesRequest {
                    page_size: page.page_size,
                    page_token,
                    filter: filter.clone(),
                    order_by: args.list.order_by.clone(),
                };
                conn.call(conn.cases().list_cases(conn.request(request)))
                    .await
            })
            .await;
        }
        CaseCommand::Update(args) => {
            let request = update_request(args);
            conn.call(client.update_case(conn.request(request))).await?
        }
        CaseCommand::Transition(args) => return transitions::transition(ctx, args).await,
        CaseCommand::Transitions { case } => return transitions::available(ctx, case).await,
        CaseCommand::Comment(args) => {
            let request = AddCommentRequest {
                name: args.case,
                text: args.text,
                request_id: args.request_id,
            };
            let event = conn.call(client.add_comment(conn.request(request))).await?;
            return render::show(ctx.output, &event);
        }
        CaseCommand::History(args) => return events::history(ctx, args).await,
        CaseCommand::Watch(args) => return events::watch(ctx, args).await,
    };
    render::show(ctx.output, &case)
}

/// The cases whose parent is `parent` (every page), in the order they were created.
async fn sub_items(ctx: &Context, parent: &str) -> Result<Vec<Case>, CliError> {
    let conn = &ctx.conn;
    let filter = Filter::new().equals("parent", Some(parent)).and_with("");
    let mut cases = Vec::new();
    render::pages(
        String::new(),
        true,
        async |page_token| {
            let request = ListCasesRequest {
                page_size: 1000,
                page_token,
                filter: filter.clone(),
                order_by: String::new(),
            };
            let mut page = conn
                .call(conn.cases().list_cases(conn.request(request)))
                .await?;
            let next = std::mem::take(&mut page.next_page_token);
            Ok((page.cases, next))
        },
        |page| cases.extend(page),
    )
    .await?;
    Ok(cases)
}

/// `sub-items (N):` and their table, as `cases list` shows cases; nothing when there are none.
fn sub_items_text(children: &[Case]) -> Option<String> {
    if children.is_empty() {
        return None;
    }
    let table = render::table::<ListCasesResponse>(children);
    Some(format!("sub-items ({}):\n{table}", children.len()))
}

impl Listing for ListCasesResponse {
    type Item = Case;
    const HEADER: &'static [&'static str] = &[
        "ID",
        "KIND",
        "STATE",
        "TITLE",
        "DEPARTMENT",
        "ASSIGNEE",
        "DUE",
        "OVERDUE",
    ];
    const EMPTY: &'static str = "no cases found";
    fn items(&self) -> &[Case] {
        &self.cases
    }
    fn row(c: &Case) -> Vec<String> {
        vec![
            short_id(CASES, &c.name).to_owned(),
            c.kind.clone(),
            c.state.clone(),
            output::truncate(&c.title, 50),
            or_dash(short_id(DEPARTMENTS, &c.department)),
            or_dash(&c.assignee),
            due_date(c),
            if c.overdue { "yes" } else { "" }.to_owned(),
        ]
    }
}
render::paged!(ListCasesResponse => cases);

/// One case, as a key/value table with the details of its kind at the end.
impl Show for Case {
    fn text(&self) -> String {
        let c = self;
        let mut rows = vec![
            ("NAME", c.name.clone()),
            ("KIND", c.kind.clone()),
            ("STATE", or_dash(&c.state)),
            ("TITLE", or_dash(&c.title)),
            // A work item the server made may name the API method to use: the command instead.
            (
                "DESCRIPTION",
                or_dash(&output::in_cli_words(&c.description)),
            ),
            ("DEPARTMENT", or_dash(short_id(DEPARTMENTS, &c.department))),
            (
                "WORKING GROUP",
                or_dash(short_id(WORKING_GROUPS, &c.working_group)),
            ),
            ("ASSIGNEE", or_dash(&c.assignee)),
            ("LABELS", or_dash(&c.labels.join(", "))),
            ("DUE", due_time(c)),
            ("OVERDUE", yes_no(c.overdue).to_owned()),
            ("PARENT", or_dash(short_id(CASES, &c.parent))),
            ("REVISION", c.revision.to_string()),
            ("WORKFLOW VERSION", c.workflow_version.to_string()),
            ("ETAG", or_dash(&c.etag)),
            ("CREATED", output::timestamp(c.create_time.as_ref())),
            ("UPDATED", output::timestamp(c.update_time.as_ref())),
            (
                "STATE SINCE",
                output::timestamp(c.state_enter_time.as_ref()),
            ),
        ];
        rows.extend(detail_rows(c));
        output::key_value_table(rows).to_string()
    }
}

/// The effective due date (the due time with the time the clock stood still counted, as the
/// server works it out), and the date that was set when they differ: `2026-12-12 (was
/// 2026-12-01)`; `-` without a due time.
pub(super) fn due_date(c: &Case) -> String {
    shown_due(c, output::date)
}

/// As [`due_date`], with times: `2026-12-12T22:59:59Z (was 2026-12-01T22:59:59Z)`.
fn due_time(c: &Case) -> String {
    shown_due(c, output::timestamp)
}

fn shown_due(c: &Case, format: fn(Option<&prost_types::Timestamp>) -> String) -> String {
    let effective = c.effective_due_time.as_ref().or(c.due_time.as_ref());
    let (shown, set) = (format(effective), format(c.due_time.as_ref()));
    if shown == set {
        shown
    } else {
        format!("{shown} (was {set})")
    }
}

/// The rows that show the details of the case's kind.
fn detail_rows(c: &Case) -> Vec<(&'static str, String)> {
    match &c.details {
        Some(Details::Recommendation(r)) => {
            let report = r.source_report.clone().unwrap_or_default();
            vec![
                ("REPORT TITLE", or_dash(&report.title)),
                ("REPORT REFERENCE", or_dash(&report.reference)),
                ("ADDRESSEE", or_dash(short_id(DEPARTMENTS, &r.addressee))),
                ("THEME", theme_name(r.theme)),
                ("RESPONSE", or_dash(&r.response)),
            ]
        }
        Some(Details::Framework(f)) => {
            let purposes: Vec<String> = f
                .purposes
                .iter()
                .map(|p| enum_name::<Purpose, FrameworkPurpose>(*p))
                .collect();
            let interval = match f.evaluation_interval_months {
                0 => "-".to_owned(),
                months => format!("{months} months"),
            };
            vec![
                ("PURPOSES", or_dash(&purposes.join(", "))),
                ("SCOPE", id_list(DEPARTMENTS, &f.scope)),
                ("EFFECTIVE DATE", or_dash(&f.effective_date)),
                ("EVALUATION EVERY", interval),
                ("NOT CONSULTED", id_list(DEPARTMENTS, &f.not_consulted)),
                ("NOT OBSERVED", id_list(DEPARTMENTS, &f.not_observed)),
            ]
        }
        Some(Details::AssessmentCycle(a)) => {
            let mut rows = vec![
                ("YEAR", a.year.to_string()),
                (
                    "CRITERIA SET",
                    or_dash(short_id(CRITERIA_SETS, &a.criteria_set)),
                ),
                (
                    "RATED",
                    format!("{} of {}", a.criteria_rated, a.criteria_total),
                ),
                ("REVIEWER", or_dash(&a.reviewer)),
            ];
            match &a.dialogue {
                None => rows.push(("DIALOGUE", "-".to_owned())),
                Some(d) => rows.extend([
                    ("DIALOGUE DATE", or_dash(&d.date)),
                    ("PARTICIPANTS", or_dash(&d.participants.join(", "))),
                    ("SUMMARY", or_dash(&d.summary)),
                    ("AGREEMENTS", or_dash(&agreements(d))),
                    ("DIALOGUE RECORDED BY", or_dash(&d.recorded_by)),
                ]),
            }
            rows
        }
        Some(Details::RiskAnalysis(r)) => vec![
            ("ORGANISATION", or_dash(&r.organisation)),
            ("HIGH-RISK THRESHOLD", r.high_risk_threshold.to_string()),
            ("RISKS", r.risk_count.to_string()),
        ],
        Some(Details::WorkItem(_)) | None => Vec::new(),
    }
}

/// A dialogue's agreements, one a line, each with its owner and due date when it has them:
/// `Risicoanalyse herhalen (Hoofd Inkoop, due 2027-06-30)`. A server from before agreements
/// had them sends the texts alone.
fn agreements(d: &regie_proto::v1::Dialogue) -> String {
    if d.agreement_items.is_empty() {
        return d.agreements.join("\n");
    }
    d.agreement_items
        .iter()
        .map(|a| {
            let mut about = Vec::new();
            if !a.owner.is_empty() {
                about.push(a.owner.clone());
            }
            if a.due_time.is_some() {
                about.push(format!("due {}", output::date(a.due_time.as_ref())));
            }
            if about.is_empty() {
                a.text.clone()
            } else {
                format!("{} ({})", a.text, about.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A recommendation theme in lower case as the flags spell it, or `-` when unspecified.
fn theme_name(theme: i32) -> String {
    match RecommendationTheme::try_from(theme) {
        Ok(RecommendationTheme::Unspecified) => "-".to_owned(),
        Ok(theme) => theme.as_str_name().to_lowercase(),
        Err(_) => format!("unknown ({theme})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_date_is_the_effective_one_with_the_original_when_they_differ() {
        let day = 86_400;
        let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
        // 2026-12-01T22:59:59Z, and eleven days of `blocked` later.
        let set = 1_796_165_999;
        let blocked = Case {
            due_time: at(set),
            effective_due_time: at(set + 11 * day),
            ..Case::default()
        };
        assert_eq!(due_date(&blocked), "2026-12-12 (was 2026-12-01)");
        assert_eq!(
            due_time(&blocked),
            "2026-12-12T22:59:59Z (was 2026-12-01T22:59:59Z)"
        );
        let on_time = Case {
            due_time: at(set),
            effective_due_time: at(set),
            ..Case::default()
        };
        assert_eq!(due_date(&on_time), "2026-12-01");
        assert_eq!(due_time(&on_time), "2026-12-01T22:59:59Z");
        // A server that does not send the effective time: the due time as set.
        let older = Case {
            due_time: at(set),
            ..Case::default()
        };
        assert_eq!(due_date(&older), "2026-12-01");
        assert_eq!(due_date(&Case::default()), "-");
    }

    #[test]
    fn a_parent_lists_its_sub_items() {
        assert_eq!(sub_items_text(&[]), None);
        let child = Case {
            name: "cases/c1".into(),
            kind: "work_item".into(),
            state: "proposed".into(),
            title: "Deelvraag uitwerken".into(),
            parent: "cases/p1".into(),
            ..Case::default()
        };
        let text = sub_items_text(&[child]).expect("one sub-item");
        assert!(text.starts_with("sub-items (1):\n"), "{text}");
        assert!(
            text.contains("c1") && text.contains("Deelvraag uitwerken"),
            "{text}"
        );
        assert!(text.contains("proposed"), "{text}");
    }

    #[test]
    fn themes_print_as_the_flags_spell_them() {
        assert_eq!(theme_name(RecommendationTheme::Culture.into()), "culture");
        assert_eq!(theme_name(0), "-");
        assert_eq!(theme_name(99), "unknown (99)");
    }
}
