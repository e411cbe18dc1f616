//! `regie risks …`: the register of an integrity risk analysis (add, change, list) and its heat
//! map.

use comfy_table::CellAlignment;
use prost_types::FieldMask;
use regie_proto::v1::{
    AddRiskRequest, GetHeatmapRequest, Heatmap, ListRisksRequest, ListRisksResponse, Risk,
    RiskCategory, RiskStatus, UpdateRiskRequest, VulnerableProcess,
};

use super::render::{self, Listing, Show};
use super::{Context, set_masked};
use crate::cli::{Category, Process, RiskAdd, RiskCommand, RiskFields, RiskUpdate, Status};
use crate::error::CliError;
use crate::output::{self, enum_name, or_dash, yes_no};

pub async fn run(ctx: &Context, command: RiskCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.risks();
    match command {
        RiskCommand::Add(args) => {
            let request = add_request(args);
            let risk = conn.call(client.add_risk(conn.request(request))).await?;
            render::show(ctx.output, &risk)
        }
        RiskCommand::Update(args) => {
            let request = update_request(args);
            let risk = conn.call(client.update_risk(conn.request(request))).await?;
            render::show(ctx.output, &risk)
        }
        RiskCommand::List { analysis } => {
            let request = ListRisksRequest { analysis };
            let response = conn.call(client.list_risks(conn.request(request))).await?;
            render::print(ctx.output, &response)
        }
        RiskCommand::Heatmap { analysis } => {
            let request = GetHeatmapRequest { analysis };
            let heatmap = conn.call(client.get_heatmap(conn.request(request))).await?;
            render::show(ctx.output, &heatmap)
        }
    }
}

/// The register of one analysis.
impl Listing for ListRisksResponse {
    type Item = Risk;
    const HEADER: &'static [&'static str] = &[
        "NAME", "TITLE", "CATEGORY", "PROCESS", "L", "I", "SCORE", "HIGH", "STATUS", "OWNER",
    ];
    const EMPTY: &'static str = "no risks recorded";
    fn items(&self) -> &[Risk] {
        &self.risks
    }
    fn row(r: &Risk) -> Vec<String> {
        vec![
            r.name.clone(),
            output::truncate(&r.title, 40),
            category_name(r.category),
            process_name(r.process),
            rated(r.likelihood),
            rated(r.impact),
            rated(r.score),
            if r.high { "yes" } else { "" }.to_owned(),
            status_name(r.status),
            or_dash(&r.owner),
        ]
    }
}

/// The optional fields of `risks add`, as they go in the risk (unset: the server's default).
fn apply_fields(fields: RiskFields, risk: &mut Risk) {
    risk.likelihood = fields.likelihood.unwrap_or_default();
    risk.impact = fields.impact.unwrap_or_default();
    risk.mitigation = fields.mitigation.unwrap_or_default();
    risk.owner = fields.owner.unwrap_or_default();
    risk.status = fields
        .status
        .map_or(RiskStatus::Unspecified, RiskStatus::from)
        .into();
}

fn add_request(args: RiskAdd) -> AddRiskRequest {
    let mut risk = Risk {
        title: args.title,
        category: RiskCategory::from(args.category).into(),
        process: VulnerableProcess::from(args.process).into(),
        ..Risk::default()
    };
    apply_fields(args.fields, &mut risk);
    AddRiskRequest {
        analysis: args.analysis,
        risk: Some(risk),
        etag: args.etag,
        request_id: args.request_id,
    }
}

/// The risk to send and the mask naming exactly the fields given on the command line.
fn update_request(args: RiskUpdate) -> UpdateRiskRequest {
    let mut paths = Vec::new();
    let mut risk = Risk {
        name: args.risk,
        ..Risk::default()
    };
    set_masked(&mut paths, "title", args.title, &mut risk.title);
    let category = args.category.map(|c| RiskCategory::from(c).into());
    set_masked(&mut paths, "category", category, &mut risk.category);
    let process = args.process.map(|p| VulnerableProcess::from(p).into());
    set_masked(&mut paths, "process", process, &mut risk.process);
    let f = args.fields;
    set_masked(&mut paths, "likelihood", f.likelihood, &mut risk.likelihood);
    set_masked(&mut paths, "impact", f.impact, &mut risk.impact);
    set_masked(&mut paths, "mitigation", f.mitigation, &mut risk.mitigation);
    set_masked(&mut paths, "owner", f.owner, &mut risk.owner);
    let status = f.status.map(|s| RiskStatus::from(s).into());
    set_masked(&mut paths, "status", status, &mut risk.status);
    UpdateRiskRequest {
        risk: Some(risk),
        update_mask: Some(FieldMask { paths }),
        etag: args.etag,
        request_id: args.request_id,
    }
}

fn category_name(category: i32) -> String {
    enum_name::<Category, RiskCategory>(category)
}

fn process_name(process: i32) -> String {
    enum_name::<Process, VulnerableProcess>(process)
}

fn status_name(status: i32) -> String {
    enum_name::<Status, RiskStatus>(status)
}

/// A likelihood, impact or score: `-` while not rated (0).
fn rated(value: i32) -> String {
    if value == 0 {
        "-".to_owned()
    } else {
        value.to_string()
    }
}

/// One risk, as a key/value table.
impl Show for Risk {
    fn text(&self) -> String {
        let r = self;
        output::key_value_table(vec![
            ("NAME", r.name.clone()),
            ("TITLE", or_dash(&r.title)),
            ("CATEGORY", category_name(r.category)),
            ("PROCESS", process_name(r.process)),
            ("LIKELIHOOD", rated(r.likelihood)),
            ("IMPACT", rated(r.impact)),
            ("SCORE", rated(r.score)),
            ("HIGH", yes_no(r.high).to_owned()),
            ("MITIGATION", or_dash(&r.mitigation)),
            ("OWNER", or_dash(&r.owner)),
            ("STATUS", status_name(r.status)),
            ("CREATED", output::timestamp(r.create_time.as_ref())),
            ("UPDATED", output::timestamp(r.update_time.as_ref())),
        ])
        .to_string()
    }
}

/// The heat map as a 5 x 5 grid, likelihood 5 at the top down to 1, impact 1 to 5 from the
/// left; each cell the number of risks there (`·` for none), in brackets where likelihood x
/// impact is at or above the high-risk threshold. Then the totals.
impl Show for Heatmap {
    fn text(&self) -> String {
        let heatmap = self;
        let count = |likelihood: i32, impact: i32| -> i32 {
            heatmap
                .cells
                .iter()
                .filter(|c| c.likelihood == likelihood && c.impact == impact)
                .map(|c| c.count)
                .sum()
        };
        let threshold = heatmap.high_risk_threshold;
        let mut table = output::table(&["LIKELIHOOD \\ IMPACT", "1", "2", "3", "4", "5"]);
        for likelihood in (1..=5).rev() {
            let mut row = vec![likelihood.to_string()];
            for impact in 1..=5 {
                let n = count(likelihood, impact);
                let text = if n == 0 {
                    "·".to_owned()
                } else {
                    n.to_string()
                };
                let high = threshold > 0 && likelihood * impact >= threshold;
                row.push(if high { format!("[{text}]") } else { text });
            }
            table.add_row(row);
        }
        for column in table.column_iter_mut().skip(1) {
            column.set_cell_alignment(CellAlignment::Center);
        }
        format!(
            "{table}\n[ ]: likelihood x impact at or above the high-risk threshold ({threshold})\n\
             total {}, unrated {}, high {} (threshold {threshold})",
            heatmap.total, heatmap.unrated, heatmap.high
        )
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use regie_proto::v1::HeatmapCell;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> RiskCommand {
        let cli = Cli::try_parse_from(["regie", "risks"].iter().chain(args))
            .and_then(Cli::checked)
            .expect("valid command line");
        let Command::Risks(command) = cli.command else {
            panic!("parsed as the wrong command");
        };
        command
    }

    #[test]
    fn the_heat_map_is_a_grid_with_high_cells_marked() {
        let heatmap = Heatmap {
            cells: vec![
                HeatmapCell {
                    likelihood: 5,
                    impact: 4,
                    count: 2,
                },
                HeatmapCell {
                    likelihood: 1,
                    impact: 1,
                    count: 3,
                },
            ],
            total: 7,
            unrated: 2,
            high: 2,
            high_risk_threshold: 15,
        };
        let text = heatmap.text();
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with('│') && !l.contains("IMPACT"))
            .collect();
        assert_eq!(rows.len(), 5, "{text}");
        assert!(
            rows[0].trim_start_matches('│').trim().starts_with('5'),
            "{text}"
        );
        assert!(rows[0].contains("[2]"), "5 x 4 = 20 is high: {text}");
        assert!(rows[0].contains("[·]"), "5 x 3 = 15 is high too: {text}");
        assert!(rows[4].contains(" 3 "), "likelihood 1, impact 1: {text}");
        assert!(!rows[4].contains('['), "nothing is high there: {text}");
        assert!(
            text.ends_with("total 7, unrated 2, high 2 (threshold 15)"),
            "{text}"
        );
    }

    #[test]
    fn updates_mask_exactly_the_flags_given() {
        let RiskCommand::Update(update) = parse(&[
            "update",
            "cases/ra1/risks/3",
            "--likelihood",
            "4",
            "--status",
            "mitigating",
            "--owner",
            "",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let request = update_request(update);
        assert_eq!(
            request.update_mask.expect("mask").paths,
            vec!["likelihood", "owner", "status"]
        );
        let risk = request.risk.expect("risk");
        assert_eq!(risk.name, "cases/ra1/risks/3");
        assert_eq!(risk.likelihood, 4);
        assert_eq!(risk.status, i32::from(RiskStatus::Mitigating));
        let err = Cli::try_parse_from(["regie", "risks", "update", "cases/ra1/risks/3"]);
        assert_eq!(err.map(drop).map_err(|e| e.exit_code()), Err(2));
        let err = Cli::try_parse_from([
            "regie",
            "risks",
            "update",
            "cases/ra1/risks/3",
            "--impact",
            "6",
        ]);
        assert_eq!(err.map(drop).map_err(|e| e.exit_code()), Err(2));
    }

    #[test]
    fn a_new_risk_has_its_category_and_process() {
        let RiskCommand::Add(add) = parse(&[
            "add",
            "ra1",
            "--title",
            "Belangenverstrengeling bij aanbesteding",
            "--category",
            "conflict-of-interest",
            "--process",
            "procurement",
            "--impact",
            "5",
        ]) else {
            panic!("parsed as the wrong command");
        };
        let request = add_request(add);
        assert_eq!(request.analysis, "cases/ra1");
        let risk = request.risk.expect("risk");
        assert_eq!(risk.category, i32::from(RiskCategory::ConflictOfInterest));
        assert_eq!(risk.process, i32::from(VulnerableProcess::Procurement));
        assert_eq!((risk.likelihood, risk.impact), (0, 5));
        assert_eq!(risk.status, 0, "the server's default");
        assert_eq!(category_name(risk.category), "conflict-of-interest");
        assert_eq!(status_name(RiskStatus::RiskOpen.into()), "open");
    }
}
