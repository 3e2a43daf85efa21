use std::time::Duration;

use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
use aws_sdk_s3::operation::get_bucket_logging::GetBucketLoggingOutput;
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
use aws_sdk_s3::types as s3;
use aws_smithy_mocks::{Rule, mock};
use bucketwarden_core::snapshot::{CallError, Read, ReadState, state_of};

use super::support::{
    ACCOUNT_ID, CannedHttpClient, HangingHttpClient, UriRecorder, fast_options, mock_context,
    mock_context_with, response, s3_error, sdk_config,
};
use crate::{AccountFacts, AwsContext, Error, ErrorKind};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;
const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-11bb-22cc-33dd-444444eeeeee";

/// HeadBucket in us-east-1 and an "absent" or empty response for every read.
fn quiet_bucket_rules() -> Vec<Rule> {
    vec![
        mock!(Client::head_bucket)
            .then_http_response(|| response(200, "", &[("x-amz-bucket-region", "us-east-1")])),
        mock!(Client::get_bucket_tagging)
            .then_http_response(|| s3_error(404, "NoSuchTagSet", "The TagSet does not exist")),
        mock!(Client::get_bucket_policy).then_http_response(|| {
            s3_error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
            )
        }),
        mock!(Client::get_bucket_policy_status).then_http_response(|| {
            s3_error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
            )
        }),
        mock!(Client::get_public_access_block).then_http_response(|| {
            s3_error(
                404,
                "NoSuchPublicAccessBlockConfiguration",
                "The public access block configuration was not found",
            )
        }),
        mock!(Client::get_bucket_acl).then_output(|| {
            GetBucketAclOutput::builder()
                .owner(s3::Owner::builder().id("owner-canonical-id").build())
                .build()
        }),
        mock!(Client::get_bucket_ownership_controls).then_http_response(|| {
            s3_error(
                404,
                "OwnershipControlsNotFoundError",
                "The bucket ownership controls were not found",
            )
        }),
        mock!(Client::get_bucket_encryption).then_http_response(|| {
            s3_error(
                404,
                "ServerSideEncryptionConfigurationNotFoundError",
                "The server side encryption configuration was not found",
            )
        }),
        mock!(Client::get_bucket_versioning)
            .then_output(|| GetBucketVersioningOutput::builder().build()),
        mock!(Client::get_bucket_logging).then_output(|| GetBucketLoggingOutput::builder().build()),
        mock!(Client::get_object_lock_configuration).then_http_response(|| {
            s3_error(
                404,
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
            )
        }),
        mock!(Client::get_bucket_replication).then_http_response(|| {
            s3_error(
                404,
                "ReplicationConfigurationNotFoundError",
                "The replication configuration was not found",
            )
        }),
    ]
}

/// Builds a context with `rules` first and the quiet-bucket rules after them.
fn context_with(rules: &[&Rule]) -> AwsContext {
    context_with_options(rules, fast_options())
}

fn context_with_options(rules: &[&Rule], options: crate::ClientOptions) -> AwsContext {
    let quiet = quiet_bucket_rules();
    let all: Vec<&Rule> = rules.iter().copied().chain(quiet.iter()).collect();
    mock_context_with(&all, options)
}

fn error_code<T>(read: &Option<Read<T>>) -> Option<&str> {
    match read {
        Some(Read::Error(error)) => Some(error.code.as_str()),
        _ => None,
    }
}

#[tokio::test]
async fn absence_codes_stay_error_entries() {
    let aws = context_with(&[]);

    let snapshot = aws
        .collect_bucket("quiet-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(
        error_code(&snapshot.get_bucket_policy),
        Some("NoSuchBucketPolicy")
    );
    assert_eq!(
        error_code(&snapshot.get_bucket_policy_status),
        Some("NoSuchBucketPolicy")
    );
    assert_eq!(
        error_code(&snapshot.get_public_access_block),
        Some("NoSuchPublicAccessBlockConfiguration")
    );
    assert_eq!(
        error_code(&snapshot.get_bucket_ownership_controls),
        Some("OwnershipControlsNotFoundError")
    );
    assert_eq!(
        error_code(&snapshot.get_bucket_encryption),
        Some("ServerSideEncryptionConfigurationNotFoundError")
    );
    assert_eq!(
        error_code(&snapshot.get_object_lock_configuration),
        Some("ObjectLockConfigurationNotFoundError")
    );
    assert_eq!(
        error_code(&snapshot.get_bucket_replication),
        Some("ReplicationConfigurationNotFoundError")
    );
    assert!(matches!(
        state_of(&snapshot.get_bucket_encryption, "GetBucketEncryption"),
        ReadState::Absent(_)
    ));
}

#[tokio::test]
async fn no_such_tag_set_is_empty_tags() {
    let aws = context_with(&[]);

    let snapshot = aws
        .collect_bucket("quiet-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(snapshot.tags, Some(Read::Value(Default::default())));
}

#[tokio::test]
async fn snapshot_identity_fields() {
    let aws = context_with(&[]);

    let snapshot = aws
        .collect_bucket("quiet-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(snapshot.bucket, "quiet-bucket");
    assert_eq!(snapshot.account_id, ACCOUNT_ID);
    assert_eq!(snapshot.region, "us-east-1");
    assert!(snapshot.account.is_none());
    assert!(snapshot.describe_key.is_empty());
}

#[tokio::test]
async fn values_are_converted() {
    let policy = mock!(Client::get_bucket_policy)
        .then_output(|| GetBucketPolicyOutput::builder().policy(POLICY).build());
    let tagging = mock!(Client::get_bucket_tagging).then_output(|| {
        GetBucketTaggingOutput::builder()
            .tag_set(
                s3::Tag::builder()
                    .key("team")
                    .value("data")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    });
    let versioning = mock!(Client::get_bucket_versioning).then_output(|| {
        GetBucketVersioningOutput::builder()
            .status(s3::BucketVersioningStatus::Enabled)
            .mfa_delete(s3::MfaDeleteStatus::Disabled)
            .build()
    });
    let aws = context_with(&[&policy, &tagging, &versioning]);

    let snapshot = aws
        .collect_bucket("busy-bucket", &AccountFacts::Skip)
        .await
        .unwrap();
    let json = serde_json::to_value(&snapshot).unwrap();

    assert_eq!(json["GetBucketPolicy"]["Policy"], POLICY);
    assert_eq!(json["Tags"]["team"], "data");
    assert_eq!(json["GetBucketVersioning"]["Status"], "Enabled");
    assert_eq!(json["GetBucketVersioning"]["MFADelete"], "Disabled");
    assert_eq!(json["GetBucketAcl"]["Owner"]["ID"], "owner-canonical-id");
    assert_eq!(json["GetBucketLogging"], serde_json::json!({}));
}

#[tokio::test]
async fn kms_key_is_described_by_its_rule_id() {
    let encryption = mock!(Client::get_bucket_encryption).then_output(|| {
        let default = s3::ServerSideEncryptionByDefault::builder()
            .sse_algorithm(s3::ServerSideEncryption::AwsKms)
            .kms_master_key_id(KEY_ARN)
            .build()
            .unwrap();
        let rule = s3::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(default)
            .build();
        GetBucketEncryptionOutput::builder()
            .server_side_encryption_configuration(
                s3::ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let describe = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|request| request.key_id() == Some(KEY_ARN))
        .then_output(|| {
            let metadata = aws_sdk_kms::types::KeyMetadata::builder()
                .key_id("0000aaaa-11bb-22cc-33dd-444444eeeeee")
                .arn(KEY_ARN)
                .key_manager(aws_sdk_kms::types::KeyManagerType::Customer)
                .key_state(aws_sdk_kms::types::KeyState::Enabled)
                .enabled(true)
                .build()
                .unwrap();
            DescribeKeyOutput::builder().key_metadata(metadata).build()
        });
    let aws = context_with(&[&encryption, &describe]);

    let snapshot = aws
        .collect_bucket("kms-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    let key = snapshot.describe_key.get(KEY_ARN).and_then(Read::value);
    let metadata = key.and_then(|key| key.key_metadata.as_ref()).unwrap();
    assert_eq!(metadata.key_manager.as_deref(), Some("CUSTOMER"));
    assert_eq!(metadata.key_state.as_deref(), Some("Enabled"));
    assert_eq!(
        metadata.extra.get("Enabled"),
        Some(&serde_json::json!(true))
    );
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_read_is_error_entry() {
    let policy = mock!(Client::get_bucket_policy)
        .then_http_response(|| s3_error(403, "AccessDenied", "Access Denied"));
    let aws = context_with(&[&policy]);

    let snapshot = aws
        .collect_bucket("denied-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    let expected = CallError::new("AccessDenied", "Access Denied");
    assert_eq!(
        snapshot.get_bucket_policy,
        Some(Read::Error(expected.clone()))
    );
    assert_eq!(ErrorKind::of(&expected), ErrorKind::AccessDenied);
}

#[tokio::test]
async fn throttled_read_is_retried() {
    let slow_down = || s3_error(503, "SlowDown", "Please reduce your request rate.");
    let policy = mock!(Client::get_bucket_policy)
        .sequence()
        .http_response(slow_down)
        .times(2)
        .output(|| GetBucketPolicyOutput::builder().policy(POLICY).build())
        .build();
    let aws = context_with(&[&policy]);

    let snapshot = aws
        .collect_bucket("busy-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    let policy_text = snapshot
        .get_bucket_policy
        .as_ref()
        .and_then(Read::value)
        .and_then(|policy| policy.policy.as_deref());
    assert_eq!(policy_text, Some(POLICY));
    assert_eq!(policy.num_calls(), 3);
}

#[tokio::test]
async fn throttled_read_is_retried_in_adaptive_mode() {
    // A region of its own: the adaptive rate limiter is shared per service and
    // region, and after this throttling response it delays that region's
    // later requests by seconds.
    let head = mock!(Client::head_bucket)
        .then_http_response(|| response(200, "", &[("x-amz-bucket-region", "sa-east-1")]));
    let policy = mock!(Client::get_bucket_policy)
        .sequence()
        .http_response(|| s3_error(503, "SlowDown", "Please reduce your request rate."))
        .output(|| GetBucketPolicyOutput::builder().policy(POLICY).build())
        .build();
    let options = crate::ClientOptions::default()
        .account_id(ACCOUNT_ID)
        .backoff(Duration::from_millis(1), Duration::from_millis(5));
    let aws = context_with_options(&[&head, &policy], options);

    let snapshot = aws
        .collect_bucket("busy-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert!(matches!(snapshot.get_bucket_policy, Some(Read::Value(_))));
    assert_eq!(policy.num_calls(), 2);
}

#[tokio::test]
async fn throttling_past_max_attempts_is_error() {
    let policy = mock!(Client::get_bucket_policy)
        .sequence()
        .http_response(|| s3_error(503, "SlowDown", "Please reduce your request rate."))
        .repeatedly()
        .build();
    let aws = context_with_options(&[&policy], fast_options().max_attempts(2));

    let snapshot = aws
        .collect_bucket("busy-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(error_code(&snapshot.get_bucket_policy), Some("SlowDown"));
    assert_eq!(policy.num_calls(), 2);
}

#[tokio::test]
async fn no_such_bucket_read_is_repeated_once() {
    let acl = mock!(Client::get_bucket_acl)
        .sequence()
        .http_response(|| s3_error(404, "NoSuchBucket", "The specified bucket does not exist"))
        .output(|| GetBucketAclOutput::builder().build())
        .build();
    let aws = context_with(&[&acl]);

    let snapshot = aws
        .collect_bucket("new-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert!(matches!(snapshot.get_bucket_acl, Some(Read::Value(_))));
    assert_eq!(acl.num_calls(), 2);
}

#[tokio::test]
async fn no_such_bucket_twice_is_recorded() {
    let acl = mock!(Client::get_bucket_acl).then_http_response(|| {
        s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
    });
    let aws = context_with(&[&acl]);

    let snapshot = aws
        .collect_bucket("racing-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(error_code(&snapshot.get_bucket_acl), Some("NoSuchBucket"));
    assert_eq!(acl.num_calls(), 2);
}

#[tokio::test]
async fn missing_bucket_is_not_found_error() {
    let head = mock!(Client::head_bucket).then_http_response(|| response(404, "", &[]));
    let aws = context_with(&[&head]);

    let result = aws.collect_bucket("gone-bucket", &AccountFacts::Skip).await;

    assert!(
        matches!(result, Err(Error::BucketNotFound { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn illegal_location_constraint_repeats_in_bucket_region() {
    let head = mock!(Client::head_bucket)
        .sequence()
        .http_response(|| response(200, "", &[("x-amz-bucket-region", "us-east-1")]))
        .http_response(|| response(301, "", &[("x-amz-bucket-region", "eu-south-1")]))
        .build();
    let policy = mock!(Client::get_bucket_policy)
        .sequence()
        .http_response(|| {
            s3_error(
                400,
                "IllegalLocationConstraintException",
                "The eu-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.",
            )
        })
        .output(|| GetBucketPolicyOutput::builder().policy(POLICY).build())
        .build();
    let recorder = UriRecorder::default();
    let options = fast_options().interceptor(recorder.clone());
    let aws = context_with_options(&[&head, &policy], options);

    let snapshot = aws
        .collect_bucket("opt-in-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert!(matches!(snapshot.get_bucket_policy, Some(Read::Value(_))));
    assert_eq!(snapshot.region, "eu-south-1");
    let policy_uris: Vec<String> = recorder
        .uris()
        .into_iter()
        .filter(|uri| uri.ends_with("?policy"))
        .collect();
    assert_eq!(policy_uris.len(), 2, "{policy_uris:?}");
    assert!(
        policy_uris[1].contains("s3.eu-south-1.amazonaws.com"),
        "{policy_uris:?}"
    );
}

#[tokio::test]
async fn redirect_header_on_error_repeats_read() {
    let policy = mock!(Client::get_bucket_policy)
        .sequence()
        .http_response(|| {
            let mut redirect = s3_error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.");
            redirect.headers_mut().insert("x-amz-bucket-region", "ca-central-1");
            redirect
        })
        .output(|| GetBucketPolicyOutput::builder().policy(POLICY).build())
        .build();
    let aws = context_with(&[&policy]);

    let snapshot = aws
        .collect_bucket("moved-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert!(matches!(snapshot.get_bucket_policy, Some(Read::Value(_))));
    assert_eq!(snapshot.region, "ca-central-1");
}

#[tokio::test]
async fn dispatch_failure_is_recorded() {
    let config = sdk_config(CannedHttpClient::refusing());
    let options = fast_options().max_attempts(2).timeouts(
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(2),
    );
    let aws = AwsContext::new(&config, options).unwrap();

    let snapshot = aws
        .collect_bucket("any-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(snapshot.region, "us-east-1");
    let Some(Read::Error(error)) = &snapshot.get_bucket_policy else {
        panic!(
            "expected an error entry, got {:?}",
            snapshot.get_bucket_policy
        );
    };
    assert_eq!(error.code, "DispatchFailure");
    let message = error.message.as_deref().unwrap_or_default();
    assert!(message.contains("connection refused (test)"), "{message}");
    assert_eq!(error_code(&snapshot.tags), Some("DispatchFailure"));
}

#[tokio::test]
async fn timeout_is_recorded() {
    let config = sdk_config(HangingHttpClient);
    let options = fast_options().max_attempts(1).timeouts(
        Duration::from_millis(50),
        Duration::from_millis(50),
        Duration::from_millis(100),
    );
    let aws = AwsContext::new(&config, options).unwrap();

    let snapshot = aws
        .collect_bucket("slow-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    assert_eq!(
        error_code(&snapshot.get_bucket_policy),
        Some("TimeoutError")
    );
    assert_eq!(
        error_code(&snapshot.get_bucket_replication),
        Some("TimeoutError")
    );
}

#[tokio::test]
async fn account_id_failure_is_call_error() {
    let config = sdk_config(CannedHttpClient::refusing());
    let options = crate::ClientOptions::default()
        .max_attempts(1)
        .backoff(Duration::from_millis(1), Duration::from_millis(1));
    let aws = AwsContext::new(&config, options).unwrap();

    let error = aws.account_id().await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::Call {
                call: "GetCallerIdentity",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.call_error().map(|e| e.code.as_str()),
        Some("DispatchFailure")
    );
}

#[tokio::test]
async fn given_account_facts_are_attached() {
    let facts = std::sync::Arc::new(bucketwarden_core::snapshot::AccountSnapshot::default());
    let aws = mock_context(&quiet_bucket_rules().iter().collect::<Vec<_>>());

    let snapshot = aws
        .collect_bucket("quiet-bucket", &AccountFacts::Given(facts))
        .await
        .unwrap();

    assert_eq!(snapshot.account, Some(Default::default()));
}

#[tokio::test]
async fn unparseable_success_is_response_error() {
    let versioning = mock!(Client::get_bucket_versioning).then_http_response(|| {
        response(
            200,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GetBucketVersioningResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>",
            &[],
        )
    });
    let aws = context_with(&[&versioning]);

    let snapshot = aws
        .collect_bucket("odd-bucket", &AccountFacts::Skip)
        .await
        .unwrap();

    let Some(Read::Error(error)) = &snapshot.get_bucket_versioning else {
        panic!(
            "expected an error entry, got {:?}",
            snapshot.get_bucket_versioning
        );
    };
    assert_eq!(error.code, "ResponseError");
    let message = error.message.as_deref().unwrap_or_default();
    assert!(
        message.contains("expected VersioningConfiguration"),
        "{message}"
    );
    // The message comes from `Display` alone, without the raw response body.
    assert!(!message.contains("<?xml"), "{message}");
}
