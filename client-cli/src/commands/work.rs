//! `regie my-work`: what awaits you, most urgent first (`WorkService.ListMyWork`, which the
//! console's "Mijn werk" shows too), with the counts per group below the table.

use regie_proto::v1::{ListMyWorkRequest, ListMyWorkResponse, WorkItem, WorkUrgency};

use super::Context;
use super::cases::due_date;
use super::render::{self, Listing};
use crate::cli::PageArgs;
use crate::error::CliError;
use crate::names::{CASES, DEPARTMENTS, short_id};
use crate::output::{self, or_dash};

pub async fn run(
    ctx: &Context,
    kind: Option<String>,
    due_soon_days: i32,
    page: PageArgs,
) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let kind = kind.unwrap_or_default();
    render::list(ctx.output, &page, async |page_token| {
        let request = ListMyWorkRequest {
            page_size: page.page_size,
            page_token,
            kind: kind.clone(),
            due_soon_days,
        };
        conn.call(conn.work().list_my_work(conn.request(request)))
            .await
    })
    .await
}

fn urgency(item: &WorkItem) -> &'static str {
    match WorkUrgency::try_from(item.urgency) {
        Ok(WorkUrgency::Overdue) => "overdue",
        Ok(WorkUrgency::DueSoon) => "due soon",
        _ => "",
    }
}

/// Why the item is yours: assigned to you, and the transitions open to you.
fn why(item: &WorkItem) -> String {
    let mut parts = Vec::new();
    if item.assigned {
        parts.push("assigned to you".to_owned());
    }
    if !item.transitions.is_empty() {
        parts.push(format!("you may {}", item.transitions.join(", ")));
    }
    parts.join("; ")
}

impl Listing for ListMyWorkResponse {
    type Item = WorkItem;
    const HEADER: &'static [&'static str] = &[
        "URGENCY",
        "TITLE",
        "ID",
        "KIND",
        "STATE",
        "DEPARTMENT",
        "DUE",
        "WHY",
    ];
    const EMPTY: &'static str = "nothing awaits you";
    fn items(&self) -> &[WorkItem] {
        &self.items
    }
    fn row(item: &WorkItem) -> Vec<String> {
        let Some(c) = item.case.as_ref() else {
            return vec![String::new(); Self::HEADER.len()];
        };
        vec![
            urgency(item).to_owned(),
            output::truncate(&c.title, 50),
            short_id(CASES, &c.name).to_owned(),
            c.kind.clone(),
            c.state.clone(),
            or_dash(short_id(DEPARTMENTS, &c.department)),
            due_date(c),
            why(item),
        ]
    }
    fn footer(&self) -> Option<String> {
        let c = self.counts.as_ref()?;
        Some(format!(
            "{} in all: {} overdue, {} due soon, {} assigned to you, {} awaiting your action",
            c.total, c.overdue, c.due_soon, c.assigned, c.awaiting_action
        ))
    }
}
render::paged!(ListMyWorkResponse => items);
