//! `regie.v1.WorkflowService`: translates between `regie.v1` messages and the workflow use
//! cases (`app::workflows`): the workflow definitions, their renderings, publishing new
//! versions, and the rule catalogue.

use std::sync::Arc;

use regie_proto::v1::{self, workflow_service_server::WorkflowService};
use tonic::{Request, Response, Status};

use crate::app::App;
use crate::app::workflows::Published;
use crate::domain::error::{Error, reason};
use crate::domain::workflow::{WorkflowDefinition, render, rules};
use crate::rpc::status::to_status;

pub struct WorkflowApi {
    app: Arc<App>,
}

impl WorkflowApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

fn proto(published: &Published) -> v1::Workflow {
    to_proto(&published.definition, published.publish_time)
}

fn rule(rule: &rules::Rule) -> v1::Rule {
    v1::Rule {
        id: rule.id.to_owned(),
        sentence_nl: rule.sentence_nl.to_owned(),
        sentence_en: rule.sentence_en.to_owned(),
        source: rule.source.unwrap_or_default().to_owned(),
        // Every registered rule is enforced, as a guard or where requests are decided.
        implemented: true,
    }
}

fn to_proto(def: &WorkflowDefinition, publish_time: Option<i64>) -> v1::Workflow {
    v1::Workflow {
        name: format!("workflows/{}/versions/{}", def.kind(), def.version()),
        kind: def.kind().to_owned(),
        version: def.version(),
        initial_state: def.initial().to_owned(),
        states: def
            .states()
            .iter()
            .map(|s| v1::WorkflowState {
                name: s.name.clone(),
                label_nl: s.label_nl.clone(),
                label_en: s.label_en.clone(),
                r#final: s.is_final,
                sla_days: s.sla_days.unwrap_or(0),
                pauses_clock: s.pauses_clock,
            })
            .collect(),
        transitions: def
            .transitions()
            .iter()
            .map(|t| v1::WorkflowTransition {
                id: t.id.clone(),
                from_states: t.from.clone(),
                to_state: t.to.clone(),
                permission: t.permission.clone(),
                guards: t
                    .guards
                    .iter()
                    .filter_map(|g| rules::find(g))
                    .map(rule)
                    .collect(),
                comment_required: t.comment_required,
                label_nl: t.label_nl.clone(),
                label_en: t.label_en.clone(),
            })
            .collect(),
        effects: def
            .effects()
            .iter()
            .map(|e| v1::WorkflowEffect {
                transition: e.on.clone(),
                effect: e.effect.as_str().to_owned(),
            })
            .collect(),
        definition: def.source().to_owned(),
        mermaid: render::to_mermaid(def),
        dot: render::to_dot(def),
        publish_time: publish_time.map(super::convert::timestamp_micros),
    }
}

/// `workflows/{kind}` or `workflows/{kind}/versions/{n}`.
fn parse_name(name: &str) -> Result<(String, Option<u32>), Error> {
    let bad = || {
        Error::invalid(
            reason::INVALID_NAME,
            "name",
            format!("{name:?} is not `workflows/{{kind}}` or `workflows/{{kind}}/versions/{{n}}`"),
        )
    };
    let rest = name.strip_prefix("workflows/").ok_or_else(bad)?;
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        [kind] if !kind.is_empty() => Ok(((*kind).to_owned(), None)),
        [kind, "versions", n] => Ok(((*kind).to_owned(), Some(n.parse().map_err(|_| bad())?))),
        _ => Err(bad()),
    }
}

#[tonic::async_trait]
impl WorkflowService for WorkflowApi {
    async fn list_workflows(
        &self,
        _: Request<v1::ListWorkflowsRequest>,
    ) -> Result<Response<v1::ListWorkflowsResponse>, Status> {
        let workflows = self.app.list_workflows().await.map_err(to_status)?;
        Ok(Response::new(v1::ListWorkflowsResponse {
            workflows: workflows.iter().map(proto).collect(),
        }))
    }

    async fn get_workflow(
        &self,
        request: Request<v1::GetWorkflowRequest>,
    ) -> Result<Response<v1::Workflow>, Status> {
        let (kind, version) = parse_name(&request.into_inner().name).map_err(to_status)?;
        let published = self
            .app
            .get_workflow(&kind, version)
            .await
            .map_err(to_status)?;
        Ok(Response::new(proto(&published)))
    }

    async fn publish_workflow(
        &self,
        request: Request<v1::PublishWorkflowRequest>,
    ) -> Result<Response<v1::Workflow>, Status> {
        let text = request.into_inner().definition;
        let published = self.app.publish_workflow(&text).await.map_err(to_status)?;
        Ok(Response::new(proto(&published)))
    }

    async fn list_rules(
        &self,
        _: Request<v1::ListRulesRequest>,
    ) -> Result<Response<v1::ListRulesResponse>, Status> {
        Ok(Response::new(v1::ListRulesResponse {
            rules: self.app.rules().iter().map(rule).collect(),
        }))
    }
}
