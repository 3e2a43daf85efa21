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

/// Calls of `monitoring`: GuardDuty, CloudTrail data events, AWS Config rules, an
/// Access Analyzer and account Block Public Access.
pub const MONITORING: &[&str] = &[
    "guardduty:CreateDetector",
    "guardduty:UpdateDetector",
    "cloudtrail:PutEventSelectors",
    "config:DescribeConfigurationRecorders",
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigRules",
    "config:PutConfigRule",
    "access-analyzer:CreateAnalyzer",
    "s3:PutAccountPublicAccessBlock",
];

/// Returns the actions of a workflow by name: `audit`, `remediate`, `secure-bucket`,
/// `encryption`, `rollback` or `monitoring`.
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
        "monitoring" => actions.extend(MONITORING),
        _ => return None,
    }
    actions.sort_unstable();
    actions.dedup();
    Some(actions)
}

/// The workflow names `for_workflow` accepts.
pub const WORKFLOWS: &[&str] = &[
    "audit",
    "remediate",
    "secure-bucket",
    "encryption",
    "rollback",
    "monitoring",
];

/// The IAM actions of the `bucket-event` function's role: the audit reads, the
/// writes of hardening and remediation with their backups, and SNS publishing.
pub const BUCKET_EVENT_FUNCTION: &[&str] = &[
    // Identity and bucket discovery (HeadBucket needs s3:ListBucket).
    "sts:GetCallerIdentity",
    "s3:ListBucket",
    "s3:GetBucketLocation",
    // Bucket reads.
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
    "s3:GetBucketAbac",
    "kms:DescribeKey",
    // Account reads.
    "s3:GetAccountPublicAccessBlock",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "guardduty:ListDetectors",
    "guardduty:GetDetector",
    "access-analyzer:ListAnalyzers",
    "access-analyzer:ListFindings",
    // Writes of hardening and remediation.
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutBucketLogging",
    "s3:PutBucketAcl",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketAbac",
    "cloudtrail:PutEventSelectors",
    // Backups before each write, and the report.
    "s3:PutObject",
    "sns:Publish",
    // The lease on a setting while it is written: HeadObject, then DeleteObject.
    "s3:GetObject",
    "s3:DeleteObject",
    // The dead-letter queue of failed events, and the function's own logs.
    "sqs:SendMessage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// The IAM actions of the `scheduled-audit` function's role.
pub const SCHEDULED_AUDIT_FUNCTION: &[&str] = &[
    "sts:GetCallerIdentity",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
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
    "kms:DescribeKey",
    "s3:GetAccountPublicAccessBlock",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "guardduty:ListDetectors",
    "guardduty:GetDetector",
    "access-analyzer:ListAnalyzers",
    "access-analyzer:ListFindings",
    // Partial results and the full report in the report bucket. PutObject also
    // covers the multipart upload of a large report, except its abort.
    "s3:PutObject",
    "s3:GetObject",
    "s3:AbortMultipartUpload",
    // Continuation messages, and the queue's event source mapping.
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sns:Publish",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// The IAM actions of the `slack-notifier` function's role: the webhook URL is read
/// from SSM Parameter Store (a SecureString) or Secrets Manager.
pub const SLACK_NOTIFIER_FUNCTION: &[&str] = &[
    "ssm:GetParameter",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    // The dead-letter queue of posts that failed, and the function's own logs.
    "sqs:SendMessage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// Every function with the actions its role grants, by the function's crate name.
pub const FUNCTIONS: &[(&str, &[&str])] = &[
    ("bucket-event", BUCKET_EVENT_FUNCTION),
    ("scheduled-audit", SCHEDULED_AUDIT_FUNCTION),
    ("slack-notifier", SLACK_NOTIFIER_FUNCTION),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workflow_has_actions() {
        for workflow in WORKFLOWS {
            let actions = for_workflow(workflow).unwrap_or_default();
            assert!(actions.len() >= AUDIT.len(), "{workflow}");
        }
    }
}
