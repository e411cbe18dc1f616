//! The directory, end to end, on both backends: this is the store conformance suite for
//! departments and working groups. Every test runs once on SQLite and once on PostgreSQL.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use regie_proto::v1::{self, working_group_member::Member as Who};
use regie_tests::errors::{assert_error, bad_fields};
use regie_tests::{Backend, TestServer, backend_tests};
use tonic::Code;

backend_tests!(
    first_start_seeds_the_fifteen_ministries_with_defensie_outside_the_sector_rijk,
    pages_follow_each_other_without_gaps_or_repeats,
    page_tokens_are_bound_to_their_query,
    filters_select_and_report_errors_with_a_position,
    an_unknown_department_is_not_found_with_error_info,
    bad_department_fields_are_named,
    department_codes_are_unique_regardless_of_case,
    updates_need_a_mask_and_honour_the_etag,
    concurrent_updates_with_one_etag_let_exactly_one_through,
    working_groups_keep_their_members,
    working_groups_refer_only_to_existing_active_departments,
);

fn list(
    page_size: i32,
    page_token: &str,
    filter: &str,
    order_by: &str,
) -> v1::ListDepartmentsRequest {
    v1::ListDepartmentsRequest {
        page_size,
        page_token: page_token.to_owned(),
        filter: filter.to_owned(),
        order_by: order_by.to_owned(),
    }
}

fn department(code: &str) -> v1::Department {
    v1::Department {
        code: code.to_owned(),
        name_nl: format!("Ministerie {code}"),
        name_en: format!("Ministry {code}"),
        in_sector_rijk: true,
        active: true,
        ..Default::default()
    }
}

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn first_start_seeds_the_fifteen_ministries_with_defensie_outside_the_sector_rijk(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;

    let all = directory
        .list_departments(list(0, "", "", ""))
        .await
        .expect("list")
        .into_inner();
    let codes: Vec<&str> = all.departments.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "AZ", "AenM", "BZ", "BZK", "Defensie", "EZ", "Fin", "IenW", "JenV", "KGG", "LVVN",
            "OCW", "SZW", "VRO", "VWS"
        ]
    );
    assert!(all.next_page_token.is_empty());
    for d in &all.departments {
        assert_eq!(d.in_sector_rijk, d.code != "Defensie", "{}", d.code);
        assert!(d.active);
        assert_eq!(d.name, format!("departments/{}", d.code));
        assert!(!d.etag.is_empty() && d.create_time.is_some());
    }

    let outside = directory
        .list_departments(list(0, "", "in_sector_rijk = false", ""))
        .await
        .expect("list");
    let outside: Vec<String> = outside
        .into_inner()
        .departments
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(outside, ["Defensie"]);
}

async fn pages_follow_each_other_without_gaps_or_repeats(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    for order_by in ["", "name_en desc", "name_nl, code desc"] {
        let everything = directory
            .list_departments(list(1000, "", "", order_by))
            .await
            .expect("list")
            .into_inner();
        let mut paged = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = directory
                .list_departments(list(4, &token, "", order_by))
                .await
                .expect("page")
                .into_inner();
            assert!(page.departments.len() <= 4);
            paged.extend(page.departments.into_iter().map(|d| d.code));
            pages += 1;
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let expected: Vec<String> = everything.departments.into_iter().map(|d| d.code).collect();
        assert_eq!(paged, expected, "order_by {order_by:?}");
        assert_eq!(pages, 4, "15 departments in pages of 4");
    }
    let by_name = directory
        .list_departments(list(3, "", "", "name_en desc"))
        .await
        .expect("list")
        .into_inner();
    let names: Vec<&str> = by_name
        .departments
        .iter()
        .map(|d| d.name_en.as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted);
}

async fn page_tokens_are_bound_to_their_query(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let first = directory
        .list_departments(list(2, "", "active = true", ""))
        .await
        .expect("list")
        .into_inner();
    assert!(!first.next_page_token.is_empty());

    let status = directory
        .list_departments(list(2, &first.next_page_token, "", ""))
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_PAGE_TOKEN");
    assert_eq!(bad_fields(&status), ["page_token"]);

    let status = directory
        .list_departments(list(2, "bm90LWEtdG9rZW4", "", ""))
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_PAGE_TOKEN");

    let status = directory
        .list_departments(list(-1, "", "", ""))
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_PAGE_SIZE");
    assert_eq!(bad_fields(&status), ["page_size"]);

    let status = directory
        .list_departments(list(0, "", "", "colour"))
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_ORDER_BY");
}

async fn filters_select_and_report_errors_with_a_position(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let codes = |r: v1::ListDepartmentsResponse| {
        r.departments
            .into_iter()
            .map(|d| d.code)
            .collect::<Vec<_>>()
    };

    let r = directory
        .list_departments(list(0, "", r#"code = "JenV" OR code = BZK"#, ""))
        .await
        .expect("list");
    assert_eq!(codes(r.into_inner()), ["BZK", "JenV"]);
    let r = directory
        .list_departments(list(0, "", r#"code >= "V" AND NOT code = "VWS""#, ""))
        .await
        .expect("list");
    assert_eq!(codes(r.into_inner()), ["VRO"]);
    // A value that looks like SQL is just a value.
    let r = directory
        .list_departments(list(0, "", r#"code = "x' OR 1=1 --""#, ""))
        .await
        .expect("list");
    assert!(r.into_inner().departments.is_empty());

    let status = directory
        .list_departments(list(0, "", r#"active = true AND colour = "red""#, ""))
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FILTER");
    assert!(
        status
            .message()
            .contains("unknown field `colour` at character 19"),
        "{}",
        status.message()
    );
    let status = directory
        .list_departments(list(0, "", "active ~ true", ""))
        .await
        .unwrap_err();
    assert!(
        status.message().contains("character 8"),
        "{}",
        status.message()
    );
}

async fn an_unknown_department_is_not_found_with_error_info(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let status = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/NOPE".into(),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::NotFound, "NOT_FOUND");
    assert!(
        status.message().contains("departments/NOPE"),
        "{}",
        status.message()
    );

    let status = directory
        .get_department(v1::GetDepartmentRequest {
            name: "ministries/BZK".into(),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_NAME");
    assert_eq!(bad_fields(&status), ["name"]);

    let found = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/JenV".into(),
        })
        .await;
    assert_eq!(
        found.expect("JenV exists").into_inner().name_en,
        "Ministry of Justice and Security"
    );
}

async fn bad_department_fields_are_named(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;

    let empty_code = v1::CreateDepartmentRequest {
        department: Some(department("")),
    };
    let status = directory.create_department(empty_code).await.unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FIELD");
    assert_eq!(bad_fields(&status), ["department.code"]);

    let long_name = v1::Department {
        name_nl: "n".repeat(10_000),
        ..department("NEW")
    };
    let status = directory
        .create_department(v1::CreateDepartmentRequest {
            department: Some(long_name),
        })
        .await;
    let status = status.unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FIELD");
    assert_eq!(bad_fields(&status), ["department.name_nl"]);
    assert!(
        status.message().contains("maximum is 200"),
        "{}",
        status.message()
    );

    let both = v1::Department {
        name_en: String::new(),
        ..department("9X")
    };
    let status = directory
        .create_department(v1::CreateDepartmentRequest {
            department: Some(both),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&status),
        ["department.code", "department.name_en"]
    );

    let status = directory
        .create_department(v1::CreateDepartmentRequest { department: None })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["department"]);

    // Nothing of the refused requests was written.
    let all = directory
        .list_departments(list(0, "", "", ""))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(all.departments.len(), 15);
}

async fn department_codes_are_unique_regardless_of_case(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let created = directory
        .create_department(v1::CreateDepartmentRequest {
            department: Some(department("DGO")),
        })
        .await
        .expect("create")
        .into_inner();
    assert_eq!(created.name, "departments/DGO");
    assert_eq!(created.etag, "1");

    for code in ["DGO", "jenv"] {
        let status = directory
            .create_department(v1::CreateDepartmentRequest {
                department: Some(department(code)),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::AlreadyExists, "ALREADY_EXISTS");
    }
}

async fn updates_need_a_mask_and_honour_the_etag(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let current = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/KGG".into(),
        })
        .await
        .expect("get")
        .into_inner();

    let change = v1::Department {
        name_en: "Ministry of Climate".into(),
        code: "ZZZ".into(),
        ..current.clone()
    };
    let status = directory
        .update_department(v1::UpdateDepartmentRequest {
            department: Some(change.clone()),
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_UPDATE_MASK");
    let status = directory
        .update_department(v1::UpdateDepartmentRequest {
            department: Some(change.clone()),
            update_mask: mask(&["code"]),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_UPDATE_MASK");

    let updated = directory
        .update_department(v1::UpdateDepartmentRequest {
            department: Some(change.clone()),
            update_mask: mask(&["name_en"]),
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.name_en, "Ministry of Climate");
    assert_eq!(updated.code, "KGG", "fields outside the mask are untouched");
    assert_eq!(updated.name_nl, current.name_nl);
    assert_ne!(updated.etag, current.etag);

    // The same change again with the etag it was based on is now stale.
    let status = directory
        .update_department(v1::UpdateDepartmentRequest {
            department: Some(change),
            update_mask: mask(&["name_en"]),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::Aborted, "ETAG_MISMATCH");

    // Deactivate (the way to retire a department) with the fresh etag.
    let retire = v1::Department {
        active: false,
        ..updated
    };
    let retired = directory
        .update_department(v1::UpdateDepartmentRequest {
            department: Some(retire),
            update_mask: mask(&["active"]),
        })
        .await
        .expect("deactivate")
        .into_inner();
    assert!(!retired.active);
}

async fn concurrent_updates_with_one_etag_let_exactly_one_through(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let current = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/OCW".into(),
        })
        .await
        .expect("get")
        .into_inner();
    let mut calls = Vec::new();
    for i in 0..20 {
        let mut client = directory.clone();
        let change = v1::Department {
            name_en: format!("Attempt {i}"),
            ..current.clone()
        };
        calls.push(tokio::spawn(async move {
            client
                .update_department(v1::UpdateDepartmentRequest {
                    department: Some(change),
                    update_mask: mask(&["name_en"]),
                })
                .await
        }));
    }
    let mut ok = 0;
    for call in calls {
        match call.await.expect("task") {
            Ok(_) => ok += 1,
            Err(status) => assert_error(&status, Code::Aborted, "ETAG_MISMATCH"),
        }
    }
    assert_eq!(ok, 1);
    let after = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/OCW".into(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(after.etag, "2", "exactly one update was applied");
}

fn person(name: &str, role: &str) -> v1::WorkingGroupMember {
    v1::WorkingGroupMember {
        member: Some(Who::Person(name.into())),
        role: role.into(),
    }
}

fn dept_member(code: &str) -> v1::WorkingGroupMember {
    v1::WorkingGroupMember {
        member: Some(Who::Department(format!("departments/{code}"))),
        role: String::new(),
    }
}

async fn working_groups_keep_their_members(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let group = v1::WorkingGroup {
        display_name: "IPIM werkgroep kwaliteitscriteria".into(),
        mandate: "Een actuele set kwaliteitscriteria voor de integriteitsstructuur.".into(),
        chair_department: "departments/BZK".into(),
        members: vec![dept_member("JenV"), person("Anna de Vries", "secretary")],
        ..Default::default()
    };
    let created = directory
        .create_working_group(v1::CreateWorkingGroupRequest {
            working_group: Some(group),
            working_group_id: "ipim-kwaliteit".into(),
        })
        .await
        .expect("create")
        .into_inner();
    assert_eq!(created.name, "workingGroups/ipim-kwaliteit");
    assert_eq!(created.members[0].role, "member", "the default role");

    let added = directory
        .add_working_group_member(v1::AddWorkingGroupMemberRequest {
            working_group: created.name.clone(),
            member: Some(dept_member("Fin")),
            etag: created.etag.clone(),
        })
        .await
        .expect("add")
        .into_inner();
    assert_eq!(added.members.len(), 3);

    let status = directory
        .add_working_group_member(v1::AddWorkingGroupMemberRequest {
            working_group: created.name.clone(),
            member: Some(person("anna de vries", "member")),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::AlreadyExists, "ALREADY_EXISTS");

    let status = directory
        .add_working_group_member(v1::AddWorkingGroupMemberRequest {
            working_group: created.name.clone(),
            member: Some(dept_member("SZW")),
            etag: created.etag.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::Aborted, "ETAG_MISMATCH");

    let removed = directory
        .remove_working_group_member(v1::RemoveWorkingGroupMemberRequest {
            working_group: created.name.clone(),
            member: Some(dept_member("JenV")),
            etag: String::new(),
        })
        .await
        .expect("remove")
        .into_inner();
    let members: Vec<_> = removed.members.iter().map(|m| m.member.clone()).collect();
    assert_eq!(
        members,
        [
            Some(Who::Person("Anna de Vries".into())),
            Some(Who::Department("departments/Fin".into()))
        ]
    );

    let status = directory
        .remove_working_group_member(v1::RemoveWorkingGroupMemberRequest {
            working_group: created.name.clone(),
            member: Some(dept_member("JenV")),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::NotFound, "NOT_FOUND");

    let renamed = directory
        .update_working_group(v1::UpdateWorkingGroupRequest {
            working_group: Some(v1::WorkingGroup {
                name: created.name.clone(),
                mandate: "Nieuw mandaat".into(),
                etag: removed.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["mandate"]),
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(renamed.mandate, "Nieuw mandaat");
    assert_eq!(renamed.display_name, "IPIM werkgroep kwaliteitscriteria");
    assert_eq!(
        renamed.members.len(),
        2,
        "members survive an update of other fields"
    );

    let second = v1::WorkingGroup {
        display_name: "Werkgroep risicoanalyse".into(),
        chair_department: "departments/JenV".into(),
        ..Default::default()
    };
    let second = directory
        .create_working_group(v1::CreateWorkingGroupRequest {
            working_group: Some(second),
            working_group_id: String::new(),
        })
        .await
        .expect("create with a generated id")
        .into_inner();
    assert!(
        second
            .name
            .starts_with("workingGroups/werkgroep-risicoanalyse-"),
        "{}",
        second.name
    );

    let chaired_by_bzk = directory
        .list_working_groups(v1::ListWorkingGroupsRequest {
            filter: r#"chair_department = "departments/BZK""#.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    let names: Vec<&str> = chaired_by_bzk
        .working_groups
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(names, ["workingGroups/ipim-kwaliteit"]);
    assert_eq!(
        chaired_by_bzk.working_groups[0].members.len(),
        2,
        "lists carry the members"
    );
}

async fn working_groups_refer_only_to_existing_active_departments(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut directory = server.directory().await;
    let group = |chair: &str| v1::CreateWorkingGroupRequest {
        working_group: Some(v1::WorkingGroup {
            display_name: "Werkgroep".into(),
            chair_department: chair.into(),
            ..Default::default()
        }),
        working_group_id: String::new(),
    };
    let status = directory
        .create_working_group(group("departments/NOPE"))
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FIELD");
    assert_eq!(bad_fields(&status), ["working_group.chair_department"]);

    let vws = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/VWS".into(),
        })
        .await
        .expect("get")
        .into_inner();
    directory
        .update_department(v1::UpdateDepartmentRequest {
            department: Some(v1::Department {
                active: false,
                ..vws
            }),
            update_mask: mask(&["active"]),
        })
        .await
        .expect("deactivate");
    let status = directory
        .create_working_group(group("departments/VWS"))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "DEPARTMENT_INACTIVE");

    let status = directory
        .create_working_group(v1::CreateWorkingGroupRequest {
            working_group: Some(v1::WorkingGroup {
                chair_department: "departments/BZK".into(),
                ..Default::default()
            }),
            working_group_id: "Bad Id".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&status),
        ["working_group.display_name", "working_group_id"]
    );

    let none = directory
        .list_working_groups(v1::ListWorkingGroupsRequest::default())
        .await
        .expect("list");
    assert!(
        none.into_inner().working_groups.is_empty(),
        "refused creates wrote nothing"
    );
}
