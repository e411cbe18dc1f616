//! Every size limit the server enforces, in one place. The API documents them; requests that
//! exceed one get INVALID_ARGUMENT naming the field and the limit (or RESOURCE_EXHAUSTED for the
//! message size, which tonic checks before we see the request, and for a case that would grow
//! past its own limits).

/// Largest request or response message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Page size when the request says 0.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page; larger requests are reduced to it (AIP-158).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Names and titles: display names, department names, person names, roles.
pub const MAX_NAME_CHARS: usize = 200;
/// Longer free text: mandates, descriptions.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// A filter expression, in characters.
pub const MAX_FILTER_CHARS: usize = 2_000;
/// Nesting of parentheses and NOT in a filter.
pub const MAX_FILTER_DEPTH: usize = 12;
/// Comparisons in one filter.
pub const MAX_FILTER_TERMS: usize = 50;
/// `order_by`, in characters.
pub const MAX_ORDER_BY_CHARS: usize = 200;
/// A page token, in characters.
pub const MAX_PAGE_TOKEN_CHARS: usize = 2_000;

/// Members of one working group.
pub const MAX_GROUP_MEMBERS: usize = 500;

/// A case as stored (its JSON snapshot), in bytes. An event keeps at most one whole copy and a
/// patch no larger than the two sides it names (`cases::history`), and events written before
/// patches two copies, so this bounds an event too: well inside [`MAX_MESSAGE_BYTES`], and the
/// change feed and the event lists can always send one.
pub const MAX_CASE_BYTES: usize = 512 * 1024;
/// Changes to one case (its revisions: comments, records, transitions, edits).
pub const MAX_CASE_CHANGES: i64 = 10_000;
/// Risks in one risk analysis's register.
pub const MAX_RISKS: usize = 200;
/// What one page of a list may hold, in stored bytes: a page is cut short (with a token for
/// the rest) before its message could pass [`MAX_MESSAGE_BYTES`].
pub const MAX_PAGE_BYTES: usize = 3 * 1024 * 1024;
