//! Reading and writing one bucket setting, in the JSON shapes that plans carry
//! (the AWS CLI's response shapes, as in snapshots).

use aws_sdk_s3::types as s3;
use bucketwarden_core::Setting;
use bucketwarden_core::snapshot::{
    AdvancedEventSelector, BucketAcl, BucketEncryption, BucketLogging, BucketOwnershipControls,
    CallError, EventSelector, EventSelectors, PublicAccessBlock,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tracing::info;

use crate::context::AwsContext;
use crate::convert::{account as convert_account, bucket as convert};
use crate::err::call_error;

/// Builds the error for a setting value that does not have the shape its write call needs.
fn invalid(call: &str, reason: impl std::fmt::Display) -> CallError {
    CallError::new("InvalidPlanValue", format!("{call}: {reason}"))
}

fn parse<T: DeserializeOwned>(call: &str, value: &Value) -> Result<T, CallError> {
    serde_json::from_value(value.clone()).map_err(|error| invalid(call, error))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, CallError> {
    serde_json::to_value(value).map_err(|error| invalid("serialise", error))
}

/// `Ok(None)` for a documented absence code, the error otherwise.
fn absent_or<T>(result: Result<T, CallError>) -> Result<Option<T>, CallError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_absence() => Ok(None),
        Err(error) => Err(error),
    }
}

impl AwsContext {
    /// Reads the current value of a setting; `None` when it is absent.
    pub async fn read_setting(
        &self,
        bucket: &str,
        setting: &Setting,
    ) -> Result<Option<Value>, CallError> {
        // Trail selectors live in the trail's home region, not the bucket's, and can be
        // read before the bucket exists.
        if let Setting::TrailEventSelectors {
            trail_arn,
            home_region,
        } = setting
        {
            let output = self
                .clients()
                .cloudtrail(home_region)
                .get_event_selectors()
                .trail_name(trail_arn)
                .send()
                .await
                .map_err(|error| call_error(&error))?;
            return to_json(&convert_account::event_selectors(output)).map(Some);
        }
        let region = self.region_for_write(bucket).await?;
        let region = region.as_str();
        match setting {
            Setting::BucketPolicy => {
                let output = absent_or(
                    self.read_s3("GetBucketPolicy", bucket, region, |s3| {
                        s3.get_bucket_policy().bucket(bucket).send()
                    })
                    .await,
                )?;
                let Some(text) = output.and_then(|output| output.policy) else {
                    return Ok(None);
                };
                bucketwarden_core::policy::parse_json_strict(&text)
                    .map(Some)
                    .map_err(|error| {
                        invalid(
                            "GetBucketPolicy",
                            format!("the policy is not valid JSON: {error}"),
                        )
                    })
            }
            Setting::Encryption => absent_or(
                self.read_s3("GetBucketEncryption", bucket, region, |s3| {
                    s3.get_bucket_encryption().bucket(bucket).send()
                })
                .await,
            )?
            .map(|output| to_json(&convert::bucket_encryption(output)))
            .transpose(),
            Setting::PublicAccessBlock => absent_or(
                self.read_s3("GetPublicAccessBlock", bucket, region, |s3| {
                    s3.get_public_access_block().bucket(bucket).send()
                })
                .await,
            )?
            .map(|output| to_json(&convert::public_access_block(output)))
            .transpose(),
            Setting::Versioning => {
                let output = self
                    .read_s3("GetBucketVersioning", bucket, region, |s3| {
                        s3.get_bucket_versioning().bucket(bucket).send()
                    })
                    .await?;
                to_json(&convert::bucket_versioning(output)).map(Some)
            }
            Setting::Logging => {
                let output = self
                    .read_s3("GetBucketLogging", bucket, region, |s3| {
                        s3.get_bucket_logging().bucket(bucket).send()
                    })
                    .await?;
                to_json(&convert::bucket_logging(output)).map(Some)
            }
            Setting::Acl => {
                let output = self
                    .read_s3("GetBucketAcl", bucket, region, |s3| {
                        s3.get_bucket_acl().bucket(bucket).send()
                    })
                    .await?;
                to_json(&convert::bucket_acl(output)).map(Some)
            }
            Setting::OwnershipControls => absent_or(
                self.read_s3("GetBucketOwnershipControls", bucket, region, |s3| {
                    s3.get_bucket_ownership_controls().bucket(bucket).send()
                })
                .await,
            )?
            .map(|output| to_json(&convert::ownership_controls(output)))
            .transpose(),
            Setting::Abac => {
                let output = self
                    .read_s3("GetBucketAbac", bucket, region, |s3| {
                        s3.get_bucket_abac().bucket(bucket).send()
                    })
                    .await?;
                let status = output
                    .abac_status
                    .and_then(|status| status.status)
                    .map(|status| status.as_str().to_owned());
                Ok(Some(
                    json!({"Status": status.unwrap_or_else(|| "Disabled".to_owned())}),
                ))
            }
            Setting::TrailEventSelectors { .. } => Ok(None),
        }
    }

    /// Writes a setting. `None` removes it, for the settings S3 can delete
    /// (policy, encryption, Block Public Access, ownership controls).
    pub async fn write_setting(
        &self,
        bucket: &str,
        setting: &Setting,
        value: Option<&Value>,
    ) -> Result<(), CallError> {
        if let (
            Setting::TrailEventSelectors {
                trail_arn,
                home_region,
            },
            Some(value),
        ) = (setting, value)
        {
            info!(bucket, region = %home_region, call = "PutEventSelectors", trail = %trail_arn, "writing setting");
            let selectors = parse::<EventSelectors>("PutEventSelectors", value)?;
            return self
                .put_event_selectors(trail_arn, home_region, &selectors)
                .await;
        }
        let region = self.region_for_write(bucket).await?;
        let s3 = self.clients().s3(&region);
        let call = setting.call();
        info!(bucket, region = %region, call, "writing setting");
        match (setting, value) {
            (Setting::BucketPolicy, None | Some(Value::Null)) => s3
                .delete_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .map(drop)
                .map_err(|e| call_error(&e)),
            (Setting::BucketPolicy, Some(document)) => {
                let text = serde_json::to_string(document).map_err(|error| invalid(call, error))?;
                s3.put_bucket_policy()
                    .bucket(bucket)
                    .policy(text)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::Encryption, Some(value)) => {
                let configuration =
                    encryption_configuration(&parse::<BucketEncryption>(call, value)?)?;
                s3.put_bucket_encryption()
                    .bucket(bucket)
                    .server_side_encryption_configuration(configuration)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::Encryption, None) => s3
                .delete_bucket_encryption()
                .bucket(bucket)
                .send()
                .await
                .map(drop)
                .map_err(|e| call_error(&e)),
            (Setting::PublicAccessBlock, Some(value)) => {
                let flags = parse::<PublicAccessBlock>(call, value)?
                    .public_access_block_configuration
                    .unwrap_or_default();
                let configuration = s3::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(flags.block_public_acls.unwrap_or(false))
                    .ignore_public_acls(flags.ignore_public_acls.unwrap_or(false))
                    .block_public_policy(flags.block_public_policy.unwrap_or(false))
                    .restrict_public_buckets(flags.restrict_public_buckets.unwrap_or(false))
                    .build();
                s3.put_public_access_block()
                    .bucket(bucket)
                    .public_access_block_configuration(configuration)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::PublicAccessBlock, None) => s3
                .delete_public_access_block()
                .bucket(bucket)
                .send()
                .await
                .map(drop)
                .map_err(|e| call_error(&e)),
            (Setting::Versioning, Some(value)) => {
                let status = value
                    .get("Status")
                    .and_then(Value::as_str)
                    .unwrap_or("Suspended");
                s3.put_bucket_versioning()
                    .bucket(bucket)
                    .versioning_configuration(
                        s3::VersioningConfiguration::builder()
                            .status(s3::BucketVersioningStatus::from(status))
                            .build(),
                    )
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::Logging, Some(value)) => {
                let logging = parse::<BucketLogging>(call, value)?;
                let mut status = s3::BucketLoggingStatus::builder();
                if let Some(enabled) = logging.logging_enabled {
                    status = status.logging_enabled(
                        s3::LoggingEnabled::builder()
                            .target_bucket(enabled.target_bucket)
                            .target_prefix(enabled.target_prefix.unwrap_or_default())
                            .build()
                            .map_err(|error| invalid(call, error))?,
                    );
                }
                s3.put_bucket_logging()
                    .bucket(bucket)
                    .bucket_logging_status(status.build())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::Acl, Some(value)) => {
                let policy = access_control_policy(&parse::<BucketAcl>(call, value)?)?;
                s3.put_bucket_acl()
                    .bucket(bucket)
                    .access_control_policy(policy)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::OwnershipControls, Some(value)) => {
                let controls = parse::<BucketOwnershipControls>(call, value)?;
                let mut builder = s3::OwnershipControls::builder();
                for rule in controls
                    .ownership_controls
                    .map(|c| c.rules)
                    .unwrap_or_default()
                {
                    builder = builder.rules(
                        s3::OwnershipControlsRule::builder()
                            .object_ownership(s3::ObjectOwnership::from(
                                rule.object_ownership.as_str(),
                            ))
                            .build()
                            .map_err(|error| invalid(call, error))?,
                    );
                }
                s3.put_bucket_ownership_controls()
                    .bucket(bucket)
                    .ownership_controls(builder.build().map_err(|error| invalid(call, error))?)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (Setting::OwnershipControls, None) => s3
                .delete_bucket_ownership_controls()
                .bucket(bucket)
                .send()
                .await
                .map(drop)
                .map_err(|e| call_error(&e)),
            (Setting::Abac, Some(value)) => {
                let status = value
                    .get("Status")
                    .and_then(Value::as_str)
                    .unwrap_or("Disabled");
                s3.put_bucket_abac()
                    .bucket(bucket)
                    .abac_status(
                        s3::AbacStatus::builder()
                            .status(s3::BucketAbacStatus::from(status))
                            .build(),
                    )
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| call_error(&e))
            }
            (
                Setting::TrailEventSelectors {
                    trail_arn,
                    home_region,
                },
                Some(value),
            ) => {
                self.put_event_selectors(
                    trail_arn,
                    home_region,
                    &parse::<EventSelectors>(call, value)?,
                )
                .await
            }
            (_, None) => Err(invalid(
                call,
                "this setting cannot be removed; write its previous value instead",
            )),
        }
    }

    /// Returns the bucket's region for writes; a failed lookup stops the write.
    async fn region_for_write(&self, bucket: &str) -> Result<String, CallError> {
        self.bucket_region(bucket)
            .await
            .map_err(|error| match error.call_error() {
                Some(call_error) => call_error.clone(),
                None => CallError::new("RegionUnknown", error.to_string()),
            })
    }

    async fn put_event_selectors(
        &self,
        trail_arn: &str,
        home_region: &str,
        selectors: &EventSelectors,
    ) -> Result<(), CallError> {
        let client = self.clients().cloudtrail(home_region);
        let request = client.put_event_selectors().trail_name(trail_arn);
        let request = match (
            &selectors.advanced_event_selectors,
            &selectors.event_selectors,
        ) {
            (Some(advanced), _) if !advanced.is_empty() => {
                let mut request = request;
                for selector in advanced {
                    request = request.advanced_event_selectors(advanced_selector(selector)?);
                }
                request
            }
            (_, Some(basic)) => {
                let mut request = request;
                for selector in basic {
                    request = request.event_selectors(basic_selector(selector));
                }
                request
            }
            _ => return Err(invalid("PutEventSelectors", "no selectors to write")),
        };
        request.send().await.map(drop).map_err(|e| call_error(&e))
    }
}

fn encryption_configuration(
    encryption: &BucketEncryption,
) -> Result<s3::ServerSideEncryptionConfiguration, CallError> {
    let call = "PutBucketEncryption";
    let rules = encryption
        .server_side_encryption_configuration
        .as_ref()
        .map(|configuration| configuration.rules.clone())
        .unwrap_or_default();
    let mut builder = s3::ServerSideEncryptionConfiguration::builder();
    for rule in rules {
        let mut sdk_rule =
            s3::ServerSideEncryptionRule::builder().set_bucket_key_enabled(rule.bucket_key_enabled);
        if let Some(default) = rule.apply_server_side_encryption_by_default {
            sdk_rule = sdk_rule.apply_server_side_encryption_by_default(
                s3::ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(s3::ServerSideEncryption::from(
                        default.sse_algorithm.as_str(),
                    ))
                    .set_kms_master_key_id(default.kms_master_key_id)
                    .build()
                    .map_err(|error| invalid(call, error))?,
            );
        }
        if let Some(blocked) = rule.blocked_encryption_types {
            let mut types = s3::BlockedEncryptionTypes::builder();
            for kind in blocked.encryption_type {
                types = types.encryption_type(s3::EncryptionType::from(kind.as_str()));
            }
            sdk_rule = sdk_rule.blocked_encryption_types(types.build());
        }
        builder = builder.rules(sdk_rule.build());
    }
    builder.build().map_err(|error| invalid(call, error))
}

fn access_control_policy(acl: &BucketAcl) -> Result<s3::AccessControlPolicy, CallError> {
    let call = "PutBucketAcl";
    let mut policy = s3::AccessControlPolicy::builder();
    if let Some(owner) = &acl.owner {
        policy = policy.owner(
            s3::Owner::builder()
                .set_id(owner.id.clone())
                .set_display_name(owner.display_name.clone())
                .build(),
        );
    }
    for grant in &acl.grants {
        let grantee_type = grant
            .grantee
            .grantee_type
            .as_deref()
            .unwrap_or("CanonicalUser");
        let grantee = s3::Grantee::builder()
            .r#type(s3::Type::from(grantee_type))
            .set_id(grant.grantee.id.clone())
            .set_uri(grant.grantee.uri.clone())
            .set_email_address(grant.grantee.email_address.clone())
            .set_display_name(grant.grantee.display_name.clone())
            .build()
            .map_err(|error| invalid(call, error))?;
        policy = policy.grants(
            s3::Grant::builder()
                .grantee(grantee)
                .set_permission(grant.permission.as_deref().map(s3::Permission::from))
                .build(),
        );
    }
    Ok(policy.build())
}

/// Returns the `ExcludeManagementEventSources` that the snapshot types keep among unmodelled fields.
fn excluded_sources(selector: &EventSelector) -> Option<Vec<String>> {
    let sources = selector
        .extra
        .get("ExcludeManagementEventSources")?
        .as_array()?;
    Some(
        sources
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

fn basic_selector(selector: &EventSelector) -> aws_sdk_cloudtrail::types::EventSelector {
    use aws_sdk_cloudtrail::types as ct;
    let mut builder = ct::EventSelector::builder()
        .set_read_write_type(
            selector
                .read_write_type
                .as_deref()
                .map(ct::ReadWriteType::from),
        )
        .set_include_management_events(selector.include_management_events)
        .set_exclude_management_event_sources(excluded_sources(selector));
    for resource in &selector.data_resources {
        builder = builder.data_resources(
            ct::DataResource::builder()
                .set_type(resource.resource_type.clone())
                .set_values(Some(resource.values.clone()))
                .build(),
        );
    }
    builder.build()
}

fn advanced_selector(
    selector: &AdvancedEventSelector,
) -> Result<aws_sdk_cloudtrail::types::AdvancedEventSelector, CallError> {
    use aws_sdk_cloudtrail::types as ct;
    let call = "PutEventSelectors";
    let mut builder = ct::AdvancedEventSelector::builder().set_name(selector.name.clone());
    for field in &selector.field_selectors {
        builder = builder.field_selectors(
            ct::AdvancedFieldSelector::builder()
                .field(&field.field)
                .set_equals(field.equals.clone())
                .set_starts_with(field.starts_with.clone())
                .set_ends_with(field.ends_with.clone())
                .set_not_equals(field.not_equals.clone())
                .set_not_starts_with(field.not_starts_with.clone())
                .set_not_ends_with(field.not_ends_with.clone())
                .build()
                .map_err(|error| invalid(call, error))?,
        );
    }
    builder.build().map_err(|error| invalid(call, error))
}
