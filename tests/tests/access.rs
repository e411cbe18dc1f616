//! Access control end to end, on both backends: tokens, the default policy's roles across
//! departments, changes that apply on the next call, explained decisions, the denial audit and
//! the bootstrap admin.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use prost::Message as _;
use regie_proto::v1;
use regie_tests::errors::{assert_error, reason};
use regie_tests::raw::call_bytes;
use regie_tests::{Backend, TestServer, backend_tests};
use tonic::Code;

backend_tests!(
    every_method_needs_a_token_and_a_role_before_it_reads_the_request,
    the_default_roles_reach_their_own_department_and_no_other,
    revoked_expired_and_disabled_tokens_are_refused_on_the_next_call,
    a_policy_change_applies_on_the_next_call,
    check_access_explains_allows_and_denials,
    denials_are_audited,
    a_refusal_names_the_real_object_action_and_domain,
);

/// Creates a principal with a token; returns the token's secret.
async fn principal(server: &TestServer, id: &str, roles: &[(&str, &str)]) -> String {
    let mut access = server.access().await;
    access
        .create_principal(v1::CreatePrincipalRequest {
            principal_id: id.into(),
            principal: Some(v1::Principal {
                display_name: format!("Test {id}"),
                kind: v1::principal::Kind::Person as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    for (role, domain) in roles {
        access
            .grant_role(v1::GrantRoleRequest {
                principal: format!("principals/{id}"),
                role: (*role).into(),
                domain: (*domain).into(),
            })
            .await
            .unwrap();
    }
    access
        .issue_token(v1::IssueTokenRequest {
            principal: format!("principals/{id}"),
            display_name: "test".into(),
            expire_time: None,
        })
        .await
        .unwrap()
        .into_inner()
        .secret
}

fn cases_as(
    channel: regie_tests::Authed,
) -> v1::case_service_client::CaseServiceClient<regie_tests::Authed> {
    v1::case_service_client::CaseServiceClient::new(channel)
}

async fn work_item(server: &TestServer, title: &str, department: &str) -> v1::Case {
    server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "work_item".into(),
                title: title.into(),
                department: department.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn transition(name: &str, transition: &str) -> v1::TransitionCaseRequest {
    v1::TransitionCaseRequest {
        name: name.into(),
        transition: transition.into(),
        ..Default::default()
    }
}

fn get(name: &str) -> v1::GetCaseRequest {
    v1::GetCaseRequest {
        name: name.into(),
        ..Default::default()
    }
}

async fn every_method_needs_a_token_and_a_role_before_it_reads_the_request(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let nobody = principal(&server, "nobody", &[]).await;
    let set = prost_types::FileDescriptorSet::decode(regie_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut walked = 0;
    for file in set.file.iter().filter(|f| f.package() == "regie.v1") {
        for service in &file.service {
            for method in &service.method {
                let path = format!("/regie.v1.{}/{}", service.name(), method.name());
                let streaming = method.server_streaming();
                // Not a valid protobuf message: any handler that read it would answer
                // INVALID_ARGUMENT or INTERNAL instead.
                let garbage = vec![0xff, 0xff, 0xff];
                let status = call_bytes(
                    server.channel().await,
                    None,
                    &path,
                    garbage.clone(),
                    streaming,
                )
                .await;
                assert_eq!(
                    status.code(),
                    Code::Unauthenticated,
                    "{path} without a token: {status:?}"
                );
                assert_eq!(reason(&status), "TOKEN_MISSING", "{path}");

                let status = call_bytes(
                    server.channel().await,
                    Some("regie_not-a-real-token"),
                    &path,
                    garbage.clone(),
                    streaming,
                )
                .await;
                assert_eq!(
                    status.code(),
                    Code::Unauthenticated,
                    "{path} with an unknown token: {status:?}"
                );

                let status = call_bytes(
                    server.channel().await,
                    Some(&nobody),
                    &path,
                    garbage,
                    streaming,
                )
                .await;
                if path.ends_with("/WhoAmI") {
                    // Open to every authenticated caller; its garbage body is then refused.
                    assert_ne!(status.code(), Code::PermissionDenied, "{path}: {status:?}");
                    assert_ne!(status.code(), Code::Unauthenticated, "{path}: {status:?}");
                } else {
                    assert_eq!(
                        status.code(),
                        Code::PermissionDenied,
                        "{path} without roles: {status:?}"
                    );
                }
                walked += 1;
            }
        }
    }
    assert!(walked >= 40, "walked only {walked} methods");

    // WhoAmI works for the principal without roles, and says it has none.
    let who = server
        .access_as(&nobody)
        .await
        .who_am_i(v1::WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(who.principal.unwrap().name, "principals/nobody");
    assert!(who.roles.is_empty());
}

async fn the_default_roles_reach_their_own_department_and_no_other(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let jenv = work_item(&server, "Integriteitsbeleid JenV", "departments/JenV").await;
    let bzk = work_item(&server, "Integriteitsbeleid BZK", "departments/BZK").await;

    let coordinator = principal(&server, "ic.jenv", &[("integrity_coordinator", "JenV")]).await;
    let member = principal(&server, "lid.jenv", &[("member", "JenV")]).await;
    let auditor = principal(&server, "auditor", &[("auditor", "rijk")]).await;
    let secretariat = principal(&server, "secretariaat", &[("secretariat", "rijk")]).await;

    // The integrity coordinator of JenV works on JenV's item and cannot touch BZK's.
    let mut ic = cases_as(server.authed_with(&coordinator).await);
    ic.get_case(get(&jenv.name)).await.unwrap();
    ic.transition_case(transition(&jenv.name, "accept"))
        .await
        .unwrap();
    let status = ic.get_case(get(&bzk.name)).await.unwrap_err();
    assert_error(&status, Code::PermissionDenied, "PERMISSION_DENIED");
    let status = ic
        .transition_case(transition(&bzk.name, "accept"))
        .await
        .unwrap_err();
    assert_error(&status, Code::PermissionDenied, "PERMISSION_DENIED");
    let listed = ic
        .list_cases(v1::ListCasesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec![jenv.name.as_str()],
        "lists show only what the caller may read"
    );
    let status = ic
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "work_item".into(),
                title: "In een ander departement".into(),
                department: "departments/BZK".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // A member comments but does not move the case.
    let mut lid = cases_as(server.authed_with(&member).await);
    lid.add_comment(v1::AddCommentRequest {
        name: jenv.name.clone(),
        text: "Gezien.".into(),
        request_id: String::new(),
    })
    .await
    .unwrap();
    let status = lid
        .transition_case(transition(&jenv.name, "start"))
        .await
        .unwrap_err();
    assert_error(&status, Code::PermissionDenied, "PERMISSION_DENIED");

    // The auditor reads everything and changes nothing.
    let mut audit_cases = cases_as(server.authed_with(&auditor).await);
    audit_cases.get_case(get(&jenv.name)).await.unwrap();
    audit_cases.get_case(get(&bzk.name)).await.unwrap();
    let status = audit_cases
        .add_comment(v1::AddCommentRequest {
            name: bzk.name.clone(),
            text: "Ook gezien.".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = audit_cases
        .transition_case(transition(&bzk.name, "accept"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    v1::audit_service_client::AuditServiceClient::new(server.authed_with(&auditor).await)
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .unwrap();
    let status = server
        .access_as(&auditor)
        .await
        .grant_role(v1::GrantRoleRequest {
            principal: "principals/auditor".into(),
            role: "admin".into(),
            domain: "rijk".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // The secretariat runs the work items everywhere.
    cases_as(server.authed_with(&secretariat).await)
        .transition_case(transition(&bzk.name, "accept"))
        .await
        .unwrap();

    // The rest of the matrix, for the kinds the coordination domain brings, through the policy.
    let mut admin = server.access().await;
    let mut check = async |subject: &str, domain: &str, object: &str, action: &str| -> bool {
        admin
            .check_access(v1::CheckAccessRequest {
                subject: Some(v1::check_access_request::Subject::Principal(subject.into())),
                domain: domain.into(),
                object: object.into(),
                action: action.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .allowed
    };
    assert!(
        check(
            "principals/ic.jenv",
            "JenV",
            "case:assessment_cycle",
            "rate"
        )
        .await
    );
    assert!(!check("principals/ic.jenv", "BZK", "case:assessment_cycle", "rate").await);
    assert!(check("principals/auditor", "BZK", "case:assessment_cycle", "read").await);
    assert!(!check("principals/auditor", "BZK", "case:assessment_cycle", "rate").await);
    assert!(
        !check(
            "principals/secretariaat",
            "rijk",
            "case:framework",
            "transition:adopt"
        )
        .await
    );
    assert!(
        check(
            "principals/secretariaat",
            "rijk",
            "case:framework",
            "transition:start_consultation"
        )
        .await
    );
    assert!(check("principals/lid.jenv", "JenV", "case:work_item", "comment").await);
    assert!(
        !check(
            "principals/lid.jenv",
            "JenV",
            "case:work_item",
            "transition:start"
        )
        .await
    );
}

async fn revoked_expired_and_disabled_tokens_are_refused_on_the_next_call(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let token = principal(&server, "anna", &[("member", "JenV")]).await;
    let mut anna = server.access_as(&token).await;
    anna.who_am_i(v1::WhoAmIRequest {}).await.unwrap();

    // Revoked.
    let mut admin = server.access().await;
    let tokens = admin
        .list_tokens(v1::ListTokensRequest {
            principal: "principals/anna".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert_eq!(tokens.len(), 1);
    let revoked = admin
        .revoke_token(v1::RevokeTokenRequest {
            name: tokens[0].name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoke_time.is_some());
    let status = anna.who_am_i(v1::WhoAmIRequest {}).await.unwrap_err();
    assert_error(&status, Code::Unauthenticated, "TOKEN_REVOKED");

    // Expired.
    let soon = std::time::SystemTime::now() + Duration::from_millis(1500);
    let short = admin
        .issue_token(v1::IssueTokenRequest {
            principal: "principals/anna".into(),
            display_name: "kort".into(),
            expire_time: Some(prost_types::Timestamp::from(soon)),
        })
        .await
        .unwrap()
        .into_inner()
        .secret;
    let mut anna = server.access_as(&short).await;
    anna.who_am_i(v1::WhoAmIRequest {}).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let status = anna.who_am_i(v1::WhoAmIRequest {}).await.unwrap_err();
    assert_error(&status, Code::Unauthenticated, "TOKEN_EXPIRED");

    // A disabled principal's tokens stop working.
    let fresh = admin
        .issue_token(v1::IssueTokenRequest {
            principal: "principals/anna".into(),
            display_name: "nieuw".into(),
            expire_time: None,
        })
        .await
        .unwrap()
        .into_inner()
        .secret;
    let mut anna = server.access_as(&fresh).await;
    anna.who_am_i(v1::WhoAmIRequest {}).await.unwrap();
    admin
        .update_principal(v1::UpdatePrincipalRequest {
            principal: Some(v1::Principal {
                name: "principals/anna".into(),
                disabled: true,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["disabled".into()],
            }),
        })
        .await
        .unwrap();
    let status = anna.who_am_i(v1::WhoAmIRequest {}).await.unwrap_err();
    assert_error(&status, Code::Unauthenticated, "PRINCIPAL_DISABLED");

    // Her three tokens, two per page, oldest first, each with its state.
    let first = admin
        .list_tokens(v1::ListTokensRequest {
            principal: "principals/anna".into(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.tokens.len(), 2);
    assert!(first.tokens[0].revoke_time.is_some());
    assert!(!first.next_page_token.is_empty());
    let second = admin
        .list_tokens(v1::ListTokensRequest {
            principal: "principals/anna".into(),
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.tokens.len(), 1);
    assert_eq!(second.tokens[0].display_name, "nieuw");
    assert!(second.next_page_token.is_empty());
}

async fn a_policy_change_applies_on_the_next_call(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let item = work_item(&server, "Beleid", "departments/JenV").await;
    let token = principal(&server, "lid", &[("member", "JenV")]).await;
    let mut lid = cases_as(server.authed_with(&token).await);
    let status = lid
        .transition_case(transition(&item.name, "accept"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    let line = v1::Policy {
        role: "member".into(),
        domain: "*".into(),
        object: "case:work_item".into(),
        action: "transition:accept".into(),
    };
    let mut admin = server.access().await;
    admin
        .add_policy(v1::AddPolicyRequest {
            policy: Some(line.clone()),
        })
        .await
        .unwrap();
    lid.transition_case(transition(&item.name, "accept"))
        .await
        .unwrap();

    admin
        .remove_policy(v1::RemovePolicyRequest { policy: Some(line) })
        .await
        .unwrap();
    let status = lid
        .transition_case(transition(&item.name, "start"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // Granting and revoking a role applies just as fast.
    admin
        .grant_role(v1::GrantRoleRequest {
            principal: "principals/lid".into(),
            role: "secretariat".into(),
            domain: "rijk".into(),
        })
        .await
        .unwrap();
    lid.get_case(get(&item.name)).await.unwrap();
    lid.add_comment(v1::AddCommentRequest {
        name: item.name.clone(),
        text: "Nu als secretariaat.".into(),
        request_id: String::new(),
    })
    .await
    .unwrap();
    admin
        .revoke_role(v1::RevokeRoleRequest {
            principal: "principals/lid".into(),
            role: "member".into(),
            domain: "JenV".into(),
        })
        .await
        .unwrap();
    let status = admin
        .revoke_role(v1::RevokeRoleRequest {
            principal: "principals/lid".into(),
            role: "member".into(),
            domain: "JenV".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

async fn check_access_explains_allows_and_denials(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    principal(&server, "ic", &[("integrity_coordinator", "JenV")]).await;
    let mut admin = server.access().await;
    let allowed = admin
        .check_access(v1::CheckAccessRequest {
            subject: Some(v1::check_access_request::Subject::Principal(
                "principals/ic".into(),
            )),
            domain: "JenV".into(),
            object: "case:assessment_cycle".into(),
            action: "rate".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(allowed.allowed);
    assert!(
        allowed
            .matched_policies
            .iter()
            .any(|p| p.role == "integrity_coordinator"
                && p.object == "case:assessment_cycle"
                && p.action == "rate"),
        "{allowed:?}"
    );
    assert_eq!(allowed.via_roles.len(), 1, "{allowed:?}");
    assert_eq!(allowed.via_roles[0].domain, "JenV");
    assert!(
        allowed.explanation.contains("integrity_coordinator"),
        "{}",
        allowed.explanation
    );

    let denied = admin
        .check_access(v1::CheckAccessRequest {
            subject: Some(v1::check_access_request::Subject::Principal(
                "principals/ic".into(),
            )),
            domain: "BZK".into(),
            object: "case:assessment_cycle".into(),
            action: "rate".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!denied.allowed);
    assert!(denied.matched_policies.is_empty());
    assert!(denied.explanation.contains("BZK"), "{}", denied.explanation);

    // A role can be asked about directly.
    let role = admin
        .check_access(v1::CheckAccessRequest {
            subject: Some(v1::check_access_request::Subject::Role("auditor".into())),
            domain: "rijk".into(),
            object: "audit".into(),
            action: "read".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(role.allowed, "{role:?}");

    // Bad input names every bad field.
    let status = admin
        .check_access(v1::CheckAccessRequest {
            subject: None,
            domain: "nergens!".into(),
            object: "Case".into(),
            action: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        regie_tests::errors::bad_fields(&status).len(),
        4,
        "{status:?}"
    );
}

async fn denials_are_audited(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let token = principal(&server, "buitenstaander", &[]).await;
    let status = cases_as(server.authed_with(&token).await)
        .list_cases(v1::ListCasesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = cases_as(server.authed_with("regie_wrong").await)
        .list_cases(v1::ListCasesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let denials = server
        .audit()
        .await
        .list_access_denials(v1::ListAccessDenialsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .denials;
    let denied = denials
        .iter()
        .find(|d| d.principal == "principals/buitenstaander")
        .unwrap_or_else(|| panic!("no denial recorded: {denials:?}"));
    assert_eq!(denied.method, "/regie.v1.CaseService/ListCases");
    assert_eq!(denied.reason, "PERMISSION_DENIED");
    assert!(
        denials
            .iter()
            .any(|d| d.principal.is_empty() && d.reason == "TOKEN_INVALID"),
        "{denials:?}"
    );
}

#[tokio::test]
async fn the_first_start_writes_a_private_admin_token_and_logs_only_its_path() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let path = server.data_dir().join("admin.token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(server.admin_token.starts_with("regie_"));
    let log = server.log().join("\n");
    assert!(log.contains("admin.token"), "the log names the file");
    assert!(
        !log.contains(&server.admin_token),
        "the log never shows the secret"
    );
    let who = server
        .access()
        .await
        .who_am_i(v1::WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(who.principal.unwrap().name, "principals/admin");
    assert!(
        who.roles
            .iter()
            .any(|r| r.role == "admin" && r.domain == "rijk")
    );
}

#[tokio::test]
async fn the_first_admins_token_expires_after_the_configured_days() {
    for (args, days) in [
        (&[][..], Some(7)),
        (&["--bootstrap-token-days", "2"][..], Some(2)),
        (&["--bootstrap-token-days", "0"][..], None),
    ] {
        let Some(server) = TestServer::start_with(Backend::Sqlite, args).await else {
            return;
        };
        let tokens = server
            .access()
            .await
            .list_tokens(v1::ListTokensRequest {
                principal: "principals/admin".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .tokens;
        assert_eq!(tokens.len(), 1);
        let token = &tokens[0];
        let lifetime = token
            .expire_time
            .as_ref()
            .map(|e| e.seconds - token.create_time.as_ref().unwrap().seconds);
        assert_eq!(lifetime, days.map(|d| d * 86_400), "{args:?}");
        let log = server.log().join("\n");
        if days.is_some() {
            assert!(log.contains("expires"), "the log says when: {log}");
        } else {
            assert!(log.contains("never expires"), "{log}");
        }
    }
}

#[tokio::test]
async fn admin_issue_token_works_against_the_database_for_recovery() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let output =
        tokio::process::Command::new(regie_tests::binary("regie-server", "REGIE_SERVER_BIN"))
            .arg("--database-url")
            .arg(&server.database_url)
            .arg("--data-dir")
            .arg(server.data_dir())
            .arg("--log-format")
            .arg("json")
            .args(["admin", "issue-token", "--principal", "admin"])
            .output()
            .await
            .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("regie_"));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(&secret));
    server
        .access_as(&secret)
        .await
        .who_am_i(v1::WhoAmIRequest {})
        .await
        .unwrap();
}

/// Every refusal, by the authentication layer or by a use case, names what was refused: the
/// message says `… may not <action> <object> in <domain>`, and the denial row has the same
/// object, action and domain. A call on a case that no role of the caller could allow is
/// refused naming the case's kind, the action and the case's domain; a caller without any role
/// (refused before the request is read) and lists name the family for all its members, in any
/// domain.
async fn a_refusal_names_the_real_object_action_and_domain(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let auditor = principal(&server, "rekenkamer", &[("auditor", "rijk")]).await;
    let member = principal(&server, "lid", &[("member", "JenV")]).await;
    let nobody = principal(&server, "niemand", &[]).await;
    let item = work_item(&server, "Agenda IPIM", "departments/JenV").await;
    let framework = server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "framework".into(),
                title: "Kader integriteitsonderzoeken".into(),
                details: Some(v1::case::Details::Framework(v1::FrameworkDetails {
                    scope: vec!["departments/JenV".into()],
                    ..Default::default()
                })),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();

    let refused = |status: tonic::Status| {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        status.message().to_owned()
    };
    let as_auditor = server.authed_with(&auditor).await;
    let mut cases = cases_as(as_auditor.clone());
    let mut expected: Vec<(&str, &str, &str, &str, &str)> = Vec::new();

    // The auditor reads everything and may verify the audit trail…
    let verified = v1::audit_service_client::AuditServiceClient::new(as_auditor.clone())
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(verified.valid);
    // …but changes nothing: each refusal names the case's kind, the action and its domain.
    let message = refused(
        cases
            .transition_case(transition(&item.name, "accept"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/rekenkamer may not transition:accept case:work_item in JenV"
    );
    expected.push((
        "principals/rekenkamer",
        "/regie.v1.CaseService/TransitionCase",
        "case:work_item",
        "transition:accept",
        "JenV",
    ));
    let message = refused(
        cases
            .update_case(v1::UpdateCaseRequest {
                case: Some(v1::Case {
                    name: item.name.clone(),
                    title: "Anders".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/rekenkamer may not update case:work_item in JenV"
    );
    expected.push((
        "principals/rekenkamer",
        "/regie.v1.CaseService/UpdateCase",
        "case:work_item",
        "update",
        "JenV",
    ));
    let message = refused(
        cases
            .add_comment(v1::AddCommentRequest {
                name: item.name.clone(),
                text: "Opmerking".into(),
                request_id: String::new(),
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/rekenkamer may not comment case:work_item in JenV"
    );
    expected.push((
        "principals/rekenkamer",
        "/regie.v1.CaseService/AddComment",
        "case:work_item",
        "comment",
        "JenV",
    ));
    let message = refused(
        cases
            .create_case(v1::CreateCaseRequest {
                case: Some(v1::Case {
                    kind: "work_item".into(),
                    title: "Notitie".into(),
                    department: "departments/BZK".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/rekenkamer may not create case:work_item in BZK"
    );
    expected.push((
        "principals/rekenkamer",
        "/regie.v1.CaseService/CreateCase",
        "case:work_item",
        "create",
        "BZK",
    ));
    let message = refused(
        v1::framework_service_client::FrameworkServiceClient::new(as_auditor.clone())
            .record_consultation(v1::RecordConsultationRequest {
                framework: framework.name.clone(),
                consultation: Some(v1::Consultation {
                    department: "departments/JenV".into(),
                    body: "IPIM".into(),
                    date: "2026-02-10".into(),
                    outcome: v1::ConsultationOutcome::Agrees as i32,
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/rekenkamer may not update case:framework in rijk"
    );
    expected.push((
        "principals/rekenkamer",
        "/regie.v1.FrameworkService/RecordConsultation",
        "case:framework",
        "update",
        "rijk",
    ));

    // What the method table decides alone names its object and action as the table does.
    let message = refused(
        v1::assessment_service_client::AssessmentServiceClient::new(
            server.authed_with(&member).await,
        )
        .publish_criteria_set(v1::PublishCriteriaSetRequest {
            name: "criteriaSets/template".into(),
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/lid may not publish criteria_set in rijk"
    );
    expected.push((
        "principals/lid",
        "/regie.v1.AssessmentService/PublishCriteriaSet",
        "criteria_set",
        "publish",
        "rijk",
    ));

    // A caller without any role is refused before the request is read, for every member of
    // the family in any domain; so are lists that no role of the caller could fill.
    let as_nobody = server.authed_with(&nobody).await;
    let message = refused(
        cases_as(as_nobody.clone())
            .transition_case(transition(&item.name, "accept"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/niemand may not transition:* case:* in any domain"
    );
    expected.push((
        "principals/niemand",
        "/regie.v1.CaseService/TransitionCase",
        "case:*",
        "transition:*",
        "*",
    ));
    let message = refused(
        cases_as(as_nobody.clone())
            .list_cases(v1::ListCasesRequest::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/niemand may not read case:* in any domain"
    );
    expected.push((
        "principals/niemand",
        "/regie.v1.CaseService/ListCases",
        "case:*",
        "read",
        "*",
    ));
    let message = refused(
        v1::directory_service_client::DirectoryServiceClient::new(as_nobody)
            .list_departments(v1::ListDepartmentsRequest::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "principals/niemand may not read department in any domain"
    );
    expected.push((
        "principals/niemand",
        "/regie.v1.DirectoryService/ListDepartments",
        "department",
        "read",
        "*",
    ));

    // The CLI prints the same sentence.
    let cli = server
        .cli_as(
            Some(&auditor),
            &["cases", "transition", &item.name, "start"],
        )
        .await;
    assert_eq!(cli.code, Some(7), "{cli:?}");
    assert!(
        cli.stderr.contains(
            "PERMISSION_DENIED: principals/rekenkamer may not transition:start case:work_item in JenV"
        ),
        "{}",
        cli.stderr
    );

    // Each refusal is one denial row with that object, action and domain.
    let denials = server
        .audit()
        .await
        .list_access_denials(v1::ListAccessDenialsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .denials;
    for (principal, method, object, action, domain) in &expected {
        let rows: Vec<&v1::AccessDenial> = denials
            .iter()
            .filter(|d| d.principal == *principal && d.method == *method && d.action == *action)
            .collect();
        assert_eq!(rows.len(), 1, "{principal} {method} {action}: {denials:#?}");
        let row = rows[0];
        assert_eq!(
            (
                row.object.as_str(),
                row.action.as_str(),
                row.domain.as_str()
            ),
            (*object, *action, *domain),
            "{principal} {method}"
        );
    }
    assert!(
        denials
            .iter()
            .filter(|d| d.reason == "PERMISSION_DENIED")
            .all(|d| !d.object.is_empty() && !d.action.is_empty() && !d.domain.is_empty()),
        "{denials:#?}"
    );
}
