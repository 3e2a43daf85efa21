//! Controls on default encryption: the rule, bucket keys, SSE-C and the KMS key.

use crate::evaluate::{Facts, Verdict};
use crate::report::Outcome;
use crate::snapshot::{EncryptionRule, Read, ReadState, Unreadable, state_of};

/// The encryption rule as the controls see it.
enum Rule<'a> {
    Set(&'a EncryptionRule, &'a str),
    /// A configuration with no rule that sets an algorithm.
    Empty,
    /// `ServerSideEncryptionConfigurationNotFoundError`.
    NotFound(&'a str),
    Unreadable(Unreadable<'a>),
}

fn rule<'a>(facts: &'a Facts<'_>) -> Rule<'a> {
    match state_of(&facts.snapshot.get_bucket_encryption, "GetBucketEncryption") {
        ReadState::Unreadable(why) => Rule::Unreadable(why),
        ReadState::Absent(error) => Rule::NotFound(error.code.as_str()),
        ReadState::Value(value) => {
            let rules = value
                .server_side_encryption_configuration
                .as_ref()
                .map(|configuration| configuration.rules.as_slice())
                .unwrap_or_default();
            rules
                .iter()
                .find_map(|rule| {
                    rule.apply_server_side_encryption_by_default
                        .as_ref()
                        .map(|default| Rule::Set(rule, default.sse_algorithm.as_str()))
                })
                .unwrap_or(Rule::Empty)
        }
    }
}

const NOT_FOUND_NOTE: &str = "ServerSideEncryptionConfigurationNotFoundError: no default encryption. S3 has applied SSE-S3 to every bucket since January 2023, so only an emulator or an S3-compatible endpoint gives this answer";

pub fn default_encryption(facts: &Facts<'_>) -> Verdict {
    match rule(facts) {
        Rule::Unreadable(why) => Verdict::unreadable("GetBucketEncryption", why),
        Rule::NotFound(code) => Verdict::fail(NOT_FOUND_NOTE).with("GetBucketEncryption", code),
        Rule::Empty => {
            Verdict::fail("the encryption configuration has no rule that sets SSEAlgorithm")
                .with("Rules", "none with ApplyServerSideEncryptionByDefault")
        }
        Rule::Set(_, algorithm) => Verdict::pass(format!("default encryption is {algorithm}"))
            .with("SSEAlgorithm", algorithm),
    }
}

pub fn bucket_key_enabled(facts: &Facts<'_>) -> Verdict {
    match rule(facts) {
        Rule::Unreadable(why) => Verdict::unreadable("GetBucketEncryption", why),
        Rule::NotFound(_) | Rule::Empty => Verdict::new(
            Outcome::NotApplicable,
            "no default-encryption rule, so bucket keys do not apply",
        )
        .with("SSEAlgorithm", "none"),
        Rule::Set(rule, "aws:kms") => {
            let enabled = rule.bucket_key_enabled == Some(true);
            let verdict = if enabled {
                Verdict::pass("BucketKeyEnabled is true for SSE-KMS")
            } else {
                Verdict::fail(
                    "BucketKeyEnabled is off for SSE-KMS, so every object operation calls KMS",
                )
            };
            verdict
                .with("BucketKeyEnabled", enabled)
                .with("SSEAlgorithm", "aws:kms")
        }
        Rule::Set(_, algorithm) => Verdict::new(
            Outcome::NotApplicable,
            format!("bucket keys apply only to aws:kms, and the algorithm is {algorithm}"),
        )
        .with("SSEAlgorithm", algorithm),
    }
}

pub fn sse_c_blocked(facts: &Facts<'_>) -> Verdict {
    match rule(facts) {
        Rule::Unreadable(why) => Verdict::unreadable("GetBucketEncryption", why),
        Rule::NotFound(_) | Rule::Empty => {
            Verdict::fail("no default-encryption rule, so nothing blocks SSE-C uploads")
                .with("BlockedEncryptionTypes", "none")
        }
        Rule::Set(rule, _) => {
            let blocked: Vec<String> = rule
                .blocked_encryption_types
                .as_ref()
                .map(|types| types.encryption_type.clone())
                .unwrap_or_default();
            let verdict = if blocked
                .iter()
                .any(|kind| kind.eq_ignore_ascii_case("SSE-C"))
            {
                Verdict::pass("BlockedEncryptionTypes includes SSE-C")
            } else if blocked.is_empty() {
                Verdict::fail(
                    "the rule has no BlockedEncryptionTypes, so SSE-C uploads are accepted",
                )
            } else {
                Verdict::fail(format!(
                    "BlockedEncryptionTypes is {}, which does not block SSE-C",
                    blocked.join(", ")
                ))
            };
            verdict.with("BlockedEncryptionTypes", blocked)
        }
    }
}

/// Returns whether a key id names the AWS managed key `aws/s3` in any spelling.
fn names_aws_managed_alias(key_id: &str) -> bool {
    key_id == "alias/aws/s3" || (key_id.starts_with("arn:") && key_id.ends_with(":alias/aws/s3"))
}

fn is_alias(key_id: &str) -> bool {
    key_id.starts_with("alias/") || (key_id.starts_with("arn:") && key_id.contains(":alias/"))
}

fn is_key_arn(key_id: &str) -> bool {
    let parts: Vec<&str> = key_id.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "kms", region, account, resource]
        if !region.is_empty() && !account.is_empty() && resource.starts_with("key/") && resource.len() > 4)
}

pub fn customer_managed_key(facts: &Facts<'_>) -> Verdict {
    let (rule, algorithm) = match rule(facts) {
        Rule::Unreadable(why) => return Verdict::unreadable("GetBucketEncryption", why),
        Rule::NotFound(_) | Rule::Empty => {
            return Verdict::new(
                Outcome::NotApplicable,
                "no default-encryption rule, so no KMS key is used",
            )
            .with("SSEAlgorithm", "none");
        }
        Rule::Set(rule, algorithm) => (rule, algorithm),
    };
    if algorithm != "aws:kms" && algorithm != "aws:kms:dsse" {
        return Verdict::new(
            Outcome::NotApplicable,
            format!("{algorithm} uses no KMS key"),
        )
        .with("SSEAlgorithm", algorithm);
    }
    let key_id = rule
        .apply_server_side_encryption_by_default
        .as_ref()
        .and_then(|default| default.kms_master_key_id.as_deref())
        .filter(|id| !id.is_empty());
    let Some(key_id) = key_id else {
        return Verdict::fail(format!(
            "{algorithm} without KMSMasterKeyID uses the AWS managed key aws/s3"
        ))
        .with("SSEAlgorithm", algorithm);
    };
    let verdict = if names_aws_managed_alias(key_id) {
        Verdict::fail(format!("the key {key_id} is the AWS managed key aws/s3"))
    } else if is_alias(key_id) {
        Verdict::fail(format!(
            "the key is given by the alias {key_id}, which can be re-pointed; use the full key ARN"
        ))
    } else if !is_key_arn(key_id) {
        Verdict::fail(format!(
            "the key is given as {key_id}, not as a full key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"
        ))
    } else {
        match facts.snapshot.describe_key.get(key_id) {
            None => Verdict::unreadable("DescribeKey", Unreadable::NotCollected("DescribeKey")),
            Some(Read::Error(error)) => {
                Verdict::error(format!("DescribeKey: read failed: {error}"))
            }
            Some(Read::Value(described)) => {
                let manager = described
                    .key_metadata
                    .as_ref()
                    .and_then(|metadata| metadata.key_manager.as_deref());
                match manager {
                    Some("CUSTOMER") => {
                        Verdict::pass(format!("{key_id} is a customer managed key"))
                    }
                    Some("AWS") => Verdict::fail(format!(
                        "DescribeKey reports KeyManager AWS: {key_id} is an AWS managed key"
                    )),
                    Some(other) => Verdict::error(format!(
                        "DescribeKey reports an unknown KeyManager `{other}`"
                    )),
                    None => Verdict::error("DescribeKey answered without KeyMetadata.KeyManager"),
                }
                .with("KeyManager", manager)
            }
        }
    };
    verdict
        .with("SSEAlgorithm", algorithm)
        .with("KMSMasterKeyID", key_id)
}
