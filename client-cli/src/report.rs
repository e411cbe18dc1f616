//! The roll-up of a year's assessment cycles (`regie report rollup`), rendered as a terminal
//! table, as CSV, or as one self-contained HTML page that a coordinator can mail around.
//!
//! Pure functions of the `Rollup` message (and, for HTML, the time it was made), so every
//! format is unit-tested without a server. A cell's text is `met`, `partially-met`, `not-met`,
//! `not-applicable` (as `--rating` spells them) or empty (not rated), with `*` after it when the
//! rating was carried over from the year before and not yet confirmed. A criterion that is not in a row's criteria set has no
//! cell there (empty in the table and CSV, `—` in HTML).
//!
//! Completion is worked out from the counts (`rated / total`), not taken from the message's
//! ratio, so the percentage always agrees with the `rated/total` shown next to it.

use std::fmt::Write as _;

use regie_proto::v1::{Rating, Rollup, RollupCell, RollupCriterion, RollupRow};
use time::OffsetDateTime;

use crate::names::{CRITERIA_SETS, DEPARTMENTS, short_id};
use crate::output;

/// The cell of `row` for criterion `code`, if the row's set has the criterion.
fn cell<'a>(row: &'a RollupRow, code: &str) -> Option<&'a RollupCell> {
    row.cells.iter().find(|c| c.criterion == code)
}

fn rating_of(cell: &RollupCell) -> Rating {
    Rating::try_from(cell.rating).unwrap_or(Rating::Unspecified)
}

/// A cell as the table and CSV show it: the rating as `--rating` spells it (`met`,
/// `partially-met`, `not-met`, `not-applicable`; empty when not rated or not in the set), `*`
/// after it when carried over.
pub fn cell_text(cell: Option<&RollupCell>) -> String {
    let Some(cell) = cell else {
        return String::new();
    };
    // As `--rating` spells it, like every other rating the CLI prints.
    let text = match rating_of(cell) {
        Rating::Met => "met",
        Rating::PartiallyMet => "partially-met",
        Rating::NotMet => "not-met",
        Rating::NotApplicable => "not-applicable",
        Rating::Unspecified => "",
    };
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

/// The roll-up as a terminal table: a row per department, then the completion per criterion.
pub fn table(rollup: &Rollup) -> String {
    let mut header = vec!["DEPARTMENT", "STATE", "COMPLETION"];
    header.extend(rollup.criteria.iter().map(|c| c.code.as_str()));
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
        "completion".to_owned(),
        String::new(),
        format!("{} ({rated}/{total})", percent_text(rated, total)),
    ];
    footer.extend(
        rollup
            .criteria
            .iter()
            .map(|c| percent_text(c.rated, c.total)),
    );
    table.add_row(footer);
    format!(
        "{table}\n* carried over from the year before, not yet confirmed; \
         empty: not rated (or not in the department's criteria set)"
    )
}

/// The roll-up as CSV: a header row, a row per department, and a last row (`completion`) with
/// the completion per criterion. Completion is a percentage with one decimal.
pub fn csv(rollup: &Rollup) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["department", "state", "completion_pct"];
    header.extend(rollup.criteria.iter().map(|c| c.code.as_str()));
    writer.write_record(&header)?;
    for row in &rollup.rows {
        let mut record = vec![
            department(row).to_owned(),
            row.state.clone(),
            format!("{:.1}", completion_percent(row.rated, row.total)),
        ];
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
        "completion".to_owned(),
        String::new(),
        format!("{:.1}", completion_percent(rated, total)),
    ];
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
    /// The name in the legend and the tooltips.
    pub label: &'static str,
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
            label: "met",
            symbol: "✓",
            background: "#8bc98e",
            color: "#0f3d19",
        },
        Rating::PartiallyMet => RatingStyle {
            class: "r-partial",
            label: "partially met",
            symbol: "◐",
            background: "#ffc857",
            color: "#4d3500",
        },
        Rating::NotMet => RatingStyle {
            class: "r-notmet",
            label: "not met",
            symbol: "✗",
            background: "#ec7063",
            color: "#3f0b06",
        },
        Rating::NotApplicable => RatingStyle {
            class: "r-na",
            label: "not applicable",
            symbol: "n/a",
            background: "#c9ced4",
            color: "#2f3438",
        },
        Rating::Unspecified => RatingStyle {
            class: "r-unrated",
            label: "not rated",
            symbol: "",
            background: "#ffffff",
            color: "#555555",
        },
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
.completion{white-space:nowrap;font-variant-numeric:tabular-nums}\
.bar{display:inline-block;vertical-align:middle;width:64px;height:8px;background:#e4e7eb;\
border-radius:4px;overflow:hidden;margin-right:6px}\
.bar span{display:block;height:100%;background:#2f80ed}\
.counts{color:#7b8794;font-size:11px}\
.matrix tfoot th,.matrix tfoot td{background:#f0f4f8;font-size:12px;text-align:center;\
border-radius:3px}\
.matrix tfoot th{text-align:left}\
.matrix tfoot .bar{width:36px;margin:0 auto 2px;display:block}\
footer{margin-top:16px;color:#7b8794;font-size:12px}\
@media print{body{background:#fff;padding:0}main{border:0;padding:0}\
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

/// The tooltip of a criterion's column: its code, titles and how many cycles rated it.
fn criterion_tooltip(c: &RollupCriterion) -> String {
    let titles: Vec<&str> = [c.title_nl.as_str(), c.title_en.as_str()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    let mut tip = c.code.clone();
    if !titles.is_empty() {
        tip.push_str(" — ");
        tip.push_str(&titles.join(" / "));
    }
    let _ = write!(tip, " (rated in {} of {} cycles)", c.rated, c.total);
    tip
}

/// The HTML of one rating cell.
fn cell_html(row: &RollupRow, criterion: &RollupCriterion) -> String {
    let Some(cell) = cell(row, &criterion.code) else {
        let tip = format!(
            "{}: {} is not in this department's criteria set",
            department(row),
            criterion.code
        );
        return format!(
            "<td class=\"rating r-absent\" title=\"{}\">—</td>",
            escape(&tip)
        );
    };
    let style = rating_style(rating_of(cell));
    let (class, marker, note) = if cell.carried_over {
        (
            " carried",
            "*",
            " (carried over from the year before, not yet confirmed)",
        )
    } else {
        ("", "", "")
    };
    let tip = format!(
        "{} · {}: {}{note}",
        department(row),
        criterion.code,
        style.label
    );
    format!(
        "<td class=\"rating {}{class}\" title=\"{}\">{}{marker}</td>",
        style.class,
        escape(&tip),
        escape(style.symbol)
    )
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

/// The roll-up as one self-contained HTML page: inline CSS, no scripts, no external resources.
/// `generated_at` is printed at the bottom (and is the only input besides the roll-up).
pub fn html(rollup: &Rollup, generated_at: OffsetDateTime) -> String {
    let year = rollup.year;
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
    let mut sets: Vec<&str> = rollup
        .rows
        .iter()
        .map(|r| short_id(CRITERIA_SETS, &r.criteria_set))
        .filter(|s| !s.is_empty())
        .collect();
    sets.sort_unstable();
    sets.dedup();
    let generated = generated_at
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();

    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n\
         <title>Integrity assessments {year} — roll-up</title>\n<style>\n{}</style>\n</head>\n\
         <body>\n<main>\n<h1>Integrity assessments {year} — roll-up</h1>\n",
        css()
    );
    let _ = writeln!(
        page,
        "<p class=\"meta\">{} departments · {} criteria · criteria set{}: {}</p>",
        rollup.rows.len(),
        rollup.criteria.len(),
        if sets.len() == 1 { "" } else { "s" },
        if sets.is_empty() {
            "—".to_owned()
        } else {
            escape(&sets.join(", "))
        }
    );

    // The totals, then the legend (with how many cells of each kind there are).
    let _ = writeln!(
        page,
        "<ul class=\"summary\"><li><strong>Completion:</strong> {} {} \
         <span class=\"counts\">{rated}/{total} criteria rated</span></li></ul>",
        bar(completion_percent(rated, total)),
        percent_text(rated, total)
    );
    page.push_str("<ul class=\"legend\" aria-label=\"Legend\">\n");
    for (rating, count) in RATINGS.iter().zip(counts) {
        let style = rating_style(*rating);
        let _ = writeln!(
            page,
            "<li><span class=\"swatch {}\">{}</span>{} <span class=\"counts\">({count})</span></li>",
            style.class,
            escape(style.symbol),
            escape(style.label)
        );
    }
    if any_carried {
        page.push_str(
            "<li><span class=\"swatch carried\" style=\"outline:2px dashed rgba(0,0,0,.55);\
             outline-offset:-5px\">*</span>carried over from the year before, not yet \
             confirmed</li>\n",
        );
    }
    if any_absent {
        page.push_str(
            "<li><span class=\"swatch\" style=\"color:#9aa5b1\">—</span>not in the \
             department's criteria set</li>\n",
        );
    }
    page.push_str("</ul>\n");

    if rollup.rows.is_empty() {
        let _ = writeln!(page, "<p>No assessment cycles for {year}.</p>");
    } else {
        page.push_str(
            "<table class=\"matrix\">\n<thead>\n<tr><th scope=\"col\">Department</th>\
                       <th scope=\"col\">State</th><th scope=\"col\">Completion</th>",
        );
        for c in &rollup.criteria {
            let _ = write!(
                page,
                "<th scope=\"col\" class=\"code\" title=\"{}\">{}</th>",
                escape(&criterion_tooltip(c)),
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
                escape(&row.state.replace('_', " ")),
                bar(completion_percent(row.rated, row.total)),
                percent_text(row.rated, row.total),
                row.rated,
                row.total
            );
            for c in &rollup.criteria {
                page.push_str(&cell_html(row, c));
            }
            page.push_str("</tr>\n");
        }
        page.push_str(
            "</tbody>\n<tfoot>\n<tr><th scope=\"row\" colspan=\"3\">Completion per criterion</th>",
        );
        for c in &rollup.criteria {
            let percent = completion_percent(c.rated, c.total);
            let _ = write!(
                page,
                "<td title=\"{}: rated in {} of {} cycles\">{}{}</td>",
                escape(&c.code),
                c.rated,
                c.total,
                bar(percent),
                percent_text(c.rated, c.total)
            );
        }
        page.push_str("</tr>\n</tfoot>\n</table>\n");
    }
    let _ = write!(
        page,
        "<footer>Generated {} by regie. Carried-over ratings do not count as rated.</footer>\n\
         </main>\n</body>\n</html>\n",
        escape(&generated)
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
        let text = csv(&small()).unwrap();
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
        let text = table(&small());
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
        let page = html(&rollup, at());
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
        let page = html(&small(), at());
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
        let page = html(&small(), at());
        assert!(
            page.contains("class=\"rating r-notmet carried\""),
            "carried over: dashed outline"
        );
        assert!(page.contains("✗*</td>"), "and an asterisk");
        assert!(page.contains("carried over from the year before"));
        let mut fresh = small();
        fresh.rows[0].cells[2].carried_over = false;
        assert!(
            !html(&fresh, at()).contains("swatch carried"),
            "no legend entry without one"
        );
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = html(&small(), at());
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
        let empty = html(
            &Rollup {
                year: 2030,
                ..Rollup::default()
            },
            at(),
        );
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
        let page = html(&rollup, at());
        let path = std::env::temp_dir().join("rollup-sample.html");
        std::fs::write(&path, &page).unwrap();
        assert_eq!(page.matches("<tr>").count(), 1 + 12 + 1);
        assert_eq!(page.matches("class=\"rating ").count(), 12 * 15);
    }
}
