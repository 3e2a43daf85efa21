//! Edits of bucket policies and encryption rules that never lose data.
//!
//! PutBucketPolicy, PutBucketEncryption and PutBucketAcl replace the whole setting,
//! so every edit starts from the current value and carries each part it is not about.
//! Policy statements are edited as JSON values: a statement that no edit removes is
//! written back exactly as it was read, never rebuilt from the policy model.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::err::{MergeError, PolicyError};
use crate::policy::glob;
use crate::policy::model::{Effect, Matcher, PrincipalEntry, PrincipalKind, Principals, Statement};
use crate::policy::{BucketArns, Policy, Trust, analyse, analyse_tls};
use crate::snapshot::{
    BlockedEncryptionTypes, BucketAcl, BucketEncryption, EncryptionByDefault, EncryptionRule,
    Grantee,
};

/// S3's size limit for a bucket policy, in bytes.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The policy language version of documents this module creates.
const POLICY_VERSION: &str = "2012-10-17";

/// The actions a bucket owner needs to read, fix or remove a bucket policy.
const POLICY_MANAGEMENT_ACTIONS: &[&str] = &[
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// The ACL groups that make a grant public.
const PUBLIC_GROUP_URIS: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

const SSE_S3: &str = "AES256";
const SSE_KMS: &str = "aws:kms";
const SSE_KMS_DSSE: &str = "aws:kms:dsse";
const SSE_C: &str = "SSE-C";
/// The `BlockedEncryptionTypes` value that blocks no encryption type.
const BLOCK_NONE: &str = "NONE";

/// One edit of a bucket policy document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEdit {
    /// Appends the statement unless an existing statement already has its effect.
    AddStatement(Value),
    /// Removes the statements that the reach analysis finds reachable from the internet.
    RemovePublicStatements,
    /// Removes the statements whose `Sid` is one of these (compared exactly).
    RemoveStatementsWithSid(Vec<String>),
}

/// One edit of a default-encryption rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncryptionEdit {
    /// Sets `SSEAlgorithm` to AES256 and drops `KMSMasterKeyID`.
    SetSseS3,
    /// Sets the KMS key, with `SSEAlgorithm` aws:kms unless the rule uses aws:kms:dsse.
    SetKmsKey(String),
    SetBucketKeyEnabled(bool),
    /// Adds SSE-C to `BlockedEncryptionTypes`.
    BlockSseC,
}

/// Applies the edits in order to one in-memory document.
///
/// Returns `Ok(None)` when the result contains the same statements as the input, in
/// any order, because IAM gives statement order no meaning and no write is needed. This
/// makes removing a statement and adding it back a no-op. Otherwise returns the new
/// document, which has passed [`validate_policy`].
///
/// `existing` is `None` when the bucket has no policy (NoSuchBucketPolicy); a new
/// document gets `"Version": "2012-10-17"`. An existing document keeps every
/// top-level field and every statement no edit removes, in order. A `Statement`
/// written as a single object becomes a list only when the document changes.
pub fn edit_policy(
    existing: Option<&Value>,
    edits: &[PolicyEdit],
    bucket: &str,
    owner_account: &str,
) -> Result<Option<Value>, MergeError> {
    let original = match existing {
        Some(document) => {
            Policy::from_value(document)?;
            statement_values(document)
        }
        None => Vec::new(),
    };
    let arns = BucketArns::new(bucket);
    let mut statements = original.clone();
    for edit in edits {
        match edit {
            PolicyEdit::AddStatement(statement) => {
                add_statement(&mut statements, statement, &arns)?;
            }
            PolicyEdit::RemovePublicStatements => {
                remove_public_statements(&mut statements, &arns, owner_account)?;
            }
            PolicyEdit::RemoveStatementsWithSid(sids) => {
                statements.retain(|statement| !has_sid(statement, sids));
            }
        }
    }
    if same_statements(&statements, &original) {
        return Ok(None);
    }

    let document = with_statements(existing, statements);
    validate_policy(&document, bucket, owner_account)?;
    Ok(Some(document))
}

/// Validates a document before PutBucketPolicy.
///
/// The document must parse as a policy, have at least one statement, and be at most
/// [`MAX_POLICY_BYTES`] as compact JSON. Every `Resource` and `NotResource` pattern
/// must reach this bucket or its objects. No statement may lock the owner out: an
/// unconditional Deny whose principal covers the owner account, whose actions cover
/// s3:GetBucketPolicy, s3:PutBucketPolicy or s3:DeleteBucketPolicy, and whose
/// resources cover the bucket ARN.
pub fn validate_policy(
    document: &Value,
    bucket: &str,
    owner_account: &str,
) -> Result<(), MergeError> {
    let policy = Policy::from_value(document)?;
    if policy.statements.is_empty() {
        return Err(MergeError::NoStatements);
    }
    let size = document.to_string().len();
    if size > MAX_POLICY_BYTES {
        return Err(MergeError::TooLarge {
            size,
            limit: MAX_POLICY_BYTES,
        });
    }

    let arns = BucketArns::new(bucket);
    for statement in &policy.statements {
        // NOTE: only the `aws` partition is recognised, as in the reach analysis, so a
        // policy of a bucket in aws-cn or aws-us-gov is rejected here.
        let outside = statement.resource.patterns.iter().find(|pattern| {
            !glob::intersects(pattern, &arns.bucket, false)
                && !glob::intersects(pattern, &arns.objects, false)
        });
        if let Some(pattern) = outside {
            return Err(MergeError::ResourceOutsideBucket {
                statement: statement.index,
                pattern: pattern.clone(),
                bucket: bucket.to_string(),
            });
        }
        if locks_out_owner(statement, &arns, owner_account) {
            return Err(MergeError::Lockout {
                statement: statement.index,
                sid: statement.sid.clone(),
                owner_account: owner_account.to_string(),
            });
        }
    }
    Ok(())
}

/// Returns the Deny that refuses plain HTTP (`aws:SecureTransport` false) for every
/// S3 action on the bucket and its objects.
pub fn tls_statement(bucket: &str) -> Value {
    let arns = BucketArns::new(bucket);
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arns.bucket, arns.objects],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

/// Returns the statement a log bucket needs so that S3 server access logging can
/// deliver the logs of `source_bucket` under `prefix`.
///
/// The grant to logging.s3.amazonaws.com is pinned to the source bucket and its
/// account, so no other bucket can have its logs written there.
pub fn log_delivery_statement(
    log_bucket: &str,
    prefix: &str,
    source_bucket: &str,
    account: &str,
) -> Value {
    json!({
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{log_bucket}/{prefix}*"),
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{source_bucket}")}
        }
    })
}

/// Applies the edits to the bucket's current default-encryption rule.
///
/// PutBucketEncryption replaces the whole rule, so the result carries every field of
/// the current rule, including fields this version does not model, unless an edit is
/// about that field. `existing` `None`, or a configuration without rules, means no
/// configuration (ServerSideEncryptionConfigurationNotFoundError): the edits then
/// start from SSE-S3 (AES256) and any edit produces a rule to write. Returns
/// `Ok(None)` when the rule does not change.
pub fn edit_encryption(
    existing: Option<&BucketEncryption>,
    edits: &[EncryptionEdit],
) -> Result<Option<EncryptionRule>, MergeError> {
    let current = current_rule(existing)?;
    let mut rule = match current {
        Some(rule) => rule.clone(),
        None => EncryptionRule {
            apply_server_side_encryption_by_default: Some(by_default(SSE_S3)),
            ..EncryptionRule::default()
        },
    };
    for edit in edits {
        apply_encryption_edit(&mut rule, edit)?;
    }

    let changed = match current {
        Some(current) => *current != rule,
        None => !edits.is_empty(),
    };
    Ok(changed.then_some(rule))
}

/// Removes the grants to AllUsers and AuthenticatedUsers and keeps every other grant
/// and the owner. Returns `None` when the ACL has no such grant.
pub fn remove_public_grants(acl: &BucketAcl) -> Option<BucketAcl> {
    let grants: Vec<_> = acl
        .grants
        .iter()
        .filter(|grant| !is_public_grantee(&grant.grantee))
        .cloned()
        .collect();
    if grants.len() == acl.grants.len() {
        return None;
    }
    Some(BucketAcl {
        owner: acl.owner.clone(),
        grants,
    })
}

// Policy edits.

/// Returns the document's statements as JSON values, with a single-object `Statement`
/// as the only item.
fn statement_values(document: &Value) -> Vec<Value> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// Returns whether both lists contain the same statements, each as often, in any order.
fn same_statements(left: &[Value], right: &[Value]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    let mut unmatched: Vec<&Value> = right.iter().collect();
    left.iter().all(
        |statement| match unmatched.iter().position(|other| *other == statement) {
            Some(position) => {
                unmatched.swap_remove(position);
                true
            }
            None => false,
        },
    )
}

/// Returns `existing` with its `Statement` replaced, or a new document.
fn with_statements(existing: Option<&Value>, statements: Vec<Value>) -> Value {
    match existing.and_then(Value::as_object) {
        Some(object) => {
            let mut object = object.clone();
            // The map keeps insertion order, so `Statement` stays where it was.
            object.insert("Statement".into(), Value::Array(statements));
            Value::Object(object)
        }
        None => json!({"Version": POLICY_VERSION, "Statement": statements}),
    }
}

fn parse_statements(statements: &[Value]) -> Result<Policy, PolicyError> {
    Policy::from_value(&json!({ "Statement": statements }))
}

fn add_statement(
    statements: &mut Vec<Value>,
    statement: &Value,
    arns: &BucketArns,
) -> Result<(), MergeError> {
    // Parsing the new statement after the current ones makes an error name the
    // position the statement would take.
    let mut candidate = statements.clone();
    candidate.push(statement.clone());
    let policy = parse_statements(&candidate)?;
    let Some((added, current)) = policy.statements.split_last() else {
        return Ok(());
    };
    if !has_effect_of(current, added, arns) {
        statements.push(with_unique_sid(statement, current));
    }
    Ok(())
}

/// Returns the statement with its Sid made unique among `current`, by a numeric
/// suffix, because S3 rejects a policy whose statements repeat a Sid it adds.
fn with_unique_sid(statement: &Value, current: &[Statement]) -> Value {
    let Some(sid) = statement.get("Sid").and_then(Value::as_str) else {
        return statement.clone();
    };
    let taken = |candidate: &str| {
        current
            .iter()
            .any(|existing| existing.sid.as_deref() == Some(candidate))
    };
    if !taken(sid) {
        return statement.clone();
    }
    let unique = (2..)
        .map(|number| format!("{sid}{number}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| sid.to_string());
    let mut renamed = statement.clone();
    if let Some(object) = renamed.as_object_mut() {
        object.insert("Sid".to_string(), Value::String(unique));
    }
    renamed
}

/// Returns whether the `current` statements already have the effect of `added`: one
/// has the same meaning, a Deny covers it, or `added` is a TLS Deny and the current
/// statements already refuse plain HTTP to the bucket and its objects.
fn has_effect_of(current: &[Statement], added: &Statement, arns: &BucketArns) -> bool {
    let meaning = Meaning::of(added);
    if current
        .iter()
        .any(|existing| Meaning::of(existing) == meaning || deny_covers(existing, added))
    {
        return true;
    }
    let only_added = Policy {
        version: None,
        statements: vec![added.clone()],
    };
    let current_policy = Policy {
        version: None,
        statements: current.to_vec(),
    };
    analyse_tls(&only_added, arns).enforced() && analyse_tls(&current_policy, arns).enforced()
}

fn remove_public_statements(
    statements: &mut Vec<Value>,
    arns: &BucketArns,
    owner_account: &str,
) -> Result<(), MergeError> {
    let policy = parse_statements(statements)?;
    let trust = Trust {
        owner_account,
        trusted_accounts: &[],
        trusted_organizations: &[],
    };
    let reachable: BTreeSet<usize> = analyse(&policy, arns, &trust)
        .reachable()
        .map(|grant| grant.statement)
        .collect();
    let kept = std::mem::take(statements)
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !reachable.contains(index))
        .map(|(_, statement)| statement);
    statements.extend(kept);
    Ok(())
}

fn has_sid(statement: &Value, sids: &[String]) -> bool {
    statement
        .get("Sid")
        .and_then(Value::as_str)
        .is_some_and(|sid| sids.iter().any(|named| named == sid))
}

// Statement meaning.

/// A condition as a comparable value: operator and key in lowercase, values as a set.
type ConditionKey = (String, String, BTreeSet<String>);

/// The meaning of a statement to IAM, without its `Sid` and its spelling.
#[derive(Debug, PartialEq, Eq)]
struct Meaning {
    effect: Effect,
    principals_negated: bool,
    principals: BTreeSet<(String, String)>,
    actions_negated: bool,
    actions: BTreeSet<String>,
    resources_negated: bool,
    resources: BTreeSet<String>,
    conditions: BTreeSet<ConditionKey>,
}

impl Meaning {
    fn of(statement: &Statement) -> Meaning {
        Meaning {
            effect: statement.effect,
            principals_negated: statement.principal.negated,
            principals: principal_set(&statement.principal),
            actions_negated: statement.action.negated,
            actions: statement
                .action
                .patterns
                .iter()
                .map(|action| action.to_ascii_lowercase())
                .collect(),
            resources_negated: statement.resource.negated,
            resources: statement.resource.patterns.iter().cloned().collect(),
            conditions: condition_set(statement),
        }
    }
}

/// Principals as (type, value) pairs. `"*"` becomes `("AWS", "*")` and a bare account
/// id becomes its root ARN, as IAM reads them.
fn principal_set(principals: &Principals) -> BTreeSet<(String, String)> {
    principals
        .entries
        .iter()
        .map(|entry| match &entry.kind {
            PrincipalKind::Wildcard => ("AWS".to_string(), "*".to_string()),
            PrincipalKind::Aws if is_account_id(&entry.value) => (
                "AWS".to_string(),
                format!("arn:aws:iam::{}:root", entry.value),
            ),
            PrincipalKind::Aws => ("AWS".to_string(), entry.value.clone()),
            PrincipalKind::Service => ("Service".to_string(), entry.value.clone()),
            PrincipalKind::Federated => ("Federated".to_string(), entry.value.clone()),
            PrincipalKind::CanonicalUser => ("CanonicalUser".to_string(), entry.value.clone()),
            PrincipalKind::Other(kind) => (kind.clone(), entry.value.clone()),
        })
        .collect()
}

/// Conditions as a set. The model stores JSON booleans and numbers as text, so
/// `false` and `"false"` compare equal.
fn condition_set(statement: &Statement) -> BTreeSet<ConditionKey> {
    statement
        .conditions
        .iter()
        .map(|condition| {
            (
                condition.operator_text.to_ascii_lowercase(),
                condition.key.to_ascii_lowercase(),
                condition.values.iter().cloned().collect(),
            )
        })
        .collect()
}

/// Returns whether `existing` is a Deny that refuses at least every request `added`
/// (also a Deny) refuses: the same or broader principals, actions and resources, and
/// no condition that `added` lacks.
fn deny_covers(existing: &Statement, added: &Statement) -> bool {
    existing.effect == Effect::Deny
        && added.effect == Effect::Deny
        && principals_cover(&existing.principal, &added.principal)
        && matcher_covers(&existing.action, &added.action, true)
        && matcher_covers(&existing.resource, &added.resource, false)
        && condition_set(existing).is_subset(&condition_set(added))
}

fn principals_cover(outer: &Principals, inner: &Principals) -> bool {
    let outer_set = principal_set(outer);
    let inner_set = principal_set(inner);
    let everyone = ("AWS".to_string(), "*".to_string());
    match (outer.negated, inner.negated) {
        (false, _) if outer_set.contains(&everyone) => true,
        (false, false) => inner_set.is_subset(&outer_set),
        // Everyone except O covers everyone except I when O is part of I.
        (true, true) => outer_set.is_subset(&inner_set),
        _ => false,
    }
}

/// Returns whether every value `inner` matches is matched by `outer`. Returns false
/// when coverage cannot be shown pattern by pattern.
fn matcher_covers(outer: &Matcher, inner: &Matcher, ignore_case: bool) -> bool {
    let covered_by = |patterns: &[String], value: &str| {
        patterns
            .iter()
            .any(|pattern| glob::covers(pattern, value, ignore_case))
    };
    match (outer.negated, inner.negated) {
        (false, false) => inner
            .patterns
            .iter()
            .all(|pattern| covered_by(&outer.patterns, pattern)),
        (true, false) => inner.patterns.iter().all(|value| {
            !outer
                .patterns
                .iter()
                .any(|excluded| glob::intersects(excluded, value, ignore_case))
        }),
        // Everything except O covers everything except I when I covers O.
        (true, true) => outer
            .patterns
            .iter()
            .all(|excluded| covered_by(&inner.patterns, excluded)),
        (false, true) => covered_by(&outer.patterns, "*"),
    }
}

// Lockout.

/// Returns whether the statement is an unconditional Deny of a policy-management
/// action on the bucket to a principal that includes the owner account.
///
/// NOTE: a Deny whose condition the owner fails (such as a `StringNotEquals` on
/// `aws:SourceVpce` for callers outside that VPC endpoint) can lock the owner out too,
/// but policies use such statements on purpose, so only unconditional ones are
/// rejected. The account's root user keeps these actions in every case.
fn locks_out_owner(statement: &Statement, arns: &BucketArns, owner_account: &str) -> bool {
    statement.effect == Effect::Deny
        && statement.conditions.is_empty()
        && principal_includes_owner(&statement.principal, owner_account)
        && POLICY_MANAGEMENT_ACTIONS
            .iter()
            .any(|action| matcher_matches(&statement.action, action, true))
        && matcher_matches(&statement.resource, &arns.bucket, false)
}

/// The owner is the account itself (its id or its root ARN). A Deny that names only
/// roles or users of the account does not lock the account out, because its root
/// and its other identities can still manage the policy.
fn principal_includes_owner(principals: &Principals, owner_account: &str) -> bool {
    let names_owner = principals
        .entries
        .iter()
        .any(|entry| is_owner_account(entry, owner_account));
    if principals.negated {
        return !names_owner;
    }
    names_owner
        || principals.entries.iter().any(|entry| {
            entry.kind == PrincipalKind::Wildcard
                || (entry.kind == PrincipalKind::Aws && entry.value == "*")
        })
}

/// Returns whether an AWS principal is the account itself: its id, or its root ARN.
fn is_owner_account(entry: &PrincipalEntry, account: &str) -> bool {
    if entry.kind != PrincipalKind::Aws {
        return false;
    }
    if entry.value == account {
        return true;
    }
    let is_root = entry.value.rsplit(':').next() == Some("root");
    is_root
        && arn_account(&entry.value).is_some_and(|pattern| glob::matches(pattern, account, false))
}

/// Returns the account field of an ARN (`arn:aws:iam::111122223333:role/x`).
fn arn_account(arn: &str) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    if fields.next()? != "arn" {
        return None;
    }
    fields.nth(3)
}

fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|byte| byte.is_ascii_digit())
}

fn matcher_matches(matcher: &Matcher, value: &str, ignore_case: bool) -> bool {
    let matched = matcher
        .patterns
        .iter()
        .any(|pattern| glob::matches(pattern, value, ignore_case));
    matched != matcher.negated
}

// Encryption and ACL edits.

/// Returns the configuration's only rule, or `None` when there is no configuration or
/// no rule.
fn current_rule(
    existing: Option<&BucketEncryption>,
) -> Result<Option<&EncryptionRule>, MergeError> {
    let rules = existing
        .and_then(|encryption| encryption.server_side_encryption_configuration.as_ref())
        .map(|configuration| configuration.rules.as_slice())
        .unwrap_or_default();
    match rules {
        [] => Ok(None),
        [rule] => Ok(Some(rule)),
        _ => Err(MergeError::InvalidEncryption {
            reason: format!(
                "the configuration has {} rules, but an edit can write back only one; merge them into one rule first",
                rules.len()
            ),
        }),
    }
}

fn by_default(algorithm: &str) -> EncryptionByDefault {
    EncryptionByDefault {
        sse_algorithm: algorithm.to_string(),
        ..EncryptionByDefault::default()
    }
}

fn apply_encryption_edit(
    rule: &mut EncryptionRule,
    edit: &EncryptionEdit,
) -> Result<(), MergeError> {
    match edit {
        EncryptionEdit::SetSseS3 => {
            let settings = rule
                .apply_server_side_encryption_by_default
                .get_or_insert_with(|| by_default(SSE_S3));
            settings.sse_algorithm = SSE_S3.to_string();
            settings.kms_master_key_id = None;
        }
        EncryptionEdit::SetKmsKey(key) => {
            if key.trim().is_empty() {
                return Err(MergeError::InvalidEncryption {
                    reason: "the KMS key id is empty; pass the key's ARN".to_string(),
                });
            }
            let settings = rule
                .apply_server_side_encryption_by_default
                .get_or_insert_with(|| by_default(SSE_KMS));
            if settings.sse_algorithm != SSE_KMS_DSSE {
                settings.sse_algorithm = SSE_KMS.to_string();
            }
            settings.kms_master_key_id = Some(key.clone());
        }
        EncryptionEdit::SetBucketKeyEnabled(enabled) => {
            // S3 Bucket Keys are not supported with DSSE-KMS, so the rule is left as it is.
            let dsse = rule
                .apply_server_side_encryption_by_default
                .as_ref()
                .is_some_and(|settings| settings.sse_algorithm == SSE_KMS_DSSE);
            if !dsse {
                rule.bucket_key_enabled = Some(*enabled);
            }
        }
        EncryptionEdit::BlockSseC => {
            let blocked = rule
                .blocked_encryption_types
                .get_or_insert_with(BlockedEncryptionTypes::default);
            if !blocked.encryption_type.iter().any(|kind| kind == SSE_C) {
                // NONE means that no type is blocked, which contradicts blocking SSE-C.
                blocked.encryption_type.retain(|kind| kind != BLOCK_NONE);
                blocked.encryption_type.push(SSE_C.to_string());
            }
        }
    }
    Ok(())
}

fn is_public_grantee(grantee: &Grantee) -> bool {
    grantee.uri.as_deref().is_some_and(|uri| {
        PUBLIC_GROUP_URIS
            .iter()
            .any(|group| uri.eq_ignore_ascii_case(group))
    })
}
