//! The console's style sheets, embedded in the binary with `include_bytes!` (no crate: three
//! files need no directory walk, and a missing file fails the build, not a request). Served
//! under a name that carries the crate version, with a year's `immutable` cache lifetime, so
//! a browser asks again only after an upgrade.
//!
//! `vendor/` holds NL Design System's Rijkshuisstijl community theme as built CSS (see
//! `server/console-assets/vendor/README.md` for versions and licences); `console.css` is ours.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The path prefix of the assets, versioned so that the long cache lifetime is safe.
pub const PREFIX: &str = concat!("/assets/", env!("CARGO_PKG_VERSION"), "/");

const FILES: &[(&str, &[u8])] = &[
    (
        "design-tokens.css",
        include_bytes!("../../console-assets/vendor/design-tokens-11.1.0.css"),
    ),
    (
        "components.css",
        include_bytes!("../../console-assets/vendor/components-css-12.0.0.css"),
    ),
    (
        "console.css",
        include_bytes!("../../console-assets/console.css"),
    ),
];

/// The style sheets every page links, in order.
pub fn style_sheets() -> impl Iterator<Item = String> {
    FILES.iter().map(|(name, _)| format!("{PREFIX}{name}"))
}

/// `GET /assets/{version}/{name}`.
pub async fn serve(Path((version, name)): Path<(String, String)>) -> Response {
    let found = FILES
        .iter()
        .find(|(file, _)| *file == name)
        .filter(|_| version == env!("CARGO_PKG_VERSION"));
    match found {
        Some((_, bytes)) => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
