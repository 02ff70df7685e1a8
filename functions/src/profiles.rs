//! Partner profiles (api.md "Me, profile, users") and the category list of the directory.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use portal::Deps;

use crate::field;
use portal::domain::{
    Address, CATEGORIES, Email, EnterpriseNumber, ProfileFields, ProfileName, Website, categories, text,
};
use portal::http::{Checks, HttpResult, json, json_body, page_params, partner_account, timestamp};
use portal::operations::profiles;
use serde::{Deserialize, Serialize};

use crate::views::{Items, ProfileView, log_page};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressBody {
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    country: Option<String>,
}

/// ProfileInput of api.md, as sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    name: Option<String>,
    enterprise_number: Option<String>,
    description: Option<String>,
    contact_name: Option<String>,
    address: Option<AddressBody>,
    public: Option<bool>,
    categories: Option<Vec<String>>,
    website: Option<String>,
    extra_info: Option<String>,
    /// Only on PUT: the version the edit is based on.
    version: Option<u64>,
}

impl ProfileBody {
    /// Every field checked; all refusals at once.
    fn parse(self) -> Result<ProfileFields, portal::AppError> {
        use portal::domain::FieldError;
        let mut checks = Checks::default();
        let name = checks.check(ProfileName::parse(field(&self.name)));
        let enterprise_number = match self.enterprise_number.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => checks.check(EnterpriseNumber::parse(raw).map(Some)),
        };
        let description = checks.check(text("description", field(&self.description), true, 2000));
        let contact_name = checks.check(text("contact_name", field(&self.contact_name), true, 200));
        let address = match &self.address {
            None => {
                checks.refuse(FieldError::required("address"));
                None
            }
            Some(a) => match Address::parse(field(&a.street), field(&a.postal_code), field(&a.city), field(&a.country))
            {
                Ok(address) => Some(address),
                Err(errors) => {
                    errors.into_iter().for_each(|e| checks.refuse(e));
                    None
                }
            },
        };
        if self.public.is_none() {
            checks.refuse(FieldError::new("public", "required", "Kies of het profiel publiek of privé is."));
        }
        let categories = checks.check(categories(self.categories.as_deref().unwrap_or_default()));
        let website = checks.check(Website::parse(field(&self.website)));
        let extra_info = checks.check(text("extra_info", field(&self.extra_info), false, 2000));
        let values = (|| {
            Some(ProfileFields {
                name: name?,
                enterprise_number: enterprise_number?,
                description: description?,
                contact_name: contact_name?,
                address: address?,
                public: self.public?,
                categories: categories?,
                website: website?,
                extra_info: extra_info.map(|e| Some(e).filter(|e| !e.is_empty()))?,
            })
        })();
        checks.finish(values)
    }
}

/// A category of the directory: its code and its label.
#[derive(Serialize)]
struct CategoryView {
    code: &'static str,
    label: &'static str,
}

/// A new invitation code, shown this once.
#[derive(Serialize)]
struct InvitationView<'a> {
    code: &'a str,
    expires_at: String,
}

/// An account linked to the profile.
#[derive(Serialize)]
struct MemberView<'a> {
    email: &'a Email,
    linked_at: String,
}

#[derive(Serialize)]
struct LogoView {
    logo_url: Option<String>,
}

/// POST /profile
pub async fn create_profile(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input = json_body::<ProfileBody>(&req)?;
    if input.version.is_some() {
        return Err(portal::AppError::InvalidRequest("Een nieuw profiel heeft nog geen version.".into()));
    }
    let profile = profiles::create_profile(deps, &account, input.parse()?).await?;
    json(StatusCode::CREATED, &ProfileView::new(&deps.config, &profile))
}

/// GET /profile
pub async fn get_profile(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    json(StatusCode::OK, &ProfileView::new(&deps.config, &profiles::get_profile(deps, &account).await?))
}

/// GET /categories
pub async fn list_categories(_deps: &Deps, _req: Request) -> HttpResult {
    let items = CATEGORIES.iter().map(|&(code, label)| CategoryView { code, label }).collect();
    json(StatusCode::OK, &Items { items })
}

/// PUT /profile
pub async fn update_profile(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input = json_body::<ProfileBody>(&req)?;
    let version = input.version;
    let profile = profiles::update_profile(deps, &account, input.parse()?, version).await?;
    json(StatusCode::OK, &ProfileView::new(&deps.config, &profile))
}

/// GET /profile/logs
pub async fn get_profile_logs(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let (limit, cursor) = page_params(&req)?;
    log_page(profiles::get_profile_logs(deps, &account, limit, cursor.as_deref()).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    code: Option<String>,
}

/// POST /profile/invitations
pub async fn create_invitation(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let (code, expires_at) = profiles::create_invitation(deps, &account).await?;
    json(StatusCode::CREATED, &InvitationView { code: code.expose(), expires_at: timestamp(expires_at) })
}

/// POST /profile/link
pub async fn link_profile(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input: LinkBody = json_body(&req)?;
    let profile = profiles::link_profile(deps, &account, field(&input.code)).await?;
    json(StatusCode::OK, &ProfileView::new(&deps.config, &profile))
}

/// GET /profile/users
pub async fn list_profile_users(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let members = profiles::list_profile_users(deps, &account).await?;
    let items = members.iter().map(|m| MemberView { email: &m.email, linked_at: timestamp(m.linked_at) }).collect();
    json(StatusCode::OK, &Items { items })
}

/// PUT /profile/logo: the raw image is the body; its bytes, not its Content-Type, say what it is.
pub async fn upload_logo(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let profile = profiles::upload_logo(deps, &account, req.body().as_ref().to_vec()).await?;
    json(StatusCode::OK, &LogoView { logo_url: profiles::logo_url(&deps.config, &profile) })
}
