//! The shared shape of every List method (AIP-132, AIP-158): page size, ordering, the filter and
//! opaque page tokens.
//!
//! Pages are cut by key ("keyset pagination"), not by offset: a token carries the sort values of
//! the last row it returned, so rows inserted or deleted between two calls never make a page
//! skip or repeat an entry. A token also carries a fingerprint of its filter and ordering, and is
//! refused when it comes back with a different query.
//!
//! Tokens are sealed (XChaCha20-Poly1305, with the replicas' shared [`PageKey`]): a client sees
//! neither the sort values nor anything else of the rows, and cannot make or edit a token
//! (docs/architecture.md, "Lists").

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{Error, Result, reason};
use super::filter::{self, Expr, Field, FieldType, Value};
use super::limits::{
    DEFAULT_PAGE_SIZE, MAX_ORDER_BY_CHARS, MAX_PAGE_BYTES, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_CHARS,
};

/// What a resource's List method accepts.
#[derive(Debug)]
pub struct ListSpec {
    /// Names the resource in page-token fingerprints, so a token of one list is useless in another.
    pub resource: &'static str,
    pub filter_fields: &'static [Field],
    /// Fields `order_by` may name.
    pub order_fields: &'static [Field],
    /// The unique key that ends every ordering, so that the order is total.
    pub key: Field,
    /// The order when `order_by` is empty (the key is appended).
    pub default_order: &'static [SortKey],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static str,
    pub descending: bool,
}

impl SortKey {
    pub const fn asc(field: &'static str) -> Self {
        Self {
            field,
            descending: false,
        }
    }
}

/// The raw list parameters of a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListParams<'a> {
    pub page_size: i32,
    pub page_token: &'a str,
    pub filter: &'a str,
    pub order_by: &'a str,
}

/// The key that seals page tokens. Every replica reads the same one from the database
/// (`server_keys`, made by the first server to start), so that a token from one replica is
/// good at another.
#[derive(Clone)]
pub struct PageKey(XChaCha20Poly1305);

impl std::fmt::Debug for PageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageKey(..)")
    }
}

impl PageKey {
    /// The name of the stored secret.
    pub const NAME: &'static str = "page_tokens";

    /// A new random key, as the hex a store keeps.
    pub fn generate_hex() -> String {
        XChaCha20Poly1305::generate_key(&mut OsRng)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The key in `hex` (64 hex digits).
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<_>>()?;
        XChaCha20Poly1305::new_from_slice(&bytes).ok().map(Self)
    }

    /// A random key of this process alone, for tests and tools that keep no tokens.
    pub fn ephemeral() -> Self {
        Self(XChaCha20Poly1305::new(&XChaCha20Poly1305::generate_key(
            &mut OsRng,
        )))
    }

    /// `plain`, encrypted and authenticated under a fresh random nonce: URL-safe base64 of
    /// the nonce followed by the ciphertext.
    fn seal(&self, plain: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let Ok(sealed) = self.0.encrypt(&nonce, plain) else {
            return String::new();
        };
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What [`seal`](Self::seal) sealed, if `token` is one of this key's.
    fn open(&self, token: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        self.0.decrypt(&XNonce::from(nonce), sealed).ok()
    }
}

/// A validated list request, ready for the store.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Option<Expr>,
    /// The full ordering, ending with the key.
    pub order: Vec<SortKey>,
    /// How many rows to return.
    pub limit: u32,
    /// Sort values of the last row of the previous page, one per `order` entry.
    pub after: Option<Vec<Value>>,
    fingerprint: String,
    key: PageKey,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

/// A resource whose rows can be listed: it hands out the values it is sorted by.
pub trait Listed {
    fn sort_value(&self, field: &str) -> Value;
}

#[derive(Serialize, Deserialize)]
struct Token {
    /// Fingerprint of the query the token belongs to.
    q: String,
    /// Sort values of the last row returned.
    after: Vec<Value>,
}

impl ListQuery {
    pub fn parse(spec: &ListSpec, params: ListParams<'_>, key: &PageKey) -> Result<Self> {
        let limit = page_size(params.page_size)?;
        let filter = filter::parse(params.filter, spec.filter_fields)?;
        let order = order_by(spec, params.order_by)?;
        let fingerprint = fingerprint(spec.resource, params.filter.trim(), &order);
        let after = if params.page_token.is_empty() {
            None
        } else {
            Some(decode_token(
                spec,
                &order,
                &fingerprint,
                key,
                params.page_token,
            )?)
        };
        Ok(Self {
            filter,
            order,
            limit,
            after,
            fingerprint,
            key: key.clone(),
        })
    }

    /// Narrows the query to what `scope` lets through as well (the caller's readable scope,
    /// `domain::access::ReadScope::filter`), before the page is cut.
    pub fn restrict(&mut self, scope: Expr) {
        self.filter = Some(match self.filter.take() {
            None => scope,
            Some(filter) => Expr::And(vec![filter, scope]),
        });
    }

    /// Turns the rows the store fetched (at most `limit + 1`) into a page: the extra row, if
    /// there is one, only tells that another page follows.
    pub fn page<T: Listed>(&self, mut rows: Vec<T>) -> Page<T> {
        let limit = self.limit as usize;
        if rows.len() <= limit {
            return Page {
                items: rows,
                next_page_token: String::new(),
            };
        }
        rows.truncate(limit);
        let next_page_token = rows
            .last()
            .map_or_else(String::new, |last| self.token_after(last));
        Page {
            items: rows,
            next_page_token,
        }
    }

    /// As [`page`](Self::page), for rows of very different sizes (each given with its size in
    /// bytes as stored): the page is also cut short, with a token for the rest, before it holds
    /// more than [`MAX_PAGE_BYTES`] — so that its message stays inside the message limit,
    /// however large the rows. It always holds at least one row.
    pub fn page_within<T: Listed>(&self, rows: Vec<(T, usize)>) -> Page<T> {
        let limit = self.limit as usize;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        let mut total = 0usize;
        let mut cut = false;
        for (row, size) in rows {
            if items.len() == limit || (!items.is_empty() && total + size > MAX_PAGE_BYTES) {
                cut = true;
                break;
            }
            total += size;
            items.push(row);
        }
        let next_page_token = match items.last() {
            Some(last) if cut => self.token_after(last),
            _ => String::new(),
        };
        Page {
            items,
            next_page_token,
        }
    }

    /// The sealed token of the page that starts after `last`.
    fn token_after<T: Listed>(&self, last: &T) -> String {
        let after = self
            .order
            .iter()
            .map(|key| last.sort_value(key.field))
            .collect();
        let token = Token {
            q: self.fingerprint.clone(),
            after,
        };
        self.key
            .seal(&serde_json::to_vec(&token).unwrap_or_default())
    }

    /// How many rows the store should fetch: one more than the page, to know whether another follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

fn page_size(requested: i32) -> Result<u32> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n < 0 => Err(Error::invalid(
            reason::INVALID_PAGE_SIZE,
            "page_size",
            format!("must not be negative (got {n}); 0 means the default of {DEFAULT_PAGE_SIZE}"),
        )),
        n => Ok((n as u32).min(MAX_PAGE_SIZE)),
    }
}

fn order_by(spec: &ListSpec, text: &str) -> Result<Vec<SortKey>> {
    let bad =
        |description: String| Error::invalid(reason::INVALID_ORDER_BY, "order_by", description);
    if text.chars().count() > MAX_ORDER_BY_CHARS {
        return Err(bad(format!(
            "is longer than {MAX_ORDER_BY_CHARS} characters"
        )));
    }
    let mut order = Vec::new();
    if text.trim().is_empty() {
        order.extend_from_slice(spec.default_order);
    }
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let words: Vec<&str> = part.split_whitespace().collect();
        let (name, descending) = match words.as_slice() {
            [name] => (*name, false),
            [name, "asc"] => (*name, false),
            [name, "desc"] => (*name, true),
            _ => {
                return Err(bad(format!(
                    "cannot read {:?}; write `field` or `field desc`",
                    part.trim()
                )));
            }
        };
        let field = spec
            .order_fields
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = spec.order_fields.iter().map(|f| f.name).collect();
                bad(format!(
                    "cannot order by `{name}`; possible: {}",
                    known.join(", ")
                ))
            })?;
        if order.iter().any(|k: &SortKey| k.field == field.name) {
            return Err(bad(format!("names `{name}` twice")));
        }
        order.push(SortKey {
            field: field.name,
            descending,
        });
    }
    if !order.iter().any(|k| k.field == spec.key.name) {
        // The tie-breaker runs the way the last key does, so that one index on (…, key, id)
        // serves the whole order instead of a sort of every matching row.
        order.push(SortKey {
            field: spec.key.name,
            descending: order.last().is_some_and(|k| k.descending),
        });
    }
    Ok(order)
}

fn fingerprint(resource: &str, filter: &str, order: &[SortKey]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(resource.as_bytes());
    hasher.update([0]);
    hasher.update(filter.as_bytes());
    for key in order {
        hasher.update([0]);
        hasher.update(key.field.as_bytes());
        hasher.update([u8::from(key.descending)]);
    }
    let digest = hasher.finalize();
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(
    spec: &ListSpec,
    order: &[SortKey],
    fingerprint: &str,
    key: &PageKey,
    text: &str,
) -> Result<Vec<Value>> {
    let bad = |description: &str| {
        Error::invalid(
            reason::INVALID_PAGE_TOKEN,
            "page_token",
            description.to_owned(),
        )
    };
    if text.len() > MAX_PAGE_TOKEN_CHARS {
        return Err(bad("is not a page token of this server"));
    }
    let token: Token = key
        .open(text)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("is not a page token of this server"))?;
    if token.q != fingerprint {
        return Err(bad(
            "belongs to a different query; send the same filter and order_by as the first page",
        ));
    }
    let field_type = |name: &str| {
        spec.order_fields
            .iter()
            .chain([&spec.key])
            .find(|f| f.name == name)
            .map_or(FieldType::Text, |f| f.ty)
    };
    let fits = token.after.len() == order.len()
        && token
            .after
            .iter()
            .zip(order)
            .all(|(value, key)| value.fits(field_type(key.field)));
    if !fits {
        return Err(bad("is not a page token of this server"));
    }
    Ok(token.after)
}

#[cfg(test)]
mod tests {
    use super::*;

    static KEY: std::sync::LazyLock<PageKey> = std::sync::LazyLock::new(PageKey::ephemeral);

    const FIELDS: &[Field] = &[
        Field::new("code", FieldType::Text),
        Field::new("active", FieldType::Bool),
    ];
    const SPEC: ListSpec = ListSpec {
        resource: "things",
        filter_fields: FIELDS,
        order_fields: FIELDS,
        key: Field::new("code", FieldType::Text),
        default_order: &[],
    };

    struct Row(&'static str);
    impl Listed for Row {
        fn sort_value(&self, _field: &str) -> Value {
            Value::Text(self.0.to_owned())
        }
    }

    fn params(page_size: i32, page_token: &str) -> ListParams<'_> {
        ListParams {
            page_size,
            page_token,
            filter: "",
            order_by: "",
        }
    }

    #[test]
    fn page_size_defaults_caps_and_refuses_negatives() {
        assert_eq!(
            ListQuery::parse(&SPEC, params(0, ""), &KEY)
                .expect("ok")
                .limit,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(
            ListQuery::parse(&SPEC, params(5000, ""), &KEY)
                .expect("ok")
                .limit,
            MAX_PAGE_SIZE
        );
        let err = ListQuery::parse(&SPEC, params(-1, ""), &KEY).unwrap_err();
        assert_eq!(err.reason(), reason::INVALID_PAGE_SIZE);
    }

    #[test]
    fn tokens_round_trip_and_are_bound_to_their_query() {
        let query = ListQuery::parse(&SPEC, params(2, ""), &KEY).expect("ok");
        let page = query.page(vec![Row("AZ"), Row("BZ"), Row("BZK")]);
        assert_eq!(page.items.len(), 2);
        let next = ListQuery::parse(&SPEC, params(2, &page.next_page_token), &KEY).expect("ok");
        assert_eq!(next.after, Some(vec![Value::Text("BZ".into())]));

        let other = ListParams {
            filter: "active = true",
            ..params(2, &page.next_page_token)
        };
        assert_eq!(
            ListQuery::parse(&SPEC, other, &KEY).unwrap_err().reason(),
            reason::INVALID_PAGE_TOKEN
        );
        assert_eq!(
            ListQuery::parse(&SPEC, params(2, "made-up"), &KEY)
                .unwrap_err()
                .reason(),
            reason::INVALID_PAGE_TOKEN
        );
    }

    #[test]
    fn tokens_show_no_values_and_cannot_be_edited_or_used_with_another_key() {
        let query = ListQuery::parse(&SPEC, params(1, ""), &KEY).expect("ok");
        let page = query.page(vec![Row("Geheim-titel"), Row("Tweede")]);
        let token = &page.next_page_token;
        let bytes = URL_SAFE_NO_PAD.decode(token).expect("base64");
        let shown = String::from_utf8_lossy(&bytes);
        assert!(!shown.contains("Geheim"), "{shown}");
        // The same page twice gives two different tokens (a fresh nonce each time).
        assert_ne!(
            query
                .page(vec![Row("Geheim-titel"), Row("Tweede")])
                .next_page_token,
            *token
        );
        // One flipped bit anywhere, or another server's key: not a token of this server.
        let mut edited = bytes.clone();
        let last = edited.len() - 1;
        edited[last] ^= 1;
        let edited = URL_SAFE_NO_PAD.encode(edited);
        for (text, key) in [(&edited, &*KEY), (token, &PageKey::ephemeral())] {
            let err = ListQuery::parse(&SPEC, params(1, text), key).unwrap_err();
            assert_eq!(err.reason(), reason::INVALID_PAGE_TOKEN);
        }
        // A stored key reads back as the same key.
        let hex = PageKey::generate_hex();
        let (a, b) = (
            PageKey::from_hex(&hex).expect("hex"),
            PageKey::from_hex(&hex).expect("hex"),
        );
        let sealed = ListQuery::parse(&SPEC, params(1, ""), &a)
            .expect("ok")
            .page(vec![Row("AZ"), Row("BZ")])
            .next_page_token;
        assert!(ListQuery::parse(&SPEC, params(1, &sealed), &b).is_ok());
        assert!(PageKey::from_hex("not hex").is_none());
    }

    #[test]
    fn a_page_of_large_rows_is_cut_short_with_a_token_for_the_rest() {
        let query = ListQuery::parse(&SPEC, params(10, ""), &KEY).expect("ok");
        let big = MAX_PAGE_BYTES / 2 + 1;
        let page = query.page_within(vec![(Row("AZ"), big), (Row("BZ"), big), (Row("CZ"), 1)]);
        assert_eq!(page.items.len(), 1);
        let next = ListQuery::parse(&SPEC, params(10, &page.next_page_token), &KEY).expect("ok");
        assert_eq!(next.after, Some(vec![Value::Text("AZ".into())]));
        // One row larger than the budget still makes a page of one.
        let page = query.page_within(vec![(Row("AZ"), 2 * MAX_PAGE_BYTES)]);
        assert_eq!((page.items.len(), page.next_page_token.as_str()), (1, ""));
        // Small rows: as `page`.
        let page = query.page_within((0..11).map(|_| (Row("x"), 10)).collect());
        assert_eq!(page.items.len(), 10);
        assert!(!page.next_page_token.is_empty());
    }

    #[test]
    fn last_page_has_no_token() {
        let query = ListQuery::parse(&SPEC, params(3, ""), &KEY).expect("ok");
        assert!(query.page(vec![Row("AZ")]).next_page_token.is_empty());
    }

    #[test]
    fn order_by_is_checked_and_ends_with_the_key() {
        let q = ListQuery::parse(
            &SPEC,
            ListParams {
                order_by: "active desc",
                ..params(0, "")
            },
            &KEY,
        )
        .expect("ok");
        assert_eq!(
            q.order,
            vec![
                SortKey {
                    field: "active",
                    descending: true
                },
                SortKey {
                    field: "code",
                    descending: true
                },
            ],
            "the tie-breaker runs the way the last key does"
        );
        let err = ListQuery::parse(
            &SPEC,
            ListParams {
                order_by: "colour",
                ..params(0, "")
            },
            &KEY,
        )
        .unwrap_err();
        assert_eq!(err.reason(), reason::INVALID_ORDER_BY);
    }
}
