//! The control registry: every control, in report order, as data.

mod access;
mod data;
mod encryption;
mod monitoring;

pub(crate) use monitoring::selectors_record_bucket;

use crate::evaluate::{Facts, Verdict};
use crate::report::Severity;

/// One security rule. Ids are stable API: reports, allowlists, exemptions and tests use them.
#[derive(Debug)]
pub struct Control {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Why the rule matters.
    pub rationale: &'static str,
    /// The fix for a finding.
    pub remediation: &'static str,
    /// The read calls the evaluation uses.
    pub reads: &'static [&'static str],
    pub evaluate: fn(&Facts<'_>) -> Verdict,
}

/// Every control, in the order reports list them.
pub static CONTROLS: &[Control] = &[
    Control {
        id: "bucket-public-access-block",
        title: "Block Public Access is on for the bucket",
        severity: Severity::Critical,
        rationale: "The four Block Public Access flags stop policies and ACLs from making the bucket public.",
        remediation: "Turn on all four flags with PutPublicAccessBlock on the bucket, or on the account with s3control PutPublicAccessBlock.",
        reads: &["GetPublicAccessBlock", "GetAccountPublicAccessBlock"],
        evaluate: access::bucket_public_access_block,
    },
    Control {
        id: "policy-not-public",
        title: "The bucket policy grants no public access",
        severity: Severity::Critical,
        rationale: "A policy statement that admits anyone exposes the bucket's data to the internet.",
        remediation: "Turn on Block Public Access, then remove the public statements (after a backup) or pin them with a fixed condition such as aws:SourceVpce or aws:PrincipalOrgID.",
        reads: &[
            "GetBucketPolicy",
            "GetBucketPolicyStatus",
            "GetPublicAccessBlock",
            "GetAccountPublicAccessBlock",
        ],
        evaluate: access::policy_not_public,
    },
    Control {
        id: "acl-not-public",
        title: "The bucket ACL grants no public access",
        severity: Severity::Critical,
        rationale: "Grants to AllUsers or AuthenticatedUsers open the bucket to anyone, or to any AWS account.",
        remediation: "Disable ACLs (ObjectOwnership BucketOwnerEnforced) or remove the AllUsers and AuthenticatedUsers grants.",
        reads: &[
            "GetBucketAcl",
            "GetBucketOwnershipControls",
            "GetPublicAccessBlock",
            "GetAccountPublicAccessBlock",
        ],
        evaluate: access::acl_not_public,
    },
    Control {
        id: "tls-required",
        title: "The bucket policy refuses plain HTTP",
        severity: Severity::Critical,
        rationale: "Without a Deny on aws:SecureTransport false, S3 accepts requests over unencrypted HTTP.",
        remediation: "Add a Deny for every principal and every S3 action on the bucket and its objects when aws:SecureTransport is false.",
        reads: &["GetBucketPolicy"],
        evaluate: access::tls_required,
    },
    Control {
        id: "acls-disabled",
        title: "ACLs are disabled",
        severity: Severity::Critical,
        rationale: "With ObjectOwnership BucketOwnerEnforced, ACLs no longer grant access and the bucket owner owns every object.",
        remediation: "Set ObjectOwnership to BucketOwnerEnforced with PutBucketOwnershipControls.",
        reads: &["GetBucketOwnershipControls"],
        evaluate: access::acls_disabled,
    },
    Control {
        id: "default-encryption",
        title: "Default encryption is set",
        severity: Severity::High,
        rationale: "A default-encryption rule makes S3 encrypt every new object.",
        remediation: "Set a default-encryption rule with PutBucketEncryption (SSE-S3 or SSE-KMS).",
        reads: &["GetBucketEncryption"],
        evaluate: encryption::default_encryption,
    },
    Control {
        id: "bucket-key-enabled",
        title: "S3 Bucket Keys are on for SSE-KMS",
        severity: Severity::High,
        rationale: "Bucket keys cut KMS requests, and their cost and throttling, for SSE-KMS.",
        remediation: "Rewrite the encryption rule with BucketKeyEnabled true, keeping its other fields.",
        reads: &["GetBucketEncryption"],
        evaluate: encryption::bucket_key_enabled,
    },
    Control {
        id: "sse-c-blocked",
        title: "SSE-C uploads are blocked",
        severity: Severity::High,
        rationale: "Customer-provided keys (SSE-C) let a caller encrypt objects with a key the owner does not hold.",
        remediation: "Rewrite the encryption rule with BlockedEncryptionTypes SSE-C, keeping its other fields.",
        reads: &["GetBucketEncryption"],
        evaluate: encryption::sse_c_blocked,
    },
    Control {
        id: "customer-managed-key",
        title: "SSE-KMS uses a customer managed key named by ARN",
        severity: Severity::High,
        rationale: "The AWS managed key aws/s3 cannot be shared or restricted by key policy, and an alias can be re-pointed.",
        remediation: "Create a customer managed key with a least-privilege key policy and set it by full key ARN.",
        reads: &["GetBucketEncryption", "DescribeKey"],
        evaluate: encryption::customer_managed_key,
    },
    Control {
        id: "versioning-enabled",
        title: "Versioning is enabled",
        severity: Severity::Medium,
        rationale: "Versioning keeps overwritten and deleted objects recoverable.",
        remediation: "Enable versioning with PutBucketVersioning.",
        reads: &["GetBucketVersioning"],
        evaluate: data::versioning_enabled,
    },
    Control {
        id: "access-logging",
        title: "Object access is logged",
        severity: Severity::Medium,
        rationale: "Server access logs or CloudTrail data events are the record of who read or changed objects.",
        remediation: "Enable server access logging to a log bucket, or CloudTrail S3 data events for the bucket on a logging trail.",
        reads: &[
            "GetBucketLogging",
            "DescribeTrails",
            "GetTrailStatus",
            "GetEventSelectors",
        ],
        evaluate: monitoring::access_logging,
    },
    Control {
        id: "guardduty-s3-protection",
        title: "GuardDuty S3 Protection is on in the bucket's region",
        severity: Severity::Medium,
        rationale: "GuardDuty S3 Protection watches data events for exfiltration and suspicious access.",
        remediation: "Enable the S3_DATA_EVENTS feature of the region's GuardDuty detector (create the detector if there is none).",
        reads: &["ListDetectors", "GetDetector"],
        evaluate: monitoring::guardduty_s3_protection,
    },
    Control {
        id: "access-analyzer",
        title: "IAM Access Analyzer watches the bucket's region",
        severity: Severity::Info,
        rationale: "Access Analyzer reports buckets shared outside the account or organization.",
        remediation: "Create an account analyzer in the region with CreateAnalyzer.",
        reads: &["ListAnalyzers", "ListFindings"],
        evaluate: monitoring::access_analyzer,
    },
    Control {
        id: "object-lock",
        title: "Object Lock is enabled",
        severity: Severity::Low,
        rationale: "Object Lock keeps object versions from being deleted or overwritten for a retention period.",
        remediation: "Enable Object Lock with PutObjectLockConfiguration (versioning must be on).",
        reads: &["GetObjectLockConfiguration"],
        evaluate: data::object_lock,
    },
    Control {
        id: "replication",
        title: "Replication is configured",
        severity: Severity::Low,
        rationale: "Replication keeps a copy of the data in another bucket, region or account.",
        remediation: "Configure replication with PutBucketReplication.",
        reads: &["GetBucketReplication"],
        evaluate: data::replication,
    },
    Control {
        id: "account-regional-namespace",
        title: "The name is in the account's regional namespace",
        severity: Severity::Low,
        rationale: "A name ending in -ACCOUNT-REGION-an cannot be taken by another account (bucket sniping).",
        remediation: "Create buckets with --bucket-namespace account-regional and a name ending in -ACCOUNT-REGION-an.",
        reads: &[],
        evaluate: data::account_regional_namespace,
    },
    Control {
        id: "account-public-access-block",
        title: "Block Public Access is on for the account",
        severity: Severity::High,
        rationale: "The account-level flags protect every bucket, including ones created later.",
        remediation: "Turn on all four flags with s3control PutPublicAccessBlock.",
        reads: &["GetAccountPublicAccessBlock"],
        evaluate: access::account_public_access_block,
    },
    Control {
        id: "no-cross-account-policy-changes",
        title: "No other account may change the bucket's protections",
        severity: Severity::High,
        rationale: "An account that can change the policy, ACL, encryption, ownership or Block Public Access can undo every other control.",
        remediation: "Remove the setting-change actions from statements that admit other accounts, or pin them to trusted accounts.",
        reads: &["GetBucketPolicy"],
        evaluate: access::no_cross_account_policy_changes,
    },
];

/// Looks a control up by id.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|control| control.id == id)
}

/// Returns every control id, in report order.
pub fn control_ids() -> Vec<&'static str> {
    CONTROLS.iter().map(|control| control.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_ids_are_unique() {
        let ids: HashSet<&str> = CONTROLS.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CONTROLS.len());
    }

    #[test]
    fn registry_entries_are_complete() {
        for control in CONTROLS {
            assert!(!control.title.is_empty(), "{} has no title", control.id);
            assert!(
                !control.rationale.is_empty(),
                "{} has no rationale",
                control.id
            );
            assert!(
                !control.remediation.is_empty(),
                "{} has no remediation",
                control.id
            );
            assert!(
                control
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                control.id
            );
        }
    }

    #[test]
    fn registry_has_eighteen_controls() {
        assert_eq!(CONTROLS.len(), 18);
    }
}
