//! Creates on the emulator what template.yaml declares (the pools and clients with the settings
//! read from it, see [`crate::template`]): the table (keys, indexes, TTL), the
//! partner and staff user pools with their clients, the `moderators` group and the
//! `custom:admin_scopes` attribute, the SES sender identities, the logo bucket and the signing key.

use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AttributeDataType, ExplicitAuthFlowsType, PasswordPolicyType,
    PreventUserExistenceErrorTypes, SchemaAttributeType, StringAttributeConstraintsType, UserPoolPolicyType,
    UsernameAttributeType, UsernameConfigurationType,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use portal::adapters::aws::SdkConfig;
use serde::Serialize;

use crate::StackError;

/// The senders of the manual: accounts mail from info@, access requests from noreply@.
pub const SENDERS: [&str; 2] = ["info@informat.be", "noreply@informatsoftware.be"];
/// The table's global secondary indexes (generic key names; what each holds is documented in
/// shared/src/adapters/dynamo.rs).
pub const INDEXES: [&str; 3] = ["GSI1", "GSI2", "GSI3"];

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub region: String,
    pub table: String,
    pub partner_user_pool_id: String,
    pub partner_client_id: String,
    pub staff_user_pool_id: String,
    pub staff_client_id: String,
    pub logo_bucket: String,
    pub signing_key_id: String,
}

fn fail(what: &str) -> impl Fn(&dyn std::fmt::Display) -> StackError + '_ {
    move |e| StackError::Provision(format!("{what}: {e}"))
}

macro_rules! sdk {
    ($what:expr, $call:expr) => {
        $call.await.map_err(|e| {
            StackError::Provision(format!("{}: {}", $what, aws_sdk_dynamodb::error::DisplayErrorContext(&e)))
        })
    };
}

pub async fn provision(sdk: &SdkConfig, suffix: &str) -> Result<Resources, StackError> {
    let region = sdk.region().map(ToString::to_string).unwrap_or_else(|| "eu-west-1".into());
    let table = format!("portal-{suffix}");
    create_table(sdk, &table).await?;
    let (partner_user_pool_id, partner_client_id) =
        create_pool(sdk, &format!("portal-partners-{suffix}"), "PartnerUserPool", false).await?;
    let (staff_user_pool_id, staff_client_id) =
        create_pool(sdk, &format!("portal-staff-{suffix}"), "StaffUserPool", true).await?;

    let ses = aws_sdk_sesv2::Client::new(sdk);
    for sender in SENDERS {
        if let Err(e) = ses.create_email_identity().email_identity(sender).send().await {
            // A shared emulator may know the sender already.
            if e.as_service_error().is_none_or(|s| !s.is_already_exists_exception()) {
                return Err(StackError::Provision(format!(
                    "SES identity {sender}: {}",
                    aws_sdk_sesv2::error::DisplayErrorContext(&e)
                )));
            }
        }
    }

    let logo_bucket = format!("portal-logos-{suffix}");
    let s3 = aws_sdk_s3::Client::new(sdk);
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str()))
        .build();
    sdk!("S3 bucket", s3.create_bucket().bucket(&logo_bucket).create_bucket_configuration(location).send())?;

    let kms = aws_sdk_kms::Client::new(sdk);
    let key = sdk!(
        "KMS signing key",
        kms.create_key()
            .key_spec(KeySpec::EccNistP256)
            .key_usage(KeyUsageType::SignVerify)
            .description("Signs the portal's OAuth2 access tokens (ES256)")
            .send()
    )?;
    let signing_key_id = key
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .ok_or_else(|| StackError::Provision("KMS returned no key id".into()))?;

    Ok(Resources {
        region,
        table,
        partner_user_pool_id,
        partner_client_id,
        staff_user_pool_id,
        staff_client_id,
        logo_bucket,
        signing_key_id,
    })
}

fn attr(name: &str) -> Result<AttributeDefinition, StackError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| fail("table attribute")(&e))
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StackError> {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(|e| fail("table key")(&e))
}

async fn create_table(sdk: &SdkConfig, table: &str) -> Result<(), StackError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let mut request = dynamo
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("PK")?)
        .attribute_definitions(attr("SK")?)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?);
    for index in INDEXES {
        let (pk, sk) = (format!("{index}PK"), format!("{index}SK"));
        request = request.attribute_definitions(attr(&pk)?).attribute_definitions(attr(&sk)?).global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key(&pk, KeyType::Hash)?)
                .key_schema(key(&sk, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(|e| fail("table index")(&e))?,
        );
    }
    sdk!("DynamoDB table", request.send())?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("ttl")
        .enabled(true)
        .build()
        .map_err(|e| fail("table TTL")(&e))?;
    sdk!("DynamoDB TTL", dynamo.update_time_to_live().table_name(table).time_to_live_specification(ttl).send())?;
    Ok(())
}

/// A user pool and its one public client (no secret) for the web front end, both with the
/// settings of template.yaml's `<resource>` and `<resource>Client` (see [`crate::template`]).
async fn create_pool(sdk: &SdkConfig, name: &str, resource: &str, staff: bool) -> Result<(String, String), StackError> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let declared = crate::template::pool(resource)?;
    let policy = PasswordPolicyType::builder()
        .minimum_length(declared.password.minimum_length)
        .require_uppercase(declared.password.require_uppercase)
        .require_lowercase(declared.password.require_lowercase)
        .require_numbers(declared.password.require_numbers)
        .require_symbols(declared.password.require_symbols)
        .build();
    let mut request = cognito
        .create_user_pool()
        .pool_name(name)
        .username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(declared.case_sensitive)
                .build()
                .map_err(|e| fail("pool")(&e))?,
        )
        .admin_create_user_config(
            AdminCreateUserConfigType::builder().allow_admin_create_user_only(declared.admin_create_user_only).build(),
        )
        .policies(UserPoolPolicyType::builder().password_policy(policy).build());
    for attribute in &declared.username_attributes {
        request = request.username_attributes(UsernameAttributeType::from(attribute.as_str()));
    }
    for attribute in &declared.custom_attributes {
        request = request.schema(
            SchemaAttributeType::builder()
                .name(&attribute.name)
                .attribute_data_type(AttributeDataType::String)
                .mutable(attribute.mutable)
                .set_string_attribute_constraints(Some(
                    StringAttributeConstraintsType::builder()
                        .set_min_length(attribute.min_length.clone())
                        .set_max_length(attribute.max_length.clone())
                        .build(),
                ))
                .build(),
        );
    }
    let pool = sdk!("user pool", request.send())?;
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .ok_or_else(|| StackError::Provision("the user pool has no id".into()))?
        .to_owned();
    let declared = crate::template::client(&format!("{resource}Client"))?;
    let mut request = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(&declared.name)
        .generate_secret(declared.generate_secret)
        .enable_token_revocation(declared.enable_token_revocation)
        .set_read_attributes(Some(declared.read_attributes.clone()).filter(|a| !a.is_empty()))
        .set_write_attributes(Some(declared.write_attributes.clone()).filter(|a| !a.is_empty()));
    for flow in &declared.explicit_auth_flows {
        request = request.explicit_auth_flows(ExplicitAuthFlowsType::from(flow.as_str()));
    }
    if let Some(prevent) = &declared.prevent_user_existence_errors {
        request = request.prevent_user_existence_errors(PreventUserExistenceErrorTypes::from(prevent.as_str()));
    }
    let client = sdk!("user pool client", request.send())?;
    let client_id = client
        .user_pool_client()
        .and_then(|c| c.client_id())
        .ok_or_else(|| StackError::Provision("the user pool client has no id".into()))?
        .to_owned();
    if staff {
        sdk!(
            "moderators group",
            cognito
                .create_group()
                .user_pool_id(&pool_id)
                .group_name("moderators")
                .description("Informat: moderates applications and partner profiles")
                .send()
        )?;
    }
    Ok((pool_id, client_id))
}
