//! S3 bucket reads and KMS DescribeKey.

use std::collections::BTreeMap;

use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
use aws_sdk_s3::operation::get_bucket_logging::GetBucketLoggingOutput;
use aws_sdk_s3::operation::get_bucket_ownership_controls::GetBucketOwnershipControlsOutput;
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::get_bucket_policy_status::GetBucketPolicyStatusOutput;
use aws_sdk_s3::operation::get_bucket_replication::GetBucketReplicationOutput;
use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
use aws_sdk_s3::operation::get_object_lock_configuration::GetObjectLockConfigurationOutput;
use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput;
use aws_sdk_s3::types as s3;
use bucketwarden_core::snapshot::{
    BlockedEncryptionTypes, BucketAcl, BucketEncryption, BucketLogging, BucketOwnershipControls,
    BucketPolicy, BucketPolicyStatus, BucketReplication, BucketVersioning, DescribeKey,
    EncryptionByDefault, EncryptionRule, Grant, Grantee, KeyMetadata, LoggingEnabled,
    ObjectLockConfiguration, ObjectLockSettings, Owner, OwnershipControls, OwnershipControlsRule,
    PolicyStatus, PublicAccessBlock, PublicAccessBlockConfiguration, ReplicationConfiguration,
    ServerSideEncryptionConfiguration,
};
use serde_json::Value;

use super::{JsonObject, strings, timestamp};

pub(crate) fn bucket_policy(output: GetBucketPolicyOutput) -> BucketPolicy {
    BucketPolicy {
        policy: output.policy,
    }
}

pub(crate) fn bucket_policy_status(output: GetBucketPolicyStatusOutput) -> BucketPolicyStatus {
    BucketPolicyStatus {
        policy_status: output.policy_status.map(|status| PolicyStatus {
            is_public: status.is_public,
        }),
    }
}

pub(crate) fn public_access_block(output: GetPublicAccessBlockOutput) -> PublicAccessBlock {
    PublicAccessBlock {
        public_access_block_configuration: output.public_access_block_configuration.map(|config| {
            PublicAccessBlockConfiguration {
                block_public_acls: config.block_public_acls,
                ignore_public_acls: config.ignore_public_acls,
                block_public_policy: config.block_public_policy,
                restrict_public_buckets: config.restrict_public_buckets,
            }
        }),
    }
}

pub(crate) fn bucket_acl(output: GetBucketAclOutput) -> BucketAcl {
    BucketAcl {
        owner: output.owner.map(owner),
        grants: output
            .grants
            .unwrap_or_default()
            .into_iter()
            .map(grant)
            .collect(),
    }
}

fn owner(owner: s3::Owner) -> Owner {
    Owner {
        id: owner.id,
        display_name: owner.display_name,
    }
}

fn grant(grant: s3::Grant) -> Grant {
    Grant {
        grantee: grant.grantee.map(grantee).unwrap_or_default(),
        permission: grant
            .permission
            .map(|permission| permission.as_str().to_owned()),
    }
}

fn grantee(grantee: s3::Grantee) -> Grantee {
    Grantee {
        grantee_type: Some(grantee.r#type.as_str().to_owned()),
        id: grantee.id,
        uri: grantee.uri,
        display_name: grantee.display_name,
        email_address: grantee.email_address,
    }
}

pub(crate) fn ownership_controls(
    output: GetBucketOwnershipControlsOutput,
) -> BucketOwnershipControls {
    BucketOwnershipControls {
        ownership_controls: output.ownership_controls.map(|controls| OwnershipControls {
            rules: controls
                .rules
                .into_iter()
                .map(|rule| OwnershipControlsRule {
                    object_ownership: rule.object_ownership.as_str().to_owned(),
                })
                .collect(),
        }),
    }
}

pub(crate) fn bucket_encryption(output: GetBucketEncryptionOutput) -> BucketEncryption {
    BucketEncryption {
        server_side_encryption_configuration: output.server_side_encryption_configuration.map(
            |config| ServerSideEncryptionConfiguration {
                rules: config.rules.into_iter().map(encryption_rule).collect(),
            },
        ),
    }
}

fn encryption_rule(rule: s3::ServerSideEncryptionRule) -> EncryptionRule {
    EncryptionRule {
        apply_server_side_encryption_by_default: rule.apply_server_side_encryption_by_default.map(
            |default| EncryptionByDefault {
                sse_algorithm: default.sse_algorithm.as_str().to_owned(),
                kms_master_key_id: default.kms_master_key_id,
                extra: Default::default(),
            },
        ),
        bucket_key_enabled: rule.bucket_key_enabled,
        blocked_encryption_types: rule.blocked_encryption_types.map(|blocked| {
            BlockedEncryptionTypes {
                encryption_type: strings(blocked.encryption_type.as_deref().unwrap_or_default()),
            }
        }),
        extra: Default::default(),
    }
}

pub(crate) fn bucket_versioning(output: GetBucketVersioningOutput) -> BucketVersioning {
    BucketVersioning {
        status: output.status.map(|status| status.as_str().to_owned()),
        mfa_delete: output.mfa_delete.map(|mfa| mfa.as_str().to_owned()),
    }
}

/// NOTE: `TargetGrants` and `TargetObjectKeyFormat` are dropped, because the
/// snapshot's `LoggingEnabled` has no field for them.
pub(crate) fn bucket_logging(output: GetBucketLoggingOutput) -> BucketLogging {
    BucketLogging {
        logging_enabled: output.logging_enabled.map(|logging| LoggingEnabled {
            target_bucket: logging.target_bucket,
            target_prefix: Some(logging.target_prefix),
        }),
    }
}

pub(crate) fn object_lock_configuration(
    output: GetObjectLockConfigurationOutput,
) -> ObjectLockConfiguration {
    ObjectLockConfiguration {
        object_lock_configuration: output.object_lock_configuration.map(|config| {
            ObjectLockSettings {
                object_lock_enabled: config
                    .object_lock_enabled
                    .map(|enabled| enabled.as_str().to_owned()),
                rule: config.rule.map(object_lock_rule),
            }
        }),
    }
}

fn object_lock_rule(rule: s3::ObjectLockRule) -> Value {
    let retention = rule.default_retention.map(|retention| {
        JsonObject::default()
            .field("Mode", retention.mode.map(|mode| mode.as_str().to_owned()))
            .field("Days", retention.days)
            .field("Years", retention.years)
            .field(
                "DefaultEventHold",
                retention.default_event_hold.map(|hold| {
                    JsonObject::default()
                        .field("Days", hold.days)
                        .field("Years", hold.years)
                        .build()
                }),
            )
            .build()
    });
    JsonObject::default()
        .field("DefaultRetention", retention)
        .build()
}

pub(crate) fn bucket_replication(output: GetBucketReplicationOutput) -> BucketReplication {
    BucketReplication {
        replication_configuration: output.replication_configuration.map(|config| {
            ReplicationConfiguration {
                role: Some(config.role),
                rules: config.rules.into_iter().map(replication_rule).collect(),
            }
        }),
    }
}

// The rule-level `Prefix` is deprecated in favor of `Filter`, but rules written
// in the V1 schema still carry it.
#[allow(deprecated)]
fn replication_rule(rule: s3::ReplicationRule) -> Value {
    JsonObject::default()
        .field("ID", rule.id)
        .field("Priority", rule.priority)
        .field("Prefix", rule.prefix)
        .field("Filter", rule.filter.map(replication_filter))
        .field("Status", Some(rule.status.as_str()))
        .field(
            "SourceSelectionCriteria",
            rule.source_selection_criteria
                .map(source_selection_criteria),
        )
        .field(
            "ExistingObjectReplication",
            rule.existing_object_replication
                .map(|existing| status_object(existing.status.as_str())),
        )
        .field("Destination", rule.destination.map(replication_destination))
        .field(
            "DeleteMarkerReplication",
            rule.delete_marker_replication.map(|delete_markers| {
                JsonObject::default()
                    .field(
                        "Status",
                        delete_markers
                            .status
                            .map(|status| status.as_str().to_owned()),
                    )
                    .build()
            }),
        )
        .build()
}

fn status_object(status: &str) -> Value {
    JsonObject::default().field("Status", Some(status)).build()
}

fn tag(tag: s3::Tag) -> Value {
    JsonObject::default()
        .field("Key", Some(tag.key))
        .field("Value", Some(tag.value))
        .build()
}

fn replication_filter(filter: s3::ReplicationRuleFilter) -> Value {
    let and = filter.and.map(|and| {
        JsonObject::default()
            .field("Prefix", and.prefix)
            .field(
                "Tags",
                and.tags
                    .map(|tags| tags.into_iter().map(tag).collect::<Vec<_>>()),
            )
            .build()
    });
    JsonObject::default()
        .field("Prefix", filter.prefix)
        .field("Tag", filter.tag.map(tag))
        .field("And", and)
        .build()
}

fn source_selection_criteria(criteria: s3::SourceSelectionCriteria) -> Value {
    JsonObject::default()
        .field(
            "SseKmsEncryptedObjects",
            criteria
                .sse_kms_encrypted_objects
                .map(|objects| status_object(objects.status.as_str())),
        )
        .field(
            "ReplicaModifications",
            criteria
                .replica_modifications
                .map(|modifications| status_object(modifications.status.as_str())),
        )
        .build()
}

fn replication_time_value(value: s3::ReplicationTimeValue) -> Value {
    JsonObject::default()
        .field("Minutes", value.minutes)
        .build()
}

fn replication_destination(destination: s3::Destination) -> Value {
    JsonObject::default()
        .field("Bucket", Some(destination.bucket))
        .field("Account", destination.account)
        .field(
            "StorageClass",
            destination
                .storage_class
                .map(|class| class.as_str().to_owned()),
        )
        .field(
            "AccessControlTranslation",
            destination.access_control_translation.map(|translation| {
                JsonObject::default()
                    .field("Owner", Some(translation.owner.as_str()))
                    .build()
            }),
        )
        .field(
            "EncryptionConfiguration",
            destination.encryption_configuration.map(|encryption| {
                JsonObject::default()
                    .field("ReplicaKmsKeyID", encryption.replica_kms_key_id)
                    .build()
            }),
        )
        .field(
            "ReplicationTime",
            destination.replication_time.map(|time| {
                JsonObject::default()
                    .field("Status", Some(time.status.as_str()))
                    .field("Time", time.time.map(replication_time_value))
                    .build()
            }),
        )
        .field(
            "Metrics",
            destination.metrics.map(|metrics| {
                JsonObject::default()
                    .field("Status", Some(metrics.status.as_str()))
                    .field(
                        "EventThreshold",
                        metrics.event_threshold.map(replication_time_value),
                    )
                    .build()
            }),
        )
        .build()
}

/// Converts the tag set into a map. A repeated key keeps its last value.
pub(crate) fn bucket_tags(output: GetBucketTaggingOutput) -> BTreeMap<String, String> {
    output
        .tag_set
        .into_iter()
        .map(|tag| (tag.key, tag.value))
        .collect()
}

pub(crate) fn describe_key(output: DescribeKeyOutput) -> DescribeKey {
    DescribeKey {
        key_metadata: output.key_metadata.map(key_metadata),
    }
}

fn key_metadata(metadata: aws_sdk_kms::types::KeyMetadata) -> KeyMetadata {
    let extra = JsonObject::default()
        .field("AWSAccountId", metadata.aws_account_id)
        .field(
            "CreationDate",
            metadata.creation_date.as_ref().and_then(timestamp),
        )
        .field("Enabled", Some(metadata.enabled))
        .field("Description", metadata.description)
        .field(
            "KeyUsage",
            metadata.key_usage.map(|usage| usage.as_str().to_owned()),
        )
        .field(
            "DeletionDate",
            metadata.deletion_date.as_ref().and_then(timestamp),
        )
        .field("ValidTo", metadata.valid_to.as_ref().and_then(timestamp))
        .field(
            "Origin",
            metadata.origin.map(|origin| origin.as_str().to_owned()),
        )
        .field("CustomKeyStoreId", metadata.custom_key_store_id)
        .field(
            "ExpirationModel",
            metadata
                .expiration_model
                .map(|model| model.as_str().to_owned()),
        )
        .field(
            "KeySpec",
            metadata.key_spec.map(|spec| spec.as_str().to_owned()),
        )
        .field(
            "EncryptionAlgorithms",
            metadata.encryption_algorithms.as_deref().map(strings),
        )
        .field("MultiRegion", metadata.multi_region)
        .field(
            "PendingDeletionWindowInDays",
            metadata.pending_deletion_window_in_days,
        )
        .into_map();
    KeyMetadata {
        key_id: Some(metadata.key_id),
        arn: metadata.arn,
        key_manager: metadata
            .key_manager
            .map(|manager| manager.as_str().to_owned()),
        key_state: metadata.key_state.map(|state| state.as_str().to_owned()),
        extra,
    }
}

/// Lists the KMS key ids that the encryption rules name for `aws:kms` or
/// `aws:kms:dsse`, as spelled in the rules, without repeats.
pub(crate) fn kms_key_ids(encryption: &BucketEncryption) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let rules = encryption
        .server_side_encryption_configuration
        .iter()
        .flat_map(|config| config.rules.iter());
    for rule in rules {
        let Some(default) = &rule.apply_server_side_encryption_by_default else {
            continue;
        };
        if !matches!(default.sse_algorithm.as_str(), "aws:kms" | "aws:kms:dsse") {
            continue;
        }
        if let Some(id) = default
            .kms_master_key_id
            .as_ref()
            .filter(|id| !id.is_empty())
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encryption_keeps_blocked_types() {
        let rule = s3::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                s3::ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(s3::ServerSideEncryption::AwsKms)
                    .kms_master_key_id("alias/data")
                    .build()
                    .unwrap(),
            )
            .bucket_key_enabled(true)
            .blocked_encryption_types(
                s3::BlockedEncryptionTypes::builder()
                    .encryption_type(s3::EncryptionType::SseC)
                    .build(),
            )
            .build();
        let output = GetBucketEncryptionOutput::builder()
            .server_side_encryption_configuration(
                s3::ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .build();

        let converted = serde_json::to_value(bucket_encryption(output)).unwrap();

        assert_eq!(
            converted,
            json!({"ServerSideEncryptionConfiguration": {"Rules": [{
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "alias/data"
                },
                "BucketKeyEnabled": true,
                "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}
            }]}})
        );
    }

    #[test]
    fn kms_key_ids_only_for_kms_rules() {
        let encryption: BucketEncryption = serde_json::from_value(json!({
            "ServerSideEncryptionConfiguration": {"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}},
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}},
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k1"}},
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "k2"}},
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k1"}}
            ]}
        }))
        .unwrap();

        assert_eq!(kms_key_ids(&encryption), vec!["k1", "k2"]);
    }

    #[test]
    fn acl_grants_keep_grantee_fields() {
        let output = GetBucketAclOutput::builder()
            .owner(s3::Owner::builder().id("owner-id").build())
            .grants(
                s3::Grant::builder()
                    .grantee(
                        s3::Grantee::builder()
                            .r#type(s3::Type::Group)
                            .uri("http://acs.amazonaws.com/groups/global/AllUsers")
                            .build()
                            .unwrap(),
                    )
                    .permission(s3::Permission::Read)
                    .build(),
            )
            .build();

        let converted = serde_json::to_value(bucket_acl(output)).unwrap();

        assert_eq!(
            converted,
            json!({
                "Owner": {"ID": "owner-id"},
                "Grants": [{
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                    "Permission": "READ"
                }]
            })
        );
    }

    #[test]
    fn replication_rule_shape() {
        let rule = s3::ReplicationRule::builder()
            .id("to-backup")
            .priority(1)
            .filter(s3::ReplicationRuleFilter::builder().prefix("logs/").build())
            .status(s3::ReplicationRuleStatus::Enabled)
            .destination(
                s3::Destination::builder()
                    .bucket("arn:aws:s3:::backup")
                    .storage_class(s3::StorageClass::StandardIa)
                    .build()
                    .unwrap(),
            )
            .delete_marker_replication(
                s3::DeleteMarkerReplication::builder()
                    .status(s3::DeleteMarkerReplicationStatus::Disabled)
                    .build(),
            )
            .build()
            .unwrap();

        assert_eq!(
            replication_rule(rule),
            json!({
                "ID": "to-backup",
                "Priority": 1,
                "Filter": {"Prefix": "logs/"},
                "Status": "Enabled",
                "Destination": {"Bucket": "arn:aws:s3:::backup", "StorageClass": "STANDARD_IA"},
                "DeleteMarkerReplication": {"Status": "Disabled"}
            })
        );
    }

    #[test]
    fn object_lock_rule_shape() {
        let output = GetObjectLockConfigurationOutput::builder()
            .object_lock_configuration(
                s3::ObjectLockConfiguration::builder()
                    .object_lock_enabled(s3::ObjectLockEnabled::Enabled)
                    .rule(
                        s3::ObjectLockRule::builder()
                            .default_retention(
                                s3::DefaultRetention::builder()
                                    .mode(s3::ObjectLockRetentionMode::Governance)
                                    .days(30)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();

        let converted = serde_json::to_value(object_lock_configuration(output)).unwrap();

        assert_eq!(
            converted,
            json!({"ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}
            }})
        );
    }
}
