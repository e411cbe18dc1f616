//! `regie cycles …`: open a year's assessment cycles, rate criteria, list the ratings, record
//! the yearly dialogue, and compare a department's ratings between two years. A cycle is a case
//! (`regie cases get|transition` work on it too).

use regie_proto::v1::{
    CompareYearsRequest, CompareYearsResponse, CriterionRating, Dialogue, ListRatingsRequest,
    ListRatingsResponse, MaturityStage, OpenCyclesRequest, OpenCyclesResponse,
    RateCriterionRequest, Rating, RatingDelta, RecordDialogueRequest, case::Details,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{CycleCommand, CycleCompare, CycleRate, Maturity, OutputFormat, RatingValue};
use crate::error::CliError;
use crate::names::{CASES, DEPARTMENTS, short_id};
use crate::output::{self, emit, emit_json, enum_name, or_dash, yes_no};

pub async fn run(ctx: &Context, command: CycleCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.assessments();
    match command {
        CycleCommand::Open(args) => {
            let request = OpenCyclesRequest {
                year: args.year,
                criteria_set: args.criteria_set,
                carry_over: args.carry_over,
                departments: args.departments,
            };
            let response = conn.call(client.open_cycles(conn.request(request))).await?;
            show_opened(ctx, &response)
        }
        CycleCommand::Rate(args) => {
            let request = rate_request(args);
            let rating = conn
                .call(client.rate_criterion(conn.request(request)))
                .await?;
            render::show(ctx.output, &rating)
        }
        CycleCommand::Ratings { cycle } => {
            let request = ListRatingsRequest { cycle };
            let response = conn
                .call(client.list_ratings(conn.request(request)))
                .await?;
            render::print(ctx.output, &response)
        }
        CycleCommand::Dialogue(args) => {
            let request = RecordDialogueRequest {
                cycle: args.cycle,
                dialogue: Some(Dialogue {
                    date: args.date,
                    participants: args.participants,
                    summary: args.summary,
                    agreement_items: args.agreements,
                    ..Dialogue::default()
                }),
                etag: args.etag,
                request_id: args.request_id,
            };
            let case = conn
                .call(client.record_dialogue(conn.request(request)))
                .await?;
            render::show(ctx.output, &case)
        }
        CycleCommand::Compare(args) => compare(ctx, args).await,
    }
}

fn rate_request(args: CycleRate) -> RateCriterionRequest {
    RateCriterionRequest {
        cycle: args.cycle,
        rating: Some(CriterionRating {
            criterion: args.criterion,
            rating: Rating::from(args.rating).into(),
            justification: args.justification,
            evidence: args.evidence,
            maturity: args
                .maturity
                .map_or(MaturityStage::Unspecified, MaturityStage::from)
                .into(),
            ..CriterionRating::default()
        }),
        etag: args.etag,
        request_id: args.request_id,
    }
}

/// A rating as the `--rating` flag spells it.
pub fn rating_name(rating: i32) -> String {
    enum_name::<RatingValue, Rating>(rating)
}

fn show_opened(ctx: &Context, response: &OpenCyclesResponse) -> Result<(), CliError> {
    if ctx.output == OutputFormat::Json {
        return emit_json(response);
    }
    if response.opened.is_empty() && response.existing.is_empty() {
        output::note("no cycles opened: no department in scope");
        return Ok(());
    }
    let mut table = output::table(&["CYCLE", "DEPARTMENT", "YEAR", "STATE", "RATED", "OPENED"]);
    let all = (response.opened.iter().map(|c| (c, "now")))
        .chain(response.existing.iter().map(|c| (c, "before")));
    for (case, when) in all {
        let (year, rated) = match &case.details {
            Some(Details::AssessmentCycle(a)) => (
                a.year.to_string(),
                format!("{}/{}", a.criteria_rated, a.criteria_total),
            ),
            _ => ("-".to_owned(), "-".to_owned()),
        };
        table.add_row(vec![
            short_id(CASES, &case.name).to_owned(),
            or_dash(short_id(DEPARTMENTS, &case.department)),
            year,
            case.state.clone(),
            rated,
            when.to_owned(),
        ]);
    }
    emit(&table.to_string())?;
    emit(&format!(
        "opened {}, already open {}",
        response.opened.len(),
        response.existing.len()
    ))
}

/// One rating, as a key/value table.
impl Show for CriterionRating {
    fn text(&self) -> String {
        let r = self;
        let evidence: Vec<String> = r
            .evidence
            .iter()
            .map(|e| {
                [&e.title, &e.url, &e.owner, &e.valid_until]
                    .into_iter()
                    .filter(|part| !part.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        output::key_value_table(vec![
            ("CRITERION", r.criterion.clone()),
            ("RATING", rating_name(r.rating)),
            ("JUSTIFICATION", or_dash(&r.justification)),
            ("EVIDENCE", or_dash(&evidence.join("\n"))),
            ("MATURITY", enum_name::<Maturity, MaturityStage>(r.maturity)),
            ("CARRIED OVER", yes_no(r.carried_over).to_owned()),
            ("RATED BY", or_dash(&r.rated_by)),
            ("RATED", output::timestamp(r.rate_time.as_ref())),
        ])
        .to_string()
    }
}

/// A cycle's ratings, then the criteria not rated yet.
impl Listing for ListRatingsResponse {
    type Item = CriterionRating;
    const HEADER: &'static [&'static str] = &[
        "CRITERION",
        "RATING",
        "CARRIED OVER",
        "JUSTIFICATION",
        "RATED BY",
    ];
    const EMPTY: &'static str = "no ratings yet";
    fn items(&self) -> &[CriterionRating] {
        &self.ratings
    }
    fn row(r: &CriterionRating) -> Vec<String> {
        vec![
            r.criterion.clone(),
            rating_name(r.rating),
            if r.carried_over { "yes" } else { "" }.to_owned(),
            output::truncate(&r.justification, 60),
            or_dash(&r.rated_by),
        ]
    }
    fn footer(&self) -> Option<String> {
        Some(open_criteria(self))
    }
}

/// What still stands between the cycle and `submit`, in the words of the rule that `submit`
/// checks (`cycle.all_criteria_rated`: "not rated (or carried over, unconfirmed)"), so that this
/// list and a refused submit name the same criteria alike; then the two kinds apart.
fn open_criteria(list: &ListRatingsResponse) -> String {
    let unconfirmed: Vec<&str> = list
        .ratings
        .iter()
        .filter(|r| r.carried_over)
        .map(|r| r.criterion.as_str())
        .collect();
    let open = list.unrated.len() + unconfirmed.len();
    if open == 0 {
        return format!("{UNRATED}: none");
    }
    let total = list.unrated.len() + list.ratings.len();
    let names = |codes: &[&str]| {
        if codes.is_empty() {
            "none".to_owned()
        } else {
            codes.join(", ")
        }
    };
    let unrated: Vec<&str> = list.unrated.iter().map(String::as_str).collect();
    format!(
        "{UNRATED}: {open} of {total}\n  not rated: {}\n  carried over, unconfirmed: {}",
        names(&unrated),
        names(&unconfirmed),
    )
}

/// The words of rule `cycle.all_criteria_rated` for the criteria it still waits for.
const UNRATED: &str = "not rated (or carried over, unconfirmed)";

async fn compare(ctx: &Context, args: CycleCompare) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let request = CompareYearsRequest {
        department: args.department,
        from_year: args.from,
        to_year: args.to,
    };
    let response = conn
        .call(conn.assessments().compare_years(conn.request(request)))
        .await?;
    if ctx.output == OutputFormat::Json {
        return emit_json(&response);
    }
    emit(&compare_text(&response, args.from, args.to))
}

/// The change table and the counts: of every kind of change, so that every row of the table is
/// counted once, with the criteria added and removed named.
fn compare_text(response: &CompareYearsResponse, from: i32, to: i32) -> String {
    let mut table = output::table(&["CRITERION", &from.to_string(), &to.to_string(), "CHANGE"]);
    for c in &response.changes {
        table.add_row(vec![
            c.criterion.clone(),
            rating_name(c.from_rating),
            rating_name(c.to_rating),
            delta_name(c.delta),
        ]);
    }
    format!(
        "{} {from} ({}) → {to} ({})\n{table}\n{}",
        short_id(DEPARTMENTS, &response.department),
        or_dash(short_id(CASES, &response.from_cycle)),
        or_dash(short_id(CASES, &response.to_cycle)),
        compare_summary(response),
    )
}

/// `improved 1, declined 0, unchanged 12, changed 0, added 1 (TH-03), removed 0`.
fn compare_summary(response: &CompareYearsResponse) -> String {
    let with = |delta: RatingDelta| {
        response
            .changes
            .iter()
            .filter(|c| c.delta == i32::from(delta))
            .map(|c| c.criterion.as_str())
            .collect::<Vec<&str>>()
    };
    let named = |word: &str, delta: RatingDelta| {
        let codes = with(delta);
        if codes.is_empty() {
            format!("{word} 0")
        } else {
            format!("{word} {} ({})", codes.len(), codes.join(", "))
        }
    };
    format!(
        "improved {}, declined {}, unchanged {}, changed {}, {}, {}",
        response.improved,
        response.declined,
        response.unchanged,
        with(RatingDelta::Changed).len(),
        named("added", RatingDelta::Added),
        named("removed", RatingDelta::Removed),
    )
}

/// A rating delta in lower case.
fn delta_name(delta: i32) -> String {
    match RatingDelta::try_from(delta) {
        Ok(RatingDelta::Unspecified) => "-".to_owned(),
        Ok(delta) => delta.as_str_name().to_lowercase(),
        Err(_) => format!("unknown ({delta})"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use regie_proto::v1::RatingChange;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn a_rating_carries_its_evidence_and_maturity() {
        let cli = Cli::try_parse_from([
            "regie",
            "cycles",
            "rate",
            "abc",
            "BN-05",
            "--rating",
            "partially-met",
            "--evidence",
            "Gedragscode|https://intranet.example/gc|P&O|2026-12-31",
            "--evidence",
            "Jaarverslag",
            "--maturity",
            "embedded-and-evaluated",
        ])
        .expect("valid command line");
        let Command::Cycles(CycleCommand::Rate(rate)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        let request = rate_request(rate);
        assert_eq!(request.cycle, "cases/abc");
        let rating = request.rating.expect("rating set");
        assert_eq!(rating.criterion, "BN-05");
        assert_eq!(rating.rating, i32::from(Rating::PartiallyMet));
        assert_eq!(
            rating.maturity,
            i32::from(MaturityStage::EmbeddedAndEvaluated)
        );
        assert_eq!(rating.evidence.len(), 2);
        assert_eq!(rating.evidence[0].owner, "P&O");
        let bad =
            Cli::try_parse_from(["regie", "cycles", "rate", "abc", "BN-05", "--rating", "wel"]);
        assert_eq!(bad.map(drop).map_err(|e| e.exit_code()), Err(2));
        let dialogue = Cli::try_parse_from([
            "regie",
            "cycles",
            "dialogue",
            "abc",
            "--date",
            "2026-05-01",
            "--summary",
            "s",
        ]);
        assert!(dialogue.is_err(), "a dialogue needs a participant");
    }

    #[test]
    fn ratings_are_accepted_in_every_reasonable_spelling() {
        let parse = |rating: &str| {
            Cli::try_parse_from(["regie", "cycles", "rate", "c", "BN-05", "--rating", rating])
                .map(|cli| match cli.command {
                    Command::Cycles(CycleCommand::Rate(rate)) => Some(rate.rating),
                    _ => None,
                })
                .map_err(|e| e.to_string())
        };
        for spelling in [
            "partially-met",
            "partially_met",
            "PARTIALLY_MET",
            "partially met",
            " Partially Met ",
        ] {
            assert_eq!(
                parse(spelling),
                Ok(Some(RatingValue::PartiallyMet)),
                "{spelling:?}"
            );
        }
        assert_eq!(
            parse("NOT_APPLICABLE"),
            Ok(Some(RatingValue::NotApplicable))
        );
        assert_eq!(parse("not met"), Ok(Some(RatingValue::NotMet)));
        assert_eq!(parse("Met"), Ok(Some(RatingValue::Met)));
        let err = parse("half").expect_err("not a rating");
        assert!(
            err.contains("half") && err.contains("partially-met"),
            "{err}"
        );
        // Output uses the flag's spelling.
        assert_eq!(rating_name(Rating::PartiallyMet.into()), "partially-met");
    }

    #[test]
    fn ratings_and_submit_name_the_same_unconfirmed_criteria_in_the_same_words() {
        let rating = |code: &str, carried_over: bool| CriterionRating {
            criterion: code.into(),
            rating: Rating::Met.into(),
            carried_over,
            ..CriterionRating::default()
        };
        let list = ListRatingsResponse {
            ratings: vec![
                rating("BN-01", false),
                rating("BN-02", true),
                rating("TH-01", true),
            ],
            unrated: vec!["TH-03".into()],
        };
        assert_eq!(
            open_criteria(&list),
            "not rated (or carried over, unconfirmed): 3 of 4\n  not rated: TH-03\n  \
             carried over, unconfirmed: BN-02, TH-01"
        );
        let done = ListRatingsResponse {
            ratings: vec![rating("BN-01", false)],
            unrated: Vec::new(),
        };
        assert_eq!(
            open_criteria(&done),
            "not rated (or carried over, unconfirmed): none"
        );
        let fresh = ListRatingsResponse {
            ratings: Vec::new(),
            unrated: vec!["BN-01".into(), "BN-02".into()],
        };
        assert!(
            open_criteria(&fresh)
                .ends_with("not rated: BN-01, BN-02\n  carried over, unconfirmed: none"),
            "{}",
            open_criteria(&fresh)
        );
    }

    #[test]
    fn comparisons_list_changes_and_counts() {
        let response = CompareYearsResponse {
            department: "departments/JenV".into(),
            from_cycle: "cases/a1".into(),
            to_cycle: "cases/b2".into(),
            changes: vec![RatingChange {
                criterion: "BN-01".into(),
                from_rating: Rating::NotMet.into(),
                to_rating: Rating::Met.into(),
                delta: RatingDelta::Improved.into(),
            }],
            improved: 1,
            declined: 0,
            unchanged: 0,
        };
        let text = compare_text(&response, 2025, 2026);
        assert!(text.starts_with("JenV 2025 (a1) → 2026 (b2)"), "{text}");
        assert!(text.contains("not-met"), "{text}");
        assert!(text.contains("improved"), "{text}");
        assert!(
            text.ends_with("improved 1, declined 0, unchanged 0, changed 0, added 0, removed 0"),
            "{text}"
        );
    }

    #[test]
    fn the_comparison_summary_counts_and_names_added_and_removed_criteria() {
        let change = |code: &str, from: Rating, to: Rating, delta: RatingDelta| RatingChange {
            criterion: code.into(),
            from_rating: from.into(),
            to_rating: to.into(),
            delta: delta.into(),
        };
        let response = CompareYearsResponse {
            department: "departments/JenV".into(),
            from_cycle: "cases/a1".into(),
            to_cycle: "cases/b2".into(),
            changes: vec![
                change("BN-01", Rating::Met, Rating::Met, RatingDelta::Unchanged),
                change(
                    "BN-02",
                    Rating::Met,
                    Rating::NotApplicable,
                    RatingDelta::Changed,
                ),
                change(
                    "TH-03",
                    Rating::Unspecified,
                    Rating::Unspecified,
                    RatingDelta::Added,
                ),
                change(
                    "TH-04",
                    Rating::Unspecified,
                    Rating::Met,
                    RatingDelta::Added,
                ),
                change(
                    "TH-1",
                    Rating::PartiallyMet,
                    Rating::Unspecified,
                    RatingDelta::Removed,
                ),
            ],
            improved: 0,
            declined: 0,
            unchanged: 1,
        };
        let text = compare_text(&response, 2026, 2027);
        assert!(text.contains("TH-03"), "a row of its own: {text}");
        let summary = text.lines().next_back().unwrap_or_default();
        assert_eq!(
            summary,
            "improved 0, declined 0, unchanged 1, changed 1, added 2 (TH-03, TH-04), \
             removed 1 (TH-1)"
        );
    }
}
