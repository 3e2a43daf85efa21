use std::collections::HashMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
use aws_sdk_s3::types::Bucket;
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::mock;
use futures::StreamExt;

use super::support::{
    UriRecorder, fast_options, mock_context, mock_context_with, response, s3_error,
};
use crate::{AccountFacts, Error};

#[tokio::test]
async fn list_buckets_without_token_ends() {
    let list = mock!(Client::list_buckets)
        .match_requests(|request| request.max_buckets() == Some(1000))
        .then_output(|| {
            ListBucketsOutput::builder()
                .buckets(
                    Bucket::builder()
                        .name("alpha")
                        .bucket_region("eu-west-1")
                        .build(),
                )
                .buckets(Bucket::builder().name("beta").build())
                .build()
        });
    let aws = mock_context(&[&list]);

    let names = aws.list_buckets().await.unwrap();

    assert_eq!(names, vec!["alpha", "beta"]);
    assert_eq!(list.num_calls(), 1);
    // No HeadBucket rule exists, so this passes only from the cache.
    assert_eq!(aws.bucket_region("alpha").await.unwrap(), "eu-west-1");
}

#[tokio::test]
async fn list_buckets_follows_continuation_token() {
    let list = mock!(Client::list_buckets)
        .sequence()
        .output(|| {
            ListBucketsOutput::builder()
                .buckets(Bucket::builder().name("alpha").build())
                .continuation_token("page-2")
                .build()
        })
        .output(|| {
            ListBucketsOutput::builder()
                .buckets(Bucket::builder().name("beta").build())
                .build()
        })
        .build();
    let aws = mock_context(&[&list]);

    let names = aws.list_buckets().await.unwrap();

    assert_eq!(names, vec!["alpha", "beta"]);
    assert_eq!(list.num_calls(), 2);
}

#[tokio::test]
async fn list_buckets_denied_is_error() {
    let list = mock!(Client::list_buckets)
        .then_http_response(|| s3_error(403, "AccessDenied", "Access Denied"));
    let aws = mock_context(&[&list]);

    let error = aws.list_buckets().await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::Call {
                call: "ListBuckets",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.call_error().map(|e| e.code.as_str()),
        Some("AccessDenied")
    );
}

#[tokio::test]
async fn one_missing_bucket_does_not_stop_others() {
    let missing = mock!(Client::head_bucket)
        .match_requests(|request| request.bucket() == Some("gone"))
        .then_http_response(|| response(404, "", &[]));
    let found = mock!(Client::head_bucket)
        .then_http_response(|| response(200, "", &[("x-amz-bucket-region", "us-east-1")]));
    let policy = mock!(Client::get_bucket_policy)
        .then_output(|| GetBucketPolicyOutput::builder().policy("{}").build());
    let absent = |code: &'static str| move || s3_error(404, code, "absent");
    let rules = [
        mock!(Client::get_bucket_tagging).then_http_response(absent("NoSuchTagSet")),
        mock!(Client::get_bucket_policy_status).then_http_response(absent("NoSuchBucketPolicy")),
        mock!(Client::get_public_access_block)
            .then_http_response(absent("NoSuchPublicAccessBlockConfiguration")),
        mock!(Client::get_bucket_acl).then_http_response(absent("AccessDenied")),
        mock!(Client::get_bucket_ownership_controls)
            .then_http_response(absent("OwnershipControlsNotFoundError")),
        mock!(Client::get_bucket_encryption)
            .then_http_response(absent("ServerSideEncryptionConfigurationNotFoundError")),
        mock!(Client::get_bucket_versioning).then_http_response(absent("AccessDenied")),
        mock!(Client::get_bucket_logging).then_http_response(absent("AccessDenied")),
        mock!(Client::get_object_lock_configuration)
            .then_http_response(absent("ObjectLockConfigurationNotFoundError")),
        mock!(Client::get_bucket_replication)
            .then_http_response(absent("ReplicationConfigurationNotFoundError")),
    ];
    let mut all = vec![&missing, &found, &policy];
    all.extend(rules.iter());
    let aws = mock_context(&all);

    let names = ["alpha", "gone", "beta"].map(str::to_owned);
    let results: HashMap<String, Result<_, Error>> = aws
        .collect_buckets(names, 2, AccountFacts::Skip)
        .collect()
        .await;

    assert_eq!(results.len(), 3);
    assert!(results["alpha"].is_ok());
    assert!(results["beta"].is_ok());
    assert!(matches!(results["gone"], Err(Error::BucketNotFound { .. })));
}

#[tokio::test]
async fn publish_sends_string_attributes_to_topic_region() {
    let publish = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|request| {
            let attribute = request
                .message_attributes()
                .and_then(|map| map.get("severity"));
            request.subject() == Some("Bucket Warden finding")
                && request.message() == Some("{}")
                && attribute.map(|value| value.data_type()) == Some("String")
                && attribute.and_then(|value| value.string_value()) == Some("HIGH")
        })
        .then_output(|| PublishOutput::builder().message_id("message-1").build());
    let recorder = UriRecorder::default();
    let aws = mock_context_with(&[&publish], fast_options().interceptor(recorder.clone()));

    let message_id = aws
        .publish(
            "arn:aws:sns:eu-west-1:111122223333:findings",
            Some("Bucket Warden finding"),
            "{}",
            &[("severity", "HIGH")],
        )
        .await
        .unwrap();

    assert_eq!(message_id.as_deref(), Some("message-1"));
    let uris = recorder.uris();
    assert!(
        uris.iter()
            .any(|uri| uri.contains("sns.eu-west-1.amazonaws.com")),
        "{uris:?}"
    );
}

#[tokio::test]
async fn publish_failure_is_publish_error() {
    let publish = mock!(aws_sdk_sns::Client::publish).then_http_response(|| {
        response(
            404,
            "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>",
            &[],
        )
    });
    let aws = mock_context(&[&publish]);

    let error = aws
        .publish(
            "arn:aws:sns:us-east-1:111122223333:missing",
            None,
            "{}",
            &[],
        )
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Publish { .. }), "{error:?}");
    assert_eq!(
        error.call_error().map(|e| e.code.as_str()),
        Some("NotFound")
    );
}
