//! Planning: which write calls fix which controls, computed from a snapshot.
//!
//! Steps on the same setting are merged into one call (the TLS statement and the
//! removal of public statements make one PutBucketPolicy), and steps run in a fixed
//! order: Block Public Access first, so that a bucket is never more open between two
//! calls than before them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::err::PlanError;
use crate::merge::{EncryptionEdit, PolicyEdit, log_delivery_statement, tls_statement};
use crate::plan::{Change, Plan, Setting, Step};
use crate::policy::{BucketArns, Policy, Trust, analyse};
use crate::snapshot::{Read, Snapshot};

/// The controls a plan can fix, and `abac`, which new-bucket hardening turns on.
pub const REMEDIABLE: &[&str] = &[
    "bucket-public-access-block",
    "policy-not-public",
    "acl-not-public",
    "tls-required",
    "acls-disabled",
    "default-encryption",
    "bucket-key-enabled",
    "sse-c-blocked",
    "customer-managed-key",
    "versioning-enabled",
    "access-logging",
    ABAC,
];

/// The target name of attribute-based access control, which no control checks.
pub const ABAC: &str = "abac";

/// The targets of new-bucket hardening: versioning, SSE-S3 with bucket keys and SSE-C
/// blocked, logging, the TLS statement and ABAC. Block Public Access and object
/// ownership stay as S3 sets them on new buckets.
pub const HARDENING: &[&str] = &[
    "versioning-enabled",
    "default-encryption",
    "bucket-key-enabled",
    "sse-c-blocked",
    "access-logging",
    "tls-required",
    ABAC,
];

/// The way the bucket's object access is to be logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LoggingChoice {
    /// Server access logging to `log_bucket`, whose current policy is given (or
    /// `None` when it has none) so the log-delivery statement can be merged into it.
    ServerAccess {
        log_bucket: String,
        prefix: String,
        log_bucket_policy: Option<Value>,
    },
    /// CloudTrail data events on a trail, written in its home region; `selectors` is
    /// the trail's current GetEventSelectors response.
    CloudTrail {
        trail_arn: String,
        home_region: String,
        selectors: Value,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanOptions {
    pub logging: Option<LoggingChoice>,
    /// A customer managed key, by full key ARN, for `customer-managed-key`.
    pub kms_key_arn: Option<String>,
}

/// Plans the writes that fix `targets` (control ids from [`REMEDIABLE`]) on the
/// snapshot's bucket. A target that is already satisfied adds no step.
pub fn plan(
    snapshot: &Snapshot,
    targets: &[&str],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    if let Some(unknown) = targets.iter().find(|target| !REMEDIABLE.contains(target)) {
        return Err(PlanError::NotRemediable {
            control: unknown.to_string(),
        });
    }
    let wants = |id: &str| targets.contains(&id);
    let bucket = snapshot.bucket.as_str();
    let owner = snapshot.account_id.as_str();
    let mut plan = Plan::new(bucket);

    // Block Public Access first: for the bucket control, and before removing public
    // statements so the bucket is never more open between the two calls.
    let policy_public = wants("policy-not-public") && policy_is_public(snapshot)?;
    if wants("bucket-public-access-block") || policy_public {
        let mut controls = Vec::new();
        if wants("bucket-public-access-block") {
            controls.push("bucket-public-access-block");
        }
        if policy_public {
            controls.push("policy-not-public");
        }
        let before = current(&snapshot.get_public_access_block, "GetPublicAccessBlock")?;
        let after = json!({"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true, "IgnorePublicAcls": true,
            "BlockPublicPolicy": true, "RestrictPublicBuckets": true
        }});
        push(
            &mut plan,
            bucket,
            owner,
            Setting::PublicAccessBlock,
            Change::Replace,
            before,
            after,
            &controls,
            "turn on all four Block Public Access flags for the bucket",
        )?;
    }

    if wants("acls-disabled") {
        let before = current(
            &snapshot.get_bucket_ownership_controls,
            "GetBucketOwnershipControls",
        )?;
        let after =
            json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}});
        push(
            &mut plan,
            bucket,
            owner,
            Setting::OwnershipControls,
            Change::Replace,
            before,
            after,
            &["acls-disabled"],
            "set ObjectOwnership to BucketOwnerEnforced, which disables ACLs",
        )?;
    }

    if wants("acl-not-public") {
        let before = current(&snapshot.get_bucket_acl, "GetBucketAcl")?;
        push(
            &mut plan,
            bucket,
            owner,
            Setting::Acl,
            Change::RemovePublicGrants,
            before,
            Value::Null,
            &["acl-not-public"],
            "remove only the grants to AllUsers and AuthenticatedUsers",
        )?;
    }

    let mut policy_edits = Vec::new();
    let mut policy_controls = Vec::new();
    if policy_public {
        policy_edits.push(PolicyEdit::RemovePublicStatements);
        policy_controls.push("policy-not-public");
    }
    if wants("tls-required") {
        policy_edits.push(PolicyEdit::AddStatement(tls_statement(bucket)));
        policy_controls.push("tls-required");
    }
    if !policy_edits.is_empty() {
        let before = current_policy(snapshot)?;
        let reason = if policy_public {
            "remove only the statements that are reachable from the internet, keeping every other statement"
        } else {
            "add a Deny for plain-HTTP requests, keeping every existing statement"
        };
        push(
            &mut plan,
            bucket,
            owner,
            Setting::BucketPolicy,
            Change::PolicyEdits {
                edits: policy_edits,
            },
            before,
            Value::Null,
            &policy_controls,
            reason,
        )?;
    }

    let mut encryption_edits = Vec::new();
    let mut encryption_controls = Vec::new();
    let has_rule = has_encryption_rule(snapshot)?;
    if wants("default-encryption") && !has_rule {
        encryption_edits.push(EncryptionEdit::SetSseS3);
        encryption_controls.push("default-encryption");
    }
    if wants("customer-managed-key") {
        let key = options
            .kms_key_arn
            .clone()
            .ok_or(PlanError::MissingOption {
                control: "customer-managed-key".to_string(),
                what:
                    "a customer managed key ARN (--kms-key-arn, or --create-key with --admin-role)"
                        .to_string(),
            })?;
        encryption_edits.push(EncryptionEdit::SetKmsKey(key));
        encryption_edits.push(EncryptionEdit::SetBucketKeyEnabled(true));
        encryption_controls.push("customer-managed-key");
    }
    if wants("bucket-key-enabled") {
        encryption_edits.push(EncryptionEdit::SetBucketKeyEnabled(true));
        encryption_controls.push("bucket-key-enabled");
    }
    if wants("sse-c-blocked") {
        encryption_edits.push(EncryptionEdit::BlockSseC);
        encryption_controls.push("sse-c-blocked");
    }
    if !encryption_edits.is_empty() {
        let before = current(&snapshot.get_bucket_encryption, "GetBucketEncryption")?;
        push(
            &mut plan,
            bucket,
            owner,
            Setting::Encryption,
            Change::EncryptionEdits {
                edits: encryption_edits,
            },
            before,
            Value::Null,
            &encryption_controls,
            "rewrite the encryption rule, keeping every field the change is not about",
        )?;
    }

    if wants("versioning-enabled") {
        let before = current(&snapshot.get_bucket_versioning, "GetBucketVersioning")?;
        let enabled = before
            .as_ref()
            .and_then(|value| value.get("Status"))
            .is_some_and(|status| status == "Enabled");
        if !enabled {
            push(
                &mut plan,
                bucket,
                owner,
                Setting::Versioning,
                Change::Replace,
                before,
                json!({"Status": "Enabled"}),
                &["versioning-enabled"],
                "enable versioning",
            )?;
        }
    }

    if wants("access-logging") {
        plan_logging(&mut plan, snapshot, options)?;
    }

    if wants(ABAC) {
        push(
            &mut plan,
            bucket,
            owner,
            Setting::Abac,
            Change::Replace,
            None,
            json!({"Status": "Enabled"}),
            &[],
            "enable attribute-based access control (ABAC)",
        )?;
    }
    Ok(plan)
}

fn plan_logging(
    plan: &mut Plan,
    snapshot: &Snapshot,
    options: &PlanOptions,
) -> Result<(), PlanError> {
    let bucket = snapshot.bucket.as_str();
    let owner = snapshot.account_id.as_str();
    let before = current(&snapshot.get_bucket_logging, "GetBucketLogging")?;
    let logging_on = before
        .as_ref()
        .and_then(|value| value.get("LoggingEnabled"))
        .is_some_and(|enabled| !enabled.is_null());
    if logging_on {
        return Ok(());
    }
    match &options.logging {
        None => Err(PlanError::MissingOption {
            control: "access-logging".to_string(),
            what: "a logging option (server access logging to a log bucket, or CloudTrail data events on a trail)"
                .to_string(),
        }),
        Some(LoggingChoice::ServerAccess {
            log_bucket,
            prefix,
            log_bucket_policy,
        }) => {
            let statement = log_delivery_statement(log_bucket, prefix, bucket, owner);
            push(plan, log_bucket, owner, Setting::BucketPolicy,
                Change::PolicyEdits { edits: vec![PolicyEdit::AddStatement(statement)] },
                log_bucket_policy.clone(), Value::Null, &[],
                "let the S3 logging service deliver this bucket's logs, pinned to this account and bucket")?;
            let after = json!({"LoggingEnabled": {"TargetBucket": log_bucket, "TargetPrefix": prefix}});
            push(plan, bucket, owner, Setting::Logging, Change::Replace, before, after, &["access-logging"],
                "turn on server access logging")
        }
        Some(LoggingChoice::CloudTrail {
            trail_arn,
            home_region,
            selectors,
        }) => push(
            plan,
            bucket,
            owner,
            Setting::TrailEventSelectors {
                trail_arn: trail_arn.clone(),
                home_region: home_region.clone(),
            },
            Change::AddBucketDataEvents {
                bucket: bucket.to_string(),
            },
            Some(selectors.clone()),
            Value::Null,
            &["access-logging"],
            "record this bucket's S3 data events on the trail, keeping its other selectors",
        ),
    }
}

/// Adds a step unless its change leaves the value as it is.
#[allow(
    clippy::too_many_arguments,
    reason = "each argument is one field of the step"
)]
fn push(
    plan: &mut Plan,
    bucket: &str,
    owner: &str,
    setting: Setting,
    change: Change,
    before: Option<Value>,
    replacement: Value,
    controls: &[&str],
    reason: &str,
) -> Result<(), PlanError> {
    let Some(after) = change.apply(before.as_ref(), &replacement, bucket, owner)? else {
        return Ok(());
    };
    plan.steps.push(Step {
        bucket: bucket.to_string(),
        setting,
        change,
        before,
        after,
        controls: controls.iter().map(|id| id.to_string()).collect(),
        reason: reason.to_string(),
    });
    Ok(())
}

/// Returns the current value of a read as JSON, `None` when absent, or an error when unreadable.
fn current<T: Serialize>(
    read: &Option<Read<T>>,
    call: &'static str,
) -> Result<Option<Value>, PlanError> {
    match read {
        None => Err(PlanError::Unreadable {
            call,
            reason: "not collected".to_string(),
        }),
        Some(Read::Value(value)) => {
            serde_json::to_value(value)
                .map(Some)
                .map_err(|error| PlanError::Unreadable {
                    call,
                    reason: error.to_string(),
                })
        }
        Some(Read::Error(error)) if error.is_absence() => Ok(None),
        Some(Read::Error(error)) => Err(PlanError::Unreadable {
            call,
            reason: error.to_string(),
        }),
    }
}

/// Returns the current policy document, parsed from the text S3 returned.
fn current_policy(snapshot: &Snapshot) -> Result<Option<Value>, PlanError> {
    let Some(value) = current(&snapshot.get_bucket_policy, "GetBucketPolicy")? else {
        return Ok(None);
    };
    let text = value
        .get("Policy")
        .and_then(Value::as_str)
        .ok_or(PlanError::Unreadable {
            call: "GetBucketPolicy",
            reason: "the answer has no Policy".to_string(),
        })?;
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| PlanError::Unreadable {
            call: "GetBucketPolicy",
            reason: format!("the policy is not valid JSON: {error}"),
        })
}

fn policy_is_public(snapshot: &Snapshot) -> Result<bool, PlanError> {
    let Some(document) = current_policy(snapshot)? else {
        return Ok(false);
    };
    let policy = Policy::from_value(&document).map_err(|error| PlanError::Unreadable {
        call: "GetBucketPolicy",
        reason: error.to_string(),
    })?;
    let trust = Trust {
        owner_account: &snapshot.account_id,
        ..Trust::default()
    };
    let arns = BucketArns::in_partition(
        &snapshot.bucket,
        crate::policy::analysis::partition_of(&snapshot.region),
    );
    let analysis = analyse(&policy, &arns, &trust);
    if analysis.reachable().next().is_none()
        && let Some(undecided) = analysis.undecided.first()
    {
        return Err(PlanError::Undecided {
            control: "policy-not-public".to_string(),
            reason: format!(
                "{} uses the condition operator `{}`, which the analysis does not know",
                undecided.label, undecided.operator
            ),
        });
    }
    Ok(analysis.reachable().next().is_some())
}

fn has_encryption_rule(snapshot: &Snapshot) -> Result<bool, PlanError> {
    let Some(value) = current(&snapshot.get_bucket_encryption, "GetBucketEncryption")? else {
        return Ok(false);
    };
    Ok(value
        .pointer("/ServerSideEncryptionConfiguration/Rules")
        .and_then(Value::as_array)
        .is_some_and(|rules| {
            rules.iter().any(|rule| {
                rule.pointer("/ApplyServerSideEncryptionByDefault/SSEAlgorithm")
                    .is_some()
            })
        }))
}

/// Returns the suffix of names in the account's regional namespace: `-ACCOUNT-REGION-an`.
pub fn namespace_suffix(account_id: &str, region: &str) -> String {
    format!("-{account_id}-{region}-an")
}

/// Checks that `name` ends with `-<12 digits>-<region>-an`, without knowing the
/// account. Returns the name with the suffix added when it lacks one, using
/// `account_id` when given and `ACCOUNT_ID` as a placeholder otherwise.
pub fn check_namespace_name(
    name: &str,
    region: &str,
    account_id: Option<&str>,
) -> Result<(), String> {
    let region_suffix = format!("-{region}-an");
    let stem = name.strip_suffix(&region_suffix);
    let account_part = stem
        .and_then(|stem| stem.rsplit_once('-'))
        .filter(|(base, account)| {
            !base.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
        });
    let valid_name = is_valid_bucket_name(name);
    let has_suffix =
        account_part.is_some_and(|(_, account)| account_id.is_none_or(|id| account == id));
    if valid_name && has_suffix {
        return Ok(());
    }
    let base = match (account_part, stem) {
        (Some((base, _)), _) => base,
        (None, Some(stem)) => stem,
        (None, None) => name,
    };
    let base: String = base
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let account = account_id
        .or(account_part.map(|(_, account)| account))
        .unwrap_or("ACCOUNT_ID");
    let suffix = namespace_suffix(account, region);
    let room = MAX_BUCKET_NAME.saturating_sub(suffix.len());
    let base: String = base.chars().take(room).collect();
    Err(format!("{}{suffix}", base.trim_end_matches(['-', '.'])))
}

/// The maximum bucket name length S3 accepts.
const MAX_BUCKET_NAME: usize = 63;

/// Returns whether S3 accepts the name: 3 to 63 lowercase letters, digits, hyphens and dots,
/// starting and ending with a letter or digit.
fn is_valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=MAX_BUCKET_NAME).contains(&name.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && !name.contains("..")
}

/// Checks that `key` is a full KMS key ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/ID`).
/// Aliases, alias ARNs, bare key ids and `aws/s3` are rejected with the reason.
pub fn check_key_arn(key: &str) -> Result<(), String> {
    if key.contains("alias/aws/s3") || key == "aws/s3" {
        return Err(format!(
            "`{key}` is the AWS managed key aws/s3; use a customer managed key"
        ));
    }
    if key.starts_with("alias/") || key.contains(":alias/") {
        return Err(format!(
            "`{key}` is an alias, which can be re-pointed; use the full key ARN"
        ));
    }
    let parts: Vec<&str> = key.splitn(6, ':').collect();
    let valid = matches!(parts.as_slice(), ["arn", partition, "kms", region, account, resource]
        if !partition.is_empty() && !region.is_empty() && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("key/").is_some_and(|id| !id.is_empty()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is not a full key ARN; use arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_name_with_suffix_passes() {
        assert!(check_namespace_name("data-111122223333-us-east-1-an", "us-east-1", None).is_ok());
        assert!(
            check_namespace_name(
                "data-111122223333-us-east-1-an",
                "us-east-1",
                Some("111122223333")
            )
            .is_ok()
        );
    }

    #[test]
    fn namespace_name_without_suffix_gets_correction() {
        assert_eq!(
            check_namespace_name("data", "us-east-1", Some("111122223333")),
            Err("data-111122223333-us-east-1-an".to_string())
        );
        assert_eq!(
            check_namespace_name("data", "eu-west-1", None),
            Err("data-ACCOUNT_ID-eu-west-1-an".to_string())
        );
    }

    #[test]
    fn namespace_name_correction_replaces_other_account() {
        assert_eq!(
            check_namespace_name(
                "data-444455556666-us-east-1-an",
                "us-east-1",
                Some("111122223333")
            ),
            Err("data-111122223333-us-east-1-an".to_string())
        );
        assert_eq!(
            check_namespace_name("Data-111122223333-us-east-1-an", "us-east-1", None),
            Err("data-111122223333-us-east-1-an".to_string())
        );
    }

    #[test]
    fn namespace_name_for_other_account_is_rejected() {
        assert!(
            check_namespace_name(
                "data-444455556666-us-east-1-an",
                "us-east-1",
                Some("111122223333")
            )
            .is_err()
        );
        assert!(check_namespace_name("data-111122223333-eu-west-1-an", "us-east-1", None).is_err());
    }

    #[test]
    fn key_arn_rejects_aliases_and_aws_managed() {
        assert!(
            check_key_arn(
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            )
            .is_ok()
        );
        assert!(
            check_key_arn("alias/aws/s3")
                .unwrap_err()
                .contains("AWS managed")
        );
        assert!(
            check_key_arn("arn:aws:kms:us-east-1:111122223333:alias/aws/s3")
                .unwrap_err()
                .contains("AWS managed")
        );
        assert!(check_key_arn("alias/data").unwrap_err().contains("alias"));
        assert!(
            check_key_arn("1234abcd-12ab-34cd-56ef-1234567890ab")
                .unwrap_err()
                .contains("not a full key ARN")
        );
    }
}
