//! The classification of EventBridge events: the sample events in `events/`, each
//! reason to skip, and each malformed shape.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use std::path::Path;

use bucketwarden_core::event::{BucketEvent, Disposition, EventFilter, classify};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

fn filter() -> EventFilter {
    EventFilter {
        account_id: ACCOUNT.to_string(),
        allowed_accounts: vec!["444455556666".to_string()],
        own_role_name: Some("bucketwarden-bucket-event".to_string()),
    }
}

fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn audited(event: Value) -> BucketEvent {
    match classify(event, &filter()) {
        Ok(Disposition::Audit(event)) => event,
        other => panic!("expected an audit, got {other:?}"),
    }
}

fn skip_reason(event: Value) -> String {
    match classify(event, &filter()) {
        Ok(Disposition::Skip { reason }) => reason,
        other => panic!("expected a skip, got {other:?}"),
    }
}

fn rejection(event: Value) -> String {
    match classify(event, &filter()) {
        Err(error) => error.to_string(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn sample_configuration_events_are_audited() {
    let cases = [
        ("create-bucket.json", "CreateBucket", "demo-public-policy"),
        (
            "delete-bucket-policy.json",
            "DeleteBucketPolicy",
            "demo-public-policy",
        ),
        ("put-bucket-acl.json", "PutBucketAcl", "demo-public-acl"),
        (
            "put-bucket-encryption.json",
            "PutBucketEncryption",
            "demo-kms-encrypted",
        ),
        (
            "put-bucket-policy.json",
            "PutBucketPolicy",
            "demo-public-policy",
        ),
        (
            "put-bucket-public-access-block.json",
            "PutBucketPublicAccessBlock",
            "demo-public-policy",
        ),
    ];
    for (file, event_name, bucket) in cases {
        let event = audited(sample(file));
        assert_eq!(event.event_name, event_name, "{file}");
        assert_eq!(event.bucket, bucket, "{file}");
        assert_eq!(event.account, ACCOUNT, "{file}");
        assert_eq!(event.region, "us-east-1", "{file}");
        assert!(event.event_id.is_some(), "{file}");
        assert_eq!(
            event.caller_arn.as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/Admin/alice"),
            "{file}"
        );
    }
}

#[test]
fn sample_events_not_for_the_function_are_skipped() {
    assert_eq!(
        skip_reason(sample("failed-call.json")),
        "the call failed with AccessDenied, so nothing changed"
    );
    assert_eq!(
        skip_reason(sample("non-s3-event.json")),
        "source `aws.ec2` is not aws.s3"
    );
    assert_eq!(
        skip_reason(sample("scheduled-audit.json")),
        "source `aws.events` is not aws.s3"
    );
}

#[test]
fn other_detail_type_is_skipped() {
    let mut event = sample("put-bucket-policy.json");
    event["detail-type"] = "Object Created".into();
    assert_eq!(
        skip_reason(event),
        "detail-type `Object Created` is not `AWS API Call via CloudTrail`"
    );
}

#[test]
fn event_from_unknown_account_is_skipped() {
    let mut event = sample("put-bucket-policy.json");
    event["account"] = "999988887777".into();
    assert_eq!(
        skip_reason(event),
        "the event comes from account `999988887777`, not from this deployment's account 111122223333"
    );

    let mut event = sample("put-bucket-policy.json");
    event["account"] = "444455556666".into();
    assert_eq!(audited(event).account, "444455556666");

    let mut event = sample("put-bucket-policy.json");
    if let Some(map) = event.as_object_mut() {
        map.remove("account");
    }
    assert!(skip_reason(event).contains("account ``"));
}

#[test]
fn call_by_own_role_is_skipped() {
    for arn in [
        "arn:aws:sts::111122223333:assumed-role/bucketwarden-bucket-event/session",
        "arn:aws:iam::111122223333:role/service/bucketwarden-bucket-event",
    ] {
        let mut event = sample("put-bucket-policy.json");
        event["detail"]["userIdentity"]["arn"] = arn.into();
        assert_eq!(
            skip_reason(event),
            "the call was made by this function's own role `bucketwarden-bucket-event`",
            "{arn}"
        );
    }

    // A user, or a role whose name only starts with the function's, is not the function.
    for arn in [
        "arn:aws:iam::111122223333:user/bucketwarden-bucket-event",
        "arn:aws:sts::111122223333:assumed-role/bucketwarden-bucket-event-2/session",
        "not an arn",
    ] {
        let mut event = sample("put-bucket-policy.json");
        event["detail"]["userIdentity"]["arn"] = arn.into();
        assert_eq!(audited(event).caller_arn.as_deref(), Some(arn));
    }
}

#[test]
fn region_falls_back_to_event_region() {
    let mut event = sample("put-bucket-policy.json");
    if let Some(detail) = event["detail"].as_object_mut() {
        detail.remove("awsRegion");
    }
    event["region"] = "eu-west-1".into();
    assert_eq!(audited(event).region, "eu-west-1");
}

#[test]
fn missing_bucket_name_is_rejected_with_the_field() {
    assert_eq!(
        rejection(sample("malformed.json")),
        "malformed event: `detail.requestParameters.bucketName` is missing from the PutBucketPolicy event; S3 CloudTrail events name the bucket there"
    );
}

#[test]
fn non_eventbridge_value_is_rejected() {
    for value in [
        json!({"hello": "world"}),
        json!(null),
        json!([1, 2]),
        json!("text"),
    ] {
        let message = rejection(value.clone());
        assert!(
            message.starts_with("malformed event: not an EventBridge event ("),
            "{value}: {message}"
        );
        assert!(
            message.ends_with(
                "the function expects \"AWS API Call via CloudTrail\" events for aws.s3"
            ),
            "{value}: {message}"
        );
    }
}

#[test]
fn detail_that_is_not_an_object_is_rejected() {
    let mut event = sample("put-bucket-policy.json");
    event["detail"] = json!([1]);
    assert_eq!(
        rejection(event),
        "malformed event: `detail` is not an object"
    );
}

#[test]
fn missing_event_name_is_rejected() {
    let mut event = sample("put-bucket-policy.json");
    event["detail"]["eventName"] = json!(7);
    assert_eq!(
        rejection(event),
        "malformed event: `detail.eventName` is missing"
    );
}

#[test]
fn invalid_bucket_names_are_rejected() {
    for name in [
        "Bad\nName",
        "ab",
        &"a".repeat(64),
        "UPPER",
        "under_score",
        "ü-bucket",
    ] {
        let mut event = sample("put-bucket-policy.json");
        event["detail"]["requestParameters"]["bucketName"] = name.into();
        let message = rejection(event);
        assert_eq!(
            message,
            format!(
                "malformed event: `detail.requestParameters.bucketName` is not a valid S3 bucket name ({} characters)",
                name.chars().count()
            ),
            "{name:?}"
        );
    }
    for name in ["abc", "good-name.example", &"a".repeat(63)] {
        let mut event = sample("put-bucket-policy.json");
        event["detail"]["requestParameters"]["bucketName"] = name.into();
        assert_eq!(audited(event).bucket, name);
    }
}
