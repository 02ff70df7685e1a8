//! The settings of template.yaml the local stack builds itself from, read from the template
//! itself (compiled in), so that the local pools, clients and CORS cannot drift from what is
//! deployed: what passes locally passes in AWS (tests/provisioning.rs compares them too).

use std::sync::OnceLock;

use yaml_rust2::{Yaml, YamlLoader};

use crate::StackError;

const TEMPLATE: &str = include_str!("../../template.yaml");

fn document() -> Result<&'static Yaml, StackError> {
    static DOC: OnceLock<Result<Yaml, String>> = OnceLock::new();
    DOC.get_or_init(|| {
        YamlLoader::load_from_str(TEMPLATE)
            .map_err(|e| e.to_string())
            .and_then(|mut docs| if docs.is_empty() { Err("empty".into()) } else { Ok(docs.remove(0)) })
    })
    .as_ref()
    .map_err(|e| StackError::Provision(format!("template.yaml does not parse: {e}")))
}

pub(crate) fn properties(resource: &str) -> Result<&'static Yaml, StackError> {
    let p = &document()?["Resources"][resource]["Properties"];
    if p.is_badvalue() {
        return Err(StackError::Provision(format!("template.yaml has no {resource}")));
    }
    Ok(p)
}

fn missing(what: &str) -> StackError {
    StackError::Provision(format!("template.yaml: {what} is missing or not of its type"))
}

fn strings(node: &Yaml, what: &str) -> Result<Vec<String>, StackError> {
    match node {
        Yaml::BadValue => Ok(Vec::new()),
        Yaml::Array(items) => {
            items.iter().map(|i| i.as_str().map(str::to_owned).ok_or_else(|| missing(what))).collect()
        }
        _ => Err(missing(what)),
    }
}

fn int(node: &Yaml, what: &str) -> Result<i64, StackError> {
    match node {
        Yaml::Integer(i) => Ok(*i),
        Yaml::String(s) => s.parse().map_err(|_| missing(what)),
        _ => Err(missing(what)),
    }
}

/// A flag; absent is `default` (CloudFormation's default for that property).
fn flag(node: &Yaml, default: bool, what: &str) -> Result<bool, StackError> {
    match node {
        Yaml::BadValue => Ok(default),
        Yaml::Boolean(b) => Ok(*b),
        _ => Err(missing(what)),
    }
}

#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub minimum_length: i32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

#[derive(Debug, Clone)]
pub struct CustomAttribute {
    pub name: String,
    pub mutable: bool,
    pub min_length: Option<String>,
    pub max_length: Option<String>,
}

/// An `AWS::Cognito::UserPool` of the template.
#[derive(Debug, Clone)]
pub struct Pool {
    pub password: PasswordPolicy,
    pub username_attributes: Vec<String>,
    pub case_sensitive: bool,
    pub admin_create_user_only: bool,
    pub custom_attributes: Vec<CustomAttribute>,
}

/// An `AWS::Cognito::UserPoolClient` of the template.
#[derive(Debug, Clone)]
pub struct Client {
    pub name: String,
    pub generate_secret: bool,
    pub explicit_auth_flows: Vec<String>,
    pub prevent_user_existence_errors: Option<String>,
    pub enable_token_revocation: bool,
    pub read_attributes: Vec<String>,
    pub write_attributes: Vec<String>,
}

/// The HTTP API's `CorsConfiguration`, without its origins (parameters: the front end's).
#[derive(Debug, Clone)]
pub struct Cors {
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: i64,
}

pub fn pool(resource: &str) -> Result<Pool, StackError> {
    let p = properties(resource)?;
    let policy = &p["Policies"]["PasswordPolicy"];
    let at = |name: &str| format!("{resource}.Policies.PasswordPolicy.{name}");
    let password = PasswordPolicy {
        minimum_length: i32::try_from(int(&policy["MinimumLength"], &at("MinimumLength"))?)
            .map_err(|_| missing(&at("MinimumLength")))?,
        require_uppercase: flag(&policy["RequireUppercase"], false, &at("RequireUppercase"))?,
        require_lowercase: flag(&policy["RequireLowercase"], false, &at("RequireLowercase"))?,
        require_numbers: flag(&policy["RequireNumbers"], false, &at("RequireNumbers"))?,
        require_symbols: flag(&policy["RequireSymbols"], false, &at("RequireSymbols"))?,
    };
    let mut custom_attributes = Vec::new();
    if let Some(schema) = p["Schema"].as_vec() {
        for attribute in schema {
            let name = attribute["Name"].as_str().ok_or_else(|| missing(&format!("{resource}.Schema.Name")))?;
            let constraints = &attribute["StringAttributeConstraints"];
            custom_attributes.push(CustomAttribute {
                name: name.to_owned(),
                mutable: flag(&attribute["Mutable"], true, &format!("{resource}.Schema.Mutable"))?,
                min_length: constraints["MinLength"].as_str().map(str::to_owned),
                max_length: constraints["MaxLength"].as_str().map(str::to_owned),
            });
        }
    }
    Ok(Pool {
        password,
        username_attributes: strings(&p["UsernameAttributes"], &format!("{resource}.UsernameAttributes"))?,
        case_sensitive: flag(
            &p["UsernameConfiguration"]["CaseSensitive"],
            true,
            &format!("{resource}.UsernameConfiguration"),
        )?,
        admin_create_user_only: flag(
            &p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
            false,
            &format!("{resource}.AdminCreateUserConfig"),
        )?,
        custom_attributes,
    })
}

pub fn client(resource: &str) -> Result<Client, StackError> {
    let p = properties(resource)?;
    let at = |name: &str| format!("{resource}.{name}");
    Ok(Client {
        name: p["ClientName"].as_str().ok_or_else(|| missing(&at("ClientName")))?.to_owned(),
        generate_secret: flag(&p["GenerateSecret"], false, &at("GenerateSecret"))?,
        explicit_auth_flows: strings(&p["ExplicitAuthFlows"], &at("ExplicitAuthFlows"))?,
        prevent_user_existence_errors: p["PreventUserExistenceErrors"].as_str().map(str::to_owned),
        enable_token_revocation: flag(&p["EnableTokenRevocation"], true, &at("EnableTokenRevocation"))?,
        read_attributes: strings(&p["ReadAttributes"], &at("ReadAttributes"))?,
        write_attributes: strings(&p["WriteAttributes"], &at("WriteAttributes"))?,
    })
}

pub fn cors() -> Result<Cors, StackError> {
    let c = &properties("HttpApi")?["CorsConfiguration"];
    Ok(Cors {
        allow_headers: strings(&c["AllowHeaders"], "HttpApi.CorsConfiguration.AllowHeaders")?,
        allow_methods: strings(&c["AllowMethods"], "HttpApi.CorsConfiguration.AllowMethods")?,
        expose_headers: strings(&c["ExposeHeaders"], "HttpApi.CorsConfiguration.ExposeHeaders")?,
        max_age: int(&c["MaxAge"], "HttpApi.CorsConfiguration.MaxAge")?,
    })
}
