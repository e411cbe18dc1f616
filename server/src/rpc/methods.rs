//! The one table of what every RPC needs: an authenticated caller only (`WhoAmI`), or an
//! action on an object in a scope:
//!
//! - [`Scope::Rijk`]: government-wide administration (principals, tokens, roles, policy,
//!   creating and changing departments and working groups, publishing workflows, the audit):
//!   decided completely by the authentication layer, in domain `rijk`.
//! - [`Scope::Anywhere`]: shared reference data everyone works with (departments, working
//!   groups, workflows): allowed when the caller may do it in any domain it holds a role in;
//!   also decided by the layer.
//! - [`Scope::Resource`]: a call on one case (or one new case). The domain is the case's
//!   department (`rijk` for a government-wide case), which only the use case knows; objects and
//!   actions ending in `:` are families it completes (`case:` becomes `case:work_item`,
//!   `transition:` becomes `transition:accept`). The layer refuses a caller who holds no role
//!   at all; a caller none of whose roles could ever allow it goes on, marked, and the use case
//!   refuses it with the real object, action and domain before it writes anything.
//! - [`Scope::Listed`]: lists and the change feed over cases, which show only what the caller
//!   may read: the layer refuses a caller none of whose roles could read any case (the family
//!   recorded as `case:*`, in any domain).
//!
//! A method missing here is refused, and a test walks the descriptor set to make sure none is.

/// Where the domain of a check comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Rijk,
    Anywhere,
    Resource,
    Listed,
}

/// What a method needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Any authenticated caller.
    Authenticated,
    /// An action on an object (each possibly a family, see the module docs).
    Needs {
        object: &'static str,
        action: &'static str,
        scope: Scope,
    },
}

const fn rijk(object: &'static str, action: &'static str) -> Rule {
    Rule::Needs {
        object,
        action,
        scope: Scope::Rijk,
    }
}

const fn anywhere(object: &'static str, action: &'static str) -> Rule {
    Rule::Needs {
        object,
        action,
        scope: Scope::Anywhere,
    }
}

const fn resource(object: &'static str, action: &'static str) -> Rule {
    Rule::Needs {
        object,
        action,
        scope: Scope::Resource,
    }
}

const fn listed(object: &'static str, action: &'static str) -> Rule {
    Rule::Needs {
        object,
        action,
        scope: Scope::Listed,
    }
}

/// Every `regie.v1` method, by its HTTP/2 path.
pub const METHODS: &[(&str, Rule)] = &[
    ("/regie.v1.AccessService/WhoAmI", Rule::Authenticated),
    (
        "/regie.v1.AccessService/CreatePrincipal",
        rijk("principal", "create"),
    ),
    (
        "/regie.v1.AccessService/GetPrincipal",
        rijk("principal", "read"),
    ),
    (
        "/regie.v1.AccessService/ListPrincipals",
        rijk("principal", "read"),
    ),
    (
        "/regie.v1.AccessService/UpdatePrincipal",
        rijk("principal", "update"),
    ),
    (
        "/regie.v1.AccessService/IssueToken",
        rijk("token", "create"),
    ),
    (
        "/regie.v1.AccessService/CreateSignInLink",
        rijk("token", "create"),
    ),
    ("/regie.v1.AccessService/ListTokens", rijk("token", "read")),
    (
        "/regie.v1.AccessService/RevokeToken",
        rijk("token", "update"),
    ),
    ("/regie.v1.AccessService/GrantRole", rijk("role", "update")),
    ("/regie.v1.AccessService/RevokeRole", rijk("role", "update")),
    (
        "/regie.v1.AccessService/ListRoleBindings",
        rijk("role", "read"),
    ),
    (
        "/regie.v1.AccessService/ListPolicies",
        rijk("policy", "read"),
    ),
    (
        "/regie.v1.AccessService/AddPolicy",
        rijk("policy", "update"),
    ),
    (
        "/regie.v1.AccessService/RemovePolicy",
        rijk("policy", "update"),
    ),
    (
        "/regie.v1.AccessService/CheckAccess",
        rijk("policy", "read"),
    ),
    (
        "/regie.v1.AuditService/ListAuditEvents",
        rijk("audit", "read"),
    ),
    (
        "/regie.v1.AuditService/VerifyAuditChain",
        rijk("audit", "read"),
    ),
    (
        "/regie.v1.AuditService/ListCheckpoints",
        rijk("audit", "read"),
    ),
    (
        "/regie.v1.AssessmentService/CreateCriteriaSet",
        rijk("criteria_set", "create"),
    ),
    (
        "/regie.v1.AssessmentService/GetCriteriaSet",
        anywhere("criteria_set", "read"),
    ),
    (
        "/regie.v1.AssessmentService/ListCriteriaSets",
        anywhere("criteria_set", "read"),
    ),
    (
        "/regie.v1.AssessmentService/UpdateCriteriaSet",
        rijk("criteria_set", "update"),
    ),
    (
        "/regie.v1.AssessmentService/PublishCriteriaSet",
        rijk("criteria_set", "publish"),
    ),
    (
        "/regie.v1.AssessmentService/RetireCriteriaSet",
        rijk("criteria_set", "publish"),
    ),
    (
        "/regie.v1.AssessmentService/OpenCycles",
        rijk("case:assessment_cycle", "create"),
    ),
    (
        "/regie.v1.AssessmentService/RateCriterion",
        resource("case:assessment_cycle", "rate"),
    ),
    (
        "/regie.v1.AssessmentService/ListRatings",
        resource("case:assessment_cycle", "read"),
    ),
    (
        "/regie.v1.AssessmentService/RecordDialogue",
        resource("case:assessment_cycle", "update"),
    ),
    (
        "/regie.v1.AssessmentService/GetRollup",
        anywhere("case:assessment_cycle", "read"),
    ),
    (
        "/regie.v1.AssessmentService/CompareYears",
        resource("case:assessment_cycle", "read"),
    ),
    (
        "/regie.v1.FrameworkService/RecordConsultation",
        resource("case:framework", "update"),
    ),
    (
        "/regie.v1.FrameworkService/BatchRecordConsultations",
        resource("case:framework", "update"),
    ),
    (
        "/regie.v1.FrameworkService/ListConsultations",
        resource("case:framework", "read"),
    ),
    (
        "/regie.v1.FrameworkService/RecordObservance",
        resource("case:framework", "observe"),
    ),
    (
        "/regie.v1.FrameworkService/ListObservances",
        resource("case:framework", "read"),
    ),
    (
        "/regie.v1.FrameworkService/RecordEvaluation",
        resource("case:framework", "update"),
    ),
    (
        "/regie.v1.FrameworkService/ListEvaluations",
        resource("case:framework", "read"),
    ),
    (
        "/regie.v1.RiskService/AddRisk",
        resource("case:risk_analysis", "update"),
    ),
    (
        "/regie.v1.RiskService/UpdateRisk",
        resource("case:risk_analysis", "update"),
    ),
    (
        "/regie.v1.RiskService/ListRisks",
        resource("case:risk_analysis", "read"),
    ),
    (
        "/regie.v1.RiskService/GetHeatmap",
        resource("case:risk_analysis", "read"),
    ),
    (
        "/regie.v1.AuditService/ListAccessDenials",
        rijk("audit", "read"),
    ),
    (
        "/regie.v1.CaseService/CreateCase",
        resource("case:", "create"),
    ),
    ("/regie.v1.CaseService/GetCase", resource("case:", "read")),
    ("/regie.v1.CaseService/ListCases", listed("case:", "read")),
    ("/regie.v1.WorkService/ListMyWork", listed("case:", "read")),
    (
        "/regie.v1.CaseService/UpdateCase",
        resource("case:", "update"),
    ),
    (
        "/regie.v1.CaseService/TransitionCase",
        resource("case:", "transition:"),
    ),
    (
        "/regie.v1.CaseService/ListAvailableTransitions",
        resource("case:", "read"),
    ),
    (
        "/regie.v1.CaseService/AddComment",
        resource("case:", "comment"),
    ),
    (
        "/regie.v1.CaseService/ListCaseEvents",
        resource("case:", "read"),
    ),
    ("/regie.v1.CaseService/WatchEvents", listed("case:", "read")),
    (
        "/regie.v1.DirectoryService/GetDepartment",
        anywhere("department", "read"),
    ),
    (
        "/regie.v1.DirectoryService/ListDepartments",
        anywhere("department", "read"),
    ),
    (
        "/regie.v1.DirectoryService/CreateDepartment",
        rijk("department", "create"),
    ),
    (
        "/regie.v1.DirectoryService/UpdateDepartment",
        rijk("department", "update"),
    ),
    (
        "/regie.v1.DirectoryService/GetWorkingGroup",
        anywhere("working_group", "read"),
    ),
    (
        "/regie.v1.DirectoryService/ListWorkingGroups",
        anywhere("working_group", "read"),
    ),
    (
        "/regie.v1.DirectoryService/CreateWorkingGroup",
        rijk("working_group", "create"),
    ),
    (
        "/regie.v1.DirectoryService/UpdateWorkingGroup",
        rijk("working_group", "update"),
    ),
    (
        "/regie.v1.DirectoryService/AddWorkingGroupMember",
        rijk("working_group", "update"),
    ),
    (
        "/regie.v1.DirectoryService/RemoveWorkingGroupMember",
        rijk("working_group", "update"),
    ),
    (
        "/regie.v1.WorkflowService/ListWorkflows",
        anywhere("workflow", "read"),
    ),
    (
        "/regie.v1.WorkflowService/GetWorkflow",
        anywhere("workflow", "read"),
    ),
    (
        "/regie.v1.WorkflowService/PublishWorkflow",
        rijk("workflow", "admin"),
    ),
    (
        "/regie.v1.WorkflowService/ListRules",
        anywhere("workflow", "read"),
    ),
];

/// The rule of a method path; `None` for a path that is not a `regie.v1` method we know.
pub fn rule(path: &str) -> Option<Rule> {
    METHODS.iter().find(|(p, _)| *p == path).map(|(_, r)| *r)
}

/// Paths that need no token: health checks and reflection.
pub fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn every_regie_method_has_a_rule_and_every_rule_a_method() {
        let set = prost_types::FileDescriptorSet::decode(regie_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptor set");
        let mut paths = Vec::new();
        for file in set.file.iter().filter(|f| f.package() == "regie.v1") {
            for service in &file.service {
                for method in &service.method {
                    paths.push(format!("/regie.v1.{}/{}", service.name(), method.name()));
                }
            }
        }
        let unmapped: Vec<&String> = paths.iter().filter(|p| rule(p).is_none()).collect();
        assert!(
            unmapped.is_empty(),
            "methods without an access rule: {unmapped:?}"
        );
        let stale: Vec<&str> = METHODS
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| !paths.iter().any(|q| q == p))
            .collect();
        assert!(
            stale.is_empty(),
            "rules for methods that do not exist: {stale:?}"
        );
    }
}
