//! Checks that the emulator supports what Bucket Warden's tests rely on: buckets
//! in several regions, the S3 extensions, S3 Control, the request log and faults.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    AbacStatus, BlockedEncryptionTypes, BucketAbacStatus, EncryptionType, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use bucketwarden_tests::{ACCOUNT_ID, Emulator, Fault};

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];

fn bucket_in(region: &str) -> String {
    format!("smoke-{region}")
}

fn sse_c_blocking_rule() -> ServerSideEncryptionConfiguration {
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .expect("the SSE algorithm is set");
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(by_default)
        .bucket_key_enabled(true)
        .blocked_encryption_types(
            BlockedEncryptionTypes::builder()
                .encryption_type(EncryptionType::SseC)
                .build(),
        )
        .build();
    ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .expect("one rule is set")
}

#[tokio::test]
async fn buckets_report_their_regions() {
    let emulator = Emulator::start().await;
    for region in REGIONS {
        emulator.create_bucket(&bucket_in(region), region).await;
    }

    let s3 = emulator.s3_client("us-east-1");
    for region in REGIONS {
        let bucket = bucket_in(region);
        let head = s3
            .head_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("HeadBucket");
        assert_eq!(head.bucket_region(), Some(region), "HeadBucket {bucket}");

        let location = s3
            .get_bucket_location()
            .bucket(&bucket)
            .send()
            .await
            .expect("GetBucketLocation");
        // S3 returns an empty LocationConstraint for us-east-1.
        let constraint = location
            .location_constraint()
            .map(|c| c.as_str().to_owned());
        let expected = (region != "us-east-1").then(|| region.to_owned());
        assert_eq!(
            constraint.filter(|c| !c.is_empty()),
            expected,
            "GetBucketLocation {bucket}"
        );
    }
}

#[tokio::test]
async fn encryption_keeps_blocked_types() {
    let emulator = Emulator::start().await;
    emulator
        .create_bucket("smoke-encryption", "eu-west-1")
        .await;
    let s3 = emulator.s3_client("eu-west-1");

    s3.put_bucket_encryption()
        .bucket("smoke-encryption")
        .server_side_encryption_configuration(sse_c_blocking_rule())
        .send()
        .await
        .expect("PutBucketEncryption");
    let output = s3
        .get_bucket_encryption()
        .bucket("smoke-encryption")
        .send()
        .await
        .expect("GetBucketEncryption");

    let rules = output
        .server_side_encryption_configuration()
        .map(|configuration| configuration.rules())
        .unwrap_or_default();
    assert_eq!(rules.len(), 1, "rules: {rules:?}");
    let rule = &rules[0];
    assert_eq!(rule.bucket_key_enabled(), Some(true));
    let algorithm = rule
        .apply_server_side_encryption_by_default()
        .map(|by_default| by_default.sse_algorithm().clone());
    assert_eq!(algorithm, Some(ServerSideEncryption::Aes256));
    let blocked = rule
        .blocked_encryption_types()
        .map(|types| types.encryption_type().to_vec());
    assert_eq!(blocked, Some(vec![EncryptionType::SseC]));
}

#[tokio::test]
async fn abac_status_round_trips() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("smoke-abac", "us-east-1").await;
    let s3 = emulator.s3_client("us-east-1");

    let before = s3
        .get_bucket_abac()
        .bucket("smoke-abac")
        .send()
        .await
        .expect("GetBucketAbac");
    assert_eq!(
        before.abac_status().and_then(|status| status.status()),
        Some(&BucketAbacStatus::Disabled)
    );

    s3.put_bucket_abac()
        .bucket("smoke-abac")
        .abac_status(
            AbacStatus::builder()
                .status(BucketAbacStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("PutBucketAbac");
    let after = s3
        .get_bucket_abac()
        .bucket("smoke-abac")
        .send()
        .await
        .expect("GetBucketAbac");
    assert_eq!(
        after.abac_status().and_then(|status| status.status()),
        Some(&BucketAbacStatus::Enabled)
    );

    // PutBucketAbac must not be taken as CreateBucket.
    let buckets = s3.list_buckets().send().await.expect("ListBuckets");
    assert_eq!(buckets.buckets().len(), 1);
}

#[tokio::test]
async fn account_public_access_block_uses_s3_control() {
    let emulator = Emulator::start().await;
    let control = emulator.s3control_client("us-east-1");

    let missing = control
        .get_public_access_block()
        .account_id(ACCOUNT_ID)
        .send()
        .await
        .expect_err("no account Block Public Access is configured yet");
    let code = missing.code();
    assert_eq!(code, Some("NoSuchPublicAccessBlockConfiguration"));
    assert_eq!(
        missing
            .raw_response()
            .map(|response| response.status().as_u16()),
        Some(404)
    );

    let configuration = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(false)
        .build();
    control
        .put_public_access_block()
        .account_id(ACCOUNT_ID)
        .public_access_block_configuration(configuration.clone())
        .send()
        .await
        .expect("PutPublicAccessBlock");
    let stored = control
        .get_public_access_block()
        .account_id(ACCOUNT_ID)
        .send()
        .await
        .expect("GetPublicAccessBlock");
    assert_eq!(
        stored.public_access_block_configuration(),
        Some(&configuration)
    );

    let requests = emulator.requests().await;
    let paths: Vec<&str> = requests
        .iter()
        .map(|request| request.path.as_str())
        .collect();
    assert_eq!(paths, vec!["/v20180820/configuration/publicAccessBlock"; 3]);
    assert!(
        requests
            .iter()
            .all(|request| request.service.as_deref() == Some("s3"))
    );
}

#[tokio::test]
async fn request_log_separates_reads_from_writes() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("smoke-log", "eu-west-1").await;
    emulator.reset_requests().await;
    let s3 = emulator.s3_client("eu-west-1");

    // Reads, including ones that fail because the setting is absent.
    s3.head_bucket()
        .bucket("smoke-log")
        .send()
        .await
        .expect("HeadBucket");
    let _ = s3.get_bucket_policy().bucket("smoke-log").send().await;
    let _ = s3
        .get_public_access_block()
        .bucket("smoke-log")
        .send()
        .await;
    s3.get_bucket_acl()
        .bucket("smoke-log")
        .send()
        .await
        .expect("GetBucketAcl");
    let reads = emulator.requests().await;
    assert_eq!(reads.len(), 4, "requests: {reads:#?}");
    let writes: Vec<String> = reads
        .iter()
        .filter(|r| r.is_write())
        .map(ToString::to_string)
        .collect();
    assert!(writes.is_empty(), "unexpected writes: {writes:?}");

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::smoke-log/*"}]}"#;
    emulator.put_policy("smoke-log", policy).await;
    let requests = emulator.requests().await;
    let put = requests
        .last()
        .expect("the PutBucketPolicy request is logged");
    assert!(put.is_write());
    assert_eq!(put.method, "PUT");
    assert_eq!(put.bucket.as_deref(), Some("smoke-log"));
    assert_eq!(put.query, "policy");
    assert_eq!(put.service.as_deref(), Some("s3"));
    // Real S3 returns 204 No Content, and moto 5.2.5 returns 200.
    assert!(
        matches!(put.status, Some(200..=299)),
        "status {:?}",
        put.status
    );

    emulator.reset_requests().await;
    assert!(emulator.requests().await.is_empty());
}

#[tokio::test]
async fn request_log_classifies_json_and_query_protocols() {
    let emulator = Emulator::start().await;
    let sns = emulator.sns_client("us-east-1");
    let sqs = emulator.sqs_client("us-east-1");

    let topic = sns
        .create_topic()
        .name("findings")
        .send()
        .await
        .expect("CreateTopic");
    sns.publish()
        .topic_arn(topic.topic_arn().unwrap_or_default())
        .message("{}")
        .send()
        .await
        .expect("Publish");
    sqs.create_queue()
        .queue_name("findings")
        .send()
        .await
        .expect("CreateQueue");
    sqs.list_queues().send().await.expect("ListQueues");

    let requests = emulator.requests().await;
    let summary: Vec<(Option<&str>, Option<&str>, bool)> = requests
        .iter()
        .map(|r| (r.service.as_deref(), r.action.as_deref(), r.is_write()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some("sns"), Some("CreateTopic"), true),
            (Some("sns"), Some("Publish"), false),
            (Some("sqs"), Some("CreateQueue"), true),
            (Some("sqs"), Some("ListQueues"), false),
        ]
    );
    assert_eq!(requests[2].target.as_deref(), Some("AmazonSQS.CreateQueue"));
}

#[tokio::test]
async fn faults_replace_s3_responses() {
    let emulator = Emulator::start().await;
    emulator.create_bucket("smoke-fault", "us-east-1").await;
    emulator.create_bucket("smoke-other", "us-east-1").await;
    let s3 = emulator.s3_client("us-east-1");

    emulator
        .add_fault(
            &Fault::access_denied()
                .method("GET")
                .bucket("smoke-fault")
                .query_contains("policy"),
        )
        .await;
    emulator
        .add_fault(
            &Fault::s3(500, "InternalError", "We encountered an internal error.")
                .query_contains("encryption")
                .times(1),
        )
        .await;

    for _ in 0..2 {
        let denied = s3
            .get_bucket_policy()
            .bucket("smoke-fault")
            .send()
            .await
            .expect_err("the fault denies GetBucketPolicy");
        let code = denied.code();
        assert_eq!(code, Some("AccessDenied"));
        assert_eq!(
            denied.raw_response().map(|r| r.status().as_u16()),
            Some(403)
        );
    }

    let other = s3
        .get_bucket_policy()
        .bucket("smoke-other")
        .send()
        .await
        .expect_err("smoke-other has no policy");
    let code = other.code();
    assert_eq!(
        code,
        Some("NoSuchBucketPolicy"),
        "the fault is limited to smoke-fault"
    );

    let failed = s3
        .get_bucket_encryption()
        .bucket("smoke-other")
        .send()
        .await
        .expect_err("the first GetBucketEncryption fails");
    let code = failed.code();
    assert_eq!(code, Some("InternalError"));
    let second = s3
        .get_bucket_encryption()
        .bucket("smoke-other")
        .send()
        .await;
    let code = second.as_ref().err().and_then(|error| error.code());
    assert_eq!(
        code,
        Some("ServerSideEncryptionConfigurationNotFoundError"),
        "a times(1) fault answers once; then moto answers"
    );

    emulator.reset_faults().await;
    let after_reset = s3
        .get_bucket_policy()
        .bucket("smoke-fault")
        .send()
        .await
        .expect_err("smoke-fault has no policy");
    let code = after_reset.code();
    assert_eq!(code, Some("NoSuchBucketPolicy"));
}
