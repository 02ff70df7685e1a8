//! One source of truth for routes: the local stack serves `portal_functions::ROUTES`;
//! template.yaml must declare exactly the same routes, with the same authorizer and binary, and
//! openapi.yaml must document exactly them, with the same protection.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use portal_functions::{Auth, Function, ROUTES};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::{Yaml, YamlLoader};

fn template() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// `(METHOD /path, authorizer, function logical id, Handler)` of every HttpApi event in the template.
fn template_routes(doc: &Yaml) -> BTreeSet<(String, String, String, String)> {
    let mut routes = BTreeSet::new();
    for (id, resource) in doc["Resources"].as_hash().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().unwrap().to_owned();
        assert_eq!(resource["Metadata"]["BuildMethod"].as_str(), Some("makefile"), "{id}");
        let handler = resource["Properties"]["Handler"].as_str().unwrap_or("(no Handler)").to_owned();
        let Some(events) = resource["Properties"]["Events"].as_hash() else { continue };
        for event in events.values() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let p = &event["Properties"];
            assert_eq!(p["ApiId"].as_str(), Some("HttpApi"), "{id} is on another API");
            let route = format!("{} {}", p["Method"].as_str().unwrap(), p["Path"].as_str().unwrap());
            let authorizer = p["Auth"]["Authorizer"].as_str().unwrap_or("(none given)").to_owned();
            routes.insert((route, authorizer, id.clone(), handler.clone()));
        }
    }
    routes
}

fn authorizer(auth: Auth) -> &'static str {
    match auth {
        Auth::Public => "NONE",
        Auth::Partner => "PartnerAuthorizer",
        Auth::Staff => "StaffAuthorizer",
        Auth::SchoolAdmin => "InformatAuthorizer",
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
                r.operation.name().to_owned(),
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
    // School administrators: ID tokens of Informat's identity provider, for the back office's
    // client there (issue 22), both template parameters.
    let informat = &authorizers["InformatAuthorizer"];
    assert_eq!(informat["JwtConfiguration"]["issuer"].as_str(), Some("InformatIssuer"));
    assert_eq!(informat["JwtConfiguration"]["audience"][0].as_str(), Some("InformatClientId"));
    assert_eq!(informat["IdentitySource"].as_str(), Some("$request.header.Authorization"));
}

fn openapi() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("openapi.yaml is not YAML: {e}")).remove(0)
}

/// `(METHOD /path, security)` of every operation in the OpenAPI file.
fn openapi_routes(doc: &Yaml) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_hash().unwrap() {
        for (method, op) in item.as_hash().unwrap() {
            let method = method.as_str().unwrap();
            if method == "parameters" {
                continue;
            }
            let security = match &op["security"] {
                Yaml::Array(schemes) => schemes
                    .iter()
                    .filter_map(|s| s.as_hash().and_then(|h| h.keys().next()).and_then(Yaml::as_str))
                    .find(|s| ["partner", "staff", "schoolAdmin"].contains(s))
                    .unwrap_or("none")
                    .to_owned(),
                _ => "none".to_owned(),
            };
            routes.insert((format!("{} {}", method.to_uppercase(), path.as_str().unwrap()), security));
        }
    }
    routes
}

/// Every `$ref` in the document points at something in it.
fn check_refs(doc: &Yaml, node: &Yaml, at: &str) {
    match node {
        Yaml::Hash(map) => {
            for (key, value) in map {
                if key.as_str() == Some("$ref") {
                    let target = value.as_str().unwrap();
                    let pointer = target.strip_prefix("#/").unwrap_or_else(|| panic!("{at}: external $ref {target}"));
                    let found = pointer.split('/').fold(doc, |node, part| &node[part]);
                    assert!(!found.is_badvalue(), "{at}: $ref {target} points at nothing");
                } else {
                    check_refs(doc, value, &format!("{at}/{}", key.as_str().unwrap_or("?")));
                }
            }
        }
        Yaml::Array(items) => items.iter().enumerate().for_each(|(i, v)| check_refs(doc, v, &format!("{at}/{i}"))),
        _ => {}
    }
}

#[test]
fn the_openapi_file_is_valid_and_describes_exactly_the_served_routes() {
    let doc = openapi();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "OpenAPI 3.1");
    check_refs(&doc, &doc, "#");
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_hash().unwrap() {
        for (method, op) in item.as_hash().unwrap() {
            if method.as_str() == Some("parameters") {
                continue;
            }
            let name = format!("{} {}", method.as_str().unwrap(), path.as_str().unwrap());
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{name}: no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "{name}: operationId {id} used twice");
            let responses = op["responses"].as_hash().unwrap_or_else(|| panic!("{name}: no responses"));
            assert!(
                responses.keys().any(|k| k.as_str().is_some_and(|s| s.starts_with('2'))),
                "{name}: no success answer"
            );
            for (status, response) in responses {
                let status = status.as_str().unwrap();
                // Errors are problems, except the token endpoint's (RFC 6749 §5.2); a 401 may
                // also be API Gateway's authorizer, which answers before any function runs.
                if status.starts_with('4') && !name.ends_with("/oauth2/token") {
                    let target = response["$ref"].as_str().unwrap_or_default();
                    let resolved = if target.is_empty() {
                        response
                    } else {
                        target.trim_start_matches("#/").split('/').fold(&doc, |n, p| &n[p])
                    };
                    assert!(
                        !resolved["content"]["application/problem+json"].is_badvalue(),
                        "{name} {status}: errors are application/problem+json"
                    );
                }
            }
        }
    }
    // The same routes, with the same protection, as ROUTES (served locally) and the template.
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| {
            let security = match r.auth {
                Auth::Public => "none",
                Auth::Partner => "partner",
                Auth::Staff => "staff",
                Auth::SchoolAdmin => "schoolAdmin",
            };
            (format!("{} {}", r.method, r.path), security.to_owned())
        })
        .collect();
    let documented = openapi_routes(&doc);
    let missing: Vec<_> = expected.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.yaml differs\n  undocumented: {missing:#?}\n  not served: {extra:#?}"
    );
    let in_template: BTreeSet<String> = template_routes(&template()).into_iter().map(|(route, ..)| route).collect();
    let in_openapi: BTreeSet<String> = documented.into_iter().map(|(route, _)| route).collect();
    assert_eq!(in_openapi, in_template, "openapi.yaml and template.yaml");
}

#[test]
fn every_function_has_its_log_group_and_alarms() {
    // yaml-rust2 reads `!Ref X` as the plain string `X`.
    let doc = template();
    let resources = doc["Resources"].as_hash().unwrap();
    let mut functions = 0;
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        functions += 1;
        let id = id.as_str().unwrap();
        let logs = &doc["Resources"][format!("{id}Logs").as_str()];
        assert_eq!(logs["Type"].as_str(), Some("AWS::Logs::LogGroup"), "{id} has no log group");
        assert_eq!(logs["Properties"]["RetentionInDays"].as_str(), Some("LogRetentionInDays"), "{id} log retention");
        assert_eq!(resource["Properties"]["LoggingConfig"]["LogGroup"].as_str(), Some(format!("{id}Logs").as_str()));
        for (alarm, metric) in [("Errors", "Errors"), ("Throttles", "Throttles")] {
            let alarm = &doc["Resources"][format!("{id}{alarm}").as_str()];
            assert_eq!(alarm["Properties"]["MetricName"].as_str(), Some(metric), "{id} has no {metric} alarm");
            assert_eq!(alarm["Properties"]["Dimensions"][0]["Value"].as_str(), Some(id));
            assert_eq!(alarm["Properties"]["AlarmActions"][0].as_str(), Some("AlarmTopic"));
        }
    }
    assert_eq!(functions, ROUTES.len() + portal_functions::SCHEDULED.len(), "one function per route and schedule");
    let makefile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Makefile")).unwrap();
    assert!(
        makefile.contains("build-%Function:") && makefile.contains("infra/build.sh"),
        "sam build goes through infra/build.sh"
    );
    assert!(
        makefile.contains("target/lambda-$(ARCH)/bootstrap/bootstrap"),
        "every function gets the one bootstrap binary"
    );
    for job in portal_functions::SCHEDULED {
        let id = Function::Scheduled(*job).function_id();
        let properties = &doc["Resources"][id.as_str()]["Properties"];
        assert_eq!(properties["Handler"].as_str(), Some(job.name()), "{id} runs its job");
        assert_eq!(properties["Events"]["Daily"]["Type"].as_str(), Some("Schedule"));
    }
    // Every function names an operation that the bootstrap knows: a typo would only show at
    // its first cold start in AWS.
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let handler = resource["Properties"]["Handler"].as_str().unwrap_or_default();
        let function =
            Function::from_handler(handler).unwrap_or_else(|| panic!("{id:?}: Handler {handler:?} is no operation"));
        assert_eq!(id.as_str(), Some(function.function_id().as_str()), "{handler} lives in its own function");
    }
    let globals = &doc["Globals"]["Function"];
    assert_eq!(globals["Architectures"][0].as_str(), Some("Architecture"), "the architecture is a parameter");
}

/// The `STARTS_WITH` path prefixes of infra/waf.yaml's stricter rate rule (POST only).
fn waf_rate_rule_prefixes() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/waf.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = YamlLoader::load_from_str(&text).unwrap().remove(0);
    let rules = doc["Resources"]["WebAcl"]["Properties"]["Rules"].as_vec().unwrap();
    let rule = rules.iter().find(|r| r["Name"].as_str() == Some("accounts-and-sessions-per-address")).unwrap();
    let and =
        rule["Statement"]["RateBasedStatement"]["ScopeDownStatement"]["AndStatement"]["Statements"].as_vec().unwrap();
    let method = &and[0]["ByteMatchStatement"];
    assert_eq!(method["SearchString"].as_str(), Some("POST"));
    and[1]["OrStatement"]["Statements"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|s| &s["ByteMatchStatement"])
        .inspect(|m| assert_eq!(m["PositionalConstraint"].as_str(), Some("STARTS_WITH")))
        .map(|m| m["SearchString"].as_str().unwrap().to_owned())
        .collect()
}

/// Every POST route that checks a password or sends mail, the back office's sign-in and password
/// reset included, falls under the WAF's stricter rate rule.
#[test]
fn the_waf_rate_rule_covers_every_sign_in_and_account_route() {
    let prefixes = waf_rate_rule_prefixes();
    let guarded: Vec<String> = template_routes(&template())
        .into_iter()
        .map(|(route, ..)| route)
        .filter(|r| r.starts_with("POST /accounts") || r.starts_with("POST /sessions") || r.starts_with("POST /staff/"))
        .collect();
    for staff in ["POST /staff/sessions", "POST /staff/forgot-password", "POST /staff/reset-password"] {
        assert!(guarded.iter().any(|r| r == staff), "{staff} not in {guarded:?}");
    }
    for route in guarded {
        let path = route.trim_start_matches("POST ");
        assert!(
            prefixes.iter().any(|p| path.starts_with(p.as_str())),
            "{path} is not in the WAF rate rule ({prefixes:?})"
        );
    }
}

/// The DynamoDB actions a function's policies allow on the table.
fn dynamodb_actions(doc: &Yaml, function: &str) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for policy in doc["Resources"][function]["Properties"]["Policies"].as_vec().unwrap() {
        for statement in policy["Statement"].as_vec().into_iter().flatten() {
            let listed = match &statement["Action"] {
                Yaml::Array(list) => list.iter().filter_map(Yaml::as_str).map(str::to_owned).collect(),
                Yaml::String(one) => vec![one.clone()],
                _ => Vec::new(),
            };
            actions.extend(listed.into_iter().filter(|a| a.starts_with("dynamodb:")));
        }
    }
    actions
}

/// A TransactWriteItems needs the action of each of its items (PutItem, UpdateItem,
/// ConditionCheckItem, ...): the access-request transaction checks the partner, counts the
/// day's mails and puts the requests and their markers (issue 21).
#[test]
fn the_access_request_function_may_do_every_part_of_its_transaction() {
    let actions = dynamodb_actions(&template(), "CreateAccessRequestsFunction");
    for needed in ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"] {
        assert!(actions.contains(needed), "{needed} is missing from {actions:?}");
    }
    assert!(!actions.contains("dynamodb:Scan") && !actions.contains("dynamodb:DeleteItem"), "{actions:?}");
}

/// Reads `!Name value` as the one-key mapping `{"!Name": value}`, so that a test can tell
/// `!If [C, a, b]` from a plain list and `!Ref X` from the string `X` (`YamlLoader` drops them).
#[derive(Default)]
struct KeepTags {
    loader: YamlLoader,
    /// Per open sequence or mapping: whether it was tagged, and so wrapped in one more mapping.
    open: Vec<bool>,
}

impl KeepTags {
    fn wrap(&mut self, tag: Option<Tag>, mark: Marker) -> bool {
        match tag {
            Some(Tag { handle, suffix }) if handle == "!" => {
                self.loader.on_event(Event::MappingStart(0, None), mark);
                self.loader.on_event(Event::Scalar(format!("!{suffix}"), TScalarStyle::Plain, 0, None), mark);
                true
            }
            tag => {
                assert!(tag.is_none(), "{tag:?}: only local tags (CloudFormation's) are read");
                false
            }
        }
    }
}

impl MarkedEventReceiver for KeepTags {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::SequenceStart(anchor, tag) => {
                let wrapped = self.wrap(tag, mark);
                self.open.push(wrapped);
                self.loader.on_event(Event::SequenceStart(anchor, None), mark);
            }
            Event::MappingStart(anchor, tag) => {
                let wrapped = self.wrap(tag, mark);
                self.open.push(wrapped);
                self.loader.on_event(Event::MappingStart(anchor, None), mark);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.loader.on_event(ev, mark);
                if self.open.pop().unwrap() {
                    self.loader.on_event(Event::MappingEnd, mark);
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let wrapped = self.wrap(tag, mark);
                self.loader.on_event(Event::Scalar(value, style, anchor, None), mark);
                if wrapped {
                    self.loader.on_event(Event::MappingEnd, mark);
                }
            }
            ev => self.loader.on_event(ev, mark),
        }
    }
}

/// template.yaml with its intrinsic functions kept (`KeepTags`).
fn template_with_tags() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut receiver = KeepTags::default();
    Parser::new_from_str(&text).load(&mut receiver, false).unwrap();
    assert!(receiver.open.is_empty());
    receiver.loader.documents()[0].clone()
}

/// `{"!Name": value}`, the form `template_with_tags` reads `!Name value` in.
fn tagged(name: &str, value: Yaml) -> Yaml {
    let mut hash = yaml_rust2::yaml::Hash::new();
    hash.insert(Yaml::String(format!("!{name}")), value);
    Yaml::Hash(hash)
}

fn string(s: &str) -> Yaml {
    Yaml::String(s.to_owned())
}

/// The one resource of a type, with its logical id.
fn only_resource<'a>(doc: &'a Yaml, kind: &str) -> (&'a str, &'a Yaml) {
    let found: Vec<_> = doc["Resources"]
        .as_hash()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (id.as_str().unwrap(), r))
        .collect();
    assert_eq!(found.len(), 1, "one {kind}: {:?}", found.iter().map(|(id, _)| id).collect::<Vec<_>>());
    found[0]
}

/// The WAF and the distribution's headers hold only if clients cannot call the API around the
/// distribution: with an origin domain (ApiOriginDomainName, a regional custom domain on API
/// Gateway) the distribution goes there and the execute-api endpoint is off; without one the
/// execute-api address stays the origin (X-Origin-Verify then keeps direct callers from posing as
/// the distribution).
#[test]
fn the_execute_api_endpoint_is_off_whenever_the_api_has_an_origin_domain() {
    let doc = template_with_tags();
    let condition = "HasApiOrigin";
    assert_eq!(
        doc["Conditions"][condition],
        tagged(
            "Not",
            Yaml::Array(vec![tagged(
                "Equals",
                Yaml::Array(vec![tagged("Ref", string("ApiOriginDomainName")), string("")])
            )])
        ),
        "{condition} is: ApiOriginDomainName is set"
    );
    for parameter in ["ApiOriginDomainName", "ApiOriginCertificateArn", "ApiOriginHostedZoneId"] {
        assert!(!doc["Parameters"][parameter]["Description"].is_badvalue(), "parameter {parameter}");
    }

    // The endpoint is off exactly when there is an origin domain.
    assert_eq!(
        doc["Resources"]["HttpApi"]["Properties"]["DisableExecuteApiEndpoint"],
        tagged("If", Yaml::Array(vec![string(condition), Yaml::Boolean(true), Yaml::Boolean(false)])),
    );

    // The distribution's one origin is then that domain, else the execute-api address.
    let origins = doc["Resources"]["ApiDistribution"]["Properties"]["DistributionConfig"]["Origins"].as_vec().unwrap();
    assert_eq!(origins.len(), 1);
    assert_eq!(
        origins[0]["DomainName"],
        tagged(
            "If",
            Yaml::Array(vec![
                string(condition),
                tagged("Ref", string("ApiOriginDomainName")),
                tagged("Sub", string("${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}")),
            ])
        ),
    );
    assert_eq!(origins[0]["OriginCustomHeaders"][0]["HeaderName"].as_str(), Some("X-Origin-Verify"));

    // The origin domain: regional, with the regional certificate, TLS 1.2.
    let (domain_id, domain) = only_resource(&doc, "AWS::ApiGatewayV2::DomainName");
    assert_eq!(domain["Condition"].as_str(), Some(condition));
    assert_eq!(domain["Properties"]["DomainName"], tagged("Ref", string("ApiOriginDomainName")));
    let configurations = domain["Properties"]["DomainNameConfigurations"].as_vec().unwrap();
    assert_eq!(configurations.len(), 1);
    assert_eq!(configurations[0]["EndpointType"].as_str(), Some("REGIONAL"));
    assert_eq!(configurations[0]["CertificateArn"], tagged("Ref", string("ApiOriginCertificateArn")));
    assert_eq!(configurations[0]["SecurityPolicy"].as_str(), Some("TLS_1_2"));

    // ... which serves HttpApi's one stage at its root.
    let (_, mapping) = only_resource(&doc, "AWS::ApiGatewayV2::ApiMapping");
    assert_eq!(mapping["Condition"].as_str(), Some(condition));
    assert_eq!(mapping["Properties"]["ApiId"], tagged("Ref", string("HttpApi")));
    assert_eq!(mapping["Properties"]["DomainName"], tagged("Ref", string(domain_id)));
    assert_eq!(mapping["Properties"]["Stage"].as_str(), Some("$default"));
    assert!(mapping["Properties"]["ApiMappingKey"].is_badvalue(), "the API at the domain's root");
    // SAM makes the $default stage (HttpApiApiGatewayDefaultStage); the mapping must wait for it.
    assert_eq!(mapping["DependsOn"].as_str(), Some("HttpApiApiGatewayDefaultStage"));
}
