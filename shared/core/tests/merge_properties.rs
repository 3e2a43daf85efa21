//! Properties of policy edits over generated policies: every statement the edits do
//! not name survives unchanged and in order, edits applied twice change nothing the
//! second time, and adding a statement that is already there changes nothing.
//!
//! Generated statements name resources of the bucket only, so a lockout and an empty
//! policy are the only validation errors possible. Each generated original policy
//! must pass validation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use bucketwarden_core::err::MergeError;
use bucketwarden_core::merge::{
    PolicyEdit, edit_policy, log_delivery_statement, tls_statement, validate_policy,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const BUCKET: &str = "example-bucket";
const OWNER: &str = "111122223333";

const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"*"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#,
    r#"{"AWS":"444455556666"}"#,
    r#"{"AWS":["arn:aws:iam::444455556666:root","111122223333"]}"#,
    r#"{"Service":"logging.s3.amazonaws.com"}"#,
];

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:PutBucketPolicy",
    "s3:*",
];

const RESOURCES: &[&str] = &[
    "arn:aws:s3:::example-bucket",
    "arn:aws:s3:::example-bucket/*",
    "arn:aws:s3:::example-bucket/public/*",
    "*",
];

const CONDITIONS: &[&str] = &[
    r#"{"Bool":{"aws:SecureTransport":"false"}}"#,
    r#"{"Bool":{"aws:SecureTransport":false}}"#,
    r#"{"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#,
    r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}"#,
    r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
];

/// Sids drawn from a small set, so that statements share them.
const SIDS: &[&str] = &["A", "B", "Shared", "DenyInsecureTransport", ""];

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(options)
}

/// Returns a single value as a string or a one-element list, several values as a list.
fn one_or_list(items: &[&str], as_string: bool) -> Value {
    match items {
        [single] if as_string => json!(single),
        _ => json!(items),
    }
}

fn any_statement() -> impl Strategy<Value = Value> {
    (
        prop::option::of(pick(SIDS)),
        prop::sample::select(&["Allow", "Deny"][..]),
        (pick(PRINCIPALS), prop::bool::weighted(0.1)),
        (
            prop::collection::vec(pick(ACTIONS), 1..3),
            prop::bool::weighted(0.1),
        ),
        prop::collection::vec(pick(RESOURCES), 1..3),
        prop::option::of(pick(CONDITIONS)),
        any::<bool>(),
    )
        .prop_map(
            |(
                sid,
                effect,
                (principal, not_principal),
                (actions, not_action),
                resources,
                condition,
                as_string,
            )| {
                let mut object = serde_json::Map::new();
                if let Some(sid) = sid {
                    object.insert("Sid".into(), json!(sid));
                }
                object.insert("Effect".into(), json!(effect));
                let principal: Value = serde_json::from_str(principal).unwrap();
                let principal_key = if not_principal && principal.is_object() {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                object.insert(principal_key.into(), principal);
                let action_key = if not_action { "NotAction" } else { "Action" };
                object.insert(action_key.into(), one_or_list(&actions, as_string));
                object.insert("Resource".into(), one_or_list(&resources, as_string));
                if let Some(condition) = condition {
                    object.insert("Condition".into(), serde_json::from_str(condition).unwrap());
                }
                Value::Object(object)
            },
        )
}

/// Statements that are neither public nor a lockout, like the ones Bucket Warden adds.
fn safe_additions() -> Vec<Value> {
    vec![
        tls_statement(BUCKET),
        log_delivery_statement(BUCKET, "logs/", "source-bucket", OWNER),
        json!({"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::example-bucket/*"}),
        json!({"Sid": "B", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}),
        json!({"Sid": "Shared", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ]
}

fn remove_sids() -> impl Strategy<Value = PolicyEdit> {
    prop::collection::vec(pick(SIDS), 1..3).prop_map(|sids| {
        PolicyEdit::RemoveStatementsWithSid(sids.into_iter().map(str::to_string).collect())
    })
}

fn any_edit() -> impl Strategy<Value = PolicyEdit> {
    prop_oneof![
        any_statement().prop_map(PolicyEdit::AddStatement),
        prop::sample::select(safe_additions()).prop_map(PolicyEdit::AddStatement),
        Just(PolicyEdit::RemovePublicStatements),
        remove_sids(),
    ]
}

/// Edits in the order a plan uses them: removals by Sid, then the removal of public
/// statements, then additions that are neither public nor a lockout and carry no Sid
/// that the removals name.
///
/// Other sequences need not be idempotent, because each edit applies to the result of
/// the one before. Removing public statements and then a Deny by Sid can leave an Allow
/// that only the second run finds public. An addition whose Sid is removed is removed
/// again on the second run and then checked against the later additions, which may
/// now cover it and keep it out.
fn planned_edits() -> impl Strategy<Value = Vec<PolicyEdit>> {
    (
        prop::collection::vec(prop::collection::vec(pick(SIDS), 1..3), 0..2),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(safe_additions()), 0..4),
    )
        .prop_map(|(removals, remove_public, additions)| {
            let removed: Vec<&str> = removals.iter().flatten().copied().collect();
            let mut edits: Vec<PolicyEdit> = removals
                .into_iter()
                .map(|sids| {
                    PolicyEdit::RemoveStatementsWithSid(
                        sids.into_iter().map(str::to_string).collect(),
                    )
                })
                .collect();
            if remove_public {
                edits.push(PolicyEdit::RemovePublicStatements);
            }
            let kept_additions = additions.into_iter().filter(|statement| {
                let sid = statement.get("Sid").and_then(Value::as_str);
                !sid.is_some_and(|sid| removed.contains(&sid))
            });
            edits.extend(kept_additions.map(PolicyEdit::AddStatement));
            edits
        })
}

fn document(statements: &[Value]) -> Option<Value> {
    (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}))
}

fn is_valid(document: Option<&Value>) -> bool {
    document.is_none_or(|document| validate_policy(document, BUCKET, OWNER).is_ok())
}

/// Returns whether an edit in the list can remove this original statement: it carries
/// a Sid that an edit names, or it is an Allow to an open principal and public
/// statements are removed.
fn named_by_edits(statement: &Value, edits: &[PolicyEdit]) -> bool {
    let sid = statement.get("Sid").and_then(Value::as_str);
    let open_allow = statement["Effect"] == "Allow"
        && (statement.get("NotPrincipal").is_some()
            || statement["Principal"] == "*"
            || statement["Principal"]["AWS"] == "*"
            || statement["Principal"]["AWS"]
                .as_array()
                .is_some_and(|values| values.iter().any(|value| value == "*")));
    edits.iter().any(|edit| match edit {
        PolicyEdit::RemoveStatementsWithSid(sids) => {
            sid.is_some_and(|sid| sids.iter().any(|named| named == sid))
        }
        PolicyEdit::RemovePublicStatements => open_allow,
        PolicyEdit::AddStatement(_) => false,
    })
}

/// Checks that `result` is the original statements, minus some that the edits name,
/// in their original order, followed by some of the added statements in the order
/// they were added (their Sids made unique).
fn check_preserved(original: &[Value], result: &[Value], edits: &[PolicyEdit]) {
    let mut position = 0;
    for statement in original {
        if result.get(position) == Some(statement) {
            position += 1;
        } else {
            assert!(
                named_by_edits(statement, edits),
                "statement {statement} was removed or changed although no edit names it; result {result:?}"
            );
        }
    }
    let added: Vec<&Value> = edits
        .iter()
        .filter_map(|edit| match edit {
            PolicyEdit::AddStatement(statement) => Some(statement),
            _ => None,
        })
        .collect();
    // An added statement whose Sid is already taken gets a numeric suffix.
    let without_sid = |statement: &Value| {
        let mut copy = statement.clone();
        if let Some(object) = copy.as_object_mut() {
            object.remove("Sid");
        }
        copy
    };
    let mut remaining = added.iter();
    for statement in &result[position..] {
        assert!(
            remaining.any(|added| without_sid(added) == without_sid(statement)),
            "statement {statement} is neither an original nor an added one, or is out of order; result {result:?}"
        );
    }
}

/// Returns the same statement spelled differently: another Sid, lists reversed, actions in
/// another case, and `"*"` written as `{"AWS": "*"}`.
fn respell(statement: &Value) -> Value {
    let mut copy = statement.clone();
    copy["Sid"] = json!("Respelled");
    for key in ["Action", "NotAction"] {
        if let Some(actions) = copy.get(key).cloned() {
            let mut list: Vec<Value> = match actions {
                Value::Array(items) => items,
                single => vec![single],
            };
            list.reverse();
            let list: Vec<Value> = list
                .into_iter()
                .map(|action| json!(action.as_str().unwrap().to_uppercase()))
                .collect();
            copy[key] = json!(list);
        }
    }
    if let Some(Value::Array(resources)) = copy.get("Resource").cloned() {
        copy["Resource"] = json!(resources.into_iter().rev().collect::<Vec<_>>());
    }
    if copy.get("Principal") == Some(&json!("*")) {
        copy["Principal"] = json!({"AWS": "*"});
    }
    copy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unnamed_statements_survive_in_order(
        statements in prop::collection::vec(any_statement(), 0..6),
        edits in prop::collection::vec(any_edit(), 0..5),
    ) {
        let existing = document(&statements);
        prop_assume!(is_valid(existing.as_ref()));

        match edit_policy(existing.as_ref(), &edits, BUCKET, OWNER) {
            Ok(None) => {}
            Ok(Some(result)) => {
                let result = result["Statement"].as_array().unwrap().clone();
                check_preserved(&statements, &result, &edits);
            }
            Err(MergeError::NoStatements) => {}
            Err(MergeError::Lockout { .. }) => {
                // The original passed validation, so an added statement must be the lockout.
                let adds_lockout = edits.iter().any(|edit| match edit {
                    PolicyEdit::AddStatement(statement) => matches!(
                        validate_policy(&json!({"Statement": [statement]}), BUCKET, OWNER),
                        Err(MergeError::Lockout { .. })
                    ),
                    _ => false,
                });
                prop_assert!(adds_lockout, "lockout without an added lockout statement");
            }
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
    }

    #[test]
    fn planned_edits_are_idempotent(
        statements in prop::collection::vec(any_statement(), 0..6),
        edits in planned_edits(),
    ) {
        let existing = document(&statements);
        prop_assume!(is_valid(existing.as_ref()));

        let first = match edit_policy(existing.as_ref(), &edits, BUCKET, OWNER) {
            Ok(first) => first,
            Err(MergeError::NoStatements) => return Ok(()),
            Err(other) => panic!("unexpected error: {other}"),
        };
        let Some(after_first) = first.or(existing) else {
            return Ok(());
        };
        let second = edit_policy(Some(&after_first), &edits, BUCKET, OWNER).unwrap();
        prop_assert_eq!(second, None, "second run changed {}", after_first);
    }

    #[test]
    fn adding_present_statement_is_no_change(
        statements in prop::collection::vec(any_statement(), 1..6),
        choice in any::<prop::sample::Index>(),
        respelled in any::<bool>(),
    ) {
        let existing = document(&statements).unwrap();
        prop_assume!(is_valid(Some(&existing)));

        let present = choice.get(&statements);
        let added = if respelled { respell(present) } else { present.clone() };
        let result = edit_policy(
            Some(&existing),
            &[PolicyEdit::AddStatement(added.clone())],
            BUCKET,
            OWNER,
        )
        .unwrap();
        prop_assert_eq!(result, None, "adding {} changed the policy", added);
    }
}
