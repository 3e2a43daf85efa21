//! Snapshots: every fact gathered about one bucket and its account, before evaluation.
//!
//! Each read call's entry contains the response in the shape the AWS CLI prints it
//! (`aws s3api get-bucket-policy`, ...), or `{"Error": {"Code": ..., "Message": ...}}`
//! when the call failed. A call that was not made is absent, and the controls that
//! need it are ERROR with the reason "not collected".

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::err::SnapshotError;

/// Error codes that prove a setting is absent. Every other code is a failed read.
pub const ABSENCE_CODES: &[&str] = &[
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "ReplicationConfigurationNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchCORSConfiguration",
    "NoSuchWebsiteConfiguration",
    "NoSuchTagSet",
];

/// The error half of a recorded read: the AWS error code and message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallError {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Message", default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl CallError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: Some(message.into()),
        }
    }

    /// Returns whether this code is one of the documented "setting is absent" codes.
    pub fn is_absence(&self) -> bool {
        ABSENCE_CODES.contains(&self.code.as_str())
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) if !message.is_empty() => write!(f, "{}: {}", self.code, message),
            _ => f.write_str(&self.code),
        }
    }
}

/// One recorded read call: the response, or the error the call returned.
#[derive(Clone, Debug, PartialEq)]
pub enum Read<T> {
    Value(T),
    Error(CallError),
}

/// The meaning of a read for evaluation: a value, a documented absence, or unreadable.
#[derive(Clone, Copy, Debug)]
pub enum ReadState<'a, T> {
    Value(&'a T),
    Absent(&'a CallError),
    Unreadable(Unreadable<'a>),
}

/// The reason a read gives no verdict.
#[derive(Clone, Copy, Debug)]
pub enum Unreadable<'a> {
    NotCollected(&'static str),
    Failed(&'a CallError),
}

impl fmt::Display for Unreadable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::NotCollected(_) => f.write_str("not collected"),
            Unreadable::Failed(error) => write!(f, "read failed: {error}"),
        }
    }
}

impl<T> Read<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Read::Value(value) => Some(value),
            Read::Error(_) => None,
        }
    }
}

/// Interprets an optional recorded read for `call`.
pub fn state_of<'a, T>(read: &'a Option<Read<T>>, call: &'static str) -> ReadState<'a, T> {
    match read {
        None => ReadState::Unreadable(Unreadable::NotCollected(call)),
        Some(Read::Value(value)) => ReadState::Value(value),
        Some(Read::Error(error)) if error.is_absence() => ReadState::Absent(error),
        Some(Read::Error(error)) => ReadState::Unreadable(Unreadable::Failed(error)),
    }
}

/// Returns the call error when `value` is exactly `{"Error": {...}}`.
fn as_error_entry(value: &Value) -> Option<Result<CallError, serde_json::Error>> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let inner = object.get("Error")?;
    Some(serde_json::from_value(inner.clone()))
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Read<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value
            .as_object()
            .is_some_and(|object| object.len() > 1 && object.contains_key("Error"))
        {
            return Err(serde::de::Error::custom(
                "an entry has both a response and an `Error`; keep the response, or only {\"Error\": {...}} when the call failed",
            ));
        }
        if let Some(error) = as_error_entry(&value) {
            return error.map(Read::Error).map_err(|e| {
                serde::de::Error::custom(format!(
                    "invalid `Error` entry ({e}); write it as {{\"Error\": {{\"Code\": \"AccessDenied\", \"Message\": \"...\"}}}}"
                ))
            });
        }
        serde_json::from_value(value)
            .map(Read::Value)
            .map_err(serde::de::Error::custom)
    }
}

impl<T: Serialize> Serialize for Read<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Read::Value(value) => value.serialize(serializer),
            Read::Error(error) => {
                #[derive(Serialize)]
                struct Entry<'a> {
                    #[serde(rename = "Error")]
                    error: &'a CallError,
                }
                Entry { error }.serialize(serializer)
            }
        }
    }
}

/// Every fact gathered about one bucket. Field names are the AWS API call names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Snapshot {
    pub bucket: String,
    pub account_id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Read<BTreeMap<String, String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_policy: Option<Read<BucketPolicy>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_policy_status: Option<Read<BucketPolicyStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_public_access_block: Option<Read<PublicAccessBlock>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_acl: Option<Read<BucketAcl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_ownership_controls: Option<Read<BucketOwnershipControls>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_encryption: Option<Read<BucketEncryption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_versioning: Option<Read<BucketVersioning>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_logging: Option<Read<BucketLogging>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_object_lock_configuration: Option<Read<ObjectLockConfiguration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_bucket_replication: Option<Read<BucketReplication>>,
    /// DescribeKey responses, keyed by the key id exactly as the encryption rule names it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub describe_key: BTreeMap<String, Read<DescribeKey>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountSnapshot>,
}

/// Account-wide facts, read once per account (and per region for GuardDuty and
/// Access Analyzer) and shared by every bucket's snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AccountSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_account_public_access_block: Option<Read<PublicAccessBlock>>,
    /// DescribeTrails, with each trail's status and selectors read in its home region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trails: Option<Read<Vec<TrailFacts>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_duty: Option<GuardDutyFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_analyzer: Option<AccessAnalyzerFacts>,
}

impl Snapshot {
    /// Parses a snapshot file, naming the offending field and position on error.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let snapshot: Snapshot =
            serde_json::from_str(text).map_err(|source| SnapshotError::Invalid { source })?;
        snapshot.validate()?;
        Ok(snapshot)
    }

    fn validate(&self) -> Result<(), SnapshotError> {
        if self.bucket.trim().is_empty() {
            return Err(SnapshotError::MissingField { field: "Bucket" });
        }
        if self.account_id.trim().is_empty() {
            return Err(SnapshotError::MissingField { field: "AccountId" });
        }
        if self.region.trim().is_empty() {
            return Err(SnapshotError::MissingField { field: "Region" });
        }
        Ok(())
    }

    pub fn account_facts(&self) -> Option<&AccountSnapshot> {
        self.account.as_ref()
    }
}

/// Unknown fields are kept so that a rewrite can carry fields this version does not model.
pub type Extra = serde_json::Map<String, Value>;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    /// The policy document, as the JSON text S3 stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicyStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_status: Option<PolicyStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block_configuration: Option<PublicAccessBlockConfiguration>,
}

/// The four Block Public Access flags. An unset flag is off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_public_acls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_public_acls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_public_policy: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrict_public_buckets: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketAcl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grant {
    #[serde(default)]
    pub grantee: Grantee,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grantee {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub grantee_type: Option<String>,
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "URI", default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketOwnershipControls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership_controls: Option<OwnershipControls>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    #[serde(default)]
    pub rules: Vec<OwnershipControlsRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControlsRule {
    pub object_ownership: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side_encryption_configuration: Option<ServerSideEncryptionConfiguration>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionConfiguration {
    #[serde(default)]
    pub rules: Vec<EncryptionRule>,
}

/// One default-encryption rule. Fields this version does not model are kept in `extra`
/// so that a PutBucketEncryption built from this rule carries them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_server_side_encryption_by_default: Option<EncryptionByDefault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_encryption_types: Option<BlockedEncryptionTypes>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EncryptionByDefault {
    /// An open value: AES256, aws:kms, aws:kms:dsse, aws:fsx, or any value AWS adds.
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
    #[serde(
        rename = "KMSMasterKeyID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_master_key_id: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockedEncryptionTypes {
    #[serde(default)]
    pub encryption_type: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketVersioning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "MFADelete", default, skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketLogging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging_enabled: Option<LoggingEnabled>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingEnabled {
    pub target_bucket: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_prefix: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock_configuration: Option<ObjectLockSettings>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock_enabled: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketReplication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_configuration: Option<ReplicationConfiguration>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub rules: Vec<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_metadata: Option<KeyMetadata>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `CUSTOMER` or `AWS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One trail from DescribeTrails, with GetTrailStatus and GetEventSelectors read in
/// the trail's home region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailFacts {
    pub trail: Trail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_trail_status: Option<Read<TrailStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_event_selectors: Option<Read<EventSelectors>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Trail {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    #[serde(rename = "TrailARN", default, skip_serializing_if = "Option::is_none")]
    pub trail_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_multi_region_trail: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_organization_trail: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_name: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_logging: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSelectors {
    #[serde(rename = "TrailARN", default, skip_serializing_if = "Option::is_none")]
    pub trail_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_selectors: Option<Vec<EventSelector>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_event_selectors: Option<Vec<AdvancedEventSelector>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSelector {
    /// `All`, `ReadOnly` or `WriteOnly`; CloudTrail's default is `All`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_write_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_management_events: Option<bool>,
    #[serde(default)]
    pub data_resources: Vec<DataResource>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataResource {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedEventSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldSelector {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_with: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_starts_with: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ends_with: Option<Vec<String>>,
}

/// GuardDuty in the bucket's region: ListDetectors, then GetDetector for its detector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GuardDutyFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_detectors: Option<Read<ListDetectors>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_detector: Option<Read<Detector>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDetectors {
    #[serde(default)]
    pub detector_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Detector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<DetectorFeature>>,
    /// The older form of the same setting: `DataSources.S3Logs.Status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sources: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DetectorFeature {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// IAM Access Analyzer in the bucket's region. Its API uses camelCase names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AccessAnalyzerFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_analyzers: Option<Read<ListAnalyzers>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_findings: Option<Read<ListFindings>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAnalyzers {
    #[serde(default)]
    pub analyzers: Vec<Analyzer>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analyzer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub analyzer_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListFindings {
    #[serde(default)]
    pub findings: Vec<AnalyzerFinding>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzerFinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Vec<String>>,
}
