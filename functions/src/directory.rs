//! The public partner directory (api.md "Public directory"): no authorizer, cacheable answers,
//! and only the fields the manual marks with an asterisk.

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use portal::Deps;
use portal::http::{HttpResult, bytes, json, not_modified, page_params, public_cache};
use portal::operations::directory;

use crate::path_param;
use crate::views::Page;
use crate::views::PublicPartnerView;

/// How long browsers and CDNs may keep a directory answer: listing changes show within a minute.
const DIRECTORY_MAX_AGE: u32 = 60;
/// A logo asked by its exact URL never changes; by the bare URL it may, after a new upload.
const LOGO_EXACT_CACHE: &str = "public, max-age=31536000, immutable";
const LOGO_LATEST_CACHE: &str = "public, max-age=300";

/// GET /partners
pub async fn list_partners(deps: &Deps, req: Request) -> HttpResult {
    let (limit, cursor) = page_params(&req)?;
    let query = req.query_string_parameters();
    let filter = directory::filter(query.first("category"), query.first("q"))?;
    let page = directory::list_partners(deps, &filter, limit, cursor.as_deref()).await?;
    let items = page.items.iter().map(|p| PublicPartnerView::new(&deps.config, p)).collect();
    let response = json(StatusCode::OK, &Page { items, next_cursor: page.next_cursor })?;
    Ok(public_cache(response, DIRECTORY_MAX_AGE))
}

/// GET /partners/{slug}
pub async fn get_partner(deps: &Deps, req: Request) -> HttpResult {
    let profile = directory::get_partner(deps, &path_param(&req, "slug")).await?;
    let response = json(StatusCode::OK, &PublicPartnerView::new(&deps.config, &profile))?;
    Ok(public_cache(response, DIRECTORY_MAX_AGE))
}

/// GET /partners/{slug}/logo
pub async fn get_partner_logo(deps: &Deps, req: Request) -> HttpResult {
    let version = req.query_string_parameters().first("v").map(str::to_owned);
    let logo = directory::get_partner_logo(deps, &path_param(&req, "slug"), version.as_deref()).await?;
    let cache = if logo.immutable { LOGO_EXACT_CACHE } else { LOGO_LATEST_CACHE };
    if let Some(response) = not_modified(&req, &logo.version, cache) {
        return Ok(response);
    }
    Ok(bytes(logo.format.content_type(), cache, &logo.version, logo.bytes))
}
