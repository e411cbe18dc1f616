//! Conversions between domain values and `regie.v1` messages that more than one service uses.

use regie_proto::v1;

use crate::domain::directory::{Department, Member, MemberDraft, MemberRef, WorkingGroup};
use crate::domain::time::Timestamp;

pub fn timestamp(t: Timestamp) -> prost_types::Timestamp {
    let (seconds, nanos) = t.to_seconds_nanos();
    prost_types::Timestamp { seconds, nanos }
}

pub fn department(d: Department) -> v1::Department {
    v1::Department {
        name: d.name(),
        etag: d.etag(),
        code: d.code.as_str().to_owned(),
        name_nl: d.name_nl,
        name_en: d.name_en,
        in_sector_rijk: d.in_sector_rijk,
        active: d.active,
        create_time: Some(timestamp(d.create_time)),
        update_time: Some(timestamp(d.update_time)),
    }
}

pub fn working_group(g: WorkingGroup) -> v1::WorkingGroup {
    v1::WorkingGroup {
        name: g.name(),
        etag: g.etag(),
        display_name: g.display_name,
        mandate: g.mandate,
        chair_department: g.chair_department.name(),
        members: g.members.into_iter().map(member).collect(),
        active: g.active,
        create_time: Some(timestamp(g.create_time)),
        update_time: Some(timestamp(g.update_time)),
    }
}

fn member(m: Member) -> v1::WorkingGroupMember {
    let who = match m.who {
        MemberRef::Department(code) => v1::working_group_member::Member::Department(code.name()),
        MemberRef::Person(person) => v1::working_group_member::Member::Person(person),
    };
    v1::WorkingGroupMember {
        member: Some(who),
        role: m.role,
    }
}

pub fn member_draft(m: v1::WorkingGroupMember) -> MemberDraft {
    use v1::working_group_member::Member as Who;
    let (department, person) = match m.member {
        Some(Who::Department(d)) => (Some(d), None),
        Some(Who::Person(p)) => (None, Some(p)),
        None => (None, None),
    };
    MemberDraft {
        department,
        person,
        role: m.role,
    }
}
