//! Checks that the resources a request refers to exist (and, for departments, are active), so
//! that a dangling reference is a clear INVALID_ARGUMENT naming the field rather than a
//! database constraint error. Also: reading every department or case a report needs, and the
//! scope of coordinated work (rule `decree.scope_sector_rijk`).

use crate::domain::cases::Case;
use crate::domain::directory::{Department, DepartmentCode, GroupId, check_department_reference};
use crate::domain::limits::MAX_PAGE_SIZE;
use crate::domain::listing::{ListParams, ListQuery, ListSpec, Page, PageKey};
use crate::domain::workflow::rules;
use crate::domain::{Error, Result};
use crate::store::Store;

/// Every department reference must name an existing, active department.
pub async fn check_departments(
    store: &dyn Store,
    references: Vec<(String, DepartmentCode)>,
) -> Result<()> {
    for (field, code) in references {
        let found = match store.get_department(&code).await {
            Ok(department) => Some(department),
            Err(Error::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        check_department_reference(&field, &code, found.as_ref())?;
    }
    Ok(())
}

pub async fn check_group(store: &dyn Store, field: &str, id: &GroupId) -> Result<()> {
    match store.get_working_group(id).await {
        Ok(_) => Ok(()),
        Err(Error::NotFound { .. }) => Err(Error::invalid_field(
            field,
            format!("{} does not exist", id.name()),
        )),
        Err(other) => Err(other),
    }
}

/// Every department, across pages.
pub async fn all_departments(store: &dyn Store) -> Result<Vec<Department>> {
    all(&Department::LIST, "", |q| {
        Box::pin(async move { store.list_departments(&q).await })
    })
    .await
}

/// Every case matching `filter` (an AIP-160 filter over cases), across pages.
pub async fn all_cases(store: &dyn Store, filter: &str) -> Result<Vec<Case>> {
    all(&Case::LIST, filter, |q| {
        Box::pin(async move { store.list_cases(&q).await })
    })
    .await
}

type PageFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Page<T>>> + Send + 'a>>;

async fn all<'a, T>(
    spec: &ListSpec,
    filter: &str,
    list: impl Fn(ListQuery) -> PageFuture<'a, T>,
) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut token = String::new();
    // The tokens never leave this loop: a key of its own will do.
    let key = PageKey::ephemeral();
    loop {
        let query = ListQuery::parse(
            spec,
            ListParams {
                page_size: MAX_PAGE_SIZE as i32,
                page_token: &token,
                filter,
                order_by: "",
            },
            &key,
        )?;
        let page = list(query).await?;
        items.extend(page.items);
        if page.next_page_token.is_empty() {
            return Ok(items);
        }
        token = page.next_page_token;
    }
}

/// The departments coordinated work covers (rule `decree.scope_sector_rijk`): `requested`, each
/// of which must exist, be active and be in the sector Rijk; or, when nothing is requested, every
/// active department in the sector Rijk. Departments outside it are refused together, by the
/// rule, naming each.
pub async fn sector_rijk_scope(
    store: &dyn Store,
    field: &str,
    subject: &str,
    requested: &[DepartmentCode],
) -> Result<Vec<String>> {
    let departments = all_departments(store).await?;
    if requested.is_empty() {
        return Ok(departments
            .into_iter()
            .filter(|d| d.active && d.in_sector_rijk)
            .map(|d| d.code.as_str().to_owned())
            .collect());
    }
    let mut outside = Vec::new();
    for (i, code) in requested.iter().enumerate() {
        let found = departments.iter().find(|d| &d.code == code);
        check_department_reference(&format!("{field}[{i}]"), code, found)?;
        if found.is_some_and(|d| !d.in_sector_rijk) {
            outside.push(code.as_str().to_owned());
        }
    }
    if !outside.is_empty() {
        let rule = rules::find(rules::SCOPE_SECTOR_RIJK)
            .ok_or_else(|| Error::internal("rule registry lost decree.scope_sector_rijk"))?;
        return Err(rule.refuse(
            subject,
            format!("outside the sector Rijk: {}", outside.join(", ")),
        ));
    }
    Ok(requested.iter().map(|c| c.as_str().to_owned()).collect())
}
