//! `regie departments …`: list, show, create and update departments.

use prost_types::FieldMask;
use regie_proto::v1::{
    CreateDepartmentRequest, Department, GetDepartmentRequest, ListDepartmentsRequest,
    ListDepartmentsResponse, UpdateDepartmentRequest,
};

use super::{Context, hint_next_page, pages, set_masked};
use crate::cli::{DepartmentCommand, DepartmentCreate, DepartmentUpdate, ListArgs, OutputFormat};
use crate::error::CliError;
use crate::output::{self, emit, emit_json, or_dash, yes_no};

pub async fn run(ctx: &Context, command: DepartmentCommand) -> Result<(), CliError> {
    match command {
        DepartmentCommand::List(args) => list(ctx, args).await,
        DepartmentCommand::Get { department } => {
            let request = GetDepartmentRequest { name: department };
            let mut client = ctx.conn.directory();
            let department = ctx
                .conn
                .call(client.get_department(ctx.conn.request(request)))
                .await?;
            show(ctx, &department)
        }
        DepartmentCommand::Create(args) => create(ctx, args).await,
        DepartmentCommand::Update(args) => update(ctx, args).await,
    }
}

async fn list(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut all = ListDepartmentsResponse::default();
    let fetch = |page_token: String| {
        let request = ListDepartmentsRequest {
            page_size: args.page.page_size,
            page_token,
            filter: args.filter.clone(),
            order_by: args.order_by.clone(),
        };
        let mut client = conn.directory();
        async move {
            let page = conn
                .call(client.list_departments(conn.request(request)))
                .await?;
            let next = page.next_page_token.clone();
            Ok((page, next))
        }
    };
    let merge = |page: ListDepartmentsResponse| all.departments.extend(page.departments);
    all.next_page_token = pages(args.page.page_token.clone(), args.page.all, fetch, merge).await?;

    match ctx.output {
        OutputFormat::Json => emit_json(&all)?,
        OutputFormat::Table if all.departments.is_empty() => output::note("no departments found"),
        OutputFormat::Table => {
            let mut table =
                output::table(&["CODE", "NAME (EN)", "NAME (NL)", "SECTOR RIJK", "ACTIVE"]);
            for d in &all.departments {
                table.add_row(vec![
                    d.code.clone(),
                    d.name_en.clone(),
                    d.name_nl.clone(),
                    yes_no(d.in_sector_rijk).to_owned(),
                    yes_no(d.active).to_owned(),
                ]);
            }
            emit(&table.to_string())?;
        }
    }
    hint_next_page(&all.next_page_token);
    Ok(())
}

/// Prints one department: a key/value table, or JSON.
fn show(ctx: &Context, d: &Department) -> Result<(), CliError> {
    match ctx.output {
        OutputFormat::Json => emit_json(d),
        OutputFormat::Table => {
            let table = output::key_value_table(vec![
                ("NAME", d.name.clone()),
                ("CODE", d.code.clone()),
                ("NAME (NL)", or_dash(&d.name_nl)),
                ("NAME (EN)", or_dash(&d.name_en)),
                ("SECTOR RIJK", yes_no(d.in_sector_rijk).to_owned()),
                ("ACTIVE", yes_no(d.active).to_owned()),
                ("ETAG", or_dash(&d.etag)),
                ("CREATED", output::timestamp(d.create_time.as_ref())),
                ("UPDATED", output::timestamp(d.update_time.as_ref())),
            ]);
            emit(&table.to_string())
        }
    }
}

async fn create(ctx: &Context, args: DepartmentCreate) -> Result<(), CliError> {
    let request = CreateDepartmentRequest {
        department: Some(Department {
            code: args.code,
            name_nl: args.name_nl,
            name_en: args.name_en,
            in_sector_rijk: !args.outside_sector_rijk,
            active: !args.inactive,
            ..Department::default()
        }),
    };
    let mut client = ctx.conn.directory();
    let department = ctx
        .conn
        .call(client.create_department(ctx.conn.request(request)))
        .await?;
    show(ctx, &department)
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

async fn update(ctx: &Context, args: DepartmentUpdate) -> Result<(), CliError> {
    let request = update_request(args);
    let mut client = ctx.conn.directory();
    let department = ctx
        .conn
        .call(client.update_department(ctx.conn.request(request)))
        .await?;
    show(ctx, &department)
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
