//! The local stack provisions what template.yaml declares: read back from the emulator, the
//! table's keys, indexes and TTL and the pools' settings must match the template.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use portal_e2e::Stack;
use yaml_rust2::{Yaml, YamlLoader};

fn template() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    YamlLoader::load_from_str(&std::fs::read_to_string(path).unwrap()).unwrap().remove(0)
}

fn keys(schema: &Yaml) -> Vec<(String, String)> {
    schema
        .as_vec()
        .unwrap()
        .iter()
        .map(|k| (k["AttributeName"].as_str().unwrap().to_owned(), k["KeyType"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn the_emulator_holds_what_the_template_declares() {
    let stack = Stack::start().await;
    let doc = template();
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;

    // The table: key schema, indexes with their keys, TTL attribute.
    let declared = &doc["Resources"]["Table"]["Properties"];
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = dynamo.describe_table().table_name(&stack.local.resources.table).send().await.unwrap().table.unwrap();
    let actual_keys: Vec<(String, String)> =
        table.key_schema().iter().map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned())).collect();
    assert_eq!(actual_keys, keys(&declared["KeySchema"]));
    let declared_indexes: BTreeSet<(String, Vec<(String, String)>)> = declared["GlobalSecondaryIndexes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|i| (i["IndexName"].as_str().unwrap().to_owned(), keys(&i["KeySchema"])))
        .collect();
    let actual_indexes: BTreeSet<(String, Vec<(String, String)>)> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let keys = i
                .key_schema()
                .iter()
                .map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned()))
                .collect();
            (i.index_name().unwrap().to_owned(), keys)
        })
        .collect();
    assert_eq!(actual_indexes, declared_indexes);
    let ttl = dynamo.describe_time_to_live().table_name(&stack.local.resources.table).send().await.unwrap();
    assert_eq!(
        ttl.time_to_live_description().and_then(|t| t.attribute_name()),
        declared["TimeToLiveSpecification"]["AttributeName"].as_str()
    );

    // The pools: password policy, email as username, the staff pool's attribute and group.
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    for (pool_id, resource) in [
        (&stack.local.resources.partner_user_pool_id, "PartnerUserPool"),
        (&stack.local.resources.staff_user_pool_id, "StaffUserPool"),
    ] {
        let declared = &doc["Resources"][resource]["Properties"];
        let pool = cognito.describe_user_pool().user_pool_id(pool_id).send().await.unwrap().user_pool.unwrap();
        let policy = pool.policies().unwrap().password_policy().unwrap();
        let want = &declared["Policies"]["PasswordPolicy"];
        assert_eq!(i64::from(policy.minimum_length().unwrap()), want["MinimumLength"].as_i64().unwrap(), "{resource}");
        assert_eq!(Some(policy.require_uppercase()), want["RequireUppercase"].as_bool(), "{resource}");
        assert_eq!(Some(policy.require_lowercase()), want["RequireLowercase"].as_bool(), "{resource}");
        assert_eq!(Some(policy.require_numbers()), want["RequireNumbers"].as_bool(), "{resource}");
        assert_eq!(Some(policy.require_symbols()), want["RequireSymbols"].as_bool(), "{resource}");
        let usernames: Vec<&str> = pool.username_attributes().iter().map(|a| a.as_str()).collect();
        assert_eq!(usernames, ["email"], "{resource}");
        for attribute in declared["Schema"].as_vec().map(Vec::as_slice).unwrap_or_default() {
            let name = format!("custom:{}", attribute["Name"].as_str().unwrap());
            assert!(
                pool.schema_attributes().iter().any(|a| a.name() == Some(name.as_str())),
                "{resource} lacks {name}"
            );
        }
    }
    // Who may sign up, and what each client may read, write and do: as declared.
    for (pool_id, client_id, resource) in [
        (&stack.local.resources.partner_user_pool_id, &stack.local.resources.partner_client_id, "PartnerUserPool"),
        (&stack.local.resources.staff_user_pool_id, &stack.local.resources.staff_client_id, "StaffUserPool"),
    ] {
        let pool = cognito.describe_user_pool().user_pool_id(pool_id).send().await.unwrap().user_pool.unwrap();
        let admin_only = pool.admin_create_user_config().map(|c| c.allow_admin_create_user_only()).unwrap_or(false);
        let declared = &doc["Resources"][resource]["Properties"];
        assert_eq!(
            admin_only,
            declared["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"].as_bool().unwrap_or(false),
            "{resource}: AllowAdminCreateUserOnly"
        );
        let client = cognito
            .describe_user_pool_client()
            .user_pool_id(pool_id)
            .client_id(client_id)
            .send()
            .await
            .unwrap()
            .user_pool_client
            .unwrap();
        let declared = &doc["Resources"][format!("{resource}Client").as_str()]["Properties"];
        let list = |node: &Yaml| -> BTreeSet<String> {
            node.as_vec().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
        };
        let write: BTreeSet<String> = client.write_attributes().iter().cloned().collect();
        let read: BTreeSet<String> = client.read_attributes().iter().cloned().collect();
        assert_eq!(write, list(&declared["WriteAttributes"]), "{resource}: WriteAttributes");
        assert_eq!(read, list(&declared["ReadAttributes"]), "{resource}: ReadAttributes");
        for trusted in ["email", "custom:admin_scopes"] {
            assert!(!write.is_empty() && !write.contains(trusted), "{resource}: users may write {trusted}");
        }
        let flows: BTreeSet<String> = client.explicit_auth_flows().iter().map(|f| f.as_str().to_owned()).collect();
        assert_eq!(flows, list(&declared["ExplicitAuthFlows"]), "{resource}: ExplicitAuthFlows");
        assert_eq!(client.client_name(), declared["ClientName"].as_str(), "{resource}: ClientName");
        assert_eq!(
            client.prevent_user_existence_errors().map(|p| p.as_str()),
            declared["PreventUserExistenceErrors"].as_str(),
            "{resource}: PreventUserExistenceErrors"
        );
        assert_eq!(
            client.enable_token_revocation(),
            declared["EnableTokenRevocation"].as_bool(),
            "{resource}: EnableTokenRevocation"
        );
        assert!(client.client_secret().is_none(), "{resource}: a public client");
    }

    // CORS: the template's headers, methods and max age; its origins are the front end's two.
    let cors = &doc["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"];
    let preflight = stack
        .send(
            stack
                .http
                .request(reqwest::Method::OPTIONS, stack.url("/profile"))
                .header("origin", portal_e2e::PORTAL_URL)
                .header("access-control-request-method", "PUT"),
        )
        .await;
    let joined = |node: &Yaml| node.as_vec().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(",");
    assert_eq!(preflight.headers["access-control-allow-headers"], joined(&cors["AllowHeaders"]).as_str());
    assert_eq!(preflight.headers["access-control-allow-methods"], joined(&cors["AllowMethods"]).as_str());
    assert_eq!(
        preflight.headers["access-control-max-age"].to_str().unwrap(),
        cors["MaxAge"].as_i64().unwrap().to_string()
    );
    // An answer to the front end exposes what the template exposes: Retry-After, for 429s.
    let answer = stack.send(stack.http.get(stack.url("/categories")).header("origin", portal_e2e::PORTAL_URL)).await;
    assert_eq!(answer.headers["access-control-allow-origin"], portal_e2e::PORTAL_URL);
    assert_eq!(answer.headers["access-control-expose-headers"], joined(&cors["ExposeHeaders"]).as_str());
    assert!(joined(&cors["ExposeHeaders"]).to_ascii_lowercase().split(',').any(|h| h == "retry-after"));
    let stranger = stack.send(stack.http.get(stack.url("/categories")).header("origin", "https://elders.test")).await;
    assert!(!stranger.headers.contains_key("access-control-expose-headers"));
    let origins = format!("{:?}", cors["AllowOrigins"]);
    for parameter in ["PortalUrl", "BackofficeUrl"] {
        assert!(origins.contains(parameter), "the template's CORS origins lack {parameter}: {origins}");
    }
    assert!(!origins.contains('*'), "the template's CORS allows any origin");

    let group = doc["Resources"]["ModeratorsGroup"]["Properties"]["GroupName"].as_str().unwrap();
    cognito.get_group().user_pool_id(&stack.local.resources.staff_user_pool_id).group_name(group).send().await.unwrap();

    // The senders are the template's defaults.
    let senders: BTreeSet<&str> = ["MailFromAccounts", "MailFromAccess"]
        .iter()
        .map(|p| doc["Parameters"][*p]["Default"].as_str().unwrap())
        .collect();
    assert_eq!(senders, portal_local::provision::SENDERS.into_iter().collect());
}
