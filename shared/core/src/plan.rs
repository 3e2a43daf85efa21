//! Plans: ordered lists of write calls, each with the value before and after.
//!
//! A plan is computed from a snapshot by pure code, printed before it runs, and
//! applied by the AWS adapter, which backs up each `before` value, re-reads the
//! setting right before the write, and verifies the result by reading it back.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::controls::selectors_record_bucket;
use crate::err::MergeError;
use crate::merge::{
    EncryptionEdit, PolicyEdit, edit_encryption, edit_policy, remove_public_grants,
};
use crate::render::clean;
use crate::snapshot::{BucketAcl, BucketEncryption, EventSelectors};

/// The setting a step writes. The names are the AWS API's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum Setting {
    /// The bucket policy (PutBucketPolicy); `before` and `after` are policy documents.
    BucketPolicy,
    /// The default-encryption rule (PutBucketEncryption); values are `ServerSideEncryptionConfiguration`.
    Encryption,
    /// The bucket's Block Public Access flags (PutPublicAccessBlock).
    PublicAccessBlock,
    /// Versioning (PutBucketVersioning); values are `{"Status": ...}`.
    Versioning,
    /// Server access logging (PutBucketLogging); values are `{"LoggingEnabled": ...}`.
    Logging,
    /// The bucket ACL (PutBucketAcl); values are `{"Owner": ..., "Grants": [...]}`.
    Acl,
    /// Object ownership (PutBucketOwnershipControls); values are `{"OwnershipControls": ...}`.
    OwnershipControls,
    /// Attribute-based access control (PutBucketAbac); values are `{"Status": ...}`.
    Abac,
    /// CloudTrail event selectors of a trail (PutEventSelectors), written in the trail's home region.
    TrailEventSelectors {
        trail_arn: String,
        home_region: String,
    },
}

impl Setting {
    /// Returns whether two values of this setting mean the same. S3 fills in defaults
    /// when it stores some settings (an encryption rule without BucketKeyEnabled
    /// reads back with `false`), so read-backs are compared by meaning.
    pub fn same_value(&self, a: Option<&Value>, b: Option<&Value>) -> bool {
        match self {
            Setting::Encryption => normalised_encryption(a) == normalised_encryption(b),
            Setting::TrailEventSelectors { .. } => {
                normalised_selectors(a) == normalised_selectors(b)
            }
            _ => a == b,
        }
    }

    /// Returns the write call that applies this setting.
    pub fn call(&self) -> &'static str {
        match self {
            Setting::BucketPolicy => "PutBucketPolicy",
            Setting::Encryption => "PutBucketEncryption",
            Setting::PublicAccessBlock => "PutPublicAccessBlock",
            Setting::Versioning => "PutBucketVersioning",
            Setting::Logging => "PutBucketLogging",
            Setting::Acl => "PutBucketAcl",
            Setting::OwnershipControls => "PutBucketOwnershipControls",
            Setting::Abac => "PutBucketAbac",
            Setting::TrailEventSelectors { .. } => "PutEventSelectors",
        }
    }

    /// Returns the folder name of the setting in backup keys (`backups/BUCKET/SETTING/...`).
    pub fn backup_name(&self) -> &'static str {
        match self {
            Setting::BucketPolicy => "policy",
            Setting::Encryption => "encryption",
            Setting::PublicAccessBlock => "public-access-block",
            Setting::Versioning => "versioning",
            Setting::Logging => "logging",
            Setting::Acl => "acl",
            Setting::OwnershipControls => "ownership-controls",
            Setting::Abac => "abac",
            Setting::TrailEventSelectors { .. } => "trail-event-selectors",
        }
    }
}

/// GetEventSelectors adds the trail ARN and empty lists that a written value lacks.
fn normalised_selectors(value: Option<&Value>) -> Option<EventSelectors> {
    let mut selectors: EventSelectors = serde_json::from_value(value?.clone()).ok()?;
    selectors.trail_arn = None;
    if selectors
        .event_selectors
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        selectors.event_selectors = None;
    }
    if selectors
        .advanced_event_selectors
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        selectors.advanced_event_selectors = None;
    }
    for selector in selectors.event_selectors.iter_mut().flatten() {
        selector
            .extra
            .retain(|_, value| !value.as_array().is_some_and(Vec::is_empty));
    }
    Some(selectors)
}

fn normalised_encryption(value: Option<&Value>) -> Option<BucketEncryption> {
    let mut encryption: BucketEncryption = serde_json::from_value(value?.clone()).ok()?;
    if let Some(configuration) = encryption.server_side_encryption_configuration.as_mut() {
        for rule in &mut configuration.rules {
            rule.bucket_key_enabled = Some(rule.bucket_key_enabled.unwrap_or(false));
        }
    }
    Some(encryption)
}

/// The rule that turns the current value into the new one. It is kept with the step
/// so that the new value can be computed again from a value that changed since planning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Edits of the policy document that keep every statement they do not name.
    PolicyEdits { edits: Vec<PolicyEdit> },
    /// Edits of the encryption rule that keep every field they are not about.
    EncryptionEdits { edits: Vec<EncryptionEdit> },
    /// Removal of the ACL's grants to AllUsers and AuthenticatedUsers.
    RemovePublicGrants,
    /// A CloudTrail event selector for the bucket's object data events, added to the
    /// trail's selectors unless they already record them.
    AddBucketDataEvents { bucket: String },
    /// The value `after` replaces the current one.
    Replace,
}

impl Change {
    /// Computes the value to write from the current one, or `None` when nothing changes.
    pub fn apply(
        &self,
        current: Option<&Value>,
        replacement: &Value,
        bucket: &str,
        owner_account: &str,
    ) -> Result<Option<Value>, MergeError> {
        match self {
            // A policy left with no statement is deleted: `Value::Null` stands for that.
            Change::PolicyEdits { edits } => {
                match edit_policy(current, edits, bucket, owner_account) {
                    Err(MergeError::NoStatements) => Ok(current.is_some().then_some(Value::Null)),
                    other => other,
                }
            }
            Change::EncryptionEdits { edits } => {
                let existing: Option<BucketEncryption> = current
                    .map(|value| serde_json::from_value(value.clone()))
                    .transpose()
                    .map_err(|error| MergeError::InvalidEncryption {
                        reason: format!("the current configuration does not parse: {error}"),
                    })?;
                let rule = edit_encryption(existing.as_ref(), edits)?;
                Ok(rule.map(|rule| {
                    serde_json::json!({"ServerSideEncryptionConfiguration": {"Rules": [rule]}})
                }))
            }
            Change::RemovePublicGrants => {
                let Some(current) = current else {
                    return Ok(None);
                };
                let acl: BucketAcl = serde_json::from_value(current.clone()).map_err(|error| {
                    MergeError::InvalidAcl {
                        reason: format!("the current ACL does not parse: {error}"),
                    }
                })?;
                Ok(remove_public_grants(&acl).and_then(|acl| serde_json::to_value(acl).ok()))
            }
            Change::AddBucketDataEvents { bucket } => Ok(add_bucket_data_events(current, bucket)),
            Change::Replace => Ok((current != Some(replacement)).then(|| replacement.clone())),
        }
    }
}

/// Adds the bucket's object data events to a trail's GetEventSelectors response,
/// or returns `None` when the selectors already record all of them.
///
/// Advanced selectors get one more advanced selector. Basic selectors get one more
/// basic selector. A trail with neither gets an advanced selector for management
/// events as well, because writing only a data-event selector would stop the
/// management events that the trail records by default.
fn add_bucket_data_events(current: Option<&Value>, bucket: &str) -> Option<Value> {
    let current = current.cloned().unwrap_or_else(|| serde_json::json!({}));
    let selectors: EventSelectors = serde_json::from_value(current.clone()).unwrap_or_default();
    if selectors_record_bucket(&selectors, bucket) {
        return None;
    }
    let objects = format!("arn:aws:s3:::{bucket}/");
    let data_selector = serde_json::json!({
        "Name": format!("S3 data events of {bucket}"),
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": [objects]}
        ]
    });
    let advanced = selectors.advanced_event_selectors.unwrap_or_default();
    let basic = selectors.event_selectors.unwrap_or_default();
    if !advanced.is_empty() {
        let mut list = serde_json::to_value(advanced).ok()?;
        list.as_array_mut()?.push(data_selector);
        return Some(serde_json::json!({"AdvancedEventSelectors": list}));
    }
    if !basic.is_empty() {
        let mut list = serde_json::to_value(basic).ok()?;
        list.as_array_mut()?.push(serde_json::json!({
            "ReadWriteType": "All",
            "IncludeManagementEvents": false,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": [objects]}]
        }));
        return Some(serde_json::json!({"EventSelectors": list}));
    }
    Some(serde_json::json!({"AdvancedEventSelectors": [
        {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        data_selector
    ]}))
}

/// One write call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The bucket the call writes to (the log bucket for a log-delivery statement).
    pub bucket: String,
    #[serde(flatten)]
    pub setting: Setting,
    pub change: Change,
    /// The value read before planning; `None` when the setting was absent.
    pub before: Option<Value>,
    pub after: Value,
    /// The controls this step is meant to fix, re-evaluated after the write.
    pub controls: Vec<String>,
    /// The reason for the step, in one sentence.
    pub reason: String,
}

impl Step {
    pub fn call(&self) -> &'static str {
        self.setting.call()
    }
}

/// The steps for one bucket, in the order they run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub bucket: String,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn new(bucket: &str) -> Self {
        Self {
            bucket: bucket.to_string(),
            steps: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Renders the plan for a person to confirm: each call with its value before and after.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.steps.is_empty() {
            let _ = writeln!(out, "{}: nothing to change", clean(&self.bucket));
            return out;
        }
        let _ = writeln!(
            out,
            "Plan for {} ({} write calls):",
            clean(&self.bucket),
            self.steps.len()
        );
        for (number, step) in self.steps.iter().enumerate() {
            let call = if step.after.is_null() && step.setting == Setting::BucketPolicy {
                "DeleteBucketPolicy (no statement is left)"
            } else {
                step.call()
            };
            let controls = if step.controls.is_empty() {
                String::new()
            } else {
                format!(" (for {})", step.controls.join(", "))
            };
            let _ = writeln!(
                out,
                "\n{}. {call} on {}{controls}\n   {}",
                number + 1,
                clean(&step.bucket),
                clean(&step.reason)
            );
            let before = match &step.before {
                Some(value) => compact(value),
                None => "(none)".to_string(),
            };
            let _ = writeln!(out, "   before: {}", clean(&before));
            let _ = writeln!(out, "   after:  {}", clean(&compact(&step.after)));
        }
        out
    }
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The result of one applied step, for reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppliedStep {
    #[serde(flatten)]
    pub step: Step,
    /// The locations of the backups of the `before` value (S3 URIs or file paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backups: Vec<String>,
    /// Whether the write was made. False in dry-run mode and when nothing was to change.
    pub written: bool,
    /// Whether the read-back re-evaluation of the step's controls passed.
    pub verified: bool,
    /// The reason the step was not written or not verified, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A copy of a setting's value taken before a write, from which `rollback` restores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub bucket: String,
    #[serde(flatten)]
    pub setting: Setting,
    /// The value before the write; `None` when the setting was absent.
    pub value: Option<Value>,
    /// When the copy was taken (ISO 8601, UTC).
    pub taken_at: String,
}

impl Backup {
    /// Returns the object key or relative path of the backup: `backups/BUCKET/SETTING/STAMP.json`,
    /// where STAMP is the compact form of `taken_at`.
    pub fn key(&self) -> String {
        let stamp: String = self
            .taken_at
            .chars()
            .filter(|c| *c != '-' && *c != ':')
            .collect();
        format!(
            "backups/{}/{}/{stamp}.json",
            self.bucket,
            self.setting.backup_name()
        )
    }
}
