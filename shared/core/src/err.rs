//! Errors of the core crate, one enum per concern.

use thiserror::Error;

/// A snapshot file that cannot be evaluated.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error(
        "invalid snapshot: {source}; each entry must be the AWS CLI's response for that call or {{\"Error\": {{\"Code\": \"...\"}}}}"
    )]
    Invalid {
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid snapshot: `{field}` is missing or empty; add it at the top level")]
    MissingField { field: &'static str },
}

/// A bucket policy that is not valid JSON or not a policy document.
#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("invalid policy: not valid JSON ({source})")]
    InvalidJson {
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid policy: the document is not a JSON object")]
    NotAnObject,
    #[error("invalid policy: `Statement` is missing")]
    MissingStatement,
    #[error("invalid policy: {} `{element}` is {found}, which IAM does not accept there", statement_label(*.statement))]
    InvalidElement {
        statement: Option<usize>,
        element: &'static str,
        found: &'static str,
    },
    #[error("invalid policy: Statement[{statement}] has Effect `{found}`; use `Allow` or `Deny`")]
    InvalidEffect { statement: usize, found: String },
    #[error("invalid policy: Statement[{statement}] has no `{element}`")]
    MissingElement {
        statement: usize,
        element: &'static str,
    },
    #[error(
        "invalid policy: Statement[{statement}] has both `{element}` and `Not{element}`; keep one"
    )]
    BothElements {
        statement: usize,
        element: &'static str,
    },
}

fn statement_label(statement: Option<usize>) -> String {
    match statement {
        Some(index) => format!("Statement[{index}]"),
        None => "the document's".to_string(),
    }
}

/// An event that cannot be processed as sent, so retrying it cannot help. The reason
/// names the missing or invalid field.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("malformed event: {reason}")]
pub struct MalformedEvent {
    pub reason: String,
}

impl MalformedEvent {
    pub fn new(reason: String) -> Self {
        Self { reason }
    }
}

/// An invalid setting.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("invalid exemption `{value}`: {reason}")]
    InvalidExemption { value: String, reason: String },
    #[error("unknown control id `{id}` in {context}; run `bucketwarden controls` for the list")]
    UnknownControl { id: String, context: String },
    #[error("invalid trusted account `{value}`: an account id is 12 digits")]
    InvalidAccount { value: String },
    #[error(
        "invalid trusted organization `{value}`: an organization id is `o-` followed by 10 to 32 lowercase letters or digits"
    )]
    InvalidOrganization { value: String },
}

/// A plan that cannot be made.
#[derive(Debug, Error)]
pub enum PlanError {
    #[error("cannot plan: {call} is unreadable ({reason}); fix the read, then plan again")]
    Unreadable { call: &'static str, reason: String },
    #[error(
        "`{control}` has no automatic remediation; see `bucketwarden controls --format json` for what to do"
    )]
    NotRemediable { control: String },
    #[error("cannot plan `{control}` without {what}")]
    MissingOption { control: String, what: String },
    #[error("cannot plan `{control}`: {reason}; review the policy by hand")]
    Undecided { control: String, reason: String },
    #[error(transparent)]
    Merge(#[from] MergeError),
}

/// An edit whose result Bucket Warden will not write: an invalid or oversized policy,
/// a policy that names another bucket or locks the owner out, or an encryption rule
/// that cannot be edited.
#[derive(Debug, Error)]
pub enum MergeError {
    #[error(transparent)]
    InvalidPolicy {
        #[from]
        source: PolicyError,
    },
    #[error(
        "invalid policy: the document is {size} bytes, over S3's bucket-policy limit of {limit} bytes; remove or combine statements"
    )]
    TooLarge { size: usize, limit: usize },
    #[error(
        "invalid policy: Statement[{statement}] names the resource `{pattern}`, which is outside the bucket; a policy of `{bucket}` may name only arn:aws:s3:::{bucket} and its objects"
    )]
    ResourceOutsideBucket {
        statement: usize,
        pattern: String,
        bucket: String,
    },
    #[error(
        "invalid policy: Statement[{statement}]{} denies the bucket owner (account {owner_account}) s3:GetBucketPolicy, s3:PutBucketPolicy or s3:DeleteBucketPolicy without a condition, which would lock the owner out of the policy; exclude the owner's account or narrow the actions",
        .sid.as_deref().filter(|sid| !sid.is_empty()).map(|sid| format!(" (`{sid}`)")).unwrap_or_default()
    )]
    Lockout {
        statement: usize,
        sid: Option<String>,
        owner_account: String,
    },
    #[error(
        "invalid policy: no statement is left; delete the bucket policy (DeleteBucketPolicy) instead of writing an empty one"
    )]
    NoStatements,
    #[error("invalid encryption rule: {reason}")]
    InvalidEncryption { reason: String },
    #[error("invalid ACL: {reason}")]
    InvalidAcl { reason: String },
}
