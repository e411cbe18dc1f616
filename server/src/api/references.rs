//! Checks that the resources a request refers to exist (and, for departments, are active), so
//! that a dangling reference is a clear INVALID_ARGUMENT naming the field rather than a
//! database constraint error.

use crate::domain::cases::CaseId;
use crate::domain::directory::{DepartmentCode, GroupId, check_department_reference};
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

pub async fn check_case(store: &dyn Store, field: &str, id: &CaseId) -> Result<()> {
    match store.get_case(id).await {
        Ok(_) => Ok(()),
        Err(Error::NotFound { .. }) => Err(Error::invalid_field(
            field,
            format!("{} does not exist", id.name()),
        )),
        Err(other) => Err(other),
    }
}
