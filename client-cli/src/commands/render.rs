//! What every list and every single result have in common, written once: [`print()`] prints a
//! list response, [`list`] fetches a paged one (`--page-size`, `--page-token`, `--all`), prints
//! it and hints at the next page, and [`show`] prints one resource. Each subject says how its
//! responses look in a table by implementing [`Listing`] (and [`Paged`]) or [`Show`]; with
//! `--output json` the whole message is printed in the canonical mapping (see `crate::output`).

use comfy_table::Table;

use crate::cli::{OutputFormat, PageArgs};
use crate::error::CliError;
use crate::output::{self, emit, emit_json};

/// A response that lists things, as a table: a row per item under [`Listing::HEADER`], or
/// [`Listing::EMPTY`] on stderr when there are none; then [`Listing::footer`], if any.
pub trait Listing: prost::Message + prost::Name {
    type Item;
    /// The column headers.
    const HEADER: &'static [&'static str];
    /// The note on stderr when there is nothing to list, e.g. `no departments found`.
    const EMPTY: &'static str;
    fn items(&self) -> &[Self::Item];
    /// One item's cells, in the order of [`Listing::HEADER`].
    fn row(item: &Self::Item) -> Vec<String>;
    /// A line on stdout after the table or the note, e.g. `unrated: BN-01`.
    fn footer(&self) -> Option<String> {
        None
    }
}

/// A list response that comes in pages: `next_page_token` names the page after it.
pub trait Paged: Listing + Default {
    fn items_mut(&mut self) -> &mut Vec<Self::Item>;
    fn next_page_token_mut(&mut self) -> &mut String;
}

/// Implements [`Paged`] for list responses with their items in `$items`.
macro_rules! paged {
    ($($response:ty => $items:ident),* $(,)?) => {$(
        impl $crate::commands::render::Paged for $response {
            fn items_mut(&mut self) -> &mut Vec<Self::Item> {
                &mut self.$items
            }
            fn next_page_token_mut(&mut self) -> &mut String {
                &mut self.next_page_token
            }
        }
    )*};
}
pub(crate) use paged;

/// One resource, as `get`, `create`, `update` and the like print it.
pub trait Show: prost::Message + prost::Name {
    /// The text for `--output table`: a key/value table, and tables of its parts if it has any.
    fn text(&self) -> String;
}

/// The items as a table with `L`'s columns.
pub fn table<L: Listing>(items: &[L::Item]) -> Table {
    let mut table = output::table(L::HEADER);
    for item in items {
        table.add_row(L::row(item));
    }
    table
}

/// Prints a list response: JSON, or its table (the note when it is empty) and footer.
pub fn print<L: Listing>(format: OutputFormat, list: &L) -> Result<(), CliError> {
    if format == OutputFormat::Json {
        return emit_json(list);
    }
    match list.items() {
        [] => output::note(L::EMPTY),
        items => emit(&table::<L>(items).to_string())?,
    }
    list.footer().map_or(Ok(()), |footer| emit(&footer))
}

/// Prints one resource: its [`Show::text`], or JSON.
pub fn show<T: Show>(format: OutputFormat, item: &T) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => emit_json(item),
        OutputFormat::Table => emit(&item.text()),
    }
}

/// Lists a paged collection: `fetch` gets the page a token names; the page at `--page-token`
/// is printed, or with `--all` every page from there on as one response. Then, on stderr, the
/// flag that gets the next page.
pub async fn list<L: Paged>(
    format: OutputFormat,
    page: &PageArgs,
    fetch: impl AsyncFnMut(String) -> Result<L, CliError>,
) -> Result<(), CliError> {
    let mut all = collect(page, fetch).await?;
    print(format, &all)?;
    if let Some(hint) = next_page_hint(all.next_page_token_mut()) {
        output::note(&hint);
    }
    Ok(())
}

/// The pages [`list`] prints, merged into one response that names the page after the last.
async fn collect<L: Paged>(
    page: &PageArgs,
    mut fetch: impl AsyncFnMut(String) -> Result<L, CliError>,
) -> Result<L, CliError> {
    let mut all = L::default();
    let fetch = async |token| {
        let mut page = fetch(token).await?;
        let next = std::mem::take(page.next_page_token_mut());
        Ok((page, next))
    };
    let merge = |mut page: L| all.items_mut().append(page.items_mut());
    let next = pages(page.page_token.clone(), page.all, fetch, merge).await?;
    *all.next_page_token_mut() = next;
    Ok(all)
}

/// Follows `next_page_token`s when `all` is set: `fetch` gets a page token and returns the page
/// and its next token; `merge` adds a page to the result. Stops with an error if the server
/// hands back the token it was just given, which would loop forever.
pub async fn pages<P>(
    first_token: String,
    all: bool,
    mut fetch: impl AsyncFnMut(String) -> Result<(P, String), CliError>,
    mut merge: impl FnMut(P),
) -> Result<String, CliError> {
    let mut token = first_token;
    loop {
        let (page, next) = fetch(token.clone()).await?;
        merge(page);
        if !all || next.is_empty() {
            return Ok(next);
        }
        if next == token {
            return Err(anyhow::anyhow!("the server returned the same page token twice").into());
        }
        token = next;
    }
}

/// How to get the next page, when there is one.
fn next_page_hint(next_page_token: &str) -> Option<String> {
    (!next_page_token.is_empty()).then(|| format!("next page: --page-token {next_page_token}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use regie_proto::v1::{Department, ListDepartmentsResponse};

    use super::*;

    fn department(code: &str) -> Department {
        Department {
            name: format!("departments/{code}"),
            code: code.into(),
            ..Department::default()
        }
    }

    /// A server with three pages: "" → [A, B] "p2" → [C] "p3" → [D] "".
    fn server() -> HashMap<String, ListDepartmentsResponse> {
        let page = |codes: &[&str], next: &str| ListDepartmentsResponse {
            departments: codes.iter().map(|c| department(c)).collect(),
            next_page_token: next.into(),
        };
        HashMap::from([
            (String::new(), page(&["A", "B"], "p2")),
            ("p2".into(), page(&["C"], "p3")),
            ("p3".into(), page(&["D"], "")),
        ])
    }

    fn page_args(page_token: &str, all: bool) -> PageArgs {
        PageArgs {
            page_size: 0,
            page_token: page_token.into(),
            all,
        }
    }

    async fn collect_from(
        pages: &HashMap<String, ListDepartmentsResponse>,
        args: &PageArgs,
    ) -> (Result<ListDepartmentsResponse, CliError>, Vec<String>) {
        let mut asked = Vec::new();
        let all = collect(args, async |token: String| {
            asked.push(token.clone());
            pages
                .get(&token)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("no page {token}").into())
        })
        .await;
        (all, asked)
    }

    fn codes(list: &ListDepartmentsResponse) -> Vec<&str> {
        list.departments.iter().map(|d| d.code.as_str()).collect()
    }

    #[tokio::test]
    async fn one_page_names_the_next() {
        let (all, asked) = collect_from(&server(), &page_args("", false)).await;
        let all = all.expect("a page");
        assert_eq!(asked, [""]);
        assert_eq!(codes(&all), ["A", "B"]);
        assert_eq!(all.next_page_token, "p2");
        let (all, asked) = collect_from(&server(), &page_args("p2", false)).await;
        assert_eq!(asked, ["p2"]);
        assert_eq!(codes(&all.expect("a page")), ["C"]);
    }

    #[tokio::test]
    async fn all_merges_every_page_from_the_token_on() {
        let (all, asked) = collect_from(&server(), &page_args("", true)).await;
        let all = all.expect("every page");
        assert_eq!(asked, ["", "p2", "p3"]);
        assert_eq!(codes(&all), ["A", "B", "C", "D"]);
        assert_eq!(all.next_page_token, "", "nothing after the last page");
        let (all, _) = collect_from(&server(), &page_args("p2", true)).await;
        assert_eq!(codes(&all.expect("pages")), ["C", "D"]);
    }

    #[tokio::test]
    async fn a_token_handed_back_is_an_error_not_a_loop() {
        let mut pages = server();
        pages.get_mut("p2").expect("page 2").next_page_token = "p2".into();
        let (all, asked) = collect_from(&pages, &page_args("", true)).await;
        let err = format!("{:?}", all.expect_err("a loop"));
        assert!(err.contains("same page token twice"), "{err}");
        assert_eq!(asked, ["", "p2"]);
    }

    #[tokio::test]
    async fn errors_stop_the_paging() {
        let mut pages = server();
        pages.remove("p3");
        let (all, asked) = collect_from(&pages, &page_args("", true)).await;
        assert!(all.is_err());
        assert_eq!(asked, ["", "p2", "p3"]);
    }

    #[test]
    fn the_hint_names_the_flag() {
        assert_eq!(
            next_page_hint("p2").as_deref(),
            Some("next page: --page-token p2")
        );
        assert_eq!(next_page_hint(""), None);
    }

    #[test]
    fn tables_have_a_row_per_item() {
        let text = table::<ListDepartmentsResponse>(&[department("A"), department("B")]);
        let rows: Vec<String> = text
            .to_string()
            .lines()
            .filter(|l| l.starts_with('│'))
            .map(str::to_owned)
            .collect();
        assert_eq!(rows.len(), 3, "a header and two rows: {text}");
        assert!(
            rows[0].contains("CODE") && rows[0].contains("ACTIVE"),
            "{text}"
        );
        assert!(rows[2].contains(" B "), "{text}");
    }
}
