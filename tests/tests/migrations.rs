//! Migration parity: the SQLite and PostgreSQL migrations (`server/migrations/sqlite/` and
//! `server/migrations/postgres/`) must build the same schema, so that a change made to one
//! backend and forgotten on the other fails `cargo test` instead of surfacing in production.
//!
//! Both sets of migrations are applied for real — SQLite to a file in a temporary directory,
//! PostgreSQL to a fresh database of its own (see [`PgDatabase`]) — and each schema is read back
//! from its catalogs into one backend-neutral [`Schema`]: per table its columns (name, type
//! family, NOT NULL, default, auto-increment) in order, its primary key, UNIQUE constraints,
//! foreign keys, CHECK constraints and named indexes (columns or expressions in order, unique,
//! partial predicate); and the views and triggers. The two models are compared and every
//! difference is listed, one per line.
//!
//! What is deliberately *not* compared, because the backends spell or implement it differently
//! while meaning the same to the server:
//!
//! - the exact type: `TEXT`/`VARCHAR`, `INTEGER`/`BIGINT`/`INT4` and so on fold to one family
//!   ([`type_family`]). SQLite stores every integer in up to 8 bytes, so width is not a schema
//!   fact there; `working_group_members.position` is `INTEGER` (4 bytes) on PostgreSQL against
//!   `BIGINT` elsewhere, which is fine because the store binds it as `i32`. `BOOLEAN` is its own
//!   family on both sides — the SQLite migrations declare `BOOLEAN` — so a boolean column
//!   declared `INTEGER` on one side is reported;
//! - collations: SQLite compares text bytewise; on PostgreSQL the columns that lists sort on
//!   carry `COLLATE "C"` to sort the same way, and the others keep the database's default.
//!   Collation only matters to `ORDER BY` and comparisons, which this test does not see;
//! - how a key is generated: SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT` and PostgreSQL's
//!   identity column (or `serial`) are both "auto-increment";
//! - the names of constraints and of the indexes behind them (SQLite's `sqlite_autoindex_*`,
//!   PostgreSQL's `*_pkey`/`*_key`): a primary key or UNIQUE constraint is compared by its
//!   columns. Indexes made with `CREATE INDEX` are compared by name;
//! - the spelling of expressions (CHECK, defaults, index expressions and predicates), which
//!   PostgreSQL re-prints with its own parentheses, quotes and casts ([`normalise_expression`]).
//!
//! The SQLite half always runs. The parity test itself needs PostgreSQL: it runs when
//! `REGIE_TEST_POSTGRES_URL` is set, says it was skipped otherwise, and fails when
//! `REGIE_TEST_REQUIRE_POSTGRES=1` (as in CI) and PostgreSQL is missing. The comparison is
//! itself tested on models with a drift put in, so that the parity test cannot pass by seeing
//! nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use regie_tests::PgDatabase;
use sqlx::Connection as _;
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{PgConnection, SqliteConnection};

/// sqlx's own bookkeeping table, present on both backends but not part of Regie's schema.
const SQLX_MIGRATIONS: &str = "_sqlx_migrations";

/// A schema, as far as parity is concerned. Maps are ordered so that reports are stable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeMap<String, Table>,
    views: BTreeSet<String>,
    /// `table.trigger`.
    triggers: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Table {
    /// In declaration order.
    columns: Vec<Column>,
    /// The primary key's columns in key order; empty when there is none.
    primary_key: Vec<String>,
    /// UNIQUE constraints (not unique indexes, which are in `indexes`), by their columns.
    unique: BTreeSet<Vec<String>>,
    foreign_keys: BTreeSet<ForeignKey>,
    checks: BTreeSet<Check>,
    /// Indexes made with `CREATE INDEX`, by name.
    indexes: BTreeMap<String, Index>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// See [`type_family`].
    family: String,
    not_null: bool,
    /// Normalised, see [`normalise_expression`].
    default: Option<String>,
    auto_increment: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    /// Column names, or normalised expressions; ` desc` appended for descending keys.
    columns: Vec<String>,
    unique: bool,
    /// The normalised predicate of a partial index.
    predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    /// `no action`, `restrict`, `cascade`, `set null` or `set default`.
    on_update: String,
    on_delete: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Check {
    /// The table's columns the expression mentions.
    columns: BTreeSet<String>,
    /// Normalised, see [`normalise_expression`].
    expression: String,
}

// ---------------------------------------------------------------------------------------------
// Normalisation shared by both readers.

/// The family of a declared type: how the server reads and writes the column, whatever the
/// backend calls it. An unknown spelling is its own family, so that it must match exactly.
fn type_family(declared: &str) -> String {
    let upper = declared.trim().to_ascii_uppercase();
    // `VARCHAR(40)`, `NUMERIC(10, 2)`: the parameters do not change the family.
    let base = upper
        .split('(')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let family = match base.as_str() {
        "TEXT" | "VARCHAR" | "CHARACTER VARYING" | "CHAR" | "CHARACTER" | "BPCHAR" | "CLOB"
        | "NAME" => "text",
        "INTEGER" | "INT" | "BIGINT" | "SMALLINT" | "INT2" | "INT4" | "INT8" | "SERIAL"
        | "BIGSERIAL" | "SMALLSERIAL" | "SERIAL4" | "SERIAL8" => "integer",
        "BOOLEAN" | "BOOL" => "boolean",
        "REAL" | "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "FLOAT4" | "FLOAT8" => "real",
        "BLOB" | "BYTEA" => "blob",
        "NUMERIC" | "DECIMAL" => "numeric",
        "JSON" | "JSONB" => "json",
        // SQLite allows a column without a declared type; PostgreSQL does not.
        "" => "untyped",
        _ => return format!("other ({})", declared.trim().to_ascii_lowercase()),
    };
    family.to_owned()
}

/// Words after which a parenthesis groups rather than calls.
const GROUPING_KEYWORDS: &[&str] = &[
    "and", "or", "not", "is", "in", "when", "then", "else", "case", "like", "between", "exists",
];

/// An SQL expression in a form both backends agree on: PostgreSQL prints `CHECK (id = 1)` as
/// `CHECK ((id = 1))`, quotes identifiers that are keywords (`"time"`) and adds casts to
/// literals (`''::text`). Lower case, no double quotes, no casts, no grouping parentheses (those
/// of function calls stay) and no spaces around operators. Dropping grouping loses precedence,
/// an acceptable blind spot for a drift check: an operator, column or constant that differs
/// still shows.
fn normalise_expression(expression: &str) -> String {
    let lower = expression.trim().to_ascii_lowercase().replace('"', "");
    // Remove `::type` (and `::character varying`).
    let mut without_casts = String::with_capacity(lower.len());
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("::") {
        without_casts.push_str(&rest[..at]);
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
        // A two-word type name.
        if let Some(tail) = rest.strip_prefix(" varying") {
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix(" precision") {
            rest = tail;
        }
    }
    without_casts.push_str(rest);
    // Keep the parentheses of a function call, `lower(code)`; drop those that only group.
    let mut ungrouped = String::with_capacity(without_casts.len());
    let mut calls = Vec::new();
    for c in without_casts.chars() {
        match c {
            '(' => {
                let before = ungrouped.trim_end();
                let word = before
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default();
                let call = !word.is_empty() && !GROUPING_KEYWORDS.contains(&word);
                calls.push(call);
                ungrouped.push(if call { '(' } else { ' ' });
            }
            ')' => ungrouped.push(if calls.pop().unwrap_or(false) {
                ')'
            } else {
                ' '
            }),
            c => ungrouped.push(c),
        }
    }
    let words = ungrouped
        .replace("!=", "<>")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::with_capacity(words.len());
    let operator = |c: char| "=<>!+-*/%,|".contains(c);
    let chars: Vec<char> = words.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1).copied();
            if before.is_some_and(operator) || after.is_some_and(operator) {
                continue;
            }
        }
        out.push(c);
    }
    match out.as_str() {
        "true" => "1".to_owned(),
        "false" => "0".to_owned(),
        _ => out,
    }
}

/// The columns of `table` that `expression` mentions.
fn columns_mentioned(expression: &str, table: &[Column]) -> BTreeSet<String> {
    let words: BTreeSet<String> = expression
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .collect();
    table
        .iter()
        .map(|c| c.name.clone())
        .filter(|name| words.contains(&name.to_ascii_lowercase()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SQLite.

fn migrations_dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../server/migrations")
        .join(backend)
}

/// Applies the SQLite migrations to a new database file in `dir` and opens it.
async fn migrated_sqlite(dir: &Path) -> SqliteConnection {
    let options =
        SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("parity.db").display()))
            .expect("SQLite URL")
            .create_if_missing(true)
            .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("open SQLite");
    Migrator::new(migrations_dir("sqlite").as_path())
        .await
        .expect("read the SQLite migrations")
        .run(&mut conn)
        .await
        .expect("apply the SQLite migrations");
    conn
}

/// `sql` with comments removed and every string literal and quoted identifier replaced by
/// spaces of the same length, so that keywords can be searched for and positions still match.
fn sql_code_only(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                out.extend(std::iter::repeat_n(b' ', end - i));
                i = end;
            }
            quote @ (b'\'' | b'"' | b'`') => {
                // Keep the quotes, blank what is between them ('' inside is two quotes).
                out.push(quote);
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    out.push(b' ');
                    i += 1;
                }
                if i < bytes.len() {
                    out.push(quote);
                    i += 1;
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The text between the parenthesis at byte `open` of `sql` and its partner (exclusive), with
/// the byte index just past the partner.
fn parenthesised(sql: &str, code: &str, open: usize) -> Option<(String, usize)> {
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((sql[open + 1..open + i].to_owned(), open + i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// Byte positions in `code` where the keyword `word` (any case, as a whole word) starts.
fn keyword_positions(code: &str, word: &str) -> Vec<usize> {
    let upper = code.to_ascii_uppercase();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = upper[from..].find(word).map(|a| from + a) {
        let before_ok = at == 0 || !is_ident(upper.as_bytes()[at - 1]);
        let after = at + word.len();
        let after_ok = after >= upper.len() || !is_ident(upper.as_bytes()[after]);
        if before_ok && after_ok {
            found.push(at);
        }
        from = after;
    }
    found
}

/// The expressions of the CHECK constraints in a `CREATE TABLE` statement (SQLite keeps them
/// nowhere but in the statement).
fn sqlite_checks(create_table: &str) -> Vec<String> {
    let code = sql_code_only(create_table);
    keyword_positions(&code, "CHECK")
        .into_iter()
        .filter_map(|at| {
            let open = at + code[at..].find('(')?;
            code[at + 5..open]
                .trim()
                .is_empty()
                .then(|| parenthesised(create_table, &code, open))?
                .map(|(inner, _)| inner)
        })
        .collect()
}

/// The key parts (column or expression, as written) and the predicate of a `CREATE INDEX`.
fn sqlite_index_parts(create_index: &str) -> (Vec<String>, Option<String>) {
    let code = sql_code_only(create_index);
    let Some(on) = keyword_positions(&code, "ON").first().copied() else {
        return (Vec::new(), None);
    };
    let Some((inner, end)) = code[on..]
        .find('(')
        .and_then(|open| parenthesised(create_index, &code, on + open))
    else {
        return (Vec::new(), None);
    };
    let inner_code = sql_code_only(&inner);
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in inner_code.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(inner[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(inner[start..].trim().to_owned());
    let predicate = keyword_positions(&code[end..], "WHERE")
        .first()
        .map(|w| create_index[end + w + 5..].trim().to_owned());
    (parts, predicate)
}

/// One column of a foreign key, from `pragma_foreign_key_list`.
#[derive(sqlx::FromRow)]
struct SqliteForeignKeyPart {
    id: i64,
    table: String,
    from: String,
    to: Option<String>,
    on_update: String,
    on_delete: String,
}

fn sqlite_action(action: &str) -> String {
    action.to_ascii_lowercase()
}

/// Reads the schema of a SQLite database from `sqlite_master` and the `pragma_*` functions.
async fn read_sqlite(conn: &mut SqliteConnection) -> Schema {
    let mut schema = Schema::default();
    let objects: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .expect("read sqlite_master");
    let internal = |name: &str| name.starts_with("sqlite_") || name == SQLX_MIGRATIONS;
    let mut create_index = BTreeMap::new();
    let mut tables = Vec::new();
    for (kind, name, table, sql) in objects {
        if internal(&table) {
            continue;
        }
        match kind.as_str() {
            "table" => tables.push((name, sql.unwrap_or_default())),
            "view" => {
                schema.views.insert(name);
            }
            "trigger" => {
                schema.triggers.insert(format!("{table}.{name}"));
            }
            "index" => {
                create_index.insert(name, sql.unwrap_or_default());
            }
            _ => {}
        }
    }
    for (name, create_table) in tables {
        let mut table = Table::default();
        let columns: Vec<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
            r#"SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid"#,
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("read pragma_table_info");
        let mut key: Vec<(i64, String)> = columns
            .iter()
            .filter(|c| c.5 > 0)
            .map(|c| (c.5, c.1.clone()))
            .collect();
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        // A sole `INTEGER PRIMARY KEY` is the rowid: never NULL, whether declared so or not.
        // Any other SQLite primary key column accepts NULL unless declared NOT NULL, unlike
        // PostgreSQL's, so there the declaration is compared as it is.
        let rowid_alias = match table.primary_key.as_slice() {
            [only] => columns
                .iter()
                .find(|c| &c.1 == only)
                .filter(|c| c.2.eq_ignore_ascii_case("INTEGER"))
                .map(|c| c.1.clone()),
            _ => None,
        };
        let autoincrement =
            !keyword_positions(&sql_code_only(&create_table), "AUTOINCREMENT").is_empty();
        for (_, column, declared, not_null, default, _) in &columns {
            let rowid = rowid_alias.as_ref() == Some(column);
            table.columns.push(Column {
                name: column.clone(),
                family: type_family(declared),
                not_null: *not_null != 0 || rowid,
                default: default.as_deref().map(normalise_expression),
                auto_increment: rowid && autoincrement,
            });
        }
        for check in sqlite_checks(&create_table) {
            table.checks.insert(Check {
                columns: columns_mentioned(&check, &table.columns),
                expression: normalise_expression(&check),
            });
        }

        let foreign_keys: Vec<SqliteForeignKeyPart> = sqlx::query_as(
            r#"SELECT id, "table", "from", "to", on_update, on_delete
               FROM pragma_foreign_key_list(?1) ORDER BY id, seq"#,
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("read pragma_foreign_key_list");
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for part in foreign_keys {
            let fk = by_id.entry(part.id).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                ref_table: part.table.clone(),
                ref_columns: Vec::new(),
                on_update: sqlite_action(&part.on_update),
                on_delete: sqlite_action(&part.on_delete),
            });
            fk.columns.push(part.from);
            // `REFERENCES t` without columns means t's primary key: filled in below.
            if let Some(to) = part.to {
                fk.ref_columns.push(to);
            }
        }
        table.foreign_keys = by_id.into_values().collect();

        let indexes: Vec<(String, i64, String, i64)> =
            sqlx::query_as(r#"SELECT name, "unique", origin, partial FROM pragma_index_list(?1)"#)
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .expect("read pragma_index_list");
        for (index, unique, origin, partial) in indexes {
            let keys: Vec<(i64, i64, Option<String>, i64)> = sqlx::query_as(
                r#"SELECT seqno, cid, name, "desc" FROM pragma_index_xinfo(?1)
                   WHERE "key" = 1 ORDER BY seqno"#,
            )
            .bind(&index)
            .fetch_all(&mut *conn)
            .await
            .expect("read pragma_index_xinfo");
            let (parts, predicate) = create_index
                .get(&index)
                .map(|sql| sqlite_index_parts(sql))
                .unwrap_or_default();
            let key_columns: Vec<String> = keys
                .into_iter()
                .map(|(seqno, _, column, desc)| {
                    // An expression (cid -2) has no name; its text is in the statement.
                    let key = column.unwrap_or_else(|| {
                        let part = usize::try_from(seqno)
                            .ok()
                            .and_then(|s| parts.get(s))
                            .cloned()
                            .unwrap_or_default();
                        normalise_expression(strip_order(&part))
                    });
                    if desc != 0 {
                        format!("{key} desc")
                    } else {
                        key
                    }
                })
                .collect();
            match origin.as_str() {
                // The primary key is already known from pragma_table_info.
                "pk" => {}
                // A UNIQUE constraint, which SQLite keeps as `sqlite_autoindex_<table>_<n>`.
                "u" => {
                    table.unique.insert(key_columns);
                }
                _ => {
                    assert!(
                        partial == 0 || predicate.is_some(),
                        "the predicate of partial index {index} was not read"
                    );
                    table.indexes.insert(
                        index,
                        Index {
                            columns: key_columns,
                            unique: unique != 0,
                            predicate: predicate.as_deref().map(normalise_expression),
                        },
                    );
                }
            }
        }
        schema.tables.insert(name, table);
    }
    // Foreign keys written `REFERENCES t` point at t's primary key.
    let keys: BTreeMap<String, Vec<String>> = schema
        .tables
        .iter()
        .map(|(name, t)| (name.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.tables.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut fk| {
                if fk.ref_columns.is_empty() {
                    fk.ref_columns = keys.get(&fk.ref_table).cloned().unwrap_or_default();
                }
                fk
            })
            .collect();
    }
    schema
}

/// An index key part without its `ASC`/`DESC` (pragma_index_xinfo reports the order).
fn strip_order(part: &str) -> &str {
    let trimmed = part.trim_end();
    let upper = trimmed.to_ascii_uppercase();
    for suffix in [" DESC", " ASC"] {
        if upper.ends_with(suffix) {
            return &trimmed[..trimmed.len() - suffix.len()];
        }
    }
    trimmed
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL.

#[derive(sqlx::FromRow)]
struct PgColumn {
    table_name: String,
    column_name: String,
    data_type: String,
    udt_name: String,
    not_null: bool,
    column_default: Option<String>,
    identity: bool,
}

#[derive(sqlx::FromRow)]
struct PgConstraint {
    table_name: String,
    /// `pg_constraint.contype`.
    kind: String,
    columns: Vec<String>,
    ref_table: Option<String>,
    ref_columns: Vec<String>,
    on_update: String,
    on_delete: String,
    definition: String,
}

#[derive(sqlx::FromRow)]
struct PgIndex {
    index_name: String,
    table_name: String,
    is_unique: bool,
    columns: Vec<String>,
    predicate: Option<String>,
}

fn postgres_action(code: &str) -> String {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => other,
    }
    .to_owned()
}

/// Reads the schema of the current schema (`public`) of a PostgreSQL database from
/// `information_schema` and `pg_catalog`.
async fn read_postgres(conn: &mut PgConnection) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read information_schema.tables");
    for (name,) in tables {
        if name != SQLX_MIGRATIONS {
            schema.tables.insert(name, Table::default());
        }
    }

    let columns: Vec<PgColumn> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, udt_name::text,
                is_nullable = 'NO' AS not_null, column_default::text,
                is_identity = 'YES' AS identity
         FROM information_schema.columns
         WHERE table_schema = current_schema()
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read information_schema.columns");
    for c in columns {
        let Some(t) = schema.tables.get_mut(&c.table_name) else {
            continue;
        };
        // `serial` is an integer with a sequence for its default.
        let serial = c
            .column_default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let spelling = if c.data_type == "USER-DEFINED" || c.data_type == "ARRAY" {
            c.udt_name
        } else {
            c.data_type
        };
        t.columns.push(Column {
            name: c.column_name,
            family: type_family(&spelling),
            not_null: c.not_null,
            default: c
                .column_default
                .filter(|_| !serial)
                .as_deref()
                .map(normalise_expression),
            auto_increment: c.identity || serial,
        });
    }

    let constraints: Vec<PgConstraint> = sqlx::query_as(
        "SELECT rel.relname::text AS table_name, con.contype::text AS kind,
                    array(SELECT a.attname::text
                          FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                          ORDER BY k.n) AS columns,
                    ref.relname::text AS ref_table,
                    array(SELECT a.attname::text
                          FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
                          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                          ORDER BY k.n) AS ref_columns,
                    con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
                    pg_get_constraintdef(con.oid) AS definition
             FROM pg_constraint con
             JOIN pg_class rel ON rel.oid = con.conrelid
             LEFT JOIN pg_class ref ON ref.oid = con.confrelid
             WHERE rel.relnamespace = current_schema()::regnamespace
               AND con.contype IN ('p', 'u', 'f', 'c', 'x')
             ORDER BY rel.relname, con.conname",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read pg_constraint");
    for c in constraints {
        let Some(t) = schema.tables.get_mut(&c.table_name) else {
            continue;
        };
        match c.kind.as_str() {
            "p" => t.primary_key = c.columns,
            "u" => {
                t.unique.insert(c.columns);
            }
            "f" => {
                t.foreign_keys.insert(ForeignKey {
                    columns: c.columns,
                    ref_table: c.ref_table.unwrap_or_default(),
                    ref_columns: c.ref_columns,
                    on_update: postgres_action(&c.on_update),
                    on_delete: postgres_action(&c.on_delete),
                });
            }
            // A CHECK, or an exclusion constraint, which SQLite has no counterpart for and so
            // is listed as a difference with its whole definition.
            _ => {
                let expression = match c.definition.strip_prefix("CHECK ") {
                    Some(check) => check.trim_end_matches(" NOT VALID"),
                    None => &c.definition,
                };
                t.checks.insert(Check {
                    columns: c.columns.into_iter().collect(),
                    expression: normalise_expression(expression),
                });
            }
        }
    }

    let indexes: Vec<PgIndex> = sqlx::query_as(
        "SELECT ic.relname::text AS index_name, tc.relname::text AS table_name,
                i.indisunique AS is_unique,
                array(SELECT CASE WHEN i.indkey[k - 1] = 0
                                  THEN pg_get_indexdef(i.indexrelid, k, true)
                                  ELSE (SELECT a.attname::text FROM pg_attribute a
                                        WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1])
                             END
                             || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' desc' ELSE '' END
                      FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS columns,
                pg_get_expr(i.indpred, i.indrelid) AS predicate
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class tc ON tc.oid = i.indrelid
         WHERE tc.relnamespace = current_schema()::regnamespace
           -- The indexes behind primary keys and UNIQUE constraints are compared as those.
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                           WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read pg_index");
    for index in indexes {
        let Some(t) = schema.tables.get_mut(&index.table_name) else {
            continue;
        };
        let columns = index
            .columns
            .iter()
            .map(|c| match c.strip_suffix(" desc") {
                Some(key) => format!("{} desc", normalise_expression(key)),
                None => normalise_expression(c),
            })
            .collect();
        t.indexes.insert(
            index.index_name,
            Index {
                columns,
                unique: index.is_unique,
                predicate: index.predicate.as_deref().map(normalise_expression),
            },
        );
    }

    let views: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.views
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read information_schema.views");
    schema.views = views.into_iter().map(|(v,)| v).collect();
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("read pg_trigger");
    schema.triggers = triggers
        .into_iter()
        .filter(|(table, _)| table != SQLX_MIGRATIONS)
        .map(|(table, name)| format!("{table}.{name}"))
        .collect();
    schema
}

// ---------------------------------------------------------------------------------------------
// The comparison.

fn list(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

fn describe_fk(fk: &ForeignKey) -> String {
    format!(
        "{} -> {}{} on update {} on delete {}",
        list(&fk.columns),
        fk.ref_table,
        list(&fk.ref_columns),
        fk.on_update,
        fk.on_delete
    )
}

fn describe_check(check: &Check) -> String {
    let columns: Vec<String> = check.columns.iter().cloned().collect();
    format!("CHECK ({}) on {}", check.expression, list(&columns))
}

fn describe_index(index: &Index) -> String {
    format!(
        "{}{}{}",
        if index.unique { "unique " } else { "" },
        list(&index.columns),
        index
            .predicate
            .as_ref()
            .map(|p| format!(" where {p}"))
            .unwrap_or_default()
    )
}

/// Items of two sets that only one side has, as `what: only in <side>` lines.
fn set_difference<T: Ord>(
    out: &mut Vec<String>,
    context: &str,
    sides: [(&str, &BTreeSet<T>); 2],
    describe: impl Fn(&T) -> String,
) {
    for (i, (side, items)) in sides.iter().enumerate() {
        let other = sides[1 - i].1;
        for item in items.iter().filter(|item| !other.contains(item)) {
            out.push(format!("{context}{}: only in {side}", describe(item)));
        }
    }
}

/// Every difference between schema `a` (called `a_name` in the report) and `b`, one line each;
/// empty when they match.
fn compare(a_name: &str, a: &Schema, b_name: &str, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = a.tables.keys().chain(b.tables.keys()).collect();
    for name in names {
        let (ta, tb) = match (a.tables.get(name), b.tables.get(name)) {
            (Some(ta), Some(tb)) => (ta, tb),
            (Some(_), None) => {
                out.push(format!("table {name}: only in {a_name}"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {name}: only in {b_name}"));
                continue;
            }
        };
        compare_tables(&mut out, name, (a_name, ta), (b_name, tb));
    }
    set_difference(
        &mut out,
        "view ",
        [(a_name, &a.views), (b_name, &b.views)],
        String::clone,
    );
    set_difference(
        &mut out,
        "trigger ",
        [(a_name, &a.triggers), (b_name, &b.triggers)],
        String::clone,
    );
    out
}

fn compare_tables(
    out: &mut Vec<String>,
    table: &str,
    (a_name, a): (&str, &Table),
    (b_name, b): (&str, &Table),
) {
    for column in &a.columns {
        let Some(other) = b.columns.iter().find(|c| c.name == column.name) else {
            out.push(format!("column {table}.{}: only in {a_name}", column.name));
            continue;
        };
        let at = format!("column {table}.{}", column.name);
        if column.family != other.family {
            out.push(format!(
                "{at}: type {} in {a_name}, {} in {b_name}",
                column.family, other.family
            ));
        }
        if column.not_null != other.not_null {
            let says = |n: bool| if n { "NOT NULL" } else { "nullable" };
            out.push(format!(
                "{at}: {} in {a_name}, {} in {b_name}",
                says(column.not_null),
                says(other.not_null)
            ));
        }
        if column.default != other.default {
            let says = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".to_owned());
            out.push(format!(
                "{at}: default {} in {a_name}, {} in {b_name}",
                says(&column.default),
                says(&other.default)
            ));
        }
        if column.auto_increment != other.auto_increment {
            let says = |g: bool| if g { "auto-increment" } else { "not generated" };
            out.push(format!(
                "{at}: {} in {a_name}, {} in {b_name}",
                says(column.auto_increment),
                says(other.auto_increment)
            ));
        }
    }
    for column in &b.columns {
        if !a.columns.iter().any(|c| c.name == column.name) {
            out.push(format!("column {table}.{}: only in {b_name}", column.name));
        }
    }
    // Only when both have the same columns, or the order would repeat the lines above.
    let order = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let (order_a, order_b) = (order(a), order(b));
    if order_a != order_b
        && order_a.iter().collect::<BTreeSet<_>>() == order_b.iter().collect::<BTreeSet<_>>()
    {
        out.push(format!(
            "table {table}: column order {} in {a_name}, {} in {b_name}",
            list(&order_a),
            list(&order_b)
        ));
    }
    if a.primary_key != b.primary_key {
        let says = |k: &[String]| {
            if k.is_empty() {
                "none".to_owned()
            } else {
                list(k)
            }
        };
        out.push(format!(
            "table {table}: primary key {} in {a_name}, {} in {b_name}",
            says(&a.primary_key),
            says(&b.primary_key)
        ));
    }
    set_difference(
        out,
        &format!("table {table}: UNIQUE "),
        [(a_name, &a.unique), (b_name, &b.unique)],
        |c| list(c),
    );
    set_difference(
        out,
        &format!("table {table}: foreign key "),
        [(a_name, &a.foreign_keys), (b_name, &b.foreign_keys)],
        describe_fk,
    );
    set_difference(
        out,
        &format!("table {table}: "),
        [(a_name, &a.checks), (b_name, &b.checks)],
        describe_check,
    );
    let indexes: BTreeSet<&String> = a.indexes.keys().chain(b.indexes.keys()).collect();
    for index in indexes {
        match (a.indexes.get(index), b.indexes.get(index)) {
            (Some(ia), Some(ib)) if ia != ib => out.push(format!(
                "index {index} on {table}: {} in {a_name}, {} in {b_name}",
                describe_index(ia),
                describe_index(ib)
            )),
            (Some(ia), None) => out.push(format!(
                "index {index} on {table} {}: only in {a_name}",
                describe_index(ia)
            )),
            (None, Some(ib)) => out.push(format!(
                "index {index} on {table} {}: only in {b_name}",
                describe_index(ib)
            )),
            _ => {}
        }
    }
}

/// Fails with the list of differences, if any.
fn assert_same(a_name: &str, a: &Schema, b_name: &str, b: &Schema) {
    let differences = compare(a_name, a, b_name, b);
    if !differences.is_empty() {
        let mut report = format!(
            "the {a_name} and {b_name} schemas differ in {} place(s):\n",
            differences.len()
        );
        for d in &differences {
            let _ = writeln!(report, "  - {d}");
        }
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn the_sqlite_and_postgres_migrations_build_the_same_schema() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut sqlite = migrated_sqlite(dir.path()).await;
    let sqlite_schema = read_sqlite(&mut sqlite).await;
    let _ = sqlite.close().await;

    let mut postgres = PgConnection::connect(db.url())
        .await
        .expect("connect to the test database");
    Migrator::new(migrations_dir("postgres").as_path())
        .await
        .expect("read the PostgreSQL migrations")
        .run(&mut postgres)
        .await
        .expect("apply the PostgreSQL migrations");
    let postgres_schema = read_postgres(&mut postgres).await;
    let _ = postgres.close().await;

    assert!(
        postgres_schema.tables.len() > 10,
        "the PostgreSQL schema was not read: {postgres_schema:#?}"
    );
    assert_same("SQLite", &sqlite_schema, "PostgreSQL", &postgres_schema);
}

/// The SQLite reader sees what the migrations declare, including what SQLite keeps only in the
/// statement text (CHECKs, index expressions) or as an automatic index (UNIQUE constraints).
/// Otherwise the parity test could pass by reading too little on both sides.
#[tokio::test]
async fn the_sqlite_schema_is_read_in_full() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut conn = migrated_sqlite(dir.path()).await;
    let schema = read_sqlite(&mut conn).await;
    let _ = conn.close().await;

    assert!(!schema.tables.contains_key(SQLX_MIGRATIONS));
    assert!(schema.tables.keys().all(|t| !t.starts_with("sqlite_")));
    let table = |name: &str| {
        schema
            .tables
            .get(name)
            .unwrap_or_else(|| panic!("table {name} in {:?}", schema.tables.keys()))
    };
    let column = |t: &str, c: &str| {
        table(t)
            .columns
            .iter()
            .find(|col| col.name == c)
            .cloned()
            .unwrap_or_else(|| panic!("column {t}.{c}"))
    };

    assert_eq!(column("cases", "open").family, "boolean");
    assert_eq!(column("cases", "revision").family, "integer");
    assert_eq!(column("cases", "title").family, "text");
    assert!(column("cases", "title").not_null);
    assert!(!column("cases", "due_time").not_null);
    assert_eq!(column("casbin_rules", "v3").default.as_deref(), Some("''"));
    assert!(column("access_denials", "id").auto_increment);
    assert!(!column("events", "sequence").auto_increment);
    assert_eq!(
        table("working_group_members").primary_key,
        ["working_group_id", "position"]
    );

    // UNIQUE constraints, kept by SQLite as sqlite_autoindex_*.
    assert!(
        table("events")
            .unique
            .contains(&vec!["case_id".to_owned(), "case_sequence".to_owned()])
    );
    assert!(
        table("tokens")
            .unique
            .contains(&vec!["secret_hash".to_owned()])
    );
    assert!(schema.tables.values().all(|t| {
        t.indexes
            .keys()
            .all(|name| !name.starts_with("sqlite_autoindex"))
    }));

    // An expression index and a plain one.
    assert_eq!(
        table("departments").indexes.get("departments_code_ci"),
        Some(&Index {
            columns: vec!["lower(code)".to_owned()],
            unique: true,
            predicate: None
        })
    );
    assert_eq!(
        table("events").indexes.get("events_time"),
        Some(&Index {
            columns: vec!["time".to_owned(), "sequence".to_owned()],
            unique: false,
            predicate: None
        })
    );

    // Foreign keys, with their actions.
    assert!(table("cases").foreign_keys.contains(&ForeignKey {
        columns: vec!["parent".to_owned()],
        ref_table: "cases".to_owned(),
        ref_columns: vec!["id".to_owned()],
        on_update: "no action".to_owned(),
        on_delete: "no action".to_owned(),
    }));

    // CHECKs, table-level and column-level.
    assert_eq!(
        table("working_group_members").checks,
        BTreeSet::from([Check {
            columns: BTreeSet::from(["department_code".to_owned(), "person".to_owned()]),
            expression: "department_code is null<>person is null".to_owned(),
        }])
    );
    assert_eq!(
        table("access_version").checks,
        BTreeSet::from([Check {
            columns: BTreeSet::from(["id".to_owned()]),
            expression: "id=1".to_owned(),
        }])
    );
}

/// The comparison reports each kind of drift, so that a parity test that passes means the
/// schemas match and not that the comparison saw nothing.
#[tokio::test]
async fn the_comparison_reports_each_drift() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut conn = migrated_sqlite(dir.path()).await;
    let schema = read_sqlite(&mut conn).await;
    let _ = conn.close().await;
    assert!(compare("A", &schema, "B", &schema).is_empty());

    let drifted = |change: &dyn Fn(&mut Schema)| {
        let mut other = schema.clone();
        change(&mut other);
        compare("SQLite", &schema, "PostgreSQL", &other)
    };
    assert_eq!(
        drifted(&|s| {
            s.tables.remove("requests");
        }),
        ["table requests: only in SQLite"]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables
                .get_mut("cases")
                .expect("cases")
                .columns
                .retain(|c| c.name != "overdue");
        }),
        ["column cases.overdue: only in SQLite"]
    );
    assert_eq!(
        drifted(&|s| {
            let t = s.tables.get_mut("cases").expect("cases");
            let c = t
                .columns
                .iter_mut()
                .find(|c| c.name == "open")
                .expect("open");
            c.family = "integer".to_owned();
            c.not_null = false;
        }),
        [
            "column cases.open: type boolean in SQLite, integer in PostgreSQL",
            "column cases.open: NOT NULL in SQLite, nullable in PostgreSQL",
        ]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables
                .get_mut("cases")
                .expect("cases")
                .indexes
                .remove("cases_parent");
        }),
        ["index cases_parent on cases (parent): only in SQLite"]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables
                .get_mut("departments")
                .expect("departments")
                .indexes
                .get_mut("departments_code_ci")
                .expect("index")
                .unique = false;
        }),
        [
            "index departments_code_ci on departments: unique (lower(code)) in SQLite, (lower(code)) in PostgreSQL"
        ]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables.get_mut("tokens").expect("tokens").unique.clear();
        }),
        ["table tokens: UNIQUE (secret_hash): only in SQLite"]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables
                .get_mut("case_labels")
                .expect("case_labels")
                .foreign_keys
                .clear();
        }),
        [
            "table case_labels: foreign key (case_id) -> cases(id) on update no action on delete no action: only in SQLite"
        ]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables
                .get_mut("access_version")
                .expect("access_version")
                .checks
                .clear();
        }),
        ["table access_version: CHECK (id=1) on (id): only in SQLite"]
    );
    assert_eq!(
        drifted(&|s| {
            s.tables
                .get_mut("case_labels")
                .expect("case_labels")
                .primary_key
                .pop();
        }),
        ["table case_labels: primary key (case_id, label) in SQLite, (case_id) in PostgreSQL"]
    );
}

/// Drift put into a real database by DDL — the way a one-sided migration would — is found by
/// reader and comparison together.
#[tokio::test]
async fn drift_made_by_ddl_is_found() {
    let dir_a = tempfile::tempdir().expect("temporary directory");
    let dir_b = tempfile::tempdir().expect("temporary directory");
    let mut a = migrated_sqlite(dir_a.path()).await;
    let mut b = migrated_sqlite(dir_b.path()).await;
    sqlx::raw_sql(
        "DROP INDEX cases_parent;
         CREATE INDEX cases_parent ON cases (parent, id);
         DROP INDEX events_actor;
         ALTER TABLE requests ADD COLUMN note TEXT;
         CREATE INDEX requests_open ON requests (method) WHERE case_id <> '';",
    )
    .execute(&mut b)
    .await
    .expect("drift");
    let (schema_a, schema_b) = (read_sqlite(&mut a).await, read_sqlite(&mut b).await);
    let _ = (a.close().await, b.close().await);
    assert_eq!(
        compare("before", &schema_a, "after", &schema_b),
        [
            "index cases_parent on cases: (parent) in before, (parent, id) in after",
            "index events_actor on events (actor, sequence): only in before",
            "column requests.note: only in after",
            "index requests_open on requests (method) where case_id<>'': only in after",
        ]
    );
}

#[test]
fn type_spellings_fold_into_families() {
    for (spelling, family) in [
        ("TEXT", "text"),
        ("varchar(40)", "text"),
        ("character varying", "text"),
        ("INTEGER", "integer"),
        ("bigint", "integer"),
        ("int8", "integer"),
        ("BIGSERIAL", "integer"),
        ("BOOLEAN", "boolean"),
        ("bool", "boolean"),
        ("double precision", "real"),
        ("BYTEA", "blob"),
        ("BLOB", "blob"),
        ("jsonb", "json"),
        ("", "untyped"),
        ("uuid", "other (uuid)"),
    ] {
        assert_eq!(type_family(spelling), family, "{spelling}");
    }
}

#[test]
fn expressions_are_compared_without_spelling() {
    assert_eq!(normalise_expression("((id = 1))"), "id=1");
    assert_eq!(normalise_expression("id=1"), "id=1");
    assert_eq!(normalise_expression("''::text"), "''");
    assert_eq!(
        normalise_expression("'x'::character varying"),
        normalise_expression("'x'")
    );
    assert_eq!(normalise_expression("\"time\""), "time");
    assert_eq!(
        normalise_expression("a != b"),
        normalise_expression("(a <> b)")
    );
    assert_eq!(normalise_expression("TRUE"), normalise_expression("1"));
    assert_eq!(normalise_expression("lower(\"code\")"), "lower(code)");
    assert_eq!(
        normalise_expression("((x > 0) AND ((y IS NULL) OR (z = 1)))"),
        normalise_expression("x > 0 AND (y IS NULL OR z = 1)")
    );
    assert_eq!(
        sqlite_checks(
            "CREATE TABLE t (\n  -- not a CHECK (here)\n  a TEXT CHECK (a <> 'CHECK (x)'),\n  b INT, CHECK ((a IS NULL) <> (b IS NULL)))"
        ),
        ["a <> 'CHECK (x)'", "(a IS NULL) <> (b IS NULL)"]
    );
    assert_eq!(
        sqlite_index_parts("CREATE INDEX i ON t (lower(a), b DESC) WHERE b > 0"),
        (
            vec!["lower(a)".to_owned(), "b DESC".to_owned()],
            Some("b > 0".to_owned())
        )
    );
}
