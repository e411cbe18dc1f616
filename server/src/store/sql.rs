//! Turns a [`ListQuery`] into the WHERE, ORDER BY and LIMIT of a SELECT, with every value bound
//! as a parameter. Column names come from the resource's own mapping, never from the request.

use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::domain::filter::{Expr, Op, Value};
use crate::domain::listing::ListQuery;

/// Maps fields to SQL expressions, for filtering and for ordering (which may differ, e.g. a
/// nullable time sorts through `COALESCE`). For a repeated field (`:` only), the filter
/// expression is an unfinished `EXISTS (… = ` that the bound value and `)` complete.
#[derive(Clone, Copy)]
pub struct Columns {
    pub filter: fn(&str) -> &'static str,
    pub order: fn(&str) -> &'static str,
    /// For a field whose `filter` expression wraps a nullable column (`COALESCE(parent, '')`,
    /// so that `parent = ""` finds the cases without one): the bare column, which an equality
    /// with a value other than empty means just as well and which the column's index serves.
    pub bare: fn(&str) -> Option<&'static str>,
}

impl Columns {
    /// The same expression for filtering and ordering.
    pub const fn same(map: fn(&str) -> &'static str) -> Self {
        Self {
            filter: map,
            order: map,
            bare: |_| None,
        }
    }
}

/// Appends ` WHERE …` (filter and page position), ` ORDER BY …` and ` LIMIT …` to `qb`.
pub fn push_list_clauses<DB>(qb: &mut QueryBuilder<DB>, query: &ListQuery, columns: Columns)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    let mut conditions = 0;
    if let Some(filter) = &query.filter {
        qb.push(" WHERE (");
        push_expr(qb, filter, columns);
        qb.push(")");
        conditions += 1;
    }
    if let Some(after) = &query.after {
        qb.push(if conditions == 0 {
            " WHERE ("
        } else {
            " AND ("
        });
        push_after(qb, query, after, columns);
        qb.push(")");
    }
    qb.push(" ORDER BY ");
    for (i, key) in query.order.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push((columns.order)(key.field))
            .push(if key.descending { " DESC" } else { " ASC" });
    }
    qb.push(" LIMIT ").push_bind(query.fetch_limit());
}

/// "After the last row" of the previous page. Where every key runs one way, a row value
/// comparison, `(k1, k2) > (v1, v2)`, which both databases answer with a range of the index
/// that serves the order; for a mixed order, `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR …`.
fn push_after<DB>(qb: &mut QueryBuilder<DB>, query: &ListQuery, after: &[Value], columns: Columns)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    let descending = query.order.first().is_some_and(|k| k.descending);
    if query.order.iter().all(|k| k.descending == descending) {
        qb.push("(");
        for (i, key) in query.order.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push((columns.order)(key.field));
        }
        qb.push(if descending { ") < (" } else { ") > (" });
        for (i, value) in after.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            push_value(qb, value);
        }
        qb.push(")");
        return;
    }
    {
        for (i, key) in query.order.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("(");
            for (earlier, value) in query.order[..i].iter().zip(after) {
                qb.push((columns.order)(earlier.field)).push(" = ");
                push_value(qb, value);
                qb.push(" AND ");
            }
            qb.push((columns.order)(key.field))
                .push(if key.descending { " < " } else { " > " });
            push_value(qb, &after[i]);
            qb.push(")");
        }
    }
}

/// Appends `expr` as SQL over `columns`' expressions, its values bound.
pub fn push_expr<DB>(qb: &mut QueryBuilder<DB>, expr: &Expr, columns: Columns)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    match expr {
        Expr::And(parts) | Expr::Or(parts) => {
            let joiner = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    qb.push(joiner);
                }
                qb.push("(");
                push_expr(qb, part, columns);
                qb.push(")");
            }
        }
        Expr::Not(inner) => {
            qb.push("NOT (");
            push_expr(qb, inner, columns);
            qb.push(")");
        }
        Expr::Compare {
            field,
            op: Op::Has,
            value,
        } => {
            qb.push((columns.filter)(field));
            push_value(qb, value);
            qb.push(")");
        }
        Expr::Compare {
            field,
            op: Op::Eq,
            value: Value::Text(text),
        } if !text.is_empty()
            && let Some(column) = (columns.bare)(field) =>
        {
            qb.push(column).push(" = ");
            qb.push_bind(text.clone());
        }
        Expr::Compare { field, op, value } => {
            qb.push((columns.filter)(field))
                .push(" ")
                .push(op.as_str())
                .push(" ");
            push_value(qb, value);
        }
    }
}

fn push_value<DB>(qb: &mut QueryBuilder<DB>, value: &Value)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    match value {
        Value::Text(text) => qb.push_bind(text.clone()),
        Value::Bool(flag) => qb.push_bind(*flag),
        Value::Int(number) | Value::Time(number) => qb.push_bind(*number),
    };
}

/// How many rows a statement changed. sqlx gives each backend's result type the method but no
/// trait for it, so each backend file implements this for its own type.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}
