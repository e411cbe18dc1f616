//! The roll-up of a year's assessment cycles (`regie report rollup`), rendered as a terminal
//! table, as CSV, or as one self-contained HTML page that a coordinator can mail around or
//! print, in Dutch (the default) or English (`--lang en`).
//!
//! Pure functions of a [`Report`] (the `Rollup` message, the language, the titles of the
//! criteria sets and the roll-up of the year before; for HTML also the time it was made), so
//! every format is unit-tested without a server. A cell's text is the rating's code (`met`,
//! `partially-met`, `not-met`, `not-applicable`, as `--rating` spells them) or empty (not rated), with `*` after it when the rating
//! was carried over from the year before and not yet confirmed. A criterion that is not in a
//! row's criteria set has no cell there (empty in the table and CSV, `—` in HTML).
//!
//! Completion is worked out from the counts (`rated / total`), not taken from the message's
//! ratio, so the percentage always agrees with the `rated/total` shown next to it.
//!
//! Every format but CSV names the criteria sets by title and ends with a legend of the
//! criteria (code and title), so nothing is lost on paper. When the year before has cycles, a
//! year-on-year column shows per department the change in its share of criteria rated met
//! (confirmed ratings only, as for completion) against its cycle of the year before, in
//! percentage points; `—` (empty in CSV) when the department had no cycle that year.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use regie_proto::v1::{Rating, Rollup, RollupCell, RollupCriterion, RollupRow};
use time::OffsetDateTime;

use crate::names::{CRITERIA_SETS, DEPARTMENTS, short_id};
use crate::output;

/// The language of a report: headings, labels, legends and criterion titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Dutch.
    #[default]
    Nl,
    /// English.
    En,
}

/// The fixed words of a report in one language.
struct Words {
    /// The `lang` attribute of the page.
    code: &'static str,
    /// `{heading} 2026 — {rollup}`.
    heading: &'static str,
    rollup: &'static str,
    department: &'static str,
    state: &'static str,
    completion: &'static str,
    /// The CSV column of the completion, and the name of its last row.
    completion_csv: &'static str,
    completion_row: &'static str,
    completion_per_criterion: &'static str,
    criteria_set: &'static str,
    criteria_sets: &'static str,
    criterion: &'static str,
    criteria: &'static str,
    departments: (&'static str, &'static str),
    code_column: &'static str,
    title_column: &'static str,
    caption: &'static str,
    legend: &'static str,
    carried: &'static str,
    absent: &'static str,
    not_rated_or_absent: &'static str,
    criteria_rated: &'static str,
    /// `rated in {} of {} cycles`, split around the numbers.
    rated_in: (&'static str, &'static str, &'static str),
    generated: (&'static str, &'static str),
    no_cycles: &'static str,
    /// The unit of a change in percentage points.
    points: &'static str,
}

const NL: Words = Words {
    code: "nl",
    heading: "Toetsing integriteit",
    rollup: "overzicht",
    department: "Departement",
    state: "Status",
    completion: "Beoordeeld",
    completion_csv: "beoordeeld_pct",
    completion_row: "beoordeeld",
    completion_per_criterion: "Beoordeeld per criterium",
    criteria_set: "Criteriaset",
    criteria_sets: "Criteriasets",
    criterion: "criterium",
    criteria: "criteria",
    departments: ("departement", "departementen"),
    code_column: "Code",
    title_column: "Titel",
    caption: "Beoordelingen per departement en criterium",
    legend: "Legenda",
    carried: "overgenomen van vorig jaar, nog niet bevestigd",
    absent: "niet in de criteriaset van het departement",
    not_rated_or_absent: "niet beoordeeld (of niet in de criteriaset van het departement)",
    criteria_rated: "criteria beoordeeld",
    rated_in: ("beoordeeld in ", " van ", " cycli"),
    generated: (
        "Gemaakt ",
        " door regie. Overgenomen beoordelingen tellen niet als beoordeeld.",
    ),
    no_cycles: "Geen toetsingscycli in",
    points: "%-punt",
};

const EN: Words = Words {
    code: "en",
    heading: "Integrity assessments",
    rollup: "roll-up",
    department: "Department",
    state: "State",
    completion: "Completion",
    completion_csv: "completion_pct",
    completion_row: "completion",
    completion_per_criterion: "Completion per criterion",
    criteria_set: "Criteria set",
    criteria_sets: "Criteria sets",
    criterion: "criterion",
    criteria: "criteria",
    departments: ("department", "departments"),
    code_column: "Code",
    title_column: "Title",
    caption: "Ratings per department and criterion",
    legend: "Legend",
    carried: "carried over from the year before, not yet confirmed",
    absent: "not in the department's criteria set",
    not_rated_or_absent: "not rated (or not in the department's criteria set)",
    criteria_rated: "criteria rated",
    rated_in: ("rated in ", " of ", " cycles"),
    generated: (
        "Generated ",
        " by regie. Carried-over ratings do not count as rated.",
    ),
    no_cycles: "No assessment cycles for",
    points: "pp",
};

impl Lang {
    fn words(self) -> &'static Words {
        match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        }
    }

    /// The other language: where a title missing in this one comes from.
    fn other(self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }

    /// The page's heading, e.g. `Toetsing integriteit 2026 — overzicht`.
    pub fn heading(self, year: i32) -> String {
        let w = self.words();
        format!("{} {year} — {}", w.heading, w.rollup)
    }

    /// The note when a year has no cycles, e.g. `Geen toetsingscycli in 2030.`
    pub fn no_cycles(self, year: i32) -> String {
        format!("{} {year}.", self.words().no_cycles)
    }

    /// The heading of the year-on-year column.
    fn year_on_year(self, previous: i32) -> String {
        match self {
            Lang::Nl => format!("Voldaan t.o.v. {previous}"),
            Lang::En => format!("Met vs {previous}"),
        }
    }

    /// The CSV name of the year-on-year column.
    fn year_on_year_csv(self, previous: i32) -> String {
        match self {
            Lang::Nl => format!("voldaan_verschil_pp_{previous}"),
            Lang::En => format!("met_change_pp_vs_{previous}"),
        }
    }

    /// What the year-on-year column means.
    fn year_on_year_legend(self, previous: i32) -> String {
        match self {
            Lang::Nl => format!(
                "verandering in procentpunten van het aandeel criteria dat (bevestigd) voldaan \
                 is, ten opzichte van {previous}; —: geen toetsing in {previous}"
            ),
            Lang::En => format!(
                "change in percentage points of the share of criteria rated met (confirmed) \
                 since {previous}; —: no cycle in {previous}"
            ),
        }
    }
}

/// A roll-up with what it is rendered with.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub rollup: &'a Rollup,
    pub lang: Lang,
    /// The title of each criteria set by resource name (`criteriaSets/ID`); a set missing here
    /// is shown by its id.
    pub set_titles: BTreeMap<String, String>,
    /// The roll-up of the year before: the year-on-year column, when it has cycles.
    pub previous: Option<&'a Rollup>,
    /// The label of each state of the cycles' workflow in `lang` (`self_assessment` →
    /// `Zelfevaluatie`), for the page; a state missing here is shown by its name.
    pub state_labels: BTreeMap<String, String>,
}

impl<'a> Report<'a> {
    /// `rollup` alone: no set titles, no year before.
    pub fn new(rollup: &'a Rollup, lang: Lang) -> Self {
        Self {
            rollup,
            lang,
            set_titles: BTreeMap::new(),
            previous: None,
            state_labels: BTreeMap::new(),
        }
    }

    /// The year before, when it has cycles to compare with.
    fn previous_year(&self) -> Option<&'a Rollup> {
        self.previous.filter(|p| !p.rows.is_empty())
    }

    /// The titles of the criteria sets the rows use (each once, in order of first use), or
    /// their ids when the title is not known.
    pub fn set_labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for name in set_names(self.rollup) {
            let label = self
                .set_titles
                .get(&name)
                .filter(|t| !t.is_empty())
                .cloned()
                .unwrap_or_else(|| short_id(CRITERIA_SETS, &name).to_owned());
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        labels
    }

    /// `Criteriaset: …` (or `Criteriasets: …`), `—` when there are none.
    fn sets_line(&self) -> String {
        let w = self.lang.words();
        let labels = self.set_labels();
        let word = if labels.len() == 1 {
            w.criteria_set
        } else {
            w.criteria_sets
        };
        let list = if labels.is_empty() {
            "—".to_owned()
        } else {
            labels.join(", ")
        };
        format!("{word}: {list}")
    }
}

/// The criteria sets of the rows' cycles, by resource name, each once in order of first use.
pub fn set_names(rollup: &Rollup) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in &rollup.rows {
        if !row.criteria_set.is_empty() && !names.contains(&row.criteria_set) {
            names.push(row.criteria_set.clone());
        }
    }
    names
}

/// A criterion's title in `lang`, or else in the other language (then with that language, for
/// the `lang` attribute); empty when it has none.
fn criterion_title(c: &RollupCriterion, lang: Lang) -> (&str, Option<Lang>) {
    let title = |lang: Lang| match lang {
        Lang::Nl => c.title_nl.as_str(),
        Lang::En => c.title_en.as_str(),
    };
    match (title(lang), title(lang.other())) {
        ("", "") => ("", None),
        ("", other) => (other, Some(lang.other())),
        (own, _) => (own, None),
    }
}

/// The cell of `row` for criterion `code`, if the row's set has the criterion.
fn cell<'a>(row: &'a RollupRow, code: &str) -> Option<&'a RollupCell> {
    row.cells.iter().find(|c| c.criterion == code)
}

fn rating_of(cell: &RollupCell) -> Rating {
    Rating::try_from(cell.rating).unwrap_or(Rating::Unspecified)
}

/// A rating as the table and CSV spell it; empty when not rated.
fn rating_code(rating: Rating) -> &'static str {
    match rating {
        Rating::Met => "met",
        Rating::PartiallyMet => "partially-met",
        Rating::NotMet => "not-met",
        Rating::NotApplicable => "not-applicable",
        Rating::Unspecified => "",
    }
}

/// A cell as the table and CSV show it: the rating as `--rating` spells it (`met`,
/// `partially-met`, `not-met`, `not-applicable`; empty when not rated or not in the set), `*`
/// after it when carried over.
pub fn cell_text(cell: Option<&RollupCell>) -> String {
    let Some(cell) = cell else {
        return String::new();
    };
    let text = rating_code(rating_of(cell));
    if cell.carried_over {
        format!("{text}*")
    } else {
        text.to_owned()
    }
}

/// `rated` of `total` as a percentage, 0 to 100; 0 when there is nothing to rate.
pub fn completion_percent(rated: i32, total: i32) -> f64 {
    if total <= 0 {
        return 0.0;
    }
    (f64::from(rated.max(0)) / f64::from(total) * 100.0).clamp(0.0, 100.0)
}

/// A percentage rounded to a whole number, e.g. `67%`.
fn percent_text(rated: i32, total: i32) -> String {
    format!("{:.0}%", completion_percent(rated, total))
}

/// The overall completion: every rated cell of every row over every cell.
fn overall(rollup: &Rollup) -> (i32, i32) {
    rollup.rows.iter().fold((0, 0), |(rated, total), row| {
        (rated + row.rated, total + row.total)
    })
}

fn department(row: &RollupRow) -> &str {
    short_id(DEPARTMENTS, &row.department)
}

/// The share of a row's criteria rated met, as a percentage: confirmed ratings only, as for
/// completion.
pub fn met_percent(row: &RollupRow) -> f64 {
    let met = row
        .cells
        .iter()
        .filter(|c| !c.carried_over && rating_of(c) == Rating::Met)
        .count();
    completion_percent(i32::try_from(met).unwrap_or(i32::MAX), row.total)
}

/// A department's share of met criteria in the year before and now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YearOnYear {
    pub before: f64,
    pub now: f64,
}

impl YearOnYear {
    /// The change in percentage points, with one decimal, for CSV.
    fn exact(self) -> String {
        format!("{:.1}", self.now - self.before)
    }

    /// The change between the two rounded percentages, so that it agrees with them: `+17`,
    /// `-5`, `0`.
    fn points(self) -> String {
        let change = self.now.round() - self.before.round();
        if change > 0.0 {
            format!("+{change:.0}")
        } else {
            format!("{change:.0}")
        }
    }

    /// `33% → 50%`.
    fn shares(self) -> String {
        format!("{:.0}% → {:.0}%", self.before, self.now)
    }
}

/// How `row`'s department did against the year before: its cycle of that year against the same
/// set if it had one, else its last. `None` without a year before or a cycle in it.
pub fn year_on_year(report: &Report<'_>, row: &RollupRow) -> Option<YearOnYear> {
    let previous = report.previous_year()?;
    // `max_by_key` keeps the last of the best: the last against the same set, else the last.
    let before = previous
        .rows
        .iter()
        .filter(|r| r.department == row.department)
        .max_by_key(|r| r.criteria_set == row.criteria_set)?;
    Some(YearOnYear {
        before: met_percent(before),
        now: met_percent(row),
    })
}

/// The year-on-year cell of the table: `+17 pp`, or `—`.
fn year_on_year_text(report: &Report<'_>, row: &RollupRow) -> String {
    year_on_year(report, row).map_or_else(
        || "—".to_owned(),
        |y| format!("{} {}", y.points(), report.lang.words().points),
    )
}

/// The legend of the criteria for the terminal: a line per criterion, code and title.
fn criteria_legend_text(report: &Report<'_>) -> String {
    let criteria = &report.rollup.criteria;
    let width = criteria.iter().map(|c| c.code.chars().count()).max();
    let mut text = String::from("Criteria:");
    for c in criteria {
        let (title, _) = criterion_title(c, report.lang);
        let _ = write!(
            text,
            "\n  {:<width$}  {title}",
            c.code,
            width = width.unwrap_or(0)
        );
    }
    text
}

/// The roll-up as a terminal table: the heading and the criteria sets, a row per department,
/// then the completion per criterion; below it what the marks mean and the criteria with their
/// titles.
pub fn table(report: &Report<'_>) -> String {
    let rollup = report.rollup;
    let lang = report.lang;
    let w = lang.words();
    let previous = report.previous_year();
    let mut header: Vec<String> = vec![
        w.department.to_uppercase(),
        w.state.to_uppercase(),
        w.completion.to_uppercase(),
    ];
    if let Some(p) = previous {
        header.push(lang.year_on_year(p.year).to_uppercase());
    }
    header.extend(rollup.criteria.iter().map(|c| c.code.clone()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = output::table(&header);
    for row in &rollup.rows {
        let mut cells = vec![
            department(row).to_owned(),
            row.state.clone(),
            format!(
                "{} ({}/{})",
                percent_text(row.rated, row.total),
                row.rated,
                row.total
            ),
        ];
        if previous.is_some() {
            cells.push(year_on_year_text(report, row));
        }
        cells.extend(
            rollup
                .criteria
                .iter()
                .map(|c| cell_text(cell(row, &c.code))),
        );
        table.add_row(cells);
    }
    let (rated, total) = overall(rollup);
    let mut footer = vec![
        w.completion_row.to_owned(),
        String::new(),
        format!("{} ({rated}/{total})", percent_text(rated, total)),
    ];
    if previous.is_some() {
        footer.push(String::new());
    }
    footer.extend(
        rollup
            .criteria
            .iter()
            .map(|c| percent_text(c.rated, c.total)),
    );
    table.add_row(footer);

    let mut text = format!(
        "{}\n{}\n{table}\n* {}; {}: {}",
        lang.heading(rollup.year),
        report.sets_line(),
        w.carried,
        match lang {
            Lang::Nl => "leeg",
            Lang::En => "empty",
        },
        w.not_rated_or_absent
    );
    if lang == Lang::Nl {
        let ratings: Vec<String> = RATINGS
            .iter()
            .filter(|r| **r != Rating::Unspecified)
            .map(|r| format!("{}: {}", rating_code(*r), rating_label(*r, lang)))
            .collect();
        let _ = write!(text, "\n{}", ratings.join(" · "));
    }
    if let Some(p) = previous {
        let _ = write!(
            text,
            "\n{}: {}",
            lang.year_on_year(p.year).to_uppercase(),
            lang.year_on_year_legend(p.year)
        );
    }
    if !rollup.criteria.is_empty() {
        let _ = write!(text, "\n\n{}", criteria_legend_text(report));
    }
    text
}

/// The roll-up as CSV: a header row, a row per department, and a last row (`beoordeeld`, in
/// English `completion`) with the completion per criterion. Completion is a percentage with one
/// decimal, and so is the year-on-year change (a column only when the year before has cycles).
pub fn csv(report: &Report<'_>) -> anyhow::Result<String> {
    let rollup = report.rollup;
    let lang = report.lang;
    let w = lang.words();
    let previous = report.previous_year();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec![
        w.department.to_lowercase(),
        w.state.to_lowercase(),
        w.completion_csv.to_owned(),
    ];
    if let Some(p) = previous {
        header.push(lang.year_on_year_csv(p.year));
    }
    header.extend(rollup.criteria.iter().map(|c| c.code.clone()));
    writer.write_record(&header)?;
    for row in &rollup.rows {
        let mut record = vec![
            department(row).to_owned(),
            row.state.clone(),
            format!("{:.1}", completion_percent(row.rated, row.total)),
        ];
        if previous.is_some() {
            record.push(
                year_on_year(report, row)
                    .map(YearOnYear::exact)
                    .unwrap_or_default(),
            );
        }
        record.extend(
            rollup
                .criteria
                .iter()
                .map(|c| cell_text(cell(row, &c.code))),
        );
        writer.write_record(&record)?;
    }
    let (rated, total) = overall(rollup);
    let mut last = vec![
        w.completion_row.to_owned(),
        String::new(),
        format!("{:.1}", completion_percent(rated, total)),
    ];
    if previous.is_some() {
        last.push(String::new());
    }
    last.extend(
        rollup
            .criteria
            .iter()
            .map(|c| format!("{:.1}", completion_percent(c.rated, c.total))),
    );
    writer.write_record(&last)?;
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8(bytes)?)
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` become entities, so it is safe both between tags
/// and inside a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a rating looks in the HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingStyle {
    /// The CSS class of its cells (`r-met`, …).
    pub class: &'static str,
    /// What the cell shows (besides its colour, for printing in black and white).
    pub symbol: &'static str,
    /// Background and text colour.
    pub background: &'static str,
    pub color: &'static str,
}

/// The look of each rating: met green, partially met amber, not met red, not applicable grey,
/// not rated white (hatched by the page's CSS).
pub fn rating_style(rating: Rating) -> RatingStyle {
    match rating {
        Rating::Met => RatingStyle {
            class: "r-met",
            symbol: "✓",
            background: "#8bc98e",
            color: "#0f3d19",
        },
        Rating::PartiallyMet => RatingStyle {
            class: "r-partial",
            symbol: "◐",
            background: "#ffc857",
            color: "#4d3500",
        },
        Rating::NotMet => RatingStyle {
            class: "r-notmet",
            symbol: "✗",
            background: "#ec7063",
            color: "#3f0b06",
        },
        Rating::NotApplicable => RatingStyle {
            class: "r-na",
            symbol: "n/a",
            background: "#c9ced4",
            color: "#2f3438",
        },
        Rating::Unspecified => RatingStyle {
            class: "r-unrated",
            symbol: "",
            background: "#ffffff",
            color: "#555555",
        },
    }
}

/// The name of a rating in the legends and the tooltips.
pub fn rating_label(rating: Rating, lang: Lang) -> &'static str {
    match (rating, lang) {
        (Rating::Met, Lang::Nl) => "voldaan",
        (Rating::Met, Lang::En) => "met",
        (Rating::PartiallyMet, Lang::Nl) => "deels voldaan",
        (Rating::PartiallyMet, Lang::En) => "partially met",
        (Rating::NotMet, Lang::Nl) => "niet voldaan",
        (Rating::NotMet, Lang::En) => "not met",
        (Rating::NotApplicable, Lang::Nl) => "niet van toepassing",
        (Rating::NotApplicable, Lang::En) => "not applicable",
        (Rating::Unspecified, Lang::Nl) => "niet beoordeeld",
        (Rating::Unspecified, Lang::En) => "not rated",
    }
}

/// Every rating in legend order.
const RATINGS: [Rating; 5] = [
    Rating::Met,
    Rating::PartiallyMet,
    Rating::NotMet,
    Rating::NotApplicable,
    Rating::Unspecified,
];

/// The page's style sheet: the layout, then one rule per rating generated from
/// [`rating_style`], so the legend, the cells and the tests agree on the colours.
fn css() -> String {
    let mut css = String::from(
        "*{box-sizing:border-box}\
body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;\
color:#1f2933;background:#f5f7fa;margin:0;padding:24px}\
main{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:24px 28px;\
max-width:max-content;margin:0 auto}\
h1{font-size:22px;margin:0 0 4px}\
.meta{color:#52606d;font-size:13px;margin:0 0 16px}\
.summary{display:flex;flex-wrap:wrap;gap:8px 18px;margin:0 0 16px;padding:0;list-style:none;\
font-size:13px}\
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0 0 18px;padding:10px 12px;\
list-style:none;font-size:13px;background:#f8fafc;border:1px solid #e4e7eb;border-radius:6px}\
.legend li{display:flex;align-items:center;gap:6px}\
.swatch{display:inline-block;width:26px;height:20px;line-height:20px;text-align:center;\
border:1px solid #9aa5b1;border-radius:3px;font-size:12px}\
caption{text-align:left;font-weight:600;font-size:14px;padding:0 0 6px}\
table.matrix{border-collapse:separate;border-spacing:2px;font-size:13px}\
.matrix th,.matrix td{padding:4px 6px}\
.matrix thead th{background:#e4e7eb;font-weight:600;white-space:nowrap;border-radius:3px}\
.matrix thead th.code{cursor:help;text-decoration:underline dotted #7b8794}\
.matrix tbody th{text-align:left;white-space:nowrap;background:#f0f4f8;border-radius:3px}\
.matrix td.state{color:#52606d;white-space:nowrap;font-size:12px}\
.matrix td.rating{min-width:42px;height:28px;text-align:center;font-weight:600;\
border:1px solid rgba(0,0,0,.12);border-radius:3px}\
.matrix td.carried{outline:2px dashed rgba(0,0,0,.55);outline-offset:-5px;font-style:italic}\
.matrix td.r-absent{background:#f5f7fa;color:#9aa5b1;border:1px dotted #cbd2d9}\
.matrix td.yoy{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}\
.matrix td.yoy .counts{display:block}\
.completion{white-space:nowrap;font-variant-numeric:tabular-nums}\
.bar{display:inline-block;vertical-align:middle;width:64px;height:8px;background:#e4e7eb;\
border-radius:4px;overflow:hidden;margin-right:6px}\
.bar span{display:block;height:100%;background:#2f80ed}\
.counts{color:#7b8794;font-size:11px}\
.matrix tfoot th,.matrix tfoot td{background:#f0f4f8;font-size:12px;text-align:center;\
border-radius:3px}\
.matrix tfoot th{text-align:left}\
.matrix tfoot .bar{width:36px;margin:0 auto 2px;display:block}\
table.criteria{border-collapse:collapse;font-size:13px;margin-top:20px}\
.criteria th,.criteria td{padding:3px 10px 3px 0;text-align:left;vertical-align:top;\
border-bottom:1px solid #e4e7eb}\
.criteria thead th{font-weight:600;color:#52606d}\
.criteria tbody th{white-space:nowrap;font-weight:600}\
footer{margin-top:16px;color:#7b8794;font-size:12px}\
@media print{body{background:#fff;padding:0}main{border:0;padding:0}\
.matrix thead th.code{text-decoration:none}tr{break-inside:avoid}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n",
    );
    for rating in RATINGS {
        let style = rating_style(rating);
        let _ = writeln!(
            css,
            ".{}{{background:{};color:{}}}",
            style.class, style.background, style.color
        );
    }
    // Not rated: white, hatched, so an empty cell never reads as "nothing to see".
    css.push_str(
        ".r-unrated{background:repeating-linear-gradient(135deg,#ffffff 0 5px,#e4e7eb 5px 7px)}\n",
    );
    css
}

/// A completion bar, `percent` wide.
fn bar(percent: f64) -> String {
    format!("<span class=\"bar\"><span style=\"width:{percent:.0}%\"></span></span>")
}

/// `rated in 2 of 3 cycles` (in Dutch `beoordeeld in 2 van 3 cycli`).
fn rated_in(lang: Lang, rated: i32, total: i32) -> String {
    let (a, b, c) = lang.words().rated_in;
    format!("{a}{rated}{b}{total}{c}")
}

/// The tooltip of a criterion's column: its code, titles and how many cycles rated it.
fn criterion_tooltip(c: &RollupCriterion, lang: Lang) -> String {
    let (first, second) = match lang {
        Lang::Nl => (&c.title_nl, &c.title_en),
        Lang::En => (&c.title_en, &c.title_nl),
    };
    let titles: Vec<&str> = [first.as_str(), second.as_str()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    let mut tip = c.code.clone();
    if !titles.is_empty() {
        tip.push_str(" — ");
        tip.push_str(&titles.join(" / "));
    }
    let _ = write!(tip, " ({})", rated_in(lang, c.rated, c.total));
    tip
}

/// The HTML of one rating cell.
fn cell_html(row: &RollupRow, criterion: &RollupCriterion, lang: Lang) -> String {
    let w = lang.words();
    let Some(cell) = cell(row, &criterion.code) else {
        let tip = format!("{} · {}: {}", department(row), criterion.code, w.absent);
        return format!(
            "<td class=\"rating r-absent\" title=\"{}\">—</td>",
            escape(&tip)
        );
    };
    let rating = rating_of(cell);
    let style = rating_style(rating);
    let (class, marker, note) = if cell.carried_over {
        (" carried", "*", format!(" ({})", w.carried))
    } else {
        ("", "", String::new())
    };
    let tip = format!(
        "{} · {}: {}{note}",
        department(row),
        criterion.code,
        rating_label(rating, lang)
    );
    format!(
        "<td class=\"rating {}{class}\" title=\"{}\">{}{marker}</td>",
        style.class,
        escape(&tip),
        escape(style.symbol)
    )
}

/// A state as the page shows it: its label, else its name with spaces.
fn state_label(report: &Report<'_>, state: &str) -> String {
    report
        .state_labels
        .get(state)
        .filter(|l| !l.is_empty())
        .cloned()
        .unwrap_or_else(|| state.replace('_', " "))
}

/// The HTML of a department's year-on-year cell: the change and the two shares, or `—`.
fn year_on_year_html(report: &Report<'_>, row: &RollupRow, previous: i32) -> String {
    let lang = report.lang;
    match year_on_year(report, row) {
        Some(y) => format!(
            "<td class=\"yoy\">{} {}<span class=\"counts\">{}</span></td>",
            escape(&y.points()),
            escape(lang.words().points),
            escape(&y.shares())
        ),
        None => {
            let tip = match lang {
                Lang::Nl => format!("{}: geen toetsing in {previous}", department(row)),
                Lang::En => format!("{}: no cycle in {previous}", department(row)),
            };
            format!("<td class=\"yoy\" title=\"{}\">—</td>", escape(&tip))
        }
    }
}

/// How many cells have each rating, in [`RATINGS`] order (carried-over ones included).
fn rating_counts(rollup: &Rollup) -> [usize; 5] {
    let mut counts = [0; 5];
    for row in &rollup.rows {
        for criterion in &rollup.criteria {
            if let Some(cell) = cell(row, &criterion.code) {
                let rating = rating_of(cell);
                if let Some(i) = RATINGS.iter().position(|r| *r == rating) {
                    counts[i] += 1;
                }
            }
        }
    }
    counts
}

/// The legend of the criteria: a table of code and title, so the titles print.
fn criteria_legend_html(report: &Report<'_>) -> String {
    let lang = report.lang;
    let w = lang.words();
    let mut html = format!(
        "<table class=\"criteria\">\n<caption>Criteria</caption>\n<thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(w.code_column),
        escape(w.title_column)
    );
    for c in &report.rollup.criteria {
        let (title, other) = criterion_title(c, lang);
        let lang_attr = other
            .map(|l| format!(" lang=\"{}\"", l.words().code))
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td{lang_attr}>{}</td></tr>",
            escape(&c.code),
            if title.is_empty() {
                "—".to_owned()
            } else {
                escape(title)
            }
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// `n` with the singular or plural of a word.
fn counted(n: usize, (one, many): (&str, &str)) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The roll-up as one self-contained HTML page: inline CSS, no scripts, no external resources.
/// `generated_at` is printed at the bottom (and is the only input besides the report).
pub fn html(report: &Report<'_>, generated_at: OffsetDateTime) -> String {
    let rollup = report.rollup;
    let lang = report.lang;
    let w = lang.words();
    let year = rollup.year;
    let heading = lang.heading(year);
    let previous = report.previous_year();
    let (rated, total) = overall(rollup);
    let counts = rating_counts(rollup);
    let any_carried = rollup
        .rows
        .iter()
        .any(|r| r.cells.iter().any(|c| c.carried_over));
    let any_absent = rollup
        .rows
        .iter()
        .any(|r| rollup.criteria.iter().any(|c| cell(r, &c.code).is_none()));
    let generated = generated_at
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();

    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n\
         <body>\n<main>\n<h1>{}</h1>\n",
        w.code,
        escape(&heading),
        css(),
        escape(&heading)
    );
    let _ = writeln!(
        page,
        "<p class=\"meta\">{} · {} · {}</p>",
        counted(rollup.rows.len(), w.departments),
        counted(rollup.criteria.len(), (w.criterion, w.criteria)),
        escape(&report.sets_line())
    );

    // The totals, then the legend (with how many cells of each kind there are).
    let _ = writeln!(
        page,
        "<ul class=\"summary\"><li><strong>{}:</strong> {} {} \
         <span class=\"counts\">{rated}/{total} {}</span></li></ul>",
        escape(w.completion),
        bar(completion_percent(rated, total)),
        percent_text(rated, total),
        escape(w.criteria_rated)
    );
    let _ = writeln!(
        page,
        "<ul class=\"legend\" aria-label=\"{}\">",
        escape(w.legend)
    );
    for (rating, count) in RATINGS.iter().zip(counts) {
        let style = rating_style(*rating);
        let _ = writeln!(
            page,
            "<li><span class=\"swatch {}\">{}</span>{} <span class=\"counts\">({count})</span></li>",
            style.class,
            escape(style.symbol),
            escape(rating_label(*rating, lang))
        );
    }
    if any_carried {
        let _ = writeln!(
            page,
            "<li><span class=\"swatch carried\" style=\"outline:2px dashed rgba(0,0,0,.55);\
             outline-offset:-5px\">*</span>{}</li>",
            escape(w.carried)
        );
    }
    if any_absent {
        let _ = writeln!(
            page,
            "<li><span class=\"swatch\" style=\"color:#9aa5b1\">—</span>{}</li>",
            escape(w.absent)
        );
    }
    if let Some(p) = previous {
        let _ = writeln!(
            page,
            "<li><span class=\"swatch\">±</span><span><strong>{}</strong>: {}</span></li>",
            escape(&lang.year_on_year(p.year)),
            escape(&lang.year_on_year_legend(p.year))
        );
    }
    page.push_str("</ul>\n");

    if rollup.rows.is_empty() {
        let _ = writeln!(page, "<p>{}</p>", escape(&lang.no_cycles(year)));
    } else {
        let _ = write!(
            page,
            "<table class=\"matrix\">\n<caption>{}</caption>\n<thead>\n<tr>\
             <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>",
            escape(w.caption),
            escape(w.department),
            escape(w.state),
            escape(w.completion)
        );
        if let Some(p) = previous {
            let _ = write!(
                page,
                "<th scope=\"col\">{}</th>",
                escape(&lang.year_on_year(p.year))
            );
        }
        for c in &rollup.criteria {
            let _ = write!(
                page,
                "<th scope=\"col\" class=\"code\" title=\"{}\">{}</th>",
                escape(&criterion_tooltip(c, lang)),
                escape(&c.code)
            );
        }
        page.push_str("</tr>\n</thead>\n<tbody>\n");
        for row in &rollup.rows {
            let _ = write!(
                page,
                "<tr><th scope=\"row\" title=\"{}\">{}</th><td class=\"state\">{}</td>\
                 <td class=\"completion\">{} {} <span class=\"counts\">{}/{}</span></td>",
                escape(&row.cycle),
                escape(department(row)),
                escape(&state_label(report, &row.state)),
                bar(completion_percent(row.rated, row.total)),
                percent_text(row.rated, row.total),
                row.rated,
                row.total
            );
            if let Some(p) = previous {
                page.push_str(&year_on_year_html(report, row, p.year));
            }
            for c in &rollup.criteria {
                page.push_str(&cell_html(row, c, lang));
            }
            page.push_str("</tr>\n");
        }
        let _ = write!(
            page,
            "</tbody>\n<tfoot>\n<tr><th scope=\"row\" colspan=\"{}\">{}</th>",
            if previous.is_some() { 4 } else { 3 },
            escape(w.completion_per_criterion)
        );
        for c in &rollup.criteria {
            let percent = completion_percent(c.rated, c.total);
            let _ = write!(
                page,
                "<td title=\"{}: {}\">{}{}</td>",
                escape(&c.code),
                escape(&rated_in(lang, c.rated, c.total)),
                bar(percent),
                percent_text(c.rated, c.total)
            );
        }
        page.push_str("</tr>\n</tfoot>\n</table>\n");
    }
    if !rollup.criteria.is_empty() {
        page.push_str(&criteria_legend_html(report));
    }
    let (before, after) = w.generated;
    let _ = write!(
        page,
        "<footer>{}{}{}</footer>\n</main>\n</body>\n</html>\n",
        escape(before),
        escape(&generated),
        escape(after)
    );
    page
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn criterion(code: &str, title: &str, rated: i32, total: i32) -> RollupCriterion {
        RollupCriterion {
            code: code.into(),
            title_nl: title.into(),
            title_en: String::new(),
            rated,
            total,
            completion: 0.0,
        }
    }

    fn rated_cell(code: &str, rating: Rating, carried_over: bool) -> RollupCell {
        RollupCell {
            criterion: code.into(),
            rating: rating.into(),
            carried_over,
        }
    }

    /// Two departments, three criteria: JenV rated everything (one carried over), BZK one.
    fn small() -> Rollup {
        Rollup {
            year: 2026,
            criteria: vec![
                criterion(
                    "BN-01",
                    "Integriteitsbeleid <vastgesteld> & \"bekend\"",
                    2,
                    2,
                ),
                criterion("BN-02", "Vertrouwenspersoon", 1, 2),
                criterion("BN-03", "Meldprocedure", 0, 2),
            ],
            rows: vec![
                RollupRow {
                    department: "departments/JenV".into(),
                    cycle: "cases/c1".into(),
                    state: "self_assessment".into(),
                    criteria_set: "criteriaSets/basis".into(),
                    cells: vec![
                        rated_cell("BN-01", Rating::Met, false),
                        rated_cell("BN-02", Rating::PartiallyMet, false),
                        rated_cell("BN-03", Rating::NotMet, true),
                    ],
                    rated: 2,
                    total: 3,
                    completion: 0.666,
                },
                RollupRow {
                    department: "departments/BZK".into(),
                    cycle: "cases/c2".into(),
                    state: "planned".into(),
                    criteria_set: "criteriaSets/basis".into(),
                    cells: vec![
                        rated_cell("BN-01", Rating::NotApplicable, false),
                        rated_cell("BN-02", Rating::Unspecified, false),
                    ],
                    rated: 1,
                    total: 2,
                    completion: 0.5,
                },
            ],
        }
    }

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_772_380_800).unwrap()
    }

    #[test]
    fn cells_say_the_rating_and_mark_carried_over_ones() {
        let rollup = small();
        let jenv = &rollup.rows[0];
        assert_eq!(cell_text(cell(jenv, "BN-01")), "met");
        assert_eq!(cell_text(cell(jenv, "BN-02")), "partially-met");
        assert_eq!(cell_text(cell(jenv, "BN-03")), "not-met*");
        let bzk = &rollup.rows[1];
        assert_eq!(cell_text(cell(bzk, "BN-01")), "not-applicable");
        assert_eq!(cell_text(cell(bzk, "BN-02")), "");
        assert_eq!(cell_text(cell(bzk, "BN-03")), "", "not in the set");
        let carried = rated_cell("X", Rating::Unspecified, true);
        assert_eq!(cell_text(Some(&carried)), "*");
    }

    #[test]
    fn completion_is_rated_over_total() {
        assert!((completion_percent(2, 3) - 66.666).abs() < 0.01);
        assert_eq!(completion_percent(0, 0), 0.0, "nothing to rate");
        assert_eq!(completion_percent(5, 5), 100.0);
        assert_eq!(completion_percent(7, 5), 100.0, "never above 100");
        assert_eq!(completion_percent(-1, 5), 0.0);
        assert_eq!(percent_text(2, 3), "67%");
        assert_eq!(percent_text(1, 3), "33%");
        assert_eq!(overall(&small()), (3, 5));
    }

    #[test]
    fn csv_has_a_row_per_department_and_a_completion_row() {
        let text = csv(&Report::new(&small(), Lang::En)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "department,state,completion_pct,BN-01,BN-02,BN-03",
                "JenV,self_assessment,66.7,met,partially-met,not-met*",
                "BZK,planned,50.0,not-applicable,,",
                "completion,,60.0,100.0,50.0,0.0",
            ]
        );
    }

    #[test]
    fn the_table_has_every_criterion_as_a_column() {
        let text = table(&Report::new(&small(), Lang::En));
        assert!(text.contains("BN-03"), "{text}");
        assert!(text.contains("not-met*"), "{text}");
        assert!(text.contains("67% (2/3)"), "{text}");
        assert!(text.contains("completion"), "{text}");
        assert!(text.contains("60% (3/5)"), "{text}");
    }

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("één — ✓"), "één — ✓");
        let mut rollup = small();
        rollup.rows[0].department = "departments/<script>alert(1)</script>".into();
        let page = html(&Report::new(&rollup, Lang::En), at());
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(
            page.contains(
                "title=\"BN-01 — Integriteitsbeleid &lt;vastgesteld&gt; &amp; &quot;bekend&quot; (rated in 2 of 2 cycles)\""
            ),
            "the criterion's title is its column's tooltip"
        );
    }

    #[test]
    fn each_rating_has_its_own_colour() {
        let page = html(&Report::new(&small(), Lang::En), at());
        let mut backgrounds = Vec::new();
        for rating in RATINGS {
            let style = rating_style(rating);
            let rule = format!(".{}{{background:{};", style.class, style.background);
            assert!(page.contains(&rule), "no CSS rule {rule}");
            backgrounds.push(style.background);
        }
        backgrounds.sort_unstable();
        backgrounds.dedup();
        assert_eq!(backgrounds.len(), 5, "five distinct colours");
        assert!(page.contains("class=\"rating r-met\" title=\"JenV · BN-01: met\">✓</td>"));
        assert!(page.contains("class=\"rating r-partial\""));
        assert!(page.contains("class=\"rating r-na\""));
        assert!(page.contains("class=\"rating r-unrated\""));
        assert!(page.contains("class=\"rating r-absent\""));
        assert!(
            page.contains("repeating-linear-gradient"),
            "unrated is hatched"
        );
    }

    #[test]
    fn carried_over_cells_are_marked() {
        let page = html(&Report::new(&small(), Lang::En), at());
        assert!(
            page.contains("class=\"rating r-notmet carried\""),
            "carried over: dashed outline"
        );
        assert!(page.contains("✗*</td>"), "and an asterisk");
        assert!(page.contains("carried over from the year before"));
        let mut fresh = small();
        fresh.rows[0].cells[2].carried_over = false;
        assert!(
            !html(&Report::new(&fresh, Lang::En), at()).contains("swatch carried"),
            "no legend entry without one"
        );
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = html(&Report::new(&small(), Lang::En), at());
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>Integrity assessments 2026 — roll-up</title>"));
        assert!(page.contains("Generated 2026-03-01 16:00 UTC"));
        assert!(page.contains("Completion per criterion"));
        assert!(
            page.contains("<span style=\"width:67%\"></span>"),
            "JenV's bar"
        );
        for external in [
            "<script", "<link", "src=", "http://", "https://", "@import", "url(",
        ] {
            assert!(!page.contains(external), "{external} in the page");
        }
        let empty = Rollup {
            year: 2030,
            ..Rollup::default()
        };
        let empty = html(&Report::new(&empty, Lang::En), at());
        assert!(empty.contains("No assessment cycles for 2030."));
    }

    /// A realistic roll-up, 12 departments x 15 criteria, written to the temporary directory as
    /// `rollup-sample.html` (/tmp/rollup-sample.html on Linux) to look at in a browser.
    #[test]
    fn writes_a_sample_page() {
        let codes: Vec<String> = (1..=10)
            .map(|i| format!("BN-{i:02}"))
            .chain((1..=5).map(|i| format!("TH-{i}")))
            .collect();
        let titles = [
            "Integriteitsbeleid is vastgesteld en bekendgemaakt",
            "Er is een vertrouwenspersoon integriteit",
            "Meldprocedure vermoedens van misstanden",
            "Eed of belofte bij indiensttreding",
            "Registratie van nevenwerkzaamheden",
            "Registratie van financiële belangen",
            "Integriteitsrisicoanalyse kwetsbare functies",
            "Gedragscode is actueel",
            "Registratie en afhandeling van integriteitsschendingen",
            "Jaarlijkse verantwoording over integriteit",
            "Moreel leiderschap",
            "Open cultuur & aanspreekbaarheid",
            "Dilemmatrainingen",
            "Samenwerking met de CAO-partijen",
            "Informatiebeveiliging <vertrouwelijk>",
        ];
        let departments = [
            "AZ", "BZ", "BZK", "EZ", "Fin", "IenW", "JenV", "KGG", "LVVN", "OCW", "SZW", "VWS",
        ];
        let states = [
            "self_assessment",
            "submitted",
            "in_review",
            "reviewed",
            "dialogue_held",
            "planned",
        ];
        let mut criteria: Vec<RollupCriterion> = codes
            .iter()
            .zip(titles)
            .map(|(code, title)| criterion(code, title, 0, 12))
            .collect();
        for c in &mut criteria {
            c.title_en = format!("{} (EN)", c.code);
        }
        let mut rows = Vec::new();
        for (d, code) in departments.iter().enumerate() {
            let mut cells = Vec::new();
            let mut rated = 0;
            for (i, criterion) in criteria.iter_mut().enumerate() {
                // A deterministic mix: mostly met, some partial, a few not met or n/a, and the
                // departments early in their cycle with gaps and carried-over ratings.
                let n = (d * 31 + i * 17 + d * i * 7 + (d ^ i)) % 17;
                let rating = match n {
                    0..=6 => Rating::Met,
                    7..=10 => Rating::PartiallyMet,
                    11..=12 => Rating::NotMet,
                    13 => Rating::NotApplicable,
                    _ => Rating::Unspecified,
                };
                let carried_over = d % 4 == 0 && i % 5 == 1 && rating != Rating::Unspecified;
                if rating != Rating::Unspecified && !carried_over {
                    rated += 1;
                    criterion.rated += 1;
                }
                cells.push(rated_cell(&criterion.code, rating, carried_over));
            }
            rows.push(RollupRow {
                department: format!("departments/{code}"),
                cycle: format!("cases/cycle{d:02}"),
                state: states[d % states.len()].to_owned(),
                criteria_set: "criteriaSets/toetsingskader-2026".into(),
                cells,
                rated,
                total: 15,
                completion: f64::from(rated) / 15.0,
            });
        }
        let rollup = Rollup {
            year: 2026,
            criteria,
            rows,
        };
        // The year before: four of the departments, all confirmed.
        let mut before = rollup.clone();
        before.year = 2025;
        before.rows.truncate(4);
        for row in &mut before.rows {
            for cell in &mut row.cells {
                cell.carried_over = false;
            }
        }
        let mut report = Report::new(&rollup, Lang::Nl);
        report.set_titles.insert(
            "criteriaSets/toetsingskader-2026".into(),
            "Toetsingskader integriteit 2026".into(),
        );
        report.previous = Some(&before);
        let page = html(&report, at());
        let path = std::env::temp_dir().join("rollup-sample.html");
        std::fs::write(&path, &page).unwrap();
        assert_eq!(
            page.matches("<tr>").count(),
            (1 + 12 + 1) + (1 + 15),
            "the matrix, then the legend of criteria"
        );
        assert_eq!(page.matches("class=\"rating ").count(), 12 * 15);
        assert_eq!(page.matches("<td class=\"yoy\">").count(), 4);
        assert_eq!(page.matches("<td class=\"yoy\" title=").count(), 8);
    }

    /// `small()` with its set's title and a year before in which JenV met one criterion of
    /// two (BZK had no cycle).
    fn with_year_before(rollup: &Rollup, before: &Rollup, lang: Lang) -> String {
        let mut report = Report::new(rollup, lang);
        report.set_titles.insert(
            "criteriaSets/basis".into(),
            "Toetsingskader integriteit".into(),
        );
        report.previous = Some(before);
        html(&report, at())
    }

    fn year_before() -> Rollup {
        Rollup {
            year: 2025,
            criteria: vec![],
            rows: vec![RollupRow {
                department: "departments/JenV".into(),
                cycle: "cases/c0".into(),
                state: "closed".into(),
                criteria_set: "criteriaSets/oud".into(),
                cells: vec![
                    rated_cell("BN-01", Rating::Met, false),
                    rated_cell("BN-02", Rating::NotMet, false),
                    // Carried over and unconfirmed: not met for the share.
                    rated_cell("BN-03", Rating::Met, true),
                    rated_cell("BN-04", Rating::PartiallyMet, false),
                ],
                rated: 3,
                total: 4,
                completion: 0.75,
            }],
        }
    }

    #[test]
    fn the_rollup_is_dutch_by_default_and_english_with_lang_en() {
        assert_eq!(Lang::default(), Lang::Nl);
        let rollup = small();
        let nl = html(&Report::new(&rollup, Lang::default()), at());
        assert!(nl.contains("<html lang=\"nl\">"), "{nl}");
        assert!(nl.contains("<title>Toetsing integriteit 2026 — overzicht</title>"));
        assert!(nl.contains("<h1>Toetsing integriteit 2026 — overzicht</h1>"));
        assert!(nl.contains("<th scope=\"col\">Departement</th>"));
        assert!(nl.contains("Beoordeeld per criterium"));
        assert!(nl.contains("deels voldaan"), "the legend");
        assert!(nl.contains("overgenomen van vorig jaar"), "the legend");
        assert!(
            nl.contains("title=\"JenV · BN-01: voldaan\""),
            "the tooltips"
        );
        assert!(nl.contains("Gemaakt 2026-03-01 16:00 UTC door regie."));
        assert!(nl.contains("2 departementen · 3 criteria · Criteriaset: basis"));
        for english in [
            "Integrity",
            "Department",
            "Completion",
            "partially met",
            "carried over",
            "rated in",
            "Generated",
        ] {
            assert!(!nl.contains(english), "{english} in the Dutch page");
        }
        let en = html(&Report::new(&rollup, Lang::En), at());
        assert!(en.contains("<html lang=\"en\">"));
        assert!(en.contains("<h1>Integrity assessments 2026 — roll-up</h1>"));
        assert!(en.contains("2 departments · 3 criteria · Criteria set: basis"));

        let table_nl = table(&Report::new(&rollup, Lang::Nl));
        assert!(
            table_nl.starts_with("Toetsing integriteit 2026 — overzicht\nCriteriaset: basis\n"),
            "{table_nl}"
        );
        assert!(table_nl.contains("DEPARTEMENT"), "{table_nl}");
        assert!(table_nl.contains("BEOORDEELD"), "{table_nl}");
        assert!(
            table_nl.contains("beoordeeld"),
            "the completion row: {table_nl}"
        );
        assert!(
            table_nl.contains("partially-met: deels voldaan"),
            "{table_nl}"
        );
        assert!(!table_nl.contains("DEPARTMENT"), "{table_nl}");
        let table_en = table(&Report::new(&rollup, Lang::En));
        assert!(table_en.starts_with("Integrity assessments 2026 — roll-up\n"));
        assert!(table_en.contains("DEPARTMENT"), "{table_en}");

        let csv_nl = csv(&Report::new(&rollup, Lang::Nl)).unwrap();
        let lines: Vec<&str> = csv_nl.lines().collect();
        assert_eq!(
            lines[0],
            "departement,status,beoordeeld_pct,BN-01,BN-02,BN-03"
        );
        assert_eq!(lines[3], "beoordeeld,,60.0,100.0,50.0,0.0");
        let empty = Rollup {
            year: 2030,
            ..Rollup::default()
        };
        assert!(
            html(&Report::new(&empty, Lang::Nl), at()).contains("Geen toetsingscycli in 2030.")
        );
    }

    #[test]
    fn the_criteria_set_is_named_by_its_title() {
        let rollup = small();
        let page = with_year_before(&rollup, &year_before(), Lang::Nl);
        assert!(
            page.contains("Criteriaset: Toetsingskader integriteit</p>"),
            "{page}"
        );
        assert!(!page.contains("basis"), "not by its id: {page}");
        let mut report = Report::new(&rollup, Lang::En);
        report.set_titles.insert(
            "criteriaSets/basis".into(),
            "Toetsingskader integriteit".into(),
        );
        let text = table(&report);
        assert!(
            text.contains("\nCriteria set: Toetsingskader integriteit\n"),
            "{text}"
        );
        // Two sets: both titles, each once; a set without a known title by its id.
        let mut two = small();
        two.rows[1].criteria_set = "criteriaSets/thema".into();
        let mut report = Report::new(&two, Lang::Nl);
        report
            .set_titles
            .insert("criteriaSets/basis".into(), "Basisnormen".into());
        assert_eq!(report.set_labels(), vec!["Basisnormen", "thema"]);
        assert!(table(&report).contains("Criteriasets: Basisnormen, thema"));
    }

    #[test]
    fn a_legend_of_the_criteria_with_their_titles_prints() {
        let mut rollup = small();
        rollup.criteria[1].title_en = "Confidential adviser".into();
        let page = html(&Report::new(&rollup, Lang::Nl), at());
        // Visible text in a table of its own, not only a tooltip.
        let legend = page
            .split("<table class=\"criteria\">")
            .nth(1)
            .unwrap_or_else(|| panic!("no legend of criteria: {page}"));
        assert!(legend.contains("<caption>Criteria</caption>"));
        assert!(legend.contains("<th scope=\"col\">Code</th><th scope=\"col\">Titel</th>"));
        assert!(legend.contains(
            "<tr><th scope=\"row\">BN-01</th><td>Integriteitsbeleid &lt;vastgesteld&gt; &amp; &quot;bekend&quot;</td></tr>"
        ));
        assert!(
            legend.contains("<tr><th scope=\"row\">BN-02</th><td>Vertrouwenspersoon</td></tr>")
        );
        // In English the English title, else the Dutch one, marked as Dutch.
        let en = html(&Report::new(&rollup, Lang::En), at());
        assert!(en.contains("<tr><th scope=\"row\">BN-02</th><td>Confidential adviser</td></tr>"));
        assert!(
            en.contains("<tr><th scope=\"row\">BN-03</th><td lang=\"nl\">Meldprocedure</td></tr>")
        );
        // The table: below the matrix, a line per criterion.
        let text = table(&Report::new(&rollup, Lang::Nl));
        let (matrix, legend) = text
            .split_once("\nCriteria:\n")
            .unwrap_or_else(|| panic!("{text}"));
        assert!(matrix.contains("BN-03"));
        assert_eq!(
            legend.lines().collect::<Vec<_>>(),
            vec![
                "  BN-01  Integriteitsbeleid <vastgesteld> & \"bekend\"",
                "  BN-02  Vertrouwenspersoon",
                "  BN-03  Meldprocedure",
            ]
        );
        let text = table(&Report::new(&rollup, Lang::En));
        assert!(text.contains("\n  BN-02  Confidential adviser\n"), "{text}");
    }

    #[test]
    fn a_year_on_year_column_shows_the_change_in_met_share_when_a_year_before_exists() {
        let rollup = small();
        let before = year_before();
        let mut report = Report::new(&rollup, Lang::Nl);
        report.previous = Some(&before);
        // JenV: 1 of 4 met (25%) then 1 of 3 (33%); BZK had no cycle in 2025.
        let jenv = year_on_year(&report, &rollup.rows[0]).unwrap();
        assert_eq!(jenv.before, 25.0);
        assert!((jenv.now - 33.333).abs() < 0.01);
        assert_eq!(jenv.points(), "+8");
        assert_eq!(jenv.shares(), "25% → 33%");
        assert_eq!(year_on_year(&report, &rollup.rows[1]), None);

        let text = table(&report);
        assert!(text.contains("VOLDAAN T.O.V. 2025"), "{text}");
        assert!(text.contains("+8 %-punt"), "{text}");
        let bzk = text.lines().find(|l| l.contains("BZK")).unwrap();
        assert!(bzk.contains(" — "), "BZK had no cycle: {text}");
        assert!(
            text.contains("VOLDAAN T.O.V. 2025: verandering in procentpunten"),
            "{text}"
        );
        let lines: Vec<String> = csv(&report).unwrap().lines().map(str::to_owned).collect();
        assert_eq!(
            lines,
            vec![
                "departement,status,beoordeeld_pct,voldaan_verschil_pp_2025,BN-01,BN-02,BN-03",
                "JenV,self_assessment,66.7,8.3,met,partially-met,not-met*",
                "BZK,planned,50.0,,not-applicable,,",
                "beoordeeld,,60.0,,100.0,50.0,0.0",
            ]
        );
        let page = with_year_before(&rollup, &before, Lang::Nl);
        assert!(
            page.contains("<th scope=\"col\">Voldaan t.o.v. 2025</th>"),
            "{page}"
        );
        assert!(
            page.contains(
                "<td class=\"yoy\">+8 %-punt<span class=\"counts\">25% → 33%</span></td>"
            )
        );
        assert!(page.contains("<td class=\"yoy\" title=\"BZK: geen toetsing in 2025\">—</td>"));
        assert!(
            page.contains("<th scope=\"row\" colspan=\"4\">"),
            "the footer spans it"
        );
        let en = with_year_before(&rollup, &before, Lang::En);
        assert!(en.contains("<th scope=\"col\">Met vs 2025</th>"));
        assert!(en.contains("+8 pp<span"));
        let mut report = Report::new(&rollup, Lang::En);
        report.previous = Some(&before);
        assert!(
            csv(&report)
                .unwrap()
                .starts_with("department,state,completion_pct,met_change_pp_vs_2025,BN-01")
        );

        // A decline, and no change.
        let mut worse = rollup.clone();
        worse.rows[0].cells[0].rating = Rating::PartiallyMet.into();
        let mut report = Report::new(&worse, Lang::En);
        report.previous = Some(&before);
        assert_eq!(year_on_year_text(&report, &worse.rows[0]), "-25 pp");
        let mut same = before.clone();
        same.year = 2026;
        let mut report = Report::new(&same, Lang::En);
        report.previous = Some(&before);
        assert_eq!(year_on_year_text(&report, &same.rows[0]), "0 pp");

        // No column without a year before, or when it had no cycles.
        let none = Rollup {
            year: 2025,
            ..Rollup::default()
        };
        for previous in [None, Some(&none)] {
            let mut report = Report::new(&rollup, Lang::Nl);
            report.previous = previous;
            assert!(!table(&report).contains("T.O.V."));
            assert!(!csv(&report).unwrap().contains("verschil"));
            assert!(!html(&report, at()).contains("yoy\""));
        }
    }

    #[test]
    fn the_page_shows_states_by_their_label() {
        let rollup = small();
        let mut report = Report::new(&rollup, Lang::Nl);
        report
            .state_labels
            .insert("self_assessment".into(), "Zelfevaluatie".into());
        let page = html(&report, at());
        assert!(
            page.contains("<td class=\"state\">Zelfevaluatie</td>"),
            "{page}"
        );
        assert!(
            page.contains("<td class=\"state\">planned</td>"),
            "no label: the name"
        );
        assert!(
            table(&report).contains("self_assessment"),
            "the table keeps the name"
        );
    }

    #[test]
    fn the_page_is_accessible() {
        let page = with_year_before(&small(), &year_before(), Lang::Nl);
        assert!(page.contains("<html lang=\"nl\">"));
        assert!(page.contains(
            "<table class=\"matrix\">\n<caption>Beoordelingen per departement en criterium</caption>"
        ));
        assert!(page.contains("aria-label=\"Legenda\""));
        // Every header cell says what it heads.
        let headers = page.matches("<th ").count() + page.matches("<th>").count();
        let scoped =
            page.matches("<th scope=\"col\"").count() + page.matches("<th scope=\"row\"").count();
        assert_eq!(headers, scoped, "{page}");
        assert_eq!(page.matches("<th scope=\"row\"").count(), 2 + 1 + 3);
    }
}
