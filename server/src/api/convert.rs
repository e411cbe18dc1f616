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

pub fn micros(t: &prost_types::Timestamp) -> Option<i64> {
    Timestamp::from_seconds_nanos(t.seconds, t.nanos).map(Timestamp::micros)
}

pub fn timestamp_micros(micros: i64) -> prost_types::Timestamp {
    timestamp(Timestamp::from_micros(micros))
}

pub fn case(c: crate::domain::cases::Case) -> v1::Case {
    use crate::domain::cases::{Details, Theme};
    let details = match c.details {
        Details::WorkItem => v1::case::Details::WorkItem(v1::WorkItemDetails {}),
        Details::Recommendation(r) => {
            v1::case::Details::Recommendation(v1::RecommendationDetails {
                source_report: Some(v1::SourceReport {
                    title: r.report_title,
                    reference: r.report_reference,
                }),
                addressee: r.addressee,
                theme: match r.theme {
                    Theme::Unspecified => v1::RecommendationTheme::Unspecified,
                    Theme::Coordination => v1::RecommendationTheme::Coordination,
                    Theme::Culture => v1::RecommendationTheme::Culture,
                    Theme::Structure => v1::RecommendationTheme::Structure,
                } as i32,
                response: r.response,
            })
        }
    };
    v1::Case {
        name: c.id.name(),
        etag: c.revision.to_string(),
        kind: c.kind,
        state: c.state,
        title: c.title,
        description: c.description,
        department: c
            .department
            .map(|d| format!("departments/{d}"))
            .unwrap_or_default(),
        working_group: c
            .working_group
            .map(|g| format!("workingGroups/{g}"))
            .unwrap_or_default(),
        assignee: c.assignee,
        labels: c.labels,
        due_time: c.due_time.map(timestamp_micros),
        parent: c.parent.map(|p| p.name()).unwrap_or_default(),
        create_time: Some(timestamp_micros(c.create_time)),
        update_time: Some(timestamp_micros(c.update_time)),
        revision: c.revision,
        workflow_version: c.workflow_version,
        overdue: c.overdue,
        state_enter_time: Some(timestamp_micros(c.state_enter_time)),
        details: Some(details),
    }
}

pub fn theme(value: i32) -> crate::domain::cases::Theme {
    use crate::domain::cases::Theme;
    match v1::RecommendationTheme::try_from(value) {
        Ok(v1::RecommendationTheme::Coordination) => Theme::Coordination,
        Ok(v1::RecommendationTheme::Culture) => Theme::Culture,
        Ok(v1::RecommendationTheme::Structure) => Theme::Structure,
        _ => Theme::Unspecified,
    }
}

pub fn event(e: crate::domain::cases::audit::StoredEvent) -> v1::CaseEvent {
    v1::CaseEvent {
        case: e.case_name(),
        sequence: e.sequence,
        case_sequence: e.case_sequence,
        r#type: e.event_type,
        actor: e.actor,
        time: Some(timestamp_micros(e.time)),
        request_id: e.request_id,
        before: e.before,
        after: e.after,
        transition: e.transition,
        comment: e.comment,
        kind: e.kind,
        department: if e.department.is_empty() {
            String::new()
        } else {
            format!("departments/{}", e.department)
        },
        previous_hash: e.previous_hash,
        hash: e.hash,
    }
}
