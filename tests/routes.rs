//! One source of truth for routes: the local stack serves `portal_functions::ROUTES`, and
//! template.yaml must declare exactly the same routes, with the same authorizer and binary.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use portal_functions::{Auth, ROUTES};
use yaml_rust2::{Yaml, YamlLoader};

fn template() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// `(METHOD /path, authorizer, function logical id, binary)` of every HttpApi event in the template.
fn template_routes(doc: &Yaml) -> BTreeSet<(String, String, String, String)> {
    let mut routes = BTreeSet::new();
    for (id, resource) in doc["Resources"].as_hash().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().unwrap().to_owned();
        assert_eq!(resource["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"), "{id}");
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_default().to_owned();
        let Some(events) = resource["Properties"]["Events"].as_hash() else { continue };
        for event in events.values() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let p = &event["Properties"];
            assert_eq!(p["ApiId"].as_str(), Some("HttpApi"), "{id} is on another API");
            let route = format!("{} {}", p["Method"].as_str().unwrap(), p["Path"].as_str().unwrap());
            let authorizer = p["Auth"]["Authorizer"].as_str().unwrap_or("(none given)").to_owned();
            routes.insert((route, authorizer, id.clone(), binary.clone()));
        }
    }
    routes
}

fn authorizer(auth: Auth) -> &'static str {
    match auth {
        Auth::Public => "NONE",
        Auth::Partner => "PartnerAuthorizer",
        Auth::Staff => "StaffAuthorizer",
    }
}

#[test]
fn template_declares_exactly_the_served_routes() {
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                format!("{} {}", r.method, r.path),
                authorizer(r.auth).to_owned(),
                r.operation.function_id(),
                r.operation.binary().to_owned(),
            )
        })
        .collect();
    let declared = template_routes(&template());
    let missing: Vec<_> = expected.difference(&declared).collect();
    let extra: Vec<_> = declared.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "template.yaml differs from ROUTES\n  missing from template: {missing:#?}\n  not served locally: {extra:#?}"
    );
    // The local stack serves ROUTES and nothing else.
    let served: BTreeSet<String> = portal_local::server::served_routes().into_iter().collect();
    let declared_routes: BTreeSet<String> = declared.into_iter().map(|(route, ..)| route).collect();
    assert_eq!(served, declared_routes);
}

#[test]
fn the_parity_check_notices_a_difference() {
    // Guard against a check that cannot fail: drop one route from the template and compare again.
    let mut doc = template();
    let Yaml::Hash(resources) = &mut doc["Resources"] else { panic!("no Resources") };
    let key = Yaml::String(ROUTES[0].operation.function_id());
    assert!(resources.remove(&key).is_some(), "{key:?} not in the template");
    let declared = template_routes(&doc);
    assert_eq!(declared.len(), ROUTES.len() - 1);
}

#[test]
fn authorizers_check_the_right_pools() {
    let doc = template();
    let authorizers = &doc["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"];
    for (name, pool, client) in [
        ("PartnerAuthorizer", "PartnerUserPool", "PartnerUserPoolClient"),
        ("StaffAuthorizer", "StaffUserPool", "StaffUserPoolClient"),
    ] {
        let jwt = &authorizers[name]["JwtConfiguration"];
        assert!(jwt["issuer"].as_str().unwrap().ends_with(&format!("/${{{pool}}}")), "{name} issuer");
        assert_eq!(jwt["audience"][0].as_str(), Some(client), "{name} audience");
        assert_eq!(authorizers[name]["IdentitySource"].as_str(), Some("$request.header.Authorization"));
    }
}
