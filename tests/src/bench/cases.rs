//! The calls to the real server: one client type per measured call. Each checks the answer it
//! gets (an OK status is not enough: a transition must land in the expected state, a read must
//! return the case asked for), so a fast wrong answer counts as an error, not as throughput.

use std::sync::Arc;

use anyhow::Context as _;
use regie_proto::v1::{self, case_service_client::CaseServiceClient};
use regie_tests::Authed as Channel;

use super::load::{self, Client};

/// Every case the bench creates belongs to this department, one of the seeded ministries.
const DEPARTMENT: &str = "departments/JenV";

fn work_item(title: String, assignee: String) -> v1::Case {
    v1::Case {
        kind: "work_item".into(),
        title,
        department: DEPARTMENT.into(),
        assignee,
        ..Default::default()
    }
}

/// Creates work items, one per call, and remembers their names for the reads.
pub struct CreateClient {
    cases: CaseServiceClient<Channel>,
    index: usize,
    count: u64,
    pub created: Vec<String>,
}

impl CreateClient {
    pub fn new(channel: Channel, index: usize) -> Self {
        Self {
            cases: CaseServiceClient::new(channel),
            index,
            count: 0,
            created: Vec::new(),
        }
    }
}

impl Client for CreateClient {
    async fn call(&mut self) -> Result<(), String> {
        self.count += 1;
        let title = format!("Bench item {}-{}", self.index, self.count);
        let case = self
            .cases
            .create_case(v1::CreateCaseRequest {
                case: Some(work_item(title, String::new())),
                request_id: String::new(),
            })
            .await
            .map_err(|status| load::describe(&status))?
            .into_inner();
        if case.state != "proposed" || !case.name.starts_with("cases/") {
            return Err(format!(
                "created case {:?} in state {:?}",
                case.name, case.state
            ));
        }
        self.created.push(case.name);
        Ok(())
    }
}

/// Moves its own work item between `in_progress` and `blocked`, one transition per call.
pub struct TransitionClient {
    cases: CaseServiceClient<Channel>,
    name: String,
    blocked: bool,
}

impl TransitionClient {
    /// Creates the client's work item with an assignee and takes it to `in_progress`
    /// (accept, then start), outside any timing.
    pub async fn set_up(channel: Channel, index: usize) -> anyhow::Result<Self> {
        let mut cases = CaseServiceClient::new(channel);
        let case = cases
            .create_case(v1::CreateCaseRequest {
                case: Some(work_item(
                    format!("Bench transitions {index}"),
                    format!("bench-{index}"),
                )),
                request_id: String::new(),
            })
            .await
            .context("creating a work item for the transition bench")?
            .into_inner();
        let mut client = Self {
            cases,
            name: case.name,
            blocked: false,
        };
        for (transition, expected) in [("accept", "accepted"), ("start", "in_progress")] {
            client
                .transition(transition, expected)
                .await
                .map_err(anyhow::Error::msg)
                .with_context(|| {
                    format!("setting up the work item of transition client {index}")
                })?;
        }
        Ok(client)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    async fn transition(&mut self, transition: &str, expected: &str) -> Result<(), String> {
        let case = self
            .cases
            .transition_case(v1::TransitionCaseRequest {
                name: self.name.clone(),
                transition: transition.into(),
                ..Default::default()
            })
            .await
            .map_err(|status| load::describe(&status))?
            .into_inner();
        if case.state == expected {
            Ok(())
        } else {
            Err(format!(
                "{transition} left the case in {:?}, not {expected:?}",
                case.state
            ))
        }
    }
}

impl Client for TransitionClient {
    async fn call(&mut self) -> Result<(), String> {
        let (transition, expected) = if self.blocked {
            ("unblock", "in_progress")
        } else {
            ("block", "blocked")
        };
        self.transition(transition, expected).await?;
        self.blocked = !self.blocked;
        Ok(())
    }
}

/// Reads cases chosen at random among `names`.
pub struct GetClient {
    cases: CaseServiceClient<Channel>,
    names: Arc<Vec<String>>,
    random: u64,
}

impl GetClient {
    pub fn new(channel: Channel, index: usize, names: Arc<Vec<String>>) -> Self {
        Self {
            cases: CaseServiceClient::new(channel),
            names,
            // Any odd, distinct seed will do; xorshift needs a non-zero state.
            random: 0x9E37_79B9_7F4A_7C15 ^ ((index as u64) << 1 | 1),
        }
    }

    /// xorshift64: uniform enough to spread reads over the cases, and no dependency.
    fn next_index(&mut self) -> usize {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random = x;
        (x % self.names.len().max(1) as u64) as usize
    }
}

impl Client for GetClient {
    async fn call(&mut self) -> Result<(), String> {
        let index = self.next_index();
        let Some(name) = self.names.get(index).cloned() else {
            return Err("no case to read".into());
        };
        let case = self
            .cases
            .get_case(v1::GetCaseRequest {
                name: name.clone(),
                ..Default::default()
            })
            .await
            .map_err(|status| load::describe(&status))?
            .into_inner();
        if case.name == name {
            Ok(())
        } else {
            Err(format!("asked for {name}, got {:?}", case.name))
        }
    }
}

/// Lists a filtered page of cases, as a department's coordinator: every case on the page must be
/// its department's, however many of another department's the table holds.
pub struct ListClient {
    cases: CaseServiceClient<Channel>,
}

impl ListClient {
    pub fn new(channel: Channel) -> Self {
        Self {
            cases: CaseServiceClient::new(channel),
        }
    }
}

impl Client for ListClient {
    async fn call(&mut self) -> Result<(), String> {
        let page = self
            .cases
            .list_cases(v1::ListCasesRequest {
                page_size: 50,
                // The department named as well: a server from before the read scope was part
                // of the query (issue #12) then also returns full pages, so that the two can be
                // compared for the same work.
                filter: format!(
                    "kind = \"work_item\" AND state = \"proposed\" AND department = \"{DEPARTMENT}\""
                ),
                order_by: "create_time desc".into(),
                ..Default::default()
            })
            .await
            .map_err(|status| load::describe(&status))?
            .into_inner();
        if page.cases.is_empty() {
            return Err("an empty page where readable cases match".into());
        }
        match page.cases.iter().find(|c| c.department != DEPARTMENT) {
            Some(other) => Err(format!("listed {} of {}", other.name, other.department)),
            None => Ok(()),
        }
    }
}

/// Creates `count` work items of another department than the bench's, as `channel`'s caller
/// (the admin), `parallel` at a time: the cases a coordinator of the bench's department may not
/// read.
pub async fn create_elsewhere(
    channel: Channel,
    count: usize,
    parallel: usize,
) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for worker in 0..parallel {
        let mut cases = CaseServiceClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            for i in (worker..count).step_by(parallel) {
                cases
                    .create_case(v1::CreateCaseRequest {
                        case: Some(v1::Case {
                            department: "departments/Fin".into(),
                            ..work_item(format!("Elders {i}"), String::new())
                        }),
                        request_id: String::new(),
                    })
                    .await
                    .with_context(|| format!("creating unreadable case {i}"))?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await.context("a creating task")??;
    }
    Ok(())
}
