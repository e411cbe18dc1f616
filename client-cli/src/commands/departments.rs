//! `regie departments …`: list, show, create and update departments.

use prost_types::FieldMask;
use regie_proto::v1::{
    CreateDepartmentRequest, Department, GetDepartmentRequest, ListDepartmentsRequest,
    ListDepartmentsResponse, UpdateDepartmentRequest,
};

use super::render::{self, Listing, Show};
use super::{Context, set_masked};
use crate::cli::{DepartmentCommand, DepartmentCreate, DepartmentUpdate};
use crate::error::CliError;
use crate::output::{self, or_dash, yes_no};

pub async fn run(ctx: &Context, command: DepartmentCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.directory();
    let department = match command {
        DepartmentCommand::List(args) => {
            return render::list(ctx.output, &args.page, async |page_token| {
                let request = ListDepartmentsRequest {
                    page_size: args.page.page_size,
                    page_token,
                    filter: args.filter.clone(),
                    order_by: args.order_by.clone(),
                };
                conn.call(conn.directory().list_departments(conn.request(request)))
                    .await
            })
            .await;
        }
        DepartmentCommand::Get { department } => {
            let request = GetDepartmentRequest { name: department };
            conn.call(client.get_department(conn.request(request)))
                .await?
        }
        DepartmentCommand::Create(args) => {
            let request = create_request(args);
            conn.call(client.create_department(conn.request(request)))
                .await?
        }
        DepartmentCommand::Update(args) => {
            let request = update_request(args);
            conn.call(client.update_department(conn.request(request)))
                .await?
        }
    };
    render::show(ctx.output, &department)
}

impl Listing for ListDepartmentsResponse {
    type Item = Department;
    const HEADER: &'static [&'static str] =
        &["CODE", "NAME (EN)", "NAME (NL)", "SECTOR RIJK", "ACTIVE"];
    const EMPTY: &'static str = "no departments found";
    fn items(&self) -> &[Department] {
        &self.departments
    }
    fn row(d: &Department) -> Vec<String> {
        vec![
            d.code.clone(),
            d.name_en.clone(),
            d.name_nl.clone(),
            yes_no(d.in_sector_rijk).to_owned(),
            yes_no(d.active).to_owned(),
        ]
    }
}
render::paged!(ListDepartmentsResponse => departments);

/// One department, as a key/value table.
impl Show for Department {
    fn text(&self) -> String {
        let d = self;
        output::key_value_table(vec![
            ("NAME", d.name.clone()),
            ("CODE", d.code.clone()),
            ("NAME (NL)", or_dash(&d.name_nl)),
            ("NAME (EN)", or_dash(&d.name_en)),
            ("SECTOR RIJK", yes_no(d.in_sector_rijk).to_owned()),
            ("ACTIVE", yes_no(d.active).to_owned()),
            ("ETAG", or_dash(&d.etag)),
            ("CREATED", output::timestamp(d.create_time.as_ref())),
            ("UPDATED", output::timestamp(d.update_time.as_ref())),
        ])
        .to_string()
    }
}

fn create_request(args: DepartmentCreate) -> CreateDepartmentRequest {
    CreateDepartmentRequest {
        department: Some(Department {
            code: args.code,
            name_nl: args.name_nl,
            name_en: args.name_en,
            in_sector_rijk: !args.outside_sector_rijk,
            active: !args.inactive,
            ..Department::default()
        }),
    }
}

/// The department to send and the mask naming exactly the fields given on the command line.
fn update_request(args: DepartmentUpdate) -> UpdateDepartmentRequest {
    let mut paths = Vec::new();
    let mut department = Department {
        name: args.department,
        etag: args.etag,
        ..Department::default()
    };
    set_masked(&mut paths, "name_nl", args.name_nl, &mut department.name_nl);
    set_masked(&mut paths, "name_en", args.name_en, &mut department.name_en);
    set_masked(
        &mut paths,
        "in_sector_rijk",
        args.in_sector_rijk,
        &mut department.in_sector_rijk,
    );
    set_masked(&mut paths, "active", args.active, &mut department.active);
    UpdateDepartmentRequest {
        department: Some(department),
        update_mask: Some(FieldMask { paths }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_names_exactly_the_flags_given() {
        let request = update_request(DepartmentUpdate {
            department: "departments/JenV".into(),
            name_nl: None,
            name_en: Some("Ministry of Justice".into()),
            in_sector_rijk: None,
            active: Some(false),
            etag: "\"3\"".into(),
        });
        let mask = request.update_mask.expect("mask set");
        assert_eq!(mask.paths, vec!["name_en", "active"]);
        let department = request.department.expect("department set");
        assert_eq!(department.name, "departments/JenV");
        assert_eq!(department.etag, "\"3\"");
        assert!(!department.active);
    }
}
