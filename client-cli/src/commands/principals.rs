//! `regie principals …`: list, show, create and update the people and service accounts that
//! call the API.

use prost_types::FieldMask;
use regie_proto::v1::{
    CreatePrincipalRequest, GetPrincipalRequest, ListPrincipalsRequest, ListPrincipalsResponse,
    Principal, UpdatePrincipalRequest, principal::Kind,
};

use super::render::{self, Listing, Show};
use super::{Context, set_masked};
use crate::cli::{PrincipalCommand, PrincipalCreate, PrincipalUpdate};
use crate::error::CliError;
use crate::names::{DEPARTMENTS, PRINCIPALS, short_id};
use crate::output::{self, or_dash, yes_no};

pub async fn run(ctx: &Context, command: PrincipalCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.access();
    let principal = match command {
        PrincipalCommand::List(args) => {
            return render::list(ctx.output, &args.page, async |page_token| {
                let request = ListPrincipalsRequest {
                    page_size: args.page.page_size,
                    page_token,
                    filter: args.filter.clone(),
                    order_by: args.order_by.clone(),
                };
                conn.call(conn.access().list_principals(conn.request(request)))
                    .await
            })
            .await;
        }
        PrincipalCommand::Get { principal } => {
            let request = GetPrincipalRequest { name: principal };
            conn.call(client.get_principal(conn.request(request)))
                .await?
        }
        PrincipalCommand::Create(args) => {
            let request = create_request(args);
            conn.call(client.create_principal(conn.request(request)))
                .await?
        }
        PrincipalCommand::Update(args) => {
            let request = update_request(args);
            conn.call(client.update_principal(conn.request(request)))
                .await?
        }
    };
    render::show(ctx.output, &principal)
}

/// A principal's kind as the command line spells it (`person`, `service-account`).
pub fn kind_name(kind: i32) -> &'static str {
    match Kind::try_from(kind) {
        Ok(Kind::Person) => "person",
        Ok(Kind::ServiceAccount) => "service-account",
        Ok(Kind::Unspecified) | Err(_) => "-",
    }
}

impl Listing for ListPrincipalsResponse {
    type Item = Principal;
    const HEADER: &'static [&'static str] =
        &["ID", "DISPLAY NAME", "KIND", "HOME DEPARTMENT", "DISABLED"];
    const EMPTY: &'static str = "no principals found";
    fn items(&self) -> &[Principal] {
        &self.principals
    }
    fn row(p: &Principal) -> Vec<String> {
        vec![
            short_id(PRINCIPALS, &p.name).to_owned(),
            or_dash(&p.display_name),
            kind_name(p.kind).to_owned(),
            or_dash(short_id(DEPARTMENTS, &p.home_department)),
            yes_no(p.disabled).to_owned(),
        ]
    }
}
render::paged!(ListPrincipalsResponse => principals);

/// One principal, as a key/value table.
impl Show for Principal {
    fn text(&self) -> String {
        let p = self;
        output::key_value_table(vec![
            ("NAME", p.name.clone()),
            ("ID", short_id(PRINCIPALS, &p.name).to_owned()),
            ("DISPLAY NAME", or_dash(&p.display_name)),
            ("KIND", kind_name(p.kind).to_owned()),
            (
                "HOME DEPARTMENT",
                or_dash(short_id(DEPARTMENTS, &p.home_department)),
            ),
            ("DISABLED", yes_no(p.disabled).to_owned()),
            ("ETAG", or_dash(&p.etag)),
            ("CREATED", output::timestamp(p.create_time.as_ref())),
            ("UPDATED", output::timestamp(p.update_time.as_ref())),
        ])
        .to_string()
    }
}

fn create_request(args: PrincipalCreate) -> CreatePrincipalRequest {
    CreatePrincipalRequest {
        principal: Some(Principal {
            display_name: args.display_name,
            kind: Kind::from(args.kind).into(),
            home_department: args.home_department.unwrap_or_default(),
            ..Principal::default()
        }),
        principal_id: args.id,
    }
}

/// The principal to send and the mask naming exactly the fields given on the command line.
fn update_request(args: PrincipalUpdate) -> UpdatePrincipalRequest {
    let disabled = args.disabled();
    let mut paths = Vec::new();
    let mut principal = Principal {
        name: args.principal,
        etag: args.etag,
        ..Principal::default()
    };
    set_masked(
        &mut paths,
        "display_name",
        args.display_name,
        &mut principal.display_name,
    );
    set_masked(
        &mut paths,
        "home_department",
        args.home_department,
        &mut principal.home_department,
    );
    set_masked(&mut paths, "disabled", disabled, &mut principal.disabled);
    UpdatePrincipalRequest {
        principal: Some(principal),
        update_mask: Some(FieldMask { paths }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::PrincipalKind;

    #[test]
    fn create_sends_the_id_apart_from_the_principal() {
        let request = create_request(PrincipalCreate {
            id: "ci-bot".into(),
            display_name: "Nightly import".into(),
            kind: PrincipalKind::ServiceAccount,
            home_department: Some("departments/BZK".into()),
        });
        assert_eq!(request.principal_id, "ci-bot");
        let principal = request.principal.expect("principal set");
        assert_eq!(principal.name, "", "the server names it");
        assert_eq!(principal.kind, i32::from(Kind::ServiceAccount));
        assert_eq!(principal.home_department, "departments/BZK");
    }

    #[test]
    fn the_mask_names_exactly_the_flags_given() {
        let request = update_request(PrincipalUpdate {
            principal: "principals/anna".into(),
            display_name: None,
            home_department: Some(String::new()),
            disable: false,
            enable: true,
            etag: "\"4\"".into(),
        });
        let mask = request.update_mask.expect("mask set");
        assert_eq!(mask.paths, vec!["home_department", "disabled"]);
        let principal = request.principal.expect("principal set");
        assert_eq!(principal.name, "principals/anna");
        assert_eq!(principal.etag, "\"4\"");
        assert!(!principal.disabled, "--enable sends disabled = false");
    }

    #[test]
    fn kinds_are_spelled_as_on_the_command_line() {
        assert_eq!(kind_name(Kind::Person.into()), "person");
        assert_eq!(kind_name(Kind::ServiceAccount.into()), "service-account");
        assert_eq!(kind_name(0), "-");
        assert_eq!(kind_name(99), "-");
    }
}
