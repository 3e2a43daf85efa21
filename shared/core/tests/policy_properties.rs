//! Properties of the policy parser and reach analysis over generated policies:
//! serialising then parsing keeps the meaning, adding a Deny never widens reach,
//! adding an Allow never narrows it, and no input makes parsing, analysis or
//! evaluation panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use std::collections::BTreeSet;

use bucketwarden_core::policy::{BucketArns, Policy, Trust, analyse, analyse_tls};
use bucketwarden_core::{Config, Snapshot, evaluate};
use proptest::prelude::*;
use serde_json::{Value, json};

const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"*"}"#,
    r#"{"AWS":["*","arn:aws:iam::111122223333:root"]}"#,
    r#"{"AWS":"arn:aws:iam::*:root"}"#,
    r#"{"AWS":"arn:aws:iam::444455556666:role/r"}"#,
    r#"{"Service":"logging.s3.amazonaws.com"}"#,
    r#"{"CanonicalUser":"abc123"}"#,
];

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "*",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:PutBucketPolicy",
    "s3:DeleteObject",
    "s3:ReplicateObject",
    "s3:?etObject",
    "ec2:*",
];

const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/public/*",
    "*",
    "arn:aws:s3:::other/*",
];

const CONDITIONS: &[&str] = &[
    r#"{"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#,
    r#"{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}"#,
    r#"{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"}}"#,
    r#"{"StringLike":{"aws:Referer":"https://example.com/*"}}"#,
    r#"{"Bool":{"aws:SecureTransport":"false"}}"#,
    r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
    r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
    r#"{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-abcdefghij/*"}}"#,
    r#"{"Null":{"aws:SourceVpc":"true"}}"#,
    r#"{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
];

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(options)
}

fn statement(effect: &'static str) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        pick(PRINCIPALS),
        any::<bool>(),
        prop::collection::vec(pick(ACTIONS), 1..3),
        any::<bool>(),
        prop::collection::vec(pick(RESOURCES), 1..3),
        prop::option::of(pick(CONDITIONS)),
        prop::option::of("[A-Za-z]{0,6}"),
    )
        .prop_map(
            move |(
                not_principal,
                principal,
                not_action,
                actions,
                not_resource,
                resources,
                condition,
                sid,
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
                object.insert(
                    (if not_action { "NotAction" } else { "Action" }).into(),
                    json!(actions),
                );
                object.insert(
                    (if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    })
                    .into(),
                    json!(resources),
                );
                if let Some(condition) = condition {
                    object.insert("Condition".into(), serde_json::from_str(condition).unwrap());
                }
                Value::Object(object)
            },
        )
}

fn any_statement() -> impl Strategy<Value = Value> {
    prop_oneof![statement("Allow"), statement("Deny")]
}

fn policy_with(statements: Vec<Value>) -> Policy {
    Policy::from_value(&json!({"Version": "2012-10-17", "Statement": statements})).unwrap()
}

/// The statements reachable from the internet, by index.
fn reachable(policy: &Policy) -> BTreeSet<usize> {
    let arns = BucketArns::new("b");
    let trust = Trust {
        owner_account: "111122223333",
        ..Trust::default()
    };
    analyse(policy, &arns, &trust)
        .reachable()
        .map(|grant| grant.statement)
        .collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,12}".prop_map(Value::String),
        pick(&[
            "*",
            "Allow",
            "Deny",
            "s3:*",
            "aws:SourceVpc",
            "Bool",
            "false"
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                pick(&[
                    "Version",
                    "Statement",
                    "Effect",
                    "Principal",
                    "NotPrincipal",
                    "AWS",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition",
                    "Sid",
                    "StringEquals",
                    "ForAnyValue:StringLike",
                    "aws:SourceIp",
                    "IpAddress",
                    "Null",
                ])
                .prop_map(str::to_string),
                inner,
                0..5,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip_keeps_meaning(statements in prop::collection::vec(any_statement(), 0..5)) {
        let policy = policy_with(statements);
        let reparsed = Policy::from_value(&policy.to_value()).unwrap();
        prop_assert_eq!(&reparsed, &policy);
        prop_assert_eq!(reachable(&reparsed), reachable(&policy));
        let arns = BucketArns::new("b");
        prop_assert_eq!(analyse_tls(&reparsed, &arns).enforced(), analyse_tls(&policy, &arns).enforced());
    }

    #[test]
    fn adding_deny_never_widens_reach(
        statements in prop::collection::vec(any_statement(), 0..5),
        deny in statement("Deny"),
    ) {
        let before = reachable(&policy_with(statements.clone()));
        let mut with_deny = statements;
        with_deny.push(deny);
        let after = reachable(&policy_with(with_deny));
        prop_assert!(after.is_subset(&before), "before {:?}, after {:?}", before, after);
    }

    #[test]
    fn adding_allow_never_narrows_reach(
        statements in prop::collection::vec(any_statement(), 0..5),
        allow in statement("Allow"),
    ) {
        let before = reachable(&policy_with(statements.clone()));
        let mut with_allow = statements;
        with_allow.push(allow);
        let after = reachable(&policy_with(with_allow));
        prop_assert!(before.is_subset(&after), "before {:?}, after {:?}", before, after);
    }

    #[test]
    fn adding_deny_never_breaks_tls(
        statements in prop::collection::vec(any_statement(), 0..5),
        deny in statement("Deny"),
    ) {
        let arns = BucketArns::new("b");
        let before = analyse_tls(&policy_with(statements.clone()), &arns).enforced();
        let mut with_deny = statements;
        with_deny.push(deny);
        let after = analyse_tls(&policy_with(with_deny), &arns).enforced();
        prop_assert!(!before || after);
    }

    #[test]
    fn arbitrary_json_never_panics(document in arbitrary_json()) {
        if let Ok(policy) = Policy::from_value(&document) {
            let arns = BucketArns::new("b");
            let _ = analyse(&policy, &arns, &Trust::default());
            let _ = analyse_tls(&policy, &arns);
        }
        let snapshot = json!({
            "Bucket": "b", "AccountId": "111122223333", "Region": "us-east-1",
            "GetBucketPolicy": {"Policy": document.to_string()},
        });
        let snapshot = Snapshot::from_json(&snapshot.to_string()).unwrap();
        let report = evaluate(&snapshot, &Config::default());
        prop_assert_eq!(report.results.len(), 18);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Policy::parse(&text);
        let _ = Snapshot::from_json(&text);
    }

    #[test]
    fn arbitrary_snapshot_entries_never_panic(entry in arbitrary_json(), call in pick(&[
        "GetBucketPolicy", "GetBucketAcl", "GetBucketEncryption", "GetPublicAccessBlock",
        "GetBucketOwnershipControls", "GetBucketLogging", "Tags", "DescribeKey", "Account",
    ])) {
        let mut document = json!({"Bucket": "b", "AccountId": "111122223333", "Region": "us-east-1"});
        document[call] = entry;
        if let Ok(snapshot) = Snapshot::from_json(&document.to_string()) {
            let first = evaluate(&snapshot, &Config::default());
            let second = evaluate(&snapshot, &Config::default());
            prop_assert_eq!(first, second);
        }
    }

    #[test]
    fn snapshot_survives_json_round_trip(statements in prop::collection::vec(any_statement(), 0..4)) {
        let policy = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        let document = json!({
            "Bucket": "b", "AccountId": "111122223333", "Region": "us-east-1",
            "GetBucketPolicy": {"Policy": policy},
            "GetBucketVersioning": {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}},
            "Account": {"GetAccountPublicAccessBlock": {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}},
        });
        let snapshot = Snapshot::from_json(&document.to_string()).unwrap();
        let text = serde_json::to_string(&snapshot).unwrap();
        let again = Snapshot::from_json(&text).unwrap();
        prop_assert_eq!(&again, &snapshot);
        prop_assert_eq!(evaluate(&again, &Config::default()), evaluate(&snapshot, &Config::default()));
    }
}
