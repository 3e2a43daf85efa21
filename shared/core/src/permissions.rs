//! The IAM actions each workflow needs, in one place: `bucketwarden doctor --simulate`
//! checks them, and the deployment's roles grant them.

/// Reads an audit makes, for each bucket and once per account and region.
pub const AUDIT: &[&str] = &[
    "s3:ListAllMyBuckets",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketAcl",
    "s3:GetBucketOwnershipControls",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketVersioning",
    "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetBucketTagging",
    "s3:GetAccountPublicAccessBlock",
    "kms:DescribeKey",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "guardduty:ListDetectors",
    "guardduty:GetDetector",
    "access-analyzer:ListAnalyzers",
    "access-analyzer:ListFindings",
];

/// Writes a remediation or new-bucket hardening can make, plus the backup it stores.
pub const REMEDIATE: &[&str] = &[
    "s3:PutBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutBucketLogging",
    "s3:PutBucketAcl",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketAbac",
    "s3:GetBucketAbac",
    "cloudtrail:PutEventSelectors",
    "s3:PutObject",
];

/// Extra calls of `secure-bucket` and `encryption --create-key`.
pub const CREATE: &[&str] = &["s3:CreateBucket", "kms:CreateKey"];

/// Extra calls of `rollback`: reading the backup and removing a setting that was absent.
pub const ROLLBACK: &[&str] = &[
    "s3:GetObject",
    "s3:DeleteBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
];

/// The actions of a workflow by name: `audit`, `remediate`, `secure-bucket`,
/// `encryption` or `rollback`.
pub fn for_workflow(workflow: &str) -> Option<Vec<&'static str>> {
    let mut actions: Vec<&'static str> = AUDIT.to_vec();
    match workflow {
        "audit" => {}
        "remediate" => actions.extend(REMEDIATE),
        "secure-bucket" | "encryption" => {
            actions.extend(REMEDIATE);
            actions.extend(CREATE);
        }
        "rollback" => {
            actions.extend(REMEDIATE);
            actions.extend(ROLLBACK);
        }
        _ => return None,
    }
    actions.sort_unstable();
    actions.dedup();
    Some(actions)
}

/// The workflow names `for_workflow` knows.
pub const WORKFLOWS: &[&str] = &[
    "audit",
    "remediate",
    "secure-bucket",
    "encryption",
    "rollback",
];
