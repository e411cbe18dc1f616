//! `regie groups …`: list, show, create and update working groups, and add or remove members.

use prost_types::FieldMask;
use regie_proto::v1::{
    AddWorkingGroupMemberRequest, CreateWorkingGroupRequest, GetWorkingGroupRequest,
    ListWorkingGroupsRequest, ListWorkingGroupsResponse, RemoveWorkingGroupMemberRequest,
    UpdateWorkingGroupRequest, WorkingGroup, WorkingGroupMember, working_group_member::Member,
};

use super::render::{self, Listing, Show};
use super::{Context, set_masked};
use crate::cli::{
    GroupAddMember, GroupCommand, GroupCreate, GroupRemoveMember, GroupUpdate, MemberWho,
};
use crate::error::CliError;
use crate::names::{DEPARTMENTS, WORKING_GROUPS, short_id};
use crate::output::{self, or_dash, yes_no};

pub async fn run(ctx: &Context, command: GroupCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.directory();
    let group = match command {
        GroupCommand::List(args) => {
            return render::list(ctx.output, &args.page, async |page_token| {
                let request = ListWorkingGroupsRequest {
                    page_size: args.page.page_size,
                    page_token,
                    filter: args.filter.clone(),
                    order_by: args.order_by.clone(),
                };
                conn.call(conn.directory().list_working_groups(conn.request(request)))
                    .await
            })
            .await;
        }
        GroupCommand::Get { group } => {
            let request = GetWorkingGroupRequest { name: group };
            conn.call(client.get_working_group(conn.request(request)))
                .await?
        }
        GroupCommand::Create(args) => {
            let request = create_request(args);
            conn.call(client.create_working_group(conn.request(request)))
                .await?
        }
        GroupCommand::Update(args) => {
            let request = update_request(args);
            conn.call(client.update_working_group(conn.request(request)))
                .await?
        }
        GroupCommand::AddMember(args) => {
            let request = add_member_request(args);
            conn.call(client.add_working_group_member(conn.request(request)))
                .await?
        }
        GroupCommand::RemoveMember(args) => {
            let request = remove_member_request(args);
            conn.call(client.remove_working_group_member(conn.request(request)))
                .await?
        }
    };
    render::show(ctx.output, &group)
}

impl Listing for ListWorkingGroupsResponse {
    type Item = WorkingGroup;
    const HEADER: &'static [&'static str] = &["ID", "NAME", "CHAIR", "MEMBERS", "ACTIVE"];
    const EMPTY: &'static str = "no working groups found";
    fn items(&self) -> &[WorkingGroup] {
        &self.working_groups
    }
    fn row(g: &WorkingGroup) -> Vec<String> {
        vec![
            short_id(WORKING_GROUPS, &g.name).to_owned(),
            g.display_name.clone(),
            short_id(DEPARTMENTS, &g.chair_department).to_owned(),
            g.members.len().to_string(),
            yes_no(g.active).to_owned(),
        ]
    }
}
render::paged!(ListWorkingGroupsResponse => working_groups);

/// One working group: a key/value table, then a members table.
impl Show for WorkingGroup {
    fn text(&self) -> String {
        let g = self;
        let details = output::key_value_table(vec![
            ("NAME", g.name.clone()),
            ("ID", short_id(WORKING_GROUPS, &g.name).to_owned()),
            ("DISPLAY NAME", or_dash(&g.display_name)),
            ("MANDATE", or_dash(&g.mandate)),
            (
                "CHAIR",
                short_id(DEPARTMENTS, &g.chair_department).to_owned(),
            ),
            ("ACTIVE", yes_no(g.active).to_owned()),
            ("ETAG", or_dash(&g.etag)),
            ("CREATED", output::timestamp(g.create_time.as_ref())),
            ("UPDATED", output::timestamp(g.update_time.as_ref())),
        ]);
        if g.members.is_empty() {
            return format!("{details}\nno members");
        }
        let mut members = output::table(&["MEMBER", "KIND", "ROLE"]);
        for m in &g.members {
            let (who, kind) = match &m.member {
                Some(Member::Department(name)) => (short_id(DEPARTMENTS, name), "department"),
                Some(Member::Person(name)) => (name.as_str(), "person"),
                None => ("-", "-"),
            };
            members.add_row(vec![who.to_owned(), kind.to_owned(), or_dash(&m.role)]);
        }
        format!("{details}\n{members}")
    }
}

fn create_request(args: GroupCreate) -> CreateWorkingGroupRequest {
    let members = args
        .member_department
        .iter()
        .chain(&args.member_person)
        .map(|m| m.to_proto())
        .collect();
    CreateWorkingGroupRequest {
        working_group: Some(WorkingGroup {
            display_name: args.name,
            mandate: args.mandate,
            chair_department: args.chair,
            members,
            active: true,
            ..WorkingGroup::default()
        }),
        working_group_id: args.id.unwrap_or_default(),
    }
}

/// The group to send and the mask naming exactly the fields given on the command line.
fn update_request(args: GroupUpdate) -> UpdateWorkingGroupRequest {
    let mut paths = Vec::new();
    let mut group = WorkingGroup {
        name: args.group,
        etag: args.etag,
        ..WorkingGroup::default()
    };
    set_masked(
        &mut paths,
        "display_name",
        args.name,
        &mut group.display_name,
    );
    set_masked(&mut paths, "mandate", args.mandate, &mut group.mandate);
    set_masked(
        &mut paths,
        "chair_department",
        args.chair,
        &mut group.chair_department,
    );
    set_masked(&mut paths, "active", args.active, &mut group.active);
    UpdateWorkingGroupRequest {
        working_group: Some(group),
        update_mask: Some(FieldMask { paths }),
    }
}

/// The `member` oneof for `--department` or `--person` (clap makes sure exactly one is given).
fn member(who: MemberWho, role: String) -> WorkingGroupMember {
    let member = match (who.department, who.person) {
        (Some(department), _) => Some(Member::Department(department)),
        (None, person) => person.map(Member::Person),
    };
    WorkingGroupMember { member, role }
}

fn add_member_request(args: GroupAddMember) -> AddWorkingGroupMemberRequest {
    AddWorkingGroupMemberRequest {
        working_group: args.group,
        member: Some(member(args.who, args.role)),
        etag: args.etag,
    }
}

fn remove_member_request(args: GroupRemoveMember) -> RemoveWorkingGroupMemberRequest {
    RemoveWorkingGroupMemberRequest {
        working_group: args.group,
        member: Some(member(args.who, String::new())),
        etag: args.etag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{department_member, person_member};

    #[test]
    fn create_sends_every_member() {
        let request = create_request(GroupCreate {
            name: "IPIM werkgroep".into(),
            chair: "departments/BZK".into(),
            mandate: String::new(),
            id: Some("ipim".into()),
            member_department: vec![department_member("JenV:secretary").expect("valid")],
            member_person: vec![person_member("Jan Jansen").expect("valid")],
        });
        assert_eq!(request.working_group_id, "ipim");
        let group = request.working_group.expect("group set");
        assert_eq!(group.chair_department, "departments/BZK");
        assert_eq!(group.members.len(), 2);
        assert_eq!(
            group.members[1].member,
            Some(Member::Person("Jan Jansen".into()))
        );
    }

    #[test]
    fn the_mask_names_exactly_the_flags_given() {
        let request = update_request(GroupUpdate {
            group: "workingGroups/ipim".into(),
            name: None,
            mandate: Some(String::new()),
            chair: Some("departments/EZ".into()),
            active: None,
            etag: String::new(),
        });
        let mask = request.update_mask.expect("mask set");
        assert_eq!(mask.paths, vec!["mandate", "chair_department"]);
    }
}
