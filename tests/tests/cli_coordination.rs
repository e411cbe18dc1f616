//! The coordination commands of the `regie` CLI against a real server: importing work items
//! from CSV (every row checked before anything is created, each row imported once), risk
//! analyses and their heat map, criteria sets, assessment cycles and the roll-up report, and
//! the consultations and observances of a framework.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use regie_proto::v1;
use regie_tests::{Backend, CliOutput, TestServer, backend_tests};

backend_tests!(
    import_checks_every_row_first_then_imports_each_row_once,
    a_risk_analysis_has_a_register_and_a_heatmap,
    cycles_are_opened_rated_compared_and_rolled_up,
    a_comparison_counts_and_names_added_and_removed_criteria,
    a_framework_is_consulted_before_adoption_and_observed_in_force,
    an_exported_criteria_set_loads_back_through_criteria_file,
    cases_transitions_shows_every_transition_and_who_may_take_it,
    one_consult_records_a_meeting_with_several_departments_all_or_nothing,
    agreements_become_follow_up_items_with_their_owner_and_due_date,
);

/// The JSON a successful `--output json` command printed.
fn json(output: &CliOutput) -> serde_json::Value {
    serde_json::from_str(output.ok())
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output.stdout))
}

/// `value` as one CSV field: quoted when it has a comma, a quote or a line break.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// What to put wrong in a generated file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    EmptyTitle,
    BadDueTime,
    UnknownDepartment,
}

/// A CSV of `rows` distinct work items, with the faults at the given row indexes. Returns the
/// text and, for each faulty row, the line it starts on (the header is line 1; some
/// descriptions span two lines, so rows and lines differ).
fn work_items_csv(rows: usize, faults: &[(usize, Fault)]) -> (String, Vec<u64>) {
    const DEPARTMENTS: [&str; 6] = ["JenV", "departments/BZK", "Fin", "AZ", "VWS", ""];
    let mut text = String::from(
        "title,description,department,working_group,assignee,labels,due_time,parent\n",
    );
    let mut line: u64 = 2;
    let mut fault_lines = Vec::new();
    for i in 0..rows {
        let fault = faults
            .iter()
            .find(|(row, _)| *row == i)
            .map_or(Fault::None, |(_, f)| *f);
        let title = if fault == Fault::EmptyTitle {
            String::new()
        } else {
            format!("Actiepunt {i:04}: kwaliteitscriteria, \"ronde\" {}", i % 9)
        };
        let description = if i % 50 == 7 {
            format!("Regel één van item {i}\nregel twee")
        } else {
            format!("Uit het IPIM-overleg, punt {i}")
        };
        let department = if fault == Fault::UnknownDepartment {
            "XYZ"
        } else {
            DEPARTMENTS[i % DEPARTMENTS.len()]
        };
        let group = if i % 4 == 0 { "ipim-kwaliteit" } else { "" };
        let assignee = if i % 3 == 0 { "Anna de Vries" } else { "" };
        let labels = format!("ipim;batch-{}", i % 7);
        let due = match (fault, i % 3) {
            (Fault::BadDueTime, _) => "2026-02-30".to_owned(),
            (_, 0) => format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            (_, 1) => "2026-06-30T17:00:00+02:00".to_owned(),
            _ => String::new(),
        };
        let fields = [
            title,
            description.clone(),
            department.to_owned(),
            group.to_owned(),
            assignee.to_owned(),
            labels,
            due,
            String::new(),
        ];
        let record: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(text, "{}", record.join(",")).unwrap();
        if fault != Fault::None {
            fault_lines.push(line);
        }
        line += 1 + description.matches('\n').count() as u64;
    }
    (text, fault_lines)
}

/// Every work item on the server, through ListCases (as a script would check).
async fn work_items(server: &TestServer) -> Vec<v1::Case> {
    let mut cases = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = server
            .cases()
            .await
            .list_cases(v1::ListCasesRequest {
                page_size: 1000,
                page_token,
                filter: "kind = \"work_item\"".into(),
                order_by: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        cases.extend(page.cases);
        if page.next_page_token.is_empty() {
            return cases;
        }
        page_token = page.next_page_token;
    }
}

/// The line numbers of the `line N: …` problems on stderr.
fn problem_lines(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("line "))
        .filter_map(|rest| rest.split(':').next()?.parse().ok())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

async fn import_checks_every_row_first_then_imports_each_row_once(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    server
        .cli(&[
            "groups",
            "create",
            "--id",
            "ipim-kwaliteit",
            "--name",
            "IPIM werkgroep kwaliteitscriteria",
            "--chair",
            "BZK",
        ])
        .await
        .ok();
    let dir = tempfile::tempdir().unwrap();

    // (a) Three bad rows among 1,000: each is reported with its line, and nothing is created.
    let faults = [
        (137, Fault::EmptyTitle),
        (512, Fault::BadDueTime),
        (901, Fault::UnknownDepartment),
    ];
    let (bad, fault_lines) = work_items_csv(1000, &faults);
    assert_eq!(fault_lines.len(), 3);
    assert!(
        fault_lines[0] > 138,
        "multi-line descriptions shift the lines"
    );
    let bad_file = write(dir.path(), "items-bad.csv", &bad);
    let refused = server.cli(&["import", "work-items", &bad_file]).await;
    assert_eq!(refused.code, Some(3), "{refused:?}");
    let reported = problem_lines(&refused.stderr);
    assert_eq!(reported, fault_lines, "{}", refused.stderr);
    let stderr = &refused.stderr;
    assert!(stderr.contains("title: is required"), "{stderr}");
    assert!(stderr.contains("due_time: `2026-02-30`"), "{stderr}");
    assert!(
        stderr.contains("department: departments/XYZ does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(
        work_items(&server).await.is_empty(),
        "a refused file creates nothing"
    );

    // (b) The fixed file creates every row; running it again creates none.
    let (good, no_faults) = work_items_csv(1000, &[]);
    assert!(no_faults.is_empty());
    let good_file = write(dir.path(), "items.csv", &good);
    let dry = server
        .cli(&["import", "work-items", "--dry-run", &good_file])
        .await;
    assert!(dry.ok().contains("would create 1000"), "{}", dry.stdout);
    assert!(
        work_items(&server).await.is_empty(),
        "a dry run creates nothing"
    );

    let imported = server.cli(&["import", "work-items", &good_file]).await;
    assert_eq!(
        imported.ok().trim(),
        "created 1000, skipped 0 already imported"
    );
    let cases = work_items(&server).await;
    assert_eq!(cases.len(), 1000);
    let keys: BTreeSet<&String> = cases
        .iter()
        .flat_map(|c| &c.labels)
        .filter(|l| l.starts_with("import-"))
        .collect();
    assert_eq!(keys.len(), 1000, "each item has its own key label");
    assert!(
        cases
            .iter()
            .all(|c| c.labels.iter().any(|l| l == "imported")),
        "every item is labelled imported"
    );
    let sample = cases
        .iter()
        .find(|c| c.title.starts_with("Actiepunt 0004:"))
        .expect("row 4 imported");
    assert_eq!(
        sample.title,
        "Actiepunt 0004: kwaliteitscriteria, \"ronde\" 4"
    );
    assert_eq!(sample.department, "departments/VWS");
    assert_eq!(sample.working_group, "workingGroups/ipim-kwaliteit");
    assert!(sample.labels.contains(&"batch-4".to_owned()));
    let multi_line = cases
        .iter()
        .find(|c| c.title.starts_with("Actiepunt 0007:"))
        .unwrap();
    assert_eq!(multi_line.description, "Regel één van item 7\nregel twee");

    let again = server.cli(&["import", "work-items", &good_file]).await;
    assert_eq!(
        again.ok().trim(),
        "created 0, skipped 1000 already imported"
    );
    assert_eq!(work_items(&server).await.len(), 1000);
}

async fn a_risk_analysis_has_a_register_and_a_heatmap(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // Risk-analysis details go with --kind risk_analysis only.
    let usage = server
        .cli(&[
            "cases",
            "create",
            "--kind",
            "work_item",
            "--title",
            "T",
            "--organisation",
            "X",
        ])
        .await;
    assert_eq!(usage.code, Some(2), "{usage:?}");

    let created = server
        .cli(&[
            "--output",
            "json",
            "cases",
            "create",
            "--kind",
            "risk_analysis",
            "--title",
            "Integriteitsrisico's Dienst Toeslagen",
            "--department",
            "Fin",
            "--organisation",
            "Dienst Toeslagen",
            "--high-risk-threshold",
            "12",
        ])
        .await;
    let analysis = json(&created);
    let name = analysis["name"].as_str().unwrap().to_owned();
    assert_eq!(analysis["kind"], "risk_analysis");
    assert_eq!(analysis["riskAnalysis"]["organisation"], "Dienst Toeslagen");
    assert_eq!(analysis["riskAnalysis"]["highRiskThreshold"], 12);

    let add = async |args: &[&str]| {
        let mut all = vec!["risks", "add", name.as_str()];
        all.extend_from_slice(args);
        server.cli(&all).await
    };
    add(&[
        "--title",
        "Belangenverstrengeling bij aanbesteding",
        "--category",
        "conflict-of-interest",
        "--process",
        "procurement",
        "--likelihood",
        "4",
        "--impact",
        "4",
        "--owner",
        "Directeur Bedrijfsvoering",
        "--mitigation",
        "Vier-ogenprincipe",
    ])
    .await
    .ok();
    add(&[
        "--title",
        "Lekken van persoonsgegevens",
        "--category",
        "information-leak",
        "--process",
        "personal-data",
        "--likelihood",
        "2",
        "--impact",
        "3",
    ])
    .await
    .ok();
    add(&[
        "--title",
        "Fraude met toeslagen",
        "--category",
        "undermining",
        "--process",
        "subsidies",
    ])
    .await
    .ok();
    let bad = add(&[
        "--title",
        "x",
        "--category",
        "corruption",
        "--process",
        "permits",
        "--impact",
        "6",
    ])
    .await;
    assert_eq!(bad.code, Some(2), "impact is 1 to 5: {bad:?}");

    let table = server.cli(&["risks", "list", &name]).await;
    let table = table.ok();
    assert!(table.contains("Lekken van persoonsgegevens"), "{table}");
    assert!(table.contains("conflict-of-interest"), "{table}");
    let listed = json(
        &server
            .cli(&["--output", "json", "risks", "list", &name])
            .await,
    );
    let risks = listed["risks"].as_array().unwrap();
    assert_eq!(risks.len(), 3);
    assert_eq!(risks[0]["score"], 16);
    assert_eq!(risks[0]["high"], true);
    let third = risks[2]["name"].as_str().unwrap().to_owned();
    assert!(third.starts_with(&format!("{name}/risks/")), "{third}");

    // The unrated risk gets a rating: likelihood 1, impact 2.
    let updated = server
        .cli(&[
            "--output",
            "json",
            "risks",
            "update",
            &third,
            "--likelihood",
            "1",
            "--impact",
            "2",
            "--status",
            "mitigating",
        ])
        .await;
    let updated = json(&updated);
    assert_eq!(updated["score"], 2);
    assert_eq!(
        updated["title"], "Fraude met toeslagen",
        "unmasked fields stay"
    );

    let heatmap = server.cli(&["risks", "heatmap", &name]).await;
    let text = heatmap.ok();
    assert!(
        text.contains("total 3, unrated 0, high 1 (threshold 12)"),
        "{text}"
    );
    let grid: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('│') && !l.contains("IMPACT"))
        .collect();
    assert_eq!(grid.len(), 5, "likelihood 5 down to 1:\n{text}");
    assert!(
        grid[1].contains("[1]"),
        "likelihood 4, impact 4 is high:\n{text}"
    );
    let raw = json(
        &server
            .cli(&["--output", "json", "risks", "heatmap", &name])
            .await,
    );
    assert_eq!(raw["total"], 3);
    assert_eq!(raw["high"], 1);
    assert_eq!(raw["highRiskThreshold"], 12);
    let cells = raw["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 3, "{raw}");
}

const CRITERIA: &str = r#"
[[criteria]]
code = "BN-01"
title_nl = "Integriteitsbeleid is vastgesteld"
title_en = "An integrity policy has been adopted"
group = "basisnormen"

[[criteria]]
code = "BN-02"
title_nl = "Er is een vertrouwenspersoon"
title_en = "There is a confidential adviser"
group = "basisnormen"

[[criteria]]
code = "TH-1"
title_nl = "Moreel leiderschap & <voorbeeldgedrag>"
title_en = "Moral leadership"
group = "thema's"
"#;

async fn cycles_are_opened_rated_compared_and_rolled_up(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let criteria = write(dir.path(), "criteria.toml", CRITERIA);
    let set = json(
        &server
            .cli(&[
                "--output",
                "json",
                "criteria-sets",
                "create",
                "--title",
                "Toetsingskader integriteit",
                "--criteria-file",
                &criteria,
            ])
            .await,
    );
    let set_name = set["name"].as_str().unwrap().to_owned();
    assert_eq!(set["state"], "DRAFT");
    assert_eq!(set["criteria"].as_array().map(Vec::len), Some(3));
    server
        .cli(&[
            "criteria-sets",
            "update",
            &set_name,
            "--description",
            "Basisnormen en thema's",
        ])
        .await
        .ok();
    let published = server.cli(&["criteria-sets", "publish", &set_name]).await;
    assert!(published.ok().contains("published"), "{}", published.stdout);
    let listed = server
        .cli(&[
            "criteria-sets",
            "list",
            "--filter",
            "state = \"published\"",
            "--all",
        ])
        .await;
    assert!(listed.ok().contains("Toetsingskader integriteit"));
    let frozen = server
        .cli(&["criteria-sets", "update", &set_name, "--title", "Anders"])
        .await;
    assert_eq!(
        frozen.code,
        Some(6),
        "a published set never changes: {frozen:?}"
    );

    // 2025: JenV rates everything.
    let open = |year: &'static str, departments: &'static [&'static str], carry: bool| {
        let mut args = vec![
            "--output",
            "json",
            "cycles",
            "open",
            "--year",
            year,
            "--criteria-set",
            set_name.as_str(),
        ];
        for d in departments {
            args.extend(["--department", d]);
        }
        if carry {
            args.push("--carry-over");
        }
        let server = &server;
        async move { json(&server.cli(&args).await) }
    };
    let opened = open("2025", &["JenV"], false).await;
    let cycle_2025 = opened["opened"][0]["name"].as_str().unwrap().to_owned();
    server
        .cli(&["cases", "transition", &cycle_2025, "start"])
        .await
        .ok();
    for (code, rating) in [
        ("BN-01", "partially-met"),
        ("BN-02", "not-met"),
        ("TH-1", "met"),
    ] {
        server
            .cli(&[
                "cycles",
                "rate",
                &cycle_2025,
                code,
                "--rating",
                rating,
                "--justification",
                "Zie jaarverslag",
            ])
            .await
            .ok();
    }

    // 2026: JenV and BZK, JenV starting from last year's ratings.
    let opened = open("2026", &["JenV", "departments/BZK"], true).await;
    let opened = opened["opened"].as_array().unwrap();
    assert_eq!(opened.len(), 2);
    let cycle_of = |code: &str| {
        opened
            .iter()
            .find(|c| c["department"] == format!("departments/{code}"))
            .and_then(|c| c["name"].as_str())
            .unwrap()
            .to_owned()
    };
    let (jenv, bzk) = (cycle_of("JenV"), cycle_of("BZK"));
    let again = open("2026", &["JenV", "BZK"], true).await;
    assert_eq!(again["opened"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["existing"].as_array().map(Vec::len), Some(2));

    server
        .cli(&["cases", "transition", &jenv, "start"])
        .await
        .ok();
    let rated = server
        .cli(&[
            "cycles",
            "rate",
            &jenv,
            "BN-01",
            "--rating",
            "met",
            "--evidence",
            "Integriteitsbeleid 2026|https://intranet.example/jenv/integriteit|P&O|2027-01-01",
            "--maturity",
            "implementation",
        ])
        .await;
    assert!(rated.ok().contains("implementation"), "{}", rated.stdout);
    let ratings = server.cli(&["cycles", "ratings", &jenv]).await;
    let ratings = ratings.ok();
    assert!(ratings.contains("BN-01"), "{ratings}");
    assert!(ratings.contains("not-met"), "carried over: {ratings}");
    // The carried-over ratings still wait for confirmation: `ratings` and a refused `submit`
    // say so alike.
    assert!(
        ratings.contains("not rated (or carried over, unconfirmed): 2 of 3"),
        "{ratings}"
    );
    assert!(ratings.contains("  not rated: none"), "{ratings}");
    assert!(
        ratings.contains("  carried over, unconfirmed: BN-02, TH-1"),
        "{ratings}"
    );
    let submit = server.cli(&["cases", "transition", &jenv, "submit"]).await;
    assert_eq!(submit.code, Some(6), "{submit:?}");
    assert!(
        submit
            .stderr
            .contains("not rated (or carried over, unconfirmed): BN-02, TH-1"),
        "{}",
        submit.stderr
    );
    // The history names the criterion and the rating of each `cycle.rated` row.
    let history = server.cli(&["cases", "history", &jenv]).await;
    let history = history.ok();
    let rated_row = history
        .lines()
        .find(|l| l.contains("cycle.rated"))
        .unwrap_or_default();
    assert!(
        rated_row.contains("BN-01: met (was partially-met, carried over)"),
        "{history}"
    );
    let bzk_ratings = server.cli(&["cycles", "ratings", &bzk]).await;
    assert!(
        bzk_ratings.ok().contains("  not rated: BN-01, BN-02, TH-1"),
        "{}",
        bzk_ratings.stdout
    );

    // The roll-up: CSV, HTML to a file, and the table. With a year-on-year column, as 2025
    // has cycles: JenV met one criterion of three (confirmed) both years, BZK had none.
    let csv = server
        .cli(&[
            "report", "rollup", "--year", "2026", "--format", "csv", "--lang", "en",
        ])
        .await;
    let lines: Vec<&str> = csv.ok().lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("department,state,completion_pct,met_change_pp_vs_2025,BN-01,BN-02,TH-1"),
        "{}",
        csv.stdout
    );
    assert!(
        lines.contains(&"JenV,self_assessment,33.3,0.0,met,not-met*,met*"),
        "{}",
        csv.stdout
    );
    assert!(lines.contains(&"BZK,planned,0.0,,,,"), "{}", csv.stdout);
    assert!(
        lines.last().unwrap().starts_with("completion,,"),
        "{}",
        csv.stdout
    );
    let csv_nl = server
        .cli(&["report", "rollup", "--year", "2026", "--format", "csv"])
        .await;
    assert_eq!(
        csv_nl.ok().lines().next(),
        Some("departement,status,beoordeeld_pct,voldaan_verschil_pp_2025,BN-01,BN-02,TH-1"),
        "Dutch by default: {}",
        csv_nl.stdout
    );
    let html_file = dir.path().join("rollup-2026.html");
    let html = server
        .cli(&[
            "report",
            "rollup",
            "--year",
            "2026",
            "--criteria-set",
            &set_name,
            "--format",
            "html",
            "--output-file",
            html_file.to_str().unwrap(),
            "--lang",
            "en",
        ])
        .await;
    assert!(html.ok().is_empty(), "the page goes to the file");
    let page = std::fs::read_to_string(&html_file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Integrity assessments 2026"));
    assert!(page.contains("Moreel leiderschap &amp; &lt;voorbeeldgedrag&gt;"));
    assert!(page.contains("r-met") && page.contains("r-unrated") && page.contains("carried"));
    assert!(page.contains("<html lang=\"en\">"));
    assert!(
        page.contains("· Criteria set: Toetsingskader integriteit</p>"),
        "the set by its title:\n{page}"
    );
    assert!(page.contains("<tr><th scope=\"row\">TH-1</th><td>Moral leadership</td></tr>"));
    assert!(page.contains("<th scope=\"col\">Met vs 2025</th>"));
    let table = server.cli(&["report", "rollup", "--year", "2026"]).await;
    assert!(table.ok().contains("JenV"), "{}", table.stdout);
    let raw = json(
        &server
            .cli(&["--output", "json", "report", "rollup", "--year", "2026"])
            .await,
    );
    assert_eq!(raw["rows"].as_array().map(Vec::len), Some(2));
    rollup_is_dutch_by_default_with_a_legend_and_the_year_before(&server, dir.path()).await;

    // Compared with 2025: BN-01 went from partially met to met.
    let compare = server
        .cli(&[
            "cycles",
            "compare",
            "--department",
            "JenV",
            "--from",
            "2025",
            "--to",
            "2026",
        ])
        .await;
    let compare = compare.ok();
    assert!(compare.contains("improved"), "{compare}");
    assert!(compare.contains("improved 1, declined 0"), "{compare}");
    assert!(
        compare
            .trim_end()
            .ends_with("changed 0, added 0, removed 0"),
        "{compare:?}"
    );

    // Confirm the carried-over ratings, submit, review, and record the dialogue.
    for (code, rating) in [("BN-02", "not-met"), ("TH-1", "met")] {
        server
            .cli(&[
                "cycles",
                "rate",
                &jenv,
                code,
                "--rating",
                rating,
                "--justification",
                "Bevestigd",
            ])
            .await
            .ok();
    }
    for step in ["submit", "start_review", "approve_review"] {
        server.cli(&["cases", "transition", &jenv, step]).await.ok();
    }
    let dialogue = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cycles",
                "dialogue",
                &jenv,
                "--date",
                "2026-05-12",
                "--participant",
                "Jan Jansen (BZK)",
                "--participant",
                "Anna de Vries (JenV)",
                "--summary",
                "Voortgang besproken",
                "--agreement",
                "Vertrouwenspersoon aanstellen vóór 1 oktober",
            ])
            .await,
    );
    let recorded = &dialogue["assessmentCycle"]["dialogue"];
    assert_eq!(recorded["date"], "2026-05-12");
    assert_eq!(recorded["participants"].as_array().map(Vec::len), Some(2));
    let shown = server.cli(&["cases", "get", &jenv]).await;
    assert!(
        shown.ok().contains("Voortgang besproken"),
        "{}",
        shown.stdout
    );
}

/// The 2026 roll-up of `cycles_are_opened_rated_compared_and_rolled_up` in its default
/// language, Dutch: the set's title, the criteria with their titles below the matrix (in the
/// page and in the table), and the change against 2025 per department.
async fn rollup_is_dutch_by_default_with_a_legend_and_the_year_before(
    server: &TestServer,
    dir: &Path,
) {
    let html_file = dir.join("rollup-2026-nl.html");
    let html = server
        .cli(&[
            "report",
            "rollup",
            "--year",
            "2026",
            "--format",
            "html",
            "--output-file",
            html_file.to_str().unwrap(),
        ])
        .await;
    assert!(html.ok().is_empty(), "the page goes to the file");
    let page = std::fs::read_to_string(&html_file).unwrap();
    assert!(page.contains("<html lang=\"nl\">"), "{page}");
    assert!(page.contains("<h1>Toetsing integriteit 2026 — overzicht</h1>"));
    assert_eq!(
        page.lines().find(|l| l.starts_with("<p class=\"meta\">")),
        Some(
            "<p class=\"meta\">2 departementen · 3 criteria · \
             Criteriaset: Toetsingskader integriteit</p>"
        ),
        "{page}"
    );
    assert!(page.contains("<caption>Beoordelingen per departement en criterium</caption>"));
    assert!(page.contains(
        "<tr><th scope=\"row\">TH-1</th><td>Moreel leiderschap &amp; \
         &lt;voorbeeldgedrag&gt;</td></tr>"
    ));
    assert!(
        page.contains("<tr><th scope=\"row\">BN-02</th><td>Er is een vertrouwenspersoon</td></tr>")
    );
    assert!(page.contains("<th scope=\"col\">Voldaan t.o.v. 2025</th>"));
    assert!(
        page.contains("<td class=\"yoy\">0 %-punt<span class=\"counts\">33% → 33%</span></td>"),
        "JenV:\n{page}"
    );
    assert!(page.contains("<td class=\"yoy\" title=\"BZK: geen toetsing in 2025\">—</td>"));
    assert!(
        page.contains("<td class=\"state\">Zelfevaluatie</td>"),
        "{page}"
    );
    assert!(page.contains("<td class=\"state\">Gepland</td>"), "{page}");
    assert!(!page.contains("Integrity"), "{page}");

    let table = server.cli(&["report", "rollup", "--year", "2026"]).await;
    let text = table.ok();
    assert!(
        text.starts_with(
            "Toetsing integriteit 2026 — overzicht\nCriteriaset: Toetsingskader integriteit\n"
        ),
        "{text}"
    );
    assert!(text.contains("VOLDAAN T.O.V. 2025"), "{text}");
    let (matrix, legend) = text
        .split_once("\nCriteria:\n")
        .unwrap_or_else(|| panic!("no legend of criteria below the matrix:\n{text}"));
    assert!(
        matrix.contains("JenV") && matrix.contains("0 %-punt"),
        "{text}"
    );
    assert_eq!(
        legend.lines().map(str::trim).collect::<Vec<_>>(),
        vec![
            "BN-01  Integriteitsbeleid is vastgesteld",
            "BN-02  Er is een vertrouwenspersoon",
            "TH-1   Moreel leiderschap & <voorbeeldgedrag>",
        ],
        "{text}"
    );
    let english = server
        .cli(&["report", "rollup", "--year", "2026", "--lang", "en"])
        .await;
    let english = english.ok();
    assert!(
        english.starts_with("Integrity assessments 2026 — roll-up\n"),
        "{english}"
    );
    assert!(english.contains("MET VS 2025"), "{english}");
    assert!(english.contains("  TH-1   Moral leadership"), "{english}");
    // 2025 has no year before: no such column.
    let first = server.cli(&["report", "rollup", "--year", "2025"]).await;
    let first = first.ok();
    assert!(first.starts_with("Toetsing integriteit 2025"), "{first}");
    assert!(!first.contains("T.O.V."), "{first}");
}

const CRITERIA_2025: &str = r#"
[[criteria]]
code = "BN-01"
title_nl = "Integriteitsbeleid is vastgesteld"
title_en = "An integrity policy has been adopted"

[[criteria]]
code = "BN-02"
title_nl = "Er is een vertrouwenspersoon"
title_en = "There is a confidential adviser"
"#;

const CRITERIA_2026: &str = r#"
[[criteria]]
code = "BN-01"
title_nl = "Integriteitsbeleid is vastgesteld"
title_en = "An integrity policy has been adopted"

[[criteria]]
code = "TH-03"
title_nl = "Positie van de integriteitscoördinator"
title_en = "The integrity coordinator's position"
"#;

/// Between two years whose sets differ (TH-03 new, BN-02 dropped), `cycles compare` counts
/// and names the added and removed criteria in its summary, and the roll-up compares each
/// department with its cycle of the year before even against another set.
async fn a_comparison_counts_and_names_added_and_removed_criteria(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (year, criteria, ratings) in [
        (
            "2025",
            CRITERIA_2025,
            &[("BN-01", "not-met"), ("BN-02", "met")],
        ),
        ("2026", CRITERIA_2026, &[("BN-01", "met"), ("TH-03", "met")]),
    ] {
        let file = write(dir.path(), &format!("criteria-{year}.toml"), criteria);
        let title = format!("Toetsingskader integriteit {year}");
        let set = json(
            &server
                .cli(&[
                    "--output",
                    "json",
                    "criteria-sets",
                    "create",
                    "--title",
                    &title,
                    "--criteria-file",
                    &file,
                ])
                .await,
        );
        let set = set["name"].as_str().unwrap().to_owned();
        server.cli(&["criteria-sets", "publish", &set]).await.ok();
        let opened = json(
            &server
                .cli(&[
                    "--output",
                    "json",
                    "cycles",
                    "open",
                    "--year",
                    year,
                    "--criteria-set",
                    &set,
                    "--department",
                    "JenV",
                ])
                .await,
        );
        let cycle = opened["opened"][0]["name"].as_str().unwrap().to_owned();
        server
            .cli(&["cases", "transition", &cycle, "start"])
            .await
            .ok();
        for &(code, rating) in ratings {
            server
                .cli(&[
                    "cycles",
                    "rate",
                    &cycle,
                    code,
                    "--rating",
                    rating,
                    "--justification",
                    "Zie jaarverslag",
                ])
                .await
                .ok();
        }
    }

    let compare = server
        .cli(&[
            "cycles",
            "compare",
            "--department",
            "JenV",
            "--from",
            "2025",
            "--to",
            "2026",
        ])
        .await;
    let compare = compare.ok();
    let rows: Vec<&str> = compare.lines().collect();
    assert!(
        rows.iter()
            .any(|l| l.contains("TH-03") && l.contains("added")),
        "{compare}"
    );
    assert!(
        rows.iter()
            .any(|l| l.contains("BN-02") && l.contains("removed")),
        "{compare}"
    );
    assert_eq!(
        rows.last().copied(),
        Some(
            "improved 1, declined 0, unchanged 0, changed 0, added 1 (TH-03), \
             removed 1 (BN-02)"
        ),
        "{compare}"
    );

    // JenV met one criterion of two in 2025, both in 2026: +50 percentage points.
    let csv = server
        .cli(&[
            "report", "rollup", "--year", "2026", "--format", "csv", "--lang", "en",
        ])
        .await;
    assert_eq!(
        csv.ok().lines().collect::<Vec<_>>(),
        vec![
            "department,state,completion_pct,met_change_pp_vs_2025,BN-01,TH-03",
            "JenV,self_assessment,100.0,50.0,met,met",
            "completion,,100.0,,100.0,100.0",
        ],
        "{}",
        csv.stdout
    );
    let table = server.cli(&["report", "rollup", "--year", "2026"]).await;
    let text = table.ok();
    assert!(
        text.contains("\nCriteriaset: Toetsingskader integriteit 2026\n"),
        "{text}"
    );
    assert!(text.contains("+50 %-punt"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim() == "TH-03  Positie van de integriteitscoördinator"),
        "{text}"
    );
}

async fn a_framework_is_consulted_before_adoption_and_observed_in_force(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let created = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cases",
                "create",
                "--kind",
                "framework",
                "--title",
                "Kader integriteitsonderzoeken",
                "--purpose",
                "quality",
                "--purpose",
                "unity",
                "--scope",
                "JenV",
                "--scope",
                "departments/BZK",
                "--effective-date",
                "2026-07-01",
                "--evaluation-interval-months",
                "24",
            ])
            .await,
    );
    let name = created["name"].as_str().unwrap().to_owned();
    let scope: Vec<&str> = created["framework"]["scope"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(scope, ["departments/JenV", "departments/BZK"]);
    assert_eq!(created["framework"]["effectiveDate"], "2026-07-01");
    let shown = server.cli(&["cases", "get", &name]).await;
    let purposes = shown
        .ok()
        .lines()
        .find(|l| l.contains("PURPOSES"))
        .unwrap_or_default();
    assert!(
        purposes.contains("quality") && purposes.contains("unity"),
        "{}",
        shown.stdout
    );

    server
        .cli(&["cases", "transition", &name, "start_consultation"])
        .await
        .ok();
    let bad_date = server
        .cli(&[
            "frameworks",
            "consult",
            &name,
            "--department",
            "JenV",
            "--body",
            "IPIM",
            "--date",
            "2026-13-01",
            "--outcome",
            "agrees",
        ])
        .await;
    assert_eq!(bad_date.code, Some(2), "{bad_date:?}");
    let consulted = server
        .cli(&[
            "frameworks",
            "consult",
            &name,
            "--department",
            "JenV",
            "--body",
            "IPIM",
            "--date",
            "2026-02-10",
            "--outcome",
            "agrees",
        ])
        .await;
    assert!(consulted.ok().contains("agrees"), "{}", consulted.stdout);
    let listed = server.cli(&["frameworks", "consultations", &name]).await;
    let listed = listed.ok();
    assert!(listed.contains("IPIM"), "{listed}");
    assert!(listed.contains("not consulted: BZK"), "{listed}");

    server
        .cli(&[
            "frameworks",
            "consult",
            &name,
            "--department",
            "BZK",
            "--body",
            "SG-overleg",
            "--date",
            "2026-02-17",
            "--outcome",
            "concerns",
            "--note",
            "Uitvoerbaarheid bij de uitvoeringsorganisaties",
        ])
        .await
        .ok();
    let listed = json(
        &server
            .cli(&["--output", "json", "frameworks", "consultations", &name])
            .await,
    );
    assert_eq!(listed["consultations"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["notConsulted"].as_array().map(Vec::len), Some(0));
    assert_eq!(listed["consultations"][1]["outcome"], "CONCERNS");

    // Only the coordinating minister adopts: the admin needs the coordinator role in rijk.
    let refused = server.cli(&["cases", "transition", &name, "adopt"]).await;
    assert_eq!(refused.code, Some(6), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("✗ decree.adopted_by_coordinating_minister"),
        "{}",
        refused.stderr
    );
    server
        .cli(&[
            "roles",
            "grant",
            "--principal",
            "admin",
            "--role",
            "coordinator",
            "--domain",
            "rijk",
        ])
        .await
        .ok();
    for step in ["adopt", "put_in_force"] {
        server.cli(&["cases", "transition", &name, step]).await.ok();
    }
    let observed = server
        .cli(&[
            "frameworks",
            "observe",
            &name,
            "--department",
            "JenV",
            "--summary",
            "Opgenomen in het integriteitsbeleid van JenV",
            "--date",
            "2026-07-15",
            "--link",
            "https://intranet.example/jenv/integriteitsonderzoeken",
        ])
        .await;
    assert!(observed.ok().contains("JenV"), "{}", observed.stdout);
    let observances = server.cli(&["frameworks", "observances", &name]).await;
    let observances = observances.ok();
    assert!(observances.contains("Opgenomen in het"), "{observances}");
    assert!(observances.contains("not observed: BZK"), "{observances}");
}

async fn an_exported_criteria_set_loads_back_through_criteria_file(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let criteria = write(dir.path(), "criteria.toml", CRITERIA);
    let set = json(
        &server
            .cli(&[
                "--output",
                "json",
                "criteria-sets",
                "create",
                "--title",
                "Toetsingskader integriteit",
                "--criteria-file",
                &criteria,
            ])
            .await,
    );
    let name = set["name"].as_str().unwrap().to_owned();
    // Exported as protobuf JSON (camelCase `titleNl`), the whole set as `get` prints it.
    let exported = server
        .cli(&["--output", "json", "criteria-sets", "get", &name])
        .await;
    assert!(exported.ok().contains("\"titleNl\""), "{}", exported.stdout);
    let file = write(dir.path(), "exported.json", exported.ok());
    let copy = json(
        &server
            .cli(&[
                "--output",
                "json",
                "criteria-sets",
                "create",
                "--title",
                "Kopie",
                "--criteria-file",
                &file,
            ])
            .await,
    );
    assert_eq!(copy["criteria"], set["criteria"], "{copy}");
    assert_eq!(
        copy["criteria"][2]["titleNl"],
        "Moreel leiderschap & <voorbeeldgedrag>"
    );
}

/// A 2026 cycle of JenV against the test criteria set (made and published through the CLI),
/// rated and submitted by JenV's integrity coordinator `ic`; its name.
async fn submitted_jenv_cycle(server: &TestServer, ic: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let criteria = write(dir.path(), "criteria.toml", CRITERIA);
    let set = json(
        &server
            .cli(&[
                "--output",
                "json",
                "criteria-sets",
                "create",
                "--title",
                "Toetsingskader",
                "--criteria-file",
                &criteria,
            ])
            .await,
    );
    let set = set["name"].as_str().unwrap().to_owned();
    server.cli(&["criteria-sets", "publish", &set]).await.ok();
    let opened = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cycles",
                "open",
                "--year",
                "2026",
                "--criteria-set",
                &set,
                "--department",
                "JenV",
            ])
            .await,
    );
    let cycle = opened["opened"][0]["name"].as_str().unwrap().to_owned();
    // JenV's integrity coordinator assesses the department and submits.
    server
        .cli_as(Some(ic), &["cases", "transition", &cycle, "start"])
        .await
        .ok();
    for code in ["BN-01", "BN-02", "TH-1"] {
        server
            .cli_as(
                Some(ic),
                &["cycles", "rate", &cycle, code, "--rating", "met"],
            )
            .await
            .ok();
    }
    server
        .cli_as(Some(ic), &["cases", "transition", &cycle, "submit"])
        .await
        .ok();
    cycle
}

/// The table row of `transition` in `cases transitions` output.
fn transition_row<'a>(table: &'a str, transition: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(&format!("│ {transition} ")))
        .unwrap_or_else(|| panic!("no row for {transition}:\n{table}"))
}

async fn cases_transitions_shows_every_transition_and_who_may_take_it(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let auditor = server.principal("rekenkamer", &[("auditor", "rijk")]).await;
    let cycle = submitted_jenv_cycle(&server, &ic).await;

    // The review that follows is not theirs: they see it, who may take it, and that they may
    // not (the rule that keeps reviewer and assessed apart fails for them too).
    let theirs = server
        .cli_as(Some(&ic), &["cases", "transitions", &cycle])
        .await;
    let table = theirs.ok();
    assert!(table.contains("WHO MAY"), "{table}");
    let row = transition_row(table, "start_review");
    assert!(row.contains("in_review"), "{row}");
    assert!(row.contains("admin, coordinator (not you)"), "{row}");
    assert!(row.contains(" no "), "not open to them: {row}");
    assert!(table.contains("cycle.reviewer_independent"), "{table}");
    assert!(
        table.contains("(not you): none of your roles allows it on this case"),
        "{table}"
    );
    assert!(!table.contains("it is final"), "{table}");
    assert!(!theirs.stderr.contains("it is final"), "{}", theirs.stderr);
    // For the coordinating directorate (here the admin) it is open.
    let admin = server.cli(&["cases", "transitions", &cycle]).await;
    let row = transition_row(admin.ok(), "start_review");
    assert!(row.contains(" yes "), "{row}");
    assert!(!row.contains("(not you)"), "{row}");
    assert!(!admin.stdout.contains("(not you):"), "{}", admin.stdout);
    // The API says the same: every declared transition, permitted or not, with its roles.
    let listed = json(
        &server
            .cli_as(
                Some(&ic),
                &["--output", "json", "cases", "transitions", &cycle],
            )
            .await,
    );
    let start_review = &listed["transitions"][0];
    assert_eq!(start_review["transition"], "start_review");
    assert_eq!(start_review["permitted"], false);
    assert_eq!(start_review["open"], false);
    assert_eq!(
        start_review["roles"],
        serde_json::json!(["admin", "coordinator"])
    );

    // An auditor on a recommendation sees each way out of `received` and who takes it.
    let recommendation = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cases",
                "create",
                "--kind",
                "recommendation",
                "--title",
                "Versterk de coördinerende rol",
                "--report-title",
                "Integriteit als basis",
                "--addressee",
                "coordinating_minister",
                "--theme",
                "coordination",
            ])
            .await,
    );
    let recommendation = recommendation["name"].as_str().unwrap().to_owned();
    let seen = server
        .cli_as(Some(&auditor), &["cases", "transitions", &recommendation])
        .await;
    let table = seen.ok();
    for transition in ["accept", "accept_partially", "reject"] {
        let row = transition_row(table, transition);
        assert!(
            row.contains("admin, coordinator, secretariat (not you)"),
            "{row}"
        );
    }

    // Only a final state has none.
    let item = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cases",
                "create",
                "--kind",
                "work_item",
                "--title",
                "Agenda",
            ])
            .await,
    );
    let item = item["name"].as_str().unwrap().to_owned();
    server
        .cli(&["cases", "transition", &item, "cancel"])
        .await
        .ok();
    let none = server.cli(&["cases", "transitions", &item]).await;
    none.ok();
    assert!(
        none.stderr
            .contains("no transitions from this state (it is final)"),
        "{none:?}"
    );
}

async fn one_consult_records_a_meeting_with_several_departments_all_or_nothing(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let created = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cases",
                "create",
                "--kind",
                "framework",
                "--title",
                "Toetsingskader integriteit",
                "--purpose",
                "quality",
                "--scope",
                "JenV",
                "--scope",
                "BZK",
                "--scope",
                "Fin",
            ])
            .await,
    );
    let name = created["name"].as_str().unwrap().to_owned();
    server
        .cli(&["cases", "transition", &name, "start_consultation"])
        .await
        .ok();
    let consult = |departments: &'static [&'static str]| {
        let mut args = vec!["frameworks", "consult", name.as_str()];
        for d in departments {
            args.extend(["--department", d]);
        }
        args.extend([
            "--body",
            "IPIM",
            "--date",
            "2026-10-08",
            "--outcome",
            "agrees",
        ]);
        let server = &server;
        async move { server.cli(&args).await }
    };
    let events = || async {
        server
            .cases()
            .await
            .list_case_events(v1::ListCaseEventsRequest {
                name: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events
            .into_iter()
            .filter(|e| e.r#type == "framework.consulted")
            .count()
    };

    // A department outside the scope, or one named twice: nothing is recorded, and the error
    // names the field.
    let outside = consult(&["JenV", "Defensie"]).await;
    assert_eq!(outside.code, Some(3), "{outside:?}");
    assert!(
        outside.stderr.contains("consultations[1].department"),
        "{}",
        outside.stderr
    );
    let twice = consult(&["JenV", "BZK", "departments/JenV"]).await;
    assert_eq!(twice.code, Some(3), "{twice:?}");
    assert!(
        twice.stderr.contains("field consultations[2].department")
            && twice.stderr.contains("named twice"),
        "{}",
        twice.stderr
    );
    assert_eq!(events().await, 0, "all or nothing");

    // One call for the meeting: one consultation, and one event, per department.
    let recorded = consult(&["JenV", "BZK"]).await;
    let table = recorded.ok();
    assert!(table.contains("JenV") && table.contains("BZK"), "{table}");
    assert!(table.contains("2 consultations recorded"), "{table}");
    assert_eq!(events().await, 2);
    let listed = server.cli(&["frameworks", "consultations", &name]).await;
    assert!(
        listed.ok().contains("not consulted: Fin"),
        "{}",
        listed.stdout
    );

    // Through the API: the batch is checked for each consultation, its permission too.
    let secretariat = server
        .principal("secretariaat", &[("secretariat", "rijk")])
        .await;
    let member = server.principal("lid", &[("member", "Fin")]).await;
    let batch = |departments: &[&str]| v1::BatchRecordConsultationsRequest {
        framework: name.clone(),
        consultations: departments
            .iter()
            .map(|d| v1::Consultation {
                department: format!("departments/{d}"),
                body: "SG-overleg".into(),
                date: "2026-10-15".into(),
                outcome: v1::ConsultationOutcome::Concerns as i32,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let refused = v1::framework_service_client::FrameworkServiceClient::new(
        server.authed_with(&member).await,
    )
    .batch_record_consultations(batch(&["Fin"]))
    .await
    .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    let answer = v1::framework_service_client::FrameworkServiceClient::new(
        server.authed_with(&secretariat).await,
    )
    .batch_record_consultations(batch(&["Fin", "JenV"]))
    .await
    .unwrap()
    .into_inner();
    let departments: Vec<&str> = answer
        .consultations
        .iter()
        .map(|c| c.department.as_str())
        .collect();
    assert_eq!(departments, ["departments/Fin", "departments/JenV"]);
    assert!(
        answer
            .consultations
            .iter()
            .all(|c| c.recorded_by == "principals/secretariaat")
    );
    assert_eq!(events().await, 4);
    let empty = server
        .frameworks()
        .await
        .batch_record_consultations(batch(&[]))
        .await
        .unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);

    // A single department still goes through RecordConsultation and prints the consultation.
    let single = consult(&["Fin"]).await;
    assert!(single.ok().contains("RECORDED BY"), "{}", single.stdout);
    assert_eq!(events().await, 5);
}

async fn agreements_become_follow_up_items_with_their_owner_and_due_date(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let cycle = submitted_jenv_cycle(&server, &ic).await;
    for step in ["start_review", "approve_review"] {
        server
            .cli(&["cases", "transition", &cycle, step])
            .await
            .ok();
    }

    // A due date that is not a date is a usage error, before anything is sent.
    let bad = server
        .cli(&[
            "cycles",
            "dialogue",
            &cycle,
            "--date",
            "2026-11-12",
            "--participant",
            "SG JenV",
            "--summary",
            "Jaarlijks gesprek",
            "--agreement",
            "Notitie|Karim|1 juli",
        ])
        .await;
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(bad.stderr.contains("TEXT|OWNER|DUE"), "{}", bad.stderr);
    let recorded = server
        .cli(&[
            "cycles",
            "dialogue",
            &cycle,
            "--date",
            "2026-11-12",
            "--participant",
            "SG JenV",
            "--summary",
            "Jaarlijks gesprek",
            "--agreement",
            "Vertrouwenspersonen zichtbaarder maken|Karim El Idrissi|2027-03-31",
            "--agreement",
            "Risicoanalyse inkoop herhalen||2027-06-30",
            "--agreement",
            "Gedragscode actualiseren",
        ])
        .await;
    let shown = recorded.ok();
    assert!(
        shown.contains("Vertrouwenspersonen zichtbaarder maken (Karim El Idrissi, due 2027-03-31)"),
        "{shown}"
    );
    assert!(
        shown.contains("Risicoanalyse inkoop herhalen (due 2027-06-30)"),
        "{shown}"
    );
    for step in ["hold_dialogue", "close"] {
        server
            .cli(&["cases", "transition", &cycle, step])
            .await
            .ok();
    }

    // Each agreement is a follow-up item carried by its owner, due when agreed.
    let items = json(
        &server
            .cli(&[
                "--output",
                "json",
                "cases",
                "list",
                "--filter",
                &format!("parent = \"{cycle}\""),
                "--label",
                "follow-up",
            ])
            .await,
    );
    let items = items["cases"].as_array().unwrap();
    let item = |title: &str| {
        items
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("no follow-up {title}: {items:?}"))
    };
    let confidential = item("Vertrouwenspersonen zichtbaarder maken");
    assert_eq!(confidential["assignee"], "Karim El Idrissi");
    // The end of 31 March 2027 in Amsterdam (summer time).
    assert_eq!(confidential["dueTime"], "2027-03-31T21:59:59Z");
    let procurement = item("Risicoanalyse inkoop herhalen");
    assert_eq!(procurement["assignee"], "");
    assert_eq!(procurement["dueTime"], "2027-06-30T21:59:59Z");
    let code = item("Gedragscode actualiseren");
    assert_eq!(code["assignee"], "");
    assert!(code["dueTime"].is_null(), "{code}");
    assert_eq!(items.len(), 3);
    // With an owner, work can start at once (`work_item.assignee_required` holds).
    let id = confidential["name"].as_str().unwrap();
    server
        .cli(&["cases", "transition", id, "accept"])
        .await
        .ok();
    server.cli(&["cases", "transition", id, "start"]).await.ok();
}
