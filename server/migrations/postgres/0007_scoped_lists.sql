-- A department's cases in creation order: what a list scoped to the caller's departments
-- (docs/architecture.md, "Lists") filters and orders by, so that such a page reads only the
-- department's rows instead of walking every newer case of other departments.
CREATE INDEX cases_department_create_time ON cases (department, create_time, id);
