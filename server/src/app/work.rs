//! The "Mijn werk" use case: what awaits the caller's action (`domain::work` decides what
//! counts; docs/architecture.md, "My work"). The gRPC `WorkService.ListMyWork`, `regie my-work`
//! and the console's landing page all come here.

use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::access::ScopeFilter;
use crate::domain::cases::model::now;
use crate::domain::cases::{Case, needs};
use crate::domain::error::{Error, reason};
use crate::domain::filter::{Expr, Op, Value};
use crate::domain::listing::{ListParams, ListQuery};
use crate::domain::work::{self, Awaiting, OpenState, Urgency};

use super::App;

/// The default window of "due soon", in days.
pub const DUE_SOON_DAYS: i32 = 14;
const DAY_MICROS: i64 = 86_400_000_000;

/// What the caller asked for.
pub struct MyWorkQuery<'a> {
    pub page_size: i32,
    pub page_token: &'a str,
    /// Only this kind (empty: all).
    pub kind: &'a str,
    /// 0: the default.
    pub due_soon_days: i32,
}

/// One case of the caller's work.
pub struct WorkItem {
    pub case: Case,
    pub assigned: bool,
    pub transitions: Vec<String>,
    pub urgency: Urgency,
}

/// Counts over all of the caller's work.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkCounts {
    pub total: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub assigned: i64,
    pub awaiting_action: i64,
    pub by_kind: std::collections::BTreeMap<String, i64>,
}

pub struct MyWork {
    pub items: Vec<WorkItem>,
    pub next_page_token: String,
    pub counts: WorkCounts,
}

impl App {
    /// The open cases that await `caller`, most urgent first, with counts per group.
    pub async fn my_work(&self, caller: &Caller, q: MyWorkQuery<'_>) -> Result<MyWork> {
        let days = match q.due_soon_days {
            0 => DUE_SOON_DAYS,
            d @ 1..=365 => d,
            d => {
                return Err(Error::invalid(
                    reason::INVALID_FIELD,
                    "due_soon_days",
                    format!("must be 0 (the default of {DUE_SOON_DAYS}) to 365 (got {d})"),
                ));
            }
        };
        let until = now() + i64::from(days) * DAY_MICROS;
        let workflows = self.workflows.snapshot();
        let kinds: Vec<&str> = workflows.kinds().collect();
        if !q.kind.is_empty() && !kinds.contains(&q.kind) {
            return Err(Error::invalid(
                reason::INVALID_FIELD,
                "kind",
                format!("no kind {:?}; possible: {}", q.kind, kinds.join(", ")),
            ));
        }
        // Every open state of every loaded version: a case keeps the version it was made with.
        let mut states = Vec::new();
        for kind in &kinds {
            for def in workflows.versions(kind) {
                for state in def.states().iter().filter(|s| !s.is_final) {
                    let transitions = def
                        .transitions()
                        .iter()
                        .filter(|t| t.allows_from(&state.name))
                        .map(|t| (t.id.clone(), needs::action_of(&t.permission, &t.id)))
                        .collect();
                    states.push(OpenState {
                        kind: (*kind).to_owned(),
                        state: state.name.clone(),
                        transitions,
                    });
                }
            }
        }
        let subject = caller.subject();
        let awaiting = Awaiting::new(
            caller.principal.id.as_str(),
            &states,
            &self.access.home_domains(subject),
            |object, action| self.access.scope_of(subject, object, action),
        );
        let empty = || MyWork {
            items: Vec::new(),
            next_page_token: String::new(),
            counts: WorkCounts::default(),
        };
        let Some(mine) = awaiting.filter() else {
            return Ok(empty());
        };
        let mut parts = vec![mine];
        // Only what the caller may read, as every list (`App::list_cases`).
        match self
            .access
            .read_scope(subject, kinds.iter().copied())
            .filter(&kinds)
        {
            ScopeFilter::Nothing => return Ok(empty()),
            ScopeFilter::Only(scope) => parts.push(scope),
            ScopeFilter::Everything => {}
        }
        if !q.kind.is_empty() {
            parts.push(Expr::Compare {
                field: "kind",
                op: Op::Eq,
                value: Value::Text(q.kind.to_owned()),
            });
        }
        let filter = Expr::And(parts);

        let params = ListParams {
            page_size: q.page_size,
            page_token: q.page_token,
            // The filter is the caller's own work (below), which the sealed token need not name.
            filter: "",
            order_by: "overdue desc, due_time, update_time",
        };
        let mut query = ListQuery::parse(&Case::LIST, params, &self.page_key)?;
        query.filter = Some(filter.clone());
        let page = self.store.list_cases(&query).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for case in page.items {
            if !self
                .may_read(caller, &case.kind, case.department.as_deref())
                .await
            {
                continue;
            }
            items.push(WorkItem {
                assigned: awaiting.is_assigned(&case),
                transitions: awaiting.transitions_of(&case),
                urgency: work::urgency(&case, until),
                case,
            });
        }

        // Counts over the whole of it, in one query: bit 0 overdue, 1 due soon, 2 assigned,
        // 3 awaiting an action.
        let never = || Expr::Compare {
            field: "kind",
            op: Op::Eq,
            value: Value::Text(String::new()),
        };
        let mut flags = vec![work::overdue(), work::due_soon(until)];
        flags.push(awaiting.assigned().unwrap_or_else(never));
        flags.push(awaiting.awaits_action().unwrap_or_else(never));
        let mut counts = WorkCounts::default();
        for row in self.store.count_cases(&filter, &flags).await? {
            let bit = |i: u32| row.flags & (1 << i) != 0;
            counts.total += row.count;
            *counts.by_kind.entry(row.kind.clone()).or_default() += row.count;
            if bit(0) {
                counts.overdue += row.count;
            }
            if bit(1) {
                counts.due_soon += row.count;
            }
            if bit(2) {
                counts.assigned += row.count;
            }
            if bit(3) {
                counts.awaiting_action += row.count;
            }
        }
        Ok(MyWork {
            items,
            next_page_token: page.next_page_token,
            counts,
        })
    }
}
