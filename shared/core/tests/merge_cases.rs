//! Cases for policy, encryption and ACL edits: every `*.merge.json` case of the
//! corpus in `tests/corpus`, then one test per validation error, the lockout rule,
//! the size limit and the encryption and ACL edits.
//!
//! A merge case gives `existing_policy` (a document or null) or `existing_encryption`
//! (a GetBucketEncryption response), an `operation` (one object or a list applied in
//! order) and `expected`: the complete statement list, the complete encryption rule,
//! or `{"no_change": true}`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use std::fs;
use std::path::PathBuf;

use bucketwarden_core::err::MergeError;
use bucketwarden_core::merge::{
    EncryptionEdit, MAX_POLICY_BYTES, PolicyEdit, edit_encryption, edit_policy,
    log_delivery_statement, remove_public_grants, tls_statement, validate_policy,
};
use bucketwarden_core::snapshot::{BucketAcl, BucketEncryption};
use serde_json::{Value, json};

const BUCKET: &str = "example-bucket";
const OWNER: &str = "111122223333";
const KEY_ARN: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// One edit of a case's `operation`, either kind.
enum Edit {
    Policy(PolicyEdit),
    Encryption(EncryptionEdit),
}

fn parse_operation(case: &str, operation: &Value) -> Edit {
    let object = operation
        .as_object()
        .unwrap_or_else(|| panic!("{case}: an operation must be an object, got {operation}"));
    assert_eq!(
        object.len(),
        1,
        "{case}: one key per operation: {operation}"
    );
    let (name, argument) = object.iter().next().unwrap();
    match name.as_str() {
        "add_statement" => Edit::Policy(PolicyEdit::AddStatement(argument.clone())),
        "remove_public_statements" => Edit::Policy(PolicyEdit::RemovePublicStatements),
        "remove_statements_with_sid" => Edit::Policy(PolicyEdit::RemoveStatementsWithSid(
            serde_json::from_value(argument.clone()).unwrap(),
        )),
        "set_sse_s3" => Edit::Encryption(EncryptionEdit::SetSseS3),
        "set_kms_key" => Edit::Encryption(EncryptionEdit::SetKmsKey(
            argument.as_str().unwrap().to_string(),
        )),
        "set_bucket_key_enabled" => Edit::Encryption(EncryptionEdit::SetBucketKeyEnabled(
            argument.as_bool().unwrap(),
        )),
        "block_sse_c" => Edit::Encryption(EncryptionEdit::BlockSseC),
        other => panic!("{case}: unknown operation `{other}`"),
    }
}

/// Runs one case and returns what went wrong, if anything.
fn run_case(case: &str, document: &Value) -> Option<String> {
    let operations = match &document["operation"] {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    let edits: Vec<Edit> = operations
        .iter()
        .map(|operation| parse_operation(case, operation))
        .collect();
    let expected = &document["expected"];
    let why = document["why"].as_str().unwrap_or("");

    let result: Result<Option<Value>, MergeError> =
        if let Some(existing) = document.get("existing_policy") {
            let policy_edits: Vec<PolicyEdit> = edits
                .into_iter()
                .map(|edit| match edit {
                    Edit::Policy(edit) => edit,
                    Edit::Encryption(_) => panic!("{case}: encryption edit on a policy"),
                })
                .collect();
            let existing = (!existing.is_null()).then_some(existing);
            edit_policy(existing, &policy_edits, BUCKET, OWNER)
                .map(|document| document.map(|document| document["Statement"].clone()))
        } else if let Some(existing) = document.get("existing_encryption") {
            let encryption_edits: Vec<EncryptionEdit> = edits
                .into_iter()
                .map(|edit| match edit {
                    Edit::Encryption(edit) => edit,
                    Edit::Policy(_) => panic!("{case}: policy edit on an encryption rule"),
                })
                .collect();
            let existing: Option<BucketEncryption> = if existing.is_null() {
                None
            } else {
                Some(serde_json::from_value(existing.clone()).unwrap())
            };
            edit_encryption(existing.as_ref(), &encryption_edits)
                .map(|rule| rule.map(|rule| serde_json::to_value(rule).unwrap()))
        } else {
            panic!("{case}: no `existing_policy` or `existing_encryption`");
        };

    let expected_result = if expected["no_change"] == json!(true) {
        None
    } else if let Some(statements) = expected.get("statements") {
        Some(statements.clone())
    } else if let Some(rule) = expected.get("encryption_rule") {
        Some(rule.clone())
    } else {
        panic!("{case}: unknown `expected` {expected}");
    };
    match result {
        Err(error) => Some(format!("{case}: failed with `{error}` ({why})")),
        Ok(got) if got != expected_result => Some(format!(
            "{case}: expected {}, got {} ({why})",
            expected_result.map_or("no change".to_string(), |value| value.to_string()),
            got.map_or("no change".to_string(), |value| value.to_string()),
        )),
        Ok(_) => None,
    }
}

#[test]
fn corpus_merge_cases_pass() {
    let mut names: Vec<String> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".merge.json"))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "only {} merge cases found", names.len());

    let mut failures = Vec::new();
    for name in &names {
        let text = fs::read_to_string(corpus_dir().join(name)).unwrap();
        let document: Value =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        let case = name.trim_end_matches(".merge.json");
        failures.extend(run_case(case, &document));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// Helpers for the unit tests.

fn document(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn statement(effect: &str, principal: Value, action: Value, resource: Value) -> Value {
    json!({"Effect": effect, "Principal": principal, "Action": action, "Resource": resource})
}

fn reader() -> Value {
    statement(
        "Allow",
        json!({"AWS": "arn:aws:iam::111122223333:role/reader"}),
        json!("s3:GetObject"),
        json!("arn:aws:s3:::example-bucket/*"),
    )
}

fn public_read() -> Value {
    json!({
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::example-bucket/*"
    })
}

fn validation_error(statements: Value) -> String {
    validate_policy(&document(statements), BUCKET, OWNER)
        .unwrap_err()
        .to_string()
}

fn add(existing: Option<&Value>, statement: Value) -> Result<Option<Value>, MergeError> {
    edit_policy(
        existing,
        &[PolicyEdit::AddStatement(statement)],
        BUCKET,
        OWNER,
    )
}

// Validation errors.

#[test]
fn validate_rejects_invalid_policy() {
    let message =
        validation_error(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    assert_eq!(message, "invalid policy: Statement[0] has no `Principal`");
}

#[test]
fn validate_rejects_resource_outside_bucket() {
    let message = validation_error(json!([
        reader(),
        statement(
            "Allow",
            json!({"AWS": OWNER}),
            json!("s3:GetObject"),
            json!([
                "arn:aws:s3:::example-bucket/*",
                "arn:aws:s3:::other-bucket/*"
            ])
        )
    ]));
    assert_eq!(
        message,
        "invalid policy: Statement[1] names the resource `arn:aws:s3:::other-bucket/*`, which is outside the bucket; a policy of `example-bucket` may name only arn:aws:s3:::example-bucket and its objects"
    );
}

#[test]
fn validate_rejects_not_resource_outside_bucket() {
    let message = validation_error(json!([{
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "NotResource": "arn:aws:s3:::example-bucket-logs/*"
    }]));
    assert!(
        message.contains("`arn:aws:s3:::example-bucket-logs/*`"),
        "{message}"
    );
}

#[test]
fn validate_accepts_wildcard_resources() {
    for resource in [
        "*",
        "arn:aws:s3:::example-*",
        "arn:aws:s3:::example-bucket/logs/*",
    ] {
        let statements = json!([statement(
            "Allow",
            json!({"AWS": OWNER}),
            json!("s3:GetObject"),
            json!(resource)
        )]);
        assert!(
            validate_policy(&document(statements), BUCKET, OWNER).is_ok(),
            "{resource} rejected"
        );
    }
}

#[test]
fn validate_rejects_lockout_with_message() {
    let message = validation_error(json!([
        reader(),
        {"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"]}
    ]));
    assert_eq!(
        message,
        "invalid policy: Statement[1] (`DenyAll`) denies the bucket owner (account 111122223333) s3:GetBucketPolicy, s3:PutBucketPolicy or s3:DeleteBucketPolicy without a condition, which would lock the owner out of the policy; exclude the owner's account or narrow the actions"
    );
}

#[test]
fn validate_lockout_message_without_sid() {
    let message = validation_error(json!([statement(
        "Deny",
        json!("*"),
        json!("s3:PutBucketPolicy"),
        json!("arn:aws:s3:::example-bucket")
    )]));
    assert!(
        message.starts_with("invalid policy: Statement[0] denies the bucket owner"),
        "{message}"
    );
}

#[test]
fn validate_rejects_too_large() {
    let padding = "x".repeat(MAX_POLICY_BYTES);
    let statements = json!([{
        "Sid": padding,
        "Effect": "Allow",
        "Principal": {"AWS": OWNER},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::example-bucket/*"
    }]);
    let size = document(statements.clone()).to_string().len();
    assert_eq!(
        validation_error(statements),
        format!(
            "invalid policy: the document is {size} bytes, over S3's bucket-policy limit of 20480 bytes; remove or combine statements"
        )
    );
}

#[test]
fn validate_accepts_policy_at_size_limit() {
    let mut statements = json!([{
        "Sid": "",
        "Effect": "Allow",
        "Principal": {"AWS": OWNER},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::example-bucket/*"
    }]);
    let base = document(statements.clone()).to_string().len();
    statements[0]["Sid"] = json!("x".repeat(MAX_POLICY_BYTES - base));
    let full = document(statements.clone());
    assert_eq!(full.to_string().len(), MAX_POLICY_BYTES);
    assert!(validate_policy(&full, BUCKET, OWNER).is_ok());

    statements[0]["Sid"] = json!("x".repeat(MAX_POLICY_BYTES - base + 1));
    assert!(matches!(
        validate_policy(&document(statements), BUCKET, OWNER),
        Err(MergeError::TooLarge {
            limit: MAX_POLICY_BYTES,
            ..
        })
    ));
}

#[test]
fn validate_rejects_empty_statement_list() {
    assert_eq!(
        validation_error(json!([])),
        "invalid policy: no statement is left; delete the bucket policy (DeleteBucketPolicy) instead of writing an empty one"
    );
}

#[test]
fn edit_reports_invalid_added_statement_position() {
    let existing = document(json!([reader()]));
    let error = add(
        Some(&existing),
        json!({"Effect": "Allow", "Principal": "*", "Resource": "*"}),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid policy: Statement[1] has no `Action`"
    );
}

#[test]
fn edit_rejects_invalid_existing_policy() {
    let existing = json!({"Statement": "not a statement"});
    let error = add(Some(&existing), tls_statement(BUCKET)).unwrap_err();
    assert!(matches!(error, MergeError::InvalidPolicy { .. }), "{error}");
}

#[test]
fn edit_rejects_result_too_large() {
    let mut statements = Vec::new();
    for number in 0..100 {
        let mut grant = reader();
        grant["Sid"] = json!(format!("Reader{number}"));
        grant["Principal"] = json!({"AWS": format!("arn:aws:iam::111122223333:role/reader-with-a-long-name-{number}")});
        statements.push(grant);
    }
    let existing = document(Value::Array(statements));
    assert!(existing.to_string().len() < MAX_POLICY_BYTES);
    let mut large = reader();
    large["Principal"] = json!({"AWS": (0..60).map(|n| format!("arn:aws:iam::111122223333:role/extra-{n}")).collect::<Vec<_>>()});
    let error = add(Some(&existing), large).unwrap_err();
    assert!(matches!(error, MergeError::TooLarge { .. }), "{error}");
}

#[test]
fn edit_rejects_added_lockout() {
    let existing = document(json!([reader()]));
    let deny = json!({"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket"});
    let error = add(Some(&existing), deny).unwrap_err();
    assert!(
        matches!(&error, MergeError::Lockout { statement: 1, sid: Some(sid), .. } if sid == "DenyAll"),
        "{error}"
    );
}

#[test]
fn edit_rejects_removing_every_statement() {
    let existing = document(json!([public_read()]));
    let error = edit_policy(
        Some(&existing),
        &[PolicyEdit::RemovePublicStatements],
        BUCKET,
        OWNER,
    )
    .unwrap_err();
    assert!(matches!(error, MergeError::NoStatements), "{error}");
}

// The lockout rule.

fn is_lockout(statement: Value) -> bool {
    match validate_policy(&document(json!([statement])), BUCKET, OWNER) {
        Ok(()) => false,
        Err(MergeError::Lockout { .. }) => true,
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn lockout_unconditional_deny_all() {
    let deny = statement(
        "Deny",
        json!("*"),
        json!("s3:*"),
        json!([
            "arn:aws:s3:::example-bucket",
            "arn:aws:s3:::example-bucket/*"
        ]),
    );
    assert!(is_lockout(deny));
}

#[test]
fn lockout_not_tls_deny() {
    assert!(!is_lockout(tls_statement(BUCKET)));
}

#[test]
fn lockout_not_delete_object_deny() {
    let deny = statement(
        "Deny",
        json!("*"),
        json!("s3:DeleteObject"),
        json!([
            "arn:aws:s3:::example-bucket",
            "arn:aws:s3:::example-bucket/*"
        ]),
    );
    assert!(!is_lockout(deny));
}

#[test]
fn lockout_principal_forms() {
    let owner_principals = [
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": OWNER}),
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        json!({"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:root"]}),
    ];
    for principal in owner_principals {
        let deny = statement(
            "Deny",
            principal.clone(),
            json!("s3:PutBucketPolicy"),
            json!("arn:aws:s3:::example-bucket"),
        );
        assert!(is_lockout(deny), "{principal} should lock the owner out");
    }

    // A Deny for one role or user of the owner account leaves the account's root and
    // its other identities able to manage the policy.
    let other_principals = [
        json!({"AWS": "arn:aws:iam::111122223333:role/admin"}),
        json!({"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:user/ops"]}),
        json!({"AWS": "arn:aws:iam::444455556666:root"}),
        json!({"AWS": "444455556666"}),
        json!({"Service": "logging.s3.amazonaws.com"}),
    ];
    for principal in other_principals {
        let deny = statement(
            "Deny",
            principal.clone(),
            json!("s3:*"),
            json!("arn:aws:s3:::example-bucket"),
        );
        assert!(!is_lockout(deny), "{principal} is not the owner");
    }
}

#[test]
fn lockout_not_principal_forms() {
    let base =
        json!({"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket"});

    let mut excludes_other = base.clone();
    excludes_other["NotPrincipal"] = json!({"AWS": "arn:aws:iam::444455556666:root"});
    assert!(is_lockout(excludes_other));

    let mut excludes_owner = base.clone();
    excludes_owner["NotPrincipal"] =
        json!({"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/admin"]});
    assert!(!is_lockout(excludes_owner));
}

#[test]
fn lockout_action_and_resource_forms() {
    let on_bucket = json!("arn:aws:s3:::example-bucket");
    for action in [
        json!("s3:GetBucketPolicy"),
        json!("s3:DeleteBucketPolicy"),
        json!("s3:*BucketPolicy"),
        json!("*"),
    ] {
        let deny = statement("Deny", json!("*"), action.clone(), on_bucket.clone());
        assert!(is_lockout(deny), "{action} should lock the owner out");
    }

    let objects_only = statement(
        "Deny",
        json!("*"),
        json!("s3:*"),
        json!("arn:aws:s3:::example-bucket/*"),
    );
    assert!(!is_lockout(objects_only));

    let not_action = json!({"Effect": "Deny", "Principal": "*", "NotAction": "s3:*BucketPolicy", "Resource": "*"});
    assert!(!is_lockout(not_action));

    let not_action_other =
        json!({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"});
    assert!(is_lockout(not_action_other));
}

#[test]
fn lockout_needs_unconditional_deny() {
    let mut conditional = statement(
        "Deny",
        json!("*"),
        json!("s3:*"),
        json!("arn:aws:s3:::example-bucket"),
    );
    conditional["Condition"] = json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}});
    assert!(!is_lockout(conditional));

    let allow = statement(
        "Allow",
        json!("*"),
        json!("s3:*"),
        json!("arn:aws:s3:::example-bucket"),
    );
    assert!(!is_lockout(allow));
}

// Policy edits.

#[test]
fn single_object_statement_unchanged_stays_object() {
    let existing = json!({"Version": "2012-10-17", "Statement": tls_statement(BUCKET)});
    assert_eq!(add(Some(&existing), tls_statement(BUCKET)).unwrap(), None);
}

#[test]
fn single_object_statement_becomes_list() {
    let existing = json!({"Id": "Keep", "Version": "2012-10-17", "Statement": reader()});
    let edited = add(Some(&existing), tls_statement(BUCKET))
        .unwrap()
        .unwrap();
    assert_eq!(
        edited,
        json!({"Id": "Keep", "Version": "2012-10-17", "Statement": [reader(), tls_statement(BUCKET)]})
    );
    let keys: Vec<&String> = edited.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Id", "Version", "Statement"]);
}

#[test]
fn add_to_missing_policy_creates_document() {
    let edited = add(None, tls_statement(BUCKET)).unwrap().unwrap();
    assert_eq!(
        edited,
        json!({"Version": "2012-10-17", "Statement": [tls_statement(BUCKET)]})
    );
}

#[test]
fn remove_from_missing_policy_is_no_change() {
    let edits = [
        PolicyEdit::RemovePublicStatements,
        PolicyEdit::RemoveStatementsWithSid(vec!["Any".to_string()]),
    ];
    assert_eq!(edit_policy(None, &edits, BUCKET, OWNER).unwrap(), None);
}

#[test]
fn add_keeps_existing_statements_byte_for_byte() {
    // Single values, a boolean condition and an unusual key order must survive.
    let odd = json!({
        "Resource": "arn:aws:s3:::example-bucket/*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": true}},
        "Action": "s3:GetObject",
        "Principal": {"AWS": "111122223333"},
        "Effect": "Allow"
    });
    let existing = document(json!([odd.clone()]));
    let edited = add(Some(&existing), tls_statement(BUCKET))
        .unwrap()
        .unwrap();
    assert_eq!(edited["Statement"][0], odd);
    assert_eq!(
        serde_json::to_string(&edited["Statement"][0]).unwrap(),
        serde_json::to_string(&odd).unwrap()
    );
}

#[test]
fn add_same_meaning_is_no_change() {
    let existing = document(json!([{
        "Sid": "Reader",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:role/b", "111122223333"]},
        "Action": ["S3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::example-bucket/*", "arn:aws:s3:::example-bucket"],
        "Condition": {"bool": {"AWS:SecureTransport": true}}
    }]));
    let same = json!({
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/b"]},
        "Action": ["s3:listbucket", "s3:getobject"],
        "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}
    });
    assert_eq!(add(Some(&existing), same).unwrap(), None);
}

#[test]
fn add_star_equals_aws_star() {
    let existing = document(json!([statement(
        "Deny",
        json!({"AWS": "*"}),
        json!("s3:PutObject"),
        json!("arn:aws:s3:::example-bucket/*")
    )]));
    let same = statement(
        "Deny",
        json!("*"),
        json!("s3:PutObject"),
        json!("arn:aws:s3:::example-bucket/*"),
    );
    assert_eq!(add(Some(&existing), same).unwrap(), None);
}

#[test]
fn add_different_meaning_is_added() {
    let existing = document(json!([reader()]));
    let mut other = reader();
    other["Resource"] = json!("arn:aws:s3:::example-bucket/private/*");
    let edited = add(Some(&existing), other.clone()).unwrap().unwrap();
    assert_eq!(edited["Statement"], json!([reader(), other]));

    // A condition value differs: not the same statement.
    let mut conditional = reader();
    conditional["Condition"] = json!({"StringEquals": {"aws:SourceVpce": "vpce-1"}});
    let existing = document(json!([conditional]));
    let mut other = reader();
    other["Condition"] = json!({"StringEquals": {"aws:SourceVpce": "vpce-2"}});
    assert!(add(Some(&existing), other).unwrap().is_some());
}

#[test]
fn add_covered_by_broader_deny() {
    let existing = document(json!([{
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::example-bucket*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }]));
    let narrower = json!({
        "Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::example-bucket/*",
        "Condition": {
            "Bool": {"aws:SecureTransport": false},
            "StringEquals": {"aws:SourceVpce": "vpce-1"}
        }
    });
    assert_eq!(add(Some(&existing), narrower).unwrap(), None);
}

#[test]
fn add_not_covered_by_stricter_deny() {
    let existing = document(json!([{
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
        "Condition": {
            "Bool": {"aws:SecureTransport": "false"},
            "StringEquals": {"aws:SourceVpce": "vpce-1"}
        }
    }]));
    let edited = add(Some(&existing), tls_statement(BUCKET))
        .unwrap()
        .unwrap();
    assert_eq!(edited["Statement"].as_array().unwrap().len(), 2);
}

#[test]
fn add_allow_beside_broader_allow() {
    let existing = document(json!([statement(
        "Allow",
        json!({"AWS": OWNER}),
        json!("s3:*"),
        json!("*")
    )]));
    assert!(add(Some(&existing), reader()).unwrap().is_some());
}

#[test]
fn add_tls_when_split_statements_enforce() {
    let existing = document(json!([
        {"Sid": "Bucket", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Objects", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]));
    assert_eq!(add(Some(&existing), tls_statement(BUCKET)).unwrap(), None);
}

#[test]
fn add_tls_when_only_objects_covered() {
    let existing = document(json!([
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]));
    let edited = add(Some(&existing), tls_statement(BUCKET))
        .unwrap()
        .unwrap();
    assert_eq!(edited["Statement"][1], tls_statement(BUCKET));
}

#[test]
fn remove_public_keeps_blocked_and_fixed() {
    let blocked = json!({"Sid": "Blocked", "Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example-bucket"});
    let deny_list = statement(
        "Deny",
        json!("*"),
        json!("s3:ListBucket"),
        json!("arn:aws:s3:::example-bucket"),
    );
    let existing = document(json!([
        reader(),
        public_read(),
        blocked.clone(),
        deny_list.clone(),
        tls_statement(BUCKET)
    ]));
    let edited = edit_policy(
        Some(&existing),
        &[PolicyEdit::RemovePublicStatements],
        BUCKET,
        OWNER,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        edited["Statement"],
        json!([reader(), blocked, deny_list, tls_statement(BUCKET)])
    );
}

#[test]
fn remove_public_skips_statement_blocked_by_deny() {
    let deny_get = statement(
        "Deny",
        json!("*"),
        json!("s3:GetObject"),
        json!("arn:aws:s3:::example-bucket/*"),
    );
    let existing = document(json!([public_read(), deny_get]));
    assert_eq!(
        edit_policy(
            Some(&existing),
            &[PolicyEdit::RemovePublicStatements],
            BUCKET,
            OWNER
        )
        .unwrap(),
        None
    );
}

#[test]
fn remove_public_sees_earlier_edits() {
    let mut deny_get = statement(
        "Deny",
        json!("*"),
        json!("s3:GetObject"),
        json!("arn:aws:s3:::example-bucket/*"),
    );
    deny_get["Sid"] = json!("DenyGet");
    let existing = document(json!([reader(), public_read(), deny_get]));
    let edits = [
        PolicyEdit::RemoveStatementsWithSid(vec!["DenyGet".to_string()]),
        PolicyEdit::RemovePublicStatements,
    ];
    let edited = edit_policy(Some(&existing), &edits, BUCKET, OWNER)
        .unwrap()
        .unwrap();
    assert_eq!(edited["Statement"], json!([reader()]));
}

#[test]
fn remove_by_sid_removes_every_match() {
    let mut first = reader();
    first["Sid"] = json!("Old");
    let mut second = public_read();
    second["Sid"] = json!("Old");
    let mut lowercase_sid = reader();
    lowercase_sid["Sid"] = json!("old");
    let existing = document(json!([
        first,
        lowercase_sid.clone(),
        second,
        tls_statement(BUCKET)
    ]));
    let edited = edit_policy(
        Some(&existing),
        &[PolicyEdit::RemoveStatementsWithSid(vec!["Old".to_string()])],
        BUCKET,
        OWNER,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        edited["Statement"],
        json!([lowercase_sid, tls_statement(BUCKET)])
    );
}

#[test]
fn remove_then_add_same_statement_is_no_change() {
    // The statement would move to the end, but statement order has no meaning to IAM.
    let existing = document(json!([tls_statement(BUCKET), reader()]));
    let edits = [
        PolicyEdit::RemoveStatementsWithSid(vec!["DenyInsecureTransport".to_string()]),
        PolicyEdit::AddStatement(tls_statement(BUCKET)),
    ];
    assert_eq!(
        edit_policy(Some(&existing), &edits, BUCKET, OWNER).unwrap(),
        None
    );
}

#[test]
fn log_delivery_statement_shape() {
    let statement = log_delivery_statement(
        "log-bucket",
        "logs/example-bucket/",
        "example-bucket",
        OWNER,
    );
    assert_eq!(
        statement,
        json!({
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::log-bucket/logs/example-bucket/*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "111122223333"},
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::example-bucket"}
            }
        })
    );
}

#[test]
fn log_delivery_added_once_to_log_bucket() {
    let statement = log_delivery_statement("log-bucket", "logs/", BUCKET, OWNER);
    let edits = [PolicyEdit::AddStatement(statement.clone())];
    let created = edit_policy(None, &edits, "log-bucket", OWNER)
        .unwrap()
        .unwrap();
    assert_eq!(created["Statement"], json!([statement]));
    assert_eq!(
        edit_policy(Some(&created), &edits, "log-bucket", OWNER).unwrap(),
        None
    );
    // The statement names the log bucket, so it does not fit the source bucket's policy.
    assert!(matches!(
        edit_policy(None, &edits, BUCKET, OWNER),
        Err(MergeError::ResourceOutsideBucket { .. })
    ));
}

#[test]
fn tls_statement_shape() {
    assert_eq!(
        tls_statement(BUCKET),
        json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        })
    );
}

#[test]
fn policy_edit_serde_round_trip() {
    let edits = vec![
        PolicyEdit::RemoveStatementsWithSid(vec!["A".to_string()]),
        PolicyEdit::RemovePublicStatements,
        PolicyEdit::AddStatement(tls_statement(BUCKET)),
    ];
    let value = serde_json::to_value(&edits).unwrap();
    assert_eq!(value[0], json!({"remove_statements_with_sid": ["A"]}));
    assert_eq!(value[1], json!("remove_public_statements"));
    let back: Vec<PolicyEdit> = serde_json::from_value(value).unwrap();
    assert_eq!(back, edits);
}

// Encryption edits.

fn encryption(rule: Value) -> BucketEncryption {
    serde_json::from_value(json!({"ServerSideEncryptionConfiguration": {"Rules": [rule]}})).unwrap()
}

fn edited_rule(existing: Option<&BucketEncryption>, edits: &[EncryptionEdit]) -> Option<Value> {
    edit_encryption(existing, edits)
        .unwrap()
        .map(|rule| serde_json::to_value(rule).unwrap())
}

#[test]
fn encryption_keeps_unknown_fields() {
    let existing = encryption(json!({
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "AES256",
            "FutureDefaultField": {"Nested": [1, 2]}
        },
        "BucketKeyEnabled": false,
        "FutureRuleField": "kept"
    }));
    let rule = edited_rule(
        Some(&existing),
        &[EncryptionEdit::SetKmsKey(KEY_ARN.to_string())],
    )
    .unwrap();
    assert_eq!(
        rule,
        json!({
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": KEY_ARN,
                "FutureDefaultField": {"Nested": [1, 2]}
            },
            "BucketKeyEnabled": false,
            "FutureRuleField": "kept"
        })
    );
}

#[test]
fn encryption_set_sse_s3_drops_key() {
    let existing = encryption(json!({
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN},
        "BucketKeyEnabled": true
    }));
    let rule = edited_rule(Some(&existing), &[EncryptionEdit::SetSseS3]).unwrap();
    assert_eq!(
        rule,
        json!({
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": true
        })
    );
}

#[test]
fn encryption_set_sse_s3_unchanged() {
    let existing =
        encryption(json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}));
    assert_eq!(
        edited_rule(Some(&existing), &[EncryptionEdit::SetSseS3]),
        None
    );
}

#[test]
fn encryption_missing_starts_from_sse_s3() {
    assert_eq!(
        edited_rule(None, &[EncryptionEdit::SetSseS3]),
        Some(json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}))
    );
    assert_eq!(
        edited_rule(None, &[EncryptionEdit::BlockSseC]),
        Some(json!({
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}
        }))
    );
    assert_eq!(edited_rule(None, &[]), None);

    let no_rules: BucketEncryption =
        serde_json::from_value(json!({"ServerSideEncryptionConfiguration": {"Rules": []}}))
            .unwrap();
    assert_eq!(
        edited_rule(Some(&no_rules), &[EncryptionEdit::SetSseS3]),
        Some(json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}))
    );
}

#[test]
fn encryption_kms_keeps_dsse() {
    let existing = encryption(json!({
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "alias/old"}
    }));
    let rule = edited_rule(
        Some(&existing),
        &[EncryptionEdit::SetKmsKey(KEY_ARN.to_string())],
    )
    .unwrap();
    assert_eq!(
        rule,
        json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": KEY_ARN}})
    );
}

#[test]
fn encryption_kms_same_key_unchanged() {
    let existing = encryption(json!({
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN},
        "BucketKeyEnabled": true
    }));
    let edits = [
        EncryptionEdit::SetKmsKey(KEY_ARN.to_string()),
        EncryptionEdit::SetBucketKeyEnabled(true),
    ];
    assert_eq!(edited_rule(Some(&existing), &edits), None);
}

#[test]
fn encryption_rejects_empty_key() {
    let error = edit_encryption(None, &[EncryptionEdit::SetKmsKey(" ".to_string())]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid encryption rule: the KMS key id is empty; pass the key's ARN"
    );
}

#[test]
fn encryption_rejects_several_rules() {
    let existing: BucketEncryption = serde_json::from_value(json!({
        "ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}},
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
        ]}
    }))
    .unwrap();
    let error = edit_encryption(Some(&existing), &[EncryptionEdit::BlockSseC]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid encryption rule: the configuration has 2 rules, but an edit can write back only one; merge them into one rule first"
    );
}

#[test]
fn block_sse_c_idempotent() {
    let existing = encryption(json!({
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}
    }));
    assert_eq!(
        edited_rule(Some(&existing), &[EncryptionEdit::BlockSseC]),
        None
    );
    assert_eq!(
        edited_rule(
            Some(&existing),
            &[EncryptionEdit::BlockSseC, EncryptionEdit::BlockSseC]
        ),
        None
    );

    let unblocked =
        encryption(json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}));
    let twice = edited_rule(
        Some(&unblocked),
        &[EncryptionEdit::BlockSseC, EncryptionEdit::BlockSseC],
    )
    .unwrap();
    assert_eq!(
        twice["BlockedEncryptionTypes"],
        json!({"EncryptionType": ["SSE-C"]})
    );
}

#[test]
fn block_sse_c_replaces_none() {
    let existing = encryption(json!({
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}
    }));
    let rule = edited_rule(Some(&existing), &[EncryptionEdit::BlockSseC]).unwrap();
    assert_eq!(
        rule["BlockedEncryptionTypes"],
        json!({"EncryptionType": ["SSE-C"]})
    );
}

#[test]
fn encryption_edit_serde_round_trip() {
    let edits = vec![
        EncryptionEdit::SetSseS3,
        EncryptionEdit::SetKmsKey(KEY_ARN.to_string()),
        EncryptionEdit::SetBucketKeyEnabled(true),
        EncryptionEdit::BlockSseC,
    ];
    let value = serde_json::to_value(&edits).unwrap();
    assert_eq!(value[2], json!({"set_bucket_key_enabled": true}));
    let back: Vec<EncryptionEdit> = serde_json::from_value(value).unwrap();
    assert_eq!(back, edits);
}

// ACL edits.

fn acl(grants: Value) -> BucketAcl {
    serde_json::from_value(json!({
        "Owner": {"ID": "owner-canonical-id", "DisplayName": "owner"},
        "Grants": grants
    }))
    .unwrap()
}

#[test]
fn remove_public_grants_keeps_others() {
    let owner_grant = json!({"Grantee": {"Type": "CanonicalUser", "ID": "owner-canonical-id"}, "Permission": "FULL_CONTROL"});
    let log_delivery = json!({"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "Permission": "WRITE"});
    let all_users = json!({"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"});
    let authenticated = json!({"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, "Permission": "WRITE"});
    let existing = acl(json!([owner_grant, all_users, log_delivery, authenticated]));

    let cleaned = remove_public_grants(&existing).unwrap();
    assert_eq!(cleaned, acl(json!([owner_grant, log_delivery])));
    assert_eq!(cleaned.owner, existing.owner);
    assert_eq!(remove_public_grants(&cleaned), None);
}

#[test]
fn remove_public_grants_none_when_private() {
    let existing = acl(
        json!([{"Grantee": {"Type": "CanonicalUser", "ID": "owner-canonical-id"}, "Permission": "FULL_CONTROL"}]),
    );
    assert_eq!(remove_public_grants(&existing), None);
    assert_eq!(remove_public_grants(&acl(json!([]))), None);
}
